/* testutil.c: see testutil.h. */
#include <criterion/criterion.h>
#include <jansson.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "report/doc.h"
#include "tests/testutil.h"

char tu_tmp[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void tu_tmp_init(void)
{
    snprintf(tu_tmp, sizeof tu_tmp, "/tmp/lg_test_XXXXXX");
    cr_assert_not_null(mkdtemp(tu_tmp));
}

void tu_tmp_fini(void)
{
    if (tu_tmp[0])
        nftw(tu_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tu_tmp[0] = '\0';
}

const char *tu_in_tmp(const char *name)
{
    static char buf[4][PATH_MAX];
    static int k;
    char *p = buf[k++ & 3];
    snprintf(p, PATH_MAX, "%s/%s", tu_tmp, name);
    return p;
}

char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    cr_assert_not_null(s);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    if (len)
        *len = got;
    return s;
}

bool tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

const char *tu_program(void)
{
    static char path[PATH_MAX];
    const char *p = getenv("LOADGEN_BIN");
    if (!p || !*p)
        p = "build/bin/loadgen";
    cr_assert(realpath(p, path) != NULL,
              "the program %s does not exist (set LOADGEN_BIN or run after `make`)", p);
    return path;
}

void tu_proc_free(tu_proc *p)
{
    free(p->out);
    free(p->err);
}

void tu_run_exe(tu_proc *p, const char *exe, const char *const *argv)
{
    const char *prog = exe ? exe : tu_program();
    char out_path[PATH_MAX], err_path[PATH_MAX];
    snprintf(out_path, sizeof out_path, "%s/.stdout", tu_tmp);
    snprintf(err_path, sizeof err_path, "%s/.stderr", tu_tmp);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0 || chdir(tu_tmp) || dup2(in, 0) < 0 ||
            dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        size_t n = 0;
        while (argv[n])
            n++;
        char **args = calloc(n + 1, sizeof *args);
        if (!args)
            _exit(127);
        args[0] = (char *)prog;
        for (size_t i = 1; i < n; i++)
            args[i] = (char *)argv[i];
        execv(prog, args);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "%s died of signal %d", prog, WTERMSIG(st));
    p->code = WEXITSTATUS(st);
    cr_assert_neq(p->code, 127, "could not start %s", prog);
    p->out = tu_slurp(out_path, NULL);
    p->err = tu_slurp(err_path, NULL);
}

void tu_short_run(const char *out, const char *scenario, const char *seed)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", scenario, "--target-qps", "2000", "--min-duration-ms", "200",
        "--quiet", "--out", out, "--schedule-rng-seed", seed, "--sut-seed", seed);
    cr_assert_leq(p.code, 1, "run %s failed: %s", out, p.err);
    tu_proc_free(&p);
}

