"""TimeDistributed around layers and sub-networks with their own time axis per step
(tests/layers/test_time_distributed_models.py): a per-character Embedding + LSTM inside a word tagger, a
Functional char-CNN, a bare LSTM or Conv1D per frame, Masking inside, nested loops.  Builders of the rows
and their preparer (character ids with padding for the ``chars`` data)."""
from __future__ import annotations

import numpy as np

from support import cases_ops
from support.keras_cases import Case, keras, randomize, tf_keras

CHARS = 7       # characters per word
VOCAB = 30


def _input(k, shape, name):
    return k.Input(shape, name=name)


def _char_embedding(k, mask_zero=True, dim=4):
    return k.layers.Embedding(VOCAB, dim, mask_zero=mask_zero)


def _inner_first(k):
    """Keras 3 Sequential sub-models start from an Input; tf-keras ones from input_shape."""
    return [k.Input((CHARS,))] if k.__name__ == "keras" else []


def _embedding_first(k, mask_zero=True):
    if k.__name__ == "keras":
        return [k.Input((CHARS,)), _char_embedding(k, mask_zero)]
    return [k.layers.Embedding(VOCAB, 4, mask_zero=mask_zero, input_length=CHARS)]


def char_lstm(recurrent="lstm", mask_zero=True):
    """words (timesteps, 7 char ids) -> per word: Embedding(mask_zero) + LSTM/GRU/Bidirectional
    (``sequences``: an LSTM returning sequences, whose masked output Keras 3 does not pass on)."""
    def build(k):
        rnn = {"lstm": lambda: k.layers.LSTM(3),
               "sequences": lambda: k.layers.LSTM(3, return_sequences=True),
               "gru": lambda: k.layers.GRU(3, go_backwards=True),
               "bidi": lambda: k.layers.Bidirectional(k.layers.SimpleRNN(2))}[recurrent]()
        inner = k.Sequential(_embedding_first(k, mask_zero) + [rnn], name="chars")
        x = _input(k, (None, CHARS), "words")
        return k.Model(x, k.layers.TimeDistributed(inner)(x))
    return build


def tagger(k):
    """A tagger over [word ids, char ids]: word embedding (mask_zero) beside a per-word char
    LSTM, concatenated, a Bidirectional LSTM over the words and a softmax per word."""
    words = _input(k, (None,), "word_ids")
    chars = _input(k, (None, CHARS), "char_ids")
    inner = k.Sequential(_embedding_first(k) + [k.layers.LSTM(4)], name="char_lstm")
    w = k.layers.Embedding(VOCAB, 5, mask_zero=True)(words)
    c = k.layers.TimeDistributed(inner)(chars)
    h = k.layers.Concatenate()([w, c])
    h = k.layers.Bidirectional(k.layers.LSTM(4, return_sequences=True))(h)
    return k.Model([words, chars], k.layers.TimeDistributed(k.layers.Dense(3, activation="softmax"))(h))


def char_cnn_functional(k):
    """TimeDistributed around a Functional char-CNN: Embedding, Conv1D, max pooling, Dense."""
    ci = k.Input((CHARS,))
    e = k.layers.Embedding(VOCAB, 4)(ci)
    h = k.layers.Conv1D(5, 3, activation="relu")(e)
    h = k.layers.GlobalMaxPooling1D()(h)
    inner = k.Model(ci, k.layers.Dense(3, activation="tanh")(h), name="char_cnn")
    x = _input(k, (6, CHARS), "words")
    h = k.layers.TimeDistributed(inner)(x)
    return k.Model(x, k.layers.LSTM(2)(h))


def per_frame_lstm(k):
    """TimeDistributed(LSTM(return_sequences=True)) on (timesteps, 4, 3) floats."""
    x = _input(k, (None, 4, 3), "frames")
    h = k.layers.TimeDistributed(k.layers.LSTM(3, return_sequences=True))(x)
    return k.Model(x, h)


def per_frame_conv(k):
    """TimeDistributed(Conv1D) then TimeDistributed(GlobalAveragePooling1D) and a GRU over frames."""
    x = _input(k, (None, 6, 2), "frames")
    h = k.layers.TimeDistributed(k.layers.Conv1D(3, 2, strides=2))(x)
    h = k.layers.TimeDistributed(k.layers.GlobalAveragePooling1D())(h)
    return k.Model(x, k.layers.GRU(2)(h))


