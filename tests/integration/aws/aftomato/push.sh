#!/usr/bin/env bash
# `aftomato artifacts push BUILD DIR` (what the build container runs) with S3:
# nested directories, names with spaces, + = & %, non-ASCII, an empty file, and
# a 40 MB file sent as a parallel multipart upload; awscli lists and fetches
# every object intact, aftomato lists them with their sizes. A push that S3
# refuses fails in one line and leaves no multipart upload behind.
. "$(dirname "$0")/lib.sh"

P=$TEAM/push
project "$P" <<'SH'
#!/bin/sh
echo nothing to build
SH
aft build "$P" --follow > "$T/out" || fail "build exited $?"
id=$(head -1 "$T/out")

D=$T/artifacts
mkdir -p "$D/deep/er/est" "$D/with space" "$D/$(printf 'r\303\251sum\303\251')"
printf 'a\n' > "$D/deep/er/est/a.txt"
printf 'b\n' > "$D/with space/b+c=d&e%f.txt"
printf 'c\n' > "$D/$(printf 'r\303\251sum\303\251')/$(printf '\344\270\255').txt"
: > "$D/empty"
head -c $((40 * 1024 * 1024)) /dev/urandom > "$D/big.bin"
aft artifacts push "$id" "$D" > "$T/push.out" 2> "$T/push.err" || fail "push failed: $(cat "$T/push.err")"
grep -qx "stored 5 files" "$T/push.out" || fail "push said: $(cat "$T/push.out")"
ok "pushed 5 files"

s3cli s3 ls --recursive "s3://$ART_BUCKET/$P/$id/" > "$T/ls"
[ "$(wc -l < "$T/ls")" = 5 ] || fail "awscli sees: $(cat "$T/ls")"
grep -q " 41943040 $P/$id/big.bin$" "$T/ls" || fail "big.bin size: $(cat "$T/ls")"
grep -q " $P/$id/with space/b+c=d&e%f.txt$" "$T/ls" || fail "special name: $(cat "$T/ls")"
grep -q " $P/$id/résumé/中.txt$" "$T/ls" || fail "UTF-8 name: $(cat "$T/ls")"
grep -q "  *0 $P/$id/empty$" "$T/ls" || fail "empty file: $(cat "$T/ls")"
s3cli s3 cp --only-show-errors "s3://$ART_BUCKET/$P/$id/big.bin" "$T/big.back"
cmp "$D/big.bin" "$T/big.back" || fail "big.bin differs (awscli)"
s3cli s3 cp --only-show-errors "s3://$ART_BUCKET/$P/$id/with space/b+c=d&e%f.txt" "$T/b.back"
cmp "$D/with space/b+c=d&e%f.txt" "$T/b.back" || fail "special name content differs"
parts=$(log_count "$P/$id/big.bin?partNumber=" PUT)
[ "$parts" -ge 5 ] || fail "expected a multipart upload (5 parts), saw $parts part requests"
ok "awscli reads all of them; big.bin went in $parts parts"

aft artifacts "$id" --json > "$T/list.json"
[ "$(json 'len(d)' < "$T/list.json")" = 5 ] || fail "aftomato lists $(cat "$T/list.json")"
[ "$(json '[e["size"] for e in d if e["path"] == "big.bin"][0]' < "$T/list.json")" = 41943040 ] || fail "size"
aft artifacts get "$id" big.bin -o "$T/big.aft" 2>/dev/null
cmp "$D/big.bin" "$T/big.aft" || fail "big.bin differs (aftomato)"
ok "aftomato lists and fetches them"

# S3 refuses a part for good: one line, the upload aborted.
mkdir -p "$T/again"
head -c $((20 * 1024 * 1024)) /dev/urandom > "$T/again/second.bin"
f=$(fault "{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"$id/second.bin\",\"query\":\"partNumber=2\",\"error\":{\"code\":\"AccessDenied\"},\"count\":-1}")
expect_fail "AccessDenied" aft artifacts push "$id" "$T/again"
unfault "$f"
[ "$(log_count "$id/second.bin?uploadId=" DELETE)" = 1 ] || fail "the multipart upload was not aborted"
# (s3rver has no ListMultipartUploads: the abort in the log, and no object.)
! s3cli s3api head-object --bucket "$ART_BUCKET" --key "$P/$id/second.bin" >/dev/null 2>&1 ||
	fail "second.bin exists after a failed upload"
ok "a refused part aborts the upload: $(cat "$T/err")"
echo ok
