/* cli/net_options.c: the flags of `loadgen run --sut kserve|openai` (docs/http.md): the
 * server, the model, the inputs and the client; their help, their parser and the checks
 * made once every flag is read, each message naming its flag. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/internal.h"

enum {
    N_URL = CLI_NET_OPT_BASE, N_MODEL_NAME, N_MODEL_VERSION, N_INPUT_NAME, N_BINARY,
    N_SHAPE, N_DTYPE, N_DATASET, N_CONNECTIONS, N_IO_THREADS, N_PIPELINE, N_READY,
    N_REQ_TIMEOUT, N_MAX_RESPONSE, N_BUSY_POLL, N_API, N_STREAM, N_MAX_TOKENS,
    N_MAX_CONNECTIONS, N_HEADER, N_API_KEY, N_API_KEY_ENV, N_END
};

static const struct option net_long[] = {
    {"url", required_argument, 0, N_URL},
    {"model-name", required_argument, 0, N_MODEL_NAME},
    {"model-version", required_argument, 0, N_MODEL_VERSION},
    {"input-name", required_argument, 0, N_INPUT_NAME},
    {"binary", no_argument, 0, N_BINARY},
    {"input-shape", required_argument, 0, N_SHAPE},
    {"input-datatype", required_argument, 0, N_DTYPE},
    {"dataset", required_argument, 0, N_DATASET},
    {"connections", required_argument, 0, N_CONNECTIONS},
    {"max-connections", required_argument, 0, N_MAX_CONNECTIONS},
    {"io-threads", required_argument, 0, N_IO_THREADS},
    {"pipeline", required_argument, 0, N_PIPELINE},
    {"ready-timeout-s", required_argument, 0, N_READY},
    {"request-timeout-ms", required_argument, 0, N_REQ_TIMEOUT},
    {"max-response-bytes", required_argument, 0, N_MAX_RESPONSE},
    {"busy-poll-us", required_argument, 0, N_BUSY_POLL},
    {"api", required_argument, 0, N_API},
    {"stream", no_argument, 0, N_STREAM},
    {"max-tokens", required_argument, 0, N_MAX_TOKENS},
    {"header", required_argument, 0, N_HEADER},
    {"api-key", required_argument, 0, N_API_KEY},
    {"api-key-env", required_argument, 0, N_API_KEY_ENV},
};

const struct option *cli_net_options(size_t *n)
{
    *n = sizeof net_long / sizeof net_long[0];
    return net_long;
}

void cli_net_opts_default(cli_net_opts *n)
{
    memset(n, 0, sizeof *n);
    n->dtype = -1;
    n->connections = 8;
    n->io_threads = 1;
    n->pipeline = 1;
    n->ready_timeout_s = 30;
    n->max_response_bytes = 64u << 20;
}

void cli_net_help(FILE *f)
{
    fputs("Network SUTs (--sut kserve: a KServe v2 / Open Inference Protocol server;\n"
          "--sut openai: an OpenAI-compatible LLM server; over HTTP/1.1, docs/http.md):\n"
          "  --url http://HOST:PORT[/PATH]  the server (required; openai: the API's base,\n"
          "                               e.g. http://127.0.0.1:8000/v1)\n"
          "  --model-name M               the model (required); kserve: --model-version V\n"
          "                               adds /versions/V to its paths\n"
          "  --dataset FILE               kserve: a .npy file (the first axis is the\n"
          "                               sample), or raw little-endian bytes with\n"
          "                               --input-shape and --input-datatype; openai\n"
          "                               (required): JSON Lines of prompt or messages\n"
          "  --api completions|chat       openai: the endpoint (default completions)\n"
          "  --stream                     openai: streamed answers (server-sent events):\n"
          "                               first tokens and inter-token gaps\n"
          "  --max-tokens N               openai: max_tokens of samples without their own\n"
          "  --input-shape 1,3,224,224    the input of one sample (synthetic inputs, a raw\n"
          "                               file, or a .npy sample reshaped)\n"
          "  --input-datatype T           BOOL, UINT8..64, INT8..64, FP16, BF16, FP32, FP64\n"
          "                               (default FP32; a .npy file's own otherwise)\n"
          "  --input-name NAME            the input tensor's name (default input0)\n"
          "  --binary                     send and ask for binary tensors (the binary\n"
          "                               tensor data extension) instead of JSON\n"
          "  --connections N              keep-alive connections opened first (default 8)\n"
          "  --max-connections M          the pool grows up to M connections when requests\n"
          "                               find every one busy (default 1024, or N or\n"
          "                               --concurrency when larger; Offline: N, a\n"
          "                               fixed pool)\n"
          "  --header 'Name: value'       a header sent with every request and readiness\n"
          "                               probe (repeatable); 'Host: NAME' replaces the\n"
          "                               Host header (a gateway's virtual host)\n"
          "  --api-key KEY                sends 'Authorization: Bearer KEY' (kept out of\n"
          "                               results.json, as are the values of --header\n"
          "                               lines that look secret)\n"
          "  --api-key-env NAME           the same, the key read from environment\n"
          "                               variable NAME (e.g. OPENAI_API_KEY)\n"
          "  --io-threads T               client I/O threads (default 1)\n"
          "  --pipeline D                 requests in flight per connection (default 1)\n"
          "  --ready-timeout-s S          wait this long for the server and the model to\n"
          "                               answer ready (default 30)\n"
          "  --request-timeout-ms T       a request unanswered this long after it was put\n"
          "                               on a connection fails (default: 10 s, or half\n"
          "                               the run's sample timeout when that is shorter)\n"
          "  --max-response-bytes N       a longer response fails (default 64 MiB)\n"
          "  --busy-poll-us U             I/O threads poll this long before sleeping:\n"
          "                               lower latency, more CPU (default 0)\n"
          "  (synthetic inputs: --total-sample-count samples seeded by --sut-seed)\n"
          "\n",
          f);
}

/* "1,3,224,224" into the options. */
static int parse_shape(cli_net_opts *n, const char *a, const char *fl, const char *cmd)
{
    char sh[CLI_SHOWN_LEN];
    n->ndim = 0;
    const char *p = a;
    for (;;) {
        char *e;
        if (*p < '0' || *p > '9' || n->ndim == NET_KSERVE_MAX_DIMS)
            goto bad;
        unsigned long long v = strtoull(p, &e, 10);
        if (v == 0 || v > (1ull << 32))
            goto bad;
        n->shape[n->ndim++] = v;
        if (*e == '\0')
            return -1;
        if (*e != ',')
            goto bad;
        p = e + 1;
    }
bad:
    fprintf(stderr, "loadgen %s: %s: '%s' is not a shape: 1 to %d sizes in 1 .. 2^32, "
            "separated by commas (e.g. 1,3,224,224)\n", cmd, fl, cli_shown(a, sh),
            NET_KSERVE_MAX_DIMS);
    return CLI_EXIT_USAGE;
}

