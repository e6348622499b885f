/* draw: the one module that turns cells (ui/cell.h) into ncurses calls, with
 * the current theme's attributes and colour pairs.
 *
 * Call draw_new after initscr()/newterm(): it starts colours (unless the
 * terminal has none or NO_COLOR is set), works out what the terminal can show
 * (struct theme_caps) and applies the theme. Text is UTF-8 drawn with the
 * wide-character calls; control bytes (C0, DEL, C1) and invalid UTF-8 are
 * drawn as '?' so nothing in a span can reach the terminal as a control.
 *
 * Colour pairs: the theme's elements get pinned pairs; colours from logs (SGR)
 * get pairs from a cache keyed by (fg, bg) after mapping to the terminal's
 * colours. When the terminal's pair limit is reached, the least recently used
 * pair not used in the current frame is redefined; if every pair was used in
 * this frame the span falls back to its element's colours. So that a reused
 * pair never recolours text still on screen, the console calls
 * draw_frame_begin() before each frame and redraws every visible window in it
 * (ncurses sends only what changed anyway).
 *
 * Widths and columns are screen columns. Functions clip to the width given
 * and never write outside [x, x + width) of row y. */
#ifndef AFTOMATO_DRAW_H
#define AFTOMATO_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include <ncurses.h>

#include "cell.h"
#include "theme.h"

struct draw;

struct draw_opts {
	/* Use at most this many colour pairs (0 = the terminal's COLOR_PAIRS).
	 * For tests of the pair cache under pressure. */
	int max_pairs;
	/* NO_COLOR and TERM as the caps see them; NULL = getenv(). */
	const char *no_color;
	const char *term;
	int force_no_color; /* 1: behave as if NO_COLOR were set */
};

/* Starts drawing on the current screen with theme t (which must outlive the
 * draw or the next draw_set_theme; the draw does not take it). o may be NULL.
 * New draw, caller frees with draw_free. NULL only when out of memory. */
struct draw *draw_new(const struct theme *t, const struct draw_opts *o);
void draw_free(struct draw *d);

/* Switches to theme t live: resolves it again and redefines the pinned pairs;
 * every cached pair is released (no pair leaks however often this is called).
 * Redraw everything afterwards. */
void draw_set_theme(struct draw *d, const struct theme *t);

const struct theme_caps *draw_caps(const struct draw *d);
/* The resolved style of an element (colours and enum cell_attr_bits). */
const struct theme_term_style *draw_elem_style(const struct draw *d, enum cell_elem elem);

/* Starts a new frame for the pair cache (see above). */
void draw_frame_begin(struct draw *d);

/* The ncurses attributes (A_*) and extended pair number for a style, as
 * draw_spans uses them. For tests and for callers that draw themselves. */
void draw_style_attr(struct draw *d, const struct cell_style *s, attr_t *attrs, int *pair);

/* Pairs in use (pinned + cached) and the most the draw will use. */
int draw_pairs_used(const struct draw *d);
int draw_pairs_max(const struct draw *d);

/* Draws spans at (y, x) within width columns, starting skip_cols columns into
 * the text (horizontal scroll; a wide character cut by the left edge shows as
 * a space). Returns the columns drawn (<= width). */
int draw_spans(struct draw *d, WINDOW *w, int y, int x, int width, int skip_cols,
	       const struct cell_span *spans, size_t n);

/* draw_spans, then fills the rest of the width with spaces in element fill. */
void draw_line(struct draw *d, WINDOW *w, int y, int x, int width, int skip_cols,
	       const struct cell_span *spans, size_t n, enum cell_elem fill);

/* One UTF-8 string (NUL-terminated) in element elem. Returns columns drawn. */
int draw_text(struct draw *d, WINDOW *w, int y, int x, int width, enum cell_elem elem,
	      const char *text);

/* Fills width columns of row y with spaces in element elem. */
void draw_fill(struct draw *d, WINDOW *w, int y, int x, int width, enum cell_elem elem);

/* A frame h rows by wid columns with its top-left corner at (y, x), in
 * border or border.focused, and " title " on the top edge in title or
 * title.focused (clipped; NULL for none). */
void draw_box(struct draw *d, WINDOW *w, int y, int x, int h, int wid, const char *title,
	      bool focused);

/* A progress bar over width columns: the part done/total filled in element
 * progress with label (e.g. "12.0 MiB / 40.0 MiB") centred over the bar and a
 * percentage. total 0 = unknown: no fill, label only. */
void draw_progress(struct draw *d, WINDOW *w, int y, int x, int width, uint64_t done,
		   uint64_t total, const char *label);

/* A one-line status: left text, right text aligned to the right edge (either
 * may be NULL), the rest filled, all in element elem; the left text is cut
 * first (ending in "…") when both do not fit. */
void draw_status(struct draw *d, WINDOW *w, int y, int x, int width, enum cell_elem elem,
		 const char *left, const char *right);



#endif
