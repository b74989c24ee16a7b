/* metrics.c: named series of values for comparisons and summaries: per repetition, per
 * time batch of one run, or per line of a plain text file; the repetition summary and
 * its JSON file (repetitions.json). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "report/internal.h"

static rpt_metrics *metrics_new(rpt_values_kind kind, const char *source)
{
    rpt_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->kind = kind;
    if (!(m->source = rpt__strdup(source ? source : ""))) {
        free(m);
        return NULL;
    }
    return m;
}

/* Adds a metric with room for n values; returns its value array or NULL. */
static double *metrics_add(rpt_metrics *m, const char *name, const char *unit,
                           rpt_direction dir, size_t n)
{
    if (m->n >= RPT_METRICS_MAX)
        return NULL;
    rpt__metric_store *s = &m->m[m->n];
    if (!(s->values = calloc(n ? n : 1, sizeof *s->values)))
        return NULL;
    snprintf(s->pub.name, sizeof s->pub.name, "%s", name);
    snprintf(s->pub.unit, sizeof s->pub.unit, "%s", unit);
    s->pub.direction = dir;
    s->pub.values = s->values;
    s->pub.n = n;
    m->n++;
    return s->values;
}

void rpt_metrics_destroy(rpt_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->m[i].values);
    free(m->source);
    free(m);
}

rpt_values_kind rpt_metrics_kind(const rpt_metrics *m)
{
    return m->kind;
}

const char *rpt_metrics_source(const rpt_metrics *m)
{
    return m->source;
}

bool rpt_metrics_scenario(const rpt_metrics *m, lg_scenario *out)
{
    if (m->has_scenario && out)
        *out = m->scenario;
    return m->has_scenario;
}

size_t rpt_metrics_count(const rpt_metrics *m)
{
    return m ? m->n : 0;
}

const rpt_metric *rpt_metrics_get(const rpt_metrics *m, size_t i)
{
    return m && i < m->n ? &m->m[i].pub : NULL;
}

const rpt_metric *rpt_metrics_find(const rpt_metrics *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->n; i++)
        if (!strcmp(m->m[i].pub.name, name))
            return &m->m[i].pub;
    return NULL;
}

/* ---------------------------------------------------------------- from runs */

static const char *const lat_names[4] = {"latency_mean", "latency_p50", "latency_p90",
                                         "latency_p99"};

/* A token set's TTFT p99 and TPOT p99 (ns, lower is better) and the scenario's tokens
 * per second (MLPerf's, higher is better), one value per run. */
static int repetition_tokens(const rpt_set *set, rpt_metrics *m)
{
    size_t n = set->n;
    double *ttft = metrics_add(m, "ttft_p99", "ns", RPT_LOWER_IS_BETTER, n);
    double *tpot = metrics_add(m, "tpot_p99", "ns", RPT_LOWER_IS_BETTER, n);
    double *rate = metrics_add(m, "tokens_per_sec", "1/s", RPT_HIGHER_IS_BETTER, n);
    if (!ttft || !tpot || !rate)
        return LG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const lg_results *r = &set->runs[i]->info.results;
        ttft[i] = (double)r->tokens.ttft.p99_ns;
        tpot[i] = (double)r->tokens.tpot.p99_ns;
        rate[i] = rpt__token_rate(r);
    }
    return 0;
}

static int repetition_latencies(const rpt_set *set, rpt_metrics *m)
{
    size_t n = set->n;
    lg_scenario sc = set->runs[0]->info.results.scenario;
    for (int k = 0; k < 4; k++) {
        double *v = metrics_add(m, lat_names[k], "ns", RPT_LOWER_IS_BETTER, n);
        if (!v)
            return LG_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const lg_results *r = &set->runs[i]->info.results;
            const lg_latency_stats *l = sc == LG_MULTI_STREAM ? &r->query_latency : &r->latency;
            v[i] = (double)(k == 0 ? l->mean_ns : k == 1 ? l->p50_ns : k == 2 ? l->p90_ns
                                                                                : l->p99_ns);
        }
    }
    return 0;
}

