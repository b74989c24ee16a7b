/* cli/run_options.c: the options of `loadgen run`, which config and demo take too: the
 * flag table, its help, its parser and the settings the options resolve to. */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/internal.h"

/* ---------------------------------------------------------------- options */

void cli_run_opts_default(cli_run_opts *o)
{
    memset(o, 0, sizeof *o);
    lg_settings_default(&o->s);
    sut_synthetic_default(&o->syn);
    o->sut = "model";
    o->total = 1024;
    o->performance = 256;
    o->sample_size = 64;
    o->progress = isatty(STDERR_FILENO);
    o->write_samples = true;
    o->repeat = 1;
    o->dist_timeout_ms = 60000;
    o->dist_lead_ms = 2000;
    cli_net_opts_default(&o->net);
    cli_model_opts_default(&o->mdl);
}

/* The program's own options. The settings flags (--scenario, --target-qps, ...) come
 * from the library's settings table: option code O_FIELD + the first field of the flag. */
enum {
    O_SUT = 256, O_OUT, O_PSC, O_TOTAL, O_SAMPLE_SIZE, O_WORKERS, O_BATCH, O_DIST,
    O_MEAN_US, O_SIGMA, O_BUSY, O_SUT_SEED, O_QUIET, O_NO_PROGRESS, O_NO_SAMPLES, O_HELP,
    O_BATCH_COST, O_DROP, O_FAIL, O_DOUBLE, O_STALL, O_STALL_EVERY, O_CONF, O_MODEL, O_SET,
    O_EXPLAIN, O_HTML, O_REPEAT, O_SLO, O_SUT_TOKENS, O_SUT_TPOT, O_SUT_OPT, O_AUDIT,
    O_STAGES, O_TRACE, O_TRACE_FORMAT, O_SUT_PREFILL, O_DISTRIBUTED, O_DIST_TIMEOUT,
    O_DIST_LEAD, O_FIELD = 512,
};

static const struct option own_long[] = {
    {"sut", required_argument, 0, O_SUT},
    {"sut-opt", required_argument, 0, O_SUT_OPT},
    {"out", required_argument, 0, O_OUT},
    {"performance-sample-count", required_argument, 0, O_PSC},
    {"total-sample-count", required_argument, 0, O_TOTAL},
    {"sample-size", required_argument, 0, O_SAMPLE_SIZE},
    {"workers", required_argument, 0, O_WORKERS},
    {"batch", required_argument, 0, O_BATCH},
    {"batch-cost", required_argument, 0, O_BATCH_COST},
    {"service-dist", required_argument, 0, O_DIST},
    {"service-mean-us", required_argument, 0, O_MEAN_US},
    {"service-sigma", required_argument, 0, O_SIGMA},
    {"busy-wait", no_argument, 0, O_BUSY},
    {"sut-seed", required_argument, 0, O_SUT_SEED},
    {"sut-drop-fraction", required_argument, 0, O_DROP},
    {"sut-fail-fraction", required_argument, 0, O_FAIL},
    {"sut-double-fraction", required_argument, 0, O_DOUBLE},
    {"sut-stall-ms", required_argument, 0, O_STALL},
    {"sut-stall-every-ms", required_argument, 0, O_STALL_EVERY},
    {"sut-tokens", required_argument, 0, O_SUT_TOKENS},
    {"sut-tpot-us", required_argument, 0, O_SUT_TPOT},
    {"slo", required_argument, 0, O_SLO},
    {"stages", required_argument, 0, O_STAGES},
    {"trace", required_argument, 0, O_TRACE},
    {"trace-format", required_argument, 0, O_TRACE_FORMAT},
    {"sut-prefill-us", required_argument, 0, O_SUT_PREFILL},
    {"html", required_argument, 0, O_HTML},
    {"quiet", no_argument, 0, O_QUIET},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"no-samples-file", no_argument, 0, O_NO_SAMPLES},
    {"conf", required_argument, 0, O_CONF},
    {"model", required_argument, 0, O_MODEL},
    {"audit-config", required_argument, 0, O_AUDIT},
    {"set", required_argument, 0, O_SET},
    {"explain", no_argument, 0, O_EXPLAIN},
    {"repeat", required_argument, 0, O_REPEAT},
    {"distributed", no_argument, 0, O_DISTRIBUTED},
    {"distributed-timeout-ms", required_argument, 0, O_DIST_TIMEOUT},
    {"distributed-start-lead-ms", required_argument, 0, O_DIST_LEAD},
    {"help", no_argument, 0, O_HELP},
};
#define N_OWN (sizeof own_long / sizeof own_long[0])

/* Another name for a settings flag. */
static const struct { const char *alias, *flag; } aliases[] = {
    {"expected-qps", "target-qps"},
};
#define N_ALIASES (sizeof aliases / sizeof aliases[0])

/* getopt_long's table: the program's options, then one per settings flag, then the
 * aliases; built once (the settings table does not change). */
static struct option run_long[N_OWN + CLI_MAX_FIELDS + N_ALIASES + 64 + 16 + 1];
static pthread_once_t run_long_once = PTHREAD_ONCE_INIT;

static bool is_bool_field(size_t i)
{
    return !strcmp(lg_settings_field_unit(i), "bool");
}

/* The first field of the settings flag `flag`, or -1. */
static int flag_field(const char *flag)
{
    for (size_t i = 0; i < lg_settings_field_count(); i++)
        if (lg_settings_field_flag(i) && !strcmp(lg_settings_field_flag(i), flag))
            return (int)i;
    return -1;
}

static void run_long_init(void)
{
    size_t n = 0;
    for (size_t i = 0; i < N_OWN; i++)
        run_long[n++] = own_long[i];
    for (size_t i = 0; i < lg_settings_field_count() && i < CLI_MAX_FIELDS; i++)
        if (lg_settings_field_flag_help(i))
            run_long[n++] = (struct option){lg_settings_field_flag(i),
                                            is_bool_field(i) ? no_argument
                                                             : required_argument,
                                            0, O_FIELD + (int)i};
    for (size_t i = 0; i < N_ALIASES; i++) {
        int f = flag_field(aliases[i].flag);
        if (f >= 0)
            run_long[n++] = (struct option){aliases[i].alias, required_argument, 0,
                                            O_FIELD + f};
    }
    size_t nn;
    const struct option *net = cli_net_options(&nn);
    for (size_t i = 0; i < nn && i < 64; i++)
        run_long[n++] = net[i];
    const struct option *mdl = cli_model_options(&nn);
    for (size_t i = 0; i < nn && i < 16; i++)
        run_long[n++] = mdl[i];
    run_long[n] = (struct option){0, 0, 0, 0};
}

