/* minimal.c: a small embedding of libloadgen with a SUT of its own: a queue that one
 * worker thread serves in order, a QSL with nothing to load, and a test of each MLPerf
 * scenario with its results read back.
 *
 * Usage: minimal [SingleStream|MultiStream|Server|Offline|all]   (default all)
 * Exit: 0 every run VALID, 1 a run INVALID, 2 usage, 3 lg_run_test failed.
 * Build: cc minimal.c $(pkg-config --cflags --libs loadgen) -o minimal */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <loadgen/loadgen.h>

/* About this much work per sample: a stand-in for inference (the worker spins). */
#define SERVICE_NS 10000

/* The toy SUT: issue() appends to a FIFO queue that grows as needed, and one worker
 * takes samples from its head, oldest first, and completes each one. A sample is never
 * dropped: when the queue cannot grow it is completed at once with a failure status,
 * which the LoadGen counts and reports. */
typedef struct toy {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lg_sample *q; /* ring buffer of cap entries; n of them from head on are queued */
    size_t cap, head, n;
    int stop;
} toy;

/* Makes room for one more sample; false when memory runs out. Called with t->mu held. */
static int toy_grow(toy *t)
{
    if (t->n < t->cap)
        return 1;
    size_t cap = t->cap ? 2 * t->cap : 1024;
    lg_sample *q = malloc(cap * sizeof *q);
    if (!q)
        return 0;
    for (size_t i = 0; i < t->n; i++) /* unwrap: the oldest sample goes first */
        q[i] = t->q[(t->head + i) % t->cap];
    free(t->q);
    t->q = q;
    t->cap = cap;
    t->head = 0;
    return 1;
}

static void toy_issue(void *ctx, const lg_sample *samples, size_t n)
{
    toy *t = ctx;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < n; i++) {
        if (!toy_grow(t)) {
            lg_response fail = {.id = samples[i].id, .status = ENOMEM};
            lg_complete(&fail, 1);
            continue;
        }
        t->q[(t->head + t->n) % t->cap] = samples[i];
        t->n++;
    }
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void *toy_worker(void *arg)
{
    toy *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->n && !t->stop)
            pthread_cond_wait(&t->cv, &t->mu);
        if (!t->n)
            break; /* stopped, and nothing left */
        lg_sample s = t->q[t->head];
        t->head = (t->head + 1) % t->cap;
        t->n--;
        pthread_mutex_unlock(&t->mu); /* issue() may append while this one is served */
        for (int64_t end = lg_now_ns() + SERVICE_NS; lg_now_ns() < end;)
            ;
        lg_response r = {.id = s.id, .data = &s.index, .size = sizeof s.index,
                         .status = LG_STATUS_OK};
        lg_complete(&r, 1);
        pthread_mutex_lock(&t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* One test of scenario sc; prints its outcome. Returns 0 VALID, 1 INVALID, 3 error. */
static int run_scenario(lg_scenario sc, toy *t)
{
    lg_sut sut = {.name = "toy", .ctx = t, .issue = toy_issue};
    lg_qsl qsl = {.name = "empty", .total_sample_count = 1024,
                  .performance_sample_count = 1024};
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.min_duration_ms = 500;
    /* The hints and the target: MLPerf's defaults are placeholders (a Server run at 1
     * query per second, an Offline query of one sample per second of the run). */
    s.single_stream_expected_latency_ns = SERVICE_NS;
    s.multi_stream_expected_latency_ns = 8.0 * SERVICE_NS;
    s.server_target_qps = 2000;
    s.offline_expected_qps = 1.5e9 / SERVICE_NS; /* above capacity: the query lasts long
                                                    enough for min_duration_ms */
    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, NULL, &r);
    if (rc) {
        fprintf(stderr, "minimal: %s: %s (%s)\n", lg_scenario_name(sc), lg_strerror(rc),
                lg_last_error());
        return 3;
    }
    printf("%-12s %s: %llu samples issued, %llu completed, %llu failed, %llu timed out; "
           "%s = %.6g %s\n", lg_scenario_name(sc), r.valid ? "VALID" : "INVALID",
           (unsigned long long)r.samples_issued, (unsigned long long)r.samples_completed,
           (unsigned long long)r.samples_failed, (unsigned long long)r.samples_timed_out,
           r.metric_name, r.metric, r.metric_unit);
    for (unsigned bit = 1; bit && r.invalid_reasons >= bit; bit <<= 1)
        if (r.invalid_reasons & bit)
            printf("  - %s\n", lg_invalid_reason_text(bit));
    return r.valid ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const lg_scenario all[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                      LG_OFFLINE};
    lg_scenario one;
    const char *arg = argc > 1 ? argv[1] : "all";
    int pick_all = !strcmp(arg, "all");
    if (argc > 2 || (!pick_all && lg_scenario_parse(arg, &one) != 0)) {
        fprintf(stderr, "usage: minimal [SingleStream|MultiStream|Server|Offline|all]\n");
        return 2;
    }

    toy t = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    if (pthread_create(&th, NULL, toy_worker, &t) != 0) {
        fprintf(stderr, "minimal: cannot start the worker thread\n");
        return 3;
    }
    int worst = 0;
    for (size_t i = 0; i < (pick_all ? 4u : 1u); i++) {
        int rc = run_scenario(pick_all ? all[i] : one, &t);
        worst = rc > worst ? rc : worst;
        if (rc == 3)
            break;
    }

    pthread_mutex_lock(&t.mu);
    t.stop = 1;
    pthread_cond_signal(&t.cv);
    pthread_mutex_unlock(&t.mu);
    pthread_join(th, NULL);
    free(t.q);
    return worst;
}
