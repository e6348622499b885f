#include "k8s/jobstate.h"

#include <stdio.h>
#include <string.h>

#include "k8s/ktime.h"
#include "timeutil.h"

static bool s_is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void s_job(const json_t *job, struct jobstate *out)
{
	json_t *spec = json_object_get(job, "spec");
	out->deadline_s = json_integer_value(json_object_get(spec, "activeDeadlineSeconds"));
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(job, "status"), "conditions"), i, c)
	{
		const char *type = json_string_value(json_object_get(c, "type"));
		if (!s_is(json_string_value(json_object_get(c, "status")), "True"))
			continue;
		const char *reason = json_string_value(json_object_get(c, "reason"));
		if (s_is(type, "Complete") || s_is(type, "Failed"))
			out->job_ended = true;
		if (s_is(type, "Failed") || s_is(type, "FailureTarget")) {
			out->job_failing = true;
			out->fail_reason = reason;
			out->fail_message = json_string_value(json_object_get(c, "message"));
			if (s_is(reason, "DeadlineExceeded"))
				out->deadline = true;
		}
	}
}

static const json_t *s_container_status(const json_t *pod, const char *container)
{
	size_t i;
	json_t *cs;
	json_array_foreach(json_object_get(json_object_get(pod, "status"), "containerStatuses"), i,
			   cs)
	{
		if (s_is(json_string_value(json_object_get(cs, "name")), container))
			return cs;
	}
	return NULL;
}

static void s_pod(const json_t *pod, const char *container, struct jobstate *out)
{
	out->phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
	out->pod_deleting =
	    json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp") != NULL &&
	    !json_is_null(json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"));
	const json_t *cs = s_container_status(pod, container);
	json_t *state = json_object_get(cs, "state");
	json_t *w = json_object_get(state, "waiting");
	json_t *r = json_object_get(state, "running");
	json_t *t = json_object_get(state, "terminated");
	if (t) {
		out->cstate = JOBSTATE_TERMINATED;
		out->reason = json_string_value(json_object_get(t, "reason"));
		out->message = json_string_value(json_object_get(t, "message"));
		out->exit_code = (int)json_integer_value(json_object_get(t, "exitCode"));
		out->started_ms = ktime_ms(json_string_value(json_object_get(t, "startedAt")));
		out->finished_ms = ktime_ms(json_string_value(json_object_get(t, "finishedAt")));
	} else if (r) {
		out->cstate = JOBSTATE_RUNNING;
		out->started_ms = ktime_ms(json_string_value(json_object_get(r, "startedAt")));
	} else if (w) {
		out->cstate = JOBSTATE_WAITING;
		out->reason = json_string_value(json_object_get(w, "reason"));
		out->message = json_string_value(json_object_get(w, "message"));
	} else if (pod) {
		out->cstate = JOBSTATE_WAITING; /* not yet scheduled or no status yet */
	}
}

void jobstate_read(const json_t *job, const json_t *pod, const char *container,
		   struct jobstate *out)
{
	memset(out, 0, sizeof(*out));
	if (job)
		s_job(job, out);
	if (pod)
		s_pod(pod, container, out);
}

enum jobstate_wait jobstate_wait_kind(const struct jobstate *s)
{
	if (s->cstate != JOBSTATE_WAITING || !s->reason)
		return JOBSTATE_WAIT_NONE;
	const char *r = s->reason;
	if (s_is(r, "InvalidImageName") || s_is(r, "ErrImageNeverPull"))
		return JOBSTATE_WAIT_FATAL;
	if (s_is(r, "ErrImagePull") || s_is(r, "ImagePullBackOff") ||
	    s_is(r, "RegistryUnavailable") || s_is(r, "ImageInspectError"))
		return JOBSTATE_WAIT_PULL;
	if (s_is(r, "CreateContainerConfigError") || s_is(r, "CreateContainerError") ||
	    s_is(r, "RunContainerError"))
		return JOBSTATE_WAIT_CONFIG;
	return JOBSTATE_WAIT_NONE;
}

static void s_waiting_result(const struct jobstate *s, const struct jobstate_facts *f,
			     struct exec_result *r)
{
	r->status = BUILD_ERROR;
	enum jobstate_wait k = jobstate_wait_kind(s);
	char what[96];
	if (k == JOBSTATE_WAIT_PULL || k == JOBSTATE_WAIT_FATAL)
		snprintf(what, sizeof(what), "the build image %.60s cannot be pulled",
			 f->image ? f->image : "");
	else
		snprintf(what, sizeof(what), "the build container cannot be created");
	snprintf(r->message, sizeof(r->message), "%s: %.40s%s%.150s", what,
		 s->reason ? s->reason : "waiting", s->message && *s->message ? ": " : "",
		 s->message ? s->message : "");
}

static void s_terminated(const struct jobstate *s, struct exec_result *r)
{
	r->has_exit = true;
	r->exit_code = s->exit_code;
	if (s_is(s->reason, "OOMKilled")) {
		r->status = BUILD_FAILED;
		snprintf(r->message, sizeof(r->message),
			 "the build container ran out of memory "
			 "(OOMKilled, exit code %d)",
			 s->exit_code);
	} else if (s_is(s->reason, "StartError") || s_is(s->reason, "ContainerCannotRun")) {
		r->status = BUILD_ERROR;
		r->has_exit = false;
		snprintf(r->message, sizeof(r->message),
			 "the build container could not start: %.200s",
			 s->message ? s->message : s->reason);
	} else if (s->exit_code == 0) {
		r->status = BUILD_SUCCEEDED;
	} else {
		r->status = BUILD_FAILED;
	}
}

void jobstate_result(const struct jobstate *s, const struct jobstate_facts *f,
		     struct exec_result *r)
{
	memset(r, 0, sizeof(*r));
	r->started_ms = s->started_ms;
	r->finished_ms = s->finished_ms ? s->finished_ms : timeutil_wall_ms();
	bool ran_out = s->cstate == JOBSTATE_TERMINATED;
	if (f->wait_limit || (!ran_out && jobstate_wait_kind(s) == JOBSTATE_WAIT_FATAL)) {
		s_waiting_result(s, f, r);
	} else if (s->deadline) {
		r->status = BUILD_TIMEDOUT;
		if (s->deadline_s > 0)
			snprintf(r->message, sizeof(r->message),
				 "the build ran longer than its timeout of %lld s", s->deadline_s);
		else
			snprintf(r->message, sizeof(r->message), "%.200s",
				 s->fail_message ? s->fail_message : "deadline exceeded");
	} else if (f->killed) {
		r->status = BUILD_CANCELLED;
		snprintf(r->message, sizeof(r->message), "cancelled (its Job was deleted)");
	} else if (f->pod_gone) {
		r->status = BUILD_ERROR;
		snprintf(r->message, sizeof(r->message),
			 "the build's pod was deleted before the build ended");
	} else if (ran_out) {
		s_terminated(s, r);
	} else if (s->job_failing) {
		r->status = BUILD_ERROR;
		snprintf(r->message, sizeof(r->message), "the build's Job failed: %.60s",
			 s->fail_reason ? s->fail_reason : "");
	} else {
		r->status = BUILD_ERROR;
		snprintf(r->message, sizeof(r->message),
			 "the build's pod disappeared without a result");
	}
}
