/* cli/stats.c: `loadgen stats samples` and `loadgen stats early-stopping`: calculators
 * for the statistics behind MLPerf's run lengths, for learners. */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"
#include "stats/stats.h"

static void cmd_stats_help(FILE *f)
{
    fputs("usage: loadgen stats samples [--percentile P] [--confidence C] [--json]\n"
          "       loadgen stats early-stopping --queries N [--percentile P]\n"
          "                                    [--overlatency T] [--confidence C] [--json]\n"
          "\n"
          "Calculators for the statistics behind MLPerf's run lengths (docs/statistics.md):\n"
          "  samples         how many queries a percentile needs: the classic formula\n"
          "                  n = Phi^-1((1-C)/2)^2 p(1-p) / MOE^2 with MOE = (1-p)/20, MLPerf's\n"
          "                  rounding of it to a multiple of 2^13, and early stopping's minimum\n"
          "  early-stopping  MLPerf's early-stopping computation for a run of N queries:\n"
          "                  h(t), the number of latencies discarded, the index of the\n"
          "                  estimate and the verdict; with --overlatency T, Server's rule\n"
          "\n"
          "`loadgen stats <calculator> --help` explains each. Exit code: 0, or 2 for bad\n"
          "arguments.\n",
          f);
}

static void samples_help(FILE *f)
{
    fputs("usage: loadgen stats samples [--percentile P] [--confidence C] [--json]\n"
          "\n"
          "Both of MLPerf's answers to \"how many queries does the P-th percentile need?\":\n"
          "  classic          n = z^2 p (1 - p) / MOE^2, z = |Phi^-1((1 - C) / 2)|,\n"
          "                   MOE = (1 - p) / 20: the queries for the observed share below\n"
          "                   the percentile to be within +-MOE at confidence C\n"
          "  MLPerf rounded   the classic n rounded up to a multiple of 2^13 = 8192\n"
          "  early stopping   h(1) + 1: the fewest queries from which any estimate of the\n"
          "                   percentile can be claimed at confidence C\n"
          "Example: P 0.90, C 0.99 -> 23886, 24576 and 64.\n"
          "\n"
          "  --percentile P   a fraction in (0, 1), e.g. 0.90 (default 0.90)\n"
          "  --confidence C   a fraction in (0, 1) (default 0.99, MLPerf's)\n"
          "  --json           print JSON: percentile, confidence, z, margin, classic,\n"
          "                   mlperf_rounded, early_stopping_min\n",
          f);
}

static void es_help(FILE *f)
{
    fputs("usage: loadgen stats early-stopping --queries N [--percentile P]\n"
          "                                    [--overlatency T] [--confidence C] [--json]\n"
          "\n"
          "MLPerf's early stopping (docs/statistics.md section 2). h(t) is the fewest\n"
          "queries within the bound that, with t over it, show at confidence C that the\n"
          "P-th percentile is within the bound.\n"
          "Without --overlatency (SingleStream, MultiStream): t(N) is the largest t with\n"
          "h(t) + t <= N; the run discards the t - 1 highest latencies and reports the next,\n"
          "sorted[N - t] (0-based, ascending). Needs N >= h(1) + 1.\n"
          "With --overlatency T (Server): the run passes when N >= h(T) + T.\n"
          "Example: P 0.90, N 700 -> t = 51, discard 50, estimate sorted[649].\n"
          "\n"
          "  --percentile P   a fraction in (0, 1) (default 0.90)\n"
          "  --queries N      queries in the run, >= 1 (required)\n"
          "  --overlatency T  queries over the latency bound (Server)\n"
          "  --confidence C   a fraction in (0, 1) (default 0.99, MLPerf's)\n"
          "  --json           print JSON (fields in docs/reports.md)\n",
          f);
}

