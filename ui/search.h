/* search: regex search and filtering over whole build logs for log panes.
 *
 * Patterns are PCRE2 (UTF, invalid UTF-8 tolerated, JIT-compiled when the
 * platform allows) matched against each line's plain text (ansi_plain: SGR
 * sequences removed); hits are reported as raw byte ranges of the line.
 * Empty matches are not hits, except that a line whose only matches are
 * empty (e.g. "^") has one hit of length 0 at its first match.
 *
 * Whole-log work runs as jobs over logstore cursors in bounded slices: each
 * *_run call returns by `deadline_ns` (CLOCK_MONOTONIC, search_now_ns()) give
 * or take one line's matching, so the console stays responsive; it calls them
 * again between input events until they are done. Jobs borrow the regex
 * (it must outlive them) and hold a reference on the log through their
 * cursors. All functions are for the UI thread. */
#ifndef AFTOMATO_SEARCH_H
#define AFTOMATO_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ansi.h"
#include "err.h"

struct logstore;

/* Filter memory bound: separate runs of shown lines kept (24 bytes each,
 * i.e. at most 24 MiB); lines past the point where this is reached are not
 * filtered (search_filter_truncated says so). */
#define SEARCH_FILTER_MAX_RUNS (1u << 20)
/* Granularity of the match counter's per-chunk counts (4 bytes per chunk). */
#define SEARCH_COUNT_CHUNK_LINES 4096u

/* Monotonic clock in nanoseconds. */
int64_t search_now_ns(void);

/* --- patterns ------------------------------------------------------------- */

enum search_re_flags {
	SEARCH_SMART_CASE = 1 << 0, /* caseless unless the pattern has an upper-case
				       letter (outside escapes) */
	SEARCH_CASELESS = 1 << 1,   /* always caseless */
};

struct search_re;

/* Compiles `pattern` (copied). Returns a new regex (caller owns; free with
 * search_re_free) or NULL with `e` filled: ERR_USAGE and a one-line message
 * with PCRE2's reason and the offset, e.g. "bad pattern at offset 3: missing
 * closing parenthesis". */
struct search_re *search_re_new(const char *pattern, unsigned flags, struct err *e);
void search_re_free(struct search_re *re);
const char *search_re_pattern(const struct search_re *re);
bool search_re_caseless(const struct search_re *re);

/* A hit: raw byte range [start, end) of line `line`. */
struct search_hit {
	uint64_t line;
	uint64_t start, end;
};

/* Hits of one line. `scratch` is the caller's plain-text buffer. */
/* Does the line have a hit? */
bool search_line_any(struct search_re *re, struct ansi_plain *scratch, const char *line,
		     size_t len);
/* Stores up to `cap` hits of the line as marks with theme element `elem`
 * (sorted); returns how many were stored. */
size_t search_line_marks(struct search_re *re, struct ansi_plain *scratch, const char *line,
			 size_t len, uint16_t elem, struct ansi_mark *marks, size_t cap);
/* Number of hits whose start is < `before` (UINT64_MAX: all of them). */
uint64_t search_line_count(struct search_re *re, struct ansi_plain *scratch, const char *line,
			   size_t len, uint64_t before);
/* Forward (dir > 0): the first hit with start >= bound. Backward: the last hit
 * with start < bound. Returns true and fills start/end if there is one. */
bool search_line_find(struct search_re *re, struct ansi_plain *scratch, const char *line,
		      size_t len, int dir, uint64_t bound, uint64_t *start, uint64_t *end);

/* The same on a line already stripped with ansi_plain_set (p->text valid). */
bool search_plain_any(struct search_re *re, const struct ansi_plain *p);
size_t search_plain_marks(struct search_re *re, const struct ansi_plain *p, uint16_t elem,
			  struct ansi_mark *marks, size_t cap);

/* --- filter --------------------------------------------------------------- */

/* The lines shown by a filter: every line with a hit plus `context` lines
 * before and after it (like grep -C), kept as sorted runs of lines and
 * extended as the log grows. */
