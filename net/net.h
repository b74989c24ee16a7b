/* net/net.h: the HTTP/1.1 client the network SUTs are built on (docs/http.md). A fixed
 * pool of keep-alive connections spread over 1..T I/O threads, each an epoll loop;
 * requests handed over without locks (one lock-free ring per I/O thread and an eventfd
 * that wakes its loop only when it sleeps); an incremental response parser (status
 * line, headers, Content-Length, chunked transfer-encoding, keep-alive and close, a
 * response-size limit) that hands the body to the caller as it arrives; a deadline per
 * request; reconnection; transport errors as failure statuses that name them.
 *
 * The client knows nothing of the LoadGen's schedule: a SUT (net/kserve.h, ...) turns
 * lg_sut.issue into net_submit and each on_done into lg_complete. No allocation per
 * request on the send path once the connections' buffers have grown to the largest
 * response seen.
 *
 * Depends on the core (loadgen/) and libc only. */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------
 * Failure statuses
 *
 * A request that got a whole HTTP response ends with that response's status code; the
 * SUTs report any status but 200 as the sample's failure status (400 .. 599; 429 counts
 * as throttled). A request that got no usable response ends with one of these, all
 * above 1000 so that they never collide with an HTTP status.
 * ---------------------------------------------------------------------------------- */
enum {
    NET_ECONNREFUSED = 1001, /* connect() refused: nothing listens on the port */
    NET_ECONNECT = 1002,     /* could not connect otherwise (unreachable, no route) */
    NET_ECONNRESET = 1003,   /* the server reset the connection (TCP RST) */
    NET_ECLOSED = 1004,      /* the server closed the connection before the response
                                was complete (a truncated body, an idle close) */
    NET_ETIMEDOUT = 1005,    /* no complete response by the request's deadline */
    NET_EMALFORMED = 1006,   /* the HTTP response could not be parsed */
    NET_ETOOLARGE = 1007,    /* the response passed max_response_bytes */
    NET_EBODY = 1008,        /* a 200 response whose body is not what the protocol
                                says (malformed JSON, outputs missing, sizes wrong) */
    NET_EIO = 1009,          /* another socket error */
    NET_ECANCELED = 1010,    /* never answered: the client was stopped or canceled
                                (net_client_cancel, a QSL unload) */
    NET_EPIPELINE = 1011,    /* pipelined behind a request whose failure closed the
                                connection: sent, but its answer can no longer come */
};
#define NET_STATUS_FIRST NET_ECONNREFUSED
#define NET_STATUS_LAST NET_EPIPELINE
#define NET_HTTP_THROTTLED 429

/* An English name of a failure status: "connection refused", ..., "HTTP 503", "success"
 * for 0, "status N" for anything else. Static string or thread-local text. */
const char *net_status_name(int status);
/* A key for results.json: "connection_refused", ..., "http_503". Same storage rules. */
const char *net_status_key(int status);

/* ------------------------------------------------------------------------------------
 * Buffers
 * ---------------------------------------------------------------------------------- */

/* A growable byte buffer (bodies, outputs, messages): reused; its memory grows to the
 * largest use and is released by net_buf_free only. Zero-initialise it. */
