#include "exec_k8s.h"

#include <dirent.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datadir.h"
#include "evloop.h"
#include "fsutil.h"
#include "k8s/jobspec.h"
#include "k8s/kbuild.h"
#include "k8s/kubeconfig.h"
#include "k8s/rest.h"
#include "k8s/watch.h"
#include "profile.h"
#include "project.h"
#include "timeutil.h"
#include "xmem.h"

#define TICK_MS		 250
#define SWEEP_AGE_S	 (7 * 24 * 3600) /* result and lock files older than this go */
#define EVENTS_MAX_BYTES (1 << 20)	 /* events.log is rotated beyond this */

struct exec_k8s {
	struct executor base;
	struct kbuild_env env;
	struct evloop *loop;
	const struct profile *profile;
	struct kubeconfig kc;
	struct rest *rest;
	char *ns;
	char *k8s_dir;
	char *describe;
	struct watch *jobs_w, *pods_w;
	bool jobs_listed, pods_listed;
	struct kbuild **builds;
	size_t n_builds;
	struct evloop_timer *tick, *kick;
	long long grace_s;
	exec_k8s_notice_fn notice;
	void *notice_ctx;
};

static struct exec_k8s *s_of_env(struct kbuild_env *env)
{
	return (struct exec_k8s *)((char *)env - offsetof(struct exec_k8s, env));
}

/* --- notices, ticks -------------------------------------------------------- */

static void s_notice(struct exec_k8s *x, const struct err *e)
{
	char *path = xasprintf("%s/events.log", x->k8s_dir);
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > EVENTS_MAX_BYTES) {
		char *old = xasprintf("%s.1", path);
		rename(path, old);
		free(old);
	}
	FILE *f = fopen(path, "a");
	free(path);
	if (f) {
		char ts[40];
		timeutil_rfc3339_ms(timeutil_wall_ms(), ts, sizeof(ts));
		fprintf(f, "%s %s\n", ts, e->msg);
		fclose(f);
	}
	if (x->notice)
		x->notice(x->notice_ctx, e);
}

static void s_env_notice(struct kbuild_env *env, const struct err *e)
{
	s_notice(s_of_env(env), e);
}

static void s_on_kick(void *arg)
{
	struct exec_k8s *x = arg;
	x->kick = NULL;
	for (size_t i = 0; i < x->n_builds; i++)
		kbuild_progress(x->builds[i]);
}

static void s_env_kick(struct kbuild_env *env)
{
	struct exec_k8s *x = s_of_env(env);
	if (!x->kick)
		x->kick = evloop_timer(x->loop, 0, s_on_kick, x);
}

static void s_on_tick(void *arg)
{
	struct exec_k8s *x = arg;
	x->tick = evloop_timer(x->loop, TICK_MS, s_on_tick, x);
	for (size_t i = 0; i < x->n_builds; i++)
		if (kbuild_wants_tick(x->builds[i]))
			kbuild_progress(x->builds[i]);
}

/* Result and lock files of builds archived long ago (nobody holds them). */
static void s_sweep(struct exec_k8s *x)
{
	DIR *d = opendir(x->k8s_dir);
	if (!d)
		return;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		bool ours =
		    n == BUILD_ID_LEN + 5 && (strcmp(de->d_name + BUILD_ID_LEN, ".json") == 0 ||
					      strcmp(de->d_name + BUILD_ID_LEN, ".lock") == 0);
		struct stat st;
		char *path = xasprintf("%s/%s", x->k8s_dir, de->d_name);
		if (ours && stat(path, &st) == 0 && now - st.st_mtime > SWEEP_AGE_S) {
			int fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
				unlink(path);
			if (fd >= 0)
				close(fd);
		}
		free(path);
	}
	closedir(d);
}

/* --- the builds of the namespace ---------------------------------------------- */

static struct kbuild *s_find(struct exec_k8s *x, const char *id)
{
	for (size_t i = 0; i < x->n_builds; i++)
		if (strcmp(kbuild_id(x->builds[i]), id) == 0)
			return x->builds[i];
	return NULL;
}

static struct kbuild *s_add(struct exec_k8s *x, const char *id)
{
	struct kbuild *b = kbuild_new(&x->env, id);
	x->builds = xrealloc(x->builds, (x->n_builds + 1) * sizeof(*x->builds));
	x->builds[x->n_builds++] = b;
	return b;
}

static void s_remove(struct exec_k8s *x, struct kbuild *b)
{
	for (size_t i = 0; i < x->n_builds; i++)
		if (x->builds[i] == b) {
			x->builds[i] = x->builds[--x->n_builds];
			break;
		}
	kbuild_free(b);
}

