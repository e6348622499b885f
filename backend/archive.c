#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "datadir.h"
#include "evloop.h"
#include "fsutil.h"
#include "uploader.h"
#include "xmem.h"

#define GZIP_SLICE_BYTES (4u << 20)

struct job {
	struct evloop *loop;
	struct blob *blob;
	char *data_dir;
	archive_done_fn done;
	void *ctx;
	bool prepared;
	int rc;
	struct err err;

	/* preparing one build */
	char *pend_dir, *spool, *artifacts_dir;
	int in_fd, out_fd;
	z_stream z;
	bool z_init;
	char *inbuf, *outbuf;

	/* uploading one pending directory */
	int lock_fd;

	/* resume: the pending directories still to do */
	char **dirs;
	size_t n_dirs, next_dir;
};

static void s_upload_dir(struct job *j, const char *pend_dir);
static void s_next_dir(struct job *j);
static void s_next_dir_later(void *arg);
static void s_finish_later(void *arg);

static void s_fail(struct job *j, const struct err *e)
{
	if (j->rc == 0) {
		j->rc = -1;
		j->err = *e;
	}
}

static void s_job_free(struct job *j)
{
	free(j->data_dir);
	free(j->pend_dir);
	free(j->spool);
	free(j->artifacts_dir);
	if (j->in_fd >= 0)
		close(j->in_fd);
	if (j->out_fd >= 0)
		close(j->out_fd);
	if (j->z_init)
		deflateEnd(&j->z);
	free(j->inbuf);
	free(j->outbuf);
	for (size_t i = 0; i < j->n_dirs; i++)
		free(j->dirs[i]);
	free(j->dirs);
	free(j);
}

static void s_finish(struct job *j)
{
	j->done(j->ctx, j->rc, &j->err, j->prepared);
	s_job_free(j);
}

static void s_finish_later(void *arg)
{
	s_finish(arg);
}

static struct job *s_job_new(struct evloop *loop, struct blob *blob, const char *data_dir,
			     archive_done_fn done, void *ctx)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->loop = loop;
	j->blob = blob;
	j->data_dir = xstrdup(data_dir);
	j->done = done;
	j->ctx = ctx;
	j->in_fd = j->out_fd = j->lock_fd = -1;
	return j;
}

/* --- uploading ----------------------------------------------------------- */

static void s_dir_uploaded(void *ctx, int rc, const struct err *e, uint64_t files)
{
	struct job *j = ctx;
	struct err ignored = {0};
	(void)files;
	if (rc < 0)
		s_fail(j, e);
	if (j->lock_fd >= 0) {
		close(j->lock_fd);
		j->lock_fd = -1;
	}
	const char *pend_dir = j->dirs ? j->dirs[j->next_dir - 1] : j->pend_dir;
	if (rc == 0)
		fsutil_rm_rf(pend_dir, &ignored);
	if (j->dirs)
		s_next_dir(j);
	else
		s_finish(j);
}

/* Goes on without uploading (or removing) the current directory. */
static void s_skip_dir(struct job *j)
{
	evloop_timer(j->loop, 0, j->dirs ? s_next_dir_later : s_finish_later, j);
}

static void s_upload_dir(struct job *j, const char *pend_dir)
{
	char *lock = xasprintf("%s/lock", pend_dir);
	char *meta_path = xasprintf("%s/meta.json", pend_dir);
	char *gz = xasprintf("%s/log.gz", pend_dir);
	char *ts_gz = xasprintf("%s/log.ts.gz", pend_dir);
	char *arts = xasprintf("%s/artifacts", pend_dir);
	json_t *meta = NULL;
	j->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lock_fd < 0 || flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		/* Another process is uploading it: leave it to that one. */
		if (j->lock_fd >= 0)
			close(j->lock_fd);
		j->lock_fd = -1;
		s_skip_dir(j);
		goto out;
	}
	json_error_t je;
	meta = json_load_file(meta_path, 0, &je);
	const char *log_key = json_string_value(json_object_get(meta, "logKey"));
	const char *prefix = json_string_value(json_object_get(meta, "artifactsPrefix"));
	if (!log_key || !prefix) {
		struct err e;
		err_set(&e, ERR_IO, "%.300s: %.100s", meta_path, meta ? "incomplete" : je.text);
		s_fail(j, &e);
		close(j->lock_fd);
		j->lock_fd = -1;
		s_skip_dir(j); /* left for a person to look at */
		goto out;
	}
	struct uploader *up = uploader_new(j->loop, j->blob, true);
	uploader_add_dir(up, BLOB_ARTIFACTS, arts, prefix);
	if (fsutil_exists(ts_gz)) {
		char *ts_key = build_log_times_key(log_key);
		uploader_add_file(up, BLOB_LOGS, ts_gz, ts_key);
		free(ts_key);
	}
	if (fsutil_exists(gz))
		uploader_add_file(up, BLOB_LOGS, gz, log_key);
	uploader_run(up, s_dir_uploaded, j);
