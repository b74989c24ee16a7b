/* ring.h: a bounded multi-producer multi-consumer FIFO of fixed-size items, the queue
 * between the LoadGen's issue call and the SUT's worker threads (see docs/ring.md). */
#ifndef LOADGEN_RING_H
#define LOADGEN_RING_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A bounded queue of `capacity` items of `item_size` bytes each, copied in and out by
 * value. Every cell is allocated by lg_ring_create(); no operation allocates, locks or
 * makes a system call afterwards.
 *
 * Thread safety: lg_ring_create() and lg_ring_destroy() need the caller's exclusive
 * access. Every other function may be called on the same ring from any number of
 * threads at once, producers and consumers alike (MPMC).
 *
 * Progress: push and pop never wait for another thread. They retry a compare-and-swap
 * only when another thread's operation succeeded in the meantime (lock-free), and return
 * false or a short count instead of waiting when the ring is full or empty. One caveat,
 * inherent to this design (docs/ring.md): a thread that is descheduled between claiming
 * a cell and finishing its copy keeps that cell busy, so until it resumes, pops that
 * reach that cell report "empty" and pushes that reach it a lap later report "full".
 *
 * Order: items pushed by one thread are popped in the order that thread pushed them.
 * A consumer sees the items it pops in the ring's order; among several consumers, items
 * may finish their copies in any order.
 */
typedef struct lg_ring lg_ring;

/* The largest capacity lg_ring_create() accepts (2^30 items). */
#define LG_RING_CAPACITY_MAX ((size_t)1 << 30)
/* The largest item size lg_ring_create() accepts, in bytes. */
#define LG_RING_ITEM_SIZE_MAX ((size_t)256)

/*
 * Creates an empty ring.
 *
 * capacity:  the number of items the ring can hold, 1..LG_RING_CAPACITY_MAX; it is
 *            rounded up to a power of two and to at least 2 (lg_ring_capacity() tells
 *            the result).
 * item_size: bytes per item, 1..LG_RING_ITEM_SIZE_MAX. 16 bytes (two uint64_t, e.g. an
 *            lg_sample) is the case the ring is tuned for.
 * out:       receives the new ring, which the caller owns and frees with
 *            lg_ring_destroy(); set to NULL on failure. Must not be NULL.
 *
 * Returns 0; -EINVAL (LG_EINVAL) for a capacity or item size out of range or a NULL out;
 * -ENOMEM (LG_ENOMEM) when the memory cannot be allocated. Not thread-safe with respect
 * to the new ring (there is none yet); any number of rings may be created at once.
 */
int lg_ring_create(size_t capacity, size_t item_size, lg_ring **out);

/*
 * Frees a ring and every item still in it. r may be NULL (nothing happens). The caller
 * must make sure no other thread uses r during or after the call.
 */
void lg_ring_destroy(lg_ring *r);

/* Returns the ring's capacity in items (a power of two, >= 2). Any thread, wait-free. */
size_t lg_ring_capacity(const lg_ring *r);

/* Returns the ring's item size in bytes, as given to lg_ring_create(). Any thread,
 * wait-free. */
size_t lg_ring_item_size(const lg_ring *r);

/*
 * Copies one item of lg_ring_item_size(r) bytes from `item` into the ring.
 *
 * item: read during the call only; the caller keeps ownership. Must not be NULL.
 * Returns true when the item was added; false when the ring is full (the item was not
 * added; the caller decides whether to retry, yield or drop). "Full" may also be
 * reported while a consumer is still copying out of the next cell (see Progress above).
 * Any thread, any number at once (MPMC). Lock-free; never blocks.
 */
bool lg_ring_try_push(lg_ring *r, const void *item);

/*
 * Copies up to n items, stored back to back at `items`, into the ring, in their order.
 * Claims the longest run of free cells it finds, up to n, with one compare-and-swap, so
 * that a burst costs one contended atomic operation rather than one per item.
 *
 * items: n * lg_ring_item_size(r) bytes, read during the call only; the caller keeps
 *        ownership. May be NULL only when n is 0.
 * Returns how many items were added, 0..n: always the first ones (items[0..k-1]), in
 * consecutive positions of the ring (no other push interleaves with them). Fewer than n
 * means the ring was full (as try_push means it); the caller pushes the rest later.
 * Any thread, any number at once (MPMC). Lock-free; never blocks.
 */
size_t lg_ring_push_bulk(lg_ring *r, const void *items, size_t n);

/*
 * Copies the oldest item out of the ring into `item` and removes it.
 *
 * item: receives lg_ring_item_size(r) bytes; owned by the caller. Must not be NULL.
 * Returns true when an item was removed; false when the ring is empty (item untouched).
 * "Empty" may also be reported while the producer of the oldest item is still copying
 * it in (see Progress above).
 * Any thread, any number at once (MPMC). Lock-free; never blocks.
 */
bool lg_ring_try_pop(lg_ring *r, void *item);

/*
 * Copies up to max of the oldest items out of the ring into `items`, back to back and in
 * ring order, and removes them. Claims the longest run of ready cells it finds, up to
 * max, with one compare-and-swap.
 *
 * items: room for max * lg_ring_item_size(r) bytes; owned by the caller. May be NULL
 *        only when max is 0.
 * Returns how many items were removed, 0..max: fewer than max means the ring was empty
 * after them (as try_pop means it). Bytes of `items` past the returned count are not
 * written.
 * Any thread, any number at once (MPMC). Lock-free; never blocks.
 */
size_t lg_ring_pop_bulk(lg_ring *r, void *items, size_t max);

/*
 * Returns the number of items in the ring, 0..lg_ring_capacity(r). An item counts from
 * the moment its push claims a cell until a pop claims it. Exact when no other thread
 * is pushing or popping; otherwise it may be off by the number of pushes and pops that
 * ran during the call. Use it for monitoring and heuristics, never to predict whether
 * a push or pop will succeed. Any thread, wait-free.
 */
size_t lg_ring_size_approx(const lg_ring *r);

#ifdef __cplusplus
}
#endif

#endif /* LOADGEN_RING_H */
