/* test_peak.c: peak search (loadgen/peak.c, cli/peak.c, report/peak.c, docs/peak.md):
 * MLPerf's FindPeakPerformance against its official semantics (the probe sequence of
 * bracket and bisection, the detail-log lines, the refusal outside Server, mode 3 from a
 * config file), find-peak against a SUT of known capacity (one and two issue threads), the
 * watch that cuts a failing probe, SUTs that fail or hang, results.json and the reports,
 * and the program's flags. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "report/doc.h"
#include "report/report.h"
#include "report/validate.h"
#include "sut/sut.h"
#include "tests/testutil.h"

/* ---------------------------------------------------------------- an oracle SUT */

/* MLPerf's FindPeakPerformance written out from its source (loadgen.cc,
 * test_settings_internal.h) as a pure function of a pass/fail rule qps <= cap: the
 * rates its probes run at, in order. Returns how many. */
static size_t mlperf_sequence(double base, double step, unsigned decimals, double cap,
                              double *seq, size_t max)
{
    size_t n = 0;
    seq[n++] = base;
    if (base > cap)
        return n;
    double l = base, u;
    for (;;) {
        u = l * (1 + step);
        seq[n++] = u;
        if (u > cap || n == max)
            break;
        l = u;
    }
    double p = pow(10, decimals);
    while (!(floor(l * p) + 1 >= floor(u * p)) && n < max) {
        double m = l + (u - l) / 2;
        seq[n++] = m;
        if (m <= cap)
            l = m;
        else
            u = m;
    }
    return n;
}

/* A SUT that answers at once, but in a probe the oracle says must fail it holds its
 * first sample 700 ms (every sample queued behind it is late, far past the 250 ms
 * bound): verdicts that do not depend on this machine's speed (a stall of a quarter
 * second would be needed to fail a passing probe). The probe is known by
 * the QSL loads (one per probe). */
typedef struct oracle_sut {
    double seq[64];
    size_t nseq;
    double cap;
    _Atomic int loads;
    int held; /* the probe whose first sample was held */
} oracle_sut;

static oracle_sut g_or;

static void or_issue(void *ctx, const lg_sample *s, size_t n)
{
    oracle_sut *o = ctx;
    int k = atomic_load(&o->loads) - 1;
    if (k >= 0 && (size_t)k < o->nseq && o->seq[k] > o->cap && o->held != k) {
        o->held = k;
        struct timespec ts = {0, 700000000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id};
        lg_complete(&r, 1);
    }
}

static int or_load(void *ctx, const uint64_t *idx, size_t n)
{
    (void)idx, (void)n;
    atomic_fetch_add(&((oracle_sut *)ctx)->loads, 1);
    return 0;
}

static lg_settings oracle_settings(double base, double cap, double step, unsigned decimals)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.mode = LG_MODE_FIND_PEAK;
    s.server_target_qps = base;
    s.server_target_latency_ns = 250000000;
    s.min_duration_ms = 60;
    s.min_query_count = 10;
    s.server_find_peak_qps_boundary_step_size = step;
    s.server_find_peak_qps_decimals_of_precision = decimals;
    memset(&g_or, 0, sizeof g_or);
    g_or.held = -1;
    g_or.cap = cap;
    g_or.nseq = mlperf_sequence(base, step, decimals, cap, g_or.seq, 64);
    return s;
}

static lg_sut oracle_lg_sut(void) { return (lg_sut){.name = "oracle", .ctx = &g_or, .issue = or_issue}; }
static lg_qsl oracle_qsl(void)
{
    return (lg_qsl){.name = "q", .ctx = &g_or, .total_sample_count = 64,
                    .performance_sample_count = 64, .load = or_load};
}

/* ---------------------------------------------------------------- a queue SUT */

/* One server of constant service time in virtual time: sample i finishes at
 * max(its issue, the previous finish) + service, and a completer thread answers it
 * then. With constant arrivals at rate r and a run of T at percentile p under bound L,
 * it passes exactly when r <= (1 + L / (p T)) / service (a backlog grows by
 * (r service - 1) per arrival): a capacity known in advance. */
typedef struct vq {
    int64_t service_ns, last_finish;
    struct {
        uint64_t id;
        int64_t finish;
    } *q;
    size_t cap, head, tail;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, hang, fail;
    pthread_t th;
} vq;

static void vq_issue(void *ctx, const lg_sample *s, size_t n)
{
    vq *v = ctx;
    int64_t now = lg_now_ns();
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < n; i++) {
        if (v->hang)
            continue;
        int64_t start = now > v->last_finish ? now : v->last_finish;
        v->last_finish = start + v->service_ns;
        if (v->tail - v->head < v->cap) {
            v->q[v->tail % v->cap].id = s[i].id;
            v->q[v->tail % v->cap].finish = v->last_finish;
            v->tail++;
        }
    }
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
}

