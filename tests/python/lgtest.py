"""Helpers of the mlperf_loadgen tests: a per-test watchdog, a temporary working
folder, and the run's own record (results.json) and MLPerf summary read back."""

import faulthandler
import json
import os
import shutil
import sys
import tempfile
import unittest

import mlperf_loadgen as lg

# Every test ends within this many seconds or the process dies with every thread's
# traceback (the Criterion runner has its own, longer timeout).
TEST_TIMEOUT_S = 60


class LoadGenTest(unittest.TestCase):
    """Runs each test in a fresh temporary folder (MLPerf's logs go to the current
    one) under a watchdog."""

    def setUp(self):
        faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True)
        self.old_cwd = os.getcwd()
        self.dir = tempfile.mkdtemp(prefix="lg_py_")
        os.chdir(self.dir)

    def tearDown(self):
        os.chdir(self.old_cwd)
        shutil.rmtree(self.dir, ignore_errors=True)
        faulthandler.cancel_dump_traceback_later()

    def results(self, outdir="."):
        with open(os.path.join(outdir, "results.json")) as f:
            return json.load(f)

    def summary(self, outdir=".", prefix="mlperf_log_"):
        with open(os.path.join(outdir, prefix + "summary.txt")) as f:
            return f.read()

    def assert_valid(self, outdir="."):
        r = self.results(outdir)
        self.assertTrue(r["valid"], "INVALID: %s" % (r["invalid_reasons"],))
        self.assertIn("Result is : VALID", self.summary(outdir))
        return r


def short_settings(scenario, mode=lg.TestMode.PerformanceOnly):
    """Settings for a run of about 0.2 s in any scenario (Offline: one query of 440
    samples, which a SUT that answers at once completes in less, hence no minimum
    duration there)."""
    s = lg.TestSettings()
    s.scenario = scenario
    s.mode = mode
    s.min_duration_ms = 0 if scenario == lg.TestScenario.Offline else 200
    s.min_query_count = 50
    s.server_target_qps = 5000
    s.server_target_latency_ns = 50_000_000
    s.offline_expected_qps = 2000
    s.multi_stream_samples_per_query = 4
    return s


def null_qsl(total=256, perf=64):
    return lg.ConstructQSL(total, perf, lambda idx: None, lambda idx: None)


def main():
    unittest.main(verbosity=2, testRunner=unittest.TextTestRunner(stream=sys.stdout, verbosity=2))
