/*
 * test_logs.c - the files a test writes (loadgen/logs.c), read back the way MLPerf's
 * tools and our own docs (docs/logs.md) read them: mlperf_log_detail.txt line by line as
 * strict JSON with the keys the submission checker needs, mlperf_log_summary.txt against
 * MLPerf's layout and the official LoadGen's reference logs, mlperf_log_accuracy.json,
 * results.json (schema 1) and samples.bin (its header, its records and the p90 they give).
 *
 * Every test runs lg_run_test() in its own mkdtemp folder, removed afterwards.
 */
#include <criterion/criterion.h>

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"
#include "tests/testutil.h"

/*
 * Criterion 2.4.1's runner process leaks a few blocks when tests run in parallel, which
 * makes LeakSanitizer fail ASan builds. Ignore leaks allocated inside libcriterion only.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

/* ---- the test's own folder ----------------------------------------------------------- */

static char g_tmp[64]; /* per test process: Criterion forks one per test */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void tmp_init(void)
{
    snprintf(g_tmp, sizeof g_tmp, "/tmp/lg_test_logs_XXXXXX");
    cr_assert_not_null(mkdtemp(g_tmp), "mkdtemp: %s", strerror(errno));
}

static void tmp_fini(void)
{
    if (g_tmp[0])
        nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_tmp[0] = '\0';
}

#define TMP .init = tmp_init, .fini = tmp_fini

/* ---- small file helpers ---------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "short read of %s", path);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static char *path_in(const char *dir, const char *name)
{
    static char buf[4][PATH_MAX];
    static int k;
    char *p = buf[k++ & 3];
    int n = snprintf(p, PATH_MAX, "%s/%s", dir, name);
    cr_assert(n > 0 && n < PATH_MAX, "path too long");
    return p;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void assert_no_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    struct dirent *e;
    while ((e = readdir(d)))
        cr_expect_null(strstr(e->d_name, ".tmp."), "temporary file left behind: %s/%s", dir,
                       e->d_name);
    closedir(d);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Splits text into lines (without their '\n'); the text is modified. */
static size_t split_lines(char *text, char ***out)
{
    size_t cap = 64, n = 0;
    char **v = malloc(cap * sizeof *v);
    cr_assert_not_null(v);
    char *s = text;
    while (*s) {
        char *nl = strchr(s, '\n');
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            cr_assert_not_null(v);
        }
        v[n++] = s;
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    *out = v;
    return n;
}

/* ---- running a test ------------------------------------------------------------------- */

#define QSL_TOTAL 1024
#define QSL_PERF 256
#define SEED_QSL UINT64_C(2085463073848966840)
#define SEED_INDEX UINT64_C(2747215439041700203)
#define SEED_SCHED UINT64_C(3936089224930324775)

typedef struct run {
    lg_settings s;
    lg_log_settings log;
    lg_results r;
    int rc;
    lg_sut sut;
    const char *qsl_name;
    uint64_t total, perf;
    char dir[PATH_MAX];
} run;

/* Short settings per scenario that give a VALID run with the null SUT. */
static void run_init(run *R, lg_scenario sc)
{
    memset(R, 0, sizeof *R);
    lg_settings *s = &R->s;
    lg_settings_default(s);
    s->scenario = sc;
    s->mode = LG_MODE_PERFORMANCE;
    s->qsl_rng_seed = SEED_QSL;
    s->sample_index_rng_seed = SEED_INDEX;
    s->schedule_rng_seed = SEED_SCHED;
    switch (sc) {
    case LG_SINGLE_STREAM:
    case LG_MULTI_STREAM:
        s->min_duration_ms = 50;
        break;
    case LG_SERVER:
        s->server_target_qps = 10000;
        s->min_duration_ms = 200;
        /* A 1 s bound: a busy 2-core machine must not make the run INVALID. */
        s->server_target_latency_ns = 1000000000;
        break;
    case LG_OFFLINE:
        /* One query of min_query_count samples; with no minimum duration the run is
         * VALID however fast the null SUT answers. */
        s->min_duration_ms = 0;
        s->min_query_count = 4096;
        break;
    }
    lg_log_settings_default(&R->log);
    R->sut = sut_null();
    R->qsl_name = "synthetic";
    R->total = QSL_TOTAL;
    R->perf = QSL_PERF;
}

static void run_go(run *R)
{
    if (!R->dir[0])
        snprintf(R->dir, sizeof R->dir, "%s/logs", g_tmp);
    R->log.outdir = R->dir;
    qsl_synthetic *q = NULL;
    cr_assert_eq(qsl_synthetic_create(R->qsl_name, R->total, R->perf, 8, 0, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    R->rc = lg_run_test(&R->s, &R->sut, &qsl, &R->log, &R->r);
    qsl_synthetic_destroy(q);
}

/* Runs and checks the common outcome: rc 0, the five files, no temporary file. */
static void run_ok(run *R)
{
    run_go(R);
    cr_assert_eq(R->rc, 0, "lg_run_test returned %d (%s)", R->rc, lg_strerror(R->rc));
    const char *prefix = R->log.prefix ? R->log.prefix : "mlperf_log_";
    char name[256];
    static const char *const mlperf[] = {"summary.txt", "detail.txt", "accuracy.json"};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", prefix, mlperf[i]);
        cr_assert(exists(path_in(R->dir, name)), "%s was not written", name);
    }
    cr_assert(exists(path_in(R->dir, "results.json")), "results.json was not written");
    cr_assert_eq(exists(path_in(R->dir, "samples.bin")), R->log.write_samples,
                 "samples.bin written: %d, write_samples: %d",
                 exists(path_in(R->dir, "samples.bin")), R->log.write_samples);
    assert_no_tmp_files(R->dir);
}

static const char *sc_name(lg_scenario sc) { return lg_scenario_name(sc); }

/* ---- the detail log --------------------------------------------------------------------- */

/* Reads mlperf_log_detail.txt, checks every line's shape and returns the entries. */
static json_t *load_detail(const char *dir)
{
    size_t len;
    char *text = slurp(path_in(dir, "mlperf_log_detail.txt"), &len);
    cr_assert_gt(len, 0, "empty detail log");
    cr_assert_eq(text[0], ':', "the first byte of the detail log is 0x%02x, not ':'",
                 (unsigned char)text[0]);
    cr_assert_eq(text[len - 1], '\n', "the detail log does not end with a newline");
    cr_assert_null(memchr(text, '\r', len), "the detail log holds a CR");
    cr_assert_eq(strlen(text), len, "the detail log holds a NUL byte");
    char **lines;
    size_t n = split_lines(text, &lines);
    json_t *entries = json_array();
    long pid = (long)getpid();
    static const char *const top[] = {"key", "value", "time_ms", "namespace", "event_type",
                                      "metadata"};
    static const char *const meta[] = {"is_error", "is_warning", "file", "line_no", "pid",
                                       "tid"};
    double last_time = -1;
    for (size_t i = 0; i < n; i++) {
        const char *l = lines[i];
        cr_assert_eq(strncmp(l, ":::MLLOG ", 9), 0, "line %zu does not start with "
                     "\":::MLLOG \": %.80s", i + 1, l);
        json_error_t err;
        json_t *o = json_loads(l + 9, JSON_REJECT_DUPLICATES, &err);
        cr_assert_not_null(o, "line %zu is not strict JSON (%s at column %d): %.200s", i + 1,
                           err.text, err.column, l);
        cr_assert(json_is_object(o), "line %zu is not a JSON object", i + 1);
        cr_assert_eq(json_object_size(o), 6, "line %zu has %zu members, not 6", i + 1,
                     json_object_size(o));
        /* The members in the reference LoadGen's order. */
        int k = 0;
        for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it), k++)
            cr_assert_str_eq(json_object_iter_key(it), top[k], "line %zu: member %d", i + 1,
                             k);
        json_t *key = json_object_get(o, "key");
        cr_assert(json_is_string(key) && json_string_length(key) > 0,
                  "line %zu: key is not a non-empty string", i + 1);
        json_t *tm = json_object_get(o, "time_ms");
        cr_assert(json_is_number(tm), "line %zu: time_ms is not a number", i + 1);
        cr_assert_geq(json_number_value(tm), 0.0);
        cr_expect_geq(json_number_value(tm), last_time,
                      "line %zu (%s): time_ms %.6f goes back from %.6f", i + 1,
                      json_string_value(key), json_number_value(tm), last_time);
        last_time = json_number_value(tm);
        cr_assert_str_eq(json_string_value(json_object_get(o, "namespace")),
                         "mlperf::logging", "line %zu: namespace", i + 1);
        cr_assert_str_eq(json_string_value(json_object_get(o, "event_type")),
                         "POINT_IN_TIME", "line %zu: event_type", i + 1);
        json_t *md = json_object_get(o, "metadata");
        cr_assert(json_is_object(md), "line %zu: metadata is not an object", i + 1);
        cr_assert_eq(json_object_size(md), 6, "line %zu: metadata has %zu members", i + 1,
                     json_object_size(md));
        k = 0;
        for (void *it = json_object_iter(md); it; it = json_object_iter_next(md, it), k++)
            cr_assert_str_eq(json_object_iter_key(it), meta[k], "line %zu: metadata member %d",
                             i + 1, k);
        cr_assert(json_is_boolean(json_object_get(md, "is_error")), "line %zu: is_error",
                  i + 1);
        cr_assert(json_is_boolean(json_object_get(md, "is_warning")), "line %zu: is_warning",
                  i + 1);
        cr_assert(json_is_string(json_object_get(md, "file")), "line %zu: file", i + 1);
        cr_assert(json_is_integer(json_object_get(md, "line_no")), "line %zu: line_no", i + 1);
        cr_assert(json_is_integer(json_object_get(md, "pid")), "line %zu: pid", i + 1);
        cr_assert(json_is_integer(json_object_get(md, "tid")), "line %zu: tid", i + 1);
        cr_assert_eq(json_integer_value(json_object_get(md, "pid")), pid,
                     "line %zu: pid is not the process's", i + 1);
        cr_assert_gt(json_integer_value(json_object_get(md, "tid")), 0);
        cr_assert_gt(json_integer_value(json_object_get(md, "line_no")), 0);
        json_array_append_new(entries, o);
    }
    free(lines);
    free(text);
    return entries;
}

static json_t *entry(json_t *entries, const char *key)
{
    size_t i;
    json_t *o;
    json_array_foreach(entries, i, o)
        if (!strcmp(json_string_value(json_object_get(o, "key")), key))
            return o;
    return NULL;
}

/* The value of the first entry with this key; fails the test when there is none. */
static json_t *dv(json_t *entries, const char *key)
{
    json_t *o = entry(entries, key);
    cr_assert_not_null(o, "the detail log has no key %s", key);
    return json_object_get(o, "value");
}

static size_t key_count(json_t *entries, const char *key)
{
    size_t i, n = 0;
    json_t *o;
    json_array_foreach(entries, i, o)
        n += !strcmp(json_string_value(json_object_get(o, "key")), key);
    return n;
}

static bool is_error_entry(json_t *o)
{
    return json_is_true(json_object_get(json_object_get(o, "metadata"), "is_error"));
}

static int64_t dint(json_t *entries, const char *key)
{
    json_t *v = dv(entries, key);
    cr_assert(json_is_integer(v), "%s is not a JSON integer", key);
    return (int64_t)json_integer_value(v);
}

static double dnum(json_t *entries, const char *key)
{
    json_t *v = dv(entries, key);
    cr_assert(json_is_number(v), "%s is not a JSON number", key);
    return json_number_value(v);
}

static const char *dstr(json_t *entries, const char *key)
{
    json_t *v = dv(entries, key);
    cr_assert(json_is_string(v), "%s is not a JSON string", key);
    return json_string_value(v);
}

static bool dbool(json_t *entries, const char *key)
{
    json_t *v = dv(entries, key);
    cr_assert(json_is_boolean(v), "%s is not a JSON boolean", key);
    return json_is_true(v);
}

/* A double printed with 6 significant digits ("%g") reads back within 5e-6. */
static void expect_g(double got, double want, const char *what)
{
    double tol = fabs(want) * 1e-5 + 1e-9;
    cr_expect(fabs(got - want) <= tol, "%s: log says %.17g, lg_results %.17g", what, got, want);
}

