/* net/kserve.c: the KServe v2 SUT and QSL. Loading a sample builds its whole HTTP
 * request (head and body, JSON or binary) once, so that sending it is one send() from
 * that buffer; issuing hands the samples to the client; each answer is parsed on the
 * I/O thread that read it and completed there. The response parser is separate
 * (net_kserve_parse_response) so that a fuzz target can drive it. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/internal.h"

#define MAX_TOTAL (UINT64_C(1) << 27) /* samples a dataset may offer (16 B each) */

typedef struct prebuilt {
    char *bytes;
    size_t len;
} prebuilt;

/* What an I/O thread keeps for parsing its answers. */
typedef struct per_thread {
    net_buf scratch;
    net_kserve_result res;
} per_thread;

struct net_kserve {
    net_kserve_config cfg;
    char model[256], version[64], input_name[128];
    char infer_path[1600];
    net_dtype dtype;
    unsigned ndim;
    uint64_t shape[NET_KSERVE_MAX_DIMS];
    uint64_t elems, sample_bytes, total, performance;
    int fd;                      /* the dataset, or -1 */
    uint64_t data_offset;
    prebuilt *reqs;              /* by sample index, built while loaded */
    net_buf raw, body;           /* the loading thread's */
    per_thread *threads;
    net_client *client;
    _Atomic int first_state;     /* 0 none, 1 being written, 2 written */
    char first_error[320];
    _Atomic uint64_t bad_bodies;
    char load_error[256];
};

void net_kserve_config_default(net_kserve_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    net_client_config_default(&cfg->client);
    cfg->input_name = "input0";
    cfg->dtype = NET_DT_FP32;
    cfg->ndim = 2;
    cfg->shape[0] = 1;
    cfg->shape[1] = 4;
    cfg->total_samples = 1024;
    cfg->performance_samples = 256;
}

/* ---------------------------------------------------------------- errors */

/* Keeps the first failure's description (the first thread to fail writes it). */
static void note_failure(net_kserve *k, int status, const char *body, size_t len,
                         const char *why)
{
    int expect = 0;
    if (atomic_load_explicit(&k->first_state, memory_order_relaxed) ||
        !atomic_compare_exchange_strong(&k->first_state, &expect, 1))
        return;
    char msg[256] = "";
    if (why)
        snprintf(msg, sizeof msg, "%s", why);
    else if (body)
        net_kserve_error_message(body, len, msg, sizeof msg);
    snprintf(k->first_error, sizeof k->first_error, "%s%s%s", net_status_name(status),
             msg[0] ? ": " : "", msg);
    atomic_store_explicit(&k->first_state, 2, memory_order_release);
}

const char *net_kserve_first_error(const net_kserve *k)
{
    return atomic_load_explicit(&((net_kserve *)k)->first_state, memory_order_acquire) == 2
               ? k->first_error
               : "";
}

uint64_t net_kserve_bad_bodies(const net_kserve *k)
{
    return atomic_load(&((net_kserve *)k)->bad_bodies);
}

/* A string value [v, ve) unescaped into buf (cap bytes, NUL-terminated, cut when
 * longer); false when it is not a string. */
static bool str_value(const char *v, const char *ve, char *buf, size_t cap)
{
    if (v >= ve || *v != '"' || cap == 0)
        return false;
    size_t raw = (size_t)(ve - v - 2);
    char tmp[1024];
    const char *from = v + 1; /* an absurdly long text: its first bytes as written */
    size_t n = raw;
    if (raw <= sizeof tmp) {
        n = net_js_unescape(v + 1, raw, tmp);
        from = tmp;
    }
    if (n > cap - 1)
        n = cap - 1;
    memcpy(buf, from, n); /* not snprintf: glibc's "%.*s" takes its slow path, per answer */
    buf[n] = '\0';
    return true;
}

/* The members of the object [p, end) named by keys (at most 32): v[i], ve[i] receive
 * keys[i]'s value (the first with that name); *after (when not NULL) the byte past the
 * object. Returns a mask of the keys found, or -1 when the object is malformed (every
 * member's value is checked on the way, unless `checked` says the text was: the walks
 * inside a body whose top-level walk passed find their ends with net_js_skip). */
