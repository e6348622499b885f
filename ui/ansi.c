/* ansi: decoding of raw log lines into glyphs, SGR styles and inert controls
 * (ansi.h). The decoder is a pure function of (state, bytes): every token is
 * recognised from at most ANSI_LOOKAHEAD bytes, so long lines are streamed in
 * chunks and decoding can restart at any token boundary from a saved state. */
#include "ansi.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define LAYOUT_CHUNK_BYTES 16384

static const char s_spaces[ANSI_TAB_COLS + 1] = "        ";

/* --- character widths ------------------------------------------------------ */

static pthread_once_t s_loc_once = PTHREAD_ONCE_INIT;
static locale_t s_loc;

static void s_loc_init(void)
{
	s_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!s_loc)
		s_loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

/* wcwidth() in a UTF-8 locale, whatever the thread's locale is. */
static int s_wcwidth(uint32_t cp)
{
	pthread_once(&s_loc_once, s_loc_init);
	if (!s_loc)
		return wcwidth((wchar_t)cp);
	locale_t old = uselocale(s_loc);
	int w = wcwidth((wchar_t)cp);
	uselocale(old);
	return w;
}

/* Code points shown inert although wcwidth may call them printable: bidi
 * embeddings, overrides and isolates (they reorder what follows on terminals
 * that implement bidi) and the Unicode line/paragraph separators. */
static bool s_unicode_control(uint32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x061c || cp == 0x200e || cp == 0x200f;
}

/* Decodes one strict UTF-8 sequence (no overlongs, surrogates or values past
 * U+10FFFF). Returns its length, or 0 if s[0] does not start a valid one. */
static size_t s_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	v = (v << 6) | (s[1] & 0x3f);
	for (size_t i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/* --- SGR -------------------------------------------------------------------- */

void ansi_state_init(struct ansi_state *st)
{
	memset(st, 0, sizeof(*st));
}

void ansi_state_style(const struct ansi_state *st, uint16_t elem, struct cell_style *out)
{
	out->elem = elem;
	out->attrs = st->attrs;
	out->fg = st->fg;
	out->bg = st->bg;
}

/* --- tokens ----------------------------------------------------------------- */

/* A generated inert glyph of `len` bytes already in g->rep. */
static void s_glyph_rep(struct ansi_glyph *g, size_t raw_off, size_t raw_len, size_t len)
{
	g->kind = ANSI_GLYPH_RUN;
	g->inert = true;
	g->raw_is_text = false;
	g->text = g->rep;
	g->len = len;
	g->width = len;
	g->raw_off = raw_off;
	g->raw_len = raw_len;
}

static const char s_hex[] = "0123456789abcdef";
static const char s_HEX[] = "0123456789ABCDEF";

/* "^" followed by c (or by "[" and c when esc is set). */
static void s_rep_caret(struct ansi_glyph *g, size_t raw_off, size_t raw_len, char c)
{
	g->rep[0] = '^';
	g->rep[1] = c;
	s_glyph_rep(g, raw_off, raw_len, 2);
}

/* "^[" followed by c (0: nothing). */
static void s_rep_esc(struct ansi_glyph *g, size_t raw_off, size_t raw_len, char c)
{
	g->rep[0] = '^';
	g->rep[1] = '[';
	g->rep[2] = c;
	s_glyph_rep(g, raw_off, raw_len, c ? 3 : 2);
}

static void s_rep_byte(struct ansi_glyph *g, size_t raw_off, unsigned char c)
{
	g->rep[0] = '\\';
	g->rep[1] = 'x';
	g->rep[2] = s_hex[c >> 4];
	g->rep[3] = s_hex[c & 15];
	s_glyph_rep(g, raw_off, 1, 4);
}

/* "<U+XXXX>" (4 to 6 hex digits). */
static void s_rep_cp(struct ansi_glyph *g, size_t raw_off, size_t raw_len, uint32_t cp)
{
	int digits = cp > 0xfffff ? 6 : cp > 0xffff ? 5 : 4;
	size_t n = 0;
	g->rep[n++] = '<';
	g->rep[n++] = 'U';
	g->rep[n++] = '+';
	for (int i = digits - 1; i >= 0; i--)
		g->rep[n++] = s_HEX[(cp >> (4 * i)) & 15];
	g->rep[n++] = '>';
	s_glyph_rep(g, raw_off, raw_len, n);
}

static void s_glyph_run(struct ansi_glyph *g, const char *buf, size_t off, size_t n, bool inert)
{
	g->kind = ANSI_GLYPH_RUN;
	g->inert = inert;
	g->raw_is_text = true;
	g->text = buf + off;
	g->len = n;
	g->width = n;
	g->raw_off = off;
	g->raw_len = n;
}

/* Scans a CSI's parameter and intermediate bytes from `start`. Sets *end past
 * the sequence (past its final byte, or at the first byte that cannot belong
 * to it) and returns true if it is an SGR. */
static bool s_csi_scan(const unsigned char *u, size_t len, size_t start, size_t *end)
{
	size_t lim = len - start > ANSI_MAX_SEQ_BYTES ? start + ANSI_MAX_SEQ_BYTES : len;
	size_t q = start;
	bool sgr_params = true;
	while (q < lim && u[q] >= 0x30 && u[q] <= 0x3f) {
		if (!(u[q] <= '9' || u[q] == ';' || u[q] == ':'))
			sgr_params = false;
		q++;
	}
	size_t params_end = q;
	while (q < lim && u[q] >= 0x20 && u[q] <= 0x2f)
		q++;
	if (q < len && u[q] >= 0x40 && u[q] <= 0x7e) {
		*end = q + 1;
		return u[q] == 'm' && q == params_end && sgr_params;
	}
	*end = q;
	return false;
}

size_t ansi_sgr_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t end;
	if (n < 3 || u[0] != 0x1b || u[1] != '[' || !s_csi_scan(u, n, 2, &end))
		return 0;
	return end;
}

