"""Writing is all or nothing across every output root (main sources, tests,
vector kernels): a failure leaves no root half-written and no existing file
replaced."""
from __future__ import annotations

import pytest

from keras2java.emit import GeneratedFile, write_roots
from keras2java.errors import OptionError


def _files(*names):
    return tuple(GeneratedFile(n, f"new {n}".encode()) for n in names)


def test_all_roots_written(tmp_path):
    written = write_roots(((str(tmp_path / "a"), _files("p/A.java", "p/B.java")),
                           (str(tmp_path / "b"), _files("T.java"))))
    assert sorted(written) == sorted(str(p) for p in (tmp_path / "a/p/A.java", tmp_path / "a/p/B.java",
                                                      tmp_path / "b/T.java"))
    assert (tmp_path / "b/T.java").read_text() == "new T.java"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".keras2java-")]


def test_failure_while_staging_touches_nothing(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/A.java").write_text("old")
    (tmp_path / "blocker").write_text("a file where a directory should be")
    with pytest.raises(OptionError, match="not a directory"):
        write_roots(((str(tmp_path / "a"), _files("A.java")), (str(tmp_path / "blocker"), _files("T.java"))))
    assert (tmp_path / "a/A.java").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "blocker"]


def test_a_directory_in_the_way_is_refused_before_writing(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/A.java").write_text("old")
    (tmp_path / "b/T.java").mkdir(parents=True)
    with pytest.raises(OptionError, match="T.java exists and is a directory"):
        write_roots(((str(tmp_path / "a"), _files("A.java")), (str(tmp_path / "b"), _files("T.java"))))
    assert (tmp_path / "a/A.java").read_text() == "old"


def test_failure_while_moving_restores_every_replaced_file(tmp_path, monkeypatch):
    import os

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "A.java").write_text("old A")
    real = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if str(dst).endswith("T.java"):     # the last root's move fails
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OptionError, match="cannot write output"):
        write_roots(((str(a), _files("A.java", "new/N.java")), (str(b), _files("T.java"))))
    monkeypatch.setattr(os, "replace", real)
    assert (a / "A.java").read_text() == "old A"     # replaced, then restored
    assert not (a / "new").exists() and not b.exists()   # created for this call, then removed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".keras2java-")]
