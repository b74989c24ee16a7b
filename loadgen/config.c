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
#include <sys/stat.h>

#include "loadgen/config.h"
#include "loadgen/internal.h"
#include "loadgen/settings_table.h"
#include "loadgen/text.h"

#define SS LG_SCENARIO_BIT(LG_SINGLE_STREAM)
#define MS LG_SCENARIO_BIT(LG_MULTI_STREAM)
#define SV LG_SCENARIO_BIT(LG_SERVER)
#define OF LG_SCENARIO_BIT(LG_OFFLINE)
#define ALL LG_SCENARIO_ALL

/* A year in milliseconds: the largest duration or latency a file may give. Larger
 * values are typos, and a year in ns still fits an int64_t with room to spare. */
#define YEAR_MS 31536000000.0
#define YEAR_MS_U UINT64_C(31536000000)

/* ------------------------------------------------------------------------------------
 * The keys a file may hold
 * ---------------------------------------------------------------------------------- */

enum { VT_UINT, VT_REAL, VT_NAME }; /* VT_NAME: an arrival pattern's name */

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

/* The keys that the settings table cannot describe by one row each: mode (not a
 * setting here), the keys that feed several fields (one per scenario), and the keys of
 * features we do not implement. Every other key comes from its row of the settings
 * table (keys_build). Keys with a single scenario in `scen` other than ALL are looked up
 * under that scenario; keys with several (target_qps, target_latency, ...) under each
 * field's own scenario (see the field table); keys with ALL under the scenario being
 * run. */
static const key_def special_keys[] = {
    {"mode", .vt = VT_UINT, .support = K_OK, .scen = ALL, .umax = 3, .unit = "0..3"},
    {"target_qps", .vt = VT_REAL, .support = K_OK, .scen = SV | OF,
     .unit = "queries per second"},
    {"target_latency", .vt = VT_REAL, .support = K_OK, .nonzero = true, .scen = SS | MS | SV,
     .unit = "ms"},
    {"target_latency_percentile", .vt = VT_REAL, .support = K_OK, .scen = SS | MS | SV,
     .ignore_scen = OF, .unit = "percent"},
    /* Accepted with no effect: MLPerf itself never reads it (it is in the official
     * mlperf.conf). */
    {"target_duration", .vt = VT_REAL, .support = K_IGNORED, .scen = ALL, .dmax = YEAR_MS,
     .unit = "ms"},
};
#define NSPECIAL (sizeof special_keys / sizeof special_keys[0])
#define NKEYS_MAX (NSPECIAL + LG__NFIELDS)

static key_def keys[NKEYS_MAX];
static size_t nkeys;
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

/* The keys: the special ones, then one per row of the settings table whose key they do
 * not name, described by the row (its value type from the field's type and conversion,
 * the scenario it is looked up under, the file's unit, whether only mlperf.conf may set
 * it; its range comes from the row too, in range_of). Adding a setting with a config
 * key therefore needs no line here. */
static void keys_build(void)
{
    memcpy(keys, special_keys, sizeof special_keys);
    nkeys = NSPECIAL;
    for (size_t i = 0; i < LG__NFIELDS; i++) {
        const lg__field *fd = &lg__fields[i];
        bool known = !fd->key;
        for (size_t k = 0; k < nkeys && !known; k++)
            known = strcmp(keys[k].name, fd->key) == 0;
        if (known)
            continue;
        keys[nkeys++] = (key_def){
            .name = fd->key,
            .vt = fd->ft == LG__FT_ARRIVAL ? VT_NAME
                  : fd->ft == LG__FT_F64 || fd->cv != LG__CV_NONE ? VT_REAL : VT_UINT,
            .support = K_OK,
            .mlperf_only = fd->key_mlperf_only,
            .scen = fd->lookup >= 0 ? LG_SCENARIO_BIT(fd->lookup) : ALL,
            .unit = fd->conf_unit,
        };
    }
}

static void keys_init(void) { pthread_once(&keys_once, keys_build); }

static const char *key_name_at(size_t i) { return keys[i].name; }

static int key_find(const char *s, size_t n)
{
    keys_init();
    for (size_t i = 0; i < nkeys; i++)
        if (strlen(keys[i].name) == n && memcmp(keys[i].name, s, n) == 0)
            return (int)i;
    return -1;
}


