"""The surface of mlperf_loadgen: names, types, defaults and errors, as MLPerf's
module has them (its pybind11 rules: integers refuse floats and negatives, floats
take integers, booleans take integers, unknown attributes raise AttributeError)."""

import errno
import pickle

import mlperf_loadgen as lg
from lgtest import LoadGenTest, main, null_qsl, short_settings

NAMES = """ConstructFastSUT ConstructQDL ConstructQSL ConstructSUT DestroyFastSUT DestroyQDL
DestroyQSL DestroySUT FirstTokenComplete LogOutputSettings LogSettings LoggingMode
QuerySample QuerySampleResponse QuerySamplesComplete StartTest StartTestWithLogSettings
TestMode TestScenario TestSettings VectorQuerySample VectorQuerySampleResponse""".split()

# MLPerf's defaults for its Python TestSettings.
DEFAULTS = {
    "scenario": lg.TestScenario.SingleStream,
    "mode": lg.TestMode.PerformanceOnly,
    "single_stream_expected_latency_ns": 1e6,
    "single_stream_target_latency_percentile": 0.90,
    "multi_stream_expected_latency_ns": 8e6,
    "multi_stream_target_latency_percentile": 0.99,
    "multi_stream_samples_per_query": 8,
    "server_target_qps": 1.0,
    "server_target_latency_ns": 100_000_000,
    "server_target_latency_percentile": 0.99,
    "server_coalesce_queries": False,
    "server_find_peak_qps_decimals_of_precision": 1,
    "server_find_peak_qps_boundary_step_size": 1.0,
    "server_max_async_queries": 0,
    "server_num_issue_query_threads": 0,
    "offline_expected_qps": 1.0,
    "sample_concatenate_permutation": False,
    "min_duration_ms": 10000,
    "max_duration_ms": 0,
    "min_query_count": 100,
    "max_query_count": 0,
    "qsl_rng_seed": 0,
    "sample_index_rng_seed": 0,
    "schedule_rng_seed": 0,
    "accuracy_log_rng_seed": 0,
    "accuracy_log_probability": 0.0,
    "accuracy_log_sampling_target": 0,
    "test05": False,
    "test05_qsl_rng_seed": 0,
    "test05_sample_index_rng_seed": 0,
    "test05_schedule_rng_seed": 0,
    "print_timestamps": False,
    "performance_issue_unique": False,
    "performance_issue_same": False,
    "performance_issue_same_index": 0,
    "performance_sample_count_override": 0,
    "accuracy_sample_count_override": 0,
    "use_token_latencies": False,
    "ttft_latency": 100_000_000,
    "tpot_latency": 100_000_000,
    "infer_token_latencies": False,
    "token_latency_scaling_factor": 0,
    # Ours (docs/python.md): MLPerf's behaviour by default.
    "sample_timeout_ns": 0,
    "no_sample_timeout": True,
    "mlperf_max_limits": True,
}


class Names(LoadGenTest):
    def test_every_name_is_there(self):
        for n in NAMES:
            self.assertTrue(hasattr(lg, n), n)
        self.assertEqual(lg.__doc__, "MLPerf Inference load generator.")

    def test_enums_have_mlperf_members_and_values(self):
        self.assertEqual([(m.name, m.value) for m in lg.TestScenario],
                         [("SingleStream", 0), ("MultiStream", 1), ("Server", 2),
                          ("Offline", 3)])
        self.assertEqual([m.name for m in lg.TestMode],
                         ["SubmissionRun", "AccuracyOnly", "PerformanceOnly",
                          "FindPeakPerformance"])
        self.assertEqual([m.name for m in lg.LoggingMode],
                         ["AsyncPoll", "EndOfTestOnly", "Synchronous"])
        self.assertEqual(str(lg.TestScenario.Server), "TestScenario.Server")
        self.assertEqual(int(lg.TestMode.AccuracyOnly), 1)
        self.assertIn("Offline", lg.TestScenario.__members__)
        self.assertFalse(hasattr(lg, "Server"), "members are not exported to the module")

    def test_vectors_are_lists(self):
        v = lg.VectorQuerySample()
        v.append(lg.QuerySample(1, 2))
        self.assertEqual(len(v), 1)
        self.assertIsInstance(lg.VectorQuerySampleResponse(), list)


