#include "store_dynamodb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/awsclient.h"
#include "aws/ddbjson.h"
#include "aws/dynamodb.h"
#include "evloop.h"
#include "xmem.h"

#define SCAN_SEGMENTS	    4
#define QUERY_MAX_REQUESTS  20
#define ACTIVE_MAX_REQUESTS 50
#define ACTIVE_PARALLEL	    8

struct store_dynamodb {
	struct store base;
	struct evloop *loop;
	struct awsclient *client;
	char *table, *index;
};

struct op {
	struct store_dynamodb *s;
	store_done_fn done;
	void *ctx;
	struct store_reply *r;
	/* create / update */
	struct build *want;
	struct store_update u;
	char *job_name, *status_message;
	bool ambiguous;
	/* get by prefix */
	char *ref;
	int segments_left;
	char *found[2];
	int n_found;
	/* query */
	char *project;
	int limit, requests;
	/* active */
	char **keys;
	size_t n_keys, next_key;
	int inflight;
	int64_t since;
};

static struct op *s_op(struct store_dynamodb *s, store_done_fn done, void *ctx)
{
	struct op *op = xcalloc(1, sizeof(*op));
	op->s = s;
	op->done = done;
	op->ctx = ctx;
	op->r = xcalloc(1, sizeof(*op->r));
	op->r->rc = -1;
	return op;
}

static void s_op_free(struct op *op)
{
	build_free(op->want);
	free(op->job_name);
	free(op->status_message);
	free(op->ref);
	free(op->found[0]);
	free(op->found[1]);
	free(op->project);
	for (size_t i = 0; i < op->n_keys; i++)
		free(op->keys[i]);
	free(op->keys);
	free(op);
}

/* Replies now (from a loop callback). */
static void s_reply(struct op *op)
{
	op->done(op->ctx, op->r);
	store_reply_free(op->r);
	s_op_free(op);
}

/* Replies from the loop's next iteration (before any I/O). */
static void s_reply_later(struct op *op)
{
	store_reply_later(op->s->loop, op->r, op->done, op->ctx);
	s_op_free(op);
}

static void s_fail(struct op *op, const struct err *e)
{
	op->r->rc = -1;
	op->r->err = *e;
	s_reply(op);
}

static json_t *s_key(const char *id)
{
	return json_pack("{s:o}", "buildID", ddbjson_s(id));
}

static void s_get_item(struct op *op, const char *id, dynamodb_done_fn cb)
{
	json_t *req = json_pack("{s:s, s:o, s:b}", "TableName", op->s->table, "Key", s_key(id),
				"ConsistentRead", 1);
	dynamodb_call(op->s->client, "GetItem", op->s->table, req, cb, op);
}

/* The record in a GetItem answer: 1 found, 0 none, -1 not a record. */
static int s_item_build(struct dynamodb_result *res, struct build **out, struct err *e)
{
	json_t *item = json_object_get(res->body, "Item");
	*out = NULL;
	if (!item)
		return 0;
	if (ddbjson_to_build(item, out, e) < 0)
		return -1;
	return 1;
}

/* --- create ---------------------------------------------------------------- */

static void s_create_verified(void *ctx, struct dynamodb_result *res)
{
	struct op *op = ctx;
	struct build *now = NULL;
	struct err e = {0};
	if (res->rc < 0) {
		s_fail(op, &res->err);
		return;
	}
	int found = s_item_build(res, &now, &e);
	json_t *a = now ? build_to_json(now) : NULL, *b = build_to_json(op->want);
	if (found > 0 && json_equal(a, b)) {
		/* Our own write, whose answer was lost. */
		op->r->rc = 0;
		op->r->build = now;
		now = NULL;
	} else {
		err_set(&op->r->err, ERR_CONFLICT, "build %.40s already exists", op->want->id);
	}
	json_decref(a);
	json_decref(b);
	build_free(now);
	s_reply(op);
}