static int from_repetitions(const rpt_set *set, rpt_metrics *m)
{
    size_t n = set->n;
    lg_scenario sc = set->runs[0]->info.results.scenario;
    double *tp = metrics_add(m, "throughput", "1/s", RPT_HIGHER_IS_BETTER, n);
    if (!tp)
        return LG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        tp[i] = rpt__run_throughput(&set->runs[i]->info);
    if (sc != LG_OFFLINE) {
        int rc = repetition_latencies(set, m);
        if (rc)
            return rc;
    }
    return rpt__set_has_tokens(set) ? repetition_tokens(set, m) : 0;
}

static int from_batches(const rpt_run *run, unsigned batches, rpt_metrics *m, char *err,
                        size_t errlen)
{
    if (!run->info.has_samples && run->info.results.record_hdr)
        return rpt__err(err, errlen, LG_EINVAL,
                        "%s: a single run is compared by time batches of its samples, but "
                        "it was recorded with record_hdr (histograms, no samples.bin); "
                        "rerun without --record-hdr, or compare repetition sets (loadgen "
                        "run --repeat N)", run->dir);
    if (!run->info.has_samples)
        return rpt__err(err, errlen, LG_EINVAL,
                        "%s: a single run is compared by time batches of its samples, but "
                        "it has no samples.bin (it was run with --no-samples-file); rerun, "
                        "or compare repetition sets (loadgen run --repeat N)", run->dir);
    rpt__series ser;
    if (rpt__run_series(run, false, &ser))
        return LG_ENOMEM;
    const double *lat = ser.lat;
    size_t n = ser.n;
    if (n < 40)
        return rpt__err(err, errlen, LG_EINVAL,
                        "%s: only %zu successful latencies; at least 40 are needed to "
                        "compare a single run by batches", run->dir, n);
    unsigned k = batches;
    if (k > n / 20)
        k = (unsigned)(n / 20);
    m->batches = k;
    lg_scenario sc = run->info.results.scenario;
    int rc = LG_ENOMEM;
    double *tp = metrics_add(m, "throughput", "1/s", RPT_HIGHER_IS_BETTER, k);
    double *tmp = malloc((n / k + 1) * sizeof *tmp);
    if (!tp || !tmp)
        goto out;
    /* Throughput: completions in each of k equal windows of [0, last completion]. */
    int64_t end = rpt__run_end_ns(run);
    double width = (double)end / k;
    rpt__completion_counts(run, width, k, tp);
    for (unsigned w = 0; w < k; w++)
        tp[w] = width > 0 ? tp[w] / (width / 1e9) : 0.0;
    if (sc != LG_OFFLINE) {
        double *v[4];
        for (int j = 0; j < 4; j++)
            if (!(v[j] = metrics_add(m, lat_names[j], "ns", RPT_LOWER_IS_BETTER, k)))
                goto out;
        for (unsigned b = 0; b < k; b++) {
            size_t lo = (size_t)((double)b * n / k), hi = (size_t)((double)(b + 1) * n / k);
            size_t c = hi - lo;
            memcpy(tmp, lat + lo, c * sizeof *tmp);
            v[0][b] = stats_mean(tmp, c);
            if (stats_sort_f64(tmp, c))
                goto out;
            v[1][b] = rpt__percentile_sorted(tmp, c, 0.50);
            v[2][b] = rpt__percentile_sorted(tmp, c, 0.90);
            v[3][b] = rpt__percentile_sorted(tmp, c, 0.99);
        }
    }
    rc = 0;
out:
    free(tmp);
    return rc;
}

int rpt_metrics_from_set(const rpt_set *set, unsigned batches, rpt_metrics **out, char *err,
                         size_t errlen)
{
    if (!set || !out)
        return rpt__err(err, errlen, LG_EINVAL, "no result set given");
    *out = NULL;
    if (batches == 0)
        batches = 20;
    if (batches < 2 || batches > 1000)
        return rpt__err(err, errlen, LG_EINVAL, "batches: %u is out of range [2, 1000]",
                        batches);
    bool single = set->kind == RPT_SET_SINGLE_RUN || set->n == 1;
    rpt_metrics *m = metrics_new(single ? RPT_VALUES_PER_BATCH : RPT_VALUES_PER_RUN, set->dir);
    if (!m)
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    m->has_scenario = true;
    m->scenario = set->runs[0]->info.results.scenario;
    for (size_t i = 1; i < set->n; i++)
        if (set->runs[i]->info.results.scenario != m->scenario) {
            rpt_metrics_destroy(m);
            return rpt__err(err, errlen, LG_EINVAL, "%s: the repetitions mix scenarios (%s "
                            "and %s)", set->dir, lg_scenario_name(m->scenario),
                            lg_scenario_name(set->runs[i]->info.results.scenario));
        }
    int rc = single ? from_batches(set->runs[0], batches, m, err, errlen)
                    : from_repetitions(set, m);
    if (rc) {
        rpt_metrics_destroy(m);
        if (rc == LG_ENOMEM)
            rpt__err(err, errlen, rc, "out of memory");
        return rc;
    }
    *out = m;
    return 0;
}

