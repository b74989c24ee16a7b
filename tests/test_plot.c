/*
 * test_plot.c - tests for plot/: escaping, number text, nice ticks, the percentile
 * transform, down-sampling (extremes and requested percentiles kept exactly, bounded
 * point counts), time windows, well-formed and bounded SVG output, and the speed of the
 * whole drawing path on 10M samples.
 */
#include <criterion/criterion.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "plot/plot.h"
#include "stats/stats.h"

/* Criterion's runner leaks a few blocks when tests run in parallel (see test_stats.c);
 * this hook, read only by sanitizer runtimes, ignores leaks from inside libcriterion. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcriterion.so\n";
}

/* ---- helpers ---------------------------------------------------------------------- */

/* splitmix64: deterministic data on every run. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static double rng_u01(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *esc(const char *in, char *out, size_t len)
{
    plot_escape(in, out, len);
    return out;
}

/*
 * A small well-formedness check for the SVG this module writes: tags nest and close,
 * attribute values are quoted and hold no '<', every '&' starts a known entity or a
 * numeric reference, and the root element is <svg>. Returns NULL or what is wrong.
 */
static const char *check_xml(const char *s)
{
    static char why[200];
    const char *stack[256];
    size_t stack_len[256];
    size_t depth = 0;
    bool seen_root = false;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
            bool ok = false;
            for (size_t i = 0; i < 5; i++)
                if (!strncmp(p, ents[i], strlen(ents[i])))
                    ok = true;
            if (!ok) {
                snprintf(why, sizeof(why), "bad entity at offset %zu", (size_t)(p - s));
                return why;
            }
            p++;
            continue;
        }
        if (*p != '<') {
            if (*p == '>') {
                snprintf(why, sizeof(why), "raw '>' in text at offset %zu", (size_t)(p - s));
                return why;
            }
            p++;
            continue;
        }
        if (!strncmp(p, "<?", 2)) {
            const char *e = strstr(p, "?>");
            if (!e)
                return "unterminated declaration";
            p = e + 2;
            continue;
        }
        bool closing = p[1] == '/';
        const char *name = p + (closing ? 2 : 1);
        size_t nlen = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-:0123456789");
        if (nlen == 0) {
            snprintf(why, sizeof(why), "raw '<' at offset %zu", (size_t)(p - s));
            return why;
        }
        const char *q = name + nlen;
        /* Attributes: name="value" pairs. */
        while (*q && *q != '>' && !(q[0] == '/' && q[1] == '>')) {
            if (*q == '"') {
                const char *e = strchr(q + 1, '"');
                if (!e)
                    return "unterminated attribute";
                if (memchr(q + 1, '<', (size_t)(e - q - 1)))
                    return "'<' inside an attribute";
                q = e + 1;
                continue;
            }
            if (*q == '<')
                return "'<' inside a tag";
            q++;
        }
        if (!*q)
            return "unterminated tag";
        bool self = *q == '/';
        if (closing) {
            if (depth == 0 || stack_len[depth - 1] != nlen ||
                strncmp(stack[depth - 1], name, nlen)) {
                snprintf(why, sizeof(why), "mismatched </%.*s> at offset %zu", (int)nlen, name,
                         (size_t)(p - s));
                return why;
            }
            depth--;
        } else {
            if (depth == 0) {
                if (seen_root)
                    return "two root elements";
                if (nlen != 3 || strncmp(name, "svg", 3))
                    return "root is not <svg>";
                seen_root = true;
            }
            if (!self) {
                if (depth == 256)
                    return "too deep";
                stack[depth] = name;
                stack_len[depth] = nlen;
                depth++;
            }
        }
        p = q + (self ? 2 : 1);
    }
    if (depth != 0)
        return "unclosed element";
    if (!seen_root)
        return "no root element";
    return NULL;
}

/* Runs xmllint --noout on the text when xmllint is installed: 1 well-formed, 0 not,
 * -1 xmllint not available. */
static int xmllint_ok(const char *text, size_t len)
{
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        return -1;
    char path[] = "/tmp/test_plot_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    fwrite(text, 1, len, f);
    fclose(f);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "xmllint --noout %s 2>/dev/null", path);
    int rc = system(cmd);
    unlink(path);
    return rc == 0 ? 1 : 0;
}

/* Renders a chart into a new buffer (the caller destroys it), asserting success. */
static plot_buf *render(const plot *p, unsigned flags)
{
    plot_buf *b = NULL;
    cr_assert_eq(plot_buf_create(&b), 0);
    cr_assert_eq(plot_render(p, b, flags), 0);
    return b;
}

static void expect_well_formed(const plot *p, const char *what)
{
    plot_buf *b = render(p, 0);
    const char *why = check_xml(plot_buf_data(b));
    cr_expect_null(why, "%s: %s", what, why ? why : "");
    cr_expect_null(strstr(plot_buf_data(b), "http"), "%s: an external reference", what);
    cr_expect_null(strstr(plot_buf_data(b), "<script"), "%s: a script", what);
    plot_buf_clear(b);
    cr_assert_eq(plot_render(p, b, PLOT_RENDER_STANDALONE), 0);
    int lint = xmllint_ok(plot_buf_data(b), plot_buf_len(b));
    cr_expect_neq(lint, 0, "%s: xmllint rejects the SVG", what);
    plot_buf_destroy(b);
}

/* ---- escaping ------------------------------------------------------------------- */

Test(plot_escape, escapes_the_five_markup_characters, .timeout = 10)
{
    char out[128];
    cr_expect_str_eq(esc("a<b>&\"c'", out, sizeof(out)), "a&lt;b&gt;&amp;&quot;c&#39;");
    cr_expect_str_eq(esc("plain text 1.5 ms", out, sizeof(out)), "plain text 1.5 ms");
    cr_expect_str_eq(esc("", out, sizeof(out)), "");
    cr_expect_str_eq(esc(NULL, out, sizeof(out)), "");
    cr_expect_eq(plot_escape("&&", NULL, 0), 10u);
}

Test(plot_escape, replaces_control_characters_and_invalid_utf8, .timeout = 10)
{
    char out[128];
    /* Tab, newline and CR become spaces; other C0 controls and DEL become U+FFFD. */
    cr_expect_str_eq(esc("a\tb\nc\rd", out, sizeof(out)), "a b c d");
    cr_expect_str_eq(esc("x\x01y\x1Fz\x7F", out, sizeof(out)),
                     "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD");
    /* Valid UTF-8 passes: e acute, euro sign, an emoji. */
    cr_expect_str_eq(esc("\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", out, sizeof(out)),
                     "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    /* A stray byte, an overlong '/', a surrogate, a truncated sequence at the end. */
    cr_expect_str_eq(esc("\xFF", out, sizeof(out)), "\xEF\xBF\xBD");
    cr_expect_str_eq(esc("\xC0\xAF", out, sizeof(out)), "\xEF\xBF\xBD\xEF\xBF\xBD");
    cr_expect_str_eq(esc("\xED\xA0\x80", out, sizeof(out)),
                     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    cr_expect_str_eq(esc("ok\xE2\x82", out, sizeof(out)), "ok\xEF\xBF\xBD\xEF\xBF\xBD");
    /* C1 controls and the non-character U+FFFE. */
    cr_expect_str_eq(esc("\xC2\x85|\xEF\xBF\xBE", out, sizeof(out)),
                     "\xEF\xBF\xBD|\xEF\xBF\xBD");
}

Test(plot_escape, never_cuts_an_entity_or_a_character, .timeout = 10)
{
    char out[8];
    size_t n = plot_escape("ab&cd", out, sizeof(out));
    cr_expect_eq(n, 9u); /* "ab&amp;cd" */
    cr_expect_str_eq(out, "ab&amp;");
    n = plot_escape("abcde&", out, 8);
    cr_expect_eq(n, 10u);
    cr_expect_str_eq(out, "abcde"); /* "&amp;" does not fit whole after "abcde" */
    n = plot_escape("abcdef\xE2\x82\xAC", out, 8);
    cr_expect_str_eq(out, "abcdef");
    cr_expect_eq(n, 9u);
    char one[1] = {'x'};
    cr_expect_eq(plot_escape("<", one, 1), 4u);
    cr_expect_eq(one[0], '\0');
}

Test(plot_escape, script_name_renders_as_text_everywhere, .timeout = 10)
{
    const char *evil = "<script>alert(1)</script>";
    plot *p = NULL;
    cr_assert_eq(plot_create(&p), 0);
    cr_assert_eq(plot_set_title(p, evil), 0);
    cr_assert_eq(plot_set_id(p, "\"><script>alert(2)</script>"), 0);
    cr_assert_eq(plot_set_axis(p, PLOT_X, PLOT_CATEGORY, PLOT_UNIT_NONE, evil), 0);
    cr_assert_eq(plot_set_axis(p, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_NS, evil), 0);
    const char *cats[] = {evil, "ok"};
    cr_assert_eq(plot_set_categories(p, cats, 2), 0);
    double est[] = {1e6, 2e6}, lo[] = {0.9e6, 1.8e6}, hi[] = {1.1e6, 2.2e6};
    cr_assert_eq(plot_add_ci(p, evil, est, lo, hi, 2, PLOT_CI_DOT), 0);
    cr_assert_eq(plot_add_refline(p, PLOT_Y, 1.5e6, evil), 0);
    plot_buf *b = render(p, 0);
    const char *s = plot_buf_data(b);
    cr_expect_null(strcasestr(s, "<script"), "raw <script in the output");
    cr_expect_not_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    cr_expect_null(check_xml(s), "%s", check_xml(s));
    plot_buf_destroy(b);

    plot_buf *e = NULL;
    cr_assert_eq(plot_buf_create(&e), 0);
    cr_assert_eq(plot_buf_escape(e, evil), 0);
    cr_expect_str_eq(plot_buf_data(e), "&lt;script&gt;alert(1)&lt;/script&gt;");
    plot_buf_destroy(e);
    plot_destroy(p);
}

/* Strict UTF-8 check with no C0 control and no raw markup character. */
static bool clean_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"' || c == '\'')
                return false;
            s++;
            continue;
        }
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0xC2 || c > 0xF4)
            return false;
        uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
        for (size_t i = 1; i < len; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF ||
            (cp >= 0x80 && cp <= 0x9F))
            return false;
        s += len;
    }
    return true;
}

