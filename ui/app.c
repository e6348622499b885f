#include "app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifacts.h"
#include "datadir.h"
#include "logstore.h"
#include "msg.h"
#include "project.h"
#include "view_log.h"
#include "xmem.h"

static void s_open_pane(struct app *a, const char *id, const struct build *b, bool split,
			bool pager);

struct app *app_new(const struct app_deps *d)
{
	struct app *a = xcalloc(1, sizeof(*a));
	a->d = *d;
	model_builds_init(&a->builds, NULL, false);
	model_builds_init(&a->running, NULL, true);
	a->main_view = APP_MAIN_BUILDS;
	a->focus = LAYOUT_FOCUS_PROJECTS;
	a->last_log = -1;
	a->dirty = true;
	a->mouse = d->profile && d->profile->mouse;
	return a;
}

void app_free(struct app *a)
{
	if (!a)
		return;
	/* an artifact being fetched for the pager: its temporary file goes too */
	if (a->download.active && APP_PURPOSE(a->download.id) == APP_P_ART_VIEW && a->download.dest)
		unlink(a->download.dest);
	for (int i = 0; i < a->n_logs; i++)
		view_log_free(a->logs[i]);
	model_projects_cleanup(&a->projects);
	model_builds_cleanup(&a->builds);
	model_builds_cleanup(&a->running);
	model_artifacts_cleanup(&a->artifacts);
	free(a->ask.initial);
	free(a->build_project);
	free(a->download.what);
	free(a->download.dest);
	free(a);
}

uint64_t app_next_id(struct app *a, enum app_purpose p)
{
	return (++a->seq << 8) | (uint64_t)p;
}

void app_send(struct app *a, struct msg *m)
{
	a->d.send(a->d.send_ctx, m);
}

static void s_vstatus(struct app *a, bool error, const char *fmt, va_list ap)
{
	char buf[ERR_MSG_MAX];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (error)
		status_error(&a->status, buf, a->now_ms);
	else
		status_notice(&a->status, buf, a->now_ms);
	a->dirty = true;
}

void app_error(struct app *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	s_vstatus(a, true, fmt, ap);
	va_end(ap);
}

void app_notice(struct app *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	s_vstatus(a, false, fmt, ap);
	va_end(ap);
}

void app_ask(struct app *a, enum app_ask_kind kind, const char *label, const char *initial)
{
	free(a->ask.initial);
	a->ask.kind = kind;
	snprintf(a->ask.label, sizeof(a->ask.label), "%s", label);
	a->ask.initial = xstrdup(initial);
	a->ask_pending = true;
}

bool app_take_ask(struct app *a, struct app_ask *out)
{
	if (!a->ask_pending)
		return false;
	*out = a->ask;
	a->ask.initial = NULL;
	a->ask.kind = APP_ASK_NONE;
	a->ask_pending = false;
	return true;
}

char *app_artifact_location(const struct profile *p, const char *artifacts_prefix,
			    const char *rel_path)
{
	char *key = artifacts_key(artifacts_prefix ? artifacts_prefix : "", rel_path);
	const char *bucket = p->s3.artifacts_bucket ? p->s3.artifacts_bucket : "";
	char *out;
	if (p->store == PROFILE_STORE_AWS) {
		out = xasprintf("s3://%s/%s", bucket, key);
	} else {
		char *blobs = datadir_sub(p->data_dir, "blobs");
		out = xasprintf("%s/%s/%s", blobs, bucket, key);
		free(blobs);
	}
	free(key);
	return out;
}

/* --- requests -------------------------------------------------------------- */

static void s_request_projects(struct app *a)
{
	struct msg *m = msg_new(MSG_PROJECTS);
	m->id = app_next_id(a, APP_P_PROJECTS);
	app_send(a, m);
}

static void s_request_active(struct app *a)
{
	struct msg *m = msg_new(MSG_BUILDS_ACTIVE);
	m->id = app_next_id(a, APP_P_ACTIVE);
	a->running.pending_id = m->id;
	a->running.loading = true;
	app_send(a, m);
}

