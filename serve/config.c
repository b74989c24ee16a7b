/* serve/config.c: the configuration's defaults and checks, the seeded draws (service
 * times, output lengths, faults), names, and the counters as the program prints them. */
#include <arpa/inet.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "serve/internal.h"

void serve_config_default(serve_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->threads = 1;
    cfg->seed = 1;
    cfg->max_request_bytes = 16u << 20;
    cfg->model = "model";
    cfg->len_dist = SERVE_LEN_MAX_TOKENS;
    cfg->default_max_tokens = 16;
    cfg->fail_status = 500;
    cfg->retry_after_s = 1;
    cfg->fault_after = 1;
    cfg->oversize_bytes = 8u << 20;
}

#define FAIL(...)                                                                         \
    do {                                                                                  \
        if (err && elen)                                                                  \
            snprintf(err, elen, __VA_ARGS__);                                             \
        return -EINVAL;                                                                   \
    } while (0)

int serve_config_check(const serve_config *cfg, char *err, size_t elen)
{
    struct in_addr a;
    if (!cfg)
        FAIL("no configuration");
    if (!cfg->host || inet_pton(AF_INET, cfg->host, &a) != 1)
        FAIL("host: '%s' is not a numeric IPv4 address", cfg->host ? cfg->host : "(null)");
    if (cfg->threads < 1 || cfg->threads > 256)
        FAIL("threads: %u is out of range [1, 256]", cfg->threads);
    if (cfg->max_request_bytes < 1024 || cfg->max_request_bytes > (1ull << 30))
        FAIL("max_request_bytes: %zu is out of range [1024, 2^30]", cfg->max_request_bytes);
    if (cfg->api_key && (!cfg->api_key[0] || strlen(cfg->api_key) > 4096 ||
                         strpbrk(cfg->api_key, " \t\r\n")))
        FAIL("api_key: empty, longer than 4096 characters, or holding a space or line break");
    if (!cfg->model || !cfg->model[0] || strlen(cfg->model) > 128 ||
        strpbrk(cfg->model, "/\"\\ ?#%"))
        FAIL("model: '%s' must be 1 to 128 characters without / \" \\ space ? # %%",
             cfg->model ? cfg->model : "(null)");
    if (cfg->output_elems > (1ull << 26))
        FAIL("output_elems: %llu is out of range [0, 2^26]",
             (unsigned long long)cfg->output_elems);
    if (!(cfg->service_us >= 0 && cfg->service_us <= 60e6))
        FAIL("service_us: %g is out of range [0, 6e7]", cfg->service_us);
    if (!(cfg->ttft_ms >= 0 && cfg->ttft_ms <= 600e3))
        FAIL("ttft_ms: %g is out of range [0, 6e5]", cfg->ttft_ms);
    if (!(cfg->tpot_ms >= 0 && cfg->tpot_ms <= 60e3))
        FAIL("tpot_ms: %g is out of range [0, 6e4]", cfg->tpot_ms);
    switch (cfg->len_dist) {
    case SERVE_LEN_MAX_TOKENS:
        break;
    case SERVE_LEN_FIXED:
        if (cfg->len_a < 1 || cfg->len_a > 1000000)
            FAIL("output tokens: %llu is out of range [1, 1e6]",
                 (unsigned long long)cfg->len_a);
        break;
    case SERVE_LEN_UNIFORM:
        if (cfg->len_a < 1 || cfg->len_b < cfg->len_a || cfg->len_b > 1000000)
            FAIL("output tokens: uniform [%llu, %llu] needs 1 <= MIN <= MAX <= 1e6",
                 (unsigned long long)cfg->len_a, (unsigned long long)cfg->len_b);
        break;
    case SERVE_LEN_LOGNORMAL:
        if (!(cfg->len_mean >= 1 && cfg->len_mean <= 1e6) ||
            !(cfg->len_sigma >= 0 && cfg->len_sigma <= 4))
            FAIL("output tokens: lognormal mean %g sigma %g needs mean in [1, 1e6] and "
                 "sigma in [0, 4]", cfg->len_mean, cfg->len_sigma);
        break;
    default:
        FAIL("len_dist: unknown distribution %d", (int)cfg->len_dist);
    }
    if (cfg->default_max_tokens < 1 || cfg->default_max_tokens > 1000000)
        FAIL("default_max_tokens: %llu is out of range [1, 1e6]",
             (unsigned long long)cfg->default_max_tokens);
    double sum = 0;
    for (int f = 0; f < SERVE_FAULT_COUNT; f++) {
        double x = cfg->fault_fraction[f];
        if (!(x >= 0 && x <= 1))
            FAIL("%s fraction: %g is out of range [0, 1]", serve_fault_name(f), x);
        sum += x;
    }
    if (sum > 1 + 1e-9)
        FAIL("fault fractions: they add up to %g, more than 1", sum);
    if (cfg->fail_status < 400 || cfg->fail_status > 599)
        FAIL("fail_status: %d is out of range [400, 599]", cfg->fail_status);
    if (cfg->retry_after_s > 86400)
        FAIL("retry_after_s: %u is out of range [0, 86400]", cfg->retry_after_s);
    if (cfg->fault_after > 1000000)
        FAIL("fault_after: %llu is out of range [0, 1e6]",
             (unsigned long long)cfg->fault_after);
    if (cfg->oversize_bytes < 1 || cfg->oversize_bytes > (1ull << 30))
        FAIL("oversize_bytes: %zu is out of range [1, 2^30]", cfg->oversize_bytes);
    return 0;
}

