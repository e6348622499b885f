#include "k8s/kbuild.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "datadir.h"
#include "fsutil.h"
#include "k8s/jobspec.h"
#include "k8s/jobstate.h"
#include "k8s/podlog.h"
#include "logstore.h"
#include "timeutil.h"
#include "xmem.h"

struct side {
	struct side *next;
	struct kbuild *run;
	char *container;
	struct logstore *log;
	struct podlog *pl;
};

/* One build of the namespace. */
struct kbuild {
	struct kbuild_env *env;
	char id[BUILD_ID_LEN + 1];
	json_t *job, *pod;
	bool job_gone, pod_gone;
	bool writer;
	int lock_fd;
	struct logstore *log;
	bool log_fresh; /* the spool was (re)filled by this process, or kept whole */
	struct podlog *pl;
	struct side *sides;
	bool announced; /* found reported, or started here */
	bool here;	/* started by this process */
	bool start_failed;
	char start_error[256];
	bool running_sent;
	bool killed;	 /* its Job went (a cancel) before the build ended */
	bool pod_killed; /* its pod was deleted before the build ended */
	bool log_done;	 /* nothing more will come into the spool */
	bool log_gone;	 /* ... because the pod went away while it was read */
	bool finalizing; /* finished was reported with finalize */
	bool wait_limit;
	enum jobstate_wait wait_kind;
	int64_t wait_since_ms;
	char last_reason[64];
	int64_t settle_until_ms;
	bool ended;   /* finished was reported */
	bool cleaned; /* archived and cleaned up: a tombstone until the Job goes */
};

static char *s_file(const struct kbuild *r, const char *ext)
{
	return xasprintf("%s/%s.%s", r->env->k8s_dir, r->id, ext);
}

static void s_write_status(struct kbuild *r, const struct exec_result *res)
{
	json_t *j = json_pack("{s:s, s:b, s:i, s:I, s:I, s:s}", "status",
			      build_status_name(res->status), "hasExit", res->has_exit, "exitCode",
			      res->exit_code, "startedMs", (json_int_t)res->started_ms,
			      "finishedMs", (json_int_t)res->finished_ms, "message", res->message);
	char *text = json_dumps(j, JSON_COMPACT);
	char *path = s_file(r, "json");
	struct err e = {0};
	if (fsutil_write_atomic(path, text, strlen(text), &e) < 0)
		r->env->notice(r->env, &e);
	free(path);
	free(text);
	json_decref(j);
}

/* The result another process on this host recorded; false when none yet. */
static bool s_read_status(struct kbuild *r, struct exec_result *res)
{
	char *path = s_file(r, "json");
	json_t *j = json_load_file(path, 0, NULL);
	free(path);
	if (!j)
		return false;
	memset(res, 0, sizeof(*res));
	if (build_status_parse(json_string_value(json_object_get(j, "status")), &res->status) < 0)
		res->status = BUILD_ERROR;
	res->has_exit = json_is_true(json_object_get(j, "hasExit"));
	res->exit_code = (int)json_integer_value(json_object_get(j, "exitCode"));
	res->started_ms = json_integer_value(json_object_get(j, "startedMs"));
	res->finished_ms = json_integer_value(json_object_get(j, "finishedMs"));
	snprintf(res->message, sizeof(res->message), "%s",
		 json_string_value(json_object_get(j, "message")) ?: "");
	json_decref(j);
	return true;
}

/* --- runs ------------------------------------------------------------------ */

static bool s_try_lock(struct kbuild *r)
{
	if (r->writer)
		return true;
	char *path = s_file(r, "lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return false;
	}
	r->lock_fd = fd;
	r->writer = true;
	return true;
}

static void s_sides_free(struct kbuild *r)
{
	while (r->sides) {
		struct side *s = r->sides;
		r->sides = s->next;
		podlog_free(s->pl);
		logstore_unref(s->log);
		free(s->container);
		free(s);
	}
}

