/* net/client.c: the epoll HTTP/1.1 client. Each I/O thread owns its connections, a
 * lock-free ring of requests waiting for one, an eventfd and an epoll loop; nothing is
 * shared between the threads but the ring's cells and a few counters. A request goes:
 * net_submit pushes it into a thread's ring (and writes the eventfd only when that loop
 * sleeps); the loop takes it off the ring when a connection has room, asks the caller
 * for its bytes and writes them straight from the caller's buffer; the response is
 * parsed where it was read; on_done runs on the loop. Deadlines are kept in one list per
 * thread: every request gets the same timeout, so the order they were started in is the
 * order they expire in. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/ring.h"
#include "loadgen/sync.h"
#include "net/internal.h"
#include "stats/stats.h"

#define RELAXED memory_order_relaxed
#define RBUF_BYTES (32u << 10)      /* a connection's read buffer */
#define BODY_KEEP_BYTES (1u << 20)  /* a collected body buffer larger is freed after use */
#define EVENTS 256
#define TAKE_BATCH 64

/* What the ring carries: the sample and when it was handed over. */
typedef struct item {
    uint64_t id, index;
    int64_t handed_ns;
} item;

struct conn;

/* One request on a connection. */
typedef struct req {
    net_call call;
    int64_t deadline_ns;
    struct conn *c;
    struct req *dl_prev, *dl_next; /* the thread's deadline list */
    const char *wbytes;            /* what to write, the caller's */
    size_t wlen;
} req;

enum { C_CLOSED, C_CONNECTING, C_OPEN };

typedef struct conn {
    int fd;
    int state;
    uint32_t gen;              /* tells this fd's epoll events from an earlier fd's */
    bool ever_opened;
    bool in_idle, in_partial;  /* on the thread's stacks of connections with room */
    struct io_thread *t;
    req *slots;                /* pipeline slots: a FIFO of the requests in flight */
    unsigned head, count;      /* FIFO start and length */
    unsigned written;          /* the FIFO's first `written` are written in full */
    size_t woff;               /* bytes of the next one written so far */
    char *rbuf;                /* unconsumed input [0, rlen) */
    size_t rlen;
    bool parsing;              /* the parser holds a response begun */
    net_http_parser parser;
    net_buf body;              /* a collected body that came in several pieces */
    const char *first_piece;   /* a body's only piece so far, still in rbuf */
    size_t first_len;
    unsigned pieces;
} conn;

/* Counters, written by the owning thread only (relaxed load + store). */
typedef struct counters {
    _Atomic uint64_t sent, done, responses, by_class[6], throttled, retry_after_max_s;
    _Atomic uint64_t errors[NET_STATUS_LAST - NET_STATUS_FIRST + 1];
    _Atomic uint64_t opened, attempts, reconnects, added, waited, late, bytes_sent,
        bytes_received;
    _Atomic int64_t first_send_ns, last_send_ns;
} counters;

typedef struct io_thread {
    struct net_client *cl;
    unsigned idx;
    pthread_t th;
    bool started;
    clockid_t cpu_clock;
    bool have_cpu_clock;
    int epfd, evfd;
    lg_ring *ring;
    _Atomic uint32_t sleeping;   /* the loop is (about to be) in epoll_wait for work */
    _Atomic uint32_t waiters;    /* producers waiting for room in the ring */
    _Atomic uint32_t space_seq;  /* bumped when room was made while someone waited */
    _Atomic uint32_t acked_gen;  /* the cancel generation this thread has carried out */
    uint32_t gen_seen;
    conn *conns;
    unsigned nconns, maxconns;   /* the pool, and how far it may grow (the arrays' size) */
    conn **idle, **partial;      /* stacks of connections with no / some requests */
    unsigned nidle, npartial;
    unsigned capacity;           /* free pipeline slots over the connections */
    bool starved;                /* requests waited in the ring for a connection */
    int64_t last_work_ns;        /* when the loop last had an event or took work */
    req *dl_head, *dl_tail;
    req scratch;                 /* for on_done of requests that never left the ring */
    void *scratch_user;
    counters n;
    stats_hist send_delay;       /* sent_ns - handed_ns: written by this thread only */
    _Atomic uint64_t submitted;
} io_thread;

struct net_client {
    net_client_config cfg;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int family;
    unsigned nthreads;
    io_thread *threads;
    _Atomic uint32_t rr;         /* which thread the next submission starts at */
    _Atomic uint32_t gen;        /* cancel generation */
    _Atomic uint32_t ack_seq;    /* bumped by each thread that carried out a cancel */
    _Atomic uint32_t stop;
    size_t user_bytes;           /* call_bytes rounded up */
    unsigned max_total;          /* the pool's cap, as the descriptor limit allows */
};

/* ---------------------------------------------------------------- helpers */

static void bump(_Atomic uint64_t *x, uint64_t by)
{
    atomic_store_explicit(x, atomic_load_explicit(x, RELAXED) + by, RELAXED);
}

static void count_error(io_thread *t, int err)
{
    if (err >= NET_STATUS_FIRST && err <= NET_STATUS_LAST)
        bump(&t->n.errors[err - NET_STATUS_FIRST], 1);
}

static req *slot(conn *c, unsigned k)
{
    return &c->slots[(c->head + k) % c->t->cl->cfg.pipeline];
}

