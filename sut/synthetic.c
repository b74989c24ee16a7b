/* synthetic.c: the synthetic SUT: a worker pool with a seeded service-time
 * distribution, sleeping or busy-waiting, and injected faults (drops, failures, double
 * completions, stalls of the issue call). */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "stats/stats.h"
#include "sut/sut.h"

struct sut_synthetic {
    sut_synthetic_config cfg;
    char *name;
    sut_pool *pool;
    lg_sut pool_sut;
    gsl_rng **fault_rngs; /* one per worker, apart from the service-time draws */
    /* The next injected stall (0: not set yet); several issue threads may call issue()
     * at once, and one of them takes each stall. */
    _Atomic int64_t next_stall_ns;
    gsl_rng **rngs;    /* one per worker: workers never share a generator */
    uint32_t *out;     /* per worker, max_batch response words */
    double mu;         /* lognormal location giving the requested mean */
};

void sut_synthetic_default(sut_synthetic_config *c)
{
    memset(c, 0, sizeof *c);
    c->name = "synthetic";
    c->dist = SUT_DIST_EXPONENTIAL;
    c->mean_ns = 1000000;
    c->lognormal_sigma = 0.5;
    c->batch_cost = 0.25;
    c->workers = 4;
    c->max_batch = 1;
}

int sut_dist_parse(const char *name, sut_dist *out)
{
    static const char *names[] = {"constant", "exponential", "lognormal"};
    for (int i = 0; i < 3; i++)
        if (name && !strcasecmp(name, names[i])) {
            *out = (sut_dist)i;
            return 0;
        }
    return LG_EINVAL;
}

const char *sut_dist_name(sut_dist d)
{
    switch (d) {
    case SUT_DIST_CONSTANT: return "constant";
    case SUT_DIST_EXPONENTIAL: return "exponential";
    case SUT_DIST_LOGNORMAL: return "lognormal";
    }
    return "unknown";
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void wait_ns(int64_t ns, bool busy)
{
    if (ns <= 0)
        return;
    int64_t end = now_ns() + ns;
    if (!busy) {
        struct timespec ts = {(time_t)(end / 1000000000), (long)(end % 1000000000)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        return;
    }
    while (now_ns() < end)
        ;
}

/* Per-sample lengths: the batch's prefill (its longest prompt), the first tokens, then
 * its longest output's remaining tokens; each sample reports its own count. */
static void stream_lengths(sut_synthetic *s, const lg_sample *samples, size_t n,
                           lg_response *responses, int64_t sent)
{
    const sut_synthetic_config *c = &s->cfg;
    uint64_t most_in = 0, most_out = 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t row = samples[i].index % c->length_count;
        uint64_t in = c->input_tokens ? c->input_tokens[row] : 0;
        uint64_t out = c->output_tokens[row] ? c->output_tokens[row] : 1;
        most_in = in > most_in ? in : most_in;
        most_out = out > most_out ? out : most_out;
        responses[i].n_tokens = (int64_t)out;
        responses[i].sent_ns = sent;
    }
    wait_ns((int64_t)most_in * c->prefill_ns_per_token, c->busy_wait);
    lg_first_token(responses, n);
    wait_ns((int64_t)(most_out - 1) * c->tpot_ns, c->busy_wait);
}

static void synthetic_process(void *ctx, unsigned worker, const lg_sample *samples,
                              size_t n, lg_response *responses)
{
    sut_synthetic *s = ctx;
    int64_t sent = s->cfg.tokens || s->cfg.length_count ? now_ns() : 0;
    gsl_rng *r = s->rngs[worker];
    double mean = (double)s->cfg.mean_ns, draw;
    switch (s->cfg.dist) {
    case SUT_DIST_CONSTANT: draw = mean; break;
    case SUT_DIST_EXPONENTIAL: draw = gsl_ran_exponential(r, mean); break;
    default: draw = gsl_ran_lognormal(r, s->mu, s->cfg.lognormal_sigma); break;
    }
    draw *= 1.0 + s->cfg.batch_cost * (double)(n - 1);
    wait_ns((int64_t)draw, s->cfg.busy_wait);
    uint32_t *out = &s->out[(size_t)worker * s->cfg.max_batch];
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)samples[i].index;
        unsigned char *b = (unsigned char *)&out[i];
        b[0] = (unsigned char)v, b[1] = (unsigned char)(v >> 8);
        b[2] = (unsigned char)(v >> 16), b[3] = (unsigned char)(v >> 24);
        responses[i].data = &out[i];
        responses[i].size = sizeof out[i];
    }
    if (s->cfg.length_count) {
        stream_lengths(s, samples, n, responses, sent);
        return;
    }
    if (!s->cfg.tokens)
        return;
    /* The first token now (its data is the response's), the others tpot_ns apart. */
    for (size_t i = 0; i < n; i++)
        responses[i].sent_ns = sent;
    lg_first_token(responses, n);
    wait_ns((int64_t)(s->cfg.tokens - 1) * s->cfg.tpot_ns, s->cfg.busy_wait);
    for (size_t i = 0; i < n; i++)
        responses[i].n_tokens = (int64_t)s->cfg.tokens;
}

