/* cli/model_run.c: the model SUT made ready for one test (docs/model.md): the weights
 * file, the dataset, the QSL over the test images and the worker pool; after the test,
 * what the QSL held and what the network answered, printed and added to results.json
 * as "model" (read with jansson, as the program's other additions are). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/internal.h"
#include "model/model.h"

struct cli_model_run {
    char path[PATH_MAX];
    model_net net;
    model_dataset test;
    model_qsl *q;
    model_sut *sut;
};

void cli_model_destroy(cli_model_run *m)
{
    if (!m)
        return;
    model_sut_destroy(m->sut);
    model_qsl_destroy(m->q);
    model_dataset_free(&m->test);
    model_net_free(&m->net);
    free(m);
}

int cli_model_prepare(cli_run_opts *o, cli_model_run **out)
{
    *out = NULL;
    char err[1024];
    cli_model_run *m = calloc(1, sizeof *m);
    if (!m) {
        fprintf(stderr, "loadgen: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    int rc = 0;
    if (!cli_model_weights_path(o, m->path, sizeof m->path, err, sizeof err)) {
        fprintf(stderr, "loadgen: %s\n", err);
        cli_model_destroy(m);
        return CLI_EXIT_USAGE;
    }
    if ((rc = model_weights_load(m->path, &m->net, err, sizeof err)) ||
        (rc = model_dataset_load(o->mdl.dataset_dir, MODEL_SPLIT_TEST, &m->test, err,
                                 sizeof err))) {
        fprintf(stderr, "loadgen: %s\n", err);
        cli_model_destroy(m);
        return cli_load_exit(rc);
    }
    if ((rc = model_qsl_create("fashion-mnist-test", &m->test, &m->net, o->total,
                               o->performance, &m->q))) {
        fprintf(stderr, "loadgen: %s\n", rc == LG_ENOMEM ? "out of memory for the model's QSL"
                : "--total-sample-count and --performance-sample-count: 1 <= performance <= "
                  "total <= 10000");
        cli_model_destroy(m);
        return rc == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    model_sut_config sc = {.workers = o->syn.workers, .max_batch = o->syn.max_batch,
                           .blas_threads = (int)o->mdl.blas_threads};
    if ((rc = model_sut_create(&sc, &m->net, m->q, &m->sut))) {
        fprintf(stderr, "loadgen: cannot start the model SUT: %s\n", lg_strerror(rc));
        cli_model_destroy(m);
        return rc == LG_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
    }
    *out = m;
    return -1;
}

lg_sut cli_model_run_sut(cli_model_run *m)
{
    return model_sut_sut(m->sut);
}

lg_qsl cli_model_run_qsl(cli_model_run *m)
{
    return model_qsl_qsl(m->q);
}

const char *cli_model_load_error(const cli_model_run *m)
{
    return model_qsl_load_error(m->q);
}

/* The "model" object of results.json. */
static json_t *model_json(const cli_model_run *m, const cli_run_opts *o)
{
    model_qsl_stats st;
    model_qsl_get_stats(m->q, &st);
    uint64_t answered, correct;
    model_sut_counts(m->sut, &answered, &correct);
    char desc[128];
    return json_pack(
        "{s:s, s:s, s:I, s:f, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:f},"
        " s:{s:i, s:i, s:i, s:s}}",
        "network", model_net_describe(&m->net, desc, sizeof desc), "weights", m->path,
        "params", (json_int_t)model_net_params(&m->net), "recorded_test_accuracy",
        (double)m->net.test_accuracy, "qsl", "loaded_now", (json_int_t)st.loaded,
        "peak_loaded", (json_int_t)st.peak_loaded, "peak_resident_bytes",
        (json_int_t)st.peak_resident_bytes, "resident_bytes_now", (json_int_t)st.resident_bytes,
        "load_calls", (json_int_t)st.load_calls, "unload_calls", (json_int_t)st.unload_calls,
        "samples_loaded", (json_int_t)st.samples_loaded, "samples_unloaded",
        (json_int_t)st.samples_unloaded, "answers", "answered", (json_int_t)answered,
        "top1_correct", (json_int_t)correct, "top1", answered ? (double)correct / answered : 0.0,
        "runtime", "workers", (int)o->syn.workers, "max_batch", (int)o->syn.max_batch,
        "blas_threads", (int)o->mdl.blas_threads, "blas", model_blas_config());
}

/* The last run's "model:" line, printed by `loadgen run` after the results. */
static char report_text[PATH_MAX + 512];

const char *cli_model_report(void)
{
    return report_text;
}

void cli_model_end(cli_model_run *m, const cli_run_opts *o, const lg_results *res, int rc)
{
    (void)res;
    report_text[0] = '\0';
    json_t *obj = model_json(m, o);
    bool written = o->out && (rc == 0 || rc == LG_ESUT || rc == LG_ENOMEM);
    if (obj && written)
        cli_results_set(o->out, "model", obj);
    json_decref(obj);
    /* An accuracy pass logged every response: score it as `loadgen accuracy` would. */
    char acc[256] = "";
    if (written && rc == 0 &&
        (o->s.mode == LG_MODE_ACCURACY || o->s.mode == LG_MODE_SUBMISSION) &&
        cli_accuracy_after_run(o->out, o->mdl.dataset_dir, acc, sizeof acc))
        snprintf(acc, sizeof acc, "not scored (above)");
    if (o->quiet)
        return;
    model_qsl_stats st;
    model_qsl_get_stats(m->q, &st);
    uint64_t answered, correct;
    model_sut_counts(m->sut, &answered, &correct);
    char desc[128];
    snprintf(report_text, sizeof report_text, "model: %s (%s), %u worker%s x batch %u, %u "
             "OpenBLAS thread%s; QSL peak %llu samples, %.1f MB resident; top-1 of the "
             "answers %.2f %% (%llu of %llu)\n",
           model_net_describe(&m->net, desc, sizeof desc), m->path, o->syn.workers,
           o->syn.workers == 1 ? "" : "s", o->syn.max_batch, o->mdl.blas_threads, o->mdl.blas_threads > 1 ? "s" : "",
           (unsigned long long)st.peak_loaded, (double)st.peak_resident_bytes / 1e6,
           answered ? 100.0 * (double)correct / (double)answered : 0.0,
           (unsigned long long)correct, (unsigned long long)answered);
    if (*acc) {
        size_t at = strlen(report_text);
        snprintf(report_text + at, sizeof report_text - at, "accuracy: %s; the confusion "
                 "matrix: loadgen accuracy %s\n", acc, o->out);
    }
}
