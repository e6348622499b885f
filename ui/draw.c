/* draw: cells to ncurses calls with theme attributes, and the colour-pair
 * cache (see draw.h).
 *
 * The pair cache is hand-written rather than ncurses' alloc_pair because a
 * pair redefined while text using it is still on screen recolours that text:
 * eviction here skips pairs used in the current frame, which alloc_pair cannot
 * know about. */
#include "draw.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "xmem.h"

#define DRAW_PAIRS_CAP 1024 /* most pairs used by default, whatever COLOR_PAIRS says */
#define DRAW_CHUNK     256  /* wide characters per ncurses call */

struct s_pair {
	int fg, bg;
	int next;	  /* next pair number in the hash chain, 0 = end */
	int older, newer; /* the recency list of unpinned pairs, 0 = end */
	uint32_t last_frame;
	bool pinned;
};

struct draw {
	const struct theme *theme;
	struct theme_caps caps;
	struct theme_term_style elem[CELL_ELEM_COUNT];
	attr_t elem_attr[CELL_ELEM_COUNT];
	int elem_pair[CELL_ELEM_COUNT];
	attr_t attr_of[32]; /* enum cell_attr_bits → A_* */

	int max_pairs; /* pair numbers 1 .. max_pairs - 1 may be used */
	int used;      /* highest pair number defined */
	struct s_pair *pairs;
	int *buckets;
	int nbuckets; /* power of two */
	uint32_t frame;
	int oldest, newest; /* ends of the recency list */

	/* log colours 0-255 mapped for this terminal */
	int16_t map_fg[256], map_bg[256];
	uint8_t map_fg_extra[256];
};

/* ---- Pair cache ------------------------------------------------------------ */

static unsigned s_hash(const struct draw *d, int fg, int bg)
{
	uint32_t h = (uint32_t)(fg + 1) * 2654435761u ^ (uint32_t)(bg + 1) * 40503u;
	return (h ^ (h >> 15)) & (unsigned)(d->nbuckets - 1);
}

static void s_cache_reset(struct draw *d)
{
	for (int i = 0; i < d->nbuckets; i++)
		d->buckets[i] = 0;
	d->used = 0;
	d->oldest = d->newest = 0;
}

static void s_unlink(struct draw *d, int p)
{
	int *link = &d->buckets[s_hash(d, d->pairs[p].fg, d->pairs[p].bg)];
	while (*link && *link != p)
		link = &d->pairs[*link].next;
	if (*link == p)
		*link = d->pairs[p].next;
}

static void s_lru_remove(struct draw *d, int p)
{
	struct s_pair *sp = &d->pairs[p];
	if (sp->older)
		d->pairs[sp->older].newer = sp->newer;
	else
		d->oldest = sp->newer;
	if (sp->newer)
		d->pairs[sp->newer].older = sp->older;
	else
		d->newest = sp->older;
	sp->older = sp->newer = 0;
}

static void s_lru_append(struct draw *d, int p)
{
	struct s_pair *sp = &d->pairs[p];
	sp->older = d->newest;
	sp->newer = 0;
	if (d->newest)
		d->pairs[d->newest].newer = p;
	else
		d->oldest = p;
	d->newest = p;
}

/* Marks pair p used now: the newest of the recency list (pinned pairs are not
 * on it). */
static void s_touch(struct draw *d, int p, bool pin)
{
	struct s_pair *sp = &d->pairs[p];
	sp->last_frame = d->frame;
	if (sp->pinned)
		return;
	s_lru_remove(d, p);
	if (pin)
		sp->pinned = true;
	else
		s_lru_append(d, p);
}

/* The least recently used unpinned pair, unless it was used in this frame
 * (then so were all the others): -1. */
static int s_evict(struct draw *d)
{
	int p = d->oldest;
	if (!p || d->pairs[p].last_frame == d->frame)
		return -1;
	s_lru_remove(d, p);
	return p;
}

/* The pair for (fg, bg): 0 for the terminal's defaults, -1 when none can be
 * had (no colours, or every pair is in use in this frame). */
