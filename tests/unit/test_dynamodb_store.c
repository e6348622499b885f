/* Unit tests for the DynamoDB build store (store_dynamodb) against the AWS test
 * servers (fixture "aws": dynalite behind the SigV4-verifying proxy, the
 * product's table and index): conditional create and transitions (also for
 * the original system's records, which have no status), exact prefix lookup
 * (unique, ambiguous, none), paging newest first through ties in buildTime and
 * across an empty page that carries a LastEvaluatedKey, the active list over
 * several projects and its time window, and the error paths through the fault
 * API: throttling retried, a lost answer to a conditional write resolved
 * without a false conflict, conditions and validation never retried,
 * malformed answers, a missing table. Project keys are per process; faults
 * match this process's User-Agent (exec-env). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/awsclient.h"
#include "aws/ddbjson.h"
#include "aws/dynamodb.h"
#include "evloop.h"
#include "store_call.h"
#include "store_dynamodb.h"
#include "test_aws_fixture.h"
#include "xmem.h"

#define TABLE "aftomato-build-metadata"
#define INDEX "projectKey-buildTime-index"

struct fx {
	struct evloop *loop;
	struct awsclient *client;
	struct store *st;
};

static int s_setup(void **state)
{
	if (awsfx_env(AWSFX_SHARED_STATE) < 0)
		return -1;
	setenv("AWS_EXECUTION_ENV", awsfx_run_id(), 1);
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err e = {0};
	f->loop = evloop_new(&e);
	f->client = awsfx_client(f->loop);
	if (!f->client)
		return -1;
	f->st = store_dynamodb_new(f->loop, f->client, TABLE, INDEX);
	assert_string_equal(f->st->ops->name, "dynamodb");
	*state = f;
	alarm(110);
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	f->st->ops->free(f->st);
	awsclient_unref(f->client);
	evloop_free(f->loop);
	free(f);
	alarm(0);
	return 0;
}

static void s_wait(struct fx *f, struct store_call *c)
{
	assert_int_equal(awsfx_run(f->loop, &c->done, 60000), 1);
}

static char *s_project(const char *name)
{
	return xasprintf("%s/%s", awsfx_run_id(), name);
}

/* A build ID whose first 8 characters are this process's and the rest n. */
static void s_id(char out[BUILD_ID_LEN + 1], unsigned tag, unsigned n)
{
	snprintf(out, BUILD_ID_LEN + 1, "%08x-%04x-4000-8000-%012x",
		 (unsigned)getpid() & 0xffffffffu, tag & 0xffff, n);
}

static struct build *s_build(const char *id, const char *project, int64_t t, enum build_status st)
{
	struct build *b = build_new();
	snprintf(b->id, sizeof(b->id), "%s", id);
	b->project_key = xstrdup(project);
	b->build_time = t;
	b->branch = xstrdup("main");
	b->status = st;
	b->triggered_by = xstrdup("test");
	b->executor = xstrdup("local");
	return b;
}

static int s_create(struct fx *f, const struct build *b, struct store_call *c)
{
	memset(c, 0, sizeof(*c));
	f->st->ops->create(f->st, b, store_call_got, c);
	s_wait(f, c);
	return c->rc;
}

static int s_update(struct fx *f, const struct store_update *u, struct store_call *c)
{
	memset(c, 0, sizeof(*c));
	f->st->ops->update(f->st, u, store_call_got, c);
	s_wait(f, c);
	return c->rc;
}

static int s_get(struct fx *f, const char *ref, struct store_call *c)
{
	memset(c, 0, sizeof(*c));
	f->st->ops->get(f->st, ref, store_call_got, c);
	s_wait(f, c);
	return c->rc;
}

static int s_query(struct fx *f, const char *project, const char *cursor, int limit,
		   struct store_call *c)
{
	memset(c, 0, sizeof(*c));
	f->st->ops->query(f->st, project, cursor, limit, store_call_got, c);
	s_wait(f, c);
	return c->rc;
}

/* Puts an item as the original system wrote them (or any raw item). */
struct raw {
	int done;
	int rc;
	struct err err;
};

static void s_raw_done(void *ctx, struct dynamodb_result *r)
{
	struct raw *w = ctx;
	w->done = 1;
	w->rc = r->rc;
	w->err = r->err;
}

