#!/usr/bin/env bash
# Cancelling a running Kubernetes build deletes its Job (in the background);
# the build gets SIGTERM, its log up to then is kept, the record says
# cancelled and a follower exits 3.
. "$(dirname "$0")/lib.sh"

project team/slow <<'SH'
#!/bin/sh
trap 'echo "got TERM"; exit 143' TERM
echo "started"
i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
echo "not cancelled"
SH
bg sh -c "\"$AFTOMATO\" build team/slow --follow > '$T/out' 2> '$T/err'; echo \$? > '$T/rc'"
wait_until 20 grep -qx started "$T/out" || fail "build did not start: $(cat "$T/out" "$T/err")"
id=$(head -1 "$T/out")
[ "$(field "$id" status)" = running ] || fail "not running"
aft cancel "${id:0:8}" > "$T/cancel" || fail "cancel exited $?"
grep -qx "$id cancelled" "$T/cancel" || fail "cancel said: $(cat "$T/cancel")"
wait_until 20 test -s "$T/rc" || fail "follower did not end"
[ "$(cat "$T/rc")" = 3 ] || fail "follower exited $(cat "$T/rc")"
[ "$(field "$id" status)" = cancelled ] || fail "status $(field "$id" status)"
aft logs "$id" | grep -qx started || fail "log lost"
aft logs "$id" | grep -q "not cancelled" && fail "build went on"
no_job "$id" || fail "Job still there"
admin GET "/requests?method=DELETE&path=/jobs/aftomato-$id" | grep -q '"propagationPolicy":"Background"' ||
	fail "cancel did not delete in the background"

# Cancelling a build that has ended is refused.
set +e
aft cancel "$id" 2> "$T/err2"
rc=$?
set -e
[ $rc -ne 0 ] || fail "second cancel succeeded"
grep -q "already cancelled" "$T/err2" || fail "second cancel: $(cat "$T/err2")"
echo ok
