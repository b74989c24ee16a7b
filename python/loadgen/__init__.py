"""loadgen: an MLPerf-style load generator for Python programs (docs/python.md).

    import loadgen

    settings = loadgen.Settings(scenario="SingleStream", min_duration_ms=500)
    result = loadgen.run(model, dataset, settings)        # model(batch) -> outputs
    print(result.summary())

    bench = loadgen.Benchmark(model=model, dataset=dataset)
    bench.run_all_scenarios(quick=True)
    print(bench.compare(model, faster_model))           # Welch, Mann-Whitney, Cohen's d
    bench.report(html="report.html")

The work is done in C (the `_core` module over libloadgen and the harness): settings go
through the library's settings table, the model runs on the worker pool's threads with
the GIL taken once per batch, and the statistics are the library's.
"""

import os
import re
import tempfile

from . import _core

__all__ = ["Settings", "SettingsError", "UnknownSettingError", "SUT", "run", "Results",
           "Figures", "Benchmark", "ScenarioResults", "Comparison", "SCENARIOS",
           "__version__"]

__version__ = _core.version()[0]

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")
_PREFIX = {"SingleStream": "single_stream_", "MultiStream": "multi_stream_",
           "Server": "server_", "Offline": "offline_"}
_FIELDS = {f["name"]: f for f in _core.fields()}


class SettingsError(ValueError):
    """A setting refused by the settings table: its message names the key and value."""


class UnknownSettingError(SettingsError, AttributeError):
    """A name that is no setting; the message suggests the nearest one."""


# ------------------------------------------------------------------------- settings


