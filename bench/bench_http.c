/* bench_http.c: the HTTP client (net/) against a reference client. Starts Debian's nginx
 * on 127.0.0.1 with a generated configuration that answers POST /v2/models/m/infer with
 * a fixed KServe v2 JSON body, then, at 8, 32 and 128 connections, runs `wrk` (one
 * thread) and our KServe SUT (one I/O thread, closed loop: an Offline run through
 * lg_run_test, so the LoadGen's own cost is in it) one after the other, three rounds,
 * and prints each one's requests per second and the median ratio. Then, each round, wrk
 * at 32 connections and an open-loop Server run at 90% of the rate it just reached (is
 * it VALID, and does the client say it kept up), and once each the same run with the
 * issue thread's other settings. Then the cost per streamed request against the test
 * server (16-token OpenAI streams): of the client alone (bodies through on_body) and of
 * the whole OpenAI SUT (event and chunk parsers, token reports, lg_complete), in
 * requests per second per client core.
 * With two CPUs or more, nginx runs on the last one and both clients on CPU 0 (--no-pin:
 * wherever the scheduler puts them).
 * Prints one line per figure (and one per open-loop round):
 *   bench_http figure=<name> value=<number> unit=<unit> [details]
 * Usage: bench_http [--quick] [--seconds S] [--rounds N] [--streams | --server] [--no-pin]
 * (--streams: only the two stream figures, which need no nginx; --server: only wrk at
 * 32 connections and the open-loop Server runs)
 * Needs nginx and wrk (`sh scripts/setup.sh bench`); says so and exits 0 without them. */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/kserve.h"
#include "net/net.h"
#include "net/openai.h"
#include "serve/serve.h"

#define NGINX "/usr/sbin/nginx"
#define WRK "/usr/bin/wrk"
#define SERVER_CONNS 256u
#define ANSWER "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":[{\"name\":\"output0\"," \
               "\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}"

static char dir[64];
static pid_t nginx_pid;

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &len))
        return 0;
    close(fd);
    return ntohs(a.sin_port);
}

/* Pinning (--no-pin turns it off): nginx on the last CPU, the clients (wrk, which
 * inherits it, and our client's threads, created after it) on CPU 0, so that neither
 * client shares a core with the server or is moved onto its core mid-run. -1: not
 * pinned (one CPU, or --no-pin). */
static int server_cpu = -1;

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set))
        fprintf(stderr, "bench_http: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

static void unpin(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < n && i < CPU_SETSIZE; i++)
        CPU_SET((int)i, &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* Writes the configuration and starts nginx (one worker); waits until it answers. */
static int start_nginx(uint16_t port, net_url *url)
{
    char path[128], text[2048];
    snprintf(path, sizeof path, "%s/nginx.conf", dir);
    snprintf(text, sizeof text,
             "worker_processes 1;\ndaemon off;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
             "events { worker_connections 8192; }\n"
             "http {\n access_log off;\n keepalive_requests 1000000000;\n"
             " keepalive_timeout 300s;\n client_body_temp_path %s/body;\n"
             " server {\n  listen 127.0.0.1:%u backlog=8192;\n"
             "  location = /v2/health/ready { return 200; }\n"
             "  location = /v2/models/m/ready { return 200; }\n"
             "  location = /v2/models/m/infer { default_type application/json; return 200 '%s'; }\n"
             " }\n}\n", dir, dir, dir, port, ANSWER);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f))
        return -1;
    nginx_pid = fork();
    if (nginx_pid == 0) {
        if (server_cpu >= 0)
            pin_to(server_cpu); /* the master, and the worker it forks */
        execl(NGINX, "nginx", "-c", path, "-p", dir, (char *)NULL);
        _exit(127);
    }
    char url_text[64], err[256];
    snprintf(url_text, sizeof url_text, "http://127.0.0.1:%u", port);
    net_url_parse(url_text, url, err, sizeof err);
    const char *paths[] = {"/v2/health/ready"};
    if (net_wait_ready(url, paths, 1, 5000000000, err, sizeof err)) {
        fprintf(stderr, "bench_http: nginx did not start: %s (see %s/error.log)\n", err, dir);
        return -1;
    }
    return 0;
}

