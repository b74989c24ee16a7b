/* bench_model.c: the model SUT (docs/model.md) on this machine: Offline samples/s and
 * SingleStream latency through the LoadGen with the worker pool as configured, against
 * the same network run one sample at a time (a plain loop with no LoadGen, and the
 * pool with batches of 1), so that the gain of batching shows; and the split of the
 * cores between pool workers and OpenBLAS threads. Prints one line per figure:
 *   bench_model figure=<name> value=<number> unit=<unit> [details]
 * Usage: bench_model [--quick] [--weights mlp|mlp-int8|FILE] [--workers N] [--batch N]
 *                    [--blas-threads N]   (--quick: shorter runs, for a smoke run) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "model/model.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct bench {
    model_net net;
    model_dataset test;
    double seconds;   /* per run */
} bench;

/* The plain loop: each test image preprocessed and inferred alone, one thread, no
 * LoadGen. Samples/s and the median and p90 of one sample's time. */
static void naive_loop(bench *b, const char *label)
{
    model_scratch s;
    float x[MODEL_IMAGE_PIXELS], out[MODEL_CLASSES];
    if (model_scratch_init(&s, &b->net, 1))
        return;
    model_blas_threads(1);
    size_t cap = 1 << 20, n = 0;
    double *t = malloc(cap * sizeof *t), start = now_s();
    while (t && n < cap && now_s() - start < b->seconds) {
        double t0 = now_s();
        model_preprocess(&b->net, b->test.images + (n % b->test.count) * MODEL_IMAGE_PIXELS, 1,
                         x);
        model_infer(&b->net, &s, x, 1, out);
        t[n++] = now_s() - t0;
    }
    double total = now_s() - start;
    if (t && n) {
        qsort(t, n, sizeof *t, cmp_double);
        printf("bench_model figure=%s_naive_loop_samples_per_s value=%.0f unit=1/s "
               "(one sample at a time, one thread, no LoadGen; %zu samples)\n", label,
               (double)n / total, n);
        printf("bench_model figure=%s_naive_loop_latency_p50 value=%.1f unit=us p90=%.1f\n",
               label, t[n / 2] * 1e6, t[n * 9 / 10] * 1e6);
    }
    free(t);
    model_scratch_free(&s);
}

/* One LoadGen test of the model SUT; returns lg_run_test's rc and fills r. */
static int run(bench *b, lg_scenario sc, const model_sut_config *cfg, double qps,
               uint64_t min_ms, lg_results *r)
{
    model_qsl *q;
    model_sut *sut;
    if (model_qsl_create(NULL, &b->test, &b->net, b->test.count, b->test.count, &q))
        return LG_ENOMEM;
    if (model_sut_create(cfg, &b->net, q, &sut)) {
        model_qsl_destroy(q);
        return LG_ENOMEM;
    }
    lg_sut s = model_sut_sut(sut);
    lg_qsl l = model_qsl_qsl(q);
    lg_settings set;
    lg_settings_default(&set);
    set.scenario = sc;
    set.min_duration_ms = min_ms;
    set.min_query_count = 1;
    set.offline_expected_qps = qps;
    set.single_stream_expected_latency_ns = 1e5;
    int rc = lg_run_test(&set, &s, &l, NULL, r);
    model_sut_destroy(sut);
    model_qsl_destroy(q);
    return rc;
}

/* Offline samples/s of a configuration: a short pilot run sizes the query for the real
 * one. A warm pool is faster than the pilot saw, and an Offline run shorter than its
 * minimum duration is INVALID: the query is sized for twice the pilot's rate, so the
 * run lasts between about b->seconds and twice that. */
static void offline(bench *b, const char *label, const char *what, const model_sut_config *c)
{
    lg_results r;
    if (run(b, LG_OFFLINE, c, 2e4, 200, &r) || !(r.samples_per_sec > 0))
        return;
    if (run(b, LG_OFFLINE, c, 2 * r.samples_per_sec, (uint64_t)(b->seconds * 1000), &r))
        return;
    printf("bench_model figure=%s_offline_%s value=%.0f unit=1/s workers=%u batch=%u "
           "blas_threads=%d samples=%llu %s\n", label, what, r.samples_per_sec, c->workers,
           c->max_batch, c->blas_threads, (unsigned long long)r.samples_issued,
           r.valid ? "VALID" : "INVALID");
}

static void single_stream(bench *b, const char *label, const model_sut_config *c)
{
    lg_results r;
    if (run(b, LG_SINGLE_STREAM, c, 1, (uint64_t)(b->seconds * 1000), &r))
        return;
    printf("bench_model figure=%s_singlestream_latency_p90 value=%.1f unit=us p50=%.1f "
           "early_stopping=%.1f queries=%llu workers=%u batch=%u blas_threads=%d\n", label,
           (double)r.latency.p90_ns / 1e3, (double)r.latency.p50_ns / 1e3,
           (double)r.early_stopping.estimate_ns / 1e3, (unsigned long long)r.queries_issued,
           c->workers, c->max_batch, c->blas_threads);
}

static const char *weights_path(const char *w, char *buf, size_t len)
{
    if (strchr(w, '/'))
        return w;
    const char *root = getenv("LOADGEN_ROOT");
    snprintf(buf, len, "%s/models/%s.lgw", root && *root ? root : ".", w);
    return buf;
}

int main(int argc, char **argv)
{
    bench b = {.seconds = 3};
    const char *names[2] = {"mlp", "mlp-int8"};
    int nnames = 2;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    model_sut_config cfg = {.workers = cores > 1 ? (unsigned)cores : 1, .max_batch = 64,
                            .blas_threads = 1};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            b.seconds = 0.5;
        else if (!strcmp(argv[i], "--weights") && i + 1 < argc)
            names[0] = argv[++i], nnames = 1;
        else if (!strcmp(argv[i], "--workers") && i + 1 < argc)
            cfg.workers = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            cfg.max_batch = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--blas-threads") && i + 1 < argc)
            cfg.blas_threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_model [--quick] [--weights NAME|FILE] [--workers N] "
                    "[--batch N] [--blas-threads N]\n");
            return 2;
        }
    }
    char err[1024], path[4096];
    if (model_dataset_load(NULL, MODEL_SPLIT_TEST, &b.test, err, sizeof err)) {
        fprintf(stderr, "bench_model: %s\n", err);
        return 1;
    }
    printf("bench_model: %ld online cores; %s\n", cores, model_blas_config());
    for (int k = 0; k < nnames; k++) {
        if (model_weights_load(weights_path(names[k], path, sizeof path), &b.net, err,
                               sizeof err)) {
            fprintf(stderr, "bench_model: %s\n", err);
            return 1;
        }
        const char *label = b.net.kind == MODEL_KIND_MLP_INT8 ? "int8" : "f32";
        naive_loop(&b, label);
        model_sut_config one = {.workers = 1, .max_batch = 1, .blas_threads = 1};
        offline(&b, label, "pool_1_worker_batch_1", &one);
        offline(&b, label, "pool_configured", &cfg);
        model_sut_config blas = {.workers = 1, .max_batch = cfg.max_batch,
                                 .blas_threads = (int)(cores > 1 ? cores : 1)};
        if (b.net.kind == MODEL_KIND_MLP_F32 && cores > 1)
            offline(&b, label, "1_worker_blas_threads_all_cores", &blas);
        single_stream(&b, label, &cfg);
        model_net_free(&b.net);
    }
    model_dataset_free(&b.test);
    return 0;
}
