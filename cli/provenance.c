/* cli/provenance.c: what a run folder records of how it was made, beyond the settings
 * (results.json "provenance"): the command line, the program's build, every parameter
 * of the SUT and the QSL, and each config file with its SHA-256 (nettle), so that two
 * runs can be told apart by what changed between them. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <nettle/sha2.h>

#include "cli/internal.h"
#include "model/model.h"

/* The SHA-256 of a file as 64 hex digits, or the reason it could not be read. */
static void file_sha256(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(out, len, "unreadable: %s", strerror(errno));
        return;
    }
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&ctx, n, buf);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(out, len, "unreadable");
        return;
    }
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest && 2 * i + 2 < len; i++)
        snprintf(out + 2 * i, len - 2 * i, "%02x", digest[i]);
}

/* Appends one argument to a command line, quoted for a POSIX shell when it needs it. */
static size_t shell_word(char *buf, size_t len, size_t at, const char *w)
{
    bool plain = *w != '\0';
    for (const char *p = w; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                       "-_=./:,+@%", *p) != NULL;
    size_t n = at;
#define PUT(c) (n + 1 < len ? (buf[n] = (c), buf[n + 1] = '\0') : 0, n++)
    if (at)
        PUT(' ');
    if (!plain)
        PUT('\'');
    for (const char *p = w; *p; p++) {
        if (*p == '\'' && !plain) {
            PUT('\'');
            PUT('\\');
            PUT('\'');
        }
        PUT(*p);
    }
    if (!plain)
        PUT('\'');
#undef PUT
    return n;
}

/* arg with the secret of --api-key or --header it holds replaced by "(hidden)", in buf
 * (len bytes), or arg itself when it holds none. The secrets point into the arguments
 * getopt parsed (the value of --api-key K or --api-key=K, the value of a --header), so
 * every spelling of the flags is covered and only the value is hidden. */
static const char *without_secrets(const cli_net_opts *n, const char *arg, char *buf,
                                   size_t len)
{
    size_t alen = strlen(arg);
    for (unsigned k = 0; k < n->nsecrets; k++) {
        const char *s = n->secrets[k];
        if (s < arg || s >= arg + alen)
            continue;
        size_t at = (size_t)(s - arg), sl = strlen(s);
        snprintf(buf, len, "%.*s(hidden)%s", (int)at, arg, s + sl);
        return buf;
    }
    return arg;
}

