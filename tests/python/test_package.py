"""The loadgen package (python/loadgen/, docs/python.md): settings by name with the
settings table's messages, a model as a callable, a class or a SUT on the worker pool,
numpy arrays and lists in and out, every field of the results, the framework
(Benchmark: every scenario, compare with the C side's statistics, accuracy, reports),
and the examples of docs/python.md, run as written."""

import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import unittest
import faulthandler

import numpy as np

import loadgen

TEST_TIMEOUT_S = 90
ROOT = os.environ.get("LOADGEN_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))


class PackageTest(unittest.TestCase):
    """Each test in a fresh temporary folder under a watchdog."""

    def setUp(self):
        faulthandler.dump_traceback_later(TEST_TIMEOUT_S, exit=True)
        self.old_cwd = os.getcwd()
        self.dir = tempfile.mkdtemp(prefix="lg_pkg_")
        os.chdir(self.dir)

    def tearDown(self):
        os.chdir(self.old_cwd)
        shutil.rmtree(self.dir, ignore_errors=True)
        faulthandler.cancel_dump_traceback_later()


def short(scenario="SingleStream", **kw):
    """Settings for a run of about 0.2 s."""
    base = dict(min_duration_ms=200, min_query_count=50)
    if scenario == "Server":
        base.update(target_qps=5000, target_latency_ns=100_000_000, min_duration_ms=300)
    if scenario == "Offline":
        base.update(min_duration_ms=0, expected_qps=2000)
    if scenario == "MultiStream":
        base.update(samples_per_query=4, min_query_count=700)
    base.update(kw)
    return loadgen.Settings(scenario=scenario, **base)


def row_sum(batch):
    return batch.sum(axis=1)


class Settings(PackageTest):
    def test_names_short_names_and_types(self):
        s = loadgen.Settings(scenario="Server", target_qps=1000)
        self.assertEqual(s.server_target_qps, 1000.0)
        self.assertIsInstance(s.server_target_qps, float)
        self.assertEqual(s.target_qps, 1000.0)
        self.assertIsInstance(s.min_duration_ms, int)
        self.assertEqual(s.min_duration_ms, 10000)
        self.assertIs(s.server_coalesce_queries, False)
        s.coalesce_queries = True
        self.assertIs(s.server_coalesce_queries, True)
        self.assertEqual(s.scenario, "Server")
        self.assertEqual(s.mode, "PerformanceOnly")
        # A config key in the field's unit: target_qps is offline_expected_qps there.
        o = loadgen.Settings(scenario="Offline", target_qps=500)
        self.assertEqual(o.offline_expected_qps, 500.0)
        self.assertEqual(loadgen.Settings(scenario="SingleStream",
                                          expected_latency_ns=2e6)
                         .single_stream_expected_latency_ns, 2e6)
        self.assertEqual(loadgen.Settings(mode="accuracy").mode, "AccuracyOnly")

    def test_messages_are_the_tables(self):
        with self.assertRaisesRegex(loadgen.UnknownSettingError,
                                    r"unknown setting 'target_qpss'; did you mean "
                                    r"'server_target_qps'\?"):
            loadgen.Settings(scenario="Server", target_qpss=3)
        with self.assertRaisesRegex(AttributeError, "min_duraton_ms.*did you mean "
                                                    "'min_duration_ms'"):
            loadgen.Settings().min_duraton_ms
        with self.assertRaisesRegex(loadgen.SettingsError,
                                    r"server_target_qps: '0' is out of range; it must be "
                                    r"at least 1e-06"):
            loadgen.Settings(scenario="Server", target_qps=0)
        with self.assertRaisesRegex(ValueError, r"min_duration_ms: '1.5' is not a whole"):
            loadgen.Settings(min_duration_ms=1.5)
        with self.assertRaisesRegex(ValueError, "percentile: '1.5' is out of range.*"
                                                "above 0 and below 1"):
            loadgen.Settings(server_target_latency_percentile=1.5)
        with self.assertRaisesRegex(ValueError, "not a bool"):
            loadgen.Settings(server_coalesce_queries="yes")
        with self.assertRaisesRegex(ValueError, "scenario"):
            loadgen.Settings(scenario="Sever")
        with self.assertRaisesRegex(ValueError, "nan"):
            loadgen.Settings(server_target_qps=float("nan"))
        s = loadgen.Settings(scenario="Server", target_qps=5)
        self.assertEqual(s.server_target_qps, 5.0, "a refused value leaves the field")

    def test_repr_shows_changed_fields_and_round_trips(self):
        s = loadgen.Settings(scenario="Server", target_qps=1000, min_duration_ms=500)
        self.assertEqual(repr(s), "Settings(scenario='Server', server_target_qps=1000.0, "
                                  "min_duration_ms=500)")
        self.assertEqual(repr(loadgen.Settings()), "Settings()")
        self.assertEqual(eval(repr(s), {"Settings": loadgen.Settings}), s)
        c = s.copy(min_duration_ms=100)
        self.assertEqual(c.min_duration_ms, 100)
        self.assertEqual(s.min_duration_ms, 500)
        d = s.to_dict()
        self.assertEqual(len(d), len(loadgen._core.fields()))
        self.assertEqual(d["server_target_qps"], 1000.0)
        self.assertIn("server_target_qps", dir(s))
        row = loadgen.Settings.describe("server_target_qps")
        self.assertEqual(row["unit"], "1/s")
        self.assertTrue(row["doc"])

    def test_from_config_and_its_errors(self):
        with open("user.conf", "w") as f:
            f.write("# comment\n*.Server.target_qps = 250\nresnet.*.min_duration = 700\n")
        s = loadgen.Settings.from_config("user.conf", model="resnet", scenario="Server")
        self.assertEqual(s.server_target_qps, 250.0)
        self.assertEqual(s.min_duration_ms, 700)
        self.assertEqual(loadgen.Settings.from_config("user.conf", scenario="Server")
                         .min_duration_ms, 10000)
        with open("bad.conf", "w") as f:
            f.write("*.Server.target_qpz = 250\n")
        with self.assertRaisesRegex(ValueError, r"bad.conf.*1.*target_qpz.*target_qps"):
            loadgen.Settings.from_config("bad.conf", scenario="Server")
        with self.assertRaises(OSError):
            loadgen.Settings.from_config("missing.conf")

    def test_check_names_the_conflict(self):
        s = loadgen.Settings(performance_issue_same=True, performance_issue_unique=True)
        with self.assertRaisesRegex(loadgen.SettingsError, "performance_issue_same: "
                                    "performance_issue_unique and performance_issue_same "
                                    "cannot both be set$"):
            s.check()
        with self.assertRaisesRegex(loadgen.SettingsError, "performance_issue"):
            loadgen.run(row_sum, np.zeros((4, 2)), s)
        self.assertTrue(loadgen.Settings(scenario="Server").warnings())


class Run(PackageTest):
    def test_each_scenario_numpy_in_and_out(self):
        data = np.arange(64 * 3, dtype=np.float32).reshape(64, 3)
        seen = []

        def model(batch):
            seen.append((batch.shape, batch.dtype))
            return batch.sum(axis=1)

        for scenario in loadgen.SCENARIOS:
            r = loadgen.run(model, data, short(scenario), max_batch=8)
            self.assertTrue(r.valid, "%s: %s" % (scenario, r.reasons))
            self.assertEqual(r.scenario, scenario)
            self.assertEqual(r.samples_failed, 0)
            self.assertEqual(r.samples_completed, r.samples_issued)
            self.assertGreater(r.latency.count, 0)
            self.assertLessEqual(r.latency.p50_ns, r.latency.p99_ns)
        self.assertTrue(all(s[1:] == (3,) and 1 <= s[0] <= 8 for s, _ in seen))
        self.assertTrue(all(d == np.float32 for _, d in seen))
        self.assertTrue(any(s[0] > 1 for s, _ in seen), "Offline batches samples")

    def test_accuracy_log_holds_the_outputs_bytes(self):
        data = np.arange(40, dtype=np.int64).reshape(20, 2)
        r = loadgen.run(lambda b: b * 3, data, short(mode="AccuracyOnly"), outdir="acc")
        self.assertEqual(r.mode, "AccuracyOnly")
        with open("acc/mlperf_log_accuracy.json") as f:
            log = json.load(f)
        self.assertEqual(len(log), 20)
        for e in log:
            want = (data[e["qsl_idx"]] * 3).tobytes().hex().upper()
            self.assertEqual(e["data"].upper(), want)
        self.assertTrue(os.path.exists("acc/results.json"))
        with self.assertRaisesRegex(RuntimeError, "acc"):
            loadgen.run(lambda b: b, data, short(), outdir="acc")
        loadgen.run(lambda b: b, data, short(), outdir="acc", overwrite=True)

    def test_lists_without_numpy_and_python_outputs(self):
        words = ["alpha", "beta", "gamma", "delta"] * 5
        kinds = []

        def upper(batch):
            kinds.append(type(batch))
            return [w.upper() for w in batch]

        r = loadgen.run(upper, words, short(mode="AccuracyOnly"), outdir="w")
        self.assertTrue(r.valid)
        self.assertEqual(set(kinds), {list})
        with open("w/mlperf_log_accuracy.json") as f:
            log = json.load(f)
        for e in log:
            self.assertEqual(bytes.fromhex(e["data"]).decode(), words[e["qsl_idx"]].upper())
        # ints, floats, None and bytes as outputs; a generator as a dataset.
        for out in (lambda b: [len(w) for w in b], lambda b: [0.5] * len(b),
                    lambda b: [None] * len(b), lambda b: [w.encode() for w in b]):
            self.assertTrue(loadgen.run(out, (w for w in words), short()).valid)

    def test_class_forms_and_sut(self):
        data = np.ones((32, 4), dtype=np.float32)

        class Predictor:  # predict(), as scikit-learn's
            workers, max_batch = 3, 4
            def __init__(self):
                self.threads = set()
                self.sizes = set()
            def predict(self, batch):
                self.threads.add(threading.get_ident())
                self.sizes.add(len(batch))
                time.sleep(0.002)  # the GIL is free: another worker takes a batch
                return batch.mean(axis=1)

        p = Predictor()
        r = loadgen.run(p, data, short("Offline"))
        self.assertTrue(r.valid)
        self.assertLessEqual(max(p.sizes), 4)
        self.assertGreater(len(p.threads), 1, "the pool's threads call the model")
        self.assertNotIn(threading.get_ident(), p.threads)

        class Callable:
            def __call__(self, batch):
                return batch[:, 0]
        self.assertTrue(loadgen.run(Callable(), data, short()).valid)

        class Doubler(loadgen.SUT):
            max_batch = 2
            def predict(self, batch):
                return batch * 2
        self.assertTrue(loadgen.run(Doubler(), data, short("Offline")).valid)
        sut = loadgen.SUT(row_sum, workers=1, max_batch=16, name="rows")
        self.assertEqual((sut.workers, sut.max_batch, sut.name), (1, 16, "rows"))
        self.assertTrue(loadgen.run(sut, data, short("Offline")).valid)
        with self.assertRaises(NotImplementedError):
            loadgen.run(loadgen.SUT(), data, short())
        with self.assertRaisesRegex(TypeError, "callable"):
            loadgen.run(42, data, short())

    def test_an_exception_ends_the_test_and_is_raised(self):
        calls = []

        def broken(batch):
            calls.append(1)
            if len(calls) == 5:
                raise KeyError("model broke")
            return batch
        t0 = time.monotonic()
        with self.assertRaisesRegex(KeyError, "model broke"):
            loadgen.run(broken, np.zeros((16, 2)), short(min_duration_ms=5000))
        self.assertLess(time.monotonic() - t0, 4, "the test was aborted")
        with self.assertRaisesRegex(ValueError, "returned 1 outputs for a batch of 4"):
            loadgen.run(lambda b: [0], np.zeros((16, 2)), short("Offline"), max_batch=4,
                        workers=1)
        with self.assertRaisesRegex(TypeError, "output 0 of the batch is a dict"):
            loadgen.run(lambda b: [{}] * len(b), np.zeros((16, 2)), short())
        # The package is usable after a failure.
        self.assertTrue(loadgen.run(row_sum, np.zeros((16, 2)), short()).valid)

    def test_results_have_every_field(self):
        r = loadgen.run(row_sum, np.zeros((16, 2)), short("Server"), outdir="srv")
        with open("srv/results.json") as f:
            js = json.load(f)
        self.assertEqual(r.samples_completed, js["counts"]["samples_completed"])
        for key in js["counts"]:
            self.assertEqual(r[key], js["counts"][key], key)
        self.assertEqual(r.latency.p99_ns, js["latency_ns"]["p99"])
        for key in ("completed_samples_per_sec", "scheduled_samples_per_sec",
                    "samples_per_sec", "qps_with_loadgen_overhead",
                    "qps_without_loadgen_overhead"):
            self.assertIn(key, r)
        for key in ("latency", "query_latency", "issue_lag"):
            self.assertEqual(set(r[key]), {"count", "min_ns", "max_ns", "mean_ns", "p50_ns",
                                           "p90_ns", "p95_ns", "p97_ns", "p99_ns",
                                           "p999_ns", "target_ns"})
        self.assertTrue(r.early_stopping.applies)
        for key in ("ttft", "tpot", "tokens_per_sec", "request_goodput", "count_source"):
            self.assertIn(key, r.tokens)
        self.assertFalse(r.tokens.applies)
        self.assertEqual(r.metric_name, "result_completed_samples_per_sec")
        self.assertIs(r.find_peak, False)  # not a peak search's probe
        self.assertIs(r.find_peak_passed, False)
        self.assertIn("Server", r.summary())
        self.assertIn("<Results Server VALID", repr(r))
        d = r.to_dict()
        self.assertIs(type(d["latency"]), dict)
        json.dumps(d)
        # An INVALID run names its reasons.
        bad = loadgen.run(row_sum, np.zeros((16, 2)), short(min_query_count=10**6,
                                                             max_duration_ms=200))
        self.assertFalse(bad.valid)
        self.assertTrue(bad.reasons)
        self.assertIn("INVALID (", repr(bad))

    def test_overhead_per_sample_is_the_callable(self):
        """A Python model answering at once: the package adds no per-sample Python."""
        data = np.zeros((1024, 4), dtype=np.float32)
        r = loadgen.run(lambda b: None, data, short("Offline", expected_qps=50_000),
                        max_batch=256)
        self.assertTrue(r.valid)
        # A floor far under what an idle machine gives (millions: docs/python.md),
        # so that a busy one passes: it catches a path that runs Python per sample
        # (thousands a second), not a slowdown, which the benchmarks measure.
        self.assertGreater(r.samples_per_sec, 5_000)


def cost(us):
    """A model of about `us` microseconds per sample."""
    def model(batch):
        time.sleep(us * 1e-6 * len(batch))
        return batch.sum(axis=1)
    model.__name__ = "cost%d" % us
    return model


class Framework(PackageTest):
    def test_all_scenarios_compare_report(self):
        data = np.random.default_rng(1).random((256, 8)).astype(np.float32)
        # 10x apart and 8 runs a side: a sleep that overshoots by a millisecond or two
        # on a busy machine (CI shares it with builds) must not hide the difference.
        slow, fast = cost(3000), cost(300)
        bench = loadgen.Benchmark(model=slow, dataset=data, outdir="bench", repetitions=8)
        res = bench.run_all_scenarios(quick=True)
        self.assertEqual(list(res), list(loadgen.SCENARIOS))
        for name, r in res.items():
            self.assertEqual(r.scenario, name)
            self.assertGreater(r.samples_completed, 0)
        self.assertIn("SingleStream", str(res))
        self.assertTrue(os.path.exists("bench/cost3000/Server/results.json"))

        c = bench.compare(slow, fast, scenario="SingleStream")
        self.assertEqual((c.a, c.b, c.scenario), ("cost3000", "cost300", "SingleStream"))
        self.assertEqual(c.verdict, "improved", str(c))
        self.assertTrue(c.is_significant)
        self.assertLess(c.p_value, 0.05)
        self.assertLess(c.effect_size, 0)
        lo, hi = c.confidence_interval
        self.assertLess(lo, hi)
        self.assertLess(hi, 0)
        for key in ("welch_t", "welch_df", "welch_p", "mw_u", "mw_p", "cohens_d",
                    "hedges_g", "change", "change_lo", "change_hi", "confidence"):
            self.assertIn(key, c.detail)
        self.assertEqual(c.detail.welch_p, c.p_value)
        self.assertEqual(c.detail.a.n, 8)
        self.assertIn("Prefer cost300", c.reason)
        self.assertGreater(c.speed_ratio, 2)
        self.assertFalse(c.has_accuracy)
        text = str(c)
        self.assertIn("Welch", text)
        self.assertIn("Mann-Whitney", text)
        self.assertIn("Cohen's d", text)

        md = bench.report()
        self.assertEqual(md, os.path.join("bench", "report.md"))
        with open(md) as f:
            self.assertIn("cost300", f.read())
        html = bench.report(html="r.html")
        with open(html) as f:
            page = f.read()
        self.assertTrue(page.lstrip().lower().startswith("<!doctype html"))
        self.assertIn("<svg", page)

    def test_labels_accuracy_and_lists(self):
        labels = [i % 3 for i in range(60)]
        data = [str(i) for i in range(60)]

        def right(batch):
            return [int(x) % 3 for x in batch]

        def half(batch):
            return [int(x) % 3 if int(x) % 2 else 0 for x in batch]

        bench = loadgen.Benchmark(dataset=data, labels=labels, outdir="b",
                                  min_duration_ms=100, repetitions=3)
        self.assertEqual(bench.add_model(right), "right")
        self.assertEqual(bench.accuracy("right").top1, 1.0)
        acc = bench.accuracy(half)
        self.assertAlmostEqual(acc.top1, 40 / 60)
        c = bench.compare("right", half)
        self.assertTrue(c.has_accuracy)
        self.assertAlmostEqual(c.accuracy_change, -20 / 60)
        self.assertEqual((c.only_a_right, c.only_b_right), (20, 0))
        self.assertIn("accuracy", c.tradeoff)
        # Scores: the argmax of each row is the prediction.
        onehot = np.eye(3, dtype=np.float32)
        bench.add_model(lambda b: onehot[[int(x) % 3 for x in b]], name="scores")
        self.assertEqual(bench.accuracy("scores").top1, 1.0)
        self.assertEqual(bench.models, ["right", "half", "scores"])

    def test_errors(self):
        bench = loadgen.Benchmark(outdir="e")
        with self.assertRaisesRegex(ValueError, "no dataset"):
            bench.run_all_scenarios()
        bench.set_dataset(np.zeros((8, 2)))
        with self.assertRaisesRegex(ValueError, "no model"):
            bench.run_all_scenarios()
        with self.assertRaisesRegex(ValueError, "nothing ran"):
            bench.report()
        with self.assertRaisesRegex(ValueError, "no model named 'x'"):
            bench.compare("x", "y")

        def broken(batch):
            raise RuntimeError("broken model")
        with self.assertRaisesRegex(RuntimeError, "broken model"):
            bench.run_all_scenarios(broken)
        with self.assertRaisesRegex(ValueError, "scenario 'Nope'"):
            bench.compare(broken, cost(1), scenario="Nope")
        with self.assertRaisesRegex(ValueError, "labels"):
            bench.set_dataset(np.zeros((8, 2)), labels=[1, 2])
        for i in range(6):
            bench.add_model(cost(i + 10))
        with self.assertRaisesRegex(ValueError, "at most 8 models"):
            bench.add_model(cost(99))


def doc_blocks(path):
    """The ```python blocks of the package's part of docs/python.md, in order."""
    with open(path) as f:
        text = f.read()
    part = text[text.index("# The `loadgen` package"):]
    return re.findall(r"```python\n(.*?)```", part, re.S)


class Docs(PackageTest):
    def test_the_docs_examples_run(self):
        blocks = doc_blocks(os.path.join(ROOT, "docs", "python.md"))
        self.assertGreaterEqual(len(blocks), 6)
        env = {"__name__": "doc"}
        for i, code in enumerate(blocks):
            try:
                exec(compile(code, "docs/python.md block %d" % (i + 1), "exec"), env)
            except Exception as e:  # name the block
                raise AssertionError("docs/python.md block %d failed: %r\n%s"
                                     % (i + 1, e, code)) from e


if __name__ == "__main__":
    unittest.main(verbosity=2, testRunner=unittest.TextTestRunner(stream=sys.stdout,
                                                                  verbosity=2))
