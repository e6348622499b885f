#!/usr/bin/env bash
# The proxy refuses a wrong secret (awscli, curl's own SigV4, and a request
# signed by hand with openssl) and accepts the right one.
. "$(dirname "$0")/lib.sh"
bucket=$AFT_AWS_ARTIFACTS_BUCKET

# awscli, right and wrong secret, S3 and DynamoDB.
s3cli s3 ls "s3://$bucket/" >/dev/null || fail "aws s3 ls with the right secret"
ddbcli list-tables --query 'TableNames' --output text | grep -qw "$AFT_AWS_TABLE" || fail "list-tables"
AWS_SECRET_ACCESS_KEY=not-the-secret expect_error SignatureDoesNotMatch s3cli s3 ls "s3://$bucket/"
AWS_SECRET_ACCESS_KEY=not-the-secret expect_error InvalidSignatureException ddbcli list-tables
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 expect_error InvalidAccessKeyId s3cli s3 ls "s3://$bucket/"
AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000 expect_error UnrecognizedClientException ddbcli list-tables
ok "awscli: right secret accepted, wrong secret or key refused"

# A wrong region gets AuthorizationHeaderMalformed naming the bucket's region;
# awscli follows it (its S3 region redirector) and signs again.
seq0=$(admin GET /log | json 'max([e["seq"] for e in d] or [0])')
AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 s3cli s3 ls "s3://$bucket/" >/dev/null ||
  fail "awscli did not recover from the region error"
admin GET "/log?backend=s3&since=$seq0" |
  json '[w["path"] for w in d if w["verdict"] == "wrong-region" and any(e["seq"] > w["seq"] and e["path"] == w["path"] and e["status"] == 200 for e in d)]' |
  grep -q "$bucket" || fail "expected a wrong-region verdict, then success on the same request"
ok "awscli: wrong region answered AuthorizationHeaderMalformed and redirected"

# curl's SigV4 implementation.
url="$AWS_ENDPOINT_URL_S3/$bucket?list-type=2&max-keys=1"
code=$(curl -s -o "$work/out" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
  --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$url")
[ "$code" = 200 ] || fail "curl --aws-sigv4 with the right secret: $code $(cat "$work/out")"
code=$(curl -s -o "$work/out" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
  --user "$AWS_ACCESS_KEY_ID:wrong" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$url")
[ "$code" = 403 ] && grep -q '<Code>SignatureDoesNotMatch</Code>' "$work/out" ||
  fail "curl --aws-sigv4 with a wrong secret: $code $(cat "$work/out")"
ok "curl --aws-sigv4: accepted / SignatureDoesNotMatch"

# By hand: canonical request, string to sign and HMAC chain with openssl.
hmac_hex() { printf '%s' "$2" | openssl dgst -sha256 -mac HMAC -macopt "$1" | sed 's/^.*= //'; }
sha_hex() { printf '%s' "$1" | openssl dgst -sha256 | sed 's/^.*= //'; }
signed_curl() { # signed_curl SECRET: GET /bucket?list-type=2&max-keys=1 signed by hand
  local secret=$1 host=${AWS_ENDPOINT_URL_S3#http://} now day empty canon sts k sig
  now=$(date -u +%Y%m%dT%H%M%SZ)
  day=${now:0:8}
  empty=$(sha_hex '')
  canon=$(printf 'GET\n/%s\n%s\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n\n%s\n%s' \
    "$bucket" 'list-type=2&max-keys=1' "$host" "$empty" "$now" 'host;x-amz-content-sha256;x-amz-date' "$empty")
  sts=$(printf 'AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s' "$now" "$day" "$AWS_REGION" "$(sha_hex "$canon")")
  k=$(hmac_hex "key:AWS4$secret" "$day")
  k=$(hmac_hex "hexkey:$k" "$AWS_REGION")
  k=$(hmac_hex "hexkey:$k" s3)
  k=$(hmac_hex "hexkey:$k" aws4_request)
  sig=$(hmac_hex "hexkey:$k" "$sts")
  curl -s -o "$work/out" -w '%{http_code}' \
    -H "x-amz-date: $now" -H "x-amz-content-sha256: $empty" \
    -H "Authorization: AWS4-HMAC-SHA256 Credential=$AWS_ACCESS_KEY_ID/$day/$AWS_REGION/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=$sig" \
    "$AWS_ENDPOINT_URL_S3/$bucket?list-type=2&max-keys=1"
}
code=$(signed_curl "$AWS_SECRET_ACCESS_KEY")
[ "$code" = 200 ] || fail "hand-signed request refused: $code $(cat "$work/out")"
code=$(signed_curl "${AWS_SECRET_ACCESS_KEY}x")
[ "$code" = 403 ] && grep -q '<Code>SignatureDoesNotMatch</Code>' "$work/out" || fail "hand-signed with a wrong secret: $code"
grep -q "<CanonicalRequest>GET" "$work/out" || fail "the error names the canonical request"
ok "hand-signed with openssl: accepted / SignatureDoesNotMatch"

# The request log saw both verdicts.
admin GET '/log?backend=s3' | json '" ".join(sorted(set(e["verdict"] for e in d)))' | grep -q 'mismatch.*ok\|ok.*mismatch' ||
  fail "request log lacks the verdicts"
ok "request log records the verdicts"
