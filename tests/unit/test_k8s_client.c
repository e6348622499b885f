/* Tests of the Kubernetes client pieces against a private instance of the k8s
 * test server (tests/servers/k8s): REST errors as one verbatim line (401, 403
 * RBAC, 404, 409, 422 with causes), retries of 429 (Retry-After) and 500,
 * list + watch through bookmarks, cut streams and an expired resourceVersion,
 * the pod log follower's waiting reasons, and the executor itself: a build with
 * a sidecar whose log can be opened, and background notices (a refused delete). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"
#include "exec_k8s.h"
#include "fsutil.h"
#include "k8s/kubeconfig.h"
#include "k8s/podlog.h"
#include "k8s/rest.h"
#include "k8s/watch.h"
#include "logstore.h"
#include "profile.h"
#include "project.h"
#include "timeutil.h"
#include "xmem.h"

static char s_dir[512];
static char s_admin[128];
static char s_kubeconfig[600];

static int s_setup(void **state)
{
	snprintf(s_dir, sizeof(s_dir), "%s/k8sclient.XXXXXX", AFT_TEST_TMP);
	if (!mkdtemp(s_dir))
		return -1;
	/* The build container runs aftomato-entrypoint: put it on the server's PATH. */
	char *bin = xasprintf("%s/bin", s_dir);
	mkdir(bin, 0755);
	char *link = xasprintf("%s/aftomato-entrypoint", bin);
	if (symlink(AFTOMATO_SOURCE_DIR "/packaging/container/entrypoint.sh", link) < 0)
		return -1;
	char *cmd = xasprintf("PATH='%s':\"$PATH\" '%s/tests/servers/k8s/start.sh' '%s/server' "
			      ">/dev/null",
			      bin, AFTOMATO_SOURCE_DIR, s_dir);
	int rc = system(cmd);
	free(cmd);
	free(bin);
	free(link);
	if (rc != 0)
		return -1;
	char *envp = xasprintf("%s/server/env.json", s_dir);
	json_t *env = json_load_file(envp, 0, NULL);
	free(envp);
	if (!env)
		return -1;
	snprintf(s_admin, sizeof(s_admin), "%s",
		 json_string_value(json_object_get(env, "K8S_TEST_ADMIN_URL")));
	snprintf(s_kubeconfig, sizeof(s_kubeconfig), "%s/server/kubeconfig", s_dir);
	json_decref(env);
	return 0;
}

static int s_teardown(void **state)
{
	char *cmd = xasprintf("'%s/tests/servers/k8s/stop.sh' '%s/server' >/dev/null 2>&1",
			      AFTOMATO_SOURCE_DIR, s_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "stop.sh failed\n");
	free(cmd);
	struct err e = {0};
	fsutil_rm_rf(s_dir, &e);
	return 0;
}

/* POST (or GET with body NULL) to the admin endpoint; returns the answer. */
static char *s_admin_call(const char *method, const char *path, const char *body)
{
	char *url = xasprintf("%s%s", s_admin, path);
	char *cmd = body ? xasprintf("curl -fsS -X %s -H 'Content-Type: application/json' -d '%s' "
				     "'%s'",
				     method, body, url)
			 : xasprintf("curl -fsS -X %s '%s'", method, url);
	FILE *p = popen(cmd, "r");
	char *out = xcalloc(1, 1 << 20);
	size_t n = p ? fread(out, 1, (1 << 20) - 1, p) : 0;
	out[n] = '\0';
	if (p)
		pclose(p);
	free(cmd);
	free(url);
	return out;
}

static void s_admin_do(const char *method, const char *path, const char *body)
{
	free(s_admin_call(method, path, body));
}

struct client {
	struct evloop *loop;
	struct kubeconfig kc;
	struct rest *r;
};

static void s_client(struct client *c)
{
	struct err e = {0};
	c->loop = evloop_new(&e);
	struct kubeconfig_opts o = {.path = s_kubeconfig};
	if (kubeconfig_load(&o, &c->kc, &e) < 0)
		fail_msg("%s", e.msg);
	c->r = rest_new(c->loop, &c->kc);
}

