/* s3: the Amazon S3 operations aftomato uses, on awsreq (signing, retries,
 * redirects, errors) with expat-parsed answers (xmltree):
 *   ListObjectsV2 (prefix, delimiter, continuation token, start-after; keys
 *   asked url-encoded and decoded back), GetObject streamed with Range (resumed
 *   after a dropped connection), HeadObject, PutObject of a file range with its
 *   real payload hash, the multipart calls, DeleteObjects (Content-MD5), and
 *   presigned GET URLs.
 * Keys are any UTF-8 (spaces, + = & %, non-ASCII): the path is built with
 * sigv4_uri_encode, so what is signed is what S3 decodes.
 *
 * Every call answers once through done(ctx, result), from the loop; the result
 * is valid during the call, whose members the callee may take (set to NULL). */
#ifndef AFTOMATO_S3_H
#define AFTOMATO_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "awsreq.h"
#include "err.h"

struct awsclient;
struct creds;

struct s3_entry {
	char *key;
	uint64_t size;
	int64_t mtime_ms;
	bool is_prefix; /* a CommonPrefix */
};

struct s3_result {
	int rc;
	struct err err;
	long status;
	/* list: objects and common prefixes merged in key order */
	struct s3_entry *entries;
	size_t n_entries;
	char *next_token; /* NULL on the last page */
	/* head, get, put, part */
	uint64_t size;
	int64_t mtime_ms;
	char *etag;
	char *upload_id; /* create_multipart */
	int attempts;
	bool ambiguous;
};

typedef void (*s3_done_fn)(void *ctx, struct s3_result *r);

struct s3_list_params {
	const char *prefix;
	const char *delimiter;		/* NULL or "": none */
	const char *continuation_token; /* from a previous page */
	const char *start_after;
	int max_keys; /* 1..1000; 0: 1000 */
};

void s3_list(struct awsclient *c, const char *bucket, const struct s3_list_params *p,
	     s3_done_fn done, void *ctx);

void s3_head(struct awsclient *c, const char *bucket, const char *key, s3_done_fn done, void *ctx);

/* Streams length bytes from offset (length 0: to the end) to data. result.size
 * is the object's whole size. An offset at or past the end gives no data and
 * rc 0 (as reading a file there). */
void s3_get(struct awsclient *c, const char *bucket, const char *key, uint64_t offset,
	    uint64_t length, awsreq_data_fn data, s3_done_fn done, void *ctx);

/* PutObject of length bytes of fd from offset (fd stays the caller's, open
 * until done). payload_hash is the hex SHA-256 of those bytes. */
void s3_put_fd(struct awsclient *c, const char *bucket, const char *key, int fd, uint64_t offset,
	       uint64_t length, const char *payload_hash, const char *content_type, s3_done_fn done,
	       void *ctx);

/* DeleteObjects of n keys (at most 1000). Missing keys are not errors. */
void s3_delete(struct awsclient *c, const char *bucket, const char *const *keys, size_t n,
	       s3_done_fn done, void *ctx);

/* Multipart upload: create (result.upload_id), parts (result.etag), complete
 * (etags[i] is part i + 1's), abort. */
void s3_create_multipart(struct awsclient *c, const char *bucket, const char *key,
			 const char *content_type, s3_done_fn done, void *ctx);
void s3_upload_part(struct awsclient *c, const char *bucket, const char *key, const char *upload_id,
		    int part_number, int fd, uint64_t offset, uint64_t length,
		    const char *payload_hash, s3_done_fn done, void *ctx);
void s3_complete_multipart(struct awsclient *c, const char *bucket, const char *key,
			   const char *upload_id, char *const *etags, int n_parts, s3_done_fn done,
			   void *ctx);
void s3_abort_multipart(struct awsclient *c, const char *bucket, const char *key,
			const char *upload_id, s3_done_fn done, void *ctx);

/* A presigned GET URL for bucket/key valid expires_s seconds, signed with
 * creds (UNSIGNED-PAYLOAD, only Host signed). *url is new, caller frees. */
int s3_presign_get_with(struct awsclient *c, const struct creds *creds, const char *bucket,
			const char *key, long expires_s, char **url, struct err *e);

/* The same with the client's credentials (resolved first when needed). done
 * gets the URL (borrowed) or NULL and an error. */
typedef void (*s3_url_fn)(void *ctx, const char *url, const struct err *e);
void s3_presign_get(struct awsclient *c, const char *bucket, const char *key, long expires_s,
		    s3_url_fn done, void *ctx);

/* "/" + the key percent-encoded for the path. Caller frees. */
char *s3_key_path(const char *key);

/* Parses a ListObjectsV2 answer into r (entries, next_token). */
int s3_parse_list(const char *xml, size_t len, struct s3_result *r, struct err *e);

/* Frees the members of r (not r). */
void s3_result_cleanup(struct s3_result *r);

#endif
