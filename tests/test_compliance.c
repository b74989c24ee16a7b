/* test_compliance.c: what MLPerf's compliance tests and harnesses need of the core
 * beyond the sample choice (test_accuracy.c has TEST05's seeds, the sampling target and
 * equal issue): the audit config (lg_config_apply_audit, lg_log_settings.audit_config,
 * `loadgen run --audit-config`), the log names' suffix and date-time prefix, MLPerf's
 * max-limit verdicts (mlperf_max_limits), no sample timeout (no_sample_timeout), and the
 * refusal of FindPeakPerformance outside Server and of too many issue threads. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadgen/config.h"
#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "sut/sut.h"
#include "tests/testutil.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static lg_settings quick(lg_scenario sc)
{
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.min_duration_ms = 50;
    s.min_query_count = 20;
    s.server_target_qps = 5000;
    s.offline_expected_qps = 1000;
    return s;
}

/* Runs s on the null SUT and a synthetic QSL of 100 samples, logs in log (may be NULL). */
static int run_null(const lg_settings *s, const lg_log_settings *log, lg_results *r)
{
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create("q", 100, 100, 8, 1, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_sut sut = sut_null();
    int rc = lg_run_test(s, &sut, &qsl, log, r);
    qsl_synthetic_destroy(q);
    return rc;
}

/* ---------------------------------------------------------------- the audit config */

Test(audit, applies_star_lines_or_the_models_and_reports_missing_files, .timeout = 10,
     TU_TMP)
{
    const char *path = tu_in_tmp("audit.config");
    lg_settings s = quick(LG_OFFLINE), before = s;
    char err[512];
    /* No file: nothing applied, nothing said. */
    cr_expect_eq(lg_config_apply_audit(path, NULL, &s, err, sizeof err), 0);
    cr_expect_arr_eq(&s, &before, sizeof s);
    write_file(path, "*.*.mode = 2\n"
                     "*.*.accuracy_log_sampling_target = 4096\n"
                     "*.Offline.performance_issue_same = 1\n"
                     "sdxl.Offline.min_query_count = 500\n");
    s.mode = LG_MODE_SUBMISSION;
    cr_expect_eq(lg_config_apply_audit(path, NULL, &s, err, sizeof err), 1, "%s", err);
    cr_expect_eq(s.mode, LG_MODE_PERFORMANCE);
    cr_expect_eq(s.accuracy_log_sampling_target, 4096);
    cr_expect(s.performance_issue_same);
    cr_expect_eq(s.min_query_count, 20, "MLPerf applies it with model '*' only");
    cr_expect_eq(lg_config_apply_audit(path, "sdxl", &s, err, sizeof err), 1, "%s", err);
    cr_expect_eq(s.min_query_count, 500);
    /* A bad line names the file and line, and changes nothing. */
    write_file(path, "*.*.mode = 2\n*.*.acuracy_log_sampling_target = 5\n");
    before = s;
    cr_expect_eq(lg_config_apply_audit(path, NULL, &s, err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "audit.config:2:") && strstr(err, "accuracy_log_sampling_target"),
              "%s", err);
    cr_expect_arr_eq(&s, &before, sizeof s);
    cr_expect_eq(lg_config_apply_audit(NULL, NULL, &s, err, sizeof err), LG_EINVAL);
}

/* The logs say the audit config was found, as MLPerf's compliance instructions check, and
 * results.json records which. */
Test(audit, the_logs_record_the_audit_config, .timeout = 20, TU_TMP)
{
    lg_settings s = quick(LG_OFFLINE);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_tmp;
    log.audit_config = "compliance/TEST01/audit.config";
    lg_results r;
    cr_assert_eq(run_null(&s, &log, &r), 0, "%s", lg_last_error());
    char *detail = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(detail, "\"warning_generic_message\", \"value\": \"Found Audit Config "
                             "file (compliance/TEST01/audit.config)."), "%s", detail);
    free(detail);
    json_t *j = tu_results_json(".");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(j, "provenance"),
                                                       "audit_config")),
                     "compliance/TEST01/audit.config");
    json_decref(j);
}

/* `loadgen run` applies audit.config from its folder, or --audit-config FILE, last; the
 * run's results.json names it. A missing --audit-config file is an error; 'none'
 * ignores the folder's. */
