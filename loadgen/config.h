/* config.h: MLPerf's mlperf.conf / user.conf files (`model.scenario.key = value`), read
 * strictly, applied to lg_settings with MLPerf's lookup order, with the origin of every
 * value; and a table of lg_settings fields for tools that show or set them. */
#ifndef LOADGEN_CONFIG_H
#define LOADGEN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The grammar, every key, its unit and the lookup rules are in docs/configuration.md.
 * In short: a line is `model.scenario.name = value`, a blank line, or a comment that
 * starts with '#'. For a run of model M in scenario S, a setting named K takes the value
 * of the first of M.S.K, *.S.K, M.*.K, *.*.K found, looking at the files from the last
 * loaded to the first (a later file wins even with a less specific key) and, inside one
 * file, at the last line with that key. Unlike MLPerf, anything that MLPerf would
 * silently ignore or misread (an unknown key or scenario, a value that is not a number
 * of the right kind or range, trailing text) rejects the whole file with a message
 * naming the file, line and column, the offending text and, for a misspelled name, the
 * nearest known name.
 *
 * Thread safety: an lg_config may be read (apply, entries, status) from several threads
 * at once while no thread loads into it or destroys it. The lg_settings_field_*
 * functions are pure and may be called from any thread at any time.
 *
 * Error messages go to a caller buffer (err, errlen): NUL-terminated, truncated to
 * errlen bytes, one line, no trailing newline. err may be NULL or errlen 0 to get none.
 * On success err holds "" (when errlen > 0).
 */

/* The kind of a config file. MLPerf reads a few keys (the seeds qsl_rng_seed,
 * sample_index_rng_seed and schedule_rng_seed, accuracy_log_probability, test05 and
 * its seeds) only
 * from mlperf.conf; in a user file they are an error here instead of being ignored. */
enum {
    LG_CONF_MLPERF = 1, /* the benchmark's rules: mlperf.conf */
    LG_CONF_USER = 2,   /* the submitter's settings: user.conf */
};

/* Largest config file or string accepted, in bytes (config files are small; this keeps
 * a mistaken path such as /dev/zero from eating memory). */
#define LG_CONFIG_MAX_BYTES (16u * 1024u * 1024u)

typedef struct lg_config lg_config;

/* Creates an empty config (no files: applying it changes nothing).
 * out: receives the new config, owned by the caller (lg_config_destroy).
 * Returns 0, LG_EINVAL (out is NULL) or LG_ENOMEM. */
int lg_config_create(lg_config **out);

/* Frees c and every string it handed out (origins, entries). NULL is accepted. */
void lg_config_destroy(lg_config *c);

/* Returns LG_CONF_MLPERF when the last path component of path is "mlperf.conf", else
 * LG_CONF_USER. A convenience for programs that take a list of files. */
int lg_config_kind_from_path(const char *path);

/*
 * Reads a config file and adds its lines to c, after the files loaded before it (so its
 * lines take precedence over theirs). Nothing of the file is kept unless all of it is
 * valid: on any error c is unchanged.
 *
 * path: the file; also the name used in messages and origins (copied).
 * kind: LG_CONF_MLPERF or LG_CONF_USER. An mlperf.conf-kind file after a user-kind file
 *       is refused: it would override the user's settings.
 * Returns 0; LG_EINVAL (a syntax or value error, a bad argument, a file larger than
 * LG_CONFIG_MAX_BYTES); LG_EIO (the file cannot be opened or read); LG_ENOMEM.
 * Not thread-safe for the same c.
 */
int lg_config_load_file(lg_config *c, const char *path, int kind, char *err,
                        size_t errlen);

/*
 * As lg_config_load_file, from memory: len bytes at text (which may hold any bytes,
 * NUL included; it needs no terminating NUL and is not kept).
 * name: used in messages and origins in place of a path (copied); NULL gives "<string>".
 * Returns 0, LG_EINVAL or LG_ENOMEM.
 */
int lg_config_load_string(lg_config *c, const char *name, const char *text, size_t len,
                          int kind, char *err, size_t errlen);

/* Where the value of one lg_settings field came from. A zeroed struct means
 * LG_CONF_SRC_DEFAULT. */
typedef enum lg_config_source {
    LG_CONF_SRC_DEFAULT = 0, /* the built-in default (lg_settings_default) */
    LG_CONF_SRC_FILE = 1,    /* a config line: file, line, key, value */
    LG_CONF_SRC_CALLER = 2,  /* set by the program after the files (command line) */
} lg_config_source;

