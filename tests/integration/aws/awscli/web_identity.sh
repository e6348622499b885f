#!/usr/bin/env bash
# AssumeRoleWithWebIdentity through awscli's AWS_ROLE_ARN +
# AWS_WEB_IDENTITY_TOKEN_FILE provider (as in an EKS pod).
. "$(dirname "$0")/lib.sh"

before=$(counter sts AssumeRoleWithWebIdentity)
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export AWS_DATA_PATH=$AFT_AWS_DATA_PATH AWS_ROLE_ARN=$AFT_AWS_WEB_IDENTITY_ROLE_ARN
  export AWS_WEB_IDENTITY_TOKEN_FILE=$AFT_AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_SESSION_NAME=pod-$$
  who=$(stscli get-caller-identity --query Arn --output text)
  [ "$who" = "arn:aws:sts::123456789012:assumed-role/aftomato-web-identity/pod-$$" ] || fail "identity: $who"
  s3cli s3 ls "s3://$AFT_AWS_ARTIFACTS_BUCKET/" >/dev/null || fail "s3 ls with web identity credentials"
) || exit 1
after=$(counter sts AssumeRoleWithWebIdentity)
[ $((after - before)) -ge 1 ] || fail "AssumeRoleWithWebIdentity was not called"
ok "web identity: token file exchanged for role credentials, used on STS and S3"

echo "forged.token.value" > "$work/forged-token"
rm -rf "$HOME/.aws/cli/cache" # awscli caches the role credentials it got
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  export AWS_DATA_PATH=$AFT_AWS_DATA_PATH AWS_ROLE_ARN=$AFT_AWS_WEB_IDENTITY_ROLE_ARN
  export AWS_WEB_IDENTITY_TOKEN_FILE=$work/forged-token AWS_ROLE_SESSION_NAME=pod-$$
  expect_error InvalidIdentityToken stscli get-caller-identity
) || exit 1
ok "a token other than the known one is refused (InvalidIdentityToken)"
