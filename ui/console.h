/* console: the ncurses operator console. */
#ifndef AFTOMATO_CONSOLE_H
#define AFTOMATO_CONSOLE_H

#include "profile.h"

struct worker;

/* Runs the console on a started worker until the user quits. sig_fd is a
 * signalfd for SIGINT/SIGTERM/SIGHUP (blocked in every thread); who is the
 * "user@host" recorded as triggeredBy. Returns the exit status. */
int console_run(struct worker *w, const struct profile *p, int sig_fd, const char *who);

#endif