static int s_pair_get(struct draw *d, int fg, int bg, bool pinned)
{
	if (fg < 0 && bg < 0)
		return 0;
	if (d->max_pairs <= 1)
		return -1;
	unsigned h = s_hash(d, fg, bg);
	for (int p = d->buckets[h]; p; p = d->pairs[p].next) {
		if (d->pairs[p].fg == fg && d->pairs[p].bg == bg) {
			s_touch(d, p, pinned);
			return p;
		}
	}
	int p;
	if (d->used + 1 < d->max_pairs) {
		p = ++d->used;
	} else {
		p = s_evict(d);
		if (p < 0)
			return -1;
		s_unlink(d, p);
	}
	init_extended_pair(p, fg, bg);
	d->pairs[p] = (struct s_pair){
	    .fg = fg, .bg = bg, .next = d->buckets[h], .last_frame = d->frame, .pinned = pinned};
	d->buckets[h] = p;
	if (!pinned)
		s_lru_append(d, p);
	return p;
}

/* ---- Set-up -------------------------------------------------------------- */

static void s_attr_table(struct draw *d)
{
	for (unsigned b = 0; b < 32; b++) {
		attr_t a = A_NORMAL;
		if (b & CELL_BOLD)
			a |= A_BOLD;
		if (b & CELL_UNDERLINE)
			a |= A_UNDERLINE;
		if (b & CELL_REVERSE)
			a |= A_REVERSE;
		if (b & CELL_DIM_ATTR)
			a |= A_DIM;
		if (b & CELL_ITALIC)
			a |= A_ITALIC;
		d->attr_of[b] = a;
	}
}

static void s_color_maps(struct draw *d)
{
	for (int i = 0; i < 256; i++) {
		struct cell_color c = {.kind = CELL_COLOR_256, .index = (uint8_t)i};
		uint8_t extra = 0;
		d->map_fg[i] = (int16_t)theme_map_color(&c, &d->caps, true, &extra);
		d->map_fg_extra[i] = extra;
		d->map_bg[i] = (int16_t)theme_map_color(&c, &d->caps, false, NULL);
		if (d->caps.depth == THEME_DEPTH_RGB) /* does not fit int16: map on use */
			d->map_fg[i] = d->map_bg[i] = -2;
	}
}

struct draw *draw_new(const struct theme *t, const struct draw_opts *o)
{
	struct draw *d = xcalloc(1, sizeof(*d));
	const char *no_color = o && o->no_color ? o->no_color : getenv("NO_COLOR");
	if (o && o->force_no_color)
		no_color = "1";
	const char *term = o && o->term ? o->term : termname();
	int colors = 0;
	bool defaults = false;
	if (!no_color && has_colors() && start_color() == OK) {
		colors = COLORS;
		defaults = use_default_colors() == OK;
	}
	theme_caps_compute(&d->caps, colors, term, no_color, defaults);
	if (d->caps.depth != THEME_DEPTH_MONO) {
		int cap = o && o->max_pairs > 0 ? o->max_pairs : DRAW_PAIRS_CAP;
		d->max_pairs = COLOR_PAIRS < cap ? COLOR_PAIRS : cap;
	}
	d->nbuckets = 16;
	while (d->nbuckets < d->max_pairs)
		d->nbuckets *= 2;
	d->buckets = xcalloc((size_t)d->nbuckets, sizeof(*d->buckets));
	d->pairs = xcalloc((size_t)(d->max_pairs > 0 ? d->max_pairs : 1), sizeof(*d->pairs));
	s_attr_table(d);
	s_color_maps(d);
	draw_set_theme(d, t);
	return d;
}

void draw_free(struct draw *d)
{
	if (!d)
		return;
	free(d->pairs);
	free(d->buckets);
	free(d);
}

void draw_set_theme(struct draw *d, const struct theme *t)
{
	d->theme = t;
	theme_resolve(t, &d->caps, d->elem);
	s_cache_reset(d);
	for (int i = 0; i < CELL_ELEM_COUNT; i++) {
		d->elem_attr[i] = d->attr_of[d->elem[i].attrs & 31];
		int p = s_pair_get(d, d->elem[i].fg, d->elem[i].bg, true);
		d->elem_pair[i] = p < 0 ? 0 : p;
	}
}

const struct theme_caps *draw_caps(const struct draw *d)
{
	return &d->caps;
}

