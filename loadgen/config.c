/* config.c: a strict reader for MLPerf's mlperf.conf / user.conf files, MLPerf's lookup
 * order to apply them to lg_settings with the origin of every value, and the table of
 * lg_settings fields (names, keys, units, formatting) that tools use to explain them. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/config.h"

#define SS LG_SCENARIO_BIT(LG_SINGLE_STREAM)
#define MS LG_SCENARIO_BIT(LG_MULTI_STREAM)
#define SV LG_SCENARIO_BIT(LG_SERVER)
#define OF LG_SCENARIO_BIT(LG_OFFLINE)
#define ALL LG_SCENARIO_ALL

/* A year in milliseconds: the largest duration or latency a file may give. Larger
 * values are typos, and a year in ns still fits an int64_t with room to spare. */
#define YEAR_MS 31536000000.0
#define YEAR_MS_U UINT64_C(31536000000)

/* Longest value or name we read; a longer token is reported, not parsed. */
#define MAX_TOKEN 256

/* ------------------------------------------------------------------------------------
 * The keys a file may hold
 * ---------------------------------------------------------------------------------- */

enum { VT_UINT, VT_REAL };

enum {
    K_OK,      /* applied to a field */
    K_SWITCH,  /* an unsupported feature's on/off switch: an error where it applies and
                  is not 0 */
    K_UNSUP,   /* a parameter of an unsupported feature: an error where it applies */
    K_IGNORED, /* accepted and ignored (MLPerf ignores it too, or it only matters when
                  an unsupported switch is on) */
};

typedef struct key_def {
    const char *name;
    unsigned char vt;      /* VT_UINT or VT_REAL */
    unsigned char support; /* K_* */
    bool mlperf_only;      /* MLPerf reads it only from mlperf.conf */
    bool nonzero;          /* 0 parses (the official mlperf.conf uses it) but cannot be
                              applied */
    unsigned scen;         /* scenarios a line may name (besides '*') */
    unsigned ignore_scen;  /* scenarios a line may name with no effect */
    double dmin, dmax;     /* VT_REAL range */
    bool dmin_open;        /* dmin itself is out of range */
    bool dmax_open;
    uint64_t umin, umax;   /* VT_UINT range */
    const char *unit;      /* the unit in the file, for messages */
    const char *feature;   /* K_SWITCH / K_UNSUP: what is not supported */
} key_def;

/* Keys with a single scenario in `scen` other than ALL are looked up under that
 * scenario; keys with several (target_qps, target_latency, ...) under each field's own
 * scenario (see the field table); keys with ALL under the scenario being run. */
