#!/usr/bin/env bash
# A 100 MB log loses no line: sequence-numbered lines, a 4 MB line in the
# middle, CRLF lines and a final line without newline; the followed output,
# the stored log and the archived gzip all have the same line count and
# checksum as what the build wrote.
. "$(dirname "$0")/lib.sh"

project team/big <<'SH'
#!/bin/sh
# About 100 MB: 1.4 million numbered lines, one 4 MB line, CRLF lines.
seq -f 'line %08.0f of the big log, padded to look like a real build line ........' 1 700000
head -c 4194304 /dev/zero | tr '\0' 'x'
printf '\n'
printf 'crlf line\r\n'
seq -f 'line %08.0f of the big log, padded to look like a real build line ........' 700001 1400000
printf 'the end without newline'
SH
# What the script writes, computed independently.
sh "$REPO/team/big/build.sh" > "$T/expected"
want_lines=$(wc -l < "$T/expected")
want_sum=$(sha256sum < "$T/expected" | cut -d' ' -f1)
size=$(stat -c %s "$T/expected")
[ "$size" -gt 100000000 ] || fail "test log is only $size bytes"

aft build team/big --follow > "$T/out" || fail "build exited $?"
id=$(head -1 "$T/out")
tail -n +2 "$T/out" > "$T/followed"
[ "$(wc -l < "$T/followed")" = "$want_lines" ] || fail "followed: $(wc -l < "$T/followed") lines, want $want_lines"
[ "$(sha256sum < "$T/followed" | cut -d' ' -f1)" = "$want_sum" ] || fail "followed log checksum differs"

aft logs "$id" > "$T/stored"
[ "$(sha256sum < "$T/stored" | cut -d' ' -f1)" = "$want_sum" ] || fail "stored log checksum differs"
zcat "$DATA/blobs/aftomato-console-logs/team/big/$id.log.gz" | sha256sum | grep -q "$want_sum" ||
	fail "archived gzip differs"
# Every numbered line, in order, exactly once.
grep -a '^line ' "$T/stored" | awk '{ n = $2 + 0; if (n != prev + 1) { print "gap at " prev; exit 1 } prev = n } END { if (prev != 1400000) { print "ended at " prev; exit 1 } }' ||
	fail "sequence broken"
no_strays
echo ok
