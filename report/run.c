/* run.c: reads a run folder back (results.json with jansson, samples.bin by hand), result
 * sets (one run or rep-N repetitions), and the helpers the analyses share. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "loadgen/results_fields.h"
#include "loadgen/config.h"
#include "report/internal.h"

/* ---------------------------------------------------------------- helpers */

int rpt__err(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

char *rpt__strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

double rpt__percentile_sorted(const double *sorted, size_t n, double p)
{
    if (!n)
        return NAN;
    return sorted[stats_percentile_mlperf_index(n, p)];
}

double rpt__percentile_mlperf(double *x, size_t n, double p)
{
    stats_sort_f64(x, n);
    return rpt__percentile_sorted(x, n, p);
}

char *rpt__json_dump(void *json, size_t flags)
{
    char *s = json_dumps(json, flags);
    json_decref(json);
    if (!s)
        return NULL;
    char *copy = rpt__strdup(s);
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    f(s);
    return copy;
}

/* ---------------------------------------------------------------- results.json */

/* The member at a dotted path ("counts.queries_issued"), or NULL. */
static json_t *jpath(json_t *root, const char *path)
{
    char key[64];
    json_t *cur = root;
    while (cur && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        if (len >= sizeof key)
            return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
        path += len + (dot ? 1 : 0);
    }
    return cur;
}

static double jnum(json_t *root, const char *path)
{
    json_t *v = jpath(root, path);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

static uint64_t ju64(json_t *root, const char *path)
{
    json_t *v = jpath(root, path);
    if (json_is_integer(v))
        return (uint64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d <= 0 ? 0 : d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
    }
    return 0;
}

static int64_t ji64(json_t *root, const char *path)
{
    json_t *v = jpath(root, path);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        /* A damaged file may hold any double: saturate rather than convert out of range. */
        double d = json_real_value(v);
        return d <= -9223372036854775808.0 ? INT64_MIN
               : d >= 9223372036854775807.0 ? INT64_MAX
                                            : (int64_t)d;
    }
    return 0;
}

static bool jbool(json_t *root, const char *path)
{
    return json_is_true(jpath(root, path));
}

static const char *jstr(json_t *root, const char *path)
{
    const char *s = json_string_value(jpath(root, path));
    return s ? s : "";
}

/* A string member of "environment", or "unknown" when missing or empty. */
static void env_text(json_t *root, const char *key, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "environment.%s", key);
    const char *v = jstr(root, path);
    snprintf(buf, len, "%s", *v ? v : "unknown");
}

/* "accuracy": what the report shows of it. A malformed object is read as far as it
 * goes (it is a figure beside the run's, not one the run's validity depends on). */
static void read_accuracy(json_t *root, rpt_accuracy *a)
{
    json_t *o = json_object_get(root, "accuracy");
    memset(a, 0, sizeof *a);
    if (!json_is_object(o))
        return;
    a->present = true;
    a->scored = (uint64_t)json_integer_value(json_object_get(o, "scored"));
    a->correct = (uint64_t)json_integer_value(json_object_get(o, "top1_correct"));
    a->top1 = json_number_value(json_object_get(o, "top1"));
    json_t *t5 = json_object_get(o, "top5"), *tg = json_object_get(o, "target_top1"),
           *ps = json_object_get(o, "passed");
    a->top5 = json_is_number(t5) ? json_number_value(t5) : NAN;
    a->target_top1 = json_is_number(tg) ? json_number_value(tg) : NAN;
    a->passed = json_is_boolean(ps) ? json_is_true(ps) : -1;
    json_t *names = json_object_get(o, "classes"), *per = json_object_get(o, "per_class"),
           *conf = json_object_get(o, "confusion");
    size_t n = json_array_size(names);
    a->n_classes = (unsigned)(n < RPT_ACCURACY_MAX_CLASSES ? n : RPT_ACCURACY_MAX_CLASSES);
    for (unsigned c = 0; c < a->n_classes; c++) {
        const char *name = json_string_value(json_array_get(names, c));
        snprintf(a->class_names[c], sizeof a->class_names[c], "%s", name ? name : "?");
        json_t *pc = json_array_get(per, c), *row = json_array_get(conf, c);
        a->support[c] = (uint64_t)json_integer_value(json_object_get(pc, "images"));
        a->right[c] = (uint64_t)json_integer_value(json_object_get(pc, "right"));
        a->predicted[c] = (uint64_t)json_integer_value(json_object_get(pc, "predicted"));
        for (unsigned k = 0; k < a->n_classes; k++)
            a->confusion[c][k] = (uint64_t)json_integer_value(json_array_get(row, k));
    }
}

static void read_environment(json_t *root, rpt_run_info *in)
{
    rpt_environment *e = &in->environment;
    in->has_environment = json_is_object(jpath(root, "environment"));
    env_text(root, "cpu_model", e->cpu_model, sizeof e->cpu_model);
    env_text(root, "kernel", e->kernel, sizeof e->kernel);
    env_text(root, "hostname", e->hostname, sizeof e->hostname);
    env_text(root, "compiler", e->compiler, sizeof e->compiler);
    e->cores = (long)ji64(root, "environment.cores");
    const char *v = jstr(root, "loadgen_version"), *t = jstr(root, "start_time_utc");
    snprintf(e->library_version, sizeof e->library_version, "%s", *v ? v : "unknown");
    /* "2026-11-23T22:19:34Z" -> "2026-11-23 22:19:34 UTC", as the report prints dates */
    if (strlen(t) == 20 && t[10] == 'T' && t[19] == 'Z')
        snprintf(e->date_utc, sizeof e->date_utc, "%.10s %.8s UTC", t, t + 11);
    else
        snprintf(e->date_utc, sizeof e->date_utc, "%s", *t ? t : "unknown");
}

static void read_latency(json_t *root, const char *obj, lg_latency_stats *s)
{
    char p[64];
#define LAT(field, key) (snprintf(p, sizeof p, "%s.%s", obj, key), s->field = ji64(root, p))
    snprintf(p, sizeof p, "%s.count", obj);
    s->count = ju64(root, p);
#define X(key, member) LAT(member, key);
    LG_RESULTS_LATENCY(X)
#undef X
#undef LAT
}


static void read_early_stopping(json_t *root, const char *obj, lg_early_stopping *es)
{
    char p[96];
#define READ_BOOL(key) (snprintf(p, sizeof p, "%s.%s", obj, key), jbool(root, p))
#define READ_DBL(key) (snprintf(p, sizeof p, "%s.%s", obj, key), jnum(root, p))
#define READ_U64(key) (snprintf(p, sizeof p, "%s.%s", obj, key), ju64(root, p))
#define READ_I64(key) (snprintf(p, sizeof p, "%s.%s", obj, key), ji64(root, p))
#define X(key, type, member) es->member = READ_##type(key);
    LG_RESULTS_EARLY_STOPPING(X)
#undef X
#undef READ_BOOL
#undef READ_DBL
#undef READ_U64
#undef READ_I64
}

