/* Unit tests for backend/blob_dir: the blob store as a directory, on real
 * files in AFT_TEST_TMP. Listing is checked against a small model of S3's
 * ListObjectsV2 (prefix, delimiter "/", common prefixes, byte order, paging
 * with the previous page's last key as start-after) over keys with spaces and
 * UTF-8; keys are validated against path traversal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob_dir.h"
#include "evloop.h"
#include "fsutil.h"
#include "timeutil.h"
#include "xmem.h"

#define WATCHDOG_S 110
#define ARTS	   "arts-bucket"
#define LOGS	   "logs-bucket"

/* --- fixture --------------------------------------------------------------- */

struct fx {
	struct evloop *loop;
	struct blob *b;
	char root[512];
	char src[600]; /* scratch source file for puts */
};

static int s_setup(void **state)
{
	static int seq;
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err e = {0};
	snprintf(f->root, sizeof(f->root), "%s/blobdir-%d-%d", AFT_TEST_TMP, (int)getpid(), ++seq);
	fsutil_rm_rf(f->root, &e);
	snprintf(f->src, sizeof(f->src), "%s.src", f->root);
	f->loop = evloop_new(&e);
	f->b = blob_dir_new(f->loop, f->root, ARTS, LOGS, &e);
	if (!f->b) {
		fprintf(stderr, "blob_dir_new: %s\n", e.msg);
		return -1;
	}
	assert_string_equal(f->b->ops->name, "dir");
	*state = f;
	alarm(WATCHDOG_S);
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	f->b->ops->free(f->b);
	evloop_free(f->loop);
	fsutil_rm_rf(f->root, &e);
	unlink(f->src);
	free(f);
	alarm(0);
	return 0;
}

struct call {
	int done;
	int rc;
	struct err err;
	struct blob_list entries;
	char *next_token;
	uint64_t size;
	int64_t mtime_ms;
	/* get */
	char *data;
	size_t len;
	int chunks;
	int abort_after; /* > 0: the data sink fails on that chunk */
};

static void s_got(void *ctx, struct blob_reply *r)
{
	struct call *c = ctx;
	c->done++;
	c->rc = r->rc;
	c->err = r->err;
	c->entries = r->entries;
	memset(&r->entries, 0, sizeof(r->entries));
	c->next_token = r->next_token;
	r->next_token = NULL;
	c->size = r->size;
	c->mtime_ms = r->mtime_ms;
}

static int s_data(void *ctx, const char *buf, size_t len)
{
	struct call *c = ctx;
	c->chunks++;
	if (c->abort_after && c->chunks >= c->abort_after)
		return -1;
	c->data = xrealloc(c->data, c->len + len + 1);
	memcpy(c->data + c->len, buf, len);
	c->len += len;
	c->data[c->len] = '\0';
	return 0;
}