def functional_cnn_frames(k):
    """TimeDistributed around a Functional CNN on image frames (Conv2D, Flatten, Dense)."""
    fi = k.Input((6, 6, 2))
    h = k.layers.Flatten()(k.layers.Conv2D(2, 3, activation="relu")(fi))
    inner = k.Model(fi, k.layers.Dense(4)(h), name="frame_cnn")
    x = _input(k, (3, 6, 6, 2), "frames")
    return k.Model(x, k.layers.TimeDistributed(inner, name="td_functional")(x))


def masked_frames(k):
    """Per frame a Masking + LSTM sub-network over (7, 3) feature rows padded with zero rows."""
    first = [k.Input((CHARS, 3))] if k.__name__ == "keras" else []
    masking = k.layers.Masking(0.0) if first else k.layers.Masking(0.0, input_shape=(CHARS, 3))
    inner = k.Sequential(first + [masking, k.layers.LSTM(3, return_sequences=True), k.layers.GRU(2)],
                         name="frame_rnn")
    x = _input(k, (None, CHARS, 3), "frames")
    return k.Model(x, k.layers.TimeDistributed(inner)(x))


def nested_loops(k):
    """TimeDistributed inside a TimeDistributed sub-network: documents of sentences of words,
    a GRU per word, an LSTM per sentence (two nested per-step loops)."""
    first = [k.Input((3, 4, 2))] if k.__name__ == "keras" else []
    td = (k.layers.TimeDistributed(k.layers.GRU(2)) if first
          else k.layers.TimeDistributed(k.layers.GRU(2), input_shape=(3, 4, 2)))
    inner = k.Sequential(first + [td, k.layers.LSTM(3)], name="sentence")
    x = _input(k, (None, 3, 4, 2), "doc")
    return k.Model(x, k.layers.TimeDistributed(inner)(x))


def _padded_frames(rng, shape) -> np.ndarray:
    """Float rows per frame, each frame a random number of trailing zero rows (all, sometimes)."""
    arr = rng.uniform(-1, 1, shape).astype(np.float32)
    for t in range(shape[0]):
        arr[t, int(rng.integers(0, shape[1] + 1)):] = 0.0
    return arr


def _char_ids(rng, shape) -> np.ndarray:
    """Char ids per word, each word a random length (0: fully padded) then zeros; word ids
    (a 1-D input) padded at the end."""
    arr = np.zeros(shape, np.float32)
    if len(shape) == 1:
        n = int(rng.integers(1, shape[0] + 1))
        arr[:n] = rng.integers(1, VOCAB, n)
        return arr
    for t in range(shape[0]):
        n = int(rng.integers(0, shape[1] + 1)) if rng.random() < 0.8 else shape[1]
        arr[t, :n] = rng.integers(1, VOCAB, n)
    return arr


def prepare(case: Case, directory, seed: int):
    """Float cases: support.cases_ops.prepare.  ``chars`` cases: char/word ids with padding,
    ``frames_padded``: float frames ending in zero rows; Keras' outputs from calling the model
    on each sample."""
    if case.data not in ("chars", "frames_padded"):
        return cases_ops.prepare(case, directory, seed)
    k = tf_keras() if case.fmt == "tf_h5" else keras()
    k.utils.set_random_seed(seed)
    model = case.build(k)
    randomize(model, seed, case.weight_scale)
    path = case.save(model, directory)
    rng = np.random.default_rng(seed + 1)
    samples, expected = [], []
    for _ in range(case.n_samples()):
        n = int(rng.integers(case.steps[0], case.steps[1] + 1))
        make = _padded_frames if case.data == "frames_padded" else _char_ids
        sample = [make(rng, tuple(n if d is None else d for d in inp.shape[1:])) for inp in model.inputs]
        samples.append(sample)
        out = model([a[None] for a in sample] if len(sample) > 1 else sample[0][None])
        outs = out if isinstance(out, (list, tuple)) else [out]
        expected.append([np.asarray(o)[0] for o in outs])
    return path, samples, expected

