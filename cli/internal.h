/* cli/internal.h: what the files of the `loadgen` program share and nothing outside cli/
 * uses: the options of run, config and demo, one test's execution, output folders,
 * signals, the analysis commands' flag helpers and number formatting. */
#ifndef CLI_INTERNAL_H
#define CLI_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "net/kserve.h"
#include "net/net.h"
#include "net/openai.h"
#include "sut/plugin.h"
#include "sut/sut.h"

/* ---------------------------------------------------------------- flags.c */

/* True for "--help" and "-h"; cli_any_help: for any of argv[1..argc-1]. */
bool cli_is_help(const char *arg);
bool cli_any_help(int argc, char **argv);

/* True (message printed: the flag named, exit code 2 is the caller's) when val, given
 * to flag, starts with "--": it is then the next flag, not a value ("--out --quiet").
 * A single dash ("-1") is left to the value's own parser. */
bool cli_value_refused(const char *cmd, const char *flag, const char *val);

/* Matches argv[*i] against "--name" or "--name=VALUE"; on a match stores the value (the
 * next argument, or the text after '=') in *val and advances *i. Returns 1 on a match,
 * 0 when argv[*i] is another flag, -1 (message printed) when the value is missing or
 * starts with "--" (cli_value_refused). */
int cli_flag_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                   const char **val);

/* The bootstrap's --resamples N (100 .. 1e7) and --seed N (0 .. 2^32 - 1), shared by
 * validate and compare. Returns as cli_flag_value: 1 when argv[*i] was one of them and
 * its value is stored, 0 for another flag, -1 (message printed) for a bad value. */
int cli_bootstrap_flag(const char *cmd, int argc, char **argv, int *i, size_t *resamples,
                       unsigned long *seed);

/* Prints "loadgen CMD: unknown option 'ARG' ..." and returns CLI_EXIT_USAGE. */
int cli_unknown_option(const char *cmd, const char *arg);

/* Exit code for a library error while loading inputs: bad or missing input is a usage
 * error (2), running out of memory a runtime error (3). */
static inline int cli_load_exit(int rc)
{
    return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
}

/* ---------------------------------------------------------------- run_options.c */

#define CLI_MAX_FIELDS 64
#define CLI_MAX_CONFS 16

/* The most connections a network SUT's pool grows to unless --max-connections says. */
#define CLI_NET_MAX_CONNECTIONS 1024u
/* The most header values given by --header and --api-key that are secrets. */
#define CLI_NET_MAX_SECRETS 16

/* --sut kserve's and --sut openai's options (cli/net_options.c, docs/http.md). */
typedef struct cli_net_opts {
    bool given;                  /* any network flag was given */
    bool kserve_given;           /* a flag only --sut kserve takes */
    bool openai_given;           /* a flag only --sut openai takes */
    int api;                     /* --api: net_oai_endpoint */
    bool stream;                 /* --stream */
    uint64_t max_tokens;         /* --max-tokens: for samples without their own; 0 none */
    const char *url_text;        /* --url as typed */
    net_url url;                 /* ... parsed */
    const char *model_name, *model_version, *input_name, *dataset;
    unsigned ndim;               /* --input-shape; 0: not given */
    uint64_t shape[NET_KSERVE_MAX_DIMS];
    int dtype;                   /* --input-datatype (net_dtype); -1: not given */
    bool binary;
    unsigned connections, io_threads, pipeline;
    unsigned max_connections;    /* --max-connections; 0: cli_net_max_connections's */
    double ready_timeout_s;
    double request_timeout_ms;   /* 0: derived from the run's sample timeout */
    uint64_t max_response_bytes;
    double busy_poll_us;
    /* --header, --api-key, --api-key-env: header lines for every request ("Name: value\r\n"
     * each, net_url.headers), a Host header's value, and the secrets among the values
     * (kept out of the recorded command line). */
    char headers[NET_URL_HEADERS_MAX];
    size_t headers_len;
    char host_header[300];
    bool authorization;          /* an Authorization header is among them */
    const char *secrets[CLI_NET_MAX_SECRETS];
    unsigned nsecrets;
} cli_net_opts;

