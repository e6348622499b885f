/* app_do: what keys, `:` commands and answers do. */
#include <ctype.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "msg.h"
#include "view_log.h"
#include "xmem.h"

void app_resolved(struct app *a, struct msg *m);

/* --- actions on one build -------------------------------------------------------- */

static void s_retrigger(struct app *a, const struct build *b)
{
	struct msg *m = msg_new(MSG_RETRIGGER);
	m->id = app_next_id(a, APP_P_RETRIGGER);
	m->build_ref = xstrdup(b->id);
	m->triggered_by = xstrdup(a->d.who);
	app_send(a, m);
	app_notice(a, "retriggering %.8s (%s %s)...", b->id, b->project_key, b->branch);
}

static void s_cancel_ask(struct app *a, const struct build *b)
{
	if (!build_status_active(b->status)) {
		app_error(a, "build %.8s has already %s", b->id, build_status_name(b->status));
		return;
	}
	a->confirm.active = true;
	a->confirm.action = ACT_CANCEL;
	snprintf(a->confirm.build_id, sizeof(a->confirm.build_id), "%s", b->id);
	snprintf(a->confirm.text, sizeof(a->confirm.text),
		 "cancel %s build %.8s of %.60s (%.40s)? y/n", build_status_name(b->status), b->id,
		 b->project_key, b->branch);
	a->dirty = true;
}

static void s_cancel_do(struct app *a, const char *id)
{
	struct msg *m = msg_new(MSG_CANCEL);
	m->id = app_next_id(a, APP_P_CANCEL);
	m->build_ref = xstrdup(id);
	app_send(a, m);
}

static void s_artifacts_list(struct app *a)
{
	struct msg *m = msg_new(MSG_ARTIFACTS_LIST);
	m->id = app_next_id(a, APP_P_ART_LIST);
	m->build_ref = xstrdup(a->artifacts.build_id);
	m->path = xstrdup(a->artifacts.dir);
	a->artifacts.pending_id = m->id;
	a->artifacts.loading = true;
	app_send(a, m);
}

void app_artifacts_relist(struct app *a)
{
	blob_list_cleanup(&a->artifacts.entries);
	free(a->artifacts.next_cursor);
	a->artifacts.next_cursor = NULL;
	s_artifacts_list(a);
	a->dirty = true;
}

static void s_artifacts(struct app *a, const struct build *b)
{
	model_artifacts_open(&a->artifacts, b, "");
	s_artifacts_list(a);
	app_show_main(a, APP_MAIN_ARTIFACTS);
}

/* The build an action is about: the argument (resolved by the worker first)
 * or the selection. */
/* Does act on build b (borrowed): the selected one, or one named by ID. */
static void s_act_on(struct app *a, enum keymap_action act, const struct build *b)
{
	switch (act) {
	case ACT_RETRIGGER:
		s_retrigger(a, b);
		break;
	case ACT_CANCEL:
		s_cancel_ask(a, b);
		break;
	case ACT_LOGS:
		app_open_log(a, b->id, b, false);
		break;
	case ACT_SPLIT:
		app_open_log(a, b->id, b, true);
		break;
	case ACT_ARTIFACTS:
		s_artifacts(a, b);
		break;
	default:
		break;
	}
}

static void s_with_build(struct app *a, enum keymap_action act, const char *arg)
{
	if (arg) {
		if (!build_id_prefix_ok(arg)) {
			app_error(a, "'%.60s' is not a build ID", arg);
			return;
		}
		struct msg *m = msg_new(MSG_BUILD_GET);
		m->id = app_next_id(a, APP_P_RESOLVE);
		m->build_ref = xstrdup(arg);
		a->resolve_action = act;
		a->resolve_id = m->id;
		app_send(a, m);
		return;
	}
	const struct build *b = app_selected_build(a);
	if (!b) {
		app_error(a, "no build selected");
		return;
	}
	/* a copy: acting may reload the list the selection points into */
	struct build *copy = build_dup(b);
	s_act_on(a, act, copy);
	build_free(copy);
}

void app_resolved(struct app *a, struct msg *m)
{
	if (m->id != a->resolve_id)
		return;
	a->resolve_id = 0;
	if (m->rc < 0 || !m->build) {
		app_error(a, "%s", m->rc < 0 ? m->err.msg : "no such build");
		return;
	}
	s_act_on(a, a->resolve_action, m->build);
}

