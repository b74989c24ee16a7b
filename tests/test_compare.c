/*
 * test_compare.c - comparing two sets of values (report/compare.c, report/metrics.c) and
 * `loadgen compare`: the course's cases (a large significant difference; two samples of
 * one distribution not significant in at least 90% of 200 seeded trials), criterion's
 * verdict rule with the noise threshold, the direction of each metric, malformed number
 * files (clear errors naming the file and line, exit 2), the JSON schema, and exit codes.
 */
#include <criterion/criterion.h>

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "report/compare.h"
#include "report/metrics.h"
#include "report/run.h"
#include "tests/testutil.h"

/* ---- helpers (the shared ones are in tests/testutil.h) -------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* n normal values of the given mean and SD into a file, one per line. */
static void write_normal(const char *path, gsl_rng *r, size_t n, double mean, double sd)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.9f\n", mean + gsl_ran_gaussian(r, sd));
    fclose(f);
}

/* a.txt and b.txt in tu_tmp: n normal values each of the given SD around mean_a and
 * mean_b, seeded. */
static void write_pair(unsigned long seed, size_t n, double mean_a, double mean_b, double sd)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    cr_assert_not_null(r);
    gsl_rng_set(r, seed);
    write_normal(tu_in_tmp("a.txt"), r, n, mean_a, sd);
    write_normal(tu_in_tmp("b.txt"), r, n, mean_b, sd);
    gsl_rng_free(r);
}

/* The JSON a command printed; fails the test when it is not JSON. */
static json_t *parse_json(const char *text)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    cr_assert_not_null(root, "not JSON: %s\n%s", je.text, text);
    return root;
}

static void normal(gsl_rng *r, double *x, size_t n, double mean, double sd)
{
    for (size_t i = 0; i < n; i++)
        x[i] = mean + gsl_ran_gaussian(r, sd);
}

/* ---- the course's cases ------------------------------------------------------------- */

Test(compare, course_case_large_difference_is_significant_with_a_large_effect, .timeout = 30)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    double a[100], b[100];
    normal(r, a, 100, 0.1, 0.01);
    normal(r, b, 100, 0.2, 0.01);
    gsl_rng_free(r);

    rpt_metric_cmp c;
    /* Times: lower is better, so B (twice as slow) regressed. */
    cr_assert_eq(rpt_compare_values(a, 100, b, 100, "value", "s", RPT_LOWER_IS_BETTER, NULL, &c), 0);
    cr_expect(c.significant);
    cr_expect_lt(c.welch_p, 1e-10);
    cr_expect_lt(c.mw_p, 1e-10);
    cr_expect_gt(c.cohens_d, 0.8, "large effect: d = %g", c.cohens_d);
    cr_expect_gt(c.welch_t, 0);
    cr_expect(fabs(c.ratio - 2.0) < 0.05, "ratio %g", c.ratio);
    cr_expect_lt(c.ratio_lo, c.ratio);
    cr_expect_gt(c.ratio_hi, c.ratio);
    cr_expect_eq(c.verdict, RPT_REGRESSED);
    cr_expect_not(c.few_values);
    cr_expect_str_eq(c.name, "value");
    cr_expect_eq(c.a.n, 100);
    cr_expect(fabs(c.a.mean - 0.1) < 0.005);

    /* The other way round it improved, and the effect is as large with the other sign. */
    rpt_metric_cmp d;
    cr_assert_eq(rpt_compare_values(b, 100, a, 100, "value", "s", RPT_LOWER_IS_BETTER, NULL, &d), 0);
    cr_expect(d.significant);
    cr_expect_lt(d.cohens_d, -0.8);
    cr_expect_eq(d.verdict, RPT_IMPROVED);
    cr_expect(fabs(d.cohens_d + c.cohens_d) < 1e-9);

    /* For a throughput (higher is better) doubling is an improvement. */
    cr_assert_eq(rpt_compare_values(a, 100, b, 100, "throughput", "1/s", RPT_HIGHER_IS_BETTER,
                                    NULL, &c), 0);
    cr_expect_eq(c.verdict, RPT_IMPROVED);
}

