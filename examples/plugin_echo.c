/* plugin_echo.c: a SUT in a shared library for `loadgen run --sut plugin:PATH.so`, and
 * the template to copy for your own (docs/plugins.md). It answers each sample with the
 * sample's bytes (or its index) after an optional service time, from worker threads fed
 * by a queue, as an asynchronous SUT does; it can also serve a small QSL of its own.
 *
 * Build: cc -std=c11 -O2 -fPIC -shared $(pkg-config --cflags loadgen) plugin_echo.c \
 *          -o plugin_echo.so       (`make` builds build/examples/plugin_echo.so)
 * Run:   loadgen run --sut plugin:./plugin_echo.so --sut-opt delay_us=200
 *
 * Options (--sut-opt KEY=VALUE):
 *   delay_us=U        service time of a batch, in microseconds (default 0)
 *   workers=N         worker threads, 1 to 64 (default 2)
 *   batch=N           samples a worker takes at once, at most, 1 to 4096 (default 1)
 *   echo=data|index   answer with the sample's bytes (default), or with its index as
 *                     8 little-endian bytes
 *   samples=N         serve a QSL of its own of N samples (default 0: the program's)
 *   performance=N     ... of which N are loaded for performance (default: N, at most
 *                     1024)
 * and, to show what the program does with a plugin that misbehaves (the tests use them):
 *   fail_create=1     create() fails as a plugin that cannot start would (exit 3)
 *   fail_load=1       the QSL's load() fails (the run is INVALID, exit 3)
 *   leak_thread=1     destroy() leaves a thread running (the program then keeps the
 *                     library loaded and warns) */
/* POSIX (clock_nanosleep), which -std=c11 alone hides. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sut/plugin.h>

#define MAX_WORKERS 64
#define MAX_BATCH 4096
/* "echo sample " and the largest index: the own QSL's bytes of a sample. */
#define SAMPLE_TEXT_BYTES 40

typedef struct echo_opts {
    uint64_t delay_us, workers, batch, samples, performance;
    bool echo_index, fail_create, fail_load, leak_thread;
} echo_opts;

/* The samples of one issue() call, in a FIFO of such jobs; workers take them from the
 * front, a batch at a time, so that one big Offline query feeds every worker. */
typedef struct job {
    struct job *next;
    size_t n, taken;
    lg_sample samples[];
} job;

struct echo;

/* One worker thread and its buffers, reused for every batch. */
typedef struct worker {
    struct echo *e;
    pthread_t thread;
    lg_sample *batch;
    lg_response *responses;
    unsigned char (*index_bytes)[8]; /* echo=index: each response's data */
} worker;

/* A sample of the plugin's own QSL: its bytes while loaded, and how many loads hold it. */
typedef struct slot {
    char *bytes;
    uint32_t loads;
} slot;

typedef struct echo {
    const lg_plugin_host *host;
    echo_opts opt;
    pthread_mutex_t mu; /* guards the queue and stop */
    pthread_cond_t cv;
    job *head, *tail;
    bool stop;
    worker workers[MAX_WORKERS];
    unsigned started;
    slot *qsl; /* samples=N: the own QSL's N samples; NULL: the program's QSL */
    pthread_t leaked;
    bool has_leaked;
} echo;

/* ---------------------------------------------------------------- options */

/* A whole number from lo to hi, digits only; LG_EINVAL with the message otherwise. */
static int parse_number(const char *key, const char *text, uint64_t lo, uint64_t hi,
                        uint64_t *out, char *err, size_t len)
{
    char *end;
    errno = 0;
    unsigned long long v = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
    if (text[0] < '0' || text[0] > '9' || errno || *end || v < lo || v > hi) {
        snprintf(err, len, "%s=%s: expected a whole number from %llu to %llu", key, text,
                 (unsigned long long)lo, (unsigned long long)hi);
        return LG_EINVAL;
    }
    *out = v;
    return 0;
}