static const key_def keys[] = {
    {"mode", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = 3, .unit = "0..3"},
    {"target_qps", .vt = VT_REAL, .support = K_OK, .scen = SV | OF, .dmin = LG_MIN_QPS,
     .dmax = 1e9, .unit = "queries per second"},
    {"target_latency", .vt = VT_REAL, .support = K_OK, .nonzero = true,
     .scen = SS | MS | SV, .dmax = YEAR_MS, .unit = "ms"},
    {"target_latency_percentile", .vt = VT_REAL, .support = K_OK, .scen = SS | MS | SV,
     .ignore_scen = OF, .dmax = 100, .dmin_open = true, .dmax_open = true,
     .unit = "percent"},
    {"samples_per_query", .vt = VT_UINT, .support = K_OK, .scen = MS, .umin = 1,
     .umax = UINT64_C(1) << 20, .unit = "samples"},
    {"coalesce_queries", .vt = VT_UINT, .support = K_OK, .scen = SV, .umax = 1,
     .unit = "0/1"},
    {"max_async_queries", .vt = VT_UINT, .support = K_OK, .scen = SV, .umax = UINT64_MAX,
     .unit = "queries"},
    {"min_duration", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = YEAR_MS_U,
     .unit = "ms"},
    {"max_duration", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = YEAR_MS_U,
     .unit = "ms"},
    {"min_query_count", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = UINT64_C(1) << 36,
     .unit = "queries"},
    {"max_query_count", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = UINT64_MAX,
     .unit = "queries"},
    {"qsl_rng_seed", .vt = VT_UINT, .support = K_OK, .mlperf_only = true, .scen = ALL,
     .umax = UINT64_MAX, .unit = "seed"},
    {"sample_index_rng_seed", .vt = VT_UINT, .support = K_OK, .mlperf_only = true,
     .scen = ALL, .umax = UINT64_MAX, .unit = "seed"},
    {"schedule_rng_seed", .vt = VT_UINT, .support = K_OK, .mlperf_only = true, .scen = ALL,
     .umax = UINT64_MAX, .unit = "seed"},
    {"accuracy_log_rng_seed", .vt = VT_UINT, .support = K_OK, .scen = ALL,
     .umax = UINT64_MAX, .unit = "seed"},
    {"accuracy_log_probability", .vt = VT_REAL, .support = K_OK, .mlperf_only = true,
     .scen = ALL, .dmax = 100, .unit = "percent"},
    {"accuracy_log_sampling_target", .vt = VT_UINT, .support = K_OK, .scen = ALL,
     .umax = UINT64_MAX, .unit = "samples"},
    {"print_timestamps", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = 1,
     .unit = "0/1"},
    {"performance_issue_unique", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = 1,
     .unit = "0/1"},
    {"performance_issue_same", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = 1,
     .unit = "0/1"},
    {"performance_issue_same_index", .vt = VT_UINT, .support = K_OK, .scen = ALL,
     .umax = UINT64_MAX, .unit = "index"},
    {"performance_sample_count_override", .vt = VT_UINT, .support = K_OK, .scen = ALL,
     .umax = UINT64_MAX, .unit = "samples"},
    {"accuracy_sample_count_override", .vt = VT_UINT, .support = K_OK, .scen = ALL,
     .umax = UINT64_MAX, .unit = "samples"},
    {"sample_concatenate_permutation", .vt = VT_UINT, .support = K_OK, .scen = ALL,
     .umax = 1, .unit = "0/1"},
    {"sample_timeout", .vt = VT_REAL, .support = K_OK, .scen = ALL, .dmax = YEAR_MS,
     .unit = "ms"},
    {"warmup_duration", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = YEAR_MS_U,
     .unit = "ms"},
    /* MLPerf knows these; we do not implement them yet. */
    {"use_token_latencies", .vt = VT_UINT, .support = K_SWITCH, .scen = ALL, .umax = 1,
     .unit = "0/1", .feature = "token latencies (use_token_latencies)"},
    {"infer_token_latencies", .vt = VT_UINT, .support = K_SWITCH, .scen = ALL, .umax = 1,
     .unit = "0/1", .feature = "inferred token latencies (infer_token_latencies)"},
    {"token_latency_scaling_factor", .vt = VT_UINT, .support = K_UNSUP, .scen = ALL,
     .umax = UINT64_MAX, .unit = "factor",
     .feature = "token latencies (token_latency_scaling_factor)"},
    {"ttft_latency", .vt = VT_UINT, .support = K_UNSUP, .scen = SV, .umax = YEAR_MS_U,
     .unit = "ms", .feature = "time-to-first-token bounds (ttft_latency)"},
    {"tpot_latency", .vt = VT_UINT, .support = K_UNSUP, .scen = SV, .umax = YEAR_MS_U,
     .unit = "ms", .feature = "time-per-output-token bounds (tpot_latency)"},
    {"test05", .vt = VT_UINT, .support = K_SWITCH, .mlperf_only = true, .scen = ALL,
     .umax = 1, .unit = "0/1", .feature = "the TEST05 compliance seeds (test05)"},
    /* Accepted with no effect: they only matter with test05 = 1, or MLPerf itself
     * never reads them (target_duration is in the official mlperf.conf). */
    {"test05_qsl_rng_seed", .vt = VT_UINT, .support = K_IGNORED, .mlperf_only = true,
     .scen = ALL, .umax = UINT64_MAX, .unit = "seed"},
    {"test05_sample_index_rng_seed", .vt = VT_UINT, .support = K_IGNORED,
     .mlperf_only = true, .scen = ALL, .umax = UINT64_MAX, .unit = "seed"},
    {"test05_schedule_rng_seed", .vt = VT_UINT, .support = K_IGNORED, .mlperf_only = true,
     .scen = ALL, .umax = UINT64_MAX, .unit = "seed"},
    {"target_duration", .vt = VT_REAL, .support = K_IGNORED, .scen = ALL, .dmax = YEAR_MS,
     .unit = "ms"},
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const char *key_name_at(size_t i) { return keys[i].name; }

static int key_find(const char *s, size_t n)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strlen(keys[i].name) == n && memcmp(keys[i].name, s, n) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------------------
 * The lg_settings field table
 * ---------------------------------------------------------------------------------- */

enum { FT_SCEN, FT_MODE, FT_F64, FT_I64, FT_U64, FT_BOOL };
enum { CV_NONE, CV_MS_NS, CV_PCT };

typedef struct field_def {
    const char *name;
    size_t off;
    unsigned char ft;   /* FT_* */
    unsigned char cv;   /* how a file's value converts to the field's unit */
    const char *key;    /* conf key, or NULL */
    int lookup;         /* the scenario the key is looked up under; -1 = the run's */
    const char *unit;
    const char *conf_unit;
    unsigned scen;      /* scenarios in which the field matters */
    const char *doc;
} field_def;

#define F(name) #name, offsetof(lg_settings, name)
static const field_def fields[] = {
    {F(scenario), FT_SCEN, CV_NONE, NULL, -1, "enum", NULL, ALL,
     "the scenario run (set by the program, not by config files)"},
    {F(mode), FT_MODE, CV_NONE, "mode", -1, "enum", "enum", ALL,
     "0 SubmissionRun, 1 AccuracyOnly, 2 PerformanceOnly (3 FindPeakPerformance is not "
     "supported)"},
    {F(single_stream_expected_latency_ns), FT_F64, CV_MS_NS, "target_latency",
     LG_SINGLE_STREAM, "ns", "ms", SS,
     "expected latency of one query; sets how many queries are generated"},
    {F(single_stream_target_latency_percentile), FT_F64, CV_PCT,
     "target_latency_percentile", LG_SINGLE_STREAM, "fraction", "percent", SS,
     "percentile of the reported latency"},
    {F(multi_stream_expected_latency_ns), FT_F64, CV_MS_NS, "target_latency",
     LG_MULTI_STREAM, "ns", "ms", MS,
     "expected latency of one query; sets how many queries are generated"},
    {F(multi_stream_target_latency_percentile), FT_F64, CV_PCT,
     "target_latency_percentile", LG_MULTI_STREAM, "fraction", "percent", MS,
     "percentile of the reported per-query latency"},
    {F(multi_stream_samples_per_query), FT_U64, CV_NONE, "samples_per_query",
     LG_MULTI_STREAM, "count", "count", MS, "samples in each query"},
    {F(server_target_qps), FT_F64, CV_NONE, "target_qps", LG_SERVER, "1/s", "1/s", SV,
     "mean arrival rate of the Poisson query schedule"},
    {F(server_target_latency_ns), FT_I64, CV_MS_NS, "target_latency", LG_SERVER, "ns",
     "ms", SV, "latency bound a run must meet at the target percentile"},
    {F(server_target_latency_percentile), FT_F64, CV_PCT, "target_latency_percentile",
     LG_SERVER, "fraction", "percent", SV, "percentile at which the bound is checked"},
    {F(server_coalesce_queries), FT_BOOL, CV_NONE, "coalesce_queries", LG_SERVER, "bool",
     "0/1", SV, "issue all overdue queries in one issue call"},
    {F(server_max_async_queries), FT_U64, CV_NONE, "max_async_queries", LG_SERVER,
     "count", "count", SV, "limit of outstanding queries; 0 = no limit"},
    {F(server_num_issue_query_threads), FT_U64, CV_NONE, NULL, -1, "count", NULL, SV,
     "issue threads (logged; only 0 or 1 supported)"},
    {F(offline_expected_qps), FT_F64, CV_NONE, "target_qps", LG_OFFLINE, "1/s", "1/s", OF,
     "expected throughput; sets the size of the Offline query"},
    {F(min_duration_ms), FT_U64, CV_NONE, "min_duration", -1, "ms", "ms", ALL,
     "shortest valid run"},
    {F(max_duration_ms), FT_U64, CV_NONE, "max_duration", -1, "ms", "ms", ALL,
     "ends the run early, as an error; 0 = no limit"},
    {F(min_query_count), FT_U64, CV_NONE, "min_query_count", -1, "count", "count", ALL,
     "fewest queries of a valid run"},
    {F(max_query_count), FT_U64, CV_NONE, "max_query_count", -1, "count", "count", ALL,
     "ends the run early, as an error; 0 = no limit"},
    {F(qsl_rng_seed), FT_U64, CV_NONE, "qsl_rng_seed", -1, "seed", "seed", ALL,
     "picks the performance sample set"},
    {F(sample_index_rng_seed), FT_U64, CV_NONE, "sample_index_rng_seed", -1, "seed",
     "seed", ALL, "picks the samples of each query"},
    {F(schedule_rng_seed), FT_U64, CV_NONE, "schedule_rng_seed", -1, "seed", "seed", SV,
     "draws the Server arrival times"},
    {F(accuracy_log_rng_seed), FT_U64, CV_NONE, "accuracy_log_rng_seed", -1, "seed",
     "seed", ALL, "picks the responses logged in performance mode"},
    {F(accuracy_log_probability), FT_F64, CV_PCT, "accuracy_log_probability", -1,
     "fraction", "percent", ALL, "share of performance-mode responses logged"},
    {F(accuracy_log_sampling_target), FT_U64, CV_NONE, "accuracy_log_sampling_target", -1,
     "count", "count", ALL, "logged only"},
    {F(print_timestamps), FT_BOOL, CV_NONE, "print_timestamps", -1, "bool", "0/1", ALL,
     "logged only"},
    {F(performance_issue_unique), FT_BOOL, CV_NONE, "performance_issue_unique", -1, "bool",
     "0/1", ALL, "issue each loaded sample at most once"},
    {F(performance_issue_same), FT_BOOL, CV_NONE, "performance_issue_same", -1, "bool",
     "0/1", ALL, "always issue the same sample"},
    {F(performance_issue_same_index), FT_U64, CV_NONE, "performance_issue_same_index", -1,
     "index", "index", ALL, "the sample issued by performance_issue_same"},
    {F(performance_sample_count_override), FT_U64, CV_NONE,
     "performance_sample_count_override", -1, "count", "count", ALL,
     "samples loaded for a performance run; 0 = the QSL's own count"},
    {F(accuracy_sample_count_override), FT_U64, CV_NONE, "accuracy_sample_count_override",
     -1, "count", "count", ALL, "samples of an accuracy run; 0 = the QSL's total"},
    {F(sample_concatenate_permutation), FT_BOOL, CV_NONE, "sample_concatenate_permutation",
     -1, "bool", "0/1", ALL, "logged only"},
    {F(sample_timeout_ns), FT_I64, CV_MS_NS, "sample_timeout", -1, "ns", "ms", ALL,
     "a sample not completed this long after its scheduled time fails; 0 = automatic"},
    {F(warmup_duration_ms), FT_U64, CV_NONE, "warmup_duration", -1, "ms", "ms", ALL,
     "queries issued before the timed run, not measured; 0 = none"},
};
#undef F
#define NFIELDS (sizeof fields / sizeof fields[0])

/* ------------------------------------------------------------------------------------
 * Small helpers: text building, the C locale, names
 * ---------------------------------------------------------------------------------- */

/* Appends to a bounded buffer, always NUL-terminated, counting what did not fit. */
typedef struct sbuf {
    char *p;
    size_t cap;
    size_t len; /* what would have been written */
} sbuf;

static void sb_vadd(sbuf *b, const char *fmt, va_list ap)
{
    char *dst = NULL;
    size_t room = 0;
    if (b->p && b->len < b->cap) {
        dst = b->p + b->len;
        room = b->cap - b->len;
    }
    int n = vsnprintf(dst, room, fmt, ap);
    if (n > 0)
        b->len += (size_t)n;
}

__attribute__((format(printf, 2, 3))) static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vadd(b, fmt, ap);
    va_end(ap);
}

