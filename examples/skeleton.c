/* skeleton.c: every embedding has this shape: settings, log settings, a SUT (here the
 * worker pool around one "process a batch" function), a QSL, the run, its results.
 * Usage: skeleton [OUTDIR]   (no OUTDIR: no files written)
 * Build: cc skeleton.c $(pkg-config --cflags --libs loadgen) -o skeleton */
#include <stdio.h>

#include <loadgen/loadgen.h>
#include <sut/sut.h>

/* Runs the model on n samples, on one of the pool's worker threads. The pool has set
 * each response's id and status (LG_STATUS_OK); a failure sets a non-zero status. */
static void process(void *ctx, unsigned worker, const lg_sample *samples, size_t n,
                    lg_response *responses)
{
    (void)ctx, (void)worker;
    for (size_t i = 0; i < n; i++) { /* your inference on sample samples[i].index */
        responses[i].data = &samples[i].index; /* the output (here the index itself) */
        responses[i].size = sizeof samples[i].index;
    }
}

int main(int argc, char **argv)
{
    lg_settings s;
    lg_settings_default(&s); /* MLPerf's defaults; then what this test needs: */
    s.scenario = LG_SERVER;
    s.server_target_qps = 1000; /* the default, 1 query/s, makes a run of ~100 s */
    s.min_duration_ms = 1000;

    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = argc > 1 ? argv[1] : NULL; /* refused if it already holds a run */

    sut_pool_config pc = {.name = "my-sut", .process = process, .workers = 2};
    sut_pool *pool;
    if (sut_pool_create(&pc, &pool) != 0)
        return 3;
    lg_sut sut = sut_pool_sut(pool);
    lg_qsl qsl = {.name = "my-dataset", .total_sample_count = 1024,
                  .performance_sample_count = 1024}; /* no load/unload: nothing to load */

    lg_results r;
    int rc = lg_run_test(&s, &sut, &qsl, &log, &r);
    sut_pool_destroy(pool);
    if (rc != 0) {
        fprintf(stderr, "skeleton: %s: %s\n", lg_strerror(rc), lg_last_error());
        return 3;
    }
    char text[4096];
    lg_results_format(&r, text, sizeof text);
    fputs(text, stdout);
    return r.valid ? 0 : 1;
}
