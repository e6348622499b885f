#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "archive.h"
#include "artifacts.h"
#include "datadir.h"
#include "evloop.h"
#include "fsutil.h"
#include "logfeed.h"
#include "logstore.h"
#include "msg.h"
#include "project.h"
#include "timeutil.h"
#include "xmem.h"

#define DEFAULT_PASS_MS     5000
#define LOCK_RETRY_MS       100
#define REMOTE_END_POLL_MS  1000
#define REMOTE_END_TRIES    60
#define DEFAULT_BRANCH      "main"

struct lifecycle {
	struct lifecycle_deps d;
	struct logfeed *feed;
	int busy;
	struct evloop_timer *pass_timer;
	bool pass_running, pass_again;
	int sched_fd; /* the scheduling lock file */
	char **project_keys;
	size_t n_project_keys;
	struct msg **waiters; /* MSG_RECONCILE requests waiting for idle */
	size_t n_waiters;
	/* The active builds the last pass saw ("<id> <status>"), to tell the UI
	 * about changes other processes made. */
	char **seen;
	size_t n_seen;
	/* Active builds whose log was opened here but which run (or wait)
	 * elsewhere: their end is announced even when no pass saw them active. */
	char **watch;
	size_t n_watch;
};

/* A request in progress. */
struct op {
	struct lifecycle *lc;
	struct msg *m;
	struct build *b;
	char *id;
	int tries;
	struct exec_result res;
};

static void s_pass(struct lifecycle *lc);
static void s_unfinalized(struct op *op, const struct err *e);

/* --- plumbing ------------------------------------------------------------ */

static void s_emit(struct lifecycle *lc, struct msg *m)
{
	lc->d.emit(lc->d.emit_ctx, m);
}

static void s_check_idle(struct lifecycle *lc)
{
	if (lc->busy > 0)
		return;
	for (size_t i = 0; i < lc->n_waiters; i++) {
		struct msg *m = lc->waiters[i];
		m->reply = true;
		s_emit(lc, m);
	}
	free(lc->waiters);
	lc->waiters = NULL;
	lc->n_waiters = 0;
}

static struct op *s_op(struct lifecycle *lc, struct msg *m)
{
	struct op *op = xcalloc(1, sizeof(*op));
	op->lc = lc;
	op->m = m;
	lc->busy++;
	return op;
}

/* Ends an op: replies to its request (when it has one) and frees it. */
static void s_done(struct op *op, int rc, const struct err *e)
{
	struct lifecycle *lc = op->lc;
	if (op->m) {
		op->m->reply = true;
		op->m->rc = rc;
		if (rc < 0 && e)
			op->m->err = *e;
		s_emit(lc, op->m);
	}
	build_free(op->b);
	free(op->id);
	free(op);
	lc->busy--;
	s_check_idle(lc);
}

static void s_changed(struct lifecycle *lc, const struct build *b)
{
	struct msg *m = msg_new(MSG_BUILD_CHANGED);
	m->build = build_dup(b);
	s_emit(lc, m);
}

static void s_notice(struct lifecycle *lc, const struct err *e)
{
	struct msg *m = msg_new(MSG_NOTICE);
	m->rc = -1;
	m->err = *e;
	s_emit(lc, m);
}

static void s_refresh_projects(struct lifecycle *lc, struct project_list *out)
{
	struct project_list l = {0};
	struct err e = {0};
	if (project_scan(lc->d.profile->build_scripts, &l, &e) < 0) {
		if (out)
			*out = l;
		return;
	}
	for (size_t i = 0; i < lc->n_project_keys; i++)
		free(lc->project_keys[i]);
	lc->project_keys = xrealloc(lc->project_keys, (l.count + 1) * sizeof(char *));
	lc->n_project_keys = l.count;
	for (size_t i = 0; i < l.count; i++)
		lc->project_keys[i] = xstrdup(l.items[i].key);
	if (out)
		*out = l;
	else
		project_list_cleanup(&l);
}

