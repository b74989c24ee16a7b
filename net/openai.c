/* net/openai.c: the OpenAI-compatible SUT. The dataset's bodies are built when it is read
 * (net/dataset.c); loading a sample wraps its body in the whole HTTP request once. Each
 * request's state lives in its pipeline slot's scratch area (on_start resets it): the
 * event-stream parser (net/sse.h), whose buffers stay from one request to the next, the
 * token record (net/tokens.h) and the generated text for the accuracy log. A streamed
 * answer is fed to the parser as the client reads it; each event's JSON goes to the
 * chunk parser (net/openai_msg.h); the first content chunk calls lg_first_token. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dataset.h"
#include "net/openai.h"
#include "net/sse.h"
#include "net/tokens.h"
#include "stats/stats.h"

#define ERROR_TEXT_MAX 4096 /* of a non-200 body, kept for its message */

/* A request's state, in its slot's scratch area. */
typedef struct oai_call {
    net_sse sse;
    bool sse_ready;         /* initialised (its buffers are the slot's) */
    bool streaming;         /* the answer is an event stream */
    bool done;              /* data: [DONE] came */
    bool first;             /* lg_first_token was called */
    bool usage;             /* usage.completion_tokens came */
    uint64_t completion_tokens;
    int fail;               /* a status to end with (NET_EBODY), 0 */
    char why[160];          /* why it failed */
    net_tok_req tok;
    net_buf text;           /* the generated text (or a non-200 body) */
} oai_call;

/* What an I/O thread keeps: its own histograms and counters. */
typedef struct per_thread {
    stats_hist itl, ttft;
    uint64_t completed, from_usage, from_chunks, tokens, chunks, bad;
} per_thread;

typedef struct prebuilt {
    char *bytes;
    size_t len;
} prebuilt;

struct net_openai {
    net_openai_config cfg;
    char path[1200];
    net_dataset *ds;
    uint64_t total, performance;
    prebuilt *reqs;
    per_thread *threads;
    net_client *client;
    _Atomic int first_state;
    char first_error[320];
    char load_error[256];
};

void net_openai_config_default(net_openai_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    net_client_config_default(&cfg->client);
    cfg->api = NET_OAI_COMPLETIONS;
    cfg->stream = true;
    cfg->performance_samples = 256;
}

/* Keeps the first failure's description. */
static void note_failure(net_openai *o, int status, const char *why)
{
    int expect = 0;
    if (atomic_load_explicit(&o->first_state, memory_order_relaxed) ||
        !atomic_compare_exchange_strong(&o->first_state, &expect, 1))
        return;
    snprintf(o->first_error, sizeof o->first_error, "%s%s%s", net_status_name(status),
             why && *why ? ": " : "", why ? why : "");
    atomic_store_explicit(&o->first_state, 2, memory_order_release);
}

const char *net_openai_first_error(const net_openai *o)
{
    return atomic_load_explicit(&((net_openai *)o)->first_state, memory_order_acquire) == 2
               ? o->first_error
               : "";
}

const char *net_openai_load_error(const net_openai *o)
{
    return o->load_error;
}

/* ---------------------------------------------------------------- the stream */

/* A content chunk of text arrived: its text kept, the first token reported, the gap
 * to the one before recorded. */
static void content(net_openai *o, net_call *call, oai_call *u, const net_oai_chunk *c)
{
    int64_t now = lg_now_ns();
    per_thread *pt = &o->threads[call->thread];
    if (c->text && net_buf_reserve(&u->text, c->text_raw_len))
        u->text.len += net_oai_unescape(c->text, c->text_raw_len, (char *)u->text.p +
                                        u->text.len);
    pt->chunks++;
    if (net_tok_chunk(&u->tok, now, c->text_bytes + c->reasoning_bytes, &pt->itl) < 0 &&
        !u->first) {
        u->first = true;
        stats_hist_record(&pt->ttft, now - call->sent_ns);
        lg_response r = {.id = call->id, .data = u->text.p, .size = u->text.len};
        lg_first_token(&r, 1);
    }
}

/* The event-stream callback's context: the SUT and the call. */
typedef struct event_ctx {
    net_openai *o;
    net_call *call;
} event_ctx;

