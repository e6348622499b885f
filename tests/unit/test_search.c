/* Unit tests of ui/search: patterns (smart case, errors), hits of a line
 * (SGR removed, empty matches, invalid UTF-8), and the whole-log jobs over
 * real logstore files in AFT_TEST_TMP: seek over a million lines in slices
 * with wrap-around, the match counter and ranks on a growing log, filters
 * with context, partial lines and the filter's memory bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logstore.h"
#include "search.h"

/* --- helpers ----------------------------------------------------------------- */

static struct logstore *s_log(const char *name)
{
	char path[512];
	static int seq;
	snprintf(path, sizeof(path), "%s/search-%d-%d-%s.log", AFT_TEST_TMP, (int)getpid(), ++seq,
		 name);
	struct err e;
	struct logstore *ls =
	    logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE | LOGSTORE_TEMPORARY, &e);
	if (!ls)
		fail_msg("logstore_open: %s", e.msg);
	return ls;
}

static void s_append(struct logstore *ls, const char *text)
{
	struct err e;
	if (logstore_append(ls, text, strlen(text), LOGSTORE_NOW, &e))
		fail_msg("append: %s", e.msg);
}

/* Appends lines [0, n): "line %07u filler text", with `marker` appended to
 * the lines listed in `marked` (sorted, terminated by UINT64_MAX). */
static void s_fill(struct logstore *ls, uint64_t n, const uint64_t *marked, const char *marker)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 256);
	struct err e;
	for (uint64_t i = 0; i < n; i++) {
		bool mark = *marked == i;
		if (mark)
			marked++;
		len += (size_t)sprintf(buf + len, "line %07llu filler text%s%s\n",
				       (unsigned long long)i, mark ? " " : "", mark ? marker : "");
		if (len >= cap) {
			assert_int_equal(logstore_append(ls, buf, len, LOGSTORE_NOW, &e), 0);
			len = 0;
		}
	}
	if (len)
		assert_int_equal(logstore_append(ls, buf, len, LOGSTORE_NOW, &e), 0);
	free(buf);
}

/* Runs a seek to the end in slices of `budget_us`; returns its result and
 * counts the slices. */
static int s_seek_all(struct search_seek *s, int budget_us, struct search_hit *hit,
		      unsigned *slices)
{
	struct err e;
	for (;;) {
		(*slices)++;
		int rc = search_seek_run(s, search_now_ns() + budget_us * 1000LL, hit, &e);
		if (rc < 0)
			fail_msg("seek: %s", e.msg);
		if (rc != 0)
			return rc;
	}
}

static void s_count_all(struct search_count *c)
{
	struct err e;
	int rc;
	while ((rc = search_count_run(c, search_now_ns() + 2000000, &e)) == 0)
		;
	if (rc < 0)
		fail_msg("count: %s", e.msg);
}

static void s_filter_all(struct search_filter *f)
{
	struct err e;
	bool changed;
	int rc;
	while ((rc = search_filter_run(f, search_now_ns() + 2000000, &changed, &e)) == 0)
		;
	if (rc < 0)
		fail_msg("filter: %s", e.msg);
}

/* --- patterns and lines ---------------------------------------------------------- */

