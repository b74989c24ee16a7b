/* test_results.c: the results of a pass as a pure function of its records, its counts
 * and the effective settings (lg__results): no test runs here; records are made by
 * hand and the figures checked against MLPerf's rules. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/internal.h"

/* n SingleStream queries, one every 1 ms from 0, each answered in (k % 10 + 1) x 100 us. */
static void fill_single_stream(lg__store *st, uint64_t n, int64_t origin)
{
    cr_assert_eq(lg__store_init(st), 0);
    for (uint64_t k = 0; k < n; k++) {
        lg__rec *r = lg__store_get(st, k);
        cr_assert_not_null(r);
        st->count++;
        r->scheduled_ns = origin + (int64_t)k * 1000000;
        atomic_store(&r->issued_ns, r->scheduled_ns);
        atomic_store(&r->completed_ns, r->scheduled_ns + (int64_t)(k % 10 + 1) * 100000);
        r->index = (uint32_t)(k % 7);
        r->status = LG_STATUS_OK;
    }
}

static lg__eff single_stream_eff(uint64_t min_queries)
{
    lg_settings s;
    lg_settings_default(&s);
    s.min_duration_ms = 0;
    s.min_query_count = min_queries;
    lg_qsl q = {.total_sample_count = 64, .performance_sample_count = 64};
    lg__eff e;
    char msg[256];
    cr_assert_eq(lg__effective(&s, &q, &e, msg, sizeof msg), 0, "%s", msg);
    return e;
}

Test(results, figures_come_from_records_and_counts_alone, .timeout = 10)
{
    const int64_t origin = 5000000000;
    lg__store st;
    fill_single_stream(&st, 1000, origin);
    lg__eff e = single_stream_eff(1000);
    lg__pass_counts c = {.queries = 1000, .start_ns = origin};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_eq(r.samples_issued, 1000);
    cr_expect_eq(r.samples_completed, 1000);
    cr_expect_eq(r.latency.count, 1000);
    /* Latencies 100..1000 us, a hundred of each: MLPerf's sorted[floor(n * p)]. */
    cr_expect_eq(r.latency.min_ns, 100000);
    cr_expect_eq(r.latency.max_ns, 1000000);
    cr_expect_eq(r.latency.p50_ns, 600000);
    cr_expect_eq(r.latency.p90_ns, 1000000);
    cr_expect_eq(r.latency.mean_ns, 550000);
    cr_expect_eq(r.final_issue_ns, 999 * INT64_C(1000000));
    cr_expect_str_eq(r.metric_name, "early_stopping_latency_ss");
    cr_expect(r.valid, "reasons 0x%x", r.invalid_reasons);
    /* Pure: the same inputs give the same figures, and the records are unchanged. */
    lg_results again;
    cr_assert_eq(lg__results(&e, &st, &c, &again), 0);
    cr_expect_eq(memcmp(&r, &again, sizeof r), 0);
    cr_expect_eq(atomic_load(&lg__store_at(&st, 17)->completed_ns),
                 origin + 17 * INT64_C(1000000) + 800000);
    lg__store_free(&st);
}

Test(results, counts_alone_decide_the_reasons_they_carry, .timeout = 10)
{
    const int64_t origin = 1000;
    lg__store st;
    fill_single_stream(&st, 200, origin);
    lg__eff e = single_stream_eff(100);
    lg__pass_counts c = {.queries = 200, .start_ns = origin, .duplicates = 2,
                         .accuracy_dropped = 3, .ended_abort = true};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_not(r.valid);
    cr_expect(r.invalid_reasons & LG_INVALID_COMPLETION_ERRORS);
    cr_expect(r.invalid_reasons & LG_INVALID_OUT_OF_MEMORY);
    cr_expect(r.invalid_reasons & LG_INVALID_ABORTED);
    cr_expect(r.aborted);
    cr_expect_eq(r.duplicate_completions, 2);
    cr_expect_eq(r.accuracy_samples_dropped, 3);
    /* A sample never completed counts as timed out, whatever the counts say. */
    atomic_store(&lg__store_at(&st, 5)->completed_ns, LG__TIMED_OUT);
    lg__pass_counts clean = {.queries = 200, .start_ns = origin};
    cr_assert_eq(lg__results(&e, &st, &clean, &r), 0);
    cr_expect_eq(r.samples_timed_out, 1);
    cr_expect_eq(r.samples_completed, 199);
    cr_expect(r.invalid_reasons & LG_INVALID_TIMED_OUT);
    lg__store_free(&st);
}

/* Field by field: the struct has padding after block_records. */
static bool same_header(const lg_samples_header *a, const lg_samples_header *b)
{
    return a->version == b->version && a->record_size == b->record_size &&
           a->count == b->count && a->samples_per_query == b->samples_per_query &&
           a->start_ns == b->start_ns && a->scenario == b->scenario && a->mode == b->mode &&
           a->block_records == b->block_records;
}

/* samples.bin's layout is little-endian on every host: the bytes are checked one by one,
 * so this test would catch a big-endian host writing its native order. */
