/* prompt: a one-line editor (the `:` command line and the console's questions)
 * on readline's callback interface.
 *
 * The console owns stdin and ncurses: it reads keys itself (get_wch) and hands
 * each one to prompt_feed, which passes it to readline through
 * rl_getc_function and rl_callback_read_char. Readline never touches the
 * terminal (no prep/deprep, no signal handlers, output to /dev/null); the
 * console draws the line with prompt_draw (or from prompt_line/prompt_cursor)
 * in its own prompt row, so the screen keeps updating while the user types.
 *
 * Keys: readline's emacs editing (Ctrl-A/E/B/F/K/U/W/Y/T), arrows, Home/End,
 * Delete, Backspace, Up/Down through this prompt's history, Tab completion.
 * Enter submits; Esc and Ctrl-C cancel (Ctrl-D on an empty line too).
 *
 * Each struct prompt has its own history (none, memory only or a file), so the
 * `:` command line, the "project:" question and "y/n" confirmations do not
 * share one. A history file is created with mode 0600 (its directory 0700),
 * appended to on each submit and kept to history_max entries.
 *
 * Readline is one per process: only one prompt is active at a time (beginning
 * one cancels the other silently, without calling its done callback). All
 * calls are from the UI thread. */
#ifndef AFTOMATO_PROMPT_H
#define AFTOMATO_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include <ncurses.h>

#include "err.h"

struct draw;
struct prompt;
struct prompt_completion;

#define PROMPT_HISTORY_MAX_DEFAULT 1000

/* Completion provider: called on Tab with the word under the cursor. It calls
 * prompt_complete_add for each candidate of that position (all commands, all
 * projects, ...); the prompt keeps those that start with the word. */
typedef void (*prompt_complete_fn)(void *ud, struct prompt_completion *c);

/* What the provider sees. Valid during the call only. */
struct prompt_completion {
	const char *line;	  /* the whole line */
	int word_index;		  /* 0: the first word (the command) */
	const char *const *words; /* the word_index words before this one */
	const char *prefix;	  /* the text of the word being completed, up to the cursor */
	struct prompt_completion_priv *priv_;
};

/* Adds candidate (copied) if it starts with c->prefix. */
void prompt_complete_add(struct prompt_completion *c, const char *candidate);

/* Called once when the prompt ends: line is the submitted text (borrowed,
 * valid during the call), or NULL when cancelled. The callback may begin
 * another prompt (e.g. "branch:" after "project:"). */
typedef void (*prompt_done_fn)(void *ud, const char *line);

struct prompt_opts {
	/* History file (e.g. prompt_history_path(state_dir)); NULL: memory only. */
	const char *history_path;
	/* Entries kept in memory and in the file; 0 = no history at all. */
	size_t history_max;
	prompt_complete_fn complete; /* NULL: Tab inserts nothing */
	void *complete_ud;
};

/* A new prompt with o's settings (copied); reads the history file if there is
 * one (a missing file is fine; an unreadable one fails with ERR_IO). Caller
 * frees with prompt_free. */
struct prompt *prompt_new(const struct prompt_opts *o, struct err *e);
/* Frees p (cancelling it first if active, without calling done). NULL is fine. */
void prompt_free(struct prompt *p);

/* "$state_dir/history": new string, caller frees. NULL when state_dir is NULL. */
char *prompt_history_path(const char *state_dir);

/* Starts editing: label is shown before the text (e.g. ":" or "branch: ",
 * copied), initial is the starting text (NULL for none), done is called when
 * it ends. Returns 0, or -1 (e filled) when readline could not start. */
int prompt_begin(struct prompt *p, const char *label, const char *initial, prompt_done_fn done,
		 void *ud, struct err *e);

bool prompt_active(const struct prompt *p);

/* Ends editing as if the user pressed Esc (calls done with NULL). */
void prompt_cancel(struct prompt *p);

enum prompt_state { PROMPT_IDLE, PROMPT_EDITING, PROMPT_SUBMITTED, PROMPT_CANCELLED };

/* Feeds one key as the console read it with get_wch: is_key_code true for a
 * KEY_* code (KEY_LEFT, KEY_BACKSPACE, KEY_ENTER, ...), else a character
 * (wint_t). Returns PROMPT_EDITING while editing continues, PROMPT_SUBMITTED or
 * PROMPT_CANCELLED when this key ended it (done has then been called), and
 * PROMPT_IDLE when the prompt was not active. */
enum prompt_state prompt_feed(struct prompt *p, int key, bool is_key_code);

/* Feeds UTF-8 text as typed keys (pasting, tests). Stops at the key that ends
 * the prompt and returns as prompt_feed. */
enum prompt_state prompt_feed_text(struct prompt *p, const char *text);

/* The line being edited (borrowed, valid until the next feed) and the cursor
 * as a byte offset into it; "" and 0 when not active. */
const char *prompt_line(const struct prompt *p);
size_t prompt_cursor(const struct prompt *p);
const char *prompt_label(const struct prompt *p);

/* Candidates of the last Tab when it was ambiguous (sorted), for the console
 * to show; cleared by the next key. Borrowed; *n may be 0. */
const char *const *prompt_candidates(const struct prompt *p, size_t *n);

/* History entries, oldest first (borrowed, valid until the next feed/begin). */
const char *const *prompt_history(const struct prompt *p, size_t *n);

/* Draws label and line on row y from x over width columns in the prompt
 * element, scrolled horizontally so the cursor is visible. Returns the
 * cursor's column (for wmove + curs_set(1)), or -1 when not active. */
int prompt_draw(struct prompt *p, struct draw *d, WINDOW *w, int y, int x, int width);

#endif