/* "tokens" (absent in files older than it: every figure 0, count_source "none"). */
static void read_tokens(json_t *root, lg_results *r)
{
    lg_token_results *k = &r->tokens;
#define READ_BOOL(key) jbool(root, "tokens." key)
#define READ_DBL(key) jnum(root, "tokens." key)
#define READ_U64(key) ju64(root, "tokens." key)
#define X(key, type, member) k->member = READ_##type(key);
    LG_RESULTS_TOKENS(X)
#undef X
#undef READ_BOOL
#undef READ_DBL
#undef READ_U64
#define X(key, member) read_latency(root, "tokens." key, &k->member);
    LG_RESULTS_TOKEN_LATENCIES(X)
#undef X
#define X(key, member) read_early_stopping(root, "tokens." key, &k->member);
    LG_RESULTS_TOKEN_EARLY_STOPPING(X)
#undef X
    /* The source is one of the core's words; anything else is not a count source. */
    const char *src = jstr(root, "tokens.count_source");
    k->count_source = !strcmp(src, "sut") ? "sut" : "none";
}

/* "client" (HTTP runs only; docs/http.md): kept referenced, since the strings of
 * info.client point into it. Members of the wrong type read as 0 or "". */
static int read_client(rpt_run *run, json_t *root, char *err, size_t errlen)
{
    json_t *c = json_object_get(root, "client");
    rpt_client_info *ci = &run->info.client;
    memset(ci, 0, sizeof *ci);
    if (!json_is_object(c))
        return 0;
    run->client_json = json_incref(c);
    ci->present = true;
    ci->protocol = jstr(c, "protocol");
    ci->url = jstr(c, "url");
    ci->first_error = jstr(c, "first_error");
#define U(m) ci->m = ju64(c, #m);
    U(connections) U(max_connections) U(io_threads) U(pipeline) U(requests_submitted)
    U(requests_sent) U(responses) U(throttled) U(bad_bodies) U(connections_opened)
    U(reconnects) U(connections_added)
#undef U
#define D(m) ci->m = jnum(c, #m);
    D(sent_late_share) D(requested_per_s) D(sent_per_s) D(completed_per_s) D(wall_s)
    D(cpu_process_s) D(io_busy_max)
#undef D
    ci->responses_4xx = ju64(c, "responses_by_class.4xx");
    ci->responses_5xx = ju64(c, "responses_by_class.5xx");
    ci->late_threshold_ns = ji64(c, "late_threshold_ns");
    ci->send_delay_count = ju64(c, "send_delay_ns.count");
    ci->send_delay_p50_ns = ji64(c, "send_delay_ns.p50");
    ci->send_delay_p99_ns = ji64(c, "send_delay_ns.p99");
    ci->send_delay_max_ns = ji64(c, "send_delay_ns.max");
    ci->has_tokens = json_is_object(json_object_get(c, "tokens"));
    ci->n_tokens_from_usage = ju64(c, "tokens.n_tokens_source.usage");
    ci->n_tokens_from_chunks = ju64(c, "tokens.n_tokens_source.chunks");
    ci->output_tokens = ju64(c, "tokens.output_tokens");
    ci->itl_count = ju64(c, "tokens.itl_ns.count");
    ci->itl_p50_ns = ji64(c, "tokens.itl_ns.p50");
    ci->itl_p99_ns = ji64(c, "tokens.itl_ns.p99");
    ci->ttft_from_send_p50_ns = ji64(c, "tokens.ttft_from_send_ns.p50");
    ci->ttft_from_send_p99_ns = ji64(c, "tokens.ttft_from_send_ns.p99");
    json_t *errs = json_object_get(c, "errors"), *warns = json_object_get(c, "warnings");
    size_t ne = json_is_object(errs) ? json_object_size(errs) : 0;
    size_t nw = json_is_array(warns) ? json_array_size(warns) : 0;
    run->client_errors = ne ? calloc(ne, sizeof *run->client_errors) : NULL;
    run->client_warnings = nw ? calloc(nw, sizeof *run->client_warnings) : NULL;
    if ((ne && !run->client_errors) || (nw && !run->client_warnings))
        return rpt__err(err, errlen, LG_ENOMEM, "%s: out of memory reading its client", run->dir);
    const char *key;
    json_t *v;
    json_object_foreach(errs, key, v) {
        if (json_is_integer(v) && json_integer_value(v) >= 0)
            run->client_errors[ci->n_errors++] = (rpt_client_error){key, ju64(v, "")};
    }
    size_t i;
    json_array_foreach(warns, i, v) {
        if (json_is_string(v))
            run->client_warnings[ci->n_warnings++] = json_string_value(v);
    }
    ci->errors = run->client_errors;
    ci->warnings = run->client_warnings;
    return 0;
}

/* "distributed" (`loadgen run --distributed` only; docs/distributed.md): kept
 * referenced, since the strings of info.distributed point into it. Members of the wrong
 * type read as 0, "" or false. */
static int read_distributed(rpt_run *run, json_t *root, char *err, size_t errlen)
{
    json_t *d = json_object_get(root, "distributed");
    rpt_distributed_info *di = &run->info.distributed;
    memset(di, 0, sizeof *di);
    if (!json_is_object(d))
        return 0;
    run->dist_json = json_incref(d);
    di->present = true;
    di->ranks = (unsigned)ju64(d, "ranks");
    di->hosts = (unsigned)ju64(d, "hosts");
    di->ranks_reported = (unsigned)ju64(d, "ranks_reported");
    di->complete = jbool(d, "complete");
    json_t *arr = json_object_get(d, "per_rank");
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    run->dist_ranks = n ? calloc(n, sizeof *run->dist_ranks) : NULL;
    if (n && !run->dist_ranks)
        return rpt__err(err, errlen, LG_ENOMEM, "%s: out of memory reading its ranks",
                        run->dir);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_object(v))
            continue;
        rpt_rank_info *k = &run->dist_ranks[di->n_per_rank++];
        k->rank = (int)ji64(v, "rank");
        k->reported = jbool(v, "reported");
        k->host = jstr(v, "host");
        k->status = (int)ji64(v, "status");
        k->completed = ju64(v, "completed");
        k->achieved_per_s = jnum(v, "achieved_samples_per_sec");
        k->lag_p99_ns = ji64(v, "issue_lag_p99_ns");
        k->lag_max_ns = ji64(v, "issue_lag_max_ns");
        k->clock_offset_ns = ji64(v, "clock_offset_ns");
        k->clock_offset_error_ns = ji64(v, "clock_offset_error_ns");
        k->has_start_skew = json_is_number(json_object_get(v, "start_skew_ns"));
        k->start_skew_ns = ji64(v, "start_skew_ns");
        k->error = jstr(v, "error");
    }
    di->per_rank = run->dist_ranks;
    return 0;
}

