"""Weight layout: every distinct weight tensor in one float32 array.

The layout (offsets) is decided here; the generated code refers to slices of
the loaded array by offset.  With the default storage, float32, the stored
bytes are little-endian float32, bit-exact.  The other storages
(``--weights-storage float16|bfloat16|int8``) store the same values compressed
in a packed stream that the runtime (``Weights.unpack``) expands to float32 at
load time, see :func:`packed_pieces`.
"""
from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..ir import Model, WeightTensor

#: Raw bytes per Base64 chunk: a multiple of 3 (no padding inside the stream)
#: whose encoding (65,532 chars) fits one Java string constant (max 65,534).
CHUNK_BYTES = 3 * 16383
#: Chunks per nested holder class, to keep each class file small.
CHUNKS_PER_CLASS = 16


#: ``--weights-storage`` values; float32 is the default and the only bit-exact one.
STORAGES = ("float32", "float16", "bfloat16", "int8")
#: Segment kinds of the packed stream (the runtime's Weights.unpack reads the same numbers).
SEGMENT_KIND = {"float32": 0, "float16": 1, "bfloat16": 2, "int8": 3}
#: Roles whose values are exact data (token codes, lookup tables), never compressed.
EXACT_ROLES = frozenset({"vocabulary", "idf_weights"})
#: Largest finite float16.
FLOAT16_MAX = 65504.0
#: The relative error of one stored weight, per storage: half an ulp of float16
#: (11 significant bits) or bfloat16 (8), and for int8 half a quantization step
#: relative to the largest magnitude of the weight's output column (scale = max/127).
UNIT_ERROR = {"float32": 0.0, "float16": 2.0 ** -11, "bfloat16": 2.0 ** -8, "int8": 0.5 / 127}
#: The golden/verify tolerance of a compressed storage is TOLERANCE_FACTOR x UNIT_ERROR,
#: rounded up to a multiple of 0.001 (an empirical rule, see the README section "Smaller
#: artifacts": float16 0.008, bfloat16 and int8 0.063); float32 keeps 1e-5.
TOLERANCE_FACTOR = 16.0
FLOAT32_TOLERANCE = 1e-5


def storage_tolerance(storage: str) -> float:
    """The accuracy contract of a weights storage: |java - keras| / max(1, |keras|)."""
    if storage == "float32":
        return FLOAT32_TOLERANCE
    return math.ceil(TOLERANCE_FACTOR * UNIT_ERROR[storage] * 1000 - 1e-9) / 1000


@dataclass(frozen=True)
class WeightLayout:
    offsets: tuple[tuple[int, int], ...]   # (id(weight), offset) pairs
    count: int
    sha256: str                 # of the stored bytes
    storage: str = "float32"
    stored_bytes: int = 0       # bytes of the stored stream (4 x count for float32)

    def offset(self, w: WeightTensor) -> int:
        for wid, off in self.offsets:
            if wid == id(w):
                return off
        raise KeyError(w.source)


def layout(model: Model, storage: str = "float32") -> tuple[WeightLayout, list[WeightTensor]]:
    weights = list(model.unique_weights())
    offsets = []
    pos = 0
    for w in weights:
        offsets.append((id(w), pos))
        pos += w.size
    h = hashlib.sha256()
    size = 0
    for piece in stored_pieces(weights, storage):
        h.update(piece)
        size += len(piece)
    return WeightLayout(tuple(offsets), pos, h.hexdigest(), storage, size), weights


def stored_pieces(weights: list[WeightTensor], storage: str) -> Iterator:
    """The bytes as stored: raw float32 (the default) or the packed stream."""
    return iter_bytes(weights) if storage == "float32" else packed_pieces(weights, storage)


def segment_storage(w: WeightTensor, storage: str) -> str:
    """How one tensor is stored under ``storage``: only matrices (2 or more axes: kernels,
    recurrent kernels, embeddings) are compressed.  Vectors (biases, normalization
    statistics: under 1% of a typical model), exact tables, tensors with non-finite
    values and, for float16, tensors with a magnitude beyond 65504 stay float32."""
    if storage == "float32" or w.array.ndim < 2 or w.size == 0 or w.role in EXACT_ROLES:
        return "float32"
    arr = w.array
    if not np.all(np.isfinite(arr)):
        return "float32"
    if storage == "float16" and float(np.max(np.abs(arr))) > FLOAT16_MAX:
        return "float32"
    if storage == "bfloat16" and not np.all(np.isfinite(_bfloat16_values(arr))):
        return "float32"
    return storage


