/*
 * stats.h - statistics for the load generator: fast latency sorting, MLPerf's percentile
 * rule, summaries and MLPerf's early-stopping test; descriptive statistics, confidence
 * intervals (t, bootstrap, block bootstrap, batch means), two-sample tests, effect
 * sizes, outliers and sample sizes over doubles.  Depends only on libc and GSL.
 *
 * Conventions used throughout this header:
 *  - Latencies are int64_t nanoseconds; arrays named `sorted` must be in ascending order
 *    (stats_sort_i64() produces that order).
 *  - A percentile `p` is a fraction in (0, 1): 0.99 means the 99th percentile.
 *  - Functions returning int return 0 on success or a negative errno value (-EINVAL,
 *    -ENOMEM, -ERANGE, -EDOM); nothing here prints, exits or calls the GSL error handler.
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

#include <gsl/gsl_rng.h>

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

/*
 * Sort n doubles ascending in place, with the radix sort of stats_sort_i64 on their
 * bit patterns mapped to an order-preserving integer (-0.0 sorts before +0.0). Many
 * times faster than a comparison sort for millions of values.
 *
 *  v  the values; none may be NaN (their place in the result is unspecified).
 *  n  count.
 * Returns 0, -ENOMEM (v unchanged: the values are restored) or -EINVAL (v NULL, n > 0).
 * Thread safety: reentrant on distinct arrays.
 */
int stats_sort_f64(double *v, size_t n);

/*
 * Selection: moves the k-th smallest of v[0..n) (k from 0) to v[k], with values <= it
 * before and values >= it after, and returns it: O(n) expected (Hoare partitioning
 * around a median of three), O(n log n) at worst (after 64 rounds the remaining range
 * is sorted instead).  After selecting k, the k2-th smallest for any k2 > k is the
 * (k2 - k)-th smallest of v + k, so several order statistics of one array cost little
 * more than one.
 *
 *  v  n values, reordered; n >= 1.  stats_select_f64: none may be NaN.
 *  k  0 .. n - 1.
 * The result is unspecified for n == 0 or k >= n (the functions do not check).
 * Thread safety: reentrant on distinct arrays.
 */
int64_t stats_select_i64(int64_t *v, size_t n, size_t k);
double stats_select_f64(double *v, size_t n, size_t k);

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

/* A percentile's label, held by value so that it can be used inside an expression:
 * printf("%s", stats_percentile_label(0.99).s). */
typedef struct stats_pct_label {
	char s[32];
} stats_pct_label;

/*
 * The label of the percentile p: "p" and 100 p with %g's six significant digits ("p50",
 * "p99", "p99.9"), or with more when six would round a percentile below 100 up to
 * "p100": 0.999999999999 is "p99.9999999999". A p so close to 1 that 100 p is 100 in a
 * double is written from p's own digits ("p99.999999999999989"), so a label never says
 * p100 for a percentile below it.
 *
 *  p  a fraction; NaN gives "p?", p <= 0 and p >= 1 give %g's text ("p0", "p100").
 *
 * Thread safety: pure function.
 */
stats_pct_label stats_percentile_label(double p);

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
 * Returns 0 (also when the test is not met: see out->met), -EINVAL for a NULL out,
 * NULL sorted with n > 0, or p/confidence outside (0, 1), or -ERANGE when h(1) exceeds
 * the supported range (p within ~1e-16 of 1); out is untouched on error.
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

/* ==================================================================================== */
/* Statistics over double arrays: description, confidence intervals, tests, effect      */
/* sizes, outliers and sample sizes.  docs/statistics.md explains each family.           */
/*                                                                                      */
/* Conventions for everything below:                                                    */
/*  - Data are arrays of double in any one unit (ns, ms, queries/s ...); results keep    */
/*    that unit unless a field says otherwise.  Arrays are read only and never kept.     */
/*  - Every value must be finite: a NaN or infinity anywhere gives -EINVAL (or NaN from  */
/*    the functions that return a double).  Nothing is silently skipped or dropped.      */
/*  - `confidence` is a fraction in (0, 1) exclusive: 0.95 for a 95% interval.           */
/*  - -EDOM reports a result that is mathematically undefined for valid-looking input   */
/*    (a statistic that returned NaN, a degenerate bootstrap distribution).             */
/*  - Functions that allocate say so and may return -ENOMEM; none keeps memory.          */
/*  - Random resampling uses GSL's MT19937 seeded with the caller's seed, so a given     */
/*    seed, input and resample count always give the same interval (on any platform     */
/*    with the same libm).  Seed 0 is GSL's default seed (4357): seeds 0 and 4357 give  */
/*    the same stream.                                                                  */
/* ==================================================================================== */

/* ------------------------------------------------------------------------------------ */
/* Descriptive statistics                                                               */
/* ------------------------------------------------------------------------------------ */

/*
 * Arithmetic mean of n values, by a two-pass sum (the mean of the residuals corrects
 * the first estimate), accurate to a few ulps even when the values share most digits.
 *
 *  x  n values; read only, not kept.
 *  n  number of values, >= 1.
 *
 * Returns the mean, or NaN when x is NULL, n == 0 or a value is not finite.
 * Thread safety: reentrant, read only.
 */
double stats_mean(const double *x, size_t n);

/*
 * Sample standard deviation, sqrt(sum (x - mean)^2 / (n - 1)) (Bessel's correction,
 * numpy's std(ddof=1)), by the corrected two-pass algorithm.
 *
 *  x  n values; read only, not kept.
 *  n  number of values, >= 2.
 *
 * Returns the SD (>= 0), or NaN when x is NULL, n < 2 or a value is not finite.
 * Thread safety: reentrant, read only.
 */
double stats_sd(const double *x, size_t n);

