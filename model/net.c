/* net.c: the networks: initialisation, batched inference (float32 on cblas_sgemm, one
 * call per layer for the whole batch; int8 with integer dot products), preprocessing,
 * accuracy, post-training quantisation, and OpenBLAS's thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "model/internal.h"

const char *model_kind_name(model_kind k)
{
    return k == MODEL_KIND_MLP_F32 ? "mlp-f32" : k == MODEL_KIND_MLP_INT8 ? "mlp-int8" : "?";
}

/* splitmix64: a small generator whose sequence is the same on every platform, so that a
 * seed names one initialisation and one order of the training samples everywhere. */
uint64_t model__rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A uniform double in (0, 1). */
static double rng_open01(uint64_t *state)
{
    return ((double)(model__rng_next(state) >> 11) + 0.5) / 9007199254740992.0;
}

int model_net_init(model_net *net, const uint32_t *sizes, unsigned nlayers, uint64_t seed)
{
    memset(net, 0, sizeof *net);
    if (nlayers < 1 || nlayers > MODEL_MAX_LAYERS)
        return LG_EINVAL;
    for (unsigned l = 0; l <= nlayers; l++)
        if (sizes[l] < 1 || sizes[l] > MODEL_MAX_WIDTH)
            return LG_EINVAL;
    net->kind = MODEL_KIND_MLP_F32;
    net->nlayers = nlayers;
    net->in_scale = 1.0f / 255.0f;
    uint64_t st = seed;
    for (unsigned l = 0; l < nlayers; l++) {
        model_layer *L = &net->layers[l];
        L->in = sizes[l];
        L->out = sizes[l + 1];
        L->w = malloc((size_t)L->in * L->out * sizeof *L->w);
        L->b = calloc(L->out, sizeof *L->b);
        if (!L->w || !L->b) {
            model_net_free(net);
            return LG_ENOMEM;
        }
        /* He initialisation (normal, variance 2 / fan-in) suits ReLU layers; Box-Muller
         * from the seeded generator. */
        double sd = sqrt(2.0 / L->in);
        for (size_t i = 0; i < (size_t)L->in * L->out; i++) {
            double u = rng_open01(&st), v = rng_open01(&st);
            L->w[i] = (float)(sd * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
        }
    }
    return 0;
}

void model_net_free(model_net *net)
{
    for (unsigned l = 0; l < MODEL_MAX_LAYERS; l++) {
        model_layer *L = &net->layers[l];
        free(L->w);
        free(L->b);
        free(L->wq);
        free(L->w_scale);
    }
    memset(net, 0, sizeof *net);
}

uint32_t model_net_max_width(const model_net *net)
{
    uint32_t w = net->nlayers ? net->layers[0].in : 0;
    for (unsigned l = 0; l < net->nlayers; l++)
        if (net->layers[l].out > w)
            w = net->layers[l].out;
    return w;
}

size_t model_net_params(const model_net *net)
{
    size_t n = 0;
    for (unsigned l = 0; l < net->nlayers; l++)
        n += (size_t)net->layers[l].in * net->layers[l].out + net->layers[l].out;
    return n;
}

const char *model_net_describe(const model_net *net, char *buf, size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "%s %u", model_kind_name(net->kind),
                                 net->nlayers ? net->layers[0].in : 0);
    for (unsigned l = 0; l < net->nlayers && at < len; l++)
        at += (size_t)snprintf(buf + at, len - at, "-%u", net->layers[l].out);
    return buf;
}

int model_scratch_init(model_scratch *s, const model_net *net, size_t max_batch)
{
    memset(s, 0, sizeof *s);
    size_t w = model_net_max_width(net);
    if (!max_batch || !w)
        return LG_EINVAL;
    s->max_batch = max_batch;
    s->a = malloc(max_batch * w * sizeof *s->a);
    s->b = malloc(max_batch * w * sizeof *s->b);
    if (net->kind == MODEL_KIND_MLP_INT8) {
        s->q = malloc(max_batch * w * sizeof *s->q);
        s->acc = malloc(w * sizeof *s->acc);
    }
    if (!s->a || !s->b || (net->kind == MODEL_KIND_MLP_INT8 && (!s->q || !s->acc))) {
        model_scratch_free(s);
        return LG_ENOMEM;
    }
    return 0;
}

