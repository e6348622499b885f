#include "supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "fsutil.h"
#include "logstore.h"
#include "timeutil.h"
#include "xmem.h"

#define READ_CHUNK_BYTES   (1u << 20)
#define SPOOL_RETRY_MS     500
#define SPOOL_GIVE_UP_MS   10000
#define DRAIN_EXTRA_MS     1000

struct sup {
	const char *run_dir;
	json_t *spec;
	struct logstore *log;
	int out_fd, ctl_fd, pid_fd, sig_fd;
	pid_t child;
	int64_t start_ms, deadline_ms, kill_at_ms, drain_until_ms;
	int64_t grace_ms;
	bool stopping, killed, exited, out_eof;
	bool cancelled, timedout, failed;
	int wait_status;
	char message[256];
	char *pending; /* output not yet spooled (disk full) */
	size_t pending_len;
	int64_t retry_at_ms, spool_fail_since_ms;
	int64_t give_up_ms; /* how long a full disk may last before the build stops */
	int result_fd;      /* status.json-to-be, with its space reserved at the start */
	char *buf;
};

static const char *s_str(json_t *spec, const char *key)
{
	return json_string_value(json_object_get(spec, key));
}

static pid_t s_pidfd_open(pid_t pid)
{
	return (pid_t)syscall(SYS_pidfd_open, pid, 0);
}

/* In the child: the build's environment and exec. Reports an exec failure's
 * errno through errfd (close-on-exec, so a successful exec closes it). */
static void s_child(struct sup *s, int out_w, int errfd)
{
	setpgid(0, 0);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(out_w, 1);
	dup2(out_w, 2);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	const char *ws = s_str(s->spec, "workspace");
	int err = 0;
	if (ws && chdir(ws) < 0)
		err = errno;
	json_t *env = json_object_get(s->spec, "env");
	size_t n = json_array_size(env);
	char **envp = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; envp && i < n; i++)
		envp[i] = (char *)json_string_value(json_array_get(env, i));
	const char *script = s_str(s->spec, "script");
	if (!err && envp) {
		char *argv[] = {(char *)script, NULL};
		execve(script, argv, envp);
		err = errno;
		if (err == ENOEXEC) {
			/* A script without "#!": run it with sh, as shells do. */
			char *shargv[] = {"/bin/sh", (char *)script, NULL};
			execve("/bin/sh", shargv, envp);
			err = errno;
		}
	}
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

static int s_start(struct sup *s)
{
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(s->message, sizeof(s->message), "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	fcntl(out[0], F_SETPIPE_SZ, 1 << 20);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(s->message, sizeof(s->message), "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		s_child(s, out[1], errp[1]);
	setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);
	int child_err = 0;
	ssize_t n;
	while ((n = read(errp[0], &child_err, sizeof(child_err))) < 0 && errno == EINTR)
		;
	close(errp[0]);
	s->child = pid;
	s->out_fd = out[0];
	s->pid_fd = s_pidfd_open(pid);
	fcntl(s->out_fd, F_SETFL, O_NONBLOCK);
	if (n == (ssize_t)sizeof(child_err)) {
		snprintf(s->message, sizeof(s->message), "cannot run %.150s: %.80s",
			 s_str(s->spec, "scriptName"), strerror(child_err));
		s->failed = true;
	}
	return 0;
}

/* Every process of the build: its process group, and descendants that left it
 * and were re-parented to us (we are a child subreaper). */
static void s_signal_all(struct sup *s, int sig)
{
	if (s->child > 0)
		kill(-s->child, sig);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	int pid;
	while (fscanf(f, "%d", &pid) == 1)
		kill(pid, sig);
	fclose(f);
}

static void s_stop(struct sup *s, int64_t now)
{
	if (s->stopping)
		return;
	s->stopping = true;
	s_signal_all(s, SIGTERM);
	s->kill_at_ms = now + s->grace_ms;
}