/* "MM-DD-YYYY HH:MM:SS.mmm" (UTC) to ms since the epoch. */
static int64_t power_ms(const char *s)
{
    cr_assert_eq(strlen(s), 23, "power time '%s' is not 23 characters", s);
    static const char shape[] = "00-00-0000 00:00:00.000";
    for (int i = 0; i < 23; i++) {
        if (shape[i] == '0')
            cr_assert(s[i] >= '0' && s[i] <= '9', "power time '%s': char %d is no digit", s,
                      i);
        else
            cr_assert_eq(s[i], shape[i], "power time '%s': char %d should be '%c'", s, i,
                         shape[i]);
    }
    struct tm tm = {0};
    int ms;
    cr_assert_eq(sscanf(s, "%2d-%2d-%4d %2d:%2d:%2d.%3d", &tm.tm_mon, &tm.tm_mday, &tm.tm_year,
                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms), 7);
    cr_assert(tm.tm_mon >= 1 && tm.tm_mon <= 12 && tm.tm_mday >= 1 && tm.tm_mday <= 31 &&
              tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 61, "power time '%s'", s);
    tm.tm_mon -= 1;
    tm.tm_year -= 1900;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

enum { SS = 1, MS = 2, SV = 4, OF = 8, ALL = 15 };
enum { T_STR, T_INT, T_NUM, T_BOOL };

static unsigned sc_bit(lg_scenario sc) { return 1u << sc; }

/* The keys of the compatibility notes' recipe (§3.2, §3.6) and ours, with JSON types. */
static const struct { const char *key; int type; unsigned where; } g_keys[] = {
    {"effective_scenario", T_STR, ALL},
    {"effective_min_duration_ms", T_INT, ALL},
    {"effective_performance_sample_count", T_INT, ALL},
    {"effective_qsl_rng_seed", T_INT, ALL},
    {"effective_sample_index_rng_seed", T_INT, ALL},
    {"effective_schedule_rng_seed", T_INT, ALL},
    {"effective_sample_concatenate_permutation", T_BOOL, ALL},
    {"early_stopping_met", T_BOOL, SS | MS | SV},
    {"early_stopping_result", T_STR, ALL},
    {"early_stopping_latency_ss", T_INT, SS},
    {"early_stopping_latency_ms", T_INT, SS | MS},
    {"effective_target_latency_ns", T_INT, ALL},
    {"result_completed_samples_per_sec", T_NUM, SV},
    {"effective_samples_per_query", T_INT, ALL},
    {"effective_min_query_count", T_INT, ALL},
    {"result_samples_per_second", T_NUM, OF},
    {"sut_name", T_STR, ALL},
    {"result_validity", T_STR, ALL},
    {"result_min_duration_met", T_BOOL, ALL},
    {"result_min_queries_met", T_BOOL, ALL},
    {"result_perf_constraints_met", T_BOOL, SV},
    {"result_query_count", T_INT, ALL},
    {"result_99.00_percentile_latency_ns", T_INT, ALL},
    {"result_90.00_percentile_latency_ns", T_INT, ALL},
    {"result_mean_latency_ns", T_INT, ALL},
    {"result_min_latency_ns", T_INT, ALL},
    {"result_max_latency_ns", T_INT, ALL},
    {"result_qps_with_loadgen_overhead", T_NUM, SS},
    {"result_qps_without_loadgen_overhead", T_NUM, SS},
    {"result_mean_query_latency_ns", T_INT, MS},
    {"result_99.00_percentile_per_query_latency_ns", T_INT, MS},
    {"result_overlatency_query_count", T_INT, SV},
    {"result_scheduled_samples_per_sec", T_NUM, SV},
    {"power_begin", T_STR, ALL},
    {"power_end", T_STR, ALL},
    {"qsl_reported_total_count", T_INT, ALL},
    {"qsl_reported_performance_count", T_INT, ALL},
    {"effective_accuracy_sample_count", T_INT, ALL},
    {"num_errors", T_INT, ALL},
    /* Ours. */
    {"effective_sample_timeout_ns", T_INT, ALL},
    {"result_samples_issued", T_INT, ALL},
    {"result_samples_completed", T_INT, ALL},
    {"result_samples_failed", T_INT, ALL},
    {"result_samples_timed_out", T_INT, ALL},
    {"result_duplicate_completions", T_INT, ALL},
    {"result_unknown_completions", T_INT, ALL},
    {"result_issue_lag_mean_ns", T_INT, ALL},
    {"result_issue_lag_99.00_percentile_ns", T_INT, ALL},
    {"result_issue_lag_max_ns", T_INT, ALL},
};

static void check_detail_keys_and_types(json_t *e, lg_scenario sc)
{
    for (size_t i = 0; i < sizeof g_keys / sizeof g_keys[0]; i++) {
        if (!(g_keys[i].where & sc_bit(sc)))
            continue;
        const char *k = g_keys[i].key;
        json_t *v = dv(e, k);
        static const char *const names[] = {"string", "integer", "number", "boolean"};
        bool ok = g_keys[i].type == T_STR   ? json_is_string(v)
                  : g_keys[i].type == T_INT ? json_is_integer(v)
                  : g_keys[i].type == T_NUM ? json_is_number(v)
                                            : json_is_boolean(v);
        cr_expect(ok, "%s: %s is not a JSON %s", sc_name(sc), k, names[g_keys[i].type]);
    }
}

/* The checks every performance detail log gets. */
static void check_detail_against_results(json_t *e, const run *R)
{
    const lg_results *r = &R->r;
    const lg_settings *s = &R->s;
    lg_scenario sc = s->scenario;
    check_detail_keys_and_types(e, sc);

    /* num_errors: the last line, equal to the is_error entries and to errors_logged. */
    json_t *last = json_array_get(e, json_array_size(e) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(last, "key")), "num_errors",
                     "the last line is not num_errors");
    size_t i, nerr = 0;
    json_t *o;
    json_array_foreach(e, i, o)
        nerr += is_error_entry(o);
    cr_expect_eq(dint(e, "num_errors"), (int64_t)nerr, "num_errors %lld, is_error lines %zu",
                 (long long)dint(e, "num_errors"), nerr);
    cr_expect_eq((uint64_t)nerr, r->errors_logged);
    cr_expect_eq(key_count(e, "num_errors"), 1);

    cr_expect_str_eq(dstr(e, "effective_scenario"), sc_name(sc));
    cr_expect_str_eq(dstr(e, "effective_test_mode"), "PerformanceOnly");
    cr_expect_str_eq(dstr(e, "sut_name"), R->sut.name);
    cr_expect_str_eq(dstr(e, "result_validity"), r->valid ? "VALID" : "INVALID");
    cr_expect_eq(dbool(e, "result_min_duration_met"),
                 !(r->invalid_reasons & LG_INVALID_MIN_DURATION));
    cr_expect_eq(dbool(e, "result_min_queries_met"),
                 !(r->invalid_reasons & LG_INVALID_MIN_QUERIES));
    cr_expect_eq(dbool(e, "early_stopping_met"), r->early_stopping.met);
    cr_expect_eq(key_count(e, "result_invalid_reason"), r->valid ? 0u : 1u);
    cr_expect_eq((uint64_t)dint(e, "result_query_count"), r->queries_issued);
    cr_expect_eq((uint64_t)dint(e, "effective_min_duration_ms"), s->min_duration_ms);
    cr_expect_eq((uint64_t)dint(e, "effective_performance_sample_count"),
                 r->performance_sample_count);
    cr_expect_eq((uint64_t)dint(e, "effective_performance_sample_count"), R->perf);
    cr_expect_eq((uint64_t)dint(e, "effective_accuracy_sample_count"), r->accuracy_sample_count);
    cr_expect_eq((uint64_t)dint(e, "effective_accuracy_sample_count"), R->total);
    cr_expect_eq((uint64_t)dint(e, "qsl_reported_total_count"), R->total);
    cr_expect_eq((uint64_t)dint(e, "qsl_reported_performance_count"), R->perf);
    cr_expect_eq((uint64_t)dint(e, "effective_qsl_rng_seed"), s->qsl_rng_seed);
    cr_expect_eq((uint64_t)dint(e, "effective_sample_index_rng_seed"), s->sample_index_rng_seed);
    cr_expect_eq((uint64_t)dint(e, "effective_schedule_rng_seed"), s->schedule_rng_seed);
    cr_expect_eq((uint64_t)dint(e, "effective_samples_per_query"), r->samples_per_query);
    cr_expect_eq(dint(e, "result_min_latency_ns"), r->latency.min_ns);
    cr_expect_eq(dint(e, "result_max_latency_ns"), r->latency.max_ns);
    cr_expect_eq(dint(e, "result_mean_latency_ns"), r->latency.mean_ns);
    cr_expect_eq(dint(e, "result_50.00_percentile_latency_ns"), r->latency.p50_ns);
    cr_expect_eq(dint(e, "result_90.00_percentile_latency_ns"), r->latency.p90_ns);
    cr_expect_eq(dint(e, "result_95.00_percentile_latency_ns"), r->latency.p95_ns);
    cr_expect_eq(dint(e, "result_97.00_percentile_latency_ns"), r->latency.p97_ns);
    cr_expect_eq(dint(e, "result_99.00_percentile_latency_ns"), r->latency.p99_ns);
    cr_expect_eq(dint(e, "result_99.90_percentile_latency_ns"), r->latency.p999_ns);
    cr_expect_eq((uint64_t)dint(e, "result_samples_issued"), r->samples_issued);
    cr_expect_eq((uint64_t)dint(e, "result_samples_completed"), r->samples_completed);
    cr_expect_eq((uint64_t)dint(e, "result_samples_failed"), r->samples_failed);
    cr_expect_eq((uint64_t)dint(e, "result_samples_timed_out"), r->samples_timed_out);
    cr_expect_eq((uint64_t)dint(e, "result_duplicate_completions"), r->duplicate_completions);
    cr_expect_eq((uint64_t)dint(e, "result_unknown_completions"), r->unknown_completions);
    cr_expect_eq(dint(e, "result_issue_lag_mean_ns"), r->issue_lag.mean_ns);
    cr_expect_eq(dint(e, "result_issue_lag_99.00_percentile_ns"), r->issue_lag.p99_ns);
    cr_expect_eq(dint(e, "result_issue_lag_max_ns"), r->issue_lag.max_ns);
    cr_expect_gt(dint(e, "effective_sample_timeout_ns"), 0);

    /* The metric under the name lg_results gives. */
    cr_assert_not_null(r->metric_name);
    if (!strcmp(r->metric_unit, "ns"))
        cr_expect_eq(dint(e, r->metric_name), (int64_t)r->metric, "metric %s", r->metric_name);
    else
        expect_g(dnum(e, r->metric_name), r->metric, r->metric_name);

    switch (sc) {
    case LG_SINGLE_STREAM:
        cr_expect_str_eq(r->metric_name, "early_stopping_latency_ss");
        cr_expect_eq(dint(e, "early_stopping_latency_ss"), r->early_stopping.estimate_ns);
        cr_expect_eq(dint(e, "early_stopping_latency_ms"), r->early_stopping.estimate99_ns);
        expect_g(dnum(e, "result_qps_with_loadgen_overhead"), r->qps_with_loadgen_overhead,
                 "result_qps_with_loadgen_overhead");
        expect_g(dnum(e, "result_qps_without_loadgen_overhead"),
                 r->qps_without_loadgen_overhead, "result_qps_without_loadgen_overhead");
        cr_expect_eq(dint(e, "effective_target_latency_ns"), 0);
        break;
    case LG_MULTI_STREAM:
        cr_expect_str_eq(r->metric_name, "early_stopping_latency_ms");
        cr_expect_eq(dint(e, "early_stopping_latency_ms"), r->early_stopping.estimate_ns);
        cr_expect_eq(dint(e, "result_mean_query_latency_ns"), r->query_latency.mean_ns);
        cr_expect_eq(dint(e, "result_min_query_latency_ns"), r->query_latency.min_ns);
        cr_expect_eq(dint(e, "result_max_query_latency_ns"), r->query_latency.max_ns);
        cr_expect_eq(dint(e, "result_99.00_percentile_per_query_latency_ns"),
                     r->query_latency.p99_ns);
        cr_expect_eq(dint(e, "result_50.00_percentile_per_query_latency_ns"),
                     r->query_latency.p50_ns);
        cr_expect_eq((uint64_t)dint(e, "effective_samples_per_query"),
                     s->multi_stream_samples_per_query);
        break;
    case LG_SERVER:
        cr_expect_str_eq(r->metric_name, "result_completed_samples_per_sec");
        cr_expect_eq(dint(e, "effective_target_latency_ns"), s->server_target_latency_ns);
        cr_expect_eq(dbool(e, "result_perf_constraints_met"),
                     !(r->invalid_reasons & LG_INVALID_PERF_CONSTRAINT));
        expect_g(dnum(e, "result_completed_samples_per_sec"), r->completed_samples_per_sec,
                 "result_completed_samples_per_sec");
        expect_g(dnum(e, "result_scheduled_samples_per_sec"), r->scheduled_samples_per_sec,
                 "result_scheduled_samples_per_sec");
        cr_expect_eq((uint64_t)dint(e, "result_overlatency_query_count"), r->overlatency_count);
        break;
    case LG_OFFLINE:
        cr_expect_str_eq(r->metric_name, "result_samples_per_second");
        expect_g(dnum(e, "result_samples_per_second"), r->samples_per_sec,
                 "result_samples_per_second");
        cr_expect_eq(dint(e, "effective_min_query_count"), 1);
        cr_expect_eq(r->queries_issued, 1);
        cr_expect_str_eq(dstr(e, "early_stopping_result"), "");
        break;
    }
    if (sc != LG_OFFLINE)
        cr_expect_eq((uint64_t)dint(e, "effective_min_query_count"), s->min_query_count);

    /* power_begin/power_end: UTC wall time of the pass, end = begin + its length. */
    int64_t b = power_ms(dstr(e, "power_begin")), en = power_ms(dstr(e, "power_end"));
    int64_t now = (int64_t)time(NULL) * 1000;
    cr_expect(b <= now + 1000 && b >= now - 600000, "power_begin %s is not about now (UTC)",
              dstr(e, "power_begin"));
    cr_expect_geq(en, b);
    double dur_ms = (double)r->duration_ns / 1e6;
    cr_expect(fabs((double)(en - b) - dur_ms) <= 25.0,
              "power_end - power_begin = %lld ms, the run lasted %.3f ms", (long long)(en - b),
              dur_ms);
}

