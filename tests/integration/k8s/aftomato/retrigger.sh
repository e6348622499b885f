#!/usr/bin/env bash
# Retriggering a Kubernetes build starts a new Job with the same project and
# branch, linked by retriggerOf; both logs stay available.
. "$(dirname "$0")/lib.sh"

project team/again <<'SH'
#!/bin/sh
echo "build $BUILD_ID of $BRANCH_TO_BUILD"
SH
aft build team/again --branch release/1.x --follow > "$T/a" || fail "first build"
a=$(head -1 "$T/a")
aft retrigger "${a:0:8}" --follow > "$T/b" || fail "retrigger"
b=$(head -1 "$T/b")
[ "$a" != "$b" ] || fail "same ID"
grep -qx "build $b of release/1.x" "$T/b" || fail "retriggered log: $(cat "$T/b")"
[ "$(field "$b" retriggerOf)" = "$a" ] || fail "retriggerOf $(field "$b" retriggerOf)"
[ "$(field "$b" branch)" = release/1.x ] || fail "branch"
[ "$(field "$b" status)" = succeeded ] || fail "status"
aft logs "$a" | grep -qx "build $a of release/1.x" || fail "first log"
admin GET "/requests?method=POST&path=/jobs" | grep -q "\"aftomato.io/retrigger-of\":\"$a\"" ||
	fail "Job does not say what it retriggers"
echo ok