static void s_put_raw(struct fx *f, const char *json)
{
	json_error_t je;
	json_t *item = json_loads(json, 0, &je);
	assert_non_null(item);
	struct raw w = {0};
	dynamodb_call(f->client, "PutItem", TABLE,
		      json_pack("{s:s, s:o}", "TableName", TABLE, "Item", item), s_raw_done, &w);
	assert_int_equal(awsfx_run(f->loop, &w.done, 30000), 1);
	assert_int_equal(w.rc, 0);
}

static int s_log_count(const char *target)
{
	json_t *log = awsfx_admin("GET", "/log?backend=dynamodb", NULL);
	int n = 0;
	size_t i;
	json_t *e;
	json_array_foreach(log, i, e)
	{
		const char *t = json_string_value(json_object_get(e, "target"));
		const char *ua = json_string_value(json_object_get(e, "user_agent"));
		(void)ua;
		if (t && strstr(t, target))
			n++;
	}
	json_decref(log);
	return n;
}

static int s_fault(const char *target, const char *action)
{
	char *rule = xasprintf("{\"backend\":\"dynamodb\",\"target\":\"%s$\",\"match_headers\":"
			       "{\"user-agent\":\"exec-env/%s\"},%s}",
			       target, awsfx_run_id(), action);
	int id = awsfx_fault(rule);
	free(rule);
	assert_true(id > 0);
	return id;
}

static void s_one_line(const char *msg)
{
	assert_null(strchr(msg, '\n'));
	assert_null(strstr(msg, getenv("AWS_SECRET_ACCESS_KEY")));
}

/* --- tests ------------------------------------------------------------------- */

static void test_create_update_get(void **state)
{
	struct fx *f = *state;
	struct store_call c;
	char *proj = s_project("cu");
	char id[BUILD_ID_LEN + 1];
	s_id(id, 1, 1);
	struct build *b = s_build(id, proj, 1700000000, BUILD_QUEUED);
	assert_int_equal(s_create(f, b, &c), 0);
	assert_string_equal(c.build->id, id);
	store_call_cleanup(&c);
	assert_int_equal(s_create(f, b, &c), -1); /* a start never overwrites */
	assert_int_equal(c.err.code, ERR_CONFLICT);
	assert_non_null(strstr(c.err.msg, "already exists"));
	store_call_cleanup(&c);

	/* queued -> running with a start time, then -> succeeded. */
	struct store_update u = {.from_mask = BUILD_MASK(BUILD_QUEUED),
				 .to = BUILD_RUNNING,
				 .build_time = 1700000100,
				 .job_name = "local:host"};
	snprintf(u.id, sizeof(u.id), "%s", id);
	assert_int_equal(s_update(f, &u, &c), 0);
	assert_int_equal(c.build->status, BUILD_RUNNING);
	assert_true(c.build->build_time == 1700000100);
	assert_string_equal(c.build->job_name, "local:host");
	assert_string_equal(c.build->triggered_by, "test");
	store_call_cleanup(&c);
	/* The same claim again loses: the record says why. */
	assert_int_equal(s_update(f, &u, &c), -1);
	assert_int_equal(c.err.code, ERR_CONFLICT);
	assert_non_null(strstr(c.err.msg, "is running"));
	assert_non_null(c.build);
	assert_int_equal(c.build->status, BUILD_RUNNING);
	store_call_cleanup(&c);
	struct store_update fin = {.from_mask = BUILD_MASK_ACTIVE,
				   .to = BUILD_SUCCEEDED,
				   .set_result = true,
				   .build_result = 0,
				   .set_elapsed = true,
				   .elapsed_s = 42,
				   .status_message = "done",
				   .job_name = ""};
	snprintf(fin.id, sizeof(fin.id), "%s", id);
	assert_int_equal(s_update(f, &fin, &c), 0);
	assert_int_equal(c.build->status, BUILD_SUCCEEDED);
	assert_true(c.build->has_result && c.build->build_result == 0);
	assert_true(c.build->elapsed_s == 42);
	assert_string_equal(c.build->status_message, "done");
	assert_null(c.build->job_name); /* set to "" removes it */
	store_call_cleanup(&c);
	assert_int_equal(s_update(f, &fin, &c), -1); /* finalised once */
	assert_int_equal(c.err.code, ERR_CONFLICT);
	store_call_cleanup(&c);

	assert_int_equal(s_get(f, id, &c), 0);
	assert_int_equal(c.build->status, BUILD_SUCCEEDED);
	assert_false(build_status_active(c.build->status));
	store_call_cleanup(&c);
	char missing[BUILD_ID_LEN + 1];
	s_id(missing, 1, 999);
	snprintf(fin.id, sizeof(fin.id), "%s", missing);
	assert_int_equal(s_update(f, &fin, &c), -1);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	store_call_cleanup(&c);
	assert_int_equal(s_get(f, missing, &c), -1);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	store_call_cleanup(&c);
	assert_int_equal(s_get(f, "not-hex!", &c), -1);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	store_call_cleanup(&c);
	build_free(b);
	free(proj);
}

