/* runner.c (TSan stand-in for Criterion's runner): runs every registered test in its
 * own forked process with an alarm for its timeout, prints each failure, and closes
 * with Criterion's synthesis line. Options: --filter SUBSTRING, and Criterion's
 * --jobs N (accepted; tests run one at a time, which TSan prefers anyway). */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static struct lgshim_test *g_tests;
static bool g_failed; /* in the child: a cr_expect failed */

void lgshim_register(struct lgshim_test *t)
{
    t->next = g_tests;
    g_tests = t;
}

void lgshim_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt,
                 ...)
{
    fprintf(stderr, "[----] %s:%d: %s: %s", file, line, fatal ? "Assertion" : "Expectation",
            expr);
    if (fmt && *fmt) {
        fputs(": ", stderr);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    g_failed = true;
    if (fatal)
        _exit(1);
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            filter = argv[++i];
    /* Registration runs constructors in reverse; restore source order. */
    struct lgshim_test *rev = NULL;
    while (g_tests) {
        struct lgshim_test *n = g_tests->next;
        g_tests->next = rev;
        rev = g_tests;
        g_tests = n;
    }
    int tested = 0, passing = 0, failing = 0, crashing = 0;
    for (struct lgshim_test *t = rev; t; t = t->next) {
        if (filter && !strstr(t->name, filter) && !strstr(t->suite, filter))
            continue;
        tested++;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            alarm((unsigned)(t->opts.timeout > 0 ? t->opts.timeout + 0.999 : 60));
            if (t->opts.init)
                t->opts.init();
            t->fn();
            if (t->opts.fini)
                t->opts.fini();
            _exit(g_failed ? 1 : 0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            passing++;
        } else if (WIFEXITED(status)) {
            failing++;
            fprintf(stderr, "[FAIL] %s::%s\n", t->suite, t->name);
        } else {
            crashing++;
            fprintf(stderr, "[FAIL] %s::%s: %s\n", t->suite, t->name,
                    WTERMSIG(status) == SIGALRM ? "timed out" : strsignal(WTERMSIG(status)));
        }
    }
    printf("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d\n", tested,
           passing, failing, crashing);
    return failing || crashing ? 1 : 0;
}