static void wake_loop(io_thread *t)
{
    uint64_t one = 1;
    ssize_t k = write(t->evfd, &one, sizeof one);
    (void)k; /* a full counter (never, at 2^64 - 2) still wakes the loop */
}

static void dl_unlink(io_thread *t, req *r)
{
    if (r->dl_prev)
        r->dl_prev->dl_next = r->dl_next;
    else
        t->dl_head = r->dl_next;
    if (r->dl_next)
        r->dl_next->dl_prev = r->dl_prev;
    else
        t->dl_tail = r->dl_prev;
    r->dl_prev = r->dl_next = NULL;
}

static void dl_append(io_thread *t, req *r)
{
    r->dl_next = NULL;
    r->dl_prev = t->dl_tail;
    if (t->dl_tail)
        t->dl_tail->dl_next = r;
    else
        t->dl_head = r;
    t->dl_tail = r;
}

/* Puts c on the stack its room calls for (at most once on each). */
static void conn_has_room(conn *c)
{
    io_thread *t = c->t;
    if (c->count == 0 && !c->in_idle) {
        c->in_idle = true;
        t->idle[t->nidle++] = c;
    } else if (c->count > 0 && c->count < t->cl->cfg.pipeline && !c->in_partial) {
        c->in_partial = true;
        t->partial[t->npartial++] = c;
    }
}

/* A connection with room: an idle one first (spreads the load), else a pipelined one. */
static conn *pick_conn(io_thread *t)
{
    unsigned depth = t->cl->cfg.pipeline;
    while (t->nidle) {
        conn *c = t->idle[--t->nidle];
        c->in_idle = false;
        if (c->count < depth)
            return c;
    }
    while (t->npartial) {
        conn *c = t->partial[--t->npartial];
        c->in_partial = false;
        if (c->count < depth)
            return c;
    }
    return NULL;
}

/* Ends request r (the FIFO's head, or a request never put on a connection when c is
 * NULL) with result; on_done runs, then its slot is free. */
static void finish(io_thread *t, req *r, int result)
{
    const net_callbacks *cb = &t->cl->cfg.cb;
    if (result)
        count_error(t, result);
    bump(&t->n.done, 1);
    cb->on_done(cb->ctx, &r->call, result);
}

/* Ends an item that never reached a connection. */
static void finish_item(io_thread *t, const item *it, int status)
{
    req *r = &t->scratch;
    if (t->cl->user_bytes)
        memset(t->scratch_user, 0, t->cl->user_bytes);
    r->call = (net_call){.id = it->id, .index = it->index, .handed_ns = it->handed_ns,
                         .user = t->scratch_user, .thread = t->idx};
    finish(t, r, status);
}

/* ---------------------------------------------------------------- connections */

static int connect_status(int err)
{
    return err == ECONNREFUSED ? NET_ECONNREFUSED
           : err == ECONNRESET ? NET_ECONNRESET
           : err == ETIMEDOUT  ? NET_ETIMEDOUT
                               : NET_ECONNECT;
}

static void conn_close_fd(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = C_CLOSED;
    c->rlen = 0;
    c->parsing = false;
    c->woff = 0;
    c->pieces = 0;
    c->body.len = 0;
}

/* Fails every request on c: the head with err, the others with err when nothing of
 * theirs can have reached the server (a failed connect), else NET_EPIPELINE. Closes c. */
static void conn_fail(conn *c, int err)
{
    io_thread *t = c->t;
    bool connect_error = err == NET_ECONNREFUSED || err == NET_ECONNECT;
    unsigned n = c->count;
    if (n == 0)
        count_error(t, err); /* an idle connection's failure: counted, no request */
    conn_close_fd(c);
    for (unsigned k = 0; k < n; k++) {
        req *r = slot(c, k);
        dl_unlink(t, r);
        finish(t, r, k == 0 || connect_error || err == NET_ECANCELED ? err : NET_EPIPELINE);
    }
    c->head = c->count = c->written = 0;
    t->capacity += n;
    conn_has_room(c);
}

/* Closes c after a response that ends its connection: what is still on it fails with
 * err; an idle connection just closes (no error: the server chose to close it). */
static void conn_end(conn *c, int err)
{
    if (c->count)
        conn_fail(c, err);
    else
        conn_close_fd(c);
}

/* Sets up connection c of thread t: its pipeline slots and their scratch areas. */
static int conn_init(io_thread *t, conn *c)
{
    net_client *cl = t->cl;
    unsigned depth = cl->cfg.pipeline;
    c->fd = -1;
    c->t = t;
    if (!(c->slots = calloc(depth, sizeof *c->slots)))
        return -ENOMEM;
    for (unsigned k = 0; k < depth && cl->user_bytes; k++)
        if (!(c->slots[k].call.user = calloc(1, cl->user_bytes)))
            return -ENOMEM;
    return 0;
}

/* Closes c and frees what conn_init and its life allocated (the slots' scratch areas
 * through on_free). */
static void conn_release(net_client *cl, conn *c)
{
    conn_close_fd(c);
    for (unsigned k = 0; c->slots && k < cl->cfg.pipeline; k++) {
        if (c->slots[k].call.user && cl->cfg.cb.on_free)
            cl->cfg.cb.on_free(cl->cfg.cb.ctx, c->slots[k].call.user);
        free(c->slots[k].call.user);
    }
    free(c->slots);
    c->slots = NULL;
    free(c->rbuf);
    c->rbuf = NULL;
    net_buf_free(&c->body);
}

