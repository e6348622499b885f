/* cli: the command line (DESIGN.md §2): global options, the console, and the
 * headless subcommands, which use the same worker thread as the console. */
#ifndef AFTOMATO_CLI_H
#define AFTOMATO_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "profile.h"

struct msg;
struct worker;

/* Exit statuses. */
#define CLI_EXIT_OK        0
#define CLI_EXIT_FAILED    1 /* a failed build, or a command that failed */
#define CLI_EXIT_USAGE     2 /* usage or configuration error */
#define CLI_EXIT_ABNORMAL  3 /* cancelled, timed out or errored build */
#define CLI_EXIT_INTERRUPT 130

struct cli {
	struct profile profile;
	struct worker *worker;
	uint64_t next_id;
	int sig_fd;       /* SIGINT/SIGTERM/SIGHUP while a command waits */
	bool interrupted;
	const char *self_exe;
	char *where;   /* MSG_READY: where builds run */
	bool insecure; /* MSG_READY: TLS not verified */
};

/* Runs aftomato with argv; returns the exit status. */
int cli_main(int argc, char **argv);

/* Prints "aftomato: <message>" on stderr and returns the exit status for the
 * error's code. */
int cli_fail(const struct err *e);
int cli_failf(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends m and waits for its reply (events meanwhile: notices go to stderr,
 * others to on_event when set). Returns the reply (caller frees), or NULL when
 * interrupted by a signal. */
struct msg *cli_call(struct cli *c, struct msg *m);
/* Waits up to timeout_ms (-1: forever) for the next event or reply; NULL on
 * timeout or interruption. */
struct msg *cli_next(struct cli *c, int timeout_ms);

/* The options of a subcommand and its positional arguments. */
struct cli_args {
	bool json, follow;
	int limit;          /* --limit N; 0 when absent */
	const char *branch; /* --branch REF */
	const char *output; /* -o FILE */
	int n;              /* positional arguments */
	char *pos[4];
};
/* Parses argv (the arguments after the subcommand) accepting the options
 * named in `allowed`: 'j' --json, 'f' --follow, 'l' --limit N, 'b' --branch
 * REF, 'o' -o/--output FILE. Returns 0, or -1 after printing one line for a
 * bad option or value. */
int cli_parse(int argc, char **argv, const char *allowed, struct cli_args *a);

/* "user@host" for triggeredBy. Caller frees. */
char *cli_who(void);

/* The subcommands (cli_build.c, cli_show.c): argc/argv start after the
 * subcommand name. */
int cli_build_build(struct cli *c, int argc, char **argv);
int cli_build_retrigger(struct cli *c, int argc, char **argv);
int cli_build_logs(struct cli *c, int argc, char **argv);
int cli_build_cancel(struct cli *c, int argc, char **argv);
int cli_show_projects(struct cli *c, int argc, char **argv);
int cli_show_builds(struct cli *c, int argc, char **argv);
int cli_show_show(struct cli *c, int argc, char **argv);
int cli_show_artifacts(struct cli *c, int argc, char **argv);

#endif
