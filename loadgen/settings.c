/* settings.c: MLPerf's TestSettings defaults, their checks, and the effective settings
 * MLPerf derives from them (its effective_* detail-log keys). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "loadgen/internal.h"

void lg_settings_default(lg_settings *s)
{
    memset(s, 0, sizeof *s);
    s->scenario = LG_SINGLE_STREAM;
    s->mode = LG_MODE_PERFORMANCE;
    s->single_stream_expected_latency_ns = 1e6;
    s->single_stream_target_latency_percentile = 0.90;
    s->multi_stream_expected_latency_ns = 8e6;
    s->multi_stream_target_latency_percentile = 0.99;
    s->multi_stream_samples_per_query = 8;
    s->server_target_qps = 1.0;
    s->server_target_latency_ns = 100000000;
    s->server_target_latency_percentile = 0.99;
    s->offline_expected_qps = 1.0;
    s->min_duration_ms = 10000;
    s->min_query_count = 100;
}

void lg_log_settings_default(lg_log_settings *l)
{
    memset(l, 0, sizeof *l);
    l->prefix = "mlperf_log_";
    l->write_samples = true;
    l->progress_interval_ms = 250;
}

const char *lg_scenario_name(lg_scenario s)
{
    switch (s) {
    case LG_SINGLE_STREAM: return "SingleStream";
    case LG_MULTI_STREAM: return "MultiStream";
    case LG_SERVER: return "Server";
    case LG_OFFLINE: return "Offline";
    }
    return "Unknown";
}

const char *lg_mode_name(lg_mode m)
{
    switch (m) {
    case LG_MODE_SUBMISSION: return "SubmissionRun";
    case LG_MODE_ACCURACY: return "AccuracyOnly";
    case LG_MODE_PERFORMANCE: return "PerformanceOnly";
    }
    return "Unknown";
}

/* Compares ignoring case and the characters '-', '_' and ' '. */
static bool loose_eq(const char *a, const char *b)
{
    for (;;) {
        while (*a == '-' || *a == '_' || *a == ' ')
            a++;
        while (*b == '-' || *b == '_' || *b == ' ')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        a++, b++;
    }
}

typedef struct name_value {
    const char *name;
    int value;
} name_value;

/* Looks name up in a table with loose_eq; returns the value or -1. */
static int lookup(const name_value *t, size_t n, const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (loose_eq(name, t[i].name))
            return t[i].value;
    return -1;
}

int lg_scenario_parse(const char *name, lg_scenario *out)
{
    static const name_value names[] = {
        {"SingleStream", LG_SINGLE_STREAM}, {"ss", LG_SINGLE_STREAM},
        {"MultiStream", LG_MULTI_STREAM},   {"ms", LG_MULTI_STREAM},
        {"Server", LG_SERVER},              {"Offline", LG_OFFLINE},
    };
    int v = lookup(names, sizeof names / sizeof names[0], name);
    if (v < 0)
        return LG_EINVAL;
    *out = (lg_scenario)v;
    return 0;
}

int lg_mode_parse(const char *name, lg_mode *out)
{
    static const name_value names[] = {
        {"PerformanceOnly", LG_MODE_PERFORMANCE}, {"performance", LG_MODE_PERFORMANCE},
        {"AccuracyOnly", LG_MODE_ACCURACY},       {"accuracy", LG_MODE_ACCURACY},
        {"SubmissionRun", LG_MODE_SUBMISSION},    {"submission", LG_MODE_SUBMISSION},
    };
    int v = lookup(names, sizeof names / sizeof names[0], name);
    if (v < 0)
        return LG_EINVAL;
    *out = (lg_mode)v;
    return 0;
}

static int fail(char *msg, size_t len, const char *fmt, const char *key, double v)
{
    if (msg && len)
        snprintf(msg, len, fmt, key, v);
    return LG_EINVAL;
}

static bool open_unit(double p) { return isfinite(p) && p > 0.0 && p < 1.0; }

static int derive(const lg_settings *s, const lg_qsl *qsl, lg__eff *e, char *msg,
                  size_t len);

/* The checks of lg_settings_check; with a QSL, the effective settings derived on the
 * way are left in *e, so that lg__effective derives them (and reads the memory
 * available) once. */
