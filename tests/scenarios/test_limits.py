"""Sizes past what Java can hold are refused at conversion time, naming the layer
(an input of shape (100000, 50000, 4) must not convert into Java that does not
compile, with 20000000000 as an int literal)."""
from __future__ import annotations

import pytest

from support.util import run_cli

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,named", [((100000, 50000, 4), "layer 'dense' (Dense): tensor shape (100000, 50000, 2)"),
                                         ((None, 70000, 40000), "tensor shape (None, 70000, 40000)")])
def test_tensor_over_int_range_is_refused(tmp_path, shape, named):
    import keras

    model = keras.Sequential([keras.Input(shape), keras.layers.Dense(2, name="dense")])
    path = tmp_path / "big.keras"
    model.save(path)
    proc = run_cli("convert", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1 and "2,147,483,647 floats" in line and named in line, line
    assert not (tmp_path / "out").exists()