/* The values a key takes in a file. */
typedef struct key_range {
    double lo, hi; /* VT_REAL */
    bool lo_open, hi_open;
    uint64_t ulo, uhi; /* VT_UINT */
} key_range;

/* A key's range: its own row's for mode and the keys of unsupported features, else its
 * field's (the settings table), converted to the file's unit. */
static key_range range_of(const key_def *kd)
{
    key_range r = {kd->dmin, kd->dmax, kd->dmin_open, kd->dmax_open, kd->umin, kd->umax};
    if (kd->support != K_OK || kd->umax || kd->dmax)
        return r;
    for (size_t i = 0; i < LG__NFIELDS; i++) {
        const lg__field *fd = &lg__fields[i];
        if (!fd->key || strcmp(fd->key, kd->name) != 0)
            continue;
        double k = lg__cv_scale(fd->cv);
        bool unbounded = fd->hi >= LG__NO_MAX;
        r.lo = fd->lo / k;
        r.hi = unbounded ? HUGE_VAL : fd->hi / k;
        /* A zero target_latency parses (the official file has it) and is refused
         * where it applies, with its own message. */
        r.lo_open = (fd->open & LG__LO_OPEN) && !kd->nonzero;
        r.hi_open = (fd->open & LG__HI_OPEN) != 0;
        r.ulo = (uint64_t)r.lo + (r.lo_open ? 1 : 0);
        r.uhi = unbounded ? (fd->ft == LG__FT_I64 ? (uint64_t)INT64_MAX : UINT64_MAX)
                          : (uint64_t)r.hi - (r.hi_open ? 1 : 0);
        break;
    }
    return r;
}

/* ------------------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------------------- */

static const char *scenario_name_at(size_t i) { return lg_scenario_name((lg_scenario)i); }

/* The scenario named exactly s[0..n) (MLPerf's spelling, as in its config keys), or -1. */
static int scenario_find(const char *s, size_t n)
{
    for (int i = 0; i < LG__NSCENARIOS; i++) {
        const char *name = lg_scenario_name((lg_scenario)i);
        if (strlen(name) == n && memcmp(name, s, n) == 0)
            return i;
    }
    return -1;
}

static bool model_char(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '+' || ch == '.';
}

/* Writes the scenarios of a mask as "Server, Offline". */
static void sb_scenarios(lg__sbuf *b, unsigned mask)
{
    const char *sep = "";
    for (int i = 0; i < LG__NSCENARIOS; i++)
        if (mask & LG_SCENARIO_BIT(i)) {
            lg__sb_add(b, "%s%s", sep, lg_scenario_name((lg_scenario)i));
            sep = ", ";
        }
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
    lg__sbuf msg;
} parser;

/* Starts an error message at column `at` (a pointer into the current line). */
static void perr(parser *p, const char *at)
{
    lg__sb_add(&p->msg, "%s:%d:%d: ", p->name, p->line, (int)(at - p->ls) + 1);
}

static bool is_space(int ch) { return ch == ' ' || ch == '\t'; }

/* A 'word' for the tokenizer: anything up to a space, a tab or the end of the line. */
static const char *word_end(const char *s, const char *e, bool stop_at_eq)
{
    while (s < e && !is_space(*s) && !(stop_at_eq && *s == '='))
        s++;
    return s;
}

/* The last byte c in s[0..n), or NULL. */
static const char *last_of(const char *s, size_t n, char c)
{
    while (n--)
        if (s[n] == c)
            return s + n;
    return NULL;
}

/* A key of one or two parts: the message, with the full key when the name is known. */
static int key_too_short(parser *p, const char *k, size_t kn, const char *dot2)
{
    perr(p, k);
    lg__sb_add(&p->msg, "the key ");
    lg__sb_quote(&p->msg, k, kn);
    lg__sb_add(&p->msg, " has %s; a key has three, model.scenario.name "
                        "(e.g. '*.Server.target_qps')",
               dot2 ? "two parts" : "one part");
    const char *last = dot2 ? dot2 + 1 : k;
    int ki = key_find(last, kn - (size_t)(last - k));
    if (ki < 0)
        return -1;
    if (dot2 && scenario_find(k, (size_t)(dot2 - k)) >= 0)
        lg__sb_add(&p->msg, "; did you mean '*.%.*s'?", (int)kn, k);
    else if (dot2)
        lg__sb_add(&p->msg, "; did you mean '%.*s.*.%s'?", (int)(dot2 - k), k, keys[ki].name);
    else
        lg__sb_add(&p->msg, "; did you mean '*.*.%s'?", keys[ki].name);
    return -1;
}

