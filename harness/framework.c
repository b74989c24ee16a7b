/* framework.c: the harness, the course's one-object workflow in C: register model
 * functions and a dataset, run every scenario (sut_pool + an in-memory QSL + lg_run_test),
 * compare two models by repeated runs, and write the report of everything that ran. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "harness/harness.h"
#include "report/report.h"
#include "sut/sut.h"

#define FW_MODELS_MAX 8
#define FW_DIRS_MAX 128
#define FW_HASH 4096 /* slots of the index -> loaded sample table; > 2 x 1024 */

typedef struct fw_model {
    char name[RPT_NAME_MAX];
    harness_model_fn fn;
    void *ctx;
    double capacity; /* samples/s measured by run_all's SingleStream, 0 before */
    int32_t *preds;  /* its accuracy pass's class per sample (-1 none), NULL before */
} fw_model;

struct harness {
    harness_opts o;
    char *outdir;
    fw_model models[FW_MODELS_MAX];
    size_t n_models;
    /* The dataset. */
    bool has_dataset;
    uint64_t count;
    size_t sample_size;
    harness_load_fn load;
    void *load_ctx;
    uint64_t perf_count;
    /* The loaded samples: slot i holds data[i] for index keys[i] - 1 (0 = empty). */
    uint64_t keys[FW_HASH];
    unsigned char *data[FW_HASH];
    size_t n_loaded;
    /* The model running now, and per-worker input pointer arrays. */
    const fw_model *cur;
    const void **inputs;
    uint64_t *indices;
    int32_t *predictions;    /* per-worker answers (workers x max_batch) */
    /* The labels (harness_set_labels), and the accuracy pass's predictions now. */
    int32_t *labels;
    int32_t *pass_preds;
    /* Folders written so far, for the report. */
    char *dirs[FW_DIRS_MAX];
    size_t n_dirs;
};

void harness_opts_default(harness_opts *o)
{
    memset(o, 0, sizeof *o);
    o->outdir = NULL;
    o->quick = false;
    o->workers = 2;
    o->max_batch = 1;
    o->repetitions = 0;
    o->min_duration_ms = 0;
    o->seed = 0;
}

int harness_create(const harness_opts *opts, harness **out)
{
    if (!out)
        return LG_EINVAL;
    *out = NULL;
    harness_opts o;
    if (opts)
        o = *opts;
    else
        harness_opts_default(&o);
    if (o.workers < 1 || o.workers > 256 || o.max_batch < 1 || o.max_batch > 65536)
        return LG_EINVAL;
    harness *fw = calloc(1, sizeof *fw);
    if (!fw)
        return LG_ENOMEM;
    fw->o = o;
    if (o.outdir && !(fw->outdir = strdup(o.outdir))) {
        free(fw);
        return LG_ENOMEM;
    }
    fw->o.outdir = fw->outdir;
    size_t slots = (size_t)o.workers * o.max_batch;
    fw->inputs = calloc(slots, sizeof *fw->inputs);
    fw->indices = calloc(slots, sizeof *fw->indices);
    fw->predictions = calloc(slots, sizeof *fw->predictions);
    if (!fw->inputs || !fw->indices || !fw->predictions) {
        harness_destroy(fw);
        return LG_ENOMEM;
    }
    *out = fw;
    return 0;
}

static void unload_all(harness *fw)
{
    for (size_t i = 0; i < FW_HASH; i++) {
        free(fw->data[i]);
        fw->data[i] = NULL;
        fw->keys[i] = 0;
    }
    fw->n_loaded = 0;
}

/* Forgets every model's accuracy pass (the dataset or its labels changed). */
static void forget_accuracy(harness *fw)
{
    for (size_t i = 0; i < fw->n_models; i++) {
        free(fw->models[i].preds);
        fw->models[i].preds = NULL;
    }
}

void harness_destroy(harness *fw)
{
    if (!fw)
        return;
    unload_all(fw);
    for (size_t i = 0; i < fw->n_dirs; i++)
        free(fw->dirs[i]);
    free(fw->inputs);
    free(fw->indices);
    free(fw->predictions);
    forget_accuracy(fw);
    free(fw->labels);
    free(fw->outdir);
    free(fw);
}

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= RPT_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return strcmp(s, ".") && strcmp(s, "..");
}