static void s_created(void *ctx, struct dynamodb_result *res)
{
	struct op *op = ctx;
	if (res->rc == 0) {
		op->r->rc = 0;
		op->r->build = build_dup(op->want);
		s_reply(op);
	} else if (dynamodb_condition_failed(res) && res->ambiguous) {
		s_get_item(op, op->want->id, s_create_verified);
	} else if (dynamodb_condition_failed(res)) {
		err_set(&op->r->err, ERR_CONFLICT, "build %.40s already exists", op->want->id);
		s_reply(op);
	} else {
		s_fail(op, &res->err);
	}
}

static void s_create(struct store *base, const struct build *b, store_done_fn done, void *ctx)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct op *op = s_op(s, done, ctx);
	op->want = build_dup(b);
	json_t *req =
	    json_pack("{s:s, s:o, s:s, s:{s:s}}", "TableName", s->table, "Item",
		      ddbjson_from_build(b), "ConditionExpression", "attribute_not_exists(#id)",
		      "ExpressionAttributeNames", "#id", "buildID");
	dynamodb_call(s->client, "PutItem", s->table, req, s_created, op);
}

/* --- update ---------------------------------------------------------------- */

static void s_append(char *buf, size_t size, const char *text)
{
	size_t used = strlen(buf);
	snprintf(buf + used, size - used, "%s", text);
}

/* SET / REMOVE of one optional text attribute. */
static void s_set_text(json_t *names, json_t *values, char *set, char *remove, size_t size,
		       const char *name, const char *attr, const char *v)
{
	char ph[24], clause[64];
	snprintf(ph, sizeof(ph), "#%s", name);
	json_object_set_new(names, ph, json_string(attr));
	if (*v) {
		snprintf(clause, sizeof(clause), ", #%s = :%s", name, name);
		s_append(set, size, clause);
		snprintf(ph, sizeof(ph), ":%s", name);
		json_object_set_new(values, ph, ddbjson_s(v));
	} else {
		snprintf(clause, sizeof(clause), "%s#%s", *remove ? ", " : " REMOVE ", name);
		s_append(remove, size, clause);
	}
}

static json_t *s_update_request(struct store_dynamodb *s, const struct store_update *u)
{
	json_t *names =
	    json_pack("{s:s, s:s, s:s}", "#id", "buildID", "#st", "status", "#ib", "isBuilding");
	json_t *values = json_pack("{s:o, s:o}", ":to", ddbjson_s(build_status_name(u->to)), ":ib",
				   ddbjson_n(build_status_active(u->to)));
	char set[512] = "SET #st = :to, #ib = :ib", remove[128] = "", cond[512];
	if (u->build_time > 0) {
		s_append(set, sizeof(set), ", #bt = :bt");
		json_object_set_new(names, "#bt", json_string("buildTime"));
		json_object_set_new(values, ":bt", ddbjson_n(u->build_time));
	}
	if (u->set_result) {
		s_append(set, sizeof(set), ", #br = :br");
		json_object_set_new(names, "#br", json_string("buildResult"));
		json_object_set_new(values, ":br", ddbjson_n(u->build_result));
	}
	if (u->set_elapsed) {
		s_append(set, sizeof(set), ", #el = :el");
		json_object_set_new(names, "#el", json_string("buildElapsedTime"));
		json_object_set_new(values, ":el", ddbjson_n(u->elapsed_s));
	}
	if (u->job_name)
		s_set_text(names, values, set, remove, sizeof(remove), "jn", "jobName",
			   u->job_name);
	if (u->status_message)
		s_set_text(names, values, set, remove, sizeof(remove), "sm", "statusMessage",
			   u->status_message);
	snprintf(cond, sizeof(cond), "attribute_exists(#id) AND (#st IN (");
	int n = 0;
	for (int i = 0; i < BUILD_STATUS_COUNT; i++) {
		if (!(u->from_mask & BUILD_MASK(i)))
			continue;
		char ph[16];
		snprintf(ph, sizeof(ph), ":f%d", n);
		s_append(cond, sizeof(cond), n ? ", " : "");
		s_append(cond, sizeof(cond), ph);
		json_object_set_new(values, ph, ddbjson_s(build_status_name(i)));
		n++;
	}
	if (n == 0) { /* nothing can match: the condition always fails */
		s_append(cond, sizeof(cond), ":f0");
		json_object_set_new(values, ":f0", ddbjson_s("-"));
	}
	s_append(cond, sizeof(cond), ")");
	if (u->from_mask & BUILD_MASK(BUILD_RUNNING)) {
		/* The original system's records have no status: running while
		 * isBuilding = 1. */
		s_append(cond, sizeof(cond), " OR (attribute_not_exists(#st) AND #ib = :one)");
		json_object_set_new(values, ":one", ddbjson_n(1));
	}
	s_append(cond, sizeof(cond), ")");
	s_append(set, sizeof(set), remove);
	return json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:s}", "TableName", s->table, "Key",
			 s_key(u->id), "UpdateExpression", set, "ConditionExpression", cond,
			 "ExpressionAttributeNames", names, "ExpressionAttributeValues", values,
			 "ReturnValues", "ALL_NEW");
}

