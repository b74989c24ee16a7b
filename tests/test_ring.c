/* test_ring.c: the bounded MPMC ring (loadgen/ring.h): arguments, capacity rounding,
 * FIFO order, full and empty, wrap-around, bulk operations, and real-thread stress. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/ring.h"

/* The ring's typical item: a sample id and a sample index, 16 bytes. */
typedef struct item {
    uint64_t id;
    uint64_t index;
} item;

_Static_assert(sizeof(item) == 16, "the typical ring item is 16 bytes");

static lg_ring *make_ring(size_t capacity, size_t item_size)
{
    lg_ring *r = NULL;
    int rc = lg_ring_create(capacity, item_size, &r);
    cr_assert_eq(rc, 0, "lg_ring_create(%zu, %zu) returned %d", capacity, item_size, rc);
    cr_assert_not_null(r);
    return r;
}

/* ---------------------------------------------------------------------------------
 * Creation and arguments
 * ------------------------------------------------------------------------------- */

Test(ring, create_reports_item_size_and_starts_empty, .timeout = 10)
{
    lg_ring *r = make_ring(8, sizeof(item));
    cr_expect_eq(lg_ring_item_size(r), sizeof(item));
    cr_expect_eq(lg_ring_capacity(r), 8);
    cr_expect_eq(lg_ring_size_approx(r), 0);
    item it;
    cr_expect_not(lg_ring_try_pop(r, &it));
    lg_ring_destroy(r);
}

Test(ring, create_rounds_capacity_up_to_power_of_two_at_least_two, .timeout = 10)
{
    static const size_t asked[] = {1, 2, 3, 4, 5, 7, 8, 9, 1000, 1024, 1025};
    static const size_t got[] = {2, 2, 4, 4, 8, 8, 8, 16, 1024, 1024, 2048};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        lg_ring *r = make_ring(asked[i], 4);
        cr_expect_eq(lg_ring_capacity(r), got[i], "capacity %zu became %zu, want %zu",
                     asked[i], lg_ring_capacity(r), got[i]);
        lg_ring_destroy(r);
    }
}

Test(ring, create_accepts_limits_of_item_size, .timeout = 10)
{
    lg_ring *r = make_ring(4, 1);
    lg_ring_destroy(r);
    r = make_ring(4, LG_RING_ITEM_SIZE_MAX);
    lg_ring_destroy(r);
}