class Settings(LoadGenTest):
    def test_defaults_are_mlperf_s(self):
        s = lg.TestSettings()
        for name, want in DEFAULTS.items():
            got = getattr(s, name)
            self.assertEqual(got, want, name)
            self.assertIs(type(got), type(want), name)

    def test_every_field_round_trips(self):
        s = lg.TestSettings()
        for name, dflt in DEFAULTS.items():
            if isinstance(dflt, bool):
                v = not dflt
            elif isinstance(dflt, lg.TestScenario):
                v = lg.TestScenario.Offline
            elif isinstance(dflt, lg.TestMode):
                v = lg.TestMode.AccuracyOnly
            elif isinstance(dflt, float):
                v = 0.5
            else:
                v = 12345
            setattr(s, name, v)
            self.assertEqual(getattr(s, name), v, name)

    def test_integers_refuse_floats_and_negatives(self):
        s = lg.TestSettings()
        for bad in (1.5, 2.0, -1, "3", None, 2**64):
            with self.assertRaises(TypeError, msg=repr(bad)):
                s.min_query_count = bad
        with self.assertRaises(TypeError):
            s.server_target_latency_ns = -5
        self.assertEqual(s.min_query_count, 100, "a refused value changes nothing")
        s.min_query_count = True
        self.assertEqual(s.min_query_count, 1)

    def test_floats_take_integers_and_refuse_text(self):
        s = lg.TestSettings()
        s.server_target_qps = 250
        self.assertEqual(s.server_target_qps, 250.0)
        self.assertIs(type(s.server_target_qps), float)
        with self.assertRaises(TypeError):
            s.server_target_qps = "250"

    def test_booleans_take_integers(self):
        s = lg.TestSettings()
        s.infer_token_latencies = 1
        self.assertIs(s.infer_token_latencies, True)
        s.use_token_latencies = 2
        self.assertIs(s.use_token_latencies, True)
        s.use_token_latencies = 0
        self.assertIs(s.use_token_latencies, False)
        with self.assertRaises(TypeError):
            s.print_timestamps = "yes"

    def test_enums_refuse_integers(self):
        s = lg.TestSettings()
        with self.assertRaises(TypeError):
            s.scenario = 2
        with self.assertRaises(TypeError):
            s.mode = lg.TestScenario.Server
        s.scenario = lg.TestScenario.Server
        self.assertIs(s.scenario, lg.TestScenario.Server)

    def test_unknown_attributes_raise(self):
        s = lg.TestSettings()
        with self.assertRaises(AttributeError):
            s.target_qps = 5
        with self.assertRaises(AttributeError):
            s.server_ttft_latency  # MLPerf's Python name is ttft_latency
        with self.assertRaises(AttributeError):
            del s.min_query_count

    def test_from_config_applies_the_model_s_lines(self):
        with open("user.conf", "w") as f:
            f.write("# a user.conf\n"
                    "resnet50.Server.target_qps = 1234.5\n"
                    "*.Server.target_latency = 15\n"
                    "*.*.min_duration = 2500\n"
                    "bert.*.min_query_count = 7\n")
        s = lg.TestSettings()
        self.assertEqual(s.FromConfig("user.conf", "resnet50", "Server"), 0)
        self.assertEqual(s.server_target_qps, 1234.5)
        self.assertEqual(s.server_target_latency_ns, 15_000_000, "ms become ns")
        self.assertEqual(s.min_duration_ms, 2500)
        self.assertEqual(s.min_query_count, 100, "another model's line")
        self.assertIs(s.scenario, lg.TestScenario.SingleStream, "scenario is not set")

    def test_from_config_return_codes(self):
        s = lg.TestSettings()
        self.assertEqual(s.FromConfig("missing.conf", "m", "Offline"), -errno.ENOENT)
        with open("bad.conf", "w") as f:
            f.write("*.Offline.target_qsp = 10\n")
        self.assertEqual(s.FromConfig("bad.conf", "m", "Offline"), -errno.EINVAL)
        self.assertEqual(s.offline_expected_qps, 1.0, "a refused file changes nothing")
        with open("mode.conf", "w") as f:
            f.write("*.*.mode = 1\n")
        self.assertEqual(s.FromConfig("mode.conf", "m", "Offline", 1), 0)
        self.assertIs(s.mode, lg.TestMode.AccuracyOnly)
        self.assertEqual(s.FromConfig("mode.conf", "m", "Nowhere"), -errno.EINVAL)


