/* fuzz_cli.c: libFuzzer target for the `loadgen run` command-line parser. The input is
 * split at NUL and newline bytes into arguments; the parser must return an exit code or
 * accept, and never crash, hang or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[66];
    int argc = 0;
    argv[argc++] = "run";
    char *p = buf;
    while (argc < 64 && p <= buf + size) {
        char *start = p;
        while (p < buf + size && *p != '\0' && *p != '\n')
            p++;
        *p = '\0';
        argv[argc++] = start;
        p++;
    }
    argv[argc] = NULL;
    cli_run_parse_only(argc, argv);
    free(buf);
    return 0;
}
