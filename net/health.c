/* net/health.c: the client's health over a run: what it sent and when, what came back,
 * its CPU time, and the rules that say when the client, not the server, may be what
 * limited the result (docs/http.md). perf_analyzer's rule is the model: more than 1% of
 * the requests sent more than 1 ms late means the generator could not keep the load it
 * was asked for. The figures go to the program's output and to results.json. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "net/internal.h"

static double process_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void net_health_begin(net_client *c, net_health_mark *m)
{
    memset(m, 0, sizeof *m);
    net_client_stats_reset(c);
    net_client_stats st;
    net_client_stats_get(c, &st);
    memcpy(m->io_cpu_s, st.io_cpu_s, sizeof m->io_cpu_s);
    m->cpu_s = process_cpu_s();
    m->wall_ns = lg_now_ns();
}

__attribute__((format(printf, 2, 3))) static void warn(net_health *h, const char *fmt, ...)
{
    if (h->nwarnings == NET_HEALTH_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->warnings[h->nwarnings++], sizeof h->warnings[0], fmt, ap);
    va_end(ap);
}

/* The rules (docs/http.md, "Client health"). */
static void apply_rules(net_health *h)
{
    bool open_loop = h->scenario == LG_SERVER;
    if (open_loop && h->st.sent >= 100 && h->late_share > NET_LATE_SHARE_WARN) {
        /* Why: no connection was free; the I/O threads were busy; or they were idle and
         * still sent late, so they were woken late (the machine is short of CPU). */
        const char *why =
            h->waited_share * 2 > h->late_share
                ? "every connection was busy, the pool at its most; raise "
                  "--max-connections (or the server is saturated: then the latencies are "
                  "the server's)"
            : h->io_busy_max > NET_BUSY_WARN * 0.75
                ? "the I/O threads were busy; raise --io-threads"
                : "the I/O threads were mostly idle, so they were woken late: the machine "
                  "is short of CPU (the server, the LoadGen's issue thread and the client "
                  "share it); run the server elsewhere, or try --busy-poll-us";
        warn(h, "%.1f%% of the requests were sent more than 1 ms after the LoadGen issued "
             "them (above 1%%): %s", h->late_share * 100, why);
    }
    if (h->concurrency && h->st.sent >= 100 && h->waited_share > NET_LATE_SHARE_WARN)
        warn(h, "%.1f%% of the requests waited for a connection, the pool at its most: the "
             "server had fewer requests at a time than the %llu queries --concurrency keeps "
             "outstanding; raise --max-connections", h->waited_share * 100,
             (unsigned long long)h->concurrency);
    if (open_loop && h->issue_lag_p99_ns > NET_LATE_NS)
        warn(h, "the LoadGen's issue lag p99 is %.2f ms (above 1 ms): the issuing thread "
             "fell behind its schedule", (double)h->issue_lag_p99_ns / 1e6);
    for (unsigned i = 0; i < h->io_threads && i < 64; i++)
        if (h->wall_s > 0 && h->io_cpu_s[i] / h->wall_s > NET_BUSY_WARN) {
            warn(h, "I/O thread %u used %.0f%% of a core (above %.0f%%): the client may "
                 "be the limit; raise --io-threads", i, h->io_cpu_s[i] / h->wall_s * 100,
                 NET_BUSY_WARN * 100);
            break;
        }
}

