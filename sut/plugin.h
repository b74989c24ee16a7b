/* plugin.h: the ABI of a SUT, and optionally a QSL, built as a shared library that
 * `loadgen run --sut plugin:PATH.so --sut-opt KEY=VALUE ...` loads (docs/plugins.md).
 *
 * A plugin defines one function, loadgen_plugin_entry(), that returns a table of
 * callbacks (lg_plugin). The program checks the table's size and ABI version, calls
 * create() with the --sut-opt options, runs the test against the instance's issue()
 * (and its QSL when it has one), then calls destroy() and unloads the library.
 *
 * The plugin calls lg_complete(), lg_first_token() and lg_now_ns() (and any other
 * function of libloadgen's public headers) directly: the program exports libloadgen's
 * public names, and the dynamic linker binds the plugin's calls to them when the
 * program loads it. Build a plugin without linking libloadgen:
 *   cc -std=c11 -O2 -fPIC -shared $(pkg-config --cflags loadgen) my_sut.c -o my_sut.so
 *
 * Versioning: LG_PLUGIN_ABI_VERSION changes only when a field or a rule of version 1
 * changes meaning; the program refuses a plugin of another version. Fields added later
 * go at the end of the tables, and struct_size says which ones a table has: a program
 * reads only the fields its struct_size covers, and a plugin reads only the fields of
 * lg_plugin_host that the host's struct_size covers. */
#ifndef SUT_PLUGIN_H
#define SUT_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes: a plugin puts it in lg_plugin.abi_version. */
#define LG_PLUGIN_ABI_VERSION 1u

/* The name of the one symbol the program looks up in a plugin. */
#define LG_PLUGIN_ENTRY_NAME "loadgen_plugin_entry"

/* One --sut-opt KEY=VALUE, in the order given on the command line. Keys are unique
 * (the program refuses a key given twice), made of letters, digits, '_', '-' and '.';
 * a value may be empty. Both strings stay valid until destroy() returns. */
typedef struct lg_plugin_option {
    const char *key;
    const char *value;
} lg_plugin_option;

/* What the program offers the plugin, passed to create(); valid until destroy()
 * returns. */
typedef struct lg_plugin_host {
    uint32_t struct_size;        /* sizeof(lg_plugin_host) in the program */
    uint32_t abi_version;        /* LG_PLUGIN_ABI_VERSION of the program */
    const char *program_version; /* lg_version() of the program, e.g. "0.1.0" */
    /* The program's synthetic QSL, used when the plugin has no QSL of its own
     * (lg_plugin.own_qsl): its size as --total-sample-count, --performance-sample-count
     * and --sample-size give it. */
    uint64_t total_sample_count;
    uint64_t performance_sample_count;
    uint64_t sample_size_bytes;
    /* The bytes of sample `index` of the program's QSL, *size_bytes of them, while the
     * sample is loaded (from the LoadGen's load of it until its unload: every sample
     * issued is loaded until it completes); NULL (size 0) when it is not loaded, or when
     * the plugin serves its own QSL. Any thread, any number at once; lock-free. */
    const void *(*sample_data)(const struct lg_plugin_host *host, uint64_t index,
                               size_t *size_bytes);
    void *host_ctx; /* the program's; a plugin leaves it alone */
} lg_plugin_host;

/* The table a plugin's loadgen_plugin_entry() returns; it must stay valid while the
 * library is loaded (a static const table is the usual way). `instance` is what
 * create() made. Unless a callback says otherwise, the program calls it from its main
 * thread, never while another callback of the instance runs. */
typedef struct lg_plugin {
    uint32_t struct_size; /* sizeof(lg_plugin) as the plugin was built */
    uint32_t abi_version; /* LG_PLUGIN_ABI_VERSION */
    const char *name;     /* required: short, shown as the SUT's name in the logs */
    const char *version;  /* the plugin's own version, for results.json; may be NULL */

    /* Required. Makes an instance from the options: *instance receives it. Returns 0;
     * LG_EINVAL when an option is unknown or its value is bad (the program exits 2,
     * "usage"); any other non-zero value when the instance cannot start (a device, a
     * file, memory, a thread: the program exits 3). On failure it writes why, in English
     * and naming the option and the value, to err (err_len bytes, NUL-terminated), and
     * leaves nothing running. The program creates one instance per test run (each
     * repetition of --repeat has its own). */
    int (*create)(const lg_plugin_host *host, const lg_plugin_option *options,
                  size_t noptions, void **instance, char *err, size_t err_len);
    /* Required. Stops every thread the instance started, waits for them to end and
     * frees it: the program unloads the library's code right after. Samples still
     * queued are dropped (the test is over). */
    void (*destroy)(void *instance);

    /* Required: lg_sut.issue. Hands n samples to the instance; `samples` is valid during
     * the call only. Each sample is completed later, exactly once, with lg_complete()
     * from any thread (or inside this call). Called from the LoadGen's issue thread (from
     * N at once in a Server run with server_num_issue_query_threads N > 1). */
    void (*issue)(void *instance, const lg_sample *samples, size_t n);
    /* lg_sut.flush: a hint, after the last issue of a series of queries, to stop waiting
     * for more work to batch. The issue thread. May be NULL. */
    void (*flush)(void *instance);

    /* The plugin's own QSL. May be NULL: the program's synthetic QSL then. Called once,
     * after create(). Returns true when the instance serves its own dataset, with its
     * counts (total >= 1, 1 <= performance <= total) in *total and *performance; load
     * and unload below are then lg_qsl.load and .unload. Returns false for the
     * program's QSL (host->sample_data gives its bytes). */
    bool (*own_qsl)(void *instance, uint64_t *total, uint64_t *performance);
    /* lg_qsl.load: loads these samples before they are issued. Returns 0, or non-zero
     * to fail the test (INVALID; the program exits 3). The LoadGen's thread, between
     * queries. May be NULL. Only called when own_qsl() returned true. */
    int (*load)(void *instance, const uint64_t *indices, size_t n);
    /* lg_qsl.unload: unloads samples loaded earlier, in the order they were loaded.
     * May be NULL. */
    int (*unload)(void *instance, const uint64_t *indices, size_t n);

    /* The instance's effective parameters as one line of text ("workers=2
     * delay_us=0"), defaults included, for results.json's provenance. Writes at most
     * len bytes, NUL-terminated. May be NULL. */
    void (*describe)(void *instance, char *buf, size_t len);
} lg_plugin;

/* Makes the plugin's entry visible from the shared library even when it is built with
 * -fvisibility=hidden. */
#if defined(__GNUC__)
#define LG_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define LG_PLUGIN_EXPORT
#endif

/* The one symbol a plugin defines: returns its table (never NULL). The program calls
 * it once, after loading the library, from its main thread. */
LG_PLUGIN_EXPORT const lg_plugin *loadgen_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* SUT_PLUGIN_H */