static void s_start_build(struct app *a, const char *project, const char *branch)
{
	struct msg *m = msg_new(MSG_BUILD_START);
	m->id = app_next_id(a, APP_P_START);
	m->project = xstrdup(project);
	m->branch = xstrdup(branch && *branch ? branch : NULL);
	m->triggered_by = xstrdup(a->d.who);
	app_send(a, m);
	app_notice(a, "starting %s on %s...", project, branch && *branch ? branch : "main");
}

/* --- artifacts -------------------------------------------------------------- */

static void s_artifact_get(struct app *a, const char *path, const char *dest,
			   enum app_purpose purpose)
{
	struct msg *m = msg_new(MSG_ARTIFACT_GET);
	m->id = app_next_id(a, purpose);
	m->build_ref = xstrdup(a->artifacts.build_id);
	m->path = xstrdup(path);
	m->dest = xstrdup(dest);
	free(a->download.what);
	free(a->download.dest);
	a->download.active = true;
	a->download.id = m->id;
	a->download.what = xstrdup(path);
	a->download.dest = xstrdup(dest);
	a->download.done = a->download.total = 0;
	app_send(a, m);
}

/* Enter on an artifact: a directory opens, a file is fetched to a temporary
 * file and shown in a pager pane. */
void app_artifact_open(struct app *a)
{
	const struct blob_entry *e = model_artifacts_selected(&a->artifacts);
	if (!e)
		return;
	if (e->is_prefix) {
		struct build b = {0};
		snprintf(b.id, sizeof(b.id), "%s", a->artifacts.build_id);
		b.project_key = a->artifacts.project;
		b.artifacts_prefix = a->artifacts.artifacts_prefix;
		char *dir = xstrdup(e->key);
		model_artifacts_open(&a->artifacts, &b, dir);
		free(dir);
		s_artifacts_list(a);
		a->dirty = true;
		return;
	}
	char *tmpl = xasprintf("%s/aftomato-view-XXXXXX", a->d.tmp_dir ? a->d.tmp_dir : "/tmp");
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		app_error(a, "cannot create a temporary file in %s", a->d.tmp_dir);
		free(tmpl);
		return;
	}
	close(fd);
	s_artifact_get(a, e->key, tmpl, APP_P_ART_VIEW);
	free(tmpl);
}

void app_artifact_up(struct app *a)
{
	char *parent = model_artifacts_parent(&a->artifacts);
	if (!parent) {
		app_show_main(a, APP_MAIN_BUILDS);
		return;
	}
	struct build b = {0};
	snprintf(b.id, sizeof(b.id), "%s", a->artifacts.build_id);
	b.project_key = a->artifacts.project;
	b.artifacts_prefix = a->artifacts.artifacts_prefix;
	char *old = xstrdup(a->artifacts.dir);
	model_artifacts_open(&a->artifacts, &b, parent);
	free(parent);
	free(old);
	s_artifacts_list(a);
	a->dirty = true;
}

static void s_copy(struct app *a, const char *loc)
{
	if (a->d.clipboard)
		a->d.clipboard(a->d.ui_ctx, loc);
	app_notice(a, "copied %s", loc);
}

void app_copy_location(struct app *a)
{
	struct app_log_pane *p = app_focused_log(a);
	if (p && view_log_is_pager(p) && view_log_location(p)) {
		s_copy(a, view_log_location(p));
		return;
	}
	const struct blob_entry *e = model_artifacts_selected(&a->artifacts);
	if (!e || a->main_view != APP_MAIN_ARTIFACTS) {
		app_error(a, "no artifact selected");
		return;
	}
	char *loc = app_artifact_location(a->d.profile, a->artifacts.artifacts_prefix, e->key);
	s_copy(a, loc);
	free(loc);
}

void app_download_ask(struct app *a)
{
	const struct blob_entry *e = model_artifacts_selected(&a->artifacts);
	if (!e || e->is_prefix) {
		app_error(a, "select a file to download");
		return;
	}
	const char *base = strrchr(e->key, '/');
	app_ask(a, APP_ASK_DOWNLOAD, "download to: ", base ? base + 1 : e->key);
}

/* --- dispatch ------------------------------------------------------------------ */

