#!/usr/bin/env bash
# Starts the AWS test servers for one test run and waits until they are ready:
#   s3rver and dynalite (in memory) on free loopback ports, behind the
#   SigV4-verifying proxy; the STS, IMDSv2 and container credential servers
#   and the admin API (all in the proxy's process).
# Then creates the product's buckets and table through the proxy with
# Debian's awscli, and writes:
#   STATE_DIR/env   shell "export" lines (endpoints, credentials, admin URL)
#   STATE_DIR/pid   the server process ids, one per line (stop.sh uses it)
#
# usage: start.sh STATE_DIR
# Environment: AFT_AWS_TTL_SECONDS (lifetime of issued credentials, default
# 3600), AFT_AWS_MAX_LIFETIME_SECONDS (servers exit by themselves after it,
# default 6 hours), AFT_AWS_SKIP_RESOURCES=1 (do not create buckets/table).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1"
state=$(cd "$1" && pwd)
AWS=/usr/bin/aws
region=us-west-1
lifetime=${AFT_AWS_MAX_LIFETIME_SECONDS:-21600}

die() {
  echo "start.sh: $*" >&2
  for f in s3rver dynalite server; do
    [ -s "$state/$f.log" ] && { echo "--- $f.log (tail)" >&2; tail -n 20 "$state/$f.log" >&2; }
  done
  "$here/stop.sh" "$state" >/dev/null 2>&1 || true
  exit 1
}

command -v node >/dev/null || die "node is not installed (packaging/setup.sh installs it)"
[ -x "$AWS" ] || die "$AWS is missing (Debian package awscli; packaging/setup.sh installs it)"
[ -d "$here/node_modules/s3rver" ] && [ -d "$here/node_modules/dynalite" ] ||
  die "npm packages missing: run packaging/setup.sh (npm ci in tests/servers/aws)"

