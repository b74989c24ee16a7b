/* cli/plugin.c: `loadgen run --sut plugin:PATH.so --sut-opt KEY=VALUE ...`
 * (docs/plugins.md): the options, and a plugin loaded for one test: the file checked,
 * opened with dlopen, its table checked against sut/plugin.h's ABI, its instance made
 * with the options; then its SUT, and its own QSL or the program's synthetic one; after
 * the test destroy() and dlclose. Every failure names the path and the cause.
 *
 * The plugin calls lg_complete() and the rest of libloadgen's public API through the
 * program's dynamic symbol table: the Makefile links the core library whole and exports
 * its public names (loadgen.dyn), the same names libloadgen.so exports (loadgen.map). */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/internal.h"
#include "qsl/qsl.h"

#define PLUGIN_PREFIX "plugin:"
#define PLUGIN_PREFIX_LEN (sizeof PLUGIN_PREFIX - 1)

/* The table's fields of ABI version 1: a smaller struct_size is a table this program
 * cannot read. */
#define V1_TABLE_BYTES (offsetof(lg_plugin, describe) + sizeof ((lg_plugin *)0)->describe)

struct cli_plugin_run {
    void *lib;                       /* dlopen's handle */
    const lg_plugin *table;
    void *instance;
    bool created;                    /* create() succeeded: destroy() is owed */
    lg_plugin_host host;
    const qsl_synthetic *q;          /* the program's QSL, when the plugin has none */
    lg_plugin_option opts[CLI_MAX_SUT_OPTS];
    size_t nopts;
    char *store;                     /* the options' keys and values */
    bool own;                        /* the plugin serves its own QSL: qsl */
    lg_qsl qsl;
    long threads_before;             /* the process's threads before create() */
    char shown[CLI_SHOWN_LEN];       /* the path as typed, for messages */
    cli_plugin_info info;
};

_Static_assert(CLI_PATH_MAX >= PATH_MAX, "realpath() writes up to PATH_MAX bytes");

/* ---------------------------------------------------------------- options */

bool cli_plugin_sut(const cli_run_opts *o)
{
    return o->sut && !strncmp(o->sut, PLUGIN_PREFIX, PLUGIN_PREFIX_LEN);
}

const char *cli_plugin_path(const cli_run_opts *o)
{
    return cli_plugin_sut(o) ? o->sut + PLUGIN_PREFIX_LEN : NULL;
}

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

int cli_plugin_parse_opt(cli_run_opts *o, const char *a, const char *cmd)
{
    char sh[CLI_SHOWN_LEN], sh2[CLI_SHOWN_LEN];
    cli_plugin_opts *p = &o->plugin;
    const char *eq = strchr(a, '=');
    if (!eq || eq == a) {
        fprintf(stderr, "loadgen %s: --sut-opt: '%s': %s; expected KEY=VALUE (e.g. --sut-opt "
                "delay_us=100)\n", cmd, cli_shown(a, sh), !eq ? "no '='" : "the key is empty");
        return CLI_EXIT_USAGE;
    }
    size_t klen = (size_t)(eq - a);
    for (size_t i = 0; i < klen; i++)
        if (!key_char(a[i])) {
            fprintf(stderr, "loadgen %s: --sut-opt: '%s': a key holds only letters, digits, "
                    "'_', '-' and '.'\n", cmd, cli_shown(a, sh));
            return CLI_EXIT_USAGE;
        }
    for (size_t i = 0; i < p->n; i++)
        if (!strncmp(p->raw[i], a, klen + 1)) {
            fprintf(stderr, "loadgen %s: --sut-opt: '%s': the key '%.*s' is given twice "
                    "(first as '%s')\n", cmd, cli_shown(a, sh), (int)(klen > 64 ? 64 : klen),
                    a, cli_shown(p->raw[i], sh2));
            return CLI_EXIT_USAGE;
        }
    if (p->n == CLI_MAX_SUT_OPTS) {
        fprintf(stderr, "loadgen %s: --sut-opt: at most %d options\n", cmd, CLI_MAX_SUT_OPTS);
        return CLI_EXIT_USAGE;
    }
    p->raw[p->n++] = a;
    return -1;
}

