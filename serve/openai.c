/* serve/openai.c: OpenAI-compatible /v1/completions and /v1/chat/completions, plain and
 * streamed (server-sent events in a chunked body: one event per token, the usage event
 * when stream_options.include_usage is true, then "data: [DONE]"), and /v1/models.
 * Token k (from 0) is due at arrival + ttft + k * tpot: the schedule is absolute, so a
 * late timer never shifts the tokens after it. A plain response goes out when its last
 * token is due. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/internal.h"

static const char *const VOCAB[] = {" lorem", " ipsum", " dolor", " sit",
                                    " amet", " consectetur", " adipiscing", " elit"};
#define NVOCAB (sizeof VOCAB / sizeof VOCAB[0])

void openai_models(conn *c)
{
    worker *w = c->w;
    sbuf *b = &w->body;
    b->len = 0;
    sb_puts(b, "{\"object\":\"list\",\"data\":[{\"id\":");
    sb_json_str(b, w->cfg->model, strlen(w->cfg->model));
    sb_puts(b, ",\"object\":\"model\",\"created\":0,\"owned_by\":\"loadgen\"}]}");
    serve_resp r = {.ep = SERVE_EP_MODELS, .status = 200, .ctype = "application/json",
                    .body = b, .fault = SERVE_FAULT_COUNT};
    conn_respond(c, &r);
}

/* The prompt's rough token count: its words (strings), or its elements (token ids). */
static bool prompt_words(js v, uint64_t *n)
{
    if (js_is_str(v)) {
        *n += js_words(v);
        return true;
    }
    js_it it;
    js e;
    if (!js_iter(v, &it))
        return false;
    while (js_next(&it, &e)) {
        if (js_is_str(e)) {
            *n += js_words(e);
        } else if (*e.p == '[') {
            js_it jt;
            js x;
            js_iter(e, &jt);
            while (js_next(&jt, &x))
                (*n)++;
        } else {
            (*n)++;
        }
    }
    return true;
}

static bool message_words(js msgs, uint64_t *n)
{
    js_it it;
    js m, content;
    if (!js_iter(msgs, &it))
        return false;
    while (js_next(&it, &m)) {
        if (!js_is_obj(m))
            return false;
        if (!js_get(m, "content", &content))
            continue;
        if (js_is_str(content)) {
            *n += js_words(content);
        } else {
            js_it pt;
            js part, text;
            if (js_iter(content, &pt))
                while (js_next(&pt, &part))
                    if (js_get(part, "text", &text))
                        *n += js_words(text);
        }
    }
    return true;
}

/* The head of an event's JSON: {"id":...,"object":...,"created":...,"model":... */
static void event_head(worker *w, sbuf *b, const serve_stream *s, bool chunk)
{
    sb_puts(b, "{\"id\":\"");
    sb_puts(b, s->id);
    sb_puts(b, "\",\"object\":\"");
    sb_puts(b, s->chat ? (chunk ? "chat.completion.chunk" : "chat.completion")
                       : "text_completion");
    sb_puts(b, "\",\"created\":");
    sb_u64(b, s->created);
    sb_puts(b, ",\"model\":");
    sb_json_str(b, w->cfg->model, strlen(w->cfg->model));
}

static void usage_obj(sbuf *b, const serve_stream *s)
{
    sb_puts(b, "\"usage\":{\"prompt_tokens\":");
    sb_u64(b, s->prompt_tokens);
    sb_puts(b, ",\"completion_tokens\":");
    sb_u64(b, s->ntok);
    sb_puts(b, ",\"total_tokens\":");
    sb_u64(b, s->prompt_tokens + s->ntok);
    sb_puts(b, "}");
}

/* Appends one event as one HTTP chunk: "data: JSON\n\n", with the fault of its index. */
static void put_event(conn *c, sbuf *json, size_t pad_at, size_t pad_len, serve_fault f)
{
    sbuf *o = &c->out;
    size_t jl = json->len;
    if (f == SERVE_FAULT_MALFORMED_JSON)
        jl /= 2;
    bool sse_ok = f != SERVE_FAULT_MALFORMED_SSE;
    size_t n = (sse_ok ? 6 + jl + 2 : jl + 1) + pad_len;
    sb_hex(o, n);
    sb_puts(o, "\r\n");
    if (sse_ok)
        sb_puts(o, "data: ");
    if (pad_len) {
        sb_put(o, json->p, pad_at);
        c->pad_at = o->len;
        c->pad_left = pad_len;
        sb_put(o, json->p + pad_at, jl - pad_at);
    } else {
        sb_put(o, json->p, jl);
    }
    sb_puts(o, sse_ok ? "\n\n\r\n" : "\n\r\n");
}

