/* trace.c: arrival traces read from files (docs/arrival.md): a plain file of timestamps
 * in seconds, the Azure LLM inference CSV and Mooncake's JSON Lines. Each row becomes a
 * time from the first row's and, for the two LLM formats, its prompt and output lengths.
 * Every error names the file, the line and the field. libc only: the core library takes
 * no JSON dependency, and a Mooncake row is one flat object whose few keys are scanned
 * here (nested values are skipped, not interpreted). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loadgen/internal.h"
#include "loadgen/text.h"

static const char *const format_names[] = {"plain", "azure", "mooncake"};
#define NFORMATS (sizeof format_names / sizeof format_names[0])

const char *lg_trace_format_name(lg_trace_format f)
{
    return (unsigned)f < NFORMATS ? format_names[f] : "unknown";
}

int lg_trace_format_parse(const char *name, lg_trace_format *out)
{
    for (unsigned i = 0; name && out && i < NFORMATS; i++)
        if (strcasecmp(name, format_names[i]) == 0) {
            *out = (lg_trace_format)i;
            return 0;
        }
    return LG_EINVAL;
}

void lg_trace_free(lg_trace *t)
{
    if (!t)
        return;
    free(t->time_ns);
    free(t->input_tokens);
    free(t->output_tokens);
    memset(t, 0, sizeof *t);
}

/* The reader's state: the file, the line being read and the rows so far. */
typedef struct reader {
    const char *path;
    unsigned long line;
    char *err;
    size_t errlen;
    lg_trace *out;
    uint64_t cap;
    bool lengths;
    double first_s;   /* the first row's time, in the file's unit converted to seconds */
    double prev_s;
} reader;