def _to_text(name, kind, value):
    """A Python value as the settings table's text for a field of this kind."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # a numpy scalar
    if kind == "bool":
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return "true" if value else "false"
        raise SettingsError("%s: %r is not a bool (True or False)" % (name, value))
    if kind == "enum":
        if isinstance(value, str):
            return value
        if hasattr(value, "name") and isinstance(value.name, str):
            return value.name  # an enum member, e.g. mlperf_loadgen.TestScenario.Server
        raise SettingsError("%s: %r is not a name (e.g. 'Server')" % (name, value))
    if isinstance(value, bool):
        raise SettingsError("%s: %r is a bool, not a number" % (name, value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    raise SettingsError("%s: a %s is not a number" % (name, type(value).__name__))


def _from_text(kind, text):
    if kind == "bool":
        return text == "true"
    if kind == "enum":
        return text
    return int(text) if kind == "int" else float(text)


class Settings:
    """MLPerf's test settings, by name, checked by the library's settings table.

    Settings(scenario="Server", target_qps=1000) sets server_target_qps: a keyword is a
    field name of lg_settings (docs/configuration.md lists them), or that name without
    the scenario's prefix (target_qps, target_latency_ns, expected_latency_ns, ...), or
    a config key in the field's own unit (target_qps under Offline). Values are Python
    numbers, bools and names; every value is checked against the field's range at once,
    and the whole against itself by check() (run() calls it)."""

    __slots__ = ("_s",)

    def __init__(self, scenario=None, **kw):
        object.__setattr__(self, "_s", _core.Settings())
        if scenario is not None:
            self.scenario = scenario
        mode = kw.pop("mode", None)
        if mode is not None:
            self.mode = mode
        for key, value in kw.items():
            setattr(self, key, value)

    # -- names
    def _resolve(self, name):
        if name in _FIELDS:
            return name
        scenario = self._s.get("scenario")
        full = _PREFIX[scenario] + name
        if full in _FIELDS:
            return full
        bit = 1 << SCENARIOS.index(scenario)
        for f in _FIELDS.values():
            if (f["conf_key"] == name and f["scenarios"] & bit
                    and f["conf_unit"] == f["unit"]):
                return f["name"]
        return None

    def _unknown(self, name):
        try:
            self._s.set(name, "0")
            msg = "unknown setting '%s'" % name
        except ValueError as e:
            msg = str(e)
        if "did you mean" not in msg:
            try:
                self._s.copy().set(_PREFIX[self._s.get("scenario")] + name, "0")
            except ValueError as e:
                if "did you mean" in str(e):
                    msg = "unknown setting '%s'; did you mean%s" % (
                        name, str(e).split("did you mean", 1)[1])
        return UnknownSettingError(msg)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        full = self._resolve(name)
        if full is None:
            raise self._unknown(name)
        return _from_text(_FIELDS[full]["kind"], self._s.get(full))

    def __setattr__(self, name, value):
        full = self._resolve(name)
        if full is None:
            raise self._unknown(name)
        try:
            self._s.set(full, _to_text(full, _FIELDS[full]["kind"], value))
        except SettingsError:
            raise
        except ValueError as e:
            raise SettingsError(str(e)) from None

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(_FIELDS))

    # -- whole settings
    def to_dict(self):
        """Every field, by its full name, with its Python value."""
        return {n: _from_text(f["kind"], self._s.get(n)) for n, f in _FIELDS.items()}

    def changed(self):
        """The fields whose value is not the default, in the table's order."""
        return {n: _from_text(f["kind"], self._s.get(n)) for n, f in _FIELDS.items()
                if self._s.get(n) != f["default"]}

    def copy(self, **kw):
        """A copy, with kw set on it."""
        c = Settings.__new__(Settings)
        object.__setattr__(c, "_s", self._s.copy())
        for key, value in kw.items():
            setattr(c, key, value)
        return c

    def check(self):
        """Raises SettingsError when the settings contradict each other (the library's
        lg_settings_check, naming the setting); returns self."""
        try:
            self._s.check()
        except ValueError as e:
            raise SettingsError(str(e)) from None
        return self

    def warnings(self):
        """Settings that are accepted but probably a mistake, one text each."""
        return [w for w in self._s.warnings().splitlines() if w]

    @classmethod
    def from_config(cls, path, model="*", scenario="SingleStream", **kw):
        """Settings for `model` in `scenario` from an mlperf.conf / user.conf file, read
        strictly (an unknown key or a bad value names the file and line), then kw."""
        s = cls(scenario=scenario)
        try:
            s._s.load_config(os.fspath(path), model, s._s.get("scenario"))
        except ValueError as e:
            raise SettingsError(str(e)) from None
        for key, value in kw.items():
            setattr(s, key, value)
        return s

    @staticmethod
    def describe(name):
        """The table's row of a field: kind, unit, default, range, doc, config key."""
        if name not in _FIELDS:
            raise Settings()._unknown(name)
        return dict(_FIELDS[name])

    def __eq__(self, other):
        return isinstance(other, Settings) and self.to_dict() == other.to_dict()

    __hash__ = None

    def __repr__(self):
        changed = self.changed()
        scenario = changed.pop("scenario", None)
        parts = (["scenario=%r" % scenario] if scenario else []) + [
            "%s=%r" % kv for kv in changed.items()]
        return "Settings(%s)" % ", ".join(parts)


# ------------------------------------------------------------------------- the model


class SUT:
    """A system under test: a model with its worker threads and batch size.

        loadgen.SUT(fn, workers=4, max_batch=8)

    or a subclass that defines predict(batch) -> outputs (or __call__). `batch` is a
    numpy array stacking the dataset's samples (a list when the dataset is not an
    array); the outputs are one per sample: an array whose first dimension is the
    batch's, or a sequence of ints, floats, strs, bytes-like objects or None."""

    workers = 2
    max_batch = 1

    def __init__(self, fn=None, *, workers=None, max_batch=None, name=None):
        self._fn = fn
        if workers is not None:
            self.workers = workers
        if max_batch is not None:
            self.max_batch = max_batch
        if name is not None:
            self.name = name
        elif fn is not None:
            self.name = getattr(fn, "__name__", type(fn).__name__)

    def predict(self, batch):
        if self._fn is None:
            raise NotImplementedError("a SUT subclass defines predict(batch)")
        return self._fn(batch)


