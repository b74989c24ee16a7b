/* sut.c: the model SUT: a worker pool whose process() gathers a batch's inputs from the
 * QSL's resident buffer into the worker's own matrix, runs the network once for the
 * whole batch (one sgemm per layer) and answers each sample with its 10 scores. Every
 * buffer is allocated once per worker for max_batch samples: nothing is allocated per
 * sample or per batch. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "sut/sut.h"

/* One worker's own memory, on its own cache lines. */
typedef struct worker {
    model_scratch s;
    float *x;          /* max_batch x 784 inputs */
    float *out;        /* max_batch x 10 scores */
    unsigned char *resp; /* max_batch x 40 response bytes */
    uint32_t *row;     /* the sample each input row belongs to */
    _Alignas(64) _Atomic uint64_t answered;
    _Atomic uint64_t correct;
} worker;

struct model_sut {
    model_sut_config cfg;
    char *name;
    const model_net *net;
    const model_qsl *q;
    worker *w;
    sut_pool *pool;
};

static void put_f32le(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

int model_response_decode(const void *data, size_t size, float scores[MODEL_CLASSES])
{
    if (!data || size != MODEL_RESPONSE_BYTES)
        return -1;
    const unsigned char *p = data;
    float s[MODEL_CLASSES];
    for (unsigned c = 0; c < MODEL_CLASSES; c++, p += 4) {
        uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24;
        memcpy(&s[c], &v, 4);
        if (!isfinite(s[c]))
            return -1;
    }
    if (scores)
        memcpy(scores, s, sizeof s);
    return (int)model_argmax(s);
}

static void process(void *ctx, unsigned wid, const lg_sample *samples, size_t n,
                    lg_response *responses)
{
    model_sut *m = ctx;
    worker *w = &m->w[wid];
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        const float *in = model_qsl_sample(m->q, samples[i].index);
        if (!in) {
            responses[i].status = MODEL_STATUS_NOT_LOADED;
            continue;
        }
        memcpy(w->x + rows * MODEL_IMAGE_PIXELS, in, MODEL_IMAGE_PIXELS * sizeof(float));
        w->row[rows++] = (uint32_t)i;
    }
    if (rows)
        model_infer(m->net, &w->s, w->x, rows, w->out);
    uint64_t correct = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t i = w->row[r];
        const float *sc = w->out + r * MODEL_CLASSES;
        unsigned char *b = w->resp + i * MODEL_RESPONSE_BYTES;
        for (unsigned c = 0; c < MODEL_CLASSES; c++)
            put_f32le(b + 4 * c, sc[c]);
        responses[i].data = b;
        responses[i].size = MODEL_RESPONSE_BYTES;
        correct += (int)model_argmax(sc) == model_qsl_label(m->q, samples[i].index);
    }
    atomic_fetch_add_explicit(&w->answered, rows, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->correct, correct, memory_order_relaxed);
}

static int workers_init(model_sut *m)
{
    size_t b = m->cfg.max_batch;
    for (unsigned i = 0; i < m->cfg.workers; i++) {
        worker *w = &m->w[i];
        atomic_init(&w->answered, 0);
        atomic_init(&w->correct, 0);
        if (model_scratch_init(&w->s, m->net, b) ||
            !(w->x = malloc(b * MODEL_IMAGE_PIXELS * sizeof *w->x)) ||
            !(w->out = malloc(b * MODEL_CLASSES * sizeof *w->out)) ||
            !(w->resp = malloc(b * MODEL_RESPONSE_BYTES)) || !(w->row = malloc(b * sizeof *w->row)))
            return LG_ENOMEM;
    }
    return 0;
}

int model_sut_create(const model_sut_config *cfg, const model_net *net, const model_qsl *q,
                     model_sut **out)
{
    *out = NULL;
    model_sut_config c = cfg ? *cfg : (model_sut_config){0};
    c.workers = c.workers ? c.workers : 2;
    c.max_batch = c.max_batch ? c.max_batch : 64;
    c.blas_threads = c.blas_threads ? c.blas_threads : 1;
    if (!net || !q || !net->nlayers || c.workers > 256 || c.max_batch > 65536 ||
        c.blas_threads < 1 || c.blas_threads > 64)
        return LG_EINVAL;
    model_sut *m = calloc(1, sizeof *m);
    if (!m)
        return LG_ENOMEM;
    m->cfg = c;
    m->net = net;
    m->q = q;
    m->name = strdup(c.name ? c.name : model_kind_name(net->kind));
    m->w = aligned_alloc(64, (c.workers * sizeof *m->w + 63) / 64 * 64);
    if (m->w)
        memset(m->w, 0, c.workers * sizeof *m->w);
    int rc = !m->name || !m->w ? LG_ENOMEM : workers_init(m);
    if (!rc) {
        model_blas_threads(c.blas_threads);
        sut_pool_config pc = {.name = m->name, .process = process, .ctx = m,
                              .workers = c.workers, .max_batch = c.max_batch};
        rc = sut_pool_create(&pc, &m->pool);
    }
    if (rc) {
        model_sut_destroy(m);
        return rc;
    }
    m->cfg.name = m->name;
    *out = m;
    return 0;
}

lg_sut model_sut_sut(model_sut *s)
{
    lg_sut l = sut_pool_sut(s->pool);
    l.name = s->name;
    return l;
}

void model_sut_counts(const model_sut *s, uint64_t *answered, uint64_t *correct)
{
    uint64_t a = 0, c = 0;
    for (unsigned i = 0; i < s->cfg.workers; i++) {
        a += atomic_load_explicit(&s->w[i].answered, memory_order_relaxed);
        c += atomic_load_explicit(&s->w[i].correct, memory_order_relaxed);
    }
    *answered = a;
    *correct = c;
}

void model_sut_destroy(model_sut *s)
{
    if (!s)
        return;
    sut_pool_destroy(s->pool);
    for (unsigned i = 0; s->w && i < s->cfg.workers; i++) {
        worker *w = &s->w[i];
        model_scratch_free(&w->s);
        free(w->x);
        free(w->out);
        free(w->resp);
        free(w->row);
    }
    free(s->w);
    free(s->name);
    free(s);
}