class Samples(LoadGenTest):
    def test_query_sample(self):
        q = lg.QuerySample()
        self.assertEqual((q.id, q.index), (0, 0))
        q = lg.QuerySample(2**63 + 5, 17)
        self.assertEqual((q.id, q.index), (2**63 + 5, 17))
        q.index = 3
        self.assertEqual(pickle.loads(pickle.dumps(q)).index, 3)
        with self.assertRaises(TypeError):
            lg.QuerySample(1)
        with self.assertRaises(AttributeError):
            q.other = 1

    def test_query_sample_response(self):
        r = lg.QuerySampleResponse()
        self.assertEqual((r.id, r.data, r.size, r.n_tokens), (0, 0, 0, 0))
        r = lg.QuerySampleResponse(7, 4096, 16)
        self.assertEqual((r.id, r.data, r.size, r.n_tokens), (7, 4096, 16, 0))
        r = lg.QuerySampleResponse(7, 4096, 16, 42)
        self.assertEqual(r.n_tokens, 42)
        r2 = pickle.loads(pickle.dumps(r))
        self.assertEqual((r2.id, r2.data, r2.size, r2.n_tokens), (7, 4096, 16, 42))
        for bad in ((1,), (1, 2), (1, 2, 3, 4, 5)):
            with self.assertRaises(TypeError, msg=repr(bad)):
                lg.QuerySampleResponse(*bad)
        with self.assertRaises(TypeError):
            lg.QuerySampleResponse(1, 2.5, 3)
        with self.assertRaises(TypeError):
            lg.QuerySampleResponse(1, 2, -3)
        with self.assertRaisesRegex(TypeError, "positional arguments only"):
            lg.QuerySampleResponse(id=1, data=2, size=3)
        self.assertEqual(lg.QuerySampleResponse(2**64 - 1, 0, 0).id, 2**64 - 1)
        with self.assertRaisesRegex(TypeError, "QuerySampleResponse.id"):
            lg.QuerySampleResponse(2**64, 0, 0)
        self.assertEqual(lg.QuerySampleResponse(True, 0, 0).id, 1, "an int subclass")


class Logs(LoadGenTest):
    def test_defaults(self):
        o = lg.LogOutputSettings()
        self.assertEqual((o.outdir, o.prefix, o.suffix), (".", "mlperf_log_", ""))
        self.assertEqual((o.prefix_with_datetime, o.copy_detail_to_stdout,
                          o.copy_summary_to_stdout), (False, False, False))
        ls = lg.LogSettings()
        self.assertIs(ls.log_mode, lg.LoggingMode.AsyncPoll)
        self.assertEqual(ls.log_mode_async_poll_interval_ms, 1000)
        self.assertIs(ls.enable_trace, True)

    def test_log_output_is_a_reference_and_assignment_copies(self):
        ls = lg.LogSettings()
        ls.log_output.outdir = "runs"
        self.assertEqual(ls.log_output.outdir, "runs")
        o = lg.LogOutputSettings()
        o.prefix = "p_"
        ls.log_output = o
        o.prefix = "changed_"
        self.assertEqual(ls.log_output.prefix, "p_")
        self.assertEqual(ls.log_output.outdir, ".", "assignment copies every field")
        with self.assertRaises(TypeError):
            ls.log_output = "runs"
        with self.assertRaises(TypeError):
            ls.log_mode = 0
        with self.assertRaises(TypeError):
            o.outdir = 5