const struct theme_term_style *draw_elem_style(const struct draw *d, enum cell_elem elem)
{
	return &d->elem[(unsigned)elem < CELL_ELEM_COUNT ? elem : CELL_NORMAL];
}

void draw_frame_begin(struct draw *d)
{
	d->frame++;
}

int draw_pairs_used(const struct draw *d)
{
	return d->used;
}

int draw_pairs_max(const struct draw *d)
{
	return d->max_pairs > 0 ? d->max_pairs - 1 : 0;
}

/* A log colour for this terminal (-1 = default). */
static int s_map(struct draw *d, const struct cell_color *c, bool is_fg, uint8_t *extra)
{
	if (c->kind == CELL_COLOR_256 && d->map_fg[c->index] != -2) {
		if (!is_fg)
			return d->map_bg[c->index];
		*extra |= d->map_fg_extra[c->index];
		return d->map_fg[c->index];
	}
	return theme_map_color(c, &d->caps, is_fg, extra);
}

void draw_style_attr(struct draw *d, const struct cell_style *s, attr_t *attrs, int *pair)
{
	unsigned e = s->elem < CELL_ELEM_COUNT ? s->elem : CELL_NORMAL;
	uint8_t bits = s->attrs & 31;
	*attrs = d->elem_attr[e] | d->attr_of[bits];
	*pair = d->elem_pair[e];
	if (d->caps.depth == THEME_DEPTH_MONO ||
	    (s->fg.kind == CELL_COLOR_NONE && s->bg.kind == CELL_COLOR_NONE)) {
		if (*pair > 0)
			d->pairs[*pair].last_frame = d->frame;
		return;
	}
	uint8_t extra = 0;
	int fg = d->elem[e].fg, bg = d->elem[e].bg;
	if (s->fg.kind != CELL_COLOR_NONE)
		fg = s_map(d, &s->fg, true, &extra);
	if (s->bg.kind != CELL_COLOR_NONE)
		bg = s_map(d, &s->bg, false, NULL);
	int p = s_pair_get(d, fg, bg, false);
	if (p >= 0) {
		*pair = p;
		*attrs |= d->attr_of[extra & 31];
	}
}

/* ---- Text ----------------------------------------------------------------- */

/* Decodes one character of UTF-8 at s (len > 0 bytes): *wc is the character to
 * show ('?' for controls, invalid bytes and characters the locale cannot
 * show), *width its columns. Returns the bytes used (>= 1). */
/* Where text goes: the row, the next column, columns left, columns still to
 * skip (horizontal scroll) and whether anything was drawn yet. */
struct s_out {
	WINDOW *w;
	int y, x, left, skip;
	bool started;
};

static void s_flush(struct s_out *o, const wchar_t *buf, int n, int cols, attr_t a, int pair)
{
	if (!n)
		return;
	wattr_set(o->w, a, (short)(pair < 0x7fff ? pair : 0), &pair);
	mvwaddnwstr(o->w, o->y, o->x, buf, n);
	o->x += cols;
}

/* The character to draw for wc of width w, after horizontal scroll and the
 * right edge: returns how many times to add it (0: nothing; a wide character
 * cut by the left edge becomes one space per column still visible), wc and w
 * updated. */
static int s_visible(struct s_out *o, wchar_t *wc, int *w)
{
	if (o->skip > 0) {
		if (*w <= o->skip) {
			o->skip -= *w;
			return 0;
		}
		int rest = *w - o->skip; /* a wide character cut by the left edge */
		o->skip = 0;
		*wc = L' ';
		*w = 1;
		return rest;
	}
	if (*w == 0 && !o->started)
		return 0;   /* a combining mark with nothing of ours to combine with */
	if (*w > o->left) { /* does not fit at the right edge */
		*wc = L' ';
		*w = 1;
	}
	return 1;
}

/* Draws len bytes of text in one style. */
static void s_put(struct s_out *o, const char *text, size_t len, attr_t a, int pair)
{
	const unsigned char *s = (const unsigned char *)text;
	wchar_t buf[DRAW_CHUNK + 2];
	int n = 0, cols = 0;
	while (len && o->left > 0) {
		wchar_t wc;
		int w;
		bool printable;
		size_t used = utf8_next((const char *)s, len, &wc, &w, &printable);
		s += used;
		len -= used;
		for (int k = s_visible(o, &wc, &w); k > 0 && o->left > 0; k--) {
			buf[n++] = wc;
			cols += w;
			o->left -= w;
			o->started = true;
			if (n >= DRAW_CHUNK) {
				s_flush(o, buf, n, cols, a, pair);
				n = cols = 0;
			}
		}
	}
	s_flush(o, buf, n, cols, a, pair);
}

