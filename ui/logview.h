/* logview: the model of one log pane, without a terminal.
 *
 * A logview shows the lines of a logstore (or nothing while a build is queued)
 * in a viewport of rows x cols cells and turns them into rows of cell spans
 * (gutter with line numbers and arrival times, then the text rendered by
 * ansi.c). Only the lines in the viewport are ever read for drawing.
 *
 * Follow: a new view follows the log (the last line stays at the bottom as
 * lines arrive). Scrolling up pauses following and counts the lines that
 * arrive meanwhile; scrolling back to the bottom (or logview_bottom) resumes.
 *
 * Wrap: off by default. With wrap on, long lines take several rows (computed
 * for the lines in view only; lines over 8 KiB are streamed from the store and
 * keep checkpoints every 16 rows, so a 5 MB line costs one scan, then only
 * what is shown). The horizontal scroll is kept while wrapping and used again
 * when wrap goes off; without wrap a long line costs a scan up to the
 * horizontal scroll position plus the window.
 *
 * Search (/ and ?), filter (&) and error jumps work on the whole log with
 * PCRE2 in bounded slices: they only start work; logview_work does it. While
 * logview_busy() says so, the console calls logview_work(lv, budget) between
 * input events (e.g. poll with a 0 timeout) and redraws when it returns true.
 * Results (a match found, "pattern not found", "saved to PATH", errors) come
 * as one-line notes: logview_take_note. Matches are found anywhere in a line
 * (up to 16 MiB); highlighting of all matches covers the first 8 KiB of each
 * visible line, the current match is highlighted wherever it is. Error and
 * warning styling looks at the first 2 KiB of a line.
 *
 * Threads: UI thread only. */
#ifndef AFTOMATO_LOGVIEW_H
#define AFTOMATO_LOGVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cell.h"
#include "err.h"

struct logstore;
struct logview;

enum logview_ts {
	LOGVIEW_TS_OFF,
	LOGVIEW_TS_LOCAL, /* "14:03:22.123" local time */
	LOGVIEW_TS_UTC,	  /* "14:03:22.123Z" */
};

/* Default pattern of error lines (caseless; singular words only, so that
 * "0 errors, 2 warnings" summaries are not flagged) and of warning lines; visible
 * lines matching them are drawn as CELL_LOG_ERROR / CELL_LOG_WARN. */
#define LOGVIEW_ERROR_PATTERN "\\b(error|fatal|failed|failure|exception|panic)\\b"
#define LOGVIEW_WARN_PATTERN  "\\b(warn|warning|deprecated)\\b"

/* Default time budget of one logview_work call. */
#define LOGVIEW_WORK_BUDGET_US 5000

/* One row of the viewport. */
struct logview_row {
	const struct cell_span *spans; /* owned by the logview; valid until the next
					  logview_render or logview_free */
	size_t nspans;
	uint64_t line;	 /* the log line shown (0-based), UINT64_MAX: no line */
	uint32_t subrow; /* 0: first row of the line; >0: wrapped continuation */
};

/* Everything a pane title or footer may show. */
struct logview_status {
	bool has_log;	/* false while the build is queued */
	bool finished;	/* the log is complete */
	uint64_t lines; /* lines in the log */
	uint64_t bytes;
	uint64_t top_line; /* first and last line in view (0-based; 0 when empty) */
	uint64_t bottom_line;
	int percent; /* position of the bottom of the view in the log (or filter), 0..100 */
	bool follow;
	uint64_t new_lines; /* arrived while paused */
	bool wrap;
	enum logview_ts ts;
	bool line_numbers;
	uint64_t hscroll;
	/* search */
	const char *search_pattern; /* NULL: no search */
	int search_dir;		    /* +1 '/', -1 '?' */
	bool seeking;		    /* looking for the next match */
	int seek_percent;
	bool not_found;
	uint64_t match_rank;  /* 1-based rank of the current match; 0 unknown/none */
	uint64_t match_total; /* matches counted so far */
	bool counting;	      /* the total is still being counted */
	/* filter */
	const char *filter_pattern; /* NULL: no filter */
	unsigned filter_context;
	uint64_t filter_rows; /* lines shown */
	bool filtering;	      /* still filtering */
	int filter_percent;
	bool filter_truncated;
	/* error jumps, save */
	bool error_seeking;
	bool saving;
	int save_percent;
};

/* Returns a new, empty view (no log, 1x1, following, wrap off, no line
 * numbers, no timestamps). Caller owns it; free with logview_free. NULL when
 * out of memory. */
struct logview *logview_new(void);
void logview_free(struct logview *lv);

/* Shows `log` (may be NULL while the build is queued). The view takes its own
 * reference; the caller keeps its own. Giving the same store again is a no-op;
 * a different one (MSG_LOG_GREW brought another reference) replaces it,
 * keeping the position and restarting search, filter and counting on it. */
