/* mpi/dist.c: the MPI side of a distributed run (docs/distributed.md): settings by name
 * from rank 0, clock offsets by ping-pong, one agreed start, and rank 0's merge of every
 * rank's records (received in bounded blocks, with a deadline) into one run computed by
 * the core's own lg_results_from_records. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mpi.h>

#include "loadgen/config.h"
#include "mpi/dist.h"

enum { TAG_PING = 101, TAG_PONG, TAG_SHARE, TAG_BLOCK };

/* The share travels as int64 values (MPI converts them between unlike hosts), the host
 * name as characters. */
#define SHARE_I64 22

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* An MPI error code as a message "what: MPI's text". Returns -1. */
static int mpi_fail(int rc, const char *what, char *err, size_t len)
{
    char text[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(rc, text, &n) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", rc);
    if (err && len)
        snprintf(err, len, "%s: %s", what, text);
    return -1;
}

int lgmpi_init(int *rank, int *size, char *err, size_t len)
{
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) {
        snprintf(err, len, "MPI_Init_thread failed (code %d): is this run under mpirun?", rc);
        return -1;
    }
    /* Errors come back as codes turned into messages, never a silent abort of all. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if ((rc = MPI_Comm_rank(MPI_COMM_WORLD, rank)) != MPI_SUCCESS ||
        (rc = MPI_Comm_size(MPI_COMM_WORLD, size)) != MPI_SUCCESS)
        return mpi_fail(rc, "MPI_Comm_rank", err, len);
    return 0;
}

void lgmpi_finalize(void) { MPI_Finalize(); }

void lgmpi_abort(int code)
{
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
}

int lgmpi_bcast_status(int *status, char *err, size_t len)
{
    int rc = MPI_Bcast(status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "MPI_Bcast of rank 0's status", err, len);
}

int lgmpi_bcast_text(char *buf, size_t cap, char *err, size_t len)
{
    int n = (int)strnlen(buf, cap) + 1;
    int rc = MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc)
        return mpi_fail(rc, "MPI_Bcast of a text's length", err, len);
    if (n < 1 || (size_t)n > cap)
        return snprintf(err, len, "a text from rank 0 of %d bytes does not fit %zu", n, cap), -1;
    if ((rc = MPI_Bcast(buf, n, MPI_CHAR, 0, MPI_COMM_WORLD)))
        return mpi_fail(rc, "MPI_Bcast of a text", err, len);
    buf[n - 1] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- settings */

int lgmpi_bcast_settings(lg_settings *s, char *err, size_t len)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    size_t nf = lg_settings_field_count();
    char *text = NULL;
    int n = 0;
    if (rank == 0) {
        /* "name=value\n" for every field of the table, in its order. */
        size_t cap = 256 * nf, used = 0;
        text = malloc(cap);
        if (!text)
            return snprintf(err, len, "out of memory for the settings"), -1;
        for (size_t i = 0; i < nf; i++) {
            char v[128];
            lg_settings_field_format(s, i, v, sizeof v);
            int w = snprintf(text + used, cap - used, "%s=%s\n", lg_settings_field_name(i), v);
            if (w < 0 || (size_t)w >= cap - used) {
                free(text);
                return snprintf(err, len, "settings text too long"), -1;
            }
            used += (size_t)w;
        }
        n = (int)used + 1;
    }
    int rc = MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        free(text);
        return mpi_fail(rc, "MPI_Bcast of the settings' size", err, len);
    }
    if (rank != 0 && !(text = malloc((size_t)n)))
        return snprintf(err, len, "out of memory for the settings"), -1;
    if ((rc = MPI_Bcast(text, n, MPI_CHAR, 0, MPI_COMM_WORLD)) != MPI_SUCCESS) {
        free(text);
        return mpi_fail(rc, "MPI_Bcast of the settings", err, len);
    }
    int ret = 0;
    if (rank != 0) {
        text[n - 1] = '\0';
        int line = 0;
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            line++;
            char *eq = strchr(l, '=');
            if (!eq) {
                snprintf(err, len, "settings from rank 0, line %d: no '=' in '%s'", line, l);
                ret = -1;
                break;
            }
            *eq = '\0';
            int f = lg_settings_field_find(l);
            char why[256];
            if (f < 0) {
                snprintf(err, len, "settings from rank 0, line %d: unknown field '%s' (another "
                         "loadgen version on rank 0?)", line, l);
                ret = -1;
                break;
            }
            if (lg_settings_field_set(s, (size_t)f, eq + 1, why, sizeof why)) {
                snprintf(err, len, "settings from rank 0: %s = '%s': %s", l, eq + 1, why);
                ret = -1;
                break;
            }
        }
    }
    free(text);
    return ret;
}

