#!/usr/bin/env bash
# Credentials from each provider of the chain, through the command line:
# environment, a profile's keys in the credentials file (a file readable by
# others gets a warning, as ssh gives), an assumed role (role_arn +
# source_profile), credential_process, web identity (AWS_ROLE_ARN +
# AWS_WEB_IDENTITY_TOKEN_FILE, as on EKS), container credentials, and the EC2
# instance profile through IMDSv2; every time aftomato lists builds, and the
# servers' counters show the provider was used.
. "$(dirname "$0")/lib.sh"

P=$TEAM/creds
project "$P" <<'SH'
#!/bin/sh
true
SH
counter() { admin GET /counters | json "d.get('$1',{}).get('$2',0)"; }
# run_with ENV...: `aftomato builds` with only the given credential source.
run_with() {
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED=true \
		AWS_CONFIG_FILE="$T/none" AWS_SHARED_CREDENTIALS_FILE="$T/none" "$@" \
		"$AFTOMATO" builds "$P" > "$T/out" 2> "$T/err"
}

aft builds "$P" > /dev/null 2> "$T/err" || fail "environment: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "unexpected stderr: $(cat "$T/err")"
ok "environment"

printf '[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$T/credentials"
chmod 644 "$T/credentials"
run_with AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_PROFILE=ci || fail "profile: $(cat "$T/err")"
grep -q "^aftomato: AWS credentials file $T/credentials is readable by others (mode 0644); restrict it with chmod 600$" "$T/err" ||
	fail "no warning for a readable credentials file: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" = 1 ] || fail "warning more than once: $(cat "$T/err")"
! grep -qF "$AWS_SECRET_ACCESS_KEY" "$T/err" || fail "secret in the warning"
chmod 600 "$T/credentials"
run_with AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_PROFILE=ci || fail "profile: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "warning for a private file: $(cat "$T/err")"
# The profile named in aftomato's configuration (aws.profile) works the same.
write_config "profile: ci"
run_with AWS_SHARED_CREDENTIALS_FILE="$T/credentials" || fail "aws.profile: $(cat "$T/err")"
write_config
ok "profile keys (warning for mode 0644, none for 0600; AWS_PROFILE and aws.profile)"

printf '[profile deploy]\nrole_arn = %s\nsource_profile = ci\n' "$AFT_AWS_ROLE_ARN" > "$T/config"
n=$(counter sts AssumeRole)
run_with AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" AWS_PROFILE=deploy \
	AWS_ENDPOINT_URL_STS="$AWS_ENDPOINT_URL_STS" || fail "assumed role: $(cat "$T/err")"
[ "$(counter sts AssumeRole)" -gt "$n" ] || fail "STS AssumeRole not called"
ok "role_arn + source_profile -> STS AssumeRole"

cat > "$T/proc.sh" <<SH
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
SH
chmod 700 "$T/proc.sh"
printf '[profile proc]\ncredential_process = %s\n' "$T/proc.sh" > "$T/config"
run_with AWS_CONFIG_FILE="$T/config" AWS_PROFILE=proc || fail "credential_process: $(cat "$T/err")"
ok "credential_process"

n=$(counter sts AssumeRoleWithWebIdentity)
run_with AWS_ROLE_ARN="$AFT_AWS_WEB_IDENTITY_ROLE_ARN" AWS_WEB_IDENTITY_TOKEN_FILE="$AFT_AWS_WEB_IDENTITY_TOKEN_FILE" \
	AWS_ENDPOINT_URL_STS="$AWS_ENDPOINT_URL_STS" || fail "web identity: $(cat "$T/err")"
[ "$(counter sts AssumeRoleWithWebIdentity)" -gt "$n" ] || fail "AssumeRoleWithWebIdentity not called"
ok "web identity"

n=$(counter container credentials)
run_with AWS_CONTAINER_CREDENTIALS_FULL_URI="$AFT_AWS_CONTAINER_CREDENTIALS_FULL_URI" \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$AFT_AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" ||
	fail "container: $(cat "$T/err")"
[ "$(counter container credentials)" -gt "$n" ] || fail "container endpoint not called"
ok "container credentials"

n=$(counter imds token)
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE="$T/none" \
	AWS_SHARED_CREDENTIALS_FILE="$T/none" AWS_EC2_METADATA_SERVICE_ENDPOINT="$AWS_EC2_METADATA_SERVICE_ENDPOINT" \
	"$AFTOMATO" builds "$P" > "$T/out" 2> "$T/err" || fail "IMDS: $(cat "$T/err")"
[ "$(counter imds token)" -gt "$n" ] || fail "IMDSv2 token not asked for"
ok "instance profile (IMDSv2)"

run_with || true
grep -q "no AWS credentials found" "$T/err" || fail "no credentials: $(cat "$T/err")"
ok "none: $(tail -1 "$T/err")"
echo ok
