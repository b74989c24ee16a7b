/* test_config.c: mlperf.conf / user.conf reading (loadgen/config.h): each grammar rule,
 * each error with its file:line:column and did-you-mean, MLPerf's units and lookup
 * order, precedence between files, provenance, entry status and the field table. */
#include <criterion/criterion.h>
#include <stddef.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen/config.h"

/* ---------------------------------------------------------------------------------
 * Helpers (only the Criterion macros that the TSan stand-in in tests/tsan/ has)
 * ------------------------------------------------------------------------------- */

#define EXPECT_NEAR(a, b, eps)                                                          \
    cr_expect(fabs((double)(a) - (double)(b)) <= (eps), "%s is %.17g, want %.17g", #a,     \
              (double)(a), (double)(b))

static lg_config *make(void)
{
    lg_config *c = NULL;
    cr_assert_eq(lg_config_create(&c), 0);
    cr_assert_not_null(c);
    return c;
}

/* Loads text into c and requires success. */
static void add(lg_config *c, const char *name, const char *text, int kind)
{
    char err[512];
    int rc = lg_config_load_string(c, name, text, strlen(text), kind, err, sizeof err);
    cr_assert_eq(rc, 0, "loading %s failed (%d): %s", name, rc, err);
    cr_assert_str_eq(err, "");
}

/* Loads text as user.conf into a fresh config and requires an LG_EINVAL whose message
 * is exactly `want`. */
static void expect_error(const char *text, int kind, const char *want)
{
    lg_config *c = make();
    char err[512];
    int rc = lg_config_load_string(c, "user.conf", text, strlen(text), kind, err,
                                   sizeof err);
    cr_expect_eq(rc, LG_EINVAL, "'%s' was accepted", text);
    cr_expect_str_eq(err, want, "for '%s'", text);
    cr_expect_eq(lg_config_entry_count(c), 0);
    lg_config_destroy(c);
}

/* As expect_error, but only requires the message to start with `prefix` and to hold
 * `part`. */
static void expect_error_has(const char *text, size_t len, int kind, const char *prefix,
                             const char *part)
{
    lg_config *c = make();
    char err[1024];
    int rc = lg_config_load_string(c, "user.conf", text, len, kind, err, sizeof err);
    cr_expect_eq(rc, LG_EINVAL, "'%.*s' was accepted", (int)len, text);
    cr_expect_eq(strncmp(err, prefix, strlen(prefix)), 0, "message '%s' does not start "
                 "with '%s'", err, prefix);
    cr_expect_not_null(strstr(err, part), "message '%s' lacks '%s'", err, part);
    cr_expect_eq(lg_config_entry_count(c), 0);
    lg_config_destroy(c);
}

static void expect_error_in(const char *text, int kind, const char *prefix,
                            const char *part)
{
    expect_error_has(text, strlen(text), kind, prefix, part);
}

/* Applies c for (model, scenario) to default settings and requires success. */
static lg_settings applied(const lg_config *c, const char *model, lg_scenario sc,
                           lg_config_origin *origins)
{
    lg_settings s;
    lg_settings_default(&s);
    char err[512];
    int rc = lg_config_apply(c, model, sc, &s, origins, err, sizeof err);
    cr_assert_eq(rc, 0, "apply failed (%d): %s", rc, err);
    return s;
}

static lg_settings applied_text(const char *text, const char *model, lg_scenario sc)
{
    lg_config *c = make();
    add(c, "user.conf", text, LG_CONF_USER);
    lg_settings s = applied(c, model, sc, NULL);
    lg_config_destroy(c);
    return s;
}

static size_t field(const char *name)
{
    int i = lg_settings_field_find(name);
    cr_assert_geq(i, 0, "no field %s", name);
    return (size_t)i;
}

/* A mlperf.conf in the shape of the official one (written for these tests from the
 * facts in the project's research notes, not copied). */
static const char mlperf_conf[] =
    "# The format of this config file is 'key = value'.\n"                   /* 1 */
    "# The key has the format 'model.scenario.key'.\n"                       /* 2 */
    "\n"                                                                     /* 3 */
    "resnet50.*.performance_sample_count_override = 1024\n"                  /* 4 */
    "bert.*.performance_sample_count_override = 10833\n"                     /* 5 */
    "3d-unet.*.performance_sample_count_override = 0\n"                      /* 6 */
    "\n"                                                                     /* 7 */
    "*.*.qsl_rng_seed = 1780908523862526354\n"                               /* 8 */
    "*.*.sample_index_rng_seed = 14771362308971278857\n"                     /* 9 */
    "*.*.schedule_rng_seed = 18209322760996052031\n"                         /* 10 */
    "*.*.test05_qsl_rng_seed = 7975553102935885558\n"                        /* 11 */
    "\n"                                                                     /* 12 */
    "*.SingleStream.target_latency_percentile = 90\n"                        /* 13 */
    "*.SingleStream.min_duration = 600000\n"                                 /* 14 */
    "*.MultiStream.target_latency_percentile = 99\n"                         /* 15 */
    "*.MultiStream.samples_per_query = 8\n"                                  /* 16 */
    "*.MultiStream.min_duration = 600000\n"                                  /* 17 */
    "*.MultiStream.min_query_count = 662\n"                                  /* 18 */
    "3d-unet.*.sample_concatenate_permutation = 1\n"                         /* 19 */
    "*.Server.target_latency = 10\n"                                         /* 20 */
    "*.Server.target_latency_percentile = 99\n"                              /* 21 */
    "*.Server.target_duration = 0\n"                                         /* 22 */
    "*.Server.min_duration = 600000\n"                                       /* 23 */
    "resnet50.Server.target_latency = 15\n"                                  /* 24 */
    "bert.Server.target_latency = 130\n"                                     /* 25 */
    "llama2-70b.*.use_token_latencies = 1\n"                                 /* 26 */
    "llama2-70b.Server.target_latency = 0\n"                                 /* 27 */
    "llama2-70b.Server.ttft_latency = 2000\n"                                /* 28 */
    "gptj.*.infer_token_latencies = 1\n"                                     /* 29 */
    "*.Offline.target_latency_percentile = 90\n"                             /* 30 */
    "*.Offline.min_duration = 600000\n"                                      /* 31 */
    "resnet50.Offline.min_query_count = 24576\n"                             /* 32 */
    "bert.Offline.min_query_count = 10833\n"                                 /* 33 */
    "# These fields should be defined and overridden by user.conf.\n"       /* 34 */
    "*.SingleStream.target_latency = 10\n"                                   /* 35 */
    "*.MultiStream.target_latency = 80\n"                                    /* 36 */
    "*.Server.target_qps = 1.0\n"                                            /* 37 */
    "*.Offline.target_qps = 1.0\n";                                          /* 38 */

/* ---------------------------------------------------------------------------------
 * Grammar
 * ------------------------------------------------------------------------------- */

Test(config_grammar, spaces_around_equals_are_optional, .timeout = 10)
{
    static const char *forms[] = {
        "*.Server.target_qps = 5", "*.Server.target_qps=5", "*.Server.target_qps =5",
        "*.Server.target_qps= 5",  "\t*.Server.target_qps\t=\t5\t", "  *.Server.target_qps  =  5  ",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        lg_settings s = applied_text(forms[i], "m", LG_SERVER);
        cr_expect_eq(s.server_target_qps, 5.0, "form '%s'", forms[i]);
    }
}

Test(config_grammar, comments_and_blank_lines_are_skipped, .timeout = 10)
{
    lg_config *c = make();
    add(c, "user.conf",
        "# a comment\n"
        "   # an indented comment\n"
        "#no space after the hash, still a comment\n"
        "\n"
        "   \t  \n"
        "*.Server.target_qps = 7\n"
        "#*.Server.target_qps = 9\n",
        LG_CONF_USER);
    cr_expect_eq(lg_config_entry_count(c), 1);
    lg_config_entry e;
    cr_assert_eq(lg_config_entry_get(c, 0, &e), 0);
    cr_expect_eq(e.line, 6);
    cr_expect_str_eq(e.key, "*.Server.target_qps");
    cr_expect_str_eq(e.model, "*");
    cr_expect_str_eq(e.scenario, "Server");
    cr_expect_str_eq(e.name, "target_qps");
    cr_expect_str_eq(e.value, "7");
    cr_expect_str_eq(e.file, "user.conf");
    cr_expect_eq(e.kind, LG_CONF_USER);
    EXPECT_NEAR(applied(c, "m", LG_SERVER, NULL).server_target_qps, 7.0, 1e-12);
    lg_config_destroy(c);
}

Test(config_grammar, trailing_comment_after_a_space_is_accepted, .timeout = 10)
{
    lg_settings s = applied_text("*.Server.target_qps = 5 # five\n"
                                 "*.*.min_duration = 1000\t# a second\n",
                                 "m", LG_SERVER);
    EXPECT_NEAR(s.server_target_qps, 5.0, 1e-12);
    cr_expect_eq(s.min_duration_ms, 1000);
}

Test(config_grammar, comment_glued_to_value_is_an_error, .timeout = 10)
{
    expect_error("*.Server.target_qps = 5#five", LG_CONF_USER,
                 "user.conf:1:23: the value '5#five' of '*.Server.target_qps' is not a "
                 "number (a comment after a value needs a space before '#')");
}

Test(config_grammar, empty_text_and_only_comments_load_nothing, .timeout = 10)
{
    static const char *texts[] = {"", "\n", "\n\n\n", "# only\n# comments\n", "   ",
                                  "# no newline at the end"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        lg_config *c = make();
        add(c, "empty.conf", texts[i], LG_CONF_USER);
        cr_expect_eq(lg_config_entry_count(c), 0);
        lg_settings d, s = applied(c, "resnet50", LG_SERVER, NULL);
        lg_settings_default(&d);
        cr_expect_eq(memcmp(&s, &d, sizeof s), 0, "text %zu changed the settings", i);
        lg_config_destroy(c);
    }
}

Test(config_grammar, empty_config_and_null_text_with_zero_length, .timeout = 10)
{
    lg_config *c = make();
    char err[64];
    cr_expect_eq(lg_config_load_string(c, NULL, NULL, 0, LG_CONF_USER, err, sizeof err), 0);
    cr_expect_eq(lg_config_entry_count(c), 0);
    lg_config_destroy(c);
}

Test(config_grammar, last_line_without_newline_is_read, .timeout = 10)
{
    lg_settings s = applied_text("*.*.min_duration = 5\n*.*.min_query_count = 9", "m",
                                 LG_OFFLINE);
    cr_expect_eq(s.min_duration_ms, 5);
    cr_expect_eq(s.min_query_count, 9);
}

Test(config_grammar, crlf_line_endings_are_accepted, .timeout = 10)
{
    lg_config *c = make();
    add(c, "dos.conf", "# windows\r\n*.Server.target_qps = 12\r\n\r\n*.*.min_duration = 3\r\n",
        LG_CONF_USER);
    lg_settings s = applied(c, "m", LG_SERVER, NULL);
    EXPECT_NEAR(s.server_target_qps, 12.0, 1e-12);
    cr_expect_eq(s.min_duration_ms, 3);
    lg_config_entry e;
    cr_assert_eq(lg_config_entry_get(c, 1, &e), 0);
    cr_expect_eq(e.line, 4);
    cr_expect_str_eq(e.value, "3");
    lg_config_destroy(c);
}

Test(config_grammar, carriage_return_inside_a_line_is_an_error, .timeout = 10)
{
    expect_error("*.*.min_duration = 3\r*.*.min_query_count = 4\n", LG_CONF_USER,
                 "user.conf:1:21: a carriage return inside the line (only CRLF line ends "
                 "are accepted)");
}

Test(config_grammar, utf8_byte_order_mark_is_skipped, .timeout = 10)
{
    lg_settings s = applied_text("\xef\xbb\xbf*.Server.target_qps = 3\n", "m", LG_SERVER);
    EXPECT_NEAR(s.server_target_qps, 3.0, 1e-12);
}

Test(config_grammar, nul_byte_is_an_error_even_in_a_comment, .timeout = 10)
{
    static const char t1[] = "*.*.min_duration = 5\n*.*.min_query_count = 1\0002\n";
    expect_error_has(t1, sizeof t1 - 1, LG_CONF_USER, "user.conf:2:24: ", "NUL byte");
    static const char t2[] = "# comment \000 here\n";
    expect_error_has(t2, sizeof t2 - 1, LG_CONF_USER, "user.conf:1:11: ", "NUL byte");
}

