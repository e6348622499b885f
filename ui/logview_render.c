/* logview_render: reading the lines in view and turning them into rows of
 * spans (logview.h). Lines are read with logstore_read_lines capped at
 * LV_TEXT_CAP bytes; longer lines are streamed with logstore_read_bytes, and
 * their wrapped layout keeps checkpoints (LV_CKPT_ROWS rows apart) in a small
 * cache, so a 5 MB line is scanned once and then costs only what is shown. */
#include "logview_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logstore.h"

/* --- indices and widths ------------------------------------------------------------ */

uint64_t logview_render_count(struct logview *lv)
{
	uint64_t n = logview_nlines(lv);
	return lv->filter ? search_filter_rows(lv->filter, n) : n;
}

uint64_t logview_render_line_of(struct logview *lv, uint64_t idx)
{
	return lv->filter ? search_filter_line(lv->filter, idx) : idx;
}

static unsigned s_digits(uint64_t v)
{
	unsigned d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* Width of the line-number column (without its separating space), 0: none. */
static unsigned s_lineno_width(struct logview *lv)
{
	if (!lv->lineno)
		return 0;
	unsigned d = s_digits(logview_nlines(lv));
	return d < 4 ? 4 : d;
}

static unsigned s_ts_width(struct logview *lv)
{
	return lv->ts == LOGVIEW_TS_OFF ? 0 : lv->ts == LOGVIEW_TS_UTC ? 13 : 12;
}

static unsigned s_gutter_width(struct logview *lv)
{
	unsigned w = 0, n = s_lineno_width(lv), t = s_ts_width(lv);
	if (n)
		w += n + 1;
	if (t)
		w += t + 1;
	return w < (unsigned)lv->cols ? w : 0; /* no room: no gutter */
}

uint32_t logview_render_text_width(struct logview *lv)
{
	return (uint32_t)lv->cols - s_gutter_width(lv);
}

/* --- reading lines --------------------------------------------------------------- */

static int s_fetch_cb(const struct logstore_line *l, void *arg)
{
	struct logview *lv = arg;
	if (lv->nfetched == lv->lines_cap) {
		size_t cap = lv->lines_cap ? lv->lines_cap * 2 : 64;
		struct lv_line *v = realloc(lv->lines, cap * sizeof(*v));
		if (!v)
			return 1;
		lv->lines = v;
		lv->lines_cap = cap;
	}
	if (lv->tbuf_len + l->text_len > lv->tbuf_cap) {
		size_t cap = lv->tbuf_cap ? lv->tbuf_cap : 65536;
		while (cap < lv->tbuf_len + l->text_len)
			cap *= 2;
		char *b = realloc(lv->tbuf, cap);
		if (!b)
			return 1;
		lv->tbuf = b;
		lv->tbuf_cap = cap;
	}
	struct lv_line *o = &lv->lines[lv->nfetched++];
	o->line = l->line;
	o->off = l->offset;
	o->len = l->length;
	o->ms = l->arrival_ms;
	o->partial = l->partial != 0;
	o->text_len = l->text_len;
	o->text_at = lv->tbuf_len;
	memcpy(lv->tbuf + lv->tbuf_len, l->text, l->text_len);
	lv->tbuf_len += l->text_len;
	return 0;
}

/* Appends lines [first, first + n) to lv->lines. */
static int s_read_lines(struct logview *lv, uint64_t first, uint64_t n)
{
	struct err e;
	if (logstore_read_lines(lv->log, first, n, LV_TEXT_CAP, s_fetch_cb, lv, &e)) {
		if (!lv->io_error)
			logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
		lv->io_error = true;
		return -1;
	}
	return 0;
}

/* Can the lines fetched last stand for [idx, idx + n) now? Then they are
 * moved to the front of lv->lines. */
static bool s_reuse(struct logview *lv, uint64_t idx, uint64_t n, uint64_t bytes, uint64_t count)
{
	if (!lv->f_valid || lv->f_log != lv->log || lv->f_filter != lv->filter ||
	    lv->f_bytes != bytes || lv->f_rows != count || idx < lv->f_idx ||
	    idx + n > lv->f_idx + lv->nfetched)
		return false;
	size_t skip = (size_t)(idx - lv->f_idx);
	if (skip > 0) {
		memmove(lv->lines, lv->lines + skip, (lv->nfetched - skip) * sizeof(*lv->lines));
		lv->nfetched -= skip;
		lv->f_idx = idx;
	}
	return true;
}

int logview_render_fetch(struct logview *lv, uint64_t idx, uint64_t n)
{
	uint64_t count = logview_render_count(lv);
	uint64_t bytes = lv->log ? logstore_byte_count(lv->log) : 0;
	if (!lv->log || idx >= count) {
		lv->nfetched = 0;
		lv->f_valid = false;
		return 0;
	}
	if (n > count - idx)
		n = count - idx;
	if (s_reuse(lv, idx, n, bytes, count))
		return 0;
	lv->nfetched = 0;
	lv->tbuf_len = 0;
	lv->f_valid = false;
	int rc = 0;
	if (!lv->filter) {
		rc = s_read_lines(lv, idx, n);
	} else {
		for (uint64_t i = 0; i < n && rc == 0;) {
			uint64_t first = search_filter_line(lv->filter, idx + i), k = 1;
			while (i + k < n &&
			       search_filter_line(lv->filter, idx + i + k) == first + k)
				k++;
			rc = s_read_lines(lv, first, k);
			i += k;
		}
	}
	for (size_t j = 0; j < lv->nfetched; j++)
		lv->lines[j].text = lv->tbuf + lv->lines[j].text_at;
	/* a line that grew between the count and the read: do not reuse */
	lv->f_valid = rc == 0 && logstore_byte_count(lv->log) == bytes;
	lv->f_idx = idx;
	lv->f_bytes = bytes;
	lv->f_rows = count;
	lv->f_log = lv->log;
	lv->f_filter = lv->filter;
	return rc;
}

struct s_rd {
	struct logstore *ls;
	uint64_t base;
};

static int s_read(void *arg, uint64_t off, char *buf, size_t cap, size_t *got)
{
	struct s_rd *rd = arg;
	return logstore_read_bytes(rd->ls, rd->base + off, buf, cap, got, NULL);
}

/* A source for the line: its text in memory, or streamed from the store. */
static void s_src(struct logview *lv, const struct lv_line *l, struct ansi_src *src,
		  struct s_rd *rd)
{
	memset(src, 0, sizeof(*src));
	src->len = l->len;
	if (l->len <= l->text_len) {
		src->mem = l->text;
		return;
	}
	rd->ls = lv->log;
	rd->base = l->off;
	src->read = s_read;
	src->arg = rd;
}

/* --- wrapped layout of long lines -------------------------------------------------- */

static void s_ckpt_hook(void *arg, const struct ansi_state *before, uint64_t off,
			const struct ansi_fit *f, const struct ansi_glyph *g)
{
	struct lv_wrapc *c = arg;
	if (g->kind == ANSI_GLYPH_MARK)
		return;
	if (c->width == 0) {
		uint64_t need = c->ncp ? c->cp[c->ncp - 1].st.col + LV_CKPT_COLS : LV_CKPT_COLS;
		if (before->col < need)
			return;
	} else {
		uint64_t need = c->ncp ? c->cp[c->ncp - 1].row + LV_CKPT_ROWS : LV_CKPT_ROWS;
		if (f->row < need)
			return;
	}
	if (c->ncp == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct lv_ckpt *v = realloc(c->cp, cap * sizeof(*v));
		if (!v)
			return;
		c->cp = v;
		c->cap = cap;
	}
	c->cp[c->ncp++] = (struct lv_ckpt){off, f->row, f->x, *before};
}

/* The cache entry of a long line at width w (0: not wrapped), brought up
 * to its length. */
static struct lv_wrapc *s_wrap_get(struct logview *lv, const struct lv_line *l, uint32_t w)
{
	struct lv_wrapc *c = NULL, *victim = &lv->wcache[0];
	for (size_t i = 0; i < LV_WRAP_CACHE && !c; i++) {
		struct lv_wrapc *x = &lv->wcache[i];
		if (x->used && x->line == l->line && x->width == w)
			c = x;
		else if (!x->used || (victim->used && x->stamp < victim->stamp))
			victim = x;
	}
	if (c && c->len == l->len) {
		c->stamp = ++lv->wstamp;
		return c;
	}
	if (!c) {
		c = victim;
		c->used = true;
		c->line = l->line;
		c->width = w;
		c->ncp = 0;
	} else {
		/* the line grew (or changed): checkpoints far enough from the old
		 * end decode the same */
		uint64_t keep = c->len < l->len ? c->len : l->len;
		while (c->ncp > 0 && c->cp[c->ncp - 1].off + ANSI_LOOKAHEAD > keep)
			c->ncp--;
	}
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	f.wrap = w > 0;
	f.width = w > 0 ? w : UINT32_MAX;
	f.nrows = UINT64_MAX;
	f.elem = CELL_LOG_TEXT;
	struct ansi_state st;
	uint64_t off = 0;
	if (c->ncp > 0) {
		const struct lv_ckpt *k = &c->cp[c->ncp - 1];
		ansi_fit_begin_at(&f, k->row, k->x);
		st = k->st;
		off = k->off;
	} else {
		ansi_fit_begin(&f);
		ansi_state_init(&st);
	}
	struct ansi_src src;
	struct s_rd rd;
	s_src(lv, l, &src, &rd);
	ansi_layout(&src, off, &st, &f, s_ckpt_hook, c);
	c->rows = ansi_fit_rows(&f);
	c->len = l->len;
	c->stamp = ++lv->wstamp;
	return c;
}

/* The last checkpoint at or before row `row`, or NULL. */
static const struct lv_ckpt *s_ckpt_for(const struct lv_wrapc *c, uint64_t row)
{
	size_t lo = 0, hi = c->ncp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->cp[mid].row <= row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &c->cp[lo - 1] : NULL;
}

/* The last column checkpoint at or before column `col`, or NULL. */
static const struct lv_ckpt *s_ckpt_for_col(const struct lv_wrapc *c, uint64_t col)
{
	size_t lo = 0, hi = c->ncp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->cp[mid].st.col <= col)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &c->cp[lo - 1] : NULL;
}