/* ---- the summary ------------------------------------------------------------------------- */

typedef struct lines {
    char **v;
    size_t n, cap;
} lines;

static void add(lines *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(lines *L, const char *fmt, ...)
{
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 64;
        L->v = realloc(L->v, L->cap * sizeof *L->v);
        cr_assert_not_null(L->v);
    }
    va_list ap;
    va_start(ap, fmt);
    cr_assert_geq(vasprintf(&L->v[L->n++], fmt, ap), 0);
    va_end(ap);
}

static void lines_free(lines *L)
{
    for (size_t i = 0; i < L->n; i++)
        free(L->v[i]);
    free(L->v);
}

static const char RULER[] = "================================================";

static void add_table(lines *L, const lg_latency_stats *s)
{
    add(L, "Min latency (ns)                : %lld", (long long)s->min_ns);
    add(L, "Max latency (ns)                : %lld", (long long)s->max_ns);
    add(L, "Mean latency (ns)               : %lld", (long long)s->mean_ns);
    add(L, "50.00 percentile latency (ns)   : %lld", (long long)s->p50_ns);
    add(L, "90.00 percentile latency (ns)   : %lld", (long long)s->p90_ns);
    add(L, "95.00 percentile latency (ns)   : %lld", (long long)s->p95_ns);
    add(L, "97.00 percentile latency (ns)   : %lld", (long long)s->p97_ns);
    add(L, "99.00 percentile latency (ns)   : %lld", (long long)s->p99_ns);
    add(L, "99.90 percentile latency (ns)   : %lld", (long long)s->p999_ns);
}

static void add_trailer(lines *L, const lg_results *r)
{
    add(L, "%s", "");
    if (r->warnings_logged == 0)
        add(L, "No warnings encountered during test.");
    else if (r->warnings_logged == 1)
        add(L, "1 warning encountered. See detailed log.");
    else
        add(L, "%llu warnings encountered. See detailed log.",
            (unsigned long long)r->warnings_logged);
    add(L, "%s", "");
    if (r->errors_logged == 0)
        add(L, "No errors encountered during test.");
    else if (r->errors_logged == 1)
        add(L, "1 ERROR encountered. See detailed log.");
    else
        add(L, "%llu ERRORS encountered. See detailed log.",
            (unsigned long long)r->errors_logged);
}

/* The summary §1 of the compatibility notes describes, built from the results. */
static void expected_summary(const run *R, lines *L)
{
    const lg_results *r = &R->r;
    const lg_settings *s = &R->s;
    lg_scenario sc = s->scenario;
    const lg_early_stopping *es = &r->early_stopping;
    unsigned why = r->invalid_reasons;
    double pct = sc == LG_SINGLE_STREAM ? s->single_stream_target_latency_percentile
                 : sc == LG_MULTI_STREAM ? s->multi_stream_target_latency_percentile
                                         : s->server_target_latency_percentile;
    add(L, "%s", RULER);
    add(L, "MLPerf Results Summary");
    add(L, "%s", RULER);
    add(L, "SUT name : %s", R->sut.name);
    add(L, "Scenario : %s", sc_name(sc));
    add(L, "Mode     : PerformanceOnly");
    switch (sc) {
    case LG_SINGLE_STREAM:
        add(L, "%.1fth percentile latency (ns) : %lld", pct * 100, (long long)r->latency.target_ns);
        break;
    case LG_MULTI_STREAM:
        add(L, "%.1fth percentile latency (ns) : %lld", pct * 100,
            (long long)r->query_latency.target_ns);
        break;
    case LG_SERVER:
        add(L, "Completed samples per second    : %.2f", r->completed_samples_per_sec);
        break;
    case LG_OFFLINE:
        add(L, "Samples per second: %g", r->samples_per_sec);
        break;
    }
    add(L, "Result is : %s", r->valid ? "VALID" : "INVALID");
    if (sc == LG_SERVER)
        add(L, "  Performance constraints satisfied : %s",
            why & LG_INVALID_PERF_CONSTRAINT ? "NO" : "Yes");
    add(L, "  Min duration satisfied : %s", why & LG_INVALID_MIN_DURATION ? "NO" : "Yes");
    add(L, "  Min queries satisfied : %s", why & LG_INVALID_MIN_QUERIES ? "NO" : "Yes");
    add(L, "  Early stopping satisfied: %s", why & LG_INVALID_EARLY_STOPPING ? "NO" : "Yes");
    if (!r->valid) {
        add(L, "Recommendations:");
        if (why & LG_INVALID_PERF_CONSTRAINT)
            add(L, " * Reduce target QPS to improve latency.");
        if (why & LG_INVALID_MIN_DURATION)
            add(L, " * %s",
                sc == LG_SERVER ? "Increase the target QPS so the loadgen pre-generates more "
                                  "queries."
                : sc == LG_OFFLINE ? "Increase expected QPS so the loadgen pre-generates a "
                                     "larger (coalesced) query."
                                   : "Decrease the expected latency so the loadgen "
                                     "pre-generates more queries.");
        if (why & LG_INVALID_MIN_QUERIES) {
            add(L, " * The test exited early, before enough queries were issued.");
            add(L, "   See the detailed log for why this may have occurred.");
        }
        static const unsigned ours[] = {LG_INVALID_QSL_FAILURE, LG_INVALID_OUT_OF_MEMORY,
                                        LG_INVALID_FAILED_SAMPLES, LG_INVALID_TIMED_OUT,
                                        LG_INVALID_COMPLETION_ERRORS, LG_INVALID_MAX_LIMIT,
                                        LG_INVALID_ABORTED};
        for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
            if (!(why & ours[i]))
                continue;
            const char *t = lg_invalid_reason_text(ours[i]);
            if (ours[i] == LG_INVALID_FAILED_SAMPLES)
                add(L, " * %s (%llu of %llu samples).", t,
                    (unsigned long long)r->samples_failed,
                    (unsigned long long)r->samples_issued);
            else if (ours[i] == LG_INVALID_TIMED_OUT)
                add(L, " * %s (%llu samples).", t, (unsigned long long)r->samples_timed_out);
            else if (ours[i] == LG_INVALID_COMPLETION_ERRORS)
                add(L, " * %s (%llu twice, %llu unknown, %llu of an impossible size).", t,
                    (unsigned long long)r->duplicate_completions,
                    (unsigned long long)r->unknown_completions,
                    (unsigned long long)r->bad_responses);
            else if (ours[i] == LG_INVALID_OUT_OF_MEMORY)
                add(L, " * %s (%llu samples recorded, %llu responses not logged); free "
                    "memory or shorten the run.", t, (unsigned long long)r->samples_issued,
                    (unsigned long long)r->accuracy_samples_dropped);
            else if (ours[i] == LG_INVALID_QSL_FAILURE)
                add(L, " * %s; see the detail log for its code.", t);
            else
                add(L, " * %s.", t);
        }
    }
    if (sc != LG_OFFLINE) {
        add(L, "Early Stopping Result:");
        if (sc == LG_SERVER && es->met) {
            add(L, " * Run successful.");
        } else if (sc == LG_SERVER) {
            add(L, " * Run unsuccessful.");
            add(L, " * Processed %llu queries.", (unsigned long long)es->queries);
            add(L, " * Would need to run at least %llu more queries,",
                (unsigned long long)es->more_queries_needed);
            add(L, " with the run being successful if every additional");
            add(L, " query were under latency.");
        } else if (!es->met) {
            add(L, " * Only processed %llu queries.", (unsigned long long)es->queries);
            add(L, " * Need to process at least %llu queries for early stopping.",
                (unsigned long long)es->min_queries);
        } else {
            add(L, " * Processed at least %llu queries (%llu).",
                (unsigned long long)es->min_queries, (unsigned long long)es->queries);
            add(L, " * Would discard %llu highest latency queries.",
                (unsigned long long)(es->overlatency - 1));
            add(L, " * Early stopping %.1fth percentile estimate: %lld", pct * 100,
                (long long)es->estimate_ns);
            if (sc == LG_SINGLE_STREAM)
                add(L, " * Early stopping 99.0th percentile estimate: %lld",
                    (long long)es->estimate99_ns);
        }
    }
    add(L, "%s", "");
    add(L, "%s", RULER);
    add(L, "Additional Stats");
    add(L, "%s", RULER);
    switch (sc) {
    case LG_SINGLE_STREAM:
        add(L, "QPS w/ loadgen overhead         : %.2f", r->qps_with_loadgen_overhead);
        add(L, "QPS w/o loadgen overhead        : %.2f", r->qps_without_loadgen_overhead);
        add(L, "%s", "");
        add_table(L, &r->latency);
        break;
    case LG_MULTI_STREAM:
        add(L, "Per-query latency:  ");
        add_table(L, &r->query_latency);
        break;
    case LG_SERVER:
        add(L, "Scheduled samples per second : %.2f", r->scheduled_samples_per_sec);
        add_table(L, &r->latency);
        break;
    case LG_OFFLINE:
        add_table(L, &r->latency);
        break;
    }
    add(L, "%s", "");
    add(L, "%s", RULER);
    add(L, "Test Parameters Used");
    add(L, "%s", RULER);
    double qps = sc == LG_SINGLE_STREAM ? 1e9 / s->single_stream_expected_latency_ns
                 : sc == LG_MULTI_STREAM ? 1e9 / s->multi_stream_expected_latency_ns
                 : sc == LG_SERVER       ? s->server_target_qps
                                         : s->offline_expected_qps;
    add(L, "samples_per_query : %llu", (unsigned long long)r->samples_per_query);
    add(L, "target_qps : %g", qps);
    add(L, "target_latency (ns): %lld",
        (long long)(sc == LG_SERVER ? s->server_target_latency_ns : 0));
    add(L, "max_async_queries : %llu",
        (unsigned long long)(sc == LG_SERVER ? s->server_max_async_queries : 1));
    add(L, "min_duration (ms): %llu", (unsigned long long)s->min_duration_ms);
    add(L, "max_duration (ms): %llu", (unsigned long long)s->max_duration_ms);
    add(L, "min_query_count : %llu",
        (unsigned long long)(sc == LG_OFFLINE ? 1 : s->min_query_count));
    add(L, "max_query_count : %llu", (unsigned long long)s->max_query_count);
    add(L, "qsl_rng_seed : %llu", (unsigned long long)s->qsl_rng_seed);
    add(L, "sample_index_rng_seed : %llu", (unsigned long long)s->sample_index_rng_seed);
    add(L, "schedule_rng_seed : %llu", (unsigned long long)s->schedule_rng_seed);
    add(L, "accuracy_log_rng_seed : %llu", (unsigned long long)s->accuracy_log_rng_seed);
    add(L, "accuracy_log_probability : %g", s->accuracy_log_probability);
    add(L, "accuracy_log_sampling_target : %llu",
        (unsigned long long)s->accuracy_log_sampling_target);
    add(L, "print_timestamps : %d", s->print_timestamps);
    add(L, "performance_issue_unique : %d", s->performance_issue_unique);
    add(L, "performance_issue_same : %d", s->performance_issue_same);
    add(L, "performance_issue_same_index : %llu",
        (unsigned long long)s->performance_issue_same_index);
    add(L, "performance_sample_count : %llu", (unsigned long long)R->perf);
    add(L, "accuracy_sample_count : %llu", (unsigned long long)R->total);
    add_trailer(L, r);
}

