/* test_complete.c: the completion path (lg_complete, lg_first_token): many threads
 * completing and reporting first tokens at once, double completions and first tokens,
 * unknown and stale ids, calls when no test runs, failure statuses, samples that never
 * complete (sample timeout) and late completions. Runs under TSan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

/* ---------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) == EINTR)
        ;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static qsl_synthetic *make_qsl(void)
{
    qsl_synthetic *q = NULL;
    int rc = qsl_synthetic_create("complete-qsl", 1024, 256, 8, 1, &q);
    cr_assert_eq(rc, 0, "qsl_synthetic_create: %s", lg_strerror(rc));
    return q;
}

/* Exactly `queries` queries (min_duration 0 stops right at min_query_count); for
 * Offline, one query of `queries` samples. */
static lg_settings exact_settings(lg_scenario sc, uint64_t queries)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.mode = LG_MODE_PERFORMANCE;
    s.min_duration_ms = 0;
    s.min_query_count = queries;
    s.multi_stream_samples_per_query = 8;
    s.multi_stream_target_latency_percentile = 0.9;
    s.server_target_qps = 20000;
    s.server_target_latency_ns = 1000000000; /* 1 s: this file tests counting, not speed */
    return s;
}

static int run(const lg_settings *s, lg_sut sut, qsl_synthetic *q, lg_results *r)
{
    lg_qsl qsl = qsl_synthetic_qsl(q);
    return lg_run_test(s, &sut, &qsl, NULL, r);
}

/* ---------------------------------------------------------------------------------
 * A SUT whose issue() appends samples to a shared array that N threads drain, each
 * claiming a batch with a compare-and-swap and completing it with lg_complete().
 * mode ALL: every thread completes every sample (each sample N times at once).
 * ------------------------------------------------------------------------------- */

enum { MT_CLAIM = 0, MT_ALL = 1 };

typedef struct mt_sut {
    lg_sample *q;
    size_t cap;
    _Atomic size_t published;
    _Atomic size_t claimed;
    _Atomic int stop;
    _Atomic uint64_t overflow;
    _Atomic uint64_t calls;
    _Atomic uint64_t sent;
    int mode;
    bool tokens; /* each batch: lg_first_token, then lg_complete with n_tokens */
    unsigned nthreads;
    pthread_t th[32];
} mt_sut;

typedef struct mt_arg {
    mt_sut *m;
    unsigned id;
} mt_arg;

static mt_arg g_args[32];

static void mt_issue(void *ctx, const lg_sample *s, size_t n)
{
    mt_sut *m = ctx;
    size_t p = atomic_load_explicit(&m->published, memory_order_relaxed);
    if (p + n > m->cap) {
        atomic_fetch_add(&m->overflow, n);
        return;
    }
    memcpy(&m->q[p], s, n * sizeof *s);
    atomic_store_explicit(&m->published, p + n, memory_order_release);
    /* ALL: wait inside issue() until every thread answered every sample, so that all
     * the duplicates arrive while the test runs. */
    while (m->mode == MT_ALL && atomic_load(&m->sent) < (uint64_t)m->nthreads * (p + n))
        nap_us(100);
}

static void *mt_main(void *arg)
{
    mt_arg *a = arg;
    mt_sut *m = a->m;
    size_t batch = a->id % 4 + 1, mine = 0;
    lg_response resp[4];
    int idle = 0;
    for (;;) {
        size_t p = atomic_load_explicit(&m->published, memory_order_acquire);
        size_t c, k;
        if (m->mode == MT_ALL) {
            c = mine;
            k = p - c < batch ? p - c : batch;
            if (k)
                mine += k;
        } else {
            c = atomic_load(&m->claimed);
            k = p > c ? (p - c < batch ? p - c : batch) : 0;
            if (k && !atomic_compare_exchange_weak(&m->claimed, &c, c + k))
                continue;
        }
        if (k == 0) {
            if (atomic_load(&m->stop))
                return NULL;
            if (++idle < 64)
                sched_yield();
            else
                nap_us(50);
            continue;
        }
        idle = 0;
        for (size_t i = 0; i < k; i++)
            resp[i] = (lg_response){.id = m->q[c + i].id, .status = LG_STATUS_OK,
                                    .n_tokens = m->tokens ? 3 : 0};
        if (m->tokens)
            lg_first_token(resp, k);
        lg_complete(resp, k);
        atomic_fetch_add(&m->calls, 1);
        atomic_fetch_add(&m->sent, k);
    }
}

