/* compare.c: comparing two samples of a metric (Welch, Mann-Whitney, Cohen's d, the ratio
 * of means with a bootstrap CI) and criterion's verdict rule with a noise threshold;
 * comparing two metric sets; the comparison as JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/internal.h"

#define WARN_MAX 8

struct rpt_comparison {
    rpt_compare_opts opts;
    rpt_values_kind kind;
    size_t n;
    rpt_metric_cmp m[RPT_METRICS_MAX];
    size_t n_warn;
    char warn[WARN_MAX][RPT_TEXT_MAX];
};

void rpt_compare_opts_default(rpt_compare_opts *o)
{
    memset(o, 0, sizeof *o);
    o->alpha = 0.05;
    o->noise = 0.02;
    o->confidence = 0;
    o->resamples = 10000;
    o->seed = 1;
    o->batches = 20;
    o->file_direction = RPT_LOWER_IS_BETTER;
}

const char *rpt_change_name(rpt_change c)
{
    switch (c) {
    case RPT_NO_CHANGE: return "no significant change";
    case RPT_WITHIN_NOISE: return "change within noise threshold";
    case RPT_IMPROVED: return "improved";
    case RPT_REGRESSED: return "regressed";
    }
    return "unknown";
}

const char *rpt_change_id(rpt_change c)
{
    switch (c) {
    case RPT_NO_CHANGE: return "no_change";
    case RPT_WITHIN_NOISE: return "within_noise";
    case RPT_IMPROVED: return "improved";
    case RPT_REGRESSED: return "regressed";
    }
    return "unknown";
}

static bool opts_ok(const rpt_compare_opts *o)
{
    return o->alpha > 0 && o->alpha < 1 && o->noise >= 0 && isfinite(o->noise) &&
           (o->confidence == 0 || (o->confidence > 0 && o->confidence < 1)) &&
           o->resamples >= 100;
}

static void side(const double *x, size_t n, rpt_side *s)
{
    stats_describe_result d;
    memset(s, 0, sizeof *s);
    s->n = n;
    if (stats_describe(x, n, &d) == 0) {
        s->mean = d.mean;
        s->sd = d.sd;
        s->median = d.median;
        s->min = d.min;
        s->max = d.max;
        s->cv = d.cv;
    } else {
        s->mean = s->sd = s->median = s->min = s->max = s->cv = NAN;
    }
}

const char *rpt_interval_method_id(rpt_interval_method m)
{
    switch (m) {
    case RPT_INTERVAL_NONE: return "none";
    case RPT_INTERVAL_BCA: return "bootstrap_bca";
    case RPT_INTERVAL_PERCENTILE: return "bootstrap_percentile";
    case RPT_INTERVAL_NORMAL: return "normal_delta";
    case RPT_INTERVAL_WELCH: return "welch";
    }
    return "unknown";
}

static void stage(const rpt_compare_opts *o, const char *name, double fraction)
{
    if (o->progress)
        o->progress(o->progress_ctx, name, fraction);
}

typedef struct boot_progress {
    const rpt_compare_opts *o;
} boot_progress;

static void boot_stage(void *ctx, double fraction)
{
    stage(((boot_progress *)ctx)->o, "bootstrap", fraction);
}

/* The default work limit of the bootstrap (rpt_compare_opts.max_draws) and the fewest
 * resamples it is reduced to before the normal approximation takes over. 2e8 values
 * keeps the default 10000 resamples up to 20,000 values (so small comparisons are the
 * same as before the limit) and takes a few seconds; 2000 resamples still give a
 * percentile or BCa interval stable to a few per cent of its width. */
#define DEFAULT_MAX_DRAWS 2e8
#define FEWEST_RESAMPLES 2000

/*
 * Fills c->ratio, ratio_lo, ratio_hi and the interval fields. The bootstrap costs
 * resamples x (n_a + n_b) random draws, hours for ten million values a side, so the
 * resamples are scaled down to the work limit, and above it the interval is the normal
 * approximation of the ratio by the delta method: se(R) = |R| sqrt(s_B^2 / (n_B m_B^2)
 * + s_A^2 / (n_A m_A^2)), which at 100,000 values and more matches the bootstrap to the
 * digits shown (the means are as normal as samples get).
 */
