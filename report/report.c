/* report.c: the performance report: loads and validates result folders, compares each
 * with the first folder of the same scenario and kind, and lays the findings out as a
 * document (doc.c) in the sections Executive Summary, Methodology, Detailed Results,
 * Statistical Validation, Comparison and Recommendations. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/internal.h"

typedef struct entry {
    rpt_set *set;
    rpt_validation *val;   /* one per run of the set */
    rpt_metrics *metrics;  /* NULL when they could not be formed (see err) */
    char metrics_err[RPT_TEXT_MAX];
    size_t baseline;       /* entry compared against, or SIZE_MAX */
    rpt_comparison *cmp;
    char cmp_err[RPT_TEXT_MAX];
    size_t *machine;       /* per run: its index in rpt_report.machines, or SIZE_MAX */
} entry;

struct rpt_report {
    rpt_report_opts opts;
    entry *e;
    size_t n;
    rpt_environment env;       /* the machine the report is made on */
    rpt_environment *machines; /* the distinct machines the runs ran on */
    size_t n_machines;
    size_t unrecorded;         /* runs whose results.json records no machine */
    rpt_doc *doc;
};

void rpt_report_opts_default(rpt_report_opts *o)
{
    memset(o, 0, sizeof *o);
    rpt_validate_opts_default(&o->validate);
    rpt_compare_opts_default(&o->compare);
    o->title = NULL;
}

/* ---------------------------------------------------------------- helpers */

static void environment(rpt_report *r);

static const rpt_run_info *first_info(const entry *e)
{
    return rpt_run_get_info(rpt_set_run(e->set, 0));
}

static bool is_set(const entry *e)
{
    return rpt_set_get_kind(e->set) == RPT_SET_REPETITIONS;
}

static rpt_verdict worst_verdict(const entry *e)
{
    rpt_verdict w = RPT_TRUSTWORTHY;
    for (size_t i = 0; i < rpt_set_count(e->set); i++)
        if (e->val[i].verdict > w)
            w = e->val[i].verdict;
    return w;
}

/* lg_format_ns() where a cell needs the text as a value. */
static const char *ns_text(char *buf, size_t len, double ns)
{
    lg_format_ns(ns, buf, len);
    return buf;
}

static const char *unit_text(char *buf, size_t len, double v, const char *unit)
{
    rpt_format_value(buf, len, v, unit);
    return buf;
}

static const char *pct_text(char *buf, size_t len, double f)
{
    rpt_format_pct(buf, len, f);
    return buf;
}

static const char *plain_pct(char *buf, size_t len, double f)
{
    if (isfinite(f))
        snprintf(buf, len, "%.2f%%", f * 100);
    else
        snprintf(buf, len, "n/a");
    return buf;
}

/* The TTFT p99, TPOT p99 and tokens/s cells of a run that records tokens. */
static void token_cells(rpt_doc *d, const lg_results *r)
{
    char a[RPT_FORMAT_MAX];
    rpt__doc_cell(d, "%s", ns_text(a, sizeof a, (double)r->tokens.ttft.p99_ns));
    rpt__doc_cell(d, "%s", ns_text(a, sizeof a, (double)r->tokens.tpot.p99_ns));
    rpt__doc_cell(d, "%.1f tokens/s", rpt__token_rate(r));
}

/* The same cells for a folder: a single run's, or a repetition set's means over its runs. */
static void folder_token_cells(rpt_doc *d, const entry *e)
{
    size_t n = rpt_set_count(e->set);
    if (n == 1) {
        token_cells(d, &first_info(e)->results);
        return;
    }
    double ttft = 0, tpot = 0, rate = 0;
    for (size_t k = 0; k < n; k++) {
        const lg_results *r = &rpt_run_get_info(rpt_set_run(e->set, k))->results;
        ttft += (double)r->tokens.ttft.p99_ns / (double)n;
        tpot += (double)r->tokens.tpot.p99_ns / (double)n;
        rate += rpt__token_rate(r) / (double)n;
    }
    char a[RPT_FORMAT_MAX];
    rpt__doc_cell(d, "mean %s", ns_text(a, sizeof a, ttft));
    rpt__doc_cell(d, "mean %s", ns_text(a, sizeof a, tpot));
    rpt__doc_cell(d, "mean %.1f tokens/s", rate);
}

/* True when every folder's runs all record tokens: the folder tables then add token
 * columns. */
static bool all_tokens(const rpt_report *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (!rpt__set_has_tokens(r->e[i].set))
            return false;
    return r->n > 0;
}