/* --sut model's options (cli/model_options.c, docs/model.md). */
typedef struct cli_model_opts {
    bool given;                  /* a flag only --sut model takes was given */
    const char *weights;         /* --weights: a name (mlp, mlp-int8) or a file */
    const char *dataset_dir;     /* --dataset-dir; NULL: MODEL_DATASET_DIR */
    unsigned blas_threads;       /* --blas-threads (default 1) */
    bool measure;                /* derive the capacity by timing the network (false:
                                    a nominal figure; the parse-only path) */
    double capacity;             /* measured samples/s of the pool, 0 = not yet */
    double latency_ns;           /* measured inference of one sample */
} cli_model_opts;

/* --sut plugin:PATH's options (cli/plugin.c, docs/plugins.md). */
#define CLI_MAX_SUT_OPTS 64
struct cli_plugin_info;
typedef struct cli_plugin_opts {
    const char *raw[CLI_MAX_SUT_OPTS]; /* each --sut-opt KEY=VALUE as typed, checked */
    size_t n;
    /* The plugin loaded for the run under way, for its provenance; NULL otherwise. */
    const struct cli_plugin_info *loaded;
} cli_plugin_opts;

/* The options of `loadgen run`, which config and demo take too. */
/* The arrival pattern's lists (cli/arrival.c): --stages and --trace. */
#define CLI_MAX_STAGES 64
typedef struct cli_arrival_opts {
    lg_arrival_stage stages[CLI_MAX_STAGES];
    size_t nstages;
    const char *stages_text;  /* --stages as given */
    const char *trace_path;   /* --trace FILE */
    const char *trace_format; /* --trace-format NAME, or NULL: from the file name */
    lg_trace trace;           /* read once, by cli_arrival_apply */
    bool trace_loaded;
} cli_arrival_opts;

typedef struct cli_run_opts {
    lg_settings s;
    lg_settings base;            /* the settings before flags and config files */
    const char *sut;             /* "model" (the default), "null", "synthetic", "kserve",
                                    "openai" or "plugin:PATH" */
    const char *out;
    bool out_given;
    uint64_t total, performance, sample_size;
    sut_synthetic_config syn;
    bool progress, quiet, write_samples, explain;
    const char *confs[CLI_MAX_CONFS];
    int nconf;
    const char *model;
    const char *audit_conf;      /* --audit-config FILE, or NULL (audit.config if any) */
    const char *audit_applied;   /* the audit config applied to s, or NULL */
    const char *html;            /* --html FILE: write the run's HTML report there */
    /* Which settings fields the command line set, and with which flag: they override
     * the config files. */
    const char *flag_of[CLI_MAX_FIELDS];
    lg_config *cfg;              /* the loaded files (the origins point into it) */
    lg_config_origin origins[CLI_MAX_FIELDS];
    uint64_t repeat;             /* --repeat N: repetitions (1 = one plain run) */
    bool distributed;            /* --distributed: one run over every MPI rank */
    uint64_t dist_timeout_ms;    /* --distributed-timeout-ms */
    uint64_t dist_lead_ms;       /* --distributed-start-lead-ms */
    bool total_given;            /* --total-sample-count was given */
    bool performance_given;      /* --performance-sample-count was given */
    bool workers_given, batch_given; /* --workers, --batch were given */
    bool sample_size_given;      /* --sample-size was given */
    int synthetic_flag;          /* a flag only the synthetic SUT takes (its code), 0 */
    const char *synthetic_flag_name;
    cli_net_opts net;
    cli_model_opts mdl;
    cli_plugin_opts plugin;
    cli_arrival_opts arr;
    char batch_why[192];         /* the origin of a derived issue_batch_ns */
    int argc;                    /* the command line, for the provenance */
    char **argv;
} cli_run_opts;

