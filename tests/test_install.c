/* test_install.c: verifies `make install` into a temporary prefix: the library, the
 * headers and the pkg-config files are enough to build and run the examples (and, when
 * a C++ compiler built libloadgen_cpp, an MLPerf-style C++ harness), linked
 * against the shared libraries (found through LD_LIBRARY_PATH or an rpath) or their
 * static archives (pkg-config --static with -static, or loadgen-static.pc) without
 * needing libloadgen.so; the shared library exports no internal symbol, and every
 * installed header (each part of report/ too) compiles alone as C11 -pedantic. */
#include <criterion/criterion.h>
#include <stdbool.h>
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

/* libloadgen_cpp, when the build made it (a C++ compiler was there): MLPerf's header
 * names under include/loadgen/mlperf/, each compiling alone as C++17 -pedantic; the
 * MLPerf-style harness of tests/cpp/ built with `pkg-config loadgen-cpp` alone and run
 * (VALID); the shared library exporting only mlperf:: names; and the static archives. */
static void check_cpp(const char *prefix, const char *env)
{
    if (sh("ls '%s'/build/lib/libloadgen_cpp.a >/dev/null 2>&1", root(), NULL) != 0)
        return;
    static const char *const files[] = {
        "lib/libloadgen_cpp.a", "lib/libloadgen_cpp.so", "lib/pkgconfig/loadgen-cpp.pc",
        "include/loadgen/mlperf/loadgen.h", "include/loadgen/mlperf/test_settings.h",
        "include/loadgen/mlperf/query_sample.h", "include/loadgen/mlperf/system_under_test.h",
        "include/loadgen/mlperf/query_sample_library.h",
        "include/loadgen/mlperf/query_dispatch_library.h",
        "include/loadgen/mlperf/bindings/c_api.h"};
    char path[4200], cmd[16384];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", prefix, files[i]);
        cr_expect_eq(access(path, R_OK), 0, "not installed: %s", files[i]);
    }
    snprintf(cmd, sizeof cmd, "cd '%s/include/loadgen/mlperf' && for h in $(find . -name "
             "'*.h'); do echo \"#include \\\"$h\\\"\" | %s g++ -std=c++17 -Wall -Wextra "
             "-Wpedantic -Wshadow -Werror -fsyntax-only $(%s pkg-config --cflags loadgen-cpp) "
             "-x c++ - || exit 1; done", prefix, env, env);
    cr_expect_eq(system(cmd), 0, "an installed C++ header does not compile alone: %s", cmd);
    /* The harness, linked with the shared libraries, then with the static archives. */
    static const char *const links[] = {
        "$(pkg-config --cflags --libs loadgen-cpp)",
        "$(pkg-config --cflags loadgen-cpp) \"$(pkg-config --variable=libdir loadgen-cpp)"
        "/libloadgen_cpp.a\" $(pkg-config --static --libs loadgen-static)"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && export %s && g++ -std=c++17 -Wall -Wextra -Werror -pthread "
                 "tests/cpp/harness.cc %s -o '%s/harness-%zu' && cd '%s' && "
                 "LD_LIBRARY_PATH='%s/lib' './harness-%zu' Server performance >/dev/null && "
                 "grep -q 'Result is : VALID' mlperf_log_summary.txt",
                 root(), env, links[i], prefix, i, prefix, prefix, i);
        cr_expect_eq(system(cmd), 0, "the MLPerf-style harness did not build or run: %s", cmd);
    }
    snprintf(cmd, sizeof cmd, "readelf -d '%s/harness-1' | grep -q 'NEEDED.*libloadgen'",
             prefix);
    cr_expect_neq(system(cmd), 0, "the static link needs a libloadgen .so");
    snprintf(cmd, sizeof cmd, "nm -D --defined-only -C '%s/lib/libloadgen_cpp.so' | "
             "awk '{$1=$2=\"\"; print}' | grep -v '^ *mlperf::' | grep -c .", prefix);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f);
    int other = -1;
    cr_expect_eq(fscanf(f, "%d", &other), 1);
    pclose(f);
    cr_expect_eq(other, 0, "libloadgen_cpp.so exports %d names outside mlperf::", other);
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
    const char *files[] = {"lib/libloadgen.a", "lib/libloadgen.so",
                           "lib/libloadgen_report.a", "lib/libloadgen_report.so",
                           "bin/loadgen", "include/loadgen/loadgen/loadgen.h",
                           "include/loadgen/stats/stats.h", "include/loadgen/sut/sut.h",
                           "include/loadgen/sut/plugin.h",
                           "include/loadgen/qsl/qsl.h", "include/loadgen/report/report.h",
                           "include/loadgen/report/run.h", "include/loadgen/report/metrics.h",
                           "include/loadgen/report/compare.h",
                           "include/loadgen/report/validate.h", "include/loadgen/report/doc.h",
                           "include/loadgen/report/format.h",
                           "include/loadgen/harness/harness.h", "lib/pkgconfig/loadgen.pc",
                           "lib/pkgconfig/loadgen-report.pc",
                           "lib/pkgconfig/loadgen-static.pc",
                           "lib/pkgconfig/loadgen-report-static.pc"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", prefix, files[i]);
        cr_expect_eq(access(path, R_OK), 0, "not installed: %s", files[i]);
    }
    /* The Python module, when the build made one (python3-dev installed), goes to the
     * prefix's dist-packages and imports from there. */
    if (sh("ls '%s'/build/python/mlperf_loadgen*.so >/dev/null 2>&1", root(), NULL) == 0) {
        cr_expect_eq(sh("ls '%s'/lib/python3/dist-packages/mlperf_loadgen*.so >/dev/null",
                        prefix, NULL), 0, "mlperf_loadgen not installed");
        /* Debian's interpreter, the one the Makefile builds for when it is there. */
        cr_expect_eq(sh("PYTHONPATH='%s/lib/python3/dist-packages' \"$(command -v "
                        "/usr/bin/python3 || command -v python3)\" -c "
                        "'import mlperf_loadgen as m; m.TestSettings()'", prefix, NULL), 0,
                     "the installed mlperf_loadgen does not import");
        /* The loadgen package beside it: its Python files and its _core module, which
         * exports nothing but PyInit__core. */
        cr_expect_eq(sh("PYTHONPATH='%s/lib/python3/dist-packages' \"$(command -v "
                        "/usr/bin/python3 || command -v python3)\" -c "
                        "'import loadgen; loadgen.Settings(scenario=\"Server\", "
                        "target_qps=10)'", prefix, NULL), 0,
                     "the installed loadgen package does not import");
        cr_expect_eq(sh("test \"$(nm -D --defined-only "
                        "'%s'/lib/python3/dist-packages/loadgen/_core*.so | grep -c ' [A-Z] ')\" "
                        "= 1 && nm -D '%s'/lib/python3/dist-packages/loadgen/_core*.so | "
                        "grep -q ' T PyInit__core$'", prefix, prefix), 0,
                     "loadgen._core exports more than PyInit__core");
    }
    /* Nothing but include/loadgen/ under include/: no stats/ or report/ of ours beside
     * a user's own. */
    snprintf(path, sizeof path, "%s/include/stats", prefix);
    cr_expect_neq(access(path, F_OK), 0, "headers installed outside include/loadgen/");
    /* The shared libraries export their public names and no internal (double
     * underscore) one (loadgen.map, loadgen_report.map). */
    static const struct {
        const char *lib, *must;
    } libs[] = {{"libloadgen.so", "lg_run_test"}, {"libloadgen_report.so", "rpt_run_load"}};
    char nm[8192];
    for (size_t i = 0; i < 2; i++) {
        snprintf(nm, sizeof nm, "nm -D --defined-only '%s/lib/%s' | awk '{print $3}' "
                 "| grep -c __", prefix, libs[i].lib);
        FILE *f = popen(nm, "r");
        cr_assert_not_null(f);
        int internal = -1;
        cr_expect_eq(fscanf(f, "%d", &internal), 1);
        pclose(f);
        cr_expect_eq(internal, 0, "%s exports %d internal symbols", libs[i].lib, internal);
        snprintf(nm, sizeof nm, "nm -D --defined-only '%s/lib/%s' | grep -qw %s", prefix,
                 libs[i].lib, libs[i].must);
        cr_expect_eq(system(nm), 0, "%s does not export %s", libs[i].lib, libs[i].must);
    }
    char env[512];
    snprintf(env, sizeof env, "PKG_CONFIG_PATH='%s/lib/pkgconfig'", prefix);
    /* The core needs GSL and pthreads only: no jansson, even linked statically. */
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "%s pkg-config --libs --static loadgen | grep -q jansson", env);
    cr_expect_neq(system(cmd), 0, "the core library pulls in jansson");
    snprintf(cmd, sizeof cmd, "ldd '%s/lib/libloadgen.so' | grep -q jansson", prefix);
    cr_expect_neq(system(cmd), 0, "libloadgen.so needs jansson");
    /* The examples build against the installed files only: skeleton.c and minimal.c
     * with the core, framework.c with the analysis library, each in the ways docs/api.md
     * gives ("Building against an installed loadgen"). Each exits 0 (VALID) or 1
     * (INVALID, possible on a loaded machine); anything else means it did not build or
     * run. The runs have no LD_LIBRARY_PATH unless the row gives it. */
    static const struct {
        const char *example, *args, *pkg, *extra, *run_env;
        bool needs_so; /* whether the program needs libloadgen.so at run time */
    } ex[] = {
        {"skeleton", "", "--cflags --libs loadgen", "", "LD_LIBRARY_PATH=@/lib", true},
        {"minimal", "Server", "--cflags --libs loadgen", "", "LD_LIBRARY_PATH=@/lib", true},
        {"framework", "", "--cflags --libs loadgen-report", "", "LD_LIBRARY_PATH=@/lib",
         true},
        /* An rpath instead of LD_LIBRARY_PATH. */
        {"skeleton", "", "--cflags --libs loadgen",
         "-Wl,-rpath,$(pkg-config --variable=libdir loadgen)", "", true},
        /* The static archive, the system's libraries shared. */
        {"skeleton", "", "--static --cflags --libs loadgen-static", "", "", false},
        {"framework", "", "--cflags --libs loadgen-report-static", "", "", false},
        /* Everything static: pkg-config --static names every library -static needs. */
        {"skeleton", "", "--static --cflags --libs loadgen", "-static", "", false},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        char exe[4200], extra[1024], run_env[1024];
        snprintf(exe, sizeof exe, "%s/%s-%zu", prefix, ex[i].example, i);
        /* The commands below run with PKG_CONFIG_PATH exported. */
        snprintf(extra, sizeof extra, "%s", ex[i].extra);
        snprintf(run_env, sizeof run_env, "%s", ex[i].run_env);
        char *at = strchr(run_env, '@');
        if (at) {
            char tail[1024];
            snprintf(tail, sizeof tail, "%s", at + 1);
            snprintf(at, sizeof run_env - (size_t)(at - run_env), "%s%s", prefix, tail);
        }
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && export %s && cc -std=c11 -Wall -Wextra -Werror examples/%s.c "
                 "$(pkg-config %s) %s -o '%s'",
                 root(), env, ex[i].example, ex[i].pkg, extra, exe);
        cr_expect_eq(system(cmd), 0, "building examples/%s.c failed: %s", ex[i].example,
                     cmd);
        snprintf(cmd, sizeof cmd, "readelf -d '%s' | grep -q 'NEEDED.*libloadgen'", exe);
        int st = system(cmd);
        cr_expect_eq(WIFEXITED(st) && WEXITSTATUS(st) == 0, ex[i].needs_so,
                     "%s %s libloadgen.so: %s", exe,
                     ex[i].needs_so ? "does not need" : "needs", cmd);
        snprintf(cmd, sizeof cmd, "cd '%s' && env -u LD_LIBRARY_PATH %s '%s' %s >/dev/null",
                 prefix, run_env, exe, ex[i].args);
        st = system(cmd);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) <= 1,
                  "running examples/%s.c failed (status %d): %s", ex[i].example, st, cmd);
    }
    /* A plugin builds from the installed headers with docs/plugins.md's one command,
     * linking nothing of loadgen's, and the installed program runs it: its calls to
     * lg_complete() bind to the program's exports. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && export %s && cc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared "
             "$(pkg-config --cflags loadgen) examples/plugin_echo.c -o '%s/echo.so' && "
             "readelf -d '%s/echo.so' | grep -q 'NEEDED.*libloadgen'",
             root(), env, prefix, prefix);
    int st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 1,
              "building the plugin from the installed headers failed, or it needs "
              "libloadgen.so (status %d): %s", st, cmd);
    snprintf(cmd, sizeof cmd, "cd '%s' && env -u LD_LIBRARY_PATH '%s/bin/loadgen' run --sut "
             "plugin:./echo.so --sut-opt delay_us=100 --min-duration-ms 200 --out plugin-run "
             "--quiet", prefix, prefix);
    st = system(cmd);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) <= 1,
              "the installed program could not run the plugin (status %d): %s", st, cmd);
    /* Each installed header stands alone, with the flags pkg-config gives: every .h
     * under include/loadgen/, so that a header added to `make install` is checked
     * without being listed here, and at least the headers listed above. */
    snprintf(cmd, sizeof cmd, "cd '%s/include/loadgen' && find . -path ./mlperf -prune -o "
             "-name '*.h' -print | sort", prefix);
    FILE *hf = popen(cmd, "r");
    cr_assert_not_null(hf);
    char line[1024];
    size_t checked = 0;
    while (fgets(line, sizeof line, hf)) {
        line[strcspn(line, "\n")] = '\0';
        const char *h = line[0] == '.' && line[1] == '/' ? line + 2 : line;
        snprintf(cmd, sizeof cmd,
                 "echo '#include <%s>' | %s cc -std=c11 -Wall -Wextra -pedantic -Werror "
                 "-fsyntax-only $(%s pkg-config --cflags loadgen-report) $(pkg-config "
                 "--cflags gsl) -x c -",
                 h, env, env);
        cr_expect_eq(system(cmd), 0, "header does not compile alone: %s", h);
        checked++;
    }
    pclose(hf);
    cr_expect_geq(checked, 15, "only %zu installed headers were found", checked);
    check_cpp(prefix, env);
    sh("rm -rf '%s'%s", prefix, "");
}
