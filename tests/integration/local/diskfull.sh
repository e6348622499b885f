#!/usr/bin/env bash
# A full disk while spooling: the build is stopped with one clear error line,
# the follower exits 3, nothing crashes or hangs, and every line written
# before the disk filled is kept; once there is room again, the next start
# finalises the build. Needs root for a small tmpfs.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || fail "needs root to mount a small tmpfs"
export AFTOMATO_SPOOL_RETRY_MS=1000

mkdir -p "$DATA"
mount -t tmpfs -o size=3m tmpfs "$DATA"
trap 'umount -l "$DATA" 2>/dev/null; cleanup' EXIT

project team/full <<'SH'
#!/bin/sh
seq -f 'full %07.0f ....................................................' 1 200000
SH
set +e
timeout 120 "$AFTOMATO" build team/full --follow > "$T/out" 2> "$T/err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "exit status $rc, want 3 ($(cat "$T/err"))"
grep -q "cannot spool the log: .*No space left on device" "$T/err" ||
	fail "stderr: $(cat "$T/err")"
# One line per problem (the spool, and the upload that has to wait), each a
# single "aftomato: ..." line.
grep -qv '^aftomato: ' "$T/err" && fail "stderr: $(cat "$T/err")"
id=$(head -1 "$T/out")
kept=$(grep -c '^full ' "$T/out" || true)
[ "$kept" -gt 1000 ] || fail "only $kept lines kept"
# What was followed is a prefix of the real output, in order, with no gap;
# the last line may be cut where the disk filled (kept as written, unended).
tail -n +2 "$T/out" > "$T/followed"
seq -f 'full %07.0f ....................................................' 1 200000 > "$T/expected"
cmp -n "$(wc -c < "$T/followed")" "$T/expected" "$T/followed" ||
	fail "what was followed is not a prefix of the output"

# Room again: the output kept in pending/ is uploaded by the next command and
# the log read back has those same lines.
mount -o remount,size=64m "$DATA"
wait_until 20 status_is "$id" error || fail "status $(field "$id" status)"
wait_until 20 test -f "$DATA/blobs/aftomato-console-logs/team/full/$id.log.gz" ||
	fail "pending log never uploaded"
aft logs "$id" | cmp - "$T/followed" || fail "stored log differs from what was followed"
no_strays
echo ok
