/* cli/explain.c: `loadgen explain DIR`: one run explained in plain words (what was run,
 * what each figure means, why it is VALID or INVALID, what to change); report/ does the
 * work (rpt_explain, docs/reports.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"
#include "report/validate.h"

static void explain_help(FILE *f)
{
    fputs("usage: loadgen explain DIR [--format text|md] [--out FILE]\n"
          "\n"
          "Explains one run (a folder written by `loadgen run` or `loadgen find-peak`) in\n"
          "plain words: what was run (scenario, SUT, the settings that matter, duration,\n"
          "counts), what each figure means (the metric, the latency percentiles counted\n"
          "from the scheduled time, issue lag, early stopping, TTFT/TPOT, accuracy), why\n"
          "the run is VALID or INVALID, each reason with its numbers, and what to change,\n"
          "computed from the run's numbers. The words are the course's (docs/course/).\n"
          "\n"
          "  --format F   text (default) or md (Markdown)\n"
          "  --out FILE   write to FILE instead of the standard output\n"
          "\n"
          "Exit code: 0 the text was written, 2 bad arguments or a folder that is not a\n"
          "run (no results.json, or a damaged one), 3 out of memory or an unwritable FILE.\n"
          "\n"
          "Example:\n"
          "  loadgen run --scenario Server --target-qps 300 --min-duration-ms 1000 --out /tmp/s\n"
          "  loadgen explain /tmp/s\n",
          f);
}

int cli_explain(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *val;
    rpt_explain_format format = RPT_EXPLAIN_TEXT;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            explain_help(stdout);
            return CLI_EXIT_VALID;
        } else if ((r = cli_flag_value("explain", argc, argv, &i, "--format", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (!strcmp(val, "text")) {
                format = RPT_EXPLAIN_TEXT;
            } else if (!strcmp(val, "md") || !strcmp(val, "markdown")) {
                format = RPT_EXPLAIN_MARKDOWN;
            } else {
                char sh[CLI_SHOWN_LEN];
                fprintf(stderr, "loadgen explain: --format: '%s' is not text or md\n",
                        cli_shown(val, sh));
                return CLI_EXIT_USAGE;
            }
        } else if ((r = cli_flag_value("explain", argc, argv, &i, "--out", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            out = val;
        } else if (a[0] == '-' && a[1]) {
            return cli_unknown_option("explain", a);
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr, "loadgen explain: one folder at a time (got '%s' and '%s')\n",
                    dir, a);
            return CLI_EXIT_USAGE;
        }
    }
    if (!dir) {
        fprintf(stderr, "loadgen explain: which run? usage: loadgen explain DIR "
                        "[--format text|md] [--out FILE]\n");
        return CLI_EXIT_USAGE;
    }
    if (out && (r = cli_check_output("explain", "--out", out, &dir, 1)) >= 0)
        return r;
    char err[512];
    char *text;
    int rc = rpt_explain(dir, format, &text, err, sizeof err);
    if (rc) {
        fprintf(stderr, "loadgen explain: %s\n", err);
        return cli_load_exit(rc);
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "loadgen explain: --out: cannot write '%s': %s\n", out,
                strerror(errno));
        free(text);
        return CLI_EXIT_RUNTIME;
    }
    bool ok = fputs(text, f) >= 0;
    ok = (out ? fclose(f) == 0 : fflush(f) == 0) && ok;
    free(text);
    if (!ok && out) {
        fprintf(stderr, "loadgen explain: --out: cannot write '%s': %s\n", out,
                strerror(errno));
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_VALID;
}