/* ---------------------------------------------------------------- arrival.c */

/* --stages "DURATION:RATE,...": k6's stages (durations with a unit: ms, s, m, h). -1, or
 * an exit code (the message printed). */
int cli_arrival_parse_stages(cli_run_opts *o, const char *a, const char *cmd);
/* After the settings are resolved: reads --trace (once), points the settings at the
 * stages and the trace (--stages and --trace choose their pattern when --arrival was not
 * given), sizes the synthetic QSL to the trace (a row per sample, all loaded) and gives
 * the synthetic SUT the trace's lengths. -1, or an exit code (the message printed). */
int cli_arrival_apply(cli_run_opts *o, const char *cmd);
void cli_arrival_free(cli_run_opts *o);

/* ---------------------------------------------------------------- net_options.c */

/* getopt_long codes of the network flags start here. */
#define CLI_NET_OPT_BASE 2048
#define CLI_NET_OPT_END (CLI_NET_OPT_BASE + 64)

/* The network flags, for getopt_long's table (*n of them). */
const struct option *cli_net_options(size_t *n);
void cli_net_opts_default(cli_net_opts *n);
/* Their help paragraph of `run --help`. */
void cli_net_help(FILE *f);
/* One network flag (c its code, a its value, fl its name): -1, or an exit code (the
 * message printed). */
int cli_net_parse(struct cli_run_opts *o, int c, const char *a, const char *fl,
                  const char *cmd);
/* After every flag: what --sut kserve needs, and network flags without it. -1 or an
 * exit code (the message printed). */
int cli_net_check(const struct cli_run_opts *o, const char *cmd);
/* The pool's cap: --max-connections; else --connections in Offline (its samples come at
 * once and wait for a connection by design), and in the other scenarios the largest of
 * CLI_NET_MAX_CONNECTIONS, --connections and a closed loop's outstanding samples
 * (--concurrency, times MultiStream's samples per query; at most 65536). */
unsigned cli_net_max_connections(const struct cli_run_opts *o);
/* True for a network SUT (--sut kserve or openai). */
bool cli_net_sut(const struct cli_run_opts *o);

/* ---------------------------------------------------------------- model_options.c */

/* getopt_long codes of the model flags start here. */
#define CLI_MODEL_OPT_BASE 3072
#define CLI_MODEL_OPT_END (CLI_MODEL_OPT_BASE + 16)

/* The model SUT's defaults: workers (the online cores, at most this), batch. */
#define CLI_MODEL_MAX_DEFAULT_WORKERS 8
#define CLI_MODEL_DEFAULT_BATCH 64
/* What Offline and Server assume of the model SUT when its capacity is not measured
 * (the parse-only path): samples per second, and one sample's latency. */
#define CLI_MODEL_NOMINAL_CAPACITY 5e4
#define CLI_MODEL_NOMINAL_LATENCY_NS 1e5

const struct option *cli_model_options(size_t *n);
void cli_model_opts_default(cli_model_opts *m);
/* Their help paragraph of `run --help`. */
void cli_model_help(FILE *f);
/* One model flag (c its code, a its value, fl its name): -1, or an exit code. */
int cli_model_parse(struct cli_run_opts *o, int c, const char *a, const char *fl,
                    const char *cmd);
/* After every flag: model flags without --sut model, synthetic flags with it, and the
 * model's defaults of the QSL's counts, workers and batch. -1 or an exit code. */
int cli_model_check(struct cli_run_opts *o, const char *cmd);
bool cli_model_sut(const struct cli_run_opts *o);
/* The weights file --weights names: a file as given, or NAME.lgw in the nearest
 * models/ folder above the program, then in its share/loadgen/models, then
 * $LOADGEN_MODELS_DIR first when set. Returns false with the message in err. */
bool cli_model_weights_path(const struct cli_run_opts *o, char *path, size_t len, char *err,
                            size_t errlen);
