"""Custom layers: plugins (``@keras2java.layer``) that compose built-in
and primitive ops, loaded with ``--plugin``, ``plugins=`` or entry points.

The example plugins (``examples/plugins/``) and the test-only probe plugin
(``tests/plugins/probe_ops.py``) are checked against the real custom layers
implemented in Keras (``tests/support/plugin_keras_layers.py``): each model is saved
(.keras, and tf-keras .h5), converted with the plugins, compiled, run and
compared with Keras' own outputs within 1e-5; so is the numpy reference.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from support.harness import TOLERANCE, JavaBatch, max_error
from support.keras_cases import Case, keras_outputs, randomize
from support.plugin_keras_layers import keras3_layers, tf_keras_layers
from support.util import REPO, javac, java_sources, rewrite_keras_config, run_cli

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

EXAMPLES = REPO / "examples" / "plugins"
REVERSED_LSTM = EXAMPLES / "reversed_lstm.py"
AWA = EXAMPLES / "attention_weighted_average.py"
PROBE = REPO / "tests" / "plugins" / "probe_ops.py"
PLUGINS = [str(REVERSED_LSTM), str(AWA), str(PROBE)]


@pytest.fixture(scope="module")
def registered():
    """The example and probe plugins, registered for this module's in-process conversions."""
    from keras2java.ops.base import unregister_plugins
    from keras2java.plugin_loader import load_plugins

    unregister_plugins()
    assert set(load_plugins(PLUGINS, entry_points=False)) == {"ReversedLSTM", "AttentionWeightedAverage", "K2jProbe"}
    yield
    unregister_plugins()


# -- models with the custom layers, against Keras ----------------------------------------------


def pcase(id: str, plugin: str, build: Callable, fmt: str = "keras", samples: int = 12, steps: tuple = (1, 12),
          vocab: int = 0) -> Case:
    """A case about a plugin (``family``); ``vocab`` > 0: the input holds token ids below it."""
    return Case(id, build, fmt, samples=samples, steps=steps, family=plugin,
                data="tokens" if vocab else "float", vocab=vocab or 30)


def seq(shape, *make):
    """Sequential([Input(shape), *layers]) where each item of ``make`` is ``(L) -> layer``."""
    def build(L):
        k = L.keras
        return k.Sequential([k.Input(shape)] + [m(L) for m in make])
    return build


def tagger(L):
    """A hand-built bidirectional tagger: forward LSTM and ReversedLSTM over token embeddings."""
    k = L.keras
    x = k.Input((9,))
    e = k.layers.Embedding(30, 6)(x)
    fwd = k.layers.LSTM(5, return_sequences=True)(e)
    bwd = L.ReversedLSTM(5)(e)
    h = k.layers.Concatenate()([fwd, bwd])
    return k.Model(x, k.layers.TimeDistributed(k.layers.Dense(4, activation="softmax"))(h))


def awa_on_tokens(L):
    k = L.keras
    x = k.Input((10,))
    return k.Model(x, k.layers.Dense(3)(L.AttentionWeightedAverage()(k.layers.Embedding(25, 8)(x))))


def dense(n, **kw):
    return lambda L: L.keras.layers.Dense(n, **kw)


def lstm(n, **kw):
    return lambda L: L.keras.layers.LSTM(n, **kw)


def rlstm(n, **kw):
    return lambda L: L.ReversedLSTM(n, **kw)


def awa(**kw):
    return lambda L: L.AttentionWeightedAverage(**kw)


def plain_awa(**kw):
    return lambda L: L.PlainAttentionWeightedAverage(**kw)


def rlstm_override(n, **kw):
    return lambda L: L.ReversedLSTMOverride(n, **kw)


def probe(expr):
    return lambda L: L.K2jProbe(expr)


