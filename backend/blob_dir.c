#include "blob_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"
#include "fsutil.h"
#include "xmem.h"

#define GET_CHUNK_BYTES (1u << 20)

struct blob_dir {
	struct blob base;
	struct evloop *loop;
	char *root;
	char *buckets[2];
	unsigned tmp_seq;
};

struct s_get {
	struct blob_dir *d;
	int fd;
	uint64_t pos, end;
	blob_data_fn data;
	blob_done_fn done;
	void *ctx;
	struct blob_reply *r;
	char buf[GET_CHUNK_BYTES];
};

bool blob_dir_key_ok(const char *key)
{
	if (!key || !*key || key[0] == '/')
		return false;
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p < 0x20)
			return false;
	const char *seg = key;
	for (;;) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (!slash)
			return true;
		seg = slash + 1;
	}
}

static void s_prune_parents(struct blob_dir *d, enum blob_bucket bucket, const char *path);

static char *s_path(struct blob_dir *d, enum blob_bucket bucket, const char *key)
{
	return xasprintf("%s/%s/%s", d->root, d->buckets[bucket], key);
}

static struct blob_reply *s_reply(void)
{
	return xcalloc(1, sizeof(struct blob_reply));
}

static int s_key_check(const char *key, struct blob_reply *r)
{
	if (blob_dir_key_ok(key))
		return 0;
	r->rc = -1;
	return err_set(&r->err, ERR_USAGE, "invalid object key '%.200s'", key ? key : "");
}

static void s_put_file(struct blob *base, enum blob_bucket bucket, const char *key,
		       const char *path, const char *content_type, blob_done_fn done, void *ctx)
{
	struct blob_dir *d = (struct blob_dir *)base;
	struct blob_reply *r = s_reply();
	(void)content_type;
	char *dst = NULL, *tmp = NULL;
	if (s_key_check(key, r) < 0)
		goto out;
	r->rc = -1;
	dst = s_path(d, bucket, key);
	tmp = xasprintf("%s/.tmp/%d-%u", d->root, (int)getpid(), ++d->tmp_seq);
	if (fsutil_copy_file(path, tmp, &r->err) < 0)
		goto out;
	if (fsutil_mkdir_parent(dst, 0755, &r->err) < 0 || rename(tmp, dst) < 0) {
		if (r->err.code == ERR_NONE)
			err_errno(&r->err, errno, "cannot store %.300s", dst);
		unlink(tmp);
		s_prune_parents(d, bucket, dst); /* no empty "directory" left */
		goto out;
	}
	struct stat st;
	if (stat(dst, &st) == 0)
		r->size = (uint64_t)st.st_size;
	r->rc = 0;
out:
	free(dst);
	free(tmp);
	blob_reply_later(d->loop, r, done, ctx);
}

static void s_get_step(void *arg)
{
	struct s_get *g = arg;
	uint64_t want = g->end - g->pos;
	if (want > sizeof(g->buf))
		want = sizeof(g->buf);
	ssize_t n = want ? pread(g->fd, g->buf, (size_t)want, (off_t)g->pos) : 0;
	if (n < 0) {
		g->r->rc = -1;
		err_errno(&g->r->err, errno, "cannot read object");
	} else if (n > 0) {
		g->pos += (uint64_t)n;
		if (g->data(g->ctx, g->buf, (size_t)n) < 0) {
			g->r->rc = -1;
			if (g->r->err.code == ERR_NONE)
				err_set(&g->r->err, ERR_CANCELLED, "download stopped");
		} else if (g->pos < g->end) {
			evloop_timer(g->d->loop, 0, s_get_step, g);
			return;
		}
	}
	close(g->fd);
	g->done(g->ctx, g->r);
	blob_reply_free(g->r);
	free(g);
}

