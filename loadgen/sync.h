/* sync.h: the waiting primitives the core (loadgen/run.c) and the SUT runtime
 * (sut/pool.c) share: a spin-loop hint and Linux futex waits and wakes. Not installed:
 * it is no part of the API, only of the library's own build. */
#ifndef LOADGEN_SYNC_H
#define LOADGEN_SYNC_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Tells the CPU this is a spin-wait (fewer pipeline flushes, the sibling thread runs). */
static inline void lg_sync_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Sleeps while *addr == val, at most timeout_ns (a relative time; 0 or less returns at
 * once). Spurious wake-ups happen: callers re-check their condition. */
static inline void lg_sync_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
    if (timeout_ns < 0)
        timeout_ns = 0;
    struct timespec ts = {.tv_sec = timeout_ns / 1000000000,
                          .tv_nsec = timeout_ns % 1000000000};
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

/* Wakes up to n threads sleeping on addr (INT_MAX: all). */
static inline void lg_sync_wake(_Atomic uint32_t *addr, int n)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

#endif /* LOADGEN_SYNC_H */