static void s_client_free(struct client *c)
{
	rest_free(c->r);
	kubeconfig_cleanup(&c->kc);
	evloop_free(c->loop);
}

static void s_pump(struct evloop *l, bool *flag, int timeout_ms)
{
	int64_t until = timeutil_mono_ms() + timeout_ms;
	while (!*flag && timeutil_mono_ms() < until)
		evloop_run_once(l, 50);
	if (!*flag)
		fail_msg("timed out after %d ms", timeout_ms);
}

/* --- REST ------------------------------------------------------------------------ */

static void s_sync_fails(struct client *c, const char *method, const char *path, json_t *body,
			 enum err_code code, const char *msg)
{
	struct err e = {0};
	assert_int_equal(rest_sync(c->r, method, path, body, NULL, &e), -1);
	if (e.code != code || !strstr(e.msg, msg))
		fail_msg("%s %s: got (%s) '%s', want (%s) '%s'", method, path,
			 err_code_name(e.code), e.msg, err_code_name(code), msg);
	assert_null(strchr(e.msg, '\n'));
}

static void test_rest_errors(void **state)
{
	struct client c;
	s_client(&c);
	s_sync_fails(&c, "GET", "/apis/batch/v1/namespaces/aftomato/jobs/nope", NULL, ERR_NOTFOUND,
		     "jobs.batch \"nope\" not found");
	json_t *cm = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind",
			       "ConfigMap", "metadata", "name", "twice", "data", "a", "b");
	struct err e = {0};
	assert_int_equal(
	    rest_sync(c.r, "POST", "/api/v1/namespaces/aftomato/configmaps", cm, NULL, &e), 0);
	s_sync_fails(&c, "POST", "/api/v1/namespaces/aftomato/configmaps", cm, ERR_CONFLICT,
		     "configmaps \"twice\" already exists");
	json_decref(cm);
	json_t *job =
	    json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:{}}}}", "apiVersion", "batch/v1", "kind", "Job",
		      "metadata", "name", "empty", "spec", "template", "spec");
	s_sync_fails(&c, "POST", "/apis/batch/v1/namespaces/aftomato/jobs", job, ERR_REMOTE,
		     "Job.batch \"empty\" is invalid: ");
	json_decref(job);
	s_admin_do("POST", "/rbac/forbid",
		   "{\"user\":\"tester\",\"verb\":\"list\",\"resource\":\"pods\"}");
	s_sync_fails(&c, "GET", "/api/v1/namespaces/aftomato/pods", NULL, ERR_AUTH,
		     "pods is forbidden: User \"tester\" cannot list resource \"pods\" in API "
		     "group \"\" in the namespace \"aftomato\"");
	s_admin_do("POST", "/rbac/reset", "{}");
	s_client_free(&c);

	/* A token the server does not know. */
	struct client bad;
	s_client(&bad);
	free(bad.kc.token);
	bad.kc.token = xstrdup("not-a-token");
	rest_free(bad.r);
	bad.r = rest_new(bad.loop, &bad.kc);
	s_sync_fails(&bad, "GET", "/api/v1/namespaces/aftomato/pods", NULL, ERR_AUTH,
		     "refused the credentials of user 'tester'");
	s_client_free(&bad);
}

static void test_rest_retries(void **state)
{
	struct client c;
	s_client(&c);
	struct err e = {0};
	/* 429 with Retry-After: 1 twice, then the answer. */
	s_admin_do("POST", "/faults/http",
		   "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":429,\"count\":2,"
		   "\"retryAfterSeconds\":1}");
	unsigned long before = rest_requests(c.r);
	int64_t t0 = timeutil_mono_ms();
	json_t *out = NULL;
	assert_int_equal(
	    rest_sync(c.r, "GET", "/api/v1/namespaces/aftomato/configmaps", NULL, &out, &e),
	    -1); /* blocking calls try twice */
	assert_int_equal(e.code, ERR_THROTTLED);
	assert_non_null(strstr(e.msg, "Too many requests"));
	assert_true(timeutil_mono_ms() - t0 >= 1000);
	assert_int_equal(rest_requests(c.r) - before, 2);
	s_admin_do("POST", "/faults/reset", "{}");

	s_client_free(&c);
}