static void s_request_strip(struct app *a, const char *key)
{
	struct msg *m = msg_new(MSG_BUILDS_QUERY);
	m->id = app_next_id(a, APP_P_STRIP);
	m->project = xstrdup(key);
	m->limit = MODEL_STRIP_MAX;
	app_send(a, m);
}

void app_builds_more(struct app *a)
{
	size_t rows = a->layout.main.h > 2 ? (size_t)a->layout.main.h - 2 : 10;
	if (!model_builds_want_more(&a->builds, rows))
		return;
	struct msg *m = msg_new(MSG_BUILDS_QUERY);
	m->id = app_next_id(a, APP_P_PAGE);
	m->project = xstrdup(a->builds.project);
	m->cursor = xstrdup(a->builds.next_cursor);
	m->limit = rows * 2 > 50 ? (int)rows * 2 : 50;
	a->builds.pending_id = m->id;
	a->builds.loading = true;
	app_send(a, m);
}

void app_select_project(struct app *a, const char *key)
{
	if (key)
		model_projects_select(&a->projects, key);
	const struct model_project *p = model_projects_selected(&a->projects);
	const char *k = p ? p->key : NULL;
	if ((k && a->builds.project && strcmp(k, a->builds.project) == 0) ||
	    (!k && !a->builds.project))
		return;
	model_builds_reset(&a->builds, k);
	a->dirty = true;
	if (k)
		app_builds_more(a);
}

void app_start(struct app *a, int64_t now_ms)
{
	a->now_ms = now_ms;
	s_request_projects(a);
	/* the project shown last time: its builds are asked for at once, in
	 * parallel with the projects (one round trip less to a full screen) */
	if (a->d.last_project && *a->d.last_project) {
		model_builds_reset(&a->builds, a->d.last_project);
		app_builds_more(a);
	}
	s_request_active(a);
}

/* --- replies and events ------------------------------------------------------ */

static void s_on_projects(struct app *a, struct msg *m)
{
	if (m->rc < 0) {
		app_error(a, "%s", m->err.msg);
		return;
	}
	struct project_list *l = m->projects;
	size_t n = l ? l->count : 0;
	const char **keys = xcalloc(n + 1, sizeof(*keys));
	const char **errs = xcalloc(n + 1, sizeof(*errs));
	for (size_t i = 0; i < n; i++) {
		keys[i] = l->items[i].key;
		errs[i] = l->items[i].error;
	}
	model_projects_set(&a->projects, keys, errs, n);
	free(keys);
	free(errs);
	a->projects_loaded = true;
	/* the visible builds list first, then the strips of every project */
	app_select_project(a, a->d.last_project);
	for (size_t i = 0; i < a->projects.n; i++)
		if (!a->projects.items[i].loaded)
			s_request_strip(a, a->projects.items[i].key);
}

static void s_on_strip(struct app *a, struct msg *m)
{
	struct model_project *p = model_projects_find(&a->projects, m->project);
	if (m->rc < 0) {
		status_conn_error(&a->status, &m->err);
		if (p)
			p->loaded = true;
		return;
	}
	for (size_t i = 0; i < m->builds.n; i++)
		model_projects_note(&a->projects, m->builds.items[i]);
	if (p)
		p->loaded = true;
}

static void s_on_page(struct app *a, struct msg *m)
{
	if (m->id != a->builds.pending_id)
		return; /* for a project no longer shown */
	a->builds.loading = false;
	if (m->rc < 0) {
		app_error(a, "builds of %s: %s", m->project ? m->project : "?", m->err.msg);
		a->builds.exhausted = true;
		return;
	}
	for (size_t i = 0; i < m->builds.n; i++)
		model_projects_note(&a->projects, m->builds.items[i]);
	model_builds_add_page(&a->builds, &m->builds, m->next_cursor);
	size_t rows = a->layout.main.h > 2 ? (size_t)a->layout.main.h - 2 : 10;
	model_sel_fix(&a->builds.sel, a->builds.n, rows);
	app_builds_more(a);
}

static void s_count_running(struct app *a)
{
	int running = 0, queued = 0;
	for (size_t i = 0; i < a->running.n; i++) {
		if (a->running.items[i]->status == BUILD_RUNNING)
			running++;
		else if (a->running.items[i]->status == BUILD_QUEUED)
			queued++;
	}
	a->status.running = running;
	a->status.queued = queued;
}

