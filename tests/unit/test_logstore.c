/* Unit tests for backend/logstore: real spool and .ts files in AFT_TEST_TMP,
 * real threads and real child processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "logstore.h"

/* --- helpers --------------------------------------------------------------- */

static char s_path[512];

/* A fresh path in the scratch dir, with no files left from an earlier run. */
static const char *s_fresh(const char *name)
{
	char ts[600];
	snprintf(s_path, sizeof(s_path), "%s/logstore-%d-%s.log", AFT_TEST_TMP, (int)getpid(),
		 name);
	snprintf(ts, sizeof(ts), "%s.ts", s_path);
	unlink(s_path);
	unlink(ts);
	return s_path;
}

static off_t s_file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static struct logstore *s_open(const char *path, unsigned flags)
{
	struct err e = {0};
	struct logstore *ls = logstore_open(path, flags, &e);
	if (!ls)
		fail_msg("logstore_open: %s", e.msg);
	return ls;
}

static void s_append(struct logstore *ls, const void *data, size_t len, int64_t ms)
{
	struct err e = {0};
	if (logstore_append(ls, data, len, ms, &e))
		fail_msg("logstore_append: %s", e.msg);
}

static void s_appends(struct logstore *ls, const char *str, int64_t ms)
{
	s_append(ls, str, strlen(str), ms);
}

/* Lines as delivered by logstore_read_lines, copied. */
struct got_line {
	struct logstore_line l;
	char *copy;
};

struct got {
	size_t n, cap;
	struct got_line *v;
};

static int s_collect(const struct logstore_line *line, void *arg)
{
	struct got *g = arg;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
		assert_non_null(g->v);
	}
	struct got_line *gl = &g->v[g->n++];
	gl->l = *line;
	gl->copy = malloc(line->text_len + 1);
	assert_non_null(gl->copy);
	memcpy(gl->copy, line->text, line->text_len);
	gl->copy[line->text_len] = '\0';
	gl->l.text = gl->copy;
	return 0;
}

static void s_got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].copy);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static void s_read(struct logstore *ls, uint64_t first, uint64_t count, size_t max_bytes,
		   struct got *g)
{
	struct err e = {0};
	if (logstore_read_lines(ls, first, count, max_bytes, s_collect, g, &e))
		fail_msg("logstore_read_lines: %s", e.msg);
}

/* The lines of `d` computed the obvious way: offsets and lengths. */
struct ref {
	size_t n;
	uint64_t *off, *len;
};

static void s_ref(const char *d, size_t len, struct ref *r)
{
	size_t cap = 16, start = 0;
	r->n = 0;
	r->off = malloc(cap * sizeof(uint64_t));
	r->len = malloc(cap * sizeof(uint64_t));
	for (size_t i = 0; i <= len; i++) {
		if (i < len && d[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (r->n == cap) {
			cap *= 2;
			r->off = realloc(r->off, cap * sizeof(uint64_t));
			r->len = realloc(r->len, cap * sizeof(uint64_t));
		}
		r->off[r->n] = start;
		r->len[r->n] = i - start;
		r->n++;
		start = i + 1;
	}
}

static void s_ref_free(struct ref *r)
{
	free(r->off);
	free(r->len);
}

/* Everything the store says about its lines matches `d`. */
static void s_check_all(struct logstore *ls, const char *d, size_t len)
{
	struct ref r;
	struct got g = {0};
	s_ref(d, len, &r);
	assert_int_equal(logstore_line_count(ls), r.n);
	assert_int_equal(logstore_byte_count(ls), len);
	s_read(ls, 0, r.n + 5, SIZE_MAX, &g);
	assert_int_equal(g.n, r.n);
	for (size_t i = 0; i < r.n; i++) {
		assert_int_equal(g.v[i].l.line, i);
		assert_int_equal(g.v[i].l.offset, r.off[i]);
		assert_int_equal(g.v[i].l.length, r.len[i]);
		assert_int_equal(g.v[i].l.text_len, r.len[i]);
		assert_memory_equal(g.v[i].copy, d + r.off[i], r.len[i]);
		int partial = i == r.n - 1 && d[len - 1] != '\n';
		assert_int_equal(g.v[i].l.partial, partial);
	}
	s_got_free(&g);
	s_ref_free(&r);
}

static int s_text_is(const struct logstore_line *l, const char *str)
{
	return l->text_len == strlen(str) && memcmp(l->text, str, l->text_len) == 0;
}

/* --- basic line splitting -------------------------------------------------- */

static const char s_sample[] = "alpha\n\nbeta\r\n\ngamma delta\nx\n\r\nlast partial";

static void test_split_every_position(void **state)
{
	const char *d = s_sample;
	size_t len = strlen(d);
	const char *path = s_fresh("split");
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			struct logstore *ls = s_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
			s_append(ls, d, i, 1000);
			s_append(ls, d + i, j - i, 2000);
			s_append(ls, d + j, len - j, 3000);
			s_check_all(ls, d, len);
			logstore_unref(ls);
		}
		/* the files alone are enough to rebuild the same index */
		struct logstore *ro = s_open(path, 0);
		s_check_all(ro, d, len);
		logstore_unref(ro);
	}
}