/* --- the end of a build ---------------------------------------------------- */

/* The build ended but could not be finalised (disk full, store unreachable):
 * the UI learns its outcome with the error, and the run stays as it is so the
 * next start finalises it. */
static void s_unfinalized(struct op *op, const struct err *e)
{
	struct lifecycle *lc = op->lc;
	struct msg *m = msg_new(MSG_BUILD_CHANGED);
	m->rc = -1;
	err_set(&m->err, e->code, "build %.8s ended %s%s%.200s%s, but could not be recorded: %.200s "
		"(aftomato retries when it starts again)", op->id, build_status_name(op->res.status),
		op->res.message[0] ? " (" : "", op->res.message, op->res.message[0] ? ")" : "",
		e->msg);
	if (op->b) {
		m->build = build_dup(op->b);
		m->build->status = op->res.status;
	} else {
		m->build = build_new();
		snprintf(m->build->id, sizeof(m->build->id), "%s", op->id);
		m->build->status = op->res.status;
	}
	s_emit(lc, m);
	s_done(op, -1, e);
}

static void s_final_recorded(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	struct lifecycle *lc = op->lc;
	if (r->rc < 0 && r->err.code != ERR_CONFLICT) {
		s_unfinalized(op, &r->err);
		return;
	}
	lc->d.exec->ops->cleanup(lc->d.exec, op->id);
	if (r->build)
		s_changed(lc, r->build);
	s_pass(lc);
	s_done(op, 0, NULL);
}

static int64_t s_elapsed_s(const struct op *op)
{
	if (op->res.started_ms > 0 && op->res.finished_ms >= op->res.started_ms)
		return (op->res.finished_ms - op->res.started_ms + 500) / 1000;
	int64_t now = timeutil_wall_ms() / 1000;
	return op->b && now > op->b->build_time ? now - op->b->build_time : 0;
}

static void s_archived(void *ctx, int rc, const struct err *e, bool prepared)
{
	struct op *op = ctx;
	struct lifecycle *lc = op->lc;
	if (!prepared) {
		s_unfinalized(op, e);
		return;
	}
	/* log.gz holds the whole log now: the spool can go. */
	char *spool = datadir_spool(lc->d.profile->data_dir, op->id);
	logstore_remove(spool);
	free(spool);
	if (rc < 0) {
		struct err n = *e;
		err_prefix(&n, "build %.8s: output kept in %.200s/pending for a later upload", op->id,
			   lc->d.profile->data_dir);
		s_notice(lc, &n);
	}
	struct store_update u = {
		.from_mask = BUILD_MASK_ACTIVE,
		.to = op->res.status,
		.set_result = op->res.has_exit,
		.build_result = op->res.exit_code,
		.set_elapsed = true,
		.elapsed_s = s_elapsed_s(op),
		.status_message = op->res.message[0] ? op->res.message : NULL,
	};
	snprintf(u.id, sizeof(u.id), "%s", op->id);
	lc->d.store->ops->update(lc->d.store, &u, s_final_recorded, op);
}

static void s_finalize_got(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	struct lifecycle *lc = op->lc;
	struct build fallback = {0};
	const struct build *b = r->build;
	if (r->rc == 0) {
		op->b = r->build;
		r->build = NULL;
		b = op->b;
	} else {
		/* No record (yet)? Still keep the output: derive the keys. */
		snprintf(fallback.id, sizeof(fallback.id), "%s", op->id);
		fallback.project_key = "unknown";
		b = &fallback;
	}
	char *spool = datadir_spool(lc->d.profile->data_dir, op->id);
	char *arts = lc->d.exec->ops->artifacts_dir(lc->d.exec, op->id);
	archive_start(lc->d.loop, lc->d.blob, lc->d.profile->data_dir, b, spool, arts, s_archived,
		      op);
	free(spool);
	free(arts);
}

