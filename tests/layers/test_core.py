"""Dense, the activation functions and activation layers, Dropout and the noise layers
(identities at inference), here in front of or inside small LSTM models: each row is
built with Keras at test time, saved (.keras, Keras 3 .h5 or tf-keras .h5), converted,
compiled and compared with Keras' ``model.predict`` on random inputs within
|java - keras| / max(1, |keras|) <= 1e-5; the same rows check keras2java's numpy
reference.  Weights modes (embedded, resource, auto above the threshold) ride along."""
from __future__ import annotations

from dataclasses import replace

import pytest

from support.battery import KerasBattery
from support import cases_preprocessing as pre
from support.cases_core import ACTIVATIONS, classifier, dense_act, lstm_dense, with_layer
from support.keras_cases import Case, prepare

pytestmark = pytest.mark.keras

CASES = [
    Case("classifier/keras", classifier, "keras"),
    Case("classifier/h5", classifier, "h5"),
    Case("classifier/tf_h5", classifier, "tf_h5"),
    Case("classifier/resource", classifier, "keras", weights="resource"),
    Case("classifier/embedded", classifier, "keras", weights="embedded"),
    *[Case(f"units/{u}", lstm_dense(u), "keras") for u in (1, 5, 64)],
    # exponential compounds over timesteps: small weights keep outputs in a range where float32 is meaningful
    *[Case(f"lstm_activation/{a}", lstm_dense(5, activation=a), "keras", weight_scale=0.1 if a == "exponential" else 0.3)
      for a in ACTIVATIONS],
    *[Case(f"dense_activation/{a}", dense_act(a), "keras") for a in ACTIVATIONS],
    *[Case(f"recurrent_activation/{a}/{fmt}", lstm_dense(5, recurrent_activation=a), fmt, weight_scale=1.5, input_scale=2.0)
      for a in ("sigmoid", "hard_sigmoid", "tanh") for fmt in ("keras", "tf_h5")],
    Case("use_bias_false", lstm_dense(5, use_bias=False), "keras"),
    Case("go_backwards", lstm_dense(5, go_backwards=True), "keras"),
    Case("go_backwards_sequences", lstm_dense(5, go_backwards=True, return_sequences=True), "keras"),
    Case("return_sequences_dense3d", lstm_dense(6, return_sequences=True), "h5"),
    Case("variable_timesteps", lambda k: k.Sequential([k.Input((None, 4)), k.layers.LSTM(6, return_sequences=True),
                                                        k.layers.LSTM(5), k.layers.Dense(2, activation="softmax")]),
         "keras", samples=20, steps=(1, 15)),
    Case("variable_timesteps_sequences", lambda k: k.Sequential([k.Input((None, 3)), k.layers.LSTM(4, return_sequences=True),
                                                                  k.layers.Dense(2)]), "tf_h5", steps=(1, 9)),
    Case("dense_rank4", lambda k: k.Sequential([k.Input((3, 4, 5)), k.layers.Dense(6, activation="tanh"), k.layers.Dense(2)]), "keras"),
    Case("above_threshold_auto", lambda k: k.Sequential([k.Input((4, 200)), k.layers.LSTM(200), k.layers.Dense(3)]),
         "keras", weight_scale=0.05),
    Case("functional_chain", lambda k: (lambda i: k.Model(i, k.layers.Dense(2, activation="sigmoid")(k.layers.LSTM(4)(i))))(k.Input((5, 3))), "keras"),
    Case("functional_chain/tf_h5", lambda k: (lambda i: k.Model(i, k.layers.Dense(2)(k.layers.LSTM(4)(i))))(k.Input((5, 3))), "tf_h5"),
    Case("layer/relu_params", with_layer(lambda k: k.layers.ReLU(max_value=0.7, negative_slope=0.1, threshold=0.2)), "keras"),
    Case("layer/relu_max", with_layer(lambda k: k.layers.ReLU(max_value=0.5)), "keras"),
    Case("layer/leaky_relu", with_layer(lambda k: k.layers.LeakyReLU(negative_slope=0.25)), "keras"),
    Case("layer/leaky_relu/tf_h5", with_layer(lambda k: k.layers.LeakyReLU(alpha=0.25)), "tf_h5"),
    Case("layer/relu_params/tf_h5", with_layer(lambda k: k.layers.ReLU(max_value=0.7, negative_slope=0.1, threshold=0.2)), "tf_h5"),
    Case("layer/elu", with_layer(lambda k: k.layers.ELU(alpha=0.7)), "keras"),
    Case("layer/softmax", with_layer(lambda k: k.layers.Softmax()), "keras"),
    Case("layer/activation_tanh", with_layer(lambda k: k.layers.Activation("tanh")), "keras"),
    Case("layer/dropout", with_layer(lambda k: k.layers.Dropout(0.5)), "keras"),
    Case("layer/spatial_dropout", with_layer(lambda k: k.layers.SpatialDropout1D(0.5)), "keras"),
    Case("layer/gaussian_noise", with_layer(lambda k: k.layers.GaussianNoise(0.5)), "keras"),
    Case("layer/gaussian_dropout", with_layer(lambda k: k.layers.GaussianDropout(0.5)), "keras"),
    Case("layer/alpha_dropout", with_layer(lambda k: k.layers.AlphaDropout(0.5)), "keras"),
    Case("layer/activity_regularization", with_layer(lambda k: k.layers.ActivityRegularization(0.1, 0.1)), "keras"),
    Case("layer/dropout/tf_h5", with_layer(lambda k: k.layers.Dropout(0.5)), "tf_h5"),
]



