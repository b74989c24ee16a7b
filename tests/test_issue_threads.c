/* test_issue_threads.c: several Server issue threads (server_num_issue_query_threads),
 * started by the LoadGen or registered by the harness (lg_register_issue_thread): every
 * sample issued once, the schedule and each sample's scheduled time the same as with
 * one thread, the rate achieved, VALID; coalescing keeps each sample's scheduled time;
 * the registration's errors; bad values named. Real threads; also run under TSan. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "tests/testutil.h"

/* ---------------------------------------------------------------- a recording SUT */

#define MAX_IDS (1u << 20)
#define MAX_THREADS 8

/* Completes every sample inside the issue call, as the null SUT does, and records each
 * id handed over, the threads that issued and the largest issue call. */
typedef struct rec_sut {
    uint64_t *ids;
    _Atomic uint64_t nids;
    _Atomic uint64_t max_batch;
    pthread_t threads[MAX_THREADS];
    _Atomic unsigned nthreads;
    pthread_mutex_t mu; /* guards threads[] (once per new thread, not per call) */
    uint64_t serial;    /* which SUT a thread saw last (addresses are reused) */
    pthread_t slow;     /* with slow_ns: this thread's issue calls take that long */
    int64_t slow_ns;
} rec_sut;

static _Atomic uint64_t g_serial;
static _Thread_local uint64_t t_seen;

static void rec_issue(void *ctx, const lg_sample *s, size_t n)
{
    rec_sut *r = ctx;
    if (t_seen != r->serial) {
        t_seen = r->serial;
        pthread_mutex_lock(&r->mu);
        unsigned k = atomic_load(&r->nthreads);
        if (k < MAX_THREADS)
            r->threads[k] = pthread_self();
        atomic_store(&r->nthreads, k + 1);
        pthread_mutex_unlock(&r->mu);
    }
    if (r->slow_ns && pthread_equal(pthread_self(), r->slow)) {
        struct timespec ts = {0, (long)r->slow_ns};
        nanosleep(&ts, NULL);
    }
    uint64_t at = atomic_fetch_add(&r->nids, n);
    for (size_t i = 0; i < n; i++) {
        if (at + i < MAX_IDS)
            r->ids[at + i] = s[i].id;
        lg_response resp = {.id = s[i].id, .status = LG_STATUS_OK};
        lg_complete(&resp, 1);
    }
    uint64_t m = atomic_load(&r->max_batch);
    while (n > m && !atomic_compare_exchange_weak(&r->max_batch, &m, n))
        ;
}

static rec_sut *rec_new(void)
{
    rec_sut *r = calloc(1, sizeof *r);
    cr_assert_not_null(r);
    r->ids = malloc(MAX_IDS * sizeof *r->ids);
    cr_assert_not_null(r->ids);
    pthread_mutex_init(&r->mu, NULL);
    r->serial = atomic_fetch_add(&g_serial, 1) + 1;
    return r;
}

static void rec_free(rec_sut *r)
{
    pthread_mutex_destroy(&r->mu);
    free(r->ids);
    free(r);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Every id handed to the SUT once: no two equal. */
static void expect_ids_unique(rec_sut *r)
{
    uint64_t n = atomic_load(&r->nids);
    cr_assert_leq(n, MAX_IDS);
    qsort(r->ids, n, sizeof *r->ids, cmp_u64);
    uint64_t dup = 0;
    for (uint64_t i = 1; i < n; i++)
        dup += r->ids[i] == r->ids[i - 1];
    cr_expect_eq(dup, 0, "%llu samples were issued twice", (unsigned long long)dup);
}

/* A Server run at qps for ms on the synthetic QSL with the recording SUT; samples.bin
 * and the logs go to tu_tmp/name. */
static lg_settings server_settings(double qps, uint64_t ms, uint64_t threads)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.mode = LG_MODE_PERFORMANCE;
    s.server_target_qps = qps;
    s.server_target_latency_ns = 100000000;
    s.min_duration_ms = ms;
    s.min_query_count = 100;
    s.server_num_issue_query_threads = threads;
    s.sample_index_rng_seed = 99;
    s.schedule_rng_seed = 1234;
    /* Sleep only: the runs share two cores with the test's other threads. */
    s.issue_spin_ns = 0;
    return s;
}