Test(audit, loadgen_run_applies_the_folders_or_the_given_audit_config, .timeout = 60, TU_TMP)
{
    write_file(tu_in_tmp("audit.config"), "*.*.accuracy_log_sampling_target = 7\n");
    tu_proc p;
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--target-qps", "1000",
        "--min-duration-ms", "50", "--out", "a", "--quiet");
    cr_assert(p.code == 0 || p.code == 1, "%d: %s", p.code, p.err); /* 1: INVALID */
    json_t *j = tu_results_json("a");
    json_t *pv = json_object_get(j, "provenance");
    cr_expect_str_eq(json_string_value(json_object_get(pv, "audit_config")), "audit.config");
    cr_expect_eq(json_integer_value(json_object_get(
                     json_object_get(pv, "requested_settings"),
                     "accuracy_log_sampling_target")), 7);
    json_decref(j);
    tu_proc_free(&p);

    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--target-qps", "1000",
        "--min-duration-ms", "50", "--out", "b", "--quiet", "--audit-config", "none");
    cr_assert(p.code == 0 || p.code == 1, "%d: %s", p.code, p.err);
    j = tu_results_json("b");
    cr_expect(json_is_null(json_object_get(json_object_get(j, "provenance"), "audit_config")));
    json_decref(j);
    tu_proc_free(&p);

    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--out", "c",
        "--audit-config", "missing.config");
    cr_expect_eq(p.code, 2, "%s", p.err);
    cr_expect(strstr(p.err, "--audit-config missing.config: no such file"), "%s", p.err);
    tu_proc_free(&p);

    write_file(tu_in_tmp("bad.config"), "*.*.mode = 9\n");
    RUN(&p, "run", "--sut", "null", "--scenario", "Offline", "--out", "d",
        "--audit-config", "bad.config");
    cr_expect_eq(p.code, 2, "%s", p.err);
    cr_expect(strstr(p.err, "bad.config:1:"), "%s", p.err);
    tu_proc_free(&p);
}

/* ---------------------------------------------------------------- log names */

static bool name_matches(const char *name, const char *pattern)
{
    regex_t re;
    cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* MLPerf's names: <prefix><datetime>_<stem><suffix>.<ext>, our own files unchanged. */
Test(log_names, suffix_and_datetime_go_where_mlperf_puts_them, .timeout = 20, TU_TMP)
{
    lg_settings s = quick(LG_SINGLE_STREAM);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_tmp;
    log.suffix = "_TEST01";
    lg_results r;
    cr_assert_eq(run_null(&s, &log, &r), 0, "%s", lg_last_error());
    cr_expect(tu_exists(tu_in_tmp("mlperf_log_summary_TEST01.txt")));
    cr_expect(tu_exists(tu_in_tmp("mlperf_log_detail_TEST01.txt")));
    cr_expect(tu_exists(tu_in_tmp("mlperf_log_accuracy_TEST01.json")));
    cr_expect(tu_exists(tu_in_tmp("results.json")));
    cr_expect(tu_exists(tu_in_tmp("samples.bin")));
    cr_expect_not(tu_exists(tu_in_tmp("mlperf_log_summary.txt")));
    /* The same names again are a run already there, unless overwritten. */
    cr_expect_eq(run_null(&s, &log, &r), LG_EEXIST);

    log.prefix_with_datetime = true;
    log.overwrite = true;
    log.suffix = NULL;
    cr_assert_eq(run_null(&s, &log, &r), 0, "%s", lg_last_error());
    DIR *d = opendir(tu_tmp);
    cr_assert_not_null(d);
    int dated = 0;
    for (struct dirent *e; (e = readdir(d));)
        dated += name_matches(e->d_name, "^mlperf_log_[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
                                         "[0-9]{2}:[0-9]{2}Z_(summary|detail)\\.txt$");
    closedir(d);
    cr_expect_eq(dated, 2);

    log.suffix = "../x";
    cr_expect_eq(run_null(&s, &log, &r), LG_EINVAL);
    cr_expect(strstr(lg_last_error(), "suffix '../x'"), "%s", lg_last_error());
}

/* copy_detail_to_stdout: the detail log's lines on stdout after the test. */
Test(log_names, detail_copied_to_stdout, .timeout = 20, TU_TMP)
{
    char out[128];
    snprintf(out, sizeof out, "%s/stdout.txt", tu_tmp);
    fflush(stdout);
    FILE *saved = fdopen(dup(fileno(stdout)), "w");
    cr_assert_not_null(freopen(out, "w", stdout));
    lg_settings s = quick(LG_OFFLINE);
    lg_log_settings log;
    lg_log_settings_default(&log);
    log.outdir = tu_tmp;
    log.copy_detail_to_stdout = true;
    lg_results r;
    int rc = run_null(&s, &log, &r);
    fflush(stdout);
    dup2(fileno(saved), fileno(stdout));
    fclose(saved);
    cr_assert_eq(rc, 0);
    char *text = tu_slurp(out, NULL), *detail = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"),
                                                         NULL);
    /* The same lines; the closing entries' times are those of the copy. */
    size_t lines[2] = {0, 0};
    for (const char *c = text; *c; c++)
        lines[0] += *c == '\n';
    for (const char *c = detail; *c; c++)
        lines[1] += *c == '\n';
    cr_expect_gt(lines[0], 50);
    cr_expect_eq(lines[0], lines[1]);
    cr_expect_eq(strncmp(text, detail, 2000), 0);
    free(text);
    free(detail);
}

