/* view_projects: the projects list (left): last build state, key, and a strip
 * of recent results; `/` filters it as you type. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "view.h"

bool view_list_move(struct model_sel *s, size_t n, size_t rows, enum keymap_action act)
{
	long half = rows > 1 ? (long)rows / 2 : 1;
	long page = rows > 1 ? (long)rows - 1 : 1;
	switch (act) {
	case ACT_UP:
		model_sel_move(s, n, -1, rows);
		return true;
	case ACT_DOWN:
		model_sel_move(s, n, 1, rows);
		return true;
	case ACT_HALF_UP:
		model_sel_move(s, n, -half, rows);
		return true;
	case ACT_HALF_DOWN:
		model_sel_move(s, n, half, rows);
		return true;
	case ACT_PAGE_UP:
		model_sel_move(s, n, -page, rows);
		return true;
	case ACT_PAGE_DOWN:
		model_sel_move(s, n, page, rows);
		return true;
	case ACT_TOP:
		model_sel_move(s, n, -(long)n, rows);
		return true;
	case ACT_BOTTOM:
		model_sel_move(s, n, (long)n, rows);
		return true;
	default:
		return false;
	}
}

uint16_t view_status_elem(enum build_status s)
{
	return (uint16_t)(CELL_BUILD_QUEUED + (int)s);
}

static size_t s_rows(struct app *a, const struct layout_rect *r)
{
	(void)a;
	return r->h > 1 ? (size_t)r->h - 1 : 1;
}

static void s_render(struct app *a, struct view_canvas *c, const struct layout_rect *r,
		     bool focused)
{
	struct model_projects *m = &a->projects;
	char detail[96];
	if (m->filter[0] || a->filtering)
		snprintf(detail, sizeof(detail), "/%s%s %zu/%zu", m->filter,
			 a->filtering ? "_" : "", m->n_visible, m->n);
	else
		snprintf(detail, sizeof(detail), "%zu", m->n);
	view_title(c, r, focused, "Projects", detail);
	size_t rows = s_rows(a, r);
	model_sel_fix(&m->sel, m->n_visible, rows);
	if (!a->projects_loaded) {
		view_puts(c, r, 1, 1, CELL_DIM, 0, "loading...");
		return;
	}
	if (m->n_visible == 0) {
		view_puts(c, r, 1, 1, CELL_DIM, 0, m->n ? "no project matches" : "no projects");
		return;
	}
	int strip_w = r->w >= 24 ? MODEL_STRIP_MAX : 0;
	for (size_t i = 0; i < rows && m->sel.top + i < m->n_visible; i++) {
		size_t idx = m->sel.top + i;
		const struct model_project *p = &m->items[m->visible[idx]];
		int y = (int)i + 1;
		bool sel = idx == m->sel.sel;
		uint16_t elem = sel ? (focused ? CELL_SELECTED : CELL_SELECTED_UNFOCUSED)
				    : (p->error ? CELL_DIM : CELL_NORMAL);
		if (sel)
			view_fill(c, r, y, elem);
		const char *glyph = p->error ? "!" : " ";
		uint16_t gelem = p->error ? CELL_BUILD_ERROR : elem;
		if (!p->error && p->n_recent > 0) {
			glyph = model_status_glyph(p->recent[0].status, a->d.unicode);
			gelem = view_status_elem(p->recent[0].status);
		}
		view_puts(c, r, y, 0, gelem, 0, glyph);
		struct layout_rect kr = *r;
		kr.w = r->w - (strip_w ? strip_w + 1 : 0);
		view_puts(c, &kr, y, 2, elem, 0, p->key);
		if (!strip_w)
			continue;
		/* oldest on the left, newest on the right */
		int x = r->w - strip_w;
		for (size_t k = 0; k < MODEL_STRIP_MAX; k++) {
			size_t from_new = MODEL_STRIP_MAX - 1 - k;
			if (from_new >= p->n_recent)
				continue;
			enum build_status st = p->recent[from_new].status;
			view_puts(c, r, y, x + (int)k, view_status_elem(st), 0,
				  a->d.unicode ? "▪" : model_status_glyph(st, false));
		}
	}
}

static bool s_action(struct app *a, enum keymap_action act)
{
	struct model_projects *m = &a->projects;
	size_t rows = s_rows(a, &a->layout.projects);
	if (view_list_move(&m->sel, m->n_visible, rows, act)) {
		app_select_project(a, NULL);
		return true;
	}
	switch (act) {
	case ACT_OPEN:
		app_select_project(a, NULL);
		app_show_main(a, APP_MAIN_BUILDS);
		return true;
	case ACT_FILTER_LIST:
		a->filtering = true;
		a->dirty = true;
		return true;
	default:
		return false;
	}
}

const struct view_ops view_projects_ops = {
    .name = "projects",
    .keys = KEYMAP_PROJECTS,
    .render = s_render,
    .action = s_action,
    .page_rows = s_rows,
};
