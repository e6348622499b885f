/* Unit tests for backend/archive and backend/uploader: a build's spool is
 * gzipped into <data_dir>/pending/<id>/, its artifacts moved beside it, both
 * uploaded to a real directory blob store (blob_dir) in AFT_TEST_TMP; on a
 * failed upload pending/<id>/ stays and archive_resume finishes it later.
 * Upload failures are real ones: a plain file blocks the directory a key
 * needs, and is removed again to let the retry succeed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "archive.h"
#include "blob_dir.h"
#include "evloop.h"
#include "fsutil.h"
#include "timeutil.h"
#include "uploader.h"
#include "xmem.h"

#define WATCHDOG_S 110
#define ARTS	   "arts"
#define LOGS	   "logs"
#define PROJECT	   "team/proj"

/* --- fixture ---------------------------------------------------------------- */

struct fx {
	struct evloop *loop;
	struct blob *blob;
	char base[512];	 /* everything of this test */
	char data[600];	 /* data_dir */
	char blobs[700]; /* blob store root */
};

static int s_setup(void **state)
{
	static int seq;
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err e = {0};
	snprintf(f->base, sizeof(f->base), "%s/archive-%d-%d", AFT_TEST_TMP, (int)getpid(), ++seq);
	fsutil_rm_rf(f->base, &e);
	snprintf(f->data, sizeof(f->data), "%s/data", f->base);
	snprintf(f->blobs, sizeof(f->blobs), "%s/blobs", f->data);
	if (fsutil_mkdir_p(f->data, 0700, &e) < 0)
		return -1;
	f->loop = evloop_new(&e);
	f->blob = blob_dir_new(f->loop, f->blobs, ARTS, LOGS, &e);
	if (!f->blob)
		return -1;
	*state = f;
	alarm(WATCHDOG_S);
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	struct err e = {0};
	f->blob->ops->free(f->blob);
	evloop_free(f->loop);
	fsutil_rm_rf(f->base, &e);
	free(f);
	alarm(0);
	return 0;
}

static char *s_join(const char *a, const char *b)
{
	return xasprintf("%s/%s", a, b);
}