struct reply_box {
	bool done;
	int rc;
	long status;
	struct err err;
	json_t *body;
};

static void s_box(void *ctx, struct rest_reply *rep)
{
	struct reply_box *b = ctx;
	b->done = true;
	b->rc = rep->rc;
	b->status = rep->status;
	b->err = rep->err;
	b->body = rep->body ? json_incref(rep->body) : NULL;
}

static void test_rest_async_retries(void **state)
{
	struct client c;
	s_client(&c);
	s_admin_do("POST", "/faults/http",
		   "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":500,\"count\":2}");
	struct reply_box b = {0};
	unsigned long before = rest_requests(c.r);
	rest_request(c.r, "GET", "/api/v1/namespaces/aftomato/configmaps", NULL, s_box, &b);
	s_pump(c.loop, &b.done, 20000);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.status, 200);
	assert_string_equal(json_string_value(json_object_get(b.body, "kind")), "ConfigMapList");
	assert_int_equal(rest_requests(c.r) - before, 3);
	json_decref(b.body);
	/* More 500s than tries: ERR_THROTTLED with the server's message. */
	s_admin_do("POST", "/faults/http",
		   "{\"method\":\"GET\",\"path\":\"/configmaps\",\"status\":500,\"count\":10}");
	memset(&b, 0, sizeof(b));
	rest_request(c.r, "GET", "/api/v1/namespaces/aftomato/configmaps", NULL, s_box, &b);
	s_pump(c.loop, &b.done, 60000);
	assert_int_equal(b.rc, -1);
	assert_int_equal(b.err.code, ERR_THROTTLED);
	assert_non_null(strstr(b.err.msg, "Internal error occurred: injected fault"));
	s_admin_do("POST", "/faults/reset", "{}");
	s_client_free(&c);
}

/* --- watch ------------------------------------------------------------------------- */

struct seen {
	int lists;
	size_t listed_items;
	int added, modified, deleted, failed;
	bool want;
	int target;
};

static void s_w_listed(void *ctx, json_t *items)
{
	struct seen *s = ctx;
	s->lists++;
	s->listed_items = json_array_size(items);
}

static void s_w_event(void *ctx, enum watch_type t, json_t *obj)
{
	struct seen *s = ctx;
	if (t == WATCH_ADDED)
		s->added++;
	else if (t == WATCH_MODIFIED)
		s->modified++;
	else
		s->deleted++;
	if (s->added >= s->target)
		s->want = true;
}

static void s_w_failed(void *ctx, const struct err *e)
{
	struct seen *s = ctx;
	s->failed++;
}

static const struct watch_ops s_wops = {s_w_listed, s_w_event, s_w_failed};

static void s_make_cms(struct client *c, const char *prefix, int n)
{
	for (int i = 0; i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		json_t *cm = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}", "apiVersion", "v1",
				       "kind", "ConfigMap", "metadata", "name", name, "labels",
				       "test", "watch", "data", "text", "é✓ unicode payload");
		struct err e = {0};
		if (rest_sync(c->r, "POST", "/api/v1/namespaces/aftomato/configmaps", cm, NULL,
			      &e) < 0)
			fail_msg("%s", e.msg);
		json_decref(cm);
	}
}

