/* text.h: the core's text helpers, shared by the config reader and the settings table:
 * bounded message building, nearest-name suggestions, and the one number
 * grammar of config files, the settings-by-name API and the command line (its public
 * face is lg_parse_u64 / lg_parse_double in loadgen/config.h). Internal to the core. */
#ifndef LOADGEN_TEXT_H
#define LOADGEN_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest value or name read; a longer token is reported, not parsed. */
#define LG__MAX_TOKEN 256

/* Appends to a bounded buffer, always NUL-terminated, counting what did not fit. */
typedef struct lg__sbuf {
    char *p;
    size_t cap;
    size_t len; /* what would have been written */
} lg__sbuf;

__attribute__((format(printf, 2, 3))) void lg__sb_add(lg__sbuf *b, const char *fmt, ...);
/* Appends n bytes of s in single quotes, escaping anything not printable ASCII; a text
 * of more than 60 bytes is cut to 57, followed by "..." and " (N chars)". */
void lg__sb_quote(lg__sbuf *b, const char *s, size_t n);
/* snprintf into err when err is not NULL and errlen > 0. */
__attribute__((format(printf, 3, 4))) void lg__set_err(char *err, size_t errlen,
                                                       const char *fmt, ...);

/* The nearest of count names (name_at(0..count)) to the word w[0..n), or NULL when none
 * is near: at most 2 edits (3 for words of 12 bytes or more, adjacent transpositions
 * counting as one), and fewer edits than the word has letters; case is ignored. */
const char *lg__nearest(const char *w, size_t n, const char *(*name_at)(size_t),
                        size_t count);
/* The same among names[0..count). */
const char *lg__nearest_in(const char *w, size_t n, const char *const *names, size_t count);

/* The number grammar. Integers: decimal without a leading zero, or 0x hexadecimal, an
 * optional '+'. Reals: [+-] digits [. digits] [e [+-] digits] or a 0x integer; no inf,
 * nan or hexadecimal floats. At most LG__MAX_TOKEN bytes. */
enum {
    LG__NUM_OK,
    LG__NUM_SYNTAX,   /* not a number */
    LG__NUM_NEGATIVE, /* a minus sign on an integer */
    LG__NUM_FRACTION, /* a real number where an integer is needed */
    LG__NUM_OCTAL,    /* 010: strtoul (MLPerf) reads it as octal */
    LG__NUM_TOO_BIG,  /* does not fit */
    LG__NUM_TOO_LONG, /* longer than LG__MAX_TOKEN */
};
int lg__parse_uint(const char *s, size_t n, uint64_t *out);
int lg__parse_real(const char *s, size_t n, double *out);
/* A value already checked by lg__parse_real, times 10^shift with a single rounding:
 * "99.9" percent with shift -2 is exactly the double nearest 0.999. */
double lg__parse_real_shifted(const char *s, size_t n, int shift);
/* What is wrong, after the value: "is not a number", ... */
const char *lg__num_problem(int rc);
/* The shortest text that reads back to v (integers in full), as snprintf. */
int lg__format_double(double v, char *buf, size_t len);

#endif /* LOADGEN_TEXT_H */
