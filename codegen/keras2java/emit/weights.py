"""Weight layout: every distinct weight tensor in one float32 array.

The layout (offsets) is decided here; the generated code refers to slices of
the loaded array by offset.  Bytes are little-endian float32, bit-exact.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..ir import Model, WeightTensor

#: Raw bytes per Base64 chunk: a multiple of 3 (no padding inside the stream)
#: whose encoding (65,532 chars) fits one Java string constant (max 65,534).
CHUNK_BYTES = 3 * 16383
#: Chunks per nested holder class, to keep each class file small.
CHUNKS_PER_CLASS = 16


@dataclass(frozen=True)
class WeightLayout:
    offsets: tuple[tuple[int, int], ...]   # (id(weight), offset) pairs
    count: int
    sha256: str

    def offset(self, w: WeightTensor) -> int:
        for wid, off in self.offsets:
            if wid == id(w):
                return off
        raise KeyError(w.source)


def layout(model: Model) -> tuple[WeightLayout, list[WeightTensor]]:
    weights = list(model.unique_weights())
    offsets = []
    pos = 0
    h = hashlib.sha256()
    for w in weights:
        offsets.append((id(w), pos))
        pos += w.size
        h.update(_le_bytes(w))
    return WeightLayout(tuple(offsets), pos, h.hexdigest()), weights


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


def base64_chunks(weights: list[WeightTensor]) -> list[str]:
    """The weights as Base64 strings of at most 65,532 characters."""
    chunks: list[str] = []
    carry = b""
    for part in iter_bytes(weights):
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
