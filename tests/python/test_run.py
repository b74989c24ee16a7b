"""mlperf_loadgen running tests: every scenario and mode, SUT threads completing at
once, first tokens, the response callback, an exception in each kind of callback, the
log settings, and reference counts that stay put over many completions."""

import array
import json
import os
import queue
import sys
import threading
import time
import traceback

import mlperf_loadgen as lg
from lgtest import LoadGenTest, main, null_qsl, short_settings

SCENARIOS = list(lg.TestScenario)


def answer(index):
    """The bytes the SUTs below answer for a sample: its index, 4 bytes, and a check."""
    return array.array("B", [index & 255, (index >> 8) & 255, 0xA5, (index * 7) & 255])


class InlineSUT:
    """Completes every sample inside the issue callback, with its answer as data."""

    def __init__(self):
        self.issued = 0
        self.flushes = 0
        self.answers = {}

    def issue(self, samples):
        out = []
        for s in samples:
            a = self.answers.get(s.index)
            if a is None:
                a = self.answers[s.index] = answer(s.index)
            addr, n = a.buffer_info()
            out.append(lg.QuerySampleResponse(s.id, addr, n * a.itemsize))
        self.issued += len(samples)
        lg.QuerySamplesComplete(out)

    def flush(self):
        self.flushes += 1


def run(sut_obj, settings, total=256, perf=64, log_settings=None):
    sut = lg.ConstructSUT(sut_obj.issue, sut_obj.flush)
    qsl = null_qsl(total, perf)
    try:
        if log_settings is None:
            lg.StartTest(sut, qsl, settings)
        else:
            lg.StartTestWithLogSettings(sut, qsl, settings, log_settings)
    finally:
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)


class Scenarios(LoadGenTest):
    def test_each_scenario_in_performance_mode(self):
        for sc in SCENARIOS:
            with self.subTest(scenario=sc.name):
                sut = InlineSUT()
                run(sut, short_settings(sc))
                r = self.assert_valid()
                self.assertEqual(r["scenario"], sc.name)
                self.assertEqual(r["sut_name"], "PySUT")
                self.assertEqual(r["qsl_name"], "PyQSL")
                c = r["counts"]
                self.assertEqual(c["samples_completed"], sut.issued)
                self.assertEqual(c["samples_issued"], sut.issued)
                self.assertGreaterEqual(sut.issued, 50)
                self.assertGreaterEqual(sut.flushes, 1)
                self.assertIn("SUT name : PySUT", self.summary())
                self.assertIn("Scenario : %s" % sc.name, self.summary())

    def test_each_scenario_in_accuracy_mode_logs_every_sample_s_data(self):
        for sc in SCENARIOS:
            with self.subTest(scenario=sc.name):
                sut = InlineSUT()
                run(sut, short_settings(sc, lg.TestMode.AccuracyOnly), total=100, perf=40)
                with open("mlperf_log_accuracy.json") as f:
                    log = json.load(f)
                self.assertEqual(len(log), 100)
                self.assertEqual(sorted(e["qsl_idx"] for e in log), list(range(100)))
                for e in log:
                    self.assertEqual(e["data"], answer(e["qsl_idx"]).tobytes().hex().upper())

    def test_find_peak_performance_brackets_and_bisects_in_server(self):
        s = short_settings(lg.TestScenario.Server, lg.TestMode.FindPeakPerformance)
        s.min_duration_ms = 20
        s.min_query_count = 20
        s.server_find_peak_qps_boundary_step_size = 9
        s.server_find_peak_qps_decimals_of_precision = 0
        run(InlineSUT(), s)
        with open("results.json") as f:
            r = json.load(f)
        self.assertEqual(r["mode"], "FindPeakPerformance")
        ps = r["peak_search"]
        self.assertEqual(ps["algorithm"], "mlperf")
        self.assertEqual(ps["probes"][0]["target_qps"], 5000)
        self.assertEqual(ps["probes"][1]["target_qps"], 50000)
        passed = [p["target_qps"] for p in ps["probes"] if p["verdict"] == "pass"]
        if ps["found"]:
            self.assertEqual(ps["peak_qps"], max(passed))
        with open("mlperf_log_detail.txt") as f:
            d = f.read()
        self.assertIn("FindPeakPerformance: Check validity of the base settings field: "
                      "5000.000000", d)
        self.assertIn("FindBoundaries: Checking fields [5000.000000, 50000.000000)", d)

    def test_submission_run_does_accuracy_then_performance(self):
        sut = InlineSUT()
        run(sut, short_settings(lg.TestScenario.SingleStream, lg.TestMode.SubmissionRun),
            total=80, perf=40)
        r = self.assert_valid()
        self.assertEqual(r["result_mode"], "PerformanceOnly")
        with open("mlperf_log_accuracy.json") as f:
            self.assertEqual(len(json.load(f)), 80)
        self.assertEqual(sut.issued, 80 + r["counts"]["samples_issued"])

    def test_fast_sut_and_qdl(self):
        got = []

        def fast_issue(ids, indices):
            got.append(len(ids) == len(indices) and all(isinstance(i, int) for i in ids))
            lg.QuerySamplesComplete([lg.QuerySampleResponse(i, 0, 0) for i in ids])

        sut = lg.ConstructFastSUT(fast_issue, lambda: None)
        qsl = null_qsl()
        lg.StartTest(sut, qsl, short_settings(lg.TestScenario.Offline))
        lg.DestroyFastSUT(sut)
        self.assertEqual(self.assert_valid()["sut_name"], "PyFastSUT")
        self.assertTrue(got and all(got))
        names = []
        qdl = lg.ConstructQDL(InlineSUT().issue, lambda: None,
                              lambda: names.append(1) or "RemoteSUT")
        lg.StartTest(qdl, qsl, short_settings(lg.TestScenario.Server))
        self.assertEqual(self.assert_valid()["sut_name"], "RemoteSUT")
        self.assertGreaterEqual(len(names), 1)
        lg.DestroyQDL(qdl)
        lg.DestroyQSL(qsl)


