#include "term.h"

#include <ncurses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#define RESET_MAX 512

static struct termios s_saved;
static bool s_have_saved;
static volatile sig_atomic_t s_active;
static char s_reset[RESET_MAX];
static size_t s_reset_len;
static bool s_mouse;
static bool s_atexit_set;
static SCREEN *s_screen;

static const int s_crash_sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define N_CRASH (sizeof(s_crash_sigs) / sizeof(s_crash_sigs[0]))

static void s_append_cap(const char *cap)
{
	char *v = tigetstr((char *)cap);
	if (!v || v == (char *)-1)
		return;
	size_t n = strlen(v);
	if (s_reset_len + n < RESET_MAX) {
		memcpy(s_reset + s_reset_len, v, n);
		s_reset_len += n;
	}
}

static void s_append(const char *s)
{
	size_t n = strlen(s);
	if (s_reset_len + n < RESET_MAX) {
		memcpy(s_reset + s_reset_len, s, n);
		s_reset_len += n;
	}
}

/* The bytes that put the terminal back: attributes off, cursor visible,
 * keypad off, mouse off, back from the alternate screen. */
static void s_build_reset(void)
{
	s_reset_len = 0;
	s_append_cap("sgr0");
	s_append_cap("cnorm");
	s_append_cap("rmkx");
	if (s_mouse)
		s_append("\033[?1000l\033[?1002l\033[?1003l\033[?1006l");
	s_append_cap("rmcup");
	s_append("\r\n");
}

/* Async-signal-safe: write(2) and tcsetattr(3) only. */
static void s_emergency_restore(void)
{
	if (!s_active)
		return;
	s_active = 0;
	size_t off = 0;
	while (off < s_reset_len) {
		ssize_t w = write(STDOUT_FILENO, s_reset + off, s_reset_len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (s_have_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &s_saved);
}

static void s_crash(int sig)
{
	s_emergency_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void s_at_exit(void)
{
	s_emergency_restore();
}

static void s_handlers(bool on)
{
	for (size_t i = 0; i < N_CRASH; i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on ? s_crash : SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = on ? (SA_RESETHAND | SA_NODEFER) : 0;
		sigaction(s_crash_sigs[i], &sa, NULL);
	}
}

int term_start(void)
{
	s_have_saved = tcgetattr(STDIN_FILENO, &s_saved) == 0;
	/* TERM=dumb (or none) cannot address the cursor: such a TERM is nearly
	 * always a setting that leaked into a real terminal, so talk to it as
	 * the plainest of those, a VT100, without colours (draw.c sees the
	 * original TERM and draws monochrome). */
	const char *term = getenv("TERM");
	bool plain = !term || !*term || strcmp(term, "dumb") == 0;
	SCREEN *scr = newterm(plain ? "vt100" : NULL, stdout, stdin);
	if (!scr && !plain)
		scr = newterm("vt100", stdout, stdin);
	if (!scr)
		return -1;
	set_term(scr);
	s_screen = scr;
	/* ncurses 6.4 flushes its output at every cursor move until the screen
	 * has once been left and resumed (it takes a screen never suspended for
	 * one driven by a bare terminfo program): a frame would cost a write(2)
	 * per changed run of cells, each waking the terminal or sshd. Leaving
	 * and resuming once, before anything is drawn, makes a frame one write. */
	endwin();
	refresh();
	/* finish every frame even while keys wait: the loop reads them next */
	typeahead(-1);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	set_escdelay(25);
	curs_set(0);
	leaveok(stdscr, FALSE);
	s_build_reset();
	s_active = 1;
	s_handlers(true);
	if (!s_atexit_set) {
		atexit(s_at_exit);
		s_atexit_set = true;
	}
	return 0;
}

void term_stop(void)
{
	if (!s_active)
		return;
	if (s_mouse) {
		mousemask(0, NULL);
		s_mouse = false;
	}
	curs_set(1);
	endwin();
	if (s_screen) {
		delscreen(s_screen);
		s_screen = NULL;
	}
	s_active = 0;
	s_handlers(false);
	if (s_have_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &s_saved);
}

void term_set_mouse(bool on)
{
	s_mouse = on;
	s_build_reset();
}

void term_write_raw(const char *s, size_t n)
{
	fflush(stdout);
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(STDOUT_FILENO, s + off, n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}
