/* test_pool.c: the worker-pool runner (sut_pool): every issued sample processed exactly
 * once for several worker counts and batch sizes, batches within max_batch, responses
 * (data and status) reaching the LoadGen, real Server and Offline runs, a full ring that
 * blocks issue() without losing samples, argument errors, and idle destroy. Runs under
 * TSan. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
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

#define MAX_WORKERS 16

/* What the process function saw, per pool. */
typedef struct counter {
    size_t n;                    /* ids 0..n-1 are valid */
    _Atomic uint32_t *count;     /* per id: times processed */
    _Atomic uint64_t done;       /* samples whose process() call returned */
    _Atomic uint64_t calls;
    _Atomic uint64_t bad_worker; /* worker number out of range */
    _Atomic uint64_t bad_id;     /* response id not preset to the sample's id, or id >= n */
    _Atomic uint64_t too_big;    /* batches over max_batch */
    _Atomic size_t max_seen;
    _Atomic int first[MAX_WORKERS]; /* the worker's first call sleeps, so samples pile up */
    unsigned workers, max_batch;
    long work_us;                /* sleep per call */
    /* Response buffers, one region per worker: valid until its next call. */
    unsigned char *out;
} counter;

static void count_process(void *ctx, unsigned worker, const lg_sample *s, size_t n,
                          lg_response *resp)
{
    counter *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    if (worker >= c->workers) {
        atomic_fetch_add(&c->bad_worker, 1);
        worker = 0;
    }
    if (n > c->max_batch)
        atomic_fetch_add(&c->too_big, 1);
    size_t m = atomic_load(&c->max_seen);
    while (n > m && !atomic_compare_exchange_weak(&c->max_seen, &m, n))
        ;
    if (worker < MAX_WORKERS && atomic_exchange(&c->first[worker], 1) == 0)
        nap_us(2000);
    if (c->work_us)
        nap_us(c->work_us);
    for (size_t i = 0; i < n; i++) {
        if (resp[i].id != s[i].id)
            atomic_fetch_add(&c->bad_id, 1);
        if (c->count) {
            if (s[i].id < c->n)
                atomic_fetch_add(&c->count[s[i].id], 1);
            else
                atomic_fetch_add(&c->bad_id, 1);
        }
        if (c->out) {
            unsigned char *b = &c->out[((size_t)worker * c->max_batch + i) * 4];
            uint32_t v = (uint32_t)s[i].index * 3 + 1;
            memcpy(b, &v, 4);
            resp[i].data = b;
            resp[i].size = 4;
        }
        resp[i].status = s[i].index % 9 == 0 ? 422 : LG_STATUS_OK;
    }
    atomic_fetch_add(&c->done, n);
}

static counter *counter_new(size_t n, unsigned workers, unsigned max_batch)
{
    counter *c = calloc(1, sizeof *c);
    cr_assert_not_null(c);
    c->n = n;
    if (n) {
        c->count = calloc(n, sizeof *c->count);
        cr_assert_not_null(c->count);
    }
    c->workers = workers;
    c->max_batch = max_batch;
    c->out = calloc((size_t)workers * max_batch, 4);
    cr_assert_not_null(c->out);
    return c;
}

static void counter_free(counter *c)
{
    free(c->count);
    free(c->out);
    free(c);
}

static sut_pool *make_pool(counter *c, size_t ring)
{
    sut_pool_config cfg = {.name = "test-pool", .process = count_process, .ctx = c,
                           .workers = c->workers, .max_batch = c->max_batch,
                           .ring_capacity = ring};
    sut_pool *p = NULL;
    int rc = sut_pool_create(&cfg, &p);
    cr_assert_eq(rc, 0, "sut_pool_create: %s", lg_strerror(rc));
    cr_assert_not_null(p);
    return p;
}

static bool wait_done(counter *c, uint64_t want, int64_t timeout_ns)
{
    int64_t end = now_ns() + timeout_ns;
    while (atomic_load(&c->done) < want) {
        if (now_ns() > end)
            return false;
        nap_us(200);
    }
    return true;
}