Test(samples_format, header_and_record_are_little_endian_bytes, .timeout = 10)
{
    lg_samples_header h = {1, LG_SAMPLES_RECORD_BYTES, 0x0102030405060708, 8, -2,
                           LG_SERVER, LG_MODE_PERFORMANCE, 0};
    unsigned char b[LG_SAMPLES_HEADER_BYTES];
    lg_samples_header_encode(&h, b);
    cr_expect_eq(memcmp(b, "LGSAMPL1", 8), 0);
    static const unsigned char want[] = {1, 0, 0, 0, 32, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
    cr_expect_eq(memcmp(b + 8, want, sizeof want), 0);
    cr_expect_eq(b[32], 0xfe, "start_ns -2, low byte first");
    for (int i = 33; i < 40; i++)
        cr_expect_eq(b[i], 0xff, "start_ns -2 byte %d", i);
    cr_expect_eq(b[40], LG_SERVER);
    cr_expect_eq(b[44], LG_MODE_PERFORMANCE);
    for (int i = 48; i < 64; i++)
        cr_expect_eq(b[i], 0, "reserved byte %d", i);
    lg_samples_header back;
    cr_assert_eq(lg_samples_header_decode(b, &back), 0);
    cr_expect(same_header(&back, &h));
    b[12] = 31; /* another record size */
    cr_expect_eq(lg_samples_header_decode(b, &back), LG_EINVAL);

    /* Version 3 (as 2): record size 0, the block size at 48, zeros after it. */
    h = (lg_samples_header){LG_SAMPLES_VERSION, 0, 5, 1, 7, LG_OFFLINE, LG_MODE_ACCURACY,
                            0x00010000};
    lg_samples_header_encode(&h, b);
    static const unsigned char want2[] = {3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0};
    cr_expect_eq(memcmp(b + 8, want2, sizeof want2), 0);
    static const unsigned char blk[] = {0, 0, 1, 0};
    cr_expect_eq(memcmp(b + 48, blk, 4), 0);
    for (int i = 52; i < 64; i++)
        cr_expect_eq(b[i], 0, "reserved byte %d", i);
    cr_assert_eq(lg_samples_header_decode(b, &back), 0);
    cr_expect(same_header(&back, &h));
    b[60] = 1; /* a reserved byte */
    cr_expect_eq(lg_samples_header_decode(b, &back), LG_EINVAL);
    b[60] = 0;
    b[50] = 2; /* 2^17 records a block: above the limit */
    cr_expect_eq(lg_samples_header_decode(b, &back), LG_EINVAL);
    b[50] = 0;
    b[12] = 32; /* version 2 has no fixed record size */
    cr_expect_eq(lg_samples_header_decode(b, &back), LG_EINVAL);
    b[12] = 0;
    b[8] = 4; /* an unknown version */
    cr_expect_eq(lg_samples_header_decode(b, &back), LG_EINVAL);

    lg_sample_record r = {100, 200, -1, 0xA1B2C3D4, -7, 0, 0, 0};
    unsigned char rb[LG_SAMPLES_RECORD_BYTES];
    lg_sample_record_encode(&r, rb);
    cr_expect_eq(rb[0], 100);
    cr_expect_eq(rb[8], 200);
    cr_expect_eq(rb[16], 0xff);
    cr_expect_eq(rb[24], 0xD4);
    cr_expect_eq(rb[27], 0xA1);
    cr_expect_eq(rb[28], 0xf9);
    lg_sample_record rback;
    lg_sample_record_decode(rb, &rback);
    cr_expect_eq(memcmp(&rback, &r, sizeof r), 0);
}

/* results.json's counts and latency objects are written and read back from the one list
 * (loadgen/results_fields.h): every field of a real run survives the round trip. */
#include <stdlib.h>

#include "loadgen/results_fields.h"
#include "report/run.h"

static void echo_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id, .status = i % 5 == 0};
        lg_complete(&r, 1);
        if (i % 7 == 0)
            lg_complete(&r, 1); /* a duplicate, to make that count non-zero */
    }
}

Test(results_json, every_listed_field_survives_the_round_trip, .timeout = 60)
{
    char dir[] = "/tmp/lg-results-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = 20000;
    s.min_duration_ms = 100;
    s.warmup_duration_ms = 20;
    lg_sut sut = {.name = "echo", .issue = echo_issue};
    lg_qsl q = {.name = "q", .total_sample_count = 64, .performance_sample_count = 64};
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = dir;
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &q, &log, &r), 0, "%s", lg_last_error());
    rpt_run *run;
    char err[256];
    cr_assert_eq(rpt_run_load(dir, &run, err, sizeof err), 0, "%s", err);
    const lg_results *b = &rpt_run_get_info(run)->results;
#define X(key, member) cr_expect_eq(b->member, r.member, "counts." key);
    LG_RESULTS_COUNTS(X)
#undef X
#define X(key, member) cr_expect_eq(b->latency.member, r.latency.member, "latency_ns." key);
    LG_RESULTS_LATENCY(X)
#undef X
    cr_expect_gt(r.duplicate_completions, 0);
    cr_expect_gt(r.samples_failed, 0);
    cr_expect_gt(r.warmup_queries, 0);
    rpt_run_destroy(run);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* The one-screen text of results made by hand: the Server reason names the failed and
 * timed-out samples (they count as over the bound, the percentiles do not hold them),
 * and says "missed" without naming them as the only cause when answered samples were
 * over the bound too. */
