/* test_examples.c - the programs an embedder starts from, built by the Makefile beside
 * the program (<BUILD>/examples/, with the same sanitizers): examples/skeleton.c runs
 * and is the code docs/api.md quotes, word for word; examples/minimal.c runs each
 * scenario with every sample issued completed exactly once (its SUT never drops one).
 * examples/framework.c is run by test_harness.c. */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"

/* <BUILD>/examples/NAME, next to <BUILD>/bin/loadgen. */
static const char *example(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", tu_program());
    for (int i = 0; i < 2; i++) {
        char *slash = strrchr(path, '/');
        cr_assert_not_null(slash, "%s", path);
        *slash = '\0';
    }
    size_t n = strlen(path);
    snprintf(path + n, sizeof path - n, "/examples/%s", name);
    cr_assert_eq(access(path, X_OK), 0, "%s is not built (the Makefile builds the examples "
                 "before this test)", path);
    return path;
}

static const char *source(const char *rel)
{
    static char path[PATH_MAX];
    const char *root = getenv("LOADGEN_ROOT");
    snprintf(path, sizeof path, "%s/%s", root && *root ? root : ".", rel);
    return path;
}

Test(examples, the_skeleton_runs_writes_its_run_and_refuses_to_overwrite_it, TU_TMP,
     .timeout = 120)
{
    const char *exe = example("skeleton");
    tu_proc p;
    const char *const argv[] = {"skeleton", "out", NULL};
    tu_run_exe(&p, exe, argv);
    /* 1 (INVALID) is possible on a loaded machine; the run itself must complete. */
    cr_expect(p.code == 0 || p.code == 1, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.out, "Server PerformanceOnly: "), "%s", p.out);
    cr_expect_not_null(strstr(p.out, " 0 timed out"), "%s", p.out);
    tu_proc_free(&p);
    cr_expect(tu_exists(tu_in_tmp("out/results.json")));
    cr_expect(tu_exists(tu_in_tmp("out/mlperf_log_summary.txt")));
    char *before = tu_slurp(tu_in_tmp("out/results.json"), NULL);
    tu_run_exe(&p, exe, argv);
    cr_expect_eq(p.code, 3, "exit %d: %s", p.code, p.err);
    cr_expect_not_null(strstr(p.err, "skeleton: the output folder already holds a run: "
                              "out has a run's files (results.json)"), "%s", p.err);
    tu_proc_free(&p);
    char *after = tu_slurp(tu_in_tmp("out/results.json"), NULL);
    cr_expect_str_eq(after, before, "the first run's results.json changed");
    free(before);
    free(after);
}

Test(examples, api_md_quotes_the_skeleton_word_for_word, .timeout = 10)
{
    char *code = tu_slurp(source("examples/skeleton.c"), NULL);
    char *doc = tu_slurp(source("docs/api.md"), NULL);
    const char *open = "```c\n/* skeleton.c:";
    char *start = strstr(doc, open);
    cr_assert_not_null(start, "docs/api.md has no block that starts with %s", open);
    start += 5;
    char *end = strstr(start, "\n```\n");
    cr_assert_not_null(end, "the block is not closed");
    end[1] = '\0';
    cr_expect_str_eq(start, code, "docs/api.md's skeleton differs from examples/skeleton.c");
    free(code);
    free(doc);
}

/* One scenario (or all four): exit 0 or 1, and for each run every sample issued was
 * completed, none failed, none timed out. Returns the runs seen. */
static int check_minimal(const char *scenario)
{
    tu_proc p;
    const char *const argv[] = {"minimal", scenario, NULL};
    tu_run_exe(&p, example("minimal"), argv);
    cr_expect(p.code == 0 || p.code == 1, "%s: exit %d: %s", scenario, p.code, p.err);
    int runs = 0;
    for (const char *line = p.out; line && *line; line = strchr(line, '\n'), line += !!line) {
        char name[32], verdict[16];
        unsigned long long issued, completed, failed, timed_out;
        if (sscanf(line, "%31s %15[^:]: %llu samples issued, %llu completed, %llu failed, "
                   "%llu timed out", name, verdict, &issued, &completed, &failed,
                   &timed_out) != 6)
            continue;
        runs++;
        cr_expect(!strcmp(scenario, "all") || !strcmp(name, scenario), "%s ran %s", scenario,
                  name);
        cr_expect_gt(issued, 0, "%s: nothing issued", name);
        cr_expect_eq(completed, issued, "%s: %llu issued, %llu completed", name, issued,
                     completed);
        cr_expect_eq(failed, 0, "%s: %llu failed", name, failed);
        cr_expect_eq(timed_out, 0, "%s: %llu timed out", name, timed_out);
    }
    tu_proc_free(&p);
    return runs;
}

Test(examples, minimal_completes_every_sample_in_each_scenario, TU_TMP, .timeout = 120)
{
    static const char *const scenarios[] = {"SingleStream", "MultiStream", "Server",
                                            "Offline"};
    for (int i = 0; i < 4; i++)
        cr_expect_eq(check_minimal(scenarios[i]), 1, "%s: no result line", scenarios[i]);
}

Test(examples, minimal_runs_all_four_scenarios_by_default_and_refuses_a_bad_one, TU_TMP,
     .timeout = 120)
{
    cr_expect_eq(check_minimal("all"), 4);
    tu_proc p;
    const char *const argv[] = {"minimal", "Servr", NULL};
    tu_run_exe(&p, example("minimal"), argv);
    cr_expect_eq(p.code, 2, "exit %d", p.code);
    cr_expect_not_null(strstr(p.err, "usage: minimal [SingleStream|MultiStream|Server|"
                              "Offline|all]"), "%s", p.err);
    tu_proc_free(&p);
}
