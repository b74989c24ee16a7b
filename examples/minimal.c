/* minimal.c: the smallest embedding of libloadgen: a SUT that answers on its own
 * thread, a QSL with nothing to load, one Server test, and the results struct read
 * back. Build: cc minimal.c $(pkg-config --cflags --libs loadgen) -o minimal */
#include <pthread.h>
#include <stdio.h>

#include <loadgen/loadgen.h>

/* A toy SUT: one thread takes each sample from a one-slot mailbox and completes it. */
typedef struct toy {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lg_sample pending[64];
    size_t n;
    int stop;
} toy;

static void toy_issue(void *ctx, const lg_sample *samples, size_t n)
{
    toy *t = ctx;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < n && t->n < 64; i++)
        t->pending[t->n++] = samples[i];
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void *toy_worker(void *arg)
{
    toy *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        while (t->n) {
            lg_sample s = t->pending[--t->n];
            lg_response r = {.id = s.id, .data = &s.index, .size = sizeof s.index,
                             .status = LG_STATUS_OK};
            lg_complete(&r, 1);
        }
        pthread_cond_wait(&t->cv, &t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int main(void)
{
    toy t = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    pthread_create(&th, NULL, toy_worker, &t);

    lg_sut sut = {.name = "toy", .ctx = &t, .issue = toy_issue};
    lg_qsl qsl = {.name = "empty", .total_sample_count = 100,
                  .performance_sample_count = 100};
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = 2000;
    s.min_duration_ms = 1000;

    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, NULL, &r);

    pthread_mutex_lock(&t.mu);
    t.stop = 1;
    pthread_cond_signal(&t.cv);
    pthread_mutex_unlock(&t.mu);
    pthread_join(th, NULL);

    if (rc) {
        fprintf(stderr, "lg_run_test: %s\n", lg_strerror(rc));
        return 3;
    }
    printf("%s: %.1f samples/s completed, p99 %.3f ms, %s\n", lg_scenario_name(r.scenario),
           r.completed_samples_per_sec, r.latency.p99_ns / 1e6, r.valid ? "VALID" : "INVALID");
    return r.valid ? 0 : 1;
}
