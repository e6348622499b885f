#!/usr/bin/env bash
# The verifying proxy recomputes every signature: with a wrong secret,
# aftomato's requests are refused and it says so in one line: DynamoDB's
# InvalidSignatureException, STS's and S3's SignatureDoesNotMatch (an assumed
# role whose source key has a wrong secret; a pending log upload). The proxy's
# log shows the refusals as signature mismatches; the secret is never printed.
. "$(dirname "$0")/lib.sh"

P=$TEAM/sig
project "$P" <<'SH'
#!/bin/sh
true
SH
good=$AWS_SECRET_ACCESS_KEY
wrong=WRONG${good:5}
mark=$(admin GET /log | json 'd[-1]["seq"] if d else 0')
mismatches() { admin GET /log | json "len([e for e in d if e['seq'] > $mark and e['verdict'] == 'mismatch'])"; }

AWS_SECRET_ACCESS_KEY=$wrong expect_fail "InvalidSignatureException: The request signature we calculated does not match" aft builds "$P"
! grep -q "Canonical" "$T/err" || fail "the canonical request leaked into the message"
! grep -qF "$wrong" "$T/err" || fail "the wrong secret is in the message"
ok "DynamoDB: $(cat "$T/err.last")"

printf '[src]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" "$wrong" > "$T/credentials"
printf '[profile deploy]\nrole_arn = %s\nsource_profile = src\n' "$AFT_AWS_ROLE_ARN" > "$T/config"
chmod 600 "$T/credentials" "$T/config"
rc=0
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED=true \
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" AWS_PROFILE=deploy \
	"$AFTOMATO" builds "$P" > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 1 ] || [ $rc = 2 ] || fail "STS case: exit $rc: $(cat "$T/err")"
grep -qE "^aftomato: .*STS AssumeRole .*SignatureDoesNotMatch" "$T/err" || fail "STS case: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" -le 2 ] || fail "STS case: $(cat "$T/err")"
! grep -qF "$wrong" "$T/err" || fail "the wrong secret is in the message"
ok "STS: $(grep -m1 SignatureDoesNotMatch "$T/err")"

# S3: a pending console log (as left by an earlier failed upload) is sent at
# start; with the wrong secret, S3 refuses it and the log stays. (DynamoDB's
# answers are delayed so the command is still waiting when S3 answers and the
# worker's notice is printed.)
f=$(fault "{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"/$TEAM/sig/\",\"error\":{\"code\":\"ServiceUnavailable\"},\"count\":-1}")
aft build "$P" --follow > "$T/build.out" 2>/dev/null || true
unfault "$f"
id=$(head -1 "$T/build.out")
wait_until 30 test -f "$DATA/pending/$id/log.gz" || fail "no pending log"
fault "{\"backend\":\"dynamodb\",$UA,\"delay_ms\":3000,\"count\":-1}" > "$T/delay"
AWS_SECRET_ACCESS_KEY=$wrong aft builds "$P" > /dev/null 2> "$T/err" || true
unfault "$(cat "$T/delay")"
grep -qE "^aftomato: S3 PutObject s3://$LOG_BUCKET/$P/$id[^ ]*: SignatureDoesNotMatch" "$T/err" ||
	fail "S3 refusal not reported: $(cat "$T/err")"
[ -f "$DATA/pending/$id/log.gz" ] || fail "the pending log was dropped"
! grep -qF "$wrong" "$T/err" || fail "the wrong secret is in the message"
[ "$(mismatches)" -ge 3 ] || fail "the proxy logged $(mismatches) mismatches"
ok "S3: $(grep SignatureDoesNotMatch "$T/err" | head -1)"
# With the right key it goes through.
aft builds "$P" > /dev/null
wait_until 20 test ! -e "$DATA/pending/$id" || fail "pending log not uploaded with the right key"
echo ok
