/* serve/server.c: the event loops: one epoll loop per worker thread, all watching one
 * listening socket (EPOLLEXCLUSIVE: a new connection wakes one of them, not all),
 * non-blocking sockets read edge-triggered, HTTP/1.1 requests parsed in place (keep-alive,
 * pipelining answered in order), and every delay a deadline in a per-thread heap behind
 * one timerfd: a worker never sleeps, so thousands of slow responses wait at once. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "serve/internal.h"
#include "stats/stats.h"

struct serve_server {
    serve_config cfg;
    char *host, *model;
    uint16_t port;
    int stop_fd;
    unsigned nthreads;
    worker *w;
};

#define IN_CHUNK (16u << 10)     /* the least room a read asks for */
#define IN_KEEP (64u << 10)      /* an idle connection keeps at most this input buffer */
#define HEAD_MAX (32u << 10)     /* request line and headers; 431 above */
#define OUT_HIGH (1u << 20)      /* the next pipelined request waits above this backlog */

static char g_pad[64 << 10];     /* the oversize fault's bytes, all 'x' */

uint64_t serve_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void serve_count(worker *w, serve_endpoint ep, int status)
{
    if (status >= SERVE_STATUS_MIN && status < SERVE_STATUS_MIN + SERVE_STATUS_SLOTS)
        CNT_ADD(w->stats->requests[ep][status - SERVE_STATUS_MIN], 1);
}

/* ---------------------------------------------------------------- timer heap */

static void heap_swap(worker *w, size_t a, size_t b)
{
    conn *t = w->heap[a];
    w->heap[a] = w->heap[b];
    w->heap[b] = t;
    w->heap[a]->heap_i = a;
    w->heap[b]->heap_i = b;
}

static void heap_up(worker *w, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (w->heap[p]->due <= w->heap[i]->due)
            break;
        heap_swap(w, i, p);
        i = p;
    }
}

static void heap_down(worker *w, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->hn && w->heap[l]->due < w->heap[m]->due)
            m = l;
        if (r < w->hn && w->heap[r]->due < w->heap[m]->due)
            m = r;
        if (m == i)
            return;
        heap_swap(w, i, m);
        i = m;
    }
}

static void heap_remove(worker *w, conn *c)
{
    size_t i = c->heap_i;
    if (i == SIZE_MAX)
        return;
    c->heap_i = SIZE_MAX;
    w->hn--;
    if (i == w->hn)
        return;
    w->heap[i] = w->heap[w->hn];
    w->heap[i]->heap_i = i;
    heap_up(w, i);
    heap_down(w, w->heap[i]->heap_i);
}

void conn_timer_set(conn *c, uint64_t due)
{
    worker *w = c->w;
    heap_remove(w, c);
    if (w->hn == w->hcap) {
        size_t cap = w->hcap ? 2 * w->hcap : 256;
        conn **h = realloc(w->heap, cap * sizeof *h);
        if (!h) { /* no room for the timer: the connection ends */
            c->closing = true;
            c->reset = true;
            return;
        }
        w->heap = h;
        w->hcap = cap;
    }
    c->due = due;
    c->heap_i = w->hn;
    w->heap[w->hn++] = c;
    heap_up(w, c->heap_i);
}

static void timer_arm(worker *w)
{
    uint64_t due = w->hn ? w->heap[0]->due : 0;
    if (due == w->armed)
        return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (due) {
        its.it_value.tv_sec = (time_t)(due / 1000000000u);
        its.it_value.tv_nsec = (long)(due % 1000000000u);
    }
    timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    w->armed = due;
}

/* ---------------------------------------------------------------- connections */

static void conn_free(conn *c)
{
    worker *w = c->w;
    heap_remove(w, c);
    if (c->reset) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->in);
    sb_free(&c->out);
    sb_free(&c->held);
    free(c);
}

static size_t out_pending(const conn *c)
{
    return c->out.len - c->out_off + c->pad_left;
}