static int check(const lg_settings *s, const lg_qsl *qsl, lg__eff *e, char *msg, size_t len)
{
    if (msg && len)
        msg[0] = '\0';
    for (size_t i = 0; i < sizeof s->reserved / sizeof s->reserved[0]; i++)
        if (s->reserved[i])
            return fail(msg, len, "%s: reserved[%g] is not zero (a program built against a "
                        "newer loadgen.h?); start from lg_settings_default()", "reserved",
                        (double)i);
    if ((unsigned)s->scenario > LG_OFFLINE)
        return fail(msg, len, "%s: unknown scenario %g", "scenario", (double)s->scenario);
    if ((unsigned)s->mode > LG_MODE_PERFORMANCE)
        return fail(msg, len, "%s: unknown mode %g", "mode", (double)s->mode);

    const char *pct = "%s = %g: a percentile must be above 0 and below 1";
    const char *pos = "%s = %g: must be a finite number above 0";
    if (!open_unit(s->single_stream_target_latency_percentile))
        return fail(msg, len, pct, "single_stream_target_latency_percentile",
                    s->single_stream_target_latency_percentile);
    if (!open_unit(s->multi_stream_target_latency_percentile))
        return fail(msg, len, pct, "multi_stream_target_latency_percentile",
                    s->multi_stream_target_latency_percentile);
    if (!open_unit(s->server_target_latency_percentile))
        return fail(msg, len, pct, "server_target_latency_percentile",
                    s->server_target_latency_percentile);
    if (!(isfinite(s->single_stream_expected_latency_ns) &&
          s->single_stream_expected_latency_ns > 0))
        return fail(msg, len, pos, "single_stream_expected_latency_ns",
                    s->single_stream_expected_latency_ns);
    if (!(isfinite(s->multi_stream_expected_latency_ns) &&
          s->multi_stream_expected_latency_ns > 0))
        return fail(msg, len, pos, "multi_stream_expected_latency_ns",
                    s->multi_stream_expected_latency_ns);
    /* Rates: a mean gap of 1e15 ns (11.6 days) at the lowest keeps every schedule's
     * arithmetic in int64_t nanoseconds. */
    const char *rate = "%s = %g: must be a number from 1e-06 to 1e+12 queries per second";
    if (!(s->server_target_qps >= LG_MIN_QPS && s->server_target_qps <= LG_MAX_QPS))
        return fail(msg, len, rate, "server_target_qps", s->server_target_qps);
    if (!(s->offline_expected_qps >= LG_MIN_QPS && s->offline_expected_qps <= LG_MAX_QPS))
        return fail(msg, len, rate, "offline_expected_qps", s->offline_expected_qps);
    if (s->server_target_latency_ns <= 0 || s->server_target_latency_ns > LG__YEAR_NS)
        return fail(msg, len, "%s = %g: must be above 0 and at most a year",
                    "server_target_latency_ns", (double)s->server_target_latency_ns);
    if (s->single_stream_expected_latency_ns > (double)LG__YEAR_NS)
        return fail(msg, len, "%s = %g: more than a year", "single_stream_expected_latency_ns",
                    s->single_stream_expected_latency_ns);
    if (s->multi_stream_expected_latency_ns > (double)LG__YEAR_NS)
        return fail(msg, len, "%s = %g: more than a year", "multi_stream_expected_latency_ns",
                    s->multi_stream_expected_latency_ns);
    if (s->multi_stream_samples_per_query == 0)
        return fail(msg, len, "%s = %g: must be at least 1",
                    "multi_stream_samples_per_query", 0);
    if (s->multi_stream_samples_per_query > (1u << 20))
        return fail(msg, len, "%s = %g: at most 1048576 samples per query",
                    "multi_stream_samples_per_query",
                    (double)s->multi_stream_samples_per_query);
    if (!(s->accuracy_log_probability >= 0.0 && s->accuracy_log_probability <= 1.0))
        return fail(msg, len, "%s = %g: must be in [0, 1]", "accuracy_log_probability",
                    s->accuracy_log_probability);
    if (s->performance_issue_unique && s->performance_issue_same)
        return fail(msg, len, "%s: performance_issue_unique and performance_issue_same "
                    "cannot both be set%.0g", "performance_issue_same", 0);
    if (s->server_num_issue_query_threads > 1)
        return fail(msg, len, "%s = %g: only one issue thread is supported (0 or 1)",
                    "server_num_issue_query_threads",
                    (double)s->server_num_issue_query_threads);
    if (s->warmup_duration_ms > LG__YEAR_MS)
        return fail(msg, len, "%s = %g: more than a year", "warmup_duration_ms",
                    (double)s->warmup_duration_ms);
    if (s->sample_timeout_ns < 0 || s->sample_timeout_ns > LG__YEAR_NS)
        return fail(msg, len, "%s = %g: must be 0 (default) or above, and at most a year",
                    "sample_timeout_ns", (double)s->sample_timeout_ns);
    if (s->max_duration_ms > LG__YEAR_MS)
        return fail(msg, len, "%s = %g: more than a year", "max_duration_ms",
                    (double)s->max_duration_ms);
    if (s->min_query_count > LG__MAX_RECORDS)
        return fail(msg, len, "%s = %g: more than the 2^36 samples one run can record",
                    "min_query_count", (double)s->min_query_count);
    if (s->max_query_count && s->max_query_count < s->min_query_count)
        return fail(msg, len, "%s = %g: below min_query_count", "max_query_count",
                    (double)s->max_query_count);
    if (s->max_duration_ms && s->max_duration_ms < s->min_duration_ms)
        return fail(msg, len, "%s = %g: below min_duration_ms", "max_duration_ms",
                    (double)s->max_duration_ms);
    if (s->min_duration_ms > LG__YEAR_MS)
        return fail(msg, len, "%s = %g: more than a year", "min_duration_ms",
                    (double)s->min_duration_ms);

    if (qsl) {
        if (qsl->total_sample_count == 0)
            return fail(msg, len, "%s = %g: the QSL must hold at least one sample",
                        "total_sample_count", 0);
        if (qsl->total_sample_count > UINT32_MAX)
            return fail(msg, len, "%s = %g: at most 4294967295 samples",
                        "total_sample_count", (double)qsl->total_sample_count);
        if (qsl->performance_sample_count == 0)
            return fail(msg, len, "%s = %g: must be at least 1",
                        "performance_sample_count", 0);
        uint64_t psc = s->performance_sample_count_override
                           ? s->performance_sample_count_override
                           : qsl->performance_sample_count;
        if (psc > qsl->total_sample_count)
            return fail(msg, len, "%s = %g: above the QSL's total sample count",
                        s->performance_sample_count_override
                            ? "performance_sample_count_override"
                            : "performance_sample_count",
                        (double)psc);
        if (s->performance_issue_same && s->performance_issue_same_index >= psc)
            return fail(msg, len, "%s = %g: not below the performance sample count",
                        "performance_issue_same_index",
                        (double)s->performance_issue_same_index);
        if (s->accuracy_sample_count_override > qsl->total_sample_count)
            return fail(msg, len, "%s = %g: above the QSL's total sample count",
                        "accuracy_sample_count_override",
                        (double)s->accuracy_sample_count_override);
        return derive(s, qsl, e, msg, len);
    }
    return 0;
}

