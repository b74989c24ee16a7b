/* samples.c: the samples.bin layouts (docs/logs.md), defined once for the writer
 * (logs.c), the readers (report/) and an embedder's tools: the 64-byte header, version
 * 1's fixed 32-byte record, and the blocks of variable-length integers of versions 2
 * and 3.
 *
 * Version 3 keeps every value of every record (nothing measured is lost) in about a
 * tenth of the space. Each field is stored as the difference from what the previous
 * record predicts, zigzag-mapped (small negative differences stay small) and written
 * as a LEB128 varint (7 bits a byte, the high bit set on all but the last byte):
 *   state      zigzag(status) << 1 | (completed == -1)
 *   scheduled  zigzag(scheduled - previous scheduled)
 *   lag        zigzag(issued - scheduled)
 *   latency    zigzag((completed - issued) - previous latency), only when completed
 *   index      the QSL index
 *   tflags     (first token != 0) | (sent != 0) << 1
 *   first      zigzag((first token - issued) - previous such), only with tflags bit 0
 *   sent       zigzag(sent - issued), only with tflags bit 1
 *   ntokens    zigzag(n_tokens)
 * The differences are taken modulo 2^64, so every int64 value round-trips. A field
 * that is zero in every record of a block is left out of them all (the block header's
 * omit bits): an Offline run's scheduled and issued times, a run without failures'
 * states and a run without tokens' token fields cost nothing. Version 2 is version 3
 * without the last four fields (its blocks decode as blocks that leave them out). The
 * predictions restart at 0 in every block, so a block decodes on its own, and each
 * carries a CRC-32 that a flipped bit fails. A hand-written codec because the core
 * depends on GSL and pthreads only (docs/logs.md gives the measured comparison with
 * zlib). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/loadgen.h"

enum {
    F_STATE = 1u << 0,
    F_SCHED = 1u << 1,
    F_LAG = 1u << 2,
    F_LAT = 1u << 3,
    F_INDEX = 1u << 4,
    F_TFLAGS = 1u << 5,
    F_FIRST = 1u << 6,
    F_SENT = 1u << 7,
    F_NTOK = 1u << 8,
    F_ALL_V2 = 31,
    F_TOKENS = F_TFLAGS | F_FIRST | F_SENT | F_NTOK,
    F_ALL = F_ALL_V2 | F_TOKENS,
    NFIELDS = 9,
};
/* The most a version 2 record takes (version 3: LG_SAMPLES_RECORD_MAX_BYTES). */
#define V2_RECORD_MAX_BYTES 40

/* ---------------------------------------------------------------- little-endian */

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ---------------------------------------------------------------- header */

void lg_samples_header_encode(const lg_samples_header *h,
                              unsigned char out[LG_SAMPLES_HEADER_BYTES])
{
    memset(out, 0, LG_SAMPLES_HEADER_BYTES);
    memcpy(out, LG_SAMPLES_MAGIC, 8);
    put_le32(out + 8, h->version);
    put_le32(out + 12, h->record_size);
    put_le64(out + 16, h->count);
    put_le64(out + 24, h->samples_per_query);
    put_le64(out + 32, (uint64_t)h->start_ns);
    put_le32(out + 40, h->scenario);
    put_le32(out + 44, h->mode);
    put_le32(out + 48, h->block_records);
}

int lg_samples_header_decode(const unsigned char in[LG_SAMPLES_HEADER_BYTES],
                             lg_samples_header *h)
{
    h->version = get_le32(in + 8);
    h->record_size = get_le32(in + 12);
    h->count = get_le64(in + 16);
    h->samples_per_query = get_le64(in + 24);
    h->start_ns = (int64_t)get_le64(in + 32);
    h->scenario = get_le32(in + 40);
    h->mode = get_le32(in + 44);
    h->block_records = get_le32(in + 48);
    if (memcmp(in, LG_SAMPLES_MAGIC, 8))
        return LG_EINVAL;
    if (h->version == 1) {
        /* Version 1 wrote zeros after the mode but never checked them. */
        h->block_records = 0;
        return h->record_size == LG_SAMPLES_RECORD_BYTES ? 0 : LG_EINVAL;
    }
    if ((h->version != 2 && h->version != 3) || h->record_size != 0 || h->block_records == 0 ||
        h->block_records > LG_SAMPLES_MAX_BLOCK_RECORDS)
        return LG_EINVAL;
    for (int i = 52; i < LG_SAMPLES_HEADER_BYTES; i++)
        if (in[i])
            return LG_EINVAL;
    return 0;
}

