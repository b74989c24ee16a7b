/* test_openai.c: the OpenAI-compatible SUT (net/openai.c) end to end through lg_run_test
 * against the test server, started in this process on 127.0.0.1 port 0 and always
 * stopped: streamed completions and chat measured against the server's configured time
 * to first token and time per token (TTFT, TPOT, the pooled inter-token gaps), every
 * scenario and the accuracy mode, n_tokens from usage and from the chunk count, plain
 * answers, the accuracy log's generated text, every fault of a stream
 * ending its sample once with its named status, the readiness gate; and `loadgen run
 * --sut openai` as a program, Ctrl-C in the middle of an HTTP run (OpenAI and KServe)
 * included. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/openai.h"
#include "serve/serve.h"
#include "tests/testutil.h"

static serve_server *srv_start(serve_config *cfg)
{
    char err[256];
    serve_server *s;
    int rc = serve_start(cfg, &s, err, sizeof err);
    cr_assert_eq(rc, 0, "serve_start: %s", err);
    return s;
}

/* A dataset of n prompts (chat messages when chat), max_tokens given per line. */
static const char *write_dataset(const char *name, int n, bool chat, int max_tokens)
{
    const char *path = tu_in_tmp(name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < n; i++)
        if (chat)
            fprintf(f, "{\"messages\":[{\"role\":\"user\",\"content\":\"question %d\"}],"
                    "\"max_tokens\":%d}\n", i, max_tokens);
        else
            fprintf(f, "{\"prompt\":\"prompt number %d\",\"max_tokens\":%d}\n", i, max_tokens);
    fclose(f);
    return path;
}

static net_openai *oai_start(uint16_t port, const char *dataset, bool chat, bool stream,
                             int64_t timeout_ms)
{
    net_openai_config c;
    net_openai_config_default(&c);
    char url[64], err[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", port);
    cr_assert_eq(net_url_parse(url, &c.client.url, err, sizeof err), 0);
    c.client.connections = 16;
    c.client.request_timeout_ns = timeout_ms * 1000000;
    c.model = "model";
    c.api = chat ? NET_OAI_CHAT : NET_OAI_COMPLETIONS;
    c.stream = stream;
    c.dataset = dataset;
    net_openai *o;
    int rc = net_openai_create(&c, &o, err, sizeof err);
    cr_assert_eq(rc, 0, "net_openai_create: %s", err);
    return o;
}

static lg_results run(net_openai *o, lg_scenario sc, lg_mode mode, double qps, const char *dir)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.mode = mode;
    s.min_duration_ms = 400;
    s.min_query_count = 20;
    s.server_target_qps = qps;
    s.offline_expected_qps = qps;
    s.use_token_latencies = true;
    lg_sut sut = net_openai_sut(o);
    lg_qsl qsl = net_openai_qsl(o);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp(dir);
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    return r;
}

Test(openai, streams_are_timed_token_by_token, .init = tu_tmp_init, .fini = tu_tmp_fini,
     .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.ttft_ms = 30;
    sc.tpot_ms = 4;
    serve_server *srv = srv_start(&sc);
    for (int chat = 0; chat < 2; chat++) {
        const char *ds = write_dataset(chat ? "c.jsonl" : "p.jsonl", 40, chat, 8);
        net_openai *o = oai_start(serve_port(srv), ds, chat, true, 5000);
        lg_results r = run(o, LG_SERVER, LG_MODE_PERFORMANCE, 40, chat ? "chat" : "comp");
        cr_assert_eq(r.samples_failed, 0);
        cr_assert_eq(r.samples_completed, r.samples_issued);
        cr_assert(r.tokens.applies);
        /* TTFT from the schedule: the server's 30 ms plus the client's small part */
        cr_assert_geq(r.tokens.ttft.p50_ns, 30000000, "ttft %lld", (long long)r.tokens.ttft.p50_ns);
        cr_assert_lt(r.tokens.ttft.p50_ns, 45000000, "ttft %lld", (long long)r.tokens.ttft.p50_ns);
        cr_assert_geq(r.tokens.tpot.p50_ns, 3500000, "tpot %lld", (long long)r.tokens.tpot.p50_ns);
        cr_assert_lt(r.tokens.tpot.p50_ns, 6000000, "tpot %lld", (long long)r.tokens.tpot.p50_ns);
        net_openai_stats st;
        net_openai_stats_get(o, &st);
        cr_assert_eq(st.completed, r.samples_issued);
        cr_assert_eq(st.tokens_from_usage, r.samples_issued, "usage counts every sample");
        cr_assert_eq(st.output_tokens, 8 * r.samples_issued);
        cr_assert_eq(st.itl.count, 7 * r.samples_issued, "7 gaps between 8 chunks");
        cr_assert_geq(st.itl.p50_ns, 3000000);
        cr_assert_lt(st.itl.p50_ns, 6000000);
        cr_assert_eq(net_openai_first_error(o)[0], '\0');
        net_openai_destroy(o);
    }
    serve_stop(srv);
}