CASES = [
    pcase("reversed_lstm/dense_around", "ReversedLSTM", seq((7, 5), dense(6, activation="tanh"), rlstm(8), dense(3))),
    pcase("reversed_lstm/variable_timesteps", "ReversedLSTM",
          seq((None, 4), rlstm(6), lstm(5), dense(2, activation="softmax")), steps=(1, 15)),
    pcase("reversed_lstm/options", "ReversedLSTM",
          seq((6, 3), rlstm(6, activation="relu", recurrent_activation="hard_sigmoid", use_bias=False), dense(2))),
    pcase("reversed_lstm/tagger_functional", "ReversedLSTM", tagger, vocab=30),
    pcase("reversed_lstm/tf_h5", "ReversedLSTM", seq((6, 4), rlstm(5), dense(2)), fmt="tf_h5"),
    pcase("reversed_lstm/tf_h5_variable", "ReversedLSTM", seq((None, 3), rlstm(4), lstm(3)), fmt="tf_h5"),
    pcase("awa/lstm_before_dense_after", "AttentionWeightedAverage",
          seq((8, 5), lstm(6, return_sequences=True), awa(), dense(3, activation="softmax"))),
    pcase("awa/variable_timesteps", "AttentionWeightedAverage",
          seq((None, 4), lstm(5, return_sequences=True), awa(), dense(2)), steps=(1, 20)),
    pcase("awa/first_layer_variable", "AttentionWeightedAverage", seq((None, 3), awa()), steps=(1, 9)),
    pcase("awa/embedding", "AttentionWeightedAverage", awa_on_tokens, vocab=25),
    pcase("awa/tf_h5", "AttentionWeightedAverage", seq((7, 4), lstm(5, return_sequences=True), awa(), dense(2)),
          fmt="tf_h5"),
    pcase("awa/tf_h5_variable", "AttentionWeightedAverage", seq((None, 4), awa(), dense(2)), fmt="tf_h5"),
    pcase("both/variable_timesteps", "both", seq((None, 4), rlstm(6), awa(), dense(3)), steps=(1, 12)),
    pcase("both/tf_h5", "both", seq((6, 3), rlstm(4), awa(), dense(2, activation="sigmoid")), fmt="tf_h5"),
    # custom layers without a get_config override (the base Layer's config) and with one
    pcase("awa/plain_layer", "AttentionWeightedAverage", seq((None, 4), plain_awa(), dense(2)), steps=(1, 9)),
    pcase("awa/plain_layer_activity_regularizer", "AttentionWeightedAverage",
          seq((6, 4), lstm(5, return_sequences=True), plain_awa(activity_regularizer="l2"), dense(2))),
    pcase("awa/plain_layer/tf_h5", "AttentionWeightedAverage",
          seq((None, 4), plain_awa(activity_regularizer="l2"), dense(2)), fmt="tf_h5"),
    pcase("reversed_lstm/config_override", "ReversedLSTM", seq((None, 4), rlstm_override(5), dense(2))),
    pcase("reversed_lstm/config_override/tf_h5", "ReversedLSTM", seq((6, 3), rlstm_override(4), dense(2)),
          fmt="tf_h5"),
    *[pcase(f"probe/{e}", "K2jProbe", seq((None, 4), dense(5), probe(e))) for e in
      ("mean_time", "max_last_keep", "plus_mean", "gram")],
    pcase("probe/self_attention", "K2jProbe", seq((6, 4), dense(5), probe("self_attention"))),
    *[pcase(f"probe/{e}", "K2jProbe", seq((None, 3, 4), dense(4), probe(e)), steps=(1, 7)) for e in ("rank3", "flip3")],
]


def make_samples(model, case: PCase, seed: int) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(case.n_samples()):
        sample = []
        for inp in model.inputs:
            shape = list(inp.shape[1:])
            if shape and shape[0] is None:
                shape[0] = int(rng.integers(case.steps[0], case.steps[1] + 1))
            if case.data == "tokens":
                sample.append(rng.integers(0, case.vocab, shape).astype(np.float32))
            else:
                sample.append(rng.uniform(-1, 1, shape).astype(np.float32))
        out.append(sample)
    return out


