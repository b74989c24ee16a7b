/* bench_ring.c: throughput of the LoadGen's MPMC ring (loadgen/ring.h) against
 * Concurrency Kit's ck_ring, moving 16-byte items (sample id, sample index).
 *
 * Usage: bench_ring [reps [run_ms [config]]]
 *   defaults: 7 repetitions of 200 ms per implementation and configuration, every
 *   configuration; `config` runs only those whose name contains it (e.g. 1p1c).
 *
 * Prints one line per implementation and configuration:
 *   bench_ring impl=lg config=2p2c ops_per_sec=... min=... max=... reps=7 ...
 * where one op is one item pushed by a producer and popped by a consumer, and
 * ops_per_sec is the median over the repetitions. See docs/ring.md for the results. */
#include <ck_ring.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen/ring.h"

#define CAPACITY 1024   /* items; ck_ring holds one fewer (1023) */
#define MAX_THREADS 8
#define MAX_BATCH 32
#define PTR_POOL 4096   /* items per producer in the ck_ptr pool */

/* The typical item: what the issue thread hands to a SUT worker. */
typedef struct sample16 {
    uint64_t id;
    uint64_t index;
} sample16;

/* ck_ring with 16-byte entries copied by value, the same contract as lg_ring:
 * ck_ring_enqueue_mpmc_sample16() and ck_ring_dequeue_mpmc_sample16(). */
CK_RING_PROTOTYPE(sample16, sample16)

typedef enum impl {
    IMPL_LG,      /* lg_ring_try_push / lg_ring_try_pop, or lg_ring_pop_bulk */
    IMPL_LG_LOOP, /* lg_ring_try_pop called up to `batch` times (no run claim) */
    IMPL_CK,      /* ck_ring typed mpmc, 16-byte entries by value */
    IMPL_CK_PTR,  /* ck_ring pointer mpmc, a pointer to a preallocated 16-byte item */
} impl;

static const char *const impl_names[] = {"lg", "lg_loop", "ck", "ck_ptr"};

typedef struct counter {
    _Alignas(64) _Atomic uint64_t n;
} counter;

typedef struct run {
    impl which;
    int producers, consumers;
    size_t batch; /* consumer: items per pop call (1 = single pops) */
    _Atomic bool stop;              /* set by the main thread when the run's time is up */
    _Atomic int producers_done;     /* producers that made their last push */
    lg_ring *lg;
    struct ck_ring ck;
    void *ck_buf; /* sample16[CAPACITY] or void *[CAPACITY] */
    sample16 *pool; /* ck_ptr: PTR_POOL items per producer, read-only during a run */
    pthread_barrier_t start;
    counter consumed[MAX_THREADS]; /* per consumer, so that counting costs no lock */
    _Atomic uint64_t pushed_sum, popped_sum;
} run;

typedef struct worker {
    run *r;
    int n;
    int cpu;
} worker;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spin briefly, then yield: with more threads than cores (2p2c on two cores) the thread
 * that would make progress may be waiting for this core. Same policy for every impl. */
static void backoff(unsigned *spins)
{
    if (++*spins < 64)
        cpu_relax();
    else
        sched_yield();
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
}

static bool push_one(run *r, int producer, uint64_t id)
{
    sample16 s = {id, id * 7};
    switch (r->which) {
    case IMPL_LG:
    case IMPL_LG_LOOP:
        return lg_ring_try_push(r->lg, &s);
    case IMPL_CK:
        return ck_ring_enqueue_mpmc_sample16(&r->ck, r->ck_buf, &s);
    case IMPL_CK_PTR:
        return ck_ring_enqueue_mpmc(&r->ck, r->ck_buf,
                                    &r->pool[(size_t)producer * PTR_POOL + id % PTR_POOL]);
    }
    return false;
}