static int run(const lg_settings *s, rec_sut *r, const char *name, lg_results *res)
{
    qsl_synthetic *q = NULL;
    cr_assert_eq(qsl_synthetic_create("q", 1000, 500, 8, 7, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = {.name = "rec", .ctx = r, .issue = rec_issue};
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp(name);
    int rc = lg_run_test(s, &sut, &qsl, &log, res);
    qsl_synthetic_destroy(q);
    return rc;
}

static lg_sample_record *samples(const char *name, lg_samples_header *h)
{
    char path[256];
    snprintf(path, sizeof path, "%s/samples.bin", tu_in_tmp(name));
    return tu_read_samples(path, h);
}

/* ---------------------------------------------------------------- LoadGen's threads */

/* N = 2, 3, 4 threads started by the LoadGen: each sample issued once, by N threads;
 * the records are the one-thread run's schedule (each sample's scheduled time and QSL
 * index, in order); the scheduled rate is the target; VALID on a SUT that answers at
 * once. */
Test(issue_threads, n_threads_issue_the_one_thread_schedule_once, .timeout = 120)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    lg_results one;
    rec_sut *r1 = rec_new();
    lg_settings s = server_settings(20000, 500, 1);
    cr_assert_eq(run(&s, r1, "one", &one), 0, "%s", lg_last_error());
    cr_assert(one.valid, "one thread: INVALID (0x%x)", one.invalid_reasons);
    cr_expect_eq(atomic_load(&r1->nthreads), 1);
    lg_samples_header h1;
    lg_sample_record *rec1 = samples("one", &h1);
    cr_assert_eq(h1.count, one.samples_issued);
    rec_free(r1);
    for (uint64_t n = 2; n <= 4; n++) {
        char name[16];
        snprintf(name, sizeof name, "n%llu", (unsigned long long)n);
        rec_sut *r = rec_new();
        s = server_settings(20000, 500, n);
        lg_results res;
        cr_assert_eq(run(&s, r, name, &res), 0, "%s", lg_last_error());
        cr_expect(res.valid, "%llu threads: INVALID (0x%x)", (unsigned long long)n,
                  res.invalid_reasons);
        cr_expect_eq(atomic_load(&r->nthreads), n, "%u threads issued, not %llu",
                     atomic_load(&r->nthreads), (unsigned long long)n);
        cr_expect_eq(atomic_load(&r->nids), res.samples_issued);
        cr_expect_eq(res.queries_issued, res.samples_issued);
        cr_expect_eq(res.samples_completed, res.samples_issued);
        cr_expect_eq(res.duplicate_completions + res.unknown_completions, 0);
        expect_ids_unique(r);
        /* The same queries as one thread issued, each with its own scheduled time. */
        cr_expect_eq(res.samples_issued, one.samples_issued);
        lg_samples_header h;
        lg_sample_record *rec = samples(name, &h);
        cr_assert_eq(h.count, one.samples_issued);
        uint64_t diff = 0, early = 0;
        for (uint64_t i = 0; i < h.count; i++) {
            diff += rec[i].scheduled_ns != rec1[i].scheduled_ns ||
                    rec[i].index != rec1[i].index;
            early += rec[i].issued_ns < rec[i].scheduled_ns;
        }
        cr_expect_eq(diff, 0, "%llu threads: %llu samples differ from one thread's schedule",
                     (unsigned long long)n, (unsigned long long)diff);
        cr_expect_eq(early, 0, "%llu samples issued before their time",
                     (unsigned long long)early);
        /* The schedule's rate, over at least 10,000 Poisson arrivals: within 5 %. */
        cr_expect(res.scheduled_samples_per_sec > 19000 &&
                  res.scheduled_samples_per_sec < 21000, "scheduled %g /s",
                  res.scheduled_samples_per_sec);
        free(rec);
        rec_free(r);
    }
    free(rec1);
    tu_tmp_fini();
}

/* The program's --set and the config key set it; the detail log records it. */
Test(issue_threads, set_flag_and_config_key, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    lg_settings s;
    lg_settings_default(&s);
    char err[256];
    size_t f = lg_settings_field_count();
    for (size_t i = 0; i < lg_settings_field_count(); i++)
        if (!strcmp(lg_settings_field_name(i), "server_num_issue_query_threads"))
            f = i;
    cr_assert_lt(f, lg_settings_field_count());
    cr_expect_eq(lg_settings_field_set(&s, f, "3", err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.server_num_issue_query_threads, 3);
    cr_expect_str_eq(lg_settings_field_conf_key(f), "num_issue_query_threads");
    tu_proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "5000",
        "--min-duration-ms", "200", "--set", "server_num_issue_query_threads=2", "--out",
        "out");
    cr_expect_eq(p.code, 0, "%s", p.err);
    char *d = tu_slurp(tu_in_tmp("out/mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(d, "\"requested_server_num_issue_query_threads\", \"value\": 2"),
              "the detail log does not record 2 issue threads");
    free(d);
    char *sum = tu_slurp(tu_in_tmp("out/mlperf_log_summary.txt"), NULL);
    cr_expect(strstr(sum, "Result is : VALID"), "%s", sum);
    free(sum);
    tu_proc_free(&p);
    tu_tmp_fini();
}

/* Bad values name the key: above LG_MAX_ISSUE_THREADS, registered threads without a
 * count, record_hdr with several threads, the flag with a word, the config key out of
 * range. */
Test(issue_threads, bad_values_name_the_key, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    lg_settings s = server_settings(100, 100, LG_MAX_ISSUE_THREADS + 1);
    char msg[256];
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "server_num_issue_query_threads"), "%s", msg);
    s = server_settings(100, 100, 0);
    s.server_issue_threads_registered = true;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "server_issue_threads_registered"), "%s", msg);
    s = server_settings(100, 100, 2);
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), 0, "%s", msg);
    s.record_hdr = true; /* its retirer expects the records filled in order */
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "record_hdr") && strstr(msg, "issue thread"), "%s", msg);
    tu_proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--issue-threads", "two",
        "--out", "out");
    cr_expect_neq(p.code, 0);
    cr_expect(strstr(p.err, "issue-threads"), "%s", p.err);
    tu_proc_free(&p);
    FILE *f = fopen(tu_in_tmp("user.conf"), "w");
    cr_assert_not_null(f);
    fputs("*.Server.num_issue_query_threads = 100\n", f);
    fclose(f);
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--conf", "user.conf",
        "--out", "out2");
    cr_expect_neq(p.code, 0);
    cr_expect(strstr(p.err, "num_issue_query_threads") && strstr(p.err, "100"), "%s",
              p.err);
    tu_proc_free(&p);
    tu_tmp_fini();
}

