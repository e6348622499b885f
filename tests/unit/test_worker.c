/* Unit tests for backend/worker: the background thread, its two queues, the
 * eventfd the UI polls and curl_multi_wakeup, the drain on stop. The wire
 * function builds the real SQLite store and directory blob store in a temp
 * dir; the executor is a stub, because these tests are about the worker and
 * not about running processes (exec_local has its own tests): it writes a
 * log into the build's spool and reports the end when the test says so.
 * Labelled "tsan": CI runs it under ThreadSanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "blob_dir.h"
#include "datadir.h"
#include "evloop.h"
#include "fsutil.h"
#include "msg.h"
#include "project.h"
#include "store_sqlite.h"
#include "timeutil.h"
#include "worker.h"
#include "xmem.h"

#define WATCHDOG_S 110
#define WAIT_MS	   20000 /* a lost wake-up shows as a wait this long */

/* --- the stub executor -------------------------------------------------------- */

enum finish_mode {
	FINISH_IN_START,  /* finished (finalize) from inside start */
	FINISH_LATER,	  /* finished (finalize) from a timer, finish_ms later */
	FINISH_ELSEWHERE, /* finished, another process finalizes (it never does) */
};

struct wctx {
	/* set by the test */
	enum finish_mode mode;
	int64_t finish_ms;
	size_t log_bytes;      /* written into the spool by start */
	bool fail_after_store; /* the wire fails once store and blob exist */
	struct profile *profile;
	/* seen on the worker thread, read after READY or after worker_stop */
	pthread_t wire_thread;
	bool signals_blocked;
	atomic_int starts, cleanups, frees;
};

struct pending_end {
	struct stub *x;
	char id[BUILD_ID_LEN + 1];
};

struct stub {
	struct executor base;
	struct wctx *w;
	struct evloop *loop;
	char live[64][BUILD_ID_LEN + 1];
	int n_live;
	struct pending_end ends[64]; /* timer contexts, owned here */
	int n_ends;
};

static void s_x_prepare(struct executor *x, struct build *b)
{
	(void)x;
	build_set_str(&b->executor, "stub");
	char job[64];
	snprintf(job, sizeof(job), "stub:%.8s", b->id);
	build_set_str(&b->job_name, job);
}

static void s_finish(struct stub *s, const char *id, bool finalize)
{
	struct exec_result r = {.status = BUILD_SUCCEEDED, .has_exit = true, .exit_code = 0};
	r.finished_ms = timeutil_wall_ms();
	r.started_ms = r.finished_ms - 1500;
	snprintf(r.message, sizeof(r.message), "stub finished");
	s->base.events.finished(s->base.events.ctx, id, &r, finalize);
}

static void s_end_timer(void *arg)
{
	struct pending_end *pe = arg;
	s_finish(pe->x, pe->id, true);
}

static int s_x_start(struct executor *x, const struct build *b, const struct project *p,
		     struct err *e)
{
	struct stub *s = (struct stub *)x;
	(void)p;
	atomic_fetch_add(&s->w->starts, 1);
	char *spool = datadir_spool(s->w->profile->data_dir, b->id);
	FILE *fp = fopen(spool, "a");
	free(spool);
	if (!fp)
		return err_errno(e, errno, "stub: cannot open the spool");
	for (size_t n = 0, i = 0; n < s->w->log_bytes; i++)
		n += (size_t)fprintf(fp, "stub log line %zu for %s\n", i, b->id);
	fclose(fp);
	if (s->n_live < 64)
		snprintf(s->live[s->n_live++], BUILD_ID_LEN + 1, "%s", b->id);
	switch (s->w->mode) {
	case FINISH_IN_START:
		s_finish(s, b->id, true);
		break;
	case FINISH_LATER:
		if (s->n_ends < 64) {
			struct pending_end *pe = &s->ends[s->n_ends++];
			pe->x = s;
			snprintf(pe->id, sizeof(pe->id), "%s", b->id);
			evloop_timer(s->loop, s->w->finish_ms, s_end_timer, pe);
		}
		break;
	case FINISH_ELSEWHERE:
		s_finish(s, b->id, false);
		break;
	}
	return 0;
}