static void s_focus_step(struct app *a, int dir)
{
	/* order: projects, main, log 0..n-1 */
	int n = 2 + a->n_logs;
	int cur = a->focus == LAYOUT_FOCUS_PROJECTS ? 0
		  : a->focus == LAYOUT_FOCUS_MAIN   ? 1
						    : 2 + a->focus_log;
	int next = ((cur + dir) % n + n) % n;
	if (next == 0) {
		a->focus = LAYOUT_FOCUS_PROJECTS;
	} else if (next == 1) {
		a->focus = LAYOUT_FOCUS_MAIN;
	} else {
		a->focus = LAYOUT_FOCUS_LOG;
		a->focus_log = next - 2;
		a->last_log = a->focus_log;
	}
	a->dirty = true;
}

static void s_back(struct app *a)
{
	if (a->focus == LAYOUT_FOCUS_LOG) {
		a->focus = LAYOUT_FOCUS_MAIN;
	} else if (a->focus == LAYOUT_FOCUS_MAIN && a->main_view == APP_MAIN_HELP) {
		app_show_main(a, a->help_return);
	} else if (a->focus == LAYOUT_FOCUS_MAIN && a->main_view != APP_MAIN_BUILDS) {
		app_show_main(a, APP_MAIN_BUILDS);
	} else if (a->focus == LAYOUT_FOCUS_MAIN && a->layout.cols < 60) {
		a->focus = LAYOUT_FOCUS_PROJECTS;
	} else {
		a->quit = true;
	}
	a->dirty = true;
}

static void s_help(struct app *a)
{
	const struct view_ops *ops = app_focused_ops(a);
	if (ops == &view_help_ops)
		return;
	a->help_ctx = ops->keys;
	app_show_main(a, APP_MAIN_HELP);
}

static void s_theme(struct app *a, const char *name)
{
	if (!name) {
		app_error(a, "usage: :theme NAME");
		return;
	}
	char why[256] = "themes cannot change here";
	if (!a->d.set_theme || a->d.set_theme(a->d.ui_ctx, name, why, sizeof(why)) < 0) {
		app_error(a, "%s", why);
		return;
	}
	app_notice(a, "theme %s", name);
}

static void s_mouse(struct app *a, const char *arg)
{
	bool on = !a->mouse;
	if (arg && (strcmp(arg, "on") == 0 || strcmp(arg, "1") == 0))
		on = true;
	else if (arg && (strcmp(arg, "off") == 0 || strcmp(arg, "0") == 0))
		on = false;
	a->mouse = on;
	if (a->d.set_mouse)
		a->d.set_mouse(a->d.ui_ctx, on);
	app_notice(a, "mouse %s", on ? "on" : "off");
}

static void s_build_cmd(struct app *a, const char *arg)
{
	if (!arg) {
		const struct model_project *p = model_projects_selected(&a->projects);
		app_ask(a, APP_ASK_PROJECT, "project: ", p ? p->key : NULL);
		return;
	}
	char *copy = xstrdup(arg);
	char *sp = strpbrk(copy, " \t");
	char *branch = NULL;
	if (sp) {
		*sp = '\0';
		branch = sp + 1;
		while (*branch && isspace((unsigned char)*branch))
			branch++;
	}
	s_start_build(a, copy, branch);
	free(copy);
}

