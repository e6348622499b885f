/* logview_status: what a log pane's title or footer shows (logview.h). */
#include "logview_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "logstore.h"

void logview_status_get(struct logview *lv, struct logview_status *st)
{
	memset(st, 0, sizeof(*st));
	uint64_t nlines = logview_nlines(lv);
	st->has_log = lv->log != NULL;
	st->finished = lv->log && logstore_is_finished(lv->log);
	st->lines = nlines;
	st->bytes = lv->log ? logstore_byte_count(lv->log) : 0;
	uint64_t count = logview_render_count(lv);
	if (count > 0) {
		struct lv_pos top = logview_render_top(lv), last = logview_last_pos(lv);
		st->top_line = logview_render_line_of(lv, top.idx);
		st->bottom_line = logview_render_line_of(lv, last.idx);
		st->percent = (int)((last.idx + 1) * 100 / count);
	} else {
		st->percent = 100;
	}
	st->follow = lv->follow;
	st->new_lines = lv->follow || nlines < lv->paused_lines ? 0 : nlines - lv->paused_lines;
	st->wrap = lv->wrap;
	st->ts = lv->ts;
	st->line_numbers = lv->lineno;
	st->hscroll = lv->hscroll;
	if (lv->sre) {
		st->search_pattern = search_re_pattern(lv->sre);
		st->search_dir = lv->sdir;
		st->seeking = lv->seek && lv->seek_kind == LV_SEEK_SEARCH;
		st->seek_percent = st->seeking ? search_seek_progress(lv->seek) : 0;
		st->not_found = lv->not_found;
		st->match_rank = lv->have_cur && lv->count ? search_count_rank(lv->count) : 0;
		st->match_total = lv->count ? search_count_total(lv->count) : 0;
		st->counting = lv->count && !lv->count_idle;
	}
	if (lv->fre) {
		st->filter_pattern = search_re_pattern(lv->fre);
		st->filter_context = lv->fctx;
		st->filter_rows = count;
		st->filtering = lv->filter && !lv->filter_idle;
		uint64_t done = lv->filter ? search_filter_lines_done(lv->filter) : 0;
		st->filter_percent = nlines ? (int)(done * 100 / nlines) : 100;
		st->filter_truncated = lv->filter && search_filter_truncated(lv->filter);
	}
	st->error_seeking = lv->seek && lv->seek_kind == LV_SEEK_ERROR;
	st->saving = lv->save != NULL;
	if (lv->save && lv->save->total)
		st->save_percent = (int)(lv->save->off * 100 / lv->save->total);
}

/* 1234567 → "1,234,567" */
static const char *s_num(uint64_t v, char buf[32])
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	int o = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

struct s_text {
	char *buf;
	size_t cap, len;
};

static void s_add(struct s_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_add(struct s_text *t, const char *fmt, ...)
{
	if (t->len + 1 >= t->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = t->len + (size_t)n < t->cap ? t->len + (size_t)n : t->cap - 1;
}

static void s_search_text(struct s_text *t, const struct logview_status *st)
{
	char a[32], b[32];
	char d = st->search_dir < 0 ? '?' : '/';
	s_add(t, "  %c%.60s%c", d, st->search_pattern, d);
	if (st->seeking)
		s_add(t, " searching %d%%", st->seek_percent);
	else if (st->not_found)
		s_add(t, " not found");
	else if (st->match_rank)
		s_add(t, " %s of %s%s", s_num(st->match_rank, a), s_num(st->match_total, b),
		      st->counting ? "+" : "");
	else
		s_add(t, " %s%s matches", s_num(st->match_total, b), st->counting ? "+" : "");
}

size_t logview_status_text(struct logview *lv, char *buf, size_t cap)
{
	struct logview_status st;
	struct s_text t = {buf, cap, 0};
	char a[32];
	if (cap == 0)
		return 0;
	buf[0] = 0;
	logview_status_get(lv, &st);
	if (!st.has_log) {
		s_add(&t, "queued: no log yet");
		return t.len;
	}
	s_add(&t, "%s lines  %d%%", s_num(st.lines, a), st.percent);
	if (st.follow)
		s_add(&t, "  following");
	else if (st.new_lines)
		s_add(&t, "  PAUSED +%s new", s_num(st.new_lines, a));
	else
		s_add(&t, "  paused");
	if (st.search_pattern)
		s_search_text(&t, &st);
	if (st.filter_pattern) {
		s_add(&t, "  &%.60s: %s lines", st.filter_pattern, s_num(st.filter_rows, a));
		if (st.filter_context)
			s_add(&t, " -C%u", st.filter_context);
		if (st.filtering)
			s_add(&t, " (filtering %d%%)", st.filter_percent);
		if (st.filter_truncated)
			s_add(&t, " (stopped: too many runs)");
	}
	if (st.error_seeking)
		s_add(&t, "  finding error line");
	if (st.wrap)
		s_add(&t, "  wrap");
	else if (st.hscroll)
		s_add(&t, "  col %llu", (unsigned long long)st.hscroll + 1);
	if (st.ts != LOGVIEW_TS_OFF)
		s_add(&t, st.ts == LOGVIEW_TS_UTC ? "  utc" : "  time");
	if (st.saving)
		s_add(&t, "  saving %d%%", st.save_percent);
	return t.len;
}
