/* lifecycle: the build lifecycle on the worker thread. It answers the UI's
 * requests (msg.h) with the three backends of a profile (store, blob store,
 * executor), queues builds one per project and branch, starts them, archives
 * them when they end (archive.h) and keeps records and logs flowing to the UI.
 *
 * Several aftomato processes may work on one data_dir or cluster at once: every
 * record change is conditional, local scheduling decisions are serialised with
 * a lock file, and each ended build is finalised by exactly one process. */
#ifndef AFTOMATO_LIFECYCLE_H
#define AFTOMATO_LIFECYCLE_H

#include <stdint.h>

#include "blob.h"
#include "exec.h"
#include "profile.h"
#include "store.h"

struct evloop;
struct msg;
struct lifecycle;

struct lifecycle_deps {
	struct evloop *loop;
	struct store *store;
	struct blob *blob;
	struct executor *exec;
	const struct profile *profile;
	/* Hands a message to the UI side (takes ownership). */
	void (*emit)(void *ctx, struct msg *m);
	void *emit_ctx;
	int64_t pass_interval_ms; /* periodic reconcile; 0: 5 s */
};

/* The backends stay the caller's; deps->exec->events is set here. */
struct lifecycle *lifecycle_new(const struct lifecycle_deps *deps);
void lifecycle_free(struct lifecycle *lc);

/* Re-attaches to running builds, finalises ended ones, resumes pending
 * uploads and starts queued builds. Call once. */
void lifecycle_start(struct lifecycle *lc);

/* Handles a request (takes m); the answer goes back through emit. */
void lifecycle_request(struct lifecycle *lc, struct msg *m);

/* Operations in flight (requests, archiving, scheduling). */
int lifecycle_busy(struct lifecycle *lc);

#endif