/* The server's made-up text: a fixed list of words; each accuracy entry must start so. */
static void check_text(const char *dir, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", tu_in_tmp(dir));
    json_error_t je;
    json_t *log = json_load_file(path, 0, &je);
    cr_assert_not_null(log, "%s", je.text);
    cr_assert_eq(json_array_size(log), n);
    for (size_t i = 0; i < n; i++) {
        const char *hex = json_string_value(json_object_get(json_array_get(log, i), "data"));
        cr_assert_not_null(hex);
        /* " lorem ipsum" */
        cr_assert_eq(strncmp(hex, "206C6F72656D20697073756D", 24), 0, "%s", hex);
    }
    json_decref(log);
}

Test(openai, plain_and_streamed_answers_log_the_generated_text, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    for (int k = 0; k < 4; k++) {
        bool chat = k & 1, stream = k & 2;
        char name[32], dir[32];
        snprintf(name, sizeof name, "d%d.jsonl", k);
        snprintf(dir, sizeof dir, "acc%d", k);
        net_openai *o = oai_start(serve_port(srv), write_dataset(name, 12, chat, 4), chat,
                                  stream, 5000);
        lg_results r = run(o, k < 2 ? LG_OFFLINE : LG_SINGLE_STREAM, LG_MODE_ACCURACY, 100,
                           dir);
        cr_assert_eq(r.samples_completed, 12, "case %d", k);
        cr_assert_eq(r.samples_failed, 0, "case %d: %s", k, net_openai_first_error(o));
        check_text(dir, 12);
        net_openai_destroy(o);
    }
    serve_stop(srv);
}

/* ---------------------------------------------------------------- scenarios */

/* Short settings of every scenario, in token mode (MLPerf's: TTFT and TPOT recorded). */
static void scenario_settings(lg_settings *s, lg_scenario sc, lg_mode mode)
{
    lg_settings_default(s);
    s->scenario = sc;
    s->mode = mode;
    s->min_duration_ms = 300;
    s->min_query_count = 40;
    s->server_target_qps = 200;
    s->offline_expected_qps = 400;
    s->multi_stream_samples_per_query = 4;
    s->single_stream_expected_latency_ns = 2e6;
    s->multi_stream_expected_latency_ns = 4e6;
    s->use_token_latencies = true;
}

static lg_results run_settings(net_openai *o, const lg_settings *s, const char *dir)
{
    lg_sut sut = net_openai_sut(o);
    lg_qsl qsl = net_openai_qsl(o);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp(dir);
    lg_results r;
    cr_assert_eq(lg_run_test(s, &sut, &qsl, &log, &r), 0, "%s", lg_last_error());
    return r;
}

/* Every scenario in performance mode, then in accuracy mode, plain or streamed: every
 * sample answered once with its 4 tokens (from usage), the token figures recorded, the
 * accuracy log holding each sample's text once. */