static void test_watch(void **state)
{
	struct client c;
	s_client(&c);
	s_admin_do("POST", "/config", "{\"bookmarkIntervalMs\":200,\"splitProbability\":0.9}");
	s_make_cms(&c, "early", 5);
	struct seen s = {.target = 1000000};
	struct watch *w =
	    watch_new(c.r, "/api/v1/namespaces/aftomato/configmaps", "test=watch", &s_wops, &s);
	bool listed = false;
	int64_t until = timeutil_mono_ms() + 10000;
	while (!watch_listed(w) && timeutil_mono_ms() < until)
		evloop_run_once(c.loop, 50);
	listed = watch_listed(w);
	assert_true(listed);
	assert_int_equal(s.lists, 1);
	assert_int_equal(s.listed_items, 5);

	/* 60 creations arrive as events, whatever the chunking. */
	s.target = 60;
	s_make_cms(&c, "later", 60);
	s_pump(c.loop, &s.want, 10000);
	assert_int_equal(s.added, 60);

	/* Bookmarks move the resourceVersion without events. */
	char rv[32];
	snprintf(rv, sizeof(rv), "%s", watch_resource_version(w));
	for (int i = 0; i < 20; i++)
		evloop_run_once(c.loop, 50);

	/* A cut watch stream is resumed from the last version: nothing is lost. */
	s_admin_do("POST", "/faults/cut", "{\"kind\":\"watch\",\"count\":3,\"afterBytes\":100}");
	s_admin_do("POST", "/watches/close", "{}");
	s.target = 90;
	s.want = false;
	s_make_cms(&c, "cut", 30);
	s_pump(c.loop, &s.want, 20000);
	assert_int_equal(s.added, 90);
	assert_int_equal(s.lists, 1);
	unsigned watches = watch_watches(w);
	assert_true(watches >= 3);

	/* History compacted: the re-watch gets 410 in band and lists again. */
	s_admin_do("POST", "/faults/expire", "{\"closeWatches\":true}");
	until = timeutil_mono_ms() + 10000;
	while (watch_lists(w) < 2 && timeutil_mono_ms() < until)
		evloop_run_once(c.loop, 50);
	until = timeutil_mono_ms() + 5000;
	while (s.lists < 2 && timeutil_mono_ms() < until)
		evloop_run_once(c.loop, 50);
	assert_int_equal(s.lists, 2);
	assert_int_equal(s.listed_items, 95);
	/* and watches on from the new list */
	s.target = 92;
	s.want = false;
	s_make_cms(&c, "after", 2);
	s_pump(c.loop, &s.want, 10000);
	watch_free(w);
	s_admin_do("POST", "/faults/reset", "{}");
	s_client_free(&c);
}

/* --- the pod log follower ------------------------------------------------------------ */

struct follow {
	int grew;
	char reasons[512];
	bool ended;
	enum podlog_end how;
};

static void s_pl_grew(void *ctx)
{
	((struct follow *)ctx)->grew++;
}

static void s_pl_waiting(void *ctx, const char *reason, const struct err *e)
{
	struct follow *f = ctx;
	if (reason && !strstr(f->reasons, reason) &&
	    strlen(f->reasons) + strlen(reason) + 2 < 512) {
		strcat(f->reasons, reason);
		strcat(f->reasons, ";");
	}
}

static bool s_pl_terminated(void *ctx)
{
	return true;
}

static void s_pl_ended(void *ctx, enum podlog_end how)
{
	struct follow *f = ctx;
	f->ended = true;
	f->how = how;
}

static const struct podlog_ops s_plops = {s_pl_grew, s_pl_waiting, s_pl_terminated, s_pl_ended};

static char *s_pod_of(struct client *c, const char *job)
{
	for (int i = 0; i < 100; i++) {
		char *path =
		    xasprintf("/api/v1/namespaces/aftomato/pods?labelSelector=job-name%%3D%s", job);
		json_t *list = NULL;
		struct err e = {0};
		rest_sync(c->r, "GET", path, NULL, &list, &e);
		free(path);
		const char *name = json_string_value(json_object_get(
		    json_object_get(json_array_get(json_object_get(list, "items"), 0), "metadata"),
		    "name"));
		char *out = xstrdup(name);
		json_decref(list);
		if (out)
			return out;
		usleep(50000);
	}
	fail_msg("no pod for job %s", job);
	return NULL;
}

