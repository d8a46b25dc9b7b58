"""The examples/kotlin project calls a generated model from Kotlin (kotlin-maven-plugin, Kotlin and
Java sources compiled in one build): predict, the batch API and a streaming session resumed
from saved states, against Keras' recorded outputs.  The pom compiles in the Maven JVM
(kotlin.compiler.daemon=false): no Kotlin daemon may outlive the build.  Maven Central must be
reachable."""
from __future__ import annotations

import os
import signal
import subprocess

import pytest

from support.util import build_example

pytestmark = [pytest.mark.java, pytest.mark.slow]


def _kotlin_daemons() -> set:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return {int(line.split()[0]) for line in out.splitlines() if "KotlinCompileDaemon" in line}


def test_kotlin_caller_compiles_and_runs(tmp_path):
    before = _kotlin_daemons()
    project, build = build_example(tmp_path, "kotlin")
    left = _kotlin_daemons() - before
    for pid in left:                      # a daemon started by this build: stop it, and fail below
        os.kill(pid, signal.SIGTERM)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    assert not left, f"Kotlin daemons left running: {left}"
    examples, target = project.parent, project / "target"
    cp = f"{target / 'keras2java-kotlin-example-1.0.0.jar'}:{(target / 'classpath.txt').read_text().strip()}"
    run = subprocess.run(["java", "-cp", cp, "demo.kotlin.MainKt", str(examples / "har_lstm_inputs.csv"),
                          str(examples / "har_lstm_expected.csv")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "batch same: true" in run.stdout and "same: true" in run.stdout.split("stream")[1]
    assert "OK: Kotlin caller matches Keras" in run.stdout