Test(compare, same_distribution_is_not_significant_in_at_least_90_percent_of_200_trials,
     .timeout = 120)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    rpt_compare_opts o;
    rpt_compare_opts_default(&o);
    o.resamples = 200; /* the verdict needs only the test; keep the bootstrap cheap */
    int not_sig = 0, no_change = 0;
    for (int trial = 0; trial < 200; trial++) {
        double a[30], b[30];
        normal(r, a, 30, 0.1, 0.01);
        normal(r, b, 30, 0.1, 0.01);
        rpt_metric_cmp c;
        cr_assert_eq(rpt_compare_values(a, 30, b, 30, "value", "s", RPT_LOWER_IS_BETTER, &o, &c), 0);
        not_sig += !c.significant;
        no_change += c.verdict == RPT_NO_CHANGE || c.verdict == RPT_WITHIN_NOISE;
    }
    gsl_rng_free(r);
    cr_expect_geq(not_sig, 180, "only %d of 200 trials not significant", not_sig);
    /* A false alarm must also get past the noise threshold to be called a change. */
    cr_expect_geq(no_change, 190, "%d of 200 trials called improved or regressed",
                  200 - no_change);
}

/* ---- the verdict rule ---------------------------------------------------------------- */

/* A baseline around 100 and a candidate shifted by `shift` (a fraction), small noise. */
static void shifted(double *a, double *b, size_t n, double shift, double sd, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    normal(r, a, n, 100, sd);
    normal(r, b, n, 100 * (1 + shift), sd);
    gsl_rng_free(r);
}

Test(compare, verdict_follows_the_noise_threshold, .timeout = 30)
{
    double a[40], b[40];
    rpt_compare_opts o;
    rpt_compare_opts_default(&o);
    o.resamples = 2000;
    rpt_metric_cmp c;

    /* +10% with 0.5% noise: regressed for a latency at the default 2% threshold. */
    shifted(a, b, 40, 0.10, 0.5, 1);
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "latency_p99", "ns", RPT_LOWER_IS_BETTER, &o, &c), 0);
    cr_expect(c.significant);
    cr_expect_gt(c.change_lo, 0.02);
    cr_expect_eq(c.verdict, RPT_REGRESSED);
    /* The same data with a 20% threshold: real, but within the noise threshold. */
    o.noise = 0.20;
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "latency_p99", "ns", RPT_LOWER_IS_BETTER, &o, &c), 0);
    cr_expect(c.significant);
    cr_expect_eq(c.verdict, RPT_WITHIN_NOISE);
    o.noise = 0.02;

    /* +1% with 0.5% noise: significant, but the CI stays inside +-2%. */
    shifted(a, b, 40, 0.01, 0.5, 2);
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "throughput", "1/s", RPT_HIGHER_IS_BETTER, &o, &c), 0);
    cr_expect(c.significant, "p %g", c.welch_p);
    cr_expect_lt(c.change_hi, 0.02 + 0.01);
    cr_expect_eq(c.verdict, RPT_WITHIN_NOISE);
    /* With no threshold the same change counts as an improvement of throughput. */
    o.noise = 0;
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "throughput", "1/s", RPT_HIGHER_IS_BETTER, &o, &c), 0);
    cr_expect_eq(c.verdict, RPT_IMPROVED);
    o.noise = 0.02;

    /* -10% throughput: regressed. */
    shifted(a, b, 40, -0.10, 0.5, 3);
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "throughput", "1/s", RPT_HIGHER_IS_BETTER, &o, &c), 0);
    cr_expect_eq(c.verdict, RPT_REGRESSED);
    cr_expect_lt(c.change_hi, -0.02);

    /* No shift and large noise: no significant change, whatever the CI. */
    shifted(a, b, 40, 0.0, 20, 4);
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "throughput", "1/s", RPT_HIGHER_IS_BETTER, &o, &c), 0);
    cr_expect_not(c.significant);
    cr_expect_eq(c.verdict, RPT_NO_CHANGE);
    cr_expect_lt(c.change_lo, 0);
    cr_expect_gt(c.change_hi, 0);

    /* A stricter alpha turns a borderline result into no change. */
    shifted(a, b, 40, 0.01, 2.0, 5);
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "v", "", RPT_LOWER_IS_BETTER, &o, &c), 0);
    double p = c.welch_p;
    o.alpha = p * 0.5 < 1e-6 ? 1e-6 : p * 0.5;
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "v", "", RPT_LOWER_IS_BETTER, &o, &c), 0);
    cr_expect_not(c.significant);
    cr_expect_eq(c.verdict, RPT_NO_CHANGE);
}