/* Whether t can take a request: a connection has room, or the pool may grow. */
static bool can_take(const io_thread *t)
{
    return t->capacity > 0 || t->nconns < t->maxconns;
}

/* Adds a connection to t's pool when requests wait for one and the pool may grow; it
 * opens when its first request is put on it. Returns whether one was added. */
static bool grow(io_thread *t)
{
    if (t->nconns == t->maxconns || lg_ring_size_approx(t->ring) == 0)
        return false;
    conn *c = &t->conns[t->nconns];
    if (conn_init(t, c)) { /* no memory: the requests wait for the pool they have */
        conn_release(t->cl, c);
        t->maxconns = t->nconns;
        return false;
    }
    t->nconns++;
    t->capacity += t->cl->cfg.pipeline;
    bump(&t->n.added, 1);
    conn_has_room(c);
    return true;
}

/* Opens c's socket and starts connecting. Returns 0, or a NET_E* status. */
static int conn_open(conn *c)
{
    io_thread *t = c->t;
    net_client *cl = t->cl;
    bump(&t->n.attempts, 1);
    int fd = socket(cl->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NET_EIO;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!c->rbuf && !(c->rbuf = malloc(RBUF_BYTES))) {
        close(fd);
        return NET_EIO;
    }
    int rc = connect(fd, (struct sockaddr *)&cl->addr, cl->addrlen);
    if (rc && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return connect_status(e);
    }
    c->fd = fd;
    c->gen++;
    c->state = rc == 0 ? C_OPEN : C_CONNECTING;
    c->rlen = 0;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = ((uint64_t)c->gen << 32) | (uint32_t)(c - t->conns)};
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        conn_close_fd(c);
        return NET_EIO;
    }
    if (rc == 0) {
        bump(&t->n.opened, 1);
        if (c->ever_opened)
            bump(&t->n.reconnects, 1);
        c->ever_opened = true;
    }
    return 0;
}

/* Writes what c's FIFO holds unwritten, straight from the callers' buffers. */
static void conn_write(conn *c)
{
    io_thread *t = c->t;
    while (c->state == C_OPEN && c->written < c->count) {
        req *r = slot(c, c->written);
        ssize_t k = send(c->fd, r->wbytes + c->woff, r->wlen - c->woff, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return; /* EPOLLOUT comes when there is room */
            if (errno == EINTR)
                continue;
            conn_fail(c, errno == ECONNRESET || errno == EPIPE ? NET_ECONNRESET : NET_EIO);
            return;
        }
        bump(&t->n.bytes_sent, (uint64_t)k);
        c->woff += (size_t)k;
        if (c->woff < r->wlen)
            continue;
        int64_t now = lg_now_ns();
        r->call.sent_ns = now;
        c->woff = 0;
        c->written++;
        bump(&t->n.sent, 1);
        int64_t delay = now - r->call.handed_ns;
        stats_hist_record(&t->send_delay, delay);
        if (delay > NET_LATE_NS)
            bump(&t->n.late, 1);
        if (!atomic_load_explicit(&t->n.first_send_ns, RELAXED))
            atomic_store_explicit(&t->n.first_send_ns, now, RELAXED);
        atomic_store_explicit(&t->n.last_send_ns, now, RELAXED);
    }
}

/* The connect finished (EPOLLOUT while connecting). */
static void conn_connected(conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
        conn_fail(c, connect_status(err ? err : errno));
        return;
    }
    c->state = C_OPEN;
    bump(&c->t->n.opened, 1);
    if (c->ever_opened)
        bump(&c->t->n.reconnects, 1);
    c->ever_opened = true;
    conn_write(c);
}

/* ---------------------------------------------------------------- responses */

static int sink_head(void *ctx, const net_head *h)
{
    conn *c = ctx;
    io_thread *t = c->t;
    req *r = slot(c, 0);
    r->call.status = h->status;
    bump(&t->n.by_class[h->status / 100 < 6 ? h->status / 100 : 0], 1);
    if (h->status == NET_HTTP_THROTTLED) {
        bump(&t->n.throttled, 1);
        size_t vl;
        const char *v = net_head_get(h, "Retry-After", &vl);
        uint64_t s = 0;
        for (size_t i = 0; v && i < vl && i < 10 && v[i] >= '0' && v[i] <= '9'; i++)
            s = s * 10 + (uint64_t)(v[i] - '0');
        if (s > atomic_load_explicit(&t->n.retry_after_max_s, RELAXED))
            atomic_store_explicit(&t->n.retry_after_max_s, s, RELAXED);
    }
    const net_callbacks *cb = &t->cl->cfg.cb;
    return cb->on_headers ? cb->on_headers(cb->ctx, &r->call, h) : 0;
}