static mt_sut *mt_start_tokens(unsigned nthreads, size_t cap, int mode, bool tokens)
{
    mt_sut *m = calloc(1, sizeof *m);
    cr_assert_not_null(m);
    m->tokens = tokens;
    m->q = calloc(cap, sizeof *m->q);
    cr_assert_not_null(m->q);
    m->cap = cap;
    m->mode = mode;
    m->nthreads = nthreads;
    for (unsigned i = 0; i < nthreads; i++) {
        g_args[i] = (mt_arg){m, i};
        cr_assert_eq(pthread_create(&m->th[i], NULL, mt_main, &g_args[i]), 0);
    }
    return m;
}

static mt_sut *mt_start(unsigned nthreads, size_t cap, int mode)
{
    return mt_start_tokens(nthreads, cap, mode, false);
}

static void mt_stop(mt_sut *m)
{
    atomic_store(&m->stop, 1);
    for (unsigned i = 0; i < m->nthreads; i++)
        pthread_join(m->th[i], NULL);
    free(m->q);
    free(m);
}

static lg_sut mt_lg_sut(mt_sut *m)
{
    lg_sut s = {.name = "16-threads", .ctx = m, .issue = mt_issue};
    return s;
}

static void check_16_threads(lg_scenario sc, uint64_t queries)
{
    qsl_synthetic *q = make_qsl();
    mt_sut *m = mt_start(16, 1 << 17, MT_CLAIM);
    lg_settings s = exact_settings(sc, queries);
    lg_results r;
    int rc = run(&s, mt_lg_sut(m), q, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    size_t published = atomic_load(&m->published);
    uint64_t calls = atomic_load(&m->calls);
    uint64_t overflow = atomic_load(&m->overflow);
    mt_stop(m);
    const char *name = lg_scenario_name(sc);
    cr_assert_eq(overflow, 0, "the test SUT's array overflowed");
    cr_assert_eq(r.samples_issued, published, "%s: issued %llu, SUT got %zu", name,
                 (unsigned long long)r.samples_issued, published);
    cr_assert_eq(r.samples_completed, r.samples_issued, "%s: %llu of %llu completed", name,
                 (unsigned long long)r.samples_completed,
                 (unsigned long long)r.samples_issued);
    cr_assert_eq(r.duplicate_completions, 0);
    cr_assert_eq(r.unknown_completions, 0);
    cr_assert_eq(r.samples_timed_out, 0);
    cr_assert_eq(r.latency.count, r.samples_issued);
    cr_assert(r.valid, "%s: INVALID, reasons 0x%x", name, r.invalid_reasons);
    cr_assert_gt(calls, 1, "the threads made several completion calls");
    qsl_synthetic_destroy(q);
}

Test(complete, offline_completions_from_16_threads_are_all_counted, .timeout = 60)
{
    check_16_threads(LG_OFFLINE, 20000);
}

Test(complete, server_completions_from_16_threads_are_all_counted, .timeout = 60)
{
    check_16_threads(LG_SERVER, 1000);
}

Test(complete, multi_stream_samples_completed_by_several_threads_are_counted, .timeout = 60)
{
    check_16_threads(LG_MULTI_STREAM, 100);
}

Test(complete, sixteen_threads_completing_the_same_samples_count_one_each, .timeout = 60)
{
    qsl_synthetic *q = make_qsl();
    mt_sut *m = mt_start(16, 1 << 14, MT_ALL);
    lg_settings s = exact_settings(LG_OFFLINE, 2000);
    lg_results r;
    int rc = run(&s, mt_lg_sut(m), q, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    uint64_t sent = atomic_load(&m->sent);
    mt_stop(m);
    cr_assert_eq(sent, 16 * 2000);
    cr_assert_eq(r.samples_issued, 2000);
    cr_assert_eq(r.samples_completed, 2000, "%llu completed",
                 (unsigned long long)r.samples_completed);
    cr_assert_eq(r.duplicate_completions, 15 * 2000, "%llu duplicates, want 30000",
                 (unsigned long long)r.duplicate_completions);
    cr_assert_eq(r.unknown_completions, 0);
    cr_assert_eq(r.latency.count, 2000);
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_COMPLETION_ERRORS, "reasons 0x%x",
              r.invalid_reasons);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * An inline SUT with scripted misbehaviour
 * ------------------------------------------------------------------------------- */

typedef struct bad_sut {
    uint64_t n;               /* samples seen */
    uint64_t dup_every;       /* complete every k-th sample twice (0 = never) */
    uint64_t dup_sent;
    uint64_t fail_every;      /* complete every k-th sample with a failure status */
    uint64_t failed_sent;
    uint64_t bogus_per_issue; /* unknown ids completed per issue call */
    uint64_t bogus_sent;
    uint64_t seed;
    uint64_t stale_id;        /* completed once at the first issue when non-zero */
    bool stale_sent;
    uint64_t hold_every;      /* never complete every k-th sample (0 = never) */
    uint64_t hold_at_plus1;   /* never complete sample number hold_at_plus1 - 1 */
    uint64_t *held;
    size_t nheld, capheld;
    bool release_held_next;   /* complete held samples at the next issue */
    uint64_t released;
    uint64_t first_id;
} bad_sut;

static void bad_issue(void *ctx, const lg_sample *s, size_t n)
{
    bad_sut *b = ctx;
    if (b->release_held_next && b->nheld > b->released) {
        for (size_t i = b->released; i < b->nheld; i++) {
            lg_response r = {.id = b->held[i], .status = LG_STATUS_OK};
            lg_complete(&r, 1);
        }
        b->released = b->nheld;
    }
    if (b->stale_id && !b->stale_sent) {
        lg_response r = {.id = b->stale_id, .status = LG_STATUS_OK};
        lg_complete(&r, 1);
        b->stale_sent = true;
    }
    for (uint64_t k = 0; k < b->bogus_per_issue; k++) {
        /* High bits set: never an id of this run. */
        lg_response r = {.id = splitmix(&b->seed) | (UINT64_C(0xF0) << 56), .status = 0};
        lg_complete(&r, 1);
        b->bogus_sent++;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t k = b->n++;
        if (k == 0)
            b->first_id = s[i].id;
        if ((b->hold_every && k % b->hold_every == b->hold_every - 1) ||
            k + 1 == b->hold_at_plus1) {
            if (b->nheld == b->capheld) {
                b->capheld = b->capheld ? 2 * b->capheld : 64;
                b->held = realloc(b->held, b->capheld * sizeof *b->held);
            }
            b->held[b->nheld++] = s[i].id;
            continue;
        }
        lg_response r = {.id = s[i].id, .status = LG_STATUS_OK};
        if (b->fail_every && k % b->fail_every == 0) {
            r.status = 503;
            b->failed_sent++;
        }
        lg_complete(&r, 1);
        if (b->dup_every && k % b->dup_every == 0) {
            r.status = LG_STATUS_OK; /* the second answer must not change the first */
            lg_complete(&r, 1);
            b->dup_sent++;
        }
    }
}

static lg_sut bad_lg_sut(bad_sut *b)
{
    lg_sut s = {.name = "misbehaving", .ctx = b, .issue = bad_issue};
    return s;
}

Test(complete, double_completion_is_counted_and_leaves_other_figures_intact, .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 200);
    lg_results clean, r;
    bad_sut good = {0};
    cr_assert_eq(run(&s, bad_lg_sut(&good), q, &clean), 0);
    cr_assert(clean.valid, "reference run INVALID, reasons 0x%x", clean.invalid_reasons);

    bad_sut b = {.dup_every = 10};
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    cr_assert_eq(b.dup_sent, 20);
    cr_assert_eq(r.duplicate_completions, 20, "%llu duplicates counted",
                 (unsigned long long)r.duplicate_completions);
    cr_assert_eq(r.queries_issued, clean.queries_issued);
    cr_assert_eq(r.samples_issued, 200);
    cr_assert_eq(r.samples_completed, 200, "a duplicate changed the completed count");
    cr_assert_eq(r.samples_failed, 0);
    cr_assert_eq(r.unknown_completions, 0);
    cr_assert_eq(r.late_completions, 0);
    cr_assert_eq(r.latency.count, 200);
    cr_assert(r.early_stopping.met);
    cr_assert_not(r.valid);
    cr_assert_eq(r.invalid_reasons, (unsigned)LG_INVALID_COMPLETION_ERRORS,
                 "reasons 0x%x, want only COMPLETION_ERRORS", r.invalid_reasons);
    qsl_synthetic_destroy(q);
}

Test(complete, double_completion_with_failure_then_ok_keeps_the_first_status, .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 100);
    bad_sut b = {.dup_every = 5, .fail_every = 5}; /* failed, then "OK" again */
    lg_results r;
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    cr_assert_eq(r.samples_failed, 20, "the second answer overwrote a failure: %llu failed",
                 (unsigned long long)r.samples_failed);
    cr_assert_eq(r.duplicate_completions, 20);
    cr_assert_eq(r.samples_completed, 100);
    cr_assert(r.invalid_reasons & LG_INVALID_FAILED_SAMPLES);
    cr_assert(r.invalid_reasons & LG_INVALID_COMPLETION_ERRORS);
    qsl_synthetic_destroy(q);
}

