"""The Python API: a path or an in-memory keras.Model; typed errors."""
from __future__ import annotations

import numpy as np
import pytest

import keras2java
from support.harness import JavaBatch
from support.keras_cases import keras, keras_outputs, random_samples, randomize


@pytest.mark.keras
@pytest.mark.java
def test_in_memory_model_matches_keras(tmp_path):
    k = keras()
    k.utils.set_random_seed(11)
    model = k.Sequential([k.Input((5, 3)), k.layers.LSTM(4), k.layers.Dense(2, activation="softmax")])
    randomize(model, 11)
    result = keras2java.convert(model, str(tmp_path / "check"), package="api.mem", class_name="M")
    assert result.weights_mode == "embedded" and result.model.param_count() == model.count_params()
    samples = random_samples(model, 20, 12)
    batch = JavaBatch(tmp_path / "batch")
    # JavaBatch.add calls keras2java.convert, here with the in-memory model itself
    case = batch.add("in_memory", model, samples, keras_outputs(model, samples), package="api.mem", class_name="M")
    batch.run()
    case.check()


def test_errors_are_typed(tmp_path):
    with pytest.raises(keras2java.OptionError):
        keras2java.convert(42, str(tmp_path))
    with pytest.raises(keras2java.ModelFileError):
        keras2java.convert(str(tmp_path / "missing.keras"), str(tmp_path / "o"))
    with pytest.raises(keras2java.OptionError, match="keyword"):
        keras2java.convert(str(tmp_path / "missing.keras"), str(tmp_path / "o"), package="a.class")
    assert issubclass(keras2java.UnsupportedModelError, keras2java.Keras2JavaError)
    assert np.__name__  # numpy is a declared dependency
