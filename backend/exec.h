/* exec: the executor interface (DESIGN.md §3): runs builds and follows them.
 * One implementation per profile: local processes (exec_local.c) or Kubernetes
 * Jobs (exec_k8s.c). Everything runs on the worker thread; the executor reports
 * through the callbacks of struct exec_events, which the lifecycle provides. */
#ifndef AFTOMATO_EXEC_H
#define AFTOMATO_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "err.h"

struct logstore;
struct project;

struct exec_result {
	enum build_status status; /* succeeded, failed, cancelled, timedout or error */
	bool has_exit;
	int exit_code;            /* build.sh's exit code (128+N for signal N) */
	int64_t started_ms;       /* wall clock; 0 if it never started */
	int64_t finished_ms;
	char message[256];        /* one line for people; "" when nothing to say */
};

/* Called on the worker thread. build_id is valid during the call only. */
struct exec_events {
	void *ctx;
	/* The build is running (its log may start to grow). */
	void (*running)(void *ctx, const char *build_id, int64_t started_ms);
	/* The live log of the build (container NULL) or of one of its sidecar
	 * containers grew. */
	void (*log)(void *ctx, const char *build_id, const char *container);
	/* The build ended and its live log is complete. When finalize is true this
	 * process must archive it (log, artifacts, record) and then call
	 * ops->cleanup; when false another process does. */
	void (*finished)(void *ctx, const char *build_id, const struct exec_result *r,
			 bool finalize);
	/* A build this process did not start was found running (another console,
	 * or a run left by a previous process). */
	void (*found)(void *ctx, const char *build_id);
};

struct executor;

struct exec_ops {
	const char *name; /* "local", "kubernetes": the record's `executor` */
	/* Fills the executor's fields of a new record (executor, jobName). */
	void (*prepare)(struct executor *x, struct build *b);
	/* Where builds run, for people ("local:host", "context (server,
	 * namespace)"), and whether the connection to it skips TLS verification.
	 * The string is the executor's. Optional (NULL). */
	const char *(*describe)(struct executor *x, bool *insecure);
	/* Starts a claimed build (status running in the store). */
	int (*start)(struct executor *x, const struct build *b, const struct project *p,
		     struct err *e);
	/* Asks a running build to stop (SIGTERM, then SIGKILL; or delete the Job).
	 * The end is reported through events->finished as cancelled. */
	int (*cancel)(struct executor *x, const char *build_id, struct err *e);
	/* Looks for runs left by earlier processes and reports them through
	 * events (found + running, or finished). Called once, at start. */
	int (*attach)(struct executor *x, struct err *e);
	/* Whether build b is (or was) run by this executor on this host/cluster,
	 * so the lifecycle may reconcile it. */
	bool (*owns)(struct executor *x, const struct build *b);
	/* True while a build of this executor is running or being finalized. */
	bool (*is_live)(struct executor *x, const char *build_id);
	/* The live log of a running build (container NULL), or of one of its
	 * sidecar containers: a new reference (logstore_unref), or NULL when this
	 * executor does not follow that build or has no such container. */
	struct logstore *(*log)(struct executor *x, const char *build_id, const char *container);
	/* A local directory with a finished build's artifacts for the lifecycle to
	 * upload (caller frees), or NULL when the build uploads its own. */
	char *(*artifacts_dir)(struct executor *x, const char *build_id);
	/* The build has been archived: remove what is left of the run. */
	void (*cleanup)(struct executor *x, const char *build_id);
	void (*free)(struct executor *x);
};

struct executor {
	const struct exec_ops *ops;
	struct exec_events events;
};

#endif