static int parse_flag(const char *key, const char *text, bool *out, char *err, size_t len)
{
    if (strcmp(text, "0") && strcmp(text, "1")) {
        snprintf(err, len, "%s=%s: expected 0 or 1", key, text);
        return LG_EINVAL;
    }
    *out = text[0] == '1';
    return 0;
}

/* The options into o, defaults first. Returns 0 or LG_EINVAL with the message naming the
 * option and its value. */
static int parse_options(const lg_plugin_option *opts, size_t n, echo_opts *o, char *err,
                         size_t len)
{
    *o = (echo_opts){.workers = 2, .batch = 1};
    bool performance_given = false;
    for (size_t i = 0; i < n; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        int rc;
        if (!strcmp(k, "delay_us"))
            rc = parse_number(k, v, 0, 10000000, &o->delay_us, err, len);
        else if (!strcmp(k, "workers"))
            rc = parse_number(k, v, 1, MAX_WORKERS, &o->workers, err, len);
        else if (!strcmp(k, "batch"))
            rc = parse_number(k, v, 1, MAX_BATCH, &o->batch, err, len);
        else if (!strcmp(k, "samples"))
            rc = parse_number(k, v, 0, 1000000, &o->samples, err, len);
        else if (!strcmp(k, "performance")) {
            rc = parse_number(k, v, 1, 1000000, &o->performance, err, len);
            performance_given = true;
        } else if (!strcmp(k, "echo")) {
            rc = strcmp(v, "data") && strcmp(v, "index") ? LG_EINVAL : 0;
            if (rc)
                snprintf(err, len, "echo=%s: expected data or index", v);
            o->echo_index = !strcmp(v, "index");
        } else if (!strcmp(k, "fail_create"))
            rc = parse_flag(k, v, &o->fail_create, err, len);
        else if (!strcmp(k, "fail_load"))
            rc = parse_flag(k, v, &o->fail_load, err, len);
        else if (!strcmp(k, "leak_thread"))
            rc = parse_flag(k, v, &o->leak_thread, err, len);
        else {
            snprintf(err, len, "unknown option '%s' (known: delay_us, workers, batch, echo, "
                     "samples, performance, fail_create, fail_load, leak_thread)", k);
            rc = LG_EINVAL;
        }
        if (rc)
            return rc;
    }
    if (performance_given && (!o->samples || o->performance > o->samples)) {
        snprintf(err, len, "performance=%llu: needs samples=N with N >= %llu",
                 (unsigned long long)o->performance, (unsigned long long)o->performance);
        return LG_EINVAL;
    }
    if (!performance_given)
        o->performance = o->samples < 1024 ? o->samples : 1024;
    return 0;
}

/* ---------------------------------------------------------------- the SUT */

/* lg_plugin.issue, on the LoadGen's issue thread: queues a copy of the samples (they
 * are valid during the call only) and wakes the workers. Never blocks for long: the
 * LoadGen measures the time it spends here as issue lag. */
static void echo_issue(void *instance, const lg_sample *samples, size_t n)
{
    echo *e = instance;
    job *j = malloc(sizeof *j + n * sizeof *samples);
    if (!j) {
        /* No memory to queue them: each sample still completes, as a failure. */
        for (size_t i = 0; i < n; i++)
            lg_complete(&(lg_response){.id = samples[i].id, .status = ENOMEM}, 1);
        return;
    }
    j->next = NULL;
    j->n = n;
    j->taken = 0;
    memcpy(j->samples, samples, n * sizeof *samples);
    pthread_mutex_lock(&e->mu);
    if (e->tail)
        e->tail->next = j;
    else
        e->head = j;
    e->tail = j;
    pthread_mutex_unlock(&e->mu);
    if (n > 1)
        pthread_cond_broadcast(&e->cv);
    else
        pthread_cond_signal(&e->cv);
}

/* Waits for work and takes up to max samples from the front of the queue into out.
 * Returns how many, or 0 when the instance is stopping. */
