/* theme_color: what the terminal can show, mapping theme and log colours down
 * to it, resolving a theme's elements for a terminal, and the compiled-in
 * fallback theme (see theme.h). Pure: no ncurses. */
#include "theme.h"

#include <stdlib.h>
#include <string.h>

#include "xmem.h"

/* xterm's default values of the 16 basic colours. */
static const uint8_t s_rgb16[16][3] = {
    {0, 0, 0},	   {205, 0, 0},	    {0, 205, 0},     {205, 205, 0},   {0, 0, 238}, {205, 0, 205},
    {0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0},     {0, 255, 0}, {255, 255, 0},
    {92, 92, 255}, {255, 0, 255},   {0, 255, 255},   {255, 255, 255},
};

static const uint8_t s_cube[6] = {0, 95, 135, 175, 215, 255};

void theme_index_to_rgb(int index, uint8_t *r, uint8_t *g, uint8_t *b)
{
	if (index < 0 || index > 255)
		index = 0;
	if (index < 16) {
		*r = s_rgb16[index][0];
		*g = s_rgb16[index][1];
		*b = s_rgb16[index][2];
	} else if (index < 232) {
		int i = index - 16;
		*r = s_cube[i / 36];
		*g = s_cube[(i / 6) % 6];
		*b = s_cube[i % 6];
	} else {
		*r = *g = *b = (uint8_t)(8 + 10 * (index - 232));
	}
}

static int s_cube_level(int v)
{
	if (v < 48)
		return 0;
	if (v < 115)
		return 1;
	return (v - 35) / 40;
}

static int s_dist2(int r1, int g1, int b1, int r2, int g2, int b2)
{
	return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2);
}

int theme_rgb_to_256(uint8_t r, uint8_t g, uint8_t b)
{
	int cr = s_cube_level(r), cg = s_cube_level(g), cb = s_cube_level(b);
	int cube = 16 + 36 * cr + 6 * cg + cb;
	int cube_d = s_dist2(r, g, b, s_cube[cr], s_cube[cg], s_cube[cb]);
	int avg = (r + g + b) / 3;
	int gi = avg > 238 ? 23 : (avg < 8 ? 0 : (avg - 3) / 10);
	if (gi > 23)
		gi = 23;
	int gv = 8 + 10 * gi;
	int grey_d = s_dist2(r, g, b, gv, gv, gv);
	return grey_d < cube_d ? 232 + gi : cube;
}

/* Keeps the hue: weakly saturated colours become black, grey, white or bright
 * white by lightness; others the basic colour of their hue sector (bright when
 * their brightest channel is near full), so a green stays a green. */
int theme_rgb_to_16(uint8_t r, uint8_t g, uint8_t b)
{
	int mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
	int mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
	int chroma = mx - mn;
	if (chroma < 48) {
		int avg = (r + g + b) / 3;
		return avg < 64 ? 0 : avg < 160 ? 8 : avg < 240 ? 7 : 15;
	}
	int h;
	if (mx == r)
		h = 60 * (g - b) / chroma;
	else if (mx == g)
		h = 120 + 60 * (b - r) / chroma;
	else
		h = 240 + 60 * (r - g) / chroma;
	if (h < 0)
		h += 360;
	static const int basic[6] = {1, 3, 2, 6, 4, 5}; /* red yellow green cyan blue magenta */
	int c = basic[((h + 30) / 60) % 6];
	return mx > 240 ? c + 8 : c;
}

void theme_caps_compute(struct theme_caps *c, int colors, const char *term, const char *no_color,
			bool default_colors)
{
	memset(c, 0, sizeof(*c));
	c->default_colors = default_colors;
	if (no_color || !term || !*term || strcmp(term, "dumb") == 0 || colors < 8)
		c->depth = THEME_DEPTH_MONO;
	else if (colors >= 0x1000000)
		c->depth = THEME_DEPTH_RGB;
	else if (colors >= 256)
		c->depth = THEME_DEPTH_256;
	else if (colors >= 16)
		c->depth = THEME_DEPTH_16;
	else
		c->depth = THEME_DEPTH_8;
}