/* "throughput", "latency_p99" -> words for the reader. */
static const char *metric_words(const char *name)
{
    static const struct { const char *id, *words; } w[] = {
        {"throughput", "throughput"},
        {"latency_mean", "mean latency"},
        {"latency_p50", "p50 latency"},
        {"latency_p90", "p90 latency"},
        {"latency_p99", "p99 latency"},
        {"ttft_p99", "p99 TTFT"},
        {"tpot_p99", "p99 TPOT"},
        {"tokens_per_sec", "tokens per second"},
        {"value", "value"},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (!strcmp(name, w[i].id))
            return w[i].words;
    return name;
}

/* ---------------------------------------------------------------- sections */

static void executive_summary(rpt_report *r)
{
    rpt_doc *d = r->doc;
    rpt__doc_section(d, "Executive Summary", "executive-summary");
    rpt__doc_para(d, "%zu result folder%s analysed on %s. A run is trustworthy when every "
                  "check of the Statistical Validation section passes, usable with caveats "
                  "when some only warn, and not trustworthy when one fails.", r->n,
                  r->n == 1 ? "" : "s", r->env.date_utc);
    bool tok = all_tokens(r);
    rpt__doc_table(d, tok ? 10 : 7);
    const char *hdr[10] = {"#", "folder", "scenario", "runs", "LoadGen verdict",
                           "metric (unit)", "validation", "TTFT p99", "TPOT p99", "tokens/s"};
    for (int i = 0; i < (tok ? 10 : 7); i++)
        rpt__doc_cell(d, "%s", hdr[i]);
    size_t bad = 0, caveat = 0;
    for (size_t i = 0; i < r->n; i++) {
        const entry *e = &r->e[i];
        const rpt_run_info *in = first_info(e);
        size_t n = rpt_set_count(e->set), valid = 0;
        for (size_t k = 0; k < n; k++)
            valid += rpt_run_get_info(rpt_set_run(e->set, k))->results.valid;
        char m[64];
        rpt__doc_cell(d, "#%zu", i + 1);
        rpt__doc_cell(d, "%s", rpt_set_dir(e->set));
        rpt__doc_cell(d, "%s", lg_scenario_name(in->results.scenario));
        rpt__doc_cell(d, is_set(e) ? "%zu repetitions" : "%zu run", n);
        if (n == 1)
            rpt__doc_cell(d, "%s", valid ? "VALID" : "INVALID");
        else
            rpt__doc_cell(d, "%zu of %zu VALID", valid, n);
        if (n == 1) {
            rpt__doc_cell(d, "%s = %s", in->results.metric_name,
                          unit_text(m, sizeof m, in->results.metric, in->results.metric_unit));
        } else {
            double *v = malloc(n * sizeof *v);
            stats_describe_result ds;
            for (size_t k = 0; v && k < n; k++)
                v[k] = rpt_run_get_info(rpt_set_run(e->set, k))->results.metric;
            if (v && stats_describe(v, n, &ds) == 0) {
                char cv[32];
                rpt__doc_cell(d, "%s: mean %s (CV %s)", in->results.metric_name,
                              unit_text(m, sizeof m, ds.mean, in->results.metric_unit),
                              plain_pct(cv, sizeof cv, ds.cv));
            } else {
                rpt__doc_cell(d, "%s", in->results.metric_name);
            }
            free(v);
        }
        rpt_verdict w = worst_verdict(e);
        bad += w == RPT_NOT_TRUSTWORTHY;
        caveat += w == RPT_USABLE_WITH_CAVEATS;
        if (n == 1) {
            rpt__doc_cell(d, "%s", rpt_verdict_name(w));
        } else {
            size_t c[3] = {0};
            for (size_t k = 0; k < n; k++)
                c[e->val[k].verdict]++;
            rpt__doc_cell(d, "%zu trustworthy, %zu with caveats, %zu not trustworthy", c[0],
                          c[1], c[2]);
        }
        if (tok)
            folder_token_cells(d, e);
    }
    /* A distributed run is never MLPerf-valid whatever its LoadGen verdict above: said
     * here, where a reader who stops at the summary sees it. */
    bool any_dist = false;
    for (size_t i = 0; i < r->n; i++) {
        const entry *e = &r->e[i];
        for (size_t k = 0; k < rpt_set_count(e->set); k++) {
            const rpt_run_info *ri = rpt_run_get_info(rpt_set_run(e->set, k));
            if (!ri->distributed.present)
                continue;
            if (!any_dist)
                rpt__doc_list(d);
            any_dist = true;
            char label[600];
            const char *base = strrchr(ri->dir, '/');
            if (is_set(e))
                snprintf(label, sizeof label, "#%zu %s, run %s", i + 1, rpt_set_dir(e->set),
                         base ? base + 1 : ri->dir);
            else
                snprintf(label, sizeof label, "#%zu %s", i + 1, rpt_set_dir(e->set));
            rpt__dist_summary(d, ri, label);
        }
    }
    bool any_cmp = false;
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].baseline != SIZE_MAX)
            any_cmp = true;
    if (any_cmp) {
        rpt__doc_para(d, "Comparisons (each folder against the first folder of the same "
                      "scenario and kind; change = candidate / baseline - 1 with its %.0f%% "
                      "confidence interval):", r->opts.compare.confidence > 0
                      ? r->opts.compare.confidence * 100 : (1 - r->opts.compare.alpha) * 100);
        rpt__doc_list(d);
        for (size_t i = 0; i < r->n; i++) {
            const entry *e = &r->e[i];
            if (e->baseline == SIZE_MAX)
                continue;
            if (!e->cmp) {
                rpt__doc_item(d, "#%zu against #%zu: not compared (%s)", i + 1, e->baseline + 1,
                              e->cmp_err);
                continue;
            }
            char line[1024];
            size_t len = (size_t)snprintf(line, sizeof line, "#%zu against #%zu:", i + 1,
                                          e->baseline + 1);
            for (size_t k = 0; k < rpt_comparison_count(e->cmp) && len < sizeof line; k++) {
                const rpt_metric_cmp *c = rpt_comparison_get(e->cmp, k);
                char ch[24], lo[24], hi[24];
                len += (size_t)snprintf(line + len, sizeof line - len,
                                        "%s %s %s (%s, CI [%s, %s])", k ? ";" : "",
                                        metric_words(c->name), rpt_change_name(c->verdict),
                                        pct_text(ch, sizeof ch, c->change),
                                        pct_text(lo, sizeof lo, c->change_lo),
                                        pct_text(hi, sizeof hi, c->change_hi));
            }
            rpt__doc_item(d, "%s", line);
        }
    }
    if (bad)
        rpt__doc_para(d, "Bottom line: %zu of %zu folder%s hold a run that is not trustworthy; "
                      "the Recommendations section says what to change.", bad, r->n,
                      r->n == 1 ? "" : "s");
    else if (caveat)
        rpt__doc_para(d, "Bottom line: the figures are usable, with the caveats listed under "
                      "Statistical Validation; the Recommendations section says how to remove "
                      "them.");
    else
        rpt__doc_para(d, "Bottom line: every run passed every check.");
}

/* A run's rate setting, where it applies: Server's arrival rate, Offline's expected rate;
 * SingleStream and MultiStream have none. */
static const char *rate_text(char *buf, size_t len, lg_scenario sc, double qps)
{
    if (sc == LG_SERVER || sc == LG_OFFLINE)
        snprintf(buf, len, "%.1f /s", qps);
    else
        snprintf(buf, len, "none (%s issues each query when the previous one is done)",
                 lg_scenario_name(sc));
    return buf;
}

/* The value of a provenance line of a run, or NULL. */
static const char *note_of(const rpt_run *run, const char *key)
{
    size_t n;
    const rpt_note *nt = rpt_run_provenance(run, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(nt[i].key, key))
            return nt[i].value;
    return NULL;
}

/* One line listing the notes whose keys start with prefix ("sut."), as "k v, k v". */
static void notes_line(rpt_doc *d, const rpt_run *run, const char *label, const char *prefix)
{
    size_t n, len = strlen(prefix);
    const rpt_note *nt = rpt_run_provenance(run, &n);
    char line[2048];
    size_t at = 0;
    line[0] = '\0';
    for (size_t i = 0; i < n && at < sizeof line; i++)
        if (!strncmp(nt[i].key, prefix, len))
            at += (size_t)snprintf(line + at, sizeof line - at, "%s%s %s", at ? ", " : "",
                                   nt[i].key + len, nt[i].value);
    const char *what = note_of(run, label);
    rpt__doc_item(d, "%s: %s%s%s%s", label, what ? what : "?", at ? " (" : "", line,
                  at ? ")" : "");
}

/* How the runs were made (results.json "provenance"): for one folder its command line,
 * build, SUT, QSL and config files; for several, what differs between them, with a
 * warning when more than one thing does. Files older than provenance have none. */