def _model(model):
    """(the callable, its name, its workers, its max_batch) of a model given as a
    callable, an object with predict(), or a SUT."""
    predict = getattr(model, "predict", None)
    fn = predict if callable(predict) else model
    if not callable(fn):
        raise TypeError("a model is a callable or has predict(batch); got a %s"
                        % type(model).__name__)
    name = getattr(model, "name", None)
    if not isinstance(name, str):
        name = getattr(model, "__name__", None) or type(model).__name__
    return fn, name, getattr(model, "workers", None), getattr(model, "max_batch", None)


def _is_numpy(x):
    return type(x).__module__ == "numpy"


def _dataset(dataset):
    """(data, count, batcher) for _core: a C-contiguous numpy array and how to rebuild
    batches from its rows, or a sequence of samples handed to the model as lists."""
    if isinstance(dataset, (list, tuple)) and dataset and _is_numpy(dataset[0]):
        import numpy as np
        first = dataset[0]
        if all(_is_numpy(x) and getattr(x, "shape", None) == first.shape
               and x.dtype == first.dtype for x in dataset):
            dataset = np.stack(dataset)
    if _is_numpy(dataset) and getattr(dataset, "ndim", 0) >= 1 and not dataset.dtype.hasobject:
        import numpy as np
        arr = np.ascontiguousarray(dataset)
        return arr, len(arr), (np.frombuffer, arr.dtype, tuple(arr.shape[1:]))
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        dataset = list(dataset)
    if len(dataset) == 0:
        raise ValueError("the dataset is empty")
    return dataset, len(dataset), None


def _name(name):
    """A model's name made a folder name: 1 to 31 of [A-Za-z0-9._-]."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:31] or "model"
    return "model" if name in (".", "..") else name


# ------------------------------------------------------------------------- results


class Figures(dict):
    """A dict whose keys are also attributes: r.latency.p99_ns is r["latency"]["p99_ns"]."""

    __slots__ = ()

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def to_dict(self):
        """Plain dicts all the way down."""
        return {k: v.to_dict() if isinstance(v, Figures) else v for k, v in self.items()}


def _figures(d):
    return Figures({k: _figures(v) if isinstance(v, dict) else v for k, v in d.items()})


def _ns(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(ns) >= scale:
            return "%.4g %s" % (ns / scale, unit)
    return "%d ns" % ns


class Results(Figures):
    """Every figure of one test (lg_results): scenario, mode, valid and the reasons
    (reasons: their texts), metric, counts, latency / query_latency / issue_lag
    (count, min_ns ... p999_ns, target_ns), early_stopping, throughputs, duration_ns,
    tokens (TTFT, TPOT, token rates, goodput) and text, the library's summary."""

    __slots__ = ()

    @property
    def reasons(self):
        """Why the run is INVALID, one sentence per reason (empty when valid)."""
        return [text for _, text in self["invalid_reason_texts"]]

    def metric_text(self):
        m = self["metric"]
        return _ns(m) if self["metric_unit"] == "ns" else "%.6g %s" % (m, self["metric_unit"])

    def summary(self):
        """The library's one-screen summary."""
        return self["text"]

    def __str__(self):
        return self["text"]

    def __repr__(self):
        verdict = "VALID" if self["valid"] else "INVALID (%s)" % ", ".join(
            code for code, _ in self["invalid_reason_texts"])
        return "<Results %s %s: %s %s, %d samples>" % (
            self["scenario"], verdict, self["metric_name"], self.metric_text(),
            self["samples_completed"])