/* The name a settings flag's value has in the help ("N", "T", "P", ...). */
static const char *value_name(size_t i)
{
    const char *u = lg_settings_field_flag_unit(i);
    return !strcmp(u, "enum") ? (!strcmp(lg_settings_field_name(i), "scenario") ? "S" : "M")
           : !strcmp(u, "ms") ? "T"
           : !strcmp(u, "fraction") ? "P"
           : !strcmp(u, "1/s") ? "Q"
           : !strcmp(u, "bool") ? ""
                                : "N";
}

/* Prints text from column `col`, wrapped at 80 columns with a 31-column indent. */
static void wrap(FILE *f, const char *text, size_t col)
{
    bool first = true;
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*w && *w != ' ')
            w++;
        size_t len = (size_t)(w - p);
        if (!len)
            break;
        if (!first && col + 1 + len > 80) {
            fprintf(f, "\n%31s", "");
            col = 31;
        } else if (!first) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)len, p);
        col += len;
        first = false;
        p = w;
    }
    fputc('\n', f);
}

/* The help lines of the settings flags, from the settings table: the flag, its help
 * and its default in the flag's unit (per scenario when the flag's fields differ). */
static void settings_help(FILE *f)
{
    size_t n = lg_settings_field_count();
    for (size_t i = 0; i < n; i++) {
        const char *help = lg_settings_field_flag_help(i), *flag = lg_settings_field_flag(i);
        if (!help)
            continue;
        char head[64], text[512], dflt[160] = "";
        snprintf(head, sizeof head, "  --%s %s", flag, value_name(i));
        size_t dl = 0;
        bool differ = false;
        char vals[4][48];
        int nv = 0;
        for (size_t j = i; j < n && nv < 4; j++) {
            if (!lg_settings_field_flag(j) || strcmp(lg_settings_field_flag(j), flag))
                continue;
            char *v = vals[nv];
            lg_settings_field_flag_default(j, v, sizeof vals[0]);
            differ |= nv > 0 && strcmp(v, vals[0]) != 0;
            nv++;
        }
        if (is_bool_field(i)) {
            /* a switch: no value, no default */
        } else if (!strcmp(flag, "target-qps")) {
            /* The program derives it when neither a flag nor a file gives it. */
            snprintf(dflt, sizeof dflt, " (default: derived from the SUT's capacity)");
        } else if (!differ) {
            snprintf(dflt, sizeof dflt, " (default %s)", vals[0]);
        } else {
            dl = (size_t)snprintf(dflt, sizeof dflt, " (default");
            int k = 0;
            for (size_t j = i; j < n && k < nv; j++) {
                if (!lg_settings_field_flag(j) || strcmp(lg_settings_field_flag(j), flag))
                    continue;
                unsigned sc = lg_settings_field_scenarios(j);
                const char *name = sc == LG_SCENARIO_BIT(LG_SINGLE_STREAM) ? "SingleStream"
                                   : sc == LG_SCENARIO_BIT(LG_MULTI_STREAM) ? "MultiStream"
                                   : sc == LG_SCENARIO_BIT(LG_SERVER)       ? "Server"
                                                                            : "Offline";
                dl += (size_t)snprintf(dflt + dl, sizeof dflt - dl, "%s %s %s",
                                       k ? "," : "", vals[k], name);
                k++;
            }
            snprintf(dflt + dl, sizeof dflt - dl, ")");
        }
        snprintf(text, sizeof text, "%s%s", help, dflt);
        size_t col = strlen(head);
        fputs(head, f);
        if (col < 31) {
            fprintf(f, "%*s", (int)(31 - col), "");
            col = 31;
        } else {
            fprintf(f, "\n%31s", "");
            col = 31;
        }
        wrap(f, text, col);
    }
}