Test(config_grammar, non_ascii_outside_comments_is_an_error, .timeout = 10)
{
    lg_config *c = make();
    add(c, "u.conf", "# r\xc3\xa9sum\xc3\xa9 in a comment is fine\n"
                     "*.*.min_duration = 5 # caf\xc3\xa9\n", LG_CONF_USER);
    lg_config_destroy(c);
    expect_error("*.*.min_duration = 5\xc3\xa9", LG_CONF_USER,
                 "user.conf:1:21: unexpected character '\\xc3'; keys and values are plain "
                 "ASCII");
}

Test(config_grammar, model_names_allow_letters_digits_dash_underscore_plus, .timeout = 10)
{
    lg_config *c = make();
    add(c, "u.conf", "llama3_1-8b-edge.Server.target_qps = 2\nA+B.Server.target_qps = 3\n",
        LG_CONF_USER);
    EXPECT_NEAR(applied(c, "llama3_1-8b-edge", LG_SERVER, NULL).server_target_qps,
                       2.0, 1e-12);
    EXPECT_NEAR(applied(c, "A+B", LG_SERVER, NULL).server_target_qps, 3.0, 1e-12);
    lg_config_destroy(c);
    expect_error("res/net.Server.target_qps = 2", LG_CONF_USER,
                 "user.conf:1:4: the model name 'res/net' holds '/'; a model is '*' or "
                 "letters, digits, '_', '-', '+' and '.'");
}

Test(config_grammar, very_long_lines, .timeout = 30)
{
    /* A 1 MiB comment line, then a key: fine. */
    size_t n = 1u << 20;
    char *t = malloc(n + 64);
    cr_assert_not_null(t);
    t[0] = '#';
    memset(t + 1, 'x', n - 1);
    strcpy(t + n, "\n*.*.min_duration = 42\n");
    lg_config *c = make();
    add(c, "long.conf", t, LG_CONF_USER);
    cr_expect_eq(applied(c, "m", LG_OFFLINE, NULL).min_duration_ms, 42);
    lg_config_destroy(c);

    /* A 1 MiB key: a model name holding '*', with the text shortened in the message. */
    memset(t, 'k', n);
    strcpy(t + n, ".Server.x = 1\n");
    memcpy(t, "*.Server.", 9);
    char err[256];
    c = make();
    cr_expect_eq(lg_config_load_string(c, "long.conf", t, strlen(t), LG_CONF_USER, err,
                                       sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "the model name '*.Server.kkk"), "%s", err);
    cr_expect_not_null(strstr(err, "chars) holds '*'"), "%s", err);
    cr_expect_lt(strlen(err), 255);
    lg_config_destroy(c);

    /* A value of 10000 digits. */
    strcpy(t, "*.*.min_duration = ");
    memset(t + strlen(t), '1', 10000);
    t[19 + 10000] = '\0';
    expect_error_has(t, strlen(t), LG_CONF_USER, "user.conf:1:20: ",
                     "is longer than 256 characters");
    free(t);
}

Test(config_grammar, many_lines_keep_their_line_numbers, .timeout = 30)
{
    size_t lines = 20000;
    char *t = malloc(lines * 40);
    cr_assert_not_null(t);
    size_t len = 0;
    for (size_t i = 0; i < lines; i++)
        len += (size_t)sprintf(t + len, "m%zu.*.min_query_count = %zu\n", i, i + 1);
    lg_config *c = make();
    add(c, "big.conf", t, LG_CONF_USER);
    cr_expect_eq(lg_config_entry_count(c), lines);
    {
        lg_config_origin o[64] = {0};
        cr_assert_leq(lg_settings_field_count(), 64);
        lg_settings s = applied(c, "m12345", LG_OFFLINE, o);
        cr_expect_eq(s.min_query_count, 12346);
        size_t f = field("min_query_count");
        cr_expect_eq(o[f].line, 12346);
    }
    lg_config_destroy(c);
    free(t);
}

/* ---------------------------------------------------------------------------------
 * Errors: exact file:line:column, offending text, did-you-mean
 * ------------------------------------------------------------------------------- */

Test(config_errors, misspelled_key_suggests_the_near_key, .timeout = 10)
{
    expect_error("# user settings\n*.Server.target_qsp = 5\n", LG_CONF_USER,
                 "user.conf:2:10: unknown key 'target_qsp'; did you mean 'target_qps'?");
    expect_error("*.*.min_duraton = 5", LG_CONF_USER,
                 "user.conf:1:5: unknown key 'min_duraton'; did you mean 'min_duration'?");
    expect_error("*.Server.Target_QPS = 5", LG_CONF_USER,
                 "user.conf:1:10: unknown key 'Target_QPS'; did you mean 'target_qps'?");
    expect_error("*.*.target_latency_percentil = 99", LG_CONF_USER,
                 "user.conf:1:5: unknown key 'target_latency_percentil'; did you mean "
                 "'target_latency_percentile'?");
    expect_error("*.*.perfomance_sample_count_overide = 5", LG_CONF_USER,
                 "user.conf:1:5: unknown key 'perfomance_sample_count_overide'; did you "
                 "mean 'performance_sample_count_override'?");
}

Test(config_errors, unknown_key_far_from_all_names_lists_none, .timeout = 10)
{
    expect_error("*.*.banana = 5", LG_CONF_USER,
                 "user.conf:1:5: unknown key 'banana' (docs/configuration.md lists the "
                 "keys)");
}

Test(config_errors, lg_settings_field_name_as_key_points_to_the_key, .timeout = 10)
{
    expect_error("*.*.min_duration_ms = 5", LG_CONF_USER,
                 "user.conf:1:5: unknown key 'min_duration_ms'; did you mean "
                 "'min_duration'? ('min_duration_ms' is the lg_settings field it sets)");
    expect_error("*.Server.server_target_qps = 5", LG_CONF_USER,
                 "user.conf:1:10: unknown key 'server_target_qps'; did you mean "
                 "'target_qps'? ('server_target_qps' is the lg_settings field it sets)");
}

Test(config_errors, unknown_scenario_suggests_the_near_scenario, .timeout = 10)
{
    expect_error("*.server.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:3: unknown scenario 'server'; did you mean 'Server'?");
    expect_error("*.SingelStream.target_latency = 5", LG_CONF_USER,
                 "user.conf:1:3: unknown scenario 'SingelStream'; did you mean "
                 "'SingleStream'?");
    expect_error("*.Batch.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:3: unknown scenario 'Batch'; the scenarios are "
                 "SingleStream, MultiStream, Server, Offline and '*'");
}

Test(config_errors, swapped_model_and_scenario, .timeout = 10)
{
    expect_error("Server.resnet50.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:8: unknown scenario 'resnet50'; the parts look swapped: a "
                 "key is model.scenario.name, did you mean 'resnet50.Server.target_qps'?");
}

Test(config_errors, missing_parts_of_the_key, .timeout = 10)
{
    expect_error("target_qps = 5", LG_CONF_USER,
                 "user.conf:1:1: the key 'target_qps' has one part; a key has three, "
                 "model.scenario.name (e.g. '*.Server.target_qps'); did you mean "
                 "'*.*.target_qps'?");
    expect_error("Server.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:1: the key 'Server.target_qps' has two parts; a key has "
                 "three, model.scenario.name (e.g. '*.Server.target_qps'); did you mean "
                 "'*.Server.target_qps'?");
    expect_error("resnet50.min_duration = 5", LG_CONF_USER,
                 "user.conf:1:1: the key 'resnet50.min_duration' has two parts; a key has "
                 "three, model.scenario.name (e.g. '*.Server.target_qps'); did you mean "
                 "'resnet50.*.min_duration'?");
    /* A model name may hold dots (the key is read from the right): see
     * keys_are_read_from_the_right_and_stay_strict. A wildcard inside one may not. */
    expect_error("a.*.Server.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:3: the model name 'a.*' holds '*'; a model is '*' or "
                 "letters, digits, '_', '-', '+' and '.'");
    expect_error("*..target_qps = 5", LG_CONF_USER,
                 "user.conf:1:3: the scenario part of the key '*..target_qps' is empty; a "
                 "key is model.scenario.name, with '*' for any model or scenario");
    expect_error(".Server.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:1: the model part of the key '.Server.target_qps' is empty; "
                 "a key is model.scenario.name, with '*' for any model or scenario");
    expect_error("*.Server. = 5", LG_CONF_USER,
                 "user.conf:1:10: the name part of the key '*.Server.' is empty; a key is "
                 "model.scenario.name, with '*' for any model or scenario");
}

Test(config_errors, missing_equals_value_or_key, .timeout = 10)
{
    expect_error("*.Server.target_qps 5", LG_CONF_USER,
                 "user.conf:1:21: expected '=' after the key '*.Server.target_qps', found "
                 "'5'");
    expect_error("*.Server.target_qps", LG_CONF_USER,
                 "user.conf:1:20: expected '= value' after the key '*.Server.target_qps'");
    expect_error("*.Server.target_qps =", LG_CONF_USER,
                 "user.conf:1:22: missing value after '=' for the key "
                 "'*.Server.target_qps'");
    expect_error("*.Server.target_qps = # nothing", LG_CONF_USER,
                 "user.conf:1:23: missing value after '=' for the key "
                 "'*.Server.target_qps'");
    expect_error("  = 5", LG_CONF_USER,
                 "user.conf:1:3: a line starts with '=' but has no key before it");
}

Test(config_errors, trailing_garbage_after_the_value, .timeout = 10)
{
    expect_error("*.Server.target_qps = 5 6", LG_CONF_USER,
                 "user.conf:1:25: unexpected text after the value of "
                 "'*.Server.target_qps': '6'; a line holds one 'key = value'");
    expect_error("*.Server.target_qps = 5 qps", LG_CONF_USER,
                 "user.conf:1:25: unexpected text after the value of "
                 "'*.Server.target_qps': 'qps'; a line holds one 'key = value'");
    expect_error("*.*.min_duration = 5 = 6", LG_CONF_USER,
                 "user.conf:1:22: unexpected text after the value of '*.*.min_duration': "
                 "'= 6'; a line holds one 'key = value'");
}

Test(config_errors, value_that_is_not_a_number, .timeout = 10)
{
    expect_error("*.Server.target_qps = fast", LG_CONF_USER,
                 "user.conf:1:23: the value 'fast' of '*.Server.target_qps' is not a "
                 "number");
    static const char *bad[] = {"inf", "nan", "1e", ".", "+", "1.2.3", "0x", "0x1p3",
                                "1,5", "5ms", "--5", "0b101"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char t[64];
        snprintf(t, sizeof t, "*.Server.target_qps = %s", bad[i]);
        expect_error_has(t, strlen(t), LG_CONF_USER, "user.conf:1:23: ", "is not a number");
    }
}

Test(config_errors, negative_qps_and_zero_qps, .timeout = 10)
{
    expect_error("*.Server.target_qps = -5", LG_CONF_USER,
                 "user.conf:1:23: the value '-5' of '*.Server.target_qps' is negative; it "
                 "must be at least 1e-06 and at most 1000000000000 (queries per second)");
    expect_error("*.Offline.target_qps = 0", LG_CONF_USER,
                 "user.conf:1:24: the value '0' of '*.Offline.target_qps' is out of range; "
                 "it must be at least 1e-06 and at most 1000000000000 (queries per second)");
    /* Below 1e-6 the mean gap between queries would not fit in int64_t nanoseconds. */
    expect_error("*.Server.target_qps = 1e-300", LG_CONF_USER,
                 "user.conf:1:23: the value '1e-300' of '*.Server.target_qps' is out of "
                 "range; it must be at least 1e-06 and at most 1000000000000 (queries per "
                 "second)");
}

Test(config_errors, percentile_of_100_or_more_or_0, .timeout = 10)
{
    expect_error("*.Server.target_latency_percentile = 100", LG_CONF_USER,
                 "user.conf:1:38: the value '100' of '*.Server.target_latency_percentile' "
                 "is out of range; it must be above 0 and below 100 (percent)");
    expect_error_in("*.Server.target_latency_percentile = 0", LG_CONF_USER,
                     "user.conf:1:38: ", "is out of range");
    /* 0.99 percent is legal (if odd): the unit is percent, not a fraction. */
    lg_settings s = applied_text("*.Server.target_latency_percentile = 0.99", "m",
                                 LG_SERVER);
    cr_expect_eq(s.server_target_latency_percentile, 0.0099, "exactly 0.99e-2");
}

