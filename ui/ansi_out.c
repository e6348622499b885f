/* ansi_out: the span list views fill (ansi.h). Span text lives in one
 * growable buffer; pointers are set by ansi_out_finish once it stops moving. */
#include "ansi.h"

#include <stdlib.h>
#include <string.h>

void ansi_out_init(struct ansi_out *o)
{
	memset(o, 0, sizeof(*o));
}

void ansi_out_cleanup(struct ansi_out *o)
{
	free(o->spans);
	free(o->offs);
	free(o->text);
	memset(o, 0, sizeof(*o));
}

void ansi_out_reset(struct ansi_out *o)
{
	o->nspans = 0;
	o->text_len = 0;
	o->no_merge = false;
	o->failed = false;
}

static bool s_style_eq(const struct cell_style *a, const struct cell_style *b)
{
	return a->elem == b->elem && a->attrs == b->attrs && a->fg.kind == b->fg.kind &&
	       a->fg.index == b->fg.index && a->fg.r == b->fg.r && a->fg.g == b->fg.g &&
	       a->fg.b == b->fg.b && a->bg.kind == b->bg.kind && a->bg.index == b->bg.index &&
	       a->bg.r == b->bg.r && a->bg.g == b->bg.g && a->bg.b == b->bg.b;
}

static bool s_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

/* Room for `n` more text bytes and one more span. */
static bool s_out_room(struct ansi_out *o, size_t n)
{
	if (!s_grow((void **)&o->text, &o->text_cap, o->text_len + n, 1))
		goto fail;
	if (o->nspans + 1 > o->spans_cap) {
		size_t cap = o->spans_cap ? o->spans_cap * 2 : 64;
		struct cell_span *s = realloc(o->spans, cap * sizeof(*s));
		if (!s)
			goto fail;
		o->spans = s;
		size_t *f = realloc(o->offs, cap * sizeof(*f));
		if (!f)
			goto fail;
		o->offs = f;
		o->spans_cap = cap;
	}
	return true;
fail:
	o->failed = true;
	return false;
}

static void s_out_put(struct ansi_out *o, const char *text, size_t len, bool spaces,
		      const struct cell_style *style)
{
	if (len == 0 || !s_out_room(o, len))
		return;
	if (spaces)
		memset(o->text + o->text_len, ' ', len);
	else
		memcpy(o->text + o->text_len, text, len);
	size_t last = o->nspans - 1;
	if (!o->no_merge && o->nspans > 0 && s_style_eq(&o->spans[last].style, style) &&
	    o->offs[last] + o->spans[last].len == o->text_len) {
		o->spans[last].len += len;
	} else {
		o->offs[o->nspans] = o->text_len;
		o->spans[o->nspans].text = NULL;
		o->spans[o->nspans].len = len;
		o->spans[o->nspans].style = *style;
		o->nspans++;
	}
	o->text_len += len;
	o->no_merge = false;
}

void ansi_out_add(struct ansi_out *o, const char *text, size_t len, const struct cell_style *style)
{
	s_out_put(o, text, len, false, style);
}

void ansi_out_spaces(struct ansi_out *o, size_t n, const struct cell_style *style)
{
	s_out_put(o, NULL, n, true, style);
}

void ansi_out_break(struct ansi_out *o)
{
	o->no_merge = true;
}

void ansi_out_finish(struct ansi_out *o)
{
	for (size_t i = 0; i < o->nspans; i++)
		o->spans[i].text = o->text + o->offs[i];
}