/* Description of one sample of doubles (stats_describe). */
typedef struct stats_describe_result {
	size_t n;      /* number of values */
	double mean;   /* arithmetic mean */
	double sd;     /* sample SD, divisor n - 1; NaN when n == 1 */
	/* Coefficient of variation sd / |mean| as a fraction (0.05 = 5%); NaN when n == 1
	 * or the mean is 0. */
	double cv;
	double min;    /* smallest value */
	double max;    /* largest value */
	/* Quartiles by stats_quantile_interp() (type 7, numpy's default): q1 at p = 0.25,
	 * median at 0.50, q3 at 0.75.  Not MLPerf's percentile rule. */
	double median;
	double q1;
	double q3;
} stats_describe_result;

/*
 * Fill *out with count, mean, SD, CV, min, max, median and quartiles of n values in any
 * order.  Sorts a private copy: O(n log n) time and n doubles of heap.
 *
 *  x    n values; read only, not kept.
 *  n    number of values, >= 1.
 *  out  caller-owned result, fully overwritten on success.
 *
 * Returns 0; -EINVAL when x or out is NULL, n == 0 or a value is not finite; -ENOMEM
 * when the copy cannot be allocated.  out is untouched on error.
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_describe(const double *x, size_t n, stats_describe_result *out);

/* ------------------------------------------------------------------------------------ */
/* Student's t distribution                                                             */
/* ------------------------------------------------------------------------------------ */

/*
 * Two-sided tail probability P[|T| >= |t|] of Student's t with df degrees of freedom:
 * the p-value of a two-sided t-test.  Computed from the regularised incomplete beta
 * I_(df/(df+t^2))(df/2, 1/2) by its continued fraction for df <= 1e5, and by GSL's
 * gsl_cdf_tdist_Q above that; relative error below 1e-11 against 50-digit mpmath over
 * the tested range (df 1 .. 1e8, p down to 1e-240).  (GSL's function alone is off by
 * up to 1.4e-8 relative for moderate df in the tail.)
 *
 *  t   the statistic, any real; +-inf gives 0.
 *  df  degrees of freedom, > 0, need not be an integer; +inf gives the normal.
 *
 * Returns the probability in [0, 1], or NaN when t or df is NaN or df <= 0.
 * Thread safety: pure function.
 */
double stats_t_pvalue_two_sided(double t, double df);

/*
 * Critical value of a two-sided t interval: the t > 0 with P[|T| >= t] = 1 - confidence,
 * i.e. the (1 + confidence) / 2 quantile (2.0452 for 95% at df = 29).  Found by
 * Newton's method on stats_t_pvalue_two_sided(); agrees with 50-digit mpmath to about
 * 1e-14 relative (GSL's gsl_cdf_tdist_Pinv and SciPy 1.10's t.ppf are off by up to
 * 4e-9).
 *
 *  confidence  in (0, 1) exclusive.
 *  df          degrees of freedom, > 0; +inf gives the normal quantile.  Below df = 1
 *              the quantile grows like alpha^(-1/df) and can exceed the double range.
 *
 * Returns the critical value, or NaN for invalid arguments or when it is not
 * representable (df well below 1).
 * Thread safety: pure function.
 */
double stats_t_critical(double confidence, double df);

/* ------------------------------------------------------------------------------------ */
/* Confidence intervals                                                                 */
/* ------------------------------------------------------------------------------------ */

/* A confidence interval from a t-based method (stats_ci_mean_t, stats_batch_means_ci). */
typedef struct stats_ci {
	double estimate;   /* the point estimate (the mean; see each function) */
	double lo;         /* lower end of the interval */
	double hi;         /* upper end of the interval */
	double confidence; /* as requested */
	double se;         /* standard error of the estimate */
	double df;         /* degrees of freedom of the t critical value */
	size_t n;          /* values (stats_ci_mean_t) or batches (batch means) used */
} stats_ci;

/*
 * t-based confidence interval of the mean: mean +- t_crit(confidence, n - 1) * s / sqrt(n)
 * (SciPy's stats.t.interval(confidence, n - 1, loc=mean, scale=sem)).  Assumes
 * independent values whose mean is close to normal (by the central limit theorem, or
 * because the values are).  Feed it per-run summaries, not latencies from one run.
 *
 *  x           n values; read only, not kept.
 *  n           number of values, >= 2.
 *  confidence  in (0, 1) exclusive.
 *  out         caller-owned result, fully overwritten on success; df = n - 1.
 *
 * Returns 0, or -EINVAL for a NULL pointer, n < 2, a non-finite value or an invalid
 * confidence (out untouched).  A constant sample gives a zero-width interval.
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_ci_mean_t(const double *x, size_t n, double confidence, stats_ci *out);

/*
 * A statistic for the bootstraps and batch means: computes one number from x[0..n-1]
 * (n >= 1).  x is the caller's data, a slice of it, or a resample buffer owned by the
 * library and valid only during the call; the statistic must not keep it.  ctx is the
 * pointer given alongside the callback.  Calls come from the thread that called the
 * library function, one at a time.  Returning NaN or an infinity makes the calling
 * function fail with -EDOM.
 */
typedef double (*stats_statistic_fn)(const double *x, size_t n, void *ctx);

/* Ready-made statistics.  stats_stat_mean ignores ctx and is stats_mean(). */
double stats_stat_mean(const double *x, size_t n, void *ctx);

/*
 * Interpolated quantile (stats_quantile_interp, type 7) of x as a bootstrap statistic;
 * ctx must point to a double p in [0, 1] (0.5 for the median, 0.99 for p99).  Sorts a
 * private copy (malloc of n doubles per call) and returns NaN when that fails, when ctx
 * is NULL or *ctx is outside [0, 1], when n == 0 or when a value is not finite.  The
 * input is not reordered.  Thread safety: reentrant, read only.
 */
