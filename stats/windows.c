/*
 * windows.c - time windows: the bounds of consecutive windows of a time series, by
 * binary search when the times never decrease, else by a counting sort that can group
 * the values window by window. The window of one time is stats_window_of (stats.h):
 * every binning of the project goes through it, so a time on a boundary falls in the
 * same window in a report's check, its metrics and its charts.
 *
 * Each function exists for double times (the report's series) and int64_t ones (the
 * plots' nanoseconds, divided exactly); one macro writes both from the same text.
 */
#include "stats/stats.h"

#include <errno.h>
#include <string.h>

/* Window k's run starts at the first index whose time is in window k or later; a
 * negative time lies before window 0. */
#define WINDOW_RUNS(NAME, T, WINDOW_OF)                                                 \
	int NAME(const T *t, size_t n, T width, size_t nw, size_t *off)                 \
	{                                                                               \
		if (!off || (!t && n > 0) || nw == 0 || !(width > 0))                   \
			return -EINVAL;                                                 \
		size_t lo = 0, hi = n;                                                  \
		while (lo < hi) { /* the first time >= 0 */                             \
			size_t mid = lo + (hi - lo) / 2;                                \
			if (t[mid] < 0)                                                 \
				lo = mid + 1;                                           \
			else                                                            \
				hi = mid;                                               \
		}                                                                       \
		off[0] = lo;                                                            \
		for (size_t k = 1; k < nw; k++) {                                       \
			lo = off[k - 1], hi = n;                                        \
			while (lo < hi) {                                               \
				size_t mid = lo + (hi - lo) / 2;                        \
				if (WINDOW_OF(t[mid], width, nw) < k)                   \
					lo = mid + 1;                                   \
				else                                                    \
					hi = mid;                                       \
			}                                                               \
			off[k] = lo;                                                    \
		}                                                                       \
		off[nw] = n;                                                            \
		return 0;                                                               \
	}

/* Counts per window into off[1..nw], prefix sums, then (with buf) each value placed at
 * its window's next slot, which leaves off[k] at window k's end: shifted back by one. */
#define WINDOW_GROUP(NAME, T, WINDOW_OF)                                                \
	int NAME(const T *t, const T *v, size_t n, T width, size_t nw, size_t *off,     \
		 T *buf)                                                                \
	{                                                                               \
		if (!off || (!t && n > 0) || (buf && !v && n > 0) || nw == 0 ||         \
		    !(width > 0))                                                       \
			return -EINVAL;                                                 \
		memset(off, 0, (nw + 1) * sizeof *off);                                 \
		for (size_t i = 0; i < n; i++)                                          \
			if (!(t[i] < 0))                                                \
				off[WINDOW_OF(t[i], width, nw) + 1]++;                  \
		for (size_t k = 0; k < nw; k++)                                         \
			off[k + 1] += off[k];                                           \
		if (!buf)                                                               \
			return 0;                                                       \
		for (size_t i = 0; i < n; i++)                                          \
			if (!(t[i] < 0))                                                \
				buf[off[WINDOW_OF(t[i], width, nw)]++] = v[i];          \
		memmove(off + 1, off, nw * sizeof *off);                                \
		off[0] = 0;                                                             \
		return 0;                                                               \
	}

WINDOW_RUNS(stats_window_runs, double, stats_window_of)
WINDOW_RUNS(stats_window_runs_i64, int64_t, stats_window_of_i64)
WINDOW_GROUP(stats_window_group, double, stats_window_of)
WINDOW_GROUP(stats_window_group_i64, int64_t, stats_window_of_i64)