static int stream_event(void *ctx, const net_sse_event *ev)
{
    event_ctx *e = ctx;
    oai_call *u = e->call->user;
    if (ev->done) {
        u->done = true;
        return 0;
    }
    net_oai_chunk c;
    if (net_oai_parse(ev->data, ev->data_len, &c)) {
        snprintf(u->why, sizeof u->why, "event %llu: %s", (unsigned long long)ev->index,
                 c.why ? c.why : "not a chunk");
        return 1;
    }
    if (c.is_error) {
        snprintf(u->why, sizeof u->why, "the server sent an error in the stream: %.*s",
                 (int)(c.error_message_len < 120 ? c.error_message_len : 120),
                 c.error_message ? c.error_message : "");
        return 1;
    }
    if (c.has_usage && c.has_completion_tokens) {
        u->usage = true;
        u->completion_tokens = c.completion_tokens;
    }
    if (c.has_content)
        content(e->o, e->call, u, &c);
    return 0;
}

/* ---------------------------------------------------------------- callbacks */

static void cb_start(void *ctx, net_call *call)
{
    net_openai *o = ctx;
    oai_call *u = call->user;
    if (!u->sse_ready) {
        net_sse_init(&u->sse, o->cfg.max_event_bytes);
        u->sse_ready = true;
    } else {
        net_sse_reset(&u->sse);
    }
    u->streaming = u->done = u->first = u->usage = false;
    u->completion_tokens = 0;
    u->fail = 0;
    u->why[0] = '\0';
    u->text.len = 0;
}

static int cb_request(void *ctx, net_call *call, const void **bytes, size_t *len)
{
    net_openai *o = ctx;
    if (call->index >= o->total || !o->reqs[call->index].bytes)
        return NET_ECANCELED;
    *bytes = o->reqs[call->index].bytes;
    *len = o->reqs[call->index].len;
    return 0;
}

static int cb_headers(void *ctx, net_call *call, const net_head *h)
{
    (void)ctx;
    oai_call *u = call->user;
    size_t vl;
    const char *ct = net_head_get(h, "Content-Type", &vl);
    u->streaming = h->status == 200 && ct && vl >= 17 && !strncmp(ct, "text/event-stream", 17);
    net_tok_start(&u->tok, call->sent_ns);
    return 0;
}

static int cb_body(void *ctx, net_call *call, const char *p, size_t n)
{
    net_openai *o = ctx;
    oai_call *u = call->user;
    if (!u->streaming) { /* a plain answer, or an error's body: kept whole (bounded) */
        if (call->status != 200 && u->text.len + n > ERROR_TEXT_MAX)
            n = u->text.len < ERROR_TEXT_MAX ? ERROR_TEXT_MAX - u->text.len : 0;
        return net_buf_append(&u->text, p, n) ? 0 : NET_EIO;
    }
    event_ctx e = {o, call};
    int rc = net_sse_feed(&u->sse, p, n, stream_event, &e);
    if (rc < 0)
        snprintf(u->why, sizeof u->why, "%s", net_sse_strerror(rc));
    return rc ? (u->fail = NET_EBODY) : 0;
}

/* A plain (not streamed) answer: its text and its token count. */
static int plain_answer(net_openai *o, net_call *call, oai_call *u, int64_t *n_tokens)
{
    net_oai_chunk c;
    if (net_oai_parse((const char *)u->text.p, u->text.len, &c) || c.is_error) {
        snprintf(u->why, sizeof u->why, "%s", c.is_error ? "the server sent an error"
                                                         : c.why ? c.why : "not a completion");
        return NET_EBODY;
    }
    per_thread *pt = &o->threads[call->thread];
    net_buf text = {0};
    if (c.text && net_buf_reserve(&text, c.text_raw_len))
        text.len = net_oai_unescape(c.text, c.text_raw_len, (char *)text.p);
    net_buf_free(&u->text);
    u->text = text;
    u->usage = c.has_usage && c.has_completion_tokens;
    *n_tokens = u->usage ? (int64_t)c.completion_tokens : 1;
    pt->chunks++;
    /* No token arrives before the whole answer: the first is the last. */
    lg_response r = {.id = call->id, .data = u->text.p, .size = u->text.len};
    lg_first_token(&r, 1);
    stats_hist_record(&pt->ttft, lg_now_ns() - call->sent_ns);
    return 0;
}

/* A streamed answer's end: was it whole, and how many tokens. */
static int stream_end(oai_call *u, int64_t *n_tokens)
{
    if (u->fail)
        return u->fail;
    if (!net_sse_idle(&u->sse)) {
        snprintf(u->why, sizeof u->why, "the stream ended inside an event");
        return NET_EBODY;
    }
    if (!u->done) {
        snprintf(u->why, sizeof u->why, "the stream ended without [DONE]");
        return NET_EBODY;
    }
    if (!u->first) {
        snprintf(u->why, sizeof u->why, "the stream carried no content");
        return NET_EBODY;
    }
    *n_tokens = u->usage ? (int64_t)u->completion_tokens : (int64_t)u->tok.chunks;
    return 0;
}

