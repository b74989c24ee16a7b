/* test_plugin.c: `loadgen run --sut plugin:PATH.so` (cli/plugin.c, sut/plugin.h,
 * docs/plugins.md), as a user runs it: examples/plugin_echo.c through every scenario
 * and the accuracy mode, VALID with every sample accounted for, with the program's QSL
 * and its own; what results.json records of it; the broken plugins of
 * tests/plugins/bad.c and other files that are not plugins, each refused with exit 2
 * and a message naming the path and the cause, nothing written; options the plugin
 * refuses (2), a plugin that cannot start or whose QSL fails (3); --sut-opt's own
 * errors; a plugin that leaves a thread running (kept loaded, a warning); one linked
 * against libloadgen.so, whose completions still reach the program's LoadGen; SIGINT
 * during a run; and the program's exported symbols, which plugins bind to.
 *
 * The plugins are built by the Makefile beside the program: <BUILD>/examples/ and
 * <BUILD>/tests/plugins/, with the same sanitizers. */
#include <criterion/criterion.h>

#include <jansson.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sut/plugin.h"
#include "tests/testutil.h"

/* <BUILD>/REL, where <BUILD>/bin/loadgen is the program under test. */
static const char *in_build(const char *rel)
{
    static char path[4][PATH_MAX];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, PATH_MAX, "%s", tu_program());
    for (int i = 0; i < 2; i++) {
        char *slash = strrchr(p, '/');
        cr_assert_not_null(slash, "%s", p);
        *slash = '\0';
    }
    size_t n = strlen(p);
    snprintf(p + n, PATH_MAX - n, "/%s", rel);
    return p;
}

/* "plugin:<BUILD>/REL", checked to exist (the Makefile builds it before this test). */
static const char *plugin(const char *rel)
{
    static char arg[4][PATH_MAX + 16];
    static int next;
    const char *path = in_build(rel);
    cr_assert_eq(access(path, R_OK), 0, "%s is not built", path);
    char *a = arg[next++ % 4];
    snprintf(a, PATH_MAX + 16, "plugin:%s", path);
    return a;
}

#define ECHO plugin("examples/plugin_echo.so")

static json_t *load_json(const char *dir, const char *file)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", tu_in_tmp(dir), file);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    cr_assert_not_null(j, "%s: %s", path, je.text);
    return j;
}

static long long count_of(json_t *results, const char *name)
{
    return json_integer_value(json_object_get(json_object_get(results, "counts"), name));
}

static const char *note_of(json_t *results, const char *key)
{
    json_t *notes = json_object_get(json_object_get(results, "provenance"), "notes");
    const char *v = json_string_value(json_object_get(notes, key));
    cr_assert_not_null(v, "provenance note %s missing", key);
    return v;
}

/* A finished run's results.json: valid as expected, and every sample issued completed
 * once, none failed, timed out, duplicated or unknown. Returns it (json_decref). */
static json_t *expect_accounted(const char *dir, bool valid)
{
    json_t *r = load_json(dir, "results.json");
    cr_expect_eq(json_is_true(json_object_get(r, "valid")), valid, "%s: valid is not %d",
                 dir, valid);
    cr_expect_gt(count_of(r, "samples_issued"), 0, "%s", dir);
    cr_expect_eq(count_of(r, "samples_issued"), count_of(r, "samples_completed"), "%s", dir);
    static const char *const zero[] = {"samples_failed", "samples_timed_out",
                                       "duplicate_completions", "unknown_completions",
                                       "late_completions", "bad_responses"};
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
        cr_expect_eq(count_of(r, zero[i]), 0, "%s: %s is %lld", dir, zero[i],
                     count_of(r, zero[i]));
    cr_expect_str_eq(json_string_value(json_object_get(r, "sut_name")), "echo");
    return r;
}

/* ---------------------------------------------------------------- good runs */

/* The echo plugin on 2 workers with a service time of delay_us a batch, for 300 ms and
 * at least `queries` queries (enough for early stopping at the scenario's percentile).
 * Server runs at a rate far below its capacity, Offline expects more than it can do (the
 * query then lasts longer than the minimum duration). */