def prepare(case: PCase, directory: Path, seed: int) -> tuple[str, list, list]:
    L = tf_keras_layers() if case.fmt == "tf_h5" else keras3_layers()
    L.keras.utils.set_random_seed(seed)
    model = case.build(L)
    randomize(model, seed)
    path = directory / (case.id.replace("/", "_") + (".h5" if case.fmt == "tf_h5" else ".keras"))
    model.save(str(path))
    samples = make_samples(model, case, seed + 1)
    return str(path), samples, keras_outputs(model, samples)


PATHS: dict = {}
WORST: dict = {}


@pytest.fixture(scope="module")
def batch(tmp_path_factory, registered):
    work = tmp_path_factory.mktemp("plugins")
    b = JavaBatch(work)
    for n, case in enumerate(CASES):
        path, samples, expected = prepare(case, work, 9100 + 7 * n)
        PATHS[case.id] = path
        b.add(case.id, path, samples, expected, package=f"k2jtest.plugins.c{n}", class_name="M")
    b.run()
    return b


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_java_matches_keras(case, batch):
    worst = batch.cases[case.id].check()
    WORST[case.family] = max(WORST.get(case.family, 0.0), worst)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_numpy_reference_matches_keras(case, batch):
    """The primitive ops' numpy evaluators (golden vectors, ``verify`` without Keras)."""
    from keras2java import reference
    from keras2java.pipeline import load

    model = load(PATHS[case.id])
    jc = batch.cases[case.id]
    for sample, expected in zip(jc.samples, jc.expected):
        for got, exp in zip(reference.predict(model, sample), expected):
            assert max_error(got, exp) <= TOLERANCE


def test_max_errors_per_plugin(batch):
    """Reported (pytest -s): the worst error against Keras per plugin."""
    for case in CASES:
        WORST[case.family] = max(WORST.get(case.family, 0.0), batch.cases[case.id].check())
    print("\nworst |java - keras| / max(1, |keras|) per plugin: "
          + ", ".join(f"{k} {v:.2e}" for k, v in sorted(WORST.items())))
    assert {"ReversedLSTM", "AttentionWeightedAverage", "both", "K2jProbe"} <= set(WORST)


def test_composed_layers_become_one_node_per_step(batch):
    from keras2java.pipeline import load

    model = load(PATHS["both/variable_timesteps"])
    steps = [(n.class_name, type(n.op).__name__) for n in model.nodes]
    assert steps == [
        ("ReversedLSTM step 1", "LstmOp"), ("ReversedLSTM step 2", "ReverseTimeOp"),
        ("AttentionWeightedAverage step 1", "DenseOp"), ("AttentionWeightedAverage step 2", "SoftmaxOp"),
        ("AttentionWeightedAverage step 3", "BroadcastOp"), ("AttentionWeightedAverage step 4", "ReduceOp"),
        ("Dense", "DenseOp")]
    assert len({n.layer_name for n in model.nodes[:2]}) == len({n.layer_name for n in model.nodes[2:6]}) == 1
    lstm_op = model.nodes[0].op
    assert lstm_op.go_backwards and lstm_op.return_sequences
    assert model.param_count() == sum(w.size for w in model.unique_weights())


def test_generated_calls_allocate_nothing(batch):
    """The code of every composed step only reuses buffers (``Check.ensure`` grows
    them once) and calls kernels: no ``new`` per prediction."""
    seen = 0
    for case in CASES:
        pkg = batch.cases[case.id].class_fqn.rsplit(".", 1)[0]
        text = (batch.src / pkg.replace(".", "/") / "M.java").read_text()
        body = text[text.index("st.begin(n, stream);"):text.index("return new float[][] {", text.index("st.begin"))]
        for block in body.split("        // ")[1:]:
            label, code = block.split("\n", 1)
            if " step " in label:
                seen += 1
                assert " new " not in code, f"{case.id}: {label}"
    assert seen > 2 * len(CASES)


