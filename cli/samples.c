/* cli/samples.c: `loadgen samples DIR --csv [FILE] --npy FILE`: a run's per-sample
 * records (samples.bin, any version) as CSV with a header row, or as a NumPy structured
 * array (.npy format 1.0). report/ reads and checks the run; this file only writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/internal.h"
#include "report/run.h"

static void samples_help(FILE *f)
{
    fputs("usage: loadgen samples DIR --csv [FILE]\n"
          "       loadgen samples DIR --npy FILE\n"
          "\n"
          "Writes the per-sample records of a run (its samples.bin, read and checked against\n"
          "results.json) in issue order, one row per sample, with these columns:\n"
          "  sample        the sample's number in issue order, from 0 (the accuracy log's\n"
          "                seq_id)\n"
          "  query         the query it belongs to: sample / samples per query\n"
          "  qsl_index     the QSL index\n"
          "  scheduled_ns  when it should have been issued, ns from the pass start\n"
          "                (Offline: 0)\n"
          "  issued_ns     when it was issued, ns from the pass start (Offline: 0)\n"
          "  completed_ns  when it completed, ns from the pass start; -1 if it never did\n"
          "  status        the SUT's status, 0 = success\n"
          "and, for a run that recorded tokens (docs/tokens.md), three more:\n"
          "  first_token_ns  when its first token arrived, ns from the pass start; 0 = none\n"
          "  n_tokens        the output tokens the SUT reported; 0 = none\n"
          "  sent_ns         when the SUT sent it, ns from the pass start; 0 = unknown\n"
          "A sample's latency is completed_ns - scheduled_ns; its time to first token\n"
          "first_token_ns - scheduled_ns.\n"
          "\n"
          "  --csv [FILE]  comma-separated values with a header row naming the columns;\n"
          "                to FILE, or to standard output without FILE or with '-'\n"
          "  --npy FILE    a NumPy structured array (.npy format 1.0, little-endian fields\n"
          "                named as the columns: u8 sample, u8 query, u4 qsl_index, i8\n"
          "                times, i4 status, and i8 token columns when there are any);\n"
          "                numpy.load(FILE) reads it. '-': standard output\n"
          "Both may be given (not both to standard output). An existing FILE is replaced;\n"
          "a run's own files are refused.\n"
          "\n"
          "Examples:\n"
          "  loadgen samples /tmp/offline --csv | head\n"
          "  loadgen samples /tmp/server --csv server.csv --npy server.npy\n"
          "\n"
          "Exit code: 0 written, 2 bad arguments or a folder that is not a run (or has no\n"
          "samples.bin), 3 a file could not be written or out of memory.\n",
          f);
}

/* ---------------------------------------------------------------- writers */

typedef struct out {
    FILE *f;
    char buf[1 << 16];
    size_t n;
    int err; /* the errno of the first failed write; nothing more is written after it */
} out;

static void out_flush(out *o)
{
    if (o->n && !o->err && fwrite(o->buf, 1, o->n, o->f) != o->n)
        o->err = errno ? errno : EIO;
    o->n = 0;
}

static void out_bytes(out *o, const void *p, size_t n)
{
    if (o->n + n > sizeof o->buf)
        out_flush(o);
    memcpy(o->buf + o->n, p, n);
    o->n += n;
}

/* Appends v in decimal (the CSV has tens of millions of numbers: printf is the slow
 * part otherwise). */