double stats_stat_quantile(const double *x, size_t n, void *ctx);

/* Bootstrap interval construction. */
typedef enum stats_boot_method {
	/* Percentiles (1 - C)/2 and (1 + C)/2 of the bootstrap replicates. */
	STATS_BOOT_PERCENTILE = 0,
	/* Bias-corrected and accelerated (Efron 1987): the percentile levels are shifted by
	 * the bias correction z0 = Phi^-1(share of replicates below the estimate, ties
	 * counting half) and the jackknife acceleration a.  Second-order accurate; costs
	 * n extra evaluations of the statistic on n - 1 values each. */
	STATS_BOOT_BCA = 1,
} stats_boot_method;

/* Settings shared by the bootstrap functions. */
typedef struct stats_boot_opts {
	/* Number of bootstrap resamples B, >= 2.  About 2000 is enough for a 95% percentile
	 * interval to be stable to a few per cent of its width, 10000 or more for BCa at
	 * 99% or for publication; the cost is B evaluations of the statistic on n values. */
	size_t resamples;
	double confidence;        /* in (0, 1) exclusive, e.g. 0.95 */
	stats_boot_method method; /* percentile or BCa (see each function) */
	unsigned long seed;       /* MT19937 seed; equal seeds give equal intervals */
	/* Optional: called by stats_ratio_of_means_ci() from the calling thread about 20
	 * times during the resampling with the fraction done, for a progress display on
	 * long work; NULL for none.  The results do not depend on it. */
	void (*progress)(void *ctx, double fraction);
	void *progress_ctx;
} stats_boot_opts;

/* Result of a bootstrap interval. */
typedef struct stats_boot_result {
	double estimate;   /* the statistic on the original data */
	double lo;         /* lower end of the interval */
	double hi;         /* upper end of the interval */
	double confidence; /* as requested */
	double se;         /* bootstrap standard error: SD of the replicates (divisor B - 1) */
	double bias;       /* mean of the replicates minus the estimate */
	double z0;         /* BCa bias correction; NaN for the percentile method */
	double accel;      /* BCa acceleration a; NaN for the percentile method */
	size_t resamples;  /* B */
	size_t block_len;  /* resampled block length: 1 for the ordinary bootstrap */
	stats_boot_method method;
} stats_boot_result;

/*
 * Bootstrap confidence interval of any statistic of one sample of independent values
 * (for example the median or p99 of per-run throughputs, or the mean of a skewed
 * sample).  Draws opts->resamples resamples of n values with replacement, evaluates
 * stat on each, and reads the interval off the sorted replicates by interpolated
 * quantiles: at (1 - C)/2 and (1 + C)/2 for STATS_BOOT_PERCENTILE, at the BCa-adjusted
 * levels Phi(z0 + (z0 + z) / (1 - a (z0 + z))), z = Phi^-1 of those levels, for
 * STATS_BOOT_BCA (acceleration from the jackknife: a = sum d^3 / (6 (sum d^2)^1.5) with
 * d_i = mean of the leave-one-out values minus the i-th; a = 0 when all d_i are 0).
 * Assumes the values are independent and identically distributed: for latencies
 * within a run use stats_block_bootstrap_ci() or stats_batch_means_ci().
 *
 *  x     n values; read only, not kept.
 *  n     number of values, >= 2.
 *  stat  the statistic; see stats_statistic_fn.  ctx is passed through to it.
 *  opts  resamples (>= 2), confidence, method and seed; read only.
 *  out   caller-owned result, fully overwritten on success.
 *
 * Cost: B + 1 calls of stat on n values (+ n calls on n - 1 values for BCa); memory
 * B + n doubles (+ 2n for BCa) from malloc, freed before returning.
 * Returns 0; -EINVAL for a NULL pointer, n < 2, a non-finite value, resamples < 2, an
 * invalid confidence or method; -ENOMEM when allocation fails; -EDOM when stat returned
 * a non-finite value, or for BCa when every replicate lies on one side of the estimate
 * (z0 infinite) or the acceleration makes the adjusted levels undefined.  out is
 * untouched on error.
 * Thread safety: reentrant as long as stat is; concurrent calls need distinct out.
 */
int stats_bootstrap_ci(const double *x, size_t n, stats_statistic_fn stat, void *ctx,
		       const stats_boot_opts *opts, stats_boot_result *out);

/*
 * Moving-block bootstrap (Kuensch 1989) for dependent data such as the latencies of
 * one run in issue order: each resample is built from blocks of block_len consecutive
 * values, starting at uniformly drawn positions 0 .. n - block_len, concatenated and
 * cut to n values, so correlation within a block survives resampling.  The interval
 * is the percentile interval of the replicates (opts->method must be
 * STATS_BOOT_PERCENTILE: the jackknife acceleration of BCa assumes independent values).
 * Choose block_len well above the correlation length of the series (for queueing
 * latencies: many times the queue's busy period in queries); block_len = 1 is the
 * ordinary bootstrap and gives exactly stats_bootstrap_ci()'s percentile interval for
 * the same seed.
 *
 *  x          n values in time (issue) order; read only, not kept.
 *  n          number of values, >= 2.
 *  block_len  block length 1 .. n, or 0 for the common default round(n^(1/3)).
 *  stat, ctx  the statistic (see stats_statistic_fn).
 *  opts       resamples (>= 2), confidence, method (PERCENTILE), seed.
 *  out        caller-owned result, fully overwritten on success; out->block_len is the
 *             length used, z0 and accel are NaN.
 *
 * Cost: B + 1 calls of stat on n values; B + n doubles of heap.
 * Returns 0; -EINVAL for a NULL pointer, n < 2, a non-finite value, block_len > n,
 * resamples < 2, an invalid confidence, or a method other than PERCENTILE; -ENOMEM;
 * -EDOM when stat returned a non-finite value.  out is untouched on error.
 * Thread safety: reentrant as long as stat is; concurrent calls need distinct out.
 */