Test(plot_escape, random_bytes_become_clean_utf8, .timeout = 30)
{
    uint64_t seed = 77;
    char in[64], out[64 * 6 + 1];
    for (int round = 0; round < 20000; round++) {
        size_t n = rng_next(&seed) % 63;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rng_next(&seed);
            /* Bias towards the interesting bytes: markup, controls, lead bytes. */
            in[i] = (char)(r % 3 == 0 ? "<>&\"'\x01\x7F\xC2\xE2\xED\xEF\xF0\xF4\x80\xBF"[(r >> 8) % 15]
                                      : (int)((r >> 8) % 255) + 1);
        }
        in[n] = '\0';
        size_t want = plot_escape(in, out, sizeof(out));
        cr_assert_lt(want, sizeof(out));
        cr_assert(clean_utf8((const unsigned char *)out), "round %d: not clean", round);
        /* Every '&' starts one of the five entities. */
        for (const char *a = strchr(out, '&'); a; a = strchr(a + 1, '&'))
            cr_assert(!strncmp(a, "&amp;", 5) || !strncmp(a, "&lt;", 4) || !strncmp(a, "&gt;", 4) ||
                      !strncmp(a, "&quot;", 6) || !strncmp(a, "&#39;", 5));
    }
}

/* ---- the buffer ------------------------------------------------------------------ */

Test(plot_buf, appends_grow_and_take_hands_over_the_text, .timeout = 10)
{
    plot_buf *b = NULL;
    cr_assert_eq(plot_buf_create(&b), 0);
    cr_expect_str_eq(plot_buf_data(b), "");
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(plot_buf_printf(b, "%d,", i % 10), 0);
    cr_expect_eq(plot_buf_len(b), 20000u);
    cr_expect_eq(strlen(plot_buf_data(b)), 20000u);
    cr_expect_eq(plot_buf_append(b, "xyz", 2), 0);
    cr_expect_eq(plot_buf_puts(b, NULL), 0);
    cr_expect_eq(plot_buf_num(b, 2.5, 2), 0);
    cr_expect_str_eq(plot_buf_data(b) + 20000, "xy2.50");
    size_t len = 0;
    char *s = plot_buf_take(b, &len);
    cr_assert_not_null(s);
    cr_expect_eq(len, 20006u);
    cr_expect_eq(plot_buf_len(b), 0u);
    cr_expect_str_eq(plot_buf_data(b), "");
    free(s);
    /* A long printf goes through the slow path. */
    char big[1000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_expect_eq(plot_buf_printf(b, "[%s]", big), 0);
    cr_expect_eq(plot_buf_len(b), 1001u);
    plot_buf_clear(b);
    cr_expect_eq(plot_buf_len(b), 0u);
    cr_expect_eq(plot_buf_error(b), 0);
    plot_buf_destroy(b);
    plot_buf_destroy(NULL);
    cr_expect_eq(plot_buf_create(NULL), -22);
}

/* ---- numbers --------------------------------------------------------------------- */

static const char *num_text(double v, int dec)
{
    static char out[64];
    plot_format_num(v, dec, out, sizeof(out));
    return out;
}

static const char *dur_text(double ns)
{
    static char out[64];
    plot_format_duration(ns, out, sizeof(out));
    return out;
}

static void expect_numbers(void)
{
    cr_expect_str_eq(num_text(1.5, 1), "1.5");
    cr_expect_str_eq(num_text(1234567.891, 2), "1234567.89");
    cr_expect_str_eq(num_text(-0.04, 1), "0.0");
    cr_expect_str_eq(num_text(-2.5, 0), "-3");
    cr_expect_str_eq(num_text(0.001, 3), "0.001");
    cr_expect_str_eq(num_text(NAN, 2), "0.00");
    cr_expect_str_eq(num_text(1e300, 1), "1.000000e+300");
    cr_expect_str_eq(dur_text(0), "0 ns");
    cr_expect_str_eq(dur_text(850), "850 ns");
    cr_expect_str_eq(dur_text(12345), "12.3 us");
    cr_expect_str_eq(dur_text(1.5e6), "1.5 ms");
    cr_expect_str_eq(dur_text(2e9), "2 s");
    cr_expect_str_eq(dur_text(999.7e3), "1 ms");
    cr_expect_str_eq(dur_text(-1500), "-1.5 us");
    cr_expect_str_eq(dur_text(3600e9), "3600 s");
    cr_expect_str_eq(dur_text(0.25), "0.25 ns");
    cr_expect_str_eq(dur_text(NAN), "n/a");
    cr_expect_str_eq(dur_text(INFINITY), "inf");
}

Test(plot_format, numbers_and_durations, .timeout = 10)
{
    expect_numbers();
    char small[4];
    cr_expect_eq(plot_format_duration(12345, small, sizeof(small)), 7u);
    cr_expect_str_eq(small, "12.");
}

static plot *spectrum_chart(void);

/* Makes a German locale (decimal comma) usable: an installed one, or one built with
 * localedef into a temporary LOCPATH. Returns false when neither works. */
static char locale_dir[64];

static bool use_decimal_comma_locale(void)
{
    static const char *const locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE.utf8"};
    for (size_t i = 0; i < 3; i++)
        if (setlocale(LC_ALL, locales[i]))
            return true;
    char *dir = locale_dir;
    snprintf(locale_dir, sizeof(locale_dir), "/tmp/test_plot_locale_XXXXXX");
    if (system("command -v localedef >/dev/null 2>&1") != 0 || !mkdtemp(dir))
        return false;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1", dir);
    if (system(cmd) != 0)
        return false;
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_ALL, "de_DE.UTF-8") != NULL;
}

Test(plot_format, numbers_and_charts_ignore_the_locale, .timeout = 60)
{
    plot *p = spectrum_chart();
    plot_buf *c_text = render(p, 0);
    if (!use_decimal_comma_locale())
        cr_skip_test("no locale with a decimal comma is available");
    char probe[32];
    snprintf(probe, sizeof(probe), "%.1f", 1.5);
    cr_expect_str_eq(probe, "1,5", "the locale is active for printf");
    expect_numbers();
    plot_buf *de_text = render(p, 0);
    cr_expect_str_eq(plot_buf_data(de_text), plot_buf_data(c_text));
    setlocale(LC_ALL, "C");
    if (locale_dir[0] && strstr(locale_dir, "/tmp/test_plot_locale_") == locale_dir) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", locale_dir);
        cr_expect_eq(system(cmd), 0);
    }
    plot_buf_destroy(c_text);
    plot_buf_destroy(de_text);
    plot_destroy(p);
}

/* ---- ticks and the percentile axis ---------------------------------------------------- */