/* Writes what it can; false when the connection failed. */
static bool conn_flush(conn *c)
{
    worker *w = c->w;
    while (out_pending(c)) {
        const char *p;
        size_t n;
        if (c->pad_left && c->out_off == c->pad_at) {
            p = g_pad;
            n = c->pad_left < sizeof g_pad ? c->pad_left : sizeof g_pad;
        } else {
            p = c->out.p + c->out_off;
            size_t stop = c->pad_left ? c->pad_at : c->out.len;
            n = stop - c->out_off;
        }
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        CNT_ADD(w->stats->bytes_out, (uint64_t)k);
        if (p == g_pad)
            c->pad_left -= (size_t)k;
        else
            c->out_off += (size_t)k;
    }
    /* All sent: the buffer starts over (and shrinks after a large response). */
    c->out_off = 0;
    c->out.len = 0;
    if (c->out.cap > IN_KEEP)
        sb_free(&c->out);
    return true;
}

/* Appends the status line and headers. content_length < 0: chunked. */
static void put_head(conn *c, int status, const char *ctype, int64_t content_length,
                     const char *extra)
{
    const char *reason;
    switch (status) {
    case 200: reason = "OK"; break;
    case 400: reason = "Bad Request"; break;
    case 401: reason = "Unauthorized"; break;
    case 404: reason = "Not Found"; break;
    case 405: reason = "Method Not Allowed"; break;
    case 411: reason = "Length Required"; break;
    case 413: reason = "Content Too Large"; break;
    case 429: reason = "Too Many Requests"; break;
    case 431: reason = "Request Header Fields Too Large"; break;
    case 500: reason = "Internal Server Error"; break;
    case 501: reason = "Not Implemented"; break;
    case 502: reason = "Bad Gateway"; break;
    case 503: reason = "Service Unavailable"; break;
    case 504: reason = "Gateway Timeout"; break;
    default: reason = status < 500 ? "Client Error" : "Server Error"; break;
    }
    sbuf *b = &c->out;
    sb_puts(b, "HTTP/1.1 ");
    sb_u64(b, (uint64_t)status);
    sb_puts(b, " ");
    sb_puts(b, reason);
    sb_puts(b, "\r\n");
    if (ctype) {
        sb_puts(b, "Content-Type: ");
        sb_puts(b, ctype);
        sb_puts(b, "\r\n");
    }
    if (content_length >= 0) {
        sb_puts(b, "Content-Length: ");
        sb_u64(b, (uint64_t)content_length);
        sb_puts(b, "\r\n");
    } else {
        sb_puts(b, "Transfer-Encoding: chunked\r\n");
    }
    if (extra)
        sb_puts(b, extra);
    if (c->close_after)
        sb_puts(b, "Connection: close\r\n");
    sb_puts(b, "\r\n");
}

void conn_respond(conn *c, const serve_resp *r)
{
    worker *w = c->w;
    serve_fault f = r->fault;
    if (f != SERVE_FAULT_COUNT)
        CNT_ADD(w->stats->faults[f], 1);
    if (f == SERVE_FAULT_RESET || f == SERVE_FAULT_STALL) {
        /* Nothing is sent: the connection is reset, or left open with no answer, at
         * the time the response was due. */
        sb_free(&c->held);
        c->held_cut = SIZE_MAX;
        c->phase = f == SERVE_FAULT_STALL ? PH_STALL : PH_HELD;
        if (f == SERVE_FAULT_RESET) {
            c->held_cut = 0;
            if (!r->due_ns) {
                c->closing = c->reset = true;
                c->phase = PH_STALL;
            } else {
                conn_timer_set(c, r->due_ns);
            }
        }
        return;
    }
    size_t blen = r->body ? r->body->len : 0;
    size_t full = blen + r->pad_len;
    if (f == SERVE_FAULT_MALFORMED_JSON)
        full = full / 2; /* the body cut in the middle, its length saying so */
    /* Built in place, then moved aside when it must wait. */
    size_t start = c->out.len;
    put_head(c, r->status, r->ctype, (int64_t)full, r->extra);
    size_t head = c->out.len - start;
    size_t pad_at = SIZE_MAX;
    if (f == SERVE_FAULT_MALFORMED_JSON)
        sb_put(&c->out, r->body->p, full);
    else if (blen || r->pad_len) {
        sb_put(&c->out, r->body->p, r->pad_len ? r->pad_at : blen);
        if (r->pad_len) {
            pad_at = c->out.len;
            sb_put(&c->out, r->body->p + r->pad_at, blen - r->pad_at);
        }
    }
    size_t cut = f == SERVE_FAULT_TRUNCATE ? head + blen / 2 : SIZE_MAX;
    serve_count(w, r->ep, r->status);
    if (r->due_ns) {
        sb_free(&c->held);
        sb_put(&c->held, c->out.p + start, c->out.len - start);
        c->out.len = start;
        c->held_pad_at = pad_at == SIZE_MAX ? SIZE_MAX : pad_at - start;
        c->held_pad_len = r->pad_len;
        c->held_cut = cut;
        c->phase = PH_HELD;
        conn_timer_set(c, r->due_ns);
        return;
    }
    if (pad_at != SIZE_MAX) {
        c->pad_at = pad_at;
        c->pad_left = r->pad_len;
    }
    if (cut != SIZE_MAX) {
        c->out.len = start + cut;
        c->closing = true;
    }
    if (c->close_after)
        c->closing = true;
}

