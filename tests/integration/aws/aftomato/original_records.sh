#!/usr/bin/env bash
# Records written by the original system (awscli put-item with only buildID,
# projectKey, buildTime, branch, isBuilding, buildResult, buildElapsedTime; no
# status) are listed and shown by aftomato with their state derived: running
# while isBuilding is 1, else succeeded or failed from the exit code.
. "$(dirname "$0")/lib.sh"

P=$TEAM/legacy
project "$P" <<'SH'
#!/bin/sh
echo legacy
SH
now=$(date +%s)
put() { # put ID TIME BRANCH BUILDING [RESULT ELAPSED]
	local item="{\"buildID\":{\"S\":\"$1\"},\"projectKey\":{\"S\":\"$P\"},\"buildTime\":{\"N\":\"$2\"},\"branch\":{\"S\":\"$3\"},\"isBuilding\":{\"N\":\"$4\"}"
	[ -n "${5:-}" ] && item="$item,\"buildResult\":{\"N\":\"$5\"},\"buildElapsedTime\":{\"N\":\"$6\"}"
	ddbcli put-item --table-name "$TABLE" --item "$item}"
}
r=$(printf '%08x' $((RANDOM * 32768 + RANDOM)))
run_id=$r-1111-4111-8111-111111111111
ok_id=$r-2222-4222-8222-222222222222
bad_id=$r-3333-4333-8333-333333333333
put "$run_id" $((now - 60)) master 1
put "$ok_id" $((now - 7200)) master 0 0 125
put "$bad_id" $((now - 9000)) release/1.2 0 2 40

aft builds "$P" --json > "$T/list.json"
[ "$(json 'len(d)' < "$T/list.json")" = 3 ] || fail "three builds expected: $(cat "$T/list.json")"
[ "$(json 'd[0]["buildID"]' < "$T/list.json")" = "$run_id" ] || fail "newest first"
[ "$(json '[b["status"] for b in d]' < "$T/list.json")" = '["running", "succeeded", "failed"]' ] ||
	fail "derived states: $(json '[b["status"] for b in d]' < "$T/list.json")"
[ "$(json '[b["isBuilding"] for b in d]' < "$T/list.json")" = '[1, 0, 0]' ] || fail "isBuilding"
[ "$(json 'd[2]["buildResult"]' < "$T/list.json")" = 2 ] || fail "buildResult"
[ "$(json 'd[1]["buildElapsedTime"]' < "$T/list.json")" = 125 ] || fail "buildElapsedTime"
ok "listed with derived states"

aft builds "$P" > "$T/table"
grep -q "^${run_id:0:8}  running " "$T/table" || fail "table: $(cat "$T/table")"
grep -q "release/1.2 .* 2  *$" "$T/table" || grep -q "release/1.2" "$T/table" || fail "table branch"
[ "$(field "$ok_id" status)" = succeeded ] || fail "show succeeded"
[ "$(field "${bad_id:0:13}" status)" = failed ] || fail "show by prefix"
[ "$(field "$bad_id" branch)" = release/1.2 ] || fail "branch"
aft show "$ok_id" | grep -q '^buildElapsedTime  125$' || fail "show text: $(aft show "$ok_id")"
ok "shown, also by prefix"

# An ambiguous prefix is refused in one line; an unknown one too.
expect_fail "matches several builds" aft show "${r}"
expect_fail "no build matches" aft show "${r}-9"
# aftomato never rewrote them: still no status attribute.
[ -z "$(ddb_field "$ok_id" status)" ] || fail "the original record was modified"
echo ok