static void provenance(rpt_report *r)
{
    rpt_doc *d = r->doc;
    const rpt_run *first = rpt_set_run(r->e[0].set, 0);
    size_t n0;
    rpt_run_provenance(first, &n0);
    if (!n0)
        return;
    if (r->n == 1) {
        rpt__doc_heading(d, "How it was made");
        rpt__doc_list(d);
        const char *cmd = note_of(first, "command_line"), *prog = note_of(first, "program");
        if (cmd)
            rpt__doc_item(d, "command line: %s", cmd);
        if (prog)
            rpt__doc_item(d, "program: %s", prog);
        notes_line(d, first, "sut", "sut.");
        notes_line(d, first, "qsl", "qsl.");
        for (int k = 1; k <= 16; k++) {
            char key[32], hkey[40];
            snprintf(key, sizeof key, "config.%d", k);
            snprintf(hkey, sizeof hkey, "config.%d.sha256", k);
            const char *f = note_of(first, key), *h = note_of(first, hkey);
            if (!f)
                break;
            rpt__doc_item(d, "config file %d: %s, SHA-256 %s", k, f, h ? h : "?");
        }
        return;
    }
    /* Several folders: each against the first. */
    rpt__doc_heading(d, "What differs between the runs");
    bool any = false;
    for (size_t i = 1; i < r->n; i++) {
        const rpt_run *other = rpt_set_run(r->e[i].set, 0);
        rpt_difference *diff = NULL;
        size_t nd = 0;
        if (rpt_run_differences(first, other, is_set(&r->e[0]) && is_set(&r->e[i]), &diff,
                                &nd))
            continue;
        if (nd) {
            any = true;
            rpt__doc_para(d, "#%zu against #1 (%s):", i + 1,
                          nd > 1 ? "more than one thing changed, so a difference in the "
                                   "results cannot be put down to one of them"
                                 : "one thing changed");
            rpt__doc_table(d, 3);
            rpt__doc_cell(d, "%s", "what");
            rpt__doc_cell(d, "#1");
            rpt__doc_cell(d, "#%zu", i + 1);
            for (size_t k = 0; k < nd; k++) {
                rpt__doc_cell(d, "%s", diff[k].key);
                rpt__doc_cell(d, "%s", diff[k].a);
                rpt__doc_cell(d, "%s", diff[k].b);
            }
        }
        free(diff);
    }
    if (!any)
        rpt__doc_para(d, "Nothing but the measurements: the same SUT, QSL, settings, config "
                      "files and build.");
}

static void methodology(rpt_report *r)
{
    rpt_doc *d = r->doc;
    const rpt_validate_opts *vo = &r->opts.validate;
    const rpt_compare_opts *co = &r->opts.compare;
    rpt__doc_section(d, "Methodology", "methodology");
    rpt__doc_heading(d, "What was run");
    rpt__doc_table(d, r->n + 1);
    rpt__doc_cell(d, "setting");
    for (size_t i = 0; i < r->n; i++)
        rpt__doc_cell(d, "#%zu", i + 1);
    char b[256];
#define ROW(label, ...)                                                                       \
    do {                                                                                      \
        rpt__doc_cell(d, "%s", label);                                                        \
        for (size_t i = 0; i < r->n; i++) {                                                   \
            const rpt_run_info *in = first_info(&r->e[i]);                                    \
            (void)in;                                                                         \
            rpt__doc_cell(d, __VA_ARGS__);                                                    \
        }                                                                                     \
    } while (0)
    ROW("scenario", "%s", lg_scenario_name(in->results.scenario));
    ROW("runs", "%zu", rpt_set_count(r->e[i].set));
    ROW("SUT / QSL", "%s / %s", in->sut_name, in->qsl_name);
    /* Only Server has a target (arrival) rate and only Offline an expected one; the
     * stream scenarios issue each query when the previous one is done. */
    ROW("target rate (Server) / expected rate (Offline)", "%s",
        rate_text(b, sizeof b, in->results.scenario, in->target_qps));
    ROW("latency bound (Server)", "%s", in->target_latency_ns > 0
                                             ? ns_text(b, sizeof b, (double)in->target_latency_ns)
                                             : "none");
    ROW("target percentile", "%s", stats_percentile_label(in->target_latency_percentile).s);
    ROW("minimum duration", "%llu ms", (unsigned long long)in->min_duration_ms);
    ROW("minimum queries", "%llu quer%s", (unsigned long long)in->min_query_count,
        in->min_query_count == 1 ? "y" : "ies");
    ROW("samples per query", "%llu sample%s", (unsigned long long)in->results.samples_per_query,
        in->results.samples_per_query == 1 ? "" : "s");
    ROW("performance sample count", "%llu samples",
        (unsigned long long)in->results.performance_sample_count);
    ROW("schedule / sample-index seed (first run)", "%llu / %llu",
        (unsigned long long)in->schedule_rng_seed, (unsigned long long)in->sample_index_rng_seed);
    ROW("started (UTC, first run)", "%s", in->start_time_utc);
    ROW("loadgen version", "%s", in->loadgen_version);
    bool tokens = false; /* some run records tokens: the rows and the method say how */
    for (size_t i = 0; i < r->n; i++)
        tokens = tokens || first_info(&r->e[i])->results.tokens.applies;
    if (tokens)
        ROW("tokens (LLM)", "%s", rpt__token_settings_text(in, b, sizeof b));
#undef ROW
    provenance(r);
    rpt__doc_heading(d, "How the numbers were computed");
    rpt__doc_list(d);
    rpt__doc_item(d, "Percentiles use MLPerf's rule, sorted[floor(n x p)], on the latencies of "
                  "successful samples (per query for MultiStream), measured from each query's "
                  "scheduled time.");
    rpt__doc_item(d, "Latency intervals (%.0f%%): latencies within a run are correlated "
                  "(queues), so they come from a moving-block bootstrap in issue order, the "
                  "block a few times the lag at which the autocorrelation falls below 0.05.",
                  vo->confidence * 100);
    rpt__doc_item(d, "Throughput interval (%.0f%%): batch means over %u equal time windows "
                  "(a t interval over the window rates).", vo->confidence * 100,
                  vo->throughput_windows);
    rpt__doc_item(d, "Outliers: Tukey's fences (1.5 and 3 IQR) and the MAD z-score (> 3.5); "
                  "counted, never removed.");
    rpt__doc_item(d, "Warm-up: the first %.0f%% of the run in %u-window slices against the "
                  "rest, Mann-Whitney U on the per-window median latencies (throughput for "
                  "Offline); flagged when p < %g and the change exceeds %.0f%%.",
                  vo->warmup_fraction * 100, vo->warmup_windows, vo->alpha,
                  vo->warmup_tolerance * 100);
    rpt__doc_item(d, "Stability (as perf_analyzer): the last %u of %u windows must each be "
                  "within %.0f%% of their mean in throughput and in latency, or within the "
                  "windows' own counting noise when that is larger.", vo->stability_last,
                  vo->stability_windows, vo->stability_tolerance * 100);
    rpt__doc_item(d, "Repetitions: mean, median, SD, CV and the t interval of the mean across "
                  "runs, one value per run.");
    if (tokens)
        rpt__doc_item(d, "Tokens (docs/tokens.md): TTFT is the first token's time from the "
                      "scheduled time (Offline: the pass start), or from the SUT's send; TPOT "
                      "is (latency - TTFT) / (tokens - 1); percentiles by the same rule; "
                      "tokens per second are MLPerf's; a good request meets every SLO set, "
                      "and goodput counts good requests (and their tokens) per second of the "
                      "run.");
    rpt__doc_item(d, "Comparisons: Welch's t-test and Mann-Whitney U (alpha %g), Cohen's d, "
                  "and the ratio of means with a %zu-resample BCa bootstrap interval. "
                  "Verdict by criterion's rule: improved or regressed only when significant "
                  "and the whole interval of the change lies beyond +-%.1f%% (the noise "
                  "threshold); otherwise within noise or no significant change.", co->alpha,
                  co->resamples, co->noise * 100);
    environment(r);
}

