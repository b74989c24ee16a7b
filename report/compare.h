/* report/compare.h: two sets of values compared (Welch's t-test, Mann-Whitney U, effect
 * sizes, the bootstrap interval of the ratio of means) with criterion.rs's verdict
 * rule, per metric or for every metric of two metric sets, and the comparison as JSON.
 * Part of the report library (report/report.h; its conventions apply).
 * docs/reports.md, docs/statistics.md. */
#ifndef REPORT_COMPARE_H
#define REPORT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "report/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==================================================================================== */
/* Comparing two sets of values                                                         */
/* ==================================================================================== */

/* The verdict for one metric, criterion.rs's rule (docs/statistics.md section 12). */
typedef enum rpt_change {
    RPT_NO_CHANGE = 0,     /* "no significant change": Welch p >= alpha */
    RPT_WITHIN_NOISE = 1,  /* "change within noise threshold": significant, but the CI of
                              the relative change reaches into [-noise, +noise] */
    RPT_IMPROVED = 2,      /* significant and the whole CI beyond the noise, better way */
    RPT_REGRESSED = 3,     /* significant and the whole CI beyond the noise, worse way */
} rpt_change;

/* "no significant change", "change within noise threshold", "improved", "regressed". */
const char *rpt_change_name(rpt_change c);
/* The JSON spelling: "no_change", "within_noise", "improved", "regressed". */
const char *rpt_change_id(rpt_change c);

typedef struct rpt_compare_opts {
    double alpha;      /* significance level in (0, 1); default 0.05 */
    double noise;      /* noise threshold on the relative change, >= 0; default 0.02 */
    /* Confidence of the intervals in (0, 1); 0 = 1 - alpha (the default). */
    double confidence;
    size_t resamples;  /* bootstrap resamples of the ratio CI, >= 100; default 10000 */
    unsigned long seed;/* bootstrap seed; default 1 */
    unsigned batches;  /* batches for single runs (rpt_metrics_from_set); default 20 */
    rpt_direction file_direction; /* for plain number files; default lower is better */
    /* The bootstrap's work limit in resampled values, resamples x (n_a + n_b); 0 = the
     * default, 2e8 (a few seconds). Above it the resamples are reduced to fit, down to
     * 2000; when even 2000 do not fit (n_a + n_b > 100,000 by default) the interval is
     * the normal approximation of the ratio (delta method), which such samples justify.
     * rpt_metric_cmp.interval says which was used. */
    double max_draws;
    /* Called from the calling thread at each stage of long work, with its name ("Welch
     * t-test", "Mann-Whitney U", "bootstrap") and the fraction done in [0, 1]; NULL for
     * none. For progress displays: it must not call back into this module. */
    void (*progress)(void *ctx, const char *stage, double fraction);
    void *progress_ctx;
} rpt_compare_opts;

void rpt_compare_opts_default(rpt_compare_opts *o);

/* How the interval of the ratio of means was made. */
typedef enum rpt_interval_method {
    RPT_INTERVAL_NONE = 0,        /* none (the baseline mean is 0) */
    RPT_INTERVAL_BCA = 1,         /* bootstrap, BCa */
    RPT_INTERVAL_PERCENTILE = 2,  /* bootstrap, percentile (BCa undefined: no spread) */
    RPT_INTERVAL_NORMAL = 3,      /* normal approximation, delta method (large samples) */
    RPT_INTERVAL_WELCH = 4,       /* Welch's interval of the difference over mean(A) */
} rpt_interval_method;

/* "bootstrap_bca", "bootstrap_percentile", "normal_delta", "welch", "none". */
const char *rpt_interval_method_id(rpt_interval_method m);

/* One side of a comparison. */
typedef struct rpt_side {
    size_t n;
    double mean, sd, median, min, max, cv;
} rpt_side;

/*
 * The comparison of one metric, B (the candidate) against A (the baseline). Every
 * statistic is oriented "B against A": positive t, d and change mean B is larger.
 */
