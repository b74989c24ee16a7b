/* threads.c: several Server issue threads: the LoadGen's own, started for each pass, or
 * the harness's, registered with lg_register_issue_thread (MLPerf's
 * RegisterIssueQueryThread); the pass's counts and records put together after them.
 * The issue loop itself is scenario.c's lg__server_worker. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "loadgen/internal.h"
#include "loadgen/issue.h"

/* The registered threads. One test runs at a time in a process, so one registry: a
 * test claims the threads waiting (all of them, or none when their number is not the
 * one asked for), hands each pass to them and releases them at its end. Nothing here is
 * on the hot path: one lock per pass. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned waiting;    /* registered, not claimed yet */
    uint64_t claim_gen;  /* +1 when a test claims (or refuses) the waiting threads */
    int claim_rc;        /* that claim's verdict for them: 0 or LG_EINVAL */
    unsigned next_index; /* issue-thread numbers handed out in the claim */
    uint64_t claim_job;  /* job_gen at the claim */
    bool serving;        /* claimed threads serve the test until it is false */
    lg__mt *job;         /* the pass they issue */
    uint64_t job_gen;
    unsigned job_done;
    unsigned claimed;    /* threads of the test being served */
} R = {.mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t r_once = PTHREAD_ONCE_INIT;

/* A monotonic condition variable, so that the registration wait is not moved by a
 * change of the wall clock. */
static void r_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&R.cv, &a);
    pthread_condattr_destroy(&a);
}

int lg_register_issue_thread(void)
{
    pthread_once(&r_once, r_init);
    pthread_mutex_lock(&R.mu);
    uint64_t gen = R.claim_gen;
    R.waiting++;
    pthread_cond_broadcast(&R.cv);
    while (R.claim_gen == gen)
        pthread_cond_wait(&R.cv, &R.mu);
    int rc = R.claim_rc;
    if (rc) {
        pthread_mutex_unlock(&R.mu);
        return rc;
    }
    unsigned k = R.next_index++;
    uint64_t seen = R.claim_job;
    for (;;) {
        while (R.serving && R.job_gen == seen)
            pthread_cond_wait(&R.cv, &R.mu);
        if (R.job_gen == seen)
            break; /* the test ended */
        seen = R.job_gen;
        lg__mt *mt = R.job;
        pthread_mutex_unlock(&R.mu);
        /* Exact wake-ups for this thread too, as lg_run_test sets for its own. */
        int old_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
        prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
        if (k < mt->n)
            lg__server_worker(mt, k);
        if (old_slack > 0)
            prctl(PR_SET_TIMERSLACK, old_slack, 0, 0, 0);
        pthread_mutex_lock(&R.mu);
        R.job_done++;
        pthread_cond_broadcast(&R.cv);
    }
    pthread_mutex_unlock(&R.mu);
    return 0;
}

int lg__issue_threads_claim(unsigned n, uint64_t wait_ms)
{
    pthread_once(&r_once, r_init);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(wait_ms / 1000);
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&R.mu);
    while (R.waiting < n && pthread_cond_timedwait(&R.cv, &R.mu, &until) == 0)
        ;
    unsigned got = R.waiting;
    R.claim_rc = got == n ? 0 : LG_EINVAL;
    R.next_index = 0;
    R.claim_job = R.job_gen;
    R.serving = got == n;
    R.claimed = got == n ? n : 0;
    R.waiting = 0;
    R.claim_gen++;
    pthread_cond_broadcast(&R.cv);
    pthread_mutex_unlock(&R.mu);
    if (got != n) {
        lg__set_error("server_num_issue_query_threads = %u but %u threads called "
                      "lg_register_issue_thread within issue_thread_wait_ms = %llu "
                      "(server_issue_threads_registered: the harness brings the issue "
                      "threads)", n, got, (unsigned long long)wait_ms);
        return LG_EINVAL;
    }
    return 0;
}

void lg_release_issue_threads(void)
{
    pthread_once(&r_once, r_init);
    pthread_mutex_lock(&R.mu);
    if (R.waiting) {
        R.claim_rc = LG_EINVAL;
        R.waiting = 0;
        R.claim_gen++;
        pthread_cond_broadcast(&R.cv);
    }
    pthread_mutex_unlock(&R.mu);
}

void lg__issue_threads_release(void)
{
    pthread_once(&r_once, r_init);
    pthread_mutex_lock(&R.mu);
    R.serving = false;
    R.claimed = 0;
    pthread_cond_broadcast(&R.cv);
    pthread_mutex_unlock(&R.mu);
}

bool lg__issue_threads_used(const lg__test *t)
{
    return t->eff.scenario == LG_SERVER &&
           (t->req->server_num_issue_query_threads > 1 ||
            t->req->server_issue_threads_registered);
}

typedef struct own_thread {
    lg__mt *mt;
    unsigned k;
} own_thread;

static void *own_main(void *arg)
{
    own_thread *o = arg;
    lg__server_worker(o->mt, o->k);
    return NULL;
}

