/* chart.c: the chart object and its SVG rendering: layout, axes and ticks, series
 * (lines, steps, markers, bars, CI whiskers, box and strip plots), reference lines and
 * the legend. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/internal.h"

/* ---- styles ---------------------------------------------------------------------- */

/* Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), each
 * with its own dash pattern and marker so that series stay apart in greyscale. */
#define NSTYLES 7
static const char *const style_colour[NSTYLES] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
};
static const char *const style_dash[NSTYLES] = {
    NULL, "7 3", "2 2", "9 3 2 3", "4 2", "1 3", "12 3",
};
enum marker { M_CIRCLE, M_SQUARE, M_TRIANGLE, M_DIAMOND, M_TRIANGLE_DOWN, M_CROSS, M_PLUS };

static const char *const text_colour = "#222";
static const char *const axis_colour = "#444";
static const char *const grid_colour = "#e3e3e3";
static const char *const minor_grid_colour = "#f3f3f3";
static const char *const ref_colour = "#333";
static const char *const font_family = "Helvetica, Arial, sans-serif";

#define FONT_TICK 11.0
#define FONT_LABEL 12.0
#define FONT_TITLE 14.0
/* Average advance of a character as a fraction of the font size: a little wide for
 * Helvetica so that estimated text never overlaps. */
#define CHAR_EM 0.6

static int style_colour_of(int s) { return s % NSTYLES; }
static int style_dash_of(int s) { return (s + s / NSTYLES) % NSTYLES; }
static int style_marker_of(int s) { return (s + 2 * (s / NSTYLES)) % NSTYLES; }

/* ---- the chart object ----------------------------------------------------------------- */

typedef enum series_type { S_LINE, S_BARS, S_CI, S_BOX, S_STRIP } series_type;

typedef struct series {
    series_type type;
    char *name;
    int style;
    plot_line_kind kind; /* S_LINE */
    plot_ci_kind ci;     /* S_CI */
    bool points;         /* S_BOX: a strip over the boxes */
    size_t n;            /* points (S_LINE), bins (S_BARS), categories (others) */
    double *a, *b, *c;   /* S_LINE x, y; S_BARS edges, heights; S_CI est, lo, hi */
    double **vals;       /* S_BOX, S_STRIP: sorted values per category */
    size_t *counts;
    int lane;            /* category series: its place within a category */
} series;

typedef struct refline {
    plot_axis axis;
    double value;
    char *label;
} refline;

typedef struct axis_conf {
    plot_scale scale;
    plot_unit unit;
    char *label;
    double lo, hi; /* fixed bounds in data units, NaN = automatic */
} axis_conf;

struct plot {
    int width, height;
    char *title;
    char *id;
    axis_conf ax[2];
    char **cats;
    size_t ncats;
    series ser[PLOT_MAX_SERIES];
    size_t nser;
    int lanes; /* category series so far */
    refline *refs;
    size_t nrefs;
};

int plot_create(plot **out)
{
    if (!out)
        return -EINVAL;
    plot *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->width = PLOT_DEFAULT_WIDTH;
    p->height = PLOT_DEFAULT_HEIGHT;
    for (int i = 0; i < 2; i++) {
        p->ax[i].lo = NAN;
        p->ax[i].hi = NAN;
    }
    *out = p;
    return 0;
}

static void free_series(series *s)
{
    free(s->name);
    free(s->a);
    free(s->b);
    free(s->c);
    if (s->vals)
        for (size_t i = 0; i < s->n; i++)
            free(s->vals[i]);
    free(s->vals);
    free(s->counts);
}

void plot_destroy(plot *p)
{
    if (!p)
        return;
    free(p->title);
    free(p->id);
    for (int i = 0; i < 2; i++)
        free(p->ax[i].label);
    for (size_t i = 0; i < p->ncats; i++)
        free(p->cats[i]);
    free(p->cats);
    for (size_t i = 0; i < p->nser; i++)
        free_series(&p->ser[i]);
    for (size_t i = 0; i < p->nrefs; i++)
        free(p->refs[i].label);
    free(p->refs);
    free(p);
}

/* Replaces *dst with a copy of s. */
static int set_text(char **dst, const char *s)
{
    char *d = NULL;
    if (s && !(d = plot__strdup(s)))
        return -ENOMEM;
    free(*dst);
    *dst = d;
    return 0;
}

int plot_set_title(plot *p, const char *title)
{
    return p ? set_text(&p->title, title) : -EINVAL;
}

int plot_set_id(plot *p, const char *id)
{
    return p ? set_text(&p->id, id) : -EINVAL;
}

int plot_set_size(plot *p, int width, int height)
{
    if (!p || width < 240 || width > 4000 || height < 160 || height > 4000)
        return -EINVAL;
    p->width = width;
    p->height = height;
    return 0;
}

int plot_set_axis(plot *p, plot_axis axis, plot_scale scale, plot_unit unit,
                  const char *label)
{
    if (!p || (axis != PLOT_X && axis != PLOT_Y) || (unsigned)scale > PLOT_CATEGORY ||
        (unsigned)unit > PLOT_UNIT_PERCENT || (scale == PLOT_CATEGORY && axis != PLOT_X))
        return -EINVAL;
    int rc = set_text(&p->ax[axis].label, label);
    if (rc)
        return rc;
    p->ax[axis].scale = scale;
    p->ax[axis].unit = unit;
    return 0;
}

int plot_set_range(plot *p, plot_axis axis, double lo, double hi)
{
    if (!p || (axis != PLOT_X && axis != PLOT_Y) || fabs(lo) > 1e300 || fabs(hi) > 1e300 ||
        (!isnan(lo) && !isnan(hi) && lo >= hi))
        return -EINVAL;
    p->ax[axis].lo = lo;
    p->ax[axis].hi = hi;
    return 0;
}

int plot_set_categories(plot *p, const char *const *names, size_t n)
{
    if (!p || !names || n < 1 || n > PLOT_MAX_CATEGORIES)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!names[i])
            return -EINVAL;
    char **c = calloc(n, sizeof(*c));
    if (!c)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!(c[i] = plot__strdup(names[i]))) {
            for (size_t j = 0; j < i; j++)
                free(c[j]);
            free(c);
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < p->ncats; i++)
        free(p->cats[i]);
    free(p->cats);
    p->cats = c;
    p->ncats = n;
    return 0;
}

static double *copy_doubles(const double *v, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof(*d));
    if (d && n)
        memcpy(d, v, n * sizeof(*d));
    return d;
}

/* Starts a new series slot; the caller fills it and commits by incrementing nser. */
static series *new_series(plot *p, series_type type)
{
    if (p->nser >= PLOT_MAX_SERIES)
        return NULL;
    series *s = &p->ser[p->nser];
    memset(s, 0, sizeof(*s));
    s->type = type;
    s->style = (int)p->nser;
    return s;
}

static int commit(plot *p, series *s, const char *name)
{
    if (name && name[0] && !(s->name = plot__strdup(name))) {
        free_series(s);
        return -ENOMEM;
    }
    if (s->type == S_CI || s->type == S_BOX || s->type == S_STRIP)
        s->lane = p->lanes++;
    p->nser++;
    return 0;
}

int plot_add_line(plot *p, const char *name, const double *x, const double *y, size_t n,
                  plot_line_kind kind)
{
    if (!p || (n > 0 && (!x || !y)) || (unsigned)kind > PLOT_MARKERS)
        return -EINVAL;
    series *s = new_series(p, S_LINE);
    if (!s)
        return -EINVAL;
    s->kind = kind;
    if (n > PLOT_MAX_LINE_POINTS) {
        s->a = malloc(PLOT_MAX_LINE_POINTS * sizeof(double));
        s->b = malloc(PLOT_MAX_LINE_POINTS * sizeof(double));
        if (!s->a || !s->b) {
            free_series(s);
            return -ENOMEM;
        }
        plot_downsample_minmax(x, y, n, PLOT_MAX_LINE_POINTS, s->a, s->b, &s->n);
    } else {
        s->a = copy_doubles(x, n);
        s->b = copy_doubles(y, n);
        s->n = n;
        if (!s->a || !s->b) {
            free_series(s);
            return -ENOMEM;
        }
    }
    return commit(p, s, name);
}

