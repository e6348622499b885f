/* fsutil: small file-system helpers used across the backend. */
#ifndef AFTOMATO_FSUTIL_H
#define AFTOMATO_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* mkdir -p with the given mode for created directories. */
int fsutil_mkdir_p(const char *path, mode_t mode, struct err *e);
/* Makes the parent directories of path. */
int fsutil_mkdir_parent(const char *path, mode_t mode, struct err *e);
/* Writes data to path atomically (temporary file in the same directory,
 * fsync, rename). */
int fsutil_write_atomic(const char *path, const void *data, size_t len, struct err *e);
/* Reads a whole file (at most max_bytes) into a NUL-terminated buffer the
 * caller frees; *len_out may be NULL. */
int fsutil_read_all(const char *path, size_t max_bytes, char **out, size_t *len_out,
		    struct err *e);
/* rm -rf; a missing path is not an error. */
int fsutil_rm_rf(const char *path, struct err *e);
/* Copies a regular file (data and mode) to dst through a temporary + rename. */
int fsutil_copy_file(const char *src, const char *dst, struct err *e);
/* write(2) all of buf, retrying on EINTR and short writes. */
int fsutil_write_full(int fd, const void *buf, size_t len);
/* True when path exists (any type). */
int fsutil_exists(const char *path);
/* "~" and "~/x" expanded with $HOME; other paths copied. Caller frees. */
char *fsutil_expand_home(const char *path);

#endif
