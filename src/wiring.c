#include "wiring.h"

#include <stdlib.h>

#include "aws/awsclient.h"
#include "blob_dir.h"
#include "blob_s3.h"
#include "datadir.h"
#include "exec_k8s.h"
#include "exec_local.h"
#include "fsutil.h"
#include "store_dynamodb.h"
#include "store_sqlite.h"
#include "xmem.h"

#define LOCAL_PASS_MS 5000
#define REMOTE_PASS_MS 30000

static int64_t s_env_ms(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strtoll(v, NULL, 10) : 0;
}

/* store: local → SQLite in data_dir; aws → DynamoDB. */
static struct store *s_store(struct evloop *loop, const struct profile *p,
			     const struct worker_backends *be, struct err *e)
{
	if (p->store == PROFILE_STORE_AWS) {
		/* One client per profile and loop, shared with the S3 blob store. */
		struct awsclient *c = awsclient_shared(loop, p, e);
		if (!c)
			return NULL;
		awsclient_set_notice(c, be->notice, be->notice_ctx);
		struct store *s = store_dynamodb_new(loop, c, p->dynamodb.table, p->dynamodb.index);
		awsclient_unref(c);
		return s;
	}
	char *db = datadir_sub(p->data_dir, "builds.db");
	struct store *s = store_sqlite_new(loop, db, e);
	free(db);
	return s;
}

/* blob store: local → a directory in data_dir; aws → S3. */
static struct blob *s_blob(struct evloop *loop, const struct profile *p, struct err *e)
{
	if (p->store == PROFILE_STORE_AWS) {
		struct awsclient *c = awsclient_shared(loop, p, e);
		if (!c)
			return NULL;
		struct blob *b = blob_s3_new(loop, c, p->s3.artifacts_bucket, p->s3.logs_bucket);
		awsclient_unref(c);
		return b;
	}
	char *blobs = datadir_sub(p->data_dir, "blobs");
	struct blob *b = blob_dir_new(loop, blobs, p->s3.artifacts_bucket, p->s3.logs_bucket, e);
	free(blobs);
	return b;
}

/* executor: local processes, or Kubernetes Jobs. */
static struct executor *s_exec(struct wiring *wr, struct evloop *loop, const struct profile *p,
			       const struct worker_backends *be, struct err *e)
{
	if (p->executor == PROFILE_EXEC_KUBERNETES) {
		struct exec_k8s_config kc = {
			.profile = p,
			.pull_limit_ms = s_env_ms("AFTOMATO_K8S_PULL_LIMIT_MS"),
			.config_limit_ms = s_env_ms("AFTOMATO_K8S_CONFIG_LIMIT_MS"),
			.settle_ms = s_env_ms("AFTOMATO_K8S_SETTLE_MS"),
		};
		struct executor *x = exec_k8s_new(loop, &kc, e);
		if (!x)
			err_prefix(e, "profile %.100s", p->name);
		else if (be->notice)
			exec_k8s_set_notice(x, be->notice, be->notice_ctx);
		return x;
	}
	struct exec_local_config lc = {
		.data_dir = p->data_dir,
		.self_exe = wr->self_exe,
		.config_path = p->config_path,
		.profile = p->name,
		.grace_ms = s_env_ms("AFTOMATO_KILL_GRACE_MS"),
		.spool_retry_ms = s_env_ms("AFTOMATO_SPOOL_RETRY_MS"),
		.then_reconcile = wr->then_reconcile,
	};
	return exec_local_new(loop, &lc, e);
}

int wiring_make(void *ctx, struct evloop *loop, const struct profile *p,
		struct worker_backends *out, struct err *e)
{
	struct wiring *wr = ctx;
	if (fsutil_mkdir_p(p->data_dir, 0700, e) < 0)
		return -1;
	if (!(out->store = s_store(loop, p, out, e)) || !(out->blob = s_blob(loop, p, e)) ||
	    !(out->exec = s_exec(wr, loop, p, out, e)))
		return -1;
	bool remote = p->store == PROFILE_STORE_AWS || p->executor == PROFILE_EXEC_KUBERNETES;
	out->pass_interval_ms = remote ? REMOTE_PASS_MS : LOCAL_PASS_MS;
	return 0;
}