/* Adds one provenance line (copies of key and value). */
static int add_note(rpt_run *run, size_t *cap, const char *key, const char *value)
{
    if (run->n_notes == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        rpt_note *nn = realloc(run->notes, nc * sizeof *nn);
        if (!nn)
            return LG_ENOMEM;
        run->notes = nn;
        *cap = nc;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return LG_ENOMEM;
    }
    run->notes[run->n_notes++] = (rpt_note){k, v};
    return 0;
}

/* "provenance": the notes as they are, the requested settings as "settings.NAME" with
 * their JSON text (strings unquoted). Absent in files older than it: no lines. */
static int read_provenance(rpt_run *run, json_t *root, char *err, size_t errlen)
{
    json_t *pv = json_object_get(root, "provenance");
    size_t cap = 0;
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(json_object_get(pv, "notes"), key, v) {
        if (json_is_string(v) && (rc = add_note(run, &cap, key, json_string_value(v))))
            break;
    }
    json_object_foreach(json_object_get(pv, "requested_settings"), key, v) {
        if (rc)
            break;
        char name[160];
        snprintf(name, sizeof name, "settings.%s", key);
        char *text = json_is_string(v) ? strdup(json_string_value(v))
                                       : json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        rc = text ? add_note(run, &cap, name, text) : LG_ENOMEM;
        free(text);
    }
    if (rc)
        return rpt__err(err, errlen, rc, "%s: out of memory reading its provenance", run->dir);
    return 0;
}

const rpt_note *rpt_run_provenance(const rpt_run *run, size_t *n)
{
    *n = run ? run->n_notes : 0;
    return run ? run->notes : NULL;
}

static bool is_seed(const char *key)
{
    size_t n = strlen(key);
    return !strcmp(key, "sut.seed") ||
           (!strncmp(key, "settings.", 9) && n > 9 && !strcmp(key + n - 9, "_rng_seed"));
}

static const char *note_value(const rpt_run *r, const char *key)
{
    for (size_t i = 0; i < r->n_notes; i++)
        if (!strcmp(r->notes[i].key, key))
            return r->notes[i].value;
    return NULL;
}

/* True when the word w is in the space-separated list. */
static bool in_list(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list ? strstr(list, w) : NULL; p; p = strstr(p + 1, w))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* A requested setting that says nothing of a difference between a and b: one that does
 * not apply to a's scenario, or one the program derived from the SUT in both runs (it
 * follows the SUT's own lines). */
static bool setting_is_moot(const rpt_run *a, const rpt_run *b, const char *key)
{
    if (strncmp(key, "settings.", 9) != 0)
        return false;
    if (!strcmp(key, "settings.derived"))
        return true;
    int f = lg_settings_field_find(key + 9);
    if (f >= 0 && !(lg_settings_field_scenarios((size_t)f) &
                    LG_SCENARIO_BIT(a->info.results.scenario)))
        return true;
    return in_list(note_value(a, "settings.derived"), key + 9) &&
           in_list(note_value(b, "settings.derived"), key + 9);
}

int rpt_run_differences(const rpt_run *a, const rpt_run *b, bool ignore_seeds,
                        rpt_difference **out, size_t *n)
{
    if (!a || !b || !out || !n)
        return LG_EINVAL;
    *out = NULL;
    *n = 0;
    rpt_difference *d = malloc((a->n_notes + b->n_notes + 1) * sizeof *d);
    if (!d)
        return LG_ENOMEM;
    size_t k = 0;
    for (int side = 0; side < 2; side++) {
        const rpt_run *x = side ? b : a, *y = side ? a : b;
        for (size_t i = 0; i < x->n_notes; i++) {
            const char *key = x->notes[i].key, *vx = x->notes[i].value;
            const char *vy = note_value(y, key);
            if (!strcmp(key, "command_line") || (ignore_seeds && is_seed(key)) ||
                setting_is_moot(a, b, key) ||
                (side && vy) || (vy && !strcmp(vx, vy)))
                continue;
            d[k++] = side ? (rpt_difference){key, vy ? vy : "(none)", vx}
                          : (rpt_difference){key, vx, vy ? vy : "(none)"};
        }
    }
    *out = d;
    *n = k;
    return 0;
}

static int read_results(rpt_run *run, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return rpt__err(err, errlen, LG_EINVAL, "%s: is a folder, not a results file", path);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root && strstr(je.text, "too big"))
        /* A seed above INT64_MAX: read every integer as a double instead. */
        root = json_load_file(path, JSON_DECODE_INT_AS_REAL, &je);
    if (!root) {
        FILE *f = fopen(path, "r");
        if (!f)
            return rpt__err(err, errlen, LG_EIO, "%s: cannot read: %s", path, strerror(errno));
        fclose(f);
        return rpt__err(err, errlen, LG_EINVAL, "%s:%d: not valid JSON: %s", path, je.line,
                        je.text);
    }
    int rc = 0;
    if (!json_is_object(root) || strcmp(jstr(root, "schema"), "loadgen-results") ||
        ju64(root, "schema_version") != 1) {
        rc = rpt__err(err, errlen, LG_EINVAL,
                      "%s: not a loadgen results file (schema \"loadgen-results\", "
                      "schema_version 1)", path);
        goto out;
    }
    lg_scenario sc;
    if (lg_scenario_parse(jstr(root, "scenario"), &sc)) {
        rc = rpt__err(err, errlen, LG_EINVAL, "%s: unknown scenario '%s'", path,
                      jstr(root, "scenario"));
        goto out;
    }
    run->samples_claimed = json_is_true(json_object_get(root, "samples_file"));
    run->sut_name = rpt__strdup(jstr(root, "sut_name"));
    run->qsl_name = rpt__strdup(jstr(root, "qsl_name"));
    run->version = rpt__strdup(jstr(root, "loadgen_version"));
    run->start = rpt__strdup(jstr(root, "start_time_utc"));
    run->metric_name = rpt__strdup(jstr(root, "metric.name"));
    run->metric_unit = rpt__strdup(jstr(root, "metric.unit"));
    if (!run->sut_name || !run->qsl_name || !run->version || !run->start ||
        !run->metric_name || !run->metric_unit) {
        rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
        goto out;
    }
    rpt_run_info *in = &run->info;
    lg_results *r = &in->results;
    memset(r, 0, sizeof *r);
    r->scenario = sc;
    lg_mode mode = LG_MODE_PERFORMANCE;
    lg_mode_parse(jstr(root, "result_mode"), &mode);
    r->mode = mode;
    lg_mode asked = LG_MODE_PERFORMANCE;
    if (lg_mode_parse(jstr(root, "mode"), &asked) == 0 && asked == LG_MODE_FIND_PEAK) {
        r->find_peak = true; /* the run reported is one probe of MLPerf's peak search */
        r->find_peak_passed = jbool(root, "peak_search.found");
    }
    r->valid = jbool(root, "valid");
    r->record_hdr = !strcmp(jstr(root, "recording"), "hdr");
    r->record_relative_error = jnum(root, "recording_relative_error");
    r->aborted = jbool(root, "aborted");
    json_t *reasons = json_object_get(root, "invalid_reasons");
    size_t i;
    json_t *item;
    json_array_foreach(reasons, i, item) {
        const char *code = json_string_value(json_object_get(item, "code"));
#define X(name, flag)                                                                         \
    if (code && !strcmp(code, name))                                                          \
        r->invalid_reasons |= (flag);
        LG_RESULTS_REASONS(X)
#undef X
    }
    r->metric_name = run->metric_name;
    r->metric_unit = run->metric_unit;
    r->metric = jnum(root, "metric.value");
