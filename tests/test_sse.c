/* test_sse.c: the server-sent events parser (net/sse.c): every rule of the event-stream
 * format (line ends, split CRLF, fields, multi-line data, comments, the BOM, ids and
 * retries), its limits, the callback's stop, reuse after reset, and the same events
 * from any split of the same bytes. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sse.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

/* The events seen, one "type|data|id" string each. */
typedef struct seen {
    char *ev[64];
    size_t n;
    int done_at; /* index of the [DONE] event, -1 */
    int stop_after;
    uint64_t next_index; /* the index the next event must carry (0 after a reset) */
} seen;

static int collect(void *ctx, const net_sse_event *e)
{
    seen *s = ctx;
    cr_assert_lt(s->n, 64);
    cr_assert_eq(e->index, s->next_index++, "events are numbered in order");
    cr_assert_eq(e->data[e->data_len], '\0', "data is NUL-terminated");
    size_t len = e->type_len + e->data_len + e->id_len + 3;
    char *t = malloc(len);
    snprintf(t, len, "%.*s|%.*s|%.*s", (int)e->type_len, e->type, (int)e->data_len, e->data,
             (int)e->id_len, e->id);
    if (e->done)
        s->done_at = (int)s->n;
    s->ev[s->n++] = t;
    return s->stop_after > 0 && (int)s->n == s->stop_after ? 7 : 0;
}

static void seen_init(seen *s)
{
    memset(s, 0, sizeof *s);
    s->done_at = -1;
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ev[i]);
    s->n = 0;
}

/* Parses text in one feed, returns the parser's result; events into s. */
static int parse_all(net_sse *p, seen *s, const char *text, size_t n)
{
    return net_sse_feed(p, text, n, collect, s);
}

/* Resets the parser for a new stream, and the index the events must start from. */
static void restart(net_sse *p, seen *s)
{
    net_sse_reset(p);
    s->next_index = 0;
}

#define PARSE1(p, s, lit) parse_all(p, s, lit, sizeof(lit) - 1)

