/* cli/train.c: `loadgen train`: trains the model SUT's network on Fashion-MNIST's
 * training images with the project's own code (model/train.c), measures it on the test
 * images and writes its weights file; optionally its int8 quantisation too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/internal.h"
#include "model/model.h"

static void train_help(FILE *f)
{
    fputs("usage: loadgen train [--out FILE] [--int8-out FILE] [options]\n"
          "\n"
          "Trains a multilayer perceptron (ReLU, softmax cross-entropy, Adam) on the 60,000\n"
          "Fashion-MNIST training images, measures its top-1 accuracy on the 10,000 test\n"
          "images, records it in the weights file and writes the file (docs/model.md).\n"
          "The same options give the same file, bit for bit, on the same machine and\n"
          "build: the seed fixes the initialisation and the order of the samples, and\n"
          "OpenBLAS runs a fixed number of threads (--blas-threads).\n"
          "\n"
          "  --out FILE            the weights file (default models/mlp.lgw)\n"
          "  --int8-out FILE       also quantise the network to int8 (per output channel;\n"
          "                        activation steps from 5,000 training images) and write\n"
          "                        it here\n"
          "  --hidden W[,W...]     hidden layers' widths, 1 to 5 of 1..4096 (default\n"
          "                        256,128)\n"
          "  --epochs N            passes over the training images (default 12)\n"
          "  --batch N             samples per step (default 64)\n"
          "  --learning-rate F     Adam's step (default 0.001), x --lr-decay each epoch\n"
          "  --lr-decay F          in (0, 1] (default 0.85)\n"
          "  --seed N              initialisation and shuffles (default 1)\n"
          "  --limit N             train on the first N training images only (default all)\n"
          "  --blas-threads N      OpenBLAS threads (default 1; the result depends on it)\n"
          "  --dataset-dir DIR     the folder of the four .gz files (default\n"
          "                        " MODEL_DATASET_DIR ")\n"
          "  --quiet               print nothing but errors\n"
          "\n"
          "Exit code: 0 written, 2 bad options or dataset, 3 out of memory or cannot write.\n",
          f);
}

typedef struct train_opts {
    model_train_config c;
    const char *out, *int8_out, *dir;
    bool quiet;
} train_opts;

/* "256,128" into the config's hidden widths. */
static bool parse_hidden(const char *v, model_train_config *c)
{
    char sh[CLI_SHOWN_LEN];
    unsigned n = 0;
    for (const char *p = v;;) {
        char *e;
        unsigned long w = strtoul(p, &e, 10);
        if (e == p || *p < '0' || *p > '9' || w < 1 || w > MODEL_MAX_WIDTH ||
            n == MODEL_MAX_LAYERS - 1 || (*e && *e != ','))
            break;
        c->hidden[n++] = (uint32_t)w;
        if (!*e) {
            c->nhidden = n;
            return true;
        }
        p = e + 1;
    }
    fprintf(stderr, "loadgen train: --hidden: '%s' is not a list of 1 to %d widths in "
            "1..%d separated by commas (e.g. 256,128)\n", cli_shown(v, sh),
            MODEL_MAX_LAYERS - 1, MODEL_MAX_WIDTH);
    return false;
}

/* One numeric flag into o: 1 taken, 0 not one of them, -1 bad (message printed). */
static int parse_number(train_opts *o, int argc, char **argv, int *i)
{
    static const struct { const char *flag; uint64_t lo, hi; } whole[] = {
        {"--epochs", 1, 1000}, {"--batch", 1, 65536}, {"--seed", 0, UINT32_MAX},
        {"--limit", 1, MODEL_TRAIN_IMAGES}, {"--blas-threads", 1, 64}};
    const char *val;
    int r;
    for (size_t k = 0; k < sizeof whole / sizeof whole[0]; k++) {
        if (!(r = cli_flag_value("train", argc, argv, i, whole[k].flag, &val)))
            continue;
        uint64_t u;
        if (r < 0 || !cli_parse_u64("train", whole[k].flag, val, whole[k].lo, whole[k].hi, &u))
            return -1;
        switch (k) {
        case 0: o->c.epochs = (unsigned)u; break;
        case 1: o->c.batch = (uint32_t)u; break;
        case 2: o->c.seed = u; break;
        case 3: o->c.limit = (uint32_t)u; break;
        default: o->c.blas_threads = (int)u; break;
        }
        return 1;
    }
    double d;
    if ((r = cli_flag_value("train", argc, argv, i, "--learning-rate", &val))) {
        if (r < 0 || !cli_parse_double("train", "--learning-rate", val, 0, 1, true, false, &d))
            return -1;
        o->c.learning_rate = (float)d;
        return 1;
    }
    if ((r = cli_flag_value("train", argc, argv, i, "--lr-decay", &val))) {
        if (r < 0 || !cli_parse_double("train", "--lr-decay", val, 0, 1, true, false, &d))
            return -1;
        o->c.lr_decay = (float)d;
        return 1;
    }
    return 0;
}

