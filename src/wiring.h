/* wiring: a profile's backends (DESIGN.md §3): which store, blob store and
 * executor implementations it uses, made on the worker thread. */
#ifndef AFTOMATO_WIRING_H
#define AFTOMATO_WIRING_H

#include "worker.h"

struct wiring {
	const char *self_exe;   /* this binary, for build supervisors */
	int then_reconcile;     /* supervisors finalise their build themselves */
};

/* A worker_wire_fn; ctx is a struct wiring. */
int wiring_make(void *ctx, struct evloop *loop, const struct profile *p,
		struct worker_backends *out, struct err *e);

#endif
