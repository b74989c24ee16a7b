/* test_serve.c: the test server (serve/, `loadgen serve`), started in this process and as
 * a subprocess on 127.0.0.1 port 0, always stopped, and spoken to over plain sockets:
 * every endpoint's status and body (parsed with jansson), keep-alive and pipelining, the
 * SSE framing of streams, TTFT and TPOT measured here against the configured times,
 * every fault's effect, bad requests, many slow streams on two threads, shutdown with
 * connections open, and the program's flags. Builds under the TSan stand-in too. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "serve/serve.h"
#include "tests/testutil.h"

/* ---------------------------------------------------------------- helpers */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static serve_server *start(const serve_config *cfg)
{
    char err[256] = "";
    serve_server *s = NULL;
    int rc = serve_start(cfg, &s, err, sizeof err);
    cr_assert_eq(rc, 0, "serve_start: %d %s", rc, err);
    cr_assert_neq(serve_port(s), 0);
    return s;
}

static serve_server *start_default(void)
{
    serve_config cfg;
    serve_config_default(&cfg);
    return start(&cfg);
}

/* A blocking connection whose reads give up after timeout_ms. */
static int tconnect(uint16_t port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect: %s",
                 strerror(errno));
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        cr_assert_gt(k, 0, "send: %s", strerror(errno));
        c += k;
        n -= (size_t)k;
    }
}

/* A connection's input, read as needed. */
typedef struct crd {
    int fd;
    char *buf;
    size_t off, len, cap;
} crd;

/* More bytes: > 0 read, 0 EOF, -1 error (errno: EAGAIN on a timeout, ECONNRESET). */
static ssize_t rd_more(crd *r)
{
    if (r->off && r->off == r->len)
        r->off = r->len = 0;
    if (r->cap - r->len < 65536) {
        r->cap = r->cap ? r->cap * 2 : 1 << 17;
        r->buf = realloc(r->buf, r->cap);
        cr_assert_not_null(r->buf);
    }
    ssize_t k = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
    if (k > 0)
        r->len += (size_t)k;
    return k;
}

typedef struct resp {
    int status;
    char head[8192];   /* the header block, NUL-terminated */
    char *body;        /* decoded (chunks joined), NUL-terminated */
    size_t blen;
    bool chunked;
    int nchunks;
    double *t_chunk;   /* when each chunk was complete, ms */
    double t_head;     /* when the header block was complete, ms */
    bool complete;     /* the whole response arrived */
    int err;           /* an incomplete one: 0 for EOF, else the errno */
} resp;

static void resp_free(resp *p)
{
    free(p->body);
    free(p->t_chunk);
    memset(p, 0, sizeof *p);
}

/* Waits until n bytes are buffered; false when the connection ended first. */
static bool need(crd *r, size_t n, resp *p)
{
    while (r->len - r->off < n) {
        ssize_t k = rd_more(r);
        if (k <= 0) {
            p->err = k == 0 ? 0 : errno;
            return false;
        }
    }
    return true;
}

static bool find_crlf(crd *r, const char *pat, size_t *at, resp *p)
{
    size_t plen = strlen(pat);
    for (;;) {
        char *f = r->buf ? memmem(r->buf + r->off, r->len - r->off, pat, plen) : NULL;
        if (f) {
            *at = (size_t)(f - (r->buf + r->off));
            return true;
        }
        ssize_t k = rd_more(r);
        if (k <= 0) {
            p->err = k == 0 ? 0 : errno;
            return false;
        }
    }
}

static const char *hdr(const resp *p, const char *name, char *val, size_t vlen)
{
    size_t n = strlen(name);
    for (const char *l = p->head; l && *l; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL) {
        if (!strncasecmp(l, name, n) && l[n] == ':') {
            const char *v = l + n + 1;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r");
            snprintf(val, vlen, "%.*s", (int)k, v);
            return val;
        }
    }
    return NULL;
}

/* Reads one response (after a 100 Continue, the real one). Returns p->complete. */
static bool read_resp(crd *r, resp *p)
{
    memset(p, 0, sizeof *p);
    p->body = calloc(1, 1);
    p->t_chunk = calloc(1 << 16, sizeof(double));
    size_t at;
    for (;;) {
        if (!find_crlf(r, "\r\n\r\n", &at, p))
            return false;
        cr_assert_lt(at + 4, sizeof p->head);
        memcpy(p->head, r->buf + r->off, at + 4);
        p->head[at + 4] = 0;
        r->off += at + 4;
        cr_assert_eq(strncmp(p->head, "HTTP/1.1 ", 9), 0, "%s", p->head);
        p->status = atoi(p->head + 9);
        if (p->status != 100)
            break;
    }
    p->t_head = now_ms();
    char v[64];
    if (hdr(p, "Transfer-Encoding", v, sizeof v)) {
        p->chunked = true;
        for (;;) {
            if (!find_crlf(r, "\r\n", &at, p))
                return false;
            size_t n = strtoul(r->buf + r->off, NULL, 16);
            r->off += at + 2;
            if (!need(r, n + 2, p))
                return false;
            if (n == 0) {
                r->off += 2;
                break;
            }
            p->body = realloc(p->body, p->blen + n + 1);
            memcpy(p->body + p->blen, r->buf + r->off, n);
            p->blen += n;
            p->body[p->blen] = 0;
            r->off += n + 2;
            if (p->nchunks < (1 << 16))
                p->t_chunk[p->nchunks++] = now_ms();
        }
    } else {
        size_t n = hdr(p, "Content-Length", v, sizeof v) ? strtoul(v, NULL, 10) : 0;
        if (!need(r, n, p)) {
            /* What did arrive, for the truncation test. */
            size_t got = r->len - r->off;
            p->body = realloc(p->body, got + 1);
            memcpy(p->body, r->buf + r->off, got);
            p->blen = got;
            p->body[got] = 0;
            return false;
        }
        p->body = realloc(p->body, n + 1);
        memcpy(p->body, r->buf + r->off, n);
        p->body[n] = 0;
        p->blen = n;
        r->off += n;
    }
    p->complete = true;
    return true;
}

/* One request on a new connection; the response in *p (the connection closed). */
static bool roundtrip(uint16_t port, const char *req, size_t n, resp *p, int timeout_ms)
{
    crd r = {.fd = tconnect(port, timeout_ms)};
    send_all(r.fd, req, n);
    bool ok = read_resp(&r, p);
    close(r.fd);
    free(r.buf);
    return ok;
}

static char *make_req(const char *method, const char *path, const char *body,
                      const char *extra)
{
    size_t blen = body ? strlen(body) : 0;
    char *req = malloc(blen + 1024);
    int k = sprintf(req, "%s %s HTTP/1.1\r\nHost: t\r\n%s", method, path, extra ? extra : "");
    if (body)
        k += sprintf(req + k, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                     blen);
    k += sprintf(req + k, "\r\n");
    if (body)
        memcpy(req + k, body, blen + 1);
    return req;
}

