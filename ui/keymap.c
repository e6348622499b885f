#include "keymap.h"

#include <ctype.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

struct s_action_info {
	const char *name;
	const char *help;
};

static const struct s_action_info s_actions[ACT_ACTION_COUNT] = {
    [ACT_NONE] = {"none", ""},
    [ACT_UP] = {"up", "move up one line"},
    [ACT_DOWN] = {"down", "move down one line"},
    [ACT_HALF_UP] = {"half-page-up", "move up half a page"},
    [ACT_HALF_DOWN] = {"half-page-down", "move down half a page"},
    [ACT_PAGE_UP] = {"page-up", "move up a page"},
    [ACT_PAGE_DOWN] = {"page-down", "move down a page"},
    [ACT_TOP] = {"top", "go to the top"},
    [ACT_BOTTOM] = {"bottom", "go to the bottom"},
    [ACT_LEFT] = {"left", "scroll left"},
    [ACT_RIGHT] = {"right", "scroll right"},
    [ACT_LINE_START] = {"line-start", "scroll back to the start of the lines"},
    [ACT_OPEN] = {"open", "open the selection"},
    [ACT_BACK] = {"back", "go back (quit from the main view)"},
    [ACT_QUIT] = {"quit", "quit the console (builds keep running)"},
    [ACT_NEXT_PANE] = {"next-pane", "focus the next pane"},
    [ACT_PREV_PANE] = {"prev-pane", "focus the previous pane"},
    [ACT_HELP] = {"help", "show the keys of the current view"},
    [ACT_COMMAND] = {"command", "open the command line"},
    [ACT_REDRAW] = {"redraw", "redraw the screen"},
    [ACT_BUILD] = {"build", "start a build (asks project and branch)"},
    [ACT_RETRIGGER] = {"retrigger", "retrigger the selected build"},
    [ACT_CANCEL] = {"cancel", "cancel the selected build"},
    [ACT_LOGS] = {"logs", "open the selected build's log"},
    [ACT_ARTIFACTS] = {"artifacts", "browse the selected build's artifacts"},
    [ACT_RUNNING] = {"running", "show every queued and running build"},
    [ACT_BUILDS] = {"builds", "show the selected project's builds"},
    [ACT_SPLIT] = {"split", "open the selected build's log in a new pane"},
    [ACT_CLOSE_PANE] = {"close", "close the focused log pane"},
    [ACT_REFRESH] = {"refresh", "reload the list"},
    [ACT_FILTER_LIST] = {"filter", "type to filter the list"},
    [ACT_SEARCH_FWD] = {"search", "search the whole log forward (regex)"},
    [ACT_SEARCH_BACK] = {"search-back", "search the whole log backward (regex)"},
    [ACT_SEARCH_NEXT] = {"next-match", "go to the next match"},
    [ACT_SEARCH_PREV] = {"prev-match", "go to the previous match"},
    [ACT_FILTER] = {"filter-lines", "show only matching lines (regex, optional context)"},
    [ACT_WRAP] = {"wrap", "wrap long lines on/off"},
    [ACT_TIMESTAMPS] = {"timestamps", "timestamps: off, local, UTC"},
    [ACT_ERROR_NEXT] = {"next-error", "jump to the next error line"},
    [ACT_ERROR_FIRST] = {"first-error", "jump to the first error line"},
    [ACT_SAVE] = {"save", "save the whole log to a file"},
    [ACT_FOLLOW] = {"follow", "follow the end of the log"},
    [ACT_DOWNLOAD] = {"download", "download the selected file to a path"},
    [ACT_COPY_LOCATION] = {"copy", "copy the selection's location (clipboard)"},
    [ACT_THEME] = {"theme", "switch the theme"},
    [ACT_MOUSE] = {"mouse", "mouse on/off"},
};

#define MOVES                                                                                      \
	{'j', ACT_DOWN}, {KEY_DOWN, ACT_DOWN}, {'k', ACT_UP}, {KEY_UP, ACT_UP},                    \
	    {KEYMAP_CTRL('d'), ACT_HALF_DOWN}, {KEYMAP_CTRL('u'), ACT_HALF_UP},                    \
	    {KEYMAP_CTRL('f'), ACT_PAGE_DOWN}, {KEY_NPAGE, ACT_PAGE_DOWN},                         \
	    {KEYMAP_CTRL('b'), ACT_PAGE_UP}, {KEY_PPAGE, ACT_PAGE_UP}, {'g', ACT_TOP},             \
	    {KEY_HOME, ACT_TOP}, {'G', ACT_BOTTOM},                                                \
	{                                                                                          \
		KEY_END, ACT_BOTTOM                                                                \
	}