/* Issues ids 0..n-1 in calls of 1..64 samples, as a LoadGen would. */
static void issue_all(lg_sut *sut, size_t n)
{
    lg_sample buf[64];
    uint64_t seed = 12345;
    size_t id = 0;
    while (id < n) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t k = (size_t)(seed >> 58) + 1; /* 1..64 */
        if (k > n - id)
            k = n - id;
        for (size_t i = 0; i < k; i++)
            buf[i] = (lg_sample){.id = id + i, .index = (id + i) % 1000};
        sut->issue(sut->ctx, buf, k);
        id += k;
    }
}

static void check_exactly_once(unsigned workers, unsigned batch)
{
    size_t n = 20000;
    counter *c = counter_new(n, workers, batch);
    sut_pool *p = make_pool(c, 1024);
    lg_sut sut = sut_pool_sut(p);
    cr_assert_not_null(sut.issue);
    issue_all(&sut, n);
    bool ok = wait_done(c, n, 10000000000LL);
    uint64_t processed = sut_pool_processed(p);
    sut_pool_destroy(p);
    cr_assert(ok, "workers %u batch %u: only %llu of %zu samples processed", workers, batch,
              (unsigned long long)atomic_load(&c->done), n);
    cr_assert_eq(processed, n, "sut_pool_processed says %llu", (unsigned long long)processed);
    cr_assert_eq(atomic_load(&c->done), n, "more samples processed than issued");
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(atomic_load(&c->count[i]), 1, "workers %u batch %u: id %zu processed %u "
                     "times", workers, batch, i, atomic_load(&c->count[i]));
    cr_assert_eq(atomic_load(&c->bad_worker), 0, "a worker number was out of range");
    cr_assert_eq(atomic_load(&c->bad_id), 0, "response ids were not preset");
    cr_assert_eq(atomic_load(&c->too_big), 0, "a batch exceeded max_batch %u", batch);
    /* Samples pile up while each worker's first call sleeps: full batches follow. */
    cr_assert_eq(atomic_load(&c->max_seen), batch, "workers %u: largest batch %zu, max %u",
                 workers, atomic_load(&c->max_seen), batch);
    counter_free(c);
}

/* ---------------------------------------------------------------------------------
 * Exactly once
 * ------------------------------------------------------------------------------- */

Test(pool, one_worker_processes_every_sample_exactly_once, .timeout = 60)
{
    check_exactly_once(1, 1);
    check_exactly_once(1, 16);
}

Test(pool, two_workers_process_every_sample_exactly_once, .timeout = 60)
{
    check_exactly_once(2, 1);
    check_exactly_once(2, 16);
}

Test(pool, eight_workers_process_every_sample_exactly_once, .timeout = 60)
{
    check_exactly_once(8, 1);
    check_exactly_once(8, 16);
}