static bool get(uint16_t port, const char *path, resp *p)
{
    char *req = make_req("GET", path, NULL, NULL);
    bool ok = roundtrip(port, req, strlen(req), p, 10000);
    free(req);
    return ok;
}

static bool post(uint16_t port, const char *path, const char *body, resp *p)
{
    char *req = make_req("POST", path, body, NULL);
    bool ok = roundtrip(port, req, strlen(req), p, 10000);
    free(req);
    return ok;
}

static json_t *parse(const resp *p)
{
    json_error_t e;
    json_t *j = json_loadb(p->body, p->blen, 0, &e);
    cr_assert_not_null(j, "not JSON (%s): %.200s", e.text, p->body);
    return j;
}

static json_int_t jint(json_t *o, const char *path)
{
    /* "a.b" walks objects. */
    char key[64];
    const char *dot;
    while ((dot = strchr(path, '.'))) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        o = json_object_get(o, key);
        path = dot + 1;
    }
    json_t *v = json_object_get(o, path);
    cr_assert(json_is_integer(v), "%s is not an integer", path);
    return json_integer_value(v);
}

/* The events of an SSE body: each "data: X\n\n"; *bad counts events that are not. */
static int sse_events(const resp *p, char **ev, int max, int *bad)
{
    int n = 0;
    *bad = 0;
    const char *s = p->body, *end = p->body + p->blen;
    while (s < end) {
        const char *e = strstr(s, "\n\n");
        if (!e) {
            (*bad)++;
            break;
        }
        if (strncmp(s, "data: ", 6) != 0) {
            (*bad)++;
        } else if (n < max) {
            ev[n++] = strndup(s + 6, (size_t)(e - s - 6));
        }
        s = e + 2;
    }
    return n;
}

static void free_events(char **ev, int n)
{
    for (int i = 0; i < n; i++)
        free(ev[i]);
}

/* ---------------------------------------------------------------- configuration */

Test(serve, the_configuration_is_checked_and_names_the_field, .timeout = 10)
{
    serve_config c;
    char err[256];
    serve_config_default(&c);
    cr_expect_eq(serve_config_check(&c, err, sizeof err), 0);
    c.host = "localhost";
    cr_expect_eq(serve_config_check(&c, err, sizeof err), -EINVAL);
    cr_expect(strstr(err, "host"), "%s", err);
    serve_config_default(&c);
    c.threads = 0;
    cr_expect_eq(serve_config_check(&c, err, sizeof err), -EINVAL);
    cr_expect(strstr(err, "threads"), "%s", err);
    serve_config_default(&c);
    c.fault_fraction[SERVE_FAULT_ERROR] = 0.7;
    c.fault_fraction[SERVE_FAULT_STALL] = 0.4;
    cr_expect_eq(serve_config_check(&c, err, sizeof err), -EINVAL);
    cr_expect(strstr(err, "fault fractions"), "%s", err);
    serve_config_default(&c);
    c.fail_status = 200;
    cr_expect_eq(serve_config_check(&c, err, sizeof err), -EINVAL);
    cr_expect(strstr(err, "fail_status"), "%s", err);
    serve_config_default(&c);
    c.len_dist = SERVE_LEN_UNIFORM;
    c.len_a = 5;
    c.len_b = 2;
    cr_expect_eq(serve_config_check(&c, err, sizeof err), -EINVAL);
    cr_expect(strstr(err, "uniform"), "%s", err);
    serve_server *s = NULL;
    cr_expect_eq(serve_start(&c, &s, err, sizeof err), -EINVAL);
    cr_expect_null(s);
    serve_stop(NULL);
}

/* ---------------------------------------------------------------- KServe v2 */

Test(serve, kserve_health_metadata_and_unknown_models, .timeout = 30)
{
    serve_server *s = start_default();
    uint16_t port = serve_port(s);
    resp p;
    const char *ok200[] = {"/v2/health/live", "/v2/health/ready", "/v2", "/v2/models/model",
                           "/v2/models/model/ready", "/v2/models/model/versions/1/ready",
                           "/v2/models/model/versions/1"};
    for (size_t i = 0; i < sizeof ok200 / sizeof *ok200; i++) {
        cr_assert(get(port, ok200[i], &p), "%s", ok200[i]);
        cr_expect_eq(p.status, 200, "%s: %d", ok200[i], p.status);
        json_t *j = parse(&p);
        if (strstr(ok200[i], "live"))
            cr_expect(json_is_true(json_object_get(j, "live")));
        if (strstr(ok200[i], "ready"))
            cr_expect(json_is_true(json_object_get(j, "ready")));
        if (!strcmp(ok200[i], "/v2"))
            cr_expect_str_eq(json_string_value(json_array_get(
                                 json_object_get(j, "extensions"), 0)),
                             "binary_tensor_data");
        if (!strcmp(ok200[i], "/v2/models/model"))
            cr_expect_str_eq(json_string_value(json_object_get(j, "name")), "model");
        json_decref(j);
        resp_free(&p);
    }
    const char *nf[] = {"/v2/models/other", "/v2/models/other/ready",
                        "/v2/models/model/versions/2/ready", "/v2/nothing", "/v3"};
    for (size_t i = 0; i < sizeof nf / sizeof *nf; i++) {
        cr_assert(get(port, nf[i], &p));
        cr_expect_eq(p.status, 404, "%s: %d", nf[i], p.status);
        json_t *j = parse(&p);
        cr_expect(json_is_string(json_object_get(j, "error")), "%s", p.body);
        json_decref(j);
        resp_free(&p);
    }
    cr_assert(post(port, "/v2/models/other/infer", "{\"inputs\":[]}", &p));
    cr_expect_eq(p.status, 404);
    cr_expect(strstr(p.body, "unknown model 'other'"), "%s", p.body);
    resp_free(&p);
    serve_stop(s);
}

static const char INFER_BODY[] =
    "{\"id\":\"req-42\",\"inputs\":[{\"name\":\"in0\",\"shape\":[2,3],\"datatype\":\"INT32\","
    "\"data\":[1,2,3,4,5,6]}],\"outputs\":[{\"name\":\"scores\"}]}";

