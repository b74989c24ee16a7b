/* framework.c: the harness (harness/harness.h), the one-object workflow: two models and a
 * dataset, every scenario in quick mode, the models compared in SingleStream, a Markdown
 * report in OUTDIR/report.md.
 * Usage: framework [OUTDIR]   (default results/framework) */
#define _POSIX_C_SOURCE 200809L /* nanosleep, under -std=c11 */
#include <stdio.h>
#include <time.h>

#include <harness/harness.h>

/* A stand-in model: about *ctx microseconds of work per sample of the batch. */
static int model(void *ctx, const harness_batch *b)
{
    struct timespec t = {0, *(const long *)ctx * 1000L * (long)b->n};
    return nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
    static long slow_us = 1500, fast_us = 300; /* 5x apart: clear even on a busy machine */
    harness_opts o;
    harness_opts_default(&o);
    o.outdir = argc > 1 ? argv[1] : "results/framework";
    o.quick = true; /* 300 ms per run; 5 runs per model when comparing */
    harness *fw;
    harness_model_comparison c;
    char report[512];
    snprintf(report, sizeof report, "%s/report.md", o.outdir);
    int rc = harness_create(&o, &fw);
    if (!rc && !(rc = harness_add_model(fw, "baseline", model, &slow_us)) &&
        !(rc = harness_add_model(fw, "faster", model, &fast_us)) &&
        !(rc = harness_set_dataset(fw, 1024, 64, NULL, NULL)) && /* 1024 x 64 bytes */
        !(rc = harness_run_all(fw, "baseline", NULL)) &&
        !(rc = harness_compare(fw, "baseline", "faster", LG_SINGLE_STREAM, &c)) &&
        !(rc = harness_report(fw, report)))
        printf("significant: %s, p = %.3g, effect size d = %.2f, change CI [%+.1f%%, %+.1f%%]\n"
               "%s\nReport: %s\n", c.is_significant ? "yes" : "no", c.p_value, c.effect_size,
               c.confidence_interval[0] * 100, c.confidence_interval[1] * 100,
               c.recommendation, report);
    else
        fprintf(stderr, "framework: %s\n", lg_strerror(rc));
    harness_destroy(fw);
    return rc ? 3 : 0;
}
