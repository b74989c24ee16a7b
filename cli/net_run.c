/* cli/net_run.c: one test of `loadgen run --sut kserve|openai`: the readiness gate (the
 * run stops before timing, exit 3, when the server or the model does not answer ready in
 * time), the SUT and its QSL, and after the run the client's health: printed, its
 * warnings on stderr, and added to results.json as "client" (read with jansson,
 * rewritten under a temporary name and renamed, as every run file is). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/internal.h"

struct cli_net_run {
    net_kserve *k;               /* one of the two */
    net_openai *oai;
    net_kserve_config cfg;       /* kserve's; its client part serves both */
    net_openai_config ocfg;
    net_health_mark mark;
};

static net_client *run_client(cli_net_run *n)
{
    return n->k ? net_kserve_client(n->k) : net_openai_client(n->oai);
}

static char report_text[8192];

const char *cli_net_report(void)
{
    return report_text;
}

/* The request timeout: the flag's, else 10 s or half the run's sample timeout when that
 * is shorter, so that a stalled request ends with its own status (a timeout) before the
 * LoadGen counts it as never answered. */
static int64_t request_timeout_ns(const cli_run_opts *o)
{
    if (o->net.request_timeout_ms > 0)
        return (int64_t)(o->net.request_timeout_ms * 1e6);
    lg_qsl q = {.total_sample_count = o->total, .performance_sample_count = o->performance};
    int64_t sample = lg_settings_effective_timeout_ns(&o->s, &q);
    int64_t t = INT64_C(10000000000);
    return sample > 0 && sample / 2 < t ? sample / 2 : t;
}

/* --url with the headers of --header and --api-key. */
static net_url url_of(const cli_net_opts *n)
{
    net_url u = n->url;
    u.host_header = n->host_header[0] ? n->host_header : NULL;
    u.headers = n->headers_len ? n->headers : NULL;
    return u;
}

static void make_client(const cli_run_opts *o, net_client_config *c)
{
    const cli_net_opts *n = &o->net;
    c->url = url_of(n);
    c->connections = n->connections;
    c->max_connections = cli_net_max_connections(o);
    c->io_threads = n->io_threads;
    c->pipeline = n->pipeline;
    c->request_timeout_ns = request_timeout_ns(o);
    c->max_response_bytes = n->max_response_bytes;
    c->busy_poll_ns = (int64_t)(n->busy_poll_us * 1e3);
}

static void make_openai(const cli_run_opts *o, net_openai_config *c)
{
    const cli_net_opts *n = &o->net;
    net_openai_config_default(c);
    make_client(o, &c->client);
    c->model = n->model_name;
    c->api = (net_oai_endpoint)n->api;
    c->stream = n->stream;
    c->dataset = n->dataset;
    c->default_max_tokens = n->max_tokens;
    c->total_samples = o->total_given ? o->total : 0;
    c->performance_samples = o->performance;
}

static void make_config(const cli_run_opts *o, net_kserve_config *c)
{
    const cli_net_opts *n = &o->net;
    net_kserve_config_default(c);
    make_client(o, &c->client);
    c->model = n->model_name;
    c->model_version = n->model_version;
    if (n->input_name)
        c->input_name = n->input_name;
    c->binary = n->binary;
    c->dataset = n->dataset;
    /* A .npy file says its datatype; raw and synthetic inputs default to FP32. */
    size_t dl = n->dataset ? strlen(n->dataset) : 0;
    bool npy = dl > 4 && !strcmp(n->dataset + dl - 4, ".npy");
    c->dtype = n->dtype >= 0 ? n->dtype : npy ? -1 : NET_DT_FP32;
    c->ndim = n->ndim;
    memcpy(c->shape, n->shape, sizeof c->shape);
    c->total_samples = n->dataset && !o->total_given ? 0 : o->total;
    c->performance_samples = o->performance;
    c->seed = o->syn.seed;
}

/* The readiness gate of the SUT's protocol: -1, or exit 3 (the message printed). */
static int wait_ready(const cli_run_opts *o, bool openai)
{
    const cli_net_opts *n = &o->net;
    char err[512];
    if (!o->quiet)
        fprintf(stderr, "loadgen: waiting up to %g s for %s%s%s%s to be ready\n",
                n->ready_timeout_s, n->url_text, openai ? "" : " and model '",
                openai ? "" : n->model_name, openai ? "" : "'");
    int64_t t = (int64_t)(n->ready_timeout_s * 1e9);
    net_url u = url_of(n);
    int st = openai ? net_openai_wait_ready(&u, t, err, sizeof err)
                    : net_kserve_wait_ready(&u, n->model_name, n->model_version, t,
                                            err, sizeof err);
    if (st) {
        fprintf(stderr, "loadgen: the server is not ready after %g s (--ready-timeout-s): "
                "%s; nothing was run\n", n->ready_timeout_s, err);
        return CLI_EXIT_RUNTIME;
    }
    return -1;
}

