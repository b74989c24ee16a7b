/* test_browser.c: verifies the HTML report as a reader sees it: a real run's report,
 * opened in headless Chromium (tests/browser/check.mjs through playwright-core), loads
 * with no console error and no network request, shows every expected plot, and its
 * screenshot is not blank. `make check` installs Chromium, Node.js and playwright-core
 * (scripts/setup.sh test). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *root(void)
{
    const char *r = getenv("LOADGEN_ROOT");
    return r ? r : ".";
}

static const char *program(void)
{
    const char *p = getenv("LOADGEN_BIN");
    return p && *p ? p : "build/bin/loadgen";
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Runs a short Server test into dir. */
static void make_run(const char *dir, const char *extra)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' run --sut null --scenario Server --target-qps 20000 --min-duration-ms 400 "
             "--out '%s' --quiet %s", program(), dir, extra);
    int rc = sh(cmd);
    cr_assert(rc == 0 || rc == 1, "the run failed (exit %d): %s", rc, cmd);
}

static void check_in_browser(const char *html, const char *png, const char *ids)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s/tests/browser' && node check.mjs '%s' '%s' %s",
             root(), html, png, ids);
    int rc = sh(cmd);
    cr_assert_eq(rc, 0, "the browser check failed (exit %d; its JSON line above says why): %s",
                 rc, cmd);
    struct stat st;
    cr_assert_eq(stat(png, &st), 0, "no screenshot");
    cr_expect_gt(st.st_size, 20000, "the screenshot is suspiciously small");
}

Test(browser, a_run_report_renders_in_chromium_with_every_plot_and_no_error_or_request,
     .timeout = 180)
{
    char dir[] = "/tmp/lg-browser-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char run[1024], html[1024], png[1024], cmd[8192];
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(html, sizeof html, "%s/report.html", dir);
    snprintf(png, sizeof png, "%s/report.png", dir);
    /* A SUT name a careless page would execute. */
    make_run(run, "");
    snprintf(cmd, sizeof cmd, "'%s' report '%s' --html '%s' --title '<script>alert(1)</script>' "
             ">/dev/null", program(), run, html);
    cr_assert_eq(sh(cmd), 0, "loadgen report failed: %s", cmd);
    check_in_browser(html, png,
                     "plot-spectrum-1 plot-histogram-1 plot-latency-time-1 "
                     "plot-throughput-time-1 plot-lag-time-1 plot-sched-vs-issue-1");
    snprintf(cmd, sizeof cmd, "grep -q '<script' '%s'", html);
    cr_expect_neq(sh(cmd), 0, "the report contains a <script tag");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    sh(cmd);
}

Test(browser, a_comparison_report_renders_in_chromium, .timeout = 180)
{
    char dir[] = "/tmp/lg-browser-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char a[1024], b[1024], html[1024], png[1024], cmd[8192];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(html, sizeof html, "%s/cmp.html", dir);
    snprintf(png, sizeof png, "%s/cmp.png", dir);
    make_run(a, "");
    make_run(b, "--schedule-rng-seed 7");
    snprintf(cmd, sizeof cmd, "'%s' report '%s' '%s' --html '%s' >/dev/null", program(), a, b,
             html);
    cr_assert_eq(sh(cmd), 0, "loadgen report failed: %s", cmd);
    /* Every run's plots, the overlaid spectra and a CI chart per metric. */
    const char *ids = "plot-spectrum-1 plot-spectrum-2 plot-histogram-2 plot-cmp-spectra-2 "
                      "plot-cmp-ci-2-throughput plot-cmp-ci-2-latency-p99";
    check_in_browser(html, png, ids);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    sh(cmd);
}
