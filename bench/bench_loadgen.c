/* bench_loadgen.c: the LoadGen's own ceiling with the null SUT: the highest Server QPS
 * that stays VALID, Offline samples per second (one completion call per sample),
 * SingleStream queries per second, and peak memory per sample issued. Each trial runs in
 * a child process so that its peak memory is its own. Prints one line per figure:
 *   bench_loadgen figure=<name> value=<number> unit=<unit> [details]
 * Usage: bench_loadgen [--quick]   (--quick: shorter trials, for a smoke run) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

typedef struct trial {
    int ok;             /* lg_run_test returned 0 */
    int valid;
    double metric;
    double qps_overhead;
    uint64_t samples;
    int64_t p99_ns;
    int64_t lag_p99_ns;
    long maxrss_kb;     /* the child's peak resident memory */
} trial;

/* Runs one test in a child process and returns its figures. */
static trial run_trial(lg_scenario sc, double qps, uint64_t min_dur_ms)
{
    trial t = {0};
    int fd[2];
    if (pipe(fd))
        return t;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        lg_settings s;
        lg_settings_default(&s);
        s.scenario = sc;
        s.min_duration_ms = min_dur_ms;
        if (qps > 0) {
            s.server_target_qps = qps;
            s.offline_expected_qps = qps;
        }
        /* The official LoadGen's default hint would pre-generate too few queries; ours
         * generates as it goes, so the hint only appears in the logs. */
        s.single_stream_expected_latency_ns = 1000;
        qsl_synthetic *q;
        qsl_synthetic_create("bench", 1024, 1024, 0, 0, &q);
        lg_qsl qsl = qsl_synthetic_qsl(q);
        lg_sut sut = sut_null();
        lg_results r;
        int rc = lg_run_test(&s, &sut, &qsl, NULL, &r);
        trial c = {.ok = rc == 0, .valid = r.valid, .metric = r.metric,
                   .qps_overhead = r.qps_with_loadgen_overhead, .samples = r.samples_issued,
                   .p99_ns = r.latency.p99_ns, .lag_p99_ns = r.issue_lag.p99_ns};
        if (write(fd[1], &c, sizeof c) != (ssize_t)sizeof c)
            _exit(1);
        qsl_synthetic_destroy(q);
        _exit(0);
    }
    close(fd[1]);
    if (pid < 0) {
        close(fd[0]);
        return t;
    }
    if (read(fd[0], &t, sizeof t) != (ssize_t)sizeof t)
        t.ok = 0;
    close(fd[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) == pid)
        t.maxrss_kb = ru.ru_maxrss;
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && !strcmp(argv[1], "--quick");
    uint64_t dur = quick ? 1000 : 5000;
    int reps = quick ? 1 : 3;

    /* Server: the highest target QPS whose run stays VALID: double until a run is
     * INVALID, then bisect to 2%; confirm the result with a longer run. */
    double lo = 0, hi = 0, q = 500000;
    trial best = {0};
    for (int i = 0; i < 8 && hi == 0; i++, q *= 2) {
        trial t = run_trial(LG_SERVER, q, dur);
        fprintf(stderr, "  server %.0f qps: %s (p99 %.3f ms, issue lag p99 %.3f ms)\n", q,
                t.valid ? "VALID" : "INVALID", t.p99_ns / 1e6, t.lag_p99_ns / 1e6);
        if (t.ok && t.valid) {
            lo = q;
            best = t;
        } else {
            hi = q;
        }
    }
    while (hi > 0 && lo > 0 && (hi - lo) / lo > 0.02) {
        double mid = (lo + hi) / 2;
        trial t = run_trial(LG_SERVER, mid, dur);
        fprintf(stderr, "  server %.0f qps: %s (p99 %.3f ms, issue lag p99 %.3f ms)\n", mid,
                t.valid ? "VALID" : "INVALID", t.p99_ns / 1e6, t.lag_p99_ns / 1e6);
        if (t.ok && t.valid) {
            lo = mid;
            best = t;
        } else {
            hi = mid;
        }
    }
    if (!quick && lo > 0) {
        /* The confirmation: 20 s at the found rate; step down 5% until VALID. */
        for (int i = 0; i < 5; i++) {
            trial t = run_trial(LG_SERVER, lo, 20000);
            fprintf(stderr, "  server confirm %.0f qps for 20 s: %s\n", lo,
                    t.valid ? "VALID" : "INVALID");
            if (t.ok && t.valid) {
                best = t;
                break;
            }
            lo *= 0.95;
        }
    }
    printf("bench_loadgen figure=server_max_valid_qps value=%.0f unit=1/s "
           "completed_per_sec=%.0f p99_ms=%.3f\n", lo, best.metric, best.p99_ns / 1e6);
    double server_bytes = best.samples ? best.maxrss_kb * 1024.0 / (double)best.samples : 0;
    printf("bench_loadgen figure=server_peak_bytes_per_sample value=%.1f unit=B "
           "samples=%llu peak_rss_mb=%.1f\n", server_bytes,
           (unsigned long long)best.samples, best.maxrss_kb / 1024.0);

    /* Offline: one query of many samples; the null SUT completes each one with its own
     * lg_complete call. The expected QPS sizes the query (1.1 x duration x QPS). */
    double off[5];
    trial ot = {0};
    for (int i = 0; i < reps; i++) {
        ot = run_trial(LG_OFFLINE, quick ? 5e6 : 1e7, quick ? 1000 : 2000);
        off[i] = ot.metric;
        fprintf(stderr, "  offline: %.0f samples/s over %llu samples\n", ot.metric,
                (unsigned long long)ot.samples);
    }
    qsort(off, (size_t)reps, sizeof off[0], cmp_double);
    printf("bench_loadgen figure=offline_samples_per_sec value=%.0f unit=1/s samples=%llu "
           "peak_bytes_per_sample=%.1f\n", off[reps / 2], (unsigned long long)ot.samples,
           ot.samples ? ot.maxrss_kb * 1024.0 / (double)ot.samples : 0);

    /* SingleStream: queries per second with the LoadGen's overhead (MLPerf's "QPS w/
     * loadgen overhead"): one query at a time, the next when the last completed. */
    double ss[5];
    trial st = {0};
    for (int i = 0; i < reps; i++) {
        st = run_trial(LG_SINGLE_STREAM, 0, dur);
        ss[i] = st.qps_overhead;
        fprintf(stderr, "  singlestream: %.0f queries/s\n", st.qps_overhead);
    }
    qsort(ss, (size_t)reps, sizeof ss[0], cmp_double);
    printf("bench_loadgen figure=singlestream_queries_per_sec value=%.0f unit=1/s "
           "peak_bytes_per_sample=%.1f\n", ss[reps / 2],
           st.samples ? st.maxrss_kb * 1024.0 / (double)st.samples : 0);
    return 0;
}
