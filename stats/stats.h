/*
 * stats.h - statistics for the load generator: fast latency sorting, MLPerf's percentile
 * rule, summaries and MLPerf's early-stopping test.  Depends only on libc and GSL.
 *
 * Conventions used throughout this header:
 *  - Latencies are int64_t nanoseconds; arrays named `sorted` must be in ascending order
 *    (stats_sort_i64() produces that order).
 *  - A percentile `p` is a fraction in (0, 1): 0.99 means the 99th percentile.
 *  - Functions returning int return 0 on success or a negative errno value (-EINVAL,
 *    -ENOMEM); nothing here prints, exits or calls the GSL error handler.
 *  - Thread safety: every function is reentrant and keeps no global state; calls on
 *    distinct data may run concurrently from any number of threads.  Two calls that
 *    write the same array or struct at once must be serialised by the caller.
 *  - Ownership: no function keeps a pointer it was given after it returns, and no
 *    function returns memory the caller must free.
 */
#ifndef STATS_STATS_H
#define STATS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Sorting                                                                              */
/* ------------------------------------------------------------------------------------ */

/*
 * Sort n int64_t values ascending, in place.
 *
 * Large arrays use an LSD radix sort on 8-bit digits that skips every digit position in
 * which all values agree (latencies below 4.3 s in ns need at most 4 of the 8 passes);
 * negative values sort correctly.  Arrays of fewer than 256 values use insertion sort.
 * Cost is O(n) per pass: about 1.2 s of CPU for 1e8 latencies on the development VM
 * (qsort is ~10x slower), plus first-touch page faults on a fresh scratch buffer.
 * Uses 4 KiB of stack.
 *
 *  v        array of n values, sorted in place.  May be NULL only when n == 0.
 *  n        number of values, 0 .. SIZE_MAX / 8.
 *  scratch  caller-owned work buffer of at least n int64_t that must not overlap v, or
 *           NULL to let the function allocate (and free) one itself.  Its contents on
 *           return are unspecified.  With a non-NULL scratch the function never
 *           allocates and never fails.
 *
 * Returns 0 on success; -ENOMEM if scratch was NULL and the buffer could not be
 * allocated (v is then left unchanged); -EINVAL if v is NULL while n > 0.
 * Thread safety: reentrant; concurrent calls must use distinct v and scratch arrays.
 */
int stats_sort_i64(int64_t *v, size_t n, int64_t *scratch);

/* ------------------------------------------------------------------------------------ */
/* Percentiles                                                                          */
/* ------------------------------------------------------------------------------------ */

/*
 * MLPerf LoadGen's percentile rule: returns sorted[floor(n * p)], the index computed in
 * double precision and clamped to n - 1.  No interpolation: the result is always one of
 * the observed values, and for n = 100, p = 0.99 it is the maximum (index 99).
 *
 *  sorted  ascending array of n latencies (any unit); read only, not kept.
 *  n       number of values; n == 0 returns 0 (and sorted may then be NULL).
 *  p       fraction in [0, 1]; values below 0 (or NaN) select index 0, values of 1 or
 *          more select index n - 1.
 *
 * Returns the selected element.  Thread safety: reentrant, read only.
 */
int64_t stats_percentile_mlperf(const int64_t *sorted, size_t n, double p);

/*
 * Index that stats_percentile_mlperf() reads: min(floor(n * p), n - 1), or 0 when n == 0.
 * Same parameter rules as stats_percentile_mlperf().  Thread safety: pure function.
 */
size_t stats_percentile_mlperf_index(size_t n, double p);

/*
 * Linearly interpolated quantile ("type 7" of Hyndman and Fan; numpy.quantile's and R's
 * default): with h = (n - 1) * p, returns sorted[floor(h)] + (h - floor(h)) *
 * (sorted[floor(h) + 1] - sorted[floor(h)]).  Unlike stats_percentile_mlperf() it may
 * return a value between two observations, and it reaches the maximum only at p = 1.
 * Use it for reports and comparisons, never for MLPerf-compatible results.
 *
 *  sorted  ascending array of n doubles; read only, not kept.
 *  n       number of values; n == 0 returns NaN (and sorted may then be NULL).
 *  p       fraction in [0, 1]; clamped into that range, NaN returns NaN.
 *
 * Returns the quantile.  Thread safety: reentrant, read only.
 */