int stats_block_bootstrap_ci(const double *x, size_t n, size_t block_len,
			     stats_statistic_fn stat, void *ctx, const stats_boot_opts *opts,
			     stats_boot_result *out);

/*
 * A statistic of several numbers at once for stats_block_bootstrap_ci_vec(): writes k
 * values to out[0..k-1] from x[0..n-1] (n >= 1), x as for stats_statistic_fn (read
 * only, not kept).  Returns 0, or non-zero to make the calling function fail with -EDOM
 * (as does a non-finite value in out).
 */
typedef int (*stats_vector_fn)(const double *x, size_t n, void *ctx, double *out);

/* The most statistics one stats_block_bootstrap_ci_vec() call computes. */
#define STATS_BOOT_VEC_MAX 16

/*
 * stats_block_bootstrap_ci() for k statistics of the same series at once (for example
 * p50, p90 and p99 of one run's latencies): each resample is drawn once and handed to
 * stat, which computes all k values from it, so the cost is one resampling and one
 * call per resample instead of k.  out[j] is exactly what stats_block_bootstrap_ci()
 * gives for the j-th statistic alone with the same x, block_len and opts (the draws
 * depend on the seed, n and block_len only).
 *
 *  k    number of statistics, 1 .. STATS_BOOT_VEC_MAX.
 *  out  k caller-owned results, all overwritten on success, none on error.
 *
 * Cost: B + 1 calls of stat on n values; B k + n + k doubles of heap.
 * Returns 0; -EINVAL as stats_block_bootstrap_ci() or for k outside 1 ..
 * STATS_BOOT_VEC_MAX; -ENOMEM; -EDOM when stat failed or gave a non-finite value.
 * Thread safety: reentrant as long as stat is; concurrent calls need distinct out.
 */
int stats_block_bootstrap_ci_vec(const double *x, size_t n, size_t block_len, size_t k,
				 stats_vector_fn stat, void *ctx, const stats_boot_opts *opts,
				 stats_boot_result *out);

/*
 * Batch-means confidence interval for a series of dependent values (latencies of one
 * run in issue order, per-second throughputs): the series is cut into `batches`
 * contiguous batches, batch j holding x[floor(j n / k)] .. x[floor((j + 1) n / k) - 1]
 * (sizes differ by at most one), the statistic is computed per batch, and the k batch
 * values are treated as independent: estimate = their mean, se = their SD / sqrt(k),
 * interval = estimate +- t_crit(confidence, k - 1) * se.  Valid when batches are much
 * longer than the correlation length; 10 to 30 batches is the usual choice.  With the
 * mean as statistic and k dividing n the estimate is the overall mean.  With another
 * statistic (e.g. p99 via stats_stat_quantile) the interval is for the average of
 * per-batch values, which for tail quantiles is biased low against the whole-run value
 * (smaller samples); prefer stats_block_bootstrap_ci() for percentiles.
 *
 *  x           n values in time order; read only, not kept.
 *  n           number of values, >= batches.
 *  batches     number of batches k, 2 .. 2^32 - 1.
 *  stat, ctx   the per-batch statistic, or stat = NULL for the arithmetic mean.
 *  confidence  in (0, 1) exclusive.
 *  out         caller-owned result, fully overwritten on success; out->n = k,
 *              out->df = k - 1.
 *
 * Returns 0; -EINVAL for a NULL x or out, batches out of range, n < batches, a
 * non-finite value or an invalid confidence; -EDOM when stat returned a non-finite
 * value; -ENOMEM.
 * Allocates k doubles.  out is untouched on error.
 * Thread safety: reentrant as long as stat is; concurrent calls need distinct out.
 */
int stats_batch_means_ci(const double *x, size_t n, size_t batches, stats_statistic_fn stat,
			 void *ctx, double confidence, stats_ci *out);

/* ------------------------------------------------------------------------------------ */
/* Two-sample tests                                                                     */
/* ------------------------------------------------------------------------------------ */

/* Result of a two-sample t-test (stats_welch_ttest, stats_student_ttest). */
typedef struct stats_ttest_result {
	double t;          /* (mean_a - mean_b) / se */
	double df;         /* degrees of freedom (Welch-Satterthwaite, or n_a + n_b - 2) */
	double p;          /* two-sided p-value */
	double mean_a;     /* mean of a */
	double mean_b;     /* mean of b */
	double diff;       /* mean_a - mean_b */
	double se;         /* standard error of diff */
	double ci_lo;      /* diff - t_crit(confidence, df) * se */
	double ci_hi;      /* diff + t_crit(confidence, df) * se */
	double confidence; /* as requested */
} stats_ttest_result;

