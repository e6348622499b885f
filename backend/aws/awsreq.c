#include "awsreq.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "awsclient.h"
#include "evloop.h"
#include "http.h"
#include "xmem.h"

#define BUFFERED_TIMEOUT_MS 120000L
#define AWS_STALL_S 60
#define BACKOFF_BASE_MS	    100
#define THROTTLE_BASE_MS    250
#define BACKOFF_CAP_MS	    20000
#define ERRBUF_MAX	    (64u << 10)
#define USER_AGENT	    "aftomato/" AFTOMATO_VERSION

static void s_attempt(struct awsreq *r);

/* --- building ------------------------------------------------------------- */

struct awsreq *awsreq_new(struct awsclient *c, const char *label, const char *service,
			  const char *op, const char *method, const char *path)
{
	struct awsreq *r = xcalloc(1, sizeof(*r));
	r->client = c;
	r->label = label;
	r->op = op;
	r->service = xstrdup(service);
	r->method = xstrdup(method);
	r->path = xstrdup(path && *path ? path : "/");
	r->body_fd = -1;
	r->range_end = UINT64_MAX;
	return r;
}

void awsreq_free(struct awsreq *r)
{
	if (!r)
		return;
	free(r->what);
	free(r->service);
	free(r->region);
	free(r->endpoint);
	free(r->bucket);
	free(r->method);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		/* Values may be tokens (IMDS, container Authorization). */
		memset(r->headers[i].value, 0, strlen(r->headers[i].value));
		free(r->headers[i].value);
	}
	free(r->headers);
	if (r->body) /* may hold a token (STS web identity) */
		memset(r->body, 0, r->body_len);
	free(r->body);
	creds_cleanup(&r->fixed);
	free(r->endpoint_override);
	free(r->signed_akid);
	free(r->etag);
	free(r->errbuf);
	free(r->later_detail);
	free(r);
}

void awsreq_header(struct awsreq *r, const char *name, const char *value)
{
	r->headers = xrealloc(r->headers, (r->n_headers + 1) * sizeof(*r->headers));
	r->headers[r->n_headers].name = xstrdup(name);
	r->headers[r->n_headers].value = xstrdup(value);
	r->n_headers++;
}

void awsreq_body(struct awsreq *r, const void *data, size_t len)
{
	free(r->body);
	r->body = xmalloc(len + 1);
	memcpy(r->body, data, len);
	r->body[len] = '\0';
	r->body_len = len;
}

void awsreq_query(struct awsreq *r, const char *query)
{
	free(r->query);
	r->query = xstrdup(query);
}

void awsreq_query_add(char **q, const char *name, const char *value)
{
	char *n = sigv4_uri_encode(name, strlen(name), true);
	char *v = sigv4_uri_encode(value ? value : "", value ? strlen(value) : 0, true);
	char *s = *q && **q ? xasprintf("%s&%s=%s", *q, n, v) : xasprintf("%s=%s", n, v);
	free(*q);
	*q = s;
	free(n);
	free(v);
}

/* --- ending ---------------------------------------------------------------- */

static void s_finish(struct awsreq *r, struct awsreq_result *res)
{
	awsclient_untrack(r->client, r);
	res->req = r;
	res->attempts = r->attempt;
	res->ambiguous = r->ambiguous;
	res->delivered = r->delivered;
	if (!res->body) {
		res->body = "";
		res->body_len = 0;
	}
	if (res->rc < 0)
		awsclient_scrub(r->client, res->err.msg, sizeof(res->err.msg));
	r->done(r->ctx, res);
	awsreq_free(r);
}

/* Fails r with "<label> <op> <what>: <detail>". */
static void s_fail(struct awsreq *r, struct awsreq_result *res, enum err_code code,
		   const char *detail)
{
	char tail[40] = "";
	if (r->attempt > 1)
		snprintf(tail, sizeof(tail), " after %d attempts", r->attempt);
	res->rc = -1;
	err_set(&res->err, code, "%s %s%s%.300s: %.300s%s", r->label, r->op, r->what ? " " : "",
		r->what ? r->what : "", detail, tail);
	s_finish(r, res);
}

static void s_fail_cb(void *arg)
{
	struct awsreq *r = arg;
	struct awsreq_result res = {0};
	char detail[ERR_MSG_MAX];
	r->timer = NULL;
	snprintf(detail, sizeof(detail), "%s", r->later_detail ? r->later_detail : "failed");
	s_fail(r, &res, r->later_code, detail);
}