Test(compare, few_values_constant_sides_and_bad_input, .timeout = 30)
{
    double a[5] = {1012, 998, 1005, 1020, 1001}, b[5] = {1041, 1035, 1050, 1029, 1044};
    rpt_metric_cmp c;
    cr_assert_eq(rpt_compare_values(a, 5, b, 5, "throughput", "1/s", RPT_HIGHER_IS_BETTER, NULL, &c), 0);
    cr_expect(c.few_values);
    /* docs/statistics.md's worked example: t 6.07 (B against A), U 25, d 3.84. */
    cr_expect(fabs(c.welch_t - 6.07) < 0.01, "t %g", c.welch_t);
    cr_expect(fabs(c.welch_df - 7.94) < 0.01, "df %g", c.welch_df);
    cr_expect_eq(c.mw_u, 25);
    cr_expect(c.mw_exact);
    cr_expect(fabs(c.cohens_d - 3.84) < 0.01, "d %g", c.cohens_d);
    cr_expect(fabs(c.ratio - 1039.8 / 1007.2) < 1e-9);
    cr_expect_eq(c.verdict, RPT_IMPROVED);

    /* Two constant sides: defined answers and a note, no crash. */
    double k1[4] = {5, 5, 5, 5}, k2[4] = {6, 6, 6, 6};
    cr_assert_eq(rpt_compare_values(k1, 4, k2, 4, "v", "", RPT_LOWER_IS_BETTER, NULL, &c), 0);
    cr_expect(c.significant);
    cr_expect_eq(c.verdict, RPT_REGRESSED);
    cr_expect_neq(c.note[0], '\0');
    cr_assert_eq(rpt_compare_values(k1, 4, k1, 4, "v", "", RPT_LOWER_IS_BETTER, NULL, &c), 0);
    cr_expect_not(c.significant);
    cr_expect_eq(c.verdict, RPT_NO_CHANGE);

    double bad[3] = {1, NAN, 2};
    cr_expect_eq(rpt_compare_values(a, 5, bad, 3, "v", "", 0, NULL, &c), LG_EINVAL);
    cr_expect_eq(rpt_compare_values(a, 1, b, 5, "v", "", 0, NULL, &c), LG_EINVAL);
    cr_expect_eq(rpt_compare_values(NULL, 5, b, 5, "v", "", 0, NULL, &c), LG_EINVAL);
    rpt_compare_opts o;
    rpt_compare_opts_default(&o);
    o.alpha = 1.5;
    cr_expect_eq(rpt_compare_values(a, 5, b, 5, "v", "", 0, &o, &c), LG_EINVAL);
    cr_expect_str_eq(rpt_change_name(RPT_WITHIN_NOISE), "change within noise threshold");
    cr_expect_str_eq(rpt_change_id(RPT_NO_CHANGE), "no_change");
}

/* ---- metric sets and files ------------------------------------------------------------ */

Test(compare, number_files_skip_blanks_and_comments, TU_TMP, .timeout = 30)
{
    write_file(tu_in_tmp("ok.txt"), "# run times in s\n 0.5\n\n0.25  \n\t1e-1\n");
    rpt_metrics *m;
    char err[256];
    cr_assert_eq(rpt_metrics_from_file(tu_in_tmp("ok.txt"), RPT_HIGHER_IS_BETTER, &m, err, sizeof err),
                 0, "%s", err);
    cr_expect_eq(rpt_metrics_kind(m), RPT_VALUES_FILE);
    cr_expect_eq(rpt_metrics_count(m), 1);
    const rpt_metric *v = rpt_metrics_get(m, 0);
    cr_assert_not_null(v);
    cr_expect_str_eq(v->name, "value");
    cr_expect_eq(v->direction, RPT_HIGHER_IS_BETTER);
    cr_expect_eq(v->n, 3);
    cr_expect_eq(v->values[2], 0.1);
    cr_expect_not(rpt_metrics_scenario(m, NULL));
    cr_expect_eq(rpt_metrics_find(m, "value"), v);
    cr_expect_null(rpt_metrics_find(m, "throughput"));
    rpt_metrics_destroy(m);
}