static void expect_ticks(double lo, double hi, int target, double want_step, double first,
                         double last, size_t count)
{
    double t[64], step = 0;
    size_t n = 0;
    cr_assert_eq(plot_ticks_linear(lo, hi, target, t, 64, &n, &step), 0);
    cr_expect_float_eq(step, want_step, want_step * 1e-12, "[%g, %g]/%d step %g", lo, hi,
                       target, step);
    cr_expect_eq(n, count, "[%g, %g]/%d: %zu ticks", lo, hi, target, n);
    cr_expect_float_eq(t[0], first, fabs(want_step) * 1e-9);
    cr_expect_float_eq(t[n - 1], last, fabs(want_step) * 1e-9);
    for (size_t i = 1; i < n; i++) {
        /* Every tick is a whole multiple of the step (computed, not accumulated). */
        double k = t[i] / step;
        cr_expect_float_eq(k, round(k), 1e-9);
        cr_expect_gt(t[i], t[i - 1]);
    }
}

Test(plot_ticks, linear_ticks_are_1_2_5_steps, .timeout = 10)
{
    expect_ticks(0, 1, 5, 0.2, 0, 1, 6);
    expect_ticks(0, 97, 10, 10, 0, 100, 11);
    expect_ticks(3.2, 8.7, 5, 2, 2, 10, 5);
    expect_ticks(-1, 1, 4, 0.5, -1, 1, 5);
    expect_ticks(1e6, 5e6, 4, 1e6, 1e6, 5e6, 5);
    expect_ticks(0, 60e9, 8, 10e9, 0, 60e9, 7);
    expect_ticks(0.0013, 0.0021, 4, 0.0002, 0.0012, 0.0022, 6);
    expect_ticks(8.7, 3.2, 5, 2, 2, 10, 5); /* bounds in either order */
    expect_ticks(5, 5, 5, 0.2, 4.4, 5.6, 7); /* one value: +-10% around it */
    expect_ticks(0, 0, 2, 1, -1, 1, 3);
    double t[4];
    size_t n;
    cr_expect_eq(plot_ticks_linear(0, 100, 50, t, 4, &n, NULL), -22);
    cr_expect_eq(plot_ticks_linear(NAN, 1, 5, t, 4, &n, NULL), -22);
    cr_expect_eq(plot_ticks_linear(0, 1, 0, t, 4, &n, NULL), -22);
}

Test(plot_ticks, log_ticks_are_decades_with_minor_2_to_9, .timeout = 10)
{
    double major[16], minor[128];
    size_t nmaj = 0, nmin = 0;
    cr_assert_eq(plot_ticks_log10(3e-4, 2e2, major, 16, &nmaj, minor, 128, &nmin), 0);
    cr_expect_eq(nmaj, 8u);
    cr_expect_float_eq(major[0], 1e-4, 1e-18);
    cr_expect_float_eq(major[7], 1e3, 1e-9);
    cr_expect_eq(nmin, 56u);
    cr_expect_float_eq(minor[0], 2e-4, 1e-18);
    cr_expect_float_eq(minor[7], 9e-4, 1e-18);
    cr_expect_float_eq(minor[55], 9e2, 1e-9);
    /* Exact powers of ten are not widened to the next decade. */
    cr_assert_eq(plot_ticks_log10(1e-3, 1e3, major, 16, &nmaj, NULL, 0, &nmin), 0);
    cr_expect_eq(nmaj, 7u);
    cr_expect_eq(nmin, 0u);
    cr_assert_eq(plot_ticks_log10(1e6, 1e6, major, 16, &nmaj, NULL, 0, NULL), 0);
    cr_expect_eq(nmaj, 2u);
    cr_expect_eq(plot_ticks_log10(0, 10, major, 16, &nmaj, NULL, 0, NULL), -22);
    cr_expect_eq(plot_ticks_log10(1, 1e20, major, 4, &nmaj, NULL, 0, NULL), -22);
}

Test(plot_ticks, percentile_axis_transform, .timeout = 10)
{
    cr_expect_float_eq(plot_pct_to_x(0.0), 0.0, 1e-15);
    cr_expect_float_eq(plot_pct_to_x(0.9), 1.0, 1e-12);
    cr_expect_float_eq(plot_pct_to_x(0.99), 2.0, 1e-12);
    cr_expect_float_eq(plot_pct_to_x(0.999), 3.0, 1e-12);
    cr_expect_float_eq(plot_pct_to_x(0.9999), 4.0, 1e-10);
    cr_expect_float_eq(plot_pct_to_x(0.5), log10(2.0), 1e-12);
    cr_expect_float_eq(plot_pct_to_x(1.0), 15.0, 1e-3);
    cr_expect_eq(plot_pct_to_x(NAN), 0.0);
    cr_expect_eq(plot_pct_to_x(-0.5), 0.0);
    for (double p = 0.0; p < 0.99999; p += 0.0137)
        cr_expect_float_eq(plot_x_to_pct(plot_pct_to_x(p)), p, 1e-12);
    cr_expect_eq(plot_x_to_pct(-1), 0.0);
    /* Monotone: a later percentile is always further right. */
    double prev = -1;
    for (int i = 0; i <= 1000; i++) {
        double x = plot_pct_to_x(1.0 - pow(10.0, -i / 100.0));
        cr_expect_gt(x, prev);
        prev = x;
    }
}

/* ---- down-sampling ------------------------------------------------------------------ */

Test(plot_downsample, minmax_keeps_extremes_and_bounds_points, .timeout = 30)
{
    size_t n = 1000000;
    double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));
    cr_assert(x && y);
    uint64_t s = 1;
    double v = 0;
    for (size_t i = 0; i < n; i++) {
        v += rng_u01(&s) - 0.5;
        x[i] = (double)i * 0.001;
        y[i] = v;
    }
    y[123457] = 1e6;  /* a one-sample spike */
    y[876543] = -1e6; /* and a dip */
    y[500000] = NAN;
    size_t ks[] = {4, 5, 100, 1001, 4000};
    for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
        size_t k = ks[t], m = 0;
        double *ox = malloc(k * sizeof(*ox)), *oy = malloc(k * sizeof(*oy));
        cr_assert_eq(plot_downsample_minmax(x, y, n, k, ox, oy, &m), 0);
        cr_expect_leq(m, k);
        cr_expect_geq(m, k >= 6 ? k - 2 : 3);
        bool has_max = false, has_min = false;
        for (size_t i = 0; i < m; i++) {
            if (oy[i] == 1e6 && ox[i] == x[123457])
                has_max = true;
            if (oy[i] == -1e6 && ox[i] == x[876543])
                has_min = true;
            if (i > 0)
                cr_expect_gt(ox[i], ox[i - 1], "x order at %zu", i);
            /* Every kept point is an input point. */
            size_t idx = (size_t)llround(ox[i] * 1000.0);
            cr_expect(y[idx] == oy[i] || (isnan(y[idx]) && isnan(oy[i])));
        }
        cr_expect(has_max && has_min, "k=%zu lost an extreme", k);
        cr_expect_eq(ox[0], x[0]);
        cr_expect_eq(ox[m - 1], x[n - 1]);
        free(ox);
        free(oy);
    }
    /* Few points are copied; x NULL gives indices. */
    double ox[8], oy[8];
    size_t m = 0;
    cr_assert_eq(plot_downsample_minmax(NULL, y, 3, 8, ox, oy, &m), 0);
    cr_expect_eq(m, 3u);
    cr_expect_eq(ox[2], 2.0);
    cr_expect_eq(oy[1], y[1]);
    cr_expect_eq(plot_downsample_minmax(x, y, n, 3, ox, oy, &m), -22);
    cr_expect_eq(plot_downsample_minmax(x, NULL, n, 8, ox, oy, &m), -22);
    free(x);
    free(y);
}

static void check_spectrum(const int64_t *sorted, size_t n, const double *pct, size_t npct,
                           size_t max_points)
{
    double *p = malloc(max_points * sizeof(*p));
    int64_t *v = malloc(max_points * sizeof(*v));
    size_t m = 0;
    cr_assert_eq(plot_spectrum(sorted, n, pct, npct, max_points, p, v, &m), 0);
    cr_expect_leq(m, max_points);
    cr_expect_eq(p[0], 0.0);
    cr_expect_eq(v[0], sorted[0]);
    cr_expect_eq(v[m - 1], sorted[n - 1], "n=%zu: the last point is the maximum", n);
    for (size_t i = 1; i < m; i++) {
        cr_expect_geq(p[i], p[i - 1], "n=%zu: p order at %zu", n, i);
        cr_expect_geq(v[i], v[i - 1], "n=%zu: value order at %zu", n, i);
    }
    for (size_t j = 0; j < npct; j++) {
        bool found = false;
        for (size_t i = 0; i < m; i++)
            if (p[i] == pct[j]) {
                found = true;
                cr_expect_eq(v[i], stats_percentile_mlperf(sorted, n, pct[j]),
                             "n=%zu p=%g: %lld, MLPerf's rule gives %lld", n, pct[j],
                             (long long)v[i], (long long)stats_percentile_mlperf(sorted, n, pct[j]));
            }
        cr_expect(found, "n=%zu: percentile %g missing", n, pct[j]);
    }
    /* Fill points follow the rule too. */
    for (size_t i = 0; i < m; i++)
        if (p[i] > 0 && p[i] < 1.0 - 1.0 / (double)n)
            cr_expect_eq(v[i], stats_percentile_mlperf(sorted, n, p[i]));
    free(p);
    free(v);
}

