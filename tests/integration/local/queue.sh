#!/usr/bin/env bash
# One build per project and branch at a time: a second request waits queued
# and starts when the first ends; another branch runs at the same time.
. "$(dirname "$0")/lib.sh"

project team/q <<'SH'
#!/bin/sh
echo "$BRANCH_TO_BUILD start $(date +%s%N)"
sleep 3
echo "$BRANCH_TO_BUILD end $(date +%s%N)"
SH
a=$(aft build team/q --branch main | head -1)
b=$(aft build team/q --branch main | head -1)
c=$(aft build team/q --branch other | head -1)
[ "$(field "$b" status)" = queued ] || fail "second main build not queued: $(field "$b" status)"
[ "$(field "$c" status)" = running ] || fail "other branch not running: $(field "$c" status)"
aft builds team/q | grep -q queued || fail "queued build not listed"
# Nobody follows: the supervisors finish the builds and start the queued one.
wait_until 60 status_is "$b" succeeded || fail "queued build never ran: $(field "$b" status)"
status_is "$a" succeeded || fail "first build: $(field "$a" status)"
a_end=$(aft logs "$a" | awk '/ end /{print $3}')
b_start=$(aft logs "$b" | awk '/ start /{print $3}')
[ "$b_start" -ge "$a_end" ] || fail "queued build started before the first ended"
no_strays
echo ok