int lg_settings_check(const lg_settings *s, const lg_qsl *qsl, char *msg, size_t len)
{
    lg__eff e;
    return check(s, qsl, &e, msg, len);
}

/* A number from the first line of a small file, or UINT64_MAX ("max" or no file). */
static uint64_t read_u64_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return UINT64_MAX;
    unsigned long long v;
    int ok = fscanf(f, "%llu", &v);
    fclose(f);
    return ok == 1 ? (uint64_t)v : UINT64_MAX;
}

uint64_t lg__memory_available(void)
{
    uint64_t avail = UINT64_MAX;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                avail = (uint64_t)kb * 1024;
                break;
            }
        fclose(f);
    }
    /* ulimit -v: the address space left. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        FILE *st = fopen("/proc/self/statm", "r");
        unsigned long long pages = 0;
        if (st) {
            if (fscanf(st, "%llu", &pages) != 1)
                pages = 0;
            fclose(st);
        }
        uint64_t used = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
        uint64_t room = rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;
        if (room < avail)
            avail = room;
    }
    /* A cgroup v2 memory limit (containers, systemd units). */
    uint64_t max = read_u64_file("/sys/fs/cgroup/memory.max");
    uint64_t cur = read_u64_file("/sys/fs/cgroup/memory.current");
    if (max != UINT64_MAX && cur != UINT64_MAX) {
        uint64_t room = max > cur ? max - cur : 0;
        if (room < avail)
            avail = room;
    }
    return avail;
}

/* Refuses a run whose memory would not fit, saying how much it would need: the sample
 * records (known ahead for Server, rate x duration; for Offline, the query size; for
 * an accuracy pass, the accuracy set with a copy of each response), the performance set
 * and the memory taken to compute the results. SingleStream and MultiStream grow with
 * the SUT's speed: their record store is bounded during the run instead (run.c). */
