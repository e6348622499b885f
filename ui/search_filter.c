/* search_filter: the lines a filter shows (search.h), kept as sorted runs of
 * lines built in slices over a logstore cursor and extended as the log
 * grows. */
#include "search.h"

#include <stdlib.h>
#include <string.h>

#include "logstore.h"
#include "search_priv.h"

struct s_run {
	uint64_t first, count; /* lines [first, first + count); may pass the log's end */
	uint64_t rows_before;  /* rows of the runs before this one */
};

struct search_filter {
	struct logstore_cursor *cur;
	struct search_re *re;
	unsigned context;
	struct ansi_plain plain;
	struct s_run *runs;
	size_t nruns, cap;
	uint64_t lines_done;
	uint64_t matches;
	bool truncated;
	/* the last line went out partial: what it changed, to undo it when
	 * the cursor yields the line again */
	bool pending;
	uint64_t pending_line;
	size_t undo_nruns;
	struct s_run undo_last;
	uint64_t undo_matches;
};

struct search_filter *search_filter_new(struct logstore *ls, struct search_re *re, unsigned context,
					struct err *e)
{
	struct search_filter *f = calloc(1, sizeof(*f));
	if (!f) {
		err_set(e, ERR_INTERNAL, "out of memory filtering a log");
		return NULL;
	}
	f->re = re;
	f->context = context;
	ansi_plain_init(&f->plain);
	f->cur = logstore_cursor_new(ls, 0, 1, 0, e);
	if (!f->cur) {
		search_filter_free(f);
		return NULL;
	}
	return f;
}

void search_filter_free(struct search_filter *f)
{
	if (!f)
		return;
	logstore_cursor_free(f->cur);
	ansi_plain_cleanup(&f->plain);
	free(f->runs);
	free(f);
}

/* Adds the lines shown for a hit on line m. Returns false when the run limit
 * is reached. */
static bool s_filter_add(struct search_filter *f, uint64_t m)
{
	uint64_t lo = m > f->context ? m - f->context : 0;
	uint64_t hi = m + f->context + 1;
	if (f->nruns > 0) {
		struct s_run *last = &f->runs[f->nruns - 1];
		if (last->first + last->count >= lo) {
			if (hi > last->first + last->count)
				last->count = hi - last->first;
			return true;
		}
	}
	if (f->nruns >= SEARCH_FILTER_MAX_RUNS)
		return false;
	if (f->nruns == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct s_run *r = realloc(f->runs, cap * sizeof(*r));
		if (!r)
			return false;
		f->runs = r;
		f->cap = cap;
	}
	uint64_t before = 0;
	if (f->nruns > 0)
		before = f->runs[f->nruns - 1].rows_before + f->runs[f->nruns - 1].count;
	f->runs[f->nruns++] = (struct s_run){lo, hi - lo, before};
	return true;
}

static void s_filter_undo(struct search_filter *f)
{
	f->nruns = f->undo_nruns;
	if (f->nruns > 0)
		f->runs[f->nruns - 1] = f->undo_last;
	f->matches = f->undo_matches;
	f->pending = false;
}

int search_filter_run(struct search_filter *f, int64_t deadline_ns, bool *changed, struct err *e)
{
	struct search_slice sl = {deadline_ns, 0, 0};
	struct logstore_line l;
	while (!f->truncated) {
		int rc = logstore_cursor_next(f->cur, &l, e);
		if (rc <= 0)
			return rc < 0 ? -1 : 1;
		if (f->pending && l.line == f->pending_line) {
			s_filter_undo(f);
			*changed = true;
		}
		if (l.partial) {
			f->pending = true;
			f->pending_line = l.line;
			f->undo_nruns = f->nruns;
			if (f->nruns > 0)
				f->undo_last = f->runs[f->nruns - 1];
			f->undo_matches = f->matches;
		} else {
			f->pending = false;
		}
		if (search_line_any(f->re, &f->plain, l.text, l.text_len)) {
			if (!s_filter_add(f, l.line)) {
				f->truncated = true;
				f->pending = false;
				*changed = true;
				return 1;
			}
			f->matches++;
			*changed = true;
		}
		f->lines_done = l.line + 1;
		if (search_slice_over(&sl, l.text_len))
			return 0;
	}
	return 1;
}

uint64_t search_filter_rows(const struct search_filter *f, uint64_t nlines)
{
	if (f->nruns == 0)
		return 0;
	const struct s_run *last = &f->runs[f->nruns - 1];
	uint64_t end = last->first + last->count < nlines ? last->first + last->count : nlines;
	return last->rows_before + (end > last->first ? end - last->first : 0);
}

/* The last run starting at or before `line`, or -1. */
static ptrdiff_t s_run_of_line(const struct search_filter *f, uint64_t line)
{
	size_t lo = 0, hi = f->nruns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->runs[mid].first <= line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (ptrdiff_t)lo - 1;
}

uint64_t search_filter_line(const struct search_filter *f, uint64_t row)
{
	size_t lo = 0, hi = f->nruns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->runs[mid].rows_before <= row)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct s_run *r = &f->runs[lo - 1];
	return r->first + (row - r->rows_before);
}

uint64_t search_filter_row_of(const struct search_filter *f, uint64_t line, uint64_t nlines)
{
	ptrdiff_t i = s_run_of_line(f, line);
	if (i < 0)
		return 0;
	const struct s_run *r = &f->runs[i];
	if (line < r->first + r->count && line < nlines)
		return r->rows_before + (line - r->first);
	if ((size_t)i + 1 < f->nruns)
		return f->runs[i + 1].rows_before;
	return search_filter_rows(f, nlines);
}

bool search_filter_has(const struct search_filter *f, uint64_t line, uint64_t nlines)
{
	ptrdiff_t i = s_run_of_line(f, line);
	return i >= 0 && line < f->runs[i].first + f->runs[i].count && line < nlines;
}

uint64_t search_filter_matches(const struct search_filter *f)
{
	return f->matches;
}

uint64_t search_filter_lines_done(const struct search_filter *f)
{
	return f->lines_done;
}

bool search_filter_truncated(const struct search_filter *f)
{
	return f->truncated;
}

unsigned search_filter_context(const struct search_filter *f)
{
	return f->context;
}

size_t search_filter_bytes(const struct search_filter *f)
{
	return sizeof(*f) + f->cap * sizeof(*f->runs) + f->plain.buf_cap +
	       f->plain.segs_cap * sizeof(*f->plain.segs);
}