static struct kbuild *s_for_object(struct exec_k8s *x, const json_t *obj)
{
	char id[BUILD_ID_LEN + 1];
	if (!jobspec_build_id(obj, id))
		return NULL;
	struct kbuild *b = s_find(x, id);
	return b ? b : s_add(x, id);
}

/* --- the watches ------------------------------------------------------------------ */

static void s_object(struct exec_k8s *x, json_t *obj, bool is_job, bool gone)
{
	struct kbuild *b = s_for_object(x, obj);
	if (!b)
		return;
	if (kbuild_cleaned(b)) {
		if (is_job && gone) /* the tombstone's Job went: forget it */
			s_remove(x, b);
		return;
	}
	if (is_job)
		kbuild_set_job(b, obj, gone);
	else
		kbuild_set_pod(b, obj, gone);
	if (kbuild_cleaned(b))
		s_remove(x, b);
	else /* not from here: this runs inside a transfer's callback */
		s_env_kick(&x->env);
}

static bool s_in(json_t *items, const char *id)
{
	size_t i;
	json_t *o;
	char oid[BUILD_ID_LEN + 1];
	json_array_foreach(items, i, o)
	{
		if (jobspec_build_id(o, oid) && strcmp(oid, id) == 0)
			return true;
	}
	return false;
}

/* A fresh list: what it does not hold is gone. */
static void s_listed(struct exec_k8s *x, json_t *items, bool is_job)
{
	for (size_t i = 0; i < x->n_builds;) {
		struct kbuild *b = x->builds[i];
		if (s_in(items, kbuild_id(b))) {
			i++;
		} else if (kbuild_cleaned(b) && is_job) {
			s_remove(x, b);
		} else {
			if (!kbuild_cleaned(b) && (is_job ? kbuild_has_job(b) : kbuild_has_pod(b)))
				is_job ? kbuild_set_job(b, NULL, true)
				       : kbuild_set_pod(b, NULL, true);
			i++;
		}
	}
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o)
	{
		struct kbuild *b = s_for_object(x, o);
		if (b && !kbuild_cleaned(b))
			is_job ? kbuild_set_job(b, o, false) : kbuild_set_pod(b, o, false);
	}
	if (is_job)
		x->jobs_listed = true;
	else
		x->pods_listed = true;
	x->env.listed = x->jobs_listed && x->pods_listed;
	s_env_kick(&x->env);
}

static void s_jobs_listed(void *ctx, json_t *items)
{
	s_listed(ctx, items, true);
}

static void s_pods_listed(void *ctx, json_t *items)
{
	s_listed(ctx, items, false);
}

static void s_job_event(void *ctx, enum watch_type type, json_t *obj)
{
	s_object(ctx, obj, true, type == WATCH_DELETED);
}

static void s_pod_event(void *ctx, enum watch_type type, json_t *obj)
{
	s_object(ctx, obj, false, type == WATCH_DELETED);
}

static void s_watch_failed(void *ctx, const struct err *e)
{
	struct exec_k8s *x = ctx;
	struct err n = *e;
	err_prefix(&n, "watching the builds in namespace %.60s", x->ns);
	s_notice(x, &n);
}

static const struct watch_ops s_job_watch_ops = {
    .listed = s_jobs_listed, .event = s_job_event, .failed = s_watch_failed};
static const struct watch_ops s_pod_watch_ops = {
    .listed = s_pods_listed, .event = s_pod_event, .failed = s_watch_failed};

static void s_watch_start(struct exec_k8s *x)
{
	if (x->jobs_w)
		return;
	char *jobs = xasprintf("/apis/batch/v1/namespaces/%s/jobs", x->ns);
	char *pods = xasprintf("/api/v1/namespaces/%s/pods", x->ns);
	x->jobs_w = watch_new(x->rest, jobs, JOBSPEC_SELECTOR, &s_job_watch_ops, x);
	x->pods_w = watch_new(x->rest, pods, JOBSPEC_SELECTOR, &s_pod_watch_ops, x);
	free(jobs);
	free(pods);
	x->tick = evloop_timer(x->loop, TICK_MS, s_on_tick, x);
}

/* --- requests that need their answer at once --------------------------------------- */

static char *s_job_path(struct exec_k8s *x, const char *id)
{
	char name[JOBSPEC_NAME_MAX + 1];
	jobspec_job_name(id, name);
	return xasprintf("/apis/batch/v1/namespaces/%s/jobs/%s", x->ns, name);
}

