/* test_dataset.c: the JSON Lines prompt reader (net/dataset.c): samples and their
 * prebuilt request bodies, blank lines, CRLF and a last line without LF, lines across
 * the reader's buffer, the line length limit, and an error naming file, line and key
 * for each rule. */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/dataset.h"
#include "tests/testutil.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

static const net_ds_options CHAT = {.model = "m", .endpoint = NET_OAI_CHAT, .stream = true};
static const net_ds_options COMPL = {.model = "m", .endpoint = NET_OAI_COMPLETIONS};

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

Test(dataset, samples_and_bodies, .timeout = 10, TU_TMP)
{
    static const char text[] =
        "{\"prompt\": \"Hello\", \"max_tokens\": 8}\n"
        "\n"
        "   \t\r\n"
        "{\"messages\": [{\"role\": \"system\", \"content\": \"Be \\\"brief\\\"\"},"
        " {\"role\": \"user\", \"content\": \"caf\\u00e9?\"}], \"expected_output\": \"Yes\"}\r\n"
        "{\"prompt\": \"last\", \"expected_output\": \"\"}";
    const char *path = tu_in_tmp("p.jsonl");
    write_file(path, text, sizeof text - 1);
    net_ds_options o = CHAT;
    o.default_max_tokens = 32;
    net_dataset *d;
    char err[256];
    cr_assert_eq(net_dataset_load(path, &o, &d, err, sizeof err), 0, "%s", err);
    cr_assert_eq(net_dataset_count(d), 3);
    const net_ds_sample *s = net_dataset_sample(d, 0);
    cr_expect_eq(s->line, 1);
    cr_expect_eq(s->max_tokens, 8);
    cr_expect_eq(s->n_messages, 0);
    cr_expect_eq(s->prompt_bytes, 5);
    cr_expect_null(s->expected_output);
    cr_expect_str_eq(s->body, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                              "\"Hello\"}],\"max_tokens\":8,\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true}}");
    cr_expect_eq(s->body_len, strlen(s->body));
    s = net_dataset_sample(d, 1);
    cr_expect_eq(s->line, 4);
    cr_expect_eq(s->max_tokens, 32, "the default");
    cr_expect_eq(s->n_messages, 2);
    cr_expect_eq(s->prompt_bytes, 10 + 6);
    cr_expect_str_eq(s->expected_output, "Yes");
    cr_expect_str_eq(s->body, "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":"
                              "\"Be \\\"brief\\\"\"},{\"role\":\"user\",\"content\":"
                              "\"caf\xc3\xa9?\"}],\"max_tokens\":32,\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true}}");
    s = net_dataset_sample(d, 2);
    cr_expect_eq(s->line, 5, "the last line has no LF");
    cr_expect_str_eq(s->expected_output, "");
    cr_expect_eq(s->expected_len, 0);
    size_t max = 0;
    for (size_t i = 0; i < 3; i++)
        if (net_dataset_sample(d, i)->body_len > max)
            max = net_dataset_sample(d, i)->body_len;
    cr_expect_eq(net_dataset_max_body(d), max);
    net_dataset_free(d);
}

Test(dataset, completions_bodies_with_extra_and_no_max_tokens, .timeout = 10)
{
    static const char text[] = "{\"prompt\":\"a\\nb\"}\n";
    net_ds_options o = COMPL;
    o.extra = "{\"temperature\":0}";
    o.extra_len = strlen(o.extra);
    net_dataset *d;
    char err[256];
    cr_assert_eq(net_dataset_parse("t", text, sizeof text - 1, &o, &d, err, sizeof err), 0,
                 "%s", err);
    cr_expect_str_eq(net_dataset_sample(d, 0)->body,
                     "{\"model\":\"m\",\"prompt\":\"a\\nb\",\"stream\":false,\"temperature\":0}");
    cr_expect_eq(net_dataset_sample(d, 0)->max_tokens, 0);
    net_dataset_free(d);
}

/* The message a one-line (or two-line) text gets under the given options. */
static void expect_error(const net_ds_options *o, const char *text, int rc, const char *want)
{
    net_dataset *d = NULL;
    char err[256] = "";
    cr_assert_eq(net_dataset_parse("d.jsonl", text, strlen(text), o, &d, err, sizeof err), rc,
                 "%s -> %s", text, err);
    cr_expect_null(d);
    cr_expect_str_eq(err, want, "%s -> %s", text, err);
}

