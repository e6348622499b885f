#!/usr/bin/env bash
# Retrigger: a new build of the same project and branch, linked by
# retriggerOf, following it gives its status.
. "$(dirname "$0")/lib.sh"

project team/r <<'SH'
#!/bin/sh
echo "branch $BRANCH_TO_BUILD build $BUILD_ID"
SH
a=$(aft build team/r --branch release/1 --follow | head -1)
aft retrigger "${a:0:10}" --follow > "$T/out" || fail "retrigger --follow exited $?"
b=$(head -1 "$T/out")
[ "$b" != "$a" ] || fail "same ID"
grep -qx "branch release/1 build $b" "$T/out" || fail "log: $(cat "$T/out")"
[ "$(field "$b" retriggerOf)" = "$a" ] || fail "retriggerOf"
[ "$(field "$b" branch)" = release/1 ] || fail "branch"
no_strays
echo ok
