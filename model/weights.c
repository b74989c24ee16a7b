/* weights.c: the weights file (docs/model.md): a 64-byte header, one record per layer,
 * a CRC-32 of everything before it; little-endian on every host. The loader checks
 * every field and names the file, the field and its byte offset when one is wrong. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "model/internal.h"

#define DTYPE_F32 1
#define DTYPE_I8 2
#define LAYER_HEADER_BYTES 16
/* A file larger than this is not one of ours (the largest network allowed, 6 layers of
 * 4096 x 4096 float32 weights, takes 384 MiB). */
#define MAX_FILE_BYTES ((size_t)400 << 20)

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void putf(unsigned char *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put32(p, v);
}

static float getf(const unsigned char *p)
{
    uint32_t v = get32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static size_t layer_bytes(const model_layer *L, bool int8)
{
    size_t w = (size_t)L->in * L->out;
    return LAYER_HEADER_BYTES + (int8 ? 8 * (size_t)L->out + (w + 3) / 4 * 4
                                      : 4 * w + 4 * (size_t)L->out);
}

/* The whole file in memory; its length in *len. */
static unsigned char *encode(const model_net *net, size_t *len)
{
    bool q = net->kind == MODEL_KIND_MLP_INT8;
    size_t n = MODEL_WEIGHTS_HEADER_BYTES + 4;
    for (unsigned l = 0; l < net->nlayers; l++)
        n += layer_bytes(&net->layers[l], q);
    unsigned char *b = calloc(1, n), *p = b;
    if (!b)
        return NULL;
    memcpy(p, MODEL_WEIGHTS_MAGIC, 8);
    put32(p + 8, MODEL_WEIGHTS_VERSION);
    put32(p + 12, net->kind);
    put32(p + 16, net->nlayers);
    put32(p + 20, MODEL_WEIGHTS_HEADER_BYTES);
    putf(p + 24, net->in_offset);
    putf(p + 28, net->in_scale);
    put32(p + 32, net->train_seed);
    put32(p + 36, net->train_epochs);
    put32(p + 40, net->train_samples);
    putf(p + 44, net->test_accuracy);
    p += MODEL_WEIGHTS_HEADER_BYTES;
    for (unsigned l = 0; l < net->nlayers; l++) {
        const model_layer *L = &net->layers[l];
        size_t w = (size_t)L->in * L->out;
        put32(p, L->in);
        put32(p + 4, L->out);
        put32(p + 8, q ? DTYPE_I8 : DTYPE_F32);
        putf(p + 12, q ? L->in_scale : 0.0f);
        p += LAYER_HEADER_BYTES;
        if (q) {
            for (uint32_t o = 0; o < L->out; o++, p += 4)
                putf(p, L->w_scale[o]);
            for (uint32_t o = 0; o < L->out; o++, p += 4)
                putf(p, L->b[o]);
            memcpy(p, L->wq, w);
            p += (w + 3) / 4 * 4;
        } else {
            for (size_t i = 0; i < w; i++, p += 4)
                putf(p, L->w[i]);
            for (uint32_t o = 0; o < L->out; o++, p += 4)
                putf(p, L->b[o]);
        }
    }
    put32(p, (uint32_t)crc32(0L, b, (uInt)(n - 4)));
    *len = n;
    return b;
}

int model_weights_save(const model_net *net, const char *path, char *err, size_t errlen)
{
    size_t n;
    unsigned char *b = encode(net, &n);
    if (!b) {
        model__say(err, errlen, "%s: out of memory", path);
        return LG_ENOMEM;
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        free(b);
        model__say(err, errlen, "%s: the name is too long", path);
        return LG_EINVAL;
    }
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(b, 1, n, f) == n;
    ok = f && !fclose(f) && ok;
    int e = errno;
    free(b);
    if (!ok || rename(tmp, path)) {
        e = ok ? errno : e;
        remove(tmp);
        model__say(err, errlen, "%s: cannot write: %s", path, strerror(e));
        return LG_EIO;
    }
    return 0;
}

/* The file whole, at most MAX_FILE_BYTES. */
static int slurp(const char *path, unsigned char **out, size_t *len, char *err, size_t el)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        model__say(err, el, "%s: cannot open: %s", path, strerror(errno));
        return LG_EINVAL;
    }
    size_t cap = 1 << 20, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap || cap > MAX_FILE_BYTES)
            break;
        unsigned char *nb = realloc(b, cap * 2);
        if (!nb)
            free(b);
        b = nb;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (!b || bad || n > MAX_FILE_BYTES) {
        free(b);
        model__say(err, el, "%s: %s", path, !b ? "out of memory" : bad ? "read error"
                                                                : "larger than 400 MiB: not a weights file");
        return !b ? LG_ENOMEM : LG_EINVAL;
    }
    *out = b;
    *len = n;
    return 0;
}