Test(complete, unknown_and_stale_ids_are_counted_as_unknown, .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 100);
    bad_sut first = {0};
    lg_results r;
    cr_assert_eq(run(&s, bad_lg_sut(&first), q, &r), 0);
    cr_assert(r.valid);
    cr_assert_neq(first.first_id, 0);

    bad_sut b = {.bogus_per_issue = 3, .seed = 77, .stale_id = first.first_id};
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    cr_assert(b.stale_sent);
    cr_assert_eq(b.bogus_sent, 300);
    cr_assert_eq(r.unknown_completions, 301, "%llu unknown completions counted, want 301",
                 (unsigned long long)r.unknown_completions);
    cr_assert_eq(r.samples_completed, 100);
    cr_assert_eq(r.duplicate_completions, 0);
    cr_assert_eq(r.latency.count, 100);
    cr_assert_eq(r.invalid_reasons, (unsigned)LG_INVALID_COMPLETION_ERRORS,
                 "reasons 0x%x", r.invalid_reasons);
    qsl_synthetic_destroy(q);
}

/* Ids near real ones: the same pass but a sequence number not issued (yet). */
typedef struct near_sut {
    uint64_t sent;
    uint64_t n;
} near_sut;

static void near_issue(void *ctx, const lg_sample *s, size_t n)
{
    near_sut *ns = ctx;
    for (size_t i = 0; i < n; i++) {
        if (ns->n++ == 0) {
            static const uint64_t offs[] = {1, 2, 1000, 65536, 1u << 20, UINT64_C(1) << 35};
            for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
                lg_response r = {.id = s[i].id + offs[k]};
                lg_complete(&r, 1);
                ns->sent++;
            }
            lg_response zero[2] = {{.id = 0}, {.id = UINT64_MAX}};
            lg_complete(zero, 2);
            ns->sent += 2;
        }
        lg_response r = {.id = s[i].id};
        lg_complete(&r, 1);
    }
}