/*
 * Welch's unequal-variance t-test of H0: mean(a) = mean(b), two-sided, with the
 * Welch-Satterthwaite degrees of freedom and the CI of the difference of means.
 * t = (mean_a - mean_b) / sqrt(s_a^2 / n_a + s_b^2 / n_b),
 * df = (s_a^2/n_a + s_b^2/n_b)^2 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)),
 * p = P[|T_df| >= |t|] (stats_t_pvalue_two_sided).  Matches SciPy's
 * ttest_ind(a, b, equal_var=False) to about 1e-12 relative.  Assumes two independent
 * samples of independent values with roughly normal means; the safe default for
 * comparing per-run summaries of two configurations.
 *
 *  a, b        samples of n_a and n_b values; read only, not kept.
 *  n_a, n_b    sizes, each >= 2.
 *  confidence  for the interval of the difference, in (0, 1) exclusive.
 *  out         caller-owned result, fully overwritten on success.
 *
 * When both samples are constant (se = 0): t = +-inf, p = 0, df = NaN and the interval
 * is [diff, diff] if the means differ, and t, df, p, ci_lo and ci_hi are NaN if they are
 * equal (SciPy gives the same t and p).
 * Returns 0, or -EINVAL for a NULL pointer, n_a or n_b < 2, a non-finite value or an
 * invalid confidence (out untouched).
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_welch_ttest(const double *a, size_t n_a, const double *b, size_t n_b,
		      double confidence, stats_ttest_result *out);

/*
 * Student's pooled-variance t-test (assumes equal variances): se = s_p sqrt(1/n_a +
 * 1/n_b) with s_p^2 = ((n_a - 1) s_a^2 + (n_b - 1) s_b^2) / (n_a + n_b - 2) and
 * df = n_a + n_b - 2.  Matches SciPy's ttest_ind(a, b) (equal_var=True).  Prefer Welch
 * unless the variances are known to be equal; with equal sizes the two t agree.
 * Parameters, edge cases (df stays n_a + n_b - 2), returns and thread safety as for
 * stats_welch_ttest().
 */
int stats_student_ttest(const double *a, size_t n_a, const double *b, size_t n_b,
			double confidence, stats_ttest_result *out);

/* How stats_mann_whitney() computes its p-value. */
typedef enum stats_mwu_method {
	/* SciPy 1.10's default ('auto'): exact when either sample has at most 8 values and
	 * there are no ties in the pooled data, asymptotic otherwise. */
	STATS_MWU_AUTO = 0,
	/* Exact distribution of U; requires no ties (-EINVAL otherwise). */
	STATS_MWU_EXACT = 1,
	/* Normal approximation with tie and continuity correction. */
	STATS_MWU_ASYMPTOTIC = 2,
} stats_mwu_method;

/* Result of a Mann-Whitney U test. */
typedef struct stats_mwu_result {
	/* U of the first sample: the pairs (a_i, b_j) with a_i > b_j, plus half the pairs
	 * with a_i == b_j (SciPy's statistic). */
	double u;
	double u_b;   /* U of the second sample, n_a n_b - u */
	double p;     /* two-sided p-value, in [0, 1] */
	/* (max(u, u_b) - n_a n_b / 2 - 0.5) / sigma_tie-corrected; NaN for the exact method */
	double z;
	/* Common-language effect size u / (n_a n_b): the chance that a random value of a
	 * exceeds a random value of b (ties half).  0.5 means no tendency. */
	double cles;
	bool exact;   /* true when the exact distribution was used */
	bool ties;    /* true when the pooled data have at least one tie */
	size_t n_a;
	size_t n_b;
} stats_mwu_result;

/*
 * Mann-Whitney U (Wilcoxon rank-sum) test, two-sided: does one sample tend to have
 * larger values than the other?  Makes no normality assumption (only independence, and
 * for a statement about medians, equal shapes); robust to outliers.  Matches SciPy's
 * mannwhitneyu(a, b, alternative='two-sided') with its default method and continuity
 * correction (to 1e-6 relative in the tests; the exact branch is exact).
 *  - Ranks: mid-ranks of the pooled sample; u = R_a - n_a (n_a + 1) / 2.
 *  - Exact: p = 2 P[U <= min(u, u_b)] (clipped to 1) from the null distribution of U,
 *    the coefficients of the Gaussian binomial [n_a + n_b choose n_a]_q.  O(m k) time
 *    and k doubles of heap, m = min(n_a, n_b), k = min(u, u_b) <= n_a n_b / 2; exact in
 *    integers while C(n_a + n_b, n_a) < 2^53, otherwise in scaled floating point.
 *  - Asymptotic: z = (max(u, u_b) - n_a n_b / 2 - 0.5) / sigma, sigma^2 = n_a n_b / 12 *
 *    ((N + 1) - sum(t^3 - t) / (N (N - 1))) over tie groups of size t, N = n_a + n_b;
 *    p = 2 Q(z) clipped to 1 (p = 1 when every value is tied).
 *
 *  a, b      samples of n_a and n_b values; read only, not kept.
 *  n_a, n_b  sizes, each >= 1 (but the test has no power below about 4 per side;
 *            Google Benchmark's compare.py warns below 9).
 *  method    STATS_MWU_AUTO (SciPy's rule), _EXACT or _ASYMPTOTIC.
 *  out       caller-owned result, fully overwritten on success.
 *
 * Allocates (n_a + n_b) values and indexes for ranking, plus the exact table.
 * Returns 0; -EINVAL for a NULL pointer, an empty sample, a non-finite value, an
 * invalid method or STATS_MWU_EXACT with ties; -ENOMEM.  out is untouched on error.
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_mann_whitney(const double *a, size_t n_a, const double *b, size_t n_b,
		       stats_mwu_method method, stats_mwu_result *out);

/* ------------------------------------------------------------------------------------ */
/* Effect sizes                                                                         */
/* ------------------------------------------------------------------------------------ */

/*
 * Cohen's d = (mean_a - mean_b) / s_p with the pooled SD
 * s_p = sqrt(((n_a - 1) s_a^2 + (n_b - 1) s_b^2) / (n_a + n_b - 2)).  Conventional
 * reading: |d| ~ 0.2 small, 0.5 medium, 0.8 large.  Positive when a's mean is larger.
 *
 *  a, b      samples; read only, not kept.
 *  n_a, n_b  sizes, each >= 2.
 *
 * Returns d; +-inf when s_p = 0 and the means differ; NaN when s_p = 0 and the means are
 * equal, and for invalid input (NULL, a size < 2, a non-finite value).
 * Thread safety: reentrant, read only.
 */
double stats_cohens_d(const double *a, size_t n_a, const double *b, size_t n_b);