static void s_on_active(struct app *a, struct msg *m)
{
	if (m->id != a->running.pending_id)
		return;
	if (m->rc < 0) {
		a->running.loading = false;
		app_error(a, "running builds: %s", m->err.msg);
		return;
	}
	const struct build *sel = model_builds_selected(&a->running);
	char keep[BUILD_ID_LEN + 1] = "";
	if (sel)
		snprintf(keep, sizeof(keep), "%s", sel->id);
	model_builds_reset(&a->running, NULL);
	model_builds_add_page(&a->running, &m->builds, NULL);
	long at = keep[0] ? model_builds_find(&a->running, keep) : -1;
	if (at >= 0)
		a->running.sel.sel = (size_t)at;
	model_sel_fix(&a->running.sel, a->running.n, 1);
	s_count_running(a);
}

static void s_build_changed(struct app *a, const struct build *b)
{
	if (!b)
		return;
	model_projects_note(&a->projects, b);
	model_builds_update(&a->builds, b);
	model_builds_update(&a->running, b);
	s_count_running(a);
	for (int i = 0; i < a->n_logs; i++)
		if (!view_log_is_pager(a->logs[i]) && strcmp(view_log_id(a->logs[i]), b->id) == 0)
			view_log_set_build(a->logs[i], b);
	/* a build's final record comes after its artifacts were stored: list
	 * them again if they are on screen */
	if (a->main_view == APP_MAIN_ARTIFACTS && a->artifacts.build_id &&
	    strcmp(a->artifacts.build_id, b->id) == 0 && !build_status_active(b->status))
		app_artifacts_relist(a);
}

static struct app_log_pane *s_pane_by_open(struct app *a, uint64_t id)
{
	for (int i = 0; i < a->n_logs; i++)
		if (view_log_open_id(a->logs[i]) == id)
			return a->logs[i];
	return NULL;
}

static void s_on_log_open(struct app *a, struct msg *m)
{
	struct app_log_pane *p = s_pane_by_open(a, m->id);
	if (!p)
		return;
	view_log_set_open_id(p, 0);
	if (m->rc < 0) {
		view_log_set_error(p, m->err.msg);
		app_error(a, "%s", m->err.msg);
		return;
	}
	if (m->build)
		view_log_set_build(p, m->build);
	if (m->log)
		view_log_set_store(p, m->log);
}

static void s_on_log_grew(struct app *a, struct msg *m)
{
	if (m->path && *m->path)
		return; /* a sidecar container's log: panes show the build's own */
	for (int i = 0; i < a->n_logs; i++) {
		struct app_log_pane *p = a->logs[i];
		if (view_log_is_pager(p) || !m->build_ref || strcmp(view_log_id(p), m->build_ref))
			continue;
		if (m->log)
			view_log_set_store(p, m->log);
		if (m->rc < 0)
			view_log_set_error(p, m->err.msg);
		view_log_grew(p, m);
	}
}

/* A started or retriggered build: its log in the pane used last, following. */
static void s_on_started(struct app *a, struct msg *m, const char *what)
{
	if (m->rc < 0) {
		app_error(a, "%s: %s", what, m->err.msg);
		return;
	}
	const struct build *b = m->build;
	if (!b)
		return;
	app_notice(a, "%s %.8s: %s on %s", what, b->id, b->project_key, b->branch);
	s_build_changed(a, b);
	app_open_log(a, b->id, b, false);
}

static void s_on_cancel(struct app *a, struct msg *m)
{
	const char *id = m->build ? m->build->id : m->build_ref ? m->build_ref : "?";
	if (m->rc < 0)
		app_error(a, "cancel %.8s: %s", id, m->err.msg);
	else
		app_notice(a, "cancelling build %.8s", id);
	if (m->rc == 0 && m->build)
		s_build_changed(a, m->build);
}