/* Fails from the loop (for failures found before any I/O). */
static void s_fail_later(struct awsreq *r, enum err_code code, const char *detail)
{
	r->later_code = code;
	free(r->later_detail);
	r->later_detail = xstrdup(detail);
	r->timer = evloop_timer(awsclient_loop(r->client), 0, s_fail_cb, r);
}

/* --- sending --------------------------------------------------------------- */

static int s_max_attempts(const struct awsreq *r)
{
	if (r->max_attempts > 0)
		return r->max_attempts;
	int n = awsclient_cfg(r->client)->max_attempts;
	return n > 0 ? n : AWSCFG_DEFAULT_MAX_ATTEMPTS;
}

static const char *s_region(struct awsreq *r)
{
	if (r->region)
		return r->region;
	return awsclient_bucket_region(r->client, r->bucket);
}

/* The URL base and the full path to sign and send. */
static void s_target(struct awsreq *r, char **base, char **path)
{
	const struct awscfg *cfg = awsclient_cfg(r->client);
	bool bucket_in_path = false;
	if (r->endpoint)
		*base = xstrdup(r->endpoint);
	else if (r->bucket)
		awscfg_s3_base(cfg, r->bucket, s_region(r), base, &bucket_in_path);
	else
		*base = awscfg_endpoint(cfg, r->service, s_region(r));
	if (r->endpoint_override) {
		/* A 307 Location: another host, the same addressing. */
		free(*base);
		*base = xstrdup(r->endpoint_override);
	}
	if (bucket_in_path)
		*path = xasprintf("/%s%s", r->bucket, r->path);
	else
		*path = xstrdup(r->path);
}

