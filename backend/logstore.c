/* logstore: a build log spooled to disk with a sparse line index (logstore.h).
 *
 * Index: blocks[b] is the number of '\n' in the spool before byte b * BLOCK. The
 * k-th newline is found by a binary search for the last block with fewer than k
 * newlines before it, then a memchr scan of that one block.
 *
 * Locks: `wmu` serialises the writer side (append, refresh, finish) and guards
 * `st`, the writer's working state. `lock` (rwlock) guards `pub`, the state
 * readers see, the `blocks` array's address and `ts_fd`; the writer fills
 * blocks[] slots beyond pub.nblocks without it and publishes with a short write
 * lock. `cmu` (taken inside `lock`) guards the block cache and text buffer.
 * `nmu`/`ncond` let logstore_wait sleep until growth. The cursor lives in
 * logstore_cursor.c and uses the helpers of logstore_priv.h. */
#include "logstore.h"
#include "logstore_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK		 ((uint64_t)LOGSTORE_BLOCK_BYTES)
#define TS_RECORD_BYTES	 16u
#define SCAN_CHUNK_BYTES (1u << 20)
#define TEXT_KEEP_BYTES	 (4u * LOGSTORE_BLOCK_BYTES)
#define RESERVE_AHEAD_BYTES (8u << 20)

struct logstore_state {
	uint64_t bytes;	    /* spool bytes indexed */
	uint64_t newlines;  /* '\n' among them */
	uint64_t nblocks;   /* index entries: bytes / BLOCK + 1 */
	uint64_t ts_count;  /* whole .ts records */
	bool at_line_start; /* no bytes yet, or the last byte is '\n' */
};

struct logstore_slot {
	char *data; /* BLOCK bytes, allocated on first use */
	uint64_t block;
	size_t len; /* valid bytes; 0: empty */
	unsigned long used;
};

struct logstore {
	atomic_int refs;
	unsigned flags;
	char *path;
	char *ts_path;
	char *idx_path;
	int fd;
	int ts_fd;
	int idx_fd;          /* <path>.idx: the writer's block index, for followers */
	uint64_t idx_blocks; /* writer: entries written; follower: entries trusted */
	bool idx_broken;     /* stop writing (or trusting) the index file */

	pthread_mutex_t wmu;
	struct logstore_state st;
	int64_t ts_last_ms;
	uint64_t reserved_to; /* disk space allocated (beyond EOF) up to here */

	pthread_rwlock_t lock;
	struct logstore_state pub;
	uint64_t *blocks;
	size_t blocks_cap;
	bool finished;

	pthread_mutex_t cmu;
	struct logstore_slot cache[LOGSTORE_CACHE_BLOCKS];
	unsigned long tick;
	char *text;
	size_t text_cap;

	pthread_mutex_t nmu;
	pthread_cond_t ncond;
	uint64_t n_bytes;
	bool n_finished;
};

static uint64_t s_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t s_nlines(const struct logstore_state *p)
{
	return p->newlines + (p->at_line_start ? 0 : 1);
}

static int s_pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	*got = done;
	return 0;
}

static int s_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes of the spool or fails (a short read means the file
 * shrank behind the index). */
static int s_read_spool(struct logstore *ls, void *buf, size_t len, uint64_t off, struct err *e)
{
	size_t got;
	if (s_pread_full(ls->fd, buf, len, off, &got) < 0)
		return err_errno(e, errno, "cannot read log %.300s", ls->path);
	if (got < len)
		return err_set(e, ERR_IO, "log %.300s shrank while being read", ls->path);
	return 0;
}

static uint64_t s_count_newlines(const char *p, size_t len)
{
	const char *end = p + len;
	uint64_t n = 0;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* --- timestamps ------------------------------------------------------------ */

static void s_ts_encode(unsigned char *b, uint64_t line, int64_t ms)
{
	uint64_t m = (uint64_t)ms;
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(line >> (8 * i));
		b[8 + i] = (unsigned char)(m >> (8 * i));
	}
}

/* Reads record i; false if it cannot be read (missing or I/O error). */
static bool s_ts_read(struct logstore *ls, uint64_t i, uint64_t *line, int64_t *ms)
{
	unsigned char b[TS_RECORD_BYTES];
	size_t got;
	if (ls->ts_fd < 0 || s_pread_full(ls->ts_fd, b, sizeof(b), i * TS_RECORD_BYTES, &got) < 0 ||
	    got < sizeof(b))
		return false;
	uint64_t l = 0, m = 0;
	for (int k = 0; k < 8; k++) {
		l |= (uint64_t)b[k] << (8 * k);
		m |= (uint64_t)b[8 + k] << (8 * k);
	}
	*line = l;
	*ms = (int64_t)m;
	return true;
}

