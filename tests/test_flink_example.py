"""Issue 17: examples/flink runs a generated model in Flink 2 on a local MiniCluster
(parallelism 2): a RichMapFunction that creates the model in open(), and keyed streaming sessions
whose recurrent state lives in Flink keyed state (Session.saveState/restoreState).  Its JUnit
tests compare with Keras' recorded outputs (1e-5) and, per device and frame, bit-for-bit with a
session fed the same frames directly.  Maven Central must be reachable (Flink is about 80 MB)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from support.util import REPO, keras2java_on_path

pytestmark = [pytest.mark.java, pytest.mark.slow]


def test_flink_example_runs_on_a_minicluster(tmp_path):
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples" / "flink", examples / "flink", ignore=shutil.ignore_patterns("target"))
    for name in ("har_lstm.keras", "har_lstm_inputs.csv", "har_lstm_expected.csv"):
        shutil.copy2(REPO / "examples" / name, examples / name)
    mvn = shutil.which("mvn")
    assert mvn is not None, "Maven (mvn) must be installed"
    build = subprocess.run([mvn, "-q", "-B", "package"], cwd=examples / "flink", env=keras2java_on_path(tmp_path),
                           capture_output=True, text=True, timeout=1500)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    report = (examples / "flink" / "target" / "surefire-reports" / "demo.flink.JobsTest.txt").read_text()
    assert "Tests run: 2, Failures: 0, Errors: 0, Skipped: 0" in report, report
    assert "flink windows vs Keras: max error" in build.stdout
    assert "flink keyed sessions vs Keras: max error" in build.stdout