Test(results_text, invalid_reason_names_the_samples_that_count_as_over_the_bound,
     .timeout = 10)
{
    lg_results r;
    memset(&r, 0, sizeof r);
    r.scenario = LG_SERVER;
    r.mode = LG_MODE_PERFORMANCE;
    r.invalid_reasons = LG_INVALID_PERF_CONSTRAINT | LG_INVALID_TIMED_OUT;
    r.metric_name = "result_completed_samples_per_sec";
    r.metric_unit = "1/s";
    r.samples_timed_out = 17;
    r.overlatency_count = 17;
    char buf[320];
    const char *t = lg_invalid_reason_describe(&r, LG_INVALID_PERF_CONSTRAINT, buf, sizeof buf);
    cr_expect_str_eq(t, "the latency bound was missed: 17 timed-out samples count as over it "
                        "(the percentiles cover answered samples only; those are within the "
                        "bound)");
    r.samples_failed = 3;
    r.overlatency_count = 40;
    t = lg_invalid_reason_describe(&r, LG_INVALID_PERF_CONSTRAINT, buf, sizeof buf);
    cr_expect_str_eq(t, "the latency bound was missed: 40 samples over it, 17 timed-out and 3 "
                        "failed samples among them (those count as over the bound; the "
                        "percentiles cover answered samples only)");
    /* Without lost samples, and for other reasons, the plain text. */
    r.samples_failed = r.samples_timed_out = 0;
    cr_expect_str_eq(lg_invalid_reason_describe(&r, LG_INVALID_PERF_CONSTRAINT, buf, sizeof buf),
                     lg_invalid_reason_text(LG_INVALID_PERF_CONSTRAINT));
    cr_expect_str_eq(lg_invalid_reason_describe(&r, LG_INVALID_TIMED_OUT, buf, sizeof buf),
                     lg_invalid_reason_text(LG_INVALID_TIMED_OUT));
    cr_expect_eq(lg_invalid_reason_describe(&r, LG_INVALID_TIMED_OUT, NULL, 0),
                 lg_invalid_reason_text(LG_INVALID_TIMED_OUT));
    char text[2048];
    r.samples_timed_out = 5;
    r.overlatency_count = 5;
    lg_results_format(&r, text, sizeof text);
    cr_expect(strstr(text, "  - the latency bound was missed: 5 timed-out samples count as "
                           "over it"), "%s", text);
}

/* SingleStream/MultiStream: no estimate without early stopping ("n/a", never "0 ns"), a
 * note when the estimate is the maximum; an accuracy run: counts only. */
Test(results_text, metric_line_and_accuracy_counts, .timeout = 10)
{
    lg_results r;
    memset(&r, 0, sizeof r);
    r.scenario = LG_MULTI_STREAM;
    r.mode = LG_MODE_PERFORMANCE;
    r.metric_name = "early_stopping_latency_ms";
    r.metric_unit = "ns";
    r.early_stopping = (lg_early_stopping){.applies = true, .met = false, .percentile = 0.99,
                                           .queries = 100, .min_queries = 662};
    char text[2048];
    lg_results_format(&r, text, sizeof text);
    cr_expect(strstr(text, "  metric   early_stopping_latency_ms = n/a (early stopping needs "
                           "662 queries, the run had 100)\n"), "%s", text);
    r.early_stopping.met = true;
    r.early_stopping.queries = 769;
    r.early_stopping.overlatency = 1;
    r.metric = 16505000;
    r.query_latency.count = 769;
    r.query_latency.max_ns = 16505000;
    lg_results_format(&r, text, sizeof text);
    cr_expect(strstr(text, "= 16.51 ms (16505000 ns)\n           = the maximum: with 769 "
                           "queries early stopping discards none"), "%s", text);
    r.query_latency.max_ns = 20000000; /* the estimate below the maximum: no note */
    lg_results_format(&r, text, sizeof text);
    cr_expect(!strstr(text, "the maximum"), "%s", text);

    r.mode = LG_MODE_ACCURACY;
    r.samples_issued = r.samples_completed = r.accuracy_samples_logged = 1024;
    r.duration_ns = 301000000;
    lg_results_format(&r, text, sizeof text);
    cr_expect(strstr(text, "\n  duration 301.0 ms\n"), "durations are lg_format_ns's: %s",
              text);
    cr_expect(strstr(text, "  accuracy: 1024 samples issued, 1024 completed, 0 failed, 0 "
                           "timed out; 1024 responses logged"), "%s", text);
    cr_expect(!strstr(text, "metric"), "%s", text);
}

/* ---- token figures from records made by hand ---------------------------------------- */

/* One sample of a token pass, times relative to the pass's start: its schedule (and issue),
 * first token (0: none), completion, send time (0: unknown), n_tokens and status. */
typedef struct tok_spec {
    int64_t sched, first, done, sent, n;
    int32_t status;
} tok_spec;

#define ORIGIN INT64_C(7000000000)

/* A store with token data holding the samples v[0..n-1]. */
static void fill_tokens(lg__store *st, const tok_spec *v, size_t n)
{
    cr_assert_eq(lg__store_init(st), 0);
    cr_assert_eq(lg__store_enable_tokens(st), 0);
    for (size_t k = 0; k < n; k++) {
        lg__rec *r = lg__store_get(st, k);
        cr_assert_not_null(r);
        st->count++;
        r->scheduled_ns = ORIGIN + v[k].sched;
        atomic_store(&r->issued_ns, ORIGIN + v[k].sched);
        atomic_store(&r->completed_ns, v[k].done ? ORIGIN + v[k].done : LG__TIMED_OUT);
        r->index = (uint32_t)k;
        r->status = v[k].status;
        lg__tok *t = lg__store_tok_at(st, k);
        atomic_store(&t->first_ns, v[k].first ? ORIGIN + v[k].first : 0);
        t->n_tokens = v[k].n;
        t->sent_ns = v[k].sent ? ORIGIN + v[k].sent : 0;
    }
}

/* The effective settings of s (a 64-sample QSL), with min_duration 0 and few queries. */
static lg__eff eff_of(lg_settings *s)
{
    s->min_duration_ms = 0;
    s->min_query_count = 1;
    lg_qsl q = {.total_sample_count = 64, .performance_sample_count = 64};
    lg__eff e;
    char msg[256];
    cr_assert_eq(lg__effective(s, &q, &e, msg, sizeof msg), 0, "%s", msg);
    return e;
}