int cli_plugin_check(const cli_run_opts *o, const char *cmd)
{
    char sh[CLI_SHOWN_LEN];
    if (!cli_plugin_sut(o)) {
        if (o->plugin.n) {
            fprintf(stderr, "loadgen %s: --sut-opt %s: only a plugin SUT takes options "
                    "(--sut plugin:PATH.so; the SUT is %s)\n", cmd,
                    cli_shown(o->plugin.raw[0], sh), o->sut);
            return CLI_EXIT_USAGE;
        }
        return -1;
    }
    const char *path = cli_plugin_path(o);
    if (!*path) {
        fprintf(stderr, "loadgen %s: --sut plugin: needs the path of a shared library after "
                "'plugin:', e.g. --sut plugin:./my_sut.so\n", cmd);
        return CLI_EXIT_USAGE;
    }
    if (strlen(path) >= PATH_MAX) {
        fprintf(stderr, "loadgen %s: --sut plugin:%s: the path is longer than %d bytes\n", cmd,
                cli_shown(path, sh), PATH_MAX - 1);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* ---------------------------------------------------------------- loading */

/* Prints "loadgen: --sut plugin:PATH: <message>" and returns code. */
__attribute__((format(printf, 3, 4))) static int fail(const cli_plugin_run *r, int code,
                                                      const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "loadgen: --sut plugin:%s: %s\n", r->shown, msg);
    return code;
}

/* The threads of this process (/proc/self/status), or -1 when unknown. */
static long thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %ld", &n) == 1)
            break;
    fclose(f);
    return n;
}

static void *no_work(void *arg)
{
    return arg;
}

/* The threads of this process before create(), for the check after destroy(). A
 * sanitizer's runtime (ThreadSanitizer's) starts a thread of its own at the process's
 * first pthread_create, which would otherwise be taken for one the plugin left
 * running: one thread is started and joined first. */
static long threads_before_create(void)
{
    pthread_t t;
    if (!pthread_create(&t, NULL, no_work, NULL))
        pthread_join(t, NULL);
    return thread_count();
}

/* Checks that the file is an ELF shared object before dlopen, whose own messages for a
 * text file or an executable ("invalid ELF header") leave the user guessing. Returns -1
 * or an exit code (the message printed). */
