#!/usr/bin/env bash
# Benchmark (issue 4): aftomato against Debian's awscli (/usr/bin/aws) on the
# same AWS test servers in the same run (a private instance: s3rver and
# dynalite behind the SigV4-verifying proxy):
#   list   10,000 objects under one prefix: `aftomato artifacts BUILD --json`
#          (ListObjectsV2, 1000 keys a page) vs `aws s3api list-objects-v2`
#          (the same pages, auto-paginated);
#   query  5,000 builds of one project newest first, page by page:
#          `aftomato builds P --limit 5000 --json` (pages of 100 on the index)
#          vs `aws dynamodb query --index-name ... --no-scan-index-forward
#          --page-size 100` (the same pages).
# Each command runs RUNS times (default 5); the medians and their ratio are
# printed. Both are checked to return every object / build. One more run of
# each, with the servers' request log cleared first, gives the time the
# servers themselves spent (the sum of the proxy's durations) and so the
# client side of each: the wall time minus the servers' time.
#
#   tests/bench/aws_bench.sh [BUILD_DIR]     (default: build)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$top/build}" && pwd)/aftomato
runs=${RUNS:-5}
n_objects=${N_OBJECTS:-10000}
n_builds=${N_BUILDS:-5000}
t=$(mktemp -d /tmp/aftomato-awsbench.XXXXXX)
state=$t/aws
cleanup() {
	"$top/tests/servers/aws/stop.sh" "$state" > /dev/null 2>&1 || true
	rm -rf "$t"
}
trap cleanup EXIT

echo "starting the AWS test servers..." >&2
"$top/tests/servers/aws/start.sh" "$state" > /dev/null
# shellcheck disable=SC1091
. "$state/env"
export HOME=$t/home AWS_PAGER= AFTOMATO_CONFIG=$t/config.yaml
mkdir -p "$HOME" "$t/repo/bench/app"
printf '#!/bin/sh\ntrue\n' > "$t/repo/bench/app/build.sh"
chmod +x "$t/repo/bench/app/build.sh"
cat > "$AFTOMATO_CONFIG" <<YAML
profile: cloud
profiles:
  cloud:
    executor: local
    store: aws
    build_scripts: $t/repo
    data_dir: $t/data
    aws: {region: $AWS_REGION, s3_endpoint_url: "$AWS_ENDPOINT_URL_S3", dynamodb_endpoint_url: "$AWS_ENDPOINT_URL_DYNAMODB"}
YAML

P=bench/app
ID=0b0b0b0b-0000-4000-8000-000000000000
echo "seeding $n_objects objects and $n_builds builds..." >&2
/usr/bin/python3 "$top/tests/bench/aws_bench_seed.py" "$P" "$ID" "$n_objects" "$n_builds"
# The build whose artifacts are listed (newer than the seeded ones).
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb put-item --table-name "$AFT_AWS_TABLE" \
	--item "{\"buildID\":{\"S\":\"$ID\"},\"projectKey\":{\"S\":\"$P\"},\"buildTime\":{\"N\":\"1800000000\"},\"isBuilding\":{\"N\":\"0\"},\"status\":{\"S\":\"succeeded\"},\"artifactsPrefix\":{\"S\":\"$P/$ID/\"}}"
builds=$((n_builds + 1))

# median_time COMMAND...: runs it $runs times (output to $t/out), prints the
# median wall time in seconds.
median_time() {
	local i s e times=()
	for i in $(seq "$runs"); do
		s=$(date +%s.%N)
		"$@" > "$t/out"
		e=$(date +%s.%N)
		times+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')")
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", a[int((NR+1)/2)]}'
}
count() { python3 -c "import json,sys; d=json.load(open('$t/out')); print(eval(sys.argv[1]))" "$1"; }

awscli() { /usr/bin/aws "$@"; }

