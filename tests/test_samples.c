/* test_samples.c: samples.bin version 3 (loadgen/samples.c): its bytes for known blocks
 * (with and without token fields), round trips of edge values, damaged and truncated
 * files refused with the byte offset (by the core's decoder and by the report reader),
 * version 1 and 2 files still read, the size a sample takes in real runs; `loadgen
 * samples` (CSV and .npy, checked byte by byte, token columns included) and the size
 * warning before a large run. */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loadgen/loadgen.h"
#include "qsl/qsl.h"
#include "report/run.h"
#include "sut/sut.h"
#include "tests/testutil.h"

/* ---- the codec ------------------------------------------------------------------------ */

/* The example of docs/logs.md, byte for byte; the checksum is zlib's
 * (python3 -c "import zlib; print(hex(zlib.crc32(...)))" gives the same). */
Test(samples_codec, a_known_block_has_the_documented_bytes, .timeout = 10)
{
    const lg_sample_record r[3] = {
        {1000, 1010, 5010, 7, 0, 0, 0, 0},
        {2000, 2000, -1, 300, 0, 0, 0, 0},
        {1500, 1600, 4600, 7, -2, 0, 0, 0},
    };
    /* No token data: the four token fields are left out (omit bits 5 to 8). */
    static const unsigned char want[] = {
        3, 0, 0, 0, 21, 0, 0, 0, 0xc9, 0xc6, 0x17, 0x3c, 0xE0, 0x01, 0, 0,
        0x00, 0xD0, 0x0F, 0x14, 0xC0, 0x3E, 0x07,
        0x01, 0xD0, 0x0F, 0x00, 0xAC, 0x02,
        0x06, 0xE7, 0x07, 0xC8, 0x01, 0xCF, 0x0F, 0x07,
    };
    unsigned char b[LG_SAMPLES_BLOCK_MAX_BYTES(3)];
    size_t n = lg_samples_block_encode(r, 3, b);
    cr_assert_eq(n, sizeof want, "block of %zu bytes", n);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(b[i], want[i], "byte %zu: %#x, want %#x", i, b[i], want[i]);
    lg_samples_block h;
    const char *why = NULL;
    cr_assert_eq(lg_samples_block_header_decode(b, 3, 4096, &h, &why), 0, "%s", why);
    cr_expect_eq(h.count, 3);
    cr_expect_eq(h.payload_bytes, 21);
    cr_expect_eq(h.crc, 0x3c17c6c9u);
    cr_expect_eq(h.omit, 0x1E0);
    lg_sample_record back[3];
    size_t bad = 0;
    cr_assert_eq(lg_samples_block_decode(b, &h, back, &bad, &why), 0, "%s", why);
    cr_expect_eq(memcmp(back, r, sizeof r), 0);
}

/* An Offline block: scheduled and issued 0, no failure: only the latency changes and
 * the index are stored, and the omitted fields are named in the header. */
Test(samples_codec, fields_zero_in_every_record_are_left_out, .timeout = 10)
{
    lg_sample_record r[4] = {{0, 0, 100, 0, 0, 0, 0, 0}, {0, 0, 100, 1, 0, 0, 0, 0},
                             {0, 0, 130, 1, 0, 0, 0, 0}, {0, 0, 125, 0, 0, 0, 0, 0}};
    unsigned char b[LG_SAMPLES_BLOCK_MAX_BYTES(4)];
    size_t n = lg_samples_block_encode(r, 4, b);
    /* state, scheduled and lag omitted: bits 0, 1, 2; and the token fields, 5 to 8. */
    cr_expect_eq(b[12], 0xE7, "omit bits %#x", b[12]);
    cr_expect_eq(b[13], 0x01, "omit bits %#x", b[13]);
    /* latency changes 100, 0, 30, -5 (zigzag 200, 0, 60, 9); indexes 0, 1, 1, 0 */
    static const unsigned char payload[] = {0xC8, 0x01, 0x00, 0x00, 0x01, 0x3C, 0x01, 0x09,
                                            0x00};
    cr_assert_eq(n, 16 + sizeof payload);
    cr_expect_eq(memcmp(b + 16, payload, sizeof payload), 0);
    lg_samples_block h;
    cr_assert_eq(lg_samples_block_header_decode(b, 3, 4, &h, NULL), 0);
    lg_sample_record back[4];
    cr_assert_eq(lg_samples_block_decode(b, &h, back, NULL, NULL), 0);
    cr_expect_eq(memcmp(back, r, sizeof r), 0);
    /* Every field zero: a record takes no byte at all. */
    lg_sample_record z[3] = {{0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0},
                             {0, 0, 0, 0, 0, 0, 0, 0}};
    cr_expect_eq(lg_samples_block_encode(z, 3, b), 16);
    cr_assert_eq(lg_samples_block_header_decode(b, 3, 3, &h, NULL), 0);
    cr_assert_eq(lg_samples_block_decode(b, &h, back, NULL, NULL), 0);
    cr_expect_eq(memcmp(back, z, sizeof z), 0);
}

/* Builds a whole version 3 file of n records in blocks of per into a malloc'ed buffer. */
static unsigned char *encode_file(const lg_sample_record *r, size_t n, uint32_t per,
                                  size_t *len)
{
    size_t cap = 64 + (n / per + 1) * LG_SAMPLES_BLOCK_MAX_BYTES(per);
    unsigned char *f = malloc(cap);
    cr_assert_not_null(f);
    lg_samples_header h = {3, 0, n, 1, 123456789, LG_SERVER, LG_MODE_PERFORMANCE, per};
    lg_samples_header_encode(&h, f);
    size_t off = 64;
    for (size_t i = 0; i < n; i += per)
        off += lg_samples_block_encode(r + i, n - i < per ? n - i : per, f + off);
    *len = off;
    return f;
}

