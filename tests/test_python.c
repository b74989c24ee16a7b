/* test_python.c: the mlperf_loadgen Python module and the loadgen package (python/,
 * docs/python.md), by running the test scripts of tests/python/ under Debian's pytest
 * (python3-pytest; the scripts are unittest classes, which pytest runs as they are,
 * and each still runs alone with python3) with the interpreter and modules the
 * Makefile built (TEST_PYTHON, TEST_PY_MODULE: the package is beside it), one Criterion
 * test per script or class, each
 * with its timeout (and the scripts' own watchdog per test). A sanitizer build loads its
 * runtime into the uninstrumented interpreter with LD_PRELOAD (TEST_PY_PRELOAD); the
 * interpreter's own allocations at exit are not ours to report, so leak checking is off
 * there. Skipped when python3-dev was missing at build time. */
#include <criterion/criterion.h>

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

#ifndef TEST_PYTHON
#define TEST_PYTHON "python3"
#endif
#ifndef TEST_PY_MODULE
#define TEST_PY_MODULE ""
#endif
#ifndef TEST_PY_PRELOAD
#define TEST_PY_PRELOAD ""
#endif

/* Runs tests/python/SCRIPT (or only its class GROUP) under pytest and fails the test,
 * showing pytest's output, unless every test in it passed and none was skipped. */
static void run_script(const char *script, const char *group)
{
    if (!*TEST_PY_MODULE)
        cr_skip_test("mlperf_loadgen was not built (python3-dev missing)");
    char moddir[PATH_MAX], path[PATH_MAX + 64], pypath[2 * PATH_MAX + 64];
    snprintf(moddir, sizeof moddir, "%s", TEST_PY_MODULE);
    const char *root = getenv("LOADGEN_ROOT");
    root = root && *root ? root : ".";
    char absroot[PATH_MAX];
    cr_assert_not_null(realpath(root, absroot), "LOADGEN_ROOT %s", root);
    snprintf(path, sizeof path, "%s/tests/python/%s", absroot, script);
    snprintf(pypath, sizeof pypath, "%s:%s/tests/python", dirname(moddir), absroot);
    setenv("PYTHONPATH", pypath, 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    if (*TEST_PY_PRELOAD) {
        setenv("LD_PRELOAD", TEST_PY_PRELOAD, 1);
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    }
    if (group)
        snprintf(path + strlen(path), sizeof path - strlen(path), "::%s", group);
    /* -p no:cacheprovider: nothing written into the source tree. */
    const char *argv[] = {"python3", "-m", "pytest", "-v", "-rfEs", "-p", "no:cacheprovider",
                          path, NULL};
    tu_proc p;
    tu_run_exe(&p, TEST_PYTHON, argv);
    unsetenv("LD_PRELOAD");
    cr_assert_eq(p.code, 0, "%s failed (exit %d%s):\n%s\n%s", path, p.code,
                 strstr(p.err, "No module named pytest")
                     ? ": pytest is missing, run scripts/setup.sh test (python3-pytest)"
                     : "",
                 p.out, p.err);
    cr_assert_not_null(strstr(p.out, " passed"), "%s: no 'passed' line:\n%s", path, p.out);
    cr_assert_null(strstr(p.out, " skipped"), "%s: tests were skipped:\n%s", path, p.out);
    tu_proc_free(&p);
}

Test(python, surface_names_types_defaults_errors, TU_TMP, .timeout = 120)
{
    run_script("test_surface.py", NULL);
}

Test(python, each_scenario_and_mode, TU_TMP, .timeout = 180)
{
    run_script("test_run.py", "Scenarios");
}

Test(python, threads_completing_at_once, TU_TMP, .timeout = 120)
{
    run_script("test_run.py", "Threads");
}

Test(python, first_tokens, TU_TMP, .timeout = 120)
{
    run_script("test_run.py", "Tokens");
}

Test(python, callbacks_and_their_exceptions, TU_TMP, .timeout = 120)
{
    run_script("test_run.py", "Callbacks");
}

Test(python, log_settings_and_audit_config, TU_TMP, .timeout = 120)
{
    run_script("test_run.py", "LogSettings");
}

Test(python, reference_counts_over_many_completions, TU_TMP, .timeout = 180)
{
    run_script("test_run.py", "RefCounts");
}

Test(python, package_settings_by_name, TU_TMP, .timeout = 120)
{
    run_script("test_package.py", "Settings");
}

Test(python, package_run_on_the_worker_pool, TU_TMP, .timeout = 180)
{
    run_script("test_package.py", "Run");
}

Test(python, package_framework_compare_report, TU_TMP, .timeout = 240)
{
    run_script("test_package.py", "Framework");
}

Test(python, package_docs_examples_run, TU_TMP, .timeout = 240)
{
    run_script("test_package.py", "Docs");
}
