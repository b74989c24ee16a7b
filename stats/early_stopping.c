/*
 * early_stopping.c - MLPerf's early-stopping test: binomial tail odds, h(t), t(n) and the
 * per-scenario verdicts.  The math is explained in docs/statistics.md.
 */
#include "stats/stats.h"

#include <errno.h>
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_log.h>

/* Largest h + t handled; keeps every count exact in a double with room to spare. */
#define ES_MAX_TOTAL (UINT64_C(1) << 62)

static bool valid_fraction(double x)
{
	return x > 0.0 && x < 1.0; /* false for NaN too */
}

/*
 * Stirling's error term ln(k!) - ln(sqrt(2 pi k) (k/e)^k) for k >= 1.  For small k it is
 * a difference of modest numbers; for larger k the asymptotic series converges so fast
 * that five terms leave an error below 3e-16 from k = 16 on.
 */
static double stirling_error(double k)
{
	if (k <= 15.0) {
		gsl_sf_result lf;
		if (gsl_sf_lnfact_e((unsigned int)k, &lf) != GSL_SUCCESS)
			return NAN;
		return lf.val - ((k + 0.5) * log(k) - k + 0.5 * log(2.0 * M_PI));
	}
	double k2 = 1.0 / (k * k);
	return (1.0 / 12.0 -
		k2 * (1.0 / 360.0 - k2 * (1.0 / 1260.0 - k2 * (1.0 / 1680.0 - k2 / 1188.0)))) /
	       k;
}

/*
 * Deviance term x ln(x / m) + m - x for x >= 0, m > 0, computed without the cancellation
 * the direct form suffers when x is close to m.  With e = (x - m) / m the term is
 * m ((1 + e) ln(1 + e) - e) = m ((1 + e) (ln(1 + e) - e) + e^2), and GSL evaluates
 * ln(1 + e) - e accurately for small e.
 */
static double deviance(double x, double m)
{
	if (x == 0.0)
		return m;
	double e = (x - m) / m;
	if (fabs(e) < 0.5) {
		gsl_sf_result r;
		if (gsl_sf_log_1plusx_mx_e(e, &r) != GSL_SUCCESS)
			return NAN;
		return m * ((1.0 + e) * r.val + e * e);
	}
	return x * log(x / m) + m - x;
}

/*
 * ln P[X = x] for X ~ Binomial(n, r) with q = 1 - r, by Loader's saddle-point form
 * ("Fast and accurate computation of binomial probabilities", 2000).  Unlike
 * lnchoose(n, x) + x ln r + (n - x) ln q, whose three large terms cancel and lose about
 * log10(n) digits, every term here is small, so the result keeps close to full
 * relative precision for any n.  ln_r and ln_q are ln r and ln q.
 */
static double binom_log_pmf(double x, double n, double r, double q, double ln_r, double ln_q)
{
	if (x == 0.0)
		return n * ln_q;
	if (x == n)
		return n * ln_r;
	double y = n - x;
	return stirling_error(n) - stirling_error(x) - stirling_error(y) - deviance(x, n * r) -
	       deviance(y, n * q) + 0.5 * log(n / (2.0 * M_PI * x * y));
}

/*
 * Sum of a run of binomial probabilities that shrink geometrically (or faster), starting
 * at a term of relative size 1.  next_ratio(x) gives term(x') / term(x) for the next
 * index x' in the walk; the ratio falls as the walk moves away from the mode, so once
 * a term is below 2^-60 of the sum after allowing for a geometric tail, the rest
 * cannot matter.  dir is -1 (walk down from x0 to 0) or +1 (walk up from x0 to n).
 */
static double tail_sum(double x0, double n, double p_over_r, int dir)
{
	double sum = 1.0, term = 1.0, x = x0;
	for (;;) {
		double ratio;
		if (dir < 0) {
			if (x <= 0.0)
				break;
			/* P[x-1] / P[x] = x q / ((n - x + 1) r) */
			ratio = x * p_over_r / (n - x + 1.0);
			x -= 1.0;
		} else {
			if (x >= n)
				break;
			/* P[x+1] / P[x] = (n - x) r / ((x + 1) q) */
			ratio = (n - x) / ((x + 1.0) * p_over_r);
			x += 1.0;
		}
		term *= ratio;
		sum += term;
		if (ratio < 1.0 && term < sum * 0x1p-60 * (1.0 - ratio))
			break;
	}
	return sum;
}

