/*
 * test_cli.c - the `loadgen` program (cli/: main.c, run.c, run_options.c, config.c, demo.c)
 * run as a user runs it: help and version, usage errors (exit 2, a message on stderr naming the
 * flag or the value, nothing written), short runs (exit 0 VALID, 1 INVALID, 3 runtime
 * error), the files they write, the default output folder and the progress line; and the
 * hostile uses (signals while writing, closed pipes, overwrites, limits),
 * with the synthetic QSL the program builds on.
 *
 * The program is $LOADGEN_BIN (set by `make test`), else build/bin/loadgen. Every test
 * runs the program in its own mkdtemp folder, removed afterwards.
 */
#include <criterion/criterion.h>

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"

/*
 * Criterion 2.4.1's runner process leaks a few blocks when tests run in parallel, which
 * makes LeakSanitizer fail ASan builds. Ignore leaks allocated inside libcriterion only.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

/* ---- the test's folders: g_tmp holds the captured output, g_cwd is the program's cwd -------- */

static char g_tmp[64];
static char g_cwd[96];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void tmp_init(void)
{
    snprintf(g_tmp, sizeof g_tmp, "/tmp/lg_test_cli_XXXXXX");
    cr_assert_not_null(mkdtemp(g_tmp), "mkdtemp: %s", strerror(errno));
    snprintf(g_cwd, sizeof g_cwd, "%s/cwd", g_tmp);
    cr_assert_eq(mkdir(g_cwd, 0777), 0);
}

static void tmp_fini(void)
{
    if (g_tmp[0])
        nftw(g_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_tmp[0] = '\0';
}

#define TMP .init = tmp_init, .fini = tmp_fini

/* ---- helpers -------------------------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? 2 * cap : 8192;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* The program, as an absolute path (tests change the child's cwd). */
static const char *program(void)
{
    static char path[PATH_MAX];
    const char *p = getenv("LOADGEN_BIN");
    if (!p || !*p)
        p = "build/bin/loadgen";
    if (!realpath(p, path))
        cr_assert_fail("the program %s does not exist (set LOADGEN_BIN or run from the repo "
                       "root after `make`)", p);
    return path;
}

typedef struct proc {
    int code;  /* exit code */
    char *out; /* stdout */
    char *err; /* stderr (or the terminal's output when run on a pty) */
} proc;

static void proc_free(proc *p)
{
    free(p->out);
    free(p->err);
}

/* Runs the program with argv (argv[0] is replaced) in g_cwd, stdin from /dev/null,
 * stdout and stderr to files; or stderr on a pseudo-terminal when pty is set. */
static void run_prog(proc *p, const char *const *argv, bool pty)
{
    const char *prog = program();
    char out_path[PATH_MAX], err_path[PATH_MAX];
    cr_assert_lt(snprintf(out_path, sizeof out_path, "%s/stdout", g_tmp), PATH_MAX);
    cr_assert_lt(snprintf(err_path, sizeof err_path, "%s/stderr", g_tmp), PATH_MAX);
    int master = -1, slave = -1;
    if (pty) {
        master = posix_openpt(O_RDWR | O_NOCTTY);
        cr_assert_geq(master, 0, "posix_openpt: %s", strerror(errno));
        cr_assert_eq(grantpt(master), 0);
        cr_assert_eq(unlockpt(master), 0);
        slave = open(ptsname(master), O_RDWR | O_NOCTTY);
        cr_assert_geq(slave, 0);
    }
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = pty ? slave : open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0 || chdir(g_cwd) != 0 || dup2(in, 0) < 0 ||
            dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        if (master >= 0)
            close(master);
        size_t n = 0;
        while (argv[n])
            n++;
        char **args = calloc(n + 1, sizeof *args);
        if (!args)
            _exit(127);
        args[0] = (char *)"loadgen";
        for (size_t i = 1; i < n; i++)
            args[i] = (char *)argv[i];
        execv(prog, args);
        _exit(127);
    }
    char *term = NULL;
    size_t tlen = 0;
    if (pty) {
        close(slave);
        /* Drain the terminal while the program runs; EIO once it has exited. */
        for (;;) {
            char buf[4096];
            ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0)
                break;
            term = realloc(term, tlen + (size_t)n + 1);
            cr_assert_not_null(term);
            memcpy(term + tlen, buf, (size_t)n);
            tlen += (size_t)n;
        }
        close(master);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "the program died of signal %d",
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    p->code = WEXITSTATUS(status);
    cr_assert_neq(p->code, 127, "could not start %s", prog);
    p->out = slurp(out_path);
    if (pty) {
        p->err = term ? term : strdup("");
        if (term)
            term[tlen] = '\0';
    } else {
        p->err = slurp(err_path);
    }
}

#define RUN(p, ...)                                                                           \
    do {                                                                                      \
        const char *const argv_[] = {"loadgen", __VA_ARGS__, NULL};                           \
        run_prog(p, argv_, false);                                                            \
    } while (0)

/* A path inside the program's cwd. */
static const char *in_cwd(const char *name)
{
    static char buf[4][PATH_MAX];
    static int k;
    char *p = buf[k++ & 3];
    cr_assert_lt(snprintf(p, PATH_MAX, "%s/%s", g_cwd, name), PATH_MAX);
    return p;
}

static void expect_five_files(const char *dir)
{
    static const char *const files[] = {"mlperf_log_summary.txt", "mlperf_log_detail.txt",
                                        "mlperf_log_accuracy.json", "results.json",
                                        "samples.bin"};
    char path[PATH_MAX];
    for (int i = 0; i < 5; i++) {
        cr_assert_lt(snprintf(path, sizeof path, "%s/%s", dir, files[i]), PATH_MAX);
        cr_expect(exists(path), "%s was not written", path);
    }
    cr_expect_eq(count_entries(dir), 5, "%s holds %zu entries, not 5", dir, count_entries(dir));
}

/* The value of key in dir's detail log (a new reference), or NULL. */
static json_t *detail_value(const char *dir, const char *key)
{
    char path[PATH_MAX], pat[256];
    cr_assert_lt(snprintf(path, sizeof path, "%s/mlperf_log_detail.txt", dir), PATH_MAX);
    snprintf(pat, sizeof pat, ":::MLLOG {\"key\": \"%s\", ", key);
    char *text = slurp(path);
    json_t *v = NULL;
    for (char *l = text; l && *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(l, pat, strlen(pat))) {
            json_t *o = json_loads(l + 9, 0, NULL);
            cr_assert_not_null(o, "the %s line does not parse", key);
            v = json_incref(json_object_get(o, "value"));
            json_decref(o);
            break;
        }
        l = nl ? nl + 1 : NULL;
    }
    free(text);
    cr_assert_not_null(v, "no %s in %s", key, path);
    return v;
}

static double detail_number(const char *dir, const char *key)
{
    json_t *v = detail_value(dir, key);
    cr_assert(json_is_number(v), "%s is not a number", key);
    double d = json_number_value(v);
    json_decref(v);
    return d;
}

static char *summary_of(const char *dir)
{
    char path[PATH_MAX];
    cr_assert_lt(snprintf(path, sizeof path, "%s/mlperf_log_summary.txt", dir), PATH_MAX);
    return slurp(path);
}

/* ---- help and version ----------------------------------------------------------------------- */

static void expect_version(const char *arg)
{
    proc p;
    RUN(&p, arg);
    char want[64];
    snprintf(want, sizeof want, "loadgen %s\n", lg_version());
    cr_expect_eq(p.code, 0, "%s: exit %d", arg, p.code);
    cr_expect_str_eq(p.out, want, "%s", arg);
    cr_expect_str_eq(p.err, "", "%s", arg);
    proc_free(&p);
}

Test(help, version_flag_command_and_short_flag_print_the_library_version, .timeout = 30, TMP)
{
    expect_version("--version");
    expect_version("version");
    expect_version("-V");
}

static void expect_usage(const char *arg)
{
    proc p;
    RUN(&p, arg);
    cr_expect_eq(p.code, 0, "%s: exit %d", arg, p.code);
    cr_expect_eq(strncmp(p.out, "usage: loadgen <command> [options]\n", 35), 0,
                 "%s: stdout starts '%.40s'", arg, p.out);
    static const char *const cmds[] = {"\n  run ", "\n  demo ", "\n  version ", "\n  help "};
    for (int i = 0; i < 4; i++)
        cr_expect_not_null(strstr(p.out, cmds[i]), "%s: the usage lacks '%s'", arg, cmds[i] + 1);
    cr_expect_str_eq(p.err, "");
    proc_free(&p);
}

Test(help, help_command_and_flags_print_the_usage_with_every_command_and_exit_0, .timeout = 30,
     TMP)
{
    expect_usage("help");
    expect_usage("--help");
    expect_usage("-h");
}

Test(help, run_help_lists_every_flag_and_the_exit_codes, .timeout = 30, TMP)
{
    static const char *const flags[] = {
        "--scenario", "--mode", "--out", "--target-qps", "--target-latency-ms",
        "--target-latency-percentile", "--min-duration-ms", "--max-duration-ms",
        "--min-query-count", "--max-query-count", "--samples-per-query",
        "--max-async-queries", "--coalesce-queries", "--sample-timeout-ms", "--qsl-rng-seed",
        "--sample-index-rng-seed", "--schedule-rng-seed", "--accuracy-log-rng-seed",
        "--accuracy-log-probability", "--total-sample-count", "--performance-sample-count",
        "--sample-size", "--sut", "--workers", "--batch", "--batch-cost", "--service-dist",
        "--service-mean-us", "--service-sigma", "--busy-wait", "--sut-seed", "--quiet",
        "--no-progress", "--no-samples-file"};
    const char *forms[] = {"--help", "-h"};
    for (int f = 0; f < 2; f++) {
        proc p;
        RUN(&p, "run", forms[f]);
        cr_expect_eq(p.code, 0, "run %s: exit %d", forms[f], p.code);
        cr_expect_eq(strncmp(p.out, "usage: loadgen run [options]\n", 29), 0);
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
            char want[64];
            snprintf(want, sizeof want, "  %s ", flags[i]);
            char want2[64];
            snprintf(want2, sizeof want2, "  %s\n", flags[i]);
            char want3[64];
            snprintf(want3, sizeof want3, " %s N,", flags[i]);
            cr_expect(strstr(p.out, want) || strstr(p.out, want2) || strstr(p.out, want3),
                      "run --help does not describe %s", flags[i]);
        }
        cr_expect_not_null(strstr(p.out, "Exit code: 0 VALID, 1 INVALID, 2 usage or "
                                         "configuration error, 3 runtime error.\n"));
        cr_expect_str_eq(p.err, "");
        proc_free(&p);
    }
    cr_expect_eq(count_entries(g_cwd), 0, "help wrote files");
}