/* ---------------------------------------------------------------- version 1 */

void lg_sample_record_encode(const lg_sample_record *r,
                             unsigned char out[LG_SAMPLES_RECORD_BYTES])
{
    put_le64(out, (uint64_t)r->scheduled_ns);
    put_le64(out + 8, (uint64_t)r->issued_ns);
    put_le64(out + 16, (uint64_t)r->completed_ns);
    put_le32(out + 24, r->index);
    put_le32(out + 28, (uint32_t)r->status);
}

void lg_sample_record_decode(const unsigned char in[LG_SAMPLES_RECORD_BYTES],
                             lg_sample_record *r)
{
    r->scheduled_ns = (int64_t)get_le64(in);
    r->issued_ns = (int64_t)get_le64(in + 8);
    r->completed_ns = (int64_t)get_le64(in + 16);
    r->index = get_le32(in + 24);
    r->status = (int32_t)get_le32(in + 28);
    r->first_token_ns = 0;
    r->n_tokens = 0;
    r->sent_ns = 0;
}

/* ---------------------------------------------------------------- CRC-32 */

/* zlib's CRC-32 (reflected polynomial 0xEDB88320), eight bytes a step ("slicing by
 * 8"): about 1 ns a byte, a few percent of the encoding's time. */
static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 255];
}

/* Continues crc (0 to start) over p[0..n-1]; as zlib's crc32(crc, p, n). */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    uint32_t c = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = c ^ get_le32(p), hi = get_le32(p + 4);
        c = crc_table[7][lo & 255] ^ crc_table[6][(lo >> 8) & 255] ^
            crc_table[5][(lo >> 16) & 255] ^ crc_table[4][lo >> 24] ^
            crc_table[3][hi & 255] ^ crc_table[2][(hi >> 8) & 255] ^
            crc_table[1][(hi >> 16) & 255] ^ crc_table[0][hi >> 24];
    }
    while (n--)
        c = crc_table[0][(c ^ *p++) & 255] ^ (c >> 8);
    return ~c;
}

static uint32_t block_crc(const unsigned char *block, uint32_t payload_bytes)
{
    unsigned char h[LG_SAMPLES_BLOCK_HEADER_BYTES];
    memcpy(h, block, sizeof h);
    memset(h + 8, 0, 4);
    return crc32_update(crc32_update(0, h, sizeof h), block + sizeof h, payload_bytes);
}

/* ---------------------------------------------------------------- version 2 */

static inline uint64_t zigzag(uint64_t d)
{
    return d << 1 ^ (uint64_t)-(int64_t)(d >> 63);
}

static inline uint64_t unzigzag(uint64_t z)
{
    return z >> 1 ^ (uint64_t)-(int64_t)(z & 1);
}

static inline unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* The fields of record r given the predictions (prev: scheduled, latency, time to first
 * token); has_lat is false when the record never completed (no latency field). */
typedef struct fields {
    uint64_t v[NFIELDS]; /* in the order of the F_* bits */
    bool has_lat;
} fields;

enum { I_STATE, I_SCHED, I_LAG, I_LAT, I_INDEX, I_TFLAGS, I_FIRST, I_SENT, I_NTOK };

typedef struct predict {
    uint64_t sched, lat, first;
} predict;

