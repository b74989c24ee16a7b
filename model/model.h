/* model.h: a real model on a real dataset, the default SUT of the `loadgen` program
 * (docs/model.md): Fashion-MNIST read from its gzip'ed IDX files (zlib), a QSL that
 * loads the LoadGen's sample sets into a resident buffer, multilayer perceptrons in
 * float32 (OpenBLAS's cblas_sgemm, one call per layer for a whole batch) and in int8
 * (weights quantised per output channel, integer dot products), their weights file,
 * their training, and a SUT that runs them on the worker pool.
 *
 * A static library of its own (libloadgen_model.a: zlib and OpenBLAS); the core
 * library libloadgen needs neither. Functions return 0 or a negative LG_E* code; those
 * that read files or data also write an English message naming the file, the field and
 * the byte offset into the caller's err buffer (errlen bytes, may be 0). */
#ifndef MODEL_MODEL_H
#define MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------
 * The dataset: Fashion-MNIST (28x28 greyscale images of 10 kinds of clothing), as
 * Debian's dataset-fashion-mnist package installs it.
 * ---------------------------------------------------------------------------------- */

#define MODEL_IMAGE_SIDE 28
#define MODEL_IMAGE_PIXELS 784   /* bytes of one image, row-major, 0 (background)..255 */
#define MODEL_CLASSES 10
#define MODEL_TEST_IMAGES 10000
#define MODEL_TRAIN_IMAGES 60000
#define MODEL_DATASET_DIR "/usr/share/datasets/fashion-mnist"
#define MODEL_DATASET_PACKAGE "dataset-fashion-mnist"

typedef enum model_split {
    MODEL_SPLIT_TEST = 0,  /* t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz */
    MODEL_SPLIT_TRAIN = 1, /* train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz */
} model_split;

/* One split in memory. */
typedef struct model_dataset {
    uint32_t count;          /* images (and labels) */
    unsigned char *images;   /* count x MODEL_IMAGE_PIXELS bytes */
    unsigned char *labels;   /* count bytes, each 0..MODEL_CLASSES-1 */
} model_dataset;

/* An IDX file (the format of the MNIST family: magic 0 0 TYPE NDIM, NDIM big-endian
 * 32-bit sizes, then the data), read whole through zlib (gzip or plain). */
typedef struct model_idx {
    unsigned type;           /* 0x08: unsigned bytes (the only type this reader takes) */
    unsigned ndim;           /* 1..4 */
    uint32_t dims[4];
    unsigned char *data;     /* product(dims) bytes (malloc; model_idx_free) */
    size_t bytes;
} model_idx;

/* Reads the IDX file at path and checks it: magic, element type, a dimension count in
 * 1..4, no size 0, data of exactly the declared length. A missing file, damaged gzip
 * data, a short or long file fail with LG_EINVAL and a message naming the file and the
 * byte offset (in the uncompressed data) where the problem is; LG_ENOMEM. */
int model_idx_read(const char *path, model_idx *out, char *err, size_t errlen);
void model_idx_free(model_idx *idx);

/* Loads a split from dir (NULL: MODEL_DATASET_DIR): both files read with
 * model_idx_read, then checked against each other and the dataset: images of 3
 * dimensions, 28x28, the split's count (10,000 or 60,000), as many labels, every label
 * below MODEL_CLASSES (the message names the first bad label's index and byte offset).
 * A folder without the files names the package that installs them. */
int model_dataset_load(const char *dir, model_split split, model_dataset *out, char *err,
                       size_t errlen);
void model_dataset_free(model_dataset *d);
/* The file names of a split ("t10k-images-idx3-ubyte.gz", ...). */
const char *model_dataset_file(model_split split, bool labels);
/* The English name of class c ("T-shirt/top", "Trouser", ...); "?" when c >= 10. */
const char *model_class_name(unsigned c);

/* ------------------------------------------------------------------------------------
 * The networks and their weights file (docs/model.md has the layout byte by byte).
 * ---------------------------------------------------------------------------------- */

typedef enum model_kind {
    MODEL_KIND_MLP_F32 = 1,  /* float32 layers, cblas_sgemm */
    MODEL_KIND_MLP_INT8 = 2, /* int8 weights per output channel, int8 activations */
} model_kind;

