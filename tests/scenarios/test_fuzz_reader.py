"""Property-based fuzzing of the reader and IR builder.

Mutated .keras/.h5 bytes and mutated config JSON must give either a model or
a ``Keras2JavaError`` (never another exception, never a hang).  Each case is
time-bounded by SIGALRM.  CI runs a short profile; the long run is

    K2J_FUZZ_EXAMPLES=10000 python -m pytest tests/scenarios/test_fuzz_reader.py -p no:warnings
"""
from __future__ import annotations

import io
import json
import os
import signal
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keras2java.builder import build_model
from keras2java.errors import Keras2JavaError
from keras2java.reader import probe, read_model
from keras2java.validate import validate
from support.util import EXAMPLE, FIXTURES

EXAMPLES = int(os.environ.get("K2J_FUZZ_EXAMPLES", "150"))
CASE_SECONDS = 10
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("K2J_FUZZ_EXAMPLES"),
                suppress_health_check=list(HealthCheck), database=None)

SEEDS = {
    "keras": EXAMPLE.read_bytes(),
    "h5_tfkeras": (FIXTURES / "core" / "small_tfkeras.h5").read_bytes(),
    "h5_keras3": (FIXTURES / "core" / "small_keras3.h5").read_bytes(),
}
STATS = {"cases": 0, "ok": 0, "refused": 0}


@pytest.fixture(autouse=True, scope="module")
def short_probe():
    """The HDF5 walk runs in a child process that is killed after this long
    (SIGALRM cannot interrupt the C library; a mutated heap once made it spin)."""
    old, probe.BASE_SECONDS = probe.BASE_SECONDS, 3.0
    yield
    probe.BASE_SECONDS = old


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout()


def check_one(tmp_path, data: bytes) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_SECONDS)
    STATS["cases"] += 1
    try:
        validate(build_model(read_model(str(path))))
        STATS["ok"] += 1
    except Keras2JavaError:
        STATS["refused"] += 1
    except CaseTimeout:
        pytest.fail(f"reading took more than {CASE_SECONDS} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


mutation = st.tuples(st.sampled_from(["flip", "set", "truncate", "insert", "zero_run"]),
                     st.floats(0, 1, allow_nan=False), st.integers(0, 255), st.integers(1, 64))


def mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for kind, where, value, length in ops:
        if not b:
            break
        i = int(where * (len(b) - 1))
        if kind == "flip":
            b[i] ^= 1 << (value % 8)
        elif kind == "set":
            b[i] = value
        elif kind == "truncate":
            del b[i:]
        elif kind == "insert":
            b[i:i] = bytes([value]) * length
        else:
            b[i:i + length] = bytes(min(length, len(b) - i))
    return bytes(b)


@pytest.mark.slow
@pytest.mark.parametrize("seed", sorted(SEEDS))
@FUZZ
@given(ops=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_bytes(tmp_path_factory, seed, ops):
    check_one(_tmp(tmp_path_factory), mutate(SEEDS[seed], ops))


# Found by the long run (K2J_FUZZ_EXAMPLES=2500): corrupt group indexes made
# h5py raise RuntimeError while listing a layer's weights.
REGRESSIONS = [
    [("flip", 0.0, 0, 1), ("flip", 0.0, 0, 1), ("flip", 0.18618372078929427, 0, 1)],
    [("zero_run", 0.4929658673089391, 0, 11)],
    [("zero_run", 0.14739984656731434, 0, 14)],   # KeyError from h5py opening the layers group
]


@pytest.mark.parametrize("ops", REGRESSIONS)
def test_found_by_the_long_run(tmp_path, ops):
    check_one(tmp_path, mutate(SEEDS["keras"], ops))


_TMP = {}


def _tmp(factory):
    if "d" not in _TMP:
        _TMP["d"] = factory.mktemp("fuzz")
    return _TMP["d"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


with zipfile.ZipFile(io.BytesIO(SEEDS["keras"])) as _z:
    _MEMBERS = {n: _z.read(n) for n in _z.namelist()}
_CONFIG = json.loads(_MEMBERS["config.json"])
_CONFIG_PATHS = [p for p in _paths(_CONFIG) if p]


@pytest.mark.slow
@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(_CONFIG_PATHS), json_values), min_size=1, max_size=3))
def test_mutated_config(tmp_path_factory, edits):
    cfg = json.loads(_MEMBERS["config.json"])
    for path, value in edits:
        node = cfg
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in _MEMBERS.items():
            z.writestr(name, json.dumps(cfg).encode() if name == "config.json" else data)
    check_one(_tmp(tmp_path_factory), buf.getvalue())


@pytest.mark.slow
def test_zz_report():
    """Prints the fuzzing figures (visible with -s)."""
    print(f"\nfuzz: {STATS['cases']} cases, {STATS['ok']} converted, {STATS['refused']} refused cleanly")
    assert STATS["cases"] >= EXAMPLES
