/* test_mpi.c: `loadgen run --distributed` under Open MPI's mpirun on 127.0.0.1
 * (cli/distributed.c, mpi/, docs/distributed.md): the exact merge, every global query
 * issued once, N ranks against one rank at the same total rate, the common start, a
 * fixed seed's repeat, a rank that dies or hangs, and what is refused. Each run goes
 * through `timeout 120 mpirun --allow-run-as-root --oversubscribe` (Open MPI 4.1 refuses
 * root without the first, and more ranks than cores without the second). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "tests/testutil.h"

#define MPIRUN "/usr/bin/mpirun"
#define TIMEOUT "/usr/bin/timeout"

/* Skips the test, saying why, when Open MPI is not installed (scripts/setup.sh test
 * installs it, so CI runs these) or the program was built without it. */
static void need_mpi(void)
{
    if (access(MPIRUN, X_OK) != 0)
        cr_skip_test("mpirun is not installed (sh scripts/setup.sh test installs Open MPI)");
    /* Ranks waiting in MPI yield the core: the tests run two at a time on a machine
     * that may have two cores. */
    setenv("OMPI_MCA_mpi_yield_when_idle", "1", 1);
    /* Under ASan: Open MPI's libraries have no frame pointers, and the leaks they keep
     * past MPI_Finalize are told apart by tests/lsan.supp only with full stacks. */
    char asan[512];
    const char *was = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof asan, "%s%sfast_unwind_on_malloc=0", was ? was : "",
             was && *was ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    tu_proc p;
    RUN(&p, "run", "--help");
    bool has = strstr(p.out, "--distributed") != NULL;
    /* Said in full when it fails: once under ASan the help lacked the flag (not seen
     * again in the runs since). */
    cr_assert(has, "the program has no --distributed flag: exit %d, %zu bytes of help, "
              "stderr: %.2000s", p.code, strlen(p.out), p.err);
    tu_proc_free(&p);
}

/* Runs `loadgen run --distributed ARGS` on np ranks (extra: NULL-terminated flags).
 * survive: mpirun lets the other ranks run on when one process dies (Open MPI's
 * orte_abort_on_non_zero_status 0; mpirun then exits 0 for the ranks' own codes, so
 * only the fault tests use it). */
static void mpi_run_how(tu_proc *p, int np, const char *const *extra, bool survive)
{
    char nps[8];
    snprintf(nps, sizeof nps, "%d", np);
    const char *argv[64] = {"timeout", "120", MPIRUN, "--allow-run-as-root", "--oversubscribe",
                            "-np", nps};
    size_t n = 7;
    if (survive) {
        argv[n++] = "--mca";
        argv[n++] = "orte_abort_on_non_zero_status";
        argv[n++] = "0";
    }
    /* A start 1 s after the agreement: time for every rank to build its SUT even on a
     * loaded machine or under ASan (a rank that is late shifts its share, and the
     * merged rate shows it). */
    const char *tail[] = {tu_program(), "run", "--distributed", "--distributed-start-lead-ms",
                          "1000"};
    for (size_t i = 0; i < 5; i++)
        argv[n++] = tail[i];
    for (size_t i = 0; extra[i]; i++) {
        cr_assert_lt(n, 62);
        argv[n++] = extra[i];
    }
    argv[n] = NULL;
    tu_run_exe(p, TIMEOUT, argv);
    cr_assert_neq(p->code, 124, "mpirun timed out:\n%s\n%s", p->out, p->err);
}