static int s_x_cancel(struct executor *x, const char *id, struct err *e)
{
	(void)x;
	(void)id;
	return err_set(e, ERR_INTERNAL, "stub: cancel is not used here");
}

static int s_x_attach(struct executor *x, struct err *e)
{
	(void)x;
	(void)e;
	return 0;
}

static bool s_x_owns(struct executor *x, const struct build *b)
{
	(void)x;
	return b->executor && strcmp(b->executor, "stub") == 0;
}

static bool s_x_is_live(struct executor *x, const char *id)
{
	struct stub *s = (struct stub *)x;
	for (int i = 0; i < s->n_live; i++)
		if (strcmp(s->live[i], id) == 0)
			return true;
	return false;
}

static struct logstore *s_x_log(struct executor *x, const char *id, const char *container)
{
	(void)x;
	(void)id;
	(void)container;
	return NULL;
}

static char *s_x_artifacts_dir(struct executor *x, const char *id)
{
	(void)x;
	(void)id;
	return NULL;
}

static void s_x_cleanup(struct executor *x, const char *id)
{
	struct stub *s = (struct stub *)x;
	atomic_fetch_add(&s->w->cleanups, 1);
	for (int i = 0; i < s->n_live; i++)
		if (strcmp(s->live[i], id) == 0) {
			memmove(s->live[i], s->live[i + 1],
				(size_t)(s->n_live - i - 1) * sizeof(s->live[0]));
			s->n_live--;
			break;
		}
}

static void s_x_free(struct executor *x)
{
	struct stub *s = (struct stub *)x;
	atomic_fetch_add(&s->w->frees, 1);
	free(s);
}

static const struct exec_ops s_stub_ops = {
    .name = "stub",
    .prepare = s_x_prepare,
    .start = s_x_start,
    .cancel = s_x_cancel,
    .attach = s_x_attach,
    .owns = s_x_owns,
    .is_live = s_x_is_live,
    .log = s_x_log,
    .artifacts_dir = s_x_artifacts_dir,
    .cleanup = s_x_cleanup,
    .free = s_x_free,
};

/* The worker_wire_fn: real store and blob store under data_dir, the stub. */
static int s_wire(void *ctx, struct evloop *loop, const struct profile *p,
		  struct worker_backends *out, struct err *e)
{
	struct wctx *w = ctx;
	w->wire_thread = pthread_self();
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	w->signals_blocked = sigismember(&cur, SIGINT) == 1 && sigismember(&cur, SIGTERM) == 1 &&
			     sigismember(&cur, SIGWINCH) == 1;
	char *db = datadir_sub(p->data_dir, "builds.db");
	out->store = store_sqlite_new(loop, db, e);
	free(db);
	if (!out->store)
		return -1;
	char *blobs = datadir_sub(p->data_dir, "blobs");
	out->blob = blob_dir_new(loop, blobs, p->s3.artifacts_bucket, p->s3.logs_bucket, e);
	free(blobs);
	if (!out->blob)
		return -1;
	struct stub *s = xcalloc(1, sizeof(*s));
	s->base.ops = &s_stub_ops;
	s->w = w;
	s->loop = loop;
	out->exec = &s->base;
	out->pass_interval_ms = 200;
	if (w->fail_after_store)
		return err_set(e, ERR_CONFIG, "profile %s: the wiring failed on purpose", p->name);
	return 0;
}

/* --- fixture: a profile in a temp dir, a build-scripts repository --------------- */

struct fx {
	char base[512];
	struct profile p;
	struct wctx w;
	struct worker *wk;
	/* everything received, in order */
	struct msg **got;
	size_t n_got, cap_got;
};