#define X(key, member) r->member = ju64(root, "counts." key);
    LG_RESULTS_COUNTS(X)
#undef X
    read_latency(root, "latency_ns", &r->latency);
    if (jpath(root, "query_latency_ns"))
        read_latency(root, "query_latency_ns", &r->query_latency);
    read_latency(root, "issue_lag_ns", &r->issue_lag);
    lg_early_stopping *es = &r->early_stopping;
#define READ_BOOL(key) jbool(root, key)
#define READ_DBL(key) jnum(root, key)
#define READ_U64(key) ju64(root, key)
#define READ_I64(key) ji64(root, key)
#define X(key, type, member) es->member = READ_##type("early_stopping." key);
    LG_RESULTS_EARLY_STOPPING(X)
#undef X
#define X(key, member) r->member = jnum(root, "throughput." key);
    LG_RESULTS_THROUGHPUT(X)
#undef X
#define X(key, member) r->member = ji64(root, "durations_ns." key);
    LG_RESULTS_DURATIONS(X)
#undef X
    r->overlatency_count = ju64(root, "overlatency_count");
    read_tokens(root, r);
    rpt_token_settings *ts = &in->token_settings;
#define X(key, type, member) ts->member = READ_##type("tokens.settings." key);
    LG_RESULTS_TOKEN_SETTINGS(X)
#undef X
    /* The settings the report uses; the others are written for people and tools. */
#define RES(m) r->m =
#define RUN(m) in->m =
#define NONE (void)
#define X(key, type, src, rd) rd READ_##type("settings." key);
    LG_RESULTS_SETTINGS(X)
#undef X
#undef RES
#undef RUN
#undef NONE
#undef READ_BOOL
#undef READ_DBL
#undef READ_U64
#undef READ_I64
    read_environment(root, in);
    read_accuracy(root, &in->accuracy);
    if ((rc = read_provenance(run, root, err, errlen)) ||
        (rc = read_client(run, root, err, errlen)) ||
        (rc = read_distributed(run, root, err, errlen)))
        goto out;
    if (!(in->target_latency_percentile > 0 && in->target_latency_percentile < 1))
        in->target_latency_percentile = es->percentile > 0 && es->percentile < 1
                                            ? es->percentile : 0.99;
out:
    json_decref(root);
    return rc;
}

/* ---------------------------------------------------------------- samples.bin */

/*
 * samples.bin is read with read(), not mapped. A mapped file that is truncated or
 * copied over while the reader walks it kills the process with SIGBUS (MAP_PRIVATE
 * does not protect against that), and a report must say a changing file is changing,
 * not die. read() turns a truncation into a short read, which is an error message.
 * Version 2 (what the library writes) is read block by block and decoded with the
 * core's codec (read_blocks). Version 1: on a little-endian machine a record is an
 * rpt_sample byte for byte, so its records are read straight into the array (no
 * decoding pass); measured on 9.9M samples (316 MB), `report --html` took 0.58 s mapped
 * and the same with read() (docs/reports.md).
 */
bool rpt__samples_direct = true;
void (*rpt__samples_read_hook)(const char *path);

/* Reads exactly len bytes at offset off; false on a short read (the file shrank) or an
 * I/O error (errno then says which; 0 for a short read). */
static bool read_at(int fd, void *buf, size_t len, off_t off)
{
    unsigned char *p = buf;
    while (len) {
        ssize_t got = pread(fd, p, len, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (!got)
                errno = 0;
            return false;
        }
        p += got;
        len -= (size_t)got;
        off += got;
    }
    return true;
}

/* Decodes count records from raw into s, with the layout's one definition
 * (lg_sample_record_decode): the path a big-endian machine takes. */
static void decode_records(const unsigned char *raw, size_t count, rpt_sample *s)
{
    for (size_t i = 0; i < count; i++, raw += LG_SAMPLES_RECORD_BYTES) {
        lg_sample_record r;
        lg_sample_record_decode(raw, &r);
        s[i] = (rpt_sample){.scheduled_ns = r.scheduled_ns, .issued_ns = r.issued_ns,
                            .completed_ns = r.completed_ns, .index = r.index,
                            .status = r.status};
    }
}

/*
 * Memory for count records in run->samples. A large array is an anonymous mapping made
 * present up front (MAP_POPULATE): read() would otherwise fault its fresh pages in one
 * by one, which made reading 316 MB take 0.20 s instead of 0.15 s. run->map_len is then
 * its length (free_samples unmaps it); 0 for malloc's memory.
 */
static bool alloc_samples(rpt_run *run, uint64_t count)
{
    size_t bytes = (size_t)(count ? count : 1) * sizeof(rpt_sample);
    if (bytes >= ((size_t)32 << 20)) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p != MAP_FAILED) {
            run->samples = p;
            run->map_len = bytes;
            return true;
        }
    }
    run->samples = malloc(bytes);
    return run->samples != NULL;
}

/* Reads the count records after the header into run->samples. Returns 0, or an error
 * with its message when the file shrank or could not be read. */