static long members(const char *p, const char *end, int depth, bool checked,
                    const char *const *keys, unsigned n, const char **v, const char **ve,
                    const char **after)
{
    net_js_it it;
    if (!net_js_begin(&it, p, end, depth))
        return -1;
    it.checked = checked;
    unsigned long found = 0;
    net_js_str k;
    const char *a, *b;
    int rc;
    while ((rc = net_js_member(&it, &k, &a, &b)) == 1)
        for (unsigned i = 0; i < n; i++)
            if (!(found & 1ul << i) && net_js_key_is(&k, keys[i])) {
                v[i] = a;
                ve[i] = b;
                found |= 1ul << i;
                break;
            }
    if (after)
        *after = it.p;
    return rc < 0 ? -1 : (long)found;
}

bool net_kserve_error_message(const char *body, size_t len, char *buf, size_t cap)
{
    static const char *const key[1] = {"error"};
    const char *v[1], *ve[1];
    if (!body || !net_js_valid(body, body + len))
        return false;
    const char *p = net_js_ws(body, body + len);
    long found = members(p, body + len, 0, true, key, 1, v, ve, NULL);
    if (found <= 0)
        return false;
    if (!str_value(v[0], ve[0], buf, cap) && cap) /* {"message": ...} or else: its text */
        snprintf(buf, cap, "%.*s", (int)((size_t)(ve[0] - v[0]) < cap ? ve[0] - v[0]
                                                                          : (long)cap - 1),
                 v[0]);
    return true;
}

/* ---------------------------------------------------------------- the response */

#define PFAIL(...)                                                                       \
    do {                                                                                 \
        snprintf(out->error, sizeof out->error, __VA_ARGS__);                            \
        return NET_EBODY;                                                                \
    } while (0)

/* Appends the elements of the (nested) array [v, ve) to scratch; *count grows by their
 * number. */
static bool flatten(const char *v, const char *ve, int depth, net_dtype dt, net_buf *scratch,
                    uint64_t *count)
{
    if (*v != '[')
        return depth > 2 && (++*count, net_tensor_from_json(dt, v, ve, scratch));
    net_js_it it;
    if (!net_js_begin(&it, v, ve, depth))
        return false;
    it.checked = true;
    const char *a, *b;
    int rc;
    while ((rc = net_js_element(&it, &a, &b)) == 1)
        if (!flatten(a, b, depth + 1, dt, scratch, count))
            return false;
    return rc == 0;
}

enum { K_NAME, K_DATATYPE, K_SHAPE, K_PARAMETERS, K_DATA, K_COUNT };
static const char *const output_keys[K_COUNT] = {"name", "datatype", "shape", "parameters",
                                                 "data"};

/* An output's name, datatype and shape (v, ve: its members, found: which). */
static int output_meta(const char **v, const char **ve, long found, size_t i,
                       net_kserve_output *d, net_kserve_result *out, uint64_t *elems)
{
    if (!(found & 1 << K_NAME) || !str_value(v[K_NAME], ve[K_NAME], d->name, sizeof d->name))
        PFAIL("output %zu has no name", i);
    char dt[32];
    if (!(found & 1 << K_DATATYPE) || !str_value(v[K_DATATYPE], ve[K_DATATYPE], dt, sizeof dt))
        PFAIL("output '%s' has no datatype", d->name);
    int t = net_dtype_parse(dt, strlen(dt));
    if (t < 0)
        PFAIL("output '%s': unknown datatype \"%s\"", d->name, dt);
    d->dtype = (net_dtype)t;
    net_js_it it;
    if (!(found & 1 << K_SHAPE) || !net_js_begin(&it, v[K_SHAPE], ve[K_SHAPE], 3) ||
        *v[K_SHAPE] != '[')
        PFAIL("output '%s' has no shape", d->name);
    it.checked = true;
    *elems = 1;
    const char *a, *b;
    while (net_js_element(&it, &a, &b) == 1) {
        uint64_t x;
        if (d->ndim == NET_KSERVE_MAX_DIMS || !net_js_u64(a, b, &x))
            PFAIL("output '%s': the shape is not a list of at most %d sizes", d->name,
                  NET_KSERVE_MAX_DIMS);
        if (x && *elems > (UINT64_C(1) << 40) / x)
            PFAIL("output '%s': the shape is too large", d->name);
        d->shape[d->ndim++] = x;
        *elems *= x;
    }
    return 0;
}