Test(plot_downsample, spectrum_holds_requested_percentiles_exactly, .timeout = 30)
{
    static const double pct[] = {0.5, 0.9, 0.95, 0.99, 0.999, 0.9999};
    size_t sizes[] = {1, 2, 7, 10, 100, 1000, 12345, 1000000};
    uint64_t s = 3;
    for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
        size_t n = sizes[t];
        int64_t *a = malloc(n * sizeof(*a));
        for (size_t i = 0; i < n; i++)
            a[i] = (int64_t)(1e6 * exp(0.5 * (rng_u01(&s) + rng_u01(&s) + rng_u01(&s))));
        qsort(a, n, sizeof(*a), cmp_i64);
        check_spectrum(a, n, pct, 6, 8);
        check_spectrum(a, n, pct, 6, 300);
        free(a);
    }
    /* Duplicates, unsorted requests, 0 and a percentile above 1 - 1/n. */
    int64_t small[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const double odd[] = {0.999, 0.5, 0.0, 0.5, 0.95};
    check_spectrum(small, 10, odd, 5, 7);
    check_spectrum(small, 10, odd, 5, 50);
    double p[8];
    int64_t v[8];
    size_t m;
    static const double one[] = {1.0};
    cr_expect_eq(plot_spectrum(small, 10, one, 1, 8, p, v, &m), -22);
    static const double nan_p[] = {NAN};
    cr_expect_eq(plot_spectrum(small, 10, nan_p, 1, 8, p, v, &m), -22);
    cr_expect_eq(plot_spectrum(small, 10, pct, 6, 7, p, v, &m), -22);
    cr_expect_eq(plot_spectrum(small, 0, pct, 0, 8, p, v, &m), -22);
}

Test(plot_downsample, histogram_counts_every_value_once, .timeout = 30)
{
    size_t n = 100000;
    int64_t *a = malloc(n * sizeof(*a));
    uint64_t s = 5;
    for (size_t i = 0; i < n; i++)
        a[i] = (int64_t)(2e5 + 3e6 * rng_u01(&s) * rng_u01(&s));
    qsort(a, n, sizeof(*a), cmp_i64);
    double edges[202], counts[201];
    for (int log_bins = 0; log_bins < 2; log_bins++) {
        size_t maxb[] = {2, 7, 50, 200};
        for (size_t t = 0; t < 4; t++) {
            size_t nb = 0;
            cr_assert_eq(plot_histogram(a, n, maxb[t], log_bins, edges, counts, &nb), 0);
            cr_expect_leq(nb, maxb[t]);
            cr_expect_geq(nb, 1u);
            double sum = 0;
            for (size_t i = 0; i < nb; i++) {
                sum += counts[i];
                cr_expect_lt(edges[i], edges[i + 1]);
                /* Each bin holds exactly the values inside it. */
                size_t inside = 0;
                for (size_t j = 0; j < n; j++)
                    if ((double)a[j] >= edges[i] &&
                        ((double)a[j] < edges[i + 1] || i + 1 == nb))
                        inside++;
                cr_expect_eq((size_t)counts[i], inside, "bin %zu of %zu", i, nb);
            }
            cr_expect_eq((size_t)sum, n);
            cr_expect_leq(edges[0], (double)a[0]);
            cr_expect_geq(edges[nb], (double)a[n - 1]);
            if (!log_bins) {
                /* Linear edges are whole multiples of a 1-2-5 width. */
                double w = edges[1] - edges[0];
                double mag = pow(10.0, floor(log10(w)));
                double f = w / mag;
                cr_expect(fabs(f - 1) < 1e-9 || fabs(f - 2) < 1e-9 || fabs(f - 5) < 1e-9,
                          "width %g", w);
                cr_expect_float_eq(edges[0] / w, round(edges[0] / w), 1e-9);
            }
        }
    }
    /* One value repeated, and zeros with log bins. */
    int64_t same[5] = {7, 7, 7, 7, 7};
    size_t nb = 0;
    cr_assert_eq(plot_histogram(same, 5, 10, false, edges, counts, &nb), 0);
    cr_expect_eq(nb, 1u);
    cr_expect_eq(counts[0], 5.0);
    int64_t zeros[6] = {0, 0, 10, 100, 1000, 10000};
    cr_assert_eq(plot_histogram(zeros, 6, 10, true, edges, counts, &nb), 0);
    double sum = 0;
    for (size_t i = 0; i < nb; i++)
        sum += counts[i];
    cr_expect_eq(sum, 6.0);
    cr_expect_geq(counts[0], 2.0);
    cr_expect_eq(plot_histogram(zeros, 6, 1, true, edges, counts, &nb), -22);
    cr_expect_eq(plot_histogram(zeros, 0, 10, true, edges, counts, &nb), -22);
    free(a);
}

Test(plot_downsample, time_windows_aggregate_per_second, .timeout = 30)
{
    /* 3.5 s of samples, every 1 ms, value = its index; a few never completed. */
    size_t n = 3500;
    int64_t *t = malloc(n * sizeof(*t)), *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        /* Shuffled order: windows must not depend on it. */
        size_t j = (i * 7919) % n;
        t[i] = (int64_t)j * 1000000;
        v[i] = (int64_t)j;
    }
    t[10] = -1;
    size_t dropped = (10 * 7919) % n;
    plot_window w[8];
    size_t nw = 0;
    int64_t used = 0;
    cr_assert_eq(plot_windows(t, v, n, 1000000000, 8, true, w, &nw, &used), 0);
    cr_expect_eq(nw, 4u);
    cr_expect_eq(used, 1000000000);
    uint64_t total = 0;
    for (size_t k = 0; k < nw; k++) {
        cr_expect_eq(w[k].start_ns, (int64_t)k * 1000000000);
        /* Reference: the window's values, sorted. */
        int64_t ref[1000];
        size_t m = 0;
        for (size_t j = k * 1000; j < (k + 1) * 1000 && j < n; j++)
            if (j != dropped)
                ref[m++] = (int64_t)j;
        cr_expect_eq(w[k].count, m, "window %zu", k);
        cr_expect_float_eq(w[k].rate_per_s, (double)m, 1e-9);
        cr_expect_eq(w[k].min, ref[0]);
        cr_expect_eq(w[k].max, ref[m - 1]);
        double mean = 0;
        for (size_t j = 0; j < m; j++)
            mean += (double)ref[j];
        cr_expect_float_eq(w[k].mean, mean / (double)m, 1e-9);
        cr_expect_eq(w[k].p50, stats_percentile_mlperf(ref, m, 0.5));
        cr_expect_eq(w[k].p99, stats_percentile_mlperf(ref, m, 0.99));
        total += w[k].count;
    }
    cr_expect_eq(total, n - 1);
    /* Too many windows: the width grows 1 -> 2 -> 5 s until they fit. */
    cr_assert_eq(plot_windows(t, v, n, 1000000000, 1, false, w, &nw, &used), 0);
    cr_expect_eq(nw, 1u);
    cr_expect_eq(used, 5000000000);
    cr_expect_eq(w[0].count, n - 1);
    cr_expect_eq(w[0].p99, 0);
    int64_t t2[2] = {0, 9999999999};
    cr_assert_eq(plot_windows(t2, NULL, 2, 1000000000, 4, true, w, &nw, &used), 0);
    cr_expect_eq(used, 5000000000);
    cr_expect_eq(nw, 2u);
    cr_expect_eq(w[1].count, 1u);
    cr_expect_eq(w[1].min, 0);
    /* Nothing completed: no windows. */
    int64_t none[2] = {-1, -1};
    cr_assert_eq(plot_windows(none, NULL, 2, 1000000000, 4, true, w, &nw, NULL), 0);
    cr_expect_eq(nw, 0u);
    cr_expect_eq(plot_windows(t, v, n, 0, 4, true, w, &nw, NULL), -22);
    cr_expect_eq(plot_windows(t, v, n, 1000, 0, true, w, &nw, NULL), -22);
    free(t);
    free(v);
}

/* ---- time windows: ordered and unordered times ------------------------------------ */

/* A brute-force reference for plot_windows on the given width and window count: window
 * w takes every value with w * width <= t < (w + 1) * width (the last window also every
 * later time), its statistics from a sorted copy. */
