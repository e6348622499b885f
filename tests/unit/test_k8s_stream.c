/* Unit tests for the stream handling of backend/k8s: watch event framing
 * (newlines, not chunks, delimit events: split anywhere, inside UTF-8, \r\n,
 * oversized events), RFC 3339 times with variable-width fractions, and the
 * log resume bookkeeping: a log served as kubelet does (sinceTime at
 * one-second resolution) and cut at random places arrives with no line lost
 * or repeated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/ktime.h"
#include "k8s/podlog.h"
#include "k8s/watch.h"
#include "xmem.h"

/* --- framing ----------------------------------------------------------------- */

struct lines {
	char **v;
	size_t n;
	int stop_at; /* return -1 at this line (or -1: never) */
};

static int s_collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = xstrndup(line, len);
	return (int)l->n - 1 == l->stop_at ? -1 : 0;
}

static void s_lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void test_framer_random_splits(void **state)
{
	/* 200 events with multi-byte UTF-8, one with \r\n. */
	size_t cap = 1 << 16, len = 0;
	char *stream = xmalloc(cap);
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(
		    stream + len, cap - len,
		    "{\"type\":\"MODIFIED\",\"object\":{\"n\":%d,\"s\":\"é✓𝄞\"}}%s", i,
		    i == 7 ? "\r\n" : "\n");
	unsigned seed = 7;
	for (int round = 0; round < 200; round++) {
		struct watch_framer f = {0};
		struct lines l = {.stop_at = -1};
		size_t pos = 0;
		while (pos < len) {
			size_t n = 1 + (size_t)rand_r(&seed) % (round % 3 == 0 ? 3 : 400);
			if (n > len - pos)
				n = len - pos;
			assert_int_equal(
			    watch_framer_feed(&f, stream + pos, n, s_collect, &l, NULL), 0);
			pos += n;
		}
		assert_int_equal(l.n, 200);
		assert_int_equal(watch_framer_pending(&f), 0);
		for (int i = 0; i < 200; i++) {
			char want[128];
			snprintf(want, sizeof(want),
				 "{\"type\":\"MODIFIED\",\"object\":{\"n\":%d,\"s\":\"é✓𝄞\"}}", i);
			assert_string_equal(l.v[i], want);
		}
		s_lines_free(&l);
		watch_framer_cleanup(&f);
	}
	free(stream);
}