/* Whether now is what the update makes (for a write whose answer was lost). */
static bool s_update_applied(const struct store_update *u, const struct build *now)
{
	return now->status == u->to && (u->build_time <= 0 || now->build_time == u->build_time) &&
	       (!u->set_result || (now->has_result && now->build_result == u->build_result)) &&
	       (!u->set_elapsed || (now->has_elapsed && now->elapsed_s == u->elapsed_s));
}

static void s_update_verified(void *ctx, struct dynamodb_result *res)
{
	struct op *op = ctx;
	struct build *now = NULL;
	struct err e = {0};
	if (res->rc < 0) {
		s_fail(op, &res->err);
		return;
	}
	int found = s_item_build(res, &now, &e);
	if (found < 0) {
		s_fail(op, &e);
		return;
	}
	if (found == 0) {
		err_set(&op->r->err, ERR_NOTFOUND, "no build %.40s", op->u.id);
	} else if (op->ambiguous && s_update_applied(&op->u, now)) {
		op->r->rc = 0;
	} else {
		err_set(&op->r->err, ERR_CONFLICT, "build %.8s is %s", op->u.id,
			build_status_name(now->status));
	}
	op->r->build = now;
	s_reply(op);
}

static void s_updated(void *ctx, struct dynamodb_result *res)
{
	struct op *op = ctx;
	struct err e = {0};
	if (res->rc == 0) {
		json_t *attrs = json_object_get(res->body, "Attributes");
		if (!attrs || ddbjson_to_build(attrs, &op->r->build, &e) < 0) {
			if (!attrs)
				err_set(&e, ERR_PROTO,
					"DynamoDB UpdateItem %.200s: no Attributes in the "
					"answer",
					op->s->table);
			s_fail(op, &e);
			return;
		}
		op->r->rc = 0;
		s_reply(op);
	} else if (dynamodb_condition_failed(res)) {
		op->ambiguous = res->ambiguous;
		s_get_item(op, op->u.id, s_update_verified);
	} else {
		s_fail(op, &res->err);
	}
}

static void s_update(struct store *base, const struct store_update *u, store_done_fn done,
		     void *ctx)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct op *op = s_op(s, done, ctx);
	op->u = *u;
	op->job_name = xstrdup(u->job_name);
	op->status_message = xstrdup(u->status_message);
	op->u.job_name = op->job_name;
	op->u.status_message = op->status_message;
	if (!build_id_prefix_ok(u->id) || strlen(u->id) != BUILD_ID_LEN) {
		err_set(&op->r->err, ERR_NOTFOUND, "no build %.40s", u->id);
		s_reply_later(op);
		return;
	}
	dynamodb_call(s->client, "UpdateItem", s->table, s_update_request(s, u), s_updated, op);
}

/* --- get ----------------------------------------------------------------- */

