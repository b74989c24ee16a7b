/* test_net.c: the HTTP client (net/): the response parser fed whole, byte by byte and at
 * every split point (Content-Length, chunked with extensions and trailers, a body ended
 * by the close, 1xx, HEAD/204/304, LF-only lines, every malformed form and the size
 * limit), URLs, the request writer; then the client against the test server on
 * 127.0.0.1 (port 0), started in this process and always stopped: keep-alive reuse with
 * N connections, pipelining, chunked streams through on_body, every injected fault
 * ending each request once by its deadline with its named status, nothing listening,
 * the server stopped mid-run, cancel, and many threads submitting at once. Builds under
 * the TSan stand-in too. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "net/internal.h"
#include "serve/serve.h"

/* ---------------------------------------------------------------- the parser */

typedef struct seen {
    int heads, status;
    bool chunked, close;
    int64_t content_length;
    char body[65536];
    size_t blen;
    char x_hdr[64];
} seen;

static int on_head(void *ctx, const net_head *h)
{
    seen *s = ctx;
    s->heads++;
    s->status = h->status;
    s->chunked = h->chunked;
    s->close = h->close;
    s->content_length = h->content_length;
    size_t vl;
    const char *v = net_head_get(h, "X-Thing", &vl);
    if (v)
        snprintf(s->x_hdr, sizeof s->x_hdr, "%.*s", (int)vl, v);
    return 0;
}

static int on_body(void *ctx, const char *p, size_t n)
{
    seen *s = ctx;
    cr_assert_lt(s->blen + n, sizeof s->body);
    memcpy(s->body + s->blen, p, n);
    s->blen += n;
    return 0;
}

/* Feeds text in pieces of `step` bytes (0: whole), as a reader would: unconsumed bytes
 * stay and more are appended. Returns the bytes consumed in all; p holds the state. */
static size_t feed(net_http_parser *p, const char *text, size_t len, size_t step, seen *s,
                   bool eof)
{
    net_http_sink sink = {.ctx = s, .on_head = on_head, .on_body = on_body};
    char buf[70000];
    size_t have = 0, given = 0, used_total = 0;
    while (given < len || have) {
        size_t k = step ? (len - given < step ? len - given : step) : len - given;
        memcpy(buf + have, text + given, k);
        have += k;
        given += k;
        size_t used = net_http_feed(p, buf, have, &sink);
        memmove(buf, buf + used, have - used);
        have -= used;
        used_total += used;
        if (p->done || p->error || (k == 0 && used == 0))
            break;
    }
    if (eof && !p->done && !p->error)
        net_http_eof(p, &sink);
    return used_total;
}

static void parse_all_ways(const char *text, int status, const char *body, bool eof,
                           size_t trailing)
{
    size_t len = strlen(text);
    for (size_t step = 0; step <= len; step = step ? step + 1 : 1) {
        seen s;
        memset(&s, 0, sizeof s);
        net_http_parser p;
        net_http_parser_init(&p, 0, false);
        size_t used = feed(&p, text, len, step, &s, eof);
        cr_assert(p.done, "step %zu: not done (error %d)", step, p.error);
        cr_assert_eq(p.error, 0, "step %zu", step);
        cr_assert_eq(s.status, status, "step %zu", step);
        cr_assert_eq(s.heads, 1, "step %zu", step);
        cr_assert_eq(s.blen, strlen(body), "step %zu: body %zu bytes", step, s.blen);
        cr_assert_eq(memcmp(s.body, body, s.blen), 0, "step %zu", step);
        cr_assert_eq(used, len - trailing, "step %zu: consumed %zu", step, used);
    }
}

