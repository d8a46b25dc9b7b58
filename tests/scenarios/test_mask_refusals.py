"""Masks Keras applies must never be silently ignored.  Masks reaching attention
layers and layers that drop them are converted now (tests/layers/test_attention.py,
tests/scenarios/test_masks.py), masked merges too, also masked sequences concatenated
along the timestep axis (tests/layers/test_merge.py, tests/layers/test_keras_ops.py).
What is still refused, with the layer named:

- a mask reaching Softmax: Keras broadcasts the (batch, timesteps) mask against
  the last axes of the input (the features), which only builds when the two
  sizes agree and then masks features by timestep; keras2java does not copy that;
- a mask reaching a tf-keras GroupNormalization, for the same reason (its moments are
  weighted by the mask broadcast to the input's shape; Keras 3 ignores the mask);
- Keras 3 merges broadcasting an axis of size 1 against a variable number of
  timesteps: Keras 3 itself returns outputs of the wrong length or transposed
  operands there, depending on the lengths traced first;
- a nested model called with a ``mask=`` other than its input's own mask (nested
  models fed a masked tensor convert: tests/scenarios/test_masks.py): Keras sets
  the mask on the caller's tensor (``Functional.call``), and Keras 3 leaves it there,
  so later uses of that tensor are masked too, depending on execution order; for the
  same reason, a nested call whose input's mask a MultiHeadAttention cleared before
  (it sets it again), and a nested model whose MultiHeadAttention clears the caller's
  mask;
- Keras 3 MultiHeadAttention with key_dim or value_dim 1, several heads and as many
  timesteps as heads: Keras' TensorFlow backend adds that projection's bias per
  timestep there (``ops.add`` picks a channels-first ``bias_add``), not per head.

``return_attention_scores`` with a variable number of value (and query) timesteps
converts now: the scores' axes carry run-time extents."""
from __future__ import annotations

import pytest

from support.util import run_cli

pytestmark = pytest.mark.keras


def _softmax(k):
    x = k.Input((4, 4))
    return k.Model(x, k.layers.Softmax()(k.layers.Masking()(x))), "Softmax", "receives a Keras mask"


def _group_normalization(k):
    x = k.Input((3,))
    y = k.layers.GroupNormalization(groups=1)(k.layers.Embedding(17, 3, mask_zero=True)(x))
    return k.Model(x, y), "GroupNormalization", "receives a Keras mask"


def test_nested_model_called_with_mask_is_refused(tmp_path):
    import keras as k
    inner_in = k.Input((None, 3))
    inner = k.Model(inner_in, k.layers.LSTM(4, return_sequences=True)(inner_in), name="inner")
    x = k.Input((None, 3))
    keep = k.ops.any(k.ops.not_equal(x, 0.0), axis=-1)
    path = tmp_path / "m.keras"
    k.Model(x, [inner(x, mask=keep), inner(x)]).save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout
    assert ("(Functional): a nested model called with a mask= tensor other than its input's own mask is not "
            "supported") in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def _mha_then_nested(k):
    """The attention clears the embedding's mask; the nested call (deeper: it runs after)
    would set it again for the Maximum after it."""
    ids = k.Input((6,), dtype="int32")
    e = k.layers.Embedding(10, 4, mask_zero=True)(ids)
    a = k.layers.MultiHeadAttention(1, 2)(e, e)
    a = k.layers.Dense(4)(k.layers.Dense(4)(a))   # deeper than the nested call: runs before it
    i = k.Input((6, 4))
    inner = k.Model(i, k.layers.Dense(4)(i), name="inner")
    return k.Model(ids, [a, k.layers.Maximum()([e, inner(e)])]), "its input's mask was cleared by a MultiHeadAttention"


def _nested_mha(k):
    ids = k.Input((6,), dtype="int32")
    e = k.layers.Embedding(10, 4, mask_zero=True)(ids)
    i = k.Input((6, 4))
    inner = k.Model(i, k.layers.MultiHeadAttention(1, 2, name="att")(i, i), name="inner")
    return k.Model(ids, [inner(e), k.layers.Maximum()([e, k.layers.Dense(4)(e)])]), \
        "layer 'att' inside clears the mask of the caller's masked tensor"