static void *vq_main(void *arg)
{
    vq *v = arg;
    pthread_mutex_lock(&v->mu);
    for (;;) {
        while (v->head == v->tail && !v->stop)
            pthread_cond_wait(&v->cv, &v->mu);
        if (v->stop)
            break;
        uint64_t id = v->q[v->head % v->cap].id;
        int64_t f = v->q[v->head % v->cap].finish;
        v->head++;
        pthread_mutex_unlock(&v->mu);
        struct timespec ts = {.tv_sec = f / 1000000000, .tv_nsec = f % 1000000000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        lg_response r = {.id = id, .status = v->fail ? 5 : 0};
        lg_complete(&r, 1);
        pthread_mutex_lock(&v->mu);
    }
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

static void vq_start(vq *v, int64_t service_ns)
{
    memset(v, 0, sizeof *v);
    v->service_ns = service_ns;
    v->cap = 1 << 20;
    v->q = calloc(v->cap, sizeof *v->q);
    cr_assert(v->q);
    pthread_mutex_init(&v->mu, NULL);
    pthread_cond_init(&v->cv, NULL);
    cr_assert_eq(pthread_create(&v->th, NULL, vq_main, v), 0);
}

static void vq_stop(vq *v)
{
    pthread_mutex_lock(&v->mu);
    v->stop = true;
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
    pthread_join(v->th, NULL);
    free(v->q);
}

static lg_settings queue_settings(double start_qps)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.arrival = LG_ARRIVAL_CONSTANT;
    s.server_target_qps = start_qps;
    s.server_target_latency_ns = 100000000;
    s.min_duration_ms = 1000;
    s.min_query_count = 10;
    s.sample_timeout_ns = 400000000;
    return s;
}

static lg_qsl plain_qsl(void)
{
    return (lg_qsl){.name = "q", .total_sample_count = 64, .performance_sample_count = 64};
}

/* ---------------------------------------------------------------- MLPerf's algorithm */

Test(mlperf, probes_follow_the_official_bracket_and_bisection, .timeout = 60)
{
    lg_settings s = oracle_settings(100, 730, 1, 0);
    lg_sut sut = oracle_lg_sut();
    lg_qsl qsl = oracle_qsl();
    lg_peak_options o;
    lg_peak_options_default(&o);
    o.algorithm = LG_PEAK_MLPERF;
    lg_results r;
    lg_peak_result pr;
    cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s", lg_last_error());
    cr_assert_eq(pr.nprobes, g_or.nseq, "%zu probes, the official sequence has %zu",
                 pr.nprobes, g_or.nseq);
    for (size_t i = 0; i < pr.nprobes; i++) {
        cr_expect_eq(pr.probes[i].target_qps, g_or.seq[i], "probe %zu: %g, expected %g", i,
                     pr.probes[i].target_qps, g_or.seq[i]);
        cr_expect_eq(pr.probes[i].verdict,
                     g_or.seq[i] <= g_or.cap ? LG_PEAK_PASS : LG_PEAK_FAIL, "probe %zu", i);
    }
    /* 100 200 400 pass, 800 fails, then bisection of [400, 800) to whole QPS. */
    cr_expect_eq(pr.probes[3].target_qps, 800);
    cr_expect_eq(pr.probes[4].target_qps, 600);
    cr_expect(pr.found);
    cr_expect(pr.peak_qps <= 730 && pr.peak_qps > 729, "peak %g", pr.peak_qps);
    /* The reported run is the last passing probe. */
    cr_expect_eq(r.mode, LG_MODE_PERFORMANCE);
    cr_expect(fabs(r.scheduled_samples_per_sec - pr.peak_qps) < pr.peak_qps,
              "reported %g", r.scheduled_samples_per_sec);
    lg_peak_result_free(&pr);
}

Test(mlperf, step_size_and_decimals_are_mlperfs, .timeout = 60)
{
    lg_settings s = oracle_settings(100, 260, 0.5, 1);
    lg_sut sut = oracle_lg_sut();
    lg_qsl qsl = oracle_qsl();
    lg_peak_options o;
    lg_peak_options_default(&o);
    o.algorithm = LG_PEAK_MLPERF;
    lg_results r;
    lg_peak_result pr;
    cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s", lg_last_error());
    cr_assert_eq(pr.nprobes, g_or.nseq);
    cr_expect_eq(pr.probes[1].target_qps, 150); /* x (1 + 0.5) */
    cr_expect_eq(pr.probes[2].target_qps, 225);
    for (size_t i = 0; i < pr.nprobes; i++)
        cr_expect_eq(pr.probes[i].target_qps, g_or.seq[i], "probe %zu", i);
    /* One decimal: the bounds end less than 0.2 QPS apart. */
    cr_expect(pr.upper_qps - pr.peak_qps < 0.2, "[%g, %g)", pr.peak_qps, pr.upper_qps);
    lg_peak_result_free(&pr);
}

Test(mlperf, mode_3_logs_the_official_lines, TU_TMP, .timeout = 60)
{
    lg_settings s = oracle_settings(100, 300, 1, 0);
    lg_sut sut = oracle_lg_sut();
    lg_qsl qsl = oracle_qsl();
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp("out");
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    char *d = tu_slurp(tu_in_tmp("out/mlperf_log_detail.txt"), NULL);
    cr_assert(d);
    const char *lines[] = {
        "\"Starting FindPeakPerformance mode\"",
        "\"FindPeakPerformance: Check validity of the base settings field: 100.000000\"",
        "\"FindBoundaries: Checking fields [100.000000, 200.000000)\"",
        "\"FindBoundaries: Checking fields [200.000000, 400.000000)\"",
        "\"FindPeakPerformance: Found boundaries: [200.000000, 400.000000)\"",
        "\"FindPeakPerformanceBinarySearch: Testing the mid value of bounds [200.000000, "
        "400.000000): 300.000000\"",
        "\"FindPeakPerformanceBinarySearch: Testing the mid value of bounds [300.000000, "
        "400.000000): 350.000000\"",
    };
    const char *at = d;
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        const char *f = strstr(at, lines[i]);
        cr_expect(f, "missing or out of order: %s", lines[i]);
        if (f)
            at = f;
    }
    cr_expect(strstr(d, "\"FindPeakPerformance: Found peak performance field: 300.000000\""),
              "the peak line");
    cr_expect(strstr(d, "\"effective_test_mode\", \"value\": \"FindPeakPerformance\""),
              "the mode");
    free(d);
    char *sm = tu_slurp(tu_in_tmp("out/mlperf_log_summary.txt"), NULL);
    cr_assert(sm);
    cr_expect(strstr(sm, "Mode     : FindPeakPerformance"), "%s", sm);
    cr_expect(strstr(sm, "Completed samples per second"), "the peak's run: %s", sm);
    free(sm);
    /* The figures are one probe's PerformanceOnly pass (result_mode, as MLPerf runs its
     * probes), but the one-screen summary names the mode asked for and the probe. */
    cr_expect_eq(r.mode, LG_MODE_PERFORMANCE);
    cr_expect(r.find_peak && r.find_peak_passed);
    char text[4096];
    lg_results_format(&r, text, sizeof text);
    /* (INVALID here: a probe this short passes the latency bound, MLPerf's test for it,
     * without meeting early stopping.) */
    cr_expect(strstr(text, "Server FindPeakPerformance (the peak's run): ") == text, "%s", text);
    cr_expect_not(strstr(text, "PerformanceOnly"), "%s", text);
    json_t *j = tu_results_json("out");
    cr_expect_str_eq(json_string_value(json_object_get(j, "mode")), "FindPeakPerformance");
    cr_expect_str_eq(json_string_value(json_object_get(j, "result_mode")), "PerformanceOnly");
    json_decref(j);
    /* `loadgen explain` names it the same way, read back from results.json. */
    char *ex = NULL, err[256];
    cr_assert_eq(rpt_explain(tu_in_tmp("out"), RPT_EXPLAIN_TEXT, &ex, err, sizeof err), 0,
                 "%s", err);
    cr_expect(strstr(ex, "FindPeakPerformance (the peak's run)"), "%s", ex);
    free(ex);
}

