/* bench_hdr.c: what record_hdr (docs/hdr.md) costs and saves, with the null SUT.
 *  1. Throughput: a Server run whose schedule is far ahead of the issue loop (every
 *     query already due), exact recording against record_hdr, taken in turn for
 *     `rounds` rounds; the median of each and of the per-round ratio HDR / exact.
 *  2. Memory: Server at --qps (default 1M) for --short and --long seconds with
 *     record_hdr, and for --short seconds exact; each run in a child process, its peak
 *     resident memory from wait4's rusage, less that of a 1-query run (the process, the
 *     QSL), and the recording's own peak (results.json's recording_peak_bytes: the record
 *     chunks alive at once and the histograms; logs go to a temporary folder, without
 *     samples.bin, removed after).
 * Prints one line per figure:
 *   bench_hdr figure=<name> value=<v> unit=<u> [details]
 * Usage: bench_hdr [--quick] [--rounds N] [--queries N] [--qps Q] [--short S] [--long S]
 *        (defaults: 5 rounds of 5M queries; 1M QPS for 10 s and 60 s; --quick: 3 rounds
 *        of 2M queries, 2 s and 8 s) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

#define MAX_ROUNDS 31

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One Server run of n queries due at once; samples issued per second of issuing, or 0
 * when it failed. */
static double issue_rate(bool hdr, uint64_t n, qsl_synthetic *q)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = 1e9; /* the schedule runs away from the loop at once */
    s.min_duration_ms = n / 1000000;
    s.min_query_count = n;
    s.max_query_count = n;
    s.issue_spin_ns = 0;
    s.record_hdr = hdr;
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_null();
    lg_results r;
    if (lg_run_test(&s, &sut, &qsl, NULL, &r) != 0 || r.final_issue_ns <= 0) {
        fprintf(stderr, "bench_hdr: %s run: %s\n", hdr ? "hdr" : "exact", lg_last_error());
        return 0;
    }
    return (double)r.samples_issued / ((double)r.final_issue_ns / 1e9);
}

/* The files a run writes without samples.bin, removed after it. */
static const char *const run_files[] = {"results.json", "mlperf_log_summary.txt",
                                        "mlperf_log_detail.txt", "mlperf_log_accuracy.json"};

/* results.json's recording_peak_bytes in folder dir (0 when not found). */
static uint64_t read_peak_bytes(const char *dir)
{
    char path[256], buf[65536];
    snprintf(path, sizeof path, "%s/results.json", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *k = strstr(buf, "\"recording_peak_bytes\": ");
    return k ? strtoull(k + strlen("\"recording_peak_bytes\": "), NULL, 10) : 0;
}

/* A Server run at qps for ms milliseconds in a child process: its peak RSS in bytes
 * (0 on failure); *samples receives the samples it issued and *rec_bytes the
 * recording's own peak (results.json's recording_peak_bytes). */
static double child_peak_rss(bool hdr, double qps, uint64_t ms, uint64_t *samples,
                             uint64_t *rec_bytes)
{
    int fd[2];
    if (pipe(fd))
        return 0;
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        close(fd[0]);
        qsl_synthetic *q = NULL;
        if (qsl_synthetic_create("bench-hdr", 1024, 1024, 8, 1, &q))
            _exit(2);
        lg_settings s;
        lg_settings_default(&s);
        s.scenario = LG_SERVER;
        s.server_target_qps = qps;
        s.min_duration_ms = ms;
        s.min_query_count = 1;
        s.record_hdr = hdr;
        /* One core for the issue thread: it sleeps rather than spins between queries. */
        s.issue_spin_ns = 0;
        lg_qsl qsl = qsl_synthetic_qsl(q);
        lg_sut sut = sut_null();
        lg_results r;
        char dir[] = "/tmp/bench_hdr_XXXXXX";
        if (!mkdtemp(dir))
            _exit(5);
        lg_log_settings log;
        lg_log_settings_default(&log);
        log.outdir = dir;
        log.write_samples = false;
        int rc = lg_run_test(&s, &sut, &qsl, &log, &r);
        uint64_t out[2] = {r.samples_issued, read_peak_bytes(dir)};
        char path[256];
        for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, run_files[i]);
            unlink(path);
        }
        rmdir(dir);
        if (rc != 0)
            _exit(3);
        if (write(fd[1], out, sizeof out) != (ssize_t)sizeof out)
            _exit(4);
        _exit(0);
    }
    close(fd[1]);
    uint64_t n[2] = {0, 0};
    ssize_t got = read(fd[0], n, sizeof n);
    close(fd[0]);
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof n) {
        fprintf(stderr, "bench_hdr: the %s child run failed\n", hdr ? "hdr" : "exact");
        return 0;
    }
    *samples = n[0];
    *rec_bytes = n[1];
    return (double)ru.ru_maxrss * 1024.0;
}