/*
 * Hedges' small-sample correction factor J(df) = Gamma(df/2) / (sqrt(df/2)
 * Gamma((df - 1)/2)), the exact factor that makes J d an unbiased estimate of the
 * population effect (the common approximation is 1 - 3 / (4 df - 1)).  J(18) = 0.9576,
 * J -> 1 as df grows.
 *
 *  df  degrees of freedom n_a + n_b - 2, > 1 (need not be an integer).
 *
 * Returns J in (0, 1), or NaN when df <= 1 or NaN.  Thread safety: pure function.
 */
double stats_hedges_correction(double df);

/*
 * Hedges' g = J(n_a + n_b - 2) * Cohen's d: d with its upward small-sample bias removed
 * (about 4% at 10 values per side).  Parameters and special values as stats_cohens_d().
 * Thread safety: reentrant, read only.
 */
double stats_hedges_g(const double *a, size_t n_a, const double *b, size_t n_b);

/*
 * Ratio of means mean(num) / mean(den) with a bootstrap confidence interval: each
 * sample is resampled independently with replacement, B = opts->resamples times, and
 * the interval is read off the replicate ratios (percentile, or BCa with the
 * two-sample jackknife acceleration a = sum_s sum_i L_si^3 / n_s^3 /
 * (6 (sum_s sum_i L_si^2 / n_s^2)^1.5), L_si = (n_s - 1)(mean of the leave-one-out
 * ratios of sample s - the ratio without value i)).  This is the "effect-size
 * confidence interval of the ratio" of Kalibera and Jones: 1.05 with [1.02, 1.08] reads
 * "num is 2 to 8% larger than den".  The values in each sample must be independent
 * (per-run summaries).
 *
 *  num, n_num  numerator sample (e.g. the new version's run times), n_num >= 2.
 *  den, n_den  denominator sample (the baseline), n_den >= 2.
 *  opts        resamples (>= 2), confidence, method (either), seed.
 *  out         caller-owned result, fully overwritten on success; block_len = 1.
 *
 * Cost O(B (n_num + n_den)); memory B doubles (+ max(n_num, n_den) for BCa).
 * Returns 0; -EINVAL for NULL pointers, a size < 2, a non-finite value or invalid opts;
 * -ENOMEM; -EDOM when a mean of den (original, resampled or leave-one-out) is 0 or a
 * ratio is not finite, or the BCa levels are undefined.  out is untouched on error.
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_ratio_of_means_ci(const double *num, size_t n_num, const double *den, size_t n_den,
			    const stats_boot_opts *opts, stats_boot_result *out);

/* ------------------------------------------------------------------------------------ */
/* Outliers (reported, never removed)                                                   */
/* ------------------------------------------------------------------------------------ */

/* Outlier counts by Tukey's fences and by the MAD-based modified z-score. */
typedef struct stats_outliers_result {
	size_t n;
	/* Quartiles by stats_quantile_interp() and iqr = q3 - q1. */
	double q1;
	double q3;
	double iqr;
	/* Fences: q1 - 3 iqr, q1 - 1.5 iqr, q3 + 1.5 iqr, q3 + 3 iqr. */
	double low_severe_fence;
	double low_mild_fence;
	double high_mild_fence;
	double high_severe_fence;
	/* x < low_severe_fence */
	size_t low_severe;
	/* low_severe_fence <= x < low_mild_fence */
	size_t low_mild;
	/* high_mild_fence < x <= high_severe_fence */
	size_t high_mild;
	/* x > high_severe_fence */
	size_t high_severe;
	double median; /* stats_quantile_interp() at 0.5 */
	double mad;    /* median of |x - median| (raw, not scaled by 1.4826) */
	/* Modified z-score M = 0.6745 (x - median) / mad (Iglewicz and Hoaglin); counted
	 * when |M| > 3.5, split by side.  Both 0 when mad == 0 (M is undefined). */
	size_t mad_low;
	size_t mad_high;
	bool mad_zero; /* mad == 0: more than half the values are equal; see Tukey's counts */
} stats_outliers_result;

/* The Iglewicz-Hoaglin constants: 0.6745 ~ Phi^-1(0.75), threshold 3.5. */
#define STATS_MAD_Z_SCALE 0.6745
#define STATS_MAD_Z_THRESHOLD 3.5

/*
 * Count outliers in n values (any order) by Tukey's fences, mild (1.5 to 3 IQR beyond
 * the quartiles) and severe (beyond 3 IQR) on each side, as criterion.rs reports them,
 * and by the modified z-score |0.6745 (x - median) / MAD| > 3.5, as hyperfine warns.
 * Nothing is removed: the counts are for the report.
 *
 *  x    n values; read only, not kept.
 *  n    number of values, >= 1 (quartiles of fewer than 4 values say little).
 *  out  caller-owned result, fully overwritten on success.
 *
 * Sorts private copies: O(n log n), 2n doubles of heap.
 * Returns 0; -EINVAL for a NULL pointer, n == 0 or a non-finite value; -ENOMEM.
 * out is untouched on error.  Thread safety: reentrant; distinct out structs.
 */
int stats_outliers(const double *x, size_t n, stats_outliers_result *out);

/*
 * stats_outliers() of values already in ascending order, with no copy, no sort and no
 * heap: O(n), and the same result as stats_outliers() on any order of them.
 * Returns 0; -EINVAL for a NULL pointer, n == 0, a non-finite value or values out of
 * order.  out is untouched on error.  Thread safety: reentrant, read only.
 */
int stats_outliers_sorted(const double *sorted, size_t n, stats_outliers_result *out);

/* ------------------------------------------------------------------------------------ */
/* Sample sizes                                                                         */
/* ------------------------------------------------------------------------------------ */

