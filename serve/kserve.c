/* serve/kserve.c: KServe v2 / Open Inference Protocol REST: health, server and model
 * metadata, model readiness, and inference with JSON tensors or the binary tensor
 * extension (a JSON header of Inference-Header-Content-Length bytes, then the raw
 * tensors). The output echoes the first input (shape, datatype, data) or is a fixed
 * FP32 tensor of zeros; it goes out after the seeded service time. */
#include <stdio.h>
#include <string.h>

#include "serve/internal.h"

#define SYNTH_MAX (64u << 20) /* the largest output made up of zeros */

static void reply(conn *c, serve_endpoint ep, int status, const char *ctype)
{
    serve_resp r = {.ep = ep, .status = status, .ctype = ctype, .body = &c->w->body,
                    .fault = SERVE_FAULT_COUNT};
    conn_respond(c, &r);
}

static void json_reply(conn *c, serve_endpoint ep, const char *text)
{
    sbuf *b = &c->w->body;
    b->len = 0;
    sb_puts(b, text);
    reply(c, ep, 200, "application/json");
}

/* Bytes per element of a datatype; 0 for BYTES (variable), -1 when unknown. */
static int dtype_size(js dt)
{
    static const struct {
        const char *name;
        int size;
    } t[] = {{"BOOL", 1}, {"UINT8", 1}, {"INT8", 1}, {"UINT16", 2}, {"INT16", 2},
             {"FP16", 2}, {"BF16", 2}, {"UINT32", 4}, {"INT32", 4}, {"FP32", 4},
             {"UINT64", 8}, {"INT64", 8}, {"FP64", 8}, {"BYTES", 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (js_str_eq(dt, t[i].name))
            return t[i].size;
    return -1;
}

/* The first input, as the echo needs it. */
typedef struct tensor {
    js name, dtype, shape, data;
    bool has_data;
    int size;
    uint64_t elems;
    size_t bin_off, bin_len; /* binary: its bytes in the body's binary part */
    bool binary;
} tensor;

/* Reads one input tensor's description (name, datatype, shape, and either data or a
 * binary_data_size within the body's binary part, binlen bytes of which *bin_total are
 * taken). Returns NULL, or the reason it is refused (written into msg). */
static const char *read_input(js in, size_t nin, size_t binlen, size_t *bin_total, tensor *t,
                              char *msg, size_t mlen)
{
    memset(t, 0, sizeof *t);
    js_it sit;
    js dim, params, bds;
    if (!js_is_obj(in) || !js_get(in, "name", &t->name) || !js_is_str(t->name) ||
        !js_get(in, "datatype", &t->dtype) || !js_get(in, "shape", &t->shape) ||
        !js_iter(t->shape, &sit)) {
        snprintf(msg, mlen, "input %zu needs a name, a datatype and a shape", nin);
        return msg;
    }
    t->size = dtype_size(t->dtype);
    if (t->size < 0) {
        snprintf(msg, mlen, "input %zu: unknown datatype", nin);
        return msg;
    }
    t->elems = 1;
    while (js_next(&sit, &dim)) {
        uint64_t d;
        if (!js_u64(dim, &d) || d > (1ull << 40) || (d && t->elems > (1ull << 40) / d)) {
            snprintf(msg, mlen, "input %zu: bad or too large shape", nin);
            return msg;
        }
        t->elems *= d;
    }
    uint64_t size = 0;
    if (js_get(in, "parameters", &params) && js_get(params, "binary_data_size", &bds)) {
        if (!js_u64(bds, &size) || size > binlen - *bin_total) {
            snprintf(msg, mlen,
                     "input %zu: binary_data_size is not a size within the body's "
                     "binary part (%zu bytes)", nin, binlen);
            return msg;
        }
        t->binary = true;
        t->bin_off = *bin_total;
        t->bin_len = (size_t)size;
        *bin_total += (size_t)size;
    } else if (js_get(in, "data", &t->data)) {
        t->has_data = true;
    } else {
        snprintf(msg, mlen, "input %zu has neither data nor parameters.binary_data_size",
                 nin);
        return msg;
    }
    return NULL;
}

/* Reads the request's inputs; *first receives the first. Returns NULL, or the reason the
 * request is refused (written into msg or a static text). */
static const char *read_inputs(js doc, size_t binlen, tensor *first, char *msg, size_t mlen)
{
    js inputs, in;
    js_it it;
    if (!js_get(doc, "inputs", &inputs) || !js_iter(inputs, &it))
        return "'inputs' is missing or not an array";
    size_t nin = 0, bin_total = 0;
    while (js_next(&it, &in)) {
        tensor t;
        const char *why = read_input(in, nin, binlen, &bin_total, &t, msg, mlen);
        if (why)
            return why;
        if (nin++ == 0)
            *first = t;
    }
    if (nin == 0)
        return "'inputs' is empty";
    if (bin_total != binlen) {
        snprintf(msg, mlen,
                 "the inputs' binary_data_size add up to %zu bytes, the body's binary "
                 "part holds %zu", bin_total, binlen);
        return msg;
    }
    return NULL;
}

/* Whether the reply's output goes binary (asked for the whole request or for a requested
 * output), and the first requested output's name, if any. */
static bool binary_output(js doc, js *oname, bool *have_oname)
{
    bool bin_out = false;
    js params, outputs, out0, v;
    js_it it;
    *have_oname = false;
    if (js_get(doc, "parameters", &params) && js_get(params, "binary_data_output", &v))
        bin_out = js_is_true(v);
    if (js_get(doc, "outputs", &outputs) && js_iter(outputs, &it)) {
        bool firstout = true;
        while (js_next(&it, &out0)) {
            js op, bd;
            if (js_get(out0, "parameters", &op) && js_get(op, "binary_data", &bd) &&
                js_is_true(bd))
                bin_out = true;
            if (firstout && js_get(out0, "name", oname) && js_is_str(*oname))
                *have_oname = true;
            firstout = false;
        }
    }
    return bin_out;
}

static void put_js(sbuf *b, js v)
{
    sb_put(b, v.p, (size_t)(v.end - v.p));
}

/* The output tensor's description and, when it is not binary, its data: the first input
 * echoed, or elems zeros of FP32 (BOOL false, BYTES ""). */
static void write_output(sbuf *b, const tensor *first, bool echo, uint64_t elems, bool bin_out,
                         uint64_t bin_bytes, const js *oname)
{
    sb_puts(b, ",\"outputs\":[{\"name\":");
    if (oname)
        put_js(b, *oname);
    else
        sb_puts(b, "\"output0\"");
    sb_puts(b, ",\"datatype\":");
    if (echo)
        put_js(b, first->dtype);
    else
        sb_puts(b, "\"FP32\"");
    sb_puts(b, ",\"shape\":");
    if (echo) {
        put_js(b, first->shape);
    } else {
        sb_puts(b, "[");
        sb_u64(b, elems);
        sb_puts(b, "]");
    }
    if (bin_out) {
        sb_puts(b, ",\"parameters\":{\"binary_data_size\":");
        sb_u64(b, bin_bytes);
        sb_puts(b, "}}]}");
    } else if (echo && first->has_data) {
        sb_puts(b, ",\"data\":");
        put_js(b, first->data);
        sb_puts(b, "}]}");
    } else {
        const char *zero = echo && js_str_eq(first->dtype, "BOOL")    ? "false"
                           : echo && js_str_eq(first->dtype, "BYTES") ? "\"\""
                                                                      : "0";
        sb_puts(b, ",\"data\":[");
        for (uint64_t i = 0; i < elems; i++) {
            if (i)
                sb_puts(b, ",");
            sb_puts(b, zero);
        }
        sb_puts(b, "]}]}");
    }
}

static void infer(conn *c, const char *body, size_t blen, int64_t ihcl, uint64_t t0)
{
    worker *w = c->w;
    const serve_config *cfg = w->cfg;
    const serve_endpoint ep = SERVE_EP_INFER;
    char msg[256];
    size_t jlen = blen;
    const char *bin = NULL;
    size_t binlen = 0;
    if (ihcl >= 0) {
        if ((uint64_t)ihcl > blen) {
            snprintf(msg, sizeof msg,
                     "Inference-Header-Content-Length %lld is larger than the body (%zu bytes)",
                     (long long)ihcl, blen);
            conn_error(c, ep, 400, msg, false, NULL);
            return;
        }
        jlen = (size_t)ihcl;
        bin = body + jlen;
        binlen = blen - jlen;
    }
    js doc, v, oname;
    if (!js_check(body, jlen, &doc) || !js_is_obj(doc)) {
        conn_error(c, ep, 400, "the request's JSON is malformed or not an object", false, NULL);
        return;
    }
    tensor first;
    memset(&first, 0, sizeof first);
    const char *why = read_inputs(doc, binlen, &first, msg, sizeof msg);
    if (why) {
        conn_error(c, ep, 400, why, false, NULL);
        return;
    }
    bool have_oname;
    bool bin_out = binary_output(doc, &oname, &have_oname);
    /* The output tensor. */
    bool echo = cfg->output_elems == 0;
    uint64_t elems = echo ? first.elems : cfg->output_elems;
    int size = echo ? first.size : 4;
    uint64_t bin_bytes = 0; /* the output's raw bytes */
    const char *copy_bin = NULL;
    if (bin_out) {
        if (echo && first.binary) {
            copy_bin = bin + first.bin_off;
            bin_bytes = first.bin_len;
        } else {
            bin_bytes = elems * (uint64_t)(size ? size : 4);
        }
    } else if (!(echo && first.has_data)) {
        bin_bytes = elems * 2; /* "0," per element, to bound what is made up */
    }
    if (!copy_bin && bin_bytes > SYNTH_MAX) {
        conn_error(c, ep, 400, "the output would be larger than 64 MiB", false, NULL);
        return;
    }
    serve_fault f = serve_draw_fault(w);
    if (f == SERVE_FAULT_MALFORMED_SSE)
        f = SERVE_FAULT_COUNT; /* a stream's fault: not one for a plain response */
    if (conn_error_fault(c, ep, f, false))
        return;
    sbuf *b = &w->body;
    b->len = 0;
    sb_puts(b, "{\"model_name\":");
    sb_json_str(b, cfg->model, strlen(cfg->model));
    sb_puts(b, ",\"model_version\":\"1\"");
    if (js_get(doc, "id", &v) && js_is_str(v)) {
        sb_puts(b, ",\"id\":");
        put_js(b, v);
    }
    size_t pad_at = 0, pad_len = 0;
    if (f == SERVE_FAULT_OVERSIZE) {
        sb_puts(b, ",\"padding\":\"");
        pad_at = b->len;
        pad_len = cfg->oversize_bytes;
        sb_puts(b, "\"");
    }
    write_output(b, &first, echo, elems, bin_out, bin_bytes, have_oname ? &oname : NULL);
    char extra[96];
    const char *ctype = "application/json";
    const char *xh = NULL;
    if (bin_out) {
        snprintf(extra, sizeof extra, "Inference-Header-Content-Length: %zu\r\n",
                 b->len + pad_len);
        xh = extra;
        ctype = "application/octet-stream";
        if (copy_bin)
            sb_put(b, copy_bin, (size_t)bin_bytes);
        else if (size == 0) /* BYTES: each element an empty string, its 4-byte length */
            sb_zero(b, (size_t)(elems * 4));
        else
            sb_zero(b, (size_t)bin_bytes);
    }
    if (b->oom) {
        b->len = 0;
        b->oom = false;
        conn_error(c, ep, 500, "out of memory", false, NULL);
        return;
    }
    uint64_t svc = serve_draw_service_ns(w);
    serve_resp r = {.ep = ep, .status = 200, .ctype = ctype, .extra = xh, .body = b,
                    .pad_at = pad_at, .pad_len = pad_len, .fault = f,
                    .due_ns = svc ? t0 + svc : 0};
    conn_respond(c, &r);
}

void kserve_handle(conn *c, bool get, bool post, const char *path, size_t plen,
                   const char *body, size_t blen, int64_t ihcl, uint64_t t0)
{
    worker *w = c->w;
    const serve_config *cfg = w->cfg;
    char msg[256];
#define IS(s) (plen == sizeof(s) - 1 && memcmp(path, s, plen) == 0)
    if (IS("/v2") || IS("/v2/health/live") || IS("/v2/health/ready")) {
        serve_endpoint ep = IS("/v2") ? SERVE_EP_SERVER_META
                            : IS("/v2/health/live") ? SERVE_EP_LIVE : SERVE_EP_READY;
        if (!get) {
            conn_error(c, ep, 405, "use GET", false, "Allow: GET\r\n");
            return;
        }
        json_reply(c, ep, ep == SERVE_EP_SERVER_META
                              ? "{\"name\":\"loadgen-serve\",\"version\":\"1\","
                                "\"extensions\":[\"binary_tensor_data\"]}"
                          : ep == SERVE_EP_LIVE ? "{\"live\":true}" : "{\"ready\":true}");
        return;
    }
#undef IS
    static const char pre[] = "/v2/models/";
    if (plen <= sizeof pre - 1 || memcmp(path, pre, sizeof pre - 1) != 0) {
        conn_error(c, SERVE_EP_OTHER, 404, "no such endpoint", false, NULL);
        return;
    }
    const char *name = path + sizeof pre - 1;
    const char *end = path + plen;
    const char *slash = memchr(name, '/', (size_t)(end - name));
    size_t nlen = (size_t)((slash ? slash : end) - name);
    const char *rest = slash ? slash : end;
    size_t rlen = (size_t)(end - rest);
    /* An optional /versions/{v}: only version "1" exists. */
    bool bad_version = false;
    static const char ver[] = "/versions/";
    if (rlen >= sizeof ver - 1 && memcmp(rest, ver, sizeof ver - 1) == 0) {
        const char *vs = rest + sizeof ver - 1;
        const char *ve = memchr(vs, '/', (size_t)(end - vs));
        if (!ve)
            ve = end;
        bad_version = !((size_t)(ve - vs) == 1 && vs[0] == '1');
        rest = ve;
        rlen = (size_t)(end - rest);
    }
    serve_endpoint ep;
    if (rlen == 0)
        ep = SERVE_EP_MODEL_META;
    else if (rlen == 6 && memcmp(rest, "/ready", 6) == 0)
        ep = SERVE_EP_MODEL_READY;
    else if (rlen == 6 && memcmp(rest, "/infer", 6) == 0)
        ep = SERVE_EP_INFER;
    else {
        conn_error(c, SERVE_EP_OTHER, 404, "no such endpoint", false, NULL);
        return;
    }
    if (nlen != strlen(cfg->model) || memcmp(name, cfg->model, nlen) != 0 || bad_version) {
        snprintf(msg, sizeof msg, "unknown model '%.*s'%s", (int)(nlen < 128 ? nlen : 128),
                 name, bad_version ? " version" : "");
        conn_error(c, ep, 404, msg, false, NULL);
        return;
    }
    if (ep == SERVE_EP_INFER ? !post : !get) {
        conn_error(c, ep, 405, ep == SERVE_EP_INFER ? "use POST" : "use GET", false,
                   ep == SERVE_EP_INFER ? "Allow: POST\r\n" : "Allow: GET\r\n");
        return;
    }
    if (ep == SERVE_EP_INFER) {
        infer(c, body, blen, ihcl, t0);
        return;
    }
    sbuf *b = &w->body;
    b->len = 0;
    if (ep == SERVE_EP_MODEL_READY) {
        sb_puts(b, "{\"name\":");
        sb_json_str(b, cfg->model, strlen(cfg->model));
        sb_puts(b, ",\"ready\":true}");
    } else {
        sb_puts(b, "{\"name\":");
        sb_json_str(b, cfg->model, strlen(cfg->model));
        sb_puts(b, ",\"versions\":[\"1\"],\"platform\":\"loadgen-serve\","
                   "\"inputs\":[{\"name\":\"input0\",\"datatype\":\"FP32\",\"shape\":[-1]}],"
                   "\"outputs\":[{\"name\":\"output0\",\"datatype\":\"FP32\",\"shape\":[-1]}]}");
    }
    reply(c, ep, 200, "application/json");
}
