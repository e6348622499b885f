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

struct uploader;

/* A new upload job; add files and directories, then run it. When remove_stored
 * is true each file is deleted once stored, so what is left is what remains
 * to send. */
struct uploader *uploader_new(struct evloop *loop, struct blob *blob, bool remove_stored);
/* Every regular file under dir, as prefix + relative path. A missing dir adds
 * nothing; an unreadable one makes the job fail. Strings are copied. */
void uploader_add_dir(struct uploader *u, enum blob_bucket bucket, const char *dir,
		      const char *prefix);
/* One file as key. Strings are copied. */
void uploader_add_file(struct uploader *u, enum blob_bucket bucket, const char *path,
		       const char *key);
/* Starts the uploads (takes u); done is called once, later, and u freed. */
void uploader_run(struct uploader *u, uploader_done_fn done, void *ctx);

/* A content type for a key, from its extension. Static string. */
const char *uploader_content_type(const char *key);

#endif