/* Drops everything a run holds but its identity and objects. */
static void s_release(struct kbuild *r)
{
	podlog_free(r->pl);
	r->pl = NULL;
	s_sides_free(r);
	logstore_unref(r->log);
	r->log = NULL;
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	r->lock_fd = -1;
	r->writer = false;
}

void kbuild_free(struct kbuild *r)
{
	if (!r)
		return;
	s_release(r);
	json_decref(r->job);
	json_decref(r->pod);
	free(r);
}

struct kbuild *kbuild_new(struct kbuild_env *env, const char *id)
{
	struct kbuild *r = xcalloc(1, sizeof(*r));
	r->env = env;
	memcpy(r->id, id, BUILD_ID_LEN);
	r->lock_fd = -1;
	s_try_lock(r);
	return r;
}

/* Opens the spool: the writer truncates it to fill it again from the API
 * (refill) or keeps what is there; readers follow another process's. */
static bool s_open_log(struct kbuild *r, bool refill)
{
	if (r->log)
		return true;
	char *spool = datadir_spool(r->env->data_dir, r->id);
	struct err e = {0};
	bool existed = fsutil_exists(spool);
	unsigned flags = r->writer ? LOGSTORE_WRITE | (refill ? LOGSTORE_TRUNCATE : 0) : 0;
	r->log = logstore_open(spool, flags, &e);
	free(spool);
	if (!r->log)
		return false;
	r->log_fresh = r->writer && (refill || existed);
	r->running_sent = false; /* the lifecycle must pick up this store */
	return true;
}

static const char *s_pod_name(const struct kbuild *r)
{
	return json_string_value(json_object_get(json_object_get(r->pod, "metadata"), "name"));
}

static const char *s_image(const struct kbuild *r)
{
	json_t *cs = json_object_get(
	    json_object_get(json_object_get(json_object_get(r->job, "spec"), "template"), "spec"),
	    "containers");
	return json_string_value(json_object_get(json_array_get(cs, 0), "image"));
}

/* --- log followers ---------------------------------------------------------- */

static bool s_container_done(struct kbuild *r, const char *container)
{
	if (r->pod_gone)
		return true;
	struct jobstate st;
	jobstate_read(r->job, r->pod, container, &st);
	return st.cstate == JOBSTATE_TERMINATED;
}

static void s_pl_grew(void *ctx)
{
	struct kbuild *r = ctx;
	r->env->events->log(r->env->events->ctx, r->id, NULL);
}

static void s_pl_waiting(void *ctx, const char *reason, const struct err *e)
{
	struct kbuild *r = ctx;
	char key[64];
	snprintf(key, sizeof(key), "%.60s", reason ? reason : e->msg);
	if (strcmp(key, r->last_reason) == 0)
		return;
	snprintf(r->last_reason, sizeof(r->last_reason), "%s", key);
	if (reason && (strcmp(reason, "ContainerCreating") == 0 || strcmp(reason, "Pending") == 0))
		return;
	struct err n;
	if (reason)
		err_set(&n, ERR_REMOTE, "build %.8s is waiting to start: %.300s", r->id, reason);
	else
		err_set(&n, e->code, "build %.8s: reading its log: %.400s", r->id, e->msg);
	r->env->notice(r->env, &n);
}

static bool s_pl_terminated(void *ctx)
{
	struct kbuild *r = ctx;
	return s_container_done(r, JOBSPEC_CONTAINER);
}

static void s_pl_ended(void *ctx, enum podlog_end how)
{
	struct kbuild *r = ctx;
	r->log_done = true;
	r->log_gone = how == PODLOG_GONE;
	r->env->kick(r->env);
}

static const struct podlog_ops s_build_log_ops = {
    .grew = s_pl_grew,
    .waiting = s_pl_waiting,
    .terminated = s_pl_terminated,
    .ended = s_pl_ended,
};

static void s_side_grew(void *ctx)
{
	struct side *s = ctx;
	s->run->env->events->log(s->run->env->events->ctx, s->run->id, s->container);
}

static void s_side_waiting(void *ctx, const char *reason, const struct err *e)
{
}

