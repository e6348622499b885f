/* search_priv: what the search job files share. Not for use outside the
 * search module. */
#ifndef AFTOMATO_SEARCH_PRIV_H
#define AFTOMATO_SEARCH_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "search.h"

/* How often a job looks at the clock: after this many lines or bytes. */
#define SEARCH_SLICE_LINES 64u
#define SEARCH_SLICE_BYTES (256u * 1024u)

/* A job's time slice. */
struct search_slice {
	int64_t deadline;
	unsigned lines;
	uint64_t bytes;
};

/* Counts a processed line; true when the deadline has passed. */
static inline bool search_slice_over(struct search_slice *s, uint64_t line_bytes)
{
	s->lines++;
	s->bytes += line_bytes;
	if (s->lines < SEARCH_SLICE_LINES && s->bytes < SEARCH_SLICE_BYTES)
		return false;
	s->lines = 0;
	s->bytes = 0;
	return search_now_ns() >= s->deadline;
}

#endif
