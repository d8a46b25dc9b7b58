"""Locating the templates and the Java runtime sources.

In an installed wheel they are package data under ``keras2java/_templates``
and ``keras2java/_runtime``; in a source checkout they are the top-level
``templates/`` and ``java-runtime/`` directories.
"""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent.parent
_REPO = _PKG.parent.parent


def templates_dir() -> Path:
    for cand in (_PKG / "_templates", _REPO / "templates"):
        if (cand / "model.java.j2").is_file():
            return cand
    raise RuntimeError("keras2java installation is broken: templates not found")


def _java_runtime(source_set: str, marker: str) -> Path:
    """``java-runtime/src/<source_set>/java/keras2java/runtime`` (installed or in the checkout)."""
    tail = Path("src") / source_set / "java" / "keras2java" / "runtime"
    for cand in (_PKG / "_runtime" / tail, _REPO / "java-runtime" / tail):
        if (cand / marker).is_file():
            return cand
    raise RuntimeError(f"keras2java installation is broken: Java runtime sources ({marker}) not found")


def runtime_dir() -> Path:
    """The directory holding the runtime's ``*.java`` files (package keras2java.runtime)."""
    return _java_runtime("main", "Activation.java")


def vector_runtime_dir() -> Path:
    """The directory holding the optional JDK 17+ kernels (``VectorKernels.java``)."""
    return _java_runtime("vector", "VectorKernels.java")
