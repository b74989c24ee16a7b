/* bench_threads.c: Server with several issue threads on the null SUT: the highest target
 * QPS that stays VALID with 1 issue thread and with 2 (and more when asked), found the
 * way bench_loadgen finds its Server figure (double from 500,000 until INVALID, bisect to
 * 2 %, confirm with a 20 s run, stepping down 5 % until VALID), and the ratio of each to
 * the one-thread figure. Each trial runs in a child process. Prints one line per figure:
 *   bench_threads figure=<name> value=<number> unit=<unit> [details]
 * Usage: bench_threads [--quick] [MAX_THREADS]   (--quick: 1 s trials, no confirmation;
 * MAX_THREADS: 2 by default) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

typedef struct trial {
    int ok;    /* lg_run_test returned 0 */
    int valid;
    double metric;
    int64_t p99_ns, lag_p99_ns;
} trial;

/* One Server run at qps with `threads` issue threads, in a child process. */
static trial run_trial(double qps, uint64_t threads, uint64_t min_dur_ms)
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
        s.scenario = LG_SERVER;
        s.min_duration_ms = min_dur_ms;
        s.server_target_qps = qps;
        s.server_num_issue_query_threads = threads;
        qsl_synthetic *q;
        qsl_synthetic_create("bench", 1024, 1024, 0, 0, &q);
        lg_qsl qsl = qsl_synthetic_qsl(q);
        lg_sut sut = sut_null();
        lg_results r;
        int rc = lg_run_test(&s, &sut, &qsl, NULL, &r);
        trial c = {.ok = rc == 0, .valid = r.valid, .metric = r.metric,
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
    waitpid(pid, &status, 0);
    return t;
}

static bool try_rate(double qps, uint64_t threads, uint64_t dur, const char *what)
{
    trial t = run_trial(qps, threads, dur);
    fprintf(stderr, "  %llu thread(s) %.0f qps%s: %s (p99 %.3f ms, issue lag p99 %.3f ms)\n",
            (unsigned long long)threads, qps, what, t.ok && t.valid ? "VALID" : "INVALID",
            t.p99_ns / 1e6, t.lag_p99_ns / 1e6);
    return t.ok && t.valid;
}

/* The highest VALID Server QPS with `threads` issue threads (bench_loadgen's search). */
static double search(uint64_t threads, bool quick)
{
    uint64_t dur = quick ? 1000 : 5000;
    double lo = 0, hi = 0, q = 500000;
    for (int i = 0; i < 9 && hi == 0; i++, q *= 2) {
        if (try_rate(q, threads, dur, ""))
            lo = q;
        else
            hi = q;
    }
    while (hi > 0 && lo > 0 && (hi - lo) / lo > 0.02) {
        double mid = (lo + hi) / 2;
        if (try_rate(mid, threads, dur, ""))
            lo = mid;
        else
            hi = mid;
    }
    if (!quick && lo > 0)
        for (int i = 0; i < 5; i++) {
            if (try_rate(lo, threads, 20000, " for 20 s"))
                break;
            lo *= 0.95;
        }
    return lo;
}

int main(int argc, char **argv)
{
    bool quick = false;
    uint64_t max_threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (atoi(argv[i]) >= 1 && atoi(argv[i]) <= LG_MAX_ISSUE_THREADS)
            max_threads = (uint64_t)atoi(argv[i]);
        else {
            fprintf(stderr, "usage: bench_threads [--quick] [MAX_THREADS 1..%d]\n",
                    LG_MAX_ISSUE_THREADS);
            return 2;
        }
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double one = search(1, quick);
    printf("bench_threads figure=server_max_valid_qps_1_thread value=%.0f unit=1/s "
           "cores=%ld\n", one, cores);
    for (uint64_t n = 2; n <= max_threads; n++) {
        double v = search(n, quick);
        printf("bench_threads figure=server_max_valid_qps_%llu_threads value=%.0f unit=1/s "
               "cores=%ld\n", (unsigned long long)n, v, cores);
        printf("bench_threads figure=server_threads_ratio_%llu_to_1 value=%.2f unit=x\n",
               (unsigned long long)n, one > 0 ? v / one : 0.0);
    }
    return 0;
}