static void cb_done(void *ctx, net_call *call, int result)
{
    net_openai *o = ctx;
    oai_call *u = call->user;
    per_thread *pt = &o->threads[call->thread];
    int64_t n_tokens = 0;
    int status = result;
    if (!status && call->status != 200) {
        status = call->status;
        char msg[200] = "";
        net_oai_chunk c;
        if (u->text.len && !net_oai_parse((const char *)u->text.p, u->text.len, &c) &&
            c.error_message)
            snprintf(msg, sizeof msg, "%.*s", (int)(c.error_message_len < 190
                                                         ? c.error_message_len : 190),
                     c.error_message);
        note_failure(o, status, msg);
    } else if (!status) {
        status = u->streaming ? stream_end(u, &n_tokens) : plain_answer(o, call, u, &n_tokens);
        if (status) {
            pt->bad++;
            note_failure(o, status, u->why);
        } else {
            pt->completed++;
            pt->tokens += (uint64_t)n_tokens;
            if (u->usage)
                pt->from_usage++;
            else
                pt->from_chunks++;
        }
    } else {
        if (status == NET_EBODY)
            pt->bad++;
        note_failure(o, status, u && u->why[0] ? u->why : NULL);
    }
    lg_response r = {.id = call->id, .data = status ? NULL : u->text.p,
                     .size = status ? 0 : u->text.len, .status = status,
                     .n_tokens = n_tokens, .sent_ns = call->sent_ns};
    lg_complete(&r, 1);
}

static void cb_free(void *ctx, void *user)
{
    (void)ctx;
    oai_call *u = user;
    if (u->sse_ready)
        net_sse_free(&u->sse);
    net_buf_free(&u->text);
}

/* ---------------------------------------------------------------- the QSL and the SUT */

static int build_request(net_openai *o, uint64_t index)
{
    const net_ds_sample *smp = net_dataset_sample(o->ds, (size_t)index);
    net_request r = {.method = "POST", .path = o->path,
                     .authority = net_url_host(&o->cfg.client.url),
                     .url_headers = o->cfg.client.url.headers,
                     .content_type = "application/json", .body = smp->body,
                     .body_len = smp->body_len};
    prebuilt *p = &o->reqs[index];
    if (net_request_build(&r, &p->bytes, &p->len)) {
        snprintf(o->load_error, sizeof o->load_error, "out of memory building sample %llu",
                 (unsigned long long)index);
        return -ENOMEM;
    }
    return 0;
}