static int s_delete_job(struct exec_k8s *x, const char *id, struct err *e)
{
	json_t *opts = json_pack("{s:s, s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1",
				 "propagationPolicy", "Background");
	char *path = s_job_path(x, id);
	int rc = rest_sync(x->rest, "DELETE", path, opts, NULL, e);
	free(path);
	json_decref(opts);
	return rc;
}

/* The Job, then its ConfigMap owned by it (so it goes with the Job). */
static int s_create(struct exec_k8s *x, const struct build *b, const struct project *p,
		    struct err *e)
{
	const struct profile *pr = x->profile;
	struct jobspec_input in = {
	    .b = b,
	    .p = p,
	    .profile = pr,
	    .namespace_ = x->ns,
	    .credentials_secret = pr->kubernetes.credentials_secret,
	    .secret_optional = pr->store != PROFILE_STORE_AWS,
	    .termination_grace_s = x->grace_s,
	};
	json_t *job = jobspec_job(&in, e), *made = NULL, *cm = NULL;
	if (!job)
		return -1;
	char *jobs = xasprintf("/apis/batch/v1/namespaces/%s/jobs", x->ns);
	char *cms = xasprintf("/api/v1/namespaces/%s/configmaps", x->ns);
	int rc = rest_sync(x->rest, "POST", jobs, job, &made, e);
	if (rc == 0) {
		const char *uid =
		    json_string_value(json_object_get(json_object_get(made, "metadata"), "uid"));
		cm = jobspec_configmap(&in, uid, e);
		rc = cm ? rest_sync(x->rest, "POST", cms, cm, NULL, e) : -1;
		if (rc < 0) {
			struct err ignored;
			s_delete_job(x, b->id, &ignored);
		}
	}
	json_decref(job);
	json_decref(made);
	json_decref(cm);
	free(jobs);
	free(cms);
	return rc;
}

/* --- operations --------------------------------------------------------------------- */

static void s_prepare(struct executor *base, struct build *b)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	char name[JOBSPEC_NAME_MAX + 1];
	jobspec_job_name(b->id, name);
	char *job = xasprintf("%s/%s", x->ns, name);
	build_set_str(&b->executor, "kubernetes");
	build_set_str(&b->job_name, job);
	free(job);
}

static bool s_owns(struct executor *base, const struct build *b)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	size_t n = strlen(x->ns);
	return b->executor && strcmp(b->executor, "kubernetes") == 0 && b->job_name &&
	       strncmp(b->job_name, x->ns, n) == 0 && b->job_name[n] == '/';
}

static int s_start(struct executor *base, const struct build *b, const struct project *p,
		   struct err *e)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	s_watch_start(x);
	struct kbuild *k = s_find(x, b->id);
	if (!k)
		k = s_add(x, b->id);
	struct err ce = {0};
	if (s_create(x, b, p, &ce) < 0) {
		/* Ends as error with the API's message, through finished like any
		 * other end, so followers see the record and the (empty) log end. */
		err_prefix(&ce, "cannot start build %.8s on Kubernetes", b->id);
		s_notice(x, &ce);
		kbuild_start_failed(k, &ce);
		s_env_kick(&x->env);
		return 0;
	}
	kbuild_started_here(k);
	kbuild_progress(k);
	return 0;
}

static int s_cancel(struct executor *base, const char *id, struct err *e)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	if (s_delete_job(x, id, e) < 0) {
		if (e && e->code == ERR_NOTFOUND)
			err_set(e, ERR_CONFLICT, "build %.8s has no Job any more (it has ended)",
				id);
		else
			err_prefix(e, "cannot cancel build %.8s", id);
		return -1;
	}
	struct kbuild *k = s_find(x, id);
	if (k) {
		kbuild_cancelled(k);
		s_env_kick(&x->env);
	}
	return 0;
}

static int s_attach(struct executor *base, struct err *e)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	if (x->kc.tls.insecure) {
		struct err n;
		err_set(&n, ERR_CONFIG,
			"the TLS certificate of %.200s is not verified "
			"(insecure-skip-tls-verify in kubeconfig context %.100s)",
			x->kc.server, x->kc.context);
		s_notice(x, &n);
	}
	s_watch_start(x);
	return 0;
}

static bool s_is_live(struct executor *base, const char *id)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	if (!x->env.listed)
		return true; /* not known yet: never call a build lost too early */
	struct kbuild *k = s_find(x, id);
	return k && kbuild_live(k);
}

static struct logstore *s_log(struct executor *base, const char *id, const char *container)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	s_watch_start(x);
	struct kbuild *k = s_find(x, id);
	return k ? kbuild_log(k, container) : NULL;
}

static char *s_artifacts_dir(struct executor *base, const char *id)
{
	return NULL; /* the build container uploads its own */
}