static int parse_number(cli_net_opts *n, int c, const char *a, const char *fl,
                        const char *cmd)
{
    uint64_t u;
    double d;
    switch (c) {
    case N_CONNECTIONS: case N_MAX_CONNECTIONS: case N_IO_THREADS: case N_PIPELINE: {
        uint64_t hi = c == N_CONNECTIONS || c == N_MAX_CONNECTIONS ? 65536 : 64;
        if (!cli_parse_u64(cmd, fl, a, 1, hi, &u))
            return CLI_EXIT_USAGE;
        *(c == N_CONNECTIONS       ? &n->connections
          : c == N_MAX_CONNECTIONS ? &n->max_connections
          : c == N_IO_THREADS      ? &n->io_threads
                                   : &n->pipeline) = (unsigned)u;
        return -1;
    }
    case N_READY:
        if (!cli_parse_double(cmd, fl, a, 0, 86400, true, false, &n->ready_timeout_s))
            return CLI_EXIT_USAGE;
        return -1;
    case N_REQ_TIMEOUT:
        if (!cli_parse_double(cmd, fl, a, 0, 3.6e6, true, false, &d))
            return CLI_EXIT_USAGE;
        n->request_timeout_ms = d;
        return -1;
    case N_MAX_RESPONSE:
        if (!cli_parse_u64(cmd, fl, a, 1024, UINT64_C(1) << 34, &n->max_response_bytes))
            return CLI_EXIT_USAGE;
        return -1;
    case N_BUSY_POLL:
        if (!cli_parse_double(cmd, fl, a, 0, 1e6, false, false, &n->busy_poll_us))
            return CLI_EXIT_USAGE;
        return -1;
    case N_MAX_TOKENS:
        n->openai_given = true;
        if (!cli_parse_u64(cmd, fl, a, 1, 1000000000, &n->max_tokens))
            return CLI_EXIT_USAGE;
        return -1;
    }
    return CLI_EXIT_USAGE;
}