Test(help, demo_help_prints_the_demo_usage_and_exits_0, .timeout = 30, TMP)
{
    proc p;
    RUN(&p, "demo", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect_eq(strncmp(p.out, "usage: loadgen demo ", 20), 0, "stdout: %.60s", p.out);
    cr_expect_not_null(strstr(p.out, "Exit code: 0 when every run is VALID"));
    cr_expect_str_eq(p.err, "");
    proc_free(&p);
    cr_expect_eq(count_entries(g_cwd), 0, "demo --help ran the demo");
}

/* ---- usage errors --------------------------------------------------------------------------- */

static void expect_usage_error(const char *const *argv, const char *want1, const char *want2)
{
    proc p;
    run_prog(&p, argv, false);
    cr_expect_eq(p.code, 2, "%s %s: exit %d, stderr: %s", argv[1] ? argv[1] : "",
                 argv[1] && argv[2] ? argv[2] : "", p.code, p.err);
    cr_expect_not_null(strstr(p.err, want1), "stderr does not name '%s': %s", want1, p.err);
    if (want2)
        cr_expect_not_null(strstr(p.err, want2), "stderr does not name '%s': %s", want2, p.err);
    cr_expect(strchr(p.err, '\n'), "no full line on stderr");
    cr_expect_eq(count_entries(g_cwd), 0, "a usage error wrote files");
    proc_free(&p);
}

#define USAGE_ERROR(name, want1, want2, ...)                                                  \
    Test(usage_errors, name, .timeout = 30, TMP)                                              \
    {                                                                                         \
        const char *const argv_[] = {"loadgen", __VA_ARGS__, NULL};                           \
        expect_usage_error(argv_, want1, want2);                                              \
    }

Test(usage_errors, no_command_prints_the_usage_on_stderr_and_exits_2, .timeout = 30, TMP)
{
    const char *const argv[] = {"loadgen", NULL};
    proc p;
    run_prog(&p, argv, false);
    cr_expect_eq(p.code, 2);
    cr_expect_str_eq(p.out, "");
    cr_expect_not_null(strstr(p.err, "usage: loadgen <command>"));
    proc_free(&p);
}

USAGE_ERROR(unknown_command_exits_2_naming_it, "unknown command 'frobnicate'", "usage: loadgen",
            "frobnicate")
USAGE_ERROR(unknown_long_flag_exits_2_naming_it, "--bogus", "unknown option", "run", "--bogus")
USAGE_ERROR(unknown_short_flag_exits_2_naming_it, "-x", "unknown option", "run", "-x")
USAGE_ERROR(flag_without_its_value_exits_2_naming_it, "--out", "needs a value", "run", "--out")
USAGE_ERROR(last_flag_without_its_value_exits_2_naming_it, "--scenario", "needs a value", "run",
            "--quiet", "--scenario")
USAGE_ERROR(stray_argument_exits_2_naming_it, "'extra'", NULL, "run", "extra")
/* A value that starts with "--" is the next flag, not a value: refused, naming the flag
 * (`--out --no-progress` once made a folder named --no-progress). */
USAGE_ERROR(out_followed_by_a_flag_is_refused_naming_both, "loadgen run: --out: "
            "'--no-progress' is not a value", "is --out's value missing?", "run", "--out",
            "--no-progress")
USAGE_ERROR(out_equals_a_flag_is_refused, "--out: '--quiet' is not a value", NULL, "run",
            "--out=--quiet")
USAGE_ERROR(config_conf_followed_by_a_flag_is_refused, "--conf: '--model' is not a value",
            NULL, "config", "--conf", "--model", "x")
USAGE_ERROR(report_out_followed_by_a_flag_is_refused, "loadgen report: --out: '--html' is "
            "not a value", NULL, "report", "a", "--out", "--html", "r.html")
USAGE_ERROR(compare_alpha_followed_by_a_flag_is_refused, "loadgen compare: --alpha: "
            "'--noise' is not a value", NULL, "compare", "a", "b", "--alpha", "--noise", "1")
USAGE_ERROR(stats_percentile_followed_by_a_flag_is_refused, "--percentile: '--confidence' "
            "is not a value", NULL, "stats", "samples", "--percentile", "--confidence",
            "0.9")
/* A single dash stays the value's own parser's business: a negative number's message. */
USAGE_ERROR(a_negative_number_keeps_its_own_message, "'-1' is negative", NULL,
            "run", "--min-duration-ms", "-1")
/* The messages for bad numbers, by the value they quote (the flag: see the next test). */
USAGE_ERROR(target_qps_abc_exits_2_quoting_the_value, "'abc' is not a number", NULL,
            "run", "--target-qps", "abc")
USAGE_ERROR(target_qps_with_equals_abc_names_the_flag_without_the_value, "--target-qps: ",
            "'abc' is not a number", "run", "--target-qps=abc")
USAGE_ERROR(negative_target_qps_exits_2_quoting_the_value,
            "'-5' is out of range; it must be at least 1e-06 and at most 1000000000000 (1/s)",
            NULL, "run", "--target-qps", "-5")
USAGE_ERROR(zero_target_qps_exits_2_quoting_the_value,
            "'0' is out of range; it must be at least 1e-06 and at most 1000000000000 (1/s)", NULL,
            "run", "--target-qps", "0")
USAGE_ERROR(infinite_target_qps_exits_2_quoting_the_value, "'inf' is not a number",
            NULL, "run", "--target-qps", "inf")
USAGE_ERROR(nan_target_latency_exits_2_quoting_the_value, "'nan' is not a number", NULL,
            "run", "--target-latency-ms", "nan")
USAGE_ERROR(fractional_min_duration_exits_2_quoting_the_value, "'1.5' is not a whole number",
            NULL, "run", "--min-duration-ms", "1.5")
USAGE_ERROR(negative_min_duration_exits_2_quoting_the_value, "'-1' is negative",
            NULL, "run", "--min-duration-ms", "-1")
USAGE_ERROR(min_query_count_beyond_64_bits_exits_2_saying_so,
            "'99999999999999999999' is too large to be represented", NULL, "run",
            "--min-query-count", "99999999999999999999")
USAGE_ERROR(percentile_1_exits_2_and_explains_fractions,
            "'1' is out of range; it must be above 0 and below 1 (fraction)",
            "(a fraction: 0.99 means 99%, the 99th percentile)", "run",
            "--target-latency-percentile", "1")
USAGE_ERROR(percentile_99_exits_2_and_explains_fractions,
            "'99' is out of range; it must be above 0 and below 1 (fraction)",
            "(a fraction: 0.99 means 99%, the 99th percentile)", "run",
            "--target-latency-percentile", "99")
USAGE_ERROR(samples_per_query_0_exits_2_quoting_the_range,
            "0 is out of range; it must be at least 1 and at most 1048576 (count)",
            NULL, "run", "--samples-per-query", "0")
USAGE_ERROR(zero_workers_exits_2_quoting_the_range, "0 is out of range [1, 256]", NULL, "run",
            "--workers", "0")

/*
 * cli/cli.h documents the bad-number messages as "loadgen CMD: --FLAG: ...". cli_run_parse
 * (cli/run_options.c) takes the flag's name from argv[optind - 1], which is the flag only
 * for "--flag=value"; for "--flag value" getopt has already stepped over the value, so
 * the message names the value twice ("loadgen run: abc: 'abc' is not a finite number").
 */
Test(usage_errors, bad_number_messages_name_the_flag_when_the_value_is_a_separate_argument,
     .timeout = 30, TMP)
{
    static const char *const cases[][3] = {
        {"run", "--target-qps", "abc"},
        {"run", "--target-qps", "-5"},
        {"run", "--target-latency-ms", "nan"},
        {"run", "--min-duration-ms", "1.5"},
        {"run", "--min-query-count", "99999999999999999999"},
        {"run", "--target-latency-percentile", "99"},
        {"run", "--samples-per-query", "0"},
        {"run", "--workers", "0"},
        {"run", "--accuracy-log-probability", "2"},
        {"demo", "--min-duration-ms", "x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const argv[] = {"loadgen", cases[i][0], cases[i][1], cases[i][2], NULL};
        proc p;
        run_prog(&p, argv, false);
        char want[96];
        snprintf(want, sizeof want, "loadgen %s: %s: ", cases[i][0], cases[i][1]);
        cr_expect_eq(p.code, 2, "%s %s %s: exit %d", cases[i][0], cases[i][1], cases[i][2],
                     p.code);
        cr_expect_eq(strncmp(p.err, want, strlen(want)), 0,
                     "%s %s %s: stderr does not start with '%s': %s", cases[i][0], cases[i][1],
                     cases[i][2], want, p.err);
        proc_free(&p);
    }
}

USAGE_ERROR(performance_count_above_total_exits_2_naming_both_flags,
            "--performance-sample-count 2000", "--total-sample-count 1000", "run",
            "--performance-sample-count", "2000", "--total-sample-count", "1000")
USAGE_ERROR(unknown_scenario_exits_2_naming_flag_and_value, "--scenario", "'Foo'", "run",
            "--scenario", "Foo")
USAGE_ERROR(unknown_sut_exits_2_naming_flag_and_value, "--sut", "'foo'", "run", "--sut", "foo")
USAGE_ERROR(unknown_mode_exits_2_naming_flag_and_value, "--mode", "'foo'", "run", "--mode",
            "foo")
USAGE_ERROR(unknown_service_dist_exits_2_naming_flag_and_value, "--service-dist", "'foo'", "run",
            "--service-dist", "foo")
USAGE_ERROR(max_query_count_below_min_exits_2_naming_the_setting, "max_query_count", NULL,
            "run", "--sut", "null", "--min-query-count", "10", "--max-query-count", "5")
USAGE_ERROR(demo_rejects_an_unknown_flag_naming_it, "loadgen demo: unknown option '--bogus'",
            NULL, "demo", "--bogus")
USAGE_ERROR(demo_rejects_a_bad_number_quoting_it, "loadgen demo: ", "'x' is not a number",
            "demo", "--min-duration-ms", "x")

/* ---- runs ----------------------------------------------------------------------------------- */

Test(runs, short_valid_quiet_run_exits_0_prints_nothing_and_writes_the_five_files,
     .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "SingleStream", "--min-duration-ms", "100",
        "--out", in_cwd("out"), "--quiet");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_str_eq(p.out, "");
    cr_expect_str_eq(p.err, "");
    proc_free(&p);
    expect_five_files(in_cwd("out"));
    char *s = summary_of(in_cwd("out"));
    cr_expect_not_null(strstr(s, "\nScenario : SingleStream\n"));
    cr_expect_not_null(strstr(s, "\nResult is : VALID\n"));
    cr_expect_not_null(strstr(s, "\nmin_duration (ms): 100\n"));
    free(s);
    cr_expect_eq(count_entries(g_cwd), 1, "files outside --out");
}

Test(runs, run_without_quiet_prints_the_result_and_the_log_folder, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "MultiStream", "--min-duration-ms", "50",
        "--out", in_cwd("ms"), "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_eq(strncmp(p.out, "MultiStream PerformanceOnly: VALID\n", 35), 0, "stdout: %s",
                 p.out);
    cr_expect_not_null(strstr(p.out, "  metric   early_stopping_latency_ms = "));
    char want[PATH_MAX + 16];
    snprintf(want, sizeof want, "\nLogs: %s/\n", in_cwd("ms"));
    cr_expect_not_null(strstr(p.out, want), "stdout lacks '%s': %s", want + 1, p.out);
    cr_expect_str_eq(p.err, "", "a valid MultiStream run with its flags warns: %s", p.err);
    proc_free(&p);
    expect_five_files(in_cwd("ms"));
}

