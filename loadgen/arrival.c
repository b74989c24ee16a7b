/* arrival.c: the Server arrival patterns (docs/arrival.md). Every schedule is absolute:
 * query i's time is computed from the origin (directly, or by accumulating its own
 * draws), never from when the previous query was actually sent, so a late issue does
 * not push the rest of the run back. The Poisson path here is the one the issue loop
 * inlines (scenario.c); the others are drawn through lg__schedule_other. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsl/gsl_randist.h>

#include "loadgen/internal.h"
#include "loadgen/issue.h"
#include "stats/stats.h"

static const char *const arrival_names[LG_ARRIVAL_COUNT] = {
    [LG_ARRIVAL_POISSON] = "poisson", [LG_ARRIVAL_CONSTANT] = "constant",
    [LG_ARRIVAL_GAMMA] = "gamma",     [LG_ARRIVAL_RAMP] = "ramp",
    [LG_ARRIVAL_STAGES] = "stages",   [LG_ARRIVAL_TRACE] = "trace",
};

const char *lg_arrival_name(lg_arrival a)
{
    return (unsigned)a < LG_ARRIVAL_COUNT ? arrival_names[a] : "unknown";
}

int lg_arrival_parse(const char *name, lg_arrival *out)
{
    for (unsigned i = 0; name && out && i < LG_ARRIVAL_COUNT; i++)
        if (strcasecmp(name, arrival_names[i]) == 0) {
            *out = (lg_arrival)i;
            return 0;
        }
    return LG_EINVAL;
}

bool lg_arrival_mlperf_valid(const lg_settings *s, const char **why)
{
    static const char *const whys[LG_ARRIVAL_COUNT] = {
        [LG_ARRIVAL_CONSTANT] = "arrival = constant: queries arrive evenly spaced; MLPerf's "
                                "Server scenario requires Poisson arrivals, so this run is "
                                "not MLPerf-valid",
        [LG_ARRIVAL_GAMMA] = "arrival = gamma: queries arrive with gamma-distributed gaps; "
                             "MLPerf's Server scenario requires Poisson arrivals, so this "
                             "run is not MLPerf-valid",
        [LG_ARRIVAL_RAMP] = "arrival = ramp: the arrival rate changes during the run; "
                            "MLPerf's Server scenario requires Poisson arrivals at one "
                            "rate, so this run is not MLPerf-valid",
        [LG_ARRIVAL_STAGES] = "arrival = stages: the arrival rate changes during the run; "
                              "MLPerf's Server scenario requires Poisson arrivals at one "
                              "rate, so this run is not MLPerf-valid",
        [LG_ARRIVAL_TRACE] = "arrival = trace: queries arrive as a recorded trace; MLPerf's "
                             "Server scenario requires Poisson arrivals, so this run is "
                             "not MLPerf-valid",
    };
    /* Only Server has an arrival process: elsewhere the setting changes nothing. */
    bool ok = !s || s->scenario != LG_SERVER || s->arrival == LG_ARRIVAL_POISSON ||
              (unsigned)s->arrival >= LG_ARRIVAL_COUNT;
    if (why)
        *why = ok ? "" : whys[s->arrival];
    return ok;
}

/* ---------------------------------------------------------------- checks */

static int fail(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t len, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return LG_EINVAL;
}

static int check_stages(const lg_settings *s, char *msg, size_t len)
{
    if (!s->arrival_stages || s->arrival_stage_count == 0)
        return fail(msg, len, "arrival = stages: arrival_stages is empty; give at least one "
                    "(duration, target rate) stage");
    bool any = s->arrival_start_qps > 0;
    for (uint64_t i = 0; i < s->arrival_stage_count; i++) {
        const lg_arrival_stage *st = &s->arrival_stages[i];
        if (st->duration_ns <= 0 || st->duration_ns > LG__YEAR_NS)
            return fail(msg, len, "arrival_stages[%llu].duration_ns = %lld: must be above 0 "
                        "and at most a year", (unsigned long long)i, (long long)st->duration_ns);
        if (!(st->target_qps >= 0 && st->target_qps <= LG_MAX_QPS))
            return fail(msg, len, "arrival_stages[%llu].target_qps = %g: must be at least 0 "
                        "and at most %g", (unsigned long long)i, st->target_qps, LG_MAX_QPS);
        any = any || st->target_qps > 0;
    }
    if (!any)
        return fail(msg, len, "arrival = stages: every rate is 0 (arrival_start_qps and "
                    "each stage's target_qps): no query would ever arrive");
    return 0;
}