/* Every malformed file gives LG_EINVAL and a message with the file name (and line). */
Test(compare, malformed_files_are_refused_with_the_file_and_line, TU_TMP, .timeout = 30)
{
    static const struct {
        const char *name, *text, *expect;
    } cases[] = {
        {"empty.txt", "", "empty.txt: no values"},
        {"blank.txt", "\n# nothing\n\n", "blank.txt: no values"},
        {"one.txt", "# one\n3.5\n", "one.txt:2: only one value"},
        {"word.txt", "1\n2\nabc\n4\n", "word.txt:3: 'abc' is not a number"},
        {"tail.txt", "1\n2ms\n", "tail.txt:2: '2ms' is not a number"},
        {"nan.txt", "1\nNaN\n3\n", "nan.txt:2: 'NaN' is not a finite number"},
        {"inf.txt", "1\n2\ninf\n", "inf.txt:3: 'inf' is not a finite number"},
        {"big.txt", "1\n1e999\n", "big.txt:2: '1e999' is not a finite number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = tu_in_tmp(cases[i].name);
        write_file(path, cases[i].text);
        rpt_metrics *m = NULL;
        char err[512] = "";
        cr_expect_eq(rpt_metrics_from_file(path, RPT_LOWER_IS_BETTER, &m, err, sizeof err),
                     LG_EINVAL, "%s", cases[i].name);
        cr_expect_null(m);
        cr_expect(strstr(err, cases[i].expect), "%s: message '%s' lacks '%s'", cases[i].name,
                  err, cases[i].expect);
    }
    rpt_metrics *m = NULL;
    char err[512];
    cr_expect_eq(rpt_metrics_from_file(tu_in_tmp("missing.txt"), 0, &m, err, sizeof err), LG_EIO);
    cr_expect(strstr(err, "missing.txt"), "%s", err);
}

Test(compare, cli_malformed_inputs_exit_2_naming_file_and_line, TU_TMP, .timeout = 60)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    write_normal(tu_in_tmp("a.txt"), r, 20, 1.0, 0.1);
    gsl_rng_free(r);
    static const struct {
        const char *name, *text, *expect;
    } cases[] = {
        {"empty.txt", "", "empty.txt: no values"},
        {"one.txt", "0.7\n", "one.txt:1: only one value"},
        {"word.txt", "1\nfast\n", "word.txt:2: 'fast' is not a number"},
        {"nan.txt", "1\n2\nnan\n", "nan.txt:3: 'nan' is not a finite number"},
        {"inf.txt", "-inf\n1\n", "inf.txt:1: '-inf' is not a finite number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file(tu_in_tmp(cases[i].name), cases[i].text);
        for (int side = 0; side < 2; side++) {
            tu_proc p;
            if (side)
                RUN(&p, "compare", cases[i].name, "a.txt");
            else
                RUN(&p, "compare", "a.txt", cases[i].name, "--json");
            cr_expect_eq(p.code, 2, "%s: exit %d", cases[i].name, p.code);
            cr_expect(strstr(p.err, cases[i].expect), "%s: stderr '%s'", cases[i].name, p.err);
            cr_expect(strstr(p.err, "loadgen compare: "), "%s", p.err);
            cr_expect_str_eq(p.out, "", "nothing on stdout for %s", cases[i].name);
            tu_proc_free(&p);
        }
    }
    tu_proc p;
    RUN(&p, "compare", "a.txt", "no-such-file.txt");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "no-such-file.txt"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "compare", "a.txt");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "two inputs"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "compare", "a.txt", "a.txt", "--alpha", "2");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "--alpha"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "compare", "a.txt", "a.txt", "--bogus");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "unknown option '--bogus'"), "%s", p.err);
    tu_proc_free(&p);
    /* A folder and a file are different kinds. */
    cr_assert_eq(mkdir(tu_in_tmp("dir"), 0777), 0);
    RUN(&p, "compare", "a.txt", "dir");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "dir"), "%s", p.err);
    tu_proc_free(&p);
}

