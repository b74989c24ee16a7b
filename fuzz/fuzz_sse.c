/* fuzz_sse.c: libFuzzer target for the server-sent events parser (net/sse.c). The
 * input's first byte picks the parser's limit, the next eight seed the places where the
 * rest, the stream, is cut into feeds. Three readings must agree, event for event:
 *  - the stream in one feed;
 *  - the stream in random feeds (1 to 64 bytes, some empty), as a socket delivers it;
 *  - a reference reader written here as plainly as the rules read (whole lines, split
 *    on CR, LF or CRLF, then fields), sharing no code with the parser.
 * They must also agree on the error (a field over the limit), the retry value, whether
 * the stream ends between events, and the parser's buffers must stay within the limit. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "net/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The events of one reading, serialised: index, type, data, id, done. */
typedef struct evlog {
    uint8_t *p;
    size_t len, cap;
} evlog;

static void put(evlog *l, const void *s, size_t n)
{
    if (l->len + n > l->cap) {
        size_t cap = l->cap ? l->cap : 1024;
        while (cap < l->len + n)
            cap *= 2;
        l->p = realloc(l->p, cap);
        CHECK(l->p);
        l->cap = cap;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
}

static void put_field(evlog *l, const char *s, size_t n)
{
    put(l, &n, sizeof n);
    put(l, s, n);
}

static void put_event(evlog *l, uint64_t index, const char *type, size_t tn, const char *data,
                      size_t dn, const char *id, size_t idn)
{
    put(l, &index, sizeof index);
    put_field(l, type, tn);
    put_field(l, data, dn);
    put_field(l, id, idn);
    uint8_t done = dn == 6 && memcmp(data, "[DONE]", 6) == 0;
    put(l, &done, 1);
}

static int on_event(void *ctx, const net_sse_event *e)
{
    CHECK(e->data[e->data_len] == '\0');
    CHECK(e->done == (e->data_len == 6 && memcmp(e->data, "[DONE]", 6) == 0));
    put_event(ctx, e->index, e->type, e->type_len, e->data, e->data_len, e->id, e->id_len);
    return 0;
}

/* What a reading ends with besides its events. */
typedef struct outcome {
    int rc;
    int64_t retry;
    bool idle;
} outcome;

/* ------------------------------------------------------------------ reference */

typedef struct ref {
    size_t limit;
    char *data, *type, *id;
    size_t dn, tn, idn;
    bool has_data, pending;
    int64_t retry;
    uint64_t events;
} ref;

static void set(char **dst, size_t *dn, const char *s, size_t n)
{
    free(*dst);
    *dst = malloc(n + 1);
    CHECK(*dst);
    memcpy(*dst, s, n);
    *dn = n;
}

/* One complete line, or with partial set the unfinished last one, which can only go
 * over the limit (the parser fails as soon as a value does, not at its line's end).
 * Returns -EMSGSIZE when a field goes over the limit. */
static int ref_line(ref *r, const char *s, size_t n, bool partial, evlog *l)
{
    if (n == 0) {
        if (r->has_data)
            put_event(l, r->events++, r->tn ? r->type : "message", r->tn ? r->tn : 7,
                      r->data, r->dn, r->id, r->idn);
        r->has_data = r->pending = false;
        r->dn = r->tn = 0;
        return 0;
    }
    if (s[0] == ':')
        return 0;
    r->pending = true;
    const char *colon = memchr(s, ':', n);
    if (partial && !colon)
        return 0; /* the field's name is not complete yet */
    size_t nn = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vn = (size_t)(s + n - v);
    if (vn && *v == ' ')
        v++, vn--;
    if (nn == 4 && memcmp(s, "data", 4) == 0) {
        size_t add = (r->has_data ? 1 : 0) + vn;
        if (r->dn + add > r->limit)
            return -EMSGSIZE;
        if (partial)
            return 0;
        char *d = malloc(r->dn + add + 1);
        CHECK(d);
        memcpy(d, r->data, r->dn);
        if (r->has_data)
            d[r->dn] = '\n';
        memcpy(d + r->dn + add - vn, v, vn);
        free(r->data);
        r->data = d;
        r->dn += add;
        r->has_data = true;
    } else if (nn == 5 && memcmp(s, "event", 5) == 0) {
        if (vn > r->limit)
            return -EMSGSIZE;
        if (!partial)
            set(&r->type, &r->tn, v, vn);
    } else if (nn == 2 && memcmp(s, "id", 2) == 0) {
        const char *z = memchr(v, '\0', vn);
        if ((z ? (size_t)(z - v) : vn) > r->limit)
            return -EMSGSIZE;
        if (!z && !partial)
            set(&r->id, &r->idn, v, vn);
    } else if (nn == 5 && memcmp(s, "retry", 5) == 0 && vn > 0 && !partial) {
        int64_t x = 0;
        for (size_t i = 0; i < vn; i++) {
            if (v[i] < '0' || v[i] > '9')
                return 0;
            x = x > (INT64_MAX - 9) / 10 ? INT64_MAX : x * 10 + (v[i] - '0');
        }
        r->retry = x;
    }
    return 0;
}

static outcome reference(const char *s, size_t n, size_t limit, evlog *l)
{
    ref r = {.limit = limit, .retry = -1, .data = malloc(1), .type = malloc(1),
             .id = malloc(1)};
    outcome o = {0, -1, false};
    size_t pos = n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (pos < n) {
        size_t e = pos;
        while (e < n && s[e] != '\r' && s[e] != '\n')
            e++;
        if (e == n) {
            o.rc = ref_line(&r, s + pos, e - pos, true, l); /* then discarded */
            break;
        }
        o.rc = ref_line(&r, s + pos, e - pos, false, l);
        if (o.rc)
            break;
        pos = e + 1;
        if (s[e] == '\r' && pos < n && s[pos] == '\n')
            pos++;
    }
    o.retry = r.retry;
    o.idle = pos == n && !r.pending;
    free(r.data);
    free(r.type);
    free(r.id);
    return o;
}

/* ------------------------------------------------------------------ the parser */

static outcome whole(net_sse *p, const char *s, size_t n, evlog *l)
{
    net_sse_reset(p);
    outcome o = {net_sse_feed(p, s, n, on_event, l), p->retry_ms, net_sse_idle(p)};
    if (o.rc == 0)
        CHECK(p->fed == n);
    return o;
}

static outcome split(net_sse *p, const char *s, size_t n, uint64_t seed, evlog *l)
{
    net_sse_reset(p);
    size_t pos = 0;
    int rc = 0;
    while (pos < n && rc == 0) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        size_t k = seed % 65;
        if (k > n - pos)
            k = n - pos;
        rc = net_sse_feed(p, s + pos, k, on_event, l);
        pos += k;
    }
    if (rc)
        CHECK(net_sse_feed(p, "data: x\n\n", 9, on_event, l) == rc); /* the error stays */
    else
        CHECK(p->fed == n);
    return (outcome){rc, p->retry_ms, net_sse_idle(p)};
}