/* ---------------------------------------------------------------- clocks and start */

int lgmpi_clock_sync(int rounds, lgmpi_clock *mine, char *err, size_t len)
{
    int rank = 0, size = 1, rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    memset(mine, 0, sizeof *mine);
    if (rounds < 1)
        rounds = 1;
    /* Rank 0 measures each rank in turn; the result goes back to it. */
    for (int r = 1; r < size; r++) {
        if (rank == 0) {
            int64_t best_rtt = INT64_MAX, best_off = 0;
            for (int k = 0; k < rounds; k++) {
                int64_t t1 = wall_ns(), t = 0;
                if ((rc = MPI_Send(&t1, 1, MPI_INT64_T, r, TAG_PING, MPI_COMM_WORLD)) ||
                    (rc = MPI_Recv(&t, 1, MPI_INT64_T, r, TAG_PONG, MPI_COMM_WORLD,
                                   MPI_STATUS_IGNORE)))
                    return mpi_fail(rc, "clock ping-pong", err, len);
                int64_t t4 = wall_ns();
                if (t4 - t1 < best_rtt) {
                    best_rtt = t4 - t1;
                    best_off = t - (t1 + (t4 - t1) / 2);
                }
            }
            int64_t res[3] = {best_off, (best_rtt + 1) / 2, best_rtt};
            if ((rc = MPI_Send(res, 3, MPI_INT64_T, r, TAG_PING, MPI_COMM_WORLD)))
                return mpi_fail(rc, "clock result", err, len);
        } else if (rank == r) {
            for (int k = 0; k < rounds; k++) {
                int64_t t1;
                if ((rc = MPI_Recv(&t1, 1, MPI_INT64_T, 0, TAG_PING, MPI_COMM_WORLD,
                                   MPI_STATUS_IGNORE)))
                    return mpi_fail(rc, "clock ping-pong", err, len);
                int64_t t = wall_ns();
                if ((rc = MPI_Send(&t, 1, MPI_INT64_T, 0, TAG_PONG, MPI_COMM_WORLD)))
                    return mpi_fail(rc, "clock ping-pong", err, len);
            }
            int64_t res[3];
            if ((rc = MPI_Recv(res, 3, MPI_INT64_T, 0, TAG_PING, MPI_COMM_WORLD,
                               MPI_STATUS_IGNORE)))
                return mpi_fail(rc, "clock result", err, len);
            mine->offset_ns = res[0];
            mine->error_ns = res[1];
            mine->rtt_ns = res[2];
        }
    }
    return 0;
}

int lgmpi_agree_start(int64_t lead_ns, const lgmpi_clock *mine, int64_t *start_ref_ns,
                      int64_t *start_local_ns, char *err, size_t len)
{
    int rank = 0, rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if ((rc = MPI_Barrier(MPI_COMM_WORLD)))
        return mpi_fail(rc, "MPI_Barrier before the start", err, len);
    int64_t t = rank == 0 ? wall_ns() + lead_ns : 0;
    if ((rc = MPI_Bcast(&t, 1, MPI_INT64_T, 0, MPI_COMM_WORLD)))
        return mpi_fail(rc, "MPI_Bcast of the start time", err, len);
    *start_ref_ns = t;
    *start_local_ns = t + mine->offset_ns;
    return 0;
}

