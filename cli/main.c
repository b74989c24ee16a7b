/* cli/main.c: the `loadgen` program: dispatches to its subcommands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "loadgen/loadgen.h"

static void usage(FILE *f)
{
    fputs("usage: loadgen <command> [options]\n"
          "\n"
          "An MLPerf-style load generator for inference systems.\n"
          "\n"
          "Commands:\n"
          "  run       run one test (scenario, SUT, settings) and write MLPerf logs\n"
          "  find-peak the highest Server rate within the latency bound (peak search)\n"
          "  demo      run all four scenarios for a few seconds each and print a table\n"
          "  config    show every effective setting and where it came from (--explain)\n"
          "  validate  check whether one run can be trusted: intervals, warm-up, stability\n"
          "  explain   one run in plain words: its figures, its verdict, what to change\n"
          "  compare   compare two result folders (or number files): change, tests, verdict\n"
          "  report    write a Markdown performance report of one or more result folders\n"
          "  samples   write a run's per-sample records as CSV or a NumPy array (.npy)\n"
          "  accuracy  score a run's accuracy log against the labels: top-1, confusion matrix\n"
          "  train     train the model SUT's network on Fashion-MNIST, write its weights\n"
          "  serve     an HTTP test server (KServe v2, OpenAI streaming) with timing, faults\n"
          "  stats     calculators: `stats samples` (sample sizes), `stats early-stopping`\n"
          "  version   print the version\n"
          "  help      print this help; `loadgen <command> --help` for a command's\n"
          "\n"
          "Examples:\n"
          "  loadgen demo\n"
          "  loadgen run --scenario Server --target-qps 2000 --min-duration-ms 5000\n"
          "  loadgen run --scenario Offline --sut null --out /tmp/offline\n"
          "  loadgen run --sut plugin:./my_sut.so --sut-opt threads=8\n"
          "  loadgen run --conf mlperf.conf --conf user.conf --model resnet50 --scenario Server\n"
          "  loadgen run --scenario Server --target-qps 2000 --repeat 10 --out /tmp/base\n"
          "  loadgen find-peak --sut synthetic --target-qps 500 --probe-ms 1000\n"
          "  loadgen validate /tmp/offline\n"
          "  loadgen explain /tmp/offline\n"
          "  loadgen compare /tmp/base /tmp/new --noise 0.02\n"
          "  loadgen report /tmp/base /tmp/new --out report.md\n"
          "  loadgen samples /tmp/offline --csv samples.csv\n"
          "  loadgen serve --port 8000 --ttft-ms 20 --tpot-ms 5\n"
          "  loadgen stats samples --percentile 0.90 --confidence 0.99\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    /* A reader that goes away (`loadgen run --repeat 3 | head -1`) must not kill a run
     * that has results to write: writes to it fail with EPIPE instead, and the commands
     * stop printing and finish their work. */
    signal(SIGPIPE, SIG_IGN);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "find-peak"))
        return cli_find_peak(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return cli_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "config"))
        return cli_config(argc - 1, argv + 1);
    if (!strcmp(cmd, "validate"))
        return cli_validate(argc - 1, argv + 1);
    if (!strcmp(cmd, "explain"))
        return cli_explain(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare"))
        return cli_compare(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return cli_report(argc - 1, argv + 1);
    if (!strcmp(cmd, "samples"))
        return cli_samples(argc - 1, argv + 1);
    if (!strcmp(cmd, "accuracy"))
        return cli_accuracy(argc - 1, argv + 1);
    if (!strcmp(cmd, "train"))
        return cli_train(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return cli_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "stats"))
        return cli_stats(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("loadgen %s\n", lg_version());
        return CLI_EXIT_VALID;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return CLI_EXIT_VALID;
    }
    fprintf(stderr, "loadgen: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
