#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "evloop.h"
#include "xmem.h"

#define HTTP_DEFAULT_MAX_BODY (16u << 20)

struct http_call {
	struct evloop *loop;
	CURL *easy;
	struct http_request *req;
	struct http_response resp;
	size_t body_cap;
	uint64_t upload_pos;
	long status; /* of the answer being received */
	bool streaming;
	bool aborted;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *resolve;
};

struct http_request *http_request_new(const char *method, const char *url)
{
	struct http_request *r = xcalloc(1, sizeof(*r));
	r->method = xstrdup(method);
	r->url = xstrdup(url);
	r->body_fd = -1;
	return r;
}

static void s_tls_cleanup(struct http_tls *t)
{
	free(t->ca_file);
	free(t->ca_pem);
	if (t->key_pem) {
		memset(t->key_pem, 0, strlen(t->key_pem));
		free(t->key_pem);
	}
	free(t->cert_pem);
	free(t->server_name);
}

void http_request_free(struct http_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->url);
	curl_slist_free_all(r->headers);
	free(r->body);
	s_tls_cleanup(&r->tls);
	free(r);
}

void http_request_header(struct http_request *r, const char *name, const char *value)
{
	char *line = xasprintf("%s: %s", name, value);
	struct curl_slist *n = curl_slist_append(r->headers, line);
	free(line);
	if (n)
		r->headers = n;
}

void http_request_body(struct http_request *r, const void *data, size_t len)
{
	free(r->body);
	r->body = xmalloc(len + 1);
	memcpy(r->body, data, len);
	r->body[len] = '\0';
	r->body_len = len;
}

/* The URL for messages: no user information and no query (a presigned URL's
 * query is a credential). Caller frees. */
static char *s_url_for_msg(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	size_t path_len = strcspn(end, "?#");
	return xasprintf("%.*s%.*s%.*s", scheme ? (int)(scheme + 3 - url) : 0, url,
			 (int)(end - host), host, (int)path_len, end);
}

static void s_call_free(struct http_call *c)
{
	if (c->easy)
		curl_easy_cleanup(c->easy);
	http_request_free(c->req);
	free(c->resp.body);
	curl_slist_free_all(c->resp.headers);
	curl_slist_free_all(c->resolve);
	free(c);
}

static int s_buffer(struct http_call *c, const char *buf, size_t len)
{
	size_t max = c->req->max_body_bytes ? c->req->max_body_bytes : HTTP_DEFAULT_MAX_BODY;
	if (c->resp.body_len + len > max) {
		char *u = s_url_for_msg(c->req->url);
		err_set(&c->resp.err, ERR_PROTO, "answer from %.200s is larger than %zu bytes", u,
			max);
		free(u);
		return -1;
	}
	if (c->resp.body_len + len + 1 > c->body_cap) {
		size_t cap = c->body_cap ? c->body_cap : 4096;
		while (cap < c->resp.body_len + len + 1)
			cap *= 2;
		c->resp.body = xrealloc(c->resp.body, cap);
		c->body_cap = cap;
	}
	memcpy(c->resp.body + c->resp.body_len, buf, len);
	c->resp.body_len += len;
	c->resp.body[c->resp.body_len] = '\0';
	return 0;
}

static size_t s_on_write(char *buf, size_t size, size_t nmemb, void *userdata)
{
	struct http_call *c = userdata;
	size_t len = size * nmemb;
	if (c->req->on_data && c->status > 0 && c->status < 400) {
		if (c->req->on_data(c->req->ctx, c->status, buf, len) < 0) {
			c->aborted = true;
			return CURL_WRITEFUNC_ERROR;
		}
		return len;
	}
	return s_buffer(c, buf, len) < 0 ? CURL_WRITEFUNC_ERROR : len;
}

static size_t s_on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct http_call *c = userdata;
	size_t len = size * nitems;
	if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* A new answer (after 100 Continue): forget earlier headers. */
		curl_slist_free_all(c->resp.headers);
		c->resp.headers = NULL;
		const char *sp = memchr(buf, ' ', len);
		c->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return len;
	}
	size_t n = len;
	while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
		n--;
	if (n == 0)
		return len;
	char *line = xstrndup(buf, n);
	struct curl_slist *l = curl_slist_append(c->resp.headers, line);
	free(line);
	if (l)
		c->resp.headers = l;
	return len;
}

static size_t s_on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct http_call *c = userdata;
	struct http_request *r = c->req;
	uint64_t left = r->body_length - c->upload_pos;
	size_t want = size * nitems;
	if (want > left)
		want = (size_t)left;
	if (want == 0)
		return 0;
	for (;;) {
		ssize_t n = pread(r->body_fd, buf, want, (off_t)(r->body_offset + c->upload_pos));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			char *u = s_url_for_msg(r->url);
			err_errno(&c->resp.err, n < 0 ? errno : EIO, "cannot read the upload for %.200s",
				  u);
			free(u);
			return CURL_READFUNC_ABORT;
		}
		c->upload_pos += (uint64_t)n;
		return (size_t)n;
	}
}