static void s_call_cleanup(struct call *c)
{
	blob_list_cleanup(&c->entries);
	free(c->next_token);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

static void s_wait(struct fx *f, struct call *c)
{
	assert_int_equal(c->done, 0); /* never from inside the call */
	int64_t until = timeutil_mono_ms() + 20000;
	while (!c->done && timeutil_mono_ms() < until)
		evloop_run_once(f->loop, 100);
	assert_int_equal(c->done, 1);
}

static void s_write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static struct call s_put(struct fx *f, enum blob_bucket bk, const char *key, const void *data,
			 size_t len)
{
	struct call c = {0};
	s_write_file(f->src, data, len);
	f->b->ops->put_file(f->b, bk, key, f->src, "application/octet-stream", s_got, &c);
	s_wait(f, &c);
	return c;
}

static void s_put_ok(struct fx *f, enum blob_bucket bk, const char *key, const char *text)
{
	struct call c = s_put(f, bk, key, text, strlen(text));
	if (c.rc != 0)
		fail_msg("put '%s': %s", key, c.err.msg);
	assert_int_equal(c.size, strlen(text));
	s_call_cleanup(&c);
}

static struct call s_get(struct fx *f, enum blob_bucket bk, const char *key, uint64_t off,
			 uint64_t len, int abort_after)
{
	struct call c = {0};
	c.abort_after = abort_after;
	f->b->ops->get(f->b, bk, key, off, len, s_data, s_got, &c);
	s_wait(f, &c);
	return c;
}

static struct call s_head(struct fx *f, enum blob_bucket bk, const char *key)
{
	struct call c = {0};
	f->b->ops->head(f->b, bk, key, s_got, &c);
	s_wait(f, &c);
	return c;
}

static struct call s_list(struct fx *f, enum blob_bucket bk, const char *prefix, const char *delim,
			  const char *token, int max)
{
	struct call c = {0};
	f->b->ops->list(f->b, bk, prefix, delim, token, max, s_got, &c);
	s_wait(f, &c);
	return c;
}

static struct call s_del(struct fx *f, enum blob_bucket bk, const char *const *keys, size_t n)
{
	struct call c = {0};
	f->b->ops->del(f->b, bk, keys, n, s_got, &c);
	s_wait(f, &c);
	return c;
}

/* --- objects ---------------------------------------------------------------- */

static void test_put_get_head_round_trip(void **state)
{
	struct fx *f = *state;
	unsigned char bin[4096];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3); /* includes NUL bytes */
	int64_t before = timeutil_wall_ms();
	struct call c = s_put(f, BLOB_ARTIFACTS, "team/proj/id/out/bin.dat", bin, sizeof(bin));
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.size, sizeof(bin));
	s_call_cleanup(&c);
	c = s_get(f, BLOB_ARTIFACTS, "team/proj/id/out/bin.dat", 0, 0, 0);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.size, sizeof(bin));
	assert_int_equal(c.len, sizeof(bin));
	assert_memory_equal(c.data, bin, sizeof(bin));
	s_call_cleanup(&c);
	c = s_head(f, BLOB_ARTIFACTS, "team/proj/id/out/bin.dat");
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.size, sizeof(bin));
	assert_true(c.mtime_ms >= before - 2000);
	assert_true(c.mtime_ms <= timeutil_wall_ms() + 2000);
	s_call_cleanup(&c);
	/* An empty object. */
	c = s_put(f, BLOB_LOGS, "t/p/empty.log.gz", "", 0);
	assert_int_equal(c.rc, 0);
	s_call_cleanup(&c);
	c = s_get(f, BLOB_LOGS, "t/p/empty.log.gz", 0, 0, 0);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.len, 0);
	assert_int_equal(c.chunks, 0);
	s_call_cleanup(&c);
	/* Overwrite replaces the whole object. */
	s_put_ok(f, BLOB_ARTIFACTS, "team/proj/id/out/bin.dat", "short");
	c = s_get(f, BLOB_ARTIFACTS, "team/proj/id/out/bin.dat", 0, 0, 0);
	assert_int_equal(c.len, 5);
	assert_memory_equal(c.data, "short", 5);
	s_call_cleanup(&c);
	/* The object is where DESIGN.md §2 says, and location names it. */
	char *loc = f->b->ops->location(f->b, BLOB_ARTIFACTS, "team/proj/id/out/bin.dat");
	char want[700];
	snprintf(want, sizeof(want), "%s/%s/team/proj/id/out/bin.dat", f->root, ARTS);
	assert_string_equal(loc, want);
	struct stat st;
	assert_int_equal(stat(loc, &st), 0);
	assert_int_equal(st.st_size, 5);
	free(loc);
	/* Keys with spaces and UTF-8 are stored as they are. */
	const char *odd = "t/p/ü ñ/日本 データ.txt";
	s_put_ok(f, BLOB_ARTIFACTS, odd, "unicode");
	c = s_get(f, BLOB_ARTIFACTS, odd, 0, 0, 0);
	assert_string_equal(c.data, "unicode");
	s_call_cleanup(&c);
	/* No temporary files remain in the buckets or beside them. */
	c = s_list(f, BLOB_ARTIFACTS, "", "", NULL, 1000);
	assert_int_equal(c.entries.n, 2);
	s_call_cleanup(&c);
}

