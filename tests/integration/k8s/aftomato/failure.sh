#!/usr/bin/env bash
# Builds that fail on Kubernetes: a non-zero exit code is the build's result
# (failed, buildResult = the code, `build --follow` exits 1), and a build
# container killed for memory (OOMKilled) fails saying so.
. "$(dirname "$0")/lib.sh"

project team/bad <<'SH'
#!/bin/sh
echo "about to fail"
exit 3
SH
set +e
aft build team/bad --follow > "$T/out" 2> "$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "build --follow exited $rc, expected 1"
id=$(head -1 "$T/out")
grep -qx "about to fail" "$T/out" || fail "log: $(cat "$T/out")"
[ "$(field "$id" status)" = failed ] || fail "status $(field "$id" status)"
[ "$(field "$id" buildResult)" = 3 ] || fail "buildResult $(field "$id" buildResult)"
grep -q "failed" "$T/err" || fail "stderr: $(cat "$T/err")"

IMAGE=aftomato/oom-build:1 project team/oom <<'SH'
#!/bin/sh
echo "allocating"
sleep 5
echo "never printed"
SH
set +e
aft build team/oom --follow > "$T/out" 2> "$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "OOM build exited $rc"
id=$(head -1 "$T/out")
[ "$(field "$id" status)" = failed ] || fail "OOM status $(field "$id" status)"
[ "$(field "$id" buildResult)" = 137 ] || fail "OOM buildResult $(field "$id" buildResult)"
field "$id" statusMessage | grep -q "OOMKilled" || fail "OOM message: $(field "$id" statusMessage)"
grep -q "OOMKilled" "$T/err" || fail "OOM not shown: $(cat "$T/err")"
! grep -q "never printed" "$T/out" || fail "OOM build went on"
wait_until 10 no_job "$id" || fail "Job left behind"
echo ok