static void every_scenario(bool stream)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.threads = 2;
    sc.tpot_ms = 0.2;
    serve_server *srv = srv_start(&sc);
    net_openai *o = oai_start(serve_port(srv), write_dataset("e.jsonl", 40, false, 4), false,
                              stream, 5000);
    const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER, LG_OFFLINE};
    uint64_t issued = 0;
    for (int i = 0; i < 8; i++) {
        lg_scenario scen = all[i % 4];
        bool acc = i >= 4;
        const char *name = lg_scenario_name(scen);
        lg_settings s;
        scenario_settings(&s, scen, acc ? LG_MODE_ACCURACY : LG_MODE_PERFORMANCE);
        char dir[32];
        snprintf(dir, sizeof dir, "%s%d", acc ? "acc" : "perf", i % 4);
        lg_results r = run_settings(o, &s, dir);
        issued += r.samples_issued;
        cr_assert_gt(r.samples_issued, 0, "%s", name);
        cr_assert_eq(r.samples_completed, r.samples_issued, "%s: %s", name,
                     net_openai_first_error(o));
        cr_assert_eq(r.samples_failed + r.samples_timed_out, 0, "%s", name);
        cr_assert_eq(r.duplicate_completions + r.unknown_completions + r.late_completions, 0);
        cr_assert(r.tokens.applies, "%s", name);
        cr_assert_eq(r.tokens.samples_with_tokens, r.samples_issued, "%s", name);
        cr_assert_eq(r.tokens.output_tokens, 4 * r.samples_issued, "%s", name);
        cr_assert_eq(r.tokens.ttft.count, r.samples_issued, "%s", name);
        cr_assert_eq(r.tokens.tpot.count, r.samples_issued, "%s", name);
        cr_assert_gt(r.tokens.ttft.p50_ns, 0, "%s", name);
        cr_assert_eq(r.tokens.first_token_duplicates + r.tokens.missing_first_token +
                         r.tokens.n_tokens_zero + r.tokens.n_tokens_one, 0, "%s", name);
        if (acc) {
            cr_assert_eq(r.samples_issued, 40, "%s: every sample once", name);
            check_text(dir, 40);
        } else {
            /* Short runs miss early stopping and Offline's duration; nothing else. */
            unsigned allowed = LG_INVALID_EARLY_STOPPING | LG_INVALID_MIN_DURATION |
                               LG_INVALID_PERF_CONSTRAINT;
            cr_assert_eq(r.invalid_reasons & ~allowed, 0, "%s INVALID (%x)", name,
                         r.invalid_reasons);
        }
    }
    net_openai_stats st;
    net_openai_stats_get(o, &st);
    cr_assert_eq(st.completed, issued);
    cr_assert_eq(st.tokens_from_usage, issued, "the server always sends usage");
    cr_assert_eq(st.tokens_from_chunks, 0);
    cr_assert_eq(st.output_tokens, 4 * issued);
    if (stream)
        cr_assert_eq(st.itl.count, 3 * issued, "3 gaps between 4 chunks");
    net_openai_destroy(o);
    serve_stop(srv);
}

Test(openai, every_scenario_and_accuracy_plain, .init = tu_tmp_init, .fini = tu_tmp_fini,
     .timeout = 120)
{
    every_scenario(false);
}

Test(openai, every_scenario_and_accuracy_streamed, .init = tu_tmp_init, .fini = tu_tmp_fini,
     .timeout = 120)
{
    every_scenario(true);
}

/* A server that never sends the usage event (serve_config.omit_usage_event): the SUT
 * counts the content chunks instead, for every sample, and so does the program's
 * client object (n_tokens_source.chunks). */
