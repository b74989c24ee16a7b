/* test_kserve.c: the KServe v2 SUT (net/kserve.c) end to end through lg_run_test against
 * the test server, started in this process on 127.0.0.1 port 0 and always stopped: every
 * scenario and the accuracy mode over JSON and binary tensors (the server echoes the
 * input, so the accuracy log must hold the input's bytes), .npy and raw datasets, every
 * injected fault ending each sample once with its named status (read back from
 * samples.bin), the server stopped mid-run, the readiness gate; the response parser on
 * its own; and `loadgen run --sut kserve` as a program: its exit codes, its output and
 * results.json's "client" object. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/internal.h"
#include "serve/serve.h"
#include "tests/testutil.h"

/* ---------------------------------------------------------------- helpers */

static serve_server *srv_start(serve_config *cfg)
{
    char err[256];
    serve_server *s;
    int rc = serve_start(cfg, &s, err, sizeof err);
    cr_assert_eq(rc, 0, "serve_start: %s", err);
    return s;
}

static void kcfg_for(net_kserve_config *k, uint16_t port, bool binary)
{
    net_kserve_config_default(k);
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    cr_assert_eq(net_url_parse(url, &k->client.url, err, sizeof err), 0);
    k->model = "model";
    k->binary = binary;
    k->client.connections = 4;
    k->client.request_timeout_ns = 5000000000;
    k->total_samples = 64;
    k->performance_samples = 64;
    k->seed = 7;
}

static net_kserve *kserve_start(const net_kserve_config *k)
{
    char err[512];
    net_kserve *ks;
    int rc = net_kserve_create(k, &ks, err, sizeof err);
    cr_assert_eq(rc, 0, "net_kserve_create: %s", err);
    return ks;
}

static void short_settings(lg_settings *s, lg_scenario sc, lg_mode mode)
{
    lg_settings_default(s);
    s->scenario = sc;
    s->mode = mode;
    s->min_duration_ms = 300;
    s->min_query_count = 50;
    s->server_target_qps = 1000;
    s->offline_expected_qps = 2000;
    s->multi_stream_samples_per_query = 4;
    s->single_stream_expected_latency_ns = 2e5;
    s->multi_stream_expected_latency_ns = 1e6;
}

/* Runs one test into tu_tmp/dir; returns its results. */
static lg_results run_into(net_kserve *ks, const lg_settings *s, const char *dir)
{
    lg_sut sut = net_kserve_sut(ks);
    lg_qsl qsl = net_kserve_qsl(ks);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_in_tmp(dir);
    lg_results r;
    int rc = lg_run_test(s, &sut, &qsl, &log, &r);
    cr_assert_eq(rc, 0, "lg_run_test: %s", lg_last_error());
    return r;
}

/* Counts samples.bin's records with status st (-1: any non-zero). */
static uint64_t count_status(const char *dir, int st, uint64_t *total)
{
    char path[512];
    snprintf(path, sizeof path, "%s/samples.bin", tu_in_tmp(dir));
    lg_samples_header h;
    lg_sample_record *rec = tu_read_samples(path, &h);
    uint64_t n = 0;
    for (uint64_t i = 0; i < h.count; i++)
        n += st < 0 ? rec[i].status != 0 : rec[i].status == st;
    if (total)
        *total = h.count;
    free(rec);
    return n;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

/* The accuracy log's entries: each qsl_idx's data must equal expect(idx). */
typedef void (*expect_fn)(uint64_t idx, unsigned char *out, size_t *len, void *ctx);

static size_t check_accuracy_log(const char *dir, expect_fn expect, void *ctx)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mlperf_log_accuracy.json", tu_in_tmp(dir));
    json_error_t je;
    json_t *log = json_load_file(path, 0, &je);
    cr_assert_not_null(log, "%s: %s", path, je.text);
    size_t n = json_array_size(log);
    static unsigned char want[1 << 16], got[1 << 16];
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(log, i);
        uint64_t idx = (uint64_t)json_integer_value(json_object_get(e, "qsl_idx"));
        const char *hex = json_string_value(json_object_get(e, "data"));
        cr_assert_not_null(hex);
        size_t glen = strlen(hex) / 2, wlen = 0;
        for (size_t k = 0; k < glen; k++)
            got[k] = (unsigned char)(hexval(hex[2 * k]) * 16 + hexval(hex[2 * k + 1]));
        expect(idx, want, &wlen, ctx);
        cr_assert_eq(glen, wlen, "sample %llu: %zu bytes logged, %zu expected",
                     (unsigned long long)idx, glen, wlen);
        cr_assert_eq(memcmp(got, want, wlen), 0, "sample %llu: other bytes",
                     (unsigned long long)idx);
    }
    json_decref(log);
    return n;
}

typedef struct synth {
    net_dtype dt;
    uint64_t seed, elems;
} synth;

static void expect_synthetic(uint64_t idx, unsigned char *out, size_t *len, void *ctx)
{
    synth *s = ctx;
    net_tensor_synthetic(s->dt, s->seed, idx, s->elems, out);
    *len = s->elems * net_dtype_size(s->dt);
}

/* ---------------------------------------------------------------- scenarios */

