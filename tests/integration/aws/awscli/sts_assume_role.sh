#!/usr/bin/env bash
# STS AssumeRole: "aws sts assume-role" and a profile with role_arn +
# source_profile (awscli's own STS client, pointed at our STS through
# AWS_DATA_PATH); the issued credentials then work on S3 and DynamoDB.
. "$(dirname "$0")/lib.sh"
bucket=$AFT_AWS_ARTIFACTS_BUCKET

out=$(stscli assume-role --role-arn "$AFT_AWS_ROLE_ARN" --role-session-name "cli-$$" --duration-seconds 900 --output json)
akid=$(echo "$out" | json 'd["Credentials"]["AccessKeyId"]')
case "$akid" in ASIA*) ;; *) fail "assume-role returned access key '$akid'" ;; esac
arn=$(echo "$out" | json 'd["AssumedRoleUser"]["Arn"]')
[ "$arn" = "arn:aws:sts::123456789012:assumed-role/aftomato-test/cli-$$" ] || fail "AssumedRoleUser.Arn: $arn"
exp=$(echo "$out" | json 'd["Credentials"]["Expiration"]')
left=$(python3 -c "import datetime,sys; e=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print(int((e-datetime.datetime.now(datetime.timezone.utc)).total_seconds()))" "$exp")
[ "$left" -gt 800 ] && [ "$left" -le 900 ] || fail "Expiration $exp is $left s away, wanted ~900"
(
  export AWS_ACCESS_KEY_ID=$akid
  AWS_SECRET_ACCESS_KEY=$(echo "$out" | json 'd["Credentials"]["SecretAccessKey"]')
  AWS_SESSION_TOKEN=$(echo "$out" | json 'd["Credentials"]["SessionToken"]')
  export AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  s3cli s3 ls "s3://$bucket/" >/dev/null || fail "s3 ls with assumed-role credentials"
  ddbcli describe-table --table-name "$AFT_AWS_TABLE" >/dev/null || fail "dynamodb with assumed-role credentials"
  who=$(stscli get-caller-identity --query Arn --output text)
  [ "$who" = "$arn" ] || fail "get-caller-identity with assumed-role credentials: $who"
  unset AWS_SESSION_TOKEN
  expect_error InvalidToken s3cli s3 ls "s3://$bucket/"
) || exit 1
ok "aws sts assume-role: credentials issued and accepted by S3, DynamoDB and STS"

expect_error AccessDenied stscli assume-role --role-arn arn:aws:iam::123456789012:role/not-allowed --role-session-name x-$$
ok "unknown role refused (AccessDenied)"

cat > "$work/config" <<CFG
[profile source]
region = $AWS_REGION
[profile builder]
role_arn = $AFT_AWS_ROLE_ARN
source_profile = source
role_session_name = profile-$$
region = $AWS_REGION
CFG
cat > "$work/credentials" <<CFG
[source]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
CFG
before=$(counter sts AssumeRole)
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials AWS_PROFILE=builder
  export AWS_DATA_PATH=$AFT_AWS_DATA_PATH
  who=$(stscli get-caller-identity --query Arn --output text)
  [ "$who" = "arn:aws:sts::123456789012:assumed-role/aftomato-test/profile-$$" ] || fail "profile identity: $who"
  s3cli s3 ls "s3://$bucket/" >/dev/null || fail "s3 ls with the role profile"
) || exit 1
after=$(counter sts AssumeRole)
[ $((after - before)) -ge 1 ] || fail "the profile did not call AssumeRole"
ok "profile with role_arn + source_profile: AssumeRole signed by the source key, role identity used"

(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  sed -i "s|^aws_secret_access_key = .*|aws_secret_access_key = wrong|" "$work/credentials"
  rm -rf "$HOME/.aws/cli/cache"
  export AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials AWS_PROFILE=builder
  export AWS_DATA_PATH=$AFT_AWS_DATA_PATH
  expect_error SignatureDoesNotMatch stscli get-caller-identity
) || exit 1
ok "AssumeRole signed with a wrong source secret is refused"
