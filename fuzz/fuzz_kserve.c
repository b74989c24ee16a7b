/* fuzz_kserve.c: libFuzzer target for the KServe v2 response parser (net/kserve.c) and
 * the JSON reader under it (net/json.c). The first byte says whether the body has a
 * binary part and where its JSON ends; the rest is the body. Promises: success or
 * NET_EBODY with a reason; on success at least one output, each output's bytes inside
 * the data, fixed-size outputs exactly their shape's bytes, the data the outputs' bytes
 * and nothing more. And the JSON reader agrees with jansson: a document jansson accepts
 * (of modest depth, without NUL bytes) the reader accepts too, and anything the reader
 * accepts jansson accepts, but for numbers too large for jansson. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "net/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static net_buf scratch;
static net_kserve_result res;

static void check_result(int rc, size_t len)
{
    CHECK(rc == 0 || rc == NET_EBODY);
    if (rc) {
        CHECK(res.error[0] != '\0');
        return;
    }
    CHECK(res.noutputs >= 1 && res.noutputs <= NET_KSERVE_MAX_OUTPUTS);
    size_t sum = 0;
    for (size_t i = 0; i < res.noutputs; i++) {
        const net_kserve_output *o = &res.outputs[i];
        CHECK(o->dtype < NET_DT_COUNT);
        CHECK(o->offset + o->bytes <= res.data_len);
        CHECK(o->ndim <= NET_KSERVE_MAX_DIMS);
        size_t esz = net_dtype_size(o->dtype);
        if (esz) {
            uint64_t n = 1;
            for (unsigned d = 0; d < o->ndim; d++)
                n *= o->shape[d];
            CHECK(o->bytes == n * esz);
        }
        sum += o->bytes;
    }
    CHECK(sum == res.data_len);
    CHECK(res.data_len <= 8 * len + 4 * len);
}

/* The JSON reader against jansson. */
static void differential(const char *p, size_t n)
{
    size_t opens = 0;
    for (size_t i = 0; i < n; i++)
        opens += p[i] == '[' || p[i] == '{';
    if (memchr(p, 0, n))
        return; /* jansson reads a raw NUL byte as the end of the text */
    nj root;
    bool ours = nj_parse(p, n, &root);
    json_error_t je;
    json_t *j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (ours)
        CHECK(j != NULL || strstr(je.text, "too big") || strstr(je.text, "overflow") ||
              strstr(je.text, "out of range"));
    if (j && opens <= NJ_MAX_DEPTH)
        CHECK(ours);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    int64_t jlen = -1;
    if (data[0] & 1) /* a binary part: the JSON is the first data[0]/2 % (len+1) bytes */
        jlen = (int64_t)((data[0] >> 1) % (len + 1));
    int rc = net_kserve_parse_response(body, len, jlen, &scratch, &res);
    check_result(rc, len);
    differential(body, jlen >= 0 ? (size_t)jlen : len);
    char msg[64];
    net_kserve_error_message(body, len, msg, sizeof msg);
    return 0;
}