Test(ring, create_rejects_out_of_range_arguments_with_einval, .timeout = 10)
{
    struct {
        size_t capacity, item_size;
    } bad[] = {
        {0, 16},
        {LG_RING_CAPACITY_MAX + 1, 16},
        {SIZE_MAX, 16},
        {16, 0},
        {16, LG_RING_ITEM_SIZE_MAX + 1},
        {16, SIZE_MAX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lg_ring *r = (lg_ring *)&r; /* not NULL, to see that failure clears it */
        int rc = lg_ring_create(bad[i].capacity, bad[i].item_size, &r);
        cr_expect_eq(rc, -EINVAL, "create(%zu, %zu) returned %d", bad[i].capacity,
                     bad[i].item_size, rc);
        cr_expect_null(r, "create(%zu, %zu) left *out set", bad[i].capacity,
                       bad[i].item_size);
    }
    cr_expect_eq(lg_ring_create(16, 16, NULL), -EINVAL);
}

Test(ring, destroy_accepts_null, .timeout = 10)
{
    lg_ring_destroy(NULL);
}

Test(ring, destroy_frees_a_ring_that_still_holds_items, .timeout = 10)
{
    /* Under ASan this also checks that nothing leaks. */
    lg_ring *r = make_ring(4, sizeof(item));
    item it = {1, 2};
    cr_assert(lg_ring_try_push(r, &it));
    cr_assert(lg_ring_try_push(r, &it));
    lg_ring_destroy(r);
}

/* ---------------------------------------------------------------------------------
 * Single-threaded behaviour
 * ------------------------------------------------------------------------------- */

Test(ring, single_thread_pops_items_in_push_order, .timeout = 10)
{
    lg_ring *r = make_ring(16, sizeof(item));
    for (uint64_t i = 0; i < 16; i++) {
        item it = {i, 100 + i};
        cr_assert(lg_ring_try_push(r, &it), "push %llu", (unsigned long long)i);
    }
    for (uint64_t i = 0; i < 16; i++) {
        item it;
        cr_assert(lg_ring_try_pop(r, &it));
        cr_expect_eq(it.id, i);
        cr_expect_eq(it.index, 100 + i);
    }
    lg_ring_destroy(r);
}

Test(ring, full_ring_refuses_push_and_keeps_its_items, .timeout = 10)
{
    lg_ring *r = make_ring(4, sizeof(item));
    for (uint64_t i = 0; i < 4; i++) {
        item it = {i, i};
        cr_assert(lg_ring_try_push(r, &it));
    }
    cr_expect_eq(lg_ring_size_approx(r), 4);
    item extra = {99, 99};
    cr_expect_not(lg_ring_try_push(r, &extra), "push into a full ring succeeded");
    cr_expect_eq(lg_ring_push_bulk(r, &extra, 1), 0);
    cr_expect_eq(lg_ring_size_approx(r), 4);

    /* One pop makes room for exactly one push, which lands last. */
    item it;
    cr_assert(lg_ring_try_pop(r, &it));
    cr_expect_eq(it.id, 0);
    cr_expect(lg_ring_try_push(r, &extra));
    cr_expect_not(lg_ring_try_push(r, &extra));
    uint64_t want[] = {1, 2, 3, 99};
    for (size_t i = 0; i < 4; i++) {
        cr_assert(lg_ring_try_pop(r, &it));
        cr_expect_eq(it.id, want[i]);
    }
    lg_ring_destroy(r);
}

Test(ring, empty_ring_refuses_pop_and_leaves_the_buffer_untouched, .timeout = 10)
{
    lg_ring *r = make_ring(4, sizeof(item));
    item it = {0xdead, 0xbeef};
    cr_expect_not(lg_ring_try_pop(r, &it));
    cr_expect_eq(it.id, 0xdead);
    cr_expect_eq(it.index, 0xbeef);
    item buf[3] = {{7, 7}, {7, 7}, {7, 7}};
    cr_expect_eq(lg_ring_pop_bulk(r, buf, 3), 0);
    cr_expect_eq(buf[0].id, 7);

    /* Push then pop everything: empty again. */
    item in = {1, 1};
    cr_assert(lg_ring_try_push(r, &in));
    cr_assert(lg_ring_try_pop(r, &it));
    cr_expect_not(lg_ring_try_pop(r, &it));
    cr_expect_eq(lg_ring_size_approx(r), 0);
    lg_ring_destroy(r);
}

Test(ring, wraps_around_many_laps_keeping_order_and_size, .timeout = 10)
{
    /* A small ring, filled to levels that vary, so that positions wrap many times and
     * every fill level from empty to full is seen. */
    lg_ring *r = make_ring(4, sizeof(item));
    uint64_t next_in = 0, next_out = 0;
    uint32_t rng = 12345;
    for (int step = 0; step < 100000; step++) {
        rng = rng * 1103515245u + 12345u;
        unsigned pushes = (rng >> 16) % 6, pops = (rng >> 8) % 6;
        for (unsigned i = 0; i < pushes; i++) {
            item it = {next_in, ~next_in};
            bool ok = lg_ring_try_push(r, &it);
            cr_assert_eq(ok, next_in - next_out < 4, "step %d: push ok=%d with %llu held",
                         step, ok, (unsigned long long)(next_in - next_out));
            if (ok)
                next_in++;
        }
        cr_assert_eq(lg_ring_size_approx(r), next_in - next_out);
        for (unsigned i = 0; i < pops; i++) {
            item it;
            bool ok = lg_ring_try_pop(r, &it);
            cr_assert_eq(ok, next_in != next_out);
            if (ok) {
                cr_assert_eq(it.id, next_out, "step %d: got %llu, want %llu", step,
                             (unsigned long long)it.id, (unsigned long long)next_out);
                cr_assert_eq(it.index, ~next_out);
                next_out++;
            }
        }
    }
    cr_expect_gt(next_out, 4 * 10000, "the ring should have wrapped many times");
    lg_ring_destroy(r);
}

Test(ring, keeps_every_byte_of_items_of_odd_and_large_sizes, .timeout = 10)
{
    static const size_t sizes[] = {1, 3, 7, 8, 9, 15, 16, 17, 24, 55, 56, 57, 100, 255, 256};
    unsigned char in[256], out[256];
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t sz = sizes[s];
        lg_ring *r = make_ring(4, sz);
        for (unsigned n = 0; n < 50; n++) { /* 50 items through 4 cells: many laps */
            for (size_t b = 0; b < sz; b++)
                in[b] = (unsigned char)(n * 31 + b);
            memset(out, 0xa5, sizeof out);
            cr_assert(lg_ring_try_push(r, in));
            cr_assert(lg_ring_try_pop(r, out));
            cr_assert_eq(memcmp(in, out, sz), 0, "item size %zu, item %u differs", sz, n);
            /* Nothing beyond the item size was written. */
            if (sz < sizeof out)
                cr_assert_eq(out[sz], 0xa5, "item size %zu: pop wrote past the item", sz);
        }
        lg_ring_destroy(r);
    }
}