Test(openai, without_usage_n_tokens_is_the_chunk_count, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.omit_usage_event = true;
    sc.tpot_ms = 0.5;
    serve_server *srv = srv_start(&sc);
    net_openai *o = oai_start(serve_port(srv), write_dataset("u.jsonl", 20, true, 6), true,
                              true, 5000);
    lg_results r = run(o, LG_SERVER, LG_MODE_PERFORMANCE, 100, "nousage");
    cr_assert_eq(r.samples_completed, r.samples_issued);
    cr_assert_eq(r.samples_failed, 0, "%s", net_openai_first_error(o));
    cr_assert_eq(r.tokens.samples_with_tokens, r.samples_issued);
    cr_assert_eq(r.tokens.output_tokens, 6 * r.samples_issued, "6 content chunks each");
    net_openai_stats st;
    net_openai_stats_get(o, &st);
    cr_assert_eq(st.tokens_from_usage, 0);
    cr_assert_eq(st.tokens_from_chunks, r.samples_issued);
    net_openai_destroy(o);
    /* The program, against the same server: the client object says where n_tokens came
     * from. */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", serve_port(srv));
    tu_proc p;
    RUN(&p, "run", "--sut", "openai", "--url", url, "--model-name", "model", "--api", "chat",
        "--stream", "--dataset", tu_in_tmp("u.jsonl"), "--scenario", "Offline",
        "--target-qps", "200", "--min-duration-ms", "200", "--use-token-latencies", "--out",
        "o", "--no-progress");
    cr_assert(p.code == 0 || p.code == 1, "exit %d: %s", p.code, p.err);
    cr_assert(strstr(p.out, "n_tokens from usage for 0 samples, from the chunk count for "),
              "%s", p.out);
    tu_proc_free(&p);
    serve_stop(srv);
    char *text = tu_slurp(tu_in_tmp("o/results.json"), NULL);
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    cr_assert_not_null(root, "%s", je.text);
    json_int_t issued = json_integer_value(
        json_object_get(json_object_get(root, "counts"), "samples_issued"));
    json_t *t = json_object_get(json_object_get(root, "client"), "tokens");
    json_t *src = json_object_get(t, "n_tokens_source");
    cr_assert_gt(issued, 0);
    cr_assert_eq(json_integer_value(json_object_get(src, "usage")), 0);
    cr_assert_eq(json_integer_value(json_object_get(src, "chunks")), issued);
    cr_assert_eq(json_integer_value(json_object_get(t, "output_tokens")), 6 * issued);
    json_decref(root);
    free(text);
}

/* A Server run against a server injecting fault f to a fraction of the streams; every
 * sample ends, the failures with `status`. */
static void expect_fault(serve_fault f, double frac, int status, int64_t timeout_ms,
                         const char *dir)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.fault_fraction[f] = frac;
    sc.fault_after = 2;
    serve_server *srv = srv_start(&sc);
    net_openai *o = oai_start(serve_port(srv), write_dataset("f.jsonl", 64, false, 6), false,
                              true, timeout_ms);
    lg_results r = run(o, LG_SERVER, LG_MODE_PERFORMANCE, 150, dir);
    net_openai_destroy(o);
    serve_stop(srv);
    cr_assert_eq(r.samples_completed, r.samples_issued, "%s", dir);
    cr_assert_eq(r.samples_timed_out, 0, "%s", dir);
    char path[512];
    snprintf(path, sizeof path, "%s/samples.bin", tu_in_tmp(dir));
    lg_samples_header h;
    lg_sample_record *rec = tu_read_samples(path, &h);
    uint64_t n = 0, other = 0;
    for (uint64_t i = 0; i < h.count; i++) {
        n += rec[i].status == status;
        other += rec[i].status != status && rec[i].status != 0;
    }
    free(rec);
    cr_assert_eq(other, 0, "%s: other failures", dir);
    cr_assert_gt(n, h.count * frac / 3, "%s: %llu of %llu", dir, (unsigned long long)n,
                 (unsigned long long)h.count);
    cr_assert_eq(r.samples_failed, n, "%s", dir);
}

