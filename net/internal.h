/* net/internal.h: what the files of net/ share and nothing outside uses (tests and fuzz
 * targets excepted): the histogram, the JSON reader, tensor elements, .npy headers. */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/kserve.h"
#include "net/net.h"

/* ---------------------------------------------------------------- hist.c */

/* A histogram of non-negative ns values: exact below 128, then 64 buckets per power of
 * two (1.6% wide) up to 2^40 ns (about 18 minutes; larger values go in the last
 * bucket). One thread adds (relaxed atomics: no lock prefix), any thread reads. */
#define NET_HIST_EXACT 128
#define NET_HIST_SUB 64
#define NET_HIST_MAX_EXP 40
#define NET_HIST_BUCKETS (NET_HIST_EXACT + (NET_HIST_MAX_EXP - 7 + 1) * NET_HIST_SUB)

typedef struct net_hist {
    _Atomic uint64_t bucket[NET_HIST_BUCKETS];
    _Atomic uint64_t count;
    _Atomic uint64_t sum_ns; /* wraps after 584 years of summed time */
    _Atomic int64_t min_ns, max_ns;
} net_hist;

void net_hist_init(net_hist *h);
/* Adds one value (negative values count as 0). The owner thread only. */
void net_hist_add(net_hist *h, int64_t v);
/* Adds src's counts into dst (a plain copy the caller owns, not shared). */
void net_hist_merge(net_hist *dst, const net_hist *src);
/* Percentiles of h: the MLPerf rule over the buckets (the value at index floor(n p)
 * of the sorted values), each reported as its bucket's middle; min and max exact. */
void net_hist_summarize(const net_hist *h, net_hist_summary *out);

/* ---------------------------------------------------------------- json.c */

/* A JSON value: its text [p, p + n), no copy. A document is checked once in full
 * (nj_parse); the accessors then walk the text trusting it. No allocation. */
typedef struct nj {
    const char *p;
    size_t n;
} nj;

typedef struct nj_it {
    const char *p, *end;
    bool first;
} nj_it;

#define NJ_MAX_DEPTH 64

/* Checks that [s, s + n) is one JSON value (RFC 8259; nesting at most NJ_MAX_DEPTH,
 * whitespace around it allowed); *root receives it. */
bool nj_parse(const char *s, size_t n, nj *root);
static inline char nj_kind(nj v) { return v.n ? v.p[0] : 0; } /* '{' '[' '"' 't' 'f' 'n' or a number */
static inline bool nj_is_obj(nj v) { return nj_kind(v) == '{'; }
static inline bool nj_is_arr(nj v) { return nj_kind(v) == '['; }
static inline bool nj_is_str(nj v) { return nj_kind(v) == '"'; }
static inline bool nj_is_num(nj v)
{
    char c = nj_kind(v);
    return c == '-' || (c >= '0' && c <= '9');
}
/* The member `key` of an object (the first with that name, escapes compared decoded). */
bool nj_get(nj obj, const char *key, nj *out);
/* Several members in one pass: out[i] receives keys[i]'s value (the first with that
 * name); returns a mask with bit i set for each key found. n <= 32. */
unsigned nj_get_many(nj obj, const char *const *keys, unsigned n, nj *out);
/* Iterates an array's elements or an object's values (nj_next_member gives the key). */
bool nj_iter(nj container, nj_it *it);
bool nj_next(nj_it *it, nj *out);
bool nj_next_member(nj_it *it, nj *key, nj *out);
/* The string's decoded bytes into buf (cap bytes, NUL-terminated, cut when longer);
 * returns the decoded length (may exceed cap - 1), or -1 when v is not a string. */
long nj_str(nj v, char *buf, size_t cap);
/* Compares a string with plain ASCII text (no escapes in s). */
bool nj_str_eq(nj v, const char *s);
bool nj_u64(nj v, uint64_t *out); /* a non-negative integer without fraction/exponent */
bool nj_i64(nj v, int64_t *out);
bool nj_double(nj v, double *out);
bool nj_float(nj v, float *out);


/* ---------------------------------------------------------------- tensor.c */


/* Appends the JSON numbers (or true/false) of n elements of raw little-endian data of
 * type d, comma-separated, to b. FP16 and BF16 as the float they hold. */
bool net_tensor_to_json(net_dtype d, const void *raw, uint64_t n, net_buf *b);
/* Appends one JSON element v (a number, true/false, or a string for BYTES) to b as raw
 * little-endian bytes of type d. False when v does not fit d (a fraction for an
 * integer type, out of range, a string for a number type). */
bool net_tensor_from_json(net_dtype d, nj v, net_buf *b);
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