static void s_remote_end_poll(void *arg);

static void s_remote_end_got(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	if (r->rc == 0 && !build_status_active(r->build->status)) {
		s_changed(op->lc, r->build);
		s_done(op, 0, NULL);
	} else if (++op->tries >= REMOTE_END_TRIES) {
		struct err e;
		err_set(&e, ERR_CONFLICT, "another aftomato process is finalising it");
		s_unfinalized(op, &e);
	} else {
		evloop_timer(op->lc->d.loop, REMOTE_END_POLL_MS, s_remote_end_poll, op);
	}
}

static void s_remote_end_poll(void *arg)
{
	struct op *op = arg;
	op->lc->d.store->ops->get(op->lc->d.store, op->id, s_remote_end_got, op);
}

static void s_ev_finished(void *ctx, const char *id, const struct exec_result *r, bool finalize)
{
	struct lifecycle *lc = ctx;
	logfeed_grew(lc->feed, id, NULL);
	struct op *op = s_op(lc, NULL);
	op->id = xstrdup(id);
	op->res = *r;
	if (finalize)
		lc->d.store->ops->get(lc->d.store, id, s_finalize_got, op);
	else
		s_remote_end_poll(op); /* another process archives it: show its result */
}

/* A build that ends without having run (cancelled while queued, or its start
 * failed) is finalised like any other, so it has an (empty) archived log. */
static void s_end_unrun(struct lifecycle *lc, const char *id, enum build_status status,
			const char *message)
{
	struct exec_result r = {.status = status, .finished_ms = timeutil_wall_ms()};
	snprintf(r.message, sizeof(r.message), "%.255s", message ? message : "");
	s_ev_finished(lc, id, &r, true);
}

/* --- other executor events ----------------------------------------------- */

static void s_changed_got(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	if (r->rc == 0)
		s_changed(op->lc, r->build);
	s_done(op, 0, NULL);
}

static void s_announce(struct lifecycle *lc, const char *id)
{
	struct op *op = s_op(lc, NULL);
	lc->d.store->ops->get(lc->d.store, id, s_changed_got, op);
}

static void s_ev_running(void *ctx, const char *id, int64_t started_ms)
{
	struct lifecycle *lc = ctx;
	(void)started_ms;
	if (logfeed_is_open(lc->feed, id, NULL)) {
		struct logstore *ls = lc->d.exec->ops->log(lc->d.exec, id, NULL);
		if (ls)
			logfeed_set(lc->feed, id, NULL, ls);
		logstore_unref(ls);
	}
}

static void s_ev_log(void *ctx, const char *id, const char *container)
{
	struct lifecycle *lc = ctx;
	logfeed_grew(lc->feed, id, container);
}

static void s_ev_found(void *ctx, const char *id)
{
	s_announce(ctx, id);
}

/* --- scheduling: one build per project and branch ------------------------ */

struct pass {
	struct lifecycle *lc;
	struct build_list active;
	size_t next;        /* index into active, walked oldest first */
	char **busy_slots;  /* "project\nbranch" of running builds */
	size_t n_busy;
	struct build *claiming;
};

static char *s_slot(const struct build *b)
{
	return xasprintf("%s\n%s", b->project_key ? b->project_key : "", b->branch ? b->branch : "");
}

static bool s_slot_busy(struct pass *p, const struct build *b)
{
	char *slot = s_slot(b);
	bool busy = false;
	for (size_t i = 0; i < p->n_busy && !busy; i++)
		busy = strcmp(p->busy_slots[i], slot) == 0;
	free(slot);
	return busy;
}

static void s_slot_take(struct pass *p, const struct build *b)
{
	p->busy_slots = xrealloc(p->busy_slots, (p->n_busy + 1) * sizeof(char *));
	p->busy_slots[p->n_busy++] = s_slot(b);
}

