/* null.c: the null SUT: answers every sample inside the issue call, so that a run
 * measures the LoadGen itself. */
#include "sut/sut.h"

static void null_issue(void *ctx, const lg_sample *samples, size_t n)
{
    (void)ctx;
    /* One completion call per sample, as a simple SUT would make them. */
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = samples[i].id, .status = LG_STATUS_OK};
        lg_complete(&r, 1);
    }
}

lg_sut sut_null(void)
{
    lg_sut s = {.name = "null", .ctx = NULL, .issue = null_issue, .flush = NULL};
    return s;
}
