/* test_scenario.c: the per-scenario table of loadgen/scenario.c (lg__scenario): every
 * scenario has every operation, and the results of the same records follow each
 * scenario's own rules (what min_duration judges, where latencies start, the issue lag)
 * through the table. White-box: no test runs here; records are made by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "loadgen/internal.h"
#include "loadgen/settings_table.h"

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

/* What the rest of the core asks the table instead of naming a scenario: names, the
 * rate setting of lg_settings_warnings and the config reader, early stopping's lines. */
Test(scenario_table, names_rates_and_early_stopping_come_from_the_table, .timeout = 10)
{
    static const char *const names[4] = {"SingleStream", "MultiStream", "Server", "Offline"};
    cr_expect_eq(LG__NSCENARIOS, 4);
    for (int i = 0; i < 4; i++) {
        const lg__scenario_ops *o = lg__scenario(ALL[i]);
        cr_expect_str_eq(lg_scenario_name(ALL[i]), names[i]);
        lg_scenario back = (lg_scenario)-1;
        cr_expect_eq(lg_scenario_parse(names[i], &back), 0);
        cr_expect_eq(back, ALL[i], "%s", names[i]);
        if (o->alias) {
            back = (lg_scenario)-1;
            cr_expect_eq(lg_scenario_parse(o->alias, &back), 0, "%s", o->alias);
            cr_expect_eq(back, ALL[i], "%s", o->alias);
        }
        /* The rate setting is a field of the settings table that applies to the
         * scenario. */
        int f = lg_settings_field_find(o->rate_setting);
        cr_assert_geq(f, 0, "%s: rate setting '%s' is no field", names[i], o->rate_setting);
        cr_expect(lg__fields[f].scen & LG_SCENARIO_BIT(ALL[i]), "%s: %s", names[i],
                  o->rate_setting);
        cr_expect(o->rate_words && o->rate_words[0] && o->min_count_words &&
                  o->min_count_words[0], "%s", names[i]);
        /* The metric is an estimate exactly where it is a latency; early stopping has
         * lines wherever it applies (all but Offline). */
        cr_expect_eq(o->metric_is_estimate, !strcmp(o->metric_unit, "ns"), "%s", names[i]);
        cr_expect_eq(o->early_stopping_text != NULL, ALL[i] != LG_OFFLINE, "%s", names[i]);
    }
    cr_expect_str_eq(lg_scenario_name((lg_scenario)4), "Unknown");
    lg_scenario x;
    cr_expect_eq(lg_scenario_parse("ss", &x), 0);
    cr_expect_eq(x, LG_SINGLE_STREAM);
    cr_expect_eq(lg_scenario_parse("multi-stream", &x), 0);
    cr_expect_eq(x, LG_MULTI_STREAM);
    cr_expect_eq(lg_scenario_parse("sv", &x), LG_EINVAL);
    cr_expect_eq(lg_scenario_parse(NULL, &x), LG_EINVAL);
    cr_expect(lg__scenario(LG_SERVER)->open_loop);
    cr_expect(!lg__scenario(LG_SINGLE_STREAM)->open_loop);
}

/* lg_settings_warnings' text for each scenario, from the table's rate setting and
 * words: the same text as when settings.c named each scenario itself. */
Test(scenario_table, each_scenario_names_its_own_rate_in_the_warning, .timeout = 10)
{
    static const char *const want[4] = {
        "single_stream_expected_latency_ns = 1000000000: the run is expected to take about "
        "100 s (min_query_count queries at this rate), 100x min_duration_ms (1 s); set "
        "single_stream_expected_latency_ns to what the SUT does",
        "multi_stream_expected_latency_ns = 2500000000: the run is expected to take about "
        "250 s (min_query_count queries at this rate), 250x min_duration_ms (1 s); set "
        "multi_stream_expected_latency_ns to what the SUT does",
        "server_target_qps = 1: the run is expected to take about 100 s (min_query_count "
        "queries at this rate), 100x min_duration_ms (1 s); set server_target_qps to what "
        "the SUT does (1 per second is lg_settings_default's stand-in)",
        "offline_expected_qps = 1: the run is expected to take about 100 s (the Offline "
        "query's samples at this rate), 100x min_duration_ms (1 s); set "
        "offline_expected_qps to what the SUT does (1 per second is lg_settings_default's "
        "stand-in)",
    };
    for (int i = 0; i < 4; i++) {
        lg_settings s;
        lg_settings_default(&s);
        s.scenario = ALL[i];
        s.min_duration_ms = 1000;
        s.single_stream_expected_latency_ns = 1e9;
        s.multi_stream_expected_latency_ns = 2.5e9;
        char w[1024];
        cr_expect_eq(lg_settings_warnings(&s, NULL, w, sizeof w), 1);
        cr_expect_str_eq(w, want[i]);
    }
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

/* The token operations (loadgen/tokens.c asks them instead of naming a scenario): every
 * scenario has them; MLPerf needs first tokens everywhere but in Offline, and reports
 * inferred tokens in the two throughput scenarios, with a summary line each. */
Test(scenario_table, every_scenario_has_its_token_operations, .timeout = 10)
{
    for (int i = 0; i < 4; i++) {
        const lg__scenario_ops *o = lg__scenario(ALL[i]);
        const char *name = lg_scenario_name(ALL[i]);
        cr_expect(o->token_early_stopping && o->summary_token_result &&
                      o->summary_token_stats, "%s: a token operation is missing", name);
        cr_expect_eq(o->needs_first_token, ALL[i] != LG_OFFLINE, "%s", name);
        cr_expect_eq(o->inferred_key != NULL, o->summary_inferred != NULL, "%s", name);
        cr_expect_eq(o->inferred_key != NULL, !strcmp(o->metric_unit, "1/s"), "%s", name);
    }
    cr_expect_str_eq(lg__scenario(LG_SERVER)->inferred_key,
                     "result_inferred_completed_tokens_per_second");
    cr_expect_str_eq(lg__scenario(LG_OFFLINE)->inferred_key,
                     "result_inferred_tokens_per_second");
}
