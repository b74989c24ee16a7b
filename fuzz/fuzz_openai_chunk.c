/* fuzz_openai_chunk.c: libFuzzer target for the OpenAI response and chunk parser
 * (net_oai_parse, on the in-place scanner of net/jscan.c). The input is one chunk's
 * JSON. Besides never crashing or reading out of bounds, the parser must agree with
 * jansson, read here as the reference:
 *  - it accepts exactly the texts jansson accepts as a JSON object (left out: what the
 *    scanner does not promise to match, i.e. bytes that are not UTF-8, NUL bytes and
 *    \u0000, numbers jansson cannot hold, nesting deeper than the scanner's limit);
 *  - on those, it finds the same shape errors, the same choices[0] text, reasoning,
 *    finish reason, usage counts and error, computed from jansson's tree by the rules
 *    net/openai_msg.h states (when no key is given twice, where "last wins" depends on
 *    the order jansson does not keep);
 *  - the slices it returns lie inside the input, and unescaping the text gives as many
 *    bytes as it counted. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz/check.h"
#include "net/jscan.h"
#include "net/openai_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), as jansson
 * checks it. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            k = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
            k = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
            k = 3, cp = c & 0x07;
        else
            return false;
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* The deepest nesting of brackets outside strings. */
static int depth(const uint8_t *s, size_t n)
{
    int d = 0, max = 0;
    bool str = false;
    for (size_t i = 0; i < n; i++) {
        if (str) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                str = false;
        } else if (s[i] == '"') {
            str = true;
        } else if (s[i] == '[' || s[i] == '{') {
            if (++d > max)
                max = d;
        } else if (s[i] == ']' || s[i] == '}') {
            d--;
        }
    }
    return max;
}

/* ------------------------------------------------------------------ the expectation */

typedef struct expect {
    int rc; /* 0 or -EPROTO */
    const json_t *text, *reasoning, *finish, *error_message;
    bool has_role, has_usage, is_error;
    uint32_t n_choices;
    int64_t prompt, completion; /* -1 when absent */
} expect;

static bool str_or_null(const json_t *v, const json_t **out)
{
    if (json_is_null(v)) {
        *out = NULL;
        return true;
    }
    *out = v;
    return json_is_string(v);
}

static int count(const json_t *v, int64_t *out)
{
    if (json_is_null(v)) {
        *out = -1;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -EPROTO;
    *out = json_integer_value(v);
    return 0;
}

/* choices[0]: "text", "delta" / "message" {content, reasoning_content, reasoning, role},
 * "finish_reason". The caller made sure at most one of text, delta, message and one of
 * the reasoning keys appear. */
static int choice(const json_t *c, expect *e)
{
    const char *key;
    const json_t *v, *w;
    if (!json_is_object(c))
        return -EPROTO;
    json_object_foreach((json_t *)c, key, v) {
        if (strcmp(key, "text") == 0 && !str_or_null(v, &e->text))
            return -EPROTO;
        if (strcmp(key, "finish_reason") == 0 && !str_or_null(v, &e->finish))
            return -EPROTO;
        if (strcmp(key, "delta") != 0 && strcmp(key, "message") != 0)
            continue;
        if (json_is_null(v))
            continue;
        if (!json_is_object(v))
            return -EPROTO;
        const char *k2;
        json_object_foreach((json_t *)v, k2, w) {
            if (strcmp(k2, "content") == 0 && !str_or_null(w, &e->text))
                return -EPROTO;
            if ((strcmp(k2, "reasoning_content") == 0 || strcmp(k2, "reasoning") == 0) &&
                !str_or_null(w, &e->reasoning))
                return -EPROTO;
            if (strcmp(k2, "role") == 0)
                e->has_role = true;
        }
    }
    return 0;
}

static int top(const json_t *o, expect *e)
{
    const json_t *v;
    e->prompt = e->completion = -1;
    if ((v = json_object_get(o, "choices")) && !json_is_null(v)) {
        if (!json_is_array(v))
            return -EPROTO;
        e->n_choices = (uint32_t)json_array_size(v);
        if (e->n_choices && choice(json_array_get(v, 0), e))
            return -EPROTO;
    }
    if ((v = json_object_get(o, "usage")) && !json_is_null(v)) {
        if (!json_is_object(v))
            return -EPROTO;
        e->has_usage = true;
        const json_t *u;
        if ((u = json_object_get(v, "prompt_tokens")) && count(u, &e->prompt))
            return -EPROTO;
        if ((u = json_object_get(v, "completion_tokens")) && count(u, &e->completion))
            return -EPROTO;
    }
    if ((v = json_object_get(o, "error")) && !json_is_null(v)) {
        e->is_error = true;
        if (json_is_string(v))
            e->error_message = v;
        else if (json_is_object(v))
            e->error_message = json_is_string(json_object_get(v, "message"))
                                   ? json_object_get(v, "message") : NULL;
        else
            return -EPROTO;
    }
    v = json_object_get(o, "object");
    if (json_is_string(v) && strcmp(json_string_value(v), "error") == 0) {
        e->is_error = true;
        if (!e->error_message && json_is_string(json_object_get(o, "message")))
            e->error_message = json_object_get(o, "message");
    }
    return 0;
}

/* The choice's keys that fill the same slot appear at most once each. */
static bool unambiguous(const json_t *o)
{
    const json_t *c = json_array_get(json_object_get(o, "choices"), 0);
    if (!json_is_object(c))
        return true;
    int slots = !!json_object_get(c, "text");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)c, key, v) {
        if ((strcmp(key, "delta") == 0 || strcmp(key, "message") == 0) && json_is_object(v)) {
            slots++;
            if (json_object_get(v, "reasoning_content") && json_object_get(v, "reasoning"))
                return false;
        }
    }
    int containers = !!json_object_get(c, "delta") + !!json_object_get(c, "message");
    return slots <= 1 && containers <= 1;
}

