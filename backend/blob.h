/* blob: the blob store interface (DESIGN.md §3) for console logs and
 * artifacts, with the S3 layout of DESIGN.md §2. One implementation per profile:
 * a directory (blob_dir.c) or S3 (blob_s3.c).
 *
 * Operations are asynchronous on the worker thread, like store.h: they return
 * at once and call done(ctx, reply) exactly once, later, from the event loop.
 * The reply is the store's and valid during the callback; the callback may take
 * members (set them to NULL). */
#ifndef AFTOMATO_BLOB_H
#define AFTOMATO_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum blob_bucket { BLOB_ARTIFACTS, BLOB_LOGS };

struct blob_entry {
	char *key;        /* full key (a common prefix ends with the delimiter) */
	uint64_t size;    /* bytes; 0 for a prefix */
	int64_t mtime_ms; /* last modified, Unix ms; 0 for a prefix */
	bool is_prefix;   /* a "directory" from the delimiter */
};

struct blob_list {
	struct blob_entry *items;
	size_t n, cap;
};
void blob_list_push(struct blob_list *l, const char *key, uint64_t size, int64_t mtime_ms,
		    bool is_prefix);
void blob_list_cleanup(struct blob_list *l);

struct blob_reply {
	int rc;
	struct err err;
	struct blob_list entries; /* list */
	char *next_token;         /* list: NULL on the last page */
	uint64_t size;            /* head / get: object size */
	int64_t mtime_ms;         /* head */
};

typedef void (*blob_done_fn)(void *ctx, struct blob_reply *r);
/* Streaming data of a get; return 0 to go on, -1 to abort (done gets
 * ERR_CANCELLED unless the sink filled its own error). */
typedef int (*blob_data_fn)(void *ctx, const char *buf, size_t len);

struct blob;

struct blob_ops {
	const char *name; /* "dir", "s3" */
	/* Uploads a local file (read while uploading; must not change). */
	void (*put_file)(struct blob *b, enum blob_bucket bucket, const char *key,
			 const char *path, const char *content_type, blob_done_fn done,
			 void *ctx);
	/* Streams the object (or length bytes from offset; length 0 = to the end). */
	void (*get)(struct blob *b, enum blob_bucket bucket, const char *key, uint64_t offset,
		    uint64_t length, blob_data_fn data, blob_done_fn done, void *ctx);
	void (*head)(struct blob *b, enum blob_bucket bucket, const char *key,
		     blob_done_fn done, void *ctx);
	/* One page of keys under prefix, grouped by delimiter ("" for none). */
	void (*list)(struct blob *b, enum blob_bucket bucket, const char *prefix,
		     const char *delimiter, const char *token, int max_keys, blob_done_fn done,
		     void *ctx);
	void (*del)(struct blob *b, enum blob_bucket bucket, const char *const *keys, size_t n,
		    blob_done_fn done, void *ctx);
	/* Where an object is, for people: "s3://bucket/key" or a file path. Caller
	 * frees. Synchronous. */
	char *(*location)(struct blob *b, enum blob_bucket bucket, const char *key);
	void (*free)(struct blob *b);
};

struct blob {
	const struct blob_ops *ops;
};

struct evloop;
/* Calls done with r from the event loop's next iteration; takes r. */
void blob_reply_later(struct evloop *loop, struct blob_reply *r, blob_done_fn done, void *ctx);
void blob_reply_free(struct blob_reply *r);

#endif
