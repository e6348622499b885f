#include "view.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "xmem.h"

#define CHUNK_BYTES (64u * 1024u)

struct view_chunk {
	struct view_chunk *next;
	size_t used, cap;
	char data[];
};

void view_canvas_init(struct view_canvas *c)
{
	memset(c, 0, sizeof(*c));
	c->cursor_y = c->cursor_x = -1;
}

void view_canvas_cleanup(struct view_canvas *c)
{
	for (int i = 0; i < c->rows; i++)
		free(c->row[i].runs);
	free(c->row);
	for (struct view_chunk *k = c->chunks, *next; k; k = next) {
		next = k->next;
		free(k);
	}
	view_canvas_init(c);
}

void view_canvas_reset(struct view_canvas *c, int rows, int cols)
{
	if (rows < 0)
		rows = 0;
	if (rows != c->rows) {
		for (int i = rows; i < c->rows; i++)
			free(c->row[i].runs);
		c->row = xrealloc(c->row, (size_t)(rows ? rows : 1) * sizeof(*c->row));
		for (int i = c->rows; i < rows; i++)
			memset(&c->row[i], 0, sizeof(c->row[i]));
		c->rows = rows;
	}
	c->cols = cols;
	for (int i = 0; i < rows; i++)
		c->row[i].n = 0;
	for (struct view_chunk *k = c->chunks; k; k = k->next)
		k->used = 0;
	c->cursor_y = c->cursor_x = -1;
}

static char *s_alloc(struct view_canvas *c, size_t len)
{
	for (struct view_chunk *k = c->chunks; k; k = k->next) {
		if (k->cap - k->used >= len) {
			char *p = k->data + k->used;
			k->used += len;
			return p;
		}
	}
	size_t cap = len > CHUNK_BYTES ? len : CHUNK_BYTES;
	struct view_chunk *k = xmalloc(sizeof(*k) + cap);
	k->cap = cap;
	k->used = len;
	k->next = c->chunks;
	c->chunks = k;
	return k->data;
}