static void check_summary(const run *R)
{
    size_t len;
    char *text = slurp(path_in(R->dir, "mlperf_log_summary.txt"), &len);
    cr_assert_gt(len, 0);
    cr_assert_eq(text[len - 1], '\n', "the summary does not end with a newline");
    text[len - 1] = '\0';
    char **got;
    size_t n = split_lines(text, &got);
    lines want = {0};
    expected_summary(R, &want);
    for (size_t i = 0; i < n && i < want.n; i++)
        cr_assert_str_eq(got[i], want.v[i], "%s summary line %zu differs",
                         sc_name(R->s.scenario), i + 1);
    cr_assert_eq(n, want.n, "%s summary has %zu lines, expected %zu", sc_name(R->s.scenario),
                 n, want.n);
    lines_free(&want);
    free(got);
    free(text);
}

/* Replaces every number by '#', the SUT name by <sut> and the trailer counts, so that
 * summaries of different runs compare by their structure. */
static char *shape_of(const char *line)
{
    if (!strncmp(line, "SUT name : ", 11))
        return strdup("SUT name : <sut>");
    if (strstr(line, "warning encountered") || strstr(line, "warnings encountered"))
        return strdup("<warnings>");
    if (strstr(line, "ERROR encountered") || strstr(line, "ERRORS encountered") ||
        strstr(line, "errors encountered"))
        return strdup("<errors>");
    char *out = malloc(strlen(line) + 1), *o = out;
    cr_assert_not_null(out);
    for (const char *c = line; *c;) {
        if (*c >= '0' && *c <= '9') {
            while (*c >= '0' && *c <= '9')
                c++;
            if (*c == '.' && c[1] >= '0' && c[1] <= '9')
                for (c++; *c >= '0' && *c <= '9'; c++)
                    ;
            if ((*c == 'e' || *c == 'E') && (c[1] == '+' || c[1] == '-') && c[2] >= '0' &&
                c[2] <= '9')
                for (c += 2; *c >= '0' && *c <= '9'; c++)
                    ;
            *o++ = '#';
        } else {
            *o++ = *c++;
        }
    }
    *o = '\0';
    return out;
}

static size_t summary_shape(const char *path, char ***out)
{
    char *text = slurp(path, NULL);
    size_t len = strlen(text);
    if (len && text[len - 1] == '\n')
        text[len - 1] = '\0';
    char **l;
    size_t n = split_lines(text, &l);
    char **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = shape_of(l[i]);
    free(l);
    free(text);
    *out = v;
    return n;
}

/* The official LoadGen's logs, when $LOADGEN_REFERENCE_LOGS names a folder of them (one
 * folder per scenario, as the official LoadGen writes them: offline/, multistream/, ...);
 * the tests that compare with them are skipped otherwise. */