static void s_on_art_list(struct app *a, struct msg *m)
{
	if (m->id != a->artifacts.pending_id)
		return;
	if (m->rc < 0) {
		a->artifacts.loading = false;
		app_error(a, "artifacts: %s", m->err.msg);
		return;
	}
	model_artifacts_add(&a->artifacts, &m->entries, m->next_cursor);
	if (m->next_cursor) {
		struct msg *more = msg_new(MSG_ARTIFACTS_LIST);
		more->id = app_next_id(a, APP_P_ART_LIST);
		more->build_ref = xstrdup(a->artifacts.build_id);
		more->path = xstrdup(a->artifacts.dir);
		more->cursor = xstrdup(m->next_cursor);
		a->artifacts.pending_id = more->id;
		a->artifacts.loading = true;
		app_send(a, more);
	}
}

static void s_download_end(struct app *a)
{
	a->download.active = false;
	free(a->download.what);
	free(a->download.dest);
	a->download.what = a->download.dest = NULL;
}

static void s_on_art_view(struct app *a, struct msg *m)
{
	bool mine = a->download.active && a->download.id == m->id;
	if (mine)
		s_download_end(a);
	if (m->rc < 0) {
		if (m->dest)
			unlink(m->dest);
		app_error(a, "%s: %s", m->path ? m->path : "artifact", m->err.msg);
		return;
	}
	struct err e = {0};
	struct logstore *ls = logstore_open(m->dest, LOGSTORE_TEMPORARY, &e);
	if (!ls) {
		unlink(m->dest);
		app_error(a, "%s", e.msg);
		return;
	}
	logstore_finish(ls);
	s_open_pane(a, m->path, NULL, false, true);
	struct app_log_pane *p = a->logs[a->last_log];
	if (view_log_is_pager(p) && strcmp(view_log_id(p), m->path) == 0) {
		view_log_set_store(p, ls);
		char *loc =
		    app_artifact_location(a->d.profile, a->artifacts.artifacts_prefix, m->path);
		view_log_set_location(p, loc);
		free(loc);
	}
	logstore_unref(ls);
}

static void s_on_art_save(struct app *a, struct msg *m)
{
	if (a->download.active && a->download.id == m->id)
		s_download_end(a);
	if (m->rc < 0)
		app_error(a, "download %s: %s", m->path ? m->path : "?", m->err.msg);
	else
		app_notice(a, "saved %s to %s (%llu bytes)", m->path, m->dest,
			   (unsigned long long)m->count);
}

void app_resolved(struct app *a, struct msg *m); /* app_do.c */

static void s_on_reply(struct app *a, struct msg *m)
{
	if (m->rc == 0)
		status_conn_ok(&a->status);
	else
		status_conn_error(&a->status, &m->err);
	switch (APP_PURPOSE(m->id)) {
	case APP_P_PROJECTS:
		s_on_projects(a, m);
		break;
	case APP_P_STRIP:
		s_on_strip(a, m);
		break;
	case APP_P_PAGE:
		s_on_page(a, m);
		break;
	case APP_P_ACTIVE:
		s_on_active(a, m);
		break;
	case APP_P_START:
		s_on_started(a, m, "started");
		break;
	case APP_P_RETRIGGER:
		s_on_started(a, m, "retriggered");
		break;
	case APP_P_CANCEL:
		s_on_cancel(a, m);
		break;
	case APP_P_LOG_OPEN:
		s_on_log_open(a, m);
		break;
	case APP_P_ART_LIST:
		s_on_art_list(a, m);
		break;
	case APP_P_ART_VIEW:
		s_on_art_view(a, m);
		break;
	case APP_P_ART_SAVE:
		s_on_art_save(a, m);
		break;
	case APP_P_RESOLVE:
		app_resolved(a, m);
		break;
	}
}

void app_on_msg(struct app *a, struct msg *m)
{
	a->dirty = true;
	if (m->reply || m->type == MSG_BUILD_CHANGED || m->type == MSG_NOTICE)
		a->urgent = true;
	if (m->reply) {
		s_on_reply(a, m);
	} else {
		switch (m->type) {
		case MSG_BUILD_CHANGED:
			s_build_changed(a, m->build);
			break;
		case MSG_LOG_GREW:
			s_on_log_grew(a, m);
			break;
		case MSG_PROGRESS:
			if (a->download.active && a->download.id == m->id) {
				a->download.done = m->done_bytes;
				a->download.total = m->total_bytes;
			}
			break;
		case MSG_NOTICE:
			status_conn_error(&a->status, &m->err);
			app_error(a, "%s", m->err.msg);
			break;
		default:
			break;
		}
	}
	msg_free(m);
}

