/* cli/accuracy.c: `loadgen accuracy DIR`: a run's accuracy log (mlperf_log_accuracy.json)
 * scored against the Fashion-MNIST test labels, as MLPerf's per-benchmark accuracy
 * scripts score theirs: top-1 (and top-5 when the responses are scores), the confusion
 * matrix and each class's recall and precision, printed and added to results.json. The
 * model SUT's accuracy and submission runs call the same code when they end. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/internal.h"
#include "model/model.h"

/* MLPerf's accuracy targets are a share of the reference model's accuracy (99 % for
 * most closed-division image benchmarks): the weights file records its network's. */
#define REFERENCE_SHARE 0.99

typedef struct acc_opts {
    const char *dir;         /* the run folder, or the log file itself */
    const char *dataset_dir; /* --dataset-dir: where t10k-labels-idx1-ubyte.gz is */
    const char *labels;      /* --labels: an IDX file of labels instead */
    double min_top1;         /* --min-top1, a fraction; NaN: the default target */
    bool quiet, no_write;
} acc_opts;

static void accuracy_help(FILE *f)
{
    fputs("usage: loadgen accuracy DIR [--dataset-dir DIR | --labels FILE] [--min-top1 PCT]\n"
          "                            [--no-write] [--quiet]\n"
          "\n"
          "Scores the accuracy log of a run (DIR/mlperf_log_accuracy.json, or that file\n"
          "given itself) against the Fashion-MNIST test labels, as MLPerf's accuracy\n"
          "scripts do: each entry's qsl_idx is the test image, its data the response (10\n"
          "float32 scores, the model SUT's; or the predicted class as a 4-byte int32 or an\n"
          "8-byte int64, little-endian). A sample logged twice counts once (the first).\n"
          "Prints top-1 (and top-5 for scores), the confusion matrix and each class's recall\n"
          "and precision, and adds them to DIR/results.json as \"accuracy\" (docs/model.md).\n"
          "\n"
          "Only runs with --mode accuracy or submission log every response; a performance\n"
          "run's log is empty. `loadgen run --sut model --mode accuracy` scores its log when\n"
          "it ends, so this command is for runs made elsewhere or scored again.\n"
          "\n"
          "  --dataset-dir DIR  where t10k-labels-idx1-ubyte.gz is (default\n"
          "                     " MODEL_DATASET_DIR ")\n"
          "  --labels FILE      an IDX file of labels (1 dimension, bytes 0..9), gzip or not\n"
          "  --min-top1 PCT     the target top-1 in percent; default: 99 % of the accuracy\n"
          "                     the weights file records (results.json's \"model\"), when\n"
          "                     every test image was scored\n"
          "  --no-write         leave results.json as it is\n"
          "  --quiet            print only the top-1 line\n"
          "\n"
          "Exit code: 0 scored (and the target met, if there is one), 1 the target missed,\n"
          "2 bad arguments, a missing or damaged log or labels file, an empty log, 3 out of\n"
          "memory or results.json could not be written.\n",
          f);
}

/* ---------------------------------------------------------------- reading */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes hex text into out (room for len/2 bytes); false on an odd length or a
 * character that is not a hex digit (its position in *bad). */
