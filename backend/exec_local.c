#include "exec_local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "datadir.h"
#include "evloop.h"
#include "fsutil.h"
#include "logstore.h"
#include "project.h"
#include "supervise.h"
#include "timeutil.h"
#include "xmem.h"

extern char **environ;

#define CHECK_INTERVAL_MS 500

struct run {
	struct run *next;
	char id[BUILD_ID_LEN + 1];
	char *dir;
	struct logstore *log;
	int wd_dir, wd_spool;
	int finalize_fd;
	bool ended; /* finished was reported */
};

struct child {
	struct child *next;
	pid_t pid;
	int pidfd;
	struct evloop_fd *w;
};

struct exec_local {
	struct executor base;
	struct evloop *loop;
	char *data_dir, *run_root, *self_exe, *config_path, *profile;
	int64_t grace_ms;
	int64_t spool_retry_ms;
	int then_reconcile;
	char host[HOST_NAME_MAX + 1];
	char *job_name;
	int ino_fd;
	int wd_root;
	struct evloop_fd *ino_w;
	struct evloop_timer *check_timer;
	struct run *runs;
	struct child *children;
};

static struct run *s_find(struct exec_local *x, const char *id)
{
	for (struct run *r = x->runs; r; r = r->next)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

static void s_run_free(struct exec_local *x, struct run *r)
{
	if (r->wd_dir >= 0)
		inotify_rm_watch(x->ino_fd, r->wd_dir);
	if (r->wd_spool >= 0)
		inotify_rm_watch(x->ino_fd, r->wd_spool);
	if (r->finalize_fd >= 0)
		close(r->finalize_fd);
	logstore_unref(r->log);
	free(r->dir);
	free(r);
}

static void s_run_remove(struct exec_local *x, struct run *r)
{
	for (struct run **pp = &x->runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	s_run_free(x, r);
}

static char *s_run_file(struct run *r, const char *name)
{
	return xasprintf("%s/%s", r->dir, name);
}

/* 1 when the supervisor holds the run's lock (it is alive), 0 when not. */
static int s_supervised(struct run *r)
{
	char *path = s_run_file(r, "lock");
	int fd = open(path, O_RDWR | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	int held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static int s_has_status(struct run *r)
{
	char *path = s_run_file(r, "status.json");
	int ok = fsutil_exists(path);
	free(path);
	return ok;
}

static void s_refresh(struct exec_local *x, struct run *r)
{
	struct err e = {0};
	if (!r->log || r->ended)
		return;
	if (logstore_refresh(r->log, &e) > 0)
		x->base.events.log(x->base.events.ctx, r->id, NULL);
}

static void s_read_status(struct run *r, struct exec_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = BUILD_ERROR;
	char *path = s_run_file(r, "status.json");
	json_error_t je;
	json_t *st = json_load_file(path, 0, &je);
	free(path);
	if (!st) {
		snprintf(res->message, sizeof(res->message), "unreadable status of the build: %s",
			 je.text);
		return;
	}
	if (build_status_parse(json_string_value(json_object_get(st, "status")), &res->status) <
	    0)
		res->status = BUILD_ERROR;
	json_t *code = json_object_get(st, "exitCode");
	if (json_is_integer(code)) {
		res->has_exit = true;
		res->exit_code = (int)json_integer_value(code);
	}
	res->started_ms = json_integer_value(json_object_get(st, "startedMs"));
	res->finished_ms = json_integer_value(json_object_get(st, "finishedMs"));
	snprintf(res->message, sizeof(res->message), "%s",
		 json_string_value(json_object_get(st, "message")) ?: "");
	json_decref(st);
}

/* Takes the right to finalize the run (archive and clean up); released by
 * cleanup or when this process exits. */
static int s_claim(struct run *r, bool without_status)
{
	char *path = s_run_file(r, "finalize.lock");
	int fd = open(path, O_RDWR | O_CLOEXEC);
	struct stat held, now;
	/* Another process may have finished and removed the run meanwhile: the
	 * lock file (made with the run, never again) is then gone from its path. */
	bool mine = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &held) == 0 &&
		    stat(path, &now) == 0 && held.st_ino == now.st_ino &&
		    held.st_dev == now.st_dev && (without_status || s_has_status(r));
	free(path);
	if (!mine) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	r->finalize_fd = fd;
	return 1;
}

/* The build has ended: final log refresh, then finished. lost (may be NULL)
 * is the result to use when the run has no readable status (its supervisor
 * vanished and the status could not be written for it). */
static void s_end(struct exec_local *x, struct run *r, const struct exec_result *lost)
{
	if (r->ended)
		return;
	s_refresh(x, r);
	if (r->log)
		logstore_finish(r->log);
	r->ended = true;
	struct exec_result res;
	if (lost && !s_has_status(r))
		res = *lost;
	else
		s_read_status(r, &res);
	bool mine = s_claim(r, lost != NULL);
	char id[BUILD_ID_LEN + 1];
	memcpy(id, r->id, sizeof(id));
	if (!mine)
		s_run_remove(x, r);
	x->base.events.finished(x->base.events.ctx, id, &res, mine);
}

/* The supervisor is gone without a status: record why (when the disk lets
 * us), so the build ends. */
static void s_end_lost(struct exec_local *x, struct run *r)
{
	struct exec_result res = {.status = BUILD_ERROR, .finished_ms = timeutil_wall_ms()};
	snprintf(res.message, sizeof(res.message),
		 "the build's supervisor process ended without a result (killed, out of disk, or "
		 "the machine restarted)");
	char *path = s_run_file(r, "status.json");
	char *text = xasprintf("{\"status\":\"error\",\"message\":\"%s\",\"startedMs\":0,"
			       "\"finishedMs\":%lld}",
			       res.message, (long long)res.finished_ms);
	struct err e = {0};
	fsutil_write_atomic(path, text, strlen(text), &e);
	free(text);
	free(path);
	s_end(x, r, &res);
}

/* The run's log, opened when first wanted (a command that only looks at
 * records never reads a spool). NULL when it cannot be opened. */
static struct logstore *s_run_log(struct exec_local *x, struct run *r)
{
	if (!r->log) {
		struct err e = {0};
		char *spool = datadir_spool(x->data_dir, r->id);
		r->log = logstore_open(spool, 0, &e);
		free(spool);
		if (r->log && r->ended)
			logstore_finish(r->log);
	}
	return r->log;
}

static struct run *s_follow(struct exec_local *x, const char *id, struct err *e)
{
	struct run *r = s_find(x, id);
	if (r)
		return r;
	r = xcalloc(1, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->dir = datadir_run(x->data_dir, id);
	r->finalize_fd = -1;
	r->wd_dir = inotify_add_watch(x->ino_fd, r->dir, IN_MOVED_TO | IN_CLOSE_WRITE);
	char *spool = datadir_spool(x->data_dir, id);
	r->wd_spool = inotify_add_watch(x->ino_fd, spool, IN_MODIFY);
	free(spool);
	(void)e;
	r->next = x->runs;
	x->runs = r;
	return r;
}

static void s_check_run(struct exec_local *x, struct run *r)
{
	s_refresh(x, r);
	if (s_has_status(r))
		s_end(x, r, NULL);
	else if (!s_supervised(r))
		s_end_lost(x, r);
}

static void s_check_all(void *arg)
{
	struct exec_local *x = arg;
	x->check_timer = NULL;
	struct run *next;
	for (struct run *r = x->runs; r; r = next) {
		next = r->next;
		if (!r->ended)
			s_check_run(x, r);
	}
	x->check_timer = evloop_timer(x->loop, CHECK_INTERVAL_MS, s_check_all, x);
}

/* A run directory appeared (another process started a build) or was found at
 * start: follow it. */
static void s_adopt(struct exec_local *x, const char *id)
{
	if (strlen(id) != BUILD_ID_LEN || s_find(x, id))
		return;
	struct err e = {0};
	struct run *r = s_follow(x, id, &e);
	if (!r)
		return;
	x->base.events.found(x->base.events.ctx, id);
	if (!s_has_status(r) && s_supervised(r)) {
		char *path = s_run_file(r, "spec.json");
		json_t *spec = json_load_file(path, 0, NULL);
		free(path);
		int64_t started = json_integer_value(json_object_get(spec, "startedMs"));
		json_decref(spec);
		x->base.events.running(x->base.events.ctx, id, started);
	}
	s_check_run(x, r);
}

static void s_on_inotify(void *arg, int fd, short revents)
{
	struct exec_local *x = arg;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (ev->wd == x->wd_root && ev->len && ev->name[0] != '.') {
				s_adopt(x, ev->name);
				continue;
			}
			for (struct run *r = x->runs; r; r = r->next) {
				if (r->ended)
					continue;
				if (ev->wd == r->wd_spool) {
					s_refresh(x, r);
				} else if (ev->wd == r->wd_dir && ev->len &&
					   strcmp(ev->name, "status.json") == 0) {
					s_end(x, r, NULL);
					break; /* the list may have changed */
				}
			}
		}
	}
}

static void s_on_child(void *arg, int fd, short revents)
{
	struct exec_local *x = arg;
	for (struct child **pp = &x->children; *pp; pp = &(*pp)->next) {
		struct child *c = *pp;
		if (c->pidfd != fd)
			continue;
		if (waitpid(c->pid, NULL, WNOHANG) == 0)
			return;
		evloop_unwatch(x->loop, c->w);
		close(c->pidfd);
		*pp = c->next;
		free(c);
		return;
	}
}

static void s_prepare(struct executor *base, struct build *b)
{
	struct exec_local *x = (struct exec_local *)base;
	build_set_str(&b->executor, "local");
	build_set_str(&b->job_name, x->job_name);
}

static const char *s_describe(struct executor *base, bool *insecure)
{
	*insecure = false;
	return ((struct exec_local *)base)->job_name;
}

static bool s_owns(struct executor *base, const struct build *b)
{
	struct exec_local *x = (struct exec_local *)base;
	return b->executor && strcmp(b->executor, "local") == 0 && b->job_name &&
	       strcmp(b->job_name, x->job_name) == 0;
}

static json_t *s_build_env(const struct build *b, const struct project *p, const char *ws,
			   const char *artifacts)
{
	json_t *env = json_array();
	static const char *const keep[] = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL",
					   "TZ", "TMPDIR", NULL};
	for (int i = 0; keep[i]; i++) {
		const char *v = getenv(keep[i]);
		if (v)
			json_array_append_new(env, json_sprintf("%s=%s", keep[i], v));
	}
	if (!getenv("PATH"))
		json_array_append_new(env, json_string("PATH=/usr/local/bin:/usr/bin:/bin"));
	for (size_t i = 0; i < p->env_count; i++)
		json_array_append_new(env, json_sprintf("%s=%s", p->env[i].name, p->env[i].value));
	json_array_append_new(env, json_sprintf("BUILD_ID=%s", b->id));
	json_array_append_new(env, json_sprintf("PROJECT_KEY=%s", b->project_key));
	json_array_append_new(env, json_sprintf("BRANCH_TO_BUILD=%s", b->branch));
	json_array_append_new(env, json_sprintf("ARTIFACTS_DIR=%s", artifacts));
	json_array_append_new(env, json_sprintf("WORKSPACE=%s", ws));
	return env;
}

static json_t *s_spec(struct exec_local *x, const struct build *b, const struct project *p,
		      const char *ws, const char *run_dir)
{
	char *artifacts = xasprintf("%s/artifacts", run_dir);
	char *spool = datadir_spool(x->data_dir, b->id);
	char *script_name = xasprintf("%s/build.sh", p->key);
	json_t *spec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "buildID",
				 b->id, "projectKey", b->project_key, "branch", b->branch, "script",
				 p->script_path, "scriptName", script_name, "workspace", ws,
				 "artifactsDir", artifacts, "spool", spool, "timeoutSeconds",
				 (json_int_t)p->timeout_seconds, "graceMs",
				 (json_int_t)x->grace_ms, "startedMs",
				 (json_int_t)timeutil_wall_ms());
	json_object_set_new(spec, "env", s_build_env(b, p, ws, artifacts));
	if (x->spool_retry_ms > 0)
		json_object_set_new(spec, "spoolRetryMs", json_integer(x->spool_retry_ms));
	if (x->then_reconcile) {
		json_t *argv = json_array();
		json_array_append_new(argv, json_string(x->self_exe));
		if (x->config_path) {
			json_array_append_new(argv, json_string("--config"));
			json_array_append_new(argv, json_string(x->config_path));
		}
		json_array_append_new(argv, json_string("--profile"));
		json_array_append_new(argv, json_string(x->profile));
		json_array_append_new(argv, json_string("__reconcile"));
		json_object_set_new(spec, "thenExec", argv);
	}
	free(artifacts);
	free(spool);
	free(script_name);
	return spec;
}