/* ---------------------------------------------------------------------------------
 * Bulk operations
 * ------------------------------------------------------------------------------- */

static void fill(item *v, size_t n, uint64_t first)
{
    for (size_t i = 0; i < n; i++) {
        v[i].id = first + i;
        v[i].index = (first + i) * 3;
    }
}

Test(ring, push_bulk_pushes_what_fits_and_returns_the_count, .timeout = 10)
{
    lg_ring *r = make_ring(8, sizeof(item));
    item v[20];
    fill(v, 20, 0);
    cr_expect_eq(lg_ring_push_bulk(r, v, 5), 5);
    cr_expect_eq(lg_ring_push_bulk(r, v + 5, 10), 3, "only 3 of 10 fit");
    cr_expect_eq(lg_ring_push_bulk(r, v + 8, 10), 0, "full ring takes none");
    cr_expect_eq(lg_ring_size_approx(r), 8);
    item out[8];
    cr_assert_eq(lg_ring_pop_bulk(r, out, 8), 8);
    for (size_t i = 0; i < 8; i++) {
        cr_expect_eq(out[i].id, i);
        cr_expect_eq(out[i].index, i * 3);
    }
    lg_ring_destroy(r);
}

Test(ring, pop_bulk_pops_what_is_there_and_returns_the_count, .timeout = 10)
{
    lg_ring *r = make_ring(8, sizeof(item));
    item v[6];
    fill(v, 6, 40);
    cr_assert_eq(lg_ring_push_bulk(r, v, 6), 6);
    item out[10];
    memset(out, 0, sizeof out);
    cr_expect_eq(lg_ring_pop_bulk(r, out, 4), 4);
    cr_expect_eq(lg_ring_pop_bulk(r, out + 4, 10), 2, "only 2 were left");
    cr_expect_eq(lg_ring_pop_bulk(r, out + 6, 4), 0);
    for (size_t i = 0; i < 6; i++)
        cr_expect_eq(out[i].id, 40 + i);
    cr_expect_eq(out[6].id, 0, "pop_bulk wrote past the items it returned");
    lg_ring_destroy(r);
}

Test(ring, bulk_with_zero_count_does_nothing_and_accepts_null, .timeout = 10)
{
    lg_ring *r = make_ring(4, sizeof(item));
    cr_expect_eq(lg_ring_push_bulk(r, NULL, 0), 0);
    cr_expect_eq(lg_ring_pop_bulk(r, NULL, 0), 0);
    cr_expect_eq(lg_ring_size_approx(r), 0);
    lg_ring_destroy(r);
}

Test(ring, bulk_larger_than_capacity_stops_at_capacity, .timeout = 10)
{
    lg_ring *r = make_ring(4, sizeof(item));
    item v[10], out[10];
    fill(v, 10, 0);
    cr_expect_eq(lg_ring_push_bulk(r, v, 10), 4);
    cr_expect_eq(lg_ring_pop_bulk(r, out, 10), 4);
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(out[i].id, i);
    lg_ring_destroy(r);
}