static void test_framer_partial_and_stop(void **state)
{
	struct watch_framer f = {0};
	struct lines l = {.stop_at = 1};
	assert_int_equal(watch_framer_feed(&f, "abc", 3, s_collect, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(watch_framer_pending(&f), 3);
	/* The callback stops at the second line: the third is not delivered. */
	assert_int_equal(watch_framer_feed(&f, "d\n\nx\ny\n", 7, s_collect, &l, NULL), -1);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "abcd");
	assert_string_equal(l.v[1], "");
	watch_framer_reset(&f);
	assert_int_equal(watch_framer_pending(&f), 0);
	s_lines_free(&l);
	watch_framer_cleanup(&f);
}

static void test_framer_too_long(void **state)
{
	struct watch_framer f = {0};
	struct lines l = {.stop_at = -1};
	size_t chunk = 1 << 20;
	char *buf = xmalloc(chunk);
	memset(buf, 'x', chunk);
	struct err e = {0};
	int rc = 0;
	for (size_t sent = 0; rc == 0 && sent <= WATCH_LINE_MAX; sent += chunk)
		rc = watch_framer_feed(&f, buf, chunk, s_collect, &l, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(e.code, ERR_PROTO);
	free(buf);
	s_lines_free(&l);
	watch_framer_cleanup(&f);
}

/* --- times --------------------------------------------------------------------- */

static void test_ktime(void **state)
{
	int64_t s;
	int32_t ns;
	const char *t = "2026-01-02T03:04:05Z";
	assert_int_equal(ktime_parse(t, strlen(t), &s, &ns), 0);
	assert_int_equal(s, 1767323045);
	assert_int_equal(ns, 0);
	t = "2026-01-02T03:04:05.1Z";
	assert_int_equal(ktime_parse(t, strlen(t), &s, &ns), 0);
	assert_int_equal(ns, 100000000);
	t = "2026-01-02T03:04:05.123456789Z";
	assert_int_equal(ktime_parse(t, strlen(t), &s, &ns), 0);
	assert_int_equal(ns, 123456789);
	t = "2026-01-02T05:04:05.5+02:00";
	assert_int_equal(ktime_parse(t, strlen(t), &s, &ns), 0);
	assert_int_equal(s, 1767323045);
	assert_int_equal(ns, 500000000);
	t = "2024-02-29T23:59:59Z"; /* leap day */
	assert_int_equal(ktime_parse(t, strlen(t), &s, &ns), 0);
	assert_int_equal(s, 1709251199);
	const char *bad[] = {"2026-01-02 03:04:05Z",	 "2026-01-02T03:04:05",
			     "2026-13-02T03:04:05Z",	 "2026-01-02T03:04:05.Z",
			     "2026-01-02T03:04:05Zjunk", "x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ktime_parse(bad[i], strlen(bad[i]), &s, &ns), -1);
	char buf[32];
	ktime_format(1767323045, buf, sizeof(buf));
	assert_string_equal(buf, "2026-01-02T03:04:05Z");
	assert_int_equal(ktime_ms("2026-01-02T03:04:05.25Z"), 1767323045250LL);
	assert_int_equal(ktime_ms(NULL), 0);
}

static void test_split(void **state)
{
	const char *line = "2026-01-02T03:04:05.12Z hello world";
	int64_t s;
	int32_t ns;
	size_t at;
	assert_int_equal(podlog_split(line, strlen(line), &s, &ns, &at), 0);
	assert_int_equal(s, 1767323045);
	assert_int_equal(ns, 120000000);
	assert_string_equal(line + at, "hello world");
	line = "2026-01-02T03:04:05Z ";
	assert_int_equal(podlog_split(line, strlen(line), &s, &ns, &at), 0);
	assert_int_equal(at, strlen(line));
	line = "no timestamp here";
	assert_int_equal(podlog_split(line, strlen(line), &s, &ns, &at), -1);
}

/* --- resume --------------------------------------------------------------------- */

struct logline {
	int64_t sec;
	int seq;
};

/* What kubelet serves from sinceTime (one-second resolution): every line whose
 * second is >= since. */
static size_t s_first_from(const struct logline *log, size_t n, int64_t since)
{
	size_t i = 0;
	while (i < n && log[i].sec < since)
		i++;
	return i;
}

static void test_resume_random_cuts(void **state)
{
	enum { N = 20000 };
	struct logline *log = xmalloc(N * sizeof(*log));
	unsigned seed = 3;
	int64_t sec = 1767323045;
	for (int i = 0; i < N; i++) {
		if (rand_r(&seed) % 40 == 0)
			sec += 1 + rand_r(&seed) % 3; /* bursts of many lines per second */
		log[i] = (struct logline){sec, i};
	}
	for (int round = 0; round < 50; round++) {
		struct podlog_resume r;
		podlog_resume_init(&r);
		int *got = xmalloc(N * sizeof(int));
		size_t n_got = 0;
		int streams = 0;
		while (n_got < N) {
			char since[32];
			size_t pos = 0;
			if (podlog_resume_start(&r, since, sizeof(since))) {
				int64_t s;
				int32_t ns;
				assert_int_equal(ktime_parse(since, strlen(since), &s, &ns), 0);
				pos = s_first_from(log, N, s);
			}
			streams++;
			/* This stream is cut after a random number of lines (sometimes
			 * fewer than it repeats); as with the test server's cut faults,
			 * only so many streams are cut. */
			size_t cut = pos + (size_t)rand_r(&seed) % (round % 2 ? 50 : 3000);
			if (streams > 2000)
				cut = N;
			for (; pos < N && pos < cut; pos++)
				if (podlog_resume_line(&r, log[pos].sec))
					got[n_got++] = log[pos].seq;
		}
		assert_true(streams > 1);
		for (int i = 0; i < N; i++)
			if (got[i] != i)
				fail_msg("round %d: line %d is %d (lost or repeated)", round, i,
					 got[i]);
		assert_int_equal(r.kept, N);
		free(got);
	}
	free(log);
}

static void test_resume_first_stream(void **state)
{
	struct podlog_resume r;
	podlog_resume_init(&r);
	char since[32];
	assert_false(podlog_resume_start(&r, since, sizeof(since)));
	assert_true(podlog_resume_line(&r, 100));
	assert_true(podlog_resume_line(&r, 100));
	assert_true(podlog_resume_line(&r, 101));
	assert_true(podlog_resume_start(&r, since, sizeof(since)));
	assert_int_equal(ktime_ms(since), 101000);
	assert_int_equal(r.skip, 1);
	assert_false(podlog_resume_line(&r, 101)); /* the one already kept */
	assert_true(podlog_resume_line(&r, 101));
	assert_true(podlog_resume_line(&r, 102));
	assert_int_equal(r.skipped, 1);
	assert_int_equal(r.kept, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_framer_random_splits),
	    cmocka_unit_test(test_framer_partial_and_stop),
	    cmocka_unit_test(test_framer_too_long),
	    cmocka_unit_test(test_ktime),
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_resume_random_cuts),
	    cmocka_unit_test(test_resume_first_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
