#!/usr/bin/env bash
# timeoutSeconds becomes the Job's activeDeadlineSeconds: a build that runs
# longer is stopped by Kubernetes and recorded as timedout (exit 3 from
# --follow), with the log it wrote until then.
. "$(dirname "$0")/lib.sh"

DESC='timeoutSeconds: 2' project team/long <<'SH'
#!/bin/sh
echo "working"
sleep 60
echo "too late"
SH
set +e
aft build team/long --follow > "$T/out" 2> "$T/err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "build --follow exited $rc, expected 3 ($(cat "$T/err"))"
id=$(head -1 "$T/out")
[ "$(field "$id" status)" = timedout ] || fail "status $(field "$id" status)"
field "$id" statusMessage | grep -q "timeout of 2 s" || fail "message: $(field "$id" statusMessage)"
aft logs "$id" | grep -qx working || fail "log lost"
wait_until 10 no_job "$id" || fail "Job left behind"
echo ok
