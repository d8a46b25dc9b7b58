"""Frame-by-frame loops (``emit.rewrite.frame_loops``): a chain of per-frame ops on a row
of frames (TimeDistributed Conv2D, pooling, ...) runs a few frames at a time in the generated code.

Which nodes form a chain (on the IR of Keras-saved models): two or more per-frame ops, each
link the only use of its tensor and not a model output, on frames of a fixed shape; single
images and lone ops stay as they are.  Then the generated code against Keras: chains with
fixed and variable numbers of frames, chains cut by a tensor used twice and by a model
output, and streaming sessions (one frame per step, every prefix against Keras).  The batch
path and intra-op threads run the cnn_lstm cases of tests/scenarios/test_batch.py."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_conv2d import TD, L, frames, prepare, rewritten, stream_model
from support.cases_recurrent import prepare as prepare_sequence
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def branch(k):
    """A Conv2D's frames used twice (pooled, and averaged): no chain through them."""
    x = k.Input((4, 10, 9, 2))
    c = k.layers.TimeDistributed(k.layers.Conv2D(5, 3, padding="same", activation="relu"))(x)
    p = k.layers.TimeDistributed(k.layers.MaxPooling2D(2))(c)
    p = k.layers.TimeDistributed(k.layers.Conv2D(4, 2, activation="tanh"))(p)
    p = k.layers.TimeDistributed(k.layers.GlobalMaxPooling2D())(p)
    g = k.layers.TimeDistributed(k.layers.GlobalAveragePooling2D())(c)
    h = k.layers.LSTM(4)(k.layers.Concatenate()([p, g]))
    return k.Model(x, k.layers.Dense(3)(h))


def tapped(k):
    """A chain's middle tensor is also a model output: the chain stops there."""
    x = k.Input((3, 9, 8, 3))
    c = k.layers.TimeDistributed(k.layers.Conv2D(4, 3, activation="relu"))(x)
    p = k.layers.TimeDistributed(k.layers.AveragePooling2D(2))(c)
    q = k.layers.TimeDistributed(k.layers.Conv2D(3, 2, padding="same"))(p)
    g = k.layers.TimeDistributed(k.layers.GlobalAveragePooling2D())(q)
    return k.Model(x, [p, k.layers.Dense(2)(k.layers.GRU(3)(g))])