void model_scratch_free(model_scratch *s)
{
    free(s->a);
    free(s->b);
    free(s->q);
    free(s->acc);
    memset(s, 0, sizeof *s);
}

void model_preprocess(const model_net *net, const unsigned char *images, size_t n, float *x)
{
    for (size_t i = 0; i < n * MODEL_IMAGE_PIXELS; i++)
        x[i] = ((float)images[i] - net->in_offset) * net->in_scale;
}

/* One float32 layer for n rows: y = x W^T + b (one sgemm), then ReLU unless last. */
void model__layer_f32(const model_layer *L, const float *x, size_t n, float *y, bool relu)
{
    for (size_t i = 0; i < n; i++)
        memcpy(y + i * L->out, L->b, L->out * sizeof *y);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)L->out, (int)L->in,
                1.0f, x, (int)L->in, L->w, (int)L->in, 1.0f, y, (int)L->out);
    if (relu)
        for (size_t i = 0; i < n * L->out; i++)
            y[i] = y[i] > 0 ? y[i] : 0;
}

/* The integer dot product of the int8 layers: GCC vectorises this loop (sign-extending
 * multiplies and adds) only from -O3 on, so it asks for that here. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
static int32_t dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
    int32_t s = 0;
    for (size_t k = 0; k < n; k++)
        s += (int32_t)a[k] * (int32_t)b[k];
    return s;
}

/* One int8 layer for n rows: the inputs quantised with the layer's step (round to
 * nearest, saturated at +-127), integer dot products with the int8 weights, then the
 * product of the two steps and the bias in float. */