void net_health_end(net_client *c, const net_health_mark *m, const net_client_config *cfg,
                    const lg_settings *s, const lg_results *r, net_health *h)
{
    memset(h, 0, sizeof *h);
    int64_t now = lg_now_ns();
    net_client_stats_get(c, &h->st);
    h->wall_s = (double)(now - m->wall_ns) / 1e9;
    h->cpu_s = process_cpu_s() - m->cpu_s;
    snprintf(h->url, sizeof h->url, "http://%s%s", cfg->url.authority, cfg->url.base);
    h->connections = cfg->connections;
    h->max_connections = h->st.max_connections;
    h->io_threads = cfg->io_threads;
    h->pipeline = cfg->pipeline;
    h->request_timeout_ns = cfg->request_timeout_ns;
    h->max_response_bytes = cfg->max_response_bytes;
    for (unsigned i = 0; i < h->st.io_threads && i < 64; i++) {
        h->io_cpu_s[i] = h->st.io_cpu_s[i] - m->io_cpu_s[i];
        if (h->wall_s > 0 && h->io_cpu_s[i] / h->wall_s > h->io_busy_max)
            h->io_busy_max = h->io_cpu_s[i] / h->wall_s;
    }
    if (h->st.sent) {
        h->late_share = (double)h->st.late_sends / (double)h->st.sent;
        h->waited_share = (double)h->st.waited_for_connection / (double)h->st.sent;
    }
    if (h->st.last_send_ns > h->st.first_send_ns && h->st.sent > 1)
        h->sent_per_s = (double)(h->st.sent - 1) * 1e9 /
                        (double)(h->st.last_send_ns - h->st.first_send_ns);
    h->scenario = s ? (int)s->scenario : -1;
    if (s && s->concurrency > 1 && s->scenario != LG_SERVER && s->scenario != LG_OFFLINE)
        h->concurrency = s->concurrency;
    if (s && s->scenario == LG_SERVER)
        h->requested_per_s = s->server_target_qps;
    else if (s && s->scenario == LG_OFFLINE)
        h->requested_per_s = s->offline_expected_qps;
    if (r) {
        if (r->duration_ns > 0)
            h->completed_per_s = (double)r->samples_completed * 1e9 / (double)r->duration_ns;
        h->issue_lag_p99_ns = r->issue_lag.p99_ns;
        h->issue_lag_max_ns = r->issue_lag.max_ns;
    }
    apply_rules(h);
}

/* ---------------------------------------------------------------- output */

static bool json_str(net_buf *b, const char *s)
{
    bool ok = net_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; ok && *p; p++) {
        if (*p == '"' || *p == '\\')
            ok = net_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            ok = net_buf_printf(b, "\\u%04x", *p);
        else
            ok = net_buf_append(b, p, 1);
    }
    return ok && net_buf_append(b, "\"", 1);
}

static bool json_hist(net_buf *b, const char *key, const net_hist_summary *s)
{
    return net_buf_printf(b, "\"%s\":{\"count\":%llu,\"min\":%lld,\"mean\":%.1f,\"p50\":%lld,"
                          "\"p90\":%lld,\"p99\":%lld,\"p999\":%lld,\"max\":%lld}", key,
                          (unsigned long long)s->count, (long long)s->min_ns, s->mean_ns,
                          (long long)s->p50_ns, (long long)s->p90_ns, (long long)s->p99_ns,
                          (long long)s->p999_ns, (long long)s->max_ns);
}

/* "errors": {"timeout": 3, "http_500": 2, ...}: transport failures and HTTP statuses
 * other than 2xx by class counts (the exact statuses are in samples.bin). */
static bool json_errors(net_buf *b, const net_health *h)
{
    bool ok = net_buf_printf(b, "\"errors\":{");
    bool first = true;
    for (int k = 0; ok && k <= NET_STATUS_LAST - NET_STATUS_FIRST; k++)
        if (h->st.errors[k]) {
            ok = net_buf_printf(b, "%s\"%s\":%llu", first ? "" : ",",
                                net_status_key(NET_STATUS_FIRST + k),
                                (unsigned long long)h->st.errors[k]);
            first = false;
        }
    return ok && net_buf_printf(b, "},\"responses_by_class\":{\"1xx\":%llu,\"2xx\":%llu,"
                                "\"3xx\":%llu,\"4xx\":%llu,\"5xx\":%llu}",
                                (unsigned long long)h->st.by_class[1],
                                (unsigned long long)h->st.by_class[2],
                                (unsigned long long)h->st.by_class[3],
                                (unsigned long long)h->st.by_class[4],
                                (unsigned long long)h->st.by_class[5]);
}

