/* Unit tests for draw: spans drawn into ncurses windows of a real screen
 * (newterm on /dev/null, so no terminal is needed), read back cell by cell:
 * UTF-8 and wide characters, control bytes refused, clipping, horizontal
 * scroll, theme attributes and colour pairs, SGR colours mapped down, the
 * pair cache under pressure and across theme switches, NO_COLOR, TERM=dumb,
 * 8 colours, boxes, progress bars and status lines. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include <cmocka.h>

#include "draw.h"
#include "utf8.h"

#define SHIPPED AFTOMATO_SOURCE_DIR "/themes"
static const char *const s_dirs[] = {SHIPPED, NULL};

struct s_term {
	SCREEN *scr;
	FILE *out, *in;
};

static void s_term_start(struct s_term *t, const char *type)
{
	t->out = fopen("/dev/null", "w");
	t->in = fopen("/dev/null", "r");
	assert_non_null(t->out);
	assert_non_null(t->in);
	t->scr = newterm(type, t->out, t->in);
	assert_non_null(t->scr);
	set_term(t->scr);
}

static void s_term_stop(struct s_term *t)
{
	endwin();
	delscreen(t->scr);
	fclose(t->out);
	fclose(t->in);
}

static struct theme *s_theme(const char *name)
{
	struct theme *t = NULL;
	struct err e = {0};
	if (theme_load(name, s_dirs, &t, &e) < 0)
		fail_msg("%s", e.msg);
	return t;
}

struct s_cell {
	wchar_t wc;
	attr_t attrs;
	int pair;
};

static struct s_cell s_at(WINDOW *w, int y, int x)
{
	cchar_t cc;
	struct s_cell c = {0};
	wchar_t wch[CCHARW_MAX + 1] = {0};
	short sp = 0;
	assert_int_equal(mvwin_wch(w, y, x, &cc), OK);
	getcchar(&cc, wch, &c.attrs, &sp, &c.pair);
	c.wc = wch[0];
	c.attrs &= ~A_COLOR;
	return c;
}

/* The text of row y from x over n columns (a wide character once). */
static void s_row(WINDOW *w, int y, int x, int n, wchar_t *out)
{
	int k = 0;
	for (int col = x; col < x + n; col++) {
		wchar_t wc = s_at(w, y, col).wc;
		out[k++] = wc;
		if (wcwidth(wc) == 2)
			col++;
	}
	out[k] = 0;
}

static void s_row_is(WINDOW *w, int y, int x, int n, const wchar_t *want)
{
	wchar_t got[512];
	s_row(w, y, x, n, got);
	if (wcscmp(got, want) != 0)
		fail_msg("row %d: got \"%ls\", want \"%ls\"", y, got, want);
}

static void s_dots(WINDOW *w)
{
	for (int y = 0; y < getmaxy(w); y++)
		mvwhline(w, y, 0, '.', getmaxx(w));
}

static struct cell_span s_span(const char *text, enum cell_elem e)
{
	struct cell_span s = {.text = text, .len = strlen(text), .style = {.elem = (uint16_t)e}};
	return s;
}

static void s_pair_is(int pair, int fg, int bg)
{
	int f = -5, b = -5;
	assert_int_equal(extended_pair_content(pair, &f, &b), OK);
	if (f != fg || b != bg)
		fail_msg("pair %d is %d/%d, want %d/%d", pair, f, b, fg, bg);
}

/* ---- Text ---------------------------------------------------------------- */

