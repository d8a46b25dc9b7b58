"""Weights-only HDF5 files combined with an architecture JSON."""
from __future__ import annotations

from typing import Any

from ..errors import ModelFileError
from .raw import RawModel


def read_weights_only(path: str, h5: Any, sha256: str, architecture: str) -> RawModel:
    raise ModelFileError(f"{path}: weights-only files with --architecture are not supported yet")