static void test_get_ranges(void **state)
{
	struct fx *f = *state;
	size_t n = 3 * 1024 * 1024 + 12345; /* several read slices */
	char *big = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + (i * 31 + i / 977) % 26);
	struct call c = s_put(f, BLOB_ARTIFACTS, "big/object.bin", big, n);
	assert_int_equal(c.rc, 0);
	s_call_cleanup(&c);
	c = s_get(f, BLOB_ARTIFACTS, "big/object.bin", 0, 0, 0);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.len, n);
	assert_true(c.chunks >= 2); /* streamed, not in one piece */
	assert_memory_equal(c.data, big, n);
	assert_int_equal(c.size, n);
	s_call_cleanup(&c);
	struct {
		uint64_t off, len, want_off, want_len;
	} r[] = {
	    {0, 1, 0, 1},
	    {1000, 500, 1000, 500},
	    {1048570, 20, 1048570, 20}, /* across a slice boundary */
	    {n - 10, 0, n - 10, 10},	/* to the end */
	    {n - 10, 100, n - 10, 10},	/* clipped at the end */
	    {5, 2 * 1024 * 1024 + 1, 5, 2 * 1024 * 1024 + 1},
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		c = s_get(f, BLOB_ARTIFACTS, "big/object.bin", r[i].off, r[i].len, 0);
		assert_int_equal(c.rc, 0);
		if (c.len != r[i].want_len)
			fail_msg("range %zu: %zu bytes, want %llu", i, c.len,
				 (unsigned long long)r[i].want_len);
		assert_memory_equal(c.data, big + r[i].want_off, r[i].want_len);
		assert_int_equal(c.size, n); /* size is the object's */
		s_call_cleanup(&c);
	}
	/* An offset at or past the end gives no data. */
	c = s_get(f, BLOB_ARTIFACTS, "big/object.bin", n, 0, 0);
	assert_int_equal(c.len, 0);
	s_call_cleanup(&c);
	c = s_get(f, BLOB_ARTIFACTS, "big/object.bin", n + 100, 10, 0);
	assert_int_equal(c.len, 0);
	s_call_cleanup(&c);
	free(big);
}

static void test_get_aborted_by_sink(void **state)
{
	struct fx *f = *state;
	size_t n = 3 * 1024 * 1024;
	char *big = xcalloc(1, n);
	struct call c = s_put(f, BLOB_LOGS, "t/p/x.log.gz", big, n);
	s_call_cleanup(&c);
	c = s_get(f, BLOB_LOGS, "t/p/x.log.gz", 0, 0, 2);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, ERR_CANCELLED);
	assert_int_equal(c.chunks, 2); /* nothing delivered after the sink said stop */
	s_call_cleanup(&c);
	free(big);
}

static void test_missing_objects(void **state)
{
	struct fx *f = *state;
	s_put_ok(f, BLOB_ARTIFACTS, "dir/file.txt", "x");
	const char *missing[] = {"nope.txt", "dir/nope.txt", "dir", "nodir/file.txt",
				 "dir/file.txt/more"};
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		struct call c = s_get(f, BLOB_ARTIFACTS, missing[i], 0, 0, 0);
		if (c.rc != -1 || c.err.code != ERR_NOTFOUND)
			fail_msg("get '%s': rc %d code %d", missing[i], c.rc, c.err.code);
		assert_int_equal(c.chunks, 0);
		s_call_cleanup(&c);
		c = s_head(f, BLOB_ARTIFACTS, missing[i]);
		if (c.rc != -1 || c.err.code != ERR_NOTFOUND)
			fail_msg("head '%s': rc %d code %d", missing[i], c.rc, c.err.code);
		s_call_cleanup(&c);
	}
	/* The other bucket does not see it. */
	struct call c = s_get(f, BLOB_LOGS, "dir/file.txt", 0, 0, 0);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	s_call_cleanup(&c);
	/* A source that does not exist fails the put, later and with its name. */
	c = (struct call){0};
	f->b->ops->put_file(f->b, BLOB_ARTIFACTS, "x/y.txt", "/nonexistent/src/file", NULL, s_got,
			    &c);
	s_wait(f, &c);
	assert_int_equal(c.rc, -1);
	assert_non_null(strstr(c.err.msg, "/nonexistent/src/file"));
	s_call_cleanup(&c);
	c = s_head(f, BLOB_ARTIFACTS, "x/y.txt");
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	s_call_cleanup(&c);
}

