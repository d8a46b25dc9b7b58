"""Issue 5 (part): Functional graphs with several inputs and outputs, merges
and shared layers, against Keras (.keras and tf-keras .h5 configs)."""
from __future__ import annotations

import pytest

from harness import JavaBatch
from keras_cases import Case, prepare


def two_input_two_output(k):
    seq = k.Input((7, 11), name="frames")
    side = k.Input((4,), name="side")
    h = k.layers.LSTM(8, name="encoder")(seq)
    s = k.layers.Dense(6, activation="relu", name="side_dense")(side)
    z = k.layers.Concatenate(name="merged")([h, s])
    probs = k.layers.Dense(3, activation="softmax", name="activity")(z)
    score = k.layers.Dense(1, activation="sigmoid", name="score")(h)
    return k.Model([seq, side], [probs, score])


def shared_layer(k):
    a = k.Input((5, 3), name="left")
    b = k.Input((5, 3), name="right")
    enc = k.layers.LSTM(4, name="shared_lstm")
    d = k.layers.Subtract()([enc(a), enc(b)])
    return k.Model([a, b], k.layers.Dense(2)(d))


def merge(mode):
    def build(k):
        a = k.Input((6,))
        b = k.Input((6,))
        c = k.Input((6,))
        layer = getattr(k.layers, mode)()
        ins = [a, b] if mode == "Subtract" else [a, b, c]
        x = layer([k.layers.Dense(5)(i) for i in ins])
        return k.Model(ins, k.layers.Dense(2)(x))
    return build


def concat_axis(axis):
    def build(k):
        a = k.Input((4, 3))
        b = k.Input((4, 3) if axis == 1 else (4, 2))
        if axis == 1:
            b = k.Input((2, 3))
        x = k.layers.Concatenate(axis=axis)([k.layers.Dense(3)(a), k.layers.Dense(3)(b) if axis == 1 else b])
        return k.Model([a, b], k.layers.LSTM(3)(x))
    return build


def branches_variable_time(k):
    x = k.Input((None, 3))
    h = k.layers.LSTM(5, return_sequences=True)(x)
    g = k.layers.Dense(5, activation="tanh")(x)
    y = k.layers.Add()([h, g])
    side = k.Input((2,))
    z = k.layers.Concatenate()([k.layers.LSTM(4)(y), side])
    return k.Model([x, side], k.layers.Dense(3)(z))


CASES = [
    Case("two_inputs_two_outputs/keras", two_input_two_output, "keras"),
    Case("two_inputs_two_outputs/tf_h5", two_input_two_output, "tf_h5"),
    Case("shared_layer/keras", shared_layer, "keras"),
    Case("shared_layer/tf_h5", shared_layer, "tf_h5"),
    *[Case(f"merge/{m}", merge(m), "keras") for m in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")],
    Case("merge/Average/tf_h5", merge("Average"), "tf_h5"),
    Case("concatenate/axis-1", concat_axis(-1), "keras"),
    Case("concatenate/axis1_time", concat_axis(1), "keras"),
    Case("branches_variable_time", branches_variable_time, "keras", steps=(1, 9)),
    Case("two_variable_inputs", lambda k: (lambda a, b: k.Model([a, b], k.layers.LSTM(3)(k.layers.Concatenate()([a, b]))))(
        k.Input((None, 2)), k.Input((None, 3))), "keras", steps=(4, 4)),
]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("graph")
    b = JavaBatch(work)
    for n, case in enumerate(CASES):
        path, samples, expected = prepare(case, work, seed=3000 + n)
        b.add(case.id, path, samples, expected, package=f"k2jtest.graph.c{n}", class_name="M", weights=case.weights)
    b.run()
    return b


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_keras(case, batch):
    batch.cases[case.id].check(case.tol)


def test_ports_follow_model_inputs_and_outputs(batch):
    text = (batch.src / "k2jtest" / "graph" / "c0" / "M.java").read_text("utf-8")
    assert '"frames",\n        "side",' in text
    assert '"activity",\n        "score",' in text


def test_mismatched_timesteps_are_refused_in_java(batch):
    from harness import read_outputs, write_inputs
    import subprocess
    import numpy as np
    case = batch.cases["two_variable_inputs"]
    inp, out = batch.workdir / "mm_in.bin", batch.workdir / "mm_out.bin"
    write_inputs(inp, [[np.zeros((4, 2), "f4"), np.zeros((5, 3), "f4")]])
    jobs = batch.workdir / "mm_jobs.txt"
    jobs.write_text(f"{case.class_fqn} {inp} {out}\n")
    subprocess.run(["java", "-cp", f"{batch.workdir / 'classes'}:{batch.src}", "K2jRunner", str(jobs)], check=True)
    (result,) = read_outputs(out)
    assert "IllegalArgumentException" in result and "same number of timesteps" in result and "[4, 5]" in result
