/* Unit tests for the S3 blob store (blob_s3 on backend/aws/s3*.c) against the
 * AWS test servers (fixture "aws": s3rver behind the SigV4-verifying proxy):
 * round trips of keys with spaces, + = & %, non-ASCII; ranged reads; listing
 * with delimiter and continuation tokens; multipart uploads (and the abort on
 * failure); deletes; presigned URLs; and the bad-input classes through the
 * fault API: throttling and 5xx retried, a truncated or reset download resumed
 * without duplicate bytes, HTML error pages, malformed XML, redirects, a wrong
 * secret. Every key is under a per-process prefix, faults match it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/awsclient.h"
#include "aws/creds.h"
#include "aws/s3.h"
#include "aws/s3upload.h"
#include "blob_s3.h"
#include "evloop.h"
#include "test_aws_fixture.h"
#include "xmem.h"

#define ART "aftomato-build-artifacts"

struct fx {
	struct evloop *loop;
	struct awsclient *client;
	struct blob *blob;
};

static int s_setup(void **state)
{
	if (awsfx_env(AWSFX_SHARED_STATE) < 0)
		return -1;
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err e = {0};
	f->loop = evloop_new(&e);
	f->client = awsfx_client(f->loop);
	if (!f->client)
		return -1;
	f->blob = blob_s3_new(f->loop, f->client, ART, "aftomato-console-logs");
	*state = f;
	alarm(110);
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	f->blob->ops->free(f->blob);
	awsclient_unref(f->client);
	evloop_free(f->loop);
	free(f);
	alarm(0);
	return 0;
}

/* --- calls ------------------------------------------------------------------- */

struct call {
	int done;
	int rc;
	struct err err;
	uint64_t size;
	int64_t mtime_ms;
	struct blob_list entries;
	char *next;
	char *data;
	size_t len;
};

static void s_done(void *ctx, struct blob_reply *r)
{
	struct call *c = ctx;
	c->done = 1;
	c->rc = r->rc;
	c->err = r->err;
	c->size = r->size;
	c->mtime_ms = r->mtime_ms;
	c->entries = r->entries;
	memset(&r->entries, 0, sizeof(r->entries));
	c->next = r->next_token;
	r->next_token = NULL;
}

static int s_data(void *ctx, const char *buf, size_t len)
{
	struct call *c = ctx;
	c->data = xrealloc(c->data, c->len + len + 1);
	memcpy(c->data + c->len, buf, len);
	c->len += len;
	return 0;
}