int plot_add_bars(plot *p, const char *name, const double *edges, const double *heights,
                  size_t nbins)
{
    if (!p || !edges || !heights || nbins < 1 || nbins > 100000)
        return -EINVAL;
    for (size_t i = 0; i < nbins; i++)
        if (!(edges[i] < edges[i + 1]))
            return -EINVAL;
    series *s = new_series(p, S_BARS);
    if (!s)
        return -EINVAL;
    s->n = nbins;
    s->a = copy_doubles(edges, nbins + 1);
    s->b = copy_doubles(heights, nbins);
    if (!s->a || !s->b) {
        free_series(s);
        return -ENOMEM;
    }
    return commit(p, s, name);
}

int plot_add_refline(plot *p, plot_axis axis, double value, const char *label)
{
    if (!p || (axis != PLOT_X && axis != PLOT_Y) || !isfinite(value))
        return -EINVAL;
    if (p->nrefs >= 64)
        return -EINVAL;
    refline *r = realloc(p->refs, (p->nrefs + 1) * sizeof(*r));
    if (!r)
        return -ENOMEM;
    p->refs = r;
    r[p->nrefs].axis = axis;
    r[p->nrefs].value = value;
    r[p->nrefs].label = NULL;
    if (label && !(r[p->nrefs].label = plot__strdup(label)))
        return -ENOMEM;
    p->nrefs++;
    return 0;
}

