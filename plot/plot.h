/* plot.h: charts drawn as SVG fragments for the self-contained HTML report, and the
 * down-sampling that keeps them small (percentile spectra, time windows, histograms,
 * min/max reduction of curves). docs/plots.md. */
#ifndef PLOT_PLOT_H
#define PLOT_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions of this module (prefix plot_):
 *  - Functions return 0 or a negative errno: -EINVAL (-22, equal to LG_EINVAL) for an
 *    argument out of range, -ENOMEM (-12, equal to LG_ENOMEM) when an allocation
 *    failed. The module includes nothing of the LoadGen's. Nothing here prints, exits
 *    or reads the clock, and no output depends on the locale (but the floating-point
 *    conversions of plot_buf_printf()): the same calls always produce the same bytes,
 *    and numbers always use '.' as the decimal separator.
 *  - Objects (plot_buf, plot) are opaque handles made by _create and freed by _destroy,
 *    which accepts NULL. Every function that takes data copies what it keeps; no
 *    pointer given to this module is kept after the call returns.
 *  - Text given to this module (titles, labels, series and category names) is plain
 *    UTF-8 and is escaped when written: it can never become markup. Invalid UTF-8 and
 *    control characters are written as U+FFFD.
 *  - Units: latencies and times are nanoseconds (`_ns`); a percentile is a fraction
 *    (0.99 is the 99th percentile).
 *  - Thread safety: a handle may be used by one thread at a time; distinct handles may
 *    be used concurrently. Functions without a handle are reentrant.
 */

/* ==================================================================================== */
/* Growable text buffer                                                                 */
/* ==================================================================================== */

/* A growable, always NUL-terminated byte string. An allocation failure is remembered:
 * later appends do nothing and plot_buf_error() reports it, so a sequence of appends
 * can be checked once at the end. */
typedef struct plot_buf plot_buf;

/*
 * Makes an empty buffer.
 *  out  receives the buffer; free it with plot_buf_destroy().
 * Returns 0, -EINVAL when out is NULL, -ENOMEM.
 */
int plot_buf_create(plot_buf **out);

/* Frees the buffer and its text; accepts NULL. */
void plot_buf_destroy(plot_buf *b);

/* The text so far, NUL-terminated; never NULL ("" for an empty buffer). Valid until the
 * next call that changes the buffer. */
const char *plot_buf_data(const plot_buf *b);

/* Length of the text in bytes, without the terminating NUL. */
size_t plot_buf_len(const plot_buf *b);

/* 0, or -ENOMEM when an append has failed since the creation or the last clear. */
int plot_buf_error(const plot_buf *b);

/* Empties the buffer (keeping its memory) and forgets a remembered error. */
void plot_buf_clear(plot_buf *b);

/*
 * Takes the text out of the buffer: the caller owns the returned string (free() it) and
 * the buffer is left empty. *len (when len is not NULL) receives its length.
 * Returns NULL when the buffer is in error or an allocation fails (the buffer is then
 * unchanged).
 */
char *plot_buf_take(plot_buf *b, size_t *len);

/* Appends n bytes of s as they are (no escaping). Returns 0 or -ENOMEM (also when an
 * earlier append failed). */
int plot_buf_append(plot_buf *b, const char *s, size_t n);

/* Appends the NUL-terminated s as it is (no escaping); NULL appends nothing. */
int plot_buf_puts(plot_buf *b, const char *s);

/*
 * Appends printf-formatted text, without escaping. Uses vsnprintf, so %f, %g and %e
 * follow the C library's LC_NUMERIC: write fractional numbers with plot_buf_num() to
 * stay locale-independent. Returns 0, -ENOMEM, or -EINVAL for a format error.
 */
int plot_buf_printf(plot_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Appends `text` escaped for XML and HTML, in text content and in quoted attributes
 * alike: & < > " ' become entities, invalid UTF-8 and C0 control characters (other than
 * tab, newline and carriage return, which become spaces) become U+FFFD. NULL appends
 * nothing. Returns 0 or -ENOMEM. */