/* Pops up to r->batch items into out; returns how many. */
static size_t pop_some(run *r, sample16 *out)
{
    size_t n = 0;
    switch (r->which) {
    case IMPL_LG:
        if (r->batch == 1)
            return lg_ring_try_pop(r->lg, out) ? 1 : 0;
        return lg_ring_pop_bulk(r->lg, out, r->batch);
    case IMPL_LG_LOOP:
        while (n < r->batch && lg_ring_try_pop(r->lg, &out[n]))
            n++;
        return n;
    case IMPL_CK:
        while (n < r->batch && ck_ring_dequeue_mpmc_sample16(&r->ck, r->ck_buf, &out[n]))
            n++;
        return n;
    case IMPL_CK_PTR: {
        sample16 *p;
        while (n < r->batch && ck_ring_dequeue_mpmc(&r->ck, r->ck_buf, &p)) {
            out[n++] = *p; /* read the item, as a consumer of a pointer must */
        }
        return n;
    }
    }
    return 0;
}

static void *producer_main(void *arg)
{
    worker *w = arg;
    run *r = w->r;
    pin(w->cpu);
    uint64_t sum = 0, id = (uint64_t)w->n;
    pthread_barrier_wait(&r->start);
    /* The stop flag is read once per 64 items, so that it costs nothing measurable. */
    for (unsigned k = 0;; k++, id += (uint64_t)r->producers) {
        if ((k & 63) == 0 && atomic_load_explicit(&r->stop, memory_order_relaxed))
            break;
        unsigned spins = 0;
        while (!push_one(r, w->n, id))
            backoff(&spins);
        sum += r->which == IMPL_CK_PTR ? id % PTR_POOL : id;
    }
    atomic_fetch_add(&r->pushed_sum, sum);
    atomic_fetch_add_explicit(&r->producers_done, 1, memory_order_release);
    return NULL;
}

static uint64_t total_consumed(run *r)
{
    uint64_t t = 0;
    for (int i = 0; i < r->consumers; i++)
        t += atomic_load_explicit(&r->consumed[i].n, memory_order_relaxed);
    return t;
}

static void *consumer_main(void *arg)
{
    worker *w = arg;
    run *r = w->r;
    pin(w->cpu);
    sample16 buf[MAX_BATCH];
    uint64_t mine = 0, sum = 0;
    unsigned spins = 0;
    pthread_barrier_wait(&r->start);
    for (;;) {
        size_t n = pop_some(r, buf);
        if (n > 0) {
            for (size_t i = 0; i < n; i++)
                sum += buf[i].id;
            mine += n;
            atomic_store_explicit(&r->consumed[w->n].n, mine, memory_order_relaxed);
            spins = 0;
            continue;
        }
        /* Empty, and every producer has finished its last push: nothing more will come.
         * (Checking producers_done before a last pop would miss nothing: a producer
         * counts itself done only after its last push completed.) */
        if (atomic_load_explicit(&r->producers_done, memory_order_acquire) == r->producers) {
            n = pop_some(r, buf);
            if (n == 0)
                break;
            for (size_t i = 0; i < n; i++)
                sum += buf[i].id;
            mine += n;
            atomic_store_explicit(&r->consumed[w->n].n, mine, memory_order_relaxed);
            continue;
        }
        backoff(&spins);
    }
    atomic_fetch_add(&r->popped_sum, sum);
    return NULL;
}

/* One run of run_ms milliseconds; returns items per second, or a negative value when the
 * items popped are not exactly the items pushed. */