double stats_quantile_interp(const double *sorted, size_t n, double p);

/* Summary of one sorted latency array, computed exactly as MLPerf LoadGen does. */
typedef struct stats_summary {
	size_t count;        /* number of values n */
	int64_t min;         /* sorted[0], 0 when n == 0 */
	int64_t max;         /* sorted[n - 1], 0 when n == 0 */
	/* Integer sum / count, truncated toward zero; the sum is kept in 128 bits, so it
	 * never overflows.  0 when n == 0. */
	int64_t mean;
	/* The six percentiles MLPerf's logs always report, by stats_percentile_mlperf(). */
	int64_t p50;  /* p = 0.50 */
	int64_t p90;  /* p = 0.90 */
	int64_t p95;  /* p = 0.95 */
	int64_t p97;  /* p = 0.97 */
	int64_t p99;  /* p = 0.99 */
	int64_t p999; /* p = 0.999 */
	double target_percentile; /* the fraction the caller asked for */
	int64_t target;           /* stats_percentile_mlperf() at target_percentile */
} stats_summary;

/*
 * Fill *out with count, min, max, truncated mean, the six MLPerf percentiles and one
 * caller-chosen percentile of a sorted array.  O(n) for the mean, O(1) otherwise.
 *
 *  sorted             ascending array of n values; read only, not kept.  May be NULL
 *                     only when n == 0 (then every field but target_percentile is 0).
 *  n                  number of values.
 *  target_percentile  fraction in [0, 1] (e.g. 0.90 for SingleStream's default).
 *  out                caller-owned result, fully overwritten on success.
 *
 * Returns 0, or -EINVAL when out is NULL, sorted is NULL with n > 0, or
 * target_percentile is outside [0, 1] (out is then untouched).
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_summary_i64(const int64_t *sorted, size_t n, double target_percentile,
		      stats_summary *out);

/* ------------------------------------------------------------------------------------ */
/* MLPerf early stopping                                                                */
/* ------------------------------------------------------------------------------------ */

/* The confidence MLPerf uses (tolerance is 0, so the per-query probability is p). */
#define STATS_ES_MLPERF_CONFIDENCE 0.99

/*
 * The early-stopping "odds": P[X <= t] for X ~ Binomial(h + t, 1 - p), i.e. the chance
 * that a system whose queries each miss the latency bound with probability 1 - p shows
 * at most t misses among h + t queries.  Equals the regularised incomplete beta
 * I_p(h, t + 1), and 1 when h == 0.
 *
 * Computed as a sum of binomial terms in double precision, each from Loader's
 * saddle-point form (relative error about 1e-13 even for h + t near 1e12); cost is
 * O(sqrt(h + t)) operations at worst.
 *
 *  h  under-latency query count, 0 .. 2^53.
 *  t  over-latency query count, 0 .. 2^53.
 *  p  percentile, in (0, 1) exclusive.
 *
 * Returns the probability in [0, 1], or NaN when p is outside (0, 1).
 * Thread safety: pure function.
 */
double stats_es_odds(uint64_t h, uint64_t t, double p);

/*
 * h(t): the smallest h >= 0 with stats_es_odds(h, t, p) < 1 - confidence (strict <).
 * h(t) + t is the number of queries a run with t over-latency queries needs before it
 * may claim, at the given confidence, that the true p-quantile is within the bound.
 * MLPerf (p = 0.9, confidence 0.99): h(0) = 44, h(1) = 63, h(1000) = 9722.
 *
 *  t           over-latency query count, 0 .. 2^50.
 *  p           percentile, in (0, 1) exclusive.
 *  confidence  in (0, 1) exclusive; MLPerf uses STATS_ES_MLPERF_CONFIDENCE.
 *
 * Returns h(t); UINT64_MAX when an argument is invalid or h(t) + t would exceed 2^62.
 * Cost: O(log h) odds evaluations (t = 1000 at p = 0.999 takes well under a ms).
 * Thread safety: pure function.
 */