void logview_render_forget(struct logview *lv)
{
	for (size_t i = 0; i < LV_WRAP_CACHE; i++) {
		lv->wcache[i].used = false;
		lv->wcache[i].ncp = 0;
	}
}

uint64_t logview_render_line_rows(struct logview *lv, const struct lv_line *l)
{
	if (!lv->wrap)
		return 1;
	uint32_t w = logview_render_text_width(lv);
	if (l->len > l->text_len)
		return s_wrap_get(lv, l, w)->rows;
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	f.wrap = true;
	f.width = w;
	f.nrows = UINT64_MAX;
	ansi_fit_begin(&f);
	struct ansi_state st;
	ansi_state_init(&st);
	struct ansi_src src = {.mem = l->text, .len = l->len};
	ansi_layout(&src, 0, &st, &f, NULL, NULL);
	return ansi_fit_rows(&f);
}

uint64_t logview_render_rows_of(struct logview *lv, uint64_t idx)
{
	if (!lv->wrap)
		return 1;
	if (logview_render_fetch(lv, idx, 1) || lv->nfetched == 0)
		return 1;
	return logview_render_line_rows(lv, &lv->lines[0]);
}

struct lv_pos logview_render_bottom(struct logview *lv)
{
	uint64_t count = logview_render_count(lv), r = (uint64_t)lv->rows;
	if (count == 0)
		return (struct lv_pos){0, 0};
	uint64_t first = count > r ? count - r : 0;
	if (!lv->wrap)
		return (struct lv_pos){first, 0};
	if (logview_render_fetch(lv, first, count - first))
		return (struct lv_pos){first, 0};
	uint64_t left = r;
	for (size_t j = lv->nfetched; j-- > 0;) {
		uint64_t rows = logview_render_line_rows(lv, &lv->lines[j]);
		if (rows >= left)
			return (struct lv_pos){first + j, rows - left};
		left -= rows;
	}
	return (struct lv_pos){first, 0};
}