/* Spawns `aftomato __supervise RUN_DIR LOCK_FD` in a new session, with the
 * lock inherited so the run is never unlocked while it lives. */
static int s_spawn(struct exec_local *x, const char *run_dir, int lock_fd, struct err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	char *log = xasprintf("%s/supervisor.log", run_dir);
	char *fdarg = xasprintf("%d", lock_fd);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	char *argv[] = {"aftomato", "__supervise", (char *)run_dir, fdarg, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, x->self_exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(log);
	free(fdarg);
	if (rc != 0)
		return err_errno(e, rc, "cannot start the build supervisor %.200s", x->self_exe);
	struct child *c = xcalloc(1, sizeof(*c));
	c->pid = pid;
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd >= 0) {
		c->w = evloop_watch(x->loop, c->pidfd, POLLIN, s_on_child, x);
		c->next = x->children;
		x->children = c;
	} else {
		free(c); /* no pidfd: init reaps it after we exit */
	}
	return 0;
}

static int s_prepare_run(struct exec_local *x, const struct build *b, const struct project *p,
			 const char *tmp_dir, const char *ws, int *lock_fd, struct err *e)
{
	char *artifacts = xasprintf("%s/artifacts", tmp_dir);
	char *lock = xasprintf("%s/lock", tmp_dir);
	char *fifo = xasprintf("%s/control", tmp_dir);
	char *spec_path = xasprintf("%s/spec.json", tmp_dir);
	char *final_lock = xasprintf("%s/finalize.lock", tmp_dir);
	json_t *spec = NULL;
	char *text = NULL;
	int rc = -1;
	*lock_fd = -1;
	if (fsutil_mkdir_p(ws, 0755, e) < 0 || fsutil_mkdir_p(artifacts, 0755, e) < 0)
		goto out;
	*lock_fd = open(lock, O_RDWR | O_CREAT, 0600); /* inherited by the supervisor */
	if (*lock_fd < 0 || flock(*lock_fd, LOCK_EX) < 0) {
		err_errno(e, errno, "cannot lock %.300s", lock);
		goto out;
	}
	if (mkfifo(fifo, 0600) < 0) {
		err_errno(e, errno, "cannot create %.300s", fifo);
		goto out;
	}
	/* Made here, never again: a run dir being removed cannot grow a new one. */
	if (fsutil_write_atomic(final_lock, "", 0, e) < 0)
		goto out;
	char *run_dir = datadir_run(x->data_dir, b->id);
	spec = s_spec(x, b, p, ws, run_dir);
	free(run_dir);
	text = json_dumps(spec, JSON_INDENT(1));
	if (fsutil_write_atomic(spec_path, text, strlen(text), e) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && *lock_fd >= 0) {
		close(*lock_fd);
		*lock_fd = -1;
	}
	free(artifacts);
	free(lock);
	free(fifo);
	free(spec_path);
	free(final_lock);
	free(text);
	json_decref(spec);
	return rc;
}

