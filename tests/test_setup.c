/* test_setup.c: scripts/setup.sh, the first thing a fresh clone runs (`make check` and
 * CI start with it). It runs here on a copy of the files it reads, with dpkg-query,
 * apt-get, node and npm replaced by stubs that record their calls, so that nothing is
 * installed. Regression: on a clone without tests/browser/node_modules the version probe
 * failed under `set -e` and the script exited 2 before anything else ran. */
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

/* tu_tmp/tree holds setup.sh and the browser test's package.json; tu_tmp/stub holds the
 * stubs. dpkg-query says "installed" except for the packages named in tu_tmp/absent;
 * apt-get and npm append their arguments to tu_tmp/calls; `npm ci` installs the pinned
 * playwright-core (or the version in tu_tmp/npm_version) as npm would. */
static void make_tree(void)
{
    char abs[PATH_MAX];
    cr_assert_not_null(realpath(root(), abs));
    char cmd[PATH_MAX * 4];
    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s'; mkdir -p tree/scripts tree/tests/browser stub; "
             "cp '%s/scripts/setup.sh' tree/scripts/; "
             "cp '%s/tests/browser/package.json' tree/tests/browser/; : > absent; : > calls",
             tu_tmp, abs, abs);
    cr_assert_eq(system(cmd), 0, "%s", cmd);

    static const char *const stubs[][2] = {
        {"dpkg-query",
         "#!/bin/sh\n"
         "for a; do p=$a; done\n"
         "grep -qx \"$p\" \"$STUBDIR/../absent\" && exit 1\n"
         "printf 'install ok installed'\n"},
        {"apt-get", "#!/bin/sh\necho \"apt-get $*\" >> \"$STUBDIR/../calls\"\n"},
        {"sudo", "#!/bin/sh\necho \"sudo\" >> \"$STUBDIR/../calls\"\n\"$@\"\n"},
        {"node", "#!/bin/sh\necho v18.19.0\n"},
        {"npm",
         "#!/bin/sh\n"
         "echo \"npm $*\" >> \"$STUBDIR/../calls\"\n"
         "v=$(sed -n 's/.*\"playwright-core\": \"\\(.*\\)\".*/\\1/p' package.json)\n"
         "[ -s \"$STUBDIR/../npm_version\" ] && v=$(cat \"$STUBDIR/../npm_version\")\n"
         "mkdir -p node_modules/playwright-core\n"
         "printf '{\\n  \"name\": \"playwright-core\",\\n  \"version\": \"%s\",\\n}\\n' "
         "\"$v\" > node_modules/playwright-core/package.json\n"},
    };
    for (size_t i = 0; i < sizeof stubs / sizeof stubs[0]; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/stub/%s", tu_tmp, stubs[i][0]);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f, "%s", path);
        fputs(stubs[i][1], f);
        cr_assert_eq(fclose(f), 0);
        snprintf(cmd, sizeof cmd, "chmod +x '%s'", path);
        cr_assert_eq(system(cmd), 0);
    }
}

/* Runs `sh scripts/setup.sh arg` in the tree with the stubs first on PATH; what the stubs
 * were asked to do, in *calls (the caller frees it). */
static void setup(tu_proc *p, const char *arg, char **calls)
{
    char script[PATH_MAX * 2];
    snprintf(script, sizeof script,
             "cd tree && STUBDIR='%s/stub' PATH='%s/stub':/usr/bin:/bin sh scripts/setup.sh %s",
             tu_tmp, tu_tmp, arg);
    const char *const argv[] = {"sh", "-c", script, NULL};
    tu_run_exe(p, "/bin/sh", argv);
    if (calls) {
        *calls = tu_slurp(tu_in_tmp("calls"), NULL);
        FILE *f = fopen(tu_in_tmp("calls"), "w");
        cr_assert_not_null(f);
        fclose(f);
    }
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)) != NULL; s += strlen(needle))
        n++;
    return n;
}

Test(setup, a_fresh_clone_installs_the_pinned_browser_driver_once, TU_TMP, .timeout = 30)
{
    make_tree();
    tu_proc p;
    char *calls;
    setup(&p, "test", &calls);
    cr_expect_eq(p.code, 0, "exit %d: %s", p.code, p.err);
    cr_expect_eq(count(calls, "npm ci"), 1, "%s", calls);
    cr_expect_eq(count(calls, "apt-get"), 0, "nothing was missing: %s", calls);
    tu_proc_free(&p);
    free(calls);

    /* Again: the pinned version is there, nothing to do. */
    setup(&p, "test", &calls);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_eq(calls[0], '\0', "a second run did: %s", calls);
    tu_proc_free(&p);
    free(calls);
}