Test(pool, full_tiny_ring_blocks_issue_but_delivers_everything, .timeout = 60)
{
    size_t n = 3000;
    counter *c = counter_new(n, 2, 1);
    c->work_us = 20; /* slower than issue: the ring of 2 stays full */
    sut_pool *p = make_pool(c, 2);
    lg_sut sut = sut_pool_sut(p);
    lg_sample *all = malloc(n * sizeof *all);
    cr_assert_not_null(all);
    for (size_t i = 0; i < n; i++)
        all[i] = (lg_sample){.id = i, .index = i};
    /* One issue call of 3000 samples into a ring of 2: it must wait for room. */
    sut.issue(sut.ctx, all, n);
    free(all);
    /* issue() returned: at most the ring's 2 samples are still waiting. */
    cr_assert_geq(sut_pool_processed(p), n - 2, "issue() returned with %llu samples taken",
                  (unsigned long long)sut_pool_processed(p));
    bool ok = wait_done(c, n, 20000000000LL);
    sut_pool_destroy(p);
    cr_assert(ok, "only %llu of %zu delivered", (unsigned long long)atomic_load(&c->done), n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(atomic_load(&c->count[i]), 1, "id %zu processed %u times", i,
                     atomic_load(&c->count[i]));
    counter_free(c);
}

/* ---------------------------------------------------------------------------------
 * With the LoadGen
 * ------------------------------------------------------------------------------- */

static qsl_synthetic *make_qsl(uint64_t total, uint64_t psc)
{
    qsl_synthetic *q = NULL;
    int rc = qsl_synthetic_create("pool-qsl", total, psc, 8, 1, &q);
    cr_assert_eq(rc, 0, "qsl_synthetic_create: %s", lg_strerror(rc));
    return q;
}

/* A process function for full runs: no per-id table (ids are the LoadGen's), OK status. */
static void ok_process(void *ctx, unsigned worker, const lg_sample *s, size_t n,
                       lg_response *resp)
{
    counter *c = ctx;
    (void)worker;
    atomic_fetch_add(&c->calls, 1);
    if (n > c->max_batch)
        atomic_fetch_add(&c->too_big, 1);
    for (size_t i = 0; i < n; i++)
        if (resp[i].id != s[i].id || resp[i].status != LG_STATUS_OK)
            atomic_fetch_add(&c->bad_id, 1);
    atomic_fetch_add(&c->done, n);
}

static void check_run(lg_scenario sc, unsigned workers, unsigned batch, size_t ring)
{
    counter *c = counter_new(0, workers, batch);
    sut_pool_config cfg = {.process = ok_process, .ctx = c, .workers = workers,
                           .max_batch = batch, .ring_capacity = ring};
    sut_pool *p = NULL;
    cr_assert_eq(sut_pool_create(&cfg, &p), 0);
    qsl_synthetic *q = make_qsl(1024, 256);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_pool_sut(p);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.min_duration_ms = 100;
    s.min_query_count = 500;
    s.server_target_qps = 6000;
    s.server_target_latency_ns = 500000000;
    s.offline_expected_qps = 50000; /* 5500 samples */
    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, NULL, &r);
    uint64_t processed = sut_pool_processed(p);
    sut_pool_destroy(p);
    const char *name = lg_scenario_name(sc);
    cr_assert_eq(rc, 0, "%s: lg_run_test: %s", name, lg_strerror(rc));
    cr_assert_eq(processed, r.samples_issued, "%s: pool took %llu, LoadGen issued %llu", name,
                 (unsigned long long)processed, (unsigned long long)r.samples_issued);
    cr_assert_eq(atomic_load(&c->done), r.samples_issued);
    cr_assert_eq(r.samples_completed, r.samples_issued);
    cr_assert_eq(r.duplicate_completions, 0);
    cr_assert_eq(r.unknown_completions, 0);
    cr_assert_eq(atomic_load(&c->bad_id), 0, "responses not preset with id and OK status");
    cr_assert_eq(atomic_load(&c->too_big), 0);
    if (sc == LG_OFFLINE) {
        cr_assert_eq(r.samples_issued, 5500);
        /* Offline is too quick for its 100 ms minimum here: only that may be wrong. */
        cr_assert_eq(r.invalid_reasons & ~(unsigned)LG_INVALID_MIN_DURATION, 0u,
                     "Offline reasons 0x%x", r.invalid_reasons);
    } else {
        cr_assert(r.valid, "%s INVALID, reasons 0x%x", name, r.invalid_reasons);
    }
    qsl_synthetic_destroy(q);
    counter_free(c);
}

Test(pool, server_run_through_the_pool_completes_every_sample, .timeout = 60)
{
    check_run(LG_SERVER, 2, 1, 0);
    check_run(LG_SERVER, 8, 16, 0);
}

Test(pool, offline_run_through_the_pool_completes_every_sample, .timeout = 60)
{
    check_run(LG_OFFLINE, 1, 16, 0);
    check_run(LG_OFFLINE, 8, 16, 0);
}

