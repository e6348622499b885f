#!/usr/bin/env bash
# A console log that cannot be uploaded is not lost: while S3 refuses (the
# fault API makes every upload of this project fail), the build still ends,
# its gzip log stays in data_dir/pending and `aftomato logs` reads it there;
# once S3 works again, the next start of aftomato uploads it (awscli reads it
# back intact) and the pending copy is removed.
. "$(dirname "$0")/lib.sh"

P=$TEAM/pend
project "$P" <<'SH'
#!/bin/sh
i=1; while [ $i -le 200 ]; do echo "pending line $i"; i=$((i+1)); done
mkdir -p "$ARTIFACTS_DIR"; echo kept > "$ARTIFACTS_DIR/kept.txt"
SH
f=$(fault "{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"/$TEAM/pend/\",\"error\":{\"code\":\"ServiceUnavailable\"},\"count\":-1}")
aft build "$P" --follow > "$T/out" 2> "$T/err" || true
id=$(head -1 "$T/out")
[ ${#id} -eq 36 ] || fail "no build ID: $(cat "$T/out" "$T/err")"
pend=$DATA/pending/$id
wait_until 30 test -f "$pend/log.gz" || fail "no pending log in $pend"
[ "$(field "$id" status)" = succeeded ] || fail "status $(field "$id" status)"
! s3cli s3api head-object --bucket "$LOG_BUCKET" --key "$P/$id.log.gz" >/dev/null 2>&1 ||
	fail "the log reached S3 despite the fault"
aft logs "$id" > "$T/pending.txt"
[ "$(wc -l < "$T/pending.txt")" = 200 ] || fail "logs from the pending copy: $(wc -l < "$T/pending.txt") lines"
tries=$(log_count "$P/$id.log.gz" PUT)
[ "$tries" -ge 2 ] || fail "the upload was not retried ($tries attempts)"
ok "S3 down: log kept in $pend ($tries attempts), readable"

unfault "$f"
aft builds "$P" > /dev/null   # a new start resumes the pending uploads
wait_until 30 test ! -e "$pend" || fail "pending directory still there"
s3cli s3 cp --only-show-errors "s3://$LOG_BUCKET/$P/$id.log.gz" "$T/log.gz"
zcat "$T/log.gz" | cmp - "$T/pending.txt" || fail "uploaded log differs"
[ "$(s3cli s3 cp "s3://$ART_BUCKET/$P/$id/kept.txt" -)" = kept ] || fail "artifact not uploaded"
aft logs "$id" | cmp - "$T/pending.txt" || fail "logs from S3 differ"
ok "uploaded on the next start, nothing lost"
echo ok
