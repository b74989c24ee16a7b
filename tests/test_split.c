/* test_split.c: the core's hooks for distributed runs, without MPI
 * (docs/distributed.md): a schedule split by schedule_stride/schedule_offset issues,
 * over its shares, exactly the whole schedule's queries; start_realtime_ns starts the
 * pass on the wall clock; lg_results_from_records gives a run's own results back from
 * its records; and the settings that cannot be split are refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen/loadgen.h"
#include "tests/testutil.h"

/* Completes every sample inside the issue call, with a fixed status. */
static void now_issue(void *ctx, const lg_sample *samples, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = samples[i].id, .status = LG_STATUS_OK};
        lg_complete(&r, 1);
    }
}

static lg_sut SUT = {.name = "now", .issue = now_issue};
static lg_qsl QSL = {.name = "q", .total_sample_count = 1000,
                     .performance_sample_count = 100};

static void base(lg_settings *s, lg_scenario sc)
{
    lg_settings_default(s);
    s->scenario = sc;
    s->mode = LG_MODE_PERFORMANCE;
    s->server_target_qps = 5000;
    s->offline_expected_qps = 20000;
    s->min_duration_ms = 200;
    s->min_query_count = 50;
    s->schedule_rng_seed = 11;
    s->sample_index_rng_seed = 13;
    s->issue_spin_ns = 0;
}

/* Runs s into tu_tmp/dir and returns its records (*n of them). */
static lg_sample_record *run_into(const lg_settings *s, const char *dir, uint64_t *n,
                                  lg_results *r)
{
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp(dir);
    char path[256];
    snprintf(path, sizeof path, "%s", log.outdir);
    log.outdir = path;
    cr_assert_eq(lg_run_test(s, &SUT, &QSL, &log, r), 0, "%s", lg_last_error());
    char sp[300];
    snprintf(sp, sizeof sp, "%s/samples.bin", path);
    lg_samples_header h;
    lg_sample_record *rec = tu_read_samples(sp, &h);
    *n = h.count;
    return rec;
}

static void union_is_whole(lg_scenario sc)
{
    lg_settings s;
    base(&s, sc);
    lg_results r;
    uint64_t nw;
    lg_sample_record *whole = run_into(&s, "whole", &nw, &r);
    lg_sample_record *part[3];
    uint64_t np[3], total = 0;
    for (uint64_t k = 0; k < 3; k++) {
        lg_settings t = s;
        t.schedule_stride = 3;
        t.schedule_offset = k;
        char dir[16];
        snprintf(dir, sizeof dir, "part%llu", (unsigned long long)k);
        part[k] = run_into(&t, dir, &np[k], &r);
        total += np[k];
    }
    cr_assert_eq(total, nw, "the shares issued %llu samples, the whole run %llu",
                 (unsigned long long)total, (unsigned long long)nw);
    /* Global query g is share g mod 3's record g / 3: same time, same sample. */
    for (uint64_t g = 0; g < nw; g++) {
        const lg_sample_record *x = &part[g % 3][g / 3];
        cr_assert_eq(x->index, whole[g].index, "query %llu", (unsigned long long)g);
        if (sc == LG_SERVER)
            cr_assert_eq(x->scheduled_ns, whole[g].scheduled_ns, "query %llu",
                         (unsigned long long)g);
    }
    for (int k = 0; k < 3; k++)
        free(part[k]);
    free(whole);
}

Test(split, server_shares_issue_exactly_the_whole_schedule, .timeout = 60, TU_TMP)
{
    union_is_whole(LG_SERVER);
}

Test(split, offline_shares_split_the_one_query, .timeout = 60, TU_TMP)
{
    union_is_whole(LG_OFFLINE);
}

