/* search: PCRE2 patterns, per-line hits, and the whole-log jobs of log panes
 * (seek, count, filter) run in bounded slices over logstore cursors
 * (search.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "search.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logstore.h"
#include "search_priv.h"

/* Bounds on one line's matching: catastrophic patterns stop here. */
#define MATCH_LIMIT	2000000u
#define JIT_STACK_BYTES (1024u * 1024u)

int64_t search_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- patterns --------------------------------------------------------------- */

struct search_re {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	char *pattern;
	bool caseless;
	bool jit; /* JIT-compiled: matched with pcre2_jit_match (no per-call checks) */
};

/* Smart case: an upper-case ASCII letter that is not part of an escape
 * (\S, \W, \D, \B, \p{Lu}, ...) makes the search case-sensitive. */
static bool s_has_upper(const char *p)
{
	for (; *p; p++) {
		if (*p == '\\') {
			if (!p[1])
				break;
			p++;
			if ((*p == 'p' || *p == 'P') && p[1] == '{') {
				const char *q = strchr(p, '}');
				if (q)
					p = q;
			}
			continue;
		}
		if (isupper((unsigned char)*p))
			return true;
	}
	return false;
}

struct search_re *search_re_new(const char *pattern, unsigned flags, struct err *e)
{
	struct search_re *re = calloc(1, sizeof(*re));
	if (!re || !(re->pattern = strdup(pattern)))
		goto oom;
	re->caseless =
	    (flags & SEARCH_CASELESS) || ((flags & SEARCH_SMART_CASE) && !s_has_upper(pattern));
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (re->caseless ? PCRE2_CASELESS : 0);
	int code;
	PCRE2_SIZE at;
	re->code =
	    pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code, &at, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[256];
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			strcpy((char *)msg, "unknown error");
		err_set(e, ERR_USAGE, "bad pattern at offset %zu: %.200s", (size_t)at, (char *)msg);
		search_re_free(re);
		return NULL;
	}
	/* JIT when the platform allows; the interpreter otherwise */
	re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->md || !re->mctx)
		goto oom;
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	re->jit_stack = pcre2_jit_stack_create(32 * 1024, JIT_STACK_BYTES, NULL);
	if (re->jit_stack)
		pcre2_jit_stack_assign(re->mctx, NULL, re->jit_stack);
	return re;
oom:
	err_set(e, ERR_INTERNAL, "out of memory compiling a search pattern");
	search_re_free(re);
	return NULL;
}

void search_re_free(struct search_re *re)
{
	if (!re)
		return;
	pcre2_jit_stack_free(re->jit_stack);
	pcre2_match_context_free(re->mctx);
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re->pattern);
	free(re);
}

const char *search_re_pattern(const struct search_re *re)
{
	return re->pattern;
}

bool search_re_caseless(const struct search_re *re)
{
	return re->caseless;
}

/* --- hits of one line ----------------------------------------------------------- */

/* Called per hit with raw offsets; return true to stop. */
typedef bool (*s_hit_fn)(void *arg, uint64_t start, uint64_t end);

static void s_plain(struct ansi_plain *p, const char *line, size_t len)
{
	if (ansi_plain_set(p, line, len)) {
		/* out of memory: match the raw bytes */
		p->text = line;
		p->len = len;
		p->nsegs = 0;
	}
}

static size_t s_next_char(const char *s, size_t len, size_t at)
{
	at++;
	while (at < len && ((unsigned char)s[at] & 0xc0) == 0x80)
		at++;
	return at;
}

/* JIT matching does not take PCRE2_ANCHORED at match time: those go to the
 * interpreter. */
static int s_match(struct search_re *re, const char *t, size_t n, size_t at, uint32_t opts)
{
	if (re->jit && !(opts & PCRE2_ANCHORED))
		return pcre2_jit_match(re->code, (PCRE2_SPTR)t, n, at, opts, re->md, re->mctx);
	return pcre2_match(re->code, (PCRE2_SPTR)t, n, at, opts, re->md, re->mctx);
}

/* Calls fn for each hit of the stripped line in order (see search.h for
 * empty matches). */