typedef struct lg_config_origin {
    lg_config_source source;
    /* LG_CONF_SRC_FILE: the name the file was loaded under. LG_CONF_SRC_CALLER: an
     * optional text naming how it was set (e.g. "--target-qps"), or NULL.
     * Strings set by lg_config_apply belong to the lg_config and live until it is
     * destroyed; strings the caller sets remain the caller's. */
    const char *file;
    int line;          /* LG_CONF_SRC_FILE: 1-based line; else 0 */
    const char *key;   /* LG_CONF_SRC_FILE: the key as written, "*.Server.target_qps" */
    const char *value; /* LG_CONF_SRC_FILE: the value as written, "100" */
} lg_config_origin;

/* Writes an origin as text: "default", "user.conf:3 (*.Server.target_qps = 100)",
 * "command line" or "command line (--target-qps)". buf: up to len bytes,
 * NUL-terminated (may be NULL when len is 0). Returns the length it needed, as
 * snprintf, or LG_EINVAL when o is NULL. */
int lg_config_origin_format(const lg_config_origin *o, char *buf, size_t len);

/*
 * Sets the fields of s that the loaded files give a value for, for model `model` run in
 * scenario `scenario`, converting MLPerf's units (ms, percent) to the field's (ns,
 * fraction). Fields the files do not mention keep their value, so call it on
 * lg_settings_default() output, then override from the command line.
 *
 * Like MLPerf, keys that belong to one scenario (target_qps under Server or Offline,
 * target_latency, target_latency_percentile, samples_per_query, coalesce_queries,
 * max_async_queries, num_issue_query_threads, ttft_latency, tpot_latency) are looked
 * up under that scenario
 * whatever `scenario` is; the others (min_duration, the seeds, ...) under `scenario`.
 * s->scenario is not changed.
 *
 * model: the model name as in the files ("resnet50"); NULL or "*" means no model, so
 *        that only lines for model '*' apply. Letters, digits, '_', '-', '+', '.'
 *        only.
 * origins: NULL, or an array of lg_settings_field_count() entries, indexed like the
 *        field table; the entries of the fields set here become LG_CONF_SRC_FILE and
 *        the others are left as they are (zero them first for "default").
 * Returns 0, or LG_EINVAL with a message naming the file and line when a matching line
 * asks for something not supported or a value
 * that is invalid for this field (a target_latency of 0, but for the Server bound with
 * use_token_latencies = 1), or when an argument is bad. On error neither s nor origins
 * is changed.
 */
int lg_config_apply(const lg_config *c, const char *model, lg_scenario scenario,
                    lg_settings *s, lg_config_origin *origins, char *err, size_t errlen);

/* The name of MLPerf's audit config, the file its compliance tests (TEST01, TEST04,
 * TEST06) put in the folder a harness runs in. */
#define LG_AUDIT_CONFIG "audit.config"

/*
 * MLPerf's audit config: when the file at path exists, applies its lines to s for model
 * `model` in s->scenario, after everything else, as MLPerf's StartTest does with the
 * compliance tests' audit.config (read as an mlperf.conf-kind file, strictly, as
 * lg_config_load_file). MLPerf applies it with model "*" only (its lines for a named
 * model then apply to nothing): pass NULL for that, or the run's model to also apply
 * the lines that name it, as MLPerf's TEST04 instructions ask of a harness.
 * Then pass path as lg_log_settings.audit_config, so that the logs record it.
 * path: e.g. LG_AUDIT_CONFIG (in the current folder).
 * Returns 1 (applied), 0 (no file at path: s unchanged), LG_EIO (it exists but cannot
 * be read), LG_EINVAL (a bad line or value, with the file and line in err; s
 * unchanged) or LG_ENOMEM. Thread-safe for different s.
 */
int lg_config_apply_audit(const char *path, const char *model, lg_settings *s, char *err,
                          size_t errlen);

/*
 * Warnings about model names that MLPerf would pass over in silence: a user-kind file's
 * lines for a model that is not `model` (often a misspelled model name: they apply to
 * nothing), once per model at its first line; and `model` itself when no line names it
 * (often a misspelled --model). Each with a did-you-mean among the models the files
 * name. Lines of mlperf.conf-kind files for other models are normal and not reported.
 * model: as in lg_config_apply (NULL or "*": no model).
 * buf: the warnings, one per line, "user.conf:3: the model 'resnt50' is not this run's
 *      ('resnet50'): its 2 lines apply to nothing in this run; did you mean
 *      'resnet50'?" (up to len bytes, NUL-terminated; may be NULL when len is 0).
 * Returns the number of warnings (0 when all is well), LG_EINVAL or LG_ENOMEM.
 */
int lg_config_model_warnings(const lg_config *c, const char *model, char *buf, size_t len);