static void put_raw_event(conn *c, const char *data)
{
    size_t n = strlen(data);
    sb_hex(&c->out, n);
    sb_puts(&c->out, "\r\n");
    sb_put(&c->out, data, n);
    sb_puts(&c->out, "\r\n");
}

static void stream_end(conn *c, bool done)
{
    worker *w = c->w;
    serve_stream *s = &c->st;
    if (done) {
        if (s->usage) {
            sbuf *b = &w->body;
            b->len = 0;
            event_head(w, b, s, true);
            sb_puts(b, ",\"choices\":[],");
            usage_obj(b, s);
            sb_puts(b, "}");
            put_event(c, b, 0, 0, SERVE_FAULT_COUNT);
        }
        put_raw_event(c, "data: [DONE]\n\n");
    }
    sb_puts(&c->out, "0\r\n\r\n");
    c->phase = PH_IDLE;
    if (c->close_after)
        c->closing = true;
}

void openai_stream_step(conn *c, uint64_t now)
{
    worker *w = c->w;
    serve_stream *s = &c->st;
    for (;;) {
        if (s->sent == s->fault_at &&
            (s->fault == SERVE_FAULT_RESET || s->fault == SERVE_FAULT_STALL ||
             s->fault == SERVE_FAULT_TRUNCATE)) {
            CNT_ADD(w->stats->faults[s->fault], 1);
            if (s->fault == SERVE_FAULT_TRUNCATE) {
                stream_end(c, false);
            } else {
                c->phase = PH_STALL;
                if (s->fault == SERVE_FAULT_RESET)
                    c->closing = c->reset = true;
            }
            return;
        }
        if (s->sent == s->ntok) {
            stream_end(c, true);
            return;
        }
        uint64_t due = s->t0_ns + s->ttft_ns + s->sent * s->tpot_ns;
        if (due > now) {
            conn_timer_set(c, due);
            return;
        }
        serve_fault f = s->sent == s->fault_at ? s->fault : SERVE_FAULT_COUNT;
        if (f == SERVE_FAULT_MALFORMED_JSON || f == SERVE_FAULT_MALFORMED_SSE ||
            f == SERVE_FAULT_OVERSIZE)
            CNT_ADD(w->stats->faults[f], 1);
        else
            f = SERVE_FAULT_COUNT;
        sbuf *b = &w->body;
        b->len = 0;
        event_head(w, b, s, true);
        size_t pad_at = 0, pad_len = 0;
        if (f == SERVE_FAULT_OVERSIZE) {
            sb_puts(b, ",\"padding\":\"");
            pad_at = b->len;
            pad_len = w->cfg->oversize_bytes;
            sb_puts(b, "\"");
        }
        const char *tok = VOCAB[s->sent % NVOCAB];
        bool last = s->sent + 1 == s->ntok;
        const char *fin = !last ? "null" : s->finish_length ? "\"length\"" : "\"stop\"";
        if (s->chat) {
            sb_puts(b, ",\"choices\":[{\"index\":0,\"delta\":{");
            if (s->sent == 0)
                sb_puts(b, "\"role\":\"assistant\",");
            sb_puts(b, "\"content\":\"");
            sb_puts(b, tok);
            sb_puts(b, "\"},\"logprobs\":null,\"finish_reason\":");
        } else {
            sb_puts(b, ",\"choices\":[{\"index\":0,\"text\":\"");
            sb_puts(b, tok);
            sb_puts(b, "\",\"logprobs\":null,\"finish_reason\":");
        }
        sb_puts(b, fin);
        sb_puts(b, "}]}");
        put_event(c, b, pad_at, pad_len, f);
        s->sent++;
        CNT_ADD(w->stats->tokens, 1);
    }
}

