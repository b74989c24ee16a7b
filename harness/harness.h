/* harness.h: one model and one dataset through every scenario, and two models compared by
 * repeated runs: the course's one-object "framework" workflow, built on the LoadGen, the
 * worker pool (sut/) and the reports (report/). docs/harness.md. */
#ifndef HARNESS_HARNESS_H
#define HARNESS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"
#include "report/compare.h"
#include "report/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions of this module (prefix harness_):
 *  - Functions return 0 or a negative LG_E* code (loadgen.h); nothing here prints or
 *    exits. The handle is opaque, made by harness_create() and freed by
 *    harness_destroy(), which accepts NULL.
 *  - Units: times in nanoseconds or, where the name says so, milliseconds; rates per
 *    second.
 *  - Thread safety: a handle is used by one thread at a time; distinct handles may be
 *    used concurrently, except that harness_run_all() and harness_compare() run tests
 *    with lg_run_test() and therefore share its rule: one test per process at a time
 *    (LG_EBUSY otherwise). The model and load callbacks are called from the LoadGen's
 *    threads, as their documentation says.
 */

/* A batch of samples handed to a model function; it and every array it points to are
 * the harness's, valid during the call only. */
typedef struct harness_batch {
    size_t n;                   /* samples in the batch, >= 1 */
    const uint64_t *indices;    /* each sample's index in the dataset */
    const void *const *inputs;  /* each sample's bytes (sample_size of them) */
    size_t sample_size;         /* bytes per sample */
    unsigned worker;            /* which worker thread calls, 0 .. workers - 1 */
    /* The model's answers: n entries, each -1 (no answer) on entry. A classifier writes
     * each sample's predicted class (0 or more) here: the harness checks it against the
     * labels (harness_set_labels) and logs it as the sample's response, an int32 in the
     * host's byte order (little-endian on x86-64 and arm64), in the accuracy log. */
    int32_t *predictions;
} harness_batch;

/*
 * A model: processes a batch of samples and returns 0, or non-zero to report every
 * sample of the batch as failed (the value becomes the samples' status). Called from the
 * harness's worker threads, several at once (with different `worker` numbers), so it
 * must be safe for that; ctx is the pointer given to harness_add_model().
 */
typedef int (*harness_model_fn)(void *ctx, const harness_batch *batch);

/*
 * Fills sample `index` of the dataset: writes `size` bytes at buf (the harness's, valid
 * during the call). Called from the LoadGen's thread when the sample set is loaded,
 * never while timing and never from two threads at once. Returns 0, or non-zero to fail
 * the test.
 */
typedef int (*harness_load_fn)(void *ctx, uint64_t index, void *buf, size_t size);

typedef struct harness_opts {
    /* Folder for every run (created): OUTDIR/<model>/<Scenario>/ and, for comparisons,
     * OUTDIR/compare-<a>-<b>-<Scenario>/<model>/rep-N/. Required for reports; NULL
     * keeps no files. Copied by harness_create(). */
    const char *outdir;
    bool quick;             /* short runs: 300 ms per scenario, 5 repetitions per model
                               in compare; else 10 s and 10 repetitions */
    unsigned workers;       /* worker threads calling the model, 1 .. 256; default 2 */
    unsigned max_batch;     /* samples per model call, at most, 1 .. 65536; default 1 */
    unsigned repetitions;   /* per model in compare; 0 = by quick (5 or 10); at least 2 */
    uint64_t min_duration_ms; /* per run; 0 = by quick (300 or 10000) */
    uint64_t seed;          /* base of the schedule and sample seeds; default 0 */
} harness_opts;

/* Fills *o with the defaults above (no output folder, not quick). Reentrant. */
void harness_opts_default(harness_opts *o);

typedef struct harness harness;

/*
 * Creates a harness with no model and no dataset.
 *  opts  NULL for the defaults; read during the call only (outdir is copied).
 *  out   receives the handle, to free with harness_destroy(); NULL on failure.
 * Returns 0, LG_EINVAL (NULL out, workers outside 1..256, max_batch outside 1..65536),
 * LG_ENOMEM. Reentrant.
 */
int harness_create(const harness_opts *opts, harness **out);

