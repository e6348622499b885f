#!/usr/bin/env bash
# Killing aftomato in the middle of a Kubernetes build loses nothing: the Job
# goes on; the next aftomato re-attaches, refills the spool from the start (a
# follower sees the whole log from its first line) and the stored log is
# complete. A build that ended while no aftomato ran is finalised by the next
# one to start.
. "$(dirname "$0")/lib.sh"

project team/k <<'SH'
#!/bin/sh
i=1; while [ $i -le 60 ]; do echo "k line $i"; i=$((i+1)); sleep 0.05; done
SH
bg sh -c "exec \"$AFTOMATO\" build team/k --follow > '$T/out' 2>/dev/null"
follower=${BG_PIDS[-1]}
wait_until 20 grep -qx "k line 5" "$T/out" || fail "build did not start"
kill -KILL "$follower"
wait "$follower" 2>/dev/null || true
id=$(head -1 "$T/out")
[ "$(field "$id" status)" = running ] || fail "not running after the kill"
aft logs "$id" --follow > "$T/attached" || fail "logs --follow exited $?"
[ "$(grep -c '^k line' "$T/attached")" = 60 ] || fail "re-attached log: $(grep -c '^k line' "$T/attached") lines"
head -1 "$T/attached" | grep -qx "k line 1" || fail "re-attached log does not start at line 1"
[ "$(field "$id" status)" = succeeded ] || fail "status $(field "$id" status)"
[ "$(aft logs "$id" | grep -c '^k line')" = 60 ] || fail "stored log incomplete"
aft logs "$id" | awk '{ if ($3 != NR) exit 1 }' || fail "stored log out of order"

# The build ends while nobody follows it: the next aftomato finalises it.
bg sh -c "exec \"$AFTOMATO\" build team/k --follow > '$T/out2' 2>/dev/null"
follower=${BG_PIDS[-1]}
wait_until 20 grep -qx "k line 2" "$T/out2" || fail "second build did not start"
kill -KILL "$follower"
wait "$follower" 2>/dev/null || true
id=$(head -1 "$T/out2")
pod_done() {
	api GET "/api/v1/namespaces/aftomato/pods?labelSelector=aftomato.io%2Fbuild-id%3D$id" |
		grep -q '"phase":"Succeeded"'
}
wait_until 30 pod_done || fail "the pod did not finish"
job_exists "$id" || fail "the Job went while no aftomato ran"
aft logs "$id" --follow > "$T/late" || fail "late follower exited $?"
[ "$(grep -c '^k line' "$T/late")" = 60 ] || fail "late log: $(grep -c '^k line' "$T/late") lines"
[ "$(field "$id" status)" = succeeded ] || fail "late status $(field "$id" status)"
wait_until 10 no_job "$id" || fail "Job left behind"
echo ok
