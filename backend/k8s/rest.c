#include "k8s/rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "http.h"
#include "k8s/auth.h"
#include "k8s/kubeconfig.h"
#include "xmem.h"

#define USER_AGENT "aftomato/" AFTOMATO_VERSION

struct rest {
	struct evloop *loop;
	struct evloop *sync_loop; /* made on the first rest_sync */
	char *server;
	char *context;
	char *user;
	struct http_tls tls;
	struct auth *auth;
	bool refreshable; /* a 401 may be cured by fresh credentials */
	struct rest_call *calls;
	unsigned long n_requests;
};

struct rest_call {
	struct rest_call *prev, *next;
	struct rest *r;
	struct evloop *loop;
	char *method;
	char *path;
	char *body;
	size_t body_len;
	bool stream;
	rest_data_fn on_data;
	rest_done_fn done;
	void *ctx;
	struct http_call *http;
	struct evloop_timer *timer;
	int tries;
	bool auth_retried;
	uint64_t gen;
	struct err pending; /* a failure to report from the timer */
	bool finished;	    /* sync calls: done ran */
};

/* --- errors ------------------------------------------------------------------ */

static enum err_code s_code(long status)
{
	switch (status) {
	case 401:
	case 403:
		return ERR_AUTH;
	case 404:
		return ERR_NOTFOUND;
	case 409:
	case 410:
		return ERR_CONFLICT;
	case 429:
	case 500:
	case 502:
	case 503:
	case 504:
		return ERR_THROTTLED;
	default:
		return ERR_REMOTE;
	}
}

/* Appends "; field: message" for causes the message does not mention. */
static void s_causes(const json_t *status_obj, char *buf, size_t size)
{
	json_t *causes = json_object_get(json_object_get(status_obj, "details"), "causes");
	size_t i;
	json_t *c;
	size_t used = strlen(buf);
	json_array_foreach(causes, i, c)
	{
		const char *m = json_string_value(json_object_get(c, "message"));
		const char *f = json_string_value(json_object_get(c, "field"));
		if (!m || strstr(buf, m))
			continue;
		if (used + 4 >= size)
			break;
		used += (size_t)snprintf(buf + used, size - used, "%s%s%s%s", i ? "; " : ": ",
					 f ? f : "", f ? ": " : "", m);
	}
}

void rest_error(long status, const json_t *status_obj, const char *raw, size_t raw_len,
		struct err *e)
{
	char msg[ERR_MSG_MAX];
	const char *m = json_string_value(json_object_get(status_obj, "message"));
	if (m && *m) {
		snprintf(msg, sizeof(msg), "%s", m);
		if (status == 422)
			s_causes(status_obj, msg, sizeof(msg));
	} else if (raw && raw_len) {
		size_t n = strcspn(raw, "\r\n");
		if (n > raw_len)
			n = raw_len;
		snprintf(msg, sizeof(msg), "HTTP %ld: %.*s", status, (int)(n > 300 ? 300 : n), raw);
	} else {
		const char *reason = json_string_value(json_object_get(status_obj, "reason"));
		snprintf(msg, sizeof(msg), "HTTP %ld%s%s", status, reason ? " " : "",
			 reason ? reason : "");
	}
	err_set(e, s_code(status), "%s", msg);
}

/* --- calls ------------------------------------------------------------------- */

static void s_send(struct rest_call *c);