Test(mlperf, a_failing_start_stops_with_mlperfs_error, TU_TMP, .timeout = 60)
{
    lg_settings s = oracle_settings(500, 300, 1, 0);
    lg_sut sut = oracle_lg_sut();
    lg_qsl qsl = oracle_qsl();
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp("out");
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    cr_expect_not(r.valid);
    cr_expect(r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    char *d = tu_slurp(tu_in_tmp("out/mlperf_log_detail.txt"), NULL);
    cr_assert(d);
    cr_expect(strstr(d, "\"key\": \"error_runtime\", \"value\": \"FindPeakPerformance: "
                        "Initial lower bound does not satisfy performance constraints, msg: "
                        "Reduce target QPS to improve latency.\""), "the error line");
    cr_expect_not(strstr(d, "FindBoundaries"), "no bracket after a failing start");
    free(d);
    cr_expect(r.find_peak && !r.find_peak_passed);
    char text[4096];
    lg_results_format(&r, text, sizeof text);
    cr_expect(strstr(text, "Server FindPeakPerformance (no probe passed: the first probe's "
                           "run): INVALID\n") == text, "%s", text);
    json_t *j = tu_results_json("out");
    json_t *ps = json_object_get(j, "peak_search");
    cr_assert(ps);
    cr_expect(json_is_false(json_object_get(ps, "found")));
    cr_expect_eq(json_array_size(json_object_get(ps, "probes")), 1);
    json_decref(j);
}

Test(mlperf, other_scenarios_are_refused_with_mlperfs_message, .timeout = 10)
{
    lg_scenario sc[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_OFFLINE};
    for (size_t i = 0; i < 3; i++) {
        lg_settings s = oracle_settings(100, 300, 1, 0);
        s.scenario = sc[i];
        lg_sut sut = oracle_lg_sut();
        lg_qsl qsl = oracle_qsl();
        lg_results r;
        cr_expect_eq(lg_run_test(&s, &sut, &qsl, NULL, &r), LG_EINVAL);
        cr_expect(strstr(lg_last_error(), "Finding peak performance is only supported in "
                                          "Server scenarios."), "%s", lg_last_error());
        lg_peak_result pr;
        cr_expect_eq(lg_find_peak(&s, &sut, &qsl, NULL, NULL, &r, &pr), LG_EINVAL);
        cr_expect(strstr(lg_last_error(), LG_PEAK_NOT_SERVER), "%s", lg_last_error());
        cr_expect_eq(pr.nprobes, 0);
        cr_expect_eq(atomic_load(&g_or.loads), 0, "nothing ran");
    }
}

Test(mlperf, config_mode_3_and_the_mode_flag_are_accepted, TU_TMP, .timeout = 60)
{
    lg_config *c;
    char msg[256];
    cr_assert_eq(lg_config_create(&c), 0);
    const char *text = "*.Server.mode = 3\n";
    cr_assert_eq(lg_config_load_string(c, "user.conf", text, strlen(text), LG_CONF_USER, msg,
                                       sizeof msg), 0, "%s", msg);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    cr_expect_eq(lg_config_apply(c, NULL, LG_SERVER, &s, NULL, msg, sizeof msg), 0, "%s", msg);
    cr_expect_eq(s.mode, LG_MODE_FIND_PEAK);
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), 0, "%s", msg);
    lg_config_destroy(c);
    lg_mode m;
    cr_expect_eq(lg_mode_parse("find-peak", &m), 0);
    cr_expect_eq(m, LG_MODE_FIND_PEAK);
    cr_expect_str_eq(lg_mode_name(LG_MODE_FIND_PEAK), "FindPeakPerformance");
    /* The program: from a config file, and --mode find-peak outside Server refused. */
    FILE *f = fopen(tu_in_tmp("user.conf"), "w");
    cr_assert(f);
    fputs("*.Server.mode = 3\n", f);
    fclose(f);
    tu_proc p;
    RUN(&p, "run", "--scenario", "Server", "--sut", "null", "--conf", tu_in_tmp("user.conf"),
        "--target-qps", "200", "--target-latency-ms", "50", "--min-duration-ms", "50",
        "--min-query-count", "10", "--set", "server_find_peak_qps_boundary_step_size=99",
        "--set", "server_find_peak_qps_decimals_of_precision=0",
        "--out", tu_in_tmp("run"), "--quiet");
    cr_expect(p.code == 0 || p.code == 1, "exit %d: %s", p.code, p.err);
    json_t *j = tu_results_json("run");
    cr_expect_str_eq(json_string_value(json_object_get(j, "mode")), "FindPeakPerformance");
    cr_expect(json_object_get(j, "peak_search"));
    json_decref(j);
    tu_proc_free(&p);
    RUN(&p, "run", "--scenario", "Offline", "--sut", "null", "--mode", "find-peak");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "Finding peak performance is only supported in Server"), "%s",
              p.err);
    tu_proc_free(&p);
}