Test(config_errors, integer_keys_refuse_fractions_negatives_and_octal, .timeout = 10)
{
    expect_error("*.*.min_duration = 1.5", LG_CONF_USER,
                 "user.conf:1:20: the value '1.5' of '*.*.min_duration' is not a whole "
                 "number");
    expect_error("*.*.min_query_count = 1e3", LG_CONF_USER,
                 "user.conf:1:23: the value '1e3' of '*.*.min_query_count' is not a whole "
                 "number");
    expect_error("*.*.min_query_count = -1", LG_CONF_USER,
                 "user.conf:1:23: the value '-1' of '*.*.min_query_count' is negative; a "
                 "count, a duration or a seed cannot be");
    expect_error("*.*.min_query_count = 010", LG_CONF_USER,
                 "user.conf:1:23: the value '010' of '*.*.min_query_count' has a leading "
                 "zero, which MLPerf would read as an octal number; write it without the "
                 "zero (or as 0x... for hexadecimal)");
}

Test(config_errors, huge_values_never_overflow, .timeout = 10)
{
    expect_error("*.*.min_query_count = 99999999999999999999999", LG_CONF_USER,
                 "user.conf:1:23: the value '99999999999999999999999' of "
                 "'*.*.min_query_count' is too large to be represented; it must be a whole "
                 "number from 0 to 68719476736 (queries)");
    expect_error("*.*.qsl_rng_seed = 18446744073709551616", LG_CONF_MLPERF,
                 "user.conf:1:20: the value '18446744073709551616' of '*.*.qsl_rng_seed' "
                 "is too large to be represented; it must be a whole number from 0 to "
                 "18446744073709551615 (seed)");
    expect_error("*.*.qsl_rng_seed = 0x10000000000000000", LG_CONF_MLPERF,
                 "user.conf:1:20: the value '0x10000000000000000' of '*.*.qsl_rng_seed' is "
                 "too large to be represented; it must be a whole number from 0 to "
                 "18446744073709551615 (seed)");
    expect_error("*.Server.target_qps = 1e400", LG_CONF_USER,
                 "user.conf:1:23: the value '1e400' of '*.Server.target_qps' is too large "
                 "to be represented; it must be at least 1e-06 and at most 1000000000000 "
                 "(queries per second)");
    expect_error("*.Server.target_qps = 99999999999999999999999", LG_CONF_USER,
                 "user.conf:1:23: the value '99999999999999999999999' of "
                 "'*.Server.target_qps' is out of range; it must be at least 1e-06 and at most "
                 "1000000000000 (queries per second)");
    expect_error("*.*.min_duration = 31536000001", LG_CONF_USER,
                 "user.conf:1:20: the value '31536000001' of '*.*.min_duration' is out of "
                 "range; it must be a whole number from 0 to 31536000000 (ms)");
    expect_error_in("*.Server.target_latency = 1e300", LG_CONF_USER,
                     "user.conf:1:27: ", "is out of range; it must be at least 0 and at "
                     "most 31536000000 (ms)");
    expect_error_in("*.Server.target_qps = 1e-400", LG_CONF_USER, "user.conf:1:23: ",
                     "is out of range");
}

Test(config_errors, largest_values_are_accepted, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf",
        "*.*.qsl_rng_seed = 18446744073709551615\n"
        "*.*.sample_index_rng_seed = 0xffffffffffffffff\n"
        "*.*.min_duration = 31536000000\n"
        "*.Server.target_latency = 31536000000\n"
        "*.Server.target_qps = 1e9\n",
        LG_CONF_MLPERF);
    lg_settings s = applied(c, "m", LG_SERVER, NULL);
    cr_expect_eq(s.qsl_rng_seed, UINT64_MAX);
    cr_expect_eq(s.sample_index_rng_seed, UINT64_MAX);
    cr_expect_eq(s.min_duration_ms, UINT64_C(31536000000));
    cr_expect_eq(s.server_target_latency_ns, INT64_C(31536000000000000));
    EXPECT_NEAR(s.server_target_qps, 1e9, 1e-3);
    lg_config_destroy(c);
}

Test(config_errors, samples_per_query_is_at_least_1, .timeout = 10)
{
    /* Found by fuzz_config: 0 was accepted. */
    expect_error("*.MultiStream.samples_per_query = 0", LG_CONF_USER,
                 "user.conf:1:35: the value '0' of '*.MultiStream.samples_per_query' is out "
                 "of range; it must be a whole number from 1 to 1048576 (samples)");
    lg_settings s;
    lg_settings_default(&s);
    char err[256];
    cr_expect_eq(lg_settings_field_set(&s, field("multi_stream_samples_per_query"), "0",
                                       err, sizeof err), LG_EINVAL);
    cr_expect_str_eq(err, "multi_stream_samples_per_query: 0 is out of range; it must be "
                          "at least 1 and at most 1048576 (count)");
}

Test(config_errors, booleans_are_0_or_1_and_mode_0_to_3, .timeout = 10)
{
    expect_error("*.*.print_timestamps = 2", LG_CONF_USER,
                 "user.conf:1:24: the value '2' of '*.*.print_timestamps' is out of range; "
                 "it must be 0 (off) or 1 (on)");
    expect_error("*.*.mode = 4", LG_CONF_USER,
                 "user.conf:1:12: the value '4' of '*.*.mode' is out of range; it must be 0 "
                 "(SubmissionRun), 1 (AccuracyOnly), 2 (PerformanceOnly) or 3 "
                 "(FindPeakPerformance, Server only)");
}

Test(config_errors, key_under_a_scenario_it_does_not_apply_to, .timeout = 10)
{
    expect_error("*.SingleStream.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:3: 'target_qps' does not apply to SingleStream (it applies to "
                 "Server, Offline); for SingleStream set target_latency, the expected "
                 "latency");
    expect_error("*.Offline.target_latency = 5", LG_CONF_USER,
                 "user.conf:1:3: 'target_latency' does not apply to Offline (it applies to "
                 "SingleStream, MultiStream, Server)");
    expect_error("*.Server.samples_per_query = 5", LG_CONF_USER,
                 "user.conf:1:3: 'samples_per_query' does not apply to Server (it applies "
                 "to MultiStream)");
    expect_error("*.Offline.max_async_queries = 5", LG_CONF_USER,
                 "user.conf:1:3: 'max_async_queries' does not apply to Offline (it applies "
                 "to Server)");
}

Test(config_errors, mlperf_only_keys_are_refused_in_user_conf, .timeout = 10)
{
    static const char *k[] = {"qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed",
                              "accuracy_log_probability", "test05",
                              "test05_qsl_rng_seed"};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        char t[96], want[300];
        snprintf(t, sizeof t, "*.*.%s = 1", k[i]);
        snprintf(want, sizeof want, "user.conf:1:5: '%s' is read only from mlperf.conf "
                 "(MLPerf ignores it in user.conf); put it in a file loaded as mlperf.conf, "
                 "or set it on the command line", k[i]);
        expect_error(t, LG_CONF_USER, want);
        lg_config *c = make();
        add(c, "mlperf.conf", t, LG_CONF_MLPERF);
        lg_config_destroy(c);
    }
}

Test(config_errors, the_first_error_rejects_the_whole_file, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", "*.Server.target_qps = 3\n", LG_CONF_MLPERF);
    char err[256];
    const char *bad = "*.Server.target_qps = 100\n"
                      "*.*.min_duration = 5\n"
                      "*.Server.target_qsp = 5\n"
                      "*.*.min_query_count = 5\n";
    cr_expect_eq(lg_config_load_string(c, "user.conf", bad, strlen(bad), LG_CONF_USER, err,
                                       sizeof err), LG_EINVAL);
    cr_expect_str_eq(err, "user.conf:3:10: unknown key 'target_qsp'; did you mean "
                          "'target_qps'?");
    cr_expect_eq(lg_config_entry_count(c), 1);
    lg_settings s = applied(c, "m", LG_SERVER, NULL);
    EXPECT_NEAR(s.server_target_qps, 3.0, 1e-12);
    cr_expect_eq(s.min_duration_ms, 10000);
    /* The config stays usable: a good file loads after the bad one. */
    add(c, "user2.conf", "*.*.min_duration = 7\n", LG_CONF_USER);
    cr_expect_eq(applied(c, "m", LG_SERVER, NULL).min_duration_ms, 7);
    lg_config_destroy(c);
}

Test(config_errors, error_buffer_is_bounded_and_optional, .timeout = 10)
{
    lg_config *c = make();
    const char *bad = "*.Server.target_qsp = 5";
    char small[8];
    memset(small, 'Z', sizeof small);
    cr_expect_eq(lg_config_load_string(c, "user.conf", bad, strlen(bad), LG_CONF_USER,
                                       small, sizeof small), LG_EINVAL);
    cr_expect_str_eq(small, "user.co");
    cr_expect_eq(lg_config_load_string(c, "user.conf", bad, strlen(bad), LG_CONF_USER,
                                       NULL, 0), LG_EINVAL);
    char one[1] = {'Z'};
    cr_expect_eq(lg_config_load_string(c, "user.conf", bad, strlen(bad), LG_CONF_USER,
                                       one, 1), LG_EINVAL);
    cr_expect_eq(one[0], '\0');
    lg_config_destroy(c);
}

Test(config_errors, bad_arguments, .timeout = 10)
{
    char err[128];
    cr_expect_eq(lg_config_create(NULL), LG_EINVAL);
    lg_config_destroy(NULL);
    cr_expect_eq(lg_config_load_string(NULL, "x", "", 0, LG_CONF_USER, err, sizeof err),
                 LG_EINVAL);
    lg_config *c = make();
    cr_expect_eq(lg_config_load_string(c, "x", "", 0, 3, err, sizeof err), LG_EINVAL);
    cr_expect_eq(lg_config_load_string(c, "x", NULL, 5, LG_CONF_USER, err, sizeof err),
                 LG_EINVAL);
    cr_expect_eq(lg_config_load_file(c, NULL, LG_CONF_USER, err, sizeof err), LG_EINVAL);
    lg_settings s;
    lg_settings_default(&s);
    cr_expect_eq(lg_config_apply(c, "m", (lg_scenario)7, &s, NULL, err, sizeof err),
                 LG_EINVAL);
    cr_expect_eq(lg_config_apply(c, "bad model", LG_SERVER, &s, NULL, err, sizeof err),
                 LG_EINVAL);
    cr_expect_eq(lg_config_apply(c, "", LG_SERVER, &s, NULL, err, sizeof err), LG_EINVAL);
    cr_expect_eq(lg_config_apply(c, "m", LG_SERVER, NULL, NULL, err, sizeof err),
                 LG_EINVAL);
    cr_expect_eq(lg_config_apply(NULL, "m", LG_SERVER, &s, NULL, err, sizeof err),
                 LG_EINVAL);
    lg_config_entry e;
    cr_expect_eq(lg_config_entry_get(c, 0, &e), LG_EINVAL);
    cr_expect_eq(lg_config_entry_status(c, 0, "m", LG_SERVER), LG_EINVAL);
    cr_expect_eq(lg_config_entry_count(NULL), 0);
    lg_config_destroy(c);
}

/* ---------------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------------- */

Test(config_files, load_file_reads_and_names_the_file, .timeout = 10)
{
    char path[] = "/tmp/lg_config_test_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *t = "# user\n*.Server.target_qps = 11\n*.Server.target_qsp = 1\n";
    cr_assert_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    close(fd);
    lg_config *c = make();
    char err[512], want[600];
    cr_expect_eq(lg_config_load_file(c, path, LG_CONF_USER, err, sizeof err), LG_EINVAL);
    snprintf(want, sizeof want, "%s:3:10: unknown key 'target_qsp'; did you mean "
             "'target_qps'?", path);
    cr_expect_str_eq(err, want);

    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("# user\n*.Server.target_qps = 11\n", f);
    fclose(f);
    cr_expect_eq(lg_config_load_file(c, path, LG_CONF_USER, err, sizeof err), 0, "%s", err);
    lg_config_origin o[64] = {0};
    lg_settings s = applied(c, "m", LG_SERVER, o);
    EXPECT_NEAR(s.server_target_qps, 11.0, 1e-12);
    size_t qf = field("server_target_qps");
    cr_expect_str_eq(o[qf].file, path);
    cr_expect_eq(o[qf].line, 2);
    unlink(path);
    lg_config_destroy(c);
}

