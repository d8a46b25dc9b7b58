#!/usr/bin/env bash
# Demo: converts the committed Keras model examples/har_lstm.keras to Java,
# compiles it with javac --release 8 and runs it beside Keras' recorded outputs.
# Needs only python3 (3.9+, with venv) and a JDK; TensorFlow is not needed.
# keras2java and its three dependencies (h5py, numpy, jinja2) go into the
# project's virtual environment .venv (see scripts/venv.sh), never into the system Python.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
k2j_need_javac
k2j_venv
"$VENV_PY" -m pip install --disable-pip-version-check -q -e .
OUT=demo-out
rm -rf "$OUT"
echo "== keras2java inspect examples/har_lstm.keras"
"$VENV_PY" -m keras2java inspect examples/har_lstm.keras | head -12
echo
echo "== keras2java convert"
"$VENV_PY" -m keras2java convert examples/har_lstm.keras --out "$OUT/src" --package com.example.har --class ActionModel
echo
echo "== javac --release 8"
javac --release 8 -nowarn -d "$OUT/classes" $(find "$OUT/src" -name '*.java') examples/Demo.java
echo
echo "== java Demo"
java -cp "$OUT/classes:$OUT/src" Demo examples/har_lstm_inputs.csv examples/har_lstm_expected.csv
