/* Unit tests of ui/logview over real logstore files in AFT_TEST_TMP: follow,
 * pause and resume on a growing log, scrolling, wrap (with a 5 MB line) and
 * horizontal scroll, gutter, whole-log search over a million lines with n/N
 * and the match counter, filter with context, error jumps and styling,
 * hostile logs, byte-exact save, log replacement, and render cost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "logstore.h"
#include "logview.h"
#include "search.h"

/* --- helpers ------------------------------------------------------------------ */

static char s_path[512];

static struct logstore *s_log(const char *name)
{
	static int seq;
	snprintf(s_path, sizeof(s_path), "%s/logview-%d-%d-%s.log", AFT_TEST_TMP, (int)getpid(),
		 ++seq, name);
	struct err e;
	struct logstore *ls =
	    logstore_open(s_path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE | LOGSTORE_TEMPORARY, &e);
	if (!ls)
		fail_msg("logstore_open: %s", e.msg);
	return ls;
}

static void s_append_ms(struct logstore *ls, const char *data, size_t len, int64_t ms)
{
	struct err e;
	if (logstore_append(ls, data, len, ms, &e))
		fail_msg("append: %s", e.msg);
}

static void s_append(struct logstore *ls, const char *text)
{
	s_append_ms(ls, text, strlen(text), LOGSTORE_NOW);
}

/* Lines [from, to) as "line N". */
static void s_lines(struct logstore *ls, unsigned from, unsigned to)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 64);
	for (unsigned i = from; i < to; i++) {
		len += (size_t)sprintf(buf + len, "line %u\n", i);
		if (len >= cap) {
			s_append_ms(ls, buf, len, LOGSTORE_NOW);
			len = 0;
		}
	}
	if (len)
		s_append_ms(ls, buf, len, LOGSTORE_NOW);
	free(buf);
}

static struct logview *s_view(struct logstore *ls, int rows, int cols)
{
	struct logview *lv = logview_new();
	assert_non_null(lv);
	logview_resize(lv, rows, cols);
	logview_set_log(lv, ls);
	logview_update(lv);
	return lv;
}

/* The text of row r of the last render (all spans). */
static const char *s_row(const struct logview_row *rows, size_t r)
{
	static char buf[8192];
	size_t n = 0;
	for (size_t i = 0; i < rows[r].nspans && n + rows[r].spans[i].len < sizeof(buf); i++) {
		memcpy(buf + n, rows[r].spans[i].text, rows[r].spans[i].len);
		n += rows[r].spans[i].len;
	}
	buf[n] = 0;
	return buf;
}

static const char *s_render_row(struct logview *lv, size_t r)
{
	const struct logview_row *rows;
	size_t n = logview_render(lv, &rows);
	assert_true(r < n);
	return s_row(rows, r);
}

static void s_work_all(struct logview *lv, unsigned *calls)
{
	unsigned n = 0;
	while (logview_busy(lv)) {
		logview_work(lv, 2000);
		n++;
		assert_true(n < 1000000);
	}
	if (calls)
		*calls = n;
}

/* The span of row r containing `needle`, or NULL. */
static const struct cell_span *s_span(const struct logview_row *rows, size_t r, const char *needle)
{
	for (size_t i = 0; i < rows[r].nspans; i++) {
		const struct cell_span *s = &rows[r].spans[i];
		if (s->len >= strlen(needle) && memmem(s->text, s->len, needle, strlen(needle)))
			return s;
	}
	return NULL;
}

/* --- follow, pause, scrolling --------------------------------------------------- */

static void test_no_log(void **state)
{
	struct logview *lv = logview_new();
	logview_resize(lv, 5, 60);
	assert_string_equal(s_render_row(lv, 0), "(no log yet: the build is queued)");
	assert_string_equal(s_render_row(lv, 1), "");
	struct logview_status st;
	logview_status_get(lv, &st);
	assert_false(st.has_log);
	char buf[128];
	logview_status_text(lv, buf, sizeof(buf));
	assert_non_null(strstr(buf, "queued"));
	struct err e;
	assert_int_equal(logview_save(lv, "/tmp/x", &e), -1);
	logview_free(lv);
}

