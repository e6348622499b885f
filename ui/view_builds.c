/* view_builds: a project's builds (paged from the store as you scroll) and the
 * running list across projects, one row per build: state glyph, short ID,
 * (project,) branch, result, duration (live while running), start (relative
 * and absolute) and who triggered it. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "view.h"

static size_t s_rows(struct app *a, const struct layout_rect *r)
{
	(void)a;
	return r->h > 2 ? (size_t)r->h - 2 : 1;
}

struct s_col {
	const char *name;
	int width;
};

/* One build row (or the header when b is NULL). */
static void s_row(struct app *a, struct view_canvas *c, const struct layout_rect *r, int y,
		  const struct build *b, bool with_project, uint16_t elem)
{
	int64_t now_s = a->now_ms / 1000;
	char id[12], dur[16], result[24], ago[24], when[24], started[48];
	int x = 0;
	if (!b) {
		view_fill(c, r, y, CELL_HEADER);
		x = 2;
		x += view_printf(c, r, y, x, CELL_HEADER, "%-9s", "ID");
		if (with_project)
			x += view_printf(c, r, y, x, CELL_HEADER, "%-21s", "PROJECT");
		view_printf(c, r, y, x, CELL_HEADER, "%-17s%-10s%-9s%-22s%s", "BRANCH", "RESULT",
			    "TIME", "STARTED", "BY");
		return;
	}
	view_puts(c, r, y, 0, view_status_elem(b->status), CELL_BOLD,
		  model_status_glyph(b->status, a->d.unicode));
	x = 2;
	snprintf(id, sizeof(id), "%.8s", b->id);
	x += view_printf(c, r, y, x, elem, "%-9s", id);
	if (with_project) {
		view_printf(c, r, y, x, elem, "%-.20s", b->project_key ? b->project_key : "");
		x += 21;
	}
	view_printf(c, r, y, x, elem, "%-.16s", b->branch ? b->branch : "");
	x += 17;
	model_fmt_result(b, result, sizeof(result));
	/* on the selected row the selection's colours win (the glyph keeps the
	 * state's) so the bar stays whole */
	bool on_sel = elem == CELL_SELECTED || elem == CELL_SELECTED_UNFOCUSED;
	view_printf(c, r, y, x, on_sel ? elem : view_status_elem(b->status), "%-.9s", result);
	x += 10;
	int64_t d = model_build_duration(b, now_s);
	if (d >= 0)
		model_fmt_duration(d, dur, sizeof(dur));
	else
		snprintf(dur, sizeof(dur), "-");
	view_printf(c, r, y, x, elem, "%-.8s", dur);
	x += 9;
	model_fmt_ago(b->build_time, now_s, ago, sizeof(ago));
	model_fmt_when(b->build_time, now_s, when, sizeof(when));
	snprintf(started, sizeof(started), "%s %s", ago, when);
	view_printf(c, r, y, x, elem, "%-.21s", started);
	x += 22;
	view_puts(c, r, y, x, elem, 0, b->triggered_by ? b->triggered_by : "");
}

static void s_list(struct app *a, struct view_canvas *c, const struct layout_rect *r, bool focused,
		   struct model_builds *m, bool with_project, const char *empty)
{
	size_t rows = s_rows(a, r);
	model_sel_fix(&m->sel, m->n, rows);
	if (r->h > 1)
		s_row(a, c, r, 1, NULL, with_project, CELL_HEADER);
	if (m->n == 0) {
		view_puts(c, r, 2, 2, CELL_DIM, 0,
			  m->loading || !m->loaded_once ? "loading..." : empty);
		return;
	}
	for (size_t i = 0; i < rows && m->sel.top + i < m->n; i++) {
		size_t idx = m->sel.top + i;
		int y = (int)i + 2;
		bool sel = idx == m->sel.sel;
		uint16_t elem =
		    sel ? (focused ? CELL_SELECTED : CELL_SELECTED_UNFOCUSED) : CELL_NORMAL;
		if (sel)
			view_fill(c, r, y, elem);
		s_row(a, c, r, y, m->items[idx], with_project, elem);
	}
}

static void s_render_builds(struct app *a, struct view_canvas *c, const struct layout_rect *r,
			    bool focused)
{
	struct model_builds *m = &a->builds;
	char detail[128];
	snprintf(detail, sizeof(detail), "%s  %zu%s%s", m->project ? m->project : "(no project)",
		 m->n, m->exhausted ? "" : "+", m->loading ? " loading..." : "");
	view_title(c, r, focused, "Builds", detail);
	if (!m->project) {
		view_puts(c, r, 2, 2, CELL_DIM, 0, "select a project on the left");
		return;
	}
	const struct model_project *p = model_projects_find(&a->projects, m->project);
	if (p && p->error && r->h > 2) {
		view_puts(c, r, 1, 1, CELL_STATUS_ERROR, 0, p->error);
		struct layout_rect rest = *r;
		rest.y++;
		rest.h--;
		s_list(a, c, &rest, focused, m, false, "no builds yet");
		return;
	}
	s_list(a, c, r, focused, m, false, "no builds yet: press b to start one");
}

static void s_render_running(struct app *a, struct view_canvas *c, const struct layout_rect *r,
			     bool focused)
{
	char detail[96];
	snprintf(detail, sizeof(detail), "%d running, %d queued (every project)", a->status.running,
		 a->status.queued);
	view_title(c, r, focused, "Running", detail);
	s_list(a, c, r, focused, &a->running, true, "nothing queued or running");
}

static bool s_action_builds(struct app *a, enum keymap_action act)
{
	struct model_builds *m = &a->builds;
	if (view_list_move(&m->sel, m->n, s_rows(a, &a->layout.main), act)) {
		app_builds_more(a);
		a->dirty = true;
		return true;
	}
	return false;
}

static bool s_action_running(struct app *a, enum keymap_action act)
{
	struct model_builds *m = &a->running;
	if (view_list_move(&m->sel, m->n, s_rows(a, &a->layout.main), act)) {
		a->dirty = true;
		return true;
	}
	return false;
}

const struct view_ops view_builds_ops = {
    .name = "builds",
    .keys = KEYMAP_BUILDS,
    .render = s_render_builds,
    .action = s_action_builds,
    .page_rows = s_rows,
};

const struct view_ops view_running_ops = {
    .name = "running",
    .keys = KEYMAP_RUNNING,
    .render = s_render_running,
    .action = s_action_running,
    .page_rows = s_rows,
};