static const lg_sample_record edge[] = {
    {0, 0, 0, 0, 0, 0, 0, 0},
    {INT64_MAX, INT64_MAX, INT64_MAX, UINT32_MAX, INT32_MAX, 0, 0, 0},
    {INT64_MIN, INT64_MAX, INT64_MIN, 0, INT32_MIN, 0, 0, 0},
    {-5, -10, -3, 1, -1, 0, 0, 0},        /* negative times and deltas */
    {100, 90, -1, 2, 0, 0, 0, 0},         /* never completed (timed out) */
    {100, 90, -1, 3, 99, 0, 0, 0},        /* a status on one never completed */
    {200, 250, 400, 4, 7, 0, 0, 0},       /* failed */
    {300, 310, 350, 5, 0, 0, 0, 0},       /* completed before the one above: out of order */
    {300, 310, 320, 6, 0, 0, 0, 0},
    {250, 260, 1000000000000, 7, 0, 0, 0, 0}, /* scheduled earlier than the previous one */
    {INT64_MAX, INT64_MIN, 0, 8, 0, 0, 0, 0}, /* lag across the whole range */
    {1, 2, -2, 9, 0, 0, 0, 0},            /* completed -2 is a time, not "never" */
    {0, 0, INT64_MIN, 10, 0, 0, 0, 0},
    /* Token fields: a first token, a count and a send time, each at its edges. */
    {100, 110, 500, 11, 0, 300, 42, 105},
    {100, 110, 500, 12, 0, INT64_MAX, INT64_MAX, INT64_MIN},
    {100, 110, -1, 13, 0, INT64_MIN, INT64_MIN, INT64_MAX}, /* a first token, never done */
    {100, 110, 500, 14, 0, -1, -1, -1},
    {100, 110, 500, 15, 0, 0, 7, 0},      /* a count without a first token */
    {100, 110, 500, 16, 0, 120, 0, 0},    /* a first token without a count */
    {100, 110, 500, 17, 0, 0, 0, 1},      /* only a send time */
};

Test(samples_codec, edge_values_round_trip_in_every_block_size, .timeout = 30)
{
    size_t n = sizeof edge / sizeof edge[0];
    for (uint32_t per = 1; per <= n + 1; per++) {
        size_t len, bad = 0;
        unsigned char *f = encode_file(edge, n, per, &len);
        lg_samples_header h;
        lg_sample_record *back = NULL;
        const char *why = NULL;
        cr_assert_eq(lg_samples_decode(f, len, &h, &back, &bad, &why), 0,
                     "blocks of %u: damaged at %zu: %s", per, bad, why);
        cr_assert_eq(h.count, n);
        cr_expect_eq(h.block_records, per);
        cr_expect_eq(h.start_ns, 123456789);
        for (size_t i = 0; i < n; i++)
            cr_expect_eq(memcmp(&back[i], &edge[i], sizeof edge[i]), 0,
                         "blocks of %u: record %zu differs (%lld %lld %lld %u %d)", per, i,
                         (long long)back[i].scheduled_ns, (long long)back[i].issued_ns,
                         (long long)back[i].completed_ns, back[i].index, back[i].status);
        free(back);
        free(f);
    }
}

/* A long varied series: every record comes back, and a real-looking Server series takes
 * far less than version 1's 32 bytes. */
Test(samples_codec, a_long_random_series_round_trips, .timeout = 30)
{
    size_t n = 100000;
    lg_sample_record *r = malloc(n * sizeof *r);
    cr_assert_not_null(r);
    uint64_t x = 88172645463325252ull;
    int64_t t = 0;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t += (int64_t)(x % 400000);
        int64_t lag = (int64_t)(x >> 20) % 5000, lat = 100000 + (int64_t)(x >> 30) % 900000;
        bool lost = x % 97 == 0;
        r[i] = (lg_sample_record){t, t + lag, lost ? -1 : t + lag + lat,
                                  (uint32_t)(x >> 40) % 1024, x % 89 == 0 ? -3 : 0, 0, 0, 0};
    }
    size_t len, bad = 0;
    unsigned char *f = encode_file(r, n, LG_SAMPLES_BLOCK_RECORDS, &len);
    lg_samples_header h;
    lg_sample_record *back = NULL;
    const char *why = NULL;
    cr_assert_eq(lg_samples_decode(f, len, &h, &back, &bad, &why), 0, "%zu: %s", bad, why);
    cr_expect_eq(memcmp(back, r, n * sizeof *r), 0);
    cr_log_info("random Server-like series: %.2f bytes a sample", (double)len / (double)n);
    cr_expect_lt((double)len / (double)n, 12.0);
    free(back);
    free(f);
    free(r);
}

/* Every truncation and every flipped bit of a small file: an error with an offset
 * inside the file, or (a flip in the header's descriptive fields) a file that decodes;
 * never a crash, never records from damaged blocks. */
Test(samples_codec, every_truncation_and_bit_flip_is_refused_or_harmless, .timeout = 60)
{
    size_t n = sizeof edge / sizeof edge[0], len, bad;
    unsigned char *f = encode_file(edge, n, 4, &len);
    lg_samples_header h;
    lg_sample_record *back;
    const char *why;
    for (size_t cut = 0; cut < len; cut++) {
        bad = SIZE_MAX;
        why = NULL;
        cr_expect_eq(lg_samples_decode(f, cut, &h, &back, &bad, &why), LG_EINVAL,
                     "cut at %zu decoded", cut);
        cr_expect_leq(bad, cut, "cut at %zu: damage reported at %zu", cut, bad);
        cr_expect_not_null(why);
        cr_expect_null(back);
    }
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            f[i] ^= (unsigned char)(1 << bit);
            bad = SIZE_MAX;
            back = NULL;
            int rc = lg_samples_decode(f, len, &h, &back, &bad, &why);
            bool descriptive = (i >= 24 && i < 48); /* spq, start, scenario, mode */
            if (descriptive) {
                cr_expect_eq(rc, 0, "flip in header byte %zu refused", i);
            } else {
                cr_expect_eq(rc, LG_EINVAL, "flip of byte %zu bit %d decoded", i, bit);
                cr_expect_leq(bad, len, "byte %zu: damage reported at %zu", i, bad);
            }
            free(back);
            f[i] ^= (unsigned char)(1 << bit);
        }
    /* Bytes after the last block. */
    unsigned char *g = malloc(len + 1);
    memcpy(g, f, len);
    g[len] = 0;
    cr_expect_eq(lg_samples_decode(g, len + 1, &h, &back, &bad, &why), LG_EINVAL);
    cr_expect_eq(bad, len);
    free(g);
    free(f);
}

/* zlib's CRC-32, bit by bit: an independent check of the codec's table-driven one. */
static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

/* Sets the checksum of the block at b (header and payload_bytes bytes). */
static void seal(unsigned char *b, size_t payload_bytes)
{
    memset(b + 8, 0, 4);
    uint32_t c = crc32_bitwise(b, 16 + payload_bytes);
    for (int i = 0; i < 4; i++)
        b[8 + i] = (unsigned char)(c >> (8 * i));
}

/* Varints past 64 bits, a record running past its block, and a count the file cannot
 * hold: refused at the byte where the damage is. */