/* Appends n bytes of s in single quotes, escaping anything not printable ASCII and
 * shortening it to about 60 characters, so that a message stays one readable line. */
static void sb_quote(sbuf *b, const char *s, size_t n)
{
    sb_add(b, "'");
    size_t shown = n > 60 ? 57 : n;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\'' || ch == '\\')
            sb_add(b, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f)
            sb_add(b, "%c", ch);
        else
            sb_add(b, "\\x%02x", ch);
    }
    if (shown < n)
        sb_add(b, "...");
    sb_add(b, "'");
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Numbers are read and written in the C locale whatever the program's locale is, so
 * that "0.99" means the same in every program that links the library. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static locale_t c_locale_get(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }

/* Optimal-string-alignment distance (Levenshtein plus adjacent transpositions),
 * ignoring case; words longer than 63 bytes count as far from everything. */
static int osa_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 63 || nb > 63)
        return INT_MAX;
    int d[64][64];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            int cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 &&
                lower((unsigned char)a[i - 1]) == lower((unsigned char)b[j - 2]) &&
                lower((unsigned char)a[i - 2]) == lower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

static const char *const scenario_names[] = {"SingleStream", "MultiStream", "Server",
                                             "Offline"};

static const char *scenario_name_at(size_t i) { return scenario_names[i]; }

/* The nearest of count names (name_at(0..count)) to the word, or NULL when none is
 * near: at most 2 edits (3 for words of 12 bytes or more), and fewer edits than the
 * word has letters. A difference of case alone counts as 0 edits. */
static const char *nearest(const char *w, size_t n, const char *(*name_at)(size_t),
                           size_t count)
{
    const char *best = NULL;
    int bestd = INT_MAX;
    int limit = n >= 12 ? 3 : 2;
    for (size_t i = 0; i < count; i++) {
        const char *cand = name_at(i);
        int dist = osa_distance(w, n, cand, strlen(cand));
        if (dist < bestd) {
            bestd = dist;
            best = cand;
        }
    }
    if (bestd > limit || (size_t)bestd >= n)
        return NULL;
    return best;
}

static int scenario_find(const char *s, size_t n)
{
    for (int i = 0; i < 4; i++)
        if (strlen(scenario_names[i]) == n && memcmp(scenario_names[i], s, n) == 0)
            return i;
    return -1;
}

static bool model_char(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+';
}

/* Writes the scenarios of a mask as "Server, Offline". */
static void sb_scenarios(sbuf *b, unsigned mask)
{
    const char *sep = "";
    for (int i = 0; i < 4; i++)
        if (mask & LG_SCENARIO_BIT(i)) {
            sb_add(b, "%s%s", sep, scenario_names[i]);
            sep = ", ";
        }
}

/* ------------------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------------------- */

enum {
    NUM_OK,
    NUM_SYNTAX,   /* not a number */
    NUM_NEGATIVE, /* a minus sign on an integer */
    NUM_FRACTION, /* a real number where an integer is needed */
    NUM_OCTAL,    /* 010: strtoul (MLPerf) reads it as octal */
    NUM_TOO_BIG,  /* does not fit */
    NUM_TOO_LONG, /* longer than MAX_TOKEN */
};

static bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static bool is_xdigit(int ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* True when s[0..n) is a decimal real: [+-] digits [. digits] [e [+-] digits], with at
 * least one digit before or after the point. No inf, nan or hexadecimal floats. */
static bool real_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (!digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && is_digit(s[i]))
            i++, ed++;
        if (!ed)
            return false;
    }
    return i == n;
}

/* Reads an unsigned integer: decimal without a leading zero, or 0x hexadecimal. */
static int parse_uint(const char *s, size_t n, uint64_t *out)
{
    if (n > MAX_TOKEN)
        return NUM_TOO_LONG;
    size_t i = 0;
    if (n && s[0] == '+')
        i++;
    else if (n && s[0] == '-')
        return real_syntax(s, n) ? NUM_NEGATIVE : NUM_SYNTAX;
    uint64_t v = 0;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        for (i += 2; i < n; i++) {
            if (!is_xdigit(s[i]))
                return NUM_SYNTAX;
            unsigned d = is_digit(s[i]) ? (unsigned)(s[i] - '0')
                                        : (unsigned)(lower(s[i]) - 'a' + 10);
            if (v > (UINT64_MAX >> 4))
                return NUM_TOO_BIG;
            v = v << 4 | d;
        }
        *out = v;
        return NUM_OK;
    }
    if (i == n)
        return NUM_SYNTAX;
    for (size_t j = i; j < n; j++)
        if (!is_digit(s[j]))
            return real_syntax(s, n) ? NUM_FRACTION : NUM_SYNTAX;
    if (s[i] == '0' && n - i > 1)
        return NUM_OCTAL;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return NUM_TOO_BIG;
        v = v * 10 + d;
    }
    *out = v;
    return NUM_OK;
}

/* Reads a finite real number (decimal, or a 0x hexadecimal integer). */
static int parse_real(const char *s, size_t n, double *out)
{
    if (n > MAX_TOKEN)
        return NUM_TOO_LONG;
    size_t i = (n && s[0] == '+') ? 1 : 0;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        uint64_t u;
        int rc = parse_uint(s, n, &u);
        if (rc == NUM_OK)
            *out = (double)u;
        return rc;
    }
    if (!real_syntax(s, n))
        return NUM_SYNTAX;
    char buf[MAX_TOKEN + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';
    locale_t loc = c_locale_get();
    errno = 0;
    double v = loc ? strtod_l(buf, NULL, loc) : strtod(buf, NULL);
    /* An underflow reads as 0 or a tiny number and is left to the range check. */
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return NUM_TOO_BIG;
    *out = v == 0 ? 0.0 : v; /* no negative zero */
    return NUM_OK;
}

/* Reads a value already checked by parse_real, times 10^shift, with a single rounding:
 * "99.9" percent becomes exactly the double nearest 0.999, as if 0.999 had been
 * written (99.9 / 100 in floating point would be one unit in the last place off). */
static double parse_real_shifted(const char *s, size_t n, int shift)
{
    size_t i = (n && s[0] == '+') ? 1 : 0;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        uint64_t u = 0;
        parse_uint(s, n, &u);
        return (double)u * pow(10.0, shift);
    }
    size_t m = 0;
    while (m < n && s[m] != 'e' && s[m] != 'E')
        m++;
    long exp = 0;
    if (m < n) {
        size_t j = m + 1;
        bool neg = j < n && s[j] == '-';
        if (j < n && (s[j] == '-' || s[j] == '+'))
            j++;
        for (; j < n; j++)
            if (exp < 100000)
                exp = exp * 10 + (s[j] - '0');
        if (neg)
            exp = -exp;
    }
    char buf[MAX_TOKEN + 32];
    snprintf(buf, sizeof buf, "%.*se%ld", (int)m, s, exp + shift);
    locale_t loc = c_locale_get();
    double v = loc ? strtod_l(buf, NULL, loc) : strtod(buf, NULL);
    return v == 0 ? 0.0 : v;
}