/* The model part: '*' or a name. Returns 0 or -1 with the message written. */
static int check_model_part(parser *p, const char *m, size_t mn)
{
    if (mn == 1 && m[0] == '*')
        return 0;
    for (size_t i = 0; i < mn; i++)
        if (!model_char((unsigned char)m[i])) {
            perr(p, m + i);
            lg__sb_add(&p->msg, "the model name ");
            lg__sb_quote(&p->msg, m, mn);
            lg__sb_add(&p->msg, " holds ");
            lg__sb_quote(&p->msg, m + i, 1);
            lg__sb_add(&p->msg, "; a model is '*' or letters, digits, '_', '-', '+' and '.'");
            return -1;
        }
    return 0;
}

/* The scenario part: one of four names or '*' (-1). Returns 0 with *scen set, or -1
 * with the message written (noticing swapped parts and near misses). */
static int check_scenario_part(parser *p, const char *m, size_t mn, const char *sc,
                               size_t sn, const char *nm, size_t nn, int *scen)
{
    *scen = -1;
    if (sn == 1 && sc[0] == '*')
        return 0;
    if ((*scen = scenario_find(sc, sn)) >= 0)
        return 0;
    perr(p, sc);
    lg__sb_add(&p->msg, "unknown scenario ");
    lg__sb_quote(&p->msg, sc, sn);
    const char *near = lg__nearest(sc, sn, scenario_name_at, 4);
    if (scenario_find(m, mn) >= 0)
        lg__sb_add(&p->msg, "; the parts look swapped: a key is model.scenario.name, did you "
                            "mean '%.*s.%.*s.%.*s'?", (int)sn, sc, (int)mn, m, (int)nn, nm);
    else if (near)
        lg__sb_add(&p->msg, "; did you mean '%s'?", near);
    else
        lg__sb_add(&p->msg, "; the scenarios are SingleStream, MultiStream, Server, Offline "
                            "and '*'");
    return -1;
}

/* An unknown name: the message, pointing an lg_settings field name to its key. */
static int unknown_name(parser *p, const char *nm, size_t nn)
{
    perr(p, nm);
    lg__sb_add(&p->msg, "unknown key ");
    lg__sb_quote(&p->msg, nm, nn);
    for (size_t i = 0; i < LG__NFIELDS; i++)
        if (lg__fields[i].key && strlen(lg__fields[i].name) == nn &&
            memcmp(lg__fields[i].name, nm, nn) == 0) {
            lg__sb_add(&p->msg, "; did you mean '%s'? ('%s' is the lg_settings field it "
                                "sets)", lg__fields[i].key, lg__fields[i].name);
            return -1;
        }
    const char *near = lg__nearest(nm, nn, key_name_at, nkeys);
    if (near)
        lg__sb_add(&p->msg, "; did you mean '%s'?", near);
    else
        lg__sb_add(&p->msg, " (docs/configuration.md lists the keys)");
    return -1;
}

/* A known key ki under scenario scen (-1 = '*') in a file of p's kind: where it may be.
 * Returns 0 with *ignored set (a line MLPerf accepts and never reads), or -1. */