Test(runs, server_run_with_a_1_ns_latency_bound_is_invalid_and_exits_1, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "5000",
        "--target-latency-ms", "0.000001", "--min-duration-ms", "100", "--out", in_cwd("inv"),
        "--quiet");
    cr_expect_eq(p.code, 1, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_str_eq(p.out, "");
    proc_free(&p);
    expect_five_files(in_cwd("inv"));
    char *s = summary_of(in_cwd("inv"));
    cr_expect_not_null(strstr(s, "\nResult is : INVALID\n"));
    cr_expect_not_null(strstr(s, "\n * Reduce target QPS to improve latency.\n"));
    cr_expect_not_null(strstr(s, "\ntarget_latency (ns): 1\n"));
    cr_expect_not_null(strstr(s, "\ntarget_qps : 5000\n"));
    free(s);
}

/* Server's one-screen result puts the latency bound beside the target percentile, on
 * the line after the latencies. */
Test(runs, server_result_shows_the_bound_beside_the_percentile, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "1000", "--min-duration-ms", "200",
        "--out", in_cwd("s"), "--no-progress");
    cr_expect_leq(p.code, 1, "exit %d, stderr: %s", p.code, p.err);
    const char *lat = strstr(p.out, "\n  latency p50 ");
    cr_assert_not_null(lat, "%s", p.out);
    const char *next = strchr(lat + 1, '\n');
    cr_assert_not_null(next);
    cr_expect_eq(strncmp(next, "\n  bound    p99 ", 16), 0, "%s", p.out);
    cr_expect_not_null(strstr(next, " <= bound 100.0 ms (within)\n"), "%s", p.out);
    proc_free(&p);
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "5000",
        "--target-latency-ms", "0.000001", "--min-duration-ms", "100", "--out", in_cwd("inv"),
        "--no-progress");
    cr_expect_eq(p.code, 1, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, " > bound 1 ns (OVER the bound)\n"), "%s", p.out);
    proc_free(&p);
}

/* MultiStream's metric, the early-stopping estimate: "n/a" with the queries it needs when
 * early stopping was not met (never "0 ns"), and a note when it is the maximum. */
Test(runs, multistream_metric_says_n_a_or_that_it_is_the_maximum, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "MultiStream", "--min-duration-ms", "100", "--out",
        in_cwd("few"), "--no-progress");
    cr_expect_eq(p.code, 1, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "  metric   early_stopping_latency_ms = n/a (early "
                                     "stopping needs 662 queries, the run had "), "%s", p.out);
    cr_expect_null(strstr(p.out, "= 0 ns"), "%s", p.out);
    proc_free(&p);
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "MultiStream", "--min-duration-ms", "100",
        "--min-query-count", "700", "--max-query-count", "700", "--service-mean-us", "50",
        "--out", in_cwd("max"), "--no-progress");
    cr_expect_leq(p.code, 1, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "early stopping met (700 queries"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "\n           = the maximum: with 700 queries early "
                                     "stopping discards none of the highest latencies"),
                       "%s", p.out);
    proc_free(&p);
    RUN(&p, "demo", "--sut", "synthetic", "--min-duration-ms", "50", "--out", in_cwd("demo"), "--no-progress");
    /* 50 ms and the 100 queries of min_query_count: too few for MultiStream's p99. */
    cr_expect_not_null(strstr(p.out, "p99 early-stop n/a (needs 662)"), "%s", p.out);
    cr_expect_null(strstr(p.out, "early-stop 0 ns"), "%s", p.out);
    proc_free(&p);
}

/* An accuracy run's timings measure nothing: it prints its counts, not a metric. */
Test(runs, accuracy_run_prints_counts_not_a_metric, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Offline", "--mode", "accuracy", "--total-sample-count", "200",
        "--performance-sample-count", "100", "--out", in_cwd("acc"), "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "Offline AccuracyOnly: VALID\n  accuracy: 200 samples "
                                     "issued, 200 completed, 0 failed, 0 timed out; 200 "
                                     "responses logged to mlperf_log_accuracy.json\n"),
                       "%s", p.out);
    cr_expect_null(strstr(p.out, "metric"), "%s", p.out);
    cr_expect_null(strstr(p.out, "samples_per_second"), "%s", p.out);
    proc_free(&p);
}

Test(runs, run_hitting_max_query_count_is_invalid_exits_1_and_logs_an_error, .timeout = 60,
     TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "1000", "--min-query-count", "5",
        "--max-query-count", "10", "--out", in_cwd("max"), "--quiet");
    cr_expect_eq(p.code, 1, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    cr_expect_eq(detail_number(in_cwd("max"), "result_query_count"), 10);
    cr_expect_eq(detail_number(in_cwd("max"), "num_errors"), 1);
    char *s = summary_of(in_cwd("max"));
    cr_expect_not_null(strstr(s, "\n1 ERROR encountered. See detailed log.\n"));
    free(s);
}

Test(runs, run_without_out_writes_a_new_timestamped_folder_under_results_each_time,
     .timeout = 60, TMP)
{
    for (int i = 0; i < 2; i++) {
        proc p;
        RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50");
        cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
        cr_expect_not_null(strstr(p.out, "\nLogs: results/"), "stdout: %s", p.out);
        proc_free(&p);
    }
    cr_expect_eq(count_entries(g_cwd), 1, "something besides results/ was written");
    const char *res = in_cwd("results");
    cr_assert_eq(count_entries(res), 2, "results/ holds %zu folders after two runs",
                 count_entries(res));
    regex_t re;
    cr_assert_eq(regcomp(&re, "^[0-9]{8}-[0-9]{6}-SingleStream(-[0-9]+)?$", REG_EXTENDED), 0);
    DIR *d = opendir(res);
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        cr_expect_eq(regexec(&re, e->d_name, 0, NULL, 0), 0,
                     "results/%s is not <YYYYMMDD-HHMMSS>-SingleStream[-N]", e->d_name);
        char path[PATH_MAX];
        cr_assert_lt(snprintf(path, sizeof path, "%s/%s", res, e->d_name), PATH_MAX);
        expect_five_files(path);
    }
    closedir(d);
    regfree(&re);
}

Test(runs, no_samples_file_flag_writes_the_other_four_files, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--target-qps", "1e6",
        "--min-duration-ms", "50", "--no-samples-file", "--out", in_cwd("o"), "--quiet");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    cr_expect_eq(count_entries(in_cwd("o")), 4);
    cr_expect_not(exists(in_cwd("o/samples.bin")));
    cr_expect(exists(in_cwd("o/results.json")));
}

Test(runs, out_folder_under_a_regular_file_exits_2_before_running_naming_the_folder,
     .timeout = 60, TMP)
{
    FILE *f = fopen(in_cwd("plain"), "w");
    cr_assert_not_null(f);
    fclose(f);
    proc p;
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50", "--out", "plain/logs",
        "--quiet");
    cr_expect_eq(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "cannot create the output folder plain/logs"),
                       "stderr: %s", p.err);
    proc_free(&p);
    cr_expect_eq(count_entries(g_cwd), 1);
}

Test(runs, out_folder_that_already_holds_a_run_is_refused_with_exit_2_and_left_alone,
     .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50", "--out", "o", "--quiet");
    cr_assert_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    char *before = slurp(in_cwd("o/results.json"));
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--min-duration-ms", "50",
        "--out", "o", "--quiet");
    cr_expect_eq(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "o already holds a run"), "stderr: %s", p.err);
    proc_free(&p);
    char *after = slurp(in_cwd("o/results.json"));
    cr_expect_str_eq(after, before, "the earlier run's results.json changed");
    free(before);
    free(after);
    expect_five_files(in_cwd("o"));
}

Test(runs, accuracy_mode_run_exits_0_with_a_trailer_only_summary, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--mode", "accuracy",
        "--total-sample-count", "64", "--performance-sample-count", "16", "--out", in_cwd("a"),
        "--quiet");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    expect_five_files(in_cwd("a"));
    char *s = summary_of(in_cwd("a"));
    cr_expect_str_eq(s, "\nNo warnings encountered during test.\n\nNo errors encountered "
                        "during test.\n");
    free(s);
    cr_expect_eq(detail_number(in_cwd("a"), "qsl_reported_total_count"), 64);
    cr_expect_eq(detail_number(in_cwd("a"), "effective_accuracy_sample_count"), 64);
}

Test(runs, flags_reach_the_settings_in_the_detail_log, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "MultiStream", "--min-duration-ms", "60",
        "--samples-per-query", "4", "--target-latency-ms", "2",
        "--target-latency-percentile", "0.95", "--qsl-rng-seed", "7",
        "--sample-index-rng-seed", "8", "--schedule-rng-seed", "9",
        "--accuracy-log-rng-seed", "10", "--performance-sample-count", "100",
        "--total-sample-count", "500", "--min-query-count", "50", "--sample-timeout-ms",
        "12345", "--out", in_cwd("f"), "--quiet");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    const char *d = in_cwd("f");
    cr_expect_eq(detail_number(d, "effective_samples_per_query"), 4);
    cr_expect_eq(detail_number(d, "requested_multi_stream_expected_latency_ns"), 2e6);
    cr_expect_eq(detail_number(d, "effective_target_qps"), 500);
    cr_expect_eq(detail_number(d, "effective_target_latency_percentile"), 0.95);
    cr_expect_eq(detail_number(d, "effective_min_duration_ms"), 60);
    cr_expect_eq(detail_number(d, "effective_min_query_count"), 50);
    cr_expect_eq(detail_number(d, "effective_qsl_rng_seed"), 7);
    cr_expect_eq(detail_number(d, "effective_sample_index_rng_seed"), 8);
    cr_expect_eq(detail_number(d, "effective_schedule_rng_seed"), 9);
    cr_expect_eq(detail_number(d, "effective_accuracy_log_rng_seed"), 10);
    cr_expect_eq(detail_number(d, "effective_performance_sample_count"), 100);
    cr_expect_eq(detail_number(d, "qsl_reported_total_count"), 500);
    cr_expect_eq(detail_number(d, "effective_sample_timeout_ns"), 12345e6);
    char *s = summary_of(d);
    cr_expect_not_null(strstr(s, "\n95.0th percentile latency (ns) : "));
    free(s);
}

Test(runs, server_and_offline_without_target_qps_say_which_qps_they_derived, .timeout = 60,
     TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--min-duration-ms", "50", "--out",
        in_cwd("s"), "--no-progress");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "loadgen: no --target-qps given: using 100000, the null "
                                     "SUT's fixed Server default"), "stderr: %s", p.err);
    cr_expect_null(strstr(p.err, "half"), "1e5 is not half of 3e7: %s", p.err);
    proc_free(&p);
    cr_expect_eq(detail_number(in_cwd("s"), "effective_target_qps"), 1e5);

    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--min-duration-ms", "50", "--out",
        in_cwd("o"), "--no-progress");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "loadgen: no --target-qps given: using 3e+07, the null "
                                     "SUT's nominal capacity\n"), "stderr: %s", p.err);
    proc_free(&p);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_target_qps"), 3e7);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_samples_per_query"), 1650000);

    /* --quiet silences the note; a given --target-qps needs none. */
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--min-duration-ms", "50", "--out",
        in_cwd("q"), "--quiet");
    cr_expect_str_eq(p.err, "");
    proc_free(&p);
}

/*
 * The program derives the target QPS the user left out "so that a run with no flags is
 * meaningful" (derive_defaults in cli/run_options.c). For the null SUT it assumes 2e6
 * samples/s for Offline, but the null SUT answers several times faster, so the Offline
 * query finishes long before --min-duration-ms and the run is INVALID (min duration).
 */
