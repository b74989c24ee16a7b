/* test_accuracy.c: MLPerf's accuracy-mode behaviours (its loadgen/tests/basic.cc): every
 * index issued exactly once in all scenarios, only loaded samples issued, unloads in
 * load order, Offline remainder sets, contiguous MultiStream queries, the accuracy log
 * (mlperf_log_accuracy.json) entry per sample, SubmissionRun, and the performance-mode
 * accuracy_log_probability sampling. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

/* ---------------------------------------------------------------------------------
 * A tracking QSL and an inline SUT that check MLPerf's loading rules as they go.
 * Everything runs on the LoadGen's issue thread (the SUT completes inside issue()),
 * so no locking is needed; violations are counted and asserted after the run.
 * ------------------------------------------------------------------------------- */

enum { EV_LOAD = 'L', EV_UNLOAD = 'U', EV_ISSUE = 'I', EV_FLUSH = 'F' };

typedef struct event {
    char kind;
    uint64_t n;     /* samples in the call */
    uint64_t first; /* first index of the call */
} event;

typedef struct tracker {
    uint64_t total;
    /* QSL side */
    uint32_t *loaded;      /* per index: loaded copies */
    uint64_t *load_pos;    /* per index: global load sequence number of its last load */
    uint64_t load_seq;     /* loads so far (samples) */
    uint64_t *fifo;        /* loaded indices in load order, not yet unloaded */
    size_t fifo_head, fifo_tail, fifo_cap;
    uint64_t load_calls, unload_calls;
    uint64_t unload_not_fifo; /* unloads that were not the oldest load */
    uint64_t unload_not_loaded;
    uint64_t double_loads;
    uint64_t *last_load;   /* indices of the most recent load call */
    size_t last_load_n;
    uint64_t *perf_set;    /* a copy of a chosen load call (by number) */
    size_t perf_set_n;
    uint64_t perf_load_call; /* which load call to copy (1-based); 0 = none */
    /* SUT side */
    uint64_t *issued;      /* indices in issue order */
    size_t nissued, capissued;
    uint32_t *count;       /* per index: times issued */
    uint64_t issued_not_loaded;
    uint64_t noncontiguous_queries;
    uint64_t max_query;
    event *ev;
    size_t nev, capev;
} tracker;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    cr_assert_not_null(q, "out of memory");
    *cap = c;
    return q;
}

static void add_event(tracker *t, char kind, uint64_t n, uint64_t first)
{
    t->ev = grow(t->ev, &t->capev, t->nev + 1, sizeof *t->ev);
    t->ev[t->nev++] = (event){kind, n, first};
}

static tracker *tracker_new(uint64_t total)
{
    tracker *t = calloc(1, sizeof *t);
    cr_assert_not_null(t);
    t->total = total;
    t->loaded = calloc(total, sizeof *t->loaded);
    t->load_pos = calloc(total, sizeof *t->load_pos);
    t->count = calloc(total, sizeof *t->count);
    cr_assert(t->loaded && t->load_pos && t->count);
    return t;
}

static void tracker_free(tracker *t)
{
    free(t->loaded);
    free(t->load_pos);
    free(t->fifo);
    free(t->last_load);
    free(t->perf_set);
    free(t->issued);
    free(t->count);
    free(t->ev);
    free(t);
}

static int tr_load(void *ctx, const uint64_t *idx, size_t n)
{
    tracker *t = ctx;
    t->load_calls++;
    add_event(t, EV_LOAD, n, n ? idx[0] : 0);
    t->fifo = grow(t->fifo, &t->fifo_cap, t->fifo_tail + n, sizeof *t->fifo);
    t->last_load = realloc(t->last_load, (n ? n : 1) * sizeof *t->last_load);
    cr_assert_not_null(t->last_load);
    memcpy(t->last_load, idx, n * sizeof *idx);
    t->last_load_n = n;
    if (t->load_calls == t->perf_load_call) {
        t->perf_set = malloc((n ? n : 1) * sizeof *t->perf_set);
        cr_assert_not_null(t->perf_set);
        memcpy(t->perf_set, idx, n * sizeof *idx);
        t->perf_set_n = n;
    }
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= t->total)
            return -1;
        if (t->loaded[idx[i]])
            t->double_loads++;
        t->loaded[idx[i]]++;
        t->load_pos[idx[i]] = t->load_seq++;
        t->fifo[t->fifo_tail++] = idx[i];
    }
    return 0;
}

static int tr_unload(void *ctx, const uint64_t *idx, size_t n)
{
    tracker *t = ctx;
    t->unload_calls++;
    add_event(t, EV_UNLOAD, n, n ? idx[0] : 0);
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= t->total || !t->loaded[idx[i]]) {
            t->unload_not_loaded++;
            continue;
        }
        t->loaded[idx[i]]--;
        if (t->fifo_head < t->fifo_tail && t->fifo[t->fifo_head] == idx[i])
            t->fifo_head++;
        else
            t->unload_not_fifo++;
    }
    return 0;
}

/* The bytes the SUT answers for a sample: 6 bytes that depend on its index. */
static void answer_bytes(uint64_t idx, unsigned char out[6])
{
    out[0] = (unsigned char)idx;
    out[1] = (unsigned char)(idx >> 8);
    out[2] = (unsigned char)(idx >> 16);
    out[3] = 0xA5;
    out[4] = 0x0F;
    out[5] = (unsigned char)(idx * 13 + 1);
}

