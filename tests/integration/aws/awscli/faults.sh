#!/usr/bin/env bash
# Fault injection seen through awscli: S3 SlowDown and a dropped connection
# are retried, a truncated download is detected, NoSuchBucket is reported,
# DynamoDB throttling is retried and a proxy's HTML 502 page is reported
# after the retries. Faults match this run's keys or user agent only, so
# other tests sharing the servers are not affected.
. "$(dirname "$0")/lib.sh"
bucket=$AFT_AWS_ARTIFACTS_BUCKET
# awscli puts AWS_EXECUTION_ENV into its User-Agent: DynamoDB faults match it.
export AWS_EXECUTION_ENV=aftfault-$run_id

fault() { admin POST /faults "$1" | json 'd["ids"][0]'; }
entries() { # entries PATTERN: log entries whose path or user agent run matched
  admin GET /log | json "[e for e in d if '$1' in e['path']]"
}

head -c 300000 /dev/urandom > "$work/obj"
key="$run_id/slow.bin"
id=$(fault "{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"$key\$\",\"error\":{\"code\":\"SlowDown\"},\"count\":2}")
s3cli s3 cp --only-show-errors "$work/obj" "s3://$bucket/$key" || fail "aws s3 cp did not get through two SlowDown answers"
puts=$(entries "$key" | json "[(e['status'], e['fault']) for e in d if e['method'] == 'PUT']")
[ "$puts" = "[[503, $id], [503, $id], [200, null]]" ] || fail "expected two SlowDown then success, log: $puts"
ok "S3 SlowDown x2 then success (awscli retried)"

key2="$run_id/dropped.bin"
fault "{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"$key2\$\",\"drop\":true}" >/dev/null
s3cli s3 cp --only-show-errors "$work/obj" "s3://$bucket/$key2" || fail "aws s3 cp did not survive a dropped connection"
s3cli s3 cp --only-show-errors "s3://$bucket/$key2" "$work/obj2"
cmp -s "$work/obj" "$work/obj2" || fail "object differs after a dropped connection"
ok "connection dropped without an answer, retried"

fault "{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"$key\$\",\"truncate_after_bytes\":1000}" >/dev/null
if s3cli s3 cp --only-show-errors "s3://$bucket/$key" "$work/back" 2>"$work/err"; then
  cmp -s "$work/obj" "$work/back" || fail "a truncated download was accepted as complete"
  gets=$(entries "$key" | json "len([e for e in d if e['method'] == 'GET'])")
  [ "$gets" -ge 2 ] || fail "download succeeded without a retry after truncation"
  ok "truncated body detected and the download retried"
else
  ok "truncated body detected: $(tr '\n' ' ' < "$work/err" | cut -c1-120)"
fi

fault "{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"prefix=$run_id%2Fmissing\",\"error\":{\"code\":\"NoSuchBucket\",\"bucket\":\"$bucket\"}}" >/dev/null
expect_error NoSuchBucket s3cli s3 ls "s3://$bucket/$run_id/missing/"
ok "NoSuchBucket reported"

id=$(fault "{\"backend\":\"dynamodb\",\"target\":\"DescribeTable\$\",\"match_headers\":{\"user-agent\":\"$run_id\"},\"error\":{\"code\":\"ThrottlingException\"}}")
ddbcli describe-table --table-name "$AFT_AWS_TABLE" >/dev/null || fail "describe-table after one ThrottlingException"
n=$(admin GET /log | json "len([e for e in d if e['fault'] == $id])")
[ "$n" = 1 ] || fail "the throttling fault fired $n times"
ok "DynamoDB ThrottlingException retried"

id=$(fault "{\"backend\":\"dynamodb\",\"target\":\"ListTables\$\",\"match_headers\":{\"user-agent\":\"$run_id\"},\"status\":502,\"headers\":{\"content-type\":\"text/html\"},\"body\":\"<html><body><h1>502 Bad Gateway</h1></body></html>\",\"count\":-1}")
if out=$(ddbcli list-tables 2>&1); then fail "list-tables succeeded through a permanent 502: $out"; fi
echo "$out" | grep -q '502' || fail "the error does not mention 502: $out"
n=$(admin GET /log | json "len([e for e in d if e['fault'] == $id])")
admin DELETE "/faults/$id" >/dev/null
[ "$n" -ge 2 ] || fail "awscli did not retry the 502 ($n attempts)"
ok "HTML 502 page from a proxy: $n attempts, then a clear error"