static void run_scenario(const char *scenario, const char *delay_us, const char *extra_opt,
                         const char *qps, const char *queries)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", delay_us, "--sut-opt", "workers=2",
        "--sut-opt", extra_opt, "--scenario", scenario, "--target-qps", qps,
        "--min-duration-ms", "300", "--min-query-count", queries, "--out", "out",
        "--no-progress");
    cr_expect_eq(p.code, 0, "%s: exit %d: %s%s", scenario, p.code, p.out, p.err);
    cr_expect_null(strstr(p.err, "warning"), "%s", p.err);
    tu_proc_free(&p);
    json_t *r = expect_accounted("out", true);
    cr_expect_str_eq(json_string_value(json_object_get(r, "scenario")), scenario);
    json_decref(r);
}

Test(plugin, single_stream_is_valid_with_every_sample_accounted, TU_TMP, .timeout = 60)
{
    run_scenario("SingleStream", "delay_us=200", "echo=data", "100", "100");
}

Test(plugin, multi_stream_is_valid_with_every_sample_accounted, TU_TMP, .timeout = 60)
{
    run_scenario("MultiStream", "delay_us=200", "batch=4", "100", "700");
}

Test(plugin, server_is_valid_with_every_sample_accounted, TU_TMP, .timeout = 60)
{
    run_scenario("Server", "delay_us=200", "echo=index", "2000", "1000");
}

Test(plugin, offline_is_valid_with_every_sample_accounted, TU_TMP, .timeout = 60)
{
    /* 2000 samples/s at most: the query of 1.1 x 4000/s x 300 ms takes 0.66 s. */
    run_scenario("Offline", "delay_us=1000", "batch=1", "4000", "1");
}

/* Decodes the accuracy log's hex data into buf; returns its length. */
static size_t unhex(const char *hex, unsigned char *buf, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        cr_assert_eq(sscanf(hex, "%2x", &v), 1, "bad hex %s", hex);
        buf[n++] = (unsigned char)v;
    }
    return n;
}

/* Every index 0..total-1 once in DIR's accuracy log; each entry's data checked by kind:
 * 'i' its index as 8 little-endian bytes, 't' the own QSL's "echo sample N", or
 * 's' SIZE bytes of the program's QSL. */
static void expect_accuracy_log(const char *dir, size_t total, char kind, size_t size)
{
    json_t *log = load_json(dir, "mlperf_log_accuracy.json");
    cr_assert(json_is_array(log));
    cr_expect_eq(json_array_size(log), total, "%s: %zu entries", dir, json_array_size(log));
    char *seen = calloc(total, 1);
    size_t i;
    json_t *e;
    json_array_foreach(log, i, e) {
        json_int_t idx = json_integer_value(json_object_get(e, "qsl_idx"));
        cr_assert(idx >= 0 && (size_t)idx < total, "qsl_idx %lld", (long long)idx);
        cr_expect_eq(seen[idx]++, 0, "index %lld logged twice", (long long)idx);
        unsigned char b[256];
        size_t n = unhex(json_string_value(json_object_get(e, "data")), b, sizeof b);
        if (kind == 'i') {
            unsigned long long v = 0;
            for (size_t k = 0; k < 8 && k < n; k++)
                v |= (unsigned long long)b[k] << (8 * k);
            cr_expect(n == 8 && v == (unsigned long long)idx, "index %lld echoed as %llu",
                      (long long)idx, v);
        } else if (kind == 't') {
            char want[64];
            snprintf(want, sizeof want, "echo sample %lld", (long long)idx);
            cr_expect(n == strlen(want) && !memcmp(b, want, n), "index %lld: %.*s",
                      (long long)idx, (int)n, (const char *)b);
        } else {
            cr_expect_eq(n, size, "index %lld: %zu bytes", (long long)idx, n);
        }
    }
    free(seen);
    json_decref(log);
}