static bool has_faults(const sut_synthetic_config *c)
{
    return c->drop_fraction > 0 || c->fail_fraction > 0 || c->double_fraction > 0;
}

/* Applies the injected faults to a worker's completions: drops, failures, doubles. */
static void synthetic_complete(void *ctx, unsigned worker, const lg_response *responses,
                               size_t n)
{
    sut_synthetic *s = ctx;
    gsl_rng *r = s->fault_rngs[worker];
    double drop = s->cfg.drop_fraction, fail = drop + s->cfg.fail_fraction;
    double dbl = fail + s->cfg.double_fraction;
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        lg_response resp = responses[i];
        if (u < drop)
            continue;
        if (u < fail)
            resp.status = SUT_FAULT_STATUS;
        lg_complete(&resp, 1);
        if (u >= fail && u < dbl)
            lg_complete(&resp, 1);
    }
}

/* The issue call, with the injected stall: once every stall_every_ns it blocks for
 * stall_ns before handing the samples on, as a SUT with a slow enqueue would. */
static void synthetic_issue(void *ctx, const lg_sample *samples, size_t n)
{
    sut_synthetic *s = ctx;
    if (s->cfg.stall_ns > 0) {
        int64_t now = now_ns();
        int64_t next = atomic_load_explicit(&s->next_stall_ns, memory_order_relaxed);
        if (next == 0) {
            /* The first call sets it; a thread that loses the race reads the winner's. */
            int64_t first = now + s->cfg.stall_every_ns;
            if (atomic_compare_exchange_strong(&s->next_stall_ns, &next, first))
                next = first;
        }
        if (now >= next &&
            atomic_compare_exchange_strong(&s->next_stall_ns, &next, INT64_MAX)) {
            wait_ns(s->cfg.stall_ns, false);
            atomic_store_explicit(&s->next_stall_ns, now_ns() + s->cfg.stall_every_ns,
                                  memory_order_relaxed);
        }
    }
    s->pool_sut.issue(s->pool_sut.ctx, samples, n);
}

/* Per-sample lengths whose streams fit in a day: at most 1e9 tokens, prefill and
 * tokens within 86400 s. */
static bool lengths_ok(const sut_synthetic_config *c)
{
    const int64_t day_ns = INT64_C(86400000000000);
    if (!c->output_tokens || c->prefill_ns_per_token < 0 || c->tpot_ns < 0)
        return false;
    for (uint64_t i = 0; i < c->length_count; i++) {
        uint64_t out = c->output_tokens[i], in = c->input_tokens ? c->input_tokens[i] : 0;
        if (out > 1000000000 || in > 1000000000 ||
            (out > 1 && c->tpot_ns > day_ns / (int64_t)(out - 1)) ||
            (in > 0 && c->prefill_ns_per_token > day_ns / (int64_t)in))
            return false;
    }
    return true;
}

