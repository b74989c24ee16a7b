/* bench_ring.c: throughput of the LoadGen's MPMC ring (loadgen/ring.h) against
 * Concurrency Kit's ck_ring, moving 16-byte items (sample id, sample index).
 *
 * Usage: bench_ring [reps [run_ms [config]]]
 *   defaults: 7 repetitions of 150 ms per implementation and configuration (about 22 s
 *   in all), every configuration; `config` runs only those whose name contains it.
 *
 * Configurations: 1p1c, 2p2c (producers and consumers on two cores), 1p1c_bulk32 and
 * 2p2c_bulk32 (consumers pop up to 32 per call), 1t and 1t_bulk32 (one thread pushes and
 * pops; the cost of the operations alone). Implementations: lg (this ring), lg_loop (this
 * ring without the batch claim), ck (ck_ring mpmc, 16-byte entries by value), ck_ptr
 * (ck_ring mpmc, pointers to preallocated 16-byte items).
 *
 * Prints one line per implementation and configuration:
 *   bench_ring impl=lg config=2p2c ops_per_sec=... min=... max=... ratio_vs_lg=... ...
 * where one op is one item pushed and popped, ops_per_sec is the median over the
 * repetitions and ratio_vs_lg the median of the per-repetition ratios to lg. The results
 * and what they mean are in docs/ring.md. */
#include <ck_ring.h>
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

/* Everything the threads write during a run sits on cache lines of its own, away from
 * the fields every operation reads, so that no implementation pays for false sharing
 * with the harness. */