#define MODEL_MAX_LAYERS 6
#define MODEL_MAX_WIDTH 4096
#define MODEL_WEIGHTS_MAGIC "LGWEIGHT" /* 8 bytes, no terminator in the file */
#define MODEL_WEIGHTS_VERSION 1
#define MODEL_WEIGHTS_HEADER_BYTES 64

/* One dense layer: out = act(W x + b), W out x in, row-major. */
typedef struct model_layer {
    uint32_t in, out;
    float *w;          /* float32: out x in (NULL in an int8 layer) */
    float *b;          /* out */
    int8_t *wq;        /* int8: out x in (NULL in a float32 layer) */
    float *w_scale;    /* int8: per output channel, W = wq x w_scale[o] */
    float in_scale;    /* int8: the input's quantisation step (x ~ xq x in_scale) */
} model_layer;

/* A network: dense layers, ReLU between them, none after the last (its outputs are the
 * class scores, logits). Inputs are pixel values p mapped to (p - in_offset) x
 * in_scale. */
typedef struct model_net {
    model_kind kind;
    unsigned nlayers;
    model_layer layers[MODEL_MAX_LAYERS];
    float in_offset, in_scale;
    /* What training recorded (0 when unknown): */
    uint32_t train_seed, train_epochs, train_samples;
    float test_accuracy;       /* top-1 on the 10,000 test images, 0..1 */
} model_net;

/* A float32 network with the given widths (sizes[0] = inputs ... sizes[n] = classes,
 * n layers, 1..MODEL_MAX_LAYERS), weights drawn from seed (He initialisation), biases 0.
 * Returns 0, LG_EINVAL or LG_ENOMEM. */
int model_net_init(model_net *net, const uint32_t *sizes, unsigned nlayers, uint64_t seed);
void model_net_free(model_net *net);
/* The widest layer's output (for scratch buffers). */
uint32_t model_net_max_width(const model_net *net);
/* The number of weights and biases. */
size_t model_net_params(const model_net *net);
/* "mlp-f32 784-256-128-10" into buf. Returns buf. */
const char *model_net_describe(const model_net *net, char *buf, size_t len);
const char *model_kind_name(model_kind k); /* "mlp-f32", "mlp-int8", "?" */

/* Writes net to path (through a temporary file, renamed): the 64-byte header, the
 * layers, a CRC-32 (zlib's) of every byte before it. LG_EIO with the message. */
int model_weights_save(const model_net *net, const char *path, char *err, size_t errlen);
/* Reads a weights file, checking magic, version, kind, layer shapes (each layer's
 * input is the previous one's output; 784 inputs, 10 outputs), the sizes against the
 * file's length and the CRC-32. Errors name the file, the field and its byte offset. */
int model_weights_load(const char *path, model_net *net, char *err, size_t errlen);

/* Per-thread scratch of an inference: two activation buffers of max_batch x the widest
 * layer (floats, and int8 for the quantised network). Allocated once; no allocation
 * happens in model_infer. */
typedef struct model_scratch {
    size_t max_batch;
    float *a, *b;
    int8_t *q;
    int32_t *acc;
} model_scratch;

int model_scratch_init(model_scratch *s, const model_net *net, size_t max_batch);
void model_scratch_free(model_scratch *s);

/* Runs n inputs (n <= s->max_batch; x: n x 784 floats, already mapped) through the
 * network: float32, one cblas_sgemm per layer for the whole batch; int8, the quantised
 * layers with integer dot products. Writes n x MODEL_CLASSES scores to out. Any number
 * of threads at once, each with its own scratch. */
void model_infer(const model_net *net, model_scratch *s, const float *x, size_t n,
                 float *out);
/* Maps n images of 784 bytes to the network's inputs (n x 784 floats). */
void model_preprocess(const model_net *net, const unsigned char *images, size_t n,
                      float *x);
/* The index of the largest of MODEL_CLASSES scores (the first on a tie). */
unsigned model_argmax(const float *scores);
/* Top-1 accuracy of net over a dataset (batches of 256, one thread). 0..1; -1 when
 * memory runs out. */
double model_accuracy(const model_net *net, const model_dataset *d);