static int check_memory(const lg_settings *s, const lg__eff *e, const lg_qsl *qsl,
                        char *msg, size_t len)
{
    double samples = 0;
    const char *what = "";
    if (e->scenario == LG_SERVER) {
        samples = e->target_qps * (double)e->min_duration_ms / 1000.0 * 1.05;
        if (samples < (double)e->min_query_count)
            samples = (double)e->min_query_count;
        what = "server_target_qps";
    } else if (e->scenario == LG_OFFLINE) {
        samples = (double)e->samples_per_query;
        what = "offline_expected_qps";
    } else if (s->max_query_count) {
        samples = (double)s->max_query_count * (double)e->samples_per_query;
        what = "max_query_count";
    }
    if (e->max_query_count && samples > (double)e->max_query_count * (double)e->samples_per_query)
        samples = (double)e->max_query_count * (double)e->samples_per_query;
    double need = 0;
    bool by_accuracy = false; /* the accuracy pass needs the most */
    if (e->mode == LG_MODE_PERFORMANCE || e->mode == LG_MODE_SUBMISSION) {
        /* Per sample: the 32-byte record, 16 bytes while the results are computed, and
         * for Offline the 16-byte sample handed to the SUT. */
        double per = 48.0 + (e->scenario == LG_OFFLINE ? 16.0 : 0.0);
        need = samples * per;
        if (samples > (double)LG__MAX_RECORDS) {
            if (msg && len)
                snprintf(msg, len, "%s: the run would issue about %.3g samples, more than "
                         "the 2^36 one run can record; lower it or min_duration_ms", what,
                         samples);
            return LG_EINVAL;
        }
        /* The performance set: its indices, and the shuffle that draws it. */
        uint64_t psc = e->performance_sample_count, total = qsl->total_sample_count;
        need += (double)psc * 8.0 + (total > LG__DENSE_SET_RATIO * psc ? 32.0 * (double)psc
                                                                        : 4.0 * (double)total);
    }
    if (e->mode == LG_MODE_ACCURACY || e->mode == LG_MODE_SUBMISSION) {
        /* Every accuracy sample: its record, a copy of its response (48 bytes with no
         * data; the data is the SUT's and unknown here) and 16 bytes for the results. */
        double acc = (double)e->accuracy_sample_count * 96.0;
        by_accuracy = acc > need;
        if (by_accuracy) {
            need = acc;
            what = "accuracy_sample_count";
            samples = (double)e->accuracy_sample_count;
        }
    }
    uint64_t avail = lg__memory_available();
    if (avail != UINT64_MAX && need > (double)avail) {
        if (msg && len)
            snprintf(msg, len, "%s: the run would record about %.3g samples and need about "
                     "%.1f GiB for them, but only %.1f GiB of memory are available; lower "
                     "it%s", what, samples, need / 1073741824.0,
                     (double)avail / 1073741824.0,
                     by_accuracy ? " or the QSL's total sample count" : " or min_duration_ms");
        return LG_EINVAL;
    }
    return 0;
}

int lg__effective(const lg_settings *s, const lg_qsl *qsl, lg__eff *e, char *msg,
                  size_t len)
{
    return check(s, qsl, e, msg, len);
}