static void every_scenario(bool binary)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.threads = 2;
    serve_server *srv = srv_start(&sc);
    net_kserve_config k;
    kcfg_for(&k, serve_port(srv), binary);
    net_kserve *ks = kserve_start(&k);
    const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER, LG_OFFLINE};
    for (int i = 0; i < 4; i++) {
        lg_settings s;
        short_settings(&s, all[i], LG_MODE_PERFORMANCE);
        char dir[32];
        snprintf(dir, sizeof dir, "perf%d", i);
        lg_results r = run_into(ks, &s, dir);
        cr_assert_gt(r.samples_issued, 0, "%s", lg_scenario_name(all[i]));
        cr_assert_eq(r.samples_completed, r.samples_issued, "%s", lg_scenario_name(all[i]));
        cr_assert_eq(r.samples_failed, 0, "%s", lg_scenario_name(all[i]));
        cr_assert_eq(r.samples_timed_out, 0);
        cr_assert_eq(r.duplicate_completions + r.unknown_completions + r.late_completions, 0);
        /* A short run cannot satisfy Server's early stopping nor Offline's duration;
         * every other reason must be absent. */
        unsigned allowed = LG_INVALID_EARLY_STOPPING | LG_INVALID_MIN_DURATION |
                           LG_INVALID_PERF_CONSTRAINT;
        cr_assert_eq(r.invalid_reasons & ~allowed, 0, "%s INVALID (%x)",
                     lg_scenario_name(all[i]), r.invalid_reasons);
    }
    net_client_stats st;
    net_client_stats_get(net_kserve_client(ks), &st);
    cr_assert_eq(st.connections_opened, 4, "one pool of connections for every run");
    cr_assert_eq(st.reconnects, 0);
    net_kserve_destroy(ks);
    serve_stop(srv);
}

Test(kserve, every_scenario_over_json, .init = tu_tmp_init, .fini = tu_tmp_fini, .timeout = 120)
{
    every_scenario(false);
}

Test(kserve, every_scenario_over_binary_tensors, .init = tu_tmp_init, .fini = tu_tmp_fini,
     .timeout = 120)
{
    every_scenario(true);
}

/* Accuracy mode in every scenario: each sample once, the echoed input logged. */
static void accuracy_roundtrip(bool binary, net_dtype dt)
{
    static int round;
    round++;
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    net_kserve_config k;
    kcfg_for(&k, serve_port(srv), binary);
    k.dtype = dt;
    k.ndim = 3;
    k.shape[0] = 1;
    k.shape[1] = 3;
    k.shape[2] = 5;
    k.total_samples = 40;
    k.performance_samples = 16;
    net_kserve *ks = kserve_start(&k);
    synth sy = {dt, k.seed, 15};
    const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER, LG_OFFLINE};
    for (int i = 0; i < 4; i++) {
        lg_settings s;
        short_settings(&s, all[i], LG_MODE_ACCURACY);
        char dir[32];
        snprintf(dir, sizeof dir, "acc%d-%d", round, i);
        lg_results r = run_into(ks, &s, dir);
        cr_assert_eq(r.samples_issued, 40, "%s", lg_scenario_name(all[i]));
        cr_assert_eq(r.samples_completed, 40);
        cr_assert_eq(r.samples_failed, 0);
        cr_assert_eq(check_accuracy_log(dir, expect_synthetic, &sy), 40);
    }
    net_kserve_destroy(ks);
    serve_stop(srv);
}

Test(kserve, accuracy_logs_hold_the_outputs_bytes_json, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    accuracy_roundtrip(false, NET_DT_FP32);
    accuracy_roundtrip(false, NET_DT_INT16);
    accuracy_roundtrip(false, NET_DT_FP16);
    accuracy_roundtrip(false, NET_DT_BOOL);
}

Test(kserve, accuracy_logs_hold_the_outputs_bytes_binary, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    accuracy_roundtrip(true, NET_DT_FP64);
    accuracy_roundtrip(true, NET_DT_UINT8);
}

/* Performance mode checks every answer but converts only those the accuracy log records
 * (lg_complete_cb): with accuracy_log_probability 0.5 about half are logged, each with
 * exactly the echoed input's bytes; with 0 none is. */
Test(kserve, a_performance_run_logs_converted_outputs_of_the_sampled_answers_only,
     .init = tu_tmp_init, .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    net_kserve_config k;
    kcfg_for(&k, serve_port(srv), false);
    k.dtype = NET_DT_FP32;
    k.ndim = 2;
    k.shape[0] = 1;
    k.shape[1] = 7;
    k.total_samples = 64;
    k.performance_samples = 64;
    net_kserve *ks = kserve_start(&k);
    synth sy = {NET_DT_FP32, k.seed, 7};
    lg_settings s;
    short_settings(&s, LG_OFFLINE, LG_MODE_PERFORMANCE);
    s.accuracy_log_probability = 0.5;
    lg_results r = run_into(ks, &s, "half");
    cr_assert_gt(r.samples_completed, 0);
    cr_assert_eq(r.samples_failed, 0);
    size_t logged = check_accuracy_log("half", expect_synthetic, &sy);
    cr_assert_gt(logged, r.samples_completed / 5, "%zu of %llu logged", logged,
                 (unsigned long long)r.samples_completed);
    cr_assert_lt(logged, r.samples_completed * 4 / 5, "%zu of %llu logged", logged,
                 (unsigned long long)r.samples_completed);
    s.accuracy_log_probability = 0;
    r = run_into(ks, &s, "none");
    cr_assert_eq(r.samples_failed, 0);
    cr_assert_eq(check_accuracy_log("none", expect_synthetic, &sy), 0);
    net_kserve_destroy(ks);
    serve_stop(srv);
}

/* ---------------------------------------------------------------- datasets */

