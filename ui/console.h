/* console: the ncurses operator console. */
#ifndef AFTOMATO_CONSOLE_H
#define AFTOMATO_CONSOLE_H

#include <stdbool.h>

#include "profile.h"

struct worker;

struct console_opts {
	const struct profile *profile;
	int sig_fd;      /* signalfd for SIGINT/SIGTERM/SIGHUP (blocked in every thread) */
	const char *who; /* "user@host", recorded as triggeredBy */
	/* Where themes are looked up, in order (the user's directory first, then
	 * the shipped one); NULL-terminated. */
	const char *const *theme_dirs;
	const char *state_dir; /* $XDG_STATE_HOME/aftomato: prompt history */
	const char *where;     /* where builds run (MSG_READY's description), or NULL */
	bool insecure;         /* the executor's TLS certificate is not verified */
};

/* Runs the console on a started worker until the user quits. Returns the exit
 * status. */
int console_run(struct worker *w, const struct console_opts *o);

#endif
