/* net/jscan.c: the in-place JSON scanner (net/jscan.h). Strings, the bulk of an OpenAI
 * chunk, are crossed in runs of plain bytes; an escape is decoded only to count the bytes
 * it stands for. Containers recurse, at most NET_JS_MAX_DEPTH deep. */
#include <string.h>

#include "net/jscan.h"

/* Inline within the scanner: between tokens there is most often no white space. */
static inline const char *ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

const char *net_js_ws(const char *p, const char *end)
{
    return ws(p, end);
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The code point of the \u escape at p (p at the 'u'), a surrogate pair read whole;
 * *len receives the escape's length from the 'u'. -1 when malformed or unpaired. */
static long escape_u(const char *p, const char *end, size_t *len)
{
    if (end - p < 5)
        return -1;
    int cp = hex4(p + 1);
    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return -1;
    *len = 5;
    if (cp < 0xD800 || cp > 0xDBFF)
        return cp;
    if (end - p < 11 || p[5] != '\\' || p[6] != 'u')
        return -1;
    int lo = hex4(p + 7);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *len = 11;
    return 0x10000 + ((long)(cp - 0xD800) << 10) + (lo - 0xDC00);
}

static size_t utf8_len(long cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* Past the plain bytes at p (none of '"', '\\', or below 0x20), eight at a time while
 * eight remain: a word has such a byte when one of its bytes XOR '"' or XOR '\\' is
 * zero, or one of its bytes is below 0x20 (the classic zero-byte and less-than tests,
 * which never miss one and whose rare false alarms the byte loop settles). */
static const char *plain_run(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
        uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x);
        if (hit & high)
            break;
        p += 8;
    }
    while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\')
        p++;
    return p;
}

const char *net_js_string(const char *p, const char *end, size_t *bytes)
{
    size_t out = 0;
    p++;
    for (;;) {
        const char *q = plain_run(p, end);
        out += (size_t)(q - p);
        p = q;
        if (p >= end || (unsigned char)*p < 0x20)
            return NULL;
        if (*p == '"')
            break;
        if (++p >= end)
            return NULL;
        switch (*p) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            out++;
            p++;
            break;
        case 'u': {
            size_t len;
            long cp = escape_u(p, end, &len);
            if (cp < 0)
                return NULL;
            out += utf8_len(cp);
            p += len;
            break;
        }
        default:
            return NULL;
        }
    }
    if (bytes)
        *bytes = out;
    return p + 1;
}