def test_views_use_only_declared_runtime_classes(batch):
    from keras2java.emit import java as emit_java
    from keras2java.emit import weights as wl
    from keras2java.emit.views import MODEL_RUNTIME, build_view
    from keras2java.emit.scan import runtime_classes_used
    from keras2java.pipeline import load

    for case_id in ("both/variable_timesteps", "probe/gram", "probe/rank3", "probe/self_attention"):
        model = load(PATHS[case_id])
        layout, _ = wl.layout(model)
        view = build_view(model, "p", "C", "rt", "0", "embedded", layout, emit_java.public_runtime_classes())
        for op_view, node in zip([v for v in view.ops], [n for n in model.nodes if not n.op.alias]):
            assert runtime_classes_used(op_view) <= set(node.op.runtime) | set(MODEL_RUNTIME), node.class_name


def test_inspect_shows_the_steps(batch):
    proc = run_cli("inspect", PATHS["both/variable_timesteps"], "--plugin", str(REVERSED_LSTM), "--plugin", str(AWA))
    assert proc.returncode == 0, proc.stderr
    assert "ReversedLSTM step 2" in proc.stdout and "AttentionWeightedAverage step 4" in proc.stdout
    assert "W (6, 1) -> W" in proc.stdout or "vars/0 (6, 1) -> W" in proc.stdout


# -- refusals: one-line problem reports naming the layer ----------------------------------------


def _convert_error(path, tmp_path, **kw) -> str:
    import keras2java

    out = tmp_path / "never"
    with pytest.raises(keras2java.UnsupportedModelError) as exc:
        keras2java.convert(str(path), str(out), package="p", **kw)
    assert not out.exists()
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_refuses_an_option_the_plugin_does_not_implement(batch, tmp_path):
    bad = tmp_path / "return_attention.keras"

    def edit(cfg):
        for layer in cfg["config"]["layers"]:
            if layer["class_name"] == "AttentionWeightedAverage":
                layer["config"]["return_attention"] = True
        return cfg
    rewrite_keras_config(Path(PATHS["awa/variable_timesteps"]), bad, edit)
    msg = _convert_error(bad, tmp_path)
    assert re.search(r"layer 'attention_weighted_average\w*' \(AttentionWeightedAverage\): "
                     r"return_attention=True is not supported by this plugin", msg), msg


def test_refuses_an_unknown_option(batch, tmp_path):
    bad = tmp_path / "unknown.keras"

    def edit(cfg):
        for layer in cfg["config"]["layers"]:
            if layer["class_name"] == "AttentionWeightedAverage":
                layer["config"]["temperature"] = 2.0
        return cfg
    rewrite_keras_config(Path(PATHS["awa/variable_timesteps"]), bad, edit)
    msg = _convert_error(bad, tmp_path)
    assert "(AttentionWeightedAverage): unknown option 'temperature' (this plugin handles: return_attention)" in msg


def test_builtin_refusals_inside_a_plugin_name_the_layer(batch, tmp_path):
    bad = tmp_path / "bad_activation.keras"

    def edit(cfg):
        for layer in cfg["config"]["layers"]:
            if layer["class_name"] == "ReversedLSTM":
                layer["config"]["activation"] = "no_such_activation"
                layer["config"]["time_major"] = True
        return cfg
    rewrite_keras_config(Path(PATHS["both/variable_timesteps"]), bad, edit)
    msg = _convert_error(bad, tmp_path)
    assert re.search(r"layer 'reversed_lstm\w*' \(ReversedLSTM\): LSTM: time_major=True is not supported", msg), msg


def test_plugin_refusal_of_return_sequences_false(batch, tmp_path):
    bad = tmp_path / "no_sequences.keras"

    def edit(cfg):
        for layer in cfg["config"]["layers"]:
            if layer["class_name"] == "ReversedLSTM":
                layer["config"]["return_sequences"] = False
        return cfg
    rewrite_keras_config(Path(PATHS["reversed_lstm/dense_around"]), bad, edit)
    assert "(ReversedLSTM): return_sequences=False is not supported" in _convert_error(bad, tmp_path)


