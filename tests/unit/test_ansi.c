/* Unit tests of ui/ansi: SGR parsing, inert rendering of every other control,
 * invalid UTF-8, display widths, horizontal scroll, wrap, plain text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ansi.h"

/* --- helpers ----------------------------------------------------------------- */

struct rendered {
	struct ansi_out out;
	char text[65536]; /* all span text concatenated */
	size_t len;
};

static void s_render(struct rendered *r, const char *line, size_t len, uint64_t hscroll,
		     uint32_t width)
{
	ansi_out_init(&r->out);
	ansi_render(line, len, hscroll, width, CELL_LOG_TEXT, NULL, 0, &r->out);
	ansi_out_finish(&r->out);
	assert_false(r->out.failed);
	r->len = 0;
	for (size_t i = 0; i < r->out.nspans; i++) {
		assert_true(r->len + r->out.spans[i].len < sizeof(r->text));
		memcpy(r->text + r->len, r->out.spans[i].text, r->out.spans[i].len);
		r->len += r->out.spans[i].len;
	}
	r->text[r->len] = 0;
}

static void s_done(struct rendered *r)
{
	ansi_out_cleanup(&r->out);
}

/* Renders a NUL-terminated line over 1000 columns. */
static void s_r(struct rendered *r, const char *line)
{
	s_render(r, line, strlen(line), 0, 1000);
}

/* The span containing byte `at` of the concatenated text. */
static const struct cell_span *s_span_at(const struct rendered *r, size_t at)
{
	size_t pos = 0;
	for (size_t i = 0; i < r->out.nspans; i++) {
		if (at < pos + r->out.spans[i].len)
			return &r->out.spans[i];
		pos += r->out.spans[i].len;
	}
	fail_msg("no span at %zu", at);
	return NULL;
}

static const struct cell_span *s_span_of(const struct rendered *r, const char *needle)
{
	const char *p = strstr(r->text, needle);
	if (!p)
		fail_msg("\"%s\" not in \"%s\"", needle, r->text);
	return s_span_at(r, (size_t)(p - r->text));
}

/* Every span is valid UTF-8 with no C0, DEL, C1 or bidi control. */
static void s_assert_safe(const struct rendered *r)
{
	for (size_t i = 0; i < r->out.nspans; i++) {
		const unsigned char *s = (const unsigned char *)r->out.spans[i].text;
		size_t n = r->out.spans[i].len;
		assert_true(n > 0);
		mbstate_t ps;
		memset(&ps, 0, sizeof(ps));
		size_t k = 0;
		while (k < n) {
			wchar_t wc;
			size_t m = mbrtowc(&wc, (const char *)s + k, n - k, &ps);
			if (m == (size_t)-1 || m == (size_t)-2 || m == 0)
				fail_msg("span %zu is not valid UTF-8 at %zu", i, k);
			if (wc < 0x20 || wc == 0x7f || (wc >= 0x80 && wc < 0xa0) ||
			    (wc >= 0x202a && wc <= 0x202e) || (wc >= 0x2066 && wc <= 0x2069))
				fail_msg("span %zu has control U+%04X", i, (unsigned)wc);
			k += m;
		}
	}
}

static void s_assert_all_inert(const struct rendered *r)
{
	for (size_t i = 0; i < r->out.nspans; i++)
		assert_int_equal(r->out.spans[i].style.elem, CELL_LOG_INERT);
}

/* --- SGR -------------------------------------------------------------------- */

static void test_plain_ascii(void **state)
{
	struct rendered r;
	s_r(&r, "hello world");
	assert_string_equal(r.text, "hello world");
	assert_int_equal(r.out.nspans, 1);
	assert_int_equal(r.out.spans[0].style.elem, CELL_LOG_TEXT);
	assert_int_equal(r.out.spans[0].style.attrs, 0);
	assert_int_equal(r.out.spans[0].style.fg.kind, CELL_COLOR_NONE);
	s_done(&r);
}

