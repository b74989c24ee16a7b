/* criterion.h (TSan stand-in): the subset of Criterion's API our concurrency tests use,
 * for the ThreadSanitizer build only. Criterion's runner cannot start under TSan (its
 * boxfort arena fails to map: Snaipe/Criterion#274), so `make check` compiles
 * tests/test_{ring,pool,complete,report_threads}.c against this header and
 * tests/tsan/runner.c instead.
 * Same semantics where it matters: each test runs in its own forked process with its
 * .timeout, a failed cr_assert ends the test, a failed cr_expect marks it failed and
 * goes on, and the runner ends with Criterion's synthesis line. */
#ifndef LG_TSAN_CRITERION_H
#define LG_TSAN_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct lgshim_opts {
    double timeout; /* seconds; 0 = the runner's default */
    void (*init)(void); /* run before the test, in its process (Criterion's .init) */
    void (*fini)(void); /* run after it when it did not fail fatally (.fini) */
};

struct lgshim_test {
    const char *suite;
    const char *name;
    void (*fn)(void);
    struct lgshim_opts opts;
    struct lgshim_test *next;
};

void lgshim_register(struct lgshim_test *t);
/* Not marked as printf-like: a check without a message passes an empty format. */
void lgshim_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt,
                 ...);

#define Test(suite, name, ...)                                                            \
    static void suite##_##name##_impl(void);                                              \
    static struct lgshim_test suite##_##name##_reg = {#suite, #name,                     \
                                                      suite##_##name##_impl,              \
                                                      {__VA_ARGS__}, NULL};               \
    __attribute__((constructor)) static void suite##_##name##_ctor(void)                  \
    {                                                                                     \
        lgshim_register(&suite##_##name##_reg);                                           \
    }                                                                                     \
    static void suite##_##name##_impl(void)

/* The message arguments are optional: "" glues an empty format to a missing one. */
#define LGSHIM_CHECK(fatal, cond, text, ...)                                              \
    do {                                                                                  \
        if (!(cond))                                                                      \
            lgshim_fail(fatal, __FILE__, __LINE__, text, "" __VA_ARGS__);                 \
    } while (0)

#define cr_assert(cond, ...) LGSHIM_CHECK(true, cond, #cond, __VA_ARGS__)
#define cr_expect(cond, ...) LGSHIM_CHECK(false, cond, #cond, __VA_ARGS__)
#define cr_assert_not(cond, ...) LGSHIM_CHECK(true, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_expect_not(cond, ...) LGSHIM_CHECK(false, !(cond), "!(" #cond ")", __VA_ARGS__)
#define cr_assert_null(p, ...) LGSHIM_CHECK(true, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_expect_null(p, ...) LGSHIM_CHECK(false, (p) == NULL, #p " == NULL", __VA_ARGS__)
#define cr_assert_not_null(p, ...) LGSHIM_CHECK(true, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define cr_expect_not_null(p, ...) LGSHIM_CHECK(false, (p) != NULL, #p " != NULL", __VA_ARGS__)
#define LGSHIM_CMP(fatal, a, op, b, ...) LGSHIM_CHECK(fatal, (a) op (b), #a " " #op " " #b, __VA_ARGS__)
#define cr_assert_eq(a, b, ...) LGSHIM_CMP(true, a, ==, b, __VA_ARGS__)
#define cr_expect_eq(a, b, ...) LGSHIM_CMP(false, a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) LGSHIM_CMP(true, a, !=, b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) LGSHIM_CMP(false, a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) LGSHIM_CMP(true, a, <, b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) LGSHIM_CMP(false, a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) LGSHIM_CMP(true, a, <=, b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) LGSHIM_CMP(false, a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) LGSHIM_CMP(true, a, >, b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) LGSHIM_CMP(false, a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) LGSHIM_CMP(true, a, >=, b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) LGSHIM_CMP(false, a, >=, b, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) LGSHIM_CHECK(true, strcmp(a, b) == 0, #a " == " #b, __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) LGSHIM_CHECK(false, strcmp(a, b) == 0, #a " == " #b, __VA_ARGS__)

#endif /* LG_TSAN_CRITERION_H */
