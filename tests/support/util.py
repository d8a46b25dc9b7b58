"""Small helpers shared by tests that need no TensorFlow."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "har_lstm.keras"
FIXTURES = REPO / "tests" / "fixtures"


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """Run ``python -m keras2java`` with this checkout's generator."""
    return subprocess.run([sys.executable, "-m", "keras2java", *args], capture_output=True, text=True,
                          cwd=cwd, env=dict(os.environ))


def refusal_text(model, tmp_path: Path) -> str:
    """Saves a Keras model as ``.keras``, converts it expecting keras2java's
    UnsupportedModelError, checks nothing was written, and returns the error text."""
    import pytest

    from keras2java import UnsupportedModelError, convert
    path = tmp_path / "bad.keras"
    model.save(path)
    with pytest.raises(UnsupportedModelError) as err:
        convert(str(path), str(tmp_path / "out"), package="p", class_name="M")
    assert not (tmp_path / "out").exists()
    return str(err.value)


def rewrite_keras_config(src: Path, dst: Path, edit) -> None:
    """Copy a .keras archive, passing its config.json through ``edit(dict) -> dict``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                data = json.dumps(edit(json.loads(data))).encode("utf-8")
            zout.writestr(item, data)


def read_csv(path: Path):
    import numpy as np

    return np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=2)


def javac(out: Path, sources, *extra: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["javac", "--release", "8", "-nowarn", "-encoding", "UTF-8", "-J-Xmx2g",
                           "-d", str(out), *extra, *map(str, sources)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


def java_sources(root: Path) -> list:
    return sorted(str(p) for p in Path(root).rglob("*.java"))


def keras2java_on_path(tmp: Path) -> dict:
    """An environment whose PATH has a ``keras2java`` command that runs this
    checkout's generator (for build tools that call the CLI)."""
    import stat
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "keras2java"
    shim.write_text(f"#!/bin/sh\nPYTHONPATH={REPO / 'codegen'} exec {sys.executable} -m keras2java \"$@\"\n")
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def build_example(tmp: Path, name: str) -> tuple[Path, subprocess.CompletedProcess]:
    """Copies ``examples/<name>`` (a Maven project) and the HAR model files it reads
    (``../har_lstm.*``) under ``tmp``, and runs ``mvn -q -B package`` there with this
    checkout's keras2java on the PATH; returns the project directory and the finished
    build (the caller checks it)."""
    examples = tmp / "examples"
    shutil.copytree(REPO / "examples" / name, examples / name, ignore=shutil.ignore_patterns("target"))
    for data in ("har_lstm.keras", "har_lstm_inputs.csv", "har_lstm_expected.csv"):
        shutil.copy2(REPO / "examples" / data, examples / data)
    mvn = shutil.which("mvn")
    assert mvn is not None, "Maven (mvn) must be installed"
    build = subprocess.run([mvn, "-q", "-B", "package"], cwd=examples / name, env=keras2java_on_path(tmp),
                           capture_output=True, text=True, timeout=1500)
    return examples / name, build


def surefire_report(project: Path, test_class: str) -> str:
    """The JUnit summary Maven's surefire wrote for ``test_class``."""
    return (project / "target" / "surefire-reports" / f"{test_class}.txt").read_text()