static const char *number(const char *p, const char *end)
{
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (p < end && *p == '.') {
        if (++p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

static const char *literal(const char *p, const char *end, const char *word, size_t n)
{
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

const char *net_js_value(const char *p, const char *end, int depth)
{
    if (p >= end)
        return NULL;
    net_js_it it;
    net_js_str k;
    const char *v, *ve;
    int rc;
    switch (*p) {
    case '"':
        return net_js_string(p, end, NULL);
    case 't':
        return literal(p, end, "true", 4);
    case 'f':
        return literal(p, end, "false", 5);
    case 'n':
        return literal(p, end, "null", 4);
    case '{':
        if (!net_js_begin(&it, p, end, depth))
            return NULL;
        while ((rc = net_js_member(&it, &k, &v, &ve)) == 1)
            ;
        return rc == 0 ? it.p : NULL;
    case '[':
        if (!net_js_begin(&it, p, end, depth))
            return NULL;
        while ((rc = net_js_element(&it, &v, &ve)) == 1)
            ;
        return rc == 0 ? it.p : NULL;
    default:
        return number(p, end);
    }
}

/* The bytes net_js_skip stops at in a container: quotes and brackets. */
static const unsigned char skip_stop[256] = {['"'] = 1, ['['] = 2, ['{'] = 2, [']'] = 3,
                                             ['}'] = 3};

/* Past the checked string at p ('"'): its closing quote is the first not escaped. */
static const char *skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\') {
            if (++p >= end)
                break;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return end;
}

const char *net_js_skip(const char *p, const char *end)
{
    if (p >= end)
        return p;
    if (*p == '"')
        return skip_string(p, end);
    if (*p != '[' && *p != '{') { /* a number or a literal: up to a delimiter */
        while (p < end && *p != ',' && *p != ']' && *p != '}' && (unsigned char)*p > ' ')
            p++;
        return p;
    }
    int depth = 0;
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (p < end) {
        /* Eight bytes at a time past those with none of the stops: a quote, or a bracket
         * or brace (x & 0xDF folds '{' '}' onto '[' ']'); the zero-byte test never
         * misses one, and its rare false alarm is settled by the byte below. */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            uint64_t q = x ^ (ones * '"'), f = x & (ones * 0xDF);
            uint64_t o = f ^ (ones * '['), c = f ^ (ones * ']');
            if ((((q - ones) & ~q) | ((o - ones) & ~o) | ((c - ones) & ~c)) & high)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        switch (skip_stop[(unsigned char)*p]) {
        case 0:
            p++;
            break;
        case 1:
            p = skip_string(p, end);
            break;
        case 2:
            depth++;
            p++;
            break;
        default:
            p++;
            if (--depth == 0)
                return p;
        }
    }
    return p;
}

bool net_js_valid(const char *p, const char *end)
{
    p = ws(p, end);
    const char *e = net_js_value(p, end, 0);
    return e && ws(e, end) == end;
}

bool net_js_begin(net_js_it *it, const char *p, const char *end, int depth)
{
    if (p >= end || (*p != '{' && *p != '[') || depth >= NET_JS_MAX_DEPTH)
        return false;
    it->p = p + 1;
    it->end = end;
    it->depth = depth;
    it->first = true;
    it->checked = false;
    return true;
}

/* Past the separator before the next item: 1 when one follows (at *q), 0 at the closer
 * (it->p moved past it), -1 when malformed. */
static int next_item(net_js_it *it, char closer, const char **q)
{
    const char *p = ws(it->p, it->end);
    if (p >= it->end)
        return -1;
    if (*p == closer) {
        it->p = p + 1;
        return 0;
    }
    if (!it->first) {
        if (*p != ',')
            return -1;
        p = ws(p + 1, it->end);
        if (p >= it->end)
            return -1;
    }
    it->first = false;
    *q = p;
    return 1;
}

int net_js_key(net_js_it *it, net_js_str *k, const char **v)
{
    const char *p;
    int rc = next_item(it, '}', &p);
    if (rc <= 0)
        return rc;
    if (p >= it->end || *p != '"')
        return -1;
    const char *ke = net_js_string(p, it->end, &k->bytes);
    if (!ke)
        return -1;
    k->p = p + 1;
    k->raw = (size_t)(ke - p - 2);
    p = ws(ke, it->end);
    if (p >= it->end || *p != ':')
        return -1;
    *v = ws(p + 1, it->end);
    return *v < it->end ? 1 : -1;
}

int net_js_next(net_js_it *it, const char **v)
{
    return next_item(it, ']', v);
}

int net_js_member(net_js_it *it, net_js_str *k, const char **v, const char **ve)
{
    int rc = net_js_key(it, k, v);
    if (rc <= 0)
        return rc;
    const char *e = it->checked ? net_js_skip(*v, it->end)
                                : net_js_value(*v, it->end, it->depth + 1);
    if (!e)
        return -1;
    *ve = it->p = e;
    return 1;
}

int net_js_element(net_js_it *it, const char **v, const char **ve)
{
    int rc = net_js_next(it, v);
    if (rc <= 0)
        return rc;
    const char *e = it->checked ? net_js_skip(*v, it->end)
                                : net_js_value(*v, it->end, it->depth + 1);
    if (!e)
        return -1;
    *ve = it->p = e;
    return 1;
}

static size_t put_utf8(char *d, long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | cp >> 6);
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | cp >> 12);
        d[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | cp >> 18);
    d[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    d[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t net_js_unescape(const char *raw, size_t n, char *dst)
{
    const char *p = raw, *end = raw + n;
    char *d = dst;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        const char *stop = bs ? bs : end;
        memmove(d, p, (size_t)(stop - p));
        d += stop - p;
        if (!bs || bs + 1 >= end)
            break;
        p = bs + 2;
        switch (bs[1]) {
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            size_t len = 0;
            long cp = escape_u(bs + 1, end, &len);
            if (cp < 0)
                return (size_t)(d - dst); /* not checked by net_js_string: stop */
            d += put_utf8(d, cp);
            p = bs + 1 + len;
            break;
        }
        default: *d++ = bs[1]; break;
        }
    }
    return (size_t)(d - dst);
}

bool net_js__key_is_escaped(const net_js_str *s, const char *key, size_t kl)
{
    char buf[512];
    if (s->raw > sizeof buf)
        return false; /* our keys are ASCII: 6 bytes a letter when escaped in full */
    return net_js_unescape(s->p, s->raw, buf) == kl && memcmp(buf, key, kl) == 0;
}

bool net_js_u64(const char *p, const char *end, uint64_t *out)
{
    if (p >= end || (*p == '0' && end - p > 1))
        return false;
    uint64_t x = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_C(0x7fffffffffffffff) - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}