static int ratio_interval(const double *a, size_t n_a, const double *b, size_t n_b,
                          const rpt_compare_opts *opts, double conf, rpt_metric_cmp *c)
{
    double budget = opts->max_draws > 0 ? opts->max_draws : DEFAULT_MAX_DRAWS;
    double n = (double)n_a + (double)n_b;
    size_t B = opts->resamples;
    if ((double)B * n > budget)
        B = budget / n >= FEWEST_RESAMPLES ? (size_t)(budget / n) : 0;
    c->ratio = c->a.mean != 0 ? c->b.mean / c->a.mean : NAN;
    c->ratio_lo = c->ratio_hi = NAN;
    if (!B) {
        double z = stats_t_critical(conf, INFINITY);
        double ra = c->a.sd / c->a.mean, rb = c->b.sd / c->b.mean;
        double se = fabs(c->ratio) * sqrt(rb * rb / (double)n_b + ra * ra / (double)n_a);
        if (isfinite(c->ratio) && isfinite(se)) {
            c->ratio_lo = c->ratio - z * se;
            c->ratio_hi = c->ratio + z * se;
        }
        c->interval = RPT_INTERVAL_NORMAL;
        snprintf(c->interval_text, sizeof c->interval_text,
                 "normal approximation (delta method): %.0f values are too many to "
                 "resample %zu times within %.0e draws", n, opts->resamples, budget);
        return 0;
    }
    /* BCa when defined, else the percentile interval (BCa fails when every replicate
     * falls on one side, as with a constant sample). */
    boot_progress bp = {opts};
    stats_boot_opts bo = {.resamples = B, .confidence = conf, .method = STATS_BOOT_BCA,
                          .seed = opts->seed, .progress = opts->progress ? boot_stage : NULL,
                          .progress_ctx = &bp};
    stats_boot_result br;
    int rc = stats_ratio_of_means_ci(b, n_b, a, n_a, &bo, &br);
    if (rc == -EDOM) {
        bo.method = STATS_BOOT_PERCENTILE;
        rc = stats_ratio_of_means_ci(b, n_b, a, n_a, &bo, &br);
    }
    if (rc == -ENOMEM)
        return LG_ENOMEM;
    if (rc) {
        c->interval = RPT_INTERVAL_NONE;
        snprintf(c->interval_text, sizeof c->interval_text, "none (the baseline's mean or a "
                 "resampled one is 0)");
        return 0;
    }
    c->ratio = br.estimate;
    c->ratio_lo = br.lo;
    c->ratio_hi = br.hi;
    c->interval = bo.method == STATS_BOOT_BCA ? RPT_INTERVAL_BCA : RPT_INTERVAL_PERCENTILE;
    c->interval_resamples = B;
    int len = snprintf(c->interval_text, sizeof c->interval_text, "bootstrap %s, %zu "
                       "resamples", bo.method == STATS_BOOT_BCA ? "BCa" : "percentile", B);
    if (B < opts->resamples && len > 0 && (size_t)len < sizeof c->interval_text)
        snprintf(c->interval_text + len, sizeof c->interval_text - (size_t)len,
                 " (reduced from %zu: %.0f values, at most %.0e draws)", opts->resamples, n,
                 budget);
    return 0;
}

