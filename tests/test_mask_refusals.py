"""Masks Keras applies must never be silently ignored (issue 18 bug 2): a mask
reaching an attention layer's value is refused with the layer named, in Keras 3
files (where the saved config records no mask argument) and in tf-keras files.
(Masked merges, bug 1, are converted: tests/test_keras_ops_keras.py.)"""
from __future__ import annotations

import pytest

from support.util import run_cli

pytestmark = pytest.mark.keras


def _attention_value_mask(k, cls):
    q, v = k.Input((5, 4)), k.Input((6, 4))
    vd = k.layers.Dense(4)(k.layers.Masking()(v))
    layer = getattr(k.layers, cls)(**({"num_heads": 2, "key_dim": 2} if cls == "MultiHeadAttention" else {}))
    out = layer(q, vd) if cls == "MultiHeadAttention" else layer([q, vd])
    return k.Model([q, v], out)


@pytest.mark.parametrize("fmt,build,cls", [
    ("keras", _attention_value_mask, "Attention"), ("tf_h5", _attention_value_mask, "Attention"),
    ("keras", _attention_value_mask, "AdditiveAttention"), ("tf_h5", _attention_value_mask, "AdditiveAttention"),
    ("keras", _attention_value_mask, "MultiHeadAttention"),
])
def test_masks_keras_applies_are_refused(tmp_path, fmt, build, cls):
    if fmt == "keras":
        import keras as k
    else:
        import tf_keras as k
    model = build(k, cls)
    path = tmp_path / ("m.keras" if fmt == "keras" else "m.h5")
    model.save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout
    assert f"({cls}): receives a Keras mask" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