/* Same machine: the fields results.json records (not the library version or date). */
static bool same_machine(const rpt_environment *a, const rpt_environment *b)
{
    return !strcmp(a->cpu_model, b->cpu_model) && a->cores == b->cores &&
           !strcmp(a->kernel, b->kernel) && !strcmp(a->hostname, b->hostname) &&
           !strcmp(a->compiler, b->compiler);
}

/* The machines the runs ran on: r->machine[] (distinct, in folder order), each run's
 * index into it in r->e[i].machine[k]; runs whose results.json records no machine
 * get SIZE_MAX. */
static int find_machines(rpt_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        entry *e = &r->e[i];
        size_t runs = rpt_set_count(e->set);
        if (!(e->machine = calloc(runs, sizeof *e->machine)))
            return LG_ENOMEM;
        for (size_t k = 0; k < runs; k++) {
            const rpt_run_info *in = rpt_run_get_info(rpt_set_run(e->set, k));
            e->machine[k] = SIZE_MAX;
            if (!in->has_environment) {
                r->unrecorded++;
                continue;
            }
            size_t m = 0;
            while (m < r->n_machines && !same_machine(&r->machines[m], &in->environment))
                m++;
            if (m == r->n_machines) {
                rpt_environment *grown =
                    realloc(r->machines, (r->n_machines + 1) * sizeof *r->machines);
                if (!grown)
                    return LG_ENOMEM;
                r->machines = grown;
                r->machines[r->n_machines++] = in->environment;
            }
            e->machine[k] = m;
        }
    }
    return 0;
}

/* "#1, #3 (rep-2)": the folders (and runs of sets) that ran on machine m. */
static void machine_folders(const rpt_report *r, size_t m, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n && used < len; i++) {
        const entry *e = &r->e[i];
        size_t runs = rpt_set_count(e->set), hits = 0;
        for (size_t k = 0; k < runs; k++)
            hits += e->machine[k] == m;
        if (!hits)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s#%zu%s", used ? ", " : "", i + 1,
                                 hits < runs ? " (some runs)" : "");
    }
}

static void environment(rpt_report *r)
{
    rpt_doc *d = r->doc;
    rpt__doc_heading(d, "Environment");
    const rpt_environment *here = &r->env;
    if (r->n_machines == 0) {
        rpt__doc_para(d, "The results.json files of these runs do not record the machine they "
                      "ran on (they were written by an older loadgen): below is the machine "
                      "this report was made on.");
    } else if (r->n_machines == 1) {
        rpt__doc_para(d, "The machine the runs ran on, as their results.json records it%s.",
                      r->unrecorded ? " (some runs' files do not record it)" : "");
    } else {
        rpt__doc_para(d, "The runs ran on %zu different machines: a difference between runs "
                      "of different machines is a difference of the machines as much as of "
                      "the systems under test.%s", r->n_machines,
                      r->unrecorded ? " Some runs' files do not record their machine." : "");
    }
    size_t cols = r->n_machines > 1 ? r->n_machines + 1 : 2;
    rpt__doc_table(d, cols);
    rpt__doc_cell(d, "item");
    if (r->n_machines > 1)
        for (size_t m = 0; m < r->n_machines; m++)
            rpt__doc_cell(d, "machine %zu", m + 1);
    else
        rpt__doc_cell(d, "value");
    size_t shown = r->n_machines ? r->n_machines : 1;
    const rpt_environment *list = r->n_machines ? r->machines : here;
    char buf[512];
    if (r->n_machines > 1) {
        rpt__doc_cell(d, "folders");
        for (size_t m = 0; m < shown; m++) {
            machine_folders(r, m, buf, sizeof buf);
            rpt__doc_cell(d, "%s", buf);
        }
    }
    rpt__doc_cell(d, "CPU");
    for (size_t m = 0; m < shown; m++)
        rpt__doc_cell(d, "%s", list[m].cpu_model);
    rpt__doc_cell(d, "cores");
    for (size_t m = 0; m < shown; m++)
        rpt__doc_cell(d, "%ld online", list[m].cores);
    rpt__doc_cell(d, "kernel");
    for (size_t m = 0; m < shown; m++)
        rpt__doc_cell(d, "%s", list[m].kernel);
    rpt__doc_cell(d, "compiler");
    for (size_t m = 0; m < shown; m++)
        rpt__doc_cell(d, "%s", list[m].compiler);
    rpt__doc_cell(d, "host");
    for (size_t m = 0; m < shown; m++)
        rpt__doc_cell(d, "%s", list[m].hostname);
    if (r->n_machines == 0) {
        rpt__doc_cell(d, "library");
        rpt__doc_cell(d, "libloadgen %s", here->library_version);
        rpt__doc_cell(d, "date");
        rpt__doc_cell(d, "%s", here->date_utc);
        return;
    }
    /* The library and the dates of the runs, over all runs. */
    const rpt_environment *first = NULL, *last = NULL;
    bool one_version = true;
    for (size_t i = 0; i < r->n; i++)
        for (size_t k = 0; k < rpt_set_count(r->e[i].set); k++) {
            const rpt_run_info *in = rpt_run_get_info(rpt_set_run(r->e[i].set, k));
            const rpt_environment *e = &in->environment;
            if (!in->has_environment)
                continue;
            if (first && strcmp(first->library_version, e->library_version))
                one_version = false;
            if (!first || strcmp(e->date_utc, first->date_utc) < 0)
                first = e;
            if (!last || strcmp(e->date_utc, last->date_utc) > 0)
                last = e;
        }
    rpt__doc_table(d, 2);
    rpt__doc_cell(d, "item");
    rpt__doc_cell(d, "value");
    rpt__doc_cell(d, "library");
    rpt__doc_cell(d, "libloadgen %s%s", first->library_version,
                  one_version ? "" : " and others (the runs differ)");
    rpt__doc_cell(d, "runs made");
    if (strcmp(first->date_utc, last->date_utc))
        rpt__doc_cell(d, "%s to %s", first->date_utc, last->date_utc);
    else
        rpt__doc_cell(d, "%s", first->date_utc);
    rpt__doc_cell(d, "report made");
    rpt__doc_cell(d, "%s on %s", here->date_utc, here->hostname);
}