int plot_buf_escape(plot_buf *b, const char *text);

/* Appends v with exactly `decimals` digits after a '.' (0..9; 0 writes no point), with
 * no locale dependence and no "-0". NaN and infinities are written as "0". */
int plot_buf_num(plot_buf *b, double v, int decimals);

/* ==================================================================================== */
/* Escaping and number text into caller memory                                          */
/* ==================================================================================== */

/*
 * Escapes `text` as plot_buf_escape() does into out[0..outlen).
 *  text    NUL-terminated UTF-8; NULL is taken as "".
 *  out     receives the escaped text, NUL-terminated when outlen > 0; an entity or a
 *          multi-byte character is never cut: the text stops before one that does not fit.
 *          May be NULL when outlen is 0.
 * Returns the length of the whole escaped text (without the NUL), as snprintf() does:
 * the output was complete when the result is < outlen.
 */
size_t plot_escape(const char *text, char *out, size_t outlen);

/*
 * Writes v with `decimals` digits after '.' (0..9), locale-independent, as
 * plot_buf_num(). Returns the length of the full text (snprintf semantics).
 */
size_t plot_format_num(double v, int decimals, char *out, size_t outlen);

/*
 * Writes a duration with its unit chosen for it: "850 ns", "12.3 us", "1.5 ms", "2 s".
 * Three significant digits, trailing zeros dropped, ASCII units (ns, us, ms, s; seconds
 * also above 1000 s). Negative durations keep their sign. NaN is written as "n/a".
 * Returns the length of the full text (snprintf semantics).
 */
size_t plot_format_duration(double ns, char *out, size_t outlen);

/* ==================================================================================== */
/* Axes: scales, nice ticks, the percentile transform                                  */
/* ==================================================================================== */

typedef enum plot_scale {
    PLOT_LINEAR = 0,     /* evenly spaced values, ticks in 1-2-5 steps */
    PLOT_LOG10 = 1,      /* decades, labelled ticks at powers of ten, minor ticks at
                            2..9; values <= 0 cannot be drawn and are left out */
    PLOT_PERCENTILE = 2, /* values are percentiles p in [0, 1), drawn at
                            plot_pct_to_x(p); ticks 0%, 90%, 99%, 99.9%, ... */
    PLOT_CATEGORY = 3,   /* x only: the categories of plot_set_categories(), value i is
                            the centre of category i */
} plot_scale;

typedef enum plot_unit {
    PLOT_UNIT_NONE = 0,    /* plain numbers; 10000 and up are written 10k, 1.5M, ... */
    PLOT_UNIT_NS = 1,      /* durations in ns, written in ns/us/ms/s as the range needs */
    PLOT_UNIT_PERCENT = 2, /* fractions written as percentages (0.25 -> 25%) */
} plot_unit;

/*
 * The percentile axis transform: x = log10(1 / (1 - p)). 0% -> 0, 90% -> 1, 99% -> 2,
 * 99.9% -> 3: each further "nine" is one unit to the right, as in HdrHistogram's
 * percentile plots. p is clamped to [0, 1 - 1e-15] (so p = 1 gives about 15); NaN gives 0.
 */
double plot_pct_to_x(double p);

/* Inverse of plot_pct_to_x(): p = 1 - 10^-x; x <= 0 gives 0. */
double plot_x_to_pct(double x);

/*
 * "Nice" ticks for a linear axis covering [lo, hi]: a step of 1, 2 or 5 times a power of
 * ten that gives at most about `target` intervals, and every multiple of it in the
 * range widened to whole steps.
 *  lo, hi   the data range, any order; equal values are widened to a unit range.
 *  target   wanted number of intervals, 1..100.
 *  ticks    receives the tick values, ascending; capacity `cap` (>= target + 3 is
 *           always enough).
 *  n        receives the number of ticks written.
 *  step     receives the step (may be NULL).
 * Returns 0; -EINVAL for a non-finite bound, target out of range, NULL ticks or n, or
 * a capacity too small for the ticks.
 */