typedef struct run {
    /* Read by every operation; written only before the threads start. */
    _Alignas(64) impl which;
    int producers, consumers;
    size_t batch;   /* consumer: items per pop call (1 = single pops) */
    lg_ring *lg;
    void *ck_buf;   /* sample16[CAPACITY] or void *[CAPACITY] */
    sample16 *pool; /* ck_ptr: PTR_POOL items per producer, read-only during a run */
    /* ck_ring's counters (it pads its producer and consumer fields apart itself). */
    _Alignas(64) struct ck_ring ck;
    _Alignas(64) _Atomic bool stop; /* set by the main thread when the run's time is up */
    _Atomic int producers_done;     /* producers that made their last push */
    _Atomic uint64_t pushed_sum, popped_sum;
    pthread_barrier_t start;
    counter consumed[MAX_THREADS]; /* per consumer, so that counting costs no lock */
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

/* Allocates the run and its queue; NULL when out of memory. */
static run *run_new(impl which, int producers, int consumers, size_t batch)
{
    run *r = aligned_alloc(64, (sizeof(run) + 63) / 64 * 64);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->which = which;
    r->producers = producers;
    r->consumers = consumers;
    r->batch = batch;
    if (which == IMPL_LG || which == IMPL_LG_LOOP) {
        if (lg_ring_create(CAPACITY, sizeof(sample16), &r->lg) != 0)
            goto fail;
    } else {
        size_t entry = which == IMPL_CK ? sizeof(sample16) : sizeof(void *);
        r->ck_buf = aligned_alloc(64, CAPACITY * entry);
        if (r->ck_buf == NULL)
            goto fail;
        memset(r->ck_buf, 0, CAPACITY * entry);
        ck_ring_init(&r->ck, CAPACITY);
        if (which == IMPL_CK_PTR) {
            size_t np = producers > 0 ? (size_t)producers : 1;
            r->pool = malloc(sizeof(sample16) * PTR_POOL * np);
            if (r->pool == NULL)
                goto fail;
            for (size_t i = 0; i < (size_t)PTR_POOL * np; i++)
                r->pool[i] = (sample16){i % PTR_POOL, i * 7};
        }
    }
    return r;
fail:
    lg_ring_destroy(r->lg);
    free(r->ck_buf);
    free(r);
    return NULL;
}

static void run_free(run *r)
{
    lg_ring_destroy(r->lg);
    free(r->ck_buf);
    free(r->pool);
    free(r);
}

/* One run of run_ms milliseconds with threads; returns items per second, or a negative
 * value when the items popped are not exactly the items pushed. */
static double run_threads(impl which, int producers, int consumers, size_t batch,
                          int run_ms)
{
    run *r = run_new(which, producers, consumers, batch);
    if (r == NULL)
        return -1;
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
    run_free(r);
    return rate;
}

/* One thread pushes `batch` items and pops them again, over and over, for run_ms: the
 * cost of the operations themselves, with no other core involved. lg uses push_bulk and
 * pop_bulk when batch > 1; the others push and pop one at a time. */
static double run_solo(impl which, size_t batch, int run_ms)
{
    run *r = run_new(which, 1, 1, batch);
    if (r == NULL)
        return -1;
    sample16 in[MAX_BATCH], out[MAX_BATCH];
    uint64_t id = 0, items = 0, sum_in = 0, sum_out = 0;
    bool ok = true;
    int64_t t0 = now_ns(), t1, deadline = t0 + (int64_t)run_ms * 1000000;
    do {
        for (int it = 0; it < 256; it++) {
            if (which == IMPL_LG && batch > 1) {
                for (size_t k = 0; k < batch; k++)
                    in[k] = (sample16){id + k, (id + k) * 7};
                ok &= lg_ring_push_bulk(r->lg, in, batch) == batch;
            } else {
                for (size_t k = 0; k < batch; k++)
                    ok &= push_one(r, 0, id + k);
            }
            for (size_t k = 0; k < batch; k++)
                sum_in += which == IMPL_CK_PTR ? (id + k) % PTR_POOL : id + k;
            id += batch;
            size_t n = pop_some(r, out);
            ok &= n == batch;
            for (size_t k = 0; k < n; k++)
                sum_out += out[k].id;
            items += n;
        }
        t1 = now_ns();
    } while (t1 < deadline);
    run_free(r);
    if (!ok || sum_in != sum_out) {
        fprintf(stderr, "bench_ring: %s solo run lost items\n", impl_names[which]);
        return -1;
    }
    return (double)items / ((double)(t1 - t0) / 1e9);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct config {
    const char *name;
    int producers, consumers; /* 0 and 0: one thread does both (run_solo) */
    size_t batch;             /* items per pop call */
    impl impls[4];            /* impls[0] is lg: the others' ratio_vs_lg refer to it */
    int nimpls;
} config;

static const config configs[] = {
    {"1p1c", 1, 1, 1, {IMPL_LG, IMPL_CK, IMPL_CK_PTR}, 3},
    {"2p2c", 2, 2, 1, {IMPL_LG, IMPL_CK, IMPL_CK_PTR}, 3},
    {"1p1c_bulk32", 1, 1, 32, {IMPL_LG, IMPL_LG_LOOP, IMPL_CK, IMPL_CK_PTR}, 4},
    {"2p2c_bulk32", 2, 2, 32, {IMPL_LG, IMPL_LG_LOOP, IMPL_CK, IMPL_CK_PTR}, 4},
    {"1t", 0, 0, 1, {IMPL_LG, IMPL_CK, IMPL_CK_PTR}, 3},
    {"1t_bulk32", 0, 0, 32, {IMPL_LG, IMPL_LG_LOOP, IMPL_CK, IMPL_CK_PTR}, 4},
};

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    int run_ms = argc > 2 ? atoi(argv[2]) : 150;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (reps < 1 || reps > 99 || run_ms < 10 || run_ms > 10000) {
        fprintf(stderr, "usage: bench_ring [reps 1..99 [run_ms 10..10000 [config]]]\n");
        return 2;
    }
    int status = 0;
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        const config *cf = &configs[c];
        if (only != NULL && strstr(cf->name, only) == NULL)
            continue;
        double rates[4][99], ratios[4][99];
        /* Repetitions interleave the implementations so that drift in the machine's
         * speed (frequency, noisy neighbours, where the hypervisor puts the two vCPUs)
         * falls on all of them alike; ratio_vs_lg is the median of the per-repetition
         * ratios, which is steadier than the ratio of the medians on a noisy machine. */
        for (int rep = 0; rep < reps; rep++) {
            for (int k = 0; k < cf->nimpls; k++) {
                double v = cf->producers == 0
                               ? run_solo(cf->impls[k], cf->batch, run_ms)
                               : run_threads(cf->impls[k], cf->producers, cf->consumers,
                                             cf->batch, run_ms);
                if (v < 0)
                    status = 1;
                rates[k][rep] = v;
                ratios[k][rep] = v / rates[0][rep];
            }
        }
        for (int k = 0; k < cf->nimpls; k++) {
            double ratio = median(ratios[k], reps);
            double med = median(rates[k], reps);
            printf("bench_ring impl=%s config=%s ops_per_sec=%.0f min=%.0f max=%.0f "
                   "ratio_vs_lg=%.2f reps=%d run_ms=%d item_bytes=%zu capacity=%d\n",
                   impl_names[cf->impls[k]], cf->name, med, rates[k][0], rates[k][reps - 1],
                   ratio, reps, run_ms, sizeof(sample16), CAPACITY);
            fflush(stdout);
        }
    }
    return status;
}