Test(samples_codec, malformed_blocks_name_the_byte, .timeout = 10)
{
    lg_samples_block h;
    size_t bad = 0;
    const char *why = NULL;
    lg_sample_record out[2];
    /* Version 2 blocks (the token fields are implied left out). Only the state field
     * (omit bits 1 to 4): one varint of 11 bytes. */
    unsigned char b[64] = {1, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0x1E, 0, 0, 0};
    memset(b + 16, 0xFF, 10);
    b[26] = 0x01;
    cr_assert_eq(lg_samples_block_header_decode(b, 2, 1, &h, NULL), 0);
    cr_expect_eq(lg_samples_block_decode(b, &h, out, &bad, &why), LG_EINVAL);
    cr_expect_eq(bad, 8, "a checksum mismatch is reported at the checksum: %zu", bad);
    cr_expect(strstr(why, "checksum"), "%s", why);
    seal(b, 11);
    cr_assert_eq(lg_samples_block_header_decode(b, 2, 1, &h, NULL), 0);
    cr_expect_eq(lg_samples_block_decode(b, &h, out, &bad, &why), LG_EINVAL);
    cr_expect(strstr(why, "longer than 64 bits"), "%s", why);
    cr_expect_eq(bad, 16, "reported at the number's first byte: %zu", bad);
    /* 10 bytes whose last carries bit 64: also too long. */
    b[4] = 10;
    b[25] = 0x02;
    seal(b, 10);
    cr_assert_eq(lg_samples_block_header_decode(b, 2, 1, &h, NULL), 0);
    cr_expect_eq(lg_samples_block_decode(b, &h, out, &bad, &why), LG_EINVAL);
    cr_expect(strstr(why, "longer than 64 bits"), "%s", why);
    cr_expect_eq(bad, 16, "%zu", bad);
    /* A number cut by the block's end. */
    b[4] = 3;
    b[16] = 0x80, b[17] = 0x80, b[18] = 0x80;
    seal(b, 3);
    cr_assert_eq(lg_samples_block_header_decode(b, 2, 1, &h, NULL), 0);
    cr_expect_eq(lg_samples_block_decode(b, &h, out, &bad, &why), LG_EINVAL);
    cr_expect(strstr(why, "past the block's end"), "%s", why);
    cr_expect_eq(bad, 16, "%zu", bad);
    /* Two records announced, one byte of payload: the second runs past the end. */
    unsigned char c[32] = {2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x1E, 0, 0, 0, 0x00};
    seal(c, 1);
    cr_assert_eq(lg_samples_block_header_decode(c, 2, 2, &h, NULL), 0);
    cr_expect_eq(lg_samples_block_decode(c, &h, out, &bad, &why), LG_EINVAL);
    cr_expect(strstr(why, "past the block's end"), "%s", why);
    cr_expect_eq(bad, 17, "%zu", bad);
    /* A status beyond 32 bits (state 2^33) and a QSL index beyond 32 bits. */
    unsigned char d[32] = {1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0x1E, 0, 0, 0,
                           0x80, 0x80, 0x80, 0x80, 0x20};
    seal(d, 5);
    cr_assert_eq(lg_samples_block_header_decode(d, 2, 1, &h, NULL), 0);
    cr_expect_eq(lg_samples_block_decode(d, &h, out, &bad, &why), LG_EINVAL);
    cr_expect(strstr(why, "status"), "%s", why);
    cr_expect_eq(bad, 16, "%zu", bad);
    unsigned char e[32] = {1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0x0F, 0, 0, 0,
                           0x80, 0x80, 0x80, 0x80, 0x10};
    seal(e, 5);
    cr_assert_eq(lg_samples_block_header_decode(e, 2, 1, &h, NULL), 0);
    cr_expect_eq(lg_samples_block_decode(e, &h, out, &bad, &why), LG_EINVAL);
    cr_expect(strstr(why, "QSL index"), "%s", why);
    /* The checksum of a real block is zlib's, as the bit-by-bit one computes it. */
    const lg_sample_record r[2] = {{5, 6, 7, 8, 9, 0, 0, 0}, {10, 11, -1, 12, 0, 30, 3, 7}};
    unsigned char f[LG_SAMPLES_BLOCK_MAX_BYTES(2)];
    size_t n = lg_samples_block_encode(r, 2, f);
    uint32_t stored = (uint32_t)f[8] | (uint32_t)f[9] << 8 | (uint32_t)f[10] << 16 |
                      (uint32_t)f[11] << 24;
    seal(f, n - 16);
    uint32_t again = (uint32_t)f[8] | (uint32_t)f[9] << 8 | (uint32_t)f[10] << 16 |
                     (uint32_t)f[11] << 24;
    cr_expect_eq(stored, again, "checksum %#x, zlib's %#x", stored, again);
    /* Header checks. */
    unsigned char z[16] = {0};
    cr_expect_eq(lg_samples_block_header_decode(z, 3, 10, &h, &why), LG_EINVAL);
    cr_expect(strstr(why, "record count"), "%s", why);
    /* A record takes at most 40 bytes in version 2, 71 in version 3. */
    unsigned char big[16] = {1, 0, 0, 0, 41, 0, 0, 0};
    cr_expect_eq(lg_samples_block_header_decode(big, 2, 10, &h, &why), LG_EINVAL);
    cr_expect(strstr(why, "length"), "%s", why);
    cr_expect_eq(lg_samples_block_header_decode(big, 3, 10, &h, &why), 0);
    big[4] = 72;
    cr_expect_eq(lg_samples_block_header_decode(big, 3, 10, &h, &why), LG_EINVAL);
    cr_expect(strstr(why, "length"), "%s", why);
    /* Bit 5 is a token field in version 3 and reserved in version 2; bit 9 in both. */
    unsigned char res[16] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x20};
    cr_expect_eq(lg_samples_block_header_decode(res, 2, 10, &h, &why), LG_EINVAL);
    cr_expect(strstr(why, "reserved"), "%s", why);
    cr_expect_eq(lg_samples_block_header_decode(res, 3, 10, &h, &why), 0);
    res[12] = 0, res[13] = 0x02;
    cr_expect_eq(lg_samples_block_header_decode(res, 3, 10, &h, &why), LG_EINVAL);
    cr_expect(strstr(why, "reserved"), "%s", why);
    cr_expect_eq(lg_samples_block_header_decode(res, 1, 10, &h, &why), LG_EINVAL);
    /* A header announcing 2^40 records in a 100-byte file: refused before any
     * allocation. */
    unsigned char file[100] = {0};
    lg_samples_header fh = {3, 0, (uint64_t)1 << 40, 1, 0, 0, 2, 65536};
    lg_samples_header_encode(&fh, file);
    lg_sample_record *back;
    cr_expect_eq(lg_samples_decode(file, sizeof file, &fh, &back, &bad, &why), LG_EINVAL);
    cr_expect_eq(bad, 16);
}

/* Version 3's token fields: a known token block byte for byte, and a block without token
 * data takes exactly the bytes of version 2's block (only the omit bits differ). */
