/* bad.c: broken plugins for tests/test_plugin.c, one per -DBAD_<kind> (the Makefile
 * builds each as <BUILD>/tests/plugins/bad_<kind>.so). Each breaks one rule of
 * sut/plugin.h, and the program must refuse it with a message naming the cause:
 *   no_entry     no loadgen_plugin_entry symbol
 *   null_table   the entry returns NULL
 *   abi2         a table of ABI version 2
 *   small_table  a table whose struct_size is short of version 1's fields
 *   no_issue     a table without its required issue()
 *   undefined    calls a function the program does not provide */
#include <stddef.h>

#include "sut/plugin.h"

static int make(const lg_plugin_host *host, const lg_plugin_option *options, size_t n,
                void **instance, char *err, size_t err_len)
{
    (void)host, (void)options, (void)n, (void)err, (void)err_len;
    *instance = NULL;
    return 0;
}

static void destroy(void *instance) { (void)instance; }

__attribute__((unused)) static void issue(void *instance, const lg_sample *samples, size_t n)
{
    (void)instance;
    for (size_t i = 0; i < n; i++)
        lg_complete(&(lg_response){.id = samples[i].id}, 1);
}

#if defined(BAD_no_entry)
/* A plausible but wrong name. */
const lg_plugin *loadgen_plugin_v1(void);
const lg_plugin *loadgen_plugin_v1(void)
{
    static const lg_plugin t = {sizeof t, LG_PLUGIN_ABI_VERSION, "bad", NULL, make, destroy,
                                issue, NULL, NULL, NULL, NULL, NULL};
    return &t;
}
#else
#if defined(BAD_undefined)
void lg_no_such_function(void);
#endif
const lg_plugin *loadgen_plugin_entry(void)
{
    static const lg_plugin t = {
#if defined(BAD_small_table)
        .struct_size = offsetof(lg_plugin, own_qsl),
#else
        .struct_size = sizeof t,
#endif
#if defined(BAD_abi2)
        .abi_version = 2,
#else
        .abi_version = LG_PLUGIN_ABI_VERSION,
#endif
        .name = "bad",
        .create = make,
        .destroy = destroy,
#if !defined(BAD_no_issue)
        .issue = issue,
#endif
    };
#if defined(BAD_null_table)
    return NULL;
#else
#if defined(BAD_undefined)
    lg_no_such_function();
#endif
    return &t;
#endif
}
#endif
