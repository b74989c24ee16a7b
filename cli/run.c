/* cli/run.c: `loadgen run` (one test with a built-in SUT and QSL, flags for every
 * setting that matters) and `loadgen demo` (all four scenarios, a few seconds each). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "report/report.h"
#include "qsl/qsl.h"
#include "report/report.h"
#include "sut/sut.h"

/* ---------------------------------------------------------------- parsing */

const char *cli_shown(const char *text, char *buf)
{
    size_t n = strlen(text ? text : "");
    if (n <= 64) {
        snprintf(buf, CLI_SHOWN_LEN, "%s", text ? text : "");
        return buf;
    }
    /* Cut before a UTF-8 continuation byte so that the message stays valid text. */
    size_t k = 64;
    while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80)
        k--;
    snprintf(buf, CLI_SHOWN_LEN, "%.*s... (%zu chars)", (int)k, text, n);
    return buf;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* True when text is a plain decimal number: [+-] digits [. digits] [e [+-] digits] with
 * a digit before or after the point. strtod alone would also take leading spaces, hex
 * ("0x10"), "inf" and "nan", which the documentation promises to refuse. */
static bool decimal_syntax(const char *text)
{
    const char *p = text;
    size_t digits = 0;
    if (*p == '+' || *p == '-')
        p++;
    for (; is_digit(*p); p++)
        digits++;
    if (*p == '.')
        for (p++; is_digit(*p); p++)
            digits++;
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit(*p))
            return false;
        while (is_digit(*p))
            p++;
    }
    return *p == '\0';
}

/* True for a value written in hexadecimal ("0x10", "-0X1"), which the command line
 * refuses with its own hint: config files take it, flags and --set do not. */
static bool is_hex(const char *text)
{
    const char *p = text + (*text == '+' || *text == '-');
    return p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
}

static const char hex_hint[] = " (the command line takes decimal numbers; hexadecimal "
                               "is read in config files only)";

bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t lo,
                   uint64_t hi, uint64_t *out)
{
    char shown[CLI_SHOWN_LEN];
    const char *p = text ? text : "";
    size_t i = 0;
    while (is_digit(p[i]))
        i++;
    if (!i || p[i]) {
        fprintf(stderr, "loadgen %s: %s: '%s' is not a whole number >= 0%s\n", cmd, flag,
                cli_shown(p, shown), is_hex(p) ? hex_hint : "");
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(p, NULL, 10);
    if (errno == ERANGE) {
        fprintf(stderr, "loadgen %s: %s: '%s' is not a whole number that fits in 64 bits\n",
                cmd, flag, cli_shown(p, shown));
        return false;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "loadgen %s: %s: %llu is out of range [%llu, %llu]\n", cmd, flag,
                v, (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_double(const char *cmd, const char *flag, const char *text, double lo,
                      double hi, bool lo_open, bool hi_open, double *out)
{
    char shown[CLI_SHOWN_LEN];
    const char *p = text ? text : "";
    errno = 0;
    double v = decimal_syntax(p) ? strtod(p, NULL) : NAN;
    if (!decimal_syntax(p) || errno == ERANGE || !isfinite(v)) {
        fprintf(stderr, "loadgen %s: %s: '%s' is not a finite number%s\n", cmd, flag,
                cli_shown(p, shown), is_hex(p) ? hex_hint : "");
        return false;
    }
    if ((lo_open ? v <= lo : v < lo) || (hi_open ? v >= hi : v > hi)) {
        fprintf(stderr, "loadgen %s: %s: %g is out of range %c%g, %g%c\n", cmd, flag, v,
                lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
        return false;
    }
    *out = v;
    return true;
}

/* ---------------------------------------------------------------- options */

#define MAX_FIELDS 64
#define MAX_CONFS 16

typedef struct run_opts {
    lg_settings s;
    lg_settings base;            /* the settings before flags and config files */
    const char *sut;             /* "null" or "synthetic" */
    const char *out;
    bool out_given;
    uint64_t total, performance, sample_size;
    sut_synthetic_config syn;
    bool progress, quiet, write_samples, explain;
    const char *confs[MAX_CONFS];
    int nconf;
    const char *model;
    const char *html;            /* --html FILE: write the run's HTML report there */
    /* Which settings fields the command line set, and with which flag: they override
     * the config files. */
    const char *flag_of[MAX_FIELDS];
    lg_config *cfg;              /* the loaded files (the origins point into it) */
    lg_config_origin origins[MAX_FIELDS];
    uint64_t repeat;             /* --repeat N: repetitions (1 = one plain run) */
} run_opts;

/* Records that a flag set a settings field (by its lg_settings name). */
static void mark(run_opts *o, const char *field, const char *flag)
{
    int i = lg_settings_field_find(field);
    if (i >= 0 && i < MAX_FIELDS)
        o->flag_of[i] = flag;
}

static void run_opts_default(run_opts *o)
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

/* Parses `run` options into o. Returns -1 when all is well, else the exit code. */
static int run_parse(int argc, char **argv, run_opts *o, const char *cmd)
{
    optind = 0; /* 0, not 1: glibc then resets its state fully between parses */
    o->base = o->s;
    opterr = 0;
    int c;
    uint64_t u;
    double d;
    int li;
    while ((li = -1, c = getopt_long(argc, argv, ":h", run_long, &li)) != -1) {
        const char *a = optarg;
        /* The flag as typed (for unknown options), and its name for messages. */
        const char *flag = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        char fl[CLI_SHOWN_LEN], sh[CLI_SHOWN_LEN];
        if (li >= 0)
            snprintf(fl, sizeof fl, "--%s", run_long[li].name);
        else
            cli_shown(flag, fl);
        /* The flag's name, "--name", as a string that outlives the parse (origins). */
        static char names[sizeof run_long / sizeof run_long[0]][40];
        if (li >= 0 && !names[li][0])
            snprintf(names[li], sizeof names[li], "--%s", run_long[li].name);
        const char *fl0 = li >= 0 ? names[li] : "?";
        if (c == O_SCENARIO && !strcmp(cmd, "demo")) {
            fprintf(stderr, "loadgen demo: --scenario: the demo runs all four scenarios; use "
                    "loadgen run --scenario %s\n", cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
        switch (c) {
        case O_SCENARIO:
            if (lg_scenario_parse(a, &o->s.scenario)) {
                fprintf(stderr, "loadgen %s: --scenario: unknown scenario '%s' (use "
                        "SingleStream, MultiStream, Server or Offline)\n", cmd, cli_shown(a, sh));
                return CLI_EXIT_USAGE;
            }
            mark(o, "scenario", "--scenario");
            break;
        case O_CONF:
            if (o->nconf == MAX_CONFS) {
                fprintf(stderr, "loadgen %s: --conf: at most %d files\n", cmd, MAX_CONFS);
                return CLI_EXIT_USAGE;
            }
            o->confs[o->nconf++] = a;
            break;
        case O_MODEL: o->model = a; break;
        case O_EXPLAIN: o->explain = true; break;
        case O_HTML: o->html = a; break;
        case O_SET: {
            char name[128], err[256];
            const char *eq = strchr(a, '=');
            int i;
            if (!eq || (size_t)(eq - a) >= sizeof name) {
                fprintf(stderr, "loadgen %s: --set: expected FIELD=VALUE, got '%s'\n", cmd,
                        cli_shown(a, sh));
                return CLI_EXIT_USAGE;
            }
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            if ((i = lg_settings_field_find(name)) < 0 || i >= MAX_FIELDS) {
                fprintf(stderr, "loadgen %s: --set: unknown setting '%s' (loadgen config "
                        "--explain lists them)\n", cmd, name);
                return CLI_EXIT_USAGE;
            }
            /* Config files take MLPerf's grammar, hexadecimal included; the command line
             * takes decimal numbers only, the same for --set as for the flags. */
            if (is_hex(eq + 1)) {
                fprintf(stderr, "loadgen %s: --set %s: '%s' is hexadecimal%s\n", cmd, name,
                        cli_shown(eq + 1, sh), hex_hint);
                return CLI_EXIT_USAGE;
            }
            if (lg_settings_field_set(&o->s, (size_t)i, eq + 1, err, sizeof err)) {
                fprintf(stderr, "loadgen %s: --set %s: %s\n", cmd, name, err);
                return CLI_EXIT_USAGE;
            }
            o->flag_of[i] = "--set";
            break;
        }
        case O_SUT:
            if (strcmp(a, "null") && strcmp(a, "synthetic")) {
                fprintf(stderr, "loadgen %s: --sut: unknown SUT '%s' (use null or "
                        "synthetic)\n", cmd, cli_shown(a, sh));
                return CLI_EXIT_USAGE;
            }
            o->sut = a;
            break;
        case O_OUT: o->out = a; o->out_given = true; break;
        case O_MODE:
            if (lg_mode_parse(a, &o->s.mode)) {
                fprintf(stderr, "loadgen %s: --mode: unknown mode '%s' (use performance, "
                        "accuracy or submission)\n", cmd, cli_shown(a, sh));
                return CLI_EXIT_USAGE;
            }
            mark(o, "mode", "--mode");
            break;
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
        case O_DIST:
            if (sut_dist_parse(a, &o->syn.dist)) {
                fprintf(stderr, "loadgen %s: --service-dist: unknown distribution '%s' "
                        "(use constant, exponential or lognormal)\n", cmd, cli_shown(a, sh));
                return CLI_EXIT_USAGE;
            }
            break;
        case O_BUSY: o->syn.busy_wait = true; break;
        case O_COALESCE:
            o->s.server_coalesce_queries = true;
            mark(o, "server_coalesce_queries", "--coalesce-queries");
            break;
        case O_QUIET: o->quiet = true; o->progress = false; break;
        case O_NO_PROGRESS: o->progress = false; break;
        case O_NO_SAMPLES: o->write_samples = false; break;
        case O_HELP:
        case 'h':
            run_help(stdout);
            return CLI_EXIT_VALID;
        case ':':
            fprintf(stderr, "loadgen %s: %s needs a value (see loadgen %s --help)\n", cmd,
                    fl, cmd);
            return CLI_EXIT_USAGE;
        case '?':
            if (optopt)
                fprintf(stderr, "loadgen %s: unknown option '-%c' (see loadgen %s --help)\n",
                        cmd, optopt, cmd);
            else
                fprintf(stderr, "loadgen %s: unknown option '%s' (see loadgen %s --help)\n",
                        cmd, fl, cmd);
            return CLI_EXIT_USAGE;
        default: {
            /* The whole-number options. */
            static const struct { int code; uint64_t lo, hi; } lim[] = {
                {O_MIN_DUR, 0, UINT64_C(31536000000)}, {O_MAX_DUR, 0, UINT64_C(31536000000)},
                {O_MIN_Q, 0, UINT64_C(1) << 36}, {O_MAX_Q, 0, UINT64_C(1) << 36},
                {O_SPQ, 1, 1u << 20}, {O_PSC, 1, UINT32_MAX}, {O_TOTAL, 1, UINT32_MAX},
                {O_SAMPLE_SIZE, 0, 1u << 30}, {O_QSL_SEED, 0, UINT64_MAX},
                {O_INDEX_SEED, 0, UINT64_MAX}, {O_SCHED_SEED, 0, UINT64_MAX},
                {O_ACC_SEED, 0, UINT64_MAX}, {O_WORKERS, 1, 256}, {O_BATCH, 1, 65536},
                {O_SUT_SEED, 0, UINT64_MAX}, {O_MAX_ASYNC, 0, UINT64_MAX},
                {O_TIMEOUT, 1, UINT64_C(86400000)}, {O_WARMUP, 0, UINT64_C(86400000)}, {O_REPEAT, 1, 1000},
            };
            size_t i = 0;
            while (i < sizeof lim / sizeof lim[0] && lim[i].code != c)
                i++;
            if (i == sizeof lim / sizeof lim[0]) {
                fprintf(stderr, "loadgen %s: unexpected option '%s'\n", cmd, fl);
                return CLI_EXIT_USAGE;
            }
            if (!cli_parse_u64(cmd, fl, a, lim[i].lo, lim[i].hi, &u))
                return CLI_EXIT_USAGE;
            switch (c) {
            case O_MIN_DUR: o->s.min_duration_ms = u; mark(o, "min_duration_ms", fl0); break;
            case O_MAX_DUR: o->s.max_duration_ms = u; mark(o, "max_duration_ms", fl0); break;
            case O_MIN_Q: o->s.min_query_count = u; mark(o, "min_query_count", fl0); break;
            case O_MAX_Q: o->s.max_query_count = u; mark(o, "max_query_count", fl0); break;
            case O_SPQ:
                o->s.multi_stream_samples_per_query = u;
                mark(o, "multi_stream_samples_per_query", fl0);
                break;
            case O_PSC: o->performance = u; break;
            case O_TOTAL: o->total = u; break;
            case O_SAMPLE_SIZE: o->sample_size = u; break;
            case O_QSL_SEED: o->s.qsl_rng_seed = u; mark(o, "qsl_rng_seed", fl0); break;
            case O_INDEX_SEED:
                o->s.sample_index_rng_seed = u;
                mark(o, "sample_index_rng_seed", fl0);
                break;
            case O_SCHED_SEED:
                o->s.schedule_rng_seed = u;
                mark(o, "schedule_rng_seed", fl0);
                break;
            case O_ACC_SEED:
                o->s.accuracy_log_rng_seed = u;
                mark(o, "accuracy_log_rng_seed", fl0);
                break;
            case O_WORKERS: o->syn.workers = (unsigned)u; break;
            case O_BATCH: o->syn.max_batch = (unsigned)u; break;
            case O_SUT_SEED: o->syn.seed = u; break;
            case O_MAX_ASYNC:
                o->s.server_max_async_queries = u;
                mark(o, "server_max_async_queries", fl0);
                break;
            case O_TIMEOUT:
                o->s.sample_timeout_ns = (int64_t)u * 1000000;
                mark(o, "sample_timeout_ns", fl0);
                break;
            case O_WARMUP:
                o->s.warmup_duration_ms = u;
                mark(o, "warmup_duration_ms", fl0);
                break;
            case O_REPEAT: o->repeat = u; break;
            }
        }
        }
    }
    if (optind < argc) {
        char sh[CLI_SHOWN_LEN];
        fprintf(stderr, "loadgen %s: unexpected argument '%s' (see loadgen %s --help)\n", cmd,
                cli_shown(argv[optind], sh), cmd);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

static bool from_default(const run_opts *o, const char *field)
{
    int i = lg_settings_field_find(field);
    return i < 0 || i >= MAX_FIELDS || o->origins[i].source == LG_CONF_SRC_DEFAULT;
}

static void set_derived(run_opts *o, const char *field)
{
    int i = lg_settings_field_find(field);
    if (i >= 0 && i < MAX_FIELDS)
        o->origins[i] = (lg_config_origin){.source = LG_CONF_SRC_CALLER,
                                           .file = "derived from the SUT's capacity"};
}

/* Fills the settings that neither a flag nor a config file gave from what the SUT can
 * do, so that a run with no flags is meaningful: MLPerf's stand-in default of 1 QPS would
 * make Offline and Server runs INVALID at once. */
static void derive_defaults(run_opts *o, bool announce)
{
    bool null = !strcmp(o->sut, "null");
    double batch = o->syn.max_batch;
    double per_batch_ns = (double)o->syn.mean_ns * (1.0 + o->syn.batch_cost * (batch - 1));
    /* The null SUT completes 1e7 to 3e7 samples per second here; Offline is VALID only
     * when the query takes min_duration_ms, so aim high. */
    double capacity = null ? 3e7
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
        o->s.server_target_qps = null ? 1e5 : 0.5 * capacity;
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
                o->s.scenario == LG_SERVER ? "half the SUT's nominal capacity"
                                           : "the SUT's nominal capacity");
}

/* Builds the run's settings in precedence order: the defaults, then the config files
 * (for --model and the scenario), then every field a flag set, then the derived
 * defaults. Returns -1 when all is well, else an exit code (the message printed). */
static int resolve_settings(run_opts *o, const char *cmd, bool announce)
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
    for (size_t i = 0; i < n && i < MAX_FIELDS; i++) {
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

static void run_opts_free(run_opts *o)
{
    lg_config_destroy(o->cfg);
    o->cfg = NULL;
}

/* ---------------------------------------------------------------- progress */

typedef struct progress_ctx {
    const char *label;
    bool shown;
} progress_ctx;

static void on_progress(void *ctx, const lg_progress *p)
{
    progress_ctx *pc = ctx;
    if (p->elapsed_ns < 1000000000)
        return;
    fprintf(stderr, "\r\033[K  %-12s %-11s %6.1f s  issued %llu  completed %llu%s  %.0f/s",
            pc->label, p->phase, (double)p->elapsed_ns / 1e9,
            (unsigned long long)p->issued_samples, (unsigned long long)p->completed_samples,
            p->failed_samples ? "  (failed)" : "", p->current_qps);
    pc->shown = true;
}

/* ---------------------------------------------------------------- signals */

/* SIGINT, SIGTERM or SIGHUP asks the running test to stop (lg_abort: it stops issuing,
 * waits for outstanding samples up to the sample timeout and writes complete logs
 * marked aborted). SIGHUP is there because a closed terminal or ssh session would
 * otherwise kill the run with nothing written; the message below then goes to a dead
 * terminal, and write() fails with EIO (or EPIPE, SIGPIPE being ignored), harmlessly.
 *
 * A second SIGINT or SIGTERM exits at once. The log being written at that moment has
 * only its temporary name (NAME.tmp.PID): lg_log_discard_partial() removes it, so the
 * folder holds whole files only, and without results.json (written last) it reads as
 * an incomplete run. A second SIGHUP is ignored: a hang-up delivers it twice (from the
 * kernel and from the shell) and nobody is left at the terminal to ask for "now". */
static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    if (g_signals++ == 0) {
        static const char msg[] = "\nloadgen: stopping: finishing outstanding samples and "
                                  "writing the logs (press Ctrl-C again to quit now)\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        lg_abort();
        return;
    }
    if (sig == SIGHUP)
        return;
    lg_log_discard_partial();
    _exit(128 + sig);
}

static void signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Under nohup SIGHUP arrives ignored: the user asked for the run to go on after a
     * hang-up, not to stop, so the disposition is kept. */
    struct sigaction old;
    if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
        sigaction(SIGHUP, &sa, NULL);
}

/* Whether stdout still takes output. Once a reader such as `head -1` has gone, writes
 * fail with EPIPE (SIGPIPE is ignored, see main); the run goes on and writes its files,
 * and the caller stops printing. */
static bool stdout_open(void)
{
    return !ferror(stdout);
}

/* ---------------------------------------------------------------- output folder */

/* About how many bytes the run's files will take: samples.bin holds 32 bytes a sample
 * and the accuracy log about 100 bytes a logged response; the rest is small. The sample
 * count is known ahead for Server and Offline; for the stream scenarios it is bounded
 * below by min_query_count. */
static double estimate_log_bytes(const lg_settings *s, bool write_samples, uint64_t total)
{
    double dur = (double)s->min_duration_ms / 1000.0, n;
    switch (s->scenario) {
    case LG_SERVER:
        n = s->server_target_qps * dur * 1.05;
        break;
    case LG_OFFLINE:
        n = floor(1.1 * dur * s->offline_expected_qps);
        break;
    case LG_MULTI_STREAM:
        n = (double)s->min_query_count * (double)s->multi_stream_samples_per_query;
        break;
    default:
        n = (double)s->min_query_count;
        break;
    }
    if (n < (double)s->min_query_count)
        n = (double)s->min_query_count;
    double bytes = 1048576.0 + (write_samples ? 32.0 * n : 0.0);
    if (s->mode != LG_MODE_PERFORMANCE)
        bytes += 100.0 * (double)total;
    return bytes;
}

/* True for the name of a file a run writes, or its temporary name (NAME.tmp.PID) left
 * by a run killed while writing it. */
static bool is_run_file(const char *name)
{
    static const char *const files[] = {"results.json", "samples.bin", "repetitions.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t n = strlen(files[i]);
        if (!strncmp(name, files[i], n) && (!name[n] || !strncmp(name + n, ".tmp.", 5)))
            return true;
    }
    return !strncmp(name, "mlperf_log_", 11);
}

enum { RUN_NONE, RUN_COMPLETE, RUN_INCOMPLETE };

/* Finds the first entry of dir whose name passes `wanted`; copies it to found. False
 * when there is none or dir cannot be read. */
static bool first_entry(const char *dir, bool (*wanted)(const char *), char *found,
                        size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool seen = false;
    struct dirent *e;
    while (!seen && (e = readdir(d)))
        if ((seen = wanted(e->d_name)))
            snprintf(found, len, "%s", e->d_name);
    closedir(d);
    return seen;
}

/* What dir holds: RUN_COMPLETE when results.json is there (the library writes it last,
 * as the mark of a finished run folder) or repetitions.json (a finished series),
 * RUN_INCOMPLETE when other run files are there without them, else RUN_NONE (also when
 * dir cannot be read: the write test says why). found receives the file's name. */
static int run_in_folder(const char *dir, char *found, size_t len)
{
    static const char *const marks[] = {"results.json", "repetitions.json"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", dir, marks[i]);
        if (access(path, F_OK) == 0) {
            snprintf(found, len, "%s", marks[i]);
            return RUN_COMPLETE;
        }
    }
    return first_entry(dir, is_run_file, found, len) ? RUN_INCOMPLETE : RUN_NONE;
}

/* Makes sure the folder can take this run's files before the run starts: creates it
 * (and its parents), refuses one that already holds a run, checks that a file can be
 * written there and that the disk has room for the logs. Returns -1 when all is well,
 * else an exit code. */
static int prepare_outdir(const char *dir, double need_bytes)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST) {
            fprintf(stderr, "loadgen: cannot create the output folder %s: %s\n", buf,
                    strerror(errno));
            return CLI_EXIT_USAGE;
        }
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST) {
        fprintf(stderr, "loadgen: cannot create the output folder %s: %s\n", dir,
                strerror(errno));
        return CLI_EXIT_USAGE;
    }
    char found[256];
    int held = run_in_folder(dir, found, sizeof found);
    if (held == RUN_COMPLETE) {
        fprintf(stderr, "loadgen: %s already holds a run (%s); choose another --out or "
                "remove it: a run is never overwritten\n", dir, found);
        return CLI_EXIT_USAGE;
    }
    if (held == RUN_INCOMPLETE) {
        fprintf(stderr, "loadgen: %s holds an incomplete run (no results.json, but %s: the "
                "run was interrupted while its files were written); remove it or choose "
                "another --out: a run is never overwritten\n", dir, found);
        return CLI_EXIT_USAGE;
    }
    snprintf(buf, sizeof buf, "%s/.loadgen-write-test.%ld", dir, (long)getpid());
    FILE *f = fopen(buf, "w");
    if (!f || fputs("x", f) < 0 || fclose(f)) {
        fprintf(stderr, "loadgen: cannot write to the output folder %s: %s\n", dir,
                strerror(errno));
        if (f)
            unlink(buf);
        return CLI_EXIT_USAGE;
    }
    unlink(buf);
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0) {
        double avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
        if (avail < need_bytes) {
            fprintf(stderr, "loadgen: the output folder %s has %.1f MB free, but this run's "
                    "logs need about %.1f MB (samples.bin takes 32 bytes a sample): free "
                    "space, choose another --out, or use --no-samples-file\n", dir,
                    avail / 1e6, need_bytes / 1e6);
            return CLI_EXIT_USAGE;
        }
    }
    return -1;
}

/* The longest --out accepted: PATH_MAX less room for what goes under it
 * ("/rep-1000/mlperf_log_accuracy.json.tmp.PID", a demo's "/MultiStream/..."), so that
 * no file name of the run is ever cut short. */
#define OUT_MAX (PATH_MAX - 128)

/* Refuses an output folder whose files could not be named. Returns -1 when dir is
 * short enough, else CLI_EXIT_USAGE. */
static int check_out_length(const char *cmd, const char *dir)
{
    size_t n = strlen(dir);
    if (n <= OUT_MAX)
        return -1;
    char sh[CLI_SHOWN_LEN];
    fprintf(stderr, "loadgen %s: --out: the path is too long (%zu characters; the limit is "
            "%d, PATH_MAX %d less room for the run's file names): %s\n", cmd, n, OUT_MAX,
            PATH_MAX, cli_shown(dir, sh));
    return CLI_EXIT_USAGE;
}

/* The absolute form of path with symbolic links, "." and ".." resolved, into out
 * (PATH_MAX bytes), also for a path whose last components do not exist yet (a run
 * folder about to be created): realpath() of its longest existing prefix, then the
 * rest applied by name. Returns false when it does not fit. */
static bool canon_path(const char *path, char *out)
{
    char work[PATH_MAX];
    size_t len = strlen(path);
    if (!len || len >= sizeof work)
        return false;
    memcpy(work, path, len + 1);
    size_t cut = len;
    for (;;) {
        char keep = work[cut];
        work[cut] = '\0';
        const char *head = cut ? work : path[0] == '/' ? "/" : ".";
        bool ok = realpath(head, out) != NULL;
        work[cut] = keep;
        if (ok)
            break;
        if (cut == 0)
            return false;
        while (cut > 0 && work[cut - 1] == '/')
            cut--;
        while (cut > 0 && work[cut - 1] != '/')
            cut--;
    }
    /* Components after the existing prefix cannot be symbolic links: apply them. */
    char *save = NULL;
    for (char *c = strtok_r(work + cut, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        size_t n = strlen(out);
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            char *slash = strrchr(out, '/');
            if (slash)
                slash[slash == out] = '\0';
            continue;
        }
        if (n + 1 + strlen(c) >= PATH_MAX)
            return false;
        snprintf(out + n, PATH_MAX - n, "%s%s", n > 1 ? "/" : "", c);
    }
    return true;
}

int cli_check_output(const char *cmd, const char *flag, const char *path,
                     const char *const *dirs, size_t ndirs)
{
    char target[PATH_MAX], dir[PATH_MAX], sh[CLI_SHOWN_LEN];
    if (!canon_path(path, target))
        return -1; /* the write itself will say what is wrong with it */
    char *slash = strrchr(target, '/');
    const char *base = slash + 1;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s", slash == target ? 1 : (int)(slash - target),
             target);
    const char *why = NULL;
    for (size_t i = 0; i < ndirs && !why; i++) {
        if (!canon_path(dirs[i], dir))
            continue;
        size_t n = strlen(dir);
        if (!strcmp(target, dir))
            why = "is the run folder itself";
        else if (is_run_file(base) && !strncmp(parent, dir, n) &&
                 (parent[n] == '\0' || parent[n] == '/'))
            why = "is one of the run's own files";
    }
    char mark[64];
    if (!why && is_run_file(base) && run_in_folder(parent, mark, sizeof mark) == RUN_COMPLETE)
        why = "is a run file in a folder that holds a run";
    if (!why)
        return -1;
    fprintf(stderr, "loadgen %s: %s %s: %s; a run is never overwritten: choose another "
            "file\n", cmd, flag, cli_shown(path, sh), why);
    return CLI_EXIT_USAGE;
}

/* ---------------------------------------------------------------- one run */

static void print_ns(char *buf, size_t len, double ns)
{
    if (ns >= 1e9)
        snprintf(buf, len, "%.3g s", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, len, "%.3g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, len, "%.3g us", ns / 1e3);
    else
        snprintf(buf, len, "%.0f ns", ns);
}

static void metric_text(const lg_results *r, char *buf, size_t len)
{
    if (!strcmp(r->metric_unit ? r->metric_unit : "", "ns")) {
        char t[32];
        print_ns(t, sizeof t, r->metric);
        snprintf(buf, len, "%s", t);
    } else {
        snprintf(buf, len, "%.1f /s", r->metric);
    }
}


/* The memory the kernel says can be allocated without swapping (MemAvailable), in
 * bytes, or 0 when unknown. */
static double memory_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024.0;
}

/* Refuses, before anything is allocated, a QSL whose loaded samples would not fit in
 * memory: a failed allocation in the middle of loading would otherwise end the run, or
 * the kernel's OOM killer would. Returns -1 when it fits (or memory is unknown), else
 * CLI_EXIT_USAGE. */
static int check_qsl_memory(const run_opts *o)
{
    uint64_t loaded = o->s.performance_sample_count_override > o->performance
                          ? o->s.performance_sample_count_override
                          : o->performance;
    double need = (double)qsl_synthetic_bytes(loaded, (size_t)o->sample_size);
    double avail = memory_available();
    if (avail <= 0 || need <= avail)
        return -1;
    fprintf(stderr, "loadgen: --sample-size %llu x --performance-sample-count %llu: the "
            "synthetic QSL would hold about %.1f GiB of samples in memory, but only %.1f GiB "
            "are available; lower --sample-size or --performance-sample-count\n",
            (unsigned long long)o->sample_size, (unsigned long long)loaded,
            need / 1073741824.0, avail / 1073741824.0);
    return CLI_EXIT_USAGE;
}

/* Prints why lg_run_test failed with rc: the library's own account (setting, file and
 * system error) when it gave one. */
static void print_test_error(const char *what, int rc)
{
    const char *why = lg_last_error();
    fprintf(stderr, "loadgen: %s: %s\n", what, why && *why ? why : lg_strerror(rc));
}

/* Runs one test with the options; prints a short report unless quiet. Fills *res.
 * Returns -1 on success, else an exit code. */
static int run_one(run_opts *o, const char *label, lg_results *res)
{
    qsl_synthetic *q = NULL;
    sut_synthetic *syn = NULL;
    if (o->performance > o->total) {
        fprintf(stderr, "loadgen: --performance-sample-count %llu must not exceed "
                "--total-sample-count %llu\n", (unsigned long long)o->performance,
                (unsigned long long)o->total);
        return CLI_EXIT_USAGE;
    }
    /* The settings are checked against the QSL's counts before the QSL exists, so that
     * a refused run allocates nothing. */
    lg_qsl qsl = {.total_sample_count = o->total, .performance_sample_count = o->performance};
    char msg[256];
    if (lg_settings_check(&o->s, &qsl, msg, sizeof msg)) {
        fprintf(stderr, "loadgen: invalid setting: %s\n", msg);
        return CLI_EXIT_USAGE;
    }
    int rc = check_qsl_memory(o);
    if (rc >= 0)
        return rc;
    rc = qsl_synthetic_create("synthetic", o->total, o->performance, (size_t)o->sample_size,
                              0, &q);
    if (rc) {
        fprintf(stderr, "loadgen: %s the synthetic QSL's table of %llu samples\n",
                rc == LG_ENOMEM ? "out of memory: could not allocate"
                                : "invalid --total-sample-count or --sample-size for",
                (unsigned long long)o->performance);
        return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    qsl = qsl_synthetic_qsl(q);
    lg_sut sut;
    if (!strcmp(o->sut, "null")) {
        sut = sut_null();
    } else {
        if ((rc = sut_synthetic_create(&o->syn, &syn))) {
            fprintf(stderr, "loadgen: cannot start the synthetic SUT: %s\n", lg_strerror(rc));
            qsl_synthetic_destroy(q);
            return rc == LG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
        }
        sut = sut_synthetic_sut(syn);
    }
    if (o->out && (rc = prepare_outdir(o->out, estimate_log_bytes(&o->s, o->write_samples,
                                                                   o->total))) >= 0) {
        sut_synthetic_destroy(syn);
        qsl_synthetic_destroy(q);
        return rc;
    }
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = o->out;
    log.write_samples = o->write_samples;
    progress_ctx pc = {.label = label};
    if (o->progress) {
        log.progress = on_progress;
        log.progress_ctx = &pc;
    }
    signals_install();
    rc = lg_run_test(&o->s, &sut, &qsl, &log, res);
    if (pc.shown)
        fputs("\r\033[K", stderr);
    int load_error = qsl_synthetic_load_error(q);
    sut_synthetic_destroy(syn);
    qsl_synthetic_destroy(q);
    if (load_error == LG_ENOMEM) {
        /* Whatever the library made of it, the run did not have its samples. */
        fprintf(stderr, "loadgen: out of memory: the synthetic QSL could not allocate its "
                "samples (%llu of %llu bytes each)\n", (unsigned long long)o->performance,
                (unsigned long long)o->sample_size);
        return CLI_EXIT_RUNTIME;
    }
    if (rc == LG_EINVAL) {
        print_test_error("invalid settings", rc);
        return CLI_EXIT_USAGE;
    }
    if (rc == LG_EIO && !res->metric_name) {
        /* Found before the run: nothing was measured. */
        print_test_error("cannot write the logs", rc);
        return CLI_EXIT_USAGE;
    }
    if ((rc == LG_ENOMEM || rc == LG_ESUT) && res->metric_name) {
        /* The run started and ended INVALID: its files hold what was measured. */
        fprintf(stderr, "loadgen: %s: %s (the run is INVALID; %s holds everything it "
                "measured)\n", rc == LG_ENOMEM ? "out of memory" : "the QSL failed",
                *lg_last_error() ? lg_last_error() : lg_strerror(rc), o->out);
        if (!o->quiet) {
            char text[2048];
            lg_results_format(res, text, sizeof text);
            fputs(text, stdout);
        }
        return CLI_EXIT_RUNTIME;
    }
    if (rc == LG_EIO) {
        char why[1024];
        snprintf(why, sizeof why, "%s", lg_last_error());
        fprintf(stderr, "loadgen: could not write the logs to %s: %s (the folder holds an "
                "incomplete run; the results were measured in full%s)\n", o->out,
                *why ? why : lg_strerror(rc), o->quiet ? "" : " and are printed below");
        if (!o->quiet) {
            char text[2048];
            lg_results_format(res, text, sizeof text);
            fputs(text, stdout);
        }
        return CLI_EXIT_RUNTIME;
    }
    if (rc) {
        print_test_error("the test failed", rc);
        return CLI_EXIT_RUNTIME;
    }
    return -1;
}

static void default_out(char *buf, size_t len, const char *what)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, len, "results/%s-%s", stamp, what);
    /* Never reuse a folder: add a counter when two runs start in the same second. */
    struct stat st;
    for (int i = 2; stat(buf, &st) == 0 && i < 1000; i++)
        snprintf(buf, len, "results/%s-%s-%d", stamp, what, i);
}

int cli_run_parse_only(int argc, char **argv)
{
    run_opts o;
    run_opts_default(&o);
    o.progress = false;
    int rc = run_parse(argc, argv, &o, "run");
    if (rc < 0)
        rc = resolve_settings(&o, "run", false);
    run_opts_free(&o);
    if (rc >= 0)
        return rc;
    char msg[256];
    lg_qsl qsl = {.total_sample_count = o.total, .performance_sample_count = o.performance};
    return lg_settings_check(&o.s, &qsl, msg, sizeof msg) ? CLI_EXIT_USAGE : -1;
}

/* ---------------------------------------------------------------- --repeat */

/* The seed of repetition k (k >= 2) derived from the given one: splitmix64 of
 * seed + k * 0x9E3779B97F4A7C15. Repetition 1 keeps the given seeds. */
static uint64_t rep_seed(uint64_t seed, uint64_t k)
{
    uint64_t x = seed + k * UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* How a --repeat series ended: repetitions asked for, finished (summarised), and the
 * folder of the one that an abort cut short ("" when none). */
typedef struct repeat_outcome {
    unsigned requested, finished;
    char aborted_dir[32];
} repeat_outcome;

/* Adds to root/repetitions.json what the report library does not know: how many
 * repetitions were asked for and which were aborted and left out of the statistics
 * (docs/cli.md). Rewritten under a temporary name and renamed, as every run file. */
static void flag_aborted_runs(const char *path, const repeat_outcome *ro)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        fprintf(stderr, "loadgen: %s: %s\n", path, je.text);
        return;
    }
    json_t *ab = json_array();
    if (ro->aborted_dir[0]) {
        json_t *r = json_object();
        json_object_set_new(r, "dir", json_string(ro->aborted_dir));
        json_object_set_new(r, "aborted", json_true());
        json_object_set_new(r, "excluded", json_true());
        json_array_append_new(ab, r);
    }
    json_object_set_new(root, "repetitions_requested", json_integer(ro->requested));
    json_object_set_new(root, "aborted_runs", ab);
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ||
        rename(tmp, path)) {
        fprintf(stderr, "loadgen: %s: cannot write: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    json_decref(root);
}

static void print_repeat_summary(const char *root, const repeat_outcome *ro, bool quiet)
{
    char err[512], path[PATH_MAX + 32];
    rpt_set *set;
    if (!ro->finished) {
        fprintf(stderr, "loadgen: no repetition finished before the stop: nothing to "
                "summarise (the aborted run is in %s/%s)\n", root, ro->aborted_dir);
        return;
    }
    if (rpt_set_load(root, &set, err, sizeof err)) {
        fprintf(stderr, "loadgen: cannot read the repetitions back: %s\n", err);
        return;
    }
    snprintf(path, sizeof path, "%s/repetitions.json", root);
    if (rpt_set_write_summary(set, 0.95, path, err, sizeof err))
        fprintf(stderr, "loadgen: %s\n", err);
    else
        flag_aborted_runs(path, ro);
    rpt_metrics *m;
    if (!quiet && rpt_metrics_from_set(set, 0, &m, err, sizeof err) == 0) {
        char across[160];
        if (ro->finished == ro->requested)
            snprintf(across, sizeof across, "%u repetitions", ro->requested);
        else
            snprintf(across, sizeof across, "%u of %u repetitions, %u aborted and excluded",
                     ro->finished, ro->requested, ro->aborted_dir[0] ? 1u : 0u);
        printf("\nAcross %s (one value per run; CI: 95%% t interval of the mean):\n", across);
        printf("%-13s %13s %13s %13s %7s  %-29s\n", "metric", "mean", "median", "SD", "CV",
               "95% CI of the mean");
        for (size_t i = 0; i < rpt_metrics_count(m); i++) {
            const rpt_metric *mt = rpt_metrics_get(m, i);
            rpt_summary su;
            if (rpt_metric_summarize(mt, 0.95, &su))
                continue;
            char v[5][32];
            double x[5] = {su.mean, su.median, su.sd, su.ci_lo, su.ci_hi};
            for (int k = 0; k < 5; k++) {
                if (!isfinite(x[k]))
                    snprintf(v[k], sizeof v[k], "n/a");
                else if (!strcmp(mt->unit, "ns") && x[k] < 0) {
                    char t[28];
                    print_ns(t, sizeof t, -x[k]);
                    snprintf(v[k], sizeof v[k], "-%s", t);
                } else if (!strcmp(mt->unit, "ns"))
                    print_ns(v[k], sizeof v[k], x[k]);
                else
                    snprintf(v[k], sizeof v[k], "%.1f /s", x[k]);
            }
            char cv[16], ci[72];
            if (isfinite(su.cv))
                snprintf(cv, sizeof cv, "%.2f%%", su.cv * 100);
            else
                snprintf(cv, sizeof cv, "n/a");
            snprintf(ci, sizeof ci, "[%s, %s]", v[3], v[4]);
            printf("%-13s %13s %13s %13s %7s  %-29s\n", mt->name, v[0], v[1], v[2], cv, ci);
        }
        rpt_metrics_destroy(m);
        printf("Runs: %s/rep-1 .. rep-%zu; summary: %s\n", root, rpt_set_count(set), path);
        if (ro->aborted_dir[0])
            printf("Aborted, kept apart: %s/%s\n", root, ro->aborted_dir);
    }
    rpt_set_destroy(set);
}

/* True for what a repetition series leaves in its folder: rep-N folders, finished or
 * aborted, and run files (repetitions.json among them). */
static bool is_repetition_entry(const char *name)
{
    return !strncmp(name, "rep-", 4) || is_run_file(name);
}

/* Runs o->repeat repetitions into root/rep-1 ... and writes root/repetitions.json.
 * A repetition cut short by Ctrl-C (or SIGTERM, SIGHUP) is not a measurement of the
 * same kind as the others: its folder is renamed rep-K-aborted, which the report
 * library does not read as part of the set, it is left out of the statistics, and
 * the remaining repetitions are not run, since the user asked to stop. */
static int run_repeat(run_opts *o, const char *root)
{
    char found[256];
    if (first_entry(root, is_repetition_entry, found, sizeof found)) {
        fprintf(stderr, "loadgen: %s already holds repetitions (%s); choose another --out "
                "or remove it: a run is never overwritten\n", root, found);
        return CLI_EXIT_USAGE;
    }
    int rc = prepare_outdir(root, (double)o->repeat * estimate_log_bytes(&o->s,
                                                                         o->write_samples,
                                                                         o->total));
    if (rc >= 0)
        return rc;
    repeat_outcome ro = {.requested = (unsigned)o->repeat};
    unsigned n = ro.requested;
    bool all_valid = true, quiet = o->quiet;
    if (!quiet)
        printf("loadgen: %u repetitions of %s into %s/\n", n, lg_scenario_name(o->s.scenario),
               root);
    for (unsigned k = 1; k <= n && !g_signals; k++) {
        run_opts r = *o;
        if (k > 1) {
            r.s.schedule_rng_seed = rep_seed(o->s.schedule_rng_seed, k);
            r.s.sample_index_rng_seed = rep_seed(o->s.sample_index_rng_seed, k);
            r.syn.seed = rep_seed(o->syn.seed, k);
        }
        char out[PATH_MAX], label[32];
        snprintf(out, sizeof out, "%s/rep-%u", root, k);
        snprintf(label, sizeof label, "rep %u/%u", k, n);
        r.out = out;
        quiet = quiet || !stdout_open();
        if (!quiet) {
            printf("  rep-%-4u ...", k);
            fflush(stdout);
        }
        lg_results res;
        rc = run_one(&r, label, &res);
        if (rc >= 0)
            return rc;
        quiet = quiet || !stdout_open();
        if (res.aborted) {
            char moved[PATH_MAX + 16];
            snprintf(ro.aborted_dir, sizeof ro.aborted_dir, "rep-%u-aborted", k);
            snprintf(moved, sizeof moved, "%s/%s", root, ro.aborted_dir);
            if (rename(out, moved)) {
                /* Still named rep-K, it would be read as part of the set: say so. */
                fprintf(stderr, "loadgen: cannot rename the aborted %s to %s: %s; it is "
                        "part of the set that reports read\n", out, moved, strerror(errno));
                snprintf(ro.aborted_dir, sizeof ro.aborted_dir, "rep-%u", k);
                ro.finished++;
            }
            if (!quiet)
                printf(" ABORTED (kept in %s, left out of the summary)\n", ro.aborted_dir);
            all_valid = false;
            break;
        }
        ro.finished++;
        all_valid = all_valid && res.valid;
        if (!quiet) {
            char m[48];
            metric_text(&res, m, sizeof m);
            printf(" %-7s %s = %s\n", res.valid ? "VALID" : "INVALID", res.metric_name, m);
        }
    }
    print_repeat_summary(root, &ro, quiet || !stdout_open());
    return all_valid && ro.finished == n ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}

int cli_run(int argc, char **argv)
{
    run_opts o;
    run_opts_default(&o);
    int rc = run_parse(argc, argv, &o, "run");
    if (rc < 0)
        rc = resolve_settings(&o, "run", !o.quiet);
    if (rc < 0 && o.html && !o.write_samples) {
        fprintf(stderr, "loadgen run: --html needs samples.bin for its plots: drop "
                "--no-samples-file\n");
        rc = CLI_EXIT_USAGE;
    }
    if (rc >= 0) {
        run_opts_free(&o);
        return rc;
    }
    char out[PATH_MAX];
    if (!o.out_given) {
        char what[64];
        snprintf(what, sizeof what, "%s%s", lg_scenario_name(o.s.scenario),
                 o.repeat > 1 ? "-repeat" : "");
        default_out(out, sizeof out, what);
        o.out = out;
    }
    if ((rc = check_out_length("run", o.out)) >= 0 ||
        (o.html && (rc = cli_check_output("run", "--html", o.html, &o.out, 1)) >= 0)) {
        run_opts_free(&o);
        return rc;
    }
    if (o.repeat > 1) {
        rc = run_repeat(&o, o.out);
        run_opts_free(&o);
        return rc;
    }
    lg_results r;
    rc = run_one(&o, lg_scenario_name(o.s.scenario), &r);
    run_opts_free(&o);
    if (rc >= 0)
        return rc;
    if (!o.quiet) {
        char text[2048];
        lg_results_format(&r, text, sizeof text);
        fputs(text, stdout);
        printf("Logs: %s/\n", o.out);
    }
    if (o.html) {
        rpt_report_opts ro;
        rpt_report_opts_default(&ro);
        const char *dirs[1] = {o.out};
        char err[512];
        if (rpt_report_write_html(dirs, 1, &ro, o.html, err, sizeof err)) {
            fprintf(stderr, "loadgen: could not write the HTML report %s: %s\n", o.html, err);
            return CLI_EXIT_RUNTIME;
        }
        if (!o.quiet)
            printf("Report: %s\n", o.html);
    }
    return r.valid ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}

/* ---------------------------------------------------------------- config */

static void config_help(FILE *f)
{
    fputs("usage: loadgen config [--explain] [run options]\n"
          "\n"
          "Prints every effective setting of the run these options describe, its unit and\n"
          "where its value came from: the built-in default, a config file line, a flag or\n"
          "the SUT's capacity. Then lists the config lines that do not apply to this run\n"
          "(another model or scenario, or overridden) so a typo'd model name shows.\n"
          "Precedence, later winning: defaults < mlperf.conf < user.conf < flags.\n"
          "\n"
          "Example:\n"
          "  loadgen config --explain --conf mlperf.conf --conf user.conf \\\n"
          "      --model resnet50 --scenario Server --target-qps 900\n"
          "Exit code: 0, or 2 for a bad option or config file.\n",
          f);
}

int cli_config(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            config_help(stdout);
            return CLI_EXIT_VALID;
        }
    run_opts o;
    run_opts_default(&o);
    int rc = run_parse(argc, argv, &o, "config");
    if (rc < 0)
        rc = resolve_settings(&o, "config", false);
    if (rc >= 0) {
        run_opts_free(&o);
        return rc;
    }
    printf("Effective settings for %s%s%s (scenario %s):\n\n", o.model ? "model " : "",
           o.model ? o.model : "no model", "", lg_scenario_name(o.s.scenario));
    printf("%-42s %-22s %-8s %s\n", "setting", "value", "unit", "from");
    size_t n = lg_settings_field_count();
    /* A sample timeout of 0 means "the scenario's default": show the value the test
     * would use, which is what the user needs to know (it can be minutes long). */
    int timeout_field = lg_settings_field_find("sample_timeout_ns");
    lg_qsl qsl = {.total_sample_count = o.total, .performance_sample_count = o.performance};
    int64_t timeout_ns = lg_settings_effective_timeout_ns(&o.s, &qsl);
    for (size_t i = 0; i < n && i < MAX_FIELDS; i++) {
        char v[64], from[512];
        lg_settings_field_format(&o.s, i, v, sizeof v);
        if (o.origins[i].source == LG_CONF_SRC_CALLER && o.origins[i].file &&
            !strncmp(o.origins[i].file, "derived", 7))
            snprintf(from, sizeof from, "%s", o.origins[i].file);
        else
            lg_config_origin_format(&o.origins[i], from, sizeof from);
        if ((int)i == timeout_field && o.s.sample_timeout_ns == 0 && timeout_ns > 0) {
            double sec = (double)timeout_ns / 1e9;
            snprintf(v, sizeof v, "%lld", (long long)timeout_ns);
            snprintf(from, sizeof from, "default for %s (%.3g %s; 0 = automatic)",
                     lg_scenario_name(o.s.scenario), sec < 120 ? sec : sec / 60,
                     sec < 120 ? "s" : "min");
        }
        const char *unit = lg_settings_field_unit(i);
        printf("%-42s %-22s %-8s %s\n", lg_settings_field_name(i), v, unit ? unit : "",
               from);
    }
    if (o.cfg) {
        size_t ne = lg_config_entry_count(o.cfg);
        bool header = false;
        for (size_t i = 0; i < ne; i++) {
            int st = lg_config_entry_status(o.cfg, i, o.model, o.s.scenario);
            if (st == LG_CONF_ENTRY_APPLIED)
                continue;
            lg_config_entry e;
            if (lg_config_entry_get(o.cfg, i, &e))
                continue;
            if (!header) {
                printf("\nConfig lines that do not set anything in this run:\n");
                header = true;
            }
            printf("  %s:%d  %s = %s  (%s)\n", e.file, e.line, e.key, e.value,
                   lg_config_entry_status_name(st));
        }
    }
    run_opts_free(&o);
    return CLI_EXIT_VALID;
}