/* One loaded line, for listing. The strings belong to the lg_config. */
typedef struct lg_config_entry {
    const char *file;     /* the name the file was loaded under */
    int line;             /* 1-based */
    int kind;             /* LG_CONF_MLPERF or LG_CONF_USER */
    const char *key;      /* the whole key as written: "resnet50.Server.target_latency" */
    const char *model;    /* "resnet50" or "*" */
    const char *scenario; /* "Server" or "*" */
    const char *name;     /* "target_latency" */
    const char *value;    /* the value as written: "15" */
} lg_config_entry;

/* Number of lines loaded (comments and blank lines excluded), in load order. */
size_t lg_config_entry_count(const lg_config *c);

/* Fills *out with entry i (< lg_config_entry_count). Returns 0 or LG_EINVAL. */
int lg_config_entry_get(const lg_config *c, size_t i, lg_config_entry *out);

/* What a loaded line does in a run of model `model` in scenario `scenario`. */
typedef enum lg_config_status {
    LG_CONF_ENTRY_APPLIED = 0,        /* it gives the value of a setting */
    LG_CONF_ENTRY_OVERRIDDEN = 1,     /* it matches, but a later file, a more specific
                                         key or a later line for the same key wins */
    LG_CONF_ENTRY_OTHER_MODEL = 2,    /* it names another model (in a user file this is
                                         often a misspelled model name: worth a warning) */
    LG_CONF_ENTRY_OTHER_SCENARIO = 3, /* it names a scenario this run does not read it for */
    LG_CONF_ENTRY_IGNORED = 4,        /* a key accepted with no effect (target_duration,
                                         target_latency_percentile under Offline) */
} lg_config_status;

/* Returns the lg_config_status (>= 0) of entry i for a run of model (NULL = no
 * model, as in lg_config_apply) in scenario, or LG_EINVAL for a bad argument. */
int lg_config_entry_status(const lg_config *c, size_t i, const char *model,
                           lg_scenario scenario);

/* Returns a static lower-case word for a status ("applied", "overridden", "other
 * model", "other scenario", "ignored"); "unknown" for other values. */
const char *lg_config_entry_status_name(int status);

/* ------------------------------------------------------------------------------------
 * The settings table: every lg_settings field (but reserved) is one row, with its name,
 * type, default, range, config key, command-line flag, detail-log line and doc. The
 * defaults, the single-field checks of lg_settings_check, the config keys, the
 * program's settings flags and its docs all come from it. Rows are in MLPerf's
 * detail-log order, not the struct's. Pure functions: any thread, any time.
 * ---------------------------------------------------------------------------------- */

/* Bit masks of scenarios: bit (1u << LG_SINGLE_STREAM) and so on. */
#define LG_SCENARIO_BIT(s) (1u << (unsigned)(s))
#define LG_SCENARIO_ALL 0xfu

/* Number of fields of lg_settings described by the table (every field). */
size_t lg_settings_field_count(void);

/* The field's name in lg_settings, e.g. "server_target_qps"; NULL when i is out of
 * range. Static string. */
const char *lg_settings_field_name(size_t i);

/* The config key that sets the field ("target_qps"), or NULL when no key does (e.g.
 * scenario, server_issue_threads_registered) or i is out of range. Static string. */
const char *lg_settings_field_conf_key(size_t i);

/* The unit of the field's value in lg_settings: "ns", "ms", "1/s" (per second),
 * "fraction" (0..1), "count", "bool", "seed", "index", "enum". NULL when i is out of
 * range. Static string. */
const char *lg_settings_field_unit(size_t i);

/* The unit of the value in a config file: "ms", "percent", "1/s", "count", "0/1",
 * "seed", "index", "enum"; NULL when the field has no key or i is out of range. */
const char *lg_settings_field_conf_unit(size_t i);

/* The scenarios in which the field affects a run (LG_SCENARIO_BIT mask; 0 when i is
 * out of range). */
unsigned lg_settings_field_scenarios(size_t i);

/* A one-line English description of the field; NULL when i is out of range. */
const char *lg_settings_field_doc(size_t i);

/* Index of the field named `name` (as lg_settings_field_name), or LG_EINVAL. */
int lg_settings_field_find(const char *name);

/* Writes field i of s as text into buf (up to len bytes, NUL-terminated; buf may be NULL
 * when len is 0): numbers exactly (the shortest text that reads back to the same
 * double), booleans "true"/"false", scenario and mode by name ("Server",
 * "PerformanceOnly"). Returns the length needed, as snprintf, or LG_EINVAL. */
int lg_settings_field_format(const lg_settings *s, size_t i, char *buf, size_t len);