static double run_once(impl which, int producers, int consumers, size_t batch, int run_ms)
{
    run *r = aligned_alloc(64, (sizeof(run) + 63) / 64 * 64);
    if (r == NULL)
        return -1;
    memset(r, 0, sizeof *r);
    r->which = which;
    r->producers = producers;
    r->consumers = consumers;
    r->batch = batch;
    if (which == IMPL_LG || which == IMPL_LG_LOOP) {
        if (lg_ring_create(CAPACITY, sizeof(sample16), &r->lg) != 0)
            return -1;
    } else {
        size_t entry = which == IMPL_CK ? sizeof(sample16) : sizeof(void *);
        r->ck_buf = aligned_alloc(64, CAPACITY * entry);
        if (r->ck_buf == NULL)
            return -1;
        memset(r->ck_buf, 0, CAPACITY * entry);
        ck_ring_init(&r->ck, CAPACITY);
        if (which == IMPL_CK_PTR) {
            r->pool = malloc(sizeof(sample16) * PTR_POOL * (size_t)producers);
            if (r->pool == NULL)
                return -1;
            for (size_t i = 0; i < (size_t)PTR_POOL * (size_t)producers; i++)
                r->pool[i] = (sample16){i % PTR_POOL, i * 7};
        }
    }
    int n = producers + consumers;
    pthread_barrier_init(&r->start, NULL, (unsigned)n + 1);
    pthread_t th[MAX_THREADS];
    worker w[MAX_THREADS];
    for (int i = 0; i < n; i++) {
        bool prod = i < producers;
        w[i].r = r;
        w[i].n = prod ? i : i - producers;
        /* Producers from core 0 up, consumers from core 1 up: 1p1c runs the producer and
         * the consumer on cores of their own, as the issue thread and a SUT worker would
         * run; 2p2c puts one producer and one consumer on each of the two cores. */
        w[i].cpu = prod ? w[i].n % 2 : (w[i].n + 1) % 2;
        pthread_create(&th[i], NULL, prod ? producer_main : consumer_main, &w[i]);
    }
    pthread_barrier_wait(&r->start);
    int64_t t0 = now_ns();
    struct timespec ts = {run_ms / 1000, (long)(run_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store(&r->stop, true);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    int64_t t1 = now_ns();

    /* The rate counts every item and the whole time, including the short drain after
     * the stop (at most one ring's worth of items). */
    uint64_t items = total_consumed(r);
    double rate = (double)items / ((double)(t1 - t0) / 1e9);
    if (atomic_load(&r->pushed_sum) != atomic_load(&r->popped_sum)) {
        fprintf(stderr, "bench_ring: %s lost or duplicated items\n", impl_names[which]);
        rate = -1;
    }
    pthread_barrier_destroy(&r->start);
    lg_ring_destroy(r->lg);
    free(r->ck_buf);
    free(r->pool);
    free(r);
    return rate;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct config {
    const char *name;
    int producers, consumers;
    size_t batch;
    impl impls[4];
    int nimpls;
} config;

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    int run_ms = argc > 2 ? atoi(argv[2]) : 200;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (reps < 1 || reps > 99 || run_ms < 10 || run_ms > 10000) {
        fprintf(stderr, "usage: bench_ring [reps 1..99 [run_ms 10..10000 [config]]]\n");
        return 2;
    }
    static const config configs[] = {
        {"1p1c", 1, 1, 1, {IMPL_LG, IMPL_CK, IMPL_CK_PTR}, 3},
        {"2p2c", 2, 2, 1, {IMPL_LG, IMPL_CK, IMPL_CK_PTR}, 3},
        {"1p1c_bulk32", 1, 1, 32, {IMPL_LG, IMPL_LG_LOOP, IMPL_CK, IMPL_CK_PTR}, 4},
        {"2p2c_bulk32", 2, 2, 32, {IMPL_LG, IMPL_LG_LOOP, IMPL_CK, IMPL_CK_PTR}, 4},
    };
    int status = 0;
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        const config *cf = &configs[c];
        if (only != NULL && strstr(cf->name, only) == NULL)
            continue;
        double rates[4][99];
        /* Repetitions interleave the implementations so that drift in the machine's
         * speed (frequency, noisy neighbours) falls on all of them alike. */
        for (int rep = 0; rep < reps; rep++) {
            for (int k = 0; k < cf->nimpls; k++) {
                rates[k][rep] = run_once(cf->impls[k], cf->producers, cf->consumers,
                                         cf->batch, run_ms);
                if (rates[k][rep] < 0)
                    status = 1;
            }
        }
        for (int k = 0; k < cf->nimpls; k++) {
            qsort(rates[k], (size_t)reps, sizeof(double), cmp_double);
            printf("bench_ring impl=%s config=%s ops_per_sec=%.0f min=%.0f max=%.0f "
                   "reps=%d run_ms=%d item_bytes=%zu capacity=%d\n",
                   impl_names[cf->impls[k]], cf->name, rates[k][reps / 2], rates[k][0],
                   rates[k][reps - 1], reps, run_ms, sizeof(sample16),
                   CAPACITY);
            fflush(stdout);
        }
    }
    return status;
}
