#include "logfeed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "archive.h"
#include "datadir.h"
#include "evloop.h"
#include "fsutil.h"
#include "logstore.h"
#include "msg.h"
#include "timeutil.h"
#include "xmem.h"

#define INFLATE_OUT_BYTES (1u << 20)
#define LOCAL_READ_BYTES  (1u << 20)
/* A build that ended moments ago may not have its log archived yet (another
 * process finalises it, or its record went final before its empty log was
 * written): a missing log is looked for again for this long. */
#define ARCHIVE_SETTLE_S    15
#define ARCHIVE_RETRY_MS    250
#define ARCHIVE_RETRY_TRIES 40

struct feed {
	struct feed *next;
	struct logfeed *owner;
	char id[BUILD_ID_LEN + 1];
	char *container; /* NULL: the build's own log */
	int opens;
	struct logstore *log;
	int64_t last_emit_ms;
	struct evloop_timer *timer;
	bool failed;
	struct err err;
	struct fetch *fetch;
};

/* An archived log being fetched: first its arrival times (if archived), then
 * the log, each inflated into the cache files that feed->log follows. */
struct fetch {
	struct feed *feed; /* NULL once the feed is gone: the fetch just ends */
	struct blob *blob;
	z_stream z;
	char *out;
	int out_fd;       /* the cache file being written */
	bool log_phase;   /* false: the times, true: the log */
	char *cache;      /* cache spool path; its times are cache + ".ts" */
	char *log_key;
	int local_fd;     /* reading a pending copy instead of the blob store */
	char *local_path;
	struct err err;
	bool error;
	int64_t ended_s; /* when the build ended (Unix seconds) */
	int tries;       /* looks for a log not archived yet */
	struct evloop_timer *retry;
};

struct logfeed {
	struct evloop *loop;
	char *data_dir;
	logfeed_emit_fn emit;
	void *ctx;
	struct feed *feeds;
};

struct logfeed *logfeed_new(struct evloop *loop, const char *data_dir, logfeed_emit_fn emit,
			    void *ctx)
{
	struct logfeed *f = xcalloc(1, sizeof(*f));
	f->loop = loop;
	f->data_dir = xstrdup(data_dir);
	f->emit = emit;
	f->ctx = ctx;
	return f;
}

static void s_fetch_end(struct fetch *ft, int rc, const struct err *e);

static void s_feed_free(struct logfeed *f, struct feed *fd)
{
	if (fd->timer)
		evloop_timer_cancel(f->loop, fd->timer);
	if (fd->fetch) {
		struct fetch *ft = fd->fetch;
		ft->feed = NULL;
		if (ft->retry) { /* waiting, not transferring: it ends here */
			evloop_timer_cancel(f->loop, ft->retry);
			s_fetch_end(ft, 0, NULL);
		}
	}
	logstore_unref(fd->log);
	free(fd->container);
	free(fd);
}

void logfeed_free(struct logfeed *f)
{
	if (!f)
		return;
	while (f->feeds) {
		struct feed *fd = f->feeds;
		f->feeds = fd->next;
		s_feed_free(f, fd);
	}
	free(f->data_dir);
	free(f);
}

static bool s_is(const struct feed *fd, const char *id, const char *container)
{
	if (strcmp(fd->id, id) != 0)
		return false;
	if (!fd->container || !container)
		return fd->container == container;
	return strcmp(fd->container, container) == 0;
}

static struct feed *s_find(struct logfeed *f, const char *id, const char *container)
{
	for (struct feed *fd = f->feeds; fd; fd = fd->next)
		if (s_is(fd, id, container))
			return fd;
	return NULL;
}

void logfeed_open(struct logfeed *f, const char *id, const char *container)
{
	struct feed *fd = s_find(f, id, container);
	if (!fd) {
		fd = xcalloc(1, sizeof(*fd));
		fd->owner = f;
		memcpy(fd->id, id, strnlen(id, BUILD_ID_LEN));
		fd->container = xstrdup(container);
		fd->next = f->feeds;
		f->feeds = fd;
	}
	fd->opens++;
}

void logfeed_close(struct logfeed *f, const char *id, const char *container)
{
	for (struct feed **pp = &f->feeds; *pp; pp = &(*pp)->next) {
		struct feed *fd = *pp;
		if (!s_is(fd, id, container))
			continue;
		if (--fd->opens <= 0) {
			*pp = fd->next;
			s_feed_free(f, fd);
		}
		return;
	}
}

bool logfeed_is_open(struct logfeed *f, const char *id, const char *container)
{
	return s_find(f, id, container) != NULL;
}

struct logstore *logfeed_get(struct logfeed *f, const char *id, const char *container)
{
	struct feed *fd = s_find(f, id, container);
	return fd ? fd->log : NULL;
}

static void s_emit(struct feed *fd)
{
	struct logfeed *f = fd->owner;
	struct msg *m = msg_new(MSG_LOG_GREW);
	m->build_ref = xstrdup(fd->id);
	m->path = xstrdup(fd->container);
	m->log = logstore_ref(fd->log);
	m->done_bytes = logstore_byte_count(fd->log);
	if (fd->failed) {
		m->rc = -1;
		m->err = fd->err;
	}
	fd->last_emit_ms = timeutil_mono_ms();
	f->emit(f->ctx, m);
}