NAMES = ("celu", "hard_tanh", "log_sigmoid", "sparse_plus", "squareplus", "tanh_shrink", "hard_shrink", "soft_shrink")

ACT_BASE = [Case(f"activation_layer/{name}", pre.seq((None, 5), pre.L("Dense", 6), pre.L("Activation", name), head=False),
             steps=(1, 6), input_scale=3.0) for name in NAMES]
ACT_BASE += [
    Case("activation_layer/dense_celu", pre.seq((4,), pre.L("Dense", 6, activation="celu")), input_scale=3.0),
    Case("activation_layer/conv2d_squareplus", pre.seq((5, 5, 2), pre.L("Conv2D", 3, 2, activation="squareplus")),
         input_scale=3.0),
    Case("activation_layer/lstm_hard_tanh", pre.seq((None, 3), pre.L("LSTM", 4, activation="hard_tanh")), steps=(1, 6)),
    Case("activation_layer/weights_only", pre.seq((None, 5), pre.L("Dense", 6), pre.L("Activation", "log_sigmoid"),
                                              head=False), steps=(1, 6), input_scale=3.0, weights_only=True),
]
ACT_LAYERS = ACT_BASE + [replace(c, id=c.id + "/resource", weights="resource") for c in ACT_BASE if not c.weights_only][-3:]

# per-pixel layers on images of any size (None, None, C)
ANY_SIZE = [
    Case("dense/variable_hw", pre.seq((None, None, 3), pre.L("Dense", 4, activation="tanh"), pre.L("ReLU", 0.5),
                                      pre.L("LeakyReLU", 0.2), pre.L("Activation", "softmax"), head=False),
         steps=(1, 7), samples=4, input_scale=2.0),
    Case("dense/variable_hw/tf_h5", pre.seq((None, None, 3), pre.L("Dense", 4), pre.L("ReLU", max_value=0.5),
                                            pre.L("LeakyReLU"), pre.L("Activation", "swish"), pre.L("Dropout", 0.5),
                                            head=False),
         "tf_h5", steps=(1, 7), samples=4, input_scale=2.0),
]

# A Dense over more than a thousand inputs adds them in slices of 256 (Linear.LONG), each slice's
# sum added in turn: one running float32 sum over 5000 inputs was 1.9e-5 from Keras here (Keras is
# 5.9e-6 from the float64 result).  Forty rows of 1100 a sample: the transposed product (narrow
# outputs) in slices too.
LONG_SUMS = [
    Case("dense_long_sum", lambda k: k.Sequential([k.Input((5000,)), k.layers.Dense(8)]), "keras", samples=10),
    Case("dense_long_sum_rows", lambda k: k.Sequential([k.Input((40, 1100)), k.layers.Dense(5, activation="tanh")]),
         "keras", samples=4),
]

battery = KerasBattery([(prepare, CASES, True), (prepare, ACT_LAYERS), (prepare, ANY_SIZE), (prepare, LONG_SUMS)],
                       seed=1000,
                       package="k2jtest.core", workdir="core")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()




def test_images_of_any_size_get_the_shaped_api_and_no_session(tmp_path):
    """Per-pixel layers on (None, None, 3) would stream row by row, but a row has a variable
    size: no Session; the shape comes with the input, and the per-sample batch path."""
    from keras2java import convert
    from support.keras_cases import keras

    k = keras()
    x = k.Input((None, None, 3))
    k.Model(x, k.layers.Dense(2)(x)).save(tmp_path / "m.keras")
    convert(str(tmp_path / "m.keras"), str(tmp_path / "out"), package="p", class_name="M")
    text = (tmp_path / "out" / "p" / "M.java").read_text()
    assert "newSession" not in text
    assert "public float[][] predictAll(float[][] inputs, int[][] shapes)" in text
    assert "public float[] predict(float[][][] input)" in text and "public int[] outputShape(int i)" in text
