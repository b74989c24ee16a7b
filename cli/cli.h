/* cli/cli.h: the `loadgen` program's subcommands, its exit codes, and the parsing the
 * fuzz target and the tests reach; what only cli/ files share is in cli/internal.h. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes of the program. */
enum {
    CLI_EXIT_VALID = 0,   /* the run is VALID (or the command succeeded) */
    CLI_EXIT_INVALID = 1, /* the run finished but is INVALID */
    CLI_EXIT_USAGE = 2,   /* bad command line or configuration */
    CLI_EXIT_RUNTIME = 3, /* a runtime failure (memory, files, the SUT) */
};

/* The subcommands, one file each (cli/run.c, ...): argv[0] is the subcommand's name;
 * each returns the program's exit code. */
int cli_run(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_config(int argc, char **argv);
/* The analysis of finished runs (docs/reports.md). */
int cli_validate(int argc, char **argv);
int cli_explain(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_stats(int argc, char **argv);
/* A run's per-sample records as CSV or .npy (docs/cli.md). */
int cli_samples(int argc, char **argv);
/* Trains the model SUT's network on Fashion-MNIST (docs/model.md). */
int cli_train(int argc, char **argv);
int cli_accuracy(int argc, char **argv);
/* The test server of serve/ (docs/serve.md). */
int cli_serve(int argc, char **argv);
/* The peak search (cli/peak.c, docs/peak.md). */
int cli_find_peak(int argc, char **argv);
/* Parses and checks `run` arguments without running anything (for the fuzzer and the
 * tests; cli/run_options.c). Returns -1 when they are valid, else the exit code `run`
 * would return. */
int cli_run_parse_only(int argc, char **argv);

/* Strict number parsing: the whole text must be a number in [lo, hi]. On failure they
 * print "loadgen CMD: --FLAG: ..." to stderr and return false. */
bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t lo,
                   uint64_t hi, uint64_t *out);
bool cli_parse_double(const char *cmd, const char *flag, const char *text, double lo,
                      double hi, bool lo_open, bool hi_open, double *out);

/* A value as messages show it: whole up to 64 bytes, else its first 64 bytes (cut at a
 * character boundary), "..." and its length, so that a 100 KB argument does not flood
 * the terminal. buf must hold CLI_SHOWN_LEN bytes; returns buf. */
#define CLI_SHOWN_LEN 112
const char *cli_shown(const char *text, char *buf);

/* Refuses an output file that would overwrite a run: `path` (given with `flag`) names a
 * run file (results.json, samples.bin, repetitions.json, mlperf_log_*) in one of the
 * `ndirs` run folders being written or read (or a folder under one), or in any folder
 * that holds a run, or names one of those folders itself. Paths are compared after
 * resolving symbolic links, "." and "..", also for folders not yet created. Returns -1
 * when the path is acceptable, else CLI_EXIT_USAGE after printing why. */
int cli_check_output(const char *cmd, const char *flag, const char *path,
                     const char *const *dirs, size_t ndirs);

#endif /* CLI_CLI_H */