static bool arg_u64(int argc, char **argv, int *i, const char *name, uint64_t *out)
{
    if (strcmp(argv[*i], name) || *i + 1 >= argc)
        return false;
    *out = strtoull(argv[++*i], NULL, 10);
    return true;
}

int main(int argc, char **argv)
{
    uint64_t rounds = 5, queries = 5000000, short_s = 10, long_s = 60, qps = 1000000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            rounds = 3;
            queries = 2000000;
            short_s = 2;
            long_s = 8;
        } else if (!arg_u64(argc, argv, &i, "--rounds", &rounds) &&
                   !arg_u64(argc, argv, &i, "--queries", &queries) &&
                   !arg_u64(argc, argv, &i, "--qps", &qps) &&
                   !arg_u64(argc, argv, &i, "--short", &short_s) &&
                   !arg_u64(argc, argv, &i, "--long", &long_s)) {
            fprintf(stderr, "usage: bench_hdr [--quick] [--rounds N] [--queries N] [--qps Q] "
                            "[--short S] [--long S]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || queries < 1000 || qps < 1 || short_s < 1 ||
        long_s < short_s) {
        fprintf(stderr, "bench_hdr: rounds 1..%d, queries >= 1000, qps >= 1, "
                        "1 <= short <= long\n", MAX_ROUNDS);
        return 2;
    }
    qsl_synthetic *q = NULL;
    if (qsl_synthetic_create("bench-hdr", 1024, 1024, 8, 1, &q)) {
        fprintf(stderr, "bench_hdr: no QSL\n");
        return 1;
    }
    double ex[MAX_ROUNDS], hd[MAX_ROUNDS], ratio[MAX_ROUNDS];
    for (uint64_t k = 0; k < rounds; k++) {
        /* Alternate which goes first, so that a busy spell does not favour one. */
        bool hdr_first = k % 2;
        double a = issue_rate(hdr_first, queries, q), b = issue_rate(!hdr_first, queries, q);
        ex[k] = hdr_first ? b : a;
        hd[k] = hdr_first ? a : b;
        if (ex[k] <= 0 || hd[k] <= 0)
            return 1;
        ratio[k] = hd[k] / ex[k];
    }
    qsl_synthetic_destroy(q);
    int n = (int)rounds;
    printf("bench_hdr figure=exact_issue_rate value=%.0f unit=1/s queries=%llu rounds=%d\n",
           median(ex, n), (unsigned long long)queries, n);
    printf("bench_hdr figure=hdr_issue_rate value=%.0f unit=1/s queries=%llu rounds=%d\n",
           median(hd, n), (unsigned long long)queries, n);
    double mid = median(ratio, n); /* sorts ratio: [0] is then the least */
    printf("bench_hdr figure=hdr_over_exact_throughput value=%.3f unit=ratio "
           "min=%.3f max=%.3f target=>=0.90\n", mid, ratio[0], ratio[n - 1]);
    fflush(stdout);

    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    double base = child_peak_rss(true, 1000, 1, &s0, &b0);
    double h_short = child_peak_rss(true, (double)qps, short_s * 1000, &s1, &b1);
    double h_long = child_peak_rss(true, (double)qps, long_s * 1000, &s2, &b2);
    double e_short = child_peak_rss(false, (double)qps, short_s * 1000, &s3, &b3);
    if (!base || !h_short || !h_long || !e_short)
        return 1;
    /* value: peak RSS above the 1-query run's; recording: the recording's own peak. */
    printf("bench_hdr figure=hdr_memory_short value=%.1f unit=MiB seconds=%llu samples=%llu "
           "qps=%llu recording_mib=%.1f\n", (h_short - base) / 1048576.0,
           (unsigned long long)short_s, (unsigned long long)s1, (unsigned long long)qps,
           (double)b1 / 1048576.0);
    printf("bench_hdr figure=hdr_memory_long value=%.1f unit=MiB seconds=%llu samples=%llu "
           "qps=%llu recording_mib=%.1f\n", (h_long - base) / 1048576.0,
           (unsigned long long)long_s, (unsigned long long)s2, (unsigned long long)qps,
           (double)b2 / 1048576.0);
    printf("bench_hdr figure=exact_memory_short value=%.1f unit=MiB seconds=%llu "
           "samples=%llu bytes_per_sample=%.1f recording_mib=%.1f\n",
           (e_short - base) / 1048576.0, (unsigned long long)short_s, (unsigned long long)s3,
           s3 ? (e_short - base) / (double)s3 : 0.0, (double)b3 / 1048576.0);
    printf("bench_hdr figure=hdr_memory_long_over_short value=%.2f unit=ratio "
           "baseline_rss_mib=%.1f\n", (h_long - base) / (h_short - base), base / 1048576.0);
    return 0;
}