static void tr_issue(void *ctx, const lg_sample *s, size_t n)
{
    tracker *t = ctx;
    add_event(t, EV_ISSUE, n, n ? s[0].index : 0);
    if (n > t->max_query)
        t->max_query = n;
    t->issued = grow(t->issued, &t->capissued, t->nissued + n, sizeof *t->issued);
    for (size_t i = 0; i < n; i++) {
        uint64_t idx = s[i].index;
        t->issued[t->nissued++] = idx;
        if (idx >= t->total || !t->loaded[idx])
            t->issued_not_loaded++;
        if (idx < t->total)
            t->count[idx]++;
        if (i > 0 && (s[i - 1].index >= t->total || idx >= t->total ||
                      t->load_pos[idx] != t->load_pos[s[i - 1].index] + 1))
            t->noncontiguous_queries += 1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char b[6];
        answer_bytes(s[i].index, b);
        lg_response r = {.id = s[i].id, .data = b, .size = sizeof b, .status = LG_STATUS_OK};
        lg_complete(&r, 1);
    }
}

static void tr_flush(void *ctx)
{
    add_event(ctx, EV_FLUSH, 0, 0);
}

static lg_sut tr_sut(tracker *t)
{
    lg_sut s = {.name = "tracking-sut", .ctx = t, .issue = tr_issue, .flush = tr_flush};
    return s;
}

static lg_qsl tr_qsl(tracker *t, uint64_t psc)
{
    lg_qsl q = {.name = "tracking-qsl", .ctx = t, .total_sample_count = t->total,
                .performance_sample_count = psc, .load = tr_load, .unload = tr_unload};
    return q;
}

static lg_settings acc_settings(lg_scenario sc)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.mode = LG_MODE_ACCURACY;
    s.multi_stream_samples_per_query = 4;
    s.server_target_qps = 50000;
    s.min_duration_ms = 50;
    s.min_query_count = 10;
    s.offline_expected_qps = 1000;
    return s;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void make_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/lg_test_accuracy_XXXXXX");
    cr_assert_not_null(mkdtemp(buf), "mkdtemp failed: %s", strerror(errno));
}

static void remove_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int run_tracked(const lg_settings *s, tracker *t, uint64_t psc, const char *outdir,
                       lg_results *r)
{
    lg_sut sut = tr_sut(t);
    lg_qsl qsl = tr_qsl(t, psc);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = outdir;
    log.write_samples = false;
    return lg_run_test(s, &sut, &qsl, &log, r);
}

/* MLPerf's basic.cc checks, after any run. */
static void assert_loading_rules(const tracker *t, const char *what)
{
    cr_assert_eq(t->issued_not_loaded, 0, "%s: %llu samples issued while not loaded", what,
                 (unsigned long long)t->issued_not_loaded);
    cr_assert_eq(t->unload_not_fifo, 0, "%s: %llu unloads out of load order", what,
                 (unsigned long long)t->unload_not_fifo);
    cr_assert_eq(t->unload_not_loaded, 0, "%s: %llu unloads of samples not loaded", what,
                 (unsigned long long)t->unload_not_loaded);
    cr_assert_eq(t->fifo_head, t->fifo_tail, "%s: %zu samples left loaded", what,
                 t->fifo_tail - t->fifo_head);
}

static void assert_each_index_once(const tracker *t, uint64_t total, const char *what)
{
    cr_assert_eq(t->nissued, total, "%s: %zu samples issued for %llu indices", what,
                 t->nissued, (unsigned long long)total);
    for (uint64_t i = 0; i < total; i++)
        cr_assert_eq(t->count[i], 1, "%s: index %llu issued %u times", what,
                     (unsigned long long)i, t->count[i]);
}

/* ---------------------------------------------------------------------------------
 * Every index exactly once, in every scenario
 * ------------------------------------------------------------------------------- */

static void check_covers_all(lg_scenario sc, uint64_t total, uint64_t psc)
{
    tracker *t = tracker_new(total);
    lg_settings s = acc_settings(sc);
    lg_results r;
    int rc = run_tracked(&s, t, psc, NULL, &r);
    const char *name = lg_scenario_name(sc);
    cr_assert_eq(rc, 0, "%s: lg_run_test returned %d (%s)", name, rc, lg_strerror(rc));
    assert_each_index_once(t, total, name);
    assert_loading_rules(t, name);
    cr_assert_eq(t->double_loads, 0, "%s: a sample was loaded twice", name);
    cr_assert_eq(r.mode, LG_MODE_ACCURACY);
    cr_assert(r.valid, "%s accuracy run INVALID, reasons 0x%x", name, r.invalid_reasons);
    cr_assert_eq(r.samples_issued, total);
    cr_assert_eq(r.samples_completed, total);
    cr_assert_eq(r.accuracy_sample_count, total);
    cr_assert_eq(r.accuracy_samples_logged, total, "%s: every accuracy response is logged",
                 name);
    /* Sets of psc samples, each loaded once. */
    cr_assert_eq(t->load_calls, (total + psc - 1) / psc, "%s: %llu load calls", name,
                 (unsigned long long)t->load_calls);
    cr_assert_eq(t->unload_calls, t->load_calls);
    if (sc == LG_MULTI_STREAM)
        cr_assert_eq(t->max_query, 4, "MultiStream queries of up to 4 samples");
    else if (sc != LG_OFFLINE)
        cr_assert_eq(t->max_query, 1, "%s: one sample per query", name);
    tracker_free(t);
}

Test(accuracy, single_stream_issues_every_index_exactly_once, .timeout = 20)
{
    check_covers_all(LG_SINGLE_STREAM, 64 * 32, 64);
}

Test(accuracy, multi_stream_issues_every_index_exactly_once, .timeout = 20)
{
    check_covers_all(LG_MULTI_STREAM, 64 * 32, 64);
}

Test(accuracy, server_issues_every_index_exactly_once, .timeout = 20)
{
    check_covers_all(LG_SERVER, 64 * 32, 64);
}

Test(accuracy, offline_issues_every_index_exactly_once, .timeout = 20)
{
    check_covers_all(LG_OFFLINE, 64 * 32, 64);
}

/* MLPerf's TestAccuracyDupesAreLimitted: psc does not divide evenly into queries. */
Test(accuracy, no_duplicates_when_sets_do_not_divide_into_queries, .timeout = 20)
{
    static const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                      LG_OFFLINE};
    for (size_t i = 0; i < 4; i++)
        check_covers_all(all[i], 3003, 1001);
}