/* Writes an .npy of n samples of `per` int32 elements (value i*1000 + j). */
static void write_npy(const char *path, uint64_t n, uint64_t per, int version)
{
    char dict[160];
    int dl = snprintf(dict, sizeof dict, "{'descr': '<i4', 'fortran_order': False, "
                      "'shape': (%llu, %llu), }", (unsigned long long)n,
                      (unsigned long long)per);
    size_t pre = version == 1 ? 10 : 12;
    size_t total = (pre + (size_t)dl + 1 + 63) / 64 * 64;
    size_t hlen = total - pre;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite("\x93NUMPY", 1, 6, f);
    unsigned char v[6] = {(unsigned char)version, 0, (unsigned char)hlen,
                          (unsigned char)(hlen >> 8), 0, 0};
    fwrite(v, 1, version == 1 ? 4 : 6, f);
    fwrite(dict, 1, (size_t)dl, f);
    for (size_t i = (size_t)dl; i + 1 < hlen; i++)
        fputc(' ', f);
    fputc('\n', f);
    for (uint64_t i = 0; i < n; i++)
        for (uint64_t j = 0; j < per; j++) {
            int32_t x = (int32_t)(i * 1000 + j);
            fwrite(&x, 4, 1, f);
        }
    fclose(f);
}

static void expect_npy(uint64_t idx, unsigned char *out, size_t *len, void *ctx)
{
    uint64_t per = *(uint64_t *)ctx;
    for (uint64_t j = 0; j < per; j++) {
        int32_t x = (int32_t)(idx * 1000 + j);
        memcpy(out + 4 * j, &x, 4);
    }
    *len = per * 4;
}

Test(kserve, npy_and_raw_datasets_are_sent_sample_by_sample, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    uint64_t per = 6;
    for (int v = 1; v <= 2; v++) {
        const char *path = tu_in_tmp(v == 1 ? "data1.npy" : "data2.npy");
        write_npy(path, 30, per, v);
        net_kserve_config k;
        kcfg_for(&k, serve_port(srv), v == 2);
        k.dataset = path;
        k.dtype = -1;
        k.ndim = 0;
        k.total_samples = 0;
        k.performance_samples = 8;
        net_kserve *ks = kserve_start(&k);
        cr_assert_eq(net_kserve_total(ks), 30);
        cr_assert_eq(net_kserve_dtype(ks), NET_DT_INT32);
        unsigned nd;
        const uint64_t *shape = net_kserve_shape(ks, &nd);
        cr_assert_eq(nd, 1);
        cr_assert_eq(shape[0], 6);
        lg_settings s;
        short_settings(&s, LG_OFFLINE, LG_MODE_ACCURACY);
        lg_results r = run_into(ks, &s, v == 1 ? "npy1" : "npy2");
        cr_assert_eq(r.samples_completed, 30);
        cr_assert_eq(r.samples_failed, 0);
        cr_assert_eq(check_accuracy_log(v == 1 ? "npy1" : "npy2", expect_npy, &per), 30);
        net_kserve_destroy(ks);
    }
    /* the same bytes without a header: raw, with the shape and datatype given */
    const char *raw = tu_in_tmp("data.raw");
    FILE *f = fopen(raw, "wb");
    for (uint64_t i = 0; i < 12; i++)
        for (uint64_t j = 0; j < per; j++) {
            int32_t x = (int32_t)(i * 1000 + j);
            fwrite(&x, 4, 1, f);
        }
    fclose(f);
    net_kserve_config k;
    kcfg_for(&k, serve_port(srv), false);
    k.dataset = raw;
    k.dtype = NET_DT_INT32;
    k.ndim = 2;
    k.shape[0] = 2;
    k.shape[1] = 3;
    k.total_samples = 0;
    net_kserve *ks = kserve_start(&k);
    cr_assert_eq(net_kserve_total(ks), 12);
    lg_settings s;
    short_settings(&s, LG_SINGLE_STREAM, LG_MODE_ACCURACY);
    lg_results r = run_into(ks, &s, "raw");
    cr_assert_eq(r.samples_completed, 12);
    cr_assert_eq(check_accuracy_log("raw", expect_npy, &per), 12);
    net_kserve_destroy(ks);
    serve_stop(srv);
}

Test(kserve, bad_datasets_are_refused_naming_the_problem, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 30)
{
    net_kserve_config k;
    kcfg_for(&k, 1, false);
    k.client.connect_now = false;
    char err[512];
    net_kserve *ks;
    k.dataset = tu_in_tmp("missing.npy");
    cr_assert_eq(net_kserve_create(&k, &ks, err, sizeof err), -ENOENT);
    cr_assert(strstr(err, "missing.npy"), "%s", err);
    const char *bad = tu_in_tmp("bad.npy");
    FILE *f = fopen(bad, "wb");
    fputs("not numpy at all", f);
    fclose(f);
    k.dataset = bad;
    cr_assert_eq(net_kserve_create(&k, &ks, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "magic"), "%s", err);
    const char *ok = tu_in_tmp("ok.npy");
    write_npy(ok, 4, 6, 1);
    k.dataset = ok;
    k.dtype = NET_DT_FP32;
    k.ndim = 0;
    cr_assert_eq(net_kserve_create(&k, &ks, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "INT32") && strstr(err, "FP32"), "%s", err);
    k.dtype = -1;
    k.ndim = 1;
    k.shape[0] = 5;
    cr_assert_eq(net_kserve_create(&k, &ks, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "6 elements") && strstr(err, "5"), "%s", err);
    const char *raw = tu_in_tmp("odd.raw");
    f = fopen(raw, "wb");
    fputs("1234567", f);
    fclose(f);
    k.dataset = raw;
    k.dtype = NET_DT_FP32;
    k.ndim = 1;
    k.shape[0] = 1;
    cr_assert_eq(net_kserve_create(&k, &ks, err, sizeof err), -EINVAL);
    cr_assert(strstr(err, "whole number"), "%s", err);
}