Test(plugin, accuracy_mode_logs_every_sample_once_in_every_scenario, TU_TMP, .timeout = 120)
{
    static const char *const scenarios[] = {"SingleStream", "MultiStream", "Server",
                                            "Offline"};
    for (size_t s = 0; s < 4; s++) {
        char out[32];
        snprintf(out, sizeof out, "acc-%zu", s);
        tu_proc p;
        RUN(&p, "run", "--sut", ECHO, "--sut-opt", "echo=index", "--sut-opt", "workers=3",
            "--scenario", scenarios[s], "--target-qps", "20000", "--mode", "accuracy",
            "--total-sample-count", "333", "--performance-sample-count", "100", "--out", out,
            "--no-progress");
        cr_expect_eq(p.code, 0, "%s: exit %d: %s", scenarios[s], p.code, p.err);
        tu_proc_free(&p);
        json_decref(expect_accounted(out, true));
        expect_accuracy_log(out, 333, 'i', 0);
    }
}

Test(plugin, echoes_the_program_qsl_bytes_of_each_sample, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--mode", "accuracy", "--total-sample-count", "200",
        "--performance-sample-count", "50", "--sample-size", "24", "--out", "out",
        "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
    json_decref(expect_accounted("out", true));
    expect_accuracy_log("out", 200, 's', 24);
}

/* samples=N: the plugin's own QSL, loaded and unloaded by the LoadGen (a sample issued
 * but not loaded would fail with ENOENT: none does), in a submission run. */
Test(plugin, serves_its_own_qsl_in_a_submission_run, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "samples=500", "--sut-opt", "performance=100",
        "--mode", "submission", "--min-duration-ms", "300", "--out", "out", "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
    json_t *r = expect_accounted("out", true);
    cr_expect_str_eq(json_string_value(json_object_get(r, "qsl_name")), "echo");
    cr_expect_str_eq(note_of(r, "qsl"), "plugin");
    cr_expect_str_eq(note_of(r, "qsl.total_sample_count"), "500");
    cr_expect_str_eq(note_of(r, "qsl.performance_sample_count"), "100");
    json_t *notes = json_object_get(json_object_get(r, "provenance"), "notes");
    cr_expect_null(json_object_get(notes, "qsl.sample_size"));
    json_decref(r);
    expect_accuracy_log("out", 500, 't', 0);
}

Test(plugin, results_json_records_which_plugin_ran, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "delay_us=50", "--sut-opt", "batch=2",
        "--min-duration-ms", "200", "--out", "out", "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
    json_t *r = expect_accounted("out", true);
    const char *path = in_build("examples/plugin_echo.so");
    char real[PATH_MAX];
    cr_assert_not_null(realpath(path, real));
    cr_expect_str_eq(note_of(r, "sut"), ECHO);
    cr_expect_str_eq(note_of(r, "sut.plugin.path"), real);
    cr_expect_str_eq(note_of(r, "sut.plugin.name"), "echo");
    cr_expect_str_eq(note_of(r, "sut.plugin.version"), "1.0");
    cr_expect_str_eq(note_of(r, "sut.plugin.abi_version"), "1");
    cr_expect_str_eq(note_of(r, "sut.options"), "delay_us=50 batch=2");
    cr_expect_str_eq(note_of(r, "sut.parameters"), "delay_us=50 workers=2 batch=2 echo=data");
    cr_expect_str_eq(note_of(r, "qsl"), "synthetic");
    /* The library's hash as sha256sum gives it. */
    char cmd[PATH_MAX + 32], sum[80] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", real);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    cr_expect_eq(fscanf(f, "%64s", sum), 1);
    pclose(f);
    cr_expect_str_eq(note_of(r, "sut.plugin.sha256"), sum);
    json_decref(r);
}

/* Each repetition loads the plugin, makes its instance, and unloads it again. */
Test(plugin, repeat_loads_a_fresh_instance_per_repetition, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "delay_us=100", "--repeat", "3",
        "--min-duration-ms", "200", "--out", "rep", "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d: %s%s", p.code, p.out, p.err);
    tu_proc_free(&p);
    for (int k = 1; k <= 3; k++) {
        char dir[32];
        snprintf(dir, sizeof dir, "rep/rep-%d", k);
        json_decref(expect_accounted(dir, true));
    }
}

/* A plugin linked against libloadgen.so: that library is loaded too, but the plugin's
 * lg_complete() binds to the program's (the global scope is searched first), so the
 * completions reach the running test. Otherwise every sample would time out. */
