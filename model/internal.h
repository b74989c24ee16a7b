/* model/internal.h: what the files of model/ share and nothing outside it uses. */
#ifndef MODEL_INTERNAL_H
#define MODEL_INTERNAL_H

#include <stdbool.h>

#include "model/model.h"

/* Writes a printf-style message into err (len bytes; nothing when err is NULL or len 0):
 * the error text of every model/ function that takes err, errlen (dataset.c). */
__attribute__((format(printf, 3, 4))) void model__say(char *err, size_t len,
                                                      const char *fmt, ...);
/* splitmix64: the next value of a seeded sequence (net.c). */
uint64_t model__rng_next(uint64_t *state);
/* One float32 layer for n rows: y = x W^T + b by one cblas_sgemm, then ReLU (net.c). */
void model__layer_f32(const model_layer *L, const float *x, size_t n, float *y, bool relu);

#endif /* MODEL_INTERNAL_H */
