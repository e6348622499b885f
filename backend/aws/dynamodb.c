#include "dynamodb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsclient.h"
#include "awsreq.h"
#include "xmem.h"

#define TARGET_PREFIX "DynamoDB_20120810."
#define MAX_ANSWER    (64u << 20)

struct s_call {
	char op[40];
	dynamodb_done_fn done;
	void *ctx;
};

bool dynamodb_condition_failed(const struct dynamodb_result *r)
{
	return r->rc < 0 && strcmp(r->aerr.code, "ConditionalCheckFailedException") == 0;
}

static void s_done(void *ctx, struct awsreq_result *res)
{
	struct s_call *call = ctx;
	struct dynamodb_result out = {.rc = res->rc,
				      .aerr = res->aerr,
				      .ambiguous = res->ambiguous,
				      .attempts = res->attempts};
	if (res->rc < 0) {
		out.err = res->err;
	} else {
		json_error_t je;
		out.body = json_loadb(res->body, res->body_len, 0, &je);
		if (!json_is_object(out.body)) {
			out.rc = -1;
			err_set(&out.err, ERR_PROTO,
				"DynamoDB %s %.200s: malformed answer (%.100s)", call->op,
				res->req->what ? res->req->what : "", je.text);
		}
	}
	call->done(call->ctx, &out);
	json_decref(out.body);
	free(call);
}

void dynamodb_call(struct awsclient *c, const char *op, const char *table, json_t *request,
		   dynamodb_done_fn done, void *ctx)
{
	struct s_call *call = xcalloc(1, sizeof(*call));
	snprintf(call->op, sizeof(call->op), "%s", op);
	call->done = done;
	call->ctx = ctx;
	char *body = json_dumps(request, JSON_COMPACT);
	json_decref(request);
	char target[80];
	snprintf(target, sizeof(target), TARGET_PREFIX "%s", op);
	/* The op name must outlive the request: awsreq keeps a pointer. */
	struct awsreq *r = awsreq_new(c, "DynamoDB", "dynamodb", call->op, "POST", "/");
	r->what = xstrdup(table);
	r->idempotent = true;
	r->check_crc32 = true;
	r->max_body_bytes = MAX_ANSWER;
	awsreq_header(r, "Content-Type", "application/x-amz-json-1.0");
	awsreq_header(r, "X-Amz-Target", target);
	awsreq_body(r, body, strlen(body));
	free(body);
	r->done = s_done;
	r->ctx = call;
	awsreq_submit(r);
}
