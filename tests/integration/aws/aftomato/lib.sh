# Helpers for aftomato's integration tests against the AWS test servers
# (fixture "aws"): each test gets its own configuration (store: aws, executor:
# local), build-scripts repository, data directory and project keys, runs the
# real aftomato binary ($AFTOMATO) through its command line, and checks what
# it wrote with Debian's awscli (/usr/bin/aws), by absolute path.
set -euo pipefail

: "${AFTOMATO:?AFTOMATO must name the aftomato binary}"
: "${AFT_TEST_TMP:?}"
: "${AFT_AWS_STATE_DIR:=$AFT_TEST_TMP/aws}"
# shellcheck disable=SC1091
. "$AFT_AWS_STATE_DIR/env"
AWS=/usr/bin/aws
[ -x "$AWS" ] || { echo "FAIL: $AWS is missing (Debian package awscli)" >&2; exit 1; }

T=$(mktemp -d "$AFT_TEST_TMP/aws-aft.XXXXXX")
REPO=$T/repo
DATA=$T/data
export HOME=$T/home XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/xdgdata \
	XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
export AFTOMATO_CONFIG=$T/config.yaml AFTOMATO_KILL_GRACE_MS=${AFTOMATO_KILL_GRACE_MS:-1000}
export AWS_PAGER=
unset AFTOMATO_PROFILE AWS_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
	AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
	AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_DATA_PATH \
	AWS_CA_BUNDLE AWS_ENDPOINT_URL AWS_MAX_ATTEMPTS
mkdir -p "$REPO" "$HOME"
# Unique per run: project keys, and the User-Agent faults match on.
RUN=$(basename "$0" .sh)-$$-$RANDOM
TEAM=t$RANDOM$$
export AWS_EXECUTION_ENV=aft-$RUN
ART_BUCKET=$AFT_AWS_ARTIFACTS_BUCKET
LOG_BUCKET=$AFT_AWS_LOGS_BUCKET
TABLE=$AFT_AWS_TABLE
INDEX=$AFT_AWS_INDEX

. "$(dirname "${BASH_SOURCE[0]}")/../../common.sh"

# write_config [EXTRA_AWS_YAML]: the profile, endpoints from the env file.
write_config() {
	cat > "$AFTOMATO_CONFIG" <<YAML
profile: cloud
profiles:
  cloud:
    executor: local
    store: aws
    build_scripts: $REPO
    data_dir: $DATA
    aws: {region: $AWS_REGION, s3_endpoint_url: "$AWS_ENDPOINT_URL_S3", dynamodb_endpoint_url: "$AWS_ENDPOINT_URL_DYNAMODB"${1:+, $1}}
    s3: {artifacts_bucket: $ART_BUCKET, logs_bucket: $LOG_BUCKET}
    dynamodb: {table: $TABLE, index: $INDEX}
YAML
}
write_config

ok() { echo "ok: $*"; }

# project KEY < build.sh
project() {
	mkdir -p "$REPO/$1"
	cat > "$REPO/$1/build.sh"
	chmod +x "$REPO/$1/build.sh"
	if [ -n "${DESC:-}" ]; then
		printf '%s\n' "$DESC" > "$REPO/$1/project.yaml"
	fi
}

s3cli() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL_S3" "$@"; }
ddbcli() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb "$@"; }

# admin METHOD PATH [JSON]
admin() {
	if [ $# -ge 3 ]; then
		curl -sf -X "$1" -H 'content-type: application/json' --data-binary "$3" "$AFT_AWS_ADMIN_URL$2"
	else
		curl -sf -X "$1" "$AFT_AWS_ADMIN_URL$2"
	fi
}
# fault JSON: adds a rule and prints its id.
fault() { admin POST /faults "$1" | json 'd["ids"][0]'; }
unfault() { admin DELETE "/faults/$1" >/dev/null; }
# UA: a match on this test's requests only (put it in a fault rule).
UA="\"match_headers\":{\"user-agent\":\"exec-env/aft-$RUN\"}"

# json EXPR: evaluates a Python expression over the JSON on stdin (as "d").
json() { python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if isinstance(r,str) else json.dumps(r))' "$1"; }

# ddb_field ID NAME: one attribute as DynamoDB holds it (awscli get-item)
ddb_field() {
	ddbcli get-item --table-name "$TABLE" --key "{\"buildID\":{\"S\":\"$1\"}}" |
		json "(lambda v: '' if v is None else list(v.values())[0])(d.get('Item',{}).get('$2'))"
}

# log_count PATTERN [METHOD]: request-log entries of this run matching PATTERN in path or target
log_count() {
	admin GET /log | json "len([e for e in d if ('$1' in (e['path'] or '') or '$1' in (e['target'] or '')) and ('${2:-}' in ('', e['method']))])"
}

# expect_fail PATTERN COMMAND...: the command fails (exit 1 or 2, not a crash)
# with a one-line error containing PATTERN (grep -E) on stderr, and no
# secret. Background work may add its own one-line notice (the same outage
# seen by the worker's pass): every stderr line is an "aftomato: " line.
expect_fail() {
	local pat=$1 rc=0
	shift
	"$@" > "$T/out" 2> "$T/err" || rc=$?
	[ $rc -ne 0 ] || fail "expected a failure from: $*"
	[ $rc -eq 1 ] || [ $rc -eq 2 ] || fail "exit status $rc from: $* ($(cat "$T/err"))"
	[ "$(wc -l < "$T/err")" -ge 1 ] && [ "$(wc -l < "$T/err")" -le 2 ] ||
		fail "stderr has $(wc -l < "$T/err") lines: $(cat "$T/err")"
	! grep -v '^aftomato: ' "$T/err" | grep -q . || fail "stray stderr output: $(cat "$T/err")"
	tail -1 "$T/err" | grep -qE -- "$pat" || fail "stderr lacks '$pat': $(cat "$T/err")"
	! grep -qF -- "$AWS_SECRET_ACCESS_KEY" "$T/err" || fail "the secret key is in the message"
	tail -1 "$T/err" > "$T/err.last"
}

cleanup() {
	pkill -KILL -f -- "$T" 2>/dev/null || true
	if [ "${KEEP_TMP:-0}" != 1 ]; then
		rm -rf "$T" 2>/dev/null || true
	fi
}
trap cleanup EXIT