class Threads(LoadGenTest):
    def test_several_issue_threads_need_no_registration(self):
        # The LoadGen starts the issue threads itself: from Python, setting the count
        # is all it takes, and the callback runs on that many threads.
        idents = set()
        sut = InlineSUT()
        inner = sut.issue

        def issue(samples):
            idents.add(threading.get_ident())
            inner(samples)

        sut.issue = issue
        s = short_settings(lg.TestScenario.Server)
        s.server_num_issue_query_threads = 2
        run(sut, s)
        r = self.assert_valid()
        self.assertEqual(len(idents), 2)
        self.assertEqual(r["counts"]["samples_issued"], sut.issued)
        self.assertEqual(r["counts"]["samples_completed"], sut.issued)

    def _pool_run(self, scenario, workers=4, batch=8):
        """Samples queued to `workers` threads that complete them in batches, each
        with its own QuerySamplesComplete calls, all at once."""
        q = queue.Queue()
        done = [0] * workers

        def work(k):
            while True:
                item = q.get()
                if item is None:
                    return
                out = []
                for s in item:
                    out.append(lg.QuerySampleResponse(s.id, 0, 0))
                    if len(out) == batch:
                        lg.QuerySamplesComplete(out)
                        out = []
                if out:
                    lg.QuerySamplesComplete(out)
                done[k] += len(item)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(workers)]
        for t in threads:
            t.start()

        def issue(samples):
            # Offline's one query is spread over every worker.
            for k in range(workers):
                part = samples[k::workers]
                if part:
                    q.put(part)

        sut = lg.ConstructSUT(issue, lambda: None)
        qsl = null_qsl()
        s = short_settings(scenario)
        s.offline_expected_qps = 20000
        try:
            lg.StartTest(sut, qsl, s)
        finally:
            for _ in threads:
                q.put(None)
            for t in threads:
                t.join()
            lg.DestroyQSL(qsl)
            lg.DestroySUT(sut)
        return done

    def test_threads_completing_at_once_are_all_counted(self):
        for sc in (lg.TestScenario.Server, lg.TestScenario.Offline,
                   lg.TestScenario.MultiStream):
            with self.subTest(scenario=sc.name):
                done = self._pool_run(sc)
                r = self.assert_valid()
                c = r["counts"]
                self.assertEqual(c["samples_completed"], sum(done))
                self.assertEqual(c["samples_completed"], c["samples_issued"])
                self.assertEqual(c["duplicate_completions"] + c["unknown_completions"], 0)


class Tokens(LoadGenTest):
    def test_first_tokens_and_n_tokens_give_token_figures(self):
        def issue(samples):
            for s in samples:
                first = answer(s.index)
                lg.FirstTokenComplete([lg.QuerySampleResponse(s.id, first.buffer_info()[0],
                                                              len(first))])
                lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0, 5)])

        class SUT:
            pass

        sut = SUT()
        sut.issue, sut.flush = issue, lambda: None
        for sc in (lg.TestScenario.SingleStream, lg.TestScenario.Server):
            with self.subTest(scenario=sc.name):
                s = short_settings(sc)
                s.use_token_latencies = True
                s.min_query_count = 300
                run(sut, s)
                r = self.results()
                t = r["tokens"]
                self.assertTrue(t["applies"])
                self.assertEqual(t["token_count"], 5 * r["counts"]["samples_completed"])
                self.assertEqual(t["missing_first_token"], 0)
                self.assertEqual(t["first_token_unknown"] + t["first_token_late"], 0)
                self.assertIn("TTFT", self.summary().upper().replace(" ", ""))