bool net_health_json(const net_health *h, net_buf *b)
{
    const net_client_stats *st = &h->st;
    bool ok = net_buf_printf(b, "{\"protocol\":");
    ok = ok && json_str(b, h->protocol) && net_buf_printf(b, ",\"url\":") &&
         json_str(b, h->url);
    ok = ok && net_buf_printf(b, ",\"connections\":%u,\"max_connections\":%u,"
                              "\"io_threads\":%u,\"pipeline\":%u,"
                              "\"request_timeout_ns\":%lld,\"max_response_bytes\":%llu,",
                              h->connections, h->max_connections, h->io_threads, h->pipeline,
                              (long long)h->request_timeout_ns,
                              (unsigned long long)h->max_response_bytes);
    ok = ok && net_buf_printf(b, "\"requests_submitted\":%llu,\"requests_sent\":%llu,"
                              "\"responses\":%llu,\"throttled\":%llu,\"retry_after_max_s\":%llu,"
                              "\"bad_bodies\":%llu,",
                              (unsigned long long)st->submitted, (unsigned long long)st->sent,
                              (unsigned long long)st->responses,
                              (unsigned long long)st->throttled,
                              (unsigned long long)st->retry_after_max_s,
                              (unsigned long long)h->bad_bodies);
    ok = ok && json_errors(b, h) && net_buf_printf(b, ",") &&
         json_hist(b, "send_delay_ns", &st->send_delay);
    ok = ok && net_buf_printf(b, ",\"late_threshold_ns\":%d,\"sent_late\":%llu,"
                              "\"sent_late_share\":%.6g,\"waited_for_connection\":%llu,"
                              "\"issue_lag_p99_ns\":%lld,\"issue_lag_max_ns\":%lld,",
                              NET_LATE_NS, (unsigned long long)st->late_sends, h->late_share,
                              (unsigned long long)st->waited_for_connection,
                              (long long)h->issue_lag_p99_ns, (long long)h->issue_lag_max_ns);
    ok = ok && net_buf_printf(b, "\"requested_per_s\":%.6g,\"sent_per_s\":%.6g,"
                              "\"completed_per_s\":%.6g,\"wall_s\":%.6g,\"cpu_process_s\":%.6g,"
                              "\"cpu_io_threads_s\":[",
                              h->requested_per_s, h->sent_per_s, h->completed_per_s, h->wall_s,
                              h->cpu_s);
    for (unsigned i = 0; ok && i < h->io_threads && i < 64; i++)
        ok = net_buf_printf(b, "%s%.6g", i ? "," : "", h->io_cpu_s[i]);
    ok = ok && net_buf_printf(b, "],\"io_busy_max\":%.4g,\"connections_opened\":%llu,"
                              "\"connect_attempts\":%llu,\"reconnects\":%llu,"
                              "\"connections_added\":%llu,"
                              "\"bytes_sent\":%llu,\"bytes_received\":%llu,\"first_error\":",
                              h->io_busy_max, (unsigned long long)st->connections_opened,
                              (unsigned long long)st->connect_attempts,
                              (unsigned long long)st->reconnects,
                              (unsigned long long)st->connections_added,
                              (unsigned long long)st->bytes_sent,
                              (unsigned long long)st->bytes_received);
    ok = ok && json_str(b, h->first_error);
    if (ok && h->tokens)
        ok = net_buf_printf(b, ",\"tokens\":{\"n_tokens_source\":{\"usage\":%llu,"
                            "\"chunks\":%llu},\"output_tokens\":%llu,",
                            (unsigned long long)h->tokens_from_usage,
                            (unsigned long long)h->tokens_from_chunks,
                            (unsigned long long)h->output_tokens) &&
             json_hist(b, "itl_ns", &h->itl) && net_buf_printf(b, ",") &&
             json_hist(b, "ttft_from_send_ns", &h->ttft_from_send) &&
             net_buf_printf(b, "}");
    ok = ok && net_buf_printf(b, ",\"warnings\":[");
    for (size_t i = 0; ok && i < h->nwarnings; i++)
        ok = (!i || net_buf_printf(b, ",")) && json_str(b, h->warnings[i]);
    return ok && net_buf_printf(b, "]}");
}

/* "1.23 ms" */
static void dur(char *buf, size_t len, double ns)
{
    if (ns < 1e3)
        snprintf(buf, len, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, len, "%.3g us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    else
        snprintf(buf, len, "%.3g s", ns / 1e9);
}

/* "timeout 3, HTTP 5xx 2" or "none". */
static void failures_text(const net_health *h, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k <= NET_STATUS_LAST - NET_STATUS_FIRST && at < len; k++)
        if (h->st.errors[k])
            at += (size_t)snprintf(buf + at, len - at, "%s%s %llu", at ? ", " : "",
                                   net_status_name(NET_STATUS_FIRST + k),
                                   (unsigned long long)h->st.errors[k]);
    for (int c = 4; c <= 5 && at < len; c++)
        if (h->st.by_class[c])
            at += (size_t)snprintf(buf + at, len - at, "%sHTTP %dxx %llu", at ? ", " : "", c,
                                   (unsigned long long)h->st.by_class[c]);
    if (!at)
        snprintf(buf, len, "none");
}

