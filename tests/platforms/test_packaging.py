"""The installed wheel works outside the repository, without TensorFlow:
templates and Java runtime sources are package data."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from support.util import REPO, javac, java_sources

pytestmark = [pytest.mark.java, pytest.mark.slow]


def test_wheel_installs_and_converts_outside_the_repo(tmp_path):
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if (REPO / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, src / f)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(src)], check=True)
    (wheel,) = wheels.glob("keras2java-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + [str(wheel)], check=True)
    shutil.rmtree(src)   # nothing from the source tree may be needed any more
    work = tmp_path / "elsewhere"
    work.mkdir()
    model = work / "model.keras"
    shutil.copy2(REPO / "examples" / "har_lstm.keras", model)
    proc = subprocess.run([str(venv / "bin" / "keras2java"), "convert", str(model), "--out", "out",
                           "--package", "com.example", "--class", "Har"], cwd=work, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    probe = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import importlib.util, sys; import keras2java; "
                            "print(importlib.util.find_spec('tensorflow') is None, keras2java.__file__)"],
                           cwd=work, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=True)
    assert probe.stdout.startswith("True ") and str(venv) in probe.stdout
    javac(work / "classes", java_sources(work / "out"))
    assert (work / "classes" / "com" / "example" / "Har.class").is_file()
