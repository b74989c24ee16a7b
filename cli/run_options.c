/* cli/run_options.c: the options of `loadgen run`, which config and demo take too: the
 * flag table, its help, its parser and the settings the options resolve to. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/internal.h"

/* ---------------------------------------------------------------- options */

/* Records that a flag set a settings field (by its lg_settings name). */
static void mark(cli_run_opts *o, const char *field, const char *flag)
{
    int i = lg_settings_field_find(field);
    if (i >= 0 && i < CLI_MAX_FIELDS)
        o->flag_of[i] = flag;
}

void cli_run_opts_default(cli_run_opts *o)
{
    memset(o, 0, sizeof *o);
    lg_settings_default(&o->s);
    sut_synthetic_default(&o->syn);
    o->sut = "synthetic";
    o->total = 1024;
    o->performance = 256;
    o->sample_size = 64;
    o->progress = isatty(STDERR_FILENO);
    o->write_samples = true;
    o->repeat = 1;
}

enum {
    O_SCENARIO = 256, O_SUT, O_OUT, O_MODE, O_TARGET_QPS, O_MIN_DUR, O_MAX_DUR, O_MIN_Q,
    O_MAX_Q, O_TARGET_LAT, O_TARGET_PCT, O_SPQ, O_PSC, O_TOTAL, O_SAMPLE_SIZE, O_QSL_SEED,
    O_INDEX_SEED, O_SCHED_SEED, O_ACC_SEED, O_ACC_PROB, O_WORKERS, O_BATCH, O_DIST,
    O_MEAN_US, O_SIGMA, O_BUSY, O_SUT_SEED, O_COALESCE, O_MAX_ASYNC, O_TIMEOUT, O_QUIET,
    O_NO_PROGRESS, O_NO_SAMPLES, O_HELP, O_BATCH_COST, O_DROP, O_FAIL, O_DOUBLE, O_STALL,
    O_STALL_EVERY, O_CONF, O_MODEL, O_SET, O_EXPLAIN, O_WARMUP, O_HTML, O_REPEAT,
};

static const struct option run_long[] = {
    {"scenario", required_argument, 0, O_SCENARIO},
    {"sut", required_argument, 0, O_SUT},
    {"out", required_argument, 0, O_OUT},
    {"mode", required_argument, 0, O_MODE},
    {"target-qps", required_argument, 0, O_TARGET_QPS},
    {"expected-qps", required_argument, 0, O_TARGET_QPS},
    {"min-duration-ms", required_argument, 0, O_MIN_DUR},
    {"max-duration-ms", required_argument, 0, O_MAX_DUR},
    {"min-query-count", required_argument, 0, O_MIN_Q},
    {"max-query-count", required_argument, 0, O_MAX_Q},
    {"target-latency-ms", required_argument, 0, O_TARGET_LAT},
    {"target-latency-percentile", required_argument, 0, O_TARGET_PCT},
    {"samples-per-query", required_argument, 0, O_SPQ},
    {"performance-sample-count", required_argument, 0, O_PSC},
    {"total-sample-count", required_argument, 0, O_TOTAL},
    {"sample-size", required_argument, 0, O_SAMPLE_SIZE},
    {"qsl-rng-seed", required_argument, 0, O_QSL_SEED},
    {"sample-index-rng-seed", required_argument, 0, O_INDEX_SEED},
    {"schedule-rng-seed", required_argument, 0, O_SCHED_SEED},
    {"accuracy-log-rng-seed", required_argument, 0, O_ACC_SEED},
    {"accuracy-log-probability", required_argument, 0, O_ACC_PROB},
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
    {"coalesce-queries", no_argument, 0, O_COALESCE},
    {"max-async-queries", required_argument, 0, O_MAX_ASYNC},
    {"sample-timeout-ms", required_argument, 0, O_TIMEOUT},
    {"warmup-ms", required_argument, 0, O_WARMUP},
    {"html", required_argument, 0, O_HTML},
    {"quiet", no_argument, 0, O_QUIET},
    {"no-progress", no_argument, 0, O_NO_PROGRESS},
    {"no-samples-file", no_argument, 0, O_NO_SAMPLES},
    {"conf", required_argument, 0, O_CONF},
    {"model", required_argument, 0, O_MODEL},
    {"set", required_argument, 0, O_SET},
    {"explain", no_argument, 0, O_EXPLAIN},
    {"repeat", required_argument, 0, O_REPEAT},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0},
};

