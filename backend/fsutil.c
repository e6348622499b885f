#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmem.h"

int fsutil_mkdir_p(const char *path, mode_t mode, struct err *e)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return err_set(e, ERR_IO, "path too long: %.200s", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return err_errno(e, errno, "cannot create directory %.300s", buf);
		if (saved == '\0')
			break;
		*p = saved;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(e, ERR_IO, "%.300s exists and is not a directory", path);
	return 0;
}

int fsutil_mkdir_parent(const char *path, mode_t mode, struct err *e)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		rc = fsutil_mkdir_p(dir, mode, e);
	}
	free(dir);
	return rc;
}

int fsutil_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fsutil_write_atomic(const char *path, const void *data, size_t len, struct err *e)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_errno(e, errno, "cannot write %.300s", path);
		goto out;
	}
	if (fsutil_write_full(fd, data, len) < 0 || fsync(fd) < 0) {
		err_errno(e, errno, "cannot write %.300s", path);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		err_errno(e, errno, "cannot rename into %.300s", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int fsutil_read_all(const char *path, size_t max_bytes, char **out, size_t *len_out,
		    struct err *e)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, errno, "cannot read %.300s", path);
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap >= max_bytes) {
				free(buf);
				close(fd);
				return err_set(e, ERR_IO, "%.300s is larger than %zu bytes", path,
					       max_bytes);
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			free(buf);
			close(fd);
			return err_errno(e, saved, "cannot read %.300s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	if (len_out)
		*len_out = len;
	return 0;
}

static int s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fsutil_rm_rf(const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_errno(e, errno, "cannot remove %.300s", path);
	if (nftw(path, s_rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return err_errno(e, errno, "cannot remove %.300s", path);
	return 0;
}

int fsutil_copy_file(const char *src, const char *dst, struct err *e)
{
	int in = -1, out = -1, rc = -1;
	char *tmp = xasprintf("%s.tmp.%d", dst, (int)getpid());
	struct stat st;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		err_errno(e, errno, "cannot read %.300s", src);
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0) {
		err_errno(e, errno, "cannot write %.300s", dst);
		goto out;
	}
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(e, errno, "cannot read %.300s", src);
			goto out;
		}
		if (n == 0)
			break;
		if (fsutil_write_full(out, buf, (size_t)n) < 0) {
			err_errno(e, errno, "cannot write %.300s", dst);
			goto out;
		}
	}
	if (close(out) < 0) {
		out = -1;
		err_errno(e, errno, "cannot write %.300s", dst);
		goto out;
	}
	out = -1;
	if (rename(tmp, dst) < 0) {
		err_errno(e, errno, "cannot rename into %.300s", dst);
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int fsutil_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

char *fsutil_expand_home(const char *path)
{
	if (!path)
		return NULL;
	if (path[0] == '~' && (path[1] == '\0' || path[1] == '/')) {
		const char *home = getenv("HOME");
		if (!home || !*home)
			home = "/";
		return xasprintf("%s%s", home, path + 1);
	}
	return xstrdup(path);
}
