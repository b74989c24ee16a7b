/*
 * samplesize.c - how many queries a percentile needs: the classic binomial formula with
 * MLPerf's rounding to multiples of 8192, and early stopping's minimum.
 */
#include "stats/stats.h"

#include <errno.h>
#include <math.h>

#include <gsl/gsl_cdf.h>

/* Largest count returned; far beyond any run, and exact in a double. */
#define SAMPLE_SIZE_MAX (UINT64_C(1) << 62)

uint64_t stats_sample_size_binomial(double p, double confidence, double margin)
{
	if (!(p > 0.0 && p < 1.0) || !(confidence > 0.0 && confidence < 1.0) ||
	    !(margin >= 0.0) || isinf(margin))
		return 0;
	if (margin == 0.0)
		margin = (1.0 - p) / 20.0;
	double z = gsl_cdf_ugaussian_Pinv(0.5 * (1.0 - confidence));
	double n = z * z * p * (1.0 - p) / (margin * margin);
	if (!(n < (double)SAMPLE_SIZE_MAX))
		return 0;
	double c = ceil(n);
	return c < 1.0 ? 1 : (uint64_t)c;
}

int stats_sample_sizes(double p, double confidence, stats_sample_sizes_result *out)
{
	if (!out || !(p > 0.0 && p < 1.0) || !(confidence > 0.0 && confidence < 1.0))
		return -EINVAL;
	uint64_t classic = stats_sample_size_binomial(p, confidence, 0.0);
	uint64_t h1 = stats_es_min_h(1, p, confidence);
	if (classic == 0 || h1 == UINT64_MAX)
		return -ERANGE;
	uint64_t q = STATS_MLPERF_SAMPLE_QUANTUM;
	*out = (stats_sample_sizes_result){
		.percentile = p,
		.confidence = confidence,
		.z = fabs(gsl_cdf_ugaussian_Pinv(0.5 * (1.0 - confidence))),
		.margin = (1.0 - p) / 20.0,
		.classic = classic,
		.mlperf_rounded = (classic + q - 1) / q * q,
		.early_stopping_min = h1 + 1,
	};
	return 0;
}