static int check_key_use(parser *p, int ki, int scen, const char *sc, const char *nm,
                         bool *ignored)
{
    const key_def *kd = &keys[ki];
    *ignored = false;
    if (kd->mlperf_only && p->kind == LG_CONF_USER) {
        perr(p, nm);
        lg__sb_add(&p->msg, "'%s' is read only from mlperf.conf (MLPerf ignores it in "
                            "user.conf); put it in a file loaded as mlperf.conf, or set it "
                            "on the command line", kd->name);
        return -1;
    }
    if (scen < 0 || (kd->scen & LG_SCENARIO_BIT(scen)))
        return 0;
    if (kd->ignore_scen & LG_SCENARIO_BIT(scen)) {
        *ignored = true;
        return 0;
    }
    perr(p, sc);
    const lg__scenario_ops *so = lg__scenario((lg_scenario)scen);
    lg__sb_add(&p->msg, "'%s' does not apply to %s (it applies to ", kd->name, so->name);
    sb_scenarios(&p->msg, kd->scen);
    lg__sb_add(&p->msg, ")");
    /* A rate where the scenario's rate is another key (SingleStream's expected latency
     * is target_latency): name that key. */
    int ri = lg_settings_field_find(so->rate_setting);
    const char *rate_key = ri >= 0 ? lg__fields[ri].key : NULL;
    if (ki == key_find("target_qps", 10) && rate_key && strcmp(rate_key, "target_qps"))
        lg__sb_add(&p->msg, "; for %s set %s, %s", so->name, rate_key, so->rate_words);
    return -1;
}

/* Checks the three parts of a key, read from the right: the name after the last dot,
 * the scenario before it, and the model, everything before that (MLPerf builds its
 * lookup keys by joining strings, so a model name may hold dots: "wan-2.2-t2v-a14b").
 * Returns 0 or -1 with the message written. */
static int parse_key(parser *p, const char *k, size_t kn, entry *out)
{
    const char *dot2 = last_of(k, kn, '.');
    const char *dot1 = dot2 ? last_of(k, (size_t)(dot2 - k), '.') : NULL;
    if (!dot1)
        return key_too_short(p, k, kn, dot2);
    const char *m = k, *sc = dot1 + 1, *nm = dot2 + 1;
    size_t mn = (size_t)(dot1 - k), sn = (size_t)(dot2 - sc), nn = kn - (size_t)(nm - k);
    if (!mn || !sn || !nn) {
        perr(p, !mn ? m : !sn ? sc : nm);
        lg__sb_add(&p->msg, "the %s part of the key ", !mn ? "model" : !sn ? "scenario" : "name");
        lg__sb_quote(&p->msg, k, kn);
        lg__sb_add(&p->msg, " is empty; a key is model.scenario.name, with '*' for any "
                            "model or scenario");
        return -1;
    }
    int scen, ki;
    bool ignored;
    if (check_model_part(p, m, mn) ||
        check_scenario_part(p, m, mn, sc, sn, nm, nn, &scen))
        return -1;
    if ((ki = key_find(nm, nn)) < 0)
        return unknown_name(p, nm, nn);
    if (check_key_use(p, ki, scen, sc, nm, &ignored))
        return -1;
    out->key = ki;
    out->scen = scen;
    out->ignored = ignored;
    return 0;
}

/* Writes "above 0 and at most 100 (percent)". */
static void sb_interval(lg__sbuf *b, double lo, bool lo_open, double hi, bool hi_open,
                        const char *unit)
{
    char a[40], z[40];
    lg__format_double(lo, a, sizeof a);
    lg__format_double(hi, z, sizeof z);
    lg__sb_add(b, "%s %s and %s %s (%s)", lo_open ? "above" : "at least", a,
           hi_open ? "below" : "at most", z, unit);
}

/* Writes the range of values a key accepts, with its unit. */
static void sb_range(lg__sbuf *b, const key_def *kd)
{
    key_range r = range_of(kd);
    if (strcmp(kd->name, "mode") == 0) {
        lg__sb_add(b, "0 (SubmissionRun), 1 (AccuracyOnly), 2 (PerformanceOnly) or 3 "
                  "(FindPeakPerformance, Server only)");
    } else if (kd->vt == VT_NAME) {
        lg__sb_add(b, "poisson, constant, gamma, ramp, stages or trace");
    } else if (kd->vt == VT_UINT && r.uhi == 1) {
        lg__sb_add(b, "0 (off) or 1 (on)");
    } else if (kd->vt == VT_UINT) {
        lg__sb_add(b, "a whole number from %" PRIu64 " to %" PRIu64 " (%s)", r.ulo, r.uhi,
                   kd->unit);
    } else {
        sb_interval(b, r.lo, r.lo_open, r.hi, r.hi_open, kd->unit);
    }
}

