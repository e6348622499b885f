/* rest: requests to the Kubernetes API of one cluster, on the worker's event
 * loop (http.h), with the credentials of auth.h.
 *
 * Answers: a 2xx JSON body is parsed for the caller; a streamed request
 * (watch, log) hands its body to on_data as it arrives. An error answer is
 * turned into one line: the API's Status message verbatim (`jobs.batch "x" is
 * forbidden: User "u" cannot delete resource "jobs" ...`), with the causes of
 * a 422 Invalid when the message does not already list them. Codes: 401/403
 * ERR_AUTH, 404 ERR_NOTFOUND, 409/410 ERR_CONFLICT, 429/5xx after the retries
 * ERR_THROTTLED, others ERR_REMOTE; no answer ERR_NET.
 *
 * Retries: 429 and 500/502/503/504 are retried (up to REST_MAX_TRIES) after
 * the answer's Retry-After, else with exponential backoff; network errors are
 * retried for GET and DELETE (blocking calls try REST_SYNC_TRIES times). A 401 makes auth.h refresh
 * the credentials (an exec plugin runs again) and the request is sent once more. */
#ifndef AFTOMATO_K8S_REST_H
#define AFTOMATO_K8S_REST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct evloop;
struct kubeconfig;
struct rest;
struct rest_call;

#define REST_MAX_TRIES	    5
#define REST_SYNC_TRIES	    2	/* blocking calls keep the worker waiting */
#define REST_BACKOFF_MS	    500 /* first retry without Retry-After */
#define REST_MAX_BACKOFF_MS 30000
#define REST_TIMEOUT_MS	    60000 /* whole non-streaming request */

struct rest_reply {
	long status; /* HTTP status; 0 when no answer arrived */
	int rc;	     /* 0 for a 2xx answer (stream: it ended cleanly), else -1 */
	struct err err;
	json_t *body;		  /* parsed 2xx JSON (NULL for streams or non-JSON); borrowed */
	const json_t *status_obj; /* the Status of an error answer, or NULL; borrowed */
};

/* The end of a call. reply and what it points to are valid during the call. */
typedef void (*rest_done_fn)(void *ctx, struct rest_reply *reply);
/* Streamed body bytes of a 2xx answer. Return 0 to go on, -1 to stop the
 * stream (done then reports ERR_CANCELLED). */
typedef int (*rest_data_fn)(void *ctx, const char *buf, size_t len);

/* A client of the cluster k describes (copied). Caller frees with rest_free;
 * calls still running are cancelled without their callbacks. */
struct rest *rest_new(struct evloop *loop, const struct kubeconfig *k);
void rest_free(struct rest *r);

/* A request: method, path with its query ("/api/v1/namespaces/x/pods?..."),
 * optional JSON body (serialised at once; the caller keeps it). done runs
 * exactly once, unless rest_cancel comes first. Returns the call. */
struct rest_call *rest_request(struct rest *r, const char *method, const char *path,
			       const json_t *body, rest_done_fn done, void *ctx);

/* A streamed GET (watch, log follow): no time limit, no retry on network
 * errors (the caller resumes), 429/5xx answers before the stream retried. */
struct rest_call *rest_stream(struct rest *r, const char *path, rest_data_fn on_data,
			      rest_done_fn done, void *ctx);

/* Stops a call; its done callback does not run. NULL is ignored. */
void rest_cancel(struct rest *r, struct rest_call *c);

/* The same request, blocking the calling thread (for answers a caller needs
 * at once: creating a Job, cancelling). *out (may be NULL) receives the
 * parsed 2xx body (caller owns it). 0, or -1 with e filled as above. */
int rest_sync(struct rest *r, const char *method, const char *path, const json_t *body,
	      json_t **out, struct err *e);

/* The one-line message for an error answer (status, Status object or raw
 * body), as described above, into e. Exposed for tests. */
void rest_error(long status, const json_t *status_obj, const char *raw, size_t raw_len,
		struct err *e);

/* The cluster's server URL and the context's name, for messages. */
const char *rest_server(const struct rest *r);

/* The event loop the client's calls run on. */
struct evloop *rest_loop(const struct rest *r);

/* Requests sent so far (every try counts). */
unsigned long rest_requests(const struct rest *r);

#endif
