/* test_install.c: verifies `make install` into a temporary prefix: the library, the
 * headers and the pkg-config file are enough to build and run examples/minimal.c, the
 * shared library exports no internal symbol, and every installed header compiles alone
 * as C11 -pedantic. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *root(void)
{
    const char *r = getenv("LOADGEN_ROOT");
    return r ? r : ".";
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd);
}

Test(install, installs_library_headers_and_pkgconfig_that_build_the_example,
     .timeout = 240)
{
    char prefix[] = "/tmp/lg-install-XXXXXX";
    cr_assert_not_null(mkdtemp(prefix));
    /* The plain build: the example is compiled without sanitizers. */
    cr_assert_eq(sh("make -s -C '%s' install BUILD=build PREFIX='%s' >/dev/null", root(),
                    prefix), 0, "make install failed");
    char path[4200];
    const char *files[] = {"lib/libloadgen.a", "lib/libloadgen.so", "bin/loadgen",
                           "include/loadgen/loadgen.h", "include/stats/stats.h",
                           "include/sut/sut.h", "include/qsl/qsl.h",
                           "include/harness/harness.h", "lib/pkgconfig/loadgen.pc"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", prefix, files[i]);
        cr_expect_eq(access(path, R_OK), 0, "not installed: %s", files[i]);
    }
    /* The shared library exports its public names and no internal (double underscore)
     * one (loadgen.map). */
    char nm[8192];
    snprintf(nm, sizeof nm, "nm -D --defined-only '%s/lib/libloadgen.so' | awk '{print $3}' "
             "| grep -c __", prefix);
    FILE *f = popen(nm, "r");
    cr_assert_not_null(f);
    int internal = -1;
    cr_expect_eq(fscanf(f, "%d", &internal), 1);
    pclose(f);
    cr_expect_eq(internal, 0, "libloadgen.so exports %d internal symbols", internal);
    snprintf(nm, sizeof nm, "nm -D --defined-only '%s/lib/libloadgen.so' | grep -qw "
             "lg_run_test", prefix);
    cr_expect_eq(system(nm), 0, "libloadgen.so does not export lg_run_test");
    char env[512];
    snprintf(env, sizeof env, "PKG_CONFIG_PATH='%s/lib/pkgconfig'", prefix);
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && %s cc -std=c11 -Wall -Wextra -Werror examples/minimal.c "
             "$(%s pkg-config --cflags --libs loadgen) -o '%s/minimal' && "
             "LD_LIBRARY_PATH='%s/lib' '%s/minimal' >/dev/null",
             root(), env, env, prefix, prefix, prefix);
    /* The example exits 0 (VALID) or 1 (INVALID, possible on a loaded machine); anything
     * else means it did not build or did not run. */
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) <= 1,
              "building or running the example failed (status %d): %s", st, cmd);
    /* Each installed header stands alone. */
    const char *headers[] = {"loadgen/loadgen.h", "loadgen/ring.h", "stats/stats.h",
                             "sut/sut.h", "qsl/qsl.h", "loadgen/config.h",
                             "report/report.h", "plot/plot.h", "harness/harness.h"};
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        snprintf(cmd, sizeof cmd,
                 "echo '#include <%s>' | cc -std=c11 -Wall -Wextra -pedantic -Werror "
                 "-fsyntax-only -I'%s/include' $(pkg-config --cflags gsl) -x c -",
                 headers[i], prefix);
        cr_expect_eq(system(cmd), 0, "header does not compile alone: %s", headers[i]);
    }
    sh("rm -rf '%s'%s", prefix, "");
}