Test(split, results_from_records_are_the_run_s_own, .timeout = 60, TU_TMP)
{
    lg_settings s;
    base(&s, LG_SERVER);
    lg_results a, b;
    uint64_t n;
    lg_sample_record *rec = run_into(&s, "run", &n, &a);
    lg_log_settings log;
    lg_log_settings_default(&log);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", tu_in_tmp("again"));
    log.outdir = dir;
    lg_pass_tally t = {.queries = a.queries_issued};
    cr_assert_eq(lg_results_from_records(&s, "now", &QSL, &log, rec, n, &t, &b), 0, "%s",
                 lg_last_error());
    cr_expect_eq(memcmp(&a.latency, &b.latency, sizeof a.latency), 0);
    cr_expect_eq(memcmp(&a.issue_lag, &b.issue_lag, sizeof a.issue_lag), 0);
    cr_expect_eq(memcmp(&a.early_stopping, &b.early_stopping, sizeof a.early_stopping), 0);
    cr_expect_eq(a.samples_completed, b.samples_completed);
    cr_expect_eq(a.queries_issued, b.queries_issued);
    cr_expect_eq(a.duration_ns, b.duration_ns);
    cr_expect_eq(a.metric, b.metric);
    cr_expect_eq(a.valid, b.valid);
    cr_expect_eq(a.invalid_reasons, b.invalid_reasons);
    char p[300];
    snprintf(p, sizeof p, "%s/mlperf_log_summary.txt", dir);
    cr_expect(tu_exists(p));
    snprintf(p, sizeof p, "%s/results.json", dir);
    cr_expect(tu_exists(p));
    /* A tally that says the pass was cut short, with an error line: INVALID, aborted. */
    const char *errs[] = {"rank 2 sent nothing"};
    lg_pass_tally cut = {.queries = a.queries_issued, .aborted = true, .errors = errs,
                         .nerrors = 1};
    cr_assert_eq(lg_results_from_records(&s, "now", &QSL, NULL, rec, n, &cut, &b), 0);
    cr_expect(!b.valid);
    cr_expect(b.aborted);
    cr_expect_eq(b.errors_logged, 1);
    /* What it refuses. */
    lg_settings acc = s;
    acc.mode = LG_MODE_ACCURACY;
    cr_expect_eq(lg_results_from_records(&acc, "now", &QSL, NULL, rec, n, NULL, &b), LG_EINVAL);
    cr_expect(strstr(lg_last_error(), "PerformanceOnly") != NULL, "%s", lg_last_error());
    cr_expect_eq(lg_results_from_records(&s, "now", &QSL, NULL, NULL, n, NULL, &b), LG_EINVAL);
    free(rec);
}

static int64_t wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

Test(split, the_pass_starts_at_start_realtime_ns, .timeout = 60, TU_TMP)
{
    lg_settings s;
    base(&s, LG_SERVER);
    s.min_duration_ms = 50;
    s.start_realtime_ns = wall() + 300000000;
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &SUT, &QSL, NULL, &r), 0, "%s", lg_last_error());
    int64_t late = r.start_realtime_ns - s.start_realtime_ns;
    cr_expect(late >= 0 && late < 5000000, "started %lld ns after start_realtime_ns",
              (long long)late);
    cr_expect_eq(r.warnings_logged, 0);
    /* A time already past: at once, with a warning. */
    s.start_realtime_ns = wall() - 1000000000;
    int64_t before = wall();
    cr_assert_eq(lg_run_test(&s, &SUT, &QSL, NULL, &r), 0);
    cr_expect_lt(r.start_realtime_ns - before, 100000000);
    cr_expect_eq(r.warnings_logged, 1);
}

Test(split, refuses_what_cannot_be_split, .timeout = 10)
{
    lg_settings s;
    char msg[256];
    base(&s, LG_SERVER);
    s.schedule_stride = 2;
    s.schedule_offset = 2;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "schedule_offset") != NULL, "%s", msg);
    s.schedule_offset = 1;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), 0, "%s", msg);
    s.server_coalesce_queries = true;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    /* A share is issued by one thread: several issue threads are refused by name. */
    s.server_coalesce_queries = false;
    s.server_num_issue_query_threads = 2;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "server_num_issue_query_threads") != NULL, "%s", msg);
    base(&s, LG_SINGLE_STREAM);
    s.schedule_stride = 2;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "Server and Offline only") != NULL, "%s", msg);
    base(&s, LG_OFFLINE);
    s.schedule_stride = 2;
    s.mode = LG_MODE_SUBMISSION;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    base(&s, LG_SERVER);
    s.schedule_offset = 1;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    base(&s, LG_SERVER);
    s.start_realtime_ns = -1;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
}
