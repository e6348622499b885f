/* Unit tests for backend/evloop: the worker's loop on a libcurl multi handle.
 * Timers (order, ties, cancel, 0 ms from callbacks), fd watchers on real
 * pipes (unwatch from inside callbacks), wake-ups from other threads, and
 * libcurl transfers (file:// and a loopback socket that never answers).
 * Labelled "tsan": CI runs it under ThreadSanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "timeutil.h"

#define WATCHDOG_S 100

static struct evloop *s_loop_new(void)
{
	struct err e = {0};
	struct evloop *l = evloop_new(&e);
	if (!l)
		fail_msg("evloop_new: %s", e.msg);
	return l;
}

/* Runs the loop until *flag becomes true or timeout_ms passes. */
static void s_run_until(struct evloop *l, const int *flag, int64_t timeout_ms)
{
	int64_t until = timeutil_mono_ms() + timeout_ms;
	while (!*flag && timeutil_mono_ms() < until)
		evloop_run_once(l, 50);
}

/* --- timers --------------------------------------------------------------- */

struct fired {
	int order[64];
	int64_t at_ms[64];
	int n;
};

struct tmr {
	struct fired *f;
	int tag;
	int64_t created_ms;
	int64_t delay_ms;
};

static void s_record(void *ctx)
{
	struct tmr *t = ctx;
	t->f->at_ms[t->f->n] = timeutil_mono_ms();
	t->f->order[t->f->n++] = t->tag;
}