static void s_pass_end(struct pass *p)
{
	struct lifecycle *lc = p->lc;
	if (lc->sched_fd >= 0)
		flock(lc->sched_fd, LOCK_UN);
	build_list_cleanup(&p->active);
	for (size_t i = 0; i < p->n_busy; i++)
		free(p->busy_slots[i]);
	free(p->busy_slots);
	build_free(p->claiming);
	free(p);
	lc->pass_running = false;
	lc->busy--;
	if (lc->pass_again) {
		lc->pass_again = false;
		s_pass(lc);
	}
	s_check_idle(lc);
}

static void s_pass_step(struct pass *p);

static void s_pass_recorded(void *ctx, struct store_reply *r)
{
	struct pass *p = ctx;
	if (r->build)
		s_changed(p->lc, r->build);
	s_pass_step(p);
}

static void s_start_failed(void *ctx, struct store_reply *r)
{
	struct pass *p = ctx;
	if (r->rc == 0)
		s_end_unrun(p->lc, r->build->id, BUILD_ERROR, r->build->status_message);
	s_pass_step(p);
}

/* The claimed build (now running in the store) goes to the executor. */
static void s_claimed(void *ctx, struct store_reply *r)
{
	struct pass *p = ctx;
	struct lifecycle *lc = p->lc;
	if (r->rc < 0) { /* someone else took it, or it was cancelled */
		s_pass_step(p);
		return;
	}
	struct project proj;
	struct err e = {0};
	int rc = project_load(lc->d.profile->build_scripts, r->build->project_key, &proj, &e);
	if (rc == 0) {
		rc = lc->d.exec->ops->start(lc->d.exec, r->build, &proj, &e);
		project_cleanup(&proj);
	}
	if (rc == 0) {
		s_changed(lc, r->build);
		s_ev_running(lc, r->build->id, timeutil_wall_ms());
		s_pass_step(p);
		return;
	}
	/* The record goes to error now, while the scheduling lock is held (no
	 * other pass may take it for lost); its empty log is archived after. */
	s_notice(lc, &e);
	struct store_update u = {.from_mask = BUILD_MASK(BUILD_RUNNING), .to = BUILD_ERROR,
				 .set_elapsed = true, .status_message = e.msg};
	snprintf(u.id, sizeof(u.id), "%s", r->build->id);
	lc->d.store->ops->update(lc->d.store, &u, s_start_failed, p);
}

static void s_pass_step(struct pass *p)
{
	struct lifecycle *lc = p->lc;
	struct executor *x = lc->d.exec;
	while (p->next < p->active.n) {
		/* active is newest first: walk from the end. */
		struct build *b = p->active.items[p->active.n - 1 - p->next++];
		if (!x->ops->owns(x, b))
			continue;
		if (b->status == BUILD_RUNNING && !x->ops->is_live(x, b->id)) {
			/* Claimed but never started, or its run vanished. */
			struct store_update u = {.from_mask = BUILD_MASK(BUILD_RUNNING),
						 .to = BUILD_ERROR, .set_elapsed = true,
						 .status_message = "the build's process was lost"};
			snprintf(u.id, sizeof(u.id), "%s", b->id);
			lc->d.store->ops->update(lc->d.store, &u, s_pass_recorded, p);
			return;
		}
		if (b->status == BUILD_QUEUED && !s_slot_busy(p, b)) {
			s_slot_take(p, b);
			struct store_update u = {.from_mask = BUILD_MASK(BUILD_QUEUED),
						 .to = BUILD_RUNNING,
						 .build_time = timeutil_wall_ms() / 1000};
			snprintf(u.id, sizeof(u.id), "%s", b->id);
			lc->d.store->ops->update(lc->d.store, &u, s_claimed, p);
			return;
		}
	}
	s_pass_end(p);
}

/* Changes made by other processes (a build created, started, or ended by
 * another console or command) show up as differences between two passes'
 * active lists: the UI hears of them as MSG_BUILD_CHANGED. */