void openai_handle(conn *c, serve_endpoint ep, const char *body, size_t blen, uint64_t t0)
{
    worker *w = c->w;
    const serve_config *cfg = w->cfg;
    char msg[256];
    bool chat = ep == SERVE_EP_CHAT;
    js doc, v;
    if (!js_check(body, blen, &doc) || !js_is_obj(doc)) {
        conn_error(c, ep, 400, "the request's JSON is malformed or not an object", true, NULL);
        return;
    }
    if (js_get(doc, "model", &v) && !js_str_eq(v, cfg->model)) {
        int n = (int)(v.end - v.p);
        snprintf(msg, sizeof msg, "The model %.*s does not exist.", n < 130 ? n : 130, v.p);
        conn_error(c, ep, 404, msg, true, NULL);
        return;
    }
    uint64_t prompt = 0;
    if (chat) {
        if (!js_get(doc, "messages", &v) || !message_words(v, &prompt)) {
            conn_error(c, ep, 400, "'messages' is missing or not an array of objects", true,
                       NULL);
            return;
        }
    } else if (!js_get(doc, "prompt", &v) || !prompt_words(v, &prompt)) {
        conn_error(c, ep, 400, "'prompt' is missing or not a string or an array", true,
                   NULL);
        return;
    }
    uint64_t max_tokens = 0;
    bool has_max = false;
    if ((chat && js_get(doc, "max_completion_tokens", &v) && !js_is_null(v)) ||
        (js_get(doc, "max_tokens", &v) && !js_is_null(v))) {
        if (!js_u64(v, &max_tokens) || max_tokens < 1 || max_tokens > 1000000) {
            conn_error(c, ep, 400, "max_tokens must be an integer in [1, 1000000]", true, NULL);
            return;
        }
        has_max = true;
    }
    bool stream = js_get(doc, "stream", &v) && js_is_true(v);
    bool usage = false, ignore_eos = js_get(doc, "ignore_eos", &v) && js_is_true(v);
    js so;
    if (js_get(doc, "stream_options", &so) && js_get(so, "include_usage", &v))
        usage = js_is_true(v);
    /* The length: the request's max_tokens, or a draw capped by it (an end-of-sequence
     * token before the limit), exactly max_tokens when the request ignores EOS. */
    uint64_t n;
    if (cfg->len_dist == SERVE_LEN_MAX_TOKENS)
        n = has_max ? max_tokens : cfg->default_max_tokens;
    else {
        n = serve_draw_length(w);
        if (has_max && (ignore_eos || n > max_tokens))
            n = max_tokens;
    }
    serve_fault f = serve_draw_fault(w);
    if (conn_error_fault(c, ep, f, true))
        return;
    serve_stream *s = &c->st;
    memset(s, 0, sizeof *s);
    s->chat = chat;
    s->usage = usage && !cfg->omit_usage_event;
    s->ntok = n;
    s->prompt_tokens = prompt;
    s->t0_ns = t0;
    s->ttft_ns = (uint64_t)(cfg->ttft_ms * 1e6 + 0.5);
    s->tpot_ns = (uint64_t)(cfg->tpot_ms * 1e6 + 0.5);
    s->finish_length = has_max && n == max_tokens;
    s->created = (uint64_t)time(NULL);
    snprintf(s->id, sizeof s->id, "%s-%u-%llu", chat ? "chatcmpl" : "cmpl", w->index,
             (unsigned long long)++w->seq);
    if (stream) {
        s->fault = f;
        if (f == SERVE_FAULT_MALFORMED_JSON || f == SERVE_FAULT_MALFORMED_SSE)
            s->fault_at = cfg->fault_after < n ? cfg->fault_after : n - 1;
        else if (f == SERVE_FAULT_OVERSIZE)
            s->fault_at = 0;
        else
            s->fault_at = cfg->fault_after < n ? cfg->fault_after : n;
        serve_count(w, ep, 200);
        conn_stream_start(c);
        return;
    }
    if (f == SERVE_FAULT_MALFORMED_SSE)
        f = SERVE_FAULT_COUNT; /* a stream's fault: not one for a plain response */
    sbuf *b = &w->body;
    b->len = 0;
    event_head(w, b, s, false);
    size_t pad_at = 0, pad_len = 0;
    if (f == SERVE_FAULT_OVERSIZE) {
        sb_puts(b, ",\"padding\":\"");
        pad_at = b->len;
        pad_len = cfg->oversize_bytes;
        sb_puts(b, "\"");
    }
    sb_puts(b, chat ? ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                      "\"content\":\""
                    : ",\"choices\":[{\"index\":0,\"text\":\"");
    for (uint64_t i = 0; i < n; i++)
        sb_puts(b, VOCAB[i % NVOCAB]);
    sb_puts(b, chat ? "\"},\"logprobs\":null,\"finish_reason\":"
                    : "\",\"logprobs\":null,\"finish_reason\":");
    sb_puts(b, s->finish_length ? "\"length\"}]," : "\"stop\"}],");
    usage_obj(b, s);
    sb_puts(b, "}");
    if (b->oom) {
        b->len = 0;
        b->oom = false;
        conn_error(c, ep, 500, "out of memory", true, NULL);
        return;
    }
    if (f != SERVE_FAULT_RESET && f != SERVE_FAULT_STALL)
        CNT_ADD(w->stats->tokens, n);
    uint64_t delay = s->ttft_ns + (n - 1) * s->tpot_ns;
    serve_resp r = {.ep = ep, .status = 200, .ctype = "application/json", .body = b,
                    .pad_at = pad_at, .pad_len = pad_len, .fault = f,
                    .due_ns = delay ? t0 + delay : 0};
    conn_respond(c, &r);
}