/* Runs the pass on registered threads: hands it over and waits until each is done. */
static void run_registered(lg__mt *mt)
{
    pthread_mutex_lock(&R.mu);
    R.job = mt;
    R.job_done = 0;
    R.job_gen++;
    pthread_cond_broadcast(&R.cv);
    while (R.job_done < R.claimed)
        pthread_cond_wait(&R.cv, &R.mu);
    pthread_mutex_unlock(&R.mu);
}

/* Runs the pass on threads of the LoadGen's own: this one is thread 0. A thread that
 * cannot be started stops the pass (out of resources), as a record that cannot be made
 * does. */
static void run_own(lg__mt *mt)
{
    pthread_t th[LG_MAX_ISSUE_THREADS];
    own_thread arg[LG_MAX_ISSUE_THREADS];
    unsigned started = 0;
    for (unsigned k = 1; k < mt->n; k++) {
        arg[k] = (own_thread){mt, k};
        if (pthread_create(&th[k], NULL, own_main, &arg[k])) {
            int none = LG__STOP_NONE;
            if (atomic_compare_exchange_strong(&mt->stop, &none, LG__STOP_RECORDS))
                mt->stop_thread = k;
            break;
        }
        started = k;
    }
    lg__server_worker(mt, 0);
    for (unsigned k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
}

void lg__issue_threads_run(lg__issuer *is)
{
    lg__test *t = is->t;
    lg__pass *p = is->p;
    unsigned n = (unsigned)t->req->server_num_issue_query_threads;
    if (n < 1)
        n = 1;
    lg_schedule sch;
    lg__mt mt = {.n = n, .is = is, .sch = &sch};
    bool sch_ok = lg__schedule_init(&sch, t->req, false) == 0;
    mt.w = sch_ok ? aligned_alloc(LG__CACHELINE, n * sizeof *mt.w) : NULL;
    bool ok = mt.w != NULL;
    if (ok)
        memset(mt.w, 0, n * sizeof *mt.w);
    for (unsigned k = 0; ok && k < n; k++)
        ok = (mt.w[k].buf = malloc(is->bufcap * sizeof *mt.w[k].buf)) != NULL;
    if (ok)
        ok = (mt.ring = malloc((size_t)n * LG__RING_BLOCKS * sizeof *mt.ring)) != NULL;
    if (!ok) {
        ERROR(t, "error_runtime", "Ending early: out of memory for %u issue threads", n);
        lg__set_error("out of memory for %u issue threads", n);
        p->ended_oom = true;
        goto out;
    }
    if (t->req->server_issue_threads_registered)
        run_registered(&mt);
    else
        run_own(&mt);

    /* The pass as one thread leaves it: the counts summed, the records up to the last
     * one issued (gaps, where the threads stopped at different points, are closed up
     * after the pass), and why it ended. */
    uint64_t end = 0, queries = 0;
    for (unsigned k = 0; k < n; k++) {
        const lg__issue_worker *w = &mt.w[k];
        if (w->end_seq > end)
            end = w->end_seq;
        queries += w->queries;
    }
    int gen_end = atomic_load(&mt.gen_end);
    bool natural = gen_end == LG__GEN_NATURAL, maxq = gen_end == LG__GEN_MAX_QUERIES;
    p->queries += queries;
    p->store.count = end;
    p->store.nchunks = end ? ((end - 1) >> LG__CHUNK_BITS) + 1 : 0;
    p->has_holes = end != queries;
    int stop = atomic_load(&mt.stop);
    p->ended_naturally = natural && stop == LG__STOP_NONE;
    if (maxq && stop == LG__STOP_NONE) {
        ERROR(t, "error_runtime", "IssueQueryThread 0 Ending early: Max query count "
              "reached. query_count %llu", (unsigned long long)p->queries);
        p->ended_max_queries = true;
    }
    switch (stop) {
    case LG__STOP_ABORT:
        ERROR(t, "error_runtime", "Ending early: the test was aborted after %llu queries",
              (unsigned long long)p->queries);
        p->ended_abort = true;
        break;
    case LG__STOP_MAX_DURATION:
        ERROR(t, "error_runtime", "IssueQueryThread %u Ending early: Max test duration "
              "reached. duration_ns %lld", mt.stop_thread, (long long)mt.stop_ns);
        p->ended_max_duration = true;
        break;
    case LG__STOP_ASYNC:
        ERROR(t, "error_runtime", "IssueQueryThread %u Ending early: Too many outstanding "
              "queries. issued %llu outstanding %llu", mt.stop_thread,
              (unsigned long long)p->queries, (unsigned long long)mt.stop_outstanding);
        p->ended_async = true;
        break;
    case LG__STOP_RECORDS:
        lg__out_of_records(is);
        break;
    default:
        break;
    }
out:
    for (unsigned k = 0; mt.w && k < n; k++)
        free(mt.w[k].buf);
    free(mt.w);
    free(mt.ring);
    if (sch_ok)
        lg__schedule_fini(&sch);
}
