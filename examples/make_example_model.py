"""Regenerates examples/har_lstm.keras and its Keras reference outputs.

The committed files were produced by this script with TensorFlow/Keras; the
demo (scripts/demo.sh) compares the generated Java against them without
needing TensorFlow.  Run: python examples/make_example_model.py
"""
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    import keras

    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((7, 11), name="frames"),
        keras.layers.LSTM(15, return_sequences=True, name="lstm_1"),
        keras.layers.LSTM(15, name="lstm_2"),
        keras.layers.Dense(3, activation="softmax", name="activity"),
    ], name="har_lstm")
    rng = np.random.default_rng(7)
    # A tiny synthetic "activity recognition" task: three classes of sensor frames.
    x = rng.normal(size=(600, 7, 11)).astype("float32")
    y = (x[:, :, 0].mean(axis=1) > 0.2).astype(int) + (x[:, :, 1].mean(axis=1) > 0.2).astype(int)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    model.save(HERE / "har_lstm.keras")
    samples = rng.normal(size=(8, 7, 11)).astype("float32")
    expected = model.predict(samples, verbose=0).astype("float32")
    np.savetxt(HERE / "har_lstm_inputs.csv", samples.reshape(8, -1), fmt="%.9g", delimiter=",")
    np.savetxt(HERE / "har_lstm_expected.csv", expected, fmt="%.9g", delimiter=",")
    (HERE / "labels.txt").write_text("walking\nrunning\nsitting\n")
    print("wrote", HERE / "har_lstm.keras", f"(keras {keras.__version__})")


if __name__ == "__main__":
    main()