/* ---------------------------------------------------------------- the merge */

static void share_pack(const lgmpi_share *s, int64_t v[SHARE_I64])
{
    int64_t a[SHARE_I64] = {
        s->rank, s->status, s->start_realtime_ns, s->clock.offset_ns, s->clock.error_ns,
        s->clock.rtt_ns, (int64_t)s->queries, (int64_t)s->samples, (int64_t)s->completed,
        (int64_t)s->failed, (int64_t)s->timed_out, (int64_t)s->duplicates,
        (int64_t)s->unknown, (int64_t)s->late, (int64_t)s->bad_responses,
        (int64_t)s->errors_logged, (int64_t)s->invalid_reasons, s->duration_ns,
        s->lag_p50_ns, s->lag_p99_ns, s->lag_max_ns, 0};
    memcpy(v, a, sizeof a);
}

static void share_unpack(const int64_t v[SHARE_I64], lgmpi_share *s)
{
    s->rank = (int32_t)v[0];
    s->status = (int32_t)v[1];
    s->start_realtime_ns = v[2];
    s->clock = (lgmpi_clock){v[3], v[4], v[5]};
    s->queries = (uint64_t)v[6];
    s->samples = (uint64_t)v[7];
    s->completed = (uint64_t)v[8];
    s->failed = (uint64_t)v[9];
    s->timed_out = (uint64_t)v[10];
    s->duplicates = (uint64_t)v[11];
    s->unknown = (uint64_t)v[12];
    s->late = (uint64_t)v[13];
    s->bad_responses = (uint64_t)v[14];
    s->errors_logged = (uint64_t)v[15];
    s->invalid_reasons = (uint64_t)v[16];
    s->duration_ns = v[17];
    s->lag_p50_ns = v[18];
    s->lag_p99_ns = v[19];
    s->lag_max_ns = v[20];
}

/* A non-root rank: its share (int64s, then the host name), then its records in blocks. */
static int send_share(const lgmpi_share *mine, const lg_sample_record *rec, uint64_t n,
                      char *err, size_t len)
{
    int64_t v[SHARE_I64 + 1];
    share_pack(mine, v);
    v[SHARE_I64] = (int64_t)n;
    int rc = MPI_Send(v, SHARE_I64 + 1, MPI_INT64_T, 0, TAG_SHARE, MPI_COMM_WORLD);
    if (!rc)
        rc = MPI_Send(mine->host, (int)sizeof mine->host, MPI_CHAR, 0, TAG_SHARE,
                      MPI_COMM_WORLD);
    if (rc)
        return mpi_fail(rc, "sending this rank's share to rank 0", err, len);
    unsigned char *buf = malloc(LG_SAMPLES_BLOCK_MAX_BYTES(LG_SAMPLES_BLOCK_RECORDS));
    if (!buf)
        return snprintf(err, len, "out of memory for a block of records"), -1;
    for (uint64_t at = 0; at < n; at += LG_SAMPLES_BLOCK_RECORDS) {
        size_t k = n - at < LG_SAMPLES_BLOCK_RECORDS ? (size_t)(n - at)
                                                     : LG_SAMPLES_BLOCK_RECORDS;
        size_t bytes = lg_samples_block_encode(rec + at, k, buf);
        if ((rc = MPI_Send(buf, (int)bytes, MPI_BYTE, 0, TAG_BLOCK, MPI_COMM_WORLD))) {
            free(buf);
            return mpi_fail(rc, "sending records to rank 0", err, len);
        }
    }
    free(buf);
    return 0;
}

/* What rank 0 holds of one rank. */
typedef struct part {
    lgmpi_share share;
    lg_sample_record *rec;
    uint64_t n, got;     /* records announced, received */
    int stage;           /* 0 nothing yet, 1 share's numbers, 2 host, 3 complete */
    char error[512];     /* why it is missing or damaged */
} part;