static void test_follow_pause_resume(void **state)
{
	struct logstore *ls = s_log("follow");
	struct logview *lv = s_view(ls, 10, 40);
	assert_true(logview_following(lv));
	s_lines(ls, 0, 5);
	assert_true(logview_update(lv));
	assert_false(logview_update(lv));
	/* a short log shows from the top */
	assert_string_equal(s_render_row(lv, 0), "line 0");
	assert_string_equal(s_render_row(lv, 4), "line 4");
	assert_string_equal(s_render_row(lv, 5), "");
	s_lines(ls, 5, 100);
	logview_update(lv);
	assert_string_equal(s_render_row(lv, 0), "line 90");
	assert_string_equal(s_render_row(lv, 9), "line 99");

	/* scrolling up pauses and counts what arrives */
	logview_scroll(lv, -5);
	assert_false(logview_following(lv));
	assert_string_equal(s_render_row(lv, 0), "line 85");
	s_lines(ls, 100, 120);
	logview_update(lv);
	assert_string_equal(s_render_row(lv, 0), "line 85");
	struct logview_status st;
	logview_status_get(lv, &st);
	assert_false(st.follow);
	assert_int_equal(st.new_lines, 20);
	assert_int_equal(st.lines, 120);
	assert_int_equal(st.top_line, 85);
	assert_int_equal(st.bottom_line, 94);
	char buf[256];
	logview_status_text(lv, buf, sizeof(buf));
	assert_non_null(strstr(buf, "PAUSED +20 new"));
	assert_non_null(strstr(buf, "120 lines"));

	/* back down to the bottom: following again */
	logview_scroll(lv, 24);
	assert_false(logview_following(lv));
	logview_scroll(lv, 1);
	assert_true(logview_following(lv));
	assert_string_equal(s_render_row(lv, 9), "line 119");
	logview_status_get(lv, &st);
	assert_int_equal(st.new_lines, 0);
	s_lines(ls, 120, 125);
	logview_update(lv);
	assert_string_equal(s_render_row(lv, 9), "line 124");
	/* scrolling down while following changes nothing */
	logview_scroll(lv, 3);
	assert_true(logview_following(lv));

	/* page, half page, top, bottom, goto */
	logview_top(lv);
	assert_false(logview_following(lv));
	assert_string_equal(s_render_row(lv, 0), "line 0");
	logview_page(lv, 1);
	assert_string_equal(s_render_row(lv, 0), "line 10");
	logview_half_page(lv, 1);
	assert_string_equal(s_render_row(lv, 0), "line 15");
	logview_scroll(lv, 1);
	assert_string_equal(s_render_row(lv, 0), "line 16");
	logview_page(lv, -1);
	assert_string_equal(s_render_row(lv, 0), "line 6");
	logview_half_page(lv, -1);
	assert_string_equal(s_render_row(lv, 0), "line 1");
	logview_scroll(lv, -10);
	assert_string_equal(s_render_row(lv, 0), "line 0");
	logview_goto_line(lv, 60);
	assert_string_equal(s_render_row(lv, 0), "line 60");
	logview_goto_line(lv, 1000);
	assert_string_equal(s_render_row(lv, 9), "line 124");
	logview_bottom(lv);
	assert_true(logview_following(lv));
	logview_status_get(lv, &st);
	assert_int_equal(st.percent, 100);
	logview_free(lv);
	logstore_unref(ls);
}

static void test_partial_line_grows(void **state)
{
	struct logstore *ls = s_log("partial");
	struct logview *lv = s_view(ls, 3, 40);
	s_append(ls, "first\nsec");
	logview_update(lv);
	assert_string_equal(s_render_row(lv, 1), "sec");
	s_append(ls, "ond\nthird");
	logview_update(lv);
	assert_string_equal(s_render_row(lv, 1), "second");
	assert_string_equal(s_render_row(lv, 2), "third");
	logview_free(lv);
	logstore_unref(ls);
}

/* --- wrap, hscroll, gutter ----------------------------------------------------------- */