Test(serve, kserve_json_infer_echoes_or_answers_a_fixed_tensor, .timeout = 30)
{
    serve_server *s = start_default();
    resp p;
    cr_assert(post(serve_port(s), "/v2/models/model/infer", INFER_BODY, &p));
    cr_expect_eq(p.status, 200, "%s", p.body);
    json_t *j = parse(&p);
    cr_expect_str_eq(json_string_value(json_object_get(j, "id")), "req-42");
    cr_expect_str_eq(json_string_value(json_object_get(j, "model_name")), "model");
    json_t *o = json_array_get(json_object_get(j, "outputs"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(o, "name")), "scores");
    cr_expect_str_eq(json_string_value(json_object_get(o, "datatype")), "INT32");
    json_t *shape = json_object_get(o, "shape");
    cr_expect_eq(json_integer_value(json_array_get(shape, 0)), 2);
    cr_expect_eq(json_integer_value(json_array_get(shape, 1)), 3);
    json_t *data = json_object_get(o, "data");
    cr_expect_eq(json_array_size(data), 6);
    cr_expect_eq(json_integer_value(json_array_get(data, 5)), 6);
    json_decref(j);
    resp_free(&p);
    /* No id in the request, none in the answer. */
    cr_assert(post(serve_port(s), "/v2/models/model/infer",
                   "{\"inputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[0.5]}]}",
                   &p));
    j = parse(&p);
    cr_expect_null(json_object_get(j, "id"));
    json_decref(j);
    resp_free(&p);
    serve_stop(s);

    serve_config cfg;
    serve_config_default(&cfg);
    cfg.output_elems = 5;
    s = start(&cfg);
    cr_assert(post(serve_port(s), "/v2/models/model/infer", INFER_BODY, &p));
    j = parse(&p);
    o = json_array_get(json_object_get(j, "outputs"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(o, "datatype")), "FP32");
    cr_expect_eq(json_integer_value(json_array_get(json_object_get(o, "shape"), 0)), 5);
    cr_expect_eq(json_array_size(json_object_get(o, "data")), 5);
    json_decref(j);
    resp_free(&p);
    serve_stop(s);
}

/* A binary-extension request: the JSON header, then raw bytes. */
static size_t binary_req(char *out, const char *json, const void *raw, size_t rawlen)
{
    size_t jl = strlen(json);
    int k = sprintf(out, "POST /v2/models/model/infer HTTP/1.1\r\nHost: t\r\n"
                         "Content-Type: application/octet-stream\r\n"
                         "Inference-Header-Content-Length: %zu\r\nContent-Length: %zu\r\n\r\n",
                    jl, jl + rawlen);
    memcpy(out + k, json, jl);
    memcpy(out + k + jl, raw, rawlen);
    return (size_t)k + jl + rawlen;
}

Test(serve, kserve_binary_tensors_in_and_out, .timeout = 30)
{
    serve_server *s = start_default();
    uint32_t raw[4] = {10, 20, 30, 0xDEADBEEF};
    char req[4096];
    const char *json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"UINT32\","
                       "\"parameters\":{\"binary_data_size\":16}}],"
                       "\"outputs\":[{\"name\":\"y\",\"parameters\":{\"binary_data\":true}}]}";
    size_t n = binary_req(req, json, raw, sizeof raw);
    resp p;
    cr_assert(roundtrip(serve_port(s), req, n, &p, 10000));
    cr_expect_eq(p.status, 200, "%s", p.body);
    char v[64];
    cr_assert(hdr(&p, "Inference-Header-Content-Length", v, sizeof v), "%s", p.head);
    size_t h = strtoul(v, NULL, 10);
    cr_assert_eq(p.blen, h + 16, "body %zu, header %zu", p.blen, h);
    json_error_t e;
    json_t *j = json_loadb(p.body, h, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    json_t *o = json_array_get(json_object_get(j, "outputs"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(o, "name")), "y");
    cr_expect_eq(jint(o, "parameters.binary_data_size"), 16);
    cr_expect_null(json_object_get(o, "data"));
    cr_expect_eq(memcmp(p.body + h, raw, 16), 0);
    json_decref(j);
    resp_free(&p);

    /* Binary in, JSON out: the same shape, zeros as data. */
    json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[4],\"datatype\":\"UINT32\","
           "\"parameters\":{\"binary_data_size\":16}}]}";
    n = binary_req(req, json, raw, sizeof raw);
    cr_assert(roundtrip(serve_port(s), req, n, &p, 10000));
    cr_expect_eq(p.status, 200);
    j = parse(&p);
    o = json_array_get(json_object_get(j, "outputs"), 0);
    cr_expect_eq(json_array_size(json_object_get(o, "data")), 4);
    json_decref(j);
    resp_free(&p);

    /* JSON in, binary out for the whole request: the size of the tensor. */
    char *r2 = make_req("POST", "/v2/models/model/infer",
                        "{\"parameters\":{\"binary_data_output\":true},\"inputs\":[{\"name\":"
                        "\"x\",\"shape\":[3],\"datatype\":\"FP64\",\"data\":[1,2,3]}]}", NULL);
    cr_assert(roundtrip(serve_port(s), r2, strlen(r2), &p, 10000));
    free(r2);
    cr_assert(hdr(&p, "Inference-Header-Content-Length", v, sizeof v));
    h = strtoul(v, NULL, 10);
    cr_expect_eq(p.blen, h + 24);
    resp_free(&p);

    /* The sizes must add up to the binary part. */
    json = "{\"inputs\":[{\"name\":\"x\",\"shape\":[4],\"datatype\":\"UINT32\","
           "\"parameters\":{\"binary_data_size\":12}}]}";
    n = binary_req(req, json, raw, sizeof raw);
    cr_assert(roundtrip(serve_port(s), req, n, &p, 10000));
    cr_expect_eq(p.status, 400);
    cr_expect(strstr(p.body, "binary_data_size"), "%s", p.body);
    resp_free(&p);
    serve_stop(s);
}

/* ---------------------------------------------------------------- OpenAI */

Test(serve, openai_plain_completions_chat_and_models, .timeout = 30)
{
    serve_server *s = start_default();
    uint16_t port = serve_port(s);
    resp p;
    cr_assert(post(port, "/v1/completions",
                   "{\"model\":\"model\",\"prompt\":\"one two  three\\nfour\",\"max_tokens\":5}",
                   &p));
    cr_expect_eq(p.status, 200, "%s", p.body);
    json_t *j = parse(&p);
    cr_expect_str_eq(json_string_value(json_object_get(j, "object")), "text_completion");
    cr_expect_eq(jint(j, "usage.prompt_tokens"), 4);
    cr_expect_eq(jint(j, "usage.completion_tokens"), 5);
    cr_expect_eq(jint(j, "usage.total_tokens"), 9);
    json_t *ch = json_array_get(json_object_get(j, "choices"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(ch, "finish_reason")), "length");
    const char *text = json_string_value(json_object_get(ch, "text"));
    int words = 0;
    for (const char *t = text; t && *t; t++)
        words += *t == ' ';
    cr_expect_eq(words, 5, "%s", text);
    json_decref(j);
    resp_free(&p);

    cr_assert(post(port, "/v1/chat/completions",
                   "{\"model\":\"model\",\"messages\":[{\"role\":\"system\",\"content\":\"be "
                   "brief\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi "
                   "there you\"}]}],\"max_completion_tokens\":3}",
                   &p));
    cr_expect_eq(p.status, 200, "%s", p.body);
    j = parse(&p);
    cr_expect_str_eq(json_string_value(json_object_get(j, "object")), "chat.completion");
    cr_expect_eq(jint(j, "usage.prompt_tokens"), 5);
    cr_expect_eq(jint(j, "usage.completion_tokens"), 3);
    ch = json_array_get(json_object_get(j, "choices"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(ch, "message"), "role")),
                     "assistant");
    json_decref(j);
    resp_free(&p);

    /* Without max_tokens: the default length, finish_reason "stop". */
    cr_assert(post(port, "/v1/completions", "{\"prompt\":[1,2,3]}", &p));
    j = parse(&p);
    cr_expect_eq(jint(j, "usage.completion_tokens"), 16);
    cr_expect_eq(jint(j, "usage.prompt_tokens"), 3);
    json_decref(j);
    resp_free(&p);

    cr_assert(get(port, "/v1/models", &p));
    cr_expect_eq(p.status, 200);
    j = parse(&p);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(
                         json_object_get(j, "data"), 0), "id")), "model");
    json_decref(j);
    resp_free(&p);

    struct {
        const char *path, *body;
        int status;
    } bad[] = {
        {"/v1/completions", "{\"model\":\"gpt-9\",\"prompt\":\"x\"}", 404},
        {"/v1/completions", "{\"model\":\"model\"}", 400},
        {"/v1/completions", "{\"prompt\":\"x\",", 400},
        {"/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":0}", 400},
        {"/v1/chat/completions", "{\"messages\":\"hi\"}", 400},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert(post(port, bad[i].path, bad[i].body, &p));
        cr_expect_eq(p.status, bad[i].status, "%s: %d %s", bad[i].body, p.status, p.body);
        j = parse(&p);
        cr_expect(json_is_string(json_object_get(json_object_get(j, "error"), "message")),
                  "%s", p.body);
        json_decref(j);
        resp_free(&p);
    }
    serve_stop(s);
}

