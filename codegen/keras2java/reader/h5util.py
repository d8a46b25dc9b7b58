"""Safe, bounded access to HDF5 files through h5py.

External links and virtual datasets are never followed: they could point
outside the model file.  Dataset sizes are checked before any data is read.
"""
from __future__ import annotations

import contextlib
from typing import Any

import h5py
import numpy as np

from ..errors import ModelFileError

#: Refuse any single tensor or whole model above this many elements (2 G floats = 8 GB).
MAX_ELEMENTS = 1 << 31
#: Attribute strings above this size are refused (configs are a few MB at most).
MAX_ATTR_BYTES = 256 << 20


def child(group: h5py.Group, name: str, where: str) -> Any:
    """``group[name]``, refusing external/soft links that could escape the file."""
    try:
        link = group.get(name, getlink=True)
    except Exception as exc:  # h5py raises various errors on corrupt files
        raise ModelFileError(f"cannot read HDF5 entry {where!r}: {exc}") from None
    if link is None:
        raise ModelFileError(f"HDF5 entry {where!r} is missing")
    if isinstance(link, h5py.ExternalLink):
        raise ModelFileError(f"HDF5 entry {where!r} is an external link to another file; refusing to follow it")
    if isinstance(link, h5py.SoftLink):
        raise ModelFileError(f"HDF5 entry {where!r} is a soft link; refusing to follow it")
    try:
        return group[name]
    except Exception as exc:
        raise ModelFileError(f"cannot read HDF5 entry {where!r}: {exc}") from None


@contextlib.contextmanager
def corrupt_data_errors(path: str):
    """A last line of defence around HDF5 parsing: the errors h5py raises for
    corrupt structures (KeyError, RuntimeError, OSError) that slipped past the
    checked accessors above become one-line ModelFileErrors."""
    try:
        yield
    except (KeyError, RuntimeError, OSError) as exc:
        raise ModelFileError(f"{path}: corrupt HDF5 data ({type(exc).__name__}: {exc})") from None


def keys(group: h5py.Group, where: str) -> list[str]:
    """The names in a group; a corrupt group index becomes a ModelFileError."""
    try:
        return list(group.keys())
    except Exception as exc:  # e.g. "wrong B-tree signature", "bad local heap signature"
        raise ModelFileError(f"cannot list HDF5 group {where!r}: {exc}") from None


def has(group: h5py.Group, name: str) -> bool:
    try:
        return group.get(name, getlink=True) is not None
    except Exception:
        return False


def attr_str(obj: Any, name: str, where: str) -> str | None:
    """A string attribute (stored as bytes or str), or None if absent."""
    try:
        if name not in obj.attrs:
            return None
        value = obj.attrs[name]
    except Exception as exc:
        raise ModelFileError(f"cannot read attribute {name!r} of {where!r}: {exc}") from None
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bytes):
        if len(value) > MAX_ATTR_BYTES:
            raise ModelFileError(f"attribute {name!r} of {where!r} is too large")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFileError(f"attribute {name!r} of {where!r} is not UTF-8 text") from None
    if isinstance(value, str):
        return value
    raise ModelFileError(f"attribute {name!r} of {where!r} is not a string")


def attr_str_list(obj: Any, name: str, where: str) -> list[str] | None:
    """A list-of-strings attribute, joining Keras' split ``name0, name1, ...`` chunks."""
    try:
        attrs = obj.attrs
        if name in attrs:
            chunks = [attrs[name]]
        elif f"{name}0" in attrs:
            chunks = []
            i = 0
            while f"{name}{i}" in attrs:
                chunks.append(attrs[f"{name}{i}"])
                i += 1
        else:
            return None
    except Exception as exc:
        raise ModelFileError(f"cannot read attribute {name!r} of {where!r}: {exc}") from None
    out: list[str] = []
    for chunk in chunks:
        arr = np.asarray(chunk)
        if arr.size == 0:
            continue
        if arr.ndim == 0:
            arr = arr.reshape(1)
        for v in arr.ravel():
            if isinstance(v, bytes):
                try:
                    out.append(v.decode("utf-8"))
                except UnicodeDecodeError:
                    raise ModelFileError(f"attribute {name!r} of {where!r} is not UTF-8 text") from None
            elif isinstance(v, str):
                out.append(v)
            else:
                raise ModelFileError(f"attribute {name!r} of {where!r} is not a list of strings")
    return out


def read_dataset(ds: Any, where: str) -> np.ndarray:
    """Read a dataset as float32, exactly.  Refuses what cannot be exact."""
    if not isinstance(ds, h5py.Dataset):
        raise ModelFileError(f"HDF5 entry {where!r} is not a dataset")
    try:
        if ds.is_virtual:
            raise ModelFileError(f"dataset {where!r} is a virtual dataset; refusing to follow it")
        if ds.external:
            raise ModelFileError(f"dataset {where!r} stores its data in an external file; refusing to read it")
        shape = ds.shape
        ds.dtype  # a corrupt datatype message fails here, with the checks above
    except ModelFileError:
        raise
    except Exception as exc:
        raise ModelFileError(f"cannot read dataset {where!r}: {exc}") from None
    if shape is None:
        raise ModelFileError(f"dataset {where!r} is empty (no shape)")
    n = 1
    for d in shape:
        n *= int(d)
    if n > MAX_ELEMENTS:
        raise ModelFileError(f"dataset {where!r} has shape {tuple(shape)}, more than {MAX_ELEMENTS} elements; refusing")
    try:
        data = ds[()]
    except Exception as exc:
        raise ModelFileError(f"cannot read dataset {where!r}: {exc}") from None
    return to_float32(np.asarray(data), where)


def to_float32(data: np.ndarray, where: str) -> np.ndarray:
    """Float weights as float32 (exactly, or refused).  Integer and boolean
    tensors (Normalization's ``count``, lookup and seed state) are kept as they
    are: they are not model parameters, and converters only see them when they
    ask (:meth:`keras2java.ops.LayerContext.weights` skips them)."""
    kind = data.dtype.kind
    name = data.dtype.name
    if kind in "iub" and name != "bfloat16":
        return np.require(data, requirements="C")
    # np.require keeps scalar weights 0-d (np.ascontiguousarray would make them (1,))
    if data.dtype == np.float32:
        return np.require(data, requirements="C")
    if data.dtype == np.float16:
        return np.require(data.astype(np.float32), requirements="C")  # exact
    if name == "bfloat16":
        return np.require(data.astype(np.float32), requirements="C")  # exact
    if data.dtype == np.float64:
        as32 = data.astype(np.float32)
        finite = np.isfinite(data)
        if np.array_equal(as32.astype(np.float64)[finite], data[finite]):
            return np.require(as32, requirements="C")
        raise ModelFileError(
            f"dataset {where!r} holds float64 values that float32 cannot represent exactly; "
            "keras2java generates float32 code: cast the model to float32 in Keras and save it again")
    raise ModelFileError(f"dataset {where!r} has dtype {data.dtype} ({kind}); expected float32 weights")
