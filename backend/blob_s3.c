#include "blob_s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awsclient.h"
#include "aws/s3.h"
#include "aws/s3upload.h"
#include "evloop.h"
#include "xmem.h"

#define DELETE_BATCH 1000

struct blob_s3 {
	struct blob base;
	struct evloop *loop;
	struct awsclient *client;
	char *buckets[2];
};

struct op {
	struct blob_s3 *b;
	blob_done_fn done;
	void *ctx;
	blob_data_fn data;
	struct blob_reply *r;
	/* del */
	char **keys;
	size_t n_keys, next;
	enum blob_bucket bucket;
};

static struct op *s_op(struct blob_s3 *b, blob_done_fn done, void *ctx)
{
	struct op *op = xcalloc(1, sizeof(*op));
	op->b = b;
	op->done = done;
	op->ctx = ctx;
	op->r = xcalloc(1, sizeof(*op->r));
	return op;
}

static void s_reply(struct op *op)
{
	op->done(op->ctx, op->r);
	blob_reply_free(op->r);
	for (size_t i = 0; i < op->n_keys; i++)
		free(op->keys[i]);
	free(op->keys);
	free(op);
}

/* Copies the outcome of an S3 call into the reply. */
static void s_outcome(struct op *op, struct s3_result *res)
{
	op->r->rc = res->rc;
	op->r->err = res->err;
	op->r->size = res->size;
	op->r->mtime_ms = res->mtime_ms;
}

static bool s_key_ok(struct op *op, const char *key)
{
	if (key && *key)
		return true;
	op->r->rc = -1;
	err_set(&op->r->err, ERR_USAGE, "invalid object key '%.200s'", key ? key : "");
	blob_reply_later(op->b->loop, op->r, op->done, op->ctx);
	op->r = NULL;
	free(op);
	return false;
}

static void s_done_plain(void *ctx, struct s3_result *res)
{
	struct op *op = ctx;
	s_outcome(op, res);
	s_reply(op);
}

static void s_put_file(struct blob *base, enum blob_bucket bucket, const char *key,
		       const char *path, const char *content_type, blob_done_fn done, void *ctx)
{
	struct blob_s3 *b = (struct blob_s3 *)base;
	struct op *op = s_op(b, done, ctx);
	if (!s_key_ok(op, key))
		return;
	s3upload_file(b->client, b->buckets[bucket], key, path, content_type, NULL, s_done_plain,
		      op);
}

static int s_on_data(void *ctx, const char *buf, size_t len)
{
	struct op *op = ctx;
	return op->data(op->ctx, buf, len);
}

static void s_got(void *ctx, struct s3_result *res)
{
	struct op *op = ctx;
	s_outcome(op, res);
	if (res->rc < 0 && res->err.code == ERR_CANCELLED)
		err_set(&op->r->err, ERR_CANCELLED, "download stopped");
	s_reply(op);
}

static void s_get(struct blob *base, enum blob_bucket bucket, const char *key, uint64_t offset,
		  uint64_t length, blob_data_fn data, blob_done_fn done, void *ctx)
{
	struct blob_s3 *b = (struct blob_s3 *)base;
	struct op *op = s_op(b, done, ctx);
	if (!s_key_ok(op, key))
		return;
	op->data = data;
	s3_get(b->client, b->buckets[bucket], key, offset, length, s_on_data, s_got, op);
}

static void s_head(struct blob *base, enum blob_bucket bucket, const char *key, blob_done_fn done,
		   void *ctx)
{
	struct blob_s3 *b = (struct blob_s3 *)base;
	struct op *op = s_op(b, done, ctx);
	if (!s_key_ok(op, key))
		return;
	s3_head(b->client, b->buckets[bucket], key, s_done_plain, op);
}

