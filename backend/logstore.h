/* logstore: one build log, spooled to disk, with a sparse in-memory line index.
 *
 * Files:
 *   <path>     the spool: the log's bytes exactly as they arrived.
 *   <path>.ts  arrival times: 16-byte little-endian records (uint64 number of the
 *              first line the record applies to, int64 Unix milliseconds). A record
 *              is written only when a line starts at a different millisecond than
 *              the previous record says; a line's time is that of the last record
 *              whose first line is <= it. A trailing partial record is ignored.
 *
 * Memory: the index holds one 8-byte entry per 64 KiB block of spool (the number
 * of '\n' before the block), i.e. about 128 KiB per GiB of log whatever the line
 * lengths, plus a fixed block cache (LOGSTORE_CACHE_BLOCKS blocks). Timestamps are
 * read from the .ts file on demand and never held in memory.
 *
 * Lines: line numbers are 0-based. A line is the bytes before a '\n' (the '\n' is
 * not part of it; a '\r' before it is kept as a byte). A final line without '\n'
 * counts as a line and is reported as `partial`. No line is ever dropped or
 * truncated on disk; lines of any length work.
 *
 * Growth: a store opened with LOGSTORE_WRITE grows with logstore_append() (this
 * process writes). A store opened without it follows files another process
 * writes: logstore_refresh() indexes what was added since the last call.
 *
 * Threads: one writer thread (append, refresh, finish) and any number of reader
 * threads may use one store at the same time; readers always see a consistent
 * index (whole appends, never half of one). Reader calls are serialised among
 * themselves (they share the block cache). The store is reference counted: the
 * worker and the UI each hold a reference.
 *
 * Errors: functions returning int return 0 (or a count) on success and -1 on
 * failure, filling `e` (may be NULL). A full disk (ENOSPC, EDQUOT, EFBIG) gives
 * ERR_NOSPACE; the failed append is rolled back whole and everything appended
 * before stays readable and indexed. */
#ifndef AFTOMATO_LOGSTORE_H
#define AFTOMATO_LOGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define LOGSTORE_BLOCK_BYTES  (64u * 1024u) /* index granularity */
#define LOGSTORE_CACHE_BLOCKS 4		    /* blocks kept by the read cache */

/* arrival_ms of a line for which no time is known (no .ts record covers it). */
#define LOGSTORE_TIME_UNKNOWN INT64_MIN
/* Pass as arrival_ms to logstore_append to use the current time. */
#define LOGSTORE_NOW (-1)

/* Default cap on the text a cursor yields per line (see logstore_cursor_new). */
#define LOGSTORE_CURSOR_MAX_LINE_DEFAULT (16u * 1024u * 1024u)

enum logstore_flags {
	LOGSTORE_WRITE = 1 << 0,     /* open for appending; create the files if missing */
	LOGSTORE_TRUNCATE = 1 << 1,  /* with LOGSTORE_WRITE: start empty */
	LOGSTORE_TEMPORARY = 1 << 2, /* unlink <path> and <path>.ts when the last ref goes */
};

struct logstore;
struct logstore_cursor;

/* One line as handed to readers. `text` points into memory owned by the store (or
 * the cursor) and is valid only during the callback (or until the next cursor
 * call); it is NOT NUL-terminated and may contain any bytes. */
struct logstore_line {
	uint64_t line;	    /* 0-based line number */
	uint64_t offset;    /* spool offset of the line's first byte */
	uint64_t length;    /* full length in bytes, without the '\n' */
	int64_t arrival_ms; /* Unix ms the line started arriving, or LOGSTORE_TIME_UNKNOWN */
	const char *text;   /* the first text_len bytes of the line */
	size_t text_len;    /* min(length, the caller's cap) */
	int partial;	    /* 1: last line, not (yet) ended by '\n' */
};

/* Return 0 to continue, non-zero to stop reading (logstore_read_lines then
 * returns 0). Must not call into the same store. */
typedef int (*logstore_line_fn)(const struct logstore_line *line, void *arg);

/* Opens the log at `path` (flags: enum logstore_flags) and indexes whatever the
 * spool already holds (e.g. after a crash or a restart). Without LOGSTORE_WRITE
 * the spool must exist (ERR_NOTFOUND otherwise) and the .ts file may appear later.
 * With LOGSTORE_WRITE, .ts records beyond the spool's lines and a trailing partial
 * record are cut off. Files are created with mode 0600.
 * Returns a new store holding one reference (caller owns it; release with
 * logstore_unref), or NULL with `e` filled. `path` is copied. */
struct logstore *logstore_open(const char *path, unsigned flags, struct err *e);

/* Removes the files of the log at `path` (the spool, its times and its block
 * index); missing files are fine. Stores still open keep reading them. */
void logstore_remove(const char *path);

/* Takes another reference; returns `ls`. */
struct logstore *logstore_ref(struct logstore *ls);

/* Drops a reference; the last one closes the files (unlinking them for
 * LOGSTORE_TEMPORARY) and frees the store. NULL is ignored. */
void logstore_unref(struct logstore *ls);

/* The spool's path (owned by the store, valid while a reference is held). */
const char *logstore_path(const struct logstore *ls);