static int s_start(struct executor *base, const struct build *b, const struct project *p,
		   struct err *e)
{
	struct exec_local *x = (struct exec_local *)base;
	char *tmp_dir = xasprintf("%s/.new-%s", x->run_root, b->id);
	char *run_dir = datadir_run(x->data_dir, b->id);
	char *ws = datadir_work(x->data_dir, b->id);
	int lock_fd = -1, rc = -1;
	if (s_prepare_run(x, b, p, tmp_dir, ws, &lock_fd, e) < 0)
		goto out;
	if (rename(tmp_dir, run_dir) < 0) {
		err_errno(e, errno, "cannot create %.300s", run_dir);
		goto out;
	}
	if (s_spawn(x, run_dir, lock_fd, e) < 0) {
		close(lock_fd);
		lock_fd = -1;
		goto out;
	}
	close(lock_fd);
	lock_fd = -1;
	if (!s_follow(x, b->id, e))
		goto out;
	x->base.events.running(x->base.events.ctx, b->id, timeutil_wall_ms());
	rc = 0;
out:
	if (lock_fd >= 0)
		close(lock_fd);
	if (rc < 0) {
		struct err ignored;
		fsutil_rm_rf(tmp_dir, &ignored);
		fsutil_rm_rf(run_dir, &ignored);
		fsutil_rm_rf(ws, &ignored);
	}
	free(tmp_dir);
	free(run_dir);
	free(ws);
	return rc;
}

