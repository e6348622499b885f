/* exec_local: the local executor. Each build runs as a local process under its
 * own supervisor process (supervise.h), so it survives the console; the
 * executor follows its spool with inotify and re-attaches after a restart. */
#ifndef AFTOMATO_EXEC_LOCAL_H
#define AFTOMATO_EXEC_LOCAL_H

#include <stdint.h>

#include "err.h"
#include "exec.h"

struct evloop;

struct exec_local_config {
	const char *data_dir;
	const char *self_exe;   /* the aftomato binary, to run `__supervise` */
	const char *config_path; /* passed on to the follow-up reconcile; may be NULL */
	const char *profile;    /* likewise */
	int64_t grace_ms;       /* SIGTERM → SIGKILL; 0: SUPERVISE_KILL_GRACE_MS */
	int64_t spool_retry_ms; /* how long a full disk may last; 0: 10 s */
	int then_reconcile;     /* supervisors run `aftomato __reconcile` when done */
};

/* The strings of cfg are copied. events must be set by the caller before
 * attach/start. Caller frees with x->ops->free (running builds go on). */
struct executor *exec_local_new(struct evloop *loop, const struct exec_local_config *cfg,
				struct err *e);

#endif
