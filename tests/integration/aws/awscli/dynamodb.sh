#!/usr/bin/env bash
# put-item and query on projectKey-buildTime-index: newest first, Limit
# paging with LastEvaluatedKey, CLI paging, conditional writes.
. "$(dirname "$0")/lib.sh"
table=$AFT_AWS_TABLE
index=$AFT_AWS_INDEX
project="team-$run_id/app"
other="team-$run_id/other"

put() { # put BUILD_ID PROJECT TIME STATUS
  ddbcli put-item --table-name "$table" --condition-expression 'attribute_not_exists(buildID)' --item \
    "{\"buildID\":{\"S\":\"$1\"},\"projectKey\":{\"S\":\"$2\"},\"buildTime\":{\"N\":\"$3\"},\"branch\":{\"S\":\"main\"},\"isBuilding\":{\"N\":\"0\"},\"status\":{\"S\":\"$4\"},\"buildResult\":{\"N\":\"0\"}}"
}
for t in 1700000100 1700000500 1700000300 1700000400 1700000200; do
  put "$(python3 -c 'import uuid; print(uuid.uuid4())')" "$project" "$t" succeeded
done
put "$(python3 -c 'import uuid; print(uuid.uuid4())')" "$other" 1700000999 failed
ok "6 put-item calls"

q() { ddbcli query --table-name "$table" --index-name "$index" \
  --key-condition-expression 'projectKey = :p' --expression-attribute-values "{\":p\":{\"S\":\"$project\"}}" \
  --no-scan-index-forward "$@"; }
times=$(q --query 'Items[].buildTime.N' --output text | tr '\t' ' ')
[ "$times" = "1700000500 1700000400 1700000300 1700000200 1700000100" ] || fail "newest first: got '$times'"
ok "query on the index, newest first"

page1=$(q --limit 2 --no-paginate --output json)
t1=$(echo "$page1" | json '" ".join(i["buildTime"]["N"] for i in d["Items"])')
lek=$(echo "$page1" | json 'd["LastEvaluatedKey"]')
[ "$t1" = "1700000500 1700000400" ] || fail "page 1: $t1"
echo "$lek" | grep -q buildID || fail "LastEvaluatedKey lacks the table key: $lek"
page2=$(q --limit 2 --no-paginate --exclusive-start-key "$lek" --output json)
t2=$(echo "$page2" | json '" ".join(i["buildTime"]["N"] for i in d["Items"])')
[ "$t2" = "1700000300 1700000200" ] || fail "page 2: $t2"
lek=$(echo "$page2" | json 'd["LastEvaluatedKey"]')
page3=$(q --limit 2 --no-paginate --exclusive-start-key "$lek" --output json)
t3=$(echo "$page3" | json '" ".join(i["buildTime"]["N"] for i in d["Items"])')
last=$(echo "$page3" | json '"LastEvaluatedKey" in d')
[ "$t3" = "1700000100" ] || fail "page 3: $t3"
ok "Limit paging: $t1 | $t2 | $t3 (more after the last page: $last)"

cli=$(q --max-items 3 --output json)
[ "$(echo "$cli" | json '" ".join(i["buildTime"]["N"] for i in d["Items"])')" = "1700000500 1700000400 1700000300" ] || fail "--max-items 3"
echo "$cli" | json 'd["NextToken"]' >/dev/null || fail "no NextToken after --max-items"
ok "CLI paging with --max-items"

id=$(q --limit 1 --query 'Items[0].buildID.S' --output text)
expect_error ConditionalCheckFailedException put "$id" "$project" 1 queued
got=$(ddbcli get-item --table-name "$table" --key "{\"buildID\":{\"S\":\"$id\"}}" --query 'Item.status.S' --output text)
[ "$got" = succeeded ] || fail "a conditional put overwrote the record: $got"
ok "a start never overwrites a record (ConditionalCheckFailedException)"