static void s_plain_hits(struct search_re *re, const struct ansi_plain *p, s_hit_fn fn, void *arg)
{
	const char *t = p->text;
	size_t n = p->len, at = 0;
	uint32_t opts = 0;
	bool any = false, empty = false;
	size_t empty_at = 0;
	while (at <= n) {
		int rc = s_match(re, t, n, at, opts);
		if (rc < 0) {
			if (opts == 0 || rc != PCRE2_ERROR_NOMATCH)
				break;
			/* no non-empty match at `at`: move on one character */
			opts = 0;
			at = s_next_char(t, n, at);
			continue;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
		size_t s = ov[0], e = ov[1] < ov[0] ? ov[0] : ov[1];
		if (e == s) {
			if (!empty) {
				empty = true;
				empty_at = s;
			}
			opts = PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED;
			at = s;
			continue;
		}
		any = true;
		if (fn(arg, ansi_plain_to_raw(p, s, false), ansi_plain_to_raw(p, e, true)))
			return;
		at = e;
		opts = 0;
	}
	if (!any && empty) {
		uint64_t r = ansi_plain_to_raw(p, empty_at, false);
		fn(arg, r, r);
	}
}

static void s_hits(struct search_re *re, struct ansi_plain *p, const char *line, size_t len,
		   s_hit_fn fn, void *arg)
{
	s_plain(p, line, len);
	s_plain_hits(re, p, fn, arg);
}

static bool s_stop(void *arg, uint64_t start, uint64_t end)
{
	*(bool *)arg = true;
	return true;
}

bool search_line_any(struct search_re *re, struct ansi_plain *scratch, const char *line, size_t len)
{
	bool found = false;
	s_hits(re, scratch, line, len, s_stop, &found);
	return found;
}

struct s_marks {
	struct ansi_mark *v;
	size_t n, cap;
	uint16_t elem;
};

static bool s_add_mark(void *arg, uint64_t start, uint64_t end)
{
	struct s_marks *m = arg;
	m->v[m->n++] = (struct ansi_mark){start, end, m->elem};
	return m->n >= m->cap;
}

size_t search_line_marks(struct search_re *re, struct ansi_plain *scratch, const char *line,
			 size_t len, uint16_t elem, struct ansi_mark *marks, size_t cap)
{
	struct s_marks m = {marks, 0, cap, elem};
	if (cap > 0)
		s_hits(re, scratch, line, len, s_add_mark, &m);
	return m.n;
}

bool search_plain_any(struct search_re *re, const struct ansi_plain *p)
{
	bool found = false;
	s_plain_hits(re, p, s_stop, &found);
	return found;
}

size_t search_plain_marks(struct search_re *re, const struct ansi_plain *p, uint16_t elem,
			  struct ansi_mark *marks, size_t cap)
{
	struct s_marks m = {marks, 0, cap, elem};
	if (cap > 0)
		s_plain_hits(re, p, s_add_mark, &m);
	return m.n;
}

struct s_count {
	uint64_t before, n;
};

static bool s_count_hit(void *arg, uint64_t start, uint64_t end)
{
	struct s_count *c = arg;
	if (start >= c->before)
		return true;
	c->n++;
	return false;
}

uint64_t search_line_count(struct search_re *re, struct ansi_plain *scratch, const char *line,
			   size_t len, uint64_t before)
{
	struct s_count c = {before, 0};
	s_hits(re, scratch, line, len, s_count_hit, &c);
	return c.n;
}

struct s_find {
	int dir;
	uint64_t bound;
	bool found;
	uint64_t start, end;
};

static bool s_find_hit(void *arg, uint64_t start, uint64_t end)
{
	struct s_find *f = arg;
	if (f->dir > 0) {
		if (start < f->bound)
			return false;
		f->found = true;
		f->start = start;
		f->end = end;
		return true;
	}
	if (start >= f->bound)
		return true;
	f->found = true;
	f->start = start;
	f->end = end;
	return false;
}

bool search_line_find(struct search_re *re, struct ansi_plain *scratch, const char *line,
		      size_t len, int dir, uint64_t bound, uint64_t *start, uint64_t *end)
{
	struct s_find f = {dir, bound, false, 0, 0};
	s_hits(re, scratch, line, len, s_find_hit, &f);
	if (f.found) {
		*start = f.start;
		*end = f.end;
	}
	return f.found;
}

/* --- seek -------------------------------------------------------------------- */

struct search_seek {
	struct logstore *ls;
	struct search_re *re;
	const struct search_filter *only;
	struct logstore_cursor *cur;
	int dir;
	bool wrap, wrapped;
	uint64_t line0, bound;
	struct ansi_plain plain;
	uint64_t total_bytes, scanned_bytes;
};

struct search_seek *search_seek_new(struct logstore *ls, struct search_re *re, uint64_t line,
				    uint64_t bound, int dir, bool wrap,
				    const struct search_filter *only, struct err *e)
{
	struct search_seek *s = calloc(1, sizeof(*s));
	if (!s) {
		err_set(e, ERR_INTERNAL, "out of memory searching a log");
		return NULL;
	}
	s->ls = ls;
	s->re = re;
	s->only = only;
	s->dir = dir < 0 ? -1 : 1;
	s->wrap = wrap;
	s->line0 = line;
	s->bound = bound;
	s->total_bytes = logstore_byte_count(ls);
	ansi_plain_init(&s->plain);
	s->cur = logstore_cursor_new(ls, line, s->dir, 0, e);
	if (!s->cur) {
		search_seek_free(s);
		return NULL;
	}
	return s;
}

void search_seek_free(struct search_seek *s)
{
	if (!s)
		return;
	logstore_cursor_free(s->cur);
	ansi_plain_cleanup(&s->plain);
	free(s);
}

/* Looks at one line; true with *hit filled when it holds the hit sought, and
 * *stop set when the search is over without one. */
static bool s_seek_line(struct search_seek *s, const struct logstore_line *l,
			struct search_hit *hit, bool *stop)
{
	bool first_pass = !s->wrapped;
	if (!first_pass && (s->dir > 0 ? l->line > s->line0 : l->line < s->line0)) {
		*stop = true;
		return false;
	}
	if (s->only && !search_filter_has(s->only, l->line, logstore_line_count(s->ls)))
		return false;
	uint64_t bound = s->dir > 0 ? 0 : UINT64_MAX;
	if (l->line == s->line0 && first_pass)
		bound = s->bound;
	uint64_t a, b;
	if (!search_line_find(s->re, &s->plain, l->text, l->text_len, s->dir, bound, &a, &b))
		return false;
	/* second pass over the start line: only hits on the other side of the
	 * start position */
	if (l->line == s->line0 && !first_pass && (s->dir > 0 ? a >= s->bound : a < s->bound))
		return false;
	*hit = (struct search_hit){l->line, a, b};
	return true;
}

int search_seek_run(struct search_seek *s, int64_t deadline_ns, struct search_hit *hit,
		    struct err *e)
{
	struct search_slice sl = {deadline_ns, 0, 0};
	struct logstore_line l;
	for (;;) {
		int rc = logstore_cursor_next(s->cur, &l, e);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (!s->wrap || s->wrapped)
				return 2;
			logstore_cursor_free(s->cur);
			s->cur =
			    logstore_cursor_new(s->ls, s->dir > 0 ? 0 : UINT64_MAX, s->dir, 0, e);
			if (!s->cur)
				return -1;
			s->wrapped = true;
			continue;
		}
		s->scanned_bytes += l.length + 1;
		bool stop = false;
		if (s_seek_line(s, &l, hit, &stop))
			return 1;
		if (stop)
			return 2;
		if (search_slice_over(&sl, l.text_len))
			return 0;
	}
}