static void test_sgr_basic(void **state)
{
	struct rendered r;
	s_r(&r, "\x1b[1;31mred\x1b[0m plain \x1b[2;3;4;7mfancy\x1b[22;23;24;27mnone");
	assert_string_equal(r.text, "red plain fancynone");
	const struct cell_span *s = s_span_of(&r, "red");
	assert_int_equal(s->len, 3);
	assert_int_equal(s->style.attrs, CELL_BOLD);
	assert_int_equal(s->style.fg.kind, CELL_COLOR_256);
	assert_int_equal(s->style.fg.index, 1);
	s = s_span_of(&r, " plain");
	assert_int_equal(s->style.attrs, 0);
	assert_int_equal(s->style.fg.kind, CELL_COLOR_NONE);
	s = s_span_of(&r, "fancy");
	assert_int_equal(s->style.attrs,
			 CELL_DIM_ATTR | CELL_ITALIC | CELL_UNDERLINE | CELL_REVERSE);
	s = s_span_of(&r, "none");
	assert_int_equal(s->style.attrs, 0);
	s_done(&r);
}

static void test_sgr_colours(void **state)
{
	struct rendered r;
	s_r(&r, "\x1b[32;44mA\x1b[91;103mB\x1b[38;5;208mC\x1b[48;5;21mD"
		"\x1b[38;2;10;20;30mE\x1b[48;2;200;100;50mF\x1b[39mG\x1b[49mH");
	assert_string_equal(r.text, "ABCDEFGH");
	const struct cell_span *s = s_span_of(&r, "A");
	assert_int_equal(s->style.fg.index, 2);
	assert_int_equal(s->style.bg.kind, CELL_COLOR_256);
	assert_int_equal(s->style.bg.index, 4);
	s = s_span_of(&r, "B");
	assert_int_equal(s->style.fg.index, 9);
	assert_int_equal(s->style.bg.index, 11);
	s = s_span_of(&r, "C");
	assert_int_equal(s->style.fg.kind, CELL_COLOR_256);
	assert_int_equal(s->style.fg.index, 208);
	s = s_span_of(&r, "D");
	assert_int_equal(s->style.fg.index, 208);
	assert_int_equal(s->style.bg.index, 21);
	s = s_span_of(&r, "E");
	assert_int_equal(s->style.fg.kind, CELL_COLOR_RGB);
	assert_int_equal(s->style.fg.r, 10);
	assert_int_equal(s->style.fg.g, 20);
	assert_int_equal(s->style.fg.b, 30);
	s = s_span_of(&r, "F");
	assert_int_equal(s->style.bg.kind, CELL_COLOR_RGB);
	assert_int_equal(s->style.bg.r, 200);
	assert_int_equal(s->style.bg.b, 50);
	s = s_span_of(&r, "G");
	assert_int_equal(s->style.fg.kind, CELL_COLOR_NONE);
	assert_int_equal(s->style.bg.kind, CELL_COLOR_RGB);
	s = s_span_of(&r, "H");
	assert_int_equal(s->style.bg.kind, CELL_COLOR_NONE);
	s_done(&r);
}

static void test_sgr_colon_and_odd_forms(void **state)
{
	struct rendered r;
	/* ITU colon forms with and without colour space; 4:0 underline off;
	 * empty parameters are 0; ESC[m resets; a bad extended colour is
	 * ignored without eating what follows. */
	s_r(&r, "\x1b[38:2::1:2:3mA\x1b[38:2:4:5:6mB\x1b[48:5:99mC\x1b[4mD\x1b[4:0mE"
		"\x1b[1;;4mF\x1b[mG\x1b[38;7;1mH\x1b[38;5mI");
	assert_string_equal(r.text, "ABCDEFGHI");
	const struct cell_span *s = s_span_of(&r, "A");
	assert_int_equal(s->style.fg.kind, CELL_COLOR_RGB);
	assert_int_equal(s->style.fg.r, 1);
	assert_int_equal(s->style.fg.b, 3);
	s = s_span_of(&r, "B");
	assert_int_equal(s->style.fg.r, 4);
	assert_int_equal(s->style.fg.b, 6);
	s = s_span_of(&r, "C");
	assert_int_equal(s->style.bg.kind, CELL_COLOR_256);
	assert_int_equal(s->style.bg.index, 99);
	assert_true(s_span_of(&r, "D")->style.attrs & CELL_UNDERLINE);
	assert_false(s_span_of(&r, "E")->style.attrs & CELL_UNDERLINE);
	/* "1;;4": bold, reset (empty = 0), underline */
	assert_int_equal(s_span_of(&r, "F")->style.attrs, CELL_UNDERLINE);
	s = s_span_of(&r, "G");
	assert_int_equal(s->style.attrs, 0);
	assert_int_equal(s->style.fg.kind, CELL_COLOR_NONE);
	assert_int_equal(s->style.bg.kind, CELL_COLOR_NONE);
	/* 38;7 is not a colour: 7 and 1 still apply (reverse, bold) */
	s = s_span_of(&r, "H");
	assert_int_equal(s->style.attrs, CELL_REVERSE | CELL_BOLD);
	assert_int_equal(s->style.fg.kind, CELL_COLOR_NONE);
	s_done(&r);
}