static const char *num_problem(int rc)
{
    switch (rc) {
    case NUM_SYNTAX: return "is not a number";
    case NUM_NEGATIVE: return "is negative; a count, a duration or a seed cannot be";
    case NUM_FRACTION: return "is not a whole number; this key takes an integer";
    case NUM_OCTAL:
        return "has a leading zero, which MLPerf would read as an octal number; write it "
               "without the zero (or as 0x... for hexadecimal)";
    case NUM_TOO_BIG: return "is too large to be represented";
    case NUM_TOO_LONG: return "is longer than 256 characters";
    }
    return "is invalid";
}

/* Writes a double as the shortest text that reads back to it (integers in full). */
static int format_double(double v, char *buf, size_t len)
{
    locale_t loc = c_locale_get();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    int n;
    if (isfinite(v) && v == floor(v) && fabs(v) < 9007199254740992.0) {
        n = snprintf(buf, len, "%.0f", v);
    } else {
        char tmp[40];
        int p = 1;
        for (; p < 17; p++) {
            snprintf(tmp, sizeof tmp, "%.*g", p, v);
            if (strtod(tmp, NULL) == v)
                break;
        }
        n = snprintf(buf, len, "%.*g", p, v);
    }
    if (loc)
        uselocale(old);
    return n;
}

/* ------------------------------------------------------------------------------------
 * The config object
 * ---------------------------------------------------------------------------------- */

typedef struct entry {
    uint32_t file;  /* index in lg_config.files */
    int line;
    int key;        /* index in keys[] */
    int scen;       /* -1 = '*', else an lg_scenario */
    bool ignored;   /* accepted with no effect (target_latency_percentile under Offline) */
    bool is_real;
    uint64_t u;     /* the value, VT_UINT */
    double d;       /* the value, VT_REAL (and VT_UINT as a double) */
    char *text;     /* one allocation: "key\0model\0value\0" */
    const char *model;
    const char *value;
} entry;

typedef struct file_rec {
    char *name;
    int kind;
} file_rec;

struct lg_config {
    file_rec *files;
    size_t nfiles;
    entry *entries;
    size_t n, cap;
    bool has_user; /* a user-kind file was loaded */
};

int lg_config_create(lg_config **out)
{
    if (!out)
        return LG_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? 0 : LG_ENOMEM;
}

static void free_entries(entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].text);
}

void lg_config_destroy(lg_config *c)
{
    if (!c)
        return;
    free_entries(c->entries, c->n);
    free(c->entries);
    for (size_t i = 0; i < c->nfiles; i++)
        free(c->files[i].name);
    free(c->files);
    free(c);
}

int lg_config_kind_from_path(const char *path)
{
    if (!path)
        return LG_CONF_USER;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strcmp(base, "mlperf.conf") == 0 ? LG_CONF_MLPERF : LG_CONF_USER;
}

/* ------------------------------------------------------------------------------------
 * The parser
 * ---------------------------------------------------------------------------------- */

typedef struct parser {
    const char *name; /* file name for messages */
    int kind;
    int line;
    const char *ls;   /* start of the current line */
    entry *v;         /* entries of this file so far */
    size_t n, cap;
    sbuf msg;
} parser;

/* Starts an error message at column `at` (a pointer into the current line). */
static void perr(parser *p, const char *at)
{
    sb_add(&p->msg, "%s:%d:%d: ", p->name, p->line, (int)(at - p->ls) + 1);
}

static bool is_space(int ch) { return ch == ' ' || ch == '\t'; }

/* A 'word' for the tokenizer: anything up to a space, a tab or the end of the line. */
static const char *word_end(const char *s, const char *e, bool stop_at_eq)
{
    while (s < e && !is_space(*s) && !(stop_at_eq && *s == '='))
        s++;
    return s;
}

/* Checks the three parts of a key. Returns 0 or -1 with the message written. */
static int parse_key(parser *p, const char *k, size_t kn, entry *out)
{
    const char *dot1 = memchr(k, '.', kn);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', kn - (size_t)(dot1 + 1 - k)) : NULL;
    const char *dot3 = dot2 ? memchr(dot2 + 1, '.', kn - (size_t)(dot2 + 1 - k)) : NULL;
    if (!dot2 || dot3) {
        perr(p, k);
        sb_add(&p->msg, "the key ");
        sb_quote(&p->msg, k, kn);
        sb_add(&p->msg, " has %s; a key has three, model.scenario.name "
                        "(e.g. '*.Server.target_qps')",
               dot3 ? "more than three parts" : dot1 ? "two parts" : "one part");
        /* A name alone, or scenario.name: show the full key. */
        const char *last = dot1 ? (dot3 ? NULL : dot1 + 1) : k;
        if (last) {
            size_t ln = kn - (size_t)(last - k);
            int ki = key_find(last, ln);
            if (ki >= 0) {
                if (dot1 && scenario_find(k, (size_t)(dot1 - k)) >= 0)
                    sb_add(&p->msg, "; did you mean '*.%.*s'?", (int)kn, k);
                else if (dot1)
                    sb_add(&p->msg, "; did you mean '%.*s.*.%s'?", (int)(dot1 - k), k,
                           keys[ki].name);
                else
                    sb_add(&p->msg, "; did you mean '*.*.%s'?", keys[ki].name);
            }
        }
        return -1;
    }
    const char *m = k, *sc = dot1 + 1, *nm = dot2 + 1;
    size_t mn = (size_t)(dot1 - k), sn = (size_t)(dot2 - sc), nn = kn - (size_t)(nm - k);
    if (!mn || !sn || !nn) {
        const char *part = !mn ? "model" : !sn ? "scenario" : "name";
        perr(p, !mn ? m : !sn ? sc : nm);
        sb_add(&p->msg, "the %s part of the key ", part);
        sb_quote(&p->msg, k, kn);
        sb_add(&p->msg, " is empty; a key is model.scenario.name, with '*' for any "
                        "model or scenario");
        return -1;
    }
    /* The model: '*' or a name. */
    if (!(mn == 1 && m[0] == '*')) {
        for (size_t i = 0; i < mn; i++)
            if (!model_char((unsigned char)m[i])) {
                perr(p, m + i);
                sb_add(&p->msg, "the model name ");
                sb_quote(&p->msg, m, mn);
                sb_add(&p->msg, " holds ");
                sb_quote(&p->msg, m + i, 1);
                sb_add(&p->msg, "; a model is '*' or letters, digits, '_', '-' and '+'");
                return -1;
            }
    }
    /* The scenario: one of four names, or '*'. */
    int scen = -1;
    if (!(sn == 1 && sc[0] == '*')) {
        scen = scenario_find(sc, sn);
        if (scen < 0) {
            perr(p, sc);
            sb_add(&p->msg, "unknown scenario ");
            sb_quote(&p->msg, sc, sn);
            if (scenario_find(m, mn) >= 0) {
                sb_add(&p->msg, "; the parts look swapped: a key is model.scenario.name, "
                                "did you mean '%.*s.%.*s.%.*s'?",
                       (int)sn, sc, (int)mn, m, (int)nn, nm);
            } else {
                const char *near = nearest(sc, sn, scenario_name_at, 4);
                if (near)
                    sb_add(&p->msg, "; did you mean '%s'?", near);
                else
                    sb_add(&p->msg, "; the scenarios are SingleStream, MultiStream, "
                                    "Server, Offline and '*'");
            }
            return -1;
        }
    }
    /* The name. */
    int ki = key_find(nm, nn);
    if (ki < 0) {
        perr(p, nm);
        sb_add(&p->msg, "unknown key ");
        sb_quote(&p->msg, nm, nn);
        /* An lg_settings field name: point to its key. */
        for (size_t i = 0; i < NFIELDS; i++)
            if (fields[i].key && strlen(fields[i].name) == nn &&
                memcmp(fields[i].name, nm, nn) == 0) {
                sb_add(&p->msg, "; did you mean '%s'? ('%s' is the lg_settings field it "
                                "sets)", fields[i].key, fields[i].name);
                return -1;
            }
        const char *near = nearest(nm, nn, key_name_at, NKEYS);
        if (near)
            sb_add(&p->msg, "; did you mean '%s'?", near);
        else
            sb_add(&p->msg, " (docs/configuration.md lists the keys)");
        return -1;
    }
    const key_def *kd = &keys[ki];
    if (kd->mlperf_only && p->kind == LG_CONF_USER) {
        perr(p, nm);
        sb_add(&p->msg, "'%s' is read only from mlperf.conf (MLPerf ignores it in "
                        "user.conf); put it in a file loaded as mlperf.conf, or set it "
                        "on the command line", kd->name);
        return -1;
    }
    bool ignored = false;
    if (scen >= 0 && !(kd->scen & LG_SCENARIO_BIT(scen))) {
        if (kd->ignore_scen & LG_SCENARIO_BIT(scen)) {
            ignored = true;
        } else {
            perr(p, sc);
            sb_add(&p->msg, "'%s' does not apply to %s (it applies to ", kd->name,
                   scenario_names[scen]);
            sb_scenarios(&p->msg, kd->scen);
            sb_add(&p->msg, ")");
            if (ki == key_find("target_qps", 10) &&
                (scen == LG_SINGLE_STREAM || scen == LG_MULTI_STREAM))
                sb_add(&p->msg, "; for %s set target_latency, the expected latency",
                       scenario_names[scen]);
            return -1;
        }
    }
    out->key = ki;
    out->scen = scen;
    out->ignored = ignored;
    return 0;
}