Test(runs, offline_null_sut_with_the_derived_target_qps_is_valid, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--min-duration-ms", "300",
        "--out", in_cwd("o"), "--quiet");
    cr_expect_eq(p.code, 0, "exit %d: the Offline run with the derived target QPS is INVALID",
                 p.code);
    proc_free(&p);
    char *s = summary_of(in_cwd("o"));
    cr_expect_not_null(strstr(s, "\n  Min duration satisfied : Yes\n"),
                       "the derived QPS is below what the null SUT does: %s", s);
    free(s);
}

Test(runs, demo_runs_the_four_scenarios_into_one_folder_each_and_exits_by_their_validity,
     .timeout = 90, TMP)
{
    proc p;
    RUN(&p, "demo", "--sut", "synthetic", "--min-duration-ms", "100", "--out", in_cwd("demo"), "--no-progress");
    cr_expect(p.code == 0 || p.code == 1, "exit %d, stderr: %s", p.code, p.err);
    static const char *const sc[] = {"SingleStream", "MultiStream", "Server", "Offline"};
    char path[PATH_MAX], row[64];
    bool all_valid = true;
    for (int i = 0; i < 4; i++) {
        cr_assert_lt(snprintf(path, sizeof path, "%s/%s", in_cwd("demo"), sc[i]), PATH_MAX);
        expect_five_files(path);
        char *s = summary_of(path);
        bool valid = strstr(s, "\nResult is : VALID\n") != NULL;
        all_valid = all_valid && valid;
        free(s);
        snprintf(row, sizeof row, "  running %-12s ... %s\n", sc[i], valid ? "VALID" : "INVALID");
        cr_expect_not_null(strstr(p.out, row), "stdout lacks '%s': %s", row, p.out);
        snprintf(row, sizeof row, "\n%-12s  ", sc[i]);
        cr_expect_not_null(strstr(p.out, row), "no table row for %s: %s", sc[i], p.out);
    }
    cr_expect_eq(p.code, all_valid ? 0 : 1, "exit %d, every run VALID: %d", p.code, all_valid);
    /* The four run folders and the HTML report of them. */
    cr_expect_eq(count_entries(in_cwd("demo")), 5);
    cr_assert_lt(snprintf(path, sizeof path, "%s/report.html", in_cwd("demo")), PATH_MAX);
    cr_expect_eq(access(path, R_OK), 0, "%s", path);
    cr_expect_not_null(strstr(p.out, "\nscenario      metric"));
    char logs[PATH_MAX + 32];
    snprintf(logs, sizeof logs, "\nLogs: %s/<scenario>/ ", in_cwd("demo"));
    cr_expect_not_null(strstr(p.out, logs), "stdout: %s", p.out);
    proc_free(&p);
}

/* ---- the progress line ---------------------------------------------------------------------- */

Test(progress, on_a_terminal_a_progress_line_is_redrawn_after_1_s_and_cleared, .timeout = 60,
     TMP)
{
    const char *const argv[] = {"loadgen", "run", "--sut", "null", "--scenario", "Server",
                                "--target-qps", "2000", "--min-duration-ms", "1300", "--out",
                                "p", NULL};
    proc p;
    run_prog(&p, argv, true);
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    const char *line = strstr(p.err, "\r\033[K  Server       performance ");
    cr_expect_not_null(line, "no progress line on the terminal: '%s'", p.err);
    if (line) {
        /* The elapsed time of the planned 1.3 s and the time left (or "finishing"). */
        cr_expect_not_null(strstr(line, " / 1.3 s, "), "%s", line);
        cr_expect(strstr(line, " s left  issued ") || strstr(line, ", finishing  issued "),
                  "%s", line);
        cr_expect_not_null(strstr(line, "  completed "));
        cr_expect_not_null(strstr(line, "/s"));
    }
    size_t n = strlen(p.err);
    cr_expect(n >= 4 && !strcmp(p.err + n - 4, "\r\033[K"),
              "the progress line is not cleared at the end");
    cr_expect_null(strstr(p.out, "\033["), "progress went to stdout");
    proc_free(&p);
}

Test(progress, no_progress_flag_keeps_the_terminal_free_of_progress, .timeout = 60, TMP)
{
    const char *const argv[] = {"loadgen", "run", "--sut", "null", "--scenario", "Server",
                                "--target-qps", "2000", "--min-duration-ms", "1300", "--out",
                                "p", "--no-progress", NULL};
    proc p;
    run_prog(&p, argv, true);
    /* What is under test is the terminal, not the verdict: on a machine busy with other
     * test builds, a sanitizer build's run can end INVALID (exit 1), and it still must
     * print no progress. */
    cr_expect(p.code == 0 || p.code == 1, "exit %d: %s", p.code, p.err);
    cr_expect(strstr(p.out, "Server PerformanceOnly: ") != NULL, "no verdict: '%s'", p.out);
    cr_expect_null(strstr(p.err, "\033[K"), "progress with --no-progress: '%s'", p.err);
    proc_free(&p);
}

/* ---- config files, --set and `config --explain` --------------------------------------------- */

static const char *write_tmp_file(const char *name, const char *text)
{
    static char paths[4][PATH_MAX];
    static int k;
    char *p = paths[k++ & 3];
    snprintf(p, PATH_MAX, "%s/%s", g_tmp, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

Test(config_files, conf_values_apply_and_flags_override_them, .timeout = 60, TMP)
{
    const char *conf = write_tmp_file("user.conf", "*.Server.target_qps = 5000\n"
                                                   "*.*.min_duration = 50000\n"
                                                   "*.Server.target_latency = 250\n");
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--conf", conf,
        "--min-duration-ms", "100", "--out", in_cwd("o"), "--no-progress");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_target_qps"), 5000);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_min_duration_ms"), 100);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_target_latency_ns"), 250e6);
}

Test(config_files, user_conf_overrides_mlperf_conf_even_when_less_specific, .timeout = 60, TMP)
{
    const char *m = write_tmp_file("mlperf.conf", "resnet50.Server.target_qps = 1000\n"
                                                  "*.*.min_duration = 100\n");
    const char *u = write_tmp_file("user.conf", "*.*.target_qps = 3000\n");
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--conf", m, "--conf", u,
        "--model", "resnet50", "--out", in_cwd("o"), "--no-progress");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_target_qps"), 3000);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_min_duration_ms"), 100);
}

Test(config_files, a_typo_is_refused_with_file_line_and_a_suggestion, .timeout = 30, TMP)
{
    const char *conf = write_tmp_file("user.conf", "# settings\n*.Server.target_qsp = 5\n");
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--conf", conf, "--out",
        in_cwd("o"), "--no-progress");
    cr_expect_eq(p.code, 2, "exit %d", p.code);
    cr_expect_not_null(strstr(p.err, "user.conf:2"), "stderr: %s", p.err);
    cr_expect_not_null(strstr(p.err, "target_qps"), "no suggestion: %s", p.err);
    cr_expect(!exists(in_cwd("o")), "a refused run created its folder");
    proc_free(&p);
}

Test(config_files, model_without_a_config_file_is_refused, .timeout = 30, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "synthetic", "--model", "resnet50", "--out", in_cwd("o"));
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "--conf"), "stderr: %s", p.err);
    proc_free(&p);
}

Test(config_files, set_changes_any_field_in_its_own_unit, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--min-duration-ms", "100",
        "--set", "server_target_latency_ns=50000000", "--out", in_cwd("o"), "--no-progress");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    cr_expect_eq(detail_number(in_cwd("o"), "effective_target_latency_ns"), 5e7);
    RUN(&p, "run", "--sut", "synthetic", "--set", "server_target_qpz=5", "--out", in_cwd("b"));
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "server_target_qpz"), "stderr: %s", p.err);
    proc_free(&p);
    RUN(&p, "run", "--sut", "synthetic", "--set", "server_target_qps", "--out", in_cwd("c"));
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "FIELD=VALUE"), "stderr: %s", p.err);
    proc_free(&p);
}

Test(config_files, explain_names_the_origin_of_every_setting, .timeout = 30, TMP)
{
    const char *conf = write_tmp_file("user.conf", "*.Server.target_qps = 3000\n"
                                                   "resnet.*.min_query_count = 5\n");
    proc p;
    RUN(&p, "config", "--sut", "synthetic", "--explain", "--conf", conf, "--model", "resnet50", "--scenario",
        "Server", "--min-query-count", "7");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "user.conf:1 (*.Server.target_qps = 3000)"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "command line (--min-query-count)"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "command line (--scenario)"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "user.conf:2  resnet.*.min_query_count = 5"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "min_duration_ms"), "%s", p.out);
    proc_free(&p);
    RUN(&p, "config", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect_not_null(strstr(p.out, "usage: loadgen config"));
    proc_free(&p);
}

/* The lines of an mlperf.conf for other models are normal there: counted on one line,
 * with how many models they name; --all lists them. A user.conf's line for another
 * model (often a misspelled one) is always listed. */
Test(config_files, explain_summarises_mlperf_conf_lines_for_other_models, .timeout = 30, TMP)
{
    const char *mlperf = write_tmp_file("mlperf.conf", "*.Server.target_latency = 100\n"
                                                       "bert.Server.target_latency = 130\n"
                                                       "bert.Offline.min_duration = 600000\n"
                                                       "gptj.Server.target_latency = 20000\n"
                                                       "resnet50.Server.target_latency = 15\n"
                                                       "rnnt.*.min_query_count = 100\n");
    const char *user = write_tmp_file("user.conf", "resnt50.Server.target_qps = 1234\n");
    proc p;
    RUN(&p, "config", "--sut", "synthetic", "--explain", "--conf", mlperf, "--conf", user, "--model", "resnet50",
        "--scenario", "Server");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "  4 lines of mlperf.conf-kind files for other models (3 "
                                     "models) not shown; --all shows them\n"), "%s", p.out);
    cr_expect_null(strstr(p.out, "bert.Server.target_latency"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "user.conf:1  resnt50.Server.target_qps = 1234  (other "
                                     "model)"), "%s", p.out);
    proc_free(&p);
    RUN(&p, "config", "--sut", "synthetic", "--explain", "--all", "--conf", mlperf, "--conf", user, "--model",
        "resnet50", "--scenario", "Server");
    cr_expect_eq(p.code, 0, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "mlperf.conf:2  bert.Server.target_latency = 130  (other "
                                     "model)"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "mlperf.conf:6  rnnt.*.min_query_count = 100"), "%s",
                       p.out);
    cr_expect_null(strstr(p.out, "not shown"), "%s", p.out);
    proc_free(&p);
    RUN(&p, "config", "--help");
    cr_expect_not_null(strstr(p.out, "--all"), "%s", p.out);
    proc_free(&p);
}

/* docs/cli.md states the null SUT's nominal capacity the code uses (3e7 samples/s) and
 * its fixed Server default (1e5), which the message above names. */
Test(config_files, the_docs_state_the_null_suts_capacity_the_code_uses, .timeout = 30)
{
    const char *root = getenv("LOADGEN_ROOT");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/docs/cli.md", root && *root ? root : ".");
    char *doc = slurp(path);
    /* Lines wrap anywhere: compare with every run of blanks made one space. */
    size_t k = 0;
    for (size_t i = 0; doc[i]; i++)
        if (!(doc[i] == ' ' || doc[i] == '\n') || (k && doc[k - 1] != ' '))
            doc[k++] = doc[i] == '\n' ? ' ' : doc[i];
    doc[k] = '\0';
    cr_expect_not_null(strstr(doc, "3e7 samples per second for the null SUT"), "docs/cli.md");
    cr_expect_not_null(strstr(doc, "1e5 for the null SUT"), "docs/cli.md");
    cr_expect_null(strstr(doc, "2e6"), "docs/cli.md still names 2e6");
    free(doc);
}