static void test_original_records(void **state)
{
	struct fx *f = *state;
	struct store_call c;
	char *proj = s_project("orig");
	char running[BUILD_ID_LEN + 1], ok[BUILD_ID_LEN + 1], bad[BUILD_ID_LEN + 1];
	s_id(running, 2, 1);
	s_id(ok, 2, 2);
	s_id(bad, 2, 3);
	int64_t now = (int64_t)time(NULL);
	char *j = xasprintf("{\"buildID\":{\"S\":\"%s\"},\"projectKey\":{\"S\":\"%s\"},"
			    "\"buildTime\":{\"N\":\"%lld\"},\"branch\":{\"S\":\"master\"},"
			    "\"isBuilding\":{\"N\":\"1\"}}",
			    running, proj, (long long)now - 30);
	s_put_raw(f, j);
	free(j);
	j = xasprintf("{\"buildID\":{\"S\":\"%s\"},\"projectKey\":{\"S\":\"%s\"},\"buildTime\":"
		      "{\"N\":\"%lld\"},\"branch\":{\"S\":\"master\"},\"isBuilding\":{\"N\":\"0\"},"
		      "\"buildResult\":{\"N\":\"0\"},\"buildElapsedTime\":{\"N\":\"65\"}}",
		      ok, proj, (long long)now - 3000);
	s_put_raw(f, j);
	free(j);
	j = xasprintf("{\"buildID\":{\"S\":\"%s\"},\"projectKey\":{\"S\":\"%s\"},\"buildTime\":"
		      "{\"N\":\"%lld\"},\"branch\":{\"S\":\"dev\"},\"isBuilding\":{\"N\":\"0\"},"
		      "\"buildResult\":{\"N\":\"2\"},\"buildElapsedTime\":{\"N\":\"5\"}}",
		      bad, proj, (long long)now - 6000);
	s_put_raw(f, j);
	free(j);
	assert_int_equal(s_query(f, proj, NULL, 10, &c), 0);
	assert_int_equal(c.builds.n, 3);
	assert_string_equal(c.builds.items[0]->id, running);
	assert_int_equal(c.builds.items[0]->status, BUILD_RUNNING);
	assert_int_equal(c.builds.items[1]->status, BUILD_SUCCEEDED);
	assert_true(c.builds.items[1]->elapsed_s == 65);
	assert_int_equal(c.builds.items[2]->status, BUILD_FAILED);
	assert_int_equal(c.builds.items[2]->build_result, 2);
	assert_null(c.next_cursor);
	store_call_cleanup(&c);
	/* The active list sees the original system's running build. */
	const char *keys[] = {proj};
	memset(&c, 0, sizeof(c));
	f->st->ops->active(f->st, keys, 1, store_call_got, &c);
	s_wait(f, &c);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.builds.n, 1);
	assert_string_equal(c.builds.items[0]->id, running);
	store_call_cleanup(&c);
	/* Finishing it works from "running" (it has no status attribute). */
	struct store_update u = {.from_mask = BUILD_MASK(BUILD_RUNNING), .to = BUILD_CANCELLED};
	snprintf(u.id, sizeof(u.id), "%s", running);
	assert_int_equal(s_update(f, &u, &c), 0);
	assert_int_equal(c.build->status, BUILD_CANCELLED);
	assert_string_equal(c.build->branch, "master");
	store_call_cleanup(&c);
	/* A finished original record is not running. */
	snprintf(u.id, sizeof(u.id), "%s", ok);
	assert_int_equal(s_update(f, &u, &c), -1);
	assert_int_equal(c.err.code, ERR_CONFLICT);
	assert_non_null(strstr(c.err.msg, "is succeeded"));
	store_call_cleanup(&c);
	free(proj);
}