static int s_to_16(const struct cell_color *c)
{
	if (c->kind == CELL_COLOR_256 && c->index < 16)
		return c->index;
	uint8_t r = c->r, g = c->g, b = c->b;
	if (c->kind == CELL_COLOR_256)
		theme_index_to_rgb(c->index, &r, &g, &b);
	return theme_rgb_to_16(r, g, b);
}

static int s_direct(const struct cell_color *c)
{
	if (c->kind == CELL_COLOR_256 && c->index < 8)
		return c->index; /* direct-colour terminfo keeps 0-7 as the ANSI colours */
	uint8_t r = c->r, g = c->g, b = c->b;
	if (c->kind == CELL_COLOR_256)
		theme_index_to_rgb(c->index, &r, &g, &b);
	int v = (r << 16) | (g << 8) | b;
	return v < 8 ? 8 : v;
}

int theme_map_color(const struct cell_color *c, const struct theme_caps *caps, bool is_fg,
		    uint8_t *extra_attrs)
{
	if (c->kind == CELL_COLOR_NONE || caps->depth == THEME_DEPTH_MONO)
		return -1;
	switch (caps->depth) {
	case THEME_DEPTH_RGB:
		return s_direct(c);
	case THEME_DEPTH_256:
		return c->kind == CELL_COLOR_256 ? c->index : theme_rgb_to_256(c->r, c->g, c->b);
	case THEME_DEPTH_16:
		return s_to_16(c);
	default:
		break;
	}
	int i = s_to_16(c);
	if (i == 8) /* grey: white text, black ground */
		return is_fg ? 7 : 0;
	if (i > 8) {
		if (is_fg && extra_attrs)
			*extra_attrs |= CELL_BOLD;
		i -= 8;
	}
	return i;
}

/* Attributes that make an element stand out when colours do not. */
static const uint8_t s_fallback[CELL_ELEM_COUNT] = {
    [CELL_DIM] = CELL_DIM_ATTR,
    [CELL_TITLE] = CELL_BOLD,
    [CELL_TITLE_FOCUSED] = CELL_BOLD | CELL_REVERSE,
    [CELL_BORDER_FOCUSED] = CELL_BOLD,
    [CELL_SELECTED] = CELL_REVERSE,
    [CELL_SELECTED_UNFOCUSED] = CELL_UNDERLINE,
    [CELL_HEADER] = CELL_BOLD | CELL_UNDERLINE,
    [CELL_STATUS_BAR] = CELL_REVERSE,
    [CELL_STATUS_ERROR] = CELL_REVERSE | CELL_BOLD,
    [CELL_STATUS_WARN] = CELL_REVERSE | CELL_UNDERLINE,
    [CELL_PROMPT] = CELL_BOLD,
    [CELL_KEY] = CELL_BOLD,
    [CELL_BUILD_QUEUED] = CELL_DIM_ATTR,
    [CELL_BUILD_RUNNING] = CELL_BOLD,
    [CELL_BUILD_FAILED] = CELL_BOLD | CELL_REVERSE,
    [CELL_BUILD_CANCELLED] = CELL_DIM_ATTR | CELL_UNDERLINE,
    [CELL_BUILD_TIMEDOUT] = CELL_BOLD | CELL_UNDERLINE,
    [CELL_BUILD_ERROR] = CELL_BOLD | CELL_REVERSE | CELL_UNDERLINE,
    [CELL_LOG_TIMESTAMP] = CELL_DIM_ATTR,
    [CELL_LOG_LINENO] = CELL_DIM_ATTR,
    [CELL_LOG_ERROR] = CELL_BOLD,
    [CELL_LOG_WARN] = CELL_UNDERLINE,
    [CELL_LOG_INERT] = CELL_DIM_ATTR | CELL_UNDERLINE,
    [CELL_SEARCH_MATCH] = CELL_REVERSE,
    [CELL_SEARCH_CURRENT] = CELL_REVERSE | CELL_BOLD | CELL_UNDERLINE,
    [CELL_PROGRESS] = CELL_REVERSE,
};

