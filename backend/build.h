/* build: the build record of DESIGN.md §2, the same in SQLite, DynamoDB and
 * `--json`. Strings are owned by the record (build_free frees them). */
#ifndef AFTOMATO_BUILD_H
#define AFTOMATO_BUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum build_status {
	BUILD_QUEUED,
	BUILD_RUNNING,
	BUILD_SUCCEEDED,
	BUILD_FAILED,
	BUILD_CANCELLED,
	BUILD_TIMEDOUT,
	BUILD_ERROR,
};
#define BUILD_STATUS_COUNT 7
#define BUILD_MASK(s)      (1u << (s))
#define BUILD_MASK_ACTIVE  (BUILD_MASK(BUILD_QUEUED) | BUILD_MASK(BUILD_RUNNING))

#define BUILD_ID_LEN 36

struct build {
	char id[BUILD_ID_LEN + 1]; /* buildID: UUID v4, lowercase */
	char *project_key;         /* projectKey */
	int64_t build_time;        /* buildTime: start (queued: request), Unix seconds */
	char *branch;              /* branch */
	enum build_status status;  /* status (derived for original-system records) */
	bool has_result;
	int build_result;     /* buildResult: exit code of build.sh, when it ran */
	bool has_elapsed;
	int64_t elapsed_s;    /* buildElapsedTime */
	char *log_key;        /* logKey */
	char *artifacts_prefix; /* artifactsPrefix */
	char *triggered_by;   /* triggeredBy */
	char *retrigger_of;   /* retriggerOf */
	char *executor;       /* executor: "local" or "kubernetes" */
	char *job_name;       /* jobName: Kubernetes Job, or "local:<host>" */
	char *status_message; /* statusMessage (extension): why it ended as it did */
};

/* A zeroed record; never NULL (aborts on out of memory). Caller frees. */
struct build *build_new(void);
void build_free(struct build *b);
/* Deep copy; caller frees. */
struct build *build_dup(const struct build *b);

/* Replaces *dst with a copy of src (NULL allowed). */
void build_set_str(char **dst, const char *src);

const char *build_status_name(enum build_status s);
int build_status_parse(const char *name, enum build_status *out);
static inline bool build_status_active(enum build_status s)
{
	return s == BUILD_QUEUED || s == BUILD_RUNNING;
}
/* Exit status of `build --follow` for a finished build (DESIGN.md §2). */
int build_exit_code(enum build_status s);

/* Writes a new lowercase UUID v4 into out. Returns 0, or -1 if the random
 * generator fails. */
int build_uuid(char out[BUILD_ID_LEN + 1], struct err *e);
/* True when s looks like a (possibly partial) build ID: [0-9a-f-], 1..36 chars. */
bool build_id_prefix_ok(const char *s);

/* JSON with the attribute names of DESIGN.md §2. Caller owns the result. */
json_t *build_to_json(const struct build *b);
/* Parses such an object; records without `status` (the original system's)
 * get it derived from isBuilding and buildResult. *out is the caller's. */
int build_from_json(const json_t *j, struct build **out, struct err *e);

/* The store keys of DESIGN.md §2: "<projectKey>/<buildID>.log.gz" and
 * "<projectKey>/<buildID>/". Caller frees. */
char *build_log_key(const char *project_key, const char *id);
/* The key of a console log's arrival times, next to it: "<x>.log.gz" →
 * "<x>.log.ts.gz" (an extension of the layout). Caller frees. */
char *build_log_times_key(const char *log_key);
char *build_artifacts_prefix(const char *project_key, const char *id);

/* A growable list of records; the list owns them. */
struct build_list {
	struct build **items;
	size_t n, cap;
};
void build_list_push(struct build_list *l, struct build *b); /* takes b */
void build_list_cleanup(struct build_list *l);

#endif
