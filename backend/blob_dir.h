/* blob_dir: the blob store as a directory (the embedded default). Objects are
 * files at <root>/<bucket>/<key>, mirroring the S3 layout of DESIGN.md §2. */
#ifndef AFTOMATO_BLOB_DIR_H
#define AFTOMATO_BLOB_DIR_H

#include "blob.h"
#include "err.h"

struct evloop;

/* root is created if needed; the bucket names are the profile's (directory
 * names under root). Caller frees with b->ops->free. */
struct blob *blob_dir_new(struct evloop *loop, const char *root, const char *artifacts_bucket,
			  const char *logs_bucket, struct err *e);

/* Whether key is acceptable as an object key: not empty, no leading '/', no
 * "." or ".." segment, no empty segment, no NUL/control characters. */
bool blob_dir_key_ok(const char *key);

#endif
