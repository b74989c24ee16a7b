/* sut.h: built-in Systems Under Test and the worker-pool runner that turns a plain
 * "process this batch" function into a multithreaded SUT fed by a lock-free ring. */
#ifndef SUT_SUT_H
#define SUT_SUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------
 * null: completes every sample inside the issue call, with no data. It measures the
 * LoadGen's own ceiling. Stateless; the returned lg_sut may be copied freely.
 * ---------------------------------------------------------------------------------- */
lg_sut sut_null(void);

/* ------------------------------------------------------------------------------------
 * The worker pool.
 *
 * issue() pushes every sample into a bounded lock-free MPMC ring (lg_ring) and wakes a
 * sleeping worker if there is one; it takes no lock. When the ring is full, issue()
 * waits for room (spinning, then yielding): the LoadGen sees that as issue lag, never as
 * a lost sample. Each of the N workers pops up to max_batch samples, calls process()
 * and completes them with one lg_complete() call.
 * ---------------------------------------------------------------------------------- */

/* Processes n samples. Fill responses[i].data, .size and .status (and .n_tokens and
 * .sent_ns for a token run) for each samples[i]; the pool sets .id and zeroes the
 * rest. data must stay valid until process() is next called by the same worker, or
 * until the pool is destroyed. Called from worker `worker` (0..workers-1); calls with
 * different worker numbers run concurrently. */
typedef void (*sut_process_fn)(void *ctx, unsigned worker, const lg_sample *samples,
                               size_t n, lg_response *responses);

/* Completes n responses of worker `worker`; the default is lg_complete(). A SUT may
 * put its own here to change or hold back completions (the synthetic SUT's fault
 * injection does). */
typedef void (*sut_complete_fn)(void *ctx, unsigned worker, const lg_response *responses,
                                size_t n);

typedef struct sut_pool_config {
    const char *name;         /* copied; default "pool" */
    sut_process_fn process;   /* required */
    void *ctx;                /* passed to process() and complete() */
    sut_complete_fn complete; /* NULL: lg_complete() */
    unsigned workers;         /* 1..256; default 2 */
    unsigned max_batch;       /* 1..65536 samples per process() call; default 1 */
    size_t ring_capacity;     /* samples; rounded up to a power of two; default 65536 */
} sut_pool_config;

typedef struct sut_pool sut_pool;

/* Starts the workers. Returns 0, LG_EINVAL (a field out of range) or LG_ENOMEM; the
 * pool in *out. */
int sut_pool_create(const sut_pool_config *cfg, sut_pool **out);
/* The SUT interface of the pool, valid until sut_pool_destroy(). */
lg_sut sut_pool_sut(sut_pool *pool);
/* Samples taken by workers so far (for tests and progress). Any thread. */
uint64_t sut_pool_processed(const sut_pool *pool);
/* Stops and joins the workers; samples still in the ring are dropped (never
 * completed). Accepts NULL. Not while a test is issuing to the pool. */
void sut_pool_destroy(sut_pool *pool);

/* ------------------------------------------------------------------------------------
 * synthetic: a worker pool whose process() waits a service time drawn from a seeded
 * distribution, then answers with the sample's QSL index (4 bytes, little-endian).
 * ---------------------------------------------------------------------------------- */

typedef enum sut_dist {
    SUT_DIST_CONSTANT = 0,
    SUT_DIST_EXPONENTIAL = 1,
    SUT_DIST_LOGNORMAL = 2, /* mean as given; sigma of the underlying normal below */
} sut_dist;

typedef struct sut_synthetic_config {
    const char *name;        /* copied; default "synthetic" */
    sut_dist dist;           /* default exponential */
    int64_t mean_ns;         /* mean service time of one batch, >= 0; default 1 ms */
    double lognormal_sigma;  /* > 0; default 0.5 */
    double batch_cost;       /* extra time per additional sample of a batch, as a
                                fraction of one draw; default 0.25 */
    bool busy_wait;          /* spin instead of sleeping (exact, costs a core each) */
    unsigned workers;        /* default 4 */
    unsigned max_batch;      /* default 1 */
    uint64_t seed;           /* worker w draws from a generator seeded with seed + w */

    /* Fault injection, to show what the LoadGen does with a SUT that misbehaves. Each
     * fraction is in [0, 1]; drop + fail + double must not exceed 1. Seeded. */
    double drop_fraction;    /* samples never completed */
    double fail_fraction;    /* samples completed with status SUT_FAULT_STATUS */
    double double_fraction;  /* samples completed twice */
    int64_t stall_ns;        /* the issue call blocks this long ... */
    int64_t stall_every_ns;  /* ... once every this long (default 1 s when stall_ns) */

    /* An LLM, streaming tokens: with tokens > 0 the service time drawn above is the
     * time to the first token, reported with lg_first_token() (its data: the response's
     * 4 bytes); then tokens - 1 more tokens follow tpot_ns apart, and the sample
     * completes with n_tokens = tokens after the last. sent_ns is the time the worker
     * took the batch. A test measures TTFT = queueing + the draw, TPOT = tpot_ns. */
    uint64_t tokens;         /* output tokens per sample, 0 (default) = not an LLM */
    int64_t tpot_ns;         /* time per output token after the first, >= 0 */

    /* Per-sample lengths, e.g. a trace's rows by QSL index (docs/arrival.md): with
     * length_count > 0 the SUT streams tokens as above, sample `index` having
     * output_tokens[index % length_count] of them (at least 1) instead of `tokens`, and
     * its first token comes input_tokens[index % length_count] x prefill_ns_per_token
     * later (a prompt's prefill). A batch waits for its longest sample. The arrays are
     * the caller's and must outlive the SUT; input_tokens may be NULL. */
    const uint64_t *input_tokens;
    const uint64_t *output_tokens;
    uint64_t length_count;
    int64_t prefill_ns_per_token; /* >= 0 */
} sut_synthetic_config;

/* The status of a sample failed on purpose by fail_fraction (EIO). */
#define SUT_FAULT_STATUS 5

/* Fills c with the defaults above. */
void sut_synthetic_default(sut_synthetic_config *c);
/* Parses "constant", "exponential" or "lognormal". Returns 0 or LG_EINVAL. */
int sut_dist_parse(const char *name, sut_dist *out);
const char *sut_dist_name(sut_dist d);

typedef struct sut_synthetic sut_synthetic;
int sut_synthetic_create(const sut_synthetic_config *cfg, sut_synthetic **out);
lg_sut sut_synthetic_sut(sut_synthetic *s);
void sut_synthetic_destroy(sut_synthetic *s);

#ifdef __cplusplus
}
#endif

#endif /* SUT_SUT_H */