static void windows_reference(const int64_t *t, const int64_t *v, size_t n, int64_t width,
                              size_t nw, bool quantiles, plot_window *ref)
{
    int64_t *vals = malloc((n ? n : 1) * sizeof(*vals));
    cr_assert(vals);
    for (size_t w = 0; w < nw; w++) {
        int64_t start = (int64_t)w * width;
        size_t m = 0;
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (t[i] < start || (w + 1 < nw && t[i] - start >= width))
                continue;
            if (v) {
                vals[m] = v[i];
                sum += (double)v[i];
            }
            m++;
        }
        plot_window *o = &ref[w];
        memset(o, 0, sizeof(*o));
        o->start_ns = start;
        o->count = m;
        o->rate_per_s = (double)m / ((double)width / 1e9);
        if (!v || !m)
            continue;
        qsort(vals, m, sizeof(*vals), cmp_i64);
        o->min = vals[0];
        o->max = vals[m - 1];
        o->mean = sum / (double)m;
        if (quantiles) {
            o->p50 = stats_percentile_mlperf(vals, m, 0.50);
            o->p99 = stats_percentile_mlperf(vals, m, 0.99);
        }
    }
    free(vals);
}

static void expect_same_window(const plot_window *a, const plot_window *b, size_t w,
                               const char *what)
{
    cr_expect_eq(a->start_ns, b->start_ns, "%s window %zu: start_ns %lld vs %lld", what, w,
                 (long long)a->start_ns, (long long)b->start_ns);
    cr_expect_eq(a->count, b->count, "%s window %zu: count %llu vs %llu", what, w,
                 (unsigned long long)a->count, (unsigned long long)b->count);
    cr_expect(a->rate_per_s == b->rate_per_s, "%s window %zu: rate %.17g vs %.17g", what, w,
              a->rate_per_s, b->rate_per_s);
    cr_expect_eq(a->min, b->min, "%s window %zu: min %lld vs %lld", what, w, (long long)a->min,
                 (long long)b->min);
    cr_expect_eq(a->max, b->max, "%s window %zu: max %lld vs %lld", what, w, (long long)a->max,
                 (long long)b->max);
    cr_expect(a->mean == b->mean, "%s window %zu: mean %.17g vs %.17g", what, w, a->mean,
              b->mean);
    cr_expect_eq(a->p50, b->p50, "%s window %zu: p50 %lld vs %lld", what, w, (long long)a->p50,
                 (long long)b->p50);
    cr_expect_eq(a->p99, b->p99, "%s window %zu: p99 %lld vs %lld", what, w, (long long)a->p99,
                 (long long)b->p99);
}

/* Sorts the pairs (t, v) by time, stably (ties keep their order). */
static void sort_pairs_by_time(int64_t *t, int64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) { /* insertion sort: small inputs, stable */
        int64_t ti = t[i], vi = v[i];
        size_t j = i;
        while (j > 0 && t[j - 1] > ti) {
            t[j] = t[j - 1];
            v[j] = v[j - 1];
            j--;
        }
        t[j] = ti;
        v[j] = vi;
    }
}

/*
 * The pairs (t, v) in time order go through plot_windows' ordered path, a shuffled copy
 * (checked to be out of order) through the other: both must give the same windows,
 * field by field, as the brute-force reference, with quantiles on and off and with v
 * NULL. t and v are sorted by time here.
 */
static void check_windows_paths(int64_t *t, int64_t *v, size_t n, int64_t width_ns,
                                size_t max_windows, uint64_t seed, const char *what)
{
    sort_pairs_by_time(t, v, n);
    int64_t *ts = malloc((n ? n : 1) * sizeof(*ts)), *vs = malloc((n ? n : 1) * sizeof(*vs));
    cr_assert(ts && vs);
    memcpy(ts, t, n * sizeof(*ts));
    memcpy(vs, v, n * sizeof(*vs));
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(&seed) % i);
        int64_t a = ts[i - 1], b = vs[i - 1];
        ts[i - 1] = ts[j];
        vs[i - 1] = vs[j];
        ts[j] = a;
        vs[j] = b;
    }
    bool ordered = true;
    for (size_t i = 1; i < n; i++)
        ordered = ordered && ts[i] >= ts[i - 1];
    if (ordered && n >= 2 && t[0] != t[n - 1]) {
        /* The shuffle left them in order: put the last time first. */
        int64_t a = ts[0], b = vs[0];
        ts[0] = ts[n - 1];
        vs[0] = vs[n - 1];
        ts[n - 1] = a;
        vs[n - 1] = b;
        ordered = false;
    }
    cr_assert(!ordered || n < 2 || t[0] == t[n - 1], "%s: the shuffled copy is in order", what);

    plot_window *a = malloc(max_windows * sizeof(*a)), *b = malloc(max_windows * sizeof(*b));
    plot_window *ref = malloc(max_windows * sizeof(*ref));
    cr_assert(a && b && ref);
    for (int mode = 0; mode < 3; mode++) {
        bool quantiles = mode != 1;
        const int64_t *vo = mode == 2 ? NULL : v, *vsh = mode == 2 ? NULL : vs;
        char label[160];
        snprintf(label, sizeof(label), "%s (%s)", what,
                 mode == 0 ? "quantiles" : mode == 1 ? "no quantiles" : "v NULL");
        /* Garbage in the outputs first: everything must be written. */
        memset(a, 0x6b, max_windows * sizeof(*a));
        memset(b, 0x2d, max_windows * sizeof(*b));
        size_t na = 12345, nb = 54321;
        int64_t wa = -7, wb = -9;
        cr_assert_eq(plot_windows(t, vo, n, width_ns, max_windows, quantiles, a, &na, &wa), 0,
                     "%s", label);
        cr_assert_eq(plot_windows(ts, vsh, n, width_ns, max_windows, quantiles, b, &nb, &wb), 0,
                     "%s", label);
        cr_assert_eq(na, nb, "%s: %zu windows in order, %zu shuffled", label, na, nb);
        cr_expect_eq(wa, wb, "%s: width %lld in order, %lld shuffled", label, (long long)wa,
                     (long long)wb);
        cr_assert_leq(na, max_windows, "%s", label);
        windows_reference(t, vo, n, wa, na, quantiles, ref);
        uint64_t total = 0;
        for (size_t w = 0; w < na; w++) {
            expect_same_window(&a[w], &b[w], w, label);
            expect_same_window(&a[w], &ref[w], w, label);
            total += a[w].count;
        }
        size_t kept = 0;
        for (size_t i = 0; i < n; i++)
            kept += t[i] >= 0;
        cr_expect_eq(total, kept, "%s: %llu values counted of %zu", label,
                     (unsigned long long)total, kept);
    }
    free(a);
    free(b);
    free(ref);
    free(ts);
    free(vs);
}