Test(complete, ids_of_samples_not_issued_yet_are_unknown_and_do_not_block_them,
     .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 100);
    near_sut ns = {0};
    lg_sut sut = {.name = "near", .ctx = &ns, .issue = near_issue};
    lg_results r;
    cr_assert_eq(run(&s, sut, q, &r), 0);
    cr_assert_eq(ns.sent, 8);
    cr_assert_eq(r.unknown_completions, 8, "%llu unknown",
                 (unsigned long long)r.unknown_completions);
    /* The samples those ids will name later still complete normally. */
    cr_assert_eq(r.samples_completed, 100);
    cr_assert_eq(r.duplicate_completions, 0, "an early unknown id poisoned a later sample");
    cr_assert_eq(r.samples_timed_out, 0);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * lg_complete with no test running
 * ------------------------------------------------------------------------------- */

static _Atomic int g_hammer_stop;

static void *hammer(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    lg_response r[8];
    while (!atomic_load(&g_hammer_stop)) {
        for (int i = 0; i < 8; i++)
            r[i] = (lg_response){.id = splitmix(&seed) | (UINT64_C(0xF0) << 56),
                                 .status = (int32_t)(i & 1)};
        lg_complete(r, 8);
        lg_complete(NULL, 0);
        nap_us(20);
    }
    return NULL;
}

Test(complete, complete_with_no_test_running_is_harmless, .timeout = 30)
{
    lg_complete(NULL, 0);
    lg_response junk[3] = {{.id = 0}, {.id = 12345, .status = 7}, {.id = UINT64_MAX}};
    lg_complete(junk, 3);
    atomic_store(&g_hammer_stop, 0);
    pthread_t th[4];
    for (uintptr_t i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, hammer, (void *)(i + 1)), 0);
    nap_us(20000);
    atomic_store(&g_hammer_stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    /* None of that leaks into the next run. */
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 100);
    lg_results r;
    cr_assert_eq(run(&s, sut_null(), q, &r), 0);
    cr_assert(r.valid, "reasons 0x%x", r.invalid_reasons);
    cr_assert_eq(r.unknown_completions, 0, "stray completions before the run were counted");
    cr_assert_eq(r.samples_completed, 100);
    cr_assert_eq(r.samples_failed, 0);
    qsl_synthetic_destroy(q);
}

