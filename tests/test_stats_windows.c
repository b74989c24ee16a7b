/*
 * test_stats_windows.c - tests for the time windows of stats/windows.c: the window of
 * one time (boundaries, the last window, an empty axis), runs of ordered times, the
 * counting-sort grouping of times in any order, and the two agreeing with each other
 * and with a brute-force reference.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcriterion.so\n";
}

Test(window_of, boundary_belongs_to_the_window_it_starts, .timeout = 10)
{
	/* Windows of 10: [0, 10), [10, 20), [20, 30) and beyond. */
	cr_expect_eq(stats_window_of(0.0, 10.0, 3), 0);
	cr_expect_eq(stats_window_of(9.999, 10.0, 3), 0);
	cr_expect_eq(stats_window_of(10.0, 10.0, 3), 1);
	cr_expect_eq(stats_window_of(20.0, 10.0, 3), 2);
	cr_expect_eq(stats_window_of(30.0, 10.0, 3), 2, "the last window takes its end");
	cr_expect_eq(stats_window_of(1e300, 10.0, 3), 2, "and anything beyond");
	cr_expect_eq(stats_window_of_i64(0, 10, 3), 0);
	cr_expect_eq(stats_window_of_i64(9, 10, 3), 0);
	cr_expect_eq(stats_window_of_i64(10, 10, 3), 1);
	cr_expect_eq(stats_window_of_i64(29, 10, 3), 2);
	cr_expect_eq(stats_window_of_i64(INT64_MAX, 1, 3), 2);
	cr_expect_eq(stats_window_of(5.0, 10.0, 1), 0, "one window holds everything");
}

Test(window_of, empty_axis_and_negative_times_give_window_0, .timeout = 10)
{
	cr_expect_eq(stats_window_of(0.0, 0.0, 4), 0, "0 / 0: an empty axis");
	cr_expect_eq(stats_window_of(-5.0, 10.0, 4), 0);
	cr_expect_eq(stats_window_of_i64(-5, 10, 4), 0);
}

Test(window_of, integer_division_is_exact_where_doubles_round, .timeout = 10)
{
	/* Just below a boundary past 2^53 ns, a double quotient rounds up to it; the
	 * integer rule keeps the time in the window before. */
	int64_t width = 3, k = (INT64_C(1) << 53) / 3 + 7;
	int64_t t = k * width - 1;
	cr_expect_eq(stats_window_of_i64(t, width, SIZE_MAX), (size_t)(k - 1));
	cr_expect_eq(stats_window_of_i64(t + 1, width, SIZE_MAX), (size_t)k);
}

Test(window_runs, ordered_times_with_ties_on_boundaries, .timeout = 10)
{
	/* Ties exactly on 10 and 20 go to the window they start; 45 lands in the last. */
	double t[] = {0, 3, 10, 10, 10, 19.5, 20, 20, 45};
	size_t off[4];
	cr_assert_eq(stats_window_runs(t, 9, 10.0, 3, off), 0);
	cr_expect_eq(off[0], 0);
	cr_expect_eq(off[1], 2);
	cr_expect_eq(off[2], 6);
	cr_expect_eq(off[3], 9);
	int64_t ti[] = {-4, -1, 0, 3, 10, 10, 10, 19, 20, 20, 45};
	cr_assert_eq(stats_window_runs_i64(ti, 11, 10, 3, off), 0);
	cr_expect_eq(off[0], 2, "negative times lie before window 0");
	cr_expect_eq(off[1], 4);
	cr_expect_eq(off[2], 8);
	cr_expect_eq(off[3], 11);
}

Test(window_runs, empty_windows_and_empty_series, .timeout = 10)
{
	/* Nothing between 10 and 40: windows 1..3 of 5 are empty runs. */
	double t[] = {1, 2, 40, 41};
	size_t off[6];
	cr_assert_eq(stats_window_runs(t, 4, 10.0, 5, off), 0);
	size_t want[6] = {0, 2, 2, 2, 2, 4};
	for (int k = 0; k < 6; k++)
		cr_expect_eq(off[k], want[k], "off[%d] = %zu", k, off[k]);
	cr_assert_eq(stats_window_runs(NULL, 0, 10.0, 3, off), 0);
	for (int k = 0; k < 4; k++)
		cr_expect_eq(off[k], 0);
}