/* --- log panes ---------------------------------------------------------------- */

static void s_log_open_request(struct app *a, struct app_log_pane *p)
{
	struct msg *m = msg_new(MSG_LOG_OPEN);
	m->id = app_next_id(a, APP_P_LOG_OPEN);
	m->build_ref = xstrdup(view_log_id(p));
	view_log_set_open_id(p, m->id);
	app_send(a, m);
}

static void s_log_close_request(struct app *a, struct app_log_pane *p)
{
	if (view_log_is_pager(p))
		return;
	struct msg *m = msg_new(MSG_LOG_CLOSE);
	m->id = app_next_id(a, APP_P_LOG_OPEN);
	m->build_ref = xstrdup(view_log_id(p));
	app_send(a, m);
}

static void s_open_pane(struct app *a, const char *id, const struct build *b, bool split,
			bool pager)
{
	int at = a->last_log >= 0 && a->last_log < a->n_logs ? a->last_log : -1;
	if (split || at < 0) {
		if (a->n_logs >= LAYOUT_MAX_LOGS) {
			if (split) {
				app_error(a, "at most %d log panes (x closes one)",
					  LAYOUT_MAX_LOGS);
				return;
			}
			at = a->n_logs - 1;
		} else {
			at = a->n_logs++;
			a->logs[at] = NULL;
		}
	}
	struct app_log_pane *old = a->logs[at];
	if (old && !pager && !view_log_is_pager(old) && strcmp(view_log_id(old), id) == 0) {
		/* already shown here: just focus it */
	} else {
		if (old) {
			s_log_close_request(a, old);
			view_log_free(old);
		}
		struct app_log_pane *p = view_log_new(id, pager);
		a->logs[at] = p;
		if (b)
			view_log_set_build(p, b);
		if (!pager)
			s_log_open_request(a, p);
	}
	a->last_log = at;
	a->focus = LAYOUT_FOCUS_LOG;
	a->focus_log = at;
	a->dirty = true;
}

void app_open_log(struct app *a, const char *id, const struct build *b, bool split)
{
	s_open_pane(a, id, b, split, false);
}

void app_close_log(struct app *a, int i)
{
	if (i < 0 || i >= a->n_logs)
		return;
	s_log_close_request(a, a->logs[i]);
	view_log_free(a->logs[i]);
	memmove(&a->logs[i], &a->logs[i + 1], (size_t)(a->n_logs - i - 1) * sizeof(a->logs[0]));
	a->n_logs--;
	if (a->last_log >= a->n_logs)
		a->last_log = a->n_logs - 1;
	if (a->focus == LAYOUT_FOCUS_LOG) {
		if (a->n_logs == 0) {
			a->focus = LAYOUT_FOCUS_MAIN;
		} else {
			a->focus_log = i < a->n_logs ? i : a->n_logs - 1;
			a->last_log = a->focus_log;
		}
	}
	a->dirty = true;
}

struct app_log_pane *app_focused_log(struct app *a)
{
	if (a->focus != LAYOUT_FOCUS_LOG || a->focus_log < 0 || a->focus_log >= a->n_logs)
		return NULL;
	return a->logs[a->focus_log];
}

/* --- views and focus ----------------------------------------------------------- */

void app_show_main(struct app *a, enum app_main_view v)
{
	if (v == APP_MAIN_HELP && a->main_view != APP_MAIN_HELP) {
		a->help_return = a->main_view;
		a->help_sel.sel = a->help_sel.top = 0;
	}
	a->main_view = v;
	if (v == APP_MAIN_RUNNING)
		s_request_active(a);
	if (v == APP_MAIN_BUILDS)
		app_builds_more(a);
	a->focus = LAYOUT_FOCUS_MAIN;
	a->dirty = true;
}