static void run_help(FILE *f)
{
    fputs(
        "usage: loadgen run [options]\n"
        "\n"
        "Runs one MLPerf-style test and writes mlperf_log_summary.txt,\n"
        "mlperf_log_detail.txt, mlperf_log_accuracy.json, results.json and samples.bin to\n"
        "the output folder. The default SUT is a real model: a multilayer perceptron\n"
        "classifying the Fashion-MNIST test images (--sut model, below).\n"
        "\n"
        "Settings come from, later winning: built-in defaults < mlperf.conf < user.conf\n"
        "< command-line flags. `loadgen config --explain [these options]` shows each one\n"
        "and where it came from.\n"
        "\n"
        "Configuration:\n"
        "  --conf FILE                  an MLPerf config file (mlperf.conf or user.conf);\n"
        "                               repeat for several, in precedence order\n"
        "  --model NAME                 the model the config lines are looked up for\n"
        "                               (default: only '*' lines apply)\n"
        "  --set FIELD=VALUE            any lg_settings field, in its own unit (ns,\n"
        "                               fraction), e.g. --set server_target_latency_ns=5e7\n"
        "  --audit-config FILE          MLPerf's compliance tests' audit config, applied\n"
        "                               last (for --model); default: audit.config when the\n"
        "                               current folder has one; 'none': never\n"
        "\n"
        "Settings (each sets the lg_settings fields that `loadgen config --explain`\n"
        "lists; --set sets any field):\n",
        f);
    settings_help(f);
    fputs("  --expected-qps Q             the same as --target-qps\n"
        "  --slo ttft=T,tpot=T,e2e=T    goodput SLOs (any of the three), durations with\n"
        "                               a unit: ns, us, ms or s (ttft=200ms,tpot=50ms);\n"
        "                               records tokens (docs/tokens.md)\n"
        "  --stages D:Q,D:Q,...         --arrival stages (implied): k6's stages, the rate\n"
        "                               moving linearly to Q over each duration D (ms,\n"
        "                               s, m or h) from --start-qps; the run ends with\n"
        "                               the last (docs/arrival.md)\n"
        "  --trace FILE                 --arrival trace (implied): replay FILE's arrival\n"
        "                               times; the run ends with its last row\n"
        "  --trace-format F             plain (seconds, one a line), azure (the Azure\n"
        "                               LLM inference CSV) or mooncake (JSON Lines,\n"
        "                               ms); default: .csv azure, .jsonl mooncake, else\n"
        "                               plain. A trace with lengths makes the synthetic\n"
        "                               QSL a sample per row\n"
        "\n"
        "QSL (the synthetic one of --sut null and synthetic; --sut model: below):\n"
        "  --total-sample-count N       samples in the dataset (default 1024)\n"
        "  --performance-sample-count N samples loaded for performance (default 256)\n"
        "  --sample-size BYTES          bytes per sample (default 64)\n"
        "\n"
        "SUT:\n"
        "  --sut S                      model, null, synthetic, kserve or openai (default\n"
        "                               model; the model and network SUTs: below), or\n"
        "                               plugin:PATH.so: a SUT in a shared library\n"
        "                               (docs/plugins.md)\n"
        "  --sut-opt KEY=VALUE          plugin: an option for its create(); repeat for\n"
        "                               several\n"
        "  --workers N                  synthetic: worker threads (default 4)\n"
        "  --batch N                    synthetic: samples per batch, at most (default 1)\n"
        "  --batch-cost F               synthetic: extra time per extra batch sample, as\n"
        "                               a fraction of one draw (default 0.25)\n"
        "  --service-dist D             constant | exponential | lognormal (default\n"
        "                               exponential)\n"
        "  --service-mean-us U          mean service time in microseconds (default 1000)\n"
        "  --service-sigma S            lognormal sigma (default 0.5)\n"
        "  --busy-wait                  spin instead of sleeping for the service time\n"
        "  --sut-seed N                 seed of the service times, or of kserve's\n"
        "                               synthetic tensors (default 0)\n"
        "  --sut-drop-fraction F        fault injection: never complete this fraction\n"
        "  --sut-fail-fraction F        fault injection: complete with a failure status\n"
        "  --sut-double-fraction F      fault injection: complete twice\n"
        "  --sut-stall-ms T             fault injection: the issue call blocks T ms ...\n"
        "  --sut-stall-every-ms T       ... once every T ms (default 1000)\n"
        "  --sut-tokens N               synthetic: act as an LLM: the service time is the\n"
        "                               time to the first token (lg_first_token), then\n"
        "                               N - 1 more tokens; n_tokens N (default 0: off)\n"
        "  --sut-tpot-us U              synthetic LLM: microseconds between tokens\n"
        "                               (default 0)\n"
        "  --sut-prefill-us U           synthetic LLM with a trace's lengths: the first\n"
        "                               token waits U microseconds per prompt token\n"
        "                               (default 0); each row's output length is its\n"
        "                               n_tokens (with --use-token-latencies or --slo)\n"
        "\n",
        f);
    cli_model_help(f);
    cli_net_help(f);
    fputs("Output:\n"
        "  --out DIR                    output folder (default results/<time>-<scenario>)\n"
        "  --quiet                      print nothing but errors\n"
        "  --no-progress                no progress line (default: on a terminal)\n"
        "  --no-samples-file            do not write samples.bin\n"
        "  --html FILE                  also write the run's HTML report (plots included)\n"
        "  --repeat N                   run N independent repetitions (schedule, sample-\n"
        "                               index and SUT seeds derived per repetition) into\n"
        "                               DIR/rep-1 .. DIR/rep-N and summarise every metric\n"
        "                               across them in DIR/repetitions.json (default 1)\n"
        "Distributed (under Open MPI's mpirun, docs/distributed.md):\n"
        "  --distributed                one run over every rank of mpirun: rank 0 reads\n"
        "                               the settings and sends them; rank r issues the\n"
        "                               global queries r, r+N, ... (Server, Offline);\n"
        "                               one merged run in DIR, each rank's in DIR/rank-R\n"
        "  --distributed-timeout-ms MS  how long rank 0 waits for every rank's records\n"
        "                               after its own share ended (default 60000)\n"
        "  --distributed-start-lead-ms MS  the common start this far after the agreement\n"
        "                               (time to build SUTs and load samples; default 2000)\n"
        "\n"
        "Exit code: 0 VALID, 1 INVALID, 2 usage or configuration error, 3 runtime error.\n",
        f);
}

/* ---------------------------------------------------------------- the parser */

/* The program's whole-number options: the range a value must fall in, where it goes. */
typedef enum { WHOLE_U64, WHOLE_UNSIGNED } whole_kind;

static const struct whole_option {
    int code;
    uint64_t lo, hi;
    size_t offset; /* in cli_run_opts */
    whole_kind kind;
} whole_options[] = {
/* The row's target and how it is stored, checked against the member's type. */
#define INTO(m) offsetof(cli_run_opts, m), \
    _Generic(((cli_run_opts *)0)->m, uint64_t: WHOLE_U64, unsigned: WHOLE_UNSIGNED)
    {O_PSC, 1, UINT32_MAX, INTO(performance)},
    {O_TOTAL, 1, UINT32_MAX, INTO(total)},
    {O_SAMPLE_SIZE, 0, 1u << 30, INTO(sample_size)},
    {O_WORKERS, 1, 256, INTO(syn.workers)},
    {O_BATCH, 1, 65536, INTO(syn.max_batch)},
    {O_SUT_SEED, 0, UINT64_MAX, INTO(syn.seed)},
    {O_SUT_TOKENS, 0, 1000000000, INTO(syn.tokens)},
    {O_REPEAT, 1, 1000, INTO(repeat)},
    {O_DIST_TIMEOUT, 100, 86400000, INTO(dist_timeout_ms)},
    {O_DIST_LEAD, 10, 600000, INTO(dist_lead_ms)},
#undef INTO
};

/* One of the program's whole-number options (fl: its name for messages). */
static int parse_whole(cli_run_opts *o, int c, const char *a, const char *fl,
                       const char *cmd)
{
    size_t n = sizeof whole_options / sizeof whole_options[0], i = 0;
    while (i < n && whole_options[i].code != c)
        i++;
    if (i == n) {
        fprintf(stderr, "loadgen %s: unexpected option '%s'\n", cmd, fl);
        return CLI_EXIT_USAGE;
    }
    const struct whole_option *w = &whole_options[i];
    uint64_t u;
    if (!cli_parse_u64(cmd, fl, a, w->lo, w->hi, &u))
        return CLI_EXIT_USAGE;
    char *dst = (char *)o + w->offset;
    if (w->kind == WHOLE_U64)
        *(uint64_t *)dst = u;
    else
        *(unsigned *)dst = (unsigned)u;
    return -1;
}