static void s_write(const char *path, const void *data, size_t len)
{
	struct err e = {0};
	assert_int_equal(fsutil_mkdir_parent(path, 0755, &e), 0);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void s_write_str(const char *path, const char *text)
{
	s_write(path, text, strlen(text));
}

static char *s_read(const char *path, size_t *len)
{
	char *buf = NULL;
	struct err e = {0};
	if (fsutil_read_all(path, (size_t)1 << 30, &buf, len, &e) < 0)
		return NULL;
	return buf;
}

/* The whole content of a gzip file, or NULL when it is not valid gzip. */
static char *s_gunzip(const char *path, size_t *len)
{
	size_t zlen;
	char *z = s_read(path, &zlen);
	if (!z)
		return NULL;
	if (zlen < 2 || (unsigned char)z[0] != 0x1f || (unsigned char)z[1] != 0x8b) {
		free(z);
		return NULL;
	}
	z_stream s = {0};
	inflateInit2(&s, 15 + 16);
	size_t cap = zlen * 4 + 64, n = 0;
	char *out = xmalloc(cap);
	s.next_in = (Bytef *)z;
	s.avail_in = (uInt)zlen;
	int zr;
	do {
		if (cap - n < 65536) {
			cap *= 2;
			out = xrealloc(out, cap);
		}
		s.next_out = (Bytef *)out + n;
		s.avail_out = (uInt)(cap - n);
		zr = inflate(&s, Z_NO_FLUSH);
		n = cap - s.avail_out;
	} while (zr == Z_OK);
	inflateEnd(&s);
	free(z);
	if (zr != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	*len = n;
	return out;
}

/* A spool of about bytes bytes of numbered lines. Caller frees the content. */
static char *s_make_spool(const char *path, size_t bytes, size_t *len)
{
	char *buf = xmalloc(bytes + 128);
	size_t n = 0;
	for (unsigned i = 0; n < bytes; i++)
		n += (size_t)sprintf(buf + n, "line %u of the build log, with some text %u\n", i,
				     i * 2654435761u);
	s_write(path, buf, n);
	*len = n;
	return buf;
}

static struct build *s_build(void)
{
	struct build *b = build_new();
	struct err e = {0};
	assert_int_equal(build_uuid(b->id, &e), 0);
	b->project_key = xstrdup(PROJECT);
	b->branch = xstrdup("main");
	b->status = BUILD_SUCCEEDED;
	return b;
}

/* Where the blob store keeps an object. */
static char *s_obj(struct fx *f, const char *bucket, const char *key)
{
	return xasprintf("%s/%s/%s", f->blobs, bucket, key);
}

static char *s_pending(struct fx *f, const char *id)
{
	return xasprintf("%s/pending/%s", f->data, id);
}

/* Makes the blob store fail for keys under bucket/team: a plain file sits
 * where the directory must be. */
static char *s_block(struct fx *f, const char *bucket)
{
	char *dir = s_join(f->blobs, bucket);
	char *blocker = s_join(dir, "team");
	s_write_str(blocker, "blocks the directory team/");
	free(dir);
	return blocker;
}

struct done {
	int calls;
	int rc;
	struct err err;
	bool prepared;
	uint64_t files;
};

static void s_archive_done(void *ctx, int rc, const struct err *e, bool prepared)
{
	struct done *d = ctx;
	d->calls++;
	d->rc = rc;
	if (e)
		d->err = *e;
	d->prepared = prepared;
}

static void s_upload_done(void *ctx, int rc, const struct err *e, uint64_t files)
{
	struct done *d = ctx;
	d->calls++;
	d->rc = rc;
	if (e)
		d->err = *e;
	d->files = files;
}

static void s_wait(struct fx *f, struct done *d)
{
	assert_int_equal(d->calls, 0); /* never from inside the call */
	int64_t until = timeutil_mono_ms() + 60000;
	while (!d->calls && timeutil_mono_ms() < until)
		evloop_run_once(f->loop, 100);
	/* And only once: a few more iterations change nothing. */
	for (int i = 0; i < 3; i++)
		evloop_run_once(f->loop, 10);
	assert_int_equal(d->calls, 1);
}

static struct done s_archive(struct fx *f, const struct build *b, const char *spool,
			     const char *arts)
{
	struct done d = {0};
	archive_start(f->loop, f->blob, f->data, b, spool, arts, s_archive_done, &d);
	s_wait(f, &d);
	return d;
}

static struct done s_resume(struct fx *f)
{
	struct done d = {0};
	archive_resume(f->loop, f->blob, f->data, s_archive_done, &d);
	s_wait(f, &d);
	return d;
}

static void s_assert_log_object(struct fx *f, const char *key, const char *want, size_t len)
{
	char *path = s_obj(f, LOGS, key);
	size_t got_len = 0;
	char *got = s_gunzip(path, &got_len);
	if (!got)
		fail_msg("no valid gzip object at %s", path);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, want, len);
	free(got);
	free(path);
}

static void s_assert_file(const char *path, const char *want)
{
	size_t len = 0;
	char *got = s_read(path, &len);
	if (!got)
		fail_msg("missing %s", path);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	free(got);
}

/* An artifacts directory with nested files, a space, UTF-8, an empty file. */
static const char *const s_art_files[][2] = {
    {"report.txt", "all good\n"},
    {"bin/app", "\x7f"
		"ELF fake binary"},
    {"bin/lib/libx.so", "shared object"},
    {"docs/read me.md", "# spaces\n"},
    {"docs/ü/日本.txt", "unicode\n"},
    {"empty", ""},
    {"deep/a/b/c/d/e.json", "{\"k\": 1}"},
};
#define N_ART (sizeof(s_art_files) / sizeof(s_art_files[0]))

static char *s_make_artifacts(struct fx *f, const char *name)
{
	char *dir = s_join(f->base, name);
	for (size_t i = 0; i < N_ART; i++) {
		char *p = s_join(dir, s_art_files[i][0]);
		s_write_str(p, s_art_files[i][1]);
		free(p);
	}
	return dir;
}

static void s_assert_artifacts(struct fx *f, const char *prefix)
{
	for (size_t i = 0; i < N_ART; i++) {
		char *key = xasprintf("%s%s", prefix, s_art_files[i][0]);
		char *path = s_obj(f, ARTS, key);
		s_assert_file(path, s_art_files[i][1]);
		free(path);
		free(key);
	}
}

/* --- archive_start ------------------------------------------------------------ */

static void test_archive_log_and_artifacts(void **state)
{
	struct fx *f = *state;
	struct build *b = s_build();
	char *spool = s_join(f->base, "spool.log");
	size_t len;
	/* Larger than the compression slice, so it takes several loop turns. */
	char *content = s_make_spool(spool, 9 * 1024 * 1024 + 4321, &len);
	char *arts = s_make_artifacts(f, "artifacts");
	struct done d = s_archive(f, b, spool, arts);
	if (d.rc != 0)
		fail_msg("archive: %s", d.err.msg);
	assert_true(d.prepared);
	/* DESIGN.md §2: <projectKey>/<buildID>.log.gz and <projectKey>/<buildID>/. */
	char *log_key = build_log_key(PROJECT, b->id);
	char *prefix = build_artifacts_prefix(PROJECT, b->id);
	s_assert_log_object(f, log_key, content, len);
	s_assert_artifacts(f, prefix);
	/* The artifacts were moved, not copied; nothing stays pending. */
	assert_false(fsutil_exists(arts));
	char *pend = s_pending(f, b->id);
	assert_false(fsutil_exists(pend));
	assert_null(archive_pending_log(f->data, b->id));
	/* The spool itself is the caller's to remove. */
	assert_true(fsutil_exists(spool));
	free(pend);
	free(log_key);
	free(prefix);
	free(content);
	free(arts);
	free(spool);
	build_free(b);
}

static void test_archive_uses_record_keys(void **state)
{
	struct fx *f = *state;
	struct build *b = s_build();
	b->log_key = xstrdup("custom/logs/mine.log.gz");
	b->artifacts_prefix = xstrdup("custom/arts/");
	char *spool = s_join(f->base, "spool.log");
	s_write_str(spool, "short log\n");
	char *arts = s_make_artifacts(f, "a2");
	struct done d = s_archive(f, b, spool, arts);
	assert_int_equal(d.rc, 0);
	s_assert_log_object(f, "custom/logs/mine.log.gz", "short log\n", 10);
	s_assert_artifacts(f, "custom/arts/");
	char *std = s_obj(f, LOGS, PROJECT);
	assert_false(fsutil_exists(std));
	free(std);
	free(arts);
	free(spool);
	build_free(b);
}

static void test_archive_missing_spool_is_empty_log(void **state)
{
	struct fx *f = *state;
	struct build *b = s_build();
	char *spool = s_join(f->base, "never-written.log");
	struct done d = s_archive(f, b, spool, NULL);
	assert_int_equal(d.rc, 0);
	assert_true(d.prepared);
	char *key = build_log_key(PROJECT, b->id);
	s_assert_log_object(f, key, "", 0);
	/* A missing artifacts directory is no error either. */
	struct build *b2 = s_build();
	char *none = s_join(f->base, "no-artifacts-here");
	s_write_str(spool, "x\n");
	d = s_archive(f, b2, spool, none);
	assert_int_equal(d.rc, 0);
	char *key2 = build_log_key(PROJECT, b2->id);
	s_assert_log_object(f, key2, "x\n", 2);
	free(key);
	free(key2);
	free(none);
	free(spool);
	build_free(b);
	build_free(b2);
}

/* The log upload fails: log.gz stays in pending/ (and can be viewed from
 * there), the artifacts are stored; a later resume stores the log. */
static void test_log_upload_failure_kept_then_resumed(void **state)
{
	struct fx *f = *state;
	struct build *b = s_build();
	char *spool = s_join(f->base, "spool.log");
	size_t len;
	char *content = s_make_spool(spool, 200000, &len);
	char *arts = s_make_artifacts(f, "artifacts");
	char *blocker = s_block(f, LOGS);
	struct done d = s_archive(f, b, spool, arts);
	assert_int_equal(d.rc, -1);
	assert_true(d.prepared); /* the spool may go: the log is safe in pending/ */
	assert_int_not_equal(d.err.code, ERR_NONE);
	assert_null(strchr(d.err.msg, '\n'));
	char *pend = s_pending(f, b->id);
	assert_true(fsutil_exists(pend));
	char *pending_log = archive_pending_log(f->data, b->id);
	assert_non_null(pending_log);
	size_t got_len;
	char *got = s_gunzip(pending_log, &got_len);
	assert_non_null(got);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, content, len);
	free(got);
	char *prefix = build_artifacts_prefix(PROJECT, b->id);
	s_assert_artifacts(f, prefix);
	/* Still failing: resume reports it and keeps it. */
	d = s_resume(f);
	assert_int_equal(d.rc, -1);
	assert_true(fsutil_exists(pending_log));
	/* Fixed: resume stores it and cleans up. */
	unlink(blocker);
	d = s_resume(f);
	if (d.rc != 0)
		fail_msg("resume: %s", d.err.msg);
	char *key = build_log_key(PROJECT, b->id);
	s_assert_log_object(f, key, content, len);
	assert_false(fsutil_exists(pend));
	assert_null(archive_pending_log(f->data, b->id));
	/* Nothing left: another resume is a no-op. */
	d = s_resume(f);
	assert_int_equal(d.rc, 0);
	free(key);
	free(prefix);
	free(pending_log);
	free(pend);
	free(blocker);
	free(content);
	free(arts);
	free(spool);
	build_free(b);
}