/* ---------------------------------------------------------------- faults */

/* A Server run at 1000 QPS against a server with fault f at the given fraction; returns
 * the results, dir holds its files. */
static lg_results fault_run(serve_config *sc, const char *dir, int64_t timeout_ms,
                            uint64_t limit)
{
    serve_server *srv = srv_start(sc);
    net_kserve_config k;
    kcfg_for(&k, serve_port(srv), false);
    k.client.request_timeout_ns = timeout_ms * 1000000;
    if (limit)
        k.client.max_response_bytes = limit;
    k.client.connections = 16;
    net_kserve *ks = kserve_start(&k);
    lg_settings s;
    short_settings(&s, LG_SERVER, LG_MODE_PERFORMANCE);
    s.server_target_qps = 500;
    lg_results r = run_into(ks, &s, dir);
    net_kserve_destroy(ks);
    serve_stop(srv);
    cr_assert_eq(r.samples_completed, r.samples_issued, "%s: every sample ends", dir);
    cr_assert_eq(r.samples_timed_out, 0, "%s: by the client's deadline, not the LoadGen's",
                 dir);
    cr_assert_eq(r.duplicate_completions + r.unknown_completions + r.late_completions, 0);
    return r;
}

static void expect_fault(serve_fault f, double frac, int status, int64_t timeout_ms,
                         uint64_t limit, const char *dir)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.fault_fraction[f] = frac;
    sc.fail_status = 500;
    sc.oversize_bytes = 256 << 10;
    lg_results r = fault_run(&sc, dir, timeout_ms, limit);
    uint64_t total, n = count_status(dir, status, &total);
    cr_assert_eq(total, r.samples_issued);
    cr_assert_eq(count_status(dir, -1, NULL), n, "%s: only status %d fails", dir, status);
    cr_assert_eq(r.samples_failed, n, "%s", dir);
    cr_assert_gt(n, total * frac / 3, "%s: %llu of %llu failed", dir, (unsigned long long)n,
                 (unsigned long long)total);
    cr_assert_lt(n, total * frac * 2 + 5, "%s", dir);
    cr_assert_not(r.valid, "%s: failures make a run INVALID", dir);
}

Test(kserve, error_status_and_throttle_are_the_samples_statuses, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 60)
{
    expect_fault(SERVE_FAULT_ERROR, 0.3, 500, 5000, 0, "error");
    expect_fault(SERVE_FAULT_THROTTLE, 0.3, 429, 5000, 0, "throttle");
}

Test(kserve, resets_stalls_truncation_malformed_json_and_oversize, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    expect_fault(SERVE_FAULT_RESET, 0.2, NET_ECONNRESET, 5000, 0, "reset");
    expect_fault(SERVE_FAULT_STALL, 0.1, NET_ETIMEDOUT, 150, 0, "stall");
    expect_fault(SERVE_FAULT_TRUNCATE, 0.2, NET_ECLOSED, 5000, 0, "truncate");
    expect_fault(SERVE_FAULT_MALFORMED_JSON, 0.2, NET_EBODY, 5000, 0, "malformed");
    expect_fault(SERVE_FAULT_OVERSIZE, 0.2, NET_ETOOLARGE, 5000, 64 << 10, "oversize");
}

/* Stops the server after a while. */
static void *stop_later(void *arg)
{
    usleep(150000);
    serve_stop(arg);
    return NULL;
}

Test(kserve, a_server_that_goes_away_mid_run_fails_the_rest_fast, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    net_kserve_config k;
    kcfg_for(&k, serve_port(srv), true);
    net_kserve *ks = kserve_start(&k);
    lg_settings s;
    short_settings(&s, LG_SERVER, LG_MODE_PERFORMANCE);
    s.server_target_qps = 2000;
    s.min_duration_ms = 500;
    pthread_t th;
    pthread_create(&th, NULL, stop_later, srv);
    int64_t t0 = lg_now_ns();
    lg_results r = run_into(ks, &s, "gone");
    pthread_join(th, NULL);
    cr_assert_lt(lg_now_ns() - t0, 5000000000, "the run ends soon after the server");
    cr_assert_eq(r.samples_completed, r.samples_issued);
    cr_assert_eq(r.samples_timed_out, 0);
    uint64_t refused = count_status("gone", NET_ECONNREFUSED, NULL);
    cr_assert_gt(refused, r.samples_issued / 3);
    cr_assert_eq(r.samples_failed, count_status("gone", -1, NULL));
    net_client_stats st;
    net_client_stats_get(net_kserve_client(ks), &st);
    /* a reconnect may still reach the server while it is closing */
    cr_assert_geq(st.connections_opened, 4);
    cr_assert_gt(st.connect_attempts, st.connections_opened, "reconnects were tried");
    net_kserve_destroy(ks);
}

/* ---------------------------------------------------------------- readiness */

