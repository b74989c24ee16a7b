/* net/sse.c: the server-sent events parser (rules in net/sse.h). It never holds a line:
 * a state machine remembers where in a line the last feed stopped (at line start, in a
 * field's name, after its colon, in its value), and a value's bytes go straight into
 * the buffer of the field they belong to. Line ends are found with memchr, so the cost
 * is that of copying the data once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/sse.h"

enum { ST_LINE, ST_NAME, ST_SPACE, ST_VALUE };
enum { K_IGNORE, K_DATA, K_EVENT, K_ID, K_RETRY };

static const unsigned char BOM[3] = {0xEF, 0xBB, 0xBF};

void net_sse_init(net_sse *p, size_t max_bytes)
{
    memset(p, 0, sizeof *p);
    p->max_bytes = max_bytes ? max_bytes : NET_SSE_DEFAULT_MAX;
    if (p->max_bytes > SIZE_MAX / 2)
        p->max_bytes = SIZE_MAX / 2;
    p->retry_ms = -1;
}

void net_sse_reset(net_sse *p)
{
    p->data.len = p->type.len = p->id.len = p->id_new.len = 0;
    p->fed = p->events = 0;
    p->retry_ms = -1;
    p->error = 0;
    p->state = ST_LINE;
    p->kind = K_IGNORE;
    p->bom = 0;
    p->after_cr = p->has_data = p->id_nul = p->retry_bad = p->pending = false;
    p->name_len = 0;
    p->retry_new = 0;
}

void net_sse_free(net_sse *p)
{
    free(p->data.p);
    free(p->type.p);
    free(p->id.p);
    free(p->id_new.p);
    size_t max = p->max_bytes;
    net_sse_init(p, max);
}

bool net_sse_idle(const net_sse *p)
{
    return p->state == ST_LINE && !p->pending && (p->bom == 0 || p->bom == 3);
}

const char *net_sse_strerror(int rc)
{
    switch (rc) {
    case 0:
        return "no error";
    case -EMSGSIZE:
        return "an event's data, type or id is larger than the limit";
    case -ENOMEM:
        return "out of memory";
    default:
        return rc > 0 ? "stopped by the event callback" : "unknown error";
    }
}

/* Appends n bytes to b, keeping room for a NUL after them; b never exceeds the limit. */
static int put(net_sse *p, net_sse_buf *b, const char *s, size_t n)
{
    if (n > p->max_bytes - b->len)
        return -EMSGSIZE;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > p->max_bytes + 1)
            cap = p->max_bytes + 1;
        char *q = realloc(b->p, cap);
        if (!q)
            return -ENOMEM;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

/* The end of the first line in [s, end): its CR or LF, or end when it goes on. */
static const char *find_eol(const char *s, const char *end)
{
    const char *lf = memchr(s, '\n', (size_t)(end - s));
    const char *lim = lf ? lf : end;
    const char *cr = memchr(s, '\r', (size_t)(lim - s));
    return cr ? cr : lim;
}

/* The field name is complete (at its colon or line end): its value starts. */
static int begin_value(net_sse *p)
{
    const char *n = p->name;
    size_t len = p->name_len;
    p->kind = K_IGNORE;
    if (len == 4 && memcmp(n, "data", 4) == 0) {
        p->kind = K_DATA;
        /* Lines of one event are joined with LF: the LF goes in before the second. */
        int rc = p->has_data ? put(p, &p->data, "\n", 1) : 0;
        p->has_data = true;
        return rc;
    }
    if (len == 5 && memcmp(n, "event", 5) == 0) {
        p->kind = K_EVENT;
        p->type.len = 0;
    } else if (len == 2 && memcmp(n, "id", 2) == 0) {
        p->kind = K_ID;
        p->id_new.len = 0;
        p->id_nul = false;
    } else if (len == 5 && memcmp(n, "retry", 5) == 0) {
        p->kind = K_RETRY;
        p->retry_new = -1; /* no digit yet: an empty value sets nothing */
        p->retry_bad = false;
    }
    return 0;
}

/* n bytes of the current field's value. */
static int value_bytes(net_sse *p, const char *s, size_t n)
{
    switch (p->kind) {
    case K_DATA:
        return put(p, &p->data, s, n);
    case K_EVENT:
        return put(p, &p->type, s, n);
    case K_ID: {
        /* The bytes before a NUL count against the limit however the value was split;
         * from the NUL on the value is doomed and kept nowhere. */
        if (p->id_nul)
            return 0;
        const char *z = memchr(s, '\0', n);
        p->id_nul = z != NULL;
        return put(p, &p->id_new, s, z ? (size_t)(z - s) : n);
    }
    case K_RETRY:
        for (size_t i = 0; i < n && !p->retry_bad; i++) {
            unsigned d = (unsigned char)s[i] - '0';
            if (d > 9)
                p->retry_bad = true;
            else if (p->retry_new < 0)
                p->retry_new = d;
            else if (p->retry_new > (INT64_MAX - 9) / 10)
                p->retry_new = INT64_MAX; /* saturates: a retry of 292 million years */
            else
                p->retry_new = p->retry_new * 10 + d;
        }
        return 0;
    default:
        return 0;
    }
}