/* Adds a note whose value is formatted into the notes' own text store. */
__attribute__((format(printf, 3, 4))) static void note(cli_provenance *p, const char *key,
                                                       const char *fmt, ...)
{
    if (p->n == CLI_MAX_NOTES || p->used >= sizeof p->text)
        return;
    char *v = p->text + p->used;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(v, sizeof p->text - p->used, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    size_t room = sizeof p->text - p->used;
    p->used += (size_t)w < room ? (size_t)w + 1 : room;
    p->notes[p->n++] = (lg_note){key, v};
}

/* A plugin SUT (cli/plugin.c): the library (its resolved path, size and SHA-256, so
 * that two runs of "the same" path can be told apart), its table's name, version and
 * ABI, its options and its effective parameters, and whose QSL ran. */
static void plugin_notes(cli_provenance *p, const cli_plugin_info *pi)
{
    char hash[80] = "not hashed: larger than 1 GiB";
    struct stat st;
    bool known = !stat(pi->path, &st);
    if (known && st.st_size <= (1LL << 30))
        file_sha256(pi->path, hash, sizeof hash);
    note(p, "sut.plugin.path", "%s", pi->path);
    note(p, "sut.plugin.bytes", "%lld", known ? (long long)st.st_size : -1LL);
    note(p, "sut.plugin.sha256", "%s", hash);
    note(p, "sut.plugin.name", "%s", pi->name);
    note(p, "sut.plugin.version", "%s", pi->version);
    note(p, "sut.plugin.abi_version", "%u", pi->abi_version);
    note(p, "sut.options", "%s", pi->options);
    note(p, "sut.parameters", "%s", pi->parameters);
    note(p, "qsl", "%s", pi->own_qsl ? "plugin" : "synthetic");
}

void cli_provenance_make(cli_provenance *p, const cli_run_opts *o)
{
    p->n = 0;
    p->used = 0;
    size_t at = 0;
    p->command_line[0] = '\0';
    at = shell_word(p->command_line, sizeof p->command_line, at, "loadgen");
    for (int i = 0; i < o->argc; i++) { /* argv[0] is the subcommand */
        char hidden[1024];
        at = shell_word(p->command_line, sizeof p->command_line, at,
                        without_secrets(&o->net, o->argv[i], hidden, sizeof hidden));
    }
    note(p, "command_line", "%s%s", p->command_line,
         at >= sizeof p->command_line ? " ... (cut)" : "");
    note(p, "program", "loadgen %s%s%s", lg_version(), *lg_build_commit() ? " @ " : "",
         lg_build_commit());
    note(p, "sut", "%s", o->sut);
    if (o->arr.trace_path) { /* the replayed trace, by its contents */
        char hash[80] = "";
        file_sha256(o->arr.trace_path, hash, sizeof hash);
        note(p, "arrival.trace", "%s", o->arr.trace_path);
        note(p, "arrival.trace.sha256", "%s", hash);
        note(p, "arrival.trace.rows", "%llu", (unsigned long long)o->arr.trace.count);
    }
    if (o->arr.stages_text)
        note(p, "arrival.stages", "%s", o->arr.stages_text);
    if (!strcmp(o->sut, "synthetic")) {
        const sut_synthetic_config *c = &o->syn;
        note(p, "sut.workers", "%u", c->workers);
        note(p, "sut.max_batch", "%u", c->max_batch);
        note(p, "sut.batch_cost", "%g", c->batch_cost);
        note(p, "sut.service_dist", "%s", sut_dist_name(c->dist));
        note(p, "sut.service_mean_us", "%g", (double)c->mean_ns / 1e3);
        note(p, "sut.service_sigma", "%g", c->lognormal_sigma);
        note(p, "sut.busy_wait", "%s", c->busy_wait ? "true" : "false");
        note(p, "sut.seed", "%llu", (unsigned long long)c->seed);
        note(p, "sut.drop_fraction", "%g", c->drop_fraction);
        note(p, "sut.fail_fraction", "%g", c->fail_fraction);
        note(p, "sut.double_fraction", "%g", c->double_fraction);
        note(p, "sut.stall_ms", "%g", (double)c->stall_ns / 1e6);
        note(p, "sut.stall_every_ms", "%g", (double)c->stall_every_ns / 1e6);
        note(p, "sut.tokens", "%llu", (unsigned long long)c->tokens);
        note(p, "sut.tpot_us", "%g", (double)c->tpot_ns / 1e3);
    }
    if (cli_model_sut(o)) {
        /* The network by its file's hash: two runs of different weights differ here. */
        char path[4096], err[512], hash[80] = "";
        bool found = cli_model_weights_path(o, path, sizeof path, err, sizeof err);
        if (found)
            file_sha256(path, hash, sizeof hash);
        note(p, "sut.weights", "%s", found ? path : o->mdl.weights);
        note(p, "sut.weights.sha256", "%s", hash);
        note(p, "sut.workers", "%u", o->syn.workers);
        note(p, "sut.max_batch", "%u", o->syn.max_batch);
        note(p, "sut.blas_threads", "%u", o->mdl.blas_threads);
        note(p, "qsl", "fashion-mnist test images");
        note(p, "qsl.dataset_dir", "%s", o->mdl.dataset_dir ? o->mdl.dataset_dir
                                                           : MODEL_DATASET_DIR);
    }
    if (cli_net_sut(o)) {
        const cli_net_opts *n = &o->net;
        note(p, "sut.url", "%s", n->url_text ? n->url_text : "");
        note(p, "sut.model_name", "%s", n->model_name ? n->model_name : "");
        note(p, "sut.model_version", "%s", n->model_version ? n->model_version : "");
        if (!strcmp(o->sut, "openai"))
            note(p, "sut.protocol", "openai %s%s", n->api == NET_OAI_CHAT ? "chat" : "completions",
                 n->stream ? " streamed" : "");
        else
            note(p, "sut.protocol", "%s", n->binary ? "kserve-v2 binary" : "kserve-v2 json");
        note(p, "sut.connections", "%u", n->connections);
        note(p, "sut.max_connections", "%u", cli_net_max_connections(o));
        note(p, "sut.io_threads", "%u", n->io_threads);
        note(p, "sut.pipeline", "%u", n->pipeline);
        note(p, "sut.request_timeout_ms", "%g", n->request_timeout_ms);
        note(p, "sut.max_response_bytes", "%llu", (unsigned long long)n->max_response_bytes);
        note(p, "sut.busy_poll_us", "%g", n->busy_poll_us);
        char names[512] = "";
        size_t nl = 0;
        for (const char *h = n->headers; h < n->headers + n->headers_len && nl < sizeof names;) {
            const char *colon = strchr(h, ':'), *end = strstr(h, "\r\n");
            nl += (size_t)snprintf(names + nl, sizeof names - nl, "%s%.*s", nl ? ", " : "",
                                   (int)(colon - h), h);
            h = end + 2;
        }
        if (n->host_header[0] && nl < sizeof names)
            snprintf(names + nl, sizeof names - nl, "%sHost: %s", nl ? ", " : "", n->host_header);
        note(p, "sut.headers", "%s", names);
        char shape[256] = "";
        for (unsigned i = 0, sl = 0; i < n->ndim && sl < sizeof shape; i++)
            sl += (unsigned)snprintf(shape + sl, sizeof shape - sl, "%s%llu", i ? "," : "",
                                     (unsigned long long)n->shape[i]);
        note(p, "qsl", "%s", n->dataset ? n->dataset : "synthetic tensors");
        note(p, "qsl.input_shape", "%s", shape);
        note(p, "qsl.input_datatype", "%s",
             n->dtype >= 0 ? net_dtype_name((net_dtype)n->dtype) : "");
        note(p, "qsl.seed", "%llu", (unsigned long long)o->syn.seed);
        struct stat st;
        if (n->dataset && !stat(n->dataset, &st)) {
            /* Hashing a dataset of many GB would hold the run up for minutes. */
            char hash[80] = "not hashed: larger than 1 GiB";
            if (st.st_size <= (1LL << 30))
                file_sha256(n->dataset, hash, sizeof hash);
            note(p, "qsl.dataset.bytes", "%lld", (long long)st.st_size);
            note(p, "qsl.dataset.sha256", "%s", hash);
        }
    } else if (o->plugin.loaded) {
        plugin_notes(p, o->plugin.loaded);
    } else if (!cli_model_sut(o)) {
        note(p, "qsl", "synthetic");
    }
    note(p, "qsl.total_sample_count", "%llu", (unsigned long long)o->total);
    note(p, "qsl.performance_sample_count", "%llu", (unsigned long long)o->performance);
    if (!o->plugin.loaded || !o->plugin.loaded->own_qsl)
        note(p, "qsl.sample_size", "%llu", (unsigned long long)o->sample_size);
    note(p, "model", "%s", o->model ? o->model : "");
    /* The settings the program derived from the SUT (no flag or file gave them): their
     * change between two runs follows from the SUT's, and is not a change of its own. */
    char derived[1024] = "";
    size_t dl = 0;
    for (size_t i = 0; i < lg_settings_field_count() && i < CLI_MAX_FIELDS; i++)
        if (o->origins[i].source == LG_CONF_SRC_CALLER && o->origins[i].file &&
            !strncmp(o->origins[i].file, "derived", 7) && dl < sizeof derived)
            dl += (size_t)snprintf(derived + dl, sizeof derived - dl, "%s%s", dl ? " " : "",
                                   lg_settings_field_name(i));
    note(p, "settings.derived", "%s", derived);
    static const char *const conf_keys[CLI_MAX_CONFS][2] = {
#define K(i) {"config." #i, "config." #i ".sha256"}
        K(1), K(2), K(3), K(4), K(5), K(6), K(7), K(8),
        K(9), K(10), K(11), K(12), K(13), K(14), K(15), K(16),
#undef K
    };
    for (int i = 0; i < o->nconf && i < CLI_MAX_CONFS; i++) {
        char hash[80];
        file_sha256(o->confs[i], hash, sizeof hash);
        note(p, conf_keys[i][0], "%s (%s)", o->confs[i],
             lg_config_kind_from_path(o->confs[i]) == LG_CONF_MLPERF ? "mlperf.conf"
                                                                       : "user.conf");
        note(p, conf_keys[i][1], "%s", hash);
    }
}
