/* awserr: error answers of AWS services, parsed and classified.
 *
 * Formats: S3 XML (<Error><Code/><Message/><Region/></Error>), STS/query XML
 * (<ErrorResponse><Error>...), DynamoDB JSON ({"__type": "ns#Code", "message" or
 * "Message"}, or the x-amzn-ErrorType header), HTML pages from proxies and load
 * balancers (summarised by their <title> or <h1>), plain text, and empty bodies
 * (HEAD, or a proxy), which are named after the HTTP status.
 *
 * Messages are cut to one short line: DynamoDB's signature errors append the
 * canonical request (which would show header values), so everything from "The
 * Canonical String" on is dropped, as is anything after a line break. */
#ifndef AFTOMATO_AWSERR_H
#define AFTOMATO_AWSERR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct http_response;

#define AWSERR_CODE_MAX	   96
#define AWSERR_MESSAGE_MAX 240

struct awserr {
	long status;
	char code[AWSERR_CODE_MAX];	  /* "NoSuchKey", "ThrottlingException", "HTTP 502" */
	char message[AWSERR_MESSAGE_MAX]; /* may be empty */
	char region[40];		  /* S3: the bucket's region (header or <Region>) */
	bool html;			  /* the body was an HTML page */
	bool malformed;			  /* the body was XML/JSON that did not parse */
};

/* Parses the error answer in body (len bytes; may be empty) with HTTP status
 * and response headers (resp may be NULL). Always fills out. */
void awserr_parse(long status, const char *body, size_t len, const struct http_response *resp,
		  struct awserr *out);

/* Throttling codes (SlowDown, ThrottlingException, ...): retried, with a longer
 * backoff. */
bool awserr_is_throttling(const char *code);

/* Retryable server-side failures: 500/502/503/504, 429, throttling codes,
 * InternalError, RequestTimeout, ServiceUnavailable, ... Never
 * ConditionalCheckFailedException or validation errors. */
bool awserr_is_transient(const struct awserr *a);

/* The signature was refused because the clock is off (RequestTimeTooSkewed,
 * "Signature expired" from DynamoDB/STS). */
bool awserr_is_clock_skew(const struct awserr *a);

/* The session token expired (ExpiredToken, ExpiredTokenException, ...). */
bool awserr_is_expired_token(const struct awserr *a);

/* The error code category of an answer (ERR_AUTH, ERR_NOTFOUND, ERR_CONFLICT,
 * ERR_THROTTLED, ERR_REMOTE). */
enum err_code awserr_category(const struct awserr *a);

/* "Code: message (HTTP status)" into buf. */
void awserr_format(const struct awserr *a, char *buf, size_t size);

#endif
