/* watch: list + watch of one kind of object (Jobs, Pods) with a label selector,
 * as client-go's reflector does it.
 *
 * The objects are listed (in pages), then watched from the list's
 * resourceVersion with bookmarks. Events are newline-delimited JSON whose
 * chunk boundaries are arbitrary: watch_framer reassembles lines. When a watch
 * ends normally (the server's timeout, a closed connection) it is started again
 * from the last resourceVersion seen (events and bookmarks both move it). An
 * in-band ERROR event with a Status of code 410 (Expired) means that version
 * is gone: everything is listed again and handed over as a fresh list. Other
 * failures are retried with exponential backoff (WATCH_BACKOFF_MIN_MS doubling
 * up to WATCH_BACKOFF_MAX_MS, reset once an event arrives). */
#ifndef AFTOMATO_K8S_WATCH_H
#define AFTOMATO_K8S_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct rest;
struct watch;

#define WATCH_BACKOFF_MIN_MS 250
#define WATCH_BACKOFF_MAX_MS 30000
#define WATCH_LINE_MAX	     (16u << 20) /* one event; larger is an error */
#define WATCH_PAGE_LIMIT     500

enum watch_type { WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED };

struct watch_ops {
	/* A complete list (the first, or after a 410): items (a JSON array of
	 * objects, borrowed) replaces whatever was known before. */
	void (*listed)(void *ctx, json_t *items);
	/* One change; obj is borrowed. */
	void (*event)(void *ctx, enum watch_type type, json_t *obj);
	/* Listing or watching failed; it is retried. May be NULL. */
	void (*failed)(void *ctx, const struct err *e);
};

/* Starts listing path (e.g. "/apis/batch/v1/namespaces/x/jobs") with the
 * label selector (may be NULL). ops and ctx must outlive the watch. The strings
 * are copied. Caller frees with watch_free (no callback runs after). */
struct watch *watch_new(struct rest *r, const char *path, const char *label_selector,
			const struct watch_ops *ops, void *ctx);
void watch_free(struct watch *w);

/* True once a list has been delivered. */
bool watch_listed(const struct watch *w);
/* The resourceVersion reached ("" before the first list). */
const char *watch_resource_version(const struct watch *w);
/* Lists done so far (1 + relists) and watch requests started. */
unsigned watch_lists(const struct watch *w);
unsigned watch_watches(const struct watch *w);

/* --- line framing (exposed for tests) ------------------------------------- */

struct watch_framer {
	char *buf;
	size_t len, cap;
};

/* Called for each complete line (without its '\n'; a '\r' before it is
 * dropped). line is valid during the call. Return 0 to go on, -1 to stop. */
typedef int (*watch_line_fn)(void *ctx, const char *line, size_t len);

/* Feeds a chunk; complete lines go to fn, the rest waits for the next chunk.
 * Returns 0, or -1 when fn stopped or a line passed WATCH_LINE_MAX (e set). */
int watch_framer_feed(struct watch_framer *f, const char *buf, size_t len, watch_line_fn fn,
		      void *ctx, struct err *e);
/* Bytes waiting for their newline. */
size_t watch_framer_pending(const struct watch_framer *f);
void watch_framer_reset(struct watch_framer *f);
void watch_framer_cleanup(struct watch_framer *f);

#endif