static void test_timers_fire_in_due_order(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	struct fired f = {0};
	/* Added out of order; tags say the expected firing position. Ties (two
	 * 40 ms, two 0 ms) keep the order they were added in. */
	int64_t delays[] = {120, 40, 0, 80, 40, 0, 200, -5};
	int tags[] = {6, 3, 0, 5, 4, 1, 7, 2};
	struct tmr t[8];
	for (int i = 0; i < 8; i++) {
		t[i] = (struct tmr){&f, tags[i], timeutil_mono_ms(), delays[i]};
		assert_non_null(evloop_timer(l, delays[i], s_record, &t[i]));
	}
	int64_t until = timeutil_mono_ms() + 5000;
	while (f.n < 8 && timeutil_mono_ms() < until)
		evloop_run_once(l, 1000);
	assert_int_equal(f.n, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(f.order[i], i);
	/* Never early: each fired at least its delay after it was set. */
	for (int i = 0; i < 8; i++) {
		int pos = t[i].tag;
		int64_t min = t[i].delay_ms > 0 ? t[i].delay_ms : 0;
		assert_true(f.at_ms[pos] - t[i].created_ms >= min);
	}
	evloop_free(l);
	alarm(0);
}

/* The loop sleeps until the nearest timer, not for the whole max wait. */
static void test_wait_is_cut_by_timer(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	struct fired f = {0};
	struct tmr t = {&f, 0, timeutil_mono_ms(), 60};
	evloop_timer(l, 60, s_record, &t);
	int64_t t0 = timeutil_mono_ms();
	while (f.n == 0 && timeutil_mono_ms() - t0 < 5000)
		evloop_run_once(l, 10000);
	int64_t took = timeutil_mono_ms() - t0;
	assert_int_equal(f.n, 1);
	assert_true(took >= 55);
	assert_true(took < 2000);
	/* With nothing to do, the loop waits about max_wait_ms. */
	t0 = timeutil_mono_ms();
	evloop_run_once(l, 150);
	took = timeutil_mono_ms() - t0;
	assert_true(took >= 120);
	assert_true(took < 2000);
	evloop_free(l);
	alarm(0);
}

struct chain {
	struct evloop *l;
	int runs;
	int limit;
};

static void s_rearm(void *ctx)
{
	struct chain *c = ctx;
	if (++c->runs < c->limit)
		evloop_timer(c->l, 0, s_rearm, c);
}

/* A 0 ms timer added by a timer callback runs on the next iteration, so a
 * callback re-arming itself cannot starve the loop. */
static void test_zero_timer_from_callback_runs_next_iteration(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	struct chain c = {l, 0, 1000};
	evloop_timer(l, 0, s_rearm, &c);
	for (int i = 1; i <= 5; i++) {
		int64_t t0 = timeutil_mono_ms();
		evloop_run_once(l, 10000);
		/* Due timers do not wait. */
		assert_true(timeutil_mono_ms() - t0 < 1000);
		assert_int_equal(c.runs, i);
	}
	while (c.runs < c.limit)
		evloop_run_once(l, 10000);
	assert_int_equal(c.runs, c.limit);
	evloop_free(l);
	alarm(0);
}

struct canceller {
	struct evloop *l;
	struct evloop_timer *victim;
	int ran;
};

static void s_cancel_other(void *ctx)
{
	struct canceller *c = ctx;
	c->ran++;
	evloop_timer_cancel(c->l, c->victim);
}

static void s_must_not_run(void *ctx)
{
	int *ran = ctx;
	(*ran)++;
}

static void test_timer_cancel(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	int ran_a = 0, ran_b = 0, ran_c = 0;
	/* Cancelled before it is due. */
	struct evloop_timer *a = evloop_timer(l, 20, s_must_not_run, &ran_a);
	evloop_timer_cancel(l, a);
	/* Both due in the same iteration: the first cancels the second. */
	struct canceller c = {l, NULL, 0};
	evloop_timer(l, 0, s_cancel_other, &c);
	c.victim = evloop_timer(l, 0, s_must_not_run, &ran_b);
	/* A later timer survives an unrelated cancel. */
	struct evloop_timer *keep = evloop_timer(l, 30, s_must_not_run, &ran_c);
	(void)keep;
	int64_t until = timeutil_mono_ms() + 500;
	while (timeutil_mono_ms() < until)
		evloop_run_once(l, 50);
	assert_int_equal(ran_a, 0);
	assert_int_equal(c.ran, 1);
	assert_int_equal(ran_b, 0);
	assert_int_equal(ran_c, 1);
	/* Cancelling a pending timer just before freeing the loop is fine, and
	 * evloop_free frees timers still pending without running them. */
	int ran_d = 0;
	evloop_timer(l, 60000, s_must_not_run, &ran_d);
	evloop_timer_cancel(l, evloop_timer(l, 60000, s_must_not_run, &ran_d));
	evloop_free(l);
	assert_int_equal(ran_d, 0);
	alarm(0);
}

/* Many timers with pseudo-random delays fire in nondecreasing due time, ties
 * in insertion order. */
struct many {
	int64_t *lo, *hi; /* the due time lies in [lo, hi] (the clock may tick) */
	int *order;
	int n;
};

struct many_tmr {
	struct many *m;
	int index;
};

static void s_many(void *ctx)
{
	struct many_tmr *t = ctx;
	t->m->order[t->m->n++] = t->index;
}

static void test_many_timers_sorted(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	enum { N = 5000 };
	struct evloop *l = s_loop_new();
	struct many m = {calloc(N, sizeof(int64_t)), calloc(N, sizeof(int64_t)),
			 calloc(N, sizeof(int)), 0};
	struct many_tmr *t = calloc(N, sizeof(*t));
	unsigned seed = 12345;
	int64_t base = timeutil_mono_ms();
	for (int i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		int64_t delay = (int64_t)((seed >> 16) % 200);
		t[i] = (struct many_tmr){&m, i};
		m.lo[i] = timeutil_mono_ms() + delay;
		evloop_timer(l, delay, s_many, &t[i]);
		m.hi[i] = timeutil_mono_ms() + delay;
	}
	while (m.n < N && timeutil_mono_ms() - base < 10000)
		evloop_run_once(l, 100);
	assert_int_equal(m.n, N);
	int bad = 0;
	for (int i = 1; i < N; i++) {
		int x = m.order[i - 1], y = m.order[i];
		/* x ran first: wrong if x was certainly due later than y, or both
		 * were certainly due at the same time and y was added first. */
		bool same = m.lo[x] == m.hi[x] && m.lo[y] == m.hi[y] && m.lo[x] == m.lo[y];
		if (m.lo[x] > m.hi[y] || (same && x > y))
			bad++;
	}
	assert_int_equal(bad, 0);
	free(m.lo);
	free(m.hi);
	free(m.order);
	free(t);
	evloop_free(l);
	alarm(0);
}

/* --- fd watchers ---------------------------------------------------------- */

struct watched {
	struct evloop *l;
	struct evloop_fd *self;
	struct evloop_fd *other; /* unwatched from this callback when set */
	int calls;
	short last_revents;
	int drain;	/* read what is there */
	int unwatch_me; /* unwatch self on first call */
	char got[64];
	size_t got_len;
};

static void s_on_fd(void *ctx, int fd, short revents)
{
	struct watched *w = ctx;
	w->calls++;
	w->last_revents = revents;
	if (w->drain && (revents & POLLIN)) {
		ssize_t n = read(fd, w->got + w->got_len, sizeof(w->got) - w->got_len - 1);
		if (n > 0)
			w->got_len += (size_t)n;
	}
	if (w->other) {
		evloop_unwatch(w->l, w->other);
		w->other = NULL;
	}
	if (w->unwatch_me && w->self) {
		evloop_unwatch(w->l, w->self);
		w->self = NULL;
	}
}

static void s_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
}