/* ---------------------------------------------------------------------------------
 * Offline remainder sets and MultiStream contiguity
 * ------------------------------------------------------------------------------- */

Test(accuracy, offline_remainder_sets_are_smaller_and_flushed_last, .timeout = 20)
{
    uint64_t total = 64 * 32 + 7, psc = 64;
    tracker *t = tracker_new(total);
    lg_settings s = acc_settings(LG_OFFLINE);
    lg_results r;
    int rc = run_tracked(&s, t, psc, NULL, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    assert_each_index_once(t, total, "Offline");
    assert_loading_rules(t, "Offline");
    /* One query per set: 32 of 64, then 7. */
    size_t nq = 0, last_issue = 0, last_flush = 0;
    uint64_t first_size = 0, last_size = 0;
    for (size_t i = 0; i < t->nev; i++) {
        if (t->ev[i].kind == EV_ISSUE) {
            if (nq == 0)
                first_size = t->ev[i].n;
            last_size = t->ev[i].n;
            nq++;
            last_issue = i;
        } else if (t->ev[i].kind == EV_FLUSH) {
            last_flush = i;
        }
    }
    cr_assert_geq(nq, 3, "%zu query sets", nq);
    cr_assert_eq(nq, 33);
    cr_assert_lt(last_size, first_size, "last set %llu not smaller than first %llu",
                 (unsigned long long)last_size, (unsigned long long)first_size);
    cr_assert_eq(last_size, 7);
    size_t seen = 0;
    for (size_t i = 0; i < t->nev; i++)
        if (t->ev[i].kind == EV_ISSUE && ++seen < nq)
            cr_assert_eq(t->ev[i].n, first_size, "set %zu has %llu samples", seen,
                         (unsigned long long)t->ev[i].n);
    cr_assert_gt(last_flush, last_issue, "something was issued after the last flush");
    /* Each set is flushed before the next one is issued. */
    bool pending = false;
    for (size_t i = 0; i < t->nev; i++) {
        if (t->ev[i].kind == EV_ISSUE) {
            cr_assert_not(pending, "a set was issued before the previous one was flushed");
            pending = true;
        } else if (t->ev[i].kind == EV_FLUSH) {
            pending = false;
        }
    }
    cr_assert_eq(r.queries_issued, 33);
    tracker_free(t);
}

Test(accuracy, multi_stream_queries_are_contiguous_in_load_order, .timeout = 20)
{
    uint64_t psc = 65, total = 65 * 4;
    tracker *t = tracker_new(total);
    lg_settings s = acc_settings(LG_MULTI_STREAM);
    s.multi_stream_samples_per_query = 4;
    lg_results r;
    int rc = run_tracked(&s, t, psc, NULL, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    assert_each_index_once(t, total, "MultiStream");
    assert_loading_rules(t, "MultiStream");
    cr_assert_eq(t->noncontiguous_queries, 0, "%llu sample pairs not contiguous",
                 (unsigned long long)t->noncontiguous_queries);
    /* Every query lies inside one loaded set. */
    size_t qn = 0;
    for (size_t i = 0; i < t->nev; i++)
        if (t->ev[i].kind == EV_ISSUE) {
            qn++;
            uint64_t set = t->ev[i].first / psc;
            uint64_t last = t->ev[i].first + t->ev[i].n - 1;
            cr_assert_eq(last / psc, set, "query %zu spans two sets", qn);
        }
    cr_assert_eq(qn, 4 * 17, "each set of 65 is 16 queries of 4 and one of 1");
    tracker_free(t);
}

/* Performance mode: a MultiStream query is a run of consecutive samples of the loaded
 * set (wrapping at its end, which is what MLPerf's padding of the set gives). */
Test(accuracy, multi_stream_performance_queries_are_contiguous_in_the_loaded_set,
     .timeout = 20)
{
    uint64_t psc = 65, total = 1000;
    tracker *t = tracker_new(total);
    t->perf_load_call = 1;
    lg_settings s = acc_settings(LG_MULTI_STREAM);
    s.mode = LG_MODE_PERFORMANCE;
    s.multi_stream_samples_per_query = 4;
    s.multi_stream_target_latency_percentile = 0.9;
    s.min_duration_ms = 0;
    s.min_query_count = 500;
    lg_results r;
    int rc = run_tracked(&s, t, psc, NULL, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    assert_loading_rules(t, "MultiStream performance");
    cr_assert_eq(t->perf_set_n, psc);
    cr_assert_eq(t->nissued, 500 * 4);
    uint64_t *where = malloc(total * sizeof *where);
    cr_assert_not_null(where);
    for (uint64_t i = 0; i < total; i++)
        where[i] = UINT64_MAX;
    for (uint64_t k = 0; k < psc; k++)
        where[t->perf_set[k]] = k;
    for (size_t qi = 0; qi < 500; qi++)
        for (size_t k = 1; k < 4; k++) {
            uint64_t a = where[t->issued[qi * 4 + k - 1]], b = where[t->issued[qi * 4 + k]];
            cr_assert_neq(b, UINT64_MAX, "issued a sample outside the loaded set");
            cr_assert_eq(b, (a + 1) % psc, "query %zu: load positions %llu then %llu", qi,
                         (unsigned long long)a, (unsigned long long)b);
        }
    free(where);
    tracker_free(t);
}

Test(accuracy, performance_mode_loads_once_and_unloads_in_load_order, .timeout = 20)
{
    static const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                      LG_OFFLINE};
    for (size_t i = 0; i < 4; i++) {
        tracker *t = tracker_new(500);
        lg_settings s = acc_settings(all[i]);
        s.mode = LG_MODE_PERFORMANCE;
        s.min_duration_ms = 20;
        s.server_target_qps = 20000;
        lg_results r;
        int rc = run_tracked(&s, t, 100, NULL, &r);
        cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
        const char *name = lg_scenario_name(all[i]);
        assert_loading_rules(t, name);
        cr_assert_eq(t->load_calls, 1, "%s: %llu loads", name,
                     (unsigned long long)t->load_calls);
        cr_assert_eq(t->unload_calls, 1);
        cr_assert_eq(t->double_loads, 0);
        cr_assert_eq(t->last_load_n, 100, "%s: loaded %zu samples, psc is 100", name,
                     t->last_load_n);
        cr_assert_eq(r.samples_issued, t->nissued);
        cr_assert_eq(r.performance_sample_count, 100);
        tracker_free(t);
    }
}

/* ---------------------------------------------------------------------------------
 * The accuracy log
 * ------------------------------------------------------------------------------- */

static json_t *load_accuracy_log(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", dir);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    cr_assert_not_null(root, "%s: line %d: %s", path, err.line, err.text);
    cr_assert(json_is_array(root), "the accuracy log is not a JSON array");
    return root;
}

static void hex_of(const unsigned char *b, size_t n, char *out)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Checks every entry: fields present, seq_id ascending and in range, qsl_idx the index
 * that seq_id was issued with, data the SUT's answer in upper-case hex. Returns the
 * number of entries; fills seen[seq] when seen is not NULL. */
static size_t check_entries(json_t *root, const tracker *t, uint64_t seq_base,
                            uint8_t *seen)
{
    size_t n = json_array_size(root);
    long long prev = -1;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(root, i);
        json_t *seq = json_object_get(e, "seq_id");
        json_t *idx = json_object_get(e, "qsl_idx");
        json_t *data = json_object_get(e, "data");
        cr_assert(json_is_integer(seq) && json_is_integer(idx) && json_is_string(data),
                  "entry %zu lacks seq_id, qsl_idx or data", i);
        long long sq = json_integer_value(seq), ix = json_integer_value(idx);
        cr_assert_gt(sq, prev, "entry %zu: seq_id %lld after %lld", i, sq, prev);
        prev = sq;
        cr_assert_geq(sq, (long long)seq_base);
        cr_assert_lt((size_t)(sq - (long long)seq_base), t->nissued, "seq_id %lld too big", sq);
        cr_assert_eq((uint64_t)ix, t->issued[sq - (long long)seq_base],
                     "seq_id %lld: qsl_idx %lld, but index %llu was issued", sq, ix,
                     (unsigned long long)t->issued[sq - (long long)seq_base]);
        unsigned char b[6];
        char want[13];
        answer_bytes((uint64_t)ix, b);
        hex_of(b, sizeof b, want);
        cr_assert_str_eq(json_string_value(data), want, "seq_id %lld: data", sq);
        if (seen)
            seen[sq - (long long)seq_base] = 1;
    }
    return n;
}

Test(accuracy, accuracy_log_has_one_entry_per_sample_with_its_data, .timeout = 20)
{
    static const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                      LG_OFFLINE};
    for (size_t k = 0; k < 4; k++) {
        char dir[128];
        make_tmpdir(dir, sizeof dir);
        uint64_t total = 300, psc = 128;
        tracker *t = tracker_new(total);
        lg_settings s = acc_settings(all[k]);
        lg_results r;
        int rc = run_tracked(&s, t, psc, dir, &r);
        cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
        json_t *root = load_accuracy_log(dir);
        size_t n = check_entries(root, t, 0, NULL);
        cr_assert_eq(n, total, "%s: %zu accuracy entries for %llu samples",
                     lg_scenario_name(all[k]), n, (unsigned long long)total);
        uint8_t *idx_seen = calloc(total, 1);
        cr_assert_not_null(idx_seen);
        for (size_t i = 0; i < n; i++) {
            long long ix = json_integer_value(json_object_get(json_array_get(root, i),
                                                              "qsl_idx"));
            cr_assert_lt(ix, (long long)total);
            cr_assert_not(idx_seen[ix], "qsl_idx %lld logged twice", ix);
            idx_seen[ix] = 1;
        }
        free(idx_seen);
        json_decref(root);
        tracker_free(t);
        remove_tree(dir);
    }
}

