#!/usr/bin/env python3
"""bench_python.py: the mlperf_loadgen module's ceiling with a Python null SUT, one
QuerySamplesComplete call per query, made inside the issue callback (as MLPerf's own
perftests_null_sut.py does):

  Server        the highest target QPS whose run is VALID (default bound: 100 ms at
                p99, early stopping): doubles from --server-start until a probe of
                --probe-s seconds is INVALID, bisects to 5%, then confirms with a run
                twice as long (stepping down 5% until that one is VALID)
  Offline       samples/s of one query of 1.1 x --offline-qps x 1 s samples (median of 3)
  SingleStream  MLPerf's queries/s with LoadGen overhead of a 2-second run (median of 3)
  Offline, worker thread
                the same Offline query completed by a Python worker thread in chunks
                of 1024 samples while the issue callback has returned (median of 3):
                completing from another thread must cost no more than inline

Each figure is one line "name value". Logs go to a temporary folder; the figures are
read from its results.json.

    PYTHONPATH=build/python python3 bench/bench_python.py [--quick]
"""

import argparse
import json
import os
import queue
import statistics
import sys
import tempfile
import threading

import mlperf_loadgen as lg

Response = lg.QuerySampleResponse
complete = lg.QuerySamplesComplete


def issue(samples):
    complete([Response(s.id, 0, 0) for s in samples])


def flush():
    pass


class Worker:
    """A SUT whose issue callback hands the samples to a Python thread that completes
    them a chunk at a time."""

    def __init__(self):
        self.q = queue.SimpleQueue()
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def issue(self, samples):
        self.q.put(samples)

    def loop(self):
        while True:
            samples = self.q.get()
            if samples is None:
                return
            for i in range(0, len(samples), 1024):
                complete([Response(s.id, 0, 0) for s in samples[i:i + 1024]])

    def stop(self):
        self.q.put(None)
        self.t.join()


def run(settings, outdir, issue_cb=issue):
    """One test; returns its results.json."""
    sut = lg.ConstructSUT(issue_cb, flush)
    qsl = lg.ConstructQSL(1024, 1024, lambda i: None, lambda i: None)
    ls = lg.LogSettings()
    ls.log_output.outdir = outdir
    try:
        lg.StartTestWithLogSettings(sut, qsl, settings, ls)
    finally:
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)
    with open(os.path.join(outdir, "results.json")) as f:
        return json.load(f)


def settings_for(scenario, seconds):
    s = lg.TestSettings()
    s.scenario = scenario
    s.mode = lg.TestMode.PerformanceOnly
    s.min_duration_ms = int(seconds * 1000)
    s.min_query_count = 1
    return s


def server_valid(qps, seconds, outdir):
    s = settings_for(lg.TestScenario.Server, seconds)
    s.server_target_qps = qps
    r = run(s, outdir)
    print("  server probe %.0f QPS for %.0f s: %s" % (qps, seconds,
          "VALID" if r["valid"] else "INVALID"), file=sys.stderr)
    return r["valid"]


def server_max(start, seconds, outdir):
    lo, hi = 0.0, start
    while server_valid(hi, seconds, outdir):
        lo, hi = hi, hi * 2
    while hi - lo > 0.05 * hi and lo > 0:
        mid = (lo + hi) / 2
        if server_valid(mid, seconds, outdir):
            lo = mid
        else:
            hi = mid
    qps = lo if lo > 0 else start / 2
    while qps > 1 and not server_valid(qps, 2 * seconds, outdir):
        qps *= 0.95
    return qps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter probes, one trial each")
    ap.add_argument("--probe-s", type=float, default=3.0)
    ap.add_argument("--server-start", type=float, default=100000)
    ap.add_argument("--offline-qps", type=float, default=1000000)
    args = ap.parse_args()
    trials = 1 if args.quick else 3
    probe = 1.0 if args.quick else args.probe_s
    with tempfile.TemporaryDirectory(prefix="bench_python_") as outdir:
        qps = server_max(args.server_start, probe, outdir)
        print("python_server_max_valid_qps %.0f" % qps)
        off = []
        for _ in range(trials):
            s = settings_for(lg.TestScenario.Offline, 1)
            s.offline_expected_qps = args.offline_qps
            off.append(run(s, outdir)["throughput"]["samples_per_sec"])
        print("python_offline_samples_per_sec %.0f" % statistics.median(off))
        ss = []
        for _ in range(trials):
            r = run(settings_for(lg.TestScenario.SingleStream, 2), outdir)
            ss.append(r["throughput"]["qps_with_loadgen_overhead"])
        print("python_single_stream_qps %.0f" % statistics.median(ss))
        off_w = []
        worker = Worker()
        for _ in range(trials):
            s = settings_for(lg.TestScenario.Offline, 1)
            s.offline_expected_qps = args.offline_qps
            off_w.append(run(s, outdir, worker.issue)["throughput"]["samples_per_sec"])
        worker.stop()
        print("python_offline_worker_samples_per_sec %.0f" % statistics.median(off_w))
        print("python_offline_worker_over_inline %.2f"
              % (statistics.median(off_w) / statistics.median(off)))


if __name__ == "__main__":
    main()
