/* cli/model_options.c: the flags of `loadgen run --sut model` (the default SUT;
 * docs/model.md): which network, where the dataset is, OpenBLAS's threads; their help,
 * their parser, the checks made once every flag is read, where a network's file is
 * found, and the pool's capacity, measured once, from which the run's defaults follow. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/internal.h"
#include "model/model.h"

enum { M_WEIGHTS = CLI_MODEL_OPT_BASE, M_DATASET_DIR, M_BLAS_THREADS };

static const struct option model_long[] = {
    {"weights", required_argument, 0, M_WEIGHTS},
    {"dataset-dir", required_argument, 0, M_DATASET_DIR},
    {"blas-threads", required_argument, 0, M_BLAS_THREADS},
};

const struct option *cli_model_options(size_t *n)
{
    *n = sizeof model_long / sizeof model_long[0];
    return model_long;
}

void cli_model_opts_default(cli_model_opts *m)
{
    memset(m, 0, sizeof *m);
    m->weights = "mlp";
    m->blas_threads = 1;
    m->measure = true;
}

void cli_model_help(FILE *f)
{
    fputs("Model SUT (--sut model, the default: a multilayer perceptron classifying the\n"
          "Fashion-MNIST test images on OpenBLAS; docs/model.md):\n"
          "  --weights NAME|FILE          mlp (float32, the default) or mlp-int8 (its int8\n"
          "                               quantisation), from the models/ folder; or a\n"
          "                               weights file written by `loadgen train`\n"
          "  --dataset-dir DIR            the folder of Fashion-MNIST's .gz files (default\n"
          "                               " MODEL_DATASET_DIR ")\n"
          "  --workers N                  worker threads (default: the online cores, at\n"
          "                               most 8)\n"
          "  --batch N                    samples per inference, at most (default 64)\n"
          "  --blas-threads N             OpenBLAS threads per inference (default 1: the\n"
          "                               workers give the parallelism)\n"
          "  (--total-sample-count: the first N test images, default all 10000;\n"
          "  --performance-sample-count: default the total; each loaded sample holds\n"
          "  3136 bytes of network input)\n"
          "\n",
          f);
}

int cli_model_parse(cli_run_opts *o, int c, const char *a, const char *fl, const char *cmd)
{
    uint64_t u;
    o->mdl.given = true;
    switch (c) {
    case M_WEIGHTS:
        if (!*a) {
            fprintf(stderr, "loadgen %s: %s: an empty name\n", cmd, fl);
            return CLI_EXIT_USAGE;
        }
        o->mdl.weights = a;
        return -1;
    case M_DATASET_DIR:
        o->mdl.dataset_dir = a;
        return -1;
    case M_BLAS_THREADS:
        if (!cli_parse_u64(cmd, fl, a, 1, 64, &u))
            return CLI_EXIT_USAGE;
        o->mdl.blas_threads = (unsigned)u;
        return -1;
    }
    fprintf(stderr, "loadgen %s: unexpected option '%s'\n", cmd, fl);
    return CLI_EXIT_USAGE;
}

bool cli_model_sut(const cli_run_opts *o)
{
    return !strcmp(o->sut, "model");
}

static unsigned online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

int cli_model_check(cli_run_opts *o, const char *cmd)
{
    if (!cli_model_sut(o)) {
        if (o->mdl.given) {
            fprintf(stderr, "loadgen %s: --weights, --dataset-dir and --blas-threads are "
                    "options of --sut model, not of --sut %s\n", cmd, o->sut);
            return CLI_EXIT_USAGE;
        }
        return -1;
    }
    if (o->synthetic_flag) {
        fprintf(stderr, "loadgen %s: --%s is an option of the synthetic SUT; the SUT is "
                "model (the default): add --sut synthetic to use it\n", cmd,
                o->synthetic_flag_name);
        return CLI_EXIT_USAGE;
    }
    if (o->total > MODEL_TEST_IMAGES) {
        fprintf(stderr, "loadgen %s: --total-sample-count %llu: the model's QSL holds the "
                "%d Fashion-MNIST test images\n", cmd, (unsigned long long)o->total,
                MODEL_TEST_IMAGES);
        return CLI_EXIT_USAGE;
    }
    if (!o->total_given)
        o->total = MODEL_TEST_IMAGES;
    if (!o->performance_given)
        o->performance = o->total;
    o->sample_size = MODEL_IMAGE_PIXELS * sizeof(float);
    if (!o->workers_given) {
        unsigned n = online_cores();
        o->syn.workers = n < CLI_MODEL_MAX_DEFAULT_WORKERS ? n : CLI_MODEL_MAX_DEFAULT_WORKERS;
    }
    if (!o->batch_given)
        o->syn.max_batch = CLI_MODEL_DEFAULT_BATCH;
    return -1;
}

/* NAME.lgw in dir, into path when it exists. */
static bool try_dir(const char *dir, const char *name, char *path, size_t len)
{
    if ((size_t)snprintf(path, len, "%s/%s.lgw", dir, name) >= len)
        return false;
    return access(path, R_OK) == 0;
}