/* The field's line has ended: an id or a retry takes effect. */
static void end_value(net_sse *p)
{
    if (p->kind == K_ID && !p->id_nul) {
        net_sse_buf t = p->id;
        p->id = p->id_new;
        p->id_new = t;
    } else if (p->kind == K_RETRY && !p->retry_bad && p->retry_new >= 0) {
        p->retry_ms = p->retry_new;
    }
    p->kind = K_IGNORE;
    p->state = ST_LINE;
}

/* A blank line: the event is dispatched when it has data, and the next one starts. */
static int dispatch(net_sse *p, net_sse_cb cb, void *ctx)
{
    int rc = 0;
    p->pending = false;
    if (p->has_data) {
        net_sse_event ev;
        ev.data = p->data.p ? p->data.p : "";
        if (p->data.p)
            p->data.p[p->data.len] = '\0';
        ev.data_len = p->data.len;
        ev.type = p->type.len ? p->type.p : "message";
        ev.type_len = p->type.len ? p->type.len : 7;
        ev.id = p->id.len ? p->id.p : "";
        ev.id_len = p->id.len;
        ev.done = ev.data_len == 6 && memcmp(ev.data, "[DONE]", 6) == 0;
        ev.index = p->events++;
        rc = cb ? cb(ctx, &ev) : 0;
    }
    p->has_data = false;
    p->data.len = 0;
    p->type.len = 0;
    return rc;
}

/* One line's field name, from s: returns where it stopped. */
static const char *name_bytes(net_sse *p, const char *s, const char *end, int *rc)
{
    while (s < end) {
        char c = *s;
        if (c == ':' || c == '\n' || c == '\r') {
            *rc = begin_value(p);
            if (c == ':') {
                p->state = ST_SPACE;
                return s + 1;
            }
            end_value(p);
            p->after_cr = c == '\r';
            return s + 1;
        }
        if (p->name_len < sizeof p->name)
            p->name[p->name_len] = c;
        if (p->name_len <= sizeof p->name)
            p->name_len++; /* 7 means "longer than any field we know" */
        s++;
    }
    return s;
}

/* Parses [s, end) from the parser's state; *stop receives where it stopped. */
static int parse(net_sse *p, const char *s, const char *end, net_sse_cb cb, void *ctx,
                 const char **stop)
{
    int rc = 0;
    while (s < end && rc == 0) {
        if (p->after_cr) {
            p->after_cr = false;
            if (*s == '\n') {
                s++;
                continue;
            }
        }
        switch (p->state) {
        case ST_LINE:
            if (*s == '\n' || *s == '\r') {
                p->after_cr = *s++ == '\r';
                rc = dispatch(p, cb, ctx);
            } else if (*s == ':') {
                p->kind = K_IGNORE; /* a comment: read to its end, kept nowhere */
                p->state = ST_VALUE;
                s++;
            } else {
                p->state = ST_NAME;
                p->name_len = 0;
                p->pending = true;
            }
            break;
        case ST_NAME:
            s = name_bytes(p, s, end, &rc);
            break;
        case ST_SPACE:
            p->state = ST_VALUE;
            if (*s == ' ')
                s++;
            break;
        default: {
            const char *e = find_eol(s, end);
            rc = value_bytes(p, s, (size_t)(e - s));
            s = e;
            if (s < end && rc == 0) {
                end_value(p);
                p->after_cr = *s++ == '\r';
            }
            break;
        }
        }
    }
    *stop = s;
    return rc;
}

int net_sse_feed(net_sse *p, const char *buf, size_t n, net_sse_cb cb, void *ctx)
{
    if (p->error)
        return p->error;
    const char *s = buf, *end = buf + n;
    int rc = 0;
    /* The BOM may arrive split; bytes that began like one but were not are parsed. */
    while (p->bom < 3 && s < end) {
        if ((unsigned char)*s == BOM[p->bom]) {
            p->bom++;
            s++;
            continue;
        }
        size_t matched = p->bom;
        const char *ignored;
        p->bom = 3;
        rc = parse(p, (const char *)BOM, (const char *)BOM + matched, cb, ctx, &ignored);
    }
    const char *stop = s;
    if (rc == 0)
        rc = parse(p, s, end, cb, ctx, &stop);
    p->fed += (uint64_t)(stop - buf);
    if (rc < 0)
        p->error = rc;
    return rc;
}