static void s_got_one(void *ctx, struct dynamodb_result *res)
{
	struct op *op = ctx;
	struct err e = {0};
	if (res->rc < 0) {
		s_fail(op, &res->err);
		return;
	}
	int found = s_item_build(res, &op->r->build, &e);
	if (found < 0) {
		s_fail(op, &e);
		return;
	}
	if (found == 0)
		err_set(&op->r->err, ERR_NOTFOUND, "no build matches '%.40s'", op->ref);
	else
		op->r->rc = 0;
	s_reply(op);
}

static void s_scan_segment(struct op *op, int segment, json_t *start);

struct seg {
	struct op *op;
	int segment;
};

static void s_scan_end(struct op *op)
{
	if (op->r->err.code != ERR_NONE) {
		s_reply(op);
	} else if (op->n_found == 0) {
		err_set(&op->r->err, ERR_NOTFOUND, "no build matches '%.40s'", op->ref);
		s_reply(op);
	} else if (op->n_found > 1) {
		bool order = strcmp(op->found[0], op->found[1]) < 0;
		err_set(&op->r->err, ERR_AMBIGUOUS, "'%.40s' matches several builds (%.13s, %.13s)",
			op->ref, op->found[order ? 0 : 1], op->found[order ? 1 : 0]);
		s_reply(op);
	} else {
		s_get_item(op, op->found[0], s_got_one);
	}
}

static void s_scanned(void *ctx, struct dynamodb_result *res)
{
	struct seg *sg = ctx;
	struct op *op = sg->op;
	if (res->rc < 0 && op->r->err.code == ERR_NONE)
		op->r->err = res->err;
	json_t *items = res->rc == 0 ? json_object_get(res->body, "Items") : NULL;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const char *id = ddbjson_s_raw(it, "buildID");
		if (!id || op->n_found >= 2)
			continue;
		if (op->n_found == 1 && strcmp(op->found[0], id) == 0)
			continue;
		op->found[op->n_found++] = xstrdup(id);
	}
	json_t *lek = res->rc == 0 ? json_object_get(res->body, "LastEvaluatedKey") : NULL;
	if (lek && op->n_found < 2 && op->r->err.code == ERR_NONE) {
		s_scan_segment(op, sg->segment, json_incref(lek));
		free(sg);
		return;
	}
	free(sg);
	if (--op->segments_left == 0)
		s_scan_end(op);
}

static void s_scan_segment(struct op *op, int segment, json_t *start)
{
	struct seg *sg = xcalloc(1, sizeof(*sg));
	sg->op = op;
	sg->segment = segment;
	json_t *req =
	    json_pack("{s:s, s:i, s:i, s:s, s:s, s:{s:s}, s:{s:o}}", "TableName", op->s->table,
		      "Segment", segment, "TotalSegments", SCAN_SEGMENTS, "ProjectionExpression",
		      "#id", "FilterExpression", "begins_with(#id, :p)", "ExpressionAttributeNames",
		      "#id", "buildID", "ExpressionAttributeValues", ":p", ddbjson_s(op->ref));
	if (start)
		json_object_set_new(req, "ExclusiveStartKey", start);
	dynamodb_call(op->s->client, "Scan", op->s->table, req, s_scanned, sg);
}

static void s_get(struct store *base, const char *ref, store_done_fn done, void *ctx)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct op *op = s_op(s, done, ctx);
	op->ref = xstrdup(ref);
	if (!build_id_prefix_ok(ref)) {
		err_set(&op->r->err, ERR_NOTFOUND, "no build matches '%.40s'", ref);
		s_reply_later(op);
		return;
	}
	if (strlen(ref) == BUILD_ID_LEN) {
		s_get_item(op, ref, s_got_one);
		return;
	}
	op->segments_left = SCAN_SEGMENTS;
	for (int i = 0; i < SCAN_SEGMENTS; i++)
		s_scan_segment(op, i, NULL);
}

/* --- query ----------------------------------------------------------------- */