Test(sse, one_event_with_lf, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "data: hello\n\n"), 0);
    cr_assert_eq(s.n, 1);
    cr_expect_str_eq(s.ev[0], "message|hello|");
    cr_expect(net_sse_idle(&p));
    cr_expect_eq(p.fed, 13);
    cr_expect_eq(p.events, 1);
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, crlf_and_cr_line_ends, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "data: a\r\n\r\ndata: b\r\rdata: c\n\n"), 0);
    cr_assert_eq(s.n, 3);
    cr_expect_str_eq(s.ev[0], "message|a|");
    cr_expect_str_eq(s.ev[1], "message|b|");
    cr_expect_str_eq(s.ev[2], "message|c|");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, crlf_split_over_two_feeds_is_one_line_end, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    /* The CR ends one feed, its LF starts the next: not a blank line in between. */
    cr_assert_eq(PARSE1(&p, &s, "data: a\r"), 0);
    cr_assert_eq(PARSE1(&p, &s, "\ndata: b\r"), 0);
    cr_assert_eq(s.n, 0, "no blank line yet");
    cr_assert_eq(PARSE1(&p, &s, "\n\r"), 0);
    cr_assert_eq(s.n, 1);
    cr_expect_str_eq(s.ev[0], "message|a\nb|");
    cr_assert_eq(PARSE1(&p, &s, "\n"), 0);
    cr_expect_eq(s.n, 1, "the LF after the blank line's CR is not a second blank line");
    cr_assert_eq(PARSE1(&p, &s, "data: c\r\r\n"), 0);
    cr_expect_eq(s.n, 2, "CR CR: the second CR is the blank line; its LF belongs to it");
    cr_expect(net_sse_idle(&p));
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, multi_line_data_is_joined_with_lf, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "data: one\ndata:two\ndata:  three\ndata\ndata:\n\n"), 0);
    cr_assert_eq(s.n, 1);
    cr_expect_str_eq(s.ev[0], "message|one\ntwo\n three\n\n|",
                     "one space dropped, no more; empty lines kept");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, empty_data_line_dispatches_an_empty_event, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "data\n\ndata:\n\n"), 0);
    cr_assert_eq(s.n, 2);
    cr_expect_str_eq(s.ev[0], "message||");
    cr_expect_str_eq(s.ev[1], "message||");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, event_type_applies_to_one_event, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "event: update\ndata: 1\n\ndata: 2\n\n"
                                "event: lost\n\ndata: 3\n\nevent: a\nevent: b\ndata: 4\n\n"),
                 0);
    cr_assert_eq(s.n, 4);
    cr_expect_str_eq(s.ev[0], "update|1|");
    cr_expect_str_eq(s.ev[1], "message|2|");
    cr_expect_str_eq(s.ev[2], "message|3|", "a blank line without data clears the type");
    cr_expect_str_eq(s.ev[3], "b|4|", "the last event field wins");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, id_persists_and_a_nul_id_is_ignored, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    static const char text[] = "id: 7\ndata: a\n\ndata: b\n\nid: 8\0x\ndata: c\n\n"
                               "id\ndata: d\n\n";
    cr_assert_eq(parse_all(&p, &s, text, sizeof text - 1), 0);
    cr_assert_eq(s.n, 4);
    cr_expect_str_eq(s.ev[0], "message|a|7");
    cr_expect_str_eq(s.ev[1], "message|b|7", "the last event id stays");
    cr_expect_str_eq(s.ev[2], "message|c|7", "an id holding NUL is ignored");
    cr_expect_str_eq(s.ev[3], "message|d|", "an empty id clears it");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, retry_needs_digits_only, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_expect_eq(p.retry_ms, -1);
    cr_assert_eq(PARSE1(&p, &s, "retry: 1500\n"), 0);
    cr_expect_eq(p.retry_ms, 1500);
    cr_assert_eq(PARSE1(&p, &s, "retry: 15x\nretry:\nretry\nretry: -3\nretry:  9\n"), 0);
    cr_expect_eq(p.retry_ms, 1500, "not digits, empty, or a second space: ignored");
    cr_assert_eq(PARSE1(&p, &s, "retry: 99999999999999999999999\n"), 0);
    cr_expect_eq(p.retry_ms, INT64_MAX, "saturates");
    cr_expect_eq(s.n, 0);
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, comments_and_unknown_fields_are_ignored_at_any_length, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 64);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, ": ping\n\n:\nfoo: bar\ndatax: y\nData: z\ndata: x\n\n"), 0);
    cr_assert_eq(s.n, 1);
    cr_expect_str_eq(s.ev[0], "message|x|");
    /* A comment and an unknown field far longer than the limit cost nothing. */
    size_t big = 100000;
    char *c = malloc(big);
    memset(c, 'c', big);
    c[0] = ':';
    cr_assert_eq(parse_all(&p, &s, c, big), 0);
    cr_assert_eq(PARSE1(&p, &s, "\nlongfieldname"), 0);
    cr_assert_eq(parse_all(&p, &s, c, big), 0);
    cr_assert_eq(PARSE1(&p, &s, "\ndata: y\n\n"), 0);
    cr_assert_eq(s.n, 2);
    cr_expect_str_eq(s.ev[1], "message|y|");
    cr_expect_leq(p.data.cap, 65, "no buffer grew past the limit");
    free(c);
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, bom_at_the_start_is_skipped_even_split, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "\xEF"), 0);
    cr_assert_eq(PARSE1(&p, &s, "\xBB"), 0);
    cr_assert_eq(PARSE1(&p, &s, "\xBF" "data: a\n\n"), 0);
    cr_assert_eq(s.n, 1);
    cr_expect_str_eq(s.ev[0], "message|a|");
    /* Only at the start: a second BOM is part of the next line's field name. */
    restart(&p, &s);
    cr_assert_eq(PARSE1(&p, &s, "\xEF\xBB\xBF\xEF\xBB\xBF" "data: b\n\ndata: c\n\n"), 0);
    cr_assert_eq(s.n, 2);
    cr_expect_str_eq(s.ev[1], "message|c|");
    /* Bytes that began like a BOM but were not are parsed: EF then 'x' is a name. */
    restart(&p, &s);
    cr_assert_eq(PARSE1(&p, &s, "\xEF"), 0);
    cr_assert_eq(PARSE1(&p, &s, "data: d\n\ndata: e\n\n"), 0);
    cr_assert_eq(s.n, 3);
    cr_expect_str_eq(s.ev[2], "message|e|", "the first line's name was EF 'data'");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, done_is_flagged, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "data: {}\n\ndata: [DONE] \n\ndata: [DONE]\n\n"), 0);
    cr_assert_eq(s.n, 3);
    cr_expect_eq(s.done_at, 2, "only the exact [DONE]");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, a_field_over_the_limit_fails_the_stream, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 16);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "data: 0123456789abcdef\n\n"), 0, "16 bytes fit");
    cr_assert_eq(s.n, 1);
    cr_assert_eq(PARSE1(&p, &s, "data: 01234567\n"), 0);
    cr_assert_eq(PARSE1(&p, &s, "data: 0123456"), 0, "8 + LF + 7 = 16 so far");
    cr_assert_eq(PARSE1(&p, &s, "7"), -EMSGSIZE, "the 17th byte");
    cr_expect_eq(PARSE1(&p, &s, "\n\ndata: x\n\n"), -EMSGSIZE, "the error stays");
    cr_expect_eq(s.n, 1);
    cr_expect_str_eq(net_sse_strerror(-EMSGSIZE),
                     "an event's data, type or id is larger than the limit");
    restart(&p, &s);
    cr_assert_eq(PARSE1(&p, &s, "data: x\n\n"), 0, "reset clears the error");
    cr_expect_eq(s.n, 2);
    cr_assert_eq(PARSE1(&p, &s, "event: 0123456789abcdefg\n"), -EMSGSIZE);
    restart(&p, &s);
    cr_assert_eq(PARSE1(&p, &s, "id: 0123456789abcdefg\n"), -EMSGSIZE);
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, a_large_event_over_many_feeds, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 2u << 20);
    seen_init(&s);
    size_t n = 1u << 20;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    cr_assert_eq(PARSE1(&p, &s, "data: "), 0);
    for (size_t off = 0; off < n; off += 1000)
        cr_assert_eq(parse_all(&p, &s, big + off, n - off < 1000 ? n - off : 1000), 0);
    cr_assert_eq(PARSE1(&p, &s, "\n\n"), 0);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(strlen(s.ev[0]), n + strlen("message||"));
    cr_expect_eq(memcmp(s.ev[0] + strlen("message|"), big, n), 0);
    free(big);
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, callback_stop_and_resume, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    s.stop_after = 1;
    static const char text[] = "data: a\r\n\r\ndata: b\n\n";
    cr_assert_eq(parse_all(&p, &s, text, sizeof text - 1), 7, "the callback's value");
    cr_assert_eq(s.n, 1);
    cr_assert_eq(p.fed, 10, "up to the blank line's CR");
    s.stop_after = 0;
    cr_assert_eq(parse_all(&p, &s, text + p.fed, sizeof text - 1 - 10), 0);
    cr_assert_eq(s.n, 2, "the rest parses; its LF ended the blank line");
    cr_expect_str_eq(s.ev[1], "message|b|");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, idle_only_between_events, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_expect(net_sse_idle(&p));
    PARSE1(&p, &s, ": keep-alive\n");
    cr_expect(net_sse_idle(&p), "a whole comment loses nothing");
    PARSE1(&p, &s, "data: x");
    cr_expect_not(net_sse_idle(&p), "a partial line");
    PARSE1(&p, &s, "\n");
    cr_expect_not(net_sse_idle(&p), "a field without its blank line");
    PARSE1(&p, &s, "\n");
    cr_expect(net_sse_idle(&p));
    PARSE1(&p, &s, "\xEF\xBB");
    restart(&p, &s);
    PARSE1(&p, &s, "\xEF\xBB");
    cr_expect_not(net_sse_idle(&p), "a partial BOM");
    seen_free(&s);
    net_sse_free(&p);
}

