#!/bin/sh
# check_deps.sh [ROOT]: holds the modules to their one-way chain of dependencies,
#   stats, plot  <-  loadgen  <-  sut, qsl, report  <-  harness  <-  cli
# and model (the model SUT: loadgen, stats, sut and qsl) <- cli, and serve (the test server: stats only) <- cli, and net (the clients of real servers:
# loadgen and stats) <- cli, and mpi (distributed runs on Open MPI: loadgen and stats)
# <- cli, and python (the mlperf_loadgen extension module: loadgen
# only; the loadgen package's _core, python/pkg_*: also sut and harness) and cpp
# (libloadgen_cpp, MLPerf's C++ API: loadgen only), which nothing includes
# by reading every `#include "module/..."` of each module's sources, and holds every
# module's internal.h to its own folder. Tests, fuzz targets, benchmarks and examples
# may include anything (tests and fuzz targets are white-box). Prints each back-edge
# with its file and line and exits 1; exits 0 when there is none. `make check` runs it.
set -eu
root=${1:-.}
cd "$root"

# The modules each module may include besides itself. plot uses stats' MLPerf percentile
# rule for its distribution charts; both stay leaves of the chain. report reads finished
# runs and so needs no SUT or QSL; harness drives both, and the reports, for its models.
allowed() {
    case $1 in
    stats) echo "" ;;
    plot | serve) echo "stats" ;;
    loadgen) echo "stats" ;;
    net | mpi) echo "loadgen stats" ;;
    python) echo "loadgen sut harness" ;;
    cpp) echo "loadgen" ;;
    sut | qsl) echo "loadgen stats" ;;
    model) echo "loadgen stats sut qsl" ;;
    report) echo "loadgen stats plot" ;;
    harness) echo "loadgen stats plot sut qsl report" ;;
    cli) echo "loadgen stats plot sut qsl report harness serve net model mpi" ;;
    esac
}

bad=0
for mod in stats plot serve loadgen net mpi sut qsl model report harness cli python cpp; do
    [ -d "$mod" ] || continue
    ok=$(allowed "$mod")
    # file:line:module/header for every include of one of ours.
    for hit in $(grep -Hno '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/[a-z_.]*"' \
                     "$mod"/*.c "$mod"/*.h "$mod"/*.cc 2>/dev/null |
                 sed 's/#[[:space:]]*include[[:space:]]*"//; s/"$//; s/[[:space:]]//g'); do
        file=${hit%%:*}
        rest=${hit#*:}
        line=${rest%%:*}
        header=${rest#*:}
        dep=${header%%/*}
        [ "$dep" = "$mod" ] && continue
        if [ "${header#*/}" = internal.h ]; then
            echo "$file:$line: includes $header: a module's internal.h is its own" >&2
            bad=1
            continue
        fi
        case " $ok " in
        *" $dep "*) ;;
        *)
            echo "$file:$line: $mod may not include $header (allowed: ${ok:-nothing of ours})" >&2
            bad=1
            ;;
        esac
    done
done

# Outside the modules, only tests and fuzz targets may look inside one.
for dir in bench examples; do
    [ -d "$dir" ] || continue
    if grep -Hn '#[[:space:]]*include[[:space:]]*"[a-z_]*/internal\.h"' "$dir"/*.c \
           2>/dev/null >&2; then
        echo "check_deps: $dir/ includes a module's internal.h (above)" >&2
        bad=1
    fi
done

if [ "$bad" -ne 0 ]; then
    echo "check_deps: back-edges found; see docs/architecture.md for the chain" >&2
    exit 1
fi
echo "check_deps: the modules keep their one-way chain"