/* Each element and the one it must stand out from; partners come first. */
static const uint8_t s_partner[][2] = {
    {CELL_DIM, CELL_NORMAL},
    {CELL_TITLE_FOCUSED, CELL_TITLE},
    {CELL_BORDER_FOCUSED, CELL_BORDER},
    {CELL_SELECTED, CELL_NORMAL},
    {CELL_SELECTED_UNFOCUSED, CELL_NORMAL},
    {CELL_HEADER, CELL_NORMAL},
    {CELL_STATUS_BAR, CELL_NORMAL},
    {CELL_STATUS_ERROR, CELL_STATUS_BAR},
    {CELL_STATUS_WARN, CELL_STATUS_BAR},
    {CELL_KEY, CELL_NORMAL},
    {CELL_BUILD_QUEUED, CELL_BUILD_SUCCEEDED},
    {CELL_BUILD_RUNNING, CELL_BUILD_SUCCEEDED},
    {CELL_BUILD_FAILED, CELL_BUILD_SUCCEEDED},
    {CELL_BUILD_CANCELLED, CELL_BUILD_SUCCEEDED},
    {CELL_BUILD_TIMEDOUT, CELL_BUILD_SUCCEEDED},
    {CELL_BUILD_ERROR, CELL_BUILD_SUCCEEDED},
    {CELL_LOG_ERROR, CELL_LOG_TEXT},
    {CELL_LOG_WARN, CELL_LOG_TEXT},
    {CELL_LOG_INERT, CELL_LOG_TEXT},
    {CELL_SEARCH_MATCH, CELL_LOG_TEXT},
    {CELL_SEARCH_CURRENT, CELL_SEARCH_MATCH},
    {CELL_PROGRESS, CELL_NORMAL},
};

static bool s_same(const struct theme_term_style *a, const struct theme_term_style *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs;
}

/* Black or white, whichever reads on terminal colour bg. */
static int s_contrast(int bg, const struct theme_caps *caps)
{
	uint8_t r, g, b;
	if (caps->depth == THEME_DEPTH_RGB && bg >= 256) {
		r = (uint8_t)(bg >> 16);
		g = (uint8_t)(bg >> 8);
		b = (uint8_t)bg;
	} else {
		theme_index_to_rgb(bg, &r, &g, &b);
	}
	int lum = (299 * r + 587 * g + 114 * b) / 1000;
	if (lum > 140)
		return 0;
	return caps->depth >= THEME_DEPTH_16 && caps->depth != THEME_DEPTH_RGB ? 15 : 7;
}

static void s_resolve_one(const struct theme_style *st, int elem, const struct theme_caps *caps,
			  struct theme_term_style *o)
{
	if (caps->depth == THEME_DEPTH_MONO) {
		o->fg = o->bg = -1;
		o->attrs = st->has_mono ? st->mono_attrs : (uint8_t)(st->attrs | s_fallback[elem]);
		return;
	}
	uint8_t extra = 0;
	o->fg = theme_map_color(&st->fg, caps, true, &extra);
	o->bg = theme_map_color(&st->bg, caps, false, NULL);
	o->attrs = st->attrs | extra;
	if (!caps->default_colors) {
		if (o->fg < 0)
			o->fg = 7;
		if (o->bg < 0)
			o->bg = 0;
	}
	if (o->fg >= 0 && o->fg == o->bg)
		o->fg = s_contrast(o->bg, caps);
}