Test(plot_windows_paths, ordered_and_shuffled_times_give_identical_windows, .timeout = 30)
{
    const int64_t sec = 1000000000;
    size_t n = 6000;
    int64_t *t = malloc(n * sizeof(*t)), *v = malloc(n * sizeof(*v));
    cr_assert(t && v);
    uint64_t s = 31337;

    /* 10 s of random completion times, latency-like values. */
    for (size_t i = 0; i < n; i++) {
        t[i] = (int64_t)(rng_u01(&s) * 10e9);
        v[i] = 100000 + (int64_t)(rng_next(&s) % 5000000);
    }
    check_windows_paths(t, v, n, sec, 100, 1, "random times");
    /* The same with odd widths: 0.3 s, and 7 ns (many windows, most empty). */
    for (size_t i = 0; i < n; i++)
        t[i] = (int64_t)(rng_u01(&s) * 10e9);
    check_windows_paths(t, v, n, 300000000, 100, 2, "width 0.3 s");
    for (size_t i = 0; i < n; i++)
        t[i] = (int64_t)(rng_next(&s) % 50000);
    check_windows_paths(t, v, n, 7, 10000, 3, "width 7 ns");

    /* Negative times (never completed): at the start of the ordered array, scattered
     * in the shuffled one; both leave them out. */
    for (size_t i = 0; i < n; i++) {
        t[i] = i % 5 == 0 ? -(int64_t)(rng_next(&s) % (3 * (uint64_t)sec)) - 1
                          : (int64_t)(rng_u01(&s) * 4e9);
        v[i] = (int64_t)(rng_next(&s) % 1000) - 500; /* negative values too */
    }
    t[7] = INT64_MIN;
    t[8] = -1;
    check_windows_paths(t, v, n, sec, 100, 4, "negative times");

    /* Empty windows in the middle: times in [0, 2 s) and [7 s, 9 s). */
    for (size_t i = 0; i < n; i++) {
        double u = rng_u01(&s) * 2e9;
        t[i] = (int64_t)(i % 2 ? u : 7e9 + u);
        v[i] = (int64_t)(rng_next(&s) % 1000000);
    }
    check_windows_paths(t, v, n, sec, 100, 5, "empty windows in the middle");

    /* max_windows forces wider windows: 100 s at 1 s in at most 7 windows -> 20 s. */
    for (size_t i = 0; i < n; i++) {
        t[i] = (int64_t)(rng_u01(&s) * 99.9e9);
        v[i] = (int64_t)(rng_next(&s) % 1000000);
    }
    check_windows_paths(t, v, n, sec, 7, 6, "max_windows 7");
    plot_window w[7];
    size_t nw = 0;
    int64_t used = 0;
    cr_assert_eq(plot_windows(t, v, n, sec, 7, true, w, &nw, &used), 0);
    cr_expect_eq(used, 20 * sec);
    cr_expect_eq(nw, 5u);
    /* One window: 1 -> 2 -> 5 -> 10 -> 20 -> 50 -> 100 s, the first to hold 99.9 s. */
    check_windows_paths(t, v, n, sec, 1, 7, "max_windows 1");
    cr_assert_eq(plot_windows(t, v, n, sec, 1, false, w, &nw, &used), 0);
    cr_expect_eq(used, 100 * sec);
    cr_expect_eq(nw, 1u);
    /* Exactly at the widening edge: the last time at 6.999.. s fits 7 windows of 1 s,
     * 7 s does not. */
    t[0] = 7 * sec - 1;
    for (size_t i = 1; i < n; i++)
        t[i] = (int64_t)(rng_u01(&s) * 6e9);
    check_windows_paths(t, v, n, sec, 7, 8, "last time just below 7 s");
    cr_assert_eq(plot_windows(t, v, n, sec, 7, false, w, &nw, &used), 0);
    cr_expect_eq(used, sec);
    cr_expect_eq(nw, 7u);
    t[0] = 7 * sec;
    check_windows_paths(t, v, n, sec, 7, 9, "last time at 7 s");
    cr_assert_eq(plot_windows(t, v, n, sec, 7, false, w, &nw, &used), 0);
    cr_expect_eq(used, 2 * sec);
    cr_expect_eq(nw, 4u);

    /* Extreme times: up to INT64_MAX, and a width that saturates at INT64_MAX. */
    for (size_t i = 0; i < 64; i++) {
        t[i] = i == 0 ? INT64_MAX : (int64_t)(rng_next(&s) >> 1);
        v[i] = (int64_t)i;
    }
    check_windows_paths(t, v, 64, sec, 1000, 10, "times up to INT64_MAX");
    check_windows_paths(t, v, 64, INT64_MAX / 2 + 1, 1, 11, "width saturating");
    check_windows_paths(t, v, 64, INT64_MAX, 1, 12, "width INT64_MAX");

    /* Small inputs: one pair, two pairs, all at the same time. */
    t[0] = 5;
    v[0] = 9;
    check_windows_paths(t, v, 1, 10, 4, 13, "one pair");
    t[0] = 25;
    t[1] = 5;
    v[1] = 3;
    check_windows_paths(t, v, 2, 10, 4, 14, "two pairs");
    for (size_t i = 0; i < 100; i++) {
        t[i] = 3 * sec;
        v[i] = (int64_t)(rng_next(&s) % 100);
    }
    check_windows_paths(t, v, 100, sec, 10, 15, "all at one time");
    free(t);
    free(v);
}

Test(plot_windows_paths, ordered_ties_at_window_edges_land_in_the_window_they_start, .timeout = 30)
{
    /* Times in order with runs of equal times exactly at w * width: window w holds them. */
    const int64_t width = 1000;
    int64_t t[] = {0,    0,    0,    999,  1000, 1000, 1000, 1999, 2000, 2000, 2000,
                   2000, 2000, 5000, 5000, 5000, 5999, 6000};
    int64_t v[] = {1, 2, 3, 4, 10, 11, 12, 13, 20, 21, 22, 23, 24, 50, 51, 52, 53, 60};
    size_t n = sizeof(t) / sizeof(t[0]);
    plot_window w[16];
    size_t nw = 0;
    int64_t used = 0;
    cr_assert_eq(plot_windows(t, v, n, width, 16, true, w, &nw, &used), 0);
    cr_assert_eq(nw, 7u);
    cr_expect_eq(used, width);
    static const struct {
        uint64_t count;
        int64_t min, max;
    } want[7] = {{4, 1, 4}, {4, 10, 13}, {5, 20, 24}, {0, 0, 0}, {0, 0, 0}, {4, 50, 53},
                 {1, 60, 60}};
    for (size_t k = 0; k < 7; k++) {
        cr_expect_eq(w[k].start_ns, (int64_t)k * width);
        cr_expect_eq(w[k].count, want[k].count, "window %zu: count %llu", k,
                     (unsigned long long)w[k].count);
        cr_expect_eq(w[k].min, want[k].min, "window %zu: min %lld", k, (long long)w[k].min);
        cr_expect_eq(w[k].max, want[k].max, "window %zu: max %lld", k, (long long)w[k].max);
    }
    cr_expect_eq(w[2].p50, 22);
    cr_expect_eq(w[2].p99, 24);
    cr_expect(w[2].mean == 22.0);
    cr_expect(w[3].mean == 0.0 && w[3].p50 == 0 && w[3].p99 == 0);
    check_windows_paths(t, v, n, width, 16, 21, "hand-made ties");

    /* Many ties: every time is an edge w * width or just before the next edge, in
     * order, a few hundred equal times each; plus negatives at the start. */
    size_t m = 20000;
    int64_t *tt = malloc(m * sizeof(*tt)), *vv = malloc(m * sizeof(*vv));
    cr_assert(tt && vv);
    uint64_t s = 4711;
    for (size_t i = 0; i < m; i++) {
        uint64_t r = rng_next(&s);
        int64_t win = (int64_t)(r % 40);
        tt[i] = r & 0x100 ? win * width : (win + 1) * width - 1;
        if (i < 50)
            tt[i] = -(int64_t)(r % 3000) - 1;
        vv[i] = (int64_t)(rng_next(&s) % 100000);
    }
    sort_pairs_by_time(tt, vv, m);
    /* Directly on the ordered array: the times at w * width and at (w + 1) * width - 1
     * are the whole of window w. */
    plot_window big[100];
    cr_assert_eq(plot_windows(tt, vv, m, width, 100, true, big, &nw, &used), 0);
    cr_assert_eq(nw, 40u);
    cr_expect_eq(used, width);
    for (size_t k = 0; k < nw; k++) {
        uint64_t at_edge = 0, before_next = 0;
        for (size_t i = 0; i < m; i++) {
            at_edge += tt[i] == (int64_t)k * width;
            before_next += tt[i] == (int64_t)(k + 1) * width - 1;
        }
        cr_expect_eq(big[k].count, at_edge + before_next,
                     "window %zu: %llu values, %llu at its start and %llu at its end", k,
                     (unsigned long long)big[k].count, (unsigned long long)at_edge,
                     (unsigned long long)before_next);
    }
    check_windows_paths(tt, vv, m, width, 100, 22, "ties at every edge");
    free(tt);
    free(vv);
}

/* ---- charts ------------------------------------------------------------------------ */