static void s_call_cleanup(struct call *c)
{
	blob_list_cleanup(&c->entries);
	free(c->next);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

static int s_put(struct fx *f, const char *key, const char *path, struct call *c)
{
	memset(c, 0, sizeof(*c));
	f->blob->ops->put_file(f->blob, BLOB_ARTIFACTS, key, path, "application/octet-stream",
			       s_done, c);
	assert_int_equal(awsfx_run(f->loop, &c->done, 60000), 1);
	return c->rc;
}

static int s_get(struct fx *f, const char *key, uint64_t off, uint64_t len, struct call *c)
{
	memset(c, 0, sizeof(*c));
	f->blob->ops->get(f->blob, BLOB_ARTIFACTS, key, off, len, s_data, s_done, c);
	assert_int_equal(awsfx_run(f->loop, &c->done, 60000), 1);
	return c->rc;
}

static int s_list(struct fx *f, const char *prefix, const char *delim, const char *token, int max,
		  struct call *c)
{
	memset(c, 0, sizeof(*c));
	f->blob->ops->list(f->blob, BLOB_ARTIFACTS, prefix, delim, token, max, s_done, c);
	assert_int_equal(awsfx_run(f->loop, &c->done, 60000), 1);
	return c->rc;
}

/* Adds a fault rule where "@" stands for this process's key prefix. */
static int s_fault(const char *json)
{
	char *r = xstrdup(json);
	const char *at;
	while ((at = strchr(r, '@'))) {
		char *n = xasprintf("%.*s%s%s", (int)(at - r), r, awsfx_run_id(), at + 1);
		free(r);
		r = n;
	}
	int id = awsfx_fault(r);
	free(r);
	return id;
}

/* Request-log entries of this process's key rel (as it appears in paths). */
static json_t *s_log(const char *rel)
{
	char *needle = xasprintf("%s/%s", awsfx_run_id(), rel);
	json_t *log = awsfx_log_matching(needle);
	free(needle);
	return log;
}

static char *s_key(const char *rel)
{
	return xasprintf("%s/%s", awsfx_run_id(), rel);
}

static char *s_text_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s-%s", AFT_TEST_TMP, awsfx_run_id(), name);
	FILE *fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* One line, no secret, no control character. */
static void s_one_line(const char *msg)
{
	assert_null(strchr(msg, '\n'));
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	assert_null(strstr(msg, secret));
}

/* --- tests ------------------------------------------------------------------- */

static void test_special_keys_round_trip(void **state)
{
	struct fx *f = *state;
	const char *rels[] = {"rt/plain.txt",
			      "rt/with space.txt",
			      "rt/plus+sign",
			      "rt/eq=amp&pct%25",
			      "rt/caf\xc3\xa9/\xe6\x97\xa5.txt",
			      "rt/tilde~(paren)*!'",
			      "rt/dir/deep/x"};
	size_t n = sizeof(rels) / sizeof(*rels);
	struct call c;
	for (size_t i = 0; i < n; i++) {
		char *key = s_key(rels[i]);
		char *text = xasprintf("content of %s\n", rels[i]);
		char *path = s_text_file("rt", text);
		assert_int_equal(s_put(f, key, path, &c), 0);
		assert_true(c.size == strlen(text));
		s_call_cleanup(&c);
		f->blob->ops->head(f->blob, BLOB_ARTIFACTS, key, s_done, &c);
		assert_int_equal(awsfx_run(f->loop, &c.done, 30000), 1);
		assert_int_equal(c.rc, 0);
		assert_true(c.size == strlen(text));
		assert_true(c.mtime_ms > 0);
		s_call_cleanup(&c);
		assert_int_equal(s_get(f, key, 0, 0, &c), 0);
		assert_true(c.len == strlen(text));
		assert_memory_equal(c.data, text, c.len);
		assert_true(c.size == strlen(text));
		s_call_cleanup(&c);
		assert_int_equal(s_get(f, key, 3, 5, &c), 0); /* a range */
		assert_int_equal(c.len, 5);
		assert_memory_equal(c.data, text + 3, 5);
		assert_true(c.size == strlen(text)); /* the whole object's size */
		s_call_cleanup(&c);
		assert_int_equal(s_get(f, key, strlen(text), 0, &c), 0); /* at the end */
		assert_int_equal(c.len, 0);
		s_call_cleanup(&c);
		unlink(path);
		free(path);
		free(text);
		free(key);
	}
	/* Every key listed back exactly, in byte order. */
	char *prefix = s_key("rt/");
	assert_int_equal(s_list(f, prefix, "", NULL, 1000, &c), 0);
	assert_int_equal(c.entries.n, n);
	for (size_t i = 1; i < c.entries.n; i++)
		assert_true(strcmp(c.entries.items[i - 1].key, c.entries.items[i].key) < 0);
	for (size_t i = 0; i < n; i++) {
		char *key = s_key(rels[i]);
		bool seen = false;
		for (size_t j = 0; j < c.entries.n; j++)
			seen = seen || strcmp(c.entries.items[j].key, key) == 0;
		assert_true(seen);
		free(key);
	}
	assert_null(c.next);
	s_call_cleanup(&c);
	free(prefix);
}

static void test_list_delimiter_and_paging(void **state)
{
	struct fx *f = *state;
	struct call c;
	char *path = s_text_file("ls", "x");
	/* (d3 has a file of its own: s3rver misses a common prefix under which
	 * there are only deeper "directories".) */
	const char *rels[] = {"ls/a.txt", "ls/b.txt",  "ls/d1/x", "ls/d1/y",  "ls/d2/z",
			      "ls/e.txt", "ls/d3/q/r", "ls/d3/s", "ls/f.txt", "ls/g.txt"};
	size_t n = sizeof(rels) / sizeof(*rels);
	for (size_t i = 0; i < n; i++) {
		char *key = s_key(rels[i]);
		assert_int_equal(s_put(f, key, path, &c), 0);
		s_call_cleanup(&c);
		free(key);
	}
	/* Delimited: files and "directories" merged in order. (Paging with a
	 * delimiter is not checked: s3rver counts only objects against max-keys
	 * and repeats or drops common prefixes across pages; real S3 does not.) */
	char *prefix = s_key("ls/");
	const char *want[] = {"a.txt", "b.txt", "d1/", "d2/", "d3/", "e.txt", "f.txt", "g.txt"};
	size_t got = 0;
	char *token = NULL;
	assert_int_equal(s_list(f, prefix, "/", NULL, 1000, &c), 0);
	assert_null(c.next);
	assert_int_equal(c.entries.n, 8);
	for (size_t i = 0; i < c.entries.n; i++) {
		char *k = xasprintf("%s%s", prefix, want[i]);
		assert_string_equal(c.entries.items[i].key, k);
		assert_int_equal(c.entries.items[i].is_prefix, want[i][strlen(want[i]) - 1] == '/');
		assert_true(c.entries.items[i].is_prefix || c.entries.items[i].size == 1);
		free(k);
	}
	s_call_cleanup(&c);
	/* Below a "directory". */
	char *sub = s_key("ls/d1/");
	assert_int_equal(s_list(f, sub, "/", NULL, 1000, &c), 0);
	assert_int_equal(c.entries.n, 2);
	s_call_cleanup(&c);
	free(sub);
	/* Recursive, 4 per page: every key once, in order. */
	size_t pages = 0;
	char last[512] = "";
	do {
		assert_int_equal(s_list(f, prefix, NULL, token, 4, &c), 0);
		free(token);
		token = c.next;
		c.next = NULL;
		got += c.entries.n;
		pages++;
		for (size_t i = 0; i < c.entries.n; i++) {
			assert_false(c.entries.items[i].is_prefix);
			assert_true(strcmp(last, c.entries.items[i].key) < 0);
			snprintf(last, sizeof(last), "%s", c.entries.items[i].key);
		}
		s_call_cleanup(&c);
	} while (token);
	assert_int_equal(got, n);
	assert_int_equal(pages, (n + 3) / 4);
	/* Delete them all; a missing key is not an error. */
	const char *keys[16];
	for (size_t i = 0; i < n; i++)
		keys[i] = s_key(rels[i]);
	keys[n] = s_key("ls/never-existed");
	f->blob->ops->del(f->blob, BLOB_ARTIFACTS, keys, n + 1, s_done, &c);
	assert_int_equal(awsfx_run(f->loop, &c.done, 30000), 1);
	assert_int_equal(c.rc, 0);
	s_call_cleanup(&c);
	for (size_t i = 0; i <= n; i++)
		free((char *)keys[i]);
	assert_int_equal(s_list(f, prefix, NULL, NULL, 1000, &c), 0);
	assert_int_equal(c.entries.n, 0);
	s_call_cleanup(&c);
	free(prefix);
	unlink(path);
	free(path);
}

struct up {
	int done;
	struct s3_result r;
};

static void s_up_done(void *ctx, struct s3_result *r)
{
	struct up *u = ctx;
	u->done = 1;
	u->r = *r;
	memset(r, 0, sizeof(*r));
}

static int s_count(json_t *log, const char *method, const char *query_part)
{
	int n = 0;
	size_t i;
	json_t *e;
	json_array_foreach(log, i, e)
	{
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *p = json_string_value(json_object_get(e, "path"));
		if (strcmp(m, method) == 0 && (!query_part || strstr(p, query_part)))
			n++;
	}
	return n;
}

static void test_multipart(void **state)
{
	struct fx *f = *state;
	size_t size = 12u << 20; /* three parts of 5 MiB, the last shorter */
	char *path = awsfx_random_file("mp.bin", size);
	char *key = s_key("mp/big file.bin");
	struct s3upload_options opt = {
	    .threshold_bytes = 5u << 20, .part_bytes = 5u << 20, .parallel = 2};
	struct up u = {0};
	s3upload_file(f->client, ART, key, path, "application/octet-stream", &opt, s_up_done, &u);
	assert_int_equal(awsfx_run(f->loop, &u.done, 90000), 1);
	assert_int_equal(u.r.rc, 0);
	assert_true(u.r.size == size);
	s3_result_cleanup(&u.r);
	json_t *log = s_log("mp/big%20file.bin");
	assert_int_equal(s_count(log, "PUT", "partNumber="), 3);
	assert_int_equal(s_count(log, "POST", "uploads"), 1);
	assert_int_equal(s_count(log, "POST", "uploadId="), 1);
	json_decref(log);
	struct call c;
	assert_int_equal(s_get(f, key, 0, 0, &c), 0);
	size_t len;
	char *want = awsfx_read(path, &len);
	assert_true(c.len == size);
	assert_memory_equal(c.data, want, size);
	s_call_cleanup(&c);
	free(want);

	/* A part refused for good: the upload is aborted, the error is one line. */
	char *key2 = s_key("mp/fails.bin");
	int id = s_fault("{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"@/mp/fails.bin\","
			 "\"query\":\"partNumber=2\",\"error\":{\"code\":\"AccessDenied\"},"
			 "\"count\":-1}");
	assert_true(id > 0);
	memset(&u, 0, sizeof(u));
	s3upload_file(f->client, ART, key2, path, NULL, &opt, s_up_done, &u);
	assert_int_equal(awsfx_run(f->loop, &u.done, 90000), 1);
	awsfx_fault_delete(id);
	assert_int_equal(u.r.rc, -1);
	assert_int_equal(u.r.err.code, ERR_AUTH);
	assert_non_null(strstr(u.r.err.msg, "S3 UploadPart s3://" ART "/"));
	assert_non_null(strstr(u.r.err.msg, "AccessDenied"));
	s_one_line(u.r.err.msg);
	s3_result_cleanup(&u.r);
	log = s_log("mp/fails.bin");
	assert_int_equal(s_count(log, "DELETE", "uploadId="), 1);
	assert_int_equal(s_count(log, "PUT", "partNumber=2"), 1); /* not retried */
	json_decref(log);
	memset(&c, 0, sizeof(c));
	f->blob->ops->head(f->blob, BLOB_ARTIFACTS, key2, s_done, &c);
	assert_int_equal(awsfx_run(f->loop, &c.done, 30000), 1);
	assert_int_equal(c.err.code, ERR_NOTFOUND); /* nothing was stored */
	s_call_cleanup(&c);
	unlink(path);
	free(path);
	free(key);
	free(key2);
}

static void test_retries_and_resume(void **state)
{
	struct fx *f = *state;
	struct call c;
	size_t size = 300000;
	char *path = awsfx_random_file("rs.bin", size);
	size_t len;
	char *want = awsfx_read(path, &len);
	char *key = s_key("rs/object.bin");

	/* Two SlowDown answers, then success. */
	int id = s_fault("{\"backend\":\"s3\",\"method\":\"PUT\",\"path\":\"@/rs/object.bin$\","
			 "\"error\":{\"code\":\"SlowDown\"},\"count\":2}");
	assert_int_equal(s_put(f, key, path, &c), 0);
	s_call_cleanup(&c);
	json_t *log = s_log("rs/object.bin");
	assert_int_equal(s_count(log, "PUT", NULL), 3);
	json_decref(log);

	/* Truncated (clean close), reset, and dropped downloads: resumed, intact. */
	const char *faults[] = {"\"truncate_after_bytes\":1000", "\"reset_after_bytes\":70000",
				"\"drop\":true"};
	for (int i = 0; i < 3; i++) {
		log = s_log("rs/object.bin");
		int before = s_count(log, "GET", NULL);
		json_decref(log);
		char *rule = xasprintf("{\"backend\":\"s3\",\"method\":\"GET\",\"path\":"
				       "\"@/rs/object.bin$\",%s}",
				       faults[i]);
		id = s_fault(rule);
		free(rule);
		assert_int_equal(s_get(f, key, 0, 0, &c), 0);
		assert_true(c.len == size);
		assert_memory_equal(c.data, want, size);
		s_call_cleanup(&c);
		log = s_log("rs/object.bin");
		assert_int_equal(s_count(log, "GET", NULL) - before, 2);
		json_decref(log);
	}
	/* A range read resumed too. */
	id = s_fault("{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"@/rs/object.bin$\","
		     "\"truncate_after_bytes\":500}");
	assert_int_equal(s_get(f, key, 1000, 100000, &c), 0);
	assert_true(c.len == 100000);
	assert_memory_equal(c.data, want + 1000, 100000);
	s_call_cleanup(&c);

	/* Permanent 500: retried, then a one-line error naming the attempts. */
	id = s_fault("{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"@/rs/object.bin$\","
		     "\"error\":{\"code\":\"InternalError\"},\"count\":-1}");
	assert_int_equal(s_get(f, key, 0, 0, &c), -1);
	awsfx_fault_delete(id);
	assert_int_equal(c.err.code, ERR_THROTTLED);
	assert_non_null(strstr(c.err.msg, "InternalError"));
	assert_non_null(strstr(c.err.msg, "after 4 attempts"));
	assert_int_equal(c.len, 0);
	s_one_line(c.err.msg);
	s_call_cleanup(&c);

	/* A proxy's HTML page, for good. */
	id = s_fault("{\"backend\":\"s3\",\"method\":\"HEAD\",\"path\":\"@/rs/object.bin$\","
		     "\"status\":502,\"headers\":{\"content-type\":\"text/html\"},\"body\":"
		     "\"<html><head><title>502 Bad Gateway</title></head><body>nginx</body>"
		     "</html>\",\"count\":-1}");
	f->blob->ops->head(f->blob, BLOB_ARTIFACTS, key, s_done, &c);
	assert_int_equal(awsfx_run(f->loop, &c.done, 30000), 1);
	awsfx_fault_delete(id);
	assert_int_equal(c.rc, -1);
	/* HEAD answers carry no body: the status speaks. */
	assert_non_null(strstr(c.err.msg, "HTTP 502"));
	s_call_cleanup(&c);
	id = s_fault("{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"@/rs/object.bin$\","
		     "\"status\":502,\"headers\":{\"content-type\":\"text/html\"},\"body\":"
		     "\"<html><head><title>502 Bad Gateway</title></head><body>nginx</body>"
		     "</html>\",\"count\":-1}");
	assert_int_equal(s_get(f, key, 0, 0, &c), -1);
	awsfx_fault_delete(id);
	assert_int_equal(strncmp(c.err.msg, "S3 GetObject s3://" ART "/", 30), 0);
	assert_non_null(strstr(c.err.msg, "HTML page from a proxy: 502 Bad Gateway (HTTP 502) "
					  "after 4 attempts"));
	s_call_cleanup(&c);

	/* Missing bucket: one attempt, one line. */
	char *prefix = s_key("rs/missing/");
	char *q = xasprintf("{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"%s\",\"error\":{"
			    "\"code\":\"NoSuchBucket\",\"bucket\":\"" ART "\"}}",
			    awsfx_run_id());
	id = s_fault(q);
	free(q);
	assert_int_equal(s_list(f, prefix, "/", NULL, 10, &c), -1);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	assert_non_null(strstr(c.err.msg, "NoSuchBucket"));
	assert_null(strstr(c.err.msg, "attempts"));
	s_call_cleanup(&c);

	/* Malformed XML in a 200 listing. */
	q = xasprintf("{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"%s\",\"status\":200,"
		      "\"body\":\"<ListBucketResult><Contents><Key>a</Ke\"}",
		      awsfx_run_id());
	id = s_fault(q);
	free(q);
	assert_int_equal(s_list(f, prefix, "/", NULL, 10, &c), -1);
	assert_int_equal(c.err.code, ERR_PROTO);
	assert_non_null(strstr(c.err.msg, "malformed XML"));
	s_one_line(c.err.msg);
	s_call_cleanup(&c);
	free(prefix);
	unlink(path);
	free(path);
	free(want);
	free(key);
}

static void test_redirects(void **state)
{
	struct fx *f = *state;
	struct call c;
	char *path = s_text_file("rd", "redirected\n");
	char *key = s_key("rd/object.txt");
	assert_int_equal(s_put(f, key, path, &c), 0);
	s_call_cleanup(&c);

	/* 307 to the same service: followed once. */
	char *rule =
	    xasprintf("{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"@/rd/object.txt$\","
		      "\"error\":{\"code\":\"TemporaryRedirect\",\"location\":\"%s/" ART "/x\"}}",
		      getenv("AWS_ENDPOINT_URL_S3"));
	s_fault(rule);
	free(rule);
	assert_int_equal(s_get(f, key, 0, 0, &c), 0);
	assert_int_equal(c.len, 11);
	s_call_cleanup(&c);

	/* 301 naming another region: re-signed for it; the proxy (us-west-1
	 * only) answers with the right region, which is then used. */
	s_fault("{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"@/rd/object.txt$\","
		"\"error\":{\"code\":\"PermanentRedirect\",\"region\":\"eu-west-3\"}}");
	assert_int_equal(s_get(f, key, 0, 0, &c), 0);
	assert_int_equal(c.len, 11);
	s_call_cleanup(&c);
	assert_string_equal(awsclient_bucket_region(f->client, ART), "us-west-1");

	/* A 301 naming our own region cannot be fixed by re-signing: reported. */
	int id = s_fault("{\"backend\":\"s3\",\"method\":\"GET\",\"path\":\"@/rd/object.txt$\","
			 "\"error\":{\"code\":\"PermanentRedirect\",\"region\":\"us-west-1\"},"
			 "\"count\":-1}");
	assert_int_equal(s_get(f, key, 0, 0, &c), -1);
	awsfx_fault_delete(id);
	assert_non_null(strstr(c.err.msg, "PermanentRedirect"));
	assert_non_null(strstr(c.err.msg, "(HTTP 301)"));
	assert_non_null(strstr(c.err.msg, "is in region us-west-1"));
	s_call_cleanup(&c);
	/* The same on a buffered answer (a listing): S3's message is kept. */
	char *q =
	    xasprintf("{\"backend\":\"s3\",\"method\":\"GET\",\"query\":\"%s\",\"error\":"
		      "{\"code\":\"PermanentRedirect\",\"region\":\"us-west-1\"},\"count\":-1}",
		      awsfx_run_id());
	id = s_fault(q);
	free(q);
	char *prefix = s_key("rd/");
	assert_int_equal(s_list(f, prefix, "/", NULL, 10, &c), -1);
	awsfx_fault_delete(id);
	assert_non_null(strstr(c.err.msg, "S3 ListObjectsV2 s3://" ART "/"));
	assert_non_null(strstr(c.err.msg,
			       "PermanentRedirect: The bucket you are attempting to access "
			       "must be addressed using the specified endpoint"));
	s_call_cleanup(&c);
	free(prefix);
	unlink(path);
	free(path);
	free(key);
}

struct url_call {
	int done;
	char *url;
	struct err err;
};

static void s_url_done(void *ctx, const char *url, const struct err *e)
{
	struct url_call *u = ctx;
	u->done = 1;
	u->url = xstrdup(url);
	if (e)
		u->err = *e;
}

static size_t s_sink(char *p, size_t size, size_t n, void *ud)
{
	struct call *c = ud;
	s_data(c, p, size * n);
	return size * n;
}

static long s_fetch(const char *url, struct call *c)
{
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

static void test_presigned_and_wrong_secret(void **state)
{
	struct fx *f = *state;
	struct call c;
	char *path = s_text_file("ps", "presigned body\n");
	char *key = s_key("ps/a b+c.txt");
	assert_int_equal(s_put(f, key, path, &c), 0);
	s_call_cleanup(&c);
	struct url_call u = {0};
	s3_presign_get(f->client, ART, key, 300, s_url_done, &u);
	assert_int_equal(awsfx_run(f->loop, &u.done, 30000), 1);
	assert_non_null(u.url);
	assert_non_null(strstr(u.url, "X-Amz-Signature="));
	memset(&c, 0, sizeof(c));
	assert_int_equal(s_fetch(u.url, &c), 200);
	assert_int_equal(c.len, 15);
	assert_memory_equal(c.data, "presigned body\n", 15);
	s_call_cleanup(&c);
	char *bad = xstrdup(u.url);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(s_fetch(bad, &c), 403);
	s_call_cleanup(&c);
	free(bad);
	free(u.url);

	/* A wrong secret: the proxy refuses the signature; one attempt. */
	const char *real = getenv("AWS_SECRET_ACCESS_KEY");
	char *saved = xstrdup(real);
	setenv("AWS_SECRET_ACCESS_KEY", "wrongwrongwrongwrongwrongwrongwrongwrong", 1);
	struct awsclient *wrong = awsfx_client(f->loop);
	setenv("AWS_SECRET_ACCESS_KEY", saved, 1);
	struct blob *wb = blob_s3_new(f->loop, wrong, ART, "aftomato-console-logs");
	memset(&c, 0, sizeof(c));
	wb->ops->get(wb, BLOB_ARTIFACTS, key, 0, 0, s_data, s_done, &c);
	assert_int_equal(awsfx_run(f->loop, &c.done, 30000), 1);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, ERR_AUTH);
	assert_non_null(strstr(c.err.msg, "SignatureDoesNotMatch"));
	assert_null(strstr(c.err.msg, "wrongwrong"));
	assert_null(strstr(c.err.msg, "attempts"));
	s_one_line(c.err.msg);
	s_call_cleanup(&c);
	wb->ops->free(wb);
	awsclient_unref(wrong);
	free(saved);
	unlink(path);
	free(path);
	free(key);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_special_keys_round_trip, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_list_delimiter_and_paging, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_multipart, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_retries_and_resume, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_redirects, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_presigned_and_wrong_secret, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