static int check_file(cli_plugin_run *r, const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return fail(r, CLI_EXIT_USAGE, "%s", errno == ENOENT ? "no such file"
                                                              : strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(r, CLI_EXIT_USAGE, "is a folder, not a shared library");
    /* Opening a FIFO would wait for a writer. */
    if (!S_ISREG(st.st_mode))
        return fail(r, CLI_EXIT_USAGE, "not a regular file, so not a shared library");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(r, CLI_EXIT_USAGE, "cannot be read: %s", strerror(errno));
    unsigned char h[EI_NIDENT + 2];
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    if (n < (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG))
        return fail(r, CLI_EXIT_USAGE, "not a shared library (no ELF header: build it with "
                    "cc -shared -fPIC, docs/plugins.md)");
    unsigned type = h[EI_DATA] == ELFDATA2MSB ? (unsigned)h[EI_NIDENT] << 8 | h[EI_NIDENT + 1]
                                              : (unsigned)h[EI_NIDENT + 1] << 8 | h[EI_NIDENT];
    if (type != ET_DYN)
        return fail(r, CLI_EXIT_USAGE, "not a shared library but %s (build it with cc "
                    "-shared -fPIC, docs/plugins.md)",
                    type == ET_REL    ? "an object file (.o)"
                    : type == ET_EXEC ? "an executable"
                    : type == ET_CORE ? "a core dump"
                                      : "an ELF file of another type");
    return -1;
}

/* dlopen, then the entry and its table, checked field by field. -1 or an exit code. */
static int open_table(cli_plugin_run *r)
{
    dlerror();
    r->lib = dlopen(r->info.path, RTLD_NOW | RTLD_LOCAL);
    if (!r->lib) {
        const char *why = dlerror();
        bool undef = why && strstr(why, "undefined symbol");
        return fail(r, CLI_EXIT_USAGE, "cannot be loaded: %s%s", why ? why : "dlopen failed",
                    undef ? " (a plugin may call the functions of libloadgen's public "
                            "headers, which this program provides; anything else must come "
                            "from a library the plugin is linked with)" : "");
    }
    dlerror();
    void *sym = dlsym(r->lib, LG_PLUGIN_ENTRY_NAME);
    if (!sym)
        return fail(r, CLI_EXIT_USAGE, "not a loadgen plugin: it has no symbol %s (define "
                    "it as sut/plugin.h says, docs/plugins.md)", LG_PLUGIN_ENTRY_NAME);
    /* POSIX makes dlsym's object pointer convertible to a function pointer. */
    const lg_plugin *(*entry)(void);
    _Static_assert(sizeof entry == sizeof sym, "function and object pointers differ");
    memcpy(&entry, &sym, sizeof entry);
    const lg_plugin *t = entry();
    if (!t)
        return fail(r, CLI_EXIT_USAGE, "%s() returned NULL instead of its table",
                    LG_PLUGIN_ENTRY_NAME);
    if (t->struct_size < offsetof(lg_plugin, name))
        return fail(r, CLI_EXIT_USAGE, "its table's struct_size is %u bytes: too small to "
                    "hold even the ABI version", t->struct_size);
    if (t->abi_version != LG_PLUGIN_ABI_VERSION)
        return fail(r, CLI_EXIT_USAGE, "it was built for plugin ABI version %u, but this "
                    "loadgen (%s) loads version %u only: rebuild it against this loadgen's "
                    "sut/plugin.h", t->abi_version, lg_version(), LG_PLUGIN_ABI_VERSION);
    if (t->struct_size < V1_TABLE_BYTES)
        return fail(r, CLI_EXIT_USAGE, "its table is %u bytes (struct_size), smaller than the "
                    "%zu bytes of ABI version %u's fields: set struct_size to "
                    "sizeof(lg_plugin)", t->struct_size, (size_t)V1_TABLE_BYTES,
                    LG_PLUGIN_ABI_VERSION);
    const char *missing = !t->name || !*t->name ? "a name"
                          : !t->create          ? "create()"
                          : !t->destroy         ? "destroy()"
                          : !t->issue           ? "issue()"
                                                : NULL;
    if (missing)
        return fail(r, CLI_EXIT_USAGE, "its table has no %s, which is required", missing);
    r->table = t;
    r->info.name = t->name;
    r->info.version = t->version ? t->version : "";
    r->info.abi_version = t->abi_version;
    return -1;
}

/* The options as create() takes them: keys and values copied apart, and their text for
 * the provenance. false when memory runs out. */
static bool split_options(cli_plugin_run *r, const cli_plugin_opts *p)
{
    size_t need = 1;
    for (size_t i = 0; i < p->n; i++)
        need += strlen(p->raw[i]) + 1;
    if (!(r->store = malloc(need)))
        return false;
    char *s = r->store;
    size_t tl = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t len = strlen(p->raw[i]);
        memcpy(s, p->raw[i], len + 1);
        char *eq = strchr(s, '=');
        *eq = '\0';
        r->opts[i] = (lg_plugin_option){s, eq + 1};
        s += len + 1;
        if (tl < sizeof r->info.options)
            tl += (size_t)snprintf(r->info.options + tl, sizeof r->info.options - tl, "%s%s",
                                   i ? " " : "", p->raw[i]);
    }
    r->nopts = p->n;
    return true;
}

/* lg_plugin_host.sample_data: the program's synthetic QSL's bytes of a loaded sample. */
static const void *host_sample_data(const lg_plugin_host *host, uint64_t index,
                                    size_t *size_bytes)
{
    const cli_plugin_run *r = host->host_ctx;
    const void *d = r->q ? qsl_synthetic_data(r->q, index) : NULL;
    if (size_bytes)
        *size_bytes = d ? qsl_synthetic_sample_size(r->q) : 0;
    return d;
}

/* create() with the options; then the plugin's own QSL, if it has one. -1 or an exit
 * code. */