Test(samples_codec, token_fields_have_the_documented_bytes_and_cost_nothing_when_absent,
     .timeout = 10)
{
    /* Offline-like: scheduled and issued 0. Latency 100, first token at 40, 3 tokens. */
    const lg_sample_record t[2] = {{0, 0, 100, 0, 0, 40, 3, 0}, {0, 0, 130, 0, 0, 50, 3, 0}};
    unsigned char b[LG_SAMPLES_BLOCK_MAX_BYTES(2)];
    size_t n = lg_samples_block_encode(t, 2, b);
    /* omitted: state, scheduled, lag, index, sent (bits 0, 1, 2, 4, 7) */
    cr_expect_eq(b[12] | b[13] << 8, 0x97, "omit %#x", b[12] | b[13] << 8);
    /* latency 100 (zigzag 200), flags 1, first 40 (zigzag 80), 3 tokens (zigzag 6); then
     * latency +30 (60), flags 1, first +10 (20), 3 tokens */
    static const unsigned char payload[] = {0xC8, 0x01, 0x01, 0x50, 0x06,
                                            0x3C, 0x01, 0x14, 0x06};
    cr_assert_eq(n, 16 + sizeof payload, "%zu bytes", n);
    cr_expect_eq(memcmp(b + 16, payload, sizeof payload), 0);
    lg_samples_block h;
    lg_sample_record back[2];
    cr_assert_eq(lg_samples_block_header_decode(b, 3, 2, &h, NULL), 0);
    cr_assert_eq(lg_samples_block_decode(b, &h, back, NULL, NULL), 0);
    cr_expect_eq(memcmp(back, t, sizeof t), 0);
    /* The same block read as version 2 is refused: bit 5 upward is reserved there. */
    cr_expect_eq(lg_samples_block_header_decode(b, 2, 2, &h, NULL), LG_EINVAL);

    /* Without token data, the payload is version 2's, byte for byte. */
    size_t m = sizeof edge / sizeof edge[0] - 7; /* the records without token fields */
    unsigned char *v3 = malloc(LG_SAMPLES_BLOCK_MAX_BYTES(m));
    cr_assert_not_null(v3);
    size_t n3 = lg_samples_block_encode(edge, m, v3);
    cr_expect_eq(v3[12] >> 5 | (v3[13] & 1) << 3, 0xF, "the token fields are left out");
    /* As version 2 wrote it: those bits clear, the checksum sealed again. */
    v3[12] &= 0x1F;
    v3[13] &= (unsigned char)~1;
    seal(v3, n3 - 16);
    cr_assert_eq(lg_samples_block_header_decode(v3, 2, (uint32_t)m, &h, NULL), 0);
    cr_expect_eq(h.omit & 0x1E0, 0x1E0, "a version 2 block decodes without token fields");
    lg_sample_record *r2 = malloc(m * sizeof *r2);
    cr_assert_not_null(r2);
    cr_assert_eq(lg_samples_block_decode(v3, &h, r2, NULL, NULL), 0);
    cr_expect_eq(memcmp(r2, edge, m * sizeof *r2), 0);
    free(r2);
    free(v3);
    /* A flagged first token or send time that decodes to 0 ("none") is refused. */
    const lg_sample_record z[1] = {{0, 0, 100, 0, 0, 40, 0, 0}};
    n = lg_samples_block_encode(z, 1, b);
    cr_assert_eq(b[16 + 2], 1, "flags");
    b[16 + 3] = 0x00; /* a difference of 0 from issued (0): the first token decodes to 0 */
    seal(b, n - 16);
    cr_assert_eq(lg_samples_block_header_decode(b, 3, 1, &h, NULL), 0);
    const char *why = NULL;
    cr_expect_eq(lg_samples_block_decode(b, &h, back, NULL, &why), LG_EINVAL);
    cr_expect(why && strstr(why, "first token"), "%s", why ? why : "");
}

/* ---- real runs ---------------------------------------------------------------------- */

static long file_size(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
    return (long)st.st_size;
}

/* Runs the null SUT Offline with about n samples (or the synthetic SUT for Server) into
 * dir; returns the samples issued. */
static uint64_t lib_run(const char *dir, lg_scenario sc, double rate, uint64_t ms)
{
    qsl_synthetic *q;
    cr_assert_eq(qsl_synthetic_create("t", 1024, 256, 0, 0, &q), 0);
    lg_qsl qsl = qsl_synthetic_qsl(q);
    sut_synthetic *syn = NULL;
    lg_sut sut;
    if (sc == LG_OFFLINE) {
        sut = sut_null();
    } else {
        sut_synthetic_config c;
        sut_synthetic_default(&c);
        c.mean_ns = 200000;
        c.seed = 3;
        cr_assert_eq(sut_synthetic_create(&c, &syn), 0);
        sut = sut_synthetic_sut(syn);
    }
    lg_settings s;
    lg_settings_default(&s);
    s.scenario = sc;
    s.min_duration_ms = ms;
    s.min_query_count = 1;
    if (sc == LG_OFFLINE)
        s.offline_expected_qps = rate;
    else
        s.server_target_qps = rate;
    s.schedule_rng_seed = 3;
    lg_log_settings l;
    lg_log_settings_default(&l);
    l.outdir = dir;
    lg_results r;
    cr_assert_eq(lg_run_test(&s, &sut, &qsl, &l, &r), 0, "%s", lg_last_error());
    sut_synthetic_destroy(syn);
    qsl_synthetic_destroy(q);
    return r.samples_issued;
}

Test(samples_size, a_null_sut_offline_run_takes_at_most_12_bytes_a_sample, TU_TMP,
     .timeout = 120)
{
    const char *dir = tu_in_tmp("off");
    uint64_t n = lib_run(dir, LG_OFFLINE, 1e7, 100); /* 1.1e6 samples */
    cr_assert_geq(n, 1000000);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/samples.bin", dir);
    double per = (double)file_size(path) / (double)n;
    cr_log_info("null SUT Offline, %llu samples: %.3f bytes a sample (version 1: 32)",
                (unsigned long long)n, per);
    cr_expect_leq(per, 12.0, "%.3f bytes a sample", per);
    /* And the report reads every one of them back. */
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(dir, &run, err, sizeof err), 0, "%s", err);
    size_t got;
    const rpt_sample *s = rpt_run_samples(run, &got);
    cr_expect_eq(got, n);
    cr_expect_eq(s[0].scheduled_ns, 0);
    cr_expect_gt(s[got - 1].completed_ns, 0);
    rpt_run_destroy(run);
}