int plot_add_ci(plot *p, const char *name, const double *est, const double *lo,
                const double *hi, size_t n, plot_ci_kind kind)
{
    if (!p || !est || !lo || !hi || p->ncats == 0 || n != p->ncats ||
        (unsigned)kind > PLOT_CI_BAR)
        return -EINVAL;
    series *s = new_series(p, S_CI);
    if (!s)
        return -EINVAL;
    s->ci = kind;
    s->n = n;
    s->a = copy_doubles(est, n);
    s->b = copy_doubles(lo, n);
    s->c = copy_doubles(hi, n);
    if (!s->a || !s->b || !s->c) {
        free_series(s);
        return -ENOMEM;
    }
    return commit(p, s, name);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Copies the values of each category, sorted and without NaNs. */
static int add_groups(plot *p, series_type type, const char *name,
                      const double *const *values, const size_t *counts, size_t n,
                      bool points)
{
    if (!p || !values || !counts || p->ncats == 0 || n != p->ncats)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (counts[i] > 0 && !values[i])
            return -EINVAL;
    series *s = new_series(p, type);
    if (!s)
        return -EINVAL;
    s->n = n;
    s->points = points;
    s->vals = calloc(n, sizeof(*s->vals));
    s->counts = calloc(n, sizeof(*s->counts));
    if (!s->vals || !s->counts) {
        free_series(s);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        s->vals[i] = malloc((counts[i] ? counts[i] : 1) * sizeof(double));
        if (!s->vals[i]) {
            free_series(s);
            return -ENOMEM;
        }
        size_t k = 0;
        for (size_t j = 0; j < counts[i]; j++)
            if (!isnan(values[i][j]))
                s->vals[i][k++] = values[i][j];
        qsort(s->vals[i], k, sizeof(double), cmp_double);
        s->counts[i] = k;
    }
    return commit(p, s, name);
}

int plot_add_boxes(plot *p, const char *name, const double *const *values,
                   const size_t *counts, size_t n, bool points)
{
    return add_groups(p, S_BOX, name, values, counts, n, points);
}

int plot_add_strip(plot *p, const char *name, const double *const *values,
                   const size_t *counts, size_t n)
{
    return add_groups(p, S_STRIP, name, values, counts, n, true);
}

/* ---- axes: data space to pixels --------------------------------------------------- */

#define MAX_TICKS 160

typedef struct tick {
    double v;      /* axis-space position */
    bool major;    /* drawn with a grid line and (when labelled) a label */
    bool labelled;
    char text[48];
} tick;

/* An axis ready to draw: the range in axis space (log10 of the value on a log axis,
 * plot_pct_to_x(p) on a percentile axis), the ticks and the pixel span. */
typedef struct axis_layout {
    const axis_conf *conf;
    double lo, hi;      /* axis space */
    double pix0, pix1;  /* pixels of lo and hi */
    tick ticks[MAX_TICKS];
    size_t nticks;
    double scale;       /* display unit of a linear NS/NONE axis (see plot__tick_label) */
    const char *unit_name;
    double max_label_w; /* widest tick label, pixels */
} axis_layout;

/* Data value to axis space; NaN when it cannot be drawn. */
static double to_axis(const axis_conf *c, double v)
{
    if (isnan(v))
        return NAN;
    switch (c->scale) {
    case PLOT_LOG10:
        return v > 0.0 ? log10(v) : NAN;
    case PLOT_PERCENTILE:
        return plot_pct_to_x(v);
    default:
        return v;
    }
}

static double to_pix(const axis_layout *a, double axis_v)
{
    return a->pix0 + (axis_v - a->lo) / (a->hi - a->lo) * (a->pix1 - a->pix0);
}

/* Data value straight to pixels; NaN when it cannot be drawn. */
static double data_pix(const axis_layout *a, double v)
{
    double t = to_axis(a->conf, v);
    return isnan(t) ? NAN : to_pix(a, t);
}

static double text_width(const char *s, double size)
{
    return (double)plot__text_chars(s) * size * CHAR_EM;
}

/* Widens [*lo, *hi] (axis space) to take v. */
static void extend(double *lo, double *hi, double v)
{
    /* Beyond 1e300 the span of an axis could overflow: such values are not drawn. */
    if (isnan(v) || !(fabs(v) <= 1e300))
        return;
    if (isnan(*lo) || v < *lo)
        *lo = v;
    if (isnan(*hi) || v > *hi)
        *hi = v;
}

/* The data extent of one axis in axis space, and whether bars ask for zero. */
static void data_extent(const plot *p, plot_axis axis, double *lo, double *hi,
                        bool *want_zero)
{
    const axis_conf *c = &p->ax[axis];
    *lo = *hi = NAN;
    *want_zero = false;
    for (size_t i = 0; i < p->nser; i++) {
        const series *s = &p->ser[i];
        switch (s->type) {
        case S_LINE:
            for (size_t j = 0; j < s->n; j++)
                extend(lo, hi, to_axis(c, axis == PLOT_X ? s->a[j] : s->b[j]));
            break;
        case S_BARS:
            if (axis == PLOT_X) {
                for (size_t j = 0; j <= s->n; j++)
                    extend(lo, hi, to_axis(c, s->a[j]));
            } else {
                for (size_t j = 0; j < s->n; j++)
                    extend(lo, hi, to_axis(c, s->b[j]));
                *want_zero = true;
            }
            break;
        case S_CI:
            if (axis == PLOT_Y) {
                for (size_t j = 0; j < s->n; j++) {
                    extend(lo, hi, to_axis(c, s->a[j]));
                    extend(lo, hi, to_axis(c, s->b[j]));
                    extend(lo, hi, to_axis(c, s->c[j]));
                }
                if (s->ci == PLOT_CI_BAR)
                    *want_zero = true;
            }
            break;
        case S_BOX:
        case S_STRIP:
            if (axis == PLOT_Y)
                for (size_t j = 0; j < s->n; j++)
                    if (s->counts[j]) {
                        extend(lo, hi, to_axis(c, s->vals[j][0]));
                        extend(lo, hi, to_axis(c, s->vals[j][s->counts[j] - 1]));
                    }
            break;
        }
    }
    for (size_t i = 0; i < p->nrefs; i++)
        if (p->refs[i].axis == axis)
            extend(lo, hi, to_axis(c, p->refs[i].value));
}

static void add_tick(axis_layout *a, double v, bool major, bool labelled)
{
    if (a->nticks >= MAX_TICKS)
        return;
    tick *t = &a->ticks[a->nticks++];
    t->v = v;
    t->major = major;
    t->labelled = labelled;
    t->text[0] = '\0';
}

/* Number of decimals a linear tick step needs in the display unit. */
static int step_decimals(double step_disp)
{
    int d = (int)-floor(log10(step_disp) + 1e-9);
    return d < 0 ? 0 : d > 9 ? 9 : d;
}

/* What an axis layout starts from, in axis space: the data extent (NaN without data),
 * whether bars ask for zero, and the fixed bounds (NaN where automatic). */
typedef struct axis_extent {
    double lo, hi;
    bool want_zero;
    double flo, fhi;
} axis_extent;

/* A category axis: one slot per category, centred on 0 .. n-1, each with a labelled
 * tick. Category names are written by draw_category_labels() (they need the slot width
 * and a tooltip), not here. */
static void layout_category(const plot *p, axis_layout *a)
{
    size_t n = p->ncats ? p->ncats : 1;
    a->lo = -0.5;
    a->hi = (double)n - 0.5;
    for (size_t i = 0; i < p->ncats && i < MAX_TICKS; i++)
        add_tick(a, (double)i, true, true);
}

/* The label of decade k of a percentile axis: 0%, 90%, 99%, 99.9%, ... */
static void percentile_label(char *out, size_t len, int k)
{
    if (k == 0) {
        snprintf(out, len, "0%%");
    } else if (k == 1) {
        snprintf(out, len, "90%%");
    } else {
        char nines[20];
        int m = k - 2 < 16 ? k - 2 : 16;
        memset(nines, '9', (size_t)m);
        nines[m] = '\0';
        snprintf(out, len, "99%s%s%%", m ? "." : "", nines);
    }
}

/* A percentile axis: from 0% (or the fixed bound) to the first whole "nine" above the
 * data, a labelled tick at each nine and minor ticks between them. */
static void layout_percentile(axis_layout *a, const axis_extent *e)
{
    a->lo = isnan(e->flo) ? 0.0 : e->flo;
    double top = isnan(e->hi) ? 2.0 : ceil(e->hi - 1e-9);
    if (top < 1.0)
        top = 1.0;
    a->hi = isnan(e->fhi) ? top : e->fhi;
    if (!(a->hi > a->lo))
        a->hi = a->lo + 1.0;
    for (int k = (int)floor(a->lo); k <= (int)ceil(a->hi) && k <= 15; k++) {
        if (k >= a->lo - 1e-9 && k <= a->hi + 1e-9) {
            add_tick(a, k, true, true);
            percentile_label(a->ticks[a->nticks - 1].text, sizeof(a->ticks[0].text), k);
        }
        /* Minor ticks: 1 - p = m x 10^-(k+1), m = 9 .. 2, inside decade k. */
        for (int m = 9; m >= 2; m--) {
            double x = -log10(m * pow(10.0, -(k + 1)));
            if (x > a->lo + 1e-9 && x < a->hi - 1e-9)
                add_tick(a, x, false, false);
        }
    }
}

/* The range of a log axis in axis space (decades): the fixed bounds where set, else the
 * data's, widened when empty or a single value. Automatic bounds stop at the nearest 1,
 * 2 or 5 times a power of ten, so a narrow range is not lost in a whole decade. */
static void log_bounds(const axis_extent *e, double *out_lo, double *out_hi)
{
    double dlo = isnan(e->flo) ? e->lo : e->flo, dhi = isnan(e->fhi) ? e->hi : e->fhi;
    if (isnan(dlo) || isnan(dhi)) {
        dlo = isnan(dlo) ? (isnan(dhi) ? 0.0 : dhi - 1.0) : dlo;
        dhi = isnan(dhi) ? dlo + 1.0 : dhi;
    }
    if (dhi - dlo < 1e-9) {
        dlo -= 0.15;
        dhi += 0.15;
    }
    if (isnan(e->flo)) {
        double d = floor(dlo + 1e-9), f = pow(10.0, dlo - d);
        dlo = d + (f >= 5.0 - 1e-9 ? log10(5.0) : f >= 2.0 - 1e-9 ? log10(2.0) : 0.0);
    }
    if (isnan(e->fhi)) {
        double d = floor(dhi - 1e-9), f = pow(10.0, dhi - d);
        dhi = d + (f <= 2.0 + 1e-9 ? log10(2.0) : f <= 5.0 + 1e-9 ? log10(5.0) : 1.0);
    }
    *out_lo = dlo;
    *out_hi = dhi;
}

/* A log axis: its bounds (log_bounds) and a tick at every 1 .. 9 times a power of ten.
 * The decades are labelled (every k-th when they are crowded); with room for them also
 * 2 and 5 times a power of ten, with a lot of room every minor tick. The closest labels
 * sit log10(2) of a decade apart. */
static void layout_log(axis_layout *a, const axis_extent *e, double pixels, double spacing)
{
    double dlo, dhi;
    log_bounds(e, &dlo, &dhi);
    a->lo = dlo;
    a->hi = dhi;
    double per_decade = pixels / (dhi - dlo);
    int d0 = (int)floor(dlo - 1e-9), d1 = (int)ceil(dhi + 1e-9);
    int every = per_decade < spacing ? (int)ceil(spacing / per_decade) : 1;
    bool label_25 = 0.3 * per_decade >= spacing * 0.6;
    bool label_all = 0.05 * per_decade >= spacing * 0.6;
    for (int d = d0; d <= d1; d++) {
        for (int m = 1; m <= 9; m++) {
            double x = d + log10((double)m);
            if (x < dlo - 1e-9 || x > dhi + 1e-9)
                continue;
            bool major = m == 1;
            bool lab = (major && (d % every == 0)) || (label_25 && (m == 2 || m == 5)) ||
                       label_all;
            add_tick(a, x, major || lab, lab);
            if (lab)
                plot__tick_label(a->ticks[a->nticks - 1].text, 48, m * pow(10.0, d),
                                 a->conf->unit, 0.0, 0);
        }
    }
}

/* The data range of a linear axis before rounding to ticks: the fixed bounds where set,
 * else the data's (padded on a y axis), with zero when bars ask for it and a default
 * where there is no data. */
static void linear_bounds(plot_axis axis, const axis_extent *e, double *out_lo,
                          double *out_hi)
{
    double lo = e->lo, hi = e->hi, flo = e->flo, fhi = e->fhi;
    /* A y range from the data gets a little room above and below, so that markers on
     * its extremes are not cut by the frame; never across zero. */
    if (axis == PLOT_Y && !isnan(lo) && hi > lo) {
        double pad = (hi - lo) * 0.04;
        lo = lo >= 0.0 && lo - pad < 0.0 ? 0.0 : lo - pad;
        hi = hi <= 0.0 && hi + pad > 0.0 ? 0.0 : hi + pad;
    }
    if (e->want_zero)
        extend(&lo, &hi, 0.0);
    double dlo = isnan(flo) ? lo : flo, dhi = isnan(fhi) ? hi : fhi;
    if (isnan(dlo) && isnan(dhi)) {
        dlo = 0.0;
        dhi = 1.0;
    } else if (isnan(dlo)) {
        dlo = dhi > 0 ? 0.0 : dhi - 1.0;
    } else if (isnan(dhi)) {
        dhi = dlo < 0 ? 0.0 : dlo + 1.0;
        if (!isnan(hi) && hi > dlo)
            dhi = hi;
    }
    *out_lo = dlo;
    *out_hi = dhi;
}

/* Chooses the display unit of a linear axis from its largest magnitude: s, ms, us or ns
 * for durations, a power of a thousand for plain numbers, percent for fractions. Sets
 * a->scale (and a->unit_name for durations); returns the tick step in that unit. */
static double linear_unit(axis_layout *a, double step)
{
    double m = fmax(fabs(a->lo), fabs(a->hi));
    switch (a->conf->unit) {
    case PLOT_UNIT_NS: {
        static const struct {
            double s;
            const char *n;
        } u[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1.0, "ns"}};
        for (size_t i = 0; i < 4; i++)
            if (m >= u[i].s || i == 3) {
                a->scale = u[i].s;
                a->unit_name = u[i].n;
                break;
            }
        return step / a->scale;
    }
    case PLOT_UNIT_PERCENT:
        a->scale = 1.0;
        return step * 100.0;
    default:
        a->scale = m >= 1e10 ? 1e9 : m >= 1e7 ? 1e6 : m >= 1e4 ? 1e3 : 1.0;
        return step / a->scale;
    }
}

/* A linear axis: 1-2-5 ticks, about one per `spacing` of its `pixels` (2 to 40), over
 * the range of linear_bounds(); automatic bounds end on a tick. */
static void layout_linear(axis_layout *a, plot_axis axis, const axis_extent *e,
                          double pixels, double spacing)
{
    int target = (int)(pixels / spacing);
    if (target < 2)
        target = 2;
    if (target > 40)
        target = 40;
    double dlo, dhi;
    linear_bounds(axis, e, &dlo, &dhi);
    double tv[MAX_TICKS], step = 1.0;
    size_t nt = 0;
    if (plot_ticks_linear(dlo, dhi, target, tv, MAX_TICKS, &nt, &step) || nt < 2) {
        tv[0] = dlo;
        tv[1] = dhi;
        nt = 2;
        step = dhi - dlo;
    }
    a->lo = isnan(e->flo) ? tv[0] : e->flo;
    a->hi = isnan(e->fhi) ? tv[nt - 1] : e->fhi;
    if (!(a->hi > a->lo))
        a->hi = a->lo + 1.0;
    int dec = step_decimals(linear_unit(a, step));
    for (size_t i = 0; i < nt; i++) {
        if (tv[i] < a->lo - step * 1e-6 || tv[i] > a->hi + step * 1e-6)
            continue;
        add_tick(a, tv[i], true, true);
        plot__tick_label(a->ticks[a->nticks - 1].text, 48, tv[i], a->conf->unit, a->scale,
                         dec);
    }
}