/* ---------------------------------------------------------------- draws */

serve_fault serve_draw_fault(worker *w)
{
    const double *fr = w->cfg->fault_fraction;
    double any = 0;
    for (int f = 0; f < SERVE_FAULT_COUNT; f++)
        any += fr[f];
    if (any <= 0)
        return SERVE_FAULT_COUNT;
    double u = gsl_rng_uniform(w->rng), acc = 0;
    for (int f = 0; f < SERVE_FAULT_COUNT; f++) {
        acc += fr[f];
        if (u < acc)
            return (serve_fault)f;
    }
    return SERVE_FAULT_COUNT;
}

uint64_t serve_draw_service_ns(worker *w)
{
    double us = w->cfg->service_us;
    if (us <= 0)
        return 0;
    if (w->cfg->service_exponential)
        us = gsl_ran_exponential(w->rng, us);
    return (uint64_t)llround(us * 1e3);
}

uint64_t serve_draw_length(worker *w)
{
    const serve_config *c = w->cfg;
    switch (c->len_dist) {
    case SERVE_LEN_FIXED:
        return c->len_a;
    case SERVE_LEN_UNIFORM:
        return c->len_a + gsl_rng_uniform_int(w->rng, (unsigned long)(c->len_b - c->len_a + 1));
    case SERVE_LEN_LOGNORMAL: {
        /* The underlying normal's mean chosen so that the lognormal's mean is len_mean. */
        double mu = log(c->len_mean) - c->len_sigma * c->len_sigma / 2;
        double x = llround(gsl_ran_lognormal(w->rng, mu, c->len_sigma));
        return x < 1 ? 1 : x > 1e6 ? 1000000 : (uint64_t)x;
    }
    default:
        return c->default_max_tokens;
    }
}

/* ---------------------------------------------------------------- names and printing */

const char *serve_endpoint_name(serve_endpoint ep)
{
    static const char *const names[SERVE_EP_COUNT] = {
        "GET /v2/health/live", "GET /v2/health/ready", "GET /v2",
        "GET /v2/models/{m}/ready", "GET /v2/models/{m}", "POST /v2/models/{m}/infer",
        "POST /v1/completions", "POST /v1/chat/completions", "GET /v1/models", "other"};
    return (unsigned)ep < SERVE_EP_COUNT ? names[ep] : "?";
}

const char *serve_fault_name(serve_fault f)
{
    static const char *const names[SERVE_FAULT_COUNT] = {
        "error", "throttle", "reset", "stall", "malformed-json", "malformed-sse",
        "truncate", "oversize"};
    return (unsigned)f < SERVE_FAULT_COUNT ? names[f] : "?";
}

void serve_stats_print(const serve_stats *st, FILE *f)
{
    uint64_t total = 0;
    for (int e = 0; e < SERVE_EP_COUNT; e++)
        for (int k = 0; k < SERVE_STATUS_SLOTS; k++)
            total += st->requests[e][k];
    fprintf(f, "requests: %llu answered on %llu connections\n", (unsigned long long)total,
            (unsigned long long)st->connections);
    for (int e = 0; e < SERVE_EP_COUNT; e++)
        for (int k = 0; k < SERVE_STATUS_SLOTS; k++)
            if (st->requests[e][k])
                fprintf(f, "  %-28s %d  %llu\n", serve_endpoint_name(e),
                        k + SERVE_STATUS_MIN, (unsigned long long)st->requests[e][k]);
    fprintf(f, "tokens sent: %llu\n", (unsigned long long)st->tokens);
    fprintf(f, "streams started: %llu\n", (unsigned long long)st->streams);
    fprintf(f, "bytes sent: %llu\n", (unsigned long long)st->bytes_out);
    uint64_t nf = 0;
    for (int i = 0; i < SERVE_FAULT_COUNT; i++)
        nf += st->faults[i];
    fprintf(f, "faults injected: %llu\n", (unsigned long long)nf);
    for (int i = 0; i < SERVE_FAULT_COUNT; i++)
        if (st->faults[i])
            fprintf(f, "  %-16s %llu\n", serve_fault_name(i), (unsigned long long)st->faults[i]);
}