/* Writes "above 0 and at most 100 (percent)". */
static void sb_interval(sbuf *b, double lo, bool lo_open, double hi, bool hi_open,
                        const char *unit)
{
    char a[40], z[40];
    format_double(lo, a, sizeof a);
    format_double(hi, z, sizeof z);
    sb_add(b, "%s %s and %s %s (%s)", lo_open ? "above" : "at least", a,
           hi_open ? "below" : "at most", z, unit);
}

/* Writes the range of values a key accepts, with its unit. */
static void sb_range(sbuf *b, const key_def *kd)
{
    if (strcmp(kd->name, "mode") == 0) {
        sb_add(b, "0 (SubmissionRun), 1 (AccuracyOnly) or 2 (PerformanceOnly); 3 "
                  "(FindPeakPerformance) is not supported yet");
    } else if (kd->vt == VT_UINT && kd->umax == 1) {
        sb_add(b, "0 (off) or 1 (on)");
    } else if (kd->vt == VT_UINT) {
        sb_add(b, "a whole number from %" PRIu64 " to %" PRIu64 " (%s)", kd->umin, kd->umax,
               kd->unit);
    } else {
        sb_interval(b, kd->dmin, kd->dmin_open, kd->dmax, kd->dmax_open, kd->unit);
    }
}

/* Checks a value for key kd. Returns 0 or -1 with the message written. */
static int parse_value(parser *p, const char *v, size_t vn, const char *k, size_t kn,
                       entry *out)
{
    const key_def *kd = &keys[out->key];
    int rc;
    if (kd->vt == VT_UINT) {
        rc = parse_uint(v, vn, &out->u);
        out->d = (double)out->u;
    } else {
        rc = parse_real(v, vn, &out->d);
    }
    out->is_real = kd->vt == VT_REAL;
    if (rc != NUM_OK) {
        perr(p, v);
        sb_add(&p->msg, "the value ");
        sb_quote(&p->msg, v, vn);
        sb_add(&p->msg, " of ");
        sb_quote(&p->msg, k, kn);
        sb_add(&p->msg, " %s", num_problem(rc));
        if (rc == NUM_TOO_BIG) {
            sb_add(&p->msg, "; it must be ");
            sb_range(&p->msg, kd);
        }
        if (rc == NUM_SYNTAX && memchr(v, '#', vn))
            sb_add(&p->msg, " (a comment after a value needs a space before '#')");
        return -1;
    }
    const char *why = NULL;
    if (kd->vt == VT_UINT) {
        if (out->u < kd->umin || out->u > kd->umax)
            why = "is out of range";
    } else {
        double x = out->d;
        bool lo_bad = kd->dmin_open ? !(x > kd->dmin) : !(x >= kd->dmin);
        bool hi_bad = kd->dmax_open ? !(x < kd->dmax) : !(x <= kd->dmax);
        if (lo_bad || hi_bad)
            why = x < 0 ? "is negative" : "is out of range";
    }
    if (why) {
        perr(p, v);
        sb_add(&p->msg, "the value ");
        sb_quote(&p->msg, v, vn);
        sb_add(&p->msg, " of ");
        sb_quote(&p->msg, k, kn);
        sb_add(&p->msg, " %s; it must be ", why);
        sb_range(&p->msg, kd);
        return -1;
    }
    return 0;
}

static int parse_line(parser *p, const char *s, const char *e)
{
    /* Bytes a text config never holds, in the whole line, comments included. */
    for (const char *q = s; q < e; q++)
        if (*q == '\0') {
            perr(p, q);
            sb_add(&p->msg, "a NUL byte; a config file is text");
            return -1;
        } else if (*q == '\r') {
            perr(p, q);
            sb_add(&p->msg, "a carriage return inside the line (only CRLF line ends are "
                            "accepted)");
            return -1;
        }
    while (s < e && is_space(*s))
        s++;
    if (s == e || *s == '#')
        return 0;
    /* Outside comments: printable ASCII and tabs. */
    for (const char *q = s; q < e; q++) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '#' && is_space(q[-1]))
            break;
        if ((ch < 0x20 && ch != '\t') || ch >= 0x7f) {
            perr(p, q);
            sb_add(&p->msg, "unexpected character ");
            sb_quote(&p->msg, q, 1);
            sb_add(&p->msg, "; keys and values are plain ASCII");
            return -1;
        }
    }
    const char *k = s, *ke = word_end(s, e, true);
    size_t kn = (size_t)(ke - k);
    if (kn == 0) {
        perr(p, k);
        sb_add(&p->msg, "a line starts with '=' but has no key before it");
        return -1;
    }
    const char *q = ke;
    while (q < e && is_space(*q))
        q++;
    if (q == e || *q == '#') {
        perr(p, q);
        sb_add(&p->msg, "expected '= value' after the key ");
        sb_quote(&p->msg, k, kn);
        return -1;
    }
    if (*q != '=') {
        perr(p, q);
        sb_add(&p->msg, "expected '=' after the key ");
        sb_quote(&p->msg, k, kn);
        sb_add(&p->msg, ", found ");
        sb_quote(&p->msg, q, (size_t)(e - q));
        return -1;
    }
    q++;
    while (q < e && is_space(*q))
        q++;
    if (q == e || *q == '#') {
        perr(p, q);
        sb_add(&p->msg, "missing value after '=' for the key ");
        sb_quote(&p->msg, k, kn);
        return -1;
    }
    const char *v = q, *ve = word_end(q, e, false);
    size_t vn = (size_t)(ve - v);
    q = ve;
    while (q < e && is_space(*q))
        q++;
    if (q < e && *q != '#') {
        perr(p, q);
        sb_add(&p->msg, "unexpected text after the value of ");
        sb_quote(&p->msg, k, kn);
        sb_add(&p->msg, ": ");
        sb_quote(&p->msg, q, (size_t)(e - q));
        sb_add(&p->msg, "; a line holds one 'key = value'");
        return -1;
    }

    entry en;
    memset(&en, 0, sizeof en);
    if (parse_key(p, k, kn, &en) || parse_value(p, v, vn, k, kn, &en))
        return -1;
    en.line = p->line;
    /* One allocation holds the key as written, the model, and the value as written. */
    size_t mn = (size_t)((const char *)memchr(k, '.', kn) - k);
    en.text = malloc(kn + 1 + mn + 1 + vn + 1);
    if (!en.text)
        return LG_ENOMEM;
    memcpy(en.text, k, kn);
    en.text[kn] = '\0';
    memcpy(en.text + kn + 1, k, mn);
    en.text[kn + 1 + mn] = '\0';
    memcpy(en.text + kn + 1 + mn + 1, v, vn);
    en.text[kn + 1 + mn + 1 + vn] = '\0';
    en.model = en.text + kn + 1;
    en.value = en.model + mn + 1;
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 32;
        entry *nv = realloc(p->v, ncap * sizeof *nv);
        if (!nv) {
            free(en.text);
            return LG_ENOMEM;
        }
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n++] = en;
    return 0;
}