/* ---------------------------------------------------------------- from a file */

int rpt_metrics_from_file(const char *path, rpt_direction direction, rpt_metrics **out,
                          char *err, size_t errlen)
{
    if (!path || !out)
        return rpt__err(err, errlen, LG_EINVAL, "no file given");
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return rpt__err(err, errlen, LG_EIO, "%s: cannot read: %s", path, strerror(errno));
    double *v = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int rc = 0;
    long lineno = 0, first_line = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        if (strlen(line) != (size_t)len) {
            rc = rpt__err(err, errlen, LG_EINVAL, "%s:%ld: the line holds a NUL byte (not "
                          "a text file?)", path, lineno);
            goto out;
        }
        char *s = line;
        while (*s && isspace((unsigned char)*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*s || *s == '#')
            continue;
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (end == s || *end) {
            rc = rpt__err(err, errlen, LG_EINVAL,
                          "%s:%ld: '%.40s%s' is not a number (expected one number per "
                          "line)", path, lineno, s, strlen(s) > 40 ? "..." : "");
            goto out;
        }
        if (!isfinite(d) || (errno == ERANGE && fabs(d) > 1.0)) {
            rc = rpt__err(err, errlen, LG_EINVAL, "%s:%ld: '%.40s' is not a finite number",
                          path, lineno, s);
            goto out;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            double *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
                goto out;
            }
            v = nv;
        }
        if (n == 0)
            first_line = lineno;
        v[n++] = d;
    }
    if (ferror(f)) {
        rc = rpt__err(err, errlen, LG_EIO, "%s: read error", path);
        goto out;
    }
    if (n == 0) {
        rc = rpt__err(err, errlen, LG_EINVAL, "%s: no values (the file is empty or holds "
                      "only blank and comment lines); need at least 2", path);
        goto out;
    }
    if (n == 1) {
        rc = rpt__err(err, errlen, LG_EINVAL, "%s:%ld: only one value; need at least 2 to "
                      "compare (better 9 or more)", path, first_line);
        goto out;
    }
    rpt_metrics *m = metrics_new(RPT_VALUES_FILE, path);
    double *dst = m ? metrics_add(m, "value", "", direction, n) : NULL;
    if (!dst) {
        rpt_metrics_destroy(m);
        rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(dst, v, n * sizeof *v);
    *out = m;
out:
    free(line);
    free(v);
    fclose(f);
    return rc;
}