static void mpi_run(tu_proc *p, int np, const char *const *extra)
{
    mpi_run_how(p, np, extra, false);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The latencies (completed - scheduled) of the successful records, sorted. */
static int64_t *latencies(const lg_sample_record *r, uint64_t n, int64_t *out, size_t *k)
{
    for (uint64_t i = 0; i < n; i++)
        if (r[i].completed_ns >= 0 && r[i].status == 0)
            out[(*k)++] = r[i].completed_ns - r[i].scheduled_ns;
    return out;
}

static int64_t jint(json_t *o, const char *a, const char *b)
{
    json_t *x = json_object_get(json_object_get(o, a), b);
    cr_assert(json_is_integer(x), "results.json has no integer %s.%s", a, b);
    return json_integer_value(x);
}

static const char *const SERVER_2K[] = {
    "--sut", "synthetic", "--scenario", "Server", "--target-qps", "2000",
    "--min-duration-ms", "1000", "--min-query-count", "100", "--schedule-rng-seed", "7",
    "--sample-index-rng-seed", "9", "--issue-spin-ns", "0", "--out", "out", NULL};

/* The honest labels of a distributed run in DIR (results.json j): the MLPerf summary's
 * line, `loadgen report`'s Distributed run section (Markdown and HTML) with every rank's
 * figures as results.json holds them, and `loadgen validate` saying it is not
 * MLPerf-valid. */
static void expect_labels(json_t *j, const char *dir)
{
    json_t *d = json_object_get(j, "distributed");
    long long ranks = json_integer_value(json_object_get(d, "ranks"));
    long long hosts = json_integer_value(json_object_get(d, "hosts"));
    bool complete = json_is_true(json_object_get(d, "complete"));
    cr_assert_gt(ranks, 0);
    cr_assert_gt(hosts, 0);
    char path[256], want[512];
    snprintf(path, sizeof path, "%s/mlperf_log_summary.txt", dir);
    char *sum = tu_slurp(tu_in_tmp(path), NULL);
    snprintf(want, sizeof want, "\n  Distributed run MLPerf-valid : NO (%lld ranks on %lld "
             "host%s; MLPerf allows one LoadGen per submission)\n", ranks, hosts,
             hosts == 1 ? "" : "s");
    cr_expect(strstr(sum, want), "no '%s' in\n%s", want, sum);
    /* Among the validity lines, before the early stopping result. */
    cr_expect_lt(strstr(sum, "Result is : "), strstr(sum, want));
    free(sum);

    tu_proc p;
    RUN(&p, "report", tu_in_tmp(dir), "--out", tu_in_tmp("r.md"), "--html", tu_in_tmp("r.html"));
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    char *md = tu_slurp(tu_in_tmp("r.md"), NULL);
    char *html = tu_slurp(tu_in_tmp("r.html"), NULL);
    snprintf(want, sizeof want, "Distributed run (docs/distributed.md): %lld ranks on %lld "
             "host%s, %s", ranks, hosts, hosts == 1 ? "" : "s",
             complete ? "complete" : "INCOMPLETE");
    cr_expect(strstr(md, want), "no '%s' in\n%s", want, md);
    cr_expect(strstr(html, want), "no '%s' in the HTML", want);
    cr_expect(strstr(md, "It is never MLPerf-valid"), "%s", md);
    json_t *pr = json_object_get(d, "per_rank");
    cr_assert_eq((long long)json_array_size(pr), ranks);
    for (size_t r = 0; r < json_array_size(pr); r++) {
        json_t *o = json_array_get(pr, r);
        if (!json_is_true(json_object_get(o, "reported"))) {
            snprintf(want, sizeof want, "| %zu | - | - | - | - | - | - | did not report: %s |",
                     r, json_string_value(json_object_get(o, "error")));
            cr_expect(strstr(md, want), "no '%s' in\n%s", want, md);
            continue;
        }
        char lp[LG_FORMAT_NS_MAX], lm[LG_FORMAT_NS_MAX], off[LG_FORMAT_NS_MAX],
            err[LG_FORMAT_NS_MAX], sk[LG_FORMAT_NS_MAX];
#define NS(buf, key) lg_format_ns((double)json_integer_value(json_object_get(o, key)), buf, \
                                  sizeof buf)
        NS(lp, "issue_lag_p99_ns");
        NS(lm, "issue_lag_max_ns");
        NS(off, "clock_offset_ns");
        NS(err, "clock_offset_error_ns");
        NS(sk, "start_skew_ns");
#undef NS
        long long st = json_integer_value(json_object_get(o, "status"));
        char status[48];
        if (st)
            snprintf(status, sizeof status, "share failed (exit code %lld)", st);
        else
            snprintf(status, sizeof status, "ok");
        snprintf(want, sizeof want, "| %zu | %s | %.1f /s | %s / %s | %s | %s | %s | %s |", r,
                 json_string_value(json_object_get(o, "host")),
                 json_real_value(json_object_get(o, "achieved_samples_per_sec")), lp, lm, off,
                 err, sk, status);
        cr_expect(strstr(md, want), "no row '%s' in\n%s", want, md);
        snprintf(want, sizeof want, "<tr><td>%zu</td><td>%s</td><td>%.1f /s</td><td>%s / %s"
                 "</td>", r, json_string_value(json_object_get(o, "host")),
                 json_real_value(json_object_get(o, "achieved_samples_per_sec")), lp, lm);
        cr_expect(strstr(html, want), "no HTML row '%s'", want);
    }
    free(md), free(html);

    RUN(&p, "validate", tu_in_tmp(dir));
    snprintf(want, sizeof want, "A distributed run (%lld ranks on %lld host%s, %s): not "
             "MLPerf-valid, since MLPerf's rules allow one LoadGen per submission.", ranks,
             hosts, hosts == 1 ? "" : "s", complete ? "complete" : "INCOMPLETE");
    cr_expect(strstr(p.out, want), "no '%s' in\n%s\n%s", want, p.out, p.err);
    tu_proc_free(&p);
}