static void s_reap(struct sup *s)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == s->child && !s->exited) {
			s->exited = true;
			s->wait_status = st;
		}
}

static void s_spool(struct sup *s, const char *data, size_t len, int64_t now)
{
	struct err e = {0};
	if (logstore_append(s->log, data, len, LOGSTORE_NOW, &e) == 0) {
		s->spool_fail_since_ms = 0;
		return;
	}
	/* Keep the bytes and stop reading: the build blocks on its output until
	 * the disk has room again, or we give up and stop it. */
	s->pending = xrealloc(s->pending, s->pending_len + len);
	memcpy(s->pending + s->pending_len, data, len);
	s->pending_len += len;
	if (!s->spool_fail_since_ms)
		s->spool_fail_since_ms = now;
	s->retry_at_ms = now + SPOOL_RETRY_MS;
	if (now - s->spool_fail_since_ms >= s->give_up_ms && !s->failed) {
		s->failed = true;
		snprintf(s->message, sizeof(s->message), "cannot spool the log: %.200s", e.msg);
		s_stop(s, now);
	}
}

static void s_retry_pending(struct sup *s, int64_t now)
{
	char *data = s->pending;
	size_t len = s->pending_len;
	s->pending = NULL;
	s->pending_len = 0;
	s_spool(s, data, len, now);
	free(data);
}