/*
 * Chooses the range and the ticks of an axis spanning `pixels` pixels, with about one
 * labelled tick per `spacing` pixels: the data extent and the fixed bounds, then one
 * layout per kind of scale.
 */
static void layout_axis(const plot *p, plot_axis axis, axis_layout *a, double pixels,
                        double spacing)
{
    const axis_conf *c = &p->ax[axis];
    a->conf = c;
    a->nticks = 0;
    a->scale = 0.0;
    a->unit_name = NULL;
    a->max_label_w = 0.0;
    axis_extent e;
    data_extent(p, axis, &e.lo, &e.hi, &e.want_zero);
    e.flo = to_axis(c, c->lo);
    e.fhi = to_axis(c, c->hi);
    switch (c->scale) {
    case PLOT_CATEGORY:
        layout_category(p, a);
        return;
    case PLOT_PERCENTILE:
        layout_percentile(a, &e);
        return;
    case PLOT_LOG10:
        layout_log(a, &e, pixels, spacing);
        return;
    case PLOT_LINEAR:
    default:
        layout_linear(a, axis, &e, pixels, spacing);
        return;
    }
}

static void measure_labels(axis_layout *a, double size)
{
    a->max_label_w = 0.0;
    for (size_t i = 0; i < a->nticks; i++)
        if (a->ticks[i].labelled) {
            double w = text_width(a->ticks[i].text, size);
            if (w > a->max_label_w)
                a->max_label_w = w;
        }
}

/* ---- SVG writing helpers ------------------------------------------------------------ */

static void put(plot_buf *b, const char *s)
{
    plot_buf_puts(b, s);
}

static void num(plot_buf *b, double v)
{
    plot__coord(b, v);
}

/* Writes ` name="value"` with a coordinate value. */
static void attr_num(plot_buf *b, const char *name, double v)
{
    plot_buf_puts(b, " ");
    plot_buf_puts(b, name);
    plot_buf_puts(b, "=\"");
    plot__coord(b, v);
    plot_buf_puts(b, "\"");
}

static void point(plot_buf *b, double x, double y)
{
    plot__coord(b, x);
    plot_buf_puts(b, ",");
    plot__coord(b, y);
}

/* Ends a <path> whose d attribute is being written: a path without any segment is
 * removed whole (an empty d draws nothing and some browsers log it), any other gets
 * its closing quote. */
static void end_path(plot_buf *b)
{
    const char *d = plot_buf_data(b);
    size_t n = plot_buf_len(b);
    if (n >= 3 && !memcmp(d + n - 3, "d=\"", 3)) {
        for (size_t i = n - 3; i-- > 0;) {
            if (!memcmp(d + i, "<path", 5)) {
                plot__buf_truncate(b, i);
                return;
            }
        }
    }
    plot_buf_puts(b, "\"/>\n");
}

/* A <text> element; `extra` holds further attributes (trusted, may be NULL) and the
 * content is escaped. */
static void text_el(plot_buf *b, double x, double y, const char *anchor, double size,
                    const char *extra, const char *content)
{
    put(b, "<text");
    attr_num(b, "x", x);
    attr_num(b, "y", y);
    if (anchor) {
        put(b, " text-anchor=\"");
        put(b, anchor);
        put(b, "\"");
    }
    if (size != FONT_LABEL)
        attr_num(b, "font-size", size);
    if (extra) {
        put(b, " ");
        put(b, extra);
    }
    put(b, ">");
    plot_buf_escape(b, content);
    put(b, "</text>\n");
}

/* Opens a <path> for a series stroke: colour, width, dash. */
static void stroke_attrs(plot_buf *b, int style, double width, bool dashed)
{
    put(b, " fill=\"none\" stroke=\"");
    put(b, style_colour[style_colour_of(style)]);
    put(b, "\"");
    attr_num(b, "stroke-width", width);
    const char *dash = style_dash[style_dash_of(style)];
    if (dashed && dash) {
        put(b, " stroke-dasharray=\"");
        put(b, dash);
        put(b, "\"");
    }
}

/* Appends one marker shape centred at (x, y) with radius r to a path's d attribute. */
static void marker_d(plot_buf *b, int marker, double x, double y, double r)
{
    switch (marker) {
    case M_SQUARE:
        put(b, "M");
        point(b, x - 0.9 * r, y - 0.9 * r);
        put(b, "h");
        num(b, 1.8 * r);
        put(b, "v");
        num(b, 1.8 * r);
        put(b, "h");
        num(b, -1.8 * r);
        put(b, "z");
        break;
    case M_TRIANGLE:
    case M_TRIANGLE_DOWN: {
        double s = marker == M_TRIANGLE ? 1.0 : -1.0;
        put(b, "M");
        point(b, x, y - s * 1.25 * r);
        put(b, "L");
        point(b, x + 1.15 * r, y + s * 0.8 * r);
        put(b, "L");
        point(b, x - 1.15 * r, y + s * 0.8 * r);
        put(b, "z");
        break;
    }
    case M_DIAMOND:
        put(b, "M");
        point(b, x, y - 1.3 * r);
        put(b, "L");
        point(b, x + 1.1 * r, y);
        put(b, "L");
        point(b, x, y + 1.3 * r);
        put(b, "L");
        point(b, x - 1.1 * r, y);
        put(b, "z");
        break;
    case M_CROSS:
        put(b, "M");
        point(b, x - r, y - r);
        put(b, "L");
        point(b, x + r, y + r);
        put(b, "M");
        point(b, x + r, y - r);
        put(b, "L");
        point(b, x - r, y + r);
        break;
    case M_PLUS:
        put(b, "M");
        point(b, x - 1.25 * r, y);
        put(b, "H");
        num(b, x + 1.25 * r);
        put(b, "M");
        point(b, x, y - 1.25 * r);
        put(b, "V");
        num(b, y + 1.25 * r);
        break;
    case M_CIRCLE:
    default:
        put(b, "M");
        point(b, x - r, y);
        put(b, "a");
        num(b, r);
        put(b, ",");
        num(b, r);
        put(b, " 0 1 0 ");
        num(b, 2 * r);
        put(b, ",0a");
        num(b, r);
        put(b, ",");
        num(b, r);
        put(b, " 0 1 0 ");
        num(b, -2 * r);
        put(b, ",0z");
        break;
    }
}

/* Opens the <path> that holds a series' markers. `hollow` draws outlines with a white
 * fill (used for box-plot outliers). */
static void marker_path_open(plot_buf *b, int style, bool hollow, double opacity)
{
    const char *col = style_colour[style_colour_of(style)];
    put(b, "<path fill=\"");
    put(b, hollow ? "#fff" : col);
    put(b, "\" stroke=\"");
    put(b, col);
    put(b, "\" stroke-width=\"1.3\"");
    if (opacity < 1.0) {
        put(b, " fill-opacity=\"");
        plot_buf_num(b, opacity, 2);
        put(b, "\"");
    }
    put(b, " d=\"");
}

/* Deterministic jitter in [-0.5, 0.5): the golden-ratio sequence spreads points
 * evenly and is the same on every run. */
static double jitter(size_t i)
{
    double f = (double)i * 0.6180339887498949;
    return f - floor(f) - 0.5;
}

/* ---- drawing the series ----------------------------------------------------------- */

typedef struct frame {
    axis_layout *x, *y;
    double pw, ph; /* plot area size; drawing is relative to its top left corner */
    int lanes;
} frame;

/* Lane geometry for category series: centre offset and width, in axis units. */
static void lane_geometry(const frame *f, int lane, double *offset, double *width)
{
    int n = f->lanes > 0 ? f->lanes : 1;
    double w = 0.8 / n;
    *width = w;
    *offset = -0.4 + (lane + 0.5) * w;
}

static double cat_pix(const frame *f, double pos)
{
    return to_pix(f->x, pos);
}