static void test_fd_watch_read(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	int p[2];
	s_pipe(p);
	struct watched w = {.l = l, .drain = 1};
	w.self = evloop_watch(l, p[0], POLLIN, s_on_fd, &w);
	assert_non_null(w.self);
	/* Nothing to read: no callback, the loop waits its time. */
	evloop_run_once(l, 50);
	assert_int_equal(w.calls, 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	int64_t t0 = timeutil_mono_ms();
	while (w.calls == 0 && timeutil_mono_ms() - t0 < 5000)
		evloop_run_once(l, 5000);
	assert_true(timeutil_mono_ms() - t0 < 2000); /* woken by the fd, not the wait */
	assert_int_equal(w.calls, 1);
	assert_true(w.last_revents & POLLIN);
	assert_int_equal(w.got_len, 5);
	assert_memory_equal(w.got, "hello", 5);
	/* Drained: no further calls. */
	evloop_run_once(l, 30);
	assert_int_equal(w.calls, 1);
	/* The writer closes: the reader sees the hang-up. */
	close(p[1]);
	evloop_run_once(l, 1000);
	assert_int_equal(w.calls, 2);
	assert_true(w.last_revents & (POLLHUP | POLLIN));
	evloop_unwatch(l, w.self);
	evloop_run_once(l, 30);
	assert_int_equal(w.calls, 2);
	close(p[0]);
	evloop_free(l);
	alarm(0);
}

static void test_fd_watch_write(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	int p[2];
	s_pipe(p);
	/* Fill the pipe: not writable until the reader drains it. */
	char buf[4096];
	memset(buf, 'x', sizeof(buf));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	struct watched w = {.l = l};
	w.self = evloop_watch(l, p[1], POLLOUT, s_on_fd, &w);
	evloop_run_once(l, 50);
	assert_int_equal(w.calls, 0);
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	evloop_run_once(l, 2000);
	assert_int_equal(w.calls, 1);
	assert_true(w.last_revents & POLLOUT);
	evloop_unwatch(l, w.self);
	close(p[0]);
	close(p[1]);
	evloop_free(l);
	alarm(0);
}

/* Two watchers ready in the same iteration; whichever runs first unwatches the
 * other (and itself): the other is never called, although its fd stays
 * readable, now or later. */
static void test_unwatch_from_inside_callbacks(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	int p1[2], p2[2];
	s_pipe(p1);
	s_pipe(p2);
	struct watched a = {.l = l, .unwatch_me = 1}, b = {.l = l, .unwatch_me = 1};
	a.self = evloop_watch(l, p1[0], POLLIN, s_on_fd, &a);
	b.self = evloop_watch(l, p2[0], POLLIN, s_on_fd, &b);
	a.other = b.self;
	b.other = a.self;
	assert_int_equal(write(p1[1], "1", 1), 1);
	assert_int_equal(write(p2[1], "2", 1), 1);
	/* Neither reads: both fds stay readable for every later iteration. */
	for (int i = 0; i < 5; i++)
		evloop_run_once(l, 50);
	assert_int_equal(a.calls + b.calls, 1);
	/* Watching the same fd again after an unwatch works. */
	struct watched c = {.l = l, .drain = 1};
	c.self = evloop_watch(l, p1[0], POLLIN, s_on_fd, &c);
	evloop_run_once(l, 1000);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.got_len, 1);
	assert_int_equal(a.calls + b.calls, 1);
	evloop_unwatch(l, c.self);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	evloop_free(l);
	alarm(0);
}