/* ---------------------------------------------------------------- find-peak */

/* The queue SUT behind a counter: every sample handed over and the threads that issued
 * them (a thread's id may be reused by the next probe's; two alive together differ). */
static struct {
    pthread_mutex_t mu;
    pthread_t th[8];
    unsigned nth;
    uint64_t samples;
} g_iss = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void vq_issue_counted(void *ctx, const lg_sample *s, size_t n)
{
    pthread_mutex_lock(&g_iss.mu);
    g_iss.samples += n;
    bool seen = false;
    for (unsigned i = 0; i < g_iss.nth; i++)
        seen = seen || pthread_equal(g_iss.th[i], pthread_self());
    if (!seen && g_iss.nth < 8)
        g_iss.th[g_iss.nth++] = pthread_self();
    pthread_mutex_unlock(&g_iss.mu);
    vq_issue(ctx, s, n);
}

/* The queue passes exactly up to (1 + L / (p T)) x capacity. A busy machine can only add
 * latency (a late wake-up), so it can only lower a peak found: a search is repeated up
 * to three times and one must land within the tolerance, while a search that is wrong
 * (too high, or biased low) fails all three. Every search's probe records must hold
 * together: each verdict agrees with its percentile and the bound, each whole probe's
 * samples with its rate and length, the peak and the upper bound are the last passing
 * and failing probes' rates, the reported run is the peak's probe, and the SUT received
 * exactly the probes' samples (none lost or issued twice). threads: the issue threads
 * (server_num_issue_query_threads); more than one must all have called the SUT. */
