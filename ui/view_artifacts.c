/* view_artifacts: a build's artifacts, one directory level at a time, with
 * sizes and times; Enter opens a directory or shows a file in a pager pane,
 * `d` downloads with a progress bar, `y` copies the location. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "view.h"

static size_t s_rows(struct app *a, const struct layout_rect *r)
{
	int extra = a->download.active ? 1 : 0;
	return r->h > 2 + extra ? (size_t)(r->h - 2 - extra) : 1;
}

static void s_render(struct app *a, struct view_canvas *c, const struct layout_rect *r,
		     bool focused)
{
	struct model_artifacts *m = &a->artifacts;
	char detail[256];
	snprintf(detail, sizeof(detail), "%.8s %s  /%s", m->build_id ? m->build_id : "",
		 m->project ? m->project : "", m->dir ? m->dir : "");
	view_title(c, r, focused, "Artifacts", detail);
	size_t rows = s_rows(a, r);
	model_sel_fix(&m->sel, m->entries.n, rows);
	view_fill(c, r, 1, CELL_HEADER);
	int name_w = r->w - 32 > 12 ? r->w - 32 : 12;
	view_printf(c, r, 1, 2, CELL_HEADER, "%-*s %10s  %s", name_w, "NAME", "SIZE", "MODIFIED");
	if (m->entries.n == 0)
		view_puts(c, r, 2, 2, CELL_DIM, 0, m->loading ? "loading..." : "no artifacts here");
	for (size_t i = 0; i < rows && m->sel.top + i < m->entries.n; i++) {
		size_t idx = m->sel.top + i;
		const struct blob_entry *e = &m->entries.items[idx];
		int y = (int)i + 2;
		bool sel = idx == m->sel.sel;
		uint16_t elem =
		    sel ? (focused ? CELL_SELECTED : CELL_SELECTED_UNFOCUSED) : CELL_NORMAL;
		if (sel)
			view_fill(c, r, y, elem);
		const char *name = model_artifacts_name(m, idx);
		struct layout_rect nr = *r;
		nr.w = 2 + name_w < r->w ? 2 + name_w : r->w;
		view_puts(c, r, y, 0, elem, 0, e->is_prefix ? (a->d.unicode ? "▸" : ">") : " ");
		view_puts(c, &nr, y, 2, e->is_prefix && !sel ? CELL_KEY : elem, 0, name);
		if (e->is_prefix)
			continue;
		char size[24], when[32] = "";
		model_fmt_size(e->size, size, sizeof(size));
		time_t t = (time_t)(e->mtime_ms / 1000);
		struct tm tm;
		if (e->mtime_ms > 0 && localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		view_printf(c, r, y, 2 + name_w + 1, elem, "%10s  %s", size, when);
	}
	if (a->download.active && r->h > 3) {
		char label[128];
		char done[24], total[24];
		model_fmt_size(a->download.done, done, sizeof(done));
		model_fmt_size(a->download.total, total, sizeof(total));
		snprintf(label, sizeof(label), "%.40s  %s / %s", a->download.what, done, total);
		view_progress(c, r, r->h - 1, 1, r->w - 2, a->download.done, a->download.total,
			      label);
	}
}

static bool s_action(struct app *a, enum keymap_action act)
{
	struct model_artifacts *m = &a->artifacts;
	if (view_list_move(&m->sel, m->entries.n, s_rows(a, &a->layout.main), act)) {
		a->dirty = true;
		return true;
	}
	switch (act) {
	case ACT_OPEN:
		app_artifact_open(a);
		return true;
	case ACT_LEFT:
		app_artifact_up(a);
		return true;
	default:
		return false;
	}
}

const struct view_ops view_artifacts_ops = {
    .name = "artifacts",
    .keys = KEYMAP_ARTIFACTS,
    .render = s_render,
    .action = s_action,
    .page_rows = s_rows,
};
