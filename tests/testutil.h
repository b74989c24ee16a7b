/* testutil.h: helpers shared by the tests that run the `loadgen` program: a temporary
 * folder per test, reading files, and running the program (or any executable) with its
 * output captured. Tests only; linked into every test binary (tests/testutil.c). */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* The current test's temporary folder, made by tu_tmp_init and removed by tu_tmp_fini
 * (use TU_TMP in a Test's options). The program runs with it as its working folder. */
extern char tu_tmp[64];
void tu_tmp_init(void);
void tu_tmp_fini(void);
#define TU_TMP .init = tu_tmp_init, .fini = tu_tmp_fini

/* A path inside tu_tmp; the last four results stay valid. */
const char *tu_in_tmp(const char *name);
/* The whole file, NUL-terminated (the caller frees it); its length in *len if not NULL.
 * Fails the test when the file cannot be read. */
char *tu_slurp(const char *path, size_t *len);
bool tu_exists(const char *path);
/* The program under test: $LOADGEN_BIN, else build/bin/loadgen (an absolute path). */
const char *tu_program(void);

typedef struct tu_proc {
    int code;       /* exit code */
    char *out, *err; /* what it printed (free with tu_proc_free) */
} tu_proc;

void tu_proc_free(tu_proc *p);
/* Runs exe (NULL: the program) with argv (argv[0] ignored, NULL-terminated) in tu_tmp,
 * stdin from /dev/null; fails the test when it cannot start or dies of a signal. */
void tu_run_exe(tu_proc *p, const char *exe, const char *const *argv);

#define RUN(p, ...)                                                                           \
    do {                                                                                      \
        const char *const argv_[] = {"loadgen", __VA_ARGS__, NULL};                           \
        tu_run_exe(p, NULL, argv_);                                                           \
    } while (0)

/* A short run of the synthetic SUT at 2000 QPS for 200 ms into tu_tmp/out, seeded
 * (schedule and SUT) with seed; fails the test unless it exits 0 or 1. */
void tu_short_run(const char *out, const char *scenario, const char *seed);

/* Reads a samples.bin (version 1 or 2) with the core's decoder: *h receives its header,
 * the result its h->count records (the caller frees them). Fails the test when the file
 * cannot be read or does not decode. */
struct lg_samples_header;
struct lg_sample_record;
struct lg_sample_record *tu_read_samples(const char *path, struct lg_samples_header *h);
/* Rewrites a samples.bin in version 1's layout (64-byte header, 32-byte records), as
 * earlier builds wrote it: the old files a reader must still read. */
void tu_samples_to_v1(const char *path);
/* Rewrites a samples.bin without token data in version 2's layout (blocks without the
 * token fields), as builds before version 3 wrote it. */
void tu_samples_to_v2(const char *path);

/* Adds a hand-written "client" object (an HTTP run's, docs/http.md: an OpenAI stream with
 * 5 answers failed with HTTP 500 and 2 timeouts) to DIR/results.json, with the n
 * warnings given; the older files' shape, with no such object, is what tu_short_run
 * writes. Fails the test when the file cannot be read or written. */
void tu_add_client(const char *dir, const char *const *warnings, size_t n);

/* DIR/results.json (DIR inside tu_tmp), parsed; fails the test when it cannot be read.
 * The caller frees it with json_decref. */
struct json_t;
struct json_t *tu_results_json(const char *dir);

/* A report document as Markdown, in memory from malloc (the caller frees it); fails the
 * test when it cannot be written. */
struct rpt_doc;
char *tu_doc_markdown(const struct rpt_doc *d);

#endif /* TESTS_TESTUTIL_H */