static void run_help(FILE *f)
{
    fputs(
        "usage: loadgen run [options]\n"
        "\n"
        "Runs one MLPerf-style test with a built-in SUT and synthetic QSL and writes\n"
        "mlperf_log_summary.txt, mlperf_log_detail.txt, mlperf_log_accuracy.json,\n"
        "results.json and samples.bin to the output folder.\n"
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
        "\n"
        "Test:\n"
        "  --scenario S                 SingleStream | MultiStream | Server | Offline\n"
        "                               (default SingleStream)\n"
        "  --mode M                     performance | accuracy | submission (default\n"
        "                               performance)\n"
        "  --out DIR                    output folder (default results/<time>-<scenario>)\n"
        "  --target-qps Q               Server: arrival rate; Offline: expected QPS\n"
        "                               (default: derived from the SUT's capacity)\n"
        "  --expected-qps Q             the same as --target-qps\n"
        "  --target-latency-ms T        Server: latency bound (default 100);\n"
        "                               SingleStream/MultiStream: expected latency hint\n"
        "  --target-latency-percentile P  fraction in (0,1), e.g. 0.99 (default 0.90 SS,\n"
        "                               0.99 MS and Server)\n"
        "  --min-duration-ms N          (default 10000)\n"
        "  --max-duration-ms N          0 = none; reaching it ends the run INVALID\n"
        "  --min-query-count N          (default 100)\n"
        "  --max-query-count N          0 = none; reaching it ends the run INVALID\n"
        "  --samples-per-query N        MultiStream (default 8)\n"
        "  --max-async-queries N        Server: outstanding-query limit, 0 = none\n"
        "  --coalesce-queries           Server: issue all overdue queries at once\n"
        "  --sample-timeout-ms N        a sample not answered this long after issuing\n"
        "                               ended counts as failed (default max(10 s, 100x\n"
        "                               the latency bound))\n"
        "  --warmup-ms N                issue the scenario's queries this long before the\n"
        "                               timed run, unmeasured (default 0)\n"
        "  --qsl-rng-seed N, --sample-index-rng-seed N, --schedule-rng-seed N,\n"
        "  --accuracy-log-rng-seed N    MLPerf's seeds (default 0)\n"
        "  --accuracy-log-probability P fraction of performance responses logged\n"
        "\n"
        "QSL:\n"
        "  --total-sample-count N       samples in the dataset (default 1024)\n"
        "  --performance-sample-count N samples loaded for performance (default 256)\n"
        "  --sample-size BYTES          bytes per sample (default 64)\n"
        "\n"
        "SUT:\n"
        "  --sut null|synthetic         (default synthetic)\n"
        "  --workers N                  synthetic: worker threads (default 4)\n"
        "  --batch N                    synthetic: samples per batch, at most (default 1)\n"
        "  --batch-cost F               synthetic: extra time per extra batch sample, as\n"
        "                               a fraction of one draw (default 0.25)\n"
        "  --service-dist D             constant | exponential | lognormal (default\n"
        "                               exponential)\n"
        "  --service-mean-us U          mean service time in microseconds (default 1000)\n"
        "  --service-sigma S            lognormal sigma (default 0.5)\n"
        "  --busy-wait                  spin instead of sleeping for the service time\n"
        "  --sut-seed N                 seed of the service times (default 0)\n"
        "  --sut-drop-fraction F        fault injection: never complete this fraction\n"
        "  --sut-fail-fraction F        fault injection: complete with a failure status\n"
        "  --sut-double-fraction F      fault injection: complete twice\n"
        "  --sut-stall-ms T             fault injection: the issue call blocks T ms ...\n"
        "  --sut-stall-every-ms T       ... once every T ms (default 1000)\n"
        "\n"
        "Output:\n"
        "  --quiet                      print nothing but errors\n"
        "  --no-progress                no progress line (default: on a terminal)\n"
        "  --no-samples-file            do not write samples.bin\n"
        "  --html FILE                  also write the run's HTML report (plots included)\n"
        "  --repeat N                   run N independent repetitions (schedule, sample-\n"
        "                               index and SUT seeds derived per repetition) into\n"
        "                               DIR/rep-1 .. DIR/rep-N and summarise every metric\n"
        "                               across them in DIR/repetitions.json (default 1)\n"
        "\n"
        "Exit code: 0 VALID, 1 INVALID, 2 usage or configuration error, 3 runtime error.\n",
        f);
}