/* --- listing against a model of S3 ------------------------------------------ */

static const char *const s_keys[] = {
    "readme.txt",
    "docs/guide.md",
    "docs/api/index.html",
    "docs/api/v1/spec.json",
    "docs-old/x.txt",
    "docs.txt",
    "docs /space name.txt",
    "a b/c d.txt",
    "ünïcödé/файл.txt",
    "日本/データ.bin",
    "z",
    "Z",
    "0start",
    "deep/1/2/3/4/5/leaf",
    "logs/2024/01/a.log",
    "logs/2024/02/b.log",
    "logs/2024-summary.txt",
    "x!y",
    "x/z",
    "x#/q",
    "emoji-😀.txt",
    "100% done.txt",
    "semi;colon&amp.txt",
    ".hidden",
    "..dots",
    "a.b/..c/d..",
};
#define NKEYS (sizeof(s_keys) / sizeof(s_keys[0]))

struct entry {
	char *key;
	bool is_prefix;
};

struct entries {
	struct entry *v;
	size_t n;
};

static int s_cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* What S3 answers, all pages together: keys under prefix; with the delimiter,
 * keys with a '/' after the prefix roll up into one common prefix ending at
 * that '/'; everything in byte order, each name once. */
static struct entries s_model(const char *prefix, bool delim)
{
	struct entries out = {xcalloc(NKEYS, sizeof(struct entry)), 0};
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < NKEYS; i++) {
		const char *k = s_keys[i];
		if (strncmp(k, prefix, plen) != 0)
			continue;
		const char *slash = delim ? strchr(k + plen, '/') : NULL;
		char *name = slash ? xstrndup(k, (size_t)(slash - k + 1)) : xstrdup(k);
		bool dup = false;
		for (size_t j = 0; j < out.n && !dup; j++)
			dup = strcmp(out.v[j].key, name) == 0;
		if (dup) {
			free(name);
			continue;
		}
		out.v[out.n++] = (struct entry){name, slash != NULL};
	}
	qsort(out.v, out.n, sizeof(*out.v), s_cmp_entry);
	return out;
}

static void s_entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].key);
	free(e->v);
}

static size_t s_key_size(const char *key)
{
	return strlen(key) + 1; /* each object holds its key and a newline */
}

/* Lists everything under prefix page by page and compares with the model. */
static void s_check_listing(struct fx *f, const char *prefix, const char *delim, int max)
{
	struct entries want = s_model(prefix, *delim != '\0');
	if (want.n == 0) {
		/* Listings that find nothing are checked by the last test. */
		s_entries_free(&want);
		return;
	}
	char *token = NULL;
	size_t seen = 0;
	int pages = 0;
	for (;;) {
		struct call c = s_list(f, BLOB_ARTIFACTS, prefix, delim, token, max);
		if (c.rc != 0)
			fail_msg("list '%s' '%s': %s", prefix, delim, c.err.msg);
		pages++;
		for (size_t i = 0; i < c.entries.n; i++, seen++) {
			const struct blob_entry *en = &c.entries.items[i];
			if (seen >= want.n)
				fail_msg("list '%s' delim '%s' max %d: extra entry '%s'", prefix,
					 delim, max, en->key);
			if (strcmp(en->key, want.v[seen].key) != 0 ||
			    en->is_prefix != want.v[seen].is_prefix)
				fail_msg("list '%s' delim '%s' max %d: entry %zu is '%s'%s, want "
					 "'%s'%s",
					 prefix, delim, max, seen, en->key,
					 en->is_prefix ? " (prefix)" : "", want.v[seen].key,
					 want.v[seen].is_prefix ? " (prefix)" : "");
			if (en->is_prefix) {
				assert_int_equal(en->size, 0);
			} else {
				assert_int_equal(en->size, s_key_size(en->key));
				assert_true(en->mtime_ms > 0);
			}
		}
		free(token);
		token = c.next_token;
		c.next_token = NULL;
		if (!token) {
			s_call_cleanup(&c);
			break;
		}
		/* Only a full page goes on; the token is its last name. */
		assert_int_equal(c.entries.n, (size_t)max);
		assert_string_equal(token, c.entries.items[c.entries.n - 1].key);
		s_call_cleanup(&c);
		if (pages > 1000)
			fail_msg("list '%s': paging does not end", prefix);
	}
	if (seen != want.n)
		fail_msg("list '%s' delim '%s' max %d: %zu entries, want %zu", prefix, delim, max,
			 seen, want.n);
	s_entries_free(&want);
}