static void test_wrap_and_hscroll(void **state)
{
	struct logstore *ls = s_log("wrap");
	char line[128];
	for (int i = 0; i < 100; i++)
		line[i] = (char)('a' + i % 26);
	line[100] = '\n';
	line[101] = 0;
	s_append(ls, "short\n");
	s_append(ls, line);
	s_append(ls, "end\n");
	struct logview *lv = s_view(ls, 6, 40);
	logview_hscroll(lv, 10);
	assert_string_equal(s_render_row(lv, 1), "klmnopqrstuvwxyzabcdefghijklmnopqrstuvwx");
	logview_set_wrap(lv, true);
	const struct logview_row *rows;
	logview_render(lv, &rows);
	assert_string_equal(s_row(rows, 0), "short");
	assert_string_equal(s_row(rows, 1), "abcdefghijklmnopqrstuvwxyzabcdefghijklmn");
	assert_int_equal(rows[1].subrow, 0);
	assert_string_equal(s_row(rows, 3), "cdefghijklmnopqrstuv");
	assert_int_equal(rows[3].subrow, 2);
	assert_int_equal(rows[3].line, 1);
	assert_string_equal(s_row(rows, 4), "end");
	/* hscroll ignored while wrapping, kept for later */
	logview_hscroll(lv, 5);
	logview_set_wrap(lv, false);
	assert_string_equal(s_render_row(lv, 1), "klmnopqrstuvwxyzabcdefghijklmnopqrstuvwx");
	logview_hscroll(lv, -3);
	assert_string_equal(s_render_row(lv, 1), "hijklmnopqrstuvwxyzabcdefghijklmnopqrstu");
	logview_hscroll(lv, -100);
	logview_hscroll_home(lv);
	assert_string_equal(s_render_row(lv, 1), "abcdefghijklmnopqrstuvwxyzabcdefghijklmn");

	/* scrolling by rows inside a wrapped line */
	logview_set_wrap(lv, true);
	logview_resize(lv, 2, 40);
	logview_top(lv);
	logview_scroll(lv, 2);
	logview_render(lv, &rows);
	assert_int_equal(rows[0].line, 1);
	assert_int_equal(rows[0].subrow, 1);
	assert_int_equal(rows[1].subrow, 2);
	logview_scroll(lv, -1);
	logview_render(lv, &rows);
	assert_int_equal(rows[0].subrow, 0);
	logview_free(lv);
	logstore_unref(ls);
}

static void test_wrap_moves_consistent(void **state)
{
	struct logstore *ls = s_log("moves");
	char line[200];
	for (int i = 0; i < 300; i++) {
		int n = (i * 37) % 131;
		int k = sprintf(line, "%d:", i);
		while (k < n) {
			line[k] = (char)('a' + k % 26);
			k++;
		}
		line[k++] = '\n';
		line[k] = 0;
		s_append(ls, line);
	}
	struct logview *lv = s_view(ls, 7, 40);
	logview_set_wrap(lv, true);
	const struct logview_row *rows;
	/* one row at a time from the bottom to the top */
	static struct {
		uint64_t line;
		uint32_t sub;
	} seq[2000];
	size_t n = 0;
	for (;;) {
		logview_render(lv, &rows);
		assert_true(n < 2000);
		seq[n].line = rows[0].line;
		seq[n].sub = rows[0].subrow;
		n++;
		if (rows[0].line == 0 && rows[0].subrow == 0)
			break;
		logview_scroll(lv, -1);
	}
	assert_true(n > 600);
	/* jumps of k rows land where k single steps do, up and down */
	for (size_t k = 1; k < n; k += 7) {
		logview_bottom(lv);
		logview_scroll(lv, -(int64_t)k);
		logview_render(lv, &rows);
		assert_int_equal(rows[0].line, seq[k].line);
		assert_int_equal(rows[0].subrow, seq[k].sub);
	}
	for (size_t k = 1; k + 1 < n; k += 5) {
		logview_top(lv);
		logview_scroll(lv, (int64_t)k);
		logview_render(lv, &rows);
		assert_int_equal(rows[0].line, seq[n - 1 - k].line);
		assert_int_equal(rows[0].subrow, seq[n - 1 - k].sub);
		assert_false(logview_following(lv));
	}
	logview_top(lv);
	logview_scroll(lv, (int64_t)n);
	assert_true(logview_following(lv));
	logview_free(lv);
	logstore_unref(ls);
}

static int64_t s_ms(void)
{
	return search_now_ns() / 1000000;
}

