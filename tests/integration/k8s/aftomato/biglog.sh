#!/usr/bin/env bash
# A 50 MB log of sequence-numbered lines whose log stream is cut every 512 KB
# (for the first 100 streams) arrives whole: every cut is resumed with
# sinceTime and the lines of that second already received are skipped, so no
# line is lost or repeated, in the live output and in the stored log.
. "$(dirname "$0")/lib.sh"

# 400,000 lines of 128 bytes (+ the number) ~ 52 MB, written in bursts.
project team/big <<'SH'
#!/bin/sh
awk 'BEGIN {
	pad = sprintf("%0119d", 0); gsub(/0/, "x", pad)
	for (i = 1; i <= 400000; i++) {
		printf "%08d %s\n", i, pad
		if (i % 40000 == 0) system("sleep 0.3")
	}
}'
SH
admin POST /faults/cut '{"kind":"log","count":100,"afterBytes":524288}' >/dev/null
aft build team/big --follow > "$T/out" 2> "$T/err" || fail "build exited $? ($(cat "$T/err"))"
id=$(head -1 "$T/out")
check() {
	awk -v f="$1" 'BEGIN { n = 0 }
		{ n++; if ($1 + 0 != n) { printf "%s: line %d is %s\n", f, n, $1; bad = 1; exit 1 } }
		END { if (!bad && n != 400000) { printf "%s: %d lines\n", f, n; exit 1 } }'
}
tail -n +2 "$T/out" | check live || fail "live output"
aft logs "$id" | check stored || fail "stored log"
cuts=$(admin GET /state | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(c.get("remaining",0) for c in s["faults"]["cut"]) if isinstance(s.get("faults"),dict) and "cut" in s["faults"] else "?")' 2>/dev/null || echo "?")
streams=$(admin GET "/requests?method=GET&path=/log" | python3 -c 'import json,sys; r=json.load(sys.stdin); r=r.get("requests",r) if isinstance(r,dict) else r; print(len(r))')
[ "$streams" -gt 50 ] || fail "only $streams log requests: the cuts did not happen"
[ "$(field "$id" status)" = succeeded ] || fail "status"
echo "ok ($streams log streams, cuts left: $cuts)"
