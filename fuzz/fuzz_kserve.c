/* fuzz_kserve.c: libFuzzer target for the KServe v2 response parser (net/kserve.c, on
 * the JSON scanner of net/jscan.c, which fuzz_openai_chunk holds to jansson). The first
 * byte says whether the body has a binary part and where its JSON ends; the rest is the
 * body. Promises: success or NET_EBODY with a reason; on success at least one output,
 * each output's bytes inside the data, fixed-size outputs exactly their shape's bytes,
 * the data the outputs' bytes and nothing more; a body the parser accepts is one JSON
 * value by the scanner's own check; the check alone (no scratch: what the SUT does for
 * every answer) gives the same verdict and the same outputs' types and shapes; and on
 * any document the scanner accepts, net_js_skip ends each value where net_js_value
 * does. */
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

/* net_js_skip, on text net_js_value accepted, ends every value where it does: the
 * document, and each member or element of every container in it (walked checked). */
static void skip_walk(const char *p, const char *end, int depth)
{
    const char *e = net_js_value(p, end, depth);
    if (!e)
        return;
    CHECK(net_js_skip(p, end) == e);
    if (*p != '[' && *p != '{')
        return;
    net_js_it a, b;
    CHECK(net_js_begin(&a, p, e, depth) && net_js_begin(&b, p, e, depth));
    b.checked = true;
    net_js_str k;
    const char *v1, *ve1, *v2, *ve2;
    for (;;) {
        int r1 = *p == '{' ? net_js_member(&a, &k, &v1, &ve1) : net_js_element(&a, &v1, &ve1);
        int r2 = *p == '{' ? net_js_member(&b, &k, &v2, &ve2) : net_js_element(&b, &v2, &ve2);
        CHECK(r1 == r2);
        if (r1 != 1)
            break;
        CHECK(v1 == v2 && ve1 == ve2);
        skip_walk(v1, ve1, depth + 1);
    }
}

static void skip_agrees(const char *p, const char *end)
{
    if (!net_js_valid(p, end)) /* net_js_skip's promise is for checked text only */
        return;
    p = net_js_ws(p, end);
    skip_walk(p, end, 0);
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
    static net_kserve_result only;
    CHECK(net_kserve_parse_response(body, len, jlen, NULL, &only) == rc);
    CHECK(only.data == NULL && only.data_len == 0);
    if (rc == 0) {
        CHECK(only.noutputs == res.noutputs);
        for (size_t i = 0; i < res.noutputs; i++)
            CHECK(only.outputs[i].dtype == res.outputs[i].dtype &&
                  only.outputs[i].ndim == res.outputs[i].ndim &&
                  only.outputs[i].binary == res.outputs[i].binary &&
                  !memcmp(only.outputs[i].shape, res.outputs[i].shape,
                          sizeof res.outputs[i].shape));
    }
    skip_agrees(body, body + len);
    char msg[64];
    net_kserve_error_message(body, len, msg, sizeof msg);
    return 0;
}