static void s_write(const char *path, const char *text, mode_t mode)
{
	struct err e = {0};
	assert_int_equal(fsutil_mkdir_parent(path, 0755, &e), 0);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static int s_setup(void **state)
{
	static int seq;
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err e = {0};
	snprintf(f->base, sizeof(f->base), "%s/worker-%d-%d", AFT_TEST_TMP, (int)getpid(), ++seq);
	fsutil_rm_rf(f->base, &e);
	f->p.name = xstrdup("test");
	f->p.data_dir = xasprintf("%s/data", f->base);
	f->p.build_scripts = xasprintf("%s/repo", f->base);
	f->p.s3.artifacts_bucket = xstrdup("arts");
	f->p.s3.logs_bucket = xstrdup("logs");
	fsutil_mkdir_p(f->p.data_dir, 0700, &e);
	char *script = xasprintf("%s/team/proj/build.sh", f->p.build_scripts);
	s_write(script, "#!/bin/sh\necho never run by the stub\n", 0755);
	free(script);
	f->w.profile = &f->p;
	f->w.log_bytes = 100;
	f->w.finish_ms = 50;
	*state = f;
	alarm(WATCHDOG_S);
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	if (f->wk)
		worker_stop(f->wk, 5000);
	for (size_t i = 0; i < f->n_got; i++)
		msg_free(f->got[i]);
	free(f->got);
	fsutil_rm_rf(f->base, &e);
	profile_cleanup(&f->p);
	free(f);
	alarm(0);
	return 0;
}

/* Waits up to timeout_ms for the eventfd; then acknowledges and drains
 * everything (the documented order). Returns how many messages arrived. */
static size_t s_pump(struct fx *f, int timeout_ms)
{
	struct pollfd p = {.fd = worker_fd(f->wk), .events = POLLIN};
	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	worker_ack(f->wk);
	size_t n = 0;
	struct msg *m;
	while ((m = worker_recv(f->wk))) {
		if (f->n_got == f->cap_got) {
			f->cap_got = f->cap_got ? f->cap_got * 2 : 64;
			f->got = xrealloc(f->got, f->cap_got * sizeof(*f->got));
		}
		f->got[f->n_got++] = m;
		n++;
	}
	return n;
}

typedef bool (*match_fn)(const struct msg *m, const void *arg);

/* The first received message (from index *from) that matches, waiting for
 * it; NULL when none came within WAIT_MS. */
static struct msg *s_expect(struct fx *f, size_t *from, match_fn match, const void *arg)
{
	int64_t until = timeutil_mono_ms() + WAIT_MS;
	for (;;) {
		for (size_t i = from ? *from : 0; i < f->n_got; i++)
			if (match(f->got[i], arg)) {
				if (from)
					*from = i + 1;
				return f->got[i];
			}
		int64_t left = until - timeutil_mono_ms();
		if (left <= 0)
			return NULL;
		s_pump(f, (int)left);
	}
}

static bool s_is_reply(const struct msg *m, const void *arg)
{
	return m->reply && m->id == *(const uint64_t *)arg;
}

static bool s_is_type(const struct msg *m, const void *arg)
{
	return m->type == *(const enum msg_type *)arg && !m->reply;
}

struct changed {
	const char *id;
	enum build_status status;
};

static bool s_is_changed(const struct msg *m, const void *arg)
{
	const struct changed *c = arg;
	return m->type == MSG_BUILD_CHANGED && m->build && strcmp(m->build->id, c->id) == 0 &&
	       m->build->status == c->status;
}

static struct msg *s_reply(struct fx *f, uint64_t id)
{
	struct msg *m = s_expect(f, NULL, s_is_reply, &id);
	if (!m)
		fail_msg("no reply to request %llu", (unsigned long long)id);
	return m;
}

static void s_start(struct fx *f, bool expect_ok)
{
	struct err e = {0};
	f->wk = worker_start(&f->p, s_wire, &f->w, &e);
	if (!f->wk)
		fail_msg("worker_start: %s", e.msg);
	enum msg_type t = MSG_READY;
	struct msg *ready = s_expect(f, NULL, s_is_type, &t);
	assert_non_null(ready);
	assert_ptr_equal(ready, f->got[0]); /* READY is the first event */
	if (expect_ok && ready->rc != 0)
		fail_msg("READY: %s", ready->err.msg);
}

static void s_send(struct fx *f, enum msg_type type, uint64_t id, const char *ref)
{
	struct msg *m = msg_new(type);
	m->id = id;
	m->build_ref = xstrdup(ref);
	worker_send(f->wk, m);
}

/* --- tests ---------------------------------------------------------------------- */

static void test_ready_and_requests(void **state)
{
	struct fx *f = *state;
	s_start(f, true);
	/* The wiring ran on the worker thread, with every signal blocked there. */
	assert_false(pthread_equal(f->w.wire_thread, pthread_self()));
	assert_true(f->w.signals_blocked);
	/* Acknowledged and drained: the eventfd is quiet. */
	struct pollfd p = {.fd = worker_fd(f->wk), .events = POLLIN};
	assert_int_equal(poll(&p, 1, 0), 0);

	struct msg *m = msg_new(MSG_BUILDS_QUERY);
	m->id = 7;
	m->project = xstrdup("team/proj");
	m->limit = 10;
	worker_send(f->wk, m); /* the worker owns it now */
	struct msg *r = s_reply(f, 7);
	assert_int_equal(r->type, MSG_BUILDS_QUERY);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->builds.n, 0);
	assert_null(r->next_cursor);

	s_send(f, MSG_BUILD_GET, 8, "deadbeef");
	r = s_reply(f, 8);
	assert_int_equal(r->rc, -1);
	assert_int_equal(r->err.code, ERR_NOTFOUND);

	m = msg_new(MSG_PROJECTS);
	m->id = 9;
	worker_send(f->wk, m);
	r = s_reply(f, 9);
	assert_int_equal(r->rc, 0);
	assert_non_null(r->projects);
	assert_int_equal(r->projects->count, 1);
	assert_string_equal(r->projects->items[0].key, "team/proj");

	m = msg_new(MSG_BUILD_START);
	m->id = 10;
	m->project = xstrdup("team/nope");
	worker_send(f->wk, m);
	r = s_reply(f, 10);
	assert_int_equal(r->rc, -1);
	assert_int_equal(r->err.code, ERR_NOTFOUND);

	m = msg_new(MSG_RECONCILE);
	m->id = 11;
	worker_send(f->wk, m);
	r = s_reply(f, 11);
	assert_int_equal(r->type, MSG_RECONCILE);

	worker_stop(f->wk, 5000);
	f->wk = NULL;
	assert_int_equal(atomic_load(&f->w.frees), 1); /* backends freed on stop */
	worker_stop(NULL, 0);
}

