/* logview: the log pane model (logview.h): state, following, movement,
 * search/filter/error commands, background work, notes and status. Reading
 * and drawing the lines in view is in logview_render.c; saving in
 * logview_save.c. */
#include "logview_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logstore.h"

/* --- life cycle --------------------------------------------------------------- */

struct logview *logview_new(void)
{
	struct logview *lv = calloc(1, sizeof(*lv));
	if (!lv)
		return NULL;
	lv->rows = 1;
	lv->cols = 1;
	lv->follow = true;
	lv->sdir = 1;
	ansi_out_init(&lv->tout);
	ansi_out_init(&lv->gout);
	ansi_plain_init(&lv->plain);
	lv->ere = search_re_new(LOGVIEW_ERROR_PATTERN, SEARCH_CASELESS, NULL);
	lv->wre = search_re_new(LOGVIEW_WARN_PATTERN, SEARCH_CASELESS, NULL);
	if (!lv->ere || !lv->wre) {
		logview_free(lv);
		return NULL;
	}
	return lv;
}

static void s_drop_seek(struct logview *lv)
{
	search_seek_free(lv->seek);
	lv->seek = NULL;
}

static void s_drop_jobs(struct logview *lv)
{
	s_drop_seek(lv);
	search_count_free(lv->count);
	lv->count = NULL;
	search_filter_free(lv->filter);
	lv->filter = NULL;
}

void logview_free(struct logview *lv)
{
	if (!lv)
		return;
	s_drop_jobs(lv);
	logview_save_cancel(lv);
	search_re_free(lv->sre);
	search_re_free(lv->fre);
	search_re_free(lv->ere);
	search_re_free(lv->wre);
	logview_render_cleanup(lv);
	logstore_unref(lv->log);
	free(lv);
}

void logview_note_set(struct logview *lv, enum logview_note_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lv->note, sizeof(lv->note), fmt, ap);
	va_end(ap);
	for (char *p = lv->note; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	lv->note_kind = kind;
}

enum logview_note_kind logview_take_note(struct logview *lv, char *buf, size_t cap)
{
	enum logview_note_kind k = lv->note_kind;
	if (k == LOGVIEW_NOTE_NONE)
		return k;
	if (cap > 0)
		snprintf(buf, cap, "%s", lv->note);
	lv->note_kind = LOGVIEW_NOTE_NONE;
	return k;
}

uint64_t logview_nlines(struct logview *lv)
{
	return lv->log ? logstore_line_count(lv->log) : 0;
}

/* Creates the count and filter jobs the current search and filter need. */
static void s_start_jobs(struct logview *lv)
{
	struct err e;
	if (!lv->log)
		return;
	if (lv->sre && !lv->count) {
		lv->count = search_count_new(lv->log, lv->sre, &e);
		lv->count_idle = false;
		if (!lv->count)
			logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
		else if (lv->have_cur)
			search_count_want_rank(lv->count, &lv->cur);
	}
	if (lv->fre && !lv->filter) {
		lv->filter = search_filter_new(lv->log, lv->fre, lv->fctx, &e);
		lv->filter_idle = false;
		if (!lv->filter)
			logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
	}
}

static uint64_t s_top_line(struct logview *lv);

void logview_set_log(struct logview *lv, struct logstore *log)
{
	if (log == lv->log)
		return;
	uint64_t top_line = lv->log ? s_top_line(lv) : 0;
	s_drop_jobs(lv);
	logview_render_forget(lv);
	logstore_unref(lv->log);
	lv->log = log ? logstore_ref(log) : NULL;
	lv->seen_lines = lv->seen_bytes = 0;
	lv->seen_finished = false;
	lv->io_error = false;
	if (lv->fre && !lv->follow) {
		lv->anchor_pending = true;
		lv->anchor_line = top_line;
		lv->top = (struct lv_pos){0, 0};
	}
	s_start_jobs(lv);
}

struct logstore *logview_log(const struct logview *lv)
{
	return lv->log;
}

bool logview_update(struct logview *lv)
{
	if (!lv->log)
		return false;
	uint64_t n = logstore_line_count(lv->log), b = logstore_byte_count(lv->log);
	bool fin = logstore_is_finished(lv->log) != 0;
	if (n == lv->seen_lines && b == lv->seen_bytes && fin == lv->seen_finished)
		return false;
	lv->seen_lines = n;
	lv->seen_bytes = b;
	lv->seen_finished = fin;
	lv->count_idle = false;
	lv->filter_idle = false;
	return true;
}

