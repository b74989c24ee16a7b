/* fuzz_http_response.c: libFuzzer target for the HTTP response parser (net/http.c). The
 * first byte picks a piece size and a size limit; the rest is the server's bytes. The
 * parser must keep its promises: it never consumes more than it was given, ends with
 * either a complete response or one named error (never both), never delivers more body
 * than it consumed, and gives the same outcome (status, body, bytes consumed) whether the
 * bytes come all at once or in pieces, as a reader's buffer fills. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "net/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct outcome {
    int status, heads;
    bool done;
    int error;
    size_t consumed;
    uint64_t body_len, body_hash;
} outcome;

static int on_head(void *ctx, const net_head *h)
{
    outcome *o = ctx;
    CHECK(h->status >= 100 && h->status <= 999);
    CHECK(h->fields_len <= NET_HTTP_MAX_HEAD);
    o->status = h->status;
    o->heads++;
    size_t vl;
    const char *v = net_head_get(h, "content-length", &vl);
    CHECK(!v || (v >= h->fields && v + vl <= h->fields + h->fields_len));
    return 0;
}

static int on_body(void *ctx, const char *p, size_t n)
{
    outcome *o = ctx;
    for (size_t i = 0; i < n; i++)
        o->body_hash = o->body_hash * 1099511628211u ^ (unsigned char)p[i];
    o->body_len += n;
    return 0;
}

/* Feeds buf in pieces of `step` bytes (0: whole), keeping unconsumed bytes as a reader
 * does; ends with an end of file when eof. */
static outcome run(const char *buf, size_t len, size_t step, uint64_t limit, bool eof)
{
    outcome o;
    memset(&o, 0, sizeof o);
    net_http_parser p;
    net_http_parser_init(&p, limit, false);
    net_http_sink sink = {.ctx = &o, .on_head = on_head, .on_body = on_body};
    size_t given = 0, start = 0; /* [start, given) is buffered */
    while (!p.done && !p.error) {
        size_t k = step ? (len - given < step ? len - given : step) : len - given;
        given += k;
        size_t used = net_http_feed(&p, buf + start, given - start, &sink);
        CHECK(used <= given - start);
        start += used;
        if (k == 0)
            break;
    }
    if (eof && !p.done && !p.error)
        net_http_eof(&p, &sink);
    CHECK(!(p.done && p.error));
    CHECK(p.done || p.error || !eof);
    CHECK(o.heads <= 1);
    CHECK(o.body_len <= start);
    CHECK(!limit || p.total <= limit);
    o.done = p.done;
    o.error = p.error;
    o.consumed = start;
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = data[0] & 15;
    uint64_t limit = data[0] & 16 ? 64 + (uint64_t)(data[0] >> 5) * 97 : 0;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    outcome whole = run(buf, len, 0, limit, true);
    outcome parts = run(buf, len, step ? step : 1, limit, true);
    CHECK((whole.error == 0) == (parts.error == 0));
    /* Pieces change nothing but which of the two size errors is noticed first. */
    if (whole.error != NET_EMALFORMED && parts.error != NET_EMALFORMED &&
        whole.error != NET_ETOOLARGE && parts.error != NET_ETOOLARGE) {
        CHECK(whole.done == parts.done);
        CHECK(whole.error == parts.error);
        CHECK(whole.status == parts.status);
        CHECK(whole.body_len == parts.body_len);
        CHECK(whole.body_hash == parts.body_hash);
        CHECK(whole.consumed == parts.consumed);
    }
    return 0;
}
