"""The README's main job (scripts/demo.sh): convert the committed example,
compile it with javac --release 8 and run examples/Demo.java, which compares
with Keras' recorded outputs and checks that streaming one frame at a time
ends bit-for-bit at predict()'s output.  (Same steps as the script, with this
checkout's generator and without the pip install.)"""
from __future__ import annotations

import subprocess

import pytest

from support.util import REPO, run_cli

pytestmark = pytest.mark.java


def test_demo_runs_and_matches(tmp_path):
    src, classes = tmp_path / "src", tmp_path / "classes"
    proc = run_cli("convert", str(REPO / "examples" / "har_lstm.keras"), "--out", str(src),
                   "--package", "com.example.har", "--class", "ActionModel")
    assert proc.returncode == 0, proc.stderr
    sources = [str(p) for p in src.rglob("*.java")] + [str(REPO / "examples" / "Demo.java")]
    subprocess.run(["javac", "--release", "8", "-nowarn", "-d", str(classes)] + sources, check=True)
    run = subprocess.run(["java", "-cp", f"{classes}:{src}", "Demo", str(REPO / "examples" / "har_lstm_inputs.csv"),
                          str(REPO / "examples" / "har_lstm_expected.csv")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "OK: the generated Java matches Keras" in run.stdout
    assert "OK: streaming one frame at a time ends at predict()'s output" in run.stdout