/* A wire that fails: READY says so with the wire's error; every request is
 * answered with an error; what the wire made is freed. */
static void test_failing_wire(void **state)
{
	struct fx *f = *state;
	f->w.fail_after_store = true;
	s_start(f, false);
	struct msg *ready = f->got[0];
	assert_int_equal(ready->type, MSG_READY);
	assert_int_equal(ready->rc, -1);
	assert_int_equal(ready->err.code, ERR_CONFIG);
	assert_non_null(strstr(ready->err.msg, "failed on purpose"));
	/* The backends made before the failure are freed right away. */
	assert_int_equal(atomic_load(&f->w.frees), 1);
	enum msg_type types[] = {MSG_BUILDS_QUERY, MSG_BUILD_GET, MSG_BUILD_START, MSG_PROJECTS};
	for (int i = 0; i < 4; i++)
		s_send(f, types[i], 100 + (uint64_t)i, "abc");
	for (int i = 0; i < 4; i++) {
		struct msg *r = s_reply(f, 100 + (uint64_t)i);
		assert_int_equal(r->type, types[i]);
		assert_int_equal(r->rc, -1);
		assert_int_equal(r->err.code, ERR_INTERNAL);
	}
	worker_stop(f->wk, 1000);
	f->wk = NULL;
	assert_int_equal(atomic_load(&f->w.frees), 1);
	assert_int_equal(atomic_load(&f->w.starts), 0);
}