int plot_ticks_linear(double lo, double hi, int target, double *ticks, size_t cap,
                      size_t *n, double *step);

/*
 * Ticks for a log10 axis covering [lo, hi] (both > 0), widened to whole decades: the
 * decades 10^k as major ticks, 2..9 x 10^k as minor ticks.
 *  major, nmajor  receive the powers of ten (capacity cap_major);
 *  minor, nminor  receive the minor ticks (capacity cap_minor); minor may be NULL with
 *                 cap_minor 0, then *nminor (when nminor is not NULL) is 0.
 * Returns 0; -EINVAL for bounds that are not finite and positive, or a capacity too
 * small (at most 61 decades are supported: 1e-30 .. 1e30).
 */
int plot_ticks_log10(double lo, double hi, double *major, size_t cap_major,
                     size_t *nmajor, double *minor, size_t cap_minor, size_t *nminor);

/* ==================================================================================== */
/* Down-sampling: bounded drawing data from millions of samples                        */
/* ==================================================================================== */

/*
 * Reduces n points (x[i], y[i]) to at most k by min/max bucketing: the first and last
 * points are kept, the points between are cut into (k - 2) / 2 runs of consecutive
 * indices and each run keeps its lowest and its highest y, in index order. Every kept
 * point is an input point (exact values), the global minimum and maximum of y are
 * always kept, and no spike narrower than a run disappears. Points with a NaN y are
 * never chosen as extremes.
 *  x, y     n input values; x may be NULL (then ox receives the indices as doubles).
 *  k        output capacity, >= 4.
 *  ox, oy   receive at most k points (capacity k each).
 *  nout     receives the number of points written (n itself when n <= k).
 * Returns 0; -EINVAL for NULL y/ox/oy/nout (y may be NULL only when n is 0) or
 * k < 4. Cost O(n), no allocation.
 */
int plot_downsample_minmax(const double *x, const double *y, size_t n, size_t k,
                           double *ox, double *oy, size_t *nout);

/*
 * The percentile spectrum of a sorted latency array as at most max_points points
 * (p, latency), ascending in p:
 *  - p = 0 with the minimum;
 *  - each requested percentile, with exactly sorted[floor(n * p)] (MLPerf's rule, the
 *    index clamped to n - 1: the value stats_percentile_mlperf() returns);
 *  - the maximum, at p = max(1 - 1/n, the largest requested percentile);
 *  - points evenly spaced on the percentile axis (plot_pct_to_x) between 0 and the
 *    maximum's position, each with sorted[floor(n * p)] at its p.
 * A fill point at the same p as a requested one is dropped.
 *  sorted       n ascending values (ns); read only. n >= 1.
 *  pct, npct    requested percentiles in [0, 1) (any order, duplicates allowed); pct
 *               may be NULL when npct is 0.
 *  max_points   output capacity, >= npct + 2.
 *  p_out, v_out receive the points (capacity max_points each).
 *  nout         receives the number of points.
 * Returns 0; -EINVAL for n == 0, a NULL pointer, a percentile outside [0, 1) or NaN,
 * or max_points < npct + 2. Cost O(max_points log max_points); no allocation beyond
 * the outputs.
 */
int plot_spectrum(const int64_t *sorted, size_t n, const double *pct, size_t npct,
                  size_t max_points, double *p_out, int64_t *v_out, size_t *nout);

