#!/usr/bin/env bash
# Killing aftomato mid-build loses nothing: the build goes on under its
# supervisor, is finalised with its whole log, and a new aftomato re-attaches
# to a running build from the start of its log. When the supervisor itself
# dies (as in a crash), the next start marks the build error and keeps every
# line already written.
. "$(dirname "$0")/lib.sh"

project team/k <<'SH'
#!/bin/sh
i=1; while [ $i -le 40 ]; do echo "k line $i"; i=$((i+1)); sleep 0.05; done
SH
aft build team/k --follow > "$T/out" 2>/dev/null &
follower=$!
wait_until 20 grep -q "k line 5" "$T/out" || fail "build did not start"
kill -KILL $follower
wait $follower 2>/dev/null || true
id=$(head -1 "$T/out")
# Nobody watches now; the build must still end up complete and recorded.
wait_until 30 status_is "$id" succeeded || fail "build not finalised: $(field "$id" status)"
[ "$(aft logs "$id" | grep -c '^k line')" = 40 ] || fail "log incomplete after the kill"

# Re-attach: a second process follows a running build from its first line.
id=$(aft build team/k | head -1)
wait_until 10 status_is "$id" running || fail "not running"
aft logs "$id" --follow > "$T/attached" || fail "logs --follow exited $?"
[ "$(grep -c '^k line' "$T/attached")" = 40 ] || fail "re-attached log: $(wc -l < "$T/attached") lines"
head -1 "$T/attached" | grep -qx "k line 1" || fail "re-attached log does not start at the first line"

# The supervisor dies with the build (a crash): the next start says error.
project team/crash <<'SH'
#!/bin/sh
echo "before the crash"
sleep 300
SH
id=$(aft build team/crash | head -1)
wait_until 10 sh -c "grep -q 'before the crash' '$DATA/spool/$id.log' 2>/dev/null" || fail "no output"
sup=$(pgrep -f -- "__supervise $DATA/run/$id") || fail "no supervisor"
kill -KILL $sup
pkill -KILL -f -- "$REPO/team/crash" || true
wait_until 20 status_is "$id" error || fail "status after the crash: $(field "$id" status)"
field "$id" statusMessage | grep -q "supervisor" || fail "message: $(field "$id" statusMessage)"
aft logs "$id" | grep -qx "before the crash" || fail "log lost after the crash"
no_strays
echo ok