static bool same(const evlog *a, const outcome *oa, const evlog *b, const outcome *ob)
{
    if (a->len != b->len || (a->len && memcmp(a->p, b->p, a->len) != 0) || oa->rc != ob->rc)
        return false;
    return oa->rc != 0 || (oa->retry == ob->retry && oa->idle == ob->idle);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    size_t limit = data[0] < 128 ? (size_t)data[0] + 1 : NET_SSE_DEFAULT_MAX;
    uint64_t seed;
    memcpy(&seed, data + 1, 8);
    seed |= 1;
    const char *s = (const char *)data + 9;
    size_t n = size - 9;
    net_sse p;
    net_sse_init(&p, limit);
    evlog a = {0}, b = {0}, c = {0};
    outcome oa = whole(&p, s, n, &a);
    outcome ob = split(&p, s, n, seed, &b);
    outcome oc = reference(s, n, limit, &c);
    CHECK(oa.rc == 0 || oa.rc == -EMSGSIZE);
    CHECK(same(&a, &oa, &b, &ob));
    CHECK(same(&a, &oa, &c, &oc));
    CHECK(p.data.cap <= limit + 1 && p.type.cap <= limit + 1);
    CHECK(p.id.cap <= limit + 1 && p.id_new.cap <= limit + 1);
    net_sse_free(&p);
    free(a.p);
    free(b.p);
    free(c.p);
    return 0;
}
