/* qsl.c: the model's QSL: the LoadGen's sample sets copied, preprocessed, into a
 * resident buffer on load and given back on unload, the memory counted. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"

/* The buffer grows in chunks of this many samples (784 KB) that never move, so that a
 * worker reading a sample is never left with a pointer into memory a later load moved. */
#define CHUNK 256
#define NOT_LOADED UINT32_MAX

struct model_qsl {
    char *name;
    const model_dataset *d;
    const model_net *net;
    uint64_t total, performance;
    _Atomic uint32_t *slot_of;  /* per sample index: its slot, or NOT_LOADED */
    float **chunks;             /* ceil(performance / CHUNK) chunk pointers */
    size_t nchunks;             /* allocated chunks */
    uint32_t *free_slots;       /* slots given back, reused first */
    size_t nfree;
    uint32_t high;              /* slots handed out so far since the buffer was empty */
    model_qsl_stats st;
    char error[256];
};

static size_t table_bytes(const model_qsl *q)
{
    return q->total * sizeof *q->slot_of +
           (q->performance + CHUNK - 1) / CHUNK * sizeof *q->chunks +
           q->performance * sizeof *q->free_slots;
}

static void account(model_qsl *q)
{
    q->st.resident_bytes = table_bytes(q) + q->nchunks * CHUNK * MODEL_IMAGE_PIXELS * sizeof(float);
    if (q->st.resident_bytes > q->st.peak_resident_bytes)
        q->st.peak_resident_bytes = q->st.resident_bytes;
    if (q->st.loaded > q->st.peak_loaded)
        q->st.peak_loaded = q->st.loaded;
}

/* A slot for one more sample: a freed one, else the next, its chunk allocated when it
 * is the chunk's first. NOT_LOADED when the set would exceed the performance count or
 * memory runs out (q->error says which). */
static uint32_t take_slot(model_qsl *q)
{
    if (q->nfree)
        return q->free_slots[--q->nfree];
    if (q->high >= q->performance) {
        snprintf(q->error, sizeof q->error, "a set of more than %llu samples (the performance "
                 "sample count, what the QSL holds in memory at once) was asked for",
                 (unsigned long long)q->performance);
        return NOT_LOADED;
    }
    size_t c = q->high / CHUNK;
    if (c == q->nchunks) {
        q->chunks[c] = malloc((size_t)CHUNK * MODEL_IMAGE_PIXELS * sizeof(float));
        if (!q->chunks[c]) {
            snprintf(q->error, sizeof q->error, "out of memory for the resident buffer "
                     "(%zu samples loaded)", (size_t)q->high);
            return NOT_LOADED;
        }
        q->nchunks++;
    }
    return q->high++;
}

static float *slot_data(const model_qsl *q, uint32_t s)
{
    return q->chunks[s / CHUNK] + (size_t)(s % CHUNK) * MODEL_IMAGE_PIXELS;
}

static int load(void *ctx, const uint64_t *idx, size_t n)
{
    model_qsl *q = ctx;
    q->st.load_calls++;
    q->error[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= q->total) {
            snprintf(q->error, sizeof q->error, "sample index %llu is out of range (the QSL "
                     "has %llu samples)", (unsigned long long)idx[i],
                     (unsigned long long)q->total);
            return -1;
        }
        if (atomic_load_explicit(&q->slot_of[idx[i]], memory_order_relaxed) != NOT_LOADED)
            continue; /* loaded twice (MultiStream pads its set): one copy */
        uint32_t s = take_slot(q);
        if (s == NOT_LOADED) {
            account(q);
            return -1;
        }
        model_preprocess(q->net, q->d->images + idx[i] * MODEL_IMAGE_PIXELS, 1,
                         slot_data(q, s));
        /* Published after its data: a worker that sees the slot sees the image. */
        atomic_store_explicit(&q->slot_of[idx[i]], s, memory_order_release);
        q->st.loaded++;
        q->st.samples_loaded++;
    }
    account(q);
    return 0;
}

static int unload(void *ctx, const uint64_t *idx, size_t n)
{
    model_qsl *q = ctx;
    q->st.unload_calls++;
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= q->total)
            return -1;
        uint32_t s = atomic_exchange(&q->slot_of[idx[i]], NOT_LOADED);
        if (s == NOT_LOADED)
            continue;
        q->free_slots[q->nfree++] = s;
        q->st.loaded--;
        q->st.samples_unloaded++;
    }
    /* With nothing loaded the buffer goes: the LoadGen unloads a set once every sample
     * of it was answered (or timed out), and the next set may be of another size. */
    if (q->st.loaded == 0) {
        for (size_t c = 0; c < q->nchunks; c++)
            free(q->chunks[c]);
        q->nchunks = 0;
        q->nfree = 0;
        q->high = 0;
    }
    account(q);
    return 0;
}

int model_qsl_create(const char *name, const model_dataset *d, const model_net *net,
                     uint64_t total, uint64_t performance, model_qsl **out)
{
    *out = NULL;
    if (!d || !net || total < 1 || total > d->count || performance < 1 || performance > total)
        return LG_EINVAL;
    model_qsl *q = calloc(1, sizeof *q);
    if (!q)
        return LG_ENOMEM;
    q->name = strdup(name ? name : "fashion-mnist");
    q->slot_of = malloc(total * sizeof *q->slot_of);
    q->chunks = calloc((performance + CHUNK - 1) / CHUNK, sizeof *q->chunks);
    q->free_slots = malloc(performance * sizeof *q->free_slots);
    if (!q->name || !q->slot_of || !q->chunks || !q->free_slots) {
        model_qsl_destroy(q);
        return LG_ENOMEM;
    }
    for (uint64_t i = 0; i < total; i++)
        atomic_init(&q->slot_of[i], NOT_LOADED);
    q->d = d;
    q->net = net;
    q->total = total;
    q->performance = performance;
    account(q);
    *out = q;
    return 0;
}

lg_qsl model_qsl_qsl(model_qsl *q)
{
    lg_qsl l = {.name = q->name, .ctx = q, .total_sample_count = q->total,
                .performance_sample_count = q->performance, .load = load, .unload = unload};
    return l;
}

const float *model_qsl_sample(const model_qsl *q, uint64_t index)
{
    if (index >= q->total)
        return NULL;
    uint32_t s = atomic_load_explicit(&q->slot_of[index], memory_order_acquire);
    return s == NOT_LOADED ? NULL : slot_data(q, s);
}

int model_qsl_label(const model_qsl *q, uint64_t index)
{
    return index < q->total ? q->d->labels[index] : -1;
}

void model_qsl_get_stats(const model_qsl *q, model_qsl_stats *st)
{
    *st = q->st;
}

const char *model_qsl_load_error(const model_qsl *q)
{
    return q->error;
}

void model_qsl_destroy(model_qsl *q)
{
    if (!q)
        return;
    for (size_t c = 0; c < q->nchunks; c++)
        free(q->chunks[c]);
    free(q->chunks);
    free(q->free_slots);
    free((void *)q->slot_of);
    free(q->name);
    free(q);
}
