/* uploader: stores a local directory tree in the blob store, one object per
 * file under a key prefix, several files at a time. Used to archive a build's
 * artifacts and by `aftomato artifacts push`. */
#ifndef AFTOMATO_UPLOADER_H
#define AFTOMATO_UPLOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "blob.h"
#include "err.h"

#define UPLOADER_PARALLEL 4

struct evloop;

/* files: how many were stored; rc -1 (e valid during the call) when any
 * failed — the others were still tried. */
typedef void (*uploader_done_fn)(void *ctx, int rc, const struct err *e, uint64_t files);

/* Uploads every regular file under dir to bucket as prefix + relative path.
 * When remove_stored is true each file is deleted once stored, so what is left
 * is what remains to send. extra_path/extra_key (may be NULL) add one more file
 * (bucket extra_bucket). Strings are copied; done is called once, later. */
void uploader_start(struct evloop *loop, struct blob *blob, enum blob_bucket bucket,
		    const char *dir, const char *prefix, bool remove_stored,
		    const char *extra_path, enum blob_bucket extra_bucket, const char *extra_key,
		    uploader_done_fn done, void *ctx);

/* A content type for a key, from its extension. Static string. */
const char *uploader_content_type(const char *key);

#endif
