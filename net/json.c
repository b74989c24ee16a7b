/* net/json.c: a JSON reader for response bodies that allocates nothing: a document is
 * checked once in full, then values are spans of its text that the accessors walk. It
 * replaces jansson on the response path, where building a tree of allocated nodes for
 * every answer cost several times more than the rest of the parse (docs/http.md gives
 * the measurement). Also the growable byte buffer the client and the SUTs share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/internal.h"

/* ---------------------------------------------------------------- checking */

typedef struct cur {
    const char *p, *end;
    int depth;
} cur;

static void ws(cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool check_value(cur *c);

static unsigned hex4_at(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' : (ch | 32) - 'a' + 10);
    }
    return v;
}

/* One UTF-8 sequence starting at c->p (a byte >= 0x80): well-formed (no overlong forms,
 * no surrogates, at most U+10FFFF), as RFC 8259 asks of JSON text. Advances past it. */
static bool check_utf8(cur *c)
{
    const unsigned char *p = (const unsigned char *)c->p;
    size_t left = (size_t)(c->end - c->p);
    unsigned n = p[0] >= 0xf0 ? 3 : p[0] >= 0xe0 ? 2 : p[0] >= 0xc2 ? 1 : 0;
    if (n == 0 || p[0] > 0xf4 || left <= n)
        return false;
    for (unsigned i = 1; i <= n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return false;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
        return false;
    c->p += n + 1;
    return true;
}

static bool check_string(cur *c)
{
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            return true;
        }
        if (ch < 0x20)
            return false;
        if (ch >= 0x80) {
            if (!check_utf8(c))
                return false;
            continue;
        }
        if (ch == '\\') {
            if (++c->p >= c->end)
                return false;
            char e = *c->p;
            if (e == 'u') {
                if (c->end - c->p < 5 || !is_hex(c->p[1]) || !is_hex(c->p[2]) ||
                    !is_hex(c->p[3]) || !is_hex(c->p[4]))
                    return false;
                unsigned u = hex4_at(c->p + 1);
                c->p += 4;
                /* a surrogate only as a high-low pair: text must decode to UTF-8 */
                if (u >= 0xdc00 && u < 0xe000)
                    return false;
                if (u >= 0xd800 && u < 0xdc00) {
                    if (c->end - c->p < 7 || c->p[1] != '\\' || c->p[2] != 'u' ||
                        !is_hex(c->p[3]) || !is_hex(c->p[4]) || !is_hex(c->p[5]) ||
                        !is_hex(c->p[6]))
                        return false;
                    unsigned lo = hex4_at(c->p + 3);
                    if (lo < 0xdc00 || lo >= 0xe000)
                        return false;
                    c->p += 6;
                }
            } else if (!strchr("\"\\/bfnrt", e) || !e) {
                return false;
            }
        }
        c->p++;
    }
    return false;
}

static bool digits(cur *c)
{
    const char *s = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > s;
}

static bool check_number(cur *c)
{
    if (*c->p == '-')
        c->p++;
    if (c->p >= c->end)
        return false;
    if (*c->p == '0')
        c->p++;
    else if (!digits(c))
        return false;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!digits(c))
            return false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digits(c))
            return false;
    }
    return true;
}

static bool check_word(cur *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
        return false;
    c->p += n;
    return true;
}

/* An array or object: elements (with keys for objects) separated by commas. */
static bool check_container(cur *c, char close, bool keys)
{
    if (++c->depth > NJ_MAX_DEPTH)
        return false;
    c->p++;
    ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return true;
    }
    for (;;) {
        if (keys) {
            if (c->p >= c->end || *c->p != '"' || !check_string(c))
                return false;
            ws(c);
            if (c->p >= c->end || *c->p != ':')
                return false;
            c->p++;
        }
        if (!check_value(c))
            return false;
        ws(c);
        if (c->p >= c->end)
            return false;
        if (*c->p == close) {
            c->p++;
            c->depth--;
            return true;
        }
        if (*c->p != ',')
            return false;
        c->p++;
        ws(c);
    }
}

