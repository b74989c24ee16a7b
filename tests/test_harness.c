/*
 * test_harness.c - the harness (harness/framework.c) and its example program: the checks
 * of its arguments, a short run of two models through every scenario with a comparison
 * and a report, examples/framework built and run, and the deprecated rpt_framework_*
 * names still building and behaving as the new ones.
 */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/harness.h"
#include "tests/testutil.h"

/* A model of *ctx microseconds per sample. */
static int sleepy(void *ctx, const harness_batch *b)
{
    struct timespec t = {0, *(const long *)ctx * 1000L * (long)b->n};
    for (size_t i = 0; i < b->n; i++)
        if (!b->inputs[i])
            return 7; /* a sample that was not loaded: fail the batch */
    nanosleep(&t, NULL);
    return 0;
}

static int loader(void *ctx, uint64_t index, void *buf, size_t size)
{
    (*(int *)ctx)++;
    memset(buf, (int)(index & 0xff), size);
    return 0;
}

Test(harness, checks_its_arguments, .timeout = 10)
{
    harness *fw;
    harness_opts o;
    harness_opts_default(&o);
    cr_expect_eq(o.workers, 2);
    o.workers = 0;
    cr_expect_eq(harness_create(&o, &fw), LG_EINVAL);
    cr_assert_eq(harness_create(NULL, &fw), 0);
    static long us = 10;
    cr_expect_eq(harness_add_model(fw, "", sleepy, &us), LG_EINVAL);
    cr_expect_eq(harness_add_model(fw, "a/b", sleepy, &us), LG_EINVAL);
    cr_expect_eq(harness_add_model(fw, "..", sleepy, &us), LG_EINVAL);
    cr_expect_eq(harness_add_model(fw, "ok", NULL, &us), LG_EINVAL);
    cr_expect_eq(harness_add_model(fw, "ok", sleepy, &us), 0);
    cr_expect_eq(harness_add_model(fw, "ok", sleepy, &us), 0, "replacing is fine");
    /* No dataset yet. */
    cr_expect_eq(harness_run_all(fw, "ok", NULL), LG_EINVAL);
    cr_expect_eq(harness_set_dataset(fw, 0, 8, NULL, NULL), LG_EINVAL);
    cr_expect_eq(harness_set_dataset(fw, 16, 8, NULL, NULL), 0);
    cr_expect_eq(harness_run_all(fw, "missing", NULL), LG_EINVAL);
    harness_model_comparison c;
    cr_expect_eq(harness_compare(fw, "ok", "missing", LG_OFFLINE, &c), LG_EINVAL);
    /* No output folder: no report. */
    cr_expect_eq(harness_report(fw, "/tmp/never.md"), LG_EINVAL);
    harness_destroy(fw);
    harness_destroy(NULL);
}

