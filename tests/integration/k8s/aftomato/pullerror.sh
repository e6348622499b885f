#!/usr/bin/env bash
# A build image that cannot be pulled: the waiting reason (ErrImagePull, then
# ImagePullBackOff) is reported, and once it has lasted longer than the limit
# the build ends as error with the reason; its Job is deleted.
export AFTOMATO_K8S_PULL_LIMIT_MS=2000
. "$(dirname "$0")/lib.sh"

IMAGE=registry.example/pull-error:404 project team/img <<'SH'
#!/bin/sh
echo "never runs"
SH
set +e
aft build team/img --follow > "$T/out" 2> "$T/err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "build --follow exited $rc, expected 3"
id=$(head -1 "$T/out")
[ "$(field "$id" status)" = error ] || fail "status $(field "$id" status)"
msg=$(field "$id" statusMessage)
echo "$msg" | grep -q "registry.example/pull-error:404 cannot be pulled" || fail "message: $msg"
echo "$msg" | grep -Eq "ImagePullBackOff|ErrImagePull" || fail "message: $msg"
grep -q "cannot be pulled" "$T/err" || fail "not shown: $(cat "$T/err")"
[ "$(wc -l < "$T/out")" = 1 ] || fail "a log from nowhere: $(cat "$T/out")"
grep -q "waiting to start: ErrImagePull\|waiting to start: ImagePullBackOff" "$DATA/k8s/events.log" ||
	fail "waiting reason not reported: $(cat "$DATA/k8s/events.log" 2>/dev/null)"
wait_until 10 no_job "$id" || fail "Job left behind"
echo ok
