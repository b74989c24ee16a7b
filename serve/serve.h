/* serve/serve.h: a test server to measure network SUTs against: HTTP/1.1 on 127.0.0.1
 * (or any address), KServe v2 REST (JSON and binary tensors) and OpenAI-compatible
 * completions (plain and streamed as server-sent events), with seeded timing (time to
 * first token, time per output token, service time) and injected faults. Every delay is
 * a timer in an epoll loop, one loop per worker thread, so thousands of slow requests can
 * be in flight on a few threads. docs/serve.md describes the endpoints, the timing model
 * and each fault.
 *
 * A leaf module: it uses stats/ (seeded generators), libc and pthreads only. */
#ifndef SERVE_SERVE_H
#define SERVE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many output tokens an OpenAI request gets when the request does not fix them. */
typedef enum serve_len_dist {
    SERVE_LEN_MAX_TOKENS, /* the request's max_tokens, else default_max_tokens */
    SERVE_LEN_FIXED,      /* len_a tokens */
    SERVE_LEN_UNIFORM,    /* uniform integer in [len_a, len_b] */
    SERVE_LEN_LOGNORMAL,  /* lognormal with mean len_mean and log-sd len_sigma, >= 1 */
} serve_len_dist;

/* The faults, in the order their fractions are laid out on [0, 1) when a request draws
 * one (docs/serve.md: what each does to a stream and to a plain response). */
typedef enum serve_fault {
    SERVE_FAULT_ERROR,          /* a response with fail_status and an error JSON */
    SERVE_FAULT_THROTTLE,       /* 429 with Retry-After: retry_after_s */
    SERVE_FAULT_RESET,          /* the connection reset (RST) after fault_after tokens */
    SERVE_FAULT_STALL,          /* nothing more sent after fault_after tokens; kept open */
    SERVE_FAULT_MALFORMED_JSON, /* a body (or a token chunk) whose JSON is cut short */
    SERVE_FAULT_MALFORMED_SSE,  /* a token event without "data: " and its blank line */
    SERVE_FAULT_TRUNCATE,       /* a stream ended after fault_after tokens, no [DONE] */
    SERVE_FAULT_OVERSIZE,       /* a response padded with oversize_bytes more bytes */
    SERVE_FAULT_COUNT
} serve_fault;

typedef struct serve_config {
    const char *host;          /* numeric IPv4 address to bind; default "127.0.0.1" */
    uint16_t port;             /* 0: any free port (serve_port tells which) */
    unsigned threads;          /* worker threads, one epoll loop each; 1 .. 256 */
    unsigned long seed;        /* every draw (lengths, times, faults) derives from it */
    size_t max_request_bytes;  /* request line + headers + body; 413 above; default 16 MiB */
    const char *model;         /* the one model served (KServe and OpenAI); "model" */
    const char *api_key;       /* NULL (default): no key; else every request but the
                                  health checks (/v2 and its live and ready) needs
                                  "Authorization: Bearer KEY", or is answered 401 */

    /* KServe v2: the output tensor. output_elems 0 echoes the first input (shape,
     * datatype, data); otherwise an FP32 tensor of shape [output_elems] of zeros. */
    uint64_t output_elems;
    double service_us;         /* service time of an infer request, us */
    bool service_exponential;  /* exponential with that mean, else constant */

    /* OpenAI: token timing and output length. */
    double ttft_ms;            /* first token this long after the request arrived */
    double tpot_ms;            /* each later token this long after the one before */
    serve_len_dist len_dist;
    uint64_t len_a, len_b;     /* FIXED: len_a; UNIFORM: [len_a, len_b] */
    double len_mean, len_sigma;/* LOGNORMAL */
    uint64_t default_max_tokens; /* SERVE_LEN_MAX_TOKENS without max_tokens: 16 */
    /* Streams never carry the usage event, whatever stream_options.include_usage asks:
     * a server that ignores it, whose clients must count the token events. Plain
     * answers keep their usage. Default false. */
    bool omit_usage_event;

    /* Faults: fraction of inference requests (infer, completions, chat) per fault; their
     * sum is at most 1. Health, metadata and model lists are never faulted. */
    double fault_fraction[SERVE_FAULT_COUNT];
    int fail_status;           /* SERVE_FAULT_ERROR's status, 400 .. 599; default 500 */
    unsigned retry_after_s;    /* SERVE_FAULT_THROTTLE's Retry-After; default 1 */
    uint64_t fault_after;      /* tokens sent before a reset, stall, truncation, or the
                                * malformed event; default 1 */
    size_t oversize_bytes;     /* SERVE_FAULT_OVERSIZE's padding; default 8 MiB */
} serve_config;

