/* cli/config.c: `loadgen config --explain`: every effective setting of a run, its unit
 * and where its value came from, and the config lines that set nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"

static void config_help(FILE *f)
{
    fputs("usage: loadgen config [--explain] [--all] [run options]\n"
          "       loadgen config --settings\n"
          "\n"
          "Prints every effective setting of the run these options describe, its unit and\n"
          "where its value came from: the built-in default, a config file line, a flag or\n"
          "the SUT's capacity. Then lists the config lines that do not apply to this run\n"
          "(another model or scenario, or overridden) so a typo'd model name shows.\n"
          "The lines of an mlperf.conf-kind file for other models (there are many, and\n"
          "they are normal there) are counted on one line; --all lists them too.\n"
          "Precedence, later winning: defaults < mlperf.conf < user.conf < flags.\n"
          "\n"
          "--settings prints the table of every setting (unit, default, range, config\n"
          "key, flag, doc) as Markdown, as docs/configuration.md shows it.\n"
          "\n"
          "Example:\n"
          "  loadgen config --explain --conf mlperf.conf --conf user.conf \\\n"
          "      --model resnet50 --scenario Server --target-qps 900\n"
          "Exit code: 0, or 2 for a bad option or config file.\n",
          f);
}

/* `loadgen config --settings`: the library's settings table as Markdown, the table of
 * docs/configuration.md (a test keeps the two the same). */
static int settings_markdown(void)
{
    puts("| setting | unit | default | range | config key | flag | scenarios | what it does |");
    puts("|---|---|---|---|---|---|---|---|");
    static const char *const scen[] = {"SingleStream", "MultiStream", "Server", "Offline"};
    for (size_t i = 0; i < lg_settings_field_count(); i++) {
        char dflt[64], range[160], key[96] = "", flag[96] = "", sc[64] = "";
        lg_settings_field_default(i, dflt, sizeof dflt);
        lg_settings_field_range(i, range, sizeof range);
        const char *k = lg_settings_field_conf_key(i), *fl = lg_settings_field_flag(i);
        if (k)
            snprintf(key, sizeof key, "`%s` (%s)", k, lg_settings_field_conf_unit(i));
        if (fl && strcmp(lg_settings_field_flag_unit(i), lg_settings_field_unit(i)))
            snprintf(flag, sizeof flag, "`--%s` (%s)", fl, lg_settings_field_flag_unit(i));
        else if (fl)
            snprintf(flag, sizeof flag, "`--%s`", fl);
        unsigned m = lg_settings_field_scenarios(i);
        size_t n = 0;
        for (int j = 0; j < 4; j++)
            if (m != LG_SCENARIO_ALL && (m & LG_SCENARIO_BIT(j)))
                n += (size_t)snprintf(sc + n, sizeof sc - n, "%s%s", n ? ", " : "", scen[j]);
        printf("| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", lg_settings_field_name(i),
               lg_settings_field_unit(i), dflt, range, key, flag, n ? sc : "all",
               lg_settings_field_doc(i));
    }
    return CLI_EXIT_VALID;
}

/* Lists the config lines that set nothing in this run. The lines of mlperf.conf-kind
 * files for other models are normal (the file serves every benchmark): unless `all`,
 * they are counted, with how many models they name, instead of listed. A user.conf's
 * line for another model is always listed: it is often a misspelled model name. */
