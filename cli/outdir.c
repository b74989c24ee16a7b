/* cli/outdir.c: where runs and reports are written: output folders made ready before a
 * run, their default names, and the checks that no run's files are ever overwritten. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cli/internal.h"

/* Samples a second the run issues at (the rate cli_estimate_samples assumes, without
 * its margins): Server's target, Offline's expected QPS, and for the stream scenarios
 * the expected-latency hint's queries a second times the samples a query. */
static double sample_rate(const lg_settings *s)
{
    switch (s->scenario) {
    case LG_SERVER:
        return s->server_target_qps;
    case LG_OFFLINE:
        return s->offline_expected_qps;
    case LG_MULTI_STREAM:
        return 1e9 / (double)s->multi_stream_expected_latency_ns *
               (double)s->multi_stream_samples_per_query;
    default:
        return 1e9 / (double)s->single_stream_expected_latency_ns;
    }
}

/* About how many samples the run will issue: known ahead for Server and Offline; for
 * the stream scenarios the expected-latency hint over the minimum duration, at least
 * min_query_count queries. A max_duration_ms or max_query_count caps it. An
 * AccuracyOnly run's samples.bin holds its accuracy pass: every sample once. */
double cli_estimate_samples(const lg_settings *s, uint64_t total)
{
    double dur = (double)s->min_duration_ms / 1000.0, n, spq = 1, rate;
    if (s->mode == LG_MODE_ACCURACY && total)
        return (double)total;
    switch (s->scenario) {
    case LG_SERVER:
        rate = s->server_target_qps * 1.05;
        break;
    case LG_OFFLINE:
        rate = 1.1 * s->offline_expected_qps;
        break;
    case LG_MULTI_STREAM:
        spq = (double)s->multi_stream_samples_per_query;
        rate = 1e9 / s->multi_stream_expected_latency_ns;
        break;
    default:
        rate = 1e9 / s->single_stream_expected_latency_ns;
        break;
    }
    n = s->scenario == LG_OFFLINE ? floor(dur * rate) : dur * rate * spq;
    if (n < (double)s->min_query_count * spq)
        n = (double)s->min_query_count * spq;
    if (s->max_duration_ms && s->scenario != LG_OFFLINE &&
        n > (double)s->max_duration_ms / 1000.0 * rate * spq)
        n = (double)s->max_duration_ms / 1000.0 * rate * spq;
    if (s->max_query_count && s->scenario != LG_OFFLINE &&
        n > (double)s->max_query_count * spq)
        n = (double)s->max_query_count * spq;
    return n;
}

