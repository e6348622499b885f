/* console: the main loop of the ncurses console. It owns the terminal: sets it
 * up, restores it on every exit path (q, Ctrl-C, SIGTERM, SIGHUP, crashes),
 * polls stdin, the worker's eventfd, the signal fds and a frame timer, feeds
 * keys and messages to the app, and draws the app's canvas at most ~30 times
 * a second, only when something changed. */
#include "console.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <ncurses.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "app.h"
#include "draw.h"
#include "fsutil.h"
#include "msg.h"
#include "project.h"
#include "prompt.h"
#include "term.h"
#include "theme.h"
#include "timeutil.h"
#include "worker.h"
#include "xmem.h"

#define FRAME_MS	33   /* at most ~30 frames a second for log growth and clocks */
#define URGENT_FRAME_MS 8    /* replies and events: sooner, still bounded */
#define WORK_BUDGET_US	4000 /* background work per loop turn */
#define MAX_KEYS_TURN	256  /* keys handled before drawing again */

struct console {
	struct worker *w;
	const struct console_opts *o;
	struct app *app;
	struct draw *draw;
	struct theme *theme;
	char **theme_names;
	struct prompt *p_cmd, *p_search, *p_ask;
	struct prompt *active;
	enum app_ask_kind asking;
	struct view_canvas canvas;
	int winch_fd;
	bool mouse;
	bool redraw_all;
	int64_t last_frame_ms;
};

/* --- app callbacks ------------------------------------------------------------ */

static void s_send(void *ctx, struct msg *m)
{
	struct console *c = ctx;
	worker_send(c->w, m);
}

static int s_set_theme(void *ctx, const char *name, char *why, size_t why_size)
{
	struct console *c = ctx;
	struct theme *t = NULL;
	struct err e = {0};
	if (theme_load(name, c->o->theme_dirs, &t, &e) < 0) {
		snprintf(why, why_size, "%s", e.msg);
		return -1;
	}
	draw_set_theme(c->draw, t);
	theme_free(c->theme);
	c->theme = t;
	c->redraw_all = true;
	return 0;
}

static void s_set_mouse(void *ctx, bool on)
{
	struct console *c = ctx;
	c->mouse = on;
	mousemask(on ? ALL_MOUSE_EVENTS : 0, NULL);
	term_set_mouse(on);
}

static void s_clipboard(void *ctx, const char *text)
{
	(void)ctx;
	size_t n = strlen(text);
	unsigned char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
	int len = EVP_EncodeBlock(b64, (const unsigned char *)text, (int)n);
	/* OSC 52: set the clipboard ("c") to the base64 text */
	char *seq = xasprintf("\033]52;c;%.*s\a", len, (const char *)b64);
	term_write_raw(seq, strlen(seq));
	free(seq);
	free(b64);
}

/* --- prompts ------------------------------------------------------------------- */

struct s_add_ctx {
	struct prompt_completion *pc;
};

static void s_add(void *ctx, const char *cand)
{
	struct s_add_ctx *a = ctx;
	prompt_complete_add(a->pc, cand);
}

static void s_complete(void *ud, struct prompt_completion *pc)
{
	struct console *c = ud;
	struct s_add_ctx ac = {pc};
	app_complete(c->app, c->asking, pc->word_index, pc->words, s_add, &ac);
}

static void s_prompt_done(void *ud, const char *line)
{
	struct console *c = ud;
	enum app_ask_kind kind = c->asking;
	c->active = NULL;
	c->asking = APP_ASK_NONE;
	app_answer(c->app, kind, line);
	c->app->dirty = true;
}

static void s_begin_ask(struct console *c)
{
	struct app_ask ask;
	if (!app_take_ask(c->app, &ask))
		return;
	struct prompt *p = c->p_ask;
	if (ask.kind == APP_ASK_COMMAND)
		p = c->p_cmd;
	else if (ask.kind == APP_ASK_SEARCH_FWD || ask.kind == APP_ASK_SEARCH_BACK ||
		 ask.kind == APP_ASK_FILTER)
		p = c->p_search;
	struct err e = {0};
	c->asking = ask.kind;
	c->active = p;
	if (prompt_begin(p, ask.label, ask.initial, s_prompt_done, c, &e) < 0) {
		c->active = NULL;
		c->asking = APP_ASK_NONE;
		app_error(c->app, "%s", e.msg);
	}
	free(ask.initial);
	c->app->dirty = true;
}

static int s_prompts_new(struct console *c, struct err *e)
{
	char *hist = prompt_history_path(c->o->state_dir);
	struct prompt_opts cmd = {.history_path = hist,
				  .history_max = PROMPT_HISTORY_MAX_DEFAULT,
				  .complete = s_complete,
				  .complete_ud = c};
	c->p_cmd = prompt_new(&cmd, e);
	if (!c->p_cmd) {
		/* an unreadable history file must not keep the console from starting */
		cmd.history_path = NULL;
		c->p_cmd = prompt_new(&cmd, e);
	}
	free(hist);
	struct prompt_opts search = {.history_max = 100};
	struct prompt_opts ask = {.history_max = 50, .complete = s_complete, .complete_ud = c};
	c->p_search = prompt_new(&search, e);
	c->p_ask = prompt_new(&ask, e);
	return c->p_cmd && c->p_search && c->p_ask ? 0 : -1;
}