/* The same through the worker pool: responses copied while other threads complete. */
Test(accuracy, accuracy_log_holds_synthetic_sut_answers_from_worker_threads, .timeout = 20)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    qsl_synthetic *q = NULL;
    cr_assert_eq(qsl_synthetic_create("acc", 1000, 250, 8, 3, &q), 0);
    sut_synthetic_config c;
    sut_synthetic_default(&c);
    c.mean_ns = 20000;
    c.workers = 4;
    c.max_batch = 8;
    sut_synthetic *sy = NULL;
    cr_assert_eq(sut_synthetic_create(&c, &sy), 0);
    lg_settings s = acc_settings(LG_OFFLINE);
    lg_sut sut = sut_synthetic_sut(sy);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = dir;
    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, &log, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert(r.valid, "reasons 0x%x", r.invalid_reasons);
    json_t *root = load_accuracy_log(dir);
    cr_assert_eq(json_array_size(root), 1000);
    uint8_t seen[1000] = {0};
    for (size_t i = 0; i < 1000; i++) {
        json_t *e = json_array_get(root, i);
        long long ix = json_integer_value(json_object_get(e, "qsl_idx"));
        cr_assert(ix >= 0 && ix < 1000);
        cr_assert_not(seen[ix], "qsl_idx %lld twice", ix);
        seen[ix] = 1;
        unsigned char b[4] = {(unsigned char)ix, (unsigned char)(ix >> 8),
                              (unsigned char)(ix >> 16), (unsigned char)(ix >> 24)};
        char want[9];
        hex_of(b, 4, want);
        cr_assert_str_eq(json_string_value(json_object_get(e, "data")), want,
                         "qsl_idx %lld: the synthetic SUT answers its index", ix);
    }
    json_decref(root);
    sut_synthetic_destroy(sy);
    qsl_synthetic_destroy(q);
    remove_tree(dir);
}