static void s_read_output(struct sup *s, int64_t now)
{
	for (int i = 0; i < 16 && !s->pending_len; i++) {
		ssize_t n = read(s->out_fd, s->buf, READ_CHUNK_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if (n == 0) {
			s->out_eof = true;
			return;
		}
		s_spool(s, s->buf, (size_t)n, now);
	}
}

static void s_read_control(struct sup *s, int64_t now)
{
	char cmd[64];
	ssize_t n = read(s->ctl_fd, cmd, sizeof(cmd) - 1);
	if (n <= 0)
		return;
	cmd[n] = '\0';
	if (strstr(cmd, "cancel") && !s->exited) {
		s->cancelled = true;
		s_stop(s, now);
	}
}

static int s_poll_timeout(struct sup *s, int64_t now)
{
	int64_t next = now + 60000;
	if (s->deadline_ms && !s->stopping && s->deadline_ms < next)
		next = s->deadline_ms;
	if (s->stopping && !s->killed && s->kill_at_ms < next)
		next = s->kill_at_ms;
	if (s->pending_len && s->retry_at_ms < next)
		next = s->retry_at_ms;
	if (s->exited && s->drain_until_ms && s->drain_until_ms < next)
		next = s->drain_until_ms;
	return next > now ? (int)(next - now) : 0;
}

static void s_timers(struct sup *s, int64_t now)
{
	if (s->deadline_ms && !s->stopping && now >= s->deadline_ms) {
		s->timedout = true;
		s_stop(s, now);
	}
	if (s->stopping && !s->killed && now >= s->kill_at_ms) {
		s->killed = true;
		s_signal_all(s, SIGKILL);
	}
	if (s->pending_len && now >= s->retry_at_ms)
		s_retry_pending(s, now);
}

static void s_loop(struct sup *s)
{
	while (!(s->exited && s->out_eof && !s->pending_len)) {
		int64_t now = timeutil_mono_ms();
		struct pollfd p[4] = {
			{.fd = s->pending_len || s->out_eof ? -1 : s->out_fd, .events = POLLIN},
			{.fd = s->ctl_fd, .events = POLLIN},
			{.fd = s->exited ? -1 : s->pid_fd, .events = POLLIN},
			{.fd = s->sig_fd, .events = POLLIN},
		};
		int r = poll(p, 4, s_poll_timeout(s, now));
		now = timeutil_mono_ms();
		if (r < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			s_read_output(s, now);
		if (p[1].revents & POLLIN)
			s_read_control(s, now);
		if (p[2].revents || s->pid_fd < 0) {
			s_reap(s);
			if (s->exited && !s->drain_until_ms) {
				/* build.sh ended: whatever it left running goes too. */
				s_signal_all(s, SIGTERM);
				s->drain_until_ms = now + s->grace_ms;
			}
		}
		if (p[3].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(s->sig_fd, &si, sizeof(si)) > 0 && si.ssi_signo == SIGCHLD)
				s_reap(s);
			else if (!s->exited) {
				s->failed = true;
				snprintf(s->message, sizeof(s->message),
					 "the build's supervisor was stopped by signal %d",
					 (int)si.ssi_signo);
				s_stop(s, now);
			}
		}
		s_timers(s, now);
		if (s->exited && s->drain_until_ms && now >= s->drain_until_ms) {
			s_signal_all(s, SIGKILL);
			if (now >= s->drain_until_ms + DRAIN_EXTRA_MS) {
				s_read_output(s, now);
				break; /* a process outside our reach holds the pipe */
			}
		}
	}
	s_signal_all(s, SIGKILL);
	s_reap(s);
}

static json_t *s_status(struct sup *s)
{
	enum build_status st;
	int code = -1;
	if (s->exited && WIFEXITED(s->wait_status))
		code = WEXITSTATUS(s->wait_status);
	else if (s->exited && WIFSIGNALED(s->wait_status))
		code = 128 + WTERMSIG(s->wait_status);
	if (s->failed)
		st = BUILD_ERROR;
	else if (s->timedout)
		st = BUILD_TIMEDOUT;
	else if (s->cancelled)
		st = BUILD_CANCELLED;
	else if (code == 0)
		st = BUILD_SUCCEEDED;
	else
		st = BUILD_FAILED;
	if (st == BUILD_TIMEDOUT)
		snprintf(s->message, sizeof(s->message), "timed out after %llds",
			 (long long)json_integer_value(json_object_get(s->spec, "timeoutSeconds")));
	else if (st == BUILD_CANCELLED)
		snprintf(s->message, sizeof(s->message), "cancelled");
	else if (st == BUILD_FAILED && s->exited && WIFSIGNALED(s->wait_status))
		snprintf(s->message, sizeof(s->message), "build.sh was killed by signal %d",
			 WTERMSIG(s->wait_status));
	else if (st == BUILD_FAILED)
		snprintf(s->message, sizeof(s->message), "build.sh exited with status %d", code);
	json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "status", build_status_name(st), "message",
			      s->message, "startedMs", (json_int_t)s->start_ms, "finishedMs",
			      (json_int_t)timeutil_wall_ms());
	if (code >= 0 && st != BUILD_ERROR)
		json_object_set_new(o, "exitCode", json_integer(code));
	return o;
}

static int s_setup(struct sup *s, int lock, struct err *e)
{
	char *path = xasprintf("%s/spec.json", s->run_dir);
	json_error_t je;
	s->spec = json_load_file(path, 0, &je);
	free(path);
	if (!s->spec)
		return err_set(e, ERR_IO, "%.200s/spec.json: %.200s", s->run_dir, je.text);
	if (lock >= 0) {
		/* Inherited from the executor, already locked: no moment without it. */
		fcntl(lock, F_SETFD, FD_CLOEXEC);
	} else {
		path = xasprintf("%s/lock", s->run_dir);
		lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		free(path);
		if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0)
			return err_set(e, ERR_CONFLICT, "%.200s is supervised already",
				       s->run_dir);
	}
	path = xasprintf("%s/control", s->run_dir);
	s->ctl_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (s->ctl_fd < 0)
		return err_errno(e, errno, "%.200s/control", s->run_dir);
	/* Reserve the status file's space now, so the result can be written even
	 * when the build fills the disk. */
	path = xasprintf("%s/status.json.tmp", s->run_dir);
	s->result_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	free(path);
	if (s->result_fd >= 0 && posix_fallocate(s->result_fd, 0, 4096) != 0) {
		close(s->result_fd);
		s->result_fd = -1;
	}
	s->log = logstore_open(s_str(s->spec, "spool"), LOGSTORE_WRITE, e);
	if (!s->log)
		return -1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* A build is background work: the console an operator types into comes
	 * first when they share the machine's cores. */
	if (setpriority(PRIO_PROCESS, 0, SUPERVISE_NICE) < 0) {
		/* not allowed to change it: the build runs at the caller's priority */
	}
	s->give_up_ms = json_integer_value(json_object_get(s->spec, "spoolRetryMs"));
	if (s->give_up_ms <= 0)
		s->give_up_ms = SPOOL_GIVE_UP_MS;
	s->grace_ms = json_integer_value(json_object_get(s->spec, "graceMs"));
	if (s->grace_ms <= 0)
		s->grace_ms = SUPERVISE_KILL_GRACE_MS;
	return 0;
}

