/* test_model_accuracy.c: responses scored against labels (model/accuracy.c) and the
 * commands that do it: `loadgen accuracy DIR`, the model SUT's accuracy and submission
 * passes, the report's accuracy section, and the demo's accuracy line and HTML report. */
#include <criterion/criterion.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "tests/testutil.h"

/* ---------------------------------------------------------------- the tally */

static void put_scores(unsigned char *b, const float *s)
{
    for (int c = 0; c < MODEL_CLASSES; c++) {
        uint32_t v;
        memcpy(&v, &s[c], 4);
        for (int k = 0; k < 4; k++)
            b[4 * c + k] = (unsigned char)(v >> (8 * k));
    }
}

static const unsigned char labels[6] = {0, 1, 2, 3, 9, 9};

Test(score, scores_and_classes_count_top1_top5_and_the_confusion, .timeout = 10)
{
    model_score a;
    char err[256];
    cr_assert_eq(model_score_init(&a, labels, 6), 0);
    float s[MODEL_CLASSES] = {0};
    unsigned char b[MODEL_RESPONSE_BYTES];
    s[0] = 5; /* sample 0, label 0: right */
    put_scores(b, s);
    cr_assert_eq(model_score_add(&a, 0, b, sizeof b, err, sizeof err), 0, "%s", err);
    memset(s, 0, sizeof s);
    for (int c = 0; c < MODEL_CLASSES; c++)
        s[c] = (float)(10 - c); /* sample 1, label 1: predicted 0, label second: top-5 */
    put_scores(b, s);
    cr_assert_eq(model_score_add(&a, 1, b, sizeof b, err, sizeof err), 0, "%s", err);
    for (int c = 0; c < MODEL_CLASSES; c++)
        s[c] = (float)c; /* sample 2, label 2: predicted 9, label 8th: not top-5 */
    put_scores(b, s);
    cr_assert_eq(model_score_add(&a, 2, b, sizeof b, err, sizeof err), 0, "%s", err);
    /* A second entry for sample 2 that would be right: a duplicate, not scored. */
    memset(s, 0, sizeof s);
    s[2] = 1;
    put_scores(b, s);
    cr_assert_eq(model_score_add(&a, 2, b, sizeof b, err, sizeof err), 0, "%s", err);
    unsigned char i32[4] = {3, 0, 0, 0}, i64[8] = {9, 0, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(model_score_add(&a, 3, i32, 4, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_score_add(&a, 4, i64, 8, err, sizeof err), 0, "%s", err);
    cr_expect_eq(a.entries, 6);
    cr_expect_eq(a.scored, 5);
    cr_expect_eq(a.duplicates, 1);
    cr_expect_eq(a.correct, 3); /* samples 0, 3, 4 */
    cr_expect_eq(a.top5_correct, 2); /* of the 3 scored by scores: samples 0 and 1 */
    cr_expect_eq(a.by_kind[MODEL_ANSWER_SCORES], 3);
    cr_expect_eq(a.by_kind[MODEL_ANSWER_INT32], 1);
    cr_expect_eq(a.by_kind[MODEL_ANSWER_INT64], 1);
    cr_expect_float_eq(model_score_top1(&a), 0.6, 1e-12);
    cr_expect_eq(a.confusion[1][0], 1);
    cr_expect_eq(a.confusion[2][9], 1);
    cr_expect_eq(a.confusion[2][2], 0);
    uint64_t support, right, predicted;
    model_score_class(&a, 9, &support, &right, &predicted);
    cr_expect_eq(support, 1);
    cr_expect_eq(right, 1);
    cr_expect_eq(predicted, 2); /* sample 2 and sample 4 */
    model_score_class(&a, 0, &support, &right, &predicted);
    cr_expect_eq(support, 1);
    cr_expect_eq(predicted, 2); /* samples 0 and 1 */
    model_score_free(&a);
}

Test(score, ties_are_not_credited_and_bad_entries_are_refused, .timeout = 10)
{
    model_score a;
    char err[256];
    cr_assert_eq(model_score_init(&a, labels, 6), 0);
    float s[MODEL_CLASSES] = {0}; /* all equal: argmax is class 0, label 0 ... */
    unsigned char b[MODEL_RESPONSE_BYTES];
    put_scores(b, s);
    cr_assert_eq(model_score_add(&a, 5, b, sizeof b, err, sizeof err), 0);
    cr_expect_eq(a.top5_correct, 0, "a tie with nine others is not in the top 5");
    s[4] = NAN;
    put_scores(b, s);
    cr_expect_eq(model_score_add(&a, 0, b, sizeof b, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "not a finite number"), "%s", err);
    cr_expect_eq(model_score_add(&a, 6, b, sizeof b, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "qsl_idx 6 is past the 6 labels"), "%s", err);
    cr_expect_eq(model_score_add(&a, 0, b, 12, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "12 bytes"), "%s", err);
    unsigned char i32[4] = {10, 0, 0, 0}, neg[4] = {0xff, 0xff, 0xff, 0xff};
    cr_expect_eq(model_score_add(&a, 0, i32, 4, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "class 10 is out of range"), "%s", err);
    cr_expect_eq(model_score_add(&a, 0, neg, 4, err, sizeof err), LG_EINVAL);
    cr_expect_not_null(strstr(err, "class -1"), "%s", err);
    cr_expect_eq(a.scored, 1);
    model_score_free(&a);
    cr_expect_eq(model_score_init(&a, labels, 0), LG_EINVAL);
}

/* ---------------------------------------------------------------- the program */

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(tu_in_tmp(name), "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* The accuracy pass of the whole test set scores itself when it ends: results.json's
 * "accuracy" agrees with itself (the confusion matrix's diagonal is top1_correct, its
 * rows the class counts) and with the committed network's recorded 89.60 %. */
Test(program, an_accuracy_run_scores_the_test_set_into_results_json, .timeout = 120, TU_TMP)
{
    tu_proc p;
    RUN(&p, "run", "--scenario", "Offline", "--mode", "accuracy", "--out", "acc",
        "--no-progress");
    cr_assert_eq(p.code, 0, "%s%s", p.out, p.err);
    cr_expect_not_null(strstr(p.out, "accuracy: top-1 89.60 % of 10000 images (target 88.70 "
                                     "%: met)"), "%s", p.out);
    tu_proc_free(&p);
    json_t *j = tu_results_json("acc"), *a = json_object_get(j, "accuracy");
    cr_assert(json_is_object(a));
    cr_expect_eq(json_integer_value(json_object_get(a, "scored")), 10000);
    cr_expect_eq(json_integer_value(json_object_get(a, "duplicates")), 0);
    cr_expect_str_eq(json_string_value(json_object_get(a, "response_kind")), "scores");
    double top1 = json_number_value(json_object_get(a, "top1"));
    cr_expect(top1 >= 0.88, "top-1 %g", top1);
    cr_expect(json_is_true(json_object_get(a, "passed")));
    cr_expect_gt(json_number_value(json_object_get(a, "top5")), top1);
    json_t *conf = json_object_get(a, "confusion");
    cr_assert_eq(json_array_size(conf), 10);
    json_int_t diag = 0;
    for (size_t c = 0; c < 10; c++) {
        json_int_t row = 0;
        for (size_t k = 0; k < 10; k++)
            row += json_integer_value(json_array_get(json_array_get(conf, c), k));
        cr_expect_eq(row, 1000, "class %zu: %lld images", c, (long long)row);
        diag += json_integer_value(json_array_get(json_array_get(conf, c), c));
    }
    cr_expect_eq(diag, json_integer_value(json_object_get(a, "top1_correct")));
    cr_expect_eq(diag, (json_int_t)llround(top1 * 10000));
    json_decref(j);

    /* Scored again by the command: the same figures, a stricter target missed. */
    RUN(&p, "accuracy", "acc", "--no-write");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_not_null(strstr(p.out, "confusion matrix"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "6 Shirt"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "accuracy", "acc", "--min-top1", "99.5", "--quiet");
    cr_expect_eq(p.code, 1, "%s%s", p.out, p.err);
    cr_expect_not_null(strstr(p.out, "(target 99.50 %: MISSED)"), "%s", p.out);
    tu_proc_free(&p);
    j = tu_results_json("acc");
    cr_expect(json_is_false(json_object_get(json_object_get(j, "accuracy"), "passed")));
    json_decref(j);

    /* The report shows it. */
    RUN(&p, "report", "acc");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_not_null(strstr(p.out, "### Accuracy"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "| Ankle boot | 1000 |"), "%s", p.out);
    tu_proc_free(&p);
}

/* SubmissionRun: the accuracy pass and the performance pass in one folder. */
Test(program, a_submission_run_holds_accuracy_and_performance, .timeout = 120, TU_TMP)
{
    tu_proc p;
    RUN(&p, "run", "--scenario", "SingleStream", "--mode", "submission", "--out", "sub",
        "--min-duration-ms", "300", "--no-progress", "--quiet");
    cr_assert(p.code == 0 || p.code == 1, "%s", p.err);
    tu_proc_free(&p);
    json_t *j = tu_results_json("sub");
    json_t *a = json_object_get(j, "accuracy");
    cr_expect_eq(json_integer_value(json_object_get(a, "scored")), 10000);
    cr_expect_gt(json_integer_value(json_object_get(json_object_get(j, "counts"),
                                                    "samples_issued")), 0);
    json_decref(j);
}

Test(program, bad_logs_and_labels_are_named, .timeout = 120, TU_TMP)
{
    tu_proc p;
    RUN(&p, "run", "--scenario", "SingleStream", "--min-duration-ms", "100", "--out", "perf",
        "--no-progress", "--quiet");
    cr_assert(p.code == 0 || p.code == 1, "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "accuracy", "perf");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "holds no responses"), "%s", p.err);
    cr_expect_not_null(strstr(p.err, "--mode accuracy"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "accuracy", "nowhere");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "nowhere/mlperf_log_accuracy.json: no such file"), "%s",
                       p.err);
    tu_proc_free(&p);
    write_text("hex.json", "[{\"seq_id\": 0, \"qsl_idx\": 1, \"data\": \"00000000\"},\n"
                           " {\"seq_id\": 7, \"qsl_idx\": 2, \"data\": \"0x000000\"}]\n");
    RUN(&p, "accuracy", "hex.json");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "hex.json: entry 1 (seq_id 7): \"data\" has a character "
                                     "that is not a hex digit at position 1"), "%s", p.err);
    tu_proc_free(&p);
    write_text("cut.json", "[{\"seq_id\": 0, \"qsl_idx\": 1,\n");
    RUN(&p, "accuracy", "cut.json");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "cut.json:2:"), "%s", p.err);
    cr_expect_not_null(strstr(p.err, "not valid JSON"), "%s", p.err);
    tu_proc_free(&p);
    write_text("far.json", "[{\"seq_id\": 0, \"qsl_idx\": 10000, \"data\": \"01000000\"}]");
    RUN(&p, "accuracy", "far.json");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "qsl_idx 10000 is past the 10000 labels"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "accuracy", "far.json", "--labels", "x", "--dataset-dir", "y");
    cr_expect_eq(p.code, 2);
    tu_proc_free(&p);
    RUN(&p, "accuracy", "far.json", "--min-top1", "120");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "--min-top1"), "%s", p.err);
    tu_proc_free(&p);
}

