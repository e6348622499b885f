#include "evloop.h"

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>

#include "timeutil.h"
#include "xmem.h"

struct evloop_fd {
	struct evloop_fd *next;
	int fd;
	short events;
	bool dead;
	evloop_fd_fn cb;
	void *ctx;
};

struct evloop_timer {
	struct evloop_timer *next;
	int64_t due_ms;
	uint64_t seq;
	evloop_timer_fn cb;
	void *ctx;
};

struct evloop_easy {
	struct evloop_easy *prev, *next;
	CURL *easy;
	evloop_easy_fn done;
	void *ctx;
};

struct evloop {
	CURLM *multi;
	struct evloop_fd *fds;
	size_t nfds;
	struct evloop_timer *timers; /* sorted by (due_ms, seq) */
	uint64_t timer_seq;
	int transfers;
	struct evloop_easy *easies; /* transfers in progress */
	struct curl_waitfd *waitfds;
	struct evloop_fd **waitw; /* the watcher of each waitfds entry */
	size_t waitfds_cap;
};

struct evloop *evloop_new(struct err *e)
{
	struct evloop *l = xcalloc(1, sizeof(*l));
	l->multi = curl_multi_init();
	if (!l->multi) {
		free(l);
		err_set(e, ERR_INTERNAL, "cannot create a libcurl multi handle");
		return NULL;
	}
	curl_multi_setopt(l->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 16L);
	return l;
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	while (l->easies) {
		struct evloop_easy *ee = l->easies;
		l->easies = ee->next;
		curl_multi_remove_handle(l->multi, ee->easy);
		curl_easy_cleanup(ee->easy);
		free(ee);
	}
	curl_multi_cleanup(l->multi);
	while (l->fds) {
		struct evloop_fd *w = l->fds;
		l->fds = w->next;
		free(w);
	}
	while (l->timers) {
		struct evloop_timer *t = l->timers;
		l->timers = t->next;
		free(t);
	}
	free(l->waitfds);
	free(l->waitw);
	free(l);
}

CURLM *evloop_multi(struct evloop *l)
{
	return l->multi;
}

struct evloop_fd *evloop_watch(struct evloop *l, int fd, short events, evloop_fd_fn cb,
			       void *ctx)
{
	struct evloop_fd *w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->ctx = ctx;
	w->next = l->fds;
	l->fds = w;
	l->nfds++;
	return w;
}

void evloop_unwatch(struct evloop *l, struct evloop_fd *w)
{
	(void)l;
	if (w)
		w->dead = true; /* freed by the next sweep, so callbacks may unwatch */
}

static void s_sweep_fds(struct evloop *l)
{
	struct evloop_fd **pp = &l->fds;
	while (*pp) {
		struct evloop_fd *w = *pp;
		if (w->dead) {
			*pp = w->next;
			l->nfds--;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

struct evloop_timer *evloop_timer(struct evloop *l, int64_t delay_ms, evloop_timer_fn cb,
				  void *ctx)
{
	struct evloop_timer *t = xcalloc(1, sizeof(*t));
	t->due_ms = timeutil_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->seq = ++l->timer_seq;
	t->cb = cb;
	t->ctx = ctx;
	struct evloop_timer **pp = &l->timers;
	while (*pp && (*pp)->due_ms <= t->due_ms)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	return t;
}

void evloop_timer_cancel(struct evloop *l, struct evloop_timer *t)
{
	for (struct evloop_timer **pp = &l->timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
}

int evloop_add_easy(struct evloop *l, CURL *easy, evloop_easy_fn done, void *ctx,
		    struct err *e)
{
	struct evloop_easy *ee = xcalloc(1, sizeof(*ee));
	ee->easy = easy;
	ee->done = done;
	ee->ctx = ctx;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, ee);
	CURLMcode mc = curl_multi_add_handle(l->multi, easy);
	if (mc != CURLM_OK) {
		free(ee);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		return err_set(e, ERR_INTERNAL, "cannot start a transfer: %s",
			       curl_multi_strerror(mc));
	}
	ee->next = l->easies;
	if (l->easies)
		l->easies->prev = ee;
	l->easies = ee;
	l->transfers++;
	return 0;
}

static void s_unlink_easy(struct evloop *l, struct evloop_easy *ee)
{
	if (ee->prev)
		ee->prev->next = ee->next;
	else
		l->easies = ee->next;
	if (ee->next)
		ee->next->prev = ee->prev;
	l->transfers--;
}

void evloop_remove_easy(struct evloop *l, CURL *easy)
{
	struct evloop_easy *ee = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ee);
	if (!ee)
		return;
	curl_multi_remove_handle(l->multi, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	s_unlink_easy(l, ee);
	free(ee);
}

static void s_finish_transfers(struct evloop *l)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(l->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		struct evloop_easy *ee = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ee);
		curl_multi_remove_handle(l->multi, easy);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		if (ee) {
			s_unlink_easy(l, ee);
			evloop_easy_fn done = ee->done;
			void *ctx = ee->ctx;
			free(ee);
			done(ctx, easy, rc);
		}
	}
}

static void s_run_timers(struct evloop *l)
{
	int64_t now = timeutil_mono_ms();
	/* Only timers due now and created before this pass: a callback that adds
	 * a 0 ms timer gets it on the next iteration, so the loop keeps polling. */
	uint64_t last_seq = l->timer_seq;
	while (l->timers && l->timers->due_ms <= now && l->timers->seq <= last_seq) {
		struct evloop_timer *t = l->timers;
		l->timers = t->next;
		evloop_timer_fn cb = t->cb;
		void *ctx = t->ctx;
		free(t);
		cb(ctx);
	}
}

static size_t s_fill_waitfds(struct evloop *l)
{
	if (l->waitfds_cap < l->nfds) {
		l->waitfds_cap = l->nfds * 2;
		l->waitfds = xrealloc(l->waitfds, l->waitfds_cap * sizeof(*l->waitfds));
		l->waitw = xrealloc(l->waitw, l->waitfds_cap * sizeof(*l->waitw));
	}
	size_t n = 0;
	for (struct evloop_fd *w = l->fds; w; w = w->next) {
		if (w->dead)
			continue;
		l->waitfds[n].fd = w->fd;
		l->waitfds[n].events = w->events;
		l->waitfds[n].revents = 0;
		l->waitw[n] = w;
		n++;
	}
	return n;
}

void evloop_run_once(struct evloop *l, int max_wait_ms)
{
	s_sweep_fds(l);
	int wait_ms = max_wait_ms;
	if (l->timers) {
		int64_t until = l->timers->due_ms - timeutil_mono_ms();
		if (until < 0)
			until = 0;
		if (until < wait_ms)
			wait_ms = (int)until;
	}
	size_t n = s_fill_waitfds(l);
	int numfds = 0;
	curl_multi_poll(l->multi, n ? l->waitfds : NULL, (unsigned)n, wait_ms, &numfds);
	int running = 0;
	curl_multi_perform(l->multi, &running);
	s_finish_transfers(l);
	/* Watchers are only freed by s_sweep_fds, so waitw stays valid here even
	 * when a callback unwatches another watcher. */
	for (size_t i = 0; numfds > 0 && i < n; i++) {
		struct evloop_fd *w = l->waitw[i];
		if (l->waitfds[i].revents && !w->dead)
			w->cb(w->ctx, w->fd, l->waitfds[i].revents);
	}
	s_run_timers(l);
}

void evloop_wakeup(struct evloop *l)
{
	curl_multi_wakeup(l->multi);
}

int evloop_transfers(struct evloop *l)
{
	return l->transfers;
}