/* The header's fields, checked; the layers' count in net. */
static int decode_header(const char *path, const unsigned char *b, size_t n, model_net *net,
                         char *err, size_t el)
{
    if (n < MODEL_WEIGHTS_HEADER_BYTES + 4 || memcmp(b, MODEL_WEIGHTS_MAGIC, 8)) {
        if (n < 8 || memcmp(b, MODEL_WEIGHTS_MAGIC, 8))
            model__say(err, el, "%s: byte 0: magic: not a loadgen weights file (expected \"%s\")",
                path, MODEL_WEIGHTS_MAGIC);
        else
            model__say(err, el, "%s: truncated at byte %zu: the header and checksum need %d bytes",
                path, n, MODEL_WEIGHTS_HEADER_BYTES + 4);
        return LG_EINVAL;
    }
    uint32_t version = get32(b + 8);
    if (version != MODEL_WEIGHTS_VERSION) {
        model__say(err, el, "%s: byte 8: version %u, this program reads version %d", path, version,
            MODEL_WEIGHTS_VERSION);
        return LG_EINVAL;
    }
    uint32_t crc = get32(b + n - 4), want = (uint32_t)crc32(0L, b, (uInt)(n - 4));
    if (crc != want) {
        model__say(err, el, "%s: byte %zu: checksum: CRC-32 0x%08x stored, 0x%08x computed over the "
            "%zu bytes before it (the file is damaged or truncated)", path, n - 4, crc, want,
            n - 4);
        return LG_EINVAL;
    }
    uint32_t kind = get32(b + 12), nl = get32(b + 16), hb = get32(b + 20);
    const char *field = NULL;
    size_t at = 0;
    if (kind != MODEL_KIND_MLP_F32 && kind != MODEL_KIND_MLP_INT8)
        field = "kind (1 mlp-f32 or 2 mlp-int8)", at = 12;
    else if (nl < 1 || nl > MODEL_MAX_LAYERS)
        field = "layers (1 to 6)", at = 16;
    else if (hb != MODEL_WEIGHTS_HEADER_BYTES)
        field = "header size (64)", at = 20;
    else if (!isfinite(getf(b + 24)) || !(isfinite(getf(b + 28)) && getf(b + 28) != 0))
        field = "input offset and scale (finite, scale not 0)", at = 24;
    for (size_t i = 48; !field && i < MODEL_WEIGHTS_HEADER_BYTES; i++)
        if (b[i])
            field = "reserved (zero)", at = i;
    if (field) {
        model__say(err, el, "%s: byte %zu: bad %s", path, at, field);
        return LG_EINVAL;
    }
    net->kind = (model_kind)kind;
    net->nlayers = nl;
    net->in_offset = getf(b + 24);
    net->in_scale = getf(b + 28);
    net->train_seed = get32(b + 32);
    net->train_epochs = get32(b + 36);
    net->train_samples = get32(b + 40);
    net->test_accuracy = getf(b + 44);
    return 0;
}