static const struct keymap_binding s_global[] = {
    {'?', ACT_HELP},	       {':', ACT_COMMAND},    {'\t', ACT_NEXT_PANE},
    {KEY_BTAB, ACT_PREV_PANE}, {'q', ACT_BACK},	      {KEYMAP_ESC, ACT_BACK},
    {'Q', ACT_QUIT},	       {'b', ACT_BUILD},      {'r', ACT_RETRIGGER},
    {'c', ACT_CANCEL},	       {'a', ACT_ARTIFACTS},  {'R', ACT_RUNNING},
    {'s', ACT_SPLIT},	       {'x', ACT_CLOSE_PANE}, {KEYMAP_CTRL('l'), ACT_REDRAW},
    {KEY_F(5), ACT_REFRESH},
};

static const struct keymap_binding s_projects[] = {
    MOVES,
    {'\n', ACT_OPEN},
    {KEY_ENTER, ACT_OPEN},
    {'/', ACT_FILTER_LIST},
};

static const struct keymap_binding s_builds[] = {
    MOVES,
    {'\n', ACT_LOGS},
    {KEY_ENTER, ACT_LOGS},
    {'l', ACT_LOGS},
};

static const struct keymap_binding s_running[] = {
    MOVES,	     {'\n', ACT_LOGS},	{KEY_ENTER, ACT_LOGS},
    {'l', ACT_LOGS}, {'q', ACT_BUILDS}, {KEYMAP_ESC, ACT_BUILDS},
};

static const struct keymap_binding s_artifacts[] = {
    MOVES,
    {'\n', ACT_OPEN},
    {KEY_ENTER, ACT_OPEN},
    {'l', ACT_OPEN},
    {KEY_RIGHT, ACT_OPEN},
    {'h', ACT_LEFT},
    {KEY_LEFT, ACT_LEFT},
    {KEY_BACKSPACE, ACT_LEFT},
    {'d', ACT_DOWNLOAD},
    {'y', ACT_COPY_LOCATION},
    {'q', ACT_BUILDS},
    {KEYMAP_ESC, ACT_BUILDS},
};

#define LOG_KEYS                                                                                   \
	MOVES, {' ', ACT_PAGE_DOWN}, {'h', ACT_LEFT}, {KEY_LEFT, ACT_LEFT}, {'l', ACT_RIGHT},      \
	    {KEY_RIGHT, ACT_RIGHT}, {'0', ACT_LINE_START}, {'/', ACT_SEARCH_FWD},                  \
	    {'?', ACT_SEARCH_BACK}, {'n', ACT_SEARCH_NEXT}, {'N', ACT_SEARCH_PREV},                \
	    {'&', ACT_FILTER}, {'w', ACT_WRAP}, {'t', ACT_TIMESTAMPS}, {'e', ACT_ERROR_NEXT},      \
	    {'E', ACT_ERROR_FIRST}, {'S', ACT_SAVE}, {'f', ACT_FOLLOW}, {'F', ACT_FOLLOW},         \
	{                                                                                          \
		KEY_F(1), ACT_HELP                                                                 \
	}

static const struct keymap_binding s_log[] = {LOG_KEYS};

static const struct keymap_binding s_pager[] = {
    LOG_KEYS,
    {'d', ACT_DOWNLOAD},
    {'y', ACT_COPY_LOCATION},
};

static const struct keymap_binding s_help[] = {
    MOVES,
};

struct s_table {
	const char *name;
	const struct keymap_binding *b;
	size_t n;
};

#define TABLE(name, t)                                                                             \
	{                                                                                          \
		name, t, sizeof(t) / sizeof(t[0])                                                  \
	}
static const struct s_table s_tables[KEYMAP_CTX_COUNT] = {
    [KEYMAP_GLOBAL] = TABLE("global", s_global),
    [KEYMAP_PROJECTS] = TABLE("projects", s_projects),
    [KEYMAP_BUILDS] = TABLE("builds", s_builds),
    [KEYMAP_RUNNING] = TABLE("running", s_running),
    [KEYMAP_ARTIFACTS] = TABLE("artifacts", s_artifacts),
    [KEYMAP_LOG] = TABLE("log", s_log),
    [KEYMAP_PAGER] = TABLE("pager", s_pager),
    [KEYMAP_HELP] = TABLE("help", s_help),
};

const char *keymap_action_name(enum keymap_action a)
{
	return a >= 0 && a < ACT_ACTION_COUNT && s_actions[a].name ? s_actions[a].name : "?";
}

const char *keymap_action_help(enum keymap_action a)
{
	return a >= 0 && a < ACT_ACTION_COUNT && s_actions[a].help ? s_actions[a].help : "";
}

