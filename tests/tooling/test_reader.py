"""Reader and IR unit tests.  No TensorFlow: they use committed files written
by Keras (examples/, tests/fixtures/core/) and small HDF5 edits made here."""
from __future__ import annotations

import dataclasses

import h5py
import numpy as np
import pytest

from keras2java.builder import build_model
from keras2java.errors import ModelFileError, UnsupportedModelError
from keras2java.ops.core import DenseOp
from keras2java.ops.recurrent import LstmOp
from keras2java.reader import read_model
from keras2java.reader.keras3 import to_snake_case
from support.util import EXAMPLE, FIXTURES, rewrite_keras_config

CORE = FIXTURES / "core"


def test_keras3_archive_structure():
    raw = read_model(str(EXAMPLE))
    assert raw.source.format == "keras-v3-zip"
    assert raw.source.keras_major == 3
    assert raw.class_name == "Sequential"
    names = [layer.name for layer in raw.layers]
    assert names == ["frames", "lstm_1", "lstm_2", "activity"]
    lstm = raw.layers[1]
    assert [w.name for w in lstm.weights] == [
        "layers/lstm/cell/vars/0", "layers/lstm/cell/vars/1", "layers/lstm/cell/vars/2"]
    assert [w.shape for w in lstm.weights] == [(11, 60), (15, 60), (60,)]
    # the second LSTM's weights live in the class-named group lstm_1, not the layer name
    assert raw.layers[2].weights[0].name == "layers/lstm_1/cell/vars/0"


def test_ir_is_typed_frozen_and_read_only():
    model = build_model(read_model(str(EXAMPLE)))
    ops = [n.op for n in model.nodes]
    assert isinstance(ops[0], LstmOp) and isinstance(ops[2], DenseOp)
    assert ops[0].return_sequences and not ops[1].return_sequences
    assert ops[0].recurrent_activation.kind == "sigmoid"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ops[0].units = 3  # type: ignore[misc]
    assert ops[0].kernel.array.dtype == np.float32
    with pytest.raises(ValueError):
        ops[0].kernel.array[0, 0] = 1.0
    assert model.param_count() == 3528
    assert model.tensor(model.outputs[0].tensor).shape == (3,)


@pytest.mark.parametrize("name,major,rec_kind", [("small_keras3.h5", 3, "hard_sigmoid_k3"),
                                                 ("small_tfkeras.h5", 2, "hard_sigmoid_k2")])
def test_legacy_h5_and_hard_sigmoid_semantics(name, major, rec_kind):
    raw = read_model(str(CORE / name))
    assert raw.source.format == "legacy-h5"
    assert raw.source.keras_major == major
    model = build_model(raw)
    lstm2 = model.nodes[1].op
    assert lstm2.recurrent_activation.kind == rec_kind
    assert model.nodes[0].op.recurrent_activation.kind == "sigmoid"


def test_weight_names_with_and_without_colon_zero():
    k3 = read_model(str(CORE / "small_keras3.h5"))
    tf2 = read_model(str(CORE / "small_tfkeras.h5"))
    assert not any(w.name.endswith(":0") for layer in k3.layers for w in layer.weights)
    assert all(w.name.endswith(":0") for layer in tf2.layers for w in layer.weights)
    for a, b in zip(k3.layers, tf2.layers):
        assert [w.shape for w in a.weights] == [w.shape for w in b.weights]


def test_split_layer_names_attribute_and_bytes(tmp_path):
    """Keras splits attributes over 64 KB into name0, name1, ...; values may be bytes."""
    path = tmp_path / "split.h5"
    path.write_bytes((CORE / "small_tfkeras.h5").read_bytes())
    with h5py.File(path, "r+") as f:
        g = f["model_weights"]
        names = [n.encode() for n in g.attrs["layer_names"]]
        del g.attrs["layer_names"]
        g.attrs["layer_names0"] = np.array(names[:1])
        g.attrs["layer_names1"] = np.array(names[1:])
        f.attrs["keras_version"] = np.bytes_(b"2.21.0")
    model = build_model(read_model(str(path)))
    assert len(model.nodes) == 3 and model.param_count() == build_model(read_model(str(CORE / "small_tfkeras.h5"))).param_count()


def test_snake_case_matches_keras_group_names():
    assert [to_snake_case(c) for c in ("LSTM", "GRU", "SimpleRNN", "InputLayer", "Conv1D", "TimeDistributed",
                                       "BatchNormalization", "Dense")] == [
        "lstm", "gru", "simple_rnn", "input_layer", "conv1d", "time_distributed", "batch_normalization", "dense"]


def test_every_problem_is_reported_at_once(tmp_path):
    bad = tmp_path / "bad.keras"

    def edit(cfg):
        layers = cfg["config"]["layers"]
        layers[1]["class_name"] = "MyCustomLSTM"
        layers[2]["config"]["time_major"] = True
        layers[3]["config"]["activation"] = "no_such_activation"
        return cfg

    rewrite_keras_config(EXAMPLE, bad, edit)
    with pytest.raises(UnsupportedModelError) as info:
        build_model(read_model(str(bad)))
    msgs = [p.describe() for p in info.value.problems]
    assert len(msgs) == 3, msgs
    assert "lstm_1" in msgs[0] and "MyCustomLSTM" in msgs[0]
    assert "lstm_2" in msgs[1] and "time_major" in msgs[1]
    assert "activity" in msgs[2] and "no_such_activation" in msgs[2]
    assert "Supported layer classes" in str(info.value)


def test_mixed_precision_policy_is_refused(tmp_path):
    bad = tmp_path / "mixed.keras"

    def edit(cfg):
        cfg["config"]["layers"][1]["config"]["dtype"] = {
            "module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}
        return cfg

    rewrite_keras_config(EXAMPLE, bad, edit)
    with pytest.raises(UnsupportedModelError, match="mixed_float16"):
        build_model(read_model(str(bad)))


def test_wrong_weight_shape_names_layer(tmp_path):
    bad = tmp_path / "shape.keras"

    def edit(cfg):
        cfg["config"]["layers"][3]["config"]["units"] = 4
        return cfg

    rewrite_keras_config(EXAMPLE, bad, edit)
    with pytest.raises(UnsupportedModelError, match=r"activity.*kernel.*\(15, 3\).*expected \(15, 4\)"):
        build_model(read_model(str(bad)))


def test_not_a_model_file(tmp_path):
    p = tmp_path / "x.keras"
    p.write_text("hello")
    with pytest.raises(ModelFileError, match="not a Keras model file"):
        read_model(str(p))
