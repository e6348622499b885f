#include "credproc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "awsclient.h"
#include "awsutil.h"
#include "evloop.h"
#include "xmem.h"

#define OUT_MAX_BYTES (64u << 10)
#define ERR_MAX_BYTES (4u << 10)
#define REAP_POLL_MS  20

extern char **environ;

struct s_stream {
	int fd;
	struct evloop_fd *w;
	char *buf;
	size_t len, max;
	bool eof;
};

struct s_proc {
	struct awsclient *client;
	char *profile;
	creds_fn done;
	void *ctx;
	pid_t pid;
	int pidfd;
	struct evloop_fd *pidw;
	struct evloop_timer *timeout, *reap_timer;
	bool exited, killed;
	int status;
	struct s_stream out, err;
};

int credproc_parse(const char *text, size_t len, struct creds *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	int rc = -1;
	if (!json_is_object(j)) {
		err_set(e, ERR_PROTO, "the output is not a JSON object");
		goto out;
	}
	json_t *ver = json_object_get(j, "Version");
	const char *akid = json_string_value(json_object_get(j, "AccessKeyId"));
	const char *secret = json_string_value(json_object_get(j, "SecretAccessKey"));
	const char *token = json_string_value(json_object_get(j, "SessionToken"));
	const char *exp = json_string_value(json_object_get(j, "Expiration"));
	int64_t exp_ms = 0;
	if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		err_set(e, ERR_PROTO, "the output has no \"Version\": 1");
	else if (!akid || !*akid || !secret || !*secret)
		err_set(e, ERR_PROTO, "the output has no AccessKeyId and SecretAccessKey");
	else if (exp && awsutil_parse_iso8601(exp, &exp_ms) < 0)
		err_set(e, ERR_PROTO, "bad Expiration '%.40s'", exp);
	else
		rc = 0;
	if (rc == 0)
		creds_set(out, akid, secret, token, exp_ms);
	if (secret)
		memset((char *)secret, 0, strlen(secret));
out:
	json_decref(j);
	return rc;
}

static void s_stream_close(struct s_proc *p, struct s_stream *s)
{
	if (s->w)
		evloop_unwatch(awsclient_loop(p->client), s->w);
	s->w = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void s_free(struct s_proc *p)
{
	struct evloop *l = awsclient_loop(p->client);
	s_stream_close(p, &p->out);
	s_stream_close(p, &p->err);
	if (p->pidw)
		evloop_unwatch(l, p->pidw);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->timeout)
		evloop_timer_cancel(l, p->timeout);
	if (p->reap_timer)
		evloop_timer_cancel(l, p->reap_timer);
	if (p->out.buf) {
		memset(p->out.buf, 0, p->out.len);
		free(p->out.buf);
	}
	free(p->err.buf);
	free(p->profile);
	free(p);
}

static void s_finish(struct s_proc *p)
{
	struct creds c = {0};
	struct err e = {0};
	char first[200] = "";
	if (p->err.buf)
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(p->err.buf, "\r\n"),
			 p->err.buf);
	if (p->killed) {
		err_set(&e, ERR_AUTH,
			"credential_process of AWS profile %.100s did not finish in %d s",
			p->profile, CREDPROC_TIMEOUT_MS / 1000);
	} else if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0) {
		int code =
		    WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 128 + WTERMSIG(p->status);
		err_set(&e, ERR_AUTH,
			"credential_process of AWS profile %.100s exited with status %d%s%s",
			p->profile, code, first[0] ? ": " : "", first);
	} else if (credproc_parse(p->out.buf ? p->out.buf : "", p->out.len, &c, &e) < 0) {
		err_prefix(&e, "credential_process of AWS profile %.100s", p->profile);
		e.code = ERR_AUTH;
	} else {
		c.source = xasprintf("credential_process of profile %s", p->profile);
		p->done(p->ctx, 0, &c, NULL);
		creds_cleanup(&c);
		s_free(p);
		return;
	}
	p->done(p->ctx, -1, NULL, &e);
	s_free(p);
}

static void s_check_end(struct s_proc *p)
{
	if (p->exited && p->out.eof && p->err.eof)
		s_finish(p);
}

static void s_reap(struct s_proc *p)
{
	int st;
	pid_t r = waitpid(p->pid, &st, WNOHANG);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->exited = true;
		p->status = r == p->pid ? st : 0;
		if (p->pidw) {
			evloop_unwatch(awsclient_loop(p->client), p->pidw);
			p->pidw = NULL;
		}
	}
}

