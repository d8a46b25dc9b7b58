"""Issue 5 (part): Functional graphs with several inputs and outputs, merges
and shared layers, against Keras (.keras and tf-keras .h5 configs)."""
from __future__ import annotations

import pytest

from support.cases_graph import CASES
from support.harness import keras_case_tests
from support.keras_cases import prepare

pytestmark = pytest.mark.keras


batch, test_matches_keras = keras_case_tests(CASES, prepare, 3000, "k2jtest.graph", "graph")
test_matches_keras = pytest.mark.slow(pytest.mark.java(test_matches_keras))


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