/* Checks a stream's framing; returns the token events' count. */
static int check_stream(const resp *p, bool chat, bool usage, int want_tokens)
{
    char *ev[1024];
    int bad;
    int n = sse_events(p, ev, 1024, &bad);
    cr_expect_eq(bad, 0, "malformed events in %.300s", p->body);
    cr_assert_gt(n, 0);
    cr_expect_str_eq(ev[n - 1], "[DONE]");
    int tokens = 0;
    for (int i = 0; i < n - 1; i++) {
        json_error_t e;
        json_t *j = json_loads(ev[i], 0, &e);
        cr_assert_not_null(j, "event %d is not JSON: %s", i, ev[i]);
        cr_expect_str_eq(json_string_value(json_object_get(j, "object")),
                         chat ? "chat.completion.chunk" : "text_completion");
        json_t *choices = json_object_get(j, "choices");
        if (json_array_size(choices) == 0) {
            cr_expect(usage && i == n - 2, "a usage event, last before [DONE]");
            cr_expect_eq(jint(j, "usage.completion_tokens"), want_tokens);
        } else {
            json_t *c0 = json_array_get(choices, 0);
            if (chat) {
                json_t *d = json_object_get(c0, "delta");
                cr_expect(json_is_string(json_object_get(d, "content")));
                cr_expect_eq(json_object_get(d, "role") != NULL, tokens == 0);
            } else {
                cr_expect(json_is_string(json_object_get(c0, "text")));
            }
            bool last = tokens == want_tokens - 1;
            cr_expect_eq(json_is_null(json_object_get(c0, "finish_reason")), !last);
            tokens++;
        }
        json_decref(j);
    }
    cr_expect_eq(tokens, want_tokens);
    /* One HTTP chunk per event. */
    cr_expect_eq(p->nchunks, n);
    free_events(ev, n);
    return tokens;
}

Test(serve, openai_streams_are_well_formed_with_and_without_usage, .timeout = 30)
{
    serve_server *s = start_default();
    resp p;
    cr_assert(post(serve_port(s), "/v1/completions",
                   "{\"prompt\":\"a b\",\"max_tokens\":7,\"stream\":true,"
                   "\"stream_options\":{\"include_usage\":true}}",
                   &p));
    cr_expect_eq(p.status, 200);
    char v[64];
    cr_expect_str_eq(hdr(&p, "Content-Type", v, sizeof v), "text/event-stream");
    check_stream(&p, false, true, 7);
    resp_free(&p);
    cr_assert(post(serve_port(s), "/v1/chat/completions",
                   "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":4,"
                   "\"stream\":true}",
                   &p));
    check_stream(&p, true, false, 4);
    cr_expect_null(strstr(p.body, "\"usage\""));
    resp_free(&p);
    serve_stats st;
    serve_stats_get(s, &st);
    cr_expect_eq(st.tokens, 11);
    cr_expect_eq(st.streams, 2);
    cr_expect_eq(st.requests[SERVE_EP_COMPLETIONS][200 - SERVE_STATUS_MIN], 1);
    cr_expect_eq(st.requests[SERVE_EP_CHAT][200 - SERVE_STATUS_MIN], 1);
    serve_stop(s);
}

static uint64_t tokens_of(uint16_t port, const char *body)
{
    resp p;
    cr_assert(post(port, "/v1/completions", body, &p));
    cr_assert_eq(p.status, 200, "%s", p.body);
    json_t *j = parse(&p);
    uint64_t n = (uint64_t)jint(j, "usage.completion_tokens");
    json_decref(j);
    resp_free(&p);
    return n;
}

Test(serve, output_lengths_follow_the_distribution_and_the_seed, .timeout = 60)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.len_dist = SERVE_LEN_FIXED;
    cfg.len_a = 9;
    serve_server *s = start(&cfg);
    cr_expect_eq(tokens_of(serve_port(s), "{\"prompt\":\"x\"}"), 9);
    cr_expect_eq(tokens_of(serve_port(s), "{\"prompt\":\"x\",\"max_tokens\":4}"), 4);
    cr_expect_eq(tokens_of(serve_port(s), "{\"prompt\":\"x\",\"max_tokens\":12}"), 9);
    cr_expect_eq(tokens_of(serve_port(s),
                           "{\"prompt\":\"x\",\"max_tokens\":12,\"ignore_eos\":true}"), 12);
    serve_stop(s);

    cfg.len_dist = SERVE_LEN_UNIFORM;
    cfg.len_a = 3;
    cfg.len_b = 6;
    s = start(&cfg);
    bool seen[7] = {false};
    for (int i = 0; i < 60; i++) {
        uint64_t n = tokens_of(serve_port(s), "{\"prompt\":\"x\"}");
        cr_assert(n >= 3 && n <= 6, "%llu", (unsigned long long)n);
        seen[n] = true;
    }
    cr_expect(seen[3] && seen[6], "both ends drawn");
    serve_stop(s);

    /* Lognormal around a mean, and the same seed the same lengths. */
    cfg.len_dist = SERVE_LEN_LOGNORMAL;
    cfg.len_mean = 50;
    cfg.len_sigma = 0.3;
    uint64_t first[200];
    double sum = 0;
    for (int run = 0; run < 2; run++) {
        s = start(&cfg);
        for (int i = 0; i < 200; i++) {
            uint64_t n = tokens_of(serve_port(s), "{\"prompt\":\"x\"}");
            if (run == 0) {
                first[i] = n;
                sum += (double)n;
            } else {
                cr_expect_eq(n, first[i], "request %d", i);
            }
        }
        serve_stop(s);
    }
    cr_expect(sum / 200 > 45 && sum / 200 < 55, "mean %g", sum / 200);
}

