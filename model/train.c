/* train.c: training a float32 network: mini-batch Adam on softmax cross-entropy, the
 * forward and backward passes on cblas_sgemm. Deterministic: the seed fixes the
 * initialisation and every epoch's order, and a fixed OpenBLAS thread count keeps each
 * product's summation order (and so every bit of the result) the same from run to run. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "model/internal.h"

void model_train_default(model_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->hidden[0] = 256;
    c->hidden[1] = 128;
    c->nhidden = 2;
    c->epochs = 12;
    c->batch = 64;
    c->learning_rate = 1e-3f;
    c->lr_decay = 0.85f;
    c->seed = 1;
    c->blas_threads = 1;
}

/* Everything one training run allocates: per layer the activations of a batch (and
 * their gradient), the weights' gradients and Adam's two moments. */
typedef struct trainer {
    size_t batch;
    float *act[MODEL_MAX_LAYERS + 1];  /* act[0]: inputs; act[l + 1]: layer l's output */
    float *grad;                       /* d loss / d output of the current layer */
    float *grad_in;                    /* ... of its input */
    float *gw[MODEL_MAX_LAYERS], *gb[MODEL_MAX_LAYERS];
    float *mw[MODEL_MAX_LAYERS], *vw[MODEL_MAX_LAYERS];
    float *mb[MODEL_MAX_LAYERS], *vb[MODEL_MAX_LAYERS];
    uint32_t *order;
} trainer;

static void trainer_free(trainer *t, unsigned nl)
{
    for (unsigned l = 0; l <= nl; l++)
        free(t->act[l]);
    for (unsigned l = 0; l < nl; l++) {
        free(t->gw[l]), free(t->gb[l]), free(t->mw[l]), free(t->vw[l]);
        free(t->mb[l]), free(t->vb[l]);
    }
    free(t->grad);
    free(t->grad_in);
    free(t->order);
}

static int trainer_init(trainer *t, const model_net *net, size_t batch, uint32_t n)
{
    memset(t, 0, sizeof *t);
    t->batch = batch;
    size_t w = model_net_max_width(net);
    bool ok = (t->grad = malloc(batch * w * sizeof(float))) &&
              (t->grad_in = malloc(batch * w * sizeof(float))) &&
              (t->order = malloc(n * sizeof *t->order)) &&
              (t->act[0] = malloc(batch * MODEL_IMAGE_PIXELS * sizeof(float)));
    for (unsigned l = 0; ok && l < net->nlayers; l++) {
        size_t nw = (size_t)net->layers[l].in * net->layers[l].out, no = net->layers[l].out;
        ok = (t->act[l + 1] = malloc(batch * no * sizeof(float))) &&
             (t->gw[l] = malloc(nw * sizeof(float))) && (t->gb[l] = malloc(no * sizeof(float))) &&
             (t->mw[l] = calloc(nw, sizeof(float))) && (t->vw[l] = calloc(nw, sizeof(float))) &&
             (t->mb[l] = calloc(no, sizeof(float))) && (t->vb[l] = calloc(no, sizeof(float)));
    }
    if (!ok)
        trainer_free(t, net->nlayers);
    return ok ? 0 : LG_ENOMEM;
}

/* Softmax cross-entropy of the logits of n samples: the loss summed, and its gradient
 * (softmax - one-hot) / n into grad. */
static double softmax_xent(const float *logits, const unsigned char *labels, size_t n,
                           float *grad)
{
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * MODEL_CLASSES;
        float *g = grad + i * MODEL_CLASSES;
        float m = z[0];
        for (unsigned c = 1; c < MODEL_CLASSES; c++)
            m = z[c] > m ? z[c] : m;
        double sum = 0;
        for (unsigned c = 0; c < MODEL_CLASSES; c++)
            sum += exp((double)(z[c] - m));
        for (unsigned c = 0; c < MODEL_CLASSES; c++) {
            double p = exp((double)(z[c] - m)) / sum;
            g[c] = (float)((p - (c == labels[i])) / (double)n);
        }
        loss += log(sum) - (double)(z[labels[i]] - m);
    }
    return loss;
}

/* Adam's update of one array of parameters (t: the step, from 1). */
static void adam(float *w, const float *g, float *m, float *v, size_t n, float lr, int t)
{
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    float c1 = 1.0f / (1.0f - powf(b1, (float)t)), c2 = 1.0f / (1.0f - powf(b2, (float)t));
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= lr * (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
    }
}

