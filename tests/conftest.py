import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODEGEN = str(REPO / "codegen")

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow's oneDNN graph rewrites are on by default on CPUs with AVX-512 VNNI and change
# Keras' own results there: tf-keras' LayerNormalization over two axes fails to run ("scale
# must be 1D"), and a NaN logit no longer poisons the whole softmax row.  The reference is
# Keras' plain CPU kernels, the same on every machine.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# Test this checkout's generator (also in subprocesses), whatever is pip-installed.
sys.path.insert(0, CODEGEN)
# tests/ itself, so that the shared helpers import as a package: ``from support.harness import
# JavaBatch`` (pytest-xdist workers load this conftest too).
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["PYTHONPATH"] = CODEGEN + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else "")
