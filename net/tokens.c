/* net/tokens.c: token timing from chunk arrival times (net/tokens.h). */
#include "net/tokens.h"

void net_tok_start(net_tok_req *r, int64_t start_ns)
{
    r->start_ns = start_ns;
    r->first_ns = r->last_ns = -1;
    r->chunks = r->content_bytes = 0;
}

int64_t net_tok_chunk(net_tok_req *r, int64_t t_ns, size_t bytes, stats_hist *itl)
{
    r->chunks++;
    r->content_bytes += bytes;
    if (r->first_ns < 0) {
        r->first_ns = r->last_ns = t_ns;
        return -1;
    }
    int64_t gap = t_ns > r->last_ns ? t_ns - r->last_ns : 0;
    if (t_ns > r->last_ns)
        r->last_ns = t_ns;
    if (itl)
        stats_hist_record(itl, gap);
    return gap;
}

int64_t net_tok_ttft(const net_tok_req *r)
{
    return r->first_ns < 0 ? -1 : r->first_ns - r->start_ns;
}

int64_t net_tok_tpot(int64_t latency_ns, int64_t ttft_ns, uint64_t n_tokens)
{
    if (n_tokens < 2 || ttft_ns < 0 || latency_ns < ttft_ns)
        return -1;
    return (int64_t)((uint64_t)(latency_ns - ttft_ns) / (n_tokens - 1));
}

size_t net_tok_gaps(const int64_t *t, size_t n, int64_t *gaps)
{
    if (n < 2)
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        gaps[i] = t[i + 1] - t[i];
    return n - 1;
}