static void s_on_timer(void *arg)
{
	struct feed *fd = arg;
	fd->timer = NULL;
	s_emit(fd);
}

static void s_grew(struct feed *fd);

void logfeed_grew(struct logfeed *f, const char *id, const char *container)
{
	struct feed *fd = s_find(f, id, container);
	if (fd)
		s_grew(fd);
}

static void s_grew(struct feed *fd)
{
	struct logfeed *f = fd->owner;
	if (!fd->log)
		return;
	int64_t since = timeutil_mono_ms() - fd->last_emit_ms;
	if (logstore_is_finished(fd->log) || since >= LOGFEED_MIN_INTERVAL_MS) {
		if (fd->timer) {
			evloop_timer_cancel(f->loop, fd->timer);
			fd->timer = NULL;
		}
		s_emit(fd);
	} else if (!fd->timer) {
		fd->timer = evloop_timer(f->loop, LOGFEED_MIN_INTERVAL_MS - since, s_on_timer, fd);
	}
}

void logfeed_set(struct logfeed *f, const char *id, const char *container, struct logstore *ls)
{
	struct feed *fd = s_find(f, id, container);
	if (!fd || fd->log == ls)
		return;
	logstore_unref(fd->log);
	fd->log = logstore_ref(ls);
	s_emit(fd);
}

/* --- fetching archived logs ---------------------------------------------- */

static void s_fetch_phase(struct fetch *ft);

static void s_fetch_end(struct fetch *ft, int rc, const struct err *e)
{
	struct feed *fd = ft->feed;
	if (fd) {
		fd->fetch = NULL;
		if (rc < 0) {
			fd->failed = true;
			fd->err = *e;
		}
		struct err ignored = {0};
		logstore_refresh(fd->log, &ignored);
		logstore_finish(fd->log);
		s_grew(fd);
	}
	inflateEnd(&ft->z);
	if (ft->local_fd >= 0)
		close(ft->local_fd);
	if (ft->out_fd >= 0)
		close(ft->out_fd);
	free(ft->local_path);
	free(ft->cache);
	free(ft->log_key);
	free(ft->out);
	free(ft);
}

/* Inflates a slice of compressed bytes into the cache file being written. */
static int s_inflate(struct fetch *ft, const char *buf, size_t len, struct err *e)
{
	ft->z.next_in = (Bytef *)buf;
	ft->z.avail_in = (uInt)len;
	while (ft->z.avail_in > 0) {
		ft->z.next_out = (Bytef *)ft->out;
		ft->z.avail_out = INFLATE_OUT_BYTES;
		int zr = inflate(&ft->z, Z_NO_FLUSH);
		size_t have = INFLATE_OUT_BYTES - ft->z.avail_out;
		if (have && fsutil_write_full(ft->out_fd, ft->out, have) < 0)
			return err_errno(e, errno, "cannot write %.300s", ft->cache);
		if (zr == Z_STREAM_END)
			inflateReset(&ft->z); /* another gzip member may follow */
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return err_set(e, ERR_PROTO, "the archived console log is not valid gzip");
		else if (have == 0 && zr == Z_BUF_ERROR)
			break;
	}
	return 0;
}

static int s_on_data(void *ctx, const char *buf, size_t len)
{
	struct fetch *ft = ctx;
	if (!ft->feed)
		return -1;
	if (s_inflate(ft, buf, len, &ft->err) < 0) {
		ft->error = true;
		return -1;
	}
	if (ft->log_phase) {
		struct err ignored = {0};
		if (logstore_refresh(ft->feed->log, &ignored) > 0)
			s_grew(ft->feed);
	}
	return 0;
}

/* Starts over (both phases, emptied cache files) after a short wait. */
static void s_fetch_again(void *arg)
{
	struct fetch *ft = arg;
	ft->retry = NULL;
	char *ts = xasprintf("%s.ts", ft->cache);
	if (truncate(ft->cache, 0) < 0 || truncate(ts, 0) < 0) {
		struct err e;
		err_errno(&e, errno, "cannot empty %.300s", ft->cache);
		free(ts);
		s_fetch_end(ft, -1, &e);
		return;
	}
	free(ts);
	ft->log_phase = false;
	s_fetch_phase(ft);
}

static bool s_may_settle(struct fetch *ft, int rc, const struct err *e)
{
	return ft->feed && ft->log_phase && rc < 0 && e->code == ERR_NOTFOUND &&
	       ft->tries < ARCHIVE_RETRY_TRIES &&
	       timeutil_wall_ms() / 1000 - ft->ended_s <= ARCHIVE_SETTLE_S;
}