static void draw_line(plot_buf *b, const frame *f, const series *s)
{
    double *px = malloc((s->n ? s->n : 1) * sizeof(double));
    double *py = malloc((s->n ? s->n : 1) * sizeof(double));
    if (!px || !py) {
        free(px);
        free(py);
        plot__buf_fail(b);
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        px[i] = data_pix(f->x, s->a[i]);
        py[i] = data_pix(f->y, s->b[i]);
    }
    int mk = style_marker_of(s->style);
    if (s->kind != PLOT_MARKERS) {
        put(b, "<path");
        stroke_attrs(b, s->style, 2.0, true);
        put(b, " stroke-linejoin=\"round\" d=\"");
        bool pen = false;
        for (size_t i = 0; i < s->n; i++) {
            if (isnan(px[i]) || isnan(py[i])) {
                pen = false;
                continue;
            }
            if (!pen) {
                put(b, "M");
                point(b, px[i], py[i]);
                pen = true;
            } else if (s->kind == PLOT_STEP) {
                put(b, "H");
                num(b, px[i]);
                put(b, "V");
                num(b, py[i]);
            } else {
                put(b, " ");
                point(b, px[i], py[i]);
            }
        }
        end_path(b);
    }
    /* Markers: every point for PLOT_MARKERS (at most 2000), else one about every
     * tenth of the width, shifted per series so that overlaid series do not hide
     * each other's markers. */
    marker_path_open(b, s->style, false, 1.0);
    if (s->kind == PLOT_MARKERS) {
        size_t every = s->n > 2000 ? (s->n + 1999) / 2000 : 1;
        for (size_t i = 0; i < s->n; i += every)
            if (!isnan(px[i]) && !isnan(py[i]))
                marker_d(b, mk, px[i], py[i], 3.2);
    } else {
        double gap = f->pw / 10.0;
        double next = gap * (0.25 + 0.37 * (double)(s->style % 5)) / 2.0;
        for (size_t i = 0; i < s->n; i++) {
            if (isnan(px[i]) || isnan(py[i]) || px[i] < next)
                continue;
            if (py[i] >= -1.0 && py[i] <= f->ph + 1.0 && px[i] <= f->pw + 1.0)
                marker_d(b, mk, px[i], py[i], 3.2);
            next = px[i] + gap;
        }
    }
    end_path(b);
    free(px);
    free(py);
}

static void draw_bars(plot_buf *b, const frame *f, const series *s)
{
    const char *col = style_colour[style_colour_of(s->style)];
    double base = f->y->conf->scale == PLOT_LINEAR ? data_pix(f->y, 0.0) : f->ph;
    if (isnan(base))
        base = f->ph;
    /* The bodies as one filled path, then the outline as one stepped line. */
    put(b, "<path stroke=\"none\" fill=\"");
    put(b, col);
    put(b, "\" fill-opacity=\"0.28\" d=\"");
    for (size_t i = 0; i < s->n; i++) {
        double x0 = data_pix(f->x, s->a[i]), x1 = data_pix(f->x, s->a[i + 1]);
        double y = data_pix(f->y, s->b[i]);
        if (isnan(x0) || isnan(x1) || isnan(y) || s->b[i] == 0.0)
            continue;
        put(b, "M");
        point(b, x0, base);
        put(b, "V");
        num(b, y);
        put(b, "H");
        num(b, x1);
        put(b, "V");
        num(b, base);
        put(b, "z");
    }
    end_path(b);
    put(b, "<path");
    stroke_attrs(b, s->style, 1.5, true);
    put(b, " d=\"");
    bool pen = false;
    for (size_t i = 0; i < s->n; i++) {
        double x0 = data_pix(f->x, s->a[i]), x1 = data_pix(f->x, s->a[i + 1]);
        double y = data_pix(f->y, s->b[i]);
        if (isnan(y))
            y = base; /* a zero on a log axis: down to the axis */
        if (isnan(x0) || isnan(x1)) {
            if (pen) {
                put(b, "V");
                num(b, base);
            }
            pen = false;
            continue;
        }
        if (!pen) {
            put(b, "M");
            point(b, x0, base);
            pen = true;
        }
        put(b, "V");
        num(b, y);
        put(b, "H");
        num(b, x1);
    }
    if (pen) {
        put(b, "V");
        num(b, base);
    }
    end_path(b);
}

/* A vertical line at x from y `from` to y `to`, with a cap of half-width `cap` at `to`. */
static void stem(plot_buf *b, double x, double from, double to, double cap)
{
    put(b, "M");
    point(b, x, from);
    put(b, "V");
    num(b, to);
    put(b, "M");
    point(b, x - cap, to);
    put(b, "h");
    num(b, 2 * cap);
}

/* A CI whisker: the line from ylo to yhi, capped at both ends. */
static void whisker(plot_buf *b, double x, double ylo, double yhi, double cap)
{
    stem(b, x, ylo, yhi, cap);
    put(b, "M");
    point(b, x - cap, ylo);
    put(b, "h");
    num(b, 2 * cap);
}

static void draw_ci(plot_buf *b, const frame *f, const series *s)
{
    double off, lw;
    lane_geometry(f, s->lane, &off, &lw);
    double slot_px = fabs(cat_pix(f, 1.0) - cat_pix(f, 0.0)) * lw;
    const char *col = style_colour[style_colour_of(s->style)];
    if (s->ci == PLOT_CI_BAR) {
        double base = f->y->conf->scale == PLOT_LINEAR ? data_pix(f->y, 0.0) : f->ph;
        put(b, "<path fill=\"");
        put(b, col);
        put(b, "\" fill-opacity=\"0.35\" stroke=\"");
        put(b, col);
        put(b, "\" stroke-width=\"1.2\" d=\"");
        for (size_t i = 0; i < s->n; i++) {
            double y = data_pix(f->y, s->a[i]);
            if (isnan(y) || isnan(base))
                continue;
            double cx = cat_pix(f, (double)i + off);
            double hw = slot_px * 0.4;
            put(b, "M");
            point(b, cx - hw, base);
            put(b, "V");
            num(b, y);
            put(b, "H");
            num(b, cx + hw);
            put(b, "V");
            num(b, base);
            put(b, "z");
        }
        end_path(b);
    }
    put(b, "<path fill=\"none\" stroke=\"");
    put(b, s->ci == PLOT_CI_BAR ? text_colour : col);
    put(b, "\" stroke-width=\"1.6\" d=\"");
    for (size_t i = 0; i < s->n; i++) {
        double ylo = data_pix(f->y, s->b[i]), yhi = data_pix(f->y, s->c[i]);
        if (isnan(ylo) || isnan(yhi))
            continue;
        double cx = cat_pix(f, (double)i + off);
        whisker(b, cx, ylo, yhi, fmin(8.0, slot_px * 0.2));
    }
    end_path(b);
    if (s->ci == PLOT_CI_DOT) {
        marker_path_open(b, s->style, false, 1.0);
        for (size_t i = 0; i < s->n; i++) {
            double y = data_pix(f->y, s->a[i]);
            if (!isnan(y))
                marker_d(b, style_marker_of(s->style), cat_pix(f, (double)i + off), y, 4.5);
        }
        end_path(b);
    }
}

