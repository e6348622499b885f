/* cli_build: the subcommands that start, follow and stop builds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fsutil.h"
#include "logstore.h"
#include "msg.h"
#include "worker.h"
#include "xmem.h"

#define COPY_BYTES     (4u << 20)
#define CANCEL_WAIT_MS 60000

/* Following a build: its log bytes to stdout until the log is complete and
 * the record final. */
struct follow {
	struct cli *c;
	char id[BUILD_ID_LEN + 1];
	struct logstore *log;
	uint64_t printed;
	bool log_done, final, stdout_gone;
	bool reopened; /* asked for the archived log of a build that never ran */
	struct build *build;
	struct err log_err, record_err;
	bool log_failed, record_failed;
};

static void s_copy(struct follow *f)
{
	if (!f->log || f->stdout_gone)
		return;
	for (;;) {
		size_t n = 0;
		struct err e = {0};
		if (logstore_send(f->log, f->printed, 1, COPY_BYTES, &n, &e) < 0) {
			f->stdout_gone = true; /* e.g. piped into head */
			return;
		}
		if (n == 0)
			return;
		f->printed += n;
	}
}

/* The log is complete. With AFTOMATO_TIMING set (benchmarks), says when, on
 * stderr, so the time through the log store can be told from the archiving
 * that follows. */
static void s_log_complete(struct follow *f)
{
	if (f->log_done)
		return;
	f->log_done = true;
	if (getenv("AFTOMATO_TIMING")) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		fprintf(stderr, "aftomato: timing: log complete at %lld.%09ld, %llu bytes\n",
			(long long)ts.tv_sec, ts.tv_nsec, (unsigned long long)f->printed);
	}
}

static void s_take_build(struct follow *f, struct build *b)
{
	build_free(f->build);
	f->build = b;
	f->final = !build_status_active(b->status);
}

static void s_on_event(struct follow *f, struct msg *m)
{
	if (m->type == MSG_LOG_GREW && !m->path && m->build_ref &&
	    strcmp(m->build_ref, f->id) == 0) {
		if (m->log && m->log != f->log) {
			logstore_unref(f->log);
			f->log = m->log;
			m->log = NULL;
		}
		if (m->rc < 0) {
			f->log_failed = true;
			f->log_err = m->err;
		}
		s_copy(f);
		if (f->log && logstore_is_finished(f->log)) {
			s_copy(f);
			s_log_complete(f);
		}
	} else if (m->type == MSG_BUILD_CHANGED && strcmp(m->build->id, f->id) == 0) {
		if (m->rc < 0) {
			f->record_failed = true;
			f->record_err = m->err;
		}
		s_take_build(f, m->build);
		m->build = NULL;
		if (f->final && !f->log && !f->reopened && !f->record_failed) {
			/* It ended without running (cancelled while queued, or its
			 * start failed): its log is the archived one. */
			struct msg *o = msg_new(MSG_LOG_OPEN);
			o->build_ref = xstrdup(f->id);
			worker_send(f->c->worker, o);
			f->reopened = true;
		}
	} else if (m->reply && m->type == MSG_LOG_OPEN) {
		if (m->rc < 0) {
			f->log_failed = true;
			f->log_err = m->err;
			f->log_done = true;
		} else if (m->log && m->log != f->log) {
			logstore_unref(f->log);
			f->log = m->log;
			m->log = NULL;
			s_copy(f);
			if (logstore_is_finished(f->log))
				s_log_complete(f);
		}
	} else if (m->type == MSG_NOTICE) {
		fprintf(stderr, "aftomato: %s\n", m->err.msg);
	}
}

static int s_summary(struct follow *f)
{
	if (f->log_failed)
		return cli_fail(&f->log_err);
	if (f->record_failed)
		return cli_failf(CLI_EXIT_ABNORMAL, "%s", f->record_err.msg);
	struct build *b = f->build;
	int status = build_exit_code(b->status);
	if (b->status == BUILD_SUCCEEDED)
		return status;
	fprintf(stderr, "aftomato: build %.8s %s%s%s\n", b->id, build_status_name(b->status),
		b->status_message ? ": " : "", b->status_message ? b->status_message : "");
	return status;
}