static void test_wrap_huge_line(void **state)
{
	struct logstore *ls = s_log("huge");
	s_append(ls, "before\n");
	/* a 5 MB line of text, colours and inert escapes, arriving in pieces */
	const char *unit = "\x1b[32mok\x1b[0m step \x1b]0;t\x07 data ";
	size_t ulen = strlen(unit), total = 5u << 20;
	char *chunk = malloc(1 << 20);
	size_t cl = 0, written = 0;
	while (written < total) {
		memcpy(chunk + cl, unit, ulen);
		cl += ulen;
		if (cl + ulen > (1u << 20)) {
			s_append_ms(ls, chunk, cl, LOGSTORE_NOW);
			written += cl;
			cl = 0;
		}
	}
	s_append_ms(ls, chunk, cl, LOGSTORE_NOW);
	free(chunk);
	s_append(ls, "XYZ\ntail\n");
	struct logview *lv = s_view(ls, 50, 200);
	logview_set_wrap(lv, true);
	const struct logview_row *rows;
	int64_t t0 = search_now_ns();
	logview_render(lv, &rows);
	int64_t t1 = search_now_ns();
	assert_string_equal(s_row(rows, 49), "tail");
	assert_int_equal(rows[48].line, 1);
	assert_true(rows[48].subrow > 10000);
	const char *r48 = s_row(rows, 48);
	assert_string_equal(r48 + strlen(r48) - 3, "XYZ");
	/* the second render uses the checkpoints: no new scan of 5 MB */
	int64_t t2 = search_now_ns();
	for (int i = 0; i < 100; i++)
		logview_render(lv, &rows);
	int64_t t3 = search_now_ns();
	print_message("wrap 5 MB line 200x50: first render %.2f ms, then %.1f us per render\n",
		      (t1 - t0) / 1e6, (t3 - t2) / 100 / 1e3);
	assert_true((t3 - t2) / 100 < (t1 - t0) / 10);
	/* scroll up into the middle of it: rows continue without a gap */
	logview_scroll(lv, -10000);
	logview_render(lv, &rows);
	assert_int_equal(rows[0].line, 1);
	uint64_t sub = rows[0].subrow;
	for (int r = 1; r < 50; r++) {
		assert_int_equal(rows[r].subrow, sub + (uint64_t)r);
		assert_true(strlen(s_row(rows, (size_t)r)) > 150);
	}
	/* top of the log: "before" then the start of the line */
	logview_top(lv);
	logview_render(lv, &rows);
	assert_string_equal(s_row(rows, 0), "before");
	assert_int_equal(strncmp(s_row(rows, 1), "ok step ^[]0;t^G data ok", 24), 0);
	/* without wrap, at a far column: a scan to there, then the window */
	logview_set_wrap(lv, false);
	logview_hscroll(lv, 3000000);
	t0 = search_now_ns();
	logview_render(lv, &rows);
	t1 = search_now_ns();
	char far[256];
	snprintf(far, sizeof(far), "%s", s_row(rows, 1));
	assert_int_equal(strlen(far), 200);
	/* then from a column checkpoint, the same text */
	t2 = search_now_ns();
	for (int i = 0; i < 100; i++)
		logview_render(lv, &rows);
	t3 = search_now_ns();
	assert_string_equal(s_row(rows, 1), far);
	print_message("no wrap at column 3,000,000: first render %.2f ms, then %.1f us\n",
		      (t1 - t0) / 1e6, (t3 - t2) / 100 / 1e3);
	assert_true((t3 - t2) / 100 < (t1 - t0) / 10);
	logview_hscroll(lv, 7);
	logview_render(lv, &rows);

	assert_int_equal(strncmp(s_row(rows, 1), far + 7, 193), 0);
	logview_free(lv);
	logstore_unref(ls);
	(void)s_ms;
}

static void test_gutter(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct logstore *ls = s_log("gutter");
	/* 2024-01-02 03:04:05.678 UTC */
	int64_t ms = 1704164645678;
	s_append_ms(ls, "alpha\n", 6, ms);
	s_append_ms(ls, "beta\n", 5, ms + 1000);
	struct logview *lv = s_view(ls, 3, 60);
	logview_set_line_numbers(lv, true);
	assert_string_equal(s_render_row(lv, 0), "   1 alpha");
	logview_set_timestamps(lv, LOGVIEW_TS_UTC);
	assert_string_equal(s_render_row(lv, 1), "   2 03:04:06.678Z beta");
	logview_set_timestamps(lv, LOGVIEW_TS_LOCAL);
	logview_set_line_numbers(lv, false);
	const struct logview_row *rows;
	logview_render(lv, &rows);
	assert_string_equal(s_row(rows, 0), "03:04:05.678 alpha");
	assert_int_equal(rows[0].spans[0].style.elem, CELL_LOG_TIMESTAMP);
	assert_int_equal(rows[0].spans[1].style.elem, CELL_LOG_TEXT);
	/* continuation rows of a wrapped line get a blank gutter */
	s_append_ms(ls, "0123456789012345678901234567890123456789012345678901234567890\n", 62, ms);
	logview_update(lv);
	logview_set_wrap(lv, true);
	logview_set_line_numbers(lv, true);
	logview_render(lv, &rows);
	assert_int_equal(rows[2].subrow, 1);
	assert_int_equal(strncmp(s_row(rows, 2), "                  ", 18), 0);
	logview_free(lv);
	logstore_unref(ls);
}

/* --- search ------------------------------------------------------------------------- */

static struct logstore *s_million(uint64_t a, uint64_t b, uint64_t c)
{
	struct logstore *ls = s_log("million");
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 128);
	for (uint64_t i = 0; i < 1000000; i++) {
		bool mark = i == a || i == b || i == c;
		len += (size_t)sprintf(buf + len, "line %07llu some filler text%s\n",
				       (unsigned long long)i, mark ? " NEEDLE here" : "");
		if (len >= cap) {
			s_append_ms(ls, buf, len, LOGSTORE_NOW);
			len = 0;
		}
	}
	s_append_ms(ls, buf, len, LOGSTORE_NOW);
	free(buf);
	return ls;
}