Test(openai, every_stream_fault_ends_its_sample_with_a_named_status, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    expect_fault(SERVE_FAULT_ERROR, 0.3, 500, 5000, "error");
    expect_fault(SERVE_FAULT_THROTTLE, 0.3, 429, 5000, "throttle");
    expect_fault(SERVE_FAULT_RESET, 0.3, NET_ECONNRESET, 5000, "reset");
    expect_fault(SERVE_FAULT_STALL, 0.2, NET_ETIMEDOUT, 200, "stall");
    expect_fault(SERVE_FAULT_MALFORMED_JSON, 0.3, NET_EBODY, 5000, "json");
    expect_fault(SERVE_FAULT_TRUNCATE, 0.3, NET_EBODY, 5000, "truncate");
}

Test(openai, a_malformed_event_line_is_skipped_and_usage_still_counts, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.fault_fraction[SERVE_FAULT_MALFORMED_SSE] = 1.0;
    sc.fault_after = 2;
    serve_server *srv = srv_start(&sc);
    net_openai *o = oai_start(serve_port(srv), write_dataset("s.jsonl", 20, false, 6), false,
                              true, 5000);
    lg_results r = run(o, LG_OFFLINE, LG_MODE_PERFORMANCE, 200, "sse");
    cr_assert_eq(r.samples_failed, 0, "%s", net_openai_first_error(o));
    net_openai_stats st;
    net_openai_stats_get(o, &st);
    cr_assert_eq(st.output_tokens, 6 * r.samples_issued, "n_tokens from usage");
    /* the bare line is no field of the event stream: a token's chunk is lost to the
     * parser, so the content chunks are fewer than the tokens */
    cr_assert_lt(st.content_chunks, 6 * r.samples_issued);
    net_openai_destroy(o);
    serve_stop(srv);
}

Test(openai, readiness_and_bad_datasets, .init = tu_tmp_init, .fini = tu_tmp_fini,
     .timeout = 30)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    net_url u;
    char url[64], err[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", serve_port(srv));
    net_url_parse(url, &u, err, sizeof err);
    cr_assert_eq(net_openai_wait_ready(&u, 2000000000, err, sizeof err), 0, "%s", err);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v9", serve_port(srv));
    net_url_parse(url, &u, err, sizeof err);
    cr_assert_eq(net_openai_wait_ready(&u, 300000000, err, sizeof err), 404);
    cr_assert(strstr(err, "/v9/models") && strstr(err, "404"), "%s", err);
    serve_stop(srv);
    /* A server with an API key: 401 without it, ready with it; its health checks are
     * open to all. */
    sc.api_key = "k3y";
    srv = srv_start(&sc);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", serve_port(srv));
    net_url_parse(url, &u, err, sizeof err);
    cr_assert_eq(net_openai_wait_ready(&u, 300000000, err, sizeof err), 401);
    cr_assert(strstr(err, "401"), "%s", err);
    u.headers = "Authorization: Bearer wrong\r\n";
    cr_assert_eq(net_openai_wait_ready(&u, 300000000, err, sizeof err), 401);
    u.headers = "X-Other: 1\r\nauthorization: bearer k3y\r\n";
    cr_assert_eq(net_openai_wait_ready(&u, 2000000000, err, sizeof err), 0, "%s", err);
    net_url_parse(url, &u, err, sizeof err);
    u.base[0] = '\0'; /* /v2/health/ready, not under /v1 */
    cr_assert_eq(net_http_get_status(&u, "/v2/health/ready", 1000000000, err, sizeof err),
                 200, "%s", err);
    serve_stop(srv);
    sc.api_key = NULL;
    net_openai_config c;
    net_openai_config_default(&c);
    net_url_parse("http://127.0.0.1:1/v1", &c.client.url, err, sizeof err);
    c.client.connect_now = false;
    c.model = "m";
    const char *bad = tu_in_tmp("bad.jsonl");
    FILE *f = fopen(bad, "w");
    fputs("{\"prompt\":\"x\"}\n{\"promt\":\"typo\"}\n", f);
    fclose(f);
    c.dataset = bad;
    net_openai *o;
    cr_assert_neq(net_openai_create(&c, &o, err, sizeof err), 0);
    cr_assert(strstr(err, "bad.jsonl:2") && strstr(err, "promt"), "%s", err);
}

