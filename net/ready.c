/* net/ready.c: the readiness gate: a GET on a connection of its own, waited for with
 * poll() and a deadline, parsed with the client's parser; and the loop that polls the
 * server's health paths until they answer 200 or the time runs out. Runs before a test,
 * never during one. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/internal.h"

/* Milliseconds left until deadline_ns, at least 0. */
static int ms_left(int64_t deadline_ns)
{
    int64_t left = deadline_ns - lg_now_ns();
    return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* Connects within the deadline. Returns the socket, or -1 with *status set. */
static int connect_by(const net_url *url, int64_t deadline_ns, int *status, char *err,
                      size_t len)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    char port[8];
    snprintf(port, sizeof port, "%u", url->port);
    int rc = getaddrinfo(url->host, port, &hints, &res);
    if (rc) {
        snprintf(err, len, "cannot resolve '%s': %s", url->host, gai_strerror(rc));
        *status = NET_ECONNECT;
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        snprintf(err, len, "socket: %s", strerror(errno));
        *status = NET_EIO;
        return -1;
    }
    rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    int e = rc ? errno : 0;
    if (rc && e == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int k = poll(&p, 1, ms_left(deadline_ns));
        socklen_t sl = sizeof e;
        if (k == 0)
            e = ETIMEDOUT;
        else if (k < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl))
            e = errno;
    }
    if (e) {
        close(fd);
        *status = e == ECONNREFUSED ? NET_ECONNREFUSED
                  : e == ETIMEDOUT  ? NET_ETIMEDOUT
                                    : NET_ECONNECT;
        snprintf(err, len, "%s (%s)", net_status_name(*status), strerror(e));
        return -1;
    }
    return fd;
}

static int note_head(void *ctx, const net_head *h)
{
    *(int *)ctx = h->status;
    return 0;
}

/* Sends all of [p, p + n) by the deadline. */
static bool send_by(int fd, const char *p, size_t n, int64_t deadline_ns)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (poll(&pf, 1, ms_left(deadline_ns)) <= 0)
            return false;
    }
    return true;
}

/* Reads and parses the answer by the deadline. Returns the status or a NET_E*. */
static int read_answer(int fd, int64_t deadline_ns, int64_t timeout_ns, char *err, size_t len)
{
    char buf[NET_HTTP_MAX_HEAD + 4096];
    size_t have = 0;
    int status = 0;
    net_http_parser p;
    net_http_parser_init(&p, 1u << 20, false);
    net_http_sink sink = {.ctx = &status, .on_head = note_head};
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int k = poll(&pf, 1, ms_left(deadline_ns));
        if (k == 0) {
            snprintf(err, len, "no answer within %lld ms", (long long)(timeout_ns / 1000000));
            return NET_ETIMEDOUT;
        }
        ssize_t r = k > 0 ? recv(fd, buf + have, sizeof buf - have, 0) : -1;
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r < 0) {
            int st = errno == ECONNRESET ? NET_ECONNRESET : NET_EIO;
            snprintf(err, len, "%s (%s)", net_status_name(st), strerror(errno));
            return st;
        }
        int st = 0;
        if (r == 0) {
            st = net_http_eof(&p, &sink);
        } else {
            have += (size_t)r;
            size_t used = net_http_feed(&p, buf, have, &sink);
            memmove(buf, buf + used, have - used);
            have -= used;
            st = p.error;
        }
        if (p.done)
            return status;
        if (st) {
            snprintf(err, len, "%s", net_status_name(st));
            return st;
        }
    }
}

int net_http_get_status(const net_url *url, const char *path, int64_t timeout_ns,
                        char *err, size_t err_len)
{
    char tmp[256];
    if (!err || !err_len) {
        err = tmp;
        err_len = sizeof tmp;
    }
    err[0] = '\0';
    int64_t deadline = lg_now_ns() + timeout_ns;
    int status = 0;
    int fd = connect_by(url, deadline, &status, err, err_len);
    if (fd < 0)
        return status;
    char full[1400], req[NET_URL_HEADERS_MAX + 4096]; /* the head with the URL's headers */
    snprintf(full, sizeof full, "%s%s", url->base, path);
    net_request r = {.method = "GET", .path = full, .authority = net_url_host(url),
                     .url_headers = url->headers, .close = true};
    size_t n = net_request_format(&r, false, req, sizeof req);
    if (n > sizeof req || !send_by(fd, req, n, deadline)) {
        close(fd);
        snprintf(err, err_len, "could not send the request");
        return NET_EIO;
    }
    status = read_answer(fd, deadline, timeout_ns, err, err_len);
    close(fd);
    if (status >= 100 && status <= 999)
        snprintf(err, err_len, "answered %d", status);
    return status;
}

int net_wait_ready(const net_url *url, const char *const *paths, size_t n,
                   int64_t timeout_ns, char *err, size_t err_len)
{
    int64_t deadline = lg_now_ns() + timeout_ns;
    size_t i = 0;
    int status = 0;
    char why[256];
    while (i < n) {
        int64_t left = deadline - lg_now_ns();
        status = net_http_get_status(url, paths[i], left > 0 ? left : 1, why, sizeof why);
        if (status == 200) {
            i++;
            continue;
        }
        if (lg_now_ns() + 100000000 >= deadline) {
            if (err_len)
                snprintf(err, err_len, "GET %s%s: %s", url->base, paths[i], why);
            return status ? status : NET_ETIMEDOUT;
        }
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    if (err_len)
        err[0] = '\0';
    return 0;
}