/* "^[" for the ESC at p, then the rest of the sequence [p + 1, end) as an
 * inert tail. */
static void s_inert_seq(struct ansi_state *st, struct ansi_glyph *g, size_t p, size_t end,
			size_t esc_len, char shown)
{
	s_rep_esc(g, p, esc_len, shown);
	if (end > p + esc_len) {
		st->mode = ANSI_MODE_TAIL;
		st->tail = (uint16_t)(end - p - esc_len);
	}
}

static bool s_string_intro(unsigned char c)
{
	return c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_';
}

static enum ansi_tok s_esc(struct ansi_state *st, const unsigned char *u, size_t len, size_t *pos,
			   struct ansi_glyph *g)
{
	size_t p = *pos;
	if (st->mode == ANSI_MODE_STRING) {
		st->mode = ANSI_MODE_TEXT;
		if (p + 1 < len && u[p + 1] == '\\') {
			s_rep_esc(g, p, 2, '\\');
			*pos = p + 2;
			return ANSI_TOK_GLYPH;
		}
	}
	unsigned char n = p + 1 < len ? u[p + 1] : 0;
	size_t end = p + 1;
	if (n == '[') {
		if (s_csi_scan(u, len, p + 2, &end)) {
			ansi_sgr_apply(st, (const char *)u + p + 2, end - 1 - (p + 2));
			*pos = end;
			return ANSI_TOK_NONE;
		}
	} else if (s_string_intro(n)) {
		s_rep_esc(g, p, 2, (char)n);
		st->mode = ANSI_MODE_STRING;
		*pos = p + 2;
		return ANSI_TOK_GLYPH;
	} else if (n >= 0x20 && n <= 0x2f) {
		size_t lim = len - p > 18 ? p + 18 : len;
		end = p + 1;
		while (end < lim && u[end] >= 0x20 && u[end] <= 0x2f)
			end++;
		if (end < len && u[end] >= 0x30 && u[end] <= 0x7e)
			end++;
	} else if (n >= 0x30 && n <= 0x7e) {
		end = p + 2;
	}
	s_inert_seq(st, g, p, end, 1, 0);
	*pos = p + 1;
	return ANSI_TOK_GLYPH;
}

