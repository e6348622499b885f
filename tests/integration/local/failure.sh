#!/usr/bin/env bash
# A failing build: exit status 1, status failed, buildResult = the script's
# exit code, its log kept; a script killed by a signal is failed too.
. "$(dirname "$0")/lib.sh"

project team/broken <<'SH'
#!/bin/sh
echo "compiling"
echo "error: it broke" >&2
exit 7
SH
set +e
aft build team/broken --follow > "$T/out" 2> "$T/err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "exit status $rc, want 1"
id=$(head -1 "$T/out")
grep -q "failed" "$T/err" || fail "no summary on stderr: $(cat "$T/err")"
[ "$(field "$id" status)" = failed ] || fail "status"
[ "$(field "$id" buildResult)" = 7 ] || fail "buildResult"
aft logs "$id" | grep -qx "error: it broke" || fail "log"

project team/killed <<'SH'
#!/bin/sh
echo "about to die"
kill -SEGV $$
SH
set +e
aft build team/killed --follow > "$T/out2" 2>/dev/null
rc=$?
set -e
[ $rc -eq 1 ] || fail "killed build: exit status $rc, want 1"
id=$(head -1 "$T/out2")
[ "$(field "$id" buildResult)" = 139 ] || fail "buildResult of a SIGSEGV: $(field "$id" buildResult)"
no_strays
echo ok