static void run_figures(rpt_doc *d, const rpt_run_info *in)
{
    const lg_results *r = &in->results;
    char a[64];
    const lg_latency_stats *l = r->scenario == LG_MULTI_STREAM ? &r->query_latency : &r->latency;
    rpt__doc_table(d, 2);
    rpt__doc_cell(d, "figure");
    rpt__doc_cell(d, "value");
    rpt__doc_cell(d, "result");
    rpt__doc_cell(d, "%s", r->valid ? "VALID" : "INVALID");
    for (unsigned f = 1; f <= LG_INVALID_LAST; f <<= 1)
        if (r->invalid_reasons & f) {
            rpt__doc_cell(d, "invalid because");
            char why[320];
            rpt__doc_cell(d, "%s", lg_invalid_reason_describe(r, f, why, sizeof why));
        }
    rpt__doc_cell(d, "metric: %s", r->metric_name);
    rpt__doc_cell(d, "%s", unit_text(a, sizeof a, r->metric, r->metric_unit));
    rpt__doc_cell(d, "throughput");
    rpt__doc_cell(d, "%.1f /s", rpt__run_throughput(in));
    rpt__doc_cell(d, "queries issued");
    rpt__doc_cell(d, "%llu queries", (unsigned long long)r->queries_issued);
    rpt__doc_cell(d, "samples issued / completed / failed / timed out");
    rpt__doc_cell(d, "%llu / %llu / %llu / %llu samples", (unsigned long long)r->samples_issued,
                  (unsigned long long)r->samples_completed,
                  (unsigned long long)r->samples_failed,
                  (unsigned long long)r->samples_timed_out);
    rpt__doc_cell(d, "duration");
    rpt__doc_cell(d, "%s", ns_text(a, sizeof a, (double)r->duration_ns));
    static const char *const names[] = {"min", "mean", "p50", "p90", "p95", "p97", "p99",
                                        "p99.9", "max"};
    int64_t vals[] = {l->min_ns, l->mean_ns, l->p50_ns, l->p90_ns, l->p95_ns, l->p97_ns,
                      l->p99_ns, l->p999_ns, l->max_ns};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        rpt__doc_cell(d, "%s latency%s", names[i],
                      r->scenario == LG_MULTI_STREAM ? " (per query)" : "");
        rpt__doc_cell(d, "%s", ns_text(a, sizeof a, (double)vals[i]));
    }
    if (r->early_stopping.applies) {
        const lg_early_stopping *es = &r->early_stopping;
        rpt__doc_cell(d, "early stopping (%s)", stats_percentile_label(es->percentile).s);
        if (r->scenario == LG_SERVER)
            rpt__doc_cell(d, "%s: %llu queries over the bound, %llu queries needed",
                          es->met ? "met" : "NOT met", (unsigned long long)es->overlatency,
                          (unsigned long long)es->min_queries);
        else
            rpt__doc_cell(d, "%s: estimate %s, %llu queries needed", es->met ? "met" : "NOT met",
                          ns_text(a, sizeof a, (double)es->estimate_ns),
                          (unsigned long long)es->min_queries);
    }
    if (r->scenario != LG_OFFLINE) {
        rpt__doc_cell(d, "issue lag p99 / max");
        char b[32];
        rpt__doc_cell(d, "%s / %s", ns_text(a, sizeof a, (double)r->issue_lag.p99_ns),
                      ns_text(b, sizeof b, (double)r->issue_lag.max_ns));
    }
}

/* A classifier's accuracy (results.json "accuracy"): top-1 and top-5, the target, each
 * class's recall and precision, and the confusion matrix. */
static void accuracy_section(rpt_doc *d, const rpt_run_info *in)
{
    const rpt_accuracy *a = &in->accuracy;
    if (!a->present)
        return;
    rpt__doc_heading(d, "Accuracy");
    rpt__doc_list(d);
    rpt__doc_item(d, "top-1: %.2f %% (%llu of %llu samples)", 100 * a->top1,
                  (unsigned long long)a->correct, (unsigned long long)a->scored);
    if (!isnan(a->top5))
        rpt__doc_item(d, "top-5: %.2f %%", 100 * a->top5);
    if (a->passed >= 0)
        rpt__doc_item(d, "target top-1: %.2f %%, %s", 100 * a->target_top1,
                      a->passed ? "met" : "MISSED");
    if (!a->n_classes)
        return;
    rpt__doc_table(d, 5);
    const char *hdr[5] = {"class", "samples", "right", "recall", "precision"};
    for (int k = 0; k < 5; k++)
        rpt__doc_cell(d, "%s", hdr[k]);
    for (unsigned c = 0; c < a->n_classes; c++) {
        rpt__doc_cell(d, "%s", a->class_names[c]);
        rpt__doc_cell(d, "%llu", (unsigned long long)a->support[c]);
        rpt__doc_cell(d, "%llu", (unsigned long long)a->right[c]);
        if (a->support[c])
            rpt__doc_cell(d, "%.1f %%", 100.0 * (double)a->right[c] / (double)a->support[c]);
        else
            rpt__doc_cell(d, "-");
        if (a->predicted[c])
            rpt__doc_cell(d, "%.1f %%", 100.0 * (double)a->right[c] / (double)a->predicted[c]);
        else
            rpt__doc_cell(d, "-");
    }
    rpt__doc_para(d, "Confusion matrix: a row per true class, a column per predicted class "
                  "(by number, in the order above); the diagonal is right.");
    rpt__doc_table(d, (size_t)a->n_classes + 1);
    rpt__doc_cell(d, "true \\ predicted");
    for (unsigned k = 0; k < a->n_classes; k++)
        rpt__doc_cell(d, "%u", k);
    for (unsigned c = 0; c < a->n_classes; c++) {
        rpt__doc_cell(d, "%u %s", c, a->class_names[c]);
        for (unsigned k = 0; k < a->n_classes; k++)
            rpt__doc_cell(d, "%llu", (unsigned long long)a->confusion[c][k]);
    }
}