/* A C1 control (U+0080..U+009F, `n` bytes at p), shown as "<U+009B>"; the
 * 8-bit forms of CSI and of the string introducers open inert sequences. */
static void s_c1(struct ansi_state *st, const unsigned char *u, size_t len, size_t p, size_t n,
		 uint32_t cp, struct ansi_glyph *g)
{
	s_rep_cp(g, p, n, cp);
	if (st->mode == ANSI_MODE_STRING) {
		if (cp == 0x9c)
			st->mode = ANSI_MODE_TEXT;
		return;
	}
	if (cp == 0x9b) {
		size_t end;
		s_csi_scan(u, len, p + n, &end);
		if (end > p + n) {
			st->mode = ANSI_MODE_TAIL;
			st->tail = (uint16_t)(end - p - n);
		}
	} else if (cp == 0x9d || cp == 0x90 || cp == 0x98 || cp == 0x9e || cp == 0x9f) {
		st->mode = ANSI_MODE_STRING;
	}
}

static enum ansi_tok s_control(struct ansi_state *st, const unsigned char *u, size_t len,
			       size_t *pos, bool at_end, struct ansi_glyph *g)
{
	size_t p = *pos;
	unsigned char c = u[p];
	bool string = st->mode == ANSI_MODE_STRING;
	if (c == 0x1b)
		return s_esc(st, u, len, pos, g);
	*pos = p + 1;
	if (c == '\r' && at_end && p + 1 == len)
		return ANSI_TOK_NONE;
	if (c == '\t' && !string) {
		uint64_t w = ANSI_TAB_COLS - st->col % ANSI_TAB_COLS;
		g->kind = ANSI_GLYPH_RUN;
		g->inert = false;
		g->raw_is_text = false;
		g->text = s_spaces;
		g->len = (size_t)w;
		g->width = w;
		g->raw_off = p;
		g->raw_len = 1;
		return ANSI_TOK_GLYPH;
	}
	if (string && (c == 0x07 || c == 0x18 || c == 0x1a))
		st->mode = ANSI_MODE_TEXT;
	s_rep_caret(g, p, 1, (char)(c ^ 0x40));
	return ANSI_TOK_GLYPH;
}

static enum ansi_tok s_nonascii(struct ansi_state *st, const unsigned char *u, size_t len,
				size_t *pos, struct ansi_glyph *g)
{
	size_t p = *pos;
	uint32_t cp;
	size_t n = s_utf8(u + p, len - p, &cp);
	if (n == 0) {
		s_rep_byte(g, p, u[p]);
		*pos = p + 1;
		return ANSI_TOK_GLYPH;
	}
	*pos = p + n;
	if (cp < 0xa0) {
		s_c1(st, u, len, p, n, cp, g);
		return ANSI_TOK_GLYPH;
	}
	int w = s_unicode_control(cp) ? -1 : s_wcwidth(cp);
	if (w < 0) {
		s_rep_cp(g, p, n, cp);
		return ANSI_TOK_GLYPH;
	}
	g->kind = w == 0 ? ANSI_GLYPH_MARK : ANSI_GLYPH_CHAR;
	g->inert = st->mode == ANSI_MODE_STRING;
	g->raw_is_text = true;
	g->text = (const char *)u + p;
	g->len = n;
	g->width = (uint64_t)w;
	g->raw_off = p;
	g->raw_len = n;
	return ANSI_TOK_GLYPH;
}