def random_links(seed):
    """A random chain of 2-4 Conv2D layers (kernel sizes, strides or dilations, padding,
    activations, filters), now and then a pooling layer between two of them and a
    BatchNormalization or an Activation layer after one, on frames of
    9-16 x 9-16: links of channel planes where both convolutions take the transposed product,
    channels last elsewhere."""
    import numpy as np
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(9, 17)), int(rng.integers(9, 17)), int(rng.integers(1, 5))
    shape = (3, h, w, c)
    layers = []
    for i in range(int(rng.integers(2, 5))):
        if i and rng.random() < 0.2 and min(h, w) >= 4:
            layers.append(TD("MaxPooling2D", 2))
            h, w = h // 2, w // 2
        k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        kw = {"padding": "same" if rng.random() < 0.6 else "valid",
              "activation": str(rng.choice(["relu", "tanh", "linear", "elu", "sigmoid", "softmax"]))}
        step = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < 0.2 else (1, 1)
        rate = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if step == (1, 1) and rng.random() < 0.3 else (1, 1)
        span = (rate[0] * (k[0] - 1) + 1, rate[1] * (k[1] - 1) + 1)
        if kw["padding"] == "valid" and (h < span[0] + 2 or w < span[1] + 2):
            kw["padding"] = "same"
        if kw["padding"] == "same":
            h, w = -(-h // step[0]), -(-w // step[1])
        else:
            h, w = (h - span[0]) // step[0] + 1, (w - span[1]) // step[1] + 1
        layers.append(TD("Conv2D", int(rng.integers(1, 21)), k, strides=step, dilation_rate=rate, **kw))
        if rng.random() < 0.3:
            layers.append(TD("BatchNormalization", epsilon=0.1))
        if rng.random() < 0.3:
            layers.append(_activation_layer(str(rng.choice(["relu", "tanh", "softmax"]))))
    return frames(shape, *layers)


def _activation_layer(kind):
    return lambda k: k.layers.Activation(kind)


CASES = [
    Case("frames/chain", frames((5, 12, 10, 3), TD("Conv2D", 6, 3, activation="relu"), TD("MaxPooling2D", 2),
                                TD("Conv2D", 8, 3, padding="same", activation="relu"),
                                TD("GlobalAveragePooling2D"))),
    Case("frames/variable", frames((None, 9, 8, 2), TD("Conv2D", 4, 3, padding="same"), TD("AveragePooling2D", 2),
                                   TD("DepthwiseConv2D", 2, strides=2), TD("GlobalMaxPooling2D")), steps=(1, 6)),
    Case("frames/strided_separable_h5", frames((4, 11, 11, 2), TD("SeparableConv2D", 4, 3, strides=2),
                                               TD("ZeroPadding2D", 1), TD("Conv2D", 3, 2, dilation_rate=2)), "tf_h5"),
    Case("frames/conv_bn_relu", frames((4, 12, 10, 3), TD("Conv2D", 6, 3, padding="same"),
                                       TD("BatchNormalization", epsilon=0.1), lambda k: k.layers.Activation("relu"),
                                       TD("Conv2D", 5, 3), lambda k: k.layers.BatchNormalization(),
                                       lambda k: k.layers.ReLU(max_value=1.5),
                                       TD("Dense", 4, activation="tanh"), TD("MaxPooling2D", 2),
                                       lambda k: k.layers.Activation("softmax"), TD("GlobalAveragePooling2D"))),
    Case("frames/conv_bn_links", frames((3, 11, 12, 2), TD("Conv2D", 6, 3, padding="same"),
                                        TD("BatchNormalization", epsilon=0.1), lambda k: k.layers.Activation("relu"),
                                        TD("Conv2D", 5, 3, activation="elu"), lambda k: k.layers.BatchNormalization(),
                                        lambda k: k.layers.Activation("softmax"), TD("Conv2D", 4, 2))),
    Case("frames/conv_links", frames((3, 13, 11, 2), TD("Conv2D", 7, 3, padding="same", activation="relu"),
                                     TD("Conv2D", 6, (3, 2), dilation_rate=(1, 2), activation="sigmoid"),
                                     TD("Conv2D", 5, 2, activation="softmax"), TD("MaxPooling2D", 2),
                                     TD("Conv2D", 4, 3, padding="same"), TD("Conv2D", 3, 2))),
    # a convolution feeding a global pooling: a link of channel planes the writer alone decides
    # (Conv2D.planesOut), directly, through BatchNormalization and an activation, and from a
    # Conv2D merged with its max pooling; 11 and 16 channels (eight per pass and the rest)
    Case("frames/conv_global", frames((6, 16, 16, 3), TD("Conv2D", 11, 3, padding="same", activation="relu"),
                                      TD("GlobalAveragePooling2D"))),
    Case("frames/conv_bn_global", frames((5, 14, 16, 2), TD("Conv2D", 16, 3, padding="same"),
                                         TD("BatchNormalization", epsilon=0.1), lambda k: k.layers.Activation("tanh"),
                                         TD("GlobalMaxPooling2D"))),
    Case("frames/conv_pool_global", frames((5, 16, 18, 2), TD("Conv2D", 12, 3, padding="same", activation="relu"),
                                           TD("MaxPooling2D", 2), TD("Conv2D", 9, 3, padding="same"),
                                           TD("MaxPooling2D", 2), TD("GlobalMaxPooling2D"))),
    *[Case(f"frames/random_links_{n}", random_links(7800 + n)) for n in range(8)],
    Case("frames/branch", branch),
    Case("frames/tapped", tapped),
]

STREAMING = [
    Case("frames/stream", stream_model((None, 8, 8, 2), TD("Conv2D", 4, 3, padding="same", activation="relu"),
                                       TD("MaxPooling2D", 2), TD("Conv2D", 3, 2), TD("GlobalAveragePooling2D"),
                                       L("LSTM", 3)),
         mode="stream", samples=4, steps=(1, 6), family="frame loops streaming"),
]

battery = KerasBattery([(prepare, CASES), (prepare_sequence, STREAMING)], seed=7700, package="k2jtest.frames",
                       workdir="frame_loops")
prepared, batch, test_matches_keras = battery.tests()


def _rewritten(tmp_path, build):
    """The IR of the Keras model ``build`` makes, after the frame-loop rewrite."""
    from keras2java.emit.rewrite import frame_loops
    return rewritten(tmp_path, build, frame_loops)


def _kinds(model):
    return [n.op.kind if n.op.kind != "frame_loop" else [i.op.kind for i in n.op.sub.nodes] for n in model.nodes]


def test_a_chain_of_per_frame_ops_becomes_one_loop(tmp_path):
    before, after = _rewritten(tmp_path, frames((5, 12, 10, 3), TD("Conv2D", 6, 3), TD("MaxPooling2D", 2),
                                                TD("Conv2D", 8, 3), TD("GlobalAveragePooling2D")))
    assert _kinds(after)[0] == [n.op.kind for n in before.nodes[:4]]
    assert _kinds(after)[1:] == _kinds(before)[4:]
    loop = after.nodes[0]
    assert loop.inputs == before.nodes[0].inputs and loop.outputs == before.nodes[3].outputs
    # the chain's sub-model runs a variable number of frames per pass, each of the frame's shape
    for spec in loop.op.sub.tensors:
        assert spec.shape[0] is None and spec.shape[1:] == before.tensor(spec.name).shape[1:]


def test_a_tensor_used_twice_or_returned_cuts_the_chain(tmp_path):
    before, after = _rewritten(tmp_path, branch)
    kinds = _kinds(after)
    # the first Conv2D feeds two ops: alone; its pooled branch (3 ops) is one loop; the average is alone
    assert kinds.count("conv2d") == 1 and [k for k in kinds if isinstance(k, list)] == [["pool2d", "conv2d",
                                                                                           "global_pool2d"]]
    before, after = _rewritten(tmp_path, tapped)
    loops = [n for n in after.nodes if n.op.kind == "frame_loop"]
    assert [[i.op.kind for i in n.op.sub.nodes] for n in loops] == [["conv2d", "pool2d"], ["conv2d", "global_pool2d"]]
    assert loops[0].outputs[0] == before.outputs[0].tensor


def test_activations_dense_and_batch_norm_between_image_ops_join_the_chain(tmp_path):
    """Ops on each position's row of the channels (``Op.frame_rows``) run a few frames at a time with
    the image ops around them; on their own, or on sequences of vectors, they stay as they are."""
    before, after = _rewritten(tmp_path, frames((4, 12, 10, 3), TD("Conv2D", 6, 3), TD("BatchNormalization"),
                                                lambda k: k.layers.Activation("relu"), TD("Conv2D", 5, 3),
                                                TD("Dense", 4), TD("GlobalAveragePooling2D")))
    assert _kinds(after)[0] == ["conv2d", "batch_norm", "activation", "conv2d", "dense", "global_pool2d"]
    for build in (frames((4, 9, 8, 2), TD("Dense", 3), lambda k: k.layers.Activation("tanh"),
                         TD("BatchNormalization")),
                  lambda k: k.Sequential([k.Input((7, 5)), k.layers.Dense(4), k.layers.Activation("relu"),
                                          k.layers.LSTM(3)])):
        before, after = _rewritten(tmp_path, build)
        assert after is before


def test_single_images_and_lone_per_frame_ops_stay_as_they_are(tmp_path):
    for build in (lambda k: k.Sequential([k.Input((9, 8, 2)), k.layers.Conv2D(3, 3), k.layers.MaxPooling2D(2)]),
                  frames((4, 9, 8, 2), TD("Conv2D", 3, 3))):
        before, after = _rewritten(tmp_path, build)
        assert after is before


@pytest.mark.parametrize("case", CASES + STREAMING, ids=[c.id for c in CASES + STREAMING])
def test_the_generated_code_runs_the_chains_frame_by_frame(case, batch):
    """Each Keras case above went through a loop (so its match covers them)."""
    from pathlib import Path
    n = [c.id for c in battery.cases].index(case.id)
    assert "Frames.perPass(" in Path(batch.src, "k2jtest", "frames", f"c{n}", "M.java").read_text()


def test_convolutions_next_to_each_other_link_by_channel_planes(batch):
    """Each Conv2D feeding a Conv2D in a chain, directly or through ops that pass planes on, is a
    link the runtime may run on channel planes
    (``Conv2D.planes``, decided once with the layers: with the default kernels here, true for
    the first link; false for the softmax's, which needs channels last, and for the last one,
    whose images are too small for the transposed product); a pooling layer alone between two
    convolutions is not a link, but merged with the Conv2D before it the pair is.  The values
    against Keras above."""
    from pathlib import Path
    ids = [c.id for c in battery.cases]
    src = Path(batch.src, "k2jtest", "frames", f"c{ids.index('frames/conv_links')}", "M.java").read_text()
    assert "P0_0 = Conv2D.planes(L0_0, 13, L0_1, 13);" in src
    assert "P0_1 = Conv2D.planes(L0_1, 13, L0_2, 11);" in src
    assert "P0_2 = Conv2D.planes(L0_4, 5, L0_5, 5);" in src and "P0_3" not in src
    assert "n.L0_1.forward(b0_1, c0_0, 13, b0_2, 11, ws, n.P0_0, n.P0_1);" in src
    assert "n.L0_2.forward(b0_2, c0_1, 11, b0_3, 10, ws, n.P0_1, false);" in src
    assert "n.L0_4.forward(b0_4, c0_3, 5, b0_5, 5, ws, false, n.P0_2);" in src
    chain = Path(batch.src, "k2jtest", "frames", f"c{ids.index('frames/chain')}", "M.java").read_text()
    # its Conv2D and MaxPooling2D merge into one call (emit.rewrite.conv_max_pool), a link's end
    assert "P0_0 = Conv2D.planes(L0_0, 12, true, L0_1, 5, false);" in chain
    # BatchNormalization and an activation of each value pass the planes on; a softmax does not
    src = Path(batch.src, "k2jtest", "frames", f"c{ids.index('frames/conv_bn_links')}", "M.java").read_text()
    assert "P0_0 = Conv2D.planes(L0_0, 11, L0_3, 11);" in src and "P0_1" not in src
    assert "n.L0_1.forwardPixels(b0_1, c0_0, 132, b0_2, n.P0_0);" in src
    assert "n.L0_4.forwardPixels(" not in src and "n.L0_4.forward(b0_4, c0_3 * 90, 1, b0_5);" in src


def test_a_convolution_feeding_a_global_pooling_links_by_channel_planes(batch):
    """A global pooling reads channel planes but writes none: its link is decided by the
    convolution alone (``Conv2D.planesOut``), and the pooling takes the flag.  The values
    against Keras above."""
    from pathlib import Path
    ids = [c.id for c in battery.cases]

    def src(case_id):
        return Path(batch.src, "k2jtest", "frames", f"c{ids.index(case_id)}", "M.java").read_text()
    direct = src("frames/conv_global")
    assert "P0_0 = Conv2D.planesOut(L0_0, 16, false);" in direct
    assert "n.L0_0.forward(b0_x, c0, 16, b0_1, 16, ws, false, n.P0_0);" in direct
    assert "Image2D.global(Image2D.AVG, b0_1, c0_0, 256, 11, b0_2, n.P0_0);" in direct
    through = src("frames/conv_bn_global")
    assert "P0_0 = Conv2D.planesOut(L0_0, 14, false);" in through
    assert "n.L0_1.forwardPixels(b0_1, c0_0, 224, b0_2, n.P0_0);" in through
    pooled = src("frames/conv_pool_global")
    assert "P0_0 = Conv2D.planes(L0_0, 16, true, L0_1, 8, true);" in pooled
    assert "P0_1 = Conv2D.planesOut(L0_1, 8, true);" in pooled


def test_the_loop_evaluates_as_its_ops_one_after_the_other(tmp_path):
    import numpy as np
    before, after = _rewritten(tmp_path, frames((3, 9, 8, 2), TD("Conv2D", 4, 3, activation="relu"),
                                                TD("MaxPooling2D", 2), TD("GlobalAveragePooling2D")))
    x = np.random.default_rng(3).standard_normal((3, 9, 8, 2)).astype(np.float32)
    value = x
    for node in before.nodes[:3]:
        value = node.op.evaluate([value])[0]
    np.testing.assert_array_equal(after.nodes[0].op.evaluate([x])[0], value)