static json_t *s_index_key(const char *project, const char *time_n, const char *id)
{
	return json_pack("{s:o, s:o, s:{s:s}}", "buildID", ddbjson_s(id), "projectKey",
			 ddbjson_s(project), "buildTime", "N", time_n);
}

static void s_query_page(struct op *op, json_t *start);

/* Adds the page's records; returns the item of the last record kept. */
static const json_t *s_take_items(struct op *op, json_t *items, size_t max)
{
	const json_t *last = NULL;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		struct build *b = NULL;
		struct err e = {0};
		if (op->r->builds.n >= max)
			break;
		if (ddbjson_to_build(it, &b, &e) < 0)
			continue; /* not a build record: skipped */
		build_list_push(&op->r->builds, b);
		last = it;
	}
	return last;
}

static void s_queried(void *ctx, struct dynamodb_result *res)
{
	struct op *op = ctx;
	if (res->rc < 0) {
		s_fail(op, &res->err);
		return;
	}
	json_t *items = json_object_get(res->body, "Items");
	json_t *lek = json_object_get(res->body, "LastEvaluatedKey");
	size_t before = op->r->builds.n;
	const json_t *last = s_take_items(op, items, (size_t)op->limit);
	size_t kept = op->r->builds.n - before;
	bool more = lek || json_array_size(items) > kept;
	if (op->r->builds.n < (size_t)op->limit && lek && op->requests < QUERY_MAX_REQUESTS) {
		s_query_page(op, json_incref(lek));
		return;
	}
	if (more) {
		/* The position after the last record kept (or the page's end). */
		const char *t =
		    last ? ddbjson_n_raw(last, "buildTime") : ddbjson_n_raw(lek, "buildTime");
		const char *id =
		    last ? ddbjson_s_raw(last, "buildID") : ddbjson_s_raw(lek, "buildID");
		if (t && id)
			op->r->next_cursor = ddbjson_cursor_encode(t, id);
	}
	op->r->rc = 0;
	s_reply(op);
}

static void s_query_page(struct op *op, json_t *start)
{
	struct store_dynamodb *s = op->s;
	int want = op->limit - (int)op->r->builds.n + 1;
	op->requests++;
	json_t *req =
	    json_pack("{s:s, s:s, s:s, s:{s:s}, s:{s:o}, s:b, s:i}", "TableName", s->table,
		      "IndexName", s->index, "KeyConditionExpression", "#pk = :pk",
		      "ExpressionAttributeNames", "#pk", "projectKey", "ExpressionAttributeValues",
		      ":pk", ddbjson_s(op->project), "ScanIndexForward", 0, "Limit", want);
	if (start)
		json_object_set_new(req, "ExclusiveStartKey", start);
	dynamodb_call(s->client, "Query", s->table, req, s_queried, op);
}

static void s_query(struct store *base, const char *project_key, const char *cursor, int limit,
		    store_done_fn done, void *ctx)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct op *op = s_op(s, done, ctx);
	op->project = xstrdup(project_key);
	op->limit = limit > 0 ? limit : 1;
	json_t *start = NULL;
	if (cursor) {
		char *t = NULL, *id = NULL;
		if (ddbjson_cursor_decode(cursor, &t, &id, &op->r->err) < 0) {
			s_reply_later(op);
			return;
		}
		start = s_index_key(project_key, t, id);
		free(t);
		free(id);
	}
	if (!*project_key) {
		op->r->rc = 0; /* DynamoDB refuses empty keys: nothing matches */
		json_decref(start);
		s_reply_later(op);
		return;
	}
	s_query_page(op, start);
}

/* --- active ---------------------------------------------------------------- */

static void s_active_next(struct op *op);

struct proj {
	struct op *op;
	const char *key;
	int requests;
};

static void s_active_query(struct proj *pj, json_t *start);

static int s_newest_first(const void *a, const void *b)
{
	const struct build *x = *(struct build *const *)a, *y = *(struct build *const *)b;
	if (x->build_time != y->build_time)
		return x->build_time > y->build_time ? -1 : 1;
	return strcmp(y->id, x->id);
}