int harness_add_model(harness *fw, const char *name, harness_model_fn fn, void *ctx)
{
    if (!fw || !fn || !name_ok(name))
        return LG_EINVAL;
    for (size_t i = 0; i < fw->n_models; i++)
        if (!strcmp(fw->models[i].name, name)) {
            fw->models[i].fn = fn;
            fw->models[i].ctx = ctx;
            fw->models[i].capacity = 0;
            free(fw->models[i].preds);
            fw->models[i].preds = NULL;
            return 0;
        }
    if (fw->n_models >= FW_MODELS_MAX)
        return LG_EINVAL;
    fw_model *m = &fw->models[fw->n_models++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->fn = fn;
    m->ctx = ctx;
    m->capacity = 0;
    m->preds = NULL;
    return 0;
}

int harness_set_dataset(harness *fw, uint64_t count, size_t sample_size, harness_load_fn load,
                        void *ctx)
{
    if (!fw || count < 1 || count > UINT32_MAX || sample_size > (1u << 24))
        return LG_EINVAL;
    unload_all(fw);
    forget_accuracy(fw);
    free(fw->labels);
    fw->labels = NULL;
    fw->count = count;
    fw->sample_size = sample_size;
    fw->load = load;
    fw->load_ctx = ctx;
    /* At most 1024 samples, and at most 256 MB, in memory at once. */
    uint64_t cap = sample_size ? (256u << 20) / sample_size : 1024;
    fw->perf_count = count < 1024 ? count : 1024;
    if (cap < fw->perf_count)
        fw->perf_count = cap ? cap : 1;
    fw->has_dataset = true;
    return 0;
}

int harness_set_labels(harness *fw, const int32_t *labels, uint64_t count)
{
    if (!fw || !labels || !fw->has_dataset || count != fw->count)
        return LG_EINVAL;
    for (uint64_t i = 0; i < count; i++)
        if (labels[i] < 0)
            return LG_EINVAL;
    int32_t *copy = malloc(count * sizeof *copy);
    if (!copy)
        return LG_ENOMEM;
    memcpy(copy, labels, count * sizeof *copy);
    forget_accuracy(fw);
    free(fw->labels);
    fw->labels = copy;
    return 0;
}

/* ---------------------------------------------------------------- QSL */

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static size_t slot_of(const harness *fw, uint64_t index)
{
    size_t h = (size_t)(mix64(index) & (FW_HASH - 1));
    while (fw->keys[h] && fw->keys[h] != index + 1)
        h = (h + 1) & (FW_HASH - 1);
    return h;
}

static int qsl_load(void *ctx, const uint64_t *indices, size_t n)
{
    harness *fw = ctx;
    for (size_t i = 0; i < n; i++) {
        size_t h = slot_of(fw, indices[i]);
        if (fw->keys[h])
            continue; /* already loaded */
        /* The table holds at most half its slots, so a probe always ends; the LoadGen
         * loads at most performance_sample_count (<= 1024) samples at once. */
        if (fw->n_loaded >= FW_HASH / 2)
            return -1;
        unsigned char *buf = malloc(fw->sample_size ? fw->sample_size : 1);
        if (!buf)
            return -1;
        if (fw->load) {
            if (fw->load(fw->load_ctx, indices[i], buf, fw->sample_size)) {
                free(buf);
                return -1;
            }
        } else {
            uint64_t s = indices[i];
            for (size_t k = 0; k < fw->sample_size; k += 8) {
                uint64_t v = mix64(s + k);
                memcpy(buf + k, &v, fw->sample_size - k < 8 ? fw->sample_size - k : 8);
            }
        }
        fw->keys[h] = indices[i] + 1;
        fw->data[h] = buf;
        fw->n_loaded++;
    }
    return 0;
}

static int qsl_unload(void *ctx, const uint64_t *indices, size_t n)
{
    (void)indices;
    (void)n;
    unload_all(ctx);
    return 0;
}

/* ---------------------------------------------------------------- SUT */

static void fw_process(void *ctx, unsigned worker, const lg_sample *samples, size_t n,
                       lg_response *responses)
{
    harness *fw = ctx;
    const void **inputs = fw->inputs + (size_t)worker * fw->o.max_batch;
    uint64_t *idx = fw->indices + (size_t)worker * fw->o.max_batch;
    for (size_t i = 0; i < n; i++) {
        size_t h = slot_of(fw, samples[i].index);
        inputs[i] = fw->data[h];
        idx[i] = samples[i].index;
    }
    int32_t *pred = fw->predictions + (size_t)worker * fw->o.max_batch;
    for (size_t i = 0; i < n; i++)
        pred[i] = -1;
    harness_batch b = {.n = n, .indices = idx, .inputs = (const void *const *)inputs,
                       .sample_size = fw->sample_size, .worker = worker,
                       .predictions = pred};
    int st = fw->cur->fn(fw->cur->ctx, &b);
    for (size_t i = 0; i < n; i++) {
        bool answered = !st && pred[i] >= 0;
        /* The pool completes the batch right after this returns: pred stays valid. */
        responses[i].data = answered ? &pred[i] : NULL;
        responses[i].size = answered ? sizeof pred[i] : 0;
        responses[i].status = st ? (int32_t)st : LG_STATUS_OK;
        /* An accuracy pass issues each sample once: each slot is written by one worker. */
        if (fw->pass_preds && answered)
            fw->pass_preds[idx[i]] = pred[i];
    }
}

static const fw_model *find_model(const harness *fw, const char *name)
{
    if (!name)
        return fw->n_models ? &fw->models[0] : NULL;
    for (size_t i = 0; i < fw->n_models; i++)
        if (!strcmp(fw->models[i].name, name))
            return &fw->models[i];
    return NULL;
}

static void remember_dir(harness *fw, const char *dir)
{
    for (size_t i = 0; i < fw->n_dirs; i++)
        if (!strcmp(fw->dirs[i], dir))
            return;
    if (fw->n_dirs < FW_DIRS_MAX && (fw->dirs[fw->n_dirs] = strdup(dir)))
        fw->n_dirs++;
}

static uint64_t min_duration(const harness *fw)
{
    return fw->o.min_duration_ms ? fw->o.min_duration_ms : fw->o.quick ? 300 : 10000;
}

/* Runs one test of model m; writes to dir when not NULL. */
static int run_one(harness *fw, const fw_model *m, const lg_settings *s, const char *dir,
                   lg_results *res)
{
    sut_pool_config pc = {.name = m->name, .process = fw_process, .ctx = fw,
                          .workers = fw->o.workers, .max_batch = fw->o.max_batch};
    sut_pool *pool;
    int rc = sut_pool_create(&pc, &pool);
    if (rc)
        return rc;
    fw->cur = m;
    lg_sut sut = sut_pool_sut(pool);
    lg_qsl qsl = {.name = "framework-dataset", .ctx = fw, .total_sample_count = fw->count,
                  .performance_sample_count = fw->perf_count, .load = qsl_load,
                  .unload = qsl_unload};
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = dir;
    /* The harness owns its folders: running it again replaces its earlier runs. */
    log.overwrite = true;
    rc = lg_run_test(s, &sut, &qsl, &log, res);
    sut_pool_destroy(pool);
    unload_all(fw);
    fw->cur = NULL;
    return rc;
}

static void base_settings(const harness *fw, lg_scenario sc, double capacity,
                          uint64_t rep, lg_settings *s)
{
    lg_settings_default(s);
    s->scenario = sc;
    s->mode = LG_MODE_PERFORMANCE;
    s->min_duration_ms = min_duration(fw);
    s->schedule_rng_seed = mix64(fw->o.seed + rep);
    s->sample_index_rng_seed = mix64(fw->o.seed ^ (rep * 0x9E3779B97F4A7C15ull + 1));
    s->qsl_rng_seed = fw->o.seed;
    double per_sample_ns = capacity > 0 ? fw->o.workers * 1e9 / capacity : 1e6;
    s->single_stream_expected_latency_ns = per_sample_ns / fw->o.workers;
    s->multi_stream_expected_latency_ns =
        per_sample_ns * (double)s->multi_stream_samples_per_query / fw->o.workers;
    if (capacity > 0) {
        s->server_target_qps = 0.5 * capacity;
        /* Offline sizes its one query from this rate: aim high, so that the query lasts
         * at least the minimum duration even when batching overheads make the SUT
         * slower than SingleStream suggests. */
        s->offline_expected_qps = 1.5 * capacity;
    }
    /* MultiStream is judged at p99 by early stopping, which needs h(1) + 1 = 662 queries:
     * ask for them, or a quick run is INVALID by construction. */
    stats_sample_sizes_result ss;
    if (sc == LG_MULTI_STREAM &&
        stats_sample_sizes(s->multi_stream_target_latency_percentile, 0.99, &ss) == 0 &&
        s->min_query_count < ss.early_stopping_min)
        s->min_query_count = ss.early_stopping_min;
}

int harness_run_all(harness *fw, const char *model, lg_results results[4])
{
    if (!fw || !fw->has_dataset)
        return LG_EINVAL;
    fw_model *m = (fw_model *)find_model(fw, model);
    if (!m)
        return LG_EINVAL;
    static const lg_scenario order[4] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                         LG_OFFLINE};
    for (int i = 0; i < 4; i++) {
        lg_settings s;
        base_settings(fw, order[i], m->capacity, 0, &s);
        char dir[4096];
        if (fw->outdir)
            snprintf(dir, sizeof dir, "%s/%s/%s", fw->outdir, m->name,
                     lg_scenario_name(order[i]));
        lg_results r;
        int rc = run_one(fw, m, &s, fw->outdir ? dir : NULL, &r);
        if (rc)
            return rc;
        if (fw->outdir)
            remember_dir(fw, dir);
        if (order[i] == LG_SINGLE_STREAM && r.latency.mean_ns > 0)
            /* One sample at a time: each worker does 1 / mean latency per second. */
            m->capacity = fw->o.workers * 1e9 / (double)r.latency.mean_ns;
        if (results)
            results[order[i]] = r;
    }
    return 0;
}