/* A settings flag: every field the flag sets (the settings table), in the flag's unit;
 * they then override the config files. f is the flag's first field. */
static int parse_setting(cli_run_opts *o, size_t f, const char *a, const char *cmd)
{
    const char *flag = lg_settings_field_flag(f);
    char err[320], sh[CLI_SHOWN_LEN];
    if (!strcmp(flag, "scenario") && !strcmp(cmd, "demo")) {
        fprintf(stderr, "loadgen demo: --scenario: the demo runs all four scenarios; use "
                "loadgen run --scenario %s\n", cli_shown(a, sh));
        return CLI_EXIT_USAGE;
    }
    if (lg_settings_flag_set(&o->s, flag, is_bool_field(f) ? "1" : a, err, sizeof err) < 0) {
        fprintf(stderr, "loadgen %s: %s\n", cmd, err);
        if (!strcmp(lg_settings_field_flag_unit(f), "fraction"))
            fprintf(stderr, "  (a fraction: 0.99 means 99%%, the 99th percentile)\n");
        return CLI_EXIT_USAGE;
    }
    /* The flag's name as a string that outlives the parse (origins). */
    static char names[CLI_MAX_FIELDS][40];
    if (!names[f][0])
        snprintf(names[f], sizeof names[f], "--%s", flag);
    for (size_t i = f; i < lg_settings_field_count() && i < CLI_MAX_FIELDS; i++)
        if (lg_settings_field_flag(i) && !strcmp(lg_settings_field_flag(i), flag))
            o->flag_of[i] = names[f];
    return -1;
}

/* --set FIELD=VALUE: any settings field, in its own unit. */
static int parse_set(cli_run_opts *o, const char *a, const char *cmd)
{
    char name[128], err[256], sh[CLI_SHOWN_LEN];
    const char *eq = strchr(a, '=');
    int i;
    if (!eq || (size_t)(eq - a) >= sizeof name) {
        fprintf(stderr, "loadgen %s: --set: expected FIELD=VALUE, got '%s'\n", cmd,
                cli_shown(a, sh));
        return CLI_EXIT_USAGE;
    }
    memcpy(name, a, (size_t)(eq - a));
    name[eq - a] = '\0';
    if ((i = lg_settings_field_find(name)) < 0 || i >= CLI_MAX_FIELDS) {
        fprintf(stderr, "loadgen %s: --set: unknown setting '%s' (loadgen config "
                "--explain lists them)\n", cmd, name);
        return CLI_EXIT_USAGE;
    }
    if (lg_settings_field_set(&o->s, (size_t)i, eq + 1, err, sizeof err)) {
        fprintf(stderr, "loadgen %s: --set %s: %s\n", cmd, name, err);
        return CLI_EXIT_USAGE;
    }
    o->flag_of[i] = "--set";
    return -1;
}