def test_a_mask_reaching_a_plugin_layer_is_refused(registered, tmp_path):
    L = keras3_layers()
    k = L.keras
    model = k.Sequential([k.Input((6,)), k.layers.Embedding(10, 4, mask_zero=True), L.ReversedLSTM(3)])
    path = tmp_path / "masked.keras"
    model.save(str(path))
    msg = _convert_error(path, tmp_path)
    assert "layer 'reversed_lstm" in msg and "receives a Keras mask" in msg


def test_unloaded_plugin_is_named_in_the_refusal(batch, tmp_path):
    proc = run_cli("convert", PATHS["awa/embedding"], "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "'AttentionWeightedAverage' is not supported" in lines[0] and "--plugin" in lines[0]
    assert not (tmp_path / "o").exists()


def _plugin_file(tmp_path, name: str, body: str) -> Path:
    p = tmp_path / name
    p.write_text("import keras2java\n\n" + body)
    return p


def _renamed(src: str, dst: Path, old: str, new: str) -> Path:
    def edit(cfg):
        for layer in cfg["config"]["layers"]:
            if layer["class_name"] == old:
                layer["class_name"] = new
        return cfg
    rewrite_keras_config(Path(src), dst, edit)
    return dst


@pytest.mark.parametrize("body, expected", [
    ("    return 1 / 0\n", "plugin converter broken ({plugin}) failed: ZeroDivisionError: division by zero"),
    ("    return 42\n", "plugin converter broken ({plugin}) returned int; expected g.output(...) or the result of "
                      "ctx.builtin(...)"),
    ("    g = ctx.graph()\n    return g.output(g.softmax(g.input(0), axis=5))\n", "axis 5 is out of range for shape"),
    ("    return ctx.builtin('NoSuchLayer')\n", "'NoSuchLayer' is not a Keras class keras2java converts itself"),
    ("    g = ctx.graph()\n    return g.output(g.input(1))\n", "the layer has 1 input(s); there is no input 1"),
])
def test_plugin_bugs_are_reported_as_the_layers_problem(batch, tmp_path, body, expected):
    import keras2java
    from keras2java.ops.base import unregister

    plugin = _plugin_file(tmp_path, "broken.py", "@keras2java.layer('K2jBroken')\ndef broken(ctx):\n" + body)
    model = _renamed(PATHS["probe/mean_time"], tmp_path / "broken.keras", "K2jProbe", "K2jBroken")
    try:
        msg = _convert_error(model, tmp_path, plugins=[str(plugin)])
    finally:
        unregister("K2jBroken")
    assert f"(K2jBroken): {expected.format(plugin=plugin)}" in msg, msg
    assert keras2java.PluginError.__mro__[1] is keras2java.OptionError


# -- loading: --plugin, plugins=, entry points ------------------------------------------------------


def test_python_api_plugins_argument(batch, tmp_path):
    import keras2java
    from keras2java.ops.base import unregister_plugins

    unregister_plugins()        # the cached plugins are re-activated by plugins=
    try:
        result = keras2java.convert(PATHS["both/tf_h5"], str(tmp_path / "o"), package="p",
                                    plugins=[str(REVERSED_LSTM), str(AWA)])
        assert (tmp_path / "o" / "p" / "Model.java").is_file()
        assert {n.class_name.split()[0] for n in result.model.nodes} >= {"k2jtest>ReversedLSTM",
                                                                        "k2jtest>AttentionWeightedAverage"}
    finally:
        from keras2java.plugin_loader import load_plugins
        load_plugins(PLUGINS, entry_points=False)


def test_duplicate_registration_is_refused_and_rolled_back(registered, tmp_path):
    import keras2java
    from keras2java.ops import layer_spec

    before = layer_spec("ReversedLSTM")
    dup = _plugin_file(tmp_path, "dup.py", "@keras2java.layer('K2jFirstOfTwo')\ndef a(ctx):\n    pass\n\n\n"
                                           "@keras2java.layer('ReversedLSTM')\ndef b(ctx):\n    pass\n")
    with pytest.raises(keras2java.PluginError) as exc:
        keras2java.convert("x.keras", str(tmp_path / "o"), plugins=[str(dup)])
    msg = str(exc.value)
    assert msg.startswith(f"plugin {dup}: Keras class 'ReversedLSTM' is already registered by plugin ")
    assert msg.endswith("reversed_lstm.py")
    assert layer_spec("ReversedLSTM") is before and layer_spec("K2jFirstOfTwo") is None
    assert not (tmp_path / "o").exists()
    builtin = _plugin_file(tmp_path, "lstm.py", "@keras2java.layer('LSTM')\ndef c(ctx):\n    pass\n")
    with pytest.raises(keras2java.PluginError, match=r"'LSTM' is already registered by keras2java itself"):
        keras2java.convert("x.keras", str(tmp_path / "o"), plugins=[str(builtin)])


def test_loading_is_idempotent(registered):
    from keras2java.ops import layer_spec
    from keras2java.plugin_loader import load_plugins

    spec = layer_spec("ReversedLSTM")
    assert load_plugins([str(REVERSED_LSTM), str(REVERSED_LSTM)], entry_points=False) == ("ReversedLSTM",)
    assert layer_spec("ReversedLSTM") is spec


def test_registered_name_with_package_falls_back_to_the_plugin(registered):
    from keras2java.ops import layer_spec

    assert layer_spec("k2jtest>ReversedLSTM") is layer_spec("ReversedLSTM") is not None
    assert layer_spec("custom>LSTM") is None      # never a built-in class under a package prefix


def _one_line_error(proc, *parts):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for p in parts:
        assert p in lines[0], lines[0]


@pytest.mark.parametrize("name, body, parts", [
    ("syntax.py", "def oops(:\n", ["cannot import it: SyntaxError"]),
    ("raises.py", "import no_such_module_k2j\n", ["cannot import it: ModuleNotFoundError",
                                                   "No module named 'no_such_module_k2j'"]),
    ("fails.py", "x = 1\nraise RuntimeError('broken plugin')\n", ["cannot import it: RuntimeError: broken plugin "
                                                                   "(fails.py, line 4)"]),
    ("empty.py", "X = 1\n", ["registers no layer"]),
    ("badmask.py", "@keras2java.layer('K2jX', mask='consume')\ndef f(ctx):\n    pass\n", ["mask='consume'"]),
])
def test_cli_plugin_that_fails_to_load(tmp_path, name, body, parts):
    plugin = _plugin_file(tmp_path, name, body)
    out = tmp_path / "o"
    proc = run_cli("convert", str(REPO / "examples" / "har_lstm.keras"), "--out", str(out), "--plugin", str(plugin))
    _one_line_error(proc, f"keras2java: error: plugin {plugin}: ", *parts)
    assert not out.exists()


def test_cli_missing_plugin_and_bad_module_name(tmp_path):
    har = str(REPO / "examples" / "har_lstm.keras")
    _one_line_error(run_cli("convert", har, "--out", str(tmp_path / "o"), "--plugin", str(tmp_path / "nope.py")),
                    "no such file")
    _one_line_error(run_cli("inspect", har, "--plugin", "no_such_plugin_module_k2j"),
                    "plugin no_such_plugin_module_k2j: cannot import it: ModuleNotFoundError")
    _one_line_error(run_cli("verify", har, "--plugin", "not a module"), "not a .py file path or a module name")
    assert not (tmp_path / "o").exists()


def test_cli_two_plugins_registering_one_class(tmp_path):
    other = _plugin_file(tmp_path, "other_awa.py", "@keras2java.layer('AttentionWeightedAverage')\n"
                                                   "def f(ctx):\n    pass\n")
    proc = run_cli("convert", str(REPO / "examples" / "har_lstm.keras"), "--out", str(tmp_path / "o"),
                   "--plugin", str(AWA), "--plugin", str(other))
    _one_line_error(proc, f"plugin {other}: Keras class 'AttentionWeightedAverage' is already registered by plugin "
                          f"{AWA}")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["convert", "verify", "inspect"])