/* ---- signals -------------------------------------------------------------------------------- */

/* Starts the program in the background (stdout and stderr to files in g_tmp). */
static pid_t spawn(const char *const *argv)
{
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/spawn.out", g_tmp);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (chdir(g_cwd) != 0)
            _exit(127);
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(program(), (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits for pid at most seconds; returns its wait status, or -1 on timeout (killed). */
static int wait_for(pid_t pid, double seconds)
{
    for (int i = 0; i < (int)(seconds * 100); i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void expect_no_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        cr_expect_null(strstr(e->d_name, ".tmp."), "left behind: %s", e->d_name);
    closedir(d);
}

static void check_signal_stops_run(int sig)
{
    const char *dir = in_cwd("sig");
    const char *const argv[] = {"loadgen", "run", "--sut", "synthetic", "--scenario", "Server",
                                "--target-qps", "2000",
                                "--service-mean-us", "200", "--min-duration-ms", "60000",
                                "--out", dir, "--no-progress", NULL};
    pid_t pid = spawn(argv);
    usleep(1200000);
    cr_assert_eq(kill(pid, sig), 0);
    int st = wait_for(pid, 20);
    cr_assert_neq(st, -1, "the program did not stop within 20 s of the signal");
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d", st);
    expect_five_files(dir);
    expect_no_tmp_files(dir);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j);
    cr_expect(json_is_true(json_object_get(j, "aborted")));
    cr_expect(json_is_false(json_object_get(j, "valid")));
    json_t *counts = json_object_get(j, "counts");
    cr_expect_gt(json_integer_value(json_object_get(counts, "samples_issued")), 1000);
    cr_expect_eq(json_integer_value(json_object_get(counts, "samples_issued")),
                 json_integer_value(json_object_get(counts, "samples_completed")));
    json_decref(j);
    char *s = summary_of(dir);
    cr_expect_not_null(strstr(s, "Result is : INVALID"));
    cr_expect_not_null(strstr(s, "the run was aborted"));
    free(s);
}

Test(signals, sigint_stops_the_run_and_writes_complete_logs_marked_aborted, .timeout = 60, TMP)
{
    check_signal_stops_run(SIGINT);
}

Test(signals, sigterm_stops_the_run_and_writes_complete_logs_marked_aborted, .timeout = 60,
     TMP)
{
    check_signal_stops_run(SIGTERM);
}

Test(signals, a_second_sigint_exits_at_once_without_half_written_files, .timeout = 60, TMP)
{
    /* A SUT that never answers and a long sample timeout: after the first SIGINT the
     * LoadGen waits for outstanding samples; the second one must not wait. */
    const char *dir = in_cwd("sig2");
    const char *const argv[] = {"loadgen", "run", "--sut", "synthetic", "--scenario", "Server",
                                "--target-qps", "500",
                                "--sut-drop-fraction", "1", "--sample-timeout-ms", "60000",
                                "--min-duration-ms", "60000", "--out", dir, "--no-progress",
                                NULL};
    pid_t pid = spawn(argv);
    usleep(800000);
    kill(pid, SIGINT);
    usleep(300000);
    int st0;
    cr_assert_eq(waitpid(pid, &st0, WNOHANG), 0, "the first SIGINT should wait for samples");
    kill(pid, SIGINT);
    int st = wait_for(pid, 5);
    cr_assert_neq(st, -1, "the second SIGINT did not exit within 5 s");
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status %d", st);
    expect_no_tmp_files(dir);
}

/* ---- disk space ----------------------------------------------------------------------------- */

/* Mounts a tmpfs of `size` (e.g. "1m") at g_tmp/name into mnt, or skips the test when
 * it cannot (it needs root). */
static void mount_small_tmpfs(const char *name, const char *size, char mnt[PATH_MAX])
{
    char cmd[PATH_MAX + 64];
    snprintf(mnt, PATH_MAX, "%s/%s", g_tmp, name);
    cr_assert_eq(mkdir(mnt, 0777), 0);
    snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=%s tmpfs '%s' 2>/dev/null", size, mnt);
    if (system(cmd) != 0)
        cr_skip("cannot mount a small tmpfs here (needs root)");
}

Test(output_folder, a_disk_too_small_for_the_logs_is_refused_before_the_run, .timeout = 60,
     TMP)
{
    char mnt[PATH_MAX], cmd[PATH_MAX + 64];
    mount_small_tmpfs("tiny", "1m", mnt);
    char out[PATH_MAX + 8];
    snprintf(out, sizeof out, "%s/run", mnt);
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "1000000",
        "--min-duration-ms", "1000", "--out", out, "--no-progress");
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    int um = system(cmd);
    cr_expect_eq(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "MB free"), "stderr: %s", p.err);
    cr_expect_not_null(strstr(p.err, "--no-samples-file"), "stderr: %s", p.err);
    cr_expect_eq(um, 0);
    proc_free(&p);
}

/* The bytes a sample the space check counted samples.bin at, from its refusal
 * ("samples.bin counted at up to 9.1 bytes a sample"); -1 when the message lacks it. */
static double refusal_bytes_per_sample(const char *err)
{
    const char *at = strstr(err, "samples.bin counted at up to ");
    double per = -1;
    if (!at || sscanf(at, "samples.bin counted at up to %lf bytes a sample", &per) != 1)
        return -1;
    return per;
}

Test(output_folder, the_space_refusal_states_the_per_sample_bound_it_used_not_32_bytes,
     .timeout = 60, TMP)
{
    char mnt[PATH_MAX], cmd[PATH_MAX + 64], out[PATH_MAX + 8];
    mount_small_tmpfs("tiny", "1m", mnt);
    snprintf(out, sizeof out, "%s/run", mnt);
    /* Offline, 1024 QSL samples: state 2 + latency change 5 + index 2 (1023 < 2^14)
     * bytes, and 26 bytes a block of 4096: 9.006, printed rounded up. samples.bin was
     * once said to take 32 bytes a sample, version 1's record. */
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--target-qps", "100000",
        "--min-duration-ms", "1000", "--total-sample-count", "1024", "--out", out,
        "--quiet");
    cr_expect_eq(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "samples.bin counted at up to 9.1 bytes a sample for "
                                     "about 1.1e+05 samples"), "%s", p.err);
    cr_expect_null(strstr(p.err, "32 bytes"), "%s", p.err);
    proc_free(&p);
    /* Server adds the gap between arrivals (1 + log2(1 + 2 x 20 us in ns) / 7 = 3.19 at
     * 50000/s) and the issue lag (4); a QSL of 70000 samples takes 3 bytes an index. */
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "50000",
        "--min-duration-ms", "1000", "--total-sample-count", "70000", "--out", out,
        "--quiet");
    cr_expect_eq(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_eq(refusal_bytes_per_sample(p.err), 17.2, "%s", p.err);
    proc_free(&p);
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    cr_expect_eq(system(cmd), 0);
}

Test(output_folder, a_disk_with_room_for_the_encoders_bound_but_not_32_bytes_a_sample_runs,
     .timeout = 120, TMP)
{
    char mnt[PATH_MAX], cmd[PATH_MAX + 64], out[PATH_MAX + 8];
    mount_small_tmpfs("small", "3m", mnt);
    /* 110,000 Offline samples: 1 MB for the other logs and 110,000 x 9.1 bytes = 2.05 MB
     * fit in 3 MB; at 32 bytes a sample (4.57 MB) the run was refused. */
    snprintf(out, sizeof out, "%s/off", mnt);
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--target-qps", "100000",
        "--min-duration-ms", "1000", "--total-sample-count", "1024", "--out", out,
        "--quiet");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/samples.bin", out);
    struct stat st;
    cr_expect_eq(stat(path, &st), 0, "%s", path);
    proc_free(&p);
    /* 210,000 Server samples at 16 bytes need more than the 3 MB; without samples.bin
     * (--no-samples-file) only the other logs' 1 MB is counted, and the run starts. */
    snprintf(out, sizeof out, "%s/srv", mnt);
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "1000000",
        "--min-duration-ms", "200", "--out", out, "--quiet");
    cr_expect_eq(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "MB free"), "%s", p.err);
    cr_expect_gt(refusal_bytes_per_sample(p.err), 10, "%s", p.err);
    proc_free(&p);
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "1000000",
        "--min-duration-ms", "200", "--out", out, "--quiet", "--no-samples-file");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_null(strstr(p.err, "MB free"), "%s", p.err);
    snprintf(path, sizeof path, "%s/samples.bin", out);
    cr_expect(!exists(path));
    proc_free(&p);
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    cr_expect_eq(system(cmd), 0);
}

/* The space check's per-sample figure is an upper bound of what the writer takes: each
 * run is first refused on a 1 MB disk (its estimate is always above the 1 MB counted for
 * the other logs), which states the figure, then run for real; its samples.bin, header
 * included, must be within the figure times the records it holds. The synthetic
 * Offline run (workers finishing out of order) took 5.3 bytes a sample, above the 4 once
 * counted for Offline. */
Test(output_folder, the_per_sample_figure_bounds_real_runs_samples_bin, .timeout = 240, TMP)
{
    char mnt[PATH_MAX], cmd[PATH_MAX + 64], out[PATH_MAX + 8];
    mount_small_tmpfs("tiny", "1m", mnt);
    snprintf(out, sizeof out, "%s/run", mnt);
    static const char *const runs[][16] = {
        {"--sut", "null", "--scenario", "Offline", "--target-qps", "200000",
         "--min-duration-ms", "200"},
        {"--sut", "null", "--scenario", "Server", "--target-qps", "50000",
         "--min-duration-ms", "300"},
        {"--sut", "null", "--scenario", "SingleStream", "--min-duration-ms", "200"},
        {"--sut", "synthetic", "--scenario", "Offline", "--min-duration-ms", "300"},
        {"--sut", "synthetic", "--scenario", "Server", "--target-qps", "2000",
         "--min-duration-ms", "500", "--sut-tokens", "8", "--sut-tpot-us", "100",
         "--workers", "8", "--use-token-latencies"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        const char *argv[24] = {"loadgen", "run"};
        size_t n = 2;
        for (size_t k = 0; runs[i][k]; k++)
            argv[n++] = runs[i][k];
        argv[n++] = "--quiet";
        argv[n++] = "--out";
        argv[n++] = out;
        argv[n] = NULL;
        proc p;
        run_prog(&p, argv, false);
        cr_assert_eq(p.code, 2, "run %zu: exit %d, stderr: %s", i, p.code, p.err);
        double per = refusal_bytes_per_sample(p.err);
        cr_assert_gt(per, 0, "run %zu: %s", i, p.err);
        cr_expect_lt(per, 32, "run %zu: %s", i, p.err);
        proc_free(&p);
        char real[PATH_MAX];
        snprintf(real, sizeof real, "%s/real-%zu", g_tmp, i);
        argv[n - 1] = real;
        run_prog(&p, argv, false);
        cr_assert_lt(p.code, 2, "run %zu: exit %d, stderr: %s", i, p.code, p.err);
        proc_free(&p);
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/samples.bin", real);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        unsigned char hb[LG_SAMPLES_HEADER_BYTES];
        cr_assert_eq(fread(hb, 1, sizeof hb, f), sizeof hb);
        cr_assert_eq(fseek(f, 0, SEEK_END), 0);
        long size = ftell(f);
        fclose(f);
        lg_samples_header h;
        cr_assert_eq(lg_samples_header_decode(hb, &h), 0, "%s", path);
        cr_assert_gt(h.count, 0);
        double bound = LG_SAMPLES_HEADER_BYTES + per * (double)h.count;
        cr_log_info("run %zu: %llu samples, %.2f bytes a sample, the bound %.1f", i,
                    (unsigned long long)h.count,
                    (double)(size - LG_SAMPLES_HEADER_BYTES) / (double)h.count, per);
        cr_expect_leq((double)size, bound, "run %zu: samples.bin has %ld bytes for %llu "
                      "samples, above %.1f a sample", i, size, (unsigned long long)h.count,
                      per);
    }
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    cr_expect_eq(system(cmd), 0);
}

Test(runs, html_flag_writes_the_runs_html_report, .timeout = 60, TMP)
{
    proc p;
    char html[PATH_MAX];
    snprintf(html, sizeof html, "%s/r.html", g_tmp);
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "20000",
        "--min-duration-ms", "200", "--out", in_cwd("o"), "--html", html, "--no-progress");
    cr_expect_lt(p.code, 2, "exit %d, stderr: %s", p.code, p.err);
    proc_free(&p);
    char *text = slurp(html);
    cr_assert_not_null(text);
    cr_expect_not_null(strstr(text, "id=\"plot-spectrum-1\""));
    cr_expect_null(strstr(text, "<script"));
    free(text);
    RUN(&p, "run", "--sut", "null", "--out", in_cwd("n"), "--html", html, "--no-samples-file");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "--no-samples-file"), "stderr: %s", p.err);
    proc_free(&p);
}