static void list_unused_lines(const cli_run_opts *o, bool all)
{
    size_t ne = lg_config_entry_count(o->cfg), hidden = 0, models = 0;
    const char **seen = calloc(ne ? ne : 1, sizeof *seen);
    bool header = false;
    for (size_t i = 0; i < ne; i++) {
        int st = lg_config_entry_status(o->cfg, i, o->model, o->s.scenario);
        lg_config_entry e;
        if (st == LG_CONF_ENTRY_APPLIED || st < 0 || lg_config_entry_get(o->cfg, i, &e))
            continue;
        if (!all && st == LG_CONF_ENTRY_OTHER_MODEL && e.kind == LG_CONF_MLPERF) {
            hidden++;
            size_t k = 0;
            while (seen && k < models && strcmp(seen[k], e.model))
                k++;
            if (seen && k == models)
                seen[models++] = e.model;
            continue;
        }
        if (!header) {
            printf("\nConfig lines that do not set anything in this run:\n");
            header = true;
        }
        printf("  %s:%d  %s = %s  (%s)\n", e.file, e.line, e.key, e.value,
               lg_config_entry_status_name(st));
    }
    if (hidden) {
        if (!header)
            printf("\nConfig lines that do not set anything in this run:\n");
        if (seen)
            printf("  %zu line%s of mlperf.conf-kind files for other models (%zu model%s) "
                   "not shown; --all shows them\n", hidden, hidden == 1 ? "" : "s", models,
                   models == 1 ? "" : "s");
        else
            printf("  %zu line%s of mlperf.conf-kind files for other models not shown; "
                   "--all shows them\n", hidden, hidden == 1 ? "" : "s");
    }
    free(seen);
}

int cli_config(int argc, char **argv)
{
    if (cli_any_help(argc, argv)) {
        config_help(stdout);
        return CLI_EXIT_VALID;
    }
    if (argc == 2 && !strcmp(argv[1], "--settings"))
        return settings_markdown();
    /* --all is config's own flag: taken out before the run options are parsed. */
    char **args = malloc(((size_t)argc + 1) * sizeof *args);
    if (!args) {
        fprintf(stderr, "loadgen config: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    int nargs = 0;
    bool all = false;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--all"))
            all = true;
        else
            args[nargs++] = argv[i];
    }
    args[nargs] = NULL;
    cli_run_opts o;
    cli_run_opts_default(&o);
    int rc = cli_run_parse(nargs, args, &o, "config");
    if (rc < 0)
        rc = cli_resolve_settings(&o, "config", false);
    if (rc >= 0) {
        cli_run_opts_free(&o);
        free(args);
        return rc;
    }
    printf("Effective settings for %s%s%s (scenario %s):\n\n", o.model ? "model " : "",
           o.model ? o.model : "no model", "", lg_scenario_name(o.s.scenario));
    printf("%-42s %-22s %-8s %s\n", "setting", "value", "unit", "from");
    size_t n = lg_settings_field_count();
    /* A sample timeout of 0 means "the scenario's default": show the value the test
     * would use, which is what the user needs to know (it can be minutes long). */
    int timeout_field = lg_settings_field_find("sample_timeout_ns");
    lg_qsl qsl = {.total_sample_count = o.total, .performance_sample_count = o.performance};
    int64_t timeout_ns = lg_settings_effective_timeout_ns(&o.s, &qsl);
    for (size_t i = 0; i < n && i < CLI_MAX_FIELDS; i++) {
        char v[64], from[512];
        lg_settings_field_format(&o.s, i, v, sizeof v);
        if (o.origins[i].source == LG_CONF_SRC_CALLER && o.origins[i].file &&
            !strncmp(o.origins[i].file, "derived", 7))
            snprintf(from, sizeof from, "%s", o.origins[i].file);
        else
            lg_config_origin_format(&o.origins[i], from, sizeof from);
        if ((int)i == timeout_field && o.s.sample_timeout_ns == 0 && timeout_ns > 0) {
            double sec = (double)timeout_ns / 1e9;
            snprintf(v, sizeof v, "%lld", (long long)timeout_ns);
            snprintf(from, sizeof from, "default for %s (%.3g %s; 0 = automatic)",
                     lg_scenario_name(o.s.scenario), sec < 120 ? sec : sec / 60,
                     sec < 120 ? "s" : "min");
        }
        const char *unit = lg_settings_field_unit(i);
        printf("%-42s %-22s %-8s %s\n", lg_settings_field_name(i), v, unit ? unit : "",
               from);
    }
    if (o.cfg)
        list_unused_lines(&o, all);
    cli_run_opts_free(&o);
    free(args);
    return CLI_EXIT_VALID;
}