static void stop_nginx(void)
{
    if (nginx_pid > 0) {
        kill(nginx_pid, SIGQUIT);
        waitpid(nginx_pid, NULL, 0);
        nginx_pid = 0;
    }
}


/* Runs wrk for `seconds` at `conns` connections; returns its requests per second. */
static double run_wrk(const net_url *url, unsigned conns, int seconds)
{
    char lua[128], c[16], d[16], target[400];
    snprintf(lua, sizeof lua, "%s/post.lua", dir);
    FILE *f = fopen(lua, "w");
    if (!f)
        return 0;
    fprintf(f, "wrk.method = \"POST\"\nwrk.body = '{\"id\":\"1\",\"inputs\":[{\"name\":"
            "\"input0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[0.1,0.2,0.3,0.4]}]}'\n"
            "wrk.headers[\"Content-Type\"] = \"application/json\"\n");
    fclose(f);
    snprintf(c, sizeof c, "-c%u", conns);
    snprintf(d, sizeof d, "-d%ds", seconds);
    snprintf(target, sizeof target, "http://%s/v2/models/m/infer", url->authority);
    int fd[2];
    if (pipe(fd))
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execl(WRK, "wrk", "-t1", c, d, "-s", lua, target, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char out[8192];
    size_t n = 0;
    ssize_t k;
    while (n + 1 < sizeof out && (k = read(fd[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = '\0';
    close(fd[0]);
    waitpid(pid, NULL, 0);
    const char *r = strstr(out, "Requests/sec:");
    return r ? strtod(r + 13, NULL) : 0;
}

/* One lg_run_test of the KServe SUT against nginx. */
typedef struct ours {
    double per_s;   /* completed samples per second */
    bool valid;
    int64_t p99_ns;
    double issue_cpu_share; /* the issuing (calling) thread's CPU time / wall time */
    net_health h;
} ours;

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* issue_spin_ns and issue_batch_ns: spin_ns and batch_ns, or (batch_ns < 0) the
 * program's for a network SUT (net_issue_batch_ns). */
static ours run_ours(const net_url *url, unsigned conns, lg_scenario sc, double qps,
                     int seconds, int64_t spin_ns, int64_t batch_ns)
{
    ours o = {0};
    net_kserve_config k;
    net_kserve_config_default(&k);
    k.client.url = *url;
    k.client.connections = conns;
    k.model = "m";
    k.total_samples = 1024;
    k.performance_samples = 1024;
    net_kserve *ks;
    char err[256];
    if (net_kserve_create(&k, &ks, err, sizeof err)) {
        fprintf(stderr, "bench_http: %s\n", err);
        return o;
    }
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.min_duration_ms = (uint64_t)seconds * 1000;
    s.server_target_qps = qps;
    s.offline_expected_qps = qps;
    s.issue_spin_ns = spin_ns;
    s.issue_batch_ns = batch_ns >= 0 ? batch_ns : net_issue_batch_ns(qps);
    lg_sut sut = net_kserve_sut(ks);
    lg_qsl qsl = net_kserve_qsl(ks);
    lg_results r;
    net_health_mark m;
    usleep(100000); /* the connections open */
    net_health_begin(net_kserve_client(ks), &m);
    double cpu0 = thread_cpu_s();
    if (lg_run_test(&s, &sut, &qsl, NULL, &r) == 0) {
        double wall_s = r.duration_ns > 0 ? (double)r.duration_ns / 1e9 : 1;
        o.issue_cpu_share = (thread_cpu_s() - cpu0) / wall_s;
        o.per_s = r.duration_ns > 0 ? (double)r.samples_completed * 1e9 / (double)r.duration_ns
                                    : 0;
        o.valid = r.valid;
        o.p99_ns = r.latency.p99_ns;
        net_health_end(net_kserve_client(ks), &m, &k.client, &s, &r, &o.h);
    }
    net_kserve_destroy(ks);
    return o;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---------------------------------------------------------------- streams */

typedef struct stream_ctx {
    const char *req;
    size_t len;
    net_client *c;
    _Atomic uint64_t done, ok;
    _Atomic int stop;
} stream_ctx;

static int s_request(void *ctx, net_call *call, const void **b, size_t *n)
{
    stream_ctx *s = ctx;
    (void)call;
    *b = s->req;
    *n = s->len;
    return 0;
}

static int s_body(void *ctx, net_call *call, const char *p, size_t n)
{
    (void)ctx, (void)call, (void)p, (void)n;
    return 0;
}

/* Closed loop: each answer sends the next request. */
static void s_done(void *ctx, net_call *call, int result)
{
    stream_ctx *s = ctx;
    atomic_fetch_add(&s->done, 1);
    if (!result && call->status == 200)
        atomic_fetch_add(&s->ok, 1);
    if (!atomic_load(&s->stop)) {
        lg_sample next = {call->id, 0};
        net_submit(s->c, &next, 1);
    }
}

/* The client's CPU per streamed request against the test server: 16-token streams. */
static void bench_streams(int seconds, unsigned conns)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv;
    char err[256];
    if (serve_start(&sc, &srv, err, sizeof err)) {
        fprintf(stderr, "bench_http: %s\n", err);
        return;
    }
    const char *body = "{\"model\":\"model\",\"prompt\":\"hello world\",\"max_tokens\":16,"
                       "\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
    static char req[512];
    stream_ctx s = {.req = req};
    s.len = (size_t)snprintf(req, sizeof req, "POST /v1/completions HTTP/1.1\r\nHost: "
                             "127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                             "%zu\r\n\r\n%s", strlen(body), body);
    net_client_config cfg;
    net_client_config_default(&cfg);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", serve_port(srv));
    net_url_parse(url, &cfg.url, err, sizeof err);
    cfg.connections = conns;
    cfg.cb = (net_callbacks){.ctx = &s, .request = s_request, .on_body = s_body,
                             .on_done = s_done};
    if (net_client_create(&cfg, &s.c, err, sizeof err)) {
        fprintf(stderr, "bench_http: %s\n", err);
        serve_stop(srv);
        return;
    }
    usleep(100000);
    net_client_stats a, b;
    net_client_stats_get(s.c, &a);
    int64_t t0 = lg_now_ns();
    for (unsigned i = 0; i < conns; i++) {
        lg_sample first = {i, 0};
        net_submit(s.c, &first, 1);
    }
    sleep((unsigned)seconds);
    atomic_store(&s.stop, 1);
    double wall = (double)(lg_now_ns() - t0) / 1e9;
    /* The requests in flight end (nothing is sent after the stop), then the counters. */
    uint64_t seen;
    do {
        seen = atomic_load(&s.done);
        usleep(20000);
    } while (atomic_load(&s.done) != seen);
    net_client_stats_get(s.c, &b);
    net_client_destroy(s.c);
    serve_stats st;
    serve_stats_get(srv, &st);
    serve_stop(srv);
    double n = (double)(b.responses - a.responses), cpu = b.io_cpu_s[0] - a.io_cpu_s[0];
    printf("bench_http figure=stream16_per_client_core value=%.0f unit=1/s achieved=%.0f "
           "client_cpu_s=%.2f wall_s=%.2f tokens=%llu connections=%u\n", cpu > 0 ? n / cpu : 0,
           n / wall, cpu, wall, (unsigned long long)st.tokens, conns);
}

/* The OpenAI SUT's cost per streamed request, the whole path (event-stream and chunk
 * parsers, lg_first_token, lg_complete): an Offline run of 16-token streams against the
 * test server with no delays; requests per second of the I/O thread's CPU time. */
static void bench_openai_sut(int seconds, unsigned conns)
{
    serve_config sc;
    serve_config_default(&sc);
    serve_server *srv;
    char err[512], path[128], url[64];
    if (serve_start(&sc, &srv, err, sizeof err)) {
        fprintf(stderr, "bench_http: %s\n", err);
        return;
    }
    snprintf(path, sizeof path, "%s/prompts.jsonl", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < 1024; i++)
        fprintf(f, "{\"prompt\":\"hello world %d\",\"max_tokens\":16}\n", i);
    if (f)
        fclose(f);
    net_openai_config c;
    net_openai_config_default(&c);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/v1", serve_port(srv));
    net_url_parse(url, &c.client.url, err, sizeof err);
    c.client.connections = conns;
    c.model = "model";
    c.dataset = path;
    c.performance_samples = 1024;
    net_openai *o;
    if (net_openai_create(&c, &o, err, sizeof err)) {
        fprintf(stderr, "bench_http: %s\n", err);
        serve_stop(srv);
        return;
    }
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_OFFLINE;
    s.min_duration_ms = (uint64_t)seconds * 1000;
    s.offline_expected_qps = 40000;
    s.use_token_latencies = true;
    lg_sut sut = net_openai_sut(o);
    lg_qsl qsl = net_openai_qsl(o);
    lg_results r;
    net_health_mark m;
    net_health h;
    usleep(100000);
    net_health_begin(net_openai_client(o), &m);
    if (lg_run_test(&s, &sut, &qsl, NULL, &r) == 0) {
        net_health_end(net_openai_client(o), &m, &c.client, &s, &r, &h);
        net_openai_stats os;
        net_openai_stats_get(o, &os);
        printf("bench_http figure=openai_stream16_per_client_core value=%.0f unit=1/s "
               "achieved=%.0f client_cpu_s=%.2f tokens=%llu failed=%llu connections=%u\n",
               h.io_cpu_s[0] > 0 ? (double)os.completed / h.io_cpu_s[0] : 0,
               h.completed_per_s, h.io_cpu_s[0], (unsigned long long)os.output_tokens,
               (unsigned long long)r.samples_failed, conns);
    }
    net_openai_destroy(o);
    serve_stop(srv);
}

/* Removes the temporary folder; returns 0 (the exit code). */
static int remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd))
        fprintf(stderr, "bench_http: could not remove %s\n", dir);
    return 0;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    int seconds = 5, rounds = 3;
    bool streams_only = false, server_only = false, pin = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--streams")) {
            streams_only = true;
        } else if (!strcmp(argv[i], "--server")) {
            server_only = true;
        } else if (!strcmp(argv[i], "--no-pin")) {
            pin = false;
        } else if (!strcmp(argv[i], "--quick")) {
            seconds = 2;
            rounds = 1;
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_http [--quick] [--seconds S] [--rounds N] "
                    "[--streams | --server] [--no-pin]\n");
            return 2;
        }
    }
    if (seconds < 1 || rounds < 1 || rounds > 15) {
        fprintf(stderr, "bench_http: --seconds must be >= 1 and --rounds in 1 .. 15\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "/tmp/bench_http_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    if (streams_only) {
        bench_streams(seconds, 32);
        bench_openai_sut(seconds, 32);
        return remove_dir();
    }
    if (access(NGINX, X_OK) || access(WRK, X_OK)) {
        printf("bench_http skipped: needs %s and %s (sh scripts/setup.sh bench)\n", NGINX, WRK);
        return remove_dir();
    }
    if (pin && sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
        server_cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
        pin_to(0);
    }
    printf("bench_http pinning=%s\n", server_cpu >= 0 ? "nginx on the last CPU, the clients "
           "on CPU 0" : "none");
    net_url url;
    if (start_nginx(free_port(), &url)) {
        stop_nginx();
        return 1;
    }
    const unsigned conns[] = {8, 32, 128};
    double wrk32 = 0;
    for (int ci = 0; ci < 3; ci++) {
        if (server_only && conns[ci] != 32)
            continue;
        double w[15], o[15], ratio[15];
        for (int r = 0; r < rounds; r++) {
            w[r] = run_wrk(&url, conns[ci], seconds);
            o[r] = run_ours(&url, conns[ci], LG_OFFLINE, w[r] > 0 ? w[r] : 1e4, seconds,
                            0, -1).per_s;
            ratio[r] = w[r] > 0 ? o[r] / w[r] : 0;
        }
        double mw = median(w, rounds), mo = median(o, rounds), mr = median(ratio, rounds);
        if (conns[ci] == 32)
            wrk32 = mw;
        printf("bench_http figure=closed_loop_c%u value=%.3f unit=ratio ours=%.0f wrk=%.0f "
               "rounds=%d seconds=%d\n", conns[ci], mr, mo, mw, rounds, seconds);
        fflush(stdout);
    }
    /* Open loop: each round measures wrk at 32 connections, then runs Server at 90 % of
     * that rate as the program runs a network SUT (the issue thread sleeps, waking once
     * per net_issue_batch_ns). SERVER_CONNS connections: a 1 ms batch at 125k/s hands
     * over about 125 requests at once, which would wait for one of 128. */
    int valid = 0;
    double done[15], p99[15], late[15], issue_cpu[15], io_cpu[15];
    for (int r = 0; r < rounds; r++) {
        double w = run_wrk(&url, 32, seconds);
        ours o = run_ours(&url, SERVER_CONNS, LG_SERVER, 0.9 * w, seconds * 2, 0, -1);
        valid += o.valid;
        done[r] = w > 0 ? o.per_s / (0.9 * w) : 0;
        p99[r] = (double)o.p99_ns / 1e6;
        late[r] = o.h.late_share;
        issue_cpu[r] = o.issue_cpu_share;
        io_cpu[r] = o.h.io_busy_max;
        printf("bench_http round=%d wrk_c32=%.0f target_qps=%.0f completed_per_s=%.0f "
               "valid=%d p99_ms=%.3f late_share=%.4f issue_thread_cpu=%.2f "
               "io_thread_cpu=%.2f%s%s\n", r + 1, w, 0.9 * w, o.per_s, o.valid, p99[r],
               late[r], issue_cpu[r], io_cpu[r], o.h.nwarnings ? " first_warning=" : "",
               o.h.nwarnings ? o.h.warnings[0] : "");
        fflush(stdout);
    }
    printf("bench_http figure=server_at_90pct_of_wrk value=%d unit=valid_rounds rounds=%d "
           "completed_share_median=%.3f p99_ms_median=%.3f late_share_median=%.4f "
           "issue_thread_cpu_median=%.2f io_thread_cpu_median=%.2f connections=%u\n",
           valid, rounds, median(done, rounds), median(p99, rounds), median(late, rounds),
           median(issue_cpu, rounds), median(io_cpu, rounds), SERVER_CONNS);
    /* What the issue thread's other settings cost, once each at the same rate: the
     * earlier 100 us batch, and the core's default (spinning for the last 120 us). */
    const struct {
        const char *name;
        int64_t spin, batch;
    } other[] = {{"batch_100us", 0, 100000}, {"spinning", 120000, 0}};
    for (int i = 0; i < 2; i++) {
        ours o = run_ours(&url, SERVER_CONNS, LG_SERVER, 0.9 * wrk32, seconds * 2,
                          other[i].spin, other[i].batch);
        printf("bench_http figure=server_at_90pct_of_wrk_%s value=%d unit=valid "
               "target_qps=%.0f completed_per_s=%.0f p99_ms=%.3f late_share=%.4f "
               "issue_thread_cpu=%.2f io_thread_cpu=%.2f\n", other[i].name, o.valid,
               0.9 * wrk32, o.per_s, (double)o.p99_ns / 1e6, o.h.late_share,
               o.issue_cpu_share, o.h.io_busy_max);
        fflush(stdout);
    }
    stop_nginx();
    if (server_cpu >= 0)
        unpin(); /* the stream figures: the test server's threads on any core */
    if (server_only)
        return remove_dir();
    bench_streams(seconds, 32);
    bench_openai_sut(seconds, 32);
    return remove_dir();
}
