/* net/http.c: the HTTP/1.1 text of the client: failure status names, URLs, the request
 * writer, and the incremental response parser (status line, headers, Content-Length,
 * chunked transfer-encoding, a body delimited by the close, the size limit). The parser
 * keeps no pointer into the caller's buffer between calls, so the client may move its
 * unconsumed bytes; it does no allocation and no system call. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/internal.h"

/* ---------------------------------------------------------------- statuses */

static const struct {
    const char *name, *key;
} status_text[] = {
    {"connection refused", "connection_refused"},
    {"could not connect", "connect_failed"},
    {"connection reset by the server", "connection_reset"},
    {"connection closed before the response ended", "connection_closed"},
    {"no response by the request deadline", "timeout"},
    {"malformed HTTP response", "malformed_response"},
    {"response larger than the limit", "response_too_large"},
    {"response body not in the protocol's format", "bad_body"},
    {"socket error", "socket_error"},
    {"canceled before an answer", "canceled"},
    {"failed with an earlier request on its pipelined connection", "pipeline_failed"},
};

static _Thread_local char status_buf[32];

const char *net_status_name(int status)
{
    if (status == 0)
        return "success";
    if (status >= NET_STATUS_FIRST && status <= NET_STATUS_LAST)
        return status_text[status - NET_STATUS_FIRST].name;
    snprintf(status_buf, sizeof status_buf, status >= 100 && status <= 999 ? "HTTP %d"
                                                                           : "status %d",
             status);
    return status_buf;
}

const char *net_status_key(int status)
{
    if (status == 0)
        return "success";
    if (status >= NET_STATUS_FIRST && status <= NET_STATUS_LAST)
        return status_text[status - NET_STATUS_FIRST].key;
    snprintf(status_buf, sizeof status_buf, status >= 100 && status <= 999 ? "http_%d"
                                                                           : "status_%d",
             status);
    return status_buf;
}

/* ---------------------------------------------------------------- URLs */

int net_url_parse(const char *url, net_url *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
#define URL_FAIL(...) do { if (err_len) snprintf(err, err_len, __VA_ARGS__); return -EINVAL; } while (0)
    if (!url || !*url)
        URL_FAIL("the URL is empty");
    if (!strncasecmp(url, "https://", 8))
        URL_FAIL("'%.200s': https is not supported (no TLS); use http://", url);
    if (strncasecmp(url, "http://", 7))
        URL_FAIL("'%.200s' does not start with http://", url);
    const char *a = url + 7, *slash = strchr(a, '/');
    size_t alen = slash ? (size_t)(slash - a) : strlen(a);
    if (alen == 0)
        URL_FAIL("'%.200s' has no host", url);
    if (alen >= sizeof out->authority)
        URL_FAIL("'%.200s': the host part is too long", url);
    if (memchr(a, '@', alen) || memchr(a, '?', alen) || memchr(a, '#', alen))
        URL_FAIL("'%.200s': user names, queries and fragments are not supported", url);
    memcpy(out->authority, a, alen);
    const char *hend = a + alen, *colon;
    const char *h = a;
    if (*a == '[') { /* [IPv6]:port */
        const char *rb = memchr(a, ']', alen);
        if (!rb)
            URL_FAIL("'%.200s': an IPv6 address needs its closing ']'", url);
        h = a + 1;
        memcpy(out->host, h, (size_t)(rb - h));
        colon = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
        if (rb + 1 < hend && !colon)
            URL_FAIL("'%.200s': unexpected text after ']'", url);
    } else {
        colon = memchr(a, ':', alen);
        size_t hl = colon ? (size_t)(colon - a) : alen;
        if (hl == 0 || hl >= sizeof out->host)
            URL_FAIL("'%.200s' has no host or too long a one", url);
        memcpy(out->host, a, hl);
    }
    out->port = 80;
    if (colon) {
        unsigned long port = 0;
        const char *d = colon + 1;
        if (d == hend)
            URL_FAIL("'%.200s': the port is empty", url);
        for (; d < hend; d++) {
            if (!isdigit((unsigned char)*d) || (port = port * 10 + (unsigned)(*d - '0')) > 65535)
                URL_FAIL("'%.200s': the port is not a number in 1 .. 65535", url);
        }
        if (port == 0)
            URL_FAIL("'%.200s': the port is not a number in 1 .. 65535", url);
        out->port = (uint16_t)port;
    }
    if (slash) {
        size_t blen = strlen(slash);
        while (blen > 0 && slash[blen - 1] == '/')
            blen--;
        if (blen >= sizeof out->base)
            URL_FAIL("'%.200s': the path is too long", url);
        for (size_t i = 0; i < blen; i++)
            if (slash[i] == '?' || slash[i] == '#' || (unsigned char)slash[i] <= ' ')
                URL_FAIL("'%.200s': queries, fragments and spaces are not supported", url);
        memcpy(out->base, slash, blen);
    }
#undef URL_FAIL
    return 0;
}

