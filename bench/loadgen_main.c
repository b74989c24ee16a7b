/* loadgen_main.c: the `loadgen` program: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "bench/cli.h"
#include "loadgen/loadgen.h"

static void usage(FILE *f)
{
    fputs("usage: loadgen <command> [options]\n"
          "\n"
          "An MLPerf-style load generator for inference systems.\n"
          "\n"
          "Commands:\n"
          "  run       run one test (scenario, SUT, settings) and write MLPerf logs\n"
          "  demo      run all four scenarios for a few seconds each and print a table\n"
          "  config    show every effective setting and where it came from (--explain)\n"
          "  version   print the version\n"
          "  help      print this help; `loadgen <command> --help` for a command's\n"
          "\n"
          "Examples:\n"
          "  loadgen demo\n"
          "  loadgen run --scenario Server --target-qps 2000 --min-duration-ms 5000\n"
          "  loadgen run --scenario Offline --sut null --out /tmp/offline\n"
          "  loadgen run --conf mlperf.conf --conf user.conf --model resnet50 --scenario Server\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return cli_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "config"))
        return cli_config(argc - 1, argv + 1);
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
