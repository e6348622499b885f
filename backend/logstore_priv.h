/* logstore_priv: what logstore_cursor.c needs from logstore.c. Not for use
 * outside the logstore module. */
#ifndef AFTOMATO_LOGSTORE_PRIV_H
#define AFTOMATO_LOGSTORE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "logstore.h"

/* What readers see at one moment. */
struct logstore_view {
	uint64_t bytes;	    /* spool bytes indexed */
	uint64_t newlines;  /* '\n' among them */
	bool at_line_start; /* no bytes, or the last one is '\n' */
};

void logstore_view_get(struct logstore *ls, struct logstore_view *v);

/* Start and end (offset of its '\n', or v->bytes for a final partial line) of
 * `line`, which must be <= the newline count of an earlier view; fills *v with the
 * view the answer was computed in. Uses the index and block cache. */
int logstore_locate(struct logstore *ls, uint64_t line, struct logstore_view *v, uint64_t *start,
		    uint64_t *end, struct err *e);

/* Reads exactly `len` spool bytes at `off` (below the indexed size) into `buf`. */
int logstore_read_exact(struct logstore *ls, void *buf, size_t len, uint64_t off, struct err *e);

#endif