static const char *reference_dir(void)
{
    static char dir[PATH_MAX];
    const char *env = getenv("LOADGEN_REFERENCE_LOGS");
    if (!env || !*env || snprintf(dir, sizeof dir, "%s", env) >= (int)sizeof dir)
        return NULL;
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

/* The reference file's path; skips the test (removing its folder first: Criterion does
 * not run .fini after a skip) when the reference logs are not there. Call it before
 * running anything. */
static const char *require_reference(const char *folder, const char *file)
{
    static char path[PATH_MAX];
    const char *ref = reference_dir();
    if (ref && snprintf(path, sizeof path, "%s/%s/%s", ref, folder, file) < PATH_MAX &&
        exists(path))
        return path;
    tmp_fini();
    cr_skip_test("no reference log %s/%s: set LOADGEN_REFERENCE_LOGS to a folder of the "
                 "official LoadGen's logs", folder, file);
    return NULL;
}

/* Compares our summary with the reference summary at path, line by line, by shape. */
static void compare_summary_with_reference(const run *R, const char *path)
{
    char **want, **got;
    size_t nw = summary_shape(path, &want);
    size_t ng = summary_shape(path_in(R->dir, "mlperf_log_summary.txt"), &got);
    for (size_t i = 0; i < nw && i < ng; i++)
        cr_assert_str_eq(got[i], want[i], "%s: line %zu has another shape than the reference "
                         "LoadGen's (%s)", sc_name(R->s.scenario), i + 1, path);
    cr_assert_eq(ng, nw, "%s: %zu lines, the reference has %zu", sc_name(R->s.scenario), ng,
                 nw);
    for (size_t i = 0; i < nw; i++)
        free(want[i]);
    for (size_t i = 0; i < ng; i++)
        free(got[i]);
    free(want);
    free(got);
}

/* The reference detail log's keys (errors and warnings aside) appear in ours, in the
 * same order, with values of the same JSON kind (string, number, boolean, array, object). */
static void compare_detail_keys_with_reference(json_t *ours, const char *path)
{
    char *text = slurp(path, NULL);
    char **l;
    size_t n = split_lines(text, &l);
    size_t pos = 0; /* index in ours of the last matched key */
    for (size_t i = 0; i < n; i++) {
        if (strncmp(l[i], ":::MLLOG ", 9))
            continue;
        json_t *o = json_loads(l[i] + 9, 0, NULL);
        cr_assert_not_null(o, "reference line %zu does not parse", i + 1);
        const char *key = json_string_value(json_object_get(o, "key"));
        if (!strncmp(key, "error_", 6) || !strncmp(key, "warning_", 8) ||
            !strcmp(key, "generic_message")) {
            json_decref(o);
            continue;
        }
        json_t *mine = entry(ours, key);
        cr_expect_not_null(mine, "%s: the reference key %s is missing", path, key);
        if (mine) {
            size_t at = 0;
            for (; at < json_array_size(ours) && json_array_get(ours, at) != mine; at++)
                ;
            cr_expect_geq(at, pos, "%s: key %s comes earlier than in the reference",
                          path, key);
            pos = at;
            json_t *a = json_object_get(o, "value"), *b = json_object_get(mine, "value");
            bool same = json_is_number(a) ? json_is_number(b)
                        : json_is_boolean(a) ? json_is_boolean(b)
                                             : json_typeof(a) == json_typeof(b);
            cr_expect(same, "%s: %s has JSON type %d in the reference, %d in ours", path,
                      key, json_typeof(a), json_typeof(b));
        }
        json_decref(o);
    }
    free(l);
    free(text);
}

/* ---- samples.bin ------------------------------------------------------------------------- */

typedef lg_samples_header sbin_header;
typedef lg_sample_record sbin_record;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Reads samples.bin, checks its header and its size, returns the records. */
static sbin_record *load_samples(const char *dir, sbin_header *h, lg_scenario sc, lg_mode mode)
{
    size_t len;
    char *buf = slurp(path_in(dir, "samples.bin"), &len);
    cr_assert_geq(len, 64, "samples.bin is %zu bytes, shorter than its header", len);
    cr_assert_eq(memcmp(buf, "LGSAMPL1", 8), 0, "samples.bin magic");
    for (int i = 52; i < 64; i++)
        cr_assert_eq(buf[i], 0, "header byte %d is not zero", i);
    free(buf);
    sbin_record *rec = tu_read_samples(path_in(dir, "samples.bin"), h);
    cr_assert_eq(h->version, 3);
    cr_assert_eq(h->record_size, 0);
    cr_assert_eq(h->block_records, LG_SAMPLES_BLOCK_RECORDS);
    cr_assert_eq(h->scenario, (uint32_t)sc);
    cr_assert_eq(h->mode, (uint32_t)mode);
    cr_assert_gt(h->start_ns, 0, "the pass start (CLOCK_MONOTONIC) is not set");
    /* At most the version 2 bound, and never more than version 1's 32 bytes a record. */
    cr_assert_leq(len, 64 + (h->count / LG_SAMPLES_BLOCK_RECORDS + 1) * 16 + h->count * 32,
                  "samples.bin is %zu bytes for %llu records", len,
                  (unsigned long long)h->count);
    return rec;
}

/* Recomputes the percentile as docs/logs.md describes: completed - scheduled over the
 * samples that completed with status 0, sorted, element floor(n * p). */
static int64_t samples_percentile(const sbin_record *rec, uint64_t n, double p, uint64_t *used)
{
    int64_t *lat = malloc((n ? n : 1) * sizeof *lat);
    cr_assert_not_null(lat);
    size_t k = 0;
    for (uint64_t i = 0; i < n; i++)
        if (rec[i].completed_ns >= 0 && rec[i].status == 0)
            lat[k++] = rec[i].completed_ns - rec[i].scheduled_ns;
    qsort(lat, k, sizeof *lat, cmp_i64);
    size_t idx = (size_t)floor((double)k * p);
    if (idx >= k)
        idx = k - 1;
    int64_t v = k ? lat[idx] : 0;
    free(lat);
    if (used)
        *used = k;
    return v;
}

static void check_samples(const run *R, json_t *detail)
{
    sbin_header h;
    lg_scenario sc = R->s.scenario;
    sbin_record *rec = load_samples(R->dir, &h, sc, LG_MODE_PERFORMANCE);
    const lg_results *r = &R->r;
    cr_expect_eq(h.count, r->samples_issued, "samples.bin has %llu records, %llu issued",
                 (unsigned long long)h.count, (unsigned long long)r->samples_issued);
    cr_expect_eq(h.samples_per_query, r->samples_per_query);
    /* Every index is one of the loaded performance set. */
    json_t *set = dv(detail, "loaded_qsl_set");
    cr_assert(json_is_array(set));
    cr_assert_eq(json_array_size(set), R->perf);
    bool *loaded = calloc(R->total, 1);
    size_t i;
    json_t *v;
    json_array_foreach(set, i, v) {
        cr_assert(json_is_integer(v));
        cr_assert_lt((uint64_t)json_integer_value(v), R->total);
        loaded[json_integer_value(v)] = true;
    }
    int64_t prev_sched = INT64_MIN;
    for (uint64_t k = 0; k < h.count; k++) {
        const sbin_record *x = &rec[k];
        cr_assert_lt(x->index, R->total, "record %llu: index %u", (unsigned long long)k,
                     x->index);
        cr_assert(loaded[x->index], "record %llu: index %u is not in loaded_qsl_set",
                  (unsigned long long)k, x->index);
        cr_assert_eq(x->status, 0, "record %llu: status %d from the null SUT",
                     (unsigned long long)k, x->status);
        cr_assert_geq(x->completed_ns, 0, "record %llu never completed", (unsigned long long)k);
        if (sc == LG_OFFLINE) {
            cr_assert_eq(x->scheduled_ns, 0, "Offline record %llu: scheduled %lld",
                         (unsigned long long)k, (long long)x->scheduled_ns);
            cr_assert_eq(x->issued_ns, 0, "Offline record %llu: issued %lld",
                         (unsigned long long)k, (long long)x->issued_ns);
        } else {
            cr_assert_geq(x->scheduled_ns, 0);
            cr_assert_geq(x->scheduled_ns, prev_sched, "record %llu scheduled before the one "
                          "before it", (unsigned long long)k);
            cr_assert_geq(x->issued_ns, x->scheduled_ns, "record %llu issued before its "
                          "scheduled time", (unsigned long long)k);
            cr_assert_geq(x->completed_ns, x->issued_ns, "record %llu completed before it "
                          "was issued", (unsigned long long)k);
            prev_sched = x->scheduled_ns;
        }
        if (sc == LG_MULTI_STREAM && k % h.samples_per_query)
            cr_assert_eq(x->scheduled_ns, rec[k - k % h.samples_per_query].scheduled_ns,
                         "the samples of one MultiStream query share a scheduled time");
    }
    uint64_t used;
    int64_t p90 = samples_percentile(rec, h.count, 0.90, &used);
    cr_expect_eq(used, r->latency.count);
    cr_expect_eq(p90, r->latency.p90_ns, "p90 from samples.bin %lld, results %lld",
                 (long long)p90, (long long)r->latency.p90_ns);
    cr_expect_eq(p90, dint(detail, "result_90.00_percentile_latency_ns"));
    cr_expect_eq(samples_percentile(rec, h.count, 0.99, NULL), r->latency.p99_ns);
    cr_expect_eq(samples_percentile(rec, h.count, 0.0, NULL), r->latency.min_ns);
    cr_expect_eq(samples_percentile(rec, h.count, 1.0, NULL), r->latency.max_ns);
    free(loaded);
    free(rec);
}

/* ---- results.json ---------------------------------------------------------------------- */

static json_t *load_results_json(const char *dir)
{
    json_error_t err;
    json_t *j = json_load_file(path_in(dir, "results.json"), JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(j, "results.json does not parse: %s (line %d)", err.text, err.line);
    cr_assert(json_is_object(j));
    return j;
}

static json_t *jget(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert_not_null(v, "results.json has no member %s", key);
    return v;
}

static int64_t jint(json_t *o, const char *key)
{
    json_t *v = jget(o, key);
    cr_assert(json_is_integer(v), "results.json: %s is not an integer", key);
    return (int64_t)json_integer_value(v);
}

static double jnum(json_t *o, const char *key)
{
    json_t *v = jget(o, key);
    cr_assert(json_is_number(v), "results.json: %s is not a number", key);
    return json_number_value(v);
}

static void check_json_stats(json_t *j, const char *name, const lg_latency_stats *s)
{
    json_t *o = jget(j, name);
    cr_assert(json_is_object(o), "%s is not an object", name);
    cr_expect_eq((uint64_t)jint(o, "count"), s->count, "%s.count", name);
    cr_expect_eq(jint(o, "min"), s->min_ns, "%s.min", name);
    cr_expect_eq(jint(o, "max"), s->max_ns, "%s.max", name);
    cr_expect_eq(jint(o, "mean"), s->mean_ns, "%s.mean", name);
    cr_expect_eq(jint(o, "p50"), s->p50_ns, "%s.p50", name);
    cr_expect_eq(jint(o, "p90"), s->p90_ns, "%s.p90", name);
    cr_expect_eq(jint(o, "p95"), s->p95_ns, "%s.p95", name);
    cr_expect_eq(jint(o, "p97"), s->p97_ns, "%s.p97", name);
    cr_expect_eq(jint(o, "p99"), s->p99_ns, "%s.p99", name);
    cr_expect_eq(jint(o, "p99_9"), s->p999_ns, "%s.p99_9", name);
    cr_expect_eq(jint(o, "target"), s->target_ns, "%s.target", name);
}

static const struct { unsigned flag; const char *code; } g_codes[] = {
    {LG_INVALID_MIN_DURATION, "min_duration"}, {LG_INVALID_MIN_QUERIES, "min_queries"},
    {LG_INVALID_PERF_CONSTRAINT, "perf_constraint"},
    {LG_INVALID_EARLY_STOPPING, "early_stopping"},
    {LG_INVALID_FAILED_SAMPLES, "failed_samples"}, {LG_INVALID_TIMED_OUT, "timed_out"},
    {LG_INVALID_ABORTED, "aborted"}, {LG_INVALID_MAX_LIMIT, "max_limit"},
    {LG_INVALID_COMPLETION_ERRORS, "completion_errors"},
    {LG_INVALID_OUT_OF_MEMORY, "out_of_memory"}, {LG_INVALID_QSL_FAILURE, "qsl_failure"},
};

/* results.json schema 1, as docs/logs.md documents it, against lg_results. */
static void check_results_json(const run *R)
{
    json_t *j = load_results_json(R->dir);
    const lg_results *r = &R->r;
    const lg_settings *s = &R->s;
    lg_scenario sc = s->scenario;
    cr_expect_str_eq(json_string_value(jget(j, "schema")), "loadgen-results");
    cr_expect_eq(jint(j, "schema_version"), 1);
    cr_expect_str_eq(json_string_value(jget(j, "loadgen_version")), lg_version());
    /* The machine the test ran on: this one. */
    json_t *env = jget(j, "environment");
    cr_assert(json_is_object(env), "environment is not an object");
    cr_expect_eq(jint(env, "cores"), sysconf(_SC_NPROCESSORS_ONLN));
    struct utsname u;
    cr_assert_eq(uname(&u), 0);
    cr_expect_str_eq(json_string_value(jget(env, "hostname")), u.nodename);
    cr_expect_not_null(strstr(json_string_value(jget(env, "kernel")), u.release));
    cr_expect_gt(strlen(json_string_value(jget(env, "cpu_model"))), 0);
    const char *cc = json_string_value(jget(env, "compiler"));
    cr_expect(!strncmp(cc, "gcc ", 4) || !strncmp(cc, "clang ", 6), "compiler: %s", cc);
    const char *st = json_string_value(jget(j, "start_time_utc"));
    cr_assert_not_null(st);
    struct tm tm = {0};
    char *end = strptime(st, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cr_expect(end && !*end, "start_time_utc '%s' is not YYYY-MM-DDTHH:MM:SSZ", st);
    if (end && !*end) {
        time_t t = timegm(&tm), now = time(NULL);
        cr_expect(t <= now + 1 && t >= now - 600, "start_time_utc '%s' is not about now (UTC)",
                  st);
    }
    cr_expect_str_eq(json_string_value(jget(j, "sut_name")), R->sut.name);
    cr_expect_str_eq(json_string_value(jget(j, "qsl_name")), R->qsl_name);
    cr_expect_str_eq(json_string_value(jget(j, "scenario")), sc_name(sc));
    cr_expect_str_eq(json_string_value(jget(j, "mode")), lg_mode_name(s->mode));
    cr_expect_str_eq(json_string_value(jget(j, "result_mode")), lg_mode_name(r->mode));
    cr_expect(json_is_boolean(jget(j, "valid")) && json_is_true(jget(j, "valid")) == r->valid);
    cr_expect(json_is_boolean(jget(j, "aborted")) &&
              json_is_true(jget(j, "aborted")) == r->aborted);

    json_t *why = jget(j, "invalid_reasons");
    cr_assert(json_is_array(why));
    size_t k = 0;
    for (size_t i = 0; i < sizeof g_codes / sizeof g_codes[0]; i++) {
        if (!(r->invalid_reasons & g_codes[i].flag))
            continue;
        json_t *o = json_array_get(why, k++);
        cr_assert_not_null(o, "invalid_reasons lacks %s", g_codes[i].code);
        cr_expect_str_eq(json_string_value(json_object_get(o, "code")), g_codes[i].code);
        cr_expect_str_eq(json_string_value(json_object_get(o, "text")),
                         lg_invalid_reason_text(g_codes[i].flag));
    }
    cr_expect_eq(json_array_size(why), k, "invalid_reasons has %zu entries, expected %zu",
                 json_array_size(why), k);

    json_t *m = jget(j, "metric");
    cr_expect_str_eq(json_string_value(jget(m, "name")), r->metric_name);
    cr_expect_str_eq(json_string_value(jget(m, "unit")), r->metric_unit);
    cr_expect_eq(jnum(m, "value"), r->metric, "metric.value %.17g vs %.17g", jnum(m, "value"),
                 r->metric);

    json_t *c = jget(j, "counts");
    cr_expect_eq((uint64_t)jint(c, "queries_issued"), r->queries_issued);
    cr_expect_eq((uint64_t)jint(c, "samples_issued"), r->samples_issued);
    cr_expect_eq((uint64_t)jint(c, "samples_completed"), r->samples_completed);
    cr_expect_eq((uint64_t)jint(c, "samples_failed"), r->samples_failed);
    cr_expect_eq((uint64_t)jint(c, "samples_timed_out"), r->samples_timed_out);
    cr_expect_eq((uint64_t)jint(c, "duplicate_completions"), r->duplicate_completions);
    cr_expect_eq((uint64_t)jint(c, "unknown_completions"), r->unknown_completions);
    cr_expect_eq((uint64_t)jint(c, "late_completions"), r->late_completions);
    cr_expect_eq((uint64_t)jint(c, "accuracy_samples_logged"), r->accuracy_samples_logged);
    cr_expect_eq((uint64_t)jint(c, "errors_logged"), r->errors_logged);
    cr_expect_eq((uint64_t)jint(c, "warnings_logged"), r->warnings_logged);

    check_json_stats(j, "latency_ns", &r->latency);
    if (sc == LG_MULTI_STREAM)
        check_json_stats(j, "query_latency_ns", &r->query_latency);
    else
        cr_expect_null(json_object_get(j, "query_latency_ns"));
    check_json_stats(j, "issue_lag_ns", &r->issue_lag);

    json_t *es = jget(j, "early_stopping");
    cr_expect_eq(json_is_true(jget(es, "applies")), r->early_stopping.applies);
    cr_expect_eq(json_is_true(jget(es, "met")), r->early_stopping.met);
    cr_expect_eq(jnum(es, "percentile"), r->early_stopping.percentile);
    cr_expect_eq((uint64_t)jint(es, "queries"), r->early_stopping.queries);
    cr_expect_eq((uint64_t)jint(es, "min_queries"), r->early_stopping.min_queries);
    cr_expect_eq((uint64_t)jint(es, "overlatency"), r->early_stopping.overlatency);
    cr_expect_eq((uint64_t)jint(es, "more_queries_needed"), r->early_stopping.more_queries_needed);
    cr_expect_eq(jint(es, "estimate_ns"), r->early_stopping.estimate_ns);
    cr_expect_eq(jint(es, "estimate99_ns"), r->early_stopping.estimate99_ns);

    json_t *tp = jget(j, "throughput");
    cr_expect_eq(jnum(tp, "completed_samples_per_sec"), r->completed_samples_per_sec);
    cr_expect_eq(jnum(tp, "scheduled_samples_per_sec"), r->scheduled_samples_per_sec);
    cr_expect_eq(jnum(tp, "samples_per_sec"), r->samples_per_sec);
    cr_expect_eq(jnum(tp, "qps_with_loadgen_overhead"), r->qps_with_loadgen_overhead);
    cr_expect_eq(jnum(tp, "qps_without_loadgen_overhead"), r->qps_without_loadgen_overhead);

    json_t *d = jget(j, "durations_ns");
    cr_expect_eq(jint(d, "run"), r->duration_ns);
    cr_expect_eq(jint(d, "final_issue"), r->final_issue_ns);
    cr_expect_eq(jint(d, "final_scheduled"), r->final_scheduled_ns);
    cr_expect_eq((uint64_t)jint(j, "overlatency_count"), r->overlatency_count);

    json_t *se = jget(j, "settings");
    cr_expect_eq((uint64_t)jint(se, "samples_per_query"), r->samples_per_query);
    double qps = sc == LG_SINGLE_STREAM ? 1e9 / s->single_stream_expected_latency_ns
                 : sc == LG_MULTI_STREAM ? 1e9 / s->multi_stream_expected_latency_ns
                 : sc == LG_SERVER       ? s->server_target_qps
                                         : s->offline_expected_qps;
    cr_expect_eq(jnum(se, "target_qps"), qps);
    cr_expect_eq(jint(se, "target_latency_ns"), sc == LG_SERVER ? s->server_target_latency_ns : 0);
    double pct = sc == LG_SINGLE_STREAM ? s->single_stream_target_latency_percentile
                 : sc == LG_MULTI_STREAM ? s->multi_stream_target_latency_percentile
                 : sc == LG_SERVER       ? s->server_target_latency_percentile
                                         : 0.99;
    cr_expect_eq(jnum(se, "target_latency_percentile"), pct);
    cr_expect_eq((uint64_t)jint(se, "max_async_queries"),
                 sc == LG_SERVER ? s->server_max_async_queries : 1);
    cr_expect_eq((uint64_t)jint(se, "min_duration_ms"), s->min_duration_ms);
    cr_expect_eq((uint64_t)jint(se, "max_duration_ms"), s->max_duration_ms);
    cr_expect_eq((uint64_t)jint(se, "min_query_count"),
                 sc == LG_OFFLINE ? 1 : s->min_query_count);
    cr_expect_eq((uint64_t)jint(se, "max_query_count"), s->max_query_count);
    cr_expect_eq((uint64_t)jint(se, "performance_sample_count"), R->perf);
    cr_expect_eq((uint64_t)jint(se, "accuracy_sample_count"), R->total);
    cr_expect_eq((uint64_t)jint(se, "qsl_rng_seed"), s->qsl_rng_seed);
    cr_expect_eq((uint64_t)jint(se, "sample_index_rng_seed"), s->sample_index_rng_seed);
    cr_expect_eq((uint64_t)jint(se, "schedule_rng_seed"), s->schedule_rng_seed);
    cr_expect_eq((uint64_t)jint(se, "accuracy_log_rng_seed"), s->accuracy_log_rng_seed);
    cr_expect_eq(jnum(se, "accuracy_log_probability"), s->accuracy_log_probability);
    cr_expect_gt(jint(se, "sample_timeout_ns"), 0);
    json_decref(j);
}

/* ---- one performance run per scenario, every file checked -------------------------------- */

static void perf_run(run *R, lg_scenario sc)
{
    run_init(R, sc);
    run_ok(R);
    cr_assert(R->r.valid, "%s run with the null SUT is INVALID (reasons 0x%x)", sc_name(sc),
              R->r.invalid_reasons);
    cr_assert_eq(R->r.scenario, sc);
    cr_assert_eq(R->r.mode, LG_MODE_PERFORMANCE);
    cr_assert_gt(R->r.samples_issued, 0);
}

static const char *ref_folder(lg_scenario sc)
{
    static const char *const f[] = {"singlestream", "multistream", "server", "offline"};
    return f[sc];
}

#define SCENARIO_TESTS(tag, SC)                                                               \
    Test(detail_log, tag##_lines_are_strict_mllog_json_with_typed_keys_matching_results,      \
         .timeout = 60, TMP)                                                                  \
    {                                                                                         \
        run R;                                                                                \
        perf_run(&R, SC);                                                                     \
        json_t *e = load_detail(R.dir);                                                       \
        check_detail_against_results(e, &R);                                                  \
        json_decref(e);                                                                       \
    }                                                                                         \
    Test(detail_log, tag##_holds_every_reference_loadgen_key_in_its_order_and_json_type,      \
         .timeout = 60, TMP)                                                                  \
    {                                                                                         \
        char ref[PATH_MAX];                                                                   \
        snprintf(ref, sizeof ref, "%s",                                                       \
                 require_reference(ref_folder(SC), "mlperf_log_detail.txt"));                 \
        run R;                                                                                \
        perf_run(&R, SC);                                                                     \
        json_t *e = load_detail(R.dir);                                                       \
        compare_detail_keys_with_reference(e, ref);                                           \
        json_decref(e);                                                                       \
    }                                                                                         \
    Test(summary, tag##_matches_mlperf_layout_and_the_results, .timeout = 60, TMP)            \
    {                                                                                         \
        run R;                                                                                \
        perf_run(&R, SC);                                                                     \
        check_summary(&R);                                                                    \
    }                                                                                         \
    Test(summary, tag##_has_the_line_structure_of_the_reference_loadgen, .timeout = 60, TMP)  \
    {                                                                                         \
        char ref[PATH_MAX];                                                                   \
        snprintf(ref, sizeof ref, "%s",                                                       \
                 require_reference(ref_folder(SC), "mlperf_log_summary.txt"));                \
        run R;                                                                                \
        perf_run(&R, SC);                                                                     \
        compare_summary_with_reference(&R, ref);                                              \
    }                                                                                         \
    Test(samples_bin, tag##_header_records_and_recomputed_p90_match_results, .timeout = 60,   \
         TMP)                                                                                 \
    {                                                                                         \
        run R;                                                                                \
        perf_run(&R, SC);                                                                     \
        json_t *e = load_detail(R.dir);                                                       \
        check_samples(&R, e);                                                                 \
        json_decref(e);                                                                       \
    }                                                                                         \
    Test(results_json, tag##_is_schema_1_and_every_field_matches_results, .timeout = 60, TMP) \
    {                                                                                         \
        run R;                                                                                \
        perf_run(&R, SC);                                                                     \
        check_results_json(&R);                                                               \
    }

SCENARIO_TESTS(singlestream, LG_SINGLE_STREAM)
SCENARIO_TESTS(multistream, LG_MULTI_STREAM)
SCENARIO_TESTS(server, LG_SERVER)
SCENARIO_TESTS(offline, LG_OFFLINE)

/* ---- token mode against the official LoadGen's token logs --------------------------------- */

/* The null SUT as an LLM: a first token, then the completion with 8 tokens, both inside
 * the issue call (the official LoadGen's reference token logs come from the same SUT). */
static void null_llm_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)s[i].index;
        lg_response r = {.id = s[i].id, .data = &v, .size = sizeof v, .n_tokens = 8};
        lg_first_token(&r, 1);
        lg_complete(&r, 1);
    }
}

static void token_perf_run(run *R, lg_scenario sc)
{
    run_init(R, sc);
    R->s.use_token_latencies = true;
    R->sut = (lg_sut){.name = "null-llm", .issue = null_llm_issue};
    run_ok(R);
    cr_assert(R->r.valid, "%s token run is INVALID (reasons 0x%x)", sc_name(sc),
              R->r.invalid_reasons);
    cr_assert(R->r.tokens.mlperf);
}

static const char *token_ref_folder(lg_scenario sc)
{
    static const char *const f[] = {"singlestream_tokens", "multistream_tokens",
                                    "server_tokens", "offline_tokens"};
    return f[sc];
}

#define TOKEN_TESTS(tag, SC)                                                                  \
    Test(detail_log, tag##_tokens_hold_every_reference_loadgen_key_in_its_order_and_type,    \
         .timeout = 60, TMP)                                                                  \
    {                                                                                         \
        char ref[PATH_MAX];                                                                   \
        snprintf(ref, sizeof ref, "%s",                                                       \
                 require_reference(token_ref_folder(SC), "mlperf_log_detail.txt"));           \
        run R;                                                                                \
        token_perf_run(&R, SC);                                                               \
        json_t *e = load_detail(R.dir);                                                       \
        compare_detail_keys_with_reference(e, ref);                                           \
        json_decref(e);                                                                       \
    }                                                                                         \
    Test(summary, tag##_tokens_have_the_line_structure_of_the_reference_loadgen,            \
         .timeout = 60, TMP)                                                                  \
    {                                                                                         \
        char ref[PATH_MAX];                                                                   \
        snprintf(ref, sizeof ref, "%s",                                                       \
                 require_reference(token_ref_folder(SC), "mlperf_log_summary.txt"));          \
        run R;                                                                                \
        token_perf_run(&R, SC);                                                               \
        compare_summary_with_reference(&R, ref);                                              \
    }

TOKEN_TESTS(singlestream, LG_SINGLE_STREAM)
TOKEN_TESTS(multistream, LG_MULTI_STREAM)
TOKEN_TESTS(server, LG_SERVER)
TOKEN_TESTS(offline, LG_OFFLINE)

/* The accuracy log of a token run: each entry's members in the reference's order and
 * layout (seq_id, qsl_idx, data, token_data, token_count), the same for every entry. */
Test(accuracy_log, server_tokens_entries_have_the_reference_loadgens_layout, .timeout = 60,
     TMP)
{
    char ref[PATH_MAX];
    snprintf(ref, sizeof ref, "%s",
             require_reference("server_tokens_accuracy", "mlperf_log_accuracy.json"));
    run R;
    run_init(&R, LG_SERVER);
    R.s.use_token_latencies = true;
    R.s.mode = LG_MODE_ACCURACY;
    R.sut = (lg_sut){.name = "null-llm", .issue = null_llm_issue};
    run_ok(&R);
    char *want = slurp(ref, NULL), *got = slurp(path_in(R.dir, "mlperf_log_accuracy.json"),
                                                NULL);
    /* The reference's second line and ours, by shape (numbers and hex as '#'). */
    char *w = strchr(want, '\n'), *g = strchr(got, '\n');
    cr_assert(w && g);
    char *we = strchr(w + 1, '\n'), *ge = strchr(g + 1, '\n');
    cr_assert(we && ge);
    *we = *ge = '\0';
    for (char *c = w; *c; c++)
        if ((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'F'))
            *c = '#';
    for (char *c = g; *c; c++)
        if ((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'F'))
            *c = '#';
    /* Collapse runs of '#'. */
    for (char *s2 = w, *d = w;; s2++) {
        if (!(*s2 == '#' && d > w && d[-1] == '#'))
            *d++ = *s2;
        if (!*s2)
            break;
    }
    for (char *s2 = g, *d = g;; s2++) {
        if (!(*s2 == '#' && d > g && d[-1] == '#'))
            *d++ = *s2;
        if (!*s2)
            break;
    }
    cr_expect_str_eq(g, w);
    free(want);
    free(got);
}

Test(accuracy_log, performance_runs_without_logging_probability_write_an_empty_json_array,
     .timeout = 60, TMP)
{
    run R;
    perf_run(&R, LG_SINGLE_STREAM);
    char *text = slurp(path_in(R.dir, "mlperf_log_accuracy.json"), NULL);
    cr_expect_str_eq(text, "[\n]\n");
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    cr_expect(json_is_array(j) && json_array_size(j) == 0);
    json_decref(j);
    free(text);
    cr_expect_eq(R.r.accuracy_samples_logged, 0);
}

/* ---- INVALID runs ----------------------------------------------------------------------- */

static void server_1ns_run(run *R)
{
    run_init(R, LG_SERVER);
    R->s.server_target_latency_ns = 1;
    R->s.min_duration_ms = 100;
    run_ok(R);
    cr_assert_not(R->r.valid, "a Server run with a 1 ns bound is VALID");
    cr_assert(R->r.invalid_reasons & LG_INVALID_PERF_CONSTRAINT);
    cr_assert(R->r.invalid_reasons & LG_INVALID_EARLY_STOPPING);
    cr_assert_not(R->r.early_stopping.met);
}

Test(summary, invalid_server_lists_the_recommendation_and_the_early_stopping_failure,
     .timeout = 60, TMP)
{
    run R;
    server_1ns_run(&R);
    check_summary(&R);
    char *text = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
    cr_expect_not_null(strstr(text, "\nResult is : INVALID\n"));
    cr_expect_not_null(strstr(text, "\n  Performance constraints satisfied : NO\n"));
    cr_expect_not_null(strstr(text, "\n  Early stopping satisfied: NO\n"));
    cr_expect_not_null(strstr(text, "\nRecommendations:\n * Reduce target QPS to improve "
                                    "latency.\nEarly Stopping Result:\n * Run unsuccessful.\n"
                                    " * Processed "));
    cr_expect_not_null(strstr(text, " more queries,\n with the run being successful if every "
                                    "additional\n query were under latency.\n\n"));
    free(text);
}

Test(summary, invalid_server_has_the_line_structure_of_the_reference_invalid_run,
     .timeout = 60, TMP)
{
    char ref[PATH_MAX];
    snprintf(ref, sizeof ref, "%s",
             require_reference("server_invalid", "mlperf_log_summary.txt"));
    run R;
    server_1ns_run(&R);
    compare_summary_with_reference(&R, ref);
}

Test(detail_log, invalid_server_logs_validity_reason_and_early_stopping_text, .timeout = 60,
     TMP)
{
    run R;
    server_1ns_run(&R);
    json_t *e = load_detail(R.dir);
    check_detail_against_results(e, &R);
    cr_expect_str_eq(dstr(e, "result_validity"), "INVALID");
    cr_expect_not(dbool(e, "result_perf_constraints_met"));
    cr_expect_not(dbool(e, "early_stopping_met"));
    cr_expect_str_eq(dstr(e, "result_invalid_reason"),
                     "Reduce target QPS to improve latency. ");
    char want[512];
    snprintf(want, sizeof want,
             " * Run unsuccessful.  * Processed %llu queries.  * Would need to run at least "
             "%llu more queries,  with the run being successful if every additional  query "
             "were under latency.",
             (unsigned long long)R.r.early_stopping.queries,
             (unsigned long long)R.r.early_stopping.more_queries_needed);
    /* The summary's lines joined with spaces instead of newlines, as MLPerf logs it. */
    cr_expect_str_eq(dstr(e, "early_stopping_result"), want);
    cr_expect_gt(R.r.early_stopping.more_queries_needed, 0);
    cr_expect_eq((uint64_t)dint(e, "result_overlatency_query_count"), R.r.overlatency_count);
    cr_expect_eq(R.r.overlatency_count, R.r.samples_issued,
                 "every sample is over a 1 ns bound");
    json_decref(e);
}

Test(results_json, invalid_server_lists_perf_constraint_and_early_stopping_codes,
     .timeout = 60, TMP)
{
    run R;
    server_1ns_run(&R);
    check_results_json(&R);
    json_t *j = load_results_json(R.dir);
    json_t *why = json_object_get(j, "invalid_reasons");
    bool perf = false, es = false;
    size_t i;
    json_t *o;
    json_array_foreach(why, i, o) {
        const char *c = json_string_value(json_object_get(o, "code"));
        perf |= c && !strcmp(c, "perf_constraint");
        es |= c && !strcmp(c, "early_stopping");
    }
    cr_expect(perf && es, "invalid_reasons lacks perf_constraint or early_stopping");
    cr_expect(json_is_false(json_object_get(j, "valid")));
    json_decref(j);
}

Test(summary, invalid_offline_recommends_a_larger_expected_qps, .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_OFFLINE);
    R.s.min_duration_ms = 50;
    R.s.offline_expected_qps = 1000; /* 100 samples answered in microseconds */
    R.s.min_query_count = 100;
    run_ok(&R);
    cr_assert_not(R.r.valid);
    cr_assert_eq(R.r.invalid_reasons, LG_INVALID_MIN_DURATION);
    check_summary(&R);
    char *text = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
    cr_expect_not_null(strstr(text, "\n  Min duration satisfied : NO\n"
                                    "  Min queries satisfied : Yes\n"
                                    "  Early stopping satisfied: Yes\nRecommendations:\n * "
                                    "Increase expected QPS so the loadgen pre-generates a "
                                    "larger (coalesced) query.\n\n" "================"));
    free(text);
    json_t *e = load_detail(R.dir);
    check_detail_against_results(e, &R);
    cr_expect_not(dbool(e, "result_min_duration_met"));
    json_decref(e);
}

/* ---- errors in the run ------------------------------------------------------------------- */

/* Completes every sample inside issue; every 10th fails with status 5 and every 50th is
 * completed a second time. */
static atomic_uint_fast64_t g_flaky_n;

static void flaky_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = atomic_fetch_add(&g_flaky_n, 1);
        lg_response r = {.id = s[i].id, .status = k % 10 == 9 ? 5 : LG_STATUS_OK};
        lg_complete(&r, 1);
        if (k % 50 == 7)
            lg_complete(&r, 1);
    }
}

