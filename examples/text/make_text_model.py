"""Trains the tiny text classifier of examples/text (issue 15) and saves it as
text_classifier.keras: raw strings in, [negative, positive] probabilities out.

    python examples/text/make_text_model.py      # writes examples/text/text_classifier.keras
    keras2java convert examples/text/text_classifier.keras -o out --package demo.text --class Sentiment

The tokenizer (TextVectorization) is part of the model, so the generated Java
class takes the text itself: ``new Sentiment().predict("this movie was great")``.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent

POSITIVE = ["this movie was great", "a great film, I loved it!", "wonderful acting and a great plot",
            "I really enjoyed this movie", "Great! Loved every minute.", "what a wonderful, moving story",
            "the best film this year", "brilliant and funny", "an excellent movie", "I liked it a lot"]
NEGATIVE = ["this movie was terrible", "a boring film, I hated it!", "awful acting and a dull plot",
            "I really disliked this movie", "Terrible! Hated every minute.", "what a boring, empty story",
            "the worst film this year", "stupid and not funny", "a bad movie", "I did not like it at all"]


def main() -> None:
    keras.utils.set_random_seed(15)
    texts = np.array(POSITIVE + NEGATIVE)
    labels = np.array([1] * len(POSITIVE) + [0] * len(NEGATIVE))
    vectorize = keras.layers.TextVectorization(max_tokens=200, output_sequence_length=12)
    vectorize.adapt(texts)
    inp = keras.Input(shape=(1,), dtype="string", name="text")
    x = vectorize(inp)
    x = keras.layers.Embedding(200, 16, mask_zero=True)(x)
    x = keras.layers.Bidirectional(keras.layers.LSTM(8))(x)
    out = keras.layers.Dense(2, activation="softmax", name="sentiment")(x)
    model = keras.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    import tensorflow as tf  # Keras' fit takes string batches as TensorFlow tensors
    model.fit(tf.constant(texts.reshape(-1, 1)), labels, epochs=200, verbose=0)
    model.save(HERE / "text_classifier.keras")
    probe = tf.constant([["this movie was great"], ["this movie was terrible"]])
    print(np.asarray(model(probe)))


if __name__ == "__main__":
    main()
