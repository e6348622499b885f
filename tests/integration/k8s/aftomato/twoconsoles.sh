#!/usr/bin/env bash
# Two aftomato processes on one host (one data directory) follow the same
# Kubernetes build: one writes the spool and finalises, the other reads along;
# both show the whole log, the build is finalised once (one Job delete) and a
# third process started after the end finds nothing left to do.
. "$(dirname "$0")/lib.sh"

project team/two <<'SH'
#!/bin/sh
i=1; while [ $i -le 40 ]; do echo "two line $i"; i=$((i+1)); sleep 0.05; done
SH
bg sh -c "exec \"$AFTOMATO\" build team/two --follow > '$T/a' 2> '$T/a.err'"
a=${BG_PIDS[-1]}
wait_until 20 grep -qx "two line 3" "$T/a" || fail "build did not start"
id=$(head -1 "$T/a")
bg sh -c "exec \"$AFTOMATO\" logs $id --follow > '$T/b' 2> '$T/b.err'"
b=${BG_PIDS[-1]}
wait "$a" || fail "console a exited $?: $(cat "$T/a.err")"
wait "$b" || fail "console b exited $?: $(cat "$T/b.err")"
[ "$(grep -c '^two line' "$T/a")" = 40 ] || fail "console a saw $(grep -c '^two line' "$T/a") lines"
tail -n +2 "$T/a" | cmp - "$T/b" || fail "console b saw another log"
[ "$(field "$id" status)" = succeeded ] || fail "status"
aft logs "$id" | cmp - "$T/b" || fail "stored log differs"
deletes=$(admin GET "/requests?method=DELETE&path=/jobs/aftomato-$id" | python3 -c '
import json,sys; r=json.load(sys.stdin); r=r.get("requests",r) if isinstance(r,dict) else r; print(len(r))')
[ "$deletes" = 1 ] || fail "the Job was deleted $deletes times"
no_job "$id" || fail "Job left behind"
echo ok
