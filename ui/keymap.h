/* keymap: the keys and `:` commands of the console as data. Each view has a
 * table of bindings (key -> action); keys a view does not bind fall through to
 * the global table. Help (`?`) is generated from these same tables, so it can
 * never disagree with what the keys do. Nothing here touches the terminal: key
 * codes are ncurses' (KEY_UP, ...) or plain characters, so the tables are
 * testable without one. */
#ifndef AFTOMATO_KEYMAP_H
#define AFTOMATO_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Which table: one per view kind, plus the global one. */
enum keymap_ctx {
	KEYMAP_GLOBAL,
	KEYMAP_PROJECTS,
	KEYMAP_BUILDS,
	KEYMAP_RUNNING,
	KEYMAP_ARTIFACTS,
	KEYMAP_LOG,
	KEYMAP_PAGER, /* an artifact shown in a log pane */
	KEYMAP_HELP,
	KEYMAP_CTX_COUNT,
};

enum keymap_action {
	ACT_NONE,
	/* movement (lists and log panes) */
	ACT_UP,
	ACT_DOWN,
	ACT_HALF_UP,
	ACT_HALF_DOWN,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_TOP,
	ACT_BOTTOM,
	ACT_LEFT,
	ACT_RIGHT,
	ACT_LINE_START,
	/* navigation */
	ACT_OPEN,
	ACT_BACK,
	ACT_QUIT,
	ACT_NEXT_PANE,
	ACT_PREV_PANE,
	ACT_HELP,
	ACT_COMMAND, /* `:` */
	ACT_REDRAW,
	/* builds */
	ACT_BUILD,
	ACT_RETRIGGER,
	ACT_CANCEL,
	ACT_LOGS,
	ACT_ARTIFACTS,
	ACT_RUNNING,
	ACT_BUILDS, /* back to the selected project's builds */
	ACT_SPLIT,
	ACT_CLOSE_PANE,
	ACT_REFRESH,
	ACT_FILTER_LIST, /* projects: type to filter */
	/* log panes */
	ACT_SEARCH_FWD,
	ACT_SEARCH_BACK,
	ACT_SEARCH_NEXT,
	ACT_SEARCH_PREV,
	ACT_FILTER,
	ACT_WRAP,
	ACT_TIMESTAMPS,
	ACT_ERROR_NEXT,
	ACT_ERROR_FIRST,
	ACT_SAVE,
	ACT_FOLLOW,
	/* artifacts */
	ACT_DOWNLOAD,
	ACT_COPY_LOCATION,
	/* commands only */
	ACT_THEME,
	ACT_MOUSE,
	ACT_ACTION_COUNT,
};

/* Special key codes that ncurses has no constant for. */
#define KEYMAP_ESC     27
#define KEYMAP_CTRL(c) ((c)&0x1f)

struct keymap_binding {
	int key;
	enum keymap_action action;
};

/* What an action does, for help and for error messages. */
const char *keymap_action_name(enum keymap_action a); /* "retrigger" */
const char *keymap_action_help(enum keymap_action a); /* "retrigger the selected build" */

/* The action bound to key in ctx, falling back to the global table. ACT_NONE
 * when nothing is bound. */
enum keymap_action keymap_lookup(enum keymap_ctx ctx, int key);

/* A table's bindings (static storage); *n receives the count. */
const struct keymap_binding *keymap_table(enum keymap_ctx ctx, size_t *n);
const char *keymap_ctx_name(enum keymap_ctx ctx); /* "builds", "log", ... */

/* A key's name for people ("j", "Down", "^D", "Enter", "PgDn") into buf
 * (always NUL-terminated). Returns buf. */
char *keymap_key_name(int key, char *buf, size_t size);

/* One line of help: every key bound to one action in one table. */
struct keymap_help_line {
	enum keymap_ctx ctx; /* the table the keys come from */
	enum keymap_action action;
	char keys[48];	  /* "j Down" */
	const char *help; /* static */
};

/* The help of ctx: its own bindings first, then the global ones it does not
 * override, one line per action in table order. Returns a new array (caller
 * frees) and its length in *n. */
struct keymap_help_line *keymap_help(enum keymap_ctx ctx, size_t *n);

/* `:` commands. */
struct keymap_command {
	const char *name;  /* "retrigger" */
	const char *alias; /* "r" or NULL */
	enum keymap_action action;
	const char *args; /* "[BUILD]" for help, "" when none */
	const char *help;
};

/* Every command (static storage), NULL-terminated by name. */
const struct keymap_command *keymap_commands(void);

/* Parses a command line ("retrigger 1a2b", " theme  light "): the command by
 * name, alias or unique prefix, and its argument (the rest, trimmed; NULL when
 * empty) as a new string the caller frees. Returns the command, or NULL with a
 * one-line reason in why (why_size bytes) for an empty, unknown or ambiguous
 * command. */
const struct keymap_command *keymap_command_parse(const char *line, char **arg, char *why,
						  size_t why_size);

/* Command names starting with prefix, for completion: the i-th match (from 0)
 * or NULL when there are no more. */
const char *keymap_command_complete(const char *prefix, size_t i);

#endif