out:
	json_decref(meta);
	free(lock);
	free(meta_path);
	free(gz);
	free(ts_gz);
	free(arts);
}

/* --- preparing ----------------------------------------------------------- */

/* The spool's arrival times (<spool>.ts, small: a record per change of
 * millisecond) go next to the log as log.ts.gz, so timestamps can be shown for
 * archived logs too. */
static int s_gzip_times(struct job *j, struct err *e)
{
	char *src = xasprintf("%s.ts", j->spool);
	char *dst = xasprintf("%s/log.ts.gz", j->pend_dir);
	char *data = NULL;
	size_t len = 0;
	int rc = 0;
	if (!fsutil_exists(src))
		goto out;
	if (fsutil_read_all(src, 256u << 20, &data, &len, e) < 0) {
		rc = -1;
		goto out;
	}
	gzFile gz = gzopen(dst, "wb1");
	if (!gz || (len && gzwrite(gz, data, (unsigned)len) != (int)len)) {
		rc = err_errno(e, errno ? errno : EIO, "cannot write %.300s", dst);
		if (gz)
			gzclose(gz);
		unlink(dst);
		goto out;
	}
	if (gzclose(gz) != Z_OK) {
		rc = err_errno(e, errno ? errno : EIO, "cannot write %.300s", dst);
		unlink(dst);
	}
out:
	free(data);
	free(src);
	free(dst);
	return rc;
}

static void s_prepared(struct job *j)
{
	struct err e = {0};
	char *gz = xasprintf("%s/log.gz", j->pend_dir);
	char *tmp = xasprintf("%s/log.gz.tmp", j->pend_dir);
	int ok = fsync(j->out_fd) == 0 && close(j->out_fd) == 0;
	j->out_fd = -1;
	if (!ok || rename(tmp, gz) < 0) {
		err_errno(&e, errno, "cannot store the console log in %.300s", j->pend_dir);
		s_fail(j, &e);
		free(gz);
		free(tmp);
		s_finish(j);
		return;
	}
	free(gz);
	free(tmp);
	if (s_gzip_times(j, &e) < 0)
		s_fail(j, &e); /* the log itself is kept: go on */
	if (j->artifacts_dir && fsutil_exists(j->artifacts_dir)) {
		char *dst = xasprintf("%s/artifacts", j->pend_dir);
		if (rename(j->artifacts_dir, dst) < 0 && errno != ENOENT) {
			err_errno(&e, errno, "cannot keep the artifacts of %.300s", j->pend_dir);
			s_fail(j, &e);
		}
		free(dst);
	}
	/* From here on the directory is complete: archive_resume may upload it. */
	char *ready = xasprintf("%s/ready", j->pend_dir);
	if (fsutil_write_atomic(ready, "", 0, &e) < 0)
		s_fail(j, &e);
	free(ready);
	j->prepared = true;
	s_upload_dir(j, j->pend_dir);
}

static int s_deflate(struct job *j, const char *in, size_t len, int flush, struct err *e)
{
	j->z.next_in = (Bytef *)in;
	j->z.avail_in = (uInt)len;
	do {
		j->z.next_out = (Bytef *)j->outbuf;
		j->z.avail_out = GZIP_SLICE_BYTES;
		int zr = deflate(&j->z, flush);
		if (zr == Z_STREAM_ERROR)
			return err_set(e, ERR_INTERNAL, "compression failed");
		size_t have = GZIP_SLICE_BYTES - j->z.avail_out;
		if (have && fsutil_write_full(j->out_fd, j->outbuf, have) < 0)
			return err_errno(e, errno, "cannot write the compressed log in %.300s",
					 j->pend_dir);
	} while (j->z.avail_out == 0);
	return 0;
}