/* ---------------------------------------------------------------- the parser */

/* The whole-number options: the range a value must fall in, where it goes, and for a
 * setting, its lg_settings name (so that it overrides the config files). */
typedef enum { WHOLE_U64, WHOLE_UNSIGNED, WHOLE_MS_TO_NS } whole_kind;

static const struct whole_option {
    int code;
    uint64_t lo, hi;
    size_t offset; /* in cli_run_opts */
    whole_kind kind;
    const char *field;
} whole_options[] = {
/* The row's target and how it is stored, checked against the member's type. */
#define INTO(m) offsetof(cli_run_opts, m), \
    _Generic(((cli_run_opts *)0)->m, uint64_t: WHOLE_U64, unsigned: WHOLE_UNSIGNED)
#define INTO_NS_FROM_MS(m) offsetof(cli_run_opts, m), \
    _Generic(((cli_run_opts *)0)->m, int64_t: WHOLE_MS_TO_NS)
    {O_MIN_DUR, 0, UINT64_C(31536000000), INTO(s.min_duration_ms), "min_duration_ms"},
    {O_MAX_DUR, 0, UINT64_C(31536000000), INTO(s.max_duration_ms), "max_duration_ms"},
    {O_MIN_Q, 0, UINT64_C(1) << 36, INTO(s.min_query_count),
     "min_query_count"},
    {O_MAX_Q, 0, UINT64_C(1) << 36, INTO(s.max_query_count),
     "max_query_count"},
    {O_SPQ, 1, 1u << 20, INTO(s.multi_stream_samples_per_query),
     "multi_stream_samples_per_query"},
    {O_PSC, 1, UINT32_MAX, INTO(performance), NULL},
    {O_TOTAL, 1, UINT32_MAX, INTO(total), NULL},
    {O_SAMPLE_SIZE, 0, 1u << 30, INTO(sample_size), NULL},
    {O_QSL_SEED, 0, UINT64_MAX, INTO(s.qsl_rng_seed),
     "qsl_rng_seed"},
    {O_INDEX_SEED, 0, UINT64_MAX, INTO(s.sample_index_rng_seed),
     "sample_index_rng_seed"},
    {O_SCHED_SEED, 0, UINT64_MAX, INTO(s.schedule_rng_seed),
     "schedule_rng_seed"},
    {O_ACC_SEED, 0, UINT64_MAX, INTO(s.accuracy_log_rng_seed),
     "accuracy_log_rng_seed"},
    {O_WORKERS, 1, 256, INTO(syn.workers), NULL},
    {O_BATCH, 1, 65536, INTO(syn.max_batch), NULL},
    {O_SUT_SEED, 0, UINT64_MAX, INTO(syn.seed), NULL},
    {O_MAX_ASYNC, 0, UINT64_MAX, INTO(s.server_max_async_queries), "server_max_async_queries"},
    {O_TIMEOUT, 1, UINT64_C(86400000), INTO_NS_FROM_MS(s.sample_timeout_ns), "sample_timeout_ns"},
    {O_WARMUP, 0, UINT64_C(86400000), INTO(s.warmup_duration_ms),
     "warmup_duration_ms"},
    {O_REPEAT, 1, 1000, INTO(repeat), NULL},
#undef INTO
#undef INTO_NS_FROM_MS
};

