/* bench_peak.c: MLPerf's FindPeakPerformance against find-peak on the same SUT of known
 * capacity: one server of constant 1 ms service in virtual time (sample i finishes at
 * max(its issue, the previous finish) + 1 ms; a thread answers it then), so that its
 * capacity is 1000 samples/s whatever else the machine runs, and only wake-up jitter
 * reaches the latencies. Poisson arrivals from 200 QPS, p99 bound 50 ms, the same seeds
 * for every probe. Both use probes of the same minimum duration; MLPerf's bisects to its
 * default precision (one decimal of QPS), find-peak to 2% with its watch cutting failing
 * probes. The two algorithms take turns for `rounds` rounds (medians printed), so that a
 * busy machine affects them alike. Prints:
 *   bench_peak algorithm=<name> peak_qps=<median> probes=<median> search_s=<median>
 *   bench_peak time_ratio=<mlperf/find-peak, median of the rounds' ratios>
 *             peak_diff=<|median find-peak - median mlperf| / median mlperf> ...
 * Usage: bench_peak [--quick] [--rounds N] [--probe-ms N]
 *   (--quick: 300 ms probes, 1 round; default 1000 ms probes, 3 rounds) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"

#define MAX_ROUNDS 15

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}


/* The virtual-time queue (see the top of the file). */
typedef struct vq {
    int64_t service_ns, last_finish;
    struct {
        uint64_t id;
        int64_t finish;
    } *q;
    size_t cap, head, tail;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    pthread_t th;
} vq;

static void vq_issue(void *ctx, const lg_sample *s, size_t n)
{
    vq *v = ctx;
    int64_t now = lg_now_ns();
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < n && v->tail - v->head < v->cap; i++) {
        int64_t start = now > v->last_finish ? now : v->last_finish;
        v->last_finish = start + v->service_ns;
        v->q[v->tail % v->cap].id = s[i].id;
        v->q[v->tail % v->cap].finish = v->last_finish;
        v->tail++;
    }
    pthread_cond_signal(&v->cv);
    pthread_mutex_unlock(&v->mu);
}

static void *vq_main(void *arg)
{
    vq *v = arg;
    pthread_mutex_lock(&v->mu);
    for (;;) {
        while (v->head == v->tail && !v->stop)
            pthread_cond_wait(&v->cv, &v->mu);
        if (v->stop)
            break;
        uint64_t id = v->q[v->head % v->cap].id;
        int64_t f = v->q[v->head % v->cap].finish;
        v->head++;
        pthread_mutex_unlock(&v->mu);
        struct timespec ts = {.tv_sec = f / 1000000000, .tv_nsec = f % 1000000000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        lg_response r = {.id = id};
        lg_complete(&r, 1);
        pthread_mutex_lock(&v->mu);
    }
    pthread_mutex_unlock(&v->mu);
    return NULL;
}

/* One search; fills the peak, the probe count and the seconds it took. */
static int one_search(lg_peak_algorithm alg, uint64_t probe_ms, qsl_synthetic *q,
                      double *peak, double *probes, double *secs)
{
    vq v = {.service_ns = 1000000, .cap = (size_t)1 << 20};
    v.q = calloc(v.cap, sizeof *v.q);
    if (!v.q)
        return -1;
    pthread_mutex_init(&v.mu, NULL);
    pthread_cond_init(&v.cv, NULL);
    if (pthread_create(&v.th, NULL, vq_main, &v)) {
        free(v.q);
        return -1;
    }
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = LG_SERVER;
    s.server_target_qps = 200;
    s.server_target_latency_ns = 50000000;
    s.min_duration_ms = probe_ms;
    s.min_query_count = 100;
    lg_peak_options o;
    lg_peak_options_default(&o);
    o.algorithm = alg;
    lg_sut sut = {.name = "virtual-queue", .ctx = &v, .issue = vq_issue};
    lg_qsl qsl = qsl_synthetic_qsl(q);
    lg_results r;
    lg_peak_result pr;
    int rc = lg_find_peak(&s, &sut, &qsl, &o, NULL, &r, &pr);
    pthread_mutex_lock(&v.mu);
    v.stop = true;
    pthread_cond_signal(&v.cv);
    pthread_mutex_unlock(&v.mu);
    pthread_join(v.th, NULL);
    free(v.q);
    if (rc) {
        fprintf(stderr, "bench_peak: %s: %s\n", lg_peak_algorithm_name(alg), lg_last_error());
        return -1;
    }
    *peak = pr.peak_qps;
    *probes = (double)pr.nprobes;
    *secs = (double)pr.search_ns / 1e9;
    if (!pr.found)
        fprintf(stderr, "bench_peak: %s found no peak: %s\n", lg_peak_algorithm_name(alg),
                pr.stop_reason);
    lg_peak_result_free(&pr);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = 3;
    uint64_t probe_ms = 1000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            rounds = 1;
            probe_ms = 300;
        } else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--probe-ms") && i + 1 < argc) {
            probe_ms = strtoull(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_peak [--quick] [--rounds N] [--probe-ms N]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || probe_ms < 50) {
        fprintf(stderr, "bench_peak: --rounds 1..%d, --probe-ms at least 50\n", MAX_ROUNDS);
        return 2;
    }
    qsl_synthetic *q;
    if (qsl_synthetic_create("synthetic", 1024, 1024, 0, 0, &q))
        return 3;
    double peak[2][MAX_ROUNDS], probes[2][MAX_ROUNDS], secs[2][MAX_ROUNDS];
    double ratio[MAX_ROUNDS];
    const lg_peak_algorithm alg[2] = {LG_PEAK_MLPERF, LG_PEAK_FIND_PEAK};
    for (int k = 0; k < rounds; k++) {
        for (int a = 0; a < 2; a++)
            if (one_search(alg[a], probe_ms, q, &peak[a][k], &probes[a][k], &secs[a][k])) {
                qsl_synthetic_destroy(q);
                return 3;
            }
        ratio[k] = secs[1][k] > 0 ? secs[0][k] / secs[1][k] : NAN;
        fprintf(stderr, "bench_peak: round %d: mlperf %.6g QPS in %.0f probes, %.2f s; "
                "find-peak %.6g QPS in %.0f probes, %.2f s\n", k + 1, peak[0][k],
                probes[0][k], secs[0][k], peak[1][k], probes[1][k], secs[1][k]);
    }
    for (int a = 0; a < 2; a++)
        printf("bench_peak algorithm=%s peak_qps=%.6g probes=%.0f search_s=%.3f\n",
               lg_peak_algorithm_name(alg[a]), median(peak[a], rounds),
               median(probes[a], rounds), median(secs[a], rounds));
    double pm = median(peak[0], rounds), pf = median(peak[1], rounds);
    printf("bench_peak time_ratio=%.2f peak_diff=%.4f probe_ms=%llu rounds=%d\n",
           median(ratio, rounds), pm > 0 ? fabs(pf - pm) / pm : NAN,
           (unsigned long long)probe_ms, rounds);
    qsl_synthetic_destroy(q);
    return 0;
}