/* Watchers added and removed in numbers (the wait array grows), with one added
 * from inside a callback. */
struct adder {
	struct evloop *l;
	int fd;
	struct watched *child;
	int calls;
};

static void s_add_watch(void *ctx, int fd, short revents)
{
	struct adder *a = ctx;
	char ch;
	(void)revents;
	while (read(fd, &ch, 1) > 0)
		;
	if (a->calls++ == 0)
		a->child->self = evloop_watch(a->l, a->fd, POLLIN, s_on_fd, a->child);
}

static void test_many_watchers_and_watch_from_callback(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	enum { N = 64 };
	struct evloop *l = s_loop_new();
	int p[N][2];
	struct watched w[N];
	for (int i = 0; i < N; i++) {
		s_pipe(p[i]);
		w[i] = (struct watched){.l = l, .drain = 1};
		w[i].self = evloop_watch(l, p[i][0], POLLIN, s_on_fd, &w[i]);
	}
	/* Every odd watcher goes away before anything is ready. */
	for (int i = 1; i < N; i += 2)
		evloop_unwatch(l, w[i].self);
	for (int i = 0; i < N; i++)
		assert_int_equal(write(p[i][1], "z", 1), 1);
	for (int k = 0; k < 3; k++)
		evloop_run_once(l, 200);
	for (int i = 0; i < N; i++)
		assert_int_equal(w[i].calls, i % 2 == 0 ? 1 : 0);
	int q[2], r[2];
	s_pipe(q);
	s_pipe(r);
	struct watched child = {.l = l, .drain = 1};
	struct adder ad = {l, r[0], &child, 0};
	struct evloop_fd *aw = evloop_watch(l, q[0], POLLIN, s_add_watch, &ad);
	assert_int_equal(write(q[1], "go", 2), 2);
	evloop_run_once(l, 1000);
	assert_int_equal(ad.calls, 1);
	assert_non_null(child.self);
	assert_int_equal(write(r[1], "c", 1), 1);
	evloop_run_once(l, 1000);
	assert_int_equal(child.calls, 1);
	evloop_unwatch(l, aw);
	for (int i = 0; i < N; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	close(q[0]);
	close(q[1]);
	close(r[0]);
	close(r[1]);
	evloop_free(l); /* frees watchers still registered */
	alarm(0);
}

/* --- wake-ups from other threads ------------------------------------------ */

struct waker {
	struct evloop *l;
	int delay_ms;
	int count;
	atomic_int done;
};

static void *s_waker(void *arg)
{
	struct waker *w = arg;
	for (int i = 0; i < w->count; i++) {
		if (w->delay_ms) {
			struct timespec ts = {0, (long)w->delay_ms * 1000000L};
			nanosleep(&ts, NULL);
		}
		evloop_wakeup(w->l);
	}
	atomic_store(&w->done, 1);
	return NULL;
}

static void test_wakeup_from_another_thread(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	struct waker w = {l, 100, 1, 0};
	pthread_t th;
	int64_t t0 = timeutil_mono_ms();
	assert_int_equal(pthread_create(&th, NULL, s_waker, &w), 0);
	evloop_run_once(l, 20000);
	int64_t took = timeutil_mono_ms() - t0;
	pthread_join(th, NULL);
	assert_true(took < 5000); /* woken, not timed out */
	/* A wake-up sent while the loop is not waiting is not lost: the next
	 * wait returns at once. */
	evloop_wakeup(l);
	t0 = timeutil_mono_ms();
	evloop_run_once(l, 20000);
	assert_true(timeutil_mono_ms() - t0 < 5000);
	evloop_free(l);
	alarm(0);
}

/* A storm of wake-ups from two threads while the loop runs: no crash, no race
 * (ThreadSanitizer), and the loop keeps serving its timers. */
static void test_wakeup_storm(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	struct waker w1 = {l, 0, 20000, 0}, w2 = {l, 0, 20000, 0};
	pthread_t t1, t2;
	assert_int_equal(pthread_create(&t1, NULL, s_waker, &w1), 0);
	assert_int_equal(pthread_create(&t2, NULL, s_waker, &w2), 0);
	struct chain c = {l, 0, 50};
	evloop_timer(l, 1, s_rearm, &c);
	while (!atomic_load(&w1.done) || !atomic_load(&w2.done) || c.runs < c.limit)
		evloop_run_once(l, 100);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_int_equal(c.runs, c.limit);
	evloop_free(l);
	alarm(0);
}

/* --- transfers ------------------------------------------------------------ */

struct xfer {
	int done;
	CURLcode result;
	CURL *easy;
	char body[256];
	size_t body_len;
};

static size_t s_xfer_write(char *buf, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * n;
	size_t room = sizeof(x->body) - 1 - x->body_len;
	size_t take = len < room ? len : room;
	memcpy(x->body + x->body_len, buf, take);
	x->body_len += take;
	return len;
}

static void s_xfer_done(void *ctx, CURL *easy, CURLcode result)
{
	struct xfer *x = ctx;
	x->done++;
	x->result = result;
	x->easy = easy;
}

static CURL *s_easy(const char *url, struct xfer *x)
{
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_xfer_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	return h;
}

static void test_transfer_done_once(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	char path[512], url[600];
	snprintf(path, sizeof(path), "%s/evloop-%d.txt", AFT_TEST_TMP, (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("file body\n", f);
	fclose(f);
	snprintf(url, sizeof(url), "file://%s", path);
	struct xfer x = {0}, y = {0};
	CURL *h = s_easy(url, &x);
	struct err e = {0};
	assert_int_equal(evloop_add_easy(l, h, s_xfer_done, &x, &e), 0);
	assert_int_equal(evloop_transfers(l), 1);
	/* A missing file: the transfer ends with an error, still reported once. */
	snprintf(url, sizeof(url), "file://%s.missing", path);
	CURL *h2 = s_easy(url, &y);
	assert_int_equal(evloop_add_easy(l, h2, s_xfer_done, &y, &e), 0);
	assert_int_equal(evloop_transfers(l), 2);
	assert_int_equal(x.done, 0); /* never from inside evloop_add_easy */
	s_run_until(l, &y.done, 5000);
	s_run_until(l, &x.done, 5000);
	for (int i = 0; i < 3; i++)
		evloop_run_once(l, 10);
	assert_int_equal(x.done, 1);
	assert_int_equal(y.done, 1);
	assert_int_equal(x.result, CURLE_OK);
	assert_int_not_equal(y.result, CURLE_OK);
	assert_ptr_equal(x.easy, h);
	assert_int_equal(x.body_len, 10);
	assert_memory_equal(x.body, "file body\n", 10);
	assert_int_equal(evloop_transfers(l), 0);
	/* The callback owns the handle: it can be reused on the loop. */
	struct xfer z = {0};
	snprintf(url, sizeof(url), "file://%s", path);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &z);
	assert_int_equal(evloop_add_easy(l, h, s_xfer_done, &z, &e), 0);
	s_run_until(l, &z.done, 5000);
	assert_int_equal(z.done, 1);
	assert_int_equal(z.body_len, 10);
	curl_easy_cleanup(h);
	curl_easy_cleanup(h2);
	unlink(path);
	evloop_free(l);
	alarm(0);
}

/* A loopback listener that accepts (in the kernel backlog) but never answers:
 * the transfer stays in progress for as long as the test wants. */
static int s_silent_listener(int *port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 16), 0);
	socklen_t len = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return s;
}