static inline fields fields_of(const lg_sample_record *r, const predict *pr)
{
    fields f;
    bool done = r->completed_ns != -1;
    uint64_t issued = (uint64_t)r->issued_ns;
    f.v[I_STATE] = zigzag((uint64_t)(int64_t)r->status) << 1 | !done;
    f.v[I_SCHED] = zigzag((uint64_t)r->scheduled_ns - pr->sched);
    f.v[I_LAG] = zigzag(issued - (uint64_t)r->scheduled_ns);
    f.has_lat = done;
    f.v[I_LAT] = done ? zigzag((uint64_t)r->completed_ns - issued - pr->lat) : 0;
    f.v[I_INDEX] = r->index;
    f.v[I_TFLAGS] = (uint64_t)(r->first_token_ns != 0) | (uint64_t)(r->sent_ns != 0) << 1;
    f.v[I_FIRST] = r->first_token_ns ? zigzag((uint64_t)r->first_token_ns - issued - pr->first)
                                     : 0;
    f.v[I_SENT] = r->sent_ns ? zigzag((uint64_t)r->sent_ns - issued) : 0;
    f.v[I_NTOK] = zigzag((uint64_t)r->n_tokens);
    return f;
}

/* Whether field i of a record with these fields is written (when not omitted). */
static inline bool present(const fields *f, int i)
{
    return i == I_LAT ? f->has_lat
           : i == I_FIRST ? (f->v[I_TFLAGS] & 1) != 0
           : i == I_SENT ? (f->v[I_TFLAGS] & 2) != 0
                         : true;
}

static inline void predict_next(predict *pr, const lg_sample_record *r, const fields *f)
{
    pr->sched = (uint64_t)r->scheduled_ns;
    if (f->has_lat)
        pr->lat = (uint64_t)r->completed_ns - (uint64_t)r->issued_ns;
    if (r->first_token_ns)
        pr->first = (uint64_t)r->first_token_ns - (uint64_t)r->issued_ns;
}

size_t lg_samples_block_encode(const lg_sample_record *r, size_t n, unsigned char *out)
{
    /* First pass: which fields are zero in every record. */
    uint64_t any[NFIELDS] = {0};
    predict pr = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        fields f = fields_of(&r[i], &pr);
        for (int k = 0; k < NFIELDS; k++)
            any[k] |= f.v[k];
        predict_next(&pr, &r[i], &f);
    }
    uint32_t omit = 0;
    for (int k = 0; k < NFIELDS; k++)
        if (!any[k])
            omit |= 1u << k;
    unsigned char *p = out + LG_SAMPLES_BLOCK_HEADER_BYTES;
    pr = (predict){0, 0, 0};
    /* A block without token data stops after the index. */
    int nf = (omit & F_TOKENS) == F_TOKENS ? I_TFLAGS : NFIELDS;
    for (size_t i = 0; i < n; i++) {
        fields f = fields_of(&r[i], &pr);
        for (int k = 0; k < nf; k++)
            if (!(omit & (1u << k)) && present(&f, k))
                p = put_varint(p, f.v[k]);
        predict_next(&pr, &r[i], &f);
    }
    uint32_t payload = (uint32_t)(p - out - LG_SAMPLES_BLOCK_HEADER_BYTES);
    put_le32(out, (uint32_t)n);
    put_le32(out + 4, payload);
    put_le32(out + 8, 0);
    put_le32(out + 12, omit);
    put_le32(out + 8, block_crc(out, payload));
    return LG_SAMPLES_BLOCK_HEADER_BYTES + payload;
}

int lg_samples_block_header_decode(const unsigned char in[LG_SAMPLES_BLOCK_HEADER_BYTES],
                                   uint32_t version, uint32_t max_records,
                                   lg_samples_block *b, const char **why)
{
    const char *w = NULL;
    bool v2 = version == 2;
    b->count = get_le32(in);
    b->payload_bytes = get_le32(in + 4);
    b->crc = get_le32(in + 8);
    b->omit = get_le32(in + 12);
    if (version != 2 && version != 3)
        w = "blocks belong to versions 2 and 3 only";
    else if (b->count == 0 || b->count > max_records)
        w = "the block's record count is 0 or above the file's block size";
    else if ((uint64_t)b->payload_bytes >
             (uint64_t)b->count * (v2 ? V2_RECORD_MAX_BYTES : LG_SAMPLES_RECORD_MAX_BYTES))
        w = "the block's length is more than its records can take";
    else if (b->omit & ~(uint32_t)(v2 ? F_ALL_V2 : F_ALL))
        w = "the block sets a reserved field bit";
    /* Version 2 has no token fields: its blocks leave them out. */
    if (!w && v2)
        b->omit |= F_TOKENS;
    if (why)
        *why = w;
    return w ? LG_EINVAL : 0;
}