static void search_the_queue(unsigned threads)
{
    double truth = (1 + 100.0 / (0.99 * 1000)) * 1000; /* about 1101 QPS */
    char seen[3][200];
    bool landed = false;
    for (int k = 0; k < 3 && !landed; k++) {
        vq v;
        vq_start(&v, 1000000); /* 1 ms: 1000 QPS */
        pthread_mutex_lock(&g_iss.mu);
        g_iss.nth = 0;
        g_iss.samples = 0;
        pthread_mutex_unlock(&g_iss.mu);
        lg_settings s = queue_settings(300);
        s.server_num_issue_query_threads = threads;
        lg_sut sut = {.name = "queue", .ctx = &v, .issue = vq_issue_counted};
        lg_qsl qsl = plain_qsl();
        lg_peak_options o;
        lg_peak_options_default(&o);
        lg_results r;
        lg_peak_result pr;
        cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s",
                     lg_last_error());
        vq_stop(&v);
        cr_assert(pr.nprobes >= 3, "%zu probes: %s", pr.nprobes, pr.stop_reason);
        if (threads > 1)
            cr_expect(g_iss.nth >= threads, "%u issue thread(s) called the SUT", g_iss.nth);
        uint64_t sum = 0;
        const lg_peak_probe *last_pass = NULL, *last_fail = NULL;
        for (size_t i = 0; i < pr.nprobes; i++) {
            const lg_peak_probe *p = &pr.probes[i];
            sum += p->samples;
            cr_expect(p->verdict == LG_PEAK_PASS || p->verdict == LG_PEAK_FAIL ||
                      p->verdict == LG_PEAK_CUT, "probe %zu: %s (%s)", i,
                      lg_peak_verdict_name(p->verdict), p->reason);
            if (p->verdict == LG_PEAK_PASS) {
                cr_expect_leq(p->percentile_ns, s.server_target_latency_ns, "probe %zu: %s",
                              i, p->reason);
                last_pass = p;
            } else {
                last_fail = p;
            }
            if (p->verdict != LG_PEAK_CUT) {
                /* A whole probe: its rate times its 1 s, within 5 %. */
                double want = p->target_qps * (double)s.min_duration_ms / 1000.0;
                cr_expect(p->samples >= want * 0.95 && p->samples <= want * 1.05 + 2,
                          "probe %zu at %g QPS: %llu samples", i, p->target_qps,
                          (unsigned long long)p->samples);
            }
            if (p->verdict == LG_PEAK_FAIL)
                cr_expect_gt(p->percentile_ns, s.server_target_latency_ns, "probe %zu: %s", i,
                             p->reason);
        }
        cr_expect_eq(sum, g_iss.samples, "the probes issued %llu samples, the SUT got %llu",
                     (unsigned long long)sum, (unsigned long long)g_iss.samples);
        if (pr.found) {
            cr_assert_not_null(last_pass);
            cr_expect_eq(pr.peak_qps, last_pass->target_qps);
            cr_expect(r.find_peak && r.find_peak_passed);
            cr_expect_eq(r.samples_issued, last_pass->samples);
            cr_expect(fabs(r.scheduled_samples_per_sec / pr.peak_qps - 1) < 0.02,
                      "the reported run was scheduled at %g /s, the peak is %g",
                      r.scheduled_samples_per_sec, pr.peak_qps);
        }
        if (last_fail)
            cr_expect_eq(pr.upper_qps, last_fail->target_qps);
        /* Never above the truth (1% for the clock's jitter), whatever the machine. */
        cr_expect(pr.peak_qps <= truth * 1.01, "peak %g above the truth %g", pr.peak_qps,
                  truth);
        cr_expect(!pr.found || (pr.upper_qps - pr.peak_qps) / pr.peak_qps <= 0.02 + 1e-12,
                  "[%g, %g)", pr.peak_qps, pr.upper_qps);
        landed = pr.found && pr.peak_qps >= truth / 1.02 && pr.peak_qps <= truth * 1.01 &&
                 strstr(pr.stop_reason, "within the tolerance");
        snprintf(seen[k], sizeof seen[k], "%g (%.150s)", pr.peak_qps, pr.stop_reason);
        lg_peak_result_free(&pr);
    }
    cr_expect(landed, "truth %g; found %s; %s; %s", truth, seen[0], seen[1], seen[2]);
}

Test(find_peak, lands_within_the_tolerance_of_a_known_capacity, .timeout = 180)
{
    search_the_queue(0);
}

/* Each probe splits its schedule over both threads (--issue-threads 2). */
Test(find_peak, two_issue_threads_land_within_the_tolerance, .timeout = 240)
{
    search_the_queue(2);
}

Test(find_peak, the_watch_cuts_a_probe_that_is_clearly_failing, .timeout = 60)
{
    vq v;
    vq_start(&v, 1000000);
    lg_settings s = queue_settings(4000); /* four times the capacity */
    s.min_duration_ms = 2000;
    lg_sut sut = {.name = "queue", .ctx = &v, .issue = vq_issue};
    lg_qsl qsl = plain_qsl();
    lg_peak_options o;
    lg_peak_options_default(&o);
    o.max_probes = 1;
    lg_results r;
    lg_peak_result pr;
    cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s", lg_last_error());
    vq_stop(&v);
    cr_assert_eq(pr.nprobes, 1);
    const lg_peak_probe *p = &pr.probes[0];
    cr_expect_eq(p->verdict, LG_PEAK_CUT, "%s", p->reason);
    cr_expect(strstr(p->reason, "cut early: latency: "), "%s", p->reason);
    cr_expect(p->duration_ns < 1500000000, "a 2 s probe cut after %lld ns",
              (long long)p->duration_ns);
    cr_expect(strstr(pr.stop_reason, "most probes"), "%s", pr.stop_reason);
    lg_peak_result_free(&pr);
}

