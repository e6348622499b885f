/* blob_s3: the blob store on S3 (store: aws), with the buckets and layout of
 * DESIGN.md §2 and the semantics of blob_dir:
 *   put_file  s3upload.h: SHA-256 of the file first (in slices on the loop),
 *             then PutObject of the file range with that payload hash, or a
 *             parallel multipart upload above 16 MiB (aborted on failure);
 *   get       GetObject streamed with Range, resumed after a dropped
 *             connection; reading at or past the end gives no bytes;
 *   head      HeadObject (size, Last-Modified);
 *   list      ListObjectsV2 with prefix and delimiter, objects and common
 *             prefixes merged in key order; the token is S3's continuation
 *             token (opaque), next_token is NULL on the last page;
 *   del       DeleteObjects, 1000 keys per request;
 *   location  "s3://bucket/key".
 * Keys with spaces, + = & %, and non-ASCII round-trip. */
#ifndef AFTOMATO_BLOB_S3_H
#define AFTOMATO_BLOB_S3_H

#include "blob.h"

struct evloop;
struct awsclient;

/* A blob store on the two buckets through client (a reference is taken).
 * Caller frees with b->ops->free. */
struct blob *blob_s3_new(struct evloop *loop, struct awsclient *client,
			 const char *artifacts_bucket, const char *logs_bucket);

#endif