void logview_resize(struct logview *lv, int rows, int cols)
{
	lv->rows = rows < 1 ? 1 : rows;
	lv->cols = cols < 1 ? 1 : cols;
}

/* --- positions and movement ------------------------------------------------------- */

static int s_cmp(struct lv_pos a, struct lv_pos b)
{
	if (a.idx != b.idx)
		return a.idx < b.idx ? -1 : 1;
	return a.sub < b.sub ? -1 : a.sub > b.sub;
}

/* Lines are read in batches of at most this many while moving with wrap. */
#define MOVE_BATCH 256u

/* Wrap mode: d rows down from p, reading the lines in batches. */
static struct lv_pos s_move_down(struct logview *lv, struct lv_pos p, uint64_t d, uint64_t count)
{
	while (d > 0) {
		uint64_t want = d < MOVE_BATCH ? d + 1 : MOVE_BATCH;
		if (logview_render_fetch(lv, p.idx, want) || lv->nfetched == 0)
			return p;
		for (size_t j = 0; j < lv->nfetched && d > 0; j++) {
			uint64_t r = logview_render_line_rows(lv, &lv->lines[j]);
			if (p.sub + d < r) {
				p.sub += d;
				return p;
			}
			if (p.idx + 1 >= count) {
				p.sub = r - 1;
				return p;
			}
			d -= r - p.sub;
			p.idx++;
			p.sub = 0;
		}
	}
	return p;
}

/* Wrap mode: d rows up from p. */
static struct lv_pos s_move_up(struct logview *lv, struct lv_pos p, uint64_t d)
{
	while (d > 0) {
		if (p.sub >= d) {
			p.sub -= d;
			return p;
		}
		if (p.idx == 0) {
			p.sub = 0;
			return p;
		}
		d -= p.sub + 1;
		/* the lines above, nearest last */
		uint64_t k = d + 1 < MOVE_BATCH ? d + 1 : MOVE_BATCH;
		uint64_t first = p.idx > k ? p.idx - k : 0;
		if (logview_render_fetch(lv, first, p.idx - first) || lv->nfetched == 0)
			return (struct lv_pos){p.idx - 1, 0};
		size_t j = lv->nfetched;
		p.idx--;
		p.sub = logview_render_line_rows(lv, &lv->lines[--j]) - 1;
		while (j > 0 && p.sub < d) {
			d -= p.sub + 1;
			p.idx--;
			p.sub = logview_render_line_rows(lv, &lv->lines[--j]) - 1;
		}
	}
	return p;
}

/* Moves p by delta screen rows, staying inside the log. */
static struct lv_pos s_move(struct logview *lv, struct lv_pos p, int64_t delta)
{
	uint64_t count = logview_render_count(lv);
	if (count == 0)
		return (struct lv_pos){0, 0};
	if (delta == 0)
		return p;
	if (!lv->wrap) {
		uint64_t d = delta < 0 ? (uint64_t)(-(delta + 1)) + 1 : (uint64_t)delta;
		if (delta < 0)
			p.idx = d > p.idx ? 0 : p.idx - d;
		else if (p.idx >= count - 1 || d >= count - 1 - p.idx)
			p.idx = count - 1;
		else
			p.idx += d;
		p.sub = 0;
		return p;
	}
	if (delta > 0)
		return s_move_down(lv, p, (uint64_t)delta, count);
	return s_move_up(lv, p, (uint64_t)(-(delta + 1)) + 1);
}

static void s_pause(struct logview *lv, struct lv_pos top)
{
	if (lv->follow) {
		lv->follow = false;
		lv->paused_lines = logview_nlines(lv);
	}
	lv->top = top;
}

/* Puts the top at p: at or past the bottom, following resumes. */
static void s_set_top(struct logview *lv, struct lv_pos p)
{
	struct lv_pos b = logview_render_bottom(lv);
	if (s_cmp(p, b) >= 0) {
		lv->follow = true;
		return;
	}
	s_pause(lv, p);
}

static uint64_t s_top_line(struct logview *lv)
{
	return logview_render_line_of(lv, logview_render_top(lv).idx);
}

struct lv_pos logview_last_pos(struct logview *lv)
{
	return s_move(lv, logview_render_top(lv), lv->rows - 1);
}

static uint64_t s_bottom_line(struct logview *lv)
{
	return logview_render_line_of(lv, logview_last_pos(lv).idx);
}