def test_cli_help_documents_plugins(command):
    text = run_cli(command, "--help").stdout
    assert "--plugin PATH_OR_MODULE" in text and "@keras2java.layer" in text and "keras2java.layers" in text


def test_cli_convert_with_plugins_by_module_name(batch, tmp_path):
    import os

    env_path = os.pathsep.join([str(EXAMPLES), str(REPO / "codegen")])
    out = tmp_path / "o"
    proc = subprocess.run([sys.executable, "-m", "keras2java", "convert", PATHS["both/variable_timesteps"],
                           "--out", str(out), "--package", "tagger", "--plugin", "reversed_lstm",
                           "--plugin", "attention_weighted_average"],
                          capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=env_path))
    assert proc.returncode == 0, proc.stderr
    javac(tmp_path / "classes", java_sources(out))


def _fake_distribution(site: Path, entry_points: str, modules: dict) -> None:
    dist = site / "k2j_demo_plugins-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: k2j-demo-plugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[keras2java.layers]\n" + entry_points)
    for name, text in modules.items():
        (site / f"{name}.py").write_text(text)


def _cli_with_site(site: Path, *args: str, **env) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "keras2java", *args], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(REPO / "codegen")]), **env))


def test_entry_points_of_installed_packages(batch, tmp_path):
    """A module entry point (decorated converters) and a function entry point (an
    undecorated converter, registered under the entry point's name)."""
    rlstm_body = REVERSED_LSTM.read_text().replace('@keras2java.layer("ReversedLSTM")\n', "")
    _fake_distribution(tmp_path / "site",
                       "AttentionWeightedAverage = k2j_ep_awa\nReversedLSTM = k2j_ep_rlstm:reversed_lstm\n",
                       {"k2j_ep_awa": AWA.read_text(), "k2j_ep_rlstm": rlstm_body})
    proc = _cli_with_site(tmp_path / "site", "inspect", PATHS["both/variable_timesteps"])
    assert proc.returncode == 0, proc.stderr
    assert "ReversedLSTM step 2" in proc.stdout and "AttentionWeightedAverage step 4" in proc.stdout
    proc = _cli_with_site(tmp_path / "site", "inspect", PATHS["both/variable_timesteps"],
                          KERAS2JAVA_DISABLE_PLUGIN_AUTOLOAD="1")
    _one_line_error(proc, "'ReversedLSTM' is not supported")