/* Takes one pending message of rank r, if any. Returns 1 when one was taken, 0 when none
 * was waiting, -1 on an error (in p->error; the rank is then given up). */
static int take_message(part *p, int r)
{
    int flag = 0, rc;
    MPI_Status st;
    if ((rc = MPI_Iprobe(r, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st)) != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int tl;
        MPI_Error_string(rc, text, &tl);
        snprintf(p->error, sizeof p->error, "rank %d: MPI_Iprobe: %.200s", r, text);
        return -1;
    }
    if (!flag)
        return 0;
    int count = 0;
    if (p->stage == 0) {
        int64_t v[SHARE_I64 + 1];
        MPI_Get_count(&st, MPI_INT64_T, &count);
        if (st.MPI_TAG != TAG_SHARE || count != SHARE_I64 + 1 ||
            MPI_Recv(v, SHARE_I64 + 1, MPI_INT64_T, r, TAG_SHARE, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE)) {
            snprintf(p->error, sizeof p->error, "rank %d sent a malformed share", r);
            return -1;
        }
        share_unpack(v, &p->share);
        p->n = (uint64_t)v[SHARE_I64];
        if (v[SHARE_I64] < 0 || p->n > (UINT64_C(1) << 36) ||
            (p->n && !(p->rec = malloc(p->n * sizeof *p->rec)))) {
            snprintf(p->error, sizeof p->error, "rank %d: no room for its %lld records", r,
                     (long long)v[SHARE_I64]);
            return -1;
        }
        p->stage = 1;
        return 1;
    }
    if (p->stage == 1) {
        if (MPI_Recv(p->share.host, (int)sizeof p->share.host, MPI_CHAR, r, TAG_SHARE,
                     MPI_COMM_WORLD, MPI_STATUS_IGNORE)) {
            snprintf(p->error, sizeof p->error, "rank %d: its host name did not arrive", r);
            return -1;
        }
        p->share.host[sizeof p->share.host - 1] = '\0';
        p->stage = p->n ? 2 : 3;
        return 1;
    }
    MPI_Get_count(&st, MPI_BYTE, &count);
    unsigned char *buf = malloc(count > 0 ? (size_t)count : 1);
    if (!buf || st.MPI_TAG != TAG_BLOCK ||
        MPI_Recv(buf, count, MPI_BYTE, r, TAG_BLOCK, MPI_COMM_WORLD, MPI_STATUS_IGNORE)) {
        free(buf);
        snprintf(p->error, sizeof p->error, "rank %d: a block of records did not arrive", r);
        return -1;
    }
    lg_samples_block b;
    const char *why = "";
    size_t bad_at = 0;
    if (count < LG_SAMPLES_BLOCK_HEADER_BYTES ||
        lg_samples_block_header_decode(buf, LG_SAMPLES_VERSION, LG_SAMPLES_BLOCK_RECORDS, &b,
                                       &why) ||
        (size_t)count != LG_SAMPLES_BLOCK_HEADER_BYTES + b.payload_bytes ||
        b.count > p->n - p->got ||
        lg_samples_block_decode(buf, &b, p->rec + p->got, &bad_at, &why)) {
        snprintf(p->error, sizeof p->error, "rank %d: a damaged block of records (%s)", r,
                 *why ? why : "wrong size");
        free(buf);
        return -1;
    }
    free(buf);
    p->got += b.count;
    if (p->got == p->n)
        p->stage = 3;
    return 1;
}

static void sleep_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

/* Adds the distributed section to the merged run's results.json (rewritten under a
 * temporary name and renamed, as every run file). */