int rpt_compare_values(const double *a, size_t n_a, const double *b, size_t n_b,
                       const char *name, const char *unit, rpt_direction direction,
                       const rpt_compare_opts *opts, rpt_metric_cmp *out)
{
    rpt_compare_opts def;
    if (!opts) {
        rpt_compare_opts_default(&def);
        opts = &def;
    }
    if (!a || !b || !out || n_a < 2 || n_b < 2 || !opts_ok(opts))
        return LG_EINVAL;
    for (size_t i = 0; i < n_a; i++)
        if (!isfinite(a[i]))
            return LG_EINVAL;
    for (size_t i = 0; i < n_b; i++)
        if (!isfinite(b[i]))
            return LG_EINVAL;
    double conf = opts->confidence > 0 ? opts->confidence : 1.0 - opts->alpha;
    rpt_metric_cmp c;
    memset(&c, 0, sizeof c);
    snprintf(c.name, sizeof c.name, "%s", name ? name : "value");
    snprintf(c.unit, sizeof c.unit, "%s", unit ? unit : "");
    c.direction = direction;
    c.confidence = conf;
    side(a, n_a, &c.a);
    side(b, n_b, &c.b);
    /* Values near the top of the double range (1e308) give an infinite mean or spread,
     * and every test then returns NaN, which would read "no significant change". */
    if (!isfinite(c.a.mean) || !isfinite(c.a.sd) || !isfinite(c.b.mean) || !isfinite(c.b.sd))
        return LG_EINVAL;

    /* Everything is "B against A": the candidate minus (or over) the baseline. */
    stage(opts, "Welch t-test", 0);
    stats_ttest_result w;
    int rc = stats_welch_ttest(b, n_b, a, n_a, conf, &w);
    if (rc)
        return rc == -ENOMEM ? LG_ENOMEM : LG_EINVAL;
    c.welch_t = w.t;
    c.welch_df = w.df;
    c.welch_p = w.p;
    stage(opts, "Mann-Whitney U", 0);
    stats_mwu_result mw;
    rc = stats_mann_whitney(b, n_b, a, n_a, STATS_MWU_AUTO, &mw);
    if (rc)
        return rc == -ENOMEM ? LG_ENOMEM : LG_EINVAL;
    c.mw_u = mw.u;
    c.mw_p = mw.p;
    c.mw_exact = mw.exact;
    c.cohens_d = stats_cohens_d(b, n_b, a, n_a);
    c.hedges_g = stats_hedges_g(b, n_b, a, n_a);

    rc = ratio_interval(a, n_a, b, n_b, opts, conf, &c);
    if (rc)
        return rc;
    c.change = c.ratio - 1.0;
    c.change_lo = c.ratio_lo - 1.0;
    c.change_hi = c.ratio_hi - 1.0;
    if (!isfinite(c.change_lo) && c.a.mean != 0 && isfinite(w.ci_lo)) {
        /* No ratio interval (the baseline's resampled mean hit 0): fall back on Welch's
         * interval of the difference, relative to the baseline mean. */
        double lo = w.ci_lo / fabs(c.a.mean), hi = w.ci_hi / fabs(c.a.mean);
        c.change_lo = lo;
        c.change_hi = hi;
        c.interval = RPT_INTERVAL_WELCH;
        c.interval_resamples = 0;
        snprintf(c.interval_text, sizeof c.interval_text, "Welch's interval of the "
                 "difference over mean(A) (a resampled baseline mean was 0)");
    }

    c.significant = isfinite(w.p) && w.p < opts->alpha;
    c.few_values = n_a < 9 || n_b < 9;
    if (!c.significant) {
        c.verdict = RPT_NO_CHANGE;
    } else {
        bool up, down;
        if (isfinite(c.change_lo) && isfinite(c.change_hi)) {
            up = c.change_lo > opts->noise;
            down = c.change_hi < -opts->noise;
        } else {
            /* A zero baseline mean: no relative change exists; go by the sign only. */
            up = w.diff > 0;
            down = w.diff < 0;
        }
        if (up || down) {
            bool better = direction == RPT_HIGHER_IS_BETTER ? up : down;
            c.verdict = better ? RPT_IMPROVED : RPT_REGRESSED;
        } else {
            c.verdict = RPT_WITHIN_NOISE;
        }
    }
    if (c.a.sd == 0 && c.b.sd == 0)
        snprintf(c.note, sizeof c.note, "both sides are constant: the tests have no spread "
                 "to work with; the verdict rests on the difference alone");
    else if (isfinite(mw.p) && (mw.p < opts->alpha) != c.significant)
        snprintf(c.note, sizeof c.note,
                 "Welch (p %.3g) and Mann-Whitney (p %.3g) disagree: outliers or skew; "
                 "look at the values before trusting the verdict", w.p, mw.p);
    *out = c;
    return 0;
}

/* ---------------------------------------------------------------- metric sets */