uint64_t stats_es_min_h(uint64_t t, double p, double confidence);

/*
 * t(n): the largest k >= 1 with h(k) + k <= n, or 0 when even k = 1 needs more than n
 * queries.  This is the number of highest latencies a run of n queries may "use up":
 * SingleStream/MultiStream discard the t - 1 highest and report the next one.
 * Found by binary search on k (h(k) <= n - k exactly when odds(n - k, k, p) < 1 - c),
 * so it stays fast for n up to 1e9 and beyond.
 *
 *  n           number of queries, 0 .. 2^53.
 *  p           percentile, in (0, 1) exclusive.
 *  confidence  in (0, 1) exclusive.
 *
 * Returns t(n), or 0 when an argument is invalid.  Thread safety: pure function.
 */
uint64_t stats_es_max_t(uint64_t n, double p, double confidence);

/* Early-stopping verdict for a latency-bound scenario (SingleStream, MultiStream). */
typedef struct stats_es_latency_result {
	bool met;                    /* queries >= min_queries */
	double percentile;           /* the p that was tested */
	uint64_t queries;            /* n, the number of latencies given */
	uint64_t min_queries;        /* h(1) + 1: 64 at p90, 662 at p99, 6636 at p99.9 */
	uint64_t t;                  /* t(n); 0 when not met */
	uint64_t discarded;          /* t - 1 highest latencies discarded; 0 when not met */
	int64_t estimate;            /* sorted[n - t], the early-stopping estimate; 0 when not met */
} stats_es_latency_result;

/*
 * Early-stopping estimate of the p-th percentile latency from n sorted latencies, as
 * MLPerf's SingleStream (per-sample latencies) and MultiStream (per-query latencies) do.
 *
 *  sorted      ascending latencies in ns; read only, not kept.  May be NULL when n == 0.
 *  n           number of latencies (MLPerf passes queries issued).
 *  p           percentile, in (0, 1) exclusive (e.g. 0.90; 0.99 for the SS 99% line).
 *  confidence  in (0, 1) exclusive; MLPerf uses STATS_ES_MLPERF_CONFIDENCE.
 *  out         caller-owned result, fully overwritten on success.
 *
 * Returns 0 (also when the test is not met: see out->met), or -EINVAL for a NULL out,
 * NULL sorted with n > 0, or p/confidence outside (0, 1) (out is then untouched).
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_es_latency(const int64_t *sorted, size_t n, double p, double confidence,
		     stats_es_latency_result *out);

/* Early-stopping verdict for the Server scenario. */
typedef struct stats_es_server_result {
	bool met;                   /* queries_issued >= needed */
	double percentile;          /* the p that was tested */
	uint64_t queries_issued;    /* as given */
	uint64_t overlatency;       /* t, as given */
	uint64_t h;                 /* h(t) */
	uint64_t needed;            /* h(t) + t */
	uint64_t additional_needed; /* needed - queries_issued when not met, else 0 */
} stats_es_server_result;

/*
 * MLPerf's Server early-stopping rule: with t queries over the latency bound (latency
 * strictly greater than the target), the run passes when queries_issued >= h(t) + t.
 * Example: 985 queries, 573 over latency, p = 0.99 -> h = 62518, needs 62106 more.
 *
 *  queries_issued  queries issued in the run, 0 .. 2^53.
 *  overlatency     queries whose latency exceeded the bound, 0 .. 2^50.
 *  p               percentile, in (0, 1) exclusive.
 *  confidence      in (0, 1) exclusive; MLPerf uses STATS_ES_MLPERF_CONFIDENCE.
 *  out             caller-owned result, fully overwritten on success.
 *
 * Returns 0 (also when the test is not met), -EINVAL for a NULL out or p/confidence
 * outside (0, 1), -ERANGE when h(t) exceeds the supported range (out untouched).
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_es_server(uint64_t queries_issued, uint64_t overlatency, double p, double confidence,
		    stats_es_server_result *out);

#ifdef __cplusplus
}
#endif

#endif /* STATS_STATS_H */