/* --labels: any IDX file of labels; classes as int32 and int64 (other SUTs' answers). */
Test(program, labels_from_a_file_and_classes_as_integers, .timeout = 30, TU_TMP)
{
    unsigned char idx[8 + 4] = {0, 0, 8, 1, 0, 0, 0, 4, 3, 1, 4, 1};
    FILE *f = fopen(tu_in_tmp("labels.idx"), "wb");
    cr_assert_not_null(f);
    fwrite(idx, 1, sizeof idx, f);
    fclose(f);
    write_text("ints.json", "[{\"seq_id\": 0, \"qsl_idx\": 0, \"data\": \"03000000\"},\n"
                            " {\"seq_id\": 1, \"qsl_idx\": 1, \"data\": \"0100000000000000\"},\n"
                            " {\"seq_id\": 2, \"qsl_idx\": 2, \"data\": \"02000000\"},\n"
                            " {\"seq_id\": 3, \"qsl_idx\": 2, \"data\": \"04000000\"}]\n");
    tu_proc p;
    RUN(&p, "accuracy", "ints.json", "--labels", "labels.idx");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_not_null(strstr(p.out, "top-1   66.67 %  (2 of 3)"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "1 duplicate entries ignored"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "responses: mixed"), "%s", p.out);
    cr_expect_null(strstr(p.out, "top-5"), "%s", p.out);
    cr_expect_not_null(strstr(p.out, "no results.json"), "%s", p.out);
    tu_proc_free(&p);
    idx[9] = 11;
    f = fopen(tu_in_tmp("labels.idx"), "wb");
    fwrite(idx, 1, sizeof idx, f);
    fclose(f);
    RUN(&p, "accuracy", "ints.json", "--labels", "labels.idx");
    cr_expect_eq(p.code, 2);
    cr_expect_not_null(strstr(p.err, "labels.idx: byte 9: label 11 of sample 1"), "%s", p.err);
    tu_proc_free(&p);
}