static void detailed_results(rpt_report *r)
{
    rpt_doc *d = r->doc;
    rpt__doc_section(d, "Detailed Results", "detailed-results");
    for (size_t i = 0; i < r->n; i++) {
        const entry *e = &r->e[i];
        size_t n = rpt_set_count(e->set);
        const rpt_run_info *in = first_info(e);
        rpt__doc_heading(d, "#%zu %s (%s, %s)", i + 1, rpt_set_dir(e->set),
                         lg_scenario_name(in->results.scenario),
                         is_set(e) ? "repetition set" : "single run");
        if (!is_set(e)) {
            run_figures(d, in);
            accuracy_section(d, in);
            rpt__token_section(d, in);
            rpt__client_section(d, in, NULL);
            rpt__dist_section(d, in, NULL);
            continue;
        }
        rpt__doc_para(d, "Across the %zu repetitions (one value per run; interval: t interval "
                      "of the mean at %.0f%%):", n, r->opts.validate.confidence * 100);
        const rpt_metrics *m = e->metrics; /* per run: one value per repetition */
        if (m && rpt_metrics_kind(m) == RPT_VALUES_PER_RUN) {
            rpt__doc_table(d, 8);
            const char *hdr[8] = {"metric", "mean", "median", "SD", "CV", "CI of the mean",
                                  "min", "max"};
            for (int k = 0; k < 8; k++)
                rpt__doc_cell(d, "%s", hdr[k]);
            for (size_t k = 0; k < rpt_metrics_count(m); k++) {
                const rpt_metric *mt = rpt_metrics_get(m, k);
                rpt_summary s;
                if (rpt_metric_summarize(mt, r->opts.validate.confidence, &s))
                    continue;
                char x[6][40];
                rpt__doc_cell(d, "%s", metric_words(mt->name));
                rpt__doc_cell(d, "%s", unit_text(x[0], 40, s.mean, mt->unit));
                rpt__doc_cell(d, "%s", unit_text(x[1], 40, s.median, mt->unit));
                rpt__doc_cell(d, "%s", unit_text(x[2], 40, s.sd, mt->unit));
                rpt__doc_cell(d, "%s", plain_pct(x[3], 40, s.cv));
                rpt__doc_cell(d, "[%s, %s]", unit_text(x[4], 40, s.ci_lo, mt->unit),
                              unit_text(x[5], 40, s.ci_hi, mt->unit));
                rpt__doc_cell(d, "%s", unit_text(x[4], 40, s.min, mt->unit));
                rpt__doc_cell(d, "%s", unit_text(x[5], 40, s.max, mt->unit));
            }
        }
        /* Token runs add their TTFT, TPOT and tokens/s, when every run has them. */
        bool tok = rpt__set_has_tokens(e->set);
        rpt__doc_table(d, tok ? 8 : 5);
        const char *hdr[8] = {"run", "result", "metric", "throughput", "p99 latency",
                              "TTFT p99", "TPOT p99", "tokens/s"};
        for (int k = 0; k < (tok ? 8 : 5); k++)
            rpt__doc_cell(d, "%s", hdr[k]);
        for (size_t k = 0; k < n; k++) {
            const rpt_run_info *ri = rpt_run_get_info(rpt_set_run(e->set, k));
            const lg_results *rr = &ri->results;
            const char *base = strrchr(ri->dir, '/');
            char a[48], b[48];
            rpt__doc_cell(d, "%s", base ? base + 1 : ri->dir);
            rpt__doc_cell(d, "%s", rr->valid ? "VALID" : "INVALID");
            rpt__doc_cell(d, "%s", unit_text(a, sizeof a, rr->metric, rr->metric_unit));
            rpt__doc_cell(d, "%.1f /s", rpt__run_throughput(ri));
            rpt__doc_cell(d, "%s", ns_text(b, sizeof b,
                                           (double)(rr->scenario == LG_MULTI_STREAM
                                                        ? rr->query_latency.p99_ns
                                                        : rr->latency.p99_ns)));
            if (tok)
                token_cells(d, rr);
        }
        for (size_t k = 0; k < n; k++) {
            const rpt_run_info *ri = rpt_run_get_info(rpt_set_run(e->set, k));
            const char *base = strrchr(ri->dir, '/');
            rpt__client_section(d, ri, base ? base + 1 : ri->dir);
            rpt__dist_section(d, ri, base ? base + 1 : ri->dir);
        }
    }
}

/* The peak searches of the folders that ran one (report/peak.c), in a section of their
 * own after the detailed results. */
static void peak_search(rpt_report *r)
{
    bool any = false;
    for (size_t i = 0; i < r->n && !any; i++)
        any = rpt__peak_present(first_info(&r->e[i]));
    if (!any)
        return;
    rpt__doc_section(r->doc, "Peak Search", "peak-search");
    for (size_t i = 0; i < r->n; i++)
        rpt__peak_section(r->doc, first_info(&r->e[i]), i + 1);
}

static void validation_detail(rpt_doc *d, const rpt_validation *v)
{
    char a[48], b[48], c[48];
    rpt__doc_para(d, "Verdict: %s.", rpt_verdict_name(v->verdict));
    if (v->latency_ci || v->throughput_ci) {
        rpt__doc_table(d, 4);
        rpt__doc_cell(d, "quantity");
        rpt__doc_cell(d, "estimate");
        rpt__doc_cell(d, "%.0f%% interval", v->confidence * 100);
        rpt__doc_cell(d, "method");
        if (v->latency_ci && v->scenario != LG_OFFLINE) {
            const rpt_interval *iv[3] = {&v->p50_ns, &v->p90_ns, &v->p99_ns};
            const char *nm[3] = {"p50 latency", "p90 latency", "p99 latency"};
            for (int i = 0; i < 3; i++) {
                rpt__doc_cell(d, "%s", nm[i]);
                rpt__doc_cell(d, "%s", ns_text(a, sizeof a, iv[i]->estimate));
                rpt__doc_cell(d, "[%s, %s]", ns_text(b, sizeof b, iv[i]->lo),
                              ns_text(c, sizeof c, iv[i]->hi));
                rpt__doc_cell(d, "block bootstrap, blocks of %zu, %zu resamples", v->block_len,
                              v->resamples);
            }
        }
        if (v->throughput_ci) {
            rpt__doc_cell(d, "throughput");
            rpt__doc_cell(d, "%.1f /s", v->throughput.estimate);
            rpt__doc_cell(d, "[%.1f /s, %.1f /s]", v->throughput.lo, v->throughput.hi);
            rpt__doc_cell(d, "batch means over %u windows", v->throughput_windows);
        }
    }
    rpt__doc_table(d, 3);
    rpt__doc_cell(d, "check");
    rpt__doc_cell(d, "status");
    rpt__doc_cell(d, "finding");
    for (int i = 0; i < RPT_CHECK_COUNT; i++) {
        rpt__doc_cell(d, "%s", rpt_check_name((rpt_check_id)i));
        rpt__doc_cell(d, "%s", rpt_status_name(v->checks[i].status));
        rpt__doc_cell(d, "%s", v->checks[i].finding);
    }
}