/* The members every metric must have in compare --json, with their JSON types. */
static void expect_number_or_null(json_t *o, const char *key, const char *where)
{
    json_t *v = json_object_get(o, key);
    cr_expect(v && (json_is_number(v) || json_is_null(v)), "%s.%s missing or not a number",
              where, key);
}

Test(compare, cli_json_has_the_documented_schema, TU_TMP, .timeout = 60)
{
    write_pair(11, 100, 0.1, 0.2, 0.01);
    tu_proc p;
    RUN(&p, "compare", "a.txt", "b.txt", "--json", "--alpha", "0.01", "--noise", "0.05");
    cr_expect_eq(p.code, 1, "a regression exits 1 (got %d): %s", p.code, p.err);
    json_t *root = parse_json(p.out);
    cr_expect_str_eq(json_string_value(json_object_get(root, "schema")), "loadgen-compare");
    cr_expect_eq(json_integer_value(json_object_get(root, "schema_version")), 1);
    cr_expect_eq(json_real_value(json_object_get(root, "alpha")), 0.01);
    cr_expect_eq(json_real_value(json_object_get(root, "noise")), 0.05);
    cr_expect(fabs(json_real_value(json_object_get(root, "confidence")) - 0.99) < 1e-12);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(root, "a"), "source")),
                     "a.txt");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(root, "b"), "kind")),
                     "file");
    cr_expect(json_is_array(json_object_get(root, "warnings")));
    cr_expect(json_is_true(json_object_get(root, "any_regressed")));
    json_t *ms = json_object_get(root, "metrics");
    cr_assert(json_is_array(ms));
    cr_assert_eq(json_array_size(ms), 1);
    json_t *m = json_array_get(ms, 0);
    cr_expect_str_eq(json_string_value(json_object_get(m, "name")), "value");
    cr_expect_str_eq(json_string_value(json_object_get(m, "direction")), "lower_is_better");
    const char *sides[2] = {"a", "b"};
    for (int s = 0; s < 2; s++) {
        json_t *o = json_object_get(m, sides[s]);
        cr_assert(json_is_object(o), "%s missing", sides[s]);
        cr_expect_eq(json_integer_value(json_object_get(o, "n")), 100);
        expect_number_or_null(o, "mean", sides[s]);
        expect_number_or_null(o, "sd", sides[s]);
        expect_number_or_null(o, "median", sides[s]);
    }
    cr_expect(fabs(json_real_value(json_object_get(json_object_get(m, "a"), "mean")) - 0.1) < 0.005);
    json_t *w = json_object_get(m, "welch");
    expect_number_or_null(w, "t", "welch");
    expect_number_or_null(w, "df", "welch");
    expect_number_or_null(w, "p", "welch");
    cr_expect_lt(json_real_value(json_object_get(w, "p")), 1e-10);
    json_t *u = json_object_get(m, "mann_whitney");
    expect_number_or_null(u, "u", "mann_whitney");
    expect_number_or_null(u, "p", "mann_whitney");
    expect_number_or_null(m, "cohens_d", "metric");
    cr_expect_gt(json_real_value(json_object_get(m, "cohens_d")), 0.8);
    json_t *ra = json_object_get(m, "ratio");
    expect_number_or_null(ra, "estimate", "ratio");
    expect_number_or_null(ra, "ci_low", "ratio");
    expect_number_or_null(ra, "ci_high", "ratio");
    cr_expect_lt(json_real_value(json_object_get(ra, "ci_low")),
                 json_real_value(json_object_get(ra, "ci_high")));
    json_t *ch = json_object_get(m, "change");
    expect_number_or_null(ch, "estimate", "change");
    cr_expect_str_eq(json_string_value(json_object_get(m, "verdict")), "regressed");
    cr_expect(json_is_true(json_object_get(m, "significant")));
    cr_expect(json_is_false(json_object_get(m, "few_values")));
    json_decref(root);
    tu_proc_free(&p);

    /* B against A the other way round: improved, exit 0; the text form names the verdict. */
    RUN(&p, "compare", "b.txt", "a.txt");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "improved"), "%s", p.out);
    cr_expect(strstr(p.out, "A (baseline):  b.txt"), "%s", p.out);
    tu_proc_free(&p);
    /* --higher-is-better flips the reading of plain numbers. */
    RUN(&p, "compare", "a.txt", "b.txt", "--higher-is-better");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "improved"), "%s", p.out);
    tu_proc_free(&p);
}