static void s_seen_diff(struct lifecycle *lc, const struct build_list *now)
{
	char **next = xcalloc(now->n + 1, sizeof(char *));
	for (size_t i = 0; i < now->n; i++) {
		const struct build *b = now->items[i];
		next[i] = xasprintf("%s %s", b->id, build_status_name(b->status));
		bool known = false;
		for (size_t k = 0; k < lc->n_seen && !known; k++)
			known = strcmp(lc->seen[k], next[i]) == 0;
		if (!known && lc->seen)
			s_changed(lc, b);
	}
	for (size_t k = 0; k < lc->n_seen; k++) {
		bool still = false;
		for (size_t i = 0; i < now->n && !still; i++)
			still = strncmp(lc->seen[k], now->items[i]->id, BUILD_ID_LEN) == 0;
		if (!still) {
			char id[BUILD_ID_LEN + 1];
			snprintf(id, sizeof(id), "%.36s", lc->seen[k]);
			s_announce(lc, id); /* it ended: tell with its final record */
		}
		free(lc->seen[k]);
	}
	free(lc->seen);
	lc->seen = next;
	lc->n_seen = now->n;
	size_t kept = 0;
	for (size_t k = 0; k < lc->n_watch; k++) {
		bool still = false;
		for (size_t i = 0; i < now->n && !still; i++)
			still = strcmp(lc->watch[k], now->items[i]->id) == 0;
		if (still) {
			lc->watch[kept++] = lc->watch[k];
		} else {
			s_announce(lc, lc->watch[k]);
			free(lc->watch[k]);
		}
	}
	lc->n_watch = kept;
}

static void s_watch(struct lifecycle *lc, const char *id)
{
	for (size_t k = 0; k < lc->n_watch; k++)
		if (strcmp(lc->watch[k], id) == 0)
			return;
	lc->watch = xrealloc(lc->watch, (lc->n_watch + 1) * sizeof(char *));
	lc->watch[lc->n_watch++] = xstrdup(id);
}

static void s_pass_active(void *ctx, struct store_reply *r)
{
	struct pass *p = ctx;
	if (r->rc < 0) {
		s_notice(p->lc, &r->err);
		s_pass_end(p);
		return;
	}
	s_seen_diff(p->lc, &r->builds);
	p->active = r->builds;
	memset(&r->builds, 0, sizeof(r->builds));
	for (size_t i = 0; i < p->active.n; i++)
		if (p->active.items[i]->status == BUILD_RUNNING)
			s_slot_take(p, p->active.items[i]);
	s_pass_step(p);
}

static void s_pass_locked(struct pass *p);

static void s_pass_retry(void *arg)
{
	s_pass_locked(arg);
}

static void s_pass_locked(struct pass *p)
{
	struct lifecycle *lc = p->lc;
	if (lc->sched_fd >= 0 && flock(lc->sched_fd, LOCK_EX | LOCK_NB) < 0) {
		evloop_timer(lc->d.loop, LOCK_RETRY_MS, s_pass_retry, p);
		return;
	}
	lc->d.store->ops->active(lc->d.store, (const char *const *)lc->project_keys,
				 lc->n_project_keys, s_pass_active, p);
}

static void s_pass(struct lifecycle *lc)
{
	if (lc->pass_running) {
		lc->pass_again = true;
		return;
	}
	lc->pass_running = true;
	lc->busy++;
	struct pass *p = xcalloc(1, sizeof(*p));
	p->lc = lc;
	s_pass_locked(p);
}

static void s_pass_tick(void *arg)
{
	struct lifecycle *lc = arg;
	lc->pass_timer = NULL;
	s_pass(lc);
	lc->pass_timer = evloop_timer(lc->d.loop, lc->d.pass_interval_ms, s_pass_tick, lc);
}

/* --- requests ------------------------------------------------------------- */

static void s_created(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	if (r->rc == 0) {
		s_changed(op->lc, r->build);
		op->m->build = r->build;
		r->build = NULL;
		s_pass(op->lc);
	}
	s_done(op, r->rc, &r->err);
}