static int read_records(rpt_run *run, int fd, uint64_t count, const char *path, char *err,
                        size_t errlen)
{
    _Static_assert(sizeof(rpt_sample) == 32 && offsetof(rpt_sample, issued_ns) == 8 &&
                       offsetof(rpt_sample, completed_ns) == 16 &&
                       offsetof(rpt_sample, index) == 24 && offsetof(rpt_sample, status) == 28,
                   "rpt_sample is the samples.bin record");
    if (!alloc_samples(run, count))
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory for %llu records",
                        (unsigned long long)count);
    bool direct = rpt__samples_direct;
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    direct = false;
#endif
    /* Chunks of 1 MiB when decoding; the whole array in one go otherwise (read() then
     * fills the final memory, with no second copy). */
    enum { CHUNK = 32768 };
    unsigned char *buf = direct ? NULL : malloc((size_t)CHUNK * 32);
    if (!direct && !buf)
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    uint64_t done = 0;
    int rc = 0;
    while (done < count) {
        size_t want = direct ? (size_t)(count - done)
                             : (size_t)(count - done < CHUNK ? count - done : CHUNK);
        void *dst = direct ? (void *)(run->samples + done) : (void *)buf;
        if (!read_at(fd, dst, want * 32, (off_t)(64 + done * 32))) {
            rc = errno ? rpt__err(err, errlen, LG_EIO, "%s: read error: %s", path,
                                  strerror(errno))
                       : rpt__err(err, errlen, LG_EIO,
                                  "%s: the file changed while being read (it ended after "
                                  "fewer than the %llu records its header announced): was "
                                  "it truncated or copied over? Read it again once it is "
                                  "complete", path, (unsigned long long)count);
            break;
        }
        if (!direct)
            decode_records(buf, want, run->samples + done);
        done += want;
    }
    free(buf);
    return rc;
}

/* Keeps record i's token fields (a token run's samples.bin): the array is made at the
 * first record that has any, so that a run without tokens has none. */
static bool keep_tokens(rpt_run *run, uint64_t count, uint64_t i, const lg_sample_record *r)
{
    if (!run->tokens && !r->first_token_ns && !r->n_tokens && !r->sent_ns)
        return true;
    if (!run->tokens && !(run->tokens = calloc(count ? count : 1, sizeof *run->tokens)))
        return false;
    run->tokens[i] = (rpt_token_sample){.first_token_ns = r->first_token_ns,
                                        .n_tokens = r->n_tokens, .sent_ns = r->sent_ns};
    return true;
}

/*
 * Reads the blocks of versions 2 and 3 into run->samples (and the token fields into
 * run->tokens): each block's 16-byte header, then its payload, decoded by the core's
 * one definition of the layout. A damaged or truncated
 * file is an error that names the byte where the damage was found. Returns 0 or an
 * error with its message.
 */
static int read_blocks(rpt_run *run, int fd, const lg_samples_header *h, uint64_t size,
                       const char *path, char *err, size_t errlen)
{
    uint64_t count = h->count;
    if (!alloc_samples(run, count))
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory for %llu records",
                        (unsigned long long)count);
    unsigned char *buf = malloc(LG_SAMPLES_BLOCK_MAX_BYTES(h->block_records));
    lg_sample_record *rec = malloc((size_t)h->block_records * sizeof *rec);
    int rc = 0;
    if (!buf || !rec) {
        rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t off = LG_SAMPLES_HEADER_BYTES, done = 0, nblock = 0;
    const char *why = NULL;
    size_t bad = 0;
    while (done < count) {
        lg_samples_block b;
        bad = 0;
        if (size - off < LG_SAMPLES_BLOCK_HEADER_BYTES) {
            why = "the file ends inside the header of a block";
            bad = size - off;
            goto damaged;
        }
        if (!read_at(fd, buf, LG_SAMPLES_BLOCK_HEADER_BYTES, (off_t)off))
            goto changed;
        if (lg_samples_block_header_decode(buf, h->version, h->block_records, &b, &why))
            goto damaged;
        if (b.count > count - done || (b.count != h->block_records && b.count != count - done)) {
            why = "a block other than the last is not full, or a block holds more records "
                  "than the header announces";
            goto damaged;
        }
        if (size - off - LG_SAMPLES_BLOCK_HEADER_BYTES < b.payload_bytes) {
            why = "the file ends inside a block";
            bad = size - off;
            goto damaged;
        }
        if (!read_at(fd, buf + LG_SAMPLES_BLOCK_HEADER_BYTES, b.payload_bytes,
                     (off_t)(off + LG_SAMPLES_BLOCK_HEADER_BYTES)))
            goto changed;
        if (lg_samples_block_decode(buf, &b, rec, &bad, &why))
            goto damaged;
        for (uint32_t i = 0; i < b.count; i++) {
            run->samples[done + i] = (rpt_sample){
                .scheduled_ns = rec[i].scheduled_ns, .issued_ns = rec[i].issued_ns,
                .completed_ns = rec[i].completed_ns, .index = rec[i].index,
                .status = rec[i].status};
            if (!keep_tokens(run, count, done + i, &rec[i])) {
                rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory for %llu token records",
                              (unsigned long long)count);
                goto out;
            }
        }
        off += LG_SAMPLES_BLOCK_HEADER_BYTES + b.payload_bytes;
        done += b.count;
        nblock++;
    }
    if (off != size) {
        why = "the file holds bytes after its last block";
        bad = 0;
        goto damaged;
    }
    goto out;
changed: /* a short read inside the size the file had when opened, or an I/O error */
    if (errno)
        rc = rpt__err(err, errlen, LG_EIO, "%s: read error at byte %llu: %s", path,
                      (unsigned long long)off, strerror(errno));
    else
        rc = rpt__err(err, errlen, LG_EIO,
                      "%s: the file changed while being read (it ended at byte %llu, before "
                      "the %llu bytes it had when opened): was it truncated or copied over? "
                      "Read it again once it is complete", path, (unsigned long long)off,
                      (unsigned long long)size);
    goto out;
damaged:
    rc = rpt__err(err, errlen, LG_EINVAL,
                      "%s: damaged at byte %llu (block %llu, from record %llu): %s", path,
                      (unsigned long long)(off + bad), (unsigned long long)nblock,
                      (unsigned long long)done, why);
out:
    free(buf);
    free(rec);
    return rc;
}

/* Saturating a + b for b >= 0. */
static int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/*
 * Cross-checks the records against results.json: the counts that results.json derives
 * from the records (timed out: completed -1; completed: a time; failed: a time and a
 * non-zero status; successful latencies) and the ranges every record of a real run
 * keeps (times from 0 to the end of the run, completion after issue). A folder that
 * fails is not the run results.json describes, and its values would overflow the
 * arithmetic of the analyses: the first mismatch is reported. results.json's own
 * counts are checked first, so a folder without samples.bin is checked too.
 */
