"""Config quirks of files written by Keras 2.0-2.3 (and carried over
from Keras 1) against Keras: ``"dtype": "int32"`` on Embedding (Keras 2.0's
input dtype), ``implementation`` 0/1/2, legacy ``Merge`` layers in a Keras 2.0
functional model and as the first layer of a Keras 2.0 Sequential model (a Merge of
Sequential branches), ``input_dtype``, ``batch_input_shape`` on layers other than
the first, bare-list Sequential configs.

Old Keras cannot be installed: tf-keras builds the model with the legacy
semantics (hard_sigmoid, GRU reset_after=False) and gives the reference
outputs; ``support.legacy_fixtures`` writes it in the Keras 2.0-2.2 layout and
the config is then edited as those versions wrote it.  Tolerance 1e-5."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from support import legacy_fixtures as lf
from support.cases_legacy import build, functional_merge
from support.harness import JavaBatch
from support.keras_cases import keras_outputs, random_samples

pytestmark = [pytest.mark.keras]

MERGE_MODES = {"Concatenate": "concat", "Add": "sum", "Multiply": "mul"}


def embedding_stack(k):
    return k.Sequential([
        k.Input((None,)),
        k.layers.Embedding(20, 8, name="embedding_1"),
        k.layers.LSTM(6, return_sequences=True, recurrent_activation="hard_sigmoid", name="lstm_1"),
        k.layers.GRU(5, reset_after=False, recurrent_activation="hard_sigmoid", name="gru_1"),
        k.layers.Dense(3, name="dense_1"),
    ])


def edit_config(path, edit) -> None:
    with h5py.File(path, "r+") as f:
        raw = f.attrs["model_config"]
        cfg = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        f.attrs["model_config"] = json.dumps(edit(cfg)).encode()


def keras2_0_sequential(cfg):
    """Keras 2.0.2 ``Sequential.get_config`` (a bare list): Embedding with the input
    dtype, every layer with ``implementation`` and a ``batch_input_shape``."""
    layers = cfg["config"]
    assert isinstance(layers, list)
    emb = layers[0]["config"]
    emb["dtype"] = "int32"
    emb["input_dtype"] = "int32"          # the Keras 1 name, still accepted
    emb["input_length"] = None
    layers[1]["config"]["implementation"] = 0
    layers[2]["config"]["implementation"] = 1
    layers[2]["config"]["batch_input_shape"] = [None, None, 6]
    layers[3]["config"]["batch_input_shape"] = [None, 5]
    layers[3]["config"]["dtype"] = "float32"
    return cfg


def merge_branches(k):
    """What Keras 2.0's ``Sequential([Merge([lstm_branch, dense_branch], mode='concat'), Dense])``
    computes, as a tf-keras Functional model (one input per branch)."""
    a_in = k.Input((None, 4), name="lstm_1_input")
    b_in = k.Input((5,), name="dense_1_input")
    a = k.layers.LSTM(6, recurrent_activation="hard_sigmoid", name="lstm_1")(a_in)
    b = k.layers.Dense(3, activation="relu", name="dense_1")(b_in)
    b = k.layers.Dense(6, name="dense_2")(b)
    m = k.layers.Concatenate(name="merge_1")([a, b])
    return k.Model([a_in, b_in], k.layers.Dense(3, activation="softmax", name="dense_3")(m))


def merge_sum(k):
    """``Sequential([Merge([embedding_gru_branch, simple_rnn_branch], mode='sum'), Dense])``."""
    a_in = k.Input((None,), name="embedding_1_input")
    b_in = k.Input((None, 3), name="simple_rnn_1_input")
    a = k.layers.Embedding(20, 5, name="embedding_1")(a_in)
    a = k.layers.GRU(4, reset_after=False, recurrent_activation="hard_sigmoid", name="gru_1")(a)
    b = k.layers.SimpleRNN(4, name="simple_rnn_1")(b_in)
    m = k.layers.Add(name="merge_1")([a, b])
    return k.Model([a_in, b_in], k.layers.Dense(2, name="dense_1")(m))


MERGE_SEQUENTIAL = {
    "concat": (merge_branches, [["lstm_1"], ["dense_1", "dense_2"]], ["dense_3"]),
    "sum": (merge_sum, [["embedding_1", "gru_1"], ["simple_rnn_1"]], ["dense_1"]),
}


def merge_sequential_samples(m, seed: int) -> list:
    """Random samples; an Embedding branch gets token ids."""
    samples = random_samples(m, 12, seed, (1, 9))
    for s in samples:
        for i, inp in enumerate(m.inputs):
            if len(inp.shape) == 2 and inp.shape[1] is None:
                s[i] = np.random.default_rng(seed + i).integers(0, 20, s[i].shape).astype(np.float32)
    return samples


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("keras2_quirks")
    b = JavaBatch(work)
    # Keras 2.0.2 Sequential: Embedding(dtype=int32) -> LSTM(implementation=0) -> GRU(1) -> Dense
    m = build(embedding_stack, 5)
    rng = np.random.default_rng(6)
    samples = [[rng.integers(0, 20, int(rng.integers(1, 9))).astype(np.float32)] for _ in range(12)]
    p = work / "keras2_0_embedding_int32.h5"
    lf.write_keras2_era_h5(m, str(p), version="2.0.2", drop_keys=("recurrent_activation", "reset_after"))
    edit_config(p, keras2_0_sequential)
    b.add("keras2_0/embedding_int32_implementation", str(p), samples,
          keras_outputs(m, [[s[0].astype("int32")] for s in samples]), package="k2jtest.quirks.a", class_name="M")
    # Keras 2.0.8 functional model with Merge layers and implementation=2
    m = build(functional_merge, 7)
    modes = {layer.name: MERGE_MODES[type(layer).__name__] for layer in m.layers
             if type(layer).__name__ in MERGE_MODES}
    samples = random_samples(m, 12, 8, (1, 9))
    p = work / "keras2_0_functional_merge.h5"
    lf.write_keras2_era_h5(m, str(p), version="2.0.8", drop_keys=("recurrent_activation", "reset_after"))

    def merges(cfg):
        for ld in cfg["config"]["layers"]:
            c = ld["config"]
            if c["name"] in modes:
                ld["class_name"] = "Merge"
                ld["config"] = {"name": c["name"], "mode": modes[c["name"]], "concat_axis": -1, "dot_axes": -1,
                                "output_shape": None, "output_shape_type": "raw", "output_mask": None,
                                "output_mask_type": "raw", "arguments": {}, "mode_type": "raw"}
            elif ld["class_name"] in ("LSTM", "GRU"):
                c["implementation"] = 2
            elif ld["class_name"] == "Dense":
                c["batch_input_shape"] = [None, 6]
        return cfg

    edit_config(p, merges)
    b.add("keras2_0/functional_merge_layers", str(p), samples, keras_outputs(m, samples),
          package="k2jtest.quirks.b", class_name="M")
    # Keras 2.0.8 Sequential whose first layer is a Merge of Sequential branches
    for n, (mode, (make, branches, after)) in enumerate(MERGE_SEQUENTIAL.items()):
        m = build(make, 11 + n)
        samples = merge_sequential_samples(m, 12 + n)
        p = work / f"keras2_0_merge_sequential_{mode}.h5"
        lf.write_keras2_0_merge_sequential_h5(m, str(p), branches, "merge_1", after, mode,
                                              drop_keys=("recurrent_activation", "reset_after"))
        expected = keras_outputs(m, [[a.astype("int32") if make is merge_sum and i == 0 else a
                                      for i, a in enumerate(s)] for s in samples])
        b.add(f"keras2_0/merge_sequential_{mode}", str(p), samples, expected, package=f"k2jtest.quirks.m{n}",
              class_name="M")
        if mode == "concat":
            # the same model as Keras 2.0.8 ``to_json()`` + ``save_weights()`` (the weights of
            # legacy_sequential_layers at the file's root, the config with keras_version)
            w, arch = work / "keras2_0_merge_sequential_weights.h5", work / "keras2_0_merge_sequential.json"
            with h5py.File(p, "r") as src, h5py.File(w, "w") as dst:
                for name in src["model_weights"]:
                    src.copy(src["model_weights"][name], dst, name)
                for key, value in src["model_weights"].attrs.items():
                    dst.attrs[key] = value
                config = json.loads(src.attrs["model_config"])
            arch.write_text(json.dumps(dict(config, keras_version="2.0.8", backend="tensorflow")))
            b.add("keras2_0/merge_sequential_weights_only", str(w), samples, expected, package="k2jtest.quirks.mw",
                  class_name="M", architecture=str(arch))
    b.run()
    return b


@pytest.mark.java
@pytest.mark.slow
@pytest.mark.parametrize("case", ["keras2_0/embedding_int32_implementation", "keras2_0/functional_merge_layers",
                                  "keras2_0/merge_sequential_concat", "keras2_0/merge_sequential_sum",
                                  "keras2_0/merge_sequential_weights_only"])
def test_keras2_0_file_matches_keras(batch, case):
    err = batch.cases[case].check()
    print(f"{case}: max error {err:.3g}")


def test_integer_dtype_is_still_refused_on_float_layers(tmp_path):
    """``"dtype": "int32"`` names an input dtype only on layers that read ids."""
    from keras2java import UnsupportedModelError
    from keras2java.pipeline import load

    m = build(embedding_stack, 1)
    p = tmp_path / "m.h5"
    lf.write_keras2_era_h5(m, str(p), version="2.0.2", drop_keys=("recurrent_activation", "reset_after"))

    def bad(cfg):
        cfg = keras2_0_sequential(cfg)
        cfg["config"][3]["config"]["dtype"] = "int32"
        return cfg

    edit_config(p, bad)
    with pytest.raises(UnsupportedModelError) as err:
        load(str(p))
    assert "dense_1" in str(err.value) and "dtype 'int32' is not supported" in str(err.value)


def test_merge_sequential_dot_mode_is_refused(tmp_path):
    """A Keras 2.0 Sequential starting with Merge(mode='dot') reads, and the Merge is refused by its mode."""
    from keras2java import UnsupportedModelError
    from keras2java.pipeline import load

    m = build(merge_branches, 3)
    p = tmp_path / "dot.h5"
    lf.write_keras2_0_merge_sequential_h5(m, str(p), [["lstm_1"], ["dense_1", "dense_2"]], "merge_1", ["dense_3"],
                                          "dot", drop_keys=("recurrent_activation",))
    with pytest.raises(UnsupportedModelError) as err:
        load(str(p))
    assert "merge_1" in str(err.value) and "mode='dot'" in str(err.value)
