#!/usr/bin/env bash
# awscli's container credential provider (ECS / EKS Pod Identity style):
# AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN.
. "$(dirname "$0")/lib.sh"

n0=$(counter container credentials)
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export AWS_CONTAINER_CREDENTIALS_FULL_URI=$AFT_AWS_CONTAINER_CREDENTIALS_FULL_URI
  export AWS_CONTAINER_AUTHORIZATION_TOKEN=$AFT_AWS_CONTAINER_AUTHORIZATION_TOKEN
  who=$(stscli get-caller-identity --query Arn --output text)
  [ "$who" = "arn:aws:sts::123456789012:assumed-role/aftomato-task-role/aftomato-task" ] || fail "identity: $who"
  s3cli s3 ls "s3://$AFT_AWS_ARTIFACTS_BUCKET/" >/dev/null || fail "s3 ls with container credentials"
) || exit 1
[ $(($(counter container credentials) - n0)) -ge 1 ] || fail "the container endpoint was not asked"
ok "container credentials: fetched with the authorization token, accepted by STS and S3"

(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export AWS_CONTAINER_CREDENTIALS_FULL_URI=$AFT_AWS_CONTAINER_CREDENTIALS_FULL_URI
  export AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token AWS_EC2_METADATA_DISABLED=true
  if out=$(stscli get-caller-identity 2>&1); then fail "a wrong container token was accepted: $out"; fi
) || exit 1
log=$(admin GET '/log?backend=container' | json '[e["status"] for e in d if e["verdict"] == "bad-token"]')
[ "$log" != "[]" ] || fail "no refused container request in the log"
ok "a wrong authorization token is refused (401)"