static bool s_side_terminated(void *ctx)
{
	struct side *s = ctx;
	return s_container_done(s->run, s->container);
}

static void s_side_ended(void *ctx, enum podlog_end how)
{
	struct side *s = ctx;
	logstore_finish(s->log);
	s_side_grew(s);
}

static const struct podlog_ops s_side_ops = {
    .grew = s_side_grew,
    .waiting = s_side_waiting,
    .terminated = s_side_terminated,
    .ended = s_side_ended,
};

/* --- the end of a build -------------------------------------------------------- */

static void s_report(struct kbuild *r, const struct exec_result *res, bool finalize)
{
	r->ended = true;
	r->finalizing = finalize;
	if (r->log) {
		struct err e = {0};
		if (!r->writer)
			logstore_refresh(r->log, &e);
		logstore_finish(r->log);
	}
	r->env->events->finished(r->env->events->ctx, r->id, res, finalize);
}

/* The writer's end: the log is complete; decide the result. */
static void s_finish(struct kbuild *r)
{
	struct jobstate st;
	jobstate_read(r->job, r->pod, JOBSPEC_CONTAINER, &st);
	bool need_verdict = r->pod_killed && !r->killed && !st.deadline && !r->job_gone;
	if (need_verdict) {
		int64_t now = timeutil_mono_ms();
		if (!r->settle_until_ms)
			r->settle_until_ms = now + r->env->settle_ms;
		if (now < r->settle_until_ms)
			return; /* the tick looks again */
	}
	struct jobstate_facts f = {
	    .killed = r->killed,
	    .pod_gone = r->pod_killed && !r->killed && !st.deadline,
	    .wait_limit = r->wait_limit,
	    .image = s_image(r),
	};
	struct exec_result res;
	jobstate_result(&st, &f, &res);
	struct exec_result prev;
	bool had_status = s_read_status(r, &prev);
	if (!r->log)
		s_open_log(r, false);
	if (had_status && !r->log_fresh) {
		/* An earlier writer's verdict on a log it completed. */
		s_report(r, &prev, r->log != NULL);
		return;
	}
	/* The pod went while its log was read and the Job is gone too, with
	 * the build already over: another console has archived it and cleaned
	 * up, and this copy may be short. Let that archive stand. */
	bool lost_race = r->log_gone && r->job_gone && !r->killed;
	bool finalize = r->log_fresh && !lost_race;
	if (finalize)
		s_write_status(r, &res);
	s_report(r, &res, finalize);
}

static void s_start_follow(struct kbuild *r)
{
	if (r->pl || r->log_done || !r->pod || r->pod_gone)
		return;
	if (!r->log && !s_open_log(r, true))
		return;
	if (!r->log_fresh) /* kept a spool that cannot be refilled: no follow */
		return;
	r->pl = podlog_new(r->env->rest, r->env->ns, s_pod_name(r), JOBSPEC_CONTAINER, r->log,
			   &s_build_log_ops, r);
}

static void s_check_waiting(struct kbuild *r, const struct jobstate *st)
{
	struct kbuild_env *env = r->env;
	enum jobstate_wait k = jobstate_wait_kind(st);
	if (k != r->wait_kind) {
		r->wait_kind = k;
		r->wait_since_ms = timeutil_mono_ms();
		if (k != JOBSTATE_WAIT_NONE && st->reason) {
			struct err n;
			err_set(&n, ERR_REMOTE, "build %.8s is waiting to start: %.60s%s%.300s",
				r->id, st->reason, st->message ? ": " : "",
				st->message ? st->message : "");
			env->notice(env, &n);
		}
	}
	int64_t limit = k == JOBSTATE_WAIT_PULL	    ? env->pull_limit_ms
			: k == JOBSTATE_WAIT_CONFIG ? env->config_limit_ms
						    : 0;
	if (k == JOBSTATE_WAIT_FATAL ||
	    (limit > 0 && timeutil_mono_ms() - r->wait_since_ms >= limit)) {
		r->wait_limit = true;
		r->log_done = true;
		if (r->pl && !podlog_ended(r->pl)) {
			podlog_free(r->pl);
			r->pl = NULL;
		}
	}
}