/* ---------------------------------------------------------------- HTTP */

Test(serve, keep_alive_and_pipelined_requests_are_answered_in_order, .timeout = 30)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.service_us = 2000; /* the infer in the middle waits; the ones after it too */
    serve_server *s = start(&cfg);
    crd r = {.fd = tconnect(serve_port(s), 10000)};
    char *a = make_req("GET", "/v2/health/live", NULL, NULL);
    char *b = make_req("POST", "/v2/models/model/infer", INFER_BODY, NULL);
    char *c = make_req("POST", "/v1/completions",
                       "{\"prompt\":\"p\",\"max_tokens\":3,\"stream\":true}", NULL);
    char *d = make_req("GET", "/v1/models", NULL, NULL);
    size_t total = strlen(a) + strlen(b) + strlen(c) + strlen(d);
    char *all = malloc(total + 1);
    sprintf(all, "%s%s%s%s", a, b, c, d);
    /* In one write, and again byte by byte. */
    for (int round = 0; round < 2; round++) {
        if (round == 0)
            send_all(r.fd, all, total);
        else
            for (size_t i = 0; i < total; i++)
                send_all(r.fd, all + i, 1);
        resp p;
        cr_assert(read_resp(&r, &p));
        cr_expect(strstr(p.body, "live"), "%s", p.body);
        resp_free(&p);
        cr_assert(read_resp(&r, &p));
        cr_expect(strstr(p.body, "req-42"), "%s", p.body);
        resp_free(&p);
        cr_assert(read_resp(&r, &p));
        check_stream(&p, false, false, 3);
        resp_free(&p);
        cr_assert(read_resp(&r, &p));
        cr_expect(strstr(p.body, "\"list\""), "%s", p.body);
        resp_free(&p);
    }
    /* Connection: close is honoured after the answer. */
    char *e = make_req("GET", "/v2/health/ready", NULL, "Connection: close\r\n");
    send_all(r.fd, e, strlen(e));
    resp p;
    cr_assert(read_resp(&r, &p));
    cr_expect_eq(p.status, 200);
    char v[32];
    cr_expect_str_eq(hdr(&p, "Connection", v, sizeof v), "close");
    resp_free(&p);
    char x;
    cr_expect_eq(recv(r.fd, &x, 1, 0), 0, "closed after Connection: close");
    serve_stats st;
    serve_stats_get(s, &st);
    cr_expect_eq(st.connections, 1);
    cr_expect_eq(st.requests[SERVE_EP_INFER][200 - SERVE_STATUS_MIN], 2);
    close(r.fd);
    free(r.buf);
    free(a), free(b), free(c), free(d), free(e), free(all);
    serve_stop(s);
}

Test(serve, bad_requests_get_404_405_411_413_400, .timeout = 30)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.max_request_bytes = 4096;
    serve_server *s = start(&cfg);
    uint16_t port = serve_port(s);
    resp p;
    cr_assert(get(port, "/nope", &p));
    cr_expect_eq(p.status, 404);
    resp_free(&p);
    cr_assert(get(port, "/v2/models/model/infer", &p));
    cr_expect_eq(p.status, 405);
    char v[32];
    cr_expect_str_eq(hdr(&p, "Allow", v, sizeof v), "POST");
    resp_free(&p);
    cr_assert(post(port, "/v2/health/live", "{}", &p));
    cr_expect_eq(p.status, 405);
    resp_free(&p);
    cr_assert(get(port, "/v1/completions", &p));
    cr_expect_eq(p.status, 405);
    resp_free(&p);
    const char big[] = "POST /v2/models/model/infer HTTP/1.1\r\nContent-Length: 100000\r\n\r\n";
    cr_assert(roundtrip(port, big, strlen(big), &p, 10000));
    cr_expect_eq(p.status, 413);
    resp_free(&p);
    const char chunked[] = "POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "2\r\n{}\r\n0\r\n\r\n";
    cr_assert(roundtrip(port, chunked, strlen(chunked), &p, 10000));
    cr_expect_eq(p.status, 411);
    resp_free(&p);
    const char nolen[] = "POST /v1/completions HTTP/1.1\r\n\r\n";
    cr_assert(roundtrip(port, nolen, strlen(nolen), &p, 10000));
    cr_expect_eq(p.status, 411);
    resp_free(&p);
    const char *garbage[] = {"HELLO\r\n\r\n", "GET /x HTTP/2.0\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
                             "GET /x HTTP/1.1\r\nNoColon\r\n\r\n",
                             "GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n"};
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
        cr_assert(roundtrip(port, garbage[i], strlen(garbage[i]), &p, 10000), "%s", garbage[i]);
        cr_expect_eq(p.status, 400, "%s: %d", garbage[i], p.status);
        resp_free(&p);
    }
    /* Headers that never end are cut at 32 KiB. */
    serve_stop(s);
    serve_config_default(&cfg);
    s = start(&cfg);
    char *huge = malloc(40000);
    int k = sprintf(huge, "GET /v2 HTTP/1.1\r\nX-Long: ");
    memset(huge + k, 'a', 40000 - (size_t)k);
    cr_assert(roundtrip(serve_port(s), huge, 40000, &p, 10000));
    cr_expect_eq(p.status, 431);
    resp_free(&p);
    free(huge);
    serve_stats st;
    serve_stats_get(s, &st);
    cr_expect_eq(st.requests[SERVE_EP_OTHER][431 - SERVE_STATUS_MIN], 1);
    serve_stop(s);
}

Test(serve, expect_100_continue_is_answered, .timeout = 30)
{
    serve_server *s = start_default();
    crd r = {.fd = tconnect(serve_port(s), 10000)};
    char head[256];
    size_t blen = strlen(INFER_BODY);
    sprintf(head, "POST /v2/models/model/infer HTTP/1.1\r\nExpect: 100-continue\r\n"
                  "Content-Length: %zu\r\n\r\n", blen);
    send_all(r.fd, head, strlen(head));
    resp p;
    size_t at;
    cr_assert(find_crlf(&r, "\r\n\r\n", &at, &p));
    cr_expect_eq(strncmp(r.buf + r.off, "HTTP/1.1 100", 12), 0);
    send_all(r.fd, INFER_BODY, blen);
    cr_assert(read_resp(&r, &p));
    cr_expect_eq(p.status, 200);
    resp_free(&p);
    close(r.fd);
    free(r.buf);
    serve_stop(s);
}

/* ---------------------------------------------------------------- timing */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Configured TTFT 20 ms and TPOT 5 ms: TTFT measured here is never below 20 ms and its
 * median within 20 + 15 ms; the mean gap between tokens within 20 % of 5 ms. The bounds
 * leave room for a loaded shared machine; the server's schedule is absolute, so a late
 * token does not delay the next. */