/* Quantises a float32 network into an int8 one (dst, freed with model_net_free): each
 * layer's weights per output channel (symmetric, max |w| -> 127), each layer's input
 * step from the largest activation seen over `calib` (the first calib_n images). */
int model_quantize(const model_net *src, const model_dataset *calib, uint32_t calib_n,
                   model_net *dst);

/* ------------------------------------------------------------------------------------
 * Training (float32 networks): mini-batch Adam on softmax cross-entropy.
 * ---------------------------------------------------------------------------------- */

typedef struct model_train_config {
    uint32_t hidden[MODEL_MAX_LAYERS - 1]; /* hidden widths; default 256, 128 */
    unsigned nhidden;                      /* default 2 */
    unsigned epochs;                       /* default 12 */
    uint32_t batch;                        /* default 64 */
    float learning_rate;                   /* Adam's step; default 1e-3 */
    float lr_decay;                        /* step x this after each epoch; default 0.85 */
    uint64_t seed;                         /* initialisation and shuffles; default 1 */
    uint32_t limit;                        /* train on the first N images; 0 = all */
    int blas_threads;                      /* OpenBLAS threads while training; default 1
                                              (a fixed count keeps results identical) */
    bool verbose;                          /* a line per epoch on stderr */
} model_train_config;

void model_train_default(model_train_config *c);
/* Trains a network on train (the first limit images) from the seed. The same config,
 * data, BLAS thread count and build give a bit-identical network. Records seed, epochs
 * and samples in net; test_accuracy is left 0 (the caller measures it). */
int model_train(const model_train_config *c, const model_dataset *train, model_net *net,
                char *err, size_t errlen);

/* ------------------------------------------------------------------------------------
 * The QSL: the test split (or the training split) behind the LoadGen's load and unload.
 * ---------------------------------------------------------------------------------- */

typedef struct model_qsl model_qsl;

/* A QSL over the first `total` images of d (1..d->count) of which `performance` fit in
 * memory at once (1..total). load() copies each sample's image, mapped for net, into a
 * resident buffer (MODEL_IMAGE_PIXELS floats a sample); unload() gives it back, and the
 * buffer is freed once nothing is loaded. d and net are borrowed (they must outlive
 * the QSL). name: copied; NULL gives "fashion-mnist". */
int model_qsl_create(const char *name, const model_dataset *d, const model_net *net,
                     uint64_t total, uint64_t performance, model_qsl **out);
lg_qsl model_qsl_qsl(model_qsl *q);
/* The network input of a loaded sample, or NULL when it is not loaded. Any thread. */
const float *model_qsl_sample(const model_qsl *q, uint64_t index);
/* The label of sample index (< total), or -1. */
int model_qsl_label(const model_qsl *q, uint64_t index);
/* What is loaded now, and the most that was: samples and bytes (the resident buffer
 * and its index); loads and unloads so far. The loading thread, or after the test. */
typedef struct model_qsl_stats {
    uint64_t loaded, peak_loaded;
    size_t resident_bytes, peak_resident_bytes;
    uint64_t load_calls, unload_calls, samples_loaded, samples_unloaded;
} model_qsl_stats;
void model_qsl_get_stats(const model_qsl *q, model_qsl_stats *st);
/* Why the last load() failed ("" when it did not): an index out of range, a set larger
 * than the performance sample count, or memory. */
const char *model_qsl_load_error(const model_qsl *q);
void model_qsl_destroy(model_qsl *q);

/* ------------------------------------------------------------------------------------
 * The SUT: a worker pool whose process() gathers a batch's loaded inputs, runs the
 * network once for the whole batch and answers each sample with its scores.
 * ---------------------------------------------------------------------------------- */

/* The response of a sample: MODEL_CLASSES float32 scores (logits), little-endian, 40
 * bytes; the predicted class is the largest. A sample that was not loaded is answered
 * with status MODEL_STATUS_NOT_LOADED and no data. */
#define MODEL_RESPONSE_BYTES (MODEL_CLASSES * 4)
#define MODEL_STATUS_NOT_LOADED 61 /* ENODATA */

/* Decodes a response (e.g. the hex of an accuracy-log entry, once turned into bytes):
 * scores (may be NULL) receives the 10 scores; returns the predicted class 0..9, or -1
 * when size is not MODEL_RESPONSE_BYTES or a score is not finite. Thread-safe. */