static void test_text(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw *d = draw_new(th, NULL);
	WINDOW *w = newpad(4, 40);
	s_dots(w);

	struct cell_span sp[2] = {s_span("h\xc3\xa9llo ", CELL_NORMAL),
				  s_span("\xe4\xb8\x96\xe7\x95\x8c!", CELL_LOG_TEXT)};
	assert_int_equal(draw_spans(d, w, 0, 1, 30, 0, sp, 2), 11);
	s_row_is(w, 0, 0, 14, L".h\u00e9llo \u4e16\u754c!..");

	/* control bytes, C1 controls, invalid UTF-8 and a stray escape: all '?' */
	struct cell_span bad = s_span("a\x1b]52;c\x07z\xc2\x9b"
				      "b\xff\xc3(\xed\xa0\x80"
				      "c",
				      CELL_NORMAL);
	int cols = draw_spans(d, w, 1, 0, 40, 0, &bad, 1);
	s_row_is(w, 1, 0, cols + 1,
		 L"a?]52;c?z?b?"
		 L"?(???c.");
	assert_int_equal(utf8_width(bad.text, bad.len), cols);

	/* combining marks stay on their character */
	struct cell_span comb = s_span("e\xcc\x81x", CELL_NORMAL);
	assert_int_equal(draw_spans(d, w, 2, 0, 10, 0, &comb, 1), 2);
	cchar_t cc;
	wchar_t wch[CCHARW_MAX + 1] = {0};
	attr_t a;
	short p;
	mvwin_wch(w, 2, 0, &cc);
	getcchar(&cc, wch, &a, &p, NULL);
	assert_true(wch[0] == L'e' && wch[1] == 0x301);
	assert_int_equal(s_at(w, 2, 1).wc, L'x');

	assert_int_equal(utf8_width("h\xc3\xa9\xe4\xb8\x96", 6), 4);
	assert_int_equal(utf8_fit("h\xc3\xa9\xe4\xb8\x96z", 7, 3), 3);
	assert_int_equal(utf8_fit("h\xc3\xa9\xe4\xb8\x96z", 7, 4), 6);
	assert_int_equal(utf8_fit("abc", 3, 0), 0);

	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

static void test_clip_and_scroll(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw *d = draw_new(th, NULL);
	WINDOW *w = newpad(6, 20);
	s_dots(w);
	struct cell_span sp[2] = {s_span("abcdef", CELL_NORMAL), s_span("ghij", CELL_DIM)};

	assert_int_equal(draw_spans(d, w, 0, 2, 5, 0, sp, 2), 5);
	s_row_is(w, 0, 0, 9, L"..abcde..");
	assert_int_equal(draw_spans(d, w, 1, 0, 6, 4, sp, 2), 6); /* scrolled 4 */
	s_row_is(w, 1, 0, 8, L"efghij..");
	assert_int_equal(draw_spans(d, w, 2, 0, 6, 9, sp, 2), 1);
	s_row_is(w, 2, 0, 3, L"j..");

	/* a wide character cut by either edge becomes a space */
	struct cell_span wide = s_span("\xe4\xb8\x96\xe7\x95\x8c\xe4\xb8\x96", CELL_NORMAL);
	assert_int_equal(draw_spans(d, w, 3, 0, 6, 1, &wide, 1), 5);
	s_row_is(w, 3, 0, 6, L" \u754c\u4e16.");
	assert_int_equal(draw_spans(d, w, 4, 0, 3, 0, &wide, 1), 3);
	s_row_is(w, 4, 0, 4, L"\u4e16 .");

	/* never past the window: a width beyond the edge is clipped */
	assert_int_equal(draw_spans(d, w, 5, 17, 10, 0, sp, 2), 3);
	s_row_is(w, 5, 15, 5, L"..abc");
	assert_int_equal(draw_spans(d, w, 6, 0, 10, 0, sp, 2), 0);
	assert_int_equal(draw_spans(d, w, 0, 25, 10, 0, sp, 2), 0);

	/* draw_line fills the rest in the fill element */
	draw_line(d, w, 0, 0, 8, 0, sp, 1, CELL_SELECTED);
	s_row_is(w, 0, 0, 10, L"abcdef  ..");
	attr_t a;
	int pair;
	struct cell_style sel = {.elem = CELL_SELECTED};
	draw_style_attr(d, &sel, &a, &pair);
	assert_int_equal(s_at(w, 0, 7).pair, pair);
	assert_true(s_at(w, 0, 7).attrs & A_BOLD);

	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

/* ---- Colours -------------------------------------------------------------- */

static void test_theme_attrs(void **state)
{
	unsetenv("NO_COLOR");
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw *d = draw_new(th, NULL);
	assert_int_equal(draw_caps(d)->depth, THEME_DEPTH_256);
	assert_true(draw_caps(d)->default_colors);
	WINDOW *w = newpad(2, 40);

	for (int e = 0; e < CELL_ELEM_COUNT; e++) {
		struct cell_span sp = s_span("x", (enum cell_elem)e);
		draw_spans(d, w, 0, e, 1, 0, &sp, 1);
		const struct theme_term_style *st = draw_elem_style(d, e);
		struct s_cell c = s_at(w, 0, e);
		if (st->fg < 0 && st->bg < 0)
			assert_int_equal(c.pair, 0);
		else
			s_pair_is(c.pair, st->fg, st->bg);
		assert_int_equal(!!(c.attrs & A_BOLD), !!(st->attrs & CELL_BOLD));
		assert_int_equal(!!(c.attrs & A_UNDERLINE), !!(st->attrs & CELL_UNDERLINE));
		assert_int_equal(!!(c.attrs & A_REVERSE), !!(st->attrs & CELL_REVERSE));
	}
	/* default.yaml: selected is white on #005f87, bold */
	const struct theme_term_style *sel = draw_elem_style(d, CELL_SELECTED);
	assert_int_equal(sel->fg, 231);
	assert_int_equal(sel->bg, 24);

	/* a log's SGR colours and attributes on top of the element */
	struct cell_span sgr = s_span("red", CELL_LOG_TEXT);
	sgr.style.fg = (struct cell_color){.kind = CELL_COLOR_RGB, .r = 255, .g = 0, .b = 0};
	sgr.style.bg = (struct cell_color){.kind = CELL_COLOR_256, .index = 21};
	sgr.style.attrs = CELL_UNDERLINE;
	draw_spans(d, w, 1, 0, 3, 0, &sgr, 1);
	struct s_cell c = s_at(w, 1, 0);
	s_pair_is(c.pair, 196, 21);
	assert_true(c.attrs & A_UNDERLINE);
	/* only fg overridden: bg stays the element's */
	struct cell_span fgonly = s_span("g", CELL_SELECTED);
	fgonly.style.fg = (struct cell_color){.kind = CELL_COLOR_256, .index = 2};
	draw_spans(d, w, 1, 5, 1, 0, &fgonly, 1);
	s_pair_is(s_at(w, 1, 5).pair, 2, 24);

	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

static void test_eight_colors(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm");
	struct theme *th = s_theme("default");
	struct draw *d = draw_new(th, NULL);
	assert_int_equal(draw_caps(d)->depth, THEME_DEPTH_8);
	assert_true(draw_pairs_max(d) <= 63);
	WINDOW *w = newpad(1, 10);
	struct cell_span sp = s_span("o", CELL_LOG_TEXT);
	sp.style.fg = (struct cell_color){.kind = CELL_COLOR_RGB, .r = 255, .g = 135, .b = 0};
	draw_spans(d, w, 0, 0, 1, 0, &sp, 1);
	struct s_cell c = s_at(w, 0, 0);
	s_pair_is(c.pair, 3, -1);
	assert_true(c.attrs & A_BOLD); /* bright yellow → yellow + bold */
	sp.style.fg = (struct cell_color){.kind = CELL_COLOR_256, .index = 4};
	draw_spans(d, w, 0, 1, 1, 0, &sp, 1);
	s_pair_is(s_at(w, 0, 1).pair, 4, -1);
	assert_false(s_at(w, 0, 1).attrs & A_BOLD);
	for (int e = 0; e < CELL_ELEM_COUNT; e++) {
		const struct theme_term_style *st = draw_elem_style(d, e);
		assert_true(st->fg < 8 && st->bg < 8);
	}
	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

static void s_mono_checks(const char *type, bool no_color)
{
	if (no_color)
		setenv("NO_COLOR", "", 1);
	struct s_term tm;
	s_term_start(&tm, type);
	struct theme *th = s_theme("default");
	struct draw *d = draw_new(th, NULL);
	assert_int_equal(draw_caps(d)->depth, THEME_DEPTH_MONO);
	assert_int_equal(draw_pairs_max(d), 0);
	assert_int_equal(draw_pairs_used(d), 0);
	WINDOW *w = newpad(1, 10);
	struct cell_span sp[3] = {s_span("s", CELL_SELECTED), s_span("f", CELL_BUILD_FAILED),
				  s_span("l", CELL_LOG_TEXT)};
	sp[2].style.fg = (struct cell_color){.kind = CELL_COLOR_256, .index = 1};
	sp[2].style.attrs = CELL_BOLD;
	draw_spans(d, w, 0, 0, 3, 0, sp, 3);
	struct s_cell s = s_at(w, 0, 0), f = s_at(w, 0, 1), l = s_at(w, 0, 2);
	assert_int_equal(s.pair, 0);
	assert_int_equal(f.pair, 0);
	assert_int_equal(l.pair, 0);
	assert_true(s.attrs & A_REVERSE); /* default.yaml: selected mono: reverse */
	assert_true((f.attrs & A_BOLD) && (f.attrs & A_REVERSE));
	assert_true(l.attrs & A_BOLD); /* the log's bold is kept, its colour is not */
	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
	unsetenv("NO_COLOR");
}

static void test_no_color_and_dumb(void **state)
{
	s_mono_checks("xterm-256color", true);
	s_mono_checks("dumb", false);
	s_mono_checks("vt100", false);
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw_opts o = {.force_no_color = 1};
	struct draw *d = draw_new(th, &o);
	assert_int_equal(draw_caps(d)->depth, THEME_DEPTH_MONO);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

/* ---- The pair cache --------------------------------------------------------- */

static void test_pairs_under_pressure(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw_opts o = {.max_pairs = 48};
	struct draw *d = draw_new(th, &o);
	assert_int_equal(draw_pairs_max(d), 47);
	int pinned = draw_pairs_used(d);
	assert_true(pinned > 5 && pinned < 40);
	WINDOW *w = newpad(2, 80);

	/* 300 frames of 12 log colours each, 240 distinct colours in all */
	for (int f = 0; f < 300; f++) {
		draw_frame_begin(d);
		struct cell_span sp[12];
		int want[12];
		for (int k = 0; k < 12; k++) {
			want[k] = 16 + (f * 12 + k) % 240;
			sp[k] = s_span("x", CELL_LOG_TEXT);
			sp[k].style.fg =
			    (struct cell_color){.kind = CELL_COLOR_256, .index = (uint8_t)want[k]};
		}
		draw_spans(d, w, 0, 0, 12, 0, sp, 12);
		for (int k = 0; k < 12; k++) /* nothing drawn in this frame recoloured */
			s_pair_is(s_at(w, 0, k).pair, want[k], -1);
		assert_true(draw_pairs_used(d) <= 47);
	}
	/* the elements' pairs were never taken */
	for (int e = 0; e < CELL_ELEM_COUNT; e++) {
		attr_t a;
		int pair;
		struct cell_style st = {.elem = (uint16_t)e};
		draw_style_attr(d, &st, &a, &pair);
		const struct theme_term_style *ts = draw_elem_style(d, e);
		if (pair)
			s_pair_is(pair, ts->fg, ts->bg);
	}

	/* one frame wanting more pairs than there are: the first ones keep their
	 * colours, the rest fall back to the element's */
	draw_frame_begin(d);
	struct cell_span many[60];
	for (int k = 0; k < 60; k++) {
		many[k] = s_span("y", CELL_LOG_TEXT);
		many[k].style.bg =
		    (struct cell_color){.kind = CELL_COLOR_256, .index = (uint8_t)(100 + k)};
	}
	draw_spans(d, w, 1, 0, 60, 0, many, 60);
	int kept = 0;
	for (int k = 0; k < 60; k++) {
		struct s_cell c = s_at(w, 1, k);
		if (c.pair == 0) /* log.text has the terminal's colours: pair 0 */
			continue;
		s_pair_is(c.pair, -1, 100 + k);
		kept++;
	}
	assert_int_equal(kept, 47 - pinned);
	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

/* The pair given up is the least recently used one. */
static void test_pairs_lru_order(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw_opts o = {.max_pairs = 40};
	struct draw *d = draw_new(th, &o);
	int free_pairs = draw_pairs_max(d) - draw_pairs_used(d);
	assert_true(free_pairs >= 3);
	WINDOW *w = newpad(1, 80);
	attr_t a;
	int first[64];
	/* frame 1 fills every free pair with colours 16, 17, ... */
	draw_frame_begin(d);
	for (int k = 0; k < free_pairs; k++) {
		struct cell_style st = {.elem = CELL_LOG_TEXT,
					.fg = {.kind = CELL_COLOR_256, .index = (uint8_t)(16 + k)}};
		draw_style_attr(d, &st, &a, &first[k]);
	}
	assert_int_equal(draw_pairs_used(d), draw_pairs_max(d));
	/* frame 2 uses colour 16 again; frame 3 asks for two new colours: they
	 * take the pairs of 17 and 18 (the least recently used), not 16's */
	draw_frame_begin(d);
	int again;
	struct cell_style st16 = {.elem = CELL_LOG_TEXT,
				  .fg = {.kind = CELL_COLOR_256, .index = 16}};
	draw_style_attr(d, &st16, &a, &again);
	assert_int_equal(again, first[0]);
	draw_frame_begin(d);
	int got[2];
	for (int k = 0; k < 2; k++) {
		struct cell_style st = {
		    .elem = CELL_LOG_TEXT,
		    .fg = {.kind = CELL_COLOR_256, .index = (uint8_t)(200 + k)}};
		draw_style_attr(d, &st, &a, &got[k]);
	}
	assert_int_equal(got[0], first[1]);
	assert_int_equal(got[1], first[2]);
	s_pair_is(first[0], 16, -1);
	s_pair_is(got[0], 200, -1);
	s_pair_is(first[3], 19, -1);
	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

static void test_theme_switch_no_leak(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *a = s_theme("default"), *b = s_theme("light"), *c = s_theme("high-contrast");
	struct draw *d = draw_new(a, NULL);
	int first = draw_pairs_used(d);
	WINDOW *w = newpad(1, 40);
	for (int i = 0; i < 300; i++) {
		const struct theme *t = i % 3 == 0 ? b : i % 3 == 1 ? c : a;
		draw_set_theme(d, t);
		assert_true(draw_pairs_used(d) <= CELL_ELEM_COUNT);
		draw_frame_begin(d);
		struct cell_span sp = s_span("z", CELL_LOG_TEXT);
		sp.style.fg =
		    (struct cell_color){.kind = CELL_COLOR_RGB, .r = (uint8_t)i, .g = 7, .b = 9};
		draw_spans(d, w, 0, 0, 1, 0, &sp, 1);
		struct theme_term_style want[CELL_ELEM_COUNT];
		theme_resolve(t, draw_caps(d), want);
		for (int e = 0; e < CELL_ELEM_COUNT; e++) {
			const struct theme_term_style *st = draw_elem_style(d, e);
			assert_int_equal(st->fg, want[e].fg);
			assert_int_equal(st->bg, want[e].bg);
		}
	}
	draw_set_theme(d, a);
	assert_int_equal(draw_pairs_used(d), first);
	delwin(w);
	draw_free(d);
	theme_free(a);
	theme_free(b);
	theme_free(c);
	s_term_stop(&tm);
}

/* ---- Boxes, bars, status ------------------------------------------------------ */

static void test_box_progress_status(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw *d = draw_new(th, NULL);
	WINDOW *w = newpad(9, 30);
	s_dots(w);

	draw_box(d, w, 0, 0, 4, 12, "Builds of demo/hello", true);
	struct s_cell corner = s_at(w, 0, 0), side = s_at(w, 1, 0), inside = s_at(w, 1, 1);
	assert_int_equal(inside.wc, L'.');
	assert_int_not_equal(corner.wc, L'.');
	assert_int_not_equal(side.wc, L'.');
	s_row_is(w, 0, 2, 8, L" Builds "); /* title clipped to the box */
	const struct theme_term_style *tf = draw_elem_style(d, CELL_TITLE_FOCUSED);
	s_pair_is(s_at(w, 0, 3).pair, tf->fg, tf->bg);
	assert_int_not_equal(s_at(w, 0, 10).wc, L'.');
	assert_int_equal(s_at(w, 0, 12).wc, L'.');
	assert_int_not_equal(s_at(w, 3, 11).wc, L'.');
	const struct theme_term_style *bf = draw_elem_style(d, CELL_BORDER_FOCUSED);
	s_pair_is(s_at(w, 2, 11).pair, bf->fg, bf->bg);

	draw_progress(d, w, 4, 0, 20, 50, 100, "5 B");
	s_row_is(w, 4, 0, 21, L"      5 B  50%      .");
	attr_t pa;
	int ppair;
	struct cell_style ps = {.elem = CELL_PROGRESS};
	draw_style_attr(d, &ps, &pa, &ppair);
	for (int x = 0; x < 20; x++)
		assert_true((s_at(w, 4, x).pair == ppair) == (x < 10));
	draw_progress(d, w, 5, 0, 10, 7, 0, "7 B");
	s_row_is(w, 5, 0, 11, L"   7 B    .");
	assert_int_not_equal(s_at(w, 5, 0).pair, ppair);

	draw_status(d, w, 6, 0, 20, CELL_STATUS_BAR, "profile local", "2 running");
	s_row_is(w, 6, 0, 21, L"profile l\u2026 2 running.");
	draw_status(d, w, 7, 0, 24, CELL_STATUS_BAR, "left", "right");
	s_row_is(w, 7, 0, 25, L"left               right.");
	draw_status(d, w, 8, 0, 12, CELL_STATUS_BAR, "profile local", "2 running");
	s_row_is(w, 8, 0, 13, L"p\u2026 2 running.");

	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

/* Not a benchmark (tests/bench has those): prints what drawing a full
 * 200x50 screen of coloured log spans costs, as a sanity check. */
static void test_full_screen_cost(void **state)
{
	struct s_term tm;
	s_term_start(&tm, "xterm-256color");
	struct theme *th = s_theme("default");
	struct draw *d = draw_new(th, NULL);
	WINDOW *w = newpad(50, 200);
	char line[256];
	for (size_t i = 0; i < sizeof(line); i++)
		line[i] = (char)('a' + i % 26);
	struct cell_span sp[8];
	for (int k = 0; k < 8; k++) {
		sp[k] = s_span("", k % 2 ? CELL_LOG_TEXT : CELL_LOG_TIMESTAMP);
		sp[k].text = line + k * 25;
		sp[k].len = 25;
		if (k % 3 == 0)
			sp[k].style.fg =
			    (struct cell_color){.kind = CELL_COLOR_256, .index = (uint8_t)(k + 1)};
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int rep = 0; rep < 100; rep++) {
		draw_frame_begin(d);
		for (int y = 0; y < 50; y++)
			draw_line(d, w, y, 0, 200, 0, sp, 8, CELL_LOG_TEXT);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us =
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / 100;
	print_message("draw: 200x50 screen of log spans in %.0f us\n", us);
	s_row_is(w, 49, 0, 3, L"abc");
	delwin(w);
	draw_free(d);
	theme_free(th);
	s_term_stop(&tm);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	unsetenv("NO_COLOR");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_clip_and_scroll),
	    cmocka_unit_test(test_theme_attrs),
	    cmocka_unit_test(test_eight_colors),
	    cmocka_unit_test(test_no_color_and_dumb),
	    cmocka_unit_test(test_pairs_under_pressure),
	    cmocka_unit_test(test_pairs_lru_order),
	    cmocka_unit_test(test_theme_switch_no_leak),
	    cmocka_unit_test(test_box_progress_status),
	    cmocka_unit_test(test_full_screen_cost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