Test(setup, another_version_of_the_driver_is_replaced, TU_TMP, .timeout = 30)
{
    make_tree();
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "echo 1.64.1 > '%s/npm_version'", tu_tmp);
    cr_assert_eq(system(cmd), 0);
    tu_proc p;
    char *calls;
    setup(&p, "test", &calls);
    cr_assert_eq(p.code, 0, "%s", p.err);
    free(calls);
    tu_proc_free(&p);

    /* The pin now differs from what is installed: the next run reinstalls it. */
    snprintf(cmd, sizeof cmd, ": > '%s/npm_version'", tu_tmp);
    cr_assert_eq(system(cmd), 0);
    setup(&p, "test", &calls);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_eq(count(calls, "npm ci"), 1, "%s", calls);
    cr_expect(strstr(p.err, "installing playwright-core"), "%s", p.err);
    tu_proc_free(&p);
    free(calls);
}

Test(setup, only_the_missing_packages_are_installed, TU_TMP, .timeout = 30)
{
    make_tree();
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof cmd, "printf 'libgsl-dev\\nchromium\\n' > '%s/absent'", tu_tmp);
    cr_assert_eq(system(cmd), 0);
    tu_proc p;
    char *calls;

    /* Without `test`: the build's packages only, and no browser driver. */
    setup(&p, "", &calls);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(calls, "install -y -qq --no-install-recommends libgsl-dev\n"), "%s",
              calls);
    cr_expect_eq(count(calls, "npm"), 0, "%s", calls);
    tu_proc_free(&p);
    free(calls);

    setup(&p, "test", &calls);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect(strstr(calls, "--no-install-recommends libgsl-dev chromium\n"), "%s", calls);
    cr_expect(strstr(p.err, "setup: installing libgsl-dev chromium"), "%s", p.err);
    tu_proc_free(&p);
    free(calls);
}

/* The project holds itself to what Debian 12 ships. */

/* Every engine the locked browser-test packages ask for accepts Debian 12's Node.js
 * (18.19): playwright-core 1.62 and later want 20 and would fail there. */
Test(setup, the_locked_npm_packages_run_on_debian_12s_node, .timeout = 30)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/tests/browser/package-lock.json", root());
    char *lock = tu_slurp(path, NULL);
    size_t engines = 0;
    for (const char *p = lock; (p = strstr(p, "\"engines\"")); p++) {
        const char *node = strstr(p, "\"node\"");
        cr_assert_not_null(node, "an engines entry without node in %s", path);
        const char *v = strchr(node + 6, '"');
        cr_assert_not_null(v);
        v++;
        cr_assert(!strncmp(v, ">=", 2), "an engine range other than >=N: %.20s", v);
        int major = atoi(v + 2);
        cr_expect_leq(major, 18, "a locked package needs Node.js %d; Debian 12 ships 18",
                      major);
        engines++;
    }
    cr_expect_gt(engines, 0, "no engines in %s", path);
    free(lock);
}

/* On Debian 12 itself (CI, a user's machine), every package the setup installs is in the
 * release's archive, so that the README's commands need nothing from elsewhere. */
Test(setup, every_package_the_setup_installs_is_in_debian_12, .timeout = 60)
{
    char *ver = tu_exists("/etc/debian_version") ? tu_slurp("/etc/debian_version", NULL)
                                                  : NULL;
    if (!ver || strncmp(ver, "12", 2) || system("command -v apt-cache >/dev/null 2>&1")) {
        free(ver);
        cr_skip_test("not a Debian 12 system");
    }
    free(ver);
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd,
             "n=0; for p in $(sed -n 's/^\\(pkgs=\"\\|[a-z]*) pkgs=\"$pkgs \\)\\([^\"]*\\)\".*/\\2/p' "
             "'%s/scripts/setup.sh'); do n=$((n+1)); "
             "c=$(apt-cache policy \"$p\" 2>/dev/null | sed -n 's/^ *Candidate: //p'); "
             "[ -n \"$c\" ] && [ \"$c\" != '(none)' ] || { echo \"missing $p\"; exit 1; }; "
             "done; echo \"ok $n\"",
             root());
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    char out[256] = "";
    if (!fgets(out, sizeof out, f))
        out[0] = '\0';
    int rc = pclose(f);
    cr_expect_eq(rc, 0, "not in Debian 12's archive: %s", out);
    int n = 0;
    cr_expect(sscanf(out, "ok %d", &n) == 1 && n >= 10, "packages read from setup.sh: %s",
              out);
}