static size_t take(echo *e, lg_sample *out, size_t max)
{
    pthread_mutex_lock(&e->mu);
    while (!e->head && !e->stop)
        pthread_cond_wait(&e->cv, &e->mu);
    size_t n = 0;
    while (!e->stop && e->head && n < max) {
        job *j = e->head;
        size_t k = j->n - j->taken < max - n ? j->n - j->taken : max - n;
        memcpy(out + n, j->samples + j->taken, k * sizeof *out);
        n += k;
        j->taken += k;
        if (j->taken == j->n) {
            e->head = j->next;
            if (!e->head)
                e->tail = NULL;
            free(j);
        }
    }
    pthread_mutex_unlock(&e->mu);
    return n;
}

/* Fills the response to sample s: its bytes, from the own QSL or the program's, or its
 * index. A sample that is not loaded (the LoadGen never issues one) fails with ENOENT. */
static void answer(const echo *e, const lg_sample *s, lg_response *r, unsigned char *idx8)
{
    *r = (lg_response){.id = s->id, .status = LG_STATUS_OK};
    if (e->opt.echo_index) {
        for (int b = 0; b < 8; b++)
            idx8[b] = (unsigned char)(s->index >> (8 * b));
        r->data = idx8;
        r->size = 8;
    } else if (e->qsl) {
        const char *bytes = s->index < e->opt.samples ? e->qsl[s->index].bytes : NULL;
        r->data = bytes;
        r->size = bytes ? strlen(bytes) : 0;
    } else {
        r->data = e->host->sample_data(e->host, s->index, &r->size);
    }
    if (!r->data)
        r->status = ENOENT;
}

/* Sleeps until lg_now_ns() reaches deadline_ns (the same clock, CLOCK_MONOTONIC). */
static void sleep_until(int64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = deadline_ns / 1000000000,
                          .tv_nsec = deadline_ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    echo *e = w->e;
    size_t n;
    while ((n = take(e, w->batch, e->opt.batch)) > 0) {
        if (e->opt.delay_us)
            sleep_until(lg_now_ns() + (int64_t)e->opt.delay_us * 1000);
        for (size_t i = 0; i < n; i++)
            answer(e, &w->batch[i], &w->responses[i], w->index_bytes[i]);
        /* lg_complete may be called from any thread; it copies what it keeps. */
        lg_complete(w->responses, n);
    }
    return NULL;
}

/* leak_thread=1: a thread destroy() does not stop. */
static void *idle_forever(void *arg)
{
    (void)arg;
    for (;;)
        sleep_until(lg_now_ns() + 1000000000);
    return NULL;
}

/* ---------------------------------------------------------------- the QSL */

static bool echo_own_qsl(void *instance, uint64_t *total, uint64_t *performance)
{
    echo *e = instance;
    *total = e->opt.samples;
    *performance = e->opt.performance;
    return e->qsl != NULL;
}

/* Loads each sample's bytes ("echo sample N"); a sample loaded twice is held twice. */
static int echo_load(void *instance, const uint64_t *indices, size_t n)
{
    echo *e = instance;
    if (e->opt.fail_load)
        return EIO;
    for (size_t i = 0; i < n; i++) {
        if (indices[i] >= e->opt.samples)
            return EINVAL;
        slot *s = &e->qsl[indices[i]];
        if (s->loads++ == 0) {
            if (!(s->bytes = malloc(SAMPLE_TEXT_BYTES)))
                return ENOMEM;
            snprintf(s->bytes, SAMPLE_TEXT_BYTES, "echo sample %llu",
                     (unsigned long long)indices[i]);
        }
    }
    return 0;
}

