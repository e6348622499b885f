#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "evloop.h"
#include "lifecycle.h"
#include "msg.h"
#include "queue.h"
#include "timeutil.h"
#include "xmem.h"

#define LOOP_WAIT_MS 1000

struct worker {
	const struct profile *profile;
	worker_wire_fn wire;
	void *wire_ctx;
	struct evloop *loop;
	struct queue *to_worker, *to_ui;
	int event_fd;
	pthread_t thread;
	atomic_bool stop;
	bool abandoned; /* set by the worker thread before it ends */
	atomic_int drain_ms;
};

static void s_wake_worker(void *ctx)
{
	struct worker *w = ctx;
	evloop_wakeup(w->loop);
}

static void s_wake_ui(void *ctx)
{
	struct worker *w = ctx;
	uint64_t one = 1;
	while (write(w->event_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void s_emit(void *ctx, struct msg *m)
{
	struct worker *w = ctx;
	queue_push(w->to_ui, m);
}

static void s_notice(void *ctx, const struct err *e)
{
	struct msg *m = msg_new(MSG_NOTICE);
	m->rc = -1;
	m->err = *e;
	s_emit(ctx, m);
}

static void s_drain_requests(struct worker *w, struct lifecycle *lc)
{
	struct msg *m;
	while ((m = queue_pop(w->to_worker))) {
		if (lc) {
			lifecycle_request(lc, m);
		} else {
			m->reply = true;
			m->rc = -1;
			err_set(&m->err, ERR_INTERNAL, "the worker could not start");
			s_emit(w, m);
		}
	}
}

static void s_free_backends(struct worker_backends *b)
{
	if (b->exec)
		b->exec->ops->free(b->exec);
	if (b->blob)
		b->blob->ops->free(b->blob);
	if (b->store)
		b->store->ops->free(b->store);
}

/* Work still in flight after the drain time is abandoned, not freed: pending
 * timers and transfers still point into it. It stays reachable here until the
 * process exits; the next aftomato redoes the work (records are only changed
 * conditionally and archives are resumed). */
struct s_abandoned {
	struct s_abandoned *next;
	struct evloop *loop;
	struct lifecycle *lc;
	struct worker_backends be;
};
static struct s_abandoned *s_abandoned_list;
static pthread_mutex_t s_abandoned_lock = PTHREAD_MUTEX_INITIALIZER;

static void s_abandon(struct worker *w, struct lifecycle *lc, struct worker_backends *be)
{
	struct s_abandoned *a = xcalloc(1, sizeof(*a));
	a->loop = w->loop;
	a->lc = lc;
	a->be = *be;
	w->abandoned = true; /* read by worker_stop after the join: it keeps the loop */
	pthread_mutex_lock(&s_abandoned_lock);
	a->next = s_abandoned_list;
	s_abandoned_list = a;
	pthread_mutex_unlock(&s_abandoned_lock);
}

static void *s_main(void *arg)
{
	struct worker *w = arg;
	struct worker_backends be = {.notice = s_notice, .notice_ctx = w};
	struct lifecycle *lc = NULL;
	struct msg *ready = msg_new(MSG_READY);
	if (w->wire(w->wire_ctx, w->loop, w->profile, &be, &ready->err) < 0) {
		ready->rc = -1;
		s_free_backends(&be);
		memset(&be, 0, sizeof(be));
	} else {
		struct lifecycle_deps d = {
			.loop = w->loop,
			.store = be.store,
			.blob = be.blob,
			.exec = be.exec,
			.profile = w->profile,
			.emit = s_emit,
			.emit_ctx = w,
			.pass_interval_ms = be.pass_interval_ms,
		};
		lc = lifecycle_new(&d);
		bool insecure = false;
		if (be.exec->ops->describe)
			ready->path = xstrdup(be.exec->ops->describe(be.exec, &insecure));
		ready->insecure = insecure;
	}
	s_emit(w, ready);
	if (lc)
		lifecycle_start(lc);
	while (!atomic_load(&w->stop)) {
		evloop_run_once(w->loop, LOOP_WAIT_MS);
		s_drain_requests(w, lc);
	}
	/* Finish what is in flight, within the drain time. */
	int64_t until = timeutil_mono_ms() + atomic_load(&w->drain_ms);
	while (lc && lifecycle_busy(lc) > 0 && timeutil_mono_ms() < until) {
		evloop_run_once(w->loop, 100);
		s_drain_requests(w, lc);
	}
	if (lc && lifecycle_busy(lc) > 0) {
		s_abandon(w, lc, &be);
		return NULL;
	}
	lifecycle_free(lc);
	s_free_backends(&be);
	return NULL;
}

struct worker *worker_start(const struct profile *p, worker_wire_fn wire, void *wire_ctx,
			    struct err *e)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	w->profile = p;
	w->wire = wire;
	w->wire_ctx = wire_ctx;
	w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->event_fd < 0) {
		err_errno(e, errno, "cannot create an eventfd");
		free(w);
		return NULL;
	}
	w->loop = evloop_new(e);
	if (!w->loop) {
		close(w->event_fd);
		free(w);
		return NULL;
	}
	w->to_worker = queue_new(s_wake_worker, w);
	w->to_ui = queue_new(s_wake_ui, w);
	/* The worker inherits a mask with every asynchronous signal blocked:
	 * they go to the UI thread, which restores the terminal. Faults raised by
	 * the worker itself (SIGSEGV, ...) stay deliverable, so the console's crash
	 * handler still runs when the worker crashes. */
	sigset_t all, old;
	sigfillset(&all);
	static const int s_faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
	for (size_t i = 0; i < sizeof(s_faults) / sizeof(s_faults[0]); i++)
		sigdelset(&all, s_faults[i]);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, s_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_errno(e, rc, "cannot start the worker thread");
		queue_free(w->to_worker);
		queue_free(w->to_ui);
		evloop_free(w->loop);
		close(w->event_fd);
		free(w);
		return NULL;
	}
	return w;
}

void worker_send(struct worker *w, struct msg *m)
{
	queue_push(w->to_worker, m);
}

int worker_fd(struct worker *w)
{
	return w->event_fd;
}

void worker_ack(struct worker *w)
{
	uint64_t v;
	while (read(w->event_fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

struct msg *worker_recv(struct worker *w)
{
	return queue_pop(w->to_ui);
}

struct msg *worker_stop_collect(struct worker *w, int drain_ms)
{
	if (!w)
		return NULL;
	atomic_store(&w->drain_ms, drain_ms);
	atomic_store(&w->stop, true);
	evloop_wakeup(w->loop);
	pthread_join(w->thread, NULL);
	struct msg *head = NULL, **tail = &head, *m;
	while ((m = queue_pop(w->to_ui))) {
		*tail = m;
		tail = &m->next;
	}
	queue_free(w->to_worker);
	queue_free(w->to_ui);
	if (!w->abandoned)
		evloop_free(w->loop);
	close(w->event_fd);
	free(w);
	return head;
}

void worker_stop(struct worker *w, int drain_ms)
{
	struct msg *m = worker_stop_collect(w, drain_ms);
	while (m) {
		struct msg *next = m->next;
		msg_free(m);
		m = next;
	}
}