static void add_warning(rpt_comparison *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_warning(rpt_comparison *c, const char *fmt, ...)
{
    if (c->n_warn >= WARN_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->warn[c->n_warn++], RPT_TEXT_MAX, fmt, ap);
    va_end(ap);
}

static const char *kind_words(rpt_values_kind k)
{
    switch (k) {
    case RPT_VALUES_PER_RUN: return "a repetition set";
    case RPT_VALUES_PER_BATCH: return "a single run";
    case RPT_VALUES_FILE: return "a file of numbers";
    }
    return "?";
}

/* Whether a sample's mean or standard deviation is beyond the double range. */
static bool overflows(const double *x, size_t n)
{
    return n >= 2 && (!isfinite(stats_mean(x, n)) || !isfinite(stats_sd(x, n)));
}

/* The source (A's or B's) whose values of a metric overflow, or NULL. */
static const char *overflow_source(const rpt_metrics *a, const rpt_metric *ma,
                                   const rpt_metrics *b, const rpt_metric *mb)
{
    return overflows(ma->values, ma->n) ? a->source
           : overflows(mb->values, mb->n) ? b->source : NULL;
}

int rpt_compare(const rpt_metrics *a, const rpt_metrics *b, const rpt_compare_opts *opts,
                rpt_comparison **out, char *err, size_t errlen)
{
    if (!a || !b || !out)
        return rpt__err(err, errlen, LG_EINVAL, "nothing to compare");
    *out = NULL;
    rpt_compare_opts o;
    if (opts)
        o = *opts;
    else
        rpt_compare_opts_default(&o);
    if (!opts_ok(&o))
        return rpt__err(err, errlen, LG_EINVAL, "comparison options out of range (alpha in "
                        "(0, 1), noise >= 0, resamples >= 100)");
    if (o.confidence == 0)
        o.confidence = 1.0 - o.alpha;
    if (a->kind != b->kind)
        return rpt__err(err, errlen, LG_EINVAL,
                        "%s is %s but %s is %s: compare like with like (per-run values and "
                        "per-batch or per-line values have different spreads)",
                        a->source, kind_words(a->kind), b->source, kind_words(b->kind));
    /* A run's metrics mean different things in each scenario (Server's throughput is
     * the arrival rate it held, Offline's what the SUT could do): no verdict between
     * two scenarios would mean anything. */
    lg_scenario sa, sb;
    if (rpt_metrics_scenario(a, &sa) && rpt_metrics_scenario(b, &sb) && sa != sb)
        return rpt__err(err, errlen, LG_EINVAL,
                        "%s is a %s run and %s a %s run: their metrics mean different "
                        "things, so they are not compared; compare runs of one scenario",
                        a->source, lg_scenario_name(sa), b->source, lg_scenario_name(sb));
    rpt_comparison *c = calloc(1, sizeof *c);
    if (!c)
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    c->opts = o;
    c->kind = a->kind;
    for (size_t i = 0; i < a->n; i++) {
        const rpt_metric *ma = &a->m[i].pub, *mb = rpt_metrics_find(b, ma->name);
        if (!mb)
            continue;
        const char *over = overflow_source(a, ma, b, mb);
        if (over) {
            rpt_comparison_destroy(c);
            return rpt__err(err, errlen, LG_EINVAL,
                            "%s: the mean or spread of %s overflows a double (values near "
                            "1e308): rescale the values (e.g. another unit) to compare them",
                            over, ma->name);
        }
        int rc = rpt_compare_values(ma->values, ma->n, mb->values, mb->n, ma->name,
                                    ma->unit, ma->direction, &o, &c->m[c->n]);
        if (rc) {
            rpt_comparison_destroy(c);
            return rpt__err(err, errlen, rc, "%s: cannot compare (%zu and %zu values): %s",
                            ma->name, ma->n, mb->n, lg_strerror(rc));
        }
        c->n++;
    }
    if (!c->n) {
        rpt_comparison_destroy(c);
        return rpt__err(err, errlen, LG_EINVAL, "%s and %s have no metric in common",
                        a->source, b->source);
    }
    size_t na = a->m[0].pub.n, nb = b->n ? b->m[0].pub.n : 0;
    if (c->kind == RPT_VALUES_PER_BATCH)
        add_warning(c, "single runs are compared by %u and %u time batches of each run: "
                    "this sees the noise within a run, not between runs; for a verdict that "
                    "holds across runs compare repetition sets (loadgen run --repeat 10)",
                    a->batches, b->batches);
    if (na < 9 || nb < 9)
        add_warning(c, "only %zu and %zu values: the tests have little power below 9 values "
                    "per side (Google Benchmark's rule); %s", na, nb,
                    c->kind == RPT_VALUES_FILE ? "give at least 9 values per file"
                                                   : "use at least --repeat 9");
    *out = c;
    return 0;
}

void rpt_comparison_destroy(rpt_comparison *c)
{
    free(c);
}

size_t rpt_comparison_count(const rpt_comparison *c)
{
    return c ? c->n : 0;
}

const rpt_metric_cmp *rpt_comparison_get(const rpt_comparison *c, size_t i)
{
    return c && i < c->n ? &c->m[i] : NULL;
}

size_t rpt_comparison_warning_count(const rpt_comparison *c)
{
    return c ? c->n_warn : 0;
}

const char *rpt_comparison_warning(const rpt_comparison *c, size_t i)
{
    return c && i < c->n_warn ? c->warn[i] : NULL;
}

const rpt_compare_opts *rpt_comparison_opts(const rpt_comparison *c)
{
    return c ? &c->opts : NULL;
}

bool rpt_comparison_any_regressed(const rpt_comparison *c)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (c->m[i].verdict == RPT_REGRESSED)
            return true;
    return false;
}

/* ---------------------------------------------------------------- JSON */

static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *kind_id(rpt_values_kind k)
{
    switch (k) {
    case RPT_VALUES_PER_RUN: return "repetitions";
    case RPT_VALUES_PER_BATCH: return "single_run_batches";
    case RPT_VALUES_FILE: return "file";
    }
    return "unknown";
}

