/* bench_threads.c: Server with several issue threads on the null SUT: the highest target
 * QPS that stays VALID with 1 issue thread and with 2 (and more when asked), found the
 * way bench_loadgen finds its Server figure (double from 500,000 until INVALID, bisect to
 * 2 %, confirm with a 20 s run, stepping down 5 % until VALID; and halving first when
 * 500,000 is INVALID already), the searches taking turns trial by trial, and the ratio of each to the one-thread figure. Each trial runs
 * in a child process. Prints one line per figure:
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

/* bench_loadgen's search for the highest VALID Server QPS, one trial at a time, so
 * that the searches for each thread count can take turns: on a shared machine the load
 * changes by the minute, and searches run one after the other would compare different
 * moments. */
typedef struct search {
    uint64_t threads;
    double lo, hi, q;
    int doublings, halvings, confirms;
    bool confirming, done;
} search;

static void search_step(search *s, bool quick)
{
    uint64_t dur = quick ? 1000 : 5000;
    if (s->confirming) {
        /* The confirmation: 20 s at the found rate; step down 5 % until VALID. */
        s->confirms++;
        if (try_rate(s->lo, s->threads, 20000, " for 20 s") || s->confirms == 5)
            s->done = true;
        else
            s->lo *= 0.95;
        return;
    }
    if (s->hi == 0 && s->doublings < 9) {
        if (try_rate(s->q, s->threads, dur, ""))
            s->lo = s->q;
        else
            s->hi = s->q;
        s->q *= 2;
        s->doublings++;
        return;
    }
    /* The first rate was INVALID already (a busy machine): halve until one is VALID. */
    if (s->lo == 0 && s->hi > 0 && s->halvings < 6) {
        double q = s->hi / 2;
        if (try_rate(q, s->threads, dur, ""))
            s->lo = q;
        else
            s->hi = q;
        s->halvings++;
        return;
    }
    if (s->hi > 0 && s->lo > 0 && (s->hi - s->lo) / s->lo > 0.02) {
        double mid = (s->lo + s->hi) / 2;
        if (try_rate(mid, s->threads, dur, ""))
            s->lo = mid;
        else
            s->hi = mid;
        return;
    }
    if (!quick && s->lo > 0) {
        s->confirming = true;
        search_step(s, quick);
        return;
    }
    s->done = true;
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
    search srch[LG_MAX_ISSUE_THREADS];
    for (uint64_t n = 1; n <= max_threads; n++)
        srch[n - 1] = (search){.threads = n, .q = 500000};
    for (bool left = true; left;) {
        left = false;
        for (uint64_t n = 1; n <= max_threads; n++)
            if (!srch[n - 1].done) {
                search_step(&srch[n - 1], quick);
                left = true;
            }
    }
    double one = srch[0].lo;
    printf("bench_threads figure=server_max_valid_qps_1_thread value=%.0f unit=1/s "
           "cores=%ld\n", one, cores);
    for (uint64_t n = 2; n <= max_threads; n++) {
        double v = srch[n - 1].lo;
        printf("bench_threads figure=server_max_valid_qps_%llu_threads value=%.0f unit=1/s "
               "cores=%ld\n", (unsigned long long)n, v, cores);
        printf("bench_threads figure=server_threads_ratio_%llu_to_1 value=%.2f unit=x\n",
               (unsigned long long)n, one > 0 ? v / one : 0.0);
    }
    return 0;
}