/* The size a binary output declares in parameters.binary_data_size: 1 found (*size
 * set), 0 none, -1 not a size. */
static int binary_size(const char *p, const char *end, uint64_t *size)
{
    static const char *const key[1] = {"binary_data_size"};
    const char *v[1], *ve[1];
    long found = *p == '{' ? members(p, end, 3, true, key, 1, v, ve, NULL) : 0;
    if (found <= 0)
        return 0;
    return net_js_u64(v[0], ve[0], size) ? 1 : -1;
}

/* One output [p, end): its description and, for JSON data, its bytes appended to
 * scratch. Binary outputs are only sized here (*bin_size). */
static int parse_output(const char *p, const char *end, size_t i, net_buf *scratch,
                        net_kserve_output *d, uint64_t *bin_size, net_kserve_result *out)
{
    memset(d, 0, sizeof *d);
    const char *v[K_COUNT], *ve[K_COUNT];
    long found = *p == '{' ? members(p, end, 2, true, output_keys, K_COUNT, v, ve, NULL) : -1;
    if (found < 0)
        PFAIL("output %zu is not an object", i);
    uint64_t elems;
    int rc = output_meta(v, ve, found, i, d, out, &elems);
    if (rc)
        return rc;
    *bin_size = 0;
    size_t esz = net_dtype_size(d->dtype);
    int bs = found & 1 << K_PARAMETERS ? binary_size(v[K_PARAMETERS], ve[K_PARAMETERS],
                                                     bin_size) : 0;
    if (bs < 0)
        PFAIL("output '%s': binary_data_size is not a size", d->name);
    if (bs > 0) {
        if (esz && *bin_size != elems * esz)
            PFAIL("output '%s': binary_data_size %llu, but %llu elements of %s take %llu",
                  d->name, (unsigned long long)*bin_size, (unsigned long long)elems,
                  net_dtype_name(d->dtype), (unsigned long long)(elems * esz));
        d->binary = true;
        return 0;
    }
    if (!(found & 1 << K_DATA) || *v[K_DATA] != '[')
        PFAIL("output '%s' has neither data nor parameters.binary_data_size", d->name);
    uint64_t count = 0;
    d->offset = scratch ? scratch->len : 0;
    if (!flatten(v[K_DATA], ve[K_DATA], 3, d->dtype, scratch, &count))
        PFAIL("output '%s': an element is not a %s", d->name, net_dtype_name(d->dtype));
    if (count != elems)
        PFAIL("output '%s': %llu elements, the shape says %llu", d->name,
              (unsigned long long)count, (unsigned long long)elems);
    d->bytes = scratch ? scratch->len - d->offset : 0;
    return 0;
}

/* Places the binary outputs' bytes: after the JSON ones in scratch, or (one binary
 * output alone) where they lie in the body. */
static int place_binary(const char *bin, size_t binlen, uint64_t *sizes, net_buf *scratch,
                        net_kserve_result *out)
{
    uint64_t total = 0, nbin = 0;
    for (size_t i = 0; i < out->noutputs; i++)
        if (out->outputs[i].binary) {
            total += sizes[i];
            nbin++;
        }
    if (total != binlen)
        PFAIL("the outputs' binary_data_size add up to %llu bytes, the body's binary part "
              "holds %zu", (unsigned long long)total, binlen);
    if (!scratch)
        return 0; /* checked only */
    if (nbin == 1 && out->noutputs == 1) {
        out->outputs[0].offset = 0;
        out->outputs[0].bytes = binlen;
        out->data = (const unsigned char *)bin;
        out->data_len = binlen;
        return 0;
    }
    size_t at = 0;
    for (size_t i = 0; i < out->noutputs; i++) {
        net_kserve_output *d = &out->outputs[i];
        if (!d->binary)
            continue;
        d->offset = scratch->len;
        d->bytes = sizes[i];
        if (!net_buf_append(scratch, bin + at, sizes[i]))
            PFAIL("out of memory for output '%s'", d->name);
        at += sizes[i];
    }
    out->data = scratch->p;
    out->data_len = scratch->len;
    return 0;
}

