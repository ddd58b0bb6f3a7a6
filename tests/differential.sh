#!/bin/sh
# The integration scenarios against another runtime (BERTH_RUNTIME): a
# behaviour difference shows as a test that passes with that runtime and
# fails with berth, or the other way round. ctest runs it as
# `differential.runc`:
#   tests/differential.sh build/tests/berth_integration_tests [/usr/sbin/runc]
# Every suite runs (about two minutes with runc 1.1.5); tests of berth's own
# extensions, and of what runc 1.1.5 lacks or gets wrong, skip themselves
# with the reason printed (BERTH_ONLY, REQUIRES_SPEC in harness.h).
# DIFFERENTIAL_FILTER narrows the run (a --gtest_filter pattern).
# Exit 77 (ctest: skipped) when the runtime is not installed.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 berth_integration_tests [runtime]" >&2; exit 2; }
tests=$1
rt=${2:-/usr/sbin/runc}
if [ ! -x "$rt" ]; then
  echo "differential: SKIPPED: $rt is not installed (Debian's runc package)"
  exit 77
fi
if [ "$(id -u)" != 0 ]; then
  echo "differential: SKIPPED: needs root"
  exit 77
fi
echo "differential: $("$rt" --version | head -1) ($rt)"
# A difference must reproduce: a test that fails is run once more on its
# own, and only a second failure counts (runc's own races, e.g. an init left
# behind under load, are not what this run compares). Both runs are shown.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
BERTH_RUNTIME=$rt "$tests" --gtest_filter="${DIFFERENTIAL_FILTER:-*}" --gtest_color=no >"$out" 2>&1 || rc=$?
cat "$out"
[ "$rc" = 0 ] && exit 0
failed=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_/.]*\) (.*/\1/p' "$out" | sort -u | tr '\n' ':')
[ -n "$failed" ] || exit 1
echo "differential: again, on their own: $failed"
BERTH_RUNTIME=$rt "$tests" --gtest_filter="$failed" --gtest_color=no
