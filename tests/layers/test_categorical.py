"""Categorical preprocessing layers against Keras (Keras 3 .keras and tf-keras .h5):
Discretization (bin boundaries configured or adapted; int, one_hot, multi_hot and count
output), CategoryEncoding (one_hot, multi_hot, count) and IntegerLookup (configured or
adapted vocabulary, mask and OOV tokens, int / one_hot / multi_hot / count output,
invert), each with embedded and with resource weights, at 1e-5; ``inspect`` shows a
lookup's vocabulary; unsupported options are refused by name."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from support.battery import KerasBattery
from support.cases_preprocessing import VOCAB, L, prepare, seq
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

BOUNDS = [-0.5, 0.0, 0.25, 0.5]


def adapted_discretization(k):
    """Discretization(num_bins=5) adapted on data: the config keeps num_bins and the bin_boundaries."""
    layer = k.layers.Discretization(num_bins=5, output_mode="one_hot")
    layer.adapt(np.random.default_rng(3).normal(0.0, 1.0, (200, 4)).astype("f4"))
    x = k.Input((4,))
    return k.Model(x, k.layers.Dense(3)(k.layers.Flatten()(layer(x))))


DISCRETIZATION = [
    Case("discretization/adapted_num_bins", adapted_discretization),
    Case("discretization/int", seq((None, 3), L("Discretization", bin_boundaries=BOUNDS), head=False), steps=(1, 6)),
    Case("discretization/one_hot", seq((4,), L("Discretization", bin_boundaries=BOUNDS, output_mode="one_hot"))),
    Case("discretization/multi_hot", seq((5,), L("Discretization", bin_boundaries=BOUNDS, output_mode="multi_hot"))),
    Case("discretization/count", seq((5,), L("Discretization", bin_boundaries=BOUNDS, output_mode="count"))),
    Case("discretization/one_hot_last1", seq((3, 1), L("Discretization", bin_boundaries=[0.0],
                                                       output_mode="one_hot"))),
    Case("discretization/int/tf_h5", seq((None, 3), L("Discretization", bin_boundaries=BOUNDS), head=False),
         "tf_h5", steps=(1, 6)),
    Case("discretization/count/tf_h5", seq((5,), L("Discretization", bin_boundaries=BOUNDS, output_mode="count")),
         "tf_h5"),
]

CATEGORY_ENCODING = [
    Case("category_encoding/one_hot_scalar", seq((1,), L("CategoryEncoding", num_tokens=6, output_mode="one_hot"),
                                                 dtype="int32"), data="tokens", vocab=6),
    Case("category_encoding/one_hot_seq", seq((3,), L("CategoryEncoding", num_tokens=5, output_mode="one_hot"),
                                              dtype="int32"), data="tokens", vocab=5),
    Case("category_encoding/multi_hot", seq((4,), L("CategoryEncoding", num_tokens=7), dtype="int32"),
         data="tokens", vocab=7),
    Case("category_encoding/count", seq((6,), L("CategoryEncoding", num_tokens=5, output_mode="count"),
                                        dtype="int32"), data="tokens", vocab=5),
    Case("category_encoding/count/tf_h5", seq((6,), L("CategoryEncoding", num_tokens=5, output_mode="count"),
                                              dtype="int32"), "tf_h5", data="tokens", vocab=5),
    Case("category_encoding/one_hot/tf_h5", seq((1,), L("CategoryEncoding", num_tokens=6, output_mode="one_hot"),
                                                dtype="int32"), "tf_h5", data="tokens", vocab=6),
]

def lookup_embed(**kw):
    """IntegerLookup (int output) -> Embedding -> Flatten -> Dense."""
    def build(k):
        x = k.Input((6,), dtype="int64")
        ids = k.layers.IntegerLookup(vocabulary=VOCAB, **kw)(x)
        e = k.layers.Embedding(len(VOCAB) + 3, 4)(ids)
        return k.Model(x, k.layers.Dense(3)(k.layers.Flatten()(e)))
    return build


def adapted_lookup(**kw):
    """IntegerLookup adapted on data (Keras 3 saves the vocabulary as an asset)."""
    def build(k):
        layer = k.layers.IntegerLookup(**kw)
        layer.adapt(np.array(VOCAB + VOCAB[:3] + [VOCAB[0]], "int64"))
        x = k.Input((6,), dtype="int64")
        e = k.layers.Embedding(len(VOCAB) + 3, 4)(layer(x))
        return k.Model(x, k.layers.Dense(3)(k.layers.Flatten()(e)))
    return build


INTEGER_LOOKUP = [
    Case("integer_lookup/adapted", adapted_lookup(), data="tokens", vocab=45),
    Case("integer_lookup/adapted_mask", adapted_lookup(mask_token=0), data="tokens", vocab=45),
    Case("integer_lookup/int_oov", lookup_embed(), data="tokens", vocab=45),
    Case("integer_lookup/int_mask_oov", lookup_embed(mask_token=0), data="tokens", vocab=45),
    Case("integer_lookup/int_two_oov", lookup_embed(num_oov_indices=2), data="tokens", vocab=45),
    Case("integer_lookup/int_output", seq((None,), L("IntegerLookup", vocabulary=VOCAB, mask_token=0), head=False,
                                          dtype="int64"), data="tokens", vocab=45, steps=(1, 8)),
    Case("integer_lookup/no_oov_in_vocab", seq((4,), L("IntegerLookup", vocabulary=VOCAB, num_oov_indices=0,
                                                       output_mode="multi_hot"), dtype="int64"),
         data="vocab", vocab=45),
    Case("integer_lookup/one_hot", seq((3,), L("IntegerLookup", vocabulary=VOCAB, output_mode="one_hot"),
                                       dtype="int64"), data="tokens", vocab=45),
    Case("integer_lookup/multi_hot_mask", seq((5,), L("IntegerLookup", vocabulary=VOCAB, mask_token=0,
                                                      output_mode="multi_hot"), dtype="int64"),
         data="tokens", vocab=45),
    Case("integer_lookup/count_pad", seq((5,), L("IntegerLookup", vocabulary=VOCAB, output_mode="count",
                                                 max_tokens=10, pad_to_max_tokens=True), dtype="int64"),
         data="tokens", vocab=45),
    Case("integer_lookup/invert", seq((None,), L("IntegerLookup", vocabulary=VOCAB, invert=True), head=False,
                                      dtype="int64"), data="tokens", vocab=10, steps=(1, 8)),
    Case("integer_lookup/invert_mask", seq((5,), L("IntegerLookup", vocabulary=VOCAB, mask_token=0, oov_token=-7,
                                                   invert=True), head=False, dtype="int64"), data="tokens", vocab=10),
    Case("integer_lookup/invert/tf_h5", seq((5,), L("IntegerLookup", vocabulary=VOCAB, invert=True), head=False,
                                            dtype="int64"), "tf_h5", data="tokens", vocab=10),
    Case("integer_lookup/int/tf_h5", lookup_embed(mask_token=0), "tf_h5", data="tokens", vocab=45),
    Case("integer_lookup/count/tf_h5", seq((5,), L("IntegerLookup", vocabulary=VOCAB, output_mode="count"),
                                           dtype="int64"), "tf_h5", data="tokens", vocab=45),
]

BASE = DISCRETIZATION + CATEGORY_ENCODING + INTEGER_LOOKUP
CASES = BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in BASE]


battery = KerasBattery([(prepare, CASES)], seed=7400, package="k2jtest.cat", workdir="categorical")
prepared, batch, test_matches_keras = battery.tests()


def _inspect(batch, case_id, ext=".keras"):
    from support.util import run_cli

    proc = run_cli("inspect", str(batch.workdir / (case_id.replace("/", "_") + ext)))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_inspect_shows_parameters(batch):
    """``inspect`` lists a lookup's vocabulary, from the config or from the saved asset."""
    out = _inspect(batch, "integer_lookup/int_mask_oov")
    assert "config 'vocabulary' (6,) -> vocabulary [12, 7, 3, 40, 5, 21]" in out
    assert "vocabulary of 6 from index 2; mask 0 -> 0; 1 OOV index(es) from 1; output int" in out
    out = _inspect(batch, "integer_lookup/adapted")
    assert "assets/layers/integer_lookup/vocabulary.txt (6,) -> vocabulary [" in out


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