/*
 * A histogram of a sorted array with at most max_bins bins.
 *  log_bins false: equal bins of a nice width (1, 2 or 5 x 10^k) starting at a multiple
 *           of it, so edges are round numbers;
 *  log_bins true: bins equally wide on a log axis, 50, 20, 10, 5, 2 or 1 per decade
 *           (the most that fit; one per 2, 5, 10, 20 or 50 decades if even one per
 *           decade is too many), edges at 10^(j / bins_per_decade); values <= 0 are
 *           counted in the first bin (all values <= 0: linear bins).
 * Bin i holds the values in [edges[i], edges[i+1]); the last bin also holds its upper
 * edge. Every value is counted once: the counts sum to n.
 *  sorted      n ascending values; read only; n >= 1.
 *  max_bins    2..100000.
 *  edges       receives nbins + 1 edges (capacity max_bins + 1).
 *  counts      receives nbins counts (capacity max_bins).
 *  nbins       receives the number of bins (1..max_bins).
 * Returns 0 or -EINVAL (n == 0, a NULL pointer, max_bins out of range). Cost
 * O(max_bins log n): bins are found by binary search.
 */
int plot_histogram(const int64_t *sorted, size_t n, size_t max_bins, bool log_bins,
                   double *edges, double *counts, size_t *nbins);

/* One time window of plot_windows(). */
typedef struct plot_window {
    int64_t start_ns;  /* the window is [start_ns, start_ns + width) */
    uint64_t count;    /* values whose time falls in the window */
    double rate_per_s; /* count / width in seconds */
    int64_t min;       /* extremes of the values in the window (0 when count is 0) */
    int64_t max;
    double mean;       /* 0 when count is 0 */
    int64_t p50;       /* MLPerf's rule within the window (sorted[floor(count * p)]);
                          0 unless quantiles were asked for, or when count is 0 */
    int64_t p99;
} plot_window;

/*
 * Aggregates samples into consecutive time windows from 0: count, rate, min, max, mean
 * and optionally the median and the 99th percentile of each window.
 *  t_ns          n times (ns from the pass start) deciding each value's window, any
 *                order; values with t_ns < 0 (e.g. never completed) are left out.
 *  v             n values (e.g. latencies), or NULL to count only.
 *  width_ns      the wanted window width, > 0 (e.g. 1e9 for per-second windows).
 *  max_windows   1..1000000: when the run needs more windows than this, the width is
 *                raised to the next 1-2-5 multiple of width_ns that fits.
 *  quantiles     compute p50 and p99 (allocates n int64_t scratch; O(n) expected).
 *  out           receives the windows (capacity max_windows), window 0 first, up to the
 *                window holding the last time; empty windows have count 0. The last
 *                window usually ends before its width is over: its rate reads low and
 *                its statistics rest on few samples (a report may leave it out).
 *  nout          receives the number of windows (0 when no time is >= 0).
 *  width_used_ns receives the width used (may be NULL).
 * Returns 0; -EINVAL (NULL out or nout, NULL t_ns with n > 0, width_ns <= 0,
 * max_windows out of range); -ENOMEM. Cost O(n) plus the quantile selection.
 */
int plot_windows(const int64_t *t_ns, const int64_t *v, size_t n, int64_t width_ns,
                 size_t max_windows, bool quantiles, plot_window *out, size_t *nout,
                 int64_t *width_used_ns);

/* ==================================================================================== */
/* Charts                                                                               */
/* ==================================================================================== */

/* A chart: axes, series, reference lines, a legend; rendered to one <svg> element. */
typedef struct plot plot;

typedef enum plot_axis {
    PLOT_X = 0,
    PLOT_Y = 1,
} plot_axis;

typedef enum plot_line_kind {
    PLOT_LINE = 0,    /* straight segments between the points, a few markers on it */
    PLOT_STEP = 1,    /* horizontal then vertical: each y holds until the next x */
    PLOT_MARKERS = 2, /* a marker at each point, no line (at most 2000 points drawn) */
} plot_line_kind;

typedef enum plot_ci_kind {
    PLOT_CI_DOT = 0, /* a dot at the estimate, whiskers from lo to hi */
    PLOT_CI_BAR = 1, /* a bar from the axis to the estimate, whiskers from lo to hi */
} plot_ci_kind;