/* Whether a header named [name, name + n) carries a secret: its value is not recorded. */
static bool secret_name(const char *name, size_t n)
{
    static const char *const words[] = {"auth", "key", "token", "secret", "cookie",
                                        "session", "password", "credential"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t k = strlen(words[w]);
        for (size_t i = 0; i + k <= n; i++)
            if (!strncasecmp(name + i, words[w], k))
                return true;
    }
    return false;
}

/* Adds "name: value" to the request headers; value (vlen bytes) may be a secret, whose
 * text (in argv) is then recorded among the secrets. */
static int add_header(cli_net_opts *n, const char *name, size_t nlen, const char *value,
                      size_t vlen, bool secret, const char *fl, const char *cmd)
{
    static const char *const reserved[] = {"content-length", "content-type",
                                           "transfer-encoding", "connection",
                                           "inference-header-content-length", "te",
                                           "upgrade", "expect"};
    for (size_t r = 0; r < sizeof reserved / sizeof reserved[0]; r++)
        if (strlen(reserved[r]) == nlen && !strncasecmp(name, reserved[r], nlen)) {
            fprintf(stderr, "loadgen %s: %s: %.*s is set by the client itself\n", cmd, fl,
                    (int)nlen, name);
            return CLI_EXIT_USAGE;
        }
    if (nlen == 4 && !strncasecmp(name, "host", 4)) {
        if (n->host_header[0] || vlen == 0 || vlen >= sizeof n->host_header) {
            fprintf(stderr, "loadgen %s: %s: %s\n", cmd, fl,
                    n->host_header[0] ? "a Host header was given twice"
                                      : "the Host header's value is empty or longer than "
                                        "299 characters");
            return CLI_EXIT_USAGE;
        }
        memcpy(n->host_header, value, vlen);
        n->host_header[vlen] = '\0';
        return -1;
    }
    if (nlen == 13 && !strncasecmp(name, "authorization", 13)) {
        if (n->authorization) {
            fprintf(stderr, "loadgen %s: %s: an Authorization header was given twice "
                    "(--api-key sends one)\n", cmd, fl);
            return CLI_EXIT_USAGE;
        }
        n->authorization = true;
    }
    size_t need = nlen + 2 + vlen + 2;
    if (n->headers_len + need >= sizeof n->headers) {
        fprintf(stderr, "loadgen %s: %s: the headers exceed %d bytes in all\n", cmd, fl,
                NET_URL_HEADERS_MAX - 1);
        return CLI_EXIT_USAGE;
    }
    if (secret && vlen) {
        if (n->nsecrets == CLI_NET_MAX_SECRETS) {
            fprintf(stderr, "loadgen %s: %s: more than %d secret header values\n", cmd, fl,
                    CLI_NET_MAX_SECRETS);
            return CLI_EXIT_USAGE;
        }
        n->secrets[n->nsecrets++] = value;
    }
    char *h = n->headers + n->headers_len;
    memcpy(h, name, nlen);
    memcpy(h + nlen, ": ", 2);
    memcpy(h + nlen + 2, value, vlen);
    memcpy(h + nlen + 2 + vlen, "\r\n", 3);
    n->headers_len += need;
    return -1;
}

/* --header 'Name: value': a token, a colon, a value of visible characters, spaces and
 * tabs (trimmed). */