static json_t *side_json(const rpt_side *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "n", json_integer((json_int_t)s->n));
    json_object_set_new(o, "mean", jreal(s->mean));
    json_object_set_new(o, "sd", jreal(s->sd));
    json_object_set_new(o, "median", jreal(s->median));
    json_object_set_new(o, "min", jreal(s->min));
    json_object_set_new(o, "max", jreal(s->max));
    json_object_set_new(o, "cv", jreal(s->cv));
    return o;
}

int rpt_comparison_json(const rpt_comparison *c, const char *a_src, const char *b_src,
                        char **out)
{
    if (!c || !out)
        return LG_EINVAL;
    json_t *root = json_object();
    if (!root)
        return LG_ENOMEM;
    json_object_set_new(root, "schema", json_string("loadgen-compare"));
    json_object_set_new(root, "schema_version", json_integer(1));
    json_t *a = json_object(), *b = json_object();
    json_object_set_new(a, "source", json_string(a_src ? a_src : ""));
    json_object_set_new(a, "kind", json_string(kind_id(c->kind)));
    json_object_set_new(b, "source", json_string(b_src ? b_src : ""));
    json_object_set_new(b, "kind", json_string(kind_id(c->kind)));
    json_object_set_new(root, "a", a);
    json_object_set_new(root, "b", b);
    json_object_set_new(root, "alpha", json_real(c->opts.alpha));
    json_object_set_new(root, "noise", json_real(c->opts.noise));
    json_object_set_new(root, "confidence", json_real(c->opts.confidence));
    json_object_set_new(root, "resamples", json_integer((json_int_t)c->opts.resamples));
    json_t *warns = json_array();
    for (size_t i = 0; i < c->n_warn; i++)
        json_array_append_new(warns, json_string(c->warn[i]));
    json_object_set_new(root, "warnings", warns);
    json_t *ms = json_array();
    for (size_t i = 0; i < c->n; i++) {
        const rpt_metric_cmp *m = &c->m[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(m->name));
        json_object_set_new(o, "unit", json_string(m->unit));
        json_object_set_new(o, "direction", json_string(m->direction == RPT_HIGHER_IS_BETTER
                                                            ? "higher_is_better"
                                                            : "lower_is_better"));
        json_object_set_new(o, "a", side_json(&m->a));
        json_object_set_new(o, "b", side_json(&m->b));
        json_t *w = json_object();
        json_object_set_new(w, "t", jreal(m->welch_t));
        json_object_set_new(w, "df", jreal(m->welch_df));
        json_object_set_new(w, "p", jreal(m->welch_p));
        json_object_set_new(o, "welch", w);
        json_t *u = json_object();
        json_object_set_new(u, "u", jreal(m->mw_u));
        json_object_set_new(u, "p", jreal(m->mw_p));
        json_object_set_new(u, "exact", json_boolean(m->mw_exact));
        json_object_set_new(o, "mann_whitney", u);
        json_object_set_new(o, "cohens_d", jreal(m->cohens_d));
        json_object_set_new(o, "hedges_g", jreal(m->hedges_g));
        json_t *r = json_object();
        json_object_set_new(r, "estimate", jreal(m->ratio));
        json_object_set_new(r, "ci_low", jreal(m->ratio_lo));
        json_object_set_new(r, "ci_high", jreal(m->ratio_hi));
        json_object_set_new(o, "ratio", r);
        json_t *ch = json_object();
        json_object_set_new(ch, "estimate", jreal(m->change));
        json_object_set_new(ch, "ci_low", jreal(m->change_lo));
        json_object_set_new(ch, "ci_high", jreal(m->change_hi));
        json_object_set_new(o, "change", ch);
        json_t *iv = json_object();
        json_object_set_new(iv, "method", json_string(rpt_interval_method_id(m->interval)));
        json_object_set_new(iv, "resamples", m->interval_resamples
                                                 ? json_integer((json_int_t)m->interval_resamples)
                                                 : json_null());
        json_object_set_new(iv, "description", json_string(m->interval_text));
        json_object_set_new(o, "interval", iv);
        json_object_set_new(o, "significant", json_boolean(m->significant));
        json_object_set_new(o, "verdict", json_string(rpt_change_id(m->verdict)));
        json_object_set_new(o, "few_values", json_boolean(m->few_values));
        json_object_set_new(o, "note", json_string(m->note));
        json_array_append_new(ms, o);
    }
    json_object_set_new(root, "metrics", ms);
    json_object_set_new(root, "any_regressed", json_boolean(rpt_comparison_any_regressed(c)));
    char *s = rpt__json_dump(root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    if (!s)
        return LG_ENOMEM;
    *out = s;
    return 0;
}
