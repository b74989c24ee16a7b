/*
 * bootstrap.c - bootstrap confidence intervals: percentile and BCa for any statistic of
 * independent values, the moving-block bootstrap for dependent series, and the ratio of
 * two means.
 */
#include "stats/stats.h"
#include "stats/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>

static int check_opts(const stats_boot_opts *o)
{
	if (!o || o->resamples < 2 || !(o->confidence > 0.0 && o->confidence < 1.0))
		return -EINVAL;
	if (o->method != STATS_BOOT_PERCENTILE && o->method != STATS_BOOT_BCA)
		return -EINVAL;
	return 0;
}

static double *alloc_doubles(size_t n)
{
	if (n == 0 || n > SIZE_MAX / sizeof(double))
		return NULL;
	return malloc(n * sizeof(double));
}

/*
 * Jackknife acceleration from leave-one-out values th[0..n-1] of one sample:
 * sum L^3 / n^3 and sum L^2 / n^2 with L_i = (n - 1)(mean(th) - th_i) are added to
 * *s3 and *s2, so that several samples can be combined; a = s3 / (6 s2^1.5).
 */
static void jackknife_sums(const double *th, size_t n, double *s3, double *s2)
{
	double m;
	stats__mean_var(th, n, &m, NULL);
	double nn = (double)n, c3 = 0.0, c2 = 0.0;
	for (size_t i = 0; i < n; i++) {
		double l = (nn - 1.0) * (m - th[i]);
		c2 += l * l;
		c3 += l * l * l;
	}
	*s3 += c3 / (nn * nn * nn);
	*s2 += c2 / (nn * nn);
}

static double accel_from_sums(double s3, double s2)
{
	return s2 > 0.0 ? s3 / (6.0 * pow(s2, 1.5)) : 0.0;
}

/*
 * Turn B replicates (sorted here, in place) into the result: SE, bias and the interval
 * by the percentile method or by BCa with acceleration `accel`.  Returns 0 or -EDOM.
 */
static int finish(double *rep, size_t B, double estimate, const stats_boot_opts *o,
		  double accel, size_t block_len, stats_boot_result *out)
{
	double mean, var;
	stats__mean_var(rep, B, &mean, &var);
	gsl_sort(rep, 1, B);
	double alpha = 1.0 - o->confidence;
	double lo_level = 0.5 * alpha, hi_level = 1.0 - 0.5 * alpha;
	double z0 = NAN, a = NAN;
	if (o->method == STATS_BOOT_BCA) {
		/*
		 * Bias correction: the share of replicates below the estimate, ties counting
		 * half so that a statistic with few distinct values (a median of integers)
		 * is not pushed to one side.
		 */
		size_t below = 0, equal = 0;
		for (size_t i = 0; i < B; i++) {
			if (rep[i] < estimate)
				below++;
			else if (rep[i] == estimate)
				equal++;
		}
		double share = ((double)below + 0.5 * (double)equal) / (double)B;
		if (!(share > 0.0 && share < 1.0))
			return -EDOM;
		z0 = gsl_cdf_ugaussian_Pinv(share);
		a = accel;
		double zl = gsl_cdf_ugaussian_Pinv(lo_level), zh = -zl;
		double dl = 1.0 - a * (z0 + zl), dh = 1.0 - a * (z0 + zh);
		if (!(dl > 0.0 && dh > 0.0))
			return -EDOM;
		lo_level = gsl_cdf_ugaussian_P(z0 + (z0 + zl) / dl);
		hi_level = gsl_cdf_ugaussian_P(z0 + (z0 + zh) / dh);
		if (!(lo_level <= hi_level))
			return -EDOM;
	}
	*out = (stats_boot_result){
		.estimate = estimate,
		.lo = stats_quantile_interp(rep, B, lo_level),
		.hi = stats_quantile_interp(rep, B, hi_level),
		.confidence = o->confidence,
		.se = sqrt(var),
		.bias = mean - estimate,
		.z0 = z0,
		.accel = a,
		.resamples = B,
		.block_len = block_len,
		.method = o->method,
	};
	return 0;
}