Test(ring, bulk_and_single_operations_mix_in_fifo_order_across_wraps, .timeout = 10)
{
    lg_ring *r = make_ring(16, sizeof(item));
    item v[20], out[20];
    uint64_t next_in = 0, next_out = 0;
    uint32_t rng = 777;
    for (int step = 0; step < 20000; step++) {
        rng = rng * 1103515245u + 12345u;
        size_t np = (rng >> 16) % 20, nq = (rng >> 4) % 20;
        size_t held = (size_t)(next_in - next_out);
        size_t room = 16 - held;
        size_t pushed = 0;
        if (rng & 1) {
            fill(v, np, next_in);
            pushed = lg_ring_push_bulk(r, v, np);
        } else {
            for (; pushed < np; pushed++) {
                item it = {next_in + pushed, (next_in + pushed) * 3};
                if (!lg_ring_try_push(r, &it))
                    break;
            }
        }
        cr_assert_eq(pushed, np < room ? np : room, "step %d: pushed %zu of %zu, room %zu",
                     step, pushed, np, room);
        next_in += pushed;

        held = (size_t)(next_in - next_out);
        size_t popped = 0;
        if (rng & 2) {
            popped = lg_ring_pop_bulk(r, out, nq);
        } else {
            while (popped < nq && lg_ring_try_pop(r, &out[popped]))
                popped++;
        }
        cr_assert_eq(popped, nq < held ? nq : held, "step %d: popped %zu of %zu, held %zu",
                     step, popped, nq, held);
        for (size_t i = 0; i < popped; i++) {
            cr_assert_eq(out[i].id, next_out + i);
            cr_assert_eq(out[i].index, (next_out + i) * 3);
        }
        next_out += popped;
    }
    cr_expect_gt(next_out, 16 * 1000, "the ring should have wrapped many times");
    lg_ring_destroy(r);
}

/* ---------------------------------------------------------------------------------
 * Real threads: P producers and C consumers
 * ------------------------------------------------------------------------------- */

enum mode { SINGLE, BULK, MIXED }; /* MIXED: alternate per thread (even single, odd bulk) */

typedef struct stress {
    lg_ring *ring;
    int producers, consumers;
    uint64_t per_producer; /* producer p pushes ids p*per_producer .. +per_producer-1 */
    enum mode push_mode, pop_mode;
    pthread_barrier_t start;
    _Atomic uint64_t received;   /* items popped so far, by all consumers */
    _Atomic uint32_t *seen;      /* per id: how many times it was popped */
    _Atomic uint64_t order_errors; /* a consumer saw a producer's items out of order */
    _Atomic uint64_t bad_items;    /* an id out of range or an index that does not match */
} stress;

typedef struct worker {
    stress *s;
    int n; /* producer or consumer number */
} worker;

static bool uses_bulk(enum mode m, int n)
{
    return m == BULK || (m == MIXED && (n & 1));
}

static void *producer_main(void *arg)
{
    worker *w = arg;
    stress *s = w->s;
    uint64_t first = (uint64_t)w->n * s->per_producer, end = first + s->per_producer;
    bool bulk = uses_bulk(s->push_mode, w->n);
    item batch[16];
    pthread_barrier_wait(&s->start);
    uint64_t next = first;
    unsigned round = 0;
    while (next < end) {
        if (bulk) {
            /* Batches of 1..16, so that runs of every length are claimed. */
            size_t want = 1 + (round++ % 16);
            if (want > end - next)
                want = (size_t)(end - next);
            for (size_t i = 0; i < want; i++)
                batch[i] = (item){next + i, (uint64_t)w->n};
            size_t done = 0;
            while (done < want) {
                size_t k = lg_ring_push_bulk(s->ring, batch + done, want - done);
                if (k == 0)
                    sched_yield(); /* full: let a consumer run (2 cores, many threads) */
                done += k;
            }
            next += want;
        } else {
            item it = {next, (uint64_t)w->n};
            while (!lg_ring_try_push(s->ring, &it))
                sched_yield();
            next++;
        }
    }
    return NULL;
}