static bool unhex(const char *hex, size_t len, unsigned char *out, size_t *bad)
{
    if (len % 2) {
        *bad = len;
        return false;
    }
    for (size_t i = 0; i < len; i += 2) {
        int hi = hexval((unsigned char)hex[i]), lo = hexval((unsigned char)hex[i + 1]);
        if (hi < 0 || lo < 0) {
            *bad = hi < 0 ? i : i + 1;
            return false;
        }
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* Scores every entry of the log (a JSON array of {seq_id, qsl_idx, data}). */
static int score_log(const char *path, model_score *a, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        bool missing = je.position == 0 && access(path, F_OK) != 0;
        snprintf(err, errlen, missing ? "%s: no such file (a run writes it in every mode; is "
                                        "this a run folder?)"
                                      : "%s:%d:%d: not valid JSON: %s",
                 path, je.line, je.column, je.text);
        return LG_EINVAL;
    }
    int rc = 0;
    unsigned char buf[64];
    if (!json_is_array(root)) {
        snprintf(err, errlen, "%s: not an accuracy log: the top level is not a JSON array",
                 path);
        rc = LG_EINVAL;
    }
    for (size_t i = 0; !rc && i < json_array_size(root); i++) {
        json_t *e = json_array_get(root, i), *q = json_object_get(e, "qsl_idx"),
               *d = json_object_get(e, "data");
        char why[256];
        size_t bad = 0, len = json_string_length(d);
        if (!json_is_integer(q) || json_integer_value(q) < 0 || !json_is_string(d)) {
            snprintf(why, sizeof why, "needs \"qsl_idx\" (an integer from 0) and \"data\" "
                     "(a hex string)");
            rc = LG_EINVAL;
        } else if (len / 2 > sizeof buf) {
            snprintf(why, sizeof why, "a response of %zu bytes is larger than any this "
                     "command reads (%d-byte scores or an 8-byte class)", len / 2,
                     MODEL_RESPONSE_BYTES);
            rc = LG_EINVAL;
        } else if (!unhex(json_string_value(d), len, buf, &bad)) {
            snprintf(why, sizeof why, len % 2 ? "\"data\" has an odd number of hex digits (%zu)"
                                              : "\"data\" has a character that is not a hex "
                                                "digit at position %zu", bad);
            rc = LG_EINVAL;
        } else {
            rc = model_score_add(a, (uint64_t)json_integer_value(q), buf, len / 2, why,
                                    sizeof why);
        }
        if (rc)
            snprintf(err, errlen, "%s: entry %zu (seq_id %lld): %s", path, i,
                     (long long)json_integer_value(json_object_get(e, "seq_id")), why);
    }
    json_decref(root);
    return rc;
}

/* The labels: --labels FILE (an IDX file of one dimension), else the test split's. */
static int read_labels(const acc_opts *o, model_idx *idx, model_dataset *ds,
                       const unsigned char **labels, size_t *n, char *path, size_t plen,
                       char *err, size_t errlen)
{
    memset(idx, 0, sizeof *idx);
    memset(ds, 0, sizeof *ds);
    if (!o->labels) {
        const char *dir = o->dataset_dir ? o->dataset_dir : MODEL_DATASET_DIR;
        snprintf(path, plen, "%s/%s", dir, model_dataset_file(MODEL_SPLIT_TEST, true));
        int rc = model_dataset_load(o->dataset_dir, MODEL_SPLIT_TEST, ds, err, errlen);
        *labels = ds->labels;
        *n = ds->count;
        return rc;
    }
    snprintf(path, plen, "%s", o->labels);
    int rc = model_idx_read(o->labels, idx, err, errlen);
    if (rc)
        return rc;
    if (idx->ndim != 1) {
        snprintf(err, errlen, "%s: an IDX file of %u dimensions; labels have one", o->labels,
                 idx->ndim);
        return LG_EINVAL;
    }
    for (size_t i = 0; i < idx->bytes; i++)
        if (idx->data[i] >= MODEL_CLASSES) {
            snprintf(err, errlen, "%s: byte %zu: label %u of sample %zu is out of range "
                     "(0..%d)", o->labels, 8 + i, idx->data[i], i, MODEL_CLASSES - 1);
            return LG_EINVAL;
        }
    *labels = idx->data;
    *n = idx->bytes;
    return 0;
}

/* The accuracy recorded in the weights file, from DIR/results.json's "model"; 0 when
 * unknown. */
static double recorded_accuracy(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    double v = json_number_value(
        json_object_get(json_object_get(root, "model"), "recorded_test_accuracy"));
    json_decref(root);
    return v > 0 && v <= 1 ? v : 0;
}

/* ---------------------------------------------------------------- the result */

typedef struct outcome {
    model_score a;
    char log[PATH_MAX], labels[PATH_MAX], dir[PATH_MAX];
    double target;        /* NaN: none */
    const char *target_from;
    int passed;           /* -1 no target, 0, 1 */
} outcome;

static const char *kind_text(const model_score *a)
{
    static const char *const names[] = {"scores", "int32", "int64"};
    int k = -1;
    for (int i = 0; i < 3; i++)
        if (a->by_kind[i])
            k = k < 0 ? i : 3;
    return k < 0 ? "none" : k == 3 ? "mixed" : names[k];
}

static json_t *outcome_json(const outcome *r)
{
    const model_score *a = &r->a;
    json_t *classes = json_array(), *per = json_array(), *conf = json_array();
    for (unsigned c = 0; c < MODEL_CLASSES; c++) {
        uint64_t support, right, predicted;
        model_score_class(a, c, &support, &right, &predicted);
        json_array_append_new(classes, json_string(model_class_name(c)));
        json_array_append_new(
            per, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "class", model_class_name(c),
                           "images", (json_int_t)support, "right", (json_int_t)right,
                           "predicted", (json_int_t)predicted, "recall",
                           support ? json_real((double)right / (double)support) : json_null(),
                           "precision",
                           predicted ? json_real((double)right / (double)predicted)
                                     : json_null()));
        json_t *row = json_array();
        for (unsigned k = 0; k < MODEL_CLASSES; k++)
            json_array_append_new(row, json_integer((json_int_t)a->confusion[c][k]));
        json_array_append_new(conf, row);
    }
    bool scores = a->by_kind[MODEL_ANSWER_SCORES] == a->scored && a->scored;
    return json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:f, s:I, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o}",
        "log", r->log, "labels", r->labels, "dataset", "fashion-mnist test", "labels_total",
        (json_int_t)a->n_labels, "entries", (json_int_t)a->entries, "scored",
        (json_int_t)a->scored, "duplicates", (json_int_t)a->duplicates, "response_kind",
        kind_text(a), "top1", model_score_top1(a), "top1_correct", (json_int_t)a->correct,
        "top5", scores ? json_real((double)a->top5_correct / (double)a->scored) : json_null(),
        "target_top1", isnan(r->target) ? json_null() : json_real(r->target), "target_from",
        r->target_from ? json_string(r->target_from) : json_null(), "passed",
        r->passed < 0 ? json_null() : json_boolean(r->passed), "classes", classes,
        "per_class", per, "confusion", conf);
}

