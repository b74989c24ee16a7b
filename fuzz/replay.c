/* replay.c: libFuzzer's driver, for the corpora only. `make fuzz-replay` links each fuzz
 * target with this file (gcc, the build's own sanitizers, no libFuzzer) and runs it on
 * every file of its committed corpus, so that `make check` keeps the targets building
 * and every seed, the regression seeds of fixed bugs among them, passing. A broken
 * promise traps (fuzz/check.h); a sanitizer's finding ends the program. Usage:
 * fuzz_NAME-replay DIR|FILE ...; prints how many inputs it ran. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input being run and where to say so: the targets' own output (the command-line
 * parser prints its messages) goes to /dev/null, and a crash names the input. */
static const char *current;
static int say_fd = 2;

static void say(const char *a, const char *b)
{
    ssize_t k = write(say_fd, a, strlen(a));
    k = write(say_fd, b, strlen(b));
    k = write(say_fd, "\n", 1);
    (void)k;
}

/* An error of the driver's own, to the saved standard error. */
__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
    char line[4200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    say("replay: ", line);
}

static void on_crash(int sig)
{
    say("replay: the target crashed on ", current ? current : "?");
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Runs the target on the file at path; -1 when it cannot be read. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        complain("%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        free(buf);
        complain("%s: cannot read it", path);
        return -1;
    }
    /* An exact-size copy, so that ASan sees a read past the input's end. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    current = path;
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir, in name order; returns how many ran, -1 on an error. */
static long replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        complain("%s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **g = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *names);
            if (!g)
                break;
            names = g;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    long ran = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (ran >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            ran = replay_file(path) ? -1 : ran + 1;
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE ...\n", argv[0]);
        return 2;
    }
    int quiet = open("/dev/null", O_WRONLY);
    say_fd = dup(2);
    if (quiet < 0 || say_fd < 0 || dup2(quiet, 1) < 0 || dup2(quiet, 2) < 0)
        return 1;
    static const int sigs[] = {SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGTRAP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], on_crash);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st)) {
            complain("%s: %s", argv[i], strerror(errno));
            return 1;
        }
        long k = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) ? -1 : 1;
        if (k < 0)
            return 1;
        total += k;
    }
    char line[64];
    snprintf(line, sizeof line, "%ld inputs", total);
    say("replay: ", line);
    return total > 0 ? 0 : 1;
}