Test(config_files, missing_file_and_directory_are_io_errors, .timeout = 10)
{
    lg_config *c = make();
    char err[256];
    cr_expect_eq(lg_config_load_file(c, "/nonexistent/user.conf", LG_CONF_USER, err,
                                     sizeof err), LG_EIO);
    cr_expect_str_eq(err, "/nonexistent/user.conf: cannot open: No such file or directory");
    cr_expect_eq(lg_config_load_file(c, "/tmp", LG_CONF_USER, err, sizeof err), LG_EIO);
    cr_expect_str_eq(err, "/tmp: cannot read: Is a directory");
    cr_expect_eq(lg_config_entry_count(c), 0);
    lg_config_destroy(c);
}

Test(config_files, oversized_text_is_refused, .timeout = 10)
{
    lg_config *c = make();
    char err[256];
    cr_expect_eq(lg_config_load_string(c, "big", "", (size_t)LG_CONFIG_MAX_BYTES + 1,
                                       LG_CONF_USER, err, sizeof err), LG_EINVAL);
    cr_expect_str_eq(err, "big: 16777217 bytes; a config file may hold at most 16777216");
    lg_config_destroy(c);
}

Test(config_files, kind_from_path, .timeout = 10)
{
    cr_expect_eq(lg_config_kind_from_path("mlperf.conf"), LG_CONF_MLPERF);
    cr_expect_eq(lg_config_kind_from_path("/a/b/mlperf.conf"), LG_CONF_MLPERF);
    cr_expect_eq(lg_config_kind_from_path("user.conf"), LG_CONF_USER);
    cr_expect_eq(lg_config_kind_from_path("/a/mlperf.conf/user.conf"), LG_CONF_USER);
    cr_expect_eq(lg_config_kind_from_path("my_mlperf.conf"), LG_CONF_USER);
    cr_expect_eq(lg_config_kind_from_path(NULL), LG_CONF_USER);
}

Test(config_files, mlperf_conf_after_user_conf_is_refused, .timeout = 10)
{
    lg_config *c = make();
    add(c, "user.conf", "*.Server.target_qps = 5\n", LG_CONF_USER);
    char err[256];
    cr_expect_eq(lg_config_load_string(c, "mlperf.conf", "", 0, LG_CONF_MLPERF, err,
                                       sizeof err), LG_EINVAL);
    cr_expect_str_eq(err, "mlperf.conf: an mlperf.conf file must be loaded before "
                          "user.conf files (a later file overrides an earlier one)");
    /* Two mlperf-kind files, then two user files, are fine. */
    lg_config *d = make();
    add(d, "a", "", LG_CONF_MLPERF);
    add(d, "b", "", LG_CONF_MLPERF);
    add(d, "c", "", LG_CONF_USER);
    add(d, "d", "", LG_CONF_USER);
    lg_config_destroy(d);
    lg_config_destroy(c);
}

/* ---------------------------------------------------------------------------------
 * Units and fields
 * ------------------------------------------------------------------------------- */

Test(config_units, target_latency_is_ms, .timeout = 10)
{
    lg_settings s = applied_text("*.Server.target_latency = 15\n"
                                 "*.SingleStream.target_latency = 10\n"
                                 "*.MultiStream.target_latency = 80\n",
                                 "m", LG_SERVER);
    cr_expect_eq(s.server_target_latency_ns, 15000000);
    EXPECT_NEAR(s.single_stream_expected_latency_ns, 1e7, 1e-6);
    EXPECT_NEAR(s.multi_stream_expected_latency_ns, 8e7, 1e-6);
}

Test(config_units, fractional_ms_are_kept_to_the_nanosecond, .timeout = 10)
{
    /* MLPerf reads Server's target_latency as an integer (0.5 becomes 0); we keep it. */
    lg_settings s = applied_text("*.Server.target_latency = 0.5\n"
                                 "*.SingleStream.target_latency = 0.0123456789\n"
                                 "*.*.sample_timeout = 2500.5\n",
                                 "m", LG_SERVER);
    cr_expect_eq(s.server_target_latency_ns, 500000);
    cr_expect_eq(s.single_stream_expected_latency_ns, 12346.0);
    cr_expect_eq(s.sample_timeout_ns, INT64_C(2500500000));
}

Test(config_units, percentiles_are_percent, .timeout = 10)
{
    lg_settings s = applied_text("*.Server.target_latency_percentile = 99\n"
                                 "*.SingleStream.target_latency_percentile = 90\n"
                                 "*.MultiStream.target_latency_percentile = 99.9\n",
                                 "m", LG_SERVER);
    cr_expect_eq(s.server_target_latency_percentile, 0.99);
    cr_expect_eq(s.single_stream_target_latency_percentile, 0.90);
    cr_expect_eq(s.multi_stream_target_latency_percentile, 0.999);
}

Test(config_units, accuracy_log_probability_is_percent, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", "*.*.accuracy_log_probability = 10\n", LG_CONF_MLPERF);
    lg_settings s = applied(c, "m", LG_OFFLINE, NULL);
    cr_expect_eq(s.accuracy_log_probability, 0.10);
    lg_config_destroy(c);
    expect_error_in("*.*.accuracy_log_probability = 100.5", LG_CONF_MLPERF,
                     "user.conf:1:32: ", "at least 0 and at most 100 (percent)");
}

Test(config_units, every_supported_key_reaches_its_field, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf",
        "*.*.mode = 1\n"
        "*.MultiStream.samples_per_query = 12\n"
        "*.Server.target_qps = 123.5\n"
        "*.Server.coalesce_queries = 1\n"
        "*.Server.max_async_queries = 4\n"
        "*.Server.num_issue_query_threads = 3\n"
        "*.Offline.target_qps = 2000\n"
        "*.*.min_duration = 60000\n"
        "*.*.max_duration = 70000\n"
        "*.*.min_query_count = 11\n"
        "*.*.max_query_count = 0x20\n"
        "*.*.qsl_rng_seed = 1780908523862526354\n"
        "*.*.sample_index_rng_seed = 14771362308971278857\n"
        "*.*.schedule_rng_seed = 18209322760996052031\n"
        "*.*.accuracy_log_rng_seed = 720381539243781796\n"
        "*.*.accuracy_log_probability = 0\n"
        "*.*.accuracy_log_sampling_target = 64\n"
        "*.*.print_timestamps = 1\n"
        "*.*.performance_issue_unique = 1\n"
        "*.*.performance_issue_same = 0\n"
        "*.*.performance_issue_same_index = 3\n"
        "*.*.performance_sample_count_override = 1024\n"
        "*.*.accuracy_sample_count_override = 500\n"
        "*.*.sample_concatenate_permutation = 1\n"
        "*.*.sample_timeout = 1000\n"
        "*.*.warmup_duration = 250\n"
        "*.*.use_token_latencies = 1\n"
        "*.*.infer_token_latencies = 1\n"
        "*.*.token_latency_scaling_factor = 69\n"
        "*.Server.ttft_latency = 450.5\n"
        "*.Server.tpot_latency = 40\n"
        "*.*.slo_ttft = 200\n"
        "*.*.slo_tpot = 0.05\n"
        "*.*.slo_e2e = 2000\n"
        "*.*.concurrency = 12\n"
        "*.*.issue_spin = 0.05\n"
        "*.*.issue_batch = 0.1\n"
        "*.*.test05 = 1\n"
        "*.*.test05_qsl_rng_seed = 11\n"
        "*.*.test05_sample_index_rng_seed = 12\n"
        "*.*.test05_schedule_rng_seed = 13\n"
        "*.*.no_sample_timeout = 1\n"
        "*.*.mlperf_max_limits = 1\n"
        "*.*.arrival = Gamma\n"
        "*.*.arrival_burstiness = 0.25\n"
        "*.*.arrival_start_qps = 10.5\n"
        "*.*.arrival_trace_speed = 2\n"
        "*.*.record_hdr = 1\n"
        "*.*.hdr_significant_digits = 3\n",
        LG_CONF_MLPERF);
    lg_config_origin o[64] = {0};
    lg_settings s = applied(c, "resnet50", LG_SERVER, o);
    cr_expect_eq(s.mode, LG_MODE_ACCURACY);
    cr_expect_eq(s.multi_stream_samples_per_query, 12);
    cr_expect_eq(s.server_target_qps, 123.5);
    cr_expect(s.server_coalesce_queries);
    cr_expect_eq(s.server_max_async_queries, 4);
    cr_expect_eq(s.offline_expected_qps, 2000.0);
    cr_expect_eq(s.min_duration_ms, 60000);
    cr_expect_eq(s.max_duration_ms, 70000);
    cr_expect_eq(s.min_query_count, 11);
    cr_expect_eq(s.max_query_count, 32);
    cr_expect_eq(s.qsl_rng_seed, UINT64_C(1780908523862526354));
    cr_expect_eq(s.sample_index_rng_seed, UINT64_C(14771362308971278857));
    cr_expect_eq(s.schedule_rng_seed, UINT64_C(18209322760996052031));
    cr_expect_eq(s.accuracy_log_rng_seed, UINT64_C(720381539243781796));
    cr_expect_eq(s.accuracy_log_probability, 0.0);
    cr_expect_eq(s.accuracy_log_sampling_target, 64);
    cr_expect(s.print_timestamps);
    cr_expect(s.performance_issue_unique);
    cr_expect_not(s.performance_issue_same);
    cr_expect_eq(s.performance_issue_same_index, 3);
    cr_expect_eq(s.performance_sample_count_override, 1024);
    cr_expect_eq(s.accuracy_sample_count_override, 500);
    cr_expect(s.sample_concatenate_permutation);
    cr_expect_eq(s.sample_timeout_ns, INT64_C(1000000000));
    cr_expect_eq(s.warmup_duration_ms, 250);
    cr_expect(s.use_token_latencies);
    cr_expect(s.infer_token_latencies);
    cr_expect_eq(s.token_latency_scaling_factor, 69);
    cr_expect_eq(s.server_ttft_latency_ns, 450500000);
    cr_expect_eq(s.server_tpot_latency_ns, 40000000);
    cr_expect_eq(s.slo_ttft_ns, 200000000);
    cr_expect_eq(s.slo_tpot_ns, 50000);
    cr_expect_eq(s.slo_e2e_ns, INT64_C(2000000000));
    cr_expect_eq(s.concurrency, 12);
    cr_expect_eq(s.issue_spin_ns, 50000);
    cr_expect_eq(s.issue_batch_ns, 100000);
    cr_expect(s.test05);
    cr_expect_eq(s.test05_qsl_rng_seed, 11);
    cr_expect_eq(s.test05_sample_index_rng_seed, 12);
    cr_expect_eq(s.test05_schedule_rng_seed, 13);
    cr_expect(s.no_sample_timeout);
    cr_expect(s.mlperf_max_limits);
    cr_expect_eq(s.arrival, LG_ARRIVAL_GAMMA);
    cr_expect_eq(s.arrival_burstiness, 0.25);
    cr_expect_eq(s.arrival_start_qps, 10.5);
    cr_expect_eq(s.arrival_trace_speed, 2.0);
    cr_expect_eq(s.server_num_issue_query_threads, 3);
    cr_expect(s.record_hdr);
    cr_expect_eq(s.hdr_significant_digits, 3);
    /* Every field with a key got an origin; the others kept theirs. */
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        const char *k = lg_settings_field_conf_key(i);
        bool expect_file = k && strcmp(k, "target_latency") != 0 &&
                           strcmp(k, "target_latency_percentile") != 0;
        cr_expect_eq(o[i].source, expect_file ? LG_CONF_SRC_FILE : LG_CONF_SRC_DEFAULT,
                     "field %s", lg_settings_field_name(i));
    }
    lg_config_destroy(c);
}

/* ---------------------------------------------------------------------------------
 * Lookup order and precedence
 * ------------------------------------------------------------------------------- */

Test(config_lookup, specific_beats_scenario_wildcard_beats_model_wildcard, .timeout = 10)
{
    /* Whatever the order of the lines, the most specific key wins. */
    static const char *lines[] = {
        "resnet50.Server.target_qps = 1\n",
        "*.Server.target_qps = 2\n",
        "resnet50.*.target_qps = 3\n",
        "*.*.target_qps = 4\n",
    };
    static const int orders[][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}, {2, 0, 3, 1}};
    for (size_t o = 0; o < 4; o++) {
        for (size_t drop = 0; drop < 4; drop++) {
            char t[256] = "";
            for (size_t i = 0; i < 4; i++)
                if ((size_t)orders[o][i] >= drop)
                    strcat(t, lines[orders[o][i]]);
            lg_settings s = applied_text(t, "resnet50", LG_SERVER);
            cr_expect_eq(s.server_target_qps, (double)(drop + 1),
                         "order %zu without the %zu most specific: got %g", o, drop,
                         s.server_target_qps);
        }
    }
}