struct lv_pos logview_render_top(struct logview *lv)
{
	if (lv->follow)
		return logview_render_bottom(lv);
	struct lv_pos p = lv->top;
	/* with at least `rows` lines after the top the view is full: no need to
	 * work out where the bottom is */
	if (!lv->wrap || p.idx + (uint64_t)lv->rows >= logview_render_count(lv)) {
		struct lv_pos b = logview_render_bottom(lv);
		if (p.idx > b.idx || (p.idx == b.idx && p.sub > b.sub))
			return b;
	}
	if (p.sub > 0) {
		uint64_t rows = logview_render_rows_of(lv, p.idx);
		if (p.sub >= rows)
			p.sub = rows - 1;
	}
	return p;
}

/* --- locating an offset ----------------------------------------------------------- */

struct s_loc {
	struct ansi_fit *f;
	uint64_t target;
	bool found;
	uint64_t row, col;
};

static void s_loc_hook(void *arg, const struct ansi_state *before, uint64_t off,
		       const struct ansi_fit *f, const struct ansi_glyph *g)
{
	struct s_loc *loc = arg;
	if (loc->found || off + g->raw_len <= loc->target)
		return;
	loc->found = true;
	loc->col = before->col;
	loc->row = f->row;
	if (g->kind == ANSI_GLYPH_RUN && g->raw_is_text && loc->target > off) {
		/* inside a run of text: the byte's own column and row */
		uint64_t i = loc->target - off;
		loc->col += i;
		if (f->wrap && f->width > 0)
			loc->row += (f->x + i) / f->width;
	} else if (f->wrap && g->width > 0 &&
		   f->x + (g->kind == ANSI_GLYPH_CHAR ? g->width : 1) > f->width) {
		loc->row++; /* it does not fit in what is left of the row */
	}
	loc->f->done = true;
}