int lg_config_load_string(lg_config *c, const char *name, const char *text, size_t len,
                          int kind, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!name)
        name = "<string>";
    if (!c || (!text && len) || (kind != LG_CONF_MLPERF && kind != LG_CONF_USER)) {
        set_err(err, errlen, "lg_config_load_string: %s",
                !c ? "no config" : (!text && len) ? "no text" : "kind must be "
                "LG_CONF_MLPERF or LG_CONF_USER");
        return LG_EINVAL;
    }
    if (kind == LG_CONF_MLPERF && c->has_user) {
        set_err(err, errlen, "%s: an mlperf.conf file must be loaded before user.conf "
                "files (a later file overrides an earlier one)", name);
        return LG_EINVAL;
    }
    if (len > LG_CONFIG_MAX_BYTES) {
        set_err(err, errlen, "%s: %zu bytes; a config file may hold at most %u", name,
                len, LG_CONFIG_MAX_BYTES);
        return LG_EINVAL;
    }
    if (c->nfiles >= UINT32_MAX) {
        set_err(err, errlen, "%s: too many files", name);
        return LG_EINVAL;
    }

    parser p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.kind = kind;
    p.msg.p = err;
    p.msg.cap = errlen;
    const char *s = text, *end = text + len;
    /* A UTF-8 byte-order mark, as some editors write, is skipped. */
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3;
    int rc = 0;
    while (s < end) {
        p.line++;
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        p.ls = s;
        const char *ce = (le > s && le[-1] == '\r') ? le - 1 : le;
        rc = parse_line(&p, s, ce);
        if (rc)
            break;
        s = nl ? nl + 1 : end;
    }
    if (rc == 0 && c->n + p.n > c->cap) {
        size_t ncap = c->cap ? c->cap : 32;
        while (ncap < c->n + p.n)
            ncap *= 2;
        entry *nv = realloc(c->entries, ncap * sizeof *nv);
        if (!nv)
            rc = LG_ENOMEM;
        else {
            c->entries = nv;
            c->cap = ncap;
        }
    }
    char *fname = NULL;
    file_rec *nf = NULL;
    if (rc == 0) {
        fname = strdup(name);
        nf = fname ? realloc(c->files, (c->nfiles + 1) * sizeof *nf) : NULL;
        if (!nf) {
            free(fname);
            rc = LG_ENOMEM;
        } else {
            c->files = nf;
        }
    }
    if (rc) {
        free_entries(p.v, p.n);
        free(p.v);
        if (rc == LG_ENOMEM)
            set_err(err, errlen, "%s: out of memory", name);
        return rc == LG_ENOMEM ? LG_ENOMEM : LG_EINVAL;
    }
    for (size_t i = 0; i < p.n; i++)
        p.v[i].file = (uint32_t)c->nfiles;
    if (p.n)
        memcpy(c->entries + c->n, p.v, p.n * sizeof *p.v);
    c->n += p.n;
    free(p.v);
    c->files[c->nfiles].name = fname;
    c->files[c->nfiles].kind = kind;
    c->nfiles++;
    if (kind == LG_CONF_USER)
        c->has_user = true;
    return 0;
}

