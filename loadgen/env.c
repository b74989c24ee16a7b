/* env.c: a description of the machine: CPU model, cores, kernel, host name and the
 * compiler and git commit that built the library. results.json records it for each run
 * (logs.c), and a report describes the machines its runs came from (report/report.c). */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "loadgen/internal.h"

/* The git commit of the build (the Makefile's $(BUILD)/gen/git.h); other builds (the
 * fuzzers) have none. */
#ifdef LG_HAVE_GIT_H
#include "git.h"
#endif
#ifndef LG_GIT_REV
#define LG_GIT_REV ""
#define LG_GIT_COMMIT_DATE ""
#endif

const char *lg_build_commit(void) { return LG_GIT_REV; }
const char *lg__build_commit_date(void) { return LG_GIT_COMMIT_DATE; }

/* "gcc 12.2.0", "clang 14.0.6 ...": the compiler that built this file. */
#if defined(__clang__)
#define LG_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define LG_COMPILER "gcc " __VERSION__
#elif defined(__VERSION__)
#define LG_COMPILER __VERSION__
#else
#define LG_COMPILER "unknown"
#endif

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        /* x86 says "model name", some ARM kernels "Model" or "Processor". */
        if (strncmp(line, "model name", 10) && strncmp(line, "Model", 5) &&
            strncmp(line, "Processor", 9))
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        if (*v) {
            snprintf(buf, len, "%s", v);
            break;
        }
    }
    fclose(f);
}

void lg_environment_get(lg_environment *out)
{
    memset(out, 0, sizeof *out);
    cpu_model(out->cpu_model, sizeof out->cpu_model);
    out->cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(out->kernel, sizeof out->kernel, "%s %s %s", u.sysname, u.release, u.machine);
        snprintf(out->hostname, sizeof out->hostname, "%s", u.nodename);
    } else {
        snprintf(out->kernel, sizeof out->kernel, "unknown");
        snprintf(out->hostname, sizeof out->hostname, "unknown");
    }
    snprintf(out->compiler, sizeof out->compiler, "%s", LG_COMPILER);
}