Test(complete, stray_completions_racing_test_start_and_end_do_not_corrupt_runs,
     .timeout = 60)
{
    atomic_store(&g_hammer_stop, 0);
    pthread_t th[3];
    for (uintptr_t i = 0; i < 3; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, hammer, (void *)(i + 100)), 0);
    qsl_synthetic *q = make_qsl();
    static const lg_scenario sc[] = {LG_SINGLE_STREAM, LG_OFFLINE, LG_SERVER,
                                     LG_MULTI_STREAM};
    for (int k = 0; k < 8; k++) {
        lg_settings s = exact_settings(sc[k % 4], 200);
        lg_results r;
        int rc = run(&s, sut_null(), q, &r);
        cr_assert_eq(rc, 0, "run %d: %s", k, lg_strerror(rc));
        cr_assert_gt(r.samples_issued, 0);
        cr_assert_eq(r.samples_completed, r.samples_issued, "run %d: %llu of %llu", k,
                     (unsigned long long)r.samples_completed,
                     (unsigned long long)r.samples_issued);
        cr_assert_eq(r.samples_failed, 0, "run %d: a stray failure was counted", k);
        cr_assert_eq(r.duplicate_completions, 0, "run %d", k);
        /* Strays during the run are unknown ids: counted, never anything else. */
        if (r.unknown_completions)
            cr_assert(r.invalid_reasons & LG_INVALID_COMPLETION_ERRORS);
    }
    atomic_store(&g_hammer_stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * Failure statuses
 * ------------------------------------------------------------------------------- */

Test(complete, failure_statuses_are_counted_as_failed_samples, .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    static const lg_scenario all[] = {LG_SINGLE_STREAM, LG_OFFLINE, LG_SERVER};
    for (int k = 0; k < 3; k++) {
        lg_settings s = exact_settings(all[k], 700);
        bad_sut b = {.fail_every = 7};
        lg_results r;
        cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
        const char *name = lg_scenario_name(all[k]);
        cr_assert_eq(b.failed_sent, 100);
        cr_assert_eq(r.samples_failed, 100, "%s: %llu failed", name,
                     (unsigned long long)r.samples_failed);
        cr_assert_eq(r.samples_completed, 700, "%s: failed samples are still completed",
                     name);
        cr_assert_eq(r.latency.count, 600, "%s: failed samples have no latency", name);
        cr_assert_not(r.valid);
        cr_assert(r.invalid_reasons & LG_INVALID_FAILED_SAMPLES, "%s: reasons 0x%x", name,
                  r.invalid_reasons);
        if (all[k] == LG_SERVER) {
            cr_assert(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT,
                      "a failed Server sample is not an answer within the bound");
            cr_assert_geq(r.overlatency_count, 100);
        }
    }
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * Samples that never complete
 * ------------------------------------------------------------------------------- */

Test(complete, never_completed_samples_time_out_and_late_completion_is_harmless,
     .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_OFFLINE, 100);
    s.sample_timeout_ns = 200000000; /* 200 ms */
    bad_sut b = {.hold_every = 10};
    lg_results r;
    int64_t t0 = now_ns();
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    int64_t took = now_ns() - t0;
    cr_assert_eq(b.nheld, 10);
    cr_assert_geq(took, 200000000LL, "ended before the sample timeout (%lld ns)",
                  (long long)took);
    cr_assert_lt(took, 5000000000LL, "the sample timeout did not end the run");
    cr_assert_eq(r.samples_timed_out, 10, "%llu timed out",
                 (unsigned long long)r.samples_timed_out);
    cr_assert_eq(r.samples_completed, 90);
    cr_assert_eq(r.latency.count, 90);
    cr_assert_not(r.valid);
    cr_assert(r.invalid_reasons & LG_INVALID_TIMED_OUT, "reasons 0x%x", r.invalid_reasons);
    /* The SUT answers after the test ended: ignored. */
    for (size_t i = 0; i < b.nheld; i++) {
        lg_response resp = {.id = b.held[i]};
        lg_complete(&resp, 1);
    }
    /* And the next run is clean. */
    lg_results r2;
    cr_assert_eq(run(&s, sut_null(), q, &r2), 0);
    cr_assert_eq(r2.unknown_completions, 0);
    cr_assert_eq(r2.late_completions, 0);
    cr_assert_eq(r2.samples_completed, 100);
    free(b.held);
    qsl_synthetic_destroy(q);
}

Test(complete, completion_after_timeout_during_run_is_counted_late, .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 20);
    s.sample_timeout_ns = 100000000; /* 100 ms */
    /* Sample 10 is held; SingleStream waits for it until the timeout, then issues
     * sample 11, and the SUT answers sample 10 then. */
    bad_sut b = {.hold_every = 10, .release_held_next = true};
    lg_results r;
    int64_t t0 = now_ns();
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    int64_t took = now_ns() - t0;
    cr_assert_eq(b.nheld, 2, "samples 10 and 20 held");
    cr_assert_eq(b.released, 1, "sample 10 answered late");
    cr_assert_geq(took, 200000000LL, "two samples waited for 100 ms each");
    cr_assert_lt(took, 5000000000LL);
    cr_assert_eq(r.samples_timed_out, 2);
    cr_assert_eq(r.late_completions, 1, "%llu late completions",
                 (unsigned long long)r.late_completions);
    cr_assert_eq(r.duplicate_completions, 0, "a late completion is not a duplicate");
    cr_assert_eq(r.unknown_completions, 0);
    cr_assert_eq(r.samples_completed, 18);
    cr_assert(r.invalid_reasons & LG_INVALID_TIMED_OUT);
    free(b.held);
    qsl_synthetic_destroy(q);
}