/* ---------------------------------------------------------------------------------
 * SubmissionRun
 * ------------------------------------------------------------------------------- */

Test(accuracy, submission_run_does_accuracy_then_performance, .timeout = 20)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    uint64_t total = 256, psc = 64;
    tracker *t = tracker_new(total);
    t->perf_load_call = 5; /* 4 accuracy sets, then the performance set */
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    s.mode = LG_MODE_SUBMISSION;
    s.min_duration_ms = 0;
    s.min_query_count = 100;
    lg_results r;
    int rc = run_tracked(&s, t, psc, dir, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.mode, LG_MODE_PERFORMANCE, "SubmissionRun results hold the performance pass");
    cr_assert(r.valid, "reasons 0x%x", r.invalid_reasons);
    cr_assert_eq(r.samples_issued, 100);
    cr_assert_eq(t->nissued, total + 100, "%zu samples issued in all", t->nissued);
    cr_assert_eq(t->load_calls, 5);
    /* The accuracy pass first: the first `total` samples are every index once, issued
     * while the accuracy sets were loaded, before the performance set was loaded. */
    for (uint64_t i = 0; i < total; i++)
        cr_assert_eq(t->count[i] >= 1, 1, "index %llu never issued", (unsigned long long)i);
    uint8_t *seen = calloc(total, 1);
    cr_assert_not_null(seen);
    for (uint64_t i = 0; i < total; i++) {
        cr_assert_not(seen[t->issued[i]], "index %llu twice in the accuracy pass",
                      (unsigned long long)t->issued[i]);
        seen[t->issued[i]] = 1;
    }
    free(seen);
    size_t loads = 0, issues_after_perf_load = 0, issues_before = 0;
    for (size_t i = 0; i < t->nev; i++) {
        if (t->ev[i].kind == EV_LOAD)
            loads++;
        else if (t->ev[i].kind == EV_ISSUE)
            *(loads == 5 ? &issues_after_perf_load : &issues_before) += t->ev[i].n;
    }
    cr_assert_eq(issues_before, total);
    cr_assert_eq(issues_after_perf_load, 100);
    /* Performance samples come from the performance set. */
    cr_assert_eq(t->perf_set_n, psc);
    for (size_t i = total; i < t->nissued; i++) {
        bool in = false;
        for (size_t k = 0; k < psc && !in; k++)
            in = t->perf_set[k] == t->issued[i];
        cr_assert(in, "performance sample %llu not in the performance set",
                  (unsigned long long)t->issued[i]);
    }
    assert_loading_rules(t, "SubmissionRun");
    /* The accuracy log: the accuracy pass's entries, one per index. */
    json_t *root = load_accuracy_log(dir);
    cr_assert_eq(json_array_size(root), total, "%zu entries (probability 0 in performance)",
                 json_array_size(root));
    check_entries(root, t, 0, NULL);
    json_decref(root);
    tracker_free(t);
    remove_tree(dir);
}

/* ---------------------------------------------------------------------------------
 * accuracy_log_probability in performance mode
 * ------------------------------------------------------------------------------- */

/* Runs SingleStream for exactly n queries with the given probability and seed; returns
 * the accuracy log, and the tracker in *tp. */
static json_t *run_sampled(double prob, uint64_t seed, uint64_t n, tracker **tp,
                           lg_results *r)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    tracker *t = tracker_new(512);
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    s.mode = LG_MODE_PERFORMANCE;
    s.min_duration_ms = 0;
    s.min_query_count = n;
    s.accuracy_log_probability = prob;
    s.accuracy_log_rng_seed = seed;
    s.sample_index_rng_seed = 99;
    int rc = run_tracked(&s, t, 128, dir, r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r->samples_issued, n);
    json_t *root = load_accuracy_log(dir);
    remove_tree(dir);
    *tp = t;
    return root;
}

Test(accuracy, log_probability_one_logs_every_performance_response, .timeout = 20)
{
    tracker *t;
    lg_results r;
    json_t *root = run_sampled(1.0, 5, 2000, &t, &r);
    cr_assert_eq(r.accuracy_samples_logged, 2000);
    uint8_t seen[2000] = {0};
    cr_assert_eq(check_entries(root, t, 0, seen), 2000);
    for (int i = 0; i < 2000; i++)
        cr_assert(seen[i], "seq_id %d missing", i);
    json_decref(root);
    tracker_free(t);
}

Test(accuracy, log_probability_zero_logs_nothing, .timeout = 20)
{
    tracker *t;
    lg_results r;
    json_t *root = run_sampled(0.0, 5, 2000, &t, &r);
    cr_assert_eq(r.accuracy_samples_logged, 0);
    cr_assert_eq(json_array_size(root), 0);
    json_decref(root);
    tracker_free(t);
}

Test(accuracy, log_probability_half_logs_about_half_deterministically, .timeout = 20)
{
    tracker *t1, *t2, *t3;
    lg_results r1, r2, r3;
    json_t *a = run_sampled(0.5, 11, 2000, &t1, &r1);
    json_t *b = run_sampled(0.5, 11, 2000, &t2, &r2);
    json_t *c = run_sampled(0.5, 12, 2000, &t3, &r3);
    uint8_t sa[2000] = {0}, sb[2000] = {0}, sc[2000] = {0};
    size_t na = check_entries(a, t1, 0, sa);
    size_t nb = check_entries(b, t2, 0, sb);
    size_t nc = check_entries(c, t3, 0, sc);
    /* Binomial(2000, 0.5): sd ~22; 850..1150 is more than 6 sd. */
    cr_assert(na >= 850 && na <= 1150, "logged %zu of 2000 at probability 0.5", na);
    cr_assert(nc >= 850 && nc <= 1150, "logged %zu of 2000 at probability 0.5", nc);
    cr_assert_eq(r1.accuracy_samples_logged, na);
    cr_assert_eq(na, nb, "the same seed logged %zu, then %zu", na, nb);
    cr_assert_eq(memcmp(sa, sb, sizeof sa), 0, "the same seed picked different samples");
    cr_assert_neq(memcmp(sa, sc, sizeof sa), 0, "another seed picked the same samples");
    json_decref(a);
    json_decref(b);
    json_decref(c);
    tracker_free(t1);
    tracker_free(t2);
    tracker_free(t3);
}

