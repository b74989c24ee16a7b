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
#include "loadgen/settings_table.h"
#include "loadgen/text.h"

void lg_log_settings_default(lg_log_settings *l)
{
    memset(l, 0, sizeof *l);
    l->prefix = "mlperf_log_";
    l->write_samples = true;
    l->progress_interval_ms = 250;
}

const char *lg_scenario_name(lg_scenario s)
{
    return (unsigned)s < LG__NSCENARIOS ? lg__scenario(s)->name : "Unknown";
}

const char *lg_mode_name(lg_mode m)
{
    switch (m) {
    case LG_MODE_SUBMISSION: return "SubmissionRun";
    case LG_MODE_ACCURACY: return "AccuracyOnly";
    case LG_MODE_PERFORMANCE: return "PerformanceOnly";
    case LG_MODE_FIND_PEAK: return "FindPeakPerformance";
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
    for (unsigned i = 0; name && i < LG__NSCENARIOS; i++) {
        const lg__scenario_ops *sc = lg__scenario((lg_scenario)i);
        if (loose_eq(name, sc->name) || (sc->alias && loose_eq(name, sc->alias))) {
            *out = (lg_scenario)i;
            return 0;
        }
    }
    return LG_EINVAL;
}

int lg_mode_parse(const char *name, lg_mode *out)
{
    static const name_value names[] = {
        {"PerformanceOnly", LG_MODE_PERFORMANCE}, {"performance", LG_MODE_PERFORMANCE},
        {"AccuracyOnly", LG_MODE_ACCURACY},       {"accuracy", LG_MODE_ACCURACY},
        {"SubmissionRun", LG_MODE_SUBMISSION},    {"submission", LG_MODE_SUBMISSION},
        {"FindPeakPerformance", LG_MODE_FIND_PEAK}, {"find-peak", LG_MODE_FIND_PEAK},
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
    /* A share of a split schedule (docs/distributed.md). */
    if (s->schedule_stride > 1) {
        if (s->schedule_offset >= s->schedule_stride)
            return fail(msg, len, "%s = %g: must be below schedule_stride", "schedule_offset",
                        (double)s->schedule_offset);
        if (s->scenario != LG_SERVER && s->scenario != LG_OFFLINE)
            return fail(msg, len, "%s = %g: a split schedule is for Server and Offline only "
                        "(a SingleStream or MultiStream query waits for the one before it)",
                        "schedule_stride", (double)s->schedule_stride);
        if (s->mode != LG_MODE_PERFORMANCE)
            return fail(msg, len, "%s = %g: a split schedule runs PerformanceOnly",
                        "schedule_stride", (double)s->schedule_stride);
        if (s->server_coalesce_queries)
            return fail(msg, len, "%s = %g: not with server_coalesce_queries",
                        "schedule_stride", (double)s->schedule_stride);
        if (s->scenario == LG_SERVER && s->server_num_issue_query_threads > 1)
            return fail(msg, len, "%s = %g: not with server_num_issue_query_threads "
                        "above 1 (a share of a split schedule is issued by one thread; run "
                        "more ranks instead)", "schedule_stride", (double)s->schedule_stride);
    } else if (s->schedule_offset) {
        return fail(msg, len, "%s = %g: needs schedule_stride > 1", "schedule_offset",
                    (double)s->schedule_offset);
    }
    if (s->start_realtime_ns < 0)
        return fail(msg, len, "%s = %g: must be >= 0 (0 = start at once)", "start_realtime_ns",
                    (double)s->start_realtime_ns);
    /* MLPerf's features that this LoadGen does not have, named as such rather than as
     * a value out of range. */
    /* MLPerf's FindPeakPerformance searches the Server rate only; MLPerf logs this
     * message and returns, this LoadGen refuses the settings with it. */
    if (s->mode == LG_MODE_FIND_PEAK && s->scenario != LG_SERVER && !s->test05)
        return fail(msg, len, "%s = %g: " LG_PEAK_NOT_SERVER, "mode", 3);
    /* Each field against its own range (the settings table), then the rules that
     * tie fields together. */
    int rc = lg__fields_check(s, msg, len);
    if (rc)
        return rc;
    if (s->server_issue_threads_registered && !s->server_num_issue_query_threads)
        return fail(msg, len, "%s = %g: set server_num_issue_query_threads to the number of "
                    "threads the harness registers", "server_issue_threads_registered", 1);
    if (s->no_sample_timeout && s->sample_timeout_ns)
        return fail(msg, len, "%s = %g: no_sample_timeout is set too; choose one",
                    "sample_timeout_ns", (double)s->sample_timeout_ns);
    if (s->performance_issue_unique && s->performance_issue_same)
        return fail(msg, len, "%s: performance_issue_unique and performance_issue_same "
                    "cannot both be set", "performance_issue_same", 0);
    if (s->max_query_count && s->max_query_count < s->min_query_count)
        return fail(msg, len, "%s = %g: below min_query_count", "max_query_count",
                    (double)s->max_query_count);
    if (s->server_target_latency_ns == 0 && !s->use_token_latencies)
        return fail(msg, len, "%s = %g: must be above 0; 0 is allowed only with "
                    "use_token_latencies, which judges TTFT and TPOT instead",
                    "server_target_latency_ns", 0);
    if (s->max_duration_ms && s->max_duration_ms < s->min_duration_ms)
        return fail(msg, len, "%s = %g: below min_duration_ms", "max_duration_ms",
                    (double)s->max_duration_ms);
    if ((rc = lg__arrival_check(s, NULL, 0, msg, len)))
        return rc;
    if (s->record_hdr && s->scenario == LG_MULTI_STREAM)
        return fail(msg, len, "%s = %g: MultiStream's per-query latency needs every "
                    "sample's record; record_hdr supports SingleStream, Server and Offline",
                    "record_hdr", 1);
    if (s->record_hdr && s->scenario == LG_SERVER &&
        (s->server_num_issue_query_threads > 1 || s->server_issue_threads_registered))
        return fail(msg, len, "%s = %g: several issue threads leave records unissued "
                    "behind the others where the retirer expects them done; use one issue "
                    "thread (server_num_issue_query_threads 0 or 1) with record_hdr",
                    "record_hdr", 1);
    if (s->record_hdr && s->mode == LG_MODE_FIND_PEAK)
        return fail(msg, len, "%s = %g: a peak search's probes are short and its watch reads "
                    "every sample's record as they run; search without record_hdr",
                    "record_hdr", 1);
    if (s->record_hdr && (s->use_token_latencies || s->slo_ttft_ns || s->slo_tpot_ns ||
                          s->slo_e2e_ns))
        return fail(msg, len, "%s = %g: token latencies and goodput SLOs need every "
                    "sample's record; turn off use_token_latencies and slo_* or record_hdr",
                    "record_hdr", 1);

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
        if ((rc = lg__arrival_check(s, qsl, psc, msg, len)))
            return rc;
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
    const char *what = "";
    double samples = lg__scenario(e->scenario)->expected_samples(s, e, &what);
    if (e->max_query_count && samples > (double)e->max_query_count * (double)e->samples_per_query)
        samples = (double)e->max_query_count * (double)e->samples_per_query;
    double need = 0;
    bool by_accuracy = false; /* the accuracy pass needs the most */
    if (e->mode == LG_MODE_PERFORMANCE || e->mode == LG_MODE_SUBMISSION) {
        /* Per sample: the 32-byte record, 16 bytes while the results are computed, and
         * for Offline the 16-byte sample handed to the SUT. */
        double per = 48.0 + (lg__scenario(e->scenario)->one_query ? 16.0 : 0.0);
        /* record_hdr keeps a few chunks of records whatever the length (Offline's one
         * query still holds all of its samples at once). */
        if (e->hdr && !lg__scenario(e->scenario)->one_query)
            per = 0;
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
    /* TEST05 is a performance run (lg_run_test swaps its seeds in). */
    e->mode = s->test05 ? LG_MODE_PERFORMANCE : s->mode;
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
    /* The scenario's own settings, and its sample timeout unless one is set. */
    const lg__scenario_ops *sc = lg__scenario(s->scenario);
    double bound_ns = 0;
    int rc = sc->derive(s, e, &bound_ns, msg, len);
    if (rc)
        return rc;
    /* MLPerf's equal issue in SingleStream: at least twice the expected queries of the
     * minimum duration, then up to the next multiple of the QSL's performance count
     * (MLPerf always adds: a count already a multiple gains a whole set). */
    if (s->sample_concatenate_permutation && s->scenario == LG_SINGLE_STREAM) {
        double want = floor(2.0 * (double)s->min_duration_ms / 1000.0 * e->target_qps);
        uint64_t mq = e->min_query_count, qpsc = qsl->performance_sample_count;
        if (want > (double)mq)
            mq = want < 1e12 ? (uint64_t)want : UINT64_C(1000000000000);
        e->min_query_count = mq + (qpsc - mq % qpsc);
    }
    e->min_sample_count = e->min_query_count * e->samples_per_query;
    /* MLPerf's equal issue in Offline: the query padded to a whole number of loaded
     * sets (after the minimum count: MLPerf pads the query it generates, not it). */
    uint64_t psc = e->performance_sample_count;
    if (s->sample_concatenate_permutation && sc->one_query && e->samples_per_query % psc)
        e->samples_per_query += psc - e->samples_per_query % psc;
    e->mlperf_max_limits = s->mlperf_max_limits;
    e->concatenate = s->sample_concatenate_permutation;
    e->hdr = s->record_hdr;
    e->hdr_digits = (unsigned)s->hdr_significant_digits;
    e->token_mode = s->use_token_latencies;
    e->tokens = s->use_token_latencies || s->slo_ttft_ns || s->slo_tpot_ns || s->slo_e2e_ns;
    e->infer_tokens = s->infer_token_latencies;
    e->token_scaling = s->token_latency_scaling_factor;
    e->ttft_latency_ns = s->server_ttft_latency_ns;
    e->tpot_latency_ns = s->server_tpot_latency_ns;
    e->slo_ttft_ns = s->slo_ttft_ns;
    e->slo_tpot_ns = s->slo_tpot_ns;
    e->slo_e2e_ns = s->slo_e2e_ns;
    e->sample_timeout_ns = s->no_sample_timeout     ? LG__NO_TIMEOUT_NS
                           : s->sample_timeout_ns > 0 ? s->sample_timeout_ns
                                                      : sc->default_timeout_ns(bound_ns);
    return check_memory(s, e, qsl, msg, len);
}

int lg_settings_warnings(const lg_settings *s, const lg_qsl *qsl, char *buf, size_t len)
{
    if (buf && len)
        buf[0] = '\0';
    lg_qsl one = {.total_sample_count = 1, .performance_sample_count = 1};
    lg__eff e;
    if (!s || (!buf && len) || lg__effective(s, qsl ? qsl : &one, &e, NULL, 0))
        return LG_EINVAL;
    return lg__settings_warnings(s, &e, buf, len);
}

int lg__settings_warnings(const lg_settings *s, const lg__eff *e, char *buf, size_t len)
{
    if (buf && len)
        buf[0] = '\0';
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    /* How long the timed run is expected to take: at least min_duration_ms, and as long
     * as its minimum count (of queries, or of the one query's samples) takes at the
     * expected rate. */
    double min_s = (double)e->min_duration_ms / 1000.0;
    double count = (double)(sc->one_query ? e->samples_per_query : e->min_query_count);
    double queries_s = count / e->target_qps;
    double expect_s = queries_s > min_s ? queries_s : min_s;
    if (e->max_duration_ms && expect_s > (double)e->max_duration_ms / 1000.0)
        expect_s = (double)e->max_duration_ms / 1000.0;
    int n = 0;
    /* Far longer than asked for (and more than a minute): a forgotten rate. An accuracy
     * run goes through its samples whatever the rate. */
    /* A trace or stages last as long as they say, whatever the rate setting. */
    bool own_length = s->scenario == LG_SERVER && (s->arrival == LG_ARRIVAL_TRACE ||
                                                   s->arrival == LG_ARRIVAL_STAGES);
    if (e->mode != LG_MODE_ACCURACY && !own_length && expect_s > 60.0 &&
        expect_s > 3.0 * min_s) {
        char v[40] = "";
        lg_settings_field_format(s, (size_t)lg_settings_field_find(sc->rate_setting), v,
                                 sizeof v);
        snprintf(buf, len, "%s = %s: the run is expected to take about %.0f s (%s at this "
                 "rate), %.0fx min_duration_ms (%.0f s); set %s to what the SUT does%s",
                 sc->rate_setting, v, expect_s, sc->min_count_words, expect_s / min_s,
                 min_s, sc->rate_setting,
                 sc->rate_stand_in ? " (1 per second is lg_settings_default's stand-in)"
                                   : "");
        n++;
    }
    /* The closed loop is ours: say so, and say when the scenario does not use it. */
    if (s->concurrency > 1) {
        size_t used = buf ? strlen(buf) : 0;
        int f = lg_settings_field_find("concurrency");
        bool applies = f >= 0 && (lg__fields[f].scen & LG_SCENARIO_BIT(e->scenario));
        if (buf && used + 1 < len)
            snprintf(buf + used, len - used,
                     applies ? "%sconcurrency = %llu: that many queries are kept outstanding "
                               "(a closed loop); not an MLPerf setting, so the result is not "
                               "MLPerf's %s"
                             : "%sconcurrency = %llu has no effect in %s (SingleStream and "
                               "MultiStream only)",
                     n ? "\n" : "", (unsigned long long)s->concurrency, sc->name);
        n++;
    }
    /* Only Poisson arrivals are MLPerf's: say that the run cannot be MLPerf-valid. */
    const char *why;
    if (!lg_arrival_mlperf_valid(s, &why)) {
        size_t used = buf ? strlen(buf) : 0;
        if (buf && used + 1 < len)
            snprintf(buf + used, len - used, "%s%s", n ? "\n" : "", why);
        n++;
    } else if (s->arrival != LG_ARRIVAL_POISSON) {
        size_t used = buf ? strlen(buf) : 0;
        if (buf && used + 1 < len)
            snprintf(buf + used, len - used, "%sarrival = %s has no effect in %s (Server "
                     "only)", n ? "\n" : "", lg_arrival_name(s->arrival), sc->name);
        n++;
    }
    return n;
}

int64_t lg_settings_effective_timeout_ns(const lg_settings *s, const lg_qsl *qsl)
{
    lg_qsl one = {.total_sample_count = 1, .performance_sample_count = 1};
    lg__eff e;
    if (!s || lg__effective(s, qsl ? qsl : &one, &e, NULL, 0))
        return 0;
    return e.sample_timeout_ns == LG__NO_TIMEOUT_NS ? INT64_MAX : e.sample_timeout_ns;
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
        return "max_query_count, max_duration_ms or max_async_queries ended the run "
               "(mlperf_max_limits judges such a run on the other rules, as MLPerf)";
    case LG_INVALID_COMPLETION_ERRORS:
        return "the SUT completed samples twice, completed unknown ids or reported "
               "responses of an impossible size";
    case LG_INVALID_OUT_OF_MEMORY:
        return "memory ran out: the run ended early or responses could not be logged";
    case LG_INVALID_QSL_FAILURE: return "the QSL failed to load samples";
    case LG_INVALID_TOKEN_ERRORS:
        return "the SUT reported first tokens twice, for unknown ids or after completion, "
               "or (token mode) token counts below 2 or samples without a first token";
    case LG_INVALID_HDR_RECORDING:
        return "recorded with record_hdr: the percentiles are approximate, not an MLPerf "
               "result";
    }
    return "unknown reason";
}