int lg_config_load_file(lg_config *c, const char *path, int kind, char *err,
                        size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!c || !path) {
        set_err(err, errlen, "lg_config_load_file: %s", !c ? "no config" : "no path");
        return LG_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        char eb[128];
        set_err(err, errlen, "%s: cannot open: %s", path, strerror_r(errno, eb, sizeof eb));
        return LG_EIO;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : LG_ENOMEM;
    while (rc == 0) {
        if (len == cap) {
            if (cap > LG_CONFIG_MAX_BYTES) {
                set_err(err, errlen, "%s: larger than %u bytes; a config file is small",
                        path, LG_CONFIG_MAX_BYTES);
                rc = LG_EINVAL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = LG_ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                char eb[128];
                set_err(err, errlen, "%s: cannot read: %s", path,
                        strerror_r(errno, eb, sizeof eb));
                rc = LG_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (rc == 0)
        rc = lg_config_load_string(c, path, buf, len, kind, err, errlen);
    else if (rc == LG_ENOMEM)
        set_err(err, errlen, "%s: out of memory", path);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------------------------
 * Lookup and apply
 * ---------------------------------------------------------------------------------- */

/* One lookup: a key under a scenario, feeding a field (or none, for the keys of
 * unsupported features, whose only effect is an error). */
typedef struct slot {
    int key;
    int scen;  /* the scenario it is looked up under */
    int field; /* index in fields[], or -1 */
} slot;

/* Lists the lookups of a run in `scenario`. Returns how many (at most NFIELDS + NKEYS). */
static size_t build_slots(lg_scenario scenario, slot *out)
{
    size_t n = 0;
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].key) {
            out[n].key = key_find(fields[i].key, strlen(fields[i].key));
            out[n].scen = fields[i].lookup >= 0 ? fields[i].lookup : (int)scenario;
            out[n].field = (int)i;
            n++;
        }
    for (size_t k = 0; k < NKEYS; k++)
        if (keys[k].support == K_SWITCH || keys[k].support == K_UNSUP) {
            int sc = (int)scenario;
            for (int j = 0; j < 4; j++)
                if (keys[k].scen == LG_SCENARIO_BIT(j))
                    sc = j;
            out[n].key = (int)k;
            out[n].scen = sc;
            out[n].field = -1;
            n++;
        }
    return n;
}

/* The lookups of each scenario, computed once. */
static slot slot_table[4][NFIELDS + NKEYS];
static size_t slot_count[4];
static pthread_once_t slot_once = PTHREAD_ONCE_INIT;

static void slots_init(void)
{
    for (int sc = 0; sc < 4; sc++)
        slot_count[sc] = build_slots((lg_scenario)sc, slot_table[sc]);
}

static const slot *get_slots(lg_scenario scenario, size_t *n)
{
    pthread_once(&slot_once, slots_init);
    *n = slot_count[scenario];
    return slot_table[scenario];
}

static bool model_matches(const entry *e, const char *model)
{
    return strcmp(e->model, "*") == 0 || strcmp(e->model, model) == 0;
}

static bool entry_matches(const entry *e, int key, const char *model, int scen)
{
    return e->key == key && !e->ignored && model_matches(e, model) &&
           (e->scen < 0 || e->scen == scen);
}

/* The entry that gives the value for (model, scen, key), or -1: the last file that has
 * a matching line wins; in it, model.scenario beats *.scenario beats model.* beats *.*;
 * among lines with the same key, the last. */
static long find_winner(const lg_config *c, int key, const char *model, int scen)
{
    long best = -1;
    uint32_t bf = 0;
    int bs = -1;
    for (size_t i = 0; i < c->n; i++) {
        const entry *e = &c->entries[i];
        if (!entry_matches(e, key, model, scen))
            continue;
        int spec = (e->scen >= 0 ? 2 : 0) + (strcmp(e->model, "*") != 0 ? 1 : 0);
        /* Entries are in file order, then line order: >= keeps the later line. */
        if (best < 0 || e->file > bf || (e->file == bf && spec >= bs)) {
            best = (long)i;
            bf = e->file;
            bs = spec;
        }
    }
    return best;
}

static int check_model(const char *model)
{
    if (strcmp(model, "*") == 0)
        return 0;
    size_t n = strlen(model);
    if (n == 0 || n > 256)
        return LG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!model_char((unsigned char)model[i]))
            return LG_EINVAL;
    return 0;
}

static void entry_err(const lg_config *c, const entry *e, char *err, size_t errlen,
                      const char *what)
{
    set_err(err, errlen, "%s:%d: %s = %s: %s", c->files[e->file].name, e->line, e->text,
            e->value, what);
}

int lg_config_apply(const lg_config *c, const char *model, lg_scenario scenario,
                    lg_settings *s, lg_config_origin *origins, char *err, size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!model)
        model = "*";
    if (!c || !s || (unsigned)scenario > LG_OFFLINE || check_model(model)) {
        set_err(err, errlen, "lg_config_apply: %s",
                !c || !s ? "no config or settings"
                : (unsigned)scenario > LG_OFFLINE
                    ? "unknown scenario"
                    : "the model name must be '*' or letters, digits, '_', '-', '+'");
        return LG_EINVAL;
    }
    lg_settings t = *s;
    lg_config_origin o[NFIELDS];
    if (origins)
        memcpy(o, origins, sizeof o);
    size_t ns;
    const slot *slots = get_slots(scenario, &ns);

    /* Unsupported features first, so that their message is the one shown. */
    for (size_t i = 0; i < ns; i++) {
        if (slots[i].field >= 0)
            continue;
        long w = find_winner(c, slots[i].key, model, slots[i].scen);
        if (w < 0)
            continue;
        const entry *e = &c->entries[w];
        const key_def *kd = &keys[e->key];
        if (kd->support == K_SWITCH && e->u == 0)
            continue;
        char what[160];
        snprintf(what, sizeof what, "%s are not supported yet", kd->feature);
        entry_err(c, e, err, errlen, what);
        return LG_EINVAL;
    }
    for (size_t i = 0; i < ns; i++) {
        if (slots[i].field < 0)
            continue;
        long w = find_winner(c, slots[i].key, model, slots[i].scen);
        if (w < 0)
            continue;
        const entry *e = &c->entries[w];
        const field_def *fd = &fields[slots[i].field];
        const key_def *kd = &keys[e->key];
        char *fp = (char *)&t + fd->off;
        /* The value in the field's unit, from the text with one rounding. */
        int shift = fd->cv == CV_MS_NS ? 6 : fd->cv == CV_PCT ? -2 : 0;
        double x = e->is_real ? parse_real_shifted(e->value, strlen(e->value), shift)
                              : e->d;
        if (fd->cv == CV_MS_NS)
            x = round(x);
        if (kd->nonzero && x == 0) {
            char what[200];
            snprintf(what, sizeof what, "%s needs at least 1 ns (0.000001 ms); 0 is only "
                     "meaningful with token latencies, which are not supported yet",
                     fd->name);
            entry_err(c, e, err, errlen, what);
            return LG_EINVAL;
        }
        switch (fd->ft) {
        case FT_MODE:
            if (e->u == 3) {
                entry_err(c, e, err, errlen, "mode 3 (FindPeakPerformance) is not "
                          "supported yet");
                return LG_EINVAL;
            }
            *(lg_mode *)(void *)fp = (lg_mode)e->u;
            break;
        case FT_F64:
            memcpy(fp, &x, sizeof x);
            break;
        case FT_I64: {
            int64_t i64 = fd->cv == CV_MS_NS ? (int64_t)x : (int64_t)e->u;
            memcpy(fp, &i64, sizeof i64);
            break;
        }
        case FT_U64:
            memcpy(fp, &e->u, sizeof e->u);
            break;
        case FT_BOOL: {
            bool b = e->u != 0;
            memcpy(fp, &b, sizeof b);
            break;
        }
        default:
            break;
        }
        o[slots[i].field].source = LG_CONF_SRC_FILE;
        o[slots[i].field].file = c->files[e->file].name;
        o[slots[i].field].line = e->line;
        o[slots[i].field].key = e->text;
        o[slots[i].field].value = e->value;
    }
    *s = t;
    if (origins)
        memcpy(origins, o, sizeof o);
    return 0;
}

size_t lg_config_entry_count(const lg_config *c) { return c ? c->n : 0; }

int lg_config_entry_get(const lg_config *c, size_t i, lg_config_entry *out)
{
    if (!c || !out || i >= c->n)
        return LG_EINVAL;
    const entry *e = &c->entries[i];
    out->file = c->files[e->file].name;
    out->line = e->line;
    out->kind = c->files[e->file].kind;
    out->key = e->text;
    out->model = e->model;
    out->scenario = e->scen < 0 ? "*" : scenario_names[e->scen];
    out->name = keys[e->key].name;
    out->value = e->value;
    return 0;
}

int lg_config_entry_status(const lg_config *c, size_t i, const char *model,
                           lg_scenario scenario)
{
    if (!model)
        model = "*";
    if (!c || i >= c->n || (unsigned)scenario > LG_OFFLINE || check_model(model))
        return LG_EINVAL;
    const entry *e = &c->entries[i];
    if (!model_matches(e, model))
        return LG_CONF_ENTRY_OTHER_MODEL;
    if (e->ignored || keys[e->key].support == K_IGNORED)
        return LG_CONF_ENTRY_IGNORED;
    size_t ns;
    const slot *slots = get_slots(scenario, &ns);
    bool matched = false;
    for (size_t j = 0; j < ns; j++) {
        if (!entry_matches(e, slots[j].key, model, slots[j].scen))
            continue;
        matched = true;
        if (find_winner(c, slots[j].key, model, slots[j].scen) != (long)i)
            continue;
        /* The switch of an unsupported feature set to 0 changes nothing; any other
         * line of an unsupported feature applies (and makes lg_config_apply fail). */
        if (slots[j].field < 0 && keys[e->key].support == K_SWITCH && e->u == 0)
            return LG_CONF_ENTRY_IGNORED;
        return LG_CONF_ENTRY_APPLIED;
    }
    return matched ? LG_CONF_ENTRY_OVERRIDDEN : LG_CONF_ENTRY_OTHER_SCENARIO;
}

const char *lg_config_entry_status_name(int status)
{
    switch (status) {
    case LG_CONF_ENTRY_APPLIED: return "applied";
    case LG_CONF_ENTRY_OVERRIDDEN: return "overridden";
    case LG_CONF_ENTRY_OTHER_MODEL: return "other model";
    case LG_CONF_ENTRY_OTHER_SCENARIO: return "other scenario";
    case LG_CONF_ENTRY_IGNORED: return "ignored";
    }
    return "unknown";
}