/* One phase ended (rc, e): the times are optional, the log is not. */
static void s_phase_done(struct fetch *ft, int rc, const struct err *e)
{
	if (s_may_settle(ft, rc, e)) {
		ft->tries++;
		ft->retry = evloop_timer(ft->feed->owner->loop, ARCHIVE_RETRY_MS, s_fetch_again, ft);
		return;
	}
	if (!ft->feed || ft->log_phase || (rc < 0 && e->code != ERR_NOTFOUND)) {
		if (!ft->log_phase && rc < 0) {
			/* Times that cannot be read: show the log without them. */
			ft->log_phase = true;
			s_fetch_phase(ft);
			return;
		}
		s_fetch_end(ft, rc, e);
		return;
	}
	ft->log_phase = true;
	s_fetch_phase(ft);
}

static void s_on_done(void *ctx, struct blob_reply *r)
{
	struct fetch *ft = ctx;
	if (ft->error)
		s_phase_done(ft, -1, &ft->err);
	else
		s_phase_done(ft, r->rc, &r->err);
}

static void s_local_slice(void *arg)
{
	struct fetch *ft = arg;
	char *buf = xmalloc(LOCAL_READ_BYTES);
	ssize_t n = ft->feed ? read(ft->local_fd, buf, LOCAL_READ_BYTES) : 0;
	struct err e = {0};
	int rc = 0;
	if (n < 0)
		rc = err_errno(&e, errno, "cannot read %.300s", ft->local_path);
	else if (n > 0 && s_on_data(ft, buf, (size_t)n) < 0)
		rc = -1, e = ft->err;
	free(buf);
	if (n > 0 && rc == 0) {
		evloop_timer(ft->feed->owner->loop, 0, s_local_slice, ft);
		return;
	}
	s_phase_done(ft, rc, &e);
}

/* Starts the current phase: from the pending copy when there is one, else from
 * the blob store. */
static void s_fetch_phase(struct fetch *ft)
{
	struct logfeed *f = ft->feed->owner;
	if (ft->local_fd >= 0)
		close(ft->local_fd);
	ft->local_fd = -1;
	free(ft->local_path);
	if (ft->out_fd >= 0)
		close(ft->out_fd);
	char *out = ft->log_phase ? xstrdup(ft->cache) : xasprintf("%s.ts", ft->cache);
	ft->out_fd = open(out, O_WRONLY | O_APPEND | O_CLOEXEC);
	free(out);
	inflateReset(&ft->z);
	ft->local_path = archive_pending_log(f->data_dir, ft->feed->id);
	if (ft->local_path && !ft->log_phase) {
		char *ts = xasprintf("%.*s.ts.gz", (int)strlen(ft->local_path) - 3, ft->local_path);
		free(ft->local_path);
		ft->local_path = ts;
	}
	if (ft->local_path && (ft->local_fd = open(ft->local_path, O_RDONLY | O_CLOEXEC)) >= 0) {
		evloop_timer(f->loop, 0, s_local_slice, ft);
		return;
	}
	if (ft->local_path && !ft->log_phase) {
		/* A pending log without times. */
		struct err e;
		err_set(&e, ERR_NOTFOUND, "no times");
		s_phase_done(ft, -1, &e);
		return;
	}
	char *key = ft->log_phase ? xstrdup(ft->log_key) : build_log_times_key(ft->log_key);
	ft->blob->ops->get(ft->blob, BLOB_LOGS, key, 0, 0, s_on_data, s_on_done, ft);
	free(key);
}

/* Empty cache files for a fetched log, and a logstore following them. */
static struct logstore *s_cache_files(const char *cache, struct err *e)
{
	if (fsutil_mkdir_parent(cache, 0700, e) < 0)
		return NULL;
	char *ts = xasprintf("%s.ts", cache);
	int fd1 = open(cache, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int fd2 = open(ts, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	free(ts);
	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	if (fd1 < 0 || fd2 < 0) {
		err_errno(e, errno, "cannot create %.300s", cache);
		return NULL;
	}
	return logstore_open(cache, LOGSTORE_TEMPORARY, e);
}

void logfeed_fetch(struct logfeed *f, struct blob *blob, const struct build *b)
{
	struct feed *fd = s_find(f, b->id, NULL);
	if (!fd || fd->fetch)
		return;
	struct err e = {0};
	char *cache = datadir_cache_log(f->data_dir, b->id);
	struct logstore *ls = s_cache_files(cache, &e);
	if (!ls) {
		free(cache);
		fd->failed = true;
		fd->err = e;
		return;
	}
	logfeed_set(f, b->id, NULL, ls);
	logstore_unref(ls);
	struct fetch *ft = xcalloc(1, sizeof(*ft));
	ft->feed = fd;
	ft->blob = blob;
	ft->cache = cache;
	ft->local_fd = ft->out_fd = -1;
	ft->out = xmalloc(INFLATE_OUT_BYTES);
	ft->log_key = b->log_key ? xstrdup(b->log_key) : build_log_key(b->project_key, b->id);
	ft->ended_s = b->build_time + b->elapsed_s;
	inflateInit2(&ft->z, 15 + 32);
	fd->fetch = ft;
	s_fetch_phase(ft);
}