/* Appends `len` bytes (writer thread only; store opened with LOGSTORE_WRITE).
 * `arrival_ms` is the Unix ms the bytes arrived, LOGSTORE_NOW, or
 * LOGSTORE_TIME_UNKNOWN (no time is recorded: e.g. a log fetched from an
 * archive). Disk space is allocated before writing, so on a full disk no byte
 * of a failed append ever becomes visible to a follower. The bytes are
 * written and indexed as a whole or not at all: on failure (ERR_NOSPACE for a
 * full disk, ERR_IO otherwise) the spool and .ts are cut back to where they were,
 * so the caller may retry the same bytes later. Appending to a finished store
 * fails with ERR_INTERNAL. The data is copied; the caller keeps ownership. */
int logstore_append(struct logstore *ls, const void *data, size_t len, int64_t arrival_ms,
		    struct err *e);

/* Indexes bytes another process appended to the spool since the last call, and
 * picks up new .ts records (writer thread only). Returns 1 if the log grew, 0 if
 * not, -1 on error. If the spool shrank (replaced or truncated) the store is
 * re-indexed from scratch and 1 is returned. */
int logstore_refresh(struct logstore *ls, struct err *e);

/* Marks the log complete: no more data will come. Wakes logstore_wait callers. */
void logstore_finish(struct logstore *ls);

int logstore_is_finished(struct logstore *ls);

/* Lines indexed so far (a final partial line counts) and bytes indexed so far. */
uint64_t logstore_line_count(struct logstore *ls);
uint64_t logstore_byte_count(struct logstore *ls);

/* Heap bytes the store holds for its index, block cache and read buffers
 * (bounded: 128-256 KiB per GiB of spool, the index growing by doubling, plus
 * LOGSTORE_CACHE_BLOCKS blocks; a 1 GiB log of short lines measures ~520 KiB). */
size_t logstore_index_bytes(struct logstore *ls);

/* Calls `fn` for lines [first, first + count) that exist (fewer, or none, when the
 * range passes the end). Each line's text is capped at `max_bytes` (a 5 MB line
 * costs max_bytes of copying, not 5 MB); `length` still reports the full length.
 * Finding a line costs a binary search over blocks plus a scan of one block,
 * whatever the line lengths; recently read blocks are cached. */
int logstore_read_lines(struct logstore *ls, uint64_t first, uint64_t count, size_t max_bytes,
			logstore_line_fn fn, void *arg, struct err *e);

/* Reads up to `cap` bytes of the spool starting at `offset` into `buf` (caller's
 * memory), never past the bytes indexed so far. Stores the number read in
 * *out_len (0 at or past the end). For horizontal scrolling inside huge lines and
 * for streaming exact bytes (`logs --follow`). */
int logstore_read_bytes(struct logstore *ls, uint64_t offset, void *buf, size_t cap,
			size_t *out_len, struct err *e);

/* Writes up to `cap` indexed bytes of the spool from `offset` to the file
 * descriptor out_fd (a pipe, socket or file) without copying them through
 * memory where the kernel can (sendfile); *out_len gets the number written.
 * For streaming a log byte for byte (`logs --follow`). */
int logstore_send(struct logstore *ls, uint64_t offset, int out_fd, size_t cap, size_t *out_len,
		  struct err *e);

/* Blocks until more than `have_bytes` bytes are indexed or the store is
 * finished (returns 1), or `timeout_ms` passes (returns 0; timeout_ms < 0 waits
 * forever). Growth through logstore_refresh wakes it too, but a following reader
 * must call logstore_refresh itself. */
int logstore_wait(struct logstore *ls, uint64_t have_bytes, int timeout_ms);

/* A sequential cursor over lines for whole-log search, reading the spool in large
 * chunks. `direction` > 0 walks forward from `line` (clamped to the line count),
 * < 0 walks backward from `line` (clamped to the last line) down to line 0.
 * Lines longer than `max_line_bytes` (0: LOGSTORE_CURSOR_MAX_LINE_DEFAULT) are
 * yielded with their first max_line_bytes bytes as text and their full length.
 * The cursor holds a reference on `ls`. Returns a new cursor (caller owns it;
 * free with logstore_cursor_free) or NULL with `e` filled. */
struct logstore_cursor *logstore_cursor_new(struct logstore *ls, uint64_t line, int direction,
					    size_t max_line_bytes, struct err *e);

/* Yields the next line into *out (arrival_ms is LOGSTORE_TIME_UNKNOWN: the cursor
 * does not read timestamps; out->text is owned by the cursor and valid until the
 * next call). Returns 1 for a line, 0 when there is no further line now, -1 on
 * error. Forward cursors follow growth: after 0, a later call yields lines added
 * since. A final line without '\n' is yielded with `partial` set; if more bytes
 * arrive, the same line is yielded again (longer or completed) by a later call. */
int logstore_cursor_next(struct logstore_cursor *c, struct logstore_line *out, struct err *e);

/* The spool offset the cursor has reached (for progress display): forward, the
 * start of the next line; backward, the end of the next line. */
uint64_t logstore_cursor_offset(const struct logstore_cursor *c);

/* Frees the cursor and drops its reference. NULL is ignored. */
void logstore_cursor_free(struct logstore_cursor *c);

#endif
