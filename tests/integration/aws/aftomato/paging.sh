#!/usr/bin/env bash
# Paging through many builds of one project: 260 records written by awscli
# (batch-write-item, some sharing a buildTime) come back from aftomato newest
# first, each exactly once, whatever the limit; --limit takes the newest.
. "$(dirname "$0")/lib.sh"

P=$TEAM/many
project "$P" <<'SH'
#!/bin/sh
true
SH
n=260
python3 - "$P" "$n" "$T/batches" <<'PY'
import json, os, sys
p, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out)
items = []
for i in range(n):
    bid = "%08x-%04x-4000-8000-%012x" % (os.getpid(), i % 65536, i)
    items.append({"PutRequest": {"Item": {
        "buildID": {"S": bid}, "projectKey": {"S": p},
        "buildTime": {"N": str(1700000000 + i // 3)}, "branch": {"S": "b%d" % i},
        "isBuilding": {"N": "0"}, "status": {"S": "succeeded"},
        "buildResult": {"N": "0"}, "buildElapsedTime": {"N": str(i)}}}})
for k in range(0, n, 25):
    with open("%s/%03d.json" % (out, k // 25), "w") as f:
        json.dump({"aftomato-build-metadata": items[k:k + 25]}, f)
PY
for f in "$T"/batches/*.json; do
	ddbcli batch-write-item --request-items "file://$f" > /dev/null
done
ok "$n records written by awscli"

aft builds "$P" --limit 1000 --json > "$T/all.json"
python3 - "$T/all.json" "$n" <<'PY' || fail "full listing is wrong"
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
ids = [b["buildID"] for b in d]
assert len(ids) == n, len(ids)
assert len(set(ids)) == n, "duplicates"
times = [b["buildTime"] for b in d]
assert times == sorted(times, reverse=True), "not newest first"
assert times[0] == 1700000000 + (n - 1) // 3
PY
ok "all $n, each once, newest first"

aft builds "$P" --limit 7 --json > "$T/seven.json"
[ "$(json 'len(d)' < "$T/seven.json")" = 7 ] || fail "--limit 7"
[ "$(json '[b["buildID"] for b in d]' < "$T/seven.json")" = "$(json '[b["buildID"] for b in d[:7]]' < "$T/all.json")" ] ||
	fail "--limit 7 is not the newest seven"
aft builds "$P" --limit 150 --json > "$T/p150.json"
[ "$(json '[b["buildID"] for b in d]' < "$T/p150.json")" = "$(json '[b["buildID"] for b in d[:150]]' < "$T/all.json")" ] ||
	fail "--limit 150 (two pages) differs"
# The queries aftomato sent: on the index, newest first, paged.
q=$(admin GET /log?backend=dynamodb | json "len([e for e in d if e['target'] and e['target'].endswith('.Query')])")
[ "$q" -gt 3 ] || fail "expected several Query requests, saw $q"
ok "limits and pages"
echo ok