/* The bytes of v as an unsigned LEB128 varint, as loadgen/samples.c writes it. */
static unsigned varint_bytes(uint64_t v)
{
    unsigned n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

/* Field bounds of the per-sample figure below, in varint bytes (7 bits a byte) of the
 * zigzag-mapped value (twice the magnitude): 3 bytes hold |x| < 2^20, 4 bytes
 * |x| < 2^27 (134 ms in ns), 5 bytes |x| < 2^34 (17 s); the state, shifted once more
 * for its never-completed bit, holds |status| < 2^12 in 2. */
enum {
    STATE_BYTES = 2,   /* |status| < 4096: errno values, HTTP statuses, LG_E codes */
    LAG_BYTES = 4,     /* issue lag (issued - scheduled) under 134 ms */
    LATENCY_BYTES = 5, /* a latency, or its change from the record before, under 17 s */
    TFLAGS_BYTES = 1,  /* two bits */
    FIRST_BYTES = 5,   /* the change of time to first token, under 17 s */
    SENT_BYTES = 4,    /* send time - issue time, under 134 ms */
    NTOKENS_BYTES = 3, /* under 2^20 tokens a response */
    BLOCK_EXTRA_BYTES = LG_SAMPLES_BLOCK_HEADER_BYTES + 10, /* per block: its header, and
                          its first record's scheduled time, stored whole (at most 10) */
};

/* samples.bin's bytes a sample: a bound, field by field, of what loadgen/samples.c's
 * encoder writes for one record of this run (docs/logs.md, "samples.bin"). The
 * encoder's own worst case, a 10-byte varint for every 64-bit field (40 bytes a record,
 * 71 with the token fields), is above version 1's 32 bytes and far above any real run
 * (docs/logs.md measured 2.9 for Offline, 9.8 for Server, 18.7 with tokens), so each
 * field is counted at the most it takes in an ordinary run (the enum above): a bound
 * of such a run's mean, with a margin over the measured means (e.g. 3.4 bytes for a
 * latency change, 1.3 to 1.7 for a Server issue lag; tests/test_cli.c checks real runs
 * against it); a run whose lags or latencies pass those limits may exceed it. Offline
 * has no schedule (its scheduled and issue times are 0 and left out); the QSL index is
 * below total (5 bytes, 32 bits, when total is 0: not known). The scheduled time is
 * stored as the gap from the record before: the varint bytes of a value v are at most
 * f(v) = 1 + log2(1 + v) / 7, which is concave, so by Jensen's inequality the mean over
 * the records is at most f of the mean value, twice the mean gap between scheduled
 * times (1 / the rate), whatever the arrival pattern. Rounded up to a tenth, the figure
 * the messages print. */
double cli_samples_bytes_per_sample(const lg_settings *s, uint64_t total)
{
    bool tokens = s->use_token_latencies || s->slo_ttft_ns || s->slo_tpot_ns || s->slo_e2e_ns;
    double b = STATE_BYTES + LATENCY_BYTES + (total ? varint_bytes(total - 1) : 5);
    if (s->scenario != LG_OFFLINE) {
        double rate = sample_rate(s), gap_ns = rate > 0 ? 1e9 / rate : 0;
        double sched = rate > 0 && isfinite(gap_ns) ? 1 + log2(1 + 2 * gap_ns) / 7 : 10;
        b += (sched < 10 ? sched : 10) + LAG_BYTES;
    }
    if (tokens)
        b += TFLAGS_BYTES + FIRST_BYTES + SENT_BYTES + NTOKENS_BYTES;
    b += (double)BLOCK_EXTRA_BYTES / LG_SAMPLES_BLOCK_RECORDS;
    return ceil(b * 10 - 1e-9) / 10;
}

/* About how many bytes the run's files will take: samples.bin (above, with its 64-byte
 * header) and the accuracy log, about 100 bytes a logged response; the rest (the
 * summary, the detail log, results.json) is small: 1 MB for them. */
double cli_estimate_log_bytes(const lg_settings *s, bool write_samples, uint64_t total)
{
    double bytes = 1048576.0;
    if (write_samples)
        bytes += LG_SAMPLES_HEADER_BYTES +
                 cli_estimate_samples(s, total) * cli_samples_bytes_per_sample(s, total);
    if (s->mode != LG_MODE_PERFORMANCE)
        bytes += 100.0 * (double)total;
    return bytes;
}

int cli_warn_samples_size(const lg_settings *s, bool write_samples, uint64_t total)
{
    if (!write_samples)
        return -1;
    uint64_t limit = CLI_SAMPLES_WARN_BYTES;
    const char *env = getenv("LOADGEN_SAMPLES_WARN_BYTES");
    if (env && !cli_parse_u64("run", "LOADGEN_SAMPLES_WARN_BYTES (environment)", env, 0,
                              UINT64_MAX, &limit))
        return CLI_EXIT_USAGE;
    double n = cli_estimate_samples(s, total), per = cli_samples_bytes_per_sample(s, total);
    if (n * per <= (double)limit)
        return -1;
    char size[32];
    double b = n * per;
    if (b >= 1e9)
        snprintf(size, sizeof size, "%.1f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(size, sizeof size, "%.0f MB", b / 1e6);
    else
        snprintf(size, sizeof size, "%.0f kB", b / 1e3);
    fprintf(stderr, "loadgen: this run may write up to %s of per-sample data to samples.bin "
                    "(about %.3g samples at up to %.1f bytes each); to write less, run shorter "
                    "(--min-duration-ms) or pass --no-samples-file\n",
            size, n, per);
    return -1;
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
int cli_prepare_outdir(const char *dir, double need_bytes, double samples,
                       double per_sample)
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
            char what[128];
            if (per_sample > 0)
                snprintf(what, sizeof what, "samples.bin counted at up to %.1f bytes a "
                         "sample for about %.3g samples", per_sample, samples);
            else
                snprintf(what, sizeof what, "without samples.bin");
            fprintf(stderr, "loadgen: the output folder %s has %.1f MB free, but this run's "
                    "logs need about %.1f MB (%s): free space%s\n", dir, avail / 1e6,
                    need_bytes / 1e6, what,
                    per_sample > 0 ? ", choose another --out, or use --no-samples-file"
                                   : " or choose another --out");
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
int cli_check_out_length(const char *cmd, const char *dir)
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

void cli_default_out(char *buf, size_t len, const char *what)
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

/* True for what a repetition series leaves in its folder: rep-N folders, finished or
 * aborted, and run files (repetitions.json among them). */
static bool is_repetition_entry(const char *name)
{
    return !strncmp(name, "rep-", 4) || is_run_file(name);
}

bool cli_find_repetitions(const char *dir, char *found, size_t len)
{
    return first_entry(dir, is_repetition_entry, found, len);
}