void logview_render_locate(struct logview *lv, uint64_t line, uint64_t off, uint64_t *row,
			   uint64_t *col)
{
	*row = 0;
	*col = 0;
	lv->nfetched = 0;
	lv->tbuf_len = 0;
	lv->f_valid = false;
	if (!lv->log || s_read_lines(lv, line, 1) || lv->nfetched == 0)
		return;
	struct lv_line *l = &lv->lines[0];
	l->text = lv->tbuf + l->text_at;
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	f.wrap = lv->wrap;
	f.width = lv->wrap ? logview_render_text_width(lv) : UINT32_MAX;
	f.nrows = UINT64_MAX;
	ansi_fit_begin(&f);
	struct ansi_state st;
	ansi_state_init(&st);
	struct ansi_src src;
	struct s_rd rd;
	s_src(lv, l, &src, &rd);
	struct s_loc loc = {&f, off, false, 0, 0};
	ansi_layout(&src, 0, &st, &f, s_loc_hook, &loc);
	*row = loc.found ? loc.row : ansi_fit_rows(&f) - 1;
	*col = loc.found ? loc.col : st.col;
}

/* --- drawing ------------------------------------------------------------------------- */

/* Error or warning styling, from the start of the line (LV_CLASSIFY_BYTES). */
static uint16_t s_classify(struct logview *lv)
{
	struct ansi_plain head = lv->plain;
	if (head.len > LV_CLASSIFY_BYTES)
		head.len = LV_CLASSIFY_BYTES;
	if (search_plain_any(lv->ere, &head))
		return CELL_LOG_ERROR;
	if (search_plain_any(lv->wre, &head))
		return CELL_LOG_WARN;
	return CELL_LOG_TEXT;
}

/* Search hits of the line as marks, the current match (or error word) as
 * CELL_SEARCH_CURRENT. */
static size_t s_marks(struct logview *lv, const struct lv_line *l)
{
	size_t n = 0;
	if (lv->sre)
		n = search_plain_marks(lv->sre, &lv->plain, CELL_SEARCH_MATCH, lv->marks,
				       LV_MAX_MARKS - 1);
	const struct search_hit *cur = NULL;
	if (lv->have_cur && lv->cur.line == l->line)
		cur = &lv->cur;
	else if (lv->have_err && lv->err_line == l->line)
		cur = &lv->err_hit;
	if (!cur)
		return n;
	struct ansi_mark c = {cur->start, cur->end, CELL_SEARCH_CURRENT};
	if (c.end == c.start && c.start < l->len)
		c.end = c.start + 1; /* an empty match: show one column */
	struct ansi_mark tmp[LV_MAX_MARKS];
	size_t o = 0;
	bool put = false;
	for (size_t i = 0; i < n; i++) {
		const struct ansi_mark *m = &lv->marks[i];
		if (m->end > c.start && m->start < c.end)
			continue; /* overlaps the current one */
		if (!put && m->start >= c.end) {
			tmp[o++] = c;
			put = true;
		}
		tmp[o++] = *m;
	}
	if (!put)
		tmp[o++] = c;
	memcpy(lv->marks, tmp, o * sizeof(*tmp));
	return o;
}

