/* test_openai_msg.c: OpenAI request bodies (net_oai_build: exact text, escaping that
 * jansson reads back, extra members, sizing), the response and chunk parser
 * (net_oai_parse: completions and chat chunks, role-only deltas, usage-only final
 * chunks, errors in a stream, finish reasons, plain responses, malformed input) and the
 * token timing helpers (net/tokens.h). */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net/openai_msg.h"
#include "net/tokens.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

/* Builds r into a fresh buffer (the caller frees it), checking the sizing call. */
static char *build(const net_oai_request *r)
{
    size_t need, len;
    cr_assert_eq(net_oai_build(r, NULL, 0, &need), -ENOSPC);
    char *b = malloc(need + 1);
    cr_assert_eq(net_oai_build(r, b, need, &len), -ENOSPC, "no room for the NUL");
    cr_assert_eq(len, need);
    cr_assert_eq(net_oai_build(r, b, need + 1, &len), 0);
    cr_assert_eq(len, need);
    cr_assert_eq(strlen(b), len);
    return b;
}

/* ------------------------------------------------------------------ requests */

Test(oai_build, completions_streamed, .timeout = 10)
{
    net_oai_request r = {.endpoint = NET_OAI_COMPLETIONS, .model = "llama",
                         .prompt = "Say \"hi\"\n", .prompt_len = 9, .max_tokens = 16,
                         .stream = true};
    char *b = build(&r);
    cr_expect_str_eq(b, "{\"model\":\"llama\",\"prompt\":\"Say \\\"hi\\\"\\n\",\"max_tokens\":16,"
                        "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    free(b);
}

Test(oai_build, chat_messages_plain, .timeout = 10)
{
    net_oai_message m[] = {{"system", 6, "Be brief.", 9}, {"user", 4, "2+2?", 4}};
    net_oai_request r = {.endpoint = NET_OAI_CHAT, .model = "m", .messages = m,
                         .n_messages = 2, .max_tokens = 3, .max_completion_tokens = true};
    char *b = build(&r);
    cr_expect_str_eq(b, "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":"
                        "\"Be brief.\"},{\"role\":\"user\",\"content\":\"2+2?\"}],"
                        "\"max_completion_tokens\":3,\"stream\":false}");
    free(b);
}

Test(oai_build, chat_prompt_is_one_user_message_and_no_max_tokens, .timeout = 10)
{
    net_oai_request r = {.endpoint = NET_OAI_CHAT, .model = "m", .prompt = "hello",
                         .prompt_len = 5, .stream = true};
    char *b = build(&r);
    cr_expect_str_eq(b, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                        "\"hello\"}],\"stream\":true,\"stream_options\":"
                        "{\"include_usage\":true}}");
    free(b);
}

Test(oai_build, extra_members_are_added, .timeout = 10)
{
    static const char extra[] = " { \"temperature\" : 0,\n \"ignore_eos\": true } ";
    net_oai_request r = {.endpoint = NET_OAI_COMPLETIONS, .model = "m", .prompt = "p",
                         .prompt_len = 1, .extra = extra, .extra_len = sizeof extra - 1};
    char *b = build(&r);
    cr_expect_str_eq(b, "{\"model\":\"m\",\"prompt\":\"p\",\"stream\":false,"
                        "\"temperature\" : 0,\n \"ignore_eos\": true}");
    json_error_t je;
    json_t *j = json_loads(b, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    cr_expect(json_is_true(json_object_get(j, "ignore_eos")));
    json_decref(j);
    free(b);
    r.extra = "{}";
    r.extra_len = 2;
    b = build(&r);
    cr_expect_str_eq(b, "{\"model\":\"m\",\"prompt\":\"p\",\"stream\":false}");
    free(b);
}

Test(oai_build, extra_must_be_an_object_without_our_keys, .timeout = 10)
{
    char err[200];
    cr_expect_eq(net_oai_extra_check("{\"stream\":false}", 16, err, sizeof err), -EINVAL);
    cr_expect_str_eq(err, "the extra request fields set 'stream', which the request "
                          "itself writes");
    const char *esc = "{\"a\":1,\"\\u006dodel\":\"x\"}";
    cr_expect_eq(net_oai_extra_check(esc, strlen(esc), err, sizeof err), -EINVAL);
    cr_expect(strstr(err, "'model'") != NULL, "an escaped key is still the key: %s", err);
    cr_expect_eq(net_oai_extra_check("[1]", 3, err, sizeof err), -EINVAL);
    cr_expect_str_eq(err, "the extra request fields are not a JSON object");
    cr_expect_eq(net_oai_extra_check("{\"a\":}", 6, err, sizeof err), -EINVAL);
    cr_expect_eq(net_oai_extra_check("{\"a\":1} x", 9, err, sizeof err), -EINVAL);
    cr_expect_eq(net_oai_extra_check("{\"seed\":1}", 10, err, sizeof err), 0);
    cr_expect_str_eq(err, "");
    net_oai_request r = {.endpoint = NET_OAI_COMPLETIONS, .model = "m", .prompt = "p",
                         .prompt_len = 1, .extra = "{\"stream_options\":{}}", .extra_len = 21};
    size_t len;
    cr_expect_eq(net_oai_build(&r, NULL, 0, &len), -EINVAL);
}

Test(oai_build, refuses_what_cannot_be_sent, .timeout = 10)
{
    size_t len;
    net_oai_request r = {.endpoint = NET_OAI_COMPLETIONS, .prompt = "p", .prompt_len = 1};
    cr_expect_eq(net_oai_build(&r, NULL, 0, &len), -EINVAL, "no model");
    r.model = "m";
    r.prompt = NULL;
    cr_expect_eq(net_oai_build(&r, NULL, 0, &len), -EINVAL, "completions without prompt");
    r.endpoint = NET_OAI_CHAT;
    cr_expect_eq(net_oai_build(&r, NULL, 0, &len), -EINVAL, "chat without either");
}

/* Every byte value but NUL, and UTF-8 text, survive escaping: jansson reads back the
 * same bytes. */
Test(oai_build, escaping_round_trips_through_jansson, .timeout = 10)
{
    char raw[300];
    size_t n = 0;
    for (int c = 1; c < 0x80; c++)
        raw[n++] = (char)c;
    const char *utf8 = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 caf\xc3\xa9";
    memcpy(raw + n, utf8, strlen(utf8));
    n += strlen(utf8);
    net_oai_message m = {"user", 4, raw, n};
    net_oai_request r = {.endpoint = NET_OAI_CHAT, .model = "a\"b\\c", .messages = &m,
                         .n_messages = 1};
    char *b = build(&r);
    json_error_t je;
    json_t *j = json_loads(b, 0, &je);
    cr_assert_not_null(j, "%s at %d", je.text, je.position);
    cr_expect_str_eq(json_string_value(json_object_get(j, "model")), "a\"b\\c");
    json_t *c = json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content");
    cr_assert_eq(json_string_length(c), n);
    cr_expect_eq(memcmp(json_string_value(c), raw, n), 0);
    json_decref(j);
    free(b);
}

/* ------------------------------------------------------------------ responses */

static net_oai_chunk parse_ok(const char *json)
{
    net_oai_chunk c;
    int rc = net_oai_parse(json, strlen(json), &c);
    cr_assert_eq(rc, 0, "%s: %s", json, c.why ? c.why : "");
    return c;
}

static void expect_text(const net_oai_chunk *c, const char *want)
{
    cr_assert_not_null(c->text);
    char buf[256];
    size_t n = net_oai_unescape(c->text, c->text_raw_len, buf);
    cr_assert_eq(n, c->text_bytes);
    cr_assert_eq(n, strlen(want));
    cr_expect_eq(memcmp(buf, want, n), 0);
}

Test(oai_parse, completions_chunk, .timeout = 10)
{
    net_oai_chunk c = parse_ok(
        "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1700000000,"
        "\"model\":\"llama\",\"choices\":[{\"index\":0,\"text\":\" the\",\"logprobs\":null,"
        "\"finish_reason\":null,\"stop_reason\":null}],\"usage\":null}");
    expect_text(&c, " the");
    cr_expect(c.has_content);
    cr_expect_not(c.has_role);
    cr_expect_eq(c.n_choices, 1);
    cr_expect_eq(c.finish, NET_OAI_FINISH_NONE);
    cr_expect_null(c.finish_reason);
    cr_expect_not(c.has_usage);
    cr_expect_not(c.is_error);
}

Test(oai_parse, chat_role_only_first_delta_carries_no_token, .timeout = 10)
{
    net_oai_chunk c = parse_ok("{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\""
                               ":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}");
    cr_expect(c.has_role);
    cr_expect_not(c.has_content);
    cr_expect_null(c.text);
    /* vLLM's first delta: the role and an empty content. */
    c = parse_ok("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                 "\"logprobs\":null,\"finish_reason\":null}]}");
    cr_expect(c.has_role);
    cr_expect_not(c.has_content);
    cr_expect_not_null(c.text);
    cr_expect_eq(c.text_bytes, 0);
    c = parse_ok("{\"choices\":[{\"delta\":{\"content\":null,\"tool_calls\":[{\"id\":\"x\"}]}}]}");
    cr_expect_not(c.has_content, "a null content");
}

Test(oai_parse, chat_content_unescaped_length, .timeout = 10)
{
    net_oai_chunk c = parse_ok("{\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                               "\"caf\\u00e9\\n\\\"\\ud83d\\ude00\\/\"},\"finish_reason\":null}]}");
    cr_expect(c.has_content);
    expect_text(&c, "caf\xc3\xa9\n\"\xf0\x9f\x98\x80/");
    cr_expect_eq(c.text_bytes, 12);
}

Test(oai_parse, reasoning_content_counts_as_generated, .timeout = 10)
{
    net_oai_chunk c = parse_ok("{\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}");
    cr_expect(c.has_content);
    cr_expect_null(c.text);
    cr_expect_eq(c.reasoning_bytes, 3);
    c = parse_ok("{\"choices\":[{\"delta\":{\"reasoning\":\"ok\",\"content\":\"x\"}}]}");
    cr_expect_eq(c.reasoning_bytes, 2);
    cr_expect_eq(c.text_bytes, 1);
}

Test(oai_parse, usage_only_final_chunk, .timeout = 10)
{
    net_oai_chunk c = parse_ok("{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
                               "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":16,"
                               "\"total_tokens\":19,\"prompt_tokens_details\":null}}");
    cr_expect_eq(c.n_choices, 0);
    cr_expect_not(c.has_content);
    cr_expect(c.has_usage);
    cr_expect(c.has_prompt_tokens);
    cr_expect(c.has_completion_tokens);
    cr_expect_eq(c.prompt_tokens, 3);
    cr_expect_eq(c.completion_tokens, 16);
    c = parse_ok("{\"choices\":[],\"usage\":{\"prompt_tokens\":null,\"completion_tokens\":0}}");
    cr_expect_not(c.has_prompt_tokens);
    cr_expect(c.has_completion_tokens);
    cr_expect_eq(c.completion_tokens, 0);
}

Test(oai_parse, finish_reasons, .timeout = 10)
{
    net_oai_chunk c = parse_ok("{\"choices\":[{\"text\":\"\",\"finish_reason\":\"stop\"}]}");
    cr_expect_eq(c.finish, NET_OAI_FINISH_STOP);
    cr_expect_not(c.has_content, "an empty last text");
    c = parse_ok("{\"choices\":[{\"text\":\"x\",\"finish_reason\":\"length\"}]}");
    cr_expect_eq(c.finish, NET_OAI_FINISH_LENGTH);
    c = parse_ok("{\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}");
    cr_expect_eq(c.finish, NET_OAI_FINISH_OTHER);
    cr_expect_eq(c.finish_reason_len, 10);
    c = parse_ok("{\"choices\":[{\"finish_reason\":\"st\\u006fp\"}]}");
    cr_expect_eq(c.finish, NET_OAI_FINISH_STOP, "escapes are read");
}

Test(oai_parse, errors_inside_a_stream, .timeout = 10)
{
    net_oai_chunk c = parse_ok("{\"error\":{\"message\":\"boom\",\"type\":\"InternalServerError\","
                               "\"param\":null,\"code\":500}}");
    cr_expect(c.is_error);
    cr_assert_eq(c.error_message_len, 4);
    cr_expect_eq(memcmp(c.error_message, "boom", 4), 0);
    c = parse_ok("{\"object\":\"error\",\"message\":\"bad\",\"type\":\"BadRequestError\","
                 "\"param\":null,\"code\":400}");
    cr_expect(c.is_error, "vLLM's error object");
    cr_expect_eq(c.error_message_len, 3);
    c = parse_ok("{\"error\":\"overloaded\"}");
    cr_expect(c.is_error);
    cr_expect_eq(c.error_message_len, 10);
    c = parse_ok("{\"error\":{}}");
    cr_expect(c.is_error);
    cr_expect_null(c.error_message);
    c = parse_ok("{\"error\":null,\"choices\":[{\"text\":\"a\"}]}");
    cr_expect_not(c.is_error);
    cr_expect(c.has_content);
}

Test(oai_parse, plain_responses, .timeout = 10)
{
    /* loadgen serve's plain chat response and a completions one. */
    net_oai_chunk c = parse_ok(
        "{\"id\":\"chatcmpl-0-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\" lorem ipsum\"},"
        "\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,"
        "\"completion_tokens\":2,\"total_tokens\":7}}");
    expect_text(&c, " lorem ipsum");
    cr_expect(c.has_role);
    cr_expect_eq(c.finish, NET_OAI_FINISH_LENGTH);
    cr_expect_eq(c.completion_tokens, 2);
    c = parse_ok("{\"choices\":[{\"index\":0,\"text\":\"4\",\"finish_reason\":\"stop\"},"
                 "{\"index\":1,\"text\":\"four\",\"finish_reason\":\"stop\"}],"
                 "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}");
    expect_text(&c, "4");
    cr_expect_eq(c.n_choices, 2, "choices[0] is read, the others counted");
}

Test(oai_parse, last_duplicate_wins_and_escaped_keys_match, .timeout = 10)
{
    net_oai_chunk c = parse_ok("{\"choices\":[{\"text\":\"a\"}],\"choices\":[]}");
    cr_expect_eq(c.n_choices, 0);
    cr_expect_not(c.has_content, "the second choices replaced the first");
    c = parse_ok("{\"choices\":[{\"\\u0074ext\":\"abc\"}]}");
    cr_expect_eq(c.text_bytes, 3);
    c = parse_ok("{\"usage\":{\"prompt_tokens\":1},\"usage\":{\"completion_tokens\":2}}");
    cr_expect_not(c.has_prompt_tokens);
    cr_expect_eq(c.completion_tokens, 2);
}

static void expect_fail(const char *json, int rc, const char *why)
{
    net_oai_chunk c;
    cr_expect_eq(net_oai_parse(json, strlen(json), &c), rc, "%s", json);
    cr_expect_str_eq(c.why, why, "%s", json);
    cr_expect_null(c.text, "nothing half-filled");
    cr_expect_not(c.has_content);
}

Test(oai_parse, malformed_and_misshapen, .timeout = 10)
{
    expect_fail("", -EBADMSG, "malformed JSON");
    expect_fail("[1]", -EBADMSG, "the JSON is not an object");
    expect_fail("{\"choices\":[{\"text\":\"a\"}]", -EBADMSG, "malformed JSON");
    expect_fail("{\"choices\":[{\"text\":\"a\"}]} x", -EBADMSG, "text after the JSON object");
    expect_fail("{\"choices\":[{\"text\":\"a\\q\"}]}", -EBADMSG, "malformed JSON");
    expect_fail("{\"choices\":[{\"text\":\"\\ud800\"}]}", -EBADMSG, "malformed JSON");
    expect_fail("{\"choices\":[{\"text\":\"a\x01\"}]}", -EBADMSG, "malformed JSON");
    expect_fail("{\"a\":01}", -EBADMSG, "malformed JSON");
    expect_fail("{\"a\":[1,]}", -EBADMSG, "malformed JSON");
    expect_fail("{\"choices\":5}", -EPROTO, "choices is not an array");
    expect_fail("{\"choices\":[5]}", -EPROTO, "choices[0] is not an object");
    expect_fail("{\"choices\":[{\"text\":5}]}", -EPROTO, "choices[0].text is not a string");
    expect_fail("{\"choices\":[{\"delta\":[]}]}", -EPROTO,
                "choices[0]'s delta or message is not an object");
    expect_fail("{\"choices\":[{\"delta\":{\"content\":[]}}]}", -EPROTO,
                "choices[0]'s content is not a string");
    expect_fail("{\"choices\":[{\"finish_reason\":1}]}", -EPROTO,
                "choices[0]'s finish_reason is not a string");
    expect_fail("{\"usage\":{\"prompt_tokens\":-1}}", -EPROTO,
                "a usage count is not a non-negative integer");
    expect_fail("{\"usage\":{\"completion_tokens\":1.5}}", -EPROTO,
                "a usage count is not a non-negative integer");
    expect_fail("{\"usage\":{\"completion_tokens\":9223372036854775808}}", -EPROTO,
                "a usage count is not a non-negative integer");
    expect_fail("{\"usage\":[]}", -EPROTO, "usage is not an object");
    expect_fail("{\"error\":5}", -EPROTO, "error is not an object or a string");
    expect_fail("{\"choices\":5,\"x\":}", -EBADMSG, "malformed JSON");
    /* Texts that end right after a colon or a comma (found by fuzz_openai_chunk). */
    expect_fail("{\"choices\":[{\"text\":\t", -EBADMSG, "malformed JSON");
    expect_fail("{\"choices\":[{\"text\":\"a\"},", -EBADMSG, "malformed JSON");
    expect_fail("{\"error\": ", -EBADMSG, "malformed JSON");
    /* loadgen serve's malformed-JSON fault: half of a chunk. */
    const char *full = "{\"id\":\"c\",\"choices\":[{\"index\":0,\"text\":\" lorem\"}]}";
    char half[64];
    snprintf(half, sizeof half, "%.*s", (int)strlen(full) / 2, full);
    expect_fail(half, -EBADMSG, "malformed JSON");
}

Test(oai_parse, nesting_is_bounded, .timeout = 10)
{
    char deep[400];
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"x\":");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    expect_fail(deep, -EBADMSG, "malformed JSON");
    n = (size_t)sprintf(deep, "{\"x\":");
    for (int i = 0; i < 60; i++)
        deep[n++] = '[';
    for (int i = 0; i < 60; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    parse_ok(deep);
}

/* ------------------------------------------------------------------ tokens */

Test(tokens, ttft_itl_and_tpot, .timeout = 10)
{
    static stats_hist itl;
    stats_hist_reset(&itl);
    net_tok_req r;
    net_tok_start(&r, 1000);
    cr_expect_eq(net_tok_ttft(&r), -1, "no chunk yet");
    cr_expect_eq(net_tok_chunk(&r, 1500, 4, &itl), -1, "the first chunk is no gap");
    cr_expect_eq(net_tok_chunk(&r, 1600, 3, &itl), 100);
    cr_expect_eq(net_tok_chunk(&r, 1800, 5, &itl), 200);
    cr_expect_eq(net_tok_chunk(&r, 1700, 1, NULL), 0, "a clock step back is a gap of 0");
    cr_expect_eq(net_tok_ttft(&r), 500);
    cr_expect_eq(r.chunks, 4);
    cr_expect_eq(r.content_bytes, 13);
    cr_expect_eq(r.last_ns, 1800);
    cr_expect_eq(itl.count, 2);
    cr_expect_eq(itl.min, 100);
    cr_expect_eq(itl.max, 200);
    /* Latency 800 (to the last token), TTFT 500, 3 tokens: (800 - 500) / 2. */
    cr_expect_eq(net_tok_tpot(800, 500, 3), 150);
    cr_expect_eq(net_tok_tpot(801, 500, 3), 150, "integer division, as MLPerf's");
    cr_expect_eq(net_tok_tpot(800, 500, 1), -1);
    cr_expect_eq(net_tok_tpot(800, -1, 3), -1);
    cr_expect_eq(net_tok_tpot(400, 500, 3), -1);
}

Test(tokens, gaps_of_an_array_in_place, .timeout = 10)
{
    int64_t t[] = {10, 15, 15, 40};
    cr_assert_eq(net_tok_gaps(t, 4, t), 3);
    cr_expect_eq(t[0], 5);
    cr_expect_eq(t[1], 0);
    cr_expect_eq(t[2], 25);
    cr_expect_eq(net_tok_gaps(t, 1, t), 0);
}

/* ITL pooled over requests: every gap of every request in one distribution, the way
 * vLLM's benchmark pools them (not a mean per request). */
Test(tokens, itl_is_pooled_over_requests, .timeout = 10)
{
    static stats_hist a, b;
    stats_hist_reset(&a);
    stats_hist_reset(&b);
    net_tok_req r1, r2;
    net_tok_start(&r1, 0);
    net_tok_start(&r2, 0);
    int64_t t1[] = {100, 110, 120, 130, 140}; /* 4 gaps of 10 */
    int64_t t2[] = {100, 200};                 /* 1 gap of 100 */
    for (size_t i = 0; i < 5; i++)
        net_tok_chunk(&r1, t1[i], 1, &a);
    for (size_t i = 0; i < 2; i++)
        net_tok_chunk(&r2, t2[i], 1, &b);
    cr_assert_eq(stats_hist_merge(&a, &b), 0);
    cr_expect_eq(a.count, 5);
    cr_expect_eq(stats_hist_mean(&a), 28.0, "(4 * 10 + 100) / 5, not (10 + 100) / 2");
    cr_expect_eq(stats_hist_percentile(&a, 0.5), 10);
    cr_expect_eq(stats_hist_percentile(&a, 0.99), 100);
}
