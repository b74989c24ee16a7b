/* run.c: runs a test: loads sample sets, runs each pass through its scenario's issue
 * loop (scenario.c, built from issue.h's steps and the waits and limits here), takes
 * completions (lg_complete, lock-free), waits with deadlines, and hands the records to
 * results.c and logs.c. The hot paths are the issue loops and lg_complete. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/internal.h"
#include "loadgen/issue.h"
#include "loadgen/sync.h"
#include "stats/stats.h"

/* ---------------------------------------------------------------- clocks */

int64_t lg_now_ns(void) { return lg__now_ns(); }

int64_t lg__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t lg__wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------- last error */

static _Thread_local char t_last_error[512];

void lg__set_error(const char *fmt, ...)
{
    if (t_last_error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t_last_error, sizeof t_last_error, fmt, ap);
    va_end(ap);
}

void lg__clear_error(void) { t_last_error[0] = '\0'; }

const char *lg_last_error(void) { return t_last_error; }

static struct timespec to_ts(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    return ts;
}

/* Sleeps until the absolute monotonic time t: absolute-deadline sleeps that end spin_ns
 * early (half of it when the window is left in one sleep), then a spin over the rest, so
 * the lag never accumulates across queries. spin_ns = 0 sleeps to t itself and trades
 * the wake-up latency for a free core. Long sleeps are cut in slices so that lg_abort()
 * is seen within 50 ms. */
void lg__sleep_until(int64_t t, int64_t spin_ns)
{
    int64_t now = lg__now_ns();
    while (t - now > spin_ns && !lg__stop_requested()) {
        int64_t until = t - spin_ns / 2;
        if (until - now > 50000000)
            until = now + 50000000;
        struct timespec ts = to_ts(until);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        now = lg__now_ns();
    }
    while (spin_ns > 0 && lg__now_ns() < t && !lg__stop_requested())
        lg_sync_relax();
}

/* ---------------------------------------------------------------- record store */

int lg__store_init(lg__store *s)
{
    s->chunks = calloc(LG__MAX_CHUNKS, sizeof *s->chunks);
    s->tchunks = NULL;
    s->pool = NULL;
    s->nchunks = 0;
    s->count = 0;
    s->max_chunks = LG__MAX_CHUNKS;
    return s->chunks ? 0 : LG_ENOMEM;
}

int lg__store_enable_tokens(lg__store *s)
{
    s->tchunks = calloc(LG__MAX_CHUNKS, sizeof *s->tchunks);
    return s->tchunks ? 0 : LG_ENOMEM;
}

void lg__store_set_budget(lg__store *s, uint64_t budget_bytes)
{
    uint64_t per = sizeof(lg__rec) + (s->tchunks ? sizeof(lg__tok) : 0);
    uint64_t chunks = budget_bytes / ((uint64_t)LG__CHUNK_RECS * per);
    s->max_chunks = !budget_bytes || chunks > LG__MAX_CHUNKS ? LG__MAX_CHUNKS
                    : chunks < 1                           ? 1
                                                           : chunks;
}

void lg__store_free(lg__store *s)
{
    if (!s->chunks)
        return;
    for (uint64_t i = 0; i < s->nchunks; i++) {
        free(atomic_load_explicit(&s->chunks[i], memory_order_relaxed));
        if (s->tchunks)
            free(atomic_load_explicit(&s->tchunks[i], memory_order_relaxed));
    }
    free(s->chunks);
    free(s->tchunks);
    s->chunks = NULL;
    s->tchunks = NULL;
}

/* A zeroed chunk of LG__CHUNK_RECS items of size bytes with its pages touched, so that
 * their page faults are taken here, by the thread that issues, and not by lg_complete()
 * inside the measured time; NULL when out of memory. */
static void *chunk_alloc(size_t size)
{
    void *c = calloc(LG__CHUNK_RECS, size);
    if (c)
        for (size_t o = 0; o < LG__CHUNK_RECS * size; o += 4096)
            ((volatile char *)c)[o] = 0;
    return c;
}

lg__rec *lg__store_chunk(lg__store *s, uint64_t seq)
{
    uint64_t c = seq >> LG__CHUNK_BITS;
    if (c >= s->max_chunks)
        return NULL;
    while (s->nchunks <= c) {
        /* calloc: issued_ns must read 0 until a record is issued, so that a stray id
         * in an allocated chunk is recognised as unknown. A record_hdr pass first takes
         * a chunk its retirer handed back, zeroed likewise. */
        lg__rec *chunk = NULL;
        if (s->pool) {
            pthread_mutex_lock(&s->pool->lock);
            if (s->pool->n)
                chunk = s->pool->free[--s->pool->n];
            pthread_mutex_unlock(&s->pool->lock);
        }
        if (!chunk)
            chunk = calloc(LG__CHUNK_RECS, sizeof *chunk);
        if (!chunk)
            return NULL;
        /* The token chunk first: whoever sees the record chunk sees it too. Its pages
         * are touched now, on the issue thread (for Offline before the clock starts),
         * as prepare() touches the records': otherwise lg_complete() would take their
         * page faults inside the measured time (a null SUT's Offline ran at a third of
         * its rate). */
        if (s->tchunks) {
            lg__tok *tc = chunk_alloc(sizeof *tc);
            if (!tc) {
                free(chunk);
                return NULL;
            }
            atomic_store_explicit(&s->tchunks[s->nchunks], tc, memory_order_release);
        }
        atomic_store_explicit(&s->chunks[s->nchunks], chunk, memory_order_release);
        s->nchunks++;
    }
    lg__rec *chunk = atomic_load_explicit(&s->chunks[c], memory_order_relaxed);
    return &chunk[seq & (LG__CHUNK_RECS - 1)];
}

/* The issue threads' lg__store_get: a chunk is made by the first thread that needs it
 * and installed with a compare-and-swap (a thread that loses frees its own); the token
 * chunk first, as lg__store_chunk does. s->nchunks and s->count are set by the pass's
 * thread after the issue threads ended. */