/* max_query_count with three threads: exactly that many queries, each once. */
Test(issue_threads, max_query_count_is_exact, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    rec_sut *r = rec_new();
    lg_settings s = server_settings(20000, 2000, 3);
    s.min_query_count = 1000;
    s.max_query_count = 1001;
    lg_results res;
    cr_assert_eq(run(&s, r, "maxq", &res), 0, "%s", lg_last_error());
    cr_expect_eq(res.queries_issued, 1001);
    cr_expect_eq(atomic_load(&r->nids), 1001);
    expect_ids_unique(r);
    cr_expect(res.invalid_reasons & LG_INVALID_MAX_LIMIT, "0x%x", res.invalid_reasons);
    rec_free(r);
    tu_tmp_fini();
}

/* An abort stops the threads at different points: the records are still every sample
 * issued, once, in schedule order, and each completed (no gaps, no unknown ids). */
typedef struct aborter {
    int ms;
} aborter;

static void *abort_later(void *arg)
{
    aborter *a = arg;
    struct timespec ts = {0, (long)a->ms * 1000000L};
    nanosleep(&ts, NULL);
    lg_abort();
    return NULL;
}

Test(issue_threads, abort_leaves_consistent_records, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    rec_sut *r = rec_new();
    lg_settings s = server_settings(50000, 10000, 3);
    pthread_t th;
    aborter a = {150};
    cr_assert_eq(pthread_create(&th, NULL, abort_later, &a), 0);
    lg_results res;
    int rc = run(&s, r, "abort", &res);
    pthread_join(th, NULL);
    cr_assert_eq(rc, 0, "%s", lg_last_error());
    cr_expect(res.aborted);
    cr_expect_eq(atomic_load(&r->nids), res.samples_issued);
    cr_expect_eq(res.samples_completed, res.samples_issued);
    cr_expect_eq(res.unknown_completions + res.duplicate_completions, 0);
    lg_samples_header h;
    lg_sample_record *rec = samples("abort", &h);
    cr_assert_eq(h.count, res.samples_issued);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < h.count; i++)
        bad += rec[i].issued_ns < rec[i].scheduled_ns || rec[i].completed_ns < 0 ||
               (i && rec[i].scheduled_ns < rec[i - 1].scheduled_ns);
    cr_expect_eq(bad, 0, "%llu records out of order or not completed",
                 (unsigned long long)bad);
    expect_ids_unique(r);
    free(rec);
    rec_free(r);
    tu_tmp_fini();
}

