/* logstore_cursor: sequential walk over a logstore's lines for whole-log search
 * (logstore.h). The spool is read in 1 MiB chunks into the cursor's own buffer
 * and lines are split with memchr/memrchr; the index is consulted only to place
 * the cursor and for lines longer than max_line (whose text is cut there), so a
 * scan costs about one pass over the bytes whatever the line lengths. */
#include "logstore.h"
#include "logstore_priv.h"

#include <stdlib.h>
#include <string.h>

#define CURSOR_CHUNK_BYTES ((size_t)1 << 20)

struct logstore_cursor {
	struct logstore *ls;
	int dir;
	size_t max_line;
	uint64_t line;	       /* the next line to yield */
	uint64_t pos;	       /* forward: its start; backward: its end */
	size_t scanned;	       /* bytes next to pos (after it forward, before it
				  backward) known to hold no '\n' */
	uint64_t partial_line; /* backward: the final partial line, or UINT64_MAX */
	bool partial_out;      /* forward: the line at pos went out partial... */
	uint64_t partial_len;  /* ...this long */
	bool done;	       /* backward: line 0 went out */
	char *buf;	       /* spool bytes [buf_off, buf_off + buf_len) */
	size_t cap;
	uint64_t buf_off;
	size_t buf_len;
};

static uint64_t s_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Makes the buffer hold at least `need` bytes, keeping its first `need` bytes;
 * gives memory back after a long line has passed. */
static int s_room(struct logstore_cursor *c, size_t need, struct err *e)
{
	if (need < CURSOR_CHUNK_BYTES)
		need = CURSOR_CHUNK_BYTES;
	if (need <= c->cap && !(c->cap > 4 * CURSOR_CHUNK_BYTES && need <= c->cap / 4))
		return 0;
	char *b = realloc(c->buf, need);
	if (!b)
		return err_set(e, ERR_INTERNAL, "out of memory searching log %.300s",
			       logstore_path(c->ls));
	c->buf = b;
	c->cap = need;
	return 0;
}

static void s_out(struct logstore_cursor *c, struct logstore_line *out, uint64_t start,
		  uint64_t length, const char *text, bool partial)
{
	out->line = c->line;
	out->offset = start;
	out->length = length;
	out->arrival_ms = LOGSTORE_TIME_UNKNOWN;
	out->text = text;
	out->text_len = (size_t)s_min(length, c->max_line);
	out->partial = partial;
}

/* Empties the buffer if pos is not inside it. */
static void s_sync(struct logstore_cursor *c)
{
	if (c->pos < c->buf_off || c->pos > c->buf_off + c->buf_len) {
		c->buf_off = c->pos;
		c->buf_len = 0;
		c->scanned = 0;
	}
}

/* --- forward --------------------------------------------------------------- */

/* A line longer than max_line with no '\n' in the buffer yet: its end comes
 * from the index; its text is the max_line bytes already buffered. */
static int s_fwd_long(struct logstore_cursor *c, struct logstore_line *out, struct err *e)
{
	struct logstore_view v;
	uint64_t start, end;
	if (logstore_locate(c->ls, c->line, &v, &start, &end, e))
		return -1;
	bool partial = c->line >= v.newlines;
	s_out(c, out, c->pos, end - c->pos, c->buf + (c->pos - c->buf_off), partial);
	if (partial) {
		c->partial_out = true;
		c->partial_len = end - c->pos;
	} else {
		c->pos = end + 1;
		c->line++;
		c->scanned = 0;
	}
	return 1;
}

/* Moves the unfinished line to the buffer's front and reads the next chunk. */
static int s_fwd_fill(struct logstore_cursor *c, const struct logstore_view *v, struct err *e)
{
	size_t keep = c->buf_len - (size_t)(c->pos - c->buf_off);
	uint64_t from = c->pos + keep;
	size_t want = (size_t)s_min(CURSOR_CHUNK_BYTES, v->bytes - from);
	if (keep > 0)
		memmove(c->buf, c->buf + (c->pos - c->buf_off), keep);
	c->buf_off = c->pos;
	c->buf_len = keep;
	if (s_room(c, keep + want, e) || logstore_read_exact(c->ls, c->buf + keep, want, from, e))
		return -1;
	c->buf_len = keep + want;
	return 0;
}

static int s_fwd_next(struct logstore_cursor *c, struct logstore_line *out, struct err *e)
{
	struct logstore_view v;
	logstore_view_get(c->ls, &v);
	if (v.bytes < c->buf_off + c->buf_len || v.bytes < c->pos)
		return err_set(e, ERR_IO, "log %.300s shrank while being read",
			       logstore_path(c->ls));
	if (c->partial_out) {
		if (v.bytes == c->pos + c->partial_len)
			return 0;
		c->partial_out = false;
	}
	for (;;) {
		s_sync(c);
		char *text = c->buf + (c->pos - c->buf_off);
		size_t avail = c->buf_len - (size_t)(c->pos - c->buf_off);
		if (c->scanned < avail) {
			char *q = memchr(text + c->scanned, '\n', avail - c->scanned);
			if (q) {
				s_out(c, out, c->pos, (uint64_t)(q - text), text, false);
				c->pos += (uint64_t)(q - text) + 1;
				c->line++;
				c->scanned = 0;
				return 1;
			}
			c->scanned = avail;
		}
		if (avail >= c->max_line)
			return s_fwd_long(c, out, e);
		if (c->pos + avail < v.bytes) {
			if (s_fwd_fill(c, &v, e))
				return -1;
			continue;
		}
		if (avail == 0)
			return 0;
		s_out(c, out, c->pos, avail, text, true);
		c->partial_out = true;
		c->partial_len = avail;
		return 1;
	}
}