/* The pool's capacity (samples/s) and one sample's latency: measured once by timing the
 * network on this machine (then kept in o->mdl), or the nominal figures when
 * o->mdl.measure is false or the weights cannot be read. */
void cli_model_capacity(struct cli_run_opts *o, double *samples_per_s, double *latency_ns);

/* ---------------------------------------------------------------- model_run.c */

/* The model SUT made ready for one test: weights, dataset, QSL, worker pool. */
typedef struct cli_model_run cli_model_run;
/* Returns -1 with *out set, else an exit code (the message printed). */
int cli_model_prepare(struct cli_run_opts *o, cli_model_run **out);
lg_sut cli_model_run_sut(cli_model_run *m);
lg_qsl cli_model_run_qsl(cli_model_run *m);
/* After lg_run_test: the QSL's memory and the answers' top-1 added to results.json as
 * "model", and (unless quiet) a line of them for cli_model_report. */
void cli_model_end(cli_model_run *m, const struct cli_run_opts *o, const lg_results *res,
                   int rc);
/* The last run's "model:" line ("" when none), for cli_run to print after the results. */
const char *cli_model_report(void);

/* ---------------------------------------------------------------- accuracy.c */

struct json_t;
/* Sets key to obj (referenced) in DIR/results.json, replacing the file atomically.
 * 0 done, 1 no results.json there (nothing written), -1 a write failed (printed). */
int cli_results_set(const char *dir, const char *key, struct json_t *obj);
/* Scores DIR's accuracy log against the test labels (dataset_dir NULL: the default),
 * adds "accuracy" to its results.json and puts a one-line summary in line. 0, or an
 * exit code after printing why. */
int cli_accuracy_after_run(const char *dir, const char *dataset_dir, char *line,
                           size_t len);
/* Why the QSL's last load failed, or "". */
const char *cli_model_load_error(const cli_model_run *m);
void cli_model_destroy(cli_model_run *m);

/* ---------------------------------------------------------------- provenance.c */

#define CLI_MAX_NOTES 64

/* What results.json records of how a run was made (lg_log_settings.notes). */
typedef struct cli_provenance {
    lg_note notes[CLI_MAX_NOTES];
    size_t n, used;
    char command_line[4096];
    char text[8192]; /* the notes' values */
} cli_provenance;

/* Fills p from the options: the command line, the program's build, the SUT's and the
 * QSL's parameters, the model and each config file with its SHA-256. */
void cli_provenance_make(cli_provenance *p, const struct cli_run_opts *o);

/* The null SUT's nominal capacity in samples per second (docs/cli.md states it): what
 * Offline expects from it when no --target-qps is given. Its Server default is a fixed
 * rate instead, far below the capacity: one issue thread, not the SUT, limits a Server
 * run of the null SUT, and MLPerf's schedule cannot be kept at millions of queries/s. */
#define CLI_NULL_SUT_CAPACITY 3e7
#define CLI_NULL_SUT_SERVER_QPS 1e5

/* The defaults of `loadgen run` (progress on when stderr is a terminal). */
void cli_run_opts_default(cli_run_opts *o);
/* Parses `run` options (given to command cmd) into o. Returns -1 when all is well, else
 * the exit code (the message printed; --help prints the help and returns 0). */
int cli_run_parse(int argc, char **argv, cli_run_opts *o, const char *cmd);
/* Builds o->s in precedence order: the defaults, then the config files (for --model and
 * the scenario), then every field a flag set, then the defaults derived from the SUT's
 * capacity (announced on stderr when `announce`). Returns -1 or an exit code. */
int cli_resolve_settings(cli_run_opts *o, const char *cmd, bool announce);
/* Frees the loaded config files; o may be parsed and resolved again afterwards. */
void cli_run_opts_free(cli_run_opts *o);

/* ---------------------------------------------------------------- runner.c */

/* Runs one test with the options; prints a short report unless quiet. label names the
 * run on the progress line. Fills *res. Returns -1 on success, else an exit code. */
