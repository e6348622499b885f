/* view: views as tables of operations (tig's view_ops) and the canvas they
 * render into. A view fills rows of styled spans (cell.h) from its model into
 * a rectangle of the canvas; the console hands the canvas to draw.c, the one
 * module that talks to ncurses. Nothing here touches the terminal, so a whole
 * screen can be rendered and inspected in a unit test. */
#ifndef AFTOMATO_VIEW_H
#define AFTOMATO_VIEW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "keymap.h"
#include "layout.h"
#include "model.h"

struct app;

/* A piece of a row: a span at column x, or a progress bar. */
enum view_run_kind { VIEW_RUN_TEXT, VIEW_RUN_PROGRESS };

struct view_run {
	int x;	   /* screen column */
	int width; /* columns it may take (text is already clipped to it) */
	uint8_t kind;
	struct cell_span span; /* text: span.text lives in the canvas */
	uint64_t done, total;  /* progress */
};

struct view_row {
	struct view_run *runs; /* drawn in order: later runs overwrite earlier ones */
	size_t n, cap;
};

struct view_chunk;

/* A screen's worth of runs. Text is copied into the canvas (it owns it). */
struct view_canvas {
	int rows, cols;
	struct view_row *row;
	struct view_chunk *chunks;
	int cursor_y, cursor_x; /* where the terminal cursor goes; -1: hidden */
};

void view_canvas_init(struct view_canvas *c);
/* Empties the canvas for a screen of rows x cols (keeps its memory). */
void view_canvas_reset(struct view_canvas *c, int rows, int cols);
void view_canvas_cleanup(struct view_canvas *c);

/* Puts len bytes of UTF-8 text at row y, column x of rectangle r, clipped to
 * the rectangle (never past its right edge), in style st. Control bytes and
 * invalid UTF-8 become '?'. Returns the columns used. */
int view_put(struct view_canvas *c, const struct layout_rect *r, int y, int x, const char *text,
	     size_t len, struct cell_style st);
/* view_put of a NUL-terminated string in element elem (attrs extra bits). */
int view_puts(struct view_canvas *c, const struct layout_rect *r, int y, int x, uint16_t elem,
	      uint8_t attrs, const char *text);
int view_printf(struct view_canvas *c, const struct layout_rect *r, int y, int x, uint16_t elem,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Fills row y of r with spaces in elem. */
void view_fill(struct view_canvas *c, const struct layout_rect *r, int y, uint16_t elem);
/* A progress bar over columns [x, x + width) of row y of r. */
void view_progress(struct view_canvas *c, const struct layout_rect *r, int y, int x, int width,
		   uint64_t done, uint64_t total, const char *label);
/* Puts spans (from a log pane model) on row y starting at column x. */
int view_spans(struct view_canvas *c, const struct layout_rect *r, int y, int x,
	       const struct cell_span *spans, size_t n);

/* The text of row y as plain UTF-8 (runs merged over spaces), for tests and
 * for the e2e harness's debugging. New string, caller frees. */
char *view_canvas_row_text(const struct view_canvas *c, int y);

/* --- views ---------------------------------------------------------------- */

struct view_ops {
	const char *name;
	enum keymap_ctx keys;
	/* Renders into r (the title row is r's first row). */
	void (*render)(struct app *a, struct view_canvas *c, const struct layout_rect *r,
		       bool focused);
	/* Handles an action; returns true when it did. */
	bool (*action)(struct app *a, enum keymap_action act);
	/* Rows of content the view shows in r (for paging). */
	size_t (*page_rows)(struct app *a, const struct layout_rect *r);
};

extern const struct view_ops view_projects_ops;
extern const struct view_ops view_builds_ops;
extern const struct view_ops view_running_ops;
extern const struct view_ops view_artifacts_ops;
extern const struct view_ops view_help_ops;
extern const struct view_ops view_log_ops;
extern const struct view_ops view_pager_ops;

/* Moves a list selection for a movement action; false for other actions. */
bool view_list_move(struct model_sel *s, size_t n, size_t rows, enum keymap_action act);

/* The theme element of a build state. */
uint16_t view_status_elem(enum build_status s);

/* Pane title row: " name  detail " in title/title.focused, filled. */
void view_title(struct view_canvas *c, const struct layout_rect *r, bool focused, const char *title,
		const char *detail);

#endif
