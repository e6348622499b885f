/* http: asynchronous HTTP requests on the worker's event loop (libcurl multi).
 * The AWS and Kubernetes clients build on it. A request is described by struct
 * http_request, handed over to http_submit, and answered once through on_done.
 * Response bodies are either buffered (bounded) or streamed to on_data. */
#ifndef AFTOMATO_HTTP_H
#define AFTOMATO_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct evloop;
struct http_call;
struct http_response;

/* Streaming body data with the response status. Return 0 to continue, -1 to
 * abort the transfer (on_done then sees ERR_CANCELLED unless err was set). */
typedef int (*http_data_fn)(void *ctx, long status, const char *buf, size_t len);
/* Upload/download progress. */
typedef void (*http_progress_fn)(void *ctx, uint64_t done_bytes, uint64_t total_bytes);
/* The end of a call: resp is the module's, valid during the callback only. */
typedef void (*http_done_fn)(void *ctx, struct http_response *resp);

struct http_tls {
	char *ca_file;        /* PEM file of trusted CAs; NULL: system store */
	char *ca_pem;         /* PEM data of trusted CAs (kubeconfig -data) */
	char *cert_pem;       /* client certificate (PEM data) */
	char *key_pem;        /* client key (PEM data) */
	char *server_name;    /* name to verify instead of the URL's host */
	bool insecure;        /* skip verification (kubeconfig insecure-skip-tls-verify) */
};

struct http_request {
	char *method; /* "GET", "PUT", ... */
	char *url;
	struct curl_slist *headers; /* "Name: value" lines */

	/* Request body: memory, or a byte range of a file descriptor (which the
	 * caller keeps open until on_done). No body when both are unset. */
	char *body;
	size_t body_len;
	int body_fd; /* -1: none */
	uint64_t body_offset;
	uint64_t body_length;

	long timeout_ms;         /* whole transfer; 0: none (streams) */
	long stall_s;            /* fail when no byte moves for this long; 0: never */
	long connect_timeout_ms; /* 0: 10 s */
	struct http_tls tls;

	/* Response: when on_data is set, bodies of 2xx/3xx answers stream to it and
	 * error answers (>= 400) are buffered instead so callers can parse them;
	 * otherwise the body is buffered up to max_body_bytes (0: 16 MiB), beyond
	 * which the call fails. */
	http_data_fn on_data;
	http_progress_fn on_progress;
	http_done_fn on_done;
	void *ctx;
	size_t max_body_bytes;
};

struct http_response {
	long status;         /* 0 when no answer arrived */
	CURLcode curl_code;  /* CURLE_OK when the transfer completed */
	struct err err;      /* filled when the transfer failed (network, abort, too large) */
	char *body;          /* buffered body, NUL-terminated (may be empty) */
	size_t body_len;
	struct curl_slist *headers; /* response headers of the final answer, "Name: value" */
	double total_s;
};

/* A new request with method and url copied, body_fd -1. Caller owns it until
 * http_submit, or frees it with http_request_free. */
struct http_request *http_request_new(const char *method, const char *url);
void http_request_free(struct http_request *r);
/* Appends a "Name: value" header (copied). */
void http_request_header(struct http_request *r, const char *name, const char *value);
/* Sets a memory body (copied). */
void http_request_body(struct http_request *r, const void *data, size_t len);

/* Starts the request on the loop; takes ownership of req whatever happens.
 * Returns the call (valid until on_done returns or http_cancel), or NULL with e
 * filled, in which case on_done is not called. */
struct http_call *http_submit(struct evloop *l, struct http_request *req, struct err *e);
/* Stops a call; on_done is not called. Not from inside the call's own on_data
 * or on_progress (return -1 from on_data instead). Messages never show a URL's
 * user information or query string. */
void http_cancel(struct evloop *l, struct http_call *c);

/* The value of a response header (case-insensitive name), or NULL. Points into
 * the response. */
const char *http_response_header(const struct http_response *resp, const char *name);

/* Percent-encodes s for a URL query or path component (unreserved kept; '/'
 * kept when keep_slash). Caller frees. */
char *http_escape(const char *s, bool keep_slash);

#endif