void theme_resolve(const struct theme *t, const struct theme_caps *caps,
		   struct theme_term_style out[CELL_ELEM_COUNT])
{
	for (int i = 0; i < CELL_ELEM_COUNT; i++)
		s_resolve_one(&t->elems[i], i, caps, &out[i]);
	for (size_t k = 0; k < sizeof(s_partner) / sizeof(s_partner[0]); k++) {
		int el = s_partner[k][0], partner = s_partner[k][1];
		if (!s_same(&out[el], &out[partner]))
			continue;
		uint8_t add = s_fallback[el];
		if (caps->depth != THEME_DEPTH_MONO && t->elems[el].has_mono)
			add = t->elems[el].mono_attrs;
		out[el].attrs |= add;
		if (s_same(&out[el], &out[partner]))
			out[el].attrs ^= CELL_UNDERLINE; /* still alike: differ somehow */
	}
}

/* ---- The compiled-in theme -------------------------------------------------- */

/* fg, bg (basic colour or -1 for default), attrs. */
static const int8_t s_builtin[CELL_ELEM_COUNT][3] = {
    [CELL_NORMAL] = {-1, -1, 0},
    [CELL_DIM] = {8, -1, 0},
    [CELL_TITLE] = {-1, -1, CELL_BOLD},
    [CELL_TITLE_FOCUSED] = {0, 6, CELL_BOLD},
    [CELL_BORDER] = {8, -1, 0},
    [CELL_BORDER_FOCUSED] = {6, -1, CELL_BOLD},
    [CELL_SELECTED] = {0, 6, 0},
    [CELL_SELECTED_UNFOCUSED] = {-1, 8, 0},
    [CELL_HEADER] = {-1, -1, CELL_BOLD | CELL_UNDERLINE},
    [CELL_STATUS_BAR] = {0, 7, 0},
    [CELL_STATUS_ERROR] = {15, 1, CELL_BOLD},
    [CELL_STATUS_WARN] = {0, 3, 0},
    [CELL_PROMPT] = {-1, -1, CELL_BOLD},
    [CELL_KEY] = {3, -1, CELL_BOLD},
    [CELL_BUILD_QUEUED] = {8, -1, 0},
    [CELL_BUILD_RUNNING] = {4, -1, CELL_BOLD},
    [CELL_BUILD_SUCCEEDED] = {2, -1, 0},
    [CELL_BUILD_FAILED] = {1, -1, CELL_BOLD},
    [CELL_BUILD_CANCELLED] = {5, -1, 0},
    [CELL_BUILD_TIMEDOUT] = {3, -1, CELL_BOLD},
    [CELL_BUILD_ERROR] = {9, -1, CELL_BOLD | CELL_UNDERLINE},
    [CELL_LOG_TEXT] = {-1, -1, 0},
    [CELL_LOG_TIMESTAMP] = {8, -1, 0},
    [CELL_LOG_LINENO] = {8, -1, 0},
    [CELL_LOG_ERROR] = {9, -1, CELL_BOLD},
    [CELL_LOG_WARN] = {3, -1, 0},
    [CELL_LOG_INERT] = {5, -1, CELL_REVERSE},
    [CELL_SEARCH_MATCH] = {0, 3, 0},
    [CELL_SEARCH_CURRENT] = {0, 11, CELL_BOLD | CELL_UNDERLINE},
    [CELL_PROGRESS] = {0, 6, 0},
};

static struct cell_color s_basic_color(int v)
{
	struct cell_color c = {0};
	if (v >= 0) {
		c.kind = CELL_COLOR_256;
		c.index = (uint8_t)v;
	}
	return c;
}

struct theme *theme_new_fallback(void)
{
	struct theme *t = xcalloc(1, sizeof(*t));
	t->name = xstrdup("builtin");
	t->path = xstrdup("(built in)");
	for (int i = 0; i < CELL_ELEM_COUNT; i++) {
		t->elems[i].fg = s_basic_color(s_builtin[i][0]);
		t->elems[i].bg = s_basic_color(s_builtin[i][1]);
		t->elems[i].attrs = (uint8_t)s_builtin[i][2];
		t->elems[i].defined = true;
	}
	return t;
}