class Callbacks(LoadGenTest):
    def test_response_callback_supplies_the_data_of_logged_samples(self):
        calls = []
        keep = []

        def fill(resp):
            # The output "on the device" reaches the host only for logged samples.
            a = answer(index_of[resp.id])
            keep.append(a)
            resp.data, resp.size = a.buffer_info()[0], len(a)
            calls.append(resp.id)

        index_of = {}

        def issue(samples):
            for s in samples:
                index_of[s.id] = s.index
            # By name; 1,300 responses go to the LoadGen in chunks of 512.
            lg.QuerySamplesComplete(
                responses=[lg.QuerySampleResponse(s.id, 0, 0) for s in samples],
                response_cb=fill)

        sut = InlineSUT()
        sut.issue = issue
        run(sut, short_settings(lg.TestScenario.Offline, lg.TestMode.AccuracyOnly),
            total=1300, perf=50)
        self.assertEqual(len(calls), 1300)
        self.assertEqual(len(set(calls)), 1300)
        with open("mlperf_log_accuracy.json") as f:
            log = json.load(f)
        self.assertEqual(len(log), 1300)
        self.assertEqual(sorted(e["qsl_idx"] for e in log), list(range(1300)))
        for e in log:
            self.assertEqual(e["data"], answer(e["qsl_idx"]).tobytes().hex().upper())
        calls.clear()
        run(sut, short_settings(lg.TestScenario.Offline))
        self.assertEqual(calls, [], "nothing logged, no callback")

    def _raising_run(self, where, scenario=lg.TestScenario.Server):
        def boom():
            raise KeyError("boom in " + where)

        issued = [0]

        def issue(samples):
            issued[0] += 1
            if where == "issue" and issued[0] == 5:
                boom()
            cb = (lambda r: boom()) if where == "response" and issued[0] == 5 else None
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples],
                                    cb)

        def flush():
            if where == "flush":
                boom()

        def load(indices):
            if where == "load":
                boom()

        sut = lg.ConstructSUT(issue, flush)
        qsl = lg.ConstructQSL(64, 32, load, lambda i: None)
        s = short_settings(scenario)
        if where == "response":
            s.accuracy_log_probability = 1.0
        s.min_duration_ms = 10000  # an abort, not the run's end, stops it
        start = time.monotonic()
        raised = None
        try:
            lg.StartTest(sut, qsl, s)
        except KeyError as e:  # not assertRaises: it drops the traceback
            raised = e
        finally:
            lg.DestroyQSL(qsl)
            lg.DestroySUT(sut)
        self.assertIsNotNone(raised, "StartTest raised nothing")
        self.assertLess(time.monotonic() - start, 5.0, "the test was aborted")
        self.assertEqual(raised.args[0], "boom in " + where)
        frames = [f.name for f in traceback.extract_tb(raised.__traceback__)]
        self.assertIn("boom", frames, "the callback's traceback is kept")
        return issued[0]

    def test_an_exception_in_a_callback_aborts_and_is_raised_from_start_test(self):
        for where in ("issue", "flush", "load", "response"):
            with self.subTest(where=where):
                sc = (lg.TestScenario.Offline if where == "flush"
                      else lg.TestScenario.Server)
                n = self._raising_run(where, sc)
                if where == "load":
                    self.assertEqual(n, 0, "nothing issued after a failed load")
                if where in ("issue", "response"):
                    self.assertLess(n, 100, "issuing stopped soon after")
        # The module is ready for the next test.
        run(InlineSUT(), short_settings(lg.TestScenario.SingleStream))
        self.assert_valid()

    def test_nothing_runs_twice_and_handles_in_use_stay(self):
        inner = []

        def issue(samples):
            if not inner:
                try:
                    lg.StartTest(sut, qsl, short_settings(lg.TestScenario.Offline))
                except RuntimeError as e:
                    inner.append(str(e))
                try:
                    lg.DestroySUT(sut)
                except RuntimeError as e:
                    inner.append(str(e))
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

        sut = lg.ConstructSUT(issue, lambda: None)
        qsl = null_qsl()
        lg.StartTest(sut, qsl, short_settings(lg.TestScenario.Offline))
        self.assertEqual(len(inner), 2, inner)
        self.assertIn("already running", inner[0])
        self.assertIn("in the test under way", inner[1])
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)


