/* net/tensor.c: the KServe v2 datatypes: their names and sizes, raw little-endian
 * elements written as JSON numbers and JSON elements read back into raw bytes, IEEE half
 * and bfloat16, and seeded synthetic elements. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/internal.h"

static const struct {
    const char *name;
    size_t size;
} dtypes[NET_DT_COUNT] = {
    [NET_DT_BOOL] = {"BOOL", 1},     [NET_DT_UINT8] = {"UINT8", 1},
    [NET_DT_UINT16] = {"UINT16", 2}, [NET_DT_UINT32] = {"UINT32", 4},
    [NET_DT_UINT64] = {"UINT64", 8}, [NET_DT_INT8] = {"INT8", 1},
    [NET_DT_INT16] = {"INT16", 2},   [NET_DT_INT32] = {"INT32", 4},
    [NET_DT_INT64] = {"INT64", 8},   [NET_DT_FP16] = {"FP16", 2},
    [NET_DT_BF16] = {"BF16", 2},     [NET_DT_FP32] = {"FP32", 4},
    [NET_DT_FP64] = {"FP64", 8},     [NET_DT_BYTES] = {"BYTES", 0},
};

int net_dtype_parse(const char *name, size_t len)
{
    for (int i = 0; i < NET_DT_COUNT; i++)
        if (strlen(dtypes[i].name) == len && !memcmp(dtypes[i].name, name, len))
            return i;
    return -1;
}

const char *net_dtype_name(net_dtype d)
{
    return d < NET_DT_COUNT ? dtypes[d].name : "?";
}

size_t net_dtype_size(net_dtype d)
{
    return d < NET_DT_COUNT ? dtypes[d].size : 0;
}

/* ---------------------------------------------------------------- half floats */

float net_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, man = h & 1023;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 1024));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (man & 1023) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | man << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | man << 13;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t net_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 255) - 127 + 15;
    uint32_t man = x & 0x7fffff;
    if (((x >> 23) & 255) == 255) /* inf, NaN */
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = (uint32_t)exp << 10 | man >> 13, rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++; /* may carry into the exponent: still right (up to infinity) */
    return (uint16_t)(sign | h);
}