/* ---- hostile use: signals while writing, pipes, overwrites, limits ------------------------- */

/* Starts the program with its stdout and stderr on the given descriptors (-1: a file
 * spawn.out in g_tmp), stdin from /dev/null. */
static pid_t spawn_fds(const char *const *argv, int out_fd, int err_fd)
{
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/spawn.out", g_tmp);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (fd < 0 || in < 0 || chdir(g_cwd) != 0 || dup2(in, 0) < 0 ||
            dup2(out_fd >= 0 ? out_fd : fd, 1) < 0 || dup2(err_fd >= 0 ? err_fd : fd, 2) < 0)
            _exit(127);
        execv(program(), (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* The name of the first entry of dir whose name contains part, or NULL (static). */
static const char *entry_with(const char *dir, const char *part)
{
    static char name[256];
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    struct dirent *e;
    const char *found = NULL;
    while (!found && (e = readdir(d)))
        if (strstr(e->d_name, part)) {
            snprintf(name, sizeof name, "%s", e->d_name);
            found = name;
        }
    closedir(d);
    return found;
}

/* Waits up to seconds for an entry of dir whose name contains part; true when seen. */
static bool wait_for_entry(const char *dir, const char *part, double seconds)
{
    for (int i = 0; i < (int)(seconds * 2000); i++) {
        if (entry_with(dir, part))
            return true;
        usleep(500);
    }
    return false;
}

Test(signals, a_second_sigint_while_the_logs_are_written_leaves_no_tmp_file_and_a_rerun_is_refused,
     .timeout = 90, TMP)
{
    /* A fast Server run writes tens of MB of samples.bin; the second SIGINT arrives while
     * one of the logs exists only under its temporary name. The file was once
     * left behind as NAME.tmp.PID and the folder looked complete. */
    const char *dir = in_cwd("w");
    const char *const argv[] = {"loadgen", "run", "--scenario", "Server", "--sut", "null",
                                "--target-qps", "1000000", "--min-duration-ms", "1000",
                                "--out", dir, "--quiet", NULL};
    pid_t pid = spawn_fds(argv, -1, -1);
    bool seen = wait_for_entry(dir, ".tmp.", 30);
    kill(pid, SIGINT);
    usleep(2000);
    kill(pid, SIGINT);
    int st = wait_for(pid, 30);
    cr_assert(seen, "no log was ever seen under its temporary name");
    cr_assert_neq(st, -1, "the program did not exit within 30 s");
    cr_assert(WIFEXITED(st), "died of signal %d", WTERMSIG(st));
    expect_no_tmp_files(dir);
    char results[PATH_MAX];
    snprintf(results, sizeof results, "%s/results.json", dir);
    if (WEXITSTATUS(st) == 130) {
        /* Stopped while writing: no results.json, and the folder is refused as an
         * incomplete run, not as "already holds a run", and left alone. */
        cr_expect(!exists(results), "results.json written by a run that quit mid-write");
        size_t before = count_entries(dir);
        proc p;
        RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50", "--out", dir, "--quiet");
        cr_expect_eq(p.code, 2, "exit %d", p.code);
        cr_expect_not_null(strstr(p.err, "holds an incomplete run (no results.json"), "%s",
                           p.err);
        cr_expect_not_null(strstr(p.err, "choose another --out"), "%s", p.err);
        cr_expect_eq(count_entries(dir), before, "the rerun changed the folder");
        proc_free(&p);
    } else {
        /* The files were all written before the second signal was handled. */
        cr_expect_leq(WEXITSTATUS(st), 1, "exit %d", WEXITSTATUS(st));
        cr_expect(exists(results));
    }
}

Test(runs, a_folder_with_run_files_but_no_results_json_is_refused_as_an_incomplete_run,
     .timeout = 30, TMP)
{
    const char *dir = in_cwd("half");
    cr_assert_eq(mkdir(dir, 0777), 0);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/mlperf_log_summary.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("kept\n", f);
    fclose(f);
    proc p;
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50", "--out", dir, "--quiet");
    cr_expect_eq(p.code, 2, "exit %d", p.code);
    cr_expect_not_null(strstr(p.err, "holds an incomplete run (no results.json"), "%s", p.err);
    cr_expect_null(strstr(p.err, "already holds a run"), "%s", p.err);
    proc_free(&p);
    char *text = slurp(path);
    cr_expect_str_eq(text, "kept\n");
    free(text);
    cr_expect_eq(count_entries(dir), 1);
}

Test(signals, sighup_stops_the_run_and_writes_complete_logs_marked_aborted, .timeout = 60, TMP)
{
    check_signal_stops_run(SIGHUP);
}

Test(signals, sighup_with_the_terminal_gone_still_writes_the_logs, .timeout = 60, TMP)
{
    /* A closed ssh session: stdout and stderr lead nowhere (pipes without a reader), so
     * the "stopping" message and the results fail to print; the run must not die of it. */
    int out[2], err[2];
    cr_assert_eq(pipe(out), 0);
    cr_assert_eq(pipe(err), 0);
    const char *dir = in_cwd("hup");
    const char *const argv[] = {"loadgen", "run", "--sut", "synthetic", "--scenario", "Server",
                                "--target-qps", "2000",
                                "--service-mean-us", "200", "--min-duration-ms", "60000",
                                "--out", dir, "--no-progress", NULL};
    pid_t pid = spawn_fds(argv, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    close(out[0]);
    close(err[0]);
    usleep(1000000);
    cr_assert_eq(kill(pid, SIGHUP), 0);
    int st = wait_for(pid, 20);
    cr_assert_neq(st, -1, "the program did not stop within 20 s of SIGHUP");
    cr_assert(WIFEXITED(st), "died of signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    cr_expect_eq(WEXITSTATUS(st), 1);
    expect_five_files(dir);
    expect_no_tmp_files(dir);
}

/* Runs argv with stdout on a pipe whose reader, like `head -1`, reads one line and goes
 * away; returns the wait status. */
static int run_into_head_1(const char *const *argv)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    pid_t pid = spawn_fds(argv, fd[1], -1);
    close(fd[1]);
    char c;
    while (read(fd[0], &c, 1) == 1 && c != '\n')
        ;
    close(fd[0]);
    int st = wait_for(pid, 60);
    cr_assert_neq(st, -1, "the program did not finish within 60 s");
    return st;
}

Test(pipes, run_repeat_into_head_1_finishes_every_repetition_and_the_summary, .timeout = 90,
     TMP)
{
    const char *dir = in_cwd("rep");
    const char *const argv[] = {"loadgen", "run", "--sut", "null", "--scenario", "Server",
                                "--target-qps", "20000", "--min-duration-ms", "200",
                                "--repeat", "3", "--out", dir, "--no-progress", NULL};
    int st = run_into_head_1(argv);
    cr_assert(WIFEXITED(st), "died of signal %d (SIGPIPE is 13)", WTERMSIG(st));
    cr_expect_leq(WEXITSTATUS(st), 1);
    char path[PATH_MAX];
    for (int k = 1; k <= 3; k++) {
        snprintf(path, sizeof path, "%s/rep-%d/results.json", dir, k);
        cr_expect(exists(path), "%s missing", path);
    }
    snprintf(path, sizeof path, "%s/repetitions.json", dir);
    cr_expect(exists(path), "no repetitions.json");
}

Test(pipes, demo_into_head_1_runs_all_four_scenarios, .timeout = 90, TMP)
{
    const char *dir = in_cwd("demo");
    const char *const argv[] = {"loadgen", "demo", "--sut", "null", "--min-duration-ms", "100",
                                "--out", dir, "--no-progress", NULL};
    int st = run_into_head_1(argv);
    cr_assert(WIFEXITED(st), "died of signal %d (SIGPIPE is 13)", WTERMSIG(st));
    cr_expect_leq(WEXITSTATUS(st), 1);
    static const char *const sc[] = {"SingleStream", "MultiStream", "Server", "Offline"};
    for (int i = 0; i < 4; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s/results.json", dir, sc[i]);
        cr_expect(exists(path), "%s missing", path);
    }
}

Test(runs, demo_with_the_null_sut_describes_the_null_sut, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "demo", "--sut", "null", "--min-duration-ms", "50", "--out", in_cwd("d"),
        "--no-progress");
    cr_expect_leq(p.code, 1, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "null SUT (completes every sample at once"), "%s", p.out);
    cr_expect_null(strstr(p.out, "workers"), "%s", p.out);
    cr_expect_null(strstr(p.out, "exponential"), "%s", p.out);
    proc_free(&p);
}

Test(signals, a_repetition_aborted_by_sigint_is_excluded_from_the_summary_and_the_rest_skipped,
     .timeout = 90, TMP)
{
    const char *dir = in_cwd("rep");
    const char *const argv[] = {"loadgen", "run", "--sut", "synthetic", "--scenario", "Server",
                                "--target-qps", "2000",
                                "--service-mean-us", "200", "--min-duration-ms", "1500",
                                "--repeat", "3", "--out", dir, "--no-progress", NULL};
    char out_path[PATH_MAX];
    snprintf(out_path, sizeof out_path, "%s/spawn.out", g_tmp);
    pid_t pid = spawn_fds(argv, -1, -1);
    bool seen = wait_for_entry(dir, "rep-2", 30);
    usleep(400000);
    kill(pid, SIGINT);
    int st = wait_for(pid, 30);
    cr_assert(seen, "rep-2 never started");
    cr_assert_neq(st, -1, "the program did not stop within 30 s of SIGINT");
    cr_assert(WIFEXITED(st));
    cr_expect_eq(WEXITSTATUS(st), 1, "an interrupted series is not VALID");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/rep-2-aborted/results.json", dir);
    cr_expect(exists(path), "the aborted repetition was not kept apart");
    snprintf(path, sizeof path, "%s/rep-2", dir);
    cr_expect(!exists(path), "the aborted repetition is still named rep-2");
    snprintf(path, sizeof path, "%s/rep-3", dir);
    cr_expect(!exists(path), "rep-3 ran after the user asked to stop");
    snprintf(path, sizeof path, "%s/repetitions.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j, "no repetitions.json");
    cr_expect_eq(json_integer_value(json_object_get(j, "repetitions")), 1);
    cr_expect_eq(json_integer_value(json_object_get(j, "repetitions_requested")), 3);
    json_t *ab = json_object_get(j, "aborted_runs");
    cr_expect_eq(json_array_size(ab), 1);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(ab, 0), "dir")),
                     "rep-2-aborted");
    cr_expect(json_is_true(json_object_get(json_array_get(ab, 0), "excluded")));
    /* Every metric has one value: rep-1's. */
    json_t *m = json_array_get(json_object_get(j, "metrics"), 0);
    cr_expect_eq(json_array_size(json_object_get(m, "values")), 1);
    json_decref(j);
    char *text = slurp(out_path);
    cr_expect_not_null(strstr(text, "Across 1 of 3 repetitions, 1 aborted and excluded"), "%s",
                       text);
    free(text);
}

