/* logfeed: the build logs the UI (or CLI) side has open, on the worker thread.
 * It hands each log over as a logstore reference inside MSG_LOG_GREW events,
 * rate-limited per log (at most one every LOGFEED_MIN_INTERVAL_MS, and always
 * one when the log completes), so a flooding build cannot flood the queue.
 * Archived logs are fetched from the blob store (or the local pending copy),
 * decompressed into a temporary logstore, and shown as they arrive. */
#ifndef AFTOMATO_LOGFEED_H
#define AFTOMATO_LOGFEED_H

#include <stdbool.h>

#include "blob.h"
#include "build.h"
#include "err.h"

#define LOGFEED_MIN_INTERVAL_MS 25

struct evloop;
struct logstore;
struct msg;
struct logfeed;

/* emit(ctx, m) hands a message to the UI side (takes ownership). */
typedef void (*logfeed_emit_fn)(void *ctx, struct msg *m);

struct logfeed *logfeed_new(struct evloop *loop, const char *data_dir, logfeed_emit_fn emit,
			    void *ctx);
void logfeed_free(struct logfeed *f);

/* A log is that of build id (container NULL) or of one of its sidecar
 * containers. MSG_LOG_GREW carries build_ref = id and path = container. */

/* The UI side opened (or closed) a log; opens are counted. */
void logfeed_open(struct logfeed *f, const char *id, const char *container);
void logfeed_close(struct logfeed *f, const char *id, const char *container);
bool logfeed_is_open(struct logfeed *f, const char *id, const char *container);

/* The log is now ls (a live log, or an archived one being fetched); takes its
 * own reference and tells the UI side at once. */
void logfeed_set(struct logfeed *f, const char *id, const char *container, struct logstore *ls);
/* The current log (borrowed), or NULL. */
struct logstore *logfeed_get(struct logfeed *f, const char *id, const char *container);
/* The log grew or completed: a (rate-limited) MSG_LOG_GREW. */
void logfeed_grew(struct logfeed *f, const char *id, const char *container);

/* Shows the archived log of finished build b: from <data_dir>/pending when its
 * upload is still to come, else from the blob store. Errors reach the UI as a
 * completed log with rc -1 and the error in its MSG_LOG_GREW. */
void logfeed_fetch(struct logfeed *f, struct blob *blob, const struct build *b);

#endif
