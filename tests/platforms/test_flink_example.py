"""The examples/flink project runs a generated model in Flink 2 on a local MiniCluster
(parallelism 2): a RichMapFunction that creates the model in open(), and keyed streaming sessions
whose recurrent state lives in Flink keyed state (Session.saveState/restoreState).  Its JUnit
tests compare with Keras' recorded outputs (1e-5) and, per device and frame, bit-for-bit with a
session fed the same frames directly.  Maven Central must be reachable (Flink is about 80 MB)."""
from __future__ import annotations

import pytest

from support.util import build_example, surefire_report

pytestmark = [pytest.mark.java, pytest.mark.slow]


def test_flink_example_runs_on_a_minicluster(tmp_path):
    project, build = build_example(tmp_path, "flink")
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    report = surefire_report(project, "demo.flink.JobsTest")
    assert "Tests run: 2, Failures: 0, Errors: 0, Skipped: 0" in report, report
    assert "flink windows vs Keras: max error" in build.stdout
    assert "flink keyed sessions vs Keras: max error" in build.stdout