Test(compare, cli_warns_below_9_values_per_side, TU_TMP, .timeout = 30)
{
    write_file(tu_in_tmp("a.txt"), "1012\n998\n1005\n1020\n1001\n");
    write_file(tu_in_tmp("b.txt"), "1041\n1035\n1050\n1029\n1044\n");
    tu_proc p;
    RUN(&p, "compare", "a.txt", "b.txt", "--higher-is-better");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "warning: only 5 and 5 values"), "%s", p.out);
    /* Number files have no repetitions: the advice is about their values, not --repeat. */
    cr_expect(strstr(p.out, "give at least 9 values per file"), "%s", p.out);
    cr_expect(!strstr(p.out, "--repeat"), "%s", p.out);
    cr_expect(strstr(p.out, "improved"), "%s", p.out);
    cr_expect(strstr(p.out, "+3.24%"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "compare", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "--noise"), "%s", p.out);
    tu_proc_free(&p);
}

/* Runs of two scenarios have metrics that mean different things: refused (exit 2) with
 * both scenarios named, and no verdict printed. */
Test(compare, runs_of_different_scenarios_are_refused_naming_both, TU_TMP, .timeout = 60)
{
    tu_short_run("ss", "SingleStream", "1");
    tu_short_run("srv", "Server", "1");
    tu_proc p;
    RUN(&p, "compare", "ss", "srv");
    cr_expect_eq(p.code, 2, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.err, "is a SingleStream run and"), "%s", p.err);
    cr_expect(strstr(p.err, "a Server run"), "%s", p.err);
    cr_expect(strstr(p.err, "compare runs of one scenario"), "%s", p.err);
    cr_expect_str_eq(p.out, "");
    tu_proc_free(&p);
    RUN(&p, "compare", "srv", "ss", "--json");
    cr_expect_eq(p.code, 2, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.err, "is a Server run and"), "%s", p.err);
    tu_proc_free(&p);
}

/* ---- large samples, overflow and no spread ------------------------------------------------ */

/* The bootstrap costs resamples x (n_a + n_b) draws: up to the work limit it is the same
 * as before the limit, then the resamples shrink, then the normal approximation takes
 * over; the method is always stated. */
Test(compare, the_bootstrap_is_bounded_by_a_work_limit_and_states_its_method, .timeout = 60)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    enum { N = 30000 };
    double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    cr_assert(a && b);
    normal(r, a, N, 100, 10);
    normal(r, b, N, 103, 10);
    rpt_compare_opts o;
    rpt_compare_opts_default(&o);
    rpt_metric_cmp small, reduced, approx;
    /* 10 values a side: the default 10000 resamples, BCa, as always. */
    cr_assert_eq(rpt_compare_values(a, 10, b, 10, "v", "", RPT_LOWER_IS_BETTER, &o, &small), 0);
    cr_expect_eq(small.interval, RPT_INTERVAL_BCA);
    cr_expect_eq(small.interval_resamples, 10000);
    cr_expect_str_eq(small.interval_text, "bootstrap BCa, 10000 resamples");
    /* 20,000 values against a limit of 1e8 draws: 5000 resamples. */
    o.max_draws = 1e8;
    cr_assert_eq(rpt_compare_values(a, 10000, b, 10000, "v", "", RPT_LOWER_IS_BETTER, &o,
                                    &reduced), 0);
    cr_expect_eq(reduced.interval, RPT_INTERVAL_BCA);
    cr_expect_eq(reduced.interval_resamples, 5000);
    cr_expect(strstr(reduced.interval_text, "5000 resamples (reduced from 10000"), "%s",
              reduced.interval_text);
    /* 60,000 values would need fewer than 2000 resamples: the normal approximation, which
     * agrees with the bootstrap's interval to a tenth of a percentage point here. */
    cr_assert_eq(rpt_compare_values(a, N, b, N, "v", "", RPT_LOWER_IS_BETTER, &o, &approx), 0);
    cr_expect_eq(approx.interval, RPT_INTERVAL_NORMAL);
    cr_expect_eq(approx.interval_resamples, 0);
    cr_expect(strstr(approx.interval_text, "normal approximation (delta method)"), "%s",
              approx.interval_text);
    cr_expect(approx.change_lo < approx.change && approx.change < approx.change_hi);
    o.max_draws = 0;
    o.resamples = 2000;
    rpt_metric_cmp boot;
    cr_assert_eq(rpt_compare_values(a, N, b, N, "v", "", RPT_LOWER_IS_BETTER, &o, &boot), 0);
    cr_expect_eq(boot.interval, RPT_INTERVAL_BCA);
    cr_expect_lt(fabs(boot.change_lo - approx.change_lo), 1e-3, "%g %g", boot.change_lo,
                 approx.change_lo);
    cr_expect_lt(fabs(boot.change_hi - approx.change_hi), 1e-3, "%g %g", boot.change_hi,
                 approx.change_hi);
    free(a);
    free(b);
    gsl_rng_free(r);
}