/* Row of the view showing `line`, or -1. */
static int s_row_of(struct logview *lv, uint64_t line)
{
	const struct logview_row *rows;
	size_t n = logview_render(lv, &rows);
	for (size_t r = 0; r < n; r++)
		if (rows[r].line == line)
			return (int)r;
	return -1;
}

static void test_search_million(void **state)
{
	struct logstore *ls = s_million(1234, 500000, 999000);
	struct logview *lv = s_view(ls, 30, 120);
	struct err e;
	char note[256];

	/* backward from the tail: line 999000 is in view? no: the tail is
	 * 999970-999999; ? finds 999000 first */
	assert_int_equal(logview_search(lv, "needle", -1, &e), 0);
	assert_true(logview_busy(lv));
	unsigned calls;
	s_work_all(lv, &calls);
	assert_true(calls > 1);
	assert_false(logview_following(lv));
	int r = s_row_of(lv, 999000);
	assert_int_equal(r, 10);
	struct logview_status st;
	logview_status_get(lv, &st);
	assert_int_equal(st.match_total, 3);
	assert_int_equal(st.match_rank, 3);
	assert_false(st.counting);
	char buf[256];
	logview_status_text(lv, buf, sizeof(buf));
	assert_non_null(strstr(buf, "?needle? 3 of 3"));
	/* the current match is highlighted */
	const struct logview_row *rows;
	logview_render(lv, &rows);
	const struct cell_span *s = s_span(rows, (size_t)r, "NEEDLE");
	assert_non_null(s);
	assert_int_equal(s->len, 6);
	assert_int_equal(s->style.elem, CELL_SEARCH_CURRENT);

	/* n (backward like the search): far above */
	logview_search_next(lv, false);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 500000), 10);
	logview_status_get(lv, &st);
	assert_int_equal(st.match_rank, 2);
	logview_search_next(lv, false);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 1234), 10);
	logview_status_get(lv, &st);
	assert_int_equal(st.match_rank, 1);
	/* n again wraps around to the last one */
	logview_take_note(lv, note, sizeof(note));
	logview_search_next(lv, false);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 999000), 10);
	assert_int_equal(logview_take_note(lv, note, sizeof(note)), LOGVIEW_NOTE_INFO);
	assert_string_equal(note, "search hit TOP, continuing at BOTTOM");
	logview_status_get(lv, &st);
	assert_int_equal(st.match_rank, 3);
	/* N goes the other way, wrapping to the first */
	logview_search_next(lv, true);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 1234), 10);
	logview_status_get(lv, &st);
	assert_int_equal(st.match_rank, 1);

	/* forward search from the top of the view: a match in view does not
	 * move the view */
	logview_goto_line(lv, 499990);
	assert_int_equal(logview_search(lv, "NEEDLE", 1, &e), 0);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 500000), 10);
	logview_status_get(lv, &st);
	assert_int_equal(st.top_line, 499990);
	assert_int_equal(st.match_rank, 2);

	/* smart case: an upper-case letter makes it case-sensitive */
	assert_int_equal(logview_search(lv, "Needle", 1, &e), 0);
	s_work_all(lv, NULL);
	assert_int_equal(logview_take_note(lv, note, sizeof(note)), LOGVIEW_NOTE_ERROR);
	assert_string_equal(note, "pattern not found: Needle");
	logview_status_get(lv, &st);
	assert_true(st.not_found);
	assert_int_equal(st.match_total, 0);
	/* a bad pattern: an error, the search stays */
	assert_int_equal(logview_search(lv, "(needle", 1, &e), -1);
	assert_non_null(strstr(e.msg, "offset"));
	logview_status_get(lv, &st);
	assert_string_equal(st.search_pattern, "Needle");
	logview_search_clear(lv);
	logview_status_get(lv, &st);
	assert_null(st.search_pattern);
	logview_free(lv);
	logstore_unref(ls);
}

