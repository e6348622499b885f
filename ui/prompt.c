/* prompt: a line editor on readline's callback interface, fed by the console's
 * own keys and drawn by the console (see prompt.h).
 *
 * How readline is kept off the terminal: custom rl_getc_function and
 * rl_redisplay_function (with both set, readline does not even load the
 * terminal description, so it never touches the tinfo state ncurses uses),
 * no-op terminal prep/deprep, no signal handlers, rl_outstream on /dev/null and
 * rl_instream on an empty pipe (so readline's "more input pending?" checks
 * always say no). Keys reach readline one byte at a time from a small queue
 * through rl_getc_function; special keys (arrows, Home, End, Delete, ...) call
 * readline's own commands directly.
 *
 * History: readline's history list is process-wide, so each prompt keeps its
 * entries and loads them into readline's list when it begins. The file has
 * readline's format (one entry a line); it is appended to on each submit and
 * cut to history_max entries with readline's history_truncate_file. */
#include "prompt.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "draw.h"
#include "fsutil.h"
#include "xmem.h"

#define PROMPT_HISTORY_MAX_BYTES (4u * 1024u * 1024u) /* larger files: read the tail */

struct prompt_completion_priv {
	char **items;
	size_t n, cap;
};

struct prompt {
	char *history_path;
	size_t history_max;
	prompt_complete_fn complete;
	void *complete_ud;

	char **hist; /* oldest first */
	size_t nhist;

	bool active;
	char *label;
	prompt_done_fn done;
	void *done_ud;
	int hscroll; /* columns of the line scrolled off the left */

	char **cands; /* last ambiguous completion */
	size_t ncands;

	bool got_line; /* set by the line handler */
	char *line;
};

/* Readline is one per process. */
static struct prompt *s_active;
static bool s_rl_ready;
static FILE *s_in, *s_out;
static unsigned char s_queue[16];
static size_t s_qhead, s_qlen;

/* ---- Readline plumbing ------------------------------------------------------ */

static int s_getc(FILE *f)
{
	if (s_qhead >= s_qlen)
		return EOF; /* not reached: readline reads only what is fed */
	return s_queue[s_qhead++];
}

static void s_redisplay(void)
{
	/* The console draws the line (prompt_draw). */
}

static void s_prep(int meta)
{
}

static void s_deprep(void)
{
}

static void s_on_line(char *line)
{
	if (!s_active) {
		free(line);
		return;
	}
	s_active->got_line = true;
	s_active->line = line;
}

static void s_display_matches(char **matches, int n, int max_len)
{
	/* Candidates were kept by s_attempt; nothing is printed. */
}

static void s_priv_add(struct prompt_completion_priv *pv, const char *s)
{
	if (pv->n == pv->cap) {
		pv->cap = pv->cap ? pv->cap * 2 : 16;
		pv->items = xrealloc(pv->items, pv->cap * sizeof(*pv->items));
	}
	pv->items[pv->n++] = xstrdup(s);
}

void prompt_complete_add(struct prompt_completion *c, const char *candidate)
{
	if (!candidate || strncmp(candidate, c->prefix, strlen(c->prefix)) != 0)
		return;
	s_priv_add(c->priv_, candidate);
}

static int s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void s_free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static void s_cands_clear(struct prompt *p)
{
	s_free_list(p->cands, p->ncands);
	p->cands = NULL;
	p->ncands = 0;
}

/* The matches of the current completion, handed to readline's generator. */
static struct prompt_completion_priv s_matches;
static size_t s_match_next;

static char *s_generate(const char *text, int state)
{
	if (state == 0)
		s_match_next = 0;
	if (s_match_next < s_matches.n)
		return xstrdup(s_matches.items[s_match_next++]);
	return NULL;
}

/* Splits line[0, end) into space-separated words. New array of new strings. */
static char **s_words(const char *line, int end, size_t *n)
{
	char **w = NULL;
	size_t cap = 0;
	*n = 0;
	for (int i = 0; i < end;) {
		while (i < end && (line[i] == ' ' || line[i] == '\t'))
			i++;
		int s = i;
		while (i < end && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i == s)
			break;
		if (*n + 1 >= cap) {
			cap = cap ? cap * 2 : 8;
			w = xrealloc(w, cap * sizeof(*w));
		}
		w[(*n)++] = xstrndup(line + s, (size_t)(i - s));
	}
	if (!w)
		w = xcalloc(1, sizeof(*w));
	w[*n] = NULL;
	return w;
}

