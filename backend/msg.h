/* msg: the messages between the UI (or CLI) thread and the worker thread.
 * A request travels UI → worker; the worker fills in the result and sends the
 * same message back (reply = true). Events travel worker → UI only. Whoever
 * holds a message owns it and everything it points to; msg_free frees it all. */
#ifndef AFTOMATO_MSG_H
#define AFTOMATO_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "blob.h"
#include "build.h"
#include "err.h"

struct logstore;
struct project_list;

enum msg_type {
	/* requests, UI → worker (answered with the same message, reply = true) */
	MSG_PROJECTS,       /* → projects */
	MSG_BUILD_START,    /* project, branch, triggered_by → build */
	MSG_RETRIGGER,      /* build_ref, triggered_by → build (the new one) */
	MSG_CANCEL,         /* build_ref → build */
	MSG_BUILD_GET,      /* build_ref (ID or unique prefix) → build */
	MSG_BUILDS_QUERY,   /* project, cursor, limit → builds, next_cursor */
	MSG_BUILDS_ACTIVE,  /* → builds (every queued and running build) */
	MSG_LOG_OPEN,       /* build_ref [, path = sidecar container] → build, log (then
			       MSG_LOG_GREW events) */
	MSG_LOG_CLOSE,      /* build_ref (a full ID) [, path = container] */
	MSG_ARTIFACTS_LIST, /* build_ref, path (prefix), cursor → entries, next_cursor */
	MSG_ARTIFACT_GET,   /* build_ref, path, dest → dest (MSG_PROGRESS events) */
	MSG_ARTIFACTS_PUSH, /* build_ref, path (a local directory) → count */
	MSG_RECONCILE,      /* → (finish pending work, then reply) */
	/* events, worker → UI */
	MSG_READY,         /* the worker started (rc/err say whether it could); path:
			      where builds run, insecure: TLS is not verified */
	MSG_BUILD_CHANGED, /* build: a record was created or changed state */
	MSG_LOG_GREW,      /* build_ref (ID), path (container or NULL), log: new bytes,
			      or the log is complete */
	MSG_PROGRESS,      /* id: the request; done_bytes of total_bytes */
	MSG_NOTICE,        /* err: a one-line problem from background work */
};

struct msg {
	struct msg *next; /* queue link */
	enum msg_type type;
	uint64_t id; /* chosen by the requester, echoed in the reply */
	bool reply;
	int rc;
	struct err err;

	/* arguments */
	char *project;
	char *branch;
	char *build_ref;
	char *path;
	char *dest;
	char *cursor;
	char *triggered_by;
	int limit;
	bool recursive; /* artifacts list: every key, no "directories" */
	bool insecure;  /* MSG_READY: the executor's connection skips TLS verification */

	/* results */
	struct build *build;
	struct build_list builds;
	char *next_cursor;
	struct project_list *projects;
	struct blob_list entries;
	struct logstore *log; /* a reference: msg_free unrefs it */
	uint64_t done_bytes, total_bytes;
	uint64_t count;
};

/* A zeroed message of the given type; caller owns it. */
struct msg *msg_new(enum msg_type type);
/* Frees m and everything it owns (NULL is fine). */
void msg_free(struct msg *m);
const char *msg_type_name(enum msg_type t);

#endif