Test(samples_size, a_synthetic_server_run_takes_far_less_than_version_1, TU_TMP,
     .timeout = 120)
{
    const char *dir = tu_in_tmp("srv");
    uint64_t n = lib_run(dir, LG_SERVER, 4000, 1000);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/samples.bin", dir);
    double per = (double)file_size(path) / (double)n;
    cr_log_info("synthetic Server, %llu samples: %.3f bytes a sample (version 1: 32)",
                (unsigned long long)n, per);
    cr_expect_lt(per, 16.0, "%.3f bytes a sample", per);
}

/* A version 1 file (what earlier builds wrote) of the same run reads back to the same
 * records, through the report reader and the core's decoder. */
Test(samples_compat, version_1_files_are_still_read, TU_TMP, .timeout = 120)
{
    const char *dir = tu_in_tmp("v");
    lib_run(dir, LG_SERVER, 2000, 300);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/samples.bin", dir);
    rpt_run *a, *b;
    char err[512];
    cr_assert_eq(rpt_run_load(dir, &a, err, sizeof err), 0, "%s", err);
    long v2 = file_size(path);
    tu_samples_to_v1(path);
    size_t len;
    char *raw = tu_slurp(path, &len);
    cr_assert_eq(raw[8], 1, "not rewritten as version 1");
    free(raw);
    cr_assert_eq(rpt_run_load(dir, &b, err, sizeof err), 0, "%s", err);
    size_t na, nb;
    const rpt_sample *sa = rpt_run_samples(a, &na), *sb = rpt_run_samples(b, &nb);
    cr_assert_eq(na, nb);
    cr_expect_eq(memcmp(sa, sb, na * sizeof *sa), 0);
    cr_expect_eq((size_t)file_size(path), 64 + 32 * na);
    cr_expect_lt(v2, file_size(path));
    rpt_run_destroy(a);
    rpt_run_destroy(b);
}

/* A version 2 file (what builds before token fields wrote) of the same run reads back
 * to the same records, through the report reader and the core's decoder. */
Test(samples_compat, version_2_files_are_still_read, TU_TMP, .timeout = 120)
{
    const char *dir = tu_in_tmp("v");
    lib_run(dir, LG_SERVER, 2000, 300);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/samples.bin", dir);
    rpt_run *a, *b;
    char err[512];
    cr_assert_eq(rpt_run_load(dir, &a, err, sizeof err), 0, "%s", err);
    long v3 = file_size(path);
    lg_samples_header h3, h2;
    lg_sample_record *r3 = tu_read_samples(path, &h3);
    cr_assert_eq(h3.version, 3);
    tu_samples_to_v2(path);
    lg_sample_record *r2 = tu_read_samples(path, &h2);
    cr_assert_eq(h2.version, 2);
    cr_assert_eq(h2.count, h3.count);
    cr_expect_eq(memcmp(r2, r3, h3.count * sizeof *r3), 0);
    /* A run without tokens: version 3 took not one byte more than version 2. */
    cr_expect_eq(file_size(path), v3);
    cr_assert_eq(rpt_run_load(dir, &b, err, sizeof err), 0, "%s", err);
    size_t na, nb, nt;
    const rpt_sample *sa = rpt_run_samples(a, &na), *sb = rpt_run_samples(b, &nb);
    cr_assert_eq(na, nb);
    cr_expect_eq(memcmp(sa, sb, na * sizeof *sa), 0);
    cr_expect_null(rpt_run_token_samples(b, &nt));
    cr_expect_eq(nt, 0);
    free(r2);
    free(r3);
    rpt_run_destroy(a);
    rpt_run_destroy(b);
}

/* A token run's samples.bin: every record's first token, token count and send time, read
 * back by the core, the report reader and `loadgen samples`; the TTFT percentile
 * recomputed from the file is results.json's. */
Test(samples_tokens, a_token_run_records_first_tokens_counts_and_send_times, TU_TMP,
     .timeout = 120)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "Server", "--target-qps", "400", "--min-duration-ms", "500",
        "--use-token-latencies", "--sut-tokens", "5", "--sut-tpot-us", "200",
        "--service-dist", "constant", "--service-mean-us", "1000", "--quiet", "--out", "t");
    cr_assert_leq(p.code, 1, "run failed: %s", p.err);
    tu_proc_free(&p);
    lg_samples_header h;
    lg_sample_record *r = tu_read_samples(tu_in_tmp("t/samples.bin"), &h);
    cr_assert_eq(h.version, 3);
    cr_assert_gt(h.count, 100);
    int64_t *ttft = malloc(h.count * sizeof *ttft);
    size_t k = 0;
    for (size_t i = 0; i < h.count; i++) {
        if (r[i].completed_ns < 0)
            continue;
        cr_expect_eq(r[i].n_tokens, 5, "record %zu", i);
        cr_expect_gt(r[i].first_token_ns, r[i].issued_ns, "record %zu", i);
        cr_expect_leq(r[i].first_token_ns, r[i].completed_ns, "record %zu", i);
        cr_expect_geq(r[i].sent_ns, r[i].issued_ns, "record %zu", i);
        cr_expect_leq(r[i].sent_ns, r[i].first_token_ns, "record %zu", i);
        ttft[k++] = r[i].first_token_ns - r[i].scheduled_ns;
    }
    /* MLPerf's rule: sorted, element floor(n * 0.9). */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && ttft[j - 1] > ttft[j]; j--) {
            int64_t x = ttft[j];
            ttft[j] = ttft[j - 1];
            ttft[j - 1] = x;
        }
    rpt_run *run;
    char err[512];
    cr_assert_eq(rpt_run_load(tu_in_tmp("t"), &run, err, sizeof err), 0, "%s", err);
    const lg_token_results *tk = &rpt_run_get_info(run)->results.tokens;
    cr_expect(tk->applies && tk->mlperf);
    cr_expect_str_eq(tk->count_source, "sut");
    cr_expect_eq(tk->ttft.count, k);
    cr_expect_eq(tk->ttft.p90_ns, ttft[(size_t)((double)k * 0.9)]);
    size_t nt;
    const rpt_token_sample *ts = rpt_run_token_samples(run, &nt);
    cr_assert_eq(nt, h.count);
    for (size_t i = 0; i < nt; i++) {
        cr_expect_eq(ts[i].first_token_ns, r[i].first_token_ns);
        cr_expect_eq(ts[i].n_tokens, r[i].n_tokens);
        cr_expect_eq(ts[i].sent_ns, r[i].sent_ns);
    }
    rpt_run_destroy(run);
    /* The CSV has the three token columns, with the file's values. */
    RUN(&p, "samples", "t", "--csv");
    cr_assert_eq(p.code, 0, "%s", p.err);
    const char *head = "sample,query,qsl_index,scheduled_ns,issued_ns,completed_ns,status,"
                       "first_token_ns,n_tokens,sent_ns\n";
    cr_expect_eq(strncmp(p.out, head, strlen(head)), 0, "%.200s", p.out);
    char row[200];
    snprintf(row, sizeof row, "\n0,0,%u,%lld,%lld,%lld,%d,%lld,%lld,%lld\n", r[0].index,
             (long long)r[0].scheduled_ns, (long long)r[0].issued_ns,
             (long long)r[0].completed_ns, r[0].status, (long long)r[0].first_token_ns,
             (long long)r[0].n_tokens, (long long)r[0].sent_ns);
    cr_expect(strstr(p.out, row), "no row %s", row);
    tu_proc_free(&p);
    /* The .npy has them too: 72-byte items. */
    RUN(&p, "samples", "t", "--npy", "t.npy");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    size_t len;
    unsigned char *npy = (unsigned char *)tu_slurp(tu_in_tmp("t.npy"), &len);
    size_t hl = 10 + (size_t)(npy[8] | npy[9] << 8);
    cr_expect(strstr((char *)npy + 10, "('first_token_ns', '<i8'), ('n_tokens', '<i8'), "
                                       "('sent_ns', '<i8')]"));
    cr_expect_eq(len, hl + 72 * h.count, "%zu bytes", len);
    int64_t first0 = 0;
    for (int i = 7; i >= 0; i--)
        first0 = (int64_t)((uint64_t)first0 << 8 | npy[hl + 48 + i]);
    cr_expect_eq(first0, r[0].first_token_ns);
    free(npy);
    free(ttft);
    free(r);
}