int rpt_metrics_load(const char *path, unsigned batches, rpt_direction file_direction,
                     rpt_metrics **out, char *err, size_t errlen)
{
    if (!path || !out)
        return rpt__err(err, errlen, LG_EINVAL, "no path given");
    struct stat st;
    if (stat(path, &st))
        return rpt__err(err, errlen, LG_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return rpt_metrics_from_file(path, file_direction, out, err, errlen);
    rpt_set *set;
    int rc = rpt_set_load(path, &set, err, errlen);
    if (rc)
        return rc;
    rc = rpt_metrics_from_set(set, batches, out, err, errlen);
    rpt_set_destroy(set);
    return rc;
}

/* ---------------------------------------------------------------- summaries */

int rpt_metric_summarize(const rpt_metric *metric, double confidence, rpt_summary *out)
{
    if (!metric || !out || !metric->values || metric->n == 0 || !(confidence > 0) ||
        !(confidence < 1))
        return LG_EINVAL;
    stats_describe_result d;
    int rc = stats_describe(metric->values, metric->n, &d);
    if (rc)
        return rc == -ENOMEM ? LG_ENOMEM : LG_EINVAL;
    rpt_summary s = {.n = d.n, .mean = d.mean, .median = d.median, .sd = d.sd, .min = d.min,
                     .max = d.max, .cv = d.cv, .ci_lo = NAN, .ci_hi = NAN,
                     .confidence = confidence};
    stats_ci ci;
    if (metric->n >= 2 && stats_ci_mean_t(metric->values, metric->n, confidence, &ci) == 0) {
        s.ci_lo = ci.lo;
        s.ci_hi = ci.hi;
    }
    *out = s;
    return 0;
}

/* A JSON number, or null when not finite (jansson refuses NaN). */
static json_t *jreal(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

int rpt_set_write_summary(const rpt_set *set, double confidence, const char *path, char *err,
                          size_t errlen)
{
    if (!set || !path || !(confidence > 0 && confidence < 1))
        return rpt__err(err, errlen, LG_EINVAL, "bad arguments");
    rpt_metrics *m = metrics_new(RPT_VALUES_PER_RUN, set->dir);
    if (!m)
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    int rc = from_repetitions(set, m);
    if (rc) {
        rpt_metrics_destroy(m);
        return rpt__err(err, errlen, rc, "out of memory");
    }
    json_t *root = json_object(), *runs = json_array(), *ms = json_array();
    json_object_set_new(root, "schema", json_string("loadgen-repetitions"));
    json_object_set_new(root, "schema_version", json_integer(1));
    json_object_set_new(root, "loadgen_version", json_string(lg_version()));
    json_object_set_new(root, "scenario",
                        json_string(lg_scenario_name(set->runs[0]->info.results.scenario)));
    json_object_set_new(root, "repetitions", json_integer((json_int_t)set->n));
    json_object_set_new(root, "confidence", json_real(confidence));
    size_t valid = 0;
    for (size_t i = 0; i < set->n; i++) {
        const rpt_run_info *in = &set->runs[i]->info;
        const char *base = strrchr(in->dir, '/');
        json_t *r = json_object();
        json_object_set_new(r, "dir", json_string(base ? base + 1 : in->dir));
        json_object_set_new(r, "valid", json_boolean(in->results.valid));
        json_object_set_new(r, "metric", jreal(in->results.metric));
        json_object_set_new(r, "metric_unit", json_string(in->results.metric_unit));
        json_array_append_new(runs, r);
        valid += in->results.valid;
    }
    json_object_set_new(root, "valid_runs", json_integer((json_int_t)valid));
    json_object_set_new(root, "runs", runs);
    for (size_t i = 0; i < m->n; i++) {
        const rpt_metric *mt = &m->m[i].pub;
        rpt_summary s;
        if (rpt_metric_summarize(mt, confidence, &s))
            continue;
        json_t *o = json_object(), *vals = json_array();
        json_object_set_new(o, "name", json_string(mt->name));
        json_object_set_new(o, "unit", json_string(mt->unit));
        json_object_set_new(o, "direction", json_string(mt->direction == RPT_HIGHER_IS_BETTER
                                                            ? "higher_is_better"
                                                            : "lower_is_better"));
        json_object_set_new(o, "n", json_integer((json_int_t)s.n));
        for (size_t k = 0; k < mt->n; k++)
            json_array_append_new(vals, jreal(mt->values[k]));
        json_object_set_new(o, "values", vals);
        json_object_set_new(o, "mean", jreal(s.mean));
        json_object_set_new(o, "median", jreal(s.median));
        json_object_set_new(o, "sd", jreal(s.sd));
        json_object_set_new(o, "cv", jreal(s.cv));
        json_object_set_new(o, "min", jreal(s.min));
        json_object_set_new(o, "max", jreal(s.max));
        json_object_set_new(o, "ci_low", jreal(s.ci_lo));
        json_object_set_new(o, "ci_high", jreal(s.ci_hi));
        json_array_append_new(ms, o);
    }
    json_object_set_new(root, "metrics", ms);
    rpt_metrics_destroy(m);

    size_t plen = strlen(path) + 32;
    char *tmp = malloc(plen);
    rc = 0;
    if (!tmp) {
        rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    } else {
        snprintf(tmp, plen, "%s.tmp.%ld", path, (long)getpid());
        if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ||
            rename(tmp, path)) {
            rc = rpt__err(err, errlen, LG_EIO, "%s: cannot write: %s", path, strerror(errno));
            unlink(tmp);
        }
        free(tmp);
    }
    json_decref(root);
    return rc;
}