/* ---------------------------------------------------------------------------------
 * Sample-set settings: overrides and the unique / same issue rules
 * ------------------------------------------------------------------------------- */

Test(accuracy, accuracy_sample_count_override_limits_the_accuracy_set, .timeout = 20)
{
    tracker *t = tracker_new(500);
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    s.accuracy_sample_count_override = 100;
    lg_results r;
    int rc = run_tracked(&s, t, 64, NULL, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.accuracy_sample_count, 100);
    cr_assert_eq(t->nissued, 100, "%zu issued", t->nissued);
    for (uint64_t i = 0; i < 500; i++)
        cr_assert_eq(t->count[i], i < 100 ? 1u : 0u, "index %llu issued %u times",
                     (unsigned long long)i, t->count[i]);
    assert_loading_rules(t, "override");
    tracker_free(t);
}

Test(accuracy, performance_sample_count_override_sets_the_loaded_set, .timeout = 20)
{
    tracker *t = tracker_new(500);
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    s.mode = LG_MODE_PERFORMANCE;
    s.performance_sample_count_override = 37;
    s.min_duration_ms = 0;
    s.min_query_count = 300;
    lg_results r;
    int rc = run_tracked(&s, t, 200, NULL, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.performance_sample_count, 37);
    cr_assert_eq(t->load_calls, 1);
    cr_assert_eq(t->last_load_n, 37, "loaded %zu samples", t->last_load_n);
    assert_loading_rules(t, "psc override");
    tracker_free(t);
}

Test(accuracy, offline_performance_issue_unique_issues_each_loaded_sample_once,
     .timeout = 20)
{
    tracker *t = tracker_new(1000);
    t->perf_load_call = 1;
    lg_settings s = acc_settings(LG_OFFLINE);
    s.mode = LG_MODE_PERFORMANCE;
    s.performance_issue_unique = true;
    lg_results r;
    int rc = run_tracked(&s, t, 250, NULL, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.samples_per_query, 250, "unique: one query of the whole loaded set");
    cr_assert_eq(t->nissued, 250);
    for (size_t k = 0; k < t->perf_set_n; k++)
        cr_assert_eq(t->count[t->perf_set[k]], 1, "loaded sample %llu issued %u times",
                     (unsigned long long)t->perf_set[k], t->count[t->perf_set[k]]);
    assert_loading_rules(t, "unique");
    tracker_free(t);
}

Test(accuracy, single_stream_performance_issue_unique_cycles_through_the_set,
     .timeout = 20)
{
    tracker *t = tracker_new(1000);
    t->perf_load_call = 1;
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    s.mode = LG_MODE_PERFORMANCE;
    s.performance_issue_unique = true;
    s.min_duration_ms = 0;
    s.min_query_count = 200; /* twice the loaded set */
    lg_results r;
    int rc = run_tracked(&s, t, 100, NULL, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(t->nissued, 200);
    /* Each pass over the set issues every loaded sample once. */
    for (size_t half = 0; half < 2; half++) {
        uint8_t seen[1000] = {0};
        for (size_t i = half * 100; i < half * 100 + 100; i++) {
            cr_assert_not(seen[t->issued[i]], "sample %llu twice in pass %zu",
                          (unsigned long long)t->issued[i], half);
            seen[t->issued[i]] = 1;
        }
    }
    for (size_t k = 0; k < t->perf_set_n; k++)
        cr_assert_eq(t->count[t->perf_set[k]], 2);
    tracker_free(t);
}

Test(accuracy, performance_issue_same_always_issues_the_chosen_sample, .timeout = 20)
{
    static const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                      LG_OFFLINE};
    for (size_t k = 0; k < 4; k++) {
        tracker *t = tracker_new(1000);
        t->perf_load_call = 1;
        lg_settings s = acc_settings(all[k]);
        s.mode = LG_MODE_PERFORMANCE;
        s.performance_issue_same = true;
        s.performance_issue_same_index = 7;
        s.min_duration_ms = 0;
        s.min_query_count = 50;
        s.server_target_qps = 20000;
        lg_results r;
        int rc = run_tracked(&s, t, 100, NULL, &r);
        cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
        cr_assert_gt(t->nissued, 0);
        /* MultiStream, as MLPerf's: every query the same contiguous samples from the
         * chosen one. */
        uint64_t spq = all[k] == LG_MULTI_STREAM ? s.multi_stream_samples_per_query : 1;
        for (size_t i = 0; i < t->nissued; i++) {
            uint64_t want = t->perf_set[7 + i % spq];
            cr_assert_eq(t->issued[i], want, "%s: sample %zu is index %llu, want %llu",
                         lg_scenario_name(all[k]), i, (unsigned long long)t->issued[i],
                         (unsigned long long)want);
        }
        tracker_free(t);
    }
}

Test(accuracy, submission_run_logs_performance_responses_after_accuracy_ones,
     .timeout = 20)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    uint64_t total = 200, psc = 50;
    tracker *t = tracker_new(total);
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    s.mode = LG_MODE_SUBMISSION;
    s.min_duration_ms = 0;
    s.min_query_count = 80;
    s.accuracy_log_probability = 1.0;
    lg_results r;
    int rc = run_tracked(&s, t, psc, dir, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(t->nissued, total + 80);
    cr_assert_eq(r.accuracy_samples_logged, 80, "the performance pass logged %llu",
                 (unsigned long long)r.accuracy_samples_logged);
    json_t *root = load_accuracy_log(dir);
    /* seq_ids run on from the accuracy pass into the performance pass, and each names
     * the sample issued at that position. */
    uint8_t seen[280] = {0};
    cr_assert_eq(check_entries(root, t, 0, seen), total + 80);
    for (int i = 0; i < 280; i++)
        cr_assert(seen[i], "seq_id %d missing", i);
    json_decref(root);
    tracker_free(t);
    remove_tree(dir);
}

