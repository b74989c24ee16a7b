/* net/tokens.h: token timing of one streamed response, from the arrival times of its
 * chunks: the time to the first content chunk (TTFT), the gaps between consecutive
 * content chunks (inter-token latency, ITL, as vLLM's benchmark defines it: every gap,
 * pooled over all requests, not a per-request mean), and MLPerf's time per output token
 * (TPOT). A chunk counts when it carried generated text (net_oai_chunk.has_content): a
 * role-only first delta or a usage-only last chunk does not.
 *
 * The per-request record is fixed-size and the pooled ITL distribution is a stats_hist
 * (stats/stats.h, fixed memory, mergeable), so a run of any length records in bounded
 * memory. Times are int64_t nanoseconds of one clock (CLOCK_MONOTONIC in the client).
 * Thread safety: plain functions on caller-owned records; one record per request, one
 * histogram per thread, merged afterwards. */
#ifndef NET_TOKENS_H
#define NET_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "stats/stats.h"

typedef struct net_tok_req {
    int64_t start_ns;       /* when the request was sent */
    int64_t first_ns;       /* arrival of the first content chunk; -1 before it */
    int64_t last_ns;        /* arrival of the latest content chunk; -1 before it */
    uint64_t chunks;        /* content chunks so far */
    uint64_t content_bytes; /* their text's bytes, unescaped */
} net_tok_req;

/* Starts the record of a request sent at start_ns. */
void net_tok_start(net_tok_req *r, int64_t start_ns);

/*
 * A content chunk of `bytes` bytes arrived at t_ns. Returns its gap from the previous
 * content chunk (an ITL sample, recorded into itl when itl is not NULL), or -1 for the
 * first content chunk (whose time is the TTFT's end, not a gap). A chunk that arrives
 * before the one before it (a caller's clock error) gives a gap of 0.
 */
int64_t net_tok_chunk(net_tok_req *r, int64_t t_ns, size_t bytes, stats_hist *itl);

/* The time to the first content chunk, first_ns - start_ns, or -1 when none came. */
int64_t net_tok_ttft(const net_tok_req *r);

/*
 * MLPerf's time per output token: (latency - ttft) / (n_tokens - 1), in integers as the
 * official LoadGen divides. n_tokens is the response's token count: usage's
 * completion_tokens when the server sent it, else the content chunk count (one token a
 * chunk, which a server batching tokens into chunks breaks). Returns -1 when
 * n_tokens < 2 or ttft < 0 or latency < ttft.
 */
int64_t net_tok_tpot(int64_t latency_ns, int64_t ttft_ns, uint64_t n_tokens);

/*
 * The n - 1 gaps between n arrival times (ascending, not checked), written to gaps;
 * returns n - 1 (0 when n < 2). The array form of net_tok_chunk for tests and offline
 * analysis. gaps may be t itself (each gap is written after both its times are read).
 */
size_t net_tok_gaps(const int64_t *t, size_t n, int64_t *gaps);

#endif /* NET_TOKENS_H */