void logview_set_log(struct logview *lv, struct logstore *log);
/* The store shown (borrowed), or NULL. */
struct logstore *logview_log(const struct logview *lv);

/* Takes note of growth of the log (call on MSG_LOG_GREW). Returns true when
 * the visible rows or the status changed. */
bool logview_update(struct logview *lv);

/* Sets the viewport size in cells (gutter included); at least 1x1. */
void logview_resize(struct logview *lv, int rows, int cols);

/* --- movement ------------------------------------------------------------- */

/* Scrolls by `rows` screen rows (> 0 down, < 0 up). Up pauses following;
 * reaching the bottom resumes it. */
void logview_scroll(struct logview *lv, int64_t rows);
void logview_half_page(struct logview *lv, int dir); /* dir > 0 down */
void logview_page(struct logview *lv, int dir);
void logview_top(struct logview *lv);
void logview_bottom(struct logview *lv); /* and follow */
/* Shows `line` (0-based) near the top of the view (pauses following). */
void logview_goto_line(struct logview *lv, uint64_t line);
/* Horizontal scroll by `cols` (> 0 right); ignored while wrapping. */
void logview_hscroll(struct logview *lv, int64_t cols);
void logview_hscroll_home(struct logview *lv);
bool logview_following(const struct logview *lv);

/* --- display options ------------------------------------------------------ */

void logview_set_wrap(struct logview *lv, bool on);
bool logview_wrap(const struct logview *lv);
void logview_set_timestamps(struct logview *lv, enum logview_ts ts);
enum logview_ts logview_timestamps(const struct logview *lv);
void logview_set_line_numbers(struct logview *lv, bool on);
bool logview_line_numbers(const struct logview *lv);

/* --- search, filter, error lines ------------------------------------------ */

/* Starts a search for `pattern` (smart case): dir > 0 ('/') forward from the
 * first line in view, dir < 0 ('?') backward from the last one, wrapping
 * around the log. Returns 0, or -1 with `e` filled for a bad pattern (a
 * one-line message with PCRE2's reason and offset; the old search stays). An
 * empty pattern repeats the last search in direction `dir`. */
int logview_search(struct logview *lv, const char *pattern, int dir, struct err *e);
/* n (reverse = false: same direction as the search) and N (the other). */
void logview_search_next(struct logview *lv, bool reverse);
/* Drops the search (and its highlighting). */
void logview_search_clear(struct logview *lv);

/* Shows only lines matching `pattern` (smart case) with `context` lines
 * around each (like grep -C). An empty pattern clears the filter. Returns 0,
 * or -1 with `e` filled for a bad pattern. */
int logview_filter(struct logview *lv, const char *pattern, unsigned context, struct err *e);
void logview_filter_clear(struct logview *lv);

/* Jumps to the first error line of the log, the next after the view's top
 * line (or after the last error jumped to), or the previous. */
void logview_error_first(struct logview *lv);
void logview_error_next(struct logview *lv);
void logview_error_prev(struct logview *lv);

/* --- saving --------------------------------------------------------------- */

/* Starts saving the whole log (its bytes exactly as received, up to what is
 * there now) to `path` ("~/" expands to $HOME; the file gets mode 0600 and
 * appears under its name only when complete). The copy runs in logview_work
 * slices; a note reports "saved N bytes to /absolute/path" or the error.
 * Returns 0, or -1 with `e` filled (no log, a save already running, or the
 * file cannot be created). */
int logview_save(struct logview *lv, const char *path, struct err *e);

/* --- background work, notes ------------------------------------------------ */

/* Is there search, count, filter or save work pending? */
bool logview_busy(const struct logview *lv);
/* Does pending work for about `budget_us` microseconds. Returns true when
 * the visible rows or the status changed. */
bool logview_work(struct logview *lv, int budget_us);

enum logview_note_kind { LOGVIEW_NOTE_NONE, LOGVIEW_NOTE_INFO, LOGVIEW_NOTE_ERROR };
/* Takes the latest note (one line, copied into buf, NUL-terminated). */
enum logview_note_kind logview_take_note(struct logview *lv, char *buf, size_t cap);

/* --- drawing -------------------------------------------------------------- */

/* Renders the viewport: sets *rows to `rows` rows (owned by the view, valid
 * until the next render or free) and returns how many. Rows past the end of
 * the log have no spans. Costs the visible lines only. */
size_t logview_render(struct logview *lv, const struct logview_row **rows);

void logview_status_get(struct logview *lv, struct logview_status *st);
/* A one-line summary for a pane title or footer, e.g.
 * "12,345 lines 45% PAUSED +120 new | /error/ 3 of 1,204 | & 56 lines | wrap".
 * Returns strlen of the result (truncated to cap - 1). */
size_t logview_status_text(struct logview *lv, char *buf, size_t cap);

#endif
