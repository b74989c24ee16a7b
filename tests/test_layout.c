/* test_layout.c: the modules keep their one-way chain of dependencies
 * (scripts/check_deps.sh, docs/architecture.md): the tree passes, and a back-edge or a
 * foreign internal.h planted in a copy of the tree is caught, named by file and line. */
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
             "harness cli bench examples '%s/tree/' && printf '%%s\\n' '%s' >> '%s/tree/%s'",
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