static void test_sgr_resets_at_line_end(void **state)
{
	struct rendered r;
	s_r(&r, "\x1b[1;31;44mstill open");
	assert_int_equal(s_span_of(&r, "still")->style.attrs, CELL_BOLD);
	s_done(&r);
	/* the next line starts plain: nothing carries over */
	s_r(&r, "next line");
	assert_int_equal(r.out.spans[0].style.attrs, 0);
	assert_int_equal(r.out.spans[0].style.fg.kind, CELL_COLOR_NONE);
	assert_int_equal(r.out.spans[0].style.bg.kind, CELL_COLOR_NONE);
	s_done(&r);
}

/* --- inert controls ---------------------------------------------------------- */

static void s_check_inert(const char *line, size_t len, const char *expect)
{
	struct rendered r;
	s_render(&r, line, len, 0, 1000);
	s_assert_safe(&r);
	if (expect && strcmp(r.text, expect) != 0)
		fail_msg("rendered \"%s\", expected \"%s\"", r.text, expect);
	s_done(&r);
}

static void test_hostile_sequences(void **state)
{
	struct {
		const char *in;
		size_t len; /* 0: strlen */
		const char *out;
	} cases[] = {
	    {"\x1b]0;pwned\x07", 0, "^[]0;pwned^G"},
	    {"\x1b]2;title\x1b\\after", 0, "^[]2;title^[\\after"},
	    {"\x1b]52;c;SGVsbG8=\x07", 0, "^[]52;c;SGVsbG8=^G"},
	    {"\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", 0,
	     "^[]8;;http://evil/^[\\link^[]8;;^[\\"},
	    {"\x1bP1$r0m\x1b\\", 0, "^[P1$r0m^[\\"},
	    {"\x1b_apc\x1b\\", 0, "^[_apc^[\\"},
	    {"\x1b^pm\x1b\\", 0, "^[^pm^[\\"},
	    {"\x1bXsos\x1b\\", 0, "^[Xsos^[\\"},
	    {"\x1b[2J\x1b[H\x1b[10;10Hx", 0, "^[[2J^[[H^[[10;10Hx"},
	    {"\x1b[?1049h\x1b[?25l", 0, "^[[?1049h^[[?25l"},
	    {"\x1b[>4;2m", 0, "^[[>4;2m"}, /* private marker: not SGR */
	    {"\x1b[1 q", 0, "^[[1 q"},	   /* intermediate byte */
	    {"\x1b"
	     "c\x1b(0\x1b"
	     "7",
	     0, "^[c^[(0^[7"},		 /* RIS, charset, DECSC */
	    {"end\x1b", 0, "end^["},	 /* lone ESC */
	    {"\x1b\x1b[31mx", 0, "^[x"}, /* ESC then an SGR */
	    {"a\x07"
	     "b\x08"
	     "c\x00"
	     "d\x7f"
	     "e",
	     9, "a^Gb^Hc^@d^?e"},
	    {"cr\rmid", 0, "cr^Mmid"},
	    {"crlf\r", 0, "crlf"},
	    {"\xc2\x9b"
	     "2J",
	     0, "<U+009B>2J"}, /* 8-bit CSI */
	    {"\xc2\x9d"
	     "0;t\xc2\x9c"
	     "x",
	     0, "<U+009D>0;t<U+009C>x"}, /* 8-bit OSC */
	    {"\xc2\x85"
	     "nel",
	     0, "<U+0085>nel"},
	    {"\x9b"
	     "31m",
	     0, "\\x9b31m"}, /* raw C1 byte */
	    {"rtl\xe2\x80\xae"
	     "evil",
	     0, "rtl<U+202E>evil"},
	    {"\x1b]0;no terminator", 0, "^[]0;no terminator"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		s_check_inert(cases[i].in, cases[i].len ? cases[i].len : strlen(cases[i].in),
			      cases[i].out);
	/* NUL bytes need an explicit length */
	s_check_inert("a\x00"
		      "b",
		      3, "a^@b");

	/* every C0 control but TAB, DEL, every raw byte 0x80-0xff, every
	 * U+0080-U+009F: safe whatever the context */
	char line[4096];
	size_t n = 0;
	for (int c = 0; c < 0x20; c++)
		if (c != '\t')
			line[n++] = (char)c;
	line[n++] = 0x7f;
	for (int c = 0x80; c < 0x100; c++)
		line[n++] = (char)c;
	for (int c = 0x80; c < 0xa0; c++) {
		line[n++] = (char)0xc2;
		line[n++] = (char)c;
	}
	s_check_inert(line, n, NULL);
	/* the same inside an OSC string */
	memmove(line + 4, line, n);
	memcpy(line, "\x1b]0;", 4);
	s_check_inert(line, n + 4, NULL);
}

static void test_inert_styling(void **state)
{
	struct rendered r;
	s_r(&r, "a\x1b]0;title\x07"
		"b\x1b[2Jc");
	assert_string_equal(r.text, "a^[]0;title^Gb^[[2Jc");
	assert_int_equal(s_span_of(&r, "a")->style.elem, CELL_LOG_TEXT);
	const struct cell_span *s = s_span_of(&r, "^[]0;title^G");
	assert_int_equal(s->style.elem, CELL_LOG_INERT);
	assert_int_equal(s->len, strlen("^[]0;title^G"));
	assert_int_equal(s_span_of(&r, "b")->style.elem, CELL_LOG_TEXT);
	s = s_span_of(&r, "^[[2J");
	assert_int_equal(s->style.elem, CELL_LOG_INERT);
	assert_int_equal(s->len, 5);
	assert_int_equal(s_span_of(&r, "c")->style.elem, CELL_LOG_TEXT);
	s_done(&r);

	/* an SGR inside an inert span does not colour the inert text */
	s_r(&r, "\x1b[31m\x1b[5n");
	s_assert_all_inert(&r);
	assert_int_equal(r.out.spans[0].style.fg.kind, CELL_COLOR_NONE);
	s_done(&r);
}

static void test_overlong_csi_is_inert(void **state)
{
	char line[600];
	strcpy(line, "\x1b[");
	for (int i = 0; i < 100; i++)
		strcat(line, "1;");
	strcat(line, "31mtext");
	struct rendered r;
	s_r(&r, line);
	s_assert_safe(&r);
	assert_int_equal(strncmp(r.text, "^[[1;1;", 7), 0);
	assert_int_equal(r.out.spans[0].style.elem, CELL_LOG_INERT);
	/* the colour was not applied */
	const struct cell_span *s = s_span_of(&r, "text");
	assert_int_equal(s->style.fg.kind, CELL_COLOR_NONE);
	s_done(&r);
}

static void test_invalid_utf8(void **state)
{
	struct {
		const char *in, *out;
	} cases[] = {
	    {"a\xff"
	     "b",
	     "a\\xffb"},
	    {"\xc3(", "\\xc3("},
	    {"\xc0\xaf", "\\xc0\\xaf"},				      /* overlong '/' */
	    {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},		      /* overlong */
	    {"\xed\xa0\x80", "\\xed\\xa0\\x80"},		      /* surrogate */
	    {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},	      /* > U+10FFFF */
	    {"\xe2\x82", "\\xe2\\x82"},				      /* truncated at line end */
	    {"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"}, /* valid */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rendered r;
		s_r(&r, cases[i].in);
		s_assert_safe(&r);
		if (strcmp(r.text, cases[i].out) != 0)
			fail_msg("case %zu: \"%s\" != \"%s\"", i, r.text, cases[i].out);
		s_done(&r);
	}
	struct rendered r;
	s_r(&r, "ok\xfe");
	assert_int_equal(s_span_of(&r, "\\xfe")->style.elem, CELL_LOG_INERT);
	assert_int_equal(s_span_of(&r, "ok")->style.elem, CELL_LOG_TEXT);
	s_done(&r);
}

/* --- widths, tabs, horizontal scroll ----------------------------------------- */

static void test_wide_and_combining(void **state)
{
	struct rendered r;
	const char *jp = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"; /* 3 wide chars, 6 columns */
	s_render(&r, jp, strlen(jp), 0, 6);
	assert_string_equal(r.text, jp);
	s_done(&r);
	/* the window cuts the second character: a blank for its visible half */
	s_render(&r, jp, strlen(jp), 0, 3);
	assert_string_equal(r.text, "\xe6\x97\xa5 ");
	s_done(&r);
	/* scrolled by one column: blank, then the rest */
	s_render(&r, jp, strlen(jp), 1, 10);
	assert_string_equal(r.text, " \xe6\x9c\xac\xe8\xaa\x9e");
	s_done(&r);
	s_render(&r, jp, strlen(jp), 2, 10);
	assert_string_equal(r.text, "\xe6\x9c\xac\xe8\xaa\x9e");
	s_done(&r);
	/* combining acute: zero width, kept with its base */
	const char *e = "e\xcc\x81x";
	assert_int_equal(ansi_column_of(e, strlen(e), 3), 1);
	s_render(&r, e, strlen(e), 0, 1);
	assert_string_equal(r.text, "e\xcc\x81");
	s_done(&r);
	s_render(&r, e, strlen(e), 1, 5);
	assert_string_equal(r.text, "x");
	s_done(&r);
	/* many marks on one base: at most ANSI_MAX_MARKS kept */
	char z[256] = "a";
	for (int i = 0; i < 20; i++)
		strcat(z, "\xcc\x81");
	s_render(&r, z, strlen(z), 0, 10);
	assert_int_equal(r.len, 1 + 2 * ANSI_MAX_MARKS);
	s_done(&r);
}

static void test_tabs(void **state)
{
	struct rendered r;
	s_r(&r, "a\tb\t\tc");
	assert_string_equal(r.text, "a       b               c");
	s_done(&r);
	assert_int_equal(ansi_column_of("ab\tc", 4, 3), 8);
	/* a tab cut by the scroll position shows its visible part */
	s_render(&r, "a\tb", 3, 4, 10);
	assert_string_equal(r.text, "    b");
	s_done(&r);
}

static void test_hscroll_with_styles(void **state)
{
	struct rendered r;
	const char *line = "\x1b[31m0123456789\x1b[0mABCDEFGHIJ";
	s_render(&r, line, strlen(line), 5, 10);
	assert_string_equal(r.text, "56789ABCDE");
	assert_int_equal(r.out.nspans, 2);
	assert_int_equal(r.out.spans[0].style.fg.index, 1);
	assert_int_equal(r.out.spans[0].len, 5);
	assert_int_equal(r.out.spans[1].style.fg.kind, CELL_COLOR_NONE);
	s_done(&r);
	/* past the end: nothing */
	s_render(&r, line, strlen(line), 50, 10);
	assert_int_equal(r.len, 0);
	s_done(&r);
	/* scroll into an inert sequence: its visible part */
	s_render(&r, "\x1b[2Jxy", 6, 2, 10);
	assert_string_equal(r.text, "[2Jxy");
	s_done(&r);
}

/* --- marks -------------------------------------------------------------------- */

static void test_marks(void **state)
{
	const char *line = "foo \x1b[1mbar\x1b[0m foo";
	/* raw offsets: "foo" 0-3, "bar" 8-11, last "foo" 16-19 */
	struct ansi_mark marks[] = {
	    {0, 3, CELL_SEARCH_MATCH}, {9, 10, CELL_SEARCH_MATCH}, {16, 19, CELL_SEARCH_CURRENT}};
	struct ansi_out out;
	ansi_out_init(&out);
	ansi_render(line, strlen(line), 0, 80, CELL_LOG_ERROR, marks, 3, &out);
	ansi_out_finish(&out);
	const char *texts[] = {"foo", " ", "b", "a", "r", " ", "foo"};
	uint16_t elems[] = {CELL_SEARCH_MATCH,	CELL_LOG_ERROR, CELL_LOG_ERROR,
			    CELL_SEARCH_MATCH,	CELL_LOG_ERROR, CELL_LOG_ERROR,
			    CELL_SEARCH_CURRENT};
	assert_int_equal(out.nspans, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(out.spans[i].len, strlen(texts[i]));
		assert_memory_equal(out.spans[i].text, texts[i], out.spans[i].len);
		assert_int_equal(out.spans[i].style.elem, elems[i]);
	}
	/* marked text loses the SGR bold; the rest of "bar" keeps it */
	assert_int_equal(out.spans[3].style.attrs, 0);
	assert_int_equal(out.spans[2].style.attrs, CELL_BOLD);
	ansi_out_cleanup(&out);
}

/* --- wrap and checkpoints ------------------------------------------------------ */

struct wrapped {
	struct ansi_out out;
	size_t starts[64];
	uint64_t rows;
};

static void s_wrap(struct wrapped *w, const char *line, uint32_t width, uint64_t first_row,
		   uint64_t nrows)
{
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	ansi_out_init(&w->out);
	f.wrap = true;
	f.width = width;
	f.first_row = first_row;
	f.nrows = nrows;
	f.elem = CELL_LOG_TEXT;
	f.out = &w->out;
	f.row_starts = w->starts;
	ansi_fit_begin(&f);
	struct ansi_state st;
	ansi_state_init(&st);
	struct ansi_src src = {.mem = line, .len = strlen(line)};
	assert_int_equal(ansi_layout(&src, 0, &st, &f, NULL, NULL), 0);
	ansi_out_finish(&w->out);
	w->rows = ansi_fit_rows(&f);
}

/* The text of emitted row i. */
static void s_row_text(const struct wrapped *w, uint64_t nrows_emitted, size_t i, char *buf)
{
	size_t end = i + 1 < nrows_emitted ? w->starts[i + 1] : w->out.nspans;
	size_t n = 0;
	for (size_t k = w->starts[i]; k < end; k++) {
		memcpy(buf + n, w->out.spans[k].text, w->out.spans[k].len);
		n += w->out.spans[k].len;
	}
	buf[n] = 0;
}

static void test_wrap_rows(void **state)
{
	struct wrapped w;
	char buf[256];
	s_wrap(&w, "0123456789abcdefghijKLMNO", 10, 0, 10);
	assert_int_equal(w.rows, 3);
	s_row_text(&w, 3, 0, buf);
	assert_string_equal(buf, "0123456789");
	s_row_text(&w, 3, 1, buf);
	assert_string_equal(buf, "abcdefghij");
	s_row_text(&w, 3, 2, buf);
	assert_string_equal(buf, "KLMNO");
	ansi_out_cleanup(&w.out);
	/* a wide character that does not fit moves to the next row */
	s_wrap(&w, "abc\xe6\x97\xa5\xe6\x9c\xac", 4, 0, 10);
	assert_int_equal(w.rows, 2);
	s_row_text(&w, 2, 0, buf);
	assert_string_equal(buf, "abc");
	s_row_text(&w, 2, 1, buf);
	assert_string_equal(buf, "\xe6\x97\xa5\xe6\x9c\xac");
	ansi_out_cleanup(&w.out);
	/* only rows [1, 2) emitted, a line exactly filling rows has no empty row */
	s_wrap(&w, "aaaabbbbcccc", 4, 1, 1);
	s_row_text(&w, 1, 0, buf);
	assert_string_equal(buf, "bbbb");
	ansi_out_cleanup(&w.out);
	s_wrap(&w, "aaaabbbbcccc", 4, 0, 100);
	assert_int_equal(w.rows, 3);
	ansi_out_cleanup(&w.out);
}

/* A reader over a big in-memory line that counts what it is asked for. */
struct counting_src {
	const char *data;
	uint64_t len;
	uint64_t bytes_read;
};

static int s_count_read(void *arg, uint64_t off, char *buf, size_t cap, size_t *got)
{
	struct counting_src *c = arg;
	size_t n = off >= c->len ? 0 : (c->len - off < cap ? (size_t)(c->len - off) : cap);
	memcpy(buf, c->data + off, n);
	c->bytes_read += n;
	*got = n;
	return 0;
}

static char *s_repeat(const char *unit, size_t total, size_t *len)
{
	size_t u = strlen(unit), n = total / u;
	char *s = malloc(n * u + 64);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	*len = n * u;
	return s;
}

static void test_pathological_line_cost(void **state)
{
	size_t len;
	char *line = s_repeat("\x1b[2J\x1b]0;t\x07", 5u << 20, &len);
	struct counting_src c = {line, len, 0};
	struct ansi_src src = {.len = len, .read = s_count_read, .arg = &c};
	struct ansi_out out;
	ansi_out_init(&out);
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	f.width = 200;
	f.elem = CELL_LOG_TEXT;
	f.out = &out;
	ansi_fit_begin(&f);
	struct ansi_state st;
	ansi_state_init(&st);
	assert_int_equal(ansi_layout(&src, 0, &st, &f, NULL, NULL), 0);
	ansi_out_finish(&out);
	/* the visible part of a 5 MB line costs one chunk, not the line */
	assert_true(c.bytes_read <= 2 * 16384);
	size_t shown = 0;
	for (size_t i = 0; i < out.nspans; i++) {
		assert_int_equal(out.spans[i].style.elem, CELL_LOG_INERT);
		shown += out.spans[i].len;
	}
	assert_int_equal(shown, 200);

	/* scrolled to column 1,000,000: a scan up to there, then the window */
	ansi_out_reset(&out);
	c.bytes_read = 0;
	f.first_col = 1000000;
	ansi_fit_begin(&f);
	ansi_state_init(&st);
	assert_int_equal(ansi_layout(&src, 0, &st, &f, NULL, NULL), 0);
	ansi_out_finish(&out);
	/* 10 bytes show as 13 columns */
	assert_true(c.bytes_read < 1000000 * 10 / 13 + 2 * 16384);
	assert_true(c.bytes_read > 1000000 * 10 / 13 - 16384);
	s_assert_safe(&(struct rendered){.out = out});
	ansi_out_cleanup(&out);
	free(line);
}

struct ckpt {
	uint64_t off, row, x;
	struct ansi_state st;
};

struct ckpts {
	struct ckpt v[4096];
	size_t n;
};

static void s_hook(void *arg, const struct ansi_state *before, uint64_t off,
		   const struct ansi_fit *f, const struct ansi_glyph *g)
{
	struct ckpts *c = arg;
	if (g->kind != ANSI_GLYPH_MARK && c->n < 4096 &&
	    (c->n == 0 || f->row >= c->v[c->n - 1].row + 50))
		c->v[c->n++] = (struct ckpt){off, f->row, f->x, *before};
}

static void test_wrap_checkpoints(void **state)
{
	/* a long styled line with wide chars and tabs, laid out once with a hook,
	 * then resumed from a checkpoint: the same rows as a full layout */
	size_t len;
	char *line = s_repeat("\x1b[33mab\tc\xe6\x97\xa5\x1b]0;x\x07 dd ", 400000, &len);
	struct ansi_src src = {.mem = line, .len = len};
	static struct ckpts cp;
	cp.n = 0;
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	f.wrap = true;
	f.width = 37;
	f.nrows = UINT64_MAX;
	f.elem = CELL_LOG_TEXT;
	ansi_fit_begin(&f);
	struct ansi_state st;
	ansi_state_init(&st);
	assert_int_equal(ansi_layout(&src, 0, &st, &f, s_hook, &cp), 0);
	uint64_t total = ansi_fit_rows(&f);
	assert_true(total > 5000);
	assert_true(cp.n > 50);

	uint64_t want_row = total - 7;
	struct wrapped full, part;
	memset(&full, 0, sizeof(full));
	memset(&part, 0, sizeof(part));
	/* full layout of the last rows */
	ansi_out_init(&full.out);
	f.nrows = 5;
	f.first_row = want_row;
	f.out = &full.out;
	f.row_starts = full.starts;
	ansi_fit_begin(&f);
	ansi_state_init(&st);
	ansi_layout(&src, 0, &st, &f, NULL, NULL);
	ansi_out_finish(&full.out);
	/* from the last checkpoint at or before the row */
	size_t k = cp.n - 1;
	while (cp.v[k].row > want_row)
		k--;
	ansi_out_init(&part.out);
	f.out = &part.out;
	f.row_starts = part.starts;
	ansi_fit_begin_at(&f, cp.v[k].row, cp.v[k].x);
	st = cp.v[k].st;
	ansi_layout(&src, cp.v[k].off, &st, &f, NULL, NULL);
	ansi_out_finish(&part.out);
	for (size_t i = 0; i < 5; i++) {
		char a[512], b[512];
		s_row_text(&full, 5, i, a);
		s_row_text(&part, 5, i, b);
		assert_string_equal(a, b);
		assert_true(strlen(a) > 0);
	}
	ansi_out_cleanup(&full.out);
	ansi_out_cleanup(&part.out);
	free(line);
}

/* --- plain text -------------------------------------------------------------- */

static void test_plain(void **state)
{
	struct ansi_plain p;
	ansi_plain_init(&p);
	const char *a = "no escapes here";
	assert_int_equal(ansi_plain_set(&p, a, strlen(a)), 0);
	assert_ptr_equal(p.text, a);
	assert_int_equal(ansi_plain_to_raw(&p, 3, false), 3);

	const char *b = "\x1b[1mbold\x1b[0m text \x1b[2Jkept\r";
	assert_int_equal(ansi_plain_set(&p, b, strlen(b)), 0);
	assert_int_equal(p.len, strlen("bold text \x1b[2Jkept"));
	assert_memory_equal(p.text, "bold text \x1b[2Jkept", p.len);
	/* "bold" starts at raw 4; "text" (plain 5) at raw 13 */
	assert_int_equal(ansi_plain_to_raw(&p, 0, false), 4);
	assert_int_equal(ansi_plain_to_raw(&p, 4, true), 8);
	assert_int_equal(ansi_plain_to_raw(&p, 5, false), 13);
	assert_int_equal(ansi_plain_to_raw(&p, 9, true), 17);
	/* the inert ESC[2J is kept as bytes */
	assert_int_equal(ansi_plain_to_raw(&p, 10, false), 18);
	/* the end of the plain text maps before the dropped CR */
	assert_int_equal(ansi_plain_to_raw(&p, p.len, true), strlen(b) - 1);

	const char *c = "\x1b[31m\x1b[0m";
	assert_int_equal(ansi_plain_set(&p, c, strlen(c)), 0);
	assert_int_equal(p.len, 0);
	ansi_plain_cleanup(&p);
}

/* The plain text by decoding glyph by glyph: what ansi_plain_set must give. */
static size_t s_ref_plain(const char *line, size_t len, char *out, size_t *raw_of)
{
	struct ansi_state st;
	struct ansi_glyph g;
	size_t pos = 0, n = 0;
	ansi_state_init(&st);
	for (;;) {
		size_t p0 = pos;
		enum ansi_tok t = ansi_next(&st, line, len, &pos, true, &g);
		if (t == ANSI_TOK_END)
			return n;
		if (t != ANSI_TOK_GLYPH)
			continue;
		for (size_t i = p0; i < pos; i++) {
			raw_of[n] = i;
			out[n++] = line[i];
		}
	}
}

static void test_plain_matches_decoder(void **state)
{
	static const char *frag[] = {
	    "\x1b",
	    "[",
	    "31",
	    ";",
	    "m",
	    "]",
	    "\\",
	    "\x07",
	    "\r",
	    "text ",
	    "\x9b",
	    "\xc2\x9b",
	    "P",
	    "38;5;1",
	    "0",
	    "?",
	    ">",
	    " ",
	    "\xc2\x9c",
	    "\x1b[0m",
	    "\x1b]0;t",
	    "(",
	    "\xe6\x97\xa5",
	    "\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23;24;25;26;27;28;m"};
	size_t nfrag = sizeof(frag) / sizeof(frag[0]);
	char line[4096], ref[4096];
	size_t raw_of[4096];
	struct ansi_plain p;
	ansi_plain_init(&p);
	uint32_t x = 7;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = 0;
		int parts = 1 + iter % 40;
		for (int k = 0; k < parts; k++) {
			x = x * 1103515245 + 12345;
			const char *f = frag[(x >> 16) % nfrag];
			memcpy(line + len, f, strlen(f));
			len += strlen(f);
		}
		size_t n = s_ref_plain(line, len, ref, raw_of);
		assert_int_equal(ansi_plain_set(&p, line, len), 0);
		if (p.len != n || memcmp(p.text, ref, n) != 0)
			fail_msg("iteration %d: plain text differs from the decoder's", iter);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(ansi_plain_to_raw(&p, i, false), raw_of[i]);
		if (n > 0)
			assert_int_equal(ansi_plain_to_raw(&p, n, true), raw_of[n - 1] + 1);
	}
	ansi_plain_cleanup(&p);
}

int main(void)
{
	/* span checks decode UTF-8 with mbrtowc; ansi itself needs no locale */
	setlocale(LC_CTYPE, "C.UTF-8");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_ascii),
	    cmocka_unit_test(test_sgr_basic),
	    cmocka_unit_test(test_sgr_colours),
	    cmocka_unit_test(test_sgr_colon_and_odd_forms),
	    cmocka_unit_test(test_sgr_resets_at_line_end),
	    cmocka_unit_test(test_hostile_sequences),
	    cmocka_unit_test(test_inert_styling),
	    cmocka_unit_test(test_overlong_csi_is_inert),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_wide_and_combining),
	    cmocka_unit_test(test_tabs),
	    cmocka_unit_test(test_hscroll_with_styles),
	    cmocka_unit_test(test_marks),
	    cmocka_unit_test(test_wrap_rows),
	    cmocka_unit_test(test_pathological_line_cost),
	    cmocka_unit_test(test_wrap_checkpoints),
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_plain_matches_decoder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
