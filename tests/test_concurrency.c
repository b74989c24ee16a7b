/* test_concurrency.c: the closed loop of lg_settings.concurrency (SingleStream and
 * MultiStream keep N queries outstanding). A SUT thread completes each sample a fixed
 * delay after its issue, or never (a dropped sample), and records the most samples it
 * ever held at once: the loop must reach N queries outstanding and never pass it. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"

#define CAP 65536

typedef struct pending {
    uint64_t id, index;
    int64_t due_ns;
} pending;

/* A FIFO of samples, each completed by one thread at its due time. */
typedef struct delay_sut {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pending q[CAP];
    size_t head, tail;
    int64_t delay_ns;
    unsigned drop_every;   /* never complete every k-th sample issued; 0 = none */
    uint64_t issued;
    uint64_t dropped;
    size_t held, max_held; /* samples issued and not completed (dropped ones stay) */
    unsigned *seen;        /* per QSL index: times issued */
    uint64_t nseen;
    bool stop;
    pthread_t thread;
} delay_sut;

static void *completer(void *arg)
{
    delay_sut *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        if (d->head == d->tail) {
            pthread_cond_wait(&d->cv, &d->mu);
            continue;
        }
        pending p = d->q[d->head % CAP];
        int64_t now = lg_now_ns();
        if (now < p.due_ns) {
            pthread_mutex_unlock(&d->mu);
            struct timespec ts = {0, (long)(p.due_ns - now)};
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&d->mu);
            continue;
        }
        d->head++;
        d->held--;
        pthread_mutex_unlock(&d->mu);
        lg_response r = {.id = p.id, .status = LG_STATUS_OK};
        lg_complete(&r, 1);
        pthread_mutex_lock(&d->mu);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void issue(void *ctx, const lg_sample *s, size_t n)
{
    delay_sut *d = ctx;
    pthread_mutex_lock(&d->mu);
    int64_t due = lg_now_ns() + d->delay_ns;
    for (size_t i = 0; i < n; i++) {
        d->issued++;
        if (d->seen && s[i].index < d->nseen)
            d->seen[s[i].index]++;
        d->held++;
        if (d->held > d->max_held)
            d->max_held = d->held;
        if (d->drop_every && d->issued % d->drop_every == 0) {
            d->dropped++;
            continue; /* held for ever: the LoadGen must time it out */
        }
        cr_assert_lt(d->tail - d->head, (size_t)CAP, "the test SUT's queue overflowed");
        d->q[d->tail++ % CAP] = (pending){s[i].id, s[i].index, due};
    }
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static delay_sut *sut_start(int64_t delay_ns, unsigned drop_every)
{
    delay_sut *d = calloc(1, sizeof *d);
    cr_assert_not_null(d);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->delay_ns = delay_ns;
    d->drop_every = drop_every;
    cr_assert_eq(pthread_create(&d->thread, NULL, completer, d), 0);
    return d;
}

static void sut_stop(delay_sut *d)
{
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    free(d->seen);
    free(d);
}

static int run(delay_sut *d, const lg_settings *s, uint64_t total, lg_results *r)
{
    lg_sut sut = {.name = "delay", .ctx = d, .issue = issue};
    lg_qsl qsl = {.name = "q", .total_sample_count = total,
                  .performance_sample_count = total < 1024 ? total : 1024};
    return lg_run_test(s, &sut, &qsl, NULL, r);
}

static lg_settings stream_settings(lg_scenario sc, uint64_t concurrency)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.mode = LG_MODE_PERFORMANCE;
    s.min_duration_ms = 400;
    s.min_query_count = 50;
    s.multi_stream_samples_per_query = 4;
    s.concurrency = concurrency;
    return s;
}

