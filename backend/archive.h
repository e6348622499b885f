/* archive: what happens to a build's output when it ends. The spool is
 * compressed into <data_dir>/pending/<id>/log.gz (in slices, so the worker's
 * loop keeps running), the artifacts directory (local builds) is moved next to
 * it, and both are uploaded to the blob store with the layout of DESIGN.md §2.
 * pending/<id>/ is removed only when every upload succeeded; otherwise it stays
 * and archive_resume uploads it later, so no console log is ever lost. */
#ifndef AFTOMATO_ARCHIVE_H
#define AFTOMATO_ARCHIVE_H

#include "blob.h"
#include "build.h"
#include "err.h"

struct evloop;

/* rc 0 when everything is stored; -1 with e (valid during the call) when
 * something is kept in pending/ for later. prepared is true once log.gz exists
 * (the spool may then go). */
typedef void (*archive_done_fn)(void *ctx, int rc, const struct err *e, bool prepared);

/* Archives build b (its logKey and artifactsPrefix, derived when absent).
 * spool is the complete log; artifacts_dir may be NULL. Strings are copied. */
void archive_start(struct evloop *loop, struct blob *blob, const char *data_dir,
		   const struct build *b, const char *spool, const char *artifacts_dir,
		   archive_done_fn done, void *ctx);

/* Uploads every build left in <data_dir>/pending/ by earlier runs; done is
 * called once when all were tried (rc -1 when any is still pending). */
void archive_resume(struct evloop *loop, struct blob *blob, const char *data_dir,
		    archive_done_fn done, void *ctx);

/* The pending copy of a build's compressed log, if there is one (for viewing a
 * log whose upload is still to come). New string or NULL. */
char *archive_pending_log(const char *data_dir, const char *build_id);

#endif