/* Creates a queued build of project/branch; the next pass starts it. */
static void s_create_build(struct op *op, const char *project_key, const char *branch,
			   const char *retrigger_of)
{
	struct lifecycle *lc = op->lc;
	struct project proj;
	struct err e = {0};
	if (project_load(lc->d.profile->build_scripts, project_key, &proj, &e) < 0) {
		s_done(op, -1, &e);
		return;
	}
	project_cleanup(&proj);
	struct build *b = build_new();
	if (build_uuid(b->id, &e) < 0) {
		build_free(b);
		s_done(op, -1, &e);
		return;
	}
	b->project_key = xstrdup(project_key);
	b->branch = xstrdup(branch && *branch ? branch : DEFAULT_BRANCH);
	b->build_time = timeutil_wall_ms() / 1000;
	b->status = BUILD_QUEUED;
	b->triggered_by = xstrdup(op->m->triggered_by);
	b->retrigger_of = xstrdup(retrigger_of);
	b->log_key = build_log_key(b->project_key, b->id);
	b->artifacts_prefix = build_artifacts_prefix(b->project_key, b->id);
	lc->d.exec->ops->prepare(lc->d.exec, b);
	/* The spool exists from the start, so its log can be opened while queued. */
	char *spool = datadir_spool(lc->d.profile->data_dir, b->id);
	struct logstore *ls = NULL;
	if (fsutil_mkdir_parent(spool, 0700, &e) == 0)
		ls = logstore_open(spool, LOGSTORE_WRITE | LOGSTORE_TRUNCATE, &e);
	free(spool);
	if (!ls) {
		build_free(b);
		s_done(op, -1, &e);
		return;
	}
	logstore_unref(ls);
	lc->d.store->ops->create(lc->d.store, b, s_created, op);
	build_free(b);
}

static void s_cancelled_queued(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	if (r->rc == 0) /* the record is final: archive its empty log, then tell */
		s_end_unrun(op->lc, r->build->id, BUILD_CANCELLED, "cancelled before it started");
	if (r->build) {
		build_free(op->m->build);
		op->m->build = r->build;
		r->build = NULL;
	}
	s_done(op, r->rc, &r->err);
}

static void s_cancel(struct op *op, struct build *b)
{
	struct lifecycle *lc = op->lc;
	struct executor *x = lc->d.exec;
	struct err e = {0};
	op->m->build = build_dup(b);
	if (b->status == BUILD_QUEUED) {
		struct store_update u = {.from_mask = BUILD_MASK(BUILD_QUEUED),
					 .to = BUILD_CANCELLED, .set_elapsed = true,
					 .status_message = "cancelled before it started"};
		snprintf(u.id, sizeof(u.id), "%s", b->id);
		lc->d.store->ops->update(lc->d.store, &u, s_cancelled_queued, op);
		return;
	}
	if (b->status != BUILD_RUNNING) {
		err_set(&e, ERR_CONFLICT, "build %.8s has already %s", b->id,
			build_status_name(b->status));
		s_done(op, -1, &e);
		return;
	}
	if (!x->ops->owns(x, b) || !x->ops->is_live(x, b->id)) {
		err_set(&e, ERR_CONFLICT, "build %.8s is not running here (%.100s)", b->id,
			b->job_name ? b->job_name : "unknown runner");
		s_done(op, -1, &e);
		return;
	}
	/* Follow it, so its end is reported here. */
	logstore_unref(x->ops->log(x, b->id, NULL));
	s_done(op, x->ops->cancel(x, b->id, &e), &e);
}