static void s_gzip_slice(void *arg)
{
	struct job *j = arg;
	struct err e = {0};
	ssize_t n = j->in_fd >= 0 ? read(j->in_fd, j->inbuf, GZIP_SLICE_BYTES) : 0;
	if (n < 0) {
		err_errno(&e, errno, "cannot read %.300s", j->spool);
		goto fail;
	}
	if (s_deflate(j, j->inbuf, (size_t)n, n == 0 ? Z_FINISH : Z_NO_FLUSH, &e) < 0)
		goto fail;
	if (n > 0) {
		evloop_timer(j->loop, 0, s_gzip_slice, j);
		return;
	}
	s_prepared(j);
	return;
fail:
	s_fail(j, &e);
	s_finish(j);
}

static int s_write_meta(struct job *j, const struct build *b, struct err *e)
{
	char *log_key = b->log_key ? xstrdup(b->log_key) : build_log_key(b->project_key, b->id);
	char *prefix = b->artifacts_prefix ? xstrdup(b->artifacts_prefix)
					   : build_artifacts_prefix(b->project_key, b->id);
	json_t *meta = json_pack("{s:s, s:s, s:s, s:s}", "buildID", b->id, "projectKey",
				 b->project_key, "logKey", log_key, "artifactsPrefix", prefix);
	char *text = json_dumps(meta, JSON_INDENT(1));
	char *path = xasprintf("%s/meta.json", j->pend_dir);
	int rc = fsutil_write_atomic(path, text, strlen(text), e);
	free(path);
	free(text);
	json_decref(meta);
	free(log_key);
	free(prefix);
	return rc;
}

void archive_start(struct evloop *loop, struct blob *blob, const char *data_dir,
		   const struct build *b, const char *spool, const char *artifacts_dir,
		   archive_done_fn done, void *ctx)
{
	struct job *j = s_job_new(loop, blob, data_dir, done, ctx);
	struct err e = {0};
	j->pend_dir = xasprintf("%s/pending/%s", data_dir, b->id);
	j->spool = xstrdup(spool);
	j->artifacts_dir = xstrdup(artifacts_dir);
	char *tmp = xasprintf("%s/log.gz.tmp", j->pend_dir);
	if (fsutil_mkdir_p(j->pend_dir, 0700, &e) < 0 || s_write_meta(j, b, &e) < 0)
		goto fail;
	j->in_fd = open(spool, O_RDONLY | O_CLOEXEC); /* a missing spool: an empty log */
	j->out_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (j->out_fd < 0) {
		err_errno(&e, errno, "cannot write %.300s", tmp);
		goto fail;
	}
	if (deflateInit2(&j->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		err_set(&e, ERR_INTERNAL, "cannot start compression");
		goto fail;
	}
	j->z_init = true;
	j->inbuf = xmalloc(GZIP_SLICE_BYTES);
	j->outbuf = xmalloc(GZIP_SLICE_BYTES);
	free(tmp);
	evloop_timer(loop, 0, s_gzip_slice, j);
	return;
fail:
	free(tmp);
	s_fail(j, &e);
	/* Report from the loop, as promised. */
	evloop_timer(loop, 0, s_finish_later, j);
}

/* --- resuming ------------------------------------------------------------ */

static void s_next_dir_later(void *arg)
{
	s_next_dir(arg);
}

static void s_next_dir(struct job *j)
{
	if (j->next_dir == j->n_dirs) {
		s_finish(j);
		return;
	}
	s_upload_dir(j, j->dirs[j->next_dir++]);
}

void archive_resume(struct evloop *loop, struct blob *blob, const char *data_dir,
		    archive_done_fn done, void *ctx)
{
	struct job *j = s_job_new(loop, blob, data_dir, done, ctx);
	char *root = datadir_sub(data_dir, "pending");
	DIR *d = opendir(root);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *dir = xasprintf("%s/%s", root, de->d_name);
		char *gz = xasprintf("%s/ready", dir);
		/* Only finished preparations (log.gz may be gone already: sent). */
		if (fsutil_exists(gz)) {
			j->dirs = xrealloc(j->dirs, (j->n_dirs + 1) * sizeof(*j->dirs));
			j->dirs[j->n_dirs++] = dir;
		} else {
			free(dir);
		}
		free(gz);
	}
	if (d)
		closedir(d);
	free(root);
	j->dirs = j->dirs ? j->dirs : xcalloc(1, sizeof(char *));
	evloop_timer(loop, 0, s_next_dir_later, j);
}

char *archive_pending_log(const char *data_dir, const char *build_id)
{
	char *gz = xasprintf("%s/pending/%s/log.gz", data_dir, build_id);
	if (fsutil_exists(gz))
		return gz;
	free(gz);
	return NULL;
}