static char *s_gunzip_file(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = xmalloc(cap);
	int k;
	while ((k = gzread(gz, buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)k;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	gzclose(gz);
	*len = n;
	return buf;
}

struct taken {
	int done;
	struct build *build;
};

static void s_take(void *ctx, struct store_reply *r)
{
	struct taken *t = ctx;
	t->done = 1;
	t->build = r->build;
	r->build = NULL;
}

/* Reads the stored record with a store of our own (after the worker). */
static struct build *s_stored(struct fx *f, const char *id)
{
	struct err e = {0};
	struct evloop *l = evloop_new(&e);
	char *db = datadir_sub(f->p.data_dir, "builds.db");
	struct store *st = store_sqlite_new(l, db, &e);
	free(db);
	assert_non_null(st);
	struct taken t = {0};
	st->ops->get(st, id, s_take, &t);
	while (!t.done)
		evloop_run_once(l, 100);
	st->ops->free(st);
	evloop_free(l);
	return t.build;
}

static void s_assert_archived(struct fx *f, const char *id)
{
	char *path = xasprintf("%s/blobs/logs/team/proj/%s.log.gz", f->p.data_dir, id);
	size_t len = 0;
	char *log = s_gunzip_file(path, &len);
	if (!log)
		fail_msg("no archived log at %s", path);
	assert_true(len >= f->w.log_bytes);
	char first[128];
	snprintf(first, sizeof(first), "stub log line 0 for %s\n", id);
	assert_memory_equal(log, first, strlen(first));
	free(log);
	free(path);
	char *pend = xasprintf("%s/pending/%s", f->p.data_dir, id);
	assert_false(fsutil_exists(pend));
	free(pend);
}

/* A build from request to archive: the reply, then BUILD_CHANGED queued,
 * running, succeeded in that order; the log in the blob store. */
static void test_build_runs_to_the_end(void **state)
{
	struct fx *f = *state;
	f->w.mode = FINISH_LATER;
	s_start(f, true);
	struct msg *m = msg_new(MSG_BUILD_START);
	m->id = 42;
	m->project = xstrdup("team/proj");
	m->branch = xstrdup("feature/x");
	m->triggered_by = xstrdup("tester");
	worker_send(f->wk, m);
	struct msg *r = s_reply(f, 42);
	if (r->rc != 0)
		fail_msg("build start: %s", r->err.msg);
	assert_non_null(r->build);
	assert_int_equal(r->build->status, BUILD_QUEUED);
	assert_string_equal(r->build->branch, "feature/x");
	assert_string_equal(r->build->triggered_by, "tester");
	assert_string_equal(r->build->executor, "stub");
	char id[BUILD_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", r->build->id);
	size_t at = 0;
	enum build_status seq[] = {BUILD_QUEUED, BUILD_RUNNING, BUILD_SUCCEEDED};
	for (int i = 0; i < 3; i++) {
		struct changed c = {id, seq[i]};
		if (!s_expect(f, &at, s_is_changed, &c))
			fail_msg("no BUILD_CHANGED %s (in order)", build_status_name(seq[i]));
	}
	struct changed c = {id, BUILD_SUCCEEDED};
	struct msg *done = s_expect(f, NULL, s_is_changed, &c);
	assert_true(done->build->has_result);
	assert_int_equal(done->build->build_result, 0);
	assert_string_equal(done->build->status_message, "stub finished");
	s_assert_archived(f, id);
	/* The record by a short prefix, and in the project's list. */
	char prefix[9];
	snprintf(prefix, sizeof(prefix), "%.8s", id);
	s_send(f, MSG_BUILD_GET, 43, prefix);
	r = s_reply(f, 43);
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->build->id, id);
	assert_int_equal(r->build->status, BUILD_SUCCEEDED);
	m = msg_new(MSG_BUILDS_QUERY);
	m->id = 44;
	m->project = xstrdup("team/proj");
	worker_send(f->wk, m);
	r = s_reply(f, 44);
	assert_int_equal(r->builds.n, 1);
	worker_stop(f->wk, 5000);
	f->wk = NULL;
	assert_int_equal(atomic_load(&f->w.starts), 1);
	assert_int_equal(atomic_load(&f->w.cleanups), 1);
}

/* Two threads send requests at once while this thread polls the eventfd:
 * every request is answered exactly once, none lost in the hand-over. */
#define SENDERS		2
#define REQS_PER_SENDER 1500

struct sender {
	struct worker *wk;
	int index;
};

static void *s_sender(void *arg)
{
	struct sender *s = arg;
	for (int i = 0; i < REQS_PER_SENDER; i++) {
		struct msg *m = msg_new(i % 3 == 0 ? MSG_BUILD_GET : MSG_BUILDS_QUERY);
		m->id = ((uint64_t)(s->index + 1) << 32) | (uint64_t)i;
		m->build_ref = xstrdup("0123");
		m->project = xstrdup("team/proj");
		m->limit = 5;
		worker_send(s->wk, m);
	}
	return NULL;
}

static void test_requests_from_two_threads(void **state)
{
	struct fx *f = *state;
	s_start(f, true);
	pthread_t th[SENDERS];
	struct sender sd[SENDERS];
	for (int i = 0; i < SENDERS; i++) {
		sd[i] = (struct sender){f->wk, i};
		assert_int_equal(pthread_create(&th[i], NULL, s_sender, &sd[i]), 0);
	}
	char *seen = xcalloc(SENDERS, REQS_PER_SENDER);
	size_t replies = 0, from = 0, bad = 0, dups = 0;
	int64_t last = timeutil_mono_ms();
	while (replies < (size_t)SENDERS * REQS_PER_SENDER && timeutil_mono_ms() - last < WAIT_MS) {
		if (s_pump(f, 1000) > 0)
			last = timeutil_mono_ms();
		for (; from < f->n_got; from++) {
			struct msg *m = f->got[from];
			if (!m->reply)
				continue;
			unsigned s = (unsigned)(m->id >> 32) - 1;
			unsigned i = (unsigned)(m->id & 0xffffffffu);
			if (s >= SENDERS || i >= REQS_PER_SENDER) {
				bad++;
				continue;
			}
			if (seen[s * REQS_PER_SENDER + i]++)
				dups++;
			bool get = i % 3 == 0;
			if (get ? (m->rc != -1 || m->err.code != ERR_NOTFOUND) : m->rc != 0)
				bad++;
			replies++;
			/* Keep memory flat: the answer is checked, free it now. */
			msg_free(m);
			f->got[from] = msg_new(MSG_NOTICE);
		}
	}
	for (int i = 0; i < SENDERS; i++)
		pthread_join(th[i], NULL);
	free(seen);
	assert_int_equal(bad, 0);
	assert_int_equal(dups, 0);
	assert_int_equal(replies, (size_t)SENDERS * REQS_PER_SENDER);
}

/* Stop right after handing over many requests and a build: the thread ends
 * promptly, nothing crashes or leaks (LeakSanitizer in the ASan build). */
static void test_stop_with_requests_in_flight(void **state)
{
	struct fx *f = *state;
	f->w.mode = FINISH_LATER;
	f->w.finish_ms = 60000; /* still running at stop: builds keep running */
	s_start(f, true);
	struct msg *m = msg_new(MSG_BUILD_START);
	m->id = 1;
	m->project = xstrdup("team/proj");
	worker_send(f->wk, m);
	s_reply(f, 1);
	for (int i = 0; i < 500; i++)
		s_send(f, i % 2 ? MSG_BUILDS_ACTIVE : MSG_BUILD_GET, 1000 + (uint64_t)i, "00");
	int64_t t0 = timeutil_mono_ms();
	worker_stop(f->wk, 5000);
	f->wk = NULL;
	assert_true(timeutil_mono_ms() - t0 < 6000);
	assert_int_equal(atomic_load(&f->w.frees), 1);
	/* Stopped at once (drain 0) right after the start: the start's own
	 * work (resuming uploads, the first scheduling pass) may still be in
	 * flight, and is then abandoned: kept allocated and reachable (no leak,
	 * no use after free), backends included. */
	f->w.frees = 0;
	struct err e = {0};
	struct worker *w2 = worker_start(&f->p, s_wire, &f->w, &e);
	assert_non_null(w2);
	worker_stop(w2, 0);
	assert_true(atomic_load(&f->w.frees) <= 1);
}

/* Stop while a build that just ended is being archived: the drain finishes
 * it (log stored, record final) before the thread goes. */
static void test_stop_drains_an_ending_build(void **state)
{
	struct fx *f = *state;
	f->w.mode = FINISH_IN_START;
	f->w.log_bytes = 12u << 20; /* several compression slices */
	s_start(f, true);
	struct msg *m = msg_new(MSG_BUILD_START);
	m->id = 5;
	m->project = xstrdup("team/proj");
	worker_send(f->wk, m);
	struct msg *r = s_reply(f, 5);
	assert_int_equal(r->rc, 0);
	char id[BUILD_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", r->build->id);
	struct changed c = {id, BUILD_RUNNING};
	assert_non_null(s_expect(f, NULL, s_is_changed, &c));
	/* It ended inside start: archiving is under way now. */
	worker_stop(f->wk, 60000);
	f->wk = NULL;
	struct build *b = s_stored(f, id);
	assert_non_null(b);
	if (b->status != BUILD_SUCCEEDED)
		fail_msg("after the drain the build is %s", build_status_name(b->status));
	assert_true(b->has_elapsed);
	build_free(b);
	s_assert_archived(f, id);
	assert_int_equal(atomic_load(&f->w.cleanups), 1);
}

/* Work that does not end within the drain time (another process should
 * finalize the build, and never does): stop still returns after about
 * drain_ms; the work in flight is abandoned, not freed (worker.h), so the
 * backends are not freed either and LeakSanitizer finds nothing lost. */
static void test_stop_is_bounded_by_drain_time(void **state)
{
	struct fx *f = *state;
	f->w.mode = FINISH_ELSEWHERE;
	s_start(f, true);
	struct msg *m = msg_new(MSG_BUILD_START);
	m->id = 6;
	m->project = xstrdup("team/proj");
	worker_send(f->wk, m);
	struct msg *r = s_reply(f, 6);
	char id[BUILD_ID_LEN + 1];
	snprintf(id, sizeof(id), "%s", r->build->id);
	struct changed c = {id, BUILD_RUNNING};
	assert_non_null(s_expect(f, NULL, s_is_changed, &c));
	int64_t t0 = timeutil_mono_ms();
	worker_stop(f->wk, 300);
	f->wk = NULL;
	int64_t took = timeutil_mono_ms() - t0;
	assert_true(took < 3000);
	assert_int_equal(atomic_load(&f->w.frees), 0);
	/* Not finalized here: still running in the store. */
	struct build *b = s_stored(f, id);
	assert_int_equal(b->status, BUILD_RUNNING);
	build_free(b);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_ready_and_requests),
	    T(test_failing_wire),
	    T(test_build_runs_to_the_end),
	    T(test_requests_from_two_threads),
	    T(test_stop_with_requests_in_flight),
	    T(test_stop_drains_an_ending_build),
	    T(test_stop_is_bounded_by_drain_time), /* last: see its comment */
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