static void layer_i8(const model_layer *L, model_scratch *s, const float *x, size_t n,
                     float *y, bool relu)
{
    float inv = 1.0f / L->in_scale;
    for (size_t i = 0; i < n * L->in; i++) {
        float v = nearbyintf(x[i] * inv);
        s->q[i] = (int8_t)(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
    }
    for (size_t i = 0; i < n; i++) {
        const int8_t *xq = s->q + i * L->in;
        float *yi = y + i * L->out;
        for (uint32_t o = 0; o < L->out; o++) {
            int32_t acc = dot_i8(L->wq + (size_t)o * L->in, xq, L->in);
            float v = (float)acc * (L->in_scale * L->w_scale[o]) + L->b[o];
            yi[o] = relu && v < 0 ? 0 : v;
        }
    }
}

void model_infer(const model_net *net, model_scratch *s, const float *x, size_t n,
                 float *out)
{
    const float *in = x;
    for (unsigned l = 0; l < net->nlayers; l++) {
        bool last = l + 1 == net->nlayers;
        float *y = last ? out : (l % 2 ? s->b : s->a);
        if (net->kind == MODEL_KIND_MLP_INT8)
            layer_i8(&net->layers[l], s, in, n, y, !last);
        else
            model__layer_f32(&net->layers[l], in, n, y, !last);
        in = y;
    }
}

unsigned model_argmax(const float *scores)
{
    unsigned best = 0;
    for (unsigned c = 1; c < MODEL_CLASSES; c++)
        if (scores[c] > scores[best])
            best = c;
    return best;
}

double model_accuracy(const model_net *net, const model_dataset *d)
{
    enum { B = 256 };
    model_scratch s;
    float *x = malloc((size_t)B * MODEL_IMAGE_PIXELS * sizeof *x);
    float *out = malloc((size_t)B * MODEL_CLASSES * sizeof *out);
    if (!x || !out || model_scratch_init(&s, net, B)) {
        free(x);
        free(out);
        return -1;
    }
    uint64_t right = 0;
    for (uint32_t i = 0; i < d->count; i += B) {
        size_t n = d->count - i < B ? d->count - i : B;
        model_preprocess(net, d->images + (size_t)i * MODEL_IMAGE_PIXELS, n, x);
        model_infer(net, &s, x, n, out);
        for (size_t k = 0; k < n; k++)
            right += model_argmax(out + k * MODEL_CLASSES) == d->labels[i + k];
    }
    model_scratch_free(&s);
    free(x);
    free(out);
    return d->count ? (double)right / d->count : 0;
}

/* The largest |value| each layer's input takes over the calibration images, by the
 * float32 network's forward pass. */
static int calibrate(const model_net *src, const model_dataset *calib, uint32_t calib_n,
                     float maxabs[MODEL_MAX_LAYERS])
{
    enum { B = 256 };
    model_scratch s;
    float *x = malloc((size_t)B * MODEL_IMAGE_PIXELS * sizeof *x);
    float *out = malloc((size_t)B * model_net_max_width(src) * sizeof *out);
    if (!x || !out || model_scratch_init(&s, src, B)) {
        free(x);
        free(out);
        return LG_ENOMEM;
    }
    for (uint32_t i = 0; i < calib_n; i += B) {
        size_t n = calib_n - i < B ? calib_n - i : B;
        model_preprocess(src, calib->images + (size_t)i * MODEL_IMAGE_PIXELS, n, x);
        const float *in = x;
        for (unsigned l = 0; l < src->nlayers; l++) {
            const model_layer *L = &src->layers[l];
            for (size_t k = 0; k < n * L->in; k++)
                maxabs[l] = fabsf(in[k]) > maxabs[l] ? fabsf(in[k]) : maxabs[l];
            float *y = l % 2 ? s.b : s.a;
            model__layer_f32(L, in, n, y, l + 1 < src->nlayers);
            in = y;
        }
    }
    model_scratch_free(&s);
    free(x);
    free(out);
    return 0;
}

int model_quantize(const model_net *src, const model_dataset *calib, uint32_t calib_n,
                   model_net *dst)
{
    memset(dst, 0, sizeof *dst);
    if (src->kind != MODEL_KIND_MLP_F32 || !calib_n || calib_n > calib->count)
        return LG_EINVAL;
    float maxabs[MODEL_MAX_LAYERS] = {0};
    int rc = calibrate(src, calib, calib_n, maxabs);
    if (rc)
        return rc;
    *dst = *src;
    dst->kind = MODEL_KIND_MLP_INT8;
    for (unsigned l = 0; l < MODEL_MAX_LAYERS; l++)
        dst->layers[l] = (model_layer){.in = src->layers[l].in, .out = src->layers[l].out};
    for (unsigned l = 0; l < src->nlayers; l++) {
        const model_layer *S = &src->layers[l];
        model_layer *D = &dst->layers[l];
        D->wq = malloc((size_t)S->in * S->out);
        D->w_scale = malloc(S->out * sizeof *D->w_scale);
        D->b = malloc(S->out * sizeof *D->b);
        if (!D->wq || !D->w_scale || !D->b) {
            model_net_free(dst);
            return LG_ENOMEM;
        }
        memcpy(D->b, S->b, S->out * sizeof *D->b);
        D->in_scale = maxabs[l] > 0 ? maxabs[l] / 127.0f : 1.0f;
        for (uint32_t o = 0; o < S->out; o++) {
            const float *w = S->w + (size_t)o * S->in;
            float m = 0;
            for (uint32_t k = 0; k < S->in; k++)
                m = fabsf(w[k]) > m ? fabsf(w[k]) : m;
            D->w_scale[o] = m > 0 ? m / 127.0f : 1.0f;
            for (uint32_t k = 0; k < S->in; k++)
                D->wq[(size_t)o * S->in + k] = (int8_t)nearbyintf(w[k] / D->w_scale[o]);
        }
    }
    return 0;
}

int model_blas_threads(int n)
{
    if (n >= 1 && n <= 64)
        openblas_set_num_threads(n);
    return openblas_get_num_threads();
}

const char *model_blas_config(void)
{
    return openblas_get_config();
}