def run(model, dataset, settings=None, *, workers=None, max_batch=None, outdir=None,
        overwrite=False, **kw):
    """Runs one test: `model` over `dataset` under `settings` (a Settings; or kw make
    one). The model is called on the worker pool's threads, `max_batch` samples at a
    time at most; its outputs are the responses (the accuracy log holds their bytes).
    outdir: where the MLPerf logs, results.json and samples.bin go (None: no files);
    a folder that holds a run is refused unless overwrite. Returns Results; an
    exception the model raised ends the test and is raised here."""
    if settings is None:
        settings = Settings(**kw)
    elif kw:
        settings = settings.copy(**kw)
    settings.check()
    fn, name, w, b = _model(model)
    data, count, batcher = _dataset(dataset)
    try:
        d = _core.run(settings._s, fn, data, count, batcher,
                      workers=workers or w or 2, max_batch=max_batch or b or 1,
                      outdir=None if outdir is None else os.fspath(outdir),
                      name=_name(name), overwrite=overwrite)
    except ValueError as e:
        # The checks against the dataset (e.g. performance_issue_same_index) name the
        # setting first, as the table's do.
        if str(e).split(":", 1)[0].split(" ")[0] in _FIELDS:
            raise SettingsError(str(e)) from None
        raise
    return Results(_figures(d))


# ------------------------------------------------------------------------- the framework


class ScenarioResults(dict):
    """Results by scenario name, in the order they ran."""

    def __str__(self):
        lines = ["%-13s %-8s %s" % ("scenario", "valid", "metric")]
        for name, r in self.items():
            lines.append("%-13s %-8s %s %s" % (name, "VALID" if r.valid else "INVALID",
                                               r.metric_name, r.metric_text()))
        return "\n".join(lines)


class Comparison(Figures):
    """Model b against model a in one scenario, from repeated interleaved runs: the
    library's statistics (harness_compare). Fields: metric, p_value (Welch),
    effect_size (Cohen's d), confidence_interval (of the relative change b/a - 1),
    is_significant, recommendation, speed_ratio and its CI, the accuracy fields with
    labels, tradeoff, and detail: every statistic (welch_t, welch_df, welch_p, mw_u,
    mw_p, cohens_d, hedges_g, ratio and change with their CIs, verdict, ...)."""

    __slots__ = ()

    @property
    def verdict(self):
        """'improved', 'regressed', 'within_noise' or 'no_change' (b against a)."""
        return self["detail"]["verdict"]

    @property
    def reason(self):
        """The verdict in plain words, with its figures."""
        return self["recommendation"]

    def __str__(self):
        d = self["detail"]
        lines = [
            "%s (%s), %s against %s: %s" % (self["scenario"], self["metric"], self["b"],
                                             self["a"], d["verdict_text"]),
            "  Welch t-test p = %.3g (t = %.3g, df = %.3g); Mann-Whitney U p = %.3g"
            % (d["welch_p"], d["welch_t"], d["welch_df"], d["mw_p"]),
            "  Cohen's d = %.3g; change %+.2f%% (%.0f%% CI %+.2f%% to %+.2f%%)"
            % (d["cohens_d"], 100 * d["change"], 100 * d["confidence"],
               100 * d["change_lo"], 100 * d["change_hi"]),
            "  " + self["tradeoff"],
            "  " + self["recommendation"],
        ]
        return "\n".join(lines)

    def __repr__(self):
        return "<Comparison %s %s: %s, Welch p=%.3g, d=%.3g>" % (
            self["scenario"], self["metric"], self.verdict, self["p_value"],
            self["effect_size"])