/* Layer l at *at: its shape against the previous layer's and the file's length, then
 * its data. */
static int decode_layer(const char *path, const unsigned char *b, size_t n, size_t *at,
                        model_net *net, unsigned l, char *err, size_t el)
{
    model_layer *L = &net->layers[l];
    bool q = net->kind == MODEL_KIND_MLP_INT8;
    const unsigned char *p = b + *at;
    if (*at + LAYER_HEADER_BYTES > n - 4) {
        model__say(err, el, "%s: byte %zu: layer %u: the file ends before its header", path, *at, l);
        return LG_EINVAL;
    }
    L->in = get32(p);
    L->out = get32(p + 4);
    uint32_t dt = get32(p + 8), want_in = l ? net->layers[l - 1].out : MODEL_IMAGE_PIXELS;
    L->in_scale = getf(p + 12);
    const char *bad = NULL;
    size_t off = *at;
    if (L->in != want_in)
        bad = l ? "inputs (the previous layer's outputs)" : "inputs (784 pixels)";
    else if (L->out < 1 || L->out > MODEL_MAX_WIDTH ||
             (l + 1 == net->nlayers && L->out != MODEL_CLASSES))
        bad = l + 1 == net->nlayers ? "outputs (10 classes)" : "outputs (1 to 4096)", off += 4;
    else if (dt != (q ? DTYPE_I8 : DTYPE_F32))
        bad = q ? "data type (2, int8, in an int8 model)" : "data type (1, float32)", off += 8;
    else if (q ? !(isfinite(L->in_scale) && L->in_scale > 0) : L->in_scale != 0)
        bad = q ? "input step (finite, > 0)" : "input step (0 in a float32 layer)", off += 12;
    else if (layer_bytes(L, q) > n - 4 - *at)
        bad = "size (the file ends before the layer's data)", off += 4;
    if (bad) {
        model__say(err, el, "%s: byte %zu: layer %u: bad %s: %u x %u, data type %u", path, off, l, bad,
            L->in, L->out, dt);
        return LG_EINVAL;
    }
    p += LAYER_HEADER_BYTES;
    size_t w = (size_t)L->in * L->out;
    L->b = malloc(L->out * sizeof *L->b);
    if (q) {
        L->w_scale = malloc(L->out * sizeof *L->w_scale);
        L->wq = malloc(w);
    } else {
        L->w = malloc(w * sizeof *L->w);
    }
    if (!L->b || (q ? !L->w_scale || !L->wq : !L->w)) {
        model__say(err, el, "%s: out of memory", path);
        return LG_ENOMEM;
    }
    if (q) {
        for (uint32_t o = 0; o < L->out; o++, p += 4)
            L->w_scale[o] = getf(p);
        for (uint32_t o = 0; o < L->out; o++, p += 4)
            L->b[o] = getf(p);
        memcpy(L->wq, p, w);
    } else {
        for (size_t i = 0; i < w; i++, p += 4)
            L->w[i] = getf(p);
        for (uint32_t o = 0; o < L->out; o++, p += 4)
            L->b[o] = getf(p);
    }
    *at += layer_bytes(L, q);
    return 0;
}

int model_weights_load(const char *path, model_net *net, char *err, size_t el)
{
    memset(net, 0, sizeof *net);
    unsigned char *b;
    size_t n;
    int rc = slurp(path, &b, &n, err, el);
    if (rc)
        return rc;
    rc = decode_header(path, b, n, net, err, el);
    size_t at = MODEL_WEIGHTS_HEADER_BYTES;
    for (unsigned l = 0; !rc && l < net->nlayers; l++)
        rc = decode_layer(path, b, n, &at, net, l, err, el);
    if (!rc && at != n - 4) {
        model__say(err, el, "%s: byte %zu: %zu bytes after the last layer, before the checksum",
            path, at, n - 4 - at);
        rc = LG_EINVAL;
    }
    free(b);
    if (rc)
        model_net_free(net);
    return rc;
}