/* The per-run value compared in a scenario, its name, unit and direction. */
static double main_metric(const lg_results *r, const char **name, const char **unit,
                          rpt_direction *dir)
{
    *unit = "ns";
    *dir = RPT_LOWER_IS_BETTER;
    switch (r->scenario) {
    case LG_SINGLE_STREAM:
        *name = "latency_p90";
        return (double)r->latency.p90_ns;
    case LG_MULTI_STREAM:
        *name = "latency_p99";
        return (double)r->query_latency.p99_ns;
    case LG_SERVER:
        *name = "latency_p99";
        return (double)r->latency.p99_ns;
    case LG_OFFLINE:
    default:
        *name = "throughput";
        *unit = "1/s";
        *dir = RPT_HIGHER_IS_BETTER;
        return r->samples_per_sec;
    }
}

static int measure_capacity(harness *fw, fw_model *m)
{
    if (m->capacity > 0)
        return 0;
    lg_settings s;
    base_settings(fw, LG_SINGLE_STREAM, 0, 0, &s);
    s.min_duration_ms = 200;
    lg_results r;
    int rc = run_one(fw, m, &s, NULL, &r);
    if (rc)
        return rc;
    if (r.latency.mean_ns > 0)
        m->capacity = fw->o.workers * 1e9 / (double)r.latency.mean_ns;
    return 0;
}