/* An artifact upload fails while the log is stored: pending/<id>/ must stay
 * with what remains, and a later resume must store it.
 * (A bug once: resume only picked up directories that still had log.gz,
 * which the uploader deletes once stored; now a "ready" marker says a
 * directory is complete.) */
static void test_artifact_upload_failure_kept_then_resumed(void **state)
{
	struct fx *f = *state;
	struct build *b = s_build();
	char *spool = s_join(f->base, "spool.log");
	s_write_str(spool, "the log\n");
	char *arts = s_make_artifacts(f, "artifacts");
	char *blocker = s_block(f, ARTS);
	struct done d = s_archive(f, b, spool, arts);
	assert_int_equal(d.rc, -1);
	assert_true(d.prepared);
	char *key = build_log_key(PROJECT, b->id);
	s_assert_log_object(f, key, "the log\n", 8);
	char *pend = s_pending(f, b->id);
	assert_true(fsutil_exists(pend)); /* kept for later */
	unlink(blocker);
	d = s_resume(f);
	bool stored = true;
	char *prefix = build_artifacts_prefix(PROJECT, b->id);
	for (size_t i = 0; i < N_ART; i++) {
		char *k = xasprintf("%s%s", prefix, s_art_files[i][0]);
		char *path = s_obj(f, ARTS, k);
		stored = stored && fsutil_exists(path);
		free(path);
		free(k);
	}
	bool pend_left = fsutil_exists(pend);
	free(prefix);
	free(pend);
	free(key);
	free(blocker);
	free(arts);
	free(spool);
	build_free(b);
	if (!stored)
		fail_msg("artifacts kept in pending/ were never uploaded by archive_resume "
			 "(resume rc %d)",
			 d.rc);
	assert_false(pend_left);
}

