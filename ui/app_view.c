/* app_view: focus, the clock, background work and rendering of the app. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "view_log.h"

static const struct view_ops *s_main_ops(struct app *a)
{
	switch (a->main_view) {
	case APP_MAIN_RUNNING:
		return &view_running_ops;
	case APP_MAIN_ARTIFACTS:
		return &view_artifacts_ops;
	case APP_MAIN_HELP:
		return &view_help_ops;
	default:
		return &view_builds_ops;
	}
}

const struct view_ops *app_focused_ops(struct app *a)
{
	switch (a->focus) {
	case LAYOUT_FOCUS_PROJECTS:
		return &view_projects_ops;
	case LAYOUT_FOCUS_LOG:
		if (app_focused_log(a))
			return view_log_is_pager(app_focused_log(a)) ? &view_pager_ops
								     : &view_log_ops;
		a->focus = LAYOUT_FOCUS_MAIN;
		return s_main_ops(a);
	default:
		return s_main_ops(a);
	}
}

const struct build *app_selected_build(struct app *a)
{
	struct app_log_pane *p = app_focused_log(a);
	if (p)
		return view_log_is_pager(p) ? NULL : view_log_build(p);
	if (a->focus == LAYOUT_FOCUS_MAIN && a->main_view == APP_MAIN_RUNNING)
		return model_builds_selected(&a->running);
	return model_builds_selected(&a->builds);
}

static bool s_in(const struct layout_rect *r, int y, int x)
{
	return layout_visible(r) && y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

void app_click(struct app *a, int y, int x)
{
	const struct layout *l = &a->layout;
	a->dirty = a->urgent = true;
	if (s_in(&l->projects, y, x)) {
		a->focus = LAYOUT_FOCUS_PROJECTS;
		size_t row = (size_t)(y - l->projects.y);
		if (row >= 1 && a->projects.sel.top + row - 1 < a->projects.n_visible) {
			a->projects.sel.sel = a->projects.sel.top + row - 1;
			app_select_project(a, NULL);
		}
		return;
	}
	if (s_in(&l->main, y, x)) {
		a->focus = LAYOUT_FOCUS_MAIN;
		struct model_builds *m = a->main_view == APP_MAIN_RUNNING  ? &a->running
					 : a->main_view == APP_MAIN_BUILDS ? &a->builds
									   : NULL;
		size_t row = (size_t)(y - l->main.y);
		if (m && row >= 2 && m->sel.top + row - 2 < m->n)
			m->sel.sel = m->sel.top + row - 2;
		if (a->main_view == APP_MAIN_ARTIFACTS && row >= 2 &&
		    a->artifacts.sel.top + row - 2 < a->artifacts.entries.n)
			a->artifacts.sel.sel = a->artifacts.sel.top + row - 2;
		return;
	}
	for (int i = 0; i < a->n_logs; i++) {
		if (s_in(&l->logs[i], y, x)) {
			a->focus = LAYOUT_FOCUS_LOG;
			a->focus_log = a->last_log = i;
			return;
		}
	}
}

bool app_tick(struct app *a, int64_t now_ms)
{
	bool redraw = false;
	/* live durations and "ago" columns change once a second */
	if (now_ms / 1000 != a->now_ms / 1000)
		redraw = true;
	a->now_ms = now_ms;
	if (status_tick(&a->status, now_ms))
		redraw = true;
	for (int i = 0; i < a->n_logs; i++)
		if (view_log_dirty(a->logs[i]))
			redraw = true;
	if (redraw)
		a->dirty = true;
	return a->dirty;
}

bool app_work(struct app *a, int budget_us)
{
	bool more = false;
	int n = a->n_logs;
	for (int i = 0; i < a->n_logs; i++) {
		if (!view_log_busy(a->logs[i]))
			continue;
		if (view_log_work(a, a->logs[i], budget_us / (n ? n : 1)))
			a->dirty = true;
		if (view_log_busy(a->logs[i]))
			more = true;
	}
	return more;
}

/* --- rendering --------------------------------------------------------------- */

static void s_separator(struct app *a, struct view_canvas *c)
{
	const struct layout_rect *r = &a->layout.separator;
	const char *bar = a->d.unicode ? "│" : "|";
	for (int y = 0; y < r->h; y++)
		view_puts(c, r, y, 0, CELL_BORDER, 0, bar);
}

/* The key that opens help in the focused view (log panes use '?' to search
 * backwards), for the status bar's hint. */
static void s_help_key(struct app *a, char *buf, size_t size)
{
	enum keymap_ctx ctx = a->focus == LAYOUT_FOCUS_LOG && app_focused_log(a)
				  ? KEYMAP_LOG
				  : app_focused_ops(a)->keys;
	size_t n = 0;
	const struct keymap_binding *t = keymap_table(ctx, &n);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (t[i].action == ACT_HELP) {
			keymap_key_name(t[i].key, buf, size);
			return;
		}
}

void app_render(struct app *a, struct view_canvas *c, int rows, int cols)
{
	view_canvas_reset(c, rows, cols);
	enum layout_focus_kind focus = a->focus;
	if (focus == LAYOUT_FOCUS_LOG && !app_focused_log(a))
		focus = a->focus = LAYOUT_FOCUS_MAIN;
	/* help takes the whole right side while it is shown */
	bool help = a->main_view == APP_MAIN_HELP;
	layout_compute(&a->layout, rows, cols, help ? 0 : a->n_logs, focus, a->focus_log);
	a->dirty = false;
	a->urgent = false;
	if (a->layout.too_small) {
		char msg[64];
		snprintf(msg, sizeof(msg), "%s%dx%d", cols >= 20 ? "too small: need " : "need ",
			 LAYOUT_MIN_COLS, LAYOUT_MIN_ROWS);
		view_puts(c, &a->layout.notice, 0, 0, CELL_STATUS_WARN, 0, msg);
		return;
	}
	if (layout_visible(&a->layout.projects))
		view_projects_ops.render(a, c, &a->layout.projects, focus == LAYOUT_FOCUS_PROJECTS);
	if (layout_visible(&a->layout.separator))
		s_separator(a, c);
	if (layout_visible(&a->layout.main))
		s_main_ops(a)->render(a, c, &a->layout.main, focus == LAYOUT_FOCUS_MAIN);
	for (int i = 0; i < a->n_logs && !help; i++)
		if (layout_visible(&a->layout.logs[i]))
			view_log_render(a, a->logs[i], c, &a->layout.logs[i],
					focus == LAYOUT_FOCUS_LOG && a->focus_log == i);
	if (a->confirm.active)
		snprintf(a->status.hint, sizeof(a->status.hint), "%.159s", a->confirm.text);
	else if (a->filtering)
		snprintf(a->status.hint, sizeof(a->status.hint),
			 "filter projects: %.63s_  (Enter keeps, Esc clears)", a->projects.filter);
	else
		a->status.hint[0] = '\0';
	s_help_key(a, a->status.help_key, sizeof(a->status.help_key));
	status_render(&a->status, a->d.profile, a->d.unicode, c, &a->layout.status);
}