/* One thread far behind (its issue calls stall 20 ms) when max_duration_ms stops the
 * pass: the others issued blocks past its last query, so the records had gaps. They are
 * closed up: the records are every sample issued, once, in schedule order, each
 * completed; the accuracy log's entries (every response logged) still name their
 * sample's record. */
Test(issue_threads, a_stop_with_one_thread_behind_closes_the_gaps, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    rec_sut *r = rec_new();
    r->slow = pthread_self(); /* thread 0 of the LoadGen's own is this one */
    r->slow_ns = 20000000;
    lg_settings s = server_settings(20000, 300, 3);
    s.max_duration_ms = 300;
    s.min_query_count = 1000000; /* the run would go on: max_duration_ms ends it */
    s.accuracy_log_probability = 1.0;
    lg_results res;
    cr_assert_eq(run(&s, r, "behind", &res), 0, "%s", lg_last_error());
    cr_expect(res.invalid_reasons & LG_INVALID_MAX_LIMIT, "0x%x", res.invalid_reasons);
    cr_expect_eq(atomic_load(&r->nids), res.samples_issued);
    cr_expect_eq(res.samples_completed, res.samples_issued);
    cr_expect_eq(res.unknown_completions + res.duplicate_completions, 0);
    lg_samples_header h;
    lg_sample_record *rec = samples("behind", &h);
    cr_assert_eq(h.count, res.samples_issued);
    /* Thread 0 issued about 15 queries of its block 0; the others went on with their
     * blocks (drawing thread 0's too, which wait in the ring): far more records, past
     * block 0's gap. */
    cr_expect_gt(h.count, 8 * LG_ISSUE_BLOCK, "%llu", (unsigned long long)h.count);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < h.count; i++)
        bad += rec[i].issued_ns < rec[i].scheduled_ns || rec[i].completed_ns < 0 ||
               (i && rec[i].scheduled_ns < rec[i - 1].scheduled_ns);
    cr_expect_eq(bad, 0, "%llu records out of order or not completed",
                 (unsigned long long)bad);
    char path[256];
    snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", tu_in_tmp("behind"));
    char *acc = tu_slurp(path, NULL);
    uint64_t entries = 0, wrong = 0;
    /* One pass with strtoull: strstr and sscanf from each entry would measure the rest
     * of the log every time (quadratic in the entries). */
    static const char k_seq[] = "\"seq_id\" : ", k_idx[] = ", \"qsl_idx\" : ";
    for (const char *p = acc; *p; p++) {
        if (*p != '"' || strncmp(p, k_seq, sizeof k_seq - 1))
            continue;
        char *end;
        unsigned long long seq = strtoull(p + sizeof k_seq - 1, &end, 10);
        cr_assert(!strncmp(end, k_idx, sizeof k_idx - 1), "%.60s", p);
        unsigned long long idx = strtoull(end + sizeof k_idx - 1, &end, 10);
        p = end - 1;
        cr_assert_lt(seq, h.count);
        wrong += rec[seq].index != idx;
        entries++;
    }
    cr_expect_eq(entries, h.count);
    cr_expect_eq(wrong, 0, "%llu accuracy-log entries name another sample's record",
                 (unsigned long long)wrong);
    free(acc);
    expect_ids_unique(r);
    free(rec);
    rec_free(r);
    tu_tmp_fini();
}

