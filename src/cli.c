#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "console.h"
#include "msg.h"
#include "version.h"
#include "wiring.h"
#include "worker.h"
#include "xmem.h"

#define STOP_DRAIN_MS	   30000
#define RECONCILE_DRAIN_MS 120000

static const char s_usage[] =
    "usage: aftomato [--profile NAME] [--config FILE] [COMMAND]\n"
    "\n"
    "With no command, opens the console.\n"
    "\n"
    "commands:\n"
    "  projects [--json]                        list the projects of the build-scripts repository\n"
    "  build PROJECT [--branch REF] [--follow]  start a build; prints its ID first\n"
    "  builds PROJECT [--limit N] [--json]      a project's builds, newest first\n"
    "  show BUILD [--json]                      one build\n"
    "  logs BUILD [--follow]                    a build's console log\n"
    "  artifacts BUILD [--json]                 a build's artifacts\n"
    "  artifacts get BUILD PATH [-o FILE]       download an artifact (to stdout without -o)\n"
    "  artifacts push BUILD DIR                 upload a directory as a build's artifacts\n"
    "  cancel BUILD                             stop a queued or running build\n"
    "  retrigger BUILD [--follow]               start the same project and branch again\n"
    "\n"
    "BUILD is a build ID or a unique prefix of one. With --follow the exit status is\n"
    "the build's: 0 succeeded, 1 failed, 3 cancelled, timed out or errored; 2 means\n"
    "a usage or configuration error.\n";

int cli_failf(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("aftomato: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

int cli_fail(const struct err *e)
{
	int status = CLI_EXIT_FAILED;
	switch (e->code) {
	case ERR_USAGE:
	case ERR_CONFIG:
	case ERR_NOTFOUND:
	case ERR_AMBIGUOUS:
		status = CLI_EXIT_USAGE;
		break;
	default:
		break;
	}
	return cli_failf(status, "%s", e->msg[0] ? e->msg : err_code_name(e->code));
}

int cli_parse(int argc, char **argv, const char *allowed, struct cli_args *a)
{
	static const struct option all[] = {
	    {"json", no_argument, NULL, 'j'},	      {"follow", no_argument, NULL, 'f'},
	    {"limit", required_argument, NULL, 'l'},  {"branch", required_argument, NULL, 'b'},
	    {"output", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
	};
	struct option longopts[6] = {{0}};
	char shortopts[16] = ":";
	size_t nl = 0;
	for (const struct option *o = all; o->name; o++)
		if (strchr(allowed, o->val)) {
			longopts[nl++] = *o;
			size_t k = strlen(shortopts);
			shortopts[k] = (char)o->val;
			if (o->has_arg)
				shortopts[k + 1] = ':';
		}
	memset(a, 0, sizeof(*a));
	/* getopt wants argv[0] to be a program name: start one before. */
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc + 1, argv - 1, shortopts, longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 'f':
			a->follow = true;
			break;
		case 'b':
			a->branch = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'l':
			a->limit = (int)strtol(optarg, &end, 10);
			if (*end || a->limit <= 0)
				return cli_failf(-1, "--limit needs a positive number, not '%s'",
						 optarg);
			break;
		case ':':
			return cli_failf(-1, "%s needs a value (see aftomato --help)",
					 argv[optind - 2]);
		default:
			return cli_failf(-1, "unknown option %s (see aftomato --help)",
					 argv[optind - 2]);
		}
	}
	for (int i = optind - 1; i < argc; i++) {
		if (a->n == (int)(sizeof(a->pos) / sizeof(a->pos[0])))
			return cli_failf(-1, "too many arguments");
		a->pos[a->n++] = argv[i];
	}
	return 0;
}

char *cli_who(void)
{
	const char *user = getenv("USER");
	struct passwd *pw = user ? NULL : getpwuid(getuid());
	char host[HOST_NAME_MAX + 1] = "localhost";
	gethostname(host, sizeof(host) - 1);
	return xasprintf("%s@%s", user ? user : pw ? pw->pw_name : "unknown", host);
}

struct msg *cli_next(struct cli *c, int timeout_ms)
{
	for (;;) {
		struct msg *m = worker_recv(c->worker);
		if (m)
			return m;
		struct pollfd p[2] = {{.fd = worker_fd(c->worker), .events = POLLIN},
				      {.fd = c->sig_fd, .events = POLLIN}};
		int r = poll(p, 2, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(c->sig_fd, &si, sizeof(si)) > 0) {
				c->interrupted = true;
				return NULL;
			}
		}
		if (p[0].revents & POLLIN)
			worker_ack(c->worker);
	}
}

struct msg *cli_call(struct cli *c, struct msg *m)
{
	uint64_t id = m->id = ++c->next_id;
	worker_send(c->worker, m);
	for (;;) {
		struct msg *r = cli_next(c, -1);
		if (!r)
			return NULL;
		if (r->reply && r->id == id)
			return r;
		if (r->type == MSG_NOTICE)
			fprintf(stderr, "aftomato: %s\n", r->err.msg);
		msg_free(r);
	}
}