/* ---------------------------------------------------------------- accuracy */

/* The accuracy pass of m, once: every sample issued once (AccuracyOnly, Offline), its
 * predictions kept in m->preds. */
static int accuracy_pass(harness *fw, fw_model *m)
{
    if (m->preds)
        return 0;
    int32_t *p = malloc(fw->count * sizeof *p);
    if (!p)
        return LG_ENOMEM;
    for (uint64_t i = 0; i < fw->count; i++)
        p[i] = -1;
    lg_settings s;
    base_settings(fw, LG_OFFLINE, m->capacity, 0, &s);
    s.mode = LG_MODE_ACCURACY;
    char dir[4096];
    if (fw->outdir)
        snprintf(dir, sizeof dir, "%s/%s/accuracy", fw->outdir, m->name);
    lg_results r;
    fw->pass_preds = p;
    int rc = run_one(fw, m, &s, fw->outdir ? dir : NULL, &r);
    fw->pass_preds = NULL;
    if (rc) {
        free(p);
        return rc;
    }
    if (fw->outdir)
        remember_dir(fw, dir);
    m->preds = p;
    return 0;
}

static void score(const harness *fw, const int32_t *preds, harness_accuracy_result *out)
{
    memset(out, 0, sizeof *out);
    out->samples = fw->count;
    for (uint64_t i = 0; i < fw->count; i++) {
        out->answered += preds[i] >= 0;
        out->correct += preds[i] == fw->labels[i];
    }
    out->top1 = (double)out->correct / (double)fw->count;
}