Test(complete, server_samples_never_completed_time_out, .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SERVER, 500);
    s.sample_timeout_ns = 200000000;
    bad_sut b = {.hold_every = 50};
    lg_results r;
    int64_t t0 = now_ns();
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    cr_assert_lt(now_ns() - t0, 5000000000LL);
    cr_assert_eq(r.samples_timed_out, 10);
    cr_assert_eq(r.samples_completed, r.samples_issued - 10);
    cr_assert(r.invalid_reasons & LG_INVALID_TIMED_OUT);
    cr_assert(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT,
              "a lost Server sample is not an answer within the bound");
    free(b.held);
    qsl_synthetic_destroy(q);
}

/* A sample already marked timed out is settled: the end of the run must not wait for it
 * a second time. SingleStream marks it after sample_timeout_ns while issuing; the final
 * drain should then find nothing outstanding. */
Test(complete, single_stream_timed_out_sample_is_not_waited_for_again_at_the_end,
     .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 20);
    s.sample_timeout_ns = 400000000; /* 400 ms */
    bad_sut b = {.hold_at_plus1 = 6}; /* sample 5 of 20 is never answered */
    lg_results r;
    int64_t t0 = now_ns();
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    int64_t took = now_ns() - t0;
    cr_assert_eq(b.nheld, 1);
    cr_assert_eq(r.samples_timed_out, 1);
    cr_assert_eq(r.samples_completed, 19);
    cr_assert_geq(took, 400000000LL, "the lost sample was not awaited for its timeout");
    cr_assert_lt(took, 700000000LL, "one lost sample made the run wait %lld ms: it was "
                 "awaited once while issuing and again, in full, after issuing ended",
                 (long long)(took / 1000000));
    free(b.held);
    qsl_synthetic_destroy(q);
}

/* Accuracy mode loads, issues and awaits the dataset set by set. One sample that never
 * completes must cost one sample timeout, not one timeout for every later set. */
static void check_accuracy_lost_sample(lg_scenario sc)
{
    qsl_synthetic *q = NULL;
    cr_assert_eq(qsl_synthetic_create("acc-qsl", 100, 10, 8, 1, &q), 0); /* 10 sets */
    lg_settings s = exact_settings(sc, 10);
    s.mode = LG_MODE_ACCURACY;
    s.sample_timeout_ns = 200000000; /* 200 ms */
    bad_sut b = {.hold_at_plus1 = 4}; /* a sample of the first set */
    lg_results r;
    int64_t t0 = now_ns();
    cr_assert_eq(run(&s, bad_lg_sut(&b), q, &r), 0);
    int64_t took = now_ns() - t0;
    const char *name = lg_scenario_name(sc);
    cr_assert_eq(b.n, 100, "%s: every sample is still issued", name);
    cr_assert_eq(r.samples_issued, 100);
    cr_assert_eq(r.samples_completed, 99);
    cr_assert_eq(r.samples_timed_out, 1, "%s: %llu timed out", name,
                 (unsigned long long)r.samples_timed_out);
    cr_assert(r.invalid_reasons & LG_INVALID_TIMED_OUT);
    cr_assert_lt(took, 1000000000LL, "%s accuracy: one lost sample in the first of 10 sets "
                 "made the run take %lld ms (each later set waited the full 200 ms timeout)",
                 name, (long long)(took / 1000000));
    free(b.held);
    qsl_synthetic_destroy(q);
}