/* Type 7 quantile of a sorted array (linear interpolation between order statistics). */
static double q7(const double *v, size_t n, double p)
{
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

static void draw_points(plot_buf *b, const frame *f, const series *s, double off,
                        double slot_px, double r, double opacity)
{
    marker_path_open(b, s->style, false, opacity);
    int mk = s->type == S_BOX ? M_CIRCLE : style_marker_of(s->style);
    for (size_t i = 0; i < s->n; i++) {
        double cx = cat_pix(f, (double)i + off);
        for (size_t j = 0; j < s->counts[i]; j++) {
            double y = data_pix(f->y, s->vals[i][j]);
            if (!isnan(y))
                marker_d(b, mk, cx + jitter(j) * slot_px * 0.5, y, r);
        }
    }
    end_path(b);
}

/* Where the boxes of a box series go: the lane offset within a category (axis units),
 * the half-width of a box and the width of the lane (pixels), the colour. */
typedef struct box_geom {
    double off, hw, slot_px;
    const char *col;
} box_geom;

/* Quartiles and interquartile range of the sorted values v[0..n-1] (n > 0). */
static void quartiles(const double *v, size_t n, double *q1, double *q3, double *iqr)
{
    *q1 = q7(v, n, 0.25);
    *q3 = q7(v, n, 0.75);
    *iqr = *q3 - *q1;
}

/* The boxes, from the first to the third quartile, as one filled path. */
static void box_bodies(plot_buf *b, const frame *f, const series *s, const box_geom *g)
{
    put(b, "<path fill=\"");
    put(b, g->col);
    put(b, "\" fill-opacity=\"0.18\"");
    put(b, " stroke=\"");
    put(b, g->col);
    put(b, "\" stroke-width=\"1.5\" d=\"");
    for (size_t i = 0; i < s->n; i++) {
        size_t n = s->counts[i];
        if (n == 0)
            continue;
        double q1, q3, iqr;
        quartiles(s->vals[i], n, &q1, &q3, &iqr);
        double y1 = data_pix(f->y, q1), y3 = data_pix(f->y, q3);
        if (isnan(y1) || isnan(y3))
            continue;
        double cx = cat_pix(f, (double)i + g->off);
        put(b, "M");
        point(b, cx - g->hw, y3);
        put(b, "H");
        num(b, cx + g->hw);
        put(b, "V");
        num(b, y1);
        put(b, "H");
        num(b, cx - g->hw);
        put(b, "z");
    }
    end_path(b);
}

/* The whiskers: from each box to the furthest value within 1.5 box lengths of it
 * (Tukey's fences), capped. */
static void box_whiskers(plot_buf *b, const frame *f, const series *s, const box_geom *g)
{
    put(b, "<path fill=\"none\" stroke=\"");
    put(b, g->col);
    put(b, "\" stroke-width=\"1.5\" d=\"");
    for (size_t i = 0; i < s->n; i++) {
        size_t n = s->counts[i];
        if (n == 0)
            continue;
        const double *v = s->vals[i];
        double q1, q3, iqr;
        quartiles(v, n, &q1, &q3, &iqr);
        double wlo = q1, whi = q3;
        for (size_t j = 0; j < n; j++)
            if (v[j] >= q1 - 1.5 * iqr) {
                wlo = v[j];
                break;
            }
        for (size_t j = n; j-- > 0;)
            if (v[j] <= q3 + 1.5 * iqr) {
                whi = v[j];
                break;
            }
        double cx = cat_pix(f, (double)i + g->off);
        double y1 = data_pix(f->y, q1), y3 = data_pix(f->y, q3);
        double yl = data_pix(f->y, wlo), yh = data_pix(f->y, whi);
        if (isnan(y1) || isnan(y3) || isnan(yl) || isnan(yh))
            continue;
        double cap = g->hw * 0.5;
        stem(b, cx, y1, yl, cap);
        stem(b, cx, y3, yh, cap);
    }
    end_path(b);
}

/* The medians, thick lines across the boxes. */
static void box_medians(plot_buf *b, const frame *f, const series *s, const box_geom *g)
{
    put(b, "<path fill=\"none\" stroke=\"");
    put(b, g->col);
    put(b, "\" stroke-width=\"3\" d=\"");
    for (size_t i = 0; i < s->n; i++) {
        size_t n = s->counts[i];
        if (n == 0)
            continue;
        double y = data_pix(f->y, q7(s->vals[i], n, 0.5));
        if (isnan(y))
            continue;
        double cx = cat_pix(f, (double)i + g->off);
        put(b, "M");
        point(b, cx - g->hw, y);
        put(b, "H");
        num(b, cx + g->hw);
    }
    end_path(b);
}

/* The outliers (values beyond the whiskers), hollow circles on the box's centre line. */
static void box_outliers(plot_buf *b, const frame *f, const series *s, const box_geom *g)
{
    marker_path_open(b, s->style, true, 1.0);
    for (size_t i = 0; i < s->n; i++) {
        size_t n = s->counts[i];
        if (n == 0)
            continue;
        const double *v = s->vals[i];
        double q1, q3, iqr;
        quartiles(v, n, &q1, &q3, &iqr);
        double cx = cat_pix(f, (double)i + g->off);
        for (size_t j = 0; j < n; j++) {
            if (v[j] >= q1 - 1.5 * iqr && v[j] <= q3 + 1.5 * iqr)
                continue;
            double y = data_pix(f->y, v[j]);
            if (!isnan(y))
                marker_d(b, M_CIRCLE, cx, y, 3.0);
        }
    }
    end_path(b);
}

/* A box plot per category: boxes, whiskers and medians, then either every value (a
 * strip over the boxes, when asked for) or only the outliers. */
static void draw_box(plot_buf *b, const frame *f, const series *s)
{
    double lw;
    box_geom g;
    lane_geometry(f, s->lane, &g.off, &lw);
    g.slot_px = fabs(cat_pix(f, 1.0) - cat_pix(f, 0.0)) * lw;
    g.hw = fmin(g.slot_px * 0.35, 60.0);
    g.col = style_colour[style_colour_of(s->style)];
    box_bodies(b, f, s, &g);
    box_whiskers(b, f, s, &g);
    box_medians(b, f, s, &g);
    if (s->points)
        draw_points(b, f, s, g.off, g.slot_px * 0.6, 2.4, 0.75);
    else
        box_outliers(b, f, s, &g);
}

static void draw_strip(plot_buf *b, const frame *f, const series *s)
{
    double off, lw;
    lane_geometry(f, s->lane, &off, &lw);
    double slot_px = fabs(cat_pix(f, 1.0) - cat_pix(f, 0.0)) * lw;
    draw_points(b, f, s, off, fmin(slot_px * 0.6, 80.0), 3.2, 0.8);
}

/* Shortens a name to at most `chars` characters, ending in an ellipsis. */
static void shorten(const char *s, size_t chars, char *out, size_t outlen)
{
    size_t n = plot__text_chars(s);
    if (n <= chars) {
        snprintf(out, outlen, "%s", s);
        return;
    }
    if (chars < 2) {
        /* No room at all: the tooltip still has the name. */
        out[0] = '\0';
        return;
    }
    size_t keep = chars - 1, k = 0, bytes = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (u[bytes]) {
        if ((u[bytes] & 0xC0) != 0x80) {
            if (k == keep)
                break;
            k++;
        }
        bytes++;
    }
    snprintf(out, outlen, "%.*s\xE2\x80\xA6", (int)bytes, s);
}

/* ---- legend -------------------------------------------------------------------------- */

#define LEGEND_ROW 20.0
#define LEGEND_SWATCH 30.0

/* Legend entries show at most this many characters of a series name. */
#define LEGEND_CHARS 60

static double legend_entry_width(const series *s)
{
    char text[256];
    shorten(s->name, LEGEND_CHARS, text, sizeof(text));
    return LEGEND_SWATCH + 6.0 + text_width(text, FONT_LABEL) + 18.0;
}

/* Rows the legend needs within `avail` pixels. */
static int legend_rows(const plot *p, double avail)
{
    int rows = 0;
    double x = avail + 1.0;
    for (size_t i = 0; i < p->nser; i++) {
        if (!p->ser[i].name)
            continue;
        double w = legend_entry_width(&p->ser[i]);
        if (x + w > avail && x > 0.0) {
            rows++;
            x = 0.0;
        }
        x += w;
    }
    return rows;
}

static void legend_swatch(plot_buf *b, const series *s, double x, double y)
{
    const char *col = style_colour[style_colour_of(s->style)];
    double mid = x + LEGEND_SWATCH / 2;
    switch (s->type) {
    case S_BARS:
    case S_BOX:
        put(b, "<path fill=\"");
        put(b, col);
        put(b, s->type == S_BARS ? "\" fill-opacity=\"0.28\"" : "\" fill-opacity=\"0.18\"");
        put(b, " stroke=\"");
        put(b, col);
        put(b, "\" stroke-width=\"1.5\"");
        if (s->type == S_BARS && style_dash[style_dash_of(s->style)]) {
            put(b, " stroke-dasharray=\"");
            put(b, style_dash[style_dash_of(s->style)]);
            put(b, "\"");
        }
        put(b, " d=\"M");
        point(b, x + 4, y - 6);
        put(b, "h22v12h-22z\"/>\n");
        if (s->type == S_BOX) {
            put(b, "<path stroke=\"");
            put(b, col);
            put(b, "\" stroke-width=\"3\" d=\"M");
            point(b, x + 4, y);
            put(b, "h22\"/>\n");
        }
        return;
    case S_CI:
        put(b, "<path fill=\"none\" stroke=\"");
        put(b, s->ci == PLOT_CI_BAR ? text_colour : col);
        put(b, "\" stroke-width=\"1.6\" d=\"");
        whisker(b, mid, y + 7, y - 7, 4);
        end_path(b);
        if (s->ci == PLOT_CI_BAR) {
            put(b, "<path fill=\"");
            put(b, col);
            put(b, "\" fill-opacity=\"0.35\" stroke=\"");
            put(b, col);
            put(b, "\" d=\"M");
            point(b, x + 7, y - 3);
            put(b, "h16v10h-16z\"/>\n");
        } else {
            marker_path_open(b, s->style, false, 1.0);
            marker_d(b, style_marker_of(s->style), mid, y, 4.5);
            end_path(b);
        }
        return;
    case S_STRIP:
        marker_path_open(b, s->style, false, 0.8);
        marker_d(b, style_marker_of(s->style), x + 8, y + 2, 3.2);
        marker_d(b, style_marker_of(s->style), x + 16, y - 3, 3.2);
        marker_d(b, style_marker_of(s->style), x + 23, y + 1, 3.2);
        end_path(b);
        return;
    case S_LINE:
    default:
        if (s->kind != PLOT_MARKERS) {
            put(b, "<path");
            stroke_attrs(b, s->style, 2.0, true);
            put(b, " d=\"M");
            point(b, x, y);
            put(b, "h");
            num(b, LEGEND_SWATCH);
            end_path(b);
        }
        marker_path_open(b, s->style, false, 1.0);
        marker_d(b, style_marker_of(s->style), mid, y, 3.2);
        end_path(b);
        return;
    }
}

static void draw_legend(plot_buf *b, const plot *p, double top, double avail)
{
    /* Entries flow left to right in rows; each row is centred. */
    size_t i = 0;
    double y = top + LEGEND_ROW / 2;
    while (i < p->nser) {
        size_t j = i;
        double w = 0.0;
        while (j < p->nser) {
            if (!p->ser[j].name) {
                j++;
                continue;
            }
            double ew = legend_entry_width(&p->ser[j]);
            if (w > 0.0 && w + ew > avail)
                break;
            w += ew;
            j++;
        }
        double x = ((double)p->width - w) / 2.0 + 9.0;
        for (size_t k = i; k < j; k++) {
            const series *s = &p->ser[k];
            if (!s->name)
                continue;
            char text[256];
            shorten(s->name, LEGEND_CHARS, text, sizeof(text));
            legend_swatch(b, s, x, y);
            text_el(b, x + LEGEND_SWATCH + 6.0, y + 4.0, NULL, FONT_LABEL, NULL, text);
            x += legend_entry_width(s);
        }
        if (j == i)
            break;
        i = j;
        y += LEGEND_ROW;
    }
}

/* Data are clipped this many pixels outside the plot area, so that a marker on the
 * frame is drawn whole while a line beyond a fixed range stops near the frame. */
#define CLIP_MARGIN 5.0

/* ---- rendering ---------------------------------------------------------------------- */

static void axis_title(char *out, size_t len, const axis_conf *c, const axis_layout *a)
{
    const char *label = c->label ? c->label : "";
    if (a->unit_name && c->scale == PLOT_LINEAR)
        snprintf(out, len, "%s%s(%s)", label, label[0] ? " " : "", a->unit_name);
    else
        snprintf(out, len, "%s", label);
}

/* The page layout of a chart: the plot area's corner (left, top) and size (pw, ph) in
 * the viewBox, and the legend rows below it. */
typedef struct chart_geom {
    double W, H;         /* the chart's size without the legend */
    double left, top;    /* corner of the plot area */
    double pw, ph;       /* size of the plot area */
    int rows;            /* legend rows */
    double legend_top;
    double total_h;      /* H with the legend rows */
} chart_geom;

/* Lays out both axes (ax[0] x, ax[1] y) and the plot area around them. */
static void layout_chart(const plot *p, axis_layout *ax, chart_geom *g)
{
    axis_layout *xa = &ax[0], *ya = &ax[1];
    g->W = p->width;
    g->H = p->height;
    /* Vertical layout first: it does not depend on tick label widths. */
    g->top = p->title ? 38.0 : 14.0;
    bool has_xlabel = p->ax[PLOT_X].label || p->ax[PLOT_X].unit == PLOT_UNIT_NS;
    double bottom = 26.0 + (has_xlabel ? 20.0 : 0.0) + 8.0;
    g->ph = g->H - g->top - bottom;
    layout_axis(p, PLOT_Y, ya, g->ph, 42.0);
    measure_labels(ya, FONT_TICK);
    /* Then the width left of the y tick labels and the y axis title. */
    bool has_ylabel = p->ax[PLOT_Y].label || ya->unit_name;
    g->left = 10.0 + (has_ylabel ? 20.0 : 0.0) + ya->max_label_w + 8.0;
    if (g->left < 40.0)
        g->left = 40.0;
    double right = 22.0;
    g->pw = g->W - g->left - right;
    layout_axis(p, PLOT_X, xa, g->pw, 90.0);
    measure_labels(xa, FONT_TICK);
    /* The last x label is centred on the right edge: leave room for its half. */
    if (xa->nticks && xa->ticks[xa->nticks - 1].labelled && p->ax[PLOT_X].scale != PLOT_CATEGORY) {
        double half = text_width(xa->ticks[xa->nticks - 1].text, FONT_TICK) / 2.0 + 4.0;
        if (half > right) {
            g->pw -= half - right;
            right = half;
        }
    }
    xa->pix0 = 0.0;
    xa->pix1 = g->pw;
    ya->pix0 = g->ph;
    ya->pix1 = 0.0;
    g->rows = legend_rows(p, g->W - 20.0);
    g->legend_top = g->H - 6.0;
    g->total_h = g->H + g->rows * LEGEND_ROW;
}

/* The <svg> element with its size and text defaults, the <title> (the whole chart
 * title, for tooltips and screen readers), the white background and the visible title. */
static void svg_open(plot_buf *out, const plot *p, const chart_geom *g, unsigned flags)
{
    if (flags & PLOT_RENDER_STANDALONE)
        put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    put(out, "<svg");
    if (flags & PLOT_RENDER_STANDALONE)
        put(out, " xmlns=\"http://www.w3.org/2000/svg\"");
    if (p->id) {
        put(out, " id=\"");
        plot_buf_escape(out, p->id);
        put(out, "\"");
    }
    put(out, " class=\"plot\" role=\"img\" viewBox=\"0 0 ");
    num(out, g->W);
    put(out, " ");
    num(out, g->total_h);
    put(out, "\"");
    attr_num(out, "width", g->W);
    attr_num(out, "height", g->total_h);
    put(out, " font-family=\"");
    put(out, font_family);
    put(out, "\" font-size=\"12\" fill=\"");
    put(out, text_colour);
    put(out, "\">\n<title>");
    plot_buf_escape(out, p->title ? p->title : "chart");
    put(out, "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
    if (p->title) {
        /* A title too long for the width is shortened; <title> above holds it whole. */
        char shown[2048];
        shorten(p->title, (size_t)((g->W - 20.0) / (FONT_TITLE * CHAR_EM)), shown,
                sizeof(shown));
        text_el(out, g->W / 2.0, 22.0, "middle", FONT_TITLE, "font-weight=\"bold\"", shown);
    }
}

/* Grid lines at the ticks of both axes: minor lines first (lighter), then major ones
 * over them. Category axes have none; percentile axes only major ones. */
static void draw_grid(plot_buf *out, const axis_layout *ax, double pw, double ph)
{
    for (int pass = 0; pass < 2; pass++) {
        bool any = false;
        for (int a = 0; a < 2; a++) {
            const axis_layout *al = &ax[a];
            if (al->conf->scale == PLOT_CATEGORY ||
                (pass == 0 && al->conf->scale == PLOT_PERCENTILE))
                continue;
            for (size_t i = 0; i < al->nticks; i++) {
                const tick *t = &al->ticks[i];
                if (t->major != (pass == 1))
                    continue;
                if (!any) {
                    put(out, "<path fill=\"none\" stroke=\"");
                    put(out, pass ? grid_colour : minor_grid_colour);
                    put(out, "\" d=\"");
                    any = true;
                }
                double v = to_pix(al, t->v);
                if (a == 0) {
                    put(out, "M");
                    point(out, v, 0);
                    put(out, "V");
                    num(out, ph);
                } else {
                    put(out, "M");
                    point(out, 0, v);
                    put(out, "H");
                    num(out, pw);
                }
            }
        }
        if (any)
            end_path(out);
    }
}

/* Every series in two passes: areas (bars, boxes, CI bars) first, so that lines and
 * points are drawn over them. */
static void draw_all_series(plot_buf *out, const plot *p, const frame *fr)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < p->nser; i++) {
            const series *s = &p->ser[i];
            bool area = s->type == S_BARS || s->type == S_BOX ||
                        (s->type == S_CI && s->ci == PLOT_CI_BAR);
            if (area != (pass == 0))
                continue;
            switch (s->type) {
            case S_LINE: draw_line(out, fr, s); break;
            case S_BARS: draw_bars(out, fr, s); break;
            case S_CI: draw_ci(out, fr, s); break;
            case S_BOX: draw_box(out, fr, s); break;
            case S_STRIP: draw_strip(out, fr, s); break;
            }
        }
    }
}

