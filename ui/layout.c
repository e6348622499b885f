#include "layout.h"

#include <string.h>

#define WIDE_COLS     60 /* from here on the projects column is shown */
#define MIN_PANE_ROWS 3	 /* title + 2 lines */

static struct layout_rect s_rect(int y, int x, int h, int w)
{
	struct layout_rect r = {y, x, h > 0 ? h : 0, w > 0 ? w : 0};
	if (r.h == 0 || r.w == 0)
		r.h = r.w = 0;
	return r;
}

/* Stacks the list view and n log panes in the area (y, x, h, w). */
static void s_right(struct layout *l, int y, int x, int h, int w, enum layout_focus_kind focus,
		    int focus_log)
{
	int n = l->n_logs;
	if (n == 0) {
		l->main = s_rect(y, x, h, w);
		return;
	}
	/* everything fits at its minimum: the list gets ~40%, logs share the rest */
	if (h >= MIN_PANE_ROWS * (n + 1)) {
		int main_h = h * 2 / 5;
		if (main_h < MIN_PANE_ROWS)
			main_h = MIN_PANE_ROWS;
		if (h - main_h < MIN_PANE_ROWS * n)
			main_h = h - MIN_PANE_ROWS * n;
		l->main = s_rect(y, x, main_h, w);
		int rest = h - main_h, yy = y + main_h;
		for (int i = 0; i < n; i++) {
			int ph = rest / n + (i < rest % n ? 1 : 0);
			l->logs[i] = s_rect(yy, x, ph, w);
			yy += ph;
		}
		return;
	}
	/* not enough rows: only the focused one (the list unless a log has focus) */
	if (focus == LAYOUT_FOCUS_LOG && focus_log >= 0 && focus_log < n)
		l->logs[focus_log] = s_rect(y, x, h, w);
	else
		l->main = s_rect(y, x, h, w);
}

void layout_compute(struct layout *l, int rows, int cols, int n_logs, enum layout_focus_kind focus,
		    int focus_log)
{
	memset(l, 0, sizeof(*l));
	l->rows = rows;
	l->cols = cols;
	if (n_logs < 0)
		n_logs = 0;
	if (n_logs > LAYOUT_MAX_LOGS)
		n_logs = LAYOUT_MAX_LOGS;
	l->n_logs = n_logs;
	if (rows < LAYOUT_MIN_ROWS || cols < LAYOUT_MIN_COLS) {
		l->too_small = true;
		l->notice = s_rect(0, 0, rows > 0 ? 1 : 0, cols);
		return;
	}
	l->status = s_rect(rows - 1, 0, 1, cols);
	int h = rows - 1;
	if (cols >= WIDE_COLS) {
		int pw = cols / 5;
		pw = pw < 18 ? 18 : pw > 32 ? 32 : pw;
		l->projects = s_rect(0, 0, h, pw);
		l->separator = s_rect(0, pw, h, 1);
		s_right(l, 0, pw + 1, h, cols - pw - 1, focus, focus_log);
	} else if (focus == LAYOUT_FOCUS_PROJECTS) {
		l->projects = s_rect(0, 0, h, cols);
	} else {
		s_right(l, 0, 0, h, cols, focus, focus_log);
	}
}