Test(pool, runs_through_a_tiny_ring_complete_every_sample, .timeout = 60)
{
    check_run(LG_OFFLINE, 2, 4, 4);
    check_run(LG_SERVER, 2, 1, 2);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

Test(pool, responses_data_and_status_reach_the_loadgen, .timeout = 60)
{
    char dir[128];
    snprintf(dir, sizeof dir, "/tmp/lg_test_pool_XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    uint64_t total = 900;
    counter *c = counter_new(0, 4, 8);
    sut_pool_config cfg = {.process = count_process, .ctx = c, .workers = 4, .max_batch = 8};
    sut_pool *p = NULL;
    cr_assert_eq(sut_pool_create(&cfg, &p), 0);
    qsl_synthetic *q = make_qsl(total, 300);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_pool_sut(p);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_OFFLINE;
    s.mode = LG_MODE_ACCURACY;
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = dir;
    log.write_samples = false;
    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, &log, &r);
    sut_pool_destroy(p);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(r.samples_issued, total);
    cr_assert_eq(r.samples_completed, total);
    /* Indices 0, 9, 18, ... were answered with status 422. */
    cr_assert_eq(r.samples_failed, 100, "%llu failed", (unsigned long long)r.samples_failed);
    cr_assert(r.invalid_reasons & LG_INVALID_FAILED_SAMPLES);

    char path[256];
    snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", dir);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    cr_assert_not_null(root, "%s: %s", path, err.text);
    cr_assert_eq(json_array_size(root), total);
    for (size_t i = 0; i < total; i++) {
        json_t *e = json_array_get(root, i);
        uint32_t ix = (uint32_t)json_integer_value(json_object_get(e, "qsl_idx"));
        uint32_t v = ix * 3 + 1;
        unsigned char b[4];
        memcpy(b, &v, 4);
        char want[9];
        snprintf(want, sizeof want, "%02X%02X%02X%02X", b[0], b[1], b[2], b[3]);
        cr_assert_str_eq(json_string_value(json_object_get(e, "data")), want,
                         "qsl_idx %u: the process function's data did not arrive", ix);
    }
    json_decref(root);
    qsl_synthetic_destroy(q);
    counter_free(c);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---------------------------------------------------------------------------------
 * Life cycle and arguments
 * ------------------------------------------------------------------------------- */

Test(pool, destroy_without_traffic_and_destroy_null, .timeout = 30)
{
    sut_pool_destroy(NULL);
    for (int k = 0; k < 20; k++) {
        counter *c = counter_new(0, 8, 4);
        sut_pool *p = make_pool(c, 0);
        cr_assert_eq(sut_pool_processed(p), 0);
        if (k % 2)
            nap_us(1000); /* let the workers reach their sleep */
        sut_pool_destroy(p);
        cr_assert_eq(atomic_load(&c->calls), 0, "process() called with no samples");
        counter_free(c);
    }
}

Test(pool, destroy_with_samples_still_queued_drops_them_safely, .timeout = 30)
{
    size_t n = 500;
    counter *c = counter_new(n, 1, 1);
    c->work_us = 1000;
    sut_pool *p = make_pool(c, 1024);
    lg_sut sut = sut_pool_sut(p);
    issue_all(&sut, n);
    nap_us(5000);
    sut_pool_destroy(p);
    uint64_t done = atomic_load(&c->done);
    cr_assert_lt(done, n, "all %zu samples were processed before destroy", n);
    for (size_t i = 0; i < n; i++)
        cr_assert_leq(atomic_load(&c->count[i]), 1, "id %zu processed twice", i);
    counter_free(c);
}

static void no_process(void *ctx, unsigned worker, const lg_sample *s, size_t n,
                       lg_response *resp)
{
    (void)ctx, (void)worker, (void)s, (void)n, (void)resp;
}

Test(pool, create_rejects_bad_arguments, .timeout = 10)
{
    sut_pool *p = (sut_pool *)(uintptr_t)1;
    cr_assert_eq(sut_pool_create(NULL, &p), LG_EINVAL);
    cr_assert_null(p, "*out not cleared on error");

    sut_pool_config cfg = {.process = NULL, .workers = 2};
    p = (sut_pool *)(uintptr_t)1;
    cr_assert_eq(sut_pool_create(&cfg, &p), LG_EINVAL, "process NULL accepted");
    cr_assert_null(p);

    cfg = (sut_pool_config){.process = no_process, .workers = 257};
    cr_assert_eq(sut_pool_create(&cfg, &p), LG_EINVAL, "257 workers accepted");
    cr_assert_null(p);
    cfg = (sut_pool_config){.process = no_process, .max_batch = 65537};
    cr_assert_eq(sut_pool_create(&cfg, &p), LG_EINVAL, "max_batch 65537 accepted");
    cr_assert_null(p);
    cfg = (sut_pool_config){.process = no_process, .ring_capacity = ((size_t)1 << 26) + 1};
    cr_assert_eq(sut_pool_create(&cfg, &p), LG_EINVAL, "a huge ring accepted");
    cr_assert_null(p);

    /* The limits themselves and the zero defaults are fine. */
    cfg = (sut_pool_config){.process = no_process, .workers = 1, .max_batch = 65536,
                            .ring_capacity = 1};
    cr_assert_eq(sut_pool_create(&cfg, &p), 0);
    sut_pool_destroy(p);
    cfg = (sut_pool_config){.process = no_process};
    cr_assert_eq(sut_pool_create(&cfg, &p), 0, "all-default config refused");
    lg_sut s = sut_pool_sut(p);
    cr_assert_str_eq(s.name, "pool", "default name");
    sut_pool_destroy(p);
}

Test(pool, name_is_copied_at_create, .timeout = 10)
{
    char name[16] = "mypool";
    sut_pool_config cfg = {.name = name, .process = no_process, .workers = 1};
    sut_pool *p = NULL;
    cr_assert_eq(sut_pool_create(&cfg, &p), 0);
    strcpy(name, "changed");
    lg_sut s = sut_pool_sut(p);
    cr_assert_str_eq(s.name, "mypool");
    cr_assert_eq(s.ctx, p);
    cr_assert_not_null(s.issue);
    sut_pool_destroy(p);
}

/* ---------------------------------------------------------------------------------
 * The complete hook
 * ------------------------------------------------------------------------------- */

typedef struct hook {
    counter *c;
    _Atomic uint64_t seen;
    _Atomic uint64_t bad;   /* worker out of range, or a response not from process() */
    bool forward;           /* pass the responses on to lg_complete() */
} hook;

static void hook_process(void *ctx, unsigned worker, const lg_sample *s, size_t n,
                         lg_response *resp)
{
    hook *h = ctx;
    count_process(h->c, worker, s, n, resp);
}

static void hook_complete(void *ctx, unsigned worker, const lg_response *resp, size_t n)
{
    hook *h = ctx;
    if (worker >= h->c->workers)
        atomic_fetch_add(&h->bad, 1);
    for (size_t i = 0; i < n; i++)
        if (h->c->out && resp[i].size != 4)
            atomic_fetch_add(&h->bad, 1); /* process() filled 4 bytes of data */
    atomic_fetch_add(&h->seen, n);
    if (h->forward)
        lg_complete(resp, n);
}

Test(pool, complete_hook_receives_every_processed_response, .timeout = 60)
{
    size_t n = 5000;
    hook h = {.c = counter_new(n, 4, 8)};
    sut_pool_config cfg = {.process = hook_process, .complete = hook_complete, .ctx = &h,
                           .workers = 4, .max_batch = 8};
    sut_pool *p = NULL;
    cr_assert_eq(sut_pool_create(&cfg, &p), 0);
    lg_sut sut = sut_pool_sut(p);
    issue_all(&sut, n);
    bool ok = wait_done(h.c, n, 10000000000LL);
    int64_t end = now_ns() + 5000000000LL;
    while (atomic_load(&h.seen) < n && now_ns() < end)
        nap_us(200);
    sut_pool_destroy(p);
    cr_assert(ok);
    cr_assert_eq(atomic_load(&h.seen), n, "the hook saw %llu of %zu responses",
                 (unsigned long long)atomic_load(&h.seen), n);
    cr_assert_eq(atomic_load(&h.bad), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(atomic_load(&h.c->count[i]), 1);
    counter_free(h.c);
}

Test(pool, complete_hook_that_holds_back_responses_makes_samples_time_out, .timeout = 60)
{
    /* The hook decides: without forwarding, the LoadGen never hears of the samples. */
    hook h = {.c = counter_new(0, 2, 1), .forward = false};
    sut_pool_config cfg = {.process = hook_process, .complete = hook_complete, .ctx = &h,
                           .workers = 2, .max_batch = 1};
    sut_pool *p = NULL;
    cr_assert_eq(sut_pool_create(&cfg, &p), 0);
    qsl_synthetic *q = make_qsl(64, 16);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_pool_sut(p);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_OFFLINE;
    s.min_duration_ms = 0;
    s.min_query_count = 50;
    s.sample_timeout_ns = 100000000;
    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, NULL, &r);
    sut_pool_destroy(p);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_strerror(rc));
    cr_assert_eq(atomic_load(&h.seen), 50);
    cr_assert_eq(r.samples_timed_out, 50);
    cr_assert_eq(r.samples_completed, 0);
    cr_assert(r.invalid_reasons & LG_INVALID_TIMED_OUT);
    qsl_synthetic_destroy(q);
    counter_free(h.c);
}