void conn_error(conn *c, serve_endpoint ep, int status, const char *msg, bool openai,
                const char *extra)
{
    sbuf *b = &c->w->body;
    b->len = 0;
    if (openai) {
        sb_puts(b, "{\"error\":{\"message\":");
        sb_json_str(b, msg, strlen(msg));
        sb_puts(b, ",\"type\":\"");
        sb_puts(b, status == 404 ? "NotFoundError" : status == 429 ? "RateLimitError"
                   : status < 500 ? "BadRequestError" : "InternalServerError");
        sb_puts(b, "\",\"param\":null,\"code\":");
        sb_u64(b, (uint64_t)status);
        sb_puts(b, "}}");
    } else {
        sb_puts(b, "{\"error\":");
        sb_json_str(b, msg, strlen(msg));
        sb_puts(b, "}");
    }
    serve_resp r = {.ep = ep, .status = status, .ctype = "application/json",
                    .extra = extra, .body = b, .fault = SERVE_FAULT_COUNT};
    conn_respond(c, &r);
}

bool conn_error_fault(conn *c, serve_endpoint ep, serve_fault f, bool openai)
{
    if (f != SERVE_FAULT_ERROR && f != SERVE_FAULT_THROTTLE)
        return false;
    const serve_config *cfg = c->w->cfg;
    CNT_ADD(c->w->stats->faults[f], 1);
    char extra[64];
    snprintf(extra, sizeof extra, "Retry-After: %u\r\n", cfg->retry_after_s);
    if (f == SERVE_FAULT_ERROR)
        conn_error(c, ep, cfg->fail_status, "injected error", openai, NULL);
    else
        conn_error(c, ep, 429, "injected throttling: retry later", openai, extra);
    return true;
}

void conn_stream_start(conn *c)
{
    CNT_ADD(c->w->stats->streams, 1);
    put_head(c, 200, "text/event-stream", -1, "Cache-Control: no-cache\r\n");
    c->phase = PH_STREAM;
    openai_stream_step(c, serve_now_ns());
}

/* A timer went off: the held response goes out, or the stream moves on. */
static void conn_on_timer(conn *c, uint64_t now)
{
    if (c->phase == PH_HELD) {
        if (c->held_cut == 0) { /* a reset at the time the response was due */
            c->closing = c->reset = true;
            c->phase = PH_STALL;
            return;
        }
        size_t base = c->out.len;
        size_t n = c->held_cut < c->held.len ? c->held_cut : c->held.len;
        sb_put(&c->out, c->held.p, n);
        if (c->held_pad_at != SIZE_MAX && c->held_pad_at <= n) {
            c->pad_at = base + c->held_pad_at;
            c->pad_left = c->held_pad_len;
        }
        if (c->held_cut != SIZE_MAX || c->close_after)
            c->closing = true;
        sb_free(&c->held);
        c->phase = PH_IDLE;
    } else if (c->phase == PH_STREAM) {
        openai_stream_step(c, now);
    }
}

/* ---------------------------------------------------------------- requests */

static bool token_eq(const char *p, size_t n, const char *s)
{
    return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

/* Whether the comma-separated header value has the token s. */
static bool has_token(const char *p, size_t n, const char *s)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ','))
            i++;
        size_t j = i;
        while (j < n && p[j] != ',')
            j++;
        size_t e = j;
        while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t'))
            e--;
        if (token_eq(p + i, e - i, s))
            return true;
        i = j;
    }
    return false;
}

