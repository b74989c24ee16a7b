/* runfolder.h: the input format of fuzz/fuzz_runfolder.c, shared with the test that
 * replays its seed corpus (tests/test_validate.c): one byte of flags, then the contents
 * of results.json, samples.bin and mlperf_log_detail.txt separated by a 4-byte marker.
 * fuzz/make_runfolder_corpus.py writes inputs in this format. Header only (static
 * functions): the fuzz build compiles each fuzz/fuzz_*.c on its own. */
#ifndef FUZZ_RUNFOLDER_H
#define FUZZ_RUNFOLDER_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The flags byte: which files the folder gets. */
enum {
    RF_RESULTS = 1,     /* results.json, from the first part */
    RF_SAMPLES = 2,     /* samples.bin, from the second part */
    RF_DETAIL = 4,      /* mlperf_log_detail.txt, from the third part */
    RF_LEFTOVER = 8,    /* samples.bin.tmp.4242, a write interrupted by a signal */
    RF_RESULTS_DIR = 16 /* results.json is a folder (RF_RESULTS then ignored) */
};

/* Separates the parts; chosen to be rare in JSON and in the seeds' binary records. */
static const char rf_marker[4] = {0, '@', '@', 0};

/* Writes len bytes to dir/name; returns 0 or -1. */
static inline int rf_write_file(const char *dir, const char *name, const void *p, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t put = len ? fwrite(p, 1, len, f) : 0;
    return fclose(f) == 0 && put == len ? 0 : -1;
}

/* Removes the files of dir and its empty subfolders (what rf_write_folder makes). */
static inline void rf_clear(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (unlink(path))
                rmdir(path);
        }
    closedir(d);
}

/* Fills the existing folder dir from one input. Returns 0, or -1 when a file could not
 * be written. */
static inline int rf_write_folder(const char *dir, const uint8_t *data, size_t size)
{
    unsigned flags = size ? data[0] : 0;
    const uint8_t *p = size ? data + 1 : data, *end = data + size;
    const uint8_t *part[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        const uint8_t *m = p < end ? memmem(p, (size_t)(end - p), rf_marker, sizeof rf_marker)
                                   : NULL;
        part[k] = p;
        len[k] = (size_t)((m ? m : end) - p);
        p = m ? m + sizeof rf_marker : end;
    }
    int rc = 0;
    if (flags & RF_RESULTS_DIR) {
        char path[4096];
        snprintf(path, sizeof path, "%s/results.json", dir);
        rc |= mkdir(path, 0700);
    } else if (flags & RF_RESULTS) {
        rc |= rf_write_file(dir, "results.json", part[0], len[0]);
    }
    if (flags & RF_SAMPLES)
        rc |= rf_write_file(dir, "samples.bin", part[1], len[1]);
    if (flags & RF_DETAIL)
        rc |= rf_write_file(dir, "mlperf_log_detail.txt", part[2], len[2]);
    if (flags & RF_LEFTOVER)
        rc |= rf_write_file(dir, "samples.bin.tmp.4242", part[1], len[1] / 2);
    return rc ? -1 : 0;
}

#endif /* FUZZ_RUNFOLDER_H */
