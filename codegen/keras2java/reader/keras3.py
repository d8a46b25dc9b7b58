"""Reader for Keras 3 ``.keras`` archives (zip: config.json, metadata.json,
model.weights.h5).  Nothing is extracted to disk; member sizes are bounded.
"""
from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from typing import Any

import h5py
import numpy as np

from .probe import default_timeout, probe_hdf5
from ..errors import ModelFileError
from ..ir import SourceInfo
from . import h5util
from .config import parse_model_config
from .raw import RawModel, RawWeight

MAX_CONFIG_BYTES = 64 << 20
MAX_WEIGHTS_BYTES = 8 << 30
#: Sub-objects of a layer, in the order Keras lists their weights.
CHILD_ORDER = ("cell", "forward_layer", "backward_layer", "layer")
#: Variables Keras saves by name rather than number (lookup layers' TF-IDF weights).
NAMED_VARS = ("idf_weights",)
#: Classes whose config ``class_name`` (the exported name) is not the Python class name
#: that Keras' saving names the weight group after (``to_snake_case(type(layer).__name__)``).
GROUP_CLASS_NAMES = {"GroupQueryAttention": "GroupedQueryAttention"}
#: Layer assets (vocabulary files) read from the archive, in total at most this many bytes.
MAX_ASSETS_BYTES = 1 << 30


def to_snake_case(name: str) -> str:
    """keras.src.utils.naming.to_snake_case, which names weight groups."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def _read_member(zf: zipfile.ZipFile, name: str, limit: int, path: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ModelFileError(f"{path}: the .keras archive has no {name!r}") from None
    if info.file_size > limit:
        raise ModelFileError(f"{path}: archive member {name!r} declares {info.file_size} bytes, over the {limit}-byte limit")
    try:
        with zf.open(info) as fh:
            data = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise ModelFileError(f"{path}: cannot read {name!r} from the archive: {exc}") from None
    except Exception as exc:  # zlib.error and friends
        raise ModelFileError(f"{path}: cannot read {name!r} from the archive: {exc}") from None
    if len(data) > limit:
        raise ModelFileError(f"{path}: archive member {name!r} is larger than the {limit}-byte limit")
    return data


def collect_weights(group: Any, where: str) -> tuple[RawWeight, ...]:
    """The weights under one layer's group, in Keras ``layer.weights`` order:
    the layer's own ``vars/0, 1, ...`` then its sub-objects (cell, forward_layer,
    backward_layer, layer, then any other, alphabetically)."""
    out: list[RawWeight] = []
    if h5util.has(group, "vars"):
        vars_group = h5util.child(group, "vars", where + "/vars")
        if not isinstance(vars_group, h5py.Group):
            raise ModelFileError(f"HDF5 entry {where}/vars is not a group")
        keys = h5util.keys(vars_group, where + "/vars")
        if not all(k.isdigit() or k in NAMED_VARS for k in keys):
            raise ModelFileError(f"HDF5 group {where}/vars has entries that are not numbered: {sorted(keys)[:5]}")
        for k in sorted(keys, key=lambda k: (0, int(k)) if k.isdigit() else (1, k)):
            ds = h5util.child(vars_group, k, f"{where}/vars/{k}")
            out.append(RawWeight(f"{where}/vars/{k}", h5util.read_dataset(ds, f"{where}/vars/{k}")))
    children = [k for k in h5util.keys(group, where) if k != "vars"]
    ordered = [c for c in CHILD_ORDER if c in children] + sorted(c for c in children if c not in CHILD_ORDER)
    for c in ordered:
        sub = h5util.child(group, c, f"{where}/{c}")
        if isinstance(sub, h5py.Group):
            out.extend(collect_weights(sub, f"{where}/{c}"))
    return tuple(out)


class _SubFile(io.RawIOBase):
    """A read-only, seekable window onto ``[start, start+size)`` of an open file:
    lets h5py read a member stored uncompressed in the zip without copying it."""

    def __init__(self, fh, start: int, size: int) -> None:
        self._fh, self._start, self._size, self._pos = fh, start, size, 0

    def reopened(self, path: str) -> "_SubFile":
        """The same window on a fresh file handle (for a forked child, which
        must not move the file offset it shares with its parent)."""
        return _SubFile(open(path, "rb"), self._start, self._size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buf) -> int:
        n = max(0, min(len(buf), self._size - self._pos))
        if n == 0:
            return 0
        self._fh.seek(self._start + self._pos)
        data = self._fh.read(n)
        buf[:len(data)] = data
        self._pos += len(data)
        return len(data)


def _stored_member(fh, info: zipfile.ZipInfo) -> "_SubFile | None":
    """A window onto an uncompressed member's bytes, or None if compressed."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return None
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return _SubFile(fh, info.header_offset + 30 + name_len + extra_len, info.file_size)