Test(config_files, explain_shows_the_effective_default_sample_timeout_and_its_scenario,
     .timeout = 30, TMP)
{
    static const char *const sc[] = {"Offline", "Server", "SingleStream"};
    for (int i = 0; i < 3; i++) {
        proc p;
        RUN(&p, "config", "--sut", "synthetic", "--explain", "--scenario", sc[i]);
        cr_expect_eq(p.code, 0);
        const char *l = strstr(p.out, "\nsample_timeout_ns ");
        cr_assert_not_null(l, "%s", p.out);
        long long v = strtoll(l + strlen("\nsample_timeout_ns "), NULL, 10);
        cr_expect_gt(v, 0, "%s: the effective timeout is not shown: %.120s", sc[i], l + 1);
        char want[64];
        snprintf(want, sizeof want, "default for %s", sc[i]);
        const char *nl = strchr(l + 1, '\n');
        cr_expect(strstr(l, want) && strstr(l, want) < nl, "%s: %.120s", sc[i], l + 1);
        proc_free(&p);
    }
    proc p;
    RUN(&p, "config", "--sut", "synthetic", "--explain", "--scenario", "Offline", "--sample-timeout-ms", "1500");
    cr_expect_not_null(strstr(p.out, "1500000000"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "command line (--sample-timeout-ms)"), "%s", p.out);
    proc_free(&p);
}

/* Makes a short run in cwd/name for the overwrite tests; returns its results.json. */
static char *short_null_run(const char *name)
{
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Server", "--target-qps", "20000",
        "--min-duration-ms", "100", "--out", name, "--quiet");
    cr_assert_leq(p.code, 1, "%s", p.err);
    proc_free(&p);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/results.json", in_cwd(name));
    return slurp(path);
}

static void expect_overwrite_refused(proc *p, const char *flag)
{
    cr_expect_eq(p->code, 2, "exit %d: %s", p->code, p->err);
    cr_expect_not_null(strstr(p->err, flag), "%s", p->err);
    cr_expect_not_null(strstr(p->err, "a run is never overwritten"), "%s", p->err);
    proc_free(p);
}

Test(output_folder, html_or_report_output_naming_a_run_file_is_refused_and_the_run_kept,
     .timeout = 60, TMP)
{
    proc p;
    /* The run being written: refused before it runs, nothing created. */
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50", "--out", "ow", "--html",
        "ow/results.json");
    expect_overwrite_refused(&p, "--html ow/results.json");
    cr_expect(!exists(in_cwd("ow")), "the refused run created its folder");
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50", "--out", "ow", "--html",
        "./ow/../ow/mlperf_log_summary.txt");
    expect_overwrite_refused(&p, "--html");
    /* A finished run read by report: --out and --html onto its files. */
    char *before = short_null_run("r");
    char bin[PATH_MAX];
    snprintf(bin, sizeof bin, "%s/samples.bin", in_cwd("r"));
    struct stat st0, st1;
    cr_assert_eq(stat(bin, &st0), 0);
    RUN(&p, "report", "r", "--out", "r/samples.bin");
    expect_overwrite_refused(&p, "--out r/samples.bin");
    RUN(&p, "report", "r", "--html", "./r/../r/results.json");
    expect_overwrite_refused(&p, "--html");
    /* Another run's folder is protected too, whichever run is being read. */
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "50", "--out", "other", "--html",
        "r/results.json");
    expect_overwrite_refused(&p, "--html r/results.json");
    cr_assert_eq(stat(bin, &st1), 0);
    cr_expect_eq(st0.st_size, st1.st_size);
    cr_expect_eq(st0.st_mtime, st1.st_mtime);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/results.json", in_cwd("r"));
    char *after = slurp(path);
    cr_expect_str_eq(after, before, "results.json changed");
    free(before);
    free(after);
    /* A new name inside the run folder is fine. */
    RUN(&p, "report", "r", "--out", "r/report.md");
    cr_expect_eq(p.code, 0, "%s", p.err);
    proc_free(&p);
}

USAGE_ERROR(float_flag_with_a_leading_space_is_refused, "--target-qps: ' 5' is not a number",
            NULL, "run", "--target-qps", " 5")
USAGE_ERROR(integer_flag_with_a_leading_zero_is_refused_as_octal, "--min-query-count: '010'",
            "leading zero", "run", "--min-query-count", "010")

/* One number grammar: the flags, --set and the config files read the same numbers
 * (hexadecimal whole numbers and a '+' sign included) to the same values. */
Test(usage_errors, flags_set_and_config_files_take_one_number_grammar, .timeout = 30, TMP)
{
    const char *conf = write_tmp_file("mlperf.conf", "*.*.qsl_rng_seed = 0x10\n");
    const char *const ways[][2] = {
        {"--qsl-rng-seed", "0x10"},
        {"--set", "qsl_rng_seed=0x10"},
        {"--qsl-rng-seed", "+16"},
        {"--conf", conf},
    };
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        proc p;
        RUN(&p, "config", "--sut", "synthetic", "--explain", ways[i][0], ways[i][1]);
        cr_expect_eq(p.code, 0, "%s %s: %s", ways[i][0], ways[i][1], p.err);
        const char *line = strstr(p.out, "qsl_rng_seed");
        cr_expect(line && strncmp(line, "qsl_rng_seed", 12) == 0 && strstr(line, " 16"),
                  "%s %s: %s", ways[i][0], ways[i][1], p.out);
        proc_free(&p);
    }
    proc p;
    RUN(&p, "config", "--sut", "synthetic", "--explain", "--target-qps", "0x10", "--scenario", "Server");
    cr_expect_eq(p.code, 0, "%s", p.err);
    proc_free(&p);
}

Test(usage_errors, plain_decimal_and_scientific_floats_are_accepted, .timeout = 30, TMP)
{
    static const char *const ok[] = {"5", "5.0", "1e3", "0.5", "2E+2", "-0"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        proc p;
        /* --service-mean-us takes [0, 3.6e9]; config --explain runs nothing. */
        RUN(&p, "config", "--sut", "synthetic", "--service-mean-us", ok[i]);
        cr_expect_eq(p.code, 0, "'%s': exit %d: %s", ok[i], p.code, p.err);
        proc_free(&p);
    }
}

Test(usage_errors, a_100_kb_value_is_echoed_cut_to_64_characters_with_its_length, .timeout = 30,
     TMP)
{
    char *huge = malloc(100001);
    cr_assert_not_null(huge);
    memset(huge, '9', 100000);
    huge[100000] = '\0';
    static const char *const flags[] = {"--target-qps", "--min-duration-ms", "--scenario",
                                        "--set"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        proc p;
        RUN(&p, "run", flags[i], huge);
        cr_expect_eq(p.code, 2);
        cr_expect_lt(strlen(p.err), 400, "%s: %zu bytes of message", flags[i], strlen(p.err));
        cr_expect_not_null(strstr(p.err, "(100000 chars)"), "%s: %s", flags[i], p.err);
        proc_free(&p);
    }
    free(huge);
}

Test(output_folder, an_out_path_longer_than_the_limit_is_refused_as_too_long, .timeout = 30, TMP)
{
    char *out = malloc(5001);
    cr_assert_not_null(out);
    memset(out, 'a', 5000);
    out[5000] = '\0';
    proc p;
    RUN(&p, "run", "--sut", "null", "--out", out);
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "--out: the path is too long (5000 characters"), "%s",
                       p.err);
    cr_expect_not_null(strstr(p.err, "PATH_MAX"), "%s", p.err);
    cr_expect_null(strstr(p.err, "already holds"), "%s", p.err);
    proc_free(&p);
    RUN(&p, "run", "--sut", "null", "--repeat", "2", "--out", out);
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "too long"), "%s", p.err);
    proc_free(&p);
    free(out);
}

Test(runs, a_qsl_too_big_for_memory_is_refused_up_front_naming_the_flags, .timeout = 30, TMP)
{
    /* 2^30 bytes x 65536 samples = 64 TiB: more than any test machine has. Once
     * the QSL's allocation failed and the message blamed --performance-sample-count. */
    proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--target-qps", "1000",
        "--min-duration-ms", "10", "--sample-size", "1073741824", "--total-sample-count",
        "65536", "--performance-sample-count", "65536", "--out", "m");
    cr_expect_eq(p.code, 2, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "--sample-size 1073741824"), "%s", p.err);
    cr_expect_not_null(strstr(p.err, "--performance-sample-count 65536"), "%s", p.err);
    cr_expect_not_null(strstr(p.err, "GiB are available"), "%s", p.err);
    cr_expect_null(strstr(p.err, "must not exceed"), "%s", p.err);
    cr_expect(!exists(in_cwd("m")));
    proc_free(&p);
}