/* A damaged version 2 file, through the report reader and the program: the file and
 * the byte are named. */
Test(samples_compat, damaged_files_are_refused_with_the_file_and_the_byte, TU_TMP,
     .timeout = 120)
{
    const char *dir = tu_in_tmp("d");
    lib_run(dir, LG_SERVER, 2000, 300);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/samples.bin", dir);
    size_t len;
    char *good = tu_slurp(path, &len);
    rpt_run *run;
    char err[PATH_MAX + 512], want[PATH_MAX + 160];
    /* A flipped bit in the first record: the block's checksum (at byte 64 + 8). */
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    fseek(f, 64 + 16 + 3, SEEK_SET);
    fputc(good[64 + 16 + 3] ^ 0x10, f);
    fclose(f);
    cr_expect_eq(rpt_run_load(dir, &run, err, sizeof err), LG_EINVAL);
    snprintf(want, sizeof want, "%s: damaged at byte 72 (block 0, from record 0): checksum",
             path);
    cr_expect(strstr(err, want), "%s", err);
    tu_proc p;
    RUN(&p, "validate", "d");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "samples.bin: damaged at byte 72"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "samples", "d", "--csv");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "samples.bin: damaged at byte 72"), "%s", p.err);
    cr_expect_eq(p.out[0], '\0', "%s", p.out);
    tu_proc_free(&p);
    /* Cut inside the first block. */
    f = fopen(path, "wb");
    fwrite(good, 1, 64 + 16 + 5, f);
    fclose(f);
    cr_expect_eq(rpt_run_load(dir, &run, err, sizeof err), LG_EINVAL);
    snprintf(want, sizeof want, "%s: damaged at byte 85 (block 0, from record 0): the file "
             "ends inside a block", path);
    cr_expect(strstr(err, want), "%s", err);
    /* A header only. */
    f = fopen(path, "wb");
    fwrite(good, 1, 64, f);
    fclose(f);
    cr_expect_eq(rpt_run_load(dir, &run, err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "samples.bin: damaged at byte 16"), "%s", err);
    /* A byte too many. */
    f = fopen(path, "wb");
    fwrite(good, 1, len, f);
    fputc(0, f);
    fclose(f);
    cr_expect_eq(rpt_run_load(dir, &run, err, sizeof err), LG_EINVAL);
    snprintf(want, sizeof want, "damaged at byte %zu", len);
    cr_expect(strstr(err, want), "%s", err);
    cr_expect(strstr(err, "bytes after its last block"), "%s", err);
    /* A version this program does not know. */
    good[8] = 4;
    f = fopen(path, "wb");
    fwrite(good, 1, len, f);
    fclose(f);
    cr_expect_eq(rpt_run_load(dir, &run, err, sizeof err), LG_EINVAL);
    cr_expect(strstr(err, "samples.bin: damaged at byte 0: not a samples.bin header of "
                          "version 1, 2 or 3"), "%s", err);
    free(good);
}

/* ---- loadgen samples ------------------------------------------------------------------ */

/* A small SingleStream run: 6 queries of the null SUT. */
static void small_run(const char *out)
{
    tu_proc p;
    RUN(&p, "run", "--scenario", "SingleStream", "--sut", "null", "--min-duration-ms", "0",
        "--min-query-count", "6", "--max-query-count", "6", "--quiet", "--out", out);
    cr_assert_leq(p.code, 1, "run failed: %s", p.err);
    tu_proc_free(&p);
}

/* The CSV the records must give, written here independently of cli/samples.c. */
static char *expected_csv(const lg_sample_record *r, size_t n, uint64_t spq)
{
    size_t cap = 128 + n * 140, len = 0;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    len += (size_t)snprintf(s, cap,
                            "sample,query,qsl_index,scheduled_ns,issued_ns,completed_ns,status\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%zu,%llu,%u,%lld,%lld,%lld,%d\n", i,
                                (unsigned long long)(i / spq), r[i].index,
                                (long long)r[i].scheduled_ns, (long long)r[i].issued_ns,
                                (long long)r[i].completed_ns, r[i].status);
    return s;
}

Test(samples_cli, csv_holds_a_header_row_and_every_record, TU_TMP, .timeout = 60)
{
    small_run("r");
    lg_samples_header h;
    lg_sample_record *r = tu_read_samples(tu_in_tmp("r/samples.bin"), &h);
    cr_assert_eq(h.count, 6);
    char *want = expected_csv(r, h.count, 1);
    tu_proc p;
    /* To standard output: --csv alone, '-', and the folder after --csv. */
    const char *forms[3][4] = {{"samples", "r", "--csv", NULL},
                               {"samples", "r", "--csv", "-"},
                               {"samples", "--csv", "r", NULL}};
    for (int k = 0; k < 3; k++) {
        const char *argv[6] = {"loadgen", forms[k][0], forms[k][1], forms[k][2], forms[k][3],
                               NULL};
        tu_run_exe(&p, NULL, argv);
        cr_expect_eq(p.code, 0, "form %d: %s", k, p.err);
        cr_expect_str_eq(p.out, want, "form %d", k);
        cr_expect_str_eq(p.err, "");
        tu_proc_free(&p);
    }
    /* To a file, either order. */
    RUN(&p, "samples", "r", "--csv", "a.csv");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_str_eq(p.out, "");
    tu_proc_free(&p);
    char *got = tu_slurp(tu_in_tmp("a.csv"), NULL);
    cr_expect_str_eq(got, want);
    free(got);
    RUN(&p, "samples", "--csv=b.csv", "r");
    cr_expect_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    got = tu_slurp(tu_in_tmp("b.csv"), NULL);
    cr_expect_str_eq(got, want);
    free(got);
    free(want);
    free(r);
}