double stats_es_odds(uint64_t h, uint64_t t, double p)
{
	if (!valid_fraction(p))
		return NAN;
	if (h == 0)
		return 1.0; /* at most t misses among t queries is certain */
	double n = (double)h + (double)t;
	double x = (double)t;
	double r = 1.0 - p; /* per-query probability of a miss */
	double ln_r = log1p(-p), ln_q = log(p);
	double p_over_r = p / r;
	if (x < n * r) {
		/* t is below the mean: P[X <= t] is a lower tail, summed from t downwards. */
		double lp = binom_log_pmf(x, n, r, p, ln_r, ln_q);
		return exp(lp) * tail_sum(x, n, p_over_r, -1);
	}
	/* t is at or above the mean: sum the upper tail from t + 1 upwards and subtract. */
	double lp = binom_log_pmf(x + 1.0, n, r, p, ln_r, ln_q);
	double upper = exp(lp) * tail_sum(x + 1.0, n, p_over_r, +1);
	double odds = 1.0 - upper;
	return odds < 0.0 ? 0.0 : odds;
}

uint64_t stats_es_min_h(uint64_t t, double p, double confidence)
{
	if (!valid_fraction(p) || !valid_fraction(confidence) || t >= ES_MAX_TOTAL)
		return UINT64_MAX;
	double alpha = 1.0 - confidence;

	/*
	 * odds(h, t) falls as h grows, and odds(0, t) = 1 >= alpha.  Start the bracket
	 * near the answer: h(t) + t is roughly the sample size whose expected number of
	 * misses exceeds t by a couple of standard deviations, so twice the count with
	 * mean t + 1 is usually past it, and the doubling loop covers the rest.
	 */
	uint64_t lo = 0;
	double guess = 2.0 * ((double)t + 1.0) / (1.0 - p);
	uint64_t hi = guess < (double)ES_MAX_TOTAL ? (uint64_t)guess : ES_MAX_TOTAL;
	if (hi < 1)
		hi = 1;
	while (!(stats_es_odds(hi, t, p) < alpha)) {
		if (hi >= ES_MAX_TOTAL - t)
			return UINT64_MAX;
		lo = hi;
		hi = hi > (ES_MAX_TOTAL - t) / 2 ? ES_MAX_TOTAL - t : 2 * hi;
	}
	/* Invariant: odds(lo) >= alpha (lo == 0 counts as such), odds(hi) < alpha. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (stats_es_odds(mid, t, p) < alpha)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* h(k) + k <= n, tested without computing h(k). */
static bool es_fits(uint64_t k, uint64_t n, double p, double alpha)
{
	return k <= n && stats_es_odds(n - k, k, p) < alpha;
}

uint64_t stats_es_max_t(uint64_t n, double p, double confidence)
{
	if (!valid_fraction(p) || !valid_fraction(confidence) || n >= ES_MAX_TOTAL)
		return 0;
	double alpha = 1.0 - confidence;
	/*
	 * h(k) + k grows strictly with k, so the k that fit form a prefix 1..t(n).
	 * k = n never fits (odds(0, n) = 1), which bounds the search.
	 */
	if (!es_fits(1, n, p, alpha))
		return 0;
	uint64_t lo = 1, hi = n; /* fits(lo), !fits(hi) */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (es_fits(mid, n, p, alpha))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

int stats_es_latency(const int64_t *sorted, size_t n, double p, double confidence,
		     stats_es_latency_result *out)
{
	if (!out || (!sorted && n > 0) || !valid_fraction(p) || !valid_fraction(confidence))
		return -EINVAL;
	uint64_t h1 = stats_es_min_h(1, p, confidence);
	if (h1 == UINT64_MAX)
		return -ERANGE;
	stats_es_latency_result res = {
		.met = false,
		.percentile = p,
		.queries = (uint64_t)n,
		.min_queries = h1 + 1,
	};
	if ((uint64_t)n >= res.min_queries) {
		uint64_t t = stats_es_max_t((uint64_t)n, p, confidence);
		if (t >= 1) { /* always true when n >= h(1) + 1; checked for safety */
			res.met = true;
			res.t = t;
			res.discarded = t - 1;
			res.estimate = sorted[n - t];
		}
	}
	*out = res;
	return 0;
}

int stats_es_server(uint64_t queries_issued, uint64_t overlatency, double p, double confidence,
		    stats_es_server_result *out)
{
	if (!out || !valid_fraction(p) || !valid_fraction(confidence))
		return -EINVAL;
	uint64_t h = stats_es_min_h(overlatency, p, confidence);
	if (h == UINT64_MAX)
		return -ERANGE;
	stats_es_server_result res = {
		.percentile = p,
		.queries_issued = queries_issued,
		.overlatency = overlatency,
		.h = h,
		.needed = h + overlatency,
	};
	res.met = queries_issued >= res.needed;
	res.additional_needed = res.met ? 0 : res.needed - queries_issued;
	*out = res;
	return 0;
}