static bool parse_len(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* The request failed to parse: an error answer, then the connection closes (its input
 * can no longer be framed). */
static void bad_request(conn *c, int status, const char *msg)
{
    c->close_after = true;
    conn_error(c, SERVE_EP_OTHER, status, msg, false, NULL);
    c->closing = true;
    c->in_off = c->in_len;
}

/* Routes one complete request. */
static void dispatch(conn *c, const char *m, size_t mlen, const char *path, size_t plen,
                     const char *body, size_t blen, int64_t ihcl, uint64_t t0, bool authorized)
{
    bool get = token_eq(m, mlen, "GET") && memcmp(m, "GET", 3) == 0;
    bool post = token_eq(m, mlen, "POST") && memcmp(m, "POST", 4) == 0;
#define PATH_IS(s) (plen == sizeof(s) - 1 && memcmp(path, s, plen) == 0)
    if (!authorized && !PATH_IS("/v2") && !PATH_IS("/v2/health/live") &&
        !PATH_IS("/v2/health/ready")) {
        bool openai = plen >= 4 && !memcmp(path, "/v1/", 4);
        conn_error(c, SERVE_EP_OTHER, 401, "a missing or wrong API key", openai,
                   "WWW-Authenticate: Bearer\r\n");
        return;
    }
    if (PATH_IS("/v1/completions") || PATH_IS("/v1/chat/completions")) {
        serve_endpoint ep = PATH_IS("/v1/completions") ? SERVE_EP_COMPLETIONS : SERVE_EP_CHAT;
        if (!post)
            conn_error(c, ep, 405, "use POST", true, "Allow: POST\r\n");
        else
            openai_handle(c, ep, body, blen, t0);
        return;
    }
    if (PATH_IS("/v1/models")) {
        if (!get)
            conn_error(c, SERVE_EP_MODELS, 405, "use GET", true, "Allow: GET\r\n");
        else
            openai_models(c);
        return;
    }
#undef PATH_IS
    if (plen >= 3 && memcmp(path, "/v2", 3) == 0 && (plen == 3 || path[3] == '/')) {
        kserve_handle(c, get, post, path, plen, body, blen, ihcl, t0);
        return;
    }
    conn_error(c, SERVE_EP_OTHER, 404, "no such endpoint", false, NULL);
}

/* Parses and answers the request at the head of the input, if it is all there. Returns
 * true when one was consumed. */
static bool next_request(conn *c)
{
    const char *s = c->in + c->in_off;
    size_t avail = c->in_len - c->in_off;
    /* Empty lines before a request are allowed (RFC 9112 2.2). */
    while (avail >= 2 && s[0] == '\r' && s[1] == '\n') {
        s += 2;
        avail -= 2;
        c->in_off += 2;
    }
    if (avail == 0)
        return false;
    const char *hend = memmem(s, avail < HEAD_MAX ? avail : HEAD_MAX, "\r\n\r\n", 4);
    if (!hend) {
        if (avail >= HEAD_MAX)
            bad_request(c, 431, "request line and headers exceed 32 KiB");
        return false;
    }
    size_t head = (size_t)(hend - s) + 4;
    /* The request line: METHOD SP TARGET SP HTTP/1.x */
    const char *eol = memchr(s, '\r', head);
    const char *sp1 = memchr(s, ' ', (size_t)(eol - s));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == s || sp2 == sp1 + 1 || eol - sp2 != 9 ||
        memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1') ||
        sp1[1] != '/') {
        bad_request(c, 400, "malformed request line");
        return false;
    }
    bool http10 = sp2[8] == '0';
    const char *target = sp1 + 1;
    size_t tlen = (size_t)(sp2 - target);
    const char *q = memchr(target, '?', tlen);
    size_t plen = q ? (size_t)(q - target) : tlen;
    int64_t clen = -1, ihcl = -1;
    bool chunked = false, keep = !http10, expect = false;
    const char *key = c->w->cfg->api_key;
    bool authorized = !key;
    const char *h = eol + 2;
    while (h < s + head - 2) {
        const char *le = memchr(h, '\r', (size_t)(s + head - h));
        const char *colon = memchr(h, ':', (size_t)(le - h));
        if (!colon || colon == h || le[1] != '\n') {
            bad_request(c, 400, "malformed header line");
            return false;
        }
        size_t nlen = (size_t)(colon - h);
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        size_t vlen = (size_t)(le - v);
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (token_eq(h, nlen, "content-length")) {
            int64_t x;
            if (!parse_len(v, vlen, &x) || (clen >= 0 && x != clen)) {
                bad_request(c, 400, "bad Content-Length");
                return false;
            }
            clen = x;
        } else if (token_eq(h, nlen, "transfer-encoding")) {
            chunked = true;
        } else if (token_eq(h, nlen, "connection")) {
            if (has_token(v, vlen, "close"))
                keep = false;
            else if (has_token(v, vlen, "keep-alive"))
                keep = true;
        } else if (key && token_eq(h, nlen, "authorization")) {
            size_t kl = strlen(key);
            authorized = vlen == 7 + kl && !strncasecmp(v, "Bearer ", 7) &&
                         !memcmp(v + 7, key, kl);
        } else if (token_eq(h, nlen, "expect")) {
            expect = has_token(v, vlen, "100-continue");
        } else if (token_eq(h, nlen, "inference-header-content-length")) {
            if (!parse_len(v, vlen, &ihcl)) {
                bad_request(c, 400, "bad Inference-Header-Content-Length");
                return false;
            }
        }
        h = le + 2;
    }
    if (chunked) {
        bad_request(c, 411, "chunked request bodies are not accepted: send Content-Length");
        return false;
    }
    size_t blen = clen > 0 ? (size_t)clen : 0;
    if ((uint64_t)head + blen > c->w->cfg->max_request_bytes) {
        bad_request(c, 413, "request larger than the server's --max-request-bytes");
        return false;
    }
    if (avail < head + blen) {
        if (expect && !c->sent_continue && !http10) {
            sb_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
            c->sent_continue = true;
        }
        return false;
    }
    c->sent_continue = false;
    c->close_after = !keep;
    bool post = token_eq(s, (size_t)(sp1 - s), "POST");
    if (post && clen < 0) {
        c->in_off += head;
        bad_request(c, 411, "POST needs a Content-Length");
        return true;
    }
    c->in_off += head + blen;
    dispatch(c, s, (size_t)(sp1 - s), target, plen, s + head, blen, ihcl, serve_now_ns(),
             authorized);
    return true;
}

