/* test_results.c: the results of a pass as a pure function of its records, its counts
 * and the effective settings (lg__results): no test runs here; records are made by
 * hand and the figures checked against MLPerf's rules. */
#include <criterion/criterion.h>
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
#include "report/report.h"

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
    cr_expect(strstr(text, "= 16.505 ms (16505000 ns)\n           = the maximum: with 769 "
                           "queries early stopping discards none"), "%s", text);
    r.query_latency.max_ns = 20000000; /* the estimate below the maximum: no note */
    lg_results_format(&r, text, sizeof text);
    cr_expect(!strstr(text, "the maximum"), "%s", text);

    r.mode = LG_MODE_ACCURACY;
    r.samples_issued = r.samples_completed = r.accuracy_samples_logged = 1024;
    lg_results_format(&r, text, sizeof text);
    cr_expect(strstr(text, "  accuracy: 1024 samples issued, 1024 completed, 0 failed, 0 "
                           "timed out; 1024 responses logged"), "%s", text);
    cr_expect(!strstr(text, "metric"), "%s", text);
}
