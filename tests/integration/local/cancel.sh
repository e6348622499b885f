#!/usr/bin/env bash
# Cancelling: a running build gets SIGTERM in its process group (children
# too) and ends cancelled; a follower exits 3; a queued build is cancelled
# without ever running; nothing is left behind.
. "$(dirname "$0")/lib.sh"

project team/slow <<'SH'
#!/bin/sh
sleep 300 &
sh -c 'sleep 301' &
echo "started"
i=0; while :; do echo "tick $i"; i=$((i+1)); sleep 0.2; done
SH
aft build team/slow --follow > "$T/out" 2> "$T/err" &
follower=$!
wait_until 20 grep -q "tick 3" "$T/out" || fail "build did not start"
id=$(head -1 "$T/out")
q=$(aft build team/slow | head -1)
[ "$(field "$q" status)" = queued ] || fail "second build is not queued"
aft cancel "${q:0:13}" | grep -q "cancelled" || fail "cancel queued"
[ "$(field "$q" status)" = cancelled ] || fail "queued build status"
aft cancel "${id:0:13}" > "$T/cancel.out" || fail "cancel exited $?"
grep -qx "$id cancelled" "$T/cancel.out" || fail "cancel output: $(cat "$T/cancel.out")"
set +e
wait $follower
rc=$?
set -e
[ $rc -eq 3 ] || fail "follower exit status $rc, want 3"
[ "$(field "$id" status)" = cancelled ] || fail "status"
aft logs "$id" > "$T/log" 2>&1 || fail "logs of the cancelled build: exit $? ($(tail -1 "$T/log"))"
grep -q "tick 3" "$T/log" || fail "log of the cancelled build lost: $(wc -l < "$T/log") lines"
set +e
aft cancel "$id" 2> "$T/err2"
rc=$?
set -e
[ $rc -eq 1 ] || fail "cancelling a finished build: exit $rc"
grep -q "already cancelled" "$T/err2" || fail "message: $(cat "$T/err2")"
no_strays
echo ok
