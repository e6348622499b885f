#include "uploader.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"
#include "xmem.h"

struct item {
	char *path;
	char *key;
	enum blob_bucket bucket;
};

struct job {
	struct evloop *loop;
	struct blob *blob;
	bool remove_stored;
	struct item *items;
	size_t n, cap, next, inflight;
	uint64_t stored;
	int rc;
	struct err err;
	uploader_done_fn done;
	void *ctx;
};

struct put {
	struct job *job;
	struct item *item;
};

const char *uploader_content_type(const char *key)
{
	const char *dot = strrchr(key, '.');
	static const char *const text[] = {".txt", ".log", ".md", ".json", ".yaml", ".yml",
					   ".xml", ".csv", ".html", ".sh", ".c", ".h", NULL};
	if (dot && strcmp(dot, ".gz") == 0)
		return "application/gzip";
	for (int i = 0; dot && text[i]; i++)
		if (strcmp(dot, text[i]) == 0)
			return "text/plain; charset=utf-8";
	return "application/octet-stream";
}

static void s_add(struct job *j, const char *path, const char *key, enum blob_bucket bucket)
{
	if (j->n == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 32;
		j->items = xrealloc(j->items, j->cap * sizeof(*j->items));
	}
	j->items[j->n++] = (struct item){xstrdup(path), xstrdup(key), bucket};
}

/* Walks dir depth-first in name order, so uploads go in a stable order. */
static int s_walk(struct job *j, const char *dir, const char *key_prefix, enum blob_bucket b,
		  struct err *e)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : err_errno(e, errno, "cannot read %.300s", dir);
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
			char *path = xasprintf("%s/%s", dir, name);
			char *key = xasprintf("%s%s", key_prefix, name);
			struct stat st;
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
				char *sub = xasprintf("%s/", key);
				rc = s_walk(j, path, sub, b, e);
				free(sub);
			} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				s_add(j, path, key, b);
			}
			free(path);
			free(key);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static void s_finish(struct job *j)
{
	j->done(j->ctx, j->rc, &j->err, j->stored);
	for (size_t i = 0; i < j->n; i++) {
		free(j->items[i].path);
		free(j->items[i].key);
	}
	free(j->items);
	free(j);
}

static void s_pump(struct job *j);

static void s_put_done(void *ctx, struct blob_reply *r)
{
	struct put *p = ctx;
	struct job *j = p->job;
	if (r->rc == 0) {
		j->stored++;
		if (j->remove_stored)
			unlink(p->item->path);
	} else if (j->rc == 0) {
		j->rc = -1;
		j->err = r->err;
	}
	free(p);
	j->inflight--;
	s_pump(j);
}

static void s_pump(struct job *j)
{
	while (j->inflight < UPLOADER_PARALLEL && j->next < j->n) {
		struct put *p = xcalloc(1, sizeof(*p));
		p->job = j;
		p->item = &j->items[j->next++];
		j->inflight++;
		j->blob->ops->put_file(j->blob, p->item->bucket, p->item->key, p->item->path,
				       uploader_content_type(p->item->key), s_put_done, p);
	}
	if (j->inflight == 0 && j->next == j->n)
		s_finish(j);
}

static void s_start_later(void *arg)
{
	s_pump(arg);
}

struct uploader *uploader_new(struct evloop *loop, struct blob *blob, bool remove_stored)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->loop = loop;
	j->blob = blob;
	j->remove_stored = remove_stored;
	return (struct uploader *)j;
}

void uploader_add_dir(struct uploader *u, enum blob_bucket bucket, const char *dir,
		      const char *prefix)
{
	struct job *j = (struct job *)u;
	struct err e = {0};
	if (s_walk(j, dir, prefix, bucket, &e) < 0 && j->rc == 0) {
		j->rc = -1;
		j->err = e;
	}
}

void uploader_add_file(struct uploader *u, enum blob_bucket bucket, const char *path,
		       const char *key)
{
	s_add((struct job *)u, path, key, bucket);
}

void uploader_run(struct uploader *u, uploader_done_fn done, void *ctx)
{
	struct job *j = (struct job *)u;
	j->done = done;
	j->ctx = ctx;
	evloop_timer(j->loop, 0, s_start_later, j);
}
