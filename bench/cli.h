/* cli.h: shared pieces of the `loadgen` program's subcommands. */
#ifndef BENCH_CLI_H
#define BENCH_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit codes of the program. */
enum {
    CLI_EXIT_VALID = 0,   /* the run is VALID (or the command succeeded) */
    CLI_EXIT_INVALID = 1, /* the run finished but is INVALID */
    CLI_EXIT_USAGE = 2,   /* bad command line or configuration */
    CLI_EXIT_RUNTIME = 3, /* a runtime failure (memory, files, the SUT) */
};

int cli_run(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_config(int argc, char **argv);
/* bench/cli_analysis.c: the analysis of finished runs (docs/reports.md). */
int cli_validate(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_stats(int argc, char **argv);
/* Parses and checks `run` arguments without running anything (for the fuzzer and the
 * tests). Returns -1 when they are valid, else the exit code `run` would return. */
int cli_run_parse_only(int argc, char **argv);

/* Strict number parsing: the whole text must be a number in [lo, hi]. On failure they
 * print "loadgen CMD: --FLAG: ..." to stderr and return false. */
bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t lo,
                   uint64_t hi, uint64_t *out);
bool cli_parse_double(const char *cmd, const char *flag, const char *text, double lo,
                      double hi, bool lo_open, bool hi_open, double *out);

#endif /* BENCH_CLI_H */