static char *put_u64(char *p, uint64_t v)
{
    char t[20];
    int k = 0;
    do {
        t[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        *p++ = t[--k];
    return p;
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, 0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

static const char CSV_HEADER[] =
    "sample,query,qsl_index,scheduled_ns,issued_ns,completed_ns,status";
static const char CSV_TOKENS[] = ",first_token_ns,n_tokens,sent_ns";

/* tk: the token columns, or NULL for a run without them. */
static void write_csv(out *o, const rpt_sample *s, const rpt_token_sample *tk, size_t n,
                      uint64_t spq)
{
    out_bytes(o, CSV_HEADER, sizeof CSV_HEADER - 1);
    if (tk)
        out_bytes(o, CSV_TOKENS, sizeof CSV_TOKENS - 1);
    out_bytes(o, "\n", 1);
    for (size_t i = 0; i < n && !o->err; i++) {
        char line[240], *p = line;
        p = put_u64(p, i);
        *p++ = ',';
        p = put_u64(p, i / spq);
        *p++ = ',';
        p = put_u64(p, s[i].index);
        *p++ = ',';
        p = put_i64(p, s[i].scheduled_ns);
        *p++ = ',';
        p = put_i64(p, s[i].issued_ns);
        *p++ = ',';
        p = put_i64(p, s[i].completed_ns);
        *p++ = ',';
        p = put_i64(p, s[i].status);
        if (tk) {
            *p++ = ',';
            p = put_i64(p, tk[i].first_token_ns);
            *p++ = ',';
            p = put_i64(p, tk[i].n_tokens);
            *p++ = ',';
            p = put_i64(p, tk[i].sent_ns);
        }
        *p++ = '\n';
        out_bytes(o, line, (size_t)(p - line));
    }
}

static void le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The .npy header (format 1.0): the magic, version 1.0, a little-endian u16 length, then
 * a Python dict literal padded with spaces and ended by '\n' so that the data starts at
 * a multiple of 64 bytes, as numpy writes it. Returns its length (at most 256). */
#define NPY_DESCR                                                                             \
    "[('sample', '<u8'), ('query', '<u8'), ('qsl_index', '<u4'), ('scheduled_ns', '<i8'), " \
    "('issued_ns', '<i8'), ('completed_ns', '<i8'), ('status', '<i4')"
#define NPY_TOKENS ", ('first_token_ns', '<i8'), ('n_tokens', '<i8'), ('sent_ns', '<i8')"
enum { NPY_ITEM = 48, NPY_TOKEN_ITEM = 24 };

static size_t npy_header(unsigned char *h, uint64_t n, bool tokens)
{
    char dict[320];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': " NPY_DESCR "%s], 'fortran_order': False, 'shape': (%llu,), }",
                       tokens ? NPY_TOKENS : "", (unsigned long long)n);
    size_t total = 10 + (size_t)len + 1;
    total = (total + 63) / 64 * 64;
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    le(h + 8, total - 10, 2);
    memcpy(h + 10, dict, (size_t)len);
    memset(h + 10 + len, ' ', total - 10 - (size_t)len - 1);
    h[total - 1] = '\n';
    return total;
}

static void write_npy(out *o, const rpt_sample *s, const rpt_token_sample *tk, size_t n,
                      uint64_t spq)
{
    unsigned char h[384];
    out_bytes(o, h, npy_header(h, n, tk != NULL));
    for (size_t i = 0; i < n && !o->err; i++) {
        unsigned char r[NPY_ITEM + NPY_TOKEN_ITEM];
        le(r, i, 8);
        le(r + 8, i / spq, 8);
        le(r + 16, s[i].index, 4);
        le(r + 20, (uint64_t)s[i].scheduled_ns, 8);
        le(r + 28, (uint64_t)s[i].issued_ns, 8);
        le(r + 36, (uint64_t)s[i].completed_ns, 8);
        le(r + 44, (uint32_t)s[i].status, 4);
        if (tk) {
            le(r + 48, (uint64_t)tk[i].first_token_ns, 8);
            le(r + 56, (uint64_t)tk[i].n_tokens, 8);
            le(r + 64, (uint64_t)tk[i].sent_ns, 8);
        }
        out_bytes(o, r, tk ? sizeof r : NPY_ITEM);
    }
}

/* Writes one output; path "-" is standard output. Returns -1 or an exit code. */
static int write_one(const char *flag, const char *path, const rpt_run *run, bool npy)
{
    size_t n;
    const rpt_sample *s = rpt_run_samples(run, &n);
    size_t ntk;
    const rpt_token_sample *tk = rpt_run_token_samples(run, &ntk);
    uint64_t spq = rpt_run_get_info(run)->results.samples_per_query;
    out *o = malloc(sizeof *o);
    if (!o) {
        fprintf(stderr, "loadgen samples: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    bool to_stdout = !strcmp(path, "-");
    o->f = to_stdout ? stdout : fopen(path, npy ? "wb" : "w");
    o->n = 0;
    o->err = 0;
    if (!o->f) {
        fprintf(stderr, "loadgen samples: %s %s: cannot create it: %s\n", flag, path,
                strerror(errno));
        free(o);
        return CLI_EXIT_RUNTIME;
    }
    errno = 0;
    if (npy)
        write_npy(o, s, ntk ? tk : NULL, n, spq ? spq : 1);
    else
        write_csv(o, s, ntk ? tk : NULL, n, spq ? spq : 1);
    out_flush(o);
    int err = o->err;
    if (!err && (ferror(o->f) || fflush(o->f)))
        err = errno ? errno : EIO;
    if (!to_stdout && fclose(o->f) && !err)
        err = errno ? errno : EIO;
    free(o);
    /* A reader of standard output that has gone (`| head`) took what it wanted. */
    if (err == EPIPE && to_stdout)
        return -1;
    if (err) {
        fprintf(stderr, "loadgen samples: %s %s: could not write it: %s\n", flag, path,
                strerror(err));
        if (!to_stdout)
            unlink(path);
        return CLI_EXIT_RUNTIME;
    }
    return -1;
}

/* ---------------------------------------------------------------- the command */

int cli_samples(int argc, char **argv)
{
    const char *dir = NULL, *csv = NULL, *npy = NULL, *val;
    bool csv_optional = false; /* --csv took the next argument as its FILE */
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            samples_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--csv")) {
            /* FILE is optional: the next argument is it unless it is another option. */
            csv = "-";
            csv_optional = false;
            if (i + 1 < argc && (argv[i + 1][0] != '-' || !strcmp(argv[i + 1], "-"))) {
                csv = argv[++i];
                csv_optional = true;
            }
        } else if (!strncmp(a, "--csv=", 6)) {
            csv = a + 6;
            csv_optional = false;
            if (!*csv) {
                fprintf(stderr, "loadgen samples: --csv=: empty file name (use '-' for "
                                "standard output)\n");
                return CLI_EXIT_USAGE;
            }
        } else if ((r = cli_flag_value("samples", argc, argv, &i, "--npy", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            npy = val;
            if (!*npy) {
                fprintf(stderr, "loadgen samples: --npy: empty file name (use '-' for "
                                "standard output)\n");
                return CLI_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            return cli_unknown_option("samples", a);
        } else if (!dir) {
            dir = a;
        } else {
            fprintf(stderr, "loadgen samples: one folder at a time (got '%s' and '%s')\n", dir,
                    a);
            return CLI_EXIT_USAGE;
        }
    }
    /* `loadgen samples --csv DIR`: the one argument is the folder, the CSV goes to
     * standard output. */
    if (!dir && csv_optional) {
        dir = csv;
        csv = "-";
    }
    if (!dir) {
        fprintf(stderr, "loadgen samples: which run? usage: loadgen samples DIR --csv [FILE] | "
                        "--npy FILE\n");
        return CLI_EXIT_USAGE;
    }
    if (!csv && !npy) {
        fprintf(stderr, "loadgen samples: say what to write: --csv [FILE] or --npy FILE (see "
                        "loadgen samples --help)\n");
        return CLI_EXIT_USAGE;
    }
    if (csv && npy && !strcmp(csv, "-") && !strcmp(npy, "-")) {
        fprintf(stderr, "loadgen samples: --csv and --npy cannot both go to standard "
                        "output\n");
        return CLI_EXIT_USAGE;
    }
    if (csv && npy && !strcmp(csv, npy)) {
        fprintf(stderr, "loadgen samples: --csv and --npy name the same file '%s'\n", csv);
        return CLI_EXIT_USAGE;
    }
    const char *dirs[1] = {dir};
    if ((csv && strcmp(csv, "-") && (r = cli_check_output("samples", "--csv", csv, dirs, 1)) >= 0) ||
        (npy && strcmp(npy, "-") && (r = cli_check_output("samples", "--npy", npy, dirs, 1)) >= 0))
        return r;
    char err[512];
    rpt_run *run;
    int rc = rpt_run_load(dir, &run, err, sizeof err);
    if (rc) {
        fprintf(stderr, "loadgen samples: %s\n", err);
        return cli_load_exit(rc);
    }
    if (!rpt_run_get_info(run)->has_samples) {
        fprintf(stderr, "loadgen samples: %s: the run has no samples.bin (it was run with "
                        "--no-samples-file): no per-sample records to write\n", dir);
        rpt_run_destroy(run);
        return CLI_EXIT_USAGE;
    }
    r = -1;
    if (csv)
        r = write_one("--csv", csv, run, false);
    if (r < 0 && npy)
        r = write_one("--npy", npy, run, true);
    rpt_run_destroy(run);
    return r < 0 ? CLI_EXIT_VALID : r;
}