struct search_filter;

/* Returns a new filter job over `ls` (caller owns; search_filter_free) or
 * NULL with `e` filled. */
struct search_filter *search_filter_new(struct logstore *ls, struct search_re *re, unsigned context,
					struct err *e);
void search_filter_free(struct search_filter *f);
/* Filters lines until the deadline or until it has caught up with the log.
 * Returns 1 when caught up (call again after the log grows), 0 when there is
 * more to do, -1 on error. *changed is set when rows were added. */
int search_filter_run(struct search_filter *f, int64_t deadline_ns, bool *changed, struct err *e);
/* Rows (shown lines) for a log of `nlines` lines. */
uint64_t search_filter_rows(const struct search_filter *f, uint64_t nlines);
/* The line shown at `row` (< rows). */
uint64_t search_filter_line(const struct search_filter *f, uint64_t row);
/* The first row showing a line >= `line` (rows when none). */
uint64_t search_filter_row_of(const struct search_filter *f, uint64_t line, uint64_t nlines);
/* Is `line` shown? (Lines not yet filtered are not.) */
bool search_filter_has(const struct search_filter *f, uint64_t line, uint64_t nlines);
uint64_t search_filter_matches(const struct search_filter *f); /* lines with a hit */
uint64_t search_filter_lines_done(const struct search_filter *f);
bool search_filter_truncated(const struct search_filter *f);
unsigned search_filter_context(const struct search_filter *f);
/* Heap bytes held (for the documented bound). */
size_t search_filter_bytes(const struct search_filter *f);

/* --- seek (/, ?, n, N, error jumps) ---------------------------------------- */

struct search_seek;

/* Looks for the next hit after (forward) or before (backward) position
 * (line, bound): forward finds the first hit at line `line` with start >=
 * bound or on a later line; backward the last hit at `line` with start <
 * bound or on an earlier line. With `wrap` the search continues from the other
 * end of the log back to the start position. With `only` (may be NULL), lines
 * the filter does not show are skipped. Returns a new job (caller owns;
 * search_seek_free) or NULL with `e` filled. */
struct search_seek *search_seek_new(struct logstore *ls, struct search_re *re, uint64_t line,
				    uint64_t bound, int dir, bool wrap,
				    const struct search_filter *only, struct err *e);
void search_seek_free(struct search_seek *s);
/* Returns 1 with *hit filled when found, 2 when there is no hit, 0 when the
 * deadline came first (call again), -1 on error. */
int search_seek_run(struct search_seek *s, int64_t deadline_ns, struct search_hit *hit,
		    struct err *e);
/* The search went past an end of the log and continued from the other. */
bool search_seek_wrapped(const struct search_seek *s);
/* Share of the log searched, 0..100. */
int search_seek_progress(const struct search_seek *s);

/* --- match counter ---------------------------------------------------------- */

/* Counts every hit in the log from line 0, following its growth, with
 * per-chunk counts so that the rank of any hit ("match 3 of 1,204") is found
 * by counting at most SEARCH_COUNT_CHUNK_LINES lines. */
struct search_count;

struct search_count *search_count_new(struct logstore *ls, struct search_re *re, struct err *e);
void search_count_free(struct search_count *c);
/* Counts (and works on a pending rank) until the deadline. Returns 1 when
 * caught up with the log, 0 when there is more to do, -1 on error. */
int search_count_run(struct search_count *c, int64_t deadline_ns, struct err *e);
/* Hits counted so far, and lines counted so far. */
uint64_t search_count_total(const struct search_count *c);
uint64_t search_count_lines_done(const struct search_count *c);
/* Asks for the 1-based rank of `hit`; search_count_run works it out. */
void search_count_want_rank(struct search_count *c, const struct search_hit *hit);
/* Sets the rank directly (n/N moved by one hit). */
void search_count_set_rank(struct search_count *c, const struct search_hit *hit, uint64_t rank);
/* The rank of the hit last asked for, or 0 while unknown. */
uint64_t search_count_rank(const struct search_count *c);

#endif