/* The demo: its Offline run is a SubmissionRun, its accuracy printed, one HTML report. */
Test(program, the_demo_scores_accuracy_and_writes_its_report, .timeout = 180, TU_TMP)
{
    tu_proc p;
    RUN(&p, "demo", "--min-duration-ms", "200", "--out", "demo");
    cr_assert(p.code == 0 || p.code == 1, "%s%s", p.out, p.err);
    cr_expect_not_null(strstr(p.out, "Accuracy: top-1 89.60 % of the 10000 test images"), "%s",
                       p.out);
    cr_expect_not_null(strstr(p.out, "Report: demo/report.html"), "%s", p.out);
    tu_proc_free(&p);
    char *html = tu_slurp(tu_in_tmp("demo/report.html"), NULL);
    cr_expect_not_null(strstr(html, "Confusion matrix"));
    free(html);
    json_t *j = tu_results_json("demo/Offline");
    cr_expect_str_eq(json_string_value(json_object_get(j, "mode")), "SubmissionRun");
    json_decref(j);
    RUN(&p, "demo", "--min-duration-ms", "100", "--out", "d2", "--sut", "null", "--no-report");
    cr_expect(p.code == 0 || p.code == 1, "%s", p.err);
    cr_expect_null(strstr(p.out, "Report:"), "%s", p.out);
    cr_expect_null(strstr(p.out, "Accuracy:"), "%s", p.out);
    tu_proc_free(&p);
    cr_expect(!tu_exists(tu_in_tmp("d2/report.html")));
}