Test(serve, ttft_and_tpot_are_kept, .timeout = 60)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.ttft_ms = 20;
    cfg.tpot_ms = 5;
    serve_server *s = start(&cfg);
    enum { RUNS = 7, TOK = 21 };
    double ttft[RUNS], gap[RUNS];
    char *req = make_req("POST", "/v1/completions",
                         "{\"prompt\":\"x\",\"max_tokens\":21,\"stream\":true}", NULL);
    for (int i = 0; i < RUNS; i++) {
        crd r = {.fd = tconnect(serve_port(s), 10000)};
        double t0 = now_ms();
        send_all(r.fd, req, strlen(req));
        resp p;
        cr_assert(read_resp(&r, &p));
        cr_assert_eq(p.nchunks, TOK + 1);
        ttft[i] = p.t_chunk[0] - t0;
        gap[i] = (p.t_chunk[TOK - 1] - p.t_chunk[0]) / (TOK - 1);
        cr_expect_geq(ttft[i], 20.0, "TTFT %g ms before the configured 20", ttft[i]);
        resp_free(&p);
        close(r.fd);
        free(r.buf);
    }
    qsort(ttft, RUNS, sizeof *ttft, cmp_double);
    qsort(gap, RUNS, sizeof *gap, cmp_double);
    cr_expect_leq(ttft[RUNS / 2], 35.0, "median TTFT %g ms", ttft[RUNS / 2]);
    cr_expect(gap[RUNS / 2] >= 4.0 && gap[RUNS / 2] <= 6.0, "median mean gap %g ms",
              gap[RUNS / 2]);
    free(req);
    /* A plain completion comes when its last token is due: 20 + 20 * 5 = 120 ms. */
    double t0 = now_ms();
    resp p;
    cr_assert(post(serve_port(s), "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":21}", &p));
    double took = now_ms() - t0;
    cr_expect(took >= 120 && took < 200, "plain completion after %g ms", took);
    resp_free(&p);
    serve_stop(s);

    /* KServe service time: constant 20 ms. */
    serve_config_default(&cfg);
    cfg.service_us = 20000;
    s = start(&cfg);
    t0 = now_ms();
    cr_assert(post(serve_port(s), "/v2/models/model/infer", INFER_BODY, &p));
    took = now_ms() - t0;
    cr_expect(took >= 20 && took < 80, "infer after %g ms", took);
    resp_free(&p);
    serve_stop(s);
}

/* ---------------------------------------------------------------- faults */

static serve_server *start_fault(serve_fault f, double frac)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.fault_fraction[f] = frac;
    cfg.fault_after = 2;
    cfg.fail_status = 503;
    cfg.retry_after_s = 7;
    cfg.oversize_bytes = 1 << 20;
    return start(&cfg);
}

static const char STREAM5[] = "{\"prompt\":\"x\",\"max_tokens\":5,\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true}}";
static const char PLAIN5[] = "{\"prompt\":\"x\",\"max_tokens\":5}";

static uint64_t faults_of(serve_server *s, serve_fault f)
{
    serve_stats st;
    serve_stats_get(s, &st);
    return st.faults[f];
}

Test(serve, fault_error_and_throttle, .timeout = 30)
{
    serve_server *s = start_fault(SERVE_FAULT_ERROR, 1);
    resp p;
    cr_assert(post(serve_port(s), "/v1/completions", STREAM5, &p));
    cr_expect_eq(p.status, 503);
    json_t *j = parse(&p);
    cr_expect(json_is_object(json_object_get(j, "error")));
    json_decref(j);
    resp_free(&p);
    cr_assert(post(serve_port(s), "/v2/models/model/infer", INFER_BODY, &p));
    cr_expect_eq(p.status, 503);
    resp_free(&p);
    /* Health is never faulted. */
    cr_assert(get(serve_port(s), "/v2/health/ready", &p));
    cr_expect_eq(p.status, 200);
    resp_free(&p);
    cr_expect_eq(faults_of(s, SERVE_FAULT_ERROR), 2);
    serve_stop(s);

    s = start_fault(SERVE_FAULT_THROTTLE, 1);
    cr_assert(post(serve_port(s), "/v1/chat/completions",
                   "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", &p));
    cr_expect_eq(p.status, 429);
    char v[32];
    cr_expect_str_eq(hdr(&p, "Retry-After", v, sizeof v), "7");
    resp_free(&p);
    cr_expect_eq(faults_of(s, SERVE_FAULT_THROTTLE), 1);
    serve_stop(s);
}

Test(serve, fault_reset_mid_stream_and_before_a_plain_answer, .timeout = 30)
{
    serve_server *s = start_fault(SERVE_FAULT_RESET, 1);
    resp p;
    cr_expect_not(post(serve_port(s), "/v1/completions", STREAM5, &p));
    cr_expect_eq(p.status, 200);
    cr_expect_eq(p.nchunks, 2, "two tokens before the reset");
    cr_expect_eq(p.err, ECONNRESET, "%s", strerror(p.err));
    resp_free(&p);
    cr_expect_not(post(serve_port(s), "/v1/completions", PLAIN5, &p));
    cr_expect_eq(p.status, 0);
    cr_expect_eq(p.err, ECONNRESET, "%s", strerror(p.err));
    resp_free(&p);
    cr_expect_eq(faults_of(s, SERVE_FAULT_RESET), 2);
    serve_stop(s);
}

Test(serve, fault_stall_keeps_the_connection_open_and_silent, .timeout = 30)
{
    serve_server *s = start_fault(SERVE_FAULT_STALL, 1);
    char *req = make_req("POST", "/v1/completions", STREAM5, NULL);
    resp p;
    cr_expect_not(roundtrip(serve_port(s), req, strlen(req), &p, 400));
    cr_expect_eq(p.nchunks, 2);
    cr_expect_eq(p.err, EAGAIN, "a timeout, not a close: %s", strerror(p.err));
    resp_free(&p);
    free(req);
    req = make_req("POST", "/v2/models/model/infer", INFER_BODY, NULL);
    cr_expect_not(roundtrip(serve_port(s), req, strlen(req), &p, 300));
    cr_expect_eq(p.status, 0);
    cr_expect_eq(p.err, EAGAIN, "%s", strerror(p.err));
    resp_free(&p);
    free(req);
    cr_expect_eq(faults_of(s, SERVE_FAULT_STALL), 2);
    serve_stop(s);
}

Test(serve, fault_malformed_json_in_a_body_and_in_an_event, .timeout = 30)
{
    serve_server *s = start_fault(SERVE_FAULT_MALFORMED_JSON, 1);
    resp p;
    cr_assert(post(serve_port(s), "/v1/completions", PLAIN5, &p));
    cr_expect_eq(p.status, 200);
    json_error_t e;
    json_t *j = json_loadb(p.body, p.blen, 0, &e);
    cr_expect_null(j, "a malformed body: %s", p.body);
    json_decref(j);
    resp_free(&p);
    cr_assert(post(serve_port(s), "/v1/completions", STREAM5, &p));
    char *ev[64];
    int bad, n = sse_events(&p, ev, 64, &bad);
    cr_expect_eq(bad, 0);
    cr_expect_eq(n, 7, "5 tokens, usage, [DONE]");
    for (int i = 0; i < n - 1; i++) {
        j = json_loads(ev[i], 0, &e);
        cr_expect_eq(j == NULL, i == 2, "event %d: %s", i, ev[i]);
        json_decref(j);
    }
    free_events(ev, n);
    resp_free(&p);
    cr_assert(post(serve_port(s), "/v2/models/model/infer", INFER_BODY, &p));
    cr_expect_null(json_loadb(p.body, p.blen, 0, &e));
    resp_free(&p);
    cr_expect_eq(faults_of(s, SERVE_FAULT_MALFORMED_JSON), 3);
    serve_stop(s);
}

