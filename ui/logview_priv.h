/* logview_priv: the log view's state, shared by logview.c (state, movement,
 * search/filter/error commands, background work, status), logview_render.c
 * (reading the lines in view, wrapping, drawing) and logview_save.c. Not for
 * use outside the logview module. */
#ifndef AFTOMATO_LOGVIEW_PRIV_H
#define AFTOMATO_LOGVIEW_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "ansi.h"
#include "logview.h"
#include "search.h"

#define LV_TEXT_CAP	  8192u /* bytes of a line read for drawing; longer lines stream */
#define LV_WRAP_CACHE	  64	/* long lines whose wrapped layout is remembered */
#define LV_CKPT_ROWS	  16u	/* wrapped rows between checkpoints of a long line */
#define LV_CKPT_COLS	  4096u /* columns between checkpoints without wrap */
#define LV_MAX_MARKS	  256	/* highlighted matches per line */
#define LV_CLASSIFY_BYTES 2048u /* bytes of a line looked at for error/warning styling */

/* A line in view: read with logstore_read_lines, text capped at LV_TEXT_CAP. */
struct lv_line {
	uint64_t line, off, len;
	int64_t ms;
	bool partial;
	const char *text; /* into lv->tbuf */
	size_t text_len;  /* min(len, LV_TEXT_CAP) */
	size_t text_at;
};

/* Where decoding of a long line can restart. */
struct lv_ckpt {
	uint64_t off, row, x;
	struct ansi_state st;
};

/* Layout of one long line: wrapped at `width` columns, or (width 0) not
 * wrapped, with checkpoints by column for far horizontal scrolls. */
struct lv_wrapc {
	bool used;
	uint64_t line, len;
	uint32_t width;
	uint64_t rows;
	uint64_t stamp;
	struct lv_ckpt *cp;
	size_t ncp, cap;
};

/* A position: index (a line, or a row of the filter) and wrapped row in it. */
struct lv_pos {
	uint64_t idx, sub;
};

struct lv_save {
	struct logstore *ls;
	int fd;
	char *tmp, *path;
	uint64_t off, total;
	char *buf;
};

enum lv_seek_kind { LV_SEEK_SEARCH, LV_SEEK_ERROR };

struct logview {
	struct logstore *log;
	int rows, cols;
	bool follow;
	struct lv_pos top; /* when not following */
	uint64_t hscroll;
	uint64_t paused_lines; /* line count when following paused */
	bool wrap, lineno;
	enum logview_ts ts;
	uint64_t seen_lines, seen_bytes; /* at the last update */
	bool seen_finished;
	/* search */
	struct search_re *sre;
	int sdir;
	struct search_count *count;
	bool count_idle;
	struct search_seek *seek;
	enum lv_seek_kind seek_kind;
	bool seek_step; /* n/N from the current match: rank moves by one */
	int seek_dir;
	bool have_cur;
	struct search_hit cur;
	bool not_found;
	/* error lines */
	struct search_re *ere, *wre;
	bool have_err;
	uint64_t err_line;
	struct search_hit err_hit;
	/* filter */
	struct search_re *fre;
	struct search_filter *filter;
	unsigned fctx;
	bool filter_idle;
	bool anchor_pending; /* show anchor_line once the filter got there */
	uint64_t anchor_line;
	/* save */
	struct lv_save *save;
	/* note */
	enum logview_note_kind note_kind;
	char note[256];
	/* drawing: text and gutter spans are built apart, then joined per row */
	struct ansi_out tout, gout;
	struct logview_row *rowv;
	size_t *tstart, *gstart; /* first span of each row in tout / gout */
	size_t rowv_cap;
	struct cell_span *fin;
	size_t fin_cap;
	struct lv_line *lines; /* lines of the last fetch; lines[0] shows index f_idx */
	size_t lines_cap, nfetched;
	uint64_t f_idx, f_bytes, f_rows; /* what the last fetch read, to reuse it */
	const void *f_log, *f_filter;
	bool f_valid;
	char *tbuf;
	size_t tbuf_len, tbuf_cap;
	struct ansi_plain plain;
	struct ansi_mark marks[LV_MAX_MARKS];
	struct lv_wrapc wcache[LV_WRAP_CACHE];
	uint64_t wstamp;
	bool io_error; /* reading the log failed while drawing (noted once) */
};

/* logview.c */
void logview_note_set(struct logview *lv, enum logview_note_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint64_t logview_nlines(struct logview *lv);
/* The position of the last row in view. */
struct lv_pos logview_last_pos(struct logview *lv);

/* logview_render.c */
/* Indices of the view: lines, or rows of the filter. */
uint64_t logview_render_count(struct logview *lv);
uint64_t logview_render_line_of(struct logview *lv, uint64_t idx);
/* Columns for text (after the gutter). */
uint32_t logview_render_text_width(struct logview *lv);
/* Reads the lines of indices [idx, idx + n) into lv->lines (lv->nfetched of
 * them; fewer past the end). Returns 0 or -1. */
int logview_render_fetch(struct logview *lv, uint64_t idx, uint64_t n);
/* Wrapped rows of a fetched line (1 without wrap). */
uint64_t logview_render_line_rows(struct logview *lv, const struct lv_line *l);
/* Rows of index idx (reads the line). */
uint64_t logview_render_rows_of(struct logview *lv, uint64_t idx);
/* The top position that puts the end of the log at the bottom of the view. */
struct lv_pos logview_render_bottom(struct logview *lv);
/* The top position in effect: the bottom when following, else the stored
 * one, clamped to the log. */
struct lv_pos logview_render_top(struct logview *lv);
/* The wrapped row and display column where raw offset `off` of line `line`
 * is shown. */
void logview_render_locate(struct logview *lv, uint64_t line, uint64_t off, uint64_t *row,
			   uint64_t *col);
/* Forgets wrapped layouts (log replaced). */
void logview_render_forget(struct logview *lv);
void logview_render_cleanup(struct logview *lv);

/* logview_save.c */
/* Copies until the deadline; true when the status changed. */
bool logview_save_run(struct logview *lv, int64_t deadline_ns);
void logview_save_cancel(struct logview *lv);

#endif
