/* fuzz_runfolder.c: libFuzzer target for the run-folder reader. Each input becomes a run
 * folder (results.json, samples.bin, the detail log, perhaps a leftover temporary file;
 * format in fuzz/runfolder.h), which is loaded, validated (text and JSON) and reported
 * (Markdown to /dev/null, HTML into the folder). Besides never crashing, the reader must
 * keep its promises: a one-line message on every refusal, and a loaded run whose records
 * agree with results.json and lie within the run (the analyses do arithmetic on them). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/check.h"
#include "fuzz/runfolder.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An error is one non-empty line. */
static void check_message(int rc, const char *err)
{
    if (rc == 0)
        return;
    CHECK(rc == LG_EINVAL || rc == LG_EIO || rc == LG_ENOMEM);
    CHECK(err[0] != '\0');
    CHECK(strchr(err, '\n') == NULL);
}

/* What a loaded run promises: its records agree with its counts and lie in the run. */
static void check_run(const rpt_run *run)
{
    const rpt_run_info *in = rpt_run_get_info(run);
    size_t n;
    const rpt_sample *s = rpt_run_samples(run, &n);
    if (!in->has_samples)
        return;
    CHECK(n == in->results.samples_issued);
    uint64_t done = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(s[i].scheduled_ns >= 0 && s[i].issued_ns >= 0);
        CHECK(s[i].completed_ns >= -1 && s[i].completed_ns <= in->results.duration_ns);
        if (s[i].completed_ns >= 0) {
            CHECK(s[i].completed_ns >= s[i].issued_ns);
            done++;
            failed += s[i].status != 0;
        }
    }
    CHECK(done == in->results.samples_completed && failed == in->results.samples_failed);
}

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_runfolder.XXXXXX");
        if (!mkdtemp(dir))
            __builtin_trap();
    }
    rf_clear(dir);
    if (rf_write_folder(dir, data, size))
        return 0; /* a full disk is not the reader's problem */
    char err[512] = "";
    rpt_set *set;
    int rc = rpt_set_load(dir, &set, err, sizeof err);
    check_message(rc, err);
    if (rc)
        return 0;
    rpt_validate_opts vo;
    rpt_validate_opts_default(&vo);
    vo.resamples = 100; /* the fewest allowed: the fuzzer wants many inputs per second */
    rpt_validation *v = malloc(sizeof *v);
    CHECK(v);
    for (size_t k = 0; k < rpt_set_count(set); k++) {
        const rpt_run *run = rpt_set_run(set, k);
        check_run(run);
        rc = rpt_validate(run, &vo, v);
        CHECK(rc == 0 || rc == LG_ENOMEM);
        char *json = NULL;
        if (!rc && rpt_validation_json(v, dir, &json) == 0)
            CHECK(json && json[0] == '{');
        free(json);
    }
    free(v);
    rpt_set_destroy(set);

    rpt_report_opts ro;
    rpt_report_opts_default(&ro);
    ro.validate.resamples = 100;
    ro.compare.resamples = 100;
    const char *dirs[1] = {dir};
    rpt_report *rep;
    err[0] = '\0';
    rc = rpt_report_create(dirs, 1, &ro, &rep, err, sizeof err);
    check_message(rc, err);
    if (!rc) {
        FILE *f = fopen("/dev/null", "w");
        if (f) {
            CHECK(rpt_report_write_markdown(rep, f) == 0);
            fclose(f);
        }
        rpt_report_destroy(rep);
    }
    char html[128];
    snprintf(html, sizeof html, "%s/report.html", dir);
    err[0] = '\0';
    rc = rpt_report_write_html(dirs, 1, &ro, html, err, sizeof err);
    check_message(rc, err);
    return 0;
}