static void test_smart_case_and_errors(void **state)
{
	struct err e;
	struct search_re *re = search_re_new("error", SEARCH_SMART_CASE, &e);
	assert_non_null(re);
	assert_true(search_re_caseless(re));
	struct ansi_plain p;
	ansi_plain_init(&p);
	assert_true(search_line_any(re, &p, "An ERROR here", 13));
	search_re_free(re);

	re = search_re_new("Error", SEARCH_SMART_CASE, &e);
	assert_false(search_re_caseless(re));
	assert_false(search_line_any(re, &p, "An ERROR here", 13));
	assert_true(search_line_any(re, &p, "An Error here", 13));
	search_re_free(re);

	/* escapes with upper-case letters do not count */
	re = search_re_new("\\Serror\\b", SEARCH_SMART_CASE, &e);
	assert_true(search_re_caseless(re));
	assert_true(search_line_any(re, &p, "xERROR", 6));
	search_re_free(re);

	assert_null(search_re_new("foo(bar", SEARCH_SMART_CASE, &e));
	assert_int_equal(e.code, ERR_USAGE);
	assert_non_null(strstr(e.msg, "offset 7"));
	assert_non_null(strstr(e.msg, "missing closing parenthesis"));
	assert_null(strchr(e.msg, '\n'));
	assert_null(search_re_new("a{2,1}", SEARCH_SMART_CASE, &e));
	assert_non_null(strstr(e.msg, "bad pattern at offset"));
	ansi_plain_cleanup(&p);
}

static void test_line_hits(void **state)
{
	struct err e;
	struct ansi_plain p;
	ansi_plain_init(&p);
	struct ansi_mark m[8];
	struct search_re *re = search_re_new("foo", SEARCH_SMART_CASE, &e);
	/* raw offsets through SGR sequences: "foo" at 0 and at 19 */
	const char *line = "foo \x1b[1;31mbar\x1b[0m foo";
	size_t n = search_line_marks(re, &p, line, strlen(line), CELL_SEARCH_MATCH, m, 8);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].start, 0);
	assert_int_equal(m[0].end, 3);
	assert_int_equal(m[1].start, 19);
	assert_int_equal(m[1].end, 22);
	assert_int_equal(m[1].elem, CELL_SEARCH_MATCH);
	assert_int_equal(search_line_count(re, &p, line, strlen(line), UINT64_MAX), 2);
	assert_int_equal(search_line_count(re, &p, line, strlen(line), 19), 1);
	uint64_t a, b;
	assert_true(search_line_find(re, &p, line, strlen(line), 1, 1, &a, &b));
	assert_int_equal(a, 19);
	assert_true(search_line_find(re, &p, line, strlen(line), -1, 19, &a, &b));
	assert_int_equal(a, 0);
	assert_false(search_line_find(re, &p, line, strlen(line), -1, 0, &a, &b));
	assert_false(search_line_find(re, &p, line, strlen(line), 1, 20, &a, &b));
	/* a pattern spanning an SGR boundary matches the plain text */
	search_re_free(re);
	re = search_re_new("bar foo", SEARCH_SMART_CASE, &e);
	assert_true(search_line_find(re, &p, line, strlen(line), 1, 0, &a, &b));
	assert_int_equal(a, 11);
	assert_int_equal(b, 22);
	search_re_free(re);

	/* empty matches: none counted beside real ones, one for a line that has
	 * only empty ones */
	re = search_re_new("a*", SEARCH_SMART_CASE, &e);
	assert_int_equal(search_line_marks(re, &p, "baaab", 5, 0, m, 8), 1);
	assert_int_equal(m[0].start, 1);
	assert_int_equal(m[0].end, 4);
	assert_int_equal(search_line_marks(re, &p, "xyz", 3, 0, m, 8), 1);
	assert_int_equal(m[0].start, m[0].end);
	search_re_free(re);
	re = search_re_new("x*|b", SEARCH_SMART_CASE, &e);
	assert_int_equal(search_line_marks(re, &p, "b", 1, 0, m, 8), 1);
	assert_int_equal(m[0].end, 1);
	search_re_free(re);

	/* invalid UTF-8 does not stop matching */
	re = search_re_new("error", SEARCH_SMART_CASE, &e);
	assert_true(search_line_any(re, &p, "caf\xff\xfe error", 11));
	assert_true(search_line_any(re, &p, "\xc3\xa9rror error", 12));
	search_re_free(re);
	/* non-ASCII caseless */
	re = search_re_new("\xc3\xa9t\xc3\xa9", SEARCH_SMART_CASE, &e);
	assert_true(search_line_any(re, &p, "\xc3\x89T\xc3\x89", 6));
	search_re_free(re);
	ansi_plain_cleanup(&p);
}

