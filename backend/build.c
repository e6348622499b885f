#include "build.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

static const char *const s_status_names[BUILD_STATUS_COUNT] = {
	"queued", "running", "succeeded", "failed", "cancelled", "timedout", "error",
};

struct build *build_new(void)
{
	return xcalloc(1, sizeof(struct build));
}

#define BUILD_FOR_EACH_STRING(b, X)                                                         \
	X(b->project_key) X(b->branch) X(b->log_key) X(b->artifacts_prefix)                  \
	X(b->triggered_by) X(b->retrigger_of) X(b->executor) X(b->job_name)                  \
	X(b->status_message)

void build_free(struct build *b)
{
	if (!b)
		return;
#define FREE_ONE(f) free(f);
	BUILD_FOR_EACH_STRING(b, FREE_ONE)
#undef FREE_ONE
	free(b);
}

struct build *build_dup(const struct build *b)
{
	struct build *d = xmalloc(sizeof(*d));
	*d = *b;
#define DUP_ONE(f) f = xstrdup(f);
	BUILD_FOR_EACH_STRING(d, DUP_ONE)
#undef DUP_ONE
	return d;
}

void build_set_str(char **dst, const char *src)
{
	char *copy = xstrdup(src);
	free(*dst);
	*dst = copy;
}

const char *build_status_name(enum build_status s)
{
	return (unsigned)s < BUILD_STATUS_COUNT ? s_status_names[s] : "unknown";
}

int build_status_parse(const char *name, enum build_status *out)
{
	for (int i = 0; i < BUILD_STATUS_COUNT; i++)
		if (name && strcmp(name, s_status_names[i]) == 0) {
			*out = (enum build_status)i;
			return 0;
		}
	return -1;
}

int build_exit_code(enum build_status s)
{
	switch (s) {
	case BUILD_SUCCEEDED: return 0;
	case BUILD_FAILED: return 1;
	default: return 3;
	}
}

int build_uuid(char out[BUILD_ID_LEN + 1], struct err *e)
{
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return err_set(e, ERR_INTERNAL, "cannot generate a build ID (no randomness)");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, BUILD_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
		 r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
		 r[14], r[15]);
	return 0;
}

bool build_id_prefix_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > BUILD_ID_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || *s == '-'))
			return false;
	return true;
}

static void s_set_opt_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

json_t *build_to_json(const struct build *b)
{
	json_t *o = json_object();
	json_object_set_new(o, "buildID", json_string(b->id));
	json_object_set_new(o, "projectKey", json_string(b->project_key ? b->project_key : ""));
	json_object_set_new(o, "buildTime", json_integer(b->build_time));
	json_object_set_new(o, "branch", json_string(b->branch ? b->branch : ""));
	json_object_set_new(o, "isBuilding", json_integer(build_status_active(b->status)));
	json_object_set_new(o, "status", json_string(build_status_name(b->status)));
	if (b->has_result)
		json_object_set_new(o, "buildResult", json_integer(b->build_result));
	if (b->has_elapsed)
		json_object_set_new(o, "buildElapsedTime", json_integer(b->elapsed_s));
	s_set_opt_str(o, "logKey", b->log_key);
	s_set_opt_str(o, "artifactsPrefix", b->artifacts_prefix);
	s_set_opt_str(o, "triggeredBy", b->triggered_by);
	s_set_opt_str(o, "retriggerOf", b->retrigger_of);
	s_set_opt_str(o, "executor", b->executor);
	s_set_opt_str(o, "jobName", b->job_name);
	s_set_opt_str(o, "statusMessage", b->status_message);
	return o;
}

static int s_get_str(const json_t *j, const char *key, char **out, bool required,
		     struct err *e)
{
	const json_t *v = json_object_get(j, key);
	if (!v || json_is_null(v)) {
		if (required)
			return err_set(e, ERR_PROTO, "build record without %s", key);
		return 0;
	}
	if (!json_is_string(v))
		return err_set(e, ERR_PROTO, "build record: %s is not a string", key);
	build_set_str(out, json_string_value(v));
	return 0;
}

static int s_get_int(const json_t *j, const char *key, int64_t *out, bool *has, struct err *e)
{
	const json_t *v = json_object_get(j, key);
	if (has)
		*has = false;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v))
		*out = json_integer_value(v);
	else if (json_is_real(v))
		*out = (int64_t)json_real_value(v);
	else
		return err_set(e, ERR_PROTO, "build record: %s is not a number", key);
	if (has)
		*has = true;
	return 0;
}

int build_from_json(const json_t *j, struct build **out, struct err *e)
{
	*out = NULL;
	if (!json_is_object(j))
		return err_set(e, ERR_PROTO, "build record is not an object");
	struct build *b = build_new();
	char *id = NULL, *status = NULL;
	int64_t building = 0, result = 0;
	bool has_building = false;
	if (s_get_str(j, "buildID", &id, true, e) < 0)
		goto fail;
	if (strlen(id) > BUILD_ID_LEN) {
		err_set(e, ERR_PROTO, "build record: buildID is too long");
		goto fail;
	}
	strcpy(b->id, id);
	if (s_get_str(j, "projectKey", &b->project_key, true, e) < 0 ||
	    s_get_str(j, "branch", &b->branch, false, e) < 0 ||
	    s_get_int(j, "buildTime", &b->build_time, NULL, e) < 0 ||
	    s_get_int(j, "isBuilding", &building, &has_building, e) < 0 ||
	    s_get_int(j, "buildResult", &result, &b->has_result, e) < 0 ||
	    s_get_int(j, "buildElapsedTime", &b->elapsed_s, &b->has_elapsed, e) < 0 ||
	    s_get_str(j, "status", &status, false, e) < 0 ||
	    s_get_str(j, "logKey", &b->log_key, false, e) < 0 ||
	    s_get_str(j, "artifactsPrefix", &b->artifacts_prefix, false, e) < 0 ||
	    s_get_str(j, "triggeredBy", &b->triggered_by, false, e) < 0 ||
	    s_get_str(j, "retriggerOf", &b->retrigger_of, false, e) < 0 ||
	    s_get_str(j, "executor", &b->executor, false, e) < 0 ||
	    s_get_str(j, "jobName", &b->job_name, false, e) < 0 ||
	    s_get_str(j, "statusMessage", &b->status_message, false, e) < 0)
		goto fail;
	b->build_result = (int)result;
	if (status) {
		if (build_status_parse(status, &b->status) < 0) {
			err_set(e, ERR_PROTO, "build record: unknown status '%.40s'", status);
			goto fail;
		}
	} else if (has_building && building) {
		b->status = BUILD_RUNNING;
	} else {
		/* The original system's records: no status, only the exit code. */
		b->status = b->has_result && b->build_result == 0 ? BUILD_SUCCEEDED : BUILD_FAILED;
	}
	free(id);
	free(status);
	*out = b;
	return 0;
fail:
	free(id);
	free(status);
	build_free(b);
	return -1;
}

char *build_log_key(const char *project_key, const char *id)
{
	return xasprintf("%s/%s.log.gz", project_key, id);
}

char *build_log_times_key(const char *log_key)
{
	size_t n = strlen(log_key);
	if (n > 3 && strcmp(log_key + n - 3, ".gz") == 0)
		n -= 3;
	return xasprintf("%.*s.ts.gz", (int)n, log_key);
}

char *build_artifacts_prefix(const char *project_key, const char *id)
{
	return xasprintf("%s/%s/", project_key, id);
}

void build_list_push(struct build_list *l, struct build *b)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	l->items[l->n++] = b;
}

void build_list_cleanup(struct build_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		build_free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}
