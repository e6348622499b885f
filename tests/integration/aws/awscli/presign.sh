#!/usr/bin/env bash
# aws s3 presign URLs fetched with curl: valid, tampered, expired.
. "$(dirname "$0")/lib.sh"
bucket=$AFT_AWS_ARTIFACTS_BUCKET
key="$run_id/pre signed+file=1.txt"
echo "presigned body" > "$work/p"
s3cli s3 cp --only-show-errors "$work/p" "s3://$bucket/$key"

url=$(s3cli s3 presign "s3://$bucket/$key" --expires-in 300)
[ "$(curl -sf "$url")" = "presigned body" ] || fail "presigned GET"
code=$(curl -s -o "$work/out" -w '%{http_code}' "${url/X-Amz-Expires=300/X-Amz-Expires=301}")
[ "$code" = 403 ] && grep -q SignatureDoesNotMatch "$work/out" || fail "tampered URL: $code"
ok "presigned URL works; tampered one refused"

url=$(s3cli s3 presign "s3://$bucket/$key" --expires-in 1)
sleep 2
code=$(curl -s -o "$work/out" -w '%{http_code}' "$url")
[ "$code" = 403 ] && grep -q 'Request has expired' "$work/out" || fail "expired URL: $code $(cat "$work/out")"
ok "expired presigned URL refused (AccessDenied, Request has expired)"
