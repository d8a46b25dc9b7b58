"""Long differential fuzzing campaigns (see README, Testing):

    python tests/fuzz_models --models 2000 --seed random --out /tmp/k2j-fuzz

Writes ``results.jsonl`` (one line per model file) and ``summary.json`` into ``--out``,
prints counts per class and refusal reasons, and shrinks up to ``--shrink`` failures
into regression specs (``--regressions``, default tests/fuzz_models/regressions).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for p in (HERE.parents[1] / "codegen", HERE.parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from fuzz_models.campaign import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