class Benchmark:
    """The course's framework: models, one dataset, every scenario, comparisons with
    statistics, and a report, on the library's harness.

        bench = loadgen.Benchmark(model=fn, dataset=samples, labels=None)
        bench.run_all_scenarios(quick=True)
        bench.compare(fn, other_fn, scenario="SingleStream")
        bench.report(html="report.html")

    outdir: where every run is kept (a new temporary folder when None: bench.outdir).
    workers, max_batch: the worker pool's, for every model (default: the first model's
    attributes, else 2 and 1). repetitions: runs per model in compare (0: 5 quick, else
    10). seed: the schedules' base seed. min_duration_ms: per run (0: 300 quick, else
    10000)."""

    def __init__(self, model=None, dataset=None, labels=None, *, outdir=None, workers=None,
                 max_batch=None, repetitions=0, seed=0, min_duration_ms=0):
        self.outdir = os.fspath(outdir) if outdir is not None else tempfile.mkdtemp(
            prefix="loadgen-bench-")
        os.makedirs(self.outdir, exist_ok=True)
        _, _, w, b = _model(model) if model is not None else (None, None, None, None)
        self.workers = workers or w or 2
        self.max_batch = max_batch or b or 1
        self._h = _core.Harness(outdir=self.outdir, workers=self.workers,
                                max_batch=self.max_batch, repetitions=repetitions,
                                seed=seed, min_duration_ms=min_duration_ms)
        self._models = {}  # name -> the model object (kept alive)
        self._has_dataset = False
        if dataset is not None:
            self.set_dataset(dataset, labels)
        if model is not None:
            self.add_model(model)

    def set_dataset(self, dataset, labels=None):
        """The samples every model runs on (an array: its rows; else a sequence), and
        optionally their class ids, for accuracy."""
        data, count, batcher = _dataset(dataset)
        if labels is not None:
            labels = [int(x) for x in labels]
        self._h.set_dataset(data, count, batcher, labels)
        self._has_dataset = True

    def add_model(self, model, name=None):
        """Registers a model (a callable, an object with predict(), a SUT); returns its
        name (its __name__ or name attribute, made unique). At most 8."""
        for n, m in self._models.items():
            if m is model and name in (None, n):
                return n
        fn, default, _, _ = _model(model)
        base = _name(name or default)
        name, k = base, 2
        while name in self._models and self._models[name] is not model:
            name = "%s-%d" % (base[:28], k)
            k += 1
        self._h.add_model(name, fn)
        self._models[name] = model
        return name

    def _name_of(self, model):
        if model is None:
            if not self._models:
                raise ValueError("no model: Benchmark(model=...) or add_model() first")
            return next(iter(self._models))
        if isinstance(model, str):
            if model not in self._models:
                raise ValueError("no model named '%s' (models: %s)"
                                 % (model, ", ".join(self._models) or "none"))
            return model
        return self.add_model(model)

    def _ready(self):
        if not self._has_dataset:
            raise ValueError("no dataset: Benchmark(dataset=...) or set_dataset() first")

    def run_all_scenarios(self, model=None, quick=True):
        """Runs a model (default: the first) through SingleStream, MultiStream, Server
        and Offline; the Server and Offline rates come from its SingleStream capacity.
        quick: 300 ms per run, else 10 s. Returns ScenarioResults."""
        self._ready()
        name = self._name_of(model)
        self._h.set_quick(quick)
        out = ScenarioResults()
        for d in self._h.run_all(name):
            out[d["scenario"]] = Results(_figures(d))
        return out

    def compare(self, model_a, model_b, scenario="SingleStream", quick=True):
        """Compares model_b with model_a (models or their names) by repeated, interleaved
        runs in one scenario: Welch's t-test, Mann-Whitney U, Cohen's d, the CI of the
        change, the verdict and its reason; accuracy too when labels are set."""
        self._ready()
        a, b = self._name_of(model_a), self._name_of(model_b)
        self._h.set_quick(quick)
        c = Comparison(_figures(self._h.compare(a, b, scenario)))
        c.update(a=a, b=b, scenario=_canonical_scenario(scenario))
        return c

    def accuracy(self, model=None):
        """A model's top-1 accuracy on the labelled dataset (every sample once)."""
        self._ready()
        return Figures(self._h.accuracy(self._name_of(model)))

    def report(self, html=None, markdown=None):
        """Writes the report of every run so far: HTML with charts to `html`, Markdown
        to `markdown` (default, neither given: OUTDIR/report.md). Returns the path, or
        (html, markdown) when both are given."""
        if html is None and markdown is None:
            markdown = os.path.join(self.outdir, "report.md")
        for path, as_html in ((html, True), (markdown, False)):
            if path is not None:
                self._h.report(os.fspath(path), as_html)
        return (html, markdown) if html is not None and markdown is not None else (
            html if html is not None else markdown)

    @property
    def models(self):
        """The registered models' names."""
        return list(self._models)


def _canonical_scenario(name):
    key = name.replace("-", "").replace("_", "").lower()
    for s in SCENARIOS:
        if s.lower() == key:
            return s
    return name