static void s_put_all_keys(struct fx *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		char text[256];
		snprintf(text, sizeof(text), "%s\n", s_keys[i]);
		s_put_ok(f, BLOB_ARTIFACTS, s_keys[i], text);
	}
}

static void test_list_matches_s3_model(void **state)
{
	struct fx *f = *state;
	s_put_all_keys(f);
	/* Every byte prefix of every key, plus some that match nothing. */
	const char *extra[] = {"",   "nonexistent/", "docs/api/v2", "q", "docs/api/v1/spec.json/",
			       "Z/", "deep/1/2/",    "logs/2024",   "x"};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		s_check_listing(f, extra[i], "", 1000);
		s_check_listing(f, extra[i], "/", 1000);
		s_check_listing(f, extra[i], "/", 1);
		s_check_listing(f, extra[i], "", 2);
		s_check_listing(f, extra[i], "/", 3);
	}
	for (size_t i = 0; i < NKEYS; i++) {
		size_t len = strlen(s_keys[i]);
		for (size_t k = 1; k <= len; k++) {
			char *p = xstrndup(s_keys[i], k);
			s_check_listing(f, p, "", 1000);
			s_check_listing(f, p, "/", 1000);
			if (p[k - 1] == '/')
				s_check_listing(f, p, "/", 2);
			free(p);
		}
	}
}

/* Without a delimiter, a start-after that is not itself a key works as in S3:
 * everything after it in byte order. */
static void test_list_start_after_any_string(void **state)
{
	struct fx *f = *state;
	s_put_all_keys(f);
	struct entries all = s_model("", false);
	const char *tokens[] = {"docs/b", "m", "a", "docs", "docs/", "\x7f", "ü", "zz", "0"};
	for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++) {
		struct call c = s_list(f, BLOB_ARTIFACTS, "", "", tokens[t], 1000);
		assert_int_equal(c.rc, 0);
		size_t w = 0;
		while (w < all.n && strcmp(all.v[w].key, tokens[t]) <= 0)
			w++;
		assert_int_equal(c.entries.n, all.n - w);
		for (size_t i = 0; i < c.entries.n; i++)
			assert_string_equal(c.entries.items[i].key, all.v[w + i].key);
		assert_null(c.next_token);
		s_call_cleanup(&c);
	}
	s_entries_free(&all);
}

static void test_list_default_page_is_1000(void **state)
{
	struct fx *f = *state;
	enum { N = 1203 };
	for (int i = 0; i < N; i++) {
		char key[64];
		snprintf(key, sizeof(key), "many/k%05d", i);
		s_put_ok(f, BLOB_ARTIFACTS, key, "1");
	}
	struct call c = s_list(f, BLOB_ARTIFACTS, "many/", "/", NULL, 0);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.entries.n, 1000);
	assert_string_equal(c.next_token, "many/k00999");
	struct call d = s_list(f, BLOB_ARTIFACTS, "many/", "/", c.next_token, 0);
	assert_int_equal(d.entries.n, N - 1000);
	assert_null(d.next_token);
	assert_string_equal(d.entries.items[0].key, "many/k01000");
	s_call_cleanup(&c);
	s_call_cleanup(&d);
	/* Exactly a page: no token (S3's IsTruncated false). */
	c = s_list(f, BLOB_ARTIFACTS, "many/k000", "", NULL, 100);
	assert_int_equal(c.entries.n, 100);
	assert_null(c.next_token);
	s_call_cleanup(&c);
}