Test(kserve, readiness_names_what_is_not_ready, .timeout = 30)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    net_url u;
    char url[64], err[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", serve_port(srv));
    net_url_parse(url, &u, err, sizeof err);
    cr_assert_eq(net_kserve_wait_ready(&u, "model", NULL, 2000000000, err, sizeof err), 0);
    cr_assert_eq(net_kserve_wait_ready(&u, "model", "1", 2000000000, err, sizeof err), 0);
    int64_t t0 = lg_now_ns();
    cr_assert_eq(net_kserve_wait_ready(&u, "other", NULL, 300000000, err, sizeof err), 404);
    cr_assert(strstr(err, "/v2/models/other/ready") && strstr(err, "404"), "%s", err);
    cr_assert_lt(lg_now_ns() - t0, 1500000000);
    uint16_t port = serve_port(srv);
    serve_stop(srv);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    net_url_parse(url, &u, err, sizeof err);
    t0 = lg_now_ns();
    cr_assert_eq(net_kserve_wait_ready(&u, "model", NULL, 400000000, err, sizeof err),
                 NET_ECONNREFUSED);
    cr_assert(strstr(err, "/v2/health/ready") && strstr(err, "refused"), "%s", err);
    cr_assert_lt(lg_now_ns() - t0, 1500000000);
}

/* ---------------------------------------------------------------- the parser */

static int parse(const char *body, int64_t jlen, size_t len, net_kserve_result *res,
                 net_buf *scratch)
{
    return net_kserve_parse_response(body, len ? len : strlen(body), jlen, scratch, res);
}

Test(kserve_parser, outputs_of_every_form, .timeout = 10)
{
    net_buf sc = {0};
    net_kserve_result *r = malloc(sizeof *r);
    const char *nested = "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"a\",\"shape\":[2,2],"
                         "\"datatype\":\"INT16\",\"data\":[[1,-2],[3,4]]},{\"name\":\"s\","
                         "\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"hi\",\"\\u00e9\"]},"
                         "{\"name\":\"b\",\"shape\":[3],\"datatype\":\"BOOL\","
                         "\"data\":[true,false,true]}]}";
    cr_assert_eq(parse(nested, -1, 0, r, &sc), 0, "%s", r->error);
    cr_assert_eq(r->noutputs, 3);
    cr_assert_str_eq(r->outputs[0].name, "a");
    cr_assert_eq(r->outputs[0].ndim, 2);
    cr_assert_eq(r->outputs[0].bytes, 8);
    const unsigned char want[] = {1, 0, 0xfe, 0xff, 3, 0, 4, 0, 2, 0, 0, 0, 'h', 'i',
                                  2, 0, 0, 0, 0xc3, 0xa9, 1, 0, 1};
    cr_assert_eq(r->data_len, sizeof want);
    cr_assert_eq(memcmp(r->data, want, sizeof want), 0);
    /* The check alone: the same outputs, nothing converted. */
    cr_assert_eq(parse(nested, -1, 0, r, NULL), 0, "%s", r->error);
    cr_assert_eq(r->noutputs, 3);
    cr_assert_str_eq(r->outputs[1].name, "s");
    cr_assert_eq(r->outputs[2].dtype, NET_DT_BOOL);
    cr_assert_null(r->data);
    cr_assert_eq(r->data_len, 0);
    /* binary outputs after the JSON; one alone is not copied */
    char body[256];
    int jl = snprintf(body, sizeof body, "{\"outputs\":[{\"name\":\"o\",\"shape\":[2],"
                      "\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":8}}]}");
    memcpy(body + jl, "\x00\x00\x80\x3f\x00\x00\x00\x40", 8);
    cr_assert_eq(parse(body, jl, (size_t)jl + 8, r, &sc), 0, "%s", r->error);
    cr_assert_eq(r->data, (const unsigned char *)body + jl);
    cr_assert_eq(r->data_len, 8);
    cr_assert(r->outputs[0].binary);
    /* JSON and binary mixed */
    jl = snprintf(body, sizeof body, "{\"outputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":"
                  "\"UINT8\",\"parameters\":{\"binary_data_size\":1}},{\"name\":\"y\",\"shape\":"
                  "[1],\"datatype\":\"UINT8\",\"data\":[7]}]}");
    body[jl] = 9;
    cr_assert_eq(parse(body, jl, (size_t)jl + 1, r, &sc), 0, "%s", r->error);
    cr_assert_eq(r->data_len, 2);
    cr_assert_eq(r->data[r->outputs[0].offset], 9);
    cr_assert_eq(r->data[r->outputs[1].offset], 7);
    free(r);
    net_buf_free(&sc);
}

Test(kserve_parser, bodies_that_do_not_fit_are_refused_with_a_reason, .timeout = 10)
{
    net_buf sc = {0};
    net_kserve_result *r = malloc(sizeof *r);
    const struct {
        const char *body, *why;
        int64_t jlen;
        size_t len;
    } bad[] = {
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}", "not a JSON object", -1, 0},
        {"{\"error\":\"boom\"}", "boom", -1, 0},
        {"{\"model_name\":\"m\"}", "'outputs'", -1, 0},
        {"{\"outputs\":[]}", "empty", -1, 0},
        {"{\"outputs\":[{\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", "no name", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"FP8\",\"data\":[1]}]}", "unknown datatype", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[3],\"datatype\":\"FP32\",\"data\":[1,2]}]}", "2 elements", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"INT8\",\"data\":[300]}]}", "not a INT8", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"INT8\",\"data\":[1.5]}]}", "not a INT8", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[\"x\"]}]}", "not a FP32", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[-1],\"datatype\":\"FP32\",\"data\":[1]}]}", "shape", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[2],\"datatype\":\"FP32\"}]}", "neither", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[2],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":4}}]}", "binary_data_size 4", -1, 0},
        {"{\"outputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":4}}]}xx", "add up", 88, 90},
        {"{}", "larger than the body", 10, 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t jl = bad[i].jlen;
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].body);
        if (jl == 88)
            jl = (int64_t)strlen(bad[i].body) - 2;
        if (bad[i].len == 90)
            len = strlen(bad[i].body);
        cr_expect_eq(net_kserve_parse_response(bad[i].body, len, jl, &sc, r), NET_EBODY,
                     "case %zu", i);
        cr_expect(strstr(r->error, bad[i].why), "case %zu: '%s' lacks '%s'", i, r->error,
                  bad[i].why);
        /* The check alone (what the SUT runs on every answer) refuses it the same way. */
        cr_expect_eq(net_kserve_parse_response(bad[i].body, len, jl, NULL, r), NET_EBODY,
                     "check only, case %zu", i);
        cr_expect(strstr(r->error, bad[i].why), "check only, case %zu: '%s' lacks '%s'", i,
                  r->error, bad[i].why);
    }
    char msg[64];
    cr_assert(net_kserve_error_message("{\"error\":\"unknown model 'x'\"}", 29, msg, sizeof msg));
    cr_assert_str_eq(msg, "unknown model 'x'");
    cr_assert_not(net_kserve_error_message("[1]", 3, msg, sizeof msg));
    free(r);
    net_buf_free(&sc);
}

