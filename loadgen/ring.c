/* ring.c: the bounded MPMC ring of loadgen/ring.h, a queue of cells that each carry a
 * sequence number telling whose turn the cell is (Vyukov's design; see docs/ring.md). */
#include "loadgen/ring.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RING_LINE 64

/*
 * A cell is a sequence number followed by the item's bytes. For the position p that maps
 * to a cell (p & mask), the sequence number says:
 *   seq == p       the cell is free for the producer that claims position p;
 *   seq == p + 1   the item of position p is in the cell, ready for the consumer that
 *                  claims position p;
 *   seq == p + cap the consumer is done; the cell is free for position p + cap.
 * Positions are 64-bit (size_t) counters that in practice never wrap; differences are
 * taken as unsigned and read as signed, so that a wrap would still compare correctly.
 */
#define SEQ_BYTES sizeof(size_t)

struct lg_ring {
    /* Producers write tail and consumers write head; each has its own cache line so that
     * the two sides do not invalidate each other's line on every operation. */
    alignas(RING_LINE) _Atomic size_t tail; /* next position to push */
    alignas(RING_LINE) _Atomic size_t head; /* next position to pop */
    /* Read-only after create, on a line of their own that stays shared in every cache. */
    alignas(RING_LINE) unsigned char *cells;
    size_t mask;      /* capacity - 1 */
    size_t stride;    /* bytes per cell */
    size_t item_size; /* bytes per item */
};

/* Bytes per cell: the sequence number and the item, padded to a power of two when that
 * fits in a cache line (so no cell straddles two lines; a 16-byte item makes a 32-byte
 * cell) and to whole cache lines beyond. */
static size_t cell_stride(size_t item_size)
{
    size_t need = SEQ_BYTES + item_size;
    if (need > RING_LINE)
        return (need + RING_LINE - 1) / RING_LINE * RING_LINE;
    size_t s = SEQ_BYTES;
    while (s < need)
        s <<= 1;
    return s;
}

static inline unsigned char *cell_at(const lg_ring *r, size_t pos)
{
    return r->cells + (pos & r->mask) * r->stride;
}

static inline _Atomic size_t *seq_of(unsigned char *cell)
{
    return (_Atomic size_t *)(void *)cell;
}

/* Copies one item. The branches give the compiler a constant size for the common item
 * sizes, so that a 16-byte item is two 8-byte moves (or one vector move) instead of a
 * call to memcpy; the branch is perfectly predicted since a ring has one size. */
static inline void copy_item(void *restrict dst, const void *restrict src, size_t n)
{
    if (n == 16)
        memcpy(dst, src, 16);
    else if (n == 8)
        memcpy(dst, src, 8);
    else
        memcpy(dst, src, n);
}

int lg_ring_create(size_t capacity, size_t item_size, lg_ring **out)
{
    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    if (capacity == 0 || capacity > LG_RING_CAPACITY_MAX || item_size == 0 ||
        item_size > LG_RING_ITEM_SIZE_MAX)
        return -EINVAL;

    size_t cap = 2;
    while (cap < capacity)
        cap <<= 1;
    size_t stride = cell_stride(item_size);
    size_t head_bytes = sizeof(struct lg_ring); /* a multiple of RING_LINE */
    if (cap > (SIZE_MAX - head_bytes - RING_LINE) / stride)
        return -ENOMEM;
    size_t bytes = head_bytes + cap * stride;
    bytes = (bytes + RING_LINE - 1) / RING_LINE * RING_LINE; /* aligned_alloc wants this */

    /* One block: the ring's header lines, then the cells, which start on a line. */
    lg_ring *r = aligned_alloc(RING_LINE, bytes);
    if (r == NULL)
        return -ENOMEM;
    /* Writing every byte now also faults in every page, so that the first lap of the
     * ring, which may be inside a timed run, takes no page faults. */
    memset(r, 0, bytes);
    atomic_init(&r->tail, 0);
    atomic_init(&r->head, 0);
    r->cells = (unsigned char *)r + head_bytes;
    r->mask = cap - 1;
    r->stride = stride;
    r->item_size = item_size;
    for (size_t i = 0; i < cap; i++)
        atomic_init(seq_of(cell_at(r, i)), i);
    *out = r;
    return 0;
}

void lg_ring_destroy(lg_ring *r)
{
    free(r);
}

size_t lg_ring_capacity(const lg_ring *r)
{
    return r->mask + 1;
}

size_t lg_ring_item_size(const lg_ring *r)
{
    return r->item_size;
}

/*
 * Memory ordering, for every operation below:
 * - The load of a cell's seq is an acquire. In a pop it pairs with the producer's
 *   release store of p + 1, so the item's bytes are visible before we copy them out. In
 *   a push it pairs with the previous consumer's release store of p + cap, so that
 *   consumer's copy-out is finished before we overwrite the bytes.
 * - The store of seq after the copy is a release, for the same two pairs.
 * - head and tail only arbitrate which thread owns a position; no data is published
 *   through them, so their loads and compare-and-swaps are relaxed. A thread that wins
 *   the CAS for position p has already read (acquire) the seq that made p its turn.
 */

