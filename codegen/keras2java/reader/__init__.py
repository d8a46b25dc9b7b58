"""Stage 1: read a Keras model file with h5py and json only (no TensorFlow).

:func:`read_model` detects the format from the file's bytes, not its name.
"""
from __future__ import annotations

import hashlib
import os
from typing import Optional

import h5py

from ..errors import ModelFileError
from . import h5util
from .keras3 import read_keras3
from .legacy_h5 import read_legacy_h5
from .probe import default_timeout, probe_hdf5
from .raw import InboundNode, InboundRef, RawLayer, RawModel, RawWeight

__all__ = ["read_model", "RawModel", "RawLayer", "RawWeight", "InboundRef", "InboundNode"]

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_FILE_BYTES = 16 << 30


def _is_hdf5(head: bytes) -> bool:
    # The HDF5 superblock may follow a user block of 512, 1024, 2048 ... bytes.
    if head.startswith(HDF5_MAGIC):
        return True
    off = 512
    while off < len(head):
        if head[off:off + 8] == HDF5_MAGIC:
            return True
        off *= 2
    return False


def read_model(path: str, architecture: Optional[str] = None) -> RawModel:
    """Read ``path`` (and an optional architecture JSON) into a :class:`RawModel`."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ModelFileError(f"{path}: is a directory, not a model file (SavedModel directories are not supported; save with model.save('model.keras'))")
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror})") from None
    if size == 0:
        raise ModelFileError(f"{path}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{path}: the file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
    try:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            digest.update(head)
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror})") from None
    sha256 = digest.hexdigest()
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        if architecture is not None:
            raise ModelFileError(f"{path}: a .keras archive holds its own architecture; do not pass --architecture")
        return read_keras3(path, sha256)
    if _is_hdf5(head):
        probe_hdf5(lambda: h5py.File(path, "r"), path, default_timeout(size))
        try:
            h5 = h5py.File(path, "r")
        except Exception as exc:
            raise ModelFileError(f"{path}: not a readable HDF5 file ({exc})") from None
        with h5, h5util.corrupt_data_errors(path):
            return _read_hdf5(path, h5, sha256, architecture)
    raise ModelFileError(f"{path}: not a Keras model file (expected a .keras zip archive or an HDF5 .h5 file)")


def _read_hdf5(path: str, h5, sha256: str, architecture: Optional[str]) -> RawModel:
    has_config = h5util.attr_str(h5, "model_config", "/") is not None
    if has_config and architecture is None:
        return read_legacy_h5(path, h5, sha256)
    if architecture is None:
        if h5util.has(h5, "layers") or h5util.has(h5, "vars") or "layer_names" in h5.attrs or "nb_layers" in h5.attrs:
            raise ModelFileError(
                f"{path}: this is a weights-only file (no model architecture inside); "
                "pass the architecture JSON with --architecture model.json (from model.to_json())")
        raise ModelFileError(f"{path}: HDF5 file is neither a Keras model nor a Keras weights file")
    from .weights_only import read_weights_only  # noqa: PLC0415 - optional layouts
    return read_weights_only(path, h5, sha256, architecture)
