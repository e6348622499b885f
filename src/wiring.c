#include "wiring.h"

#include <stdlib.h>

#include "blob_dir.h"
#include "datadir.h"
#include "exec_local.h"
#include "fsutil.h"
#include "store_sqlite.h"
#include "xmem.h"

#define LOCAL_PASS_MS 5000

static int64_t s_env_ms(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strtoll(v, NULL, 10) : 0;
}

int wiring_make(void *ctx, struct evloop *loop, const struct profile *p,
		struct worker_backends *out, struct err *e)
{
	struct wiring *wr = ctx;
	if (fsutil_mkdir_p(p->data_dir, 0700, e) < 0)
		return -1;
	if (p->store == PROFILE_STORE_AWS)
		return err_set(e, ERR_CONFIG, "profile %.100s: store 'aws' is not available in this "
			       "build of aftomato", p->name);
	if (p->executor == PROFILE_EXEC_KUBERNETES)
		return err_set(e, ERR_CONFIG, "profile %.100s: executor 'kubernetes' is not "
			       "available in this build of aftomato", p->name);
	char *db = datadir_sub(p->data_dir, "builds.db");
	out->store = store_sqlite_new(loop, db, e);
	free(db);
	if (!out->store)
		return -1;
	char *blobs = datadir_sub(p->data_dir, "blobs");
	out->blob = blob_dir_new(loop, blobs, p->s3.artifacts_bucket, p->s3.logs_bucket, e);
	free(blobs);
	if (!out->blob)
		return -1;
	struct exec_local_config lc = {
		.data_dir = p->data_dir,
		.self_exe = wr->self_exe,
		.config_path = p->config_path,
		.profile = p->name,
		.grace_ms = s_env_ms("AFTOMATO_KILL_GRACE_MS"),
		.spool_retry_ms = s_env_ms("AFTOMATO_SPOOL_RETRY_MS"),
		.then_reconcile = wr->then_reconcile,
	};
	out->exec = exec_local_new(loop, &lc, e);
	if (!out->exec)
		return -1;
	out->pass_interval_ms = LOCAL_PASS_MS;
	return 0;
}