Test(config_lookup, scenario_wildcard_beats_model_wildcard, .timeout = 10)
{
    lg_settings s = applied_text("*.Server.min_duration = 100\n"
                                 "resnet50.*.min_duration = 200\n",
                                 "resnet50", LG_SERVER);
    cr_expect_eq(s.min_duration_ms, 100);
    s = applied_text("resnet50.*.min_duration = 200\n*.Server.min_duration = 100\n",
                     "resnet50", LG_SERVER);
    cr_expect_eq(s.min_duration_ms, 100);
    /* In another scenario the scenario line does not match. */
    s = applied_text("*.Server.min_duration = 100\nresnet50.*.min_duration = 200\n",
                     "resnet50", LG_OFFLINE);
    cr_expect_eq(s.min_duration_ms, 200);
}

Test(config_lookup, last_line_for_the_same_key_wins, .timeout = 10)
{
    lg_config *c = make();
    add(c, "user.conf",
        "*.Server.target_qps = 1\n*.Server.target_qps = 2\n*.Server.target_qps = 3\n",
        LG_CONF_USER);
    lg_config_origin o[64] = {0};
    lg_settings s = applied(c, "m", LG_SERVER, o);
    cr_expect_eq(s.server_target_qps, 3.0);
    cr_expect_eq(o[field("server_target_qps")].line, 3);
    cr_expect_eq(lg_config_entry_status(c, 0, "m", LG_SERVER), LG_CONF_ENTRY_OVERRIDDEN);
    cr_expect_eq(lg_config_entry_status(c, 2, "m", LG_SERVER), LG_CONF_ENTRY_APPLIED);
    lg_config_destroy(c);
}

Test(config_lookup, user_conf_overrides_mlperf_conf_even_when_less_specific, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", "resnet50.Server.target_latency = 15\n", LG_CONF_MLPERF);
    add(c, "user.conf", "*.*.target_latency = 7\n", LG_CONF_USER);
    lg_config_origin o[64] = {0};
    lg_settings s = applied(c, "resnet50", LG_SERVER, o);
    cr_expect_eq(s.server_target_latency_ns, 7000000);
    size_t f = field("server_target_latency_ns");
    cr_expect_str_eq(o[f].file, "user.conf");
    cr_expect_eq(lg_config_entry_status(c, 0, "resnet50", LG_SERVER),
                 LG_CONF_ENTRY_OVERRIDDEN);
    cr_expect_eq(lg_config_entry_status(c, 1, "resnet50", LG_SERVER),
                 LG_CONF_ENTRY_APPLIED);
    lg_config_destroy(c);
}

Test(config_lookup, later_user_file_overrides_earlier_one, .timeout = 10)
{
    lg_config *c = make();
    add(c, "a.conf", "resnet50.Offline.target_qps = 100\n", LG_CONF_USER);
    add(c, "b.conf", "*.*.target_qps = 50\n", LG_CONF_USER);
    cr_expect_eq(applied(c, "resnet50", LG_OFFLINE, NULL).offline_expected_qps, 50.0);
    lg_config_destroy(c);
}

Test(config_lookup, other_models_are_stored_but_not_applied, .timeout = 10)
{
    lg_config *c = make();
    add(c, "user.conf", "bert.Server.target_qps = 9\nresnet.Server.target_qps = 8\n",
        LG_CONF_USER);
    lg_settings s = applied(c, "resnet50", LG_SERVER, NULL);
    cr_expect_eq(s.server_target_qps, 1.0);
    cr_expect_eq(lg_config_entry_status(c, 1, "resnet50", LG_SERVER),
                 LG_CONF_ENTRY_OTHER_MODEL);
    cr_expect_eq(applied(c, "bert", LG_SERVER, NULL).server_target_qps, 9.0);
    lg_config_destroy(c);
}

Test(config_lookup, no_model_applies_only_wildcard_lines, .timeout = 10)
{
    lg_config *c = make();
    add(c, "user.conf", "bert.Server.target_qps = 9\n*.Server.min_duration = 5\n",
        LG_CONF_USER);
    lg_settings s = applied(c, NULL, LG_SERVER, NULL);
    cr_expect_eq(s.server_target_qps, 1.0);
    cr_expect_eq(s.min_duration_ms, 5);
    s = applied(c, "*", LG_SERVER, NULL);
    cr_expect_eq(s.min_duration_ms, 5);
    cr_expect_eq(lg_config_entry_status(c, 0, NULL, LG_SERVER), LG_CONF_ENTRY_OTHER_MODEL);
    lg_config_destroy(c);
}

Test(config_lookup, scenario_keys_are_read_under_their_own_scenario, .timeout = 10)
{
    /* As in MLPerf: a Server key sets the Server field in every run; a general key is
     * read under the scenario being run. */
    lg_config *c = make();
    add(c, "user.conf",
        "*.Server.target_qps = 42\n"
        "*.Offline.target_qps = 43\n"
        "*.*.target_qps = 44\n"
        "*.Offline.min_duration = 1\n",
        LG_CONF_USER);
    lg_settings s = applied(c, "m", LG_SINGLE_STREAM, NULL);
    cr_expect_eq(s.server_target_qps, 42.0);
    cr_expect_eq(s.offline_expected_qps, 43.0);
    cr_expect_eq(s.min_duration_ms, 10000);
    cr_expect_eq(s.scenario, LG_SINGLE_STREAM);
    s = applied(c, "m", LG_OFFLINE, NULL);
    cr_expect_eq(s.min_duration_ms, 1);
    cr_expect_eq(s.scenario, LG_SINGLE_STREAM, "apply never changes s->scenario");
    cr_expect_eq(lg_config_entry_status(c, 2, "m", LG_OFFLINE), LG_CONF_ENTRY_OVERRIDDEN);
    cr_expect_eq(lg_config_entry_status(c, 3, "m", LG_SERVER),
                 LG_CONF_ENTRY_OTHER_SCENARIO);
    lg_config_destroy(c);
}

Test(config_lookup, model_names_are_case_sensitive, .timeout = 10)
{
    lg_settings s = applied_text("ResNet50.Server.target_qps = 9\n", "resnet50", LG_SERVER);
    cr_expect_eq(s.server_target_qps, 1.0);
}

/* ---------------------------------------------------------------------------------
 * A real-looking mlperf.conf with a user.conf
 * ------------------------------------------------------------------------------- */

Test(config_mlperf, official_shape_loads_and_applies_per_model, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", mlperf_conf, LG_CONF_MLPERF);
    lg_config_origin o[64] = {0};

    lg_settings s = applied(c, "resnet50", LG_SERVER, o);
    cr_expect_eq(s.server_target_latency_ns, 15000000);
    cr_expect_eq(s.server_target_latency_percentile, 0.99);
    cr_expect_eq(s.min_duration_ms, 600000);
    cr_expect_eq(s.performance_sample_count_override, 1024);
    cr_expect_eq(s.qsl_rng_seed, UINT64_C(1780908523862526354));
    cr_expect_eq(s.schedule_rng_seed, UINT64_C(18209322760996052031));
    cr_expect_eq(s.server_target_qps, 1.0);
    cr_expect_eq(s.min_query_count, 100, "resnet50.Offline.min_query_count is Offline's");
    cr_expect_eq(s.single_stream_expected_latency_ns, 1e7);
    cr_expect_eq(s.multi_stream_samples_per_query, 8);
    size_t f = field("server_target_latency_ns");
    cr_expect_eq(o[f].source, LG_CONF_SRC_FILE);
    cr_expect_str_eq(o[f].file, "mlperf.conf");
    cr_expect_eq(o[f].line, 24);
    cr_expect_str_eq(o[f].key, "resnet50.Server.target_latency");
    cr_expect_str_eq(o[f].value, "15");

    s = applied(c, "bert", LG_SERVER, NULL);
    cr_expect_eq(s.server_target_latency_ns, 130000000);
    cr_expect_eq(s.performance_sample_count_override, 10833);
    s = applied(c, "unknown-model", LG_SERVER, NULL);
    cr_expect_eq(s.server_target_latency_ns, 10000000);
    cr_expect_eq(s.performance_sample_count_override, 0);

    s = applied(c, "resnet50", LG_OFFLINE, NULL);
    cr_expect_eq(s.min_query_count, 24576);
    cr_expect_eq(s.offline_expected_qps, 1.0);
    s = applied(c, "resnet50", LG_MULTI_STREAM, NULL);
    cr_expect_eq(s.min_query_count, 662);
    cr_expect_eq(s.multi_stream_target_latency_percentile, 0.99);
    cr_expect_eq(s.multi_stream_expected_latency_ns, 8e7);
    s = applied(c, "3d-unet", LG_SINGLE_STREAM, NULL);
    cr_expect(s.sample_concatenate_permutation);
    cr_expect_eq(s.single_stream_target_latency_percentile, 0.90);
    cr_expect_eq(s.min_duration_ms, 600000);
    lg_config_destroy(c);
}

Test(config_mlperf, user_conf_on_top_of_mlperf_conf, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", mlperf_conf, LG_CONF_MLPERF);
    add(c, "user.conf",
        "# my system\n"
        "resnet50.Server.target_qps = 2500\n"
        "resnet50.Offline.target_qps = 4000.5\n"
        "*.Server.target_latency = 20\n",
        LG_CONF_USER);
    lg_config_origin o[64] = {0};
    lg_settings s = applied(c, "resnet50", LG_SERVER, o);
    cr_expect_eq(s.server_target_qps, 2500.0);
    cr_expect_eq(s.offline_expected_qps, 4000.5);
    cr_expect_eq(s.server_target_latency_ns, 20000000, "user.conf wins although less "
                 "specific");
    char buf[128];
    size_t f = field("server_target_qps");
    cr_expect_eq(lg_config_origin_format(&o[f], buf, sizeof buf), (int)strlen(buf));
    cr_expect_str_eq(buf, "user.conf:2 (resnet50.Server.target_qps = 2500)");
    f = field("min_duration_ms");
    lg_config_origin_format(&o[f], buf, sizeof buf);
    cr_expect_str_eq(buf, "mlperf.conf:23 (*.Server.min_duration = 600000)");
    f = field("max_duration_ms");
    lg_config_origin_format(&o[f], buf, sizeof buf);
    cr_expect_str_eq(buf, "default");
    lg_config_destroy(c);
}

/* MLPerf's token-latency models: use_token_latencies, the Server bound 0 and the TTFT
 * bound (whole ms, looked up under Server whatever the run's scenario), and the inferred
 * tokens of gptj, each with its origin. */
Test(config_mlperf, token_latency_models_get_their_token_settings, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", mlperf_conf, LG_CONF_MLPERF);
    lg_config_origin o[64] = {0};
    lg_settings s = applied(c, "llama2-70b", LG_SERVER, o);
    cr_expect(s.use_token_latencies);
    cr_expect_eq(s.server_target_latency_ns, 0);
    cr_expect_eq(s.server_ttft_latency_ns, INT64_C(2000000000));
    cr_expect_eq(s.server_tpot_latency_ns, 100000000, "the default");
    size_t f = field("server_ttft_latency_ns");
    cr_expect_eq(o[f].source, LG_CONF_SRC_FILE);
    cr_expect_eq(o[f].line, 28);
    cr_expect_str_eq(o[f].key, "llama2-70b.Server.ttft_latency");
    size_t line28 = 0;
    lg_config_entry e;
    while (lg_config_entry_get(c, line28, &e) == 0 && e.line != 28)
        line28++;
    cr_assert_str_eq(e.key, "llama2-70b.Server.ttft_latency");
    cr_expect_eq(lg_config_entry_status(c, line28, "llama2-70b", LG_OFFLINE),
                 LG_CONF_ENTRY_APPLIED, "ttft_latency is read under Server in any scenario");
    s = applied(c, "llama2-70b", LG_OFFLINE, NULL);
    cr_expect(s.use_token_latencies);
    cr_expect_eq(s.server_ttft_latency_ns, INT64_C(2000000000));
    s = applied(c, "gptj", LG_OFFLINE, NULL);
    cr_expect(s.infer_token_latencies);
    cr_expect_not(s.use_token_latencies);
    cr_expect_eq(s.token_latency_scaling_factor, 1, "the default");
    /* Every other model is unaffected by those lines. */
    s = applied(c, "resnet50", LG_SERVER, NULL);
    cr_expect_not(s.use_token_latencies);
    cr_expect_not(s.infer_token_latencies);
    cr_expect_eq(s.server_target_latency_ns, 15000000);
    /* Out-of-range token values are refused where they are read. */
    expect_error_in("*.Server.ttft_latency = 0", LG_CONF_USER, "user.conf:1:",
                    "ttft_latency");
    expect_error_in("*.*.token_latency_scaling_factor = 0", LG_CONF_USER, "user.conf:1:",
                    "from 1 to");
    expect_error_in("*.Offline.tpot_latency = 5", LG_CONF_USER, "user.conf:1:", "Server");
    lg_config_destroy(c);
}