static int check_consistency(const rpt_run *run, const char *dir, char *err, size_t errlen)
{
    const lg_results *r = &run->info.results;
#define BAD(...) rpt__err(err, errlen, LG_EINVAL, "%s: not a consistent run: " __VA_ARGS__)
    if (r->samples_completed > r->samples_issued ||
        r->samples_timed_out != r->samples_issued - r->samples_completed)
        return BAD("results.json counts %llu samples issued, %llu completed and %llu timed "
                   "out (issued must be completed + timed out)", dir,
                   (unsigned long long)r->samples_issued,
                   (unsigned long long)r->samples_completed,
                   (unsigned long long)r->samples_timed_out);
    if (r->samples_failed > r->samples_completed)
        return BAD("results.json counts %llu failed samples but only %llu completed", dir,
                   (unsigned long long)r->samples_failed,
                   (unsigned long long)r->samples_completed);
    if (r->duration_ns < 0)
        return BAD("results.json gives a negative run duration (durations_ns.run %lld)", dir,
                   (long long)r->duration_ns);
    if (!run->info.has_samples)
        return 0;
    /* A timed-out sample was issued before the run ended, at most one timeout earlier. */
    int64_t end = r->duration_ns;
    end = r->final_issue_ns > end ? r->final_issue_ns : end;
    end = r->final_scheduled_ns > end ? r->final_scheduled_ns : end;
    int64_t issue_end = add_sat(end, run->info.sample_timeout_ns > 0
                                         ? run->info.sample_timeout_ns : 0);
    uint64_t timed_out = 0, completed = 0, failed = 0;
    const rpt_sample *s = run->samples;
    for (size_t i = 0; i < run->n_samples; i++) {
        const rpt_sample *x = &s[i];
        const char *what = NULL;
        if (x->scheduled_ns < 0 || x->scheduled_ns > issue_end)
            what = "scheduled";
        else if (x->issued_ns < 0 || x->issued_ns > issue_end)
            what = "issued";
        else if (x->completed_ns < -1 || x->completed_ns > r->duration_ns)
            what = "completed";
        if (what)
            return BAD("samples.bin record %zu has %s time %lld ns, outside the run (0 to "
                       "%lld ns)", dir, i, what,
                       (long long)(what[0] == 'c' ? x->completed_ns
                                   : what[0] == 's' ? x->scheduled_ns : x->issued_ns),
                       (long long)(what[0] == 'c' ? r->duration_ns : issue_end));
        if (x->completed_ns < 0) {
            if (x->status)
                return BAD("samples.bin record %zu never completed but has status %d", dir,
                           i, (int)x->status);
            timed_out++;
            continue;
        }
        if (x->completed_ns < x->issued_ns)
            return BAD("samples.bin record %zu completed at %lld ns, before it was issued "
                       "(%lld ns)", dir, i, (long long)x->completed_ns,
                       (long long)x->issued_ns);
        completed++;
        failed += x->status != 0;
    }
    static const char *const names[3] = {"timed out", "completed", "failed"};
    static const char *const keys[3] = {"samples_timed_out", "samples_completed",
                                        "samples_failed"};
    const uint64_t got[3] = {timed_out, completed, failed};
    const uint64_t want[3] = {r->samples_timed_out, r->samples_completed, r->samples_failed};
    for (int k = 0; k < 3; k++)
        if (got[k] != want[k])
            return BAD("samples.bin holds %llu %s samples, results.json says %llu "
                       "(counts.%s)", dir, (unsigned long long)got[k], names[k],
                       (unsigned long long)want[k], keys[k]);
    if (r->latency.count != completed - failed)
        return BAD("samples.bin holds %llu successful samples, results.json says %llu "
                   "(latency_ns.count)", dir, (unsigned long long)(completed - failed),
                   (unsigned long long)r->latency.count);
#undef BAD
    return 0;
}

static int read_samples(rpt_run *run, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && run->samples_claimed)
            return rpt__err(err, errlen, LG_EINVAL,
                            "%s: incomplete run folder: results.json says samples.bin was "
                            "written, but it is missing", path);
        if (errno == ENOENT)
            return 0;
        return rpt__err(err, errlen, LG_EIO, "%s: cannot read: %s", path, strerror(errno));
    }
    int rc = 0;
    unsigned char hdr[64];
    struct stat st, after;
    if (fstat(fd, &st)) {
        rc = rpt__err(err, errlen, LG_EIO, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = rpt__err(err, errlen, LG_EINVAL, "%s: is a folder, not a samples file", path);
        goto out;
    }
    if (!read_at(fd, hdr, sizeof hdr, 0)) {
        rc = rpt__err(err, errlen, LG_EINVAL, "%s: too short for the 64-byte header", path);
        goto out;
    }
    lg_samples_header h;
    if (lg_samples_header_decode(hdr, &h)) {
        rc = rpt__err(err, errlen, LG_EINVAL,
                      "%s: damaged at byte 0: not a samples.bin header of version 1, 2 or 3 "
                      "(magic LGSAMPL1, version %u)", path, (unsigned)h.version);
        goto out;
    }
    uint64_t count = h.count;
    uint64_t body = (uint64_t)st.st_size - 64;
    if (h.version == 1 && (body / 32 != count || body % 32)) {
        rc = rpt__err(err, errlen, LG_EINVAL,
                      "%s: damaged at byte %llu: the header says %llu records but the file "
                      "holds %lld bytes (version 1: 32 bytes a record)", path,
                      (unsigned long long)(64 + (body / 32 < count ? body / 32 * 32 : count * 32)),
                      (unsigned long long)count, (long long)st.st_size);
        goto out;
    }
    /* Versions 2 and 3: each block of block_records records takes at least its 16-byte
     * header. */
    if (h.version >= 2 &&
        count / h.block_records + !!(count % h.block_records) > body / 16) {
        rc = rpt__err(err, errlen, LG_EINVAL,
                      "%s: damaged at byte 16: the header says %llu records, more than "
                      "the file's %lld bytes can hold", path, (unsigned long long)count,
                      (long long)st.st_size);
        goto out;
    }
    if (count != run->info.results.samples_issued) {
        rc = rpt__err(err, errlen, LG_EINVAL,
                      "%s: %llu records, but results.json says %llu samples were issued",
                      path, (unsigned long long)count,
                      (unsigned long long)run->info.results.samples_issued);
        goto out;
    }
    if (count > SIZE_MAX / sizeof(rpt_sample)) {
        rc = rpt__err(err, errlen, LG_ENOMEM, "%s: too many records", path);
        goto out;
    }
    if (rpt__samples_read_hook)
        rpt__samples_read_hook(path);
    if ((rc = h.version == 1 ? read_records(run, fd, count, path, err, errlen)
                             : read_blocks(run, fd, &h, (uint64_t)st.st_size, path, err,
                                           errlen)))
        goto out;
    /* A file copied over in place keeps its size but not its modification time. */
    if (fstat(fd, &after) == 0 &&
        (after.st_size != st.st_size || after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
         after.st_mtim.tv_nsec != st.st_mtim.tv_nsec)) {
        rc = rpt__err(err, errlen, LG_EIO,
                      "%s: the file changed while being read (size or modification time "
                      "differ): was it copied over? Read it again once it is complete",
                      path);
        goto out;
    }
    run->n_samples = (size_t)count;
    run->info.has_samples = true;
    /* The end of the time axis, asked for by the validation, the metrics and the charts:
     * found once, here. */
    for (size_t i = 0; i < run->n_samples; i++)
        if (run->samples[i].completed_ns > run->end_ns && run->samples[i].status == 0)
            run->end_ns = run->samples[i].completed_ns;
out:
    close(fd);
    return rc;
}