/* ---------------------------------------------------------------- requests */

/* Appends s (n bytes) at buf + *at when it fits; *at grows regardless. */
static void put(char *buf, size_t cap, size_t *at, const void *s, size_t n)
{
    if (*at + n <= cap)
        memcpy(buf + *at, s, n);
    *at += n;
}

static void puts_(char *buf, size_t cap, size_t *at, const char *s)
{
    put(buf, cap, at, s, strlen(s));
}

size_t net_request_format(const net_request *r, bool with_body, char *buf, size_t cap)
{
    size_t at = 0;
    puts_(buf, cap, &at, r->method);
    put(buf, cap, &at, " ", 1);
    puts_(buf, cap, &at, r->path && *r->path ? r->path : "/");
    puts_(buf, cap, &at, " HTTP/1.1\r\nHost: ");
    puts_(buf, cap, &at, r->authority ? r->authority : "localhost");
    put(buf, cap, &at, "\r\n", 2);
    if (r->content_type) {
        puts_(buf, cap, &at, "Content-Type: ");
        puts_(buf, cap, &at, r->content_type);
        put(buf, cap, &at, "\r\n", 2);
    }
    if (r->body_len || strcmp(r->method, "GET")) {
        char num[48];
        int k = snprintf(num, sizeof num, "Content-Length: %zu\r\n", r->body_len);
        put(buf, cap, &at, num, (size_t)k);
    }
    if (r->close)
        puts_(buf, cap, &at, "Connection: close\r\n");
    if (r->headers)
        puts_(buf, cap, &at, r->headers);
    if (r->url_headers)
        puts_(buf, cap, &at, r->url_headers);
    put(buf, cap, &at, "\r\n", 2);
    if (with_body && r->body_len)
        put(buf, cap, &at, r->body, r->body_len);
    return at;
}

int net_request_build(const net_request *r, char **out, size_t *len)
{
    size_t n = net_request_format(r, true, NULL, 0);
    char *b = malloc(n ? n : 1);
    if (!b)
        return -ENOMEM;
    net_request_format(r, true, b, n);
    *out = b;
    *len = n;
    return 0;
}

/* ---------------------------------------------------------------- the head */

/* True when [p, p+n) equals the lower-case token t, case-insensitively. */
static bool token_eq(const char *p, size_t n, const char *t)
{
    return strlen(t) == n && !strncasecmp(p, t, n);
}

/* Trims spaces and tabs at both ends. */
static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t'))
        (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

const char *net_head_get(const net_head *h, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    const char *p = h->fields, *end = h->fields + h->fields_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t ll = eol ? (size_t)(eol - p) : (size_t)(end - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
            const char *v = p + nl + 1;
            size_t vl = ll - nl - 1;
            trim(&v, &vl);
            if (len)
                *len = vl;
            return v;
        }
        p = eol ? eol + 1 : end;
    }
    return NULL;
}