# A previous instance in the same directory is stopped first.
[ -f "$state/pid" ] && "$here/stop.sh" "$state" >/dev/null 2>&1 || true
rm -rf "$state/s3data" "$state/spool" "$state"/*.port "$state/ports.json" "$state/env"
: > "$state/pid"

# wait_file FILE PID: waits up to 30 s for FILE while PID lives.
wait_file() {
  local i
  for i in $(seq 1 300); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

launch() { # launch NAME ARGS... -> pid on stdout
  local name=$1
  shift
  setsid "$@" </dev/null >>"$state/$name.log" 2>&1 &
  echo $! >> "$state/pid"
  echo $!
}

pid=$(launch s3rver node --openssl-legacy-provider "$here/bin/s3rver.js" "$state/s3data" "$state/s3rver.port" "$lifetime")
wait_file "$state/s3rver.port" "$pid" || die "s3rver did not start"
pid=$(launch dynalite node "$here/bin/dynalite.js" "$state/dynalite.port" "$lifetime")
wait_file "$state/dynalite.port" "$pid" || die "dynalite did not start"

rand() { node -e "const c=require('crypto');const a=process.argv[1];let s='';for(const b of c.randomBytes(+process.argv[2]))s+=a[b%a.length];process.stdout.write(s)" "$1" "$2"; }
access_key=AKIAAFTOMATOTEST0001
secret_key=$(rand 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/' 40)
container_token=$(rand 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789' 32)
web_token="eyJhbGciOiJSUzI1NiJ9.$(rand 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-' 120).$(rand 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-' 86)"
role_arn=arn:aws:iam::123456789012:role/aftomato-test
web_role_arn=arn:aws:iam::123456789012:role/aftomato-web-identity
container_path=/v2/credentials/$(node -e "process.stdout.write(require('crypto').randomUUID())")
printf '%s\n' "$web_token" > "$state/web-identity-token"
printf '%s' "$container_token" > "$state/container-token"
ttl=${AFT_AWS_TTL_SECONDS:-null}

node -e '
const [file, ...v] = process.argv.slice(1);
const [s3, ddb, key, secret, ttl, roleArn, webRoleArn, tokenFile, cpath, ctoken, state, region, lifetime] = v;
require("fs").writeFileSync(file, JSON.stringify({
  region, account: "123456789012",
  upstream: { s3: +s3, dynamodb: +ddb },
  keys: [{ accessKeyId: key, secretAccessKey: secret, arn: "arn:aws:iam::123456789012:user/aftomato-test" }],
  roles: [roleArn, webRoleArn],
  webIdentityTokenFile: tokenFile,
  containerPath: cpath, containerToken: ctoken,
  credentialTtlSeconds: ttl === "null" ? null : +ttl,
  portsFile: state + "/ports.json", spoolDir: state + "/spool",
  maxLifetimeSeconds: +lifetime,
}, null, 1));
' "$state/config.json" "$(cat "$state/s3rver.port")" "$(cat "$state/dynalite.port")" \
  "$access_key" "$secret_key" "$ttl" "$role_arn" "$web_role_arn" "$state/web-identity-token" \
  "$container_path" "$container_token" "$state" "$region" "$lifetime"

pid=$(launch server node "$here/bin/server.js" "$state/config.json")
wait_file "$state/ports.json" "$pid" || die "the proxy/credential server did not start"
port() { node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1]))[process.argv[2]]))' "$state/ports.json" "$1"; }
s3=http://127.0.0.1:$(port s3)
ddb=http://127.0.0.1:$(port dynamodb)
sts=http://127.0.0.1:$(port sts)
imds=http://127.0.0.1:$(port imds)
container=http://127.0.0.1:$(port container)
admin=http://127.0.0.1:$(port admin)

# awscli v2.9 has no per-service endpoint variables; its internal STS client
# (assume-role profiles, web identity) is pointed at our STS through an
# endpoint rule set in a botocore data directory (AWS_DATA_PATH).
mkdir -p "$state/botocore-data/sts/2011-06-15"
node -e '
const [src, dst, url] = process.argv.slice(1);
const rs = JSON.parse(require("fs").readFileSync(src));
rs.rules = [
  { conditions: [{ fn: "isSet", argv: [{ ref: "Endpoint" }] }], endpoint: { url: { ref: "Endpoint" }, properties: {}, headers: {} }, type: "endpoint" },
  { conditions: [], endpoint: { url, properties: {}, headers: {} }, type: "endpoint" },
];
require("fs").writeFileSync(dst, JSON.stringify(rs));
' /usr/lib/python3/dist-packages/awscli/botocore/data/sts/2011-06-15/endpoint-rule-set-1.json \
  "$state/botocore-data/sts/2011-06-15/endpoint-rule-set-1.json" "$sts"

printf '[default]\nregion = %s\ns3 =\n    addressing_style = path\n' "$region" > "$state/aws-config"
: > "$state/aws-credentials"

cat > "$state/env" <<EOF
# AWS test servers ($state), written by tests/servers/aws/start.sh
export AWS_ACCESS_KEY_ID='$access_key'
export AWS_SECRET_ACCESS_KEY='$secret_key'
export AWS_REGION='$region'
export AWS_DEFAULT_REGION='$region'
export AWS_CONFIG_FILE='$state/aws-config'
export AWS_SHARED_CREDENTIALS_FILE='$state/aws-credentials'
export AWS_ENDPOINT_URL_S3='$s3'
export AWS_ENDPOINT_URL_DYNAMODB='$ddb'
export AWS_ENDPOINT_URL_STS='$sts'
export AWS_EC2_METADATA_SERVICE_ENDPOINT='$imds/'
export AFT_AWS_IMDS_URL='$imds'
export AFT_AWS_CONTAINER_CREDENTIALS_FULL_URI='$container$container_path'
export AFT_AWS_CONTAINER_CREDENTIALS_RELATIVE_URI='$container_path'
export AFT_AWS_CONTAINER_CREDENTIALS_HOST='$container'
export AFT_AWS_CONTAINER_AUTHORIZATION_TOKEN='$container_token'
export AFT_AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE='$state/container-token'
export AFT_AWS_ROLE_ARN='$role_arn'
export AFT_AWS_WEB_IDENTITY_ROLE_ARN='$web_role_arn'
export AFT_AWS_WEB_IDENTITY_TOKEN_FILE='$state/web-identity-token'
export AFT_AWS_DATA_PATH='$state/botocore-data'
export AFT_AWS_ADMIN_URL='$admin'
export AFT_AWS_STATE_DIR='$state'
export AFT_AWS_ARTIFACTS_BUCKET='aftomato-build-artifacts'
export AFT_AWS_LOGS_BUCKET='aftomato-console-logs'
export AFT_AWS_TABLE='aftomato-build-metadata'
export AFT_AWS_INDEX='projectKey-buildTime-index'
EOF

if [ "${AFT_AWS_SKIP_RESOURCES:-0}" != 1 ]; then
  awsq() {
    env -u AWS_PROFILE AWS_ACCESS_KEY_ID="$access_key" AWS_SECRET_ACCESS_KEY="$secret_key" \
      AWS_REGION=$region AWS_DEFAULT_REGION=$region AWS_CONFIG_FILE="$state/aws-config" \
      AWS_SHARED_CREDENTIALS_FILE="$state/aws-credentials" AWS_EC2_METADATA_DISABLED=true \
      AWS_PAGER= "$AWS" "$@" >>"$state/awscli.log" 2>&1
  }
  for b in aftomato-build-artifacts aftomato-console-logs; do
    awsq s3api create-bucket --endpoint-url "$s3" --bucket "$b" \
      --create-bucket-configuration LocationConstraint=$region || die "creating bucket $b failed (see $state/awscli.log)"
  done
  awsq dynamodb create-table --endpoint-url "$ddb" --table-name aftomato-build-metadata \
    --attribute-definitions AttributeName=buildID,AttributeType=S \
    AttributeName=projectKey,AttributeType=S AttributeName=buildTime,AttributeType=N \
    --key-schema AttributeName=buildID,KeyType=HASH \
    --global-secondary-indexes '[{"IndexName":"projectKey-buildTime-index","KeySchema":[{"AttributeName":"projectKey","KeyType":"HASH"},{"AttributeName":"buildTime","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]' \
    --billing-mode PAY_PER_REQUEST || die "creating table aftomato-build-metadata failed (see $state/awscli.log)"
  awsq dynamodb wait table-exists --endpoint-url "$ddb" --table-name aftomato-build-metadata ||
    die "table aftomato-build-metadata did not become active"
fi

echo "AWS test servers ready: S3 $s3, DynamoDB $ddb, STS $sts, IMDS $imds, admin $admin (env: $state/env)"