/* ---------------------------------------------------------------- coalescing */

/* Coalescing (issue_batch_ns makes the issue thread late by up to 2 ms, so queries are
 * overdue together): several samples go in one issue call, and every sample keeps its
 * own scheduled time, the one a run without coalescing gives it; its latency counts
 * from there. With one thread and with two. */
Test(issue_threads, coalescing_keeps_each_scheduled_time, .timeout = 120)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    lg_results plain;
    rec_sut *r0 = rec_new();
    lg_settings s = server_settings(20000, 300, 1);
    cr_assert_eq(run(&s, r0, "plain", &plain), 0, "%s", lg_last_error());
    cr_expect_eq(atomic_load(&r0->max_batch), 1);
    lg_samples_header h0;
    lg_sample_record *rec0 = samples("plain", &h0);
    rec_free(r0);
    for (uint64_t n = 1; n <= 2; n++) {
        char name[16];
        snprintf(name, sizeof name, "coal%llu", (unsigned long long)n);
        rec_sut *r = rec_new();
        s = server_settings(20000, 300, n);
        s.server_coalesce_queries = true;
        s.issue_batch_ns = 2000000;
        lg_results res;
        cr_assert_eq(run(&s, r, name, &res), 0, "%s", lg_last_error());
        cr_expect_gt(atomic_load(&r->max_batch), 1, "no issue call carried several samples");
        cr_expect_eq(res.queries_issued, plain.queries_issued);
        cr_expect_eq(atomic_load(&r->nids), res.samples_issued);
        expect_ids_unique(r);
        lg_samples_header h;
        lg_sample_record *rec = samples(name, &h);
        cr_assert_eq(h.count, h0.count);
        uint64_t diff = 0, late = 0;
        for (uint64_t i = 0; i < h.count; i++) {
            diff += rec[i].scheduled_ns != rec0[i].scheduled_ns;
            late += rec[i].issued_ns > rec[i].scheduled_ns;
        }
        cr_expect_eq(diff, 0, "%llu samples lost their scheduled time",
                     (unsigned long long)diff);
        /* Most samples waited for the batch: their latency includes the wait. */
        cr_expect_gt(late, h.count / 2);
        cr_expect_geq(res.latency.max_ns, res.issue_lag.max_ns);
        free(rec);
        rec_free(r);
    }
    free(rec0);
    tu_tmp_fini();
}

/* ---------------------------------------------------------------- registration */

typedef struct harness_thread {
    pthread_t th;
    int rc;
} harness_thread;

static void *register_main(void *arg)
{
    harness_thread *h = arg;
    h->rc = lg_register_issue_thread();
    return NULL;
}

/* Two threads of the harness register before the test; the LoadGen starts none: the
 * queries are issued by exactly those two, once each, VALID; both return 0 at the
 * test's end. */
Test(issue_threads, registered_harness_threads_issue, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    harness_thread h[2];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&h[i].th, NULL, register_main, &h[i]), 0);
    rec_sut *r = rec_new();
    lg_settings s = server_settings(10000, 300, 2);
    s.server_issue_threads_registered = true;
    lg_results res;
    int rc = run(&s, r, "reg", &res);
    for (int i = 0; i < 2; i++) {
        pthread_join(h[i].th, NULL);
        cr_expect_eq(h[i].rc, 0);
    }
    cr_assert_eq(rc, 0, "%s", lg_last_error());
    cr_expect(res.valid, "INVALID (0x%x)", res.invalid_reasons);
    cr_assert_eq(atomic_load(&r->nthreads), 2);
    for (int k = 0; k < 2; k++)
        cr_expect(pthread_equal(r->threads[k], h[0].th) ||
                  pthread_equal(r->threads[k], h[1].th),
                  "a thread that is not the harness's issued");
    cr_expect_eq(atomic_load(&r->nids), res.samples_issued);
    expect_ids_unique(r);
    rec_free(r);
    tu_tmp_fini();
}

/* A harness thread may register while lg_run_test waits for it. */
static void *register_late(void *arg)
{
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    return register_main(arg);
}