typedef struct stages {
    int calls, bootstrap;
} stages;

static void count_stage(void *ctx, const char *stage, double fraction)
{
    stages *s = ctx;
    s->calls++;
    s->bootstrap += !strcmp(stage, "bootstrap");
    cr_expect(fraction >= 0 && fraction <= 1, "%g", fraction);
}

Test(compare, progress_is_reported_stage_by_stage, .timeout = 30)
{
    double a[40], b[40];
    for (int i = 0; i < 40; i++) {
        a[i] = 100 + i % 7;
        b[i] = 101 + i % 5;
    }
    rpt_compare_opts o;
    rpt_compare_opts_default(&o);
    stages s = {0, 0};
    o.progress = count_stage;
    o.progress_ctx = &s;
    rpt_metric_cmp with, without;
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "v", "", RPT_LOWER_IS_BETTER, &o, &with), 0);
    cr_expect_geq(s.bootstrap, 20);
    cr_expect_gt(s.calls, s.bootstrap);
    o.progress = NULL;
    cr_assert_eq(rpt_compare_values(a, 40, b, 40, "v", "", RPT_LOWER_IS_BETTER, &o, &without),
                 0);
    cr_expect_eq(with.change_lo, without.change_lo);
    cr_expect_eq(with.change_hi, without.change_hi);
}

Test(compare, cli_states_the_interval_method_in_text_and_json, TU_TMP, .timeout = 60)
{
    write_pair(3, 60000, 100, 100, 10);
    tu_proc p;
    RUN(&p, "compare", "a.txt", "b.txt");
    cr_expect_leq(p.code, 1, "%s", p.err);
    cr_expect(strstr(p.out, "interval of the change: normal approximation (delta method): "
                            "120000 values are too many to resample 10000 times"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "compare", "a.txt", "b.txt", "--json");
    json_t *root = parse_json(p.out);
    json_t *iv = json_object_get(json_array_get(json_object_get(root, "metrics"), 0), "interval");
    cr_expect_str_eq(json_string_value(json_object_get(iv, "method")), "normal_delta");
    cr_expect(json_is_null(json_object_get(iv, "resamples")));
    json_decref(root);
    tu_proc_free(&p);
}

Test(compare, an_overflowing_mean_is_an_error_and_d_without_spread_is_n_a, TU_TMP,
     .timeout = 30)
{
    write_file(tu_in_tmp("a.txt"), "100\n101\n99\n100\n102\n98\n100\n101\n99\n100\n");
    write_file(tu_in_tmp("huge.txt"), "1.6e308\n1.7e308\n1.6e308\n1.7e308\n1.6e308\n"
                                      "1.7e308\n1.6e308\n1.7e308\n1.6e308\n1.7e308\n");
    tu_proc p;
    RUN(&p, "compare", "a.txt", "huge.txt");
    cr_expect_eq(p.code, 2, "exit %d: %s%s", p.code, p.out, p.err);
    cr_expect(strstr(p.err, "huge.txt: the mean or spread of value overflows a double"), "%s",
              p.err);
    cr_expect_null(strstr(p.out, "within noise"), "%s", p.out);
    tu_proc_free(&p);
    double big[4] = {1.6e308, 1.7e308, 1.6e308, 1.7e308}, one[4] = {1, 2, 3, 4};
    rpt_metric_cmp c;
    cr_expect_eq(rpt_compare_values(one, 4, big, 4, "v", "", RPT_LOWER_IS_BETTER, NULL, &c),
                 LG_EINVAL);

    /* Ten fives against themselves: no spread, so no d (it was printed "nan"). */
    write_file(tu_in_tmp("c.txt"), "5\n5\n5\n5\n5\n5\n5\n5\n5\n5\n");
    RUN(&p, "compare", "c.txt", "c.txt");
    cr_expect(p.code == 0 && !strstr(p.out, "nan"), "exit %d: %s", p.code, p.out);
    cr_expect(strstr(p.out, "     n/a  no significant change"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "compare", "c.txt", "c.txt", "--json");
    json_t *root = parse_json(p.out);
    json_t *m = json_array_get(json_object_get(root, "metrics"), 0);
    cr_expect(json_is_null(json_object_get(m, "cohens_d")), "%s", p.out);
    json_decref(root);
    tu_proc_free(&p);
}

/* ---- what differs between the runs ------------------------------------------------------ */

static void run_with(const char *out, const char *mean_us, const char *workers)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Offline", "--min-duration-ms", "200", "--quiet", "--out",
        out, "--service-mean-us", mean_us, "--workers", workers);
    cr_assert_leq(p.code, 1, "run %s failed: %s", out, p.err);
    tu_proc_free(&p);
}

