/* qsl.h: the built-in Query Sample Library: a synthetic dataset of N samples of S
 * bytes each, generated from a seed when loaded, freed when unloaded. Its memory
 * follows the samples loaded, not N. */
#ifndef QSL_QSL_H
#define QSL_QSL_H

#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct qsl_synthetic qsl_synthetic;

/*
 * Creates a synthetic QSL.
 * total: samples in the dataset, 1..2^32-1. performance: samples that fit in memory at
 * once, 1..total. sample_size: bytes per sample, 0..2^30. seed: sample i's bytes depend
 * only on (seed, i). name: copied; NULL gives "synthetic".
 * Returns 0, LG_EINVAL or LG_ENOMEM; the QSL in *out.
 */
int qsl_synthetic_create(const char *name, uint64_t total, uint64_t performance,
                         size_t sample_size, uint64_t seed, qsl_synthetic **out);

/* The QSL interface, valid until qsl_synthetic_destroy(). load() and unload() are
 * called by the LoadGen's thread; data() may be called from any thread meanwhile. */
lg_qsl qsl_synthetic_qsl(qsl_synthetic *q);

/* The bytes of sample index while it is loaded, else NULL. Any thread. */
const void *qsl_synthetic_data(const qsl_synthetic *q, uint64_t index);
size_t qsl_synthetic_sample_size(const qsl_synthetic *q);
/* Samples currently loaded, and loads/unloads so far (for tests). */
uint64_t qsl_synthetic_loaded(const qsl_synthetic *q);
uint64_t qsl_synthetic_load_calls(const qsl_synthetic *q);
/* Why the last load() failed: 0 (it did not), LG_EINVAL (an index >= total) or
 * LG_ENOMEM (a sample or the table could not be allocated). The loading thread, or
 * after the test. */
int qsl_synthetic_load_error(const qsl_synthetic *q);

/* About how many bytes a QSL with `performance` samples of sample_size bytes loaded
 * holds (samples, allocator headers and its table); it does not depend on the dataset's
 * total. For checking a run against the memory available before creating the QSL;
 * SIZE_MAX when it does not fit in a size_t. Thread-safe. */
size_t qsl_synthetic_bytes(uint64_t performance, size_t sample_size);

/* Frees everything, loaded samples included. Accepts NULL. */
void qsl_synthetic_destroy(qsl_synthetic *q);

#ifdef __cplusplus
}
#endif

#endif /* QSL_QSL_H */
