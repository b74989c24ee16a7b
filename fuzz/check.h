/* check.h: what the fuzz targets share: CHECK, an assertion that stays in every build and
 * stops the fuzzer with a crash it reports and minimises (a broken promise is a bug like
 * a crash). */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond))                                                                    \
            __builtin_trap();                                                           \
    } while (0)

#endif /* FUZZ_CHECK_H */