/* Default size of a chart, in CSS pixels. */
#define PLOT_DEFAULT_WIDTH 720
#define PLOT_DEFAULT_HEIGHT 400

/* A line with more points than this is reduced with plot_downsample_minmax() when
 * added (two points per pixel column of a 1000-pixel plot), so that no chart grows
 * with the data: a line costs about 11 bytes per point, at most about 22 KB. */
#define PLOT_MAX_LINE_POINTS 2000

/* Most series in one chart, and most categories of a category axis. */
#define PLOT_MAX_SERIES 32
#define PLOT_MAX_CATEGORIES 256

/*
 * Makes an empty chart: PLOT_DEFAULT_WIDTH x PLOT_DEFAULT_HEIGHT, linear axes without
 * labels, no title.
 *  out  receives the chart; free it with plot_destroy().
 * Returns 0, -EINVAL (out NULL), -ENOMEM.
 */
int plot_create(plot **out);

/* Frees the chart; accepts NULL. */
void plot_destroy(plot *p);

/* Sets the title drawn above the chart (also the SVG's accessible name); NULL removes
 * it. Returns 0, -EINVAL (p NULL), -ENOMEM. */
int plot_set_title(plot *p, const char *title);

/* Sets the id attribute of the <svg> element (escaped; NULL removes it), so that a page
 * can link to or find the chart. Returns 0, -EINVAL, -ENOMEM. */
int plot_set_id(plot *p, const char *id);

/* Sets the size in CSS pixels: width 240..4000, height 160..4000 (the legend adds rows
 * below when it needs them). Returns 0 or -EINVAL. */
int plot_set_size(plot *p, int width, int height);

/*
 * Describes an axis.
 *  axis    PLOT_X or PLOT_Y.
 *  scale   PLOT_LINEAR, PLOT_LOG10, PLOT_PERCENTILE (x or y), PLOT_CATEGORY (x only).
 *  unit    how tick labels are written; with PLOT_UNIT_NS on a linear axis one unit is
 *          chosen for the whole axis and added to the label ("Latency (ms)"); on a log
 *          axis each tick carries its own unit ("100 us", "1 ms").
 *  label   the axis title (copied, escaped when drawn); NULL for none.
 * Returns 0; -EINVAL for a bad axis, scale or unit, or PLOT_CATEGORY on y; -ENOMEM.
 */
int plot_set_axis(plot *p, plot_axis axis, plot_scale scale, plot_unit unit,
                  const char *label);

/*
 * Fixes the drawn range of an axis, in data units (percentiles for PLOT_PERCENTILE).
 * A NaN bound stays automatic (from the data, widened to nice ticks); so does a bound
 * <= 0 on a log axis. Data outside the range is clipped a few pixels beyond the plot
 * area's edge. Ignored for PLOT_CATEGORY.
 * Returns 0 or -EINVAL (p NULL, a bad axis, a bound beyond +-1e300, lo >= hi with
 * both set).
 */
int plot_set_range(plot *p, plot_axis axis, double lo, double hi);

/*
 * Sets the categories of a PLOT_CATEGORY x axis (copied), left to right. Long names are
 * shortened with an ellipsis on the axis and shown whole in a tooltip (<title>).
 *  names   n strings (none NULL); n 1..PLOT_MAX_CATEGORIES.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int plot_set_categories(plot *p, const char *const *names, size_t n);

/*
 * Adds a line, step or marker series. The data are copied; more than
 * PLOT_MAX_LINE_POINTS points are reduced with plot_downsample_minmax(). Points with a
 * NaN coordinate, or a coordinate <= 0 on a log axis, break the line.
 *  name   legend text (copied); NULL or "" keeps the series out of the legend.
 *  x, y   n values in data units (percentiles in [0, 1) on a PLOT_PERCENTILE axis).
 * Series take colours, dash patterns and markers in the order they are added
 * (docs/plots.md: blue solid circles, vermillion dashed squares, green dotted
 * triangles, ...), so every series differs in more than its colour.
 * Returns 0; -EINVAL (NULL p/x/y with n > 0, bad kind, more than PLOT_MAX_SERIES
 * series); -ENOMEM.
 */
