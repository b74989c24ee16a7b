/* mpi/dist.h: distributed runs on Open MPI (docs/distributed.md): the settings sent from
 * rank 0 to every rank, the clock offsets, the common start, and the exact merge of every
 * rank's records into one run. libloadgen_mpi.a, the only library that needs MPI; this
 * header does not include <mpi.h>. The prefix is lgmpi_, not mpi_: Open MPI's Fortran
 * bindings export lower-case mpi_* symbols. Every function is for one thread of one
 * rank (MPI is initialised with MPI_THREAD_FUNNELED: only the main thread calls it). */
#ifndef MPI_DIST_H
#define MPI_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "loadgen/loadgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One rank's CLOCK_REALTIME against rank 0's, measured by ping-pong (NTP's method):
 * rank 0 reads t1, the rank answers with its clock t, rank 0 reads t4; the offset is
 * t - (t1 + t4) / 2 and it is off by at most (t4 - t1) / 2. The round with the shortest
 * round trip is kept. */
typedef struct lgmpi_clock {
    int64_t offset_ns; /* this rank's clock minus rank 0's (0 on rank 0) */
    int64_t error_ns;  /* |true offset - offset_ns| <= error_ns: half the best round trip */
    int64_t rtt_ns;    /* the best round trip */
} lgmpi_clock;

/* What one rank measured beside its records: sent to rank 0 with them, and written in
 * results.json's "distributed" section. */
typedef struct lgmpi_share {
    int32_t rank;
    int32_t status;             /* 0, or the rank's run failed: an LG_E* or exit code */
    char host[64];
    int64_t start_realtime_ns;  /* its pass's start on its own CLOCK_REALTIME */
    lgmpi_clock clock;
    uint64_t queries, samples, completed, failed, timed_out;
    uint64_t duplicates, unknown, late, bad_responses, errors_logged;
    uint64_t invalid_reasons;   /* its own LG_INVALID_* flags */
    int64_t duration_ns;        /* its start to its last completion */
    int64_t lag_p50_ns, lag_p99_ns, lag_max_ns; /* its issue lag */
} lgmpi_share;

/* MPI_Init (funneled) with errors returned, not fatal. *rank and *size receive the
 * rank and the number of ranks. Returns 0, or -1 with err (len bytes) saying why. */
int lgmpi_init(int *rank, int *size, char *err, size_t len);
/* MPI_Finalize. */
void lgmpi_finalize(void);
/* Ends every rank of the run with this exit code (MPI_Abort): for a rank 0 that has
 * written what it could and must not wait for ranks that hang. */
void lgmpi_abort(int code);

/* Rank 0's verdict to every rank: *status is rank 0's on entry there, and becomes it on
 * the others. Returns 0 or -1 with err. */
int lgmpi_bcast_status(int *status, char *err, size_t len);

/* Rank 0's text (a NUL-terminated string in buf, cap bytes) to every rank. Returns 0, or
 * -1 with err (also when it does not fit cap). */
int lgmpi_bcast_text(char *buf, size_t cap, char *err, size_t len);

/* Rank 0's settings to every rank, by name through the settings table (each field as
 * lg_settings_field_format writes it, set with lg_settings_field_set), so that a rank
 * never depends on the memory layout of another build. The lists (stages, trace) are not
 * sent. Returns 0 or -1 with err naming the field. */
int lgmpi_bcast_settings(lg_settings *s, char *err, size_t len);

/* Measures this rank's clock against rank 0's (rounds ping-pongs per rank; collective).
 * Returns 0 or -1 with err. */
int lgmpi_clock_sync(int rounds, lgmpi_clock *mine, char *err, size_t len);

/* After a barrier, rank 0 picks the start lead_ns from now on its clock and sends it;
 * *start_ref_ns receives it (rank 0's clock) and *start_local_ns the same moment on this
 * rank's clock (start_ref + offset): lg_settings.start_realtime_ns. Returns 0 or -1. */
int lgmpi_agree_start(int64_t lead_ns, const lgmpi_clock *mine, int64_t *start_ref_ns,
                      int64_t *start_local_ns, char *err, size_t len);

/* How the merged run is written (rank 0). */
typedef struct lgmpi_merge_opts {
    const lg_settings *settings; /* the run's settings (the stride and start are ignored) */
    const char *sut_name;
    const lg_qsl *qsl;           /* for the counts the logs show */
    const lg_log_settings *log;  /* the merged folder */
    int64_t start_ref_ns;        /* the agreed start on rank 0's clock */
    int64_t timeout_ms;          /* rank 0 waits this long for every rank's records */
    int nranks;
} lgmpi_merge_opts;

/* The outcome of a merge on rank 0. */
typedef struct lgmpi_merge_info {
    int missing;            /* ranks that sent nothing complete by the deadline */
    int first_missing;      /* the lowest of them, -1 when none */
    int failed;             /* ranks whose own share ended with a non-zero status */
    int first_failed;       /* the lowest of them, -1 when none */
    int first_failed_status;
    int64_t max_skew_ns;    /* the largest |start - agreed start| over the ranks that
                               started */
    int64_t max_clock_error_ns;
} lgmpi_merge_info;

/* Collective. A rank other than 0 sends its share and its n records (in blocks of
 * LG_SAMPLES_BLOCK_RECORDS, samples.bin's portable encoding: never one message sized by
 * an int) and returns 0. Rank 0 receives every rank's (waiting at most o->timeout_ms for
 * them all), converts every time to one base (the earliest actual start, on rank 0's
 * clock), interleaves the records in global query order (rank r's j-th record is global
 * query r + j * nranks), and writes one run with lg_results_from_records into
 * o->log->outdir, then adds results.json's "distributed" section. A rank missing at the
 * deadline leaves the run INVALID and incomplete, named in the detail log and in
 * results.json. *out and *info are filled on rank 0. Returns 0 (also for an incomplete
 * run: see info->missing), or an LG_E* code / -1 with err. */
int lgmpi_gather_merge(const lgmpi_merge_opts *o, const lgmpi_share *mine,
                       const lg_sample_record *records, uint64_t n, lg_results *out,
                       lgmpi_merge_info *info, char *err, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MPI_DIST_H */
