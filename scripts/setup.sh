#!/usr/bin/env bash
# Installs keras2java (editable) and, with --test, the test-time dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="python -m pip install --disable-pip-version-check -q"
if [ "${1:-}" = "--test" ]; then
    $PIP -e ".[test]"
    if ! command -v gradle >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1; then
            (apt-get update -qq && apt-get install -y -qq gradle) >/dev/null
        fi
    fi
else
    $PIP -e . "tensorflow-cpu>=2.16"
fi
command -v javac >/dev/null || { echo "javac not found: install a JDK (8+ to run generated code, 17 for the tests)" >&2; exit 1; }