int cli_net_prepare(cli_run_opts *o, cli_net_run **out)
{
    *out = NULL;
    const cli_net_opts *n = &o->net;
    bool openai = !strcmp(o->sut, "openai");
    char err[512];
    int rc = wait_ready(o, openai);
    if (rc >= 0)
        return rc;
    cli_net_run *r = calloc(1, sizeof *r);
    if (!r)
        return CLI_EXIT_RUNTIME;
    if (openai) {
        make_openai(o, &r->ocfg);
        r->cfg.client = r->ocfg.client;
        rc = net_openai_create(&r->ocfg, &r->oai, err, sizeof err);
    } else {
        make_config(o, &r->cfg);
        rc = net_kserve_create(&r->cfg, &r->k, err, sizeof err);
    }
    if (rc) {
        bool usage = rc == -EINVAL || rc == -EMSGSIZE ||
                     (n->dataset && (rc == -ENOENT || rc == -EACCES));
        fprintf(stderr, "loadgen: %s%s\n", n->dataset && usage ? "--dataset: " : "", err);
        free(r);
        return usage ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    *out = r;
    return -1;
}

lg_sut cli_net_run_sut(cli_net_run *n)
{
    return n->k ? net_kserve_sut(n->k) : net_openai_sut(n->oai);
}

lg_qsl cli_net_run_qsl(cli_net_run *n)
{
    return n->k ? net_kserve_qsl(n->k) : net_openai_qsl(n->oai);
}

const char *cli_net_load_error(const cli_net_run *n)
{
    return n->k ? net_kserve_load_error(n->k) : net_openai_load_error(n->oai);
}

void cli_net_begin(cli_net_run *n)
{
    report_text[0] = '\0';
    net_health_begin(run_client(n), &n->mark);
}

/* Adds the "client" object to DIR/results.json. */
static void add_to_results(const char *dir, const net_health *h)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return; /* no results.json (the run wrote none): nothing to add to */
    net_buf b = {0};
    json_t *client = net_health_json(h, &b) ? json_loadb((const char *)b.p, b.len, 0, &je)
                                            : NULL;
    net_buf_free(&b);
    if (!client) {
        fprintf(stderr, "loadgen: could not add the client's figures to %s: %s\n", path,
                je.text);
        json_decref(root);
        return;
    }
    json_object_set_new(root, "client", client);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ||
        rename(tmp, path)) {
        fprintf(stderr, "loadgen: %s: cannot write the client's figures: %s\n", path,
                strerror(errno));
        unlink(tmp);
    }
    json_decref(root);
}

void cli_net_end(cli_net_run *n, const cli_run_opts *o, const lg_results *res, int rc)
{
    net_health h;
    net_health_end(run_client(n), &n->mark, &n->cfg.client, &o->s,
                   rc == 0 || res->metric_name ? res : NULL, &h);
    if (n->k) {
        snprintf(h.protocol, sizeof h.protocol, "KServe v2 %s",
                 o->net.binary ? "binary" : "JSON");
        h.bad_bodies = net_kserve_bad_bodies(n->k);
        snprintf(h.first_error, sizeof h.first_error, "%s", net_kserve_first_error(n->k));
    } else {
        net_openai_stats os;
        net_openai_stats_get(n->oai, &os);
        snprintf(h.protocol, sizeof h.protocol, "OpenAI %s%s",
                 o->net.api == NET_OAI_CHAT ? "chat" : "completions",
                 o->net.stream ? ", streamed" : "");
        h.bad_bodies = os.bad_bodies;
        snprintf(h.first_error, sizeof h.first_error, "%s", net_openai_first_error(n->oai));
        h.tokens = true;
        h.tokens_from_usage = os.tokens_from_usage;
        h.tokens_from_chunks = os.tokens_from_chunks;
        h.output_tokens = os.output_tokens;
        h.itl = os.itl;
        h.ttft_from_send = os.ttft_from_send;
    }
    if (o->out)
        add_to_results(o->out, &h);
    net_buf b = {0};
    if (net_health_text(&h, &b))
        snprintf(report_text, sizeof report_text, "%.*s", (int)b.len, (const char *)b.p);
    net_buf_free(&b);
    /* The warnings also go to stderr, where a --repeat series or a quiet run shows them. */
    for (size_t i = 0; i < h.nwarnings; i++)
        fprintf(stderr, "loadgen: warning: the client may be limiting this result: %s\n",
                h.warnings[i]);
}

void cli_net_destroy(cli_net_run *n)
{
    if (!n)
        return;
    net_kserve_destroy(n->k);
    net_openai_destroy(n->oai);
    free(n);
}