Test(harness, runs_every_scenario_compares_and_reports, TU_TMP, .timeout = 120)
{
    harness_opts o;
    harness_opts_default(&o);
    o.outdir = tu_in_tmp("fw");
    o.quick = true;
    o.min_duration_ms = 150;
    o.repetitions = 3;
    harness *fw;
    cr_assert_eq(harness_create(&o, &fw), 0);
    static long slow = 300, fast = 100;
    int loads = 0;
    cr_assert_eq(harness_add_model(fw, "slow", sleepy, &slow), 0);
    cr_assert_eq(harness_add_model(fw, "fast", sleepy, &fast), 0);
    cr_assert_eq(harness_set_dataset(fw, 64, 16, loader, &loads), 0);
    lg_results res[4];
    cr_assert_eq(harness_run_all(fw, "slow", res), 0);
    cr_expect_gt(loads, 0, "the load callback filled the samples");
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(res[i].scenario, (lg_scenario)i);
        cr_expect_eq(res[i].samples_failed, 0, "scenario %d: the model saw unloaded samples", i);
        cr_expect_gt(res[i].samples_completed, 0);
    }
    cr_expect(res[LG_SINGLE_STREAM].valid);
    struct stat st;
    cr_expect_eq(stat(tu_in_tmp("fw/slow/Offline/results.json"), &st), 0);

    harness_model_comparison c;
    cr_assert_eq(harness_compare(fw, "slow", "fast", LG_OFFLINE, &c), 0);
    cr_expect_str_eq(c.metric, "throughput");
    cr_expect_eq(c.detail.direction, RPT_HIGHER_IS_BETTER);
    cr_expect_eq(c.detail.a.n, 3);
    cr_expect(c.detail.few_values);
    cr_expect_eq(c.p_value, c.detail.welch_p);
    cr_expect_eq(c.effect_size, c.detail.cohens_d);
    cr_expect_eq(c.confidence_interval[0], c.detail.change_lo);
    cr_expect_eq(c.is_significant, c.p_value < 0.05);
    cr_expect_gt(c.detail.change, 0.3, "3x faster model, change %g", c.detail.change);
    cr_expect_neq(c.recommendation[0], '\0');
    cr_expect(strstr(c.recommendation, "9"), "mentions the 9-run advice: %s", c.recommendation);
    cr_expect_eq(stat(tu_in_tmp("fw/compare-slow-fast-Offline/fast/rep-3/results.json"), &st), 0);

    cr_assert_eq(harness_report(fw, tu_in_tmp("fw/report.md")), 0);
    harness_destroy(fw);
    char *md = tu_slurp(tu_in_tmp("fw/report.md"), NULL);
    cr_expect(strstr(md, "\n## Executive Summary\n"));
    cr_expect(strstr(md, "\n## Comparison\n"), "the two repetition sets are compared");
    cr_expect(strstr(md, "compare-slow-fast-Offline/fast"), "%.200s", md);
    free(md);
}

/* The example program, as the Makefile builds it (built here when missing, e.g. in a
 * sanitizer build that does not make the examples). */
static const char *example_path(const char *name)
{
    static char path[PATH_MAX];
    const char *bin = tu_program(); /* .../<BUILD>/bin/loadgen */
    snprintf(path, sizeof path, "%s", bin);
    char *slash = strrchr(path, '/');
    cr_assert_not_null(slash);
    *slash = '\0';
    slash = strrchr(path, '/');
    cr_assert_not_null(slash);
    snprintf(slash, sizeof path - (size_t)(slash - path), "/examples/%s", name);
    if (access(path, X_OK) == 0)
        return path;
    const char *root = getenv("LOADGEN_ROOT");
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "make -s -C '%s' BUILD=build build/examples/%s >/dev/null",
             root ? root : ".", name);
    cr_assert_eq(system(cmd), 0, "could not build the example: %s", cmd);
    snprintf(path, sizeof path, "%s/build/examples/%s", root ? root : ".", name);
    char *abs = realpath(path, NULL);
    cr_assert_not_null(abs, "%s", path);
    snprintf(path, sizeof path, "%s", abs);
    free(abs);
    return path;
}

Test(harness, the_framework_example_runs, TU_TMP, .timeout = 240)
{
    const char *exe = example_path("framework");
    tu_proc p;
    const char *const argv[] = {"framework", "out", NULL};
    tu_run_exe(&p, exe, argv);
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.out, "significant: yes"), "%s", p.out);
    cr_expect(strstr(p.out, "Prefer faster"), "%s", p.out);
    cr_expect(strstr(p.out, "Report: out/report.md"), "%s", p.out);
    tu_proc_free(&p);
    char *md = tu_slurp(tu_in_tmp("out/report.md"), NULL);
    cr_expect(strstr(md, "\n## Statistical Validation\n"));
    cr_expect(strstr(md, "| SingleStream |"));
    cr_expect(strstr(md, "| Offline |"));
    free(md);
}

/* ---- accuracy ------------------------------------------------------------------------ */

