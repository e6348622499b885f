/* layout: where the console's panes go for a given screen size. Projects on
 * the left, the list view (builds, running, artifacts, help) top right, log
 * panes stacked bottom right, the status bar on the last row. Small screens
 * drop the projects column, then show only the focused pane; below
 * LAYOUT_MIN_ROWS x LAYOUT_MIN_COLS only a one-line notice fits. Pure. */
#ifndef AFTOMATO_LAYOUT_H
#define AFTOMATO_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MIN_ROWS 5
#define LAYOUT_MIN_COLS 20
#define LAYOUT_MAX_LOGS 6

struct layout_rect {
	int y, x, h, w; /* h == 0 or w == 0: not shown */
};

/* Which pane has the focus: the projects list, the list view, or log pane i. */
enum layout_focus_kind { LAYOUT_FOCUS_PROJECTS, LAYOUT_FOCUS_MAIN, LAYOUT_FOCUS_LOG };

struct layout {
	int rows, cols;
	bool too_small; /* only `notice` is set */
	struct layout_rect projects;
	struct layout_rect separator; /* the vertical line right of projects */
	struct layout_rect main;
	struct layout_rect logs[LAYOUT_MAX_LOGS];
	int n_logs;
	struct layout_rect status; /* the last row (the prompt uses it too) */
	struct layout_rect notice; /* too small: the one row to write in */
};

/* Lays out rows x cols with n_logs log panes (0..LAYOUT_MAX_LOGS), the focus
 * deciding what stays visible on small screens (focus_log: which log pane,
 * for LAYOUT_FOCUS_LOG). */
void layout_compute(struct layout *l, int rows, int cols, int n_logs, enum layout_focus_kind focus,
		    int focus_log);

static inline bool layout_visible(const struct layout_rect *r)
{
	return r->h > 0 && r->w > 0;
}

#endif