static bool s_visible_pos(struct logview *lv, struct lv_pos p)
{
	if (logview_render_count(lv) == 0)
		return false;
	return s_cmp(p, logview_render_top(lv)) >= 0 && s_cmp(p, logview_last_pos(lv)) <= 0;
}

static bool s_visible_line(struct logview *lv, uint64_t line)
{
	if (lv->filter && !search_filter_has(lv->filter, line, logview_nlines(lv)))
		return false;
	return line >= s_top_line(lv) && line <= s_bottom_line(lv);
}

void logview_scroll(struct logview *lv, int64_t rows)
{
	s_set_top(lv, s_move(lv, logview_render_top(lv), rows));
}

void logview_half_page(struct logview *lv, int dir)
{
	int64_t n = lv->rows / 2 > 0 ? lv->rows / 2 : 1;
	logview_scroll(lv, dir < 0 ? -n : n);
}

void logview_page(struct logview *lv, int dir)
{
	logview_scroll(lv, dir < 0 ? -lv->rows : lv->rows);
}

void logview_top(struct logview *lv)
{
	lv->anchor_pending = false;
	s_set_top(lv, (struct lv_pos){0, 0});
}

void logview_bottom(struct logview *lv)
{
	lv->anchor_pending = false;
	lv->follow = true;
}

bool logview_following(const struct logview *lv)
{
	return lv->follow;
}

void logview_goto_line(struct logview *lv, uint64_t line)
{
	uint64_t count = logview_render_count(lv);
	if (count == 0)
		return;
	lv->anchor_pending = false;
	uint64_t idx =
	    lv->filter ? search_filter_row_of(lv->filter, line, logview_nlines(lv)) : line;
	if (idx >= count)
		idx = count - 1;
	struct lv_pos p = {idx, 0};
	struct lv_pos b = logview_render_bottom(lv);
	s_pause(lv, s_cmp(p, b) > 0 ? b : p);
}

void logview_hscroll(struct logview *lv, int64_t cols)
{
	if (lv->wrap)
		return;
	if (cols < 0)
		lv->hscroll = (uint64_t)(-(cols + 1)) + 1 > lv->hscroll
				  ? 0
				  : lv->hscroll - ((uint64_t)(-(cols + 1)) + 1);
	else
		lv->hscroll += (uint64_t)cols;
}

void logview_hscroll_home(struct logview *lv)
{
	lv->hscroll = 0;
}

/* Shows raw offset `off` of line `line`: horizontally (without wrap), and
 * vertically a third down the view unless it is in view already (and
 * `always` is false). Following pauses. */
static void s_show(struct logview *lv, uint64_t line, uint64_t off, bool always)
{
	uint64_t nlines = logview_nlines(lv);
	uint64_t idx = lv->filter ? search_filter_row_of(lv->filter, line, nlines) : line;
	uint64_t row = 0, col = 0;
	logview_render_locate(lv, line, off, &row, &col);
	if (!lv->wrap) {
		uint32_t w = logview_render_text_width(lv);
		if (col < lv->hscroll || col >= lv->hscroll + w)
			lv->hscroll = col < w ? 0 : col - w / 3;
	}
	struct lv_pos target = {idx, lv->wrap ? row : 0};
	lv->anchor_pending = false;
	if (!always && s_visible_pos(lv, target)) {
		s_pause(lv, logview_render_top(lv));
		return;
	}
	struct lv_pos p = s_move(lv, target, -(lv->rows / 3));
	struct lv_pos b = logview_render_bottom(lv);
	s_pause(lv, s_cmp(p, b) > 0 ? b : p);
}

/* --- display options ---------------------------------------------------------------- */

void logview_set_wrap(struct logview *lv, bool on)
{
	if (lv->wrap == on)
		return;
	lv->wrap = on;
	lv->top.sub = 0;
}

bool logview_wrap(const struct logview *lv)
{
	return lv->wrap;
}

void logview_set_timestamps(struct logview *lv, enum logview_ts ts)
{
	lv->ts = ts;
}

enum logview_ts logview_timestamps(const struct logview *lv)
{
	return lv->ts;
}

void logview_set_line_numbers(struct logview *lv, bool on)
{
	lv->lineno = on;
}

bool logview_line_numbers(const struct logview *lv)
{
	return lv->lineno;
}

/* --- search, filter, error lines -------------------------------------------------------- */

