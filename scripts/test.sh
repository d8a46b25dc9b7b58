#!/usr/bin/env bash
# Installs everything the test suite needs (into .venv; Maven and Gradle with apt-get as root)
# and runs it.  Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES="" PYTHONDONTWRITEBYTECODE=1
exec "${KERAS2JAVA_VENV:-.venv}/bin/python" -m pytest -n 2 --dist loadfile -p no:cacheprovider -W ignore::DeprecationWarning "$@"
