/* buf.c: the growable text buffer, XML/HTML escaping and locale-independent number
 * text (plain, durations, tick labels) for the charts. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/internal.h"

struct plot_buf {
    char *data;
    size_t len;
    size_t cap;
    int err;
};

/* Returned by plot_buf_data() before the first allocation, so it is never NULL. */
static const char empty_text[1] = "";

/* ---- buffer --------------------------------------------------------------------- */

int plot_buf_create(plot_buf **out)
{
    if (!out)
        return -EINVAL;
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

void plot_buf_destroy(plot_buf *b)
{
    if (!b)
        return;
    free(b->data);
    free(b);
}

const char *plot_buf_data(const plot_buf *b)
{
    return b && b->data ? b->data : empty_text;
}

size_t plot_buf_len(const plot_buf *b)
{
    return b ? b->len : 0;
}

int plot_buf_error(const plot_buf *b)
{
    return b ? b->err : -EINVAL;
}

void plot__buf_fail(plot_buf *b)
{
    if (b)
        b->err = -ENOMEM;
}

void plot__buf_truncate(plot_buf *b, size_t len)
{
    if (!b || !b->data || len > b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

void plot_buf_clear(plot_buf *b)
{
    if (!b)
        return;
    b->len = 0;
    b->err = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL; remembers a failure. Capacity at
 * least doubles, so appending byte by byte stays linear. */
static int reserve(plot_buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (extra < b->cap - b->len && b->data)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len - 1) {
        b->err = -ENOMEM;
        return b->err;
    }
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->err = -ENOMEM;
        return b->err;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

char *plot_buf_take(plot_buf *b, size_t *len)
{
    if (!b || b->err)
        return NULL;
    if (reserve(b, 0)) {
        b->err = 0; /* the buffer is unchanged: taking failed, appending still works */
        return NULL;
    }
    char *s = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return s;
}

int plot_buf_append(plot_buf *b, const char *s, size_t n)
{
    if (!b)
        return -EINVAL;
    if (reserve(b, n))
        return b->err;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int plot_buf_puts(plot_buf *b, const char *s)
{
    return plot_buf_append(b, s ? s : "", s ? strlen(s) : 0);
}

int plot_buf_printf(plot_buf *b, const char *fmt, ...)
{
    if (!b || !fmt)
        return -EINVAL;
    if (b->err)
        return b->err;
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < sizeof(small))
        return plot_buf_append(b, small, (size_t)n);
    if (reserve(b, (size_t)n))
        return b->err;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

/* ---- escaping ----------------------------------------------------------------------- */

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/*
 * Looks at the unit (one character, or one invalid byte) starting at s. Returns its
 * length in bytes; *rep receives its replacement text (length *rlen), or NULL when the
 * unit is copied as it is.
 */
static size_t next_unit(const unsigned char *s, const char **rep, size_t *rlen)
{
    unsigned c = s[0];
    *rep = NULL;
    if (c < 0x80) {
        switch (c) {
        case '&': *rep = "&amp;"; *rlen = 5; return 1;
        case '<': *rep = "&lt;"; *rlen = 4; return 1;
        case '>': *rep = "&gt;"; *rlen = 4; return 1;
        case '"': *rep = "&quot;"; *rlen = 6; return 1;
        case '\'': *rep = "&#39;"; *rlen = 5; return 1;
        case '\t': case '\n': case '\r': *rep = " "; *rlen = 1; return 1;
        default: break;
        }
        /* XML 1.0 forbids C0 controls even as references; HTML calls them and DEL
         * parse errors. */
        if (c < 0x20 || c == 0x7F) {
            *rep = replacement;
            *rlen = 3;
        }
        return 1;
    }
    /* Strict UTF-8 (no overlong forms, surrogates or values above U+10FFFF). */
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        goto invalid;
    }
    if (s[1] < lo || s[1] > hi)
        goto invalid;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            goto invalid;
    /* C1 controls (U+0080..U+009F) and the non-characters U+FFFE and U+FFFF. */
    if ((c == 0xC2 && s[1] <= 0x9F) || (c == 0xEF && s[1] == 0xBF && s[2] >= 0xBE))
        goto invalid_char;
    return len;
invalid_char:
    *rep = replacement;
    *rlen = 3;
    return len;
invalid:
    *rep = replacement;
    *rlen = 3;
    return 1;
}

int plot_buf_escape(plot_buf *b, const char *text)
{
    if (!b)
        return -EINVAL;
    if (!text)
        return b->err;
    const unsigned char *s = (const unsigned char *)text;
    const unsigned char *run = s; /* start of bytes copied as they are */
    while (*s) {
        const char *rep;
        size_t rlen = 0;
        size_t n = next_unit(s, &rep, &rlen);
        if (rep) {
            plot_buf_append(b, (const char *)run, (size_t)(s - run));
            plot_buf_append(b, rep, rlen);
            run = s + n;
        }
        s += n;
    }
    return plot_buf_append(b, (const char *)run, (size_t)(s - run));
}

size_t plot_escape(const char *text, char *out, size_t outlen)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t total = 0, written = 0;
    bool stop = false; /* a unit did not fit: nothing after it is written either */
    while (*s) {
        const char *rep;
        size_t rlen = 0;
        size_t n = next_unit(s, &rep, &rlen);
        const char *piece = rep ? rep : (const char *)s;
        size_t plen = rep ? rlen : n;
        if (!stop && written + plen < outlen) {
            memcpy(out + written, piece, plen);
            written += plen;
        } else {
            stop = true;
        }
        total += plen;
        s += n;
    }
    if (outlen > 0)
        out[written] = '\0';
    return total;
}

/* ---- numbers -------------------------------------------------------------------- */

static const double pow10_table[10] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

/* Writes v with `dec` decimals into tmp (>= 64 bytes); returns the length. */
static size_t fixed_text(char *tmp, double v, int dec)
{
    if (!isfinite(v))
        v = 0.0;
    if (dec < 0)
        dec = 0;
    if (dec > 9)
        dec = 9;
    double scaled = v * pow10_table[dec];
    if (fabs(scaled) >= 9e18) {
        /* Too large for integer digits: exponent form; a locale's decimal comma (the
         * only non-ASCII-digit character %e may write besides the sign and 'e') is
         * turned back into a point. */
        int n = snprintf(tmp, 64, "%.6e", v);
        for (int i = 0; i < n; i++)
            if (tmp[i] == ',')
                tmp[i] = '.';
        return (size_t)n;
    }
    long long r = llround(scaled);
    unsigned long long u = r < 0 ? 0ULL - (unsigned long long)r : (unsigned long long)r;
    char digits[32];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (nd <= dec) /* at least one digit before the point */
        digits[nd++] = '0';
    size_t len = 0;
    if (r < 0)
        tmp[len++] = '-';
    for (int i = nd - 1; i >= 0; i--) {
        tmp[len++] = digits[i];
        if (i == dec && dec > 0)
            tmp[len++] = '.';
    }
    tmp[len] = '\0';
    return len;
}

/* Copies src (length n) into out with snprintf semantics; returns n. */
static size_t copy_out(const char *src, size_t n, char *out, size_t outlen)
{
    if (outlen > 0) {
        size_t k = n < outlen - 1 ? n : outlen - 1;
        memcpy(out, src, k);
        out[k] = '\0';
    }
    return n;
}

/* Drops trailing zeros after a decimal point, and the point itself when nothing
 * follows it. */
static size_t strip_zeros(char *s, size_t n)
{
    if (!memchr(s, '.', n))
        return n;
    while (n > 0 && s[n - 1] == '0')
        n--;
    if (n > 0 && s[n - 1] == '.')
        n--;
    s[n] = '\0';
    return n;
}

int plot_buf_num(plot_buf *b, double v, int decimals)
{
    char tmp[64];
    size_t n = fixed_text(tmp, v, decimals);
    return plot_buf_append(b, tmp, n);
}

size_t plot_format_num(double v, int decimals, char *out, size_t outlen)
{
    char tmp[64];
    size_t n = fixed_text(tmp, v, decimals);
    return copy_out(tmp, n, out, outlen);
}

void plot__coord(plot_buf *b, double v)
{
    if (!(v > -1e6))
        v = -1e6;
    else if (v > 1e6)
        v = 1e6;
    long r = lround(v * 10.0);
    char tmp[24];
    size_t len = 0;
    unsigned long u = r < 0 ? 0UL - (unsigned long)r : (unsigned long)r;
    char digits[16];
    int nd = 0;
    unsigned long ip = u / 10;
    do {
        digits[nd++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (r < 0)
        tmp[len++] = '-';
    while (nd > 0)
        tmp[len++] = digits[--nd];
    if (u % 10) {
        tmp[len++] = '.';
        tmp[len++] = (char)('0' + u % 10);
    }
    plot_buf_append(b, tmp, len);
}

/* Three significant digits of a magnitude x >= 0, trailing zeros dropped. */
static size_t sig3_text(char *tmp, double x)
{
    int dec = x >= 100.0 ? 0 : x >= 10.0 ? 1 : 2;
    size_t n = fixed_text(tmp, x, dec);
    return strip_zeros(tmp, n);
}

size_t plot_format_duration(double ns, char *out, size_t outlen)
{
    static const struct {
        double scale;
        const char *name;
    } units[] = {{1.0, "ns"}, {1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
    char tmp[96];
    size_t n;
    if (isnan(ns)) {
        n = (size_t)snprintf(tmp, sizeof(tmp), "n/a");
        return copy_out(tmp, n, out, outlen);
    }
    if (isinf(ns)) {
        n = (size_t)snprintf(tmp, sizeof(tmp), "%sinf", ns < 0 ? "-" : "");
        return copy_out(tmp, n, out, outlen);
    }
    double a = fabs(ns);
    int u = 0;
    while (u < 3 && a >= units[u + 1].scale)
        u++;
    char num[64];
    size_t nn = sig3_text(num, a / units[u].scale);
    /* 999.7 us rounds to "1000": that is 1 ms. */
    if (u < 3 && a / units[u].scale >= 999.5) {
        u++;
        nn = sig3_text(num, a / units[u].scale);
    }
    bool zero = strcmp(num, "0") == 0;
    n = (size_t)snprintf(tmp, sizeof(tmp), "%s%.*s %s", ns < 0 && !zero ? "-" : "",
                         (int)nn, num, units[u].name);
    return copy_out(tmp, n, out, outlen);
}

/* ---- tick labels ---------------------------------------------------------------- */

/* A compact plain number for a log axis tick: 0.001, 0.5, 20, 5000, 10k, 2M, 1G. */
static void compact_text(char *out, size_t len, double v)
{
    static const struct {
        double scale;
        const char *suffix;
    } si[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e4, "k"}};
    char tmp[64];
    double a = fabs(v);
    for (size_t i = 0; i < sizeof(si) / sizeof(si[0]); i++) {
        if (a >= si[i].scale) {
            double s = si[i].scale == 1e4 ? 1e3 : si[i].scale;
            size_t n = sig3_text(tmp, a / s);
            snprintf(out, len, "%s%.*s%s", v < 0 ? "-" : "", (int)n, tmp, si[i].suffix);
            return;
        }
    }
    int dec = 0;
    if (a > 0 && a < 1)
        dec = (int)ceil(-log10(a) - 1e-9) + 2;
    if (dec > 9)
        dec = 9;
    size_t n = fixed_text(tmp, v, dec);
    n = strip_zeros(tmp, n);
    copy_out(tmp, n, out, len);
}

void plot__tick_label(char *out, size_t len, double v, plot_unit unit, double scale,
                      int decimals)
{
    char tmp[64];
    size_t n;
    switch (unit) {
    case PLOT_UNIT_NS:
        if (scale > 0) {
            n = fixed_text(tmp, v / scale, decimals);
            copy_out(tmp, n, out, len);
        } else {
            plot_format_duration(v, out, len);
        }
        return;
    case PLOT_UNIT_PERCENT:
        if (scale > 0) {
            n = fixed_text(tmp, v * 100.0, decimals);
        } else {
            compact_text(tmp, sizeof(tmp), v * 100.0);
            n = strlen(tmp);
        }
        snprintf(out, len, "%.*s%%", (int)n, tmp);
        return;
    case PLOT_UNIT_NONE:
    default:
        if (scale > 0) {
            const char *suffix = scale >= 1e9 ? "G" : scale >= 1e6 ? "M" : scale >= 1e3 ? "k" : "";
            n = fixed_text(tmp, v / scale, decimals);
            bool zero = strspn(tmp, "-0.") == n;
            snprintf(out, len, "%.*s%s", (int)n, tmp, zero ? "" : suffix);
        } else {
            compact_text(out, len, v);
        }
        return;
    }
}

/* ---- small helpers shared by the other files -------------------------------------- */

char *plot__strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

size_t plot__text_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}