static lg_settings token_settings(lg_scenario sc)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.use_token_latencies = true;
    s.server_target_latency_ns = 0; /* as MLPerf's LLM benchmarks: TTFT and TPOT judge */
    return s;
}

/* MLPerf's TPOT, (latency - TTFT) / (n_tokens - 1) in integer division, and its value for
 * a count below 2 (it divides by 0 - 1), each with the error count MLPerf logs. */
Test(token_results, tpot_is_mlperfs_integer_division_and_its_value_below_2_tokens,
     .timeout = 10)
{
    const tok_spec v[] = {
        {.sched = 1000, .first = 1010, .done = 1110, .n = 11}, /* 100 / 10 = 10 */
        {.sched = 2000, .first = 2005, .done = 2106, .n = 4},  /* 101 / 3 = 33 (33.7) */
        {.sched = 3000, .first = 3040, .done = 3100, .n = 1},  /* MLPerf: 60 / -1 */
        {.sched = 4000, .first = 4030, .done = 4100, .n = 0},  /* 70 / -1 */
        {.sched = 5000, .first = 5020, .done = 5100, .n = -3}, /* 80 / -1 */
        {.sched = 6000, .first = 6001, .done = 6008, .n = 8},  /* 7 / 7 = 1 */
    };
    lg__store st;
    fill_tokens(&st, v, 6);
    lg_settings s = token_settings(LG_SERVER);
    lg__eff e = eff_of(&s);
    lg__pass_counts c = {.queries = 6, .start_ns = ORIGIN};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    const lg_token_results *k = &r.tokens;
    cr_expect(k->applies && k->mlperf);
    cr_expect_str_eq(k->count_source, "sut");
    cr_expect_eq(k->tpot.count, 6);
    /* Sorted: -80 -70 -60 1 10 33. */
    cr_expect_eq(k->tpot.min_ns, -80);
    cr_expect_eq(k->tpot.max_ns, 33);
    cr_expect_eq(k->tpot.p50_ns, 1, "sorted[floor(6 * 0.5)] = sorted[3]");
    cr_expect_eq(k->tpot.mean_ns, (-80 - 70 - 60 + 1 + 10 + 33) / 6);
    cr_expect_eq(k->ttft.min_ns, 1);
    cr_expect_eq(k->ttft.max_ns, 40);
    cr_expect_eq(k->n_tokens_one, 1);
    cr_expect_eq(k->n_tokens_zero, 1);
    cr_expect_eq(k->n_tokens_negative, 1);
    cr_expect_eq(k->token_count, 11 + 4 + 8, "MLPerf counts n_tokens < 2 as 0");
    cr_expect_eq(k->output_tokens, 11 + 4 + 1 + 8, "ours: every positive count");
    cr_expect_eq(k->samples_with_tokens, 5);
    cr_expect(r.invalid_reasons & LG_INVALID_TOKEN_ERRORS, "MLPerf's errors make it INVALID");
    /* Outside MLPerf's mode (an SLO records tokens), a count below 2 has no TPOT. */
    s.use_token_latencies = false;
    s.server_target_latency_ns = 1000000;
    s.slo_e2e_ns = 1000000;
    e = eff_of(&s);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect(k->applies && !k->mlperf);
    cr_expect_eq(k->tpot.count, 3);
    cr_expect_eq(k->tpot.min_ns, 1);
    cr_expect_not(r.invalid_reasons & LG_INVALID_TOKEN_ERRORS, "0x%x", r.invalid_reasons);
    lg__store_free(&st);
}

/* 100 samples, TTFT (k + 1) us, TPOT 600 ns: MLPerf's percentiles sorted[floor(n p)], the
 * integer mean, and the from-send TTFT against the send time or the issue time. */