static void test_counter_grows(void **state)
{
	struct logstore *ls = s_log("grows");
	s_lines(ls, 0, 1000);
	s_append(ls, "a needle\n");
	struct logview *lv = s_view(ls, 10, 80);
	struct err e;
	assert_int_equal(logview_search(lv, "needle", 1, &e), 0);
	s_work_all(lv, NULL);
	struct logview_status st;
	logview_status_get(lv, &st);
	assert_int_equal(st.match_total, 1);
	assert_int_equal(st.match_rank, 1);
	s_append(ls, "needle needle\nmore\n");
	assert_true(logview_update(lv));
	assert_true(logview_busy(lv));
	s_work_all(lv, NULL);
	logview_status_get(lv, &st);
	assert_int_equal(st.match_total, 3);
	/* highlighting of every match in view */
	logview_bottom(lv);
	const struct logview_row *rows;
	size_t n = logview_render(lv, &rows);
	int found = 0;
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < rows[r].nspans; i++)
			if (rows[r].spans[i].style.elem == CELL_SEARCH_MATCH ||
			    rows[r].spans[i].style.elem == CELL_SEARCH_CURRENT)
				found++;
	assert_int_equal(found, 3);
	logview_free(lv);
	logstore_unref(ls);
}

/* --- filter, errors ----------------------------------------------------------------------- */

static void test_filter(void **state)
{
	struct logstore *ls = s_log("filter");
	s_lines(ls, 0, 10);
	s_append(ls, "an ERR here\n"); /* line 10 */
	s_lines(ls, 11, 50);
	s_append(ls, "another err\n"); /* line 50 */
	s_lines(ls, 51, 100);
	struct logview *lv = s_view(ls, 10, 60);
	logview_set_line_numbers(lv, true);
	struct err e;
	assert_int_equal(logview_filter(lv, "err", 1, &e), 0);
	s_work_all(lv, NULL);
	const struct logview_row *rows;
	logview_render(lv, &rows);
	uint64_t want[] = {9, 10, 11, 49, 50, 51};
	for (size_t r = 0; r < 6; r++)
		assert_int_equal(rows[r].line, want[r]);
	assert_string_equal(s_row(rows, 1), "  11 an ERR here");
	assert_int_equal(rows[6].nspans, 0);
	struct logview_status st;
	logview_status_get(lv, &st);
	assert_int_equal(st.filter_rows, 6);
	assert_string_equal(st.filter_pattern, "err");
	char buf[256];
	logview_status_text(lv, buf, sizeof(buf));
	assert_non_null(strstr(buf, "&err: 6 lines -C1"));
	/* the filter follows the log */
	s_append(ls, "late err\nafter\n");
	logview_update(lv);
	s_work_all(lv, NULL);
	logview_status_get(lv, &st);
	assert_int_equal(st.filter_rows, 9);
	logview_render(lv, &rows);
	assert_int_equal(rows[6].line, 99);
	assert_int_equal(rows[7].line, 100);
	assert_int_equal(rows[8].line, 101);
	/* search inside the filtered view */
	assert_int_equal(logview_search(lv, "another", 1, &e), 0);
	s_work_all(lv, NULL);
	logview_status_get(lv, &st);
	assert_int_equal(st.match_rank, 1);
	/* clearing keeps the position */
	logview_resize(lv, 3, 60);
	logview_goto_line(lv, 49);
	logview_filter_clear(lv);
	logview_render(lv, &rows);
	assert_int_equal(rows[0].line, 49);
	assert_int_equal(rows[1].line, 50);
	assert_int_equal(logview_filter(lv, "[", 0, &e), -1);
	logview_free(lv);
	logstore_unref(ls);
}

static void test_error_lines(void **state)
{
	struct logstore *ls = s_log("errors");
	s_lines(ls, 0, 20);
	s_append(ls, "gcc: error: no such file\n"); /* 20 */
	s_lines(ls, 21, 30);
	s_append(ls, "warning: unused variable\n"); /* 30 */
	s_lines(ls, 31, 40);
	s_append(ls, "\x1b[31mFATAL\x1b[0m: it broke\n"); /* 40 */
	s_lines(ls, 41, 200);
	struct logview *lv = s_view(ls, 9, 60);
	char note[256];
	logview_error_first(lv);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 20), 3);
	assert_int_equal(logview_take_note(lv, note, sizeof(note)), LOGVIEW_NOTE_INFO);
	assert_string_equal(note, "error line 21");
	const struct logview_row *rows;
	logview_render(lv, &rows);
	/* styled: the error line as an error, its error word current, the
	 * warning line as a warning */
	assert_int_equal(s_span(rows, 3, "gcc: ")->style.elem, CELL_LOG_ERROR);
	assert_int_equal(s_span(rows, 3, "error")->style.elem, CELL_SEARCH_CURRENT);
	logview_error_next(lv);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 40), 3);
	logview_render(lv, &rows);
	assert_int_equal(s_span(rows, 3, ": it broke")->style.elem, CELL_LOG_ERROR);
	assert_int_equal(s_span(rows, 0, "line 37")->style.elem, CELL_LOG_TEXT);
	logview_scroll(lv, -10);
	logview_render(lv, &rows);
	assert_int_equal(rows[3].line, 30);
	assert_int_equal(s_span(rows, 3, "warning")->style.elem, CELL_LOG_WARN);
	logview_scroll(lv, 10);
	logview_error_next(lv);
	s_work_all(lv, NULL);
	assert_int_equal(logview_take_note(lv, note, sizeof(note)), LOGVIEW_NOTE_INFO);
	assert_string_equal(note, "no further error line");
	logview_error_prev(lv);
	s_work_all(lv, NULL);
	assert_int_equal(s_row_of(lv, 20), 3);
	logview_free(lv);
	logstore_unref(ls);
}

