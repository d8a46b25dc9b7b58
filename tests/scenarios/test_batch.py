"""The batch path (``predictAllBatch``: samples of equal lengths run
through each layer together, each recurrent step one matrix product over the
batch) against Keras.

Every case is run four ways in one JVM: one sample at a time (``predictAll``),
batched on one thread, batched on three threads, and batched with the samples in
reverse order (each sample at another batch position).  Each way must match Keras
(``model.predict`` on the whole batch where the samples have equal lengths, else
one call per sample), with the vector kernels and with the portable kernels; the
batch path must equal the one-sample path within 1e-6, and a sample's result must
not depend on the thread count or its place in the batch (bit for bit).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from support.cases_recurrent import fn, prepare, seq
from support.harness import JavaBatch, max_error
from support.keras_cases import Case

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

#: the batch path against the one-sample path (the batch path's contract)
BATCH_TOLERANCE = 1e-6


def L(k):
    return k.layers


CNN_LSTM = seq(lambda k: [L(k).TimeDistributed(L(k).Conv2D(6, 3, padding="same", activation="relu")),
                          L(k).TimeDistributed(L(k).MaxPooling2D(2)),
                          L(k).TimeDistributed(L(k).DepthwiseConv2D(3, depth_multiplier=2)),
                          L(k).TimeDistributed(L(k).GlobalAveragePooling2D()),
                          L(k).LSTM(10), L(k).Dense(3, activation="softmax")], shape=(3, 10, 9, 2))

#: emit.parts.batch_grow for the capped case: output floats per input float such that a batch of its
#: samples (3 x 10 x 9 x 2 input floats) holds 3 at most (Parallel.BATCH_FLOATS / (grow * 540) = 3)
CAPPED_GROW = (4 * 1024 * 1024) // (3 * 540)

# (case, the model has a batched form: every layer has one)
CASES = (
    (Case("batch/lstm_dense_fixed", seq(lambda k: [L(k).LSTM(24), L(k).Dense(3, activation="softmax")], shape=(7, 11)),
          samples=13, weight_scale=0.3), True),
    (Case("batch/lstm_wide", seq(lambda k: [L(k).LSTM(64, return_sequences=True), L(k).LSTM(32), L(k).Dense(3)],
                                 shape=(8, 10)),
          samples=11, weight_scale=0.3), True),
    (Case("batch/lstm_variable_lengths", seq(lambda k: [L(k).LSTM(20, return_sequences=True), L(k).Dense(4)],
                                             shape=(None, 6)),
          samples=14, steps=(1, 5), weight_scale=0.3), True),
    (Case("batch/gru_reset_after", seq(lambda k: [L(k).GRU(33, return_sequences=True), L(k).GRU(17, go_backwards=True)],
                                       shape=(9, 8)),
          samples=11, weight_scale=0.3), True),
    (Case("batch/gru_reset_before_tf_h5", seq(lambda k: [L(k).GRU(21, reset_after=False), L(k).Dense(5)], shape=(8, 7)),
          "tf_h5", samples=10, weight_scale=0.3), True),
    (Case("batch/simple_rnn", seq(lambda k: [L(k).SimpleRNN(19, return_sequences=True),
                                             L(k).Dense(6, activation="relu"), L(k).SimpleRNN(5)], shape=(6, 4)),
          samples=9, weight_scale=0.3), True),
    (Case("batch/bidirectional_concat", seq(lambda k: [L(k).Bidirectional(L(k).LSTM(16, return_sequences=True)),
                                                       L(k).Bidirectional(L(k).GRU(9), merge_mode="sum"),
                                                       L(k).Dense(2, activation="sigmoid")], shape=(10, 5)),
          samples=10, weight_scale=0.3), True),
    (Case("batch/stacked_hard_sigmoid_tf_h5", seq(lambda k: [L(k).LSTM(40, return_sequences=True,
                                                                       recurrent_activation="hard_sigmoid"),
                                                             L(k).LSTM(36), L(k).Dense(3)], shape=(None, 12)),
          "tf_h5", samples=12, steps=(2, 4), weight_scale=0.3), True),
    (Case("batch/masked_padded", seq(lambda k: [L(k).Masking(), L(k).Bidirectional(L(k).LSTM(12, return_sequences=True)),
                                                L(k).LSTM(10), L(k).Dense(3, activation="tanh")], shape=(9, 6)),
          data="padded", samples=12, weight_scale=0.3), True),
    (Case("batch/embedding_mask_zero", seq(lambda k: [L(k).Embedding(30, 8, mask_zero=True), L(k).GRU(14),
                                                      L(k).Dense(2)], shape=(9,)),
          data="tokens_padded", samples=12, weight_scale=0.3), True),
    # convolutions and poolings: a batch is more images or sequences, their windows rows of one product
    (Case("batch/conv1d_pools", seq(lambda k: [L(k).Conv1D(8, 3, padding="causal", activation="relu"),
                                               L(k).MaxPooling1D(2, padding="same"),
                                               L(k).SeparableConv1D(6, 2, dilation_rate=2),
                                               L(k).AveragePooling1D(2), L(k).LSTM(12, return_sequences=True),
                                               L(k).GlobalAveragePooling1D()], shape=(None, 5)),
          samples=9, steps=(8, 13), weight_scale=0.3), True),
    (Case("batch/cnn_lstm", CNN_LSTM, samples=7, weight_scale=0.3), True),
    # the same with batches capped at 3 samples (CAPPED_FLOATS: a model with large activations per sample)
    (Case("batch/cnn_lstm_capped", CNN_LSTM, samples=7, weight_scale=0.3), True),
    # an image of two chunks of pixels (the transposed path's 256): intra-op threads split its chunks
    (Case("batch/conv2d_two_chunks", seq(lambda k: [L(k).Conv2D(8, 3, padding="same", activation="relu"),
                                                    L(k).MaxPooling2D(2), L(k).Conv2D(6, 3, activation="relu"),
                                                    L(k).GlobalAveragePooling2D(), L(k).Dense(3)], shape=(24, 20, 3)),
          samples=5, weight_scale=0.3), True),
    # convolutions feeding convolutions in a frame chain: channel planes between them (portable and
    # Math.fma kernels; the vector kernels keep channels last); a 1 x 1 convolution keeps channels last
    (Case("batch/frames_conv_links", seq(lambda k: [
        L(k).TimeDistributed(L(k).Conv2D(8, 3, padding="same", activation="relu")),
        L(k).TimeDistributed(L(k).Conv2D(6, (2, 3), activation="tanh")),
        L(k).TimeDistributed(L(k).Conv2D(5, 3, strides=(2, 1), padding="same", activation="elu")),
        L(k).TimeDistributed(L(k).Conv2D(4, 1)), L(k).TimeDistributed(L(k).GlobalMaxPooling2D()),
        L(k).LSTM(6), L(k).Dense(3)], shape=(3, 14, 12, 3)), samples=6, weight_scale=0.3), True),
    # a convolution feeding a global pooling in a frame chain: channel planes between them, four
    # 16 x 16 frames per product (portable and Math.fma kernels)
    (Case("batch/frames_conv_global", seq(lambda k: [
        L(k).TimeDistributed(L(k).Conv2D(8, 3, padding="same", activation="relu")),
        L(k).TimeDistributed(L(k).Conv2D(10, 3, padding="same")),
        L(k).TimeDistributed(L(k).GlobalAveragePooling2D()),
        L(k).LSTM(6), L(k).Dense(3)], shape=(6, 16, 16, 2)), samples=5, weight_scale=0.3), True),
    (Case("batch/crnn", seq(lambda k: [L(k).Conv2D(5, 3, padding="same", activation="relu"),
                                       L(k).BatchNormalization(epsilon=0.5), L(k).MaxPooling2D((1, 2)),
                                       L(k).ZeroPadding2D(1), L(k).SeparableConv2D(4, 3, strides=2),
                                       L(k).Reshape((5, 8)), L(k).LayerNormalization(),
                                       L(k).Bidirectional(L(k).GRU(7)), L(k).Dense(2)], shape=(10, 8, 1)),
          samples=8, weight_scale=0.3), True),
    # attention: each sample attends over its own timesteps (MultiHeadAttention's projections one
    # product over the batch's rows)
    (Case("batch/multi_head_attention", fn(lambda k, x: L(k).Dense(3)(L(k).GlobalAveragePooling1D()(
        L(k).MultiHeadAttention(2, 4, value_dim=3)(x, x, use_causal_mask=True))), (None, 6)),
          samples=9, steps=(3, 6), weight_scale=0.3), True),
    (Case("batch/multi_head_attention_gate_scores", fn(lambda k, x: list(L(k).MultiHeadAttention(3, 2, use_gate=True)(
        x, L(k).Dense(5)(x), return_attention_scores=True)), (7, 5)), samples=8, weight_scale=0.3), True),
    (Case("batch/attention_masked", fn(lambda k, x: L(k).Dense(2)(L(k).LSTM(5)(L(k).Attention(use_scale=True)(
        [L(k).LSTM(8, return_sequences=True)(L(k).Masking()(x))] * 2, use_causal_mask=True))), (9, 6)),
          data="padded", samples=10, weight_scale=0.3), True),
    (Case("batch/additive_attention", fn(lambda k, x: L(k).Flatten()(L(k).AdditiveAttention()(
        [x, L(k).Dense(4)(x), L(k).Dense(4)(x)])), (6, 4)), samples=8, weight_scale=0.3), True),
    # products over more than 1024 inputs, in slices of 256 (Linear.LONG): an LSTM's input projection
    # (the batch's rows in passes of 256), a convolution's transposed product, a Dense after Flatten
    (Case("batch/long_sums_recurrent", seq(lambda k: [L(k).LSTM(6, return_sequences=True), L(k).GRU(5)],
                                           shape=(5, 1100)), samples=9, weight_scale=0.05), True),
    (Case("batch/long_sums_image", seq(lambda k: [L(k).Conv2D(12, 3, padding="same", activation="relu"),
                                                  L(k).Flatten(), L(k).Dense(3)], shape=(12, 10, 120)),
          samples=6, weight_scale=0.05), True),
    # Conv1DTranspose has no batched form: the model runs its batches one sample at a time.
    (Case("batch/fallback_conv_transpose", seq(lambda k: [L(k).Conv1DTranspose(4, 3), L(k).LSTM(12)], shape=(None, 5)),
          samples=8, steps=(3, 6), weight_scale=0.3), False),
)

#: how each case is run: (id suffix, K2jRunner mode, samples reversed)
WAYS = (("one", "", False), ("b1", "batch:1", False), ("b3", "batch:3", False), ("rev", "batch:2", True))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from keras2java.emit import parts
    work = tmp_path_factory.mktemp("batch")
    b = JavaBatch(work, kernels="vector")
    for n, (case, _) in enumerate(CASES):
        path, samples, expected = prepare(case, work, seed=16100 + n)
        for w, (suffix, mode, rev) in enumerate(WAYS):
            order = slice(None, None, -1) if rev else slice(None)
            grow = parts.batch_grow
            if case.id.endswith("_capped"):
                parts.batch_grow = lambda batched, inputs: CAPPED_GROW
            try:
                b.add(f"{case.id}#{suffix}", path, samples[order], expected[order],
                      package=f"k2jtest.batch.c{n}w{w}", class_name="M", mode=mode)
            finally:
                parts.batch_grow = grow
    b.run()
    return b


@pytest.fixture(scope="module")
def portable(batch):
    return batch.rerun("portable")


@pytest.fixture(scope="module")
def fma(batch):
    return batch.rerun("fma")


@pytest.fixture(scope="module")
def projection_chunks(batch):
    return batch.rerun("fma+projection-chunks")


@pytest.fixture(scope="module")
def intra_op(batch):
    return {"fma": batch.rerun("fma+intra-op"), "vector": batch.rerun("vector+intra-op")}


def _outputs(batch, portable, case_id: str, kernels: str) -> list:
    outs = batch.cases[case_id].outputs if kernels == "vector" else portable[case_id]
    return outs[::-1] if case_id.endswith("#rev") else outs


IDS = [c.id for c, _ in CASES]


@pytest.mark.parametrize("case,batched", CASES, ids=IDS)
def test_batch_matches_keras(batch, portable, case, batched):
    for suffix, _, _ in WAYS:
        c = batch.cases[f"{case.id}#{suffix}"]
        c.check()                                   # vector kernels
        vector = c.outputs
        c.outputs = portable[c.case_id]
        try:
            c.check()                               # portable kernels
        finally:
            c.outputs = vector                      # the other tests read the vector kernels' outputs here


@pytest.mark.parametrize("case,batched", CASES, ids=IDS)
def test_batch_path_is_generated_where_every_layer_has_one(batch, case, batched):
    n = IDS.index(case.id)
    src = Path(batch.src, "k2jtest", "batch", f"c{n}w0", "M.java").read_text()
    assert ("private void runBatch(" in src) == batched
    assert ("Parallel.runBatched(" in src) == batched


def test_batches_are_capped_by_the_size_of_a_sample_s_activations(batch):
    capped = Path(batch.src, "k2jtest", "batch", f"c{IDS.index('batch/cnn_lstm_capped')}w0", "M.java").read_text()
    plain = Path(batch.src, "k2jtest", "batch", f"c{IDS.index('batch/cnn_lstm')}w0", "M.java").read_text()
    # the plain case: its first convolution's 10 x 9 x 6 floats per frame over 10 x 9 x 2 input floats
    assert f"(samples, threads, WORKERS, {CAPPED_GROW});" in capped and "(samples, threads, WORKERS, 3);" in plain


def test_batch_grow_counts_the_largest_output_per_input_float():
    from types import SimpleNamespace

    from keras2java.emit.parts import BATCH_FLOATS, MAX_BATCH, batch_grow
    from keras2java.ops.view import BATCH, Out, Size, Times

    class View:
        def __init__(self, *lengths):
            self.outs = tuple(Out("b", Times(BATCH, n)) for n in lengths)

    fixed = [SimpleNamespace(per_step=0, length=Size(None, 100))]
    variable = [SimpleNamespace(per_step=10, length=Size(None, 0))]
    assert batch_grow([View(Size(None, 1000))], fixed) is None    # 64 samples stay under the cap
    assert batch_grow([View(Size(None, 10), Size(None, BATCH_FLOATS // 5))], fixed) == -(-BATCH_FLOATS // 5 // 100)
    assert batch_grow([View(Size("s0", 35), Size(None, 10 ** 9))], variable) == 4   # per timestep, rounded up
    java = (Path(__file__).parents[2] / "java-runtime/src/main/java/keras2java/runtime/Parallel.java").read_text()
    assert f"MAX_BATCH = {MAX_BATCH};" in java and "BATCH_FLOATS = 4 * 1024 * 1024;" in java
    assert BATCH_FLOATS == 4 * 1024 * 1024


@pytest.mark.parametrize("kernels", ["vector", "portable"])
@pytest.mark.parametrize("case,batched", CASES, ids=IDS)
def test_batch_equals_one_sample_and_is_deterministic(batch, portable, case, batched, kernels):
    one = _outputs(batch, portable, f"{case.id}#one", kernels)
    b1 = _outputs(batch, portable, f"{case.id}#b1", kernels)
    assert len(one) == len(b1) == len(batch.cases[f"{case.id}#one"].samples)
    for s, (x, y) in enumerate(zip(one, b1)):
        assert not isinstance(x, str) and not isinstance(y, str), f"sample {s}: {x if isinstance(x, str) else y}"
        for o, (a, b) in enumerate(zip(x, y)):
            err = max_error(b, a)
            assert err <= BATCH_TOLERANCE, f"sample {s} output {o}: batch differs from one-sample by {err:.3g}"
    for other in ("b3", "rev"):
        got = _outputs(batch, portable, f"{case.id}#{other}", kernels)
        for s, (x, y) in enumerate(zip(b1, got)):
            for o, (a, b) in enumerate(zip(x, y)):
                assert a.tobytes() == b.tobytes(), f"sample {s} output {o}: {other} gives other bits than one thread"


@pytest.mark.parametrize("kernels", ["fma", "vector"])
@pytest.mark.parametrize("case,batched", CASES, ids=IDS)
def test_intra_op_threads_give_the_bits_of_one_thread(batch, fma, intra_op, case, batched, kernels):
    """-Dkeras2java.intraOpThreads=3 with the threshold at 64 weights: every one-row product of 96
    columns or more is split over three threads (the b3 way's three callers contend for the
    helpers); every output has the bits of the same kernels on one thread."""
    for suffix, _, _ in WAYS:
        cid = f"{case.id}#{suffix}"
        one = fma[cid] if kernels == "fma" else batch.cases[cid].outputs
        assert len(one) == len(intra_op[kernels][cid]) == len(batch.cases[cid].samples)
        for s, (x, y) in enumerate(zip(one, intra_op[kernels][cid])):
            assert not isinstance(y, str), f"{suffix} sample {s}: {y}"
            for o, (a, b) in enumerate(zip(x, y)):
                assert a.tobytes() == b.tobytes(), f"{suffix} sample {s} output {o}: other bits with intra-op threads"


@pytest.mark.parametrize("case,batched", CASES, ids=IDS)
def test_projection_in_chunks_gives_the_bits_of_one_projection(batch, fma, projection_chunks, case, batched):
    """-Dkeras2java.projectionChunkFloats=2500: the batch path projects a recurrent layer's inputs a
    few timesteps at a time (1 to 8 here, a shorter last chunk, backwards for go_backwards) instead
    of 512 KiB at once; every output has the bits of one projection."""
    for suffix, _, _ in WAYS:
        cid = f"{case.id}#{suffix}"
        assert len(fma[cid]) == len(projection_chunks[cid]) == len(batch.cases[cid].samples)
        for s, (x, y) in enumerate(zip(fma[cid], projection_chunks[cid])):
            assert not isinstance(y, str), f"{suffix} sample {s}: {y}"
            for o, (a, b) in enumerate(zip(x, y)):
                assert a.tobytes() == b.tobytes(), f"{suffix} sample {s} output {o}: other bits in chunks"