def test_broken_entry_point_is_an_error(tmp_path):
    _fake_distribution(tmp_path / "site", "Broken = k2j_ep_broken\n", {"k2j_ep_broken": "raise ImportError('gone')\n"})
    proc = _cli_with_site(tmp_path / "site", "convert", str(REPO / "examples" / "har_lstm.keras"),
                          "--out", str(tmp_path / "o"))
    _one_line_error(proc, "plugin entry point Broken = k2j_ep_broken: cannot import it: ImportError: gone")
    assert not (tmp_path / "o").exists()


def test_verify_with_plugins_falls_back_to_the_numpy_reference(batch):
    """``verify`` compiles and runs the Java; Keras cannot load the custom classes in
    a fresh process, so the golden outputs come from the numpy reference."""
    proc = run_cli("verify", PATHS["both/variable_timesteps"], "--samples", "3",
                   "--plugin", str(REVERSED_LSTM), "--plugin", str(AWA))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "numpy" in proc.stdout and "max error" in proc.stdout


# -- the primitives' shape rules (no Keras) ------------------------------------------------------


def test_broadcast_shapes_and_layouts():
    from keras2java.ops.primitive import broadcast_layout, broadcast_shape

    assert broadcast_shape((None, 5), (None, 1)) == (None, 5)
    assert broadcast_shape((None, 5), (5,)) == (None, 5)
    assert broadcast_shape((None, 3, 4), (1, 4)) == (None, 3, 4)
    assert broadcast_shape((2, 1, 3), (4, 1)) == (2, 4, 3)
    assert broadcast_layout((None, 5), (None, 1)) == ((-1, 5), (5, 1), (1, 0))
    assert broadcast_layout((4, 3), (4, 3)) == ((12,), (1,), (1,))             # merged into one axis
    assert broadcast_layout((2, 1, 3), (4, 1)) == ((2, 4, 3), (3, 0, 1), (0, 1, 0))
    assert broadcast_layout((None, 3, 4), (3, 4)) == ((-1, 12), (12, 1), (0, 1))
    assert broadcast_layout((1, 1), (1,)) == ((1,), (0,), (0,))