Test(mpi, merged_percentiles_equal_the_concatenated_ranks, .timeout = 120, TU_TMP)
{
    need_mpi();
    tu_proc p;
    mpi_run(&p, 2, SERVER_2K);
    cr_assert(p.code == 0 || p.code == 1, "exit %d:\n%s\n%s", p.code, p.out, p.err);
    tu_proc_free(&p);
    lg_samples_header h, h0, h1;
    lg_sample_record *m = tu_read_samples(tu_in_tmp("out/samples.bin"), &h);
    lg_sample_record *r0 = tu_read_samples(tu_in_tmp("out/rank-0/samples.bin"), &h0);
    lg_sample_record *r1 = tu_read_samples(tu_in_tmp("out/rank-1/samples.bin"), &h1);
    cr_assert_eq(h.count, h0.count + h1.count);
    cr_assert_gt(h0.count, 500);
    int64_t *a = malloc(h.count * sizeof *a), *b = malloc(h.count * sizeof *b);
    size_t na = 0, nb = 0;
    latencies(m, h.count, a, &na);
    latencies(r0, h0.count, b, &nb);
    latencies(r1, h1.count, b, &nb);
    cr_assert_eq(na, nb);
    qsort(a, na, sizeof *a, cmp_i64);
    qsort(b, nb, sizeof *b, cmp_i64);
    /* The merged latencies are the ranks' own, each measured on its rank's clock. */
    for (size_t i = 0; i < na; i++)
        cr_assert_eq(a[i], b[i], "latency %zu: merged %lld, ranks %lld", i, (long long)a[i],
                     (long long)b[i]);
    /* And results.json's percentiles are MLPerf's rule on the concatenation. */
    json_t *j = tu_results_json("out");
    cr_expect_eq(jint(j, "latency_ns", "count"), (int64_t)nb);
    cr_expect_eq(jint(j, "latency_ns", "p50"), b[(size_t)(0.50 * (double)nb)]);
    cr_expect_eq(jint(j, "latency_ns", "p90"), b[(size_t)(0.90 * (double)nb)]);
    cr_expect_eq(jint(j, "latency_ns", "p99"), b[(size_t)(0.99 * (double)nb)]);
    cr_expect_eq(jint(j, "latency_ns", "max"), b[nb - 1]);
    cr_expect_eq(jint(j, "counts", "queries_issued"), (int64_t)(h0.count + h1.count));
    json_t *d = json_object_get(j, "distributed");
    cr_assert(json_is_object(d), "no distributed section");
    cr_expect_eq(json_integer_value(json_object_get(d, "ranks")), 2);
    cr_expect(json_is_true(json_object_get(d, "complete")));
    cr_expect(json_is_false(json_object_get(d, "mlperf_valid")));
    json_t *pr = json_object_get(d, "per_rank");
    cr_assert_eq(json_array_size(pr), 2);
    for (size_t r = 0; r < 2; r++) {
        json_t *o = json_array_get(pr, r);
        cr_expect(json_is_true(json_object_get(o, "reported")));
        cr_expect_gt(json_real_value(json_object_get(o, "achieved_samples_per_sec")), 500.0);
        /* Start alignment: both ranks on one machine start within 100 ms of the agreed
         * moment (about 0.1 ms on an idle machine, docs/distributed.md; the bound is for
         * a machine loaded by other jobs; a start that ignored the agreement would be
         * off by the 1 s lead). */
        json_int_t skew = json_integer_value(json_object_get(o, "start_skew_ns"));
        cr_expect(skew > -100000000 && skew < 100000000, "rank %zu start skew %lld ns", r,
                  (long long)skew);
        cr_expect_geq(json_integer_value(json_object_get(o, "clock_offset_error_ns")), 0);
    }
    char *detail = tu_slurp(tu_in_tmp("out/mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(detail, "Distributed run: 2 ranks") != NULL);
    cr_expect(strstr(detail, "not MLPerf-valid") != NULL);
    free(detail);
    expect_labels(j, "out");
    json_decref(j);
    free(a), free(b), free(m), free(r0), free(r1);
}

Test(mpi, three_ranks_issue_every_global_query_exactly_once, .timeout = 120, TU_TMP)
{
    need_mpi();
    tu_proc p;
    mpi_run(&p, 3, SERVER_2K);
    cr_assert(p.code == 0 || p.code == 1, "exit %d:\n%s\n%s", p.code, p.out, p.err);
    tu_proc_free(&p);
    /* The same run in one process, without --distributed. */
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "2000",
        "--min-duration-ms", "1000", "--min-query-count", "100", "--schedule-rng-seed", "7",
        "--sample-index-rng-seed", "9", "--issue-spin-ns", "0", "--out", "one", "--quiet");
    cr_assert(p.code == 0 || p.code == 1, "%s", p.err);
    tu_proc_free(&p);
    lg_samples_header h1, h[3];
    lg_sample_record *one = tu_read_samples(tu_in_tmp("one/samples.bin"), &h1);
    lg_sample_record *r[3];
    uint64_t total = 0;
    for (int k = 0; k < 3; k++) {
        char path[64];
        snprintf(path, sizeof path, "out/rank-%d/samples.bin", k);
        r[k] = tu_read_samples(tu_in_tmp(path), &h[k]);
        total += h[k].count;
    }
    cr_assert_eq(total, h1.count, "3 ranks issued %llu queries, one process %llu",
                 (unsigned long long)total, (unsigned long long)h1.count);
    /* Global query g is rank g mod 3's record g / 3: the same time from the start and
     * the same sample as one process's query g. */
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = 2000;
    s.schedule_rng_seed = 7;
    lg_schedule *sch;
    cr_assert_eq(lg_schedule_create(&s, &sch), 0);
    for (uint64_t g = 0; g < total; g++) {
        const lg_sample_record *x = &r[g % 3][g / 3];
        int64_t t = lg_schedule_next_ns(sch);
        cr_assert_eq(x->scheduled_ns, t, "query %llu", (unsigned long long)g);
        cr_assert_eq(one[g].scheduled_ns, t);
        cr_assert_eq(x->index, one[g].index, "query %llu: sample %u, one process %u",
                     (unsigned long long)g, x->index, one[g].index);
    }
    lg_schedule_destroy(sch);
    for (int k = 0; k < 3; k++)
        free(r[k]);
    free(one);
}

/* The median and 90th percentile of a run folder's latencies, its query count. */
static void p50_p90(const char *dir, double *p50, double *p90, int64_t *queries)
{
    json_t *j = tu_results_json(dir);
    *p50 = (double)jint(j, "latency_ns", "p50");
    *p90 = (double)jint(j, "latency_ns", "p90");
    *queries = jint(j, "counts", "queries_issued");
    json_decref(j);
}

Test(mpi, two_ranks_at_r_measure_what_one_rank_at_r_does, .timeout = 120, TU_TMP)
{
    need_mpi();
    /* A SUT of known latency: a constant 2 ms service, workers enough never to queue. */
    static const char *const args[] = {
        "--sut", "synthetic", "--scenario", "Server", "--target-qps", "1000",
        "--service-dist", "constant", "--service-mean-us", "2000", "--workers", "8",
        "--min-duration-ms", "1500", "--issue-spin-ns", "0", "--out", "two", NULL};
    /* Up to three pairs of runs, 2 ranks then 1: a machine shared with other jobs can
     * stall one run's tail, while a real difference (a split that issues the schedule
     * twice queues the SUT) fails every pair. */
    char why[512] = "";
    bool same = false;
    for (int attempt = 0; attempt < 3 && !same; attempt++) {
        tu_proc p;
        mpi_run(&p, 2, args);
        cr_assert(p.code == 0 || p.code == 1, "exit %d:\n%s\n%s", p.code, p.out, p.err);
        tu_proc_free(&p);
        RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "1000",
            "--service-dist", "constant", "--service-mean-us", "2000", "--workers", "8",
            "--min-duration-ms", "1500", "--issue-spin-ns", "0", "--out", "one", "--quiet");
        cr_assert(p.code == 0 || p.code == 1, "%s", p.err);
        tu_proc_free(&p);
        double a50, a90, b50, b90;
        int64_t aq, bq;
        p50_p90("two", &a50, &a90, &aq);
        p50_p90("one", &b50, &b90, &bq);
        /* The same schedule (same seed): the same queries, exactly. */
        cr_assert_eq(aq, bq, "2 ranks issued %lld queries, 1 rank %lld", (long long)aq,
                     (long long)bq);
        /* The latency is 2 ms plus the sleep's overshoot: the medians within 10% (or
         * 0.3 ms) of one another and near the known 2 ms; the 90th percentiles (the
         * wake-up tail, which two processes on shared cores widen) within 40% (or
         * 0.5 ms). */
        same = a50 > 1.9e6 && a50 < 3e6 && b50 > 1.9e6 && b50 < 3e6 &&
               fabs(a50 - b50) < 0.1 * b50 + 3e5 && fabs(a90 - b90) < 0.4 * b90 + 5e5;
        snprintf(why + strlen(why), sizeof why - strlen(why),
                 " [p50 %.0f vs %.0f, p90 %.0f vs %.0f ns]", a50, b50, a90, b90);
        char rm[256];
        snprintf(rm, sizeof rm, "rm -rf '%s/two' '%s/one'", tu_tmp, tu_tmp);
        cr_assert_eq(system(rm), 0);
    }
    cr_expect(same, "2 ranks against 1 rank (2 ranks first):%s", why);
}