def _bfloat16_bits(arr: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even to the upper 16 bits of float32 (finite input)."""
    u = np.ascontiguousarray(arr, dtype="<f4").view("<u4").astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def _bfloat16_values(arr: np.ndarray) -> np.ndarray:
    return (_bfloat16_bits(arr).astype("<u4") << 16).view("<f4")


def _int8_parts(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel quantization: the last axis is the output column
    (Keras kernels are (..., in, out)); scale = max |column| / 127, q = round(w / scale)."""
    cols = arr.shape[-1]
    m = np.ascontiguousarray(arr, dtype=np.float32).reshape(-1, cols)
    scale = (np.max(np.abs(m), axis=0) / np.float32(127)).astype("<f4")
    safe = np.where(scale > 0, scale, np.float32(1))
    q = np.clip(np.rint(m / safe), -127, 127).astype(np.int8)
    return scale, q


def stored_values(w: WeightTensor, storage: str) -> np.ndarray:
    """The float32 values the runtime gets back for ``w`` (the same arithmetic as Weights.unpack)."""
    kind = segment_storage(w, storage)
    arr = np.ascontiguousarray(w.array, dtype=np.float32)
    if kind == "float32":
        return arr
    if kind == "float16":
        return arr.astype(np.float16).astype(np.float32)
    if kind == "bfloat16":
        return _bfloat16_values(arr).reshape(arr.shape)
    scale, q = _int8_parts(arr)
    return (q.astype(np.float32) * scale).reshape(arr.shape)


def packed_pieces(weights: list[WeightTensor], storage: str) -> Iterator[bytes]:
    """The packed stream: per tensor, a header of three little-endian int32 (segment
    kind, value count, column count) and the payload: float32 (kind 0: 4 bytes a value),
    float16 (1) or bfloat16 (2, 2 bytes a value), or int8 (3: one float32 scale per
    column, then one signed byte a value, row-major, value = q x scale[index % columns])."""
    for w in weights:
        kind = segment_storage(w, storage)
        arr = np.ascontiguousarray(w.array, dtype=np.float32)
        cols = int(arr.shape[-1]) if arr.ndim else 1
        yield np.array([SEGMENT_KIND[kind], w.size, cols], "<i4").tobytes()
        if kind == "float32":
            yield from (bytes(p) for p in iter_bytes([w]))
        elif kind == "float16":
            yield arr.astype("<f2").tobytes()
        elif kind == "bfloat16":
            yield _bfloat16_bits(arr).tobytes()
        else:
            scale, q = _int8_parts(arr)
            yield scale.tobytes()
            yield q.tobytes()


def _le_bytes(w: WeightTensor):
    """The tensor's little-endian float32 bytes, without a copy where possible."""
    arr = np.ascontiguousarray(w.array, dtype="<f4")
    return memoryview(arr).cast("B")


#: Bytes per piece when streaming weights to a file.
STREAM_BYTES = 8 << 20


def iter_bytes(weights: list[WeightTensor]) -> Iterator:
    """The weights' bytes in pieces of at most STREAM_BYTES (views, no copies)."""
    for w in weights:
        view = _le_bytes(w)
        for start in range(0, len(view), STREAM_BYTES):
            yield view[start:start + STREAM_BYTES]


def base64_chunks(weights: list[WeightTensor], storage: str = "float32") -> list[str]:
    """The weights (as stored) as Base64 strings of at most 65,532 characters."""
    chunks: list[str] = []
    carry = b""
    for part in stored_pieces(weights, storage):
        data = carry + bytes(part)
        pos = 0
        while len(data) - pos >= CHUNK_BYTES:
            chunks.append(base64.b64encode(data[pos:pos + CHUNK_BYTES]).decode("ascii"))
            pos += CHUNK_BYTES
        carry = data[pos:]
    if carry or not chunks:
        chunks.append(base64.b64encode(carry).decode("ascii"))
    return chunks


@dataclass(frozen=True)
class Chunk:
    method: str
    data: str          # Base64: [A-Za-z0-9+/=] only


@dataclass(frozen=True)
class Holder:
    """A nested class of the generated weights class holding some chunks."""

    name: str
    chunks: tuple[Chunk, ...]


def chunk_holders(chunks: list[str]) -> tuple[Holder, ...]:
    """Base64 chunks spread over nested holder classes of CHUNKS_PER_CLASS
    methods each (keeps every class file small), in order."""
    holders = []
    per = CHUNKS_PER_CLASS
    for h in range(0, len(chunks), per):
        cs = tuple(Chunk(f"c{i}", chunks[h + i]) for i in range(min(per, len(chunks) - h)))
        holders.append(Holder(f"Part{h // per}", cs))
    return tuple(holders)
