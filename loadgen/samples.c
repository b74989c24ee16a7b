/* samples.c: the samples.bin layouts (docs/logs.md), defined once for the writer
 * (logs.c), the readers (report/) and an embedder's tools: the 64-byte header, version
 * 1's fixed 32-byte record, and version 2's blocks of variable-length integers.
 *
 * Version 2 keeps every value of every record (nothing measured is lost) in about a
 * tenth of the space. Each field is stored as the difference from what the previous
 * record predicts, zigzag-mapped (small negative differences stay small) and written
 * as a LEB128 varint (7 bits a byte, the high bit set on all but the last byte):
 *   state      zigzag(status) << 1 | (completed == -1)
 *   scheduled  zigzag(scheduled - previous scheduled)
 *   lag        zigzag(issued - scheduled)
 *   latency    zigzag((completed - issued) - previous latency), only when completed
 *   index      the QSL index
 * The differences are taken modulo 2^64, so every int64 value round-trips. A field
 * that is zero in every record of a block is left out of them all (the block header's
 * omit bits): an Offline run's scheduled and issued times and a run without failures'
 * states cost nothing. The predictions restart at 0 in every block, so a block decodes
 * on its own, and each carries a CRC-32 that a flipped bit fails. A hand-written codec
 * because the core depends on GSL and pthreads only (docs/logs.md gives the measured
 * comparison with zlib). */
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
    F_ALL = 31,
};

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
    if (h->version != 2 || h->record_size != 0 || h->block_records == 0 ||
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

/* The five fields of record r given the predictions; has_lat is false when the record
 * never completed (no latency field). */
typedef struct fields {
    uint64_t state, sched, lag, lat, index;
    bool has_lat;
} fields;

static inline fields fields_of(const lg_sample_record *r, uint64_t prev_sched,
                               uint64_t prev_lat)
{
    fields f;
    bool done = r->completed_ns != -1;
    f.state = zigzag((uint64_t)(int64_t)r->status) << 1 | !done;
    f.sched = zigzag((uint64_t)r->scheduled_ns - prev_sched);
    f.lag = zigzag((uint64_t)r->issued_ns - (uint64_t)r->scheduled_ns);
    f.has_lat = done;
    f.lat = done ? zigzag((uint64_t)r->completed_ns - (uint64_t)r->issued_ns - prev_lat) : 0;
    f.index = r->index;
    return f;
}

size_t lg_samples_block_encode(const lg_sample_record *r, size_t n, unsigned char *out)
{
    /* First pass: which fields are zero in every record. */
    uint64_t any[5] = {0, 0, 0, 0, 0}, prev_sched = 0, prev_lat = 0;
    for (size_t i = 0; i < n; i++) {
        fields f = fields_of(&r[i], prev_sched, prev_lat);
        any[0] |= f.state;
        any[1] |= f.sched;
        any[2] |= f.lag;
        any[3] |= f.lat;
        any[4] |= f.index;
        prev_sched = (uint64_t)r[i].scheduled_ns;
        if (f.has_lat)
            prev_lat = (uint64_t)r[i].completed_ns - (uint64_t)r[i].issued_ns;
    }
    uint32_t omit = 0;
    for (int k = 0; k < 5; k++)
        if (!any[k])
            omit |= 1u << k;
    unsigned char *p = out + LG_SAMPLES_BLOCK_HEADER_BYTES;
    prev_sched = prev_lat = 0;
    for (size_t i = 0; i < n; i++) {
        fields f = fields_of(&r[i], prev_sched, prev_lat);
        if (!(omit & F_STATE))
            p = put_varint(p, f.state);
        if (!(omit & F_SCHED))
            p = put_varint(p, f.sched);
        if (!(omit & F_LAG))
            p = put_varint(p, f.lag);
        if (f.has_lat && !(omit & F_LAT))
            p = put_varint(p, f.lat);
        if (!(omit & F_INDEX))
            p = put_varint(p, f.index);
        prev_sched = (uint64_t)r[i].scheduled_ns;
        if (f.has_lat)
            prev_lat = (uint64_t)r[i].completed_ns - (uint64_t)r[i].issued_ns;
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
                                   uint32_t max_records, lg_samples_block *b,
                                   const char **why)
{
    const char *w = NULL;
    b->count = get_le32(in);
    b->payload_bytes = get_le32(in + 4);
    b->crc = get_le32(in + 8);
    b->omit = get_le32(in + 12);
    if (b->count == 0 || b->count > max_records)
        w = "the block's record count is 0 or above the file's block size";
    else if ((uint64_t)b->payload_bytes >
             (uint64_t)b->count * LG_SAMPLES_RECORD_MAX_BYTES)
        w = "the block's length is more than its records can take";
    else if (b->omit & ~(uint32_t)F_ALL)
        w = "the block sets a reserved field bit";
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
    uint64_t prev_sched = 0, prev_lat = 0;
    for (uint32_t i = 0; i < b->count; i++) {
        const unsigned char *rec = p;
        uint64_t state = 0, sched = 0, lag = 0, lat = 0, index = 0;
        int v = 0;
        if (!(b->omit & F_STATE))
            v = get_varint(&p, end, &state);
        if (!v && !(b->omit & F_SCHED))
            v = get_varint(&p, end, &sched);
        if (!v && !(b->omit & F_LAG))
            v = get_varint(&p, end, &lag);
        bool done = !(state & 1);
        if (!v && done && !(b->omit & F_LAT))
            v = get_varint(&p, end, &lat);
        if (!v && !(b->omit & F_INDEX))
            v = get_varint(&p, end, &index);
        if (v) {
            w = v == V_END ? "a record runs past the block's end"
                           : "a number is longer than 64 bits";
            at = (size_t)(p - block);
            goto bad;
        }
        if (state >> 1 > UINT32_MAX || index > UINT32_MAX) {
            w = state >> 1 > UINT32_MAX ? "a status is out of range"
                                        : "a QSL index is out of range";
            at = (size_t)(rec - block);
            goto bad;
        }
        lg_sample_record *r = &out[i];
        uint64_t s = prev_sched + unzigzag(sched);
        uint64_t is = s + unzigzag(lag);
        r->scheduled_ns = (int64_t)s;
        r->issued_ns = (int64_t)is;
        r->status = (int32_t)(uint32_t)unzigzag(state >> 1);
        r->index = (uint32_t)index;
        if (done) {
            prev_lat += unzigzag(lat);
            r->completed_ns = (int64_t)(is + prev_lat);
            if (r->completed_ns == -1) {
                /* -1 is written as "never completed"; this one says it completed. */
                w = "a completed record decodes to the never-completed time";
                at = (size_t)(rec - block);
                goto bad;
            }
        } else {
            r->completed_ns = -1;
        }
        prev_sched = s;
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
        w = "not a samples.bin header of version 1 or 2";
        goto bad;
    }
    /* Version 2 needs a 16-byte block header per block_records records (a block whose
     * fields are all left out holds nothing else). */
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
        if (lg_samples_block_header_decode(file + off, h->block_records, &b, &w)) {
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