const struct keymap_binding *keymap_table(enum keymap_ctx ctx, size_t *n)
{
	if (ctx < 0 || ctx >= KEYMAP_CTX_COUNT) {
		*n = 0;
		return NULL;
	}
	*n = s_tables[ctx].n;
	return s_tables[ctx].b;
}

const char *keymap_ctx_name(enum keymap_ctx ctx)
{
	return ctx >= 0 && ctx < KEYMAP_CTX_COUNT ? s_tables[ctx].name : "?";
}

static enum keymap_action s_find(enum keymap_ctx ctx, int key)
{
	size_t n;
	const struct keymap_binding *t = keymap_table(ctx, &n);
	for (size_t i = 0; i < n; i++)
		if (t[i].key == key)
			return t[i].action;
	return ACT_NONE;
}

enum keymap_action keymap_lookup(enum keymap_ctx ctx, int key)
{
	if (key == '\r')
		key = '\n';
	if (key == 127 || key == KEYMAP_CTRL('h'))
		key = KEY_BACKSPACE;
	enum keymap_action a = s_find(ctx, key);
	return a != ACT_NONE || ctx == KEYMAP_GLOBAL ? a : s_find(KEYMAP_GLOBAL, key);
}

char *keymap_key_name(int key, char *buf, size_t size)
{
	static const struct {
		int key;
		const char *name;
	} names[] = {
	    {KEY_UP, "Up"},	  {KEY_DOWN, "Down"},	  {KEY_LEFT, "Left"},
	    {KEY_RIGHT, "Right"}, {KEY_NPAGE, "PgDn"},	  {KEY_PPAGE, "PgUp"},
	    {KEY_HOME, "Home"},	  {KEY_END, "End"},	  {KEY_ENTER, "Enter"},
	    {'\n', "Enter"},	  {'\t', "Tab"},	  {KEY_BTAB, "S-Tab"},
	    {KEYMAP_ESC, "Esc"},  {' ', "Space"},	  {KEY_BACKSPACE, "Backspace"},
	    {127, "Backspace"},	  {KEY_RESIZE, "Resize"}, {KEY_DC, "Del"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].key == key) {
			snprintf(buf, size, "%s", names[i].name);
			return buf;
		}
	}
	if (key >= KEY_F(1) && key <= KEY_F(24))
		snprintf(buf, size, "F%d", key - KEY_F0);
	else if (key > 0 && key < 0x20)
		snprintf(buf, size, "^%c", key + '@');
	else if (key > 0x20 && key < 0x7f)
		snprintf(buf, size, "%c", key);
	else
		snprintf(buf, size, "<%d>", key);
	return buf;
}

/* Appends the keys of `action` in table t to line->keys. */
static void s_help_keys(const struct s_table *t, enum keymap_action action,
			struct keymap_help_line *line)
{
	size_t used = strlen(line->keys);
	for (size_t i = 0; i < t->n; i++) {
		if (t->b[i].action != action)
			continue;
		char name[16];
		keymap_key_name(t->b[i].key, name, sizeof(name));
		if (strstr(line->keys, name) && strcmp(name, "Enter") == 0)
			continue; /* '\n' and KEY_ENTER */
		int w = snprintf(line->keys + used, sizeof(line->keys) - used, "%s%s",
				 used ? " " : "", name);
		if (w < 0 || (size_t)w >= sizeof(line->keys) - used)
			break;
		used += (size_t)w;
	}
}

static bool s_have(const struct keymap_help_line *lines, size_t n, enum keymap_action a)
{
	for (size_t i = 0; i < n; i++)
		if (lines[i].action == a)
			return true;
	return false;
}

/* Adds one line per action of table tc (in order), skipping actions already
 * listed and, for the global table, keys the view itself binds. */
static size_t s_help_table(enum keymap_ctx view, enum keymap_ctx tc, struct keymap_help_line *out,
			   size_t n)
{
	const struct s_table *t = &s_tables[tc];
	for (size_t i = 0; i < t->n; i++) {
		enum keymap_action a = t->b[i].action;
		if (s_have(out, n, a))
			continue;
		if (tc != view && s_find(view, t->b[i].key) != ACT_NONE)
			continue; /* overridden by the view */
		struct keymap_help_line *l = &out[n];
		memset(l, 0, sizeof(*l));
		l->ctx = tc;
		l->action = a;
		l->help = keymap_action_help(a);
		s_help_keys(t, a, l);
		if (tc != view) {
			/* drop keys of this action that the view overrides */
			char keep[sizeof(l->keys)] = "";
			char *save = NULL;
			for (char *tok = strtok_r(l->keys, " ", &save); tok;
			     tok = strtok_r(NULL, " ", &save)) {
				bool overridden = false;
				for (size_t k = 0; k < t->n; k++) {
					char name[16];
					keymap_key_name(t->b[k].key, name, sizeof(name));
					if (t->b[k].action == a && strcmp(name, tok) == 0 &&
					    s_find(view, t->b[k].key) != ACT_NONE)
						overridden = true;
				}
				if (!overridden)
					snprintf(keep + strlen(keep), sizeof(keep) - strlen(keep),
						 "%s%s", keep[0] ? " " : "", tok);
			}
			snprintf(l->keys, sizeof(l->keys), "%s", keep);
			if (!l->keys[0])
				continue;
		}
		n++;
	}
	return n;
}

