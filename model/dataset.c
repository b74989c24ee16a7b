/* dataset.c: Fashion-MNIST from its IDX files, read through zlib (gzread reads gzip and
 * plain files alike), every field checked, every error naming the file and the byte
 * offset in the uncompressed data. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "model/internal.h"

/* The most an IDX file may hold: Fashion-MNIST's largest file is 47 MB. */
#define IDX_MAX_BYTES ((size_t)1 << 30)

void model__say(char *err, size_t len, const char *fmt, ...)
{
    if (!err || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

/* Reads exactly n bytes at the current offset; on a short read says why: damaged gzip
 * data (zlib's own words) or a file that ends early, with the offset where it did. */
static int read_exact(gzFile f, const char *path, void *buf, size_t n, const char *what,
                      char *err, size_t len)
{
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > (1u << 30) ? (1u << 30) : n - got;
        int r = gzread(f, (unsigned char *)buf + got, (unsigned)want);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got == n)
        return 0;
    int zerr = Z_OK;
    const char *zmsg = gzerror(f, &zerr);
    long long at = (long long)gztell(f);
    if (zerr != Z_OK && zerr != Z_STREAM_END && zerr != Z_BUF_ERROR)
        model__say(err, len, "%s: damaged gzip data at byte %lld of the uncompressed data "
            "(reading %s): %s", path, at < 0 ? 0 : at, what, zmsg);
    else
        model__say(err, len, "%s: truncated at byte %lld: %s needs %zu more bytes%s%s", path,
            at < 0 ? 0 : at, what, n - got, zerr == Z_BUF_ERROR ? " (gzip: " : "",
            zerr == Z_BUF_ERROR ? "unexpected end of the compressed stream)" : "");
    return LG_EINVAL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The header: magic, type, dimensions. */
static int read_header(gzFile f, const char *path, model_idx *out, char *err, size_t len)
{
    unsigned char h[4], d[16];
    int rc = read_exact(f, path, h, 4, "the IDX magic", err, len);
    if (rc)
        return rc;
    if (h[0] || h[1]) {
        model__say(err, len, "%s: byte 0: not an IDX file (magic bytes 0x%02x 0x%02x, expected "
            "0x00 0x00)", path, h[0], h[1]);
        return LG_EINVAL;
    }
    if (h[2] != 0x08) {
        model__say(err, len, "%s: byte 2: element type 0x%02x, expected 0x08 (unsigned bytes)",
            path, h[2]);
        return LG_EINVAL;
    }
    if (h[3] < 1 || h[3] > 4) {
        model__say(err, len, "%s: byte 3: %u dimensions, expected 1 to 4", path, h[3]);
        return LG_EINVAL;
    }
    out->type = h[2];
    out->ndim = h[3];
    if ((rc = read_exact(f, path, d, 4 * out->ndim, "the dimension sizes", err, len)))
        return rc;
    size_t bytes = 1;
    for (unsigned i = 0; i < out->ndim; i++) {
        out->dims[i] = be32(d + 4 * i);
        if (out->dims[i] == 0 || bytes > IDX_MAX_BYTES / out->dims[i]) {
            model__say(err, len, "%s: byte %u: dimension %u is %u (%s)", path, 4 + 4 * i, i,
                out->dims[i], out->dims[i] ? "the data would exceed 1 GiB" : "empty");
            return LG_EINVAL;
        }
        bytes *= out->dims[i];
    }
    out->bytes = bytes;
    return 0;
}

int model_idx_read(const char *path, model_idx *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st)) {
        model__say(err, len, "%s: %s", path, strerror(errno));
        return LG_EINVAL;
    }
    if (S_ISDIR(st.st_mode)) {
        model__say(err, len, "%s: a folder, not an IDX file", path);
        return LG_EINVAL;
    }
    gzFile f = gzopen(path, "rb");
    if (!f) {
        model__say(err, len, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        return errno ? LG_EINVAL : LG_ENOMEM;
    }
    gzbuffer(f, 1u << 17);
    int rc = read_header(f, path, out, err, len);
    if (!rc && !(out->data = malloc(out->bytes))) {
        model__say(err, len, "%s: out of memory for %zu bytes", path, out->bytes);
        rc = LG_ENOMEM;
    }
    if (!rc)
        rc = read_exact(f, path, out->data, out->bytes, "the data", err, len);
    if (!rc) {
        unsigned char extra;
        long long at = (long long)gztell(f);
        if (gzread(f, &extra, 1) > 0) {
            model__say(err, len, "%s: trailing data at byte %lld: the header declares %zu bytes "
                "of data", path, at, out->bytes);
            rc = LG_EINVAL;
        } else {
            int zerr = Z_OK;
            const char *zmsg = gzerror(f, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {
                model__say(err, len, "%s: damaged gzip data after byte %lld (the end of the IDX "
                    "data): %s", path, at, zmsg);
                rc = LG_EINVAL;
            }
        }
    }
    gzclose(f);
    if (rc)
        model_idx_free(out);
    return rc;
}

void model_idx_free(model_idx *idx)
{
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

const char *model_dataset_file(model_split split, bool labels)
{
    static const char *const names[2][2] = {
        {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
        {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}};
    return names[split == MODEL_SPLIT_TRAIN][labels];
}

const char *model_class_name(unsigned c)
{
    static const char *const names[MODEL_CLASSES] = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    return c < MODEL_CLASSES ? names[c] : "?";
}

/* Reads one of a split's files, naming the package when the file is not there. */
static int read_split_file(const char *dir, model_split split, bool labels, model_idx *idx,
                           char *err, size_t len)
{
    char path[4096];
    const char *name = model_dataset_file(split, labels);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        model__say(err, len, "%s: the folder's name is too long", dir);
        return LG_EINVAL;
    }
    struct stat st;
    if (stat(path, &st) && errno == ENOENT) {
        bool default_dir = !strcmp(dir, MODEL_DATASET_DIR);
        model__say(err, len, "%s: no such file: Fashion-MNIST is not installed%s (Debian's package "
            "%s installs it in %s: `sh scripts/setup.sh`, or `apt-get install %s`; "
            "--dataset-dir names another folder)", path,
            default_dir ? "" : " in this folder", MODEL_DATASET_PACKAGE, MODEL_DATASET_DIR,
            MODEL_DATASET_PACKAGE);
        return LG_EINVAL;
    }
    return model_idx_read(path, idx, err, len);
}

/* The checks across the two files: shapes, counts, the labels' range. */
static int check_split(const char *dir, model_split split, const model_idx *im,
                       const model_idx *lb, char *err, size_t len)
{
    const char *fi = model_dataset_file(split, false), *fl = model_dataset_file(split, true);
    uint32_t want = split == MODEL_SPLIT_TRAIN ? MODEL_TRAIN_IMAGES : MODEL_TEST_IMAGES;
    if (im->ndim != 3 || im->dims[1] != MODEL_IMAGE_SIDE || im->dims[2] != MODEL_IMAGE_SIDE) {
        model__say(err, len, "%s/%s: byte 3: images of %u dimensions (%u x %u), expected 3 "
            "(N x 28 x 28)", dir, fi, im->ndim, im->ndim > 1 ? im->dims[1] : 0,
            im->ndim > 2 ? im->dims[2] : 0);
        return LG_EINVAL;
    }
    if (im->dims[0] != want) {
        model__say(err, len, "%s/%s: byte 4: %u images, expected %u for this split", dir, fi,
            im->dims[0], want);
        return LG_EINVAL;
    }
    if (lb->ndim != 1 || lb->dims[0] != im->dims[0]) {
        model__say(err, len, "%s/%s: byte %s: %u labels in %u dimensions, expected %u in 1", dir,
            fl, lb->ndim != 1 ? "3" : "4", lb->dims[0], lb->ndim, im->dims[0]);
        return LG_EINVAL;
    }
    for (uint32_t i = 0; i < lb->dims[0]; i++)
        if (lb->data[i] >= MODEL_CLASSES) {
            model__say(err, len, "%s/%s: byte %u: label %u of sample %u is out of range (0..9)",
                dir, fl, 8 + i, lb->data[i], i);
            return LG_EINVAL;
        }
    return 0;
}

int model_dataset_load(const char *dir, model_split split, model_dataset *out, char *err,
                       size_t len)
{
    memset(out, 0, sizeof *out);
    if (!dir || !*dir)
        dir = MODEL_DATASET_DIR;
    model_idx im, lb;
    int rc = read_split_file(dir, split, false, &im, err, len);
    if (rc)
        return rc;
    if ((rc = read_split_file(dir, split, true, &lb, err, len))) {
        model_idx_free(&im);
        return rc;
    }
    if ((rc = check_split(dir, split, &im, &lb, err, len))) {
        model_idx_free(&im);
        model_idx_free(&lb);
        return rc;
    }
    out->count = im.dims[0];
    out->images = im.data;
    out->labels = lb.data;
    return 0;
}

void model_dataset_free(model_dataset *d)
{
    free(d->images);
    free(d->labels);
    memset(d, 0, sizeof *d);
}