/* ---------------------------------------------------------------------------------
 * lg_complete_cb: MLPerf's response callback
 * ------------------------------------------------------------------------------- */

/* A SUT that completes inline with no data and lets the callback supply it, as a SUT
 * that keeps outputs on a device copies them to the host only for logged samples. */
typedef struct cb_sut {
    _Atomic uint64_t calls;   /* callback calls */
    _Atomic uint64_t wrong;   /* calls on a response that is not the one completed */
    unsigned char bytes[6];   /* what the callback hands over (the last sample's) */
    uint64_t index;           /* the index of the sample being completed */
} cb_sut;

static void cb_fill(void *ctx, lg_response *r)
{
    cb_sut *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    if (r->data != NULL || r->size != 0)
        atomic_fetch_add(&c->wrong, 1);
    answer_bytes(c->index, c->bytes);
    r->data = c->bytes;
    r->size = sizeof c->bytes;
}

static void cb_issue(void *ctx, const lg_sample *s, size_t n)
{
    cb_sut *c = ctx;
    for (size_t i = 0; i < n; i++) {
        c->index = s[i].index;
        lg_response r = {.id = s[i].id};
        lg_complete_cb(&r, 1, cb_fill, c);
    }
}

Test(accuracy, response_callback_supplies_the_data_of_logged_samples_only, .timeout = 20)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    tracker *t = tracker_new(200);
    cb_sut c = {0};
    lg_sut sut = {.name = "callback", .ctx = &c, .issue = cb_issue};
    lg_qsl qsl = tr_qsl(t, 50);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = dir;
    log.write_samples = false;
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    cr_assert(r.valid, "reasons 0x%x", r.invalid_reasons);
    cr_assert_eq(atomic_load(&c.calls), 200, "accuracy pass: one call per sample, got %llu",
                 (unsigned long long)atomic_load(&c.calls));
    cr_assert_eq(atomic_load(&c.wrong), 0);
    json_t *root = load_accuracy_log(dir);
    cr_assert_eq(json_array_size(root), 200);
    for (size_t i = 0; i < 200; i++) {
        json_t *e = json_array_get(root, i);
        unsigned char b[6];
        char want[13];
        answer_bytes((uint64_t)json_integer_value(json_object_get(e, "qsl_idx")), b);
        hex_of(b, sizeof b, want);
        cr_assert_str_eq(json_string_value(json_object_get(e, "data")), want,
                         "entry %zu: the data the callback handed over", i);
    }
    json_decref(root);

    /* A performance pass that logs nothing never calls it; one that logs everything
     * calls it once per sample. */
    s.mode = LG_MODE_PERFORMANCE;
    s.min_duration_ms = 0;
    s.min_query_count = 300;
    log.overwrite = true;
    atomic_store(&c.calls, 0);
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    cr_assert_eq(atomic_load(&c.calls), 0, "called %llu times with nothing logged",
                 (unsigned long long)atomic_load(&c.calls));
    s.accuracy_log_probability = 1.0;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    cr_assert_eq(atomic_load(&c.calls), r.samples_issued);
    cr_assert_eq(r.accuracy_samples_logged, r.samples_issued);
    tracker_free(t);
    remove_tree(dir);
}

/* ---------------------------------------------------------------------------------
 * MLPerf's compliance tests: TEST05's seeds, accuracy_log_sampling_target (TEST01,
 * TEST06) and sample_concatenate_permutation (equal issue).
 * ------------------------------------------------------------------------------- */

/* TEST05 runs PerformanceOnly with its three seeds in place of the others: the same
 * performance set and sample sequence as a run given those seeds directly. */
Test(compliance, test05_swaps_in_its_seeds_and_runs_performance_only, .timeout = 30)
{
    uint64_t *sets[2], *seq[2];
    size_t nseq[2];
    for (int k = 0; k < 2; k++) {
        tracker *t = tracker_new(1000);
        t->perf_load_call = 1;
        lg_settings s = acc_settings(LG_SINGLE_STREAM);
        s.min_duration_ms = 0;
        s.min_query_count = 200;
        if (k == 0) {
            s.mode = LG_MODE_PERFORMANCE;
            s.qsl_rng_seed = 11;
            s.sample_index_rng_seed = 12;
        } else {
            s.mode = LG_MODE_SUBMISSION; /* TEST05 makes it a performance run */
            s.test05 = true;
            s.test05_qsl_rng_seed = 11;
            s.test05_sample_index_rng_seed = 12;
            s.test05_schedule_rng_seed = 13;
        }
        lg_results r;
        cr_assert_eq(run_tracked(&s, t, 100, NULL, &r), 0);
        cr_assert_eq(r.mode, LG_MODE_PERFORMANCE);
        cr_assert_eq(t->load_calls, 1, "run %d: an accuracy pass ran", k);
        sets[k] = t->perf_set;
        t->perf_set = NULL;
        seq[k] = t->issued;
        nseq[k] = t->nissued;
        t->issued = NULL;
        tracker_free(t);
    }
    cr_assert_eq(nseq[0], nseq[1]);
    cr_expect_arr_eq(sets[0], sets[1], 100 * sizeof *sets[0]);
    cr_expect_arr_eq(seq[0], seq[1], nseq[0] * sizeof *seq[0]);
    for (int k = 0; k < 2; k++)
        free(sets[k]), free(seq[k]);
}

/* Counts the entries of an accuracy log. */
static size_t accuracy_entries(const char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", dir);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    cr_assert_not_null(j, "%s: %s", path, e.text);
    size_t n = json_array_size(j);
    json_decref(j);
    return n;
}