/*
 * Sets field i of s from text in the field's own unit (ns for *_ns fields, a fraction
 * for percentiles; not the config file's unit): for the command line's generic setter.
 * Accepts what the config grammar accepts for a number of the field's type, booleans as
 * 0/1/true/false, scenario and mode by name (lg_scenario_parse, lg_mode_parse). Range
 * checks are those of the config key, converted to the field's unit.
 * Returns 0, or LG_EINVAL with a message (s unchanged).
 */
int lg_settings_field_set(lg_settings *s, size_t i, const char *text, char *err,
                          size_t errlen);

/* Writes field i's default (lg_settings_default's value) as lg_settings_field_format
 * would. Returns the length needed, as snprintf, or LG_EINVAL. */
int lg_settings_field_default(size_t i, char *buf, size_t len);

/* Writes the values field i takes, in its own unit: "at least 1 and at most 1048576
 * (count)", "above 0 and below 1 (fraction)", "0 or 1 (false or true)". Returns the
 * length needed, as snprintf, or LG_EINVAL. */
int lg_settings_field_range(size_t i, char *buf, size_t len);

/* The command-line flag that sets field i, without "--" ("target-qps"), or NULL when
 * none does (use the program's --set). Several fields can share a flag: it sets them all
 * (--target-latency-ms sets the Server bound and the SingleStream and MultiStream
 * hints). Static string. */
const char *lg_settings_field_flag(size_t i);

/* The unit of the flag's value ("ms" for --target-latency-ms, else the field's own), or
 * NULL when the field has no flag. */
const char *lg_settings_field_flag_unit(size_t i);

/* Writes field i's default in its flag's unit (e.g. "100" ms for server_target_latency_ns,
 * whose default is 100000000 ns), as --help shows it. Returns the length needed, as
 * snprintf, or LG_EINVAL when the field has no flag. */
int lg_settings_field_flag_default(size_t i, char *buf, size_t len);

/* The flag's one-line help, on the first field of each flag; NULL on the others. */
const char *lg_settings_field_flag_help(size_t i);

/* Sets every field that `flag` (without "--") sets, from text in the flag's unit, all or
 * none. Returns how many fields it set (> 0), or LG_EINVAL with a message naming the
 * flag ("--target-qps: '0' is out of range; it must be ...") and s unchanged. */
int lg_settings_flag_set(lg_settings *s, const char *flag, const char *text, char *err,
                         size_t errlen);

/* Settings by name: lg_settings_field_set / lg_settings_field_format on the field named
 * `name`. An unknown name gives LG_EINVAL (lg_settings_set: with a did-you-mean). */
int lg_settings_set(lg_settings *s, const char *name, const char *text, char *err,
                    size_t errlen);
int lg_settings_get(const lg_settings *s, const char *name, char *buf, size_t len);

/*
 * The one number grammar of config files, the settings API and the program's flags.
 * Whole numbers: decimal without a leading zero ("010" is refused: MLPerf would read it
 * as octal), or 0x hexadecimal, an optional '+'. Reals: [+-] digits [. digits]
 * [e [+-] digits], or a 0x whole number; no inf, nan, hexadecimal floats or spaces. At
 * most 256 characters. Locale-independent. Returns 0, or LG_EINVAL with a message
 * quoting the text ("'1.5' is not a whole number; ...").
 */
int lg_parse_u64(const char *text, uint64_t *out, char *err, size_t errlen);
int lg_parse_double(const char *text, double *out, char *err, size_t errlen);

/* ------------------------------------------------------------------------------------
 * MLPerf's own API on these files: what TestSettings::FromConfig and StartTest's
 * audit.config do, with this reader's rules, for the bindings that mirror MLPerf's
 * API (python/ and cpp/; docs/porting.md). Kept here so that both apply one rule.
 * ---------------------------------------------------------------------------------- */

/*
 * MLPerf's TestSettings::FromConfig(path, model, scenario, conf_type) on *s: reads path
 * strictly and applies its lines for model ("" or "*": none) in scenario (a name
 * lg_scenario_parse knows, "SingleStream" ...). conf_type 1 (MLPerf's default) reads
 * path as the kind its name gives (lg_config_kind_from_path); 0 and 2 read it as an
 * mlperf.conf (MLPerf embeds its own mlperf.conf for 0 and applies audit.config as 2;
 * this library embeds none, so the file is always path). *s changes only on success.
 * Returns MLPerf's codes: 0; -ENOENT when path cannot be read; -EINVAL for an unknown
 * scenario, a bad line (an unknown key, a bad value) or memory that ran out. err
 * receives the reason, naming the file and line (up to len bytes; may be NULL when len
 * is 0). Thread-safe.
 */
int lg_config_from_mlperf(lg_settings *s, const char *path, const char *model,
                          const char *scenario, int conf_type, char *err, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LOADGEN_CONFIG_H */
