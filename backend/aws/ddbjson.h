/* ddbjson: build records as DynamoDB items (DESIGN.md §2) and page cursors.
 *
 * An item is the record's JSON form (build_to_json) with each value typed: text
 * as S (empty strings are left out, as DynamoDB keys refuse them), integers as
 * N strings. Back, S/N/BOOL/NULL become plain JSON and build_from_json does the
 * rest, so records of the original system (no `status`) get their state
 * derived the same way everywhere. Unknown attributes are kept out.
 *
 * A query cursor is "v1:<buildTime N as stored>:<buildID>": the index position
 * of the last record returned (with the project key it is the
 * ExclusiveStartKey), so paging is exact with ties in buildTime. */
#ifndef AFTOMATO_DDBJSON_H
#define AFTOMATO_DDBJSON_H

#include <jansson.h>

#include "build.h"
#include "err.h"

/* {"S": s} and {"N": "<n>"}. New references. */
json_t *ddbjson_s(const char *s);
json_t *ddbjson_n(int64_t n);

/* The item for b. New reference. */
json_t *ddbjson_from_build(const struct build *b);

/* The plain JSON object of an item (S -> string, N -> integer or real, BOOL ->
 * 0/1, NULL -> null). New reference; NULL when item is not an object. */
json_t *ddbjson_to_plain(const json_t *item);

/* A record from an item; *out is the caller's. ERR_PROTO when it is not one. */
int ddbjson_to_build(const json_t *item, struct build **out, struct err *e);

/* The N string of attribute name in item, or NULL. Points into item. */
const char *ddbjson_n_raw(const json_t *item, const char *name);
/* The S string of attribute name in item, or NULL. */
const char *ddbjson_s_raw(const json_t *item, const char *name);

/* Cursors (see above). encode returns a new string; decode fills new strings
 * the caller frees, or fails with ERR_USAGE. */
char *ddbjson_cursor_encode(const char *build_time_n, const char *build_id);
int ddbjson_cursor_decode(const char *cursor, char **build_time_n, char **build_id, struct err *e);

#endif