static int parse(train_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        int r;
        if (cli_is_help(a)) {
            train_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if ((r = cli_flag_value("train", argc, argv, &i, "--out", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            o->out = val;
        } else if ((r = cli_flag_value("train", argc, argv, &i, "--int8-out", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            o->int8_out = val;
        } else if ((r = cli_flag_value("train", argc, argv, &i, "--dataset-dir", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            o->dir = val;
        } else if ((r = cli_flag_value("train", argc, argv, &i, "--hidden", &val))) {
            if (r < 0 || !parse_hidden(val, &o->c))
                return CLI_EXIT_USAGE;
        } else if ((r = parse_number(o, argc, argv, &i))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
        } else {
            return cli_unknown_option("train", a);
        }
    }
    return -1;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Quantises net to int8 (steps from the first 5,000 training images), measures and
 * writes it. -1, or an exit code. */
static int write_int8(const train_opts *o, const model_net *net, const model_dataset *train,
                      const model_dataset *test)
{
    model_net q;
    char err[512], desc[128];
    uint32_t calib = train->count < 5000 ? train->count : 5000;
    if (model_quantize(net, train, calib, &q)) {
        fprintf(stderr, "loadgen train: out of memory while quantising\n");
        return CLI_EXIT_RUNTIME;
    }
    q.test_accuracy = (float)model_accuracy(&q, test);
    int rc = model_weights_save(&q, o->int8_out, err, sizeof err);
    if (!rc && !o->quiet)
        printf("  %s: top-1 %.2f %% on the test images -> %s\n",
               model_net_describe(&q, desc, sizeof desc), 100.0 * q.test_accuracy, o->int8_out);
    model_net_free(&q);
    if (rc)
        fprintf(stderr, "loadgen train: %s\n", err);
    return rc ? CLI_EXIT_RUNTIME : -1;
}

int cli_train(int argc, char **argv)
{
    train_opts o = {.out = "models/mlp.lgw"};
    model_train_default(&o.c);
    int rc = parse(&o, argc, argv);
    if (rc >= 0)
        return rc;
    o.c.verbose = !o.quiet;
    char err[1024], desc[128];
    model_dataset train, test;
    if ((rc = model_dataset_load(o.dir, MODEL_SPLIT_TRAIN, &train, err, sizeof err)) ||
        (rc = model_dataset_load(o.dir, MODEL_SPLIT_TEST, &test, err, sizeof err))) {
        fprintf(stderr, "loadgen train: %s\n", err);
        model_dataset_free(&train);
        return cli_load_exit(rc);
    }
    if (!o.quiet) {
        printf("loadgen train: %u training images%s, %u epochs, batch %u, seed %llu, "
               "%d OpenBLAS thread%s\n", o.c.limit ? o.c.limit : train.count,
               o.c.limit ? " (--limit)" : "", o.c.epochs, o.c.batch,
               (unsigned long long)o.c.seed, o.c.blas_threads, o.c.blas_threads > 1 ? "s" : "");
        fflush(stdout);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    model_net net;
    rc = model_train(&o.c, &train, &net, err, sizeof err);
    if (rc) {
        fprintf(stderr, "loadgen train: %s\n", err);
        model_dataset_free(&train);
        model_dataset_free(&test);
        return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    double secs = seconds_since(&t0);
    net.test_accuracy = (float)model_accuracy(&net, &test);
    rc = model_weights_save(&net, o.out, err, sizeof err) ? CLI_EXIT_RUNTIME : -1;
    if (rc >= 0)
        fprintf(stderr, "loadgen train: %s\n", err);
    else if (!o.quiet)
        printf("  %s: trained in %.1f s, top-1 %.2f %% on the %u test images -> %s\n",
               model_net_describe(&net, desc, sizeof desc), secs, 100.0 * net.test_accuracy,
               test.count, o.out);
    if (rc < 0 && o.int8_out)
        rc = write_int8(&o, &net, &train, &test);
    model_net_free(&net);
    model_dataset_free(&train);
    model_dataset_free(&test);
    return rc < 0 ? CLI_EXIT_VALID : rc;
}
