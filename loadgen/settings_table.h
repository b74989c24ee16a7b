/* settings_table.h: the one table of lg_settings fields, internal to the core. Each row
 * is one field: its name, type, default, range, config-file key, command-line flag,
 * detail-log line and doc. From it come lg_settings_default, the single-field checks of
 * lg_settings_check, the config keys' ranges and how their values convert, the
 * settings-by-name API, the program's settings flags and their help, the requested_*
 * detail-log lines and docs/configuration.md's table (checked by a test). Adding a
 * setting means a struct field, a row here, and its semantics. */
#ifndef LOADGEN_SETTINGS_TABLE_H
#define LOADGEN_SETTINGS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/config.h"

/* The field's type in lg_settings. */
enum { LG__FT_SCEN, LG__FT_MODE, LG__FT_F64, LG__FT_I64, LG__FT_U64, LG__FT_BOOL,
       LG__FT_ARRIVAL };

/* How a value in a config file or on the command line converts to the field's unit. */
enum {
    LG__CV_NONE,  /* the same unit */
    LG__CV_MS_NS, /* milliseconds to nanoseconds */
    LG__CV_PCT,   /* percent to a fraction */
};

/* Range ends. */
enum { LG__LO_OPEN = 1, LG__HI_OPEN = 2 };

/* No upper bound but the type's own. */
#define LG__NO_MAX (1e300)

typedef struct lg__field {
    const char *name; /* the lg_settings member */
    size_t off;
    unsigned char ft;     /* LG__FT_* */
    unsigned char open;   /* LG__LO_OPEN | LG__HI_OPEN */
    double dflt;          /* lg_settings_default's value (an enum's number) */
    double lo, hi;        /* the range in the field's unit; hi LG__NO_MAX: the type's */
    const char *unit;     /* the field's unit: "ns", "fraction", "count", ... */
    unsigned scen;        /* scenarios in which the field matters (LG_SCENARIO_BIT) */
    const char *key;      /* config key, or NULL */
    bool key_mlperf_only; /* MLPerf reads the key only from mlperf.conf (an error in
                             user.conf, here) */
    signed char lookup;   /* the scenario the key is looked up under; -1 = the run's */
    unsigned char cv;     /* LG__CV_*: the key's unit to the field's */
    const char *conf_unit;/* the key's unit in a file, named in messages and docs */
    const char *flag;     /* command-line flag without "--", or NULL; rows sharing a
                             flag are set together */
    unsigned char flag_cv;/* LG__CV_*: the flag's unit to the field's */
    const char *flag_help;/* the flag's help line (first row of a flag only) */
    const char *log;      /* the detail log's requested_<log> key, or NULL */
    unsigned log_scen;    /* scenarios whose detail log has that line */
    bool log_token_mode;  /* the line only in token mode (use_token_latencies) */
    const char *doc;
} lg__field;

/* The number of rows: every field of lg_settings but reserved and the arrival arrays
 * (arrival_stages, arrival_trace_ns and their counts: lists, set through the API and the
 * program's --stages and --trace). */
#define LG__NFIELDS 60
extern const lg__field lg__fields[LG__NFIELDS];

/* The scale from a unit converted with cv to the field's unit (1e6, 0.01 or 1). */
double lg__cv_scale(unsigned cv);

/* Checks every field of s against its row's range alone (cross-field rules are
 * lg_settings_check's). Returns 0 or LG_EINVAL with a message naming the field. */
int lg__fields_check(const lg_settings *s, char *msg, size_t len);

/* Field i of s as a double (enums and booleans as their numbers). */
double lg__field_value(const lg_settings *s, size_t i);

#endif /* LOADGEN_SETTINGS_TABLE_H */