static void test_prefix_lookup(void **state)
{
	struct fx *f = *state;
	struct store_call c;
	char *proj = s_project("px");
	char a[BUILD_ID_LEN + 1], b[BUILD_ID_LEN + 1];
	s_id(a, 0x3a, 0x111);
	s_id(b, 0x3a, 0x222);
	struct build *ba = s_build(a, proj, 1700000000, BUILD_SUCCEEDED);
	struct build *bb = s_build(b, proj, 1700000001, BUILD_FAILED);
	assert_int_equal(s_create(f, ba, &c), 0);
	store_call_cleanup(&c);
	assert_int_equal(s_create(f, bb, &c), 0);
	store_call_cleanup(&c);
	/* Unique prefixes. */
	char ref[BUILD_ID_LEN + 1];
	snprintf(ref, sizeof(ref), "%.34s", a);
	assert_int_equal(s_get(f, ref, &c), 0);
	assert_string_equal(c.build->id, a);
	assert_int_equal(c.build->status, BUILD_SUCCEEDED);
	store_call_cleanup(&c);
	snprintf(ref, sizeof(ref), "%.34s", b);
	assert_int_equal(s_get(f, ref, &c), 0);
	assert_string_equal(c.build->id, b);
	store_call_cleanup(&c);
	/* Shared prefix. */
	snprintf(ref, sizeof(ref), "%.33s", a);
	assert_int_equal(s_get(f, ref, &c), -1);
	assert_int_equal(c.err.code, ERR_AMBIGUOUS);
	assert_non_null(strstr(c.err.msg, "matches several builds"));
	store_call_cleanup(&c);
	/* No match (a prefix, and a full ID). */
	snprintf(ref, sizeof(ref), "%.33s3", a);
	assert_int_equal(s_get(f, ref, &c), -1);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	assert_non_null(strstr(c.err.msg, "no build matches"));
	store_call_cleanup(&c);
	snprintf(ref, sizeof(ref), "%.33sfff", a);
	assert_int_equal(s_get(f, ref, &c), -1);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	store_call_cleanup(&c);
	build_free(ba);
	build_free(bb);
	free(proj);
}

static void test_paging_with_ties(void **state)
{
	struct fx *f = *state;
	struct store_call c;
	char *proj = s_project("pg");
	int n = 53;
	for (int i = 0; i < n; i++) {
		char id[BUILD_ID_LEN + 1];
		s_id(id, 4, (unsigned)i);
		struct build *b = s_build(id, proj, 1600000000 + i / 5, BUILD_SUCCEEDED);
		assert_int_equal(s_create(f, b, &c), 0);
		store_call_cleanup(&c);
		build_free(b);
	}
	bool seen[64] = {false};
	int got = 0, pages = 0;
	int64_t last_time = INT64_MAX;
	char *cursor = NULL;
	do {
		assert_int_equal(s_query(f, proj, cursor, 7, &c), 0);
		free(cursor);
		cursor = c.next_cursor;
		c.next_cursor = NULL;
		pages++;
		assert_true(c.builds.n <= 7);
		assert_true(cursor == NULL || c.builds.n == 7);
		for (size_t i = 0; i < c.builds.n; i++) {
			struct build *b = c.builds.items[i];
			unsigned k = (unsigned)strtoul(b->id + 24, NULL, 16);
			assert_true(k < (unsigned)n);
			assert_false(seen[k]);
			seen[k] = true;
			assert_true(b->build_time <= last_time);
			last_time = b->build_time;
			got++;
		}
		store_call_cleanup(&c);
	} while (cursor);
	assert_int_equal(got, n);
	assert_int_equal(pages, (n + 6) / 7);
	/* A bad cursor is a usage error, not a crash. */
	assert_int_equal(s_query(f, proj, "garbage", 7, &c), -1);
	assert_int_equal(c.err.code, ERR_USAGE);
	store_call_cleanup(&c);

	/* An empty first page that carries a LastEvaluatedKey is normal: the store
	 * goes on paging from it. */
	char *body = xasprintf("{\\\"Count\\\":0,\\\"ScannedCount\\\":3,\\\"Items\\\":[],"
			       "\\\"LastEvaluatedKey\\\":{\\\"buildID\\\":{\\\"S\\\":\\\"%s\\\"},"
			       "\\\"projectKey\\\":{\\\"S\\\":\\\"%s\\\"},\\\"buildTime\\\":"
			       "{\\\"N\\\":\\\"1600000100\\\"}}}",
			       "ffffffff-ffff-4fff-bfff-ffffffffffff", proj);
	char *action = xasprintf("\"status\":200,\"headers\":{\"content-type\":"
				 "\"application/x-amz-json-1.0\"},\"body\":\"%s\"",
				 body);
	s_fault("Query", action);
	free(action);
	free(body);
	int before = s_log_count("Query");
	assert_int_equal(s_query(f, proj, NULL, 5, &c), 0);
	assert_int_equal(c.builds.n, 5);
	assert_true(c.builds.items[0]->build_time == 1600000000 + (n - 1) / 5);
	assert_non_null(c.next_cursor);
	assert_int_equal(s_log_count("Query") - before, 2);
	store_call_cleanup(&c);
	free(proj);
}