static int parse_header(cli_net_opts *n, const char *a, const char *fl, const char *cmd)
{
    char sh[CLI_SHOWN_LEN];
    const char *colon = strchr(a, ':');
    size_t nlen = colon ? (size_t)(colon - a) : 0;
    for (size_t i = 0; i < nlen; i++)
        if (!isalnum((unsigned char)a[i]) && !strchr("!#$%&'*+-.^_`|~", a[i]))
            nlen = 0;
    if (!nlen) {
        fprintf(stderr, "loadgen %s: %s: '%s' is not 'Name: value' (a name of letters, "
                "digits and !#$%%&'*+-.^_`|~, then a colon)\n", cmd, fl, cli_shown(a, sh));
        return CLI_EXIT_USAGE;
    }
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vlen = strlen(v);
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    for (size_t i = 0; i < vlen; i++)
        if ((unsigned char)v[i] < 0x20 ? v[i] != '\t' : v[i] == 0x7f) {
            fprintf(stderr, "loadgen %s: %s: the value of %.*s holds a control character "
                    "(a line break?)\n", cmd, fl, (int)nlen, a);
            return CLI_EXIT_USAGE;
        }
    return add_header(n, a, nlen, v, vlen, secret_name(a, nlen), fl, cmd);
}

/* --api-key KEY, or --api-key-env NAME: an Authorization: Bearer header. */
static int parse_api_key(cli_net_opts *n, bool env, const char *a, const char *fl,
                         const char *cmd)
{
    const char *key = env ? getenv(a) : a;
    if (!key || !*key) {
        if (env)
            fprintf(stderr, "loadgen %s: %s: environment variable %s is not set, or empty\n",
                    cmd, fl, a);
        else
            fprintf(stderr, "loadgen %s: %s: the key is empty\n", cmd, fl);
        return CLI_EXIT_USAGE;
    }
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            fprintf(stderr, "loadgen %s: %s: the key holds a space or a control character\n",
                    cmd, fl);
            return CLI_EXIT_USAGE;
        }
    size_t klen = strlen(key);
    char *val = malloc(klen + 8);
    if (!val)
        return CLI_EXIT_RUNTIME;
    memcpy(val, "Bearer ", 7);
    memcpy(val + 7, key, klen + 1);
    int rc = add_header(n, "Authorization", 13, val, klen + 7, false, fl, cmd);
    free(val);
    if (rc < 0 && !env && n->nsecrets < CLI_NET_MAX_SECRETS)
        n->secrets[n->nsecrets++] = a; /* the key as the command line holds it */
    return rc;
}