/* Timed-out and failed samples, a version 1 file and MultiStream's query column: the
 * CSV says what the records hold. */
Test(samples_cli, csv_of_failures_timeouts_and_version_1_files, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "run", "--sut", "synthetic", "--scenario", "MultiStream", "--samples-per-query", "4", "--target-qps",
        "2000", "--min-duration-ms", "0", "--min-query-count", "30", "--max-query-count", "30",
        "--sut-fail-fraction", "0.2", "--sut-drop-fraction", "0.1", "--sample-timeout-ms",
        "20", "--sut-seed", "5", "--quiet", "--out", "m");
    cr_assert_leq(p.code, 1, "run failed: %s", p.err);
    tu_proc_free(&p);
    lg_samples_header h;
    lg_sample_record *r = tu_read_samples(tu_in_tmp("m/samples.bin"), &h);
    cr_assert_eq(h.samples_per_query, 4);
    bool failed = false, lost = false;
    for (size_t i = 0; i < h.count; i++) {
        failed = failed || r[i].status != 0;
        lost = lost || r[i].completed_ns == -1;
    }
    cr_expect(failed && lost, "the run had no failed (%d) or no lost (%d) sample", failed,
              lost);
    char *want = expected_csv(r, h.count, 4);
    for (int v1 = 0; v1 < 2; v1++) {
        if (v1)
            tu_samples_to_v1(tu_in_tmp("m/samples.bin"));
        RUN(&p, "samples", "m", "--csv");
        cr_expect_eq(p.code, 0, "%s", p.err);
        cr_expect_str_eq(p.out, want, "version %d", v1 ? 1 : 2);
        tu_proc_free(&p);
    }
    free(want);
    free(r);
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The .npy file byte for byte against the format's definition (version 1.0: magic,
 * 1, 0, u16 header length, a dict literal padded with spaces to a multiple of 64 and
 * ended by a newline; then the packed little-endian records). */
Test(samples_cli, npy_is_format_1_0_byte_for_byte, TU_TMP, .timeout = 60)
{
    small_run("r");
    lg_samples_header h;
    lg_sample_record *r = tu_read_samples(tu_in_tmp("r/samples.bin"), &h);
    tu_proc p;
    RUN(&p, "samples", "r", "--npy", "s.npy");
    cr_expect_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    size_t len;
    unsigned char *got = (unsigned char *)tu_slurp(tu_in_tmp("s.npy"), &len);
    static const char dict[] =
        "{'descr': [('sample', '<u8'), ('query', '<u8'), ('qsl_index', '<u4'), "
        "('scheduled_ns', '<i8'), ('issued_ns', '<i8'), ('completed_ns', '<i8'), "
        "('status', '<i4')], 'fortran_order': False, 'shape': (6,), }";
    size_t hl = 10 + strlen(dict) + 1;
    hl = (hl + 63) / 64 * 64; /* 256 */
    cr_assert_eq(hl, 256);
    cr_assert_eq(len, hl + 6 * 48, "%zu bytes", len);
    cr_expect_eq(memcmp(got, "\x93NUMPY\x01\x00", 8), 0);
    cr_expect_eq(got[8] | got[9] << 8, (int)(hl - 10));
    cr_expect_eq(memcmp(got + 10, dict, strlen(dict)), 0, "%.*s", (int)(hl - 10), got + 10);
    for (size_t i = 10 + strlen(dict); i < hl - 1; i++)
        cr_expect_eq(got[i], ' ', "padding byte %zu", i);
    cr_expect_eq(got[hl - 1], '\n');
    for (size_t i = 0; i < 6; i++) {
        unsigned char w[48];
        put_le(w, i, 8);
        put_le(w + 8, i, 8);
        put_le(w + 16, r[i].index, 4);
        put_le(w + 20, (uint64_t)r[i].scheduled_ns, 8);
        put_le(w + 28, (uint64_t)r[i].issued_ns, 8);
        put_le(w + 36, (uint64_t)r[i].completed_ns, 8);
        put_le(w + 44, (uint32_t)r[i].status, 4);
        cr_expect_eq(memcmp(got + hl + 48 * i, w, 48), 0, "record %zu", i);
    }
    /* To standard output, the same bytes. */
    RUN(&p, "samples", "r", "--npy", "-", "--csv", "c.csv");
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_eq(memcmp(p.out, got, 10 + strlen(dict)), 0);
    tu_proc_free(&p);
    cr_expect(tu_exists(tu_in_tmp("c.csv")));
    free(got);
    free(r);
}

/* numpy reads it as the same numbers the CSV holds, where numpy is installed. */
Test(samples_cli, numpy_loads_the_npy_file, TU_TMP, .timeout = 60)
{
    if (system("python3 -c 'import numpy' >/dev/null 2>&1") != 0)
        cr_skip_test("python3 with numpy is not installed");
    small_run("r");
    tu_proc p;
    RUN(&p, "samples", "r", "--npy", "s.npy", "--csv", "s.csv");
    cr_assert_eq(p.code, 0, "%s", p.err);
    tu_proc_free(&p);
    static const char script[] =
        "import csv, numpy as np\n"
        "a = np.load('s.npy')\n"
        "rows = list(csv.DictReader(open('s.csv')))\n"
        "assert len(a) == len(rows) == 6, (len(a), len(rows))\n"
        "assert a.dtype.names == tuple(rows[0].keys()), a.dtype.names\n"
        "for x, r in zip(a, rows):\n"
        "    for k in a.dtype.names:\n"
        "        assert int(x[k]) == int(r[k]), (k, x[k], r[k])\n"
        "print('ok')\n";
    FILE *f = fopen(tu_in_tmp("check.py"), "w");
    fputs(script, f);
    fclose(f);
    const char *argv[] = {"python3", "check.py", NULL};
    tu_run_exe(&p, "/usr/bin/python3", argv);
    cr_expect_eq(p.code, 0, "%s", p.err);
    cr_expect_str_eq(p.out, "ok\n");
    tu_proc_free(&p);
}

