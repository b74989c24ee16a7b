/* cli/flags.c: the command line's grammar shared by every subcommand: numbers in the
 * library's one grammar, values shown cut short in messages, and "--name VALUE" /
 * "--name=VALUE". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"

/* ---------------------------------------------------------------- numbers */

const char *cli_shown(const char *text, char *buf)
{
    size_t n = strlen(text ? text : "");
    if (n <= 64) {
        snprintf(buf, CLI_SHOWN_LEN, "%s", text ? text : "");
        return buf;
    }
    /* Cut before a UTF-8 continuation byte so that the message stays valid text. */
    size_t k = 64;
    while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80)
        k--;
    snprintf(buf, CLI_SHOWN_LEN, "%.*s... (%zu chars)", (int)k, text, n);
    return buf;
}

/* Numbers take the library's one grammar (lg_parse_u64, lg_parse_double: the same as
 * config files and --set), then the flag's range. */
bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t lo,
                   uint64_t hi, uint64_t *out)
{
    char err[CLI_SHOWN_LEN + 128];
    uint64_t v;
    if (lg_parse_u64(text ? text : "", &v, err, sizeof err)) {
        fprintf(stderr, "loadgen %s: %s: %s\n", cmd, flag, err);
        return false;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "loadgen %s: %s: %llu is out of range [%llu, %llu]\n", cmd, flag,
                (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_double(const char *cmd, const char *flag, const char *text, double lo,
                      double hi, bool lo_open, bool hi_open, double *out)
{
    char err[CLI_SHOWN_LEN + 128];
    double v;
    if (lg_parse_double(text ? text : "", &v, err, sizeof err)) {
        fprintf(stderr, "loadgen %s: %s: %s\n", cmd, flag, err);
        return false;
    }
    if ((lo_open ? v <= lo : v < lo) || (hi_open ? v >= hi : v > hi)) {
        fprintf(stderr, "loadgen %s: %s: %g is out of range %c%g, %g%c\n", cmd, flag, v,
                lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
        return false;
    }
    *out = v;
    return true;
}

/* ---------------------------------------------------------------- flag values */

/* The analysis commands (validate, compare, report, stats) walk argv with these; run,
 * config and demo take getopt_long's grammar (run_options.c). */

bool cli_is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

bool cli_any_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i]))
            return true;
    return false;
}

bool cli_value_refused(const char *cmd, const char *flag, const char *val)
{
    if (!val || strncmp(val, "--", 2))
        return false;
    char shown[CLI_SHOWN_LEN];
    fprintf(stderr, "loadgen %s: %s: '%s' is not a value (a value cannot start with '--': "
            "is %s's value missing? For a path of that name write ./%s)\n", cmd, flag,
            cli_shown(val, shown), flag, shown);
    return true;
}

int cli_flag_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                   const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n))
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return cli_value_refused(cmd, name, *val) ? -1 : 1;
    }
    if (a[n])
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "loadgen %s: %s needs a value (see loadgen %s --help)\n", cmd, name,
                cmd);
        return -1;
    }
    *val = argv[++*i];
    return cli_value_refused(cmd, name, *val) ? -1 : 1;
}

int cli_unknown_option(const char *cmd, const char *a)
{
    fprintf(stderr, "loadgen %s: unknown option '%s' (see loadgen %s --help)\n", cmd, a, cmd);
    return CLI_EXIT_USAGE;
}

int cli_bootstrap_flag(const char *cmd, int argc, char **argv, int *i, size_t *resamples,
                       unsigned long *seed)
{
    const char *val;
    uint64_t u;
    int r;
    if ((r = cli_flag_value(cmd, argc, argv, i, "--resamples", &val))) {
        if (r < 0 || !cli_parse_u64(cmd, "--resamples", val, 100, 10000000, &u))
            return -1;
        *resamples = (size_t)u;
        return 1;
    }
    if ((r = cli_flag_value(cmd, argc, argv, i, "--seed", &val))) {
        if (r < 0 || !cli_parse_u64(cmd, "--seed", val, 0, UINT32_MAX, &u))
            return -1;
        *seed = (unsigned long)u;
        return 1;
    }
    return 0;
}