static void test_archive_cannot_prepare(void **state)
{
	struct fx *f = *state;
	struct build *b = s_build();
	/* data_dir/pending is a plain file: nothing can be kept there. */
	char *pend_root = s_join(f->data, "pending");
	s_write_str(pend_root, "not a directory");
	char *spool = s_join(f->base, "spool.log");
	s_write_str(spool, "log\n");
	struct done d = s_archive(f, b, spool, NULL);
	assert_int_equal(d.rc, -1);
	assert_false(d.prepared); /* the caller must keep the spool */
	assert_int_not_equal(d.err.code, ERR_NONE);
	assert_true(fsutil_exists(spool));
	free(spool);
	free(pend_root);
	build_free(b);
}

/* --- archive_resume ----------------------------------------------------------- */

static void test_resume_with_nothing_pending(void **state)
{
	struct fx *f = *state;
	struct done d = s_resume(f); /* no pending/ at all */
	assert_int_equal(d.rc, 0);
	char *p = s_join(f->data, "pending");
	struct err e = {0};
	fsutil_mkdir_p(p, 0700, &e);
	d = s_resume(f); /* an empty pending/ */
	assert_int_equal(d.rc, 0);
	free(p);
}

static void test_resume_skips_unfinished_and_reports_broken(void **state)
{
	struct fx *f = *state;
	/* A preparation that never finished (crash while compressing): left
	 * alone, since its spool is still the log. */
	char *p1 = s_pending(f, "11111111-1111-4111-8111-111111111111");
	char *tmp = s_join(p1, "log.gz.tmp");
	s_write_str(tmp, "partial");
	/* A finished one, kept after a failed upload, whose meta.json got
	 * damaged: reported and kept. */
	struct build *b = s_build();
	char *spool = s_join(f->base, "spool.log");
	s_write_str(spool, "log\n");
	char *blocker = s_block(f, LOGS);
	struct done d = s_archive(f, b, spool, NULL);
	assert_int_equal(d.rc, -1);
	unlink(blocker);
	char *p2 = s_pending(f, b->id);
	char *meta = s_join(p2, "meta.json");
	assert_true(fsutil_exists(meta));
	s_write_str(meta, "{ broken json");
	d = s_resume(f);
	assert_int_equal(d.rc, -1);
	assert_non_null(strstr(d.err.msg, "meta.json"));
	assert_true(fsutil_exists(tmp));
	assert_true(fsutil_exists(p2));
	char *pl = archive_pending_log(f->data, b->id); /* the log is still viewable */
	assert_non_null(pl);
	free(pl);
	/* meta.json without the keys: also reported. */
	s_write_str(meta, "{\"buildID\": \"22222222\"}");
	d = s_resume(f);
	assert_int_equal(d.rc, -1);
	assert_non_null(strstr(d.err.msg, "meta.json"));
	assert_true(fsutil_exists(p2));
	free(p1);
	free(tmp);
	free(p2);
	free(meta);
	free(blocker);
	free(spool);
	build_free(b);
}

