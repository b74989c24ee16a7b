/* cli/arrival.c: the arrival pattern's lists on the command line (docs/arrival.md):
 * --stages (k6's stages) and --trace (a file of arrival times, with request lengths for
 * the LLM formats), which the settings table cannot hold, and what a trace means for the
 * built-in QSL and SUT: one sample per row, and the row's lengths for the synthetic
 * SUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/internal.h"

/* "90s", "1.5m", "250ms", "2h" as ns; false with the message printed. */
static bool stage_duration(const char *cmd, const char *item, const char *text, int64_t *ns)
{
    static const struct { const char *unit; double ns; } units[] = {
        {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    char sh[CLI_SHOWN_LEN], num[64];
    size_t k = strlen(text);
    while (k > 0 && text[k - 1] >= 'a' && text[k - 1] <= 'z')
        k--;
    double scale = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(text + k, units[i].unit))
            scale = units[i].ns;
    double d = 0;
    char err[256];
    bool ok = scale > 0 && k > 0 && k < sizeof num;
    if (ok) {
        memcpy(num, text, k);
        num[k] = '\0';
        ok = lg_parse_double(num, &d, err, sizeof err) == 0 && d > 0 && d * scale <= 3.15e16;
    }
    if (!ok)
        fprintf(stderr, "loadgen %s: --stages: '%s': the duration '%s' must be a number above "
                "0 with a unit ms, s, m or h (e.g. 30s:100), at most a year\n", cmd,
                cli_shown(item, sh), text);
    else
        *ns = (int64_t)(d * scale + 0.5);
    return ok;
}

int cli_arrival_parse_stages(cli_run_opts *o, const char *a, const char *cmd)
{
    char buf[4096], sh[CLI_SHOWN_LEN];
    if (strlen(a) >= sizeof buf) {
        fprintf(stderr, "loadgen %s: --stages: '%s' is too long\n", cmd, cli_shown(a, sh));
        return CLI_EXIT_USAGE;
    }
    snprintf(buf, sizeof buf, "%s", a);
    size_t n = 0;
    for (char *item = buf, *next; item; item = next) {
        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        char *colon = strchr(item, ':');
        if (!colon || n == CLI_MAX_STAGES) {
            fprintf(stderr, "loadgen %s: --stages: '%s': %s\n", cmd, cli_shown(item, sh),
                    colon ? "more than 64 stages"
                          : "expected DURATION:RATE, e.g. --stages 30s:100,1m:500,30s:0");
            return CLI_EXIT_USAGE;
        }
        *colon = '\0';
        lg_arrival_stage *st = &o->arr.stages[n];
        char err[256];
        if (!stage_duration(cmd, item, item, &st->duration_ns))
            return CLI_EXIT_USAGE;
        if (lg_parse_double(colon + 1, &st->target_qps, err, sizeof err) ||
            !(st->target_qps >= 0 && st->target_qps <= LG_MAX_QPS)) {
            fprintf(stderr, "loadgen %s: --stages: stage %zu: the rate '%s' must be a number "
                    "from 0 to %g (queries per second)\n", cmd, n + 1,
                    cli_shown(colon + 1, sh), LG_MAX_QPS);
            return CLI_EXIT_USAGE;
        }
        n++;
    }
    o->arr.nstages = n;
    o->arr.stages_text = a;
    return -1;
}

/* The trace's format: --trace-format, else from the file's name (.csv Azure, .jsonl
 * Mooncake, anything else plain). */
static int trace_format(const cli_run_opts *o, const char *cmd, lg_trace_format *f)
{
    char sh[CLI_SHOWN_LEN];
    if (o->arr.trace_format) {
        if (lg_trace_format_parse(o->arr.trace_format, f) == 0)
            return -1;
        fprintf(stderr, "loadgen %s: --trace-format: unknown format '%s' (plain, azure or "
                "mooncake)\n", cmd, cli_shown(o->arr.trace_format, sh));
        return CLI_EXIT_USAGE;
    }
    const char *dot = strrchr(o->arr.trace_path, '.');
    *f = dot && !strcmp(dot, ".csv")     ? LG_TRACE_AZURE
         : dot && !strcmp(dot, ".jsonl") ? LG_TRACE_MOONCAKE
                                         : LG_TRACE_PLAIN;
    return -1;
}

/* Reads --trace once. -1, or an exit code. */
static int load_trace(cli_run_opts *o, const char *cmd)
{
    if (o->arr.trace_loaded)
        return -1;
    lg_trace_format f;
    int rc = trace_format(o, cmd, &f);
    if (rc >= 0)
        return rc;
    char err[1024];
    int lr = lg_trace_load(o->arr.trace_path, f, &o->arr.trace, err, sizeof err);
    if (lr) {
        fprintf(stderr, "loadgen %s: --trace: %s\n", cmd, err);
        return lr == LG_ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
    }
    o->arr.trace_loaded = true;
    return -1;
}

/* --stages and --trace choose their pattern; another pattern with them is a mistake. */
static int pick_pattern(cli_run_opts *o, const char *cmd)
{
    bool stages = o->arr.nstages > 0, trace = o->arr.trace_path != NULL;
    if (stages && trace) {
        fprintf(stderr, "loadgen %s: --stages and --trace: give one arrival pattern\n", cmd);
        return CLI_EXIT_USAGE;
    }
    int f = lg_settings_field_find("arrival");
    bool given = f >= 0 && f < CLI_MAX_FIELDS && o->origins[f].source != LG_CONF_SRC_DEFAULT;
    lg_arrival want = stages ? LG_ARRIVAL_STAGES : LG_ARRIVAL_TRACE;
    if ((stages || trace) && !given)
        o->s.arrival = want;
    else if ((stages || trace) && o->s.arrival != want) {
        fprintf(stderr, "loadgen %s: %s needs --arrival %s (--arrival is %s)\n", cmd,
                stages ? "--stages" : "--trace", lg_arrival_name(want),
                lg_arrival_name(o->s.arrival));
        return CLI_EXIT_USAGE;
    }
    if (o->s.arrival == LG_ARRIVAL_STAGES && !stages) {
        fprintf(stderr, "loadgen %s: --arrival stages needs --stages DURATION:RATE,... "
                "(e.g. --stages 30s:100,1m:500,30s:0)\n", cmd);
        return CLI_EXIT_USAGE;
    }
    if (o->s.arrival == LG_ARRIVAL_TRACE && !trace) {
        fprintf(stderr, "loadgen %s: --arrival trace needs --trace FILE\n", cmd);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

int cli_arrival_apply(cli_run_opts *o, const char *cmd)
{
    int rc = pick_pattern(o, cmd);
    if (rc >= 0)
        return rc;
    if (o->arr.nstages) {
        o->s.arrival_stages = o->arr.stages;
        o->s.arrival_stage_count = o->arr.nstages;
    }
    if (!o->arr.trace_path)
        return -1;
    if ((rc = load_trace(o, cmd)) >= 0)
        return rc;
    const lg_trace *t = &o->arr.trace;
    o->s.arrival_trace_ns = t->time_ns;
    o->s.arrival_trace_count = t->count;
    /* The built-in QSL: a sample per row when the rows have lengths, and every sample
     * loaded, as query i issues sample i mod the total. */
    if (t->output_tokens && !o->total_given)
        o->total = t->count;
    if (!o->performance_given)
        o->performance = o->total;
    /* The synthetic SUT streams each row's lengths when the test records tokens (else
     * its first tokens would only be counted as ignored). */
    bool tokens = o->s.use_token_latencies || o->s.slo_ttft_ns || o->s.slo_tpot_ns ||
                  o->s.slo_e2e_ns;
    if (t->output_tokens && tokens) {
        o->syn.input_tokens = t->input_tokens;
        o->syn.output_tokens = t->output_tokens;
        o->syn.length_count = t->count;
    }
    return -1;
}

void cli_arrival_free(cli_run_opts *o)
{
    lg_trace_free(&o->arr.trace);
    o->arr.trace_loaded = false;
    o->s.arrival_trace_ns = NULL;
    o->s.arrival_trace_count = 0;
    o->syn.input_tokens = o->syn.output_tokens = NULL;
    o->syn.length_count = 0;
}