Test(window_runs, bad_arguments_are_refused, .timeout = 10)
{
	double t[] = {1};
	size_t off[2];
	cr_expect_eq(stats_window_runs(t, 1, 0.0, 1, off), -EINVAL);
	cr_expect_eq(stats_window_runs(t, 1, 1.0, 0, off), -EINVAL);
	cr_expect_eq(stats_window_runs(t, 1, 1.0, 1, NULL), -EINVAL);
	cr_expect_eq(stats_window_runs(NULL, 1, 1.0, 1, off), -EINVAL);
	cr_expect_eq(stats_window_group(t, NULL, 1, 1.0, 1, off, (double[1]){0}), -EINVAL,
		     "a grouping needs its values");
	cr_expect_eq(stats_window_group_i64(NULL, NULL, 2, 1, 1, off, NULL), -EINVAL);
	cr_expect_eq(stats_window_group_i64((int64_t[]){1}, NULL, 1, -1, 1, off, NULL), -EINVAL);
}

Test(window_group, unsorted_times_grouped_in_series_order, .timeout = 10)
{
	double t[] = {25, 3, 10, -1, 0, 99, 10, 19.9, 20};
	double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	size_t off[4];
	double buf[9];
	cr_assert_eq(stats_window_group(t, v, 9, 10.0, 3, off, buf), 0);
	/* window 0: t 3, 0 -> v 2, 5; window 1: t 10, 10, 19.9 -> 3, 7, 8; window 2: t 25,
	 * 99, 20 -> 1, 6, 9; the negative time is left out. */
	size_t want_off[4] = {0, 2, 5, 8};
	double want[8] = {2, 5, 3, 7, 8, 1, 6, 9};
	for (int k = 0; k < 4; k++)
		cr_expect_eq(off[k], want_off[k], "off[%d] = %zu", k, off[k]);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(buf[i], want[i], "buf[%d] = %g", i, buf[i]);
	size_t off2[4];
	cr_assert_eq(stats_window_group(t, NULL, 9, 10.0, 3, off2, NULL), 0);
	cr_expect_arr_eq(off2, off, sizeof off, "bounds alone are the same");
}

Test(window_group, empty_windows_keep_their_bounds, .timeout = 10)
{
	int64_t t[] = {45, 1, 44, 2};
	int64_t v[] = {10, 20, 30, 40};
	size_t off[6];
	int64_t buf[4];
	cr_assert_eq(stats_window_group_i64(t, v, 4, 10, 5, off, buf), 0);
	size_t want_off[6] = {0, 2, 2, 2, 2, 4};
	int64_t want[4] = {20, 40, 10, 30};
	for (int k = 0; k < 6; k++)
		cr_expect_eq(off[k], want_off[k], "off[%d] = %zu", k, off[k]);
	for (int i = 0; i < 4; i++)
		cr_expect_eq(buf[i], want[i]);
}

/* Runs and grouping agree on ordered data (less the negative prefix), and both agree
 * with counting each value's window one by one. */
Test(window_group, agrees_with_runs_and_with_brute_force, .timeout = 20)
{
	enum { N = 5000, NW = 37 };
	int64_t *t = malloc(N * sizeof *t), *v = malloc(N * sizeof *v);
	int64_t *buf = malloc(N * sizeof *buf);
	cr_assert(t && v && buf);
	uint64_t s = 42;
	int64_t at = -50;
	for (int i = 0; i < N; i++) {
		s = s * 6364136223846793005u + 1442695040888963407u;
		at += (int64_t)(s >> 61); /* steps of 0..7: many ties */
		t[i] = at;
		v[i] = i;
	}
	int64_t width = 500;
	size_t runs[NW + 1], grp[NW + 1], brute[NW] = {0};
	cr_assert_eq(stats_window_runs_i64(t, N, width, NW, runs), 0);
	cr_assert_eq(stats_window_group_i64(t, v, N, width, NW, grp, buf), 0);
	size_t neg = 0;
	for (int i = 0; i < N; i++) {
		if (t[i] < 0) {
			neg++;
			continue;
		}
		size_t w = (size_t)(t[i] / width);
		brute[w < NW ? w : NW - 1]++;
	}
	cr_expect_eq(runs[0], neg);
	for (int k = 0; k < NW; k++) {
		cr_expect_eq(runs[k + 1] - runs[k], brute[k], "window %d", k);
		cr_expect_eq(grp[k + 1] - grp[k], brute[k], "window %d", k);
		cr_expect_eq(grp[k], runs[k] - neg);
	}
	cr_expect_arr_eq(buf, v + neg, (N - neg) * sizeof *buf, "ordered: the grouping is v");
	free(t);
	free(v);
	free(buf);
}