int harness_accuracy(harness *fw, const char *model, harness_accuracy_result *out)
{
    if (!fw || !out || !fw->labels)
        return LG_EINVAL;
    fw_model *m = (fw_model *)find_model(fw, model);
    if (!m)
        return LG_EINVAL;
    int rc = accuracy_pass(fw, m);
    if (rc)
        return rc;
    score(fw, m->preds, out);
    return 0;
}

/* The paired comparison of two accuracy passes on the same samples: the difference of
 * the two proportions with its Wald interval for paired data, and McNemar's exact test
 * on the samples exactly one model got right (those the two agree on say nothing
 * about which is better). */
static void compare_accuracy(const harness *fw, const fw_model *ma, const fw_model *mb,
                             double confidence, harness_model_comparison *res)
{
    harness_accuracy_result aa, ab;
    score(fw, ma->preds, &aa);
    score(fw, mb->preds, &ab);
    uint64_t only_a = 0, only_b = 0;
    for (uint64_t i = 0; i < fw->count; i++) {
        bool ra = ma->preds[i] == fw->labels[i], rb = mb->preds[i] == fw->labels[i];
        only_a += ra && !rb;
        only_b += rb && !ra;
    }
    double n = (double)fw->count, d = ((double)only_b - (double)only_a) / n;
    double disc = (double)only_a + (double)only_b;
    double var = disc - ((double)only_b - (double)only_a) * ((double)only_b - (double)only_a) / n;
    double se = var > 0 ? sqrt(var) / n : 0;
    double z = gsl_cdf_ugaussian_Pinv(1 - (1 - confidence) / 2);
    uint64_t k = only_a < only_b ? only_a : only_b;
    double p = disc > 0 ? 2 * gsl_cdf_binomial_P((unsigned)k, 0.5, (unsigned)disc) : 1;
    res->has_accuracy = true;
    res->accuracy_a = aa.top1;
    res->accuracy_b = ab.top1;
    res->accuracy_change = d;
    res->accuracy_ci[0] = d - z * se;
    res->accuracy_ci[1] = d + z * se;
    res->accuracy_p = p < 1 ? p : 1;
    res->only_a_right = only_a;
    res->only_b_right = only_b;
}

/* res->speed_ratio and its CI from the metric's relative change (b / a - 1). */
static void speed_ratio(harness_model_comparison *res)
{
    const rpt_metric_cmp *c = &res->detail;
    if (c->direction == RPT_LOWER_IS_BETTER) { /* latency: a's / b's */
        res->speed_ratio = 1 / (1 + c->change);
        res->speed_ratio_ci[0] = 1 / (1 + c->change_hi);
        res->speed_ratio_ci[1] = 1 / (1 + c->change_lo);
    } else {
        res->speed_ratio = 1 + c->change;
        res->speed_ratio_ci[0] = 1 + c->change_lo;
        res->speed_ratio_ci[1] = 1 + c->change_hi;
    }
}

/* "b is 2.10x faster than a (95% CI 1.95x to 2.26x) in SingleStream (latency_p90) and
 * loses 0.80 points of accuracy (...)". */
