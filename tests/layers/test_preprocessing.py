"""Issue 13: preprocessing layers that are numbers in, numbers out
(Normalization, Rescaling), PReLU and Identity against Keras (Keras 3 .keras
and tf-keras .h5), each with embedded and with resource weights.  Tolerance
1e-5 (harness)."""
from __future__ import annotations

import pytest

from support.cases_preprocessing import CASES, prepare
from support.harness import keras_case_tests

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


batch, test_matches_keras = keras_case_tests(CASES, prepare, 7000, "k2jtest.pre", "preprocessing")


def test_inspect_shows_parameters(batch):
    """``inspect`` lists Normalization's mean and variance per feature (and the
    skipped int64 count), PReLU's alpha shape, a lookup's vocabulary."""
    from support.util import run_cli

    def inspect(case_id, ext=".keras"):
        proc = run_cli("inspect", str(batch.workdir / (case_id.replace("/", "_") + ext)))
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = inspect("normalization/adapted_last_axis")
    assert "layers/normalization/vars/0 (1, 4) -> mean [" in out
    assert "layers/normalization/vars/1 (1, 4) -> variance [" in out
    assert "(x - mean) / max(sqrt(variance), 1e-7)" in out and "layers/normalization/vars/2 () (int64)" in out
    out = inspect("normalization/invert/tf_h5", ".h5")
    assert "-> mean [" in out and "count:0 () (int64)" in out and "mean + x * max(sqrt(variance), 1e-7)" in out
    out = inspect("prelu/shared_time")
    assert "layers/p_re_lu/vars/0 (1, 4) -> alpha [" in out and "alpha (1, 4), shared along axes [1]" in out
    out = inspect("integer_lookup/int_mask_oov")
    assert "config 'vocabulary' (6,) -> vocabulary [12, 7, 3, 40, 5, 21]" in out
    assert "vocabulary of 6 from index 2; mask 0 -> 0; 1 OOV index(es) from 1; output int" in out
    out = inspect("integer_lookup/adapted")
    assert "assets/layers/integer_lookup/vocabulary.txt (6,) -> vocabulary [" in out
    out = inspect("rescaling/per_channel")
    assert "config 'scale' (1, 3) -> scale [0.5, 2, -1.5]" in out and "x * scale + offset" in out


def test_unsupported_options_are_refused_by_name(tmp_path):
    """An IntegerLookup whose vocabulary a config lost, oov_method='farmhash',
    and multi_hot over a rank-2 input: one error naming each layer, nothing written."""
    from keras2java import UnsupportedModelError, convert
    from support.keras_cases import keras
    from support.util import rewrite_keras_config

    k = keras()
    x1, x2, x3 = k.Input((4,), dtype="int64"), k.Input((4,), dtype="int64"), k.Input((2, 3), dtype="int32")
    a = k.layers.Dense(2)(k.layers.Embedding(8, 3)(k.layers.IntegerLookup(vocabulary=[3, 5], name="lost")(x1)))
    b = k.layers.IntegerLookup(vocabulary=[4, 9], num_oov_indices=2, oov_method="farmhash", name="hashed_oov")(x2)
    c = k.layers.CategoryEncoding(num_tokens=4, name="multi_hot_2d")(x3)
    k.Model([x1, x2, x3], [a, b, c]).save(tmp_path / "src.keras")
    path = tmp_path / "bad.keras"

    def lose_vocabulary(cfg):
        for ld in cfg["config"]["layers"]:
            if ld["config"]["name"] == "lost":
                ld["config"]["vocabulary"] = None
        return cfg

    rewrite_keras_config(tmp_path / "src.keras", path, lose_vocabulary)
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    text = str(err.value)
    assert "lost" in text and "neither in the config nor saved as a vocabulary asset" in text
    assert "hashed_oov" in text and "oov_method='farmhash' is not supported" in text
    assert "multi_hot_2d" in text and "inputs of shape (n,)" in text
    assert not (tmp_path / "out").exists()
