/* pool.c: the worker-pool runner: issue() pushes samples into a lock-free MPMC ring,
 * N workers pop batches, call the user's process function and complete the samples.
 * Idle workers sleep on a futex; issue() wakes them only when some are asleep. */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/ring.h"
#include "loadgen/sync.h"
#include "sut/sut.h"

struct sut_pool {
    lg_ring *ring;
    sut_pool_config cfg;
    char *name;
    pthread_t *threads;
    unsigned nthreads;
    _Alignas(64) _Atomic int sleepers;
    _Atomic uint32_t wake_seq;
    _Atomic int stop;
    _Alignas(64) _Atomic uint64_t processed;
};

typedef struct worker_arg {
    sut_pool *pool;
    unsigned id;
} worker_arg;

static void *worker_main(void *arg)
{
    worker_arg *wa = arg;
    sut_pool *p = wa->pool;
    unsigned id = wa->id;
    free(wa);
    size_t max = p->cfg.max_batch;
    lg_sample *batch = malloc(max * sizeof *batch);
    lg_response *resp = calloc(max, sizeof *resp);
    if (!batch || !resp) {
        free(batch);
        free(resp);
        return NULL;
    }
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        size_t n = lg_ring_pop_bulk(p->ring, batch, max);
        if (n == 0) {
            /* Spin briefly (work often follows work), then sleep. A producer checks
             * sleepers after a full fence, so a push is never missed. */
            for (int i = 0; i < 200 && n == 0; i++) {
                lg_sync_relax();
                n = lg_ring_pop_bulk(p->ring, batch, max);
            }
            if (n == 0) {
                atomic_fetch_add(&p->sleepers, 1);
                uint32_t seq = atomic_load(&p->wake_seq);
                n = lg_ring_pop_bulk(p->ring, batch, max);
                if (n == 0 && !atomic_load(&p->stop))
                    /* 50 ms at most: the stop flag is re-checked now and then. */
                    lg_sync_wait(&p->wake_seq, seq, 50000000);
                atomic_fetch_sub(&p->sleepers, 1);
                if (n == 0)
                    continue;
            }
        }
        atomic_fetch_add_explicit(&p->processed, n, memory_order_relaxed);
        for (size_t i = 0; i < n; i++)
            resp[i] = (lg_response){.id = batch[i].id, .status = LG_STATUS_OK};
        p->cfg.process(p->cfg.ctx, id, batch, n, resp);
        if (p->cfg.complete)
            p->cfg.complete(p->cfg.ctx, id, resp, n);
        else
            lg_complete(resp, n);
    }
    free(batch);
    free(resp);
    return NULL;
}

static void pool_issue(void *ctx, const lg_sample *samples, size_t n)
{
    sut_pool *p = ctx;
    size_t done = 0;
    unsigned spins = 0;
    while (done < n) {
        size_t k = lg_ring_push_bulk(p->ring, samples + done, n - done);
        done += k;
        if (k == 0) {
            /* Full: the workers are behind. Make sure they are awake, then wait. */
            if (atomic_load(&p->sleepers)) {
                atomic_fetch_add(&p->wake_seq, 1);
                lg_sync_wake(&p->wake_seq, INT_MAX);
            }
            if (++spins > 64)
                sched_yield();
            else
                lg_sync_relax();
        }
    }
    atomic_thread_fence(memory_order_seq_cst);
    int sleepers = atomic_load_explicit(&p->sleepers, memory_order_relaxed);
    if (sleepers) {
        atomic_fetch_add(&p->wake_seq, 1);
        lg_sync_wake(&p->wake_seq, n < (size_t)sleepers ? (int)n : sleepers);
    }
}

static void pool_flush(void *ctx)
{
    (void)ctx; /* workers never hold samples back waiting for a fuller batch */
}

int sut_pool_create(const sut_pool_config *cfg, sut_pool **out)
{
    *out = NULL;
    if (!cfg || !cfg->process)
        return LG_EINVAL;
    sut_pool_config c = *cfg;
    if (c.workers == 0)
        c.workers = 2;
    if (c.max_batch == 0)
        c.max_batch = 1;
    if (c.ring_capacity == 0)
        c.ring_capacity = 65536;
    if (c.workers > 256 || c.max_batch > 65536 || c.ring_capacity > (1u << 26))
        return LG_EINVAL;
    sut_pool *p = calloc(1, sizeof *p);
    if (!p)
        return LG_ENOMEM;
    p->cfg = c;
    p->name = strdup(c.name ? c.name : "pool");
    p->threads = calloc(c.workers, sizeof *p->threads);
    if (!p->name || !p->threads || lg_ring_create(c.ring_capacity, sizeof(lg_sample),
                                                  &p->ring)) {
        sut_pool_destroy(p);
        return LG_ENOMEM;
    }
    p->cfg.name = p->name;
    for (unsigned i = 0; i < c.workers; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa || (wa->pool = p, wa->id = i,
                    pthread_create(&p->threads[i], NULL, worker_main, wa))) {
            free(wa);
            sut_pool_destroy(p);
            return LG_ENOMEM;
        }
        p->nthreads++;
    }
    *out = p;
    return 0;
}

lg_sut sut_pool_sut(sut_pool *pool)
{
    lg_sut s = {.name = pool->name, .ctx = pool, .issue = pool_issue, .flush = pool_flush};
    return s;
}

uint64_t sut_pool_processed(const sut_pool *pool)
{
    return atomic_load_explicit(&((sut_pool *)pool)->processed, memory_order_relaxed);
}

void sut_pool_destroy(sut_pool *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    atomic_fetch_add(&p->wake_seq, 1);
    lg_sync_wake(&p->wake_seq, INT_MAX);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    lg_ring_destroy(p->ring);
    free(p->threads);
    free(p->name);
    free(p);
}
