#!/usr/bin/env bash
# A build that succeeds: log streamed live and stored, artifacts (text and
# binary, in sub-directories) stored and fetched back intact, record listed
# newest first, exit status 0.
. "$(dirname "$0")/lib.sh"

DESC='timeoutSeconds: 60
env:
  GREETING: bonjour' project team/app <<'SH'
#!/bin/sh
echo "start $PROJECT_KEY $BRANCH_TO_BUILD $BUILD_ID"
echo "to stderr" >&2
i=1; while [ $i -le 5 ]; do echo "line $i $GREETING"; i=$((i+1)); sleep 0.1; done
mkdir -p "$ARTIFACTS_DIR/a/b" "$ARTIFACTS_DIR/c d"
echo "report" > "$ARTIFACTS_DIR/a/b/report.txt"
head -c 100000 /dev/urandom > "$ARTIFACTS_DIR/c d/blob.bin"
cp "$ARTIFACTS_DIR/c d/blob.bin" "$WORKSPACE/../blob-copy-$BUILD_ID"
printf 'no newline at the end'
SH

out=$T/out.txt
aft build team/app --branch feature/x --follow > "$out" || fail "build exited $?"
id=$(head -1 "$out")
[ ${#id} -eq 36 ] || fail "first line is not a build ID: $id"
sed -n 2p "$out" | grep -qx "start team/app feature/x $id" || fail "environment: $(sed -n 2p "$out")"
grep -qx "to stderr" "$out" || fail "stderr not captured"
grep -qx "line 5 bonjour" "$out" || fail "descriptor env not passed"
[ "$(tail -c 21 "$out")" = "no newline at the end" ] || fail "final partial line lost"

# The stored log is the same as what was streamed.
aft logs "$id" > "$T/stored.txt"
tail -n +2 "$out" | cmp - "$T/stored.txt" || fail "stored log differs from streamed log"
gz=$DATA/blobs/aftomato-console-logs/team/app/$id.log.gz
[ -f "$gz" ] || fail "no $gz"
zcat "$gz" | cmp - "$T/stored.txt" || fail "gzip log differs"
# The arrival times go next to it: 16-byte records, at least one.
tsz=$(zcat "${gz%.gz}.ts.gz" | wc -c)
[ "$tsz" -ge 16 ] && [ $((tsz % 16)) -eq 0 ] || fail "arrival times: $tsz bytes"

# Record.
[ "$(field "${id:0:8}" status)" = succeeded ] || fail "status"
[ "$(field "$id" buildResult)" = 0 ] || fail "buildResult"
[ "$(field "$id" isBuilding)" = 0 ] || fail "isBuilding"
[ "$(field "$id" branch)" = feature/x ] || fail "branch"
[ "$(field "$id" projectKey)" = team/app ] || fail "projectKey"

# A second build is listed first.
id2=$(aft build team/app | head -1)
wait_until 30 status_is "$id2" succeeded || fail "second build did not succeed"
first=$(aft builds team/app --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["buildID"])')
[ "$first" = "$id2" ] || fail "builds not newest first"

# Artifacts round trip.
aft artifacts "$id" > "$T/list.txt"
grep -q ' a/b/report.txt$' "$T/list.txt" || fail "artifact list: $(cat "$T/list.txt")"
grep -q ' c d/blob.bin$' "$T/list.txt" || fail "artifact list: $(cat "$T/list.txt")"
aft artifacts get "$id" "c d/blob.bin" -o "$T/blob.bin" 2>/dev/null
cmp "$T/blob.bin" "$DATA/work/blob-copy-$id" || fail "binary artifact differs"
[ "$(aft artifacts get "$id" a/b/report.txt)" = report ] || fail "text artifact to stdout"
n=$(aft artifacts "$id" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] || fail "artifacts --json has $n entries"

no_strays
# Workspace and run state are gone once archived.
[ ! -e "$DATA/run/$id" ] || fail "run directory left"
[ ! -e "$DATA/work/$id" ] || fail "workspace left"
echo ok