static int sink_body(void *ctx, const char *p, size_t n)
{
    conn *c = ctx;
    const net_callbacks *cb = &c->t->cl->cfg.cb;
    req *r = slot(c, 0);
    if (cb->on_body)
        return cb->on_body(cb->ctx, &r->call, p, n);
    /* Collected: a body that arrives in one piece is not copied. */
    if (c->pieces == 0) {
        c->first_piece = p;
        c->first_len = n;
        c->pieces = 1;
        return 0;
    }
    if (c->pieces == 1 && !net_buf_append(&c->body, c->first_piece, c->first_len))
        return NET_EIO;
    c->pieces = 2;
    return net_buf_append(&c->body, p, n) ? 0 : NET_EIO;
}

/* The FIFO's head got its whole response. */
static void complete_head(conn *c)
{
    io_thread *t = c->t;
    req *r = slot(c, 0);
    bump(&t->n.responses, 1);
    if (c->pieces == 1) {
        r->call.body = c->first_piece;
        r->call.body_len = c->first_len;
    } else if (c->pieces > 1) {
        r->call.body = (const char *)c->body.p;
        r->call.body_len = c->body.len;
    }
    dl_unlink(t, r);
    bool early = c->written == 0; /* answered before it was all written */
    finish(t, r, 0);
    c->head = (c->head + 1) % t->cl->cfg.pipeline;
    c->count--;
    if (!early)
        c->written--;
    else
        c->woff = 0;
    t->capacity++;
    c->parsing = false;
    c->pieces = 0;
    c->body.len = 0;
    if (c->body.cap > BODY_KEEP_BYTES)
        net_buf_free(&c->body);
    conn_has_room(c);
    if (early) /* the rest of its request can no longer be sent on this connection */
        conn_end(c, NET_EPIPELINE);
}

/* Parses what c's buffer holds; returns false when c was closed. */
static bool conn_parse(conn *c, int64_t now)
{
    io_thread *t = c->t;
    net_http_sink sink = {.ctx = c, .on_head = sink_head, .on_body = sink_body};
    size_t off = 0;
    while (off < c->rlen) {
        if (c->count == 0) { /* bytes no request asked for */
            count_error(t, NET_EMALFORMED);
            conn_close_fd(c);
            return false;
        }
        if (!c->parsing) {
            net_http_parser_init(&c->parser, t->cl->cfg.max_response_bytes, false);
            c->parsing = true;
            slot(c, 0)->call.first_byte_ns = now;
        }
        size_t k = net_http_feed(&c->parser, c->rbuf + off, c->rlen - off, &sink);
        off += k;
        if (c->parser.error) {
            conn_fail(c, c->parser.error);
            return false;
        }
        if (c->parser.done) {
            bool close_after = c->parser.close;
            complete_head(c);
            if (c->state == C_CLOSED)
                return false;
            if (close_after) {
                conn_end(c, NET_ECLOSED); /* fails what was pipelined behind it */
                return false;
            }
            continue;
        }
        if (k == 0)
            break;
    }
    if (c->pieces == 1) { /* the buffer moves: keep the piece */
        if (!net_buf_append(&c->body, c->first_piece, c->first_len)) {
            conn_fail(c, NET_EIO);
            return false;
        }
        c->pieces = 2;
    }
    if (off)
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return true;
}

/* The server closed c (read returned 0). */
static void conn_eof(conn *c)
{
    if (c->count == 0) {
        conn_close_fd(c); /* an idle keep-alive connection closed: reopened when needed */
        return;
    }
    if (c->parsing) {
        net_http_sink sink = {.ctx = c, .on_head = sink_head, .on_body = sink_body};
        if (net_http_eof(&c->parser, &sink) == 0) {
            complete_head(c);
            if (c->state != C_CLOSED)
                conn_end(c, NET_ECLOSED);
            return;
        }
    }
    conn_fail(c, NET_ECLOSED);
}

/* Reads until the socket is empty, parsing as it goes. A short read means empty, but
 * for a peer that closed (hup): its end of file must be read too, and no later edge
 * would say so. */