class LogSettings(LoadGenTest):
    def test_outdir_prefix_and_datetime(self):
        ls = lg.LogSettings()
        ls.log_output.outdir = "runs/one"
        ls.log_output.prefix = "x_"
        ls.enable_trace = False
        run(InlineSUT(), short_settings(lg.TestScenario.Offline), log_settings=ls)
        for f in ("x_summary.txt", "x_detail.txt", "x_accuracy.json"):
            self.assertTrue(os.path.exists(os.path.join("runs/one", f)), f)
        self.assertFalse(os.path.exists("mlperf_log_summary.txt"))
        ls.log_output.outdir = "runs/two"
        ls.log_output.prefix_with_datetime = True
        ls.log_output.suffix = "_TEST01"
        run(InlineSUT(), short_settings(lg.TestScenario.Offline), log_settings=ls)
        # MLPerf's placement: <prefix><datetime>_<stem><suffix>.<ext>
        names = sorted(n for n in os.listdir("runs/two") if n.startswith("x_"))
        self.assertEqual(len(names), 3, os.listdir("runs/two"))
        for n, stem in zip(names, ("accuracy_TEST01.json", "detail_TEST01.txt",
                                   "summary_TEST01.txt")):
            self.assertRegex(n, r"^x_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ_" + stem + "$")

    def test_runs_in_the_same_folder_replace_the_logs(self):
        run(InlineSUT(), short_settings(lg.TestScenario.Offline))
        run(InlineSUT(), short_settings(lg.TestScenario.SingleStream))
        self.assertEqual(self.assert_valid()["scenario"], "SingleStream")

    def test_audit_config_in_the_current_folder_is_applied(self):
        s = short_settings(lg.TestScenario.SingleStream)
        s.min_duration_ms = 0  # the run ends at min_query_count
        s.min_query_count = 100  # early stopping needs 64
        with open("audit.config", "w") as f:
            f.write("*.*.min_query_count = 777\n")
        run(InlineSUT(), s)
        self.assertEqual(self.assert_valid()["counts"]["queries_issued"], 777)
        with open("mlperf_log_detail.txt") as f:
            self.assertIn("Found Audit Config file (audit.config)", f.read())
        with open("audit.config", "w") as f:
            f.write("*.*.min_query_cont = 777\n")
        with self.assertRaisesRegex(ValueError, "audit.config:1"):
            run(InlineSUT(), s)
        os.remove("audit.config")
        run(InlineSUT(), s)
        self.assertEqual(self.assert_valid()["counts"]["queries_issued"], 100)


class Compliance(LoadGenTest):
    """MLPerf's compliance tests and the official module's verdicts (docs/python.md)."""

    def test_test01_sampling_target_logs_about_that_many_responses(self):
        # Offline: 1.1 x 1000/s x 1 s = 1100 samples expected; a target of 1100 logs all.
        with open("audit.config", "w") as f:
            f.write("*.*.mode = 2\n*.*.accuracy_log_rng_seed = 720381539243781796\n"
                    "*.*.accuracy_log_sampling_target = 1100\n")
        s = short_settings(lg.TestScenario.Offline, lg.TestMode.AccuracyOnly)
        s.offline_expected_qps = 1000
        s.min_duration_ms = 1000
        run(InlineSUT(), s)
        os.remove("audit.config")
        with open("mlperf_log_accuracy.json") as f:
            logged = json.load(f)
        r = self.results()
        self.assertEqual(r["mode"], "PerformanceOnly")
        self.assertEqual(len(logged), 1100)
        self.assertEqual(r["provenance"]["audit_config"], "audit.config")

    def test_test05_runs_performance_only_with_its_seeds(self):
        s = short_settings(lg.TestScenario.SingleStream, lg.TestMode.SubmissionRun)
        s.test05 = True
        s.test05_qsl_rng_seed = 5
        s.test05_sample_index_rng_seed = 6
        s.test05_schedule_rng_seed = 7
        run(InlineSUT(), s)
        r = self.assert_valid()
        self.assertEqual(r["mode"], "PerformanceOnly")
        got = r["provenance"]["requested_settings"]
        self.assertEqual((got["qsl_rng_seed"], got["sample_index_rng_seed"],
                          got["schedule_rng_seed"]), (5, 6, 7))

    def test_no_sample_timeout_by_default_and_ours_when_set(self):
        # Samples answered 0.8 s late: the module waits, as MLPerf's; a timeout of
        # 0.3 s, set, fails them.
        for timeout_ns, want_valid in ((0, True), (300_000_000, False)):
            held = []

            def issue(samples):
                held.extend(samples)

            def later():
                time.sleep(0.8)
                lg.QuerySamplesComplete([lg.QuerySampleResponse(q.id, 0, 0) for q in held])

            s = short_settings(lg.TestScenario.Offline)
            s.min_query_count = 50
            s.sample_timeout_ns = timeout_ns
            sut = lg.ConstructSUT(issue, lambda: None)
            qsl = null_qsl(64, 64)
            t = threading.Thread(target=later)
            t.start()
            lg.StartTest(sut, qsl, s)
            t.join()
            lg.DestroySUT(sut)
            lg.DestroyQSL(qsl)
            r = self.results()
            self.assertEqual(r["valid"], want_valid, r["invalid_reasons"])
            self.assertEqual(r["counts"]["samples_timed_out"], 0 if want_valid else 50)

    def test_a_max_limit_is_not_a_reason_of_its_own(self):
        s = short_settings(lg.TestScenario.SingleStream)
        s.min_duration_ms = 5000
        s.max_query_count = 300
        run(InlineSUT(), s)
        codes = [x["code"] for x in self.results()["invalid_reasons"]]
        self.assertIn("min_duration", codes)
        self.assertNotIn("max_limit", codes)
        s.mlperf_max_limits = False
        run(InlineSUT(), s)
        codes = [x["code"] for x in self.results()["invalid_reasons"]]
        self.assertIn("max_limit", codes)


