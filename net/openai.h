/* net/openai.h: a SUT and a QSL that run an OpenAI-compatible LLM server (vLLM, SGLang,
 * TGI's OpenAI API, `loadgen serve`) over HTTP: POST {base}/completions or
 * {base}/chat/completions with the bodies of a JSON Lines prompt dataset (net/dataset.h),
 * plain or streamed as server-sent events. A streamed answer reports its first content
 * chunk with lg_first_token and completes with n_tokens taken from the usage the server
 * sends (stream_options.include_usage), else the count of content chunks; the gaps
 * between content chunks are pooled into an inter-token latency distribution
 * (docs/http.md). */
#ifndef NET_OPENAI_H
#define NET_OPENAI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"
#include "net/net.h"
#include "net/openai_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct net_openai_config {
    net_client_config client;   /* url (its path is the API's base, e.g. "/v1"), the
                                   connections, threads, timeouts; callbacks unused */
    const char *model;          /* the "model" of every request (required) */
    net_oai_endpoint api;       /* completions or chat */
    bool stream;                /* streamed answers (with include_usage) */
    const char *dataset;        /* a JSON Lines prompt file (required) */
    uint64_t default_max_tokens;/* for samples without max_tokens; 0: none sent */
    bool max_completion_tokens; /* chat: name it max_completion_tokens */
    size_t max_event_bytes;     /* one event's limit; 0: NET_SSE_DEFAULT_MAX */
    uint64_t total_samples;     /* at most this many of the dataset's samples (0: all) */
    uint64_t performance_samples; /* loaded at once (at most the total) */
} net_openai_config;

/* Defaults: the client's, completions, streamed, 256 loaded. */
void net_openai_config_default(net_openai_config *cfg);

typedef struct net_openai net_openai;

/* Reads the dataset (its bodies are built here), starts the client. Returns 0, or
 * -EINVAL / -ENOENT / -ENOMEM / -errno with err naming the file, line or field. */
int net_openai_create(const net_openai_config *cfg, net_openai **out, char *err,
                      size_t err_len);
/* The SUT and the QSL (load builds each sample's whole request, unload cancels what is
 * in flight and frees them); valid until net_openai_destroy. */
lg_sut net_openai_sut(net_openai *o);
lg_qsl net_openai_qsl(net_openai *o);
net_client *net_openai_client(net_openai *o);

/* What the streams said, summed over the I/O threads: read after the run. */
typedef struct net_openai_stats {
    uint64_t completed;          /* samples answered 200 in full */
    uint64_t tokens_from_usage;  /* samples whose n_tokens came from usage */
    uint64_t tokens_from_chunks; /* samples whose n_tokens is the content chunk count */
    uint64_t output_tokens;      /* the sum of their n_tokens */
    uint64_t content_chunks;     /* content chunks (or plain answers) seen */
    uint64_t bad_bodies;         /* answers refused (NET_EBODY) */
    net_hist_summary itl;        /* gaps between content chunks, pooled (ns) */
    net_hist_summary ttft_from_send; /* first content chunk - send (ns) */
} net_openai_stats;

/* Only after the run (or while nothing is in flight). */
void net_openai_stats_get(const net_openai *o, net_openai_stats *out);
/* The first failure in words ("HTTP 404: model 'x' not found", "the stream ended
 * without [DONE]"); "" when none. After the run. */
const char *net_openai_first_error(const net_openai *o);
/* Why the QSL's last load failed, or "". */
const char *net_openai_load_error(const net_openai *o);
void net_openai_destroy(net_openai *o);

/* The readiness gate: GET {base}/models until it answers 200, within timeout_ns.
 * Returns 0, else the last status seen with err naming the path and why. */
int net_openai_wait_ready(const net_url *url, int64_t timeout_ns, char *err,
                          size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* NET_OPENAI_H */