static void test_empty_crlf_partial(void **state)
{
	struct logstore *ls = s_open(s_fresh("crlf"), LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	struct got g = {0};
	assert_int_equal(logstore_line_count(ls), 0);
	s_read(ls, 0, 10, 100, &g);
	assert_int_equal(g.n, 0);

	s_appends(ls, "\n\n\r\n", 1);
	assert_int_equal(logstore_line_count(ls), 3);
	s_read(ls, 0, 10, 100, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].l.length, 0);
	assert_int_equal(g.v[1].l.length, 0);
	assert_int_equal(g.v[2].l.length, 1);
	assert_memory_equal(g.v[2].copy, "\r", 1);
	s_got_free(&g);

	s_appends(ls, "abc", 1);
	assert_int_equal(logstore_line_count(ls), 4);
	s_read(ls, 3, 1, 100, &g);
	assert_int_equal(g.n, 1);
	assert_true(g.v[0].l.partial);
	assert_string_equal(g.v[0].copy, "abc");
	s_got_free(&g);

	s_appends(ls, "def\n", 1);
	assert_int_equal(logstore_line_count(ls), 4);
	s_read(ls, 3, 5, 100, &g);
	assert_int_equal(g.n, 1);
	assert_false(g.v[0].l.partial);
	assert_string_equal(g.v[0].copy, "abcdef");
	s_got_free(&g);

	s_appends(ls, "g", 1);
	assert_int_equal(logstore_line_count(ls), 5);
	assert_int_equal(logstore_byte_count(ls), 12);

	/* text is capped at max_bytes; length stays the full length */
	s_read(ls, 3, 1, 2, &g);
	assert_int_equal(g.v[0].l.text_len, 2);
	assert_int_equal(g.v[0].l.length, 6);
	assert_string_equal(g.v[0].copy, "ab");
	s_got_free(&g);

	struct err e = {0};
	size_t n;
	char buf[32];
	assert_int_equal(logstore_read_bytes(ls, 3, buf, sizeof(buf), &n, &e), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "\nabcdef\ng", 9);
	assert_int_equal(logstore_read_bytes(ls, 12, buf, sizeof(buf), &n, &e), 0);
	assert_int_equal(n, 0);
	logstore_unref(ls);
}

static void test_flags_and_finish(void **state)
{
	const char *path = s_fresh("flags");
	struct err e = {0};
	assert_null(logstore_open(path, 0, &e));
	assert_int_equal(e.code, ERR_NOTFOUND);

	struct logstore *ls = s_open(path, LOGSTORE_WRITE | LOGSTORE_TEMPORARY);
	s_appends(ls, "one\n", 5);
	struct logstore *ro = s_open(path, 0);
	assert_int_equal(logstore_append(ro, "x", 1, 5, &e), -1);
	assert_int_equal(e.code, ERR_INTERNAL);
	logstore_unref(ro);

	/* logstore_wait: times out without growth, wakes on growth and on finish */
	assert_int_equal(logstore_wait(ls, 4, 20), 0);
	assert_int_equal(logstore_wait(ls, 3, 20), 1);
	assert_false(logstore_is_finished(ls));
	logstore_finish(ls);
	assert_true(logstore_is_finished(ls));
	assert_int_equal(logstore_wait(ls, 4, -1), 1);
	assert_int_equal(logstore_append(ls, "x", 1, 5, &e), -1);
	assert_int_equal(logstore_byte_count(ls), 4);

	/* the last reference of a temporary store removes both files */
	logstore_ref(ls);
	logstore_unref(ls);
	assert_true(s_file_size(path) >= 0);
	logstore_unref(ls);
	assert_int_equal(s_file_size(path), -1);
	char ts[600];
	snprintf(ts, sizeof(ts), "%s.ts", path);
	assert_int_equal(s_file_size(ts), -1);
}

/* --- a huge line ----------------------------------------------------------- */

#define HUGE_LEN (5u * 1024 * 1024)

static char *s_huge_data(size_t *len)
{
	const char *head = "before 1\nbefore 2\n";
	const char *tail = "\nafter 1\nafter 2\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *d = malloc(hl + HUGE_LEN + tl);
	assert_non_null(d);
	memcpy(d, head, hl);
	for (size_t i = 0; i < HUGE_LEN; i++)
		d[hl + i] = (char)('a' + (i * 7 + i / 1000) % 26);
	memcpy(d + hl + HUGE_LEN, tail, tl);
	*len = hl + HUGE_LEN + tl;
	return d;
}

