"""The optional Vector API kernels against Keras, end to end.

Models with layer widths that exercise every path of the vector kernels (whole
column panels, partial panels left to the portable code, short rows) are
converted, compiled with the vector kernels and run with them, then run again
with the portable kernels: both must match Keras (``harness.TOLERANCE``).  The
vector kernels use fused multiply-add, so the two differ in the low bits
(the batch contract).  Image rows cover the vector kernels' convolution, which multiplies
each kernel row's input pixels in place (no patch matrix) and gathers only the
border columns: every padding, stride, height dilation, a window wider than the
image, frames and images of any size; width dilation keeps the patch matrix; and a
convolution of 32 filters or fewer with the 2 x 2 max pooling after it, in one pass
over transposed patches.
(The kernels themselves are compared over many shapes and vector widths in
test_runtime_java.py.)
"""
from __future__ import annotations

import pytest

from support import cases_conv2d
from support.cases_conv2d import TD, img
from support.cases_recurrent import harness_mode, prepare, seq
from support.harness import JavaBatch
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def L(k):
    return k.layers


CASES = (
    Case("vec/lstm_stack", seq(lambda k: [L(k).LSTM(100, return_sequences=True), L(k).LSTM(64),
                                           L(k).Dense(10, activation="softmax")], shape=(None, 40)),
          samples=4, steps=(1, 20), weight_scale=0.2),
    Case("vec/gru_reset_after", seq(lambda k: [L(k).GRU(70, return_sequences=True), L(k).GRU(33)], shape=(None, 36)),
          samples=4, steps=(1, 15), weight_scale=0.2),
    Case("vec/gru_reset_before_tf_h5", seq(lambda k: [L(k).GRU(48, reset_after=False)], shape=(None, 20)),
          "tf_h5", samples=4, steps=(1, 15), weight_scale=0.2),
    Case("vec/simple_rnn", seq(lambda k: [L(k).SimpleRNN(130, return_sequences=True),
                                           L(k).TimeDistributed(L(k).Dense(65, activation="relu")),
                                           L(k).GlobalAveragePooling1D()], shape=(None, 17)),
          samples=4, steps=(1, 12), weight_scale=0.1),
    Case("vec/bidirectional_masked", seq(lambda k: [L(k).Masking(), L(k).Bidirectional(L(k).LSTM(48)),
                                                     L(k).Dense(96, activation="tanh"), L(k).Dense(3, activation="sigmoid")],
                                          shape=(None, 24)),
          data="padded", samples=4, steps=(2, 14), weight_scale=0.2),
    Case("vec/conv_lstm", seq(lambda k: [L(k).Conv1D(64, 3, padding="causal"), L(k).LSTM(80)], shape=(None, 12)),
          samples=4, steps=(3, 16), weight_scale=0.2),
    Case("vec/stream_lstm", seq(lambda k: [L(k).LSTM(96, return_sequences=True), L(k).Dense(4)], shape=(None, 32)),
          mode="stream", samples=3, steps=(1, 8), weight_scale=0.2),
    Case("vec/hard_sigmoid_tf_h5", seq(lambda k: [L(k).LSTM(64, recurrent_activation="hard_sigmoid"),
                                                   L(k).Dense(2)], shape=(None, 16)),
          "tf_h5", samples=4, steps=(1, 10), weight_scale=0.3),
)



def C(name, *args, **kw):
    return cases_conv2d.L(name, *args, **kw)