/* ---------------------------------------------------------------- max limits */

/* A max limit ends the run, with MLPerf's error line, either way; only ours makes it a
 * reason of its own. The streams at a fast SUT reach max_query_count long before the
 * minimum duration. */
Test(limits, mlperf_max_limits_judges_on_the_other_rules, .timeout = 30, TU_TMP)
{
    for (int official = 0; official < 2; official++) {
        lg_settings s = quick(LG_SINGLE_STREAM);
        s.min_duration_ms = 3000;
        s.max_query_count = 500;
        s.mlperf_max_limits = official;
        lg_log_settings log;
        lg_log_settings_default(&log);
        log.outdir = tu_tmp;
        log.overwrite = true;
        lg_results r;
        cr_assert_eq(run_null(&s, &log, &r), 0);
        cr_expect_eq(r.queries_issued, 500);
        cr_expect(r.invalid_reasons & LG_INVALID_MIN_DURATION);
        cr_expect_eq((r.invalid_reasons & LG_INVALID_MAX_LIMIT) != 0, !official,
                     "mlperf_max_limits %d: reasons %#x", official, r.invalid_reasons);
        char *detail = tu_slurp(tu_in_tmp("mlperf_log_detail.txt"), NULL);
        cr_expect(strstr(detail, "Ending early: Max query count reached."));
        free(detail);
    }
}

/* ---------------------------------------------------------------- sample timeout */

/* A SUT that holds its samples until a thread of the test completes them. */
typedef struct held {
    pthread_mutex_t mu;
    uint64_t ids[64];
    size_t n;
} held;

static void held_issue(void *ctx, const lg_sample *s, size_t n)
{
    held *h = ctx;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < n && h->n < 64; i++)
        h->ids[h->n++] = s[i].id;
    pthread_mutex_unlock(&h->mu);
}

/* Completes what the SUT holds after delay_ms. */
typedef struct releaser {
    held *h;
    int delay_ms;
} releaser;