/* Does the comma-separated list [v, v+n) hold token t? */
static bool list_has(const char *v, size_t n, const char *t)
{
    while (n) {
        const char *c = memchr(v, ',', n);
        size_t k = c ? (size_t)(c - v) : n;
        const char *e = v;
        size_t el = k;
        trim(&e, &el);
        if (token_eq(e, el, t))
            return true;
        if (!c)
            break;
        v = c + 1;
        n -= k + 1;
    }
    return false;
}

/* Parses the status line [p, p+n) (no line end). */
static bool status_line(const char *p, size_t n, net_head *h)
{
    if (n < 12 || memcmp(p, "HTTP/1.", 7) || !isdigit((unsigned char)p[7]) || p[8] != ' ')
        return false;
    if (!isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
        !isdigit((unsigned char)p[11]) || p[9] == '0' || (n > 12 && p[12] != ' '))
        return false;
    h->minor_version = p[7] - '0';
    h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    return true;
}

/* One header line [p, p+n) into h; false when malformed. cl_seen: a Content-Length
 * came before (a second one must agree). */
static bool header_line(const char *p, size_t n, net_head *h, bool *keep_alive)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p || *p == ' ' || *p == '\t')
        return false;
    size_t nl = (size_t)(colon - p);
    for (size_t i = 0; i < nl; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 127)
            return false;
    const char *v = colon + 1;
    size_t vl = n - nl - 1;
    trim(&v, &vl);
    if (token_eq(p, nl, "content-length")) {
        uint64_t x = 0;
        if (vl == 0 || vl > 18)
            return false;
        for (size_t i = 0; i < vl; i++) {
            if (!isdigit((unsigned char)v[i]))
                return false;
            x = x * 10 + (uint64_t)(v[i] - '0');
        }
        if (h->content_length >= 0 && (uint64_t)h->content_length != x)
            return false;
        h->content_length = (int64_t)x;
    } else if (token_eq(p, nl, "transfer-encoding")) {
        /* chunked when it is the last coding; any other: the body runs to the close */
        const char *last = v;
        size_t ll = vl;
        const char *c;
        while ((c = memchr(last, ',', ll))) {
            ll -= (size_t)(c + 1 - last);
            last = c + 1;
        }
        trim(&last, &ll);
        if (token_eq(last, ll, "chunked"))
            h->chunked = true;
        else
            h->close = true;
    } else if (token_eq(p, nl, "connection")) {
        if (list_has(v, vl, "close"))
            h->close = true;
        if (list_has(v, vl, "keep-alive"))
            *keep_alive = true;
    }
    return true;
}

/* Parses a complete head [buf, buf+len) (its last line included). */
static bool parse_head(const char *buf, size_t len, net_head *h)
{
    memset(h, 0, sizeof *h);
    h->content_length = -1;
    const char *p = buf, *end = buf + len;
    const char *eol = memchr(p, '\n', len);
    size_t ll = (size_t)(eol - p);
    if (ll && p[ll - 1] == '\r')
        ll--;
    if (!status_line(p, ll, h))
        return false;
    p = eol + 1;
    h->fields = p;
    bool keep_alive = false;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        ll = (size_t)(eol - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll == 0) {
            h->fields_len = (size_t)(p - h->fields);
            break;
        }
        if (!header_line(p, ll, h, &keep_alive))
            return false;
        p = eol + 1;
    }
    if (h->minor_version == 0 && !keep_alive)
        h->close = true;
    return true;
}

/* ---------------------------------------------------------------- the parser */

enum {
    S_HEAD, S_BODY_LEN, S_BODY_EOF, S_CHUNK_SIZE, S_CHUNK_EXT, S_CHUNK_DATA,
    S_CHUNK_DATA_END, S_TRAILER, S_DONE, S_ERROR
};

#define MAX_CHUNK_LINE 4096

void net_http_parser_init(net_http_parser *p, uint64_t limit, bool no_body)
{
    memset(p, 0, sizeof *p);
    p->limit = limit;
    p->no_body = no_body;
    p->state = S_HEAD;
}