static int check_trace(const lg_settings *s, char *msg, size_t len)
{
    if (!s->arrival_trace_ns || s->arrival_trace_count == 0)
        return fail(msg, len, "arrival = trace: arrival_trace_ns is empty; give the trace's "
                    "times (the program: --trace FILE)");
    if (s->arrival_trace_count > LG__MAX_RECORDS)
        return fail(msg, len, "arrival_trace_count = %llu: above the 2^36 samples one run "
                    "can record", (unsigned long long)s->arrival_trace_count);
    int64_t prev = 0;
    for (uint64_t i = 0; i < s->arrival_trace_count; i++) {
        int64_t t = s->arrival_trace_ns[i];
        if (t < prev)
            return fail(msg, len, "arrival_trace_ns[%llu] = %lld: before the previous time "
                        "(%lld) or below 0; a trace's times must not decrease",
                        (unsigned long long)i, (long long)t, (long long)prev);
        prev = t;
    }
    return 0;
}

int lg__arrival_check(const lg_settings *s, const lg_qsl *qsl, uint64_t psc, char *msg,
                      size_t len)
{
    switch (s->arrival) {
    case LG_ARRIVAL_STAGES: return check_stages(s, msg, len);
    case LG_ARRIVAL_TRACE: {
        int rc = check_trace(s, msg, len);
        if (rc || !qsl || s->scenario != LG_SERVER)
            return rc;
        /* Query i issues sample i mod total_sample_count: every sample must be loaded. */
        if (psc < qsl->total_sample_count)
            return fail(msg, len, "arrival = trace: query i issues QSL sample i mod %llu, so "
                        "the whole QSL must be loaded, but the performance sample count is "
                        "%llu; set performance_sample_count_override to %llu",
                        (unsigned long long)qsl->total_sample_count, (unsigned long long)psc,
                        (unsigned long long)qsl->total_sample_count);
        return 0;
    }
    default: return 0;
    }
}

double lg__arrival_expected_samples(const lg_settings *s, uint64_t ms)
{
    double secs = (double)ms / 1000.0, top = s->server_target_qps;
    switch (s->arrival) {
    case LG_ARRIVAL_TRACE: return (double)s->arrival_trace_count;
    case LG_ARRIVAL_RAMP:
        return (s->arrival_start_qps > top ? s->arrival_start_qps : top) * secs * 1.05;
    case LG_ARRIVAL_STAGES: {
        double n = 0, r0 = s->arrival_start_qps;
        for (uint64_t i = 0; s->arrival_stages && i < s->arrival_stage_count; i++) {
            const lg_arrival_stage *st = &s->arrival_stages[i];
            n += 0.5 * (r0 + st->target_qps) * (double)st->duration_ns / 1e9;
            r0 = st->target_qps;
        }
        return n + 1;
    }
    default: return top * secs * 1.05; /* the spread of random gaps */
    }
}

/* ---------------------------------------------------------------- schedules */

/* The pieces of a ramp (one piece over min_duration_ms, then the target holds) or of
 * k6's stages (one piece per stage; the schedule ends after the last). */
static int make_segments(lg_schedule *sch, const lg_settings *s)
{
    bool ramp = s->arrival == LG_ARRIVAL_RAMP;
    size_t n = ramp ? 1 : (size_t)s->arrival_stage_count;
    sch->segs = calloc(n, sizeof *sch->segs);
    if (!sch->segs)
        return LG_ENOMEM;
    double t = 0, count = 0, r0 = s->arrival_start_qps;
    for (size_t i = 0; i < n; i++) {
        double dur = ramp ? (double)s->min_duration_ms / 1000.0
                          : (double)s->arrival_stages[i].duration_ns / 1e9;
        double r1 = ramp ? s->server_target_qps : s->arrival_stages[i].target_qps;
        sch->segs[i] = (lg__rate_seg){.start_s = t, .dur_s = dur, .rate0 = r0, .rate1 = r1,
                                      .count0 = count};
        t += dur;
        count += 0.5 * (r0 + r1) * dur;
        r0 = r1;
    }
    sch->nsegs = n;
    sch->hold_last = ramp;
    sch->ends_itself = !ramp;
    return 0;
}

int lg__schedule_init(lg_schedule *sch, const lg_settings *s, bool accuracy)
{
    memset(sch, 0, sizeof *sch);
    sch->kind = accuracy ? LG_ARRIVAL_POISSON : s->arrival;
    sch->mean_gap_ns = 1e9 / s->server_target_qps;
    switch (sch->kind) {
    case LG_ARRIVAL_POISSON:
    case LG_ARRIVAL_GAMMA:
        sch->rng = lg__rng_new(s->schedule_rng_seed);
        if (!sch->rng)
            return LG_ENOMEM;
        sch->gamma_shape = s->arrival_burstiness;
        sch->gamma_scale_ns = sch->mean_gap_ns / s->arrival_burstiness;
        return 0;
    case LG_ARRIVAL_RAMP:
    case LG_ARRIVAL_STAGES:
        return make_segments(sch, s);
    case LG_ARRIVAL_TRACE:
        sch->ntrace = s->arrival_trace_count;
        sch->trace_ns = malloc(sch->ntrace * sizeof *sch->trace_ns);
        if (!sch->trace_ns)
            return LG_ENOMEM;
        memcpy(sch->trace_ns, s->arrival_trace_ns, sch->ntrace * sizeof *sch->trace_ns);
        sch->speed = s->arrival_trace_speed;
        sch->ends_itself = true;
        return 0;
    default:
        return 0;
    }
}