class Handles(LoadGenTest):
    def test_callbacks_must_be_callable(self):
        with self.assertRaises(TypeError):
            lg.ConstructSUT(None, lambda: None)
        with self.assertRaises(TypeError):
            lg.ConstructQSL(10, 10, lambda i: None, 5)
        with self.assertRaises(TypeError):
            lg.ConstructQSL(-1, 10, lambda i: None, lambda i: None)

    def test_handles_are_ints_and_checked(self):
        sut = lg.ConstructSUT(lambda q: None, lambda: None)
        qsl = null_qsl()
        self.assertIsInstance(sut, int)
        with self.assertRaises(ValueError):
            lg.DestroySUT(qsl)
        with self.assertRaises(ValueError):
            lg.DestroySUT(12345)
        lg.DestroySUT(sut)
        with self.assertRaises(ValueError):
            lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)
        fast = lg.ConstructFastSUT(lambda i, x: None, lambda: None)
        lg.DestroyFastSUT(fast)
        qdl = lg.ConstructQDL(lambda q: None, lambda: None, lambda: "n")
        lg.DestroyQDL(qdl)

    def test_completions_outside_a_test_are_harmless(self):
        lg.QuerySamplesComplete([lg.QuerySampleResponse(1, 0, 0)])
        lg.FirstTokenComplete([lg.QuerySampleResponse(1, 0, 0)])
        lg.QuerySamplesComplete([])
        with self.assertRaises(TypeError):
            lg.QuerySamplesComplete([lg.QuerySample(1, 2)])
        with self.assertRaises(TypeError):
            lg.QuerySamplesComplete(5)
        with self.assertRaises(TypeError):
            lg.QuerySamplesComplete([], 5)
        lg.QuerySamplesComplete(responses=[lg.QuerySampleResponse(1, 0, 0)])
        lg.QuerySamplesComplete([], response_cb=None)
        for bad in ({"response": []}, {"responses": [], "other": 1}):
            with self.assertRaisesRegex(TypeError, "unexpected keyword", msg=repr(bad)):
                lg.QuerySamplesComplete(**bad)
        with self.assertRaisesRegex(TypeError, "multiple values"):
            lg.QuerySamplesComplete([], responses=[])
        with self.assertRaisesRegex(TypeError, "missing required argument 'responses'"):
            lg.FirstTokenComplete()
        with self.assertRaisesRegex(TypeError, "at most 2 arguments"):
            lg.QuerySamplesComplete([], None, None)
        # Every response is checked before any is completed, past the first chunk too.
        many = [lg.QuerySampleResponse(i, 0, 0) for i in range(1000)]
        many[700] = lg.QuerySample(1, 2)
        with self.assertRaisesRegex(TypeError, r"responses\[700\]"):
            lg.QuerySamplesComplete(many)

    def test_start_test_refuses_what_it_cannot_run(self):
        sut = lg.ConstructSUT(lambda q: None, lambda: None)
        qsl = null_qsl()
        s = short_settings(lg.TestScenario.Offline)
        s.mode = lg.TestMode.FindPeakPerformance
        with self.assertRaisesRegex(ValueError, "Finding peak performance is only "
                                    "supported in Server scenarios"):
            lg.StartTest(sut, qsl, s)
        s = short_settings(lg.TestScenario.Server)
        s.server_num_issue_query_threads = 65
        with self.assertRaisesRegex(ValueError, "server_num_issue_query_threads"):
            lg.StartTest(sut, qsl, s)
        s = short_settings(lg.TestScenario.Server)
        s.server_target_latency_percentile = 1.5
        with self.assertRaisesRegex(ValueError, "server_target_latency_percentile"):
            lg.StartTest(sut, qsl, s)
        with self.assertRaises(ValueError):
            lg.StartTest(qsl, sut, short_settings(lg.TestScenario.Server))
        ls = lg.LogSettings()
        ls.log_output.suffix = "/x"
        with self.assertRaisesRegex(ValueError, "suffix '/x'"):
            lg.StartTestWithLogSettings(sut, qsl, short_settings(lg.TestScenario.Server), ls)
        with self.assertRaises(TypeError):
            lg.StartTestWithLogSettings(sut, qsl, short_settings(lg.TestScenario.Server), 5)
        empty = lg.ConstructQSL(0, 0, lambda i: None, lambda i: None)
        with self.assertRaises(ValueError):
            lg.StartTest(sut, empty, short_settings(lg.TestScenario.Offline))
        lg.DestroyQSL(empty)
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)


if __name__ == "__main__":
    main()