Test(find_peak, without_early_abort_the_probe_runs_out, .timeout = 60)
{
    vq v;
    vq_start(&v, 1000000);
    lg_settings s = queue_settings(2000);
    s.min_duration_ms = 400;
    s.sample_timeout_ns = 2000000000;
    lg_sut sut = {.name = "queue", .ctx = &v, .issue = vq_issue};
    lg_qsl qsl = plain_qsl();
    lg_peak_options o;
    lg_peak_options_default(&o);
    o.max_probes = 1;
    o.no_early_abort = true;
    lg_results r;
    lg_peak_result pr;
    cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s", lg_last_error());
    vq_stop(&v);
    cr_assert_eq(pr.nprobes, 1);
    cr_expect_eq(pr.probes[0].verdict, LG_PEAK_FAIL, "%s", pr.probes[0].reason);
    cr_expect(strstr(pr.probes[0].reason, "over the"), "%s", pr.probes[0].reason);
    cr_expect(pr.probes[0].duration_ns >= 400000000);
    lg_peak_result_free(&pr);
}

Test(find_peak, a_hanging_sut_ends_the_search_in_bounded_time, .timeout = 30)
{
    bool early[2] = {true, false};
    for (int k = 0; k < 2; k++) {
        vq v;
        vq_start(&v, 1000000);
        v.hang = true;
        lg_settings s = queue_settings(200);
        s.sample_timeout_ns = 500000000;
        lg_sut sut = {.name = "hang", .ctx = &v, .issue = vq_issue};
        lg_qsl qsl = plain_qsl();
        lg_peak_options o;
        lg_peak_options_default(&o);
        o.no_early_abort = !early[k];
        lg_results r;
        lg_peak_result pr;
        int64_t t0 = lg_now_ns();
        cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s",
                     lg_last_error());
        int64_t took = lg_now_ns() - t0;
        vq_stop(&v);
        cr_expect(took < 8000000000, "early abort %d: %lld ns", early[k], (long long)took);
        cr_assert_eq(pr.nprobes, 1, "early abort %d: the search stops at the first probe",
                     early[k]);
        cr_expect_eq(pr.probes[0].verdict, LG_PEAK_ERROR, "%s", pr.probes[0].reason);
        cr_expect_not(pr.found);
        cr_expect(strstr(pr.stop_reason, "ended in error"), "%s", pr.stop_reason);
        if (early[k])
            cr_expect(strstr(pr.probes[0].reason, "answering"), "%s", pr.probes[0].reason);
        else
            cr_expect(strstr(pr.probes[0].reason, "timed out"), "%s", pr.probes[0].reason);
        lg_peak_result_free(&pr);
    }
}

Test(find_peak, a_failing_sut_stops_the_search_and_says_so, .timeout = 30)
{
    vq v;
    vq_start(&v, 100000);
    v.fail = true;
    lg_settings s = queue_settings(200);
    lg_sut sut = {.name = "fail", .ctx = &v, .issue = vq_issue};
    lg_qsl qsl = plain_qsl();
    lg_results r;
    lg_peak_result pr;
    cr_assert_eq(lg_find_peak(&s, &sut, &qsl, NULL, NULL, &r, &pr), 0, "%s", lg_last_error());
    vq_stop(&v);
    cr_assert_eq(pr.nprobes, 1);
    cr_expect_eq(pr.probes[0].verdict, LG_PEAK_ERROR);
    cr_expect(strstr(pr.probes[0].reason, "the SUT failed"), "%s", pr.probes[0].reason);
    lg_peak_result_free(&pr);
}