Test(plugin, a_plugin_linked_with_libloadgen_completes_into_the_program, TU_TMP,
     .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", plugin("tests/plugins/echo_linked.so"), "--min-duration-ms",
        "200", "--sample-timeout-ms", "2000", "--out", "out", "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
    json_decref(expect_accounted("out", true));
}

/* ---------------------------------------------------------------- refused plugins */

typedef struct refusal {
    const char *path; /* <BUILD>-relative, or as given when it starts with '/' or '.' */
    const char *cause;
    const char *also; /* more of the message, further on; may be NULL */
} refusal;

/* Runs with --sut plugin:PATH: exit 2, "loadgen: --sut plugin:PATH: CAUSE", no folder. */
static void expect_refused(const refusal *r, int code)
{
    char sut[PATH_MAX + 16], want[PATH_MAX + 512];
    const char *path = r->path[0] == '/' || r->path[0] == '.' ? r->path : in_build(r->path);
    snprintf(sut, sizeof sut, "plugin:%s", path);
    tu_proc p;
    RUN(&p, "run", "--sut", sut, "--out", "out", "--min-duration-ms", "100");
    cr_expect_eq(p.code, code, "%s: exit %d: %s", r->path, p.code, p.err);
    snprintf(want, sizeof want, "loadgen: --sut plugin:%s: %s", path, r->cause);
    cr_expect_not_null(strstr(p.err, want), "%s:\nwanted: %s\ngot:    %s", r->path, want,
                       p.err);
    if (r->also)
        cr_expect_not_null(strstr(p.err, r->also), "%s: no '%s' in %s", r->path, r->also,
                           p.err);
    cr_expect_not(tu_exists(tu_in_tmp("out")), "%s: an output folder was made", r->path);
    tu_proc_free(&p);
}

Test(plugin, a_file_that_is_not_a_plugin_is_refused_naming_the_cause, TU_TMP,
     .timeout = 60)
{
    FILE *f = fopen(tu_in_tmp("text.so"), "w");
    cr_assert_not_null(f);
    fputs("not a library\n", f);
    fclose(f);
    cr_assert_eq(mkfifo(tu_in_tmp("fifo.so"), 0600), 0);
    /* tests/plugins/bad.c's short table ends before own_qsl. */
    char small[160];
    snprintf(small, sizeof small, "its table is %zu bytes (struct_size), smaller than the "
             "%zu bytes of ABI version 1's fields", offsetof(lg_plugin, own_qsl),
             sizeof(lg_plugin));
    const refusal rs[] = {
        {"./missing.so", "no such file", NULL},
        {"./text.so", "not a shared library (no ELF header", NULL},
        {"obj/cli/main.o", "not a shared library but an object file (.o)", NULL},
        {"bin/loadgen", "cannot be loaded: ", "position-independent executable"},
        {"examples", "is a folder, not a shared library", NULL},
        {"./fifo.so", "not a regular file, so not a shared library", NULL},
        {"tests/plugins/bad_no_entry.so",
         "not a loadgen plugin: it has no symbol loadgen_plugin_entry", NULL},
        {"tests/plugins/bad_null_table.so", "loadgen_plugin_entry() returned NULL", NULL},
        {"tests/plugins/bad_abi2.so", "it was built for plugin ABI version 2, but this "
                                      "loadgen", NULL},
        {"tests/plugins/bad_small_table.so", small, NULL},
        {"tests/plugins/bad_no_issue.so", "its table has no issue(), which is required", NULL},
        {"tests/plugins/bad_undefined.so", "cannot be loaded: ",
         "undefined symbol: lg_no_such_function (a plugin may call the functions of "
         "libloadgen's public headers"},
    };
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++)
        expect_refused(&rs[i], 2);
}

