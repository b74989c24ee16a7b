/* net/openai_msg.c: OpenAI request bodies and the response/chunk parser
 * (net/openai_msg.h). The parser walks the object once with the in-place scanner
 * (net/jscan.h): members it wants are read where they stand, every other value is
 * skipped, which validates it, so each byte is looked at once. When a key appears twice
 * the last one wins, as in jansson and most JSON readers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/jscan.h"
#include "net/openai_msg.h"

/* ------------------------------------------------------------------ requests */

/* A writer that counts what does not fit, so that one pass both sizes and writes. */
typedef struct wr {
    char *p;
    size_t cap, len;
} wr;

static void w_put(wr *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->p + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void w_puts(wr *w, const char *s)
{
    w_put(w, s, strlen(s));
}

static void w_u64(wr *w, uint64_t v)
{
    char t[20];
    int k = 20;
    do {
        t[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    w_put(w, t + k, (size_t)(20 - k));
}

/* s[0..n) as a JSON string: quotes, backslashes and control bytes escaped; other bytes
 * (UTF-8 included) as they are. Plain runs are copied whole. */
static void w_str(wr *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    w_put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        w_put(w, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': case '\\': break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            memcpy(e, "\\u00", 4);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
        }
        w_put(w, e, el);
    }
    w_put(w, s + run, n - run);
    w_put(w, "\"", 1);
}

static const char *const BUILT_KEYS[] = {"model", "prompt", "messages", "max_tokens",
                                         "max_completion_tokens", "stream",
                                         "stream_options"};

int net_oai_extra_check(const char *json, size_t n, char *err, size_t errlen)
{
    const char *end = json + n, *p = net_js_ws(json, end), *v, *ve;
    net_js_str k;
    net_js_it it;
    int rc;
    if (!err || errlen == 0) {
        static char none[1];
        err = none, errlen = 1;
    }
    if (!net_js_valid(json, end) || !net_js_begin(&it, p, end, 0) || *p != '{') {
        snprintf(err, errlen, "the extra request fields are not a JSON object");
        return -EINVAL;
    }
    while ((rc = net_js_member(&it, &k, &v, &ve)) == 1)
        for (size_t i = 0; i < sizeof BUILT_KEYS / sizeof *BUILT_KEYS; i++)
            if (net_js_key_is(&k, BUILT_KEYS[i])) {
                snprintf(err, errlen,
                         "the extra request fields set '%s', which the request "
                         "itself writes",
                         BUILT_KEYS[i]);
                return -EINVAL;
            }
    err[0] = '\0';
    return 0;
}

/* The members of the extra object, between its braces, without white space around. */
static void extra_members(const char *json, size_t n, const char **m, size_t *mn)
{
    const char *end = json + n, *p = net_js_ws(json, end) + 1;
    const char *e = end;
    while (e > p && e[-1] != '}')
        e--;
    e--; /* at the closing brace */
    p = net_js_ws(p, e);
    while (e > p && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\t'))
        e--;
    *m = p;
    *mn = (size_t)(e - p);
}

static void w_messages(wr *w, const net_oai_request *r)
{
    w_puts(w, ",\"messages\":[");
    if (r->prompt) {
        w_puts(w, "{\"role\":\"user\",\"content\":");
        w_str(w, r->prompt, r->prompt_len);
        w_puts(w, "}");
    } else {
        for (size_t i = 0; i < r->n_messages; i++) {
            const net_oai_message *m = &r->messages[i];
            w_puts(w, i ? ",{\"role\":" : "{\"role\":");
            w_str(w, m->role, m->role_len);
            w_puts(w, ",\"content\":");
            w_str(w, m->content, m->content_len);
            w_puts(w, "}");
        }
    }
    w_puts(w, "]");
}

int net_oai_build(const net_oai_request *r, char *dst, size_t cap, size_t *len)
{
    bool chat = r->endpoint == NET_OAI_CHAT;
    *len = 0;
    if (!r->model || (!chat && !r->prompt) || (chat && !r->prompt && !r->messages) ||
        (r->extra && net_oai_extra_check(r->extra, r->extra_len, NULL, 0) != 0))
        return -EINVAL;
    wr w = {.p = dst, .cap = dst ? cap : 0};
    w_puts(&w, "{\"model\":");
    w_str(&w, r->model, strlen(r->model));
    if (chat) {
        w_messages(&w, r);
    } else {
        w_puts(&w, ",\"prompt\":");
        w_str(&w, r->prompt, r->prompt_len);
    }
    if (r->max_tokens) {
        w_puts(&w, chat && r->max_completion_tokens ? ",\"max_completion_tokens\":"
                                                    : ",\"max_tokens\":");
        w_u64(&w, r->max_tokens);
    }
    w_puts(&w, r->stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"
                         : ",\"stream\":false");
    if (r->extra) {
        const char *m;
        size_t mn;
        extra_members(r->extra, r->extra_len, &m, &mn);
        if (mn) {
            w_put(&w, ",", 1);
            w_put(&w, m, mn);
        }
    }
    w_put(&w, "}", 1);
    *len = w.len;
    if (w.len + 1 > w.cap) {
        if (w.cap)
            dst[w.cap - 1] = '\0';
        return -ENOSPC;
    }
    dst[w.len] = '\0';
    return 0;
}

/* ------------------------------------------------------------------ responses */

/* Parse failures carry their reason; the scanner's own failures are -EBADMSG. */
#define FAIL(out, rc, text) ((out)->why = (text), (rc))

static bool is_null(const char *v, const char *end)
{
    return end - v >= 4 && memcmp(v, "null", 4) == 0;
}

/* A string or null member: the string's body and its unescaped length, or NULL for
 * null. Returns past the value, NULL when it is something else (*bad set) or malformed
 * (*bad clear). */
static const char *str_or_null(const char *v, const char *end, const char **s, size_t *raw,
                               size_t *bytes, bool *bad)
{
    *bad = false;
    if (*v == '"') {
        const char *e = net_js_string(v, end, bytes);
        if (e) {
            *s = v + 1;
            *raw = (size_t)(e - v - 2);
        }
        return e;
    }
    if (is_null(v, end)) {
        *s = NULL;
        *raw = *bytes = 0;
        return v + 4;
    }
    *bad = net_js_value(v, end, 1) != NULL;
    return NULL;
}

/* delta or message: content, reasoning content, role. */
static int parse_delta(net_js_it *it, net_oai_chunk *out)
{
    net_js_str k;
    const char *v, *e;
    bool bad;
    int rc;
    while ((rc = net_js_key(it, &k, &v)) == 1) {
        if (net_js_key_is(&k, "content")) {
            e = str_or_null(v, it->end, &out->text, &out->text_raw_len, &out->text_bytes,
                            &bad);
            if (bad)
                return FAIL(out, -EPROTO, "choices[0]'s content is not a string");
        } else if (net_js_key_is(&k, "reasoning_content") ||
                   net_js_key_is(&k, "reasoning")) {
            e = str_or_null(v, it->end, &out->reasoning, &out->reasoning_raw_len,
                            &out->reasoning_bytes, &bad);
            if (bad)
                return FAIL(out, -EPROTO, "choices[0]'s reasoning is not a string");
        } else {
            if (net_js_key_is(&k, "role"))
                out->has_role = true;
            e = net_js_value(v, it->end, it->depth + 1);
        }
        if (!e)
            return FAIL(out, -EBADMSG, "malformed JSON");
        it->p = e;
    }
    return rc < 0 ? FAIL(out, -EBADMSG, "malformed JSON") : 0;
}

static int finish_reason(const char *v, net_js_it *it, net_oai_chunk *out)
{
    size_t bytes;
    bool bad;
    const char *e = str_or_null(v, it->end, &out->finish_reason, &out->finish_reason_len,
                                &bytes, &bad);
    if (bad)
        return FAIL(out, -EPROTO, "choices[0]'s finish_reason is not a string");
    if (!e)
        return FAIL(out, -EBADMSG, "malformed JSON");
    it->p = e;
    net_js_str s = {out->finish_reason, out->finish_reason_len, bytes};
    out->finish = !s.p                           ? NET_OAI_FINISH_NONE
                  : net_js_key_is(&s, "stop")     ? NET_OAI_FINISH_STOP
                  : net_js_key_is(&s, "length")   ? NET_OAI_FINISH_LENGTH
                                                  : NET_OAI_FINISH_OTHER;
    return 0;
}

/* The first choice: text (completions), delta or message (chat), finish_reason. */
static int parse_choice(const char *p, const char *end, int depth, const char **past,
                        net_oai_chunk *out)
{
    net_js_it it;
    net_js_str k;
    const char *v, *e;
    bool bad;
    int rc;
    if (*p != '{')
        return net_js_value(p, end, depth) ? FAIL(out, -EPROTO, "choices[0] is not an object")
                                           : FAIL(out, -EBADMSG, "malformed JSON");
    if (!net_js_begin(&it, p, end, depth))
        return FAIL(out, -EBADMSG, "malformed JSON");
    while ((rc = net_js_key(&it, &k, &v)) == 1) {
        if (net_js_key_is(&k, "text")) {
            e = str_or_null(v, end, &out->text, &out->text_raw_len, &out->text_bytes, &bad);
            if (bad)
                return FAIL(out, -EPROTO, "choices[0].text is not a string");
            if (!e)
                return FAIL(out, -EBADMSG, "malformed JSON");
            it.p = e;
        } else if (net_js_key_is(&k, "delta") || net_js_key_is(&k, "message")) {
            net_js_it d;
            if (is_null(v, end)) {
                it.p = v + 4;
            } else if (*v != '{') {
                return net_js_value(v, end, depth + 1)
                           ? FAIL(out, -EPROTO, "choices[0]'s delta or message is not an object")
                           : FAIL(out, -EBADMSG, "malformed JSON");
            } else {
                if (!net_js_begin(&d, v, end, depth + 1))
                    return FAIL(out, -EBADMSG, "malformed JSON");
                if ((rc = parse_delta(&d, out)) != 0)
                    return rc;
                it.p = d.p;
            }
        } else if (net_js_key_is(&k, "finish_reason")) {
            if ((rc = finish_reason(v, &it, out)) != 0)
                return rc;
        } else {
            if (!(e = net_js_value(v, end, depth + 1)))
                return FAIL(out, -EBADMSG, "malformed JSON");
            it.p = e;
        }
    }
    if (rc < 0)
        return FAIL(out, -EBADMSG, "malformed JSON");
    *past = it.p;
    return 0;
}

static int parse_choices(const char *v, const char *end, const char **past,
                         net_oai_chunk *out)
{
    /* A later "choices" replaces an earlier one entirely. */
    out->text = out->reasoning = out->finish_reason = NULL;
    out->text_raw_len = out->text_bytes = out->reasoning_raw_len = 0;
    out->reasoning_bytes = out->finish_reason_len = 0;
    out->has_role = false;
    out->n_choices = 0;
    out->finish = NET_OAI_FINISH_NONE;
    if (is_null(v, end)) {
        *past = v + 4;
        return 0;
    }
    net_js_it it;
    const char *e;
    int rc;
    if (!net_js_begin(&it, v, end, 1) || *v != '[')
        return net_js_value(v, end, 1) ? FAIL(out, -EPROTO, "choices is not an array")
                                       : FAIL(out, -EBADMSG, "malformed JSON");
    while ((rc = net_js_next(&it, &e)) == 1) {
        if (out->n_choices++ == 0) {
            if ((rc = parse_choice(e, end, 2, &it.p, out)) != 0)
                return rc;
        } else if (!(it.p = net_js_value(e, end, 2))) {
            return FAIL(out, -EBADMSG, "malformed JSON");
        }
    }
    if (rc < 0)
        return FAIL(out, -EBADMSG, "malformed JSON");
    *past = it.p;
    return 0;
}

/* A token count: a non-negative integer, or null (absent). */
static int count(const char *v, const char *e, bool *has, uint64_t *n, net_oai_chunk *out)
{
    if (is_null(v, e)) {
        *has = false;
        *n = 0;
        return 0;
    }
    if (!net_js_u64(v, e, n))
        return FAIL(out, -EPROTO, "a usage count is not a non-negative integer");
    *has = true;
    return 0;
}

static int parse_usage(const char *v, const char *end, const char **past, net_oai_chunk *out)
{
    out->has_usage = out->has_prompt_tokens = out->has_completion_tokens = false;
    out->prompt_tokens = out->completion_tokens = 0;
    if (is_null(v, end)) {
        *past = v + 4;
        return 0;
    }
    net_js_it it;
    net_js_str k;
    const char *u, *ue;
    int rc;
    if (!net_js_begin(&it, v, end, 1) || *v != '{')
        return net_js_value(v, end, 1) ? FAIL(out, -EPROTO, "usage is not an object")
                                       : FAIL(out, -EBADMSG, "malformed JSON");
    out->has_usage = true;
    while ((rc = net_js_member(&it, &k, &u, &ue)) == 1) {
        if (net_js_key_is(&k, "prompt_tokens"))
            rc = count(u, ue, &out->has_prompt_tokens, &out->prompt_tokens, out);
        else if (net_js_key_is(&k, "completion_tokens"))
            rc = count(u, ue, &out->has_completion_tokens, &out->completion_tokens, out);
        else
            rc = 0;
        if (rc)
            return rc;
    }
    if (rc < 0)
        return FAIL(out, -EBADMSG, "malformed JSON");
    *past = it.p;
    return 0;
}

/* "error": an object with a message, or a message alone. */
static int parse_error(const char *v, const char *end, const char **past, net_oai_chunk *out)
{
    out->is_error = false;
    out->error_message = NULL;
    out->error_message_len = 0;
    net_js_it it;
    net_js_str k;
    const char *m, *me;
    size_t bytes;
    bool bad;
    int rc;
    if (*v != '{') {
        const char *e = str_or_null(v, end, &out->error_message, &out->error_message_len,
                                    &bytes, &bad);
        if (!e)
            return bad ? FAIL(out, -EPROTO, "error is not an object or a string")
                       : FAIL(out, -EBADMSG, "malformed JSON");
        out->is_error = out->error_message != NULL;
        *past = e;
        return 0;
    }
    if (!net_js_begin(&it, v, end, 1))
        return FAIL(out, -EBADMSG, "malformed JSON");
    out->is_error = true;
    while ((rc = net_js_member(&it, &k, &m, &me)) == 1)
        if (net_js_key_is(&k, "message") && *m == '"') {
            out->error_message = m + 1;
            out->error_message_len = (size_t)(me - m - 2);
        }
    if (rc < 0)
        return FAIL(out, -EBADMSG, "malformed JSON");
    *past = it.p;
    return 0;
}

/* The top-level members; *obj_error and the message for vLLM's {"object":"error"}. */
static int parse_top(net_js_it *it, net_oai_chunk *out, bool *obj_error, const char **msg,
                     size_t *msg_len)
{
    net_js_str k;
    const char *v, *e = NULL;
    int rc;
    while ((rc = net_js_key(it, &k, &v)) == 1) {
        if (net_js_key_is(&k, "choices")) {
            rc = parse_choices(v, it->end, &e, out);
        } else if (net_js_key_is(&k, "usage")) {
            rc = parse_usage(v, it->end, &e, out);
        } else if (net_js_key_is(&k, "error")) {
            rc = parse_error(v, it->end, &e, out);
        } else {
            rc = 0;
            e = net_js_value(v, it->end, 1);
            if (!e)
                return FAIL(out, -EBADMSG, "malformed JSON");
            bool str = *v == '"';
            net_js_str sv = {v + 1, str ? (size_t)(e - v - 2) : 0, 0};
            if (net_js_key_is(&k, "object")) {
                *obj_error = str && net_js_string(v, e, &sv.bytes) &&
                             net_js_key_is(&sv, "error");
            } else if (net_js_key_is(&k, "message")) {
                *msg = str ? sv.p : NULL;
                *msg_len = sv.raw;
            }
        }
        if (rc)
            return rc;
        it->p = e;
    }
    return rc < 0 ? FAIL(out, -EBADMSG, "malformed JSON") : 0;
}

int net_oai_parse(const char *json, size_t n, net_oai_chunk *out)
{
    memset(out, 0, sizeof *out);
    const char *end = json + n, *p = net_js_ws(json, end);
    net_js_it it;
    if (p >= end || *p != '{')
        return FAIL(out, -EBADMSG, net_js_valid(json, end) ? "the JSON is not an object"
                                                           : "malformed JSON");
    if (!net_js_begin(&it, p, end, 0))
        return FAIL(out, -EBADMSG, "malformed JSON");
    bool obj_error = false;
    const char *msg = NULL;
    size_t msg_len = 0;
    int rc = parse_top(&it, out, &obj_error, &msg, &msg_len);
    if (rc == 0 && net_js_ws(it.p, end) != end)
        rc = FAIL(out, -EBADMSG, "text after the JSON object");
    /* A wrong type is found before the rest is read: malformed JSON takes precedence. */
    if (rc == -EPROTO && !net_js_valid(json, end))
        rc = FAIL(out, -EBADMSG, "malformed JSON");
    if (rc) {
        const char *why = out->why;
        memset(out, 0, sizeof *out);
        out->why = why;
        return rc;
    }
    if (obj_error) {
        out->is_error = true;
        if (!out->error_message) {
            out->error_message = msg;
            out->error_message_len = msg_len;
        }
    }
    out->has_content = out->text_bytes + out->reasoning_bytes > 0;
    return 0;
}

size_t net_oai_unescape(const char *raw, size_t raw_len, char *dst)
{
    return net_js_unescape(raw, raw_len, dst);
}