static int s_on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			 curl_off_t ulnow)
{
	struct http_call *c = userdata;
	if (ultotal > 0)
		c->req->on_progress(c->req->ctx, (uint64_t)ulnow, (uint64_t)ultotal);
	else
		c->req->on_progress(c->req->ctx, (uint64_t)dlnow, (uint64_t)dltotal);
	return 0;
}

static void s_on_done(void *ctx, CURL *easy, CURLcode result)
{
	struct http_call *c = ctx;
	(void)easy;
	c->resp.curl_code = result;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->resp.status);
	curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME, &c->resp.total_s);
	if (result != CURLE_OK && c->resp.err.code == ERR_NONE) {
		if (c->aborted)
			err_set(&c->resp.err, ERR_CANCELLED, "transfer stopped");
		else {
			char *u = s_url_for_msg(c->req->url);
			err_set(&c->resp.err, ERR_NET, "%.200s: %.250s", u,
				c->errbuf[0] ? c->errbuf : curl_easy_strerror(result));
			free(u);
		}
	}
	if (!c->resp.body)
		s_buffer(c, "", 0);
	c->req->on_done(c->req->ctx, &c->resp);
	s_call_free(c);
}

/* tls-server-name: ask for the certificate of server_name while connecting to
 * the URL's real host, by rewriting the URL's host and pinning the address. */
static int s_apply_server_name(struct http_call *c, struct err *e)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *url = NULL;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, c->req->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		char *shown = s_url_for_msg(c->req->url);
		err_set(e, ERR_CONFIG, "bad URL %.300s", shown);
		free(shown);
		goto out;
	}
	char *connect_to = xasprintf("%s:%s:%s:%s", c->req->tls.server_name, port, host, port);
	c->resolve = curl_slist_append(NULL, connect_to);
	free(connect_to);
	curl_url_set(u, CURLUPART_HOST, c->req->tls.server_name, 0);
	curl_url_get(u, CURLUPART_URL, &url, 0);
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	curl_easy_setopt(c->easy, CURLOPT_CONNECT_TO, c->resolve);
	rc = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

static void s_set_blob(CURL *easy, CURLoption opt, const char *pem)
{
	struct curl_blob blob = {.data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY};
	curl_easy_setopt(easy, opt, &blob);
}

static int s_setup_tls(struct http_call *c, struct err *e)
{
	struct http_tls *t = &c->req->tls;
	CURL *h = c->easy;
	if (t->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_file);
	if (t->ca_pem)
		s_set_blob(h, CURLOPT_CAINFO_BLOB, t->ca_pem);
	if (t->cert_pem)
		s_set_blob(h, CURLOPT_SSLCERT_BLOB, t->cert_pem);
	if (t->key_pem)
		s_set_blob(h, CURLOPT_SSLKEY_BLOB, t->key_pem);
	if (t->cert_pem)
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	if (t->key_pem)
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	if (t->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (t->server_name && !t->insecure)
		return s_apply_server_name(c, e);
	return 0;
}

static void s_setup_body(struct http_call *c)
{
	struct http_request *r = c->req;
	CURL *h = c->easy;
	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (r->body_fd >= 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, s_on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, c);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_length);
	} else if (r->body || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
}

struct http_call *http_submit(struct evloop *l, struct http_request *req, struct err *e)
{
	struct http_call *c = xcalloc(1, sizeof(*c));
	c->loop = l;
	c->req = req;
	c->easy = curl_easy_init();
	if (!c->easy) {
		err_set(e, ERR_INTERNAL, "cannot create a libcurl handle");
		goto fail;
	}
	CURL *h = c->easy;
	/* Disable 100-continue: one round trip less for every upload. */
	struct curl_slist *hl = curl_slist_append(req->headers, "Expect:");
	if (hl)
		req->headers = hl;
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 10000L);
	if (req->timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	if (req->stall_s > 0) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, req->stall_s);
	}
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (req->on_progress) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, s_on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	s_setup_body(c);
	if (s_setup_tls(c, e) < 0)
		goto fail;
	if (evloop_add_easy(l, h, s_on_done, c, e) < 0)
		goto fail;
	return c;
fail:
	s_call_free(c);
	return NULL;
}

void http_cancel(struct evloop *l, struct http_call *c)
{
	if (!c)
		return;
	evloop_remove_easy(l, c->easy);
	s_call_free(c);
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
	size_t n = strlen(name);
	for (const struct curl_slist *h = resp->headers; h; h = h->next)
		if (strncasecmp(h->data, name, n) == 0 && h->data[n] == ':') {
			const char *v = h->data + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	return NULL;
}

char *http_escape(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char ch = *p;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~' || (keep_slash && ch == '/')) {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}