static int bad(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(reader *r, const char *fmt, ...)
{
    if (r->err && r->errlen) {
        int n = snprintf(r->err, r->errlen, "%s:%lu: ", r->path, r->line);
        if (n >= 0 && (size_t)n < r->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return LG_EINVAL;
}

/* Appends a row whose time is secs (in seconds, absolute in the file's own origin). */
static int add_row(reader *r, double secs, uint64_t in, uint64_t out, const char *field)
{
    lg_trace *t = r->out;
    if (t->count == r->cap) {
        uint64_t cap = r->cap ? r->cap * 2 : 1024;
        int64_t *tn = realloc(t->time_ns, cap * sizeof *tn);
        if (!tn)
            return LG_ENOMEM;
        t->time_ns = tn;
        if (r->lengths) {
            uint64_t *a = realloc(t->input_tokens, cap * sizeof *a);
            if (!a)
                return LG_ENOMEM;
            t->input_tokens = a;
            uint64_t *b = realloc(t->output_tokens, cap * sizeof *b);
            if (!b)
                return LG_ENOMEM;
            t->output_tokens = b;
        }
        r->cap = cap;
    }
    if (t->count == 0)
        r->first_s = r->prev_s = secs;
    if (secs < r->prev_s)
        return bad(r, "field '%s': %.9g s is before the previous row's %.9g s; a trace's "
                   "rows must be in time order", field, secs - r->first_s,
                   r->prev_s - r->first_s);
    double off_ns = (secs - r->first_s) * 1e9;
    if (!(off_ns < (double)LG__YEAR_NS * 10))
        return bad(r, "field '%s': %.9g s after the first row, beyond ten years", field,
                   secs - r->first_s);
    r->prev_s = secs;
    t->time_ns[t->count] = (int64_t)llround(off_ns);
    if (r->lengths) {
        t->input_tokens[t->count] = in;
        t->output_tokens[t->count] = out;
    }
    t->count++;
    return 0;
}

/* A non-negative decimal number of the whole text [s, s+n). */
static int parse_secs(reader *r, const char *s, size_t n, const char *field, double *out)
{
    int rc = lg__parse_real(s, n, out);
    if (rc)
        return bad(r, "field '%s': '%.*s' %s", field, (int)(n > 60 ? 60 : n), s,
                   lg__num_problem(rc));
    if (*out < 0)
        return bad(r, "field '%s': %.*s is below 0", field, (int)n, s);
    return 0;
}

static int parse_count(reader *r, const char *s, size_t n, const char *field, uint64_t *out)
{
    int rc = lg__parse_uint(s, n, out);
    if (rc)
        return bad(r, "field '%s': '%.*s' %s", field, (int)(n > 60 ? 60 : n), s,
                   lg__num_problem(rc));
    return 0;
}

/* ---------------------------------------------------------------- plain */

static int plain_line(reader *r, char *s, size_t n)
{
    if (n == 0 || s[0] == '#')
        return 0;
    double secs;
    int rc = parse_secs(r, s, n, "timestamp", &secs);
    return rc ? rc : add_row(r, secs, 0, 0, "timestamp");
}

/* ---------------------------------------------------------------- Azure */

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (UTC). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DD HH:MM:SS[.fraction]" (the Azure trace's form, up to 9 digits of fraction)
 * as seconds since 1970, UTC. */
static int parse_azure_time(reader *r, const char *s, size_t n, double *out)
{
    unsigned y, mo, d, h, mi, se;
    int used = 0;
    char buf[48];
    if (n >= sizeof buf)
        return bad(r, "field 'TIMESTAMP': '%.40s...' is not a time YYYY-MM-DD HH:MM:SS.fff",
                   s);
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (sscanf(buf, "%4u-%2u-%2u %2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 ||
        used != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return bad(r, "field 'TIMESTAMP': '%s' is not a time YYYY-MM-DD HH:MM:SS.fff", buf);
    double frac = 0, scale = 0.1;
    const char *p = buf + used;
    if (*p == '.') {
        p++;
        if (!*p)
            return bad(r, "field 'TIMESTAMP': '%s' has no digits after the '.'", buf);
        for (int k = 0; *p; p++, k++) {
            if (*p < '0' || *p > '9' || k >= 9)
                return bad(r, "field 'TIMESTAMP': '%s': the fraction must be 1 to 9 digits",
                           buf);
            frac += (*p - '0') * scale;
            scale /= 10;
        }
    } else if (*p) {
        return bad(r, "field 'TIMESTAMP': '%s' is not a time YYYY-MM-DD HH:MM:SS.fff", buf);
    }
    int64_t days = days_from_civil(y, mo, d);
    *out = (double)(days * 86400 + h * 3600 + mi * 60 + se) + frac;
    return 0;
}

/* The columns of the Azure CSV, found by name in its header. */
typedef struct azure_cols {
    int ts, ctx, gen, n;
} azure_cols;

static int azure_header(reader *r, char *s, azure_cols *c)
{
    *c = (azure_cols){-1, -1, -1, 0};
    for (char *tok = s;; c->n++) {
        char *comma = strchr(tok, ',');
        size_t len = comma ? (size_t)(comma - tok) : strlen(tok);
        if (len == 9 && strncmp(tok, "TIMESTAMP", 9) == 0)
            c->ts = c->n;
        else if (len == 13 && strncmp(tok, "ContextTokens", 13) == 0)
            c->ctx = c->n;
        else if (len == 15 && strncmp(tok, "GeneratedTokens", 15) == 0)
            c->gen = c->n;
        if (!comma)
            break;
        tok = comma + 1;
    }
    c->n++;
    const char *missing = c->ts < 0 ? "TIMESTAMP" : c->ctx < 0 ? "ContextTokens"
                        : c->gen < 0 ? "GeneratedTokens" : NULL;
    if (missing)
        return bad(r, "field '%s': missing from the header; an Azure LLM inference trace "
                   "starts with TIMESTAMP,ContextTokens,GeneratedTokens", missing);
    return 0;
}

static int azure_line(reader *r, char *s, size_t n, azure_cols *c)
{
    if (n == 0)
        return 0;
    if (c->n == 0)
        return azure_header(r, s, c);
    const char *f[64];
    size_t fl[64];
    int k = 0;
    for (char *tok = s; k < 64; k++) {
        char *comma = strchr(tok, ',');
        f[k] = tok;
        fl[k] = comma ? (size_t)(comma - tok) : strlen(tok);
        if (!comma) {
            k++;
            break;
        }
        tok = comma + 1;
    }
    if (k != c->n)
        return bad(r, "%d fields where the header has %d", k, c->n);
    double secs = 0;
    uint64_t in = 0, out = 0;
    int rc;
    if ((rc = parse_azure_time(r, f[c->ts], fl[c->ts], &secs)) ||
        (rc = parse_count(r, f[c->ctx], fl[c->ctx], "ContextTokens", &in)) ||
        (rc = parse_count(r, f[c->gen], fl[c->gen], "GeneratedTokens", &out)))
        return rc;
    return add_row(r, secs, in, out, "TIMESTAMP");
}

/* ---------------------------------------------------------------- Mooncake */

/* Skips one JSON value at *p (string, number, literal, array or object, nested);
 * returns false when it is malformed. */
static bool skip_value(const char **p)
{
    const char *s = *p;
    int depth = 0;
    do {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '"') {
            for (s++; *s && *s != '"'; s++)
                if (*s == '\\' && s[1])
                    s++;
            if (*s != '"')
                return false;
            s++;
        } else if (*s == '[' || *s == '{') {
            depth++;
            s++;
            continue;
        } else if (*s == ']' || *s == '}') {
            if (depth == 0)
                return false;
            depth--;
            s++;
        } else if (*s && strchr("-0123456789tfn", *s)) {
            while (*s && !strchr(",]} \t", *s))
                s++;
        } else {
            return false;
        }
        while (*s == ' ' || *s == '\t')
            s++;
        /* Inside a nested value: a ',' between items, a ':' after an object's key. */
        if (depth && (*s == ',' || *s == ':'))
            s++;
        else if (depth && *s != ']' && *s != '}')
            return false;
    } while (depth);
    *p = s;
    return true;
}

/* The three numbers of a Mooncake row. */
typedef struct mc_row {
    const char *v[3];
    size_t n[3];
} mc_row;

static const char *const mc_keys[3] = {"timestamp", "input_length", "output_length"};

static int mooncake_scan(reader *r, const char *s, mc_row *row)
{
    memset(row, 0, sizeof *row);
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s++ != '{')
        return bad(r, "not a JSON object (a Mooncake row is {\"timestamp\": ..., ...})");
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '}')
            break;
        if (*s != '"')
            return bad(r, "expected a key in quotes or '}'");
        const char *k = ++s;
        while (*s && *s != '"')
            s++;
        size_t kn = (size_t)(s - k);
        if (*s++ != '"')
            return bad(r, "a key's quotes are not closed");
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s++ != ':')
            return bad(r, "field '%.*s': no ':' after the key", (int)kn, k);
        while (*s == ' ' || *s == '\t')
            s++;
        const char *v = s;
        if (!skip_value(&s))
            return bad(r, "field '%.*s': its value is not valid JSON", (int)kn, k);
        for (int i = 0; i < 3; i++)
            if (strlen(mc_keys[i]) == kn && memcmp(mc_keys[i], k, kn) == 0) {
                row->v[i] = v;
                row->n[i] = (size_t)(s - v);
                while (row->n[i] && (v[row->n[i] - 1] == ' ' || v[row->n[i] - 1] == '\t'))
                    row->n[i]--;
            }
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s != '}')
            return bad(r, "field '%.*s': expected ',' or '}' after its value", (int)kn, k);
        break;
    }
    for (s++; *s == ' ' || *s == '\t'; s++)
        ;
    if (*s)
        return bad(r, "text after the object's closing '}'");
    for (int i = 0; i < 3; i++)
        if (!row->v[i])
            return bad(r, "field '%s': missing", mc_keys[i]);
    return 0;
}

