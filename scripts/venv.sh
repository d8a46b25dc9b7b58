# Sourced by demo.sh and setup.sh: finds a Python 3.9+ and makes the project's
# virtual environment, so nothing is installed into the system Python (Debian 12
# and Ubuntu 23.04+ refuse `pip install` there: PEP 668, externally-managed-environment).
#   KERAS2JAVA_VENV    the environment's directory (default: .venv in the checkout)
#   KERAS2JAVA_PYTHON  the Python to create it with (default: python3, then python)
# After `k2j_venv [venv options]`, $VENV_PY is the environment's python.

k2j_find_python() {
    local c
    for c in "${KERAS2JAVA_PYTHON:-}" python3 python; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 \
            && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

k2j_venv() {
    VENV="${KERAS2JAVA_VENV:-.venv}"
    VENV_PY="$VENV/bin/python"
    if [ -x "$VENV_PY" ] && "$VENV_PY" -c 'import pip' >/dev/null 2>&1; then
        return 0
    fi
    local py
    py=$(k2j_find_python) || {
        echo "error: no Python 3.9 or newer found (python3). Install it, e.g. on Debian/Ubuntu:" >&2
        echo "    sudo apt-get install python3 python3-venv" >&2
        return 1
    }
    if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        echo "error: $py cannot create a virtual environment: its venv/ensurepip module is missing." >&2
        echo "Install it, e.g. on Debian/Ubuntu:  sudo apt-get install python3-venv" >&2
        return 1
    fi
    echo "== creating the virtual environment $VENV with $py ($("$py" --version 2>&1))"
    rm -rf "$VENV"
    if ! "$py" -m venv "$@" "$VENV"; then
        rm -rf "$VENV"
        echo "error: '$py -m venv $VENV' failed (Debian/Ubuntu: sudo apt-get install python3-venv)" >&2
        return 1
    fi
}

k2j_need_javac() {
    command -v javac >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || {
        echo "error: javac/java not found: install a JDK (8+ for the generated code, 17+ for the tests)," >&2
        echo "e.g. on Debian/Ubuntu:  sudo apt-get install openjdk-17-jdk-headless" >&2
        return 1
    }
}