/* The endpoints the counters are kept for. */
typedef enum serve_endpoint {
    SERVE_EP_LIVE,        /* GET /v2/health/live */
    SERVE_EP_READY,       /* GET /v2/health/ready */
    SERVE_EP_SERVER_META, /* GET /v2 */
    SERVE_EP_MODEL_READY, /* GET /v2/models/{name}[/versions/{v}]/ready */
    SERVE_EP_MODEL_META,  /* GET /v2/models/{name}[/versions/{v}] */
    SERVE_EP_INFER,       /* POST /v2/models/{name}[/versions/{v}]/infer */
    SERVE_EP_COMPLETIONS, /* POST /v1/completions */
    SERVE_EP_CHAT,        /* POST /v1/chat/completions */
    SERVE_EP_MODELS,      /* GET /v1/models */
    SERVE_EP_OTHER,       /* anything else, and requests that could not be parsed */
    SERVE_EP_COUNT
} serve_endpoint;

/* Statuses counted per endpoint: 100 .. 599, index status - SERVE_STATUS_MIN. */
#define SERVE_STATUS_MIN 100
#define SERVE_STATUS_SLOTS 500

typedef struct serve_stats {
    uint64_t requests[SERVE_EP_COUNT][SERVE_STATUS_SLOTS]; /* by endpoint and status */
    uint64_t connections;      /* accepted */
    uint64_t tokens;           /* OpenAI output tokens sent (streamed or in a body) */
    uint64_t streams;          /* streamed responses started */
    uint64_t faults[SERVE_FAULT_COUNT]; /* injected */
    uint64_t bytes_out;        /* bytes written to sockets */
} serve_stats;

typedef struct serve_server serve_server;

/* The defaults above; host "127.0.0.1", port 0, 1 thread, seed 1, no delay, no fault. */
void serve_config_default(serve_config *cfg);

/* Checks cfg; returns 0, else -EINVAL with a message naming the field in err (when
 * err_len > 0). */
int serve_config_check(const serve_config *cfg, char *err, size_t err_len);

/* Binds, listens and starts cfg->threads worker threads; *out receives the server. The
 * configuration is copied (its strings too). Returns 0, -EINVAL for a bad configuration
 * (see serve_config_check), or -errno from socket/bind/listen/epoll/pthread_create (err
 * says which). */
int serve_start(const serve_config *cfg, serve_server **out, char *err, size_t err_len);

/* The port the server listens on (the one chosen when cfg->port was 0). */
uint16_t serve_port(const serve_server *srv);

/* The counters so far, summed over the threads (a consistent view per counter, not
 * across counters while requests are served). */
void serve_stats_get(const serve_server *srv, serve_stats *st);

/* Stops the threads, closes every connection (those still waiting or streaming are
 * closed as they are) and the listening sockets, and frees the server. NULL is a no-op. */
void serve_stop(serve_server *srv);

/* Names for messages and counters: "live", "infer", ..., and "error", "throttle", ... */
const char *serve_endpoint_name(serve_endpoint ep);
const char *serve_fault_name(serve_fault f);

/* Prints the counters as the program does when it stops: requests by endpoint and status,
 * tokens, streams, faults. */
void serve_stats_print(const serve_stats *st, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* SERVE_SERVE_H */
