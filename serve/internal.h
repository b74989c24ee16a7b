/* serve/internal.h: what the files of serve/ share: growable buffers, the JSON scanner,
 * connections and the responses the endpoint handlers hand to the event loop. */
#ifndef SERVE_INTERNAL_H
#define SERVE_INTERNAL_H

#include <gsl/gsl_rng.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/serve.h"

/* ---------------------------------------------------------------- buffers (json.c) */

/* A growable byte buffer; an allocation failure sets oom and drops later appends. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

bool sb_reserve(sbuf *b, size_t more);
void sb_put(sbuf *b, const void *data, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_u64(sbuf *b, uint64_t v);
void sb_hex(sbuf *b, uint64_t v);
void sb_zero(sbuf *b, size_t n);
/* A JSON string with its quotes, escaped (control characters, quote, backslash). */
void sb_json_str(sbuf *b, const char *s, size_t n);
void sb_free(sbuf *b);

/* ---------------------------------------------------------------- JSON scanner (json.c) */

/* A JSON value's text: [p, end). The scanner never allocates; it validates a document
 * once (js_check) and then walks it. */
typedef struct js {
    const char *p, *end;
} js;

/* Whether [p, p + n) is one well-formed JSON value (RFC 8259, depth at most 64),
 * optionally surrounded by white space. */
bool js_check(const char *p, size_t n, js *out);
/* The member `key` of object o (an exact match of the raw key text): true and *v when
 * found; false when o is not an object or has no such key. o must have passed js_check. */
bool js_get(js o, const char *key, js *v);
/* Iterates an array: *it starts as js_iter(arr); js_next gives each element. */
typedef struct js_it {
    const char *p, *end;
    bool first;
} js_it;
bool js_iter(js arr, js_it *it); /* false when arr is not an array */
bool js_next(js_it *it, js *elem);
bool js_is_str(js v);
bool js_is_obj(js v);
bool js_is_true(js v);
bool js_is_null(js v);
/* A non-negative integer (no fraction, no exponent, at most 2^63). */
bool js_u64(js v, uint64_t *out);
/* Whether the string value v equals s once unescaped (escapes compare unequal). */
bool js_str_eq(js v, const char *s);
/* Words in a string value (runs of non-white-space; \n, \t, \r count as space). */
uint64_t js_words(js v);

/* ---------------------------------------------------------------- connections (server.c) */

struct worker;

/* A response a handler decided, handed to conn_respond. */
typedef struct serve_resp {
    serve_endpoint ep;
    int status;
    const char *ctype;    /* Content-Type; NULL: none (empty body) */
    const char *extra;    /* more header lines, each ending "\r\n"; NULL: none */
    sbuf *body;           /* the worker's scratch body */
    size_t pad_at, pad_len; /* pad_len 'x' bytes inserted at body offset pad_at */
    serve_fault fault;    /* RESET, STALL, MALFORMED_JSON (body cut), TRUNCATE (half sent,
                           * then closed), OVERSIZE (counted); SERVE_FAULT_COUNT: none */
    uint64_t due_ns;      /* when to send it (monotonic ns); 0: now */
} serve_resp;

/* A streamed completion in progress (openai.c drives it). */
typedef struct serve_stream {
    bool chat, usage;
    uint64_t ntok, sent;  /* tokens to send, sent so far */
    uint64_t prompt_tokens;
    uint64_t t0_ns;       /* the request's arrival */
    uint64_t ttft_ns, tpot_ns;
    uint64_t fault_at;    /* the token index where the fault acts */
    serve_fault fault;
    bool finish_length;   /* finish_reason "length", else "stop" */
    uint64_t created;
    char id[48];
} serve_stream;

enum conn_phase {
    PH_IDLE,   /* reading and answering requests */
    PH_HELD,   /* a response waits for its time (held) */
    PH_STREAM, /* a stream sends its tokens on timers */
    PH_STALL,  /* a stalled response: nothing more is sent on this connection */
};

typedef struct conn {
    int fd;
    struct worker *w;
    struct conn *prev, *next;
    char *in;
    size_t in_off, in_len, in_cap; /* unparsed bytes are in[in_off, in_len) */
    sbuf out;
    size_t out_off;          /* bytes of out already written */
    size_t pad_at, pad_left; /* pad_left 'x' bytes go out at out offset pad_at */
    size_t heap_i;           /* position in the worker's timer heap; SIZE_MAX: none */
    uint64_t due;
    enum conn_phase phase;
    bool peer_eof, rd_full, closing, reset, sent_continue, close_after;
    sbuf held;               /* PH_HELD: the response bytes to send at `due` */
    size_t held_pad_at, held_pad_len, held_cut; /* held_cut: send only this much, close */
    serve_stream st;
} conn;

/* Per-thread counters: written by their thread only, read by serve_stats_get. */
typedef struct wstats {
    _Atomic uint64_t requests[SERVE_EP_COUNT][SERVE_STATUS_SLOTS];
    _Atomic uint64_t connections, tokens, streams, bytes_out;
    _Atomic uint64_t faults[SERVE_FAULT_COUNT];
} wstats;

#define CNT_ADD(x, n)                                                                     \
    atomic_store_explicit(&(x), atomic_load_explicit(&(x), memory_order_relaxed) + (n),   \
                          memory_order_relaxed)

typedef struct worker {
    struct serve_server *srv;
    const serve_config *cfg;
    unsigned index;
    pthread_t tid;
    bool started;
    int ep, lfd, tfd, spare_fd;
    gsl_rng *rng;
    conn **heap;
    size_t hn, hcap;
    uint64_t armed;          /* the deadline the timerfd is set to; 0: none */
    conn *conns;             /* every open connection */
    uint64_t seq;            /* numbers the responses' ids */
    sbuf body;               /* scratch for handlers */
    wstats *stats;
} worker;

uint64_t serve_now_ns(void);
/* Counts a status line sent for endpoint ep. */
void serve_count(worker *w, serve_endpoint ep, int status);
/* Sends (now or at r->due_ns) the response r describes, with its faults. */
void conn_respond(conn *c, const serve_resp *r);
/* A reply with a JSON error body {"error": msg} (KServe's form) or OpenAI's form. */
void conn_error(conn *c, serve_endpoint ep, int status, const char *msg, bool openai,
                const char *extra);
/* Answers an injected error or 429 fault f (counted) and returns true; false for any
 * other fault, which the caller applies. */
bool conn_error_fault(conn *c, serve_endpoint ep, serve_fault f, bool openai);
/* Starts the stream in c->st: the 200 header now, the tokens on timers. */
void conn_stream_start(conn *c);
/* Schedules c's timer at due (replacing any). */
void conn_timer_set(conn *c, uint64_t due);

/* The fault a request draws (SERVE_FAULT_COUNT: none), counted when it is applied. */
serve_fault serve_draw_fault(worker *w);
/* Seeded draws. */
uint64_t serve_draw_service_ns(worker *w);
uint64_t serve_draw_length(worker *w);

/* ---------------------------------------------------------------- handlers */

/* Answers one request on c (kserve.c, openai.c). body is the request's body; ihcl the
 * Inference-Header-Content-Length header (-1: absent). */
void kserve_handle(conn *c, bool get, bool post, const char *path, size_t plen,
                   const char *body, size_t blen, int64_t ihcl, uint64_t t0);
void openai_handle(conn *c, serve_endpoint ep, const char *body, size_t blen,
                   uint64_t t0);
void openai_models(conn *c);
/* Sends every token of c->st that is due by now; schedules the next or ends the stream. */
void openai_stream_step(conn *c, uint64_t now);

#endif /* SERVE_INTERNAL_H */
