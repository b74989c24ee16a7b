/* text.c: the core's text helpers and its one number grammar (text.h). */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/text.h"

static void sb_vadd(lg__sbuf *b, const char *fmt, va_list ap)
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

void lg__sb_add(lg__sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vadd(b, fmt, ap);
    va_end(ap);
}

void lg__sb_quote(lg__sbuf *b, const char *s, size_t n)
{
    lg__sb_add(b, "'");
    size_t shown = n > 60 ? 57 : n;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\'' || ch == '\\')
            lg__sb_add(b, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f)
            lg__sb_add(b, "%c", ch);
        else
            lg__sb_add(b, "\\x%02x", ch);
    }
    if (shown < n)
        lg__sb_add(b, "...");
    lg__sb_add(b, "'");
    if (shown < n)
        lg__sb_add(b, " (%zu chars)", n);
}

void lg__set_err(char *err, size_t errlen, const char *fmt, ...)
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

/* The nearest of count names to the word: name_at(i) when it is given, else names[i]. */
static const char *nearest(const char *w, size_t n, const char *(*name_at)(size_t),
                           const char *const *names, size_t count)
{
    const char *best = NULL;
    int bestd = INT_MAX;
    int limit = n >= 12 ? 3 : 2;
    for (size_t i = 0; i < count; i++) {
        const char *cand = name_at ? name_at(i) : names[i];
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

const char *lg__nearest(const char *w, size_t n, const char *(*name_at)(size_t),
                        size_t count)
{
    return nearest(w, n, name_at, NULL, count);
}

const char *lg__nearest_in(const char *w, size_t n, const char *const *names, size_t count)
{
    return nearest(w, n, NULL, names, count);
}

/* ------------------------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------------------- */

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
int lg__parse_uint(const char *s, size_t n, uint64_t *out)
{
    if (n > LG__MAX_TOKEN)
        return LG__NUM_TOO_LONG;
    size_t i = 0;
    if (n && s[0] == '+')
        i++;
    else if (n && s[0] == '-')
        return real_syntax(s, n) ? LG__NUM_NEGATIVE : LG__NUM_SYNTAX;
    uint64_t v = 0;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        for (i += 2; i < n; i++) {
            if (!is_xdigit(s[i]))
                return LG__NUM_SYNTAX;
            unsigned d = is_digit(s[i]) ? (unsigned)(s[i] - '0')
                                        : (unsigned)(lower(s[i]) - 'a' + 10);
            if (v > (UINT64_MAX >> 4))
                return LG__NUM_TOO_BIG;
            v = v << 4 | d;
        }
        *out = v;
        return LG__NUM_OK;
    }
    if (i == n)
        return LG__NUM_SYNTAX;
    for (size_t j = i; j < n; j++)
        if (!is_digit(s[j]))
            return real_syntax(s, n) ? LG__NUM_FRACTION : LG__NUM_SYNTAX;
    if (s[i] == '0' && n - i > 1)
        return LG__NUM_OCTAL;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return LG__NUM_TOO_BIG;
        v = v * 10 + d;
    }
    *out = v;
    return LG__NUM_OK;
}

/* Reads a finite real number (decimal, or a 0x hexadecimal integer). */
int lg__parse_real(const char *s, size_t n, double *out)
{
    if (n > LG__MAX_TOKEN)
        return LG__NUM_TOO_LONG;
    size_t i = (n && s[0] == '+') ? 1 : 0;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        uint64_t u;
        int rc = lg__parse_uint(s, n, &u);
        if (rc == LG__NUM_OK)
            *out = (double)u;
        return rc;
    }
    if (!real_syntax(s, n))
        return LG__NUM_SYNTAX;
    char buf[LG__MAX_TOKEN + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';
    locale_t loc = c_locale_get();
    errno = 0;
    double v = loc ? strtod_l(buf, NULL, loc) : strtod(buf, NULL);
    /* An underflow reads as 0 or a tiny number and is left to the range check. */
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0))
        return LG__NUM_TOO_BIG;
    *out = v == 0 ? 0.0 : v; /* no negative zero */
    return LG__NUM_OK;
}

/* Reads a value already checked by lg__parse_real, times 10^shift, with a single rounding:
 * "99.9" percent becomes exactly the double nearest 0.999, as if 0.999 had been
 * written (99.9 / 100 in floating point would be one unit in the last place off). */
double lg__parse_real_shifted(const char *s, size_t n, int shift)
{
    size_t i = (n && s[0] == '+') ? 1 : 0;
    if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        uint64_t u = 0;
        lg__parse_uint(s, n, &u);
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
    char buf[LG__MAX_TOKEN + 32];
    snprintf(buf, sizeof buf, "%.*se%ld", (int)m, s, exp + shift);
    locale_t loc = c_locale_get();
    double v = loc ? strtod_l(buf, NULL, loc) : strtod(buf, NULL);
    return v == 0 ? 0.0 : v;
}

const char *lg__num_problem(int rc)
{
    switch (rc) {
    case LG__NUM_SYNTAX: return "is not a number";
    case LG__NUM_NEGATIVE: return "is negative; a count, a duration or a seed cannot be";
    case LG__NUM_FRACTION: return "is not a whole number";
    case LG__NUM_OCTAL:
        return "has a leading zero, which MLPerf would read as an octal number; write it "
               "without the zero (or as 0x... for hexadecimal)";
    case LG__NUM_TOO_BIG: return "is too large to be represented";
    case LG__NUM_TOO_LONG: return "is longer than 256 characters";
    }
    return "is invalid";
}

/* Writes a double as the shortest text that reads back to it (integers in full). */
int lg__format_double(double v, char *buf, size_t len)
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

