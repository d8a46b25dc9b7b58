"""2-D pooling and resampling layers against Keras (Keras 3 .keras and tf-keras .h5):
MaxPooling2D and AveragePooling2D (valid / same padding, strides), GlobalMaxPooling2D
and GlobalAveragePooling2D (keepdims), ZeroPadding2D, Cropping2D and UpSampling2D
(nearest, bilinear), channels_last and channels_first, fixed and variable heights,
images of any size (None, None, C), and the same layers per frame under TimeDistributed.

A Conv2D and the 2 x 2 max pooling that alone reads it run as one call
(``emit.rewrite.conv_max_pool``, ``ops.pool2d.Conv2DMaxPoolOp``): which pairs merge (on the
IR of Keras-saved models), and the merged call against Keras on even and odd sizes, valid and
same padding, dilation, several chunks of pixels, frames sharing a chunk, and tf-keras files."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_recurrent import harness_mode
from support.harness import JavaBatch
from support.cases_conv2d import TD, L, frames, img, prepare, rewritten
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

POOL = [
    Case("maxpool2d/valid_2", img((8, 9, 3), L("MaxPooling2D", 2))),
    Case("maxpool2d/same_3_s2", img((9, 8, 3), L("MaxPooling2D", 3, strides=2, padding="same"))),
    Case("maxpool2d/same_3_s1", img((6, 7, 3), L("MaxPooling2D", 3, strides=1, padding="same"))),
    Case("maxpool2d/same_window_wider_than_image", img((5, 3, 2), L("MaxPooling2D", (2, 4), padding="same"))),
    Case("maxpool2d/valid_23_s12", img((9, 8, 2), L("MaxPooling2D", (2, 3), strides=(1, 2)))),
    Case("avgpool2d/same_3_s2", img((9, 8, 3), L("AveragePooling2D", 3, strides=2, padding="same"))),
    Case("avgpool2d/same_2_even", img((8, 6, 2), L("AveragePooling2D", 2, padding="same"))),
    Case("avgpool2d/same_3_s1", img((5, 6, 2), L("AveragePooling2D", 3, strides=1, padding="same"))),
    Case("avgpool2d/valid_32", img((9, 8, 2), L("AveragePooling2D", (3, 2)))),
    Case("maxpool2d/variable_height", img((None, 6, 2), L("MaxPooling2D", 2)), steps=(2, 9)),
    Case("avgpool2d/variable_height_same", img((None, 6, 2), L("AveragePooling2D", 3, strides=2, padding="same")),
         steps=(1, 9)),
    Case("pool2d/channels_first", img((3, 8, 7), L("MaxPooling2D", 2, data_format="channels_first"),
                                      L("AveragePooling2D", 2, padding="same", data_format="channels_first"))),
    Case("pool2d/tf_h5", img((9, 8, 3), L("MaxPooling2D", 3, strides=2, padding="same"),
                             L("AveragePooling2D", 2, padding="same")), "tf_h5"),
    Case("globalmax2d", img((5, 6, 4), L("GlobalMaxPooling2D"))),
    Case("globalavg2d", img((5, 6, 4), L("GlobalAveragePooling2D"))),
    Case("globalavg2d/keepdims", img((5, 6, 4), L("GlobalAveragePooling2D", keepdims=True))),
    Case("globalmax2d/keepdims_channels_first", img((4, 5, 6), L("GlobalMaxPooling2D", keepdims=True,
                                                                 data_format="channels_first"))),
    Case("globalavg2d/channels_first", img((4, 5, 6), L("GlobalAveragePooling2D", data_format="channels_first"))),
    Case("globalavg2d/variable_height", img((None, 5, 4), L("GlobalAveragePooling2D")), steps=(1, 9)),
    Case("globalmax2d/tf_h5", img((5, 6, 4), L("GlobalMaxPooling2D")), "tf_h5"),
    Case("globalavg2d/tf_h5_keepdims", img((5, 6, 4), L("GlobalAveragePooling2D", keepdims=True)), "tf_h5"),
]

RESAMPLE = [
    Case("zeropadding2d/asym", img((5, 6, 3), L("ZeroPadding2D", ((1, 2), (0, 3))))),
    Case("zeropadding2d/sym", img((5, 6, 3), L("ZeroPadding2D", (2, 1)))),
    Case("zeropadding2d/variable_height", img((None, 4, 2), L("ZeroPadding2D", 1)), steps=(1, 6)),
    Case("cropping2d/asym", img((7, 8, 3), L("Cropping2D", ((1, 0), (2, 1))))),
    Case("cropping2d/variable_height", img((None, 6, 2), L("Cropping2D", ((1, 2), 1))), steps=(4, 9)),
    Case("upsampling2d/nearest", img((4, 5, 2), L("UpSampling2D", (2, 3)))),
    Case("upsampling2d/bilinear", img((4, 5, 2), L("UpSampling2D", (2, 3), interpolation="bilinear"))),
    Case("upsampling2d/bilinear_3", img((3, 4, 2), L("UpSampling2D", 3, interpolation="bilinear"))),
    Case("upsampling2d/variable_height", img((None, 3, 2), L("UpSampling2D", 2)), steps=(1, 6)),
    Case("resample2d/channels_first", img((2, 5, 6), L("ZeroPadding2D", (1, 2), data_format="channels_first"),
                                          L("Cropping2D", ((0, 1), (2, 0)), data_format="channels_first"),
                                          L("UpSampling2D", 2, interpolation="bilinear",
                                            data_format="channels_first"))),
    Case("resample2d/tf_h5", img((4, 5, 2), L("ZeroPadding2D", ((1, 2), (0, 3))), L("Cropping2D", ((1, 0), (2, 1))),
                                 L("UpSampling2D", (2, 3))), "tf_h5"),
    Case("upsampling2d/tf_h5_bilinear", img((4, 5, 2), L("UpSampling2D", (3, 2), interpolation="bilinear")),
         "tf_h5"),
]


TIME = [
    Case("td/maxpool_fixed", frames((3, 6, 6, 2), TD("MaxPooling2D", 2))),
    Case("td/pool_variable", frames((None, 6, 6, 2), TD("MaxPooling2D", 2), TD("AveragePooling2D", 2, padding="same")),
         steps=(1, 6)),
    Case("td/global_pool", frames((None, 5, 4, 3), TD("GlobalMaxPooling2D")), steps=(1, 6)),
    Case("td/global_avg_keepdims", frames((3, 5, 4, 3), TD("GlobalAveragePooling2D", keepdims=True))),
    Case("td/resample", frames((None, 4, 5, 2), TD("ZeroPadding2D", 1), TD("Cropping2D", ((0, 1), (1, 1))),
                               TD("UpSampling2D", 2), TD("UpSampling2D", 2, interpolation="bilinear")),
         steps=(1, 5)),
    Case("td/tf_h5_resample", frames((None, 4, 5, 2), TD("ZeroPadding2D", 1), TD("UpSampling2D", 2),
                                     TD("DepthwiseConv2D", 2), TD("GlobalAveragePooling2D")), "tf_h5", steps=(1, 5)),
]


# images of any size: (None, None, C), each sample its own height and width
VARIABLE_HW = [
    Case("maxpool2d/variable_hw", img((None, None, 3), L("MaxPooling2D", 2)), steps=(2, 11), samples=4),
    Case("avgpool2d/variable_hw_same_s2", img((None, None, 2), L("AveragePooling2D", 3, strides=2, padding="same")),
         steps=(1, 11), samples=4),
    Case("maxpool2d/variable_hw_valid_23_s12", img((None, None, 2), L("MaxPooling2D", (2, 3), strides=(1, 2))),
         steps=(3, 11), samples=4),
    Case("globalmax2d/variable_hw", img((None, None, 4), L("GlobalMaxPooling2D")), steps=(1, 9), samples=4),
    Case("globalavg2d/variable_hw_keepdims", img((None, None, 4), L("GlobalAveragePooling2D", keepdims=True)),
         steps=(1, 9), samples=4),
    Case("resample2d/variable_hw", img((None, None, 2), L("ZeroPadding2D", ((1, 2), (0, 3))),
                                       L("Cropping2D", ((1, 0), (2, 1))), L("UpSampling2D", (2, 3))),
         steps=(1, 8), samples=4),
    Case("upsampling2d/variable_hw_bilinear", img((None, None, 2), L("UpSampling2D", (3, 2),
                                                                     interpolation="bilinear")),
         steps=(1, 7), samples=4),
    Case("pool2d/variable_hw/tf_h5", img((None, None, 3), L("MaxPooling2D", 3, strides=2, padding="same"),
                                         L("AveragePooling2D", 2), L("GlobalAveragePooling2D")), "tf_h5",
         steps=(4, 12), samples=4),
    Case("resample2d/variable_hw/tf_h5", img((None, None, 2), L("ZeroPadding2D", 1), L("Cropping2D", ((0, 1), 2)),
                                             L("UpSampling2D", 2, interpolation="bilinear")), "tf_h5",
         steps=(3, 8), samples=4),
]


def random_conv_pools(seed):
    """A random stack of 1-3 Conv2D layers each followed by a 2 x 2 max pooling (kernel sizes
    1-5, dilation, padding, activation, filters; the pooling valid or same), on one image or on
    frames, of 12-40 x 12-40 with 1-5 channels: pooled grids on both sides of the one-pass
    threshold (32 pixels), odd and even sizes, and on frames channel-plane links between the
    merged calls.  Its output is the last pooled map."""
    import numpy as np
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(12, 41)), int(rng.integers(12, 41)), int(rng.integers(1, 6)))
    h, w = shape[:2]
    on_frames = rng.random() < 0.5
    wrap = TD if on_frames else L
    layers = []
    for _ in range(int(rng.integers(1, 4))):
        k = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        rate = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < 0.3 else (1, 1)
        span = (rate[0] * (k[0] - 1) + 1, rate[1] * (k[1] - 1) + 1)
        padding = "same" if rng.random() < 0.6 or h < span[0] + 2 or w < span[1] + 2 else "valid"
        if padding == "valid":
            h, w = h - span[0] + 1, w - span[1] + 1
        act = str(rng.choice(["relu", "tanh", "linear", "elu", "sigmoid"]))
        layers.append(wrap("Conv2D", int(rng.integers(1, 25)), k, dilation_rate=rate, padding=padding,
                           activation=act, use_bias=bool(rng.random() < 0.8)))
        pool = "same" if rng.random() < 0.3 else "valid"
        layers.append(wrap("MaxPooling2D", 2, padding=pool))
        h, w = (-(-h // 2), -(-w // 2)) if pool == "same" else (h // 2, w // 2)
        if min(h, w) < 6:
            break
    # the pooled maps themselves are the output (a Dense over thousands of features would test its sums instead)
    return frames((2,) + shape, *layers, rnn=False, head=False) if on_frames else img(shape, *layers, head=False)


#: random stacks of Conv2D and max pooling (random_conv_pools) against Keras
RANDOM = 12

# a Conv2D and the 2 x 2 max pooling after it, as one call (Conv2D.forwardPooled); with the default
# kernels the pooled grids of 32 pixels or more take its one-pass path (polyphase planes)
CONV_POOL = [
    Case("conv_maxpool/same_even", img((16, 12, 3), L("Conv2D", 8, 3, padding="same", activation="relu"),
                                       L("MaxPooling2D", 2))),
    Case("conv_maxpool/valid_odd", img((15, 17, 2), L("Conv2D", 6, 3, activation="tanh"), L("MaxPooling2D", 2))),
    Case("conv_maxpool/dilated_pool_same", img((14, 16, 4), L("Conv2D", 5, 3, dilation_rate=2, padding="same",
                                                                activation="elu", use_bias=False),
                                               L("MaxPooling2D", 2, padding="same"))),
    Case("conv_maxpool/kernel_52_two_chunks", img((72, 64, 1), L("Conv2D", 4, (5, 2), padding="same"),
                                                  L("MaxPooling2D", 2), head=False)),
    Case("conv_maxpool/frames_share_a_chunk", frames((3, 32, 28, 3), TD("Conv2D", 6, 3, padding="same",
                                                                         activation="relu"),
                                                     TD("MaxPooling2D", 2), TD("Conv2D", 8, 3, padding="same",
                                                                                activation="relu"),
                                                     TD("MaxPooling2D", 2))),
    Case("conv_maxpool/tf_h5", img((16, 16, 3), L("Conv2D", 7, 3, padding="same", activation="relu"),
                                   L("MaxPooling2D", 2)), "tf_h5"),
    # a merged call passing channel planes to the next Conv2D, through BatchNormalization and ReLU
    Case("conv_maxpool/planes_to_a_conv", frames((2, 24, 26, 3), TD("Conv2D", 8, 3, padding="same", activation="relu"),
                                                 TD("MaxPooling2D", 2), TD("BatchNormalization"),
                                                 lambda k: k.layers.Activation("relu"),
                                                 TD("Conv2D", 6, 3, padding="same", activation="tanh"),
                                                 TD("GlobalAveragePooling2D"))),
    # pairs that stay two calls: a window of 3, strides 2 on the convolution, an average, a same pooling
    # on an odd map, a softmax
    Case("conv_maxpool/not_merged", img((30, 29, 2), L("Conv2D", 4, 3, activation="relu"), L("MaxPooling2D", 3),
                                        L("Conv2D", 5, 3, strides=2, padding="same"), L("MaxPooling2D", 2),
                                        L("Conv2D", 3, 1), L("AveragePooling2D", 2))),
    *[Case(f"conv_maxpool/random_{n}", random_conv_pools(7150 + n)) for n in range(RANDOM)],
    Case("conv_maxpool/not_merged_odd_same", img((9, 9, 2), L("Conv2D", 4, 3, padding="same", activation="softmax"),
                                                 L("MaxPooling2D", 2), L("Conv2D", 3, 2),
                                                 L("MaxPooling2D", 2, padding="same"))),
    # 3 x 3 x 120 = 1080 inputs per output: the phase products in slices of 256 (Linear.LONG)
    Case("conv_maxpool/long_sums", img((16, 12, 120), L("Conv2D", 8, 3, padding="same", activation="relu"),
                                       L("MaxPooling2D", 2), head=False)),
]
MERGED = {"conv_maxpool/same_even": 1, "conv_maxpool/valid_odd": 1, "conv_maxpool/dilated_pool_same": 1,
          "conv_maxpool/kernel_52_two_chunks": 1, "conv_maxpool/frames_share_a_chunk": 2, "conv_maxpool/tf_h5": 1,
          "conv_maxpool/planes_to_a_conv": 1, "conv_maxpool/long_sums": 1,
          "conv_maxpool/not_merged": 0, "conv_maxpool/not_merged_odd_same": 0}


battery = KerasBattery([(prepare, POOL + RESAMPLE + TIME + VARIABLE_HW + CONV_POOL)], seed=7100,
                       package="k2jtest.pool2d", workdir="pool2d")
prepared, batch, test_matches_keras = battery.tests()


@pytest.fixture(scope="module")
def vector_batch(prepared):
    """The Conv2D and max pooling rows again (the same Keras files and outputs), compiled with the
    Vector API kernels and run with them: those kernels multiply a convolution's rows in place and
    keep a transposed copy of a kernel of 32 filters or fewer for the one-pass path."""
    work, models = prepared
    b = JavaBatch(work / "vector", kernels="vector")
    for n, case in enumerate(CONV_POOL):
        if case.id in models:
            path, samples, expected = models[case.id]
            b.add(case.id, path, samples, expected, package=f"k2jtest.pool2dv.c{n}", class_name="M",
                  mode=harness_mode(case, samples))
    b.run()
    return b


@pytest.mark.keras
@pytest.mark.java
@pytest.mark.slow
@pytest.mark.parametrize("case", CONV_POOL, ids=[c.id for c in CONV_POOL])
def test_conv2d_and_max_pooling_match_keras_with_the_vector_kernels(case, vector_batch):
    err = vector_batch.cases[case.id].check(case.tol)
    print(f"{case.id} (vector kernels): max error {err:.3g}")


@pytest.mark.parametrize("case", [c for c in CONV_POOL if c.id in MERGED], ids=list(MERGED))
def test_a_conv2d_and_its_max_pooling_run_as_one_call(case, batch):
    """The merged pairs of the Keras cases above (their values against Keras there): one
    ``forwardPooled`` call each, and no MaxPooling2D call left for them."""
    from pathlib import Path
    n = [c.id for c in battery.cases].index(case.id)
    src = Path(batch.src, "k2jtest", "pool2d", f"c{n}", "M.java").read_text()
    assert src.count(".forwardPooled(") == 2 * MERGED[case.id]    # one sample and the batch path
    assert ("Image2D.pool(" in src) == (MERGED[case.id] == 0 or case.id == "conv_maxpool/not_merged")


def test_merged_calls_link_to_the_convolutions_next_to_them_by_channel_planes(batch):
    """In a frame chain a merged call is a channel-plane link's end like a Conv2D (decided once,
    ``Conv2D.planes`` with ``Conv2D.pooled`` for the merged ends): to the next merged call, and
    through BatchNormalization and an activation to a Conv2D.  The values against Keras above."""
    from pathlib import Path
    ids = [c.id for c in battery.cases]
    src = Path(batch.src, "k2jtest", "pool2d", f"c{ids.index('conv_maxpool/frames_share_a_chunk')}", "M.java").read_text()
    assert "P0_0 = Conv2D.planes(L0_0, 32, true, L0_1, 16, true);" in src and "P0_1" not in src
    assert "n.L0_0.forwardPooled(b0_x, c0, 32, b0_2, ws, false, n.P0_0);" in src
    assert "n.L0_1.forwardPooled(b0_2, c0_0, 16, b0_4, ws, n.P0_0, false);" in src
    src = Path(batch.src, "k2jtest", "pool2d", f"c{ids.index('conv_maxpool/planes_to_a_conv')}", "M.java").read_text()
    assert "P0_0 = Conv2D.planes(L0_0, 24, true, L0_3, 12, false);" in src
    assert "n.L0_0.forwardPooled(b0_x, c0, 24, b0_2, ws, false, n.P0_0);" in src


def _rewritten(tmp_path, build):
    """The IR of the Keras model ``build`` makes, after the rewrite that merges a Conv2D and its pooling."""
    from keras2java.emit.rewrite import conv_max_pool
    return rewritten(tmp_path, build, conv_max_pool)


def test_only_a_conv2d_read_by_its_max_pooling_alone_merges_with_it(tmp_path):
    def branch(k):
        x = k.Input((12, 12, 2))
        c = k.layers.Conv2D(4, 3, padding="same")(x)
        return k.Model(x, [k.layers.MaxPooling2D(2)(c), k.layers.GlobalAveragePooling2D()(c)])

    def returned(k):
        x = k.Input((12, 12, 2))
        c = k.layers.Conv2D(4, 3, padding="same")(x)
        return k.Model(x, [c, k.layers.MaxPooling2D(2)(c)])

    for build in (branch, returned, img((12, 12, 2), L("Conv2D", 4, 3, strides=2), L("MaxPooling2D", 2)),
                  img((12, 12, 2), L("Conv2D", 4, 3, groups=2), L("MaxPooling2D", 2)),
                  img((12, 12, 2), L("SeparableConv2D", 4, 3), L("MaxPooling2D", 2)),
                  img((12, 12, 2), L("Conv2D", 4, 3), L("MaxPooling2D", (2, 1))),
                  img((None, 12, 2), L("Conv2D", 4, 3), L("MaxPooling2D", 2), head=False)):
        before, after = _rewritten(tmp_path, build)
        assert after is before
    before, after = _rewritten(tmp_path, img((12, 11, 2), L("Conv2D", 4, 3), L("MaxPooling2D", 2)))
    kinds = [n.op.kind for n in after.nodes]
    assert kinds == ["conv2d_max_pool"] + [n.op.kind for n in before.nodes[2:]]
    merged = after.nodes[0]
    assert merged.inputs == before.nodes[0].inputs and merged.outputs == before.nodes[1].outputs
    assert merged.op.conv is before.nodes[0].op and merged.op.map_floats() == 10 * 9 * 4


def test_the_merged_op_evaluates_as_the_two_ops_one_after_the_other(tmp_path):
    import numpy as np
    before, after = _rewritten(tmp_path, frames((3, 10, 9, 2), TD("Conv2D", 4, 3, activation="relu"),
                                                TD("MaxPooling2D", 2)))
    x = np.random.default_rng(5).standard_normal((3, 10, 9, 2)).astype(np.float32)
    want = before.nodes[1].op.evaluate(before.nodes[0].op.evaluate([x]))[0]
    np.testing.assert_array_equal(after.nodes[0].op.evaluate([x])[0], want)
