/* podlog: follows the log of one container of a pod into a logstore.
 *
 * The log is requested with follow and timestamps. Each line's timestamp (an
 * RFC3339Nano prefix of variable width) is stripped and becomes the line's
 * arrival time in the store, so the store holds the container's bytes exactly.
 * Only whole lines are stored.
 *
 * While the container waits to start the API answers 400 ("... is waiting to
 * start: ContainerCreating", ImagePullBackOff, ErrImagePull,
 * CreateContainerConfigError, ...): the reason is reported and the request
 * retried every PODLOG_WAIT_RETRY_MS. A stream that breaks is resumed with
 * sinceTime, which has one-second resolution: the follower remembers the second
 * of the last line it received and how many lines of that second it has, and
 * skips that many lines of that second in the resumed stream (stern's way), so
 * no line is lost or repeated. A stream that ends normally ends the follow when
 * the caller says the container has terminated; otherwise it is resumed. A pod
 * that no longer exists (404) ends it too. */
#ifndef AFTOMATO_K8S_PODLOG_H
#define AFTOMATO_K8S_PODLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct logstore;
struct rest;
struct podlog;

#define PODLOG_WAIT_RETRY_MS  1000
#define PODLOG_BACKOFF_MIN_MS 100
#define PODLOG_BACKOFF_MAX_MS 30000
#define PODLOG_RECHECK_MS     250  /* normal end, container not known to be done */
#define PODLOG_END_WAIT_MS    5000 /* ... for this long: follow again */
#define PODLOG_STALL_MAX_MS   250  /* cut streams that brought nothing new */

/* --- resume bookkeeping (exposed for tests) -------------------------------- */

struct podlog_resume {
	int64_t last_sec; /* second of the last line kept; -1: none yet */
	uint64_t in_sec;  /* lines kept whose second is last_sec */
	uint64_t skip;	  /* lines of last_sec the current stream repeats */
	uint64_t kept, skipped;
};

void podlog_resume_init(struct podlog_resume *r);
/* A new stream starts. When lines were seen, writes the sinceTime to ask for
 * ("2026-01-02T03:04:05Z") into since (size >= 21) and returns true. */
bool podlog_resume_start(struct podlog_resume *r, char *since, size_t size);
/* A line stamped with second sec arrived: true to keep it, false when the
 * stream repeats a line already kept. */
bool podlog_resume_line(struct podlog_resume *r, int64_t sec);

/* Splits "2026-01-02T03:04:05.123Z text" at the first space: the time (Unix
 * seconds and nanoseconds) and the offset of the text. -1 when the line has
 * no valid timestamp. */
int podlog_split(const char *line, size_t len, int64_t *sec, int32_t *nsec, size_t *text_at);

/* --- following ------------------------------------------------------------------ */

enum podlog_end {
	PODLOG_DONE, /* the container terminated and all its output is stored */
	PODLOG_GONE, /* the pod no longer exists: what arrived is stored */
};

struct podlog_ops {
	/* Lines were added to the store. */
	void (*grew)(void *ctx);
	/* The container waits to start (reason as the API gives it), or a request
	 * failed and is retried (reason NULL, e has the error). */
	void (*waiting)(void *ctx, const char *reason, const struct err *e);
	/* True when the caller knows the container has terminated. */
	bool (*terminated)(void *ctx);
	/* The follow is over; the podlog stays until podlog_free. */
	void (*ended)(void *ctx, enum podlog_end how);
};

/* Starts following container of pod ns/pod into store (opened for writing;
 * a reference is taken). ops/ctx outlive the podlog. Strings are copied. */
struct podlog *podlog_new(struct rest *r, const char *ns, const char *pod, const char *container,
			  struct logstore *store, const struct podlog_ops *ops, void *ctx);
void podlog_free(struct podlog *pl);

/* The store (borrowed). */
struct logstore *podlog_store(struct podlog *pl);
bool podlog_ended(const struct podlog *pl);
/* Streams opened (1 + resumes) and lines skipped as repeats. */
unsigned podlog_streams(const struct podlog *pl);
const struct podlog_resume *podlog_resume_state(const struct podlog *pl);

#endif
