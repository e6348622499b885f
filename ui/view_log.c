/* view_log: log panes (and artifact pagers) on top of the log pane model. */
#include "view_log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "logstore.h"
#include "logview.h"
#include "msg.h"
#include "view.h"
#include "xmem.h"

struct app_log_pane {
	char *id; /* build ID, or the artifact path of a pager */
	bool pager;
	struct build *build;
	struct logview *lv;
	uint64_t open_id;
	char *error;
	char *location;
	bool dirty;
};

struct app_log_pane *view_log_new(const char *id, bool pager)
{
	struct app_log_pane *p = xcalloc(1, sizeof(*p));
	p->id = xstrdup(id);
	p->pager = pager;
	p->lv = logview_new();
	if (!p->lv) {
		free(p->id);
		free(p);
		return NULL;
	}
	if (pager)
		logview_set_line_numbers(p->lv, true);
	p->dirty = true;
	return p;
}

void view_log_free(struct app_log_pane *p)
{
	if (!p)
		return;
	logview_free(p->lv);
	build_free(p->build);
	free(p->id);
	free(p->error);
	free(p->location);
	free(p);
}

const char *view_log_id(const struct app_log_pane *p)
{
	return p->id;
}

bool view_log_is_pager(const struct app_log_pane *p)
{
	return p->pager;
}

const struct build *view_log_build(const struct app_log_pane *p)
{
	return p->build;
}

void view_log_set_build(struct app_log_pane *p, const struct build *b)
{
	build_free(p->build);
	p->build = build_dup(b);
	p->dirty = true;
}

void view_log_set_store(struct app_log_pane *p, struct logstore *ls)
{
	if (!ls || logview_log(p->lv) == ls)
		return;
	logview_set_log(p->lv, ls);
	p->dirty = true;
}

void view_log_grew(struct app_log_pane *p, const struct msg *m)
{
	(void)m;
	if (logview_update(p->lv))
		p->dirty = true;
}

void view_log_set_error(struct app_log_pane *p, const char *msg)
{
	free(p->error);
	p->error = xstrdup(msg);
	p->dirty = true;
}

uint64_t view_log_open_id(const struct app_log_pane *p)
{
	return p->open_id;
}

void view_log_set_open_id(struct app_log_pane *p, uint64_t id)
{
	p->open_id = id;
}

void view_log_set_location(struct app_log_pane *p, const char *location)
{
	free(p->location);
	p->location = xstrdup(location);
}

const char *view_log_location(const struct app_log_pane *p)
{
	return p->location;
}

static void s_notes(struct app *a, struct app_log_pane *p)
{
	char buf[ERR_MSG_MAX];
	enum logview_note_kind k = logview_take_note(p->lv, buf, sizeof(buf));
	if (k == LOGVIEW_NOTE_ERROR)
		app_error(a, "%s", buf);
	else if (k == LOGVIEW_NOTE_INFO)
		app_notice(a, "%s", buf);
}

void view_log_search(struct app *a, struct app_log_pane *p, const char *pattern, bool backward)
{
	struct err e = {0};
	if (logview_search(p->lv, pattern, backward ? -1 : 1, &e) < 0)
		app_error(a, "%s", e.msg);
	s_notes(a, p);
	p->dirty = true;
}

/* "[-C N] PATTERN" or "PATTERN"; an empty pattern clears the filter. */
void view_log_filter(struct app *a, struct app_log_pane *p, const char *arg)
{
	unsigned context = 0;
	const char *pat = arg;
	while (*pat == ' ')
		pat++;
	if (pat[0] == '-' && pat[1] == 'C') {
		pat += 2;
		while (*pat == ' ')
			pat++;
		char *end;
		unsigned long n = strtoul(pat, &end, 10);
		if (end == pat) {
			app_error(a, "filter: -C needs a number of context lines");
			return;
		}
		context = n > 1000 ? 1000 : (unsigned)n;
		pat = end;
		while (*pat == ' ')
			pat++;
	}
	struct err e = {0};
	if (!*pat)
		logview_filter_clear(p->lv);
	else if (logview_filter(p->lv, pat, context, &e) < 0)
		app_error(a, "%s", e.msg);
	s_notes(a, p);
	p->dirty = true;
}

void view_log_save(struct app *a, struct app_log_pane *p, const char *path)
{
	struct err e = {0};
	if (logview_save(p->lv, path, &e) < 0)
		app_error(a, "%s", e.msg);
	else
		app_notice(a, "saving the log to %s...", path);
	p->dirty = true;
}

bool view_log_busy(const struct app_log_pane *p)
{
	return logview_busy(p->lv);
}

bool view_log_work(struct app *a, struct app_log_pane *p, int budget_us)
{
	bool changed = logview_work(p->lv, budget_us > 0 ? budget_us : LOGVIEW_WORK_BUDGET_US);
	s_notes(a, p);
	if (changed)
		p->dirty = true;
	return changed;
}

bool view_log_dirty(struct app_log_pane *p)
{
	return p->dirty;
}