int cli_net_parse(cli_run_opts *o, int c, const char *a, const char *fl, const char *cmd)
{
    cli_net_opts *n = &o->net;
    char sh[CLI_SHOWN_LEN], err[256];
    n->given = true;
    switch (c) {
    case N_API:
        n->openai_given = true;
        if (strcmp(a, "completions") && strcmp(a, "chat")) {
            fprintf(stderr, "loadgen %s: %s: unknown API '%s' (use completions or chat)\n",
                    cmd, fl, cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        n->api = strcmp(a, "chat") ? NET_OAI_COMPLETIONS : NET_OAI_CHAT;
        return -1;
    case N_STREAM: n->openai_given = true; n->stream = true; return -1;
    case N_HEADER: return parse_header(n, a, fl, cmd);
    case N_API_KEY: case N_API_KEY_ENV:
        return parse_api_key(n, c == N_API_KEY_ENV, a, fl, cmd);
    case N_URL:
        if (net_url_parse(a, &n->url, err, sizeof err)) {
            fprintf(stderr, "loadgen %s: %s: %s\n", cmd, fl, err);
            return CLI_EXIT_USAGE;
        }
        n->url_text = a;
        return -1;
    case N_MODEL_NAME: n->model_name = a; return -1;
    case N_MODEL_VERSION: n->kserve_given = true; n->model_version = a; return -1;
    case N_INPUT_NAME: n->kserve_given = true; n->input_name = a; return -1;
    case N_DATASET: n->dataset = a; return -1;
    case N_BINARY: n->kserve_given = true; n->binary = true; return -1;
    case N_SHAPE: n->kserve_given = true; return parse_shape(n, a, fl, cmd);
    case N_DTYPE: {
        n->kserve_given = true;
        int t = net_dtype_parse(a, strlen(a));
        if (t < 0 || t == NET_DT_BYTES) {
            fprintf(stderr, "loadgen %s: %s: unknown datatype '%s' (BOOL, UINT8, UINT16, "
                    "UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, BF16, FP32, FP64)\n",
                    cmd, fl, cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        n->dtype = t;
        return -1;
    }
    default:
        return parse_number(n, c, a, fl, cmd);
    }
}

/* A name that goes into a URL path and into JSON as it is. */
static int check_name(const char *flag, const char *v, const char *cmd)
{
    char sh[CLI_SHOWN_LEN];
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p < 0x21 || strchr("\"\\/?#%", *p)) {
            fprintf(stderr, "loadgen %s: %s: '%s' holds a space, quote, backslash, '/', '?', "
                    "'#' or '%%'\n", cmd, flag, cli_shown(v, sh));
            return CLI_EXIT_USAGE;
        }
    if (!*v || strlen(v) > 120) {
        fprintf(stderr, "loadgen %s: %s: empty or longer than 120 characters\n", cmd, flag);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* What one SUT needs and the other's flags it refuses. */
static int check_kind(const cli_run_opts *o, bool openai, const char *cmd)
{
    const cli_net_opts *n = &o->net;
    if (openai ? n->kserve_given : n->openai_given) {
        fprintf(stderr, "loadgen %s: %s are flags of --sut %s, not of --sut %s\n", cmd,
                openai ? "--binary, --input-shape, --input-datatype, --input-name and "
                         "--model-version"
                       : "--api, --stream and --max-tokens",
                openai ? "kserve" : "openai", o->sut);
        return CLI_EXIT_USAGE;
    }
    if (openai && !n->dataset) {
        fprintf(stderr, "loadgen %s: --sut openai needs --dataset FILE.jsonl (prompts)\n",
                cmd);
        return CLI_EXIT_USAGE;
    }
    if (!openai && !n->dataset && !n->ndim) {
        fprintf(stderr, "loadgen %s: --sut kserve needs its inputs: --dataset FILE, or "
                "--input-shape (with --input-datatype, default FP32) for synthetic ones\n",
                cmd);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

unsigned cli_net_max_connections(const cli_run_opts *o)
{
    const cli_net_opts *n = &o->net;
    if (n->max_connections)
        return n->max_connections;
    if (o->s.scenario == LG_OFFLINE)
        return n->connections;
    /* A closed loop keeps its queries' samples outstanding: a connection each. */
    uint64_t want = CLI_NET_MAX_CONNECTIONS;
    if (o->s.concurrency > 1 && o->s.scenario != LG_SERVER) {
        uint64_t per = o->s.scenario == LG_MULTI_STREAM ? o->s.multi_stream_samples_per_query
                                                        : 1;
        uint64_t closed = o->s.concurrency * (per ? per : 1);
        if (closed > want)
            want = closed > 65536 ? 65536 : closed;
    }
    return n->connections > want ? n->connections : (unsigned)want;
}

int cli_net_check(const cli_run_opts *o, const char *cmd)
{
    const cli_net_opts *n = &o->net;
    bool net = cli_net_sut(o);
    if (!net) {
        if (n->given) {
            fprintf(stderr, "loadgen %s: --url, --model-name, --dataset and the other "
                    "network flags need --sut kserve or --sut openai\n", cmd);
            return CLI_EXIT_USAGE;
        }
        return -1;
    }
    const char *missing = !n->url_text ? "--url" : !n->model_name ? "--model-name" : NULL;
    if (missing) {
        fprintf(stderr, "loadgen %s: --sut %s needs %s\n", cmd, o->sut, missing);
        return CLI_EXIT_USAGE;
    }
    int rc;
    if ((rc = check_name("--model-name", n->model_name, cmd)) >= 0 ||
        (n->model_version && (rc = check_name("--model-version", n->model_version, cmd)) >= 0) ||
        (n->input_name && (rc = check_name("--input-name", n->input_name, cmd)) >= 0) ||
        (rc = check_kind(o, !strcmp(o->sut, "openai"), cmd)) >= 0)
        return rc;
    if (n->max_connections && n->max_connections < n->connections) {
        fprintf(stderr, "loadgen %s: --max-connections %u: fewer than the %u connections "
                "opened first (--connections)\n", cmd, n->max_connections, n->connections);
        return CLI_EXIT_USAGE;
    }
    if (n->io_threads > n->connections) {
        fprintf(stderr, "loadgen %s: --io-threads %u: more than the %u connections "
                "(--connections)\n", cmd, n->io_threads, n->connections);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

bool cli_net_sut(const cli_run_opts *o)
{
    return !strcmp(o->sut, "kserve") || !strcmp(o->sut, "openai");
}