static float bf16_to_float(uint16_t b)
{
    uint32_t x = (uint32_t)b << 16;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static uint16_t float_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* ---------------------------------------------------------------- raw to JSON */

/* Element i of raw data of type d as a double (integers up to 2^53 exactly). */
static bool element_text(net_dtype d, const unsigned char *p, char *out, size_t cap)
{
    uint64_t u = 0;
    size_t sz = dtypes[d].size;
    for (size_t k = 0; k < sz; k++)
        u |= (uint64_t)p[k] << (8 * k);
    double v;
    float f;
    uint32_t u32 = (uint32_t)u;
    switch (d) {
    case NET_DT_BOOL: snprintf(out, cap, u ? "true" : "false"); return true;
    case NET_DT_UINT8: case NET_DT_UINT16: case NET_DT_UINT32: case NET_DT_UINT64:
        snprintf(out, cap, "%llu", (unsigned long long)u);
        return true;
    case NET_DT_INT8: snprintf(out, cap, "%d", (int8_t)u); return true;
    case NET_DT_INT16: snprintf(out, cap, "%d", (int16_t)u); return true;
    case NET_DT_INT32: snprintf(out, cap, "%d", (int32_t)u); return true;
    case NET_DT_INT64: snprintf(out, cap, "%lld", (long long)(int64_t)u); return true;
    case NET_DT_FP16: v = net_half_to_float((uint16_t)u); break;
    case NET_DT_BF16: v = bf16_to_float((uint16_t)u); break;
    case NET_DT_FP32: memcpy(&f, &u32, 4); v = f; break;
    case NET_DT_FP64: memcpy(&v, &u, 8); break;
    default: return false;
    }
    if (!isfinite(v))
        return false; /* JSON has no NaN or infinity */
    snprintf(out, cap, d == NET_DT_FP64 ? "%.17g" : "%.9g", v);
    return true;
}

bool net_tensor_to_json(net_dtype d, const void *raw, uint64_t n, net_buf *b)
{
    if (d >= NET_DT_COUNT || d == NET_DT_BYTES)
        return false;
    const unsigned char *p = raw;
    size_t sz = dtypes[d].size;
    char text[40];
    for (uint64_t i = 0; i < n; i++, p += sz) {
        if (!element_text(d, p, text, sizeof text))
            return false;
        size_t k = strlen(text);
        if (!net_buf_reserve(b, k + 1))
            return false;
        if (i)
            b->p[b->len++] = ',';
        memcpy(b->p + b->len, text, k);
        b->len += k;
    }
    return true;
}

/* ---------------------------------------------------------------- JSON to raw */

static bool put_le(net_buf *b, uint64_t u, size_t sz)
{
    if (!b)
        return true; /* checked only */
    if (!net_buf_reserve(b, sz))
        return false;
    for (size_t k = 0; k < sz; k++)
        b->p[b->len++] = (unsigned char)(u >> (8 * k));
    return true;
}

/* A number's text [v, ve) as a double: a short plain integer without strtod (the common
 * element), else strtod on a copy (the text is not NUL-terminated). False when it is not
 * a number or too long to be one we write. */
static bool read_double(const char *v, const char *ve, double *out)
{
    size_t n = (size_t)(ve - v), neg = n && v[0] == '-';
    if (n == 0 || n > 63 || (v[neg] < '0' || v[neg] > '9'))
        return false;
    if (n - neg <= 9) {
        int64_t x = 0;
        size_t k = neg;
        while (k < n && v[k] >= '0' && v[k] <= '9')
            x = x * 10 + (v[k++] - '0');
        if (k == n) {
            *out = (double)(neg ? -x : x);
            return true;
        }
    }
    char buf[64];
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *e;
    *out = strtod(buf, &e);
    return *e == '\0';
}

static bool read_float(const char *v, const char *ve, float *out)
{
    size_t n = (size_t)(ve - v);
    double d;
    if (n <= 8 && read_double(v, ve, &d) && d == floor(d)) { /* an exact small integer */
        *out = (float)d;
        return true;
    }
    char buf[64];
    if (n == 0 || n > 63 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')))
        return false;
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *e;
    *out = strtof(buf, &e);
    return *e == '\0';
}

/* An integer element: digits, or an integral number with a fraction or exponent. */
static bool json_integer(const char *v, const char *ve, bool is_signed, int64_t *s, uint64_t *u)
{
    bool neg = ve > v && v[0] == '-';
    uint64_t m;
    if (net_js_u64(v + neg, ve, &m)) {
        if (!is_signed && neg && m)
            return false;
        if (is_signed)
            *s = neg ? -(int64_t)m : (int64_t)m;
        else
            *u = m;
        return true;
    }
    double x;
    if (!read_double(v, ve, &x) || x != floor(x))
        return false;
    if (is_signed) {
        if (x < -9223372036854775808.0 || x >= 9223372036854775808.0)
            return false;
        *s = (int64_t)x;
    } else {
        if (x < 0 || x >= 18446744073709551616.0)
            return false;
        *u = (uint64_t)x;
    }
    return true;
}

static bool from_json_int(net_dtype d, const char *v, const char *ve, net_buf *b)
{
    bool sgn = d >= NET_DT_INT8 && d <= NET_DT_INT64;
    size_t sz = dtypes[d].size;
    int64_t s = 0;
    uint64_t u = 0;
    if (!json_integer(v, ve, sgn, &s, &u))
        return false;
    if (sgn) {
        int64_t lo = sz == 8 ? INT64_MIN : -((int64_t)1 << (8 * sz - 1));
        int64_t hi = sz == 8 ? INT64_MAX : ((int64_t)1 << (8 * sz - 1)) - 1;
        if (s < lo || s > hi)
            return false;
        return put_le(b, (uint64_t)s, sz);
    }
    if (sz < 8 && u >> (8 * sz))
        return false;
    return put_le(b, u, sz);
}

/* A string element: its 4-byte length and its unescaped bytes. */
static bool from_json_bytes(const char *v, const char *ve, net_buf *b)
{
    size_t bytes;
    if (*v != '"' || net_js_string(v, ve, &bytes) != ve || bytes > UINT32_MAX)
        return false;
    if (!b)
        return true;
    if (!put_le(b, bytes, 4) || !net_buf_reserve(b, bytes))
        return false;
    b->len += net_js_unescape(v + 1, (size_t)(ve - v - 2), (char *)b->p + b->len);
    return true;
}

bool net_tensor_from_json(net_dtype d, const char *v, const char *ve, net_buf *b)
{
    if (v >= ve)
        return false;
    switch (d) {
    case NET_DT_BOOL:
        if (ve - v == 4 && !memcmp(v, "true", 4))
            return put_le(b, 1, 1);
        if (ve - v == 5 && !memcmp(v, "false", 5))
            return put_le(b, 0, 1);
        return (ve - v == 1 && (*v == '0' || *v == '1')) && put_le(b, (uint64_t)(*v - '0'), 1);
    case NET_DT_BYTES:
        return from_json_bytes(v, ve, b);
    case NET_DT_FP16: case NET_DT_BF16: case NET_DT_FP32: case NET_DT_FP64:
        if (!b) /* what read_float and read_double accept of a number the scanner passed */
            return ve - v <= 63 && (*v == '-' || (*v >= '0' && *v <= '9'));
        break;
    default:
        return d < NET_DT_COUNT && from_json_int(d, v, ve, b);
    }
    if (d != NET_DT_FP64) {
        float f;
        if (!read_float(v, ve, &f))
            return false;
        uint32_t x;
        memcpy(&x, &f, 4);
        return d == NET_DT_FP32   ? put_le(b, x, 4)
               : d == NET_DT_FP16 ? put_le(b, net_float_to_half(f), 2)
                                  : put_le(b, float_to_bf16(f), 2);
    }
    double x;
    uint64_t u;
    if (!read_double(v, ve, &x))
        return false;
    memcpy(&u, &x, 8);
    return put_le(b, u, 8);
}

/* ---------------------------------------------------------------- synthetic */

static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

void net_tensor_synthetic(net_dtype d, uint64_t seed, uint64_t key, uint64_t n, void *out)
{
    unsigned char *p = out;
    size_t sz = dtypes[d].size;
    uint64_t base = mix(seed ^ mix(key));
    for (uint64_t i = 0; i < n; i++, p += sz) {
        uint64_t r = mix(base + i);
        double unit = (double)(r >> 11) * 0x1.0p-53; /* uniform in [0, 1) */
        uint64_t u = r;
        float f = (float)unit;
        if (f >= 1.0f)
            f = 0.99999994f;
        switch (d) {
        case NET_DT_BOOL: u = r & 1; break;
        case NET_DT_FP16: u = net_float_to_half(f); break;
        case NET_DT_BF16: u = float_to_bf16(f); break;
        case NET_DT_FP32: { uint32_t x; memcpy(&x, &f, 4); u = x; break; }
        case NET_DT_FP64: memcpy(&u, &unit, 8); break;
        default: break; /* integers: the type's low bytes of r, uniform over its range */
        }
        for (size_t k = 0; k < sz; k++)
            p[k] = (unsigned char)(u >> (8 * k));
    }
}
