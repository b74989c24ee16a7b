/* builtin.c: the built-in SUTs: null (answers inside the issue call) and synthetic
 * (a worker pool with a seeded service-time distribution, sleeping or busy-waiting). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sut/sut.h"

/* ---------------------------------------------------------------- null */

static void null_issue(void *ctx, const lg_sample *samples, size_t n)
{
    (void)ctx;
    /* One completion call per sample, as a simple SUT would make them. */
    for (size_t i = 0; i < n; i++) {
        lg_response r = {.id = samples[i].id, .status = LG_STATUS_OK};
        lg_complete(&r, 1);
    }
}

lg_sut sut_null(void)
{
    lg_sut s = {.name = "null", .ctx = NULL, .issue = null_issue, .flush = NULL};
    return s;
}

/* ---------------------------------------------------------------- synthetic */

struct sut_synthetic {
    sut_synthetic_config cfg;
    char *name;
    sut_pool *pool;
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

static void synthetic_process(void *ctx, unsigned worker, const lg_sample *samples,
                              size_t n, lg_response *responses)
{
    sut_synthetic *s = ctx;
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
    sut_synthetic *s = calloc(1, sizeof *s);
    if (!s)
        return LG_ENOMEM;
    s->cfg = c;
    s->name = strdup(c.name ? c.name : "synthetic");
    s->rngs = calloc(c.workers, sizeof *s->rngs);
    s->out = calloc((size_t)c.workers * c.max_batch, sizeof *s->out);
    if (!s->name || !s->rngs || !s->out) {
        sut_synthetic_destroy(s);
        return LG_ENOMEM;
    }
    s->cfg.name = s->name;
    for (unsigned w = 0; w < c.workers; w++) {
        s->rngs[w] = gsl_rng_alloc(gsl_rng_mt19937);
        if (!s->rngs[w]) {
            sut_synthetic_destroy(s);
            return LG_ENOMEM;
        }
        gsl_rng_set(s->rngs[w], (unsigned long)(c.seed + w));
    }
    /* For a lognormal with E = exp(mu + sigma^2 / 2) equal to the requested mean. */
    double sg = c.lognormal_sigma;
    s->mu = c.mean_ns > 0 ? log((double)c.mean_ns) - sg * sg / 2 : -50.0;
    sut_pool_config pc = {.name = s->name, .process = synthetic_process, .ctx = s,
                          .workers = c.workers, .max_batch = c.max_batch};
    int rc = sut_pool_create(&pc, &s->pool);
    if (rc) {
        sut_synthetic_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

lg_sut sut_synthetic_sut(sut_synthetic *s)
{
    lg_sut sut = sut_pool_sut(s->pool);
    sut.name = s->name;
    return sut;
}

void sut_synthetic_destroy(sut_synthetic *s)
{
    if (!s)
        return;
    sut_pool_destroy(s->pool);
    if (s->rngs)
        for (unsigned w = 0; w < s->cfg.workers; w++)
            gsl_rng_free(s->rngs[w]);
    free(s->rngs);
    free(s->out);
    free(s->name);
    free(s);
}