/* ---------------------------------------------------------------- rpt_run */

static bool has_file(const char *dir, const char *name);

static void free_samples(rpt_run *run)
{
    free(run->tokens);
    run->tokens = NULL;
    if (run->map_len)
        munmap(run->samples, run->map_len);
    else
        free(run->samples);
    run->samples = NULL;
    run->map_len = 0;
}

/* The files a run writes beside results.json (with the default prefix). */
static const char *const run_files[] = {"samples.bin", "mlperf_log_detail.txt",
                                        "mlperf_log_summary.txt", "mlperf_log_accuracy.json"};

/* Whether name is a file being written, "NAME.tmp.PID": the library writes every run
 * file so and renames it when complete, so one left over is an interrupted write. */
static bool is_leftover(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    if (!t || t == name)
        return false;
    const char *d = t + 5;
    if (!*d)
        return false;
    for (; *d; d++)
        if (*d < '0' || *d > '9')
            return false;
    return true;
}

/*
 * Why dir is not a complete run folder, as a message in err (returns LG_EINVAL), or 0
 * when nothing says so. The library writes results.json last, after every other file,
 * and each file under a temporary name first: a folder with run files but no
 * results.json, or with a temporary file left over, is a run that was stopped while its
 * files were written, and its files may be partial.
 */
static int check_complete(const char *dir, bool has_results, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* reading results.json will say why */
    struct dirent *e;
    char left[256] = "";
    while ((e = readdir(d)))
        if (is_leftover(e->d_name)) {
            snprintf(left, sizeof left, "%s", e->d_name);
            break;
        }
    closedir(d);
    if (left[0])
        return rpt__err(err, errlen, LG_EINVAL,
                        "%s: incomplete run folder: %s is the leftover of an interrupted "
                        "write (the run was stopped while its files were written)", dir,
                        left);
    if (has_results)
        return 0;
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++)
        if (has_file(dir, run_files[i]))
            return rpt__err(err, errlen, LG_EINVAL,
                            "%s: incomplete run folder (results.json missing: the run was "
                            "stopped while its files were written; %s is there)", dir,
                            run_files[i]);
    return 0;
}

/* Loads a run folder; its samples too when `samples`. */
static int load_run(const char *dir, bool samples, rpt_run **out, char *err, size_t errlen)
{
    if (!dir || !out)
        return rpt__err(err, errlen, LG_EINVAL, "no folder given");
    *out = NULL;
    int rc = check_complete(dir, has_file(dir, "results.json"), err, errlen);
    if (rc)
        return rc;
    rpt_run *run = calloc(1, sizeof *run);
    if (!run)
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    pthread_mutex_init(&run->series_lock, NULL);
    if (!(run->dir = rpt__strdup(dir))) {
        rpt_run_destroy(run);
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    }
    size_t plen = strlen(dir) + 32;
    char *path = malloc(plen);
    if (!path) {
        rpt_run_destroy(run);
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    }
    snprintf(path, plen, "%s/results.json", dir);
    rc = read_results(run, path, err, errlen);
    if (!rc && samples) {
        snprintf(path, plen, "%s/samples.bin", dir);
        rc = read_samples(run, path, err, errlen);
    }
    free(path);
    if (!rc && samples)
        rc = check_consistency(run, dir, err, errlen);
    if (rc) {
        rpt_run_destroy(run);
        return rc;
    }
    rpt_run_info *in = &run->info;
    in->dir = run->dir;
    in->sut_name = run->sut_name;
    in->qsl_name = run->qsl_name;
    in->loadgen_version = run->version;
    in->start_time_utc = run->start;
    *out = run;
    return 0;
}

int rpt_run_load(const char *dir, rpt_run **out, char *err, size_t errlen)
{
    return load_run(dir, true, out, err, errlen);
}

int rpt_run_load_results(const char *dir, rpt_run **out, char *err, size_t errlen)
{
    return load_run(dir, false, out, err, errlen);
}

void rpt_run_destroy(rpt_run *run)
{
    if (!run)
        return;
    free(run->dir);
    free(run->sut_name);
    free(run->qsl_name);
    free(run->version);
    free(run->start);
    free(run->metric_name);
    free(run->metric_unit);
    for (size_t i = 0; i < run->n_notes; i++) {
        free((char *)run->notes[i].key);
        free((char *)run->notes[i].value);
    }
    free(run->notes);
    free(run->client_errors);
    free(run->client_warnings);
    json_decref(run->client_json);
    free(run->dist_ranks);
    json_decref(run->dist_json);
    free_samples(run);
    free(run->lat);
    free(run->at);
    free(run->sorted);
    pthread_mutex_destroy(&run->series_lock);
    free(run);
}

const rpt_run_info *rpt_run_get_info(const rpt_run *run)
{
    return run ? &run->info : NULL;
}

const rpt_token_sample *rpt_run_token_samples(const rpt_run *run, size_t *n)
{
    if (n)
        *n = run && run->tokens ? run->n_samples : 0;
    return run ? run->tokens : NULL;
}

const rpt_sample *rpt_run_samples(const rpt_run *run, size_t *n)
{
    if (n)
        *n = run ? run->n_samples : 0;
    return run ? run->samples : NULL;
}

/* ---------------------------------------------------------------- series */

/* Makes run->lat, run->at, run->n_lat (caller holds the lock). */
static int make_series(rpt_run *run)
{
    size_t ns = run->n_samples;
    if (!ns)
        return 0;
    double *lat = malloc(ns * sizeof *lat), *at = malloc(ns * sizeof *at);
    if (!lat || !at) {
        free(lat);
        free(at);
        return LG_ENOMEM;
    }
    const rpt_sample *s = run->samples;
    lg_scenario sc = run->info.results.scenario;
    size_t k = 0;
    if (sc == LG_MULTI_STREAM) {
        uint64_t spq = run->info.results.samples_per_query ? run->info.results.samples_per_query
                                                           : 1;
        for (size_t first = 0; first + spq <= ns; first += spq) {
            bool ok = true;
            int64_t worst = INT64_MIN;
            for (size_t j = first; j < first + spq && ok; j++) {
                ok = rpt__sample_ok(&s[j]);
                if (ok && s[j].completed_ns - s[first].scheduled_ns > worst)
                    worst = s[j].completed_ns - s[first].scheduled_ns;
            }
            if (ok) {
                lat[k] = (double)worst;
                at[k++] = (double)s[first].scheduled_ns;
            }
        }
    } else {
        bool off = sc == LG_OFFLINE;
        for (size_t i = 0; i < ns; i++) {
            if (!rpt__sample_ok(&s[i]))
                continue;
            lat[k] = (double)(s[i].completed_ns - s[i].scheduled_ns);
            at[k++] = off ? (double)s[i].completed_ns : (double)s[i].scheduled_ns;
        }
    }
    if (!k) {
        free(lat);
        free(at);
        return 0;
    }
    bool ordered = true;
    for (size_t i = 1; i < k && ordered; i++)
        ordered = at[i] >= at[i - 1];
    run->lat = lat;
    run->at = at;
    run->n_lat = k;
    run->at_ordered = ordered;
    return 0;
}