aft_list=$(median_time "$bin" artifacts "$ID" --json)
[ "$(count 'len(d)')" = "$n_objects" ] || { echo "aftomato listed $(count 'len(d)') objects" >&2; exit 1; }
aws_list=$(median_time awscli --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api list-objects-v2 \
	--bucket "$AFT_AWS_ARTIFACTS_BUCKET" --prefix "$P/$ID/" --page-size 1000)
[ "$(count 'len(d["Contents"])')" = "$n_objects" ] || { echo "awscli listed $(count 'len(d["Contents"])')" >&2; exit 1; }

aft_query=$(median_time "$bin" builds "$P" --limit "$builds" --json)
[ "$(count 'len(d)')" = "$builds" ] || { echo "aftomato queried $(count 'len(d)') builds" >&2; exit 1; }
aws_query=$(median_time awscli --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb query \
	--table-name "$AFT_AWS_TABLE" --index-name "$AFT_AWS_INDEX" \
	--key-condition-expression 'projectKey = :p' --expression-attribute-values "{\":p\":{\"S\":\"$P\"}}" \
	--no-scan-index-forward --page-size 100)
[ "$(count 'len(d["Items"])')" = "$builds" ] || { echo "awscli queried $(count 'len(d["Items"])')" >&2; exit 1; }

# server_time COMMAND...: one run; prints "wall server" in seconds.
server_time() {
	curl -sf -X DELETE "$AFT_AWS_ADMIN_URL/log" > /dev/null
	local s e
	s=$(date +%s.%N)
	"$@" > "$t/out"
	e=$(date +%s.%N)
	curl -sf "$AFT_AWS_ADMIN_URL/log" | python3 -c "
import json, sys
d = json.load(sys.stdin)
print('%.3f %.3f' % ($e - $s, sum(x['duration_ms'] or 0 for x in d) / 1000.0))"
}
read -r aft_lw aft_ls < <(server_time "$bin" artifacts "$ID" --json)
read -r aws_lw aws_ls < <(server_time awscli --endpoint-url "$AWS_ENDPOINT_URL_S3" s3api list-objects-v2 \
	--bucket "$AFT_AWS_ARTIFACTS_BUCKET" --prefix "$P/$ID/" --page-size 1000)
read -r aft_qw aft_qs < <(server_time "$bin" builds "$P" --limit "$builds" --json)
read -r aws_qw aws_qs < <(server_time awscli --endpoint-url "$AWS_ENDPOINT_URL_DYNAMODB" dynamodb query \
	--table-name "$AFT_AWS_TABLE" --index-name "$AFT_AWS_INDEX" \
	--key-condition-expression 'projectKey = :p' --expression-attribute-values "{\":p\":{\"S\":\"$P\"}}" \
	--no-scan-index-forward --page-size 100)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; printf "%.3f", (d > 0.001 ? d : 0.001) }'; }
printf '%-40s %10s %10s %7s   %s\n' "wall time (median of $runs)" aftomato awscli ratio ""
printf '%-40s %9ss %9ss %6sx\n' "list $n_objects objects under one prefix" "$aft_list" "$aws_list" "$(ratio "$aws_list" "$aft_list")"
printf '%-40s %9ss %9ss %6sx\n' "query $builds builds, pages of 100" "$aft_query" "$aws_query" "$(ratio "$aws_query" "$aft_query")"
echo
printf '%-40s %10s %10s %7s   %s\n' "client side (wall - servers), one run" aftomato awscli ratio "servers' time (aftomato / awscli)"
a=$(minus "$aft_lw" "$aft_ls"); b=$(minus "$aws_lw" "$aws_ls")
printf '%-40s %9ss %9ss %6sx   %ss / %ss\n' "list" "$a" "$b" "$(ratio "$b" "$a")" "$aft_ls" "$aws_ls"
a=$(minus "$aft_qw" "$aft_qs"); b=$(minus "$aws_qw" "$aws_qs")
printf '%-40s %9ss %9ss %6sx   %ss / %ss\n' "query" "$a" "$b" "$(ratio "$b" "$a")" "$aft_qs" "$aws_qs"
