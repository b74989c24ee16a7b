/* cli/serve.c: `loadgen serve`: the test server of serve/ (KServe v2 REST and OpenAI
 * completions with seeded timing and injected faults) until SIGINT or SIGTERM, then its
 * counters. docs/serve.md describes it. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/internal.h"
#include "serve/serve.h"

static const char *const CMD = "serve";

static void serve_help(FILE *f)
{
    fputs("usage: loadgen serve --port N|0 [--host ADDR] [--threads N] [options]\n"
          "\n"
          "An HTTP/1.1 server to measure network clients against: KServe v2 REST and\n"
          "OpenAI-compatible completions, with seeded timing and injected faults. Prints\n"
          "'listening on http://HOST:PORT' when ready, serves until SIGINT or SIGTERM, then\n"
          "prints its counters (requests by endpoint and status, tokens, faults) and exits\n"
          "0. docs/serve.md describes the endpoints, the timing model and the faults.\n"
          "\n"
          "Server:\n"
          "  --port N                  the port; 0: any free port (printed)  [required]\n"
          "  --host ADDR               numeric IPv4 address to bind (default 127.0.0.1)\n"
          "  --threads N               worker threads, one epoll loop each (default 1)\n"
          "  --seed N                  seed of every draw: times, lengths, faults (default 1)\n"
          "  --model NAME              the model served by both protocols (default model)\n"
          "  --max-request-bytes N     request line, headers and body; 413 above\n"
          "                            (default 16777216)\n"
          "  --api-key KEY             answer 401 to requests without 'Authorization:\n"
          "                            Bearer KEY' (the health checks excepted)\n"
          "\n"
          "KServe v2 (/v2/...):\n"
          "  --output-elems N          the output tensor: 0 echoes the first input (shape,\n"
          "                            datatype, data; default), N an FP32 [N] of zeros\n"
          "  --service-us X            service time of an infer request, us (default 0)\n"
          "  --service-dist const|exp  constant, or exponential with mean X (default const)\n"
          "\n"
          "OpenAI (/v1/completions, /v1/chat/completions, /v1/models):\n"
          "  --ttft-ms X               time to first token after the request (default 0)\n"
          "  --tpot-ms X               time between tokens (default 0)\n"
          "  --output-tokens D         output length: max (the request's max_tokens, else\n"
          "                            --default-max-tokens; default), N (fixed),\n"
          "                            uniform:MIN:MAX, lognormal:MEAN:SIGMA (mean MEAN,\n"
          "                            log-sd SIGMA); a draw is capped by max_tokens, and\n"
          "                            is max_tokens when the request sets ignore_eos\n"
          "  --default-max-tokens N    the length without max_tokens under max (default 16)\n"
          "  --no-usage-event          streams never send the usage event, even when the\n"
          "                            request asks for it (clients count the events)\n"
          "\n"
          "Faults (each a fraction of infer and completion requests, drawn from the seed;\n"
          "the fractions add up to at most 1; health, metadata and model lists never fail):\n"
          "  --fail-fraction F         answer --fail-status S (default 500) with an error\n"
          "  --fail-status S           400 .. 599\n"
          "  --throttle-fraction F     answer 429 with Retry-After: --retry-after S (1)\n"
          "  --retry-after S           seconds, 0 .. 86400\n"
          "  --reset-fraction F        reset the connection (RST) after --fault-after\n"
          "                            tokens (a plain response: when it was due)\n"
          "  --stall-fraction F        send nothing more after --fault-after tokens and keep\n"
          "                            the connection open (a plain response: never sent)\n"
          "  --malformed-json-fraction F  cut the JSON of a body, or of the event after\n"
          "                            --fault-after tokens, in half\n"
          "  --malformed-sse-fraction F   send the event after --fault-after tokens without\n"
          "                            'data: ' and its blank line (streams only)\n"
          "  --truncate-fraction F     end a stream after --fault-after tokens with no usage\n"
          "                            and no [DONE]; a plain body: half sent, then closed\n"
          "  --oversize-fraction F     add a \"padding\" string of --oversize-bytes N to the\n"
          "                            body or to the first event (default 8388608)\n"
          "  --oversize-bytes N        1 .. 2^30\n"
          "  --fault-after N           tokens sent before a stream's fault (default 1)\n"
          "\n"
          "Examples:\n"
          "  loadgen serve --port 8000 --threads 2\n"
          "  loadgen serve --port 0 --ttft-ms 20 --tpot-ms 5 --output-tokens lognormal:128:0.5\n"
          "  loadgen serve --port 8000 --service-us 500 --service-dist exp --fail-fraction 0.01\n"
          "\n"
          "Exit code: 0 after SIGINT or SIGTERM, 2 bad arguments, 3 the server could not start.\n",
          f);
}

/* --output-tokens D */
static bool parse_lengths(const char *val, serve_config *cfg)
{
    const char *flag = "--output-tokens";
    char buf[128];
    if (!strcmp(val, "max")) {
        cfg->len_dist = SERVE_LEN_MAX_TOKENS;
        return true;
    }
    if (!strncmp(val, "uniform:", 8) || !strncmp(val, "lognormal:", 10)) {
        bool uni = val[0] == 'u';
        snprintf(buf, sizeof buf, "%s", val + (uni ? 8 : 10));
        char *colon = strchr(buf, ':');
        if (!colon) {
            fprintf(stderr, "loadgen serve: %s: '%s' needs two numbers: %s\n", flag, val,
                    uni ? "uniform:MIN:MAX" : "lognormal:MEAN:SIGMA");
            return false;
        }
        *colon = 0;
        if (uni) {
            cfg->len_dist = SERVE_LEN_UNIFORM;
            if (!cli_parse_u64(CMD, flag, buf, 1, 1000000, &cfg->len_a) ||
                !cli_parse_u64(CMD, flag, colon + 1, cfg->len_a, 1000000, &cfg->len_b))
                return false;
            return true;
        }
        cfg->len_dist = SERVE_LEN_LOGNORMAL;
        return cli_parse_double(CMD, flag, buf, 1, 1e6, false, false, &cfg->len_mean) &&
               cli_parse_double(CMD, flag, colon + 1, 0, 4, false, false, &cfg->len_sigma);
    }
    cfg->len_dist = SERVE_LEN_FIXED;
    return cli_parse_u64(CMD, flag, val, 1, 1000000, &cfg->len_a);
}