/* ---------------------------------------------------------------- demo */

static void demo_help(FILE *f)
{
    fputs("usage: loadgen demo [--min-duration-ms N] [--out DIR] [--sut null|synthetic]\n"
          "\n"
          "Runs all four scenarios one after another (SingleStream, MultiStream, Server,\n"
          "Offline), a few seconds each, with the synthetic SUT (4 workers, exponential\n"
          "service times with a 500 us mean) on a synthetic QSL, prints a table and says\n"
          "where the logs are. Accepts every option of `loadgen run` except --scenario.\n"
          "Exit code: 0 when every run is VALID, 1 when one is INVALID.\n",
          f);
}

int cli_demo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            demo_help(stdout);
            return CLI_EXIT_VALID;
        }
    run_opts base;
    run_opts_default(&base);
    base.s.min_duration_ms = 2000;
    base.syn.mean_ns = 500000;
    int rc = run_parse(argc, argv, &base, "demo");
    if (rc >= 0)
        return rc;
    if (base.repeat > 1) {
        fprintf(stderr, "loadgen demo: --repeat: use loadgen run --repeat N\n");
        return CLI_EXIT_USAGE;
    }
    char root[PATH_MAX];
    if (base.out_given && (rc = check_out_length("demo", base.out)) >= 0)
        return rc;
    if (base.out_given)
        snprintf(root, sizeof root, "%s", base.out);
    else
        default_out(root, sizeof root, "demo");
    static const lg_scenario order[] = {LG_SINGLE_STREAM, LG_MULTI_STREAM, LG_SERVER,
                                        LG_OFFLINE};
    lg_results res[4];
    bool all_valid = true;
    if (!base.quiet && !strcmp(base.sut, "null"))
        printf("loadgen demo: null SUT (completes every sample at once, inside the issue "
               "call), %llu ms per scenario\n", (unsigned long long)base.s.min_duration_ms);
    else if (!base.quiet)
        printf("loadgen demo: synthetic SUT, %u workers, %s service times (mean %.0f us), "
               "%llu ms per scenario\n",
               base.syn.workers, sut_dist_name(base.syn.dist),
               (double)base.syn.mean_ns / 1e3, (unsigned long long)base.s.min_duration_ms);
    int ran = 0;
    for (int i = 0; i < 4 && !g_signals; i++) {
        run_opts o = base;
        o.s.scenario = o.base.scenario = order[i];
        o.cfg = NULL;
        if ((rc = resolve_settings(&o, "demo", false)) >= 0)
            return rc;
        char out[PATH_MAX + 16];
        snprintf(out, sizeof out, "%s/%s", root, lg_scenario_name(order[i]));
        o.out = out;
        base.quiet = o.quiet = o.quiet || !stdout_open();
        if (!o.quiet) {
            printf("  running %-12s ...", lg_scenario_name(order[i]));
            fflush(stdout);
        }
        rc = run_one(&o, lg_scenario_name(order[i]), &res[i]);
        run_opts_free(&o);
        if (rc >= 0)
            return rc;
        ran++;
        base.quiet = o.quiet = o.quiet || !stdout_open();
        if (!o.quiet)
            printf(" %s\n", res[i].aborted ? "ABORTED" : res[i].valid ? "VALID" : "INVALID");
        all_valid = all_valid && res[i].valid;
    }
    /* After Ctrl-C the remaining scenarios are not run: the user asked to stop. */
    all_valid = all_valid && ran == 4;
    if (!base.quiet && stdout_open()) {
        printf("\n%-12s  %-34s  %10s  %10s  %10s  %s\n", "scenario", "metric", "p50", "p90",
               "p99", "result");
        for (int i = 0; i < ran; i++) {
            const lg_results *r = &res[i];
            const lg_latency_stats *l =
                r->scenario == LG_MULTI_STREAM ? &r->query_latency : &r->latency;
            char m[48], p50[24], p90[24], p99[24], metric[96];
            metric_text(r, m, sizeof m);
            snprintf(metric, sizeof metric, "%s %s",
                     r->scenario == LG_SERVER    ? "completed"
                     : r->scenario == LG_OFFLINE ? "samples"
                     : r->scenario == LG_SINGLE_STREAM ? "p90 early-stop"
                                                       : "p99 early-stop",
                     m);
            print_ns(p50, sizeof p50, (double)l->p50_ns);
            print_ns(p90, sizeof p90, (double)l->p90_ns);
            print_ns(p99, sizeof p99, (double)l->p99_ns);
            printf("%-12s  %-34s  %10s  %10s  %10s  %s\n", lg_scenario_name(r->scenario),
                   metric, p50, p90, p99, r->valid ? "VALID" : "INVALID");
            for (unsigned f = 1; f <= LG_INVALID_LAST; f <<= 1)
                if (r->invalid_reasons & f)
                    printf("%14s- %s\n", "", lg_invalid_reason_text(f));
        }
        printf("\nLogs: %s/<scenario>/ (mlperf_log_summary.txt, mlperf_log_detail.txt, "
               "results.json, ...)\n", root);
    }
    return all_valid ? CLI_EXIT_VALID : CLI_EXIT_INVALID;
}
