"""Every bad input gives one clear line on stderr, exit code 2, no
traceback and nothing written.  The corpus is tests/bad_inputs/corpus
(regenerate with tests/bad_inputs/make_corpus.py)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from keras2java.cli import main
from keras2java.reader import probe
from support.util import REPO, run_cli

sys.path.insert(0, str(REPO / "tests" / "bad_inputs"))
from make_corpus import CASES, GOOD  # noqa: E402

CORPUS = REPO / "tests" / "bad_inputs" / "corpus"


def test_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(set(CASES) | set(GOOD))


def _convert(capsys, path: Path, out: Path):
    rc = main(["convert", str(path), "--out", str(out), "--package", "p", "--class", "M"])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_refused_cleanly(capsys, tmp_path, monkeypatch, name):
    monkeypatch.setattr(probe, "BASE_SECONDS", 3.0)  # the hanging file waits this long
    out = tmp_path / "out"
    rc, stdout, stderr = _convert(capsys, CORPUS / name, out)
    assert rc == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("keras2java: error: ")
    assert CASES[name] in lines[0], lines[0]
    assert "Traceback" not in stderr and stdout == ""
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []   # not even a temporary directory is left


@pytest.mark.parametrize("name", sorted(GOOD))
def test_odd_but_valid_file_converts(capsys, tmp_path, name):
    rc, _, stderr = _convert(capsys, CORPUS / name, tmp_path / "out")
    assert rc == 0, stderr
    if GOOD[name]:
        assert GOOD[name] in stderr and stderr.startswith("keras2java: warning: ")
    else:
        assert stderr == ""
    assert (tmp_path / "out" / "p" / "M.java").is_file()


def test_dotdot_member_is_never_extracted(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    rc, _, _ = _convert(capsys, CORPUS / "zip_dotdot_member.keras", tmp_path / "out")
    assert rc == 0
    assert not list(tmp_path.rglob("k2j_evil.txt"))
    assert not (Path("/tmp") / "k2j_evil.txt").exists()


@pytest.mark.parametrize("args,fragment", [
    ([str(REPO)], "is a directory"),
    (["/nonexistent/model.keras"], "no such file"),
])
def test_paths_as_subprocess(tmp_path, args, fragment):
    proc = run_cli("convert", *args, "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


def test_unwritable_output_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("convert", str(REPO / "examples" / "har_lstm.keras"), "--out", str(blocker))
    assert proc.returncode == 2 and "not a directory" in proc.stderr
    assert blocker.read_text() == "x"


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    """A failure while moving files into place must not leave a temporary directory."""
    import keras2java.emit.java as ej

    calls = {"n": 0}
    real = os.replace

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(ej.os, "replace", flaky)
    from keras2java import OptionError, convert
    with pytest.raises(OptionError, match="No space left"):
        convert(str(REPO / "examples" / "har_lstm.keras"), str(tmp_path / "out"), package="p", class_name="M")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".keras2java-")]
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]   # the first moved file was undone