/* --- drawing -------------------------------------------------------------------- */

static void s_paint(struct console *c)
{
	struct view_canvas *cv = &c->canvas;
	for (int y = 0; y < cv->rows; y++) {
		const struct view_row *row = &cv->row[y];
		for (size_t i = 0; i < row->n; i++) {
			const struct view_run *r = &row->runs[i];
			if (r->kind == VIEW_RUN_PROGRESS) {
				char label[256];
				snprintf(label, sizeof(label), "%.*s", (int)r->span.len,
					 r->span.text);
				draw_progress(c->draw, stdscr, y, r->x, r->width, r->done, r->total,
					      label);
			} else {
				draw_spans(c->draw, stdscr, y, r->x, r->width, 0, &r->span, 1);
			}
		}
	}
}

static void s_draw_prompt(struct console *c, int rows, int cols)
{
	if (!c->active || rows < 1) {
		curs_set(0);
		return;
	}
	size_t n = 0;
	const char *const *cands = prompt_candidates(c->active, &n);
	if (n > 0 && rows >= 2) {
		draw_fill(c->draw, stdscr, rows - 2, 0, cols, CELL_PROMPT);
		int x = 0;
		for (size_t i = 0; i < n && x < cols; i++) {
			x += draw_text(c->draw, stdscr, rows - 2, x, cols - x, CELL_PROMPT,
				       cands[i]);
			x += draw_text(c->draw, stdscr, rows - 2, x, cols - x, CELL_PROMPT, "  ");
		}
	}
	int cx = prompt_draw(c->active, c->draw, stdscr, rows - 1, 0, cols);
	if (cx >= 0) {
		move(rows - 1, cx);
		curs_set(1);
	}
}

static void s_frame(struct console *c)
{
	int rows = LINES, cols = COLS;
	app_render(c->app, &c->canvas, rows, cols);
	draw_frame_begin(c->draw);
	if (c->redraw_all) {
		clearok(curscr, TRUE);
		c->redraw_all = false;
	}
	werase(stdscr);
	s_paint(c);
	if (!c->app->layout.too_small)
		s_draw_prompt(c, rows, cols);
	else
		curs_set(0);
	wnoutrefresh(stdscr);
	doupdate();
	c->last_frame_ms = timeutil_mono_ms();
}

/* --- input ---------------------------------------------------------------------- */

static void s_mouse_event(struct console *c)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))
		app_click(c->app, ev.y, ev.x);
	if (ev.bstate & BUTTON4_PRESSED)
		for (int i = 0; i < 3; i++)
			app_on_key(c->app, KEY_UP);
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED)
		for (int i = 0; i < 3; i++)
			app_on_key(c->app, KEY_DOWN);
#endif
}

static void s_key(struct console *c, int key, bool is_code)
{
	if (c->active) {
		prompt_feed(c->active, key, is_code);
		c->app->dirty = true;
		return;
	}
	if (is_code && key == KEY_MOUSE) {
		s_mouse_event(c);
		return;
	}
	if (is_code && key == KEY_RESIZE) {
		c->app->dirty = true;
		return;
	}
	if (!is_code && key > 0x7f)
		return; /* no key binding uses one */
	if (!is_code && key == KEYMAP_CTRL('l'))
		c->redraw_all = true;
	app_on_key(c->app, key);
}

static void s_read_keys(struct console *c)
{
	for (int i = 0; i < MAX_KEYS_TURN; i++) {
		wint_t ch;
		int r = get_wch(&ch);
		if (r == ERR)
			break;
		s_key(c, (int)ch, r == KEY_CODE_YES);
		s_begin_ask(c);
		if (c->app->quit)
			break;
	}
}

static void s_resize(struct console *c)
{
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	c->redraw_all = true;
	c->app->dirty = true;
}

static void s_drain_worker(struct console *c)
{
	worker_ack(c->w);
	struct msg *m;
	while ((m = worker_recv(c->w)))
		app_on_msg(c->app, m);
}

/* --- the project shown last time (state_dir/last-project) ------------------------ */

static char *s_last_project_path(const struct console *c)
{
	return c->o->state_dir ? xasprintf("%s/last-project", c->o->state_dir) : NULL;
}

static char *s_last_project_read(const struct console *c)
{
	char *path = s_last_project_path(c);
	char *text = NULL;
	size_t len = 0;
	if (path && fsutil_read_all(path, 1024, &text, &len, NULL) == 0) {
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
			text[--len] = '\0';
		if (project_key_check(text, NULL) < 0) {
			free(text);
			text = NULL;
		}
	}
	free(path);
	return text;
}

static void s_last_project_write(const struct console *c)
{
	const char *key = c->app->builds.project;
	char *path = s_last_project_path(c);
	if (path && key && fsutil_mkdir_p(c->o->state_dir, 0700, NULL) == 0)
		fsutil_write_atomic(path, key, strlen(key), NULL);
	free(path);
}

