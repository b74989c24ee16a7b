#!/bin/sh
# Installs every Debian package the build, the tests and the benchmarks need, and only
# those that are missing. Uses sudo when not root. Safe to run again: it does nothing
# when everything is already there.
set -eu

pkgs="gcc make pkg-config libgsl-dev libcriterion-dev libck-dev libjansson-dev"
# `setup.sh fuzz` adds what `make fuzz` needs (clang and its fuzzer runtime).
[ "${1:-}" = fuzz ] && pkgs="$pkgs clang libclang-rt-14-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "setup: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "setup: need root or sudo to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