static void tradeoff_text(const fw_model *ma, const fw_model *mb, lg_scenario sc,
                          harness_model_comparison *res)
{
    const rpt_metric_cmp *c = &res->detail;
    double r = res->speed_ratio, lo = res->speed_ratio_ci[0], hi = res->speed_ratio_ci[1];
    bool faster = r >= 1;
    double shown = faster ? r : 1 / r, slo = faster ? lo : 1 / hi, shi = faster ? hi : 1 / lo;
    char *t = res->tradeoff;
    size_t len = sizeof res->tradeoff;
    int at;
    if (c->verdict == RPT_IMPROVED || c->verdict == RPT_REGRESSED)
        at = snprintf(t, len, "%s is %.2fx %s than %s (%.0f%% CI %.2fx to %.2fx) in %s (%s)",
                      mb->name, shown, faster ? "faster" : "slower", ma->name,
                      c->confidence * 100, slo, shi, lg_scenario_name(sc), c->name);
    else
        at = snprintf(t, len, "%s is not faster or slower than %s beyond the noise in %s "
                      "(%s ratio %.2fx, %.0f%% CI %.2fx to %.2fx)", mb->name, ma->name,
                      lg_scenario_name(sc), c->name, r, c->confidence * 100, lo, hi);
    if (at < 0 || (size_t)at >= len)
        return;
    if (!res->has_accuracy) {
        snprintf(t + at, len - (size_t)at, ".");
        return;
    }
    double pts = 100 * res->accuracy_change, plo = 100 * res->accuracy_ci[0],
           phi = 100 * res->accuracy_ci[1];
    bool differs = plo > 0 || phi < 0;
    char p[24];
    rpt_format_p(p, sizeof p, res->accuracy_p);
    snprintf(t + at, len - (size_t)at,
             differs ? " and %s %.2f points of accuracy (%.2f %% -> %.2f %%, CI %+.2f to "
                       "%+.2f points, McNemar p %s)."
                     : " and its accuracy is not significantly different (%s%.2f points: "
                       "%.2f %% -> %.2f %%, CI %+.2f to %+.2f points, McNemar p %s).",
             differs ? (pts < 0 ? "loses" : "gains") : (pts < 0 ? "-" : "+"), fabs(pts),
             100 * res->accuracy_a, 100 * res->accuracy_b, plo, phi, p);
}