int cli_results_set(const char *dir, const char *key, json_t *obj)
{
    char path[PATH_MAX], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return 1; /* no results.json (a folder made elsewhere): nothing to add to */
    json_object_set(root, key, obj);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int rc = 0;
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ||
        rename(tmp, path)) {
        fprintf(stderr, "loadgen: %s: cannot add \"%s\": %s\n", path, key, strerror(errno));
        unlink(tmp);
        rc = -1;
    }
    json_decref(root);
    return rc;
}

/* Scores the log of o->dir into r (the target decided). 0, or an exit code after
 * printing why. */
static int score(const acc_opts *o, outcome *r, const char *cmd)
{
    struct stat st;
    bool file = !stat(o->dir, &st) && S_ISREG(st.st_mode);
    snprintf(r->dir, sizeof r->dir, "%s", o->dir);
    if (file) {
        char *slash = strrchr(r->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(r->dir, sizeof r->dir, ".");
        snprintf(r->log, sizeof r->log, "%s", o->dir);
    } else {
        snprintf(r->log, sizeof r->log, "%s/mlperf_log_accuracy.json", o->dir);
    }
    char err[PATH_MAX + 1024];
    model_idx idx;
    model_dataset ds;
    const unsigned char *labels = NULL;
    size_t n = 0;
    int rc = read_labels(o, &idx, &ds, &labels, &n, r->labels, sizeof r->labels, err,
                         sizeof err);
    if (!rc && !(rc = model_score_init(&r->a, labels, n)))
        rc = score_log(r->log, &r->a, err, sizeof err);
    if (rc == LG_ENOMEM)
        snprintf(err, sizeof err, "out of memory");
    /* The tally keeps no pointer into the labels after scoring. */
    r->a.labels = NULL;
    model_idx_free(&idx);
    model_dataset_free(&ds);
    if (rc) {
        fprintf(stderr, "loadgen %s: %s\n", cmd, err);
        return cli_load_exit(rc);
    }
    if (!r->a.scored) {
        fprintf(stderr, "loadgen %s: %s holds no responses: a performance run logs none; "
                "run with --mode accuracy (or submission)\n", cmd, r->log);
        return CLI_EXIT_USAGE;
    }
    double rec = recorded_accuracy(r->dir);
    r->target = NAN;
    r->passed = -1;
    if (!isnan(o->min_top1)) {
        r->target = o->min_top1;
        r->target_from = "--min-top1";
    } else if (rec > 0 && r->a.scored == r->a.n_labels) {
        r->target = REFERENCE_SHARE * rec;
        r->target_from = "99 % of the accuracy the weights file records";
    }
    if (!isnan(r->target))
        r->passed = model_score_top1(&r->a) >= r->target;
    return 0;
}

/* ---------------------------------------------------------------- printing */

static void print_full(const outcome *r, FILE *f)
{
    const model_score *a = &r->a;
    fprintf(f, "loadgen accuracy: %s: %llu entries (responses: %s), %llu of the %zu "
            "labelled images scored", r->log, (unsigned long long)a->entries, kind_text(a),
            (unsigned long long)a->scored, a->n_labels);
    if (a->duplicates)
        fprintf(f, ", %llu duplicate entries ignored", (unsigned long long)a->duplicates);
    fprintf(f, "\n  top-1 %7.2f %%  (%llu of %llu)\n", 100 * model_score_top1(a),
            (unsigned long long)a->correct, (unsigned long long)a->scored);
    if (a->by_kind[MODEL_ANSWER_SCORES] == a->scored)
        fprintf(f, "  top-5 %7.2f %%\n", 100.0 * (double)a->top5_correct / (double)a->scored);
    if (r->passed >= 0)
        fprintf(f, "  target %.2f %% (%s): %s\n", 100 * r->target, r->target_from,
                r->passed ? "met" : "MISSED");
    fprintf(f, "\nconfusion matrix (rows: the true class; columns: the predicted one)\n");
    fprintf(f, "%-16s", "");
    for (unsigned k = 0; k < MODEL_CLASSES; k++)
        fprintf(f, "%6u", k);
    fputc('\n', f);
    for (unsigned c = 0; c < MODEL_CLASSES; c++) {
        fprintf(f, "%u %-14s", c, model_class_name(c));
        for (unsigned k = 0; k < MODEL_CLASSES; k++)
            fprintf(f, "%6llu", (unsigned long long)a->confusion[c][k]);
        fputc('\n', f);
    }
    fprintf(f, "\n%-16s %7s %7s %8s %10s\n", "class", "images", "right", "recall",
            "precision");
    for (unsigned c = 0; c < MODEL_CLASSES; c++) {
        uint64_t support, right, predicted;
        model_score_class(a, c, &support, &right, &predicted);
        char rec[16] = "-", prec[16] = "-";
        if (support)
            snprintf(rec, sizeof rec, "%.1f %%", 100.0 * (double)right / (double)support);
        if (predicted)
            snprintf(prec, sizeof prec, "%.1f %%", 100.0 * (double)right / (double)predicted);
        fprintf(f, "%u %-14s %7llu %7llu %8s %10s\n", c, model_class_name(c),
                (unsigned long long)support, (unsigned long long)right, rec, prec);
    }
}

/* One line: "top-1 89.60 % of 10000 images (target 88.70 %: met)". */
static void summary_line(const outcome *r, char *buf, size_t len)
{
    int at = snprintf(buf, len, "top-1 %.2f %% of %llu images", 100 * model_score_top1(&r->a),
                      (unsigned long long)r->a.scored);
    if (r->passed >= 0 && at > 0 && (size_t)at < len)
        snprintf(buf + at, len - (size_t)at, " (target %.2f %%: %s)", 100 * r->target,
                 r->passed ? "met" : "MISSED");
}

/* ---------------------------------------------------------------- commands */

int cli_accuracy_after_run(const char *dir, const char *dataset_dir, char *line, size_t len)
{
    acc_opts o = {.dir = dir, .dataset_dir = dataset_dir, .min_top1 = NAN};
    outcome *r = calloc(1, sizeof *r);
    if (!r)
        return CLI_EXIT_RUNTIME;
    int rc = score(&o, r, "run");
    if (!rc) {
        json_t *obj = outcome_json(r);
        if (!obj || cli_results_set(dir, "accuracy", obj) < 0)
            rc = CLI_EXIT_RUNTIME;
        json_decref(obj);
        summary_line(r, line, len);
    }
    model_score_free(&r->a);
    free(r);
    return rc;
}

static int parse(acc_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        int r;
        if (cli_is_help(a)) {
            accuracy_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(a, "--no-write")) {
            o->no_write = true;
        } else if ((r = cli_flag_value("accuracy", argc, argv, &i, "--dataset-dir", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            o->dataset_dir = val;
        } else if ((r = cli_flag_value("accuracy", argc, argv, &i, "--labels", &val))) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            o->labels = val;
        } else if ((r = cli_flag_value("accuracy", argc, argv, &i, "--min-top1", &val))) {
            double pct;
            if (r < 0 || !cli_parse_double("accuracy", "--min-top1", val, 0, 100, true, false,
                                           &pct))
                return CLI_EXIT_USAGE;
            o->min_top1 = pct / 100;
        } else if (a[0] == '-' && a[1]) {
            return cli_unknown_option("accuracy", a);
        } else if (o->dir) {
            fprintf(stderr, "loadgen accuracy: one folder at a time ('%s' and '%s')\n", o->dir,
                    a);
            return CLI_EXIT_USAGE;
        } else {
            o->dir = a;
        }
    }
    if (!o->dir) {
        fprintf(stderr, "loadgen accuracy: which run? usage: loadgen accuracy DIR "
                "(--help for more)\n");
        return CLI_EXIT_USAGE;
    }
    if (o->labels && o->dataset_dir) {
        fprintf(stderr, "loadgen accuracy: --labels and --dataset-dir both name the labels: "
                "give one\n");
        return CLI_EXIT_USAGE;
    }
    return -1;
}

int cli_accuracy(int argc, char **argv)
{
    acc_opts o = {.min_top1 = NAN};
    int rc = parse(&o, argc, argv);
    if (rc >= 0)
        return rc;
    outcome *r = calloc(1, sizeof *r);
    if (!r)
        return CLI_EXIT_RUNTIME;
    if ((rc = score(&o, r, "accuracy"))) {
        model_score_free(&r->a);
        free(r);
        return rc;
    }
    char line[256];
    summary_line(r, line, sizeof line);
    if (o.quiet)
        printf("%s\n", line);
    else
        print_full(r, stdout);
    if (!o.no_write) {
        json_t *obj = outcome_json(r);
        int w = obj ? cli_results_set(r->dir, "accuracy", obj) : -1;
        json_decref(obj);
        if (w < 0)
            rc = CLI_EXIT_RUNTIME;
        else if (!o.quiet)
            printf(w ? "\n(no results.json in %s: nothing written)\n"
                     : "\nadded to %s/results.json as \"accuracy\"\n", r->dir);
    }
    if (!rc && r->passed == 0)
        rc = CLI_EXIT_INVALID;
    model_score_free(&r->a);
    free(r);
    return rc;
}