int cli_run_one(cli_run_opts *o, const char *label, lg_results *res);
/* ---------------------------------------------------------------- distributed.c */

/* `loadgen run --distributed` on every MPI rank, after the flags were parsed
 * (docs/distributed.md). Returns the exit code. */
int cli_run_distributed(cli_run_opts *o);

/* cli_run_one with fn in place of lg_run_test (same arguments and return; ctx passed
 * back): the SUT and QSL are made and freed as for a run (`loadgen find-peak`). */
typedef int (*cli_test_fn)(void *ctx, const lg_settings *s, const lg_sut *sut,
                           const lg_qsl *qsl, const lg_log_settings *log, lg_results *res);
int cli_run_one_with(cli_run_opts *o, const char *label, cli_test_fn fn, void *ctx,
                     lg_results *res);
/* Prints lg_results_format's summary of res on stdout (nothing when o->quiet), with a
 * Server run's latency bound beside its target percentile. */
void cli_print_results(const cli_run_opts *o, const lg_results *res);

/* ---------------------------------------------------------------- net_run.c */

/* A network SUT made ready for one test: the server and model answered ready, the
 * dataset opened, the client connected. */
typedef struct cli_net_run cli_net_run;
/* Readiness (exit 3 when the server or the model is not ready in time), then the SUT.
 * Returns -1 with *out set, else an exit code (the message printed). */
int cli_net_prepare(struct cli_run_opts *o, cli_net_run **out);
lg_sut cli_net_run_sut(cli_net_run *n);
lg_qsl cli_net_run_qsl(cli_net_run *n);
/* Around lg_run_test: the client's counters from zero; then its health computed,
 * printed (the warnings on stderr) and added to results.json as "client". */
void cli_net_begin(cli_net_run *n);
void cli_net_end(cli_net_run *n, const struct cli_run_opts *o, const lg_results *res,
                 int rc);
/* Why the QSL's last load failed, or "". */
const char *cli_net_load_error(const cli_net_run *n);
void cli_net_destroy(cli_net_run *n);
/* The last run's client section as text ("" when none), for cli_run to print after the
 * results. */
const char *cli_net_report(void);

/* ---------------------------------------------------------------- plugin.c */

/* A plugin SUT loaded for one test (sut/plugin.h): the library, its table, its
 * instance, and its QSL or the program's. */
typedef struct cli_plugin_run cli_plugin_run;

/* Room for a resolved path: Linux's PATH_MAX, which <limits.h> defines only outside
 * strict C11 (cli/plugin.c checks that the two agree). */
#define CLI_PATH_MAX 4096

/* What results.json records of the plugin that ran. */
typedef struct cli_plugin_info {
    char path[CLI_PATH_MAX]; /* the library's path, resolved (realpath) */
    const char *name;        /* the table's name and version ("" when NULL) */
    const char *version;
    unsigned abi_version;
    char options[4096];      /* the --sut-opt options, "KEY=VALUE KEY=VALUE" */
    char parameters[1024];   /* describe()'s line, or "" */
    bool own_qsl;            /* it serves its own QSL */
} cli_plugin_info;

/* True for --sut plugin:PATH. */
bool cli_plugin_sut(const struct cli_run_opts *o);
/* The path of --sut plugin:PATH as given, or NULL for another SUT. */
const char *cli_plugin_path(const struct cli_run_opts *o);
/* One --sut-opt KEY=VALUE: -1, or CLI_EXIT_USAGE (the message printed). */
int cli_plugin_parse_opt(struct cli_run_opts *o, const char *a, const char *cmd);
/* After every flag: --sut-opt without a plugin, an empty path. -1 or an exit code. */
int cli_plugin_check(const struct cli_run_opts *o, const char *cmd);
/* Loads the library, checks its table and creates its instance with the options. The
 * program's QSL, when the plugin has none, is attached after (cli_plugin_use_qsl).
 * Returns -1 with *out set, else an exit code (the message, naming the path and the
 * cause, printed): 2 for a library that cannot be a plugin or options the plugin
 * refused, 3 for a plugin that cannot start. */