/* The outputs array [p, end) into out. */
static int parse_outputs(const char *p, const char *end, net_buf *scratch, uint64_t *sizes,
                         bool *any_binary, net_kserve_result *out)
{
    net_js_it it;
    if (*p != '[' || !net_js_begin(&it, p, end, 1))
        PFAIL("'outputs' is missing or not an array");
    it.checked = true;
    const char *a, *b;
    while (net_js_element(&it, &a, &b) == 1) {
        if (out->noutputs == NET_KSERVE_MAX_OUTPUTS)
            PFAIL("more than %d outputs", NET_KSERVE_MAX_OUTPUTS);
        size_t i = out->noutputs;
        int rc = parse_output(a, b, i, scratch, &out->outputs[i], &sizes[i], out);
        if (rc)
            return rc;
        *any_binary |= out->outputs[i].binary;
        out->noutputs++;
    }
    if (out->noutputs == 0)
        PFAIL("'outputs' is empty");
    return 0;
}

int net_kserve_parse_response(const char *body, size_t len, int64_t json_len,
                              net_buf *scratch, net_kserve_result *out)
{
    out->noutputs = 0;
    out->data = NULL;
    out->data_len = 0;
    out->error[0] = '\0';
    if (scratch)
        scratch->len = 0;
    if (json_len > (int64_t)len)
        PFAIL("Inference-Header-Content-Length %lld is larger than the body (%zu bytes)",
              (long long)json_len, len);
    size_t jlen = json_len >= 0 ? (size_t)json_len : len;
    static const char *const top_keys[2] = {"error", "outputs"};
    const char *v[2], *ve[2], *end = body + jlen, *after = NULL;
    const char *p = net_js_ws(body, end);
    long found = p < end && *p == '{' ? members(p, end, 0, false, top_keys, 2, v, ve, &after) : -1;
    if (found < 0 || net_js_ws(after, end) != end)
        PFAIL("the body is not a JSON object");
    if (found & 1) {
        char msg[200];
        net_kserve_error_message(body, jlen, msg, sizeof msg);
        PFAIL("the server answered 200 with an error: %s", msg);
    }
    if (!(found & 2))
        PFAIL("'outputs' is missing or not an array");
    uint64_t sizes[NET_KSERVE_MAX_OUTPUTS];
    bool any_binary = false;
    int rc = parse_outputs(v[1], ve[1], scratch, sizes, &any_binary, out);
    if (rc)
        return rc;
    if (any_binary || jlen < len)
        return place_binary(body + jlen, len - jlen, sizes, scratch, out);
    if (scratch) {
        out->data = scratch->p;
        out->data_len = scratch->len;
    }
    return 0;
}

/* ---------------------------------------------------------------- the requests */

/* The sample's raw bytes into k->raw. */
static int sample_raw(net_kserve *k, uint64_t index)
{
    k->raw.len = 0;
    if (!net_buf_reserve(&k->raw, k->sample_bytes ? k->sample_bytes : 1))
        return -ENOMEM;
    if (k->fd < 0) {
        net_tensor_synthetic(k->dtype, k->cfg.seed, index, k->elems, k->raw.p);
    } else {
        uint64_t off = k->data_offset + index * k->sample_bytes;
        size_t got = 0;
        while (got < k->sample_bytes) {
            ssize_t r = pread(k->fd, k->raw.p + got, k->sample_bytes - got, (off_t)(off + got));
            if (r <= 0) {
                snprintf(k->load_error, sizeof k->load_error, "%s: cannot read sample %llu: %s",
                         k->cfg.dataset, (unsigned long long)index,
                         r == 0 ? "the file is shorter than it was" : strerror(errno));
                return -EIO;
            }
            got += (size_t)r;
        }
    }
    k->raw.len = k->sample_bytes;
    return 0;
}

/* The request's JSON (and, binary, its raw part) for sample index into k->body; *jlen
 * receives the JSON's length. */