Test(find_peak, a_failing_start_searches_down_and_options_are_checked, .timeout = 60)
{
    vq v;
    vq_start(&v, 1000000);
    lg_settings s = queue_settings(3000);
    s.min_duration_ms = 500; /* passes up to (1 + 100 / (0.99 x 500)) x 1000 = 1202/s */
    lg_sut sut = {.name = "queue", .ctx = &v, .issue = vq_issue};
    lg_qsl qsl = plain_qsl();
    lg_peak_options o;
    lg_peak_options_default(&o);
    o.tolerance = 0.1;
    lg_results r;
    lg_peak_result pr;
    cr_assert_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), 0, "%s", lg_last_error());
    cr_assert(pr.nprobes >= 3, "%zu probes: %s", pr.nprobes, pr.stop_reason);
    cr_expect_neq(pr.probes[0].verdict, LG_PEAK_PASS);
    cr_expect_eq(pr.probes[1].target_qps, 1500); /* halved */
    cr_expect_eq(pr.probes[2].target_qps, 750);
    cr_expect(pr.found && pr.peak_qps > 750 && pr.peak_qps < 1250, "peak %g", pr.peak_qps);
    lg_peak_result_free(&pr);
    /* Bad options are refused, named, before anything runs. */
    struct {
        double tolerance, growth, share;
        const char *name;
    } bad[] = {
        {0, 0, 0, "tolerance = 0"},
        {1.5, 0, 0, "tolerance = 1.5"},
        {0.02, 1, 0, "growth = 1"},
        {0.02, 0, 0.9, "goodput_share: needs an SLO"},
        {0.02, 0, 2, "goodput_share = 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lg_peak_options_default(&o);
        o.tolerance = bad[i].tolerance;
        o.growth = bad[i].growth;
        o.goodput_share = bad[i].share;
        cr_expect_eq(lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr), LG_EINVAL, "%s",
                     bad[i].name);
        cr_expect(strstr(lg_last_error(), bad[i].name), "%s: %s", bad[i].name,
                  lg_last_error());
    }
    vq_stop(&v);
}

Test(find_peak, a_goodput_target_judges_the_share_of_good_requests, TU_TMP, .timeout = 120)
{
    tu_proc p;
    RUN(&p, "find-peak", "--sut", "synthetic", "--workers", "2", "--service-dist", "constant",
        "--service-mean-us", "1000", "--sut-tokens", "4", "--sut-tpot-us", "200",
        "--target-qps", "400", "--probe-ms", "200", "--min-query-count", "20", "--slo",
        "ttft=10ms", "--goodput-share", "90%", "--tolerance", "10%", "--max-probes", "8",
        "--out", tu_in_tmp("g"), "--no-progress");
    cr_assert(p.code == 0 || p.code == 1, "exit %d: %s", p.code, p.err);
    json_t *j = tu_results_json("g");
    json_t *ps = json_object_get(j, "peak_search");
    cr_assert(ps);
    cr_expect_str_eq(json_string_value(json_object_get(ps, "criterion")), "goodput");
    cr_expect_float_eq(json_number_value(json_object_get(ps, "goodput_share")), 0.9, 1e-12);
    json_t *pr = json_object_get(ps, "probes");
    for (size_t i = 0; i < json_array_size(pr); i++) {
        json_t *q = json_array_get(pr, i);
        double share = json_number_value(json_object_get(q, "good_share"));
        const char *v = json_string_value(json_object_get(q, "verdict"));
        cr_expect(json_object_get(q, "good_share"), "probe %zu has its share", i);
        /* The verdict follows the share of good requests, probe by probe. */
        if (!strcmp(v, "pass"))
            cr_expect(share >= 0.9, "probe %zu passed with %g", i, share);
        else if (!strcmp(v, "fail"))
            cr_expect(share < 0.9, "probe %zu failed with %g", i, share);
        cr_expect(strstr(json_string_value(json_object_get(q, "reason")), "goodput: "),
                  "probe %zu", i);
    }
    json_decref(j);
    tu_proc_free(&p);
}

/* ---------------------------------------------------------------- output */

