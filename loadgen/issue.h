/* issue.h: the issue machinery the scenarios' loops (scenario.c) are made of, from
 * run.c: the per-pass issuer, the hot-path steps (pick a sample, fill its record, hand
 * samples to the SUT) inline so that each loop compiles them in, and the waits and
 * limits behind a call. loadgen/ only (not installed). */
#ifndef LOADGEN_ISSUE_H
#define LOADGEN_ISSUE_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "loadgen/internal.h"

/* Entries of the detail log's run-time part, with the source line that logged them. */
#define EVENT(t, key, ...) lg__event_add((t), 0, (key), __FILE__, __LINE__, __VA_ARGS__)
#define ERROR(t, key, ...) lg__event_add((t), 1, (key), __FILE__, __LINE__, __VA_ARGS__)

/* run.c: record_hdr: records an issue lag in the calling thread's histogram. */
void lg__hdr_issued(lg__pass *p, int64_t lag_ns);

/* Per-pass issue state: the sample picker and the samples buffer. */
typedef struct lg__issuer {
    lg__test *t;
    lg__pass *p;
    gsl_rng *index_rng;
    const uint64_t *set;   /* indices to pick from */
    uint64_t nset;
    uint64_t *perm;        /* performance_issue_unique, concatenated permutations: a
                              copy of set, shuffled again each time it is used up */
    uint64_t perm_pos;
    uint64_t pos;          /* accuracy mode: next position in set */
    bool accuracy;
    bool warmup;           /* the warm-up pass: it ends at its duration whatever the
                              arrival pattern */
    bool concat;           /* sample_concatenate_permutation, in the timed pass: picks
                              from perm, and the pass ends on a whole number of sets */
    lg_sample *buf;
    size_t bufcap;
} lg__issuer;

/* The QSL index of the next sample, by the settings' rule. */
static inline uint64_t lg__pick_index(lg__issuer *is)
{
    const lg_settings *s = is->t->req;
    if (is->accuracy)
        return is->set[is->pos++];
    if (s->performance_issue_same)
        return is->set[s->performance_issue_same_index];
    /* The warm-up has no permutation of its own: it picks at random. */
    if ((s->performance_issue_unique || is->concat) && is->perm) {
        if (is->perm_pos == is->nset) {
            gsl_ran_shuffle(is->index_rng, is->perm, is->nset, sizeof *is->perm);
            is->perm_pos = 0;
        }
        return is->perm[is->perm_pos++];
    }
    return is->set[gsl_rng_uniform_int(is->index_rng, is->nset)];
}

/* The minimum count of a performance pass is met after q queries: min_query_count, and
 * with concatenated permutations a whole number of loaded sets (MLPerf's equal issue
 * pads its minimum to a multiple of the set, and adds a set at a time while the
 * minimum duration is not met). */
static inline bool lg__count_met(const lg__issuer *is, uint64_t q)
{
    return q >= is->t->eff.min_query_count && (!is->concat || q % is->nset == 0);
}

/* Fills the record of the next sample and its lg_sample. Returns false when the record
 * store is full or out of memory (then call lg__out_of_records). */
static inline bool lg__prepare(lg__issuer *is, lg_sample *out, int64_t sched_ns,
                               uint64_t index)
{
    lg__pass *p = is->p;
    uint64_t seq = p->store.count;
    lg__rec *rec = lg__store_get(&p->store, seq);
    if (!rec)
        return false;
    p->store.count++;
    rec->scheduled_ns = sched_ns;
    rec->index = (uint32_t)index;
    out->id = (p->tag << LG__SEQ_BITS) | seq;
    out->index = index;
    return true;
}

/* Marks n prepared samples issued at now and hands them to the SUT as one query. */
static inline void lg__issue(lg__issuer *is, const lg_sample *s, size_t n, int64_t now)
{
    lg__pass *p = is->p;
    for (size_t i = 0; i < n; i++) {
        lg__rec *rec = lg__store_at(&p->store, s[i].id & LG__SEQ_MASK);
        if (p->hdr)
            lg__hdr_issued(p, now - rec->scheduled_ns);
        atomic_store_explicit(&rec->issued_ns, now, memory_order_release);
    }
    p->queries++;
    atomic_store_explicit(&p->samples,
                          atomic_load_explicit(&p->samples, memory_order_relaxed) + n,
                          memory_order_relaxed);
    is->t->sut->issue(is->t->sut->ctx, s, n);
}

/* ---------------------------------------------------------------- issue threads */

/* Why several Server issue threads stopped (lg__mt.stop, the first reason wins; the
 * ends every thread reaches on its own, the schedule's and max_query_count, are no stop
 * reasons: each thread issues its share up to them). */
enum { LG__STOP_NONE, LG__STOP_ABORT, LG__STOP_MAX_DURATION, LG__STOP_ASYNC,
       LG__STOP_RECORDS };

/* A block of LG_ISSUE_BLOCK consecutive queries of the schedule, drawn for its thread:
 * each query's time and QSL sample. */
typedef struct lg__block {
    int64_t sched_ns[LG_ISSUE_BLOCK];
    uint64_t index[LG_ISSUE_BLOCK];
    uint64_t first; /* its first query (record) */
    uint32_t n;     /* its queries (fewer than LG_ISSUE_BLOCK only at the end) */
} lg__block;