bool cli_model_weights_path(const cli_run_opts *o, char *path, size_t len, char *err,
                            size_t errlen)
{
    const char *w = o->mdl.weights;
    size_t wl = strlen(w);
    if (strchr(w, '/') || (wl > 4 && !strcmp(w + wl - 4, ".lgw"))) {
        snprintf(path, len, "%s", w);
        return true;
    }
    for (const char *p = w; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
            snprintf(err, errlen, "--weights %s: a name is letters, digits, '-' and '_' "
                     "(a file: give its path, e.g. ./%s)", w, w);
            return false;
        }
    const char *env = getenv("LOADGEN_MODELS_DIR");
    if (env && *env && try_dir(env, w, path, len))
        return true;
    char exe[PATH_MAX], dir[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        /* The build tree (build/bin/loadgen, build/asan/bin/loadgen: the repository's
         * models/ above), then an installed program's share/loadgen/models. */
        for (int up = 0; up < 5; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = '\0';
            snprintf(dir, sizeof dir, "%s/models", exe);
            if (try_dir(dir, w, path, len))
                return true;
            snprintf(dir, sizeof dir, "%s/share/loadgen/models", exe);
            if (try_dir(dir, w, path, len))
                return true;
        }
    }
    snprintf(err, errlen, "--weights %s: no %s.lgw in %s%sthe models/ folder above the "
             "program or its share/loadgen/models (`make model` writes models/mlp.lgw and "
             "models/mlp-int8.lgw; --weights FILE names a file)", w, w, env && *env ? env : "",
             env && *env ? ", " : "");
    return false;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What one worker does for a batch of n: gather n inputs from random places of a
 * resident buffer of `rows` samples (as the QSL's), then one inference. */
typedef struct probe {
    const model_net *net;
    model_scratch s;
    const float *buf;
    size_t rows;
    float *x, *out;
    uint64_t lcg;
} probe;

static void probe_batch(probe *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p->lcg = p->lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t r = (size_t)(p->lcg >> 33) % p->rows;
        memcpy(p->x + i * MODEL_IMAGE_PIXELS, p->buf + r * MODEL_IMAGE_PIXELS,
               MODEL_IMAGE_PIXELS * sizeof(float));
    }
    model_infer(p->net, &p->s, p->x, n, p->out);
}

/* Seconds a batch of n takes: the median of runs over about `budget_s`. */
static double time_batch(probe *p, size_t n, double budget_s)
{
    double t[64];
    int k = 0;
    double start = now_s();
    while (k < 64 && (k < 5 || now_s() - start < budget_s)) {
        double t0 = now_s();
        probe_batch(p, n);
        t[k++] = now_s() - t0;
    }
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double v = t[j];
            t[j] = t[j - 1];
            t[j - 1] = v;
        }
    return t[k / 2];
}

/* Times one worker's work on this machine: a full batch and one sample, gathered from
 * a buffer the size of the performance set (a dense network's time does not depend on
 * its inputs' values). The LoadGen's issue thread takes a core of its own while the
 * queue is full (Offline), so the workers count on the others: measured with the pool
 * on 2 cores, 1 and 2 workers of batch 64 both complete 115,000-148,000 samples/s. */
static bool measure(cli_run_opts *o)
{
    char path[PATH_MAX], err[512];
    model_net net;
    if (!cli_model_weights_path(o, path, sizeof path, err, sizeof err) ||
        model_weights_load(path, &net, err, sizeof err))
        return false;
    size_t b = o->syn.max_batch ? o->syn.max_batch : 1;
    probe p = {.net = &net, .rows = o->performance ? (size_t)o->performance : 1, .lcg = 1};
    float *buf = malloc(p.rows * MODEL_IMAGE_PIXELS * sizeof *buf);
    p.x = malloc(b * MODEL_IMAGE_PIXELS * sizeof *p.x);
    p.out = malloc(b * MODEL_CLASSES * sizeof *p.out);
    bool ok = buf && p.x && p.out && !model_scratch_init(&p.s, &net, b);
    if (ok) {
        for (size_t i = 0; i < p.rows * MODEL_IMAGE_PIXELS; i++)
            buf[i] = (float)(i % 255) / 255.0f;
        p.buf = buf;
        model_blas_threads((int)o->mdl.blas_threads);
        double tb = time_batch(&p, b, 0.05);
        double t1 = time_batch(&p, 1, 0.02);
        unsigned cores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN), per = o->mdl.blas_threads;
        unsigned eff = cores > per ? (cores - 1) / per : 1;
        eff = eff ? eff : 1;
        eff = o->syn.workers < eff ? o->syn.workers : eff;
        o->mdl.capacity = tb > 0 ? (double)eff * (double)b / tb : CLI_MODEL_NOMINAL_CAPACITY;
        o->mdl.latency_ns = t1 > 0 ? t1 * 1e9 : CLI_MODEL_NOMINAL_LATENCY_NS;
        model_scratch_free(&p.s);
    }
    free(buf);
    free(p.x);
    free(p.out);
    model_net_free(&net);
    return ok;
}

void cli_model_capacity(cli_run_opts *o, double *samples_per_s, double *latency_ns)
{
    if (o->mdl.measure && !o->mdl.capacity && !measure(o))
        o->mdl.measure = false; /* the run itself will say why the weights fail */
    *samples_per_s = o->mdl.capacity ? o->mdl.capacity : CLI_MODEL_NOMINAL_CAPACITY;
    *latency_ns = o->mdl.capacity ? o->mdl.latency_ns : CLI_MODEL_NOMINAL_LATENCY_NS;
}