Test(detail_log, failed_and_duplicate_completions_are_error_lines_counted_by_num_errors,
     .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    R.sut = (lg_sut){.name = "flaky", .issue = flaky_issue};
    run_ok(&R);
    const lg_results *r = &R.r;
    cr_assert_not(r->valid);
    cr_assert_gt(r->samples_failed, 0);
    cr_assert_gt(r->duplicate_completions, 0);
    cr_expect(r->invalid_reasons & LG_INVALID_FAILED_SAMPLES);
    cr_expect(r->invalid_reasons & LG_INVALID_COMPLETION_ERRORS);
    json_t *e = load_detail(R.dir);
    check_detail_against_results(e, &R);
    cr_expect_geq(dint(e, "num_errors"), 2);
    size_t i, nerr = 0;
    json_t *o;
    json_array_foreach(e, i, o) {
        if (!is_error_entry(o))
            continue;
        nerr++;
        const char *k = json_string_value(json_object_get(o, "key"));
        cr_expect_eq(strncmp(k, "error_", 6), 0, "error line with key %s", k);
        cr_expect(json_is_string(json_object_get(o, "value")));
    }
    cr_expect_eq(nerr, r->errors_logged);
    json_decref(e);
    check_summary(&R); /* the trailer says "<n> ERRORS encountered. See detailed log." */
    char *text = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
    char want[96];
    snprintf(want, sizeof want, "\n%llu ERRORS encountered. See detailed log.\n",
             (unsigned long long)r->errors_logged);
    cr_expect_not_null(strstr(text, want), "summary lacks '%s'", want + 1);
    free(text);
    check_results_json(&R);
}