static void s_get(struct blob *base, enum blob_bucket bucket, const char *key, uint64_t offset,
		  uint64_t length, blob_data_fn data, blob_done_fn done, void *ctx)
{
	struct blob_dir *d = (struct blob_dir *)base;
	struct blob_reply *r = s_reply();
	if (s_key_check(key, r) < 0) {
		blob_reply_later(d->loop, r, done, ctx);
		return;
	}
	char *path = s_path(d, bucket, key);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r->rc = -1;
		if (fd >= 0 || errno == ENOENT || errno == ENOTDIR)
			err_set(&r->err, ERR_NOTFOUND, "no object %.300s", key);
		else
			err_errno(&r->err, errno, "cannot read %.300s", path);
		if (fd >= 0)
			close(fd);
		free(path);
		blob_reply_later(d->loop, r, done, ctx);
		return;
	}
	free(path);
	struct s_get *g = xmalloc(sizeof(*g));
	memset(g, 0, offsetof(struct s_get, buf));
	uint64_t size = (uint64_t)st.st_size;
	g->d = d;
	g->fd = fd;
	g->pos = offset < size ? offset : size;
	g->end = length && g->pos + length < size ? g->pos + length : size;
	g->data = data;
	g->done = done;
	g->ctx = ctx;
	g->r = r;
	r->size = size;
	evloop_timer(d->loop, 0, s_get_step, g);
}

static void s_head(struct blob *base, enum blob_bucket bucket, const char *key,
		   blob_done_fn done, void *ctx)
{
	struct blob_dir *d = (struct blob_dir *)base;
	struct blob_reply *r = s_reply();
	if (s_key_check(key, r) == 0) {
		char *path = s_path(d, bucket, key);
		struct stat st;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			r->rc = -1;
			err_set(&r->err, ERR_NOTFOUND, "no object %.300s", key);
		} else {
			r->size = (uint64_t)st.st_size;
			r->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
		}
		free(path);
	}
	blob_reply_later(d->loop, r, done, ctx);
}

/* A list prefix: like a key, but it may end with '/' or in the middle of a
 * name. */
static bool s_prefix_ok(const char *prefix)
{
	char *probe = xasprintf("%sx", prefix);
	bool ok = blob_dir_key_ok(probe);
	free(probe);
	return ok;
}

/* Whether a directory holds at least one object (S3 has no empty
 * "directories"). */
static bool s_has_object(const char *dir)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return false;
	struct dirent *de;
	bool found = false;
	while (!found && (de = readdir(dh))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) == 0)
			found = S_ISREG(st.st_mode) || (S_ISDIR(st.st_mode) && s_has_object(path));
		free(path);
	}
	closedir(dh);
	return found;
}

static int s_cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct blob_entry *)a)->key, ((const struct blob_entry *)b)->key);
}

/* Collects keys under dir (key prefix kp) that start with prefix: recursively
 * when delim is empty, else one level with sub-directories as prefixes. */
static int s_walk(const char *dir, const char *kp, const char *prefix, bool delim,
		  struct blob_list *out, struct err *e)
{
	DIR *dh = opendir(dir);
	if (!dh)
		return errno == ENOENT || errno == ENOTDIR ? 0
							   : err_errno(e, errno, "cannot list %.300s", dir);
	struct dirent *de;
	int rc = 0;
	size_t plen = strlen(prefix);
	while (rc == 0 && (de = readdir(dh))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *key = xasprintf("%s%s", kp, de->d_name);
		char *path = xasprintf("%s/%s", dir, de->d_name);
		size_t klen = strlen(key);
		size_t n = klen < plen ? klen : plen;
		struct stat st;
		if (strncmp(key, prefix, n) == 0 && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				char *sub = xasprintf("%s/", key);
				if (delim && klen + 1 > plen) {
					if (s_has_object(path))
						blob_list_push(out, sub, 0, 0, true);
				}
				else
					rc = s_walk(path, sub, prefix, delim, out, e);
				free(sub);
			} else if (S_ISREG(st.st_mode) && klen >= plen) {
				int64_t ms = (int64_t)st.st_mtim.tv_sec * 1000 +
					     st.st_mtim.tv_nsec / 1000000;
				blob_list_push(out, key, (uint64_t)st.st_size, ms, false);
			}
		}
		free(key);
		free(path);
	}
	closedir(dh);
	return rc;
}

