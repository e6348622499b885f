# Helpers for the awscli tests: sourced by each test script.
# Needs AFT_AWS_STATE_DIR (a running tests/servers/aws instance) and uses
# Debian's awscli v2 by absolute path (another "aws" may come first in PATH).
set -euo pipefail

: "${AFT_AWS_STATE_DIR:?AFT_AWS_STATE_DIR must name a running instance (tests/servers/aws/start.sh)}"
# shellcheck disable=SC1091
. "$AFT_AWS_STATE_DIR/env"
AWS=/usr/bin/aws
[ -x "$AWS" ] || { echo "FAIL: $AWS is missing (Debian package awscli)" >&2; exit 1; }

work=$(mktemp -d "${AFT_TEST_TMP:-/tmp}/awscli.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A private HOME: awscli caches assumed-role credentials under ~/.aws/cli.
export HOME=$work/home
mkdir -p "$HOME"
export AWS_PAGER=
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
  AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
  AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_DATA_PATH AWS_CA_BUNDLE AWS_ENDPOINT_URL
# Unique key prefix per run, so tests can share the instance and run in parallel.
run_id=$(basename "$0" .sh)-$$-$RANDOM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

s3cli() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" "$@"; }
ddbcli() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb "$@"; }
stscli() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL_STS" sts "$@"; }

# admin METHOD PATH [JSON]
admin() {
  if [ $# -ge 3 ]; then
    curl -sf -X "$1" -H 'content-type: application/json' --data-binary "$3" "$AFT_AWS_ADMIN_URL$2"
  else
    curl -sf -X "$1" "$AFT_AWS_ADMIN_URL$2"
  fi
}

# json EXPR: evaluates a Python expression over the JSON on stdin (as "d").
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if isinstance(r,str) else json.dumps(r))' "$1"; }

# expect_error CODE COMMAND...: COMMAND must fail and name the error CODE.
expect_error() {
  local code=$1 out
  shift
  if out=$("$@" 2>&1); then fail "expected $code from: $*; it succeeded: $out"; fi
  case "$out" in *"($code)"* | *"$code"*) ;; *) fail "expected $code from: $*; got: $out" ;; esac
}

# counter GROUP NAME: a request counter of the servers (0 when unset).
counter() { admin GET /counters | json "d.get('$1',{}).get('$2',0)"; }