/* BCa acceleration of stat on x by the jackknife; 0 or -ENOMEM / -EDOM. */
static int jackknife_accel(const double *x, size_t n, stats_statistic_fn stat, void *ctx,
			   double *accel)
{
	double *buf = alloc_doubles(n - 1), *th = alloc_doubles(n);
	if (!buf || !th) {
		free(buf);
		free(th);
		return -ENOMEM;
	}
	/*
	 * buf holds x without x[i].  Starting from "without x[0]" (x[1..n-1]), moving to
	 * "without x[i+1]" only puts x[i] back into slot i.
	 */
	memcpy(buf, x + 1, (n - 1) * sizeof *buf);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf[i - 1] = x[i - 1];
		th[i] = stat(buf, n - 1, ctx);
		if (!isfinite(th[i])) {
			rc = -EDOM;
			break;
		}
	}
	if (rc == 0) {
		double s3 = 0.0, s2 = 0.0;
		jackknife_sums(th, n, &s3, &s2);
		*accel = accel_from_sums(s3, s2);
	}
	free(buf);
	free(th);
	return rc;
}

/* A scalar statistic seen as a statistic of one value (the resampling loop's form). */
typedef struct scalar_adapter {
	stats_statistic_fn stat;
	void *ctx;
} scalar_adapter;

static int scalar_as_vector(const double *x, size_t n, void *ctx, double *out)
{
	const scalar_adapter *a = ctx;
	out[0] = a->stat(x, n, a->ctx);
	return 0;
}

/*
 * The shared resampling loop: B resamples of n values, in blocks of block_len values
 * drawn from block_len-long windows starting at 0 .. n - block_len (block_len = 1 is
 * the ordinary bootstrap and draws exactly as it would).  The k values of resample b
 * go to rep[j * B + b].  The draws depend on the seed, n and block_len only, so every
 * statistic sees the same resamples whatever k is.
 */
static int resample_stat(const double *x, size_t n, size_t block_len, size_t k,
			 stats_vector_fn stat, void *ctx, const stats_boot_opts *o, double *rep)
{
	double *buf = alloc_doubles(n), *val = alloc_doubles(k);
	if (!buf || !val) {
		free(buf);
		free(val);
		return -ENOMEM;
	}
	gsl_rng r;
	if (stats__rng_init(&r, o->seed) != 0) {
		free(buf);
		free(val);
		return -ENOMEM;
	}
	size_t starts = n - block_len + 1, B = o->resamples;
	int rc = 0;
	for (size_t b = 0; b < B && rc == 0; b++) {
		if (block_len == 1) {
			for (size_t i = 0; i < n; i++)
				buf[i] = x[stats__rng_index(&r, n)];
		} else {
			for (size_t pos = 0; pos < n;) {
				size_t s = stats__rng_index(&r, starts);
				size_t len = n - pos < block_len ? n - pos : block_len;
				memcpy(buf + pos, x + s, len * sizeof *buf);
				pos += len;
			}
		}
		if (stat(buf, n, ctx, val) != 0)
			rc = -EDOM;
		for (size_t j = 0; j < k && rc == 0; j++) {
			if (!isfinite(val[j]))
				rc = -EDOM;
			rep[j * B + b] = val[j];
		}
	}
	stats__rng_free(&r);
	free(buf);
	free(val);
	return rc;
}

static int bootstrap_common(const double *x, size_t n, size_t block_len,
			    stats_statistic_fn stat, void *ctx, const stats_boot_opts *o,
			    stats_boot_result *out)
{
	double estimate = stat(x, n, ctx);
	if (!isfinite(estimate))
		return -EDOM;
	double accel = NAN;
	if (o->method == STATS_BOOT_BCA) {
		int rc = jackknife_accel(x, n, stat, ctx, &accel);
		if (rc != 0)
			return rc;
	}
	double *rep = alloc_doubles(o->resamples);
	if (!rep)
		return -ENOMEM;
	scalar_adapter a = { stat, ctx };
	int rc = resample_stat(x, n, block_len, 1, scalar_as_vector, &a, o, rep);
	if (rc == 0)
		rc = finish(rep, o->resamples, estimate, o, accel, block_len, out);
	free(rep);
	return rc;
}

int stats_bootstrap_ci(const double *x, size_t n, stats_statistic_fn stat, void *ctx,
		       const stats_boot_opts *opts, stats_boot_result *out)
{
	if (!out || !stat || n < 2 || check_opts(opts) != 0 || !stats__all_finite(x, n))
		return -EINVAL;
	return bootstrap_common(x, n, 1, stat, ctx, opts, out);
}

static size_t default_block(size_t n, size_t block_len)
{
	if (block_len == 0) {
		block_len = (size_t)lround(cbrt((double)n));
		if (block_len < 1)
			block_len = 1;
	}
	return block_len;
}

int stats_block_bootstrap_ci(const double *x, size_t n, size_t block_len,
			     stats_statistic_fn stat, void *ctx, const stats_boot_opts *opts,
			     stats_boot_result *out)
{
	if (!out || !stat || n < 2 || check_opts(opts) != 0 ||
	    opts->method != STATS_BOOT_PERCENTILE || block_len > n || !stats__all_finite(x, n))
		return -EINVAL;
	return bootstrap_common(x, n, default_block(n, block_len), stat, ctx, opts, out);
}