Test(serve, fault_malformed_sse_event, .timeout = 30)
{
    serve_server *s = start_fault(SERVE_FAULT_MALFORMED_SSE, 1);
    resp p;
    cr_assert(post(serve_port(s), "/v1/completions", STREAM5, &p));
    cr_expect(strstr(p.body, "\n{\"id\""), "an event without data: %s", p.body);
    char *ev[64];
    int bad, n = sse_events(&p, ev, 64, &bad);
    cr_expect_eq(bad, 1, "%s", p.body);
    free_events(ev, n);
    resp_free(&p);
    /* Not a fault of a plain response: it is answered normally. */
    cr_assert(post(serve_port(s), "/v1/completions", PLAIN5, &p));
    json_decref(parse(&p));
    resp_free(&p);
    cr_expect_eq(faults_of(s, SERVE_FAULT_MALFORMED_SSE), 1);
    serve_stop(s);
}

Test(serve, fault_truncated_stream_has_no_done, .timeout = 30)
{
    serve_server *s = start_fault(SERVE_FAULT_TRUNCATE, 1);
    resp p;
    cr_assert(post(serve_port(s), "/v1/completions", STREAM5, &p), "the body ends cleanly");
    cr_expect_eq(p.nchunks, 2);
    cr_expect_null(strstr(p.body, "[DONE]"));
    cr_expect_null(strstr(p.body, "usage"));
    resp_free(&p);
    cr_expect_not(post(serve_port(s), "/v1/completions", PLAIN5, &p));
    cr_expect_eq(p.status, 200);
    cr_expect_gt(p.blen, 0);
    cr_expect_eq(p.err, 0, "closed: %s", strerror(p.err));
    resp_free(&p);
    cr_expect_eq(faults_of(s, SERVE_FAULT_TRUNCATE), 2);
    serve_stop(s);
}

Test(serve, fault_oversized_responses, .timeout = 30)
{
    serve_server *s = start_fault(SERVE_FAULT_OVERSIZE, 1);
    resp p;
    cr_assert(post(serve_port(s), "/v1/completions", PLAIN5, &p));
    cr_expect_gt(p.blen, 1 << 20);
    json_t *j = parse(&p);
    cr_expect_eq(strlen(json_string_value(json_object_get(j, "padding"))), 1u << 20);
    json_decref(j);
    resp_free(&p);
    cr_assert(post(serve_port(s), "/v1/completions", STREAM5, &p));
    check_stream(&p, false, true, 5);
    cr_expect_gt(p.blen, 1 << 20);
    resp_free(&p);
    cr_assert(post(serve_port(s), "/v2/models/model/infer", INFER_BODY, &p));
    j = parse(&p);
    cr_expect_eq(strlen(json_string_value(json_object_get(j, "padding"))), 1u << 20);
    cr_expect_str_eq(json_string_value(json_object_get(j, "id")), "req-42");
    json_decref(j);
    resp_free(&p);
    cr_expect_eq(faults_of(s, SERVE_FAULT_OVERSIZE), 3);
    serve_stop(s);
}

Test(serve, fault_fractions_are_drawn_from_the_seed, .timeout = 60)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.fault_fraction[SERVE_FAULT_ERROR] = 0.3;
    cfg.fault_fraction[SERVE_FAULT_THROTTLE] = 0.2;
    int seq[2][300];
    for (int run = 0; run < 2; run++) {
        serve_server *s = start(&cfg);
        int n500 = 0, n429 = 0;
        for (int i = 0; i < 300; i++) {
            resp p;
            cr_assert(post(serve_port(s), "/v2/models/model/infer", INFER_BODY, &p));
            seq[run][i] = p.status;
            n500 += p.status == 500;
            n429 += p.status == 429;
            resp_free(&p);
        }
        /* Binomial(300, 0.3) and (300, 0.2): about 5 standard deviations each way. */
        cr_expect(n500 > 50 && n500 < 130, "%d errors", n500);
        cr_expect(n429 > 25 && n429 < 95, "%d throttled", n429);
        cr_expect_eq(faults_of(s, SERVE_FAULT_ERROR), (uint64_t)n500);
        cr_expect_eq(faults_of(s, SERVE_FAULT_THROTTLE), (uint64_t)n429);
        serve_stop(s);
    }
    cr_expect_eq(memcmp(seq[0], seq[1], sizeof seq[0]), 0, "the same seed, the same faults");
}

/* ---------------------------------------------------------------- load and shutdown */

Test(serve, many_slow_streams_at_once_on_two_threads, .timeout = 60)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.threads = 2;
    cfg.ttft_ms = 100;
    cfg.tpot_ms = 10;
    serve_server *s = start(&cfg);
    enum { N = 500 };
    static crd r[N];
    char *req = make_req("POST", "/v1/completions",
                         "{\"prompt\":\"x\",\"max_tokens\":4,\"stream\":true}", NULL);
    double t0 = now_ms();
    for (int i = 0; i < N; i++) {
        r[i] = (crd){.fd = tconnect(serve_port(s), 20000)};
        send_all(r[i].fd, req, strlen(req));
    }
    for (int i = 0; i < N; i++) {
        resp p;
        cr_assert(read_resp(&r[i], &p), "stream %d", i);
        check_stream(&p, false, false, 4);
        resp_free(&p);
        close(r[i].fd);
        free(r[i].buf);
    }
    double took = now_ms() - t0;
    /* Served one after another they would take 500 x 130 ms = 65 s. */
    cr_expect_lt(took, 10000.0, "%g ms", took);
    serve_stats st;
    serve_stats_get(s, &st);
    cr_expect_eq(st.streams, N);
    cr_expect_eq(st.tokens, 4 * N);
    free(req);
    serve_stop(s);
}

Test(serve, stops_cleanly_with_connections_open, .timeout = 30)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.threads = 2;
    cfg.ttft_ms = 10000;
    serve_server *s = start(&cfg);
    int fds[12];
    char *req = make_req("POST", "/v1/completions",
                         "{\"prompt\":\"x\",\"max_tokens\":4,\"stream\":true}", NULL);
    for (int i = 0; i < 12; i++) {
        fds[i] = tconnect(serve_port(s), 5000);
        if (i % 3 == 0) /* idle */
            continue;
        if (i % 3 == 1) /* a stream waiting for its first token */
            send_all(fds[i], req, strlen(req));
        else /* half a request */
            send_all(fds[i], req, 20);
    }
    usleep(100000);
    double t0 = now_ms();
    serve_stop(s);
    cr_expect_lt(now_ms() - t0, 2000.0);
    for (int i = 0; i < 12; i++) {
        char buf[4096];
        ssize_t k;
        while ((k = recv(fds[i], buf, sizeof buf, 0)) > 0)
            ;
        cr_expect(k == 0 || errno == ECONNRESET, "connection %d: %s", i, strerror(errno));
        close(fds[i]);
    }
    free(req);
}