Test(config_mlperf, entry_status_explains_each_line, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", mlperf_conf, LG_CONF_MLPERF);
    add(c, "user.conf", "resnet50.Server.target_qps = 2500\nresnt50.Server.target_qps = 1\n",
        LG_CONF_USER);
    size_t n = lg_config_entry_count(c);
    cr_assert_eq(n, 34);
    int want_by_line[64];
    for (int i = 0; i < 64; i++)
        want_by_line[i] = -1;
    want_by_line[4] = LG_CONF_ENTRY_APPLIED;      /* resnet50 psc */
    want_by_line[5] = LG_CONF_ENTRY_OTHER_MODEL;  /* bert psc */
    want_by_line[8] = LG_CONF_ENTRY_APPLIED;      /* seed */
    want_by_line[11] = LG_CONF_ENTRY_APPLIED;     /* test05 seed (used with test05) */
    want_by_line[13] = LG_CONF_ENTRY_APPLIED;     /* SS percentile, read in every run */
    want_by_line[14] = LG_CONF_ENTRY_OTHER_SCENARIO; /* SS min_duration */
    want_by_line[20] = LG_CONF_ENTRY_OVERRIDDEN;  /* *.Server.target_latency */
    want_by_line[22] = LG_CONF_ENTRY_IGNORED;     /* target_duration */
    want_by_line[23] = LG_CONF_ENTRY_APPLIED;
    want_by_line[24] = LG_CONF_ENTRY_APPLIED;
    want_by_line[26] = LG_CONF_ENTRY_OTHER_MODEL;
    want_by_line[30] = LG_CONF_ENTRY_IGNORED;     /* Offline percentile */
    want_by_line[37] = LG_CONF_ENTRY_OVERRIDDEN;  /* by user.conf */
    for (size_t i = 0; i < n; i++) {
        lg_config_entry e;
        cr_assert_eq(lg_config_entry_get(c, i, &e), 0);
        int st = lg_config_entry_status(c, i, "resnet50", LG_SERVER);
        cr_expect_geq(st, 0);
        if (strcmp(e.file, "mlperf.conf") == 0 && want_by_line[e.line] >= 0)
            cr_expect_eq(st, want_by_line[e.line], "line %d (%s): %s, want %s", e.line,
                         e.key, lg_config_entry_status_name(st),
                         lg_config_entry_status_name(want_by_line[e.line]));
    }
    cr_expect_eq(lg_config_entry_status(c, n - 2, "resnet50", LG_SERVER),
                 LG_CONF_ENTRY_APPLIED);
    cr_expect_eq(lg_config_entry_status(c, n - 1, "resnet50", LG_SERVER),
                 LG_CONF_ENTRY_OTHER_MODEL, "the misspelled model is the one to warn of");
    cr_expect_str_eq(lg_config_entry_status_name(LG_CONF_ENTRY_OTHER_MODEL), "other model");
    cr_expect_str_eq(lg_config_entry_status_name(99), "unknown");
    lg_config_destroy(c);
}

/* ---------------------------------------------------------------------------------
 * Apply-time errors and provenance
 * ------------------------------------------------------------------------------- */

Test(config_apply, unsupported_features_error_only_where_they_apply, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf",
        "tst.*.test05 = 1\n"
        "*.*.test05 = 0\n"
        "*.*.test05_schedule_rng_seed = 5\n",
        LG_CONF_MLPERF);
    add(c, "user.conf", "findpeak.*.mode = 3\n", LG_CONF_USER);
    char err[256];
    lg_settings s;
    lg_settings_default(&s);
    cr_expect_eq(lg_config_apply(c, "other", LG_SERVER, &s, NULL, err, sizeof err), 0,
                 "%s", err);
    cr_expect_not(s.test05);
    cr_expect_eq(s.test05_schedule_rng_seed, 5);
    /* TEST05 is supported: its switch applies like any other. */
    cr_expect_eq(lg_config_apply(c, "tst", LG_SERVER, &s, NULL, err, sizeof err), 0,
                 "%s", err);
    cr_expect(s.test05);
    /* Only mlperf.conf may switch it on, as MLPerf reads it from there only. */
    expect_error_in("*.*.test05 = 1", LG_CONF_USER, "user.conf:1:", "mlperf.conf");
    /* mode = 3 (FindPeakPerformance) applies like any other mode. */
    cr_expect_eq(lg_config_apply(c, "findpeak", LG_SERVER, &s, NULL, err, sizeof err), 0,
                 "%s", err);
    cr_expect_eq(s.mode, LG_MODE_FIND_PEAK);
    lg_config_destroy(c);
}

Test(config_apply, target_latency_of_zero_is_refused_with_its_line, .timeout = 10)
{
    lg_config *c = make();
    add(c, "user.conf", "# x\nm.Server.target_latency = 0\n", LG_CONF_USER);
    char err[256];
    lg_settings s;
    lg_settings_default(&s);
    cr_expect_eq(lg_config_apply(c, "m", LG_OFFLINE, &s, NULL, err, sizeof err), LG_EINVAL);
    cr_expect_str_eq(err, "user.conf:2: m.Server.target_latency = 0: "
                          "server_target_latency_ns needs at least 1 ns (0.000001 ms); 0 is "
                          "allowed only with use_token_latencies = 1, which judges TTFT and "
                          "TPOT instead");
    cr_expect_eq(lg_config_apply(c, "n", LG_OFFLINE, &s, NULL, err, sizeof err), 0);
    /* With token latencies on (as MLPerf's LLM benchmarks set them), 0 is the bound. */
    add(c, "user2.conf", "m.*.use_token_latencies = 1\n", LG_CONF_USER);
    cr_expect_eq(lg_config_apply(c, "m", LG_SERVER, &s, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.server_target_latency_ns, 0);
    cr_expect(s.use_token_latencies);
    cr_expect_eq(lg_settings_check(&s, NULL, err, sizeof err), 0, "%s", err);
    /* The hints of SingleStream and MultiStream never take 0. */
    add(c, "user3.conf", "m.SingleStream.target_latency = 0\n", LG_CONF_USER);
    cr_expect_eq(lg_config_apply(c, "m", LG_SINGLE_STREAM, &s, NULL, err, sizeof err),
                 LG_EINVAL);
    cr_expect(strstr(err, "single_stream_expected_latency_ns needs at least 1 ns"), "%s", err);
    lg_config_destroy(c);
}

Test(config_apply, origins_of_untouched_fields_are_kept, .timeout = 10)
{
    lg_config *c = make();
    add(c, "user.conf", "*.Server.target_qps = 5\n", LG_CONF_USER);
    lg_config_origin o[64] = {0};
    size_t f = field("min_duration_ms");
    o[f].source = LG_CONF_SRC_CALLER;
    o[f].file = "--min-duration-ms";
    lg_settings s;
    lg_settings_default(&s);
    s.min_duration_ms = 1234;
    cr_assert_eq(lg_config_apply(c, "m", LG_SERVER, &s, o, NULL, 0), 0);
    cr_expect_eq(s.min_duration_ms, 1234);
    cr_expect_eq(o[f].source, LG_CONF_SRC_CALLER);
    char buf[64];
    cr_expect_eq(lg_config_origin_format(&o[f], buf, sizeof buf), 32);
    cr_expect_str_eq(buf, "command line (--min-duration-ms)");
    lg_config_origin cl = {LG_CONF_SRC_CALLER, NULL, 0, NULL, NULL};
    lg_config_origin_format(&cl, buf, sizeof buf);
    cr_expect_str_eq(buf, "command line");
    lg_config_origin def = {0};
    cr_expect_eq(lg_config_origin_format(&def, NULL, 0), 7);
    cr_expect_eq(lg_config_origin_format(NULL, buf, sizeof buf), LG_EINVAL);
    /* Truncation keeps a terminated string and reports the full length. */
    char tiny[6];
    cr_expect_eq(lg_config_origin_format(&o[f], tiny, sizeof tiny), 32);
    cr_expect_str_eq(tiny, "comma");
    lg_config_destroy(c);
}

/* Several threads apply one config at once (read-only use is documented as safe). */
static void *apply_many(void *arg)
{
    const lg_config *c = arg;
    for (int i = 0; i < 2000; i++) {
        lg_settings s;
        lg_settings_default(&s);
        lg_config_origin o[64] = {0};
        if (lg_config_apply(c, "resnet50", (lg_scenario)(i % 4), &s, o, NULL, 0) ||
            s.performance_sample_count_override != 1024)
            return (void *)1;
    }
    return NULL;
}

Test(config_apply, concurrent_apply_of_one_config, .timeout = 60)
{
    lg_config *c = make();
    add(c, "mlperf.conf", mlperf_conf, LG_CONF_MLPERF);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, apply_many, c), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_expect_null(r);
    }
    lg_config_destroy(c);
}

Test(config_apply, numbers_ignore_the_program_locale, .timeout = 10)
{
    /* Only meaningful where a locale with a decimal comma is installed. */
    if (!setlocale(LC_ALL, "de_DE.UTF-8") && !setlocale(LC_ALL, "fr_FR.UTF-8"))
        return; /* nothing to show here */
    lg_settings s = applied_text("*.Server.target_qps = 2.5\n", "m", LG_SERVER);
    cr_expect_eq(s.server_target_qps, 2.5);
    char buf[32];
    lg_settings_field_format(&s, field("server_target_qps"), buf, sizeof buf);
    cr_expect_str_eq(buf, "2.5");
    setlocale(LC_ALL, "C");
}

/* ---------------------------------------------------------------------------------
 * The field table
 * ------------------------------------------------------------------------------- */