/* Blocks drawn ahead for one thread at most: the slack between the threads (a thread
 * may fall this many of its blocks behind the others before they wait for it). */
#define LG__RING_BLOCKS 64

/* One of several Server issue threads (threads.c starts them, scenario.c's
 * lg__server_worker runs each). */
typedef struct lg__issue_worker {
    _Alignas(LG__CACHELINE) _Atomic uint64_t done; /* its blocks issued (ring slots
                                                      free again) */
    lg_sample *buf;     /* room for one issue call */
    uint64_t queries;   /* queries it issued */
    uint64_t end_seq;   /* 1 + the highest record it issued; 0: none */
} lg__issue_worker;

/* Why the schedule ended (lg__mt.gen_end). */
enum { LG__GEN_ON, LG__GEN_NATURAL, LG__GEN_MAX_QUERIES };

/* A Server pass issued by n threads. The schedule is drawn once, in order, a block of
 * LG_ISSUE_BLOCK queries at a time, by whichever thread needs a block not drawn yet
 * (under gen_lock): block b belongs to thread b mod n and waits in the ring until that
 * thread issues it. Query q is record q. */
typedef struct lg__mt {
    lg__issue_worker *w;
    unsigned n;
    lg__block *ring;        /* n * LG__RING_BLOCKS; block b in slot b mod that */
    /* The generator, touched under gen_lock only. */
    lg__issuer *is;         /* the pass's sample picker */
    lg_schedule *sch;
    uint64_t q;             /* queries drawn so far */
    int64_t prev_ns, next_ns; /* the last query drawn and the next one */
    _Alignas(LG__CACHELINE) _Atomic int gen_lock;
    _Alignas(LG__CACHELINE) _Atomic uint32_t gen_block; /* blocks drawn */
    _Atomic int gen_waiters;   /* a thread sleeps on gen_block */
    _Atomic int gen_end;       /* LG__GEN_*: no block from end_blocks on */
    _Atomic uint32_t end_blocks;
    _Alignas(LG__CACHELINE) _Atomic int stop; /* LG__STOP_*: the first thread that
                                                 stopped the pass */
    /* The stopping thread's figures for the log (written by it alone; read after every
     * thread ended). */
    unsigned stop_thread;
    uint64_t stop_outstanding;
    int64_t stop_ns;
} lg__mt;

/* scenario.c: thread k's share of a Server pass. */
void lg__server_worker(lg__mt *mt, unsigned k);
/* threads.c: runs the Server pass of is on the settings' issue threads (the LoadGen's
 * own, or the harness's registered ones); on return the pass's counts and records are
 * those of every thread. */
void lg__issue_threads_run(lg__issuer *is);
/* threads.c: lg_run_test's claim of the n registered threads, waiting up to wait_ms
 * for them: 0, or LG_EINVAL with lg_last_error naming both counts (the threads
 * registered then return LG_EINVAL). */
int lg__issue_threads_claim(unsigned n, uint64_t wait_ms);
/* threads.c: the end of the test the registered threads served: they return. */
void lg__issue_threads_release(void);
/* threads.c: whether a Server performance pass (or warm-up) of t is issued by several
 * threads (or by a registered one). */
bool lg__issue_threads_used(const lg__test *t);
/* run.c: the record of seq, its chunk allocated when needed; any thread at once (the
 * issue threads). NULL when past the store's budget or out of memory. */
lg__rec *lg__store_get_mt(lg__store *s, uint64_t seq);

/* run.c: lg_abort() was called. */
bool lg__stop_requested(void);
/* run.c: the limits that end a run early (abort; in performance mode max_query_count
 * and max_duration_ms), logged as errors and marked on the pass. True: stop issuing. */
bool lg__limits_hit(lg__issuer *is, int64_t now);
/* run.c: the record store gave no record: logs why and marks the pass. Returns false. */
bool lg__out_of_records(lg__issuer *is);
/* run.c: waits until rec completes or the deadline passes; false (the record marked
 * timed out) on timeout. */
bool lg__wait_rec(lg__test *t, lg__rec *rec, int64_t deadline_ns);
/* A query in flight in a closed loop (concurrency > 1): its samples are the records
 * first .. first + n - 1 of the pass; deadline_ns is when they time out. */
typedef struct lg__slot {
    uint64_t first;
    uint64_t n;
    int64_t deadline_ns;
} lg__slot;
/* run.c: waits until one of the n queries in slots has settled (every sample completed
 * or timed out) and returns its index. The query with the earliest deadline, once it
 * passed, has its outstanding samples marked timed out and settles so. */
size_t lg__wait_any(lg__test *t, const lg__slot *slots, size_t n);
/* run.c: sleeps until the absolute monotonic time t (ends early on lg_abort). */
void lg__sleep_until(int64_t t, int64_t spin_ns);
/* run.c: samples of pass p issued and not completed yet. */
uint64_t lg__outstanding(const lg__pass *p);
/* run.c: a seeded mt19937 using all 64 bits of an MLPerf seed; NULL when out of memory. */
gsl_rng *lg__rng_new(uint64_t seed);
/* run.c: CLOCK_REALTIME in ns. */
int64_t lg__wall_ns(void);

#endif /* LOADGEN_ISSUE_H */
