#!/usr/bin/env bash
# Listing with continuation: aws s3 ls and list-objects-v2 page through many
# keys (s3rver's continuation tokens), with delimiters and CLI paging tokens.
. "$(dirname "$0")/lib.sh"
bucket=$AFT_AWS_LOGS_BUCKET
n=45
mkdir -p "$work/many/sub"
for i in $(seq -w 1 $n); do echo "$i" > "$work/many/key-$i.log"; done
for i in 1 2 3; do echo "$i" > "$work/many/sub/s$i.log"; done
s3cli s3 cp --only-show-errors --recursive "$work/many" "s3://$bucket/$run_id/"

got=$(s3cli s3 ls --recursive --page-size 7 "s3://$bucket/$run_id/" | wc -l)
[ "$got" = $((n + 3)) ] || fail "aws s3 ls --recursive --page-size 7 listed $got of $((n + 3))"
tokens=$(admin GET '/log?backend=s3' | json "len([e for e in d if 'continuation-token=' in e['path'] and 'max-keys=7' in e['path'] and '$run_id' in e['path'] and e['status'] == 200])")
[ "$tokens" -ge 6 ] || fail "expected at least 6 continuation requests, saw $tokens"
ok "aws s3 ls pages through $got keys ($tokens continuation requests)"

top=$(s3cli s3 ls --page-size 10 "s3://$bucket/$run_id/")
echo "$top" | grep -q 'PRE sub/' || fail "delimiter listing lacks the sub/ prefix: $top"
[ "$(echo "$top" | grep -c 'key-')" = $n ] || fail "delimiter listing has the wrong number of keys"
ok "delimiter listing: $n keys and one common prefix"

first=$(s3cli s3api list-objects-v2 --bucket "$bucket" --prefix "$run_id/key-" --max-items 20 --page-size 6 --output json)
keys1=$(echo "$first" | json '" ".join(o["Key"] for o in d["Contents"])')
next=$(echo "$first" | json 'd["NextToken"]')
rest=$(s3cli s3api list-objects-v2 --bucket "$bucket" --prefix "$run_id/key-" --starting-token "$next" --page-size 6 --output json |
  json '" ".join(o["Key"] for o in d["Contents"])')
all=$(printf '%s %s' "$keys1" "$rest" | tr ' ' '\n')
[ "$(echo "$all" | wc -l)" = $n ] || fail "paging with --starting-token returned $(echo "$all" | wc -l) keys"
[ "$all" = "$(echo "$all" | LC_ALL=C sort)" ] || fail "keys are not in lexicographic order"
[ "$(echo "$all" | sort -u | wc -l)" = $n ] || fail "paging repeated keys"
ok "list-objects-v2 --max-items/--starting-token: $n keys, ordered, no repeats"