static void s_seek_start(struct logview *lv, enum lv_seek_kind kind, struct search_re *re,
			 uint64_t line, uint64_t bound, int dir, bool wrap)
{
	struct err e;
	s_drop_seek(lv);
	if (!lv->log) {
		logview_note_set(lv, LOGVIEW_NOTE_ERROR, "no log yet: the build has not started");
		return;
	}
	lv->seek = search_seek_new(lv->log, re, line, bound, dir, wrap, lv->filter, &e);
	if (!lv->seek)
		logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
	lv->seek_kind = kind;
	lv->seek_dir = dir;
	lv->seek_step = false;
}

/* A search from the edge of the view: forward from the first line in view,
 * backward from the last. */
static void s_search_from_view(struct logview *lv, int dir)
{
	if (dir > 0)
		s_seek_start(lv, LV_SEEK_SEARCH, lv->sre, s_top_line(lv), 0, 1, true);
	else
		s_seek_start(lv, LV_SEEK_SEARCH, lv->sre, s_bottom_line(lv), UINT64_MAX, -1, true);
}

int logview_search(struct logview *lv, const char *pattern, int dir, struct err *e)
{
	dir = dir < 0 ? -1 : 1;
	if (!pattern || !*pattern) {
		if (!lv->sre)
			return err_set(e, ERR_USAGE, "no previous search");
		lv->sdir = dir;
		s_search_from_view(lv, dir);
		return 0;
	}
	struct search_re *re = search_re_new(pattern, SEARCH_SMART_CASE, e);
	if (!re)
		return -1;
	s_drop_seek(lv);
	search_count_free(lv->count);
	lv->count = NULL;
	search_re_free(lv->sre);
	lv->sre = re;
	lv->sdir = dir;
	lv->have_cur = false;
	lv->not_found = false;
	s_start_jobs(lv);
	s_search_from_view(lv, dir);
	return 0;
}

void logview_search_next(struct logview *lv, bool reverse)
{
	if (!lv->sre) {
		logview_note_set(lv, LOGVIEW_NOTE_ERROR, "no search: use / or ? first");
		return;
	}
	int dir = reverse ? -lv->sdir : lv->sdir;
	if (lv->have_cur && s_visible_line(lv, lv->cur.line)) {
		s_seek_start(lv, LV_SEEK_SEARCH, lv->sre, lv->cur.line,
			     dir > 0 ? lv->cur.start + 1 : lv->cur.start, dir, true);
		lv->seek_step = true;
	} else {
		s_search_from_view(lv, dir);
	}
}

void logview_search_clear(struct logview *lv)
{
	s_drop_seek(lv);
	search_count_free(lv->count);
	lv->count = NULL;
	search_re_free(lv->sre);
	lv->sre = NULL;
	lv->have_cur = false;
	lv->not_found = false;
}

static void s_filter_drop(struct logview *lv)
{
	s_drop_seek(lv); /* a seek may skip lines by the filter */
	search_filter_free(lv->filter);
	lv->filter = NULL;
	search_re_free(lv->fre);
	lv->fre = NULL;
	lv->anchor_pending = false;
}

int logview_filter(struct logview *lv, const char *pattern, unsigned context, struct err *e)
{
	if (!pattern || !*pattern) {
		logview_filter_clear(lv);
		return 0;
	}
	struct search_re *re = search_re_new(pattern, SEARCH_SMART_CASE, e);
	if (!re)
		return -1;
	uint64_t top_line = s_top_line(lv);
	s_filter_drop(lv);
	lv->fre = re;
	lv->fctx = context;
	s_start_jobs(lv);
	if (!lv->follow) {
		lv->anchor_pending = true;
		lv->anchor_line = top_line;
		lv->top = (struct lv_pos){0, 0};
	}
	return 0;
}

void logview_filter_clear(struct logview *lv)
{
	if (!lv->fre)
		return;
	uint64_t top_line = s_top_line(lv);
	s_filter_drop(lv);
	if (!lv->follow)
		lv->top = (struct lv_pos){top_line, 0};
}

void logview_error_first(struct logview *lv)
{
	s_seek_start(lv, LV_SEEK_ERROR, lv->ere, 0, 0, 1, false);
}

void logview_error_next(struct logview *lv)
{
	bool from_last = lv->have_err && s_visible_line(lv, lv->err_line);
	s_seek_start(lv, LV_SEEK_ERROR, lv->ere, from_last ? lv->err_line + 1 : s_top_line(lv), 0,
		     1, false);
}

