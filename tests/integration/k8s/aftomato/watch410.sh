#!/usr/bin/env bash
# The watch history expires in the middle of a build (the API server
# compacted it): the re-watch from the last resourceVersion gets an in-band
# 410 Expired, aftomato lists again and follows the build to its end.
. "$(dirname "$0")/lib.sh"

project team/w <<'SH'
#!/bin/sh
i=1; while [ $i -le 30 ]; do echo "w line $i"; i=$((i+1)); sleep 0.1; done
SH
bg sh -c "\"$AFTOMATO\" build team/w --follow > '$T/out' 2> '$T/err'; echo \$? > '$T/rc'"
wait_until 20 grep -qx "w line 3" "$T/out" || fail "build did not start"
lists_before=$(admin GET "/requests?method=GET&path=/jobs" | python3 -c '
import json,sys; r=json.load(sys.stdin); r=r.get("requests",r) if isinstance(r,dict) else r
print(len([x for x in r if "watch=" not in (x.get("query") or "")]))')
admin POST /faults/expire '{"closeWatches":true}' >/dev/null
wait_until 30 test -s "$T/rc" || fail "build did not end"
[ "$(cat "$T/rc")" = 0 ] || fail "build exited $(cat "$T/rc"): $(cat "$T/err")"
[ "$(grep -c '^w line' "$T/out")" = 30 ] || fail "log: $(grep -c '^w line' "$T/out") lines"
id=$(head -1 "$T/out")
[ "$(field "$id" status)" = succeeded ] || fail "status"
admin GET "/requests?path=/jobs" > "$T/req.json"
python3 - "$T/req.json" "$lists_before" <<'PY' || fail "no relist after the 410"
import json, sys
r = json.load(open(sys.argv[1]))
r = r.get("requests", r) if isinstance(r, dict) else r
lists = [x for x in r if x["method"] == "GET" and "watch=" not in (x.get("query") or "")
         and x["path"].endswith("/jobs")]
assert len(lists) > int(sys.argv[2]), (len(lists), sys.argv[2])
PY
echo ok