static const struct {
    const char *flag;
    serve_fault fault;
} FRACTIONS[] = {
    {"--fail-fraction", SERVE_FAULT_ERROR},
    {"--throttle-fraction", SERVE_FAULT_THROTTLE},
    {"--reset-fraction", SERVE_FAULT_RESET},
    {"--stall-fraction", SERVE_FAULT_STALL},
    {"--malformed-json-fraction", SERVE_FAULT_MALFORMED_JSON},
    {"--malformed-sse-fraction", SERVE_FAULT_MALFORMED_SSE},
    {"--truncate-fraction", SERVE_FAULT_TRUNCATE},
    {"--oversize-fraction", SERVE_FAULT_OVERSIZE},
};

/* One flag at argv[*i]: 1 taken, 0 unknown, -1 bad (message printed). */
static int parse_flag(int argc, char **argv, int *i, serve_config *cfg, bool *port_given)
{
    const char *val;
    uint64_t u;
    double d;
    int r;
#define FLAG(name) ((r = cli_flag_value(CMD, argc, argv, i, name, &val)) != 0)
#define U64(name, lo, hi) (r > 0 && cli_parse_u64(CMD, name, val, lo, hi, &u) ? 1 : -1)
#define DBL(name, lo, hi) (r > 0 && cli_parse_double(CMD, name, val, lo, hi, false, false, &d) ? 1 : -1)
    if (FLAG("--port")) {
        if ((r = U64("--port", 0, 65535)) > 0) {
            cfg->port = (uint16_t)u;
            *port_given = true;
        }
        return r;
    }
    if (FLAG("--host")) {
        if (r > 0)
            cfg->host = val;
        return r;
    }
    if (FLAG("--threads")) {
        if ((r = U64("--threads", 1, 256)) > 0)
            cfg->threads = (unsigned)u;
        return r;
    }
    if (FLAG("--seed")) {
        if ((r = U64("--seed", 0, UINT32_MAX)) > 0)
            cfg->seed = (unsigned long)u;
        return r;
    }
    if (FLAG("--model")) {
        if (r > 0)
            cfg->model = val;
        return r;
    }
    if (FLAG("--api-key")) {
        if (r > 0)
            cfg->api_key = val;
        return r;
    }
    if (FLAG("--max-request-bytes")) {
        if ((r = U64("--max-request-bytes", 1024, 1ull << 30)) > 0)
            cfg->max_request_bytes = (size_t)u;
        return r;
    }
    if (FLAG("--output-elems")) {
        if ((r = U64("--output-elems", 0, 1ull << 26)) > 0)
            cfg->output_elems = u;
        return r;
    }
    if (FLAG("--service-us")) {
        if ((r = DBL("--service-us", 0, 60e6)) > 0)
            cfg->service_us = d;
        return r;
    }
    if (FLAG("--service-dist")) {
        if (r < 0)
            return r;
        if (strcmp(val, "const") && strcmp(val, "exp")) {
            char shown[CLI_SHOWN_LEN];
            fprintf(stderr, "loadgen serve: --service-dist: '%s' is not const or exp\n",
                    cli_shown(val, shown));
            return -1;
        }
        cfg->service_exponential = !strcmp(val, "exp");
        return 1;
    }
    if (FLAG("--ttft-ms")) {
        if ((r = DBL("--ttft-ms", 0, 600e3)) > 0)
            cfg->ttft_ms = d;
        return r;
    }
    if (FLAG("--tpot-ms")) {
        if ((r = DBL("--tpot-ms", 0, 60e3)) > 0)
            cfg->tpot_ms = d;
        return r;
    }
    if (FLAG("--output-tokens"))
        return r > 0 && parse_lengths(val, cfg) ? 1 : -1;
    if (!strcmp(argv[*i], "--no-usage-event")) {
        cfg->omit_usage_event = true;
        return 1;
    }
    if (FLAG("--default-max-tokens")) {
        if ((r = U64("--default-max-tokens", 1, 1000000)) > 0)
            cfg->default_max_tokens = u;
        return r;
    }
    for (size_t k = 0; k < sizeof FRACTIONS / sizeof FRACTIONS[0]; k++)
        if (FLAG(FRACTIONS[k].flag)) {
            if ((r = DBL(FRACTIONS[k].flag, 0, 1)) > 0)
                cfg->fault_fraction[FRACTIONS[k].fault] = d;
            return r;
        }
    if (FLAG("--fail-status")) {
        if ((r = U64("--fail-status", 400, 599)) > 0)
            cfg->fail_status = (int)u;
        return r;
    }
    if (FLAG("--retry-after")) {
        if ((r = U64("--retry-after", 0, 86400)) > 0)
            cfg->retry_after_s = (unsigned)u;
        return r;
    }
    if (FLAG("--oversize-bytes")) {
        if ((r = U64("--oversize-bytes", 1, 1ull << 30)) > 0)
            cfg->oversize_bytes = (size_t)u;
        return r;
    }
    if (FLAG("--fault-after")) {
        if ((r = U64("--fault-after", 0, 1000000)) > 0)
            cfg->fault_after = u;
        return r;
    }
#undef FLAG
#undef U64
#undef DBL
    return 0;
}

