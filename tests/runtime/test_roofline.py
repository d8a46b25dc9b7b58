"""The roofline's loop shapes (benchmarks/roofline) against the runtime's kernels.

The roofline measures each kernel tier's ceiling with hand-written loop shapes;
a shape is a ceiling of the runtime's work only if it does that work.  Each shape
of the small model's LSTM step (15 units, batch 1) must give the runtime's step
its own state bits before the roofline times it, or the run stops.  Here the
shapes of the portable and FMA tiers pass that check against their own tier's
kernels, and the FMA tier's shapes fail it against the portable kernels (the
check can fail: fused multiply-adds round once where the portable loops round
twice).
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from support.harness import REPO, java_bin

pytestmark = pytest.mark.java

ROOFLINE = REPO / "benchmarks" / "roofline" / "roofline.py"
SMALL_STEP = "small LSTM step"


@pytest.fixture(scope="module")
def roofline_classes(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("k2j_roofline", ROOFLINE)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("k2j_roofline", module)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("roofline")
    module.compile_all(out)
    return out


def run_roofline(classes, kernels: str, shapes: str):
    return subprocess.run([java_bin("java"), f"-Dkeras2java.kernels={kernels}", "-cp", str(classes), "Roofline",
                           shapes, "0.001", "1", SMALL_STEP], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("tier", ["portable", "fma"])
def test_small_step_shapes_give_the_runtime_steps_bits(roofline_classes, tier):
    done = run_roofline(roofline_classes, tier, tier)
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.strip().splitlines()[1:]]
    names = [row[0] for row in rows]
    assert any(name.startswith("shape small LSTM step") for name in names), names
    assert any(name.startswith("bound small LSTM step") for name in names), names
    assert any(name.startswith("runtime small LSTM step") for name in names), names
    assert all(float(row[1]) > 0 for row in rows), rows


def test_fma_shapes_are_refused_against_the_portable_kernels(roofline_classes):
    done = run_roofline(roofline_classes, "portable", "fma")
    assert done.returncode != 0
    assert "not the runtime's LSTM step" in done.stderr