static void *release_later(void *arg)
{
    releaser *rl = arg;
    struct timespec ts = {rl->delay_ms / 1000, (long)(rl->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&rl->h->mu);
    for (size_t i = 0; i < rl->h->n; i++) {
        lg_response resp = {.id = rl->h->ids[i]};
        lg_complete(&resp, 1);
    }
    rl->h->n = 0;
    pthread_mutex_unlock(&rl->h->mu);
    return NULL;
}

/* no_sample_timeout: a sample answered 1.5 s late still counts, where a 0.5 s timeout
 * marks it failed; the abort still ends a wait for a sample never answered. */
Test(timeout, no_sample_timeout_waits_for_every_sample, .timeout = 30)
{
    lg_settings s = quick(LG_OFFLINE);
    s.min_duration_ms = 0;
    s.min_query_count = 10;
    s.no_sample_timeout = true;
    cr_expect_eq(lg_settings_effective_timeout_ns(&s, NULL), INT64_MAX);
    s.sample_timeout_ns = 500000000;
    char msg[256];
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "no_sample_timeout"), "%s", msg);
    for (int none = 0; none < 2; none++) {
        s.no_sample_timeout = none;
        s.sample_timeout_ns = none ? 0 : 500000000;
        held h = {.mu = PTHREAD_MUTEX_INITIALIZER};
        lg_sut sut = {.name = "held", .ctx = &h, .issue = held_issue};
        qsl_synthetic *q;
        cr_assert_eq(qsl_synthetic_create("q", 10, 10, 8, 1, &q), 0);
        lg_qsl qsl = qsl_synthetic_qsl(q);
        releaser rl = {&h, 1500};
        pthread_t th;
        cr_assert_eq(pthread_create(&th, NULL, release_later, &rl), 0);
        lg_results r;
        cr_assert_eq(lg_run_test(&s, &sut, &qsl, NULL, &r), 0);
        pthread_join(th, NULL);
        qsl_synthetic_destroy(q);
        cr_expect_eq(r.samples_timed_out, none ? 0 : 10, "no_sample_timeout %d", none);
        cr_expect_eq(r.samples_completed, none ? 10 : 0);
    }
}

static void *abort_later(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    lg_abort();
    return NULL;
}

Test(timeout, an_abort_ends_a_wait_without_timeout, .timeout = 30)
{
    lg_settings s = quick(LG_OFFLINE);
    s.min_duration_ms = 0;
    s.min_query_count = 10;
    s.no_sample_timeout = true;
    held h = {.mu = PTHREAD_MUTEX_INITIALIZER};
    lg_sut sut = {.name = "held", .ctx = &h, .issue = held_issue};
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create("q", 10, 10, 8, 1, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, abort_later, NULL), 0);
    int64_t t0 = lg_now_ns();
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, NULL, &r), 0);
    int64_t took = lg_now_ns() - t0;
    pthread_join(th, NULL);
    qsl_synthetic_destroy(q);
    cr_expect(r.aborted);
    cr_expect_lt(took, INT64_C(5000000000), "took %lld ns", (long long)took);
}

/* ---------------------------------------------------------------- not ours to do */

/* FindPeakPerformance runs in Server only (MLPerf's message elsewhere, from C and from a
 * config file); more than LG_MAX_ISSUE_THREADS issue threads are refused by name. */
Test(unsupported, find_peak_outside_server_and_issue_threads_are_refused_by_name,
     .timeout = 10)
{
    lg_settings s = quick(LG_OFFLINE);
    char msg[256];
    s.mode = LG_MODE_FIND_PEAK;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "mode = 3: Finding peak performance is only supported in Server "
                          "scenarios."), "%s", msg);
    s = quick(LG_SERVER);
    s.mode = LG_MODE_FIND_PEAK;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), 0, "%s", msg);
    s.mode = LG_MODE_PERFORMANCE;
    /* Several issue threads are supported (tests/test_issue_threads.c); more than
     * LG_MAX_ISSUE_THREADS are refused by name. */
    s.server_num_issue_query_threads = LG_MAX_ISSUE_THREADS + 1;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, "server_num_issue_query_threads"), "%s", msg);
    lg_results r;
    cr_expect_eq(run_null(&s, NULL, &r), LG_EINVAL);
    cr_expect(strstr(lg_last_error(), "server_num_issue_query_threads"), "%s",
              lg_last_error());
    lg_config *c;
    cr_assert_eq(lg_config_create(&c), 0);
    const char *text = "*.*.mode = 3\n";
    cr_assert_eq(lg_config_load_string(c, "user.conf", text, strlen(text), LG_CONF_USER,
                                       msg, sizeof msg), 0, "%s", msg);
    lg_settings_default(&s);
    cr_expect_eq(lg_config_apply(c, NULL, LG_SERVER, &s, NULL, msg, sizeof msg), 0, "%s", msg);
    cr_expect_eq(s.mode, LG_MODE_FIND_PEAK);
    s.scenario = LG_SINGLE_STREAM;
    cr_expect_eq(lg_settings_check(&s, NULL, msg, sizeof msg), LG_EINVAL);
    cr_expect(strstr(msg, LG_PEAK_NOT_SERVER), "%s", msg);
    lg_config_destroy(c);
}
