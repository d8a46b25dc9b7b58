"""A 5-million-parameter LSTM converts with embedded and with resource
weights (JVM class-file limits), and both match Keras."""
from __future__ import annotations

import re

import pytest

from support.harness import JavaBatch
from support.keras_cases import Case, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


def big(k):
    # 4 * 1000 * (250 + 1000 + 1) + 1000 * 4 + 4 = 5,008,004 parameters
    return k.Sequential([k.Input((3, 250)), k.layers.LSTM(1000), k.layers.Dense(4)])


CASES = [Case("5M/embedded", big, "keras", weights="embedded", samples=3, weight_scale=0.05),
         Case("5M/resource", big, "keras", weights="resource", samples=3, weight_scale=0.05)]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    work = tmp_path_factory.mktemp("large")
    b = JavaBatch(work)
    for n, case in enumerate(CASES):
        path, samples, expected = prepare(case, work, seed=77)
        b.add(case.id, path, samples, expected, package=f"k2jtest.large.c{n}", class_name="Big",
              weights=case.weights)
    b.run()
    return b


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_5m_params_match_keras(batch, case):
    batch.cases[case.id].check(case.tol)


def test_embedded_layout_respects_class_file_limits(batch):
    src = batch.src / "k2jtest" / "large" / "c0" / "BigWeights.java"
    text = src.read_text("ascii")
    assert len(text) > 20_000_000
    lengths = [len(s) for s in re.findall(r'"([^"]*)"', text)]
    assert max(lengths) <= 65534
    holders = re.findall(r"private static final class Part\d+", text)
    assert len(holders) >= 20  # split over many small class files


def test_resource_file_is_raw_float32(batch):
    res = batch.src / "k2jtest" / "large" / "c1" / "Big.weights"
    assert res.stat().st_size == 5_008_004 * 4


def test_cli_reports_progress_for_large_models(batch, tmp_path):
    from support.util import run_cli

    model = next(batch.workdir.glob("5M_embedded.keras"))
    proc = run_cli("convert", str(model), "--out", str(tmp_path / "o"), "--weights", "resource")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[0] == "keras2java: read 5,008,004 parameters; generating resource weights"
    assert lines[-1].startswith("keras2java: writing weights: 100% of 19 MiB")
    quiet = run_cli("convert", str(model), "--out", str(tmp_path / "q"), "--weights", "resource", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""