static int add_section(const char *dir, const part *parts, int nranks, int64_t base_ref,
                       int64_t start_ref, int hosts, bool complete, char *err, size_t len)
{
    int reported = 0;
    for (int r = 0; r < nranks; r++)
        reported += parts[r].stage == 3;
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return snprintf(err, len, "%s: %s", path, je.text), -1;
    json_t *d = json_object();
    json_object_set_new(d, "ranks", json_integer(nranks));
    json_object_set_new(d, "hosts", json_integer(hosts));
    json_object_set_new(d, "complete", json_boolean(complete));
    json_object_set_new(d, "ranks_reported", json_integer(reported));
    json_object_set_new(d, "split", json_string("stride: rank r issues global queries r, "
                                                "r+N, r+2N, ... of one seeded schedule"));
    json_object_set_new(d, "mlperf_valid", json_false());
    json_object_set_new(d, "statement",
                        json_string("a distributed run: MLPerf's rules allow one LoadGen "
                                    "per submission, so this run is never MLPerf-valid"));
    json_object_set_new(d, "start_ref_unix_ns", json_integer(start_ref));
    json_object_set_new(d, "time_base_unix_ns", json_integer(base_ref));
    json_t *arr = json_array();
    for (int r = 0; r < nranks; r++) {
        const part *p = &parts[r];
        const lgmpi_share *s = &p->share;
        json_t *o = json_object();
        json_object_set_new(o, "rank", json_integer(r));
        json_object_set_new(o, "reported", json_boolean(p->stage == 3));
        if (p->stage != 3) {
            json_object_set_new(o, "error", json_string(p->error));
            json_array_append_new(arr, o);
            continue;
        }
        double secs = (double)s->duration_ns / 1e9;
        int64_t start_on_ref = s->start_realtime_ns - s->clock.offset_ns;
        json_object_set_new(o, "host", json_string(s->host));
        json_object_set_new(o, "status", json_integer(s->status));
        json_object_set_new(o, "queries", json_integer((json_int_t)s->queries));
        json_object_set_new(o, "samples", json_integer((json_int_t)s->samples));
        json_object_set_new(o, "completed", json_integer((json_int_t)s->completed));
        json_object_set_new(o, "failed", json_integer((json_int_t)s->failed));
        json_object_set_new(o, "timed_out", json_integer((json_int_t)s->timed_out));
        json_object_set_new(o, "completion_errors",
                            json_integer((json_int_t)(s->duplicates + s->unknown +
                                                      s->bad_responses)));
        json_object_set_new(o, "errors_logged", json_integer((json_int_t)s->errors_logged));
        json_object_set_new(o, "invalid_reasons", json_integer((json_int_t)s->invalid_reasons));
        json_object_set_new(o, "achieved_samples_per_sec",
                            json_real(secs > 0 ? (double)s->completed / secs : 0.0));
        json_object_set_new(o, "issue_lag_p50_ns", json_integer(s->lag_p50_ns));
        json_object_set_new(o, "issue_lag_p99_ns", json_integer(s->lag_p99_ns));
        json_object_set_new(o, "issue_lag_max_ns", json_integer(s->lag_max_ns));
        json_object_set_new(o, "clock_offset_ns", json_integer(s->clock.offset_ns));
        json_object_set_new(o, "clock_offset_error_ns", json_integer(s->clock.error_ns));
        json_object_set_new(o, "clock_rtt_ns", json_integer(s->clock.rtt_ns));
        json_object_set_new(o, "start_skew_ns", s->start_realtime_ns
                                                    ? json_integer(start_on_ref - start_ref)
                                                    : json_null());
        json_array_append_new(arr, o);
    }
    json_object_set_new(d, "per_rank", arr);
    json_object_set_new(root, "distributed", d);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int rc = 0;
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ||
        rename(tmp, path)) {
        snprintf(err, len, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        rc = -1;
    }
    json_decref(root);
    return rc;
}

/* The merged records of the parts that arrived, in global query order, on one time base
 * (base_ref: rank 0's clock). Returns the array (malloc'ed, *n records) or NULL. */