static void test_active(void **state)
{
	struct fx *f = *state;
	struct store_call c;
	char *pa = s_project("act-a"), *pb = s_project("act-b"), *pc = s_project("act-c");
	int64_t now = (int64_t)time(NULL);
	struct {
		const char *proj;
		int64_t t;
		enum build_status st;
	} rows[] = {
	    {pa, now - 10, BUILD_RUNNING},   {pa, now - 5, BUILD_QUEUED},
	    {pa, now - 20, BUILD_SUCCEEDED}, {pb, now - 1, BUILD_RUNNING},
	    {pb, now - 3600, BUILD_FAILED},  {pb, now - 10 * 24 * 3600, BUILD_RUNNING},
	    {pc, now - 50, BUILD_CANCELLED},
	};
	char ids[7][BUILD_ID_LEN + 1];
	for (int i = 0; i < 7; i++) {
		s_id(ids[i], 5, (unsigned)i);
		struct build *b = s_build(ids[i], rows[i].proj, rows[i].t, rows[i].st);
		assert_int_equal(s_create(f, b, &c), 0);
		store_call_cleanup(&c);
		build_free(b);
	}
	const char *keys[] = {pa, pb, pc, ""};
	memset(&c, 0, sizeof(c));
	f->st->ops->active(f->st, keys, 4, store_call_got, &c);
	s_wait(f, &c);
	assert_int_equal(c.rc, 0);
	/* Newest first; the 10-day-old "running" record is outside the window. */
	assert_int_equal(c.builds.n, 3);
	assert_string_equal(c.builds.items[0]->id, ids[3]);
	assert_string_equal(c.builds.items[1]->id, ids[1]);
	assert_string_equal(c.builds.items[2]->id, ids[0]);
	store_call_cleanup(&c);
	memset(&c, 0, sizeof(c));
	f->st->ops->active(f->st, NULL, 0, store_call_got, &c);
	s_wait(f, &c);
	assert_int_equal(c.rc, 0);
	assert_int_equal(c.builds.n, 0);
	store_call_cleanup(&c);
	free(pa);
	free(pb);
	free(pc);
}