/* Reads until EAGAIN, EOF or a full buffer (rd_full: more may wait in the socket). */
static bool conn_read(conn *c)
{
    size_t limit = c->w->cfg->max_request_bytes + IN_CHUNK;
    for (;;) {
        if (c->in_cap - c->in_len < IN_CHUNK) {
            if (c->in_off) {
                memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
                c->in_len -= c->in_off;
                c->in_off = 0;
            }
        }
        if (c->in_cap - c->in_len < IN_CHUNK && c->in_cap < limit) {
            size_t cap = c->in_cap ? c->in_cap * 2 : IN_CHUNK * 2;
            if (cap > limit)
                cap = limit;
            char *p = realloc(c->in, cap);
            if (!p)
                return false;
            c->in = p;
            c->in_cap = cap;
        }
        size_t room = c->in_cap - c->in_len;
        if (room == 0) {
            c->rd_full = true;
            return true;
        }
        ssize_t k = recv(c->fd, c->in + c->in_len, room, 0);
        if (k > 0) {
            c->in_len += (size_t)k;
            if ((size_t)k < room) {
                c->rd_full = false;
                return true; /* most likely drained: the next edge wakes us */
            }
            continue;
        }
        if (k == 0) {
            c->peer_eof = true;
            c->rd_full = false;
            return true;
        }
        if (errno == EINTR)
            continue;
        c->rd_full = false;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

/* Reads (when the socket may have input), answers what is complete, writes; frees c
 * when it is done. An event that only says "writable" costs no read. */
static void conn_pump(conn *c, bool may_read)
{
    for (int round = 0; round < 64; round++, may_read = true) {
        if (may_read && !c->peer_eof && !c->closing && !conn_read(c)) {
            conn_free(c);
            return;
        }
        bool any = false;
        while (c->phase == PH_IDLE && !c->closing && out_pending(c) < OUT_HIGH &&
               !c->pad_left && next_request(c))
            any = true;
        if (!conn_flush(c)) {
            conn_free(c);
            return;
        }
        if (c->closing && !out_pending(c)) {
            conn_free(c);
            return;
        }
        /* The peer closed: every complete request was answered above (nothing
         * holds them back once the output is drained), so what is left is cut off. */
        if (c->peer_eof && (c->phase == PH_IDLE || c->phase == PH_STALL) &&
            !out_pending(c)) {
            conn_free(c);
            return;
        }
        /* Idle with nothing buffered: give back a large input buffer. */
        if (c->phase == PH_IDLE && c->in_off == c->in_len) {
            c->in_off = c->in_len = 0;
            if (c->in_cap > IN_KEEP) {
                free(c->in);
                c->in = NULL;
                c->in_cap = 0;
            }
        }
        /* Another round only when input may still wait behind a full buffer that the
         * answers just made room in. */
        if (!(c->rd_full && any))
            return;
    }
}

static void conn_accept(worker *w)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if ((errno == EMFILE || errno == ENFILE) && w->spare_fd >= 0) {
                /* Out of descriptors: take the connection with the spare one and
                 * close it, rather than spin on a listening socket that stays ready. */
                close(w->spare_fd);
                fd = accept(w->lfd, NULL, NULL);
                if (fd >= 0)
                    close(fd);
                w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->w = w;
        c->heap_i = SIZE_MAX;
        c->held_pad_at = SIZE_MAX;
        c->next = w->conns;
        if (w->conns)
            w->conns->prev = c;
        w->conns = c;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.ptr = c};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            conn_free(c);
            continue;
        }
        CNT_ADD(w->stats->connections, 1);
    }
}