static lg_sample_record *interleave(const part *parts, int nranks, int64_t base_ref,
                                    bool one_query, uint64_t *n)
{
    uint64_t total = 0, most = 0;
    for (int r = 0; r < nranks; r++)
        if (parts[r].stage == 3) {
            total += parts[r].n;
            most = parts[r].n > most ? parts[r].n : most;
        }
    lg_sample_record *out = malloc((total ? total : 1) * sizeof *out);
    if (!out)
        return NULL;
    uint64_t k = 0;
    for (uint64_t j = 0; j < most; j++)
        for (int r = 0; r < nranks; r++) {
            const part *p = &parts[r];
            if (p->stage != 3 || j >= p->n)
                continue;
            /* The rank's start on rank 0's clock, against the base. */
            int64_t shift = p->share.start_realtime_ns - p->share.clock.offset_ns - base_ref;
            lg_sample_record x = p->rec[j];
            if (!one_query) {
                x.scheduled_ns += shift;
                x.issued_ns += shift;
            }
            if (x.completed_ns >= 0)
                x.completed_ns += shift;
            if (x.first_token_ns)
                x.first_token_ns += shift;
            if (x.sent_ns)
                x.sent_ns += shift;
            out[k++] = x;
        }
    *n = k;
    return out;
}

int lgmpi_gather_merge(const lgmpi_merge_opts *o, const lgmpi_share *mine,
                       const lg_sample_record *records, uint64_t n, lg_results *out,
                       lgmpi_merge_info *info, char *err, size_t len)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank != 0)
        return send_share(mine, records, n, err, len);

    int nr = o->nranks;
    part *parts = calloc((size_t)nr, sizeof *parts);
    if (!parts)
        return snprintf(err, len, "out of memory"), LG_ENOMEM;
    parts[0].share = *mine;
    parts[0].n = parts[0].got = n;
    parts[0].rec = (lg_sample_record *)records; /* not freed below */
    parts[0].stage = 3;
    /* Poll every rank until all are complete or the deadline passes: a rank that died or
     * hangs never blocks rank 0. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    int64_t deadline = now + o->timeout_ms * 1000000;
    for (;;) {
        bool all = true, any = false;
        for (int r = 1; r < nr; r++) {
            part *p = &parts[r];
            while (p->stage != 3 && p->stage >= 0) {
                int got = take_message(p, r);
                if (got < 0)
                    p->stage = -1;
                if (got <= 0)
                    break;
                any = true;
            }
            all = all && (p->stage == 3 || p->stage == -1);
        }
        if (all)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        if (now >= deadline)
            break;
        if (!any)
            sleep_us(500);
    }
    memset(info, 0, sizeof *info);
    info->first_missing = -1;
    info->first_failed = -1;
    char **errors = calloc((size_t)nr, sizeof *errors);
    char (*failed_text)[160] = calloc((size_t)nr, sizeof *failed_text);
    size_t nerr = 0;
    for (int r = 1; r < nr; r++) {
        part *p = &parts[r];
        if (p->stage == 3)
            continue;
        if (p->stage != -1)
            snprintf(p->error, sizeof p->error,
                     "rank %d sent %s within %lld ms of the end of rank 0's share (its "
                     "process died, hangs, or its link failed): the run is incomplete and "
                     "holds the other ranks' samples only",
                     r, p->stage == 0 ? "nothing" : "only part of its records",
                     (long long)o->timeout_ms);
        p->stage = -1;
        info->missing++;
        if (info->first_missing < 0)
            info->first_missing = r;
        if (errors)
            errors[nerr++] = p->error;
    }
    /* Shares that ran and failed (their SUT, their QSL), or never started. */
    for (int r = 0; r < nr; r++) {
        const part *p = &parts[r];
        if (p->stage != 3 || !p->share.status)
            continue;
        info->failed++;
        if (info->first_failed < 0) {
            info->first_failed = r;
            info->first_failed_status = p->share.status;
        }
        if (errors && failed_text) {
            snprintf(failed_text[r], sizeof failed_text[r], "rank %d's share ended with exit "
                     "code %d (%llu samples of it merged): the run is incomplete", r,
                     (int)p->share.status, (unsigned long long)p->n);
            errors[nerr++] = failed_text[r];
        }
    }
    /* The time base: the earliest actual start, on rank 0's clock (a share that never
     * started has no start). */
    int64_t base = INT64_MAX;
    bool one_query = o->settings->scenario == LG_OFFLINE;
    lg_pass_tally tally = {.queries = 0};
    int hosts = 0;
    for (int r = 0; r < nr; r++) {
        const part *p = &parts[r];
        if (p->stage != 3)
            continue;
        const lgmpi_share *s = &p->share;
        if (s->start_realtime_ns) {
            int64_t st = s->start_realtime_ns - s->clock.offset_ns;
            base = st < base ? st : base;
            int64_t skew = st - o->start_ref_ns;
            skew = skew < 0 ? -skew : skew;
            info->max_skew_ns = skew > info->max_skew_ns ? skew : info->max_skew_ns;
        }
        if (s->clock.error_ns > info->max_clock_error_ns)
            info->max_clock_error_ns = s->clock.error_ns;
        tally.queries = one_query ? 1 : tally.queries + s->queries;
        tally.duplicate_completions += s->duplicates;
        tally.unknown_completions += s->unknown;
        tally.late_completions += s->late;
        tally.bad_responses += s->bad_responses;
        if (s->invalid_reasons & LG_INVALID_MAX_LIMIT)
            tally.ended_max_duration = true;
        if ((s->invalid_reasons & LG_INVALID_ABORTED) || s->status)
            tally.aborted = true;
        bool seen = false;
        for (int q = 0; q < r; q++)
            seen = seen || (parts[q].stage == 3 && !strcmp(parts[q].share.host, s->host));
        hosts += !seen;
    }
    if (info->missing)
        tally.aborted = true;
    if (base == INT64_MAX)
        base = o->start_ref_ns;
    tally.start_wall_ns = base;
    char msg[2][256];
    snprintf(msg[0], sizeof msg[0], "Distributed run: %d ranks on %d hosts, a stride split of "
             "one schedule; MLPerf allows one LoadGen per submission, so this run is not "
             "MLPerf-valid", nr, hosts);
    snprintf(msg[1], sizeof msg[1], "Distributed run: largest start skew %lld ns, largest "
             "clock-offset error %lld ns", (long long)info->max_skew_ns,
             (long long)info->max_clock_error_ns);
    const char *msgs[2] = {msg[0], msg[1]};
    tally.messages = msgs;
    tally.nmessages = 2;
    /* The summary's label, in the form of its arrival note (docs/distributed.md). */
    char note[200];
    snprintf(note, sizeof note, "Distributed run MLPerf-valid : NO (%d rank%s on %d host%s; "
             "MLPerf allows one LoadGen per submission)", nr, nr == 1 ? "" : "s", hosts,
             hosts == 1 ? "" : "s");
    tally.summary_note = note;
    tally.errors = (const char *const *)errors;
    tally.nerrors = nerr;
    uint64_t total = 0;
    lg_sample_record *all = interleave(parts, nr, base, one_query, &total);
    int rc = all ? 0 : LG_ENOMEM;
    if (!rc) {
        rc = lg_results_from_records(o->settings, o->sut_name, o->qsl, o->log, all, total,
                                     &tally, out);
        if (rc)
            snprintf(err, len, "the merged run: %s", lg_last_error());
    } else {
        snprintf(err, len, "out of memory for the merged records");
    }
    if (!rc && o->log && o->log->outdir && *o->log->outdir)
        rc = add_section(o->log->outdir, parts, nr, base, o->start_ref_ns, hosts,
                         info->missing == 0 && info->failed == 0, err, len);
    free(all);
    free(errors);
    free(failed_text);
    for (int r = 1; r < nr; r++)
        free(parts[r].rec);
    free(parts);
    return rc;
}