/* --- backward -------------------------------------------------------------- */

/* The last '\n' in [lo, hi), or NULL. memrchr over windows, so the cost follows
 * the distance to the newline even where memrchr checks its whole range first
 * (sanitizer interceptors do). */
static const char *s_rfind(const char *lo, const char *hi)
{
	while (hi > lo) {
		size_t n = (size_t)(hi - lo) < 4096 ? (size_t)(hi - lo) : 4096;
		const char *q = memrchr(hi - n, '\n', n);
		if (q)
			return q;
		hi -= n;
	}
	return NULL;
}

static void s_back_advance(struct logstore_cursor *c, uint64_t start)
{
	if (start == 0) {
		c->done = true;
		return;
	}
	c->pos = start - 1;
	c->line--;
	c->scanned = 0;
}

/* A line longer than max_line: its start comes from the index and its first
 * max_line bytes are read there. */
static int s_back_long(struct logstore_cursor *c, struct logstore_line *out, struct err *e)
{
	struct logstore_view v;
	uint64_t start, end;
	if (logstore_locate(c->ls, c->line, &v, &start, &end, e) || s_room(c, c->max_line, e))
		return -1;
	c->buf_len = 0;
	if (logstore_read_exact(c->ls, c->buf, c->max_line, start, e))
		return -1;
	c->buf_off = start;
	c->buf_len = c->max_line;
	s_out(c, out, start, c->pos - start, c->buf, c->line == c->partial_line);
	s_back_advance(c, start);
	return 1;
}

/* Reads the chunk before the buffer, keeping the part of the line seen so far. */
static int s_back_fill(struct logstore_cursor *c, struct err *e)
{
	size_t keep = (size_t)(c->pos - c->buf_off);
	uint64_t from = c->buf_off > CURSOR_CHUNK_BYTES ? c->buf_off - CURSOR_CHUNK_BYTES : 0;
	size_t rd = (size_t)(c->buf_off - from);
	c->buf_len = keep;
	if (s_room(c, keep + rd, e))
		return -1;
	memmove(c->buf + rd, c->buf, keep);
	c->buf_len = 0;
	if (logstore_read_exact(c->ls, c->buf, rd, from, e))
		return -1;
	c->buf_off = from;
	c->buf_len = keep + rd;
	return 0;
}

static int s_back_next(struct logstore_cursor *c, struct logstore_line *out, struct err *e)
{
	while (!c->done) {
		s_sync(c);
		size_t below = (size_t)(c->pos - c->buf_off);
		uint64_t start = 0;
		bool found = false;
		if (c->scanned < below) {
			const char *q = s_rfind(c->buf, c->buf + below - c->scanned);
			if (q) {
				start = c->buf_off + (uint64_t)(q - c->buf) + 1;
				found = true;
			}
			c->scanned = below;
		}
		if (found || c->buf_off == 0) {
			s_out(c, out, start, c->pos - start, c->buf + (start - c->buf_off),
			      c->line == c->partial_line);
			s_back_advance(c, start);
			return 1;
		}
		if (below >= c->max_line)
			return s_back_long(c, out, e);
		if (s_back_fill(c, e))
			return -1;
	}
	return 0;
}

/* --- public ---------------------------------------------------------------- */

static int s_place(struct logstore_cursor *c, uint64_t line, struct err *e)
{
	struct logstore_view v;
	uint64_t start, end;
	logstore_view_get(c->ls, &v);
	uint64_t nlines = v.newlines + (v.at_line_start ? 0 : 1);
	if (c->dir > 0) {
		/* v.newlines is the final partial line, or the next line to come */
		c->line = s_min(line, v.newlines);
		if (logstore_locate(c->ls, c->line, &v, &start, &end, e))
			return -1;
		c->pos = start;
	} else if (nlines == 0) {
		c->done = true;
	} else {
		c->line = s_min(line, nlines - 1);
		if (logstore_locate(c->ls, c->line, &v, &start, &end, e))
			return -1;
		c->partial_line = v.at_line_start ? UINT64_MAX : v.newlines;
		c->pos = end;
	}
	c->buf_off = c->pos;
	return 0;
}

struct logstore_cursor *logstore_cursor_new(struct logstore *ls, uint64_t line, int direction,
					    size_t max_line_bytes, struct err *e)
{
	struct logstore_cursor *c = calloc(1, sizeof(*c));
	if (!c) {
		err_set(e, ERR_INTERNAL, "out of memory searching log %.300s", logstore_path(ls));
		return NULL;
	}
	c->ls = logstore_ref(ls);
	c->dir = direction >= 0 ? 1 : -1;
	c->max_line = max_line_bytes ? max_line_bytes : LOGSTORE_CURSOR_MAX_LINE_DEFAULT;
	c->partial_line = UINT64_MAX;
	if (s_place(c, line, e)) {
		logstore_cursor_free(c);
		return NULL;
	}
	return c;
}

int logstore_cursor_next(struct logstore_cursor *c, struct logstore_line *out, struct err *e)
{
	return c->dir > 0 ? s_fwd_next(c, out, e) : s_back_next(c, out, e);
}

uint64_t logstore_cursor_offset(const struct logstore_cursor *c)
{
	return c->pos;
}

void logstore_cursor_free(struct logstore_cursor *c)
{
	if (!c)
		return;
	logstore_unref(c->ls);
	free(c->buf);
	free(c);
}