static void statistical_validation(rpt_report *r)
{
    rpt_doc *d = r->doc;
    rpt__doc_section(d, "Statistical Validation", "statistical-validation");
    for (size_t i = 0; i < r->n; i++) {
        const entry *e = &r->e[i];
        size_t n = rpt_set_count(e->set);
        rpt__doc_heading(d, "#%zu %s", i + 1, rpt_set_dir(e->set));
        if (n == 1) {
            validation_detail(d, &e->val[0]);
            continue;
        }
        rpt__doc_para(d, "Each repetition validated on its own (statuses per check):");
        rpt__doc_table(d, 2 + RPT_CHECK_COUNT);
        rpt__doc_cell(d, "run");
        rpt__doc_cell(d, "verdict");
        for (int k = 0; k < RPT_CHECK_COUNT; k++)
            rpt__doc_cell(d, "%s", rpt_check_name((rpt_check_id)k));
        size_t worst = 0;
        for (size_t k = 0; k < n; k++) {
            const char *dir = rpt_run_get_info(rpt_set_run(e->set, k))->dir;
            const char *base = strrchr(dir, '/');
            rpt__doc_cell(d, "%s", base ? base + 1 : dir);
            rpt__doc_cell(d, "%s", rpt_verdict_name(e->val[k].verdict));
            for (int c = 0; c < RPT_CHECK_COUNT; c++)
                rpt__doc_cell(d, "%s", rpt_status_name(e->val[k].checks[c].status));
            if (e->val[k].verdict > e->val[worst].verdict)
                worst = k;
        }
        const char *dir = rpt_run_get_info(rpt_set_run(e->set, worst))->dir;
        rpt__doc_para(d, "Details of %s (the least trustworthy repetition):", dir);
        validation_detail(d, &e->val[worst]);
    }
}

static void comparison(rpt_report *r)
{
    rpt_doc *d = r->doc;
    rpt__doc_section(d, "Comparison", "comparison");
    rpt__doc_para(d, "B (the candidate) against A (the baseline). change = mean(B) / mean(A) - "
                  "1; positive t and d mean B is larger. For latency lower is better, for "
                  "throughput higher.");
    for (size_t i = 0; i < r->n; i++) {
        const entry *e = &r->e[i];
        if (e->baseline == SIZE_MAX)
            continue;
        rpt__doc_heading(d, "#%zu (B) against #%zu (A)", i + 1, e->baseline + 1);
        if (!e->cmp) {
            rpt__doc_para(d, "Not compared: %s", e->cmp_err);
            continue;
        }
        size_t nw = rpt_comparison_warning_count(e->cmp);
        if (nw) {
            rpt__doc_list(d);
            for (size_t k = 0; k < nw; k++)
                rpt__doc_item(d, "Warning: %s", rpt_comparison_warning(e->cmp, k));
        }
        rpt__doc_table(d, 9);
        const char *hdr[9] = {"metric", "A mean", "B mean", "change", "CI of change",
                              "Welch p", "Mann-Whitney p", "Cohen's d (pooled SDs)", "verdict"};
        for (int k = 0; k < 9; k++)
            rpt__doc_cell(d, "%s", hdr[k]);
        for (size_t k = 0; k < rpt_comparison_count(e->cmp); k++) {
            const rpt_metric_cmp *c = rpt_comparison_get(e->cmp, k);
            char x[6][40];
            rpt__doc_cell(d, "%s (n = %zu, %zu)", metric_words(c->name), c->a.n, c->b.n);
            rpt__doc_cell(d, "%s", unit_text(x[0], 40, c->a.mean, c->unit));
            rpt__doc_cell(d, "%s", unit_text(x[1], 40, c->b.mean, c->unit));
            rpt__doc_cell(d, "%s", pct_text(x[2], 40, c->change));
            rpt__doc_cell(d, "[%s, %s]", pct_text(x[3], 40, c->change_lo),
                          pct_text(x[4], 40, c->change_hi));
            rpt_format_p(x[5], 40, c->welch_p);
            rpt__doc_cell(d, "%s", x[5]);
            rpt_format_p(x[5], 40, c->mw_p);
            rpt__doc_cell(d, "%s", x[5]);
            if (isfinite(c->cohens_d))
                rpt__doc_cell(d, "%.2f", c->cohens_d);
            else
                rpt__doc_cell(d, "n/a"); /* no spread on either side */
            rpt__doc_cell(d, "%s", rpt_change_name(c->verdict));
        }
        for (size_t k = 0; k < rpt_comparison_count(e->cmp); k++) {
            const rpt_metric_cmp *c = rpt_comparison_get(e->cmp, k);
            if (c->note[0])
                rpt__doc_para(d, "%s: %s.", metric_words(c->name), c->note);
        }
    }
}

static void recommendations(rpt_report *r)
{
    rpt_doc *d = r->doc;
    rpt__doc_section(d, "Recommendations", "recommendations");
    rpt__doc_list(d);
    size_t count = 0;
    if (r->n_machines > 1) {
        rpt__doc_item(d, "The runs come from %zu machines (see Environment): compare runs made "
                      "on one machine, or read each difference as the machines' as well.",
                      r->n_machines);
        count++;
    }
    for (size_t i = 0; i < r->n; i++) {
        const entry *e = &r->e[i];
        size_t n = rpt_set_count(e->set);
        for (size_t k = 0; k < n; k++) {
            const rpt_validation *v = &e->val[k];
            for (size_t j = 0; j < v->n_recommendations; j++) {
                /* A repetition set repeats the same advice run after run (with other
                 * numbers): say it once and name the runs it applies to. */
                bool seen = false;
                for (size_t p = 0; p < k && !seen; p++)
                    for (size_t q = 0; q < e->val[p].n_recommendations && !seen; q++)
                        seen = !strncmp(e->val[p].recommendations[q], v->recommendations[j], 40);
                if (seen)
                    continue;
                if (n == 1) {
                    rpt__doc_item(d, "#%zu: %s", i + 1, v->recommendations[j]);
                } else {
                    char runs[256] = "";
                    size_t len = 0, hits = 0;
                    for (size_t p = k; p < n && len < sizeof runs; p++)
                        for (size_t q = 0; q < e->val[p].n_recommendations; q++)
                            if (!strncmp(e->val[p].recommendations[q], v->recommendations[j],
                                         40)) {
                                const char *rd = rpt_run_get_info(rpt_set_run(e->set, p))->dir;
                                const char *base = strrchr(rd, '/');
                                len += (size_t)snprintf(runs + len, sizeof runs - len, "%s%s",
                                                        hits++ ? ", " : "", base ? base + 1 : rd);
                                break;
                            }
                    rpt__doc_item(d, "#%zu (%s%s): %s", i + 1, runs,
                                  hits > 1 ? "; numbers from the first" : "",
                                  v->recommendations[j]);
                }
                count++;
            }
        }
        if (e->baseline != SIZE_MAX && e->cmp) {
            for (size_t k = 0; k < rpt_comparison_count(e->cmp); k++) {
                const rpt_metric_cmp *c = rpt_comparison_get(e->cmp, k);
                if (c->few_values) {
                    rpt__doc_item(d, "#%zu against #%zu: with %zu and %zu values per side the "
                                  "tests have little power; repeat each configuration at least "
                                  "9 times: loadgen run --repeat 10.", i + 1, e->baseline + 1,
                                  c->a.n, c->b.n);
                    count++;
                    break;
                }
            }
            if (rpt_metrics_kind(e->metrics) == RPT_VALUES_PER_BATCH) {
                rpt__doc_item(d, "#%zu against #%zu: single runs were compared by time batches, "
                              "which cannot see run-to-run variation; confirm with repetition "
                              "sets (loadgen run --repeat 10 --out DIR) before acting on a "
                              "difference.", i + 1, e->baseline + 1);
                count++;
            }
        }
    }
    if (!count)
        rpt__doc_item(d, "Nothing to change: every check passed.");
}