/* Frees the harness and the samples it holds; accepts NULL. The folders it wrote stay. */
void harness_destroy(harness *h);

/*
 * Adds a model under `name`, or replaces the model of that name (which forgets the
 * capacity measured for it).
 *  name  1 to 31 characters of letters, digits, '-', '_' or '.', not "." or "..": it
 *        becomes a folder name. Copied.
 *  fn    the model (not NULL); ctx is passed back to it and stays the caller's, to keep
 *        alive while the harness may run the model.
 * At most 8 models. Returns 0, or LG_EINVAL (bad name, NULL fn, too many models).
 */
int harness_add_model(harness *h, const char *name, harness_model_fn fn, void *ctx);

/*
 * Sets the dataset (replacing an earlier one): `count` samples (1 .. 2^32 - 1) of
 * `sample_size` bytes (0 .. 2^24).
 *  load  fills one sample when the LoadGen loads it; NULL fills the bytes from a fixed
 *        hash of the index. ctx is passed back to it and stays the caller's.
 * At most 1024 samples, and at most 256 MB, are held in memory at once (the performance
 * sample count). Returns 0 or LG_EINVAL.
 */
int harness_set_dataset(harness *h, uint64_t count, size_t sample_size, harness_load_fn load,
                        void *ctx);

/*
 * Sets the dataset's labels (copied): the class of each of its `count` samples, 0 or
 * more. With labels, harness_accuracy() scores a model and harness_compare() compares
 * the two models' accuracy too. Setting another dataset forgets them. Returns 0,
 * LG_EINVAL (no dataset, count not the dataset's, a negative label, NULL), LG_ENOMEM.
 */
int harness_set_labels(harness *h, const int32_t *labels, uint64_t count);

/* A model's accuracy on the labelled dataset, every sample answered once. */
typedef struct harness_accuracy_result {
    uint64_t samples;  /* the dataset's samples */
    uint64_t answered; /* those the model gave a class for */
    uint64_t correct;  /* those whose class was the label */
    double top1;       /* correct / samples: a sample not answered counts as wrong */
} harness_accuracy_result;

/*
 * Runs model's accuracy pass (MLPerf's AccuracyOnly mode, Offline: every sample issued
 * once) and scores its predictions against the labels; writes the run to
 * OUTDIR/<model>/accuracy/ when an output folder is set. The predictions are kept for
 * harness_compare(); a second call for the same model runs nothing.
 *  model  a model's name, or NULL for the first model added.
 * Returns 0; LG_EINVAL (no labels, no such model, NULL out); the errors of
 * lg_run_test().
 */
int harness_accuracy(harness *h, const char *model, harness_accuracy_result *out);

/*
 * Runs one model through SingleStream, MultiStream, Server and Offline (in that order)
 * and writes each run to OUTDIR/<model>/<Scenario>/ when an output folder is set (an
 * existing run there is replaced). The Server rate is half, and the Offline expected
 * rate 1.5 times, the capacity measured in SingleStream (workers / mean latency);
 * MultiStream asks for at least the 662 queries its early stopping needs at p99.
 *
 *  model    a model's name, or NULL for the first model added.
 *  results  NULL, or the caller's array of 4, filled in scenario order (lg_scenario
 *           values).
 *
 * Returns 0 (runs may still be INVALID: see results[i].valid); LG_EINVAL (no such
 * model, no dataset); LG_EBUSY; LG_EIO; LG_ENOMEM; LG_ESUT.
 */
int harness_run_all(harness *h, const char *model, lg_results results[4]);