bool net_health_text(const net_health *h, net_buf *b)
{
    const net_client_stats *st = &h->st;
    char d[4][32], fails[512];
    dur(d[0], sizeof d[0], (double)st->send_delay.p50_ns);
    dur(d[1], sizeof d[1], (double)st->send_delay.p99_ns);
    dur(d[2], sizeof d[2], (double)st->send_delay.max_ns);
    dur(d[3], sizeof d[3], (double)h->issue_lag_p99_ns);
    failures_text(h, fails, sizeof fails);
    bool ok = net_buf_printf(b, "Client (%s, %s; %u connections on %u I/O thread%s, "
                             "pipeline %u):\n", h->protocol, h->url, h->connections,
                             h->io_threads, h->io_threads == 1 ? "" : "s", h->pipeline);
    ok = ok && net_buf_printf(b, "  requests    sent %llu, answered %llu, throttled (429) %llu;"
                              " failures: %s\n", (unsigned long long)st->sent,
                              (unsigned long long)st->responses,
                              (unsigned long long)st->throttled, fails);
    ok = ok && net_buf_printf(b, "  send delay  p50 %s, p99 %s, max %s after issue; %.2f%% sent "
                              "more than 1 ms late; issue lag p99 %s\n", d[0], d[1], d[2],
                              h->late_share * 100, d[3]);
    if (h->requested_per_s > 0)
        ok = ok && net_buf_printf(b, "  rate        requested %.1f/s, sent %.1f/s, completed "
                                  "%.1f/s\n", h->requested_per_s, h->sent_per_s,
                                  h->completed_per_s);
    else
        ok = ok && net_buf_printf(b, "  rate        sent %.1f/s, completed %.1f/s (closed "
                                  "loop)\n", h->sent_per_s, h->completed_per_s);
    ok = ok && net_buf_printf(b, "  cpu         process %.2f s in %.2f s; busiest I/O thread "
                              "%.0f%% of a core\n", h->cpu_s, h->wall_s, h->io_busy_max * 100);
    ok = ok && net_buf_printf(b, "  connections opened %llu, reconnects %llu",
                              (unsigned long long)st->connections_opened,
                              (unsigned long long)st->reconnects);
    if (st->connections_added)
        ok = ok && net_buf_printf(b, "; the pool grew from %u to %llu (at most %u)\n",
                                  h->connections,
                                  (unsigned long long)(h->connections + st->connections_added),
                                  h->max_connections);
    else if (h->max_connections > h->connections)
        ok = ok && net_buf_printf(b, "; the pool of %u could grow to %u\n", h->connections,
                                  h->max_connections);
    else
        ok = ok && net_buf_printf(b, "\n");
    if (h->tokens) {
        char t[4][32];
        dur(t[0], sizeof t[0], (double)h->itl.p50_ns);
        dur(t[1], sizeof t[1], (double)h->itl.p99_ns);
        dur(t[2], sizeof t[2], (double)h->ttft_from_send.p50_ns);
        dur(t[3], sizeof t[3], (double)h->ttft_from_send.p99_ns);
        ok = ok && net_buf_printf(b, "  tokens      %llu output tokens; n_tokens from usage for "
                                  "%llu samples, from the chunk count for %llu\n"
                                  "  ITL         p50 %s, p99 %s (gaps between content chunks, "
                                  "pooled); TTFT from send p50 %s, p99 %s\n",
                                  (unsigned long long)h->output_tokens,
                                  (unsigned long long)h->tokens_from_usage,
                                  (unsigned long long)h->tokens_from_chunks, t[0], t[1], t[2],
                                  t[3]);
    }
    if (h->first_error[0])
        ok = ok && net_buf_printf(b, "  first failure: %s\n", h->first_error);
    for (size_t i = 0; ok && i < h->nwarnings; i++)
        ok = net_buf_printf(b, "  warning: the client may be limiting this result: %s\n",
                            h->warnings[i]);
    return ok;
}