Test(concurrency, single_stream_keeps_n_queries_outstanding_and_never_more, .timeout = 30)
{
    delay_sut *one = sut_start(2000000, 0);
    lg_settings s = stream_settings(LG_SINGLE_STREAM, 1);
    lg_results r1, r8;
    cr_assert_eq(run(one, &s, 1000, &r1), 0);
    cr_expect_eq(one->max_held, 1, "one query at a time held %zu", one->max_held);
    sut_stop(one);

    delay_sut *d = sut_start(2000000, 0);
    s = stream_settings(LG_SINGLE_STREAM, 8);
    cr_assert_eq(run(d, &s, 1000, &r8), 0);
    cr_expect_eq(d->max_held, 8, "the loop held at most %zu samples, not 8", d->max_held);
    cr_expect_eq(r8.samples_completed, r8.samples_issued);
    cr_expect_eq(r8.samples_timed_out, 0);
    /* 2 ms per sample: one stream does about 500 queries/s, eight about 4000. The
     * machine is shared, so ask only for a clear gain. */
    cr_expect_gt(r8.qps_with_loadgen_overhead, 3.0 * r1.qps_with_loadgen_overhead,
                 "8 outstanding: %.0f queries/s, 1 outstanding: %.0f",
                 r8.qps_with_loadgen_overhead, r1.qps_with_loadgen_overhead);
    /* Latency still runs from each query's issue: about the SUT's delay. */
    cr_expect_geq(r8.latency.p50_ns, 2000000);
    cr_expect_lt(r8.latency.p50_ns, 50000000);
    sut_stop(d);
}

Test(concurrency, multi_stream_keeps_whole_queries_outstanding, .timeout = 30)
{
    delay_sut *d = sut_start(1000000, 0);
    lg_settings s = stream_settings(LG_MULTI_STREAM, 3);
    lg_results r;
    cr_assert_eq(run(d, &s, 1000, &r), 0);
    cr_expect_eq(d->max_held, 12, "3 queries of 4 samples: held at most %zu", d->max_held);
    cr_expect_eq(r.samples_issued, 4 * r.queries_issued);
    cr_expect_eq(r.query_latency.count, r.queries_issued);
    cr_expect_geq(r.query_latency.min_ns, 1000000);
    sut_stop(d);
}

Test(concurrency, accuracy_mode_issues_every_sample_exactly_once, .timeout = 30)
{
    delay_sut *d = sut_start(100000, 0);
    d->nseen = 3001;
    d->seen = calloc(d->nseen, sizeof *d->seen);
    lg_settings s = stream_settings(LG_SINGLE_STREAM, 16);
    s.mode = LG_MODE_ACCURACY;
    lg_results r;
    cr_assert_eq(run(d, &s, d->nseen, &r), 0);
    cr_expect(r.valid);
    cr_expect_eq(r.samples_issued, d->nseen);
    for (uint64_t i = 0; i < d->nseen; i++)
        cr_assert_eq(d->seen[i], 1, "sample %llu issued %u times", (unsigned long long)i,
                     d->seen[i]);
    cr_expect_leq(d->max_held, 16);
    sut_stop(d);
}

Test(concurrency, dropped_samples_time_out_and_the_loop_goes_on, .timeout = 30)
{
    delay_sut *d = sut_start(500000, 10);
    lg_settings s = stream_settings(LG_SINGLE_STREAM, 4);
    s.sample_timeout_ns = 50000000;
    s.min_duration_ms = 300;
    lg_results r;
    int64_t t0 = lg_now_ns();
    cr_assert_eq(run(d, &s, 1000, &r), 0);
    int64_t took = lg_now_ns() - t0;
    cr_expect_gt(d->dropped, 0);
    cr_expect_eq(r.samples_timed_out, d->dropped, "timed out %llu, dropped %llu",
                 (unsigned long long)r.samples_timed_out, (unsigned long long)d->dropped);
    cr_expect_eq(r.samples_completed + r.samples_timed_out, r.samples_issued);
    cr_expect(!r.valid);
    cr_expect(r.invalid_reasons & LG_INVALID_TIMED_OUT);
    /* A dropped sample frees its slot at its deadline, so the loop never stalls for
     * longer than the timeout: far under the test's own limit. */
    cr_expect_lt(took, 20000000000LL, "the run took %lld ms", (long long)(took / 1000000));
    sut_stop(d);
}

