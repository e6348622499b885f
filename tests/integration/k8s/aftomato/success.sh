#!/usr/bin/env bash
# A build that succeeds on Kubernetes: a Job with the labels and annotations of
# DESIGN.md §2 runs build.sh in the build container; the log streams live
# (stdout and stderr, environment of §1), is stored whole, artifacts pushed by
# the container are listed and fetched back, the record is final and the Job
# is deleted with propagationPolicy Background.
. "$(dirname "$0")/lib.sh"

DESC='timeoutSeconds: 120
env:
  GREETING: "bonjour $(HOME)"' project team/app <<'SH'
#!/bin/sh
echo "start $PROJECT_KEY $BRANCH_TO_BUILD $BUILD_ID"
echo "to stderr" >&2
i=1; while [ $i -le 5 ]; do echo "line $i $GREETING"; i=$((i+1)); sleep 0.1; done
mkdir -p "$ARTIFACTS_DIR/a/b"
echo "report" > "$ARTIFACTS_DIR/a/b/report.txt"
head -c 100000 /dev/urandom > "$ARTIFACTS_DIR/blob.bin"
cp "$ARTIFACTS_DIR/blob.bin" "$TMPDIR_FOR_TEST/blob-copy" 2>/dev/null || true
printf 'no newline at the end'
SH

out=$T/out.txt
aft build team/app --branch feature/ü-x --follow > "$out" || fail "build exited $?"
id=$(head -1 "$out")
[ ${#id} -eq 36 ] || fail "first line is not a build ID: $id"
sed -n 2p "$out" | grep -qx "start team/app feature/ü-x $id" || fail "environment: $(sed -n 2p "$out")"
grep -qx "to stderr" "$out" || fail "stderr not captured"
grep -qx 'line 5 bonjour $(HOME)' "$out" || fail "descriptor env not passed literally: $(grep 'line 5' "$out")"
tail -1 "$out" | grep -qx "no newline at the end" || fail "last line lost"

aft logs "$id" > "$T/stored.txt"
tail -n +2 "$out" | cmp - "$T/stored.txt" || fail "stored log differs from streamed log"
gz=$DATA/blobs/aftomato-console-logs/team/app/$id.log.gz
zcat "$gz" | cmp - "$T/stored.txt" || fail "gzip log differs"

[ "$(field "$id" status)" = succeeded ] || fail "status $(field "$id" status)"
[ "$(field "$id" buildResult)" = 0 ] || fail "buildResult"
[ "$(field "$id" executor)" = kubernetes ] || fail "executor"
[ "$(field "$id" jobName)" = "aftomato/aftomato-$id" ] || fail "jobName $(field "$id" jobName)"

# Artifacts uploaded by the build container itself.
aft artifacts "$id" > "$T/list.txt"
grep -q ' a/b/report.txt$' "$T/list.txt" || fail "artifact list: $(cat "$T/list.txt")"
grep -q ' blob.bin$' "$T/list.txt" || fail "artifact list: $(cat "$T/list.txt")"
[ "$(aft artifacts get "$id" a/b/report.txt)" = report ] || fail "text artifact"

# The Job as created: labels, annotations, spec (from the request log).
admin GET "/requests?method=POST&path=/jobs" > "$T/req.json"
python3 - "$T/req.json" "$id" <<'PY' || fail "Job spec"
import json, sys
reqs = json.load(open(sys.argv[1]))
reqs = reqs.get("requests", reqs) if isinstance(reqs, dict) else reqs
job = [r["body"] for r in reqs if r["body"].get("kind") == "Job"][-1]
bid = sys.argv[2]
m = job["metadata"]
assert m["name"] == "aftomato-" + bid, m["name"]
l = m["labels"]
assert l["app.kubernetes.io/managed-by"] == "aftomato"
assert l["aftomato.io/build-id"] == bid
assert l["aftomato.io/project"] == "team.app", l
assert l["aftomato.io/branch"] == "feature.---x", l
a = m["annotations"]
assert a["aftomato.io/project-key"] == "team/app"
assert a["aftomato.io/branch"] == "feature/ü-x"
s = job["spec"]
assert s["backoffLimit"] == 0 and s["activeDeadlineSeconds"] == 120
p = s["template"]["spec"]
assert p["restartPolicy"] == "Never"
c = p["containers"][0]
assert c["name"] == "build" and c["image"] == "aftomato/build:test"
env = {e["name"]: e.get("value") for e in c["env"]}
assert env["BUILD_ID"] == bid and env["PROJECT_KEY"] == "team/app"
assert c["envFrom"][0]["secretRef"]["name"] == "aftomato-aws-credentials"
PY

# Cleaned up: the Job is gone, deleted in the background.
wait_until 10 no_job "$id" || fail "Job left behind"
admin GET "/requests?method=DELETE&path=/jobs/" > "$T/del.json"
grep -q '"propagationPolicy":"Background"' "$T/del.json" || fail "delete without Background: $(cat "$T/del.json")"
echo ok