/* ---------------------------------------------------------------- the program */

static char url_buf[64];

/* The `client` object of DIR/results.json (in the temporary directory); *root holds it. */
static json_t *client_of(const char *dir, json_t **root)
{
    char path[256];
    snprintf(path, sizeof path, "%s/results.json", dir);
    char *text = tu_slurp(tu_in_tmp(path), NULL);
    json_error_t je;
    *root = json_loads(text, 0, &je);
    free(text);
    cr_assert_not_null(*root, "%s: %s", path, je.text);
    json_t *c = json_object_get(*root, "client");
    cr_assert_not_null(c, "%s has no client object", path);
    return c;
}

static const char *url_of(serve_server *srv)
{
    snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%u", serve_port(srv));
    return url_buf;
}

Test(kserve_cli, a_run_prints_and_records_the_clients_health, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.fault_fraction[SERVE_FAULT_ERROR] = 0.05;
    serve_server *srv = srv_start(&sc);
    tu_proc p;
    RUN(&p, "run", "--sut", "kserve", "--url", url_of(srv), "--model-name", "model",
        "--input-shape", "1,8", "--binary", "--scenario", "Server", "--target-qps", "400",
        "--min-duration-ms", "400", "--connections", "4", "--max-connections", "4",
        "--io-threads", "2", "--out", "o", "--no-progress");
    cr_assert_eq(p.code, 1, "failures make it INVALID: %s", p.err);
    cr_assert(strstr(p.out, "Client (KServe v2 binary"), "%s", p.out);
    cr_assert(strstr(p.out, "connections opened 4"), "%s", p.out);
    cr_assert(strstr(p.out, "first failure: HTTP 500: "), "%s", p.out);
    json_t *root;
    json_t *c = client_of("o", &root);
    cr_assert_eq(json_integer_value(json_object_get(c, "connections_opened")), 4);
    cr_assert_eq(json_integer_value(json_object_get(c, "io_threads")), 2);
    json_t *by = json_object_get(c, "responses_by_class");
    json_int_t n5 = json_integer_value(json_object_get(by, "5xx"));
    json_int_t n2 = json_integer_value(json_object_get(by, "2xx"));
    cr_assert_gt(n5, 0);
    cr_assert_eq(n2 + n5, json_integer_value(json_object_get(c, "requests_sent")));
    cr_assert_not_null(json_object_get(json_object_get(c, "send_delay_ns"), "p99"));
    cr_assert_eq(json_number_value(json_object_get(c, "requested_per_s")), 400.0);
    cr_assert(json_is_array(json_object_get(c, "warnings")));
    json_t *prov = json_object_get(root, "provenance");
    char *pt = json_dumps(prov, 0);
    cr_assert(pt && strstr(pt, "kserve-v2 binary"));
    free(pt);
    json_decref(root);
    tu_proc_free(&p);
    serve_stop(srv);
}

/* A Server run at 400/s for 600 ms into OUT, the pool capped at MAX connections (NULL:
 * the default cap). */
static void run_400_per_s(tu_proc *p, serve_server *srv, const char *out, const char *max)
{
    RUN(p, "run", "--sut", "kserve", "--url", url_of(srv), "--model-name", "model",
        "--input-shape", "1,8", "--scenario", "Server", "--target-qps", "400",
        "--min-duration-ms", "600", "--out", out, "--no-progress",
        max ? "--max-connections" : NULL, max);
}

/* A SingleStream closed loop of 40 queries for 300 ms into OUT, the pool capped at MAX
 * connections (NULL: the default cap). */
static void run_closed_40(tu_proc *p, serve_server *srv, const char *out, const char *max)
{
    RUN(p, "run", "--sut", "kserve", "--url", url_of(srv), "--model-name", "model",
        "--input-shape", "1,8", "--scenario", "SingleStream", "--concurrency", "40",
        "--min-duration-ms", "300", "--out", out, "--no-progress",
        max ? "--max-connections" : NULL, max);
}

/* The program's pool grows when every connection is busy, so a Server run against a slow
 * model is not queued in the client; --max-connections caps it, and past the cap the
 * client says which flag to raise; Offline keeps its pool. */