/* Writes the status into the reserved file and renames it into place (no new
 * space needed); without a reservation, an ordinary atomic write. */
static int s_write_status(struct sup *s, const char *path, const char *text, struct err *e)
{
	if (s->result_fd < 0)
		return fsutil_write_atomic(path, text, strlen(text), e);
	size_t len = strlen(text);
	char *tmp = xasprintf("%s/status.json.tmp", s->run_dir);
	int rc = 0;
	if (pwrite(s->result_fd, text, len, 0) != (ssize_t)len || ftruncate(s->result_fd, (off_t)len) < 0 ||
	    fsync(s->result_fd) < 0 || rename(tmp, path) < 0)
		rc = err_errno(e, errno, "cannot write %.300s", path);
	close(s->result_fd);
	s->result_fd = -1;
	free(tmp);
	return rc;
}

/* The follow-up command (finalising the build and starting queued ones), run
 * in this process so that nothing is left behind. */
static void s_then_exec(json_t *argv_json)
{
	size_t n = json_array_size(argv_json);
	if (n == 0)
		return;
	char **argv = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		argv[i] = (char *)json_string_value(json_array_get(argv_json, i));
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	fflush(NULL);
	execv(argv[0], argv);
	fprintf(stderr, "aftomato: cannot run %s: %s\n", argv[0], strerror(errno));
	free(argv);
}

int supervise_main(const char *run_dir, int lock_fd)
{
	struct sup s = {.run_dir = run_dir, .out_fd = -1, .ctl_fd = -1, .pid_fd = -1, .sig_fd = -1,
			.result_fd = -1};
	struct err e = {0};
	if (s_setup(&s, lock_fd, &e) < 0) {
		fprintf(stderr, "aftomato: %s\n", e.msg);
		json_decref(s.spec);
		logstore_unref(s.log);
		return 2;
	}
	s.buf = xmalloc(READ_CHUNK_BYTES);
	s.start_ms = timeutil_wall_ms();
	json_int_t timeout_s = json_integer_value(json_object_get(s.spec, "timeoutSeconds"));
	if (timeout_s > 0)
		s.deadline_ms = timeutil_mono_ms() + (int64_t)timeout_s * 1000;
	if (s_start(&s) < 0)
		s.failed = true;
	else
		s_loop(&s);
	logstore_finish(s.log);
	json_t *status = s_status(&s);
	char *text = json_dumps(status, JSON_COMPACT);
	char *path = xasprintf("%s/status.json", run_dir);
	int rc = s_write_status(&s, path, text, &e) < 0 ? 1 : 0;
	if (rc)
		fprintf(stderr, "aftomato: %s\n", e.msg);
	free(path);
	free(text);
	json_decref(status);
	logstore_unref(s.log);
	free(s.buf);
	free(s.pending);
	if (rc == 0)
		s_then_exec(json_object_get(s.spec, "thenExec"));
	json_decref(s.spec);
	return rc;
}