/* Streams the log of build id; with wait_end, until the build has ended. */
static int s_follow(struct cli *c, const char *ref, bool wait_end)
{
	struct follow f = {.c = c};
	struct msg *m = msg_new(MSG_LOG_OPEN);
	m->build_ref = xstrdup(ref);
	struct msg *r = cli_call(c, m);
	int rc;
	if (!r) {
		rc = CLI_EXIT_INTERRUPT;
		goto out;
	}
	if (r->rc < 0) {
		rc = cli_fail(&r->err);
		msg_free(r);
		goto out;
	}
	memcpy(f.id, r->build->id, sizeof(f.id));
	s_take_build(&f, r->build);
	r->build = NULL;
	f.log = r->log;
	r->log = NULL;
	msg_free(r);
	s_copy(&f);
	/* Without --follow, a live log is shown as it is now; an archived log is
	 * shown whole once fetched. */
	bool snapshot = !wait_end && build_status_active(f.build->status);
	if (f.log && logstore_is_finished(f.log))
		s_log_complete(&f);
	while (!snapshot && !(f.log_done && (f.final || !wait_end)) && !f.stdout_gone) {
		struct msg *ev = cli_next(c, -1);
		if (!ev) {
			if (c->interrupted)
				break;
			continue;
		}
		s_on_event(&f, ev);
		msg_free(ev);
	}
	if (c->interrupted) {
		fprintf(stderr,
			"aftomato: stopped following; build %.8s goes on (aftomato logs %.8s "
			"--follow)\n",
			f.id, f.id);
		rc = CLI_EXIT_INTERRUPT;
	} else if (f.stdout_gone || !wait_end) {
		rc = f.log_failed ? cli_fail(&f.log_err) : CLI_EXIT_OK;
	} else {
		rc = s_summary(&f);
	}
	m = msg_new(MSG_LOG_CLOSE);
	m->build_ref = xstrdup(f.id);
	worker_send(c->worker, m);
out:
	logstore_unref(f.log);
	build_free(f.build);
	return rc;
}

static int s_start(struct cli *c, struct msg *m, bool follow)
{
	m->triggered_by = cli_who();
	struct msg *r = cli_call(c, m);
	if (!r)
		return CLI_EXIT_INTERRUPT;
	if (r->rc < 0) {
		int rc = cli_fail(&r->err);
		msg_free(r);
		return rc;
	}
	char id[BUILD_ID_LEN + 1];
	memcpy(id, r->build->id, sizeof(id));
	printf("%s\n", id);
	fflush(stdout);
	msg_free(r);
	return follow ? s_follow(c, id, true) : CLI_EXIT_OK;
}

int cli_build_build(struct cli *c, int argc, char **argv)
{
	struct cli_args a;
	if (cli_parse(argc, argv, "bf", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n != 1)
		return cli_failf(CLI_EXIT_USAGE, "usage: aftomato build PROJECT [--branch REF] "
						 "[--follow]");
	struct msg *m = msg_new(MSG_BUILD_START);
	m->project = xstrdup(a.pos[0]);
	m->branch = xstrdup(a.branch);
	return s_start(c, m, a.follow);
}

int cli_build_retrigger(struct cli *c, int argc, char **argv)
{
	struct cli_args a;
	if (cli_parse(argc, argv, "f", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n != 1)
		return cli_failf(CLI_EXIT_USAGE, "usage: aftomato retrigger BUILD [--follow]");
	struct msg *m = msg_new(MSG_RETRIGGER);
	m->build_ref = xstrdup(a.pos[0]);
	return s_start(c, m, a.follow);
}

int cli_build_logs(struct cli *c, int argc, char **argv)
{
	struct cli_args a;
	if (cli_parse(argc, argv, "f", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n != 1)
		return cli_failf(CLI_EXIT_USAGE, "usage: aftomato logs BUILD [--follow]");
	return s_follow(c, a.pos[0], a.follow);
}

int cli_build_cancel(struct cli *c, int argc, char **argv)
{
	struct cli_args a;
	if (cli_parse(argc, argv, "", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n != 1)
		return cli_failf(CLI_EXIT_USAGE, "usage: aftomato cancel BUILD");
	struct msg *m = msg_new(MSG_CANCEL);
	m->build_ref = xstrdup(a.pos[0]);
	struct msg *r = cli_call(c, m);
	if (!r)
		return CLI_EXIT_INTERRUPT;
	if (r->rc < 0) {
		int rc = cli_fail(&r->err);
		msg_free(r);
		return rc;
	}
	struct build *b = r->build;
	r->build = NULL;
	msg_free(r);
	/* A running build stops after SIGTERM (or SIGKILL after the grace
	 * period): wait for its end so the answer is the real outcome. */
	while (build_status_active(b->status)) {
		struct msg *ev = cli_next(c, CANCEL_WAIT_MS);
		if (!ev)
			break;
		if (ev->type == MSG_BUILD_CHANGED && strcmp(ev->build->id, b->id) == 0) {
			build_free(b);
			b = ev->build;
			ev->build = NULL;
		}
		msg_free(ev);
	}
	int rc = CLI_EXIT_OK;
	if (build_status_active(b->status))
		rc = cli_failf(CLI_EXIT_FAILED, "build %.8s was asked to stop but is still %s",
			       b->id, build_status_name(b->status));
	else
		printf("%s %s\n", b->id, build_status_name(b->status));
	build_free(b);
	return rc;
}