static void s_gutter(struct logview *lv, const struct lv_line *l, bool first_row)
{
	unsigned nw = s_lineno_width(lv), tw = s_ts_width(lv);
	if (s_gutter_width(lv) == 0)
		return;
	struct cell_style ls = {.elem = CELL_LOG_LINENO}, ts = {.elem = CELL_LOG_TIMESTAMP};
	char buf[48];
	if (nw) {
		if (first_row) {
			int n = snprintf(buf, sizeof(buf), "%*llu ", (int)nw,
					 (unsigned long long)l->line + 1);
			ansi_out_add(&lv->gout, buf, (size_t)n, &ls);
		} else {
			ansi_out_spaces(&lv->gout, nw + 1, &ls);
		}
	}
	if (tw) {
		struct tm tm;
		time_t t = (time_t)(l->ms / 1000);
		bool utc = lv->ts == LOGVIEW_TS_UTC;
		if (first_row && l->ms != LOGSTORE_TIME_UNKNOWN && l->ms >= 0 &&
		    (utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
			int n = snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%03d%s ", tm.tm_hour,
					 tm.tm_min, tm.tm_sec, (int)(l->ms % 1000), utc ? "Z" : "");
			ansi_out_add(&lv->gout, buf, (size_t)n, &ts);
		} else {
			ansi_out_spaces(&lv->gout, tw + 1, &ts);
		}
	}
}

/* Draws rows [sub, sub + max) of line l as view rows r, r + 1, ...; returns
 * how many rows it drew. */
static size_t s_draw_line(struct logview *lv, const struct lv_line *l, uint64_t sub, size_t max,
			  size_t r)
{
	/* plain text for matching: the line's head for styling, all of the text
	 * read when search matches are to be highlighted */
	size_t plen = !lv->sre && l->text_len > LV_CLASSIFY_BYTES ? LV_CLASSIFY_BYTES : l->text_len;
	if (ansi_plain_set(&lv->plain, l->text, plen)) {
		lv->plain.text = l->text;
		lv->plain.len = plen;
		lv->plain.nsegs = 0;
	}
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	f.width = logview_render_text_width(lv);
	f.elem = s_classify(lv);
	f.nmarks = s_marks(lv, l);
	f.marks = lv->marks;
	f.out = &lv->tout;
	struct ansi_state st;
	ansi_state_init(&st);
	struct ansi_src src;
	struct s_rd rd;
	s_src(lv, l, &src, &rd);
	size_t drawn = 1;
	uint64_t off = 0;
	if (!lv->wrap) {
		f.first_col = lv->hscroll;
		lv->tstart[r] = lv->tout.nspans;
		ansi_fit_begin(&f);
		/* far into a long line: start from a column checkpoint */
		const struct lv_ckpt *k = NULL;
		if (!src.mem && lv->hscroll >= LV_CKPT_COLS)
			k = s_ckpt_for_col(s_wrap_get(lv, l, 0), lv->hscroll);
		if (k) {
			st = k->st;
			off = k->off;
		}
	} else {
		f.wrap = true;
		f.first_row = sub;
		f.nrows = max;
		f.row_starts = lv->tstart + r;
		const struct lv_ckpt *k = NULL;
		if (!src.mem)
			k = s_ckpt_for(s_wrap_get(lv, l, f.width), sub);
		if (k) {
			ansi_fit_begin_at(&f, k->row, k->x);
			st = k->st;
			off = k->off;
		} else {
			ansi_fit_begin(&f);
		}
	}
	ansi_layout(&src, off, &st, &f, NULL, NULL);
	if (lv->wrap) {
		drawn = f.row < sub ? 0 : (size_t)(f.row - sub + 1 < max ? f.row - sub + 1 : max);
		if (drawn == 0) { /* sub past the line's rows: show nothing of it */
			lv->tstart[r] = lv->tout.nspans;
			drawn = 1;
		}
	}
	for (size_t k = 0; k < drawn; k++) {
		lv->gstart[r + k] = lv->gout.nspans;
		ansi_out_break(&lv->gout);
		s_gutter(lv, l, sub + k == 0);
		lv->rowv[r + k].line = l->line;
		lv->rowv[r + k].subrow = (uint32_t)(sub + k);
	}
	return drawn;
}