bool search_seek_wrapped(const struct search_seek *s)
{
	return s->wrapped;
}

int search_seek_progress(const struct search_seek *s)
{
	if (s->total_bytes == 0)
		return 0;
	uint64_t p = s->scanned_bytes * 100 / s->total_bytes;
	return p > 100 ? 100 : (int)p;
}

/* --- match counter ---------------------------------------------------------------- */

struct search_count {
	struct logstore *ls;
	struct search_re *re;
	struct logstore_cursor *cur;
	struct ansi_plain plain;
	uint32_t *chunks; /* hits per SEARCH_COUNT_CHUNK_LINES complete lines */
	size_t nchunks, cap;
	uint64_t total;	     /* hits on complete lines */
	uint64_t lines_done; /* complete lines counted */
	bool pending;	     /* the last line went out partial with ... */
	uint64_t pending_line, pending_hits;
	/* rank */
	bool want;
	struct search_hit hit;
	uint64_t rank;
	struct logstore_cursor *rcur;
	uint64_t racc;
};

struct search_count *search_count_new(struct logstore *ls, struct search_re *re, struct err *e)
{
	struct search_count *c = calloc(1, sizeof(*c));
	if (!c) {
		err_set(e, ERR_INTERNAL, "out of memory counting matches");
		return NULL;
	}
	c->ls = ls;
	c->re = re;
	ansi_plain_init(&c->plain);
	c->cur = logstore_cursor_new(ls, 0, 1, 0, e);
	if (!c->cur) {
		search_count_free(c);
		return NULL;
	}
	return c;
}

