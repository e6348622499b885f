#!/usr/bin/env bash
# Every bad-input class of the issue, injected with the fault API, seen through
# the command line: a one-line error on stderr (exit 1 or 2, never a crash),
# no secret in it, and retries only where they are safe (counted in the
# servers' request log): malformed or truncated XML/JSON, a proxy's HTML page,
# 301/307 redirects, 403 (denied, expired token, skewed clock), 404 bucket and
# table, 500/503 and throttling, a connection reset in the middle of a download.
. "$(dirname "$0")/lib.sh"

P=$TEAM/bad
project "$P" <<'SH'
#!/bin/sh
mkdir -p "$ARTIFACTS_DIR"
head -c 3000000 /dev/urandom > "$ARTIFACTS_DIR/data.bin"
cp "$ARTIFACTS_DIR/data.bin" "$WORKSPACE/../data-$BUILD_ID"
echo built
SH
aft build "$P" --follow > "$T/out" || fail "build exited $?"
id=$(head -1 "$T/out")
# The build's supervisor finishes its own follow-up after the build: wait for
# it, so no background request of this test takes a fault meant for a command.
wait_until 30 no_proc || fail "processes left: $(pgrep -af -- "$T")"
ART="$P/$id"
ddb() { # ddb TARGET ACTION: a DynamoDB fault for this test's requests
	fault "{\"backend\":\"dynamodb\",\"target\":\"$1\$\",$UA,$2}"
}
attempts() { admin GET /log | json "len([e for e in d if e['fault'] == $1])"; }

# Malformed and truncated answers.
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"$TEAM\",\"status\":200,\"body\":\"<ListBucketResult><Contents><Key>x</Ke\"}")
expect_fail "malformed XML" aft artifacts "$id"
# (DynamoDB faults go to GetItem, which only `show` sends: the worker's
# background pass queries too, and would take Query faults.)
f=$(ddb GetItem "\"status\":200,\"body\":\"{\\\"Item\\\": {\\\"buildID\\\"\"")
expect_fail "malformed answer" aft show "$id"
[ "$(attempts "$f")" = 1 ] || fail "a malformed 200 was retried"
f=$(ddb GetItem "\"truncate_after_bytes\":20")
aft show "$id" > /dev/null || fail "a truncated answer was not sent again"
[ "$(attempts "$f")" = 1 ] || fail "truncation fault"
ok "malformed XML/JSON reported, truncation detected and retried"

# A proxy's HTML error page, for good: retried, then summarised.
f=$(ddb GetItem "\"status\":502,\"headers\":{\"content-type\":\"text/html\"},\"body\":\"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\",\"count\":-1")
expect_fail "HTML page from a proxy: 502 Bad Gateway \(HTTP 502\) after 4 attempts" aft show "$id"
[ "$(attempts "$f")" = 4 ] || fail "502 attempts: $(attempts "$f")"
unfault "$f"
ok "HTML 502: $(cat "$T/err.last")"

# Redirects: 307 followed; a 301 that re-signing cannot fix is reported.
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"$ART/data.bin\",\"error\":{\"code\":\"TemporaryRedirect\",\"location\":\"$AWS_ENDPOINT_URL_S3/$ART_BUCKET/$ART/data.bin\"}}")
aft artifacts get "$id" data.bin -o "$T/d1" 2>/dev/null || fail "307 not followed"
cmp "$T/d1" "$DATA/work/data-$id" || fail "content after 307"
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"$TEAM\",\"error\":{\"code\":\"PermanentRedirect\",\"region\":\"$AWS_REGION\"},\"count\":-1}")
expect_fail "PermanentRedirect.*\(HTTP 301\).*is in region $AWS_REGION" aft artifacts "$id"
unfault "$f"
ok "307 followed; 301: $(cat "$T/err.last")"

# 403s: denied (not retried), expired token (credentials resolved again once),
# skewed clock (re-signed once with the server's time).
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"$ART/data.bin\",\"error\":{\"code\":\"AccessDenied\"},\"count\":-1}")
expect_fail "AccessDenied: Access Denied \(HTTP 403\)" aft artifacts get "$id" data.bin -o "$T/d2"
[ "$(attempts "$f")" = 1 ] || fail "AccessDenied was retried"
unfault "$f"
f=$(ddb GetItem "\"error\":{\"code\":\"ExpiredTokenException\"},\"count\":-1")
expect_fail "ExpiredTokenException" aft show "$id"
[ "$(attempts "$f")" = 2 ] || fail "expired token attempts: $(attempts "$f")"
unfault "$f"
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"$TEAM\",\"status\":403,\"headers\":{\"content-type\":\"application/xml\"},\"body\":\"<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>\",\"count\":-1}")
expect_fail "RequestTimeTooSkewed" aft artifacts "$id"
[ "$(attempts "$f")" = 2 ] || fail "skew attempts: $(attempts "$f")"
unfault "$f"
ok "403 denied / expired token / skewed clock reported"

# 404: the bucket, the table.
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"$TEAM\",\"error\":{\"code\":\"NoSuchBucket\",\"bucket\":\"$ART_BUCKET\"}}")
expect_fail "NoSuchBucket" aft artifacts "$id"
cp "$AFTOMATO_CONFIG" "$T/good.yaml"
sed -i "s/table: $TABLE/table: no-such-table-$TEAM/" "$AFTOMATO_CONFIG"
expect_fail "ResourceNotFoundException" aft builds "$P"
cp "$T/good.yaml" "$AFTOMATO_CONFIG"
ok "404 bucket and table: $(cat "$T/err.last")"

# 500/503 and throttling: retried and then fine; for good: reported.
f=$(ddb GetItem "\"error\":{\"code\":\"ThrottlingException\"},\"count\":2")
aft show "$id" > /dev/null || fail "throttling twice was not retried"
[ "$(attempts "$f")" = 2 ] || fail "throttling attempts"
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"$ART/data.bin\",\"error\":{\"code\":\"SlowDown\"},\"count\":2}")
aft artifacts get "$id" data.bin -o "$T/d3" 2>/dev/null || fail "SlowDown twice was not retried"
cmp "$T/d3" "$DATA/work/data-$id" || fail "content after SlowDown"
f=$(ddb GetItem "\"error\":{\"code\":\"InternalServerError\"},\"count\":-1")
expect_fail "InternalServerError.*after 4 attempts" aft show "$id"
[ "$(attempts "$f")" = 4 ] || fail "500 attempts"
unfault "$f"
f=$(ddb GetItem "\"error\":{\"code\":\"ValidationException\",\"message\":\"nope\"},\"count\":-1")
expect_fail "ValidationException: nope" aft show "$id"
[ "$(attempts "$f")" = 1 ] || fail "a validation error was retried"
unfault "$f"
ok "5xx and throttling retried, validation never"

# A connection reset in the middle of a download: resumed, intact.
f=$(fault "{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"$ART/data.bin\",\"reset_after_bytes\":500000}")
aft artifacts get "$id" data.bin -o "$T/d4" 2>/dev/null || fail "download after a reset"
cmp "$T/d4" "$DATA/work/data-$id" || fail "content after a reset"
[ "$(log_count "$ART/data.bin" GET)" -ge 2 ] || fail "no second GET after the reset"
f=$(ddb GetItem "\"drop\":true")
aft show "$id" > /dev/null || fail "a dropped connection was not retried"
[ "$(attempts "$f")" = 1 ] || fail "drop fault"
ok "reset mid-download resumed, dropped connection retried"
echo ok