/* Walks records alongside increasing line numbers (readers, under lock). */
struct logstore_ts_walk {
	uint64_t count;
	uint64_t next; /* index of the next record not yet applied */
	int64_t ms;    /* time of the record in force */
	uint64_t next_line;
	bool has_next;
};

static void s_ts_load_next(struct logstore *ls, struct logstore_ts_walk *w)
{
	int64_t ms;
	w->has_next = w->next < w->count && s_ts_read(ls, w->next, &w->next_line, &ms);
}

static void s_ts_begin(struct logstore *ls, uint64_t count, uint64_t line,
		       struct logstore_ts_walk *w)
{
	uint64_t lo = 0, hi = count, l;
	int64_t ms;
	while (lo < hi) { /* first record whose line is > `line` */
		uint64_t mid = lo + (hi - lo) / 2;
		if (!s_ts_read(ls, mid, &l, &ms)) {
			hi = mid;
			continue;
		}
		if (l <= line)
			lo = mid + 1;
		else
			hi = mid;
	}
	w->count = count;
	w->ms = LOGSTORE_TIME_UNKNOWN;
	if (lo > 0 && s_ts_read(ls, lo - 1, &l, &ms))
		w->ms = ms;
	w->next = lo;
	s_ts_load_next(ls, w);
}

static int64_t s_ts_at(struct logstore *ls, struct logstore_ts_walk *w, uint64_t line)
{
	while (w->has_next && w->next_line <= line) {
		uint64_t l;
		if (s_ts_read(ls, w->next, &l, &w->ms))
			w->next++;
		else
			w->next = w->count;
		s_ts_load_next(ls, w);
	}
	return w->ms;
}

/* --- writer side (under wmu) ----------------------------------------------- */

static int s_reserve(struct logstore *ls, uint64_t bytes, struct err *e)
{
	uint64_t need = bytes / BLOCK + 1;
	if (need <= ls->blocks_cap)
		return 0;
	size_t cap = ls->blocks_cap ? ls->blocks_cap : 16;
	while (cap < need)
		cap *= 2;
	pthread_rwlock_wrlock(&ls->lock);
	uint64_t *nb = realloc(ls->blocks, cap * sizeof(*nb));
	if (nb) {
		ls->blocks = nb;
		ls->blocks_cap = cap;
	}
	pthread_rwlock_unlock(&ls->lock);
	if (!nb)
		return err_set(e, ERR_INTERNAL, "out of memory indexing log %.300s", ls->path);
	return 0;
}

/* Indexes `len` bytes that now follow st.bytes (capacity reserved). */
static void s_scan(struct logstore *ls, const char *data, size_t len)
{
	uint64_t pos = ls->st.bytes;
	size_t i = 0;
	while (i < len) {
		uint64_t boundary = (pos / BLOCK + 1) * BLOCK;
		size_t seg = (size_t)s_min(len - i, boundary - pos);
		ls->st.newlines += s_count_newlines(data + i, seg);
		i += seg;
		pos += seg;
		if (pos == boundary)
			ls->blocks[ls->st.nblocks++] = ls->st.newlines;
	}
	ls->st.bytes = pos;
	if (len)
		ls->st.at_line_start = data[len - 1] == '\n';
}

static void s_publish(struct logstore *ls)
{
	pthread_rwlock_wrlock(&ls->lock);
	ls->pub = ls->st;
	pthread_rwlock_unlock(&ls->lock);
	pthread_mutex_lock(&ls->nmu);
	ls->n_bytes = ls->st.bytes;
	pthread_cond_broadcast(&ls->ncond);
	pthread_mutex_unlock(&ls->nmu);
}

/* Forgets the line index (the spool shrank); timestamps are kept. */
static void s_reset(struct logstore *ls)
{
	pthread_rwlock_wrlock(&ls->lock);
	pthread_mutex_lock(&ls->cmu);
	for (int i = 0; i < LOGSTORE_CACHE_BLOCKS; i++)
		ls->cache[i].len = 0;
	pthread_mutex_unlock(&ls->cmu);
	ls->st.bytes = 0;
	ls->st.newlines = 0;
	ls->st.nblocks = 1;
	ls->st.at_line_start = true;
	ls->blocks[0] = 0;
	ls->pub = ls->st;
	pthread_rwlock_unlock(&ls->lock);
}

static int s_idx_follow(struct logstore *ls, uint64_t size, struct err *e);