bool lg_ring_try_push(lg_ring *r, const void *item)
{
    size_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
    unsigned char *cell;
    for (;;) {
        cell = cell_at(r, pos);
        size_t seq = atomic_load_explicit(seq_of(cell), memory_order_acquire);
        ptrdiff_t d = (ptrdiff_t)(seq - pos);
        if (d == 0) {
            /* On failure the CAS reloads pos: another producer took it, so the loop
             * retries only when some other push succeeded (lock-free). */
            if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (d < 0) {
            /* The cell still holds the item of position pos - cap (or its consumer is
             * copying it out): the ring is full. */
            return false;
        } else {
            /* Another producer already took pos; catch up. */
            pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
    copy_item(cell + SEQ_BYTES, item, r->item_size);
    atomic_store_explicit(seq_of(cell), pos + 1, memory_order_release);
    return true;
}

bool lg_ring_try_pop(lg_ring *r, void *item)
{
    size_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    unsigned char *cell;
    for (;;) {
        cell = cell_at(r, pos);
        size_t seq = atomic_load_explicit(seq_of(cell), memory_order_acquire);
        ptrdiff_t d = (ptrdiff_t)(seq - (pos + 1));
        if (d == 0) {
            if (atomic_compare_exchange_weak_explicit(&r->head, &pos, pos + 1,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        } else if (d < 0) {
            /* The item of position pos has not been published yet: empty. */
            return false;
        } else {
            pos = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
    copy_item(item, cell + SEQ_BYTES, r->item_size);
    atomic_store_explicit(seq_of(cell), pos + r->mask + 1, memory_order_release);
    return true;
}

/*
 * Claims a run of up to `want` consecutive positions starting at `counter`, each of
 * whose cells has seq == position + `lag` (lag 0: free for a push; lag 1: ready for a
 * pop), with one CAS. The run is safe to claim as a whole: a cell at position p can only
 * change state by the action of the thread that owns p, and nobody owns any position of
 * the run until our CAS moves the counter past them. Returns the run's length (0 when
 * the first cell is not in the wanted state, i.e. full or empty) and its start in *start.
 */
static size_t claim_run(lg_ring *r, _Atomic size_t *counter, size_t lag, size_t want,
                        size_t *start)
{
    size_t pos = atomic_load_explicit(counter, memory_order_relaxed);
    for (;;) {
        size_t k = 0;
        ptrdiff_t d = 0;
        while (k < want) {
            size_t seq =
                atomic_load_explicit(seq_of(cell_at(r, pos + k)), memory_order_acquire);
            d = (ptrdiff_t)(seq - (pos + k + lag));
            if (d != 0)
                break;
            k++;
        }
        if (k > 0) {
            if (atomic_compare_exchange_weak_explicit(counter, &pos, pos + k,
                                                      memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *start = pos;
                return k;
            }
            continue; /* pos was reloaded by the failed CAS; scan again from there */
        }
        if (d < 0)
            return 0;
        pos = atomic_load_explicit(counter, memory_order_relaxed);
    }
}

size_t lg_ring_push_bulk(lg_ring *r, const void *items, size_t n)
{
    if (n == 0)
        return 0;
    size_t pos;
    size_t k = claim_run(r, &r->tail, 0, n, &pos);
    /* One run per call: a run shorter than n stopped at a cell that is not free, so the
     * ring is full there and a second scan would only re-read a cell that a consumer is
     * working on (and steal its cache line). */
    const unsigned char *src = items;
    const size_t isz = r->item_size;
    /* Publish cell by cell, so consumers can start on the first item at once. */
    for (size_t i = 0; i < k; i++) {
        unsigned char *cell = cell_at(r, pos + i);
        copy_item(cell + SEQ_BYTES, src + i * isz, isz);
        atomic_store_explicit(seq_of(cell), pos + i + 1, memory_order_release);
    }
    return k;
}

size_t lg_ring_pop_bulk(lg_ring *r, void *items, size_t max)
{
    if (max == 0)
        return 0;
    size_t pos;
    size_t k = claim_run(r, &r->head, 1, max, &pos);
    /* One run per call, as in push: a short run ended at a cell whose producer has not
     * finished, which is "empty" from here. */
    unsigned char *dst = items;
    const size_t isz = r->item_size;
    const size_t lap = r->mask + 1;
    for (size_t i = 0; i < k; i++) {
        unsigned char *cell = cell_at(r, pos + i);
        copy_item(dst + i * isz, cell + SEQ_BYTES, isz);
        atomic_store_explicit(seq_of(cell), pos + i + lap, memory_order_release);
    }
    return k;
}

size_t lg_ring_size_approx(const lg_ring *r)
{
    /* head first: a later tail is never behind an earlier head, so the difference is
     * not negative unless the loads were reordered, which acquire forbids. */
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    ptrdiff_t n = (ptrdiff_t)(tail - head);
    if (n < 0)
        return 0;
    if ((size_t)n > r->mask + 1)
        return r->mask + 1;
    return (size_t)n;
}