static void s_list(struct blob *base, enum blob_bucket bucket, const char *prefix,
		   const char *delimiter, const char *token, int max_keys, blob_done_fn done,
		   void *ctx)
{
	struct blob_dir *d = (struct blob_dir *)base;
	struct blob_reply *r = s_reply();
	struct blob_list all = {0};
	bool delim = delimiter && *delimiter;
	if (prefix && *prefix && !s_prefix_ok(prefix)) {
		r->rc = -1;
		err_set(&r->err, ERR_USAGE, "invalid list prefix '%.200s'", prefix);
		goto out;
	}
	if (delim && strcmp(delimiter, "/") != 0) {
		r->rc = -1;
		err_set(&r->err, ERR_USAGE, "only '/' is supported as a delimiter");
		goto out;
	}
	char *top = xasprintf("%s/%s", d->root, d->buckets[bucket]);
	/* Start the walk at the deepest directory the prefix names. */
	const char *slash = strrchr(prefix ? prefix : "", '/');
	char *kp = slash ? xstrndup(prefix, (size_t)(slash - prefix + 1)) : xstrdup("");
	char *dir = xasprintf("%s/%s", top, kp);
	if (s_walk(dir, kp, prefix ? prefix : "", delim, &all, &r->err) < 0)
		r->rc = -1;
	free(top);
	free(kp);
	free(dir);
	if (r->rc < 0)
		goto out;
	if (all.n > 1)
		qsort(all.items, all.n, sizeof(*all.items), s_cmp_entry);
	int max = max_keys > 0 ? max_keys : 1000;
	for (size_t i = 0; i < all.n; i++) {
		struct blob_entry *en = &all.items[i];
		if (token && strcmp(en->key, token) <= 0)
			continue;
		if ((int)r->entries.n == max) {
			r->next_token = xstrdup(r->entries.items[r->entries.n - 1].key);
			break;
		}
		blob_list_push(&r->entries, en->key, en->size, en->mtime_ms, en->is_prefix);
	}
out:
	blob_list_cleanup(&all);
	blob_reply_later(d->loop, r, done, ctx);
}

static void s_prune_parents(struct blob_dir *d, enum blob_bucket bucket, const char *file)
{
	size_t top_len = strlen(d->root) + 1 + strlen(d->buckets[bucket]);
	char *path = xstrdup(file);
	char *slash;
	while ((slash = strrchr(path, '/')) && (size_t)(slash - path) > top_len) {
		*slash = '\0';
		if (rmdir(path) < 0)
			break;
	}
	free(path);
}

static void s_del(struct blob *base, enum blob_bucket bucket, const char *const *keys, size_t n,
		  blob_done_fn done, void *ctx)
{
	struct blob_dir *d = (struct blob_dir *)base;
	struct blob_reply *r = s_reply();
	for (size_t i = 0; i < n && r->rc == 0; i++) {
		if (s_key_check(keys[i], r) < 0)
			break;
		char *path = s_path(d, bucket, keys[i]);
		if (unlink(path) < 0 && errno != ENOENT) {
			r->rc = -1;
			err_errno(&r->err, errno, "cannot delete %.300s", path);
		} else {
			s_prune_parents(d, bucket, path);
		}
		free(path);
	}
	blob_reply_later(d->loop, r, done, ctx);
}

static char *s_location(struct blob *base, enum blob_bucket bucket, const char *key)
{
	return s_path((struct blob_dir *)base, bucket, key);
}

static void s_free(struct blob *base)
{
	struct blob_dir *d = (struct blob_dir *)base;
	if (!d)
		return;
	free(d->root);
	free(d->buckets[0]);
	free(d->buckets[1]);
	free(d);
}

static const struct blob_ops s_ops = {
	.name = "dir",
	.put_file = s_put_file,
	.get = s_get,
	.head = s_head,
	.list = s_list,
	.del = s_del,
	.location = s_location,
	.free = s_free,
};

struct blob *blob_dir_new(struct evloop *loop, const char *root, const char *artifacts_bucket,
			  const char *logs_bucket, struct err *e)
{
	struct blob_dir *d = xcalloc(1, sizeof(*d));
	d->base.ops = &s_ops;
	d->loop = loop;
	d->root = xstrdup(root);
	d->buckets[BLOB_ARTIFACTS] = xstrdup(artifacts_bucket);
	d->buckets[BLOB_LOGS] = xstrdup(logs_bucket);
	char *tmp = xasprintf("%s/.tmp", root);
	int rc = fsutil_mkdir_p(tmp, 0755, e);
	free(tmp);
	if (rc < 0) {
		s_free(&d->base);
		return NULL;
	}
	return &d->base;
}