@pytest.mark.parametrize("build", [_mha_then_nested, _nested_mha])
def test_nested_model_mask_side_effects_are_refused(tmp_path, build):
    import keras as k
    model, reason = build(k)
    path = tmp_path / "m.keras"
    model.save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout
    assert reason in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("cls", ["Attention", "MultiHeadAttention"])
def test_variable_length_attention_scores_convert(tmp_path, cls):
    import keras as k
    x = k.Input((None, 4))
    if cls == "Attention":
        out = k.layers.Attention()([x, x], return_attention_scores=True)
    else:
        out = k.layers.MultiHeadAttention(2, 2)(x, x, return_attention_scores=True)
    path = tmp_path / "m.keras"
    k.Model(x, list(out)).save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr


def test_keras3_broadcast_over_variable_steps_is_refused(tmp_path):
    import keras as k
    a, b = k.Input((None, 3)), k.Input((1, 3))
    path = tmp_path / "m.keras"
    k.Model([a, b], k.layers.Add()([a, b])).save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout
    assert "(Add): broadcasting inputs (None, 3), (1, 3) with a variable number of timesteps" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt,build", [("keras", _softmax), ("tf_h5", _softmax), ("tf_h5", _group_normalization)],
                         ids=["softmax-keras", "softmax-tf_h5", "group_normalization-tf_h5"])
def test_masks_keras_applies_are_refused(tmp_path, fmt, build):
    if fmt == "keras":
        import keras as k
    else:
        import tf_keras as k
    model, cls, reason = build(k)
    path = tmp_path / ("m.keras" if fmt == "keras" else "m.h5")
    model.save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout
    assert f"({cls}): {reason}" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "out").exists()


def _mha_bias_model(k, steps):
    q = k.Input((steps, 3))
    return k.Model(q, k.layers.MultiHeadAttention(2, 1)(q, q))


def test_keras3_tensorflow_bias_add_quirk_is_refused(tmp_path):
    """Keras 3's TensorFlow ``ops.add`` turns ``x + bias`` into a channels-first ``bias_add``
    when the (heads, 1) bias of a key_dim=1 projection matches the timestep axis of x: Keras
    then adds it per timestep.  The first half shows Keras still does so (a fixed length of
    2 against the same weights traced with a variable length): when it stops, lift the refusal."""
    import numpy as np
    import keras as k
    fixed, free = _mha_bias_model(k, 2), _mha_bias_model(k, None)
    rng = np.random.default_rng(5)
    fixed.set_weights([rng.normal(size=w.shape).astype("float32") for w in fixed.get_weights()])
    free.set_weights(fixed.get_weights())
    x = rng.normal(size=(1, 2, 3)).astype("float32")
    free.predict(rng.normal(size=(1, 3, 3)).astype("float32"), verbose=0)   # trace a variable length first
    assert np.abs(fixed.predict(x, verbose=0) - free.predict(x, verbose=0)).max() > 1e-3, \
        "Keras 3 no longer adds the (heads, 1) bias per timestep: lift the refusal in ops/attention.py"
    path = tmp_path / "m.keras"
    fixed.save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout
    assert "adds the query projection's bias along the timestep axis" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()
    path = tmp_path / "free.keras"
    free.save(path)
    assert run_cli("convert", str(path), "--out", str(tmp_path / "free")).returncode == 0


def test_a_refused_layer_reports_nothing_downstream(tmp_path):
    """Layers after a refused one are not converted, so the mask computation Keras 3
    recorded for them (keras.ops nodes, which a Keras 3 .h5 cannot hold) is not asked for:
    one problem, the real one."""
    import keras as k
    ids = k.Input((None,), dtype="int32")
    e = k.layers.Embedding(10, 4, mask_zero=True)(ids)
    out = k.layers.Softmax(name="att")(e)
    path = tmp_path / "m.h5"
    k.Model(ids, [k.layers.LSTM(2)(out), out]).save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout
    assert "1 problem(s): layer 'att' (Softmax): " in proc.stderr, proc.stderr