static int sample_body(net_kserve *k, uint64_t index, size_t *jlen)
{
    net_buf *b = &k->body;
    b->len = 0;
    bool ok = net_buf_printf(b, "{\"id\":\"%llu\",\"inputs\":[{\"name\":\"%s\",\"shape\":[",
                             (unsigned long long)index, k->input_name);
    for (unsigned i = 0; i < k->ndim; i++)
        ok = ok && net_buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)k->shape[i]);
    ok = ok && net_buf_printf(b, "],\"datatype\":\"%s\",", net_dtype_name(k->dtype));
    if (k->cfg.binary) {
        ok = ok && net_buf_printf(b, "\"parameters\":{\"binary_data_size\":%llu}}],"
                                  "\"parameters\":{\"binary_data_output\":true}}",
                                  (unsigned long long)k->sample_bytes);
        *jlen = b->len;
        ok = ok && net_buf_append(b, k->raw.p, k->raw.len);
    } else {
        ok = ok && net_buf_printf(b, "\"data\":[");
        if (ok && !net_tensor_to_json(k->dtype, k->raw.p, k->elems, b)) {
            snprintf(k->load_error, sizeof k->load_error, "sample %llu holds a NaN or an "
                     "infinity, which JSON cannot carry: use the binary tensor extension "
                     "(--binary)", (unsigned long long)index);
            return -EINVAL;
        }
        ok = ok && net_buf_printf(b, "]}]}");
        *jlen = b->len;
    }
    if (!ok) {
        snprintf(k->load_error, sizeof k->load_error, "out of memory building sample %llu",
                 (unsigned long long)index);
        return -ENOMEM;
    }
    return 0;
}

static int build_request(net_kserve *k, uint64_t index)
{
    int rc = sample_raw(k, index);
    size_t jlen = 0;
    if (rc || (rc = sample_body(k, index, &jlen)))
        return rc;
    char ihcl[64];
    snprintf(ihcl, sizeof ihcl, "Inference-Header-Content-Length: %zu\r\n", jlen);
    net_request r = {.method = "POST", .path = k->infer_path,
                     .authority = net_url_host(&k->cfg.client.url),
                     .url_headers = k->cfg.client.url.headers,
                     .content_type = k->cfg.binary ? "application/octet-stream"
                                                   : "application/json",
                     .headers = k->cfg.binary ? ihcl : NULL,
                     .body = k->body.p, .body_len = k->body.len};
    prebuilt *p = &k->reqs[index];
    if (net_request_build(&r, &p->bytes, &p->len)) {
        snprintf(k->load_error, sizeof k->load_error, "out of memory building sample %llu",
                 (unsigned long long)index);
        return -ENOMEM;
    }
    return 0;
}

