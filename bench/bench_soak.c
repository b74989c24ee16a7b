/* bench_soak.c: a long run at half the synthetic SUT's capacity, to show that nothing
 * leaks and nothing goes wrong over time. It measures the SUT's capacity with an
 * Offline run, then runs one-minute Server tests back to back in one process for the
 * requested time, printing after each the resident memory and the error counts.
 * Memory after each test must stay flat (the records of a test are freed with it), and
 * inside a test it grows by the 32-byte record per sample only.
 * Not part of `make bench` or CI (it takes 10 minutes by default):
 *   build/bench/bench_soak [--minutes N]                                             */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
    double minutes = 10;
    if (argc == 3 && !strcmp(argv[1], "--minutes"))
        minutes = atof(argv[2]);
    if (!(minutes > 0)) {
        fprintf(stderr, "usage: bench_soak [--minutes N]\n");
        return 2;
    }
    sut_synthetic_config c;
    sut_synthetic_default(&c);
    c.mean_ns = 100000; /* 100 us, 4 workers, exponential, sleeping */
    sut_synthetic *syn;
    qsl_synthetic *q;
    if (sut_synthetic_create(&c, &syn) || qsl_synthetic_create("soak", 4096, 1024, 64, 0, &q))
        return 3;
    lg_sut sut = sut_synthetic_sut(syn);
    lg_qsl qsl = qsl_synthetic_qsl(q);

    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_OFFLINE;
    s.offline_expected_qps = 40000;
    s.min_duration_ms = 5000;
    lg_results r;
    if (lg_run_test(&s, &sut, &qsl, NULL, &r))
        return 3;
    double capacity = r.samples_per_sec;
    printf("bench_soak capacity_samples_per_sec=%.0f\n", capacity);

    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = capacity / 2;
    s.min_duration_ms = 60000;
    int tests = (int)(minutes + 0.5);
    if (tests < 1) {
        tests = 1;
        s.min_duration_ms = (uint64_t)(minutes * 60000);
    }
    long first_rss = 0;
    uint64_t errors = 0;
    for (int i = 0; i < tests; i++) {
        if (lg_run_test(&s, &sut, &qsl, NULL, &r))
            return 3;
        long rss = rss_kb();
        if (i == 0)
            first_rss = rss;
        uint64_t e = r.samples_failed + r.samples_timed_out + r.duplicate_completions +
                     r.unknown_completions;
        errors += e;
        printf("bench_soak test=%d qps=%.0f samples=%llu valid=%d errors=%llu p99_ms=%.3f "
               "rss_kb=%ld\n", i + 1, s.server_target_qps,
               (unsigned long long)r.samples_issued, r.valid, (unsigned long long)e,
               r.latency.p99_ns / 1e6, rss);
        fflush(stdout);
    }
    long growth = rss_kb() - first_rss;
    printf("bench_soak figure=rss_growth_after_first_test value=%ld unit=kB errors=%llu "
           "tests=%d\n", growth, (unsigned long long)errors, tests);
    sut_synthetic_destroy(syn);
    qsl_synthetic_destroy(q);
    return errors ? 1 : 0;
}