Test(token_results, ttft_and_tpot_percentiles_follow_mlperfs_rule, .timeout = 10)
{
    tok_spec v[100];
    for (int k = 0; k < 100; k++) {
        int64_t t0 = (int64_t)k * 1000000, n = 2 + k % 3, ttft = (int64_t)(k + 1) * 1000;
        /* A remainder below n - 1: the integer division drops it. */
        v[k] = (tok_spec){.sched = t0, .first = t0 + ttft,
                          .done = t0 + ttft + 600 * (n - 1) + (n > 2 ? k % 2 : 0), .n = n,
                          .sent = k % 2 ? t0 + 300 : 0};
    }
    lg__store st;
    fill_tokens(&st, v, 100);
    lg_settings s = token_settings(LG_SERVER);
    s.server_ttft_latency_ns = 100000;
    s.server_tpot_latency_ns = 600;
    lg__eff e = eff_of(&s);
    lg__pass_counts c = {.queries = 100, .start_ns = ORIGIN};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    const lg_token_results *k = &r.tokens;
    cr_expect_eq(k->ttft.count, 100);
    cr_expect_eq(k->ttft.p50_ns, 51000);
    cr_expect_eq(k->ttft.p90_ns, 91000);
    cr_expect_eq(k->ttft.p99_ns, 100000);
    cr_expect_eq(k->ttft.target_ns, 100000, "at 0.99");
    cr_expect_eq(k->ttft.mean_ns, 50500);
    cr_expect_eq(k->tpot.min_ns, 600);
    cr_expect_eq(k->tpot.max_ns, 600);
    /* From the send time: 300 ns less for odd samples, the issue time (= scheduled here)
     * for the others. */
    cr_expect_eq(k->ttft_from_send.min_ns, 1000);
    cr_expect_eq(k->ttft_from_send.max_ns, 99700);
    cr_expect_eq(k->latency_from_send.count, 100);
    /* Both bounds hold (<=), so the Server constraint is met though the plain bound is 0. */
    cr_expect(k->ttft_constraint_met && k->tpot_constraint_met);
    cr_expect_not(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT, "0x%x", r.invalid_reasons);
    /* One nanosecond tighter and each flips. */
    s.server_ttft_latency_ns = 99999;
    e = eff_of(&s);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_not(k->ttft_constraint_met);
    cr_expect(k->tpot_constraint_met);
    cr_expect(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    s.server_ttft_latency_ns = 100000;
    s.server_tpot_latency_ns = 599;
    e = eff_of(&s);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect(k->ttft_constraint_met);
    cr_expect_not(k->tpot_constraint_met);
    cr_expect(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    char why[320];
    cr_expect_str_eq(lg_invalid_reason_describe(&r, LG_INVALID_PERF_CONSTRAINT, why,
                                                sizeof why),
                     "TPOT at the target percentile is over server_tpot_latency_ns (token "
                     "mode)");
    /* Outside token mode the plain latency bound judges again. */
    s.use_token_latencies = false;
    s.server_target_latency_ns = 1;
    s.slo_ttft_ns = 1;
    e = eff_of(&s);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    cr_expect(k->ttft_constraint_met, "not judged outside token mode");
    lg__store_free(&st);
}

/* Server token mode: early stopping on TPOT, then TTFT only when TPOT's was met; every
 * sample over a bound counts (strictly greater, as MLPerf). */
Test(token_results, server_early_stopping_is_tpot_then_ttft, .timeout = 10)
{
    enum { N = 1000 };
    tok_spec *v = calloc(N, sizeof *v);
    for (int k = 0; k < N; k++)
        v[k] = (tok_spec){.sched = (int64_t)k * 1000, .first = (int64_t)k * 1000 + 100,
                          .done = (int64_t)k * 1000 + 100 + 9 * 50, .n = 10};
    lg__store st;
    fill_tokens(&st, v, N);
    lg_settings s = token_settings(LG_SERVER);
    s.server_ttft_latency_ns = 100; /* TTFT 100: not over (strictly greater counts) */
    s.server_tpot_latency_ns = 50;
    lg__eff e = eff_of(&s);
    lg__pass_counts c = {.queries = N, .start_ns = ORIGIN};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    const lg_token_results *k = &r.tokens;
    cr_expect(k->tpot_early_stopping.applies && k->tpot_early_stopping.met);
    cr_expect(k->ttft_early_stopping.applies && k->ttft_early_stopping.met);
    cr_expect_eq(k->tpot_early_stopping.overlatency, 0);
    cr_expect_eq(k->tpot_early_stopping.min_queries, 459, "h(0) + 0 at p99");
    cr_expect(r.early_stopping.met);
    /* Three TTFTs over: 1000 queries < h(3) + 3 = 1001, one more needed. */
    for (int i = 0; i < 3; i++)
        atomic_store(&lg__store_tok_at(&st, (uint64_t)i)->first_ns,
                     ORIGIN + (int64_t)i * 1000 + 101);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect(k->tpot_early_stopping.met);
    cr_expect_not(k->ttft_early_stopping.met);
    cr_expect_eq(k->ttft_early_stopping.overlatency, 3);
    cr_expect_eq(k->ttft_early_stopping.more_queries_needed, 1);
    cr_expect_not(r.early_stopping.met);
    cr_expect_eq(r.early_stopping.more_queries_needed, 1, "the last one evaluated: TTFT's");
    cr_expect(r.invalid_reasons & LG_INVALID_EARLY_STOPPING);
    /* TPOT over too (those three now have TPOT (550 - 101) / 9 = 49; make five others
     * 51): TPOT fails first and TTFT is not evaluated. */
    for (int i = 10; i < 15; i++)
        atomic_store(&lg__store_at(&st, (uint64_t)i)->completed_ns,
                     ORIGIN + (int64_t)i * 1000 + 100 + 9 * 51);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_not(k->tpot_early_stopping.met);
    cr_expect_eq(k->tpot_early_stopping.overlatency, 5);
    cr_expect_not(k->ttft_early_stopping.applies, "MLPerf stops at TPOT's failure");
    cr_expect_not(r.early_stopping.met);
    cr_expect_eq(r.early_stopping.overlatency, 5, "TPOT's, the last one evaluated");
    /* A failed sample (no TTFT, no TPOT) counts as over both. */
    lg__store_at(&st, 10)->status = 5;
    for (int i = 11; i < 15; i++)
        atomic_store(&lg__store_at(&st, (uint64_t)i)->completed_ns,
                     ORIGIN + (int64_t)i * 1000 + 550);
    for (int i = 0; i < 3; i++)
        atomic_store(&lg__store_tok_at(&st, (uint64_t)i)->first_ns,
                     ORIGIN + (int64_t)i * 1000 + 100);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_eq(k->tpot_early_stopping.overlatency, 1);
    cr_expect_eq(k->ttft_early_stopping.overlatency, 1);
    lg__store_free(&st);
    free(v);
}

/* SingleStream token mode: the early-stopping estimates of TPOT and TTFT on their sorted
 * arrays; the run's estimate (MLPerf's early_stopping_latency_ss, the metric) is TTFT's. */
Test(token_results, single_stream_estimates_are_ttfts_and_tpots, .timeout = 10)
{
    tok_spec v[100];
    for (int k = 0; k < 100; k++) {
        int64_t t0 = (int64_t)k * 1000000, ttft = 1000 + (int64_t)((k * 37) % 100) * 10;
        v[k] = (tok_spec){.sched = t0, .first = t0 + ttft,
                          .done = t0 + ttft + (int64_t)(k + 1) * 4, .n = 5};
    }
    lg__store st;
    fill_tokens(&st, v, 100);
    lg_settings s = token_settings(LG_SINGLE_STREAM);
    s.server_target_latency_ns = 100000000;
    lg__eff e = eff_of(&s);
    lg__pass_counts c = {.queries = 100, .start_ns = ORIGIN};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    const lg_token_results *k = &r.tokens;
    /* n = 100 at p90: t = 3, the estimate is sorted[97] (discard 2). TTFTs 1000..1990 by
     * 10; TPOTs (k + 1) * 4 / 4 = 1..100. */
    cr_expect(k->ttft_early_stopping.met && k->tpot_early_stopping.met);
    cr_expect_eq(k->ttft_early_stopping.overlatency, 3);
    cr_expect_eq(k->ttft_early_stopping.estimate_ns, 1970);
    cr_expect_eq(k->tpot_early_stopping.estimate_ns, 98);
    cr_expect_eq(k->ttft_early_stopping.estimate99_ns, 0, "100 < 662 queries");
    cr_expect_eq(r.early_stopping.estimate_ns, 1970);
    cr_expect_eq(r.metric, 1970.0);
    /* Too few samples: neither is met, and the estimate is 0 as MLPerf leaves it. */
    st.count = 50;
    c.queries = 50;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_not(r.early_stopping.met);
    cr_expect_not(k->tpot_early_stopping.met);
    cr_expect_not(k->ttft_early_stopping.applies);
    cr_expect_eq(r.metric, 0.0);
    st.count = 100;
    lg__store_free(&st);
}

/* Missing first tokens (an error where MLPerf needs them, not Offline), first tokens after
 * completion found in the records, and the counts lg_first_token made. */
Test(token_results, missing_and_late_first_tokens_are_counted, .timeout = 10)
{
    const tok_spec v[] = {
        {.sched = 0, .first = 10, .done = 100, .n = 3},
        {.sched = 1000, .first = 0, .done = 1100, .n = 3},    /* no first token */
        {.sched = 2000, .first = 2200, .done = 2100, .n = 3}, /* after its completion */
        {.sched = 3000, .first = 3010, .done = 0, .n = 0},    /* timed out */
    };
    lg__store st;
    fill_tokens(&st, v, 4);
    lg_settings s = token_settings(LG_SERVER);
    lg__eff e = eff_of(&s);
    lg__pass_counts c = {.queries = 4, .start_ns = ORIGIN, .first_token_duplicates = 2,
                         .first_token_unknown = 3, .first_token_late = 1,
                         .first_tokens_ignored = 0};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    const lg_token_results *k = &r.tokens;
    cr_expect_eq(k->missing_first_token, 2);
    cr_expect_eq(k->first_token_late, 2, "one counted live, one found in the records");
    cr_expect_eq(k->first_token_duplicates, 2);
    cr_expect_eq(k->first_token_unknown, 3);
    cr_expect_eq(k->ttft.count, 1);
    cr_expect(r.invalid_reasons & LG_INVALID_TOKEN_ERRORS);
    /* Offline needs no first token: only the counts lg_first_token made invalidate. */
    lg_settings o = token_settings(LG_OFFLINE);
    e = eff_of(&o);
    c = (lg__pass_counts){.queries = 1, .start_ns = ORIGIN};
    const tok_spec w[] = {{.done = 500, .n = 7}, {.done = 800, .n = 9}};
    lg__store_free(&st);
    fill_tokens(&st, w, 2);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_eq(k->missing_first_token, 2);
    cr_expect_not(r.invalid_reasons & LG_INVALID_TOKEN_ERRORS, "0x%x", r.invalid_reasons);
    cr_expect_eq(k->ttft.count, 0);
    /* MLPerf's Offline tokens/s: tokens over the longest latency. */
    cr_expect_eq(k->token_count, 16);
    cr_expect_eq(k->tokens_per_sec, 16.0 / (800e-9));
    cr_expect(k->ttft_early_stopping.met && k->tpot_early_stopping.met);
    lg__store_free(&st);
}

/* Goodput: good = completed OK and every SLO set holds; a 1-token output's TPOT counts as
 * 0; rates over the run's duration. */
Test(token_results, goodput_counts_requests_meeting_every_slo, .timeout = 10)
{
    const tok_spec v[] = {
        {.sched = 0, .first = 100, .done = 1000, .n = 10},      /* TPOT 100: good */
        {.sched = 1000, .first = 1300, .done = 2000, .n = 8},   /* TTFT 300: bad */
        {.sched = 2000, .first = 2100, .done = 4000, .n = 10},  /* TPOT 211: bad */
        {.sched = 4000, .first = 4100, .done = 4900, .n = 1},   /* 1 token: TPOT 0, good */
        {.sched = 5000, .first = 0, .done = 5500, .n = 4},      /* no first token: bad */
        {.sched = 6000, .first = 6100, .done = 7000, .n = 10, .status = 3}, /* failed */
        {.sched = 8000, .first = 8050, .done = 10000, .n = 20}, /* e2e 2000: good (<=) */
    };
    lg__store st;
    fill_tokens(&st, v, 7);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.slo_ttft_ns = 200;
    s.slo_tpot_ns = 150;
    s.slo_e2e_ns = 2000;
    lg__eff e = eff_of(&s);
    lg__pass_counts c = {.queries = 7, .start_ns = ORIGIN};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    const lg_token_results *k = &r.tokens;
    cr_expect(k->applies && k->slo_applies && !k->mlperf);
    cr_expect_eq(k->good_requests, 3);
    cr_expect_eq(k->good_tokens, 10 + 1 + 20);
    cr_expect_eq(r.duration_ns, 10000);
    cr_expect_eq(k->request_goodput, 3 / 10000e-9);
    cr_expect_eq(k->token_goodput, 31 / 10000e-9);
    cr_expect_eq(k->output_tokens, 10 + 8 + 10 + 1 + 4 + 20, "successful samples only");
    cr_expect_eq(k->output_tokens_per_sec, 53 / 10000e-9);
    /* Only an e2e SLO: the first token does not matter. */
    s.slo_ttft_ns = s.slo_tpot_ns = 0;
    e = eff_of(&s);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_eq(k->good_requests, 6);
    lg__store_free(&st);
}

/* MLPerf's throughputs over its token count: Server completed tokens/s (no - 1), the
 * SingleStream pair with and without overhead, and infer_token_latencies. */
Test(token_results, throughputs_follow_mlperfs_formulas, .timeout = 10)
{
    const tok_spec v[] = {
        {.sched = 0, .first = 100, .done = 1000, .n = 10},
        {.sched = 1000, .first = 1100, .done = 3000, .n = 20},
        {.sched = 2000, .first = 2100, .done = 4000, .n = 30},
    };
    lg__store st;
    fill_tokens(&st, v, 3);
    lg_settings s = token_settings(LG_SERVER);
    s.infer_token_latencies = true;
    s.token_latency_scaling_factor = 69;
    lg__eff e = eff_of(&s);
    lg__pass_counts c = {.queries = 3, .start_ns = ORIGIN};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    const lg_token_results *k = &r.tokens;
    /* The last sample's completion (4000 ns) ends the run. */
    cr_expect_eq(k->completed_tokens_per_sec, 60 / 4000e-9);
    cr_expect_eq(k->tokens_per_sec_with_loadgen_overhead, 60 / 2000e-9,
                 "the last query went out at 2000 ns");
    /* latencies 1000, 2000, 2000: integer mean 1666 */
    cr_expect_eq(k->tokens_per_sec_without_loadgen_overhead, 60 / (1666e-9 * 3));
    cr_expect_lt(fabs(k->inferred_tokens_per_sec - 2.0 * 69 / 4000e-9), 1e-9 * 2.0 * 69 / 4000e-9, "%.17g",
                 k->inferred_tokens_per_sec);
    s.scenario = LG_OFFLINE;
    e = eff_of(&s);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    /* Offline counts from the pass's start: the longest latency is 4000. */
    cr_expect_eq(k->tokens_per_sec, 60 / 4000e-9);
    cr_expect_lt(fabs(k->inferred_tokens_per_sec - 3.0 * 69 / 4000e-9), 1e-9 * 3.0 * 69 / 4000e-9, "%.17g",
                 k->inferred_tokens_per_sec);
    cr_expect_eq(k->completed_tokens_per_sec, 0.0);
    /* Inferred tokens need no token data: infer_token_latencies alone. */
    lg_settings o;
    lg_settings_default(&o);
    o.scenario = LG_OFFLINE;
    o.infer_token_latencies = true;
    o.token_latency_scaling_factor = 69;
    e = eff_of(&o);
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_not(k->applies);
    cr_expect_lt(fabs(k->inferred_tokens_per_sec - 3.0 * 69 / 4000e-9), 1e-9 * 3.0 * 69 / 4000e-9, "%.17g",
                 k->inferred_tokens_per_sec);
    cr_expect_eq(k->tokens_per_sec, 0.0);
    lg__store_free(&st);
}

/* A pass without token data: nothing applies, the source is "none", and a count of first
 * tokens ignored is kept. */
Test(token_results, a_pass_without_tokens_has_no_token_figures, .timeout = 10)
{
    lg__store st;
    fill_single_stream(&st, 100, ORIGIN);
    lg__eff e = single_stream_eff(10);
    lg__pass_counts c = {.queries = 100, .start_ns = ORIGIN, .first_tokens_ignored = 4};
    lg_results r;
    cr_assert_eq(lg__results(&e, &st, &c, &r), 0);
    cr_expect_not(r.tokens.applies);
    cr_expect_str_eq(r.tokens.count_source, "none");
    cr_expect_eq(r.tokens.first_tokens_ignored, 4);
    cr_expect_eq(r.tokens.ttft.count, 0);
    cr_expect(r.valid, "0x%x", r.invalid_reasons);
    lg__store_free(&st);
}

/* ---- lg_format_ns: the one duration format ----------------------------------------- */

/* lg_format_ns(ns) into a buffer of `len` bytes filled with 'x' first (static). */
static char ns_buf[64];
static const char *ns_text(double ns, size_t len)
{
    memset(ns_buf, 'x', sizeof ns_buf);
    lg_format_ns(ns, ns_buf, len);
    return ns_buf;
}
#define NS(v) ns_text((v), LG_FORMAT_NS_MAX)

Test(format_ns, whole_nanoseconds_below_a_microsecond, .timeout = 10)
{
    cr_expect_str_eq(NS(0), "0 ns");
    cr_expect_str_eq(NS(-0.0), "0 ns");
    cr_expect_str_eq(NS(0.4), "0 ns");
    cr_expect_str_eq(NS(-0.4), "0 ns", "a value that rounds to 0 has no sign");
    cr_expect_str_eq(NS(0.5), "1 ns");
    cr_expect_str_eq(NS(95), "95 ns");
    cr_expect_str_eq(NS(95.5), "96 ns");
    cr_expect_str_eq(NS(-95), "-95 ns");
    cr_expect_str_eq(NS(999), "999 ns");
    cr_expect_str_eq(NS(999.4), "999 ns");
}

Test(format_ns, four_significant_digits_from_a_microsecond, .timeout = 10)
{
    cr_expect_str_eq(NS(999.5), "1.000 us", "rounds to 1000 ns: a microsecond");
    cr_expect_str_eq(NS(1000), "1.000 us");
    cr_expect_str_eq(NS(1234), "1.234 us");
    cr_expect_str_eq(NS(1234.5), "1.235 us");
    cr_expect_str_eq(NS(12345), "12.35 us", "halves round away from zero");
    cr_expect_str_eq(NS(812412), "812.4 us");
    cr_expect_str_eq(NS(999949), "999.9 us");
    cr_expect_str_eq(NS(999950), "1.000 ms", "the unit is chosen after rounding");
    cr_expect_str_eq(NS(999960), "1.000 ms");
    cr_expect_str_eq(NS(1234567), "1.235 ms");
    cr_expect_str_eq(NS(3e6), "3.000 ms", "trailing zeros are kept");
    cr_expect_str_eq(NS(12345678), "12.35 ms");
    cr_expect_str_eq(NS(123456789), "123.5 ms");
    cr_expect_str_eq(NS(2.1e9), "2.100 s");
    cr_expect_str_eq(NS(999949999999.0), "999.9 s");
    cr_expect_str_eq(NS(-1.5e6), "-1.500 ms");
    cr_expect_str_eq(NS(-812412), "-812.4 us");
}

Test(format_ns, whole_seconds_from_1000_s_and_the_int64_extremes, .timeout = 10)
{
    cr_expect_str_eq(NS(999950000000.0), "1000 s");
    cr_expect_str_eq(NS(3600e9), "3600 s");
    cr_expect_str_eq(NS(86400e9), "86400 s");
    cr_expect_str_eq(NS((double)INT64_MAX), "9223372037 s");
    cr_expect_str_eq(NS((double)INT64_MIN), "-9223372037 s");
    cr_expect_str_eq(NS((double)(INT64_MIN + 1)), "-9223372037 s");
    /* Beyond any int64_t of ns (means, bounds of damaged data): an exponent. */
    cr_expect_str_eq(NS(9.9995e20), "999950000000 s");
    cr_expect_str_eq(NS(1e21), "1.000e+12 s");
    cr_expect_str_eq(NS(-9.99e26), "-9.990e+17 s");
    cr_expect_str_eq(NS(9.9996e29), "1.000e+21 s", "a mantissa that rounds up to 10");
    cr_expect_str_eq(NS(DBL_MAX), "1.798e+299 s");
    cr_expect_str_eq(NS(NAN), "n/a");
    cr_expect_str_eq(NS(INFINITY), "n/a");
    cr_expect_str_eq(NS(-INFINITY), "n/a");
}

Test(format_ns, truncates_as_snprintf_and_returns_the_whole_length, .timeout = 10)
{
    cr_expect_str_eq(ns_text(1234567, 5), "1.23");
    cr_expect_eq(ns_buf[5], 'x', "nothing written past len");
    cr_expect_eq(lg_format_ns(1234567, ns_buf, 5), 8);
    cr_expect_eq(lg_format_ns(1234567, NULL, 0), 8, "len 0 measures");
    memset(ns_buf, 'x', sizeof ns_buf);
    cr_expect_eq(lg_format_ns(-9.99e26, ns_buf, 0), 12); /* "-9.990e+17 s" */
    cr_expect_eq(ns_buf[0], 'x', "len 0 writes nothing");
    cr_expect_str_eq(ns_text(95, 1), "");
}

/* Every text over 40 magnitudes, both signs: it fits LG_FORMAT_NS_MAX, its length is
 * the return value, it reads back within half a unit of its last digit, and from 1 us
 * to 1000 s it has exactly 4 significant digits. */
Test(format_ns, every_magnitude_reads_back_within_its_last_digit, .timeout = 30)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{" ns", 1}, {" us", 1e3}, {" ms", 1e6}, {" s", 1e9}};
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* A magnitude from 10^-1 to 10^20 ns, a whole number half the time. */
        double v = pow(10.0, (double)(x % 2100000) / 100000.0 - 1.0);
        if (x & 2)
            v = floor(v);
        if (x & 4)
            v = -v;
        char t[LG_FORMAT_NS_MAX];
        int n = lg_format_ns(v, t, sizeof t);
        cr_assert_eq((size_t)n, strlen(t), "%.17g: %s", v, t);
        cr_assert_lt(strlen(t), sizeof t, "%.17g: %s", v, t);
        double scale = 0;
        for (size_t u = 0; u < 4; u++) {
            size_t ul = strlen(units[u].unit);
            if ((size_t)n > ul && !strcmp(t + n - ul, units[u].unit) && !strchr(t, 'e'))
                scale = units[u].ns;
        }
        if (!scale) {
            cr_assert(strchr(t, 'e'), "%.17g: %s has no known unit", v, t);
            continue;
        }
        double back = strtod(t, NULL) * scale;
        const char *dot = strchr(t, '.');
        /* Half a unit of the last digit printed, in ns. */
        size_t decimals = dot ? strcspn(dot + 1, " ") : 0;
        double half = 0.5 * scale * pow(10.0, -(double)decimals);
        cr_assert_leq(fabs(back - v), half * (1 + 1e-9) + 1e-6 * fabs(v) * 1e-6,
                      "%.17g: %s", v, t);
        if (dot) {
            size_t digits = 0;
            for (const char *c = t; *c && *c != ' '; c++)
                digits += *c >= '0' && *c <= '9';
            cr_assert_eq(digits, 4, "%.17g: %s", v, t);
            cr_assert_geq(fabs(back), scale * (1 - 1e-12), "%.17g: %s: below 1 of its unit",
                          v, t);
        }
    }
}