static void test_list_only_slash_delimiter(void **state)
{
	struct fx *f = *state;
	s_put_ok(f, BLOB_ARTIFACTS, "a-b", "1");
	struct call c = s_list(f, BLOB_ARTIFACTS, "", "-", NULL, 10);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, ERR_USAGE);
	s_call_cleanup(&c);
	/* NULL prefix and delimiter mean "" (everything, flat). */
	c = s_list(f, BLOB_ARTIFACTS, NULL, NULL, NULL, 10);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.entries.n, 1);
	s_call_cleanup(&c);
}

/* S3 has no directories: once the last object under a prefix is deleted, the
 * prefix is gone from listings. */
static void test_delete_leaves_no_empty_prefixes(void **state)
{
	struct fx *f = *state;
	s_put_all_keys(f);
	const char *del[] = {"docs/api/index.html", "docs/api/v1/spec.json", "deep/1/2/3/4/5/leaf",
			     "never/existed.txt"};
	struct call c = s_del(f, BLOB_ARTIFACTS, del, 4);
	assert_int_equal(c.rc, 0);
	s_call_cleanup(&c);
	c = s_list(f, BLOB_ARTIFACTS, "docs/", "/", NULL, 100);
	assert_int_equal(c.entries.n, 1);
	assert_string_equal(c.entries.items[0].key, "docs/guide.md");
	s_call_cleanup(&c);
	c = s_list(f, BLOB_ARTIFACTS, "", "/", NULL, 1000);
	for (size_t i = 0; i < c.entries.n; i++)
		assert_string_not_equal(c.entries.items[i].key, "deep/");
	s_call_cleanup(&c);
	c = s_head(f, BLOB_ARTIFACTS, "docs/api/index.html");
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	s_call_cleanup(&c);
	/* Deleting everything leaves an empty, still usable bucket. */
	c = s_del(f, BLOB_ARTIFACTS, (const char *const *)s_keys, NKEYS);
	assert_int_equal(c.rc, 0);
	s_call_cleanup(&c);
	char bucket[700];
	snprintf(bucket, sizeof(bucket), "%s/%s", f->root, ARTS);
	struct stat st;
	assert_int_equal(stat(bucket, &st), 0);
	s_put_ok(f, BLOB_ARTIFACTS, "again.txt", "x");
}

/* BUG (blob_dir.c, s_put_file): the parent directories are made before the
 * source is copied; when the copy fails they stay, and listings show a common
 * prefix with no object under it, which S3 never does. Kept failing on purpose
 * until the module is fixed. */
static void test_failed_put_leaves_no_empty_prefix(void **state)
{
	struct fx *f = *state;
	s_put_ok(f, BLOB_ARTIFACTS, "team/proj/a.txt", "x");
	struct call c = {0};
	f->b->ops->put_file(f->b, BLOB_ARTIFACTS, "team/ghost/dir/file.txt", "/nonexistent/src",
			    NULL, s_got, &c);
	s_wait(f, &c);
	assert_int_equal(c.rc, -1);
	s_call_cleanup(&c);
	c = s_list(f, BLOB_ARTIFACTS, "team/", "/", NULL, 100);
	assert_int_equal(c.rc, 0);
	size_t n = c.entries.n;
	char first[256] = "", second[256] = "";
	if (n > 0)
		snprintf(first, sizeof(first), "%s", c.entries.items[0].key);
	if (n > 1)
		snprintf(second, sizeof(second), "%s", c.entries.items[1].key);
	s_call_cleanup(&c);
	if (n != 1)
		fail_msg("listing 'team/' shows %zu entries ('%s', '%s'), want only 'team/proj/'",
			 n, first, second);
	assert_string_equal(first, "team/proj/");
}

/* --- keys --------------------------------------------------------------------- */