int lg_config_origin_format(const lg_config_origin *o, char *buf, size_t len)
{
    if (!o || (!buf && len))
        return LG_EINVAL;
    sbuf b = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    switch (o->source) {
    case LG_CONF_SRC_FILE:
        sb_add(&b, "%s:%d", o->file ? o->file : "?", o->line);
        if (o->key && o->value)
            sb_add(&b, " (%s = %s)", o->key, o->value);
        break;
    case LG_CONF_SRC_CALLER:
        sb_add(&b, "command line");
        if (o->file)
            sb_add(&b, " (%s)", o->file);
        break;
    default:
        sb_add(&b, "default");
        break;
    }
    return b.len > INT_MAX ? INT_MAX : (int)b.len;
}

/* ------------------------------------------------------------------------------------
 * Field table
 * ---------------------------------------------------------------------------------- */

size_t lg_settings_field_count(void) { return NFIELDS; }

const char *lg_settings_field_name(size_t i) { return i < NFIELDS ? fields[i].name : NULL; }

const char *lg_settings_field_conf_key(size_t i)
{
    return i < NFIELDS ? fields[i].key : NULL;
}

const char *lg_settings_field_unit(size_t i) { return i < NFIELDS ? fields[i].unit : NULL; }

const char *lg_settings_field_conf_unit(size_t i)
{
    return i < NFIELDS ? fields[i].conf_unit : NULL;
}

unsigned lg_settings_field_scenarios(size_t i) { return i < NFIELDS ? fields[i].scen : 0; }

const char *lg_settings_field_doc(size_t i) { return i < NFIELDS ? fields[i].doc : NULL; }

int lg_settings_field_find(const char *name)
{
    if (!name)
        return LG_EINVAL;
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return (int)i;
    return LG_EINVAL;
}

int lg_settings_field_format(const lg_settings *s, size_t i, char *buf, size_t len)
{
    if (!s || i >= NFIELDS || (!buf && len))
        return LG_EINVAL;
    const field_def *fd = &fields[i];
    const char *fp = (const char *)s + fd->off;
    switch (fd->ft) {
    case FT_SCEN: {
        lg_scenario v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%s", lg_scenario_name(v));
    }
    case FT_MODE: {
        lg_mode v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%s", lg_mode_name(v));
    }
    case FT_F64: {
        double v;
        memcpy(&v, fp, sizeof v);
        return format_double(v, buf, len);
    }
    case FT_I64: {
        int64_t v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%" PRId64, v);
    }
    case FT_U64: {
        uint64_t v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%" PRIu64, v);
    }
    case FT_BOOL: {
        bool v;
        memcpy(&v, fp, sizeof v);
        return snprintf(buf, len, "%s", v ? "true" : "false");
    }
    }
    return LG_EINVAL;
}

int lg_settings_field_set(lg_settings *s, size_t i, const char *text, char *err,
                          size_t errlen)
{
    set_err(err, errlen, "%s", "");
    if (!s || i >= NFIELDS || !text) {
        set_err(err, errlen, "lg_settings_field_set: %s",
                !s ? "no settings" : i >= NFIELDS ? "no such field" : "no value");
        return LG_EINVAL;
    }
    const field_def *fd = &fields[i];
    char *fp = (char *)s + fd->off;
    size_t n = strlen(text);
    const key_def *kd = fd->key ? &keys[key_find(fd->key, strlen(fd->key))] : NULL;
    int rc;
    switch (fd->ft) {
    case FT_SCEN: {
        lg_scenario v;
        if (lg_scenario_parse(text, &v)) {
            set_err(err, errlen, "%s: unknown scenario '%.60s' (SingleStream, MultiStream, "
                    "Server, Offline)", fd->name, text);
            return LG_EINVAL;
        }
        memcpy(fp, &v, sizeof v);
        return 0;
    }
    case FT_MODE: {
        lg_mode v;
        uint64_t u;
        if (parse_uint(text, n, &u) == NUM_OK) {
            if (u == 3) {
                set_err(err, errlen, "%s: 3 (FindPeakPerformance) is not supported yet",
                        fd->name);
                return LG_EINVAL;
            }
            if (u > 2) {
                set_err(err, errlen, "%s: %" PRIu64 " is out of range (0 SubmissionRun, "
                        "1 AccuracyOnly, 2 PerformanceOnly)", fd->name, u);
                return LG_EINVAL;
            }
            v = (lg_mode)u;
        } else if (lg_mode_parse(text, &v)) {
            set_err(err, errlen, "%s: unknown mode '%.60s' (SubmissionRun, AccuracyOnly, "
                    "PerformanceOnly)", fd->name, text);
            return LG_EINVAL;
        }
        memcpy(fp, &v, sizeof v);
        return 0;
    }
    case FT_BOOL: {
        bool v;
        if (strcmp(text, "1") == 0 || strcmp(text, "true") == 0)
            v = true;
        else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0)
            v = false;
        else {
            set_err(err, errlen, "%s: '%.60s' is not 0, 1, true or false", fd->name, text);
            return LG_EINVAL;
        }
        memcpy(fp, &v, sizeof v);
        return 0;
    }
    case FT_U64:
    case FT_I64: {
        uint64_t u;
        rc = parse_uint(text, n, &u);
        if (rc) {
            sbuf m = {err, errlen, 0};
            sb_add(&m, "%s: ", fd->name);
            sb_quote(&m, text, n);
            sb_add(&m, " %s", num_problem(rc));
            return LG_EINVAL;
        }
        /* The key's range, in this field's unit. */
        uint64_t max = fd->ft == FT_I64 ? (uint64_t)INT64_MAX : UINT64_MAX;
        if (kd && fd->cv == CV_MS_NS)
            max = (uint64_t)(kd->dmax * 1e6);
        else if (kd && kd->vt == VT_UINT)
            max = kd->umax;
        uint64_t min = kd && (kd->nonzero || kd->umin) ? 1 : 0;
        if (u > max || u < min) {
            set_err(err, errlen, "%s: %" PRIu64 " is out of range; it must be at least %"
                    PRIu64 " and at most %" PRIu64 " (%s)", fd->name, u, min, max, fd->unit);
            return LG_EINVAL;
        }
        if (fd->ft == FT_I64) {
            int64_t x = (int64_t)u;
            memcpy(fp, &x, sizeof x);
        } else {
            memcpy(fp, &u, sizeof u);
        }
        return 0;
    }
    case FT_F64: {
        double x;
        rc = parse_real(text, n, &x);
        if (rc) {
            sbuf m = {err, errlen, 0};
            sb_add(&m, "%s: ", fd->name);
            sb_quote(&m, text, n);
            sb_add(&m, " %s", num_problem(rc));
            return LG_EINVAL;
        }
        /* The key's range in this field's unit; a field without a key takes any
         * number. */
        double scale = fd->cv == CV_MS_NS ? 1e6 : fd->cv == CV_PCT ? 0.01 : 1.0;
        double lo = kd ? kd->dmin * scale : -HUGE_VAL, hi = kd ? kd->dmax * scale : HUGE_VAL;
        bool lo_open = kd && (kd->dmin_open || kd->nonzero);
        bool hi_open = kd && kd->dmax_open;
        bool bad = (lo_open ? !(x > lo) : !(x >= lo)) || (hi_open ? !(x < hi) : !(x <= hi));
        if (bad) {
            sbuf m = {err, errlen, 0};
            sb_add(&m, "%s: ", fd->name);
            sb_quote(&m, text, n);
            sb_add(&m, " is out of range; it must be ");
            sb_interval(&m, lo, lo_open, hi, hi_open, fd->unit);
            return LG_EINVAL;
        }
        memcpy(fp, &x, sizeof x);
        return 0;
    }
    }
    return LG_EINVAL;
}
