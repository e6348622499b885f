#!/usr/bin/env bash
# awscli with no other credentials finds them through IMDSv2
# (AWS_EC2_METADATA_SERVICE_ENDPOINT points at our server).
. "$(dirname "$0")/lib.sh"

tok0=$(counter imds token)
cred0=$(counter imds credentials)
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export AWS_EC2_METADATA_SERVICE_ENDPOINT=$AFT_AWS_IMDS_URL/
  who=$(stscli get-caller-identity --query Arn --output text)
  [ "$who" = "arn:aws:sts::123456789012:assumed-role/aftomato-instance-role/i-0a1f7a0c0ffee0001" ] || fail "identity: $who"
  s3cli s3 ls "s3://$AFT_AWS_ARTIFACTS_BUCKET/" >/dev/null || fail "s3 ls with instance credentials"
  ddbcli describe-table --table-name "$AFT_AWS_TABLE" >/dev/null || fail "dynamodb with instance credentials"
) || exit 1
[ $(($(counter imds token) - tok0)) -ge 1 ] || fail "no IMDSv2 session token was requested"
[ $(($(counter imds credentials) - cred0)) -ge 1 ] || fail "no credentials were fetched"
ok "IMDSv2: session token, role name, credentials; accepted by STS, S3, DynamoDB"

# The server refuses IMDSv1 (no token), as an instance requiring v2 does.
code=$(curl -s -o /dev/null -w '%{http_code}' "$AFT_AWS_IMDS_URL/latest/meta-data/iam/security-credentials/")
[ "$code" = 401 ] || fail "IMDSv1 request answered $code"
ok "IMDSv1 refused with 401"