Test(dataset, each_error_names_file_line_and_key, .timeout = 10)
{
    expect_error(&COMPL, "{\"prompt\":\"a\"}\n{\"prompt\":\"b\",\"max_tokens\":0}\n", -EINVAL,
                 "d.jsonl:2: key 'max_tokens': must be an integer >= 1 (got 0)");
    expect_error(&COMPL, "{\"prompt\":\"b\",\"max_tokens\":\"ten\"}", -EINVAL,
                 "d.jsonl:1: key 'max_tokens': must be an integer >= 1 (got \"ten\")");
    expect_error(&COMPL, "{\"prompt\":\"b\",\"max_tokens\":2.5}", -EINVAL,
                 "d.jsonl:1: key 'max_tokens': must be an integer >= 1 (got 2.5)");
    expect_error(&COMPL, "{\"prompt\":\"b\",\"max_token\":2}", -EINVAL,
                 "d.jsonl:1: key 'max_token': unknown (a sample has prompt or messages, "
                 "max_tokens, expected_output)");
    expect_error(&COMPL, "{\"prompt\":7}", -EINVAL,
                 "d.jsonl:1: key 'prompt': must be a string (got 7)");
    expect_error(&COMPL, "{\"prompt\":\"a\",\"expected_output\":null}", -EINVAL,
                 "d.jsonl:1: key 'expected_output': must be a string (got null)");
    expect_error(&COMPL, "{\"max_tokens\":3}", -EINVAL,
                 "d.jsonl:1: key 'prompt': missing (a sample needs prompt or messages)");
    expect_error(&CHAT, "{\"prompt\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"b\"}]}",
                 -EINVAL, "d.jsonl:1: key 'messages': a sample has a prompt or messages, not both");
    expect_error(&COMPL, "{\"messages\":[{\"role\":\"user\",\"content\":\"b\"}]}", -EINVAL,
                 "d.jsonl:1: key 'messages': a chat sample, but the endpoint is "
                 "/v1/completions (give a prompt instead)");
    expect_error(&CHAT, "{\"messages\":[]}", -EINVAL,
                 "d.jsonl:1: key 'messages': must be a non-empty array of {role, content} "
                 "objects");
    expect_error(&CHAT,
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"b\"},{\"content\":\"c\"}]}",
                 -EINVAL, "d.jsonl:1: key 'messages[1].role': missing");
    expect_error(&CHAT, "{\"messages\":[{\"role\":1,\"content\":\"b\"}]}", -EINVAL,
                 "d.jsonl:1: key 'messages[0].role': must be a non-empty string");
    expect_error(&CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[]}]}", -EINVAL,
                 "d.jsonl:1: key 'messages[0].content': must be a string");
    expect_error(&CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"name\":\"n\"}]}",
                 -EINVAL,
                 "d.jsonl:1: key 'messages[0].name': unknown (a message has role and content)");
    expect_error(&CHAT, "{\"messages\":[\"hi\"]}", -EINVAL,
                 "d.jsonl:1: key 'messages[0]': must be an object {role, content}");
    expect_error(&COMPL, "\n\n[1]\n", -EINVAL, "d.jsonl:3: a sample must be a JSON object");
    expect_error(&COMPL, "{\"prompt\":\"a\",\"prompt\":\"b\"}", -EINVAL,
                 "d.jsonl:1: not valid JSON at column 22: duplicate object key near '\"prompt\"'");
    expect_error(&COMPL, "{\"prompt\":\"a\"", -EINVAL,
                 "d.jsonl:1: not valid JSON at column 13: '}' expected near end of file");
    expect_error(&COMPL, "{\"prompt\":\"\xff\"}", -EINVAL,
                 "d.jsonl:1: not valid JSON at column 11: unable to decode byte 0xff near '\"'");
    expect_error(&COMPL, "\n \n", -EINVAL, "d.jsonl: no sample (the file holds no non-blank line)");
    expect_error(&COMPL, "{\"prompt\":\"a\",\"x\\u0001y\":1}", -EINVAL,
                 "d.jsonl:1: key 'x?y': unknown (a sample has prompt or messages, max_tokens, "
                 "expected_output)");
}

Test(dataset, unknown_keys_may_be_ignored, .timeout = 10)
{
    static const char text[] =
        "{\"id\":17,\"prompt\":\"a\",\"category\":{\"x\":1}}\n"
        "{\"messages\":[{\"role\":\"user\",\"content\":\"b\",\"name\":\"n\"}],\"id\":18}\n";
    net_ds_options o = CHAT;
    o.ignore_unknown_keys = true;
    net_dataset *d;
    char err[256];
    cr_assert_eq(net_dataset_parse("t", text, sizeof text - 1, &o, &d, err, sizeof err), 0,
                 "%s", err);
    cr_expect_eq(net_dataset_count(d), 2);
    cr_expect(strstr(net_dataset_sample(d, 0)->body, "category") == NULL, "dropped, not sent");
    cr_expect(strstr(net_dataset_sample(d, 1)->body, "name") == NULL);
    net_dataset_free(d);
}

