/* net/jscan.h: a JSON scanner that validates and walks a document in place, with no
 * allocation and no tree: what the OpenAI chunk parser (net/openai_msg.c) reads 800,000
 * times a second is a few hundred bytes of which it wants five members. It follows RFC
 * 8259's grammar strictly (no leading zeros, no trailing commas, escapes checked,
 * \u surrogates paired, control bytes refused in strings); it does not check that the
 * bytes are UTF-8, and nesting deeper than NET_JS_MAX_DEPTH is refused.
 *
 * A value is a slice [p, end) of the document; a string's slice includes its quotes.
 * Functions returning a pointer return NULL for malformed input.
 * Thread safety: pure functions over caller-owned text. */
#ifndef NET_JSCAN_H
#define NET_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NET_JS_MAX_DEPTH 64

/* Past the white space (space, tab, LF, CR) at p. */
const char *net_js_ws(const char *p, const char *end);

/* Past the string at p (which must be '"'), or NULL when malformed. *bytes (when not
 * NULL) receives its length once unescaped, in bytes of UTF-8. */
const char *net_js_string(const char *p, const char *end, size_t *bytes);

/* Past the value at p (no leading white space), or NULL when malformed; depth is the
 * nesting of the value's container (0 for a document). */
const char *net_js_value(const char *p, const char *end, int depth);

/* True when [p, end) holds exactly one JSON value, white space around it allowed. */
bool net_js_valid(const char *p, const char *end);

/* Past the value at p in text already checked (net_js_value or net_js_valid passed over
 * it): the same end as net_js_value's, found without checking again (strings and
 * brackets only are looked at, with no recursion). Undefined on text not checked. */
const char *net_js_skip(const char *p, const char *end);

/* The bytes of the string whose body (between its quotes, escapes as written) is
 * raw[0..n), unescaped into dst, which needs n bytes at most (no escape grows); returns
 * the count written. The body must have been checked by net_js_string. No NUL added. */
size_t net_js_unescape(const char *raw, size_t n, char *dst);

/* A string as written: its body (between the quotes, escapes as written) and its length
 * once unescaped; the two lengths are equal exactly when it holds no escape. */
typedef struct net_js_str {
    const char *p;
    size_t raw;
    size_t bytes;
} net_js_str;

/* True when the string s unescapes to the NUL-terminated key. Inline, so that a literal
 * key's length is a constant: most keys are told apart by their unescaped length, a
 * plain one by one memcmp; only a key written with escapes is unescaped. */
bool net_js__key_is_escaped(const net_js_str *s, const char *key, size_t kl);
static inline bool net_js_key_is(const net_js_str *s, const char *key)
{
    size_t kl = strlen(key);
    if (s->bytes != kl)
        return false;
    if (s->raw == kl)
        return memcmp(s->p, key, kl) == 0;
    return net_js__key_is_escaped(s, key, kl);
}

/* The value at [p, end) read as an integer in [0, 2^63 - 1] written without fraction or
 * exponent; false otherwise. */
bool net_js_u64(const char *p, const char *end, uint64_t *out);

/* A walk over the members of an object or the elements of an array, one per call. */
typedef struct net_js_it {
    const char *p, *end;
    int depth;  /* the container's own nesting */
    bool first;
    bool checked; /* the text was checked already: net_js_member and net_js_element find
                     each value's end with net_js_skip (set it after net_js_begin) */
} net_js_it;

/* Starts a walk over the container at p ('{' or '['; anything else returns false). */
bool net_js_begin(net_js_it *it, const char *p, const char *end, int depth);

/* The next member of an object, its value left for the caller: the key in *k, *v at
 * the value's first byte. Returns 1, 0 past the closing brace, or
 * -1 when malformed. After a 1 the caller must read the value (net_js_value, or its own
 * reading of it) and set it->p past it before the next call; the value's nesting is
 * it->depth + 1. */
int net_js_key(net_js_it *it, net_js_str *k, const char **v);

/* The next element of an array, left for the caller as net_js_key leaves a value.
 * Both return a value pointer below the end of the text (there is at least one byte to
 * look at). */
int net_js_next(net_js_it *it, const char **v);

/* The next member of an object: its key in *k, its value in [*v, *ve). Returns 1, 0 past
 * the closing brace, or -1 when malformed. */
int net_js_member(net_js_it *it, net_js_str *k, const char **v, const char **ve);

/* The next element of an array in [*v, *ve): 1, 0 past the closing bracket, -1. */
int net_js_element(net_js_it *it, const char **v, const char **ve);

#endif /* NET_JSCAN_H */
