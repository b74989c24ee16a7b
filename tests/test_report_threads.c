/* test_report_threads.c: the report's concurrency and its one-load pipeline: the latency
 * series made once per run under a lock (several threads asking at once), validations
 * on a second thread while the folder callback draws (rpt__report_create), and
 * samples.bin read straight into the array or decoded giving the same run. Built against Criterion, and against
 * the stand-in of tests/tsan/ for the ThreadSanitizer build, so it makes its runs with
 * the library (no test helpers, no program). */
#include <criterion/criterion.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "report/internal.h"
#include "report/report.h"
#include "sut/sut.h"
#include "tests/testutil.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A Server run of the synthetic SUT (about `qps` x 0.3 s samples) into dir. */
static void make_run(const char *dir, double qps, uint64_t seed)
{
    sut_synthetic_config c;
    sut_synthetic_default(&c);
    c.mean_ns = 20000;
    c.seed = seed;
    sut_synthetic *syn;
    qsl_synthetic *q;
    cr_assert_eq(sut_synthetic_create(&c, &syn), 0);
    cr_assert_eq(qsl_synthetic_create("threads", 1024, 256, 0, 0, &q), 0);
    lg_sut sut = sut_synthetic_sut(syn);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = qps;
    s.min_duration_ms = 300;
    s.min_query_count = 100;
    s.schedule_rng_seed = seed;
    lg_log_settings l;
    lg_log_settings_default(&l);
    l.outdir = dir;
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &l, &r), 0);
    sut_synthetic_destroy(syn);
    qsl_synthetic_destroy(q);
}

/* A fresh temporary folder (free and rm_tree it); run_dir receives "<it>/run". */
static char *temp_dir(char *run_dir, size_t len)
{
    char *d = strdup("/tmp/lg_threads.XXXXXX");
    cr_assert_not_null(d);
    cr_assert_not_null(mkdtemp(d));
    snprintf(run_dir, len, "%s/run", d);
    return d;
}

/* Both validations as JSON are the same text. */
static void expect_same_validation(const rpt_validation *a, const rpt_validation *b)
{
    char *ja, *jb;
    cr_assert_eq(rpt_validation_json(a, "x", &ja), 0);
    cr_assert_eq(rpt_validation_json(b, "x", &jb), 0);
    cr_expect_str_eq(ja, jb);
    free(ja);
    free(jb);
}

typedef struct series_arg {
    const rpt_run *run;
    rpt__series got;
    int rc;
} series_arg;

static void *ask_series(void *p)
{
    series_arg *a = p;
    a->rc = rpt__run_series(a->run, true, &a->got);
    return NULL;
}

