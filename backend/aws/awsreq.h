/* awsreq: one AWS API request on the worker's event loop, with everything
 * around the HTTP exchange that every service needs:
 *
 *   - credentials from the client's chain (or fixed ones, or none), taken when
 *     each attempt is signed, so a refresh between attempts is picked up;
 *   - SigV4 signing (S3 rules for "s3", default rules otherwise) of the Host,
 *     every caller header, Range, and the payload (memory bodies are hashed,
 *     file-range bodies carry the hash the caller computed);
 *   - retries with exponential backoff and full jitter (base 100 ms, 250 ms for
 *     throttling, cap 20 s, awscfg max_attempts in total) for throttling, 5xx,
 *     429, RequestTimeout and CRC32 mismatches, and for connection failures
 *     when it is safe: the request never left, or it is idempotent. Never for
 *     ConditionalCheckFailedException, validation or permission errors;
 *   - one immediate re-sign after a clock-skew refusal (offset from the
 *     server's Date header), after an expired token (the chain resolves
 *     again), and for S3 after a region redirect (301/400 naming the bucket's
 *     region: re-signed for it) or a 307 Location (sent there once);
 *   - streamed downloads that resume after a dropped or truncated answer with
 *     Range from the last byte delivered and If-Match on the first ETag, so the
 *     receiver never sees a byte twice;
 *   - one-line errors "<Service> <Op> <what>: <Code>: <Message> (HTTP n)",
 *     HTML pages summarised, secrets scrubbed, "after N attempts" when retried.
 *
 * Usage: awsreq_new, set fields / awsreq_header / awsreq_body, awsreq_submit.
 * done is called exactly once, from the loop (never from inside submit); the
 * request is freed after it returns. */
#ifndef AFTOMATO_AWSREQ_H
#define AFTOMATO_AWSREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "awserr.h"
#include "creds.h"
#include "err.h"
#include "sigv4.h"

struct awsclient;
struct awsreq;
struct http_call;
struct http_response;
struct evloop_timer;
struct creds_wait;

struct awsreq_header {
	char *name;
	char *value;
};

enum awsreq_sign {
	AWSREQ_SIGN_CHAIN = 0, /* the client's credential chain */
	AWSREQ_SIGN_FIXED,     /* awsreq.fixed (STS calls made by the chain itself) */
	AWSREQ_SIGN_NONE,      /* unsigned (web identity, IMDS, container endpoint) */
};

struct awsreq_result {
	struct awsreq *req;
	int rc;
	struct err err;
	long status;	  /* of the last answer; 0 when none came */
	const char *body; /* buffered body (NUL-terminated), or "" */
	size_t body_len;
	const struct http_response *resp; /* headers of the last answer; may be NULL */
	struct awserr aerr;		  /* the service's error when there was one */
	int attempts;
	bool ambiguous;	    /* a failed earlier attempt may have been applied (a write
			       whose answer was lost): conditional writes should check */
	uint64_t delivered; /* bytes given to on_data */
};

typedef void (*awsreq_done_fn)(void *ctx, struct awsreq_result *res);
/* Streamed body bytes (2xx answers only). Return -1 to stop: done then gets
 * ERR_CANCELLED (the receiver keeps its own reason). */
typedef int (*awsreq_data_fn)(void *ctx, const char *buf, size_t len);

struct awsreq {
	/* --- what the caller sets (awsreq_new fills the defaults) --- */
	const char *label; /* "S3", "DynamoDB", "STS" (static) */
	const char *op;	   /* "GetObject" (static) */
	char *what;	   /* "s3://bucket/key", a table name; NULL: nothing */
	char *service;	   /* signing name */
	char *region;	   /* NULL: the bucket's or the client's region */
	char *endpoint;	   /* scheme://host[:port]; NULL: from the settings */
	char *bucket;	   /* S3: endpoint and addressing computed for it */
	char *method;
	char *path;  /* percent-encoded, starts with '/'; with bucket: after it */
	char *query; /* percent-encoded, without '?'; NULL: none */
	struct awsreq_header *headers;
	size_t n_headers;
	char *body; /* memory body (awsreq_body) */
	size_t body_len;
	int body_fd; /* file-range body: -1 none; the caller keeps it open */
	uint64_t body_offset, body_length;
	char payload_hash[SIGV4_HEX_LEN + 1]; /* of the file range; "": unsigned */
	enum awsreq_sign sign;
	struct creds fixed; /* AWSREQ_SIGN_FIXED (owned, wiped) */
	bool idempotent;    /* safe to send again after a lost answer */
	int max_attempts;   /* 0: the client's */
	long timeout_ms;    /* 0: 120 s for buffered answers, none for streams */
	long connect_timeout_ms;
	size_t max_body_bytes; /* buffered answers; 0: 16 MiB */
	awsreq_data_fn on_data;
	void *data_ctx; /* on_data's context */
	bool has_range;
	uint64_t range_start, range_end; /* inclusive; UINT64_MAX: to the end */
	bool resumable;			 /* on_data: resume with Range after a failure */
	bool check_crc32;		 /* verify x-amz-crc32 (DynamoDB) */
	awsreq_done_fn done;
	void *ctx;

	/* --- private --- */
	struct awsclient *client;
	struct awsreq *live_prev, *live_next;
	int attempt;
	struct http_call *call;
	struct evloop_timer *timer;
	struct creds_wait *wait;
	bool skew_fixed, token_refreshed, ambiguous, sink_failed;
	int redirects;
	bool attempt_started_data;
	char *endpoint_override;
	char *signed_akid;
	uint64_t delivered, skip;
	char *etag;
	char *errbuf;
	size_t errbuf_len;
	enum err_code later_code;
	char *later_detail;
};

/* A new request: label/service/op are the names above, method and path are
 * copied. Caller owns it until awsreq_submit (or frees it with awsreq_free). */
struct awsreq *awsreq_new(struct awsclient *c, const char *label, const char *service,
			  const char *op, const char *method, const char *path);
void awsreq_free(struct awsreq *r);

/* Adds a header that is sent and signed (copied). */
void awsreq_header(struct awsreq *r, const char *name, const char *value);
/* Sets a memory body (copied). */
void awsreq_body(struct awsreq *r, const void *data, size_t len);
/* Sets the query string (copied; percent-encoded, without '?'). */
void awsreq_query(struct awsreq *r, const char *query);

/* Starts the request; takes r. */
void awsreq_submit(struct awsreq *r);

/* Stops r without calling done and frees it. */
void awsreq_cancel(struct awsreq *r);

/* Adds "name=value" (both percent-encoded) to a query string being built in
 * *q (a malloc'd string or NULL). */
void awsreq_query_add(char **q, const char *name, const char *value);

#endif