void lg__schedule_fini(lg_schedule *sch)
{
    stats_rng_free(sch->rng);
    free(sch->segs);
    free(sch->trace_ns);
    memset(sch, 0, sizeof *sch);
}

/* t + gap ns, saturating (an extreme draw must never wrap around). */
static int64_t add_ns(int64_t t, double gap_ns)
{
    double room = (double)(INT64_MAX - t);
    return gap_ns < room ? t + (int64_t)gap_ns : INT64_MAX;
}

/* Seconds to ns, saturating. */
static int64_t secs_ns(double secs)
{
    double ns = secs * 1e9;
    return ns < 9.2e18 ? (int64_t)llround(ns) : INT64_MAX;
}

/* The k-th arrival (k = 1, 2, ...) of a piecewise-linear rate: the time t where the
 * rate's integral reaches k, so that queries are spaced evenly at the rate of the
 * moment (k6's ramping arrival rate). Within a piece the integral is
 * count0 + r0 x + (r1 - r0) x^2 / (2 dur), solved for x in its cancellation-free
 * form. Returns seconds, or -1 when no piece (and no held rate) reaches k. */
static double piecewise_time(lg_schedule *sch, double k)
{
    for (; sch->seg < sch->nsegs; sch->seg++) {
        const lg__rate_seg *g = &sch->segs[sch->seg];
        double need = k - g->count0;
        double inside = 0.5 * (g->rate0 + g->rate1) * g->dur_s;
        if (need > inside)
            continue;
        double a = g->dur_s > 0 ? (g->rate1 - g->rate0) / (2.0 * g->dur_s) : 0.0;
        double b = g->rate0;
        double disc = b * b + 4.0 * a * need;
        double x = need > 0 ? 2.0 * need / (b + sqrt(disc > 0 ? disc : 0)) : 0.0;
        return g->start_s + (x < g->dur_s ? x : g->dur_s);
    }
    if (!sch->hold_last || sch->nsegs == 0)
        return -1;
    const lg__rate_seg *g = &sch->segs[sch->nsegs - 1];
    if (!(g->rate1 > 0))
        return -1;
    double end_count = g->count0 + 0.5 * (g->rate0 + g->rate1) * g->dur_s;
    return g->start_s + g->dur_s + (k - end_count) / g->rate1;
}

int64_t lg__schedule_other(lg_schedule *sch)
{
    uint64_t k = ++sch->i;
    switch (sch->kind) {
    case LG_ARRIVAL_CONSTANT: {
        double ns = (double)k * sch->mean_gap_ns;
        return ns < 9.2e18 ? (int64_t)llround(ns) : INT64_MAX;
    }
    case LG_ARRIVAL_GAMMA:
        sch->t_ns = add_ns(sch->t_ns, gsl_ran_gamma(sch->rng, sch->gamma_shape,
                                                    sch->gamma_scale_ns));
        return sch->t_ns;
    case LG_ARRIVAL_RAMP:
    case LG_ARRIVAL_STAGES: {
        double t = piecewise_time(sch, (double)k);
        return t < 0 ? -1 : secs_ns(t);
    }
    case LG_ARRIVAL_TRACE:
        if (k > sch->ntrace)
            return -1;
        return sch->speed == 1.0 ? sch->trace_ns[k - 1]
                                 : secs_ns((double)sch->trace_ns[k - 1] / 1e9 / sch->speed);
    default: /* Poisson, for the public API (the issue loop inlines it) */
        sch->t_ns = add_ns(sch->t_ns, gsl_ran_exponential(sch->rng, sch->mean_gap_ns));
        return sch->t_ns;
    }
}

/* ---------------------------------------------------------------- the public API */

int lg_schedule_create(const lg_settings *s, lg_schedule **out)
{
    lg__clear_error();
    char msg[512];
    if (!s || !out) {
        lg__set_error("lg_schedule_create: no %s", !s ? "settings" : "out");
        return LG_EINVAL;
    }
    *out = NULL;
    if (lg_settings_check(s, NULL, msg, sizeof msg)) {
        lg__set_error("%s", msg);
        return LG_EINVAL;
    }
    lg_schedule *sch = malloc(sizeof *sch);
    if (!sch)
        return LG_ENOMEM;
    int rc = lg__schedule_init(sch, s, false);
    if (rc) {
        lg__schedule_fini(sch);
        free(sch);
        return rc;
    }
    *out = sch;
    return 0;
}

int64_t lg_schedule_next_ns(lg_schedule *sch)
{
    return sch ? lg__schedule_other(sch) : -1;
}

void lg_schedule_destroy(lg_schedule *sch)
{
    if (!sch)
        return;
    lg__schedule_fini(sch);
    free(sch);
}