static void s_title(struct app *a, struct app_log_pane *p, struct view_canvas *c,
		    const struct layout_rect *r, bool focused)
{
	uint16_t elem = focused ? CELL_TITLE_FOCUSED : CELL_TITLE;
	view_fill(c, r, 0, elem);
	int x = 1;
	if (p->pager) {
		x += view_puts(c, r, 0, x, elem, CELL_BOLD, "File ");
		x += view_puts(c, r, 0, x, elem, 0, p->id);
	} else if (p->build) {
		const struct build *b = p->build;
		x += view_puts(c, r, 0, x, elem, CELL_BOLD, "Log ");
		x += view_puts(c, r, 0, x, view_status_elem(b->status), CELL_BOLD,
			       model_status_glyph(b->status, a->d.unicode));
		x += view_printf(c, r, 0, x, elem, " %.8s %s %s %s", b->id, b->project_key,
				 b->branch, build_status_name(b->status));
	} else {
		x += view_puts(c, r, 0, x, elem, CELL_BOLD, "Log ");
		x += view_printf(c, r, 0, x, elem, "%.8s", p->id);
	}
	char st[256];
	logview_status_text(p->lv, st, sizeof(st));
	x += view_puts(c, r, 0, x, elem, 0, "  ");
	view_puts(c, r, 0, x, elem, 0, st);
}

void view_log_render(struct app *a, struct app_log_pane *p, struct view_canvas *c,
		     const struct layout_rect *r, bool focused)
{
	p->dirty = false;
	s_title(a, p, c, r, focused);
	if (r->h < 2)
		return;
	struct layout_rect body = {r->y + 1, r->x, r->h - 1, r->w};
	logview_resize(p->lv, body.h, body.w);
	const struct logview_row *rows;
	size_t n = logview_render(p->lv, &rows);
	for (size_t i = 0; i < n && (int)i < body.h; i++)
		view_spans(c, &body, (int)i, 0, rows[i].spans, rows[i].nspans);
	if (!logview_log(p->lv)) {
		const char *why = p->error     ? p->error
				  : p->open_id ? "opening..."
				  : p->build && p->build->status == BUILD_QUEUED
				      ? "queued: the log starts when the build does"
				      : "no log";
		view_puts(c, &body, 0, 1, p->error ? CELL_STATUS_ERROR : CELL_DIM, 0, why);
	} else if (p->error) {
		view_puts(c, &body, body.h - 1, 0, CELL_STATUS_ERROR, 0, p->error);
	}
}

static bool s_action(struct app *a, enum keymap_action act)
{
	struct app_log_pane *p = app_focused_log(a);
	if (!p)
		return false;
	struct logview *lv = p->lv;
	int hstep = a->layout.cols > 16 ? a->layout.cols / 4 : 4;
	switch (act) {
	case ACT_UP:
		logview_scroll(lv, -1);
		break;
	case ACT_DOWN:
		logview_scroll(lv, 1);
		break;
	case ACT_HALF_UP:
	case ACT_HALF_DOWN:
		logview_half_page(lv, act == ACT_HALF_UP ? -1 : 1);
		break;
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
		logview_page(lv, act == ACT_PAGE_UP ? -1 : 1);
		break;
	case ACT_TOP:
		logview_top(lv);
		break;
	case ACT_BOTTOM:
	case ACT_FOLLOW:
		logview_bottom(lv);
		break;
	case ACT_LEFT:
	case ACT_RIGHT:
		logview_hscroll(lv, act == ACT_LEFT ? -hstep : hstep);
		break;
	case ACT_LINE_START:
		logview_hscroll_home(lv);
		break;
	case ACT_SEARCH_FWD:
		app_ask(a, APP_ASK_SEARCH_FWD, "/", NULL);
		break;
	case ACT_SEARCH_BACK:
		app_ask(a, APP_ASK_SEARCH_BACK, "?", NULL);
		break;
	case ACT_SEARCH_NEXT:
	case ACT_SEARCH_PREV:
		logview_search_next(lv, act == ACT_SEARCH_PREV);
		break;
	case ACT_FILTER:
		app_ask(a, APP_ASK_FILTER, "& (regex, -C N for context, empty clears): ", NULL);
		break;
	case ACT_WRAP:
		logview_set_wrap(lv, !logview_wrap(lv));
		break;
	case ACT_TIMESTAMPS: {
		enum logview_ts ts = logview_timestamps(lv);
		logview_set_timestamps(lv, ts == LOGVIEW_TS_OFF	    ? LOGVIEW_TS_LOCAL
					   : ts == LOGVIEW_TS_LOCAL ? LOGVIEW_TS_UTC
								    : LOGVIEW_TS_OFF);
		break;
	}
	case ACT_ERROR_NEXT:
		logview_error_next(lv);
		break;
	case ACT_ERROR_FIRST:
		logview_error_first(lv);
		break;
	case ACT_SAVE: {
		char *def = p->pager ? NULL : xasprintf("aftomato-%.8s.log", p->id);
		app_ask(a, APP_ASK_SAVE, "save log to: ", def);
		free(def);
		break;
	}
	case ACT_DOWNLOAD:
		if (!p->pager)
			return false;
		app_error(a, "this file is already downloaded: S saves it");
		break;
	default:
		return false;
	}
	s_notes(a, p);
	p->dirty = true;
	a->dirty = true;
	return true;
}

static size_t s_rows(struct app *a, const struct layout_rect *r)
{
	(void)a;
	return r->h > 1 ? (size_t)r->h - 1 : 1;
}

const struct view_ops view_log_ops = {
    .name = "log",
    .keys = KEYMAP_LOG,
    .render = NULL, /* panes render through view_log_render */
    .action = s_action,
    .page_rows = s_rows,
};

const struct view_ops view_pager_ops = {
    .name = "pager",
    .keys = KEYMAP_PAGER,
    .render = NULL,
    .action = s_action,
    .page_rows = s_rows,
};