/* MLPerf rounds its classic sample sizes up to a multiple of 2^13 = 8192. */
#define STATS_MLPERF_SAMPLE_QUANTUM 8192u

/*
 * The classic sample size for estimating a proportion: n = ceil(z^2 p (1 - p) / MOE^2)
 * with z = Phi^-1((1 - confidence) / 2) and margin of error MOE; MLPerf used MOE =
 * (1 - p) / 20, which gives 23886 for p = 0.90 at 99% confidence.
 *
 *  p           the percentile, in (0, 1) exclusive.
 *  confidence  in (0, 1) exclusive.
 *  margin      MOE as a fraction, > 0, or 0 for MLPerf's (1 - p) / 20.
 *
 * Returns n >= 1, or 0 for invalid arguments or when n would exceed 2^62.
 * Thread safety: pure function.
 */
uint64_t stats_sample_size_binomial(double p, double confidence, double margin);

/* Both sample-size answers for one percentile (stats_sample_sizes). */
typedef struct stats_sample_sizes_result {
	double percentile;  /* p */
	double confidence;  /* C */
	double z;           /* |Phi^-1((1 - C) / 2)|: 2.5758 at C = 0.99 */
	double margin;      /* (1 - p) / 20 */
	uint64_t classic;   /* stats_sample_size_binomial(p, C, 0): 23886 at p90, C = 0.99 */
	/* classic rounded up to a multiple of STATS_MLPERF_SAMPLE_QUANTUM: 24576 at p90,
	 * 270336 at p99 (MLPerf's historical minimum query counts). */
	uint64_t mlperf_rounded;
	/* Early stopping's minimum, stats_es_min_h(1, p, C) + 1: the fewest queries from
	 * which any percentile estimate can be claimed at confidence C (64 at p90, 662 at
	 * p99, 6636 at p99.9 for C = 0.99). */
	uint64_t early_stopping_min;
} stats_sample_sizes_result;

/*
 * Fill *out with the two sample-size rules for percentile p: the classic binomial
 * formula (with MLPerf's rounding to 8192) and early stopping's minimum.  They answer
 * different questions: the first how many queries make the *observed* p-th percentile
 * fall within +-MOE of the true proportion, the second how few suffice when the
 * reported percentile is made conservative instead (docs/statistics.md).
 *
 *  p           the percentile, in (0, 1) exclusive (0.90, 0.99, ...).
 *  confidence  in (0, 1) exclusive; MLPerf uses 0.99 for both rules.
 *  out         caller-owned result, fully overwritten on success.
 *
 * Returns 0; -EINVAL for a NULL out or invalid p/confidence; -ERANGE when a count
 * exceeds 2^62 (p within about 6e-16 of 1).  out is untouched on error.
 * Thread safety: reentrant; concurrent calls need distinct out structs.
 */
int stats_sample_sizes(double p, double confidence, stats_sample_sizes_result *out);

/* ------------------------------------------------------------------------------------
 * Time windows
 * ---------------------------------------------------------------------------------- */

/*
 * The one rule every time binning of the project follows (the reports' throughput
 * intervals, warm-up and stability checks and batch metrics, and the plots' windows):
 * window k of nw windows of width w is [k w, (k + 1) w) from 0, so a time exactly on a
 * boundary k w is in window k; the last window, nw - 1, also takes every time beyond its
 * end; a time below 0 is in no window.
 *
 * stats_window_of: the window of t >= 0, floor(t / width) clamped to nw - 1; 0 when
 *   t / width is not a positive number (t = 0, or width 0 with t = 0: an empty axis).
 *   nw >= 1.
 * stats_window_of_i64: the same in integers (t / width, exact at every boundary), for
 *   t >= 0 and width > 0; 0 for t < 0.
 * Thread safety: pure functions.
 */
static inline size_t stats_window_of(double t, double width, size_t nw)
{
	double q = t / width;
	if (!(q > 0))
		return 0;
	return q >= (double)(nw - 1) ? nw - 1 : (size_t)q;
}

static inline size_t stats_window_of_i64(int64_t t, int64_t width, size_t nw)
{
	if (t < 0)
		return 0;
	uint64_t q = (uint64_t)(t / width);
	return q < (uint64_t)nw ? (size_t)q : nw - 1;
}

/*
 * The windows of times that never decrease, as runs of indices: window k holds the
 * indices [off[k], off[k + 1]), found by binary search (O(nw log n), no pass over the
 * times). Negative times come first and lie before off[0].
 *
 *  t      n times in non-decreasing order (not checked: other orders give runs that
 *         mean nothing; use stats_window_group).
 *  width  > 0.
 *  nw     number of windows, >= 1.
 *  off    receives nw + 1 bounds.
 * Returns 0, or -EINVAL (off NULL, t NULL with n > 0, nw 0, width not > 0).
 * Thread safety: reentrant; reads t only.
 */
int stats_window_runs(const double *t, size_t n, double width, size_t nw, size_t *off);
int stats_window_runs_i64(const int64_t *t, size_t n, int64_t width, size_t nw,
			  size_t *off);

/*
 * The windows of times in any order, by a counting sort: off[0..nw] receives the bounds
 * (window k has off[k + 1] - off[k] of the times; negative ones are left out, so off[nw]
 * counts the rest), and when buf is not NULL the values v are grouped into it, window k's
 * at buf[off[k] .. off[k + 1]) in the order of the series. For times that never
 * decrease the bounds are those of stats_window_runs less off[0], and the grouping is
 * v + off[0] itself.
 *
 *  t      n times.
 *  v      n values grouped with them; may be NULL when buf is NULL.
 *  width  > 0.
 *  nw     number of windows, >= 1.
 *  off    receives nw + 1 bounds.
 *  buf    NULL (bounds only) or room for off[nw] <= n values; must not overlap v.
 * Returns 0, or -EINVAL (off NULL, t NULL with n > 0, buf without v, nw 0, width not
 * > 0). Two passes over the times with buf, one without; no allocation.
 * Thread safety: reentrant on distinct off and buf.
 */