void app_do(struct app *a, enum keymap_action act, const char *arg)
{
	a->dirty = true;
	switch (act) {
	case ACT_HELP:
		s_help(a);
		break;
	case ACT_COMMAND:
		app_ask(a, APP_ASK_COMMAND, ":", NULL);
		break;
	case ACT_NEXT_PANE:
		s_focus_step(a, 1);
		break;
	case ACT_PREV_PANE:
		s_focus_step(a, -1);
		break;
	case ACT_BACK:
		s_back(a);
		break;
	case ACT_QUIT:
		a->quit = true;
		break;
	case ACT_BUILD:
		s_build_cmd(a, arg);
		break;
	case ACT_RETRIGGER:
	case ACT_CANCEL:
	case ACT_LOGS:
	case ACT_SPLIT:
	case ACT_ARTIFACTS:
		s_with_build(a, act, arg);
		break;
	case ACT_CLOSE_PANE: {
		struct app_log_pane *p = app_focused_log(a);
		int i = p ? a->focus_log : a->last_log;
		if (i < 0 || i >= a->n_logs)
			app_error(a, "no log pane to close");
		else
			app_close_log(a, i);
		break;
	}
	case ACT_RUNNING:
		app_show_main(a, APP_MAIN_RUNNING);
		break;
	case ACT_BUILDS:
		if (arg)
			app_select_project(a, arg);
		app_show_main(a, APP_MAIN_BUILDS);
		break;
	case ACT_THEME:
		s_theme(a, arg);
		break;
	case ACT_MOUSE:
		s_mouse(a, arg);
		break;
	case ACT_SAVE: {
		struct app_log_pane *p = app_focused_log(a);
		if (!p && a->last_log >= 0 && a->last_log < a->n_logs)
			p = a->logs[a->last_log];
		if (!p)
			app_error(a, "no log to save");
		else if (!arg)
			app_ask(a, APP_ASK_SAVE, "save log to: ", NULL);
		else
			view_log_save(a, p, arg);
		break;
	}
	case ACT_REFRESH: {
		if (a->focus == LAYOUT_FOCUS_MAIN && a->main_view == APP_MAIN_ARTIFACTS) {
			app_artifacts_relist(a);
			break;
		}
		char *project = xstrdup(a->builds.project);
		model_builds_reset(&a->builds, project);
		free(project);
		app_builds_more(a);
		struct msg *m = msg_new(MSG_PROJECTS);
		m->id = app_next_id(a, APP_P_PROJECTS);
		app_send(a, m);
		m = msg_new(MSG_BUILDS_ACTIVE);
		m->id = app_next_id(a, APP_P_ACTIVE);
		a->running.pending_id = m->id;
		app_send(a, m);
		break;
	}
	case ACT_DOWNLOAD:
		app_download_ask(a);
		break;
	case ACT_COPY_LOCATION:
		app_copy_location(a);
		break;
	default:
		break;
	}
}

void app_command(struct app *a, const char *line)
{
	char why[160];
	char *arg = NULL;
	const struct keymap_command *c = keymap_command_parse(line, &arg, why, sizeof(why));
	if (!c)
		app_error(a, "%s", why);
	else if (c->action == ACT_HELP && a->main_view == APP_MAIN_HELP)
		a->dirty = true;
	else
		app_do(a, c->action, arg);
	free(arg);
}

static void s_filter_key(struct app *a, int key)
{
	char *f = a->projects.filter;
	size_t n = strlen(f);
	if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		a->filtering = false;
	} else if (key == KEYMAP_ESC) {
		a->filtering = false;
		model_projects_filter(&a->projects, "");
	} else if (key == 127 || key == 8 || key == KEY_BACKSPACE) {
		if (n > 0) {
			f[n - 1] = '\0';
			model_projects_filter(&a->projects, f);
		} else {
			a->filtering = false;
		}
	} else if (key >= 0x20 && key < 0x7f && n + 1 < sizeof(a->projects.filter)) {
		f[n] = (char)key;
		f[n + 1] = '\0';
		model_projects_filter(&a->projects, f);
	} else {
		enum keymap_action act = keymap_lookup(KEYMAP_PROJECTS, key);
		if (act != ACT_NONE && view_projects_ops.action(a, act))
			return;
	}
	app_select_project(a, NULL);
}

void app_on_key(struct app *a, int key)
{
	a->dirty = true;
	if (a->confirm.active) {
		a->confirm.active = false;
		if (key == 'y' || key == 'Y') {
			if (a->confirm.action == ACT_CANCEL)
				s_cancel_do(a, a->confirm.build_id);
		} else {
			app_notice(a, "not cancelled");
		}
		return;
	}
	if (a->filtering) {
		s_filter_key(a, key);
		return;
	}
	const struct view_ops *ops = app_focused_ops(a);
	enum keymap_action act = keymap_lookup(ops->keys, key);
	if (act == ACT_NONE)
		return;
	if (ops->action && ops->action(a, act))
		return;
	app_do(a, act, NULL);
}

/* --- answers ------------------------------------------------------------------- */