Test(mpi, offline_split_and_a_fixed_seed_repeat_the_same_samples, .timeout = 120, TU_TMP)
{
    need_mpi();
    static const char *const a[] = {"--sut", "null", "--scenario", "Offline", "--target-qps",
                                     "20000", "--min-duration-ms", "200",
                                     "--sample-index-rng-seed", "5", "--out", "a", NULL};
    static const char *const b[] = {"--sut", "null", "--scenario", "Offline", "--target-qps",
                                     "20000", "--min-duration-ms", "200",
                                     "--sample-index-rng-seed", "5", "--out", "b", NULL};
    tu_proc p;
    mpi_run(&p, 3, a);
    cr_assert(p.code == 0 || p.code == 1, "exit %d:\n%s\n%s", p.code, p.out, p.err);
    tu_proc_free(&p);
    mpi_run(&p, 3, b);
    cr_assert(p.code == 0 || p.code == 1, "exit %d:\n%s\n%s", p.code, p.out, p.err);
    tu_proc_free(&p);
    lg_samples_header ha, hb;
    lg_sample_record *ra = tu_read_samples(tu_in_tmp("a/samples.bin"), &ha);
    lg_sample_record *rb = tu_read_samples(tu_in_tmp("b/samples.bin"), &hb);
    cr_assert_eq(ha.count, hb.count);
    cr_assert_geq(ha.count, 4000); /* 20000/s x 200 ms, one query */
    for (uint64_t i = 0; i < ha.count; i++)
        cr_assert_eq(ra[i].index, rb[i].index, "sample %llu", (unsigned long long)i);
    json_t *j = tu_results_json("a");
    cr_expect_eq(jint(j, "counts", "queries_issued"), 1);
    cr_expect_eq(jint(j, "counts", "samples_completed"), (int64_t)ha.count);
    json_decref(j);
    free(ra), free(rb);
}

