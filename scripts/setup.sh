#!/usr/bin/env bash
# Installs keras2java (editable) into the project's virtual environment .venv and,
# with --test, the test-time dependencies and build tools.
#   --test: TensorFlow, tf-keras, pytest... (the environment sees the packages already installed
#   for the Python that creates it, so an existing TensorFlow is reused rather than downloaded),
#   and the build tools the tests call: Maven and Gradle (installed with apt-get when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
k2j_need_javac
root=0
[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && root=1
if [ "${1:-}" = "--test" ]; then
    if [ $root = 1 ] && py=$(k2j_find_python) && ! "$py" -c 'import ensurepip' >/dev/null 2>&1; then
        echo "== installing python3-venv (apt-get): $py has no venv/ensurepip module"
        (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null
    fi
    k2j_venv --system-site-packages
    "$VENV_PY" -m pip install --disable-pip-version-check -q -e ".[test]"
    # The Gradle and Maven tests (examples, --build maven, Spark, Flink, Android checks) need both tools.
    missing=""
    command -v gradle >/dev/null 2>&1 || missing="$missing gradle"
    command -v mvn >/dev/null 2>&1 || missing="$missing maven"
    if [ -n "$missing" ] && [ $root = 1 ]; then
        echo "== installing$missing (apt-get)"
        (apt-get update -qq && apt-get install -y -qq $missing) >/dev/null
    elif [ -n "$missing" ]; then
        echo "error: the build-tool tests need:$missing. Install them, e.g. on Debian/Ubuntu:" >&2
        echo "    sudo apt-get install$missing" >&2
        echo "(as root, this script installs them itself)" >&2
        exit 1
    fi
    jv=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${jv%%.*}" -lt 17 ] 2>/dev/null; then
        echo "error: the tests need JDK 17 or newer (java is $jv); e.g. sudo apt-get install openjdk-17-jdk-headless" >&2
        exit 1
    fi
else
    k2j_venv
    "$VENV_PY" -m pip install --disable-pip-version-check -q -e .
fi