struct keymap_help_line *keymap_help(enum keymap_ctx ctx, size_t *n)
{
	if (ctx < 0 || ctx >= KEYMAP_CTX_COUNT)
		ctx = KEYMAP_GLOBAL;
	size_t cap = s_tables[ctx].n + s_tables[KEYMAP_GLOBAL].n;
	struct keymap_help_line *lines = xcalloc(cap ? cap : 1, sizeof(*lines));
	size_t count = s_help_table(ctx, ctx, lines, 0);
	if (ctx != KEYMAP_GLOBAL)
		count = s_help_table(ctx, KEYMAP_GLOBAL, lines, count);
	*n = count;
	return lines;
}

static const struct keymap_command s_commands[] = {
    {"build", "b", ACT_BUILD, "[PROJECT [BRANCH]]", "start a build"},
    {"retrigger", "r", ACT_RETRIGGER, "[BUILD]", "retrigger a build (default: the selected)"},
    {"cancel", "c", ACT_CANCEL, "[BUILD]", "cancel a build (default: the selected)"},
    {"logs", "l", ACT_LOGS, "[BUILD]", "open a build's log in the focused pane"},
    {"split", "sp", ACT_SPLIT, "[BUILD]", "open a build's log in a new pane"},
    {"close", NULL, ACT_CLOSE_PANE, "", "close the focused log pane"},
    {"artifacts", "a", ACT_ARTIFACTS, "[BUILD]", "browse a build's artifacts"},
    {"running", NULL, ACT_RUNNING, "", "every queued and running build"},
    {"builds", NULL, ACT_BUILDS, "[PROJECT]", "a project's builds"},
    {"theme", NULL, ACT_THEME, "NAME", "switch the theme"},
    {"save", "w", ACT_SAVE, "PATH", "save the focused log to a file"},
    {"mouse", NULL, ACT_MOUSE, "[on|off]", "mouse support on/off"},
    {"refresh", NULL, ACT_REFRESH, "", "reload projects and builds"},
    {"help", "h", ACT_HELP, "", "the keys of the current view"},
    {"quit", "q", ACT_QUIT, "", "quit (builds keep running)"},
    {NULL, NULL, ACT_NONE, NULL, NULL},
};

const struct keymap_command *keymap_commands(void)
{
	return s_commands;
}

const struct keymap_command *keymap_command_parse(const char *line, char **arg, char *why,
						  size_t why_size)
{
	*arg = NULL;
	while (*line && isspace((unsigned char)*line))
		line++;
	size_t wlen = 0;
	while (line[wlen] && !isspace((unsigned char)line[wlen]))
		wlen++;
	if (wlen == 0) {
		snprintf(why, why_size, "no command (try :help)");
		return NULL;
	}
	const struct keymap_command *found = NULL;
	int prefix_hits = 0;
	const struct keymap_command *prefix_cmd = NULL;
	for (const struct keymap_command *c = s_commands; c->name; c++) {
		if ((strlen(c->name) == wlen && strncmp(c->name, line, wlen) == 0) ||
		    (c->alias && strlen(c->alias) == wlen && strncmp(c->alias, line, wlen) == 0)) {
			found = c;
			break;
		}
		if (strncmp(c->name, line, wlen) == 0) {
			prefix_hits++;
			prefix_cmd = c;
		}
	}
	if (!found && prefix_hits == 1)
		found = prefix_cmd;
	if (!found) {
		snprintf(why, why_size, "%s command '%.*s' (try :help)",
			 prefix_hits > 1 ? "ambiguous" : "unknown", (int)(wlen > 60 ? 60 : wlen),
			 line);
		return NULL;
	}
	const char *rest = line + wlen;
	while (*rest && isspace((unsigned char)*rest))
		rest++;
	size_t rlen = strlen(rest);
	while (rlen > 0 && isspace((unsigned char)rest[rlen - 1]))
		rlen--;
	if (rlen > 0)
		*arg = xstrndup(rest, rlen);
	return found;
}

const char *keymap_command_complete(const char *prefix, size_t i)
{
	size_t plen = strlen(prefix);
	for (const struct keymap_command *c = s_commands; c->name; c++)
		if (strncmp(c->name, prefix, plen) == 0 && i-- == 0)
			return c->name;
	return NULL;
}
