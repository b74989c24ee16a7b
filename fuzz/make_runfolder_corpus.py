#!/usr/bin/env python3
"""make_runfolder_corpus.py: writes the seed corpus of fuzz/fuzz_runfolder.c.

Makes three small real runs with the loadgen program, then damaged folders derived from
them (truncated, wrong counts, random records, extreme values, files missing or left
over), each packed in the input format of fuzz/runfolder.h into fuzz/corpus/runfolder/
under a name that says what it holds. tests/test_validate.c replays the named seeds
through `loadgen validate` and knows what each must give.

The program writes samples.bin version 2 (docs/logs.md); the seeds without a "v2-"
prefix hold it rewritten as version 1 (the fixed 32-byte records earlier builds wrote, which
the readers must still take), the "v2-" seeds version 2 itself, whole and damaged. This
script decodes version 2 on its own, from the documentation, with zlib's CRC-32.

usage: fuzz/make_runfolder_corpus.py [LOADGEN] (default build/bin/loadgen)
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib

RESULTS, SAMPLES, DETAIL, LEFTOVER, RESULTS_DIR = 1, 2, 4, 8, 16
MARKER = b"\0@@\0"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "runfolder")


def run(loadgen, out, *args):
    subprocess.run([loadgen, "run", "--out", out, "--quiet", *args], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, "results.json"), "rb") as f:
        results = f.read()
    with open(os.path.join(out, "samples.bin"), "rb") as f:
        samples = f.read()
    # The detail log is long; its first lines are enough for a reader that ignores it.
    with open(os.path.join(out, "mlperf_log_detail.txt"), "rb") as f:
        detail = b"".join(f.readlines()[:5])
    return results, samples, detail


def as_v1(run_files):
    results, samples, detail = run_files
    return results, to_v1(samples), detail


def _varint(data, p, end):
    x, shift = 0, 0
    while True:
        assert p < end, "a record runs past its block"
        c = data[p]
        p += 1
        x |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return x, p


def _unzz(z):
    return (z >> 1) ^ -(z & 1)


def _signed(v):
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def decode_v2(samples):
    """The records of a version 2 samples.bin: [scheduled, issued, completed, index,
    status] each."""
    n = struct.unpack_from("<Q", samples, 16)[0]
    assert struct.unpack_from("<I", samples, 8)[0] == 2
    off, out = 64, []
    while len(out) < n:
        cnt, plen, crc, omit = struct.unpack_from("<IIII", samples, off)
        end = off + 16 + plen
        assert zlib.crc32(samples[off:off + 8] + bytes(4) + samples[off + 12:end]) == crc
        p, ps, pl = off + 16, 0, 0
        for _ in range(cnt):
            f = [0] * 5
            for k in range(5):
                if omit >> k & 1 or (k == 3 and f[0] & 1):
                    continue
                f[k], p = _varint(samples, p, end)
            s = ps + _unzz(f[1])
            i = s + _unzz(f[2])
            c = -1
            if not f[0] & 1:
                pl += _unzz(f[3])
                c = _signed(i + pl)
            out.append([_signed(s), _signed(i), c, f[4], _unzz(f[0] >> 1)])
            ps = s
        assert p == end
        off = end
    assert off == len(samples)
    return out


def to_v1(samples):
    """A version 2 samples.bin rewritten in version 1's layout."""
    recs = decode_v2(samples)
    head = bytearray(samples[:64])
    struct.pack_into("<IIQ", head, 8, 1, 32, len(recs))
    head[48:64] = bytes(16)
    return bytes(head) + b"".join(struct.pack("<qqqIi", *r) for r in recs)


def pack(flags, results=b"", samples=b"", detail=b""):
    assert MARKER not in results + samples, "a part holds the marker: change a seed"
    return bytes([flags]) + results + MARKER + samples + MARKER + detail


def records(samples):
    n = struct.unpack_from("<Q", samples, 16)[0]
    return [list(struct.unpack_from("<qqqIi", samples, 64 + 32 * i)) for i in range(n)]


def with_records(samples, recs):
    head = bytearray(samples[:64])
    struct.pack_into("<Q", head, 16, len(recs))
    return bytes(head) + b"".join(struct.pack("<qqqIi", *r) for r in recs)


def edit_json(results, path, value):
    doc = json.loads(results)
    obj = doc
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value
    return json.dumps(doc).encode()