static void s_unlink(struct rest_call *c)
{
	struct rest *r = c->r;
	if (c->prev)
		c->prev->next = c->next;
	else if (r->calls == c)
		r->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void s_call_free(struct rest_call *c)
{
	free(c->method);
	free(c->path);
	free(c->body);
	free(c);
}

/* Reports the end of c and frees it. */
static void s_finish(struct rest_call *c, struct rest_reply *rep)
{
	s_unlink(c);
	c->http = NULL;
	c->done(c->ctx, rep);
	s_call_free(c);
}

static void s_fail_now(void *arg)
{
	struct rest_call *c = arg;
	c->timer = NULL;
	struct rest_reply rep = {.rc = -1, .err = c->pending};
	s_finish(c, &rep);
}

static void s_resend(void *arg)
{
	struct rest_call *c = arg;
	c->timer = NULL;
	s_send(c);
}

static long s_retry_after_ms(const struct http_response *resp, const json_t *st, int tries)
{
	const char *ra = http_response_header(resp, "Retry-After");
	long secs = -1;
	if (ra)
		secs = strtol(ra, NULL, 10);
	json_t *d = json_object_get(json_object_get(st, "details"), "retryAfterSeconds");
	if (secs < 0 && json_is_integer(d))
		secs = (long)json_integer_value(d);
	if (secs >= 0)
		return secs * 1000 > REST_MAX_BACKOFF_MS ? REST_MAX_BACKOFF_MS : secs * 1000;
	long ms = REST_BACKOFF_MS;
	for (int i = 1; i < tries && ms < REST_MAX_BACKOFF_MS; i++)
		ms *= 2;
	return ms > REST_MAX_BACKOFF_MS ? REST_MAX_BACKOFF_MS : ms;
}

static bool s_retryable_status(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static bool s_idempotent(const struct rest_call *c)
{
	return strcmp(c->method, "GET") == 0 || strcmp(c->method, "DELETE") == 0;
}

static void s_on_http_done(void *ctx, struct http_response *resp)
{
	struct rest_call *c = ctx;
	struct rest *r = c->r;
	c->http = NULL;
	long st = resp->status;
	json_t *body = NULL;
	if (resp->body_len && (st < 200 || st >= 300 || !c->stream))
		body = json_loadb(resp->body, resp->body_len, 0, NULL);
	struct rest_reply rep = {.status = st, .rc = -1};
	if (st == 401 && !c->auth_retried && r->refreshable) {
		c->auth_retried = true;
		auth_invalidate(r->auth, c->gen);
		json_decref(body);
		s_send(c);
		return;
	}
	bool retry = c->tries < (c->loop == r->sync_loop ? REST_SYNC_TRIES : REST_MAX_TRIES) &&
		     (s_retryable_status(st) ||
		      (st == 0 && !c->stream && s_idempotent(c) && resp->err.code == ERR_NET));
	if (retry) {
		long ms = s_retry_after_ms(resp, body, c->tries);
		json_decref(body);
		c->timer = evloop_timer(c->loop, ms, s_resend, c);
		return;
	}
	if (st == 0 || resp->curl_code != CURLE_OK) {
		rep.err = resp->err;
		if (rep.err.code == ERR_NONE)
			err_set(&rep.err, ERR_NET, "%.200s: no answer", r->server);
	} else if (st >= 200 && st < 300) {
		rep.rc = 0;
		rep.body = body;
	} else {
		rep.status_obj = body;
		rest_error(st, body, resp->body, resp->body_len, &rep.err);
		if (st == 401)
			err_prefix(&rep.err,
				   "%.200s refused the credentials of user '%.100s' (context "
				   "'%.100s')",
				   r->server, r->user, r->context);
	}
	s_finish(c, &rep);
	json_decref(body);
}

static int s_on_http_data(void *ctx, long status, const char *buf, size_t len)
{
	struct rest_call *c = ctx;
	return c->on_data(c->ctx, buf, len);
}

static void s_send(struct rest_call *c)
{
	struct rest *r = c->r;
	char *url = xasprintf("%s%s", r->server, c->path);
	struct http_request *req = http_request_new(c->method, url);
	free(url);
	http_request_header(req, "Accept", "application/json");
	http_request_header(req, "User-Agent", USER_AGENT);
	if (c->body) {
		http_request_header(req, "Content-Type", "application/json");
		http_request_body(req, c->body, c->body_len);
	}
	kubeconfig_tls_copy(&r->tls, &req->tls);
	req->timeout_ms = c->stream ? 0 : REST_TIMEOUT_MS;
	req->on_done = s_on_http_done;
	req->ctx = c;
	if (c->stream)
		req->on_data = s_on_http_data;
	c->tries++;
	if (auth_apply(r->auth, req, &c->gen, &c->pending) < 0) {
		http_request_free(req);
		c->timer = evloop_timer(c->loop, 0, s_fail_now, c);
		return;
	}
	r->n_requests++;
	c->http = http_submit(c->loop, req, &c->pending);
	if (!c->http)
		c->timer = evloop_timer(c->loop, 0, s_fail_now, c);
}

static struct rest_call *s_call(struct rest *r, struct evloop *loop, const char *method,
				const char *path, const json_t *body, rest_done_fn done, void *ctx)
{
	struct rest_call *c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->loop = loop;
	c->method = xstrdup(method);
	c->path = xstrdup(path);
	if (body) {
		c->body = json_dumps(body, JSON_COMPACT);
		c->body_len = c->body ? strlen(c->body) : 0;
	}
	c->done = done;
	c->ctx = ctx;
	c->next = r->calls;
	if (r->calls)
		r->calls->prev = c;
	r->calls = c;
	return c;
}

struct rest_call *rest_request(struct rest *r, const char *method, const char *path,
			       const json_t *body, rest_done_fn done, void *ctx)
{
	struct rest_call *c = s_call(r, r->loop, method, path, body, done, ctx);
	s_send(c);
	return c;
}

struct rest_call *rest_stream(struct rest *r, const char *path, rest_data_fn on_data,
			      rest_done_fn done, void *ctx)
{
	struct rest_call *c = s_call(r, r->loop, "GET", path, NULL, done, ctx);
	c->stream = true;
	c->on_data = on_data;
	s_send(c);
	return c;
}

static void s_cancel(struct rest_call *c)
{
	if (c->http)
		http_cancel(c->loop, c->http);
	if (c->timer)
		evloop_timer_cancel(c->loop, c->timer);
	s_unlink(c);
	s_call_free(c);
}

void rest_cancel(struct rest *r, struct rest_call *c)
{
	if (c)
		s_cancel(c);
}

/* --- blocking calls ------------------------------------------------------------ */

struct s_sync {
	bool done;
	int rc;
	struct err err;
	json_t *body;
};

static void s_sync_done(void *ctx, struct rest_reply *rep)
{
	struct s_sync *s = ctx;
	s->done = true;
	s->rc = rep->rc;
	s->err = rep->err;
	if (rep->rc == 0 && rep->body)
		s->body = json_incref(rep->body);
}

int rest_sync(struct rest *r, const char *method, const char *path, const json_t *body,
	      json_t **out, struct err *e)
{
	if (out)
		*out = NULL;
	if (!r->sync_loop && !(r->sync_loop = evloop_new(e)))
		return -1;
	struct s_sync s = {0};
	struct rest_call *c = s_call(r, r->sync_loop, method, path, body, s_sync_done, &s);
	s_send(c);
	while (!s.done)
		evloop_run_once(r->sync_loop, 1000);
	if (s.rc < 0) {
		if (e)
			*e = s.err;
		json_decref(s.body);
		return -1;
	}
	if (out)
		*out = s.body;
	else
		json_decref(s.body);
	return 0;
}

/* --- the client ------------------------------------------------------------------ */

struct rest *rest_new(struct evloop *loop, const struct kubeconfig *k)
{
	struct rest *r = xcalloc(1, sizeof(*r));
	r->loop = loop;
	r->server = xstrdup(k->server);
	r->context = xstrdup(k->context ? k->context : "");
	r->user = xstrdup(k->user ? k->user : "");
	kubeconfig_tls_copy(&k->tls, &r->tls);
	r->auth = auth_new(k);
	r->refreshable = k->exec || (k->token_file && !k->token);
	return r;
}

void rest_free(struct rest *r)
{
	if (!r)
		return;
	while (r->calls)
		s_cancel(r->calls);
	evloop_free(r->sync_loop);
	auth_free(r->auth);
	free(r->server);
	free(r->context);
	free(r->user);
	free(r->tls.ca_file);
	free(r->tls.ca_pem);
	free(r->tls.cert_pem);
	if (r->tls.key_pem) {
		memset(r->tls.key_pem, 0, strlen(r->tls.key_pem));
		free(r->tls.key_pem);
	}
	free(r->tls.server_name);
	free(r);
}

const char *rest_server(const struct rest *r)
{
	return r->server;
}

unsigned long rest_requests(const struct rest *r)
{
	return r->n_requests;
}

struct evloop *rest_loop(const struct rest *r)
{
	return r->loop;
}