int model_response_decode(const void *data, size_t size, float scores[MODEL_CLASSES]);

typedef struct model_sut_config {
    const char *name;      /* copied; default the network's kind name */
    unsigned workers;      /* pool workers, 1..256; default 2 */
    unsigned max_batch;    /* samples per inference, 1..65536; default 64 */
    int blas_threads;      /* openblas_set_num_threads: 1..64; default 1 (each worker
                              runs its sgemm alone, the pool gives the parallelism) */
} model_sut_config;

typedef struct model_sut model_sut;

/* A SUT running net (borrowed) on the inputs q (borrowed) has loaded. Sets OpenBLAS's
 * thread count (process-wide). Returns 0, LG_EINVAL or LG_ENOMEM. */
int model_sut_create(const model_sut_config *cfg, const model_net *net, const model_qsl *q,
                     model_sut **out);
lg_sut model_sut_sut(model_sut *s);
/* Top-1 counts of what the SUT answered so far (samples with a label): any thread. */
void model_sut_counts(const model_sut *s, uint64_t *answered, uint64_t *correct);
void model_sut_destroy(model_sut *s);

/* ------------------------------------------------------------------------------------
 * Accuracy: responses scored against the labels, as MLPerf's per-benchmark accuracy
 * scripts score mlperf_log_accuracy.json (model/accuracy.c, docs/model.md).
 * ---------------------------------------------------------------------------------- */

/* The response kinds an accuracy log may hold, told apart by their size. */
typedef enum model_answer_kind {
    MODEL_ANSWER_SCORES = 0, /* MODEL_RESPONSE_BYTES: 10 float32 scores (this SUT's) */
    MODEL_ANSWER_INT32 = 1,  /* 4 bytes: the predicted class, int32 little-endian */
    MODEL_ANSWER_INT64 = 2,  /* 8 bytes: the predicted class, int64 little-endian */
} model_answer_kind;

/* The tally of one accuracy log. Zero it (model_score_init), add each entry, read. */
typedef struct model_score {
    uint64_t entries;     /* entries added, duplicates included */
    uint64_t scored;      /* distinct samples scored (the first entry of each) */
    uint64_t duplicates;  /* later entries of a sample already scored: ignored */
    uint64_t correct;     /* scored samples whose top class is the label */
    uint64_t top5_correct; /* ... whose label is among the 5 best scores (scores only) */
    uint64_t by_kind[3];  /* scored samples of each model_answer_kind */
    /* confusion[label][predicted]: scored samples of each true class by predicted class */
    uint64_t confusion[MODEL_CLASSES][MODEL_CLASSES];
    unsigned char *seen;  /* one byte per label (malloc), 1 once scored */
    size_t n_labels;
    const unsigned char *labels; /* borrowed, n_labels of them, each below 10 */
} model_score;

/* Starts a tally against labels (borrowed; each below MODEL_CLASSES). LG_EINVAL for no
 * labels, LG_ENOMEM. */
int model_score_init(model_score *a, const unsigned char *labels, size_t n_labels);
/* Scores one entry: the response of sample qsl_idx. A size that is none of the kinds,
 * a score that is not finite, a class out of range or a qsl_idx past the labels fail with
 * LG_EINVAL and a message (the caller adds which entry). A second entry for a sample is
 * counted as a duplicate and not scored again (MLPerf's scripts keep the first). */
int model_score_add(model_score *a, uint64_t qsl_idx, const void *data, size_t size,
                       char *err, size_t errlen);
/* Top-1 of the scored samples, 0..1 (0 when none). */
double model_score_top1(const model_score *a);
/* Samples of class c scored, and how many of them were right (recall = right / support);
 * predicted: how many samples were predicted as c (precision = right / predicted). */
void model_score_class(const model_score *a, unsigned c, uint64_t *support,
                          uint64_t *right, uint64_t *predicted);
void model_score_free(model_score *a);

/* Sets OpenBLAS's thread count (1..64) for every later call, process-wide; returns the
 * count OpenBLAS reports afterwards. */
int model_blas_threads(int n);
/* OpenBLAS's build description ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... Haswell ..."). */
const char *model_blas_config(void);

#ifdef __cplusplus
}
#endif

#endif /* MODEL_MODEL_H */