Test(config_fields, table_covers_every_field_of_lg_settings, .timeout = 10)
{
    /* The struct's fields in their order must tile the struct with padding only, and
     * each must have a row, so that a field added to lg_settings without a table row
     * is caught here. (Rows are in MLPerf's detail-log order, not the struct's.) */
    size_t n = lg_settings_field_count();
    cr_assert_eq(n, 60);
    static const struct { const char *name; size_t off, size; bool list; } f[] = {
#define ROW(x) {#x, offsetof(lg_settings, x), sizeof(((lg_settings *)0)->x), false}
#define LIST(x) {#x, offsetof(lg_settings, x), sizeof(((lg_settings *)0)->x), true}
        ROW(scenario), ROW(mode), ROW(single_stream_expected_latency_ns),
        ROW(single_stream_target_latency_percentile), ROW(multi_stream_expected_latency_ns),
        ROW(multi_stream_target_latency_percentile), ROW(multi_stream_samples_per_query),
        ROW(server_target_qps), ROW(server_target_latency_ns),
        ROW(server_target_latency_percentile), ROW(server_coalesce_queries),
        ROW(server_max_async_queries), ROW(server_num_issue_query_threads),
        ROW(offline_expected_qps), ROW(min_duration_ms), ROW(max_duration_ms),
        ROW(min_query_count), ROW(max_query_count), ROW(qsl_rng_seed),
        ROW(sample_index_rng_seed), ROW(schedule_rng_seed), ROW(accuracy_log_rng_seed),
        ROW(accuracy_log_probability), ROW(accuracy_log_sampling_target),
        ROW(print_timestamps), ROW(performance_issue_unique), ROW(performance_issue_same),
        ROW(performance_issue_same_index), ROW(performance_sample_count_override),
        ROW(accuracy_sample_count_override), ROW(sample_concatenate_permutation),
        ROW(sample_timeout_ns), ROW(warmup_duration_ms),
        ROW(server_find_peak_qps_decimals_of_precision),
        ROW(server_find_peak_qps_boundary_step_size),
        ROW(use_token_latencies), ROW(infer_token_latencies), ROW(server_ttft_latency_ns),
        ROW(server_tpot_latency_ns), ROW(token_latency_scaling_factor), ROW(slo_ttft_ns),
        ROW(slo_tpot_ns), ROW(slo_e2e_ns), ROW(concurrency), ROW(issue_spin_ns),
        ROW(issue_batch_ns), ROW(test05), ROW(mlperf_max_limits), ROW(no_sample_timeout),
        ROW(test05_qsl_rng_seed), ROW(test05_sample_index_rng_seed),
        ROW(test05_schedule_rng_seed), ROW(arrival), ROW(arrival_burstiness),
        ROW(arrival_start_qps), ROW(arrival_trace_speed),
        ROW(server_issue_threads_registered), ROW(issue_thread_wait_ms),
        /* Lists, set through the API and the program's --stages and --trace: no rows. */
        LIST(arrival_stages), LIST(arrival_stage_count), LIST(arrival_trace_ns),
        LIST(arrival_trace_count), ROW(record_hdr), ROW(hdr_significant_digits),
        /* A distributed run's share and start (docs/distributed.md): no rows either. */
        LIST(schedule_stride), LIST(schedule_offset), LIST(start_realtime_ns),
#undef ROW
#undef LIST
    };
    size_t lists = 7;
    cr_assert_eq(sizeof f / sizeof f[0], n + lists);
    size_t nlists = 0;
    for (size_t i = 0; i < n + lists; i++)
        if (f[i].list) {
            nlists++;
            cr_expect_lt(lg_settings_field_find(f[i].name), 0, "%s: a list has no row",
                         f[i].name);
        }
    cr_expect_eq(nlists, lists);
    size_t end = 0;
    for (size_t i = 0; i < n + lists; i++) {
        int row = lg_settings_field_find(f[i].name);
        if (!f[i].list) {
            cr_expect_geq(row, 0, "%s has no row", f[i].name);
            cr_expect_str_eq(lg_settings_field_name((size_t)row), f[i].name);
        }
        cr_expect_geq(f[i].off, end, "%s overlaps", f[i].name);
        cr_expect_lt(f[i].off - end, 8, "a gap before %s: a field missing from the table?",
                     f[i].name);
        end = f[i].off + f[i].size;
    }
    /* After the last field only the reserved space, which is not a setting. */
    cr_expect_lt(offsetof(lg_settings, reserved) - end, 8,
                 "fields after %s missing from the table?", f[n + lists - 1].name);
    cr_expect_eq(sizeof(lg_settings) - offsetof(lg_settings, reserved),
                 sizeof(((lg_settings *)0)->reserved));
    cr_expect_null(lg_settings_field_name(n));
    cr_expect_null(lg_settings_field_unit(n));
    cr_expect_null(lg_settings_field_conf_key(n));
    cr_expect_null(lg_settings_field_doc(n));
    cr_expect_eq(lg_settings_field_scenarios(n), 0);
    cr_expect_eq(lg_settings_field_find("nope"), LG_EINVAL);
    cr_expect_eq(lg_settings_field_find(NULL), LG_EINVAL);
}

Test(config_fields, keys_units_and_scenarios, .timeout = 10)
{
    size_t f = field("server_target_qps");
    cr_expect_str_eq(lg_settings_field_conf_key(f), "target_qps");
    cr_expect_str_eq(lg_settings_field_unit(f), "1/s");
    cr_expect_eq(lg_settings_field_scenarios(f), LG_SCENARIO_BIT(LG_SERVER));
    f = field("server_target_latency_ns");
    cr_expect_str_eq(lg_settings_field_conf_key(f), "target_latency");
    cr_expect_str_eq(lg_settings_field_unit(f), "ns");
    cr_expect_str_eq(lg_settings_field_conf_unit(f), "ms");
    f = field("single_stream_target_latency_percentile");
    cr_expect_str_eq(lg_settings_field_unit(f), "fraction");
    cr_expect_str_eq(lg_settings_field_conf_unit(f), "percent");
    f = field("min_duration_ms");
    cr_expect_eq(lg_settings_field_scenarios(f), LG_SCENARIO_ALL);
    cr_expect_null(lg_settings_field_conf_key(field("scenario")));
    cr_expect_str_eq(lg_settings_field_conf_key(field("server_num_issue_query_threads")),
                     "num_issue_query_threads");
    cr_expect_null(lg_settings_field_conf_key(field("server_issue_threads_registered")));
    cr_expect_null(lg_settings_field_conf_unit(field("scenario")));
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        cr_expect_not_null(lg_settings_field_unit(i));
        cr_expect_not_null(lg_settings_field_doc(i));
        cr_expect_neq(lg_settings_field_scenarios(i), 0);
    }
}

Test(config_fields, format_writes_exact_values, .timeout = 10)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_coalesce_queries = true;
    s.qsl_rng_seed = UINT64_MAX;
    s.sample_timeout_ns = -5;
    s.offline_expected_qps = 0.1 + 0.2;
    struct { const char *field, *want; } cases[] = {
        {"scenario", "Server"},
        {"mode", "PerformanceOnly"},
        {"single_stream_expected_latency_ns", "1000000"},
        {"single_stream_target_latency_percentile", "0.9"},
        {"multi_stream_target_latency_percentile", "0.99"},
        {"server_target_latency_ns", "100000000"},
        {"server_coalesce_queries", "true"},
        {"print_timestamps", "false"},
        {"qsl_rng_seed", "18446744073709551615"},
        {"sample_timeout_ns", "-5"},
        {"offline_expected_qps", "0.30000000000000004"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = lg_settings_field_format(&s, field(cases[i].field), buf, sizeof buf);
        cr_expect_str_eq(buf, cases[i].want, "%s", cases[i].field);
        cr_expect_eq(n, (int)strlen(cases[i].want));
    }
    cr_expect_eq(lg_settings_field_format(&s, 99, buf, sizeof buf), LG_EINVAL);
    cr_expect_eq(lg_settings_field_format(NULL, 0, buf, sizeof buf), LG_EINVAL);
    cr_expect_eq(lg_settings_field_format(&s, field("qsl_rng_seed"), NULL, 0), 20);
    /* Every field formats to something that fits a line. */
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        int n = lg_settings_field_format(&s, i, buf, sizeof buf);
        cr_expect(n > 0 && n < (int)sizeof buf, "%s", lg_settings_field_name(i));
    }
}

Test(config_fields, set_parses_in_the_field_unit, .timeout = 10)
{
    lg_settings s;
    lg_settings_default(&s);
    char err[256];
    struct { const char *field, *text, *shown; } ok[] = {
        {"scenario", "offline", "Offline"},
        {"mode", "accuracy", "AccuracyOnly"},
        {"mode", "0", "SubmissionRun"},
        {"server_target_qps", "250.5", "250.5"},
        {"server_target_latency_ns", "15000000", "15000000"},
        {"server_target_latency_percentile", "0.97", "0.97"},
        {"server_coalesce_queries", "true", "true"},
        {"print_timestamps", "1", "true"},
        {"min_duration_ms", "60000", "60000"},
        {"qsl_rng_seed", "0xff", "255"},
        {"sample_timeout_ns", "0", "0"},
        {"server_num_issue_query_threads", "1", "1"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t f = field(ok[i].field);
        cr_expect_eq(lg_settings_field_set(&s, f, ok[i].text, err, sizeof err), 0,
                     "%s = %s: %s", ok[i].field, ok[i].text, err);
        lg_settings_field_format(&s, f, buf, sizeof buf);
        cr_expect_str_eq(buf, ok[i].shown, "%s", ok[i].field);
    }
    struct { const char *field, *text, *msg; } bad[] = {
        {"server_target_latency_percentile", "1",
         "server_target_latency_percentile: '1' is out of range; it must be above 0 and "
         "below 1 (fraction)"},
        {"server_target_qps", "-1",
         "server_target_qps: '-1' is out of range; it must be at least 1e-06 and at most "
         "1000000000000 (1/s)"},
        {"server_ttft_latency_ns", "0",
         "server_ttft_latency_ns: 0 is out of range; it must be at least 1 and at most "
         "31536000000000000 (ns)"},
        {"token_latency_scaling_factor", "0",
         "token_latency_scaling_factor: 0 is out of range; it must be at least 1 and at most "
         "18446744073709551615 (count)"},
        {"min_duration_ms", "1.5",
         "min_duration_ms: '1.5' is not a whole number"},
        {"mode", "4", "mode: 4 is out of range (0 SubmissionRun, 1 AccuracyOnly, "
                      "2 PerformanceOnly, 3 FindPeakPerformance)"},
        {"mode", "fast", "mode: unknown mode 'fast' (SubmissionRun, AccuracyOnly, "
                         "PerformanceOnly, FindPeakPerformance)"},
        {"print_timestamps", "yes", "print_timestamps: 'yes' is not 0, 1, true or false"},
        {"scenario", "batch", "scenario: unknown scenario 'batch' (SingleStream, "
                              "MultiStream, Server, Offline)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lg_settings before = s;
        cr_expect_eq(lg_settings_field_set(&s, field(bad[i].field), bad[i].text, err,
                                           sizeof err), LG_EINVAL);
        cr_expect_str_eq(err, bad[i].msg);
        cr_expect_eq(memcmp(&before, &s, sizeof s), 0);
    }
    cr_expect_eq(lg_settings_field_set(&s, 999, "1", err, sizeof err), LG_EINVAL);
    cr_expect_eq(lg_settings_field_set(&s, 0, NULL, err, sizeof err), LG_EINVAL);
}

Test(config_fields, set_then_format_round_trips_every_field, .timeout = 10)
{
    lg_settings s, t;
    lg_settings_default(&s);
    lg_settings_default(&t);
    s.server_coalesce_queries = true;
    s.offline_expected_qps = 1.0 / 3.0;
    s.server_target_latency_percentile = 0.975;
    char buf[64], err[128];
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        lg_settings_field_format(&s, i, buf, sizeof buf);
        cr_expect_eq(lg_settings_field_set(&t, i, buf, err, sizeof err), 0, "%s = %s: %s",
                     lg_settings_field_name(i), buf, err);
    }
    cr_expect_eq(memcmp(&s, &t, sizeof s), 0);
}

/* ---------------------------------------------------------------------------------
 * The settings table: defaults, ranges, by name, by flag, one number grammar
 * ------------------------------------------------------------------------------- */

Test(settings_table, every_default_is_in_its_range_and_round_trips, .timeout = 10)
{
    lg_settings s;
    lg_settings_default(&s);
    char msg[256];
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), 0, "%s", msg);
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        char text[64], err[256], range[160];
        cr_assert_gt(lg_settings_field_default(i, text, sizeof text), 0);
        cr_expect_gt(lg_settings_field_range(i, range, sizeof range), 0);
        cr_expect_not_null(lg_settings_field_doc(i));
        lg_settings t;
        memset(&t, 0xA5, sizeof t);
        lg_settings_default(&t);
        cr_expect_eq(lg_settings_field_set(&t, i, text, err, sizeof err), 0, "%s = %s: %s",
                     lg_settings_field_name(i), text, err);
        cr_expect_eq(memcmp(&s, &t, sizeof s), 0, "%s: the default does not read back",
                     lg_settings_field_name(i));
    }
}

Test(settings_table, check_names_a_field_out_of_its_range, .timeout = 10)
{
    lg_settings s;
    lg_settings_default(&s);
    s.multi_stream_samples_per_query = 0;
    char msg[256];
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect_str_eq(msg, "multi_stream_samples_per_query = 0: out of range; it must be at "
                          "least 1 and at most 1048576 (count)");
    lg_settings_default(&s);
    s.server_target_qps = NAN;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "server_target_qps = nan: out of range"), "%s", msg);
    lg_settings_default(&s);
    s.server_find_peak_qps_decimals_of_precision = 16;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "server_find_peak_qps_decimals_of_precision = 16"), "%s", msg);
}

Test(settings_table, settings_by_name, .timeout = 10)
{
    lg_settings s;
    lg_settings_default(&s);
    char err[256], buf[64];
    cr_expect_eq(lg_settings_set(&s, "server_target_qps", "2.5e3", err, sizeof err), 0, "%s",
                 err);
    cr_expect_eq(s.server_target_qps, 2500.0);
    cr_expect_gt(lg_settings_get(&s, "server_target_qps", buf, sizeof buf), 0);
    cr_expect_str_eq(buf, "2500");
    cr_expect_eq(lg_settings_set(&s, "server_target_qsp", "1", err, sizeof err), LG_EINVAL);
    cr_expect_str_eq(err, "unknown setting 'server_target_qsp'; did you mean "
                          "'server_target_qps'?");
    cr_expect_eq(lg_settings_get(&s, "nope", buf, sizeof buf), LG_EINVAL);
}