void app_answer(struct app *a, enum app_ask_kind kind, const char *line)
{
	a->dirty = true;
	struct app_log_pane *p = app_focused_log(a);
	if (!line) {
		if (kind == APP_ASK_BRANCH || kind == APP_ASK_PROJECT) {
			free(a->build_project);
			a->build_project = NULL;
		}
		return;
	}
	switch (kind) {
	case APP_ASK_COMMAND:
		app_command(a, line);
		break;
	case APP_ASK_SEARCH_FWD:
	case APP_ASK_SEARCH_BACK:
		if (p)
			view_log_search(a, p, line, kind == APP_ASK_SEARCH_BACK);
		break;
	case APP_ASK_FILTER:
		if (p)
			view_log_filter(a, p, line);
		break;
	case APP_ASK_PROJECT: {
		char *proj = xstrdup(line);
		size_t n = strlen(proj);
		while (n > 0 && isspace((unsigned char)proj[n - 1]))
			proj[--n] = '\0';
		if (!*proj) {
			app_error(a, "no project given");
			free(proj);
			break;
		}
		free(a->build_project);
		a->build_project = proj;
		app_ask(a, APP_ASK_BRANCH, "branch: ", "main");
		break;
	}
	case APP_ASK_BRANCH:
		if (a->build_project)
			s_start_build(a, a->build_project, line);
		free(a->build_project);
		a->build_project = NULL;
		break;
	case APP_ASK_DOWNLOAD: {
		const struct blob_entry *e = model_artifacts_selected(&a->artifacts);
		const char *home = getenv("HOME");
		char *dest = line[0] == '~' && line[1] == '/' && home
				 ? xasprintf("%s/%s", home, line + 2)
				 : xstrdup(line);
		if (e && *dest)
			s_artifact_get(a, e->key, dest, APP_P_ART_SAVE);
		free(dest);
		break;
	}
	case APP_ASK_SAVE:
		if (*line)
			app_do(a, ACT_SAVE, line);
		break;
	default:
		break;
	}
}

/* --- completion ------------------------------------------------------------------ */

static void s_add_projects(struct app *a, void (*add)(void *, const char *), void *ctx)
{
	for (size_t i = 0; i < a->projects.n; i++)
		add(ctx, a->projects.items[i].key);
}

static void s_add_branches(struct app *a, const char *project, void (*add)(void *, const char *),
			   void *ctx)
{
	add(ctx, "main");
	const struct model_builds *lists[2] = {&a->builds, &a->running};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct build *b = lists[l]->items[i];
			if (b->branch && (!project || strcmp(project, b->project_key) == 0))
				add(ctx, b->branch);
		}
}

static void s_add_builds(struct app *a, void (*add)(void *, const char *), void *ctx)
{
	const struct model_builds *lists[2] = {&a->running, &a->builds};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			char shortid[9];
			snprintf(shortid, sizeof(shortid), "%.8s", lists[l]->items[i]->id);
			add(ctx, shortid);
		}
}

void app_complete(struct app *a, enum app_ask_kind kind, int word_index, const char *const *words,
		  void (*add)(void *ctx, const char *cand), void *ctx)
{
	if (kind == APP_ASK_PROJECT) {
		s_add_projects(a, add, ctx);
		return;
	}
	if (kind == APP_ASK_BRANCH) {
		s_add_branches(a, a->build_project, add, ctx);
		return;
	}
	if (kind != APP_ASK_COMMAND)
		return;
	if (word_index == 0) {
		for (const struct keymap_command *c = keymap_commands(); c->name; c++)
			add(ctx, c->name);
		return;
	}
	char *arg = NULL;
	char why[8];
	const struct keymap_command *c = keymap_command_parse(words[0], &arg, why, sizeof(why));
	free(arg);
	if (!c)
		return;
	switch (c->action) {
	case ACT_BUILD:
		if (word_index == 1)
			s_add_projects(a, add, ctx);
		else if (word_index == 2)
			s_add_branches(a, words[1], add, ctx);
		break;
	case ACT_BUILDS:
		if (word_index == 1)
			s_add_projects(a, add, ctx);
		break;
	case ACT_RETRIGGER:
	case ACT_CANCEL:
	case ACT_LOGS:
	case ACT_SPLIT:
	case ACT_ARTIFACTS:
		if (word_index == 1)
			s_add_builds(a, add, ctx);
		break;
	case ACT_THEME:
		for (size_t i = 0; word_index == 1 && a->d.themes && a->d.themes[i]; i++)
			add(ctx, a->d.themes[i]);
		break;
	case ACT_MOUSE:
		if (word_index == 1) {
			add(ctx, "on");
			add(ctx, "off");
		}
		break;
	default:
		break;
	}
}