/* A rank that hangs (or exits) after its share: rank 0 waits --distributed-timeout-ms,
 * writes what the others measured, marked incomplete, names the rank and ends them all. */
static void faulty_rank(const char *fault)
{
    need_mpi();
    setenv("LOADGEN_MPI_FAULT", fault, 1);
    static const char *const args[] = {
        "--sut", "synthetic", "--scenario", "Server", "--target-qps", "1000",
        "--min-duration-ms", "500", "--issue-spin-ns", "0", "--out", "out",
        "--distributed-timeout-ms", "1500", NULL};
    tu_proc p;
    mpi_run_how(&p, 2, args, true);
    unsetenv("LOADGEN_MPI_FAULT");
    cr_expect_neq(p.code, 0);
    cr_expect(strstr(p.err, "rank 1 did not report within 1500 ms") != NULL, "stderr:\n%s",
              p.err);
    tu_proc_free(&p);
    json_t *j = tu_results_json("out");
    cr_expect(json_is_false(json_object_get(j, "valid")));
    cr_expect(json_is_true(json_object_get(j, "aborted")));
    json_t *d = json_object_get(j, "distributed");
    cr_expect(json_is_false(json_object_get(d, "complete")));
    json_t *r1 = json_array_get(json_object_get(d, "per_rank"), 1);
    cr_expect(json_is_false(json_object_get(r1, "reported")));
    cr_expect(strstr(json_string_value(json_object_get(r1, "error")), "rank 1") != NULL);
    /* Rank 0's samples are all there. */
    lg_samples_header h0;
    free(tu_read_samples(tu_in_tmp("out/rank-0/samples.bin"), &h0));
    cr_expect_eq(jint(j, "counts", "samples_issued"), (int64_t)h0.count);
    expect_labels(j, "out");
    json_decref(j);
    char *detail = tu_slurp(tu_in_tmp("out/mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(detail, "rank 1 sent nothing") != NULL);
    free(detail);
}

Test(mpi, a_hanging_rank_ends_the_run_by_the_deadline, .timeout = 120, TU_TMP)
{
    faulty_rank("1:hang");
}

Test(mpi, a_rank_that_exits_ends_the_run_by_the_deadline, .timeout = 120, TU_TMP)
{
    faulty_rank("1:exit");
}

Test(mpi, refuses_what_cannot_be_split, .timeout = 120, TU_TMP)
{
    need_mpi();
    static const char *const ss[] = {"--sut", "null", "--scenario", "SingleStream",
                                      "--out", "x", NULL};
    tu_proc p;
    mpi_run(&p, 2, ss);
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "one stream cannot be split") != NULL, "%s", p.err);
    cr_expect(!tu_exists(tu_in_tmp("x/results.json")));
    tu_proc_free(&p);
    static const char *const hdr[] = {"--sut", "null", "--scenario", "Server", "--record-hdr",
                                       "--out", "y", NULL};
    mpi_run(&p, 2, hdr);
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "not with record_hdr") != NULL, "%s", p.err);
    tu_proc_free(&p);
    /* And without mpirun the flag still names what it needs: a singleton rank. */
    RUN(&p, "demo", "--distributed");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "--distributed is an option of loadgen run only") != NULL, "%s",
              p.err);
    tu_proc_free(&p);
}