Test(issue_threads, registration_while_the_test_waits, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    harness_thread h;
    cr_assert_eq(pthread_create(&h.th, NULL, register_late, &h), 0);
    rec_sut *r = rec_new();
    lg_settings s = server_settings(5000, 200, 1);
    s.server_issue_threads_registered = true;
    lg_results res;
    int rc = run(&s, r, "late", &res);
    pthread_join(h.th, NULL);
    cr_assert_eq(rc, 0, "%s", lg_last_error());
    cr_expect_eq(h.rc, 0);
    cr_expect_eq(atomic_load(&r->nthreads), 1);
    cr_expect(pthread_equal(r->threads[0], h.th));
    rec_free(r);
    tu_tmp_fini();
}

/* The counts must match: one thread registered for two fails after the wait, naming
 * both counts, and the registered thread returns LG_EINVAL; none registered fails the
 * same way; nothing is issued. */
Test(issue_threads, registration_mismatch_and_timeout_fail_clearly, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    harness_thread h;
    cr_assert_eq(pthread_create(&h.th, NULL, register_main, &h), 0);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    rec_sut *r = rec_new();
    lg_settings s = server_settings(5000, 200, 2);
    s.server_issue_threads_registered = true;
    s.issue_thread_wait_ms = 200;
    lg_results res;
    cr_expect_eq(run(&s, r, "mismatch", &res), LG_EINVAL);
    cr_expect(strstr(lg_last_error(), "server_num_issue_query_threads = 2 but 1"), "%s",
              lg_last_error());
    pthread_join(h.th, NULL);
    cr_expect_eq(h.rc, LG_EINVAL);
    int64_t t0 = 0;
    {
        struct timespec a;
        clock_gettime(CLOCK_MONOTONIC, &a);
        t0 = (int64_t)a.tv_sec * 1000000000 + a.tv_nsec;
    }
    cr_expect_eq(run(&s, r, "none", &res), LG_EINVAL);
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    int64_t waited = (int64_t)b.tv_sec * 1000000000 + b.tv_nsec - t0;
    cr_expect(strstr(lg_last_error(), "but 0 threads"), "%s", lg_last_error());
    cr_expect(waited >= 150000000 && waited < 5000000000LL, "waited %lld ns",
              (long long)waited);
    cr_expect_eq(atomic_load(&r->nids), 0);
    rec_free(r);
    tu_tmp_fini();
}

/* A test refused before it runs (a bad setting) releases the harness threads waiting for
 * it, with LG_EINVAL, rather than leave them waiting for ever; so does
 * lg_release_issue_threads for a harness that does not run the test. */
typedef struct flagged_thread {
    pthread_t th;
    int rc;
    _Atomic int returned;
} flagged_thread;

static void *register_flagged(void *arg)
{
    flagged_thread *f = arg;
    f->rc = lg_register_issue_thread();
    atomic_store(&f->returned, 1);
    return NULL;
}

Test(issue_threads, refused_tests_and_release_free_waiting_threads, .timeout = 60)
{
    tu_tmp_init(); /* by hand: the TSan build's runner has no .init */
    flagged_thread f = {.returned = 0};
    cr_assert_eq(pthread_create(&f.th, NULL, register_flagged, &f), 0);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    rec_sut *r = rec_new();
    lg_settings s = server_settings(5000, 200, 1);
    s.server_issue_threads_registered = true;
    s.server_target_latency_percentile = 2; /* refused */
    lg_results res;
    cr_expect_eq(run(&s, r, "refused", &res), LG_EINVAL);
    pthread_join(f.th, NULL);
    cr_expect_eq(f.rc, LG_EINVAL);
    /* A harness that does not run the test at all. */
    flagged_thread g = {.returned = 0};
    cr_assert_eq(pthread_create(&g.th, NULL, register_flagged, &g), 0);
    for (int i = 0; i < 2000 && !atomic_load(&g.returned); i++) {
        lg_release_issue_threads();
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    cr_assert(atomic_load(&g.returned), "lg_release_issue_threads did not release it");
    pthread_join(g.th, NULL);
    cr_expect_eq(g.rc, LG_EINVAL);
    cr_expect_eq(atomic_load(&r->nids), 0);
    rec_free(r);
    tu_tmp_fini();
}
