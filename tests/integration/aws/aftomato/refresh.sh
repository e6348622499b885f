#!/usr/bin/env bash
# Temporary credentials are refreshed before they expire, on the worker, and
# nothing in flight is disturbed: on a private server instance whose STS hands
# out 8-second credentials, aftomato (web identity, as a build pod on EKS)
# runs a 20-second build (records created, claimed and finished in DynamoDB,
# log and artifacts sent to S3) and then pushes artifacts whose uploads the
# servers slow down to 3 s each. Every request is accepted (no expired-token
# refusal in the servers' log) and STS was asked several times.
. "$(dirname "$0")/lib.sh"

PRIV=$T/aws
AFT_AWS_TTL_SECONDS=8 "$(dirname "$0")/../../../servers/aws/start.sh" "$PRIV" > /dev/null ||
	fail "cannot start a private server instance"
trap '"$(dirname "$0")/../../../servers/aws/stop.sh" "$PRIV" >/dev/null 2>&1; cleanup' EXIT
# shellcheck disable=SC1091
. "$PRIV/env"
write_config
static_key=$AWS_ACCESS_KEY_ID static_secret=$AWS_SECRET_ACCESS_KEY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_ROLE_ARN=$AFT_AWS_WEB_IDENTITY_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE=$AFT_AWS_WEB_IDENTITY_TOKEN_FILE
export AWS_EC2_METADATA_DISABLED=true
awsstatic() { AWS_ACCESS_KEY_ID=$static_key AWS_SECRET_ACCESS_KEY=$static_secret \
	env -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE "$AWS" "$@"; }

P=$TEAM/slow
project "$P" <<'SH'
#!/bin/sh
i=1; while [ $i -le 20 ]; do echo "tick $i"; sleep 1; i=$((i+1)); done
mkdir -p "$ARTIFACTS_DIR"; echo result > "$ARTIFACTS_DIR/result.txt"
SH
aft build "$P" --follow > "$T/out" 2> "$T/err" || fail "build exited $? ($(cat "$T/err"))"
id=$(head -1 "$T/out")
grep -qx "tick 20" "$T/out" || fail "log incomplete"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
[ "$(field "$id" status)" = succeeded ] || fail "status"
item=$(awsstatic --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb get-item --table-name "$TABLE" \
	--key "{\"buildID\":{\"S\":\"$id\"}}")
[ "$(echo "$item" | json "d['Item']['status']['S']")" = succeeded ] || fail "record: $item"
wait_until 30 test ! -e "$DATA/pending/$id" || fail "log still pending"
awsstatic --endpoint-url "$AWS_ENDPOINT_URL_S3" s3 cp --only-show-errors "s3://$LOG_BUCKET/$P/$id.log.gz" "$T/log.gz"
zcat "$T/log.gz" | grep -qx "tick 20" || fail "archived log"
sts=$(admin GET /counters | json "d.get('sts',{}).get('AssumeRoleWithWebIdentity',0)")
[ "$sts" -ge 3 ] || fail "credentials were not refreshed (STS called $sts times)"
ok "20 s build across refreshes (STS asked $sts times)"

mkdir -p "$T/push"
for i in 1 2 3 4 5 6; do head -c 300000 /dev/urandom > "$T/push/f$i.bin"; done
f=$(fault "{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"/$TEAM/slow/\",\"delay_ms\":3000,\"count\":-1}")
before=$(admin GET /counters | json "d.get('sts',{}).get('AssumeRoleWithWebIdentity',0)")
start=$(date +%s)
aft artifacts push "$id" "$T/push" > "$T/push.out" 2> "$T/err" || fail "push: $(cat "$T/err")"
took=$(( $(date +%s) - start ))
unfault "$f"
grep -qx "stored 6 files" "$T/push.out" || fail "push said $(cat "$T/push.out")"
after=$(admin GET /counters | json "d.get('sts',{}).get('AssumeRoleWithWebIdentity',0)")
[ "$took" -ge 6 ] || fail "the slow uploads took only $took s"
[ "$after" -gt "$before" ] || fail "no refresh during the $took s push"
for i in 1 2 3 4 5 6; do
	awsstatic --endpoint-url "$AWS_ENDPOINT_URL_S3" s3 cp --only-show-errors "s3://$ART_BUCKET/$P/$id/f$i.bin" "$T/back"
	cmp "$T/push/f$i.bin" "$T/back" || fail "f$i.bin differs"
done
expired=$(admin GET /log | json "len([e for e in d if e['verdict'] in ('expired-token', 'bad-token', 'unknown-key')])")
[ "$expired" = 0 ] || fail "$expired requests were refused for their credentials"
ok "slow uploads ($took s) across a refresh, all accepted"
echo ok
