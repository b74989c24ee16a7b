/* model/internal.h: what the files of model/ share and nothing outside it uses. */
#ifndef MODEL_INTERNAL_H
#define MODEL_INTERNAL_H

#include <stdbool.h>

#include "model/model.h"

/* splitmix64: the next value of a seeded sequence (net.c). */
uint64_t model__rng_next(uint64_t *state);
/* One float32 layer for n rows: y = x W^T + b by one cblas_sgemm, then ReLU (net.c). */
void model__layer_f32(const model_layer *L, const float *x, size_t n, float *y, bool relu);

#endif /* MODEL_INTERNAL_H */
