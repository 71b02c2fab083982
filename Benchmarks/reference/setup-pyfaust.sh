#!/usr/bin/env bash
# Make a throw-away venv with pyfaust (PyPI, by package name) for pyfaust_compare.py.
#
#   Benchmarks/reference/setup-pyfaust.sh [VENV_DIR]     (default /tmp/sparsefactor-pyfaust)
#
# pyfaust is not a dependency of the project: it is only the "existing library" column of the
# issue-3 report. The wheel is manylinux x86_64 (pyfaust 3.41.0 is the newest with a CPython
# 3.11 wheel); pip brings numpy, scipy and matplotlib with it.
set -euo pipefail
venv="${1:-/tmp/sparsefactor-pyfaust}"
version="${PYFAUST_VERSION:-3.41.0}"

if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        [ "$(id -u)" = "0" ] || { echo "setup-pyfaust: python3 -m venv failed; install python3-venv" >&2; exit 1; }
        echo "setup-pyfaust: installing python3-venv (apt-get)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv >/dev/null \
            || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv >/dev/null; }
        python3 -m venv "$venv"
    fi
fi
"$venv/bin/python" -m pip install --disable-pip-version-check -q "pyfaust==$version"
"$venv/bin/python" -W ignore -c 'import pyfaust; print("pyfaust", pyfaust.version())'
echo "run: $venv/bin/python $(dirname "$0")/pyfaust_compare.py MATRIX.npy --json"
