#!/usr/bin/env bash
# Installs the system libraries SparseFactor links against (Debian/Ubuntu), then builds.
# Idempotent: packages already present are not reinstalled. Needs root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# Open MPI (libopenmpi-dev, openmpi-bin) is for SparseFactorDistributed and the command line only: the five
# libraries build without it.
packages=(libomp-dev libopenblas-dev liblapacke-dev libpng-dev zlib1g-dev pkg-config libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.1 or newer is needed)" >&2; exit 1; }