static void test_faults(void **state)
{
	struct fx *f = *state;
	struct store_call c;
	char *proj = s_project("faults");
	char id[BUILD_ID_LEN + 1];

	/* Throttling twice, then the write goes through. */
	s_id(id, 6, 1);
	struct build *b = s_build(id, proj, 1700000000, BUILD_QUEUED);
	int before = s_log_count("PutItem");
	s_fault("PutItem", "\"error\":{\"code\":\"ProvisionedThroughputExceededException\"},"
			   "\"count\":2");
	assert_int_equal(s_create(f, b, &c), 0);
	store_call_cleanup(&c);
	assert_int_equal(s_log_count("PutItem") - before, 3);
	build_free(b);

	/* The answer to a create is lost after it was applied (reset): sent
	 * again, the condition fails on our own record, which is recognised. */
	s_id(id, 6, 2);
	b = s_build(id, proj, 1700000001, BUILD_QUEUED);
	before = s_log_count("PutItem");
	s_fault("PutItem", "\"reset_after_bytes\":0");
	assert_int_equal(s_create(f, b, &c), 0);
	store_call_cleanup(&c);
	assert_int_equal(s_log_count("PutItem") - before, 2);
	/* The same for a transition. */
	struct store_update u = {
	    .from_mask = BUILD_MASK(BUILD_QUEUED), .to = BUILD_RUNNING, .build_time = 1700000005};
	snprintf(u.id, sizeof(u.id), "%s", id);
	s_fault("UpdateItem", "\"reset_after_bytes\":0");
	assert_int_equal(s_update(f, &u, &c), 0);
	assert_int_equal(c.build->status, BUILD_RUNNING);
	store_call_cleanup(&c);
	/* A real conflict is never retried. */
	before = s_log_count("UpdateItem");
	assert_int_equal(s_update(f, &u, &c), -1);
	assert_int_equal(c.err.code, ERR_CONFLICT);
	store_call_cleanup(&c);
	assert_int_equal(s_log_count("UpdateItem") - before, 1);
	build_free(b);

	/* Validation errors are not retried; the message is one line. */
	before = s_log_count("Query");
	s_fault("Query", "\"error\":{\"code\":\"ValidationException\",\"message\":\"bad key\"}");
	assert_int_equal(s_query(f, proj, NULL, 5, &c), -1);
	assert_int_equal(c.err.code, ERR_REMOTE);
	assert_string_equal(c.err.msg,
			    "DynamoDB Query " TABLE ": ValidationException: bad key (HTTP "
			    "400)");
	store_call_cleanup(&c);
	assert_int_equal(s_log_count("Query") - before, 1);

	/* Malformed and truncated answers. */
	s_fault("Query", "\"status\":200,\"body\":\"{\\\"Items\\\": [\"");
	assert_int_equal(s_query(f, proj, NULL, 5, &c), -1);
	assert_int_equal(c.err.code, ERR_PROTO);
	assert_non_null(strstr(c.err.msg, "malformed answer"));
	s_one_line(c.err.msg);
	store_call_cleanup(&c);
	s_fault("Query", "\"truncate_after_bytes\":10");
	assert_int_equal(s_query(f, proj, NULL, 5, &c), 0); /* detected, sent again */
	store_call_cleanup(&c);

	/* A proxy's 503 page, for good: retried, then one line. */
	int fid = s_fault("GetItem", "\"status\":503,\"headers\":{\"content-type\":\"text/html\"},"
				     "\"body\":\"<html><title>503 Service Temporarily Unavailable"
				     "</title></html>\",\"count\":-1");
	before = s_log_count("GetItem");
	assert_int_equal(s_get(f, id, &c), -1);
	awsfx_fault_delete(fid);
	assert_int_equal(c.err.code, ERR_THROTTLED);
	assert_non_null(strstr(c.err.msg, "HTML page from a proxy: 503 Service Temporarily "
					  "Unavailable (HTTP 503) after 4 attempts"));
	store_call_cleanup(&c);
	assert_int_equal(s_log_count("GetItem") - before, 4);

	/* A table that does not exist. */
	struct store *other = store_dynamodb_new(f->loop, f->client, "no-such-table", INDEX);
	memset(&c, 0, sizeof(c));
	other->ops->query(other, proj, NULL, 5, store_call_got, &c);
	s_wait(f, &c);
	assert_int_equal(c.rc, -1);
	assert_int_equal(c.err.code, ERR_NOTFOUND);
	assert_non_null(strstr(c.err.msg, "ResourceNotFoundException"));
	assert_non_null(strstr(c.err.msg, "no-such-table"));
	store_call_cleanup(&c);
	other->ops->free(other);
	free(proj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_update_get, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_original_records, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_prefix_lookup, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_paging_with_ties, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_active, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_faults, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