/* ---------------------------------------------------------------- building */

/* The validations of one set's runs, shared by two threads: each takes the next run
 * not yet taken. */
typedef struct val_job {
    const rpt_set *set;
    const rpt_validate_opts *opts;
    rpt_validation *val;
    size_t runs;
    atomic_size_t next;
    int *rc; /* per run: rpt_validate's result (0 also when never started) */
} val_job;

static void *validate_worker(void *arg)
{
    val_job *job = arg;
    for (;;) {
        size_t k = atomic_fetch_add(&job->next, 1);
        if (k >= job->runs)
            return NULL;
        job->rc[k] = rpt_validate(rpt_set_run(job->set, k), job->opts, &job->val[k]);
    }
}

int rpt__report_create(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                       rpt__folder_fn fn, void *ctx, rpt_report **out, char *err,
                       size_t errlen)
{
    if (!dirs || !n || !out)
        return rpt__err(err, errlen, LG_EINVAL, "no result folder given");
    *out = NULL;
    rpt_report *r = calloc(1, sizeof *r);
    if (!r)
        return rpt__err(err, errlen, LG_ENOMEM, "out of memory");
    if (opts)
        r->opts = *opts;
    else
        rpt_report_opts_default(&r->opts);
    if (r->opts.compare.confidence == 0)
        r->opts.compare.confidence = 1 - r->opts.compare.alpha;
    rpt_environment_get(&r->env);
    int rc = LG_ENOMEM;
    if (!(r->e = calloc(n, sizeof *r->e)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        entry *e = &r->e[r->n];
        if ((rc = rpt_set_load(dirs[i], &e->set, err, errlen)))
            goto fail;
        r->n++;
        size_t runs = rpt_set_count(e->set);
        if (!(e->val = calloc(runs, sizeof *e->val))) {
            rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
            goto fail;
        }
        /* The validations run on a second thread while this one forms the metrics,
         * compares and calls fn; then this thread helps with the runs left. */
        val_job job = {.set = e->set, .opts = &r->opts.validate, .val = e->val, .runs = runs,
                       .rc = calloc(runs, sizeof *job.rc)};
        if (!job.rc) {
            rc = rpt__err(err, errlen, LG_ENOMEM, "out of memory");
            goto fail;
        }
        atomic_init(&job.next, 0);
        pthread_t worker;
        bool threaded = pthread_create(&worker, NULL, validate_worker, &job) == 0;
        if (rpt_metrics_from_set(e->set, r->opts.compare.batches, &e->metrics, e->metrics_err,
                                 sizeof e->metrics_err))
            e->metrics = NULL;
        /* The baseline: the first earlier folder of the same scenario and kind. */
        e->baseline = SIZE_MAX;
        lg_scenario sc = first_info(e)->results.scenario;
        for (size_t j = 0; j + 1 < r->n; j++) {
            const entry *o = &r->e[j];
            if (first_info(o)->results.scenario == sc &&
                rpt_set_get_kind(o->set) == rpt_set_get_kind(e->set)) {
                e->baseline = j;
                break;
            }
        }
        const entry *base = e->baseline == SIZE_MAX ? NULL : &r->e[e->baseline];
        if (base && (!base->metrics || !e->metrics))
            snprintf(e->cmp_err, sizeof e->cmp_err, "%s",
                     !base->metrics ? base->metrics_err : e->metrics_err);
        else if (base && rpt_compare(base->metrics, e->metrics, &r->opts.compare, &e->cmp,
                                     e->cmp_err, sizeof e->cmp_err))
            e->cmp = NULL;
        int fn_rc = 0;
        if (fn) {
            rpt__folder f = {.index = i, .set = e->set, .metrics = e->metrics,
                             .baseline = e->baseline, .cmp = e->cmp,
                             .base_metrics = base ? base->metrics : NULL};
            fn_rc = fn(ctx, &f, err, errlen);
            if (fn_rc)
                atomic_store(&job.next, runs); /* stop validating */
        }
        validate_worker(&job);
        if (threaded)
            pthread_join(worker, NULL);
        for (size_t k = 0; k < runs && !fn_rc && !rc; k++)
            if ((rc = job.rc[k]))
                rpt__err(err, errlen, rc, "%s: validation failed: %s",
                         rpt_run_get_info(rpt_set_run(e->set, k))->dir, lg_strerror(rc));
        free(job.rc);
        if (fn_rc || rc) {
            rc = fn_rc ? fn_rc : rc;
            goto fail_quiet;
        }
        /* Everything the document needs from the samples is computed by now: keep at
         * most one folder's samples in memory. */
        for (size_t k = 0; k < runs; k++)
            rpt__run_release_samples(rpt_set_run(e->set, k));
    }
    if ((rc = find_machines(r)))
        goto fail;
    rc = LG_ENOMEM;
    if (!(r->doc = rpt__doc_create(r->opts.title ? r->opts.title : "Performance report")))
        goto fail;
    executive_summary(r);
    methodology(r);
    detailed_results(r);
    peak_search(r);
    statistical_validation(r);
    bool any_cmp = false;
    for (size_t i = 0; i < r->n; i++)
        any_cmp = any_cmp || r->e[i].baseline != SIZE_MAX;
    if (any_cmp)
        comparison(r);
    recommendations(r);
    if (r->doc->oom) {
        rc = LG_ENOMEM;
        goto fail;
    }
    *out = r;
    return 0;
fail:
    if (rc == LG_ENOMEM)
        rpt__err(err, errlen, rc, "out of memory");
fail_quiet:
    rpt_report_destroy(r);
    return rc;
}

int rpt_report_create(const char *const *dirs, size_t n, const rpt_report_opts *opts,
                      rpt_report **out, char *err, size_t errlen)
{
    return rpt__report_create(dirs, n, opts, NULL, NULL, out, err, errlen);
}

void rpt_report_destroy(rpt_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        rpt_set_destroy(r->e[i].set);
        free(r->e[i].val);
        rpt_metrics_destroy(r->e[i].metrics);
        rpt_comparison_destroy(r->e[i].cmp);
        free(r->e[i].machine);
    }
    free(r->e);
    free(r->machines);
    rpt__doc_destroy(r->doc);
    free(r);
}

const rpt_doc *rpt_report_doc(const rpt_report *r)
{
    return r ? r->doc : NULL;
}

int rpt_report_write_markdown(const rpt_report *r, FILE *f)
{
    return r ? rpt_doc_write_markdown(r->doc, f) : LG_EINVAL;
}
