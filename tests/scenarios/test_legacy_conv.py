"""Keras 1 convolution configs (nb_filter, nb_row, nb_col,
border_mode, subsample, dim_ordering th/tf, filter_length,
subsample_length, pool_length) and Theano-trained kernels, converted as
Keras 2's loader converts them and compared with the Keras model whose
weights were written."""
from __future__ import annotations

import numpy as np
import pytest

from support.harness import JavaBatch
from support.keras_cases import keras, random_samples, randomize, tf_keras
from support.legacy_conv_fixtures import write_keras1_conv_h5

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def cnn(fmt: str):
    def build(k):
        first = fmt == "channels_first"
        shape = (2, 9, 8) if first else (9, 8, 2)
        return k.Sequential([
            k.Input(shape),
            k.layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="relu", data_format=fmt),
            k.layers.MaxPooling2D(2, padding="same", data_format=fmt),
            k.layers.ZeroPadding2D(((1, 0), (0, 2)), data_format=fmt),
            k.layers.Conv2D(3, 2, data_format=fmt, activation="tanh"),
            k.layers.UpSampling2D((1, 2), data_format=fmt),
            k.layers.AveragePooling2D(2, data_format=fmt),
            k.layers.Flatten(),
            k.layers.Dense(3, activation="softmax"),
        ])
    return build


def atrous(k):
    return k.Sequential([k.Input((10, 9, 2)), k.layers.Conv2D(3, 3, dilation_rate=2, padding="same"),
                         k.layers.GlobalAveragePooling2D(), k.layers.Dense(2)])


def conv1d_lstm(k):
    return k.Sequential([k.Input((12, 3)), k.layers.Conv1D(5, 3, strides=2, padding="same", activation="relu"),
                         k.layers.MaxPooling1D(2, strides=1), k.layers.Conv1D(4, 2),
                         k.layers.LSTM(4), k.layers.Dense(2)])


def deconv(fmt: str):
    """Deconvolution2D (valid with strides, then same) between convolutions, either dim_ordering."""
    def build(k):
        first = fmt == "channels_first"
        shape = (2, 5, 4) if first else (5, 4, 2)
        return k.Sequential([
            k.Input(shape),
            k.layers.Conv2DTranspose(3, (3, 2), strides=(2, 3), activation="relu", data_format=fmt),
            k.layers.Conv2D(2, 2, data_format=fmt),
            k.layers.Conv2DTranspose(4, 3, strides=2, padding="same", use_bias=False, data_format=fmt),
            k.layers.Flatten(),
            k.layers.Dense(3),
        ])
    return build


def separable(k):
    return k.Sequential([k.Input((9, 8, 3)),
                         k.layers.SeparableConv2D(4, (3, 2), strides=2, depth_multiplier=2, padding="same",
                                                  activation="tanh"),
                         k.layers.SeparableConv2D(2, 3, use_bias=False),
                         k.layers.Flatten(), k.layers.Dense(2)])


# (id, builder, theano kernels, Keras generation that computes the reference)
CASES = [
    ("k1/conv2d_tf", cnn("channels_last"), False, "tf_keras"),
    ("k1/conv2d_tf_theano", cnn("channels_last"), True, "tf_keras"),
    ("k1/conv2d_th", cnn("channels_first"), False, "keras"),
    ("k1/conv2d_th_theano", cnn("channels_first"), True, "keras"),
    ("k1/atrous2d", atrous, False, "tf_keras"),
    ("k1/conv1d", conv1d_lstm, False, "tf_keras"),
    ("k1/conv1d_theano", conv1d_lstm, True, "tf_keras"),
    ("k1/deconv2d_tf", deconv("channels_last"), False, "tf_keras"),
    ("k1/deconv2d_tf_theano", deconv("channels_last"), True, "tf_keras"),
    ("k1/deconv2d_th", deconv("channels_first"), False, "keras"),
    ("k1/deconv2d_th_theano", deconv("channels_first"), True, "keras"),
    ("k1/separable2d_tf", separable, False, "tf_keras"),
]


def prepare(case, directory, seed):
    cid, build, theano, gen = case
    k = tf_keras() if gen == "tf_keras" else keras()
    k.utils.set_random_seed(seed)
    model = build(k)
    randomize(model, seed)
    if gen == "keras":
        model.compile(jit_compile=True)   # NCHW convolutions run through XLA on the CPU, as Keras does itself
    path = str(directory / (cid.replace("/", "_") + ".h5"))
    write_keras1_conv_h5(model, path, theano=theano)
    samples = random_samples(model, 12, seed + 1)
    batch = np.stack([s[0] for s in samples])
    out = np.asarray(model.predict(batch, verbose=0))
    return path, samples, [[o] for o in out]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("legacy_conv")
    b = JavaBatch(work)
    for n, case in enumerate(CASES):
        path, samples, expected = prepare(case, work, 9100 + n)
        b.add(case[0], path, samples, expected, package=f"k2jtest.k1conv.c{n}", class_name="M")
    b.run()
    return b


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_keras1_conv_matches_keras(case, batch):
    err = batch.cases[case[0]].check()
    print(f"{case[0]}: max error {err:.3g}")


def test_dim_ordering_default_is_refused(tmp_path):
    """dim_ordering 'default' depended on the writer's keras.json: refused, naming the layer."""
    import h5py
    import json
    from keras2java import Keras2JavaError, convert
    k = tf_keras()
    model = atrous(k)
    path = tmp_path / "m.h5"
    write_keras1_conv_h5(model, str(path))
    with h5py.File(path, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        cfg["config"][0]["config"]["dim_ordering"] = "default"
        f.attrs["model_config"] = json.dumps(cfg).encode("utf8")
    with pytest.raises(Keras2JavaError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    assert "dim_ordering='default'" in str(err.value)


def _edit_config(path, edit) -> None:
    import h5py
    import json
    with h5py.File(path, "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        edit(cfg["config"])
        f.attrs["model_config"] = json.dumps(cfg).encode("utf8")


def test_keras1_deconv_and_separable_refusals(tmp_path):
    """A Deconvolution2D whose stored output_shape is not the size Keras 2 infers (Keras 2 drops
    output_shape, so the Keras 1 model computed something else), a th-ordered
    SeparableConvolution2D (Keras 2 converts no such kernels) and border_mode='full': each
    refused, naming the layer."""
    from keras2java import Keras2JavaError, convert
    k = tf_keras()
    cases = {
        "shape": (deconv("channels_last")(k), lambda c: c[0]["config"].update(output_shape=[None, 12, 12, 3]),
                  "infers 11x12"),
        "full": (deconv("channels_last")(k), lambda c: c[0]["config"].update(border_mode="full"),
                 "border_mode='full'"),
        "th_separable": (separable(k), lambda c: c[0]["config"].update(dim_ordering="th"),
                         "dim_ordering='th' is not supported for SeparableConvolution2D"),
    }
    for name, (model, edit, words) in cases.items():
        path = tmp_path / f"{name}.h5"
        write_keras1_conv_h5(model, str(path))
        _edit_config(path, edit)
        with pytest.raises(Keras2JavaError) as err:
            convert(str(path), str(tmp_path / name), package="p", class_name="M")
        text = str(err.value)
        assert words in text and model.layers[0].name in text, text