/* The options that take a word: a scenario, a mode, a SUT, a file or folder. */
static int parse_word(cli_run_opts *o, int c, const char *a, const char *cmd)
{
    char sh[CLI_SHOWN_LEN];
    switch (c) {
    case O_SUT:
        if (strcmp(a, "model") && strcmp(a, "null") && strcmp(a, "synthetic") &&
            strcmp(a, "kserve") && strcmp(a, "openai") && strncmp(a, "plugin:", 7)) {
            fprintf(stderr, "loadgen %s: --sut: unknown SUT '%s' (use model, null, "
                    "synthetic, kserve, openai or plugin:PATH.so)\n", cmd, cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        o->sut = a;
        break;
    case O_DIST:
        if (sut_dist_parse(a, &o->syn.dist)) {
            fprintf(stderr, "loadgen %s: --service-dist: unknown distribution '%s' "
                    "(use constant, exponential or lognormal)\n", cmd, cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        break;
    case O_CONF:
        if (o->nconf == CLI_MAX_CONFS) {
            fprintf(stderr, "loadgen %s: --conf: at most %d files\n", cmd, CLI_MAX_CONFS);
            return CLI_EXIT_USAGE;
        }
        o->confs[o->nconf++] = a;
        break;
    case O_MODEL: o->model = a; break;
    case O_AUDIT: o->audit_conf = a; break;
    case O_HTML: o->html = a; break;
    case O_OUT: o->out = a; o->out_given = true; break;
    }
    return -1;
}

/* The synthetic SUT's real-number options: service times and fault injection. */
static int parse_real_sut(cli_run_opts *o, int c, const char *a, const char *fl,
                          const char *cmd)
{
    double d;
    switch (c) {
    case O_MEAN_US:
        if (!cli_parse_double(cmd, fl, a, 0, 3.6e9, false, false, &d))
            return CLI_EXIT_USAGE;
        o->syn.mean_ns = (int64_t)(d * 1000.0);
        break;
    case O_SIGMA:
        if (!cli_parse_double(cmd, fl, a, 0, 10, true, true, &o->syn.lognormal_sigma))
            return CLI_EXIT_USAGE;
        break;
    case O_DROP:
    case O_FAIL:
    case O_DOUBLE:
        if (!cli_parse_double(cmd, fl, a, 0, 1, false, false, &d))
            return CLI_EXIT_USAGE;
        *(c == O_DROP ? &o->syn.drop_fraction
          : c == O_FAIL ? &o->syn.fail_fraction
                        : &o->syn.double_fraction) = d;
        if (o->syn.drop_fraction + o->syn.fail_fraction + o->syn.double_fraction > 1.0) {
            fprintf(stderr, "loadgen %s: %s: the drop, fail and double fractions add up "
                    "to more than 1\n", cmd, fl);
            return CLI_EXIT_USAGE;
        }
        break;
    case O_STALL:
    case O_STALL_EVERY:
        if (!cli_parse_double(cmd, fl, a, 0, 3.6e6, false, false, &d))
            return CLI_EXIT_USAGE;
        *(c == O_STALL ? &o->syn.stall_ns : &o->syn.stall_every_ns) = (int64_t)(d * 1e6);
        break;
    case O_BATCH_COST:
        if (!cli_parse_double(cmd, fl, a, 0, 100, false, false, &o->syn.batch_cost))
            return CLI_EXIT_USAGE;
        break;
    case O_SUT_TPOT:
        if (!cli_parse_double(cmd, fl, a, 0, 3.6e9, false, false, &d))
            return CLI_EXIT_USAGE;
        o->syn.tpot_ns = (int64_t)(d * 1000.0);
        break;
    case O_SUT_PREFILL:
        if (!cli_parse_double(cmd, fl, a, 0, 3.6e9, false, false, &d))
            return CLI_EXIT_USAGE;
        o->syn.prefill_ns_per_token = (int64_t)(d * 1000.0);
        break;
    }
    return -1;
}

/* A duration with its unit ("200ms", "1.5s", "50us", "800ns") in ns; false with the
 * message printed (naming the flag, the item and the bad part). */
static bool parse_duration(const char *cmd, const char *item, const char *text,
                           int64_t *out_ns)
{
    static const struct { const char *unit; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
    char sh[CLI_SHOWN_LEN], sh2[CLI_SHOWN_LEN], num[80];
    size_t k = strlen(text);
    while (k > 0 && ((text[k - 1] >= 'a' && text[k - 1] <= 'z') ||
                     (text[k - 1] >= 'A' && text[k - 1] <= 'Z')))
        k--;
    const char *unit = text + k;
    double scale = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(unit, units[i].unit))
            scale = units[i].ns;
    if (!scale) {
        fprintf(stderr, "loadgen %s: --slo: '%s': %s%s%s (use ns, us, ms or s, e.g. "
                "ttft=200ms)\n", cmd, cli_shown(item, sh),
                *unit ? "unknown unit '" : "the duration needs a unit",
                *unit ? cli_shown(unit, sh2) : "", *unit ? "'" : "");
        return false;
    }
    if (k == 0 || k >= sizeof num) {
        fprintf(stderr, "loadgen %s: --slo: '%s': %s before the unit '%s'\n", cmd,
                cli_shown(item, sh), k ? "too long a number" : "no number", unit);
        return false;
    }
    memcpy(num, text, k);
    num[k] = '\0';
    double d;
    char err[CLI_SHOWN_LEN + 128];
    if (lg_parse_double(num, &d, err, sizeof err)) {
        fprintf(stderr, "loadgen %s: --slo: '%s': %s\n", cmd, cli_shown(item, sh), err);
        return false;
    }
    double ns = d * scale;
    if (!(ns >= 0) || ns > 86400.0 * 365 * 1e9) {
        fprintf(stderr, "loadgen %s: --slo: '%s': %s is out of range (0 to a year; 0 = no "
                "SLO)\n", cmd, cli_shown(item, sh), cli_shown(text, sh2));
        return false;
    }
    *out_ns = (int64_t)(ns + 0.5);
    return true;
}

/* --slo ttft=200ms,tpot=50ms,e2e=2s: the goodput SLOs (lg_settings.slo_*_ns), any of
 * them, each at most once per flag. */
static int parse_slo(cli_run_opts *o, const char *a, const char *cmd)
{
    static const struct { const char *name, *field; } slos[] = {
        {"ttft", "slo_ttft_ns"}, {"tpot", "slo_tpot_ns"}, {"e2e", "slo_e2e_ns"}};
    char buf[256], sh[CLI_SHOWN_LEN];
    bool seen[3] = {false, false, false};
    if (strlen(a) >= sizeof buf) {
        fprintf(stderr, "loadgen %s: --slo: '%s' is too long\n", cmd, cli_shown(a, sh));
        return CLI_EXIT_USAGE;
    }
    snprintf(buf, sizeof buf, "%s", a);
    for (char *item = buf, *next; item; item = next) {
        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        char *eq = strchr(item, '=');
        size_t i = 0;
        if (eq) {
            *eq = '\0';
            while (i < 3 && strcmp(item, slos[i].name))
                i++;
            *eq = '=';
        }
        if (!eq || i == 3) {
            fprintf(stderr, "loadgen %s: --slo: '%s': %s; expected NAME=DURATION with NAME "
                    "ttft, tpot or e2e, e.g. --slo ttft=200ms,tpot=50ms\n", cmd,
                    cli_shown(item, sh), !*item ? "an empty item"
                                        : !eq ? "no '='" : "unknown SLO name");
            return CLI_EXIT_USAGE;
        }
        if (seen[i]) {
            fprintf(stderr, "loadgen %s: --slo: '%s': %s is given twice\n", cmd,
                    cli_shown(a, sh), slos[i].name);
            return CLI_EXIT_USAGE;
        }
        seen[i] = true;
        int64_t ns;
        if (!parse_duration(cmd, item, eq + 1, &ns))
            return CLI_EXIT_USAGE;
        char text[32], err[256] = "";
        int f = lg_settings_field_find(slos[i].field);
        snprintf(text, sizeof text, "%lld", (long long)ns);
        if (f < 0 || f >= CLI_MAX_FIELDS ||
            lg_settings_field_set(&o->s, (size_t)f, text, err, sizeof err)) {
            fprintf(stderr, "loadgen %s: --slo: '%s': %s\n", cmd, cli_shown(item, sh), err);
            return CLI_EXIT_USAGE;
        }
        o->flag_of[f] = "--slo";
    }
    return -1;
}

/* Remembers a flag that only the synthetic SUT (and its QSL) takes, which the model
 * SUT refuses (cli_model_check): its code and name. */
static void note_synthetic_flag(cli_run_opts *o, int c)
{
    static const int codes[] = {O_SAMPLE_SIZE, O_BATCH_COST, O_DIST, O_MEAN_US, O_SIGMA,
                                O_BUSY, O_SUT_SEED, O_DROP, O_FAIL, O_DOUBLE, O_STALL,
                                O_STALL_EVERY, O_SUT_TOKENS, O_SUT_TPOT, O_SUT_PREFILL};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i] == c)
            for (size_t k = 0; k < N_OWN; k++)
                if (own_long[k].val == c) {
                    o->synthetic_flag = c;
                    o->synthetic_flag_name = own_long[k].name;
                }
}

/* One option as getopt_long returned it: c its code, a its value, fl its name for
 * messages. */
static int parse_option(cli_run_opts *o, int c, const char *a, const char *fl,
                        const char *cmd)
{
    if (c >= O_FIELD && c < O_FIELD + CLI_MAX_FIELDS)
        return parse_setting(o, (size_t)(c - O_FIELD), a, cmd);
    if (c >= CLI_NET_OPT_BASE && c < CLI_NET_OPT_END)
        return cli_net_parse(o, c, a, fl, cmd);
    if (c >= CLI_MODEL_OPT_BASE && c < CLI_MODEL_OPT_END)
        return cli_model_parse(o, c, a, fl, cmd);
    o->total_given |= c == O_TOTAL;
    o->performance_given |= c == O_PSC;
    o->sample_size_given |= c == O_SAMPLE_SIZE;
    o->workers_given |= c == O_WORKERS;
    o->batch_given |= c == O_BATCH;
    note_synthetic_flag(o, c);
    switch (c) {
    case O_SUT: case O_DIST: case O_CONF: case O_MODEL: case O_HTML: case O_OUT:
    case O_AUDIT:
        return parse_word(o, c, a, cmd);
    case O_SET:
        return parse_set(o, a, cmd);
    case O_SLO:
        return parse_slo(o, a, cmd);
    case O_SUT_OPT:
        return cli_plugin_parse_opt(o, a, cmd);
    case O_STAGES:
        return cli_arrival_parse_stages(o, a, cmd);
    case O_TRACE: o->arr.trace_path = a; return -1;
    case O_TRACE_FORMAT: o->arr.trace_format = a; return -1;
    case O_MEAN_US: case O_SIGMA: case O_DROP: case O_FAIL: case O_DOUBLE: case O_STALL:
    case O_STALL_EVERY: case O_BATCH_COST: case O_SUT_TPOT: case O_SUT_PREFILL:
        return parse_real_sut(o, c, a, fl, cmd);
    case O_EXPLAIN: o->explain = true; return -1;
    case O_BUSY: o->syn.busy_wait = true; return -1;
    case O_QUIET: o->quiet = true; o->progress = false; return -1;
    case O_NO_PROGRESS: o->progress = false; return -1;
    case O_NO_SAMPLES: o->write_samples = false; return -1;
    case O_DISTRIBUTED:
        if (strcmp(cmd, "run")) {
            fprintf(stderr, "loadgen %s: --distributed is an option of loadgen run only\n",
                    cmd);
            return CLI_EXIT_USAGE;
        }
        o->distributed = true;
        return -1;
    case O_HELP:
    case 'h':
        run_help(stdout);
        return CLI_EXIT_VALID;
    case ':':
        fprintf(stderr, "loadgen %s: %s needs a value (see loadgen %s --help)\n", cmd, fl,
                cmd);
        return CLI_EXIT_USAGE;
    case '?':
        if (optopt)
            fprintf(stderr, "loadgen %s: unknown option '-%c' (see loadgen %s --help)\n",
                    cmd, optopt, cmd);
        else
            fprintf(stderr, "loadgen %s: unknown option '%s' (see loadgen %s --help)\n", cmd,
                    fl, cmd);
        return CLI_EXIT_USAGE;
    default:
        return parse_whole(o, c, a, fl, cmd);
    }
}

int cli_run_parse(int argc, char **argv, cli_run_opts *o, const char *cmd)
{
    pthread_once(&run_long_once, run_long_init);
    o->argc = argc;
    o->argv = argv;
    optind = 0; /* 0, not 1: glibc then resets its state fully between parses */
    o->base = o->s;
    opterr = 0;
    int c, li;
    while ((li = -1, c = getopt_long(argc, argv, ":h", run_long, &li)) != -1) {
        /* The flag as typed (for unknown options), and its name for messages. */
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        char fl[CLI_SHOWN_LEN];
        if (li >= 0)
            snprintf(fl, sizeof fl, "--%s", run_long[li].name);
        else
            cli_shown(flag, fl);
        if (optarg && li >= 0 && run_long[li].has_arg == required_argument &&
            cli_value_refused(cmd, fl, optarg))
            return CLI_EXIT_USAGE;
        int rc = parse_option(o, c, optarg, fl, cmd);
        if (rc >= 0)
            return rc;
    }
    if (optind < argc) {
        char sh[CLI_SHOWN_LEN];
        fprintf(stderr, "loadgen %s: unexpected argument '%s' (see loadgen %s --help)\n", cmd,
                cli_shown(argv[optind], sh), cmd);
        return CLI_EXIT_USAGE;
    }
    int rc = cli_net_check(o, cmd);
    if (rc < 0)
        rc = cli_model_check(o, cmd);
    return rc >= 0 ? rc : cli_plugin_check(o, cmd);
}

/* ---------------------------------------------------------------- settings */

static bool from_default(const cli_run_opts *o, const char *field)
{
    int i = lg_settings_field_find(field);
    return i < 0 || i >= CLI_MAX_FIELDS || o->origins[i].source == LG_CONF_SRC_DEFAULT;
}

static void set_origin(cli_run_opts *o, const char *field, const char *why)
{
    int i = lg_settings_field_find(field);
    if (i >= 0 && i < CLI_MAX_FIELDS)
        o->origins[i] = (lg_config_origin){.source = LG_CONF_SRC_CALLER, .file = why};
}

static void set_derived(cli_run_opts *o, const char *field)
{
    set_origin(o, field, "derived from the SUT's capacity");
}

/* The model SUT's: its capacity measured once on this machine (cli_model_capacity).
 * Server runs at a quarter of it: the issue thread spins to each arrival on a core of
 * its own and the workers share the others, and a Server run over its capacity is
 * INVALID at once (measured on 2 cores: half the capacity was over it). Offline asks
 * for twice the capacity: the measure counts the cores less the issue thread's, but
 * Offline's issue thread sleeps once the query is issued and every worker runs (on 2
 * cores it completed 1.6 times the measure), and an Offline run that ends before its
 * minimum duration is INVALID, while one that lasts longer is not. */
static void derive_model_defaults(cli_run_opts *o, bool announce)
{
    double capacity, latency_ns;
    bool server = from_default(o, "server_target_qps");
    bool offline = from_default(o, "offline_expected_qps");
    bool ss = from_default(o, "single_stream_expected_latency_ns");
    bool ms = from_default(o, "multi_stream_expected_latency_ns");
    if (!server && !offline && !ss && !ms)
        return;
    cli_model_capacity(o, &capacity, &latency_ns);
    if (ss) {
        o->s.single_stream_expected_latency_ns = latency_ns;
        set_derived(o, "single_stream_expected_latency_ns");
    }
    if (ms) {
        o->s.multi_stream_expected_latency_ns =
            latency_ns * (double)o->s.multi_stream_samples_per_query;
        set_derived(o, "multi_stream_expected_latency_ns");
    }
    if (server) {
        o->s.server_target_qps = 0.25 * capacity;
        set_derived(o, "server_target_qps");
    }
    if (offline) {
        o->s.offline_expected_qps = 2.0 * capacity;
        set_derived(o, "offline_expected_qps");
    }
    if (announce && ((server && o->s.scenario == LG_SERVER) ||
                     (offline && o->s.scenario == LG_OFFLINE)))
        fprintf(stderr, "loadgen: no --target-qps given: using %.4g, %s the model SUT's "
                "capacity (%.4g samples/s, %s on this machine)\n",
                o->s.scenario == LG_SERVER ? o->s.server_target_qps : o->s.offline_expected_qps,
                o->s.scenario == LG_SERVER ? "a quarter of" : "2 x", capacity,
                o->mdl.capacity ? "measured" : "nominal: not measured");
}

/* The highest rate the Server schedule reaches, or -1 when it is not known yet. */
static double schedule_peak_qps(const cli_run_opts *o)
{
    const lg_settings *s = &o->s;
    double peak = s->server_target_qps;
    switch (s->arrival) {
    case LG_ARRIVAL_RAMP:
        return peak > s->arrival_start_qps ? peak : s->arrival_start_qps;
    case LG_ARRIVAL_STAGES:
        peak = s->arrival_start_qps;
        for (size_t i = 0; i < o->arr.nstages; i++)
            if (o->arr.stages[i].target_qps > peak)
                peak = o->arr.stages[i].target_qps;
        return peak;
    case LG_ARRIVAL_TRACE: { /* its mean rate, replayed at its speed */
        const lg_trace *t = &o->arr.trace;
        if (!o->arr.trace_loaded || t->count < 2 || t->time_ns[t->count - 1] <= 0)
            return -1;
        return (double)(t->count - 1) * 1e9 / (double)t->time_ns[t->count - 1] *
               s->arrival_trace_speed;
    }
    default:
        return peak;
    }
}

/* A network SUT's issue_batch_ns: net_issue_batch_ns of the schedule's highest rate. */
static void derive_net_batch(cli_run_opts *o)
{
    double peak = schedule_peak_qps(o);
    int64_t ns = net_issue_batch_ns(peak);
    o->s.issue_batch_ns = ns;
    if (peak < 0)
        snprintf(o->batch_why, sizeof o->batch_why,
                 "a network SUT, the rate unknown: one wake-up per %lld us at most",
                 (long long)(ns / 1000));
    else
        snprintf(o->batch_why, sizeof o->batch_why,
                 "a network SUT at %s%.6g queries/s: one wake-up per %.4g us at most "
                 "(1 ms from %.6g/s up, in proportion below)",
                 o->s.arrival == LG_ARRIVAL_TRACE ? "a mean " : "up to ", peak,
                 (double)ns / 1e3, NET_ISSUE_BATCH_QPS);
    set_origin(o, "issue_batch_ns", o->batch_why);
}

/* Fills the settings that neither a flag nor a config file gave from what the SUT can
 * do, so that a run with no flags is meaningful: MLPerf's stand-in default of 1 QPS would
 * make Offline and Server runs INVALID at once. */
static void derive_defaults(cli_run_opts *o, bool announce)
{
    /* A trace or stages set their own rates: the Server rate is then only the accuracy
     * pass's, not worth a line. */
    if (o->s.arrival == LG_ARRIVAL_TRACE || o->s.arrival == LG_ARRIVAL_STAGES)
        announce = false;
    if (cli_net_sut(o)) {
        /* The client's I/O threads share the machine with the issue thread: a spinning
         * issue thread would take the core they need (at 50k QPS it spins nearly all the
         * time), while a sleep's few microseconds of lag are nothing against a network
         * round trip. */
        if (from_default(o, "issue_spin_ns")) {
            o->s.issue_spin_ns = 0;
            set_origin(o, "issue_spin_ns", "a network SUT: the issue thread never spins");
        }
        if (from_default(o, "issue_batch_ns"))
            derive_net_batch(o);
        return; /* a server's capacity is unknown: cli_resolve_settings asks for it */
    }
    if (cli_plugin_sut(o))
        return; /* nor is a plugin's */
    if (cli_model_sut(o)) {
        derive_model_defaults(o, announce);
        return;
    }
    bool null = !strcmp(o->sut, "null");
    double batch = o->syn.max_batch;
    /* A synthetic LLM holds its worker for the tokens after the first too. */
    double tokens_ns = o->syn.tokens > 1 ? (double)(o->syn.tokens - 1) * (double)o->syn.tpot_ns
                                         : 0.0;
    double per_batch_ns = (double)o->syn.mean_ns * (1.0 + o->syn.batch_cost * (batch - 1)) +
                          tokens_ns;
    /* The null SUT completes 1e7 to 3e7 samples per second here; Offline is VALID only
     * when the query takes min_duration_ms, so aim high. */
    double capacity = null ? CLI_NULL_SUT_CAPACITY
                      : per_batch_ns > 0 ? o->syn.workers * batch * 1e9 / per_batch_ns
                                         : 1e6;
    if (!null && (double)o->syn.mean_ns + tokens_ns > 0) {
        double svc_ns = (double)o->syn.mean_ns + tokens_ns;
        if (from_default(o, "single_stream_expected_latency_ns")) {
            o->s.single_stream_expected_latency_ns = svc_ns;
            set_derived(o, "single_stream_expected_latency_ns");
        }
        if (from_default(o, "multi_stream_expected_latency_ns")) {
            o->s.multi_stream_expected_latency_ns =
                svc_ns * (double)o->s.multi_stream_samples_per_query;
            set_derived(o, "multi_stream_expected_latency_ns");
        }
    }
    bool server = from_default(o, "server_target_qps");
    bool offline = from_default(o, "offline_expected_qps");
    if (server) {
        o->s.server_target_qps = null ? CLI_NULL_SUT_SERVER_QPS : 0.5 * capacity;
        set_derived(o, "server_target_qps");
    }
    if (offline) {
        o->s.offline_expected_qps = capacity;
        set_derived(o, "offline_expected_qps");
    }
    if (announce && ((server && o->s.scenario == LG_SERVER) ||
                     (offline && o->s.scenario == LG_OFFLINE)))
        fprintf(stderr, "loadgen: no --target-qps given: using %g, %s\n",
                o->s.scenario == LG_SERVER ? o->s.server_target_qps
                                           : o->s.offline_expected_qps,
                o->s.scenario == LG_OFFLINE
                    ? (null ? "the null SUT's nominal capacity" : "the SUT's nominal capacity")
                : null ? "the null SUT's fixed Server default (its issue thread, not the SUT, "
                         "sets the limit)"
                       : "half the SUT's nominal capacity");
}

/* MLPerf's audit config, over everything else as MLPerf's StartTest applies it: the
 * --audit-config file, or audit.config in the current folder (the compliance tests put
 * it there), for --model. -1, or an exit code (the message printed). */
static int apply_audit(cli_run_opts *o, const char *cmd, bool announce)
{
    const char *path = o->audit_conf ? o->audit_conf : LG_AUDIT_CONFIG;
    o->audit_applied = NULL;
    if (strcmp(path, "none") == 0)
        return -1;
    char err[512], sh[CLI_SHOWN_LEN];
    int rc = lg_config_apply_audit(path, o->model, &o->s, err, sizeof err);
    if (rc == 0 && o->audit_conf) {
        fprintf(stderr, "loadgen %s: --audit-config %s: no such file\n", cmd,
                cli_shown(path, sh));
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "loadgen %s: %s%s: %s\n", cmd, o->audit_conf ? "--audit-config " : "",
                cli_shown(path, sh), err);
        return CLI_EXIT_USAGE;
    }
    if (rc == 1) {
        o->audit_applied = path;
        if (announce && !o->quiet)
            fprintf(stderr, "loadgen %s: applied the audit config %s (MLPerf's compliance "
                    "tests; --audit-config none ignores it)\n", cmd, cli_shown(path, sh));
    }
    return -1;
}

/* Builds the run's settings in precedence order: the defaults, then the config files
 * (for --model and the scenario), then every field a flag set, then the derived
 * defaults. Returns -1 when all is well, else an exit code (the message printed). */
int cli_resolve_settings(cli_run_opts *o, const char *cmd, bool announce)
{
    lg_settings final = o->base;
    char err[512], sh[CLI_SHOWN_LEN];
    memset(o->origins, 0, sizeof o->origins);
    if (o->nconf && !o->cfg) {
        if (lg_config_create(&o->cfg))
            return CLI_EXIT_RUNTIME;
        for (int i = 0; i < o->nconf; i++) {
            int rc = lg_config_load_file(o->cfg, o->confs[i],
                                         lg_config_kind_from_path(o->confs[i]), err,
                                         sizeof err);
            if (rc) {
                fprintf(stderr, "loadgen %s: --conf %s: %s\n", cmd,
                        cli_shown(o->confs[i], sh), err);
                return CLI_EXIT_USAGE;
            }
        }
    }
    if (o->cfg) {
        if (lg_config_apply(o->cfg, o->model, o->s.scenario, &final, o->origins, err,
                            sizeof err)) {
            fprintf(stderr, "loadgen %s: %s\n", cmd, err);
            return CLI_EXIT_USAGE;
        }
        /* Model names that match nothing (a typo MLPerf would pass over). */
        char warn[2048];
        if (!o->quiet && lg_config_model_warnings(o->cfg, o->model, warn, sizeof warn) > 0)
            for (char *line = strtok(warn, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(stderr, "loadgen %s: warning: %s\n", cmd, line);
    } else if (o->model) {
        fprintf(stderr, "loadgen %s: --model %s: needs a config file (--conf)\n", cmd,
                cli_shown(o->model, sh));
        return CLI_EXIT_USAGE;
    }
    size_t n = lg_settings_field_count();
    for (size_t i = 0; i < n && i < CLI_MAX_FIELDS; i++) {
        if (!o->flag_of[i])
            continue;
        char text[128];
        lg_settings_field_format(&o->s, i, text, sizeof text);
        if (lg_settings_field_set(&final, i, text, err, sizeof err)) {
            fprintf(stderr, "loadgen %s: %s: %s\n", cmd, o->flag_of[i], err);
            return CLI_EXIT_USAGE;
        }
        o->origins[i] = (lg_config_origin){.source = LG_CONF_SRC_CALLER,
                                           .file = o->flag_of[i]};
    }
    o->s = final;
    int rc = cli_arrival_apply(o, cmd);
    if (rc >= 0)
        return rc;
    derive_defaults(o, announce);
    rc = apply_audit(o, cmd, announce);
    if (rc >= 0)
        return rc;
    bool plugin = cli_plugin_sut(o);
    if ((cli_net_sut(o) || plugin) &&
        ((o->s.scenario == LG_SERVER && from_default(o, "server_target_qps")) ||
         (o->s.scenario == LG_OFFLINE && from_default(o, "offline_expected_qps")))) {
        fprintf(stderr, "loadgen %s: --target-qps: needed for %s with --sut %s (the %s's "
                "capacity is not known; a config file may give it too)\n", cmd,
                lg_scenario_name(o->s.scenario), cli_shown(o->sut, sh),
                plugin ? "plugin" : "server");
        return CLI_EXIT_USAGE;
    }
    return -1;
}

void cli_run_opts_free(cli_run_opts *o)
{
    lg_config_destroy(o->cfg);
    o->cfg = NULL;
    cli_arrival_free(o);
}

int cli_run_parse_only(int argc, char **argv)
{
    cli_run_opts o;
    cli_run_opts_default(&o);
    o.progress = false;
    o.mdl.measure = false; /* no file read, no timing: parsing only */
    int rc = cli_run_parse(argc, argv, &o, "run");
    if (rc < 0)
        rc = cli_resolve_settings(&o, "run", false);
    cli_run_opts_free(&o);
    if (rc >= 0)
        return rc;
    char msg[256];
    lg_qsl qsl = {.total_sample_count = o.total, .performance_sample_count = o.performance};
    return lg_settings_check(&o.s, &qsl, msg, sizeof msg) ? CLI_EXIT_USAGE : -1;
}

