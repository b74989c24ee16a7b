#!/bin/sh
# Installs every Debian package the build, the tests and the benchmarks need, and only
# those that are missing. Uses sudo when not root. Safe to run again: it does nothing
# when everything is already there.
#   setup.sh        what `make` and `make demo` need (the model SUT, the default one,
#                   needs OpenBLAS and zlib to build and Fashion-MNIST to run; g++ for
#                   libloadgen_cpp, MLPerf's C++ API, which `make` skips without it)
#   setup.sh test   also what `make check` needs: Chromium and Node.js for the browser
#                   test of the HTML report, and its one npm package (playwright-core,
#                   which drives the installed Chromium and downloads no browser);
#                   python3-dev for the mlperf_loadgen module and the loadgen
#                   package (`make` skips them without it); python3-pytest, which
#                   runs their tests; python3-numpy for the package's tests and
#                   docs examples (the package needs it only for array datasets);
#                   Open MPI (libopenmpi-dev, openmpi-bin) for libloadgen_mpi and
#                   `loadgen run --distributed`, which `make` skips without it
#   setup.sh fuzz   also what `make fuzz` needs (clang and its fuzzer runtime)
#   setup.sh bench  also what `make bench` needs: nginx (nginx-light) and wrk, the
#                   reference server and client bench_http measures the HTTP client
#                   against (never needed by `make check`)
set -eu

pkgs="gcc g++ make pkg-config libgsl-dev libcriterion-dev libck-dev libjansson-dev nettle-dev libopenblas-dev zlib1g-dev dataset-fashion-mnist"
case "${1:-}" in
test) pkgs="$pkgs chromium nodejs npm python3-dev python3-pytest python3-numpy libopenmpi-dev openmpi-bin" ;;
fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
bench) pkgs="$pkgs nginx-light wrk" ;;
esac

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
# Node.js may come from elsewhere than Debian's package; then it is not missing.
case " $missing " in
*" nodejs "*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//') ;;
esac
case " $missing " in
*" npm "*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//') ;;
esac

if [ -n "$missing" ]; then
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
fi

# The pinned playwright-core (tests/browser/package.json), reinstalled when another
# version is there. The pin is the newest release that runs on Debian 12's Node.js 18:
# from 1.62 on, Playwright refuses Node.js below 20.
pin=$(sed -n 's/.*"playwright-core": "\(.*\)".*/\1/p' tests/browser/package.json)
# A fresh clone has no node_modules: an empty version then, not a failing sed (under
# `set -e` a failing command substitution would end the script).
have=""
installed=tests/browser/node_modules/playwright-core/package.json
[ -f "$installed" ] && have=$(sed -n 's/^  "version": "\(.*\)",/\1/p' "$installed")
if [ "${1:-}" = test ] && [ "$have" != "$pin" ]; then
    echo "setup: installing playwright-core $pin for the browser test" >&2
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
exit 0