Test(plugin, options_the_plugin_refuses_exit_2_with_its_message, TU_TMP, .timeout = 60)
{
    static const struct {
        const char *opt, *msg;
    } cases[] = {
        {"bogus=1", "the plugin refused its options: unknown option 'bogus' (known: "},
        {"workers=0", "the plugin refused its options: workers=0: expected a whole number "
                      "from 1 to 64"},
        {"echo=both", "the plugin refused its options: echo=both: expected data or index"},
        {"delay_us=-1", "the plugin refused its options: delay_us=-1: expected a whole "
                        "number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_proc p;
        RUN(&p, "run", "--sut", ECHO, "--sut-opt", cases[i].opt, "--out", "out");
        cr_expect_eq(p.code, 2, "%s: exit %d: %s", cases[i].opt, p.code, p.err);
        cr_expect_not_null(strstr(p.err, cases[i].msg), "%s: %s", cases[i].opt, p.err);
        cr_expect_not(tu_exists(tu_in_tmp("out")));
        tu_proc_free(&p);
    }
}

Test(plugin, a_plugin_that_cannot_start_exits_3, TU_TMP, .timeout = 30)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "fail_create=1", "--out", "out");
    cr_expect_eq(p.code, 3, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "the plugin could not start: fail_create=1: failing on "
                              "purpose"), "%s", p.err);
    cr_expect_not(tu_exists(tu_in_tmp("out")));
    tu_proc_free(&p);
}

Test(plugin, a_failing_plugin_qsl_ends_the_run_invalid_exit_3, TU_TMP, .timeout = 30)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "samples=10", "--sut-opt", "fail_load=1",
        "--out", "out", "--no-progress");
    cr_expect_eq(p.code, 3, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "the QSL failed"), "%s", p.err);
    json_t *r = load_json("out", "results.json");
    cr_expect(json_is_false(json_object_get(r, "valid")));
    json_decref(r);
    tu_proc_free(&p);
}

Test(plugin, sut_opt_errors_name_the_option, TU_TMP, .timeout = 30)
{
    static const struct {
        const char *sut, *opt, *msg;
    } cases[] = {
        {NULL, "delay_us", "--sut-opt: 'delay_us': no '='; expected KEY=VALUE"},
        {NULL, "=5", "--sut-opt: '=5': the key is empty"},
        {NULL, "de lay=5", "--sut-opt: 'de lay=5': a key holds only letters, digits"},
        {"synthetic", "delay_us=5", "--sut-opt delay_us=5: only a plugin SUT takes options"},
        {"plugin:", NULL, "--sut plugin: needs the path of a shared library"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_proc p;
        const char *sut = cases[i].sut ? cases[i].sut : ECHO;
        if (cases[i].opt)
            RUN(&p, "run", "--sut", sut, "--sut-opt", cases[i].opt, "--out", "out");
        else
            RUN(&p, "run", "--sut", sut, "--out", "out");
        cr_expect_eq(p.code, 2, "case %zu: exit %d: %s", i, p.code, p.err);
        cr_expect_not_null(strstr(p.err, cases[i].msg), "case %zu: %s", i, p.err);
        cr_expect_not(tu_exists(tu_in_tmp("out")));
        tu_proc_free(&p);
    }
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "workers=1", "--sut-opt", "workers=2");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "--sut-opt: 'workers=2': the key 'workers' is given "
                              "twice (first as 'workers=1')"), "%s", p.err);
    tu_proc_free(&p);
}

Test(plugin, flags_that_do_not_fit_a_plugin_are_refused, TU_TMP, .timeout = 30)
{
    tu_proc p;
    /* Its own QSL: the synthetic QSL's size flags do not apply. */
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "samples=10", "--total-sample-count", "5",
        "--out", "out");
    cr_expect_eq(p.code, 2, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "--total-sample-count: the plugin serves its own QSL "
                              "(10 samples, 10 for performance)"), "%s", p.err);
    cr_expect_not(tu_exists(tu_in_tmp("out")));
    tu_proc_free(&p);
    /* Its capacity is unknown: Server and Offline need a rate. */
    RUN(&p, "run", "--sut", ECHO, "--scenario", "Offline", "--out", "out");
    cr_expect_eq(p.code, 2, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "--target-qps: needed for Offline with --sut plugin:"),
                       "%s", p.err);
    tu_proc_free(&p);
    /* The demo runs the built-in SUTs only. */
    RUN(&p, "demo", "--sut", ECHO);
    cr_expect_eq(p.code, 2, "exit %d: %s", p.code, p.err);
    tu_proc_free(&p);
}