static int mooncake_line(reader *r, char *s, size_t n)
{
    if (n == 0)
        return 0;
    mc_row row;
    int rc = mooncake_scan(r, s, &row);
    if (rc)
        return rc;
    double ms = 0;
    uint64_t in = 0, out = 0;
    if ((rc = parse_secs(r, row.v[0], row.n[0], "timestamp", &ms)) ||
        (rc = parse_count(r, row.v[1], row.n[1], "input_length", &in)) ||
        (rc = parse_count(r, row.v[2], row.n[2], "output_length", &out)))
        return rc;
    return add_row(r, ms / 1000.0, in, out, "timestamp");
}

/* ---------------------------------------------------------------- the reader */

int lg_trace_load(const char *path, lg_trace_format fmt, lg_trace *out, char *err,
                  size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!path || !out || (unsigned)fmt >= NFORMATS) {
        if (err && errlen)
            snprintf(err, errlen, "lg_trace_load: no %s", !path ? "path" : !out ? "out"
                                                                              : "such format");
        return LG_EINVAL;
    }
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open the trace: %s", path, strerror(errno));
        return LG_EIO;
    }
    reader r = {.path = path, .err = err, .errlen = errlen, .out = out,
                .lengths = fmt != LG_TRACE_PLAIN};
    azure_cols cols = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    while (!rc && (got = getline(&line, &cap, f)) >= 0) {
        r.line++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (strlen(line) != n)
            rc = bad(&r, "a NUL byte in the line (not a text file?)");
        else if (fmt == LG_TRACE_PLAIN)
            rc = plain_line(&r, line, n);
        else if (fmt == LG_TRACE_AZURE)
            rc = azure_line(&r, line, n, &cols);
        else
            rc = mooncake_line(&r, line, n);
    }
    if (!rc && ferror(f)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot read the trace: %s", path, strerror(errno));
        rc = LG_EIO;
    }
    if (!rc && out->count == 0) {
        r.line++;
        rc = bad(&r, "the trace has no rows");
    }
    if (rc == LG_ENOMEM && err && errlen)
        snprintf(err, errlen, "%s:%lu: out of memory for the trace", path, r.line);
    free(line);
    fclose(f);
    if (rc)
        lg_trace_free(out);
    return rc;
}