Test(samples_bin, failed_samples_keep_their_status_and_are_left_out_of_the_percentiles,
     .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    R.sut = (lg_sut){.name = "flaky", .issue = flaky_issue};
    run_ok(&R);
    sbin_header h;
    sbin_record *rec = load_samples(R.dir, &h, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    cr_assert_eq(h.count, R.r.samples_issued);
    uint64_t failed = 0;
    for (uint64_t k = 0; k < h.count; k++) {
        cr_assert(rec[k].status == 0 || rec[k].status == 5, "record %llu status %d",
                  (unsigned long long)k, rec[k].status);
        failed += rec[k].status == 5;
    }
    cr_expect_eq(failed, R.r.samples_failed);
    uint64_t used;
    cr_expect_eq(samples_percentile(rec, h.count, 0.90, &used), R.r.latency.p90_ns);
    cr_expect_eq(used, h.count - failed);
    cr_expect_eq(used, R.r.latency.count);
    free(rec);
}

/* ---- the power window ------------------------------------------------------------------ */

/* Notes the wall time (ms since the epoch, UTC) of the first issue call. */
static int64_t g_first_issue_wall_ms;

static void timed_null_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    if (!g_first_issue_wall_ms) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g_first_issue_wall_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = s[i].id, .status = LG_STATUS_OK};
        lg_complete(&r, 1);
    }
}

static void check_power_window(lg_scenario sc, uint64_t min_query_count)
{
    run R;
    run_init(&R, sc);
    R.s.min_query_count = min_query_count;
    R.log.write_samples = false;
    R.sut = (lg_sut){.name = "timed-null", .issue = timed_null_issue};
    run_ok(&R);
    json_t *e = load_detail(R.dir);
    int64_t b = power_ms(dstr(e, "power_begin")), en = power_ms(dstr(e, "power_end"));
    int64_t issue = g_first_issue_wall_ms, dur = R.r.duration_ns / 1000000;
    /* The pass stamps power_begin just before its first issue call; on a busy machine
     * (sanitizer builds beside other work) the gap has reached 6 ms, so allow 50. A
     * stamp taken at the load of the sample set or at the end would be far outside. */
    cr_expect(b >= issue - 50 && b <= issue + 1,
              "%s: power_begin %s is %lld ms away from the first issue call", sc_name(sc),
              dstr(e, "power_begin"), (long long)(b - issue));
    cr_expect(en >= issue + dur - 50 && en <= issue + dur + 5,
              "%s: power_end %s is %lld ms away from the first issue + the run's %lld ms",
              sc_name(sc), dstr(e, "power_end"), (long long)(en - issue - dur),
              (long long)dur);
    json_decref(e);
}

Test(detail_log, singlestream_power_window_starts_at_the_first_issue_and_lasts_the_run,
     .timeout = 60, TMP)
{
    check_power_window(LG_SINGLE_STREAM, 100);
}

/*
 * Offline: the pass's wall clock start (power_begin) is read before the million sample
 * records of the query are prepared; the query is issued tens of ms later (seconds for
 * a full-size query), and power_end = power_begin + (end - the later monotonic start), so
 * the whole power window sits early by the preparation time (loadgen/run.c: pass_begin
 * reads start_wall_ns, issue_offline then moves start_ns but not start_wall_ns).
 */
Test(detail_log, offline_power_window_starts_when_the_query_is_issued, .timeout = 60, TMP)
{
    check_power_window(LG_OFFLINE, 1000000);
}

/* ---- strings, seeds and settings --------------------------------------------------------- */

static const char WEIRD_NAME[] = "we\"ird \\ na/me\nline2\ttab\x01 \xc3\x9cnic\xc3\xb6" "de";

Test(detail_log, sut_and_qsl_names_with_quotes_backslash_newline_and_controls_are_escaped,
     .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    R.sut.name = WEIRD_NAME;
    R.qsl_name = "q\"s\\l\n";
    run_ok(&R);
    json_t *e = load_detail(R.dir); /* every line still one strict JSON object */
    cr_expect_str_eq(dstr(e, "sut_name"), WEIRD_NAME);
    cr_expect_str_eq(dstr(e, "qsl_name"), "q\"s\\l\n");
    json_decref(e);
    char *text = slurp(path_in(R.dir, "mlperf_log_detail.txt"), NULL);
    cr_expect_not_null(strstr(text, "\"value\": \"we\\\"ird \\\\ na/me\\nline2\\ttab\\u0001 "));
    free(text);
    json_t *j = load_results_json(R.dir);
    cr_expect_str_eq(json_string_value(json_object_get(j, "sut_name")), WEIRD_NAME);
    cr_expect_str_eq(json_string_value(json_object_get(j, "qsl_name")), "q\"s\\l\n");
    json_decref(j);
}

Test(detail_log, seeds_above_int64_max_are_printed_as_unsigned_integers, .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    R.s.schedule_rng_seed = UINT64_C(16159082839903944936); /* MLPerf v6.1's */
    R.s.accuracy_log_rng_seed = UINT64_MAX;
    run_ok(&R);
    char *text = slurp(path_in(R.dir, "mlperf_log_detail.txt"), NULL);
    cr_expect_not_null(strstr(text, "{\"key\": \"effective_schedule_rng_seed\", \"value\": "
                                    "16159082839903944936, \"time_ms\": "));
    cr_expect_not_null(strstr(text, "{\"key\": \"requested_schedule_rng_seed\", \"value\": "
                                    "16159082839903944936, \"time_ms\": "));
    cr_expect_not_null(strstr(text, "{\"key\": \"effective_accuracy_log_rng_seed\", \"value\": "
                                    "18446744073709551615, \"time_ms\": "));
    free(text);
    text = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
    cr_expect_not_null(strstr(text, "\nschedule_rng_seed : 16159082839903944936\n"));
    cr_expect_not_null(strstr(text, "\naccuracy_log_rng_seed : 18446744073709551615\n"));
    free(text);
    text = slurp(path_in(R.dir, "results.json"), NULL);
    cr_expect_not_null(strstr(text, "\"schedule_rng_seed\": 16159082839903944936"));
    free(text);
}

Test(files, log_prefix_renames_the_mlperf_files_and_write_samples_false_skips_samples_bin,
     .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    R.log.prefix = "x_";
    R.log.write_samples = false;
    run_ok(&R);
    cr_expect(exists(path_in(R.dir, "x_summary.txt")));
    cr_expect(exists(path_in(R.dir, "x_detail.txt")));
    cr_expect(exists(path_in(R.dir, "x_accuracy.json")));
    cr_expect(exists(path_in(R.dir, "results.json")));
    cr_expect_not(exists(path_in(R.dir, "samples.bin")));
    cr_expect_not(exists(path_in(R.dir, "mlperf_log_summary.txt")));
    cr_expect_eq(count_entries(R.dir), 4);
}

Test(files, a_missing_nested_log_folder_is_created, .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_OFFLINE);
    snprintf(R.dir, sizeof R.dir, "%s/a/b/c", g_tmp);
    run_ok(&R);
    cr_expect_eq(count_entries(R.dir), 5);
}

Test(files, with_overwrite_an_existing_run_is_replaced_whole, .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_OFFLINE);
    R.log.overwrite = true;
    snprintf(R.dir, sizeof R.dir, "%s/logs", g_tmp);
    cr_assert_eq(mkdir(R.dir, 0777), 0);
    FILE *f = fopen(path_in(R.dir, "results.json"), "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 100000; i++)
        fputs("stale stale stale stale\n", f);
    fclose(f);
    run_ok(&R);
    check_results_json(&R); /* would not parse with stale bytes after the new text */
    cr_expect_eq(count_entries(R.dir), 5);
}

/* A folder that holds a run is refused before the run, as the program refuses it: the
 * distinct LG_EEXIST, a message naming the folder and the file found, nothing issued,
 * the earlier run's files untouched. */
Test(files, a_folder_that_holds_a_run_is_refused_with_eexist_and_left_alone, .timeout = 60,
     TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    run_ok(&R);
    char *before = slurp(path_in(R.dir, "results.json"), NULL);
    char *summary = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
    run R2;
    run_init(&R2, LG_OFFLINE);
    snprintf(R2.dir, sizeof R2.dir, "%s", R.dir);
    run_go(&R2);
    cr_expect_eq(R2.rc, LG_EEXIST, "lg_run_test returned %d (%s), not LG_EEXIST", R2.rc,
                 lg_strerror(R2.rc));
    cr_expect_str_eq(lg_strerror(LG_EEXIST), "the output folder already holds a run");
    cr_expect_eq(R2.r.queries_issued, 0, "the run went ahead");
    cr_expect_not_null(strstr(lg_last_error(), R.dir), "lg_last_error: %s", lg_last_error());
    cr_expect_not_null(strstr(lg_last_error(), "has a run's files (results.json)"),
                       "lg_last_error: %s", lg_last_error());
    cr_expect_not_null(strstr(lg_last_error(), "overwrite"), "lg_last_error: %s",
                       lg_last_error());
    char *after = slurp(path_in(R.dir, "results.json"), NULL);
    cr_expect_str_eq(after, before, "the earlier run's results.json changed");
    free(after);
    after = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
    cr_expect_str_eq(after, summary, "the earlier run's summary changed");
    free(after);
    free(before);
    free(summary);
    cr_expect_eq(count_entries(R.dir), 5);
}

/* Any one of a run's files marks the folder (here the summary alone, as a run killed
 * while writing its logs leaves it), under the prefix in use: another prefix's logs do
 * not, but results.json and samples.bin carry none and always do. */