/* ------------------------------------------------------------------ comparison */

static void same_string(const char *raw, size_t raw_len, size_t bytes, const json_t *want)
{
    if (!want) {
        CHECK(raw == NULL);
        return;
    }
    CHECK(raw != NULL);
    CHECK(bytes == json_string_length(want));
    char *buf = malloc(raw_len + 1);
    CHECK(buf);
    size_t n = net_oai_unescape(raw, raw_len, buf);
    CHECK(n == bytes && memcmp(buf, json_string_value(want), n) == 0);
    free(buf);
}

static void compare(const net_oai_chunk *c, const expect *e)
{
    same_string(c->text, c->text_raw_len, c->text_bytes, e->text);
    same_string(c->reasoning, c->reasoning_raw_len, c->reasoning_bytes, e->reasoning);
    CHECK(c->n_choices == e->n_choices);
    CHECK(c->has_role == e->has_role);
    CHECK(c->has_usage == e->has_usage);
    CHECK(c->has_prompt_tokens == (e->prompt >= 0));
    CHECK(c->has_completion_tokens == (e->completion >= 0));
    CHECK(!c->has_prompt_tokens || c->prompt_tokens == (uint64_t)e->prompt);
    CHECK(!c->has_completion_tokens || c->completion_tokens == (uint64_t)e->completion);
    CHECK(c->is_error == e->is_error);
    if (e->error_message) {
        size_t bytes;
        const char *q = c->error_message - 1;
        CHECK(c->error_message && net_js_string(q, q + c->error_message_len + 2, &bytes));
        same_string(c->error_message, c->error_message_len, bytes, e->error_message);
    } else {
        CHECK(c->error_message == NULL);
    }
    const char *f = e->finish ? json_string_value(e->finish) : NULL;
    net_oai_finish want = !f                       ? NET_OAI_FINISH_NONE
                          : strcmp(f, "stop") == 0   ? NET_OAI_FINISH_STOP
                          : strcmp(f, "length") == 0 ? NET_OAI_FINISH_LENGTH
                                                     : NET_OAI_FINISH_OTHER;
    CHECK(c->finish == want);
}

/* The promises that hold whatever jansson says. */
static void self_checks(const uint8_t *data, size_t size, int rc, const net_oai_chunk *c)
{
    const char *lo = (const char *)data, *hi = lo + size;
    CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO);
    if (rc) {
        CHECK(c->why && c->why[0]);
        CHECK(!c->text && !c->has_content);
        return;
    }
    CHECK(c->has_content == (c->text_bytes + c->reasoning_bytes > 0));
    CHECK(!c->text || (c->text > lo && c->text + c->text_raw_len < hi));
    CHECK(!c->reasoning || (c->reasoning > lo && c->reasoning + c->reasoning_raw_len < hi));
    if (c->text) {
        char *buf = malloc(c->text_raw_len + 1);
        CHECK(buf);
        CHECK(net_oai_unescape(c->text, c->text_raw_len, buf) == c->text_bytes);
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    net_oai_chunk c;
    int rc = net_oai_parse((const char *)data, size, &c);
    self_checks(data, size, rc, &c);
    /* Left out: jansson takes a NUL byte after a number for the end of the text, and
     * cannot tell "-0" (refused as a count) from 0. */
    if (!utf8_ok(data, size) || depth(data, size) > 60 || memchr(data, 0, size) ||
        memmem(data, size, "-0", 2))
        return 0;
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (!j) {
        enum json_error_code code = json_error_code(&je);
        if (code != json_error_null_character && code != json_error_numeric_overflow &&
            code != json_error_null_byte_in_key)
            CHECK(rc == -EBADMSG);
        return 0;
    }
    if (!json_is_object(j)) {
        CHECK(rc == -EBADMSG);
    } else {
        CHECK(rc != -EBADMSG);
        json_t *strict = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
        if (strict && unambiguous(j)) {
            expect e = {0};
            int want = top(j, &e);
            CHECK(rc == want);
            if (rc == 0)
                compare(&c, &e);
        }
        json_decref(strict);
    }
    json_decref(j);
    return 0;
}