Test(kserve_cli, a_busy_pool_grows_and_past_its_cap_says_so, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.service_us = 50000; /* 400/s x 50 ms: 20 requests in flight on average */
    serve_server *srv = srv_start(&sc);
    tu_proc p;
    run_400_per_s(&p, srv, "grow", NULL);
    cr_assert_leq(p.code, 1, "%s", p.err);
    cr_assert(strstr(p.out, "; the pool grew from 8 to ") && strstr(p.out, "(at most 1024)"),
              "%s", p.out);
    cr_assert_not(strstr(p.out, "raise --max-connections"), "%s", p.out);
    json_t *root;
    json_t *c = client_of("grow", &root);
    cr_assert_eq(json_integer_value(json_object_get(c, "connections")), 8);
    cr_assert_eq(json_integer_value(json_object_get(c, "max_connections")), 1024);
    json_int_t added = json_integer_value(json_object_get(c, "connections_added"));
    cr_assert_geq(added, 12, "20 in flight on average need more than 8 connections");
    cr_assert_eq(json_integer_value(json_object_get(c, "connections_opened")), 8 + added);
    cr_assert_eq(json_integer_value(json_object_get(c, "waited_for_connection")), 0);
    json_decref(root);
    tu_proc_free(&p);
    /* A fixed pool of 8 serves 160/s at 50 ms: requests wait, and the client says so. */
    run_400_per_s(&p, srv, "fixed", "8");
    cr_assert_eq(p.code, 1, "the queue in the client makes it INVALID: %s", p.err);
    cr_assert(strstr(p.out, "every connection was busy, the pool at its most; raise "
                            "--max-connections"), "%s", p.out);
    cr_assert(strstr(p.out, "connections opened 8, reconnects 0\n"), "%s", p.out);
    c = client_of("fixed", &root);
    cr_assert_eq(json_integer_value(json_object_get(c, "max_connections")), 8);
    cr_assert_eq(json_integer_value(json_object_get(c, "connections_added")), 0);
    cr_assert_gt(json_integer_value(json_object_get(c, "waited_for_connection")), 0);
    json_decref(root);
    tu_proc_free(&p);
    /* A closed loop of 40 queries gets 40 connections; capped at 8, the client says the
     * server saw fewer requests at a time than --concurrency asked for. */
    run_closed_40(&p, srv, "closed", NULL);
    cr_assert_leq(p.code, 1, "%s", p.err);
    c = client_of("closed", &root);
    cr_assert_eq(json_integer_value(json_object_get(c, "connections_added")), 32);
    cr_assert_eq(json_integer_value(json_object_get(c, "waited_for_connection")), 0);
    json_decref(root);
    tu_proc_free(&p);
    run_closed_40(&p, srv, "closed8", "8");
    cr_assert_leq(p.code, 1, "%s", p.err);
    cr_assert(strstr(p.out, "waited for a connection, the pool at its most: the server had "
                            "fewer requests at a time than the 40 queries --concurrency "
                            "keeps outstanding; raise --max-connections"), "%s", p.out);
    tu_proc_free(&p);
    /* Offline's samples come at once: its pool stays fixed unless asked. */
    RUN(&p, "run", "--sut", "kserve", "--url", url_of(srv), "--model-name", "model",
        "--input-shape", "1,8", "--scenario", "Offline", "--target-qps", "200",
        "--min-duration-ms", "100", "--out", "offline", "--no-progress");
    cr_assert_leq(p.code, 1, "%s", p.err);
    c = client_of("offline", &root);
    cr_assert_eq(json_integer_value(json_object_get(c, "max_connections")), 8);
    cr_assert_eq(json_integer_value(json_object_get(c, "connections_added")), 0);
    cr_assert_eq(json_integer_value(json_object_get(c, "connections_opened")), 8);
    json_decref(root);
    tu_proc_free(&p);
    serve_stop(srv);
}

/* Whether a file under DIR (in the temporary directory) holds `text`. */
static bool folder_holds(const char *dir, const char *text)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "grep -rqF -- '%s' '%s'", text, tu_in_tmp(dir));
    return system(cmd) == 0;
}

/* A server that wants an API key: refused at the readiness gate without it; run with
 * --api-key, --api-key-env or an Authorization --header; the key never reaches the run
 * folder (the recorded command line says "(hidden)"); Host and other headers go along. */
Test(kserve_cli, an_api_key_and_headers_reach_the_server_and_stay_out_of_the_files,
     .init = tu_tmp_init, .fini = tu_tmp_fini, .timeout = 120)
{
    serve_config sc;
    serve_config_default(&sc);
    sc.api_key = "Zq9-secret-key";
    serve_server *srv = srv_start(&sc);
    tu_proc p;
#define KRUN(out, ...)                                                                       \
    RUN(&p, "run", "--sut", "kserve", "--url", url_of(srv), "--model-name", "model",         \
        "--input-shape", "1,8", "--scenario", "SingleStream", "--min-duration-ms", "100",   \
        "--ready-timeout-s", "1", "--out", out, "--no-progress", __VA_ARGS__)
    KRUN("none", "--header", "X-Trace: 1");
    cr_assert_eq(p.code, 3, "%s", p.err);
    cr_assert(strstr(p.err, "answered 401"), "%s", p.err);
    tu_proc_free(&p);
    KRUN("flag", "--api-key", "Zq9-secret-key", "--header", "Host: model.example.com",
         "--header", "X-Trace: 1");
    cr_assert_eq(p.code, 0, "%s%s", p.out, p.err);
    cr_assert(strstr(p.out, "failures: none"), "%s", p.out);
    cr_assert_not(folder_holds("flag", "Zq9-secret-key"), "the key is in a file of the run");
    json_t *root;
    client_of("flag", &root);
    json_t *notes = json_object_get(json_object_get(root, "provenance"), "notes");
    const char *cl = json_string_value(json_object_get(notes, "command_line"));
    cr_assert(cl && strstr(cl, "--api-key '(hidden)'"), "%s", cl ? cl : "(none)");
    cr_assert_str_eq(json_string_value(json_object_get(notes, "sut.headers")),
                     "Authorization, X-Trace, Host: model.example.com");
    json_decref(root);
    tu_proc_free(&p);
    KRUN("hdr", "--header", "authorization: Bearer Zq9-secret-key");
    cr_assert_eq(p.code, 0, "%s%s", p.out, p.err);
    cr_assert_not(folder_holds("hdr", "Zq9-secret-key"), "the key is in a file of the run");
    cr_assert(folder_holds("hdr", "authorization: (hidden)"));
    tu_proc_free(&p);
    setenv("LOADGEN_TEST_KEY", "Zq9-secret-key", 1);
    KRUN("env", "--api-key-env", "LOADGEN_TEST_KEY");
    unsetenv("LOADGEN_TEST_KEY");
    cr_assert_eq(p.code, 0, "%s%s", p.out, p.err);
    cr_assert_not(folder_holds("env", "Zq9-secret-key"), "the key is in a file of the run");
    tu_proc_free(&p);
    KRUN("wrong", "--api-key", "not-it");
    cr_assert_eq(p.code, 3, "%s", p.err);
    tu_proc_free(&p);
#undef KRUN
    serve_stop(srv);
}

