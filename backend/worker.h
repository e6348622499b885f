/* worker: the background thread that owns every socket and child process
 * (DESIGN.md §3). The UI or CLI thread talks to it only through two queues of
 * messages (msg.h): worker_send hands a request over and wakes the worker with
 * curl_multi_wakeup; replies and events come back on the other queue, and the
 * worker signals them on an eventfd the UI polls beside stdin. */
#ifndef AFTOMATO_WORKER_H
#define AFTOMATO_WORKER_H

#include "blob.h"
#include "err.h"
#include "exec.h"
#include "profile.h"
#include "store.h"

struct evloop;
struct msg;
struct worker;

/* The backends a profile uses, made on the worker thread by a wiring function
 * (src/wiring.c), so they belong to the worker's event loop. */
struct worker_backends {
	struct store *store;
	struct blob *blob;
	struct executor *exec;
	int64_t pass_interval_ms; /* how often to reconcile; 0: default */
	/* Set by the worker before wiring: hands a one-line notice (a warning
	 * from a backend, e.g. a credentials file readable by others) to the UI
	 * side as MSG_NOTICE. Worker thread only. */
	void (*notice)(void *ctx, const struct err *e);
	void *notice_ctx;
};
typedef int (*worker_wire_fn)(void *ctx, struct evloop *loop, const struct profile *p,
			      struct worker_backends *out, struct err *e);

/* Starts the worker thread for profile p (copied by reference: p must outlive
 * the worker). wire(wire_ctx, ...) runs first on the worker thread; the first
 * event is MSG_READY saying whether it succeeded. Returns NULL with e filled
 * when the thread cannot start. */
struct worker *worker_start(const struct profile *p, worker_wire_fn wire, void *wire_ctx,
			    struct err *e);

/* Hands a request to the worker (takes m). Thread-safe. */
void worker_send(struct worker *w, struct msg *m);

/* An eventfd that is readable while replies or events wait. */
int worker_fd(struct worker *w);
/* Clears the eventfd; call before draining with worker_recv. */
void worker_ack(struct worker *w);
/* The next reply or event (caller owns it), or NULL. */
struct msg *worker_recv(struct worker *w);

/* Stops the worker: it finishes work in flight (archiving an ended build,
 * starting a claimed one) for at most drain_ms, then the thread is joined and
 * everything freed. Work still in flight after drain_ms is abandoned instead:
 * its memory stays allocated (and reachable) until the process exits, and the
 * next aftomato redoes it. Builds keep running. */
void worker_stop(struct worker *w, int drain_ms);
/* Like worker_stop, returning the events the worker sent that were not read
 * (e.g. notices from the drain), oldest first, linked through msg->next; the
 * caller frees each with msg_free. */
struct msg *worker_stop_collect(struct worker *w, int drain_ms);

#endif