/* ---------------------------------------------------------------- threads */

static void *worker_main(void *arg)
{
    worker *w = arg;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(w->ep, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        bool stop = false, timers = false;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &w->srv->stop_fd) {
                stop = true;
            } else if (p == &w->lfd) {
                conn_accept(w);
            } else if (p == &w->tfd) {
                uint64_t x;
                ssize_t k = read(w->tfd, &x, sizeof x);
                (void)k;
                w->armed = 0;
                timers = true;
            } else {
                conn_pump((conn *)p, (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP |
                                                        EPOLLERR)) != 0);
            }
        }
        if (stop)
            break;
        if (timers || (w->hn && w->heap[0]->due <= serve_now_ns())) {
            uint64_t now = serve_now_ns();
            while (w->hn && w->heap[0]->due <= now) {
                conn *c = w->heap[0];
                heap_remove(w, c);
                conn_on_timer(c, now);
                conn_pump(c, c->rd_full);
            }
        }
        timer_arm(w);
    }
    while (w->conns)
        conn_free(w->conns);
    return NULL;
}

/* ---------------------------------------------------------------- start and stop */

/* The one listening socket. No SO_REUSEPORT: a second server on a taken port must fail,
 * not silently share its connections. */
static int listen_socket(const serve_config *cfg, uint16_t port, uint16_t *bound,
                         char *err, size_t elen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, elen, "socket: %s", strerror(e));
        return -e;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, cfg->host, &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0) {
        int e = errno;
        snprintf(err, elen, "cannot listen on %s:%u: %s", cfg->host, (unsigned)port,
                 strerror(e));
        close(fd);
        return -e;
    }
    socklen_t alen = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &alen);
    *bound = ntohs(a.sin_port);
    return fd;
}

static void server_free(serve_server *s)
{
    for (unsigned i = 0; i < s->nthreads; i++) {
        worker *w = &s->w[i];
        if (w->ep >= 0)
            close(w->ep);
        if (w->lfd >= 0 && i == 0)
            close(w->lfd);
        if (w->tfd >= 0)
            close(w->tfd);
        if (w->spare_fd >= 0)
            close(w->spare_fd);
        stats_rng_free(w->rng);
        free(w->heap);
        sb_free(&w->body);
        free(w->stats);
    }
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    free(s->w);
    free(s->host);
    free(s->model);
    free(s);
}