/* --- set-up and the loop ----------------------------------------------------------- */

static bool s_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

static int s_setup(struct console *c, struct err *e)
{
	struct theme *t = NULL;
	const char *name = c->o->profile->theme ? c->o->profile->theme : "default";
	struct err te = {0};
	if (theme_load(name, c->o->theme_dirs, &t, &te) < 0) {
		t = theme_new_fallback();
		app_error(c->app, "%s", te.msg);
	}
	c->theme = t;
	c->draw = draw_new(t, NULL);
	if (!c->draw)
		return err_set(e, ERR_INTERNAL, "cannot start drawing");
	if (s_prompts_new(c, e) < 0)
		return -1;
	c->theme_names = theme_list(c->o->theme_dirs);
	c->app->d.themes = (const char *const *)c->theme_names;
	if (c->o->profile->mouse)
		s_set_mouse(c, true);
	return 0;
}

static void s_teardown(struct console *c)
{
	prompt_free(c->p_cmd);
	prompt_free(c->p_search);
	prompt_free(c->p_ask);
	draw_free(c->draw);
	theme_free(c->theme);
	theme_list_free(c->theme_names);
	view_canvas_cleanup(&c->canvas);
	app_free(c->app);
}

static int s_timeout(struct console *c, bool busy)
{
	int64_t now = timeutil_mono_ms();
	if (c->app->dirty) {
		int64_t wait =
		    (c->app->urgent ? URGENT_FRAME_MS : FRAME_MS) - (now - c->last_frame_ms);
		return wait > 0 ? (int)wait : 0;
	}
	if (busy)
		return 0;
	/* wake for the next second (live durations, clocks) */
	int64_t wall = timeutil_wall_ms();
	return (int)(1000 - wall % 1000) + 5;
}

static void s_loop(struct console *c)
{
	bool busy = false;
	while (!c->app->quit) {
		struct pollfd fds[4] = {
		    {.fd = 0, .events = POLLIN},
		    {.fd = worker_fd(c->w), .events = POLLIN},
		    {.fd = c->o->sig_fd, .events = POLLIN},
		    {.fd = c->winch_fd, .events = POLLIN},
		};
		int n = poll(fds, 4, s_timeout(c, busy));
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (fds[2].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(c->o->sig_fd, &si, sizeof(si)) > 0)
				break;
		}
		if (n > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
			break; /* the terminal went away */
		if (n > 0 && (fds[3].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(c->winch_fd, &si, sizeof(si)) > 0)
				;
			s_resize(c);
		}
		/* always drain: the eventfd only signals an empty queue becoming
		 * non-empty, and messages may wait from before the console started */
		s_drain_worker(c);
		/* a key's effect is drawn at once; only the log's own updates wait
		 * for the frame interval */
		bool keyed = n > 0 && (fds[0].revents & POLLIN);
		if (keyed)
			s_read_keys(c);
		s_begin_ask(c);
		if (c->app->quit)
			break;
		app_tick(c->app, timeutil_wall_ms());
		if (n == 0 || !(fds[0].revents & POLLIN))
			busy = app_work(c->app, WORK_BUDGET_US);
		int64_t since = timeutil_mono_ms() - c->last_frame_ms;
		if (c->app->dirty &&
		    (keyed || since >= FRAME_MS || (c->app->urgent && since >= URGENT_FRAME_MS)))
			s_frame(c);
	}
}

int console_run(struct worker *w, const struct console_opts *o)
{
	setlocale(LC_ALL, "");
	struct console c = {.w = w, .o = o, .winch_fd = -1};
	view_canvas_init(&c.canvas);
	char *tmp = xstrdup(getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	struct app_deps d = {
	    .send = s_send,
	    .send_ctx = &c,
	    .set_theme = s_set_theme,
	    .set_mouse = s_set_mouse,
	    .clipboard = s_clipboard,
	    .ui_ctx = &c,
	    .profile = o->profile,
	    .who = o->who,
	    .tmp_dir = tmp,
	    .unicode = s_utf8(),
	};
	char *last_project = s_last_project_read(&c);
	d.last_project = last_project;
	c.app = app_new(&d);
	if (o->where)
		snprintf(c.app->status.where, sizeof(c.app->status.where), "%s", o->where);
	c.app->status.insecure = o->insecure;
	/* SIGWINCH through a signalfd: blocked here (the worker blocks everything) */
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	c.winch_fd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	int rc = 0;
	if (term_start() < 0) {
		fprintf(stderr, "aftomato: cannot start the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		rc = 2;
		goto out;
	}
	struct err e = {0};
	if (s_setup(&c, &e) < 0) {
		term_stop();
		fprintf(stderr, "aftomato: %s\n", e.msg);
		rc = 1;
		goto out;
	}
	app_start(c.app, timeutil_wall_ms());
	s_frame(&c);
	s_loop(&c);
	term_stop();
	s_last_project_write(&c);
out:
	s_teardown(&c);
	if (c.winch_fd >= 0)
		close(c.winch_fd);
	free(tmp);
	free(last_project);
	return rc;
}
