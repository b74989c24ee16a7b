/* net/openai_msg.h: the JSON of OpenAI-compatible completions, both ways.
 *
 * Requests: the body of a POST to /v1/completions (a prompt) or /v1/chat/completions
 * (messages), written into a caller-owned buffer. The intended use is to build each
 * dataset sample's body once, before a run (net/dataset.h does), so that issuing a
 * request copies bytes and formats nothing.
 *
 * Responses: one parser for a plain response and for each streamed chunk (the "data:"
 * of one server-sent event, net/sse.h). It reads choices[0]'s text wherever the shapes
 * put it (completions: "text"; chat, streamed: "delta"."content"; chat, plain:
 * "message"."content"), the reasoning text of reasoning models ("reasoning_content"
 * beside "content"), the finish reason, the usage counts (a final chunk may carry only
 * them, with "choices": []), and an error sent inside a stream ({"error": {...}} or
 * vLLM's {"object": "error", "message": ...}). It validates the whole text as JSON in
 * one pass, allocates nothing and copies nothing: text comes back as a slice of the
 * input, still escaped, with its unescaped length; net_oai_unescape decodes it when the
 * text itself is wanted (accuracy runs).
 *
 * Why not jansson: on the same vLLM-shaped chunks (bench/bench_openai.c, docs/http.md)
 * this takes 190-360 ns a chunk and jansson 15-24 times as long: at 800,000 chunks a
 * second (50,000 requests of 16 tokens) 0.15-0.29 of a core against 2.7-4.5.
 * fuzz/fuzz_openai_chunk.c holds the scanner to jansson's answers.
 *
 * Errors are negative errno values. Thread safety: pure functions over caller-owned
 * memory. */
#ifndef NET_OPENAI_MSG_H
#define NET_OPENAI_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ requests */

typedef enum net_oai_endpoint {
    NET_OAI_COMPLETIONS, /* /v1/completions: "prompt" */
    NET_OAI_CHAT,        /* /v1/chat/completions: "messages" */
} net_oai_endpoint;

/* One chat message: its role ("system", "user", "assistant", ...) and its text, both
 * as plain bytes (escaped when written). */
typedef struct net_oai_message {
    const char *role;
    size_t role_len;
    const char *content;
    size_t content_len;
} net_oai_message;

typedef struct net_oai_request {
    net_oai_endpoint endpoint;
    const char *model;                 /* NUL-terminated; required */
    const char *prompt;                /* the prompt's bytes (completions; for chat, */
    size_t prompt_len;                 /*   sent as one "user" message) */
    const net_oai_message *messages;   /* chat: used when prompt is NULL */
    size_t n_messages;
    uint64_t max_tokens;               /* 0: not sent (the server's default) */
    bool max_completion_tokens;        /* chat: name it "max_completion_tokens", OpenAI's
                                          current name, instead of "max_tokens" */
    bool stream;                       /* adds "stream_options":{"include_usage":true} */
    const char *extra;                 /* NULL, or a JSON object whose members are added */
    size_t extra_len;                  /*   to the body (checked: net_oai_extra_check) */
} net_oai_request;

/*
 * Writes the request body
 *   {"model":M,"prompt":P | "messages":[{"role":R,"content":C},...],
 *    "max_tokens":N,"stream":true,"stream_options":{"include_usage":true}, EXTRA...}
 * into dst[0..cap), NUL-terminated. *len receives the body's length (without the NUL)
 * in every case, so a call with cap 0 (dst may be NULL) sizes the buffer.
 * Returns 0; -ENOSPC when cap < *len + 1 (dst then holds a truncated prefix); -EINVAL
 * for a missing model, a chat request without prompt or messages, a completions request
 * without prompt, or an extra that net_oai_extra_check refuses.
 */
int net_oai_build(const net_oai_request *r, char *dst, size_t cap, size_t *len);

/*
 * Checks the extra members of a request: a JSON object ("{}" allowed) none of whose keys
 * is one the builder writes (model, prompt, messages, max_tokens, max_completion_tokens,
 * stream, stream_options), since a JSON key given twice means different things to
 * different servers. Returns 0, or -EINVAL with a one-line reason in err.
 */
int net_oai_extra_check(const char *json, size_t n, char *err, size_t errlen);

/* ------------------------------------------------------------------ responses */

typedef enum net_oai_finish {
    NET_OAI_FINISH_NONE,   /* null or absent: the generation goes on */
    NET_OAI_FINISH_STOP,   /* "stop": an end-of-sequence or stop string */
    NET_OAI_FINISH_LENGTH, /* "length": max_tokens reached */
    NET_OAI_FINISH_OTHER,  /* anything else ("tool_calls", "content_filter", "abort") */
} net_oai_finish;

/* What one response or chunk said. Slices point into the parsed text. */
typedef struct net_oai_chunk {
    const char *text;          /* choices[0]'s text or content: the string's body, */
    size_t text_raw_len;       /*   escapes as sent; NULL when absent or null */
    size_t text_bytes;         /* its length unescaped, in bytes of UTF-8 */
    const char *reasoning;     /* choices[0]'s reasoning_content, the same way */
    size_t reasoning_raw_len;
    size_t reasoning_bytes;
    bool has_content;          /* text_bytes + reasoning_bytes > 0: the chunk carried
                                  generated text (a first chat delta with only a role,
                                  or an empty content, did not) */
    bool has_role;             /* the delta or message named a role */
    uint32_t n_choices;        /* elements of "choices" (0 when absent or null) */
    net_oai_finish finish;
    const char *finish_reason; /* its string's body, NULL when null or absent */
    size_t finish_reason_len;
    bool has_usage;            /* "usage" was an object */
    bool has_prompt_tokens, has_completion_tokens;
    uint64_t prompt_tokens, completion_tokens;
    bool is_error;             /* the server reported an error */
    const char *error_message; /* its message's body (escaped), NULL when none */
    size_t error_message_len;
    const char *why;           /* after a failed parse: what was wrong (static text) */
} net_oai_chunk;

/*
 * Parses one response body or one chunk's JSON, json[0..n), into *out (fully
 * overwritten). An error reported by the server is not a parse failure: the result is
 * 0 with out->is_error set.
 * Returns 0; -EBADMSG when the text is not JSON, or not an object; -EPROTO when it is
 * an object whose known members have the wrong types ("choices" not an array, "text"
 * not a string, a negative token count, ...). out->why names the problem on failure.
 */
int net_oai_parse(const char *json, size_t n, net_oai_chunk *out);

/* Unescapes a string body from net_oai_parse (text, reasoning, finish_reason,
 * error_message) into dst, which needs raw_len bytes at most; returns the bytes written
 * (for text, out->text_bytes). No NUL is added. */
size_t net_oai_unescape(const char *raw, size_t raw_len, char *dst);

#endif /* NET_OPENAI_MSG_H */