int harness_compare(harness *fw, const char *a, const char *b, lg_scenario scenario,
                    harness_model_comparison *out)
{
    if (!fw || !out || !fw->has_dataset || (unsigned)scenario > LG_OFFLINE)
        return LG_EINVAL;
    fw_model *ma = (fw_model *)find_model(fw, a), *mb = (fw_model *)find_model(fw, b);
    if (!ma || !mb || !a || !b)
        return LG_EINVAL;
    int rc = measure_capacity(fw, ma);
    if (!rc && fw->labels && !(rc = measure_capacity(fw, mb)) && !(rc = accuracy_pass(fw, ma)))
        rc = accuracy_pass(fw, mb);
    if (rc)
        return rc;
    double capacity = ma->capacity;
    unsigned reps = fw->o.repetitions ? fw->o.repetitions : fw->o.quick ? 5 : 10;
    if (reps < 2)
        reps = 2;
    double *va = calloc(reps, sizeof *va), *vb = calloc(reps, sizeof *vb);
    if (!va || !vb) {
        free(va);
        free(vb);
        return LG_ENOMEM;
    }
    const char *name = "value", *unit = "";
    rpt_direction direction = RPT_LOWER_IS_BETTER;
    char root[4096] = "";
    if (fw->outdir)
        snprintf(root, sizeof root, "%s/compare-%s-%s-%s", fw->outdir, ma->name, mb->name,
                 lg_scenario_name(scenario));
    /* Interleave the two models so that slow drifts of the machine hit both alike. */
    for (unsigned k = 0; k < reps && !rc; k++)
        for (int side = 0; side < 2 && !rc; side++) {
            fw_model *m = side ? mb : ma;
            lg_settings s;
            base_settings(fw, scenario, capacity, k + 1, &s);
            char dir[4400];
            if (fw->outdir)
                snprintf(dir, sizeof dir, "%s/%s/rep-%u", root, m->name, k + 1);
            lg_results r;
            rc = run_one(fw, m, &s, fw->outdir ? dir : NULL, &r);
            if (!rc)
                (side ? vb : va)[k] = main_metric(&r, &name, &unit, &direction);
        }
    if (!rc && fw->outdir) {
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/%s", root, ma->name);
        remember_dir(fw, dir);
        snprintf(dir, sizeof dir, "%s/%s", root, mb->name);
        remember_dir(fw, dir);
    }
    harness_model_comparison res;
    memset(&res, 0, sizeof res);
    if (!rc)
        rc = rpt_compare_values(va, reps, vb, reps, name, unit, direction, NULL, &res.detail);
    free(va);
    free(vb);
    if (rc)
        return rc;
    const rpt_metric_cmp *c = &res.detail;
    res.is_significant = c->significant;
    res.p_value = c->welch_p;
    res.effect_size = c->cohens_d;
    res.confidence_interval[0] = c->change_lo;
    res.confidence_interval[1] = c->change_hi;
    snprintf(res.metric, sizeof res.metric, "%s", c->name);
    char ch[24], lo[24], hi[24], p[24];
    rpt_format_pct(ch, sizeof ch, c->change);
    rpt_format_pct(lo, sizeof lo, c->change_lo);
    rpt_format_pct(hi, sizeof hi, c->change_hi);
    rpt_format_p(p, sizeof p, c->welch_p);
    const char *what = c->name;
    switch (c->verdict) {
    case RPT_IMPROVED:
        snprintf(res.recommendation, sizeof res.recommendation,
                 "Prefer %s: in %s its %s changed by %s against %s (%.0f%% CI [%s, %s], "
                 "Welch p %s, Cohen's d %.2f), beyond the %.0f%% noise threshold.", mb->name,
                 lg_scenario_name(scenario), what, ch, ma->name, c->confidence * 100, lo, hi,
                 p, c->cohens_d, 2.0);
        break;
    case RPT_REGRESSED:
        snprintf(res.recommendation, sizeof res.recommendation,
                 "Keep %s: in %s the %s of %s is worse by %s (%.0f%% CI [%s, %s], Welch p %s, "
                 "Cohen's d %.2f).", ma->name, lg_scenario_name(scenario), what, mb->name, ch,
                 c->confidence * 100, lo, hi, p, c->cohens_d);
        break;
    case RPT_WITHIN_NOISE:
        snprintf(res.recommendation, sizeof res.recommendation,
                 "No practical difference in %s: the %s change of %s (CI [%s, %s]) is "
                 "significant but within the 2%% noise threshold; choose on other grounds.",
                 lg_scenario_name(scenario), what, ch, lo, hi);
        break;
    case RPT_NO_CHANGE:
        snprintf(res.recommendation, sizeof res.recommendation,
                 "No significant difference in %s (%s change %s, Welch p %s with %u runs "
                 "each); more repetitions can resolve smaller differences.",
                 lg_scenario_name(scenario), what, ch, p, reps);
        break;
    }
    if (c->few_values) {
        size_t len = strlen(res.recommendation);
        snprintf(res.recommendation + len, sizeof res.recommendation - len,
                 " (%u runs per model: at least 9 are advised.)", reps);
    }
    speed_ratio(&res);
    if (fw->labels)
        compare_accuracy(fw, ma, mb, c->confidence, &res);
    tradeoff_text(ma, mb, scenario, &res);
    *out = res;
    return 0;
}

int harness_report(harness *fw, const char *path)
{
    if (!fw || !path || !fw->outdir || !fw->n_dirs)
        return LG_EINVAL;
    rpt_report_opts o;
    rpt_report_opts_default(&o);
    o.title = "Performance report (framework)";
    rpt_report *r;
    int rc = rpt_report_create((const char *const *)fw->dirs, fw->n_dirs, &o, &r, NULL, 0);
    if (rc)
        return rc;
    FILE *f = fopen(path, "w");
    if (!f) {
        rpt_report_destroy(r);
        return LG_EIO;
    }
    rc = rpt_report_write_markdown(r, f);
    if (fclose(f) && !rc)
        rc = LG_EIO;
    rpt_report_destroy(r);
    return rc;
}

int harness_report_html(harness *fw, const char *path)
{
    if (!fw || !path || !fw->outdir || !fw->n_dirs)
        return LG_EINVAL;
    rpt_report_opts o;
    rpt_report_opts_default(&o);
    o.title = "Performance report (framework)";
    return rpt_report_write_html((const char *const *)fw->dirs, fw->n_dirs, &o, path, NULL, 0);
}

void harness_set_quick(harness *fw, bool quick)
{
    if (fw)
        fw->o.quick = quick;
}