static void test_line_styles(void **state)
{
	struct logstore *ls = s_log("styles");
	s_append(ls, "main.c:3: error: x\nwarning: y\nBuild done: 0 errors, 2 warnings\n"
		     "\x1b[1;31mred\x1b[0m text\nPANIC now\n");
	struct logview *lv = s_view(ls, 5, 60);
	const struct logview_row *rows;
	logview_render(lv, &rows);
	assert_int_equal(rows[0].spans[0].style.elem, CELL_LOG_ERROR);
	assert_int_equal(rows[1].spans[0].style.elem, CELL_LOG_WARN);
	assert_int_equal(rows[2].spans[0].style.elem, CELL_LOG_TEXT);
	/* SGR colours stay on top of the line's element */
	const struct cell_span *s = s_span(rows, 3, "red");
	assert_int_equal(s->style.elem, CELL_LOG_TEXT);
	assert_int_equal(s->style.attrs, CELL_BOLD);
	assert_int_equal(s->style.fg.kind, CELL_COLOR_256);
	assert_int_equal(s->style.fg.index, 1);
	assert_int_equal(s_span(rows, 3, " text")->style.fg.kind, CELL_COLOR_NONE);
	assert_int_equal(rows[4].spans[0].style.elem, CELL_LOG_ERROR);
	logview_free(lv);
	logstore_unref(ls);
}

/* --- safety, save, replacement ---------------------------------------------------------- */

static void test_hostile_log(void **state)
{
	struct logstore *ls = s_log("hostile");
	s_append(ls, "\x1b]0;pwned\x07\x1b]52;c;SGVsbG8=\x07\x1b[2J\x1b[H\x1bP1$r\x1b\\\n");
	s_append(ls, "\x1b[31mred\x1b[0m \x9b"
		     "31m \xc2\x9b"
		     "2J \x1b_apc\x1b\\ \x07\x08\x7f\r\n");
	s_append(ls, "\xe2\x80\xae"
		     "rtl \xff\xfe bad utf8\r\n");
	struct logview *lv = s_view(ls, 5, 200);
	logview_set_line_numbers(lv, true);
	logview_set_timestamps(lv, LOGVIEW_TS_UTC);
	const struct logview_row *rows;
	size_t n = logview_render(lv, &rows);
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0; i < rows[r].nspans; i++) {
			const unsigned char *t = (const unsigned char *)rows[r].spans[i].text;
			for (size_t k = 0; k < rows[r].spans[i].len; k++) {
				assert_true(t[k] >= 0x20 && t[k] != 0x7f);
				/* C1 as UTF-8 (C2 80-9F) */
				if (t[k] == 0xc2 && k + 1 < rows[r].spans[i].len)
					assert_false(t[k + 1] >= 0x80 && t[k + 1] < 0xa0);
			}
		}
	assert_non_null(
	    strstr(s_row(rows, 0), "^[]0;pwned^G^[]52;c;SGVsbG8=^G^[[2J^[[H^[P1$r^[\\"));
	assert_non_null(strstr(s_row(rows, 1), "red \\x9b31m <U+009B>2J ^[_apc^[\\ ^G^H^?"));
	assert_non_null(strstr(s_row(rows, 2), "<U+202E>rtl \\xff\\xfe bad utf8"));
	logview_free(lv);
	logstore_unref(ls);
}

