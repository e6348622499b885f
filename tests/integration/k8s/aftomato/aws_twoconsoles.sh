#!/usr/bin/env bash
# The production set-up: executor kubernetes with store aws (DynamoDB + S3
# behind the signature-checking proxy). Two consoles with their own data
# directories follow one build; the build container uploads its artifacts
# with the credentials of the Secret; both consoles finalise, the conditional
# record update lets exactly one win, and the console log in S3 is complete
# and the same as what both showed.
. "$(dirname "$0")/lib.sh"
: "${AFT_AWS_STATE_DIR:=$AFT_TEST_TMP/aws}"
# shellcheck disable=SC1091
. "$AFT_AWS_STATE_DIR/env"
AWS=/usr/bin/aws
export AWS_PAGER=
unset AWS_PROFILE AWS_SESSION_TOKEN
TEAM=t$RANDOM$$

aws_config() { # FILE DATA_DIR
	cat > "$1" <<YAML
profile: prod
profiles:
  prod:
    executor: kubernetes
    store: aws
    build_scripts: $REPO
    data_dir: $2
    kubernetes: {kubeconfig: $SRV/kubeconfig, namespace: aftomato}
    aws: {region: $AWS_REGION, s3_endpoint_url: "$AWS_ENDPOINT_URL_S3", dynamodb_endpoint_url: "$AWS_ENDPOINT_URL_DYNAMODB"}
    s3: {artifacts_bucket: $AFT_AWS_ARTIFACTS_BUCKET, logs_bucket: $AFT_AWS_LOGS_BUCKET}
    dynamodb: {table: $AFT_AWS_TABLE, index: $AFT_AWS_INDEX}
YAML
}
aws_config "$T/a.yaml" "$T/data-a"
aws_config "$T/b.yaml" "$T/data-b"

# The build containers' credentials, in the Secret the Job references.
b64() { printf '%s' "$1" | base64 -w0; }
cat > "$T/secret.json" <<JSON
{"apiVersion":"v1","kind":"Secret","metadata":{"name":"aftomato-aws-credentials"},
 "data":{"AWS_ACCESS_KEY_ID":"$(b64 "$AWS_ACCESS_KEY_ID")",
         "AWS_SECRET_ACCESS_KEY":"$(b64 "$AWS_SECRET_ACCESS_KEY")"}}
JSON
curl -fsS --cacert "$K8S_TEST_CA" -H "Authorization: Bearer $K8S_TEST_TOKEN_OTHER" \
	-H 'Content-Type: application/json' --data-binary @"$T/secret.json" \
	"$K8S_TEST_URL/api/v1/namespaces/aftomato/secrets" >/dev/null || fail "create the Secret"

project "$TEAM/app" <<'SH'
#!/bin/sh
i=1; while [ $i -le 40 ]; do echo "cloud line $i"; i=$((i+1)); sleep 0.05; done
echo "artifact of $BUILD_ID" > "$ARTIFACTS_DIR/result.txt"
SH
seq0=$(curl -fsS "$AFT_AWS_ADMIN_URL/log" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[-1]["seq"] if d else 0)')
bg sh -c "AFTOMATO_CONFIG='$T/a.yaml' exec \"$AFTOMATO\" build $TEAM/app --follow > '$T/a' 2> '$T/a.err'"
a=${BG_PIDS[-1]}
wait_until 30 grep -qx "cloud line 3" "$T/a" || fail "build did not start: $(cat "$T/a.err")"
id=$(head -1 "$T/a")
bg sh -c "AFTOMATO_CONFIG='$T/b.yaml' exec \"$AFTOMATO\" logs $id --follow > '$T/b' 2> '$T/b.err'"
b=${BG_PIDS[-1]}
wait "$a" || fail "console a exited $?: $(cat "$T/a.err")"
wait "$b" || fail "console b exited $?: $(cat "$T/b.err")"
[ "$(grep -c '^cloud line' "$T/b")" = 40 ] || fail "console b: $(grep -c '^cloud line' "$T/b") lines"
tail -n +2 "$T/a" | cmp - "$T/b" || fail "the consoles saw different logs"

"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3 cp \
	"s3://$AFT_AWS_LOGS_BUCKET/$TEAM/app/$id.log.gz" "$T/log.gz" >/dev/null || fail "no log in S3"
zcat "$T/log.gz" | cmp - "$T/b" || fail "the log in S3 differs"
"$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" s3 cp \
	"s3://$AFT_AWS_ARTIFACTS_BUCKET/$TEAM/app/$id/result.txt" - > "$T/art" || fail "no artifact"
grep -qx "artifact of $id" "$T/art" || fail "artifact: $(cat "$T/art")"
status=$("$AWS" --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb get-item \
	--table-name "$AFT_AWS_TABLE" --key "{\"buildID\":{\"S\":\"$id\"}}" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["Item"]["status"]["S"])')
[ "$status" = succeeded ] || fail "record: $status"

# Both consoles tried to record the end; the condition let one through.
curl -fsS "$AFT_AWS_ADMIN_URL/log?since=$seq0" > "$T/awslog.json"
python3 - "$T/awslog.json" <<'PY' || fail "not finalised exactly once"
import json, sys
d = json.load(open(sys.argv[1]))
upd = [e for e in d if (e.get("target") or "").endswith(".UpdateItem")]
won = [e for e in upd if e["status"] == 200]
lost = [e for e in upd if e["status"] == 400]
# the claim (queued -> running) and one end won; the other end lost its condition
assert len(won) == 2 and len(lost) == 1, [e["status"] for e in upd]
PY
echo ok
