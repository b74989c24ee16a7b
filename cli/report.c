/* cli/report.c: `loadgen report DIR ...`: a Markdown or HTML report of one or more
 * result folders, never written over a run's files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"
#include "report/report.h"

static void report_help(FILE *f)
{
    fputs("usage: loadgen report DIR [DIR ...] [--out FILE] [--html FILE] [--title TEXT]\n"
          "\n"
          "Writes a Markdown performance report of one or more result folders (single runs\n"
          "or repetition sets) with the sections Executive Summary, Methodology (settings,\n"
          "methods, this machine), Detailed Results, Statistical Validation (as `loadgen\n"
          "validate`), Comparison (each folder against the first folder of the same\n"
          "scenario and kind, as `loadgen compare`; only with several folders) and\n"
          "Recommendations.\n"
          "\n"
          "  --out FILE     write the report to FILE (default: standard output)\n"
          "  --html FILE    write the report as one self-contained HTML page with charts\n"
          "                 to FILE (then no Markdown unless --out is given too)\n"
          "  --title TEXT   the report's title (default \"Performance report\")\n"
          "\n"
          "Exit code: 0 written, 2 bad arguments or a folder that is not a result, 3 the\n"
          "file could not be written.\n",
          f);
}

int cli_report(int argc, char **argv)
{
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    const char *out = NULL, *html = NULL, *title = NULL, *val;
    size_t n = 0;
    int r;
    if (!dirs)
        return CLI_EXIT_RUNTIME;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            report_help(stdout);
            free(dirs);
            return CLI_EXIT_VALID;
        } else if ((r = cli_flag_value("report", argc, argv, &i, "--out", &val))) {
            if (r < 0) {
                free(dirs);
                return CLI_EXIT_USAGE;
            }
            out = val;
        } else if ((r = cli_flag_value("report", argc, argv, &i, "--html", &val))) {
            if (r < 0) {
                free(dirs);
                return CLI_EXIT_USAGE;
            }
            html = val;
        } else if ((r = cli_flag_value("report", argc, argv, &i, "--title", &val))) {
            if (r < 0) {
                free(dirs);
                return CLI_EXIT_USAGE;
            }
            title = val;
        } else if (a[0] == '-' && a[1]) {
            free(dirs);
            return cli_unknown_option("report", a);
        } else {
            dirs[n++] = a;
        }
    }
    if (!n) {
        fprintf(stderr, "loadgen report: which results? usage: loadgen report DIR [DIR ...] "
                "[--out FILE]\n");
        free(dirs);
        return CLI_EXIT_USAGE;
    }
    /* Before anything is read or written: a report must never replace a run's files. */
    if ((out && (r = cli_check_output("report", "--out", out, dirs, n)) >= 0) ||
        (html && (r = cli_check_output("report", "--html", html, dirs, n)) >= 0)) {
        free(dirs);
        return r;
    }
    rpt_report_opts o;
    rpt_report_opts_default(&o);
    o.title = title;
    char err[512];
    int rc;
    if (html) {
        rc = rpt_report_write_html(dirs, n, &o, html, err, sizeof err);
        if (rc) {
            fprintf(stderr, "loadgen report: %s\n", err);
            free(dirs);
            return rc == LG_EIO && strstr(err, "cannot write") ? CLI_EXIT_RUNTIME
                                                                 : cli_load_exit(rc);
        }
        fprintf(stderr, "loadgen report: wrote %s\n", html);
        if (!out) {
            free(dirs);
            return CLI_EXIT_VALID;
        }
    }
    rpt_report *rep;
    rc = rpt_report_create(dirs, n, &o, &rep, err, sizeof err);
    free(dirs);
    if (rc) {
        fprintf(stderr, "loadgen report: %s\n", err);
        return cli_load_exit(rc);
    }
    FILE *f = stdout;
    char tmp[4200];
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp", out);
        if (!(f = fopen(tmp, "w"))) {
            fprintf(stderr, "loadgen report: cannot write %s: %s\n", out, strerror(errno));
            rpt_report_destroy(rep);
            return CLI_EXIT_RUNTIME;
        }
    }
    rc = rpt_report_write_markdown(rep, f);
    rpt_report_destroy(rep);
    if (out) {
        if (fclose(f) || rc || rename(tmp, out)) {
            fprintf(stderr, "loadgen report: cannot write %s: %s\n", out, strerror(errno));
            remove(tmp);
            return CLI_EXIT_RUNTIME;
        }
        fprintf(stderr, "loadgen report: wrote %s\n", out);
    } else if (rc) {
        return CLI_EXIT_RUNTIME;
    }
    return CLI_EXIT_VALID;
}