void search_count_free(struct search_count *c)
{
	if (!c)
		return;
	logstore_cursor_free(c->cur);
	logstore_cursor_free(c->rcur);
	ansi_plain_cleanup(&c->plain);
	free(c->chunks);
	free(c);
}

static int s_count_add(struct search_count *c, uint64_t line, uint64_t hits, struct err *e)
{
	size_t k = (size_t)(line / SEARCH_COUNT_CHUNK_LINES);
	if (k >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		while (cap <= k)
			cap *= 2;
		uint32_t *v = realloc(c->chunks, cap * sizeof(*v));
		if (!v)
			return err_set(e, ERR_INTERNAL, "out of memory counting matches");
		c->chunks = v;
		c->cap = cap;
	}
	while (c->nchunks <= k)
		c->chunks[c->nchunks++] = 0;
	uint64_t v = c->chunks[k] + hits;
	c->chunks[k] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	c->total += hits;
	return 0;
}

/* Works on the rank of c->hit; returns 1 when done or not possible yet. */
static int s_rank_run(struct search_count *c, struct search_slice *sl, struct err *e)
{
	uint64_t first = c->hit.line / SEARCH_COUNT_CHUNK_LINES * SEARCH_COUNT_CHUNK_LINES;
	if (c->lines_done < first)
		return 1; /* the chunks before are not counted yet */
	if (!c->rcur) {
		c->racc = 0;
		for (size_t k = 0; k < first / SEARCH_COUNT_CHUNK_LINES && k < c->nchunks; k++)
			c->racc += c->chunks[k];
		c->rcur = logstore_cursor_new(c->ls, first, 1, 0, e);
		if (!c->rcur)
			return -1;
	}
	struct logstore_line l;
	for (;;) {
		int rc = logstore_cursor_next(c->rcur, &l, e);
		if (rc < 0)
			return -1;
		if (rc == 0 || l.line >= c->hit.line) {
			if (rc > 0 && l.line == c->hit.line)
				c->racc += search_line_count(c->re, &c->plain, l.text, l.text_len,
							     c->hit.start);
			c->rank = c->racc + 1;
			c->want = false;
			logstore_cursor_free(c->rcur);
			c->rcur = NULL;
			return 1;
		}
		c->racc += search_line_count(c->re, &c->plain, l.text, l.text_len, UINT64_MAX);
		if (search_slice_over(sl, l.text_len))
			return 0;
	}
}

int search_count_run(struct search_count *c, int64_t deadline_ns, struct err *e)
{
	struct search_slice sl = {deadline_ns, 0, 0};
	if (c->want) {
		int rc = s_rank_run(c, &sl, e);
		if (rc <= 0)
			return rc;
	}
	struct logstore_line l;
	for (;;) {
		int rc = logstore_cursor_next(c->cur, &l, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return c->want && c->lines_done >= c->hit.line / SEARCH_COUNT_CHUNK_LINES *
							       SEARCH_COUNT_CHUNK_LINES
				   ? 0
				   : 1;
		if (c->pending && l.line == c->pending_line)
			c->pending = false;
		uint64_t n = search_line_count(c->re, &c->plain, l.text, l.text_len, UINT64_MAX);
		if (l.partial) {
			c->pending = true;
			c->pending_line = l.line;
			c->pending_hits = n;
		} else {
			if (s_count_add(c, l.line, n, e))
				return -1;
			c->lines_done = l.line + 1;
		}
		if (search_slice_over(&sl, l.text_len))
			return 0;
	}
}

uint64_t search_count_total(const struct search_count *c)
{
	return c->total + (c->pending ? c->pending_hits : 0);
}

uint64_t search_count_lines_done(const struct search_count *c)
{
	return c->lines_done;
}

void search_count_want_rank(struct search_count *c, const struct search_hit *hit)
{
	logstore_cursor_free(c->rcur);
	c->rcur = NULL;
	c->hit = *hit;
	c->rank = 0;
	c->want = true;
}

void search_count_set_rank(struct search_count *c, const struct search_hit *hit, uint64_t rank)
{
	logstore_cursor_free(c->rcur);
	c->rcur = NULL;
	c->hit = *hit;
	c->rank = rank;
	c->want = false;
}

uint64_t search_count_rank(const struct search_count *c)
{
	return c->rank;
}