/* Reference lines, dashed across the plot area, and their labels with a white halo
 * so that they stay readable over the data. Labels of vertical lines alternate
 * between two heights, so that neighbours do not overlap, and move to the line's left
 * near the right edge; labels of horizontal lines sit right-aligned above the line
 * (below it near the top). */
static void draw_reflines(plot_buf *out, const plot *p, const frame *fr)
{
    static const char halo[] = "fill=\"#333\" stroke=\"#fff\" stroke-width=\"3\" "
                               "stroke-linejoin=\"round\" paint-order=\"stroke\"";
    double pw = fr->pw, ph = fr->ph;
    for (size_t i = 0; i < p->nrefs; i++) {
        const refline *r = &p->refs[i];
        const axis_layout *al = r->axis == PLOT_X ? fr->x : fr->y;
        double v = data_pix(al, r->value);
        if (isnan(v))
            continue;
        put(out, "<path fill=\"none\" stroke=\"");
        put(out, ref_colour);
        put(out, "\" stroke-width=\"1.3\" stroke-dasharray=\"");
        put(out, r->axis == PLOT_X ? "3 3" : "8 4");
        put(out, "\" d=\"M");
        if (r->axis == PLOT_X) {
            point(out, v, 0);
            put(out, "V");
            num(out, ph);
        } else {
            point(out, 0, v);
            put(out, "H");
            num(out, pw);
        }
        end_path(out);
        if (!r->label || !r->label[0])
            continue;
        if (r->axis == PLOT_X) {
            bool left_side = v > pw * 0.7;
            text_el(out, left_side ? v - 4.0 : v + 4.0, 14.0 + 14.0 * (double)(i % 2),
                    left_side ? "end" : NULL, FONT_TICK, halo, r->label);
        } else {
            bool below = v < 16.0;
            text_el(out, pw - 4.0, below ? v + 13.0 : v - 4.0, "end", FONT_TICK, halo,
                    r->label);
        }
    }
}