/* One step on the n samples already in t->act[0]: forward, loss, backward, Adam. */
static double step(model_net *net, trainer *t, const unsigned char *labels, size_t n,
                   float lr, int stepno)
{
    unsigned nl = net->nlayers;
    for (unsigned l = 0; l < nl; l++)
        model__layer_f32(&net->layers[l], t->act[l], n, t->act[l + 1], l + 1 < nl);
    double loss = softmax_xent(t->act[nl], labels, n, t->grad);
    for (unsigned l = nl; l-- > 0;) {
        model_layer *L = &net->layers[l];
        /* dW = grad^T x input (out x in), db = the columns' sums of grad. */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)L->out, (int)L->in, (int)n,
                    1.0f, t->grad, (int)L->out, t->act[l], (int)L->in, 0.0f, t->gw[l],
                    (int)L->in);
        for (uint32_t o = 0; o < L->out; o++) {
            float s = 0;
            for (size_t i = 0; i < n; i++)
                s += t->grad[i * L->out + o];
            t->gb[l][o] = s;
        }
        if (l > 0) {
            /* d input = grad x W, through the previous layer's ReLU. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)L->in,
                        (int)L->out, 1.0f, t->grad, (int)L->out, L->w, (int)L->in, 0.0f,
                        t->grad_in, (int)L->in);
            const float *a = t->act[l];
            for (size_t i = 0; i < n * L->in; i++)
                t->grad_in[i] = a[i] > 0 ? t->grad_in[i] : 0;
            float *sw = t->grad;
            t->grad = t->grad_in;
            t->grad_in = sw;
        }
        adam(L->w, t->gw[l], t->mw[l], t->vw[l], (size_t)L->in * L->out, lr, stepno);
        adam(L->b, t->gb[l], t->mb[l], t->vb[l], L->out, lr, stepno);
    }
    return loss;
}

/* The inputs' offset and scale: the training pixels' mean and 1 / standard deviation,
 * so that the first layer sees inputs of mean 0 and variance 1. */
static void input_stats(const model_dataset *d, uint32_t n, model_net *net)
{
    double s = 0, s2 = 0;
    size_t k = (size_t)n * MODEL_IMAGE_PIXELS;
    for (size_t i = 0; i < k; i++) {
        s += d->images[i];
        s2 += (double)d->images[i] * d->images[i];
    }
    double mean = s / (double)k, var = s2 / (double)k - mean * mean;
    net->in_offset = (float)mean;
    net->in_scale = var > 0 ? (float)(1.0 / sqrt(var)) : 1.0f / 255.0f;
}

int model_train(const model_train_config *c, const model_dataset *train, model_net *net,
                char *err, size_t errlen)
{
    uint32_t n = c->limit && c->limit < train->count ? c->limit : train->count;
    if (!c->epochs || !c->batch || c->batch > 65536 || !(c->learning_rate > 0) ||
        !(c->lr_decay > 0 && c->lr_decay <= 1) || c->nhidden > MODEL_MAX_LAYERS - 1 || !n) {
        snprintf(err, errlen, "training: epochs, batch (1..65536), learning rate (> 0), decay "
                 "(0..1], up to 5 hidden layers and at least one image are needed");
        return LG_EINVAL;
    }
    uint32_t sizes[MODEL_MAX_LAYERS + 1];
    sizes[0] = MODEL_IMAGE_PIXELS;
    for (unsigned l = 0; l < c->nhidden; l++)
        sizes[l + 1] = c->hidden[l];
    sizes[c->nhidden + 1] = MODEL_CLASSES;
    int rc = model_net_init(net, sizes, c->nhidden + 1, c->seed);
    if (rc) {
        snprintf(err, errlen, "training: %s", rc == LG_ENOMEM ? "out of memory"
                                                             : "hidden widths must be 1..4096");
        return rc;
    }
    input_stats(train, n, net);
    trainer t;
    size_t batch = c->batch < n ? c->batch : n;
    if ((rc = trainer_init(&t, net, batch, n))) {
        model_net_free(net);
        snprintf(err, errlen, "training: out of memory");
        return rc;
    }
    model_blas_threads(c->blas_threads > 0 ? c->blas_threads : 1);
    unsigned char *labels = malloc(batch);
    uint64_t rng = c->seed ^ UINT64_C(0x5851f42d4c957f2d);
    for (uint32_t i = 0; i < n; i++)
        t.order[i] = i;
    float lr = c->learning_rate;
    int stepno = 0;
    for (unsigned e = 0; labels && e < c->epochs; e++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* Fisher-Yates from the seeded sequence: the epoch's order. */
        for (uint32_t i = n - 1; i > 0; i--) {
            uint32_t j = (uint32_t)(model__rng_next(&rng) % (i + 1)), s = t.order[i];
            t.order[i] = t.order[j];
            t.order[j] = s;
        }
        double loss = 0;
        for (uint32_t i = 0; i < n; i += (uint32_t)batch) {
            size_t m = n - i < batch ? n - i : batch;
            for (size_t k = 0; k < m; k++) {
                uint32_t s = t.order[i + k];
                model_preprocess(net, train->images + (size_t)s * MODEL_IMAGE_PIXELS, 1,
                                 t.act[0] + k * MODEL_IMAGE_PIXELS);
                labels[k] = train->labels[s];
            }
            loss += step(net, &t, labels, m, lr, ++stepno);
        }
        lr *= c->lr_decay;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (c->verbose)
            fprintf(stderr, "  epoch %2u/%u  loss %.4f  %.1f s\n", e + 1, c->epochs,
                    loss / n, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    trainer_free(&t, net->nlayers);
    if (!labels) {
        model_net_free(net);
        snprintf(err, errlen, "training: out of memory");
        return LG_ENOMEM;
    }
    free(labels);
    net->train_seed = (uint32_t)c->seed;
    net->train_epochs = c->epochs;
    net->train_samples = n;
    return 0;
}