static void s_active_page(void *ctx, struct dynamodb_result *res)
{
	struct proj *pj = ctx;
	struct op *op = pj->op;
	if (res->rc < 0 && op->r->err.code == ERR_NONE)
		op->r->err = res->err;
	if (res->rc == 0) {
		s_take_items(op, json_object_get(res->body, "Items"), SIZE_MAX);
		json_t *lek = json_object_get(res->body, "LastEvaluatedKey");
		if (lek && pj->requests < ACTIVE_MAX_REQUESTS && op->r->err.code == ERR_NONE) {
			s_active_query(pj, json_incref(lek));
			return;
		}
	}
	free(pj);
	op->inflight--;
	s_active_next(op);
}

static void s_active_query(struct proj *pj, json_t *start)
{
	struct store_dynamodb *s = pj->op->s;
	pj->requests++;
	json_t *req = json_pack(
	    "{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:o, s:o, s:o}, s:b}", "TableName",
	    s->table, "IndexName", s->index, "KeyConditionExpression",
	    "#pk = :pk AND #bt >= :since", "FilterExpression", "#ib = :one",
	    "ExpressionAttributeNames", "#pk", "projectKey", "#bt", "buildTime", "#ib",
	    "isBuilding", "ExpressionAttributeValues", ":pk", ddbjson_s(pj->key), ":since",
	    ddbjson_n(pj->op->since), ":one", ddbjson_n(1), "ScanIndexForward", 0);
	if (start)
		json_object_set_new(req, "ExclusiveStartKey", start);
	dynamodb_call(s->client, "Query", s->table, req, s_active_page, pj);
}

static void s_active_next(struct op *op)
{
	while (op->r->err.code == ERR_NONE && op->inflight < ACTIVE_PARALLEL &&
	       op->next_key < op->n_keys) {
		struct proj *pj = xcalloc(1, sizeof(*pj));
		pj->op = op;
		pj->key = op->keys[op->next_key++];
		op->inflight++;
		s_active_query(pj, NULL);
	}
	if (op->inflight > 0)
		return;
	if (op->r->err.code == ERR_NONE) {
		op->r->rc = 0;
		if (op->r->builds.n > 1)
			qsort(op->r->builds.items, op->r->builds.n, sizeof(*op->r->builds.items),
		      s_newest_first);
	} else {
		build_list_cleanup(&op->r->builds);
	}
	s_reply(op);
}

static void s_active(struct store *base, const char *const *keys, size_t n, store_done_fn done,
		     void *ctx)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct op *op = s_op(s, done, ctx);
	op->since = (int64_t)time(NULL) - STORE_DYNAMODB_ACTIVE_WINDOW_S;
	op->keys = xcalloc(n ? n : 1, sizeof(*op->keys));
	for (size_t i = 0; i < n; i++)
		if (keys[i] && *keys[i])
			op->keys[op->n_keys++] = xstrdup(keys[i]);
	if (op->n_keys == 0) {
		op->r->rc = 0;
		s_reply_later(op);
		return;
	}
	s_active_next(op);
}

/* --- life ------------------------------------------------------------------ */

static void s_free(struct store *base)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	if (!s)
		return;
	awsclient_unref(s->client);
	free(s->table);
	free(s->index);
	free(s);
}

static const struct store_ops s_ops = {
    .name = "dynamodb",
    .create = s_create,
    .update = s_update,
    .get = s_get,
    .query = s_query,
    .active = s_active,
    .free = s_free,
};

struct store *store_dynamodb_new(struct evloop *loop, struct awsclient *client, const char *table,
				 const char *index)
{
	struct store_dynamodb *s = xcalloc(1, sizeof(*s));
	s->base.ops = &s_ops;
	s->loop = loop;
	s->client = awsclient_ref(client);
	s->table = xstrdup(table);
	s->index = xstrdup(index);
	return &s->base;
}