static void *abort_later(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    lg_abort();
    return NULL;
}

Test(concurrency, an_abort_ends_the_closed_loop_promptly, .timeout = 30)
{
    delay_sut *d = sut_start(1000000, 0);
    lg_settings s = stream_settings(LG_SINGLE_STREAM, 8);
    s.min_duration_ms = 60000;
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, abort_later, NULL), 0);
    lg_results r;
    int64_t t0 = lg_now_ns();
    cr_assert_eq(run(d, &s, 1000, &r), 0);
    pthread_join(th, NULL);
    cr_expect(r.aborted);
    cr_expect_lt(lg_now_ns() - t0, 5000000000LL);
    sut_stop(d);
}

Test(concurrency, settings_range_and_warnings, .timeout = 10)
{
    lg_settings s = stream_settings(LG_SINGLE_STREAM, LG_MAX_CONCURRENCY + 1);
    char msg[512];
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect_not_null(strstr(msg, "concurrency"), "%s", msg);

    s.concurrency = 8;
    cr_assert_eq(lg_settings_check(&s, NULL, msg, sizeof msg), 0, "%s", msg);
    char w[1024];
    cr_expect_eq(lg_settings_warnings(&s, NULL, w, sizeof w), 1);
    cr_expect_not_null(strstr(w, "concurrency = 8"), "%s", w);
    cr_expect_not_null(strstr(w, "not an MLPerf setting"), "%s", w);

    s.scenario = LG_SERVER;
    s.server_target_qps = 100;
    cr_expect_eq(lg_settings_warnings(&s, NULL, w, sizeof w), 1);
    cr_expect_not_null(strstr(w, "has no effect in Server"), "%s", w);

    s.concurrency = 1; /* MLPerf's own loop: nothing to say */
    cr_expect_eq(lg_settings_warnings(&s, NULL, w, sizeof w), 0, "%s", w);

    cr_expect_eq(lg_settings_set(&s, "concurrency", "32", msg, sizeof msg), 0, "%s", msg);
    cr_expect_eq(s.concurrency, 32);
}

/* A peak search's watch (loadgen/peak.c) reads the records of the probe under way on the
 * monitor thread while the issue thread writes them and the SUT's workers complete them,
 * then cuts the probe with lg_abort(); the next probe starts clean. Above twice the
 * capacity of two 1 ms workers the first probe must be cut. */
Test(concurrency, peak_watch_reads_records_while_workers_complete_them, .timeout = 60)
{
    sut_synthetic_config c;
    sut_synthetic_default(&c);
    c.dist = SUT_DIST_CONSTANT;
    c.mean_ns = 1000000;
    c.workers = 2;
    sut_synthetic *syn;
    cr_assert_eq(sut_synthetic_create(&c, &syn), 0);
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create("q", 64, 64, 0, 0, &q), 0);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = 8000;
    s.server_target_latency_ns = 20000000;
    s.min_duration_ms = 1000;
    s.min_query_count = 10;
    lg_peak_options o;
    lg_peak_options_default(&o);
    o.max_probes = 3;
    o.watch_interval_ms = 5;
    lg_sut sut = sut_synthetic_sut(syn);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_results r;
    lg_peak_result pr;
    cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s", lg_last_error());
    cr_expect_eq(pr.nprobes, 3);
    cr_expect_eq(pr.probes[0].verdict, LG_PEAK_CUT, "%s", pr.probes[0].reason);
    cr_expect(pr.probes[0].duration_ns < 1000000000, "cut after %lld ns",
              (long long)pr.probes[0].duration_ns);
    cr_expect_eq(pr.probes[1].target_qps, 4000);
    lg_peak_result_free(&pr);
    sut_synthetic_destroy(syn);
    qsl_synthetic_destroy(q);
}