/* --- seek --------------------------------------------------------------------------- */

static void test_seek_million_lines(void **state)
{
	struct logstore *ls = s_log("million");
	uint64_t marked[] = {1234, UINT64_MAX};
	s_fill(ls, 1000000, marked, "NEEDLE in a haystack");
	assert_int_equal(logstore_line_count(ls), 1000000);
	struct err e;
	struct search_re *re = search_re_new("needle", SEARCH_SMART_CASE, &e);

	/* backward from the tail: found far above, in several 1 ms slices */
	struct search_seek *s = search_seek_new(ls, re, 999999, UINT64_MAX, -1, true, NULL, &e);
	assert_non_null(s);
	struct search_hit hit;
	unsigned slices = 0;
	assert_int_equal(s_seek_all(s, 1000, &hit, &slices), 1);
	assert_int_equal(hit.line, 1234);
	assert_int_equal(hit.start, strlen("line 0001234 filler text "));
	assert_int_equal(hit.end, hit.start + 6);
	assert_false(search_seek_wrapped(s));
	assert_true(slices > 1);
	search_seek_free(s);

	/* forward from near the tail: wraps around to it */
	s = search_seek_new(ls, re, 999000, 0, 1, true, NULL, &e);
	slices = 0;
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 1);
	assert_int_equal(hit.line, 1234);
	assert_true(search_seek_wrapped(s));
	search_seek_free(s);

	/* without wrap: not found */
	s = search_seek_new(ls, re, 999000, 0, 1, false, NULL, &e);
	slices = 0;
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 2);
	search_seek_free(s);

	/* a pattern that is nowhere */
	search_re_free(re);
	re = search_re_new("Needle", SEARCH_SMART_CASE, &e);
	s = search_seek_new(ls, re, 500000, 0, 1, true, NULL, &e);
	slices = 0;
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 2);
	assert_true(search_seek_wrapped(s));
	search_seek_free(s);
	search_re_free(re);
	logstore_unref(ls);
}

static void test_seek_next_prev_wrap(void **state)
{
	struct logstore *ls = s_log("nN");
	uint64_t marked[] = {10, 500, 990, UINT64_MAX};
	s_fill(ls, 1000, marked, "hit hit");
	struct err e;
	struct search_re *re = search_re_new("hit", SEARCH_SMART_CASE, &e);
	struct search_hit hit, cur;
	unsigned slices = 0;
	/* forward from the top: the first hit, then the second on the same line */
	struct search_seek *s = search_seek_new(ls, re, 0, 0, 1, true, NULL, &e);
	assert_int_equal(s_seek_all(s, 5000, &cur, &slices), 1);
	search_seek_free(s);
	assert_int_equal(cur.line, 10);
	s = search_seek_new(ls, re, cur.line, cur.start + 1, 1, true, NULL, &e);
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 1);
	search_seek_free(s);
	assert_int_equal(hit.line, 10);
	assert_int_equal(hit.start, cur.start + 4);
	/* from the last hit of the log, n wraps to the first */
	cur = (struct search_hit){990, hit.start, hit.end};
	s = search_seek_new(ls, re, cur.line, cur.start + 1, 1, true, NULL, &e);
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 1);
	assert_true(search_seek_wrapped(s));
	search_seek_free(s);
	assert_int_equal(hit.line, 10);
	assert_int_equal(hit.start, cur.start - 4);
	/* from the first hit, N wraps to the last */
	cur = hit;
	s = search_seek_new(ls, re, cur.line, cur.start, -1, true, NULL, &e);
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 1);
	assert_true(search_seek_wrapped(s));
	search_seek_free(s);
	assert_int_equal(hit.line, 990);
	assert_int_equal(hit.start, cur.start + 4);
	/* the only hit of a log is found again after wrapping */
	search_re_free(re);
	re = search_re_new("line 0000500", SEARCH_SMART_CASE, &e);
	s = search_seek_new(ls, re, 500, 1, 1, true, NULL, &e);
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 1);
	assert_int_equal(hit.line, 500);
	assert_true(search_seek_wrapped(s));
	search_seek_free(s);
	search_re_free(re);
	logstore_unref(ls);
}

