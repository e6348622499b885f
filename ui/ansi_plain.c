/* ansi_plain: a log line without its SGR sequences, for regex matching, with
 * a mapping of offsets back to the raw line (ansi.h). */
#include "ansi.h"

#include <stdlib.h>
#include <string.h>

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

void ansi_plain_init(struct ansi_plain *p)
{
	memset(p, 0, sizeof(*p));
}

void ansi_plain_cleanup(struct ansi_plain *p)
{
	free(p->buf);
	free(p->segs);
	memset(p, 0, sizeof(*p));
}

static int s_plain_copy(struct ansi_plain *p, const char *line, size_t from, size_t to)
{
	if (p->nsegs == 0 ||
	    p->segs[p->nsegs - 1].raw + (p->len - p->segs[p->nsegs - 1].plain) != from) {
		if (!s_grow((void **)&p->segs, &p->segs_cap, p->nsegs + 1, sizeof(*p->segs)))
			return -1;
		p->segs[p->nsegs].plain = p->len;
		p->segs[p->nsegs].raw = from;
		p->nsegs++;
	}
	memcpy(p->buf + p->len, line + from, to - from);
	p->len += to - from;
	return 0;
}

/* Removing SGR sequences and a final CR is all the decoder's TEXT/STRING
 * modes change for matching: an ESC always ends a string and SGR is
 * recognised wherever an ESC [ ... m stands, so a direct scan gives the same
 * text as decoding glyph by glyph (test_ansi checks both agree). */
int ansi_plain_set(struct ansi_plain *p, const char *line, size_t len)
{
	p->text = line;
	p->len = len;
	p->nsegs = 0;
	bool cr = len > 0 && line[len - 1] == '\r';
	const char *esc = memchr(line, 0x1b, len);
	if (!esc && !cr)
		return 0;
	if (!s_grow((void **)&p->buf, &p->buf_cap, len + 1, 1))
		return -1;
	size_t end = cr ? len - 1 : len, from = 0, at = esc ? (size_t)(esc - line) : end;
	p->len = 0;
	p->text = p->buf;
	while (at < end) {
		size_t n = ansi_sgr_len(line + at, len - at);
		if (n == 0) {
			const char *q = memchr(line + at + 1, 0x1b, end - at - 1);
			at = q ? (size_t)(q - line) : end;
			continue;
		}
		if (at > from && s_plain_copy(p, line, from, at))
			return -1;
		from = at = at + n;
		const char *q = at < end ? memchr(line + at, 0x1b, end - at) : NULL;
		at = q ? (size_t)(q - line) : end;
	}
	if (end > from && s_plain_copy(p, line, from, end))
		return -1;
	if (p->nsegs == 0) {
		/* everything removed: one empty segment keeps the mapping defined */
		if (!s_grow((void **)&p->segs, &p->segs_cap, 1, sizeof(*p->segs)))
			return -1;
		p->segs[0].plain = 0;
		p->segs[0].raw = 0;
		p->nsegs = 1;
	}
	return 0;
}

size_t ansi_plain_to_raw(const struct ansi_plain *p, size_t off, bool is_end)
{
	if (p->nsegs == 0)
		return off;
	if (off > p->len)
		off = p->len;
	if (!is_end && off == p->len && off > 0)
		is_end = true;
	if (is_end && off == 0)
		is_end = false;
	size_t x = is_end ? off - 1 : off;
	size_t lo = 0, hi = p->nsegs;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->segs[mid].plain <= x)
			lo = mid;
		else
			hi = mid;
	}
	size_t raw = p->segs[lo].raw + (x - p->segs[lo].plain);
	return is_end ? raw + 1 : raw;
}