int cli_plugin_prepare(struct cli_run_opts *o, cli_plugin_run **out);
lg_sut cli_plugin_run_sut(const cli_plugin_run *p);
/* The plugin's own QSL in *qsl, true; or false when it uses the program's. */
bool cli_plugin_run_qsl(const cli_plugin_run *p, lg_qsl *qsl);
/* The program's synthetic QSL, whose bytes lg_plugin_host.sample_data gives. */
struct qsl_synthetic;
void cli_plugin_use_qsl(cli_plugin_run *p, const struct qsl_synthetic *q);
const cli_plugin_info *cli_plugin_run_info(const cli_plugin_run *p);
/* destroy(), then the library unloaded, unless the plugin left threads running (then
 * it stays loaded, with a warning: its code may still run). Accepts NULL. */
void cli_plugin_destroy(cli_plugin_run *p);

/* ---------------------------------------------------------------- outdir.c */

/* About how many samples a run will issue (total: the QSL's sample count, 0 when not
 * known), and at most how many bytes each takes in samples.bin: a bound, field by
 * field, of what version 3's encoder writes for a record of this run (outdir.c says
 * how it is derived), rounded up to a tenth of a byte. */
double cli_estimate_samples(const lg_settings *s, uint64_t total);
double cli_samples_bytes_per_sample(const lg_settings *s, uint64_t total);
/* About how many bytes a run's files will take (samples.bin, the accuracy log). */
double cli_estimate_log_bytes(const lg_settings *s, bool write_samples, uint64_t total);
/* Above this estimate of samples.bin's size a run says so on stderr before it starts
 * (the environment's LOADGEN_SAMPLES_WARN_BYTES overrides it; docs/cli.md). */
#define CLI_SAMPLES_WARN_BYTES (UINT64_C(1) << 30)
/* Prints the one-line warning when the run's samples.bin would be larger than the
 * limit. Returns -1, or CLI_EXIT_USAGE for a malformed LOADGEN_SAMPLES_WARN_BYTES (the
 * message printed). */
int cli_warn_samples_size(const lg_settings *s, bool write_samples, uint64_t total);
/* Creates dir (and its parents), refuses one that already holds a run, checks that it
 * can be written and has room for need_bytes. samples and per_sample (bytes a sample)
 * are the samples.bin part of the estimate, which the refusal states; per_sample 0:
 * no samples.bin. Returns -1 when all is well, else an exit code (the message
 * printed). */
int cli_prepare_outdir(const char *dir, double need_bytes, double samples,
                       double per_sample);
/* Refuses an --out too long for the run's file names: -1 when short enough, else
 * CLI_EXIT_USAGE (the message printed). */
int cli_check_out_length(const char *cmd, const char *dir);
/* The default output folder, results/<time>-<what>, never an existing one. */
void cli_default_out(char *buf, size_t len, const char *what);
/* True when dir holds what a repetition series leaves (rep-N folders or run files);
 * copies the first such name to found. */
bool cli_find_repetitions(const char *dir, char *found, size_t len);

/* ---------------------------------------------------------------- signals.c */

/* Makes SIGINT, SIGTERM and SIGHUP stop the running test (lg_abort), a second SIGINT or
 * SIGTERM exit at once. */
void cli_signals_install(void);
/* True once the user asked to stop: later runs of a series or a demo are not started. */
bool cli_stop_requested(void);
/* Whether stdout still takes output (false once a reader such as `head -1` is gone). */
bool cli_stdout_open(void);

/* ---------------------------------------------------------------- format.c */

/* A run's metric as the run commands print it: "1.235 ms" (lg_format_ns) or
 * "456.7 /s" (rpt_format_value), or "n/a (needs N)" when early stopping was not met. */
void cli_metric_text(const lg_results *r, char *buf, size_t len);

#endif /* CLI_INTERNAL_H */
