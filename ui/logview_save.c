/* logview_save: saving a whole log to a file, in slices (logview.h). The
 * bytes are copied from the spool exactly as received into a temporary file
 * beside the target, renamed over it when complete. */
#include "logview_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logstore.h"

#define SAVE_CHUNK_BYTES ((size_t)1 << 20)

/* "~/x" → $HOME/x; relative → absolute. Returns a new string (caller frees)
 * or NULL. */
static char *s_full_path(const char *path)
{
	char *out = NULL;
	const char *home = getenv("HOME");
	if ((path[0] == '~' && (path[1] == '/' || path[1] == 0)) && home && *home) {
		if (asprintf(&out, "%s%s", home, path + 1) < 0)
			return NULL;
		return out;
	}
	if (path[0] == '/')
		return strdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	if (asprintf(&out, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) < 0)
		return NULL;
	return out;
}

static void s_free(struct lv_save *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->tmp)
		unlink(s->tmp);
	logstore_unref(s->ls);
	free(s->tmp);
	free(s->path);
	free(s->buf);
	free(s);
}

int logview_save(struct logview *lv, const char *path, struct err *e)
{
	if (!lv->log)
		return err_set(e, ERR_USAGE, "no log to save yet: the build is queued");
	if (lv->save)
		return err_set(e, ERR_USAGE, "already saving the log to %.300s", lv->save->path);
	if (!path || !*path)
		return err_set(e, ERR_USAGE, "no file name to save the log to");
	struct lv_save *s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, ERR_INTERNAL, "out of memory saving the log");
	s->fd = -1;
	s->path = s_full_path(path);
	s->buf = malloc(SAVE_CHUNK_BYTES);
	if (!s->path || !s->buf || asprintf(&s->tmp, "%s.partXXXXXX", s->path) < 0) {
		s->tmp = NULL;
		s_free(s);
		return err_set(e, ERR_INTERNAL, "out of memory saving the log");
	}
	s->fd = mkstemp(s->tmp); /* mode 0600 */
	if (s->fd < 0) {
		int errnum = errno;
		free(s->tmp);
		s->tmp = NULL;
		err_errno(e, errnum, "cannot create %.300s", s->path);
		s_free(s);
		return -1;
	}
	s->ls = logstore_ref(lv->log);
	s->total = logstore_byte_count(s->ls);
	lv->save = s;
	return 0;
}

static int s_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Finishes the copy; returns 0 or -1 with e filled. */
static int s_finish(struct lv_save *s, struct err *e)
{
	int fd = s->fd;
	s->fd = -1;
	if (close(fd))
		return err_errno(e, errno, "cannot write %.300s", s->path);
	if (rename(s->tmp, s->path))
		return err_errno(e, errno, "cannot save the log as %.300s", s->path);
	free(s->tmp);
	s->tmp = NULL;
	return 0;
}

bool logview_save_run(struct logview *lv, int64_t deadline_ns)
{
	struct lv_save *s = lv->save;
	struct err e;
	int rc = 0;
	while (s->off < s->total && rc == 0) {
		size_t want = s->total - s->off < SAVE_CHUNK_BYTES ? (size_t)(s->total - s->off)
								   : SAVE_CHUNK_BYTES;
		size_t got = 0;
		rc = logstore_read_bytes(s->ls, s->off, s->buf, want, &got, &e);
		if (rc == 0 && got == 0)
			rc = err_set(&e, ERR_IO, "the log shrank while being saved");
		if (rc == 0 && s_write_all(s->fd, s->buf, got))
			rc = err_errno(&e, errno, "cannot write %.300s", s->path);
		if (rc == 0)
			s->off += got;
		if (search_now_ns() >= deadline_ns)
			break;
	}
	if (rc == 0 && s->off < s->total)
		return true;
	if (rc == 0)
		rc = s_finish(s, &e);
	if (rc == 0)
		logview_note_set(lv, LOGVIEW_NOTE_INFO, "saved %llu bytes to %.200s",
				 (unsigned long long)s->total, s->path);
	else
		logview_note_set(lv, LOGVIEW_NOTE_ERROR, "%s", e.msg);
	s_free(s);
	lv->save = NULL;
	return true;
}

void logview_save_cancel(struct logview *lv)
{
	s_free(lv->save);
	lv->save = NULL;
}