static void s_reap_tick(void *arg)
{
	struct s_proc *p = arg;
	p->reap_timer = NULL;
	s_reap(p);
	if (!p->exited) {
		p->reap_timer =
		    evloop_timer(awsclient_loop(p->client), REAP_POLL_MS, s_reap_tick, p);
		return;
	}
	s_check_end(p);
}

static void s_on_pidfd(void *ctx, int fd, short revents)
{
	struct s_proc *p = ctx;
	(void)fd;
	(void)revents;
	s_reap(p);
	if (p->exited)
		s_check_end(p);
}

static void s_on_read(struct s_proc *p, struct s_stream *s)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			s->eof = true;
			s_stream_close(p, s);
			if (p->out.eof && p->err.eof && !p->exited && !p->pidw && !p->reap_timer)
				s_reap_tick(p); /* no pidfd: poll for the exit */
			else
				s_check_end(p);
			return;
		}
		size_t keep = (size_t)n;
		if (s->len + keep > s->max)
			keep = s->max - s->len;
		s->buf = xrealloc(s->buf, s->len + keep + 1);
		memcpy(s->buf + s->len, buf, keep);
		s->len += keep;
		s->buf[s->len] = '\0';
	}
}

static void s_on_out(void *ctx, int fd, short revents)
{
	struct s_proc *p = ctx;
	(void)fd;
	(void)revents;
	s_on_read(p, &p->out);
}

static void s_on_err(void *ctx, int fd, short revents)
{
	struct s_proc *p = ctx;
	(void)fd;
	(void)revents;
	s_on_read(p, &p->err);
}

static void s_on_timeout(void *arg)
{
	struct s_proc *p = arg;
	p->timeout = NULL;
	p->killed = true;
	kill(p->pid, SIGKILL);
	/* A grandchild may keep the pipes open: stop reading them. */
	p->out.eof = p->err.eof = true;
	s_stream_close(p, &p->out);
	s_stream_close(p, &p->err);
	if (!p->pidw && !p->reap_timer && !p->exited)
		s_reap_tick(p);
	else
		s_check_end(p);
}

static void s_fail_later(void *arg)
{
	struct s_proc *p = arg;
	struct err e;
	p->reap_timer = NULL;
	err_set(&e, ERR_AUTH, "cannot run the credential_process of AWS profile %.100s: %s",
		p->profile, strerror(p->status));
	p->done(p->ctx, -1, NULL, &e);
	s_free(p);
}

static int s_spawn(struct s_proc *p, const char *command, int out_w, int err_w)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	posix_spawn_file_actions_adddup2(&fa, err_w, 2);
	/* The worker blocks every signal: the child must not inherit that. */
	sigset_t none, def;
	sigemptyset(&none);
	sigfillset(&def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = {"/bin/sh", "-c", (char *)command, NULL};
	int rc = posix_spawn(&p->pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

void credproc_run(struct awsclient *c, const char *command, const char *profile, creds_fn done,
		  void *ctx)
{
	struct evloop *l = awsclient_loop(c);
	struct s_proc *p = xcalloc(1, sizeof(*p));
	p->client = c;
	p->profile = xstrdup(profile);
	p->done = done;
	p->ctx = ctx;
	p->pidfd = -1;
	p->out = (struct s_stream){.fd = -1, .max = OUT_MAX_BYTES};
	p->err = (struct s_stream){.fd = -1, .max = ERR_MAX_BYTES};
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	int rc = 0;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		rc = errno;
	else
		rc = s_spawn(p, command, po[1], pe[1]);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	if (rc != 0) {
		if (po[0] >= 0)
			close(po[0]);
		if (pe[0] >= 0)
			close(pe[0]);
		p->status = rc;
		p->reap_timer = evloop_timer(l, 0, s_fail_later, p);
		return;
	}
	p->out.fd = po[0];
	p->err.fd = pe[0];
	fcntl(p->out.fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err.fd, F_SETFL, O_NONBLOCK);
	p->out.w = evloop_watch(l, p->out.fd, POLLIN, s_on_out, p);
	p->err.w = evloop_watch(l, p->err.fd, POLLIN, s_on_err, p);
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd >= 0)
		p->pidw = evloop_watch(l, p->pidfd, POLLIN, s_on_pidfd, p);
	p->timeout = evloop_timer(l, CREDPROC_TIMEOUT_MS, s_on_timeout, p);
}