Test(dataset, bad_options_and_missing_files, .timeout = 10, TU_TMP)
{
    net_dataset *d = NULL;
    char err[256];
    net_ds_options o = COMPL;
    o.model = NULL;
    cr_expect_eq(net_dataset_parse("t", "{}", 2, &o, &d, err, sizeof err), -EINVAL);
    cr_expect_str_eq(err, "t: no model named for the request bodies");
    o = COMPL;
    o.extra = "{\"stream\":true}";
    o.extra_len = strlen(o.extra);
    cr_expect_eq(net_dataset_parse("t", "{}", 2, &o, &d, err, sizeof err), -EINVAL);
    cr_expect_str_eq(err, "t: the extra request fields set 'stream', which the request itself "
                          "writes");
    const char *path = tu_in_tmp("absent.jsonl");
    cr_expect_eq(net_dataset_load(path, &COMPL, &d, err, sizeof err), -ENOENT);
    char want[300];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    cr_expect_str_eq(err, want);
    cr_expect_null(d);
}

Test(dataset, line_length_limit, .timeout = 10, TU_TMP)
{
    net_ds_options o = COMPL;
    o.max_line_bytes = 32;
    expect_error(&o,
                 "{\"prompt\":\"0123456789012345678\"}\n{\"prompt\":\"01234567890123456789\"}\n",
                 -EMSGSIZE, "d.jsonl:2: line longer than the limit of 32 bytes");
    /* A file of 1 MiB with no line end: refused at the limit, not read into memory. */
    size_t n = 1u << 20;
    char *big = malloc(n);
    memset(big, ' ', n);
    memcpy(big, "{\"prompt\":\"", 11);
    const char *path = tu_in_tmp("big.jsonl");
    write_file(path, big, n);
    o.max_line_bytes = 100000;
    net_dataset *d = NULL;
    char err[256];
    cr_expect_eq(net_dataset_load(path, &o, &d, err, sizeof err), -EMSGSIZE);
    char want[300];
    snprintf(want, sizeof want, "%s:1: line longer than the limit of 100000 bytes", path);
    cr_expect_str_eq(err, want);
    free(big);
}

/* Lines of every length around the reader's 64 KiB buffer read the same from a file as
 * from memory, and their bodies hold the prompts whole. */
Test(dataset, lines_across_the_read_buffer, .timeout = 30, TU_TMP)
{
    size_t count = 300, cap = 40u << 20, n = 0;
    char *text = malloc(cap);
    size_t *plen = malloc(count * sizeof *plen);
    unsigned x = 12345;
    for (size_t i = 0; i < count; i++) {
        x = x * 1103515245u + 12345u;
        plen[i] = i % 50 == 7 ? 70000 + x % 60000 : x % 3000;
        n += (size_t)sprintf(text + n, "{\"prompt\":\"");
        for (size_t k = 0; k < plen[i]; k++)
            text[n++] = (char)('a' + (i + k) % 26);
        n += (size_t)sprintf(text + n, "\",\"max_tokens\":%zu}%s", i + 1,
                             i % 3 == 0 ? "\r\n" : "\n");
    }
    const char *path = tu_in_tmp("many.jsonl");
    write_file(path, text, n);
    net_dataset *a, *b;
    char err[256];
    cr_assert_eq(net_dataset_load(path, &COMPL, &a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(net_dataset_parse("m", text, n, &COMPL, &b, err, sizeof err), 0, "%s", err);
    cr_assert_eq(net_dataset_count(a), count);
    cr_assert_eq(net_dataset_count(b), count);
    for (size_t i = 0; i < count; i++) {
        const net_ds_sample *sa = net_dataset_sample(a, i), *sb = net_dataset_sample(b, i);
        cr_assert_eq(sa->line, i + 1);
        cr_assert_eq(sa->prompt_bytes, plen[i]);
        cr_assert_eq(sa->max_tokens, i + 1);
        cr_assert_str_eq(sa->body, sb->body, "line %zu", i + 1);
        const char *p = strstr(sa->body, "\"prompt\":\"") + 10;
        for (size_t k = 0; k < plen[i]; k++)
            cr_assert_eq(p[k], (char)('a' + (i + k) % 26), "line %zu byte %zu", i + 1, k);
    }
    net_dataset_free(a);
    net_dataset_free(b);
    free(plen);
    free(text);
}
