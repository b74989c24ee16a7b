/* internal.h: what the files of plot/ share and nothing outside plot/ may use. */
#ifndef PLOT_INTERNAL_H
#define PLOT_INTERNAL_H

#include <stddef.h>

#include "plot/plot.h"

/* Copies s into fresh memory (NULL stays NULL); NULL on allocation failure. */
char *plot__strdup(const char *s);

/* Marks the buffer as failed (-ENOMEM), as a failed append does. */
void plot__buf_fail(plot_buf *b);

/* Cuts the text back to its first len bytes (len <= its length). */
void plot__buf_truncate(plot_buf *b, size_t len);

/* Number of characters (UTF-8 code points) of s, for estimating text widths. */
size_t plot__text_chars(const char *s);

/* Appends v with one decimal, the precision of every SVG coordinate here, dropping a
 * trailing ".0". Faster than plot_buf_num() and clamps |v| to 1e6 so that a value far
 * outside the plot never makes a long number. */
void plot__coord(plot_buf *b, double v);

/* Writes the tick label of `v` for an axis with this unit into out (NUL-terminated).
 * `decimals` is the number of decimals of the tick step in the display unit; `scale`
 * the display unit's size (1, 1e3, 1e6, 1e9 for ns, us, ms, s) for linear time axes,
 * 0 for per-tick units (log axes). */
void plot__tick_label(char *out, size_t len, double v, plot_unit unit, double scale,
                      int decimals);

#endif /* PLOT_INTERNAL_H */
