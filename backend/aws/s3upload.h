/* s3upload: uploads a local file to S3 without blocking the loop.
 * The file is hashed in slices on the loop (SHA-256, for the real payload
 * hash), then sent as a file range: one PutObject up to the multipart
 * threshold, else a multipart upload whose parts (at least 5 MiB, at most
 * 10,000 of them) are hashed one after another and uploaded in parallel; any
 * failure aborts the multipart upload so no parts are left behind. */
#ifndef AFTOMATO_S3UPLOAD_H
#define AFTOMATO_S3UPLOAD_H

#include <stdint.h>

#include "s3.h"

#define S3UPLOAD_THRESHOLD_BYTES (16u << 20)
#define S3UPLOAD_PART_BYTES	 (8u << 20)
#define S3UPLOAD_MIN_PART_BYTES	 (5u << 20)
#define S3UPLOAD_PARALLEL	 4

struct s3upload_options {
	uint64_t threshold_bytes; /* 0: S3UPLOAD_THRESHOLD_BYTES */
	uint64_t part_bytes;	  /* 0: S3UPLOAD_PART_BYTES */
	int parallel;		  /* 0: S3UPLOAD_PARALLEL */
};

/* Uploads path to bucket/key. opt may be NULL. done gets result.size (the
 * file's size) and result.etag. */
void s3upload_file(struct awsclient *c, const char *bucket, const char *key, const char *path,
		   const char *content_type, const struct s3upload_options *opt, s3_done_fn done,
		   void *ctx);

#endif
