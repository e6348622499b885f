/* term: the terminal under the console. Sets ncurses up and restores the
 * terminal on every way out: term_stop on a normal exit (q, Ctrl-C, SIGTERM,
 * SIGHUP arrive as signalfd events in the loop), an atexit handler if the
 * process exits without it, and a handler for crash signals (SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL, SIGABRT) that writes the saved reset sequences and
 * the saved terminal modes with async-signal-safe calls, then re-raises. */
#ifndef AFTOMATO_TERM_H
#define AFTOMATO_TERM_H

#include <stdbool.h>
#include <stddef.h>

/* Starts ncurses on the terminal (stdin/stdout): cbreak, no echo, keypad,
 * non-blocking reads, short Esc delay, hidden cursor. Returns 0 or -1. */
int term_start(void);
/* Restores the terminal (idempotent). */
void term_stop(void);
/* Mouse reporting on/off (the reset sequence then turns it off too). */
void term_set_mouse(bool on);
/* Writes bytes straight to the terminal after what ncurses has sent (OSC 52). */
void term_write_raw(const char *s, size_t n);

#endif