static int qsl_load(void *ctx, const uint64_t *idx, size_t n)
{
    net_kserve *k = ctx;
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= k->total) {
            snprintf(k->load_error, sizeof k->load_error, "sample index %llu is out of "
                     "range (%llu samples)", (unsigned long long)idx[i],
                     (unsigned long long)k->total);
            return -EINVAL;
        }
        if (!k->reqs[idx[i]].bytes) {
            int rc = build_request(k, idx[i]);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The samples go: whatever is still queued or in flight is canceled first (the client
 * sends from these buffers), then they are freed. */
static int qsl_unload(void *ctx, const uint64_t *idx, size_t n)
{
    net_kserve *k = ctx;
    net_client_cancel(k->client);
    for (size_t i = 0; i < n; i++)
        if (idx[i] < k->total) {
            free(k->reqs[idx[i]].bytes);
            k->reqs[idx[i]] = (prebuilt){NULL, 0};
        }
    return 0;
}

/* ---------------------------------------------------------------- the client's side */

static void sut_issue(void *ctx, const lg_sample *s, size_t n)
{
    net_kserve *k = ctx;
    net_submit(k->client, s, n);
}

static int cb_request(void *ctx, net_call *call, const void **bytes, size_t *len)
{
    net_kserve *k = ctx;
    if (call->index >= k->total || !k->reqs[call->index].bytes)
        return NET_ECANCELED; /* not loaded: the QSL was unloaded under it */
    *bytes = k->reqs[call->index].bytes;
    *len = k->reqs[call->index].len;
    return 0;
}

/* Keeps the answer's Inference-Header-Content-Length (+1; 0: none) in the call. */
static int cb_headers(void *ctx, net_call *call, const net_head *h)
{
    (void)ctx;
    size_t vl;
    const char *v = net_head_get(h, "Inference-Header-Content-Length", &vl);
    int64_t x = 0;
    if (v) {
        if (vl == 0 || vl > 15)
            return NET_EMALFORMED;
        for (size_t i = 0; i < vl; i++) {
            if (v[i] < '0' || v[i] > '9')
                return NET_EMALFORMED;
            x = x * 10 + (v[i] - '0');
        }
        x++;
    }
    memcpy(call->user, &x, sizeof x);
    return 0;
}

/* What the accuracy log's callback needs to convert an answer already checked. */
typedef struct convert_ctx {
    per_thread *pt;
    const net_call *call;
    int64_t json_len;
} convert_ctx;

/* Runs for the answers the accuracy log records only (after the completion time was
 * taken): their outputs' bytes. The check before gave the same verdict, so this does not
 * fail but for memory; then the log records no data. */
static void convert_logged(void *ctx, lg_response *r)
{
    convert_ctx *c = ctx;
    if (net_kserve_parse_response(c->call->body, c->call->body_len, c->json_len,
                                  &c->pt->scratch, &c->pt->res) == 0) {
        r->data = c->pt->res.data;
        r->size = c->pt->res.data_len;
    }
}

static void cb_done(void *ctx, net_call *call, int result)
{
    net_kserve *k = ctx;
    int32_t status = result;
    lg_response r = {.id = call->id, .sent_ns = call->sent_ns};
    if (!status && call->status != 200) {
        status = call->status;
        note_failure(k, status, call->body, call->body_len, NULL);
    } else if (!status) {
        per_thread *pt = &k->threads[call->thread];
        int64_t ihcl;
        memcpy(&ihcl, call->user, sizeof ihcl);
        /* Every answer is checked; only a logged one is converted (convert_logged). */
        if (net_kserve_parse_response(call->body, call->body_len, ihcl - 1, NULL,
                                      &pt->res)) {
            r.status = NET_EBODY;
            atomic_fetch_add(&k->bad_bodies, 1);
            note_failure(k, NET_EBODY, NULL, 0, pt->res.error);
            lg_complete(&r, 1);
            return;
        }
        convert_ctx c = {pt, call, ihcl - 1};
        lg_complete_cb(&r, 1, convert_logged, &c);
        return;
    } else {
        note_failure(k, status, NULL, 0, NULL);
    }
    r.status = status;
    lg_complete(&r, 1);
}

/* ---------------------------------------------------------------- setup */

#define KFAIL(code, ...)                                                                 \
    do {                                                                                 \
        if (err_len)                                                                     \
            snprintf(err, err_len, __VA_ARGS__);                                         \
        return code;                                                                     \
    } while (0)

/* The .npy or raw dataset: its samples' type, shape and count. */
static int open_dataset(net_kserve *k, char *err, size_t err_len)
{
    const net_kserve_config *c = &k->cfg;
    k->fd = open(c->dataset, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (k->fd < 0 || fstat(k->fd, &st)) {
        int e = errno;
        KFAIL(-e, "%s: %s", c->dataset, strerror(e));
    }
    size_t dl = strlen(c->dataset);
    bool npy = dl > 4 && !strcmp(c->dataset + dl - 4, ".npy");
    uint64_t per_sample_elems = 1;
    if (npy) {
        net_npy h;
        char why[200];
        if (net_npy_read(k->fd, (uint64_t)st.st_size, &h, why, sizeof why))
            KFAIL(-EINVAL, "%s: %s", c->dataset, why);
        if (h.ndim == 0)
            KFAIL(-EINVAL, "%s: a 0-d array holds no samples (the first axis is the "
                  "sample)", c->dataset);
        if (c->dtype >= 0 && c->dtype != (int)h.dtype)
            KFAIL(-EINVAL, "%s: its datatype is %s, not the %s asked for", c->dataset,
                  net_dtype_name(h.dtype), net_dtype_name((net_dtype)c->dtype));
        k->dtype = h.dtype;
        k->total = h.shape[0];
        k->data_offset = h.data_offset;
        for (unsigned i = 1; i < h.ndim; i++)
            per_sample_elems *= h.shape[i];
        if (c->ndim == 0) {
            k->ndim = h.ndim > 1 ? h.ndim - 1 : 1;
            for (unsigned i = 0; i < k->ndim; i++)
                k->shape[i] = h.ndim > 1 ? h.shape[i + 1] : 1;
        }
    } else {
        if (c->dtype < 0 || c->ndim == 0)
            KFAIL(-EINVAL, "%s: a raw dataset (not .npy) needs the input's shape and "
                  "datatype", c->dataset);
        k->dtype = (net_dtype)c->dtype;
        k->data_offset = 0;
    }
    if (k->dtype == NET_DT_BYTES)
        KFAIL(-EINVAL, "%s: BYTES inputs are not supported", c->dataset);
    uint64_t given = 1;
    for (unsigned i = 0; i < c->ndim; i++)
        given *= c->shape[i];
    if (npy && c->ndim && given != per_sample_elems)
        KFAIL(-EINVAL, "%s: a sample holds %llu elements, the shape asked for %llu",
              c->dataset, (unsigned long long)per_sample_elems, (unsigned long long)given);
    k->elems = npy ? per_sample_elems : given;
    k->sample_bytes = k->elems * net_dtype_size(k->dtype);
    if (!npy) {
        if (!k->sample_bytes || (uint64_t)st.st_size % k->sample_bytes)
            KFAIL(-EINVAL, "%s: %lld bytes is not a whole number of %llu-byte samples",
                  c->dataset, (long long)st.st_size, (unsigned long long)k->sample_bytes);
        k->total = (uint64_t)st.st_size / k->sample_bytes;
    }
    if (k->total == 0)
        KFAIL(-EINVAL, "%s holds no samples", c->dataset);
    return 0;
}

/* The input's shape and datatype and the sample count, from the dataset or the config. */
static int setup_inputs(net_kserve *k, char *err, size_t err_len)
{
    const net_kserve_config *c = &k->cfg;
    k->fd = -1;
    k->ndim = c->ndim;
    memcpy(k->shape, c->shape, sizeof k->shape);
    if (c->dataset) {
        int rc = open_dataset(k, err, err_len);
        if (rc)
            return rc;
        if (c->total_samples && c->total_samples < k->total)
            k->total = c->total_samples;
    } else {
        if (c->dtype < 0 || c->dtype >= NET_DT_COUNT || c->dtype == NET_DT_BYTES)
            KFAIL(-EINVAL, "synthetic inputs need a datatype other than BYTES");
        if (c->ndim == 0 || c->ndim > NET_KSERVE_MAX_DIMS)
            KFAIL(-EINVAL, "synthetic inputs need a shape of 1 to %d sizes",
                  NET_KSERVE_MAX_DIMS);
        k->dtype = (net_dtype)c->dtype;
        k->elems = 1;
        for (unsigned i = 0; i < c->ndim; i++) {
            if (c->shape[i] && k->elems > (UINT64_C(1) << 32) / c->shape[i])
                KFAIL(-EINVAL, "the input shape is too large (over 2^32 elements)");
            k->elems *= c->shape[i];
        }
        k->sample_bytes = k->elems * net_dtype_size(k->dtype);
        k->total = c->total_samples;
    }
    if (k->total == 0 || k->total > MAX_TOTAL)
        KFAIL(-EINVAL, "the sample count %llu is not in 1 .. %llu",
              (unsigned long long)k->total, (unsigned long long)MAX_TOTAL);
    k->performance = c->performance_samples && c->performance_samples < k->total
                         ? c->performance_samples
                         : k->total;
    return 0;
}

/* Names, paths and the per-thread state; then the client. */
static int setup_client(net_kserve *k, char *err, size_t err_len)
{
    const net_kserve_config *c = &k->cfg;
    const char *names[] = {c->model, c->input_name};
    for (int i = 0; i < 2; i++)
        for (const char *p = names[i]; *p; p++)
            if ((unsigned char)*p < 0x21 || *p == '"' || *p == '\\' || *p == '/' ||
                *p == '?' || *p == '#' || *p == '%')
                KFAIL(-EINVAL, "%s '%s': spaces, quotes, backslashes, '/', '?', '#' and "
                      "'%%' are not allowed", i ? "input name" : "model name", names[i]);
    snprintf(k->model, sizeof k->model, "%s", c->model);
    snprintf(k->input_name, sizeof k->input_name, "%s", c->input_name);
    if (c->model_version)
        snprintf(k->version, sizeof k->version, "%s", c->model_version);
    snprintf(k->infer_path, sizeof k->infer_path, "%s/v2/models/%s%s%s/infer",
             c->client.url.base, k->model, k->version[0] ? "/versions/" : "", k->version);
    k->reqs = calloc(k->total, sizeof *k->reqs);
    k->threads = calloc(c->client.io_threads ? c->client.io_threads : 1, sizeof *k->threads);
    if (!k->reqs || !k->threads)
        KFAIL(-ENOMEM, "out of memory for %llu samples", (unsigned long long)k->total);
    net_client_config cc = c->client;
    cc.cb = (net_callbacks){.ctx = k, .call_bytes = sizeof(int64_t), .request = cb_request,
                            .on_headers = cb_headers, .on_done = cb_done};
    return net_client_create(&cc, &k->client, err, err_len);
}

int net_kserve_create(const net_kserve_config *cfg, net_kserve **out, char *err,
                      size_t err_len)
{
    *out = NULL;
    if (!cfg->model || !cfg->model[0] || strlen(cfg->model) >= 256)
        KFAIL(-EINVAL, "the model name is empty or too long");
    if (!cfg->input_name || !cfg->input_name[0] || strlen(cfg->input_name) >= 128)
        KFAIL(-EINVAL, "the input name is empty or too long");
    if (cfg->model_version && (!cfg->model_version[0] || strlen(cfg->model_version) >= 64))
        KFAIL(-EINVAL, "the model version is empty or too long");
    if (cfg->ndim > NET_KSERVE_MAX_DIMS)
        KFAIL(-EINVAL, "the input shape has more than %d sizes", NET_KSERVE_MAX_DIMS);
    net_kserve *k = calloc(1, sizeof *k);
    if (!k)
        return -ENOMEM;
    k->cfg = *cfg;
    int rc = setup_inputs(k, err, err_len);
    if (!rc)
        rc = setup_client(k, err, err_len);
    if (rc) {
        net_kserve_destroy(k);
        return rc;
    }
    *out = k;
    return 0;
}

lg_sut net_kserve_sut(net_kserve *k)
{
    return (lg_sut){.name = "kserve", .ctx = k, .issue = sut_issue};
}

lg_qsl net_kserve_qsl(net_kserve *k)
{
    return (lg_qsl){.name = k->cfg.dataset ? k->cfg.dataset : "synthetic-tensors",
                    .ctx = k, .total_sample_count = k->total,
                    .performance_sample_count = k->performance, .load = qsl_load,
                    .unload = qsl_unload};
}

net_client *net_kserve_client(net_kserve *k) { return k->client; }
net_dtype net_kserve_dtype(const net_kserve *k) { return k->dtype; }
uint64_t net_kserve_total(const net_kserve *k) { return k->total; }

const uint64_t *net_kserve_shape(const net_kserve *k, unsigned *ndim)
{
    *ndim = k->ndim;
    return k->shape;
}

const char *net_kserve_load_error(const net_kserve *k)
{
    return k->load_error;
}

void net_kserve_destroy(net_kserve *k)
{
    if (!k)
        return;
    net_client_destroy(k->client);
    for (uint64_t i = 0; k->reqs && i < k->total; i++)
        free(k->reqs[i].bytes);
    free(k->reqs);
    unsigned nt = k->cfg.client.io_threads ? k->cfg.client.io_threads : 1;
    for (unsigned i = 0; k->threads && i < nt; i++)
        net_buf_free(&k->threads[i].scratch);
    free(k->threads);
    net_buf_free(&k->raw);
    net_buf_free(&k->body);
    if (k->fd >= 0)
        close(k->fd);
    free(k);
}

int net_kserve_wait_ready(const net_url *url, const char *model, const char *version,
                          int64_t timeout_ns, char *err, size_t err_len)
{
    char model_path[512];
    snprintf(model_path, sizeof model_path, "/v2/models/%s%s%s/ready", model,
             version ? "/versions/" : "", version ? version : "");
    const char *paths[] = {"/v2/health/ready", model_path};
    return net_wait_ready(url, paths, 2, timeout_ns, err, err_len);
}