typedef struct rpt_metric_cmp {
    char name[RPT_NAME_MAX];
    char unit[RPT_UNIT_MAX];
    rpt_direction direction;
    rpt_side a, b;
    /* Welch's t-test of mean(B) - mean(A): t, Welch-Satterthwaite df, two-sided p. */
    double welch_t, welch_df, welch_p;
    /* Mann-Whitney U of B (pairs with b > a, ties half) and its two-sided p. */
    double mw_u, mw_p;
    bool mw_exact;
    double cohens_d;   /* (mean_B - mean_A) / pooled SD; not finite without spread */
    double hedges_g;   /* d with the small-sample correction */
    /* mean(B) / mean(A) and its bootstrap CI (BCa, or percentile when BCa is undefined);
     * NaN when mean(A) is 0. */
    double ratio, ratio_lo, ratio_hi;
    /* The relative change ratio - 1 and its CI (0.03 = B is 3% larger). */
    double change, change_lo, change_hi;
    /* How the CI was made, with the resamples used (0 unless a bootstrap) and one
     * sentence for readers ("bootstrap BCa, 10000 resamples", or why it is another
     * method). */
    rpt_interval_method interval;
    size_t interval_resamples;
    char interval_text[160];
    double confidence;  /* of the intervals */
    bool significant;   /* welch_p < alpha */
    rpt_change verdict;
    bool few_values;    /* fewer than 9 values on a side (Google Benchmark's advice) */
    /* Empty, or one sentence worth reading (the two tests disagree, a constant side). */
    char note[200];
} rpt_metric_cmp;

/*
 * Compares two samples of one metric: describes both, runs Welch's t-test and
 * Mann-Whitney U, computes Cohen's d, Hedges' g and the ratio of means with its
 * bootstrap CI, and applies the verdict rule: not significant (Welch p >= alpha) ->
 * RPT_NO_CHANGE; significant and the whole CI of the change above +noise or below
 * -noise -> improved or regressed according to `direction`; otherwise
 * RPT_WITHIN_NOISE.
 *
 *  a, n_a     baseline values (n_a >= 2, finite); read only.
 *  b, n_b     candidate values (n_b >= 2, finite); read only.
 *  name, unit copied (truncated to RPT_NAME_MAX / RPT_UNIT_MAX - 1); may be NULL.
 *  opts       NULL for the defaults.
 *  out        caller-owned, fully overwritten on success.
 *
 * Returns 0; LG_EINVAL for a NULL array or out, n < 2, a non-finite value, values whose
 * mean or spread overflows a double (near 1e308: rpt_compare names the file), or
 * options out of range; LG_ENOMEM. Cost: O(min(resamples (n_a + n_b), max_draws)) for
 * the bootstrap, O(n log n) for the tests.
 * Thread safety: reentrant.
 */
int rpt_compare_values(const double *a, size_t n_a, const double *b, size_t n_b,
                       const char *name, const char *unit, rpt_direction direction,
                       const rpt_compare_opts *opts, rpt_metric_cmp *out);

typedef struct rpt_comparison rpt_comparison;

/*
 * Compares every metric present in both sets (matched by name, in A's order).
 * A and B must be of the same kind (two repetition sets, two single runs, or two
 * files): per-run and per-batch values have different spreads and cannot be mixed.
 *
 * Returns 0; LG_EINVAL when the kinds differ, the runs are of different scenarios (the
 * message names both), no metric is common, a metric has fewer than 2 values on a side,
 * or its mean or spread overflows a double (message in err, naming the source);
 * LG_ENOMEM.
 * Warnings (fewer than 9 values per side, single runs compared by batches) are kept in
 * the comparison: rpt_comparison_warning().
 */
int rpt_compare(const rpt_metrics *a, const rpt_metrics *b, const rpt_compare_opts *opts,
                rpt_comparison **out, char *err, size_t errlen);

void rpt_comparison_destroy(rpt_comparison *c); /* accepts NULL */
size_t rpt_comparison_count(const rpt_comparison *c);
/* Metric i or NULL; valid while c lives. */
const rpt_metric_cmp *rpt_comparison_get(const rpt_comparison *c, size_t i);
size_t rpt_comparison_warning_count(const rpt_comparison *c);
const char *rpt_comparison_warning(const rpt_comparison *c, size_t i);
/* The options used (defaults filled in). */
const rpt_compare_opts *rpt_comparison_opts(const rpt_comparison *c);
/* True when some metric regressed. */
bool rpt_comparison_any_regressed(const rpt_comparison *c);

/*
 * The comparison as JSON, schema "loadgen-compare" version 1 (docs/reports.md): a, b
 * (source, kind), alpha, noise, confidence, warnings, and per metric name, unit,
 * direction, a and b (n, mean, sd, median), welch (t, df, p), mann_whitney (u, p,
 * exact), cohens_d, hedges_g, ratio (estimate, ci_low, ci_high), change (estimate,
 * ci_low, ci_high), interval (method, resamples, description), significant, verdict,
 * few_values, note. Non-finite numbers are null.
 *
 *  a_src, b_src  the two sources as shown (may be NULL).
 *  out           receives a NUL-terminated string to free() with free().
 * Returns 0 or LG_ENOMEM.
 */
int rpt_comparison_json(const rpt_comparison *c, const char *a_src, const char *b_src,
                        char **out);

#ifdef __cplusplus
}
#endif

#endif /* REPORT_COMPARE_H */
