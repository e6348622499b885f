#include "artifacts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"
#include "fsutil.h"
#include "msg.h"
#include "timeutil.h"
#include "uploader.h"
#include "xmem.h"

#define PROGRESS_INTERVAL_MS 100

struct req {
	struct evloop *loop;
	struct blob *blob;
	struct msg *m;
	void (*emit)(void *ctx, struct msg *m);
	void *emit_ctx;
	artifacts_done_fn done;
	void *ctx;
	char *prefix;
	char *key;
	/* get */
	int fd;
	char *part; /* temporary file, renamed to dest at the end */
	uint64_t total, got;
	int64_t last_progress_ms;
	struct err err;
};

char *artifacts_key(const char *prefix, const char *rel)
{
	while (rel && *rel == '/')
		rel++;
	size_t n = strlen(prefix);
	const char *sep = n && prefix[n - 1] == '/' ? "" : "/";
	return xasprintf("%s%s%s", prefix, sep, rel ? rel : "");
}

static void s_end(struct req *q, int rc, const struct err *e)
{
	if (q->fd > 1)
		close(q->fd);
	if (q->part) {
		unlink(q->part);
		free(q->part);
	}
	q->done(q->ctx, rc, e);
	free(q->prefix);
	free(q->key);
	free(q);
}

static void s_listed(void *ctx, struct blob_reply *r)
{
	struct req *q = ctx;
	size_t plen = strlen(q->prefix);
	for (size_t i = 0; r->rc == 0 && i < r->entries.n; i++) {
		struct blob_entry *en = &r->entries.items[i];
		const char *rel = strncmp(en->key, q->prefix, plen) == 0 ? en->key + plen : en->key;
		blob_list_push(&q->m->entries, rel, en->size, en->mtime_ms, en->is_prefix);
	}
	q->m->next_cursor = r->next_token ? xstrdup(r->next_token) : NULL;
	s_end(q, r->rc, &r->err);
}

static void s_progress(struct req *q, bool force)
{
	int64_t now = timeutil_mono_ms();
	if (!force && now - q->last_progress_ms < PROGRESS_INTERVAL_MS)
		return;
	q->last_progress_ms = now;
	struct msg *p = msg_new(MSG_PROGRESS);
	p->id = q->m->id;
	p->done_bytes = q->got;
	p->total_bytes = q->total;
	q->emit(q->emit_ctx, p);
}

static int s_on_data(void *ctx, const char *buf, size_t len)
{
	struct req *q = ctx;
	if (fsutil_write_full(q->fd, buf, len) < 0) {
		err_errno(&q->err, errno, "cannot write %.300s", q->m->dest);
		return -1;
	}
	q->got += len;
	s_progress(q, false);
	return 0;
}

static void s_got(void *ctx, struct blob_reply *r)
{
	struct req *q = ctx;
	if (r->rc < 0) {
		s_end(q, -1, q->err.code ? &q->err : &r->err);
		return;
	}
	s_progress(q, true);
	if (q->part) {
		if (fsync(q->fd) < 0 || rename(q->part, q->m->dest) < 0) {
			err_errno(&q->err, errno, "cannot write %.300s", q->m->dest);
			s_end(q, -1, &q->err);
			return;
		}
		free(q->part);
		q->part = NULL;
	}
	q->m->count = q->got;
	s_end(q, 0, NULL);
}

static void s_headed(void *ctx, struct blob_reply *r)
{
	struct req *q = ctx;
	if (r->rc < 0) {
		s_end(q, -1, &r->err);
		return;
	}
	q->total = r->size;
	const char *dest = q->m->dest;
	if (!dest || strcmp(dest, "-") == 0) {
		q->fd = 1;
	} else {
		struct stat st;
		if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode)) {
			const char *base = strrchr(q->key, '/');
			char *full = xasprintf("%s/%s", dest, base ? base + 1 : q->key);
			free(q->m->dest);
			q->m->dest = full;
		}
		q->part = xasprintf("%s.part", q->m->dest);
		q->fd = open(q->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (q->fd < 0) {
			err_errno(&q->err, errno, "cannot write %.300s", q->m->dest);
			free(q->part);
			q->part = NULL;
			s_end(q, -1, &q->err);
			return;
		}
	}
	q->blob->ops->get(q->blob, BLOB_ARTIFACTS, q->key, 0, 0, s_on_data, s_got, q);
}

static void s_pushed(void *ctx, int rc, const struct err *e, uint64_t files)
{
	struct req *q = ctx;
	q->m->count = files;
	s_end(q, rc, e);
}

void artifacts_request(struct evloop *loop, struct blob *blob, const struct build *b,
		       struct msg *m, void (*emit)(void *ctx, struct msg *m), void *emit_ctx,
		       artifacts_done_fn done, void *ctx)
{
	struct req *q = xcalloc(1, sizeof(*q));
	q->loop = loop;
	q->blob = blob;
	q->m = m;
	q->emit = emit;
	q->emit_ctx = emit_ctx;
	q->done = done;
	q->ctx = ctx;
	q->fd = -1;
	q->prefix = b->artifacts_prefix ? xstrdup(b->artifacts_prefix)
					: build_artifacts_prefix(b->project_key, b->id);
	if (m->type == MSG_ARTIFACTS_LIST) {
		char *list_prefix = artifacts_key(q->prefix, m->path);
		blob->ops->list(blob, BLOB_ARTIFACTS, list_prefix, m->recursive ? "" : "/",
				m->cursor, m->limit > 0 ? m->limit : 1000, s_listed, q);
		free(list_prefix);
	} else if (m->type == MSG_ARTIFACT_GET) {
		q->key = artifacts_key(q->prefix, m->path);
		blob->ops->head(blob, BLOB_ARTIFACTS, q->key, s_headed, q);
	} else {
		struct stat st;
		if (!m->path || stat(m->path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			err_set(&q->err, ERR_NOTFOUND, "%.300s is not a directory",
				m->path ? m->path : "(none)");
			s_end(q, -1, &q->err);
			return;
		}
		struct uploader *up = uploader_new(loop, blob, false);
		uploader_add_dir(up, BLOB_ARTIFACTS, m->path, q->prefix);
		uploader_run(up, s_pushed, q);
	}
}