Test(kserve_cli, readiness_failures_stop_before_timing_with_exit_3, .init = tu_tmp_init,
     .fini = tu_tmp_fini, .timeout = 60)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv = srv_start(&sc);
    tu_proc p;
    RUN(&p, "run", "--sut", "kserve", "--url", url_of(srv), "--model-name", "nope",
        "--input-shape", "4", "--ready-timeout-s", "0.3", "--out", "o", "--no-progress");
    cr_assert_eq(p.code, 3, "%s", p.err);
    cr_assert(strstr(p.err, "/v2/models/nope/ready") && strstr(p.err, "404"), "%s", p.err);
    cr_assert_not(tu_exists(tu_in_tmp("o/results.json")));
    tu_proc_free(&p);
    char url[64];
    snprintf(url, sizeof url, "%s", url_of(srv));
    serve_stop(srv);
    int64_t t0 = lg_now_ns();
    RUN(&p, "run", "--sut", "kserve", "--url", url, "--model-name", "model",
        "--input-shape", "4", "--ready-timeout-s", "0.5", "--out", "o2", "--no-progress");
    cr_assert_eq(p.code, 3, "%s", p.err);
    cr_assert(strstr(p.err, "not ready after 0.5 s") && strstr(p.err, "refused"), "%s", p.err);
    cr_assert_lt(lg_now_ns() - t0, 3000000000);
    tu_proc_free(&p);
}

Test(kserve_cli, bad_flags_exit_2_naming_the_flag, .init = tu_tmp_init, .fini = tu_tmp_fini,
     .timeout = 60)
{
    static const struct {
        const char *args[12];
        const char *says;
    } cases[] = {
        {{"--sut", "kserve", "--model-name", "m", "--input-shape", "4"}, "needs --url"},
        {{"--sut", "kserve", "--url", "http://h:1", "--input-shape", "4"}, "needs --model-name"},
        {{"--sut", "kserve", "--url", "https://h:1", "--model-name", "m"}, "--url"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m"}, "--dataset FILE"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--input-shape", "1,x"}, "--input-shape"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--input-datatype", "F32"}, "--input-datatype"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "a/b", "--input-shape", "4"}, "--model-name"},
        {{"--url", "http://h:1"}, "need --sut kserve or --sut openai"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--connections", "0"}, "--connections"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--input-shape", "4", "--max-connections", "4"}, "--max-connections 4: fewer than the 8"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--max-connections", "65537"}, "--max-connections"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--header", "NoColon"}, "is not 'Name: value'"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--header", "Bad Name: x"}, "is not 'Name: value'"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--header", "X: a\r\nY: b"}, "control character"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--header", "Content-Length: 5"}, "set by the client itself"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--header", "Host: a", "--header", "host: b"}, "Host header was given twice"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--api-key", "k", "--header", "Authorization: x"}, "Authorization header was given twice"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--api-key-env", "LOADGEN_NO_SUCH_VARIABLE"}, "LOADGEN_NO_SUCH_VARIABLE is not set"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--api-key", "a b"}, "--api-key: the key holds a space"},
        {{"--header", "X: 1"}, "need --sut kserve or --sut openai"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--input-shape", "4", "--io-threads", "9"}, "--io-threads 9"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--input-shape", "4", "--scenario", "Server"}, "--target-qps"},
        {{"--sut", "kserve", "--url", "http://h:1", "--model-name", "m", "--request-timeout-ms", "-1"}, "--request-timeout-ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[16] = {"loadgen", "run"};
        int n = 2;
        for (int k = 0; k < 12 && cases[i].args[k]; k++)
            argv[n++] = cases[i].args[k];
        argv[n] = NULL;
        tu_proc p;
        tu_run_exe(&p, NULL, argv);
        cr_expect_eq(p.code, 2, "case %zu: exit %d: %s", i, p.code, p.err);
        cr_expect(strstr(p.err, cases[i].says), "case %zu: '%s' lacks '%s'", i, p.err,
                  cases[i].says);
        tu_proc_free(&p);
    }
    tu_proc p;
    RUN(&p, "run", "--help");
    cr_assert(strstr(p.out, "null, synthetic, kserve or openai") &&
              strstr(p.out, "--io-threads T"), "%s", p.out);
    tu_proc_free(&p);
}