static size_t fail(net_http_parser *p, int err, size_t consumed)
{
    p->state = S_ERROR;
    p->error = err;
    return consumed;
}

static void finish(net_http_parser *p)
{
    p->state = S_DONE;
    p->done = true;
}

/* Where the head in buf ends (the byte after its empty line), or 0 when not yet. */
static size_t head_end(net_http_parser *p, const char *buf, size_t len)
{
    size_t i = p->scanned;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        if (!nl)
            break;
        size_t at = (size_t)(nl - buf);
        if (at + 1 >= len) {
            p->scanned = at; /* look at this line end again with more bytes */
            return 0;
        }
        if (buf[at + 1] == '\n')
            return at + 2;
        if (buf[at + 1] == '\r') {
            if (at + 2 >= len) {
                p->scanned = at;
                return 0;
            }
            if (buf[at + 2] == '\n')
                return at + 3;
        }
        i = at + 1;
    }
    p->scanned = len;
    return 0;
}

/* The head: returns bytes consumed (0: needs more). */
static size_t feed_head(net_http_parser *p, const char *buf, size_t len,
                        const net_http_sink *sink)
{
    size_t end = head_end(p, buf, len);
    if (!end) {
        if (len >= NET_HTTP_MAX_HEAD)
            return fail(p, NET_EMALFORMED, 0);
        if (p->limit && p->total + len > p->limit)
            return fail(p, NET_ETOOLARGE, 0);
        return 0;
    }
    if (end > NET_HTTP_MAX_HEAD)
        return fail(p, NET_EMALFORMED, 0);
    if (p->limit && p->total + end > p->limit)
        return fail(p, NET_ETOOLARGE, 0);
    net_head h;
    if (!parse_head(buf, end, &h))
        return fail(p, NET_EMALFORMED, 0);
    p->scanned = 0;
    p->total += end;
    if (h.status < 200) {
        if (h.status == 101)
            return fail(p, NET_EMALFORMED, end);
        return end; /* 100 Continue and friends: the real answer follows */
    }
    p->status = h.status;
    p->close = h.close;
    bool no_body = p->no_body || h.status == 204 || h.status == 304;
    if (no_body) {
        h.chunked = false;
        h.content_length = 0;
    }
    if (sink && sink->on_head) {
        int rc = sink->on_head(sink->ctx, &h);
        if (rc)
            return fail(p, rc, end);
    }
    if (no_body || (!h.chunked && h.content_length == 0)) {
        finish(p);
    } else if (h.chunked) {
        p->state = S_CHUNK_SIZE;
        p->line = 0;
        p->saw_digit = false;
        p->remaining = 0;
    } else if (h.content_length > 0) {
        p->state = S_BODY_LEN;
        p->remaining = (uint64_t)h.content_length;
        if (p->limit && p->total + p->remaining > p->limit)
            return fail(p, NET_ETOOLARGE, end);
    } else {
        p->state = S_BODY_EOF;
        p->close = true;
    }
    return end;
}

