#include "msg.h"

#include <stdlib.h>

#include "logstore.h"
#include "project.h"
#include "xmem.h"

struct msg *msg_new(enum msg_type type)
{
	struct msg *m = xcalloc(1, sizeof(*m));
	m->type = type;
	return m;
}

void msg_free(struct msg *m)
{
	if (!m)
		return;
	free(m->project);
	free(m->branch);
	free(m->build_ref);
	free(m->path);
	free(m->dest);
	free(m->cursor);
	free(m->triggered_by);
	build_free(m->build);
	build_list_cleanup(&m->builds);
	free(m->next_cursor);
	if (m->projects) {
		project_list_cleanup(m->projects);
		free(m->projects);
	}
	blob_list_cleanup(&m->entries);
	logstore_unref(m->log);
	free(m);
}

const char *msg_type_name(enum msg_type t)
{
	static const char *const names[] = {
		[MSG_PROJECTS] = "projects",
		[MSG_BUILD_START] = "build-start",
		[MSG_RETRIGGER] = "retrigger",
		[MSG_CANCEL] = "cancel",
		[MSG_BUILD_GET] = "build-get",
		[MSG_BUILDS_QUERY] = "builds-query",
		[MSG_BUILDS_ACTIVE] = "builds-active",
		[MSG_LOG_OPEN] = "log-open",
		[MSG_LOG_CLOSE] = "log-close",
		[MSG_ARTIFACTS_LIST] = "artifacts-list",
		[MSG_ARTIFACT_GET] = "artifact-get",
		[MSG_ARTIFACTS_PUSH] = "artifacts-push",
		[MSG_RECONCILE] = "reconcile",
		[MSG_READY] = "ready",
		[MSG_BUILD_CHANGED] = "build-changed",
		[MSG_LOG_GREW] = "log-grew",
		[MSG_PROGRESS] = "progress",
		[MSG_NOTICE] = "notice",
	};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}