/* Several builds kept pending, then two resumes at once: every log ends up
 * stored once and pending/ is empty. */
static void test_concurrent_resumes(void **state)
{
	struct fx *f = *state;
	enum { N = 6 };
	struct build *b[N];
	char *content[N];
	size_t len[N];
	char *spool = s_join(f->base, "spool.log");
	char *blocker = s_block(f, LOGS);
	for (int i = 0; i < N; i++) {
		b[i] = s_build();
		content[i] = s_make_spool(spool, 10000 + (size_t)i * 7777, &len[i]);
		struct done d = s_archive(f, b[i], spool, NULL);
		assert_int_equal(d.rc, -1);
		assert_true(d.prepared);
	}
	unlink(blocker);
	struct done d1 = {0}, d2 = {0};
	archive_resume(f->loop, f->blob, f->data, s_archive_done, &d1);
	archive_resume(f->loop, f->blob, f->data, s_archive_done, &d2);
	int64_t until = timeutil_mono_ms() + 60000;
	while ((!d1.calls || !d2.calls) && timeutil_mono_ms() < until)
		evloop_run_once(f->loop, 100);
	assert_int_equal(d1.calls, 1);
	assert_int_equal(d2.calls, 1);
	for (int i = 0; i < N; i++) {
		char *key = build_log_key(PROJECT, b[i]->id);
		s_assert_log_object(f, key, content[i], len[i]);
		char *pend = s_pending(f, b[i]->id);
		assert_false(fsutil_exists(pend));
		free(pend);
		free(key);
		free(content[i]);
		build_free(b[i]);
	}
	free(blocker);
	free(spool);
}

/* --- uploader ----------------------------------------------------------------- */

/* The uploader with one directory and an optional extra file (a log). */
static void s_upload(struct fx *f, const char *dir, const char *prefix, bool remove_stored,
		     const char *extra, const char *extra_key, struct done *d)
{
	struct uploader *u = uploader_new(f->loop, f->blob, remove_stored);
	uploader_add_dir(u, BLOB_ARTIFACTS, dir, prefix);
	if (extra && extra_key)
		uploader_add_file(u, BLOB_LOGS, extra, extra_key);
	uploader_run(u, s_upload_done, d);
}

static void test_uploader_tree(void **state)
{
	struct fx *f = *state;
	char *dir = s_make_artifacts(f, "tree");
	/* A symlink to a file is uploaded as the file; one to a directory is
	 * not followed. */
	char *target = s_join(dir, "report.txt");
	char *link = s_join(dir, "link-to-report");
	assert_int_equal(symlink(target, link), 0);
	char *dlink = s_join(dir, "link-to-bin");
	char *bindir = s_join(dir, "bin");
	assert_int_equal(symlink(bindir, dlink), 0);
	char *extra = s_join(f->base, "extra.log.gz");
	s_write_str(extra, "extra file");
	struct done d = {0};
	s_upload(f, dir, "up/", false, extra, "up/extra.log.gz", &d);
	s_wait(f, &d);
	assert_int_equal(d.rc, 0);
	assert_int_equal(d.files, N_ART + 2);
	s_assert_artifacts(f, "up/");
	char *p = s_obj(f, ARTS, "up/link-to-report");
	s_assert_file(p, "all good\n");
	free(p);
	p = s_obj(f, ARTS, "up/link-to-bin/app");
	assert_false(fsutil_exists(p));
	free(p);
	p = s_obj(f, LOGS, "up/extra.log.gz");
	s_assert_file(p, "extra file");
	free(p);
	/* remove_stored false: the sources stay. */
	assert_true(fsutil_exists(target));
	assert_true(fsutil_exists(extra));
	/* remove_stored true: each stored file goes. */
	d = (struct done){0};
	s_upload(f, dir, "up2/", true, NULL, NULL, &d);
	s_wait(f, &d);
	assert_int_equal(d.rc, 0);
	assert_int_equal(d.files, N_ART + 1);
	s_assert_artifacts(f, "up2/");
	for (size_t i = 0; i < N_ART; i++) {
		char *src = s_join(dir, s_art_files[i][0]);
		assert_false(fsutil_exists(src));
		free(src);
	}
	free(target);
	free(link);
	free(dlink);
	free(bindir);
	free(extra);
	free(dir);
}