Test(settings_table, a_flag_sets_all_its_fields_or_none, .timeout = 10)
{
    lg_settings s, before;
    lg_settings_default(&s);
    char err[256];
    cr_expect_eq(lg_settings_flag_set(&s, "target-latency-ms", "2.5", err, sizeof err), 3,
                 "%s", err);
    cr_expect_eq(s.server_target_latency_ns, 2500000);
    cr_expect_eq(s.single_stream_expected_latency_ns, 2.5e6);
    cr_expect_eq(s.multi_stream_expected_latency_ns, 2.5e6);
    before = s;
    cr_expect_eq(lg_settings_flag_set(&s, "target-latency-ms", "0", err, sizeof err),
                 LG_EINVAL);
    cr_expect_str_eq(err, "--target-latency-ms: '0' is out of range; it must be above 0 and "
                          "at most 31536000000 (ms)");
    cr_expect_eq(memcmp(&s, &before, sizeof s), 0, "a refused flag changed the settings");
    cr_expect_eq(lg_settings_flag_set(&s, "target-qps", "0x10", err, sizeof err), 2, "%s",
                 err);
    cr_expect_eq(s.server_target_qps, 16.0);
    cr_expect_eq(s.offline_expected_qps, 16.0);
    cr_expect_eq(lg_settings_flag_set(&s, "no-such-flag", "1", err, sizeof err), LG_EINVAL);
    cr_expect_str_eq(err, "--no-such-flag: no setting has this flag");
    /* Flags are unique per group, and every group has one help line. */
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        const char *f = lg_settings_field_flag(i);
        if (!f)
            continue;
        size_t helps = 0;
        for (size_t j = 0; j < lg_settings_field_count(); j++)
            if (lg_settings_field_flag(j) && !strcmp(lg_settings_field_flag(j), f) &&
                lg_settings_field_flag_help(j))
                helps++;
        cr_expect_eq(helps, 1, "--%s has %zu help lines", f, helps);
    }
}

Test(settings_table, one_number_grammar, .timeout = 10)
{
    static const struct { const char *text; int rc; uint64_t u; const char *msg; } whole[] = {
        {"0", 0, 0, ""}, {"+5", 0, 5, ""}, {"0x10", 0, 16, ""},
        {"18446744073709551615", 0, UINT64_MAX, ""},
        {"010", LG_EINVAL, 0, "'010' has a leading zero, which MLPerf would read as an "
                              "octal number; write it without the zero (or as 0x... for "
                              "hexadecimal)"},
        {"1e3", LG_EINVAL, 0, "'1e3' is not a whole number"},
        {"-1", LG_EINVAL, 0, "'-1' is negative; a count, a duration or a seed cannot be"},
        {" 5", LG_EINVAL, 0, "' 5' is not a number"},
        {"18446744073709551616", LG_EINVAL, 0, "'18446744073709551616' is too large to be "
                                               "represented"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        uint64_t u = 7;
        cr_expect_eq(lg_parse_u64(whole[i].text, &u, err, sizeof err), whole[i].rc, "%s",
                     whole[i].text);
        if (!whole[i].rc)
            cr_expect_eq(u, whole[i].u, "%s", whole[i].text);
        cr_expect_str_eq(err, whole[i].msg);
    }
    static const struct { const char *text; int rc; double d; } real[] = {
        {"1e3", 0, 1000}, {"-0.5", 0, -0.5}, {"0x10", 0, 16}, {".5", 0, 0.5},
        {"inf", LG_EINVAL, 0}, {"nan", LG_EINVAL, 0}, {"1e400", LG_EINVAL, 0},
        {"5 ", LG_EINVAL, 0}, {"0x1p3", LG_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        double d = 7;
        cr_expect_eq(lg_parse_double(real[i].text, &d, err, sizeof err), real[i].rc, "%s",
                     real[i].text);
        if (!real[i].rc)
            cr_expect_eq(d, real[i].d, "%s", real[i].text);
    }
    /* A 100 kB text is cut in the message, which says how long it was. */
    char *huge = malloc(100001);
    cr_assert_not_null(huge);
    memset(huge, '9', 100000);
    huge[100000] = '\0';
    uint64_t u;
    cr_expect_eq(lg_parse_u64(huge, &u, err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "(100000 chars)"), "%s", err);
    free(huge);
}

/* ---------------------------------------------------------------------------------
 * Today's official mlperf.conf: model names with dots, every key it uses
 * ------------------------------------------------------------------------------- */

/* Written for this test in the shape of the official file of 2026 (its model names and
 * the keys it uses; the values are ours): a model name may hold dots, hyphens and
 * underscores, and token-latency models set target_latency to 0. */
static const char mlperf_conf_2026[] =
    "# model.scenario.key = value\n"                                        /* 1 */
    "*.*.qsl_rng_seed = 1000\n"                                             /* 2 */
    "*.*.sample_index_rng_seed = 2000\n"                                    /* 3 */
    "*.*.schedule_rng_seed = 3000\n"                                        /* 4 */
    "*.*.test05_qsl_rng_seed = 1\n"                                         /* 5 */
    "*.*.test05_sample_index_rng_seed = 2\n"                                /* 6 */
    "*.*.test05_schedule_rng_seed = 3\n"                                    /* 7 */
    "resnet50.*.performance_sample_count_override = 1024\n"                 /* 8 */
    "wan-2.2-t2v-a14b.*.performance_sample_count_override = 248\n"          /* 9 */
    "llama3_1-405b-interactive.*.performance_sample_count_override = 8313\n" /* 10 */
    "3d-unet.*.sample_concatenate_permutation = 1\n"                        /* 11 */
    "whisper.*.accuracy_sample_count_override = 1633\n"                     /* 12 */
    "llama3_1-405b-interactive.*.use_token_latencies = 1\n"                 /* 13 */
    "gptj.*.infer_token_latencies = 1\n"                                    /* 14 */
    "gptj.*.token_latency_scaling_factor = 69\n"                            /* 15 */
    "llama3_1-405b-interactive.Server.target_latency = 0\n"                 /* 16 */
    "llama3_1-405b-interactive.Server.ttft_latency = 4500\n"                /* 17 */
    "llama3_1-405b-interactive.Server.tpot_latency = 80\n"                  /* 18 */
    "*.SingleStream.target_latency_percentile = 90\n"                       /* 19 */
    "pointpainting.SingleStream.target_latency_percentile = 99.9\n"         /* 20 */
    "*.SingleStream.min_duration = 600000\n"                                /* 21 */
    "*.MultiStream.samples_per_query = 8\n"                                 /* 22 */
    "*.MultiStream.min_query_count = 662\n"                                 /* 23 */
    "*.Server.target_latency = 10\n"                                        /* 24 */
    "*.Server.target_duration = 0\n"                                        /* 25 */
    "*.Server.min_duration = 600000\n"                                      /* 26 */
    "resnet50.Server.target_latency = 15\n"                                 /* 27 */
    "wan-2.2-t2v-a14b.Offline.min_query_count = 248\n"                      /* 28 */
    "*.Offline.target_latency_percentile = 90\n"                            /* 29 */
    "*.Offline.min_duration = 600000\n"                                     /* 30 */
    "*.SingleStream.target_latency = 10\n"                                  /* 31 */
    "*.Server.target_qps = 1.0\n"                                           /* 32 */
    "*.Offline.target_qps = 1.0\n";                                         /* 33 */

Test(config_mlperf, todays_official_shape_with_dotted_model_names_loads, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", mlperf_conf_2026, LG_CONF_MLPERF);
    cr_expect_eq(lg_config_entry_count(c), 32);
    lg_config_entry e;
    cr_assert_eq(lg_config_entry_get(c, 7, &e), 0);
    cr_expect_str_eq(e.model, "wan-2.2-t2v-a14b");
    cr_expect_str_eq(e.scenario, "*");
    cr_expect_str_eq(e.name, "performance_sample_count_override");

    lg_settings s = applied(c, "wan-2.2-t2v-a14b", LG_OFFLINE, NULL);
    cr_expect_eq(s.performance_sample_count_override, 248);
    cr_expect_eq(s.min_query_count, 248);
    cr_expect_eq(s.qsl_rng_seed, 1000);
    s = applied(c, "resnet50", LG_SERVER, NULL);
    cr_expect_eq(s.server_target_latency_ns, 15000000);
    cr_expect_eq(s.performance_sample_count_override, 1024);
    s = applied(c, "pointpainting", LG_SINGLE_STREAM, NULL);
    cr_expect_eq(s.single_stream_target_latency_percentile, 0.999);
    s = applied(c, "whisper", LG_OFFLINE, NULL);
    cr_expect_eq(s.accuracy_sample_count_override, 1633);

    /* A token-latency model: token mode, bound 0, TTFT and TPOT bounds. */
    char err[512];
    s = applied(c, "llama3_1-405b-interactive", LG_SERVER, NULL);
    cr_expect(s.use_token_latencies);
    cr_expect_eq(s.server_target_latency_ns, 0);
    cr_expect_eq(s.server_ttft_latency_ns, INT64_C(4500000000));
    cr_expect_eq(s.server_tpot_latency_ns, 80000000);
    s = applied(c, "gptj", LG_OFFLINE, NULL);
    cr_expect(s.infer_token_latencies);
    cr_expect_eq(s.token_latency_scaling_factor, 69);
    /* Lines of mlperf.conf for other models are normal: no warning. */
    cr_expect_eq(lg_config_model_warnings(c, "resnet50", err, sizeof err), 0, "%s", err);
    lg_config_destroy(c);
}

Test(config_mlperf, keys_are_read_from_the_right_and_stay_strict, .timeout = 10)
{
    lg_settings s = applied_text("a.b.c.Server.target_qps = 5\n", "a.b.c", LG_SERVER);
    cr_expect_eq(s.server_target_qps, 5.0);
    expect_error("resnet50.Server.extra.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:17: unknown scenario 'extra'; the scenarios are SingleStream, "
                 "MultiStream, Server, Offline and '*'");
    expect_error("resnet50..target_qps = 5", LG_CONF_USER,
                 "user.conf:1:10: the scenario part of the key 'resnet50..target_qps' is "
                 "empty; a key is model.scenario.name, with '*' for any model or scenario");
    expect_error(".Server.target_qps = 5", LG_CONF_USER,
                 "user.conf:1:1: the model part of the key '.Server.target_qps' is empty; a "
                 "key is model.scenario.name, with '*' for any model or scenario");
}

Test(config_mlperf, a_misspelled_model_is_warned_about_with_a_did_you_mean, .timeout = 10)
{
    lg_config *c = make();
    add(c, "mlperf.conf", mlperf_conf_2026, LG_CONF_MLPERF);
    add(c, "user.conf",
        "wan-2.2-t2v-a14.Offline.target_qps = 3\n"
        "wan-2.2-t2v-a14.Offline.min_duration = 1000\n"
        "wan-2.2-t2v-a14b.Offline.target_qps = 2\n",
        LG_CONF_USER);
    char w[1024];
    cr_expect_eq(lg_config_model_warnings(c, "wan-2.2-t2v-a14b", w, sizeof w), 1);
    cr_expect_str_eq(w, "user.conf:1: the model 'wan-2.2-t2v-a14' is not this run's "
                        "('wan-2.2-t2v-a14b'): its 2 lines apply to nothing in this run; did "
                        "you mean 'wan-2.2-t2v-a14b'?");
    /* A misspelled model given to the run: no line names it. */
    cr_expect_eq(lg_config_model_warnings(c, "resnet5O", w, sizeof w), 3);
    cr_expect(strstr(w, "the model 'resnet5O' is named by no line of the config files, so "
                        "only '*' lines apply; did you mean 'resnet50'?"), "%s", w);
    /* No model given: the user's named lines apply to nothing. */
    cr_expect_eq(lg_config_model_warnings(c, NULL, w, sizeof w), 2);
    cr_expect(strstr(w, "is not this run's (no model was given)"), "%s", w);
    cr_expect_eq(lg_config_model_warnings(NULL, NULL, w, sizeof w), LG_EINVAL);
    lg_config_destroy(c);
}