static void test_key_validation(void **state)
{
	(void)state;
	const char *good[] = {"a",	     "a b",	   "..a",      "a..",
			      ".hidden",     "a/.b",	   "a/b..",    "ü/日本.txt",
			      "a/b/c/d",     "x%2F..%2Fy", "a\\..\\b", "100% done",
			      "emoji-😀.txt", "-",	   "a/...",    "~"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!blob_dir_key_ok(good[i]))
			fail_msg("'%s' rejected", good[i]);
	const char *bad[] = {"",
			     "/",
			     "/abs",
			     ".",
			     "..",
			     "../x",
			     "a/../b",
			     "a/..",
			     "a/./b",
			     "./a",
			     "a/.",
			     "a//b",
			     "//",
			     "ctl\x01",
			     "tab\tkey",
			     "new\nline",
			     "esc\x1b[m",
			     "\x1f",
			     "../../../../etc/passwd"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (blob_dir_key_ok(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(blob_dir_key_ok(NULL));
}

/* BUG (blob_dir.c, blob_dir_key_ok): a trailing '/' makes an empty last
 * segment, which the header says is refused, but it is accepted; such a key
 * names the directory of other objects. Kept failing on purpose until the
 * module is fixed. */
static void test_key_with_trailing_slash_rejected(void **state)
{
	(void)state;
	assert_false(blob_dir_key_ok("a/"));
	assert_false(blob_dir_key_ok("team/proj/"));
}

/* Every operation refuses bad keys and touches nothing outside the bucket. */
static void test_bad_keys_rejected_by_every_operation(void **state)
{
	struct fx *f = *state;
	/* A file in the other bucket, reachable by "../" if keys were not checked. */
	s_put_ok(f, BLOB_LOGS, "secret.txt", "secret");
	const char *bad[] = {"../" LOGS "/secret.txt",
			     "a/../../" LOGS "/secret.txt",
			     "/etc/passwd",
			     "",
			     "a//b",
			     "./x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct call c = s_put(f, BLOB_ARTIFACTS, bad[i], "evil", 4);
		if (c.rc != -1 || c.err.code != ERR_USAGE)
			fail_msg("put '%s' rc %d code %d", bad[i], c.rc, c.err.code);
		s_call_cleanup(&c);
		c = s_get(f, BLOB_ARTIFACTS, bad[i], 0, 0, 0);
		assert_int_equal(c.err.code, ERR_USAGE);
		assert_int_equal(c.len, 0);
		s_call_cleanup(&c);
		c = s_head(f, BLOB_ARTIFACTS, bad[i]);
		assert_int_equal(c.err.code, ERR_USAGE);
		s_call_cleanup(&c);
		const char *one[] = {bad[i]};
		c = s_del(f, BLOB_ARTIFACTS, one, 1);
		assert_int_equal(c.rc, -1);
		assert_int_equal(c.err.code, ERR_USAGE);
		s_call_cleanup(&c);
	}
	/* Still there, unchanged. */
	struct call c = s_get(f, BLOB_LOGS, "secret.txt", 0, 0, 0);
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.data, "secret");
	s_call_cleanup(&c);
	/* Nothing was written above the store root. */
	char outside[700];
	snprintf(outside, sizeof(outside), "%s/etc/passwd", f->root);
	assert_false(fsutil_exists(outside));
	/* Control characters in a message about a bad key stay out. */
	c = s_head(f, BLOB_ARTIFACTS, "bad\nkey");
	assert_int_equal(c.err.code, ERR_USAGE);
	assert_null(strchr(c.err.msg, '\n'));
	s_call_cleanup(&c);
}

/* BUG (blob_dir.c, s_list): the prefix is not checked like a key, so a prefix
 * with ".." segments lists files outside the bucket (here the other bucket).
 * In S3 such a prefix matches no key, since no key contains a ".." segment.
 * Kept failing on purpose until the module is fixed. */
static void test_list_prefix_cannot_leave_bucket(void **state)
{
	struct fx *f = *state;
	s_put_ok(f, BLOB_LOGS, "team/secret.log.gz", "secret");
	s_put_ok(f, BLOB_ARTIFACTS, "team/a.txt", "a");
	const char *prefixes[] = {"../" LOGS "/", "../" LOGS "/team/", "team/../../" LOGS "/"};
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		for (int d = 0; d < 2; d++) {
			struct call c =
			    s_list(f, BLOB_ARTIFACTS, prefixes[i], d ? "/" : "", NULL, 100);
			size_t n = c.entries.n;
			char first[300] = "";
			if (n > 0)
				snprintf(first, sizeof(first), "%s", c.entries.items[0].key);
			s_call_cleanup(&c);
			if (n != 0)
				fail_msg("list prefix '%s' reaches outside the bucket: '%s'",
					 prefixes[i], first);
		}
	}
}

/* The directory store cannot hold a key and a longer key that uses it as a
 * directory (S3 can): the second put fails cleanly and the first stays. */
static void test_key_used_as_directory_fails_cleanly(void **state)
{
	struct fx *f = *state;
	s_put_ok(f, BLOB_ARTIFACTS, "out/report", "r");
	struct call c = s_put(f, BLOB_ARTIFACTS, "out/report/part1", "p", 1);
	assert_int_equal(c.rc, -1);
	assert_int_not_equal(c.err.code, ERR_NONE);
	assert_null(strchr(c.err.msg, '\n'));
	s_call_cleanup(&c);
	c = s_get(f, BLOB_ARTIFACTS, "out/report", 0, 0, 0);
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.data, "r");
	s_call_cleanup(&c);
}