/* Indexes spool bytes beyond st.bytes; sets *grew when it indexed any. */
static int s_index_file(struct logstore *ls, bool *grew, struct err *e)
{
	struct stat sb;
	if (fstat(ls->fd, &sb) < 0)
		return err_errno(e, errno, "cannot stat log %.300s", ls->path);
	uint64_t size = (uint64_t)sb.st_size;
	if (size < ls->st.bytes) {
		s_reset(ls);
		*grew = true;
	}
	if (size == ls->st.bytes)
		return 0;
	uint64_t before = ls->st.bytes;
	if (s_idx_follow(ls, size, e) < 0)
		return -1;
	if (ls->st.bytes != before) {
		s_publish(ls);
		*grew = true;
		if (size == ls->st.bytes)
			return 0;
	}
	int rc = -1;
	size_t cap = (size_t)s_min(size - ls->st.bytes, SCAN_CHUNK_BYTES);
	char *buf = malloc(cap);
	if (!buf) {
		err_set(e, ERR_INTERNAL, "out of memory indexing log %.300s", ls->path);
		goto out;
	}
	while (ls->st.bytes < size) {
		size_t got, want = (size_t)s_min(size - ls->st.bytes, cap);
		if (s_pread_full(ls->fd, buf, want, ls->st.bytes, &got) < 0) {
			err_errno(e, errno, "cannot read log %.300s", ls->path);
			goto out;
		}
		if (got == 0)
			break;
		if (s_reserve(ls, ls->st.bytes + got, e))
			goto out;
		s_scan(ls, buf, got);
		s_publish(ls);
		*grew = true;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* Read-only stores: opens the .ts file once it exists and counts its records. */
static int s_ts_follow(struct logstore *ls, struct err *e)
{
	if (ls->ts_fd < 0) {
		int fd = open(ls->ts_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			return 0;
		if (fd < 0)
			return err_errno(e, errno, "cannot open log times %.300s", ls->ts_path);
		pthread_rwlock_wrlock(&ls->lock);
		ls->ts_fd = fd;
		pthread_rwlock_unlock(&ls->lock);
	}
	struct stat sb;
	if (fstat(ls->ts_fd, &sb) < 0)
		return err_errno(e, errno, "cannot stat log times %.300s", ls->ts_path);
	uint64_t count = (uint64_t)sb.st_size / TS_RECORD_BYTES;
	if (count != ls->st.ts_count) {
		ls->st.ts_count = count;
		s_publish(ls);
	}
	return 0;
}

/* Writable stores after open: drops records for lines the spool does not have
 * (a crash between the two writes) and a trailing partial record. */
static int s_ts_recover(struct logstore *ls, struct err *e)
{
	struct stat sb;
	if (fstat(ls->ts_fd, &sb) < 0)
		return err_errno(e, errno, "cannot stat log times %.300s", ls->ts_path);
	uint64_t count = (uint64_t)sb.st_size / TS_RECORD_BYTES, line;
	int64_t ms;
	while (count > 0) {
		if (!s_ts_read(ls, count - 1, &line, &ms))
			return err_errno(e, errno, "cannot read log times %.300s", ls->ts_path);
		if (line <= ls->st.newlines) {
			ls->ts_last_ms = ms;
			break;
		}
		count--;
	}
	if ((uint64_t)sb.st_size != count * TS_RECORD_BYTES &&
	    ftruncate(ls->ts_fd, (off_t)(count * TS_RECORD_BYTES)) < 0)
		return err_errno(e, errno, "cannot repair log times %.300s", ls->ts_path);
	ls->st.ts_count = count;
	s_publish(ls);
	return 0;
}

/* Writes a .ts record if a line starts in `data` at a new millisecond. */
static int s_ts_note(struct logstore *ls, const char *data, size_t len, int64_t ms, struct err *e)
{
	uint64_t first = ls->st.newlines;
	if (!ls->st.at_line_start) {
		const char *nl = memchr(data, '\n', len);
		if (!nl || nl == data + len - 1)
			return 0; /* only continues the current line */
		first++;
	}
	if (ls->st.ts_count > 0 && ms == ls->ts_last_ms)
		return 0;
	unsigned char rec[TS_RECORD_BYTES];
	s_ts_encode(rec, first, ms);
	uint64_t off = ls->st.ts_count * TS_RECORD_BYTES;
	if (s_pwrite_full(ls->ts_fd, rec, sizeof(rec), off) < 0) {
		int errnum = errno;
		if (ftruncate(ls->ts_fd, (off_t)off) < 0) {
			/* the next record overwrites the torn one at `off` */
		}
		return err_errno(e, errnum, "cannot write log times %.300s", ls->ts_path);
	}
	ls->st.ts_count++;
	ls->ts_last_ms = ms;
	return 0;
}

static int64_t s_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the shared block index (<path>.idx) ----------------------------------
 * The writer appends blocks[1..] (the '\n' count before each 64 KiB block) as
 * 8-byte little-endian entries, so a process following the spool reads a few
 * bytes per block instead of scanning the whole spool; it scans only what the
 * index does not cover yet. Entries are written after the spool bytes they
 * describe; a reader checks them (non-decreasing, at most one '\n' per byte)
 * and falls back to scanning when they are missing or wrong. */

static void s_idx_encode(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

/* Writer: entries for the blocks completed since the last call. */
static void s_idx_write(struct logstore *ls)
{
	if (ls->idx_fd < 0 || ls->idx_broken || ls->st.nblocks <= ls->idx_blocks + 1)
		return;
	uint64_t first = ls->idx_blocks + 1, n = ls->st.nblocks - first;
	unsigned char buf[4096];
	while (n > 0) {
		size_t k = (size_t)s_min(n, sizeof(buf) / 8);
		for (size_t i = 0; i < k; i++)
			s_idx_encode(buf + 8 * i, ls->blocks[first + i]);
		if (s_pwrite_full(ls->idx_fd, buf, 8 * k, (first - 1) * 8) < 0) {
			ls->idx_broken = true; /* followers scan; never leave a hole */
			return;
		}
		first += k;
		n -= k;
		ls->idx_blocks += k;
	}
}

/* Follower: takes the index entries that cover whole blocks of the spool
 * beyond st.bytes (up to `size`), so only the rest needs scanning. */
static int s_idx_follow(struct logstore *ls, uint64_t size, struct err *e)
{
	if (ls->idx_broken || (ls->flags & LOGSTORE_WRITE))
		return 0;
	if (ls->idx_fd < 0 && (ls->idx_fd = open(ls->idx_path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	struct stat sb;
	if (fstat(ls->idx_fd, &sb) < 0)
		return 0;
	uint64_t have = (uint64_t)sb.st_size / 8; /* entries for blocks 1..have */
	uint64_t to = s_min(have, size / BLOCK);  /* the last block boundary to reach */
	uint64_t from = ls->st.bytes / BLOCK;     /* the block st.bytes is in: blocks[from] known */
	if (to <= from)
		return 0;
	if (s_reserve(ls, to * BLOCK, e))
		return -1;
	unsigned char buf[4096];
	uint64_t prev = ls->blocks[from], seen = ls->st.newlines;
	for (uint64_t k = from + 1; k <= to;) {
		size_t n = (size_t)s_min(to - k + 1, sizeof(buf) / 8), got;
		if (s_pread_full(ls->idx_fd, buf, 8 * n, (k - 1) * 8, &got) < 0 || got < 8 * n)
			return 0;
		for (size_t i = 0; i < n; i++, k++) {
			uint64_t v = 0;
			for (int j = 7; j >= 0; j--)
				v = (v << 8) | buf[8 * i + (size_t)j];
			/* at least what was counted already, at most a '\n' per byte */
			if (v < seen || v < prev || v - prev > BLOCK) {
				ls->idx_broken = true; /* not ours, or damaged: scan instead */
				return 0;
			}
			ls->blocks[k] = prev = seen = v;
		}
	}
	unsigned char last;
	size_t got;
	if (s_pread_full(ls->fd, &last, 1, to * BLOCK - 1, &got) < 0 || got != 1)
		return 0;
	ls->st.newlines = prev;
	ls->st.bytes = to * BLOCK;
	ls->st.nblocks = to + 1;
	ls->st.at_line_start = last == '\n';
	return 0;
}

/* Allocates disk space for the next `len` bytes before they are written, so a
 * full disk fails the append before any byte is visible to a process that
 * follows the spool (it would otherwise see bytes that the roll-back removes).
 * Space is taken ahead in large steps, beyond EOF (the size does not change). */
static int s_reserve_disk(struct logstore *ls, size_t len, struct err *e)
{
	uint64_t end = ls->st.bytes + len;
	if (end <= ls->reserved_to)
		return 0;
	uint64_t want = end + RESERVE_AHEAD_BYTES;
	if (fallocate(ls->fd, FALLOC_FL_KEEP_SIZE, (off_t)ls->st.bytes,
		      (off_t)(want - ls->st.bytes)) == 0) {
		ls->reserved_to = want;
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == ENOSYS) {
		ls->reserved_to = UINT64_MAX; /* the file system cannot: plain writes */
		return 0;
	}
	if (fallocate(ls->fd, FALLOC_FL_KEEP_SIZE, (off_t)ls->st.bytes, (off_t)len) == 0) {
		ls->reserved_to = end;
		return 0;
	}
	return err_errno(e, errno, "cannot write log %.300s", ls->path);
}

int logstore_append(struct logstore *ls, const void *data, size_t len, int64_t arrival_ms,
		    struct err *e)
{
	int rc = -1;
	pthread_mutex_lock(&ls->wmu);
	if (!(ls->flags & LOGSTORE_WRITE)) {
		err_set(e, ERR_INTERNAL, "log %.300s is open read-only", ls->path);
		goto out;
	}
	if (ls->finished) {
		err_set(e, ERR_INTERNAL, "log %.300s is already finished", ls->path);
		goto out;
	}
	if (len == 0) {
		rc = 0;
		goto out;
	}
	if (arrival_ms == LOGSTORE_NOW)
		arrival_ms = s_now_ms();
	if (s_reserve(ls, ls->st.bytes + len, e) || s_reserve_disk(ls, len, e))
		goto out;
	uint64_t old_ts_count = ls->st.ts_count;
	int64_t old_ts_ms = ls->ts_last_ms;
	if (arrival_ms != LOGSTORE_TIME_UNKNOWN && s_ts_note(ls, data, len, arrival_ms, e))
		goto out;
	if (s_pwrite_full(ls->fd, data, len, ls->st.bytes) < 0) {
		err_errno(e, errno, "cannot write log %.300s", ls->path);
		/* Roll back whole; should a truncate fail, the next append
		 * overwrites from the same offsets anyway. */
		if (ftruncate(ls->fd, (off_t)ls->st.bytes) < 0) {
		}
		if (ftruncate(ls->ts_fd, (off_t)(old_ts_count * TS_RECORD_BYTES)) < 0) {
		}
		ls->st.ts_count = old_ts_count;
		ls->ts_last_ms = old_ts_ms;
		goto out;
	}
	s_scan(ls, data, len);
	s_idx_write(ls);
	s_publish(ls);
	rc = 0;
out:
	pthread_mutex_unlock(&ls->wmu);
	return rc;
}

int logstore_refresh(struct logstore *ls, struct err *e)
{
	bool grew = false;
	pthread_mutex_lock(&ls->wmu);
	int rc = s_index_file(ls, &grew, e);
	if (rc == 0 && !(ls->flags & LOGSTORE_WRITE))
		rc = s_ts_follow(ls, e);
	pthread_mutex_unlock(&ls->wmu);
	return rc < 0 ? -1 : grew ? 1 : 0;
}

void logstore_finish(struct logstore *ls)
{
	pthread_mutex_lock(&ls->wmu);
	if ((ls->flags & LOGSTORE_WRITE) && ls->reserved_to > ls->st.bytes &&
	    ls->reserved_to != UINT64_MAX) {
		/* Give back the space taken ahead. */
		if (ftruncate(ls->fd, (off_t)ls->st.bytes) == 0)
			ls->reserved_to = ls->st.bytes;
	}
	pthread_rwlock_wrlock(&ls->lock);
	ls->finished = true;
	pthread_rwlock_unlock(&ls->lock);
	pthread_mutex_unlock(&ls->wmu);
	pthread_mutex_lock(&ls->nmu);
	ls->n_finished = true;
	pthread_cond_broadcast(&ls->ncond);
	pthread_mutex_unlock(&ls->nmu);
}

/* --- open, references ------------------------------------------------------ */

static void s_destroy(struct logstore *ls)
{
	if (ls->fd >= 0)
		close(ls->fd);
	if (ls->ts_fd >= 0)
		close(ls->ts_fd);
	if (ls->idx_fd >= 0)
		close(ls->idx_fd);
	if ((ls->flags & LOGSTORE_TEMPORARY) && ls->path && ls->ts_path) {
		unlink(ls->path);
		unlink(ls->ts_path);
		if (ls->idx_path)
			unlink(ls->idx_path);
	}
	for (int i = 0; i < LOGSTORE_CACHE_BLOCKS; i++)
		free(ls->cache[i].data);
	free(ls->text);
	free(ls->blocks);
	free(ls->path);
	free(ls->ts_path);
	free(ls->idx_path);
	pthread_mutex_destroy(&ls->wmu);
	pthread_rwlock_destroy(&ls->lock);
	pthread_mutex_destroy(&ls->cmu);
	pthread_mutex_destroy(&ls->nmu);
	pthread_cond_destroy(&ls->ncond);
	free(ls);
}

static int s_open_files(struct logstore *ls, struct err *e)
{
	bool wr = ls->flags & LOGSTORE_WRITE;
	int oflags = O_CLOEXEC | (wr ? O_RDWR | O_CREAT : O_RDONLY);
	if (wr && (ls->flags & LOGSTORE_TRUNCATE))
		oflags |= O_TRUNC;
	ls->fd = open(ls->path, oflags, 0600);
	if (ls->fd < 0)
		return err_errno(e, errno, "cannot open log %.300s", ls->path);
	ls->ts_fd = open(ls->ts_path, oflags, 0600);
	if (ls->ts_fd < 0 && (wr || errno != ENOENT))
		return err_errno(e, errno, "cannot open log times %.300s", ls->ts_path);
	return 0;
}

struct logstore *logstore_open(const char *path, unsigned flags, struct err *e)
{
	struct logstore *ls = calloc(1, sizeof(*ls));
	if (!ls) {
		err_set(e, ERR_INTERNAL, "out of memory opening log");
		return NULL;
	}
	atomic_init(&ls->refs, 1);
	ls->flags = flags;
	ls->fd = -1;
	ls->ts_fd = -1;
	ls->idx_fd = -1;
	ls->ts_last_ms = LOGSTORE_TIME_UNKNOWN;
	pthread_mutex_init(&ls->wmu, NULL);
	pthread_rwlock_init(&ls->lock, NULL);
	pthread_mutex_init(&ls->cmu, NULL);
	pthread_mutex_init(&ls->nmu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ls->ncond, &ca);
	pthread_condattr_destroy(&ca);

	ls->path = strdup(path);
	if (!ls->path || asprintf(&ls->ts_path, "%s.ts", path) < 0 ||
	    asprintf(&ls->idx_path, "%s.idx", path) < 0) {
		ls->ts_path = NULL;
		ls->idx_path = NULL;
		err_set(e, ERR_INTERNAL, "out of memory opening log");
		goto fail;
	}
	if (s_open_files(ls, e) || s_reserve(ls, 0, e))
		goto fail;
	ls->blocks[0] = 0;
	ls->st.nblocks = 1;
	ls->st.at_line_start = true;
	s_publish(ls);
	bool grew = false;
	if (s_index_file(ls, &grew, e))
		goto fail;
	if ((flags & LOGSTORE_WRITE) ? s_ts_recover(ls, e) : s_ts_follow(ls, e))
		goto fail;
	if (flags & LOGSTORE_WRITE) {
		/* Rewritten from what was just indexed, so it matches the spool. */
		ls->idx_fd = open(ls->idx_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		s_idx_write(ls);
	}
	return ls;
fail:
	s_destroy(ls);
	return NULL;
}

void logstore_remove(const char *path)
{
	char *side = malloc(strlen(path) + 5);
	unlink(path);
	if (!side)
		return;
	sprintf(side, "%s.ts", path);
	unlink(side);
	sprintf(side, "%s.idx", path);
	unlink(side);
	free(side);
}

struct logstore *logstore_ref(struct logstore *ls)
{
	atomic_fetch_add(&ls->refs, 1);
	return ls;
}

void logstore_unref(struct logstore *ls)
{
	if (ls && atomic_fetch_sub(&ls->refs, 1) == 1)
		s_destroy(ls);
}

const char *logstore_path(const struct logstore *ls)
{
	return ls->path;
}

/* --- readers --------------------------------------------------------------- */

int logstore_is_finished(struct logstore *ls)
{
	pthread_rwlock_rdlock(&ls->lock);
	int r = ls->finished;
	pthread_rwlock_unlock(&ls->lock);
	return r;
}

static struct logstore_state s_snapshot(struct logstore *ls)
{
	pthread_rwlock_rdlock(&ls->lock);
	struct logstore_state p = ls->pub;
	pthread_rwlock_unlock(&ls->lock);
	return p;
}

uint64_t logstore_line_count(struct logstore *ls)
{
	struct logstore_state p = s_snapshot(ls);
	return s_nlines(&p);
}

uint64_t logstore_byte_count(struct logstore *ls)
{
	return s_snapshot(ls).bytes;
}

size_t logstore_index_bytes(struct logstore *ls)
{
	pthread_rwlock_rdlock(&ls->lock);
	pthread_mutex_lock(&ls->cmu);
	size_t n = sizeof(*ls) + ls->blocks_cap * sizeof(*ls->blocks) + ls->text_cap;
	for (int i = 0; i < LOGSTORE_CACHE_BLOCKS; i++)
		n += ls->cache[i].data ? LOGSTORE_BLOCK_BYTES : 0;
	pthread_mutex_unlock(&ls->cmu);
	pthread_rwlock_unlock(&ls->lock);
	return n;
}

/* Block b's bytes indexed in p, through the cache (under lock and cmu). */
static int s_block(struct logstore *ls, const struct logstore_state *p, uint64_t b,
		   const char **data, size_t *len, struct err *e)
{
	size_t want = (size_t)s_min(BLOCK, p->bytes - b * BLOCK);
	struct logstore_slot *victim = NULL;
	for (int i = 0; i < LOGSTORE_CACHE_BLOCKS; i++) {
		struct logstore_slot *s = &ls->cache[i];
		if (s->len && s->block == b) {
			victim = s;
			break;
		}
		if (!victim || (victim->len && (!s->len || s->used < victim->used)))
			victim = s;
	}
	if (victim->len < want || victim->block != b) {
		victim->len = 0;
		if (!victim->data && !(victim->data = malloc(LOGSTORE_BLOCK_BYTES)))
			return err_set(e, ERR_INTERNAL, "out of memory reading log %.300s",
				       ls->path);
		if (s_read_spool(ls, victim->data, want, b * BLOCK, e))
			return -1;
		victim->block = b;
		victim->len = want;
	}
	victim->used = ++ls->tick;
	*data = victim->data;
	*len = want;
	return 0;
}

/* Offset of the k-th '\n' (1 <= k <= p->newlines). */
static int s_newline_offset(struct logstore *ls, const struct logstore_state *p, uint64_t k,
			    uint64_t *off, struct err *e)
{
	uint64_t lo = 0, hi = p->nblocks; /* blocks[lo] < k <= blocks[hi] */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ls->blocks[mid] < k)
			lo = mid;
		else
			hi = mid;
	}
	const char *data, *q;
	size_t len;
	if (s_block(ls, p, lo, &data, &len, e))
		return -1;
	uint64_t need = k - ls->blocks[lo];
	for (q = data;; q++) {
		q = memchr(q, '\n', len - (size_t)(q - data));
		if (!q)
			return err_set(e, ERR_IO, "log %.300s changed under its index", ls->path);
		if (--need == 0)
			break;
	}
	*off = lo * BLOCK + (uint64_t)(q - data);
	return 0;
}

static int s_line_start(struct logstore *ls, const struct logstore_state *p, uint64_t line,
			uint64_t *start, struct err *e)
{
	if (line == 0) {
		*start = 0;
		return 0;
	}
	if (s_newline_offset(ls, p, line, start, e))
		return -1;
	++*start;
	return 0;
}

/* End (offset of its '\n', or p->bytes for a partial line) of `line` starting at
 * `start`: a scan of the rest of start's block, else an index lookup. */
static int s_line_end(struct logstore *ls, const struct logstore_state *p, uint64_t line,
		      uint64_t start, uint64_t *end, struct err *e)
{
	if (line >= p->newlines) {
		*end = p->bytes;
		return 0;
	}
	uint64_t b = start / BLOCK;
	const char *data;
	size_t len, in = (size_t)(start - b * BLOCK);
	if (s_block(ls, p, b, &data, &len, e))
		return -1;
	const char *q = in < len ? memchr(data + in, '\n', len - in) : NULL;
	if (q) {
		*end = b * BLOCK + (uint64_t)(q - data);
		return 0;
	}
	return s_newline_offset(ls, p, line + 1, end, e);
}

/* The first `take` bytes at `off`: a pointer into the cache when they lie in one
 * block, else copied into ls->text. */
static int s_text(struct logstore *ls, const struct logstore_state *p, uint64_t off, size_t take,
		  const char **out, struct err *e)
{
	if (take == 0) {
		*out = "";
		return 0;
	}
	if (take > ls->text_cap) {
		char *t = realloc(ls->text, take);
		if (!t)
			return err_set(e, ERR_INTERNAL, "out of memory reading log %.300s",
				       ls->path);
		ls->text = t;
		ls->text_cap = take;
	}
	if (take > BLOCK) {
		*out = ls->text;
		return s_read_spool(ls, ls->text, take, off, e);
	}
	for (size_t done = 0; done < take;) {
		uint64_t o = off + done, b = o / BLOCK;
		const char *data;
		size_t len, in = (size_t)(o - b * BLOCK);
		if (s_block(ls, p, b, &data, &len, e))
			return -1;
		if (done == 0 && in + take <= len) {
			*out = data + in;
			return 0;
		}
		size_t n = (size_t)s_min(len - in, take - done);
		memcpy(ls->text + done, data + in, n);
		done += n;
	}
	*out = ls->text;
	return 0;
}

int logstore_read_lines(struct logstore *ls, uint64_t first, uint64_t count, size_t max_bytes,
			logstore_line_fn fn, void *arg, struct err *e)
{
	int rc = -1;
	pthread_rwlock_rdlock(&ls->lock);
	pthread_mutex_lock(&ls->cmu);
	struct logstore_state p = ls->pub;
	uint64_t nlines = s_nlines(&p), start;
	if (first >= nlines || count == 0) {
		rc = 0;
		goto out;
	}
	count = s_min(count, nlines - first);
	if (s_line_start(ls, &p, first, &start, e))
		goto out;
	struct logstore_ts_walk tw;
	s_ts_begin(ls, p.ts_count, first, &tw);
	for (uint64_t i = 0; i < count; i++) {
		struct logstore_line ln = {.line = first + i, .offset = start};
		uint64_t end;
		if (s_line_end(ls, &p, ln.line, start, &end, e))
			goto out;
		ln.length = end - start;
		ln.partial = ln.line >= p.newlines;
		ln.text_len = (size_t)s_min(ln.length, max_bytes);
		if (s_text(ls, &p, start, ln.text_len, &ln.text, e))
			goto out;
		ln.arrival_ms = s_ts_at(ls, &tw, ln.line);
		if (fn(&ln, arg))
			break;
		start = end + 1;
	}
	rc = 0;
out:
	if (ls->text_cap > TEXT_KEEP_BYTES) {
		free(ls->text);
		ls->text = NULL;
		ls->text_cap = 0;
	}
	pthread_mutex_unlock(&ls->cmu);
	pthread_rwlock_unlock(&ls->lock);
	return rc;
}

int logstore_read_bytes(struct logstore *ls, uint64_t offset, void *buf, size_t cap,
			size_t *out_len, struct err *e)
{
	int rc = 0;
	*out_len = 0;
	pthread_rwlock_rdlock(&ls->lock);
	if (offset < ls->pub.bytes && cap > 0) {
		size_t n = (size_t)s_min(cap, ls->pub.bytes - offset);
		rc = s_read_spool(ls, buf, n, offset, e);
		if (rc == 0)
			*out_len = n;
	}
	pthread_rwlock_unlock(&ls->lock);
	return rc;
}

int logstore_send(struct logstore *ls, uint64_t offset, int out_fd, size_t cap, size_t *out_len,
		  struct err *e)
{
	*out_len = 0;
	pthread_rwlock_rdlock(&ls->lock);
	uint64_t avail = ls->pub.bytes > offset ? ls->pub.bytes - offset : 0;
	pthread_rwlock_unlock(&ls->lock);
	size_t want = (size_t)s_min(cap, avail);
	while (*out_len < want) {
		off_t off = (off_t)(offset + *out_len);
		ssize_t n = sendfile(out_fd, ls->fd, &off, want - *out_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EINVAL || errno == ENOSYS) && *out_len == 0) {
			/* out_fd cannot take sendfile: copy through memory. */
			char buf[65536];
			size_t got;
			if (logstore_read_bytes(ls, offset, buf, s_min(sizeof(buf), want), &got, e) < 0)
				return -1;
			size_t done = 0;
			while (done < got) {
				ssize_t w = write(out_fd, buf + done, got - done);
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					return err_errno(e, errno, "cannot write the log");
				done += (size_t)w;
			}
			*out_len = got;
			return 0;
		}
		if (n < 0)
			return err_errno(e, errno, "cannot write the log");
		if (n == 0)
			break;
		*out_len += (size_t)n;
	}
	return 0;
}

int logstore_wait(struct logstore *ls, uint64_t have_bytes, int timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	if (timeout_ms > 0) {
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&ls->nmu);
	while (ls->n_bytes <= have_bytes && !ls->n_finished) {
		if (timeout_ms < 0)
			pthread_cond_wait(&ls->ncond, &ls->nmu);
		else if (pthread_cond_timedwait(&ls->ncond, &ls->nmu, &dl) == ETIMEDOUT)
			break;
	}
	int r = ls->n_bytes > have_bytes || ls->n_finished;
	pthread_mutex_unlock(&ls->nmu);
	return r;
}

/* --- for the cursor (logstore_priv.h) -------------------------------------- */

void logstore_view_get(struct logstore *ls, struct logstore_view *v)
{
	struct logstore_state p = s_snapshot(ls);
	v->bytes = p.bytes;
	v->newlines = p.newlines;
	v->at_line_start = p.at_line_start;
}

int logstore_locate(struct logstore *ls, uint64_t line, struct logstore_view *v, uint64_t *start,
		    uint64_t *end, struct err *e)
{
	pthread_rwlock_rdlock(&ls->lock);
	pthread_mutex_lock(&ls->cmu);
	struct logstore_state p = ls->pub;
	int rc = -1;
	if (line > p.newlines) {
		err_set(e, ERR_INTERNAL, "line %llu is not in log %.300s", (unsigned long long)line,
			ls->path);
		goto out;
	}
	if (s_line_start(ls, &p, line, start, e) || s_line_end(ls, &p, line, *start, end, e))
		goto out;
	v->bytes = p.bytes;
	v->newlines = p.newlines;
	v->at_line_start = p.at_line_start;
	rc = 0;
out:
	pthread_mutex_unlock(&ls->cmu);
	pthread_rwlock_unlock(&ls->lock);
	return rc;
}

int logstore_read_exact(struct logstore *ls, void *buf, size_t len, uint64_t off, struct err *e)
{
	return s_read_spool(ls, buf, len, off, e);
}
