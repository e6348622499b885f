#!/usr/bin/env bash
# The two commands of the README.
#   packaging/dev.sh console [aftomato args...]   install, build, open the console
#   packaging/dev.sh test [ctest args...]         install, build, run every test
# AFTOMATO_BUILD_DIR (default build) and AFTOMATO_SANITIZE (address,undefined or
# thread) select a separate sanitizer build.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmd=${1:-console}
[ $# -gt 0 ] && shift

bdir=${AFTOMATO_BUILD_DIR:-$top/build}
case "$bdir" in /*) ;; *) bdir=$top/$bdir ;; esac
san=${AFTOMATO_SANITIZE:-}

case "$cmd" in
  console) AFTOMATO_SKIP_NPM=1 "$top/packaging/setup.sh" ;;
  test) "$top/packaging/setup.sh" ;;
  *) echo "usage: packaging/dev.sh console|test [args...]" >&2; exit 2 ;;
esac

cmake -S "$top" -B "$bdir" -DAFTOMATO_SANITIZE="$san" >/dev/null
cmake --build "$bdir" -j"$(nproc)" >&2

case "$cmd" in
  console) exec "$bdir/aftomato" "$@" ;;
  test)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
    cd "$bdir"
    exec ctest --output-on-failure -j"${AFTOMATO_TEST_JOBS:-4}" "$@"
    ;;
esac
