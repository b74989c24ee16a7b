/* test_layout.c: the modules keep their one-way chain of dependencies
 * (scripts/check_deps.sh, docs/architecture.md): the tree passes, and a back-edge or a
 * foreign internal.h planted in a copy of the tree is caught, named by file and line.
 * And the docs and sources refer to nothing outside the repository
 * (scripts/check_refs.sh): no sibling folder, research notes or tracker numbers. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

static const char *root(void)
{
    const char *r = getenv("LOADGEN_ROOT");
    return r ? r : ".";
}

/* Runs check_deps.sh on dir; its stderr in p. */
static void check_deps(tu_proc *p, const char *dir)
{
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/scripts/check_deps.sh", root());
    const char *const argv[] = {"sh", script, dir, NULL};
    tu_run_exe(p, "/bin/sh", argv);
}

Test(layout, the_tree_keeps_its_one_way_chain, TU_TMP, .timeout = 30)
{
    char abs[PATH_MAX];
    cr_assert_not_null(realpath(root(), abs));
    tu_proc p;
    check_deps(&p, abs);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "one-way chain"), "%s", p.out);
    tu_proc_free(&p);
}

/* Copies the modules' sources into tu_tmp/tree and appends `line` to `file` there. */
static void plant(const char *file, const char *line)
{
    char cmd[PATH_MAX * 3];
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/tree' && cd '%s' && cp -r stats plot loadgen sut qsl report "
             "harness cli mpi bench examples '%s/tree/' && printf '%%s\\n' '%s' >> '%s/tree/%s'",
             tu_tmp, root(), tu_tmp, line, tu_tmp, file);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(layout, a_back_edge_is_caught_with_its_file_and_line, TU_TMP, .timeout = 30)
{
    plant("stats/sort.c", "#include \"loadgen/loadgen.h\"");
    tu_proc p;
    check_deps(&p, "tree");
    cr_expect_eq(p.code, 1);
    cr_expect(strstr(p.err, "stats/sort.c:"), "%s", p.err);
    cr_expect(strstr(p.err, "stats may not include loadgen/loadgen.h"), "%s", p.err);
    tu_proc_free(&p);
}

Test(layout, a_module_reaching_up_the_chain_is_caught, TU_TMP, .timeout = 30)
{
    plant("loadgen/run.c", "#include \"report/report.h\"");
    tu_proc p;
    check_deps(&p, "tree");
    cr_expect_eq(p.code, 1);
    cr_expect(strstr(p.err, "loadgen may not include report/report.h"), "%s", p.err);
    tu_proc_free(&p);
}

Test(layout, another_modules_internal_header_is_caught, TU_TMP, .timeout = 30)
{
    plant("report/env.c", "#include \"loadgen/internal.h\"");
    tu_proc p;
    check_deps(&p, "tree");
    cr_expect_eq(p.code, 1);
    cr_expect(strstr(p.err, "report/env.c:"), "%s", p.err);
    cr_expect(strstr(p.err, "a module's internal.h is its own"), "%s", p.err);
    tu_proc_free(&p);
}

/* ---- references outside the repository ---------------------------------------------- */

/* Runs check_refs.sh on dir; its stderr in p. */
static void check_refs(tu_proc *p, const char *dir)
{
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/scripts/check_refs.sh", root());
    const char *const argv[] = {"sh", script, dir, NULL};
    tu_run_exe(p, "/bin/sh", argv);
}

Test(layout, the_docs_and_sources_refer_to_nothing_outside_the_repository, TU_TMP,
     .timeout = 30)
{
    char abs[PATH_MAX];
    cr_assert_not_null(realpath(root(), abs));
    tu_proc p;
    check_refs(&p, abs);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(p.out, "no references outside the repository"), "%s", p.out);
    tu_proc_free(&p);
}

/* Writes text into tu_tmp/refs/<file>, making its folder. */
static void write_ref(const char *file, const char *text)
{
    char path[PATH_MAX], cmd[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/refs/%s", tu_tmp, file);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    cr_assert_eq(system(cmd), 0);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* Each planted line is caught with its file and line; public references of other
 * projects and the verb "issues" are not. (The strings are split so that this file
 * passes the check itself.) */
Test(layout, references_outside_the_repository_are_caught, TU_TMP, .timeout = 30)
{
    static const struct {
        const char *file, *text, *shown;
    } bad[] = {
        {"docs/a.md", "intro\nIt starts from `../sha" "red/DESIGN.md`.\n",
         "docs/a.md:2:"},
        {"docs/b.md", "See the notes in research" "/trial.md.\n", "docs/b.md:1:"},
        {"loadgen/x.c", "/* fixed in issue" " 12 */\n", "loadgen/x.c:1:"},
        {"tests/test_y.c", "\n\n/* (Issue" " #7, finding" " 3) */\n", "tests/test_y.c:3:"},
        {"bench/README.md", "from the newcomer" "-trial.md\n", "bench/README.md:1:"},
        {"Makefile", "# see /work/sha" "red/x\n", "Makefile:1:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[PATH_MAX];
        snprintf(cmd, sizeof cmd, "rm -rf '%s/refs'", tu_tmp);
        cr_assert_eq(system(cmd), 0);
        write_ref("docs/ok.md", "Criterion cannot start under TSan (Snaipe/Criterion#274).\n"
                                "The LoadGen issues 1.1 x expected QPS samples.\n");
        write_ref(bad[i].file, bad[i].text);
        tu_proc p;
        check_refs(&p, tu_in_tmp("refs"));
        cr_expect_eq(p.code, 1, "%s was not caught: %s", bad[i].file, p.out);
        cr_expect(strstr(p.err, bad[i].shown), "%s: %s", bad[i].shown, p.err);
        cr_expect_null(strstr(p.err, "ok.md"), "a public reference was caught: %s", p.err);
        tu_proc_free(&p);
    }
    /* Only the allowed ones: it passes. */
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/refs'", tu_tmp);
    cr_assert_eq(system(cmd), 0);
    write_ref("docs/ok.md", "Criterion cannot start under TSan (Snaipe/Criterion#274).\n");
    tu_proc p;
    check_refs(&p, tu_in_tmp("refs"));
    cr_expect_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
}

Test(layout, the_mpi_library_reaches_no_further_than_loadgen_and_stats, TU_TMP, .timeout = 30)
{
    plant("mpi/dist.c", "#include \"report/report.h\"");
    tu_proc p;
    check_deps(&p, "tree");
    cr_expect_eq(p.code, 1);
    cr_expect(strstr(p.err, "mpi/dist.c:"), "%s", p.err);
    cr_expect(strstr(p.err, "mpi may not include report/report.h (allowed: loadgen stats)"),
              "%s", p.err);
    tu_proc_free(&p);
}
