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