/* Classifiers of a dataset whose labels are index % 10: "all" is always right, "half"
 * only on even indices (else it answers the next class), "mute" answers nothing. */
static int classify(void *ctx, const harness_batch *b)
{
    const char *kind = ctx;
    for (size_t i = 0; i < b->n; i++) {
        cr_assert_eq(b->predictions[i], -1, "predictions start at -1");
        int32_t label = (int32_t)(b->indices[i] % 10);
        if (!strcmp(kind, "all"))
            b->predictions[i] = label;
        else if (!strcmp(kind, "half"))
            b->predictions[i] = b->indices[i] % 2 ? (label + 1) % 10 : label;
    }
    return 0;
}

Test(harness, scores_accuracy_and_compares_it_sample_by_sample, TU_TMP, .timeout = 120)
{
    harness_opts o;
    harness_opts_default(&o);
    o.outdir = tu_in_tmp("acc");
    o.quick = true;
    o.repetitions = 3;
    o.min_duration_ms = 100;
    o.max_batch = 4;
    harness *h;
    cr_assert_eq(harness_create(&o, &h), 0);
    cr_assert_eq(harness_add_model(h, "half", classify, "half"), 0);
    cr_assert_eq(harness_add_model(h, "all", classify, "all"), 0);
    cr_assert_eq(harness_add_model(h, "mute", classify, "mute"), 0);
    enum { N = 2000 };
    static int32_t labels[N];
    for (int i = 0; i < N; i++)
        labels[i] = i % 10;
    harness_accuracy_result a;
    cr_expect_eq(harness_set_labels(h, labels, N), LG_EINVAL, "no dataset yet");
    cr_assert_eq(harness_set_dataset(h, N, 8, NULL, NULL), 0);
    cr_expect_eq(harness_accuracy(h, "all", &a), LG_EINVAL, "no labels yet");
    cr_expect_eq(harness_set_labels(h, labels, N - 1), LG_EINVAL);
    labels[5] = -1;
    cr_expect_eq(harness_set_labels(h, labels, N), LG_EINVAL);
    labels[5] = 5;
    cr_assert_eq(harness_set_labels(h, labels, N), 0);
    cr_assert_eq(harness_accuracy(h, "half", &a), 0);
    cr_expect_eq(a.samples, N);
    cr_expect_eq(a.answered, N);
    cr_expect_eq(a.correct, N / 2);
    cr_expect_float_eq(a.top1, 0.5, 1e-12);
    cr_assert_eq(harness_accuracy(h, "mute", &a), 0);
    cr_expect_eq(a.answered, 0);
    cr_expect_eq(a.top1, 0);
    /* The accuracy pass's log holds each answer as an int32. */
    char *log = tu_slurp(tu_in_tmp("acc/half/accuracy/mlperf_log_accuracy.json"), NULL);
    cr_expect(strstr(log, "\"qsl_idx\" : 3, \"data\" : \"04000000\""), "%.300s", log);
    free(log);

    harness_model_comparison c;
    cr_assert_eq(harness_compare(h, "half", "all", LG_SINGLE_STREAM, &c), 0);
    cr_expect(c.has_accuracy);
    cr_expect_float_eq(c.accuracy_a, 0.5, 1e-12);
    cr_expect_float_eq(c.accuracy_b, 1.0, 1e-12);
    cr_expect_float_eq(c.accuracy_change, 0.5, 1e-12);
    cr_expect_eq(c.only_b_right, N / 2);
    cr_expect_eq(c.only_a_right, 0);
    cr_expect(c.accuracy_ci[0] < 0.5 && c.accuracy_ci[1] > 0.5, "[%g, %g]", c.accuracy_ci[0],
              c.accuracy_ci[1]);
    /* Paired: se = sqrt(1000 - 1000^2 / 2000) / 2000 = 0.01118; 1.96 se = 0.0219. */
    cr_expect_float_eq(c.accuracy_ci[1] - c.accuracy_change, 1.959964 * 0.0111803, 1e-5);
    cr_expect_lt(c.accuracy_p, 1e-100);
    cr_expect(c.speed_ratio > 0 && c.speed_ratio_ci[0] <= c.speed_ratio &&
              c.speed_ratio <= c.speed_ratio_ci[1], "%g [%g, %g]", c.speed_ratio,
              c.speed_ratio_ci[0], c.speed_ratio_ci[1]);
    cr_expect(strstr(c.tradeoff, "and gains 50.00 points of accuracy (50.00 % -> 100.00 %"),
              "%s", c.tradeoff);
    /* The same model against itself: no difference, p = 1. */
    cr_assert_eq(harness_compare(h, "all", "all", LG_SINGLE_STREAM, &c), 0);
    cr_expect_eq(c.accuracy_change, 0);
    cr_expect_eq(c.accuracy_p, 1);
    cr_expect(strstr(c.tradeoff, "its accuracy is not significantly different"), "%s",
              c.tradeoff);
    /* A new dataset forgets the labels. */
    cr_assert_eq(harness_set_dataset(h, N, 8, NULL, NULL), 0);
    cr_expect_eq(harness_accuracy(h, "all", &a), LG_EINVAL);
    harness_destroy(h);
}