static void test_save_byte_exact(void **state)
{
	struct logstore *ls = s_log("save");
	size_t total = 3u << 20;
	char *data = malloc(total);
	uint32_t x = 12345;
	for (size_t i = 0; i < total; i++) {
		x = x * 1103515245 + 12345;
		data[i] = (char)(x >> 16);
		if (i % 97 == 0)
			data[i] = '\n';
		if (i % 211 == 0)
			data[i] = '\r';
	}
	data[total - 1] = 'z'; /* a final partial line */
	s_append_ms(ls, data, total, LOGSTORE_NOW);
	struct logview *lv = s_view(ls, 5, 80);
	char path[600];
	snprintf(path, sizeof(path), "%s.saved", s_path);
	unlink(path);
	struct err e;
	assert_int_equal(logview_save(lv, path, &e), 0);
	assert_int_equal(logview_save(lv, path, &e), -1); /* one at a time */
	struct logview_status st;
	logview_status_get(lv, &st);
	assert_true(st.saving);
	unsigned calls = 0;
	while (logview_busy(lv)) {
		logview_work(lv, 200);
		calls++;
	}
	char note[700];
	assert_int_equal(logview_take_note(lv, note, sizeof(note)), LOGVIEW_NOTE_INFO);
	char want[700];
	snprintf(want, sizeof(want), "saved %zu bytes to %s", total, path);
	assert_string_equal(note, want);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *back = malloc(total + 1);
	assert_int_equal(fread(back, 1, total + 1, f), total);
	fclose(f);
	assert_memory_equal(back, data, total);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	unlink(path);
	/* an unwritable place: an error, no partial file */
	assert_int_equal(logview_save(lv, "/nonexistent-dir/x.log", &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent-dir/x.log"));
	free(back);
	free(data);
	logview_free(lv);
	logstore_unref(ls);
	(void)calls;
}

static void test_replace_log(void **state)
{
	struct logstore *a = s_log("a");
	s_lines(a, 0, 100);
	struct logview *lv = s_view(a, 5, 40);
	struct err e;
	logview_goto_line(lv, 40);
	assert_int_equal(logview_search(lv, "line 7", 1, &e), 0);
	s_work_all(lv, NULL);
	struct logstore *b = s_log("b");
	s_lines(b, 0, 100);
	logview_set_log(lv, b);
	assert_ptr_equal(logview_log(lv), b);
	logview_update(lv);
	s_work_all(lv, NULL);
	struct logview_status st;
	logview_status_get(lv, &st);
	assert_int_equal(st.match_total, 11); /* line 7, 70-79 */
	assert_int_equal(st.top_line, 70 - 5 / 3);
	logview_set_log(lv, NULL);
	assert_string_equal(s_render_row(lv, 0), "(no log yet: the build is queued)");
	logview_free(lv);
	logstore_unref(a);
	logstore_unref(b);
}

/* --- cost -------------------------------------------------------------------------------- */

static void test_render_cost(void **state)
{
	struct logstore *ls = s_million(10, 20, 30);
	struct logview *lv = s_view(ls, 50, 200);
	logview_set_line_numbers(lv, true);
	const struct logview_row *rows;
	int64_t t0 = search_now_ns();
	for (int i = 0; i < 1000; i++)
		logview_render(lv, &rows);
	int64_t t1 = search_now_ns();
	logview_goto_line(lv, 500000);
	struct err e;
	assert_int_equal(logview_search(lv, "filler", 1, &e), 0);
	s_work_all(lv, NULL);
	int64_t t2 = search_now_ns();
	for (int i = 0; i < 1000; i++)
		logview_render(lv, &rows);
	int64_t t3 = search_now_ns();
	logview_set_wrap(lv, true);
	int64_t t4 = search_now_ns();
	for (int i = 0; i < 1000; i++)
		logview_render(lv, &rows);
	int64_t t5 = search_now_ns();
	print_message("render 200x50 of a 1M-line log: %.1f us following, %.1f us with every "
		      "line highlighted, %.1f us wrapped\n",
		      (t1 - t0) / 1000 / 1e3, (t3 - t2) / 1000 / 1e3, (t5 - t4) / 1000 / 1e3);
	/* microseconds, not milliseconds; generous for sanitizer builds */
	assert_true((t1 - t0) / 1000 < 2000000);
	assert_true((t3 - t2) / 1000 < 2000000);
	logview_free(lv);
	logstore_unref(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_log),
	    cmocka_unit_test(test_follow_pause_resume),
	    cmocka_unit_test(test_partial_line_grows),
	    cmocka_unit_test(test_wrap_and_hscroll),
	    cmocka_unit_test(test_wrap_moves_consistent),
	    cmocka_unit_test(test_wrap_huge_line),
	    cmocka_unit_test(test_gutter),
	    cmocka_unit_test(test_search_million),
	    cmocka_unit_test(test_counter_grows),
	    cmocka_unit_test(test_filter),
	    cmocka_unit_test(test_error_lines),
	    cmocka_unit_test(test_line_styles),
	    cmocka_unit_test(test_hostile_log),
	    cmocka_unit_test(test_save_byte_exact),
	    cmocka_unit_test(test_replace_log),
	    cmocka_unit_test(test_render_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
