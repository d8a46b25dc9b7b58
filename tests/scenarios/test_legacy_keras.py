"""Every Keras generation (Keras 0.x weights + JSON, Keras 1.x .h5 per-gate
and fused, Keras 2.0-2.2 .h5 configs and names, cuDNN layers) against Keras.

Old Keras versions cannot be installed; ``legacy_fixtures`` rewrites tf-keras
models into each legacy layout (transcribed from that Keras version's source).
The tf-keras model, built with the legacy semantics (hard_sigmoid, GRU
reset_after=False), gives the reference outputs.  Tolerance 1e-5 (harness).
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from support import legacy_fixtures as lf
from support.cases_legacy import (bidirectional_stack, build, embedding_stack, functional_merge, keras0_stack,
                                  nested_stack, rnn_stack, time_distributed_stack)
from support.harness import JavaBatch
from support.keras_cases import keras_outputs, random_samples, tf_keras
from support.util import FIXTURES, run_cli

LEGACY_FIXTURES = FIXTURES / "legacy"


def _without_key(obj, key):
    if isinstance(obj, dict):
        return {k: _without_key(v, key) for k, v in obj.items() if k != key}
    if isinstance(obj, list):
        return [_without_key(v, key) for v in obj]
    return obj


def _tf_keras_h5_as_2_3(m, d, cid):
    """tf-keras' own .h5 of a nested model, relabelled as written by Keras 2.3.1 (sigmoid default):
    no recurrent_activation / reset_after keys anywhere (also inside the nested model)."""
    import h5py
    p = d / f"{cid}.h5"
    m.save(str(p))
    with h5py.File(p, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        cfg = _without_key(_without_key(cfg, "recurrent_activation"), "reset_after")
        f.attrs["model_config"] = json.dumps(cfg).encode()
        f.attrs["keras_version"] = b"2.3.1"
    return p, None


def token_samples(n, seed):
    rng = np.random.default_rng(seed)
    return [[rng.integers(0, 20, int(rng.integers(1, 10))).astype(np.float32)] for _ in range(n)]


# case id -> (model builder, writer(model, dir) -> (weights path, architecture path or None))
def _k1(**kw):
    def write(m, d, cid):
        p = d / f"{cid}.h5"
        lf.write_keras1_h5(m, str(p), **kw)
        return p, None
    return write


def _k1_weights(m, d, cid):
    p, a = d / f"{cid}.h5", d / f"{cid}.json"
    lf.write_keras1_h5(m, str(p), weights_only=True, tf_names=False)
    a.write_text(lf.keras1_json(m))
    return p, a


def _k0(json_form):
    def write(m, d, cid):
        p, a = d / f"{cid}.h5", d / f"{cid}.json"
        lf.write_keras0_weights(m, str(p))
        a.write_text({"0": lf.keras0_json, "1": lf.keras1_json, "2": lambda mm: mm.to_json(),
                      "0td": lambda mm: lf.keras0_json(mm, td_dense=True)}[json_form](m))
        return p, a
    return write


def _k2(**kw):
    def write(m, d, cid):
        p = d / f"{cid}.h5"
        lf.write_keras2_era_h5(m, str(p), **kw)
        return p, None
    return write


CASES = {
    "keras1/per_gate_tf_names": (rnn_stack, _k1(tf_names=True)),
    "keras1/per_gate_theano_names": (rnn_stack, _k1(tf_names=False)),
    "keras1/fused_consume_less_gpu": (rnn_stack, _k1(fused=True)),
    "keras1/embedding_simplernn": (embedding_stack, _k1(version="1.0.8")),
    "keras1/timedistributeddense_go_backwards": (time_distributed_stack, _k1(td_dense=True, version="1.1.2")),
    "keras1/weights_plus_keras1_json": (rnn_stack, _k1_weights),
    "keras0/weights_plus_keras0_json": (keras0_stack, _k0("0")),
    "keras0/weights_plus_keras1_json": (keras0_stack, _k0("1")),
    "keras0/weights_plus_keras2_json": (keras0_stack, _k0("2")),
    "keras0/timedistributeddense_simplernn": (time_distributed_stack, _k0("0td")),
    "keras1/bidirectional_per_gate": (bidirectional_stack, _k1()),
    "keras1/functional_merge": (functional_merge, _k1(tf_names=False)),
    # Keras 2.0-2.1: bare-list Sequential, batch_input_shape, bytes attributes, names with ':0',
    # layer_names split in chunks, no recurrent_activation key (hard_sigmoid), GRU without reset_after
    "keras2_0/bare_list_no_defaults_split_attrs": (
        rnn_stack, _k2(version="2.1.6", drop_keys=("recurrent_activation", "reset_after"), split_chunks=3)),
    # Keras 2.2: dict Sequential config, str attributes, Theano names without ':0'
    "keras2_2/dict_config_str_attrs_no_colon": (
        rnn_stack, _k2(version="2.2.4", bare_list=False, colon=False, str_attrs=True, drop_keys=("reset_after",))),
    "keras2_1/functional_model": (
        functional_merge, _k2(version="2.1.2", drop_keys=("recurrent_activation", "reset_after"))),
    "keras2_3/nested_model_defaults": (nested_stack, _tf_keras_h5_as_2_3),
    # Keras 2.3: a missing recurrent_activation means sigmoid
    "keras2_3/default_sigmoid": (
        lambda k: rnn_stack(k, rec="sigmoid"), _k2(version="2.3.1", drop_keys=("recurrent_activation",))),
    # CuDNNLSTM / CuDNNGRU: equivalent to LSTM and GRU(reset_after=True) with sigmoid
    "cudnn/lstm_gru": (lambda k: rnn_stack(k, rec="sigmoid", reset_after=True), _k2(version="2.2.4", cudnn=True)),
    "cudnn/bidirectional": (lambda k: bidirectional_stack(k, rec="sigmoid", reset_after=True),
                            _k2(version="2.2.4", cudnn=True, seed=3)),
}

COMMITTED = ["keras1_per_gate", "keras1_fused", "keras0_weights", "keras2_0_gru", "cudnn"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("legacy")
    b = JavaBatch(work)
    for n, (cid, (make, write)) in enumerate(CASES.items()):
        m = build(make, 40 + n)
        samples = token_samples(12, 90 + n) if make is embedding_stack else random_samples(m, 12, 90 + n, (1, 9))
        path, arch = write(m, work, cid.replace("/", "_"))
        b.add(cid, str(path), samples, keras_outputs(m, samples), package=f"k2jtest.legacy.c{n}", class_name="M",
              architecture=str(arch) if arch else None)
    for n, name in enumerate(COMMITTED):
        ref = np.load(LEGACY_FIXTURES / f"{name}.npz")
        samples = [[ref[f"x{i}"]] for i in range(int(ref["n"]))]
        expected = [[ref[f"y{i}"]] for i in range(int(ref["n"]))]
        arch = LEGACY_FIXTURES / f"{name}.json"
        b.add(f"committed/{name}", str(LEGACY_FIXTURES / f"{name}.h5"), samples, expected,
              package=f"k2jtest.legacy.f{n}", class_name="M", architecture=str(arch) if arch.exists() else None)
    b.run()
    return b


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_legacy_layout_matches_keras(batch, case):
    batch.cases[case].check()


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
@pytest.mark.parametrize("name", COMMITTED)
def test_committed_legacy_fixture_matches_keras(batch, name):
    batch.cases[f"committed/{name}"].check()


@pytest.mark.keras
def test_fixture_per_gate_split_is_what_keras_merges():
    """The Keras 1 per-gate split of the fixtures, merged back by tf-keras' own
    ``preprocess_weights_for_loading(original_keras_version='1')``, gives the weights."""
    from tf_keras.src.saving.legacy.hdf5_format import preprocess_weights_for_loading

    m = build(rnn_stack, 3)
    for layer in m.layers:
        if layer.__class__.__name__ not in ("LSTM", "GRU"):
            continue
        stored = [v for _, v in lf.keras1_layer_weights(layer)]
        merged = preprocess_weights_for_loading(layer, list(stored), original_keras_version="1")
        for a, b in zip(merged, layer.get_weights()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.keras
def test_fixture_cudnn_weights_load_back_in_keras():
    """tf-keras converts the fixtures' cuDNN weights back into the LSTM/GRU weights."""
    from tf_keras.src.saving.legacy.hdf5_format import _convert_rnn_weights

    m = build(lambda k: rnn_stack(k, rec="sigmoid", reset_after=True), 4)
    for layer in m.layers[:2]:
        cls = layer.__class__.__name__
        back = _convert_rnn_weights(layer, lf._to_cudnn(cls, layer.get_weights(), 1))
        for a, b in zip(back, layer.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_current_keras_refuses_keras2_0_gru_but_keras2java_converts_it(batch):
    """tf-keras (default GRU reset_after=True) cannot load the Keras 2.0 GRU file."""
    path = batch.workdir / "keras2_0_bare_list_no_defaults_split_attrs.h5"
    with pytest.raises(Exception):
        tf_keras().models.load_model(str(path), compile=False)
    assert batch.cases["keras2_0/bare_list_no_defaults_split_attrs"].convert_error is None


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_inspect_keras0_shows_gate_mapping(batch):
    proc = run_cli("inspect", str(batch.workdir / "keras0_weights_plus_keras0_json.h5"),
                   "--architecture", str(batch.workdir / "keras0_weights_plus_keras0_json.json"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "layer_0/param_6 (11, 15) -> W_f (input kernel, forget gate)" in out
    assert "layer_0/param_3 (11, 15) -> W_c (input kernel, cell candidate)" in out
    assert "layer_1/param_4 (6, 6) -> U_r (recurrent kernel, reset gate)" in out
    assert "Keras 0.x save_weights" in out and "clip(0.2x+0.5, 0, 1)" in out
    assert "hard_sigmoid" in out


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_inspect_keras1_and_cudnn(batch):
    proc = run_cli("inspect", str(batch.workdir / "keras1_per_gate_tf_names.h5"))
    assert proc.returncode == 0, proc.stderr
    assert "lstm_1_W_f:0 (11, 15) -> W_f (input kernel, forget gate)" in proc.stdout
    assert "gru_1_b_h:0 (6,) -> b_h (bias, candidate)" in proc.stdout
    assert "keras_version: 1.2.2" in proc.stdout and "Keras 1.x save_model" in proc.stdout
    proc = run_cli("inspect", str(batch.workdir / "cudnn_lstm_gru.h5"))
    assert proc.returncode == 0, proc.stderr
    assert "class CuDNNLSTM -> LSTM" in proc.stdout and "class CuDNNGRU -> GRU" in proc.stdout
    assert "lstm_1/bias:0[75:90] (120,) -> b_f (recurrent-side bias, forget gate; summed)" in proc.stdout
    proc = run_cli("inspect", str(LEGACY_FIXTURES / "keras2_0_gru.h5"))
    assert proc.returncode == 0, proc.stderr
    assert "keras_version: 2.0.8" in proc.stdout and "detected: Keras 2.0 file" in proc.stdout
    assert "recurrent_activation missing: hard_sigmoid (the default of Keras 2.0)" in proc.stdout
    assert "reset_after missing: False (bias gru_1/bias:0 has shape (18,))" in proc.stdout


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_keras0_weights_with_wrong_architecture(batch, tmp_path):
    arch = tmp_path / "a.json"
    cfg = json.loads(lf.keras0_json(build(keras0_stack, 1)))
    cfg["layers"] = cfg["layers"][:3]
    arch.write_text(json.dumps(cfg))
    proc = run_cli("convert", str(batch.workdir / "keras0_weights_plus_keras0_json.h5"), "--architecture", str(arch),
                   "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "nb_layers" in proc.stderr
    assert not (tmp_path / "o").exists()


def _json_paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _json_paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _json_paths(v, prefix + (i,))


@pytest.mark.parametrize("name", ["keras1_per_gate", "keras1_fused", "keras2_0_gru", "cudnn"])
def test_mutated_legacy_configs_fail_cleanly(tmp_path, name):
    """Edits to a legacy model_config (wrong types, missing keys) give a
    Keras2JavaError or a model, never another exception."""
    import h5py
    import shutil
    from keras2java import Keras2JavaError
    from keras2java.pipeline import load

    src = LEGACY_FIXTURES / f"{name}.h5"
    with h5py.File(src, "r") as f:
        base = f.attrs["model_config"]
    base = json.loads(base.decode() if isinstance(base, bytes) else base)
    paths = [p for p in _json_paths(base) if p]
    rng = np.random.default_rng(11)
    values = [None, -1, 0, 2.5, "x", "hard_sigmoid", [], {}, [None, None], {"class_name": "LSTM"}, True]
    for n in range(int(os.environ.get("K2J_LEGACY_MUTATIONS", "60"))):
        cfg = json.loads(json.dumps(base))
        for _ in range(int(rng.integers(1, 3))):
            path = paths[int(rng.integers(len(paths)))]
            node = cfg
            try:
                for key in path[:-1]:
                    node = node[key]
                if rng.random() < 0.3 and isinstance(node, dict):
                    del node[path[-1]]
                else:
                    node[path[-1]] = values[int(rng.integers(len(values)))]
            except (KeyError, IndexError, TypeError):
                pass
        dst = tmp_path / f"m{n}.h5"
        shutil.copy(src, dst)
        with h5py.File(dst, "r+") as f:
            f.attrs["model_config"] = json.dumps(cfg).encode()
        try:
            load(str(dst))
        except Keras2JavaError:
            pass


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
def test_keras1_merge_dot_and_keras0_graph_are_refused_clearly(batch, tmp_path):
    import h5py
    import shutil
    src = batch.workdir / "keras1_functional_merge.h5"
    dst = tmp_path / "dot.h5"
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        for ld in cfg["config"]["layers"]:
            if ld["name"] == "merge_3":
                ld["config"]["mode"] = "dot"
        f.attrs["model_config"] = json.dumps(cfg).encode()
    proc = run_cli("convert", str(dst), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "merge_3" in proc.stderr and "Merge(mode='dot')" in proc.stderr, proc.stderr
    arch = tmp_path / "graph.json"
    arch.write_text(json.dumps({"name": "Graph", "layers": [], "nodes": {}}))
    proc = run_cli("convert", str(batch.workdir / "keras0_weights_plus_keras0_json.h5"), "--architecture", str(arch),
                   "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "Graph" in proc.stderr and "only Sequential" in proc.stderr, proc.stderr
    assert not (tmp_path / "o").exists()