Test(files, any_run_file_under_the_prefix_in_use_marks_the_folder, .timeout = 60, TMP)
{
    static const struct {
        const char *file, *prefix;
        int rc;
    } cases[] = {{"mlperf_log_summary.txt", NULL, LG_EEXIST},
                 {"mlperf_log_detail.txt", NULL, LG_EEXIST},
                 {"x_summary.txt", "x_", LG_EEXIST},
                 {"mlperf_log_summary.txt", "x_", 0},
                 {"samples.bin", "x_", LG_EEXIST},
                 {"notes.txt", NULL, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run R;
        run_init(&R, LG_SINGLE_STREAM);
        R.log.prefix = cases[i].prefix;
        snprintf(R.dir, sizeof R.dir, "%s/case%zu", g_tmp, i);
        cr_assert_eq(mkdir(R.dir, 0777), 0);
        FILE *f = fopen(path_in(R.dir, cases[i].file), "w");
        cr_assert_not_null(f);
        fclose(f);
        run_go(&R);
        cr_expect_eq(R.rc, cases[i].rc, "%s with prefix %s: lg_run_test returned %d (%s)",
                     cases[i].file, cases[i].prefix ? cases[i].prefix : "(default)", R.rc,
                     lg_strerror(R.rc));
        if (cases[i].rc)
            cr_expect_not_null(strstr(lg_last_error(), cases[i].file), "lg_last_error: %s",
                               lg_last_error());
    }
}

Test(files, an_uncreatable_log_folder_is_refused_before_the_run_with_its_reason,
     .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/plain_file", g_tmp);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(R.dir, sizeof R.dir, "%s/plain_file/logs", g_tmp);
    run_go(&R);
    cr_expect_eq(R.rc, LG_EIO, "lg_run_test returned %d, not LG_EIO", R.rc);
    cr_expect_eq(R.r.queries_issued, 0, "the run went ahead although no log could be kept");
    cr_expect_not_null(strstr(lg_last_error(), "plain_file"), "lg_last_error: %s",
                       lg_last_error());
    cr_expect_not_null(strstr(lg_last_error(), "Not a directory"), "lg_last_error: %s",
                       lg_last_error());
    cr_expect_eq(count_entries(g_tmp), 1, "something was written next to the plain file");
}

/* A log that cannot be written after the run (here a folder stands where results.json
 * goes) returns LG_EIO naming the file and the system error, with the results filled. */
Test(files, a_log_unwritable_after_the_run_returns_eio_and_still_fills_the_results,
     .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    snprintf(R.dir, sizeof R.dir, "%s/logs", g_tmp);
    cr_assert_eq(mkdir(R.dir, 0777), 0);
    cr_assert_eq(mkdir(path_in(R.dir, "results.json"), 0777), 0);
    run_go(&R);
    cr_expect_eq(R.rc, LG_EIO, "lg_run_test returned %d, not LG_EIO", R.rc);
    cr_expect(R.r.valid, "the run itself was fine");
    cr_expect_gt(R.r.samples_issued, 0);
    cr_expect_eq(R.r.samples_completed, R.r.samples_issued);
    cr_expect_gt(R.r.latency.count, 0);
    cr_expect_not_null(strstr(lg_last_error(), "results.json"), "lg_last_error: %s",
                       lg_last_error());
    cr_expect_not_null(strstr(lg_last_error(), "directory"), "lg_last_error: %s",
                       lg_last_error());
    DIR *d = opendir(R.dir);
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d)))
        cr_expect_null(strstr(de->d_name, ".tmp."), "orphan temporary file %s", de->d_name);
    closedir(d);
}

Test(files, an_empty_outdir_writes_no_files_and_returns_zero, .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_OFFLINE);
    char cwd[PATH_MAX];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(g_tmp), 0);
    R.log.outdir = "";
    qsl_synthetic *q = NULL;
    cr_assert_eq(qsl_synthetic_create("synthetic", R.total, R.perf, 8, 0, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    int rc = lg_run_test(&R.s, &R.sut, &qsl, &R.log, &R.r);
    qsl_synthetic_destroy(q);
    cr_assert_eq(chdir(cwd), 0);
    cr_expect_eq(rc, 0);
    cr_expect(R.r.valid);
    cr_expect_eq(count_entries(g_tmp), 0);
}

/* ---- accuracy mode ------------------------------------------------------------------------ */

/* Answers each sample inside issue with 3 bytes: 0xAB, the index's low byte, 0x0C. */
static void echo_issue(void *ctx, const lg_sample *s, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        unsigned char d[3] = {0xAB, (unsigned char)s[i].index, 0x0C};
        lg_response r = {.id = s[i].id, .data = d, .size = sizeof d, .status = 0};
        lg_complete(&r, 1);
    }
}

static void accuracy_run(run *R)
{
    run_init(R, LG_OFFLINE);
    R->s.mode = LG_MODE_ACCURACY;
    R->total = 64;
    R->perf = 16;
    R->sut = (lg_sut){.name = "echo", .issue = echo_issue};
    run_ok(R);
    cr_assert_eq(R->r.mode, LG_MODE_ACCURACY);
    cr_assert(R->r.valid);
}

/* Checks the accuracy log's entries: seq_id 0..n-1 once each, data = echo of qsl_idx in
 * uppercase hex; returns the array (qsl_idx by seq_id). */
static uint64_t *check_accuracy_json(const char *dir, size_t want_n, uint64_t total)
{
    json_error_t err;
    json_t *j = json_load_file(path_in(dir, "mlperf_log_accuracy.json"), JSON_REJECT_DUPLICATES,
                               &err);
    cr_assert_not_null(j, "mlperf_log_accuracy.json does not parse: %s (line %d)", err.text,
                       err.line);
    cr_assert(json_is_array(j));
    cr_assert_eq(json_array_size(j), want_n, "%zu entries, expected %zu", json_array_size(j),
                 want_n);
    uint64_t *by_seq = malloc((want_n ? want_n : 1) * sizeof *by_seq);
    bool *seen = calloc(want_n ? want_n : 1, 1);
    size_t i;
    json_t *o;
    json_array_foreach(j, i, o) {
        cr_assert(json_is_object(o));
        cr_assert_eq(json_object_size(o), 3, "entry %zu has %zu members", i,
                     json_object_size(o));
        json_t *seq = json_object_get(o, "seq_id"), *idx = json_object_get(o, "qsl_idx"),
               *data = json_object_get(o, "data");
        cr_assert(json_is_integer(seq) && json_is_integer(idx) && json_is_string(data),
                  "entry %zu: seq_id, qsl_idx, data", i);
        json_int_t s = json_integer_value(seq), x = json_integer_value(idx);
        cr_assert(s >= 0 && (size_t)s < want_n, "entry %zu: seq_id %lld", i, (long long)s);
        cr_assert_not(seen[s], "seq_id %lld twice", (long long)s);
        seen[s] = true;
        cr_assert(x >= 0 && (uint64_t)x < total, "entry %zu: qsl_idx %lld", i, (long long)x);
        by_seq[s] = (uint64_t)x;
        char want[8];
        snprintf(want, sizeof want, "AB%02X0C", (unsigned)(x & 0xff));
        cr_assert_str_eq(json_string_value(data), want, "entry %zu: data", i);
    }
    free(seen);
    json_decref(j);
    return by_seq;
}

Test(accuracy_log, accuracy_mode_logs_every_sample_once_with_uppercase_hex_data,
     .timeout = 60, TMP)
{
    run R;
    accuracy_run(&R);
    uint64_t *idx = check_accuracy_json(R.dir, 64, 64);
    bool seen[64] = {0};
    for (int i = 0; i < 64; i++) {
        cr_expect_not(seen[idx[i]], "qsl_idx %llu logged twice", (unsigned long long)idx[i]);
        seen[idx[i]] = true;
    }
    free(idx);
    char *text = slurp(path_in(R.dir, "mlperf_log_accuracy.json"), NULL);
    cr_expect_eq(strncmp(text, "[\n{ \"seq_id\" : ", 15), 0, "MLPerf's entry layout");
    cr_expect_not_null(strstr(text, "\" }\n]\n"));
    free(text);
}

Test(summary, accuracy_mode_summary_holds_only_the_trailer, .timeout = 60, TMP)
{
    run R;
    accuracy_run(&R);
    char *text = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
    cr_expect_str_eq(text, "\nNo warnings encountered during test.\n\n"
                           "No errors encountered during test.\n");
    free(text);
    const char *ref = reference_dir();
    if (ref) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/offline_accuracy/mlperf_log_summary.txt", ref);
        if (exists(path)) {
            char *want = slurp(path, NULL);
            text = slurp(path_in(R.dir, "mlperf_log_summary.txt"), NULL);
            cr_expect_str_eq(text, want, "differs from the reference accuracy summary");
            free(text);
            free(want);
        }
    }
}

Test(detail_log, accuracy_mode_has_no_result_keys_and_no_num_errors, .timeout = 60, TMP)
{
    run R;
    accuracy_run(&R);
    json_t *e = load_detail(R.dir);
    size_t i;
    json_t *o;
    json_array_foreach(e, i, o) {
        const char *k = json_string_value(json_object_get(o, "key"));
        cr_expect_neq(strncmp(k, "result_", 7), 0, "accuracy log has %s", k);
    }
    cr_expect_null(entry(e, "num_errors"));
    cr_expect_str_eq(dstr(e, "effective_test_mode"), "AccuracyOnly");
    bool started = false;
    json_array_foreach(e, i, o)
        if (!strcmp(json_string_value(json_object_get(o, "key")), "generic_message") &&
            !strcmp(json_string_value(json_object_get(o, "value")), "Starting accuracy mode"))
            started = true;
    cr_expect(started, "no 'Starting accuracy mode' message");
    power_ms(dstr(e, "power_begin"));
    power_ms(dstr(e, "power_end"));
    json_t *last = json_array_get(e, json_array_size(e) - 1);
    cr_expect_str_eq(json_string_value(json_object_get(last, "key")), "power_end",
                     "the reference accuracy log ends with power_end");
    json_decref(e);
}

Test(results_json, accuracy_mode_reports_accuracy_only, .timeout = 60, TMP)
{
    run R;
    accuracy_run(&R);
    json_t *j = load_results_json(R.dir);
    cr_expect_str_eq(json_string_value(jget(j, "mode")), "AccuracyOnly");
    cr_expect_str_eq(json_string_value(jget(j, "result_mode")), "AccuracyOnly");
    cr_expect(json_is_true(jget(j, "valid")));
    cr_expect_eq(jint(jget(j, "counts"), "samples_issued"), 64);
    cr_expect_eq(jint(jget(j, "counts"), "accuracy_samples_logged"), 64);
    json_decref(j);
    sbin_header h;
    sbin_record *rec = load_samples(R.dir, &h, LG_OFFLINE, LG_MODE_ACCURACY);
    cr_expect_eq(h.count, 64);
    free(rec);
}

Test(accuracy_log, performance_mode_with_probability_1_logs_every_response_in_issue_order,
     .timeout = 60, TMP)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    R.s.min_duration_ms = 0;
    R.s.min_query_count = 1000;
    R.s.accuracy_log_probability = 1.0;
    R.sut = (lg_sut){.name = "echo", .issue = echo_issue};
    run_ok(&R);
    cr_assert_eq(R.r.samples_issued, 1000);
    cr_expect_eq(R.r.accuracy_samples_logged, R.r.samples_issued);
    uint64_t *idx = check_accuracy_json(R.dir, (size_t)R.r.samples_issued, R.total);
    sbin_header h;
    sbin_record *rec = load_samples(R.dir, &h, LG_SINGLE_STREAM, LG_MODE_PERFORMANCE);
    cr_assert_eq(h.count, R.r.samples_issued);
    for (uint64_t k = 0; k < h.count; k++)
        cr_assert_eq(idx[k], rec[k].index, "seq_id %llu: qsl_idx %llu, samples.bin %u",
                     (unsigned long long)k, (unsigned long long)idx[k], rec[k].index);
    free(rec);
    free(idx);
    check_results_json(&R);
}

/* Settings that are accepted but probably a mistake (an expected latency of 1 s with a
 * null SUT: 100 queries would take 100 s at that rate) are logged as a warning and
 * counted, and the run itself is not changed. */
Test(logs, a_settings_warning_is_logged_and_counted, .init = tmp_init, .fini = tmp_fini,
     .timeout = 60)
{
    run R;
    run_init(&R, LG_SINGLE_STREAM);
    R.s.single_stream_expected_latency_ns = 1e9;
    R.s.min_duration_ms = 10;
    char warn[512];
    cr_assert_eq(lg_settings_warnings(&R.s, NULL, warn, sizeof warn), 1);
    cr_expect(strstr(warn, "single_stream_expected_latency_ns = 1000000000: the run is "
                           "expected to take about 100 s"), "%s", warn);
    run_ok(&R);
    json_t *entries = load_detail(R.dir);
    json_t *w = entry(entries, "warning_generic_message");
    cr_assert_not_null(w);
    cr_expect(json_is_true(json_object_get(json_object_get(w, "metadata"), "is_warning")));
    cr_expect(strstr(json_string_value(json_object_get(w, "value")), "expected to take"));
    cr_expect_geq(R.r.warnings_logged, 1);
    json_decref(entries);

    /* The defaults of a Server run warn (1 query per second); a real rate does not. */
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    cr_expect_eq(lg_settings_warnings(&s, NULL, warn, sizeof warn), 1);
    cr_expect(strstr(warn, "server_target_qps = 1: "), "%s", warn);
    s.server_target_qps = 1000;
    cr_expect_eq(lg_settings_warnings(&s, NULL, warn, sizeof warn), 0);
    cr_expect_str_eq(warn, "");
    s.server_target_qps = 0;
    cr_expect_eq(lg_settings_warnings(&s, NULL, warn, sizeof warn), LG_EINVAL);
}
