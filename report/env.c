/* env.c: the machine a report is made on (rpt_environment_get): the description
 * results.json records for a run (loadgen/env.c), plus the library version and the date. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "loadgen/loadgen.h"
#include "report/internal.h"

void rpt_environment_get(rpt_environment *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    lg_environment e;
    lg_environment_get(&e);
    snprintf(out->cpu_model, sizeof out->cpu_model, "%s", e.cpu_model);
    out->cores = e.cores;
    snprintf(out->kernel, sizeof out->kernel, "%s", e.kernel);
    snprintf(out->hostname, sizeof out->hostname, "%s", e.hostname);
    snprintf(out->compiler, sizeof out->compiler, "%s", e.compiler);
    snprintf(out->library_version, sizeof out->library_version, "%s", lg_version());
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(out->date_utc, sizeof out->date_utc, "%Y-%m-%d %H:%M:%S UTC", &tm);
    else
        snprintf(out->date_utc, sizeof out->date_utc, "unknown");
}
