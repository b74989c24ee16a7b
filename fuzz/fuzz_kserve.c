/* fuzz_kserve.c: libFuzzer target for the KServe v2 response parser (net/kserve.c, on
 * the JSON scanner of net/jscan.c, which fuzz_openai_chunk holds to jansson). The first
 * byte says whether the body has a binary part and where its JSON ends; the rest is the
 * body. Promises: success or NET_EBODY with a reason; on success at least one output,
 * each output's bytes inside the data, fixed-size outputs exactly their shape's bytes,
 * the data the outputs' bytes and nothing more; and a body the parser accepts is one
 * JSON value by the scanner's own check. */
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
    /* no element grows more than 8 bytes from at least one byte of text */
    CHECK(res.data_len <= 8 * len + 4 * len);
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
    if (rc == 0)
        CHECK(net_js_valid(body, body + (jlen >= 0 ? (size_t)jlen : len)));
    char msg[64];
    net_kserve_error_message(body, len, msg, sizeof msg);
    return 0;
}
