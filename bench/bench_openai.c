/* bench_openai.c: the cost per chunk of reading an OpenAI stream on one core, the figure
 * behind net/openai_msg.c's choice of scanner: a client at 50,000 requests/s of 16
 * chunks reads 800,000 chunks a second.
 *
 * Usage: bench_openai [reps]   (default 7 repetitions of each case, about 10 s)
 *
 * Cases, on chunks shaped as vLLM sends them (a 33-character model name, an id, a
 * created time, logprobs and finish_reason null; chat deltas, completions text):
 *   scanner_chat, scanner_compl   net_oai_parse of one chunk
 *   jansson_chat, jansson_compl   json_loadb + the same lookups (text, its length,
 *                                 finish_reason, usage) + json_decref
 *   sse_event                     net_sse_feed of a whole response (16 token events,
 *                                 the usage event, [DONE]) fed 1,400 bytes at a time
 *                                 (one TCP segment), per event
 *   stream_chat                   sse_event and net_oai_parse of each event together,
 *                                 per event: what the client spends in parsing
 *   hist_record                   stats_hist_record of one gap
 *   build_chat_1k                 net_oai_build of a chat body with a 1 KiB prompt
 * Prints one line per case: the median ns per operation over the repetitions, with the
 * minimum and maximum. docs/http.md holds the figures measured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "net/openai_msg.h"
#include "net/sse.h"
#include "stats/stats.h"

#define CHAT_CHUNK                                                                       \
    "{\"id\":\"chatcmpl-9d1c0a3e6f2b4f0c8a7e5d3b1f9c7a5e\",\"object\":"                    \
    "\"chat.completion.chunk\",\"created\":1718000000,\"model\":"                          \
    "\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,\"delta\":{"          \
    "\"content\":\" token\"},\"logprobs\":null,\"finish_reason\":null}]}"
#define COMPL_CHUNK                                                                      \
    "{\"id\":\"cmpl-9d1c0a3e6f2b4f0c8a7e5d3b1f9c7a5e\",\"object\":\"text_completion\","    \
    "\"created\":1718000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":"    \
    "[{\"index\":0,\"text\":\" token\",\"logprobs\":null,\"finish_reason\":null,"          \
    "\"stop_reason\":null}],\"usage\":null}"
#define USAGE_CHUNK                                                                      \
    "{\"id\":\"chatcmpl-9d1c0a3e6f2b4f0c8a7e5d3b1f9c7a5e\",\"object\":"                    \
    "\"chat.completion.chunk\",\"created\":1718000000,\"model\":"                          \
    "\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[],\"usage\":{\"prompt_tokens\":"    \
    "512,\"total_tokens\":528,\"completion_tokens\":16}}"

/* CPU time of this thread: the figures stay those of the code when other processes
 * share the cores. */
static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static volatile size_t sink;

static void scanner(const char *json, size_t n)
{
    net_oai_chunk c;
    if (net_oai_parse(json, n, &c) != 0)
        abort();
    sink += c.text_bytes + c.finish + c.completion_tokens;
}

static void jansson(const char *json, size_t n)
{
    json_t *j = json_loadb(json, n, 0, NULL);
    if (!j)
        abort();
    json_t *c0 = json_array_get(json_object_get(j, "choices"), 0);
    json_t *d = json_object_get(c0, "delta");
    json_t *t = d ? json_object_get(d, "content") : json_object_get(c0, "text");
    json_t *f = json_object_get(c0, "finish_reason");
    json_t *u = json_object_get(j, "usage");
    sink += json_string_length(t) + json_is_null(f) +
            (size_t)json_integer_value(json_object_get(u, "completion_tokens"));
    json_decref(j);
}

/* One response's event stream: 16 token events, the usage event, [DONE]. */
static char *make_stream(size_t *len)
{
    size_t cap = 18 * 400, n = 0;
    char *s = malloc(cap);
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(s + n, cap - n, "data: %s\n\n", CHAT_CHUNK);
    n += (size_t)snprintf(s + n, cap - n, "data: %s\n\ndata: [DONE]\n\n", USAGE_CHUNK);
    *len = n;
    return s;
}

static int on_event_count(void *ctx, const net_sse_event *e)
{
    (void)ctx;
    sink += e->data_len;
    return 0;
}

static int on_event_parse(void *ctx, const net_sse_event *e)
{
    (void)ctx;
    if (!e->done)
        scanner(e->data, e->data_len);
    return 0;
}

static void feed_stream(net_sse *p, const char *s, size_t n, net_sse_cb cb)
{
    net_sse_reset(p);
    for (size_t off = 0; off < n; off += 1400)
        if (net_sse_feed(p, s + off, n - off < 1400 ? n - off : 1400, cb, NULL) != 0)
            abort();
}

typedef enum kind { SCAN_CHAT, JANS_CHAT, SCAN_COMPL, JANS_COMPL, SSE, STREAM, HIST, BUILD,
                    NKIND } kind;
static const char *const names[NKIND] = {"scanner_chat", "jansson_chat", "scanner_compl",
                                         "jansson_compl", "sse_event", "stream_chat",
                                         "hist_record", "build_chat_1k"};

/* ns per operation of one repetition of case k. */
static double run(kind k, net_sse *p, const char *stream, size_t slen, stats_hist *h)
{
    static const char chat[] = CHAT_CHUNK, compl[] = COMPL_CHUNK;
    static char prompt[1024];
    static char body[2048];
    memset(prompt, 'x', sizeof prompt);
    net_oai_request r = {.endpoint = NET_OAI_CHAT, .model = "meta-llama/Llama-3.1-8B-Instruct",
                         .prompt = prompt, .prompt_len = sizeof prompt, .max_tokens = 16,
                         .stream = true};
    long iters = k == SSE || k == STREAM ? 20000 : k == HIST ? 20000000 : 300000;
    double ops = k == SSE || k == STREAM ? (double)iters * 18 : (double)iters;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        switch (k) {
        case SCAN_CHAT: scanner(chat, sizeof chat - 1); break;
        case SCAN_COMPL: scanner(compl, sizeof compl - 1); break;
        case JANS_CHAT: jansson(chat, sizeof chat - 1); break;
        case JANS_COMPL: jansson(compl, sizeof compl - 1); break;
        case SSE: feed_stream(p, stream, slen, on_event_count); break;
        case STREAM: feed_stream(p, stream, slen, on_event_parse); break;
        case HIST: stats_hist_record(h, 20000000 + (i & 0xfffff) * 37); break;
        case BUILD: {
            size_t len;
            if (net_oai_build(&r, body, sizeof body, &len) != 0)
                abort();
            sink += len;
            break;
        }
        default: break;
        }
    }
    return (now_ns() - t0) / ops;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 7;
    if (reps < 1 || reps > 100) {
        fprintf(stderr, "usage: bench_openai [reps (1-100)]\n");
        return 2;
    }
    size_t slen;
    char *stream = make_stream(&slen);
    net_sse p;
    net_sse_init(&p, 0);
    stats_hist *h = calloc(1, sizeof *h);
    double *t = malloc((size_t)reps * sizeof *t);
    for (kind k = 0; k < NKIND; k++) {
        for (int i = 0; i < reps; i++)
            t[i] = run(k, &p, stream, slen, h);
        qsort(t, (size_t)reps, sizeof *t, cmp);
        printf("bench_openai case=%s ns_per_op=%.1f min=%.1f max=%.1f\n", names[k],
               t[reps / 2], t[0], t[reps - 1]);
    }
    free(t);
    free(h);
    net_sse_free(&p);
    free(stream);
    return 0;
}
