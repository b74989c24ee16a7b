/*
 * internal.h - helpers shared between the files of stats/ (double-underscore names);
 * not installed and not part of the public API.
 */
#ifndef STATS_INTERNAL_H
#define STATS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

/* True when x is non-NULL (or n == 0) and every one of the n values is finite. */
bool stats__all_finite(const double *x, size_t n);

/*
 * Mean and sample variance (divisor n - 1) by the corrected two-pass algorithm: the
 * mean is refined by the mean of the residuals, and the variance subtracts the squared
 * residual sum, so both keep close to full precision even when the values share many
 * leading digits.  n >= 1; *var is NaN when n == 1.  Either output may be NULL.
 */
void stats__mean_var(const double *x, size_t n, double *mean, double *var);

/* A malloc'ed ascending copy of x[0..n-1] (n >= 1), or NULL when allocation fails. */
double *stats__sorted_copy(const double *x, size_t n);

/*
 * A seeded Mersenne Twister (GSL's gsl_rng_mt19937) whose state the caller allocates
 * with malloc, so that running out of memory returns -ENOMEM instead of reaching GSL's
 * error handler (gsl_rng_alloc reports allocation failure through it).
 * stats__rng_init returns 0 or -ENOMEM; stats__rng_free releases the state.
 */
int stats__rng_init(gsl_rng *r, unsigned long seed);
void stats__rng_free(gsl_rng *r);

/* Uniform integer in [0, n) for any n >= 1, also above the generator's 32-bit range. */
size_t stats__rng_index(const gsl_rng *r, size_t n);

/* ln(Gamma(a + 1/2) / Gamma(a)) for a > 0, accurate to a few ulps also for large a. */
double stats__ln_gamma_ratio_half(double a);

#endif /* STATS_INTERNAL_H */
