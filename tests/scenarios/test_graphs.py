"""Functional graphs against Keras (.keras, Keras 3 .h5 and tf-keras .h5): several inputs
and outputs (ports in the models' order, predictNamed by Keras names), shared layers,
branches over a variable number of timesteps, and Sequential / Functional models nested in
each other (called twice, two levels deep); the same rows check keras2java's numpy
reference.  Java refuses inputs with different numbers of timesteps where a layer needs
the same."""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_graph import (branches_variable_time, nested_functional_twice, nested_sequential,
                                 nested_sequential_in_sequential, nested_two_levels, shared_layer, two_input_two_output)
from support.keras_cases import Case, prepare

pytestmark = pytest.mark.keras

CASES = [
    Case("two_inputs_two_outputs/keras", two_input_two_output, "keras"),
    Case("two_inputs_two_outputs/tf_h5", two_input_two_output, "tf_h5"),
    Case("shared_layer/keras", shared_layer, "keras"),
    Case("shared_layer/tf_h5", shared_layer, "tf_h5"),
    Case("branches_variable_time", branches_variable_time, "keras", steps=(1, 9)),
    Case("nested/sequential_in_functional", nested_sequential, "keras"),
    Case("nested/sequential_in_functional/tf_h5", nested_sequential, "tf_h5"),
    Case("nested/functional_called_twice", nested_functional_twice, "keras"),
    Case("nested/functional_called_twice/tf_h5", nested_functional_twice, "tf_h5"),
    Case("nested/two_levels_in_sequential", nested_two_levels, "keras"),
    Case("nested/two_levels_in_sequential/tf_h5", nested_two_levels, "tf_h5"),
    # Keras 3 .h5 names nested weights by path (<outer>/<layer>/...)
    Case("nested/sequential_in_functional/h5", nested_sequential, "h5"),
    Case("nested/functional_called_twice/h5", nested_functional_twice, "h5"),
    Case("nested/two_levels_in_sequential/h5", nested_two_levels, "h5"),
    Case("nested/sequential_in_sequential", nested_sequential_in_sequential, "keras"),
    Case("nested/sequential_in_sequential/tf_h5", nested_sequential_in_sequential, "tf_h5"),
    Case("nested/sequential_in_sequential/h5", nested_sequential_in_sequential, "h5"),
    Case("two_variable_inputs", lambda k: (lambda a, b: k.Model([a, b], k.layers.LSTM(3)(k.layers.Concatenate()([a, b]))))(
        k.Input((None, 2)), k.Input((None, 3))), "keras", steps=(4, 4)),
]


battery = KerasBattery([(prepare, CASES, True)], seed=3000, package="k2jtest.graph", workdir="graph")
prepared, batch, test_matches_keras = battery.tests()
test_reference_matches_keras = battery.test_reference_matches_keras()


@pytest.mark.java
@pytest.mark.slow
def test_ports_follow_model_inputs_and_outputs(batch):
    text = (batch.src / "k2jtest" / "graph" / "c0" / "M.java").read_text("utf-8")
    assert '"frames",\n        "side",' in text
    assert '"activity",\n        "score",' in text


@pytest.mark.java
@pytest.mark.slow
def test_mismatched_timesteps_are_refused_in_java(batch):
    import numpy as np
    result = batch.run_one("two_variable_inputs", [np.zeros((4, 2), "f4"), np.zeros((5, 3), "f4")])
    assert "IllegalArgumentException" in result and "same number of timesteps" in result and "[4, 5]" in result


@pytest.mark.java
@pytest.mark.slow
def test_named_inputs_and_outputs(batch):
    """predictNamed takes the inputs by Keras name and returns an Outputs object
    whose fields are the Keras output names; values equal Keras' outputs."""
    import subprocess

    import numpy as np
    case = batch.cases["two_inputs_two_outputs/keras"]
    frames, side = (np.asarray(a, "f4").ravel() for a in case.samples[0])
    java = batch.workdir / "NamedCheck.java"
    java.write_text(
        "public class NamedCheck {\n"
        "  public static void main(String[] a) {\n"
        f"    float[] frames = new float[] {{{', '.join(repr(float(v)) + 'f' for v in frames)}}};\n"
        f"    float[] side = new float[] {{{', '.join(repr(float(v)) + 'f' for v in side)}}};\n"
        "    k2jtest.graph.c0.M.Outputs out = new k2jtest.graph.c0.M().predictNamed(frames, side);\n"
        "    StringBuilder sb = new StringBuilder();\n"
        "    for (float v : out.activity) sb.append(v).append(' ');\n"
        "    sb.append('|');\n"
        "    for (float v : out.score) sb.append(' ').append(v);\n"
        "    System.out.println(sb);\n"
        "  }\n"
        "}\n")
    cp = f"{batch.workdir / 'classes'}"
    subprocess.run(["javac", "-cp", cp, "-d", str(batch.workdir / "named"), str(java)], check=True)
    out = subprocess.run(["java", "-cp", f"{cp}:{batch.workdir / 'named'}", "NamedCheck"], check=True,
                         capture_output=True, text=True).stdout
    left, right = out.split("|")
    activity = np.array([float(v) for v in left.split()], "f4")
    score = np.array([float(v) for v in right.split()], "f4")
    expected = case.expected[0]
    assert np.max(np.abs(activity - np.ravel(expected[0]))) <= 1e-5
    assert np.max(np.abs(score - np.ravel(expected[1]))) <= 1e-5
    text = (batch.src / "k2jtest" / "graph" / "c0" / "M.java").read_text("utf-8")
    assert "public Outputs predictNamed(float[] frames, float[] side)" in text