/* Listings that find nothing: an empty bucket, a prefix nothing starts with,
 * a bucket emptied by deletes. They answer an empty page without a token.
 *
 * BUG (blob_dir.c, s_list): with nothing found, qsort is called with a NULL
 * array; glibc declares that argument nonnull, so this is undefined behaviour
 * and the UBSan build (-DAFTOMATO_SANITIZE=address,undefined) aborts here.
 * Kept last, so that abort does not hide the other results, and failing on
 * purpose in that build until the module is fixed. */
static void test_list_with_no_match_is_empty(void **state)
{
	struct fx *f = *state;
	struct call c = s_list(f, BLOB_LOGS, "", "/", NULL, 10);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.entries.n, 0);
	assert_null(c.next_token);
	s_call_cleanup(&c);
	s_put_all_keys(f);
	const char *none[] = {"nonexistent/", "docs/api/v2", "q",   "docs/api/v1/spec.json/",
			      "Z/",	      "readme.txt/", "\xff"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		for (int d = 0; d < 2; d++) {
			c = s_list(f, BLOB_ARTIFACTS, none[i], d ? "/" : "", NULL, 10);
			assert_int_equal(c.rc, 0);
			assert_int_equal(c.entries.n, 0);
			assert_null(c.next_token);
			s_call_cleanup(&c);
		}
	}
	c = s_del(f, BLOB_ARTIFACTS, (const char *const *)s_keys, NKEYS);
	assert_int_equal(c.rc, 0);
	s_call_cleanup(&c);
	c = s_list(f, BLOB_ARTIFACTS, "", "", NULL, 1000);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.entries.n, 0);
	s_call_cleanup(&c);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_put_get_head_round_trip),
	    T(test_get_ranges),
	    T(test_get_aborted_by_sink),
	    T(test_missing_objects),
	    T(test_list_matches_s3_model),
	    T(test_list_start_after_any_string),
	    T(test_list_default_page_is_1000),
	    T(test_list_only_slash_delimiter),
	    T(test_delete_leaves_no_empty_prefixes),
	    T(test_failed_put_leaves_no_empty_prefix),
	    cmocka_unit_test(test_key_validation),
	    cmocka_unit_test(test_key_with_trailing_slash_rejected),
	    T(test_bad_keys_rejected_by_every_operation),
	    T(test_list_prefix_cannot_leave_bucket),
	    T(test_key_used_as_directory_fails_cleanly),
	    T(test_list_with_no_match_is_empty), /* keep last: see its comment */
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