/* Reads one varint at *p (end: the payload's end). Returns 0 and advances *p, or (*p
 * left at the number's first byte) V_END when it runs past end, V_LONG when it holds
 * more than 64 bits. */
enum { V_END = 1, V_LONG = 2 };
static inline int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    const unsigned char *q = *p;
    if (q < end && *q < 0x80) { /* the common case: one byte */
        *v = *q;
        *p = q + 1;
        return 0;
    }
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (q == end)
            return V_END;
        unsigned char c = *q++;
        if (shift == 63 && c > 1)
            return V_LONG; /* bits beyond 64 */
        x |= (uint64_t)(c & 0x7F) << shift;
        if (c < 0x80) {
            *v = x;
            *p = q;
            return 0;
        }
    }
    return V_LONG;
}

/* Turns one record's decoded fields v into r, given the predictions. Returns NULL, or
 * why the record is impossible. */
static const char *record_of(const uint64_t *v, predict *pr, lg_sample_record *r)
{
    if (v[I_STATE] >> 1 > UINT32_MAX)
        return "a status is out of range";
    if (v[I_INDEX] > UINT32_MAX)
        return "a QSL index is out of range";
    if (v[I_TFLAGS] > 3)
        return "a record's token flags are out of range";
    bool done = !(v[I_STATE] & 1);
    uint64_t s = pr->sched + unzigzag(v[I_SCHED]);
    uint64_t is = s + unzigzag(v[I_LAG]);
    r->scheduled_ns = (int64_t)s;
    r->issued_ns = (int64_t)is;
    r->status = (int32_t)(uint32_t)unzigzag(v[I_STATE] >> 1);
    r->index = (uint32_t)v[I_INDEX];
    r->completed_ns = -1;
    if (done) {
        pr->lat += unzigzag(v[I_LAT]);
        r->completed_ns = (int64_t)(is + pr->lat);
        /* -1 is written as "never completed"; this one says it completed. */
        if (r->completed_ns == -1)
            return "a completed record decodes to the never-completed time";
    }
    r->first_token_ns = 0;
    if (v[I_TFLAGS] & 1) {
        pr->first += unzigzag(v[I_FIRST]);
        r->first_token_ns = (int64_t)(is + pr->first);
        if (r->first_token_ns == 0)
            return "a first token decodes to 0, which means none";
    }
    r->sent_ns = (v[I_TFLAGS] & 2) ? (int64_t)(is + unzigzag(v[I_SENT])) : 0;
    if ((v[I_TFLAGS] & 2) && r->sent_ns == 0)
        return "a send time decodes to 0, which means unknown";
    r->n_tokens = (int64_t)unzigzag(v[I_NTOK]);
    pr->sched = s;
    return NULL;
}

int lg_samples_block_decode(const unsigned char *block, const lg_samples_block *b,
                            lg_sample_record *out, size_t *bad_at, const char **why)
{
    const unsigned char *start = block + LG_SAMPLES_BLOCK_HEADER_BYTES;
    const unsigned char *p = start, *end = start + b->payload_bytes;
    const char *w = NULL;
    size_t at = 0;
    if (block_crc(block, b->payload_bytes) != b->crc) {
        w = "checksum mismatch: the block's bytes were changed";
        at = 8;
        goto bad;
    }
    predict pr = {0, 0, 0};
    int nf = (b->omit & F_TOKENS) == F_TOKENS ? I_TFLAGS : NFIELDS;
    for (uint32_t i = 0; i < b->count; i++) {
        const unsigned char *rec = p;
        uint64_t v[NFIELDS] = {0};
        int bad = 0;
        for (int k = 0; k < nf && !bad; k++) {
            /* The latency only when completed, first and sent only when flagged. */
            if ((b->omit & (1u << k)) || (k == I_LAT && (v[I_STATE] & 1)) ||
                (k == I_FIRST && !(v[I_TFLAGS] & 1)) || (k == I_SENT && !(v[I_TFLAGS] & 2)))
                continue;
            bad = get_varint(&p, end, &v[k]);
        }
        if (bad) {
            w = bad == V_END ? "a record runs past the block's end"
                             : "a number is longer than 64 bits";
            at = (size_t)(p - block);
            goto bad;
        }
        if ((w = record_of(v, &pr, &out[i]))) {
            at = (size_t)(rec - block);
            goto bad;
        }
    }
    if (p != end) {
        w = "the block holds bytes after its last record";
        at = (size_t)(p - block);
        goto bad;
    }
    return 0;
bad:
    if (bad_at)
        *bad_at = at;
    if (why)
        *why = w;
    return LG_EINVAL;
}