static bool check_value(cur *c)
{
    ws(c);
    if (c->p >= c->end)
        return false;
    switch (*c->p) {
    case '{': return check_container(c, '}', true);
    case '[': return check_container(c, ']', false);
    case '"': return check_string(c);
    case 't': return check_word(c, "true");
    case 'f': return check_word(c, "false");
    case 'n': return check_word(c, "null");
    default: return check_number(c);
    }
}

bool nj_parse(const char *s, size_t n, nj *root)
{
    cur c = {s, s + n, 0};
    ws(&c);
    const char *start = c.p;
    if (!check_value(&c))
        return false;
    const char *stop = c.p;
    ws(&c);
    if (c.p != c.end)
        return false;
    root->p = start;
    root->n = (size_t)(stop - start);
    return true;
}

/* ---------------------------------------------------------------- walking */

/* The end of the (valid) value starting at p. */
static const char *skip(const char *p, const char *end)
{
    if (*p == '"') {
        for (p++; *p != '"'; p++)
            if (*p == '\\')
                p++;
        return p + 1;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < end; p++) {
            if (*p == '"') {
                p = skip(p, end) - 1;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
        }
        return end;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
           *p != '\n' && *p != '\r')
        p++;
    return p;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

bool nj_iter(nj v, nj_it *it)
{
    if (!nj_is_obj(v) && !nj_is_arr(v))
        return false;
    it->p = v.p + 1;
    it->end = v.p + v.n - 1; /* the closing bracket */
    it->first = true;
    return true;
}

bool nj_next_member(nj_it *it, nj *key, nj *out)
{
    const char *p = skip_ws(it->p, it->end);
    if (!it->first) {
        if (p >= it->end || *p != ',')
            return false;
        p = skip_ws(p + 1, it->end);
    }
    if (p >= it->end)
        return false;
    it->first = false;
    if (key) {
        const char *ke = skip(p, it->end);
        *key = (nj){p, (size_t)(ke - p)};
        p = skip_ws(ke, it->end) + 1; /* the colon */
        p = skip_ws(p, it->end);
    }
    const char *e = skip(p, it->end);
    *out = (nj){p, (size_t)(e - p)};
    it->p = e;
    return true;
}

bool nj_next(nj_it *it, nj *out)
{
    return nj_next_member(it, NULL, out);
}

bool nj_get(nj obj, const char *key, nj *out)
{
    nj_it it;
    nj k, v;
    if (!nj_is_obj(obj) || !nj_iter(obj, &it))
        return false;
    while (nj_next_member(&it, &k, &v))
        if (nj_str_eq(k, key)) {
            *out = v;
            return true;
        }
    return false;
}

unsigned nj_get_many(nj obj, const char *const *keys, unsigned n, nj *out)
{
    nj_it it;
    nj k, v;
    unsigned found = 0;
    if (!nj_is_obj(obj) || !nj_iter(obj, &it))
        return 0;
    while (nj_next_member(&it, &k, &v))
        for (unsigned i = 0; i < n; i++)
            if (!(found & 1u << i) && nj_str_eq(k, keys[i])) {
                out[i] = v;
                found |= 1u << i;
                break;
            }
    return found;
}

/* ---------------------------------------------------------------- strings */

/* Appends code point u as UTF-8 into buf at *n (counting past cap). */
static void put_utf8(char *buf, size_t cap, size_t *n, unsigned u)
{
    char tmp[4];
    size_t k;
    if (u < 0x80) {
        tmp[0] = (char)u;
        k = 1;
    } else if (u < 0x800) {
        tmp[0] = (char)(0xc0 | u >> 6);
        tmp[1] = (char)(0x80 | (u & 63));
        k = 2;
    } else if (u < 0x10000) {
        tmp[0] = (char)(0xe0 | u >> 12);
        tmp[1] = (char)(0x80 | ((u >> 6) & 63));
        tmp[2] = (char)(0x80 | (u & 63));
        k = 3;
    } else {
        tmp[0] = (char)(0xf0 | u >> 18);
        tmp[1] = (char)(0x80 | ((u >> 12) & 63));
        tmp[2] = (char)(0x80 | ((u >> 6) & 63));
        tmp[3] = (char)(0x80 | (u & 63));
        k = 4;
    }
    for (size_t i = 0; i < k; i++, (*n)++)
        if (*n + 1 < cap)
            buf[*n] = tmp[i];
}

long nj_str(nj v, char *buf, size_t cap)
{
    if (!nj_is_str(v))
        return -1;
    size_t n = 0;
    const char *p = v.p + 1, *end = v.p + v.n - 1;
    while (p < end) {
        if (*p != '\\') {
            if (n + 1 < cap)
                buf[n] = *p;
            n++;
            p++;
            continue;
        }
        char e = p[1];
        p += 2;
        if (e == 'u') {
            unsigned u = hex4_at(p);
            p += 4;
            if (u >= 0xd800 && u < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4_at(p + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                }
            }
            put_utf8(buf, cap, &n, u);
            continue;
        }
        char c = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r'
                 : e == 't' ? '\t' : e;
        if (n + 1 < cap)
            buf[n] = c;
        n++;
    }
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
    return (long)n;
}

bool nj_str_eq(nj v, const char *s)
{
    size_t n = strlen(s);
    if (!nj_is_str(v))
        return false;
    if (v.n == n + 2 && !memchr(v.p, '\\', v.n))
        return !memcmp(v.p + 1, s, n);
    if (!memchr(v.p, '\\', v.n))
        return false;
    char buf[256];
    long k = nj_str(v, buf, sizeof buf);
    return k == (long)n && n < sizeof buf && !memcmp(buf, s, n);
}

/* ---------------------------------------------------------------- numbers */

/* The number's text as a C string (numbers are short; longer ones are refused). */
static bool num_text(nj v, char *buf, size_t cap)
{
    if (!nj_is_num(v) || v.n >= cap)
        return false;
    memcpy(buf, v.p, v.n);
    buf[v.n] = '\0';
    return true;
}

bool nj_u64(nj v, uint64_t *out)
{
    if (!nj_is_num(v) || v.p[0] == '-')
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        if (c < '0' || c > '9')
            return false;
        if (x > (UINT64_MAX - (uint64_t)(c - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(c - '0');
    }
    *out = x;
    return true;
}

bool nj_i64(nj v, int64_t *out)
{
    if (!nj_is_num(v))
        return false;
    bool neg = v.p[0] == '-';
    uint64_t m;
    if (!nj_u64((nj){v.p + neg, v.n - neg}, &m))
        return false;
    if (neg ? m > (uint64_t)INT64_MAX + 1 : m > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - m) : (int64_t)m;
    return true;
}

/* A short plain integer ("-12"), exact in a float: the common case of a tensor's
 * element, read without strtod. */
static bool small_integer(nj v, int32_t *out)
{
    size_t i = v.p[0] == '-';
    if (v.n - i == 0 || v.n - i > 7)
        return false;
    int32_t x = 0;
    for (size_t k = i; k < v.n; k++) {
        if (v.p[k] < '0' || v.p[k] > '9')
            return false;
        x = x * 10 + (v.p[k] - '0');
    }
    *out = i ? -x : x;
    return true;
}

bool nj_double(nj v, double *out)
{
    char buf[64];
    int32_t x;
    if (nj_is_num(v) && small_integer(v, &x)) {
        *out = x;
        return true;
    }
    if (!num_text(v, buf, sizeof buf))
        return false;
    *out = strtod(buf, NULL);
    return true;
}

bool nj_float(nj v, float *out)
{
    char buf[64];
    int32_t x;
    if (nj_is_num(v) && small_integer(v, &x)) {
        *out = (float)x;
        return true;
    }
    if (!num_text(v, buf, sizeof buf))
        return false;
    *out = strtof(buf, NULL);
    return true;
}

/* ---------------------------------------------------------------- buffers */

bool net_buf_reserve(net_buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return true;
    if (more > SIZE_MAX / 2 - b->len)
        return false;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more)
        cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

bool net_buf_append(net_buf *b, const void *p, size_t n)
{
    if (!net_buf_reserve(b, n))
        return false;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return true;
}

bool net_buf_printf(net_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || !net_buf_reserve(b, (size_t)k + 1))
        return false;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
    return true;
}

void net_buf_free(net_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
