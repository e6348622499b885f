/* ansi_sgr: the parameters of SGR sequences (ansi.h): attributes, the 16
 * colours and their bright forms, 256 colours and 24-bit colours in both the
 * ';' and the ITU ':' forms. Codes that do not change how text looks on a
 * log pane (blink, conceal, fonts, ...) are ignored. */
#include "ansi.h"

#include <string.h>

static void s_sgr_reset(struct ansi_state *st)
{
	st->attrs = 0;
	memset(&st->fg, 0, sizeof(st->fg));
	memset(&st->bg, 0, sizeof(st->bg));
}

static unsigned s_clamp8(unsigned v)
{
	return v > 255 ? 255 : v;
}

/* An extended colour (after 38/48/58): args are the values following it;
 * `colon` says they are its sub-parameters. Returns how many args belong to
 * it; *ok says whether they make a colour. */
static size_t s_ext_color(const unsigned *a, size_t n, bool colon, struct cell_color *out, bool *ok)
{
	*ok = false;
	if (n == 0)
		return 0;
	if (a[0] == 5) {
		if (n < 2)
			return n;
		out->kind = CELL_COLOR_256;
		out->index = (uint8_t)s_clamp8(a[1]);
		*ok = true;
		return colon ? n : 2;
	}
	if (a[0] == 2) {
		size_t first = colon && n >= 5 ? 2 : 1; /* colon form may carry a colour space */
		if (n < first + 3)
			return n;
		out->kind = CELL_COLOR_RGB;
		out->r = (uint8_t)s_clamp8(a[first]);
		out->g = (uint8_t)s_clamp8(a[first + 1]);
		out->b = (uint8_t)s_clamp8(a[first + 2]);
		*ok = true;
		return colon ? n : 4;
	}
	return colon ? n : 0;
}

static void s_sgr_basic(struct ansi_state *st, unsigned c, const unsigned *sub, size_t nsub)
{
	if (c == 0) {
		s_sgr_reset(st);
	} else if (c == 1) {
		st->attrs |= CELL_BOLD;
	} else if (c == 2) {
		st->attrs |= CELL_DIM_ATTR;
	} else if (c == 3) {
		st->attrs |= CELL_ITALIC;
	} else if (c == 4) {
		if (nsub > 0 && sub[0] == 0)
			st->attrs &= (uint8_t)~CELL_UNDERLINE;
		else
			st->attrs |= CELL_UNDERLINE;
	} else if (c == 7) {
		st->attrs |= CELL_REVERSE;
	} else if (c == 21) {
		st->attrs |= CELL_UNDERLINE;
	} else if (c == 22) {
		st->attrs &= (uint8_t) ~(CELL_BOLD | CELL_DIM_ATTR);
	} else if (c == 23) {
		st->attrs &= (uint8_t)~CELL_ITALIC;
	} else if (c == 24) {
		st->attrs &= (uint8_t)~CELL_UNDERLINE;
	} else if (c == 27) {
		st->attrs &= (uint8_t)~CELL_REVERSE;
	} else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) {
		st->fg.kind = CELL_COLOR_256;
		st->fg.index = (uint8_t)(c >= 90 ? c - 90 + 8 : c - 30);
	} else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) {
		st->bg.kind = CELL_COLOR_256;
		st->bg.index = (uint8_t)(c >= 100 ? c - 100 + 8 : c - 40);
	} else if (c == 39) {
		memset(&st->fg, 0, sizeof(st->fg));
	} else if (c == 49) {
		memset(&st->bg, 0, sizeof(st->bg));
	}
	/* blink, conceal, strike-through, fonts, ...: ignored */
}

void ansi_sgr_apply(struct ansi_state *st, const char *s, size_t n)
{
	unsigned v[32];
	bool sub[32];
	size_t k = 0;
	unsigned cur = 0;
	bool cur_sub = false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == ';' || s[i] == ':') {
			if (k < 32) {
				v[k] = cur;
				sub[k] = cur_sub;
				k++;
			}
			cur = 0;
			cur_sub = i < n && s[i] == ':';
		} else if (cur < 100000) {
			cur = cur * 10 + (unsigned)(s[i] - '0');
		}
	}
	for (size_t i = 0; i < k;) {
		size_t g = 1;
		while (i + g < k && sub[i + g])
			g++;
		unsigned c = v[i];
		if (c == 38 || c == 48 || c == 58) {
			struct cell_color col = {0};
			bool ok;
			size_t used = g > 1 ? s_ext_color(v + i + 1, g - 1, true, &col, &ok)
					    : s_ext_color(v + i + 1, k - i - 1, false, &col, &ok);
			if (ok && c == 38)
				st->fg = col;
			else if (ok && c == 48)
				st->bg = col;
			i += 1 + used;
			continue;
		}
		s_sgr_basic(st, c, v + i + 1, g - 1);
		i += g;
	}
}
