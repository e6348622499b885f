/* store_dynamodb: the build store in DynamoDB (store: aws), in the original
 * system's table (hash key buildID) and its global secondary index
 * projectKey-buildTime-index (DESIGN.md §2), with the semantics of
 * store_sqlite:
 *
 *   create  PutItem, condition attribute_not_exists(buildID): ERR_CONFLICT if
 *           the ID exists.
 *   update  UpdateItem returning ALL_NEW, condition: the record exists and its
 *           status is one of from_mask (a record of the original system, with
 *           no status, counts as running while isBuilding = 1). On a failed
 *           condition the record is read again (consistently): ERR_NOTFOUND, or
 *           ERR_CONFLICT with the record as it is. When an earlier attempt's
 *           answer was lost (the write may have been applied) and the record is
 *           now exactly what this update makes, it is a success: each build is
 *           finalised once even across retries.
 *   get     a full ID: GetItem (consistent). A prefix: a parallel Scan (4
 *           segments) of buildID only, filtered with begins_with, which reads
 *           the whole table (DynamoDB has no prefix index on a hash key); it
 *           stops as soon as two matches are found (ERR_AMBIGUOUS), else gives
 *           the one match (read with GetItem) or ERR_NOTFOUND. Exact either way.
 *   query   Query on the index, newest first (ScanIndexForward false), Limit and
 *           ExclusiveStartKey; pages (an empty page with a LastEvaluatedKey is
 *           normal) until `limit` records or the end, at most 20 requests per
 *           call; one record more than asked tells whether another page exists,
 *           so the cursor (ddbjson.h) is exact. Items that are not build records
 *           are skipped.
 *   active  per project key given, a Query on the index over the last 7 days
 *           (buildTime >= now - 7 d) filtered on isBuilding = 1, 8 projects at a
 *           time, merged newest first. A build queued or running for longer
 *           than a week is not seen by this pass (its timeout ends it sooner).
 *
 * Errors are one line: "DynamoDB <Op> <table>: <Code>: <message> (HTTP n)". */
#ifndef AFTOMATO_STORE_DYNAMODB_H
#define AFTOMATO_STORE_DYNAMODB_H

#include "err.h"
#include "store.h"

struct evloop;
struct awsclient;

#define STORE_DYNAMODB_ACTIVE_WINDOW_S (7 * 24 * 3600)

/* A store on table and index through client (a reference is taken). Replies
 * come from loop. Caller frees with s->ops->free. */
struct store *store_dynamodb_new(struct evloop *loop, struct awsclient *client, const char *table,
				 const char *index);

#endif