static int derive(const lg_settings *s, const lg_qsl *qsl, lg__eff *e, char *msg,
                  size_t len)
{
    memset(e, 0, sizeof *e);
    e->scenario = s->scenario;
    e->mode = s->mode;
    e->samples_per_query = 1;
    e->max_async_queries = 1;
    e->min_duration_ms = s->min_duration_ms;
    e->max_duration_ms = s->max_duration_ms;
    e->min_query_count = s->min_query_count;
    e->max_query_count = s->max_query_count;
    e->target_duration_ms = s->min_duration_ms;
    e->performance_sample_count = s->performance_sample_count_override
                                      ? s->performance_sample_count_override
                                      : qsl->performance_sample_count;
    e->accuracy_sample_count = s->accuracy_sample_count_override
                                   ? s->accuracy_sample_count_override
                                   : qsl->total_sample_count;
    double bound_ns = 0;
    switch (s->scenario) {
    case LG_SINGLE_STREAM:
        e->target_qps = 1e9 / s->single_stream_expected_latency_ns;
        e->target_latency_percentile = s->single_stream_target_latency_percentile;
        bound_ns = s->single_stream_expected_latency_ns;
        break;
    case LG_MULTI_STREAM:
        e->target_qps = 1e9 / s->multi_stream_expected_latency_ns;
        e->target_latency_percentile = s->multi_stream_target_latency_percentile;
        e->samples_per_query = s->multi_stream_samples_per_query;
        bound_ns = s->multi_stream_expected_latency_ns;
        break;
    case LG_SERVER:
        e->target_qps = s->server_target_qps;
        e->target_latency_ns = s->server_target_latency_ns;
        e->target_latency_percentile = s->server_target_latency_percentile;
        e->max_async_queries = s->server_max_async_queries;
        bound_ns = (double)s->server_target_latency_ns;
        break;
    case LG_OFFLINE: {
        e->target_qps = s->offline_expected_qps;
        e->target_latency_percentile = 0.99;
        double want = floor(1.1 * (double)s->min_duration_ms / 1000.0 * e->target_qps);
        if (!(want < 1e12))
            return fail(msg, len, "%s = %g: the Offline query would hold more than 1e12 "
                        "samples; lower offline_expected_qps or min_duration_ms",
                        "offline_expected_qps", e->target_qps);
        uint64_t spq = (uint64_t)want;
        if (spq < s->min_query_count)
            spq = s->min_query_count;
        if (s->performance_issue_unique)
            spq = e->performance_sample_count;
        if (spq == 0)
            spq = 1;
        e->samples_per_query = spq;
        e->min_query_count = 1;
        e->target_duration_ms = 0;
        bound_ns = 1e9 * (double)spq / e->target_qps;
        break;
    }
    }
    e->min_sample_count = e->min_query_count * e->samples_per_query;
    if (s->sample_timeout_ns > 0) {
        e->sample_timeout_ns = s->sample_timeout_ns;
    } else if (s->scenario == LG_OFFLINE) {
        /* The query's expected duration is already the whole run: twice it, and 10 s
         * more, lets a SUT at half the expected rate finish. */
        e->sample_timeout_ns = (int64_t)(2.0 * bound_ns + 1e10);
    } else {
        double t = 100.0 * bound_ns;
        if (t < 1e10)
            t = 1e10;
        if (t > 3.6e12) /* an hour: a bound that large is a typo */
            t = 3.6e12;
        e->sample_timeout_ns = (int64_t)t;
    }
    return check_memory(s, e, qsl, msg, len);
}

int64_t lg_settings_effective_timeout_ns(const lg_settings *s, const lg_qsl *qsl)
{
    lg_qsl one = {.total_sample_count = 1, .performance_sample_count = 1};
    lg__eff e;
    if (!s || lg__effective(s, qsl ? qsl : &one, &e, NULL, 0))
        return 0;
    return e.sample_timeout_ns;
}

const char *lg_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case LG_EINVAL: return "invalid argument or setting";
    case LG_ENOMEM: return "out of memory";
    case LG_EBUSY: return "a test is already running in this process";
    case LG_EIO: return "a file could not be read or written";
    case LG_ESUT: return "the SUT or QSL reported a failure";
    case LG_EEXIST: return "the output folder already holds a run";
    case -EDOM: return "a value is outside the domain of the computation (e.g. too few "
                       "samples, no spread)";
    case -ERANGE: return "a result is out of the range of its type";
    }
    return "unknown error";
}

const char *lg_version(void) { return LG_VERSION_STRING; }

const char *lg_invalid_reason_text(unsigned flag)
{
    switch (flag) {
    case LG_INVALID_MIN_DURATION: return "the run was shorter than min_duration_ms";
    case LG_INVALID_MIN_QUERIES: return "fewer queries than min_query_count were issued";
    case LG_INVALID_PERF_CONSTRAINT:
        return "the latency at the target percentile is over the bound";
    case LG_INVALID_EARLY_STOPPING: return "early stopping was not satisfied";
    case LG_INVALID_FAILED_SAMPLES: return "the SUT reported failed samples";
    case LG_INVALID_TIMED_OUT: return "samples were never completed (timed out)";
    case LG_INVALID_ABORTED: return "the run was aborted";
    case LG_INVALID_MAX_LIMIT:
        return "max_query_count, max_duration_ms or max_async_queries ended the run";
    case LG_INVALID_COMPLETION_ERRORS:
        return "the SUT completed samples twice, completed unknown ids or reported "
               "responses of an impossible size";
    case LG_INVALID_OUT_OF_MEMORY:
        return "memory ran out: the run ended early or responses could not be logged";
    case LG_INVALID_QSL_FAILURE: return "the QSL failed to load samples";
    }
    return "unknown reason";
}