static int s_room(struct logview *lv, size_t rows)
{
	if (rows + 1 <= lv->rowv_cap)
		return 0;
	size_t cap = rows + 1;
	struct logview_row *r = realloc(lv->rowv, cap * sizeof(*r));
	if (!r)
		return -1;
	lv->rowv = r;
	size_t *t = realloc(lv->tstart, cap * sizeof(*t));
	if (!t)
		return -1;
	lv->tstart = t;
	size_t *g = realloc(lv->gstart, cap * sizeof(*g));
	if (!g)
		return -1;
	lv->gstart = g;
	lv->rowv_cap = cap;
	return 0;
}

/* Joins gutter and text spans of each drawn row into lv->fin. */
static void s_join(struct logview *lv, size_t drawn)
{
	size_t need = lv->tout.nspans + lv->gout.nspans;
	if (need > lv->fin_cap) {
		struct cell_span *v = realloc(lv->fin, need * sizeof(*v));
		if (!v) {
			drawn = 0;
		} else {
			lv->fin = v;
			lv->fin_cap = need;
		}
	}
	ansi_out_finish(&lv->tout);
	ansi_out_finish(&lv->gout);
	size_t o = 0;
	for (size_t i = 0; i < drawn; i++) {
		size_t g1 = i + 1 < drawn ? lv->gstart[i + 1] : lv->gout.nspans;
		size_t t1 = i + 1 < drawn ? lv->tstart[i + 1] : lv->tout.nspans;
		size_t start = o;
		for (size_t k = lv->gstart[i]; k < g1; k++)
			lv->fin[o++] = lv->gout.spans[k];
		for (size_t k = lv->tstart[i]; k < t1; k++)
			lv->fin[o++] = lv->tout.spans[k];
		lv->rowv[i].spans = lv->fin + start;
		lv->rowv[i].nspans = o - start;
	}
}

size_t logview_render(struct logview *lv, const struct logview_row **rows)
{
	size_t nrows = (size_t)lv->rows, drawn = 0;
	*rows = NULL;
	if (s_room(lv, nrows))
		return 0;
	ansi_out_reset(&lv->tout);
	ansi_out_reset(&lv->gout);
	for (size_t i = 0; i < nrows; i++)
		lv->rowv[i] = (struct logview_row){NULL, 0, UINT64_MAX, 0};
	if (!lv->log) {
		struct cell_style dim = {.elem = CELL_DIM};
		const char *msg = "(no log yet: the build is queued)";
		lv->gstart[0] = lv->tstart[0] = 0;
		size_t n = strlen(msg) < (size_t)lv->cols ? strlen(msg) : (size_t)lv->cols;
		ansi_out_add(&lv->tout, msg, n, &dim);
		s_join(lv, 1);
		*rows = lv->rowv;
		return nrows;
	}
	struct lv_pos p = logview_render_top(lv);
	uint64_t count = logview_render_count(lv);
	while (drawn < nrows && p.idx < count) {
		if (logview_render_fetch(lv, p.idx, nrows - drawn) || lv->nfetched == 0)
			break;
		for (size_t j = 0; j < lv->nfetched && drawn < nrows; j++)
			drawn += s_draw_line(lv, &lv->lines[j], j == 0 ? p.sub : 0, nrows - drawn,
					     drawn);
		p.idx += lv->nfetched;
		p.sub = 0;
	}
	s_join(lv, drawn);
	*rows = lv->rowv;
	return nrows;
}

void logview_render_cleanup(struct logview *lv)
{
	ansi_out_cleanup(&lv->tout);
	ansi_out_cleanup(&lv->gout);
	ansi_plain_cleanup(&lv->plain);
	free(lv->rowv);
	free(lv->tstart);
	free(lv->gstart);
	free(lv->fin);
	free(lv->lines);
	free(lv->tbuf);
	for (size_t i = 0; i < LV_WRAP_CACHE; i++)
		free(lv->wcache[i].cp);
	memset(lv->wcache, 0, sizeof(lv->wcache));
}