Test(output, results_json_summary_and_reports_hold_every_probe, TU_TMP, .timeout = 120)
{
    tu_proc p;
    RUN(&p, "find-peak", "--sut", "synthetic", "--workers", "2", "--service-dist", "constant",
        "--service-mean-us", "1000", "--target-qps", "400", "--target-latency-ms", "10",
        "--probe-ms", "200", "--min-query-count", "20", "--tolerance", "10%",
        "--confirm-ms", "300", "--out", tu_in_tmp("pk"), "--no-progress");
    cr_assert(p.code == 0, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.out, "Peak search (find-peak): peak "), "%s", p.out);
    cr_expect(strstr(p.out, "[confirmation]"), "%s", p.out);
    cr_expect(strstr(p.out, "Stopped: "), "%s", p.out);
    json_t *j = tu_results_json("pk");
    json_t *ps = json_object_get(j, "peak_search");
    cr_assert(ps);
    cr_expect_str_eq(json_string_value(json_object_get(ps, "algorithm")), "find-peak");
    cr_expect(json_is_true(json_object_get(ps, "found")));
    double peak = json_number_value(json_object_get(ps, "peak_qps"));
    /* 2 workers of 1 ms: at most 2000/s (lower under a sanitizer or a busy machine). */
    cr_expect(peak > 20 && peak < 2000, "peak %g", peak);
    cr_expect_float_eq(json_number_value(json_object_get(ps, "tolerance")), 0.1, 1e-12);
    cr_expect(json_integer_value(json_object_get(ps, "search_time_ns")) > 0);
    cr_expect(json_string_length(json_object_get(ps, "stop_reason")) > 0);
    json_t *pr = json_object_get(ps, "probes");
    cr_assert(json_array_size(pr) >= 3);
    bool confirmed = false;
    for (size_t i = 0; i < json_array_size(pr); i++) {
        json_t *q = json_array_get(pr, i);
        const char *v = json_string_value(json_object_get(q, "verdict"));
        cr_expect(v && (!strcmp(v, "pass") || !strcmp(v, "fail") || !strcmp(v, "cut")), "%s",
                  v ? v : "?");
        cr_expect(json_number_value(json_object_get(q, "target_qps")) > 0);
        cr_expect(json_object_get(q, "percentile_ns") && json_object_get(q, "duration_ns") &&
                  json_object_get(q, "reason"));
        confirmed |= json_is_true(json_object_get(q, "confirmation")) && !strcmp(v, "pass") &&
                     json_number_value(json_object_get(q, "target_qps")) == peak;
    }
    cr_expect(confirmed, "the peak was confirmed");
    /* The folder's figures are the peak's probe. */
    cr_expect_float_eq(json_number_value(json_object_get(
                           json_object_get(j, "throughput"), "scheduled_samples_per_sec")),
                       peak, peak * 0.5);
    json_decref(j);
    tu_proc_free(&p);
    RUN(&p, "report", tu_in_tmp("pk"), "--out", tu_in_tmp("r.md"));
    cr_assert_eq(p.code, 0, "%s", p.err);
    char *md = tu_slurp(tu_in_tmp("r.md"), NULL);
    cr_assert(md);
    cr_expect(strstr(md, "## Peak Search"), "section");
    cr_expect(strstr(md, "| probe | rate (QPS) | verdict | percentile |"), "table");
    cr_expect(strstr(md, "(confirmation)"), "the confirmation row");
    free(md);
    tu_proc_free(&p);
    RUN(&p, "report", tu_in_tmp("pk"), "--html", tu_in_tmp("r.html"));
    cr_assert_eq(p.code, 0, "%s", p.err);
    char *h = tu_slurp(tu_in_tmp("r.html"), NULL);
    cr_assert(h);
    cr_expect(strstr(h, "<section id=\"peak-search\">"), "section");
    cr_expect(strstr(h, "id=\"plot-peak-rates-1\""), "the probe chart");
    cr_expect(strstr(h, "id=\"plot-peak-latency-1\""), "the latency chart");
    free(h);
    tu_proc_free(&p);
}

/* ---------------------------------------------------------------- the program */

Test(cli, flag_errors_name_the_flag, TU_TMP, .timeout = 30)
{
    static const struct {
        const char *flag, *value, *says;
    } cases[] = {
        {"--tolerance", "abc", "--tolerance"},
        {"--tolerance", "2", "--tolerance"},
        {"--growth", "1", "--growth"},
        {"--algorithm", "fastest", "--algorithm: 'fastest' is neither find-peak nor mlperf"},
        {"--max-probes", "0", "--max-probes"},
        {"--probe-ms", "-5", "--probe-ms"},
        {"--confirm-ms", "x", "--confirm-ms"},
        {"--min-qps", "0", "--min-qps"},
        {"--goodput-share", "0.9", "--goodput-share needs an SLO"},
        {"--goodput-share", "150%", "--goodput-share"},
        {"--scenario", "Offline", "Finding peak performance is only supported in Server"},
        {"--repeat", "3", "--repeat: a peak search repeats its probes itself"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_proc p;
        RUN(&p, "find-peak", "--sut", "null", cases[i].flag, cases[i].value);
        cr_expect_eq(p.code, 2, "%s %s: exit %d", cases[i].flag, cases[i].value, p.code);
        cr_expect(strstr(p.err, cases[i].says), "%s %s: %s", cases[i].flag, cases[i].value,
                  p.err);
        tu_proc_free(&p);
    }
    tu_proc p;
    RUN(&p, "find-peak", "--sut", "null", "--algorithm", "mlperf", "--confirm-ms", "100");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "--algorithm mlperf: --confirm-ms"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "find-peak", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "--no-early-abort"), "%s", p.out);
    tu_proc_free(&p);
}

Test(cli, mlperf_algorithm_from_the_program, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "find-peak", "--algorithm", "mlperf", "--sut", "null", "--target-qps", "100",
        "--target-latency-ms", "50", "--probe-ms", "30", "--min-query-count", "5",
        "--set", "server_find_peak_qps_boundary_step_size=99", "--max-probes", "3",
        "--out", tu_in_tmp("m"), "--no-progress");
    cr_expect(p.code == 0, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.out, "Peak search (mlperf): peak 1e+06 QPS"), "%s", p.out);
    cr_expect(strstr(p.out, "most probes (3)"), "%s", p.out);
    char *d = tu_slurp(tu_in_tmp("m/mlperf_log_detail.txt"), NULL);
    cr_assert(d);
    cr_expect(strstr(d, "FindBoundaries: Checking fields [100.000000, 10000.000000)"), "bracket");
    free(d);
    tu_proc_free(&p);
}