/* The data: series and reference lines, clipped to the plot area (CLIP_MARGIN wider)
 * by a nested <svg> viewport, which needs no ids. */
static void draw_data(plot_buf *out, const plot *p, const frame *fr)
{
    put(out, "<svg");
    attr_num(out, "x", -CLIP_MARGIN);
    attr_num(out, "y", -CLIP_MARGIN);
    attr_num(out, "width", fr->pw + 2 * CLIP_MARGIN);
    attr_num(out, "height", fr->ph + 2 * CLIP_MARGIN);
    put(out, " overflow=\"hidden\">\n<g transform=\"translate(");
    point(out, CLIP_MARGIN, CLIP_MARGIN);
    put(out, ")\">\n");
    draw_all_series(out, p, fr);
    draw_reflines(out, p, fr);
    put(out, "</g>\n</svg>\n");
}

/* The axis lines (left and bottom edges of the plot area) and the tick marks, longer
 * for major ticks, as one path. */
static void draw_axes(plot_buf *out, const axis_layout *ax, double pw, double ph)
{
    put(out, "<path fill=\"none\" stroke=\"");
    put(out, axis_colour);
    put(out, "\" d=\"M0,0V");
    num(out, ph);
    put(out, "H");
    num(out, pw);
    for (int a = 0; a < 2; a++) {
        const axis_layout *al = &ax[a];
        for (size_t i = 0; i < al->nticks; i++) {
            const tick *t = &al->ticks[i];
            double v = to_pix(al, t->v);
            double len = t->major ? 5.0 : 3.0;
            if (a == 0) {
                put(out, "M");
                point(out, v, ph);
                put(out, "v");
                num(out, len);
            } else {
                put(out, "M");
                point(out, 0, v);
                put(out, "h");
                num(out, -len);
            }
        }
    }
    end_path(out);
}

/* Category names under a category x axis, each shortened to its slot's width with
 * the whole name as a tooltip. */
static void draw_category_labels(plot_buf *out, const plot *p, const axis_layout *xa,
                                 double pw, double ph)
{
    double slot = p->ncats ? pw / (double)p->ncats : pw;
    size_t chars = (size_t)(slot / (FONT_TICK * CHAR_EM));
    for (size_t i = 0; i < p->ncats; i++) {
        char shortname[1024];
        shorten(p->cats[i], chars, shortname, sizeof(shortname));
        put(out, "<g><title>");
        plot_buf_escape(out, p->cats[i]);
        put(out, "</title>");
        text_el(out, to_pix(xa, (double)i), ph + 18.0, "middle", FONT_LABEL, NULL, shortname);
        put(out, "</g>\n");
    }
}

/* The tick labels: right-aligned left of the y axis, centred under the x axis (the
 * category names on a category axis). */
static void draw_tick_labels(plot_buf *out, const plot *p, const axis_layout *ax, double pw,
                             double ph)
{
    const axis_layout *xa = &ax[0], *ya = &ax[1];
    put(out, "<g font-size=\"11\">\n");
    for (size_t i = 0; i < ya->nticks; i++) {
        const tick *t = &ya->ticks[i];
        if (t->labelled)
            text_el(out, -8.0, to_pix(ya, t->v) + 4.0, "end", FONT_LABEL, NULL, t->text);
    }
    if (p->ax[PLOT_X].scale == PLOT_CATEGORY) {
        draw_category_labels(out, p, xa, pw, ph);
    } else {
        for (size_t i = 0; i < xa->nticks; i++) {
            const tick *t = &xa->ticks[i];
            if (t->labelled)
                text_el(out, to_pix(xa, t->v), ph + 18.0, "middle", FONT_LABEL, NULL, t->text);
        }
    }
    put(out, "</g>\n");
}

/* The axis titles (label and display unit): centred under the x tick labels, and
 * turned upright left of the widest y tick label. */
static void draw_axis_titles(plot_buf *out, const plot *p, const axis_layout *ax, double pw,
                             double ph)
{
    const axis_layout *xa = &ax[0], *ya = &ax[1];
    char title[512];
    axis_title(title, sizeof(title), &p->ax[PLOT_X], xa);
    if (title[0])
        text_el(out, pw / 2.0, ph + 40.0, "middle", FONT_LABEL, NULL, title);
    axis_title(title, sizeof(title), &p->ax[PLOT_Y], ya);
    if (title[0]) {
        double x = -(ya->max_label_w + 8.0 + 10.0);
        put(out, "<text transform=\"translate(");
        point(out, x, ph / 2.0);
        put(out, ") rotate(-90)\" text-anchor=\"middle\">");
        plot_buf_escape(out, title);
        put(out, "</text>\n");
    }
}

/* Renders the chart: layout, then the parts from back to front: background and title,
 * grid, data, axes with their labels and titles (in a group translated to the plot
 * area's corner, so that drawing is relative to it), and the legend below. */
int plot_render(const plot *p, plot_buf *out, unsigned flags)
{
    if (!p || !out)
        return -EINVAL;
    axis_layout *ax = calloc(2, sizeof(*ax));
    if (!ax)
        return -ENOMEM;
    chart_geom g;
    layout_chart(p, ax, &g);
    svg_open(out, p, &g, flags);

    put(out, "<g transform=\"translate(");
    point(out, g.left, g.top);
    put(out, ")\">\n");
    draw_grid(out, ax, g.pw, g.ph);
    frame fr = {&ax[0], &ax[1], g.pw, g.ph, p->lanes};
    draw_data(out, p, &fr);
    draw_axes(out, ax, g.pw, g.ph);
    draw_tick_labels(out, p, ax, g.pw, g.ph);
    draw_axis_titles(out, p, ax, g.pw, g.ph);
    put(out, "</g>\n");

    if (g.rows > 0)
        draw_legend(out, p, g.legend_top, g.W - 20.0);
    put(out, "</svg>\n");
    free(ax);
    return plot_buf_error(out);
}