static int create_instance(cli_plugin_run *r, cli_run_opts *o)
{
    const lg_plugin *t = r->table;
    r->host = (lg_plugin_host){.struct_size = sizeof(lg_plugin_host),
                               .abi_version = LG_PLUGIN_ABI_VERSION,
                               .program_version = lg_version(),
                               .total_sample_count = o->total,
                               .performance_sample_count = o->performance,
                               .sample_size_bytes = o->sample_size,
                               .sample_data = host_sample_data,
                               .host_ctx = r};
    char err[1024] = "";
    r->threads_before = threads_before_create();
    int rc = t->create(&r->host, r->opts, r->nopts, &r->instance, err, sizeof err);
    err[sizeof err - 1] = '\0';
    if (rc) {
        char none[64];
        snprintf(none, sizeof none, "create() returned %d and no message", rc);
        return rc == LG_EINVAL
                   ? fail(r, CLI_EXIT_USAGE, "the plugin refused its options: %s",
                          *err ? err : none)
                   : fail(r, CLI_EXIT_RUNTIME, "the plugin could not start: %s",
                          *err ? err : none);
    }
    r->created = true;
    if (t->describe)
        t->describe(r->instance, r->info.parameters, sizeof r->info.parameters);
    r->info.parameters[sizeof r->info.parameters - 1] = '\0';
    uint64_t total = 0, perf = 0;
    if (!t->own_qsl || !t->own_qsl(r->instance, &total, &perf))
        return -1;
    if (total < 1 || perf < 1 || perf > total)
        return fail(r, CLI_EXIT_RUNTIME, "its QSL has total %llu and performance %llu "
                    "samples: own_qsl() must give total >= 1 and 1 <= performance <= total",
                    (unsigned long long)total, (unsigned long long)perf);
    const char *flag = o->total_given         ? "--total-sample-count"
                       : o->performance_given ? "--performance-sample-count"
                       : o->sample_size_given ? "--sample-size"
                                              : NULL;
    if (flag)
        return fail(r, CLI_EXIT_USAGE, "%s: the plugin serves its own QSL (%llu samples, %llu "
                    "for performance); the flag sizes the program's synthetic QSL (the "
                    "setting performance_sample_count_override applies to any QSL)", flag,
                    (unsigned long long)total, (unsigned long long)perf);
    r->own = r->info.own_qsl = true;
    r->qsl = (lg_qsl){.name = t->name, .ctx = r->instance, .total_sample_count = total,
                      .performance_sample_count = perf, .load = t->load, .unload = t->unload};
    o->total = total;
    o->performance = perf;
    return -1;
}

int cli_plugin_prepare(cli_run_opts *o, cli_plugin_run **out)
{
    *out = NULL;
    cli_plugin_run *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "loadgen: out of memory loading the plugin\n");
        return CLI_EXIT_RUNTIME;
    }
    const char *path = cli_plugin_path(o);
    cli_shown(path, r->shown);
    int rc = check_file(r, path);
    if (rc < 0 && !realpath(path, r->info.path))
        rc = fail(r, CLI_EXIT_USAGE, "cannot resolve the path: %s", strerror(errno));
    if (rc < 0)
        rc = open_table(r);
    if (rc < 0 && !split_options(r, &o->plugin))
        rc = fail(r, CLI_EXIT_RUNTIME, "out of memory for the options");
    if (rc < 0)
        rc = create_instance(r, o);
    if (rc >= 0) {
        cli_plugin_destroy(r);
        return rc;
    }
    *out = r;
    return -1;
}

lg_sut cli_plugin_run_sut(const cli_plugin_run *r)
{
    return (lg_sut){.name = r->table->name, .ctx = r->instance, .issue = r->table->issue,
                    .flush = r->table->flush};
}

bool cli_plugin_run_qsl(const cli_plugin_run *r, lg_qsl *qsl)
{
    if (r->own)
        *qsl = r->qsl;
    return r->own;
}

void cli_plugin_use_qsl(cli_plugin_run *r, const qsl_synthetic *q)
{
    r->q = q;
}

const cli_plugin_info *cli_plugin_run_info(const cli_plugin_run *r)
{
    return &r->info;
}

/* Waits up to 200 ms for the threads the plugin started to end (a thread that was told
 * to stop may still be on its way out). Returns how many more threads the process has
 * than before create(); 0 when unknown. */
static long threads_left(long before)
{
    long now = 0;
    for (int i = 0; i < 20; i++) {
        now = thread_count();
        if (before < 0 || now < 0 || now <= before)
            return 0;
        nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
    }
    return now - before;
}

void cli_plugin_destroy(cli_plugin_run *r)
{
    if (!r)
        return;
    if (r->created)
        r->table->destroy(r->instance);
    if (r->lib) {
        long left = r->created ? threads_left(r->threads_before) : 0;
        if (left > 0)
            fprintf(stderr, "loadgen: warning: --sut plugin:%s: %ld thread%s the plugin "
                    "started still run%s after destroy(): the library stays loaded, since "
                    "unloading code a thread still runs would crash (destroy() must join "
                    "its threads, docs/plugins.md)\n", r->shown, left, left == 1 ? "" : "s",
                    left == 1 ? "s" : "");
        else
            dlclose(r->lib);
    }
    free(r->store);
    free(r);
}