/* Readers follow the writer's spool and its verdict; they become the writer
 * when it goes away. */
static void s_read_along(struct kbuild *r)
{
	struct err e = {0};
	if (!r->log && !s_open_log(r, false))
		return;
	if (logstore_refresh(r->log, &e) > 0)
		r->env->events->log(r->env->events->ctx, r->id, NULL);
	struct exec_result res;
	if (s_read_status(r, &res)) {
		/* The writer completed the log. If it is gone and its spool is still
		 * there, it did not get to archive it: this process does. */
		char *spool = datadir_spool(r->env->data_dir, r->id);
		bool take = fsutil_exists(spool) && s_try_lock(r);
		free(spool);
		if (take) {
			logstore_unref(r->log);
			r->log = NULL;
			s_open_log(r, false);
		}
		s_report(r, &res, take);
		return;
	}
	if (s_try_lock(r)) {
		logstore_unref(r->log); /* take over: fill the spool again */
		r->log = NULL;
		kbuild_progress(r);
	}
}

static void s_announce(struct kbuild *r, const struct jobstate *st)
{
	struct exec_events *ev = r->env->events;
	if (!r->announced && !st->job_ended) {
		r->announced = true;
		ev->found(ev->ctx, r->id);
	}
	if (!r->running_sent && r->log &&
	    (st->cstate == JOBSTATE_RUNNING || st->cstate == JOBSTATE_TERMINATED)) {
		r->running_sent = true;
		ev->running(ev->ctx, r->id, st->started_ms ? st->started_ms : timeutil_wall_ms());
	}
}

/* This host recorded the build's result and its spool is gone: it was
 * archived here, and only its Job stayed (a refused delete). */
static bool s_archived_here(struct kbuild *r)
{
	char *status = s_file(r, "json");
	char *spool = datadir_spool(r->env->data_dir, r->id);
	bool done = fsutil_exists(status) && !fsutil_exists(spool);
	free(status);
	free(spool);
	return done;
}

void kbuild_progress(struct kbuild *r)
{
	if (r->start_failed && !r->ended) {
		struct exec_result res = {.status = BUILD_ERROR, .finished_ms = timeutil_wall_ms()};
		snprintf(res.message, sizeof(res.message), "%.255s", r->start_error);
		s_open_log(r, false);
		s_report(r, &res, true);
		return;
	}
	if (r->ended || r->cleaned || !r->env->listed)
		return;
	struct jobstate st;
	jobstate_read(r->job, r->pod, JOBSPEC_CONTAINER, &st);
	if (!r->writer) {
		s_announce(r, &st);
		s_read_along(r);
		return;
	}
	if (!r->log && !r->here && s_archived_here(r)) {
		s_release(r);
		r->cleaned = true;
		return;
	}
	if (!r->log && !st.job_ended && !r->job_gone)
		s_open_log(r, true);
	s_announce(r, &st);
	s_check_waiting(r, &st);
	s_start_follow(r);
	/* Nothing to follow: no pod (deleted, or never made) and no more coming. */
	if (!r->pl && !r->log_done && (r->pod_gone || (!r->pod && (r->job_gone || st.job_ended))))
		r->log_done = true;
	if (r->log_done)
		s_finish(r);
}

/* --- news from the watches --------------------------------------------------------- */

void kbuild_set_job(struct kbuild *r, json_t *job, bool gone)
{
	if (gone) {
		struct jobstate st;
		jobstate_read(r->job, r->pod, JOBSPEC_CONTAINER, &st);
		if (!r->job_gone && st.cstate != JOBSTATE_TERMINATED && !st.job_ended)
			r->killed = true;
		r->job_gone = true;
		if (r->ended && !r->finalizing) { /* another process archives it */
			s_release(r);
			r->cleaned = true;
		}
		return;
	}
	json_decref(r->job);
	r->job = json_incref(job);
	r->job_gone = false;
}