static void s_cleanup(struct executor *base, const char *id)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	struct err e = {0};
	if (s_delete_job(x, id, &e) < 0 && e.code != ERR_NOTFOUND) {
		err_prefix(&e, "build %.8s is archived, but its Job stays", id);
		s_notice(x, &e);
	}
	struct kbuild *k = s_find(x, id);
	if (!k)
		k = s_add(x, id); /* for its files */
	kbuild_cleanup(k);
}

static void s_free(struct executor *base)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	if (!x)
		return;
	watch_free(x->jobs_w);
	watch_free(x->pods_w);
	if (x->tick)
		evloop_timer_cancel(x->loop, x->tick);
	if (x->kick)
		evloop_timer_cancel(x->loop, x->kick);
	for (size_t i = 0; i < x->n_builds; i++)
		kbuild_free(x->builds[i]);
	free(x->builds);
	rest_free(x->rest);
	kubeconfig_cleanup(&x->kc);
	free(x->ns);
	free(x->k8s_dir);
	free(x->describe);
	free(x);
}

static const char *s_describe(struct executor *base, bool *insecure)
{
	*insecure = exec_k8s_insecure(base);
	return exec_k8s_describe(base);
}

static const struct exec_ops s_ops = {
    .name = "kubernetes",
    .prepare = s_prepare,
    .describe = s_describe,
    .start = s_start,
    .cancel = s_cancel,
    .attach = s_attach,
    .owns = s_owns,
    .is_live = s_is_live,
    .log = s_log,
    .artifacts_dir = s_artifacts_dir,
    .cleanup = s_cleanup,
    .free = s_free,
};

struct executor *exec_k8s_new(struct evloop *loop, const struct exec_k8s_config *cfg, struct err *e)
{
	const struct profile *p = cfg->profile;
	struct exec_k8s *x = xcalloc(1, sizeof(*x));
	x->base.ops = &s_ops;
	x->loop = loop;
	x->profile = p;
	x->grace_s = cfg->grace_s > 0 ? cfg->grace_s : EXEC_K8S_GRACE_S;
	x->k8s_dir = datadir_sub(p->data_dir, "k8s");
	struct kubeconfig_opts o = {.path = p->kubernetes.kubeconfig,
				    .context = p->kubernetes.context,
				    .sa_dir = cfg->sa_dir};
	if (kubeconfig_load(&o, &x->kc, e) < 0)
		goto fail;
	const char *ns = p->kubernetes.namespace_ ? p->kubernetes.namespace_ : x->kc.namespace_;
	x->ns = xstrdup(ns ? ns : "aftomato");
	char *spool = datadir_spool(p->data_dir, "x");
	int rc = fsutil_mkdir_parent(spool, 0700, e);
	free(spool);
	if (rc < 0 || fsutil_mkdir_p(x->k8s_dir, 0700, e) < 0)
		goto fail;
	s_sweep(x);
	x->rest = rest_new(loop, &x->kc);
	x->env = (struct kbuild_env){
	    .rest = x->rest,
	    .ns = x->ns,
	    .data_dir = p->data_dir,
	    .k8s_dir = x->k8s_dir,
	    .pull_limit_ms = cfg->pull_limit_ms > 0 ? cfg->pull_limit_ms : EXEC_K8S_PULL_LIMIT_MS,
	    .config_limit_ms =
		cfg->config_limit_ms > 0 ? cfg->config_limit_ms : EXEC_K8S_CONFIG_LIMIT_MS,
	    .settle_ms = cfg->settle_ms > 0 ? cfg->settle_ms : EXEC_K8S_SETTLE_MS,
	    .events = &x->base.events,
	    .notice = s_env_notice,
	    .kick = s_env_kick,
	};
	x->describe =
	    xasprintf("%s (%s, namespace %s)%s", x->kc.in_cluster ? "in-cluster" : x->kc.context,
		      x->kc.server, x->ns, x->kc.tls.insecure ? ", TLS NOT VERIFIED" : "");
	return &x->base;
fail:
	s_free(&x->base);
	return NULL;
}

bool exec_k8s_insecure(const struct executor *base)
{
	const struct exec_k8s *x = (const struct exec_k8s *)base;
	return x->kc.tls.insecure;
}

const char *exec_k8s_describe(const struct executor *base)
{
	return ((const struct exec_k8s *)base)->describe;
}

void exec_k8s_set_notice(struct executor *base, exec_k8s_notice_fn fn, void *ctx)
{
	struct exec_k8s *x = (struct exec_k8s *)base;
	x->notice = fn;
	x->notice_ctx = ctx;
}