static int s_cancel(struct executor *base, const char *id, struct err *e)
{
	struct exec_local *x = (struct exec_local *)base;
	char *run_dir = datadir_run(x->data_dir, id);
	char *fifo = xasprintf("%s/control", run_dir);
	free(run_dir);
	int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	free(fifo);
	if (fd < 0)
		return err_set(e, errno == ENXIO ? ERR_CONFLICT : ERR_NOTFOUND,
			       "build %.8s is not running here", id);
	static const char cmd[] = "cancel\n";
	int rc = fsutil_write_full(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	return rc < 0 ? err_errno(e, errno, "cannot cancel build %.8s", id) : 0;
}

static int s_attach(struct executor *base, struct err *e)
{
	struct exec_local *x = (struct exec_local *)base;
	DIR *d = opendir(x->run_root);
	if (!d)
		return err_errno(e, errno, "cannot read %.300s", x->run_root);
	struct dirent *de;
	char **ids = NULL;
	size_t n = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			ids = xrealloc(ids, (n + 1) * sizeof(*ids));
			ids[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		s_adopt(x, ids[i]);
		free(ids[i]);
	}
	free(ids);
	return 0;
}

static bool s_is_live(struct executor *base, const char *id)
{
	struct exec_local *x = (struct exec_local *)base;
	char *run_dir = datadir_run(x->data_dir, id);
	bool live = fsutil_exists(run_dir);
	free(run_dir);
	return live;
}

static struct logstore *s_log(struct executor *base, const char *id, const char *container)
{
	struct exec_local *x = (struct exec_local *)base;
	if (container)
		return NULL; /* sidecars run only on Kubernetes */
	struct run *r = s_find(x, id);
	if (!r) {
		if (!s_is_live(base, id))
			return NULL;
		s_adopt(x, id);
		r = s_find(x, id);
	}
	struct logstore *ls = r ? s_run_log(x, r) : NULL;
	return ls ? logstore_ref(ls) : NULL;
}

static char *s_artifacts_dir(struct executor *base, const char *id)
{
	struct exec_local *x = (struct exec_local *)base;
	char *run_dir = datadir_run(x->data_dir, id);
	char *dir = xasprintf("%s/artifacts", run_dir);
	free(run_dir);
	return dir;
}

static void s_cleanup(struct executor *base, const char *id)
{
	struct exec_local *x = (struct exec_local *)base;
	struct err e = {0};
	char *ws = datadir_work(x->data_dir, id);
	char *run_dir = datadir_run(x->data_dir, id);
	/* The run dir leaves its name in one step (a dot name: never scanned),
	 * so a process that takes the finalize lock after this one lets it go,
	 * or that would record a lost supervisor's status, finds nothing. */
	char *gone = xasprintf("%s/.gone-%s-%d", x->run_root, id, (int)getpid());
	if (rename(run_dir, gone) < 0) {
		free(gone);
		gone = xstrdup(run_dir);
	}
	fsutil_rm_rf(ws, &e);
	fsutil_rm_rf(gone, &e); /* last: the finalize lock goes with it */
	free(gone);
	struct run *r = s_find(x, id);
	if (r)
		s_run_remove(x, r);
	free(ws);
	free(run_dir);
}

static void s_free(struct executor *base)
{
	struct exec_local *x = (struct exec_local *)base;
	if (!x)
		return;
	while (x->runs) {
		struct run *r = x->runs;
		x->runs = r->next;
		s_run_free(x, r);
	}
	while (x->children) {
		struct child *c = x->children;
		x->children = c->next;
		evloop_unwatch(x->loop, c->w);
		close(c->pidfd);
		free(c);
	}
	if (x->check_timer)
		evloop_timer_cancel(x->loop, x->check_timer);
	if (x->ino_w)
		evloop_unwatch(x->loop, x->ino_w);
	if (x->ino_fd >= 0)
		close(x->ino_fd);
	free(x->data_dir);
	free(x->run_root);
	free(x->self_exe);
	free(x->config_path);
	free(x->profile);
	free(x->job_name);
	free(x);
}

static const struct exec_ops s_ops = {
	.name = "local",
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

struct executor *exec_local_new(struct evloop *loop, const struct exec_local_config *cfg,
				struct err *e)
{
	struct exec_local *x = xcalloc(1, sizeof(*x));
	x->base.ops = &s_ops;
	x->loop = loop;
	x->ino_fd = -1;
	x->data_dir = xstrdup(cfg->data_dir);
	x->run_root = datadir_sub(cfg->data_dir, "run");
	x->self_exe = xstrdup(cfg->self_exe);
	x->config_path = xstrdup(cfg->config_path);
	x->profile = xstrdup(cfg->profile ? cfg->profile : "local");
	x->grace_ms = cfg->grace_ms > 0 ? cfg->grace_ms : SUPERVISE_KILL_GRACE_MS;
	x->then_reconcile = cfg->then_reconcile;
	x->spool_retry_ms = cfg->spool_retry_ms;
	if (gethostname(x->host, sizeof(x->host) - 1) < 0)
		snprintf(x->host, sizeof(x->host), "localhost");
	x->job_name = xasprintf("local:%s", x->host);
	char *spool = datadir_sub(cfg->data_dir, "spool");
	char *work = datadir_sub(cfg->data_dir, "work");
	int rc = fsutil_mkdir_p(x->run_root, 0700, e) < 0 || fsutil_mkdir_p(spool, 0700, e) < 0 ||
		 fsutil_mkdir_p(work, 0755, e) < 0;
	free(spool);
	free(work);
	if (rc)
		goto fail;
	x->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (x->ino_fd < 0) {
		err_errno(e, errno, "cannot watch %.300s", x->run_root);
		goto fail;
	}
	x->wd_root = inotify_add_watch(x->ino_fd, x->run_root, IN_MOVED_TO);
	x->ino_w = evloop_watch(loop, x->ino_fd, POLLIN, s_on_inotify, x);
	x->check_timer = evloop_timer(loop, CHECK_INTERVAL_MS, s_check_all, x);
	return &x->base;
fail:
	s_free(&x->base);
	return NULL;
}