Test(serve, a_taken_port_is_refused_not_shared, .timeout = 30)
{
    serve_config cfg;
    serve_config_default(&cfg);
    cfg.threads = 3;
    serve_server *s = start(&cfg);
    cfg.port = serve_port(s);
    serve_server *t = NULL;
    char err[256] = "";
    cr_expect_eq(serve_start(&cfg, &t, err, sizeof err), -EADDRINUSE, "%s", err);
    cr_expect_null(t);
    cr_expect(strstr(err, "cannot listen"), "%s", err);
    /* The first server still answers, on each of its threads' turns. */
    for (int i = 0; i < 6; i++) {
        resp p;
        cr_assert(get(serve_port(s), "/v2/health/live", &p));
        cr_expect_eq(p.status, 200);
        resp_free(&p);
    }
    tu_tmp_init();
    char port[16];
    snprintf(port, sizeof port, "%u", (unsigned)serve_port(s));
    tu_proc p;
    RUN(&p, "serve", "--port", port);
    cr_expect_eq(p.code, 3, "%d %s", p.code, p.err);
    cr_expect(strstr(p.err, "cannot listen"), "%s", p.err);
    tu_proc_free(&p);
    tu_tmp_fini();
    serve_stop(s);
}

/* ---------------------------------------------------------------- the program */

Test(serve, the_program_serves_until_sigterm_then_prints_its_counters, .timeout = 30)
{
    int out[2];
    cr_assert_eq(pipe(out), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* Killed with this test, whatever ends it: an orphan would hold the runner's
         * pipes open. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        struct rlimit rl; /* a low soft limit, which the program raises */
        if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_max > 256) {
            rl.rlim_cur = 256;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        execl(tu_program(), "loadgen", "serve", "--port", "0", "--threads", "2",
              "--tpot-ms", "1", "--no-usage-event", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[256] = "";
    struct pollfd pfd = {out[0], POLLIN, 0};
    cr_assert_eq(poll(&pfd, 1, 10000), 1, "no line within 10 s");
    if (!fgets(line, sizeof line, f)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        cr_assert(false, "the program printed nothing");
    }
    unsigned port = 0;
    int matched = sscanf(line, "listening on http://127.0.0.1:%u", &port);
    if (matched != 1 || port == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    cr_assert_eq(matched, 1, "%s", line);
    /* The descriptor limit was raised to the hard one (at most 2^20): a client's growing
     * pool is served, not reset. */
    char path[64], limits[4096] = "";
    snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
    FILE *lf = fopen(path, "r");
    size_t ln = lf ? fread(limits, 1, sizeof limits - 1, lf) : 0;
    limits[ln] = '\0';
    if (lf)
        fclose(lf);
    const char *mo = strstr(limits, "Max open files");
    unsigned long long soft = 0, hard = 0;
    char hs[32] = "";
    bool parsed = mo && sscanf(mo + 14, " %llu %31s", &soft, hs) == 2;
    hard = !strcmp(hs, "unlimited") ? ULLONG_MAX : strtoull(hs, NULL, 10);
    cr_expect(parsed && (soft == hard || soft == 1ull << 20), "soft %llu, hard %s: %s", soft,
              hs, limits);
    resp p;
    bool ok = post((uint16_t)port, "/v1/chat/completions",
                   "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":6,"
                   "\"stream\":true,\"stream_options\":{\"include_usage\":true}}", &p);
    /* --no-usage-event: no usage event although the request asks for one. */
    if (ok)
        check_stream(&p, true, false, 6);
    resp_free(&p);
    /* A connection left open does not hold up the exit. */
    int idle = tconnect((uint16_t)port, 5000);
    kill(pid, SIGTERM);
    char all[8192];
    size_t n = fread(all, 1, sizeof all - 1, f);
    all[n] = 0;
    fclose(f);
    int status;
    waitpid(pid, &status, 0);
    close(idle);
    cr_assert(ok);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    cr_expect(strstr(all, "POST /v1/chat/completions") && strstr(all, "200  1"), "%s", all);
    cr_expect(strstr(all, "tokens sent: 6"), "%s", all);
    cr_expect(strstr(all, "faults injected: 0"), "%s", all);
}

Test(serve, bad_flags_exit_2_naming_the_flag, .timeout = 60)
{
    tu_tmp_init();
    struct {
        const char *a, *b, *c, *want;
    } cases[] = {
        {"--port", "x", NULL, "--port"},
        {"--threads", "2", NULL, "--port is required"},
        {"--port", "70000", NULL, "--port"},
        {"--port", "0", "--fail-fraction=2", "--fail-fraction"},
        {"--port", "0", "--output-tokens=uniform:5:2", "--output-tokens"},
        {"--port", "0", "--output-tokens=lognormal:5", "--output-tokens"},
        {"--port", "0", "--service-dist=normal", "--service-dist"},
        {"--port", "0", "--host=localhost", "host"},
        {"--port", "0", "--bogus", "unknown option '--bogus'"},
        {"--port", "0", "--fail-status=200", "--fail-status"},
        {"--port", "0", "--ttft-ms", "--ttft-ms needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_proc p;
        if (cases[i].c)
            RUN(&p, "serve", cases[i].a, cases[i].b, cases[i].c);
        else
            RUN(&p, "serve", cases[i].a, cases[i].b);
        cr_expect_eq(p.code, 2, "case %zu: %d %s", i, p.code, p.err);
        cr_expect(strstr(p.err, cases[i].want), "case %zu: %s", i, p.err);
        tu_proc_free(&p);
    }
    tu_proc p;
    RUN(&p, "serve", "--port", "0", "--fail-fraction", "0.6", "--stall-fraction", "0.6");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "more than 1"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "serve", "--help");
    cr_expect_eq(p.code, 0);
    const char *flags[] = {"--port", "--host", "--threads", "--seed", "--model",
                           "--max-request-bytes", "--output-elems", "--service-us",
                           "--service-dist", "--ttft-ms", "--tpot-ms", "--output-tokens",
                           "--default-max-tokens", "--no-usage-event", "--fail-fraction",
                           "--fail-status",
                           "--throttle-fraction", "--retry-after", "--reset-fraction",
                           "--stall-fraction", "--malformed-json-fraction",
                           "--malformed-sse-fraction", "--truncate-fraction",
                           "--oversize-fraction", "--oversize-bytes", "--fault-after"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        cr_expect(strstr(p.out, flags[i]), "--help lacks %s", flags[i]);
    tu_proc_free(&p);
    tu_tmp_fini();
}