static bool s_clip(WINDOW *w, int y, int x, int *width)
{
	int maxy = getmaxy(w), maxx = getmaxx(w);
	if (y < 0 || y >= maxy || x < 0 || x >= maxx || *width <= 0)
		return false;
	if (*width > maxx - x)
		*width = maxx - x;
	return true;
}

int draw_spans(struct draw *d, WINDOW *w, int y, int x, int width, int skip_cols,
	       const struct cell_span *spans, size_t n)
{
	if (!s_clip(w, y, x, &width))
		return 0;
	struct s_out o = {
	    .w = w, .y = y, .x = x, .left = width, .skip = skip_cols > 0 ? skip_cols : 0};
	for (size_t i = 0; i < n && o.left > 0; i++) {
		attr_t a;
		int pair;
		draw_style_attr(d, &spans[i].style, &a, &pair);
		s_put(&o, spans[i].text, spans[i].len, a, pair);
	}
	return width - o.left;
}

void draw_fill(struct draw *d, WINDOW *w, int y, int x, int width, enum cell_elem elem)
{
	if (!s_clip(w, y, x, &width))
		return;
	static const char spaces[] =
	    "                                                                ";
	struct cell_span sp = {.text = spaces, .style = {.elem = (uint16_t)elem}};
	while (width > 0) {
		sp.len = (size_t)(width < 64 ? width : 64);
		draw_spans(d, w, y, x, (int)sp.len, 0, &sp, 1);
		x += (int)sp.len;
		width -= (int)sp.len;
	}
}

void draw_line(struct draw *d, WINDOW *w, int y, int x, int width, int skip_cols,
	       const struct cell_span *spans, size_t n, enum cell_elem fill)
{
	if (!s_clip(w, y, x, &width))
		return;
	int used = draw_spans(d, w, y, x, width, skip_cols, spans, n);
	draw_fill(d, w, y, x + used, width - used, fill);
}

int draw_text(struct draw *d, WINDOW *w, int y, int x, int width, enum cell_elem elem,
	      const char *text)
{
	struct cell_span sp = {.text = text ? text : "", .style = {.elem = (uint16_t)elem}};
	sp.len = strlen(sp.text);
	return draw_spans(d, w, y, x, width, 0, &sp, 1);
}

/* ---- Boxes, bars, status ------------------------------------------------------ */

static void s_line_char(const cchar_t *src, attr_t a, int pair, cchar_t *out)
{
	wchar_t wch[CCHARW_MAX + 1] = {0};
	attr_t sa = 0;
	short sp = 0;
	getcchar(src, wch, &sa, &sp, NULL);
	setcchar(out, wch, (sa & A_ALTCHARSET) | a, 0, &pair);
}

void draw_box(struct draw *d, WINDOW *w, int y, int x, int h, int wid, const char *title,
	      bool focused)
{
	if (h < 2 || wid < 2 || y < 0 || x < 0 || y + h > getmaxy(w) || x + wid > getmaxx(w))
		return;
	enum cell_elem be = focused ? CELL_BORDER_FOCUSED : CELL_BORDER;
	attr_t a = d->elem_attr[be];
	int pair = d->elem_pair[be];
	if (pair > 0)
		d->pairs[pair].last_frame = d->frame;
	cchar_t hl, vl, ul, ur, ll, lr;
	s_line_char(WACS_HLINE, a, pair, &hl);
	s_line_char(WACS_VLINE, a, pair, &vl);
	s_line_char(WACS_ULCORNER, a, pair, &ul);
	s_line_char(WACS_URCORNER, a, pair, &ur);
	s_line_char(WACS_LLCORNER, a, pair, &ll);
	s_line_char(WACS_LRCORNER, a, pair, &lr);
	mvwadd_wch(w, y, x, &ul);
	mvwhline_set(w, y, x + 1, &hl, wid - 2);
	mvwadd_wch(w, y, x + wid - 1, &ur);
	if (h > 2) {
		mvwvline_set(w, y + 1, x, &vl, h - 2);
		mvwvline_set(w, y + 1, x + wid - 1, &vl, h - 2);
	}
	mvwadd_wch(w, y + h - 1, x, &ll);
	mvwhline_set(w, y + h - 1, x + 1, &hl, wid - 2);
	mvwadd_wch(w, y + h - 1, x + wid - 1, &lr);
	if (title && *title && wid > 4) {
		struct cell_span sp[3] = {
		    {.text = " ", .len = 1},
		    {.text = title, .len = strlen(title)},
		    {.text = " ", .len = 1},
		};
		for (int i = 0; i < 3; i++)
			sp[i].style.elem = focused ? CELL_TITLE_FOCUSED : CELL_TITLE;
		int tw = utf8_width(title, sp[1].len) + 2;
		int room = wid - 4;
		if (tw > room) { /* keep the closing space */
			sp[1].len = utf8_fit(title, sp[1].len, room - 2);
			tw = utf8_width(title, sp[1].len) + 2;
		}
		draw_spans(d, w, y, x + 2, tw, 0, sp, 3);
	}
}