static void s_listed(void *ctx, struct s3_result *res)
{
	struct op *op = ctx;
	s_outcome(op, res);
	for (size_t i = 0; res->rc == 0 && i < res->n_entries; i++) {
		struct s3_entry *en = &res->entries[i];
		blob_list_push(&op->r->entries, en->key, en->size, en->mtime_ms, en->is_prefix);
	}
	if (res->rc == 0) {
		op->r->next_token = res->next_token;
		res->next_token = NULL;
	}
	s_reply(op);
}

static void s_list(struct blob *base, enum blob_bucket bucket, const char *prefix,
		   const char *delimiter, const char *token, int max_keys, blob_done_fn done,
		   void *ctx)
{
	struct blob_s3 *b = (struct blob_s3 *)base;
	struct op *op = s_op(b, done, ctx);
	struct s3_list_params p = {
	    .prefix = prefix,
	    .delimiter = delimiter,
	    .continuation_token = token,
	    .max_keys = max_keys > 0 ? max_keys : 1000,
	};
	s3_list(b->client, b->buckets[bucket], &p, s_listed, op);
}

static void s_del_next(struct op *op);

static void s_deleted(void *ctx, struct s3_result *res)
{
	struct op *op = ctx;
	if (res->rc < 0) {
		s_outcome(op, res);
		s_reply(op);
		return;
	}
	s_del_next(op);
}

static void s_del_next(struct op *op)
{
	if (op->next >= op->n_keys) {
		op->r->rc = 0;
		s_reply(op);
		return;
	}
	size_t n = op->n_keys - op->next;
	if (n > DELETE_BATCH)
		n = DELETE_BATCH;
	const char *const *keys = (const char *const *)op->keys + op->next;
	op->next += n;
	s3_delete(op->b->client, op->b->buckets[op->bucket], keys, n, s_deleted, op);
}

static void s_del(struct blob *base, enum blob_bucket bucket, const char *const *keys, size_t n,
		  blob_done_fn done, void *ctx)
{
	struct blob_s3 *b = (struct blob_s3 *)base;
	struct op *op = s_op(b, done, ctx);
	op->bucket = bucket;
	op->keys = xcalloc(n ? n : 1, sizeof(*op->keys));
	for (size_t i = 0; i < n; i++) {
		if (!keys[i] || !*keys[i]) {
			op->r->rc = -1;
			err_set(&op->r->err, ERR_USAGE, "invalid object key ''");
			blob_reply_later(b->loop, op->r, done, ctx);
			op->r = NULL;
			for (size_t j = 0; j < op->n_keys; j++)
				free(op->keys[j]);
			free(op->keys);
			free(op);
			return;
		}
		op->keys[op->n_keys++] = xstrdup(keys[i]);
	}
	if (n == 0) {
		blob_reply_later(b->loop, op->r, done, ctx);
		free(op->keys);
		free(op);
		return;
	}
	s_del_next(op);
}

static char *s_location(struct blob *base, enum blob_bucket bucket, const char *key)
{
	struct blob_s3 *b = (struct blob_s3 *)base;
	return xasprintf("s3://%s/%s", b->buckets[bucket], key);
}

static void s_free(struct blob *base)
{
	struct blob_s3 *b = (struct blob_s3 *)base;
	if (!b)
		return;
	awsclient_unref(b->client);
	free(b->buckets[0]);
	free(b->buckets[1]);
	free(b);
}

static const struct blob_ops s_ops = {
    .name = "s3",
    .put_file = s_put_file,
    .get = s_get,
    .head = s_head,
    .list = s_list,
    .del = s_del,
    .location = s_location,
    .free = s_free,
};

struct blob *blob_s3_new(struct evloop *loop, struct awsclient *client,
			 const char *artifacts_bucket, const char *logs_bucket)
{
	struct blob_s3 *b = xcalloc(1, sizeof(*b));
	b->base.ops = &s_ops;
	b->loop = loop;
	b->client = awsclient_ref(client);
	b->buckets[BLOB_ARTIFACTS] = xstrdup(artifacts_bucket);
	b->buckets[BLOB_LOGS] = xstrdup(logs_bucket);
	return &b->base;
}