Test(complete, offline_accuracy_lost_sample_does_not_stall_every_later_set, .timeout = 30)
{
    check_accuracy_lost_sample(LG_OFFLINE);
}

Test(complete, single_stream_accuracy_lost_sample_does_not_stall_every_later_set,
     .timeout = 30)
{
    check_accuracy_lost_sample(LG_SINGLE_STREAM);
}

/* ---------------------------------------------------------------------------------
 * The synthetic SUT's fault injection, seen through the completion path
 * ------------------------------------------------------------------------------- */

Test(complete, synthetic_sut_faults_are_counted_as_failed_duplicate_and_timed_out,
     .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    sut_synthetic_config c;
    sut_synthetic_default(&c);
    c.mean_ns = 10000;
    c.workers = 4;
    c.seed = 9;
    c.fail_fraction = 0.10;
    c.double_fraction = 0.10;
    c.drop_fraction = 0.05;
    sut_synthetic *sy = NULL;
    cr_assert_eq(sut_synthetic_create(&c, &sy), 0);
    lg_settings s = exact_settings(LG_OFFLINE, 2000);
    s.sample_timeout_ns = 200000000;
    lg_results r;
    lg_sut sut = sut_synthetic_sut(sy);
    int rc = run(&s, sut, q, &r);
    sut_synthetic_destroy(sy);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.samples_issued, 2000);
    cr_assert_eq(r.samples_completed + r.samples_timed_out, 2000,
                 "completed %llu + timed out %llu != 2000",
                 (unsigned long long)r.samples_completed,
                 (unsigned long long)r.samples_timed_out);
    /* Binomial(2000, p): 10% is 200 +- 13, 5% is 100 +- 10. */
    cr_assert(r.samples_failed >= 120 && r.samples_failed <= 280, "%llu failed",
              (unsigned long long)r.samples_failed);
    cr_assert(r.duplicate_completions >= 120 && r.duplicate_completions <= 280,
              "%llu duplicates", (unsigned long long)r.duplicate_completions);
    cr_assert(r.samples_timed_out >= 50 && r.samples_timed_out <= 160, "%llu timed out",
              (unsigned long long)r.samples_timed_out);
    cr_assert_eq(r.unknown_completions, 0);
    cr_assert_eq(r.latency.count, r.samples_completed - r.samples_failed);
    unsigned want = LG_INVALID_FAILED_SAMPLES | LG_INVALID_TIMED_OUT |
                    LG_INVALID_COMPLETION_ERRORS;
    cr_assert_eq(r.invalid_reasons & want, want, "reasons 0x%x", r.invalid_reasons);
    qsl_synthetic_destroy(q);
}

/* ---------------------------------------------------------------------------------
 * lg_first_token
 * ------------------------------------------------------------------------------- */

/* 16 threads report first tokens and complete, each sample once: every sample has its
 * first token and token count, and nothing is counted as an error. */