def read_keras3(path: str, sha256: str) -> RawModel:
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror})") from None
    with raw:
        return _read_keras3(path, raw, sha256)


def _read_keras3(path: str, raw, sha256: str) -> RawModel:
    try:
        zf = zipfile.ZipFile(raw)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a readable .keras archive ({exc})") from None
    with zf:
        raw_cfg = _read_member(zf, "config.json", MAX_CONFIG_BYTES, path)
        try:
            config = json.loads(raw_cfg.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ModelFileError(f"{path}: config.json is not valid JSON ({exc})") from None
        version = ""
        if "metadata.json" in zf.namelist():
            try:
                meta = json.loads(_read_member(zf, "metadata.json", 1 << 20, path).decode("utf-8"))
                if isinstance(meta, dict) and isinstance(meta.get("keras_version"), str):
                    version = meta["keras_version"]
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                raise ModelFileError(f"{path}: metadata.json is not valid JSON") from None
        try:
            info = zf.getinfo("model.weights.h5")
        except KeyError:
            raise ModelFileError(f"{path}: the .keras archive has no 'model.weights.h5'") from None
        if info.file_size > MAX_WEIGHTS_BYTES:
            raise ModelFileError(f"{path}: archive member 'model.weights.h5' declares {info.file_size} bytes, "
                                 f"over the {MAX_WEIGHTS_BYTES}-byte limit")
        assets: dict[str, bytes] = {}
        budget = MAX_ASSETS_BYTES
        for name in zf.namelist():
            if name.startswith("assets/") and not name.endswith("/"):
                data = _read_member(zf, name, budget, path)
                budget -= len(data)
                assets[name] = data
        # Keras stores members uncompressed: read the weights in place, without a copy.
        weights_file = _stored_member(raw, info)
        if weights_file is None:
            weights_file = io.BytesIO(_read_member(zf, "model.weights.h5", MAX_WEIGHTS_BYTES, path))
    source = SourceInfo(path=path, sha256=sha256, format="keras-v3-zip", keras_version=version,
                        keras_major=major_version(version, default=3))
    if isinstance(weights_file, _SubFile):
        def open_copy():
            return h5py.File(weights_file.reopened(path), "r")
    else:
        def open_copy():
            return h5py.File(weights_file, "r")
    probe_hdf5(open_copy, path, default_timeout(info.file_size))
    try:
        h5 = h5py.File(weights_file, "r")
    except Exception as exc:
        raise ModelFileError(f"{path}: model.weights.h5 in the archive is not a readable HDF5 file ({exc})") from None
    with h5, h5util.corrupt_data_errors(path):
        return parse_keras3_config(config, h5, source, path, assets)


_INT_LINE = re.compile(r"-?[0-9]{1,19}")


def _integer_vocabulary(name: str, data: bytes) -> "RawWeight | None":
    """An integer vocabulary asset as an int64 tensor (not a parameter: converters
    see it only among ``RawLayer.weights``); None for string vocabularies."""
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    while lines and lines[-1] == "":
        lines.pop()
    if not lines or not all(_INT_LINE.fullmatch(line) for line in lines):
        return None
    try:
        return RawWeight(name, np.asarray([int(line) for line in lines], np.int64))
    except OverflowError:
        return None


def parse_keras3_config(config: Any, h5: Any, source: SourceInfo, path: str,
                        assets: "dict[str, bytes] | None" = None) -> RawModel:
    """Parse a Keras 3 config against a Keras 3 weights file (``.keras`` or ``.weights.h5``)."""
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: config.json is not a JSON object")
    layers_group = h5util.child(h5, "layers", "layers") if h5util.has(h5, "layers") else None
    weights_for = _Keras3Weights(layers_group, config, "layers", assets or {})
    return parse_model_config(config, weights_for, source, what=f"{path}: config.json")


class _Keras3Weights:
    """``weights_for`` over a Keras 3 ``layers`` group: layer ``i`` of the config
    is stored as ``layers/<snake_case(class)>[_<n>]``; a nested model keeps its
    own layers under ``layers/<its group>/layers``."""

    def __init__(self, layers_group: Any, config: Any, where: str, assets: Any = None) -> None:
        self.layers_group = layers_group
        self.all_assets = assets if assets is not None else {}
        self.where = where
        self.group_names: dict[int, str] = {}
        inner = config.get("config") if isinstance(config, dict) else None
        layer_dicts = inner.get("layers") if isinstance(inner, dict) else None
        if isinstance(layer_dicts, list):
            used: dict[str, int] = {}
            for i, ld in enumerate(layer_dicts):
                cls = ld.get("class_name") if isinstance(ld, dict) else None
                if not isinstance(cls, str):
                    continue
                gname = to_snake_case(GROUP_CLASS_NAMES.get(cls, cls))
                if gname in used:
                    used[gname] += 1
                    gname = f"{gname}_{used[gname]}"
                else:
                    used[gname] = 0
                self.group_names[i] = gname
        self.layer_dicts = layer_dicts if isinstance(layer_dicts, list) else []

    def _group(self, index: int) -> Any:
        gname = self.group_names.get(index)
        if self.layers_group is None or gname is None or not h5util.has(self.layers_group, gname):
            return None
        group = h5util.child(self.layers_group, gname, f"{self.where}/{gname}")
        if not isinstance(group, h5py.Group):
            raise ModelFileError(f"weights entry {self.where}/{gname} is not a group")
        return group

    def __call__(self, index: int, name: str, class_name: str) -> tuple[RawWeight, ...]:
        group = self._group(index)
        out = () if group is None else collect_weights(group, f"{self.where}/{self.group_names[index]}")
        asset = f"assets/{self.where}/{self.group_names.get(index, '?')}/vocabulary.txt"
        vocab = _integer_vocabulary(asset, self.all_assets[asset]) if asset in self.all_assets else None
        return out + (vocab,) if vocab is not None else out

    def nested(self, index: int, name: str) -> "_Keras3Weights":
        group = self._group(index)
        where = f"{self.where}/{self.group_names.get(index, '?')}/layers"
        sub = h5util.child(group, "layers", where) if group is not None and h5util.has(group, "layers") else None
        return _Keras3Weights(sub, self.layer_dicts[index], where, self.all_assets)

    def assets(self, index: int) -> dict[str, bytes]:
        """Layer ``index``'s assets (``assets/<where>/<group>/...``), keyed by the path below its folder."""
        gname = self.group_names.get(index)
        if gname is None:
            return {}
        prefix = f"assets/{self.where}/{gname}/"
        return {k[len(prefix):]: v for k, v in self.all_assets.items() if k.startswith(prefix)}


def major_version(version: str, default: int) -> int:
    m = re.match(r"\s*(\d+)", version or "")
    if not m:
        return default
    major = int(m.group(1))
    return major if major in (0, 1, 2, 3) else default