int lg_samples_decode(const unsigned char *file, size_t len, lg_samples_header *h,
                      lg_sample_record **out, size_t *bad_at, const char **why)
{
    const char *w = NULL;
    size_t at = 0, off = LG_SAMPLES_HEADER_BYTES;
    lg_sample_record *rec = NULL;
    *out = NULL;
    if (len < LG_SAMPLES_HEADER_BYTES) {
        w = "too short for the 64-byte header";
        at = len;
        goto bad;
    }
    if (lg_samples_header_decode(file, h)) {
        w = "not a samples.bin header of version 1, 2 or 3";
        goto bad;
    }
    /* Versions 2 and 3 need a 16-byte block header per block_records records (a block
     * whose fields are all left out holds nothing else). */
    uint64_t room = (len - LG_SAMPLES_HEADER_BYTES) /
                    (h->version == 1 ? LG_SAMPLES_RECORD_BYTES : LG_SAMPLES_BLOCK_HEADER_BYTES);
    uint64_t units = h->version == 1 ? h->count
                                     : h->count / h->block_records + !!(h->count % h->block_records);
    if (units > room || h->count > SIZE_MAX / sizeof *rec) {
        w = "the header announces more records than the file can hold";
        at = 16;
        goto bad;
    }
    rec = malloc(h->count ? (size_t)h->count * sizeof *rec : 1);
    if (!rec)
        return LG_ENOMEM;
    if (h->version == 1) {
        if (len != LG_SAMPLES_HEADER_BYTES + h->count * LG_SAMPLES_RECORD_BYTES) {
            w = "the file's length is not the header's record count times 32 bytes";
            at = len < LG_SAMPLES_HEADER_BYTES + h->count * LG_SAMPLES_RECORD_BYTES
                     ? len : LG_SAMPLES_HEADER_BYTES + h->count * LG_SAMPLES_RECORD_BYTES;
            goto bad;
        }
        for (uint64_t i = 0; i < h->count; i++)
            lg_sample_record_decode(file + off + i * LG_SAMPLES_RECORD_BYTES, &rec[i]);
        *out = rec;
        return 0;
    }
    uint64_t done = 0;
    while (done < h->count) {
        lg_samples_block b;
        if (len - off < LG_SAMPLES_BLOCK_HEADER_BYTES) {
            w = "the file ends inside a block header";
            at = len;
            goto bad;
        }
        if (lg_samples_block_header_decode(file + off, h->version, h->block_records, &b,
                                           &w)) {
            at = off;
            goto bad;
        }
        if (b.count > h->count - done ||
            (b.count != h->block_records && b.count != h->count - done)) {
            w = "a block other than the last is not full, or a block holds more records "
                "than the header announces";
            at = off;
            goto bad;
        }
        if (len - off - LG_SAMPLES_BLOCK_HEADER_BYTES < b.payload_bytes) {
            w = "the file ends inside a block";
            at = len;
            goto bad;
        }
        size_t in_block;
        if (lg_samples_block_decode(file + off, &b, rec + done, &in_block, &w)) {
            at = off + in_block;
            goto bad;
        }
        off += LG_SAMPLES_BLOCK_HEADER_BYTES + b.payload_bytes;
        done += b.count;
    }
    if (off != len) {
        w = "bytes after the last block";
        at = off;
        goto bad;
    }
    *out = rec;
    return 0;
bad:
    free(rec);
    if (bad_at)
        *bad_at = at;
    if (why)
        *why = w;
    return LG_EINVAL;
}