static void s_log_open(struct op *op, struct build *b)
{
	struct lifecycle *lc = op->lc;
	struct executor *x = lc->d.exec;
	const char *container = op->m->path; /* a sidecar, or NULL */
	logfeed_open(lc->feed, b->id, container);
	op->m->build = build_dup(b);
	struct logstore *ls = x->ops->log(x, b->id, container);
	if (ls) {
		logfeed_set(lc->feed, b->id, container, ls);
		logstore_unref(ls);
	} else if (container) {
		struct err e;
		logfeed_close(lc->feed, b->id, container);
		err_set(&e, ERR_NOTFOUND, "build %.8s has no live container '%.60s'", b->id,
			container);
		s_done(op, -1, &e);
		return;
	} else if (!build_status_active(b->status)) {
		logfeed_fetch(lc->feed, lc->d.blob, b);
	} else if (b->status == BUILD_RUNNING && !x->ops->owns(x, b)) {
		struct err e;
		logfeed_close(lc->feed, b->id, NULL);
		err_set(&e, ERR_CONFLICT, "build %.8s runs elsewhere (%.100s): its live log is not "
			"reachable from here", b->id, b->job_name ? b->job_name : "unknown runner");
		s_done(op, -1, &e);
		return;
	}
	/* A queued build's log comes with the MSG_LOG_GREW sent when it starts
	 * here; one that starts or ends elsewhere is found by the next pass. */
	if (!ls && build_status_active(b->status))
		s_watch(lc, b->id);
	struct logstore *cur = logfeed_get(lc->feed, b->id, container);
	op->m->log = cur ? logstore_ref(cur) : NULL;
	s_done(op, 0, NULL);
}

static void s_artifacts_done(void *ctx, int rc, const struct err *e)
{
	s_done(ctx, rc, e);
}

/* A request about one build, once the build is known. */
static void s_resolved(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	struct lifecycle *lc = op->lc;
	struct msg *m = op->m;
	if (r->rc < 0) {
		s_done(op, -1, &r->err);
		return;
	}
	struct build *b = r->build;
	switch (m->type) {
	case MSG_BUILD_GET:
		m->build = b;
		r->build = NULL;
		s_done(op, 0, NULL);
		break;
	case MSG_RETRIGGER:
		s_create_build(op, b->project_key, b->branch, b->id);
		break;
	case MSG_CANCEL:
		s_cancel(op, b);
		break;
	case MSG_LOG_OPEN:
		s_log_open(op, b);
		break;
	case MSG_ARTIFACTS_LIST:
	case MSG_ARTIFACT_GET:
	case MSG_ARTIFACTS_PUSH:
		artifacts_request(lc->d.loop, lc->d.blob, b, m, lc->d.emit, lc->d.emit_ctx,
				  s_artifacts_done, op);
		break;
	default:
		s_done(op, -1, NULL);
	}
}

static void s_page(void *ctx, struct store_reply *r)
{
	struct op *op = ctx;
	op->m->builds = r->builds;
	memset(&r->builds, 0, sizeof(r->builds));
	op->m->next_cursor = r->next_cursor;
	r->next_cursor = NULL;
	s_done(op, r->rc, &r->err);
}

