"""Keras 1/2 upgrade hooks: each op family registers the rewrite of its legacy
layers beside its converters, and the reader only dispatches to them
(hand-written layers, no TensorFlow)."""
from __future__ import annotations

import numpy as np
import pytest

from keras2java.ir import SourceInfo
from keras2java.ops.base import legacy_upgrade, upgrade_hook
from keras2java.reader.legacy_keras import normalize_model
from keras2java.reader.raw import RawLayer, RawModel, RawWeight


def model(*layers: RawLayer, version: str = "1.2.2") -> RawModel:
    source = SourceInfo("hand-written", "", "legacy-h5", version, int(version[0]))
    return RawModel(source, "m", "Sequential", tuple(layers), (), (), None)


def weights(*shapes) -> tuple[RawWeight, ...]:
    return tuple(RawWeight(f"w{i}", np.arange(np.prod(s), dtype=np.float32).reshape(s)) for i, s in enumerate(shapes))


@pytest.mark.parametrize("stored, module", [
    ("LSTM", "keras2java.ops.recurrent_legacy"), ("CuDNNGRU", "keras2java.ops.recurrent_legacy"),
    ("Bidirectional", "keras2java.ops.recurrent_legacy"), ("Convolution2D", "keras2java.ops.conv_legacy"),
    ("Dense", "keras2java.ops.core"), ("TimeDistributedDense", "keras2java.ops.core"),
    ("Embedding", "keras2java.ops.mask"), ("Merge", "keras2java.ops.merge"),
])
def test_hooks_live_with_their_family(stored, module):
    assert upgrade_hook(stored).__module__ == module


def test_a_class_has_one_hook():
    with pytest.raises(ValueError, match="already has an upgrade hook"):
        legacy_upgrade("Dense")(lambda layer, ctx: layer)


def test_keras1_dense_keys_and_provenance():
    dense = RawLayer("d", "Dense", {"output_dim": 3, "bias": True, "input_dim": 4}, weights((4, 3), (3,)), ())
    raw = normalize_model(model(dense), "1.2.2")
    (out,) = raw.layers
    assert out.config["units"] == 3 and out.config["use_bias"] is True
    assert list(out.config["batch_input_shape"]) == [None, 4]
    assert [line for _, line in raw.source.weight_map] == ["w0 (4, 3) -> W (kernel)", "w1 (3,) -> b (bias)"]


def test_keras1_per_gate_gru_is_fused_and_resets_first():
    ws = weights(*[(2, 3), (3, 3), (3,)] * 3)
    gru = RawLayer("g", "GRU", {"output_dim": 3, "inner_activation": "hard_sigmoid", "input_dim": 2}, ws, ())
    (out,) = normalize_model(model(gru), "1.2.2").layers
    assert out.config["reset_after"] is False and out.config["recurrent_activation"] == "hard_sigmoid"
    assert [w.shape for w in out.weights] == [(2, 9), (3, 9), (9,)]
    np.testing.assert_array_equal(out.weights[0].array, np.concatenate([ws[0].array, ws[3].array, ws[6].array], -1))


def test_keras2_0_default_recurrent_activation_and_cudnn_class():
    lstm = RawLayer("l", "LSTM", {"units": 2}, weights((3, 8), (2, 8), (8,)), ())
    cudnn = RawLayer("c", "CuDNNGRU", {"units": 2}, weights((3, 6), (2, 6), (12,)), ())
    out_lstm, out_gru = normalize_model(model(lstm, cudnn, version="2.1.6"), "2.1.6").layers
    assert out_lstm.config["recurrent_activation"] == "hard_sigmoid"
    assert out_gru.class_name == "GRU" and out_gru.config["reset_after"] is True
    assert out_gru.weights[2].shape == (2, 6)


def test_keras1_merge_becomes_a_merge_layer():
    merge = RawLayer("m", "Merge", {"mode": "concat", "concat_axis": 1, "name": "m"}, (), ())
    cos = RawLayer("c", "Merge", {"mode": "cos", "name": "c"}, (), ())
    out, refused = normalize_model(model(merge, cos), "1.2.2").layers
    assert out.class_name == "Concatenate" and out.config["axis"] == 1
    assert refused.class_name == "Merge(mode='cos')"


def test_keras3_files_are_not_touched():
    lstm = RawLayer("l", "LSTM", {"units": 2}, weights((3, 8), (2, 8), (8,)), ())
    raw = model(lstm, version="3.4.0")
    assert normalize_model(raw, "3.4.0") is raw