Test(sse, reset_reuses_the_buffers, .timeout = 10)
{
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    cr_assert_eq(PARSE1(&p, &s, "id: 1\nevent: e\ndata: 0123456789012345678901234567\n\n"),
                 0);
    char *data = p.data.p, *type = p.type.p;
    size_t cap = p.data.cap;
    for (int i = 0; i < 100; i++) {
        restart(&p, &s);
        cr_expect_eq(p.fed, 0);
        cr_expect_eq(p.retry_ms, -1);
        cr_assert_eq(PARSE1(&p, &s, "event: e\ndata: 0123456789\n\n"), 0);
        cr_assert_eq(p.data.p, data, "no new allocation");
        cr_assert_eq(p.type.p, type);
        cr_assert_eq(p.data.cap, cap);
        seen_free(&s);
    }
    restart(&p, &s);
    cr_assert_eq(PARSE1(&p, &s, "data: z\n\n"), 0);
    cr_expect_str_eq(s.ev[0], "message|z|", "reset forgot the last event id");
    seen_free(&s);
    net_sse_free(&p);
}

/* Every split of one stream into two or three feeds gives the events of one feed. */
Test(sse, any_split_gives_the_same_events, .timeout = 30)
{
    static const char text[] =
        "\xEF\xBB\xBF: hi\r\nevent: x\r\nid: 4\rdata: {\"a\":1}\r\n\r\n"
        "data: a\r\ndata:b\n\nretry: 10\nfoo\ndata: [DONE]\r\r\n";
    size_t n = sizeof text - 1;
    net_sse p;
    seen whole, part;
    net_sse_init(&p, 0);
    seen_init(&whole);
    cr_assert_eq(parse_all(&p, &whole, text, n), 0);
    cr_assert_eq(whole.n, 3);
    cr_expect_str_eq(whole.ev[0], "x|{\"a\":1}|4");
    cr_expect_str_eq(whole.ev[1], "message|a\nb|4");
    cr_expect_eq(whole.done_at, 2);
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i; j <= n; j++) {
            restart(&p, &part);
            seen_init(&part);
            cr_assert_eq(parse_all(&p, &part, text, i), 0);
            cr_assert_eq(parse_all(&p, &part, text + i, j - i), 0);
            cr_assert_eq(parse_all(&p, &part, text + j, n - j), 0);
            cr_assert_eq(part.n, whole.n, "split at %zu and %zu", i, j);
            for (size_t k = 0; k < part.n; k++)
                cr_assert_str_eq(part.ev[k], whole.ev[k], "split at %zu and %zu", i, j);
            cr_assert_eq(p.retry_ms, 10);
            cr_assert_eq(p.fed, n);
            seen_free(&part);
        }
    seen_free(&whole);
    net_sse_free(&p);
}

/* The stream loadgen serve sends (docs/serve.md), one HTTP chunk at a time. */
Test(sse, an_openai_stream, .timeout = 10)
{
    static const char *const chunks[] = {
        "data: {\"id\":\"chatcmpl-0-1\",\"object\":\"chat.completion.chunk\",\"choices\":"
        "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\" lorem\"},"
        "\"logprobs\":null,\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"chatcmpl-0-1\",\"object\":\"chat.completion.chunk\",\"choices\":"
        "[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n",
        "data: [DONE]\n\n"};
    net_sse p;
    seen s;
    net_sse_init(&p, 0);
    seen_init(&s);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(parse_all(&p, &s, chunks[i], strlen(chunks[i])), 0);
    cr_assert_eq(s.n, 3);
    cr_expect_eq(s.done_at, 2);
    cr_expect(net_sse_idle(&p));
    seen_free(&s);
    net_sse_free(&p);
}