int plot_add_line(plot *p, const char *name, const double *x, const double *y, size_t n,
                  plot_line_kind kind);

/*
 * Adds histogram bars: bar i spans [edges[i], edges[i+1]) on x and rises from 0 to
 * heights[i] (plot_histogram() makes both). Bars are filled lightly in the series
 * colour with an outline in its dash pattern, so overlaid histograms stay apart.
 *  nbins  1..100000; edges has nbins + 1 ascending values.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int plot_add_bars(plot *p, const char *name, const double *edges, const double *heights,
                  size_t nbins);

/*
 * Adds a horizontal (PLOT_Y: at y = value) or vertical (PLOT_X: at x = value) reference
 * line across the plot area, dark grey and dashed, with an optional label drawn beside
 * it (e.g. "latency bound 10 ms", "target p99"). Not in the legend.
 * Returns 0, -EINVAL (bad axis, NaN value), -ENOMEM.
 */
int plot_add_refline(plot *p, plot_axis axis, double value, const char *label);

/*
 * Adds one estimate with a confidence interval per category (x axis PLOT_CATEGORY):
 * est[i] drawn as a dot or a bar, lo[i]..hi[i] as a whisker with caps. A NaN estimate
 * leaves category i empty; NaN bounds draw no whisker. Several such series sit side
 * by side within each category.
 *  n   the number of categories of plot_set_categories() (set them first).
 * Returns 0, -EINVAL (no categories, n different, NULL arrays), -ENOMEM.
 */
int plot_add_ci(plot *p, const char *name, const double *est, const double *lo,
                const double *hi, size_t n, plot_ci_kind kind);

/*
 * Adds a box plot per category (x axis PLOT_CATEGORY): the box from the first to the
 * third quartile, a thick line at the median, whiskers to the furthest values within
 * 1.5 interquartile ranges of the box, markers for values beyond. Quartiles use linear
 * interpolation between order statistics (Hyndman-Fan type 7, as R and NumPy).
 *  values[i], counts[i]  the values of category i (any order; copied); a category with
 *                        count 0 is left empty.
 *  points                also draw every value as a jittered dot over its box (a strip
 *                        plot); the jitter is a fixed sequence, not random.
 *  n                     the number of categories.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int plot_add_boxes(plot *p, const char *name, const double *const *values,
                   const size_t *counts, size_t n, bool points);

/*
 * Adds a strip plot per category: every value of category i as a dot, jittered
 * sideways by a fixed sequence so equal values stay visible. Arguments as
 * plot_add_boxes().
 */
int plot_add_strip(plot *p, const char *name, const double *const *values,
                   const size_t *counts, size_t n);

/* plot_render() flags. */
enum {
    PLOT_RENDER_STANDALONE = 1, /* an XML declaration and the SVG namespace, so that the
                                   output is a complete .svg file; without it the output
                                   is an <svg> element for inline use in HTML */
};

/*
 * Appends the chart to `out` as one <svg class="plot" role="img"> element with a
 * viewBox (it scales with CSS), a <title> holding the chart title, and every style as
 * presentation attributes: no CSS, no script, no id other than plot_set_id()'s, no
 * external reference, no empty path. Axes without data
 * are drawn over [0, 1].
 *  flags  0 or PLOT_RENDER_STANDALONE.
 * Returns 0; -EINVAL (NULL p or out); -ENOMEM (the buffer's error). The chart is
 * not changed and may be rendered again. Output size is bounded by the number of
 * series and categories, never by the data: about 45 KB for a chart with four
 * 1000-point lines.
 */
int plot_render(const plot *p, plot_buf *out, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* PLOT_PLOT_H */