static void s_job(struct client *c, const char *name, const char *image, const char *script)
{
	json_t *job =
	    json_pack("{s:s, s:s, s:{s:s}, s:{s:i, s:{s:{s:s, s:[{s:s, s:s, s:[s, s, s]}]}}}}",
		      "apiVersion", "batch/v1", "kind", "Job", "metadata", "name", name, "spec",
		      "backoffLimit", 0, "template", "spec", "restartPolicy", "Never", "containers",
		      "name", "main", "image", image, "command", "/bin/sh", "-c", script);
	struct err e = {0};
	if (rest_sync(c->r, "POST", "/apis/batch/v1/namespaces/aftomato/jobs", job, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	json_decref(job);
}

static void test_podlog_waiting_and_lines(void **state)
{
	struct client c;
	s_client(&c);
	s_job(&c, "slow", "example/slow-create:1", "for i in 1 2 3; do echo \"line $i\"; done");
	char *pod = s_pod_of(&c, "slow");
	char *path = xasprintf("%s/slow.log", s_dir);
	struct err e = {0};
	struct logstore *ls = logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE, &e);
	struct follow f = {0};
	struct podlog *pl = podlog_new(c.r, "aftomato", pod, "main", ls, &s_plops, &f);
	s_pump(c.loop, &f.ended, 15000);
	assert_int_equal(f.how, PODLOG_DONE);
	assert_non_null(strstr(f.reasons, "ContainerCreating"));
	assert_int_equal(logstore_line_count(ls), 3);
	char buf[64];
	size_t n = 0;
	logstore_read_bytes(ls, 0, buf, sizeof(buf), &n, &e);
	assert_int_equal(n, 21);
	assert_memory_equal(buf, "line 1\nline 2\nline 3\n", 21);
	podlog_free(pl);
	logstore_unref(ls);
	free(pod);

	/* An image that cannot be pulled: the reasons as the API gives them. */
	s_job(&c, "nopull", "example/pull-error:1", "echo never");
	pod = s_pod_of(&c, "nopull");
	ls = logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE, &e);
	memset(&f, 0, sizeof(f));
	pl = podlog_new(c.r, "aftomato", pod, "main", ls, &s_plops, &f);
	int64_t until = timeutil_mono_ms() + 8000;
	while (!strstr(f.reasons, "trying and failing to pull image") && timeutil_mono_ms() < until)
		evloop_run_once(c.loop, 50);
	assert_non_null(strstr(f.reasons, "trying and failing to pull image"));
	assert_int_equal(logstore_line_count(ls), 0);
	/* The pod goes: the follow ends. */
	char *del = xasprintf("/api/v1/namespaces/aftomato/pods/%s", pod);
	assert_int_equal(rest_sync(c.r, "DELETE", del, NULL, NULL, &e), 0);
	s_pump(c.loop, &f.ended, 10000);
	assert_int_equal(f.how, PODLOG_GONE);
	free(del);
	podlog_free(pl);
	logstore_unref(ls);
	free(pod);
	free(path);
	s_client_free(&c);
}

/* --- the executor ------------------------------------------------------------------- */

struct events {
	int running, found, log_build, log_db;
	bool finished;
	struct exec_result res;
	bool finalize;
	char notices[4096];
};

static void s_ev_running(void *ctx, const char *id, int64_t ms)
{
	((struct events *)ctx)->running++;
}

static void s_ev_log(void *ctx, const char *id, const char *container)
{
	struct events *ev = ctx;
	if (container && strcmp(container, "db") == 0)
		ev->log_db++;
	else if (!container)
		ev->log_build++;
}

static void s_ev_finished(void *ctx, const char *id, const struct exec_result *r, bool fin)
{
	struct events *ev = ctx;
	ev->finished = true;
	ev->res = *r;
	ev->finalize = fin;
}

static void s_ev_found(void *ctx, const char *id)
{
	((struct events *)ctx)->found++;
}

static void s_notice(void *ctx, const struct err *e)
{
	struct events *ev = ctx;
	size_t used = strlen(ev->notices);
	snprintf(ev->notices + used, sizeof(ev->notices) - used, "%s\n", e->msg);
}