static void test_remove_and_free_running_transfers(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	int port;
	int ls = s_silent_listener(&port);
	char url[100];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/never", port);
	struct xfer a = {0}, b = {0};
	CURL *ha = s_easy(url, &a), *hb = s_easy(url, &b);
	struct err e = {0};
	assert_int_equal(evloop_add_easy(l, ha, s_xfer_done, &a, &e), 0);
	assert_int_equal(evloop_add_easy(l, hb, s_xfer_done, &b, &e), 0);
	for (int i = 0; i < 5; i++)
		evloop_run_once(l, 20);
	assert_int_equal(evloop_transfers(l), 2);
	/* Removed: its callback never runs and the caller keeps the handle. */
	evloop_remove_easy(l, ha);
	assert_int_equal(evloop_transfers(l), 1);
	for (int i = 0; i < 5; i++)
		evloop_run_once(l, 20);
	assert_int_equal(a.done, 0);
	curl_easy_cleanup(ha);
	/* Removing a handle the loop does not know is harmless. */
	CURL *stray = curl_easy_init();
	evloop_remove_easy(l, stray);
	curl_easy_cleanup(stray);
	assert_int_equal(evloop_transfers(l), 1);
	/* evloop_free cleans up the transfer still running, without callback
	 * (LeakSanitizer checks the handle is freed). */
	evloop_free(l);
	assert_int_equal(b.done, 0);
	close(ls);
	alarm(0);
}