@pytest.mark.parametrize("call, message", [
    (lambda p: p.broadcast_shape((None, 5), (3, 5)), "a variable number of timesteps against 3"),
    (lambda p: p.broadcast_shape((2, None, 5)[1:], (4, 1, 5)), "would not be the first axis"),
    (lambda p: p.broadcast_shape((3, 5), (4, 5)), "(sizes 3 and 4 at axis 0)"),
    (lambda p: p.reduce("sum", (5,), 0), "leaves a scalar; use keepdims=True"),
    (lambda p: p.reduce("median", (5,), 0), "'median' is not one of sum, mean, max"),
    (lambda p: p.softmax((None, 4), 2), "axis 2 is out of range for shape (None, 4)"),
    (lambda p: p.softmax((None, 4), True), "axis True is not an integer"),
    (lambda p: p.matmul((None, 4), (None, 4), transpose_b=True), "cannot become the last axis"),
    (lambda p: p.matmul((None, 4), (4, 3), transpose_a=True), "contracts a variable number of timesteps"),
    (lambda p: p.matmul((3, 4), (5, 2)), "contracted sizes 4 and 5 differ"),
    (lambda p: p.matmul((3, 4, 2), (2, 2)), "only two tensors of rank 2"),
    (lambda p: p.reverse_time(()), "is a scalar"),
])
def test_primitive_refusals(call, message):
    from keras2java.ops import primitive
    from keras2java.ops.base import ConversionProblem

    with pytest.raises(ConversionProblem) as exc:
        call(primitive)
    assert message in str(exc.value)


def test_graph_checks_its_values():
    from keras2java.ops.base import ConversionProblem
    from keras2java.plugins import Graph

    g, other = Graph([(None, 4)]), Graph([(None, 4)])
    x = g.input(0)
    with pytest.raises(ValueError, match="another graph"):
        g.reverse_time(other.input(0))
    with pytest.raises(TypeError, match="not a value of this graph"):
        g.reverse_time((None, 4))
    with pytest.raises(ConversionProblem, match="matmul of"):
        g.matmul(x, x)
    y = g.sum(g.multiply(x, g.softmax(g.max(x, axis=1, keepdims=True), axis=0)), axis=0)
    assert y.shape == (4,)
    comp = g.output(y)
    assert [type(s.op).__name__ for s in comp.steps] == ["ReduceOp", "SoftmaxOp", "BroadcastOp", "ReduceOp"]
    assert comp.output_shapes(((None, 4),)) == ((4,),)


def test_example_plugins_import_without_tensorflow():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from keras2java.plugin_loader import load_plugins\n"
            "print(load_plugins(%r, entry_points=False))\n"
            "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))\n"
            "print('IMPORTED:', bad)\n") % (str(REPO / "codegen"), [str(REVERSED_LSTM), str(AWA)])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "('ReversedLSTM', 'AttentionWeightedAverage')" in proc.stdout and "IMPORTED: []" in proc.stdout



def test_the_decorator_is_exported_without_heavy_imports():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "import keras2java\n"
            "assert callable(keras2java.layer) and 'layer' in keras2java.__all__\n"
            "print(sorted(m for m in ('numpy', 'h5py', 'jinja2', 'keras2java.plugins', 'keras2java.ops') "
            "if m in sys.modules))\n") % str(REPO / "codegen")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