/* The course's comparison result, filled by harness_compare(). */
typedef struct harness_model_comparison {
    bool is_significant;        /* Welch p < alpha */
    double p_value;             /* Welch's two-sided p */
    double effect_size;         /* Cohen's d, B against A */
    double confidence_interval[2]; /* CI of the relative change (B / A - 1) */
    char metric[RPT_NAME_MAX];  /* what was compared (e.g. "latency_p90") */
    char recommendation[RPT_TEXT_MAX]; /* plain words */
    rpt_metric_cmp detail;      /* everything else */
    /* How many times faster b is than a (latency: a's / b's; throughput: b's / a's) and
     * its CI, from the relative change and its CI. */
    double speed_ratio, speed_ratio_ci[2];
    /* Accuracy, when labels are set (harness_set_labels): each model's accuracy pass
     * (harness_accuracy), compared sample by sample on the same samples. */
    bool has_accuracy;
    double accuracy_a, accuracy_b;   /* top-1, 0..1 */
    double accuracy_change;          /* b - a (0.008 = 0.8 points) */
    double accuracy_ci[2];           /* its CI at the comparison's confidence: the paired
                                        (Wald) interval of a difference of proportions */
    double accuracy_p;               /* McNemar's exact test, two-sided */
    uint64_t only_a_right, only_b_right; /* the samples one model got right and not the
                                            other: all that the paired test uses */
    /* The trade-off in plain words: "b is 2.10x faster than a (95% CI 1.95x to 2.26x)
     * and loses 0.80 points of accuracy (89.60 % -> 88.80 %, CI ...)". */
    char tradeoff[RPT_TEXT_MAX];
} harness_model_comparison;

/*
 * Compares model b with model a in one scenario: runs each `repetitions` times,
 * interleaved (a, b, a, b, ...) with a different schedule seed per repetition, and
 * compares the per-run values of the scenario's main metric with rpt_compare_values()
 * (defaults: alpha 0.05, noise 0.02): latency at the target percentile for
 * SingleStream (p90), MultiStream and Server (p99), throughput for Offline. Server and
 * Offline use the rate measured for model a in SingleStream (measured first when
 * harness_run_all() has not run it). With labels, both models' accuracy passes run
 * first (once per model) and the accuracy fields and the trade-off are filled;
 * has_accuracy is false without labels, and the trade-off then speaks of speed only.
 *
 *  a, b  models' names (not NULL).
 *  out   the caller's, fully overwritten on success.
 *
 * Returns 0; LG_EINVAL (unknown model, no dataset, scenario out of range); the errors
 * of lg_run_test() and rpt_compare_values().
 */
int harness_compare(harness *h, const char *a, const char *b, lg_scenario scenario,
                    harness_model_comparison *out);

/*
 * Writes the Markdown report of every run made so far (rpt_report_create() over the
 * folders, in the order they ran) to `path`, replacing the file.
 * Returns 0; LG_EINVAL when no output folder was set or nothing ran yet; LG_EIO; the
 * errors of rpt_report_create().
 */
int harness_report(harness *h, const char *path);

/*
 * Writes the same report as one self-contained HTML page with its charts
 * (rpt_report_write_html() over the folders, in the order they ran) to `path`.
 * Returns 0; LG_EINVAL when no output folder was set or nothing ran yet; the errors of
 * rpt_report_write_html() (LG_EIO when the file cannot be written).
 */
int harness_report_html(harness *h, const char *path);

/*
 * Switches quick mode (harness_opts.quick) for the runs and comparisons that follow:
 * their duration and repetitions when harness_opts left them 0. The runs already made
 * and the capacities measured stay. Accepts NULL (does nothing).
 */
void harness_set_quick(harness *h, bool quick);

/*
 * Deprecated names, kept for one release: in 0.1.0 the harness was the framework object
 * of report/report.h. The release after 0.1.0 keeps the old names here and the one after
 * it drops them. Each old name is an alias of its new one, so old code builds unchanged
 * once it includes <harness/harness.h>; define HARNESS_NO_DEPRECATED to hide them and
 * find the uses left.
 */
#ifndef HARNESS_NO_DEPRECATED
typedef harness_batch rpt_batch;
typedef harness_model_fn rpt_model_fn;
typedef harness_load_fn rpt_load_fn;
typedef harness_opts rpt_framework_opts;
typedef harness rpt_framework;
typedef harness_model_comparison rpt_model_comparison;
#define rpt_framework_opts_default harness_opts_default
#define rpt_framework_create harness_create
#define rpt_framework_destroy harness_destroy
#define rpt_framework_add_model harness_add_model
#define rpt_framework_set_dataset harness_set_dataset
#define rpt_framework_run_all harness_run_all
#define rpt_framework_compare harness_compare
#define rpt_framework_report harness_report
#endif

#ifdef __cplusplus
}
#endif

#endif /* HARNESS_HARNESS_H */