/* Checks a value for key kd. Returns 0 or -1 with the message written. */
static int parse_value(parser *p, const char *v, size_t vn, const char *k, size_t kn,
                       entry *out)
{
    const key_def *kd = &keys[out->key];
    int rc;
    if (kd->vt == VT_NAME) {
        char name[32];
        lg_arrival a;
        bool ok = vn < sizeof name;
        if (ok) {
            memcpy(name, v, vn);
            name[vn] = '\0';
            ok = lg_arrival_parse(name, &a) == 0;
        }
        if (!ok) {
            perr(p, v);
            lg__sb_add(&p->msg, "the value ");
            lg__sb_quote(&p->msg, v, vn);
            lg__sb_add(&p->msg, " of ");
            lg__sb_quote(&p->msg, k, kn);
            lg__sb_add(&p->msg, " is not an arrival pattern; it must be ");
            sb_range(&p->msg, kd);
            return -1;
        }
        out->u = (uint64_t)a;
        out->d = (double)a;
        out->is_real = false;
        return 0;
    }
    if (kd->vt == VT_UINT) {
        rc = lg__parse_uint(v, vn, &out->u);
        out->d = (double)out->u;
    } else {
        rc = lg__parse_real(v, vn, &out->d);
    }
    out->is_real = kd->vt == VT_REAL;
    if (rc != LG__NUM_OK) {
        perr(p, v);
        lg__sb_add(&p->msg, "the value ");
        lg__sb_quote(&p->msg, v, vn);
        lg__sb_add(&p->msg, " of ");
        lg__sb_quote(&p->msg, k, kn);
        lg__sb_add(&p->msg, " %s", lg__num_problem(rc));
        if (rc == LG__NUM_TOO_BIG) {
            lg__sb_add(&p->msg, "; it must be ");
            sb_range(&p->msg, kd);
        }
        if (rc == LG__NUM_SYNTAX && memchr(v, '#', vn))
            lg__sb_add(&p->msg, " (a comment after a value needs a space before '#')");
        return -1;
    }
    const char *why = NULL;
    key_range r = range_of(kd);
    if (kd->vt == VT_UINT) {
        if (out->u < r.ulo || out->u > r.uhi)
            why = "is out of range";
    } else {
        double x = out->d;
        bool lo_bad = r.lo_open ? !(x > r.lo) : !(x >= r.lo);
        bool hi_bad = r.hi_open ? !(x < r.hi) : !(x <= r.hi);
        if (lo_bad || hi_bad)
            why = x < 0 ? "is negative" : "is out of range";
    }
    if (why) {
        perr(p, v);
        lg__sb_add(&p->msg, "the value ");
        lg__sb_quote(&p->msg, v, vn);
        lg__sb_add(&p->msg, " of ");
        lg__sb_quote(&p->msg, k, kn);
        lg__sb_add(&p->msg, " %s; it must be ", why);
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
            lg__sb_add(&p->msg, "a NUL byte; a config file is text");
            return -1;
        } else if (*q == '\r') {
            perr(p, q);
            lg__sb_add(&p->msg, "a carriage return inside the line (only CRLF line ends are "
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
            lg__sb_add(&p->msg, "unexpected character ");
            lg__sb_quote(&p->msg, q, 1);
            lg__sb_add(&p->msg, "; keys and values are plain ASCII");
            return -1;
        }
    }
    const char *k = s, *ke = word_end(s, e, true);
    size_t kn = (size_t)(ke - k);
    if (kn == 0) {
        perr(p, k);
        lg__sb_add(&p->msg, "a line starts with '=' but has no key before it");
        return -1;
    }
    const char *q = ke;
    while (q < e && is_space(*q))
        q++;
    if (q == e || *q == '#') {
        perr(p, q);
        lg__sb_add(&p->msg, "expected '= value' after the key ");
        lg__sb_quote(&p->msg, k, kn);
        return -1;
    }
    if (*q != '=') {
        perr(p, q);
        lg__sb_add(&p->msg, "expected '=' after the key ");
        lg__sb_quote(&p->msg, k, kn);
        lg__sb_add(&p->msg, ", found ");
        lg__sb_quote(&p->msg, q, (size_t)(e - q));
        return -1;
    }
    q++;
    while (q < e && is_space(*q))
        q++;
    if (q == e || *q == '#') {
        perr(p, q);
        lg__sb_add(&p->msg, "missing value after '=' for the key ");
        lg__sb_quote(&p->msg, k, kn);
        return -1;
    }
    const char *v = q, *ve = word_end(q, e, false);
    size_t vn = (size_t)(ve - v);
    q = ve;
    while (q < e && is_space(*q))
        q++;
    if (q < e && *q != '#') {
        perr(p, q);
        lg__sb_add(&p->msg, "unexpected text after the value of ");
        lg__sb_quote(&p->msg, k, kn);
        lg__sb_add(&p->msg, ": ");
        lg__sb_quote(&p->msg, q, (size_t)(e - q));
        lg__sb_add(&p->msg, "; a line holds one 'key = value'");
        return -1;
    }

    entry en;
    memset(&en, 0, sizeof en);
    if (parse_key(p, k, kn, &en) || parse_value(p, v, vn, k, kn, &en))
        return -1;
    en.line = p->line;
    /* One allocation holds the key as written, the model, and the value as written. */
    const char *dot2 = last_of(k, kn, '.');
    size_t mn = (size_t)(last_of(k, (size_t)(dot2 - k), '.') - k);
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
    lg__set_err(err, errlen, "%s", "");
    if (!name)
        name = "<string>";
    if (!c || (!text && len) || (kind != LG_CONF_MLPERF && kind != LG_CONF_USER)) {
        lg__set_err(err, errlen, "lg_config_load_string: %s",
                !c ? "no config" : (!text && len) ? "no text" : "kind must be "
                "LG_CONF_MLPERF or LG_CONF_USER");
        return LG_EINVAL;
    }
    if (kind == LG_CONF_MLPERF && c->has_user) {
        lg__set_err(err, errlen, "%s: an mlperf.conf file must be loaded before user.conf "
                "files (a later file overrides an earlier one)", name);
        return LG_EINVAL;
    }
    if (len > LG_CONFIG_MAX_BYTES) {
        lg__set_err(err, errlen, "%s: %zu bytes; a config file may hold at most %u", name,
                len, LG_CONFIG_MAX_BYTES);
        return LG_EINVAL;
    }
    if (c->nfiles >= UINT32_MAX) {
        lg__set_err(err, errlen, "%s: too many files", name);
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
            lg__set_err(err, errlen, "%s: out of memory", name);
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
    lg__set_err(err, errlen, "%s", "");
    if (!c || !path) {
        lg__set_err(err, errlen, "lg_config_load_file: %s", !c ? "no config" : "no path");
        return LG_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        char eb[128];
        lg__set_err(err, errlen, "%s: cannot open: %s", path, strerror_r(errno, eb, sizeof eb));
        return LG_EIO;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : LG_ENOMEM;
    while (rc == 0) {
        if (len == cap) {
            if (cap > LG_CONFIG_MAX_BYTES) {
                lg__set_err(err, errlen, "%s: larger than %u bytes; a config file is small",
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
                lg__set_err(err, errlen, "%s: cannot read: %s", path,
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
        lg__set_err(err, errlen, "%s: out of memory", path);
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
    int field; /* index in lg__fields[], or -1 */
} slot;

/* Lists the lookups of a run in `scenario`. Returns how many (at most LG__NFIELDS +
 * NKEYS_MAX). */
static size_t build_slots(lg_scenario scenario, slot *out)
{
    keys_init();
    size_t n = 0;
    for (size_t i = 0; i < LG__NFIELDS; i++)
        if (lg__fields[i].key) {
            out[n].key = key_find(lg__fields[i].key, strlen(lg__fields[i].key));
            out[n].scen = lg__fields[i].lookup >= 0 ? lg__fields[i].lookup : (int)scenario;
            out[n].field = (int)i;
            n++;
        }
    for (size_t k = 0; k < nkeys; k++)
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
static slot slot_table[4][LG__NFIELDS + NKEYS_MAX];
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
    lg__set_err(err, errlen, "%s:%d: %s = %s: %s", c->files[e->file].name, e->line, e->text,
            e->value, what);
}

int lg_config_apply(const lg_config *c, const char *model, lg_scenario scenario,
                    lg_settings *s, lg_config_origin *origins, char *err, size_t errlen)
{
    lg__set_err(err, errlen, "%s", "");
    if (!model)
        model = "*";
    if (!c || !s || (unsigned)scenario >= LG__NSCENARIOS || check_model(model)) {
        lg__set_err(err, errlen, "lg_config_apply: %s",
                !c || !s ? "no config or settings"
                : (unsigned)scenario >= LG__NSCENARIOS
                    ? "unknown scenario"
                    : "the model name must be '*' or letters, digits, '_', '-', '+', '.'");
        return LG_EINVAL;
    }
    lg_settings t = *s;
    lg_config_origin o[LG__NFIELDS];
    if (origins)
        memcpy(o, origins, sizeof o);
    size_t ns;
    const slot *slots = get_slots(scenario, &ns);

    const entry *zero_bound = NULL; /* a line giving the Server bound 0 */
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
        const lg__field *fd = &lg__fields[slots[i].field];
        const key_def *kd = &keys[e->key];
        char *fp = (char *)&t + fd->off;
        /* The value in the field's unit, from the text with one rounding. */
        int shift = fd->cv == LG__CV_MS_NS ? 6 : fd->cv == LG__CV_PCT ? -2 : 0;
        double x = e->is_real ? lg__parse_real_shifted(e->value, strlen(e->value), shift)
                              : e->d;
        if (fd->cv == LG__CV_MS_NS)
            x = round(x);
        if (kd->nonzero && x == 0) {
            /* The Server bound may be 0 in token mode (MLPerf's LLM benchmarks set it
             * so: TTFT and TPOT are judged instead), known once every key is applied. */
            if (!(fd->open & LG__LO_OPEN)) {
                zero_bound = e;
            } else {
                char what[200];
                snprintf(what, sizeof what, "%s needs at least 1 ns (0.000001 ms); 0 is "
                         "allowed only for the Server bound in token mode", fd->name);
                entry_err(c, e, err, errlen, what);
                return LG_EINVAL;
            }
        }
        switch (fd->ft) {
        case LG__FT_MODE:
            *(lg_mode *)(void *)fp = (lg_mode)e->u;
            break;
        case LG__FT_F64:
            memcpy(fp, &x, sizeof x);
            break;
        case LG__FT_I64: {
            int64_t i64 = fd->cv == LG__CV_MS_NS ? (int64_t)x : (int64_t)e->u;
            memcpy(fp, &i64, sizeof i64);
            break;
        }
        case LG__FT_U64:
            memcpy(fp, &e->u, sizeof e->u);
            break;
        case LG__FT_BOOL: {
            bool b = e->u != 0;
            memcpy(fp, &b, sizeof b);
            break;
        }
        case LG__FT_ARRIVAL: {
            lg_arrival a = (lg_arrival)e->u;
            memcpy(fp, &a, sizeof a);
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
    if (zero_bound && !t.use_token_latencies && t.server_target_latency_ns == 0) {
        entry_err(c, zero_bound, err, errlen, "server_target_latency_ns needs at least 1 ns "
                  "(0.000001 ms); 0 is allowed only with use_token_latencies = 1, which "
                  "judges TTFT and TPOT instead");
        return LG_EINVAL;
    }
    *s = t;
    if (origins)
        memcpy(origins, o, sizeof o);
    return 0;
}

/* The distinct model names the lines give (not '*'), in first-seen order, into names
 * (malloc'd; the strings belong to c). Returns how many, or -1 without memory. */
static long model_names(const lg_config *c, const char ***names)
{
    *names = malloc((c->n ? c->n : 1) * sizeof **names);
    if (!*names)
        return -1;
    long n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const char *m = c->entries[i].model;
        bool seen = strcmp(m, "*") == 0;
        for (long j = 0; j < n && !seen; j++)
            seen = strcmp((*names)[j], m) == 0;
        if (!seen)
            (*names)[n++] = m;
    }
    return n;
}

int lg_config_apply_audit(const char *path, const char *model, lg_settings *s, char *err,
                          size_t errlen)
{
    lg__set_err(err, errlen, "%s", "");
    if (!path || !*path || !s) {
        lg__set_err(err, errlen, "lg_config_apply_audit: %s", !s ? "no settings"
                                                                  : "no path");
        return LG_EINVAL;
    }
    /* No file is the normal case: a run that is not a compliance test. */
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return 0;
    lg_config *c = NULL;
    int rc = lg_config_create(&c);
    if (rc) {
        lg__set_err(err, errlen, "%s: out of memory", path);
        return rc;
    }
    lg_settings t = *s;
    rc = lg_config_load_file(c, path, LG_CONF_MLPERF, err, errlen);
    if (!rc)
        rc = lg_config_apply(c, model, s->scenario, &t, NULL, err, errlen);
    lg_config_destroy(c);
    if (rc)
        return rc;
    *s = t;
    return 1;
}

int lg_config_model_warnings(const lg_config *c, const char *model, char *buf, size_t len)
{
    lg__sbuf b = {buf, len, 0};
    if (len && buf)
        buf[0] = '\0';
    if (!c || (!buf && len))
        return LG_EINVAL;
    if (!model)
        model = "*";
    const char **names;
    long nn = model_names(c, &names);
    if (nn < 0)
        return LG_ENOMEM;
    int warnings = 0;
    bool named = strcmp(model, "*") == 0;
    /* Each user-kind model that is not the run's, once, at its first line. */
    for (long j = 0; j < nn; j++) {
        const char *m = names[j];
        if (strcmp(m, model) == 0) {
            named = true;
            continue;
        }
        size_t lines = 0, first = 0;
        for (size_t i = 0; i < c->n; i++)
            if (c->files[c->entries[i].file].kind == LG_CONF_USER &&
                strcmp(c->entries[i].model, m) == 0 && !lines++)
                first = i;
        if (!lines)
            continue;
        const entry *e = &c->entries[first];
        bool none = strcmp(model, "*") == 0;
        lg__sb_add(&b, "%s%s:%d: the model '%s' is not this run's%s%s%s: its %zu line%s "
                   "%s to nothing in this run", warnings ? "\n" : "",
                   c->files[e->file].name, e->line, m, none ? " (no model was given" : " ('",
                   none ? "" : model, none ? ")" : "')", lines, lines == 1 ? "" : "s",
                   lines == 1 ? "applies" : "apply");
        /* The nearest other name the files give, or the run's own model. */
        const char *near = NULL;
        if (strcmp(model, "*") && lg__nearest_in(m, strlen(m), &model, 1))
            near = model;
        for (long k = 0; k < nn && !near; k++)
            if (k != j && lg__nearest_in(m, strlen(m), &names[k], 1))
                near = names[k];
        if (near)
            lg__sb_add(&b, "; did you mean '%s'?", near);
        warnings++;
    }
    if (!named && nn > 0) {
        lg__sb_add(&b, "%sthe model '%s' is named by no line of the config files, so only "
                   "'*' lines apply", warnings ? "\n" : "", model);
        const char *near = lg__nearest_in(model, strlen(model), names, (size_t)nn);
        if (near)
            lg__sb_add(&b, "; did you mean '%s'?", near);
        warnings++;
    }
    free(names);
    return warnings;
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
    out->scenario = e->scen < 0 ? "*" : lg_scenario_name((lg_scenario)e->scen);
    out->name = keys[e->key].name;
    out->value = e->value;
    return 0;
}

int lg_config_entry_status(const lg_config *c, size_t i, const char *model,
                           lg_scenario scenario)
{
    if (!model)
        model = "*";
    if (!c || i >= c->n || (unsigned)scenario >= LG__NSCENARIOS || check_model(model))
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
    lg__sbuf b = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    switch (o->source) {
    case LG_CONF_SRC_FILE:
        lg__sb_add(&b, "%s:%d", o->file ? o->file : "?", o->line);
        if (o->key && o->value)
            lg__sb_add(&b, " (%s = %s)", o->key, o->value);
        break;
    case LG_CONF_SRC_CALLER:
        lg__sb_add(&b, "command line");
        if (o->file)
            lg__sb_add(&b, " (%s)", o->file);
        break;
    default:
        lg__sb_add(&b, "default");
        break;
    }
    return b.len > INT_MAX ? INT_MAX : (int)b.len;
}
