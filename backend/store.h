/* store: the build store interface (DESIGN.md §3). One implementation per
 * profile: SQLite (store_sqlite.c) or DynamoDB (store_dynamodb.c).
 *
 * Every operation is asynchronous and runs on the worker thread: it returns at
 * once and later calls done(ctx, reply) exactly once from the worker's event
 * loop (never from inside the call). The reply is owned by the store and valid
 * during the callback only; the callback may take its members (set them to NULL
 * or zero n) to keep them. */
#ifndef AFTOMATO_STORE_H
#define AFTOMATO_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "err.h"

struct store_reply {
	int rc;               /* 0 or -1 */
	struct err err;       /* ERR_CONFLICT when a condition failed, ERR_NOTFOUND, ... */
	struct build *build;  /* create / update / get: the record as stored */
	struct build_list builds; /* query / active: newest first */
	char *next_cursor;    /* query: NULL on the last page */
};

typedef void (*store_done_fn)(void *ctx, struct store_reply *r);

/* A conditional transition: applies only while the record's status is in
 * from_mask (BUILD_MASK bits); otherwise ERR_CONFLICT. isBuilding follows `to`. */
struct store_update {
	char id[BUILD_ID_LEN + 1];
	unsigned from_mask;
	enum build_status to;
	int64_t build_time;     /* > 0: set buildTime (a queued build starting) */
	bool set_result;
	int build_result;
	bool set_elapsed;
	int64_t elapsed_s;
	const char *job_name;       /* non-NULL: set */
	const char *status_message; /* non-NULL: set */
};

struct store;

struct store_ops {
	const char *name; /* "sqlite", "dynamodb" */
	/* Creates the record; fails with ERR_CONFLICT if the ID exists. */
	void (*create)(struct store *s, const struct build *b, store_done_fn done, void *ctx);
	void (*update)(struct store *s, const struct store_update *u, store_done_fn done,
		       void *ctx);
	/* A full build ID or a unique prefix (ERR_AMBIGUOUS / ERR_NOTFOUND). */
	void (*get)(struct store *s, const char *id_or_prefix, store_done_fn done, void *ctx);
	/* One page of a project's builds, newest first. cursor: NULL for the first
	 * page, else a previous reply's next_cursor. limit > 0. */
	void (*query)(struct store *s, const char *project_key, const char *cursor, int limit,
		      store_done_fn done, void *ctx);
	/* Every queued or running build (all projects), newest first. project_keys
	 * (n of them) lists the known projects for stores that can only query per
	 * project; others may ignore it. */
	void (*active)(struct store *s, const char *const *project_keys, size_t n,
		       store_done_fn done, void *ctx);
	void (*free)(struct store *s);
};

struct store {
	const struct store_ops *ops;
};

/* Calls done with a reply built by the caller, from the event loop's next
 * iteration (used by synchronous implementations). Takes ownership of r. */
struct evloop;
void store_reply_later(struct evloop *loop, struct store_reply *r, store_done_fn done,
		       void *ctx);
/* Frees a reply and its members. */
void store_reply_free(struct store_reply *r);

#endif