static int cmd_stats_samples(int argc, char **argv)
{
    double p = 0.90, conf = 0.99;
    bool json = false;
    const char *val;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            samples_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if ((r = cli_flag_value("stats samples", argc, argv, &i, "--percentile", &val))) {
            if (r < 0 || !cli_parse_double("stats samples", "--percentile", val, 0, 1, true,
                                           true, &p)) {
                fprintf(stderr, "  (a percentile is a fraction: 0.99 means the 99th)\n");
                return CLI_EXIT_USAGE;
            }
        } else if ((r = cli_flag_value("stats samples", argc, argv, &i, "--confidence", &val))) {
            if (r < 0 || !cli_parse_double("stats samples", "--confidence", val, 0, 1, true,
                                           true, &conf))
                return CLI_EXIT_USAGE;
        } else {
            return cli_unknown_option("stats samples", a);
        }
    }
    stats_sample_sizes_result s;
    if (stats_sample_sizes(p, conf, &s)) {
        fprintf(stderr, "loadgen stats samples: the counts for p = %.15g are beyond 2^62\n", p);
        return CLI_EXIT_USAGE;
    }
    if (json) {
        printf("{\"percentile\": %.15g, \"confidence\": %.15g, \"z\": %.10g, \"margin\": "
               "%.10g, \"classic\": %llu, \"mlperf_rounded\": %llu, \"early_stopping_min\": "
               "%llu}\n", p, conf, s.z, s.margin, (unsigned long long)s.classic,
               (unsigned long long)s.mlperf_rounded, (unsigned long long)s.early_stopping_min);
        return CLI_EXIT_VALID;
    }
    double exact = s.z * s.z * p * (1 - p) / (s.margin * s.margin);
    printf("Queries needed for the %s at %g%% confidence\n\n", stats_percentile_label(p).s,
           conf * 100);
    printf("1. Classic rule: make the observed share of queries below the reported\n"
           "   percentile fall within +-MOE of %g at %g%% confidence.\n", p, conf * 100);
    printf("   z   = |Phi^-1((1 - %g) / 2)| = %.4f\n", conf, s.z);
    printf("   MOE = (1 - %g) / 20 = %g\n", p, s.margin);
    printf("   n   = z^2 p (1 - p) / MOE^2 = %.4f x %.6g / %.6g = %.1f\n", s.z * s.z,
           p * (1 - p), s.margin * s.margin, exact);
    printf("       -> %llu queries (rounded up)\n", (unsigned long long)s.classic);
    printf("   MLPerf rounded this up to a multiple of 2^13 = 8192: %llu queries (%llu x 8192)\n\n",
           (unsigned long long)s.mlperf_rounded,
           (unsigned long long)(s.mlperf_rounded / STATS_MLPERF_SAMPLE_QUANTUM));
    printf("2. Early stopping: report a conservative percentile instead (the fewer the\n"
           "   queries, the further up the tail). The fewest queries from which any %s\n"
           "   estimate can be claimed at %g%% confidence: h(1) + 1 = %llu queries.\n\n",
           stats_percentile_label(p).s, conf * 100, (unsigned long long)s.early_stopping_min);
    printf("Modern MLPerf uses early stopping: runs may be short and pay with a more\n"
           "conservative number; the classic count makes the plain percentile precise.\n");
    return CLI_EXIT_VALID;
}

/* The arguments of `stats early-stopping`. */
typedef struct es_args {
    double p, conf;
    uint64_t n, over;
    bool have_over, json;
} es_args;

static const char es_cmd[] = "stats early-stopping";

/* Parses and checks the arguments. Returns -1 when they are good, else the exit code
 * (0 after --help). */
