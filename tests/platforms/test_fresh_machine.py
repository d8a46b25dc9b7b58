"""The README's commands on a stock Debian/Ubuntu machine, whose only Python is a
PEP 668 system ``python3`` (no ``python``; ``pip install`` refused): scripts/demo.sh makes the
project virtual environment .venv and runs from a fresh copy of the repository with
PATH=/usr/bin:/bin (no pyenv, no virtualenv, nothing of this test run's Python), and the scripts
say what to install when python3-venv or python3 is missing."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.util import REPO

pytestmark = pytest.mark.java

SYSTEM_PY = Path("/usr/bin/python3")


def _fresh_copy(dst: Path) -> Path:
    """The files a fresh ``git clone`` has (tracked files of this checkout's working tree)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split("\0")
    for f in filter(None, files):
        if (REPO / f).is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, dst / f)
    return dst


def _stock_env(**extra) -> dict:
    """A bare container's environment: no LANG or LC_* (javac then reads sources as US-ASCII)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")}
    env.update(extra)
    return env


@pytest.mark.slow
def test_demo_from_a_fresh_copy_with_the_system_python3(tmp_path):
    assert SYSTEM_PY.is_file(), "this test needs the distribution's /usr/bin/python3"
    repo = _fresh_copy(tmp_path / "keras2java")
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=repo, env=_stock_env(), capture_output=True,
                         text=True, timeout=900)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "== creating the virtual environment .venv with /usr/bin/python3" in out
    assert "OK: the generated Java matches Keras" in out
    assert "OK: streaming one frame at a time ends at predict()'s output" in out
    venv_cfg = (repo / ".venv" / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in venv_cfg and "include-system-site-packages = false" in venv_cfg
    # a second run reuses the environment
    again = subprocess.run(["bash", "scripts/demo.sh"], cwd=repo, env=_stock_env(), capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0 and "creating the virtual environment" not in again.stdout, again.stderr[-2000:]


def _shim(bin_dir: Path, name: str, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text("#!/bin/sh\n" + body)
    (bin_dir / name).chmod(0o755)


def test_missing_venv_module_names_the_package(tmp_path):
    """A stock Debian python3 without the python3-venv package has no ensurepip."""
    repo = _fresh_copy(tmp_path / "keras2java")
    bin_dir = tmp_path / "bin"
    _shim(bin_dir, "python3", f'case "$*" in *ensurepip*) exit 1;; esac\nexec {SYSTEM_PY} "$@"\n')
    for tool in ("java", "javac"):
        _shim(bin_dir, tool, f'exec {shutil.which(tool)} "$@"\n')
    run = subprocess.run(["bash", "scripts/demo.sh"], cwd=repo, env=_stock_env(PATH=f"{bin_dir}:/bin"),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "sudo apt-get install python3-venv" in run.stderr, run.stderr
    assert not (repo / ".venv").exists()


def test_missing_python_and_jdk_are_named(tmp_path):
    repo = _fresh_copy(tmp_path / "keras2java")
    bin_dir = tmp_path / "bin"
    for tool in ("java", "javac"):
        _shim(bin_dir, tool, f'exec {shutil.which(tool)} "$@"\n')
    for tool in ("dirname", "id", "rm"):
        _shim(bin_dir, tool, f'exec {shutil.which(tool)} "$@"\n')
    no_python = subprocess.run(["/bin/bash", "scripts/demo.sh"], cwd=repo, env=_stock_env(PATH=str(bin_dir)),
                               capture_output=True, text=True, timeout=120)
    assert no_python.returncode != 0 and "no Python 3.9 or newer found" in no_python.stderr, no_python.stderr
    assert "apt-get install python3 python3-venv" in no_python.stderr
    core = tmp_path / "core"     # coreutils, and neither Python nor a JDK
    for tool in ("dirname", "id", "rm"):
        _shim(core, tool, f'exec {shutil.which(tool)} "$@"\n')
    no_jdk = subprocess.run(["/bin/bash", "scripts/demo.sh"], cwd=repo, env=_stock_env(PATH=str(core)),
                            capture_output=True, text=True, timeout=120)
    assert no_jdk.returncode != 0 and "install a JDK" in no_jdk.stderr, no_jdk.stderr