int cli_serve(int argc, char **argv)
{
    serve_config cfg;
    serve_config_default(&cfg);
    bool port_given = false;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            serve_help(stdout);
            return CLI_EXIT_VALID;
        }
        int r = parse_flag(argc, argv, &i, &cfg, &port_given);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0)
            return cli_unknown_option(CMD, argv[i]);
    }
    if (!port_given) {
        fprintf(stderr, "loadgen serve: --port is required (0: any free port)\n");
        return CLI_EXIT_USAGE;
    }
    char err[256];
    double sum = 0;
    for (int f = 0; f < SERVE_FAULT_COUNT; f++)
        sum += cfg.fault_fraction[f];
    if (sum > 1 + 1e-9) {
        fprintf(stderr, "loadgen serve: the --*-fraction flags add up to %g, more than 1\n",
                sum);
        return CLI_EXIT_USAGE;
    }
    if (serve_config_check(&cfg, err, sizeof err)) {
        /* Only --host can still be wrong here: the other flags were checked above. */
        fprintf(stderr, "loadgen serve: --%s\n", err);
        return CLI_EXIT_USAGE;
    }
    /* A connection is a descriptor: the soft limit (1024 on many systems) goes up to the
     * hard one, so that a client's growing pool is served, not reset (at most 2^20). */
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)1 << 20 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)1 << 20
                          ? (rlim_t)1 << 20 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* The workers start with SIGINT and SIGTERM blocked; this thread waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    serve_server *srv;
    int rc = serve_start(&cfg, &srv, err, sizeof err);
    if (rc) {
        fprintf(stderr, "loadgen serve: %s\n", err);
        return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    printf("listening on http://%s:%u\n", cfg.host, (unsigned)serve_port(srv));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    serve_stats *st = malloc(sizeof *st);
    if (st)
        serve_stats_get(srv, st);
    serve_stop(srv);
    fprintf(stderr, "loadgen serve: stopped by %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (st) {
        serve_stats_print(st, stdout);
        free(st);
    }
    fflush(stdout);
    return CLI_EXIT_VALID;
}