/* Timers, fd events and a transfer completing in one loop. */
static void test_everything_in_one_loop(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct evloop *l = s_loop_new();
	char path[512], url[600];
	snprintf(path, sizeof(path), "%s/evloop-mix-%d.txt", AFT_TEST_TMP, (int)getpid());
	FILE *f = fopen(path, "w");
	fputs("x", f);
	fclose(f);
	snprintf(url, sizeof(url), "file://%s", path);
	struct xfer x = {0};
	struct err e = {0};
	CURL *h = s_easy(url, &x);
	evloop_add_easy(l, h, s_xfer_done, &x, &e);
	int p[2];
	s_pipe(p);
	struct watched w = {.l = l, .drain = 1};
	w.self = evloop_watch(l, p[0], POLLIN, s_on_fd, &w);
	struct fired fi = {0};
	struct tmr t = {&fi, 0, timeutil_mono_ms(), 30};
	evloop_timer(l, 30, s_record, &t);
	assert_int_equal(write(p[1], "!", 1), 1);
	int64_t until = timeutil_mono_ms() + 5000;
	while ((x.done == 0 || w.calls == 0 || fi.n == 0) && timeutil_mono_ms() < until)
		evloop_run_once(l, 1000);
	assert_int_equal(x.done, 1);
	assert_int_equal(w.calls, 1);
	assert_int_equal(fi.n, 1);
	curl_easy_cleanup(h);
	evloop_unwatch(l, w.self);
	close(p[0]);
	close(p[1]);
	unlink(path);
	evloop_free(l);
	alarm(0);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timers_fire_in_due_order),
	    cmocka_unit_test(test_wait_is_cut_by_timer),
	    cmocka_unit_test(test_zero_timer_from_callback_runs_next_iteration),
	    cmocka_unit_test(test_timer_cancel),
	    cmocka_unit_test(test_many_timers_sorted),
	    cmocka_unit_test(test_fd_watch_read),
	    cmocka_unit_test(test_fd_watch_write),
	    cmocka_unit_test(test_unwatch_from_inside_callbacks),
	    cmocka_unit_test(test_many_watchers_and_watch_from_callback),
	    cmocka_unit_test(test_wakeup_from_another_thread),
	    cmocka_unit_test(test_wakeup_storm),
	    cmocka_unit_test(test_transfer_done_once),
	    cmocka_unit_test(test_remove_and_free_running_transfers),
	    cmocka_unit_test(test_everything_in_one_loop),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
