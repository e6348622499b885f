#include "s3upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awsclient.h"
#include "evloop.h"
#include "sigv4.h"
#include "xmem.h"

#define HASH_SLICE_BYTES (4u << 20)
#define MAX_PARTS	 10000

struct s_part {
	uint64_t offset, length;
	char hash[SIGV4_HEX_LEN + 1];
	char *etag;
};

struct s_up {
	struct awsclient *client;
	char *bucket, *key, *path, *content_type;
	s3_done_fn done;
	void *ctx;
	int fd;
	uint64_t size;
	int parallel;
	/* hashing (one range at a time) */
	struct sigv4_sha256 sha;
	bool sha_on;
	uint64_t hash_pos, hash_end;
	int hashing_part; /* -1: the whole file */
	char *buf;
	/* multipart */
	bool multipart;
	char *upload_id;
	struct s_part *parts;
	int n_parts, next_part, inflight;
	bool failed;
	struct s3_result res;
};

static void s_free(struct s_up *u)
{
	if (u->fd >= 0)
		close(u->fd);
	if (u->sha_on)
		sigv4_sha256_cleanup(&u->sha);
	for (int i = 0; i < u->n_parts; i++)
		free(u->parts[i].etag);
	free(u->parts);
	free(u->buf);
	free(u->upload_id);
	free(u->bucket);
	free(u->key);
	free(u->path);
	free(u->content_type);
	s3_result_cleanup(&u->res);
	free(u);
}

static void s_end(struct s_up *u)
{
	if (u->res.rc == 0)
		u->res.size = u->size;
	u->done(u->ctx, &u->res);
	s_free(u);
}

static void s_end_cb(void *arg)
{
	s_end(arg);
}

/* Keeps the first failure. */
static void s_failed(struct s_up *u, const struct err *e)
{
	if (!u->failed) {
		u->failed = true;
		u->res.rc = -1;
		u->res.err = *e;
	}
}

static void s_hash_done(struct s_up *u, bool read_ok);

static void s_hash_slice(void *arg)
{
	struct s_up *u = arg;
	struct err e = {0};
	uint64_t want = u->hash_end - u->hash_pos;
	if (want > HASH_SLICE_BYTES)
		want = HASH_SLICE_BYTES;
	if (!u->sha_on) {
		err_set(&e, ERR_INTERNAL, "cannot hash %.300s", u->path);
		goto fail;
	}
	ssize_t n = want ? pread(u->fd, u->buf, (size_t)want, (off_t)u->hash_pos) : 0;
	if (n < 0 || (n == 0 && want > 0)) {
		err_errno(&e, n < 0 ? errno : EIO, "cannot read %.300s", u->path);
		goto fail;
	}
	if (n > 0 && sigv4_sha256_update(&u->sha, u->buf, (size_t)n, &e) < 0)
		goto fail;
	u->hash_pos += (uint64_t)n;
	if (u->hash_pos < u->hash_end) {
		evloop_timer(awsclient_loop(u->client), 0, s_hash_slice, u);
		return;
	}
	s_hash_done(u, true);
	return;
fail:
	s_failed(u, &e);
	s_hash_done(u, false);
}

static void s_hash_start(struct s_up *u, uint64_t offset, uint64_t length, int part)
{
	struct err e = {0};
	if (u->sha_on)
		sigv4_sha256_cleanup(&u->sha);
	u->sha_on = sigv4_sha256_init(&u->sha, &e) == 0;
	u->hash_pos = offset;
	u->hash_end = offset + length;
	u->hashing_part = part;
	evloop_timer(awsclient_loop(u->client), 0, s_hash_slice, u);
}

/* --- single PutObject ------------------------------------------------------ */

static void s_put_done(void *ctx, struct s3_result *r)
{
	struct s_up *u = ctx;
	u->res.rc = r->rc;
	u->res.err = r->err;
	u->res.attempts = r->attempts;
	u->res.etag = r->etag;
	r->etag = NULL;
	s_end(u);
}

/* --- multipart -------------------------------------------------------------- */

static void s_pump(struct s_up *u);

static void s_aborted(void *ctx, struct s3_result *r)
{
	struct s_up *u = ctx;
	(void)r; /* the first error is what matters; a failed abort leaves parts that
		    S3's lifecycle rules clean up */
	s_end(u);
}

static void s_completed(void *ctx, struct s3_result *r)
{
	struct s_up *u = ctx;
	if (r->rc < 0) {
		s_failed(u, &r->err);
		s3_abort_multipart(u->client, u->bucket, u->key, u->upload_id, s_aborted, u);
		return;
	}
	u->res.etag = r->etag;
	r->etag = NULL;
	s_end(u);
}

static void s_part_done(void *ctx, struct s3_result *r);

struct s_part_call {
	struct s_up *u;
	int index;
};

static void s_part_done(void *ctx, struct s3_result *r)
{
	struct s_part_call *pc = ctx;
	struct s_up *u = pc->u;
	if (r->rc < 0) {
		s_failed(u, &r->err);
	} else {
		u->parts[pc->index].etag = r->etag;
		r->etag = NULL;
	}
	free(pc);
	u->inflight--;
	s_pump(u);
}