int rpt__run_series(const rpt_run *crun, bool want_sorted, rpt__series *out)
{
    /* The cache is the run's own (the run is never defined const: rpt_run_load
     * allocates it), so filling it through a const pointer is well defined. */
    rpt_run *run = (rpt_run *)crun;
    int rc = 0;
    pthread_mutex_lock(&run->series_lock);
    if (!run->series_made) {
        rc = make_series(run);
        run->series_made = rc == 0;
    }
    if (!rc && want_sorted && !run->sorted_made && run->n_lat) {
        /* The latencies are whole nanoseconds: sorted as integers (fewer radix passes
         * than doubles' bit patterns need), then turned into doubles in place. */
        size_t n = run->n_lat;
        int64_t *k = malloc(n * sizeof *k);
        if (k) {
            for (size_t i = 0; i < n; i++)
                k[i] = (int64_t)run->lat[i];
            if (stats_sort_i64(k, n, NULL)) {
                free(k);
                k = NULL;
            }
        }
        for (size_t i = 0; k && i < n; i++) {
            double d = (double)k[i];
            memcpy(&k[i], &d, sizeof d);
        }
        run->sorted = (double *)(void *)k;
        run->sorted_made = k != NULL;
        rc = k ? 0 : LG_ENOMEM;
    }
    if (!rc)
        *out = (rpt__series){run->lat, run->at, want_sorted ? run->sorted : NULL, run->n_lat,
                             run->at_ordered};
    pthread_mutex_unlock(&run->series_lock);
    return rc;
}

void rpt__run_release_samples(const rpt_run *crun)
{
    rpt_run *run = (rpt_run *)crun; /* see rpt__run_series */
    pthread_mutex_lock(&run->series_lock);
    free_samples(run);
    free(run->lat);
    free(run->at);
    free(run->sorted);
    run->lat = run->at = run->sorted = NULL;
    run->n_samples = run->n_lat = 0;
    run->series_made = run->sorted_made = false;
    pthread_mutex_unlock(&run->series_lock);
}

int64_t rpt__run_end_ns(const rpt_run *run)
{
    return run->end_ns;
}

void rpt__completion_counts(const rpt_run *run, double width, size_t nw, double *counts)
{
    memset(counts, 0, nw * sizeof *counts);
    for (size_t i = 0; i < run->n_samples; i++) {
        const rpt_sample *s = &run->samples[i];
        if (rpt__sample_ok(s))
            counts[stats_window_of((double)s->completed_ns, width, nw)] += 1.0;
    }
}

double rpt__run_throughput(const rpt_run_info *info)
{
    const lg_results *r = &info->results;
    switch (r->scenario) {
    case LG_SERVER: return r->completed_samples_per_sec;
    case LG_OFFLINE: return r->samples_per_sec;
    case LG_SINGLE_STREAM: return r->qps_with_loadgen_overhead;
    case LG_MULTI_STREAM:
    default:
        return r->duration_ns > 0 ? (double)(r->samples_completed - r->samples_failed) /
                                        ((double)r->duration_ns / 1e9)
                                  : 0.0;
    }
}

/* ---------------------------------------------------------------- rpt_set */

static bool has_file(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static int cmp_u32(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

int rpt_set_load(const char *dir, rpt_set **out, char *err, size_t errlen)
{
    if (!dir || !out)
        return rpt__err(err, errlen, LG_EINVAL, "no folder given");
    *out = NULL;
    struct stat st;
    if (stat(dir, &st))
        return rpt__err(err, errlen, LG_EIO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return rpt__err(err, errlen, LG_EIO, "%s: not a folder", dir);
    rpt_set *set = calloc(1, sizeof *set);
    if (!set || !(set->dir = rpt__strdup(dir))) {
        free(set);
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    }
    int rc = 0;
    unsigned *nums = NULL;
    /* A folder with run files but no results.json is an incomplete run, not a
     * repetition set: rpt_run_load says so. */
    if (has_file(dir, "results.json") || check_complete(dir, false, NULL, 0)) {
        set->kind = RPT_SET_SINGLE_RUN;
        set->runs = calloc(1, sizeof *set->runs);
        if (!set->runs) {
            rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
            goto fail;
        }
        if ((rc = rpt_run_load(dir, &set->runs[0], err, errlen)))
            goto fail;
        set->n = 1;
        *out = set;
        return 0;
    }
    set->kind = RPT_SET_REPETITIONS;
    DIR *d = opendir(dir);
    if (!d) {
        rc = rpt__err(err, errlen, LG_EIO, "%s: %s", dir, strerror(errno));
        goto fail;
    }
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, "rep-", 4) || !e->d_name[4] || e->d_name[4] == '-' ||
            e->d_name[4] == '+')
            continue;
        errno = 0;
        unsigned long v = strtoul(e->d_name + 4, &end, 10);
        if (*end || errno || v == 0 || v > 1000000)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            unsigned *nn = realloc(nums, cap * sizeof *nums);
            if (!nn) {
                closedir(d);
                rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
                goto fail;
            }
            nums = nn;
        }
        nums[n++] = (unsigned)v;
    }
    closedir(d);
    if (!n) {
        rc = rpt__err(err, errlen, LG_EIO,
                      "%s: holds neither results.json (a run) nor rep-1/, rep-2/, ... (a "
                      "repetition set from `loadgen run --repeat N`)", dir);
        goto fail;
    }
    qsort(nums, n, sizeof *nums, cmp_u32);
    set->runs = calloc(n, sizeof *set->runs);
    if (!set->runs) {
        rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/rep-%u", dir, nums[i]);
        if ((rc = rpt_run_load(sub, &set->runs[i], err, errlen)))
            goto fail;
        set->n = i + 1;
    }
    free(nums);
    *out = set;
    return 0;
fail:
    free(nums);
    rpt_set_destroy(set);
    return rc;
}

void rpt_set_destroy(rpt_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        rpt_run_destroy(set->runs[i]);
    free(set->runs);
    free(set->dir);
    free(set);
}

rpt_set_kind rpt_set_get_kind(const rpt_set *set)
{
    return set->kind;
}

const char *rpt_set_dir(const rpt_set *set)
{
    return set->dir;
}

size_t rpt_set_count(const rpt_set *set)
{
    return set->n;
}

const rpt_run *rpt_set_run(const rpt_set *set, size_t i)
{
    return set && i < set->n ? set->runs[i] : NULL;
}
