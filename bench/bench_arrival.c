/* bench_arrival.c: what each Server arrival pattern costs the issue thread. A Server run
 * on the null SUT whose schedule is far ahead of what one thread can issue (every query
 * is already due when the loop reaches it), so the samples issued per second of issuing
 * are the loop's own rate: the schedule's draw, the sample pick, the record, the null
 * SUT's completion. Each pattern runs `rounds` times in turn (median printed), so that
 * a busy machine affects them alike. Prints one line per pattern:
 *   bench_arrival pattern=<name> issue_rate=<samples/s> ns_per_query=<ns> [spread]
 * Usage: bench_arrival [--quick] [--rounds N]   (--quick: 2M queries a run, 3 rounds) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

#define MAX_ROUNDS 31

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One run of pattern a with n queries; returns samples issued per second of issuing, or
 * 0 when the run failed. */
static double one_run(lg_arrival a, uint64_t n, const int64_t *trace,
                      const lg_arrival_stage *stages, qsl_synthetic *q)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.arrival = a;
    /* 1e9 queries per second: the schedule runs away from the loop at once. */
    s.server_target_qps = 1e9;
    s.min_duration_ms = n / 1000000; /* n queries are due within it */
    s.min_query_count = n;
    s.max_query_count = n;
    s.arrival_burstiness = 0.25;
    s.arrival_start_qps = 1e9;
    s.arrival_trace_ns = trace;
    s.arrival_trace_count = n;
    s.arrival_stages = stages;
    s.arrival_stage_count = 1;
    s.issue_spin_ns = 0;
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_null();
    lg_results r;
    if (lg_run_test(&s, &sut, &qsl, NULL, &r) != 0 || r.final_issue_ns <= 0) {
        fprintf(stderr, "bench_arrival: %s: %s\n", lg_arrival_name(a), lg_last_error());
        return 0;
    }
    return (double)r.samples_issued / ((double)r.final_issue_ns / 1e9);
}

int main(int argc, char **argv)
{
    bool quick = false;
    int rounds = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true, rounds = 3;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_arrival [--quick] [--rounds N]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_arrival: --rounds must be 1 to %d\n", MAX_ROUNDS);
        return 2;
    }
    uint64_t n = quick ? 2000000 : 10000000;
    int64_t *trace = malloc(n * sizeof *trace);
    if (!trace)
        return 1;
    for (uint64_t i = 0; i < n; i++)
        trace[i] = (int64_t)i; /* 1 ns apart: always due */
    lg_arrival_stage stages[1] = {{INT64_C(1000000000) * 3600, 1e9}};
    qsl_synthetic *q;
    if (qsl_synthetic_create("bench", n < 1024 ? n : 1024, n < 1024 ? n : 1024, 0, 0, &q))
        return 1;
    double rate[LG_ARRIVAL_COUNT][MAX_ROUNDS];
    for (int k = 0; k < rounds; k++)
        for (int a = 0; a < LG_ARRIVAL_COUNT; a++)
            rate[a][k] = one_run((lg_arrival)a, n, trace, stages, q);
    for (int a = 0; a < LG_ARRIVAL_COUNT; a++) {
        qsort(rate[a], (size_t)rounds, sizeof rate[a][0], cmp_double);
        double med = rate[a][rounds / 2];
        printf("bench_arrival pattern=%s issue_rate=%.0f ns_per_query=%.1f min=%.0f max=%.0f "
               "rounds=%d queries=%llu\n", lg_arrival_name((lg_arrival)a), med,
               med > 0 ? 1e9 / med : 0.0, rate[a][0], rate[a][rounds - 1], rounds,
               (unsigned long long)n);
    }
    qsl_synthetic_destroy(q);
    free(trace);
    return 0;
}
