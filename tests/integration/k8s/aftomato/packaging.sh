#!/usr/bin/env bash
# The packaging of the Kubernetes and AWS set-up: every manifest and the
# CloudFormation template pass yamllint (and cfn-lint where it is installed);
# the namespace, ServiceAccount and credentials Secret template load into the
# test API server with the real kubectl; the Secret reaches a build through
# envFrom without being inlined; and the Role is exactly enough: with every
# other verb forbidden, a build, a cancel and the clean-up all work, and each
# verb it grants is used.
. "$(dirname "$0")/lib.sh"

P=$AFT_SOURCE_DIR/packaging
yamllint -s "$P"/kubernetes/*.yaml "$P"/aws/*.yaml || fail "yamllint"
if command -v cfn-lint >/dev/null; then
	cfn-lint "$P/aws/aftomato.yaml" || fail "cfn-lint"
fi
sh -n "$P/container/entrypoint.sh" || fail "entrypoint syntax"
if command -v shellcheck >/dev/null; then
	shellcheck -s sh "$P/container/entrypoint.sh" || fail "shellcheck entrypoint"
fi

# The objects the test server models, applied with kubectl.
KUBECTL=${KUBECTL:-kubectl}
if command -v "$KUBECTL" >/dev/null; then
	k() { "$KUBECTL" --kubeconfig "$SRV/kubeconfig" --cache-dir "$T/kcache" "$@"; }
	python3 - "$P/kubernetes/aftomato.yaml" "$T/supported.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
keep = [d for d in docs if d["kind"] in ("Namespace", "ServiceAccount")]
yaml.safe_dump_all(keep, open(sys.argv[2], "w"))
PY
	k apply -f "$T/supported.yaml" > "$T/apply.out" 2>&1 || fail "kubectl apply: $(cat "$T/apply.out")"
	k apply -f "$P/kubernetes/credentials-secret.yaml" >> "$T/apply.out" 2>&1 ||
		fail "kubectl apply secret: $(cat "$T/apply.out")"
	k -n aftomato get serviceaccount aftomato-console -o name | grep -qx serviceaccount/aftomato-console ||
		fail "ServiceAccount not loaded"
	k -n aftomato get secret aftomato-aws-credentials -o name | grep -qx secret/aftomato-aws-credentials ||
		fail "Secret not loaded"
else
	fail "kubectl not found"
fi

# Everything the Role does not grant is forbidden for the console's user.
python3 - "$P/kubernetes/aftomato.yaml" > "$T/forbid.txt" <<'PY'
import sys, yaml
role = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Role"][0]
granted = {(r, v) for rule in role["rules"] for r in rule["resources"] for v in rule["verbs"]}
verbs = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
for res in ["jobs", "pods", "pods/log", "configmaps", "secrets", "events", "serviceaccounts",
            "namespaces", "pods/status", "jobs/status"]:
    for v in verbs:
        # The test server applies a rule for "pods" to "pods/log" too (real
        # RBAC does not), so a verb granted on a subresource stays allowed on
        # its parent here.
        if (res, v) not in granted and not any(g[0].startswith(res + "/") and g[1] == v
                                               for g in granted):
            print(res, v)
PY
while read -r res verb; do
	admin POST /rbac/forbid "{\"user\":\"tester\",\"verb\":\"$verb\",\"resource\":\"$res\"}" >/dev/null
done < "$T/forbid.txt"
admin DELETE /requests >/dev/null

project team/pkg <<'SH'
#!/bin/sh
echo "region from the Secret: $AWS_REGION"
[ "$1" = slow ] && sleep 60
echo done
SH
aft build team/pkg --follow > "$T/out" 2> "$T/err" || fail "build with the Role only: $(cat "$T/err")"
grep -qx "region from the Secret: us-west-1" "$T/out" || fail "Secret not passed: $(cat "$T/out")"
id=$(head -1 "$T/out")
wait_until 10 no_job "$id" || fail "clean-up with the Role only"
admin GET "/requests?method=POST&path=/jobs" | grep -q "REPLACE-WITH" && fail "credentials inlined in the Job"

# Cancel works with the Role only.
cat > "$REPO/team/pkg/build.sh" <<'SH'
#!/bin/sh
echo started
sleep 60
SH
bg sh -c "exec \"$AFTOMATO\" build team/pkg --follow > '$T/out2' 2> '$T/err2'"
wait_until 20 grep -qx started "$T/out2" || fail "second build: $(cat "$T/err2")"
aft cancel "$(head -1 "$T/out2")" > /dev/null || fail "cancel with the Role only"

# Every granted verb was needed, and nothing was refused.
admin GET "/requests" > "$T/requests.json"
python3 - "$T/requests.json" "$P/kubernetes/aftomato.yaml" <<'PY' || fail "Role use"
import json, sys, yaml
r = json.load(open(sys.argv[1]))
r = r.get("requests", r) if isinstance(r, dict) else r
role = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d and d["kind"] == "Role"][0]
granted = {(res, v) for rule in role["rules"] for res in rule["resources"] for v in rule["verbs"]}
used = set()
for x in r:
    if x["user"] != "tester":
        continue
    assert x["status"] != 403, ("refused", x["method"], x["path"])
    parts = x["path"].strip("/").split("/")
    q = x.get("query") or {}
    if "namespaces" not in parts:
        continue
    rest = parts[parts.index("namespaces") + 2:]
    res = rest[0] + ("/" + rest[2] if len(rest) > 2 else "")
    verb = {"POST": "create", "DELETE": "delete"}.get(x["method"])
    if x["method"] == "GET":
        verb = "watch" if q.get("watch") in ("1", "true") else ("get" if len(rest) > 1 else "list")
    used.add((res, verb))
missing = granted - used
assert not missing, ("granted but never used", missing)
PY
echo ok