enum ansi_tok ansi_next(struct ansi_state *st, const char *buf, size_t len, size_t *pos,
			bool at_end, struct ansi_glyph *g)
{
	size_t p = *pos;
	const unsigned char *u = (const unsigned char *)buf;
	if (p >= len)
		return at_end ? ANSI_TOK_END : ANSI_TOK_MORE;
	if (!at_end && len - p < ANSI_LOOKAHEAD)
		return ANSI_TOK_MORE;
	g->col = st->col;
	enum ansi_tok t;
	if (st->mode == ANSI_MODE_TAIL) {
		size_t n = st->tail < len - p ? st->tail : len - p;
		s_glyph_run(g, buf, p, n, true);
		st->tail = (uint16_t)(st->tail - n);
		if (st->tail == 0)
			st->mode = ANSI_MODE_TEXT;
		*pos = p + n;
		t = ANSI_TOK_GLYPH;
	} else if (u[p] >= 0x20 && u[p] < 0x7f) {
		size_t q = p + 1;
		while (q < len && u[q] >= 0x20 && u[q] < 0x7f)
			q++;
		s_glyph_run(g, buf, p, q - p, st->mode == ANSI_MODE_STRING);
		*pos = q;
		t = ANSI_TOK_GLYPH;
	} else if (u[p] < 0x80) {
		t = s_control(st, u, len, pos, at_end, g);
	} else {
		t = s_nonascii(st, u, len, pos, g);
	}
	if (t == ANSI_TOK_GLYPH)
		st->col += g->width;
	return t;
}

/* --- layout ----------------------------------------------------------------- */

static uint64_t s_end_row(const struct ansi_fit *f)
{
	return f->nrows > UINT64_MAX - f->first_row ? UINT64_MAX : f->first_row + f->nrows;
}

static bool s_row_visible(const struct ansi_fit *f)
{
	return f->out && f->row >= f->first_row && f->row < s_end_row(f);
}

void ansi_fit_begin_at(struct ansi_fit *f, uint64_t row, uint64_t x)
{
	f->row = f->wrap ? row : 0;
	f->x = x;
	f->emitted = 0;
	f->base_shown = false;
	f->marks_kept = 0;
	f->mark_i = 0;
	f->done = f->width == 0 || (f->wrap && f->row >= s_end_row(f));
	if (f->out)
		ansi_out_break(f->out);
	if (f->wrap && f->row_starts && s_row_visible(f))
		f->row_starts[f->row - f->first_row] = f->out->nspans;
}

void ansi_fit_begin(struct ansi_fit *f)
{
	ansi_fit_begin_at(f, 0, 0);
}

uint64_t ansi_fit_rows(const struct ansi_fit *f)
{
	return f->wrap ? f->row + 1 : 1;
}

/* The first mark ending after raw offset a (marks before it are passed). */
static const struct ansi_mark *s_mark_from(struct ansi_fit *f, uint64_t a)
{
	while (f->mark_i < f->nmarks && (f->marks[f->mark_i].end <= a ||
					 f->marks[f->mark_i].start >= f->marks[f->mark_i].end))
		f->mark_i++;
	return f->mark_i < f->nmarks ? &f->marks[f->mark_i] : NULL;
}

static void s_style(const struct ansi_fit *f, const struct ansi_state *st,
		    const struct ansi_glyph *g, const struct ansi_mark *m, struct cell_style *out)
{
	if (m || g->inert) {
		memset(out, 0, sizeof(*out));
		out->elem = m ? m->elem : CELL_LOG_INERT;
		return;
	}
	ansi_state_style(st, f->elem, out);
}

/* Emits columns [from, to) of glyph g (all of it for CHAR and MARK glyphs),
 * splitting raw text at mark boundaries. */
static void s_emit(struct ansi_fit *f, const struct ansi_state *st, const struct ansi_glyph *g,
		   uint64_t raw_base, size_t from, size_t to)
{
	struct cell_style style;
	uint64_t a = raw_base + g->raw_off;
	if (!g->raw_is_text || g->kind != ANSI_GLYPH_RUN) {
		const struct ansi_mark *m = s_mark_from(f, a);
		s_style(f, st, g, m && m->start < a + g->raw_len ? m : NULL, &style);
		ansi_out_add(f->out, g->text + from, to - from, &style);
		return;
	}
	for (size_t i = from; i < to;) {
		const struct ansi_mark *m = s_mark_from(f, a + i);
		size_t j = to;
		if (m && m->start <= a + i) {
			if (m->end - (a + i) < to - i)
				j = i + (size_t)(m->end - (a + i));
		} else {
			if (m && m->start - (a + i) < to - i)
				j = i + (size_t)(m->start - (a + i));
			m = NULL;
		}
		s_style(f, st, g, m, &style);
		ansi_out_add(f->out, g->text + i, j - i, &style);
		i = j;
	}
}