/* A whole-number option (li: its row in run_long, fl: its name for messages). */
static int parse_whole(cli_run_opts *o, int c, int li, const char *a, const char *fl,
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
    switch (w->kind) {
    case WHOLE_U64: *(uint64_t *)dst = u; break;
    case WHOLE_UNSIGNED: *(unsigned *)dst = (unsigned)u; break;
    case WHOLE_MS_TO_NS: *(int64_t *)dst = (int64_t)u * 1000000; break;
    }
    /* The flag's name, "--name", as a string that outlives the parse (origins). */
    static char names[sizeof run_long / sizeof run_long[0]][40];
    if (li >= 0 && !names[li][0])
        snprintf(names[li], sizeof names[li], "--%s", run_long[li].name);
    if (w->field)
        mark(o, w->field, li >= 0 ? names[li] : "?");
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
    /* Config files take MLPerf's grammar, hexadecimal included; the command line
     * takes decimal numbers only, the same for --set as for the flags. */
    if (cli_is_hex(eq + 1)) {
        fprintf(stderr, "loadgen %s: --set %s: '%s' is hexadecimal%s\n", cmd, name,
                cli_shown(eq + 1, sh), cli_hex_hint);
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
    case O_SCENARIO:
        if (lg_scenario_parse(a, &o->s.scenario)) {
            fprintf(stderr, "loadgen %s: --scenario: unknown scenario '%s' (use "
                    "SingleStream, MultiStream, Server or Offline)\n", cmd, cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        mark(o, "scenario", "--scenario");
        break;
    case O_MODE:
        if (lg_mode_parse(a, &o->s.mode)) {
            fprintf(stderr, "loadgen %s: --mode: unknown mode '%s' (use performance, "
                    "accuracy or submission)\n", cmd, cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        mark(o, "mode", "--mode");
        break;
    case O_SUT:
        if (strcmp(a, "null") && strcmp(a, "synthetic")) {
            fprintf(stderr, "loadgen %s: --sut: unknown SUT '%s' (use null or "
                    "synthetic)\n", cmd, cli_shown(a, sh));
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
    case O_HTML: o->html = a; break;
    case O_OUT: o->out = a; o->out_given = true; break;
    }
    return -1;
}

/* The settings given as real numbers, in the flags' units (ms, QPS, fractions). */
static int parse_real_setting(cli_run_opts *o, int c, const char *a, const char *fl,
                              const char *cmd)
{
    double d;
    switch (c) {
    case O_TARGET_QPS:
        if (!cli_parse_double(cmd, fl, a, 0, 1e12, true, false, &d))
            return CLI_EXIT_USAGE;
        o->s.server_target_qps = o->s.offline_expected_qps = d;
        mark(o, "server_target_qps", "--target-qps");
        mark(o, "offline_expected_qps", "--target-qps");
        break;
    case O_TARGET_LAT: {
        if (!cli_parse_double(cmd, fl, a, 0, 86400e3, true, false, &d))
            return CLI_EXIT_USAGE;
        int64_t ns = (int64_t)(d * 1e6);
        o->s.server_target_latency_ns = ns > 0 ? ns : 1;
        o->s.single_stream_expected_latency_ns = d * 1e6;
        o->s.multi_stream_expected_latency_ns = d * 1e6;
        mark(o, "server_target_latency_ns", "--target-latency-ms");
        mark(o, "single_stream_expected_latency_ns", "--target-latency-ms");
        mark(o, "multi_stream_expected_latency_ns", "--target-latency-ms");
        break;
    }
    case O_TARGET_PCT:
        if (!cli_parse_double(cmd, fl, a, 0, 1, true, true, &d)) {
            fprintf(stderr, "  (a percentile is a fraction: 0.99 means the 99th)\n");
            return CLI_EXIT_USAGE;
        }
        o->s.single_stream_target_latency_percentile = d;
        o->s.multi_stream_target_latency_percentile = d;
        o->s.server_target_latency_percentile = d;
        mark(o, "single_stream_target_latency_percentile", "--target-latency-percentile");
        mark(o, "multi_stream_target_latency_percentile", "--target-latency-percentile");
        mark(o, "server_target_latency_percentile", "--target-latency-percentile");
        break;
    case O_ACC_PROB:
        if (!cli_parse_double(cmd, fl, a, 0, 1, false, false, &o->s.accuracy_log_probability))
            return CLI_EXIT_USAGE;
        mark(o, "accuracy_log_probability", "--accuracy-log-probability");
        break;
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
    }
    return -1;
}

/* One option as getopt_long returned it: c its code, li its row in run_long (-1 for a
 * short or unknown option), a its value, fl its name for messages. */
static int parse_option(cli_run_opts *o, int c, int li, const char *a, const char *fl,
                        const char *cmd)
{
    char sh[CLI_SHOWN_LEN];
    switch (c) {
    case O_SCENARIO:
        if (!strcmp(cmd, "demo")) {
            fprintf(stderr, "loadgen demo: --scenario: the demo runs all four scenarios; use "
                    "loadgen run --scenario %s\n", cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        return parse_word(o, c, a, cmd);
    case O_MODE: case O_SUT: case O_DIST: case O_CONF: case O_MODEL: case O_HTML: case O_OUT:
        return parse_word(o, c, a, cmd);
    case O_SET:
        return parse_set(o, a, cmd);
    case O_TARGET_QPS: case O_TARGET_LAT: case O_TARGET_PCT: case O_ACC_PROB:
        return parse_real_setting(o, c, a, fl, cmd);
    case O_MEAN_US: case O_SIGMA: case O_DROP: case O_FAIL: case O_DOUBLE: case O_STALL:
    case O_STALL_EVERY: case O_BATCH_COST:
        return parse_real_sut(o, c, a, fl, cmd);
    case O_EXPLAIN: o->explain = true; return -1;
    case O_BUSY: o->syn.busy_wait = true; return -1;
    case O_COALESCE:
        o->s.server_coalesce_queries = true;
        mark(o, "server_coalesce_queries", "--coalesce-queries");
        return -1;
    case O_QUIET: o->quiet = true; o->progress = false; return -1;
    case O_NO_PROGRESS: o->progress = false; return -1;
    case O_NO_SAMPLES: o->write_samples = false; return -1;
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
        return parse_whole(o, c, li, a, fl, cmd);
    }
}

int cli_run_parse(int argc, char **argv, cli_run_opts *o, const char *cmd)
{
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
        int rc = parse_option(o, c, li, optarg, fl, cmd);
        if (rc >= 0)
            return rc;
    }
    if (optind < argc) {
        char sh[CLI_SHOWN_LEN];
        fprintf(stderr, "loadgen %s: unexpected argument '%s' (see loadgen %s --help)\n", cmd,
                cli_shown(argv[optind], sh), cmd);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* ---------------------------------------------------------------- settings */

static bool from_default(const cli_run_opts *o, const char *field)
{
    int i = lg_settings_field_find(field);
    return i < 0 || i >= CLI_MAX_FIELDS || o->origins[i].source == LG_CONF_SRC_DEFAULT;
}

static void set_derived(cli_run_opts *o, const char *field)
{
    int i = lg_settings_field_find(field);
    if (i >= 0 && i < CLI_MAX_FIELDS)
        o->origins[i] = (lg_config_origin){.source = LG_CONF_SRC_CALLER,
                                           .file = "derived from the SUT's capacity"};
}

/* Fills the settings that neither a flag nor a config file gave from what the SUT can
 * do, so that a run with no flags is meaningful: MLPerf's stand-in default of 1 QPS would
 * make Offline and Server runs INVALID at once. */
static void derive_defaults(cli_run_opts *o, bool announce)
{
    bool null = !strcmp(o->sut, "null");
    double batch = o->syn.max_batch;
    double per_batch_ns = (double)o->syn.mean_ns * (1.0 + o->syn.batch_cost * (batch - 1));
    /* The null SUT completes 1e7 to 3e7 samples per second here; Offline is VALID only
     * when the query takes min_duration_ms, so aim high. */
    double capacity = null ? CLI_NULL_SUT_CAPACITY
                      : per_batch_ns > 0 ? o->syn.workers * batch * 1e9 / per_batch_ns
                                         : 1e6;
    if (!null && o->syn.mean_ns > 0) {
        if (from_default(o, "single_stream_expected_latency_ns")) {
            o->s.single_stream_expected_latency_ns = (double)o->syn.mean_ns;
            set_derived(o, "single_stream_expected_latency_ns");
        }
        if (from_default(o, "multi_stream_expected_latency_ns")) {
            o->s.multi_stream_expected_latency_ns =
                (double)o->syn.mean_ns * (double)o->s.multi_stream_samples_per_query;
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
    derive_defaults(o, announce);
    return -1;
}

void cli_run_opts_free(cli_run_opts *o)
{
    lg_config_destroy(o->cfg);
    o->cfg = NULL;
}

int cli_run_parse_only(int argc, char **argv)
{
    cli_run_opts o;
    cli_run_opts_default(&o);
    o.progress = false;
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