/* --- counter ---------------------------------------------------------------------------- */

static void test_count_and_rank(void **state)
{
	struct logstore *ls = s_log("count");
	uint64_t marked[] = {3, 5000, 9000, 20000, UINT64_MAX};
	s_fill(ls, 30000, marked, "hit");
	struct err e;
	struct search_re *re = search_re_new("hit", SEARCH_SMART_CASE, &e);
	struct search_count *c = search_count_new(ls, re, &e);
	s_count_all(c);
	assert_int_equal(search_count_total(c), 4);
	assert_int_equal(search_count_lines_done(c), 30000);
	uint64_t off = strlen("line 0009000 filler text ");
	struct search_hit h = {9000, off, off + 3};
	search_count_want_rank(c, &h);
	assert_int_equal(search_count_rank(c), 0);
	s_count_all(c);
	assert_int_equal(search_count_rank(c), 3);
	h.line = 3;
	search_count_want_rank(c, &h);
	s_count_all(c);
	assert_int_equal(search_count_rank(c), 1);

	/* the log grows: the count follows; a partial line counts once */
	s_append(ls, "hit hit\nmore hit");
	s_count_all(c);
	assert_int_equal(search_count_total(c), 7);
	s_append(ls, " hit\n");
	s_count_all(c);
	assert_int_equal(search_count_total(c), 8);
	h = (struct search_hit){30001, 9, 12};
	search_count_want_rank(c, &h);
	s_count_all(c);
	assert_int_equal(search_count_rank(c), 8);
	search_count_set_rank(c, &h, 42);
	assert_int_equal(search_count_rank(c), 42);
	search_count_free(c);
	search_re_free(re);
	logstore_unref(ls);
}

/* --- filter ------------------------------------------------------------------------------- */

static void test_filter_context(void **state)
{
	struct logstore *ls = s_log("filter");
	uint64_t marked[] = {0, 10, 12, 50, 99, UINT64_MAX};
	s_fill(ls, 100, marked, "MATCH");
	struct err e;
	struct search_re *re = search_re_new("MATCH$", SEARCH_SMART_CASE, &e);
	struct search_filter *f = search_filter_new(ls, re, 2, &e);
	s_filter_all(f);
	/* runs: 0-2, 8-14, 48-52, 97-99 (101 clipped to the log) */
	uint64_t n = logstore_line_count(ls);
	assert_int_equal(search_filter_matches(f), 5);
	assert_int_equal(search_filter_rows(f, n), 3 + 7 + 5 + 3);
	uint64_t want[] = {0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 48, 49, 50, 51, 52, 97, 98, 99};
	for (uint64_t r = 0; r < 18; r++)
		assert_int_equal(search_filter_line(f, r), want[r]);
	assert_int_equal(search_filter_row_of(f, 11, n), 6);
	assert_int_equal(search_filter_row_of(f, 20, n), 10);
	assert_int_equal(search_filter_row_of(f, 0, n), 0);
	assert_true(search_filter_has(f, 13, n));
	assert_false(search_filter_has(f, 30, n));
	assert_false(search_filter_has(f, 3, n));
	/* trailing context grows with the log */
	s_append(ls, "next line\n");
	s_filter_all(f);
	n = logstore_line_count(ls);
	assert_int_equal(search_filter_rows(f, n), 19);
	assert_int_equal(search_filter_line(f, 18), 100);
	s_append(ls, "another\nand another\n");
	s_filter_all(f);
	n = logstore_line_count(ls);
	assert_int_equal(search_filter_rows(f, n), 20);
	/* a partial line that matches, then completes without a match */
	s_append(ls, "partial MATCH");
	s_filter_all(f);
	n = logstore_line_count(ls);
	assert_true(search_filter_has(f, 103, n));
	assert_int_equal(search_filter_matches(f), 6);
	s_append(ls, "ED\n");
	s_filter_all(f);
	n = logstore_line_count(ls);
	assert_false(search_filter_has(f, 103, n));
	assert_int_equal(search_filter_matches(f), 5);
	search_filter_free(f);

	/* no context */
	f = search_filter_new(ls, re, 0, &e);
	s_filter_all(f);
	n = logstore_line_count(ls);
	assert_int_equal(search_filter_rows(f, n), 5);
	assert_int_equal(search_filter_line(f, 3), 50);
	search_filter_free(f);
	search_re_free(re);
	logstore_unref(ls);
}