static plot *spectrum_chart(void)
{
    plot *p = NULL;
    cr_assert_eq(plot_create(&p), 0);
    cr_assert_eq(plot_set_title(p, "Latency by percentile"), 0);
    cr_assert_eq(plot_set_axis(p, PLOT_X, PLOT_PERCENTILE, PLOT_UNIT_NONE, "Percentile"), 0);
    cr_assert_eq(plot_set_axis(p, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency"), 0);
    double x[50], y[50], y2[50];
    for (int i = 0; i < 50; i++) {
        x[i] = plot_x_to_pct(i * 0.1);
        y[i] = 1e6 * pow(1.1, i);
        y2[i] = 1.3e6 * pow(1.1, i);
    }
    cr_assert_eq(plot_add_line(p, "scheduled", x, y, 50, PLOT_LINE), 0);
    cr_assert_eq(plot_add_line(p, "issued", x, y2, 50, PLOT_STEP), 0);
    cr_assert_eq(plot_add_refline(p, PLOT_Y, 5e6, "bound 5 ms"), 0);
    cr_assert_eq(plot_add_refline(p, PLOT_X, 0.99, "target p99"), 0);
    return p;
}

Test(plot_chart, spectrum_axis_has_percentile_labels, .timeout = 10)
{
    plot *p = spectrum_chart();
    plot_buf *b = render(p, 0);
    const char *s = plot_buf_data(b);
    static const char *const labels[] = {">0%<", ">90%<", ">99%<", ">99.9%<", ">99.99%<",
                                         ">1 ms<", ">10 ms<", ">bound 5 ms<", ">target p99<",
                                         ">scheduled<", ">issued<", "stroke-dasharray"};
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        cr_expect_not_null(strstr(s, labels[i]), "missing %s", labels[i]);
    cr_expect_not_null(strstr(s, "<title>Latency by percentile</title>"));
    cr_expect_null(strstr(s, "xmlns"));
    plot_buf_destroy(b);
    b = render(p, PLOT_RENDER_STANDALONE);
    cr_expect_not_null(strstr(plot_buf_data(b), "xmlns=\"http://www.w3.org/2000/svg\""));
    plot_buf_destroy(b);
    plot_destroy(p);
}

Test(plot_chart, every_chart_kind_is_well_formed, .timeout = 30)
{
    plot *p = spectrum_chart();
    expect_well_formed(p, "spectrum");
    plot_destroy(p);

    /* Histogram on a log axis. */
    int64_t lat[1000];
    uint64_t s = 11;
    for (int i = 0; i < 1000; i++)
        lat[i] = (int64_t)(1e5 * exp(3 * rng_u01(&s)));
    qsort(lat, 1000, sizeof(lat[0]), cmp_i64);
    double edges[61], counts[60];
    size_t nb;
    cr_assert_eq(plot_histogram(lat, 1000, 60, true, edges, counts, &nb), 0);
    cr_assert_eq(plot_create(&p), 0);
    plot_set_axis(p, PLOT_X, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
    plot_set_axis(p, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_NONE, "Samples");
    cr_assert_eq(plot_add_bars(p, "run A", edges, counts, nb), 0);
    cr_assert_eq(plot_add_bars(p, "run B", edges, counts, nb), 0);
    expect_well_formed(p, "histogram");
    plot_destroy(p);

    /* Time series with markers, steps and a NaN gap, linear time axis. */
    double tx[100], ty[100];
    for (int i = 0; i < 100; i++) {
        tx[i] = i * 1e9;
        ty[i] = i == 40 ? NAN : 1e3 + 50 * sin(i / 7.0);
    }
    cr_assert_eq(plot_create(&p), 0);
    plot_set_title(p, "Throughput over time");
    plot_set_axis(p, PLOT_X, PLOT_LINEAR, PLOT_UNIT_NS, "Time");
    plot_set_axis(p, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_NONE, "Samples/s");
    cr_assert_eq(plot_add_line(p, "rate", tx, ty, 100, PLOT_STEP), 0);
    cr_assert_eq(plot_add_line(p, "points", tx, ty, 100, PLOT_MARKERS), 0);
    cr_assert_eq(plot_set_range(p, PLOT_Y, 0, NAN), 0);
    expect_well_formed(p, "time series");
    plot_destroy(p);

    /* Categories: CI dots and bars, boxes, strips; seven series for every style. */
    const char *cats[] = {"a", "b & c", "a much longer run name than fits in a slot"};
    double est[] = {1, 2, 3}, lo[] = {0.5, 1.5, NAN}, hi[] = {1.5, 2.5, NAN};
    double r0[] = {1, 2, 3, 4, 100}, r1[] = {2, 2, 2}, r2[] = {NAN, 5};
    const double *vals[] = {r0, r1, r2};
    size_t cnt[] = {5, 3, 2};
    cr_assert_eq(plot_create(&p), 0);
    plot_set_title(p, "Comparison");
    cr_assert_eq(plot_set_axis(p, PLOT_X, PLOT_CATEGORY, PLOT_UNIT_NONE, "Run"), 0);
    plot_set_axis(p, PLOT_Y, PLOT_LINEAR, PLOT_UNIT_PERCENT, "Share");
    cr_assert_eq(plot_set_categories(p, cats, 3), 0);
    cr_assert_eq(plot_add_ci(p, "dots", est, lo, hi, 3, PLOT_CI_DOT), 0);
    cr_assert_eq(plot_add_ci(p, "bars", est, lo, hi, 3, PLOT_CI_BAR), 0);
    cr_assert_eq(plot_add_boxes(p, "box", vals, cnt, 3, false), 0);
    cr_assert_eq(plot_add_boxes(p, "box+points", vals, cnt, 3, true), 0);
    cr_assert_eq(plot_add_strip(p, "strip", vals, cnt, 3), 0);
    cr_assert_eq(plot_add_strip(p, "strip 2", vals, cnt, 3), 0);
    cr_assert_eq(plot_add_strip(p, "strip 3", vals, cnt, 3), 0);
    cr_assert_eq(plot_add_strip(p, "strip 4", vals, cnt, 3), 0);
    expect_well_formed(p, "categories");
    plot_destroy(p);

    /* An empty chart, and one with only a reference line on a log axis. */
    cr_assert_eq(plot_create(&p), 0);
    expect_well_formed(p, "empty");
    plot_set_axis(p, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NONE, NULL);
    plot_add_refline(p, PLOT_Y, 100, NULL);
    expect_well_formed(p, "refline only");
    plot_destroy(p);
}

Test(plot_chart, long_names_are_shortened_and_empty_paths_left_out, .timeout = 10)
{
    char longname[400];
    for (size_t i = 0; i < sizeof(longname) - 1; i++)
        longname[i] = (char)('a' + i % 26);
    longname[sizeof(longname) - 1] = '\0';
    const char *cats[] = {longname, "b"};
    plot *p = NULL;
    cr_assert_eq(plot_create(&p), 0);
    cr_assert_eq(plot_set_title(p, longname), 0);
    cr_assert_eq(plot_set_axis(p, PLOT_X, PLOT_CATEGORY, PLOT_UNIT_NONE, NULL), 0);
    cr_assert_eq(plot_set_categories(p, cats, 2), 0);
    double est[] = {1, 2}, nan2[] = {NAN, NAN};
    cr_assert_eq(plot_add_ci(p, longname, est, nan2, nan2, 2, PLOT_CI_DOT), 0);
    double x[3] = {0, 1, 2}, y[3] = {NAN, NAN, NAN};
    cr_assert_eq(plot_add_line(p, "all NaN", x, y, 3, PLOT_LINE), 0);
    plot_buf *b = render(p, 0);
    const char *s = plot_buf_data(b);
    /* Whole in the tooltips and the accessible title, shortened where drawn. */
    char title[450];
    snprintf(title, sizeof(title), "<title>%s</title>", longname);
    cr_expect_not_null(strstr(s, title));
    cr_expect_not_null(strstr(s, "\xE2\x80\xA6</text>"), "no ellipsis");
    char drawn[420];
    snprintf(drawn, sizeof(drawn), ">%s</text>", longname);
    cr_expect_null(strstr(s, drawn), "a 399-character name drawn whole");
    cr_expect_null(strstr(s, "d=\"\""), "an empty path");
    cr_expect_null(check_xml(s));
    plot_buf_destroy(b);
    plot_destroy(p);
}

/* A value from a hostile mix: ordinary, huge, tiny, negative, zero, NaN, infinite. */
static double hostile(uint64_t *s)
{
    switch (rng_next(s) % 10) {
    case 0: return NAN;
    case 1: return INFINITY;
    case 2: return -1e300;
    case 3: return 1e300;
    case 4: return 0.0;
    case 5: return -rng_u01(s) * 1e3;
    case 6: return rng_u01(s) * 1e-12;
    default: return rng_u01(s) * 1e6;
    }
}

Test(plot_chart, hostile_data_still_gives_well_formed_svg, .timeout = 60)
{
    uint64_t s = 2024;
    plot_buf *b = NULL;
    cr_assert_eq(plot_buf_create(&b), 0);
    for (int round = 0; round < 300; round++) {
        plot *p = NULL;
        cr_assert_eq(plot_create(&p), 0);
        plot_scale xs = (plot_scale)(rng_next(&s) % 4), ys = (plot_scale)(rng_next(&s) % 3);
        cr_assert_eq(plot_set_axis(p, PLOT_X, xs, (plot_unit)(rng_next(&s) % 3), "x"), 0);
        cr_assert_eq(plot_set_axis(p, PLOT_Y, ys, (plot_unit)(rng_next(&s) % 3), "y"), 0);
        if (rng_next(&s) % 4 == 0)
            plot_set_range(p, PLOT_Y, hostile(&s), hostile(&s)); /* may be refused */
        size_t n = 1 + rng_next(&s) % 50;
        double x[60], y[60], z[60];
        for (size_t i = 0; i < 60; i++) {
            x[i] = hostile(&s);
            y[i] = hostile(&s);
            z[i] = hostile(&s);
        }
        if (xs == PLOT_CATEGORY) {
            const char *cats[3] = {"a", "b", "c"};
            cr_assert_eq(plot_set_categories(p, cats, 3), 0);
            const double *vals[3] = {x, y, z};
            size_t cnt[3] = {n, n / 2, 0};
            cr_assert_eq(plot_add_ci(p, "ci", x, y, z, 3, (plot_ci_kind)(round % 2)), 0);
            cr_assert_eq(plot_add_boxes(p, "box", vals, cnt, 3, round % 3 == 0), 0);
            cr_assert_eq(plot_add_strip(p, "strip", vals, cnt, 3), 0);
        } else {
            cr_assert_eq(plot_add_line(p, "line", x, y, n, (plot_line_kind)(round % 3)), 0);
            double edges[4] = {1, 2, 4, 8};
            cr_assert_eq(plot_add_bars(p, "bars", edges, z, 3), 0);
        }
        plot_add_refline(p, PLOT_Y, hostile(&s), "ref");
        plot_add_refline(p, PLOT_X, hostile(&s), "ref x");
        plot_buf_clear(b);
        cr_assert_eq(plot_render(p, b, 0), 0);
        const char *text = plot_buf_data(b);
        const char *why = check_xml(text);
        cr_expect_null(why, "round %d: %s", round, why ? why : "");
        cr_expect_null(strcasestr(text, "nan"), "round %d: NaN in the output", round);
        cr_expect_null(strcasestr(text, "inf\""), "round %d: inf in the output", round);
        cr_expect_null(strstr(text, "d=\"\""), "round %d: an empty path", round);
        cr_expect_lt(plot_buf_len(b), 100000u);
        plot_destroy(p);
    }
    plot_buf_destroy(b);
}

Test(plot_chart, output_is_deterministic, .timeout = 10)
{
    plot *p = spectrum_chart();
    plot_buf *a = render(p, 0), *b = render(p, 0);
    cr_expect_eq(plot_buf_len(a), plot_buf_len(b));
    cr_expect_str_eq(plot_buf_data(a), plot_buf_data(b));
    plot_buf_destroy(a);
    plot_buf_destroy(b);
    plot_destroy(p);
}

Test(plot_chart, argument_errors, .timeout = 10)
{
    plot *p = NULL;
    cr_expect_eq(plot_create(NULL), -22);
    cr_assert_eq(plot_create(&p), 0);
    double x[2] = {0, 1}, y[2] = {1, 2};
    cr_expect_eq(plot_set_axis(p, PLOT_Y, PLOT_CATEGORY, PLOT_UNIT_NONE, NULL), -22);
    cr_expect_eq(plot_set_axis(p, (plot_axis)2, PLOT_LINEAR, PLOT_UNIT_NONE, NULL), -22);
    cr_expect_eq(plot_set_size(p, 100, 400), -22);
    cr_expect_eq(plot_set_range(p, PLOT_X, 2, 1), -22);
    cr_expect_eq(plot_add_line(p, "x", NULL, y, 2, PLOT_LINE), -22);
    cr_expect_eq(plot_add_ci(p, "x", x, x, x, 2, PLOT_CI_DOT), -22); /* no categories */
    double bad_edges[3] = {0, 0, 1};
    cr_expect_eq(plot_add_bars(p, "x", bad_edges, y, 2), -22);
    cr_expect_eq(plot_add_refline(p, PLOT_X, NAN, NULL), -22);
    for (int i = 0; i < PLOT_MAX_SERIES; i++)
        cr_expect_eq(plot_add_line(p, NULL, x, y, 2, PLOT_LINE), 0);
    cr_expect_eq(plot_add_line(p, NULL, x, y, 2, PLOT_LINE), -22);
    cr_expect_eq(plot_render(p, NULL, 0), -22);
    plot_destroy(p);
    plot_destroy(NULL);
}

/* ---- size and speed on 10M samples ------------------------------------------------------ */

Test(plot_chart, ten_million_samples_make_small_charts_fast, .timeout = 120)
{
    size_t n = 10000000;
    int64_t *lat = malloc(n * sizeof(*lat)), *t = malloc(n * sizeof(*t));
    double *series_y = malloc(n * sizeof(*series_y));
    cr_assert(lat && t && series_y);
    /* Latencies ascending already (the report sorts them for the percentiles anyway);
     * completion times in a shuffled order. */
    uint64_t s = 99;
    double acc = 1e5;
    for (size_t i = 0; i < n; i++) {
        acc += rng_u01(&s) * 2.0;
        lat[i] = (int64_t)acc;
        t[i] = (int64_t)(rng_u01(&s) * 600e9);
        series_y[i] = (double)lat[(i * 7919) % n];
    }

    double t0 = now_s();
    static const double pct[] = {0.5, 0.9, 0.95, 0.99, 0.999, 0.9999};
    double sp[400], sy[400];
    int64_t sv[400];
    size_t ns = 0;
    cr_assert_eq(plot_spectrum(lat, n, pct, 6, 400, sp, sv, &ns), 0);
    for (size_t i = 0; i < ns; i++)
        sy[i] = (double)sv[i];
    double edges[201], counts[200];
    size_t nb = 0;
    cr_assert_eq(plot_histogram(lat, n, 200, true, edges, counts, &nb), 0);
    plot_window *w = malloc(1000 * sizeof(*w));
    size_t nw = 0;
    int64_t width = 0;
    cr_assert_eq(plot_windows(t, lat, n, 1000000000, 1000, true, w, &nw, &width), 0);
    double t1 = now_s();
    double wx[1000], w50[1000], w99[1000], wr[1000];
    for (size_t i = 0; i < nw; i++) {
        wx[i] = (double)w[i].start_ns;
        w50[i] = (double)w[i].p50;
        w99[i] = (double)w[i].p99;
        wr[i] = w[i].rate_per_s;
    }

    plot_buf *all = NULL;
    cr_assert_eq(plot_buf_create(&all), 0);
    size_t sizes[4];
    for (int c = 0; c < 4; c++) {
        size_t before = 0;
        plot *p = NULL;
        cr_assert_eq(plot_create(&p), 0);
        if (c == 0) {
            plot_set_axis(p, PLOT_X, PLOT_PERCENTILE, PLOT_UNIT_NONE, "Percentile");
            plot_set_axis(p, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
            cr_assert_eq(plot_add_line(p, "latency", sp, sy, ns, PLOT_LINE), 0);
        } else if (c == 1) {
            plot_set_axis(p, PLOT_X, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
            cr_assert_eq(plot_add_bars(p, "latency", edges, counts, nb), 0);
        } else if (c == 2) {
            plot_set_axis(p, PLOT_X, PLOT_LINEAR, PLOT_UNIT_NS, "Time");
            plot_set_axis(p, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
            cr_assert_eq(plot_add_line(p, "p50", wx, w50, nw, PLOT_LINE), 0);
            cr_assert_eq(plot_add_line(p, "p99", wx, w99, nw, PLOT_LINE), 0);
            cr_assert_eq(plot_add_line(p, "rate", wx, wr, nw, PLOT_STEP), 0);
        } else {
            /* A careless caller hands all 10M points to one line: it is reduced. */
            plot_set_axis(p, PLOT_Y, PLOT_LOG10, PLOT_UNIT_NS, "Latency");
            cr_assert_eq(plot_add_line(p, "every sample", NULL, NULL, 0, PLOT_LINE), 0);
            double *xs = malloc(n * sizeof(*xs));
            for (size_t i = 0; i < n; i++)
                xs[i] = (double)i;
            cr_assert_eq(plot_add_line(p, "raw", xs, series_y, n, PLOT_LINE), 0);
            free(xs);
        }
        plot_buf_clear(all);
        cr_assert_eq(plot_render(p, all, 0), 0);
        plot_destroy(p);
        sizes[c] = plot_buf_len(all) - before;
        const char *why = check_xml(plot_buf_data(all));
        cr_expect_null(why, "chart %d: %s", c, why ? why : "");
        cr_expect_lt(sizes[c], 200000u, "chart %d is %zu bytes", c, sizes[c]);
    }
    double t2 = now_s();
    cr_log_info("10M samples: spectrum %zu points, histogram %zu bins, %zu windows of %lld ns; "
                "data %.3f s, four charts %.3f s, %zu + %zu + %zu + %zu bytes",
                ns, nb, nw, (long long)width, t1 - t0, t2 - t1, sizes[0], sizes[1], sizes[2],
                sizes[3]);
    fprintf(stderr, "test_plot: 10M samples: data %.3f s, charts %.3f s, sizes %zu %zu %zu %zu\n",
            t1 - t0, t2 - t1, sizes[0], sizes[1], sizes[2], sizes[3]);
    cr_expect_lt(nw, 1001u);
    /* A generous bound: sanitizer builds are several times slower than the < 1 s of a
     * plain build. */
    cr_expect_lt(t2 - t0, 30.0);
    plot_buf_destroy(all);
    free(w);
    free(lat);
    free(t);
    free(series_y);
}