Test(net_parser, content_length_chunked_close_and_no_body, .timeout = 30)
{
    parse_all_ways("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing:  a b \r\n\r\nhello",
                   200, "hello", false, 0);
    parse_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n",
                   200, "hello, world!!!", false, 0);
    parse_all_ways("HTTP/1.0 200 OK\r\n\r\nuntil the close", 200, "until the close", true, 0);
    parse_all_ways("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                   201, "ok", false, 0);
    parse_all_ways("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 204, "", false, 0);
    parse_all_ways("HTTP/1.1 304 Not Modified\r\n\r\n", 304, "", false, 0);
    parse_all_ways("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc", 200, "abc", false, 0);
    parse_all_ways("HTTP/1.1 200\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\nabc\n0\n\n", 200,
                   "abc", false, 0);
    /* a pipelined second response stays unconsumed */
    parse_all_ways("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n", 200, "x",
                   false, strlen("HTTP/1.1 200 OK\r\n"));
}

Test(net_parser, headers_are_read_and_found, .timeout = 10)
{
    const char *t = "HTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nConnection: keep-alive, close"
                    "\r\nX-Thing:v\r\nContent-Length: 0\r\n\r\n";
    seen s;
    memset(&s, 0, sizeof s);
    net_http_parser p;
    net_http_parser_init(&p, 0, false);
    feed(&p, t, strlen(t), 0, &s, false);
    cr_assert(p.done);
    cr_assert_eq(s.status, 429);
    cr_assert(s.close);
    cr_assert(p.close);
    cr_assert_str_eq(s.x_hdr, "v");
    cr_assert_eq(s.content_length, 0);
    /* HTTP/1.0 closes unless it says keep-alive */
    const char *t10 = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n";
    net_http_parser_init(&p, 0, false);
    memset(&s, 0, sizeof s);
    feed(&p, t10, strlen(t10), 0, &s, false);
    cr_assert(p.done);
    cr_assert_not(p.close);
    /* a HEAD answer has no body whatever Content-Length says */
    const char *th = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
    net_http_parser_init(&p, 0, true);
    memset(&s, 0, sizeof s);
    feed(&p, th, strlen(th), 0, &s, false);
    cr_assert(p.done);
    cr_assert_eq(s.blen, 0);
}

static int parse_error(const char *text, uint64_t limit, bool eof)
{
    seen s;
    memset(&s, 0, sizeof s);
    net_http_parser p;
    net_http_parser_init(&p, limit, false);
    feed(&p, text, strlen(text), 0, &s, eof);
    cr_assert_not(p.done && p.error, "done and failed at once");
    return p.done ? 0 : p.error;
}

Test(net_parser, malformed_responses_and_the_limit_name_their_error, .timeout = 10)
{
    const char *bad[] = {
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 099 x\r\n\r\n",
        "HTTX/1.1 200 OK\r\n\r\n",
        "\r\nHTTP/1.1 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n",
        "HTTP/1.1 101 Switching\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(parse_error(bad[i], 0, false), NET_EMALFORMED, "case %zu: %s", i, bad[i]);
    /* a head that never ends */
    char *big = malloc(NET_HTTP_MAX_HEAD + 100);
    strcpy(big, "HTTP/1.1 200 OK\r\nX: ");
    memset(big + strlen(big), 'a', NET_HTTP_MAX_HEAD);
    big[NET_HTTP_MAX_HEAD + 20] = '\0';
    cr_expect_eq(parse_error(big, 0, false), NET_EMALFORMED);
    free(big);
    /* the limit: a declared length over it, chunks past it, a close-delimited body */
    cr_expect_eq(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 80, false),
                 NET_ETOOLARGE);
    cr_expect_eq(parse_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "40\r\n", 60, false), NET_ETOOLARGE);
    cr_expect_eq(parse_error("HTTP/1.0 200 OK\r\n\r\n0123456789012345678901234567890123456789",
                             40, false), NET_ETOOLARGE);
    cr_expect_eq(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 100,
                             false), 0);
    /* the connection closed before the end */
    cr_expect_eq(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234", 0, true),
                 NET_ECLOSED);
    cr_expect_eq(parse_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                             0, true), NET_ECLOSED);
    cr_expect_eq(parse_error("HTTP/1.1 20", 0, true), NET_ECLOSED);
}