/* MLPerf's rule: the probability is the target over the expected samples, here Offline's
 * query of 1.1 x 1000/s x 2 s = 2200 samples. A target of 2200 logs every response; one
 * of 550 about a quarter (a binomial(2200, 1/4): 550 +- 20.3, checked to 6 sigma). */
Test(compliance, accuracy_log_sampling_target_sets_the_logging_probability, .timeout = 30)
{
    static const struct { uint64_t target; double lo, hi; } cases[] = {
        {2200, 2200, 2200}, {550, 428, 672}, {100000, 2200, 2200}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char dir[128];
        make_tmpdir(dir, sizeof dir);
        tracker *t = tracker_new(1000);
        lg_settings s = acc_settings(LG_OFFLINE);
        s.mode = LG_MODE_PERFORMANCE;
        s.min_duration_ms = 2000;
        s.accuracy_log_probability = 0; /* replaced by the target */
        s.accuracy_log_sampling_target = cases[k].target;
        s.accuracy_log_rng_seed = 720381539243781796u;
        lg_results r;
        cr_assert_eq(run_tracked(&s, t, 100, dir, &r), 0);
        cr_assert_eq(r.samples_issued, 2200);
        size_t n = accuracy_entries(dir);
        cr_expect(n >= cases[k].lo && n <= cases[k].hi, "target %llu: %zu responses logged",
                  (unsigned long long)cases[k].target, n);
        cr_expect_eq(r.accuracy_samples_logged, n);
        tracker_free(t);
        remove_tree(dir);
    }
}

/* Server and the streams count the expected samples as rate x min_duration, at least
 * min_query_count: SingleStream at the 1 ms hint for 100 ms expects 100 samples (its
 * min_query_count of 10 is below), so a target of 100 logs every response. */
Test(compliance, sampling_target_of_the_expected_count_logs_every_stream_response,
     .timeout = 30)
{
    char dir[128];
    make_tmpdir(dir, sizeof dir);
    tracker *t = tracker_new(1000);
    lg_settings s = acc_settings(LG_SINGLE_STREAM);
    s.mode = LG_MODE_PERFORMANCE;
    s.min_duration_ms = 100;
    s.accuracy_log_sampling_target = 100;
    lg_results r;
    cr_assert_eq(run_tracked(&s, t, 100, dir, &r), 0);
    cr_assert_gt(r.samples_issued, 100);
    cr_expect_eq(accuracy_entries(dir), r.samples_issued);
    tracker_free(t);
    remove_tree(dir);
}

/* Whether v[0..n-1] holds each of set[0..m-1] exactly once (a permutation of it). */
static bool is_permutation_of(const uint64_t *v, const uint64_t *set, size_t m,
                              uint32_t *seen, uint64_t total)
{
    memset(seen, 0, total * sizeof *seen);
    for (size_t i = 0; i < m; i++)
        seen[v[i]]++;
    for (size_t i = 0; i < m; i++)
        if (seen[set[i]] != 1)
            return false;
    return true;
}

/* Offline: the query padded to a whole number of loaded sets (2200 samples of a set of
 * 300 become 2400), each set a fresh shuffle of it. */
Test(compliance, offline_concatenates_permutations_of_the_loaded_set, .timeout = 30)
{
    tracker *t = tracker_new(1000);
    t->perf_load_call = 1;
    lg_settings s = acc_settings(LG_OFFLINE);
    s.mode = LG_MODE_PERFORMANCE;
    s.min_duration_ms = 2000;
    s.sample_concatenate_permutation = true;
    lg_results r;
    cr_assert_eq(run_tracked(&s, t, 300, NULL, &r), 0);
    cr_assert_eq(t->nissued, 2400);
    cr_assert_eq(r.samples_per_query, 2400);
    uint32_t *seen = calloc(1000, sizeof *seen);
    cr_assert_not_null(seen);
    bool differ = false;
    for (size_t b = 0; b < 8; b++) {
        cr_expect(is_permutation_of(t->issued + b * 300, t->perf_set, 300, seen, 1000),
                  "block %zu is not a permutation of the loaded set", b);
        if (b && memcmp(t->issued + b * 300, t->issued, 300 * sizeof *t->issued))
            differ = true;
    }
    cr_expect(differ, "every block in the same order: not shuffled again");
    free(seen);
    tracker_free(t);
}

/* SingleStream: MLPerf raises min_query_count to twice the expected queries of the
 * minimum duration (2 x 50 ms at the 1 ms hint = 100), then to the next multiple of the
 * performance count (100 + 40 = 140 for a count of 70); the run ends on a whole number
 * of sets, each a permutation of it. Server ends on a whole number of sets too. */
Test(compliance, streams_and_server_end_on_whole_permutations, .timeout = 30)
{
    static const lg_scenario sc[] = {LG_SINGLE_STREAM, LG_SERVER};
    for (size_t k = 0; k < 2; k++) {
        tracker *t = tracker_new(1000);
        t->perf_load_call = 1;
        lg_settings s = acc_settings(sc[k]);
        s.mode = LG_MODE_PERFORMANCE;
        s.sample_concatenate_permutation = true;
        lg_results r;
        cr_assert_eq(run_tracked(&s, t, 70, NULL, &r), 0);
        cr_expect_eq(t->nissued % 70, 0, "%s: %zu samples", lg_scenario_name(sc[k]),
                     t->nissued);
        if (sc[k] == LG_SINGLE_STREAM)
            cr_expect_geq(t->nissued, 140);
        uint32_t *seen = calloc(1000, sizeof *seen);
        cr_assert_not_null(seen);
        for (size_t b = 0; b < t->nissued / 70; b++)
            cr_expect(is_permutation_of(t->issued + b * 70, t->perf_set, 70, seen, 1000),
                      "%s: block %zu is not a permutation", lg_scenario_name(sc[k]), b);
        free(seen);
        cr_expect(r.valid, "%s: INVALID (%#x)", lg_scenario_name(sc[k]), r.invalid_reasons);
        tracker_free(t);
    }
}