static int echo_unload(void *instance, const uint64_t *indices, size_t n)
{
    echo *e = instance;
    for (size_t i = 0; i < n; i++) {
        slot *s = indices[i] < e->opt.samples ? &e->qsl[indices[i]] : NULL;
        if (!s || !s->loads)
            return EINVAL;
        if (--s->loads == 0) {
            free(s->bytes);
            s->bytes = NULL;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- the instance */

static void echo_destroy(void *instance)
{
    echo *e = instance;
    pthread_mutex_lock(&e->mu);
    e->stop = true;
    pthread_mutex_unlock(&e->mu);
    pthread_cond_broadcast(&e->cv);
    for (unsigned i = 0; i < e->started; i++) {
        pthread_join(e->workers[i].thread, NULL);
        free(e->workers[i].batch);
        free(e->workers[i].responses);
        free(e->workers[i].index_bytes);
    }
    if (e->has_leaked)
        pthread_detach(e->leaked); /* on purpose: the program must notice */
    for (job *j = e->head, *next; j; j = next) { /* queued, never answered: dropped */
        next = j->next;
        free(j);
    }
    for (uint64_t i = 0; e->qsl && i < e->opt.samples; i++)
        free(e->qsl[i].bytes);
    free(e->qsl);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* Starts the workers, each with its buffers. Returns 0 or an errno value. */
static int start_workers(echo *e)
{
    for (unsigned i = 0; i < e->opt.workers; i++) {
        worker *w = &e->workers[i];
        w->e = e;
        w->batch = malloc(e->opt.batch * sizeof *w->batch);
        w->responses = malloc(e->opt.batch * sizeof *w->responses);
        w->index_bytes = malloc(e->opt.batch * sizeof *w->index_bytes);
        int rc = !w->batch || !w->responses || !w->index_bytes
                     ? ENOMEM
                     : pthread_create(&w->thread, NULL, worker_main, w);
        if (rc) {
            free(w->batch);
            free(w->responses);
            free(w->index_bytes);
            return rc;
        }
        e->started++;
    }
    if (e->opt.leak_thread && pthread_create(&e->leaked, NULL, idle_forever, NULL) == 0)
        e->has_leaked = true;
    return 0;
}

static int echo_create(const lg_plugin_host *host, const lg_plugin_option *options,
                       size_t noptions, void **instance, char *err, size_t err_len)
{
    echo_opts opt;
    int rc = parse_options(options, noptions, &opt, err, err_len);
    if (rc)
        return rc;
    if (opt.fail_create) {
        snprintf(err, err_len, "fail_create=1: failing on purpose, as a plugin whose "
                 "device cannot be opened would");
        return EIO;
    }
    echo *e = calloc(1, sizeof *e);
    if (!e || (opt.samples && !(e->qsl = calloc(opt.samples, sizeof *e->qsl)))) {
        free(e);
        snprintf(err, err_len, "out of memory");
        return ENOMEM;
    }
    e->host = host;
    e->opt = opt;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    if ((rc = start_workers(e))) {
        snprintf(err, err_len, "cannot start worker %u of %llu: %s", e->started + 1,
                 (unsigned long long)opt.workers, strerror(rc));
        echo_destroy(e);
        return rc;
    }
    *instance = e;
    return 0;
}

static void echo_describe(void *instance, char *buf, size_t len)
{
    const echo *e = instance;
    int n = snprintf(buf, len, "delay_us=%llu workers=%llu batch=%llu echo=%s",
                     (unsigned long long)e->opt.delay_us, (unsigned long long)e->opt.workers,
                     (unsigned long long)e->opt.batch, e->opt.echo_index ? "index" : "data");
    if (e->qsl && n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " samples=%llu performance=%llu",
                 (unsigned long long)e->opt.samples, (unsigned long long)e->opt.performance);
}

/* ---------------------------------------------------------------- the entry */

static const lg_plugin echo_plugin = {
    .struct_size = sizeof(lg_plugin),
    .abi_version = LG_PLUGIN_ABI_VERSION,
    .name = "echo",
    .version = "1.0",
    .create = echo_create,
    .destroy = echo_destroy,
    .issue = echo_issue,
    .flush = NULL, /* nothing is held back for batching */
    .own_qsl = echo_own_qsl,
    .load = echo_load,
    .unload = echo_unload,
    .describe = echo_describe,
};

const lg_plugin *loadgen_plugin_entry(void)
{
    return &echo_plugin;
}
