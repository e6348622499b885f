#!/usr/bin/env bash
# Builds that end without running: a queued build cancelled while its follower
# waits, and a build whose start fails (its build.sh vanished after it was
# queued). Each ends with its status, an (empty) archived log, and the
# follower exits with status 3 instead of waiting forever.
. "$(dirname "$0")/lib.sh"

# The first build holds the slot until the test lets it go.
DESC="env:
  RELEASE: $T/release" project team/w <<'SH'
#!/bin/sh
while [ ! -e "$RELEASE" ]; do sleep 0.1; done
echo done
SH
a=$(aft build team/w | head -1)
aft build team/w --follow > "$T/out" 2> "$T/err" &
follower=$!
wait_until 20 test -s "$T/out" || fail "no build ID"
b=$(head -1 "$T/out")
[ "$(field "$b" status)" = queued ] || fail "not queued: $(field "$b" status)"
aft cancel "$b" > /dev/null || fail "cancel exited $?"
set +e
wait $follower
rc=$?
set -e
[ $rc -eq 3 ] || fail "follower of a cancelled queued build: exit $rc ($(cat "$T/err"))"
[ "$(field "$b" status)" = cancelled ] || fail "status"
aft logs "$b" > "$T/log" || fail "no archived log for the cancelled build"
[ ! -s "$T/log" ] || fail "log of a build that never ran is not empty"

# A start that fails: the project's build.sh disappears while it waits.
c=$(aft build team/w | head -1)
[ "$(field "$c" status)" = queued ] || fail "not queued"
rm "$REPO/team/w/build.sh"
touch "$T/release"
set +e
aft logs "$c" --follow > /dev/null 2> "$T/err2"
rc=$?
set -e
[ $rc -eq 3 ] || fail "follower of a build whose start failed: exit $rc ($(cat "$T/err2"))"
[ "$(field "$c" status)" = error ] || fail "status $(field "$c" status)"
field "$c" statusMessage | grep -q "build.sh" || fail "message: $(field "$c" statusMessage)"
wait_until 30 status_is "$a" succeeded || fail "first build"
no_strays
echo ok