static void check_16_threads_tokens(lg_scenario sc, uint64_t queries)
{
    qsl_synthetic *q = make_qsl();
    mt_sut *m = mt_start_tokens(16, 1 << 17, MT_CLAIM, true);
    lg_settings s = exact_settings(sc, queries);
    s.use_token_latencies = true;
    /* 1 s bounds, as the latency bound above: this tests counting, not speed. */
    s.server_ttft_latency_ns = s.server_tpot_latency_ns = 1000000000;
    lg_results r;
    int rc = run(&s, mt_lg_sut(m), q, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    mt_stop(m);
    const lg_token_results *k = &r.tokens;
    const char *name = lg_scenario_name(sc);
    cr_assert(k->applies && k->mlperf);
    cr_expect_eq(r.samples_completed, r.samples_issued, "%s", name);
    cr_expect_eq(k->ttft.count, r.samples_issued, "%s: every sample's first token", name);
    cr_expect_eq(k->tpot.count, r.samples_issued, "%s", name);
    cr_expect_eq(k->output_tokens, 3 * r.samples_issued, "%s", name);
    cr_expect_eq(k->first_token_duplicates + k->first_token_unknown + k->first_token_late, 0,
                 "%s", name);
    cr_expect_eq(k->missing_first_token, 0, "%s", name);
    cr_expect_geq(k->ttft.min_ns, 0);
    cr_expect_leq(k->ttft.max_ns, r.latency.max_ns);
    cr_expect(r.valid, "%s: INVALID, reasons 0x%x", name, r.invalid_reasons);
    qsl_synthetic_destroy(q);
}

Test(first_token, first_tokens_from_16_threads_are_all_recorded_server, .timeout = 60)
{
    check_16_threads_tokens(LG_SERVER, 1000);
}

Test(first_token, first_tokens_from_16_threads_are_all_recorded_offline, .timeout = 60)
{
    check_16_threads_tokens(LG_OFFLINE, 20000);
}

/* 16 threads each report the first token of every sample, then complete it: one first
 * token per sample is kept, every other call is counted as a duplicate (before the
 * sample completed) or late (after), and the run is INVALID for them. */
Test(first_token, sixteen_threads_reporting_the_same_first_tokens_keep_one_each,
     .timeout = 60)
{
    qsl_synthetic *q = make_qsl();
    mt_sut *m = mt_start_tokens(16, 1 << 14, MT_ALL, true);
    lg_settings s = exact_settings(LG_OFFLINE, 2000);
    s.use_token_latencies = true;
    lg_results r;
    int rc = run(&s, mt_lg_sut(m), q, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    mt_stop(m);
    const lg_token_results *k = &r.tokens;
    uint64_t n = r.samples_issued;
    cr_expect_eq(n, 2000);
    cr_expect_eq(r.duplicate_completions, 15 * n);
    /* Every call is kept (a TTFT), a duplicate, or late (live, or found after the race). */
    cr_expect_eq(k->first_token_duplicates + k->first_token_late + k->ttft.count, 16 * n,
                 "%llu duplicates, %llu late, %llu kept",
                 (unsigned long long)k->first_token_duplicates,
                 (unsigned long long)k->first_token_late, (unsigned long long)k->ttft.count);
    cr_expect_eq(k->ttft.count + k->missing_first_token, n);
    cr_expect_geq(k->first_token_duplicates + k->first_token_late, 15 * n);
    cr_expect(r.invalid_reasons & LG_INVALID_TOKEN_ERRORS);
    cr_expect_eq(k->first_token_unknown, 0);
    qsl_synthetic_destroy(q);
}

/* First tokens for ids never issued (another pass's tag, a sequence not issued yet), and
 * after completion, are counted and change no record. */
static void unknown_first_token_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        lg_response bad[2] = {{.id = s[i].id ^ (UINT64_C(1) << 40)},
                              {.id = s[i].id + 1000000}};
        lg_first_token(bad, 2);
        lg_response r = {.id = s[i].id, .n_tokens = 2};
        lg_first_token(&r, 1);
        lg_complete(&r, 1);
        lg_first_token(&r, 1); /* after its completion */
    }
}

Test(first_token, unknown_and_late_first_tokens_are_counted, .timeout = 30)
{
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 100);
    s.use_token_latencies = true;
    lg_sut sut = {.name = "unknown-first", .issue = unknown_first_token_issue};
    lg_results r;
    cr_assert_eq(run(&s, sut, q, &r), 0);
    const lg_token_results *k = &r.tokens;
    cr_expect_eq(r.samples_issued, 100);
    cr_expect_eq(k->first_token_unknown, 200);
    cr_expect_eq(k->first_token_late, 100);
    cr_expect_eq(k->first_token_duplicates, 0);
    cr_expect_eq(k->ttft.count, 100);
    cr_expect_eq(r.unknown_completions, 0);
    cr_expect(r.invalid_reasons & LG_INVALID_TOKEN_ERRORS);
    qsl_synthetic_destroy(q);
}

/* A test that records no tokens counts the first tokens it was sent, and stays VALID;
 * with no test running they are harmless. */
Test(first_token, first_tokens_of_a_test_without_tokens_are_counted_ignored, .timeout = 30)
{
    lg_response stray = {.id = 12345};
    lg_first_token(&stray, 1);
    lg_first_token(NULL, 0);
    qsl_synthetic *q = make_qsl();
    lg_settings s = exact_settings(LG_SINGLE_STREAM, 100);
    lg_sut sut = {.name = "ignored-first", .issue = unknown_first_token_issue};
    lg_results r;
    cr_assert_eq(run(&s, sut, q, &r), 0);
    cr_expect_not(r.tokens.applies);
    cr_expect_eq(r.tokens.first_tokens_ignored, 400);
    cr_expect_eq(r.tokens.first_token_unknown, 0);
    cr_expect(r.valid, "reasons 0x%x", r.invalid_reasons);
    qsl_synthetic_destroy(q);
}
