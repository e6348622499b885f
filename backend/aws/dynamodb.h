/* dynamodb: calls of the DynamoDB JSON API (version 2012-08-10) on awsreq:
 * POST / with X-Amz-Target "DynamoDB_20120810.<Op>", a JSON body, the answer's
 * x-amz-crc32 verified. Errors come back one-line with the code after '#' in
 * __type and "message" or "Message" (awserr.h); ConditionalCheckFailedException
 * is ERR_CONFLICT and never retried. Writes are sent again after a lost answer
 * (retries are where safe: the store's writes are conditional, and the result
 * says when an attempt may have been applied: result.ambiguous). */
#ifndef AFTOMATO_DYNAMODB_H
#define AFTOMATO_DYNAMODB_H

#include <jansson.h>
#include <stdbool.h>

#include "awserr.h"
#include "err.h"

struct awsclient;

struct dynamodb_result {
	int rc;
	struct err err;
	json_t *body;	    /* the parsed answer (rc 0), borrowed during the call */
	struct awserr aerr; /* the service's error (rc -1) */
	bool ambiguous;
	int attempts;
};

typedef void (*dynamodb_done_fn)(void *ctx, struct dynamodb_result *r);

/* Calls op ("PutItem", "Query", ...) with request (taken). table names the
 * table in messages. done is called once from the loop. */
void dynamodb_call(struct awsclient *c, const char *op, const char *table, json_t *request,
		   dynamodb_done_fn done, void *ctx);

/* Whether the error is a failed condition (ConditionalCheckFailedException). */
bool dynamodb_condition_failed(const struct dynamodb_result *r);

#endif