static int es_parse(int argc, char **argv, es_args *e)
{
    const char *val, *cmd = es_cmd;
    bool have_n = false;
    int r;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            es_help(stdout);
            return CLI_EXIT_VALID;
        } else if (!strcmp(a, "--json")) {
            e->json = true;
        } else if ((r = cli_flag_value(cmd, argc, argv, &i, "--percentile", &val))) {
            if (r < 0 || !cli_parse_double(cmd, "--percentile", val, 0, 1, true, true, &e->p)) {
                fprintf(stderr, "  (a percentile is a fraction: 0.99 means the 99th)\n");
                return CLI_EXIT_USAGE;
            }
        } else if ((r = cli_flag_value(cmd, argc, argv, &i, "--confidence", &val))) {
            if (r < 0 ||
                !cli_parse_double(cmd, "--confidence", val, 0, 1, true, true, &e->conf))
                return CLI_EXIT_USAGE;
        } else if ((r = cli_flag_value(cmd, argc, argv, &i, "--queries", &val))) {
            if (r < 0 || !cli_parse_u64(cmd, "--queries", val, 1, UINT64_C(1) << 50, &e->n))
                return CLI_EXIT_USAGE;
            have_n = true;
        } else if ((r = cli_flag_value(cmd, argc, argv, &i, "--overlatency", &val))) {
            if (r < 0 ||
                !cli_parse_u64(cmd, "--overlatency", val, 0, UINT64_C(1) << 50, &e->over))
                return CLI_EXIT_USAGE;
            e->have_over = true;
        } else {
            return cli_unknown_option(cmd, a);
        }
    }
    if (!have_n) {
        fprintf(stderr, "loadgen %s: --queries N is required (see loadgen %s --help)\n", cmd,
                cmd);
        return CLI_EXIT_USAGE;
    }
    if (e->have_over && e->over > e->n) {
        fprintf(stderr, "loadgen %s: --overlatency %llu exceeds --queries %llu\n", cmd,
                (unsigned long long)e->over, (unsigned long long)e->n);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* Server's rule: the run passes when N >= h(T) + T. */
static int es_server(const es_args *e)
{
    const char *cmd = es_cmd;
    double p = e->p, conf = e->conf;
    uint64_t n = e->n, over = e->over;
    bool json = e->json;
    stats_es_server_result s;
    if (stats_es_server(n, over, p, conf, &s)) {
        fprintf(stderr, "loadgen %s: h(t) is beyond 2^62 for these arguments\n", cmd);
        return CLI_EXIT_USAGE;
    }
    if (json) {
        printf("{\"rule\": \"server\", \"percentile\": %.15g, \"confidence\": %.15g, "
               "\"queries\": %llu, \"overlatency\": %llu, \"h\": %llu, \"needed\": %llu, "
               "\"additional_needed\": %llu, \"met\": %s}\n", p, conf,
               (unsigned long long)n, (unsigned long long)over, (unsigned long long)s.h,
               (unsigned long long)s.needed, (unsigned long long)s.additional_needed,
               s.met ? "true" : "false");
        return CLI_EXIT_VALID;
    }
    printf("Early stopping, Server rule: %s at %g%% confidence\n\n",
           stats_percentile_label(p).s, conf * 100);
    printf("  queries issued               %llu\n", (unsigned long long)n);
    printf("  over the latency bound, t    %llu queries\n", (unsigned long long)over);
    printf("  h(t)                         %llu queries within the bound\n",
           (unsigned long long)s.h);
    printf("  needed, h(t) + t             %llu queries\n", (unsigned long long)s.needed);
    if (s.met)
        printf("\nVerdict: met. %llu queries >= %llu: at %g%% confidence the %s latency is "
               "within the bound.\n", (unsigned long long)n, (unsigned long long)s.needed,
               conf * 100, stats_percentile_label(p).s);
    else
        printf("\nVerdict: NOT met. The run would need at least %llu more queries, all "
               "of them within the bound.\n", (unsigned long long)s.additional_needed);
    return CLI_EXIT_VALID;
}

/* The SingleStream/MultiStream rule: t(N), the latencies discarded and the estimate. */
static int es_latency(const es_args *e, uint64_t h1)
{
    double p = e->p, conf = e->conf;
    uint64_t n = e->n;
    bool json = e->json;
    uint64_t t = stats_es_max_t(n, p, conf);
    bool met = t >= 1;
    uint64_t ht = met ? stats_es_min_h(t, p, conf) : 0;
    uint64_t h_next = met ? stats_es_min_h(t + 1, p, conf) : 0;
    size_t plain = stats_percentile_mlperf_index((size_t)n, p);
    if (json) {
        printf("{\"rule\": \"latency\", \"percentile\": %.15g, \"confidence\": %.15g, "
               "\"queries\": %llu, \"h_1\": %llu, \"min_queries\": %llu, \"met\": %s, ",
               p, conf, (unsigned long long)n, (unsigned long long)h1,
               (unsigned long long)(h1 + 1), met ? "true" : "false");
        if (met)
            printf("\"t\": %llu, \"h_t\": %llu, \"discarded\": %llu, \"estimate_index\": %llu, ",
                   (unsigned long long)t, (unsigned long long)ht, (unsigned long long)(t - 1),
                   (unsigned long long)(n - t));
        else
            printf("\"t\": 0, \"h_t\": null, \"discarded\": 0, \"estimate_index\": null, ");
        printf("\"plain_percentile_index\": %zu}\n", plain);
        return CLI_EXIT_VALID;
    }
    printf("Early stopping, SingleStream/MultiStream rule: %s, %llu queries, %g%% confidence\n\n",
           stats_percentile_label(p).s, (unsigned long long)n, conf * 100);
    printf("  h(1) = %llu, so at least h(1) + 1 = %llu queries are needed\n",
           (unsigned long long)h1, (unsigned long long)(h1 + 1));
    if (!met) {
        printf("\nVerdict: NOT met. %llu queries are fewer than %llu: no %s estimate can be "
               "claimed; run at least %llu more queries.\n", (unsigned long long)n,
               (unsigned long long)(h1 + 1), stats_percentile_label(p).s,
               (unsigned long long)(h1 + 1 - n));
        return CLI_EXIT_VALID;
    }
    printf("  t(%llu) = %llu: the largest t with h(t) + t <= %llu\n", (unsigned long long)n,
           (unsigned long long)t, (unsigned long long)n);
    printf("    h(%llu) + %llu = %llu + %llu = %llu <= %llu\n", (unsigned long long)t,
           (unsigned long long)t, (unsigned long long)ht, (unsigned long long)t,
           (unsigned long long)(ht + t), (unsigned long long)n);
    if (h_next != UINT64_MAX)
        printf("    h(%llu) + %llu = %llu > %llu\n", (unsigned long long)(t + 1),
               (unsigned long long)(t + 1), (unsigned long long)(h_next + t + 1),
               (unsigned long long)n);
    unsigned long long tt = (unsigned long long)t;
    const char *suffix = tt % 100 >= 11 && tt % 100 <= 13 ? "th"
                         : tt % 10 == 1 ? "st" : tt % 10 == 2 ? "nd" : tt % 10 == 3 ? "rd" : "th";
    printf("  discard the %llu highest latencies; the estimate is sorted[%llu] (0-based,\n"
           "  ascending), the %llu%s highest\n", (unsigned long long)(t - 1),
           (unsigned long long)(n - t), tt, suffix);
    printf("  (the plain %s would be sorted[%zu])\n", stats_percentile_label(p).s, plain);
    printf("\nVerdict: met. The reported %s is the latency at sorted[%llu].\n",
           stats_percentile_label(p).s, (unsigned long long)(n - t));
    return CLI_EXIT_VALID;
}

static int cmd_stats_early_stopping(int argc, char **argv)
{
    es_args e = {.p = 0.90, .conf = STATS_ES_MLPERF_CONFIDENCE};
    int rc = es_parse(argc, argv, &e);
    if (rc >= 0)
        return rc;
    uint64_t h1 = stats_es_min_h(1, e.p, e.conf);
    if (h1 == UINT64_MAX) {
        fprintf(stderr, "loadgen %s: p = %.15g is too close to 1\n", es_cmd, e.p);
        return CLI_EXIT_USAGE;
    }
    return e.have_over ? es_server(&e) : es_latency(&e, h1);
}

int cli_stats(int argc, char **argv)
{
    if (argc < 2) {
        cmd_stats_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (cli_is_help(sub) || !strcmp(sub, "help")) {
        cmd_stats_help(stdout);
        return CLI_EXIT_VALID;
    }
    if (!strcmp(sub, "samples") || !strcmp(sub, "sample-size"))
        return cmd_stats_samples(argc - 1, argv + 1);
    if (!strcmp(sub, "early-stopping") || !strcmp(sub, "es"))
        return cmd_stats_early_stopping(argc - 1, argv + 1);
    fprintf(stderr, "loadgen stats: unknown calculator '%s' (use samples or "
            "early-stopping)\n\n", sub);
    cmd_stats_help(stderr);
    return CLI_EXIT_USAGE;
}