static void s_hash_done(struct s_up *u, bool read_ok)
{
	struct err e = {0};
	char hex[SIGV4_HEX_LEN + 1];
	bool ok = read_ok;
	if (ok && sigv4_sha256_final(&u->sha, hex, &e) < 0) {
		s_failed(u, &e);
		ok = false;
	}
	if (u->sha_on) {
		sigv4_sha256_cleanup(&u->sha);
		u->sha_on = false;
	}
	if (!u->multipart) {
		if (ok)
			s3_put_fd(u->client, u->bucket, u->key, u->fd, 0, u->size, hex,
				  u->content_type, s_put_done, u);
		else
			s_end(u);
		return;
	}
	int part = u->hashing_part;
	u->hashing_part = -2; /* idle */
	if (ok && !u->failed) {
		struct s_part *p = &u->parts[part];
		memcpy(p->hash, hex, sizeof(hex));
		struct s_part_call *pc = xcalloc(1, sizeof(*pc));
		pc->u = u;
		pc->index = part;
		s3_upload_part(u->client, u->bucket, u->key, u->upload_id, part + 1, u->fd,
			       p->offset, p->length, p->hash, s_part_done, pc);
	} else {
		u->inflight--;
	}
	s_pump(u);
}

static void s_pump(struct s_up *u)
{
	if (!u->failed && u->hashing_part == -2 && u->next_part < u->n_parts &&
	    u->inflight < u->parallel) {
		struct s_part *p = &u->parts[u->next_part];
		u->inflight++;
		s_hash_start(u, p->offset, p->length, u->next_part++);
		return;
	}
	if (u->inflight > 0 || u->hashing_part != -2)
		return;
	if (u->failed) {
		s3_abort_multipart(u->client, u->bucket, u->key, u->upload_id, s_aborted, u);
		return;
	}
	if (u->next_part < u->n_parts)
		return;
	char **etags = xcalloc((size_t)u->n_parts, sizeof(*etags));
	for (int i = 0; i < u->n_parts; i++)
		etags[i] = u->parts[i].etag;
	s3_complete_multipart(u->client, u->bucket, u->key, u->upload_id, etags, u->n_parts,
			      s_completed, u);
	free(etags);
}

static void s_created(void *ctx, struct s3_result *r)
{
	struct s_up *u = ctx;
	if (r->rc < 0) {
		s_failed(u, &r->err);
		s_end(u);
		return;
	}
	u->upload_id = r->upload_id;
	r->upload_id = NULL;
	u->hashing_part = -2;
	s_pump(u);
}

static void s_plan_parts(struct s_up *u, uint64_t part_bytes)
{
	if (part_bytes < S3UPLOAD_MIN_PART_BYTES)
		part_bytes = S3UPLOAD_MIN_PART_BYTES;
	if ((u->size + part_bytes - 1) / part_bytes > MAX_PARTS)
		part_bytes = (u->size + MAX_PARTS - 1) / MAX_PARTS;
	u->n_parts = (int)((u->size + part_bytes - 1) / part_bytes);
	u->parts = xcalloc((size_t)u->n_parts, sizeof(*u->parts));
	for (int i = 0; i < u->n_parts; i++) {
		u->parts[i].offset = (uint64_t)i * part_bytes;
		u->parts[i].length =
		    i == u->n_parts - 1 ? u->size - u->parts[i].offset : part_bytes;
	}
}

void s3upload_file(struct awsclient *c, const char *bucket, const char *key, const char *path,
		   const char *content_type, const struct s3upload_options *opt, s3_done_fn done,
		   void *ctx)
{
	struct s_up *u = xcalloc(1, sizeof(*u));
	u->client = c;
	u->bucket = xstrdup(bucket);
	u->key = xstrdup(key);
	u->path = xstrdup(path);
	u->content_type = xstrdup(content_type);
	u->done = done;
	u->ctx = ctx;
	u->parallel = opt && opt->parallel > 0 ? opt->parallel : S3UPLOAD_PARALLEL;
	uint64_t threshold =
	    opt && opt->threshold_bytes ? opt->threshold_bytes : S3UPLOAD_THRESHOLD_BYTES;
	struct stat st;
	u->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (u->fd < 0 || fstat(u->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		struct err e;
		if (u->fd >= 0 && !S_ISREG(st.st_mode))
			err_set(&e, ERR_IO, "%.300s is not a regular file", path);
		else
			err_errno(&e, errno, "cannot read %.300s", path);
		s_failed(u, &e);
		evloop_timer(awsclient_loop(c), 0, s_end_cb, u);
		return;
	}
	u->size = (uint64_t)st.st_size;
	u->buf = xmalloc(HASH_SLICE_BYTES);
	if (u->size <= threshold) {
		s_hash_start(u, 0, u->size, -1);
		return;
	}
	u->multipart = true;
	s_plan_parts(u, opt && opt->part_bytes ? opt->part_bytes : S3UPLOAD_PART_BYTES);
	s3_create_multipart(c, bucket, key, content_type, s_created, u);
}
