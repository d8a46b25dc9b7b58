#!/usr/bin/env bash
# Installs keras2java (editable) and, with --test, the test-time dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP="python -m pip install --disable-pip-version-check -q"
if [ "${1:-}" = "--test" ]; then
    $PIP -e ".[test]"
    # The Gradle and Maven example tests need both build tools (Debian: gradle 4.4.1, maven 3.8).
    missing=""
    command -v gradle >/dev/null 2>&1 || missing="$missing gradle"
    command -v mvn >/dev/null 2>&1 || missing="$missing maven"
    if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq $missing) >/dev/null
    fi
else
    $PIP -e .
fi
command -v javac >/dev/null || { echo "javac not found: install a JDK (8+ to run generated code, 17 for the tests)" >&2; exit 1; }