void lifecycle_request(struct lifecycle *lc, struct msg *m)
{
	struct store *st = lc->d.store;
	struct err e = {0};
	if (m->type == MSG_LOG_CLOSE) {
		logfeed_close(lc->feed, m->build_ref ? m->build_ref : "", m->path);
		msg_free(m);
		return;
	}
	if (m->type == MSG_RECONCILE) {
		lc->waiters = xrealloc(lc->waiters, (lc->n_waiters + 1) * sizeof(*lc->waiters));
		lc->waiters[lc->n_waiters++] = m;
		s_check_idle(lc);
		return;
	}
	/* Build IDs are lower case; accept a pasted upper-case one. */
	for (char *p = m->build_ref; p && *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	struct op *op = s_op(lc, m);
	switch (m->type) {
	case MSG_PROJECTS:
		m->projects = xcalloc(1, sizeof(*m->projects));
		s_refresh_projects(lc, m->projects);
		if (m->projects->count == 0 && !fsutil_exists(lc->d.profile->build_scripts)) {
			err_set(&e, ERR_CONFIG, "build-scripts repository %.300s does not exist",
				lc->d.profile->build_scripts);
			s_done(op, -1, &e);
		} else {
			s_done(op, 0, NULL);
		}
		break;
	case MSG_BUILD_START:
		s_create_build(op, m->project ? m->project : "", m->branch, NULL);
		break;
	case MSG_BUILDS_QUERY:
		st->ops->query(st, m->project ? m->project : "", m->cursor,
			       m->limit > 0 ? m->limit : 50, s_page, op);
		break;
	case MSG_BUILDS_ACTIVE:
		st->ops->active(st, (const char *const *)lc->project_keys, lc->n_project_keys,
				s_page, op);
		break;
	case MSG_BUILD_GET:
	case MSG_RETRIGGER:
	case MSG_CANCEL:
	case MSG_LOG_OPEN:
	case MSG_ARTIFACTS_LIST:
	case MSG_ARTIFACT_GET:
	case MSG_ARTIFACTS_PUSH:
		st->ops->get(st, m->build_ref ? m->build_ref : "", s_resolved, op);
		break;
	default:
		err_set(&e, ERR_INTERNAL, "unexpected request %s", msg_type_name(m->type));
		s_done(op, -1, &e);
	}
}

/* --- life ---------------------------------------------------------------- */

static void s_resumed(void *ctx, int rc, const struct err *e, bool prepared)
{
	struct lifecycle *lc = ctx;
	(void)prepared;
	if (rc < 0)
		s_notice(lc, e);
	lc->busy--;
	s_check_idle(lc);
}

struct lifecycle *lifecycle_new(const struct lifecycle_deps *deps)
{
	struct lifecycle *lc = xcalloc(1, sizeof(*lc));
	lc->d = *deps;
	if (lc->d.pass_interval_ms <= 0)
		lc->d.pass_interval_ms = DEFAULT_PASS_MS;
	lc->feed = logfeed_new(deps->loop, deps->profile->data_dir, deps->emit, deps->emit_ctx);
	lc->d.exec->events = (struct exec_events){
		.ctx = lc,
		.running = s_ev_running,
		.log = s_ev_log,
		.finished = s_ev_finished,
		.found = s_ev_found,
	};
	char *lock = datadir_sub(deps->profile->data_dir, "schedule.lock");
	lc->sched_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(lock);
	return lc;
}

void lifecycle_start(struct lifecycle *lc)
{
	struct err e = {0};
	s_refresh_projects(lc, NULL);
	if (lc->d.exec->ops->attach(lc->d.exec, &e) < 0)
		s_notice(lc, &e);
	lc->busy++;
	archive_resume(lc->d.loop, lc->d.blob, lc->d.profile->data_dir, s_resumed, lc);
	s_pass(lc);
	lc->pass_timer = evloop_timer(lc->d.loop, lc->d.pass_interval_ms, s_pass_tick, lc);
}

int lifecycle_busy(struct lifecycle *lc)
{
	return lc->busy;
}

void lifecycle_free(struct lifecycle *lc)
{
	if (!lc)
		return;
	if (lc->pass_timer)
		evloop_timer_cancel(lc->d.loop, lc->pass_timer);
	for (size_t i = 0; i < lc->n_waiters; i++)
		msg_free(lc->waiters[i]);
	free(lc->waiters);
	for (size_t i = 0; i < lc->n_project_keys; i++)
		free(lc->project_keys[i]);
	free(lc->project_keys);
	for (size_t i = 0; i < lc->n_seen; i++)
		free(lc->seen[i]);
	free(lc->seen);
	for (size_t i = 0; i < lc->n_watch; i++)
		free(lc->watch[i]);
	free(lc->watch);
	logfeed_free(lc->feed);
	if (lc->sched_fd >= 0)
		close(lc->sched_fd);
	free(lc);
}
