/* test_scenario.c: the per-scenario table of loadgen/scenario.c (lg__scenario): every
 * scenario has every operation, and the results of the same records follow each
 * scenario's own rules (what min_duration judges, where latencies start, the issue lag)
 * through the table. White-box: no test runs here; records are made by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "loadgen/internal.h"

static const lg_scenario ALL[4] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER, LG_OFFLINE};

Test(scenario_table, every_scenario_has_every_operation, .timeout = 10)
{
    for (int i = 0; i < 4; i++) {
        const lg__scenario_ops *o = lg__scenario(ALL[i]);
        cr_assert_not_null(o);
        cr_expect_eq(o->scenario, ALL[i], "entry %d is for scenario %d", i, o->scenario);
        cr_expect(o->metric_name && o->metric_name[0], "%s: metric name",
                  lg_scenario_name(ALL[i]));
        cr_expect(o->metric_unit && (!strcmp(o->metric_unit, "ns") ||
                                     !strcmp(o->metric_unit, "1/s")));
        cr_expect(o->min_duration_advice && o->min_duration_advice[0]);
        cr_expect(o->derive && o->default_timeout_ns && o->expected_samples &&
                      o->buffer_samples && o->warmup_samples && o->issue && o->figures &&
                      o->measured_ns && o->summary_result && o->summary_stats &&
                      o->detail_results,
                  "%s: an operation is missing", lg_scenario_name(ALL[i]));
    }
    /* Latency metrics are in ns, throughput ones per second. */
    cr_expect_str_eq(lg__scenario(LG_SERVER)->metric_unit, "1/s");
    cr_expect_str_eq(lg__scenario(LG_MULTI_STREAM)->metric_unit, "ns");
    cr_expect(lg__scenario(LG_OFFLINE)->one_query);
    cr_expect(lg__scenario(LG_SERVER)->perf_constraint);
    cr_expect(lg__scenario(LG_MULTI_STREAM)->per_query);
}

static lg__eff eff_for(lg_scenario sc, uint64_t min_duration_ms)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.min_duration_ms = min_duration_ms;
    s.min_query_count = 1;
    s.server_target_qps = 1000;
    s.offline_expected_qps = 1000;
    lg_qsl q = {.total_sample_count = 64, .performance_sample_count = 64};
    lg__eff e;
    char msg[256];
    cr_assert_eq(lg__effective(&s, &q, &e, msg, sizeof msg), 0, "%s", msg);
    return e;
}

/* n samples scheduled every 1 ms from origin, issued 2 ms late, answered 100 us after. */
static void fill(lg__store *st, uint64_t n, int64_t origin)
{
    cr_assert_eq(lg__store_init(st), 0);
    for (uint64_t k = 0; k < n; k++) {
        lg__rec *r = lg__store_get(st, k);
        cr_assert_not_null(r);
        st->count++;
        r->scheduled_ns = origin + (int64_t)k * 1000000;
        atomic_store(&r->issued_ns, r->scheduled_ns + 2000000);
        atomic_store(&r->completed_ns, r->scheduled_ns + 2100000);
        r->status = LG_STATUS_OK;
    }
}

/* The last sample is scheduled at 99 ms and issued at 101 ms: a 100 ms minimum is met by
 * the issue time (the streams) but not by the schedule (Server). */
Test(scenario_table, each_scenario_judges_its_own_duration, .timeout = 10)
{
    const int64_t origin = 1000000000;
    lg__store st;
    fill(&st, 100, origin);
    lg__pass_counts c = {.queries = 100, .start_ns = origin};
    lg_results r;
    lg__eff ss = eff_for(LG_SINGLE_STREAM, 100), sv = eff_for(LG_SERVER, 100);
    cr_assert_eq(lg__results(&ss, &st, &c, &r), 0);
    cr_expect_eq(r.final_issue_ns, 101000000);
    cr_expect_not(r.invalid_reasons & LG_INVALID_MIN_DURATION);
    cr_expect_eq(r.issue_lag.count, 100);
    cr_expect_eq(r.issue_lag.max_ns, 2000000);
    cr_assert_eq(lg__results(&sv, &st, &c, &r), 0);
    cr_expect_eq(r.final_scheduled_ns, 99000000);
    cr_expect(r.invalid_reasons & LG_INVALID_MIN_DURATION);
    cr_expect_str_eq(r.metric_name, "result_completed_samples_per_sec");
    lg__store_free(&st);
}

/* Offline: latencies count from the pass's start, and there is no schedule or lag. */
Test(scenario_table, one_query_latencies_count_from_the_start, .timeout = 10)
{
    const int64_t origin = 1000000000;
    lg__store st;
    fill(&st, 10, origin);
    lg__pass_counts c = {.queries = 1, .start_ns = origin};
    lg__eff of = eff_for(LG_OFFLINE, 0);
    lg_results r;
    cr_assert_eq(lg__results(&of, &st, &c, &r), 0);
    cr_expect_eq(r.latency.max_ns, 9 * INT64_C(1000000) + 2100000);
    cr_expect_eq(r.latency.min_ns, 2100000);
    cr_expect_eq(r.final_issue_ns, 0);
    cr_expect_eq(r.final_scheduled_ns, 0);
    cr_expect_eq(r.issue_lag.count, 0);
    cr_expect_not(r.early_stopping.applies);
    cr_expect_str_eq(r.metric_name, "result_samples_per_second");
    lg__store_free(&st);
}
