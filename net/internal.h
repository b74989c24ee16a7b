/* net/internal.h: what the files of net/ share and nothing outside uses (tests and fuzz
 * targets excepted): tensor elements and .npy headers. */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/jscan.h"
#include "net/kserve.h"
#include "net/net.h"

/* ---------------------------------------------------------------- tensor.c */


/* Appends the JSON numbers (or true/false) of n elements of raw little-endian data of
 * type d, comma-separated, to b. FP16 and BF16 as the float they hold. */
bool net_tensor_to_json(net_dtype d, const void *raw, uint64_t n, net_buf *b);
/* Appends one JSON element [v, ve) (a number, true/false, or a string for BYTES; checked
 * by the scanner) to b as raw little-endian bytes of type d. False when it does not fit d
 * (a fraction for an integer type, out of range, a string for a number type). b NULL:
 * only the check, with the same verdict (a float is not converted). */
bool net_tensor_from_json(net_dtype d, const char *v, const char *ve, net_buf *b);
/* Fills n elements of type d at out with values that depend only on (seed, key, i):
 * floats uniform in [0, 1), integers uniform over the type's range, BOOL 0 or 1. */
void net_tensor_synthetic(net_dtype d, uint64_t seed, uint64_t key, uint64_t n, void *out);

/* IEEE half and bfloat16 conversions. */
float net_half_to_float(uint16_t h);
uint16_t net_float_to_half(float f);

/* ---------------------------------------------------------------- npy.c */

#define NET_MAX_DIMS 16

/* A .npy file's header: version 1, 2 or 3, little-endian (or one-byte) C-order data. */
typedef struct net_npy {
    net_dtype dtype;
    unsigned ndim;
    uint64_t shape[NET_MAX_DIMS];
    uint64_t data_offset; /* where the data starts */
    uint64_t data_bytes;  /* shape's elements times the element size */
} net_npy;

/* Reads the header of the .npy file open at fd (file_bytes long). Returns 0, or -EINVAL
 * with err naming the problem (the magic, the version, the dtype, Fortran order, a shape
 * whose data does not fit the file). */
int net_npy_read(int fd, uint64_t file_bytes, net_npy *out, char *err, size_t err_len);

#endif /* NET_INTERNAL_H */