/* A wide character cut by the window edge: spaces in its style. */
static void s_emit_blank(struct ansi_fit *f, const struct ansi_state *st,
			 const struct ansi_glyph *g, uint64_t raw_base, uint64_t n)
{
	struct cell_style style;
	uint64_t a = raw_base + g->raw_off;
	const struct ansi_mark *m = s_mark_from(f, a);
	s_style(f, st, g, m && m->start < a + g->raw_len ? m : NULL, &style);
	ansi_out_spaces(f->out, (size_t)n, &style);
}

static bool s_fit_mark(struct ansi_fit *f, const struct ansi_state *st, const struct ansi_glyph *g,
		       uint64_t raw_base)
{
	if (f->base_shown && f->marks_kept < ANSI_MAX_MARKS) {
		if (f->out)
			s_emit(f, st, g, raw_base, 0, g->len);
		f->marks_kept++;
	}
	if (!f->wrap && f->emitted >= f->width &&
	    (!f->base_shown || f->marks_kept >= ANSI_MAX_MARKS))
		f->done = true;
	return !f->done;
}

static bool s_fit_line(struct ansi_fit *f, const struct ansi_state *st, const struct ansi_glyph *g,
		       uint64_t raw_base)
{
	uint64_t lo = f->first_col, hi = lo + f->width;
	uint64_t c = g->col, w = g->width;
	if (c >= hi) {
		f->done = true;
		return false;
	}
	f->base_shown = false;
	f->marks_kept = 0;
	f->x = c + w;
	if (c + w <= lo)
		return true;
	uint64_t from = c < lo ? lo : c, to = c + w < hi ? c + w : hi;
	if (g->kind == ANSI_GLYPH_RUN) {
		if (f->out)
			s_emit(f, st, g, raw_base, (size_t)(from - c), (size_t)(to - c));
		f->base_shown = to == c + w;
	} else if (from == c && to == c + w) {
		if (f->out)
			s_emit(f, st, g, raw_base, 0, g->len);
		f->base_shown = true;
	} else if (f->out) {
		s_emit_blank(f, st, g, raw_base, to - from);
	}
	f->emitted += to - from;
	if (to >= hi && !f->base_shown)
		f->done = true;
	return !f->done;
}

static void s_newrow(struct ansi_fit *f)
{
	f->row++;
	f->x = 0;
	if (f->row >= s_end_row(f)) {
		f->done = true;
		return;
	}
	if (s_row_visible(f)) {
		ansi_out_break(f->out);
		if (f->row_starts)
			f->row_starts[f->row - f->first_row] = f->out->nspans;
	}
}

static bool s_fit_wrap(struct ansi_fit *f, const struct ansi_state *st, const struct ansi_glyph *g,
		       uint64_t raw_base)
{
	f->base_shown = false;
	f->marks_kept = 0;
	if (g->kind == ANSI_GLYPH_RUN) {
		for (uint64_t off = 0; off < g->width;) {
			if (f->x >= f->width) {
				s_newrow(f);
				if (f->done)
					return false;
			}
			uint64_t take =
			    g->width - off < f->width - f->x ? g->width - off : f->width - f->x;
			if (s_row_visible(f))
				s_emit(f, st, g, raw_base, (size_t)off, (size_t)(off + take));
			f->x += take;
			off += take;
		}
		f->base_shown = s_row_visible(f);
		return true;
	}
	bool fits = g->width <= f->width;
	uint64_t w = fits ? g->width : 1;
	if (f->x + w > f->width) {
		s_newrow(f);
		if (f->done)
			return false;
	}
	if (s_row_visible(f)) {
		if (fits)
			s_emit(f, st, g, raw_base, 0, g->len);
		else
			s_emit_blank(f, st, g, raw_base, 1);
		f->base_shown = fits;
	}
	f->x += w;
	return true;
}

