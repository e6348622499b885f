/* view_help: every key of the view help was opened from, generated from the
 * keymap tables, then the `:` commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "view.h"

static size_t s_rows(struct app *a, const struct layout_rect *r)
{
	(void)a;
	return r->h > 1 ? (size_t)r->h - 1 : 1;
}

/* The lines of help: keys, a blank line, commands. */
static size_t s_count(struct app *a, struct keymap_help_line **lines, size_t *n_keys)
{
	*lines = keymap_help(a->help_ctx, n_keys);
	size_t n_cmds = 0;
	for (const struct keymap_command *c = keymap_commands(); c->name; c++)
		n_cmds++;
	return *n_keys + 2 + n_cmds;
}

static void s_render(struct app *a, struct view_canvas *c, const struct layout_rect *r,
		     bool focused)
{
	struct keymap_help_line *lines;
	size_t n_keys;
	size_t total = s_count(a, &lines, &n_keys);
	char title[64];
	snprintf(title, sizeof(title), "Help: %s", keymap_ctx_name(a->help_ctx));
	view_title(c, r, focused, title, "q/Esc: back");
	size_t rows = s_rows(a, r);
	struct model_sel *s = &a->help_sel;
	if (s->top + rows > total)
		s->top = total > rows ? total - rows : 0;
	const struct keymap_command *cmds = keymap_commands();
	for (size_t i = 0; i < rows && s->top + i < total; i++) {
		size_t k = s->top + i;
		int y = (int)i + 1;
		if (k < n_keys) {
			view_puts(c, r, y, 2, CELL_KEY, CELL_BOLD, lines[k].keys);
			view_puts(c, r, y, 26, CELL_NORMAL, 0, lines[k].help);
			if (lines[k].ctx == KEYMAP_GLOBAL && a->help_ctx != KEYMAP_GLOBAL)
				view_puts(c, r, y, 26 + (int)strlen(lines[k].help) + 1, CELL_DIM, 0,
					  "(everywhere)");
		} else if (k == n_keys + 1) {
			view_puts(c, r, y, 2, CELL_HEADER, 0, "Commands (after :, Tab completes)");
		} else if (k > n_keys + 1) {
			const struct keymap_command *cmd = &cmds[k - n_keys - 2];
			char name[64];
			snprintf(name, sizeof(name), ":%s %s", cmd->name, cmd->args);
			view_puts(c, r, y, 2, CELL_KEY, 0, name);
			view_puts(c, r, y, 26, CELL_NORMAL, 0, cmd->help);
		}
	}
	free(lines);
}

static bool s_action(struct app *a, enum keymap_action act)
{
	struct keymap_help_line *lines;
	size_t n_keys;
	size_t total = s_count(a, &lines, &n_keys);
	free(lines);
	size_t rows = s_rows(a, &a->layout.main);
	struct model_sel *s = &a->help_sel;
	size_t max_top = total > rows ? total - rows : 0;
	long delta = 0;
	switch (act) {
	case ACT_UP:
		delta = -1;
		break;
	case ACT_DOWN:
		delta = 1;
		break;
	case ACT_HALF_UP:
	case ACT_PAGE_UP:
		delta = -(long)(act == ACT_PAGE_UP ? rows : rows / 2);
		break;
	case ACT_HALF_DOWN:
	case ACT_PAGE_DOWN:
		delta = (long)(act == ACT_PAGE_DOWN ? rows : rows / 2);
		break;
	case ACT_TOP:
		delta = -(long)total;
		break;
	case ACT_BOTTOM:
		delta = (long)total;
		break;
	case ACT_HELP:
		return true;
	default:
		return false;
	}
	long top = (long)s->top + delta;
	s->top = top < 0 ? 0 : (size_t)top > max_top ? max_top : (size_t)top;
	a->dirty = true;
	return true;
}

const struct view_ops view_help_ops = {
    .name = "help",
    .keys = KEYMAP_HELP,
    .render = s_render,
    .action = s_action,
    .page_rows = s_rows,
};
