/* net/npy.c: the header of a NumPy .npy file (format versions 1.0, 2.0 and 3.0): the
 * magic, the header length, and the Python dict literal holding 'descr', 'fortran_order'
 * and 'shape'. Only little-endian (or one-byte) C-order arrays of the KServe datatypes
 * are accepted; the data is read later, sample by sample, at its offset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/internal.h"

#define NPY_MAX_HEADER 65536

#define NPY_FAIL(...)                                                                    \
    do {                                                                                 \
        if (err_len)                                                                     \
            snprintf(err, err_len, __VA_ARGS__);                                         \
        return -EINVAL;                                                                  \
    } while (0)

/* The value text after 'key': in the dict, or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
    char q1[40], q2[40];
    snprintf(q1, sizeof q1, "'%s'", key);
    snprintf(q2, sizeof q2, "\"%s\"", key);
    const char *k = strstr(dict, q1);
    if (!k)
        k = strstr(dict, q2);
    if (!k)
        return NULL;
    k += strlen(q1);
    while (*k == ' ')
        k++;
    if (*k != ':')
        return NULL;
    k++;
    while (*k == ' ')
        k++;
    return k;
}

/* numpy's type string ('<f4', '|u1', ...) to a datatype; -1 when not one we send. */
static int descr_dtype(const char *d, size_t n, bool *big_endian)
{
    static const struct {
        char kind;
        int size;
        net_dtype dt;
    } map[] = {{'b', 1, NET_DT_BOOL},  {'u', 1, NET_DT_UINT8},  {'u', 2, NET_DT_UINT16},
               {'u', 4, NET_DT_UINT32}, {'u', 8, NET_DT_UINT64}, {'i', 1, NET_DT_INT8},
               {'i', 2, NET_DT_INT16},  {'i', 4, NET_DT_INT32},  {'i', 8, NET_DT_INT64},
               {'f', 2, NET_DT_FP16},   {'f', 4, NET_DT_FP32},   {'f', 8, NET_DT_FP64}};
    *big_endian = false;
    if (n != 3 || !strchr("<>|=", d[0]) || d[2] < '1' || d[2] > '8')
        return -1;
    int size = d[2] - '0';
    *big_endian = d[0] == '>' && size > 1;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].kind == d[1] && map[i].size == size)
            return (int)map[i].dt;
    return -1;
}

/* Parses "(a, b, c)" or "()" or "(n,)". */
static int parse_shape(const char *s, net_npy *out)
{
    if (*s != '(')
        return -1;
    s++;
    out->ndim = 0;
    for (;;) {
        while (*s == ' ')
            s++;
        if (*s == ')')
            return 0;
        if (*s < '0' || *s > '9' || out->ndim == NET_MAX_DIMS)
            return -1;
        char *e;
        errno = 0;
        unsigned long long v = strtoull(s, &e, 10);
        if (errno || e == s)
            return -1;
        out->shape[out->ndim++] = v;
        s = e;
        while (*s == ' ' || *s == 'L')
            s++;
        if (*s == ',')
            s++;
        else if (*s != ')')
            return -1;
    }
}

/* Reads the magic, version and header text into buf (NUL-terminated). */
static int read_header_text(int fd, uint64_t file_bytes, char **buf, uint64_t *data_offset,
                            char *err, size_t err_len)
{
    unsigned char pre[12];
    if (file_bytes < 10 || pread(fd, pre, sizeof pre, 0) < 10 || memcmp(pre, "\x93NUMPY", 6))
        NPY_FAIL("not a .npy file (no \\x93NUMPY magic)");
    uint64_t hlen, start;
    if (pre[6] == 1) {
        hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
        start = 10;
    } else if (pre[6] == 2 || pre[6] == 3) {
        hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8 | (uint64_t)pre[10] << 16 |
               (uint64_t)pre[11] << 24;
        start = 12;
    } else {
        NPY_FAIL("unsupported .npy format version %u.%u", pre[6], pre[7]);
    }
    if (hlen > NPY_MAX_HEADER || start + hlen > file_bytes)
        NPY_FAIL("the .npy header length %llu does not fit the file (%llu bytes)",
                 (unsigned long long)hlen, (unsigned long long)file_bytes);
    char *h = malloc(hlen + 1);
    if (!h)
        return -ENOMEM;
    if (pread(fd, h, hlen, (off_t)start) != (ssize_t)hlen) {
        free(h);
        NPY_FAIL("could not read the .npy header");
    }
    h[hlen] = '\0';
    *buf = h;
    *data_offset = start + hlen;
    return 0;
}

/* The header's dict into out (everything but the offsets). */
static int parse_dict(const char *h, net_npy *out, char *err, size_t err_len)
{
    const char *d = dict_value(h, "descr");
    if (!d || (*d != '\'' && *d != '"'))
        NPY_FAIL("the .npy header has no 'descr' string (structured arrays are not "
                 "supported)");
    const char *e = strchr(d + 1, *d);
    if (!e)
        NPY_FAIL("the .npy header's 'descr' is not terminated");
    bool big;
    int dt = descr_dtype(d + 1, (size_t)(e - d - 1), &big);
    if (big)
        NPY_FAIL("the .npy data is big-endian ('%.*s'): convert it with "
                 "a.astype(a.dtype.newbyteorder('<'))", (int)(e - d - 1), d + 1);
    if (dt < 0)
        NPY_FAIL("the .npy dtype '%.*s' is not a KServe datatype (bool, int8..64, "
                 "uint8..64, float16/32/64)", (int)(e - d - 1), d + 1);
    out->dtype = (net_dtype)dt;
    const char *f = dict_value(h, "fortran_order");
    if (!f || strncmp(f, "False", 5))
        NPY_FAIL("the .npy array is in Fortran order or says nothing of it: save it "
                 "with np.ascontiguousarray");
    const char *s = dict_value(h, "shape");
    if (!s || parse_shape(s, out))
        NPY_FAIL("the .npy header's 'shape' is not a tuple of at most %d sizes",
                 NET_MAX_DIMS);
    return 0;
}

int net_npy_read(int fd, uint64_t file_bytes, net_npy *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    char *h = NULL;
    int rc = read_header_text(fd, file_bytes, &h, &out->data_offset, err, err_len);
    if (rc)
        return rc;
    rc = parse_dict(h, out, err, err_len);
    free(h);
    if (rc)
        return rc;
    uint64_t elems = 1;
    for (unsigned i = 0; i < out->ndim; i++) {
        if (out->shape[i] && elems > UINT64_MAX / 8 / out->shape[i])
            NPY_FAIL("the .npy shape is too large");
        elems *= out->shape[i];
    }
    out->data_bytes = elems * net_dtype_size(out->dtype);
    if (out->data_bytes > file_bytes - out->data_offset)
        NPY_FAIL("the .npy file holds %llu bytes of data, its shape needs %llu",
                 (unsigned long long)(file_bytes - out->data_offset),
                 (unsigned long long)out->data_bytes);
    return 0;
}