class RefCounts(LoadGenTest):
    def test_reference_counts_stay_put_over_many_completions(self):
        data = array.array("B", b"0123456789abcdef")
        addr = data.buffer_info()[0]
        responses = []

        def issue(samples):
            out = [lg.QuerySampleResponse(s.id, addr, 16, 3) for s in samples]
            lg.QuerySamplesComplete(out, keep)
            lg.FirstTokenComplete(out)
            responses.append(len(out))

        def keep(resp):
            pass

        def flush():
            pass

        s = short_settings(lg.TestScenario.SingleStream)
        s.min_query_count = 20000
        s.min_duration_ms = 0
        s.accuracy_log_probability = 0.5
        sut = lg.ConstructSUT(issue, flush)
        qsl = null_qsl()
        counts = lambda: [sys.getrefcount(o) for o in (issue, flush, keep, s, data, None)]
        lg.StartTest(sut, qsl, s)  # the first run makes what is made once
        responses.clear()
        before, blocks = counts(), sys.getallocatedblocks()
        lg.StartTest(sut, qsl, s)
        lg.StartTest(sut, qsl, s)
        after, blocks_after = counts(), sys.getallocatedblocks()
        self.assertGreaterEqual(sum(responses), 40000)
        self.assertEqual(before[:5], after[:5])
        # None is shared by everything; a leak of one per call would be 40,000.
        self.assertLess(abs(after[5] - before[5]), 1000)
        self.assertLess(blocks_after - blocks, 1000,
                        "%d blocks more after %d completions" % (blocks_after - blocks,
                                                                 sum(responses)))
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)

    def test_nothing_leaks_over_a_million_completions(self):
        # One Offline query of 1,000,000 samples, completed in batches of 1000 with a
        # response callback and data (every response logged): the completion path's
        # objects, responses and their data must all be given back.
        data = array.array("B", b"0123456789abcdef")
        addr = data.buffer_info()[0]
        done = [0]

        def keep(resp):
            pass

        def issue(samples):
            for i in range(0, len(samples), 1000):
                out = [lg.QuerySampleResponse(q.id, addr, 16) for q in samples[i:i + 1000]]
                lg.QuerySamplesComplete(out, keep)
                done[0] += len(out)

        s = short_settings(lg.TestScenario.Offline)
        s.min_query_count = 1_000_000
        s.offline_expected_qps = 1_000_000
        s.accuracy_log_probability = 1.0
        sut = lg.ConstructSUT(issue, lambda: None)
        qsl = null_qsl()
        s.min_query_count = 1000
        lg.StartTest(sut, qsl, s)  # the first run makes what is made once
        s.min_query_count = 1_000_000
        before = [sys.getrefcount(o) for o in (issue, keep, s, data)]
        blocks = sys.getallocatedblocks()
        done[0] = 0
        lg.StartTest(sut, qsl, s)
        after = [sys.getrefcount(o) for o in (issue, keep, s, data)]
        self.assertEqual(done[0], 1_000_000)
        self.assertEqual(before, after)
        self.assertLess(sys.getallocatedblocks() - blocks, 1000,
                        "%d blocks more after a million completions"
                        % (sys.getallocatedblocks() - blocks))
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)


if __name__ == "__main__":
    main()
