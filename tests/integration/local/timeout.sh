#!/usr/bin/env bash
# timeoutSeconds: a build that runs too long is stopped (SIGTERM, then
# SIGKILL after the grace period for one that ignores it) and ends timedout.
. "$(dirname "$0")/lib.sh"
export AFTOMATO_KILL_GRACE_MS=500

DESC='timeoutSeconds: 1' project team/hangs <<'SH'
#!/bin/sh
trap '' TERM
echo "ignoring TERM"
while :; do sleep 0.1; done
SH
start=$(date +%s%N)
set +e
aft build team/hangs --follow > "$T/out" 2> "$T/err"
rc=$?
set -e
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 3 ] || fail "exit status $rc, want 3"
id=$(head -1 "$T/out")
[ "$(field "$id" status)" = timedout ] || fail "status $(field "$id" status)"
grep -q "timed out after 1s" "$T/err" || fail "message: $(cat "$T/err")"
[ $ms -lt 15000 ] || fail "took ${ms} ms"
no_strays
echo ok