Test(report_threads, series_is_made_once_for_threads_asking_at_once, .timeout = 120)
{
    char run_dir[256];
    char *dir = temp_dir(run_dir, sizeof run_dir);
    make_run(run_dir, 20000, 3);
    rpt_run *run;
    char err[256];
    cr_assert_eq(rpt_run_load(run_dir, &run, err, sizeof err), 0, "%s", err);
    enum { T = 4 };
    pthread_t th[T];
    series_arg a[T];
    for (int i = 0; i < T; i++) {
        a[i] = (series_arg){.run = run};
        cr_assert_eq(pthread_create(&th[i], NULL, ask_series, &a[i]), 0);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    size_t ns = 0;
    rpt_run_samples(run, &ns);
    for (int i = 0; i < T; i++) {
        cr_assert_eq(a[i].rc, 0);
        /* One series, shared: the same arrays for every caller. */
        cr_expect_eq(a[i].got.lat, a[0].got.lat);
        cr_expect_eq(a[i].got.sorted, a[0].got.sorted);
        cr_expect_eq(a[i].got.n, a[0].got.n);
    }
    const rpt__series *s = &a[0].got;
    cr_assert_gt(s->n, 1000);
    cr_expect_leq(s->n, ns);
    cr_expect(s->at_ordered, "Server's scheduled times never decrease");
    for (size_t i = 1; i < s->n; i++)
        cr_assert_leq(s->sorted[i - 1], s->sorted[i], "sorted at %zu", i);
    /* The sorted series is a permutation of the series: equal sums and extremes. */
    double sum_a = 0, sum_b = 0, max_a = 0;
    for (size_t i = 0; i < s->n; i++) {
        sum_a += s->lat[i];
        sum_b += s->sorted[i];
        max_a = s->lat[i] > max_a ? s->lat[i] : max_a;
    }
    cr_expect_eq(sum_a, sum_b);
    cr_expect_eq(max_a, s->sorted[s->n - 1]);
    /* Releasing keeps what the report prints: the info, has_samples included. */
    rpt__run_release_samples(run);
    cr_expect(rpt_run_get_info(run)->has_samples);
    cr_expect_null(rpt_run_samples(run, &ns));
    cr_expect_eq(ns, 0);
    rpt_run_destroy(run);
    rm_tree(dir);
    free(dir);
}

Test(report_threads, direct_and_decoded_samples_are_the_same_run, .timeout = 120)
{
    char run_dir[256];
    char *dir = temp_dir(run_dir, sizeof run_dir);
    make_run(run_dir, 10000, 5);
    /* Version 1's fixed records are what can be read straight into the array. */
    char bin[300];
    snprintf(bin, sizeof bin, "%s/samples.bin", run_dir);
    tu_samples_to_v1(bin);
    rpt_run *mapped, *read;
    char err[256];
    cr_assert(rpt__samples_direct);
    cr_assert_eq(rpt_run_load(run_dir, &mapped, err, sizeof err), 0, "%s", err);
    rpt__samples_direct = false;
    int rc = rpt_run_load(run_dir, &read, err, sizeof err);
    rpt__samples_direct = true;
    cr_assert_eq(rc, 0, "%s", err);
    size_t na, nb;
    const rpt_sample *sa = rpt_run_samples(mapped, &na), *sb = rpt_run_samples(read, &nb);
    cr_assert_eq(na, nb);
    cr_assert_gt(na, 0);
    cr_assert_neq(sa, sb);
    cr_expect_eq(memcmp(sa, sb, na * sizeof *sa), 0);
    rpt_validation va, vb;
    cr_assert_eq(rpt_validate(mapped, NULL, &va), 0);
    cr_assert_eq(rpt_validate(read, NULL, &vb), 0);
    expect_same_validation(&va, &vb);
    rpt_run_destroy(mapped);
    rpt_run_destroy(read);
    rm_tree(dir);
    free(dir);
}

/* What the folder callback saw. */
typedef struct seen {
    size_t calls, index[4], baseline[4];
    bool had_samples[4], had_cmp[4];
    int fail_at; /* index whose call fails, or -1 */
} seen;

static int on_folder(void *ctx, const rpt__folder *f, char *err, size_t errlen)
{
    seen *s = ctx;
    size_t k = s->calls++;
    s->index[k] = f->index;
    s->baseline[k] = f->baseline;
    size_t n = 0;
    rpt_run_samples(rpt_set_run(f->set, 0), &n);
    s->had_samples[k] = n > 0;
    s->had_cmp[k] = f->cmp != NULL;
    /* Read the series while the validation thread reads it too. */
    rpt__series ser;
    if (rpt__run_series(rpt_set_run(f->set, 0), true, &ser) || !ser.n)
        return rpt__err(err, errlen, LG_EINVAL, "no series in the callback");
    if ((int)f->index == s->fail_at)
        return rpt__err(err, errlen, LG_EIO, "callback refused folder %zu", f->index);
    return 0;
}

/* Lines without the report's time of day (the two reports may straddle a second). */
static char *without_dates(char *md)
{
    char *w = md;
    for (char *line = md; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (!memmem(line, len, "UTC", 3)) {
            memmove(w, line, len);
            w += len;
        }
        line += len;
    }
    *w = '\0';
    return md;
}

static char *markdown(const rpt_report *r)
{
    return without_dates(tu_doc_markdown(rpt_report_doc(r)));
}

Test(report_threads, folders_reach_the_callback_while_validated_and_reports_agree, .timeout = 240)
{
    char unused[256], a[256], b[256], reps[256];
    char *dir = temp_dir(unused, sizeof unused);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(reps, sizeof reps, "%s/reps", dir);
    make_run(a, 8000, 1);
    make_run(b, 8000, 2);
    for (int i = 1; i <= 3; i++) {
        char rep[300];
        snprintf(rep, sizeof rep, "%s/rep-%d", reps, i);
        make_run(rep, 8000, (uint64_t)(10 + i));
    }
    const char *dirs[3] = {a, b, reps};
    char err[512];
    seen s = {.fail_at = -1};
    rpt_report *with_fn, *plain;
    cr_assert_eq(rpt__report_create(dirs, 3, NULL, on_folder, &s, &with_fn, err, sizeof err), 0,
                 "%s", err);
    cr_expect_eq(s.calls, 3);
    for (size_t k = 0; k < 3; k++) {
        cr_expect_eq(s.index[k], k);
        cr_expect(s.had_samples[k], "folder %zu: samples still loaded in the callback", k);
    }
    cr_expect_eq(s.baseline[0], SIZE_MAX);
    cr_expect_eq(s.baseline[1], 0, "b is compared with a");
    cr_expect(s.had_cmp[1]);
    cr_expect_eq(s.baseline[2], SIZE_MAX, "a repetition set has no earlier set to compare with");
    /* The same folders without a callback: the same document. */
    cr_assert_eq(rpt_report_create(dirs, 3, NULL, &plain, err, sizeof err), 0, "%s", err);
    char *m1 = markdown(with_fn), *m2 = markdown(plain);
    cr_expect_str_eq(m1, m2);
    cr_expect_not_null(strstr(m1, "Statistical Validation"));
    free(m1);
    free(m2);
    rpt_report_destroy(with_fn);
    rpt_report_destroy(plain);

    /* A callback that fails stops the report with its own message. */
    seen f = {.fail_at = 1};
    rpt_report *none = (rpt_report *)1;
    err[0] = '\0';
    cr_expect_eq(rpt__report_create(dirs, 3, NULL, on_folder, &f, &none, err, sizeof err),
                 LG_EIO);
    cr_expect_null(none);
    cr_expect_eq(f.calls, 2, "no folder after the failing one");
    cr_expect_str_eq(err, "callback refused folder 1");

    /* A validation that fails (on the second thread) names the run. */
    rpt_report_opts o;
    rpt_report_opts_default(&o);
    o.validate.resamples = 10; /* below the minimum of 100 */
    err[0] = '\0';
    cr_expect_eq(rpt_report_create(dirs, 1, &o, &none, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "validation failed"), "%s", err);
    cr_expect_not_null(strstr(err, a), "%s", err);
    rm_tree(dir);
    free(dir);
}

Test(report_threads, a_long_run_is_validated_with_its_bootstrap_on_a_second_thread, .timeout = 240)
{
    /* Over 100000 latencies: the bootstrap runs on a thread of its own (validate.c). */
    char run_dir[256];
    char *dir = temp_dir(run_dir, sizeof run_dir);
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create("long", 1024, 256, 0, 0, &q), 0);
    lg_sut sut = sut_null();
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SINGLE_STREAM; /* one query at a time: quick even under TSan */
    s.min_duration_ms = 100;
    s.min_query_count = 150000;
    s.max_query_count = 150000;
    lg_log_settings l;
    lg_log_settings_default(&l);
    l.outdir = run_dir;
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &l, &r), 0);
    qsl_synthetic_destroy(q);
    rpt_run *run;
    char err[256];
    cr_assert_eq(rpt_run_load(run_dir, &run, err, sizeof err), 0, "%s", err);
    rpt_validation v1, v2;
    cr_assert_eq(rpt_validate(run, NULL, &v1), 0);
    cr_assert_eq(rpt_validate(run, NULL, &v2), 0);
    cr_expect_eq(v1.latencies, 150000);
    cr_assert(v1.latency_ci);
    cr_expect_not_null(strstr(v1.latency_method, "every 2-th latency"), "%s", v1.latency_method);
    /* The estimates are the exact percentiles of every latency (sorted[floor(n p)]). */
    rpt__series ser;
    cr_assert_eq(rpt__run_series(run, true, &ser), 0);
    cr_expect_eq(v1.p50_ns.estimate, ser.sorted[(size_t)(ser.n * 0.50)]);
    cr_expect_eq(v1.p90_ns.estimate, ser.sorted[(size_t)(ser.n * 0.90)]);
    cr_expect_eq(v1.p99_ns.estimate, ser.sorted[(size_t)(ser.n * 0.99)]);
    cr_expect_leq(v1.p99_ns.lo, v1.p99_ns.estimate);
    cr_expect_geq(v1.p99_ns.hi, v1.p99_ns.estimate);
    /* Same run, same seed: the same result, whatever the threads did. */
    expect_same_validation(&v1, &v2);
    rpt_run_destroy(run);
    rm_tree(dir);
    free(dir);
}