char *tu_doc_markdown(const rpt_doc *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(rpt_doc_write_markdown(d, f), 0);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

lg_sample_record *tu_read_samples(const char *path, lg_samples_header *h)
{
    size_t len, bad = 0;
    char *data = tu_slurp(path, &len);
    const char *why = NULL;
    lg_sample_record *rec = NULL;
    int rc = lg_samples_decode((const unsigned char *)data, len, h, &rec, &bad, &why);
    free(data);
    cr_assert_eq(rc, 0, "%s: damaged at byte %zu: %s", path, bad, why ? why : "");
    return rec;
}

void tu_samples_to_v1(const char *path)
{
    lg_samples_header h;
    lg_sample_record *rec = tu_read_samples(path, &h);
    h.version = 1;
    h.record_size = LG_SAMPLES_RECORD_BYTES;
    h.block_records = 0;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    unsigned char b[LG_SAMPLES_HEADER_BYTES];
    lg_samples_header_encode(&h, b);
    cr_assert_eq(fwrite(b, sizeof b, 1, f), 1);
    for (uint64_t i = 0; i < h.count; i++) {
        unsigned char r[LG_SAMPLES_RECORD_BYTES];
        lg_sample_record_encode(&rec[i], r);
        cr_assert_eq(fwrite(r, sizeof r, 1, f), 1);
    }
    cr_assert_eq(fclose(f), 0);
    free(rec);
}

/* zlib's CRC-32, bit by bit (tests only). */
static uint32_t crc32_bits(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

void tu_samples_to_v2(const char *path)
{
    lg_samples_header h;
    lg_sample_record *rec = tu_read_samples(path, &h);
    for (uint64_t i = 0; i < h.count; i++)
        cr_assert(!rec[i].first_token_ns && !rec[i].n_tokens && !rec[i].sent_ns,
                  "%s: record %llu has token fields, which version 2 cannot hold", path,
                  (unsigned long long)i);
    h.version = 2;
    h.record_size = 0;
    uint32_t per = h.block_records ? h.block_records : LG_SAMPLES_BLOCK_RECORDS;
    h.block_records = per;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    unsigned char hb[LG_SAMPLES_HEADER_BYTES];
    lg_samples_header_encode(&h, hb);
    cr_assert_eq(fwrite(hb, sizeof hb, 1, f), 1);
    unsigned char *b = malloc(LG_SAMPLES_BLOCK_MAX_BYTES(per));
    cr_assert_not_null(b);
    for (uint64_t i = 0; i < h.count; i += per) {
        size_t n = h.count - i < per ? (size_t)(h.count - i) : per;
        size_t len = lg_samples_block_encode(rec + i, n, b);
        /* Version 3's token-field bits (5 to 8) cleared: version 2 has no such fields. */
        b[12] &= 0x1F;
        b[13] &= (unsigned char)~0x01;
        memset(b + 8, 0, 4);
        uint32_t c = crc32_bits(b, len);
        for (int k = 0; k < 4; k++)
            b[8 + k] = (unsigned char)(c >> (8 * k));
        cr_assert_eq(fwrite(b, len, 1, f), 1);
    }
    free(b);
    cr_assert_eq(fclose(f), 0);
    free(rec);
}

void tu_add_client(const char *dir, const char *const *warnings, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    cr_assert_not_null(root, "%s: %s", path, je.text);
    json_t *c = json_pack(
        "{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:{s:i}, s:{s:i, s:i},"
        " s:{s:i, s:i, s:i, s:i}, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:s}",
        "protocol", "OpenAI completions, streamed", "url", "http://127.0.0.1:9/v1",
        "connections", 8, "io_threads", 1, "pipeline", 1, "requests_submitted", 100,
        "requests_sent", 100, "responses", 98, "throttled", 0, "bad_bodies", 0,
        "errors", "timeout", 2, "responses_by_class", "2xx", 93, "5xx", 5,
        "send_delay_ns", "count", 100, "p50", 20600, "p99", 218000, "max", 2680000,
        "late_threshold_ns", 1000000, "sent_late_share", 0.03, "requested_per_s", 200.0,
        "sent_per_s", 199.5, "completed_per_s", 198.0, "wall_s", 0.5, "cpu_process_s", 0.25,
        "io_busy_max", 0.04, "connections_opened", 8, "reconnects", 1, "first_error",
        "HTTP 500: injected error");
    cr_assert_not_null(c);
    json_object_set_new(c, "tokens", json_pack("{s:{s:i, s:i}, s:i, s:{s:i, s:i, s:i},"
                                               " s:{s:i, s:i, s:i}}",
                                               "n_tokens_source", "usage", 90, "chunks", 3,
                                               "output_tokens", 720, "itl_ns", "count", 651,
                                               "p50", 1990000, "p99", 2140000,
                                               "ttft_from_send_ns", "count", 93, "p50",
                                               20100000, "p99", 20600000));
    json_t *w = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(w, json_string(warnings[i]));
    json_object_set_new(c, "warnings", w);
    json_object_set_new(root, "client", c);
    cr_assert_eq(json_dump_file(root, path, JSON_INDENT(2)), 0);
    json_decref(root);
}

json_t *tu_results_json(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/results.json", tu_tmp, dir);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    cr_assert_not_null(j, "%s: %s", path, je.text);
    return j;
}
