"""The examples/spark jar (built for Spark 3.5 and Java 8) called from PySpark with
``spark.udf.registerJavaFunction``, in local[2], against Keras' recorded outputs (1e-5).

PySpark comes from PyPI (the ``test`` extra, installed by ``scripts/setup.sh --test``); it brings
its own Spark (4.x), so this also shows the jar working on a newer Spark than it was compiled
against.  The jar is built with ``mvn package -DskipTests`` (test_spark_example runs the Java
tests); Maven Central must be reachable on first use."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

import pytest

from support.util import REPO, keras2java_on_path

pytestmark = [pytest.mark.java, pytest.mark.slow]


def test_pyspark_calls_the_java_udf(tmp_path):
    assert importlib.util.find_spec("pyspark") is not None, \
        "PySpark is missing: pip install pyspark (scripts/setup.sh --test installs it)"
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples" / "spark", examples / "spark", ignore=shutil.ignore_patterns("target"))
    for name in ("har_lstm.keras", "har_lstm_inputs.csv", "har_lstm_expected.csv"):
        shutil.copy2(REPO / "examples" / name, examples / name)
    mvn = shutil.which("mvn")
    assert mvn is not None, "Maven (mvn) must be installed"
    env = keras2java_on_path(tmp_path)
    build = subprocess.run([mvn, "-q", "-B", "package", "-DskipTests"], cwd=examples / "spark", env=env,
                           capture_output=True, text=True, timeout=1500)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    jar = examples / "spark" / "target" / "keras2java-spark-example-1.0.0.jar"
    run = subprocess.run([sys.executable, str(examples / "spark" / "python" / "score_pyspark.py"), str(jar),
                          str(examples / "har_lstm_inputs.csv"), str(examples / "har_lstm_expected.csv")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "pyspark local[2]: scored 8 rows" in run.stdout
    worst = float(run.stdout.split("vs Keras: max error ")[1].split()[0])
    assert worst <= 1e-5