int serve_start(const serve_config *cfg, serve_server **out, char *err, size_t elen)
{
    char dummy[1];
    if (!err || elen == 0) {
        err = dummy;
        elen = sizeof dummy;
    }
    *out = NULL;
    int rc = serve_config_check(cfg, err, elen);
    if (rc)
        return rc;
    memset(g_pad, 'x', sizeof g_pad);
    serve_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, elen, "out of memory");
        return -ENOMEM;
    }
    s->cfg = *cfg;
    s->host = strdup(cfg->host);
    s->model = strdup(cfg->model);
    s->cfg.host = s->host;
    s->cfg.model = s->model;
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->w = calloc(cfg->threads, sizeof *s->w);
    if (!s->host || !s->model || s->stop_fd < 0 || !s->w) {
        snprintf(err, elen, "out of memory or descriptors");
        free(s->w);
        s->w = NULL;
        server_free(s);
        return -ENOMEM;
    }
    s->nthreads = cfg->threads;
    for (unsigned i = 0; i < s->nthreads; i++) {
        worker *w = &s->w[i];
        w->ep = w->lfd = w->tfd = w->spare_fd = -1;
    }
    rc = 0;
    for (unsigned i = 0; i < s->nthreads && !rc; i++) {
        worker *w = &s->w[i];
        w->srv = s;
        w->cfg = &s->cfg;
        w->index = i;
        /* Each thread its own stream of draws, all from the one seed. */
        w->rng = stats_rng_new(cfg->seed + 0x9E3779B9ul * i);
        w->stats = calloc(1, sizeof *w->stats);
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (!w->rng || !w->stats || w->ep < 0 || w->tfd < 0) {
            snprintf(err, elen, "out of memory or descriptors");
            rc = -ENOMEM;
            break;
        }
        if (i == 0) {
            int fd = listen_socket(&s->cfg, cfg->port, &s->port, err, elen);
            if (fd < 0) {
                rc = fd;
                break;
            }
            w->lfd = fd;
        } else {
            w->lfd = s->w[0].lfd; /* shared; closed once, with worker 0 */
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &w->lfd};
        struct epoll_event et = {.events = EPOLLIN, .data.ptr = &w->tfd};
        struct epoll_event es = {.events = EPOLLIN, .data.ptr = &s->stop_fd};
        if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &ev) < 0 ||
            epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &et) < 0 ||
            epoll_ctl(w->ep, EPOLL_CTL_ADD, s->stop_fd, &es) < 0) {
            rc = -errno;
            snprintf(err, elen, "epoll_ctl: %s", strerror(-rc));
        }
    }
    for (unsigned i = 0; i < s->nthreads && !rc; i++) {
        int e = pthread_create(&s->w[i].tid, NULL, worker_main, &s->w[i]);
        if (e) {
            rc = -e;
            snprintf(err, elen, "pthread_create: %s", strerror(e));
            break;
        }
        s->w[i].started = true;
    }
    if (rc) {
        serve_stop(s);
        return rc;
    }
    *out = s;
    return 0;
}

uint16_t serve_port(const serve_server *srv)
{
    return srv->port;
}

void serve_stats_get(const serve_server *srv, serve_stats *st)
{
    memset(st, 0, sizeof *st);
    for (unsigned i = 0; i < srv->nthreads; i++) {
        const wstats *ws = srv->w[i].stats;
        if (!ws)
            continue;
#define RD(x) atomic_load_explicit(&(x), memory_order_relaxed)
        for (int e = 0; e < SERVE_EP_COUNT; e++)
            for (int k = 0; k < SERVE_STATUS_SLOTS; k++)
                st->requests[e][k] += RD(ws->requests[e][k]);
        st->connections += RD(ws->connections);
        st->tokens += RD(ws->tokens);
        st->streams += RD(ws->streams);
        st->bytes_out += RD(ws->bytes_out);
        for (int f = 0; f < SERVE_FAULT_COUNT; f++)
            st->faults[f] += RD(ws->faults[f]);
#undef RD
    }
}

void serve_stop(serve_server *srv)
{
    if (!srv)
        return;
    uint64_t one = 1;
    ssize_t k = write(srv->stop_fd, &one, sizeof one);
    (void)k;
    for (unsigned i = 0; i < srv->nthreads; i++)
        if (srv->w[i].started)
            pthread_join(srv->w[i].tid, NULL);
    server_free(srv);
}
