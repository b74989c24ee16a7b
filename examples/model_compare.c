/* model_compare.c: the course's model comparison on real models: the float32 MLP
 * against its int8 quantisation, both classifying the Fashion-MNIST test images
 * (model/model.h), through the harness (harness/harness.h). Each model answers every
 * image once (an accuracy pass), then the two are run in turns in SingleStream; the
 * harness compares their p90 latencies (Welch, Mann-Whitney, CI of the change) and
 * their accuracy sample by sample (McNemar), and says the trade-off in plain words.
 *
 * Usage: model_compare [OUTDIR [IMAGES [MODELS_DIR]]]
 *        (defaults: results/model-compare, all 10000 test images, models)
 * Built by make (build/examples/model_compare); docs/harness.md explains the output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <harness/harness.h>
#include <model/model.h>

#define WORKERS 2
#define BATCH 16

/* One network and, per worker, its inputs, scores and scratch: the harness calls the
 * model from WORKERS threads at once. */
typedef struct classifier {
    model_net net;
    model_scratch scratch[WORKERS];
    float x[WORKERS][BATCH * MODEL_IMAGE_PIXELS];
    float scores[WORKERS][BATCH * MODEL_CLASSES];
} classifier;

static int classify(void *ctx, const harness_batch *b)
{
    classifier *c = ctx;
    float *x = c->x[b->worker], *out = c->scores[b->worker];
    for (size_t i = 0; i < b->n; i++)
        model_preprocess(&c->net, b->inputs[i], 1, x + i * MODEL_IMAGE_PIXELS);
    model_infer(&c->net, &c->scratch[b->worker], x, b->n, out);
    for (size_t i = 0; i < b->n; i++)
        b->predictions[i] = (int32_t)model_argmax(out + i * MODEL_CLASSES);
    return 0;
}

/* The dataset: image `index` of the test split, its 784 bytes. */
static int load_image(void *ctx, uint64_t index, void *buf, size_t size)
{
    const model_dataset *d = ctx;
    memcpy(buf, d->images + index * MODEL_IMAGE_PIXELS, size);
    return 0;
}

static int open_classifier(classifier *c, const char *dir, const char *name)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s.lgw", dir, name);
    if (model_weights_load(path, &c->net, err, sizeof err)) {
        fprintf(stderr, "model_compare: %s\n", err);
        return -1;
    }
    for (int w = 0; w < WORKERS; w++)
        if (model_scratch_init(&c->scratch[w], &c->net, BATCH))
            return -1;
    return 0;
}

static void close_classifier(classifier *c)
{
    for (int w = 0; w < WORKERS; w++)
        model_scratch_free(&c->scratch[w]);
    model_net_free(&c->net);
}

int main(int argc, char **argv)
{
    const char *outdir = argc > 1 ? argv[1] : "results/model-compare";
    long images = argc > 2 ? strtol(argv[2], NULL, 10) : MODEL_TEST_IMAGES;
    const char *models = argc > 3 ? argv[3] : "models";
    if (images < 1 || images > MODEL_TEST_IMAGES) {
        fprintf(stderr, "model_compare: IMAGES must be 1 to %d\n", MODEL_TEST_IMAGES);
        return 2;
    }
    char err[1024], report[4200];
    model_dataset test;
    if (model_dataset_load(NULL, MODEL_SPLIT_TEST, &test, err, sizeof err)) {
        fprintf(stderr, "model_compare: %s\n", err);
        return 2;
    }
    static classifier f32, int8;
    int32_t *labels = malloc((size_t)images * sizeof *labels);
    if (!labels || open_classifier(&f32, models, "mlp") ||
        open_classifier(&int8, models, "mlp-int8"))
        return 3;
    for (long i = 0; i < images; i++)
        labels[i] = test.labels[i];
    model_blas_threads(1); /* the harness's workers are the parallelism */

    harness_opts o;
    harness_opts_default(&o);
    o.outdir = outdir;
    o.quick = true; /* 300 ms per run, 5 runs per model */
    o.workers = WORKERS;
    o.max_batch = BATCH;
    harness *h;
    harness_accuracy_result acc_a, acc_b;
    harness_model_comparison c;
    snprintf(report, sizeof report, "%s/report.md", outdir);
    int rc = harness_create(&o, &h);
    if (!rc && !(rc = harness_add_model(h, "mlp", classify, &f32)) &&
        !(rc = harness_add_model(h, "mlp-int8", classify, &int8)) &&
        !(rc = harness_set_dataset(h, (uint64_t)images, MODEL_IMAGE_PIXELS, load_image,
                                   &test)) &&
        !(rc = harness_set_labels(h, labels, (uint64_t)images)) &&
        !(rc = harness_accuracy(h, "mlp", &acc_a)) &&
        !(rc = harness_accuracy(h, "mlp-int8", &acc_b)) &&
        !(rc = harness_compare(h, "mlp", "mlp-int8", LG_SINGLE_STREAM, &c)) &&
        !(rc = harness_report(h, report))) {
        printf("accuracy on %ld test images: mlp %.2f %%, mlp-int8 %.2f %% (%llu right only "
               "with mlp, %llu only with mlp-int8)\n", images, 100 * acc_a.top1,
               100 * acc_b.top1, (unsigned long long)c.only_a_right,
               (unsigned long long)c.only_b_right);
        printf("SingleStream %s: Welch p = %.3g, effect size d = %.2f, change CI "
               "[%+.1f%%, %+.1f%%]\n%s\n", c.metric, c.p_value, c.effect_size,
               c.confidence_interval[0] * 100, c.confidence_interval[1] * 100,
               c.recommendation);
        printf("Trade-off: %s\nReport: %s\n", c.tradeoff, report);
    } else {
        fprintf(stderr, "model_compare: %s\n", lg_strerror(rc));
    }
    harness_destroy(h);
    close_classifier(&f32);
    close_classifier(&int8);
    free(labels);
    model_dataset_free(&test);
    return rc ? 3 : 0;
}
