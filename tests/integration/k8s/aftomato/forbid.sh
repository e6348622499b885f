#!/usr/bin/env bash
# The token may not delete Jobs (RBAC): cancelling shows the API's 403 message
# verbatim on one line and the build goes on; archiving still records the
# build and reports that its Job stays; later builds keep working.
. "$(dirname "$0")/lib.sh"

admin POST /rbac/forbid '{"user":"tester","verb":"delete","resource":"jobs"}' >/dev/null
project team/f <<'SH'
#!/bin/sh
echo "begin"
sleep 2
echo "end"
SH
bg sh -c "exec \"$AFTOMATO\" build team/f --follow > '$T/out' 2> '$T/err'"
f=${BG_PIDS[-1]}
wait_until 20 grep -qx begin "$T/out" || fail "build did not start"
id=$(head -1 "$T/out")
set +e
aft cancel "$id" > "$T/cancel.out" 2> "$T/cancel.err"
rc=$?
set -e
[ $rc -ne 0 ] || fail "cancel succeeded"
[ "$(wc -l < "$T/cancel.err")" = 1 ] || fail "not one line: $(cat "$T/cancel.err")"
want="jobs.batch \"aftomato-$id\" is forbidden: User \"tester\" cannot delete resource \"jobs\" in API group \"batch\" in the namespace \"aftomato\""
grep -qF "$want" "$T/cancel.err" || fail "cancel said: $(cat "$T/cancel.err")"
wait "$f" || fail "the build did not go on: $(cat "$T/err")"
grep -qx end "$T/out" || fail "build was stopped"
[ "$(field "$id" status)" = succeeded ] || fail "status $(field "$id" status)"
grep -qF "$want" "$DATA/k8s/events.log" || fail "the refused delete was not reported: $(cat "$DATA/k8s/events.log")"
grep -qF "build ${id:0:8} is archived, but its Job stays: $want" "$T/err" ||
	fail "the follower did not show the refused delete: $(cat "$T/err")"
job_exists "$id" || fail "the Job went although delete is forbidden"

# Later builds keep working; the left-behind Job changes nothing.
aft build team/f --follow > "$T/out2" 2> "$T/err2" || fail "second build: $(cat "$T/err2")"
id2=$(head -1 "$T/out2")
[ "$(field "$id2" status)" = succeeded ] || fail "second status"
[ "$(field "$id" status)" = succeeded ] || fail "first build changed"
aft logs "$id" | cmp - <(tail -n +2 "$T/out") || fail "first build's log changed"
echo ok