Test(openai_cli, a_streamed_run_records_tokens_in_the_client_object, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.ttft_ms = 5;
    sc.tpot_ms = 1;
    serve_server *srv = srv_start(&sc);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", serve_port(srv));
    const char *ds = write_dataset("p.jsonl", 30, true, 5);
    tu_proc p;
    RUN(&p, "run", "--sut", "openai", "--url", url, "--model-name", "model", "--api", "chat",
        "--stream", "--dataset", ds, "--scenario", "Server", "--target-qps", "60",
        "--min-duration-ms", "500", "--use-token-latencies", "--out", "o", "--no-progress");
    cr_assert(p.code == 0 || p.code == 1, "exit %d: %s", p.code, p.err);
    cr_assert(strstr(p.out, "Client (OpenAI chat, streamed"), "%s", p.out);
    cr_assert(strstr(p.out, "n_tokens from usage for"), "%s", p.out);
    char *text = tu_slurp(tu_in_tmp("o/results.json"), NULL);
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    cr_assert_not_null(root, "%s", je.text);
    json_t *t = json_object_get(json_object_get(root, "client"), "tokens");
    cr_assert_not_null(t, "client.tokens missing");
    json_int_t usage = json_integer_value(json_object_get(json_object_get(t, "n_tokens_source"),
                                                          "usage"));
    cr_assert_gt(usage, 0);
    cr_assert_eq(json_integer_value(json_object_get(t, "output_tokens")), 5 * usage);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(t, "itl_ns"), "count")),
                 4 * usage);
    json_decref(root);
    free(text);
    tu_proc_free(&p);
    serve_stop(srv);
}

Test(openai_cli, flags_of_the_other_sut_are_refused, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 60)
{
    static const struct {
        const char *args[10];
        const char *says;
    } cases[] = {
        {{"--sut", "openai", "--url", "http://h:1/v1", "--model-name", "m"}, "--dataset"},
        {{"--sut", "openai", "--url", "http://h:1/v1", "--model-name", "m", "--dataset", "x",
          "--binary"}, "flags of --sut kserve"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--input-shape", "4",
          "--stream"}, "flags of --sut openai"},
        {{"--sut", "openai", "--url", "http://h:1/v1", "--model-name", "m", "--dataset", "x",
          "--api", "embeddings"}, "--api"},
        {{"--sut", "openai", "--url", "http://h:1/v1", "--model-name", "m", "--dataset", "x",
          "--max-tokens", "0"}, "--max-tokens"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[16] = {"loadgen", "run"};
        int n = 2;
        for (int k = 0; k < 10 && cases[i].args[k]; k++)
            argv[n++] = cases[i].args[k];
        argv[n] = NULL;
        tu_proc p;
        tu_run_exe(&p, NULL, argv);
        cr_expect_eq(p.code, 2, "case %zu: exit %d: %s", i, p.code, p.err);
        cr_expect(strstr(p.err, cases[i].says), "case %zu: '%s' lacks '%s'", i, p.err,
                  cases[i].says);
        tu_proc_free(&p);
    }
}

/* ---------------------------------------------------------------- Ctrl-C */

/* Starts the program in tu_tmp with argv (argv[0] ignored), its output to tu_tmp/.spawn.
 * The path is resolved here, before the child changes folder: a relative LOADGEN_BIN
 * means the parent's folder. */
