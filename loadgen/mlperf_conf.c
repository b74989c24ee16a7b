/* mlperf_conf.c: MLPerf's TestSettings::FromConfig rules on the strict config reader
 * (config.h), shared by the bindings that mirror MLPerf's API (python/, cpp/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loadgen/config.h"
#include "loadgen/loadgen.h"

/* Loads path as kind and applies it to a copy of *s; *s takes the copy on success.
 * Returns 0, LG_EINVAL or LG_ENOMEM with err set. */
static int load_apply(lg_settings *s, const char *path, int kind, const char *model,
                      lg_scenario scen, char *err, size_t len)
{
    lg_config *c = NULL;
    if (lg_config_create(&c) != 0) {
        if (len)
            snprintf(err, len, "%s: out of memory", path);
        return LG_ENOMEM;
    }
    lg_settings t = *s;
    int rc = lg_config_load_file(c, path, kind, err, len);
    if (rc == 0)
        rc = lg_config_apply(c, model, scen, &t, NULL, err, len);
    lg_config_destroy(c);
    if (rc == 0)
        *s = t;
    return rc;
}

int lg_config_from_mlperf(lg_settings *s, const char *path, const char *model,
                          const char *scenario, int conf_type, char *err, size_t len)
{
    if (len)
        err[0] = '\0';
    lg_scenario scen;
    if (!scenario || lg_scenario_parse(scenario, &scen) != 0) {
        if (len)
            snprintf(err, len, "unknown scenario '%s'", scenario ? scenario : "(null)");
        return -EINVAL;
    }
    if (!path || access(path, R_OK) != 0) {
        if (len)
            snprintf(err, len, "cannot read %s: %s", path ? path : "(null)",
                     strerror(path ? errno : EINVAL));
        return -ENOENT;
    }
    int kind = conf_type == 1 ? lg_config_kind_from_path(path) : LG_CONF_MLPERF;
    const char *m = model && *model ? model : NULL; /* "*" is no model there too */
    return load_apply(s, path, kind, m, scen, err, len) == 0 ? 0 : -EINVAL;
}
