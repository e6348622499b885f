#!/usr/bin/env bash
# A whole build with store: aws and the local executor: the record goes to
# DynamoDB (created, claimed, finished; awscli reads it back through the
# table and the index), the console log to S3 as gzip (aws s3 cp | zcat gives
# what was streamed), the artifacts to S3 one object per file, with spaces,
# + = & % and non-ASCII in their names (awscli lists and fetches them intact);
# aftomato lists builds newest first, finds them by prefix, lists and fetches
# artifacts, and streams the archived log back.
. "$(dirname "$0")/lib.sh"

P=$TEAM/app
project "$P" <<'SH'
#!/bin/sh
echo "start $PROJECT_KEY $BRANCH_TO_BUILD $BUILD_ID"
i=1; while [ $i -le 50 ]; do echo "line $i"; i=$((i+1)); done
u=$(printf 'caf\303\251'); j=$(printf '\346\227\245')
mkdir -p "$ARTIFACTS_DIR/reports/a b" "$ARTIFACTS_DIR/$u"
printf 'report\n' > "$ARTIFACTS_DIR/reports/a b/r+e=p&o%rt.txt"
printf 'unicode\n' > "$ARTIFACTS_DIR/$u/$j.txt"
head -c 200000 /dev/urandom > "$ARTIFACTS_DIR/blob.bin"
cp "$ARTIFACTS_DIR/blob.bin" "$WORKSPACE/../blob-$BUILD_ID"
echo done
SH

aft build "$P" --branch feature/x --follow > "$T/out" || fail "build exited $?"
id=$(head -1 "$T/out")
[ ${#id} -eq 36 ] || fail "first line is not a build ID: $id"
grep -qx "line 50" "$T/out" || fail "log not streamed"
ok "build $id succeeded, log streamed"

# The record, as DynamoDB holds it (awscli), with the attribute names of
# DESIGN.md §2 and their types.
item=$(ddbcli get-item --table-name "$TABLE" --key "{\"buildID\":{\"S\":\"$id\"}}")
echo "$item" | json "d['Item']['projectKey']" | grep -qx "{\"S\": \"$P\"}" || fail "projectKey: $item"
[ "$(echo "$item" | json "d['Item']['status']['S']")" = succeeded ] || fail "status: $item"
[ "$(echo "$item" | json "d['Item']['isBuilding']['N']")" = 0 ] || fail "isBuilding: $item"
[ "$(echo "$item" | json "d['Item']['buildResult']['N']")" = 0 ] || fail "buildResult: $item"
[ "$(echo "$item" | json "d['Item']['branch']['S']")" = feature/x ] || fail "branch: $item"
echo "$item" | json "d['Item']['buildTime']['N']" | grep -qE '^[0-9]+$' || fail "buildTime: $item"
echo "$item" | json "d['Item']['buildElapsedTime']['N']" | grep -qE '^[0-9]+$' || fail "buildElapsedTime"
[ "$(echo "$item" | json "d['Item']['logKey']['S']")" = "$P/$id.log.gz" ] || fail "logKey: $item"
[ "$(echo "$item" | json "d['Item']['artifactsPrefix']['S']")" = "$P/$id/" ] || fail "artifactsPrefix"
ok "record in DynamoDB with the contract's names and types"

# The index, newest first, as awscli queries it.
q=$(ddbcli query --table-name "$TABLE" --index-name "$INDEX" --key-condition-expression 'projectKey = :p' \
	--expression-attribute-values "{\":p\":{\"S\":\"$P\"}}" --no-scan-index-forward)
[ "$(echo "$q" | json "d['Items'][0]['buildID']['S']")" = "$id" ] || fail "index query: $q"

# The console log, gzip in the logs bucket.
aft logs "$id" > "$T/stored.txt"
tail -n +2 "$T/out" | cmp - "$T/stored.txt" || fail "aftomato logs differs from the streamed log"
s3cli s3 cp --only-show-errors "s3://$LOG_BUCKET/$P/$id.log.gz" "$T/log.gz"
zcat "$T/log.gz" | cmp - "$T/stored.txt" || fail "the S3 log (zcat) differs"
ok "console log in S3 as gzip, read back by awscli and by aftomato"

# Artifacts: one object per file, names intact.
s3cli s3 ls --recursive "s3://$ART_BUCKET/$P/$id/" > "$T/s3ls"
grep -q " $P/$id/reports/a b/r+e=p&o%rt.txt$" "$T/s3ls" || fail "awscli listing: $(cat "$T/s3ls")"
grep -q " $P/$id/café/日.txt$" "$T/s3ls" || fail "awscli listing (UTF-8): $(cat "$T/s3ls")"
s3cli s3 cp --only-show-errors "s3://$ART_BUCKET/$P/$id/reports/a b/r+e=p&o%rt.txt" "$T/r.txt"
[ "$(cat "$T/r.txt")" = report ] || fail "artifact content via awscli"
s3cli s3 cp --only-show-errors "s3://$ART_BUCKET/$P/$id/blob.bin" "$T/blob-aws.bin"
cmp "$T/blob-aws.bin" "$DATA/work/blob-$id" || fail "binary artifact via awscli differs"
aft artifacts "$id" > "$T/list"
grep -q ' reports/a b/r+e=p&o%rt.txt$' "$T/list" || fail "aftomato artifacts: $(cat "$T/list")"
grep -q ' café/日.txt$' "$T/list" || fail "aftomato artifacts: $(cat "$T/list")"
[ "$(aft artifacts "${id:0:8}" --json | json 'len(d)')" = 3 ] || fail "artifacts --json"
[ "$(aft artifacts get "$id" "reports/a b/r+e=p&o%rt.txt")" = report ] || fail "artifacts get"
aft artifacts get "$id" "café/日.txt" -o "$T/u.txt" 2>/dev/null
[ "$(cat "$T/u.txt")" = unicode ] || fail "artifacts get (UTF-8)"
aft artifacts get "$id" blob.bin -o "$T/blob.bin" 2>/dev/null
cmp "$T/blob.bin" "$DATA/work/blob-$id" || fail "binary artifact via aftomato differs"
ok "artifacts listed and fetched by both"

# What awscli writes, aftomato reads.
printf 'from awscli\n' > "$T/x.txt"
s3cli s3 cp --only-show-errors "$T/x.txt" "s3://$ART_BUCKET/$P/$id/extra/x y.txt"
[ "$(aft artifacts get "$id" "extra/x y.txt")" = "from awscli" ] || fail "object written by awscli"

# A second build is listed first; prefixes resolve.
id2=$(aft build "$P" | head -1)
wait_until 60 status_is "$id2" succeeded || fail "second build did not succeed"
first=$(aft builds "$P" --json | json 'd[0]["buildID"]')
[ "$first" = "$id2" ] || fail "builds not newest first"
[ "$(aft builds "$P" --json | json 'len(d)')" = 2 ] || fail "two builds expected"
[ "$(field "${id:0:8}" status)" = succeeded ] || fail "show by prefix"
aft builds "$P" | grep -q "^${id2:0:8}  succeeded" || fail "builds table: $(aft builds "$P")"
wait_until 15 no_proc || fail "processes left behind"
[ ! -e "$DATA/pending/$id" ] || fail "pending upload left for $id"
ok "listing, prefixes, second build"
echo ok