int stats_window_group(const double *t, const double *v, size_t n, double width, size_t nw,
		       size_t *off, double *buf);
int stats_window_group_i64(const int64_t *t, const int64_t *v, size_t n, int64_t width,
			   size_t nw, size_t *off, int64_t *buf);

/* ------------------------------------------------------------------------------------
 * Log-linear histograms: a pooled distribution in fixed memory
 * ---------------------------------------------------------------------------------- */

/*
 * A histogram of non-negative int64_t values (nanoseconds, bytes, counts) in fixed
 * memory, for distributions too long to keep value by value: inter-token gaps pooled
 * over a whole run, latencies of a run too long to hold.
 *
 * Buckets: values 0 .. 255 each have their own bucket (exact); above, every power-of-two
 * range [2^e, 2^(e+1)) is cut into 128 equal buckets of width 2^(e-7). So a bucket's
 * width is at most 1/128 of its lowest value, and every value is known to within
 * 0.79 % (either edge of its bucket), and to within 0.4 % from the bucket's midpoint,
 * which the queries return. The whole int64_t range is covered (7,296 buckets, 57 KiB):
 * no value is ever clamped.
 *
 * The count, the minimum, the maximum and the sum (128 bits: no overflow) are kept
 * exactly, so the mean is exact and the 0th and 100th percentiles are the observed
 * extremes. A negative value is not recorded in the distribution: it is counted in
 * `negative` alone.
 *
 * Thread safety: recording is not atomic; give each thread its own histogram and merge
 * them (stats_hist_merge) when the threads are done. Queries only read.
 */
#define STATS_HIST_SUB_BITS 7                          /* 128 buckets per power of two */
#define STATS_HIST_SUB (1 << STATS_HIST_SUB_BITS)
#define STATS_HIST_BUCKETS (2 * STATS_HIST_SUB + (62 - STATS_HIST_SUB_BITS) * STATS_HIST_SUB)

typedef struct stats_hist {
	uint64_t count;      /* values recorded in the buckets */
	uint64_t negative;   /* negative values offered: counted here only */
	int64_t min, max;    /* exact extremes of the recorded values; 0 when count == 0 */
	uint64_t sum_lo;     /* the sum of the recorded values, 128 bits: low word */
	uint64_t sum_hi;     /* and high word */
	uint64_t counts[STATS_HIST_BUCKETS];
} stats_hist;

/* Empties h (every field zero). Equivalent to memset(h, 0, sizeof *h). */
void stats_hist_reset(stats_hist *h);

/*
 * Records value v once (stats_hist_record) or n times (stats_hist_record_n): O(1), no
 * allocation, a few nanoseconds. A negative v only increments h->negative (by n).
 */
void stats_hist_record(stats_hist *h, int64_t v);
void stats_hist_record_n(stats_hist *h, int64_t v, uint64_t n);

/*
 * Adds src into dst: afterwards dst describes the union of both sets of values, exactly
 * as if every value had been recorded into dst (the buckets do not depend on the data).
 * src is unchanged; dst == src doubles every count. Returns 0, or -EINVAL for a NULL
 * argument. O(buckets).
 */
int stats_hist_merge(stats_hist *dst, const stats_hist *src);

/*
 * The bucket of value v >= 0 (0 .. STATS_HIST_BUCKETS - 1; a negative v gives 0), and
 * the smallest and largest value bucket i holds (both inclusive). The tests and anyone
 * who writes a histogram out use these; the queries below are built on them.
 */
size_t stats_hist_bucket_of(int64_t v);
int64_t stats_hist_bucket_lo(size_t i);
int64_t stats_hist_bucket_hi(size_t i);

/*
 * The percentile p of the recorded values by MLPerf's rule (the value of rank
 * floor(count * p), clamped to count - 1, in ascending order; stats_percentile_mlperf),
 * read from the histogram: the midpoint of the bucket holding that rank, clamped to
 * [min, max]; the exact min for rank 0 and the exact max for the last rank. Its distance
 * from the exact percentile of the same values is at most half a bucket width: 0 below
 * 256 and at most 0.4 % of the exact value above. O(buckets).
 *
 *  p  fraction in [0, 1]; below 0 (or NaN) reads rank 0, 1 or more the last rank.
 * Returns 0 when h holds no value.
 */
int64_t stats_hist_percentile(const stats_hist *h, double p);

/* The exact mean of the recorded values (their 128-bit sum over the count, rounded to
 * the nearest double), or 0 when h holds no value. */
double stats_hist_mean(const stats_hist *h);

/*
 * How many recorded values are at most v, counting whole buckets: exact when v is the
 * top of its bucket (stats_hist_bucket_hi), else including the rest of v's bucket.
 */
uint64_t stats_hist_count_at_most(const stats_hist *h, int64_t v);

/* ------------------------------------------------------------------------------------
 * Seeded generators
 * ---------------------------------------------------------------------------------- */

/*
 * A Mersenne Twister (GSL's gsl_rng_mt19937) seeded with `seed` as gsl_rng_set takes it,
 * allocated without GSL's error handler: gsl_rng_alloc reports a failed allocation
 * through it, and its default handler aborts the process. Returns NULL when out of
 * memory. Free with stats_rng_free() (gsl_rng_free also works). The generator is not
 * thread-safe: one per thread. The LoadGen and the built-in SUTs make theirs here.
 */
gsl_rng *stats_rng_new(unsigned long seed);
void stats_rng_free(gsl_rng *r); /* accepts NULL */

#ifdef __cplusplus
}
#endif

#endif /* STATS_STATS_H */