static void conn_read(conn *c, bool hup)
{
    while (c->state == C_OPEN) {
        size_t room = RBUF_BYTES - c->rlen;
        if (room == 0) { /* a head longer than the buffer: the parser refused it */
            conn_fail(c, NET_EMALFORMED);
            return;
        }
        ssize_t k = recv(c->fd, c->rbuf + c->rlen, room, 0);
        if (k > 0) {
            bump(&c->t->n.bytes_received, (uint64_t)k);
            c->rlen += (size_t)k;
            if (!conn_parse(c, lg_now_ns()))
                return;
            if ((size_t)k < room && !hup)
                return; /* drained: the next edge says when more comes */
            continue;
        }
        if (k == 0) {
            conn_eof(c);
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        if (errno == EINTR)
            continue;
        conn_fail(c, errno == ECONNRESET ? NET_ECONNRESET
                     : errno == ECONNREFUSED ? NET_ECONNREFUSED
                     : errno == ETIMEDOUT ? NET_ETIMEDOUT
                                          : NET_EIO);
        return;
    }
}

static void conn_event(conn *c, uint32_t ev)
{
    if (c->state == C_CONNECTING) {
        if (ev & (EPOLLERR | EPOLLHUP | EPOLLOUT))
            conn_connected(c);
        if (c->state != C_OPEN)
            return;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        conn_read(c, (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    if (c->state == C_OPEN && (ev & EPOLLOUT))
        conn_write(c);
}

/* ---------------------------------------------------------------- work */

/* Puts one item on connection c. */
static void start_item(io_thread *t, conn *c, const item *it, int64_t now)
{
    net_client *cl = t->cl;
    req *r = &c->slots[(c->head + c->count) % cl->cfg.pipeline];
    void *user = r->call.user;
    if (cl->user_bytes && !cl->cfg.cb.on_start)
        memset(user, 0, cl->user_bytes);
    r->call = (net_call){.id = it->id, .index = it->index, .handed_ns = it->handed_ns,
                         .started_ns = now, .user = user, .thread = t->idx};
    if (cl->cfg.cb.on_start)
        cl->cfg.cb.on_start(cl->cfg.cb.ctx, &r->call);
    const void *bytes = NULL;
    size_t len = 0;
    int rc = cl->cfg.cb.request(cl->cfg.cb.ctx, &r->call, &bytes, &len);
    if (rc) {
        finish(t, r, rc);
        conn_has_room(c);
        return;
    }
    r->wbytes = bytes;
    r->wlen = len;
    r->c = c;
    r->deadline_ns = now + cl->cfg.request_timeout_ns;
    c->count++;
    t->capacity--;
    dl_append(t, r);
    if (c->state == C_CLOSED) {
        if ((rc = conn_open(c))) {
            conn_fail(c, rc);
            return;
        }
    }
    if (c->state == C_OPEN && c->written == c->count - 1)
        conn_write(c);
    if (c->state != C_CLOSED)
        conn_has_room(c);
}

/* Takes waiting items off the ring while a connection has room. */
static void take_work(io_thread *t, int64_t now)
{
    item batch[TAKE_BATCH];
    while (t->capacity > 0 || grow(t)) {
        size_t want = t->capacity < TAKE_BATCH ? t->capacity : TAKE_BATCH;
        size_t n = lg_ring_pop_bulk(t->ring, batch, want);
        if (n == 0) {
            t->starved = false;
            break;
        }
        /* An RMW, not a load: it orders the pop before a waiting producer's retry. A
         * waiting producer is woken once the ring is half empty, not after every pop:
         * a wake per batch would cost both threads a context switch per batch. */
        if (atomic_fetch_add(&t->waiters, 0) &&
            lg_ring_size_approx(t->ring) <= lg_ring_capacity(t->ring) / 2) {
            atomic_fetch_add(&t->space_seq, 1);
            lg_sync_wake(&t->space_seq, INT_MAX);
        }
        for (size_t i = 0; i < n; i++) {
            if (t->starved)
                bump(&t->n.waited, 1);
            conn *c = pick_conn(t);
            if (!c) { /* cannot be: capacity counts the room the stacks hold */
                finish_item(t, &batch[i], NET_EIO);
                continue;
            }
            start_item(t, c, &batch[i], now);
        }
    }
    /* Requests left in the ring wait for an answer only when the pool cannot grow (one
     * pushed after grow() found the ring empty gets a new connection next time round). */
    if (!can_take(t) && lg_ring_size_approx(t->ring) > 0)
        t->starved = true;
}

/* Fails the requests whose deadline passed. */
static void expire(io_thread *t, int64_t now)
{
    while (t->dl_head && t->dl_head->deadline_ns <= now)
        conn_fail(t->dl_head->c, NET_ETIMEDOUT); /* the head of its connection's FIFO */
}

/* Fails every request of this thread, in flight or waiting in the ring. */
static void cancel_all(io_thread *t)
{
    for (unsigned i = 0; i < t->nconns; i++)
        if (t->conns[i].count)
            conn_fail(&t->conns[i], NET_ECANCELED);
    item it;
    while (lg_ring_try_pop(t->ring, &it)) {
        finish_item(t, &it, NET_ECANCELED);
        if (atomic_fetch_add(&t->waiters, 0)) {
            atomic_fetch_add(&t->space_seq, 1);
            lg_sync_wake(&t->space_seq, INT_MAX);
        }
    }
}

/* The epoll_wait timeout: 0 when there is work, else until the next deadline. */
static int wait_ms(io_thread *t, int64_t now)
{
    /* Both sides use read-modify-writes on `sleeping` (no fences: TSan has none): either
     * the producer's exchange reads this 1 and writes the eventfd, or it came first and
     * this exchange synchronizes with it, so the ring shows its item below. */
    if (can_take(t)) {
        atomic_exchange(&t->sleeping, 1);
        if (lg_ring_size_approx(t->ring) > 0) {
            atomic_store(&t->sleeping, 0);
            return 0;
        }
    } else {
        t->starved = true; /* what comes while the pool is full waits for an answer */
    }
    if (!t->dl_head)
        return -1;
    int64_t left = t->dl_head->deadline_ns - now;
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void *io_main(void *arg)
{
    io_thread *t = arg;
    net_client *cl = t->cl;
    struct epoll_event ev[EVENTS];
    for (;;) {
        uint32_t g = atomic_load(&cl->gen);
        if (g != t->gen_seen || atomic_load(&cl->stop)) {
            cancel_all(t);
            t->gen_seen = g;
            atomic_store(&t->acked_gen, g);
            atomic_fetch_add(&cl->ack_seq, 1);
            lg_sync_wake(&cl->ack_seq, INT_MAX);
            if (atomic_load(&cl->stop))
                break;
        }
        int64_t before = lg_now_ns();
        int ms = wait_ms(t, before);
        if (ms != 0 && before - t->last_work_ns < cl->cfg.busy_poll_ns) {
            ms = 0; /* busy polling: stay awake a little longer */
            atomic_store(&t->sleeping, 0);
        }
        int n = epoll_wait(t->epfd, ev, EVENTS, ms);
        atomic_store_explicit(&t->sleeping, 0, RELAXED);
        for (int i = 0; i < n; i++) {
            uint32_t idx = (uint32_t)ev[i].data.u64, gen = (uint32_t)(ev[i].data.u64 >> 32);
            if (idx == UINT32_MAX) {
                uint64_t x;
                ssize_t k = read(t->evfd, &x, sizeof x);
                (void)k;
                continue;
            }
            conn *c = &t->conns[idx];
            if (c->state != C_CLOSED && c->gen == gen)
                conn_event(c, ev[i].events);
        }
        int64_t now = lg_now_ns();
        unsigned cap = t->capacity;
        take_work(t, now);
        if (n > 0 || t->capacity != cap)
            t->last_work_ns = now;
        expire(t, now);
    }
    for (unsigned i = 0; i < t->nconns; i++)
        conn_close_fd(&t->conns[i]);
    return NULL;
}

/* ---------------------------------------------------------------- the client */

void net_client_config_default(net_client_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->connections = 8;
    cfg->io_threads = 1;
    cfg->pipeline = 1;
    cfg->request_timeout_ns = 10 * INT64_C(1000000000);
    cfg->max_response_bytes = 64u << 20;
    cfg->queue_capacity = 65536;
    cfg->connect_now = true;
}

int64_t net_issue_batch_ns(double peak_qps)
{
    if (!(peak_qps >= 0)) /* unknown, or NaN */
        return NET_ISSUE_BATCH_UNKNOWN_NS;
    if (peak_qps >= NET_ISSUE_BATCH_QPS)
        return NET_ISSUE_BATCH_NS;
    return (int64_t)((double)NET_ISSUE_BATCH_NS * peak_qps / NET_ISSUE_BATCH_QPS);
}

static int check_config(const net_client_config *cfg, char *err, size_t len)
{
    const char *why = !cfg->url.host[0] ? "url: no host"
                      : cfg->connections < 1 || cfg->connections > 65536
                          ? "connections: not in 1 .. 65536"
                      : cfg->io_threads < 1 || cfg->io_threads > 64
                          ? "io_threads: not in 1 .. 64"
                      : cfg->max_connections &&
                                (cfg->max_connections < cfg->connections ||
                                 cfg->max_connections > 65536)
                          ? "max_connections: not 0 or in connections .. 65536"
                      : cfg->io_threads > cfg->connections
                          ? "io_threads: more than the connections"
                      : cfg->pipeline < 1 || cfg->pipeline > 64 ? "pipeline: not in 1 .. 64"
                      : cfg->request_timeout_ns <= 0 ? "request_timeout_ns: not positive"
                      : cfg->max_response_bytes < 1024 ? "max_response_bytes: below 1024"
                      : cfg->queue_capacity < 1 || cfg->queue_capacity > LG_RING_CAPACITY_MAX
                          ? "queue_capacity: not in 1 .. 2^30"
                      : !cfg->cb.request || !cfg->cb.on_done
                          ? "cb: request and on_done are required"
                      : cfg->cb.call_bytes > 4096 ? "cb.call_bytes: above 4096"
                      : cfg->busy_poll_ns < 0 || cfg->busy_poll_ns > 1000000000
                          ? "busy_poll_ns: not in 0 .. 1 s"
                          : NULL;
    if (why && len)
        snprintf(err, len, "net client: %s", why);
    return why ? -EINVAL : 0;
}

/* The pool's cap: max_connections (or connections), lowered to what the process may
 * open. A connection is a descriptor; the soft limit (1024 on many systems) is raised
 * toward the hard one to fit the largest pool and FD_SPARE more, and a pool that still
 * does not fit grows only as far as it does, so that growing never fails a request. */
#define FD_SPARE 256u
static unsigned pool_cap(const net_client_config *cfg)
{
    unsigned n = cfg->connections;
    unsigned m = cfg->max_connections > n ? cfg->max_connections : n;
    if (m == n)
        return n;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return m;
    rlim_t need = (rlim_t)m + FD_SPARE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        struct rlimit up = rl;
        up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        if (up.rlim_cur > rl.rlim_cur && !setrlimit(RLIMIT_NOFILE, &up))
            rl = up;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return m;
    rlim_t fit = rl.rlim_cur > FD_SPARE ? rl.rlim_cur - FD_SPARE : 0;
    return fit > n ? (unsigned)fit : n;
}

static int resolve(net_client *cl, char *err, size_t len)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    char port[8];
    snprintf(port, sizeof port, "%u", cl->cfg.url.port);
    int rc = getaddrinfo(cl->cfg.url.host, port, &hints, &res);
    if (rc) {
        if (len)
            snprintf(err, len, "cannot resolve '%s': %s", cl->cfg.url.host, gai_strerror(rc));
        return -ENOENT;
    }
    memcpy(&cl->addr, res->ai_addr, res->ai_addrlen);
    cl->addrlen = res->ai_addrlen;
    cl->family = res->ai_family;
    freeaddrinfo(res);
    return 0;
}

/* Sets up thread t's loop, connections and buffers (not yet started). */
static int thread_init(net_client *cl, io_thread *t, unsigned idx)
{
    t->cl = cl;
    t->idx = idx;
    t->epfd = t->evfd = -1;
    stats_hist_reset(&t->send_delay);
    unsigned T = cl->nthreads, N = cl->cfg.connections, depth = cl->cfg.pipeline;
    unsigned M = cl->max_total;
    unsigned first = N / T + (idx < N % T);
    t->maxconns = M / T + (idx < M % T);
    /* Sized for the largest pool; calloc'd pages are not touched until used. */
    t->conns = calloc(t->maxconns, sizeof *t->conns);
    t->idle = calloc(t->maxconns, sizeof *t->idle);
    t->partial = calloc(t->maxconns, sizeof *t->partial);
    t->scratch_user = calloc(1, cl->user_bytes ? cl->user_bytes : 1);
    if (!t->conns || !t->idle || !t->partial || !t->scratch_user)
        return -ENOMEM;
    /* nconns counts each connection set up, even in part: thread_free releases those. */
    while (t->nconns < first) {
        conn *c = &t->conns[t->nconns++];
        int rc = conn_init(t, c);
        if (rc)
            return rc;
        conn_has_room(c);
    }
    t->capacity = t->nconns * depth;
    int rc = lg_ring_create(cl->cfg.queue_capacity, sizeof(item), &t->ring);
    if (rc)
        return rc;
    if ((t->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (t->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return -errno;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT32_MAX};
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->evfd, &ev))
        return -errno;
    if (cl->cfg.connect_now)
        for (unsigned i = 0; i < t->nconns; i++) {
            int st = conn_open(&t->conns[i]);
            if (st)
                count_error(t, st);
        }
    return 0;
}

static void thread_free(net_client *cl, io_thread *t)
{
    for (unsigned i = 0; t->conns && i < t->nconns; i++)
        conn_release(cl, &t->conns[i]);
    free(t->conns);
    free(t->idle);
    free(t->partial);
    free(t->scratch_user);
    lg_ring_destroy(t->ring);
    if (t->epfd >= 0)
        close(t->epfd);
    if (t->evfd >= 0)
        close(t->evfd);
}

int net_client_create(const net_client_config *cfg, net_client **out, char *err,
                      size_t err_len)
{
    *out = NULL;
    int rc = check_config(cfg, err, err_len);
    if (rc)
        return rc;
    net_client *cl = calloc(1, sizeof *cl);
    if (!cl)
        return -ENOMEM;
    cl->cfg = *cfg;
    cl->nthreads = cfg->io_threads;
    cl->user_bytes = (cfg->cb.call_bytes + 15) & ~(size_t)15;
    cl->max_total = pool_cap(cfg);
    if ((rc = resolve(cl, err, err_len))) {
        free(cl);
        return rc;
    }
    cl->threads = calloc(cl->nthreads, sizeof *cl->threads);
    if (!cl->threads) {
        free(cl);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < cl->nthreads && !rc; i++)
        rc = thread_init(cl, &cl->threads[i], i);
    for (unsigned i = 0; i < cl->nthreads && !rc; i++) {
        io_thread *t = &cl->threads[i];
        if ((rc = -pthread_create(&t->th, NULL, io_main, t)))
            break;
        t->started = true;
        t->have_cpu_clock = pthread_getcpuclockid(t->th, &t->cpu_clock) == 0;
    }
    if (rc) {
        if (err_len)
            snprintf(err, err_len, "net client: cannot start: %s", strerror(-rc));
        net_client_destroy(cl);
        return rc;
    }
    *out = cl;
    return 0;
}

/* Pushes n items into t's ring, waiting for room when it is full. */
static void push_items(io_thread *t, const item *items, size_t n)
{
    size_t done = 0;
    while (done < n) {
        done += lg_ring_push_bulk(t->ring, items + done, n - done);
        if (done == n)
            break;
        /* Full: let the loop work, then sleep until it made room. */
        if (atomic_exchange(&t->sleeping, 0))
            wake_loop(t);
        atomic_fetch_add(&t->waiters, 1);
        uint32_t seq = atomic_load(&t->space_seq);
        size_t k = lg_ring_push_bulk(t->ring, items + done, n - done);
        done += k;
        if (done < n && k == 0 &&
            lg_ring_size_approx(t->ring) > lg_ring_capacity(t->ring) / 2)
            lg_sync_wait(&t->space_seq, seq, 10000000);
        atomic_fetch_sub(&t->waiters, 1);
    }
    if (atomic_exchange(&t->sleeping, 0))
        wake_loop(t);
}

void net_submit(net_client *c, const lg_sample *items, size_t n)
{
    if (!n)
        return;
    int64_t now = lg_now_ns();
    unsigned T = c->nthreads;
    size_t per = (n + T - 1) / T;
    unsigned start = atomic_fetch_add_explicit(&c->rr, 1, RELAXED) % T;
    size_t at = 0;
    item buf[TAKE_BATCH];
    for (unsigned k = 0; k < T && at < n; k++) {
        io_thread *t = &c->threads[(start + k) % T];
        size_t take = n - at < per ? n - at : per;
        atomic_fetch_add_explicit(&t->submitted, take, RELAXED);
        for (size_t i = 0; i < take;) {
            size_t m = take - i < TAKE_BATCH ? take - i : TAKE_BATCH;
            for (size_t j = 0; j < m; j++)
                buf[j] = (item){items[at + i + j].id, items[at + i + j].index, now};
            push_items(t, buf, m);
            i += m;
        }
        at += take;
    }
}

/* Asks every loop to carry out the current generation (cancel or stop) and waits. */
static void run_generation(net_client *cl, uint32_t g)
{
    for (unsigned i = 0; i < cl->nthreads; i++)
        if (cl->threads[i].started)
            wake_loop(&cl->threads[i]);
    for (;;) {
        uint32_t seq = atomic_load(&cl->ack_seq);
        bool all = true;
        for (unsigned i = 0; i < cl->nthreads; i++)
            if (cl->threads[i].started && atomic_load(&cl->threads[i].acked_gen) != g)
                all = false;
        if (all)
            return;
        lg_sync_wait(&cl->ack_seq, seq, 10000000);
    }
}

void net_client_cancel(net_client *c)
{
    uint32_t g = atomic_fetch_add(&c->gen, 1) + 1;
    run_generation(c, g);
}

void net_client_destroy(net_client *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, 1);
    for (unsigned i = 0; i < c->nthreads; i++)
        if (c->threads[i].started)
            wake_loop(&c->threads[i]);
    for (unsigned i = 0; i < c->nthreads; i++)
        if (c->threads[i].started)
            pthread_join(c->threads[i].th, NULL);
    for (unsigned i = 0; i < c->nthreads; i++)
        thread_free(c, &c->threads[i]);
    free(c->threads);
    free(c);
}

/* ---------------------------------------------------------------- statistics */

#define LOAD(x) atomic_load_explicit(&(x), RELAXED)

void net_client_stats_get(const net_client *c, net_client_stats *out)
{
    memset(out, 0, sizeof *out);
    stats_hist *h = calloc(1, sizeof *h);
    out->io_threads = c->nthreads;
    out->max_connections = c->max_total;
    for (unsigned i = 0; i < c->nthreads; i++) {
        const io_thread *t = &c->threads[i];
        const counters *n = &t->n;
        out->submitted += LOAD(t->submitted);
        out->sent += LOAD(n->sent);
        out->done += LOAD(n->done);
        out->responses += LOAD(n->responses);
        for (int k = 0; k < 6; k++)
            out->by_class[k] += LOAD(n->by_class[k]);
        out->throttled += LOAD(n->throttled);
        if (LOAD(n->retry_after_max_s) > out->retry_after_max_s)
            out->retry_after_max_s = LOAD(n->retry_after_max_s);
        for (int k = 0; k <= NET_STATUS_LAST - NET_STATUS_FIRST; k++)
            out->errors[k] += LOAD(n->errors[k]);
        out->connections_opened += LOAD(n->opened);
        out->connect_attempts += LOAD(n->attempts);
        out->reconnects += LOAD(n->reconnects);
        out->connections_added += LOAD(n->added);
        out->waited_for_connection += LOAD(n->waited);
        out->late_sends += LOAD(n->late);
        out->bytes_sent += LOAD(n->bytes_sent);
        out->bytes_received += LOAD(n->bytes_received);
        int64_t f = LOAD(n->first_send_ns), l = LOAD(n->last_send_ns);
        if (f && (!out->first_send_ns || f < out->first_send_ns))
            out->first_send_ns = f;
        if (l > out->last_send_ns)
            out->last_send_ns = l;
        if (h)
            stats_hist_merge(h, &t->send_delay);
        struct timespec ts;
        if (i < 64 && t->have_cpu_clock && !clock_gettime(t->cpu_clock, &ts))
            out->io_cpu_s[i] = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    }
    if (h && h->count) {
        net_hist_summary *d = &out->send_delay;
        d->count = h->count;
        d->min_ns = h->min;
        d->max_ns = h->max;
        d->mean_ns = stats_hist_mean(h);
        d->p50_ns = stats_hist_percentile(h, 0.5);
        d->p90_ns = stats_hist_percentile(h, 0.9);
        d->p99_ns = stats_hist_percentile(h, 0.99);
        d->p999_ns = stats_hist_percentile(h, 0.999);
    }
    free(h);
}

void net_client_stats_reset(net_client *c)
{
    for (unsigned i = 0; i < c->nthreads; i++) {
        io_thread *t = &c->threads[i];
        counters *n = &t->n;
        /* The connection counters stay: the pool is opened once, before a run. */
        _Atomic uint64_t *fields[] = {&n->sent, &n->done, &n->responses, &n->throttled,
                                      &n->retry_after_max_s, &n->waited, &n->late,
                                      &n->bytes_sent, &n->bytes_received, &t->submitted};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            atomic_store(fields[k], 0);
        for (int k = 0; k < 6; k++)
            atomic_store(&n->by_class[k], 0);
        for (int k = 0; k <= NET_STATUS_LAST - NET_STATUS_FIRST; k++)
            atomic_store(&n->errors[k], 0);
        atomic_store(&n->first_send_ns, 0);
        atomic_store(&n->last_send_ns, 0);
        stats_hist_reset(&t->send_delay);
    }
}
