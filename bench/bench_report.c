/* bench_report.c: how long the reports of a big run take, and how big the HTML is.
 * Makes one real 10M-sample run per scenario asked for (null SUT: Server at 1M QPS for
 * 10 s, Offline 10M samples) in a temporary folder, then times, five times each and
 * reporting the median:
 *   load      rpt_set_load (results.json + samples.bin)
 *   validate  rpt_validate of the loaded run
 *   markdown  rpt_report_create + rpt_report_write_markdown (load, validate, document)
 *   html      rpt_report_write_html (everything `loadgen report DIR --html F` does)
 * Prints one line per figure:
 *   bench_report figure=<name> value=<number> unit=<unit> [details]
 * The target: html under 2 s, the file under 2 MB, for a 10M-sample run.
 * Usage: bench_report [--quick] [--samples N] [--scenario Server|Offline|all]
 *   (--quick: 1M samples and three timings, for a smoke run)
 * The runs use the null SUT, so the latencies are tiny; the report's work depends on the
 * sample count, not on the latencies' size.                                          */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "report/report.h"
#include "sut/sut.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One run of `samples` samples into dir. Returns 0 or -1. */
static int make_run(lg_scenario sc, uint64_t samples, const char *dir)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    if (sc == LG_SERVER) {
        s.server_target_qps = 1e6;
        s.min_duration_ms = samples / 1000; /* at 1M QPS */
    } else {
        /* The LoadGen issues 1.1 x expected QPS x min duration samples; the null SUT
         * answers 10M in about 0.5 s, and a run shorter than its min duration is
         * INVALID, so ask for 0.2 s worth (the report does not care either way). */
        s.min_duration_ms = 200;
        s.offline_expected_qps = (double)samples / 1.1 / 0.2 + 1;
    }
    qsl_synthetic *q;
    if (qsl_synthetic_create("bench", 4096, 1024, 0, 0, &q))
        return -1;
    lg_sut sut = sut_null();
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_log_settings l;
    lg_log_settings_default(&l);
    l.outdir = dir;
    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, &l, &r);
    qsl_synthetic_destroy(q);
    if (rc) {
        fprintf(stderr, "bench_report: the %s run failed: %s\n", lg_scenario_name(sc),
                lg_strerror(rc));
        return -1;
    }
    printf("bench_report run scenario=%s samples=%llu valid=%d\n", lg_scenario_name(sc),
           (unsigned long long)r.samples_completed, r.valid);
    return 0;
}

static void figure(const char *sc, const char *name, double *t, int n)
{
    double min = t[0];
    for (int i = 1; i < n; i++)
        min = t[i] < min ? t[i] : min;
    printf("bench_report figure=%s_%s value=%.3f unit=s min=%.3f reps=%d\n", sc, name,
           median(t, n), min, n);
}

static int bench_scenario(lg_scenario sc, uint64_t samples, int reps, const char *root)
{
    const char *name = lg_scenario_name(sc);
    char dir[512], html[600], md[600], err[512];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(html, sizeof html, "%s/%s.html", root, name);
    snprintf(md, sizeof md, "%s/%s.md", root, name);
    if (make_run(sc, samples, dir))
        return -1;
    double t_load[16], t_val[16], t_md[16], t_html[16];
    const char *dirs[1] = {dir};
    for (int i = 0; i < reps; i++) {
        double t0 = now_s();
        rpt_set *set;
        if (rpt_set_load(dir, &set, err, sizeof err)) {
            fprintf(stderr, "bench_report: %s\n", err);
            return -1;
        }
        double t1 = now_s();
        rpt_validation v;
        int rc = rpt_validate(rpt_set_run(set, 0), NULL, &v);
        double t2 = now_s();
        rpt_set_destroy(set);
        if (rc) {
            fprintf(stderr, "bench_report: validate: %s\n", lg_strerror(rc));
            return -1;
        }
        rpt_report *rep;
        if (rpt_report_create(dirs, 1, NULL, &rep, err, sizeof err)) {
            fprintf(stderr, "bench_report: %s\n", err);
            return -1;
        }
        FILE *f = fopen(md, "w");
        rc = f ? rpt_report_write_markdown(rep, f) : LG_EIO;
        if (f)
            fclose(f);
        rpt_report_destroy(rep);
        double t3 = now_s();
        if (rc) {
            fprintf(stderr, "bench_report: cannot write %s\n", md);
            return -1;
        }
        if (rpt_report_write_html(dirs, 1, NULL, html, err, sizeof err)) {
            fprintf(stderr, "bench_report: %s\n", err);
            return -1;
        }
        double t4 = now_s();
        t_load[i] = t1 - t0;
        t_val[i] = t2 - t1;
        t_md[i] = t3 - t2;
        t_html[i] = t4 - t3;
    }
    figure(name, "load", t_load, reps);
    figure(name, "validate", t_val, reps);
    figure(name, "markdown_report", t_md, reps);
    figure(name, "html_report", t_html, reps);
    struct stat st;
    if (stat(html, &st))
        return -1;
    printf("bench_report figure=%s_html_size value=%.3f unit=MB samples=%llu\n", name,
           (double)st.st_size / 1e6, (unsigned long long)samples);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t samples = 10000000;
    int reps = 5;
    const char *which = "all";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            samples = 1000000;
            reps = 3;
        } else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
            samples = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--scenario") && i + 1 < argc) {
            which = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_report [--quick] [--samples N] "
                            "[--scenario Server|Offline|all]\n");
            return 2;
        }
    }
    if (samples < 1000 || samples > 100000000) {
        fprintf(stderr, "bench_report: --samples must be 1000 .. 100000000\n");
        return 2;
    }
    char root[] = "/tmp/bench_report.XXXXXX";
    if (!mkdtemp(root)) {
        perror("bench_report: mkdtemp");
        return 3;
    }
    int rc = 0;
    if (!strcmp(which, "all") || !strcmp(which, "Server"))
        rc = rc || bench_scenario(LG_SERVER, samples, reps, root);
    if (!strcmp(which, "all") || !strcmp(which, "Offline"))
        rc = rc || bench_scenario(LG_OFFLINE, samples, reps, root);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd))
        fprintf(stderr, "bench_report: could not remove %s\n", root);
    return rc ? 3 : 0;
}