/* `loadgen serve --port 0` in the background: its pid, and its port in *port. */
static pid_t serve_start(unsigned *port)
{
    int out[2];
    cr_assert_eq(pipe(out), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(tu_program(), "loadgen", "serve", "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    struct pollfd pfd = {out[0], POLLIN, 0};
    char line[256] = "";
    if (poll(&pfd, 1, 10000) == 1) {
        ssize_t n = read(out[0], line, sizeof line - 1);
        line[n > 0 ? n : 0] = '\0';
    }
    close(out[0]);
    *port = 0;
    if (sscanf(line, "listening on http://127.0.0.1:%u", port) != 1 || !*port) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        cr_assert(false, "loadgen serve did not start: '%s'", line);
    }
    return pid;
}

Test(mpi, an_http_sut_per_rank_against_one_server, .timeout = 120, TU_TMP)
{
    need_mpi();
    unsigned port;
    pid_t srv = serve_start(&port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    const char *const args[] = {"--sut", "kserve", "--url", url, "--model-name", "model",
                                "--input-shape", "4", "--scenario", "Server",
                                "--target-qps", "500", "--min-duration-ms", "1000",
                                "--out", "out", NULL};
    tu_proc p;
    mpi_run(&p, 2, args);
    kill(srv, SIGTERM);
    waitpid(srv, NULL, 0);
    cr_assert(p.code == 0 || p.code == 1, "exit %d:\n%s\n%s", p.code, p.out, p.err);
    tu_proc_free(&p);
    json_t *j = tu_results_json("out");
    cr_expect_eq(jint(j, "counts", "samples_failed"), 0);
    cr_expect_gt(jint(j, "counts", "samples_completed"), 300);
    cr_expect_eq(json_string_value(json_object_get(j, "sut_name"))[0] != 0, 1);
    json_t *d = json_object_get(j, "distributed");
    cr_expect(json_is_true(json_object_get(d, "complete")));
    int64_t sum = 0;
    for (size_t r = 0; r < 2; r++)
        sum += json_integer_value(json_object_get(
            json_array_get(json_object_get(d, "per_rank"), r), "samples"));
    cr_expect_eq(sum, jint(j, "counts", "samples_issued"));
    json_decref(j);
}

Test(mpi, ranks_whose_server_refuses_connections_are_named, .timeout = 120, TU_TMP)
{
    need_mpi();
    /* A port with nothing listening: take a free one from the kernel, then close it. */
    unsigned port;
    pid_t srv = serve_start(&port);
    kill(srv, SIGKILL);
    waitpid(srv, NULL, 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    const char *const args[] = {"--sut", "kserve", "--url", url, "--model-name", "model",
                                "--input-shape", "4", "--ready-timeout-s", "1",
                                "--scenario", "Server", "--target-qps", "500",
                                "--min-duration-ms", "500", "--out", "out", NULL};
    tu_proc p;
    mpi_run(&p, 2, args);
    cr_expect_eq(p.code, 3, "exit %d:\n%s", p.code, p.err);
    cr_expect(strstr(p.err, "rank 0's share failed (exit code 3)") != NULL, "%s", p.err);
    cr_expect(strstr(p.err, "connection refused") != NULL, "%s", p.err);
    tu_proc_free(&p);
    json_t *j = tu_results_json("out");
    cr_expect(json_is_false(json_object_get(j, "valid")));
    json_t *d = json_object_get(j, "distributed");
    cr_expect(json_is_false(json_object_get(d, "complete")));
    json_t *r1 = json_array_get(json_object_get(d, "per_rank"), 1);
    cr_expect_eq(json_integer_value(json_object_get(r1, "status")), 3);
    cr_expect(json_is_null(json_object_get(r1, "start_skew_ns")));
    json_decref(j);
    char *detail = tu_slurp(tu_in_tmp("out/mlperf_log_detail.txt"), NULL);
    cr_expect(strstr(detail, "rank 1's share ended with exit code 3") != NULL);
    free(detail);
}