static char **s_attempt(const char *text, int start, int end)
{
	rl_attempted_completion_over = 1; /* never fall back to file names */
	struct prompt *p = s_active;
	s_free_list(s_matches.items, s_matches.n);
	memset(&s_matches, 0, sizeof(s_matches));
	if (!p || !p->complete)
		return NULL;
	size_t nw;
	char **words = s_words(rl_line_buffer, start, &nw);
	struct prompt_completion c = {.line = rl_line_buffer,
				      .word_index = (int)nw,
				      .words = (const char *const *)words,
				      .prefix = text,
				      .priv_ = &s_matches};
	p->complete(p->complete_ud, &c);
	s_free_list(words, nw);
	if (s_matches.n > 1)
		qsort(s_matches.items, s_matches.n, sizeof(char *), s_cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < s_matches.n; i++) {
		if (k && strcmp(s_matches.items[k - 1], s_matches.items[i]) == 0)
			free(s_matches.items[i]);
		else
			s_matches.items[k++] = s_matches.items[i];
	}
	s_matches.n = k;
	s_cands_clear(p);
	if (k > 1) {
		p->cands = xcalloc(k + 1, sizeof(*p->cands));
		for (size_t i = 0; i < k; i++)
			p->cands[i] = xstrdup(s_matches.items[i]);
		p->ncands = k;
	}
	char **m = k ? rl_completion_matches(text, s_generate) : NULL;
	s_free_list(s_matches.items, s_matches.n);
	memset(&s_matches, 0, sizeof(s_matches));
	return m;
}

static int s_rl_setup(struct err *e)
{
	if (!s_in) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0)
			return err_errno(e, errno, "prompt: pipe");
		s_in = fdopen(fds[0], "r");
		/* fds[1] stays open so the pipe is empty rather than at its end */
		s_out = fopen("/dev/null", "we");
		if (!s_in || !s_out)
			return err_errno(e, errno, "prompt: /dev/null");
	}
	rl_readline_name = "aftomato";
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_getc_function = s_getc;
	rl_redisplay_function = s_redisplay;
	rl_prep_term_function = s_prep;
	rl_deprep_term_function = s_deprep;
	rl_instream = s_in;
	rl_outstream = s_out;
	rl_attempted_completion_function = s_attempt;
	rl_completion_display_matches_hook = s_display_matches;
	rl_completer_word_break_characters = " \t";
	return 0;
}

/* ---- History -------------------------------------------------------------- */

static void s_hist_push(struct prompt *p, const char *line)
{
	if (!p->history_max || !*line)
		return;
	if (p->nhist && strcmp(p->hist[p->nhist - 1], line) == 0)
		return; /* the same as the last one */
	if (p->nhist == p->history_max) {
		free(p->hist[0]);
		memmove(p->hist, p->hist + 1, (p->nhist - 1) * sizeof(*p->hist));
		p->nhist--;
	}
	p->hist[p->nhist++] = xstrdup(line);
}

/* A readline timestamp line ("#1700000000"), written when
 * history_write_timestamps is on. */