static int s_start_worker(struct cli *c, struct wiring *wr)
{
	struct err e = {0};
	c->worker = worker_start(&c->profile, wiring_make, wr, &e);
	if (!c->worker)
		return cli_fail(&e);
	for (;;) {
		struct msg *m = cli_next(c, -1);
		if (!m)
			return CLI_EXIT_INTERRUPT;
		if (m->type != MSG_READY) {
			msg_free(m);
			continue;
		}
		int rc = m->rc < 0 ? cli_fail(&m->err) : 0;
		c->where = m->path;
		m->path = NULL;
		c->insecure = m->insecure;
		msg_free(m);
		return rc;
	}
}

static int s_reconcile(struct cli *c)
{
	struct msg *r = cli_call(c, msg_new(MSG_RECONCILE));
	msg_free(r);
	return 0;
}

static int s_artifacts(struct cli *c, int argc, char **argv)
{
	return cli_show_artifacts(c, argc, argv);
}

static char *s_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/aftomato", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.local/state/aftomato", home ? home : "/tmp");
}

static int s_console(struct cli *c)
{
	char *who = cli_who();
	char *user_themes = config_user_themes_dir();
	char *shipped_themes = config_themes_dir();
	char *state = s_state_dir();
	const char *dirs[3] = {NULL, NULL, NULL};
	int n = 0;
	if (user_themes)
		dirs[n++] = user_themes;
	if (shipped_themes)
		dirs[n++] = shipped_themes;
	struct console_opts o = {
	    .profile = &c->profile,
	    .sig_fd = c->sig_fd,
	    .who = who,
	    .theme_dirs = dirs,
	    .state_dir = state,
	    .where = c->where,
	    .insecure = c->insecure,
	};
	int rc = console_run(c->worker, &o);
	free(who);
	free(user_themes);
	free(shipped_themes);
	free(state);
	return rc;
}

struct s_cmd {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
};

static const struct s_cmd s_cmds[] = {
    {"projects", cli_show_projects},
    {"build", cli_build_build},
    {"builds", cli_show_builds},
    {"show", cli_show_show},
    {"logs", cli_build_logs},
    {"artifacts", s_artifacts},
    {"cancel", cli_build_cancel},
    {"retrigger", cli_build_retrigger},
    {NULL, NULL},
};

/* --profile X, --profile=X, --config X, --config=X */
static int s_global_opt(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*out = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

static int s_parse_globals(int argc, char **argv, int *i, const char **config, const char **prof)
{
	for (; *i < argc && argv[*i][0] == '-'; (*i)++) {
		const char *a = argv[*i];
		int r;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(s_usage, stdout);
			return CLI_EXIT_OK + 1000;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("aftomato %s\n", version_string());
			return CLI_EXIT_OK + 1000;
		}
		if ((r = s_global_opt(argc, argv, i, "--profile", prof)) ||
		    (r = s_global_opt(argc, argv, i, "--config", config))) {
			if (r < 0)
				return cli_failf(CLI_EXIT_USAGE, "%s needs a value", a);
			continue;
		}
		return cli_failf(CLI_EXIT_USAGE, "unknown option %s (see aftomato --help)", a);
	}
	return -1;
}

static void s_signals(struct cli *c)
{
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	c->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cli_main(int argc, char **argv)
{
	struct cli c = {.sig_fd = -1};
	const char *config = NULL, *prof = NULL;
	int i = 1;
	int rc = s_parse_globals(argc, argv, &i, &config, &prof);
	if (rc >= 1000)
		return rc - 1000;
	if (rc >= 0)
		return rc;
	const char *cmd = i < argc ? argv[i] : NULL;
	const struct s_cmd *found = NULL;
	for (const struct s_cmd *k = s_cmds; cmd && k->name; k++)
		if (strcmp(k->name, cmd) == 0)
			found = k;
	bool reconcile = cmd && strcmp(cmd, "__reconcile") == 0;
	if (cmd && !found && !reconcile)
		return cli_failf(CLI_EXIT_USAGE, "unknown command '%s' (see aftomato --help)", cmd);
	struct err e = {0};
	if (config_load(config, prof, &c.profile, &e) < 0)
		return cli_fail(&e);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	c.self_exe = self;
	struct wiring wr = {.self_exe = self, .then_reconcile = 1};
	s_signals(&c);
	if (!cmd && (!isatty(0) || !isatty(1))) {
		rc = cli_failf(CLI_EXIT_USAGE, "the console needs a terminal (see aftomato --help "
					       "for the commands)");
		goto out;
	}
	rc = s_start_worker(&c, &wr);
	if (rc != 0)
		goto out;
	if (reconcile)
		rc = s_reconcile(&c);
	else if (found)
		rc = found->fn(&c, argc - i - 1, argv + i + 1);
	else
		rc = s_console(&c);
out:;
	/* Notices sent while the worker finished its work are still worth a line. */
	struct msg *left =
	    worker_stop_collect(c.worker, reconcile ? RECONCILE_DRAIN_MS : STOP_DRAIN_MS);
	while (left) {
		struct msg *next = left->next;
		if (left->type == MSG_NOTICE && !reconcile)
			fprintf(stderr, "aftomato: %s\n", left->err.msg);
		msg_free(left);
		left = next;
	}
	profile_cleanup(&c.profile);
	free(c.where);
	if (c.sig_fd >= 0)
		close(c.sig_fd);
	return rc;
}