Test(output_folder, a_full_disk_names_the_file_and_the_system_error, .timeout = 60, TMP)
{
    char mnt[PATH_MAX], cmd[PATH_MAX + 64];
    mount_small_tmpfs("full", "2m", mnt);
    /* SingleStream's estimate is small (min_query_count samples, and at least 1 MB), so
     * the folder is not refused up front, but the null SUT runs far more queries: in 3 s
     * over 700,000 at 3 or more bytes each in samples.bin, beyond the 2 MB, even at the
     * 230,000 queries a second of an ASan build on a busy machine (once, in 300 ms, a
     * slow machine's samples.bin fitted). */
    char out[PATH_MAX + 8];
    snprintf(out, sizeof out, "%s/run", mnt);
    proc p;
    RUN(&p, "run", "--sut", "null", "--min-duration-ms", "3000", "--out", out, "--quiet");
    cr_expect_eq(p.code, 3, "exit %d, stderr: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "could not write the logs to"), "%s", p.err);
    /* The library's account names the file and the system error (lg_last_error). */
    cr_expect_not_null(strstr(p.err, "samples.bin: No space left on device"), "%s", p.err);
    snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
    expect_no_tmp_files(out);
    cr_expect_eq(system(cmd), 0);
    proc_free(&p);
}

Test(runs, the_synthetic_qsl_of_the_largest_dataset_costs_only_its_loaded_samples, .timeout = 30)
{
    /* `run --total-sample-count 4294967295` once failed in a 34 GB calloc of one pointer
     * per dataset sample. The QSL now holds only what is loaded. */
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create("big", UINT32_MAX, 4, 8, 1, &q), 0);
    cr_expect_lt(qsl_synthetic_bytes(4, 8), 4096 + 1024);
    lg_qsl l = qsl_synthetic_qsl(q);
    /* Many sets loaded and unloaded in turn (an accuracy pass), one index twice. */
    for (uint64_t set = 0; set < 200; set++) {
        uint64_t idx[5] = {UINT32_MAX - 1 - set, set * 7919, set * 7919 + 1, 12345 + set,
                           set * 7919};
        cr_assert_eq(l.load(l.ctx, idx, 5), 0);
        cr_assert_eq(qsl_synthetic_loaded(q), 4);
        for (int k = 0; k < 4; k++)
            cr_assert_not_null(qsl_synthetic_data(q, idx[k]), "set %llu index %d",
                               (unsigned long long)set, k);
        cr_assert_null(qsl_synthetic_data(q, 999999999));
        cr_assert_eq(l.unload(l.ctx, idx, 4), 0);
        cr_assert_eq(qsl_synthetic_loaded(q), 0);
        cr_assert_null(qsl_synthetic_data(q, idx[0]));
    }
    /* More than the performance count (performance_sample_count_override): it grows. */
    uint64_t many[100];
    for (int i = 0; i < 100; i++)
        many[i] = (uint64_t)i * 1000003u;
    cr_assert_eq(l.load(l.ctx, many, 100), 0);
    for (int i = 0; i < 100; i++)
        cr_assert_not_null(qsl_synthetic_data(q, many[i]));
    uint64_t bad = UINT32_MAX;
    cr_expect_neq(l.load(l.ctx, &bad, 1), 0);
    cr_expect_eq(qsl_synthetic_load_error(q), LG_EINVAL);
    qsl_synthetic_destroy(q);
}

/* ---- the settings table ---------------------------------------------------------------------- */

/* docs/configuration.md shows the settings table as `loadgen config --settings` prints it:
 * a setting added to the table without the docs (or the reverse) fails here. */
Test(settings_table, the_docs_table_is_the_programs_output, .timeout = 30, TMP)
{
    proc p;
    RUN(&p, "config", "--settings");
    cr_assert_eq(p.code, 0, "%s", p.err);
    const char *root = getenv("LOADGEN_ROOT");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/docs/configuration.md", root ? root : ".");
    char *doc = slurp(path);
    cr_assert_not_null(doc, "%s", path);
    const char *begin = strstr(doc, "<!-- settings table:");
    const char *end = strstr(doc, "<!-- end of the settings table -->");
    cr_assert(begin && end && end > begin, "markers missing in %s", path);
    begin = strchr(begin, '\n') + 1;
    size_t n = (size_t)(end - begin);
    cr_expect(strlen(p.out) == n && memcmp(p.out, begin, n) == 0,
              "docs/configuration.md's table differs from `loadgen config --settings`; "
              "paste its output between the markers:\n%s", p.out);
    /* One row per setting, every one with a default, a range and a doc. */
    size_t rows = 0;
    for (const char *l = p.out; (l = strstr(l, "\n| `")); l++)
        rows++;
    cr_expect_eq(rows, lg_settings_field_count());
    free(doc);
    proc_free(&p);
}

/* Every settings flag in `run --help` comes from the table, with its default. */
Test(settings_table, every_settings_flag_is_in_the_help_and_parses, .timeout = 60, TMP)
{
    proc p;
    RUN(&p, "run", "--help");
    cr_assert_eq(p.code, 0);
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        const char *flag = lg_settings_field_flag(i);
        if (!flag || !lg_settings_field_flag_help(i))
            continue;
        char want[80];
        snprintf(want, sizeof want, "\n  --%s", flag);
        cr_expect_not_null(strstr(p.out, want), "--%s is not in run --help", flag);
        /* The default, in the flag's unit, is accepted back by the flag. */
        char dflt[64];
        lg_settings_field_flag_default(i, dflt, sizeof dflt);
        if (!strcmp(lg_settings_field_unit(i), "bool"))
            continue;
        char arg[128];
        snprintf(arg, sizeof arg, "--%s=%s", flag, dflt);
        proc q;
        RUN(&q, "config", "--sut", "synthetic", "--explain", arg);
        cr_expect_eq(q.code, 0, "%s: %s", arg, q.err);
        proc_free(&q);
    }
    proc_free(&p);
}

/* A misspelled model in user.conf (or in --model) does not pass silently. */
Test(config_files, a_misspelled_model_is_warned_about, .timeout = 60, TMP)
{
    const char *conf = write_tmp_file("user.conf", "resnt50.Server.target_qps = 500\n"
                                                   "resnet50.Server.min_duration = 100\n");
    proc p;
    RUN(&p, "config", "--sut", "synthetic", "--explain", "--conf", conf, "--model", "resnet50", "--scenario",
        "Server");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.err, "loadgen config: warning: ") &&
                  strstr(p.err, "user.conf:1: the model 'resnt50' is not this run's "
                                "('resnet50'): its 1 line applies to nothing in this run; "
                                "did you mean 'resnet50'?"),
              "%s", p.err);
    proc_free(&p);
    RUN(&p, "run", "--sut", "synthetic", "--conf", conf, "--model", "resnet5", "--scenario", "Server",
        "--min-duration-ms", "50", "--min-query-count", "1", "--target-qps", "200", "--out",
        "out", "--no-progress");
    cr_expect_lt(p.code, 2, "%s", p.err);
    cr_expect(strstr(p.err, "loadgen run: warning: the model 'resnet5' is named by no line of "
                            "the config files, so only '*' lines apply; did you mean "
                            "'resnet50'?"), "%s", p.err);
    proc_free(&p);
}

/* ---- provenance ------------------------------------------------------------------------------- */

/* results.json says what was run: the command line, the build, every SUT and QSL
 * parameter, each config file with its SHA-256, and every setting as requested. */
Test(provenance, results_json_records_what_was_run, .timeout = 60, TMP)
{
    const char *conf = write_tmp_file("user.conf", "*.Server.target_qps = 3000\n");
    proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--min-duration-ms", "100", "--min-query-count",
        "1", "--conf", conf, "--service-mean-us", "800", "--workers", "3", "--out", "r",
        "--quiet");
    cr_assert_lt(p.code, 2, "%s", p.err);
    proc_free(&p);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/r/results.json", g_cwd);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert_not_null(j);
    json_t *pv = json_object_get(j, "provenance");
    json_t *notes = json_object_get(pv, "notes");
#define NOTE(k) json_string_value(json_object_get(notes, k))
    cr_assert_not_null(NOTE("command_line"));
    cr_expect(strstr(NOTE("command_line"), "loadgen run --sut synthetic --scenario Server "
                                           "--min-duration-ms 100"), "%s", NOTE("command_line"));
    cr_expect_str_eq(NOTE("sut"), "synthetic");
    cr_expect_str_eq(NOTE("sut.service_mean_us"), "800");
    cr_expect_str_eq(NOTE("sut.workers"), "3");
    cr_expect_str_eq(NOTE("qsl.total_sample_count"), "1024");
    cr_expect(strstr(NOTE("config.1"), "user.conf (user.conf)"), "%s", NOTE("config.1"));
    /* sha256sum of the file's 27 bytes. */
    cr_expect_str_eq(NOTE("config.1.sha256"),
                     "2bd473b2aca149fef181a19fd87f729f0a634fe3bd2e4c70ccf068676170ce7e");
    cr_expect(strncmp(NOTE("program"), "loadgen ", 8) == 0);
#undef NOTE
    json_t *req = json_object_get(pv, "requested_settings");
    cr_expect_eq(json_object_size(req), lg_settings_field_count());
    cr_expect_eq(json_number_value(json_object_get(req, "server_target_qps")), 3000.0);
    cr_expect_str_eq(json_string_value(json_object_get(req, "scenario")), "Server");
    /* The commit of the build, when the tree is a git checkout. */
    const char *root = getenv("LOADGEN_ROOT");
    char cmd[PATH_MAX + 64], rev[64] = "";
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse --short=12 HEAD 2>/dev/null",
             root ? root : ".");
    FILE *g = popen(cmd, "r");
    if (g) {
        if (!fgets(rev, sizeof rev, g))
            rev[0] = '\0';
        pclose(g);
    }
    rev[strcspn(rev, "\n")] = '\0';
    const char *commit = json_string_value(json_object_get(pv, "loadgen_commit"));
    cr_assert_not_null(commit);
    if (rev[0])
        cr_expect(strncmp(commit, rev, strlen(rev)) == 0, "built from %s, recorded %s", rev,
                  commit);
    json_decref(j);
}

/* A network SUT's issue thread wakes at most once per net_issue_batch_ns of the schedule's
 * highest rate: 1 ms from 100k queries/s up, in proportion below; a flag still wins. */
static long long explained_batch(proc *p)
{
    const char *l = strstr(p->out, "\nissue_batch_ns ");
    cr_assert_not_null(l, "%s%s", p->out, p->err);
    return strtoll(l + strlen("\nissue_batch_ns "), NULL, 10);
}

Test(config_files, a_network_sut_wakes_its_issue_thread_in_proportion_to_the_rate,
     .timeout = 30, TMP)
{
    static const struct {
        const char *flag, *value;
        long long want;
    } rate[] = {{"--target-qps", "500", 5000},
                {"--target-qps", "20000", 200000},
                {"--target-qps", "250000", 1000000},
                {"--stages", "1s:20000,2s:300000,1s:0", 1000000}};
    for (size_t i = 0; i < sizeof rate / sizeof rate[0]; i++) {
        proc p;
        RUN(&p, "config", "--explain", "--sut", "kserve", "--url", "http://127.0.0.1:9",
            "--model-name", "m", "--input-shape", "1,4", "--scenario", "Server",
            "--target-qps", "1000", rate[i].flag, rate[i].value);
        cr_expect_eq(p.code, 0, "%s", p.err);
        cr_expect_eq(explained_batch(&p), rate[i].want, "%s %s", rate[i].flag, rate[i].value);
        const char *why = strstr(p.out, "one wake-up per");
        cr_expect_not_null(why, "the origin says why: %s", p.out);
        proc_free(&p);
    }
    proc p;
    RUN(&p, "config", "--explain", "--sut", "openai", "--url", "http://127.0.0.1:9/v1",
        "--model-name", "m", "--dataset", "/dev/null", "--scenario", "Server",
        "--target-qps", "250000", "--issue-batch-ns", "0");
    cr_expect_eq(explained_batch(&p), 0, "%s%s", p.out, p.err);
    cr_expect_not_null(strstr(p.out, "command line (--issue-batch-ns)"), "%s", p.out);
    proc_free(&p);
    /* The synthetic SUT keeps the core's default: once per query. */
    RUN(&p, "config", "--explain", "--sut", "synthetic", "--scenario", "Server",
        "--target-qps", "250000");
    cr_expect_eq(explained_batch(&p), 0, "%s", p.out);
    proc_free(&p);
}