static struct view_run *s_run(struct view_canvas *c, int y)
{
	struct view_row *row = &c->row[y];
	if (row->n == row->cap) {
		row->cap = row->cap ? row->cap * 2 : 8;
		row->runs = xrealloc(row->runs, row->cap * sizeof(*row->runs));
	}
	struct view_run *r = &row->runs[row->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* One character of text at p (n bytes left): its length in bytes (0 for an
 * invalid or control byte, which shows as one '?') and its width. */
int view_put(struct view_canvas *c, const struct layout_rect *r, int y, int x, const char *text,
	     size_t len, struct cell_style st)
{
	if (!r || y < 0 || y >= r->h || x < 0 || x >= r->w || r->y + y >= c->rows)
		return 0;
	int room = r->w - x;
	if (r->x + x + room > c->cols)
		room = c->cols - r->x - x;
	if (room <= 0)
		return 0;
	/* copy what fits, replacing controls and invalid bytes by '?' */
	char *out = s_alloc(c, len < (size_t)room * 4 ? len : (size_t)room * 4);
	size_t cap = len < (size_t)room * 4 ? len : (size_t)room * 4;
	size_t o = 0;
	int cols = 0;
	for (size_t i = 0; i < len;) {
		wchar_t wc;
		int w;
		bool printable;
		size_t k = utf8_next(text + i, len - i, &wc, &w, &printable);
		if (cols + w > room || o + (printable ? k : 1) > cap)
			break;
		if (printable) {
			memcpy(out + o, text + i, k);
			o += k;
		} else {
			out[o++] = '?';
		}
		i += k;
		cols += w;
	}
	if (o == 0)
		return 0;
	struct view_run *run = s_run(c, r->y + y);
	run->x = r->x + x;
	run->width = cols;
	run->kind = VIEW_RUN_TEXT;
	run->span.text = out;
	run->span.len = o;
	run->span.style = st;
	return cols;
}

int view_puts(struct view_canvas *c, const struct layout_rect *r, int y, int x, uint16_t elem,
	      uint8_t attrs, const char *text)
{
	struct cell_style st = {.elem = elem, .attrs = attrs};
	return view_put(c, r, y, x, text, strlen(text), st);
}

int view_printf(struct view_canvas *c, const struct layout_rect *r, int y, int x, uint16_t elem,
		const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return view_puts(c, r, y, x, elem, 0, buf);
}

void view_fill(struct view_canvas *c, const struct layout_rect *r, int y, uint16_t elem)
{
	if (!r || y < 0 || y >= r->h || r->w <= 0)
		return;
	char *sp = s_alloc(c, (size_t)r->w);
	memset(sp, ' ', (size_t)r->w);
	struct cell_style st = {.elem = elem};
	view_put(c, r, y, 0, sp, (size_t)r->w, st);
}

void view_progress(struct view_canvas *c, const struct layout_rect *r, int y, int x, int width,
		   uint64_t done, uint64_t total, const char *label)
{
	if (!r || y < 0 || y >= r->h || x < 0 || x >= r->w || r->y + y >= c->rows)
		return;
	if (width > r->w - x)
		width = r->w - x;
	if (width <= 0)
		return;
	size_t len = strlen(label ? label : "");
	char *text = s_alloc(c, len + 1);
	memcpy(text, label ? label : "", len + 1);
	struct view_run *run = s_run(c, r->y + y);
	run->x = r->x + x;
	run->width = width;
	run->kind = VIEW_RUN_PROGRESS;
	run->span.text = text;
	run->span.len = len;
	run->span.style.elem = CELL_PROGRESS;
	run->done = done;
	run->total = total;
}

int view_spans(struct view_canvas *c, const struct layout_rect *r, int y, int x,
	       const struct cell_span *spans, size_t n)
{
	int cols = 0;
	for (size_t i = 0; i < n; i++) {
		int w = view_put(c, r, y, x + cols, spans[i].text, spans[i].len, spans[i].style);
		cols += w;
		if (w == 0 && spans[i].len > 0 && x + cols >= r->w)
			break;
	}
	return cols;
}

char *view_canvas_row_text(const struct view_canvas *c, int y)
{
	if (y < 0 || y >= c->rows)
		return xstrdup("");
	/* one byte per column, except multi-byte characters: rebuild by columns */
	size_t cols = (size_t)(c->cols > 0 ? c->cols : 0);
	char **cell = xcalloc(cols + 1, sizeof(*cell));
	const struct view_row *row = &c->row[y];
	for (size_t i = 0; i < row->n; i++) {
		const struct view_run *run = &row->runs[i];
		const char *t = run->span.text;
		size_t len = run->span.len, pos = 0;
		int col = run->x;
		if (run->kind == VIEW_RUN_PROGRESS) {
			for (int k = 0; k < run->width && col + k < (int)cols; k++) {
				free(cell[col + k]);
				cell[col + k] = xstrdup(k < (int)len ? (char[]){t[k], 0} : " ");
			}
			continue;
		}
		while (pos < len && col < (int)cols) {
			wchar_t wc;
			int w;
			bool printable;
			size_t nb = utf8_next(t + pos, len - pos, &wc, &w, &printable);
			free(cell[col]);
			cell[col] = xstrndup(t + pos, nb);
			for (int extra = 1; extra < w && col + extra < (int)cols; extra++) {
				free(cell[col + extra]);
				cell[col + extra] = xstrdup("");
			}
			col += w > 0 ? w : 0;
			pos += nb;
		}
	}
	size_t total = 1;
	for (size_t i = 0; i < cols; i++)
		total += cell[i] ? strlen(cell[i]) : 1;
	char *out = xmalloc(total);
	size_t o = 0;
	for (size_t i = 0; i < cols; i++) {
		const char *s = cell[i] ? cell[i] : " ";
		size_t l = strlen(s);
		memcpy(out + o, s, l);
		o += l;
		free(cell[i]);
	}
	free(cell);
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

void view_title(struct view_canvas *c, const struct layout_rect *r, bool focused, const char *title,
		const char *detail)
{
	uint16_t elem = focused ? CELL_TITLE_FOCUSED : CELL_TITLE;
	view_fill(c, r, 0, elem);
	int x = view_puts(c, r, 0, 0, elem, CELL_BOLD, " ");
	x += view_puts(c, r, 0, x, elem, CELL_BOLD, title);
	if (detail && *detail) {
		x += view_puts(c, r, 0, x, elem, 0, "  ");
		view_puts(c, r, 0, x, elem, 0, detail);
	}
}