static int qsl_load(void *ctx, const uint64_t *idx, size_t n)
{
    net_openai *o = ctx;
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= o->total) {
            snprintf(o->load_error, sizeof o->load_error, "sample index %llu is out of "
                     "range (%llu samples)", (unsigned long long)idx[i],
                     (unsigned long long)o->total);
            return -EINVAL;
        }
        int rc = o->reqs[idx[i]].bytes ? 0 : build_request(o, idx[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* Whatever is queued or in flight is canceled first: the client sends from these. */
static int qsl_unload(void *ctx, const uint64_t *idx, size_t n)
{
    net_openai *o = ctx;
    net_client_cancel(o->client);
    for (size_t i = 0; i < n; i++)
        if (idx[i] < o->total) {
            free(o->reqs[idx[i]].bytes);
            o->reqs[idx[i]] = (prebuilt){NULL, 0};
        }
    return 0;
}

static void sut_issue(void *ctx, const lg_sample *s, size_t n)
{
    net_openai *o = ctx;
    net_submit(o->client, s, n);
}

#define OFAIL(code, ...)                                                                 \
    do {                                                                                 \
        if (err_len)                                                                     \
            snprintf(err, err_len, __VA_ARGS__);                                         \
        return code;                                                                     \
    } while (0)

/* The dataset, read and turned into bodies. */
static int open_dataset(net_openai *o, char *err, size_t err_len)
{
    const net_openai_config *c = &o->cfg;
    net_ds_options d = {.model = c->model, .endpoint = c->api, .stream = c->stream,
                        .max_completion_tokens = c->max_completion_tokens,
                        .default_max_tokens = c->default_max_tokens};
    int rc = net_dataset_load(c->dataset, &d, &o->ds, err, err_len);
    if (rc)
        return rc;
    o->total = net_dataset_count(o->ds);
    if (c->total_samples && c->total_samples < o->total)
        o->total = c->total_samples;
    o->performance = c->performance_samples && c->performance_samples < o->total
                         ? c->performance_samples
                         : o->total;
    return 0;
}

int net_openai_create(const net_openai_config *cfg, net_openai **out, char *err,
                      size_t err_len)
{
    *out = NULL;
    if (!cfg->model || !cfg->model[0])
        OFAIL(-EINVAL, "the model name is empty");
    if (!cfg->dataset)
        OFAIL(-EINVAL, "an OpenAI SUT needs a JSON Lines dataset of prompts");
    net_openai *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->cfg = *cfg;
    snprintf(o->path, sizeof o->path, "%s/%s", cfg->client.url.base,
             cfg->api == NET_OAI_CHAT ? "chat/completions" : "completions");
    int rc = open_dataset(o, err, err_len);
    unsigned nt = cfg->client.io_threads ? cfg->client.io_threads : 1;
    if (!rc) {
        o->reqs = calloc(o->total, sizeof *o->reqs);
        o->threads = calloc(nt, sizeof *o->threads);
        if (!o->reqs || !o->threads)
            rc = -ENOMEM;
    }
    if (!rc) {
        net_client_config cc = cfg->client;
        cc.cb = (net_callbacks){.ctx = o, .call_bytes = sizeof(oai_call),
                                .request = cb_request, .on_start = cb_start,
                                .on_headers = cb_headers, .on_body = cb_body,
                                .on_done = cb_done, .on_free = cb_free};
        rc = net_client_create(&cc, &o->client, err, err_len);
    }
    if (rc) {
        net_openai_destroy(o);
        return rc;
    }
    *out = o;
    return 0;
}

lg_sut net_openai_sut(net_openai *o)
{
    return (lg_sut){.name = "openai", .ctx = o, .issue = sut_issue};
}

lg_qsl net_openai_qsl(net_openai *o)
{
    return (lg_qsl){.name = o->cfg.dataset, .ctx = o, .total_sample_count = o->total,
                    .performance_sample_count = o->performance, .load = qsl_load,
                    .unload = qsl_unload};
}

net_client *net_openai_client(net_openai *o)
{
    return o->client;
}

static void summarize(const stats_hist *h, net_hist_summary *s)
{
    memset(s, 0, sizeof *s);
    if (!h->count)
        return;
    s->count = h->count;
    s->min_ns = h->min;
    s->max_ns = h->max;
    s->mean_ns = stats_hist_mean(h);
    s->p50_ns = stats_hist_percentile(h, 0.5);
    s->p90_ns = stats_hist_percentile(h, 0.9);
    s->p99_ns = stats_hist_percentile(h, 0.99);
    s->p999_ns = stats_hist_percentile(h, 0.999);
}

void net_openai_stats_get(const net_openai *o, net_openai_stats *out)
{
    memset(out, 0, sizeof *out);
    stats_hist *itl = calloc(1, sizeof *itl), *ttft = calloc(1, sizeof *ttft);
    unsigned nt = o->cfg.client.io_threads ? o->cfg.client.io_threads : 1;
    for (unsigned i = 0; i < nt; i++) {
        const per_thread *pt = &o->threads[i];
        out->completed += pt->completed;
        out->tokens_from_usage += pt->from_usage;
        out->tokens_from_chunks += pt->from_chunks;
        out->output_tokens += pt->tokens;
        out->content_chunks += pt->chunks;
        out->bad_bodies += pt->bad;
        if (itl && ttft) {
            stats_hist_merge(itl, &pt->itl);
            stats_hist_merge(ttft, &pt->ttft);
        }
    }
    if (itl && ttft) {
        summarize(itl, &out->itl);
        summarize(ttft, &out->ttft_from_send);
    }
    free(itl);
    free(ttft);
}

void net_openai_destroy(net_openai *o)
{
    if (!o)
        return;
    net_client_destroy(o->client);
    for (uint64_t i = 0; o->reqs && i < o->total; i++)
        free(o->reqs[i].bytes);
    free(o->reqs);
    free(o->threads);
    net_dataset_free(o->ds);
    free(o);
}

int net_openai_wait_ready(const net_url *url, int64_t timeout_ns, char *err, size_t err_len)
{
    const char *paths[] = {"/models"};
    return net_wait_ready(url, paths, 1, timeout_ns, err, err_len);
}