bool ansi_fit_glyph(struct ansi_fit *f, const struct ansi_state *st, const struct ansi_glyph *g,
		    uint64_t raw_base)
{
	if (f->done)
		return false;
	if (g->kind == ANSI_GLYPH_MARK)
		return s_fit_mark(f, st, g, raw_base);
	return f->wrap ? s_fit_wrap(f, st, g, raw_base) : s_fit_line(f, st, g, raw_base);
}

static int s_layout_mem(const struct ansi_src *src, uint64_t off, struct ansi_state *st,
			struct ansi_fit *f, ansi_glyph_hook hook, void *hook_arg)
{
	struct ansi_glyph g;
	struct ansi_state before;
	size_t p = (size_t)off;
	for (;;) {
		if (hook)
			before = *st;
		size_t p0 = p;
		enum ansi_tok t = ansi_next(st, src->mem, (size_t)src->len, &p, true, &g);
		if (t == ANSI_TOK_END)
			return 0;
		if (t != ANSI_TOK_GLYPH)
			continue;
		if (hook)
			hook(hook_arg, &before, p0, f, &g);
		if (!ansi_fit_glyph(f, st, &g, 0))
			return 0;
	}
}

int ansi_layout(const struct ansi_src *src, uint64_t off, struct ansi_state *st, struct ansi_fit *f,
		ansi_glyph_hook hook, void *hook_arg)
{
	if (f->done)
		return 0;
	if (src->mem)
		return s_layout_mem(src, off, st, f, hook, hook_arg);
	char buf[LAYOUT_CHUNK_BYTES];
	struct ansi_glyph g;
	struct ansi_state before;
	uint64_t base = off;
	size_t len = 0, p = 0;
	bool at_end = off >= src->len;
	for (;;) {
		if (hook)
			before = *st;
		size_t p0 = p;
		enum ansi_tok t = ansi_next(st, buf, len, &p, at_end, &g);
		if (t == ANSI_TOK_END)
			return 0;
		if (t == ANSI_TOK_MORE) {
			len -= p;
			memmove(buf, buf + p, len);
			base += p;
			p = 0;
			uint64_t left = src->len - (base + len);
			size_t want = left < sizeof(buf) - len ? (size_t)left : sizeof(buf) - len;
			size_t got = 0;
			if (want > 0 && src->read(src->arg, base + len, buf + len, want, &got))
				return -1;
			len += got;
			at_end = got < want || base + len >= src->len;
			continue;
		}
		if (t != ANSI_TOK_GLYPH)
			continue;
		if (hook)
			hook(hook_arg, &before, base + p0, f, &g);
		if (!ansi_fit_glyph(f, st, &g, base))
			return 0;
	}
}

void ansi_render(const char *line, size_t len, uint64_t first_col, uint32_t width, uint16_t elem,
		 const struct ansi_mark *marks, size_t nmarks, struct ansi_out *out)
{
	struct ansi_fit f;
	memset(&f, 0, sizeof(f));
	f.width = width;
	f.first_col = first_col;
	f.elem = elem;
	f.marks = marks;
	f.nmarks = nmarks;
	f.out = out;
	ansi_fit_begin(&f);
	struct ansi_state st;
	ansi_state_init(&st);
	struct ansi_src src = {.mem = line ? line : "", .len = line ? len : 0};
	ansi_layout(&src, 0, &st, &f, NULL, NULL);
}

uint64_t ansi_column_of(const char *line, size_t len, size_t raw_off)
{
	struct ansi_state st;
	struct ansi_glyph g;
	size_t p = 0;
	ansi_state_init(&st);
	while (p < raw_off && ansi_next(&st, line, len, &p, true, &g) != ANSI_TOK_END)
		;
	return st.col;
}