/* compare lists what changed besides the measurements (the SUT's parameters here; the
 * rates the program derived from them are not counted on their own), and warns when
 * more than one thing did. */
Test(compare, what_differs_between_two_runs_is_listed, TU_TMP, .timeout = 90)
{
    run_with("a", "1000", "4");
    run_with("b", "800", "4");
    run_with("c", "800", "8");
    run_with("d", "1000", "4");
    tu_proc p;
    RUN(&p, "compare", "a", "b");
    cr_expect_leq(p.code, 1, "%s", p.err);
    cr_expect(strstr(p.out, "What differs between A and B (besides the measurements):\n"
                            "  sut.service_mean_us"), "%s", p.out);
    cr_expect(strstr(p.out, "1000 -> 800\n"), "%s", p.out);
    cr_expect_null(strstr(p.out, "offline_expected_qps"), "a derived rate was counted: %s",
                   p.out);
    cr_expect_null(strstr(p.out, "things changed"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "compare", "a", "c");
    cr_expect(strstr(p.out, "sut.workers"), "%s", p.out);
    cr_expect(strstr(p.out, "warning: 2 things changed between A and B"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "compare", "a", "d");
    cr_expect(strstr(p.out, "nothing (the same SUT, QSL, settings, config files and build)"),
              "%s", p.out);
    tu_proc_free(&p);

    /* The library function behind it. */
    rpt_run *ra, *rc;
    char err[256];
    cr_assert_eq(rpt_run_load_results(tu_in_tmp("a"), &ra, err, sizeof err), 0, "%s", err);
    cr_assert_eq(rpt_run_load_results(tu_in_tmp("c"), &rc, err, sizeof err), 0, "%s", err);
    cr_expect_not(rpt_run_get_info(ra)->has_samples);
    size_t n;
    const rpt_note *notes = rpt_run_provenance(ra, &n);
    cr_expect_gt(n, 40);
    cr_expect_str_eq(notes[0].key, "command_line");
    rpt_difference *d;
    cr_assert_eq(rpt_run_differences(ra, rc, false, &d, &n), 0);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(d[0].key, "sut.workers");
    cr_expect_str_eq(d[0].a, "4");
    cr_expect_str_eq(d[0].b, "8");
    cr_expect_str_eq(d[1].key, "sut.service_mean_us");
    free(d);
    cr_expect_eq(rpt_run_differences(ra, NULL, false, &d, &n), LG_EINVAL);
    rpt_run_destroy(ra);
    rpt_run_destroy(rc);
}