static void *install_chunk(void *_Atomic *slot, size_t size)
{
    void *c = atomic_load_explicit(slot, memory_order_acquire);
    if (c)
        return c;
    void *mine = chunk_alloc(size);
    if (!mine)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(slot, &c, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    free(mine);
    return c;
}

lg__rec *lg__store_get_mt(lg__store *s, uint64_t seq)
{
    uint64_t c = seq >> LG__CHUNK_BITS;
    lg__rec *chunk = atomic_load_explicit(&s->chunks[c < LG__MAX_CHUNKS ? c : 0],
                                          memory_order_acquire);
    if (!chunk || c >= LG__MAX_CHUNKS) {
        if (c >= s->max_chunks)
            return NULL;
        if (s->tchunks &&
            !install_chunk((void *_Atomic *)&s->tchunks[c], sizeof(lg__tok)))
            return NULL;
        chunk = install_chunk((void *_Atomic *)&s->chunks[c], sizeof(lg__rec));
        if (!chunk)
            return NULL;
    }
    return &chunk[seq & (LG__CHUNK_RECS - 1)];
}

/* After several issue threads stopped at different points (an abort, a limit), records
 * below store.count that were never issued are closed up, so that records 0..count-1
 * are the issued samples in schedule order, as one thread leaves them. Runs after the
 * pass was unpublished and every lg_complete call returned: nothing else reads the
 * records. The accuracy log's entries follow their records. */
static void close_holes(lg__pass *p)
{
    lg__store *s = &p->store;
    uint64_t nholes = 0, cap = 64, w = 0, first_hole = UINT64_MAX;
    uint64_t *holes = malloc(cap * sizeof *holes);
    for (uint64_t r = 0; r < s->count; r++) {
        lg__rec *chunk = atomic_load_explicit(&s->chunks[r >> LG__CHUNK_BITS],
                                              memory_order_relaxed);
        lg__rec *src = chunk ? &chunk[r & (LG__CHUNK_RECS - 1)] : NULL;
        if (!src || !atomic_load_explicit(&src->issued_ns, memory_order_relaxed)) {
            if (first_hole == UINT64_MAX)
                first_hole = r;
            if (holes && nholes == cap) {
                uint64_t *h = realloc(holes, 2 * cap * sizeof *h);
                if (h)
                    cap *= 2;
                else
                    free(holes);
                holes = h;
            }
            if (holes)
                holes[nholes] = r;
            nholes++;
            continue;
        }
        if (w != r) {
            lg__rec *dst = lg__store_at(s, w);
            dst->scheduled_ns = src->scheduled_ns;
            atomic_store_explicit(&dst->issued_ns, atomic_load(&src->issued_ns),
                                  memory_order_relaxed);
            atomic_store_explicit(&dst->completed_ns, atomic_load(&src->completed_ns),
                                  memory_order_relaxed);
            dst->index = src->index;
            dst->status = src->status;
            if (s->tchunks) {
                lg__tok *td = lg__store_tok_at(s, w), *ts = lg__store_tok_at(s, r);
                atomic_store_explicit(&td->first_ns, atomic_load(&ts->first_ns),
                                      memory_order_relaxed);
                td->n_tokens = ts->n_tokens;
                td->sent_ns = ts->sent_ns;
            }
        }
        w++;
    }
    /* An entry's new position: its old one less the holes below it. Without the list
     * (no memory for it), entries past the first hole are dropped, not misplaced. */
    lg__acc **lists[2] = {&p->acc_list, &p->tok_acc_list};
    for (int l = 0; l < 2; l++)
        for (lg__acc **a = lists[l]; *a;) {
            if (!holes && (*a)->seq > first_hole) {
                lg__acc *dead = *a;
                *a = dead->next;
                free(dead);
                if (l == 0)
                    p->accuracy_logged--;
                continue;
            }
            uint64_t lo = 0, hi = holes ? nholes : 0;
            while (lo < hi) {
                uint64_t mid = lo + (hi - lo) / 2;
                if (holes[mid] < (*a)->seq)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            (*a)->seq -= lo;
            a = &(*a)->next;
        }
    free(holes);
    s->count = w;
}

/* ---------------------------------------------------------------- process state */

/* Completion counters, sharded by thread so that SUT threads completing at once do not
 * share a cache line. inflight[] counts lg_complete calls under way, one counter for
 * each parity of g_epoch, so that a test never frees what a late call still reads (see
 * wait_quiescent). */
typedef struct shard {
    _Atomic uint64_t completed;
    _Atomic uint64_t failed;
    _Atomic uint64_t inflight[2];
    char pad[LG__CACHELINE - 4 * sizeof(uint64_t)];
} shard;

#define NSHARDS 64
static _Alignas(LG__CACHELINE) shard g_shards[NSHARDS];
static _Atomic unsigned g_next_shard;
static _Thread_local unsigned t_shard = UINT_MAX;

static _Atomic(lg__test *) g_test;
static _Atomic int g_running;
static _Atomic int g_abort;
static _Atomic int64_t g_abort_ns; /* when lg_abort was called (0: not yet) */
static _Atomic uint64_t g_serial;
static _Atomic uint64_t g_stray; /* completions while no test ran */
static _Atomic uint64_t g_stray_done; /* ... of them, lg_complete's (no first tokens) */
static _Alignas(LG__CACHELINE) _Atomic unsigned g_epoch;

static inline shard *my_shard(void)
{
    if (t_shard == UINT_MAX)
        t_shard = atomic_fetch_add_explicit(&g_next_shard, 1, memory_order_relaxed) %
                  NSHARDS;
    return &g_shards[t_shard];
}

static void shards_reset(void)
{
    for (int i = 0; i < NSHARDS; i++) {
        atomic_store(&g_shards[i].completed, 0);
        atomic_store(&g_shards[i].failed, 0);
    }
}

static uint64_t shards_sum(size_t off)
{
    uint64_t sum = 0;
    for (int i = 0; i < NSHARDS; i++)
        sum += atomic_load_explicit((_Atomic uint64_t *)((char *)&g_shards[i] + off),
                                    memory_order_acquire);
    return sum;
}

static uint64_t completed_count(void) { return shards_sum(offsetof(shard, completed)); }
static uint64_t failed_count(void) { return shards_sum(offsetof(shard, failed)); }

/* Waits until every lg_complete call that could have read the test or pass just
 * unpublished has returned; calls that start later see it unpublished. A call counts
 * itself in inflight[g_epoch & 1] of its shard before it reads anything. Waiting for
 * all counters to read zero at once would never end while other threads keep calling
 * (a livelock seen with eight such threads), so this waits as read-copy-update does: it
 * flips the epoch, so that new calls count themselves in the other parity, and waits
 * for the old parity to drain; only calls that read the epoch before the flip can still
 * enter it, at most one per thread. Doing it twice covers a call that read the epoch
 * two flips ago (it counted itself in the parity the first flip did not drain). The
 * wait is bounded by the calls already under way, whatever other threads do. */
static void wait_quiescent(void)
{
    for (int phase = 0; phase < 2; phase++) {
        unsigned old = atomic_fetch_add(&g_epoch, 1) & 1;
        for (int i = 0; i < NSHARDS; i++)
            while (atomic_load_explicit(&g_shards[i].inflight[old], memory_order_acquire))
                sched_yield();
    }
}

static inline uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* GSL's mt19937 takes an unsigned long seed but uses 32 bits of it; fold the 64-bit
 * MLPerf seed so that every bit matters. */
gsl_rng *lg__rng_new(uint64_t seed)
{
    return stats_rng_new((unsigned long)(uint32_t)(mix64(seed) ^ (mix64(seed) >> 32)));
}

/* ---------------------------------------------------------------- completion */

/* Copies a response for the accuracy log. A size the SUT could not have meant (past
 * LG_MAX_RESPONSE_BYTES) is counted as a bad response and not copied; a copy that finds
 * no memory is counted, and the run ends INVALID and out of memory rather than with a
 * silently shorter accuracy log. */
static void acc_copy(lg__test *t, _Atomic(lg__acc *) *list, uint64_t seq,
                     const lg__rec *rec, const lg_response *r)
{
    size_t size = r->data ? r->size : 0;
    if (size > LG_MAX_RESPONSE_BYTES) {
        atomic_fetch_add_explicit(&t->bad_responses, 1, memory_order_relaxed);
        return;
    }
    lg__acc *a = malloc(sizeof *a + size);
    if (!a) {
        atomic_fetch_add_explicit(&t->acc_oom, 1, memory_order_relaxed);
        return;
    }
    a->seq = seq;
    a->index = rec->index;
    a->n_tokens = r->n_tokens;
    a->size = size;
    if (size)
        memcpy(a->data, r->data, size);
    lg__acc *head = atomic_load_explicit(list, memory_order_relaxed);
    do
        a->next = head;
    while (!atomic_compare_exchange_weak_explicit(list, &head, a, memory_order_release,
                                                  memory_order_relaxed));
    if (list == &t->acc_head)
        atomic_fetch_add_explicit(&t->acc_count, 1, memory_order_relaxed);
}

/* Whether the accuracy log records sample seq: every sample of an accuracy pass, a
 * seeded hash's share of a performance pass. */
static inline bool acc_wanted(const lg__test *t, uint64_t seq)
{
    return t->log_all || (t->acc_threshold && mix64(seq ^ t->acc_seed) < t->acc_threshold);
}

/* The record of id in pass p with its sequence number, or NULL when the id is not one
 * this pass issued (another pass's tag, a chunk never made, a record not issued yet).
 * Acquire: a SUT that answers an id it guessed may run while prepare() fills the
 * record; issue() publishes it with a release store. */
static inline lg__rec *find_rec(const lg__pass *p, uint64_t id, uint64_t *seq)
{
    *seq = id & LG__SEQ_MASK;
    if ((id >> LG__SEQ_BITS) != p->tag || (*seq >> LG__CHUNK_BITS) >= LG__MAX_CHUNKS)
        return NULL;
    lg__rec *chunk = atomic_load_explicit(&p->store.chunks[*seq >> LG__CHUNK_BITS],
                                          memory_order_acquire);
    lg__rec *rec = chunk ? &chunk[*seq & (LG__CHUNK_RECS - 1)] : NULL;
    if (!rec || atomic_load_explicit(&rec->issued_ns, memory_order_acquire) == 0)
        return NULL;
    return rec;
}

/* ---------------------------------------------------------------- record_hdr */

/* The calling thread's recorder of the record_hdr pass p, made on its first use in the
 * pass (one allocation per thread and pass, never per sample) and pushed on the pass's
 * list; NULL when no memory could be had. The key is the pass's id, compared before the
 * pointer is used: a recorder of a pass already freed is never touched. */
static _Thread_local uint64_t t_hrec_id;
static _Thread_local lg__hrec *t_hrec;

static lg__hrec *hrec_get(lg__pass *p)
{
    if (t_hrec_id == p->hdr_id)
        return t_hrec;
    lg__hrec *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (lg__hdr_init(&h->lat, p->hdr_digits) ||
        (!p->hdr_one_query && lg__hdr_init(&h->lag, p->hdr_digits))) {
        lg__hdr_fini(&h->lat);
        free(h);
        return NULL;
    }
    lg__hrec *head = atomic_load_explicit(&p->hdr_recs, memory_order_relaxed);
    do
        h->next = head;
    while (!atomic_compare_exchange_weak_explicit(&p->hdr_recs, &head, h,
                                                  memory_order_release,
                                                  memory_order_relaxed));
    t_hrec_id = p->hdr_id;
    t_hrec = h;
    return h;
}

/* A completion of a record_hdr pass, after its compare-and-swap won: into the calling
 * thread's histogram. No atomics, no allocation after the thread's first. */
static void hdr_complete(lg__pass *p, const lg__rec *rec, int64_t now, int32_t status)
{
    lg__hrec *h = hrec_get(p);
    if (!h) {
        atomic_fetch_add_explicit(&p->hdr_lost, 1, memory_order_relaxed);
        return;
    }
    h->completed++;
    if (now > h->max_done_ns)
        h->max_done_ns = now;
    if (status != LG_STATUS_OK) {
        h->failed++;
        return;
    }
    int64_t lat = now - (p->hdr_one_query ? p->start_ns : rec->scheduled_ns);
    h->over += lat > p->hdr_bound_ns;
    lg__hdr_record(&h->lat, lat);
}

void lg__hdr_issued(lg__pass *p, int64_t lag_ns)
{
    lg__hrec *h = hrec_get(p);
    if (!h) {
        atomic_fetch_add_explicit(&p->hdr_lost, 1, memory_order_relaxed);
        return;
    }
    lg__hdr_record(&h->lag, lag_ns);
}

/* lg_complete and lg_complete_cb: cb (may be NULL) runs on a sample the accuracy log
 * records, after its completion time was taken and before its data is copied. */
static void complete(lg_response *responses, size_t n, lg_response_cb cb, void *cb_ctx)
{
    shard *sh = my_shard();
    _Atomic uint64_t *inflight = &sh->inflight[atomic_load(&g_epoch) & 1];
    atomic_fetch_add(inflight, 1);
    lg__test *t = atomic_load(&g_test);
    lg__pass *p = t ? atomic_load_explicit(&t->pass, memory_order_acquire) : NULL;
    if (!p) {
        atomic_fetch_add_explicit(&g_stray, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&g_stray_done, n, memory_order_relaxed);
        atomic_fetch_sub_explicit(inflight, 1, memory_order_release);
        return;
    }
    int64_t now = lg__now_ns();
    uint64_t done = 0, failed = 0;
    /* A pass without tokens reads nothing more per sample than this pointer, once. */
    _Atomic(lg__tok *) *tchunks = p->store.tchunks;
    for (size_t i = 0; i < n; i++) {
        const lg_response *r = &responses[i];
        uint64_t seq;
        lg__rec *rec = find_rec(p, r->id, &seq);
        if (!rec) {
            /* A sample of an earlier probe of a peak search, timed out there: late. */
            atomic_fetch_add_explicit(lg__old_probe_id(t, p, r->id) ? &t->late : &t->unknown,
                                      1, memory_order_relaxed);
            continue;
        }
        int64_t expected = 0;
        if (!atomic_compare_exchange_strong(&rec->completed_ns, &expected, now)) {
            if (expected == LG__TIMED_OUT)
                atomic_fetch_add_explicit(&t->late, 1, memory_order_relaxed);
            else
                atomic_fetch_add_explicit(&t->duplicates, 1, memory_order_relaxed);
            continue;
        }
        rec->status = r->status;
        done++;
        failed += r->status != LG_STATUS_OK;
        if (p->hdr)
            hdr_complete(p, rec, now, r->status);
        if (tchunks) {
            /* Only the thread whose compare-and-swap won writes these; the analysis
             * reads them after the pass ended and every call returned. */
            lg__tok *tk = &atomic_load_explicit(&tchunks[seq >> LG__CHUNK_BITS],
                                                memory_order_relaxed)[seq & (LG__CHUNK_RECS - 1)];
            tk->n_tokens = r->n_tokens;
            tk->sent_ns = r->sent_ns;
        }
        if (acc_wanted(t, seq)) {
            /* The callback may move the data (from a device to the host): it runs
             * before the copy, on the caller's own response. */
            if (cb)
                cb(cb_ctx, &responses[i]);
            acc_copy(t, &t->acc_head, seq, rec, r);
        }
    }
    if (done)
        atomic_fetch_add_explicit(&sh->completed, done, memory_order_release);
    if (failed)
        atomic_fetch_add_explicit(&sh->failed, failed, memory_order_release);
    /* The issue thread sleeps only after announcing itself in waiters and re-checking
     * the records; both sides use sequentially consistent operations, so either it sees
     * our compare-and-swap or we see its announcement. */
    if (atomic_load(&t->waiters)) {
        atomic_fetch_add(&t->event, 1);
        lg_sync_wake(&t->event, INT_MAX);
    }
    atomic_fetch_sub_explicit(inflight, 1, memory_order_release);
}

void lg_complete(const lg_response *responses, size_t n)
{
    /* Without a callback nothing writes through the pointer. */
    complete((lg_response *)responses, n, NULL, NULL);
}

void lg_complete_cb(lg_response *responses, size_t n, lg_response_cb cb, void *ctx)
{
    complete(responses, n, cb, ctx);
}

void lg_first_token(const lg_response *responses, size_t n)
{
    shard *sh = my_shard();
    _Atomic uint64_t *inflight = &sh->inflight[atomic_load(&g_epoch) & 1];
    atomic_fetch_add(inflight, 1);
    lg__test *t = atomic_load(&g_test);
    lg__pass *p = t ? atomic_load_explicit(&t->pass, memory_order_acquire) : NULL;
    if (!p || !p->store.tchunks) {
        if (p)
            atomic_fetch_add_explicit(&t->tok_ignored, n, memory_order_relaxed);
        else
            atomic_fetch_add_explicit(&g_stray, n, memory_order_relaxed);
        atomic_fetch_sub_explicit(inflight, 1, memory_order_release);
        return;
    }
    int64_t now = lg__now_ns();
    for (size_t i = 0; i < n; i++) {
        const lg_response *r = &responses[i];
        uint64_t seq;
        lg__rec *rec = find_rec(p, r->id, &seq);
        if (!rec) {
            atomic_fetch_add_explicit(lg__old_probe_id(t, p, r->id) ? &t->tok_late
                                                                   : &t->tok_unknown,
                                      1, memory_order_relaxed);
            continue;
        }
        /* After its completion (or its timeout) a sample takes no first token. A
         * completion racing this one is found by the analysis (first > completed). */
        if (atomic_load_explicit(&rec->completed_ns, memory_order_acquire) != 0) {
            atomic_fetch_add_explicit(&t->tok_late, 1, memory_order_relaxed);
            continue;
        }
        lg__tok *tk = &atomic_load_explicit(&p->store.tchunks[seq >> LG__CHUNK_BITS],
                                            memory_order_acquire)[seq & (LG__CHUNK_RECS - 1)];
        int64_t expected = 0;
        if (!atomic_compare_exchange_strong(&tk->first_ns, &expected, now)) {
            atomic_fetch_add_explicit(&t->tok_duplicates, 1, memory_order_relaxed);
            continue;
        }
        if (acc_wanted(t, seq))
            acc_copy(t, &t->tok_acc_head, seq, rec, r);
    }
    atomic_fetch_sub_explicit(inflight, 1, memory_order_release);
}

void lg_abort(void)
{
    if (atomic_load(&g_running)) {
        int64_t zero = 0;
        atomic_compare_exchange_strong(&g_abort_ns, &zero, lg__now_ns());
        atomic_store(&g_abort, 1);
    }
}

/* The deadline of a wait for completions: the one asked for, or, once the test was
 * aborted, LG_ABORT_GRACE_MS after the abort if that is sooner. *cut says whether the
 * abort shortened it. */
static int64_t wait_deadline(int64_t deadline_ns, bool *cut)
{
    *cut = false;
    if (!atomic_load_explicit(&g_abort, memory_order_acquire))
        return deadline_ns;
    int64_t grace_end = atomic_load(&g_abort_ns) + (int64_t)LG_ABORT_GRACE_MS * 1000000;
    if (grace_end < deadline_ns) {
        *cut = true;
        return grace_end;
    }
    return deadline_ns;
}

/* ---------------------------------------------------------------- events */

void lg__event_add(lg__test *t, int kind, const char *key, const char *file, int line,
                   const char *fmt, ...)
{
    if (t->nevents == t->capevents) {
        size_t cap = t->capevents ? 2 * t->capevents : 16;
        lg__event *e = realloc(t->events, cap * sizeof *e);
        if (!e)
            return;
        t->events = e;
        t->capevents = cap;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lg__event *e = &t->events[t->nevents];
    e->text = strdup(buf);
    if (!e->text)
        return;
    e->time_ns = lg__now_ns();
    e->key = key;
    e->file = file;
    e->line = line;
    e->kind = kind;
    e->perf_block = false;
    t->nevents++;
}

void lg__event_mark_perf(lg__test *t)
{
    if (t->nevents)
        t->events[t->nevents - 1].perf_block = true;
}

/* ---------------------------------------------------------------- waiting */

/* Waits until rec completes or the deadline passes; returns false on timeout, after
 * marking the record timed out (unless it completed at that very moment). */
bool lg__wait_rec(lg__test *t, lg__rec *rec, int64_t asked_deadline_ns)
{
    int64_t spin_end = lg__now_ns() + 20000;
    while (!atomic_load_explicit(&rec->completed_ns, memory_order_acquire)) {
        if (lg__now_ns() > spin_end)
            goto sleep;
        lg_sync_relax();
    }
    return true;
sleep:
    for (;;) {
        atomic_store(&t->waiters, 1);
        uint32_t ev = atomic_load(&t->event);
        if (atomic_load(&rec->completed_ns))
            break;
        int64_t now = lg__now_ns();
        bool cut;
        int64_t deadline_ns = wait_deadline(asked_deadline_ns, &cut);
        if (now >= deadline_ns) {
            int64_t expected = 0;
            atomic_store(&t->waiters, 0);
            if (!atomic_compare_exchange_strong(&rec->completed_ns, &expected,
                                                LG__TIMED_OUT))
                return true; /* it completed at that very moment */
            lg__pass *p = atomic_load_explicit(&t->pass, memory_order_relaxed);
            p->timed_out++;
            p->abort_cut |= cut;
            return false;
        }
        int64_t wait = deadline_ns - now;
        lg_sync_wait(&t->event, ev, wait < 100000000 ? wait : 100000000);
    }
    atomic_store(&t->waiters, 0);
    return true;
}

static bool slot_settled(const lg__pass *p, const lg__slot *s)
{
    for (uint64_t k = 0; k < s->n; k++)
        if (!atomic_load_explicit(&lg__store_at(&p->store, s->first + k)->completed_ns,
                                  memory_order_acquire))
            return false;
    return true;
}

/* The first settled slot, or n. */
static size_t settled_slot(const lg__pass *p, const lg__slot *slots, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (slot_settled(p, &slots[i]))
            return i;
    return n;
}

/* Marks the outstanding samples of slot s timed out (those that did not complete at
 * that very moment). */
static void slot_time_out(lg__pass *p, const lg__slot *s, bool cut)
{
    uint64_t marked = 0;
    for (uint64_t k = 0; k < s->n; k++) {
        int64_t expected = 0;
        if (atomic_compare_exchange_strong(
                &lg__store_at(&p->store, s->first + k)->completed_ns, &expected,
                LG__TIMED_OUT))
            marked++;
    }
    p->timed_out += marked;
    p->abort_cut |= cut && marked;
}

/* As lg__wait_rec, over several queries: spins briefly (a fast SUT answers within
 * microseconds), then sleeps on the completion event with the same announce-and-recheck
 * handshake. */
size_t lg__wait_any(lg__test *t, const lg__slot *slots, size_t n)
{
    lg__pass *p = atomic_load_explicit(&t->pass, memory_order_relaxed);
    int64_t spin_end = lg__now_ns() + 20000;
    size_t i;
    while ((i = settled_slot(p, slots, n)) == n && lg__now_ns() <= spin_end)
        lg_sync_relax();
    if (i < n)
        return i;
    for (;;) {
        atomic_store(&t->waiters, 1);
        uint32_t ev = atomic_load(&t->event);
        if ((i = settled_slot(p, slots, n)) < n)
            break;
        size_t first = 0; /* the earliest deadline */
        for (size_t k = 1; k < n; k++)
            if (slots[k].deadline_ns < slots[first].deadline_ns)
                first = k;
        bool cut;
        int64_t deadline_ns = wait_deadline(slots[first].deadline_ns, &cut);
        int64_t now = lg__now_ns();
        if (now >= deadline_ns) {
            atomic_store(&t->waiters, 0);
            slot_time_out(p, &slots[first], cut);
            return first;
        }
        int64_t wait = deadline_ns - now;
        lg_sync_wait(&t->event, ev, wait < 100000000 ? wait : 100000000);
    }
    atomic_store(&t->waiters, 0);
    return i;
}

/* Every issued sample is settled when it completed or the LoadGen marked it timed out. */
static bool settled(const lg__pass *p)
{
    return completed_count() + p->timed_out + atomic_load(&p->hdr_timed_out) >=
           atomic_load(&p->samples);
}

/* Waits until every sample issued so far is settled or the deadline passes; then marks
 * the samples from first_seq on that are still outstanding as timed out. Returns how
 * many it marked. */
static uint64_t settle(lg__test *t, lg__pass *p, uint64_t first_seq,
                       int64_t asked_deadline_ns)
{
    bool cut = false;
    for (;;) {
        atomic_store(&t->waiters, 1);
        uint32_t ev = atomic_load(&t->event);
        if (settled(p))
            break;
        int64_t now = lg__now_ns();
        int64_t deadline_ns = wait_deadline(asked_deadline_ns, &cut);
        if (now >= deadline_ns)
            break;
        int64_t wait = deadline_ns - now;
        lg_sync_wait(&t->event, ev, wait < 50000000 ? wait : 50000000);
    }
    atomic_store(&t->waiters, 0);
    uint64_t marked = 0;
    if (!settled(p)) {
        /* Up to the last record made; one never issued (the tail of an issue call that
         * found no record, a query the issue threads left when they stopped) is no
         * sample and is not marked. */
        uint64_t n = p->store.count;
        for (uint64_t s = first_seq; s < n; s++) {
            /* A chunk record_hdr retired had every sample settled. */
            lg__rec *chunk = atomic_load_explicit(&p->store.chunks[s >> LG__CHUNK_BITS],
                                                  memory_order_acquire);
            if (!chunk) {
                s |= LG__CHUNK_RECS - 1;
                continue;
            }
            lg__rec *rec = &chunk[s & (LG__CHUNK_RECS - 1)];
            int64_t expected = 0;
            if (atomic_load_explicit(&rec->issued_ns, memory_order_relaxed) &&
                atomic_compare_exchange_strong(&rec->completed_ns, &expected,
                                               LG__TIMED_OUT))
                marked++;
        }
        p->timed_out += marked;
        p->abort_cut |= cut && marked;
    }
    return marked;
}

/* ---------------------------------------------------------------- record_hdr retirer */

/* How long after the last completion of a chunk its records stay, so that a duplicate
 * or late completion is still told apart from an unknown id (docs/hdr.md). */
#define HDR_GRACE_NS INT64_C(100000000)

/* Whether every record of chunk c settled at least HDR_GRACE_NS ago, scanning from *scan
 * (records before it already seen settled; *last the latest settlement seen). A record
 * outstanding past the sample timeout is marked timed out here, as pass_end would: a
 * sample that never answers must not hold its chunk for the rest of the run. */
static bool chunk_settled(lg__pass *p, lg__rec *c, uint64_t *scan, int64_t *last,
                          int64_t now)
{
    for (; *scan < LG__CHUNK_RECS; (*scan)++) {
        lg__rec *rec = &c[*scan];
        int64_t done = atomic_load_explicit(&rec->completed_ns, memory_order_acquire);
        if (done == 0) {
            if (p->hdr_one_query ||
                atomic_load_explicit(&rec->issued_ns, memory_order_acquire) == 0 ||
                now - rec->scheduled_ns < p->hdr_timeout_ns)
                return false;
            int64_t expected = 0;
            if (atomic_compare_exchange_strong(&rec->completed_ns, &expected, LG__TIMED_OUT))
                atomic_fetch_add(&p->hdr_timed_out, 1);
            else if (expected != LG__TIMED_OUT && expected > *last)
                *last = expected;
            if (now > *last)
                *last = now;
            continue;
        }
        if (done != LG__TIMED_OUT && done > *last)
            *last = done;
    }
    return now - *last >= HDR_GRACE_NS;
}

/* The retirer of a record_hdr pass: its own thread, so that it makes no assumption on
 * how many threads issue or complete. It retires chunk o once chunk o + 2 exists (the
 * issue side, which fills chunks in order, is done with o's records) and every sample
 * of o settled a grace period ago: it unpublishes the chunk, waits until no
 * lg_complete call can still hold it (wait_quiescent, as the end of a pass), zeroes it
 * and hands it to the store's pool for a later chunk. Latencies were recorded at
 * completion, so nothing else is read. */
static void *hdr_retire_main(void *arg)
{
    lg__pass *p = arg;
    lg__store *st = &p->store;
    uint64_t o = 0, scan = 0;
    int64_t last = 0;
    while (!atomic_load(&p->hdr_stop)) {
        bool retired = false;
        if (o + 2 < LG__MAX_CHUNKS &&
            atomic_load_explicit(&st->chunks[o + 2], memory_order_acquire)) {
            lg__rec *c = atomic_load_explicit(&st->chunks[o], memory_order_acquire);
            if (chunk_settled(p, c, &scan, &last, lg__now_ns())) {
                atomic_store_explicit(&st->chunks[o], NULL, memory_order_release);
                wait_quiescent();
                memset(c, 0, LG__CHUNK_RECS * sizeof *c);
                pthread_mutex_lock(&st->pool->lock);
                if (st->pool->n < LG__POOL_MAX) {
                    st->pool->free[st->pool->n++] = c;
                    c = NULL;
                }
                pthread_mutex_unlock(&st->pool->lock);
                free(c);
                o++;
                scan = 0;
                last = 0;
                retired = true;
            }
        }
        /* Live chunks: those published and not retired (the issue side adds one at a
         * time, so the count read here is at most one behind). */
        uint64_t live = 0;
        for (uint64_t k = o; k < LG__MAX_CHUNKS &&
                            atomic_load_explicit(&st->chunks[k], memory_order_acquire);
             k++)
            live++;
        if (live > atomic_load(&p->hdr_peak_chunks))
            atomic_store(&p->hdr_peak_chunks, live);
        if (!retired) {
            struct timespec ts = to_ts(1000000);
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static void hdr_retirer_start(lg__pass *p)
{
    if (p->hdr)
        p->hdr_started = pthread_create(&p->hdr_thread, NULL, hdr_retire_main, p) == 0;
}

static void hdr_retirer_stop(lg__pass *p)
{
    if (!p->hdr_started)
        return;
    atomic_store(&p->hdr_stop, 1);
    pthread_join(p->hdr_thread, NULL);
    p->hdr_started = false;
}

/* ---------------------------------------------------------------- progress */

typedef struct monitor {
    lg__test *t;
    lg__pass *p;
    const char *phase;
    _Atomic int stop;
    pthread_t thread;
    bool started;
} monitor;

static void *monitor_main(void *arg)
{
    monitor *m = arg;
    const lg_log_settings *log = m->t->log;
    bool show = log && log->progress;
    int64_t interval = (int64_t)(show && log->progress_interval_ms ? log->progress_interval_ms
                                                                   : 250) * 1000000;
    lg__watch *w = m->t->watch;
    int64_t start = lg__now_ns();
    int64_t next = start + interval, last_t = start;
    int64_t wnext = w ? start + w->interval_ns : INT64_MAX;
    if (!show)
        next = INT64_MAX;
    uint64_t last_done = 0;
    while (!atomic_load(&m->stop)) {
        int64_t now = lg__now_ns();
        if (w && now >= wnext) {
            /* The watch reads the pass's records while the pass is alive: the monitor
             * is stopped before the pass is freed. */
            w->fn(w->ctx, m->t, m->p, now);
            wnext = now + w->interval_ns;
            continue;
        }
        int64_t due = next < wnext ? next : wnext;
        if (now < due) {
            int64_t nap = due - now < 20000000 ? due - now : 20000000;
            struct timespec ts = to_ts(nap);
            nanosleep(&ts, NULL);
            continue;
        }
        next += interval;
        lg_progress pr = {0};
        pr.elapsed_ns = now - start;
        pr.issued_samples = atomic_load_explicit(&m->p->samples, memory_order_relaxed);
        pr.completed_samples = completed_count();
        pr.failed_samples = failed_count();
        pr.current_qps = now > last_t ? (double)(pr.completed_samples - last_done) * 1e9 /
                                            (double)(now - last_t)
                                      : 0.0;
        pr.phase = m->phase;
        last_done = pr.completed_samples;
        last_t = now;
        log->progress(log->progress_ctx, &pr);
    }
    return NULL;
}

static void monitor_start(monitor *m, lg__test *t, lg__pass *p, const char *phase)
{
    memset(m, 0, sizeof *m);
    m->t = t;
    m->p = p;
    m->phase = phase;
    if ((t->log && t->log->progress) || t->watch)
        m->started = pthread_create(&m->thread, NULL, monitor_main, m) == 0;
}

static void monitor_stop(monitor *m)
{
    if (!m->started)
        return;
    atomic_store(&m->stop, 1);
    pthread_join(m->thread, NULL);
}

/* ---------------------------------------------------------------- issuing */

bool lg__stop_requested(void)
{
    return atomic_load_explicit(&g_abort, memory_order_relaxed) != 0;
}

uint64_t lg__outstanding(const lg__pass *p)
{
    return atomic_load_explicit(&p->samples, memory_order_relaxed) - completed_count();
}

/* The record store gave no record: either the 2^36 records one pass can hold are used,
 * a max limit, or the memory budget set at the start of the pass (or the allocator)
 * ran out, which ends the run INVALID and out of memory with its figures kept. */
bool lg__out_of_records(lg__issuer *is)
{
    lg__pass *p = is->p;
    if (p->store.count >= (uint64_t)LG__MAX_CHUNKS * LG__CHUNK_RECS) {
        ERROR(is->t, "error_runtime", "Ending early: the %llu samples one pass can record "
              "were issued", (unsigned long long)p->store.count);
        p->ended_max_queries = true;
    } else {
        ERROR(is->t, "error_runtime", "Ending early: out of memory for sample records "
              "after %llu samples (%.1f MiB of records; the budget is set from the "
              "memory available at the start of the pass)",
              (unsigned long long)p->store.count,
              (double)p->store.nchunks * LG__CHUNK_RECS * sizeof(lg__rec) / 1048576.0);
        lg__set_error("out of memory for sample records after %llu samples",
                      (unsigned long long)p->store.count);
        p->ended_oom = true;
    }
    return false;
}

/* Checks the limits that end a run early, as errors. */
bool lg__limits_hit(lg__issuer *is, int64_t now)
{
    lg__pass *p = is->p;
    const lg__eff *e = &is->t->eff;
    if (lg__stop_requested()) {
        if (!p->ended_abort)
            ERROR(is->t, "error_runtime", "Ending early: the test was aborted after %llu "
                  "queries", (unsigned long long)p->queries);
        p->ended_abort = true;
        return true;
    }
    if (is->accuracy)
        return false;
    if (e->max_query_count && p->queries >= e->max_query_count) {
        ERROR(is->t, "error_runtime", "IssueQueryThread 0 Ending early: Max query count "
              "reached. query_count %llu", (unsigned long long)p->queries);
        p->ended_max_queries = true;
        return true;
    }
    if (e->max_duration_ms && now - p->start_ns >= (int64_t)e->max_duration_ms * 1000000) {
        ERROR(is->t, "error_runtime", "IssueQueryThread 0 Ending early: Max test duration "
              "reached. duration_ns %lld", (long long)(now - p->start_ns));
        p->ended_max_duration = true;
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------- sample sets */

/* Loads samples for pass p; a failure is logged and marks the pass (qsl_failure). */
static int qsl_load(lg__test *t, lg__pass *p, const uint64_t *idx, size_t n)
{
    if (!t->qsl->load)
        return 0;
    int rc = t->qsl->load(t->qsl->ctx, idx, n);
    if (!rc)
        return 0;
    ERROR(t, "error_runtime", "the QSL failed to load %zu samples (code %d)", n, rc);
    lg__set_error("the QSL failed to load samples in the %s pass (code %d)",
                  p->mode == LG_MODE_ACCURACY ? "accuracy" : "performance", rc);
    p->qsl_failed = true;
    return LG_ESUT;
}

static void qsl_unload(lg__test *t, const uint64_t *idx, size_t n)
{
    if (t->qsl->unload && t->qsl->unload(t->qsl->ctx, idx, n))
        ERROR(t, "error_runtime", "the QSL failed to unload %zu samples", n);
}

/* An open-addressing map from positions of a virtual array to the values swapped into
 * them, for a Fisher-Yates shuffle of a dataset far larger than the part drawn. */
typedef struct swap_map {
    uint64_t *keys; /* position + 1; 0 = empty */
    uint64_t *vals;
    uint64_t mask;
} swap_map;

static uint64_t *swap_slot(swap_map *m, uint64_t pos)
{
    uint64_t i = mix64(pos) & m->mask;
    while (m->keys[i] && m->keys[i] != pos + 1)
        i = (i + 1) & m->mask;
    return &m->keys[i];
}

static uint64_t swap_get(swap_map *m, uint64_t pos)
{
    uint64_t *k = swap_slot(m, pos);
    return *k ? m->vals[k - m->keys] : pos;
}

static void swap_set(swap_map *m, uint64_t pos, uint64_t v)
{
    uint64_t *k = swap_slot(m, pos);
    *k = pos + 1;
    m->vals[k - m->keys] = v;
}

int lg__sample_set(uint64_t total, uint64_t psc, uint64_t seed, bool sparse, uint64_t *out)
{
    gsl_rng *r = lg__rng_new(seed);
    if (!r)
        return LG_ENOMEM;
    int rc = 0;
    if (!sparse) {
        uint32_t *all = malloc(total * sizeof *all);
        if (!all) {
            rc = LG_ENOMEM;
            goto out;
        }
        for (uint64_t i = 0; i < total; i++)
            all[i] = (uint32_t)i;
        /* A partial Fisher-Yates: only the first psc positions are needed. */
        for (uint64_t i = 0; i < psc; i++) {
            uint64_t j = i + gsl_rng_uniform_int(r, total - i);
            uint32_t tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
            out[i] = all[i];
        }
        free(all);
        goto out;
    }
    /* The same swaps on a virtual array: position i is never read again after step i,
     * so only the value moved to j needs keeping. At most psc entries, load <= 1/2. */
    uint64_t cap = 16;
    while (cap < 2 * psc)
        cap <<= 1;
    swap_map m = {calloc(cap, sizeof *m.keys), malloc(cap * sizeof *m.vals), cap - 1};
    if (!m.keys || !m.vals) {
        rc = LG_ENOMEM;
    } else {
        for (uint64_t i = 0; i < psc; i++) {
            uint64_t j = i + gsl_rng_uniform_int(r, total - i);
            uint64_t vi = swap_get(&m, i), vj = swap_get(&m, j);
            swap_set(&m, j, vi);
            out[i] = vj;
        }
    }
    free(m.keys);
    free(m.vals);
out:
    stats_rng_free(r);
    return rc;
}

/* The performance set: the first psc indices of a seeded shuffle of the dataset. Its
 * memory follows psc, not the dataset's size, unless the dataset is small. */
static int performance_set(lg__test *t, lg__pass *p)
{
    uint64_t total = t->qsl->total_sample_count, psc = t->eff.performance_sample_count;
    p->loaded = malloc(psc * sizeof *p->loaded);
    if (!p->loaded)
        return LG_ENOMEM;
    int rc = lg__sample_set(total, psc, t->req->qsl_rng_seed, total > LG__DENSE_SET_RATIO * psc,
                            p->loaded);
    if (rc)
        return rc;
    p->nloaded = psc;
    return 0;
}

/* ---------------------------------------------------------------- passes */

int lg__pass_init(lg__pass *p, lg_mode mode, bool tokens)
{
    memset(p, 0, sizeof *p);
    p->mode = mode;
    p->tag = (atomic_fetch_add(&g_serial, 1) & 0xffffff) + 1;
    pthread_mutex_init(&p->hdr_pool.lock, NULL);
    int rc = lg__store_init(&p->store);
    if (!rc && tokens)
        rc = lg__store_enable_tokens(&p->store);
    return rc;
}

/* Makes p a record_hdr pass (before pass_begin). */
static void pass_hdr(lg__test *t, lg__pass *p)
{
    static _Atomic uint64_t ids;
    p->hdr = true;
    p->hdr_digits = t->eff.hdr_digits;
    p->hdr_id = atomic_fetch_add(&ids, 1) + 1;
    p->hdr_bound_ns = t->eff.target_latency_ns;
    p->hdr_timeout_ns = t->eff.sample_timeout_ns;
    p->hdr_one_query = lg__scenario(t->eff.scenario)->one_query;
    p->store.pool = &p->hdr_pool;
}

/* The record store's memory budget for a pass that starts now: what the process can
 * still take, less a reserve for the logs, shared with what each sample needs beside
 * its record (16 bytes while the results are computed; an accuracy pass also keeps a
 * copy of every response, at least 48 bytes). */
static uint64_t store_budget(const lg__test *t, const lg__pass *p)
{
    uint64_t avail = lg__memory_available();
    if (avail == UINT64_MAX)
        return 0;
    uint64_t reserve = (uint64_t)64 << 20;
    uint64_t room = avail > 2 * reserve ? avail - reserve : avail / 2;
    double rec = (double)sizeof(lg__rec) + (p->store.tchunks ? (double)sizeof(lg__tok) : 0);
    double per = rec + 16.0 + (p->mode == LG_MODE_ACCURACY || t->log_all ? 48.0 : 0.0);
    return (uint64_t)((double)room * rec / per);
}

static void acc_list_free(lg__acc *a)
{
    while (a) {
        lg__acc *n = a->next;
        free(a);
        a = n;
    }
}

void lg__pass_free(lg__pass *p)
{
    lg__store_free(&p->store);
    for (size_t i = 0; i < p->hdr_pool.n; i++)
        free(p->hdr_pool.free[i]);
    p->hdr_pool.n = 0;
    pthread_mutex_destroy(&p->hdr_pool.lock);
    for (lg__hrec *h = atomic_exchange(&p->hdr_recs, NULL), *next; h; h = next) {
        next = h->next;
        lg__hdr_fini(&h->lat);
        lg__hdr_fini(&h->lag);
        free(h);
    }
    free(p->loaded);
    acc_list_free(p->acc_list);
    acc_list_free(p->tok_acc_list);
    p->acc_list = p->tok_acc_list = NULL;
}

static void pass_begin(lg__test *t, lg__pass *p)
{
    /* A record_hdr pass keeps a few chunks alive whatever its length: no budget but the
     * allocator's. */
    lg__store_set_budget(&p->store, p->hdr ? 0 : store_budget(t, p));
    shards_reset();
    atomic_store(&t->acc_head, NULL);
    atomic_store(&t->tok_acc_head, NULL);
    atomic_store(&t->acc_count, 0);
    p->start_ns = lg__now_ns();
    p->start_wall_ns = lg__wall_ns();
    atomic_store_explicit(&t->pass, p, memory_order_release);
}

static void pass_end(lg__test *t, lg__pass *p)
{
    p->end_issue_ns = lg__now_ns();
    if (t->sut->flush)
        t->sut->flush(t->sut->ctx);
    settle(t, p, 0, p->end_issue_ns + t->eff.sample_timeout_ns);
    uint64_t to = p->timed_out;
    if (to)
        ERROR(t, "error_runtime", "%llu samples were not completed within the sample "
              "timeout of %lld ms; they count as failed", (unsigned long long)to,
              (long long)(t->eff.sample_timeout_ns / 1000000));
    atomic_store(&t->pass, NULL);
    wait_quiescent();
    /* Completions are ordered by seq for the accuracy log; the stack gives them in
     * reverse completion order, which logs.c sorts. */
    p->acc_list = atomic_exchange(&t->acc_head, NULL);
    p->tok_acc_list = atomic_exchange(&t->tok_acc_head, NULL);
    p->accuracy_logged = atomic_load(&t->acc_count);
    if (p->has_holes)
        close_holes(p);
    p->end_ns = lg__now_ns();
}

static int alloc_buf(lg__issuer *is, size_t n)
{
    is->buf = malloc((n ? n : 1) * sizeof *is->buf);
    is->bufcap = n ? n : 1;
    return is->buf ? 0 : LG_ENOMEM;
}

/* The warm-up: the scenario's own queries on the loaded set for warmup_duration_ms,
 * through a pass of their own that is then thrown away, so the SUT's caches and
 * threads are warm when timing starts. Offline warms up with one query sized like the
 * real one for the warm-up time. Its samples are never logged or counted. */
static int warm_up(lg__test *t, lg__pass *perf)
{
    lg__pass w;
    if (lg__pass_init(&w, LG_MODE_PERFORMANCE, t->eff.tokens))
        return LG_ENOMEM;
    lg__eff saved = t->eff;
    t->eff.target_duration_ms = t->req->warmup_duration_ms;
    t->eff.min_query_count = 1;
    t->eff.max_query_count = 0;
    t->eff.max_duration_ms = 0;
    t->eff.max_async_queries = 0;
    uint64_t acc_threshold = t->acc_threshold;
    t->acc_threshold = 0;
    lg__issuer is = {.t = t, .p = &w, .set = perf->loaded, .nset = perf->nloaded,
                     .warmup = true};
    /* Another stream of indices and arrivals than the timed run's. */
    is.index_rng = lg__rng_new(t->req->sample_index_rng_seed ^ UINT64_C(0x77a3c1e5));
    const lg__scenario_ops *sc = lg__scenario(saved.scenario);
    uint64_t n = sc->warmup_samples(&saved, t->req->warmup_duration_ms);
    size_t bufn = sc->buffer_samples(&saved, n);
    int rc = 0;
    if (!is.index_rng || alloc_buf(&is, bufn)) {
        rc = LG_ENOMEM;
        goto out;
    }
    pass_begin(t, &w);
    sc->issue(&is, n);
    pass_end(t, &w);
    perf->warmup_queries = w.queries;
    EVENT(t, "generic_message", "Warm-up: %llu queries (%llu samples) in %lld ms, not measured",
          (unsigned long long)w.queries, (unsigned long long)atomic_load(&w.samples),
          (long long)((w.end_ns - w.start_ns) / 1000000));
out:
    t->eff = saved;
    t->acc_threshold = acc_threshold;
    stats_rng_free(is.index_rng);
    free(is.buf);
    lg__pass_free(&w);
    return rc;
}

/* start_realtime_ns: sleeps until that CLOCK_REALTIME moment, converted once to the
 * monotonic clock (the sleep is then immune to the wall clock being stepped), ending
 * with a short spin so that the start is exact to a few microseconds. */
static void wait_start(lg__test *t)
{
    int64_t ahead = t->req->start_realtime_ns - lg__wall_ns();
    if (ahead > 0) {
        lg__sleep_until(lg__now_ns() + ahead, 200000);
        return;
    }
    lg__event_add(t, 2, "warning_generic_message", __FILE__, __LINE__,
                  "start_realtime_ns was %.3f ms in the past when the pass was ready: it "
                  "started at once", (double)-ahead / 1e6);
}

int lg__run_performance(lg__test *t, lg__pass *p, bool announce)
{
    const lg__eff *e = &t->eff;
    int rc = performance_set(t, p);
    if (rc)
        return rc;
    if (announce)
        EVENT(t, "generic_message", "Starting performance mode");
    if ((rc = qsl_load(t, p, p->loaded, p->nloaded)))
        return rc;
    lg__issuer is = {.t = t, .p = p, .set = p->loaded, .nset = p->nloaded};
    is.index_rng = lg__rng_new(t->req->sample_index_rng_seed);
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    size_t bufn = sc->buffer_samples(e, e->samples_per_query);
    if (!is.index_rng || alloc_buf(&is, bufn)) {
        rc = LG_ENOMEM;
        goto out;
    }
    is.concat = e->concatenate;
    if (t->req->performance_issue_unique || is.concat) {
        is.perm = malloc(p->nloaded * sizeof *is.perm);
        if (!is.perm) {
            rc = LG_ENOMEM;
            goto out;
        }
        memcpy(is.perm, p->loaded, p->nloaded * sizeof *is.perm);
        is.perm_pos = p->nloaded; /* shuffled on first use */
    }
    if (t->req->warmup_duration_ms && (rc = warm_up(t, p)))
        goto out;
    if (t->req->schedule_stride > 1)
        EVENT(t, "generic_message", "Split schedule: this process issues the global queries "
              "q with q mod %llu == %llu", (unsigned long long)t->req->schedule_stride,
              (unsigned long long)t->req->schedule_offset);
    if (t->req->start_realtime_ns && announce) /* not a peak search's probes */
        wait_start(t);
    monitor m;
    if (e->hdr)
        pass_hdr(t, p);
    pass_begin(t, p);
    monitor_start(&m, t, p, "performance");
    hdr_retirer_start(p);
    sc->issue(&is, e->samples_per_query);
    hdr_retirer_stop(p);
    if (p->ended_naturally)
        EVENT(t, "generic_message",
              "Ending naturally: Minimum query count and test duration met.");
    pass_end(t, p);
    monitor_stop(&m);
    qsl_unload(t, p->loaded, p->nloaded);
out:
    stats_rng_free(is.index_rng);
    free(is.perm);
    free(is.buf);
    return rc;
}

/* Accuracy: the accuracy set in consecutive sets of psc samples; each set is loaded,
 * issued once in full (one query per set for Offline), flushed and unloaded. */
static int run_accuracy(lg__test *t, lg__pass *p)
{
    const lg__eff *e = &t->eff;
    uint64_t total = e->accuracy_sample_count, psc = e->performance_sample_count;
    EVENT(t, "generic_message", "Starting accuracy mode");
    lg__issuer is = {.t = t, .p = p, .accuracy = true};
    const lg__scenario_ops *sc = lg__scenario(e->scenario);
    size_t bufn = sc->buffer_samples(e, psc);
    uint64_t *set = malloc(psc * sizeof *set);
    int rc = 0;
    if (!set || alloc_buf(&is, bufn)) {
        free(set);
        free(is.buf);
        return LG_ENOMEM;
    }
    p->loaded = malloc(psc * sizeof *p->loaded);
    if (p->loaded) {
        for (uint64_t i = 0; i < psc; i++)
            p->loaded[i] = i;
        p->nloaded = psc;
    }
    monitor m;
    pass_begin(t, p);
    monitor_start(&m, t, p, "accuracy");
    for (uint64_t first = 0; first < total; first += psc) {
        if (lg__stop_requested()) {
            ERROR(t, "error_runtime", "Ending early: the test was aborted after %llu of "
                  "%llu accuracy samples", (unsigned long long)first,
                  (unsigned long long)total);
            p->ended_abort = true;
            break;
        }
        if (p->ended_oom || p->ended_max_queries)
            break;
        uint64_t n = total - first < psc ? total - first : psc;
        for (uint64_t i = 0; i < n; i++)
            set[i] = first + i;
        if ((rc = qsl_load(t, p, set, n)))
            break;
        is.set = set;
        is.nset = n;
        is.pos = 0;
        uint64_t set_first_seq = p->store.count;
        sc->issue(&is, n);
        if (t->sut->flush)
            t->sut->flush(t->sut->ctx);
        /* The set stays loaded until its samples completed (or timed out). */
        settle(t, p, set_first_seq, lg__now_ns() + e->sample_timeout_ns);
        qsl_unload(t, set, n);
    }
    pass_end(t, p);
    monitor_stop(&m);
    free(set);
    free(is.buf);
    return rc;
}

/* ---------------------------------------------------------------- lg_run_test */

/* The settings a test runs with, kept in t: the caller's, but that TEST05 runs with its
 * own seeds, as MLPerf's StartTest swaps them in (so the requested_* lines of the
 * detail log show the seeds used, as MLPerf's do). */
static const lg_settings *requested_settings(lg__test *t, const lg_settings *settings)
{
    t->req_store = *settings;
    if (settings->test05) {
        t->req_store.mode = LG_MODE_PERFORMANCE;
        t->req_store.qsl_rng_seed = settings->test05_qsl_rng_seed;
        t->req_store.sample_index_rng_seed = settings->test05_sample_index_rng_seed;
        t->req_store.schedule_rng_seed = settings->test05_schedule_rng_seed;
    }
    return &t->req_store;
}

/* The log files' names, and the output folder checked: one that cannot be written, or
 * that holds a run already, is found now, before the run, not after it when its figures
 * would be lost. Returns 0, LG_EINVAL, LG_EIO or LG_EEXIST (lg_last_error says why). */
static int output_check(lg__test *t, const lg_log_settings *log)
{
    t->test_start_wall_ns = lg__wall_ns();
    t->log_suffix = "";
    if (!log)
        return 0;
    int rc = lg__log_name_parts(log, t->test_start_wall_ns, t->log_prefix,
                                sizeof t->log_prefix, &t->log_suffix);
    if (!rc)
        rc = lg__outdir_unused(log, t->log_prefix);
    return rc ? rc : lg__outdir_check(log);
}

/* MLPerf's warnings of a compliance run, which its instructions look for in the detail
 * log: the audit config found, the TEST05 seeds. */
static void compliance_warnings(lg__test *t, const lg_log_settings *log)
{
    if (log && log->audit_config)
        lg__event_add(t, 2, "warning_generic_message", __FILE__, __LINE__,
                      "Found Audit Config file (%s). Overriding TestSettings from %s file.",
                      log->audit_config, log->audit_config);
    if (t->req->test05)
        lg__event_add(t, 2, "warning_generic_message", __FILE__, __LINE__,
                      "Test05 flag detected Overriding random seeds");
}

/* The share of performance-mode responses the accuracy log records:
 * accuracy_log_probability, or with accuracy_log_sampling_target MLPerf's rule, the
 * target over the samples the run is expected to issue (the whole minimum duration at
 * the expected rate, whole samples; at least the minimum count), logged. */
static double accuracy_log_share(lg__test *t)
{
    const lg_settings *s = t->req;
    const lg__eff *e = &t->eff;
    if (!s->accuracy_log_sampling_target)
        return s->accuracy_log_probability;
    double expected = floor(e->target_qps * (double)e->min_duration_ms / 1000.0);
    double minimum = (double)e->min_sample_count;
    if (!lg__scenario(e->scenario)->one_query) {
        expected *= (double)e->samples_per_query;
        minimum = (double)e->min_query_count * (double)e->samples_per_query;
    }
    if (expected < minimum)
        expected = minimum;
    double share = expected >= 1.0 ? (double)s->accuracy_log_sampling_target / expected
                                   : 1.0;
    EVENT(t, "generic_message", "accuracy_log_sampling_target %llu of about %.0f expected "
          "samples: responses are logged with probability %.6g",
          (unsigned long long)s->accuracy_log_sampling_target, expected, share);
    return share;
}

static int fill_accuracy_results(lg__test *t, lg__pass *p, lg_results *r)
{
    int rc = lg__compute_results(t, p, r);
    r->mode = LG_MODE_ACCURACY;
    /* Accuracy has no timing rules: it is valid when every sample came back. */
    r->invalid_reasons &= LG_INVALID_FAILED_SAMPLES | LG_INVALID_TIMED_OUT |
                          LG_INVALID_ABORTED | LG_INVALID_COMPLETION_ERRORS |
                          LG_INVALID_OUT_OF_MEMORY | LG_INVALID_QSL_FAILURE |
                          LG_INVALID_MAX_LIMIT;
    r->valid = r->invalid_reasons == 0;
    return rc;
}

uint64_t lg__stray_completions(void) { return atomic_load(&g_stray_done); }

void lg__probe_counters_reset(lg__test *t)
{
    atomic_store(&t->duplicates, 0);
    atomic_store(&t->unknown, 0);
    atomic_store(&t->late, 0);
    atomic_store(&t->bad_responses, 0);
    atomic_store(&t->tok_duplicates, 0);
    atomic_store(&t->tok_unknown, 0);
    atomic_store(&t->tok_late, 0);
    atomic_store(&t->tok_ignored, 0);
}

void lg__abort_reset(void)
{
    atomic_store(&g_abort, 0);
    atomic_store(&g_abort_ns, 0);
}

int lg_run_test(const lg_settings *settings, const lg_sut *sut, const lg_qsl *qsl,
                const lg_log_settings *log, lg_results *out)
{
    if (settings && settings->mode == LG_MODE_FIND_PEAK && !settings->test05) {
        lg_peak_options o;
        lg_peak_options_default(&o);
        o.algorithm = LG_PEAK_MLPERF;
        lg_peak_result pr;
        memset(&pr, 0, sizeof pr);
        int rc = lg__run_test(settings, sut, qsl, log, out, &o, &pr);
        lg_peak_result_free(&pr);
        return rc;
    }
    return lg__run_test(settings, sut, qsl, log, out, NULL, NULL);
}

int lg__run_test(const lg_settings *settings, const lg_sut *sut, const lg_qsl *qsl,
                 const lg_log_settings *log, lg_results *out, const lg_peak_options *popts,
                 lg_peak_result *presult)
{
    lg__clear_error();
    if (presult)
        memset(presult, 0, sizeof *presult);
    if (!settings || !sut || !sut->issue || !qsl || !out) {
        lg__set_error("lg_run_test: %s is NULL", !settings ? "settings" : !sut ? "sut"
                      : !sut->issue ? "sut->issue" : !qsl ? "qsl" : "out");
        return LG_EINVAL;
    }
    memset(out, 0, sizeof *out);
    lg__peak *peak = NULL;
    lg__test *t = calloc(1, sizeof *t);
    if (!t)
        return LG_ENOMEM;
    settings = requested_settings(t, settings);
    char msg[256];
    int rc = lg__effective(settings, qsl, &t->eff, msg, sizeof msg);
    if (rc)
        lg__set_error("%s", msg);
    else
        rc = output_check(t, log);
    if (rc) {
        /* Harness threads waiting to issue this test would wait for ever. */
        if (settings->server_issue_threads_registered && !atomic_load(&g_running))
            lg_release_issue_threads();
        free(t);
        return rc;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&g_running, &expected, 1)) {
        lg__set_error("lg_run_test: a test is already running in this process");
        free(t);
        return LG_EBUSY;
    }
    bool registered = settings->server_issue_threads_registered;
    if (registered &&
        (rc = lg__issue_threads_claim((unsigned)settings->server_num_issue_query_threads,
                                      settings->issue_thread_wait_ms))) {
        free(t);
        atomic_store(&g_running, 0);
        return rc;
    }
    atomic_store(&g_abort, 0);
    atomic_store(&g_abort_ns, 0);
    t->req = settings;
    t->sut = sut;
    t->qsl = qsl;
    t->log = log;
    t->test_start_ns = lg__now_ns();
    t->acc_seed = mix64(settings->accuracy_log_rng_seed);
    t->sut_name_ns = lg__now_ns() - t->test_start_ns;
    compliance_warnings(t, log);
    /* Settings that are accepted but probably a mistake, logged as warnings. */
    char warn[512];
    if (lg__settings_warnings(settings, &t->eff, warn, sizeof warn) > 0)
        lg__event_add(t, 2, "warning_generic_message", __FILE__, __LINE__, "%s", warn);

    lg__pass acc = {0}, perf = {0};
    if (popts && (rc = lg__peak_begin(t, popts, presult, &peak)))
        goto done;
    bool want_acc = t->eff.mode != LG_MODE_PERFORMANCE && !peak;
    bool want_perf = t->eff.mode != LG_MODE_ACCURACY;
    if ((want_acc && lg__pass_init(&acc, LG_MODE_ACCURACY, t->eff.tokens)) ||
        (want_perf && lg__pass_init(&perf, LG_MODE_PERFORMANCE, t->eff.tokens))) {
        rc = LG_ENOMEM;
        goto done;
    }
    atomic_store(&g_test, t);
    /* prctl: a timer slack of 1 ns makes absolute sleeps end on time. */
    int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
    if (want_acc) {
        t->log_all = true;
        rc = run_accuracy(t, &acc);
        t->log_all = false;
    }
    if (!rc && want_perf && !lg__stop_requested() && !acc.ended_oom &&
        !atomic_load(&t->acc_oom)) {
        double prob = accuracy_log_share(t);
        t->acc_threshold = prob >= 1.0  ? UINT64_MAX
                           : prob <= 0.0 ? 0
                                         : (uint64_t)(prob * 18446744073709551616.0);
        rc = peak ? lg__peak_search(t, &perf, out) : lg__run_performance(t, &perf, true);
    }
    if (old_slack > 0)
        prctl(PR_SET_TIMERSLACK, old_slack, 0, 0, 0);
    atomic_store(&g_test, NULL);
    wait_quiescent();

    /* The figures of the pass that ran last: the performance pass when it started
     * (or its QSL load failed), else the accuracy pass. They are computed and written
     * whatever ended the run, so that nothing measured is lost. */
    if (rc == 0 || rc == LG_ESUT || rc == LG_ENOMEM) {
        bool perf_ran = want_perf && (perf.start_ns || perf.qsl_failed);
        /* A peak search computed each probe's figures with its own settings. */
        int crc = perf_ran ? (peak ? 0 : lg__compute_results(t, &perf, out))
                           : fill_accuracy_results(t, &acc, out);
        if (crc && !rc)
            rc = crc;
        out->mode = perf_ran ? LG_MODE_PERFORMANCE : LG_MODE_ACCURACY;
        out->find_peak = peak && perf_ran;
        out->find_peak_passed = out->find_peak && out->find_peak_passed;
        out->start_realtime_ns = perf_ran ? perf.start_wall_ns : acc.start_wall_ns;
        /* An abort counts in the results only when it changed what was measured (the
         * pass's end reasons); one that came after is noted here. */
        if (lg__stop_requested() && !out->aborted)
            EVENT(t, "generic_message", "An abort arrived after issuing ended and every "
                  "sample had settled; the run is judged on its data");
        if (out->invalid_reasons & LG_INVALID_OUT_OF_MEMORY) {
            if (!rc)
                rc = LG_ENOMEM;
            lg__set_error("memory ran out during the run: %llu samples recorded, %llu "
                          "responses could not be kept for the accuracy log",
                          (unsigned long long)out->samples_issued,
                          (unsigned long long)out->accuracy_samples_dropped);
        }
        int wrc = lg__write_logs(t, want_acc ? &acc : NULL,
                                 perf_ran ? &perf : NULL, out);
        if (!rc)
            rc = wrc;
    }
done:
    lg__peak_end(t, peak);
    lg__pass_free(&acc);
    lg__pass_free(&perf);
    for (size_t i = 0; i < t->nevents; i++)
        free(t->events[i].text);
    free(t->events);
    free(t);
    atomic_store(&g_abort, 0);
    atomic_store(&g_abort_ns, 0);
    if (registered)
        lg__issue_threads_release();
    atomic_store(&g_running, 0);
    return rc;
}

/* ---------------------------------------------------------------- records from elsewhere */

static void null_issue(void *ctx, const lg_sample *samples, size_t n)
{
    (void)ctx, (void)samples, (void)n;
}

/* A relative time of samples.bin back on an absolute origin, 0 (none) kept. */
static int64_t rel_abs(int64_t base, int64_t v) { return v ? base + v : 0; }

int lg_results_from_records(const lg_settings *settings, const char *sut_name,
                            const lg_qsl *qsl, const lg_log_settings *log,
                            const lg_sample_record *records, uint64_t n,
                            const lg_pass_tally *tally, lg_results *out)
{
    lg__clear_error();
    static const lg_pass_tally none;
    if (!settings || !qsl || !out || (n && !records)) {
        lg__set_error("lg_results_from_records: %s is NULL", !settings ? "settings"
                      : !qsl ? "qsl" : !out ? "out" : "records");
        return LG_EINVAL;
    }
    if (!tally)
        tally = &none;
    if (settings->mode != LG_MODE_PERFORMANCE) {
        lg__set_error("lg_results_from_records: mode must be PerformanceOnly");
        return LG_EINVAL;
    }
    memset(out, 0, sizeof *out);
    lg__test *t = calloc(1, sizeof *t);
    if (!t)
        return LG_ENOMEM;
    lg_sut sut = {.name = sut_name ? sut_name : "unknown", .issue = null_issue};
    settings = requested_settings(t, settings);
    /* The shares' own settings are not the merged pass's. */
    t->req_store.schedule_stride = 0;
    t->req_store.schedule_offset = 0;
    t->req_store.start_realtime_ns = 0;
    /* The records are every sample's: the figures are exact. */
    t->req_store.record_hdr = false;
    char msg[256];
    int rc = lg__effective(settings, qsl, &t->eff, msg, sizeof msg);
    if (rc) {
        lg__set_error("%s", msg);
        free(t);
        return rc;
    }
    t->test_start_wall_ns = tally->start_wall_ns ? tally->start_wall_ns : lg__wall_ns();
    t->log_suffix = "";
    if (log && (rc = lg__log_name_parts(log, t->test_start_wall_ns, t->log_prefix,
                                        sizeof t->log_prefix, &t->log_suffix)) == 0)
        rc = lg__outdir_unused(log, t->log_prefix);
    if (!rc)
        rc = lg__outdir_check(log);
    int expected = 0;
    if (!rc && !atomic_compare_exchange_strong(&g_running, &expected, 1)) {
        lg__set_error("lg_results_from_records: a test is running in this process");
        rc = LG_EBUSY;
    }
    if (rc) {
        free(t);
        return rc;
    }
    t->req = settings;
    t->sut = &sut;
    t->qsl = qsl;
    t->log = log;
    lg__pass perf;
    if (lg__pass_init(&perf, LG_MODE_PERFORMANCE, t->eff.tokens)) {
        rc = LG_ENOMEM;
        goto done;
    }
    /* Any origin will do: every figure is a difference of times. */
    int64_t base = lg__now_ns();
    t->test_start_ns = base;
    perf.start_ns = base;
    perf.start_wall_ns = t->test_start_wall_ns;
    bool one_query = lg__scenario(t->eff.scenario)->one_query;
    int64_t last_issue = base;
    for (uint64_t i = 0; i < n; i++) {
        lg__rec *rec = lg__store_get(&perf.store, i);
        if (!rec) {
            lg__set_error("lg_results_from_records: no memory for %llu records",
                          (unsigned long long)n);
            rc = LG_ENOMEM;
            goto done;
        }
        const lg_sample_record *in = &records[i];
        rec->scheduled_ns = one_query ? 0 : base + in->scheduled_ns;
        int64_t issued = one_query ? 1 : base + in->issued_ns;
        atomic_store_explicit(&rec->issued_ns, issued, memory_order_relaxed);
        atomic_store_explicit(&rec->completed_ns,
                              in->completed_ns < 0 ? LG__TIMED_OUT : base + in->completed_ns,
                              memory_order_relaxed);
        rec->index = in->index;
        rec->status = in->status;
        if (perf.store.tchunks) {
            lg__tok *k = lg__store_tok_at(&perf.store, i);
            atomic_store_explicit(&k->first_ns, rel_abs(base, in->first_token_ns),
                                  memory_order_relaxed);
            k->n_tokens = in->n_tokens;
            k->sent_ns = rel_abs(base, in->sent_ns);
        }
        if (!one_query && issued > last_issue)
            last_issue = issued;
        perf.store.count = i + 1;
    }
    perf.queries = tally->queries;
    atomic_store(&perf.samples, n);
    perf.end_issue_ns = last_issue;
    perf.end_ns = last_issue;
    perf.ended_max_queries = tally->ended_max_queries;
    perf.ended_max_duration = tally->ended_max_duration;
    perf.ended_async = tally->ended_async_limit;
    perf.ended_abort = tally->aborted;
    perf.ended_naturally = !tally->aborted && !tally->ended_max_queries &&
                           !tally->ended_max_duration && !tally->ended_async_limit;
    atomic_store(&t->duplicates, tally->duplicate_completions);
    atomic_store(&t->unknown, tally->unknown_completions);
    atomic_store(&t->late, tally->late_completions);
    atomic_store(&t->bad_responses, tally->bad_responses);
    t->summary_note = tally->summary_note;
    for (size_t i = 0; i < tally->nmessages; i++)
        lg__event_add(t, 0, "generic_message", __FILE__, __LINE__, "%s", tally->messages[i]);
    for (size_t i = 0; i < tally->nerrors; i++)
        lg__event_add(t, 1, "error_runtime", __FILE__, __LINE__, "%s", tally->errors[i]);
    int crc = lg__compute_results(t, &perf, out);
    out->mode = LG_MODE_PERFORMANCE;
    out->start_realtime_ns = perf.start_wall_ns;
    int wrc = lg__write_logs(t, NULL, &perf, out);
    rc = crc ? crc : wrc;
done:
    lg__pass_free(&perf);
    for (size_t i = 0; i < t->nevents; i++)
        free(t->events[i].text);
    free(t->events);
    free(t);
    atomic_store(&g_running, 0);
    return rc;
}