Test(samples_cli, help_and_refusals, TU_TMP, .timeout = 60)
{
    tu_proc p;
    RUN(&p, "samples", "--help");
    cr_expect_eq(p.code, 0);
    cr_expect(strstr(p.out, "usage: loadgen samples DIR --csv [FILE]"), "%s", p.out);
    cr_expect(strstr(p.out, "completed_ns"), "%s", p.out);
    tu_proc_free(&p);
    RUN(&p, "--help");
    cr_expect(strstr(p.out, "  samples "), "%s", p.out);
    tu_proc_free(&p);
    small_run("r");
    RUN(&p, "run", "--scenario", "SingleStream", "--sut", "null", "--min-duration-ms", "0",
        "--min-query-count", "3", "--max-query-count", "3", "--quiet", "--no-samples-file",
        "--out", "n");
    tu_proc_free(&p);
    static const struct {
        const char *args[5];
        const char *says;
    } bad[] = {
        {{"samples", NULL}, "which run?"},
        {{"samples", "r", NULL}, "say what to write: --csv [FILE] or --npy FILE"},
        {{"samples", "r", "--npy", NULL}, "--npy"},
        {{"samples", "r", "--tsv", NULL}, "unknown option '--tsv'"},
        {{"samples", "r", "--csv", "-", "--npy"}, "--npy"},
        {{"samples", "r", "r2", "--csv", NULL}, "one folder at a time"},
        {{"samples", "r", "--csv", "r/samples.bin", NULL}, "--csv"},
        {{"samples", "r", "--npy", "r/results.json", NULL}, "--npy"},
        {{"samples", "nowhere", "--csv", NULL}, "nowhere"},
        {{"samples", "n", "--csv", NULL}, "the run has no samples.bin"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[7] = {"loadgen"};
        for (int k = 0; k < 5 && bad[i].args[k]; k++)
            argv[k + 1] = bad[i].args[k];
        tu_run_exe(&p, NULL, argv);
        cr_expect_eq(p.code, 2, "case %zu: exit %d", i, p.code);
        cr_expect(strstr(p.err, bad[i].says), "case %zu: \"%s\" not in: %s", i, bad[i].says,
                  p.err);
        tu_proc_free(&p);
    }
    /* Nothing of the run was touched. */
    cr_expect(tu_exists(tu_in_tmp("r/results.json")));
    cr_expect(tu_exists(tu_in_tmp("r/samples.bin")));
    /* Both to standard output, the same file twice. */
    RUN(&p, "samples", "r", "--csv", "-", "--npy", "-");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "cannot both go to standard output"), "%s", p.err);
    tu_proc_free(&p);
    RUN(&p, "samples", "r", "--csv", "x", "--npy", "x");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "name the same file"), "%s", p.err);
    tu_proc_free(&p);
    /* A file that cannot be created: exit 3, named. */
    RUN(&p, "samples", "r", "--csv", "no/such/dir/x.csv");
    cr_expect_eq(p.code, 3);
    cr_expect(strstr(p.err, "--csv no/such/dir/x.csv: cannot create it"), "%s", p.err);
    tu_proc_free(&p);
}

/* ---- the size said before a large run ----------------------------------------------- */

static int count_lines(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(samples_warning, a_run_above_the_limit_says_its_size_first, TU_TMP, .timeout = 60)
{
    tu_proc p;
    /* 1.1 x 0.05 s x 2e6: about 110,000 samples, 1 MB at up to 9.1 bytes (the space
     * check's bound for Offline; it once said 440 kB at 4, below what a run can take). */
    setenv("LOADGEN_SAMPLES_WARN_BYTES", "100000", 1);
    RUN(&p, "run", "--scenario", "Offline", "--sut", "null", "--min-duration-ms", "50",
        "--target-qps", "2e6", "--quiet", "--out", "a");
    cr_expect_leq(p.code, 1, "%s", p.err);
    cr_expect_eq(count_lines(p.err, "loadgen: this run may write up to"), 1, "%s", p.err);
    cr_expect(strstr(p.err, "loadgen: this run may write up to 1 MB of per-sample data to "
                            "samples.bin (about 1.1e+05 samples at up to 9.1 bytes each); to write "
                            "less, run shorter (--min-duration-ms) or pass "
                            "--no-samples-file\n"),
              "%s", p.err);
    tu_proc_free(&p);
    /* Not with --no-samples-file, nor under the limit. */
    RUN(&p, "run", "--scenario", "Offline", "--sut", "null", "--min-duration-ms", "50",
        "--quiet", "--no-samples-file", "--out", "b");
    cr_expect_null(strstr(p.err, "may write up to"), "%s", p.err);
    tu_proc_free(&p);
    setenv("LOADGEN_SAMPLES_WARN_BYTES", "20000000", 1);
    RUN(&p, "run", "--scenario", "Offline", "--sut", "null", "--min-duration-ms", "50",
        "--quiet", "--out", "c");
    cr_expect_null(strstr(p.err, "may write up to"), "%s", p.err);
    tu_proc_free(&p);
    /* A malformed limit is refused before anything is written. */
    setenv("LOADGEN_SAMPLES_WARN_BYTES", "1GB", 1);
    RUN(&p, "run", "--scenario", "Offline", "--sut", "null", "--min-duration-ms", "50",
        "--quiet", "--out", "d");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "LOADGEN_SAMPLES_WARN_BYTES (environment): '1GB'"), "%s", p.err);
    cr_expect_not(tu_exists(tu_in_tmp("d")));
    tu_proc_free(&p);
    unsetenv("LOADGEN_SAMPLES_WARN_BYTES");
    /* The default limit, 1 GiB: a Server run of about 1e8 samples passes it. The line
     * comes before the output folder is made, which here cannot be (nothing runs). */
    RUN(&p, "run", "--scenario", "Server", "--target-qps", "1e6", "--min-duration-ms",
        "100000", "--sut", "null", "--quiet", "--out", "/proc/no/such/folder");
    cr_expect_eq(p.code, 2);
    cr_expect(strstr(p.err, "loadgen: this run may write up to 1.6 GB of per-sample data to "
                            "samples.bin (about 1.05e+08 samples at up to 15.6 bytes each)"),
              "%s", p.err);
    cr_expect(strstr(p.err, "cannot create the output folder"), "%s", p.err);
    tu_proc_free(&p);
    /* A max_query_count caps the estimate: no line. */
    RUN(&p, "run", "--scenario", "Server", "--target-qps", "1e6", "--min-duration-ms",
        "100000", "--sut", "null", "--quiet", "--out", "/proc/no/such/folder",
        "--max-query-count", "1000");
    cr_expect_null(strstr(p.err, "may write up to"), "%s", p.err);
    tu_proc_free(&p);
}