/* "host[:port]" of a base URL, as curl sends it. */
static char *s_host(const char *base)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port)
			out = xasprintf("%s:%s", host, port);
		else
			out = xstrdup(host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

static char *s_range_value(struct awsreq *r)
{
	uint64_t start = r->range_start + r->delivered;
	if (!r->has_range && r->delivered == 0)
		return NULL;
	if (r->range_end == UINT64_MAX)
		return xasprintf("bytes=%" PRIu64 "-", start);
	return xasprintf("bytes=%" PRIu64 "-%" PRIu64, start, r->range_end);
}

static int s_on_data(void *ctx, long status, const char *buf, size_t len)
{
	struct awsreq *r = ctx;
	if (status < 200 || status >= 300) {
		/* A redirect's body: keep it for the error parser. */
		if (r->errbuf_len + len > ERRBUF_MAX)
			len = ERRBUF_MAX - r->errbuf_len;
		r->errbuf = xrealloc(r->errbuf, r->errbuf_len + len + 1);
		memcpy(r->errbuf + r->errbuf_len, buf, len);
		r->errbuf_len += len;
		r->errbuf[r->errbuf_len] = '\0';
		return 0;
	}
	if (!r->attempt_started_data) {
		r->attempt_started_data = true;
		/* Resumed, but the server sent the whole object: skip what the
		 * receiver has already. */
		if (status == 200 && r->delivered > 0)
			r->skip = r->range_start + r->delivered;
	}
	if (r->skip) {
		size_t n = r->skip < len ? (size_t)r->skip : len;
		r->skip -= n;
		buf += n;
		len -= n;
	}
	if (len == 0)
		return 0;
	if (r->on_data(r->data_ctx, buf, len) < 0) {
		r->sink_failed = true;
		return -1;
	}
	r->delivered += len;
	return 0;
}

static void s_http_done(void *ctx, struct http_response *resp);

/* Signs and sends one attempt with credentials c (NULL: unsigned). */
/* Signs the headers sh (n of them) for path with credentials c into auth. */
static int s_sign(struct awsreq *r, const struct creds *c, const char *path,
		  const struct sigv4_header *sh, size_t n, struct sigv4_auth_headers *auth,
		  struct err *e)
{
	struct sigv4_request sr = {
	    .method = r->method,
	    .path = path,
	    .query = r->query,
	    .headers = sh,
	    .header_count = n,
	    .payload = SIGV4_PAYLOAD_BODY,
	    .body = r->body,
	    .body_len = r->body_len,
	};
	if (r->body_fd >= 0) {
		sr.payload = r->payload_hash[0] ? SIGV4_PAYLOAD_HASH : SIGV4_PAYLOAD_UNSIGNED;
		sr.payload_hash = r->payload_hash;
	}
	struct sigv4_params sp = {
	    .access_key_id = c->access_key_id,
	    .secret_access_key = c->secret_access_key,
	    .session_token = c->session_token,
	    .region = s_region(r),
	    .service = r->service,
	    .time_s = (time_t)awsclient_now_s(r->client),
	    .rules = strcmp(r->service, "s3") == 0 ? SIGV4_RULES_S3 : SIGV4_RULES_DEFAULT,
	};
	if (sigv4_sign_headers(&sr, &sp, auth, e) < 0)
		return -1;
	free(r->signed_akid);
	r->signed_akid = xstrdup(c->access_key_id);
	return 0;
}

/* The HTTP request of one attempt: url, the signed headers and auth's. */
static struct http_request *s_http_request(struct awsreq *r, const char *url,
					   const struct sigv4_header *sh, size_t n,
					   const struct sigv4_auth_headers *auth)
{
	const struct awscfg *cfg = awsclient_cfg(r->client);
	struct http_request *hr = http_request_new(r->method, url);
	for (size_t i = 0; i < n; i++)
		http_request_header(hr, sh[i].name, sh[i].value);
	for (size_t i = 0; i < auth->count; i++)
		http_request_header(hr, auth->items[i].name, auth->items[i].value);
	http_request_header(hr, "User-Agent", cfg->user_agent ? cfg->user_agent : USER_AGENT);
	if (r->body)
		http_request_body(hr, r->body, r->body_len);
	hr->body_fd = r->body_fd;
	hr->body_offset = r->body_offset;
	hr->body_length = r->body_length;
	hr->timeout_ms = r->timeout_ms;
	if (!hr->timeout_ms && r->body_fd >= 0) /* at least 256 KiB/s */
		hr->timeout_ms = BUFFERED_TIMEOUT_MS + (long)(r->body_length / 256);
	else if (!hr->timeout_ms && !r->on_data)
		hr->timeout_ms = BUFFERED_TIMEOUT_MS;
	hr->connect_timeout_ms = r->connect_timeout_ms;
	hr->stall_s = AWS_STALL_S; /* a server that stops sending is an error, not a hang */
	hr->max_body_bytes = r->max_body_bytes;
	if (cfg->ca_bundle)
		hr->tls.ca_file = xstrdup(cfg->ca_bundle);
	if (r->on_data)
		hr->on_data = s_on_data;
	hr->on_done = s_http_done;
	hr->ctx = r;
	return hr;
}

/* Signs and sends one attempt with credentials c (NULL: unsigned). */
static void s_send(struct awsreq *r, const struct creds *c)
{
	char *base = NULL, *path = NULL, *host = NULL, *range = NULL, *url = NULL;
	struct sigv4_header *sh = NULL;
	struct sigv4_auth_headers auth = {0};
	struct err e = {0};
	s_target(r, &base, &path);
	host = s_host(base);
	if (!host) {
		err_set(&e, ERR_CONFIG, "bad endpoint URL %.200s", base);
		goto fail;
	}
	range = s_range_value(r);
	size_t n = 0;
	sh = xcalloc(r->n_headers + 3, sizeof(*sh));
	sh[n++] = (struct sigv4_header){"Host", host};
	for (size_t i = 0; i < r->n_headers; i++)
		sh[n++] = (struct sigv4_header){r->headers[i].name, r->headers[i].value};
	if (range)
		sh[n++] = (struct sigv4_header){"Range", range};
	if (r->resumable && r->delivered > 0 && r->etag)
		sh[n++] = (struct sigv4_header){"If-Match", r->etag}; /* the same object */
	if (c && s_sign(r, c, path, sh, n, &auth, &e) < 0)
		goto fail;
	url = xasprintf("%s%s%s%s", base, path, r->query && *r->query ? "?" : "",
			r->query ? r->query : "");
	r->attempt_started_data = false;
	r->skip = 0;
	free(r->errbuf);
	r->errbuf = NULL;
	r->errbuf_len = 0;
	r->call = http_submit(awsclient_loop(r->client), s_http_request(r, url, sh, n, &auth), &e);
	if (!r->call)
		goto fail;
	goto out;
fail:
	s_fail_later(r, e.code ? e.code : ERR_INTERNAL, e.msg);
out:
	sigv4_auth_headers_cleanup(&auth);
	free(sh);
	free(range);
	free(base);
	free(path);
	free(host);
	free(url);
}

static void s_creds_ready(void *ctx, const struct creds *c, const struct err *e)
{
	struct awsreq *r = ctx;
	r->wait = NULL;
	if (!c) {
		struct awsreq_result res = {0};
		s_fail(r, &res, e->code ? e->code : ERR_AUTH, e->msg);
		return;
	}
	s_send(r, c);
}

static void s_attempt(struct awsreq *r)
{
	r->attempt++;
	if (r->sign == AWSREQ_SIGN_NONE) {
		s_send(r, NULL);
	} else if (r->sign == AWSREQ_SIGN_FIXED) {
		s_send(r, &r->fixed);
	} else {
		struct creds_chain *ch = awsclient_creds(r->client);
		const struct creds *c = creds_current(ch);
		if (c)
			s_send(r, c);
		else
			r->wait = creds_get(ch, s_creds_ready, r);
	}
}

static void s_attempt_cb(void *arg)
{
	struct awsreq *r = arg;
	r->timer = NULL;
	s_attempt(r);
}

/* Again at once (a re-sign that does not count as a failed attempt). */
static void s_again_now(struct awsreq *r)
{
	r->attempt--;
	r->timer = evloop_timer(awsclient_loop(r->client), 0, s_attempt_cb, r);
}

/* Again after a full-jitter backoff, if attempts are left. */
static bool s_backoff(struct awsreq *r, bool throttled)
{
	if (r->attempt >= s_max_attempts(r))
		return false;
	int64_t base = throttled ? THROTTLE_BASE_MS : BACKOFF_BASE_MS;
	int64_t ceil_ms = base << (r->attempt - 1 < 16 ? r->attempt - 1 : 16);
	if (ceil_ms > BACKOFF_CAP_MS)
		ceil_ms = BACKOFF_CAP_MS;
	int64_t delay = (int64_t)awsclient_random(r->client, (uint64_t)ceil_ms + 1);
	r->timer = evloop_timer(awsclient_loop(r->client), delay, s_attempt_cb, r);
	return true;
}

void awsreq_submit(struct awsreq *r)
{
	awsclient_track(r->client, r);
	s_attempt(r);
}

void awsreq_cancel(struct awsreq *r)
{
	struct evloop *l = awsclient_loop(r->client);
	if (r->call)
		http_cancel(l, r->call);
	if (r->timer)
		evloop_timer_cancel(l, r->timer);
	if (r->wait)
		creds_get_cancel(awsclient_creds(r->client), r->wait);
	awsclient_untrack(r->client, r);
	awsreq_free(r);
}

/* --- answers --------------------------------------------------------------- */

static bool s_never_sent(CURLcode cc)
{
	return cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY ||
	       cc == CURLE_COULDNT_CONNECT || cc == CURLE_SSL_CONNECT_ERROR;
}

static void s_transport_failed(struct awsreq *r, struct http_response *resp)
{
	struct awsreq_result res = {.status = resp->status, .resp = resp};
	if (r->sink_failed) {
		s_fail(r, &res, ERR_CANCELLED, "stopped by the receiver");
		return;
	}
	if (resp->err.code == ERR_PROTO) { /* the answer was too large */
		s_fail(r, &res, ERR_PROTO, "the answer is too large");
		return;
	}
	bool unsent = s_never_sent(resp->curl_code);
	if (r->delivered > 0 && !r->etag) {
		const char *etag = http_response_header(resp, "ETag");
		if (etag)
			r->etag = xstrdup(etag);
	}
	bool can_resume = r->delivered == 0 || (r->resumable && r->etag);
	if ((unsent || r->idempotent) && can_resume) {
		if (!unsent && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
			r->ambiguous = true;
		if (s_backoff(r, false))
			return;
	}
	const char *m = resp->err.msg;
	const char *colon = strstr(m, ": ");
	/* The transport message starts with the URL: keep the reason only. */
	char detail[ERR_MSG_MAX];
	snprintf(detail, sizeof(detail), "connection failed: %.300s", colon ? colon + 2 : m);
	s_fail(r, &res, ERR_NET, detail);
}

static bool s_crc_ok(struct awsreq *r, struct http_response *resp)
{
	const char *h = r->check_crc32 ? http_response_header(resp, "x-amz-crc32") : NULL;
	if (!h)
		return true;
	unsigned long want = strtoul(h, NULL, 10);
	unsigned long got = crc32(0L, (const Bytef *)resp->body, (uInt)resp->body_len);
	return want == got;
}

/* A 307's Location, as scheme://host[:port]. */
static char *s_location_base(struct http_response *resp)
{
	const char *loc = http_response_header(resp, "Location");
	if (!loc)
		return NULL;
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	if (curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port)
			out = xasprintf("%s://%s:%s", scheme, host, port);
		else
			out = xasprintf("%s://%s", scheme, host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

/* Handles clock skew, expired tokens and S3 redirects by sending again at
 * once. Returns true when r was sent again. */
static bool s_resign(struct awsreq *r, struct http_response *resp, const struct awserr *a)
{
	if (awserr_is_clock_skew(a) && !r->skew_fixed) {
		const char *date = http_response_header(resp, "Date");
		time_t server = date ? curl_getdate(date, NULL) : -1;
		if (server > 0) {
			r->skew_fixed = true;
			awsclient_set_clock_offset(r->client,
						   (int64_t)server - (int64_t)time(NULL));
			s_again_now(r);
			return true;
		}
	}
	if (awserr_is_expired_token(a) && r->sign == AWSREQ_SIGN_CHAIN && !r->token_refreshed) {
		r->token_refreshed = true;
		creds_invalidate(awsclient_creds(r->client), r->signed_akid);
		s_again_now(r);
		return true;
	}
	/* Two redirects at most: a wrong hint is corrected by the next answer. */
	if (!r->bucket || r->redirects >= 2)
		return false;
	bool region_hint = a->status == 301 || a->status == 307 ||
			   strcmp(a->code, "AuthorizationHeaderMalformed") == 0 ||
			   strcmp(a->code, "PermanentRedirect") == 0;
	if (region_hint && a->region[0] && strcmp(a->region, s_region(r)) != 0 && !r->region) {
		r->redirects++;
		awsclient_set_bucket_region(r->client, r->bucket, a->region);
		s_again_now(r);
		return true;
	}
	if (a->status == 307) {
		char *loc = s_location_base(resp);
		if (loc) {
			r->redirects++;
			free(r->endpoint_override);
			r->endpoint_override = loc;
			s_again_now(r);
			return true;
		}
	}
	return false;
}

static void s_service_failed(struct awsreq *r, struct http_response *resp)
{
	struct awsreq_result res = {.status = resp->status, .resp = resp};
	/* Streamed requests keep a redirect's body themselves (http.c buffers
	 * only answers >= 400 for them). */
	bool own = r->on_data && resp->status < 400;
	const char *body = own ? r->errbuf : resp->body;
	size_t len = own ? r->errbuf_len : resp->body_len;
	awserr_parse(resp->status, body, len, resp, &res.aerr);
	if (s_resign(r, resp, &res.aerr))
		return;
	if (awserr_is_transient(&res.aerr) && (r->delivered == 0 || (r->resumable && r->etag))) {
		if (resp->status >= 500 && strcmp(r->method, "GET") != 0 &&
		    strcmp(r->method, "HEAD") != 0)
			r->ambiguous = true;
		if (s_backoff(r, awserr_is_throttling(res.aerr.code)))
			return;
	}
	char detail[ERR_MSG_MAX];
	awserr_format(&res.aerr, detail, sizeof(detail));
	if ((resp->status == 301 || resp->status == 307 || resp->status == 400) &&
	    res.aerr.region[0] && r->bucket) {
		size_t used = strlen(detail);
		snprintf(detail + used, sizeof(detail) - used,
			 "; bucket %.63s is in region %.30s (set aws.region)", r->bucket,
			 res.aerr.region);
	}
	res.body = body;
	res.body_len = len;
	s_fail(r, &res, awserr_category(&res.aerr), detail);
}

static void s_http_done(void *ctx, struct http_response *resp)
{
	struct awsreq *r = ctx;
	r->call = NULL;
	if (resp->err.code != ERR_NONE || resp->curl_code != CURLE_OK) {
		s_transport_failed(r, resp);
		return;
	}
	if (resp->status < 200 || resp->status >= 300) {
		s_service_failed(r, resp);
		return;
	}
	if (!s_crc_ok(r, resp)) {
		r->ambiguous = r->ambiguous || strcmp(r->method, "POST") == 0;
		if (s_backoff(r, false))
			return;
		struct awsreq_result res = {.status = resp->status, .resp = resp};
		s_fail(r, &res, ERR_PROTO,
		       "the answer's CRC32 does not match (damaged in transit)");
		return;
	}
	struct awsreq_result res = {
	    .status = resp->status,
	    .resp = resp,
	    .body = resp->body,
	    .body_len = resp->body_len,
	};
	s_finish(r, &res);
}
