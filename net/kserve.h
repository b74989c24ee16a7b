/* net/kserve.h: a SUT and a QSL that run a KServe v2 / Open Inference Protocol model
 * server over HTTP (docs/http.md): POST {base}/v2/models/{model}/infer with JSON tensors
 * or the binary tensor extension, inputs from a .npy or raw file or made up from a
 * seed, one request body prebuilt per loaded sample, the response's outputs parsed and
 * handed to lg_complete as the sample's data (the accuracy log's bytes). */
#ifndef NET_KSERVE_H
#define NET_KSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"
#include "net/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The protocol's tensor datatypes. */
typedef enum net_dtype {
    NET_DT_BOOL, NET_DT_UINT8, NET_DT_UINT16, NET_DT_UINT32, NET_DT_UINT64, NET_DT_INT8,
    NET_DT_INT16, NET_DT_INT32, NET_DT_INT64, NET_DT_FP16, NET_DT_BF16, NET_DT_FP32,
    NET_DT_FP64, NET_DT_BYTES, NET_DT_COUNT
} net_dtype;

/* "FP32" -> NET_DT_FP32 (exact, case-sensitive as the protocol's strings are), or -1. */
int net_dtype_parse(const char *name, size_t len);
/* "FP32", ...; "?" for a value out of range. */
const char *net_dtype_name(net_dtype d);
/* Bytes per element; 0 for BYTES (each element is a 4-byte length and its bytes). */
size_t net_dtype_size(net_dtype d);

#define NET_KSERVE_MAX_DIMS 16
#define NET_KSERVE_MAX_OUTPUTS 64

typedef struct net_kserve_config {
    net_client_config client;  /* url, connections, threads, timeouts; callbacks unused */
    const char *model;         /* the model's name (required) */
    const char *model_version; /* NULL: the path names no version */
    bool binary;               /* binary tensor extension for the input and the outputs */
    const char *input_name;    /* default "input0" */
    /* The inputs: a dataset file (.npy, or raw with dtype and shape), or synthetic
     * tensors of dtype and shape drawn from seed when dataset is NULL. */
    const char *dataset;
    int dtype;                 /* net_dtype; -1: from the .npy header */
    unsigned ndim;             /* per-sample shape; 0: the .npy's shape without its
                                  first axis */
    uint64_t shape[NET_KSERVE_MAX_DIMS];
    uint64_t total_samples;    /* synthetic: how many; a dataset: at most this many of
                                  its samples (0: all) */
    uint64_t performance_samples; /* the QSL's performance count (at most the total) */
    uint64_t seed;             /* synthetic data */
} net_kserve_config;

/* Defaults: the client's, "input0", FP32 [1, 4] synthetic, 1024 samples, 256 loaded. */
void net_kserve_config_default(net_kserve_config *cfg);

typedef struct net_kserve net_kserve;

/* Opens the dataset (checks its header and size), starts the client. Returns 0, or
 * -EINVAL / -ENOENT / -ENOMEM / -errno with err naming the file, flag-level field or
 * problem. */
int net_kserve_create(const net_kserve_config *cfg, net_kserve **out, char *err,
                      size_t err_len);
/* The SUT (issue hands the samples to the client) and the QSL (load builds each
 * sample's whole request, unload cancels what is still in flight and frees them); valid
 * until net_kserve_destroy. */
lg_sut net_kserve_sut(net_kserve *k);
lg_qsl net_kserve_qsl(net_kserve *k);
net_client *net_kserve_client(net_kserve *k);
/* The per-sample input: its shape, datatype and bytes (a dataset's, or synthetic). */
const uint64_t *net_kserve_shape(const net_kserve *k, unsigned *ndim);
net_dtype net_kserve_dtype(const net_kserve *k);
uint64_t net_kserve_total(const net_kserve *k);
/* The first failure the server explained (an {"error": ...} body, or why a body was
 * refused), e.g. "HTTP 500: injected error"; "" when none. Any thread after the run. */
const char *net_kserve_first_error(const net_kserve *k);
/* Why the QSL's last load failed (a dataset read, a NaN for JSON, memory); "" when it
 * did not. The loading thread, or after the run. */
const char *net_kserve_load_error(const net_kserve *k);
/* Responses whose 200 body was refused (NET_EBODY). */
uint64_t net_kserve_bad_bodies(const net_kserve *k);
void net_kserve_destroy(net_kserve *k);

/* The readiness gate: GET {base}/v2/health/ready, then {base}/v2/models/{model}[/versions/
 * {version}]/ready, each until it answers 200, within timeout_ns in all. Returns 0, else
 * the last status seen (an HTTP status or NET_E*) with err saying which path and why. */
int net_kserve_wait_ready(const net_url *url, const char *model, const char *version,
                          int64_t timeout_ns, char *err, size_t err_len);

/* One output tensor of a response. */
typedef struct net_kserve_output {
    char name[64];          /* cut when longer */
    net_dtype dtype;
    unsigned ndim;
    uint64_t shape[NET_KSERVE_MAX_DIMS];
    size_t offset, bytes;   /* its raw little-endian bytes within the result's data */
    bool binary;            /* it came as binary data, not JSON */
} net_kserve_output;

typedef struct net_kserve_result {
    size_t noutputs;
    net_kserve_output outputs[NET_KSERVE_MAX_OUTPUTS];
    const unsigned char *data; /* every output's bytes, in order (into scratch, or the */
    size_t data_len;           /* body itself for one binary output) */
    char error[256];           /* why the body was refused, or the server's message */
} net_kserve_result;

/* Parses a 200 response body of len bytes: JSON, or with json_len >= 0 (the response's
 * Inference-Header-Content-Length) that many bytes of JSON followed by the binary
 * outputs. JSON data (nested or flat) is converted to raw bytes of its datatype; BYTES
 * elements become a 4-byte little-endian length and the bytes. Returns 0, or NET_EBODY
 * with out->error saying why (malformed JSON, no outputs, an unknown datatype, a shape
 * that does not match the data, binary sizes that do not add up, an {"error": ...}).
 * scratch: a buffer reused between calls (its contents replaced). scratch NULL: the same
 * checks and verdict, but nothing converted or copied (out->data NULL, each output's
 * offset and bytes 0): the SUT checks every answer this way and converts only those the
 * accuracy log records (lg_complete_cb), as parsing floats is most of the cost.
 * Thread-safe. */
int net_kserve_parse_response(const char *body, size_t len, int64_t json_len,
                              net_buf *scratch, net_kserve_result *out);

/* The message of an error body ({"error": "..."}) into buf; false when the body is not
 * one. */
bool net_kserve_error_message(const char *body, size_t len, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* NET_KSERVE_H */