static pid_t spawn(const char *const *argv)
{
    const char *prog = tu_program();
    char out[256];
    snprintf(out, sizeof out, "%s/.spawn", tu_tmp);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || chdir(tu_tmp) != 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits for pid at most seconds; its wait status, or -1 after killing it. */
static int wait_for(pid_t pid, double seconds)
{
    for (int i = 0; i < (int)(seconds * 100); i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* An HTTP run stopped by SIGINT after about 1 s, with requests in flight on a slow
 * server: exit 1 (INVALID, aborted; docs/cli.md), the five files and nothing else, every
 * issued sample accounted for, and the client object written. */
static void check_sigint(const char *const *argv, const char *dir)
{
    pid_t pid = spawn(argv);
    usleep(1000000);
    cr_assert_eq(kill(pid, SIGINT), 0);
    int st = wait_for(pid, 30);
    char *log = tu_slurp(tu_in_tmp(".spawn"), NULL);
    cr_assert_neq(st, -1, "no exit within 30 s of SIGINT: %s", log);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d: %s", st, log);
    static const char *const files[] = {"mlperf_log_summary.txt", "mlperf_log_detail.txt",
                                        "mlperf_log_accuracy.json", "results.json",
                                        "samples.bin"};
    char path[512];
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        cr_expect(tu_exists(tu_in_tmp(path)), "%s was not written: %s", path, log);
    }
    DIR *d = opendir(tu_in_tmp(dir));
    cr_assert_not_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        cr_expect_null(strstr(e->d_name, ".tmp."), "left behind: %s", e->d_name);
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    }
    closedir(d);
    cr_expect_eq(n, 5, "%zu entries in %s", n, dir);
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *j = json_load_file(tu_in_tmp(path), 0, &je);
    cr_assert_not_null(j, "%s: %s", path, je.text);
    cr_expect(json_is_true(json_object_get(j, "aborted")));
    cr_expect(json_is_false(json_object_get(j, "valid")));
    json_t *c = json_object_get(j, "counts");
#define COUNT(k) json_integer_value(json_object_get(c, k))
    json_int_t issued = COUNT("samples_issued");
    cr_expect_gt(issued, 0);
    cr_expect_eq(issued, COUNT("samples_completed") + COUNT("samples_failed") +
                             COUNT("samples_timed_out"),
                 "issued %lld, completed %lld, failed %lld, timed out %lld", (long long)issued,
                 (long long)COUNT("samples_completed"), (long long)COUNT("samples_failed"),
                 (long long)COUNT("samples_timed_out"));
    /* Requests still in flight 1 s after the signal (LG_ABORT_GRACE_MS) are counted as
     * timed out, and the client cancels each of them. */
    json_int_t cut = COUNT("samples_timed_out");
#undef COUNT
    cr_expect_gt(cut, 0, "the server's delay should leave requests in flight");
    json_t *cl = json_object_get(j, "client");
    cr_expect(json_is_object(cl), "no client object: %s", log);
    cr_expect_eq(json_integer_value(json_object_get(cl, "requests_submitted")), issued);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(cl, "errors"), "canceled")),
                 cut);
    json_decref(j);
    free(log);
}

Test(openai_cli, sigint_during_a_stream_writes_complete_files, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 90)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.ttft_ms = 1500; /* every request still waiting for its first token at the signal */
    sc.tpot_ms = 5;
    serve_server *srv = srv_start(&sc);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", serve_port(srv));
    const char *ds = write_dataset("p.jsonl", 20, false, 8);
    const char *const argv[] = {"loadgen", "run", "--sut", "openai", "--url", url,
                                "--model-name", "model", "--stream", "--dataset", ds,
                                "--scenario", "Server", "--target-qps", "20",
                                "--min-duration-ms", "60000", "--use-token-latencies",
                                "--out", "o", "--no-progress", NULL};
    check_sigint(argv, "o");
    serve_stop(srv);
}

Test(openai_cli, sigint_during_a_kserve_run_writes_complete_files, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 90)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.service_us = 1500000;
    serve_server *srv = srv_start(&sc);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", serve_port(srv));
    const char *const argv[] = {"loadgen", "run", "--sut", "kserve", "--url", url,
                                "--model-name", "model", "--input-shape", "1,8",
                                "--scenario", "Server", "--target-qps", "20",
                                "--min-duration-ms", "60000", "--out", "k", "--no-progress",
                                NULL};
    check_sigint(argv, "k");
    serve_stop(srv);
}