/* Body bytes [buf, buf+n) to the sink; false on a stop (the state set). */
static bool deliver(net_http_parser *p, const char *buf, size_t n, const net_http_sink *sink)
{
    if (p->limit && p->total + n > p->limit) {
        fail(p, NET_ETOOLARGE, 0);
        return false;
    }
    p->total += n;
    if (n && sink && sink->on_body) {
        int rc = sink->on_body(sink->ctx, buf, n);
        if (rc) {
            fail(p, rc, 0);
            return false;
        }
    }
    return true;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* One byte of a chunk-size line, its extension, a chunk's end or a trailer line.
 * Returns false on a malformed byte (the state set). */
static bool chunk_byte(net_http_parser *p, char c)
{
    if (p->limit && p->total >= p->limit) { /* the framing counts against the limit too */
        fail(p, NET_ETOOLARGE, 0);
        return false;
    }
    p->total++;
    if (++p->line > MAX_CHUNK_LINE) {
        fail(p, NET_EMALFORMED, 0);
        return false;
    }
    switch (p->state) {
    case S_CHUNK_SIZE: {
        int v = hexval(c);
        if (v >= 0) {
            if (p->remaining >> 56) {
                fail(p, NET_EMALFORMED, 0);
                return false;
            }
            p->remaining = p->remaining * 16 + (uint64_t)v;
            p->saw_digit = true;
            return true;
        }
        if (!p->saw_digit || (c != ';' && c != ' ' && c != '\t' && c != '\r' && c != '\n')) {
            fail(p, NET_EMALFORMED, 0);
            return false;
        }
        p->state = S_CHUNK_EXT;
    } /* fall through: the byte that ended the size */
    /* FALLTHROUGH */
    case S_CHUNK_EXT:
        if (c != '\n')
            return true;
        p->line = 0;
        p->saw_digit = false;
        if (p->remaining == 0) {
            p->state = S_TRAILER;
        } else {
            if (p->limit && p->total + p->remaining > p->limit) {
                fail(p, NET_ETOOLARGE, 0);
                return false;
            }
            p->state = S_CHUNK_DATA;
        }
        return true;
    case S_CHUNK_DATA_END: /* the CRLF after a chunk's data */
        if (c == '\r' && p->line == 1)
            return true;
        if (c != '\n') {
            fail(p, NET_EMALFORMED, 0);
            return false;
        }
        p->line = 0;
        p->state = S_CHUNK_SIZE;
        return true;
    case S_TRAILER: /* lines until an empty one; saw_digit: the line so far is a CR */
        if (c == '\n') {
            if (p->line == 1 || (p->line == 2 && p->saw_digit))
                finish(p);
            p->line = 0;
            p->saw_digit = false;
        } else {
            p->saw_digit = c == '\r' && p->line == 1;
        }
        return true;
    }
    return true;
}

size_t net_http_feed(net_http_parser *p, const char *buf, size_t len,
                     const net_http_sink *sink)
{
    size_t at = 0;
    while (at < len || p->state == S_HEAD) {
        switch (p->state) {
        case S_HEAD: {
            size_t k = feed_head(p, buf + at, len - at, sink);
            if (!k)
                return at;
            at += k;
            if (p->state == S_ERROR)
                return at;
            break;
        }
        case S_BODY_LEN: {
            size_t k = len - at < p->remaining ? len - at : (size_t)p->remaining;
            if (!deliver(p, buf + at, k, sink))
                return at;
            at += k;
            p->remaining -= k;
            if (!p->remaining)
                finish(p);
            break;
        }
        case S_BODY_EOF: {
            if (!deliver(p, buf + at, len - at, sink))
                return at;
            at = len;
            break;
        }
        case S_CHUNK_DATA: {
            size_t k = len - at < p->remaining ? len - at : (size_t)p->remaining;
            if (!deliver(p, buf + at, k, sink))
                return at;
            at += k;
            p->remaining -= k;
            if (!p->remaining) {
                p->state = S_CHUNK_DATA_END;
                p->line = 0;
            }
            break;
        }
        case S_TRAILER:
        case S_CHUNK_SIZE:
        case S_CHUNK_EXT:
        case S_CHUNK_DATA_END:
            if (!chunk_byte(p, buf[at]))
                return at;
            at++;
            break;
        default: /* S_DONE, S_ERROR: consume nothing more */
            return at;
        }
        if (p->state == S_DONE || p->state == S_ERROR)
            return at;
    }
    return at;
}

int net_http_eof(net_http_parser *p, const net_http_sink *sink)
{
    (void)sink;
    if (p->state == S_BODY_EOF)
        finish(p);
    else if (p->state != S_DONE && p->state != S_ERROR) {
        p->state = S_ERROR;
        p->error = NET_ECLOSED;
    }
    return p->done ? 0 : p->error;
}