void logview_error_prev(struct logview *lv)
{
	bool from_last = lv->have_err && s_visible_line(lv, lv->err_line);
	if (from_last && lv->err_line == 0) {
		logview_note_set(lv, LOGVIEW_NOTE_INFO, "no error line before line 1");
		return;
	}
	s_seek_start(lv, LV_SEEK_ERROR, lv->ere, from_last ? lv->err_line - 1 : s_bottom_line(lv),
		     UINT64_MAX, -1, false);
}

/* --- background work ------------------------------------------------------------------- */

static void s_found_match(struct logview *lv, const struct search_hit *hit, bool wrapped)
{
	uint64_t old_rank = lv->count && lv->have_cur ? search_count_rank(lv->count) : 0;
	lv->have_cur = true;
	lv->cur = *hit;
	lv->not_found = false;
	if (lv->count) {
		if (lv->seek_step && old_rank > 0 && !wrapped && !lv->filter &&
		    (lv->seek_dir > 0 || old_rank > 1))
			search_count_set_rank(lv->count, hit,
					      lv->seek_dir > 0 ? old_rank + 1 : old_rank - 1);
		else
			search_count_want_rank(lv->count, hit);
		lv->count_idle = false;
	}
	if (wrapped)
		logview_note_set(lv, LOGVIEW_NOTE_INFO,
				 lv->seek_dir > 0 ? "search hit BOTTOM, continuing at TOP"
						  : "search hit TOP, continuing at BOTTOM");
	s_show(lv, hit->line, hit->start, false);
}

static void s_seek_work(struct logview *lv, int64_t deadline)
{
	struct search_hit hit;
	struct err e;
	int rc = search_seek_run(lv->seek, deadline, &hit, &e);
	if (rc == 0)
		return;
	bool wrapped = search_seek_wrapped(lv->seek);
	s_drop_seek(lv);
	if (rc < 0) {
		logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
	} else if (lv->seek_kind == LV_SEEK_SEARCH) {
		if (rc == 1) {
			s_found_match(lv, &hit, wrapped);
		} else {
			lv->not_found = true;
			logview_note_set(lv, LOGVIEW_NOTE_ERROR, "pattern not found: %.200s",
					 search_re_pattern(lv->sre));
		}
	} else if (rc == 1) {
		lv->have_err = true;
		lv->err_line = hit.line;
		lv->err_hit = hit;
		logview_note_set(lv, LOGVIEW_NOTE_INFO, "error line %llu",
				 (unsigned long long)hit.line + 1);
		s_show(lv, hit.line, hit.start, true);
	} else {
		logview_note_set(lv, LOGVIEW_NOTE_INFO,
				 lv->seek_dir > 0 ? "no further error line"
						  : "no earlier error line");
	}
}

static void s_filter_work(struct logview *lv, int64_t deadline)
{
	struct err e;
	bool changed = false;
	int rc = search_filter_run(lv->filter, deadline, &changed, &e);
	if (rc != 0)
		lv->filter_idle = true;
	if (rc < 0)
		logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
	if (lv->anchor_pending &&
	    (lv->filter_idle || search_filter_lines_done(lv->filter) > lv->anchor_line)) {
		uint64_t nlines = logview_nlines(lv);
		uint64_t rows = search_filter_rows(lv->filter, nlines);
		uint64_t idx = search_filter_row_of(lv->filter, lv->anchor_line, nlines);
		lv->anchor_pending = false;
		lv->top = (struct lv_pos){idx < rows ? idx : (rows ? rows - 1 : 0), 0};
	}
}

static void s_count_work(struct logview *lv, int64_t deadline)
{
	struct err e;
	int rc = search_count_run(lv->count, deadline, &e);
	if (rc != 0)
		lv->count_idle = true;
	if (rc < 0)
		logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
}

bool logview_busy(const struct logview *lv)
{
	return lv->seek || (lv->filter && !lv->filter_idle) || (lv->count && !lv->count_idle) ||
	       lv->save;
}

bool logview_work(struct logview *lv, int budget_us)
{
	if (!logview_busy(lv))
		return false;
	int64_t deadline = search_now_ns() + (int64_t)(budget_us > 0 ? budget_us : 1) * 1000;
	if (lv->seek)
		s_seek_work(lv, deadline);
	if (lv->filter && !lv->filter_idle && search_now_ns() < deadline)
		s_filter_work(lv, deadline);
	if (lv->count && !lv->count_idle && search_now_ns() < deadline)
		s_count_work(lv, deadline);
	if (lv->save && search_now_ns() < deadline)
		logview_save_run(lv, deadline);
	return true;
}
