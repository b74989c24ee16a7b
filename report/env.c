/* env.c: a description of the machine a report is made on: CPU model, cores, kernel,
 * compiler, library version, date. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "report/internal.h"

#ifndef __VERSION__
#define __VERSION__ "unknown"
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

void rpt_environment_get(rpt_environment *out)
{
    if (!out)
        return;
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
    snprintf(out->compiler, sizeof out->compiler, "%s", __VERSION__);
    snprintf(out->library_version, sizeof out->library_version, "%s", lg_version());
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(out->date_utc, sizeof out->date_utc, "%Y-%m-%d %H:%M:%S UTC", &tm);
    else
        snprintf(out->date_utc, sizeof out->date_utc, "unknown");
}