void kbuild_set_pod(struct kbuild *r, json_t *pod, bool gone)
{
	struct jobstate before;
	jobstate_read(r->job, r->pod, JOBSPEC_CONTAINER, &before);
	if (!gone) {
		json_decref(r->pod);
		r->pod = json_incref(pod);
	}
	struct jobstate now;
	jobstate_read(r->job, r->pod, JOBSPEC_CONTAINER, &now);
	if ((gone || now.pod_deleting) && before.cstate != JOBSTATE_TERMINATED &&
	    now.cstate != JOBSTATE_TERMINATED)
		r->pod_killed = true;
	if (gone)
		r->pod_gone = true;
}

/* A Job or Pod the watch reports; tombstones just wait for their Job to go. */
static struct logstore *s_side_log(struct kbuild *r, const char *container)
{
	for (struct side *s = r->sides; s; s = s->next)
		if (strcmp(s->container, container) == 0)
			return logstore_ref(s->log);
	bool known = false;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(r->pod, "spec"), "containers"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", container) == 0)
			known = true;
	}
	if (!known || strcmp(container, JOBSPEC_CONTAINER) == 0 || r->pod_gone)
		return NULL;
	char *spool = datadir_spool(r->env->data_dir, r->id);
	spool[strlen(spool) - 4] = '\0'; /* ".log" */
	char *path = xasprintf("%s.%s.%d.log", spool, container, (int)getpid());
	free(spool);
	struct err e = {0};
	struct logstore *ls =
	    logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE | LOGSTORE_TEMPORARY, &e);
	free(path);
	if (!ls)
		return NULL;
	struct side *s = xcalloc(1, sizeof(*s));
	s->run = r;
	s->container = xstrdup(container);
	s->log = ls;
	s->next = r->sides;
	r->sides = s;
	s->pl = podlog_new(r->env->rest, r->env->ns, s_pod_name(r), container, ls, &s_side_ops, s);
	return logstore_ref(ls);
}

/* --- the executor's questions ------------------------------------------------------- */

const char *kbuild_id(const struct kbuild *r)
{
	return r->id;
}

bool kbuild_has_job(const struct kbuild *r)
{
	return r->job != NULL && !r->job_gone;
}

bool kbuild_has_pod(const struct kbuild *r)
{
	return r->pod != NULL && !r->pod_gone;
}

bool kbuild_wants_tick(const struct kbuild *r)
{
	return !r->cleaned && !r->ended &&
	       (!r->writer || r->wait_kind != JOBSTATE_WAIT_NONE || r->settle_until_ms);
}

void kbuild_started_here(struct kbuild *r)
{
	r->announced = true;
	r->here = true;
	if (r->writer)
		s_open_log(r, true);
}

void kbuild_start_failed(struct kbuild *r, const struct err *e)
{
	r->announced = true;
	r->here = true;
	r->start_failed = true;
	snprintf(r->start_error, sizeof(r->start_error), "%.255s", e->msg);
}

void kbuild_cancelled(struct kbuild *r)
{
	struct jobstate st;
	jobstate_read(r->job, r->pod, JOBSPEC_CONTAINER, &st);
	if (st.cstate != JOBSTATE_TERMINATED)
		r->killed = true;
	r->job_gone = true;
}

struct logstore *kbuild_log(struct kbuild *r, const char *container)
{
	if (r->cleaned)
		return NULL;
	if (container)
		return s_side_log(r, container);
	if (!r->log)
		kbuild_progress(r);
	return r->log ? logstore_ref(r->log) : NULL;
}

bool kbuild_live(const struct kbuild *r)
{
	return !r->cleaned && (!r->job_gone || !r->ended);
}

void kbuild_cleanup(struct kbuild *r)
{
	/* The result and lock files stay: a reader may still need the verdict,
	 * and unlinking a lock file others may hold is a race. The executor sweeps
	 * old ones. */
	s_release(r);
	r->cleaned = true;
	json_decref(r->pod);
	r->pod = NULL;
}

bool kbuild_cleaned(const struct kbuild *r)
{
	return r->cleaned;
}