IMAGE_CASES = (
    Case("vec/conv2d_3ch_same_relu_pool", img((17, 19, 3), C("Conv2D", 16, 3, padding="same", activation="relu"),
                                              C("MaxPooling2D", 2), C("Conv2D", 20, 3, padding="same"), head=False)),
    Case("vec/conv2d_valid_s2", img((15, 14, 5), C("Conv2D", 20, (3, 4), strides=2), head=False)),
    Case("vec/conv2d_same_s13", img((9, 16, 4), C("Conv2D", 8, (2, 5), strides=(1, 3), padding="same"),
                                    head=False)),
    Case("vec/conv2d_same_s2_even", img((10, 12, 3), C("Conv2D", 17, 4, strides=2, padding="same", use_bias=False),
                                        head=False)),
    Case("vec/conv2d_dilated_rows", img((12, 11, 6), C("Conv2D", 40, 3, dilation_rate=(2, 1), padding="same"),
                                        head=False)),
    Case("vec/conv2d_dilated_columns", img((12, 11, 6), C("Conv2D", 7, 3, dilation_rate=(1, 2)), head=False)),
    Case("vec/conv2d_relu6", img((8, 9, 4), C("Conv2D", 20, 3, padding="same", activation="relu6"), head=False),
         input_scale=4.0),
    Case("vec/conv2d_1x1_s2", img((9, 9, 17), C("Conv2D", 33, 1, strides=2), head=False)),
    Case("vec/conv2d_window_wider_than_image", img((6, 2, 3), C("Conv2D", 5, 5, padding="same"), head=False)),
    Case("vec/conv2d_tf_h5", img((11, 13, 3), C("Conv2D", 24, 3, strides=(2, 1), padding="same",
                                               activation="relu"), head=False), "tf_h5"),
    Case("vec/conv2d_frames", img((3, 12, 10, 3), TD("Conv2D", 16, 3, padding="same", activation="relu"),
                                  TD("MaxPooling2D", 2), TD("Conv2D", 32, 3), TD("GlobalAveragePooling2D"),
                                  C("LSTM", 12))),
    # two Conv2D + MaxPooling2D pairs in one pass each (the vector kernels' transposed copy of a kernel of 32
    # filters or fewer), linked by channel planes, odd sizes, then a Conv2D of 40 filters in place
    Case("vec/conv2d_frames_pooled_chain", img((2, 31, 27, 3), TD("Conv2D", 8, 3, activation="relu"),
                                               TD("MaxPooling2D", 2), TD("Conv2D", 32, 3, padding="same"),
                                               TD("MaxPooling2D", 2), TD("Conv2D", 40, 3, padding="same",
                                                                        activation="relu"),
                                               TD("GlobalMaxPooling2D"), C("LSTM", 10))),
    Case("vec/conv2d_any_size", img((None, None, 3), C("Conv2D", 12, 3, padding="same"), C("MaxPooling2D", 2),
                                    C("Conv2D", 17, 3)), steps=(6, 13), samples=4),
)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("vector")
    b = JavaBatch(work, kernels="vector")
    for n, case in enumerate(CASES):
        path, samples, expected = prepare(case, work, seed=6100 + n)
        b.add(case.id, path, samples, expected, package=f"k2jtest.vec.c{n}", class_name="M", mode=harness_mode(case, samples))
    for n, case in enumerate(IMAGE_CASES):
        path, samples, expected = cases_conv2d.prepare(case, work, seed=6200 + n)
        b.add(case.id, path, samples, expected, package=f"k2jtest.vec.i{n}", class_name="M")
    b.run()
    return b


@pytest.fixture(scope="module")
def portable(batch):
    return batch.rerun("portable")


@pytest.mark.parametrize("case", CASES + IMAGE_CASES, ids=[c.id for c in CASES + IMAGE_CASES])
def test_vector_kernels_match_keras(batch, case):
    batch.cases[case.id].check()


@pytest.mark.parametrize("case", CASES + IMAGE_CASES, ids=[c.id for c in CASES + IMAGE_CASES])
def test_portable_kernels_match_keras_too(batch, portable, case):
    c = batch.cases[case.id]
    vec = c.outputs
    assert len(vec) == len(portable[case.id]) == len(c.samples)
    c.outputs = portable[case.id]
    try:
        c.check()
    finally:
        c.outputs = vec


@pytest.fixture(scope="module")
def fma(batch):
    return batch.rerun("fma")


@pytest.mark.parametrize("case", CASES + IMAGE_CASES, ids=[c.id for c in CASES + IMAGE_CASES])
def test_fma_kernels_match_keras_too(batch, fma, case):
    """The Math.fma kernels (picked with no flag on JDK 17+ where the vector source root is compiled in)."""
    c = batch.cases[case.id]
    vec = c.outputs
    assert len(fma[case.id]) == len(c.samples)
    c.outputs = fma[case.id]
    try:
        c.check()
    finally:
        c.outputs = vec