/* destroy() left a thread running: unloading the library would crash that thread, so
 * the program keeps it loaded, says so, and ends normally. */
Test(plugin, a_thread_left_running_keeps_the_library_loaded_with_a_warning, TU_TMP,
     .timeout = 30)
{
    tu_proc p;
    RUN(&p, "run", "--sut", ECHO, "--sut-opt", "leak_thread=1", "--min-duration-ms", "200",
        "--out", "out", "--no-progress");
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "1 thread the plugin started still runs after "
                              "destroy(): the library stays loaded"), "%s", p.err);
    tu_proc_free(&p);
    json_decref(expect_accounted("out", true));
}

/* SIGINT in the middle of a Server run: the run stops, aborted, every sample accounted
 * for (the plugin's workers answer what is queued), and the plugin is destroyed and
 * unloaded without a crash. */
Test(plugin, sigint_stops_a_plugin_run_with_every_sample_accounted, TU_TMP, .timeout = 60)
{
    const char *const argv[] = {tu_program(), "run", "--sut", ECHO, "--sut-opt",
                                "delay_us=500", "--scenario", "Server", "--target-qps",
                                "1000", "--min-duration-ms", "60000", "--out", "out",
                                "--no-progress", NULL};
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(tu_in_tmp("err.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || chdir(tu_tmp) || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    usleep(1000000);
    cr_assert_eq(kill(pid, SIGINT), 0);
    int st = -1;
    for (int i = 0; i < 2000 && waitpid(pid, &st, WNOHANG) != pid; i++)
        usleep(10000);
    if (!WIFEXITED(st) && !WIFSIGNALED(st)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        cr_assert_fail("the program did not stop within 20 s of SIGINT");
    }
    char *err = tu_slurp(tu_in_tmp("err.txt"), NULL);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d: %s", st, err);
    free(err);
    json_t *r = load_json("out", "results.json");
    cr_expect(json_is_true(json_object_get(r, "aborted")));
    cr_expect_gt(count_of(r, "samples_issued"), 200);
    cr_expect_eq(count_of(r, "samples_issued"), count_of(r, "samples_completed"));
    cr_expect_eq(count_of(r, "samples_timed_out"), 0);
    json_decref(r);
}

/* ---------------------------------------------------------------- the program */

/* The names a plugin can bind to: the program exports exactly libloadgen.so's public
 * names, every one of them (the core is linked whole), and no internal one. */
/* The sorted names of the functions and data a binary exports, one a line (malloc). */
static char *exported(const char *binary)
{
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' | awk '{print $3}' | sort", binary);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    cr_assert_not_null(buf);
    for (size_t got; (got = fread(buf + n, 1, cap - 1 - n, f)) > 0;) {
        n += got;
        if (n + 1 == cap)
            cr_assert_not_null(buf = realloc(buf, cap *= 2));
    }
    buf[n] = '\0';
    cr_expect_eq(pclose(f), 0, "%s failed", cmd);
    return buf;
}

Test(plugin, the_program_exports_the_core_public_api_and_nothing_else, .timeout = 30)
{
    char *prog = exported(tu_program()), *lib = exported(in_build("lib/libloadgen.so"));
    cr_expect_gt(strlen(prog), 1000, "%s", prog);
    cr_expect_str_eq(prog, lib, "the program's exports differ from libloadgen.so's");
    cr_expect_null(strstr(prog, "__"), "the program exports an internal (__) name");
    free(prog);
    free(lib);
    char cmd[PATH_MAX + 128];
    static const char *const must[] = {"lg_complete", "lg_first_token", "lg_now_ns",
                                       "lg_abort", "sut_pool_create", "qsl_synthetic_data"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' | grep -qw %s", tu_program(),
                 must[i]);
        cr_expect_eq(system(cmd), 0, "the program does not export %s", must[i]);
    }
}

Test(plugin, run_help_lists_the_plugin_sut_and_sut_opt, TU_TMP, .timeout = 30)
{
    tu_proc p;
    RUN(&p, "run", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect_not_null(strstr(p.out, "plugin:PATH.so"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "--sut-opt KEY=VALUE"), "%s", p.out);
    tu_proc_free(&p);
}