/* The real models: examples/model_compare on 300 test images. */
Test(harness, the_model_comparison_example_runs, TU_TMP, .timeout = 240)
{
    const char *exe = example_path("model_compare");
    const char *root = getenv("LOADGEN_ROOT");
    char models[PATH_MAX];
    snprintf(models, sizeof models, "%s/models", root ? root : ".");
    tu_proc p;
    const char *const argv[] = {"model_compare", "out", "300", models, NULL};
    tu_run_exe(&p, exe, argv);
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.out, "accuracy on 300 test images: mlp "), "%s", p.out);
    cr_expect(strstr(p.out, "Trade-off: mlp-int8 is "), "%s", p.out);
    cr_expect(strstr(p.out, "points of accuracy") || strstr(p.out, "accuracy is not"), "%s",
              p.out);
    tu_proc_free(&p);
    char *md = tu_slurp(tu_in_tmp("out/report.md"), NULL);
    cr_expect(strstr(md, "out/mlp/accuracy") && strstr(md, "out/mlp-int8/accuracy"),
              "the accuracy passes are in the report");
    free(md);
}

/* ---- the names of 0.1.0 ------------------------------------------------------------ */

/* A model written against the old names: rpt_batch is the same type as harness_batch. */
static int old_model(void *ctx, const rpt_batch *b)
{
    return sleepy(ctx, b);
}

Test(harness, the_deprecated_rpt_framework_names_still_build_and_check, .timeout = 10)
{
    rpt_framework_opts o;
    rpt_framework_opts_default(&o);
    cr_expect_eq(o.workers, 2);
    o.max_batch = 0;
    rpt_framework *fw;
    cr_expect_eq(rpt_framework_create(&o, &fw), LG_EINVAL);
    cr_assert_eq(rpt_framework_create(NULL, &fw), 0);
    static long us = 10;
    rpt_model_fn fn = old_model;
    rpt_load_fn load = loader;
    cr_expect_eq(rpt_framework_add_model(fw, "a/b", fn, &us), LG_EINVAL);
    cr_expect_eq(rpt_framework_add_model(fw, "ok", fn, &us), 0);
    cr_expect_eq(rpt_framework_run_all(fw, "ok", NULL), LG_EINVAL, "no dataset yet");
    cr_expect_eq(rpt_framework_set_dataset(fw, 0, 8, load, NULL), LG_EINVAL);
    rpt_model_comparison c;
    cr_expect_eq(rpt_framework_compare(fw, "ok", "missing", LG_OFFLINE, &c), LG_EINVAL);
    cr_expect_eq(rpt_framework_report(fw, "/tmp/never.md"), LG_EINVAL);
    rpt_framework_destroy(fw);
}