int stats_block_bootstrap_ci_vec(const double *x, size_t n, size_t block_len, size_t k,
				 stats_vector_fn stat, void *ctx, const stats_boot_opts *opts,
				 stats_boot_result *out)
{
	if (!out || !stat || n < 2 || k == 0 || k > STATS_BOOT_VEC_MAX ||
	    check_opts(opts) != 0 || opts->method != STATS_BOOT_PERCENTILE || block_len > n ||
	    !stats__all_finite(x, n))
		return -EINVAL;
	block_len = default_block(n, block_len);
	double est[STATS_BOOT_VEC_MAX];
	if (stat(x, n, ctx, est) != 0)
		return -EDOM;
	for (size_t j = 0; j < k; j++)
		if (!isfinite(est[j]))
			return -EDOM;
	size_t B = opts->resamples;
	if (B > SIZE_MAX / k)
		return -ENOMEM;
	double *rep = alloc_doubles(B * k);
	if (!rep)
		return -ENOMEM;
	stats_boot_result res[STATS_BOOT_VEC_MAX];
	int rc = resample_stat(x, n, block_len, k, stat, ctx, opts, rep);
	for (size_t j = 0; j < k && rc == 0; j++)
		rc = finish(rep + j * B, B, est[j], opts, NAN, block_len, &res[j]);
	free(rep);
	if (rc == 0)
		memcpy(out, res, k * sizeof *out);
	return rc;
}

/* Leave-one-out ratios for one sample: the other sample's mean stays fixed. */
static int loo_ratios(const double *v, size_t n, double sum, double other_mean, bool is_num,
		      double *th)
{
	for (size_t i = 0; i < n; i++) {
		double m = (sum - v[i]) / (double)(n - 1);
		double r = is_num ? m / other_mean : other_mean / m;
		if (!isfinite(r))
			return -EDOM;
		th[i] = r;
	}
	return 0;
}

static double plain_sum(const double *v, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

int stats_ratio_of_means_ci(const double *num, size_t n_num, const double *den, size_t n_den,
			    const stats_boot_opts *opts, stats_boot_result *out)
{
	if (!out || n_num < 2 || n_den < 2 || check_opts(opts) != 0 ||
	    !stats__all_finite(num, n_num) || !stats__all_finite(den, n_den))
		return -EINVAL;
	double m_num = stats_mean(num, n_num), m_den = stats_mean(den, n_den);
	double estimate = m_num / m_den;
	if (!isfinite(estimate))
		return -EDOM;

	double accel = NAN;
	if (opts->method == STATS_BOOT_BCA) {
		size_t nmax = n_num > n_den ? n_num : n_den;
		double *th = alloc_doubles(nmax);
		if (!th)
			return -ENOMEM;
		double s3 = 0.0, s2 = 0.0;
		int rc = loo_ratios(num, n_num, plain_sum(num, n_num), m_den, true, th);
		if (rc == 0) {
			jackknife_sums(th, n_num, &s3, &s2);
			rc = loo_ratios(den, n_den, plain_sum(den, n_den), m_num, false, th);
		}
		if (rc == 0)
			jackknife_sums(th, n_den, &s3, &s2);
		free(th);
		if (rc != 0)
			return rc;
		accel = accel_from_sums(s3, s2);
	}

	double *rep = alloc_doubles(opts->resamples);
	if (!rep)
		return -ENOMEM;
	gsl_rng r;
	if (stats__rng_init(&r, opts->seed) != 0) {
		free(rep);
		return -ENOMEM;
	}
	int rc = 0;
	size_t step = opts->resamples / 20 ? opts->resamples / 20 : 1;
	for (size_t b = 0; b < opts->resamples; b++) {
		if (opts->progress && b % step == 0)
			opts->progress(opts->progress_ctx, (double)b / (double)opts->resamples);
		double sn = 0.0, sd = 0.0;
		for (size_t i = 0; i < n_num; i++)
			sn += num[stats__rng_index(&r, n_num)];
		for (size_t i = 0; i < n_den; i++)
			sd += den[stats__rng_index(&r, n_den)];
		rep[b] = (sn / (double)n_num) / (sd / (double)n_den);
		if (!isfinite(rep[b])) {
			rc = -EDOM;
			break;
		}
	}
	stats__rng_free(&r);
	if (rc == 0)
		rc = finish(rep, opts->resamples, estimate, opts, accel, 1, out);
	free(rep);
	return rc;
}
