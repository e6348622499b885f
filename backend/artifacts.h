/* artifacts: the artifact requests about one build (MSG_ARTIFACTS_LIST,
 * MSG_ARTIFACT_GET, MSG_ARTIFACTS_PUSH), on the worker thread. Paths in
 * requests and answers are relative to the build's artifactsPrefix. */
#ifndef AFTOMATO_ARTIFACTS_H
#define AFTOMATO_ARTIFACTS_H

#include "blob.h"
#include "build.h"
#include "err.h"

struct evloop;
struct msg;

typedef void (*artifacts_done_fn)(void *ctx, int rc, const struct err *e);

/* Serves request m (kept by the caller, who replies) about build b: fills m's
 * results, sends MSG_PROGRESS events through emit while downloading, then
 * calls done once. b is copied as needed. */
void artifacts_request(struct evloop *loop, struct blob *blob, const struct build *b,
		       struct msg *m, void (*emit)(void *ctx, struct msg *m), void *emit_ctx,
		       artifacts_done_fn done, void *ctx);

/* prefix + rel with exactly one '/' between (rel may be NULL or empty).
 * Caller frees. */
char *artifacts_key(const char *prefix, const char *rel);

#endif