static void test_filter_memory_bound(void **state)
{
	/* alternating lines: every match is its own run */
	struct logstore *ls = s_log("bound");
	uint64_t lines = 2 * (uint64_t)SEARCH_FILTER_MAX_RUNS + 1000;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 8);
	struct err e;
	for (uint64_t i = 0; i < lines; i++) {
		buf[len++] = i % 2 ? 'y' : 'x';
		buf[len++] = '\n';
		if (len >= cap) {
			assert_int_equal(logstore_append(ls, buf, len, LOGSTORE_NOW, &e), 0);
			len = 0;
		}
	}
	assert_int_equal(logstore_append(ls, buf, len, LOGSTORE_NOW, &e), 0);
	free(buf);
	struct search_re *re = search_re_new("x", SEARCH_SMART_CASE, &e);
	struct search_filter *f = search_filter_new(ls, re, 0, &e);
	s_filter_all(f);
	assert_true(search_filter_truncated(f));
	assert_int_equal(search_filter_matches(f), SEARCH_FILTER_MAX_RUNS);
	assert_true(search_filter_bytes(f) <= 24u * SEARCH_FILTER_MAX_RUNS + 65536);
	uint64_t n = logstore_line_count(ls);
	assert_int_equal(search_filter_rows(f, n), SEARCH_FILTER_MAX_RUNS);
	assert_int_equal(search_filter_line(f, SEARCH_FILTER_MAX_RUNS - 1),
			 2 * ((uint64_t)SEARCH_FILTER_MAX_RUNS - 1));
	search_filter_free(f);
	search_re_free(re);
	logstore_unref(ls);
}

static void test_seek_only_filtered(void **state)
{
	struct logstore *ls = s_log("only");
	uint64_t marked[] = {5, 50, UINT64_MAX};
	s_fill(ls, 100, marked, "keep");
	struct err e;
	struct search_re *fre = search_re_new("keep", SEARCH_SMART_CASE, &e);
	struct search_re *re = search_re_new("line 00000[0-9]0", SEARCH_SMART_CASE, &e);
	struct search_filter *f = search_filter_new(ls, fre, 0, &e);
	s_filter_all(f);
	struct search_hit hit;
	unsigned slices = 0;
	/* lines 0, 10, 20, ... match, but only 50 is shown by the filter */
	struct search_seek *s = search_seek_new(ls, re, 0, 0, 1, true, f, &e);
	assert_int_equal(s_seek_all(s, 5000, &hit, &slices), 1);
	assert_int_equal(hit.line, 50);
	search_seek_free(s);
	search_filter_free(f);
	search_re_free(re);
	search_re_free(fre);
	logstore_unref(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_smart_case_and_errors),
	    cmocka_unit_test(test_line_hits),
	    cmocka_unit_test(test_seek_million_lines),
	    cmocka_unit_test(test_seek_next_prev_wrap),
	    cmocka_unit_test(test_count_and_rank),
	    cmocka_unit_test(test_filter_context),
	    cmocka_unit_test(test_filter_memory_bound),
	    cmocka_unit_test(test_seek_only_filtered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