Test(net_parser, urls_and_requests, .timeout = 10)
{
    net_url u;
    char err[256];
    cr_assert_eq(net_url_parse("http://127.0.0.1:8000/v1/", &u, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(u.host, "127.0.0.1");
    cr_assert_eq(u.port, 8000);
    cr_assert_str_eq(u.base, "/v1");
    cr_assert_str_eq(u.authority, "127.0.0.1:8000");
    cr_assert_eq(net_url_parse("http://[::1]:9/", &u, err, sizeof err), 0);
    cr_assert_str_eq(u.host, "::1");
    cr_assert_eq(u.port, 9);
    cr_assert_eq(net_url_parse("http://example.com", &u, err, sizeof err), 0);
    cr_assert_eq(u.port, 80);
    cr_assert_str_eq(u.base, "");
    const char *bad[] = {"https://x", "ftp://x", "http://", "http://x:0", "http://x:70000",
                         "http://x:", "http://u@x", "http://x/a?b", "http://[::1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        cr_expect_eq(net_url_parse(bad[i], &u, err, sizeof err), -EINVAL, "%s", bad[i]);
        cr_expect_neq(err[0], '\0', "%s: no message", bad[i]);
    }
    /* The URL's own headers (--header, --api-key) and Host (--header 'Host: ...'). */
    cr_assert_eq(net_url_parse("http://h:1", &u, err, sizeof err), 0);
    cr_assert_str_eq(net_url_host(&u), "h:1");
    u.host_header = "m.example.com";
    u.headers = "Authorization: Bearer k\r\n";
    cr_assert_str_eq(net_url_host(&u), "m.example.com");
    net_request r = {.method = "POST", .path = "/v2/models/m/infer",
                     .authority = net_url_host(&u), .content_type = "application/json",
                     .headers = "X-A: b\r\n", .url_headers = u.headers, .body = "{}",
                     .body_len = 2};
    char *out;
    size_t len;
    cr_assert_eq(net_request_build(&r, &out, &len), 0);
    const char *want = "POST /v2/models/m/infer HTTP/1.1\r\nHost: m.example.com\r\n"
                       "Content-Type: application/json\r\nContent-Length: 2\r\nX-A: b\r\n"
                       "Authorization: Bearer k\r\n\r\n{}";
    cr_assert_eq(len, strlen(want));
    cr_assert_eq(memcmp(out, want, len), 0, "%.*s", (int)len, out);
    free(out);
    char small[8];
    cr_assert_gt(net_request_format(&r, true, small, sizeof small), sizeof small);
    cr_assert_str_eq(net_status_name(NET_ETIMEDOUT), "no response by the request deadline");
    cr_assert_str_eq(net_status_key(NET_ECONNRESET), "connection_reset");
    cr_assert_str_eq(net_status_key(503), "http_503");
}

/* ---------------------------------------------------------------- the client */

#define MAX_IDS 200000

/* What the callbacks saw, per submitted id. */
typedef struct rec {
    const char *req;
    size_t req_len;
    _Atomic int done[MAX_IDS];   /* on_done calls per id */
    _Atomic int result[MAX_IDS]; /* result, or the HTTP status when it was 0 */
    _Atomic int64_t late_ns[MAX_IDS]; /* on_done's time minus the call's start */
    _Atomic uint64_t ndone, body_bytes, started;
    bool stream;                 /* on_body used */
    bool keep_user;              /* on_start used: the slot's area kept between requests */
} rec;

/* Counts the requests a slot has carried in its kept user area. */
static void r_start(void *ctx, net_call *call)
{
    rec *r = ctx;
    uint64_t n;
    memcpy(&n, call->user, sizeof n);
    n++;
    memcpy(call->user, &n, sizeof n);
    atomic_fetch_add(&r->started, 1);
}

static int r_request(void *ctx, net_call *call, const void **bytes, size_t *len)
{
    rec *r = ctx;
    *bytes = r->req;
    *len = r->req_len;
    (void)call;
    return 0;
}

static int r_body(void *ctx, net_call *call, const char *p, size_t n)
{
    rec *r = ctx;
    (void)call;
    (void)p;
    atomic_fetch_add(&r->body_bytes, n);
    return 0;
}

static void r_done(void *ctx, net_call *call, int result)
{
    rec *r = ctx;
    uint64_t carried = 0;
    if (call->user)
        memcpy(&carried, call->user, sizeof carried);
    /* zeroed before each request, or counting up in a kept area (a request that never
     * reached a connection has no slot: a zeroed area) */
    cr_assert(r->keep_user && call->started_ns ? carried >= 1 : carried == 0,
              "user area: %llu", (unsigned long long)carried);
    cr_assert_lt(call->id, MAX_IDS);
    atomic_fetch_add(&r->done[call->id], 1);
    atomic_store(&r->result[call->id], result ? result : call->status);
    atomic_store(&r->late_ns[call->id], call->started_ns ? lg_now_ns() - call->started_ns : 0);
    if (!result && !r->stream)
        atomic_fetch_add(&r->body_bytes, call->body_len);
    atomic_fetch_add(&r->ndone, 1);
}

static rec *rec_new(const char *req)
{
    rec *r = calloc(1, sizeof *r);
    cr_assert_not_null(r);
    r->req = req;
    r->req_len = strlen(req);
    return r;
}

static serve_server *srv_start(serve_config *cfg)
{
    char err[256];
    serve_server *s;
    int rc = serve_start(cfg, &s, err, sizeof err);
    cr_assert_eq(rc, 0, "serve_start: %s", err);
    return s;
}

static net_client *client_start(rec *r, uint16_t port, unsigned conns, unsigned threads,
                                unsigned pipeline, int64_t timeout_ms, uint64_t limit)
{
    net_client_config cfg;
    net_client_config_default(&cfg);
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    cr_assert_eq(net_url_parse(url, &cfg.url, err, sizeof err), 0);
    cfg.connections = conns;
    cfg.io_threads = threads;
    cfg.pipeline = pipeline;
    cfg.request_timeout_ns = timeout_ms * 1000000;
    if (limit)
        cfg.max_response_bytes = limit;
    cfg.cb = (net_callbacks){.ctx = r, .call_bytes = 16, .request = r_request,
                             .on_start = r->keep_user ? r_start : NULL,
                             .on_body = r->stream ? r_body : NULL, .on_done = r_done};
    net_client *c;
    int rc = net_client_create(&cfg, &c, err, sizeof err);
    cr_assert_eq(rc, 0, "net_client_create: %s", err);
    return c;
}

static void submit_range(net_client *c, uint64_t first, uint64_t n)
{
    lg_sample s[256];
    for (uint64_t i = 0; i < n;) {
        size_t k = n - i < 256 ? (size_t)(n - i) : 256;
        for (size_t j = 0; j < k; j++)
            s[j] = (lg_sample){first + i + j, 0};
        net_submit(c, s, k);
        i += k;
    }
}

/* Waits until n requests ended (at most timeout_ms); fails the test otherwise. */
static void wait_done(rec *r, uint64_t n, int timeout_ms)
{
    int64_t end = lg_now_ns() + (int64_t)timeout_ms * 1000000;
    while (atomic_load(&r->ndone) < n && lg_now_ns() < end)
        usleep(1000);
    cr_assert_eq(atomic_load(&r->ndone), n, "%llu of %llu ended in %d ms",
                 (unsigned long long)atomic_load(&r->ndone), (unsigned long long)n, timeout_ms);
}

/* Every id in [0, n) ended exactly once; returns how many ended with `result`. */
static uint64_t count_result(rec *r, uint64_t n, int result)
{
    uint64_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        cr_assert_eq(atomic_load(&r->done[i]), 1, "id %llu ended %d times",
                     (unsigned long long)i, atomic_load(&r->done[i]));
        k += atomic_load(&r->result[i]) == result;
    }
    return k;
}

#define INFER_BODY "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\"," \
                   "\"data\":[1,2,3,4]}]}"
static char infer_req[512];

static const char *infer_request(uint16_t port)
{
    snprintf(infer_req, sizeof infer_req,
             "POST /v2/models/model/infer HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\n\r\n%s",
             port, strlen(INFER_BODY), INFER_BODY);
    return infer_req;
}

/* The program's issue-thread batch for a network SUT: in proportion to the rate below
 * NET_ISSUE_BATCH_QPS, NET_ISSUE_BATCH_NS from there, NET_ISSUE_BATCH_UNKNOWN_NS when the
 * rate is not known. */
Test(net_client, the_issue_batch_grows_with_the_rate_up_to_1_ms, .timeout = 10)
{
    cr_expect_eq(NET_ISSUE_BATCH_NS, 1000000);
    cr_expect_eq(net_issue_batch_ns(0), 0);
    cr_expect_eq(net_issue_batch_ns(1000), 10000);
    cr_expect_eq(net_issue_batch_ns(50000), 500000);
    cr_expect_eq(net_issue_batch_ns(NET_ISSUE_BATCH_QPS), NET_ISSUE_BATCH_NS);
    cr_expect_eq(net_issue_batch_ns(1e9), NET_ISSUE_BATCH_NS);
    cr_expect_eq(net_issue_batch_ns(-1), NET_ISSUE_BATCH_UNKNOWN_NS);
    cr_expect_eq(net_issue_batch_ns(NAN), NET_ISSUE_BATCH_UNKNOWN_NS);
    for (double q = 1; q < NET_ISSUE_BATCH_QPS; q *= 1.7) /* never down as the rate rises */
        cr_expect_leq(net_issue_batch_ns(q), net_issue_batch_ns(q * 1.7), "%g", q);
}

Test(net_client, keep_alive_connections_are_reused_and_opened_once, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.threads = 2;
    serve_server *srv = srv_start(&sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    net_client *c = client_start(r, serve_port(srv), 6, 2, 1, 5000, 0);
    submit_range(c, 0, 20000);
    wait_done(r, 20000, 30000);
    cr_assert_eq(count_result(r, 20000, 200), 20000);
    net_client_stats st;
    net_client_stats_get(c, &st);
    cr_assert_eq(st.connections_opened, 6);
    cr_assert_eq(st.reconnects, 0);
    cr_assert_eq(st.sent, 20000);
    cr_assert_eq(st.responses, 20000);
    cr_assert_eq(st.by_class[2], 20000);
    cr_assert_eq(st.send_delay.count, 20000);
    cr_assert_gt(st.bytes_received, 20000 * 100);
    cr_assert_gt(atomic_load(&r->body_bytes), 20000 * 50);
    serve_stats ss;
    serve_stats_get(srv, &ss);
    cr_assert_eq(ss.connections, 6);
    net_client_destroy(c);
    serve_stop(srv);
    free(r);
}

Test(net_client, pipelined_requests_share_few_connections, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.service_us = 200;
    serve_server *srv = srv_start(&sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    r->keep_user = true;
    net_client *c = client_start(r, serve_port(srv), 2, 1, 8, 5000, 0);
    submit_range(c, 0, 4000);
    wait_done(r, 4000, 30000);
    cr_assert_eq(count_result(r, 4000, 200), 4000);
    net_client_stats st;
    net_client_stats_get(c, &st);
    cr_assert_eq(st.connections_opened, 2);
    cr_assert_eq(st.reconnects, 0);
    cr_assert_eq(atomic_load(&r->started), 4000);
    net_client_destroy(c);
    serve_stop(srv);
    free(r);
}

Test(net_client, chunked_streams_arrive_through_on_body, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    const char *body = "{\"model\":\"model\",\"prompt\":\"hi\",\"max_tokens\":16,\"stream\":true}";
    static char req[512];
    snprintf(req, sizeof req, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
    rec *r = rec_new(req);
    r->stream = true;
    net_client *c = client_start(r, serve_port(srv), 4, 1, 1, 5000, 0);
    submit_range(c, 0, 2000);
    wait_done(r, 2000, 30000);
    cr_assert_eq(count_result(r, 2000, 200), 2000);
    serve_stats ss;
    serve_stats_get(srv, &ss);
    cr_assert_eq(ss.streams, 2000);
    cr_assert_eq(ss.tokens, 2000 * 16);
    /* 16 token events of 160-odd bytes and a [DONE] each */
    cr_assert_gt(atomic_load(&r->body_bytes), 2000 * 16 * 150);
    net_client_destroy(c);
    serve_stop(srv);
    free(r);
}

/* Runs n requests against a server with fault f at fraction 1 (else as configured) and
 * returns the records; the caller checks and frees. */
static rec *run_fault(serve_config *sc, uint64_t n, int64_t timeout_ms, uint64_t limit,
                      net_client_stats *st, int wait_ms)
{
    serve_server *srv = srv_start(sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    net_client *c = client_start(r, serve_port(srv), 4, 1, 1, timeout_ms, limit);
    submit_range(c, 0, n);
    wait_done(r, n, wait_ms);
    net_client_stats_get(c, st);
    net_client_destroy(c);
    serve_stop(srv);
    return r;
}

static serve_config fault_config(serve_fault f, double fraction)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.fault_fraction[f] = fraction;
    return sc;
}

Test(net_client, error_status_and_throttling_are_http_statuses, .timeout = 60)
{
    serve_config sc = fault_config(SERVE_FAULT_ERROR, 0.5);
    sc.fail_status = 503;
    sc.fault_fraction[SERVE_FAULT_THROTTLE] = 0.25;
    sc.retry_after_s = 7;
    net_client_stats st;
    rec *r = run_fault(&sc, 2000, 5000, 0, &st, 30000);
    uint64_t e503 = count_result(r, 2000, 503), t429 = count_result(r, 2000, 429);
    uint64_t ok = count_result(r, 2000, 200);
    cr_assert_eq(e503 + t429 + ok, 2000);
    cr_assert_gt(e503, 800);
    cr_assert_gt(t429, 350);
    cr_assert_eq(st.throttled, t429);
    cr_assert_eq(st.retry_after_max_s, 7);
    cr_assert_eq(st.by_class[5], e503);
    cr_assert_eq(st.connections_opened, 4, "an error status keeps the connection");
    free(r);
}

Test(net_client, resets_become_connection_reset_and_reconnect, .timeout = 60)
{
    serve_config sc = fault_config(SERVE_FAULT_RESET, 0.2);
    net_client_stats st;
    rec *r = run_fault(&sc, 1000, 5000, 0, &st, 30000);
    uint64_t reset = count_result(r, 1000, NET_ECONNRESET), ok = count_result(r, 1000, 200);
    cr_assert_eq(reset + ok, 1000, "reset %llu ok %llu", (unsigned long long)reset,
                 (unsigned long long)ok);
    cr_assert_gt(reset, 100);
    cr_assert_eq(st.errors[NET_ECONNRESET - NET_STATUS_FIRST], reset);
    cr_assert_geq(st.reconnects, reset - 4);
    free(r);
}

Test(net_client, a_stalled_server_times_out_every_request_by_its_deadline, .timeout = 60)
{
    serve_config sc = fault_config(SERVE_FAULT_STALL, 1.0);
    net_client_stats st;
    int64_t t0 = lg_now_ns();
    /* 40 requests on 4 connections with a 100 ms deadline: 10 rounds, about 1 s */
    rec *r = run_fault(&sc, 40, 100, 0, &st, 20000);
    double took_ms = (double)(lg_now_ns() - t0) / 1e6;
    cr_assert_eq(count_result(r, 40, NET_ETIMEDOUT), 40);
    for (int i = 0; i < 40; i++)
        cr_expect_lt(atomic_load(&r->late_ns[i]), 150000000, "request %d ended %lld ns after "
                     "its start", i, (long long)atomic_load(&r->late_ns[i]));
    cr_assert_lt(took_ms, 5000);
    cr_assert_eq(st.errors[NET_ETIMEDOUT - NET_STATUS_FIRST], 40);
    free(r);
}

Test(net_client, truncated_oversize_and_malformed_answers, .timeout = 60)
{
    net_client_stats st;
    serve_config sc = fault_config(SERVE_FAULT_TRUNCATE, 1.0);
    rec *r = run_fault(&sc, 200, 5000, 0, &st, 30000);
    cr_assert_eq(count_result(r, 200, NET_ECLOSED), 200);
    free(r);
    sc = fault_config(SERVE_FAULT_OVERSIZE, 1.0);
    sc.oversize_bytes = 1 << 20;
    r = run_fault(&sc, 50, 5000, 64 << 10, &st, 30000);
    cr_assert_eq(count_result(r, 50, NET_ETOOLARGE), 50);
    cr_assert_eq(st.errors[NET_ETOOLARGE - NET_STATUS_FIRST], 50);
    free(r);
    /* under the limit the same answers arrive whole */
    r = run_fault(&sc, 20, 5000, 4 << 20, &st, 30000);
    cr_assert_eq(count_result(r, 20, 200), 20);
    cr_assert_gt(atomic_load(&r->body_bytes), 20u << 20);
    free(r);
    /* a JSON body cut short is still a whole HTTP answer: the SUT judges it */
    sc = fault_config(SERVE_FAULT_MALFORMED_JSON, 1.0);
    r = run_fault(&sc, 100, 5000, 0, &st, 30000);
    cr_assert_eq(count_result(r, 100, 200), 100);
    free(r);
}

Test(net_client, nothing_listening_fails_fast_as_connection_refused, .timeout = 30)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    uint16_t port = serve_port(srv);
    serve_stop(srv); /* the port is free now: nothing listens */
    rec *r = rec_new(infer_request(port));
    net_client *c = client_start(r, port, 4, 2, 1, 5000, 0);
    submit_range(c, 0, 500);
    wait_done(r, 500, 10000);
    cr_assert_eq(count_result(r, 500, NET_ECONNREFUSED), 500);
    net_client_stats st;
    net_client_stats_get(c, &st);
    cr_assert_eq(st.connections_opened, 0);
    cr_assert_geq(st.errors[NET_ECONNREFUSED - NET_STATUS_FIRST], 500);
    net_client_destroy(c);
    free(r);
    char err[256];
    net_url u;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    net_url_parse(url, &u, err, sizeof err);
    int64_t t0 = lg_now_ns();
    const char *paths[] = {"/v2/health/ready"};
    cr_assert_eq(net_wait_ready(&u, paths, 1, 300000000, err, sizeof err), NET_ECONNREFUSED);
    cr_assert_lt(lg_now_ns() - t0, 1000000000);
    cr_assert(strstr(err, "/v2/health/ready") && strstr(err, "refused"), "%s", err);
}

/* Submits from its own thread until told to stop. */
typedef struct feeder {
    net_client *c;
    uint64_t first, n;
    int pause_us;
} feeder;

static void *feed_main(void *arg)
{
    feeder *f = arg;
    for (uint64_t i = 0; i < f->n; i += 10) {
        submit_range(f->c, f->first + i, 10);
        if (f->pause_us)
            usleep((useconds_t)f->pause_us);
    }
    return NULL;
}

Test(net_client, a_server_stopped_mid_run_ends_every_request_once, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.service_us = 100;
    serve_server *srv = srv_start(&sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    net_client *c = client_start(r, serve_port(srv), 8, 2, 1, 2000, 0);
    feeder f = {c, 0, 6000, 500};
    pthread_t th;
    pthread_create(&th, NULL, feed_main, &f);
    usleep(150000);
    serve_stop(srv);
    pthread_join(th, NULL);
    wait_done(r, 6000, 30000);
    uint64_t ok = count_result(r, 6000, 200), refused = count_result(r, 6000, NET_ECONNREFUSED);
    uint64_t other = 6000 - ok - refused;
    cr_assert_gt(ok, 100);
    cr_assert_gt(refused, 1000);
    for (uint64_t i = 0; i < 6000; i++) {
        int res = atomic_load(&r->result[i]);
        cr_assert(res == 200 || res == NET_ECONNREFUSED || res == NET_ECONNRESET ||
                  res == NET_ECLOSED, "id %llu: %d", (unsigned long long)i, res);
    }
    (void)other;
    net_client_destroy(c);
    free(r);
}

Test(net_client, cancel_fails_what_is_queued_and_in_flight, .timeout = 60)
{
    serve_config sc = fault_config(SERVE_FAULT_STALL, 1.0);
    serve_server *srv = srv_start(&sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    net_client *c = client_start(r, serve_port(srv), 4, 2, 2, 60000, 0);
    submit_range(c, 0, 3000);
    usleep(100000);
    cr_assert_eq(atomic_load(&r->ndone), 0);
    net_client_cancel(c);
    cr_assert_eq(atomic_load(&r->ndone), 3000);
    cr_assert_eq(count_result(r, 3000, NET_ECANCELED), 3000);
    /* the client works on after a cancel (new connections, the stall goes on) */
    submit_range(c, 3000, 8);
    usleep(50000);
    net_client_cancel(c);
    cr_assert_eq(atomic_load(&r->ndone), 3008);
    net_client_destroy(c);
    serve_stop(srv);
    free(r);
}

Test(net_client, many_threads_submit_at_once, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.threads = 2;
    serve_server *srv = srv_start(&sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    net_client *c = client_start(r, serve_port(srv), 16, 3, 2, 10000, 0);
    enum { NT = 6, PER = 5000 };
    pthread_t th[NT];
    feeder f[NT];
    for (int i = 0; i < NT; i++) {
        f[i] = (feeder){c, (uint64_t)i * PER, PER, 0};
        pthread_create(&th[i], NULL, feed_main, &f[i]);
    }
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    wait_done(r, NT * PER, 60000);
    cr_assert_eq(count_result(r, NT * PER, 200), NT * PER);
    net_client_stats st;
    net_client_stats_get(c, &st);
    cr_assert_eq(st.submitted, NT * PER);
    cr_assert_eq(st.done, NT * PER);
    cr_assert_eq(st.connections_opened, 16);
    net_client_destroy(c);
    serve_stop(srv);
    free(r);
}

/* The defaults with 2 connections to srv, and r's callbacks. */
static void two_connections_to(net_client_config *cfg, serve_server *srv, rec *r)
{
    net_client_config_default(cfg);
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", serve_port(srv));
    cr_assert_eq(net_url_parse(url, &cfg->url, err, sizeof err), 0, "%s", err);
    cfg->connections = 2;
    cfg->cb = (net_callbacks){.ctx = r, .request = r_request, .on_done = r_done};
}

Test(net_client, a_small_queue_makes_submit_wait_not_drop, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.service_us = 50;
    serve_server *srv = srv_start(&sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    net_client_config cfg;
    two_connections_to(&cfg, srv, r);
    cfg.queue_capacity = 4;
    char err[256];
    net_client *c;
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), 0, "%s", err);
    submit_range(c, 0, 3000); /* one call of 3000 into a queue of 4 */
    wait_done(r, 3000, 30000);
    cr_assert_eq(count_result(r, 3000, 200), 3000);
    net_client_destroy(c);
    serve_stop(srv);
    free(r);
}

/* 16 requests on a pool of 2 that may grow to `max` (0: fixed), against a server that
 * takes 200 ms over each: 2 (the pool busy), then 14 more 20 ms later, when the I/O thread
 * sleeps with every connection busy. Returns the client's counters once all ended. */
static net_client_stats burst_on_a_small_pool(unsigned max)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.service_us = 200000;
    serve_server *srv = srv_start(&sc);
    rec *r = rec_new(infer_request(serve_port(srv)));
    net_client_config cfg;
    two_connections_to(&cfg, srv, r);
    cfg.max_connections = max;
    char err[256];
    net_client *c;
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), 0, "%s", err);
    submit_range(c, 0, 2);
    usleep(20000);
    submit_range(c, 2, 14);
    wait_done(r, 16, 30000);
    cr_assert_eq(count_result(r, 16, 200), 16);
    net_client_stats st;
    net_client_stats_get(c, &st);
    net_client_destroy(c);
    serve_stop(srv);
    free(r);
    return st;
}

/* A request that finds every connection busy gets a new one while the pool is below
 * max_connections; past it, it waits (and is counted as waiting); a fixed pool never
 * grows. */
Test(net_client, a_busy_pool_grows_to_its_cap_and_no_further, .timeout = 60)
{
    net_client_stats st = burst_on_a_small_pool(10);
    cr_assert_eq(st.connections_added, 8, "the pool grew from 2 to its cap of 10");
    cr_assert_eq(st.connections_opened, 10);
    cr_assert_eq(st.waited_for_connection, 6, "the 6 beyond the cap waited");
    cr_assert_eq(st.done, 16);
    /* A growing pool wakes for new requests although every connection is busy (not at
     * the next answer, 180 ms later): 10 sent at once, 6 after the first answers. */
    cr_assert_lt(st.send_delay.p50_ns, 100000000, "p50 send delay %lld ns",
                 (long long)st.send_delay.p50_ns);
    st = burst_on_a_small_pool(16);
    cr_assert_eq(st.connections_added, 14, "one connection per waiting request");
    cr_assert_eq(st.waited_for_connection, 0);
    cr_assert_lt(st.send_delay.max_ns, 100000000, "max send delay %lld ns",
                 (long long)st.send_delay.max_ns);
    st = burst_on_a_small_pool(0);
    cr_assert_eq(st.connections_added, 0, "a fixed pool");
    cr_assert_eq(st.connections_opened, 2);
    cr_assert_eq(st.waited_for_connection, 14);
}

/* The cap of a client with 2 connections that may grow to max, nothing to connect to. */
static unsigned cap_of(unsigned max)
{
    net_client_config cfg;
    net_client_config_default(&cfg);
    char err[256];
    cr_assert_eq(net_url_parse("http://127.0.0.1:1", &cfg.url, err, sizeof err), 0);
    cfg.connections = 2;
    cfg.max_connections = max;
    cfg.connect_now = false;
    cfg.cb = (net_callbacks){.request = r_request, .on_done = r_done};
    net_client *c;
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), 0, "%s", err);
    net_client_stats st;
    net_client_stats_get(c, &st);
    net_client_destroy(c);
    return st.max_connections;
}