int sut_synthetic_create(const sut_synthetic_config *cfg, sut_synthetic **out)
{
    *out = NULL;
    sut_synthetic_config c;
    if (cfg)
        c = *cfg;
    else
        sut_synthetic_default(&c);
    if (c.workers == 0)
        c.workers = 4;
    if (c.max_batch == 0)
        c.max_batch = 1;
    if (c.mean_ns < 0 || c.workers > 256 || c.max_batch > 65536 ||
        (unsigned)c.dist > SUT_DIST_LOGNORMAL || !(c.batch_cost >= 0) ||
        (c.dist == SUT_DIST_LOGNORMAL && !(c.lognormal_sigma > 0 && c.lognormal_sigma < 10)))
        return LG_EINVAL;
    if (!(c.drop_fraction >= 0 && c.fail_fraction >= 0 && c.double_fraction >= 0) ||
        c.drop_fraction + c.fail_fraction + c.double_fraction > 1.0 || c.stall_ns < 0 ||
        c.stall_every_ns < 0)
        return LG_EINVAL;
    /* A token stream of at most a day: (tokens - 1) x tpot_ns must fit in int64. */
    if (c.tpot_ns < 0 || c.tokens > 1000000000 ||
        (c.tokens > 1 && c.tpot_ns > INT64_C(86400000000000) / (int64_t)(c.tokens - 1)))
        return LG_EINVAL;
    if (c.length_count && !lengths_ok(&c))
        return LG_EINVAL;
    if (c.stall_ns > 0 && c.stall_every_ns == 0)
        c.stall_every_ns = 1000000000;
    sut_synthetic *s = calloc(1, sizeof *s);
    if (!s)
        return LG_ENOMEM;
    s->cfg = c;
    s->name = strdup(c.name ? c.name : "synthetic");
    s->rngs = calloc(c.workers, sizeof *s->rngs);
    s->fault_rngs = calloc(c.workers, sizeof *s->fault_rngs);
    s->out = calloc((size_t)c.workers * c.max_batch, sizeof *s->out);
    if (!s->name || !s->rngs || !s->fault_rngs || !s->out) {
        sut_synthetic_destroy(s);
        return LG_ENOMEM;
    }
    s->cfg.name = s->name;
    for (unsigned w = 0; w < c.workers; w++) {
        s->rngs[w] = stats_rng_new((unsigned long)(c.seed + w));
        s->fault_rngs[w] = stats_rng_new((unsigned long)(c.seed + w) ^ 0x5bd1e995UL);
        if (!s->rngs[w] || !s->fault_rngs[w]) {
            sut_synthetic_destroy(s);
            return LG_ENOMEM;
        }
    }
    /* For a lognormal with E = exp(mu + sigma^2 / 2) equal to the requested mean. */
    double sg = c.lognormal_sigma;
    s->mu = c.mean_ns > 0 ? log((double)c.mean_ns) - sg * sg / 2 : -50.0;
    sut_pool_config pc = {.name = s->name, .process = synthetic_process, .ctx = s,
                          .complete = has_faults(&c) ? synthetic_complete : NULL,
                          .workers = c.workers, .max_batch = c.max_batch};
    int rc = sut_pool_create(&pc, &s->pool);
    if (rc) {
        sut_synthetic_destroy(s);
        return rc;
    }
    s->pool_sut = sut_pool_sut(s->pool);
    *out = s;
    return 0;
}

lg_sut sut_synthetic_sut(sut_synthetic *s)
{
    lg_sut sut = s->pool_sut;
    sut.name = s->name;
    if (s->cfg.stall_ns > 0) {
        sut.issue = synthetic_issue;
        sut.ctx = s;
    }
    return sut;
}

void sut_synthetic_destroy(sut_synthetic *s)
{
    if (!s)
        return;
    sut_pool_destroy(s->pool);
    for (unsigned w = 0; w < s->cfg.workers; w++) {
        if (s->rngs)
            stats_rng_free(s->rngs[w]);
        if (s->fault_rngs)
            stats_rng_free(s->fault_rngs[w]);
    }
    free(s->rngs);
    free(s->fault_rngs);
    free(s->out);
    free(s->name);
    free(s);
}