static void test_uploader_partial_failure(void **state)
{
	struct fx *f = *state;
	char *dir = s_make_artifacts(f, "tree");
	/* A file name no key may have: its upload fails, the others go on. */
	char *bad = s_join(dir, "bad\x01name");
	s_write_str(bad, "x");
	struct done d = {0};
	s_upload(f, dir, "pf/", true, NULL, NULL, &d);
	s_wait(f, &d);
	assert_int_equal(d.rc, -1);
	assert_int_equal(d.files, N_ART);
	assert_int_not_equal(d.err.code, ERR_NONE);
	assert_null(strchr(d.err.msg, '\x01'));
	s_assert_artifacts(f, "pf/");
	/* What is left in the directory is what remains to send. */
	assert_true(fsutil_exists(bad));
	char *gone = s_join(dir, "report.txt");
	assert_false(fsutil_exists(gone));
	free(gone);
	free(bad);
	free(dir);
	/* A directory that does not exist: nothing to do, no error. */
	d = (struct done){0};
	s_upload(f, "/nonexistent/dir", "x/", false, NULL, NULL, &d);
	s_wait(f, &d);
	assert_int_equal(d.rc, 0);
	assert_int_equal(d.files, 0);
}

static void test_uploader_many_files(void **state)
{
	struct fx *f = *state;
	char *dir = s_join(f->base, "many");
	enum { N = 257 };
	for (int i = 0; i < N; i++) {
		char rel[64], body[64];
		snprintf(rel, sizeof(rel), "d%d/f%03d.txt", i % 5, i);
		snprintf(body, sizeof(body), "file %d", i);
		char *p = s_join(dir, rel);
		s_write_str(p, body);
		free(p);
	}
	struct done d = {0};
	s_upload(f, dir, "m/", false, NULL, NULL, &d);
	s_wait(f, &d);
	assert_int_equal(d.rc, 0);
	assert_int_equal(d.files, N);
	for (int i = 0; i < N; i++) {
		char key[64], body[64];
		snprintf(key, sizeof(key), "m/d%d/f%03d.txt", i % 5, i);
		snprintf(body, sizeof(body), "file %d", i);
		char *p = s_obj(f, ARTS, key);
		s_assert_file(p, body);
		free(p);
	}
	free(dir);
}

static void test_uploader_content_types(void **state)
{
	(void)state;
	assert_string_equal(uploader_content_type("a/b.log.gz"), "application/gzip");
	assert_string_equal(uploader_content_type("x.txt"), "text/plain; charset=utf-8");
	assert_string_equal(uploader_content_type("x.json"), "text/plain; charset=utf-8");
	assert_string_equal(uploader_content_type("build.sh"), "text/plain; charset=utf-8");
	assert_string_equal(uploader_content_type("x.bin"), "application/octet-stream");
	assert_string_equal(uploader_content_type("noext"), "application/octet-stream");
	assert_string_equal(uploader_content_type("dir.d/noext"), "application/octet-stream");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_archive_log_and_artifacts),
	    T(test_archive_uses_record_keys),
	    T(test_archive_missing_spool_is_empty_log),
	    T(test_log_upload_failure_kept_then_resumed),
	    T(test_artifact_upload_failure_kept_then_resumed),
	    T(test_archive_cannot_prepare),
	    T(test_resume_with_nothing_pending),
	    T(test_resume_skips_unfinished_and_reports_broken),
	    T(test_concurrent_resumes),
	    T(test_uploader_tree),
	    T(test_uploader_partial_failure),
	    T(test_uploader_many_files),
	    cmocka_unit_test(test_uploader_content_types),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