typedef struct net_buf {
    unsigned char *p;
    size_t len, cap;
} net_buf;
/* Room for `more` bytes past len; false when the allocation fails. */
bool net_buf_reserve(net_buf *b, size_t more);
bool net_buf_append(net_buf *b, const void *p, size_t n);
bool net_buf_printf(net_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void net_buf_free(net_buf *b);

/* ------------------------------------------------------------------------------------
 * URLs and requests
 * ---------------------------------------------------------------------------------- */

typedef struct net_url {
    char host[256];   /* a name or a numeric address (IPv6 without its brackets) */
    uint16_t port;    /* 80 when the URL gives none */
    char base[1024];  /* the path, without a trailing '/': "" or "/v1" */
    char authority[300]; /* what the Host header says: host[:port] as written */
    /* Set by the caller after net_url_parse, which leaves them NULL; the strings are the
     * caller's and stay valid while the URL is used. */
    const char *host_header; /* the Host header's value instead of authority, or NULL */
    const char *headers;     /* header lines sent with every request (a token, an API
                                key), each ending "\r\n", or NULL */
} net_url;

/* The most bytes of header lines net_url.headers should hold (the readiness probe's
 * buffer is sized for it). */
#define NET_URL_HEADERS_MAX 8192

/* The Host header's value for u: host_header when set, else authority. */
static inline const char *net_url_host(const net_url *u)
{
    return u->host_header && *u->host_header ? u->host_header : u->authority;
}

/* Parses "http://HOST[:PORT][/PATH]" (https is refused: no TLS). Returns 0, or -EINVAL
 * with a message naming the problem in err (err_len bytes). */
int net_url_parse(const char *url, net_url *out, char *err, size_t err_len);

typedef struct net_request {
    const char *method;       /* "GET", "POST" */
    const char *path;         /* origin form: "/v2/models/m/infer" */
    const char *authority;    /* the Host header's value */
    const char *content_type; /* NULL: no Content-Type header */
    const char *headers;      /* more header lines, each ending "\r\n", or NULL */
    const char *url_headers;  /* and the URL's (net_url.headers), or NULL */
    const void *body;         /* body_len bytes; Content-Length is sent for every POST */
    size_t body_len;
    bool close;               /* ask the server to close after the answer */
} net_request;

/* Writes r's request line and headers (and the body, when with_body) into buf (cap
 * bytes). Returns the bytes it needs: more than cap means nothing usable was written. */
size_t net_request_format(const net_request *r, bool with_body, char *buf, size_t cap);

/* The same into a new allocation (*out, freed with free()); returns 0 or -ENOMEM. */
int net_request_build(const net_request *r, char **out, size_t *len);

/* A response's status line and headers, as on_headers sees them. */
typedef struct net_head {
    int status;        /* 100 .. 999 */
    int minor_version; /* HTTP/1.x */
    const char *fields;/* the header lines after the status line ("Name: value\r\n"...) */
    size_t fields_len;
    int64_t content_length; /* -1 when absent */
    bool chunked;      /* Transfer-Encoding: chunked */
    bool close;        /* the connection ends after this response */
} net_head;

/* The value of header `name` (case-insensitive), its length in *len, or NULL. The value
 * is not NUL-terminated; it points into the head, valid during on_headers only. */
const char *net_head_get(const net_head *h, const char *name, size_t *len);

/* ------------------------------------------------------------------------------------
 * The incremental response parser (also for fuzzing): bytes in, events out.
 * ---------------------------------------------------------------------------------- */

/* The most a status line and its headers may take (NET_EMALFORMED above it). */
#define NET_HTTP_MAX_HEAD 16384

typedef struct net_http_sink {
    void *ctx;
    /* The head is complete. Return 0 to go on, or a non-zero status to stop. */
    int (*on_head)(void *ctx, const net_head *h);
    /* Body bytes, decoded from the chunked framing. Return 0, or a status to stop. */
    int (*on_body)(void *ctx, const char *p, size_t n);
} net_http_sink;

typedef struct net_http_parser {
    int state;
    int error;              /* the status it stopped with (NET_E*, or a callback's) */
    bool no_body;           /* the request was HEAD: no body whatever the headers say */
    bool done;              /* the response is complete */
    bool close;             /* the connection must close after it */
    int status;
    uint64_t remaining;     /* bytes left of the body or of the current chunk */
    size_t scanned;         /* of the head: bytes searched for its end so far */
    uint64_t total;         /* bytes of this response consumed so far */
    uint64_t limit;         /* most bytes a response may take; 0: no limit */
    unsigned line;          /* length of the current chunk-size or trailer line */
    bool saw_digit;
} net_http_parser;

/* Ready for a new response; limit: its most bytes (0: none); no_body for HEAD. */
void net_http_parser_init(net_http_parser *p, uint64_t limit, bool no_body);

/* Feeds bytes. Returns how many were consumed: it stops at the end of the response
 * (p->done), at an error (p->error: NET_EMALFORMED, NET_ETOOLARGE or a callback's
 * status) or when it needs more bytes: a head is consumed only when the buffer holds all
 * of it, so the caller keeps unconsumed bytes and calls again with them and more.
 * Informational (1xx) responses are skipped. */
size_t net_http_feed(net_http_parser *p, const char *buf, size_t len,
                     const net_http_sink *sink);

/* The connection closed: a body delimited by the close ends here (p->done); anything
 * else in progress is NET_ECLOSED. Returns p->done ? 0 : the error. */
int net_http_eof(net_http_parser *p, const net_http_sink *sink);

/* ------------------------------------------------------------------------------------
 * The client
 * ---------------------------------------------------------------------------------- */

/* One request as the callbacks see it. */
typedef struct net_call {
    uint64_t id, index;      /* as submitted (an lg_sample) */
    int64_t handed_ns;       /* net_submit's clock (lg_now_ns) */
    int64_t started_ns;      /* put on a connection; the deadline counts from here */
    int64_t sent_ns;         /* its last byte written; 0 before */
    int64_t first_byte_ns;   /* the first byte of its response read; 0 before */
    int status;              /* the HTTP status once the head arrived; 0 before */
    const char *body;        /* at on_done, when the callbacks have no on_body: the */
    size_t body_len;         /* whole decoded body, valid during on_done only */
    void *user;              /* call_bytes of the caller's, one area per pipeline slot:
                                zeroed before each request, or kept from the slot's
                                last request when the callbacks have on_start (a
                                parser's buffers can live there) */
    unsigned thread;         /* the I/O thread, 0 .. io_threads - 1 */
} net_call;

typedef struct net_callbacks {
    void *ctx;           /* passed to every callback */
    size_t call_bytes;   /* scratch per request (net_call.user); 0 .. 4096 */
    /* The request to send for call->index: *bytes (len bytes, e.g. prepared once with
     * net_request_build) stay valid and unchanged until on_done. Return 0, or a status
     * to fail the request without sending it. Required. */
    int (*request)(void *ctx, net_call *call, const void **bytes, size_t *len);
    /* The request was put on a connection and is about to be sent: set up call->user
     * (the client does not zero it when this callback exists). A request that ends
     * without reaching a connection (canceled in the queue) gets no on_start and a
     * zeroed area of its own at on_done. May be NULL. */
    void (*on_start)(void *ctx, net_call *call);
    /* The status line and headers arrived. Return 0 to go on, or a status to fail the
     * request (the connection is then closed). May be NULL. */
    int (*on_headers)(void *ctx, net_call *call, const net_head *head);
    /* Body bytes as they arrive (chunked framing removed). Return 0, or a status to
     * fail the request (the connection is closed). NULL: the client collects the body
     * and gives it in call->body at on_done. */
    int (*on_body)(void *ctx, net_call *call, const char *p, size_t n);
    /* Exactly once per submitted item: result 0 when a whole response arrived (of any
     * HTTP status, in call->status), else a NET_E* status or what a callback returned.
     * On the item's I/O thread, or on the thread calling net_client_cancel or
     * net_client_destroy. Required. */
    void (*on_done)(void *ctx, net_call *call, int result);
    /* With on_start: called at net_client_destroy for each slot's scratch area, to free
     * what the callbacks kept there. May be NULL. */
    void (*on_free)(void *ctx, void *user);
} net_callbacks;

typedef struct net_client_config {
    net_url url;               /* the server (host, port; base is the callers') */
    unsigned connections;      /* keep-alive connections, 1 .. 65536; default 8 */
    unsigned max_connections;  /* the pool grows up to this many when a request finds
                                  every connection busy (one connection per `pipeline`
                                  requests waiting), connections .. 65536; 0 (default):
                                  a fixed pool of `connections` */
    unsigned io_threads;       /* I/O threads, 1 .. 64 and at most connections;
                                  default 1; connection i belongs to thread i % T */
    unsigned pipeline;         /* requests in flight per connection, 1 .. 64; default 1
                                  (HTTP/1.1 pipelining above it) */
    int64_t request_timeout_ns;/* from the moment a request is put on a connection to
                                  the end of its response; default 10 s */
    uint64_t max_response_bytes; /* head and body; default 64 MiB */
    size_t queue_capacity;     /* requests waiting per I/O thread; rounded up to a power
                                  of two; default 65536. net_submit waits when full */
    bool connect_now;          /* open every connection at creation (default true) */
    int64_t busy_poll_ns;      /* after any work, poll (epoll_wait with no timeout) this
                                  long before sleeping, so that a request handed over or
                                  an answer arriving right after does not wait for the
                                  thread to wake (tens of us); 0 (default): always sleep.
                                  Costs up to this much CPU per idle gap */
    net_callbacks cb;
} net_client_config;

/* Fills the defaults above (url empty: set it, and the callbacks). */
void net_client_config_default(net_client_config *cfg);

typedef struct net_client net_client;

/* Resolves the host, starts the I/O threads and (connect_now) opens the connections in
 * the background. Returns 0, -EINVAL (err names the field), -ENOENT (the host does not
 * resolve), -ENOMEM or another -errno. */
int net_client_create(const net_client_config *cfg, net_client **out, char *err,
                      size_t err_len);

/* Hands n items to the I/O threads (the samples are copied). Any thread, any number at
 * once; lock-free; waits (futex) only while an I/O thread's queue is full. Each item
 * ends with exactly one on_done. */
void net_submit(net_client *c, const lg_sample *items, size_t n);

/* Fails every request queued or in flight with NET_ECANCELED (closing the connections
 * that carried one) and returns once each on_done has run. Not from an I/O thread. */
void net_client_cancel(net_client *c);

/* net_client_cancel, then stops the threads and frees everything. NULL is a no-op. */
void net_client_destroy(net_client *c);

/* A distribution kept as a stats_hist (ns: exact below 256, then within 0.4%). */
typedef struct net_hist_summary {
    uint64_t count;
    int64_t min_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
    double mean_ns;
} net_hist_summary;

/* What the client did, summed over its threads. */
typedef struct net_client_stats {
    uint64_t submitted, sent, done, responses; /* responses: whole HTTP answers */
    uint64_t by_class[6];     /* responses by status class: [2] 2xx ... [5] 5xx */
    uint64_t throttled;       /* 429 answers */
    uint64_t retry_after_max_s; /* the largest Retry-After seen (seconds) */
    uint64_t errors[NET_STATUS_LAST - NET_STATUS_FIRST + 1]; /* by NET_E* - first */
    uint64_t connections_opened;/* connect() calls that succeeded */
    uint64_t connect_attempts;
    uint64_t reconnects;      /* opened after a connection had closed */
    uint64_t connections_added; /* connections the pool grew by (max_connections) */
    unsigned max_connections; /* the pool's cap: max_connections (or connections), lower
                                 when the descriptor limit (RLIMIT_NOFILE, raised toward
                                 its hard limit at creation) does not allow it */
    uint64_t waited_for_connection; /* requests that found every connection busy */
    uint64_t late_sends;      /* sent more than 1 ms after net_submit */
    uint64_t bytes_sent, bytes_received;
    net_hist_summary send_delay; /* sent_ns - handed_ns */
    double io_cpu_s[64];      /* CPU time of each I/O thread so far */
    unsigned io_threads;
    int64_t first_send_ns, last_send_ns;
} net_client_stats;

/* Counters so far: any thread, any time (a consistent view of each counter, not across
 * them while requests run). The send-delay histogram is each I/O thread's own and is
 * read without a lock: it is exact once the requests it covers have ended (after a run,
 * or after on_done of each); read while requests run, send_delay is undefined. */
void net_client_stats_get(const net_client *c, net_client_stats *out);

/* The histograms and counters back to zero (before a measured run), but for the
 * connection counters (opened, attempts, reconnects, added), which stay the client's lifetime
 * totals: the pool is opened once, when the client is created. Only while nothing is in
 * flight. */
void net_client_stats_reset(net_client *c);

/* The issue thread's batch interval (lg_settings.issue_batch_ns) the program gives a
 * Server run of a network SUT whose schedule reaches peak_qps queries/s at most: 1 ms
 * (NET_ISSUE_BATCH_NS) from NET_ISSUE_BATCH_QPS up, in proportion below (10 us at
 * 1,000/s), so that a slow schedule keeps its times and a fast one hands the client its
 * queries in bursts it can keep up with (docs/http.md: against nginx on 2 cores, 100 us
 * and 500 us batches fell behind at 90 % of wrk's rate where 1 ms kept up). peak_qps < 0
 * (not known): NET_ISSUE_BATCH_UNKNOWN_NS. */
#define NET_ISSUE_BATCH_NS 1000000
#define NET_ISSUE_BATCH_QPS 1e5
#define NET_ISSUE_BATCH_UNKNOWN_NS 100000
int64_t net_issue_batch_ns(double peak_qps);

/* ------------------------------------------------------------------------------------
 * Client health: is the client, not the server, limiting a run?
 * ---------------------------------------------------------------------------------- */

/* A late send is one sent more than this after net_submit; perf_analyzer warns when more
 * than NET_LATE_SHARE_WARN of the requests are (its "delayed" requests). */
#define NET_LATE_NS 1000000
#define NET_LATE_SHARE_WARN 0.01
/* An I/O thread busier than this share of one core may be the limit. */
#define NET_BUSY_WARN 0.9
#define NET_HEALTH_MAX_WARNINGS 6

/* The counters and clocks when a run starts (net_health_begin resets the client's
 * counters: nothing may be in flight). */
typedef struct net_health_mark {
    int64_t wall_ns;
    double cpu_s;       /* the process's user + system time */
    double io_cpu_s[64];
} net_health_mark;

typedef struct net_health {
    char protocol[64];         /* "kserve-v2 json", ... (the caller's words) */
    char url[1400];
    unsigned connections, io_threads, pipeline;
    unsigned max_connections;  /* the pool's cap (connections when fixed) */
    int64_t request_timeout_ns;
    uint64_t max_response_bytes;
    net_client_stats st;       /* over the run */
    double wall_s, cpu_s;      /* the run's wall time; the process's CPU time in it */
    double io_cpu_s[64];       /* each I/O thread's CPU time in it */
    double io_busy_max;        /* the busiest I/O thread's CPU time / wall time */
    double late_share;         /* late_sends / sent */
    double waited_share;       /* waited_for_connection / sent */
    int scenario;              /* lg_scenario */
    uint64_t concurrency;      /* a closed loop's outstanding queries (> 1), else 0 */
    double requested_per_s;    /* Server: the target QPS; Offline: the expected QPS;
                                  else 0 (closed loop) */
    double sent_per_s;         /* requests sent / (last send - first send) */
    double completed_per_s;    /* samples completed / the run's duration */
    int64_t issue_lag_p99_ns, issue_lag_max_ns; /* the LoadGen's, from lg_results */
    uint64_t bad_bodies;       /* the SUT's refused bodies (the caller's) */
    char first_error[320];     /* the SUT's first failure in words (the caller's) */
    /* An LLM SUT's token figures (the caller's; printed and recorded when tokens). */
    bool tokens;
    uint64_t tokens_from_usage;  /* samples whose n_tokens is the server's usage */
    uint64_t tokens_from_chunks; /* samples whose n_tokens is the content chunk count */
    uint64_t output_tokens;
    net_hist_summary itl;        /* gaps between content chunks, pooled over requests */
    net_hist_summary ttft_from_send; /* first content chunk - the request's send */
    size_t nwarnings;
    char warnings[NET_HEALTH_MAX_WARNINGS][320];
} net_health;

/* Resets c's counters and notes the clocks: call right before lg_run_test. */
void net_health_begin(net_client *c, net_health_mark *m);
/* Fills h from c's counters since the mark, the settings and the results (both may be
 * NULL), and applies the rules that say the client may be the limit (docs/http.md):
 * more than 1% of the requests sent more than 1 ms late in an open-loop (Server) run;
 * the LoadGen's issue lag p99 above 1 ms in one; an I/O thread busier than 90% of a
 * core. protocol, bad_bodies and first_error are the caller's to fill. */
void net_health_end(net_client *c, const net_health_mark *m, const net_client_config *cfg,
                    const lg_settings *s, const lg_results *r, net_health *h);
/* Appends h as one JSON object (results.json's "client") to out. False: no memory. */
bool net_health_json(const net_health *h, net_buf *out);
/* The English lines the program prints after a run (each line starts with two spaces;
 * the warnings with "warning: "), appended to out. */
bool net_health_text(const net_health *h, net_buf *out);

/* ------------------------------------------------------------------------------------
 * Readiness: a blocking GET on its own connection
 * ---------------------------------------------------------------------------------- */

/* GETs url's base + path once, with Connection: close, and waits at most timeout_ns for
 * the whole answer. Returns the HTTP status (>= 100) or a NET_E* status; err says what
 * happened in words ("connection refused", "no answer within 2000 ms"). */
int net_http_get_status(const net_url *url, const char *path, int64_t timeout_ns,
                        char *err, size_t err_len);

/* Polls each path in turn until it answers 200, every 100 ms, until timeout_ns from the
 * call. Returns 0 when every path answered 200, else the last status seen with err
 * naming the path and why ("GET /v2/health/ready: connection refused"). */
int net_wait_ready(const net_url *url, const char *const *paths, size_t n,
                   int64_t timeout_ns, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* NET_NET_H */