static bool s_is_timestamp(const char *s, size_t len)
{
	if (len < 2 || s[0] != '#')
		return false;
	for (size_t i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int s_hist_load(struct prompt *p, struct err *e)
{
	char *buf = NULL;
	size_t len = 0;
	struct err fe = {0};
	if (fsutil_read_all(p->history_path, PROMPT_HISTORY_MAX_BYTES, &buf, &len, &fe) < 0) {
		if (fe.code == ERR_NOTFOUND)
			return 0;
		*e = fe;
		return err_prefix(e, "history");
	}
	for (char *s = buf; s < buf + len;) {
		char *nl = memchr(s, '\n', (size_t)(buf + len - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(buf + len - s);
		if (n && !s_is_timestamp(s, n)) {
			char *line = xstrndup(s, n);
			s_hist_push(p, line);
			free(line);
		}
		s = nl ? nl + 1 : buf + len;
	}
	free(buf);
	return 0;
}

/* Appends line to the file (created 0600) and keeps it to history_max lines. */
static void s_hist_save(struct prompt *p, const char *line)
{
	if (!p->history_path || !p->history_max || !*line || strchr(line, '\n'))
		return;
	struct err e = {0};
	if (fsutil_mkdir_parent(p->history_path, 0700, &e) < 0)
		return;
	int fd = open(p->history_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	size_t n = strlen(line);
	char *rec = xmalloc(n + 1);
	memcpy(rec, line, n);
	rec[n] = '\n';
	int rc = fsutil_write_full(fd, rec, n + 1);
	free(rec);
	close(fd);
	if (rc == 0)
		history_truncate_file(p->history_path, (int)p->history_max);
}

/* ---- Life cycle ------------------------------------------------------------ */

struct prompt *prompt_new(const struct prompt_opts *o, struct err *e)
{
	struct prompt *p = xcalloc(1, sizeof(*p));
	p->history_path = xstrdup(o ? o->history_path : NULL);
	p->history_max = o ? o->history_max : 0;
	p->complete = o ? o->complete : NULL;
	p->complete_ud = o ? o->complete_ud : NULL;
	if (p->history_max)
		p->hist = xcalloc(p->history_max, sizeof(*p->hist));
	if (p->history_path && p->history_max && s_hist_load(p, e) < 0) {
		prompt_free(p);
		return NULL;
	}
	return p;
}

char *prompt_history_path(const char *state_dir)
{
	return state_dir ? xasprintf("%s/history", state_dir) : NULL;
}

/* Leaves readline's callback mode; readline's state is clean afterwards. */
static void s_rl_end(struct prompt *p, bool abort)
{
	if (abort) {
		rl_callback_sigcleanup();
		rl_free_line_state();
	}
	rl_callback_handler_remove();
	p->active = false;
	p->hscroll = 0;
	if (s_active == p)
		s_active = NULL;
	s_qhead = s_qlen = 0;
	s_cands_clear(p);
}

void prompt_free(struct prompt *p)
{
	if (!p)
		return;
	if (p->active)
		s_rl_end(p, true);
	s_free_list(p->hist, p->nhist);
	free(p->history_path);
	free(p->label);
	free(p->line);
	free(p);
}

int prompt_begin(struct prompt *p, const char *label, const char *initial, prompt_done_fn done,
		 void *ud, struct err *e)
{
	if (s_active)
		s_rl_end(s_active, true);
	if (s_rl_setup(e) < 0)
		return -1;
	clear_history();
	for (size_t i = 0; i < p->nhist; i++)
		add_history(p->hist[i]);
	using_history();
	free(p->label);
	p->label = xstrdup(label ? label : "");
	p->done = done;
	p->done_ud = ud;
	p->got_line = false;
	free(p->line);
	p->line = NULL;
	s_active = p;
	p->active = true;
	rl_callback_handler_install("", s_on_line);
	if (!s_rl_ready) { /* after readline read the user's inputrc */
		rl_variable_bind("editing-mode", "emacs"); /* Esc cancels: vi mode cannot work */
		rl_variable_bind("bell-style", "none");
		rl_variable_bind("enable-bracketed-paste", "off");
		s_rl_ready = true;
	}
	if (initial && *initial) {
		rl_insert_text(initial);
		rl_point = rl_end;
	}
	return 0;
}

bool prompt_active(const struct prompt *p)
{
	return p && p->active;
}

/* Ends the prompt: line (owned, NULL when cancelled) goes to the history and
 * to the done callback, which may begin another prompt or free p. */
static enum prompt_state s_finish(struct prompt *p, char *line)
{
	s_rl_end(p, line == NULL);
	if (line) {
		s_hist_push(p, line);
		s_hist_save(p, line);
	}
	prompt_done_fn done = p->done;
	void *ud = p->done_ud;
	p->done = NULL;
	if (done)
		done(ud, line);
	enum prompt_state st = line ? PROMPT_SUBMITTED : PROMPT_CANCELLED;
	free(line);
	return st;
}

void prompt_cancel(struct prompt *p)
{
	if (p && p->active)
		s_finish(p, NULL);
}

/* Feeds bytes to readline one at a time until it ends the line. */
static enum prompt_state s_feed_bytes(struct prompt *p, const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n && p->active; i++) {
		s_queue[0] = b[i];
		s_qhead = 0;
		s_qlen = 1;
		while (s_qhead < s_qlen && !p->got_line)
			rl_callback_read_char();
		s_qhead = s_qlen = 0;
		if (p->got_line) {
			p->got_line = false;
			char *line = p->line;
			p->line = NULL;
			if (!line) /* EOF: Ctrl-D on an empty line */
				return s_finish(p, NULL);
			return s_finish(p, line);
		}
	}
	return PROMPT_EDITING;
}

static void s_special(int key)
{
	switch (key) {
	case KEY_LEFT:
		rl_backward_char(1, 0);
		break;
	case KEY_RIGHT:
		rl_forward_char(1, 0);
		break;
	case KEY_HOME:
		rl_beg_of_line(1, 0);
		break;
	case KEY_END:
		rl_end_of_line(1, 0);
		break;
	case KEY_UP:
		rl_get_previous_history(1, 0);
		break;
	case KEY_DOWN:
		rl_get_next_history(1, 0);
		break;
	case KEY_BACKSPACE:
		rl_rubout(1, 0);
		break;
	case KEY_DC:
		rl_delete(1, 0);
		break;
	case KEY_SLEFT:
		rl_backward_word(1, 0);
		break;
	case KEY_SRIGHT:
		rl_forward_word(1, 0);
		break;
	default:
		break; /* other keys do nothing here */
	}
}

static size_t s_utf8(unsigned v, unsigned char *out)
{
	if (v < 0x80) {
		out[0] = (unsigned char)v;
		return 1;
	}
	if (v < 0x800) {
		out[0] = (unsigned char)(0xc0 | (v >> 6));
		out[1] = (unsigned char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		if (v >= 0xd800 && v <= 0xdfff)
			return 0;
		out[0] = (unsigned char)(0xe0 | (v >> 12));
		out[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (v & 0x3f));
		return 3;
	}
	if (v > 0x10ffff)
		return 0;
	out[0] = (unsigned char)(0xf0 | (v >> 18));
	out[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (v & 0x3f));
	return 4;
}

enum prompt_state prompt_feed(struct prompt *p, int key, bool is_key_code)
{
	if (!p || !p->active)
		return PROMPT_IDLE;
	s_cands_clear(p);
	if (is_key_code && key != KEY_ENTER) {
		s_special(key);
		return PROMPT_EDITING;
	}
	if (is_key_code || key == '\n')
		key = '\r';
	if (key == 27 || key == 3) /* Esc, Ctrl-C */
		return s_finish(p, NULL);
	if (key < 0)
		return PROMPT_EDITING;
	unsigned char b[4];
	size_t n = s_utf8((unsigned)key, b);
	return s_feed_bytes(p, b, n);
}

enum prompt_state prompt_feed_text(struct prompt *p, const char *text)
{
	if (!p || !p->active)
		return PROMPT_IDLE;
	const unsigned char *s = (const unsigned char *)text;
	while (*s) {
		enum prompt_state st;
		size_t n = 1;
		if (*s < 0x80) {
			st = prompt_feed(p, *s, false);
		} else {
			while (s[n] >= 0x80 && (s[n] & 0xc0) == 0x80)
				n++;
			s_cands_clear(p);
			st = s_feed_bytes(p, s, n);
		}
		if (st != PROMPT_EDITING)
			return st;
		s += n;
	}
	return PROMPT_EDITING;
}

const char *prompt_line(const struct prompt *p)
{
	return p && p->active && rl_line_buffer ? rl_line_buffer : "";
}

size_t prompt_cursor(const struct prompt *p)
{
	return p && p->active && rl_point > 0 ? (size_t)rl_point : 0;
}

const char *prompt_label(const struct prompt *p)
{
	return p && p->label ? p->label : "";
}

const char *const *prompt_candidates(const struct prompt *p, size_t *n)
{
	*n = p ? p->ncands : 0;
	return p ? (const char *const *)p->cands : NULL;
}

const char *const *prompt_history(const struct prompt *p, size_t *n)
{
	*n = p ? p->nhist : 0;
	return p ? (const char *const *)p->hist : NULL;
}

int prompt_draw(struct prompt *p, struct draw *d, WINDOW *w, int y, int x, int width)
{
	if (!p || !p->active || width <= 0)
		return -1;
	int lw = draw_text(d, w, y, x, width, CELL_PROMPT, p->label);
	int avail = width - lw;
	const char *line = prompt_line(p);
	int cur = utf8_width(line, prompt_cursor(p));
	if (avail <= 0)
		return x + width - 1;
	if (cur < p->hscroll)
		p->hscroll = cur;
	if (cur >= p->hscroll + avail)
		p->hscroll = cur - avail + 1;
	struct cell_span sp = {.text = line, .len = strlen(line), .style = {.elem = CELL_NORMAL}};
	draw_line(d, w, y, x + lw, avail, p->hscroll, &sp, 1, CELL_NORMAL);
	return x + lw + cur - p->hscroll;
}