static void check_item(stress *s, const item *it, int64_t *last)
{
    uint64_t total = (uint64_t)s->producers * s->per_producer;
    if (it->id >= total || it->index != it->id / s->per_producer) {
        atomic_fetch_add_explicit(&s->bad_items, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&s->seen[it->id], 1, memory_order_relaxed);
    /* Per-producer FIFO as seen by this consumer: each producer's ids strictly rise. */
    int64_t k = (int64_t)(it->id % s->per_producer);
    if (k <= last[it->index])
        atomic_fetch_add_explicit(&s->order_errors, 1, memory_order_relaxed);
    last[it->index] = k;
}

static void *consumer_main(void *arg)
{
    worker *w = arg;
    stress *s = w->s;
    uint64_t total = (uint64_t)s->producers * s->per_producer;
    bool bulk = uses_bulk(s->pop_mode, w->n);
    int64_t *last = malloc(sizeof(int64_t) * (size_t)s->producers);
    for (int p = 0; p < s->producers; p++)
        last[p] = -1;
    item batch[32];
    unsigned round = 0;
    pthread_barrier_wait(&s->start);
    while (atomic_load_explicit(&s->received, memory_order_relaxed) < total) {
        size_t got;
        if (bulk) {
            got = lg_ring_pop_bulk(s->ring, batch, 1 + (round++ % 32));
        } else {
            got = lg_ring_try_pop(s->ring, &batch[0]) ? 1 : 0;
        }
        if (got == 0) {
            sched_yield(); /* empty: let a producer run */
            continue;
        }
        for (size_t i = 0; i < got; i++)
            check_item(s, &batch[i], last);
        atomic_fetch_add_explicit(&s->received, got, memory_order_relaxed);
    }
    free(last);
    return NULL;
}

/* Runs P producers and C consumers through one ring, all started on a barrier, and
 * checks that every id arrived exactly once and in per-producer order at each consumer. */
static void run_stress(int producers, int consumers, size_t capacity, uint64_t per_producer,
                       enum mode push_mode, enum mode pop_mode)
{
    stress s = {
        .producers = producers,
        .consumers = consumers,
        .per_producer = per_producer,
        .push_mode = push_mode,
        .pop_mode = pop_mode,
    };
    uint64_t total = (uint64_t)producers * per_producer;
    s.ring = make_ring(capacity, sizeof(item));
    s.seen = calloc((size_t)total, sizeof *s.seen);
    cr_assert_not_null(s.seen);
    atomic_init(&s.received, 0);
    atomic_init(&s.order_errors, 0);
    atomic_init(&s.bad_items, 0);
    cr_assert_eq(pthread_barrier_init(&s.start, NULL, (unsigned)(producers + consumers)), 0);

    int n = producers + consumers;
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    worker *workers = calloc((size_t)n, sizeof *workers);
    cr_assert(threads && workers);
    for (int i = 0; i < n; i++) {
        workers[i].s = &s;
        workers[i].n = i < producers ? i : i - producers;
        int rc = pthread_create(&threads[i], NULL, i < producers ? producer_main : consumer_main,
                                &workers[i]);
        cr_assert_eq(rc, 0, "pthread_create: %d", rc);
    }
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);

    cr_expect_eq(atomic_load(&s.bad_items), 0, "items with a bad id or index arrived");
    cr_expect_eq(atomic_load(&s.order_errors), 0,
                 "a consumer saw a producer's items out of order");
    cr_expect_eq(atomic_load(&s.received), total);
    uint64_t missing = 0, duplicated = 0;
    for (uint64_t id = 0; id < total; id++) {
        uint32_t c = atomic_load_explicit(&s.seen[id], memory_order_relaxed);
        missing += c == 0;
        duplicated += c > 1;
    }
    cr_expect_eq(missing, 0, "%llu ids never arrived", (unsigned long long)missing);
    cr_expect_eq(duplicated, 0, "%llu ids arrived more than once",
                 (unsigned long long)duplicated);
    cr_expect_eq(lg_ring_size_approx(s.ring), 0);

    pthread_barrier_destroy(&s.start);
    free(workers);
    free(threads);
    free(s.seen);
    lg_ring_destroy(s.ring);
}

/* The sizes keep each run well under a second under TSan on two cores; the small
 * capacities make the ring run full and empty, and wrap, thousands of times. */

Test(ring_threads, four_producers_four_consumers_single_ops_deliver_each_id_once_in_order,
     .timeout = 30)
{
    run_stress(4, 4, 64, 20000, SINGLE, SINGLE);
}

Test(ring_threads, four_producers_four_consumers_bulk_ops_deliver_each_id_once_in_order,
     .timeout = 30)
{
    run_stress(4, 4, 64, 20000, BULK, BULK);
}

Test(ring_threads, four_producers_four_consumers_mixed_ops_deliver_each_id_once_in_order,
     .timeout = 30)
{
    run_stress(4, 4, 64, 20000, MIXED, MIXED);
}

Test(ring_threads, one_producer_four_consumers_deliver_each_id_once_in_order, .timeout = 30)
{
    run_stress(1, 4, 64, 60000, MIXED, MIXED);
}

Test(ring_threads, four_producers_one_consumer_deliver_each_id_once_in_order, .timeout = 30)
{
    run_stress(4, 1, 64, 15000, MIXED, BULK);
}

Test(ring_threads, capacity_two_ring_under_contention_delivers_each_id_once_in_order,
     .timeout = 30)
{
    run_stress(3, 3, 2, 5000, MIXED, MIXED);
}