def main():
    loadgen = sys.argv[1] if len(sys.argv) > 1 else "build/bin/loadgen"
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        ss = run(loadgen, os.path.join(tmp, "ss"), "--scenario", "SingleStream", "--sut",
                 "null", "--min-duration-ms", "0", "--min-query-count", "60",
                 "--max-query-count", "60")
        sv = run(loadgen, os.path.join(tmp, "sv"), "--scenario", "Server", "--sut",
                 "synthetic", "--target-qps", "2000", "--min-duration-ms", "40",
                 "--min-query-count", "1", "--sut-fail-fraction", "0.05",
                 "--sut-drop-fraction", "0.05", "--sample-timeout-ms", "10", "--sut-seed",
                 "3", "--schedule-rng-seed", "3")
        of = run(loadgen, os.path.join(tmp, "of"), "--scenario", "Offline", "--sut", "null",
                 "--target-qps", "1000", "--min-duration-ms", "50", "--min-query-count", "1")
    sv2 = sv
    ss, sv, of = as_v1(ss), as_v1(sv), as_v1(of)
    all3 = RESULTS | SAMPLES | DETAIL
    seeds = {
        "ok-singlestream": pack(all3, *ss),
        "ok-server-faults": pack(all3, *sv),
        "ok-offline": pack(all3, *of),
        "no-samples-file": pack(RESULTS | DETAIL, ss[0], b"", ss[2]),
        "results-missing": pack(SAMPLES | DETAIL, b"", ss[1], ss[2]),
        "leftover-tmp": pack(RESULTS | DETAIL | LEFTOVER, ss[0], ss[1], ss[2]),
        "results-is-folder": pack(RESULTS_DIR | SAMPLES, b"", ss[1]),
        "results-truncated": pack(all3, ss[0][: len(ss[0]) // 2], ss[1], ss[2]),
        "samples-truncated": pack(all3, ss[0], ss[1][: len(ss[1]) - 45], ss[2]),
        "samples-header-only": pack(all3, ss[0], ss[1][:64], ss[2]),
    }
    recs = records(sv[1])
    # Counts that disagree with the records.
    done = json.loads(sv[0])["counts"]["samples_completed"]
    seeds["wrong-completed-count"] = pack(
        all3, edit_json(sv[0], ["counts", "samples_completed"], done - 1), sv[1], sv[2])
    shifted = edit_json(sv[0], ["counts", "samples_completed"], done - 1)
    timed_out = json.loads(sv[0])["counts"]["samples_timed_out"]
    seeds["counts-shifted"] = pack(
        all3, edit_json(shifted, ["counts", "samples_timed_out"], timed_out + 1), sv[1], sv[2])
    failed = json.loads(sv[0])["counts"]["samples_failed"]
    seeds["wrong-failed-count"] = pack(
        all3, edit_json(sv[0], ["counts", "samples_failed"], failed + 1), sv[1], sv[2])
    # Random records under a valid header.
    rnd = [[rng.randrange(-2**63, 2**63), rng.randrange(-2**63, 2**63),
            rng.randrange(-2**63, 2**63), rng.randrange(2**32), rng.randrange(-2**31, 2**31)]
           for _ in recs]
    seeds["random-records"] = pack(all3, sv[0], with_records(sv[1], rnd), sv[2])
    # Extreme times that overflow a subtraction.
    ext = [r[:] for r in recs]
    ext[3][0], ext[3][1] = -2**63, 2**63 - 1
    seeds["extreme-values"] = pack(all3, sv[0], with_records(sv[1], ext), sv[2])
    late = [r[:] for r in recs]
    k = next(i for i, r in enumerate(late) if r[2] >= 0)
    late[k][2] = late[k][1] - 1
    seeds["completed-before-issued"] = pack(all3, sv[0], with_records(sv[1], late), sv[2])
    st = [r[:] for r in recs]
    k = next((i for i, r in enumerate(st) if r[2] < 0), None)
    if k is not None:
        st[k][4] = 7
        seeds["status-on-timed-out"] = pack(all3, sv[0], with_records(sv[1], st), sv[2])
    huge = edit_json(ss[0], ["durations_ns", "run"], -5)
    seeds["negative-duration"] = pack(all3, huge, ss[1], ss[2])
    # Version 2: whole, then damaged (the reader names the byte).
    b2 = sv2[1]
    seeds["v2-ok-server-faults"] = pack(all3, *sv2)
    flipped = bytearray(b2)
    flipped[64 + 16 + 2] ^= 0x10
    seeds["v2-bit-flipped"] = pack(all3, sv2[0], bytes(flipped), sv2[2])
    seeds["v2-cut-in-block"] = pack(all3, sv2[0], b2[:64 + 16 + 7], sv2[2])
    seeds["v2-trailing-byte"] = pack(all3, sv2[0], b2 + b"\x00", sv2[2])
    bad_count = bytearray(b2)
    struct.pack_into("<I", bad_count, 64, 0)
    seeds["v2-empty-block"] = pack(all3, sv2[0], bytes(bad_count), sv2[2])
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s (%d bytes)" % (len(seeds), OUT,
                                               sum(len(d) for d in seeds.values())))


if __name__ == "__main__":
    main()