static void test_huge_line(void **state)
{
	size_t len;
	char *d = s_huge_data(&len);
	struct logstore *ls = s_open(s_fresh("huge"), LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	for (size_t off = 0; off < len; off += 100003)
		s_append(ls, d + off, len - off < 100003 ? len - off : 100003, 7);
	assert_int_equal(logstore_line_count(ls), 5);

	struct got g = {0};
	s_read(ls, 1, 3, 200, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.v[0].copy, "before 2");
	assert_int_equal(g.v[1].l.line, 2);
	assert_int_equal(g.v[1].l.offset, 18);
	assert_int_equal(g.v[1].l.length, HUGE_LEN);
	assert_int_equal(g.v[1].l.text_len, 200);
	assert_memory_equal(g.v[1].copy, d + 18, 200);
	assert_string_equal(g.v[2].copy, "after 1");
	s_got_free(&g);
	/* a read well inside the huge line, as horizontal scrolling does */
	char buf[300];
	size_t n;
	struct err e = {0};
	assert_int_equal(logstore_read_bytes(ls, 18 + 4000000, buf, sizeof(buf), &n, &e), 0);
	assert_int_equal(n, sizeof(buf));
	assert_memory_equal(buf, d + 18 + 4000000, sizeof(buf));
	/* the whole line on request */
	s_check_all(ls, d, len);
	/* bounded memory after a large read */
	assert_true(logstore_index_bytes(ls) < 1024 * 1024);

	/* cursors: the full line by default, cut at max_line_bytes otherwise */
	for (int dir = 1; dir >= -1; dir -= 2) {
		struct logstore_cursor *c = logstore_cursor_new(ls, dir > 0 ? 0 : 99, dir, 0, &e);
		assert_non_null(c);
		struct logstore_line l;
		for (int k = 0; k < 5; k++) {
			assert_int_equal(logstore_cursor_next(c, &l, &e), 1);
			if (l.line == 2) {
				assert_int_equal(l.length, HUGE_LEN);
				assert_int_equal(l.text_len, HUGE_LEN);
				assert_memory_equal(l.text, d + 18, HUGE_LEN);
			}
		}
		assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
		logstore_cursor_free(c);

		c = logstore_cursor_new(ls, 2, dir, 1000000, &e);
		assert_int_equal(logstore_cursor_next(c, &l, &e), 1);
		assert_int_equal(l.line, 2);
		assert_int_equal(l.offset, 18);
		assert_int_equal(l.length, HUGE_LEN);
		assert_int_equal(l.text_len, 1000000);
		assert_memory_equal(l.text, d + 18, 1000000);
		assert_int_equal(logstore_cursor_next(c, &l, &e), 1);
		assert_int_equal(l.line, dir > 0 ? 3 : 1);
		assert_true(s_text_is(&l, dir > 0 ? "after 1" : "before 2"));
		logstore_cursor_free(c);
	}
	logstore_unref(ls);
	free(d);
}

/* --- millions of short lines ----------------------------------------------- */

#define MANY_LINES 3000000u

static size_t s_many_line(uint32_t i, char *out)
{
	return (size_t)sprintf(out, "row %" PRIu32 " %.*s\n", i, (int)(i % 13), "xxxxxxxxxxxxx");
}

static void s_check_many(struct logstore *ls, uint32_t first, const struct got *g)
{
	char want[64];
	for (size_t k = 0; k < g->n; k++) {
		size_t n = s_many_line(first + (uint32_t)k, want);
		assert_int_equal(g->v[k].l.line, first + k);
		assert_int_equal(g->v[k].l.length, n - 1);
		assert_memory_equal(g->v[k].copy, want, n - 1);
	}
}

static void test_many_lines(void **state)
{
	size_t cap = (size_t)MANY_LINES * 26, len = 0;
	char *d = malloc(cap);
	assert_non_null(d);
	for (uint32_t i = 0; i < MANY_LINES; i++)
		len += s_many_line(i, d + len);

	const char *path = s_fresh("many");
	struct logstore *ls = s_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	size_t idx0 = logstore_index_bytes(ls);
	for (size_t off = 0; off < len; off += 65521) /* splits lines anywhere */
		s_append(ls, d + off, len - off < 65521 ? len - off : 65521, 42);
	assert_int_equal(logstore_line_count(ls), MANY_LINES);
	assert_int_equal(logstore_byte_count(ls), len);
	/* the index grows by 8 bytes per 64 KiB block (doubling), not per line */
	size_t idx1 = logstore_index_bytes(ls);
	assert_true(idx1 - idx0 <= 2 * 8 * (len / LOGSTORE_BLOCK_BYTES + 1));

	unsigned seed = 12345;
	struct got g = {0};
	for (int k = 0; k < 20000; k++) {
		uint32_t first = (uint32_t)rand_r(&seed) % MANY_LINES;
		uint64_t count = 1 + (uint64_t)rand_r(&seed) % 50;
		s_read(ls, first, count, 200, &g);
		assert_int_equal(g.n, count < MANY_LINES - first ? count : MANY_LINES - first);
		s_check_many(ls, first, &g);
		s_got_free(&g);
	}
	s_read(ls, MANY_LINES - 1, 10, 200, &g);
	assert_int_equal(g.n, 1);
	s_check_many(ls, MANY_LINES - 1, &g);
	s_got_free(&g);
	size_t idx2 = logstore_index_bytes(ls);
	printf("# %zu bytes, %u lines: index+cache %zu bytes\n", len, MANY_LINES, idx2);
	assert_true(idx2 < 1024 * 1024);

	/* a full forward scan with the cursor, then backward */
	struct err e = {0};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct logstore_cursor *c = logstore_cursor_new(ls, 0, 1, 0, &e);
	struct logstore_line l;
	uint64_t n = 0, bytes = 0;
	char want[64];
	while (logstore_cursor_next(c, &l, &e) == 1) {
		assert_int_equal(l.line, n);
		if (n % 997 == 0) {
			size_t wl = s_many_line((uint32_t)n, want);
			assert_int_equal(l.text_len, wl - 1);
			assert_memory_equal(l.text, want, wl - 1);
		}
		bytes += l.length + 1;
		n++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(n, MANY_LINES);
	assert_int_equal(bytes, len);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("# forward cursor scan: %.0f MB/s\n", (double)len / 1e6 / s);
	logstore_cursor_free(c);

	c = logstore_cursor_new(ls, UINT64_MAX, -1, 0, &e);
	n = MANY_LINES;
	while (logstore_cursor_next(c, &l, &e) == 1) {
		n--;
		assert_int_equal(l.line, n);
		if (n % 991 == 0) {
			size_t wl = s_many_line((uint32_t)n, want);
			assert_int_equal(l.text_len, wl - 1);
			assert_memory_equal(l.text, want, wl - 1);
		}
	}
	assert_int_equal(n, 0);
	logstore_cursor_free(c);
	logstore_unref(ls);

	/* reopening indexes the whole existing spool */
	ls = s_open(path, 0);
	assert_int_equal(logstore_line_count(ls), MANY_LINES);
	assert_int_equal(logstore_refresh(ls, &e), 0);
	s_read(ls, 1234567, 3, 200, &g);
	s_check_many(ls, 1234567, &g);
	s_got_free(&g);
	logstore_unref(ls);
	free(d);
}

/* --- one writer thread, reader threads ------------------------------------- */

static size_t s_conc_line(uint64_t n, char *out)
{
	size_t len = (size_t)sprintf(out, "L%" PRIu64 ":", n);
	for (uint64_t k = 0; k < n % 97; k++)
		out[len++] = (char)('a' + (n + k) % 26);
	return len;
}

struct conc {
	struct logstore *ls;
	char *data;
	size_t len;
	uint64_t nlines;
	int failures[3];
};

/* Whether `l` is consistent with the expected line l->line. */
static int s_conc_ok(const struct logstore_line *l)
{
	char want[256];
	size_t wl = s_conc_line(l->line, want);
	if (l->partial ? l->length > wl : l->length != wl)
		return 0;
	return l->text_len <= l->length && memcmp(l->text, want, l->text_len) == 0;
}

static void *s_conc_writer(void *arg)
{
	struct conc *c = arg;
	unsigned seed = 777;
	struct err e = {0};
	for (size_t off = 0; off < c->len;) {
		size_t n = 1 + (size_t)rand_r(&seed) % 3000;
		if (n > c->len - off)
			n = c->len - off;
		if (logstore_append(c->ls, c->data + off, n, 1000 + (int64_t)(off / 10000), &e))
			abort();
		off += n;
		if (rand_r(&seed) % 64 == 0)
			usleep(100);
	}
	logstore_finish(c->ls);
	return NULL;
}

struct conc_read {
	struct conc *c;
	int bad;
};

static int s_conc_cb(const struct logstore_line *l, void *arg)
{
	struct conc_read *r = arg;
	if (!s_conc_ok(l) || l->arrival_ms < 1000)
		r->bad++;
	return 0;
}

static void *s_conc_random_reader(void *arg)
{
	struct conc *c = arg;
	struct conc_read r = {c, 0};
	unsigned seed = 99;
	uint64_t last_count = 0;
	struct err e = {0};
	for (int done = 0; !done;) {
		done = logstore_is_finished(c->ls);
		uint64_t nl = logstore_line_count(c->ls);
		if (nl < last_count)
			r.bad++;
		last_count = nl;
		if (nl == 0)
			continue;
		uint64_t first = (uint64_t)rand_r(&seed) % nl;
		if (logstore_read_lines(c->ls, first, 1 + (uint64_t)rand_r(&seed) % 40, 64,
					s_conc_cb, &r, &e))
			r.bad++;
	}
	if (last_count != c->nlines)
		r.bad++;
	c->failures[0] = r.bad;
	return NULL;
}

static void *s_conc_cursor_reader(void *arg)
{
	struct conc *c = arg;
	struct err e = {0};
	struct logstore_cursor *cur = logstore_cursor_new(c->ls, 0, 1, 0, &e);
	struct logstore_line l;
	uint64_t next = 0;
	int bad = 0;
	for (;;) {
		int r = logstore_cursor_next(cur, &l, &e);
		if (r < 0) {
			bad++;
			break;
		}
		if (r == 1) {
			if (l.line != next || !s_conc_ok(&l))
				bad++;
			if (!l.partial)
				next++;
			continue;
		}
		if (logstore_is_finished(c->ls) &&
		    logstore_cursor_offset(cur) >= logstore_byte_count(c->ls))
			break;
		logstore_wait(c->ls, logstore_cursor_offset(cur), 50);
	}
	if (next != c->nlines)
		bad++;
	logstore_cursor_free(cur);
	c->failures[1] = bad;
	return NULL;
}

/* Streams exact bytes the way `logs --follow` does. */
static void *s_conc_byte_reader(void *arg)
{
	struct conc *c = arg;
	struct err e = {0};
	char buf[4096];
	uint64_t off = 0;
	int bad = 0;
	for (;;) {
		size_t n;
		if (logstore_read_bytes(c->ls, off, buf, sizeof(buf), &n, &e)) {
			bad++;
			break;
		}
		if (off + n > c->len || memcmp(buf, c->data + off, n) != 0)
			bad++;
		off += n;
		if (n == 0 && logstore_is_finished(c->ls) && off == logstore_byte_count(c->ls))
			break;
		if (n == 0)
			logstore_wait(c->ls, off, 50);
	}
	if (off != c->len)
		bad++;
	c->failures[2] = bad;
	return NULL;
}

static void test_concurrent_readers(void **state)
{
	struct conc c = {0};
	c.nlines = 40000;
	c.data = malloc(c.nlines * 128);
	assert_non_null(c.data);
	for (uint64_t i = 0; i < c.nlines; i++) {
		c.len += s_conc_line(i, c.data + c.len);
		c.data[c.len++] = '\n';
	}
	c.ls = s_open(s_fresh("conc"), LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	pthread_t w, r[3];
	assert_int_equal(pthread_create(&r[0], NULL, s_conc_random_reader, &c), 0);
	assert_int_equal(pthread_create(&r[1], NULL, s_conc_cursor_reader, &c), 0);
	assert_int_equal(pthread_create(&r[2], NULL, s_conc_byte_reader, &c), 0);
	assert_int_equal(pthread_create(&w, NULL, s_conc_writer, &c), 0);
	pthread_join(w, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	assert_int_equal(c.failures[0], 0);
	assert_int_equal(c.failures[1], 0);
	assert_int_equal(c.failures[2], 0);
	s_check_all(c.ls, c.data, c.len);
	logstore_unref(c.ls);
	free(c.data);
}

/* --- following a file another process writes ------------------------------ */

#define CHILD_LINES 6000

static size_t s_child_line(int i, char *out)
{
	return (size_t)sprintf(out, "child line %d of the build\n", i);
}

static int64_t s_child_ms(int i)
{
	return 5000 + i / 10;
}

/* Child: writes lines [from, to), each in two appends; then a partial line. */
static int s_child_write(struct logstore *ls, int from, int to)
{
	char buf[64];
	struct err e = {0};
	for (int i = from; i < to; i++) {
		size_t n = s_child_line(i, buf);
		if (i == from && from > 0) /* the first 11 bytes went out earlier */
			n -= 11, memmove(buf, buf + 11, n);
		if (logstore_append(ls, buf, n / 2, s_child_ms(i), &e) ||
		    logstore_append(ls, buf + n / 2, n - n / 2, s_child_ms(i) + 1, &e))
			return -1;
		if (i % 300 == 0)
			usleep(2000);
	}
	return 0;
}

/* What a follower sees of a spool: its line count and a fingerprint of every
 * line's start offset and length. */
static void s_follower_view(const char *path, uint64_t *lines, uint64_t *print)
{
	struct logstore *f = s_open(path, 0);
	*lines = logstore_line_count(f);
	*print = 0;
	for (uint64_t first = 0; first < *lines; first += 997) {
		struct err e = {0};
		struct got g = {0};
		assert_int_equal(logstore_read_lines(f, first, 1, 64, s_collect, &g, &e), 0);
		assert_int_equal(g.n, 1);
		*print = *print * 1000003u + g.v[0].l.offset * 31u + g.v[0].l.length;
		s_got_free(&g);
	}
	logstore_unref(f);
}

/* The writer's block index (<path>.idx) lets followers skip scanning whole
 * blocks; a follower without it, or with a damaged one, scans and must see
 * exactly the same lines. */
static const char s_fill[] = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
			      "0123456789abcdefghijklmnopqrstuvwxyz0123456789";

static void test_shared_index(void **state)
{
	(void)state;
	const char *path = s_fresh("idx");
	char idx[600];
	snprintf(idx, sizeof(idx), "%s.idx", path);
	struct logstore *w = s_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	char line[200];
	for (int i = 0; i < 60000; i++) {
		int n = snprintf(line, sizeof(line), "line %d %.*s\n", i, i % 97, s_fill);
		s_append(w, line, (size_t)n, 1000 + i);
	}
	s_append(w, "no newline", 10, 99999);
	assert_true(s_file_size(idx) >= 8 * (s_file_size(path) / LOGSTORE_BLOCK_BYTES));
	uint64_t lines_idx, print_idx, lines_scan, print_scan, lines_bad, print_bad;
	s_follower_view(path, &lines_idx, &print_idx);
	/* Growth while followed: the follower's refresh also jumps by the index. */
	struct logstore *f = s_open(path, 0);
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(line, sizeof(line), "more %d %.*s\n", i, i % 61, s_fill);
		s_append(w, line, (size_t)n, 5000 + i);
		if (i % 5000 == 0) {
			struct err e = {0};
			assert_true(logstore_refresh(f, &e) >= 0);
			assert_int_equal(logstore_line_count(f), logstore_line_count(w));
		}
	}
	struct err e = {0};
	assert_true(logstore_refresh(f, &e) >= 0);
	assert_int_equal(logstore_line_count(f), logstore_line_count(w));
	logstore_unref(f);
	logstore_unref(w);
	s_follower_view(path, &lines_idx, &print_idx);
	/* Without the index: a full scan, the same view. */
	char saved[620];
	snprintf(saved, sizeof(saved), "%s.saved", idx);
	assert_int_equal(rename(idx, saved), 0);
	s_follower_view(path, &lines_scan, &print_scan);
	assert_int_equal(lines_scan, lines_idx);
	assert_int_equal(print_scan, print_idx);
	/* The index is really what followers use: a plausible but wrong last
	 * entry (one '\n' too many) shows in the line count. */
	char copy[620];
	snprintf(copy, sizeof(copy), "%s.copy", idx);
	struct err ce = {0};
	assert_int_equal(fsutil_copy_file(saved, copy, &ce), 0);
	off_t entries = s_file_size(saved) / 8;
	int fd = open(saved, O_RDWR);
	assert_true(fd >= 0);
	unsigned char ent[8];
	assert_int_equal(pread(fd, ent, 8, (entries - 1) * 8), 8);
	ent[0]++; /* the count before the last whole block, plus one */
	assert_int_equal(pwrite(fd, ent, 8, (entries - 1) * 8), 8);
	close(fd);
	assert_int_equal(rename(saved, idx), 0);
	uint64_t lines_wrong, print_wrong;
	s_follower_view(path, &lines_wrong, &print_wrong);
	assert_int_equal(lines_wrong, lines_idx + 1);
	assert_int_equal(rename(copy, idx), 0);
	/* A damaged index (an entry with more '\n' than bytes): detected. */
	fd = open(idx, O_WRONLY);
	assert_true(fd >= 0);
	unsigned char junk[8] = {0xff, 0xff, 0xff, 0, 0, 0, 0, 0};
	assert_int_equal(pwrite(fd, junk, 8, 8 * 3), 8);
	close(fd);
	s_follower_view(path, &lines_bad, &print_bad);
	assert_int_equal(lines_bad, lines_idx);
	assert_int_equal(print_bad, print_idx);
	unlink(idx);
}

static void test_refresh_other_process(void **state)
{
	const char *path = s_fresh("follow");
	int up[2], down[2];
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct err e = {0};
		char b;
		alarm(60); /* never outlive a parent that failed before answering */
		struct logstore *ls = logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE, &e);
		if (!ls || s_child_write(ls, 0, CHILD_LINES / 2) ||
		    logstore_append(ls, "child line ", 11, s_child_ms(CHILD_LINES / 2), &e))
			_exit(2);
		if (write(up[1], "r", 1) != 1 || read(down[0], &b, 1) != 1)
			_exit(3);
		if (s_child_write(ls, CHILD_LINES / 2, CHILD_LINES) ||
		    logstore_append(ls, "tail", 4, 9999, &e))
			_exit(4);
		logstore_unref(ls);
		_exit(0);
	}
	char b;
	assert_int_equal(read(up[0], &b, 1), 1);
	struct logstore *ls = s_open(path, 0);
	struct err e = {0};
	assert_int_equal(logstore_line_count(ls), CHILD_LINES / 2 + 1);
	assert_int_equal(logstore_refresh(ls, &e), 0);
	struct got g = {0};
	s_read(ls, CHILD_LINES / 2, 5, 100, &g);
	assert_int_equal(g.n, 1);
	assert_true(g.v[0].l.partial);
	assert_string_equal(g.v[0].copy, "child line ");
	s_got_free(&g);
	assert_int_equal(write(down[1], "g", 1), 1);

	int status, grew = 0;
	uint64_t last = 0;
	for (;;) {
		int exited = waitpid(pid, &status, WNOHANG) == pid;
		int r = logstore_refresh(ls, &e);
		if (r < 0)
			fail_msg("refresh: %s", e.msg);
		grew += r;
		uint64_t nl = logstore_line_count(ls);
		assert_true(nl >= last);
		last = nl;
		if (exited)
			break;
		usleep(500);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(grew >= 1);
	assert_int_equal(logstore_refresh(ls, &e), 0);

	size_t cap = (size_t)CHILD_LINES * 64, len = 0;
	char *d = malloc(cap);
	for (int i = 0; i < CHILD_LINES; i++)
		len += s_child_line(i, d + len);
	memcpy(d + len, "tail", 4);
	len += 4;
	s_check_all(ls, d, len);
	/* timestamps written by the other process */
	s_read(ls, 0, CHILD_LINES + 1, 0, &g);
	assert_int_equal(g.n, CHILD_LINES + 1);
	for (int i = 0; i < CHILD_LINES; i++)
		assert_int_equal(g.v[i].l.arrival_ms, s_child_ms(i));
	assert_int_equal(g.v[CHILD_LINES].l.arrival_ms, 9999);
	s_got_free(&g);

	/* the file replaced by a shorter one: re-indexed from scratch */
	struct logstore *w = s_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	s_appends(w, "new\nlog\n", 1);
	assert_int_equal(logstore_refresh(ls, &e), 1);
	s_check_all(ls, "new\nlog\n", 8);
	logstore_unref(w);
	logstore_unref(ls);
	free(d);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* --- timestamps ------------------------------------------------------------ */

static void s_check_times(struct logstore *ls, const int64_t *want, size_t n)
{
	struct got g = {0};
	s_read(ls, 0, 1000, 10, &g);
	assert_int_equal(g.n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(g.v[i].l.arrival_ms, want[i]);
	/* starting mid-way finds the record in force by binary search */
	for (size_t i = 0; i < n; i++) {
		s_got_free(&g);
		s_read(ls, i, 2, 10, &g);
		assert_int_equal(g.v[0].l.arrival_ms, want[i]);
	}
	s_got_free(&g);
}

static void test_timestamps(void **state)
{
	const char *path = s_fresh("ts");
	char ts[600];
	snprintf(ts, sizeof(ts), "%s.ts", path);
	struct logstore *ls = s_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	s_appends(ls, "a\n", 1000);
	s_appends(ls, "b\n", 1000);    /* same ms: no record */
	s_appends(ls, "c", 2000);      /* line 2 starts */
	s_appends(ls, "c2\n", 3000);   /* continues line 2: no record */
	s_appends(ls, "d\ne\n", 4000); /* line 3 */
	s_appends(ls, "f\ng", 4000);   /* same ms */
	s_appends(ls, "g\nh", 5000);   /* line 7 ("h") starts here */
	s_appends(ls, "\n", 6000);     /* only ends line 7 */
	const int64_t want[] = {1000, 1000, 2000, 4000, 4000, 4000, 4000, 5000};
	s_check_times(ls, want, 8);
	assert_int_equal(s_file_size(ts), 4 * 16);
	logstore_unref(ls);

	/* the same from the files alone */
	ls = s_open(path, 0);
	s_check_times(ls, want, 8);
	logstore_unref(ls);

	/* LOGSTORE_NOW uses the clock */
	ls = s_open(path, LOGSTORE_WRITE);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	s_appends(ls, "now\n", LOGSTORE_NOW);
	struct got g = {0};
	s_read(ls, 8, 1, 10, &g);
	int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	assert_true(g.v[0].l.arrival_ms >= ms && g.v[0].l.arrival_ms < ms + 60000);
	s_got_free(&g);
	logstore_unref(ls);

	/* no .ts file: times are unknown */
	unlink(ts);
	ls = s_open(path, 0);
	s_read(ls, 0, 2, 10, &g);
	assert_int_equal(g.v[0].l.arrival_ms, LOGSTORE_TIME_UNKNOWN);
	s_got_free(&g);
	logstore_unref(ls);
}

static void test_reopen_after_crash(void **state)
{
	const char *path = s_fresh("crash");
	char ts[600];
	snprintf(ts, sizeof(ts), "%s.ts", path);
	struct logstore *ls = s_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	s_appends(ls, "one\n", 1000);
	s_appends(ls, "two\n", 2000);
	s_appends(ls, "thr", 3000);
	logstore_unref(ls);
	assert_int_equal(s_file_size(ts), 3 * 16);

	/* a crash: a record for a line the spool never got, then a torn record */
	unsigned char rec[16 + 7] = {9, 0, 0, 0, 0, 0, 0, 0, 0x0f, 0x27, 0, 0, 0, 0, 0, 0, 1, 2, 3};
	int fd = open(ts, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, rec, sizeof(rec)), sizeof(rec));
	close(fd);

	ls = s_open(path, 0);
	s_check_all(ls, "one\ntwo\nthr", 11);
	const int64_t want3[] = {1000, 2000, 3000};
	s_check_times(ls, want3, 3);
	logstore_unref(ls);

	ls = s_open(path, LOGSTORE_WRITE);
	assert_int_equal(s_file_size(ts), 3 * 16);
	s_appends(ls, "ee\nfour\n", 4000);
	s_check_all(ls, "one\ntwo\nthree\nfour\n", 19);
	const int64_t want4[] = {1000, 2000, 3000, 4000};
	s_check_times(ls, want4, 4);
	assert_int_equal(s_file_size(ts), 4 * 16);
	logstore_unref(ls);
}

/* --- cursor ---------------------------------------------------------------- */

static char *s_random_log(size_t *len)
{
	size_t cap = 6u << 20, n = 0;
	char *d = malloc(cap + 300000);
	unsigned seed = 4242;
	assert_non_null(d);
	while (n < cap) {
		int r = rand_r(&seed);
		size_t ll = r % 50 == 0 ? (size_t)(r % 250000) : (size_t)(r % 3000);
		for (size_t k = 0; k < ll; k++)
			d[n + k] = (char)(k % 101 == 100 ? '\r' : 'a' + (k + n) % 26);
		n += ll;
		d[n++] = '\n';
	}
	memcpy(d + n, "end", 3);
	*len = n + 3;
	return d;
}

static void s_cursor_check(struct logstore *ls, const char *d, const struct ref *r, uint64_t from,
			   int dir, size_t max_line)
{
	struct err e = {0};
	struct logstore_cursor *c = logstore_cursor_new(ls, from, dir, max_line, &e);
	assert_non_null(c);
	struct logstore_line l;
	uint64_t want = dir > 0 ? from : (from < r->n ? from : r->n - 1), seen = 0, begin = want;
	while (logstore_cursor_next(c, &l, &e) == 1) {
		assert_int_equal(l.line, want);
		assert_int_equal(l.offset, r->off[want]);
		assert_int_equal(l.length, r->len[want]);
		size_t tl = r->len[want] < max_line ? r->len[want] : max_line;
		assert_int_equal(l.text_len, tl);
		assert_memory_equal(l.text, d + r->off[want], tl);
		assert_int_equal(l.partial, want == r->n - 1);
		seen++;
		if (dir < 0 && want == 0)
			break;
		want += dir > 0 ? 1 : -1;
	}
	assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
	assert_int_equal(seen, dir > 0 ? r->n - from : begin + 1);
	logstore_cursor_free(c);
}

static void test_cursor_random_log(void **state)
{
	size_t len;
	char *d = s_random_log(&len);
	struct ref r;
	s_ref(d, len, &r);
	struct logstore *ls = s_open(s_fresh("cursor"), LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	s_append(ls, d, len, 1);
	assert_int_equal(logstore_line_count(ls), r.n);
	s_cursor_check(ls, d, &r, 0, 1, SIZE_MAX);
	s_cursor_check(ls, d, &r, r.n / 3, 1, SIZE_MAX);
	s_cursor_check(ls, d, &r, UINT64_MAX, -1, SIZE_MAX);
	s_cursor_check(ls, d, &r, r.n / 2, -1, SIZE_MAX);
	/* a small cap sends most lines through the long-line paths */
	s_cursor_check(ls, d, &r, 0, 1, 100);
	s_cursor_check(ls, d, &r, UINT64_MAX, -1, 100);
	s_cursor_check(ls, d, &r, 0, 1, 200000);
	s_cursor_check(ls, d, &r, UINT64_MAX, -1, 200000);
	logstore_unref(ls);
	s_ref_free(&r);
	free(d);
}

static int s_next_is(struct logstore_cursor *c, uint64_t line, const char *text, int partial)
{
	struct logstore_line l;
	struct err e = {0};
	return logstore_cursor_next(c, &l, &e) == 1 && l.line == line && s_text_is(&l, text) &&
	       l.partial == partial;
}

static void test_cursor_growth(void **state)
{
	struct err e = {0};
	struct logstore_line l;
	struct logstore *ls = s_open(s_fresh("growth"), LOGSTORE_WRITE | LOGSTORE_TRUNCATE);
	struct logstore_cursor *back = logstore_cursor_new(ls, 0, -1, 0, &e);
	assert_int_equal(logstore_cursor_next(back, &l, &e), 0);
	logstore_cursor_free(back);

	struct logstore_cursor *c = logstore_cursor_new(ls, 0, 1, 0, &e);
	assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
	s_appends(ls, "a\nb\n", 1);
	assert_true(s_next_is(c, 0, "a", 0));
	assert_true(s_next_is(c, 1, "b", 0));
	assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
	s_appends(ls, "c", 1);
	assert_true(s_next_is(c, 2, "c", 1));
	assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
	s_appends(ls, "cc", 1);
	assert_true(s_next_is(c, 2, "ccc", 1));
	s_appends(ls, "\nd\n", 1);
	assert_true(s_next_is(c, 2, "ccc", 0));
	assert_true(s_next_is(c, 3, "d", 0));
	assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
	logstore_cursor_free(c);

	/* start beyond the end: placed at the next line to come */
	c = logstore_cursor_new(ls, 100, 1, 0, &e);
	assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
	s_appends(ls, "e\nf", 1);
	assert_true(s_next_is(c, 4, "e", 0));
	assert_true(s_next_is(c, 5, "f", 1));
	logstore_cursor_free(c);

	/* backward from a partial final line */
	back = logstore_cursor_new(ls, 100, -1, 0, &e);
	assert_true(s_next_is(back, 5, "f", 1));
	assert_true(s_next_is(back, 4, "e", 0));
	assert_true(s_next_is(back, 3, "d", 0));
	s_appends(ls, "ff\ng\n", 1); /* growth does not disturb a backward walk */
	assert_true(s_next_is(back, 2, "ccc", 0));
	assert_true(s_next_is(back, 1, "b", 0));
	assert_true(s_next_is(back, 0, "a", 0));
	assert_int_equal(logstore_cursor_next(back, &l, &e), 0);
	logstore_cursor_free(back);

	/* a long partial line followed with a small cap */
	c = logstore_cursor_new(ls, 7, 1, 4, &e);
	s_appends(ls, "0123456789", 1);
	assert_int_equal(logstore_cursor_next(c, &l, &e), 1);
	assert_true(l.partial && l.length == 10 && l.text_len == 4 && l.line == 7);
	assert_int_equal(logstore_cursor_next(c, &l, &e), 0);
	s_appends(ls, "ab\nz\n", 1);
	assert_int_equal(logstore_cursor_next(c, &l, &e), 1);
	assert_true(!l.partial && l.length == 12 && l.text_len == 4 && l.line == 7);
	assert_true(s_next_is(c, 8, "z", 0));
	logstore_cursor_free(c);
	logstore_unref(ls);
}

/* --- a full disk ----------------------------------------------------------- */

#define FSIZE_LIMIT 100000

static size_t s_disk_chunk(int i, char *out)
{
	/* ~770 bytes, several lines, ending mid-line every other chunk */
	size_t n = (size_t)sprintf(out, "chunk %d", i);
	for (int k = 0; k < 9; k++)
		n += (size_t)sprintf(
		    out + n, " part %d.%d %.*s\n", i, k, 60,
		    "=========="
		    "=================================================================");
	if (i % 2)
		n += (size_t)sprintf(out + n, "unfinished %d ", i);
	return n;
}

struct disk_report {
	uint64_t accepted;
	uint64_t count_after;
	int code;
	int retry_code;
	char msg[ERR_MSG_MAX];
};

static void s_disk_child(const char *path, int fd)
{
	struct disk_report rep = {0};
	struct rlimit rl = {FSIZE_LIMIT, FSIZE_LIMIT};
	struct err e = {0};
	char buf[1024];
	signal(SIGXFSZ, SIG_IGN);
	alarm(60);
	if (setrlimit(RLIMIT_FSIZE, &rl))
		_exit(2);
	struct logstore *ls = logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE, &e);
	if (!ls)
		_exit(3);
	for (int i = 0; i < 100000; i++) {
		size_t n = s_disk_chunk(i, buf);
		if (logstore_append(ls, buf, n, 100 + i, &e) == 0) {
			rep.accepted += n;
			continue;
		}
		rep.code = e.code;
		memcpy(rep.msg, e.msg, sizeof(rep.msg));
		rep.count_after = logstore_byte_count(ls);
		/* the same bytes again: still no room, still all-or-nothing */
		if (logstore_append(ls, buf, n, 100 + i, &e) == 0)
			_exit(4);
		rep.retry_code = e.code;
		break;
	}
	logstore_unref(ls);
	if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		_exit(5);
	_exit(0);
}

static void test_disk_full(void **state)
{
	const char *path = s_fresh("full");
	char ts[600];
	snprintf(ts, sizeof(ts), "%s.ts", path);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		s_disk_child(path, p[1]);
	struct disk_report rep;
	assert_int_equal(read(p[0], &rep, sizeof(rep)), sizeof(rep));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[0]);
	close(p[1]);

	printf("# disk full after %" PRIu64 " bytes: %s\n", rep.accepted, rep.msg);
	assert_int_equal(rep.code, ERR_NOSPACE);
	assert_int_equal(rep.retry_code, ERR_NOSPACE);
	assert_null(strchr(rep.msg, '\n'));
	assert_non_null(strstr(rep.msg, path));
	assert_true(rep.accepted > FSIZE_LIMIT - 1000 && rep.accepted <= FSIZE_LIMIT);
	assert_int_equal(rep.count_after, rep.accepted);
	/* the failed append left nothing behind: the spool is what was accepted */
	assert_int_equal(s_file_size(path), (off_t)rep.accepted);
	assert_int_equal(s_file_size(ts) % 16, 0);

	char *d = malloc(rep.accepted + 4096);
	size_t len = 0;
	int i = 0;
	while (len < rep.accepted)
		len += s_disk_chunk(i++, d + len);
	assert_int_equal(len, rep.accepted);
	struct logstore *ls = s_open(path, LOGSTORE_WRITE);
	s_check_all(ls, d, len);
	struct got g = {0};
	s_read(ls, 0, 1, 10, &g);
	assert_int_equal(g.v[0].l.arrival_ms, 100);
	s_got_free(&g);
	/* with room again, appending carries on */
	len += s_disk_chunk(i, d + len);
	s_append(ls, d + rep.accepted, len - rep.accepted, 100 + i);
	s_check_all(ls, d, len);
	logstore_unref(ls);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_every_position),
	    cmocka_unit_test(test_empty_crlf_partial),
	    cmocka_unit_test(test_flags_and_finish),
	    cmocka_unit_test(test_huge_line),
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_reopen_after_crash),
	    cmocka_unit_test(test_cursor_growth),
	    cmocka_unit_test(test_cursor_random_log),
	    cmocka_unit_test(test_refresh_other_process),
	    cmocka_unit_test(test_shared_index),
	    cmocka_unit_test(test_disk_full),
	    cmocka_unit_test(test_concurrent_readers),
	    cmocka_unit_test(test_many_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
