"""The examples/spark project scores a Spark DataFrame of sequences with a generated model, with a
Java UDF and with mapPartitions (one model instance per partition), in local[2] (Spark 3.5 on this
JDK, with the --add-opens flags in the pom).  Its JUnit test compares both paths with Keras'
recorded outputs (1e-5) and bit-for-bit with the model called directly.  Maven Central must be
reachable (Spark is about 230 MB on first use)."""
from __future__ import annotations

import zipfile

import pytest

from support.util import build_example, surefire_report

pytestmark = [pytest.mark.java, pytest.mark.slow]


def test_spark_example_scores_in_local2(tmp_path):
    project, build = build_example(tmp_path, "spark")
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    report = surefire_report(project, "demo.spark.ScoreSequencesTest")
    assert "Tests run: 2, Failures: 0, Errors: 0, Skipped: 0" in report, report
    assert "spark local[2] vs Keras: max error" in build.stdout
    with zipfile.ZipFile(project / "target" / "keras2java-spark-example-1.0.0.jar") as jar:
        names = set(jar.namelist())
    assert {"demo/model/HarModel.class", "demo/model/HarModel.weights", "demo/spark/HarPredictUdf.class"} <= names
    assert not any(n.endswith((".so", ".dll", ".dylib")) for n in names)     # nothing native to ship