static void test_executor_sidecar_and_notices(void **state)
{
	struct err e = {0};
	struct evloop *loop = evloop_new(&e);
	struct profile prof = {0};
	prof.name = "k8s";
	prof.data_dir = xasprintf("%s/data", s_dir);
	prof.kubernetes.kubeconfig = s_kubeconfig;
	prof.kubernetes.namespace_ = "aftomato";
	struct exec_k8s_config cfg = {.profile = &prof};
	struct executor *x = exec_k8s_new(loop, &cfg, &e);
	if (!x)
		fail_msg("%s", e.msg);
	assert_false(exec_k8s_insecure(x));
	assert_non_null(strstr(exec_k8s_describe(x), "namespace aftomato"));
	struct events ev = {0};
	x->events = (struct exec_events){&ev, s_ev_running, s_ev_log, s_ev_finished, s_ev_found};
	exec_k8s_set_notice(x, s_notice, &ev);
	assert_int_equal(x->ops->attach(x, &e), 0);

	/* A project with a sidecar "db". */
	char *script = xasprintf("%s/build.sh", s_dir);
	const char *text = "#!/bin/sh\nsleep 1\necho built\n";
	assert_int_equal(fsutil_write_atomic(script, text, strlen(text), &e), 0);
	struct project p = {0};
	p.key = "team/side";
	p.script_path = script;
	p.build_image = "example/build:1";
	p.sidecars = json_pack("[{s:s, s:s, s:[s, s, s]}]", "name", "db", "image", "postgres",
			       "command", "/bin/sh", "-c", "echo db ready; exec sleep 60");
	struct build *b = build_new();
	assert_int_equal(build_uuid(b->id, &e), 0);
	b->project_key = xstrdup("team/side");
	b->branch = xstrdup("main");
	x->ops->prepare(x, b);
	assert_string_equal(b->executor, "kubernetes");
	assert_true(x->ops->owns(x, b));
	/* A token that may not delete Jobs: cleanup reports it. */
	s_admin_do("POST", "/rbac/forbid", "{\"verb\":\"delete\",\"resource\":\"jobs\"}");
	assert_int_equal(x->ops->start(x, b, &p, &e), 0);
	assert_true(x->ops->is_live(x, b->id));

	/* The sidecar's log, opened while it runs. */
	struct logstore *db = NULL;
	int64_t until = timeutil_mono_ms() + 10000;
	while (!db && timeutil_mono_ms() < until) {
		evloop_run_once(loop, 50);
		db = x->ops->log(x, b->id, "db");
	}
	assert_non_null(db);
	until = timeutil_mono_ms() + 10000;
	while (logstore_line_count(db) < 1 && timeutil_mono_ms() < until)
		evloop_run_once(loop, 50);
	char buf[64];
	size_t n = 0;
	logstore_read_bytes(db, 0, buf, sizeof(buf), &n, &e);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "db ready\n", 9);
	assert_null(x->ops->log(x, b->id, "nosuch"));

	s_pump(loop, &ev.finished, 20000);
	assert_int_equal(ev.res.status, BUILD_SUCCEEDED);
	assert_true(ev.finalize);
	assert_true(ev.log_db > 0);
	assert_true(ev.log_build > 0);
	assert_true(ev.running > 0);
	assert_int_equal(ev.found, 0); /* started here */
	struct logstore *main_log = x->ops->log(x, b->id, NULL);
	assert_non_null(main_log);
	logstore_read_bytes(main_log, 0, buf, sizeof(buf), &n, &e);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "built\n", 6);
	logstore_unref(main_log);
	/* The sidecar log ends with the pod. */
	until = timeutil_mono_ms() + 10000;
	while (!logstore_is_finished(db) && timeutil_mono_ms() < until)
		evloop_run_once(loop, 50);
	assert_true(logstore_is_finished(db));
	logstore_unref(db);

	x->ops->cleanup(x, b->id);
	assert_non_null(strstr(ev.notices, "is archived, but its Job stays"));
	assert_non_null(strstr(ev.notices, "cannot delete resource \"jobs\""));
	s_admin_do("POST", "/rbac/reset", "{}");
	x->ops->free(x);
	build_free(b);
	json_decref(p.sidecars);
	free(script);
	free(prof.data_dir);
	evloop_free(loop);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rest_errors),
	    cmocka_unit_test(test_rest_retries),
	    cmocka_unit_test(test_rest_async_retries),
	    cmocka_unit_test(test_watch),
	    cmocka_unit_test(test_podlog_waiting_and_lines),
	    cmocka_unit_test(test_executor_sidecar_and_notices),
	};
	int rc = cmocka_run_group_tests(tests, s_setup, s_teardown);
	curl_global_cleanup();
	return rc;
}
