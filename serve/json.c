/* serve/json.c: growable buffers, and a JSON scanner that validates a request body once
 * and then finds members in place, with no allocation: a request is a few hundred bytes
 * read once for a handful of keys, so a tree would cost more than the answer. */
#include <stdlib.h>
#include <string.h>

#include "serve/internal.h"

/* ---------------------------------------------------------------- buffers */

bool sb_reserve(sbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void sb_put(sbuf *b, const void *data, size_t n)
{
    if (n == 0 || !sb_reserve(b, n))
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

void sb_u64(sbuf *b, uint64_t v)
{
    char t[20];
    int k = 0;
    do {
        t[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (!sb_reserve(b, (size_t)k))
        return;
    while (k)
        b->p[b->len++] = t[--k];
}

void sb_hex(sbuf *b, uint64_t v)
{
    static const char dig[] = "0123456789abcdef";
    char t[16];
    int k = 0;
    do {
        t[k++] = dig[v & 15];
        v >>= 4;
    } while (v);
    if (!sb_reserve(b, (size_t)k))
        return;
    while (k)
        b->p[b->len++] = t[--k];
}

void sb_zero(sbuf *b, size_t n)
{
    if (n == 0 || !sb_reserve(b, n))
        return;
    memset(b->p + b->len, 0, n);
    b->len += n;
}

void sb_json_str(sbuf *b, const char *s, size_t n)
{
    static const char dig[] = "0123456789abcdef";
    if (!sb_reserve(b, n + 2))
        return;
    b->p[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            sb_put(b, e, 2);
        } else if (ch < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', dig[ch >> 4], dig[ch & 15]};
            sb_put(b, e, 6);
        } else {
            sb_put(b, &s[i], 1);
        }
    }
    sb_put(b, "\"", 1);
}

void sb_free(sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------- scanner */

#define JS_MAX_DEPTH 64

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Past the string starting at p (a '"'), or NULL. */
static const char *skip_string(const char *p, const char *end)
{
    p++;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            if (++p >= end)
                return NULL;
            switch (*p) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p++;
                break;
            case 'u':
                if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) ||
                    !is_hex(p[4]))
                    return NULL;
                p += 5;
                break;
            default:
                return NULL;
            }
            continue;
        }
        p++;
    }
    return NULL;
}

static const char *skip_number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0')
        p++;
    else if (is_digit(*p))
        while (p < end && is_digit(*p))
            p++;
    else
        return NULL;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
    }
    return p;
}

static const char *skip_literal(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
        return NULL;
    return p + n;
}

/* Past the value starting at p (no leading white space), or NULL when malformed. */
static const char *skip_value(const char *p, const char *end, int depth)
{
    if (p >= end || depth > JS_MAX_DEPTH)
        return NULL;
    switch (*p) {
    case '"':
        return skip_string(p, end);
    case 't':
        return skip_literal(p, end, "true");
    case 'f':
        return skip_literal(p, end, "false");
    case 'n':
        return skip_literal(p, end, "null");
    case '[':
        p = ws(p + 1, end);
        if (p < end && *p == ']')
            return p + 1;
        for (;;) {
            p = skip_value(p, end, depth + 1);
            if (!p)
                return NULL;
            p = ws(p, end);
            if (p >= end)
                return NULL;
            if (*p == ']')
                return p + 1;
            if (*p != ',')
                return NULL;
            p = ws(p + 1, end);
        }
    case '{':
        p = ws(p + 1, end);
        if (p < end && *p == '}')
            return p + 1;
        for (;;) {
            if (p >= end || *p != '"')
                return NULL;
            p = skip_string(p, end);
            if (!p)
                return NULL;
            p = ws(p, end);
            if (p >= end || *p != ':')
                return NULL;
            p = skip_value(ws(p + 1, end), end, depth + 1);
            if (!p)
                return NULL;
            p = ws(p, end);
            if (p >= end)
                return NULL;
            if (*p == '}')
                return p + 1;
            if (*p != ',')
                return NULL;
            p = ws(p + 1, end);
        }
    default:
        return skip_number(p, end);
    }
}

bool js_check(const char *p, size_t n, js *out)
{
    const char *end = p + n;
    const char *s = ws(p, end);
    const char *e = skip_value(s, end, 0);
    if (!e || ws(e, end) != end)
        return false;
    out->p = s;
    out->end = e;
    return true;
}

bool js_get(js o, const char *key, js *v)
{
    if (!js_is_obj(o))
        return false;
    size_t klen = strlen(key);
    const char *p = ws(o.p + 1, o.end);
    while (p < o.end && *p == '"') {
        const char *ke = skip_string(p, o.end);
        if (!ke)
            return false;
        bool match = (size_t)(ke - p - 2) == klen && memcmp(p + 1, key, klen) == 0;
        p = ws(ke, o.end);
        p = ws(p + 1, o.end); /* past ':' */
        const char *ve = skip_value(p, o.end, 1);
        if (!ve)
            return false;
        if (match) {
            v->p = p;
            v->end = ve;
            return true;
        }
        p = ws(ve, o.end);
        if (p < o.end && *p == ',')
            p = ws(p + 1, o.end);
    }
    return false;
}

bool js_iter(js arr, js_it *it)
{
    if (arr.p >= arr.end || *arr.p != '[')
        return false;
    it->p = ws(arr.p + 1, arr.end);
    it->end = arr.end;
    it->first = true;
    return true;
}

bool js_next(js_it *it, js *elem)
{
    const char *p = it->p;
    if (p >= it->end || *p == ']')
        return false;
    if (!it->first) {
        if (*p != ',')
            return false;
        p = ws(p + 1, it->end);
    }
    const char *e = skip_value(p, it->end, 1);
    if (!e)
        return false;
    elem->p = p;
    elem->end = e;
    it->p = ws(e, it->end);
    it->first = false;
    return true;
}

bool js_is_str(js v)
{
    return v.p < v.end && *v.p == '"';
}

bool js_is_obj(js v)
{
    return v.p < v.end && *v.p == '{';
}

bool js_is_true(js v)
{
    return v.end - v.p == 4 && memcmp(v.p, "true", 4) == 0;
}

bool js_is_null(js v)
{
    return v.end - v.p == 4 && memcmp(v.p, "null", 4) == 0;
}

bool js_u64(js v, uint64_t *out)
{
    uint64_t x = 0;
    const char *p = v.p;
    if (p >= v.end)
        return false;
    for (; p < v.end; p++) {
        if (!is_digit(*p))
            return false;
        if (x > (UINT64_C(1) << 63) / 10)
            return false;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x > (UINT64_C(1) << 63))
        return false;
    *out = x;
    return true;
}

bool js_str_eq(js v, const char *s)
{
    size_t n = strlen(s);
    return js_is_str(v) && (size_t)(v.end - v.p) == n + 2 && memcmp(v.p + 1, s, n) == 0;
}

uint64_t js_words(js v)
{
    if (!js_is_str(v))
        return 0;
    uint64_t words = 0;
    bool in_word = false;
    for (const char *p = v.p + 1; p < v.end - 1; p++) {
        bool space = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
        if (*p == '\\') {
            char e = p[1];
            space = e == 'n' || e == 't' || e == 'r';
            p += e == 'u' ? 5 : 1;
        }
        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}