/* A connection is a descriptor: the client raises the soft RLIMIT_NOFILE toward the hard
 * limit for its largest pool (and 256 more), and a pool the hard limit cannot hold grows
 * only as far as it can, so that growing never fails a request with EMFILE. (Criterion
 * runs each test in its own process: the limits set here stay here.) */
Test(net_client, the_pool_fits_the_descriptor_limit, .timeout = 30)
{
    struct rlimit rl;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    cr_assert_geq(rl.rlim_max, 1024, "a hard descriptor limit below Linux's default");
    unsigned want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 4096 + 256
                        ? 4096 : (unsigned)rl.rlim_max - 256;
    rl.rlim_cur = 300;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    cr_assert_eq(cap_of(want), want);
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    cr_assert_geq(rl.rlim_cur, want + 256, "the soft limit was raised");
    rl.rlim_cur = rl.rlim_max = 600;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    cr_assert_eq(cap_of(4096), 600 - 256, "the pool grows as far as the hard limit allows");
    cr_assert_eq(cap_of(100), 100);
    cr_assert_eq(cap_of(0), 2, "a fixed pool");
}

Test(net_client, the_configuration_is_checked, .timeout = 10)
{
    net_client_config cfg;
    net_client_config_default(&cfg);
    char err[256];
    net_client *c;
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "url"), "%s", err);
    net_url_parse("http://127.0.0.1:1", &cfg.url, err, sizeof err);
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "request and on_done"), "%s", err);
    cfg.cb = (net_callbacks){.request = r_request, .on_done = r_done};
    cfg.io_threads = 9;
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "io_threads"), "%s", err);
    cfg.io_threads = 1;
    cfg.pipeline = 0;
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "pipeline"), "%s", err);
    cfg.pipeline = 1;
    cfg.max_connections = 4; /* fewer than the 8 connections */
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "max_connections"), "%s", err);
    cfg.max_connections = 65537;
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "max_connections"), "%s", err);
    cfg.max_connections = 0;
    net_url_parse("http://no-such-host.invalid:1", &cfg.url, err, sizeof err);
    cr_assert_eq(net_client_create(&cfg, &c, err, sizeof err), -ENOENT);
    cr_assert(strstr(err, "no-such-host.invalid"), "%s", err);
}