void draw_progress(struct draw *d, WINDOW *w, int y, int x, int width, uint64_t done,
		   uint64_t total, const char *label)
{
	if (!s_clip(w, y, x, &width))
		return;
	char text[256];
	int filled = 0;
	if (total > 0) {
		if (done > total)
			done = total;
		unsigned pct = (unsigned)((long double)done * 100 / (long double)total);
		filled = (int)((long double)done * width / (long double)total);
		snprintf(text, sizeof(text), "%.200s%s%u%%", label ? label : "",
			 label && *label ? "  " : "", pct);
	} else {
		snprintf(text, sizeof(text), "%.200s", label ? label : "");
	}
	size_t tlen = utf8_fit(text, strlen(text), width);
	int tw = utf8_width(text, tlen);
	/* The bar as one row of width columns: spaces, the centred text, spaces. */
	char row[1024];
	int pad = (width - tw) / 2;
	if (pad + (int)tlen + (width - tw - pad) >= (int)sizeof(row)) {
		draw_fill(d, w, y, x, width, CELL_PROGRESS);
		return;
	}
	memset(row, ' ', (size_t)pad);
	memcpy(row + pad, text, tlen);
	memset(row + pad + tlen, ' ', (size_t)(width - tw - pad));
	size_t rlen = (size_t)pad + tlen + (size_t)(width - tw - pad);
	size_t cut = utf8_fit(row, rlen, filled);
	struct cell_span sp[2] = {
	    {.text = row, .len = cut, .style = {.elem = CELL_PROGRESS}},
	    {.text = row + cut, .len = rlen - cut, .style = {.elem = CELL_NORMAL}},
	};
	draw_line(d, w, y, x, width, 0, sp, 2, CELL_NORMAL);
}

void draw_status(struct draw *d, WINDOW *w, int y, int x, int width, enum cell_elem elem,
		 const char *left, const char *right)
{
	if (!s_clip(w, y, x, &width))
		return;
	left = left ? left : "";
	right = right ? right : "";
	size_t llen = strlen(left), rlen = strlen(right);
	int rw = utf8_width(right, rlen);
	if (rw > width) {
		rlen = utf8_fit(right, rlen, width);
		rw = utf8_width(right, rlen);
	}
	int room = width - rw - (rw ? 1 : 0);
	int lw = utf8_width(left, llen);
	struct cell_span sp[2] = {
	    {.text = left, .len = llen, .style = {.elem = (uint16_t)elem}},
	    {.text = "\xe2\x80\xa6", .len = 3, .style = {.elem = (uint16_t)elem}}};
	size_t nsp = 1;
	if (lw > room) {
		sp[0].len = room > 1 ? utf8_fit(left, llen, room - 1) : 0;
		nsp = room > 0 ? 2 : 1;
	}
	draw_line(d, w, y, x, width, 0, sp, nsp, elem);
	if (rw) {
		struct cell_span r = {
		    .text = right, .len = rlen, .style = {.elem = (uint16_t)elem}};
		draw_spans(d, w, y, x + width - rw, rw, 0, &r, 1);
	}
}
