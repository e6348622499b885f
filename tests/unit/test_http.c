/* Unit tests for backend/http: asynchronous HTTP on the event loop against a
 * real HTTP/1.1 server started inside the test (a listening socket on
 * 127.0.0.1, a free port, one thread per connection), plain and TLS (OpenSSL,
 * with a CA and certificates made by the test). Covers status codes, buffered
 * and streamed bodies, error bodies, max_body_bytes, refused and reset
 * connections, file uploads with offset/length, progress, cancel, timeouts
 * and the TLS options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "http.h"
#include "timeutil.h"
#include "xmem.h"

#define WATCHDOG_S 110

/* --- the test server ---------------------------------------------------------- */

struct srv {
	int lfd, port;
	SSL_CTX *tls; /* NULL: plain HTTP */
	pthread_t thread;
	atomic_bool stop;
	atomic_int active;	 /* connection threads alive */
	atomic_int hang_started; /* requests parked on /hang */
	atomic_int hang_closed;	 /* ... whose client went away */
	pthread_mutex_t mu;
	char client_cn[128]; /* mTLS: CN of the last client certificate */
};

struct conn {
	struct srv *s;
	int fd;
	SSL *ssl;
};

/* Waits until fd is readable; -1 when the server stops first. */
static int s_wait_readable(struct conn *c)
{
	if (c->ssl && SSL_pending(c->ssl) > 0)
		return 0;
	while (!atomic_load(&c->s->stop)) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		if (poll(&p, 1, 50) > 0)
			return 0;
	}
	return -1;
}

static ssize_t s_read(struct conn *c, void *buf, size_t len)
{
	if (s_wait_readable(c) < 0)
		return -1;
	if (c->ssl) {
		int n = SSL_read(c->ssl, buf, (int)len);
		return n > 0 ? n : (SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
	}
	return recv(c->fd, buf, len, 0);
}

static int s_write(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n =
		    c->ssl ? SSL_write(c->ssl, p, (int)len) : send(c->fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int s_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int s_printf(struct conn *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return s_write(c, buf, (size_t)n);
}

struct request {
	char method[16];
	char path[512];
	char head[16384];
	char *body;
	size_t body_len;
	long content_length; /* -1: none */
};

/* A request header's value (copied into out), or "" when absent. */
static void s_header(const struct request *r, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	out[0] = '\0';
	for (const char *l = strstr(r->head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		if (strncasecmp(l + 2, name, n) == 0 && l[2 + n] == ':') {
			const char *v = l + 3 + n;
			while (*v == ' ')
				v++;
			size_t vl = strcspn(v, "\r");
			snprintf(out, len, "%.*s", (int)vl, v);
			return;
		}
	}
}

static int s_read_request(struct conn *c, struct request *r)
{
	size_t used = 0;
	char *end = NULL;
	while (!end) {
		if (used + 1 >= sizeof(r->head))
			return -1;
		ssize_t n = s_read(c, r->head + used, sizeof(r->head) - 1 - used);
		if (n <= 0)
			return -1;
		used += (size_t)n;
		r->head[used] = '\0';
		end = strstr(r->head, "\r\n\r\n");
	}
	if (sscanf(r->head, "%15s %511s", r->method, r->path) != 2)
		return -1;
	size_t head_len = (size_t)(end + 4 - r->head);
	end[2] = '\0'; /* the head ends with one CRLF, for s_header */
	char cl[32];
	s_header(r, "Content-Length", cl, sizeof(cl));
	r->content_length = cl[0] ? atol(cl) : -1;
	size_t want = r->content_length > 0 ? (size_t)r->content_length : 0;
	size_t have = used - head_len;
	r->body = xmalloc(want + 1);
	memcpy(r->body, r->head + head_len, have < want ? have : want);
	r->body_len = have < want ? have : want;
	while (r->body_len < want) {
		ssize_t n = s_read(c, r->body + r->body_len, want - r->body_len);
		if (n <= 0)
			return -1;
		r->body_len += (size_t)n;
	}
	return 0;
}

static void s_pattern(char *buf, size_t len, size_t from)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('A' + (from + i) % 26);
}

/* Status with n bytes of the pattern as body. */
static void s_send_bytes(struct conn *c, const struct request *r, int status, size_t n)
{
	s_printf(c, "HTTP/1.1 %d Whatever\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		 status, n);
	if (strcmp(r->method, "HEAD") == 0)
		return;
	char buf[65536];
	for (size_t sent = 0; sent < n;) {
		size_t k = n - sent < sizeof(buf) ? n - sent : sizeof(buf);
		s_pattern(buf, k, sent);
		if (s_write(c, buf, k) < 0)
			return;
		sent += k;
	}
}

static void s_reset(struct conn *c)
{
	struct linger lg = {1, 0}; /* close with RST */
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void s_route(struct conn *c, struct request *r)
{
	int a = 0, b = 0;
	if (sscanf(r->path, "/status/%d", &a) == 1) {
		if (a == 204 || a == 304)
			s_printf(c, "HTTP/1.1 %d X\r\nConnection: close\r\n\r\n", a);
		else {
			char body[64];
			int n = snprintf(body, sizeof(body), "body of %d", a);
			s_printf(c,
				 "HTTP/1.1 %d X\r\nContent-Length: %d\r\nLocation: /elsewhere\r\n"
				 "Connection: close\r\n\r\n%s",
				 a, n, body);
		}
	} else if (sscanf(r->path, "/bytes-status/%d/%d", &a, &b) == 2) {
		s_send_bytes(c, r, a, (size_t)b);
	} else if (sscanf(r->path, "/bytes/%d", &a) == 1) {
		s_send_bytes(c, r, 200, (size_t)a);
	} else if (strcmp(r->path, "/echo") == 0) {
		char expect[64], test[256];
		s_header(r, "Expect", expect, sizeof(expect));
		s_header(r, "X-Test", test, sizeof(test));
		s_printf(c,
			 "HTTP/1.1 200 OK\r\nX-Method: %s\r\nX-Got-Length: %ld\r\nX-Expect: %s\r\n"
			 "X-Test-Echo: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 r->method, r->content_length, expect[0] ? expect : "none", test,
			 r->body_len);
		s_write(c, r->body, r->body_len);
	} else if (strcmp(r->path, "/headers") == 0) {
		s_printf(c, "HTTP/1.1 200 OK\r\nX-One: 1\r\nx-lower: lower-value\r\n"
			    "X-Spaced: \t  padded\r\nX-One-More: 2\r\nContent-Length: 1\r\n"
			    "Connection: close\r\n\r\nh");
	} else if (strcmp(r->path, "/continue") == 0) {
		s_printf(c, "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
			    "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n"
			    "Connection: close\r\n\r\nok");
	} else if (strcmp(r->path, "/chunked") == 0) {
		s_printf(
		    c,
		    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
		for (int i = 0; i < 5; i++)
			s_printf(c, "8\r\nchunk-%d\n\r\n", i);
		s_printf(c, "0\r\n\r\n");
	} else if (sscanf(r->path, "/reset/%d", &a) == 1) {
		s_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", a * 10);
		char *buf = xmalloc((size_t)a);
		s_pattern(buf, (size_t)a, 0);
		s_write(c, buf, (size_t)a);
		free(buf);
		usleep(100000); /* let the client read it, then reset */
		s_reset(c);
	} else if (sscanf(r->path, "/short/%d", &a) == 1) {
		s_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", a * 2);
		char *buf = xmalloc((size_t)a);
		s_pattern(buf, (size_t)a, 0);
		s_write(c, buf, (size_t)a);
		free(buf);
	} else if (sscanf(r->path, "/slow/%d", &a) == 1) {
		s_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", a * 1000);
		char buf[1000];
		for (int i = 0; i < a && !atomic_load(&c->s->stop); i++) {
			s_pattern(buf, sizeof(buf), (size_t)i * 1000);
			if (s_write(c, buf, sizeof(buf)) < 0)
				break;
			usleep(20000);
		}
	} else if (strcmp(r->path, "/hang") == 0) {
		atomic_fetch_add(&c->s->hang_started, 1);
		char buf[256];
		while (s_read(c, buf, sizeof(buf)) > 0)
			;
		if (!atomic_load(&c->s->stop))
			atomic_fetch_add(&c->s->hang_closed, 1);
	} else if (strcmp(r->path, "/whoami") == 0) {
		pthread_mutex_lock(&c->s->mu);
		char cn[128];
		snprintf(cn, sizeof(cn), "%s", c->s->client_cn);
		pthread_mutex_unlock(&c->s->mu);
		s_printf(c, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 strlen(cn), cn);
	} else {
		s_printf(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
	}
}

static void s_note_client_cert(struct conn *c)
{
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	char cn[128] = "";
	if (peer)
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
					  sizeof(cn));
	X509_free(peer);
	pthread_mutex_lock(&c->s->mu);
	snprintf(c->s->client_cn, sizeof(c->s->client_cn), "%s", cn);
	pthread_mutex_unlock(&c->s->mu);
}

static void *s_conn_main(void *arg)
{
	struct conn *c = arg;
	struct request r = {0};
	if (c->s->tls) {
		c->ssl = SSL_new(c->s->tls);
		SSL_set_fd(c->ssl, c->fd);
		if (SSL_accept(c->ssl) != 1)
			goto out;
		s_note_client_cert(c);
	}
	if (s_read_request(c, &r) == 0)
		s_route(c, &r);
	if (c->ssl)
		SSL_shutdown(c->ssl);
out:
	if (c->ssl)
		SSL_free(c->ssl);
	close(c->fd);
	free(r.body);
	atomic_fetch_sub(&c->s->active, 1);
	free(c);
	return NULL;
}

static void *s_accept_main(void *arg)
{
	struct srv *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = {.fd = s->lfd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		struct conn *c = xcalloc(1, sizeof(*c));
		c->s = s;
		c->fd = fd;
		atomic_fetch_add(&s->active, 1);
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, s_conn_main, c) != 0) {
			close(fd);
			free(c);
			atomic_fetch_sub(&s->active, 1);
		}
		pthread_attr_destroy(&at);
	}
	return NULL;
}

/* A listening socket on 127.0.0.1 at a port the kernel picks. */
static int s_listen(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0)
		fail_msg("cannot listen: %s", strerror(errno));
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

static struct srv *s_srv_start(SSL_CTX *tls)
{
	struct srv *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->tls = tls;
	s->lfd = s_listen(&s->port);
	if (pthread_create(&s->thread, NULL, s_accept_main, s) != 0)
		fail_msg("cannot start the server thread");
	return s;
}

static void s_srv_stop(struct srv *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	int64_t until = timeutil_mono_ms() + 10000;
	while (atomic_load(&s->active) > 0 && timeutil_mono_ms() < until)
		usleep(10000);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* --- the client side ------------------------------------------------------------ */

struct res {
	int done;
	long status;
	CURLcode code;
	struct err err;
	char *body;
	size_t body_len;
	struct curl_slist *headers;
	/* on_data */
	char *data;
	size_t data_len;
	int data_calls;
	long data_status;
	int abort_at; /* on_data fails on this call (1-based) */
	/* on_progress */
	int prog_calls;
	uint64_t prog_done, prog_total;
	bool prog_backwards;
	/* cancel another call from on_done */
	struct evloop *loop;
	struct http_call **victim;
	int *shared_done;
};

static void s_on_done(void *ctx, struct http_response *resp)
{
	struct res *r = ctx;
	r->done++;
	if (r->shared_done)
		++*r->shared_done;
	r->status = resp->status;
	r->code = resp->curl_code;
	r->err = resp->err;
	r->body = xmalloc(resp->body_len + 1);
	memcpy(r->body, resp->body, resp->body_len + 1);
	r->body_len = resp->body_len;
	for (struct curl_slist *h = resp->headers; h; h = h->next)
		r->headers = curl_slist_append(r->headers, h->data);
	if (r->victim && *r->victim) {
		http_cancel(r->loop, *r->victim);
		*r->victim = NULL;
	}
}

static int s_on_data(void *ctx, long status, const char *buf, size_t len)
{
	struct res *r = ctx;
	r->data_calls++;
	r->data_status = status;
	if (r->abort_at && r->data_calls >= r->abort_at)
		return -1;
	r->data = xrealloc(r->data, r->data_len + len + 1);
	memcpy(r->data + r->data_len, buf, len);
	r->data_len += len;
	return 0;
}

static void s_on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct res *r = ctx;
	r->prog_calls++;
	if (total > 0 && total == r->prog_total && done < r->prog_done)
		r->prog_backwards = true;
	if (total > 0) {
		r->prog_done = done;
		r->prog_total = total;
	}
}

static const char *s_hdr(const struct res *r, const char *name)
{
	struct http_response fake = {.headers = r->headers};
	return http_response_header(&fake, name);
}

static void s_res_cleanup(struct res *r)
{
	free(r->body);
	free(r->data);
	curl_slist_free_all(r->headers);
	memset(r, 0, sizeof(*r));
}

struct fx {
	struct evloop *loop;
	struct srv *srv;
	char base[64]; /* http://127.0.0.1:port */
};

static struct fx s_fx;

static int s_setup(void **state)
{
	struct err e = {0};
	s_fx.loop = evloop_new(&e);
	s_fx.srv = s_srv_start(NULL);
	snprintf(s_fx.base, sizeof(s_fx.base), "http://127.0.0.1:%d", s_fx.srv->port);
	*state = &s_fx;
	alarm(WATCHDOG_S);
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	s_srv_stop(f->srv);
	evloop_free(f->loop);
	alarm(0);
	return 0;
}

static struct http_request *s_req(struct fx *f, const char *method, const char *path, struct res *r)
{
	char *url = xasprintf("%s%s", f->base, path);
	struct http_request *q = http_request_new(method, url);
	free(url);
	q->on_done = s_on_done;
	q->ctx = r;
	q->timeout_ms = 30000;
	return q;
}

static void s_wait(struct evloop *l, const int *done, int want)
{
	int64_t until = timeutil_mono_ms() + 30000;
	while (*done < want && timeutil_mono_ms() < until)
		evloop_run_once(l, 100);
}

/* Submits q and waits for its answer, which must come exactly once. */
static void s_do(struct fx *f, struct http_request *q, struct res *r)
{
	struct err e = {0};
	struct http_call *c = http_submit(f->loop, q, &e);
	if (!c)
		fail_msg("http_submit: %s", e.msg);
	assert_int_equal(r->done, 0); /* never from inside http_submit */
	s_wait(f->loop, &r->done, 1);
	for (int i = 0; i < 3; i++)
		evloop_run_once(f->loop, 5);
	assert_int_equal(r->done, 1);
	assert_int_equal(evloop_transfers(f->loop), 0);
}

static void s_assert_pattern(const char *buf, size_t len, size_t from)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (char)('A' + (from + i) % 26))
			fail_msg("byte %zu is wrong", from + i);
}

/* --- plain HTTP ------------------------------------------------------------------ */

static void test_get_buffered(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	s_do(f, s_req(f, "GET", "/bytes/100000", &r), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.code, CURLE_OK);
	assert_int_equal(r.err.code, ERR_NONE);
	assert_int_equal(r.body_len, 100000);
	assert_int_equal(r.body[r.body_len], '\0');
	s_assert_pattern(r.body, r.body_len, 0);
	assert_string_equal(s_hdr(&r, "Content-Length"), "100000");
	s_res_cleanup(&r);
}

static void test_status_codes(void **state)
{
	struct fx *f = *state;
	int codes[] = {200, 201, 202, 204, 301, 302, 304, 400, 401,
		       403, 404, 409, 410, 429, 500, 502, 503};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct res r = {0};
		char path[32], want[32];
		snprintf(path, sizeof(path), "/status/%d", codes[i]);
		s_do(f, s_req(f, "GET", path, &r), &r);
		assert_int_equal(r.status, codes[i]);
		/* An HTTP error is an answer, not a failed transfer. */
		assert_int_equal(r.code, CURLE_OK);
		assert_int_equal(r.err.code, ERR_NONE);
		assert_non_null(r.body);
		if (codes[i] == 204 || codes[i] == 304) {
			assert_int_equal(r.body_len, 0);
		} else {
			snprintf(want, sizeof(want), "body of %d", codes[i]);
			assert_string_equal(r.body, want);
		}
		/* Redirects are not followed. */
		if (codes[i] == 301 || codes[i] == 302)
			assert_string_equal(s_hdr(&r, "Location"), "/elsewhere");
		s_res_cleanup(&r);
	}
}

/* With on_data: 2xx and 3xx bodies stream, >= 400 bodies are buffered. */
static void test_stream_success_buffer_errors(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	struct http_request *q = s_req(f, "GET", "/bytes/5000000", &r);
	q->on_data = s_on_data;
	q->max_body_bytes = 1000; /* limits buffering only, not streams */
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_NONE);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.data_status, 200);
	assert_int_equal(r.data_len, 5000000);
	assert_true(r.data_calls > 1);
	s_assert_pattern(r.data, r.data_len, 0);
	assert_non_null(r.body);
	assert_int_equal(r.body_len, 0);
	s_res_cleanup(&r);

	int errors[] = {400, 404, 409, 500, 503};
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/bytes-status/%d/3000", errors[i]);
		q = s_req(f, "GET", path, &r);
		q->on_data = s_on_data;
		s_do(f, q, &r);
		assert_int_equal(r.status, errors[i]);
		assert_int_equal(r.err.code, ERR_NONE);
		assert_int_equal(r.data_calls, 0);
		assert_int_equal(r.body_len, 3000);
		s_assert_pattern(r.body, 3000, 0);
		s_res_cleanup(&r);
	}
	q = s_req(f, "GET", "/bytes-status/302/100", &r);
	q->on_data = s_on_data;
	s_do(f, q, &r);
	assert_int_equal(r.status, 302);
	assert_int_equal(r.data_len, 100);
	assert_int_equal(r.data_status, 302);
	s_res_cleanup(&r);
}

static void test_max_body_bytes(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	struct http_request *q = s_req(f, "GET", "/bytes/1000", &r);
	q->max_body_bytes = 1000;
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_NONE);
	assert_int_equal(r.body_len, 1000);
	s_res_cleanup(&r);
	q = s_req(f, "GET", "/bytes/1001", &r);
	q->max_body_bytes = 1000;
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_PROTO);
	assert_non_null(strstr(r.err.msg, "larger than 1000"));
	assert_int_not_equal(r.code, CURLE_OK);
	s_res_cleanup(&r);
	/* An error body, buffered beside a stream, is bounded too. */
	q = s_req(f, "GET", "/bytes-status/500/5000", &r);
	q->on_data = s_on_data;
	q->max_body_bytes = 1000;
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_PROTO);
	assert_int_equal(r.data_calls, 0);
	s_res_cleanup(&r);
	/* The default bound is 16 MiB. */
	q = s_req(f, "GET", "/bytes/16777216", &r);
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_NONE);
	assert_int_equal(r.body_len, 16777216);
	s_res_cleanup(&r);
	q = s_req(f, "GET", "/bytes/16777217", &r);
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_PROTO);
	s_res_cleanup(&r);
}

static void test_on_data_abort(void **state)
{
	struct fx *f = *state;
	struct res r = {.abort_at = 2};
	struct http_request *q = s_req(f, "GET", "/slow/50", &r);
	q->on_data = s_on_data;
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_CANCELLED);
	assert_int_equal(r.data_calls, 2);
	assert_int_not_equal(r.code, CURLE_OK);
	s_res_cleanup(&r);
}

static void test_connection_refused(void **state)
{
	struct fx *f = *state;
	int port;
	int fd = s_listen(&port);
	close(fd); /* nobody listens there now */
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	struct res r = {0};
	struct http_request *q = http_request_new("GET", url);
	q->on_done = s_on_done;
	q->ctx = &r;
	s_do(f, q, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.err.code, ERR_NET);
	assert_non_null(strstr(r.err.msg, url));
	assert_int_equal(r.code, CURLE_COULDNT_CONNECT);
	s_res_cleanup(&r);
}

static void test_reset_and_short_bodies(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	s_do(f, s_req(f, "GET", "/reset/50000", &r), &r);
	assert_int_equal(r.err.code, ERR_NET);
	assert_int_not_equal(r.code, CURLE_OK);
	assert_null(strchr(r.err.msg, '\n'));
	s_res_cleanup(&r);
	/* Streaming: what arrived was delivered, then the failure. */
	struct http_request *q = s_req(f, "GET", "/reset/50000", &r);
	q->on_data = s_on_data;
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_NET);
	assert_true(r.data_len <= 50000);
	s_assert_pattern(r.data ? r.data : "", r.data_len, 0);
	s_res_cleanup(&r);
	/* The server closes before Content-Length bytes. */
	s_do(f, s_req(f, "GET", "/short/1000", &r), &r);
	assert_int_equal(r.err.code, ERR_NET);
	assert_int_equal(r.code, CURLE_PARTIAL_FILE);
	s_res_cleanup(&r);
}

static char s_file[512];

static int s_make_file(size_t len)
{
	snprintf(s_file, sizeof(s_file), "%s/http-upload-%d.bin", AFT_TEST_TMP, (int)getpid());
	char *buf = xmalloc(len);
	s_pattern(buf, len, 0);
	FILE *fp = fopen(s_file, "wb");
	fwrite(buf, 1, len, fp);
	fclose(fp);
	free(buf);
	int fd = open(s_file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void test_upload_file_range(void **state)
{
	struct fx *f = *state;
	int fd = s_make_file(1 << 20);
	const char *methods[] = {"PUT", "POST"};
	for (int m = 0; m < 2; m++) {
		struct res r = {0};
		struct http_request *q = s_req(f, methods[m], "/echo", &r);
		q->body_fd = fd;
		q->body_offset = 12345;
		q->body_length = 300000;
		s_do(f, q, &r);
		assert_int_equal(r.err.code, ERR_NONE);
		assert_int_equal(r.status, 200);
		assert_string_equal(s_hdr(&r, "X-Method"), methods[m]);
		assert_string_equal(s_hdr(&r, "X-Got-Length"), "300000");
		assert_string_equal(s_hdr(&r, "X-Expect"), "none"); /* no 100-continue */
		assert_int_equal(r.body_len, 300000);
		s_assert_pattern(r.body, r.body_len, 12345);
		s_res_cleanup(&r);
	}
	/* An empty range and the last byte. */
	struct res r = {0};
	struct http_request *q = s_req(f, "PUT", "/echo", &r);
	q->body_fd = fd;
	q->body_offset = 100;
	q->body_length = 0;
	s_do(f, q, &r);
	assert_string_equal(s_hdr(&r, "X-Got-Length"), "0");
	assert_int_equal(r.body_len, 0);
	s_res_cleanup(&r);
	q = s_req(f, "PUT", "/echo", &r);
	q->body_fd = fd;
	q->body_offset = (1 << 20) - 1;
	q->body_length = 1;
	s_do(f, q, &r);
	assert_int_equal(r.body_len, 1);
	s_assert_pattern(r.body, 1, (1 << 20) - 1);
	s_res_cleanup(&r);
	/* A range past the end of the file cannot be read: the call says so. */
	q = s_req(f, "PUT", "/echo", &r);
	q->body_fd = fd;
	q->body_offset = (1 << 20) - 10;
	q->body_length = 1000;
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_IO);
	assert_non_null(strstr(r.err.msg, "cannot read the upload"));
	s_res_cleanup(&r);
	close(fd);
	unlink(s_file);
}

static void test_memory_bodies_and_headers(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	const char bin[] = "a\0b\0\r\n\xff binary";
	struct http_request *q = s_req(f, "POST", "/echo", &r);
	http_request_body(q, bin, sizeof(bin));
	http_request_header(q, "X-Test", "hello world");
	http_request_header(q, "Content-Type", "application/octet-stream");
	s_do(f, q, &r);
	assert_int_equal(r.body_len, sizeof(bin));
	assert_memory_equal(r.body, bin, sizeof(bin));
	assert_string_equal(s_hdr(&r, "X-Test-Echo"), "hello world");
	assert_string_equal(s_hdr(&r, "X-Method"), "POST");
	assert_string_equal(s_hdr(&r, "X-Expect"), "none");
	s_res_cleanup(&r);
	/* PUT and POST without a body send an empty one. */
	const char *methods[] = {"PUT", "POST"};
	for (int m = 0; m < 2; m++) {
		s_do(f, s_req(f, methods[m], "/echo", &r), &r);
		assert_string_equal(s_hdr(&r, "X-Method"), methods[m]);
		assert_string_equal(s_hdr(&r, "X-Got-Length"), "0");
		s_res_cleanup(&r);
	}
	/* Other methods go as they are. */
	q = s_req(f, "PATCH", "/echo", &r);
	http_request_body(q, "{}", 2);
	s_do(f, q, &r);
	assert_string_equal(s_hdr(&r, "X-Method"), "PATCH");
	assert_string_equal(r.body, "{}");
	s_res_cleanup(&r);
	s_do(f, s_req(f, "DELETE", "/echo", &r), &r);
	assert_string_equal(s_hdr(&r, "X-Method"), "DELETE");
	s_res_cleanup(&r);
}

static void test_response_headers(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	s_do(f, s_req(f, "GET", "/headers", &r), &r);
	assert_string_equal(s_hdr(&r, "x-one"), "1");
	assert_string_equal(s_hdr(&r, "X-ONE-MORE"), "2");
	assert_string_equal(s_hdr(&r, "X-Lower"), "lower-value");
	assert_string_equal(s_hdr(&r, "X-Spaced"), "padded");
	assert_null(s_hdr(&r, "X-On"));
	assert_null(s_hdr(&r, "X-Missing"));
	s_res_cleanup(&r);
	/* Only the final answer's headers count (not a 100 Continue's). */
	s_do(f, s_req(f, "GET", "/continue", &r), &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok");
	assert_string_equal(s_hdr(&r, "X-Final"), "yes");
	assert_null(s_hdr(&r, "X-Interim"));
	s_res_cleanup(&r);
	/* HEAD: headers, no body. */
	s_do(f, s_req(f, "HEAD", "/bytes/777", &r), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.err.code, ERR_NONE);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(s_hdr(&r, "Content-Length"), "777");
	s_res_cleanup(&r);
	/* A chunked answer arrives whole. */
	s_do(f, s_req(f, "GET", "/chunked", &r), &r);
	assert_string_equal(r.body, "chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n");
	s_res_cleanup(&r);
}

static void test_progress(void **state)
{
	struct fx *f = *state;
	int fd = s_make_file(2 << 20);
	struct res r = {0};
	struct http_request *q = s_req(f, "PUT", "/echo", &r);
	q->body_fd = fd;
	q->body_length = 2 << 20;
	q->on_progress = s_on_progress;
	s_do(f, q, &r);
	assert_int_equal(r.err.code, ERR_NONE);
	assert_true(r.prog_calls > 0);
	assert_int_equal(r.prog_total, 2 << 20);
	assert_int_equal(r.prog_done, 2 << 20);
	assert_false(r.prog_backwards);
	s_res_cleanup(&r);
	close(fd);
	unlink(s_file);
	/* Download progress. */
	q = s_req(f, "GET", "/slow/40", &r);
	q->on_progress = s_on_progress;
	s_do(f, q, &r);
	assert_true(r.prog_calls > 1);
	assert_int_equal(r.prog_total, 40000);
	assert_int_equal(r.prog_done, 40000);
	assert_false(r.prog_backwards);
	s_res_cleanup(&r);
}

static void test_cancel(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	struct err e = {0};
	/* A call the server never answers: cancel it once the server has it. */
	struct http_call *c = http_submit(f->loop, s_req(f, "GET", "/hang", &r), &e);
	assert_non_null(c);
	int64_t until = timeutil_mono_ms() + 10000;
	while (atomic_load(&f->srv->hang_started) < 1 && timeutil_mono_ms() < until)
		evloop_run_once(f->loop, 50);
	assert_int_equal(atomic_load(&f->srv->hang_started), 1);
	http_cancel(f->loop, c);
	assert_int_equal(evloop_transfers(f->loop), 0);
	/* The connection is closed: the server sees its client go. */
	until = timeutil_mono_ms() + 10000;
	while (atomic_load(&f->srv->hang_closed) < 1 && timeutil_mono_ms() < until) {
		evloop_run_once(f->loop, 50);
	}
	assert_int_equal(atomic_load(&f->srv->hang_closed), 1);
	assert_int_equal(r.done, 0);
	/* Cancelled right after submit, before the loop ran. */
	c = http_submit(f->loop, s_req(f, "GET", "/bytes/10", &r), &e);
	http_cancel(f->loop, c);
	/* Cancelled in the middle of a streamed body. */
	struct http_request *q = s_req(f, "GET", "/slow/200", &r);
	q->on_data = s_on_data;
	c = http_submit(f->loop, q, &e);
	until = timeutil_mono_ms() + 10000;
	while (r.data_calls < 2 && timeutil_mono_ms() < until)
		evloop_run_once(f->loop, 50);
	assert_true(r.data_calls >= 2);
	http_cancel(f->loop, c);
	int calls = r.data_calls;
	for (int i = 0; i < 10; i++)
		evloop_run_once(f->loop, 20);
	assert_int_equal(r.done, 0);
	assert_int_equal(r.data_calls, calls);
	http_cancel(f->loop, NULL);
	s_res_cleanup(&r);
}

/* on_done may cancel another call that is still in flight or has ended in
 * the same loop iteration: that one then never reports. */
static void test_cancel_another_from_on_done(void **state)
{
	struct fx *f = *state;
	for (int round = 0; round < 20; round++) {
		int done = 0;
		struct http_call *a = NULL, *b = NULL;
		struct res ra = {.loop = f->loop, .victim = &b, .shared_done = &done};
		struct res rb = {.loop = f->loop, .victim = &a, .shared_done = &done};
		struct err e = {0};
		a = http_submit(f->loop, s_req(f, "GET", "/bytes/10", &ra), &e);
		b = http_submit(f->loop, s_req(f, "GET", "/bytes/10", &rb), &e);
		s_wait(f->loop, &done, 1);
		for (int i = 0; i < 10; i++)
			evloop_run_once(f->loop, 10);
		assert_int_equal(done, 1);
		assert_int_equal(ra.done + rb.done, 1);
		assert_int_equal(evloop_transfers(f->loop), 0);
		s_res_cleanup(&ra);
		s_res_cleanup(&rb);
	}
}

static void test_timeout(void **state)
{
	struct fx *f = *state;
	struct res r = {0};
	struct http_request *q = s_req(f, "GET", "/hang", &r);
	q->timeout_ms = 300;
	int64_t t0 = timeutil_mono_ms();
	s_do(f, q, &r);
	int64_t took = timeutil_mono_ms() - t0;
	assert_int_equal(r.err.code, ERR_NET);
	assert_int_equal(r.code, CURLE_OPERATION_TIMEDOUT);
	assert_true(took >= 250);
	assert_true(took < 5000);
	s_res_cleanup(&r);
}

/* Many calls at once, and calls started from on_done, all complete. */
struct chain {
	struct fx *f;
	int left, done;
	bool bad;
};

static void s_chain_done(void *ctx, struct http_response *resp)
{
	struct chain *ch = ctx;
	ch->done++;
	if (resp->status != 200 || resp->body_len != 64)
		ch->bad = true;
	if (--ch->left > 0) {
		char *url = xasprintf("%s/bytes/64", ch->f->base);
		struct http_request *q = http_request_new("GET", url);
		free(url);
		q->on_done = s_chain_done;
		q->ctx = ch;
		struct err e = {0};
		if (!http_submit(ch->f->loop, q, &e))
			ch->bad = true;
	}
}

static void test_parallel_and_chained(void **state)
{
	struct fx *f = *state;
	enum { N = 40 };
	struct res r[N];
	memset(r, 0, sizeof(r));
	int done = 0;
	for (int i = 0; i < N; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/bytes/%d", 1000 + i * 997);
		r[i].shared_done = &done;
		struct err e = {0};
		assert_non_null(http_submit(f->loop, s_req(f, "GET", path, &r[i]), &e));
	}
	assert_int_equal(evloop_transfers(f->loop), N);
	s_wait(f->loop, &done, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(r[i].done, 1);
		assert_int_equal(r[i].body_len, (size_t)(1000 + i * 997));
		s_assert_pattern(r[i].body, r[i].body_len, 0);
		s_res_cleanup(&r[i]);
	}
	struct chain ch = {f, 10, 0, false};
	char *url = xasprintf("%s/bytes/64", f->base);
	struct http_request *q = http_request_new("GET", url);
	free(url);
	q->on_done = s_chain_done;
	q->ctx = &ch;
	struct err e = {0};
	http_submit(f->loop, q, &e);
	s_wait(f->loop, &ch.done, 10);
	assert_int_equal(ch.done, 10);
	assert_false(ch.bad);
}

static void test_bad_urls(void **state)
{
	struct fx *f = *state;
	const char *urls[] = {"nosuchscheme://host/x", "http://", "http://127.0.0.1:99999/x"};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct res r = {0};
		struct http_request *q = http_request_new("GET", urls[i]);
		q->on_done = s_on_done;
		q->ctx = &r;
		struct err e = {0};
		struct http_call *c = http_submit(f->loop, q, &e);
		if (c) { /* accepted: it must then fail through on_done, once */
			s_wait(f->loop, &r.done, 1);
			assert_int_equal(r.done, 1);
			assert_int_not_equal(r.err.code, ERR_NONE);
			assert_int_equal(r.status, 0);
		} else {
			assert_int_not_equal(e.code, ERR_NONE);
		}
		s_res_cleanup(&r);
	}
}

static void test_escape(void **state)
{
	(void)state;
	struct {
		const char *in;
		bool keep;
		const char *out;
	} t[] = {
	    {"AZaz09-_.~", false, "AZaz09-_.~"},
	    {"a b", false, "a%20b"},
	    {"a/b c", true, "a/b%20c"},
	    {"a/b", false, "a%2Fb"},
	    {"ü", false, "%C3%BC"},
	    {"+&=?#%", false, "%2B%26%3D%3F%23%25"},
	    {"", false, ""},
	    {"team/proj/0f8f/out dir/ü.txt", true, "team/proj/0f8f/out%20dir/%C3%BC.txt"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *s = http_escape(t[i].in, t[i].keep);
		assert_string_equal(s, t[i].out);
		free(s);
	}
}

/* --- TLS ------------------------------------------------------------------------ */

struct pki {
	EVP_PKEY *ca_key, *srv_key, *cli_key;
	X509 *ca, *srv, *cli;
	char *ca_pem, *cli_pem, *cli_key_pem;
	char ca_file[512];
};

static struct pki s_pki;

static void s_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!ext)
		fail_msg("cannot make extension %d=%s", nid, value);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
}

static X509 *s_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		    const char *san, const char *eku)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509 *iss = issuer ? issuer : x;
	s_ext(x, iss, NID_subject_key_identifier, "hash");
	if (!issuer) {
		s_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
		s_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		s_ext(x, iss, NID_authority_key_identifier, "keyid:always");
		s_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
		s_ext(x, iss, NID_key_usage, "critical,digitalSignature");
		s_ext(x, iss, NID_ext_key_usage, eku);
		if (san)
			s_ext(x, iss, NID_subject_alt_name, san);
	}
	if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()))
		fail_msg("cannot sign %s", cn);
	return x;
}

static char *s_pem_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = xstrndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static char *s_pem_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = xstrndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static int s_tls_group_setup(void **state)
{
	(void)state;
	struct pki *p = &s_pki;
	p->ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->cli_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->ca = s_cert(p->ca_key, "aftomato test CA", NULL, NULL, NULL, NULL);
	/* The server is "localhost" and "aft.test", but not 127.0.0.1. */
	p->srv = s_cert(p->srv_key, "localhost", p->ca, p->ca_key, "DNS:localhost,DNS:aft.test",
			"serverAuth");
	p->cli = s_cert(p->cli_key, "aft-client", p->ca, p->ca_key, NULL, "clientAuth");
	p->ca_pem = s_pem_cert(p->ca);
	p->cli_pem = s_pem_cert(p->cli);
	p->cli_key_pem = s_pem_key(p->cli_key);
	snprintf(p->ca_file, sizeof(p->ca_file), "%s/http-ca-%d.pem", AFT_TEST_TMP, (int)getpid());
	FILE *fp = fopen(p->ca_file, "w");
	fputs(p->ca_pem, fp);
	fclose(fp);
	return 0;
}

static int s_tls_group_teardown(void **state)
{
	(void)state;
	struct pki *p = &s_pki;
	X509_free(p->ca);
	X509_free(p->srv);
	X509_free(p->cli);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->srv_key);
	EVP_PKEY_free(p->cli_key);
	free(p->ca_pem);
	free(p->cli_pem);
	free(p->cli_key_pem);
	unlink(p->ca_file);
	return 0;
}

static SSL_CTX *s_server_ctx(bool require_client_cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(ctx, s_pki.srv);
	SSL_CTX_use_PrivateKey(ctx, s_pki.srv_key);
	if (require_client_cert) {
		X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), s_pki.ca);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
}

/* One HTTPS call: host is "localhost" or "127.0.0.1"; tls options set by
 * the caller through the request. */
static struct http_request *s_tls_req(struct srv *s, const char *host, const char *path,
				      struct res *r)
{
	char *url = xasprintf("https://%s:%d%s", host, s->port, path);
	struct http_request *q = http_request_new("GET", url);
	free(url);
	q->on_done = s_on_done;
	q->ctx = r;
	q->timeout_ms = 20000;
	return q;
}

static void s_tls_expect(struct evloop *l, struct http_request *q, struct res *r, bool ok)
{
	struct err e = {0};
	if (!http_submit(l, q, &e))
		fail_msg("http_submit: %s", e.msg);
	s_wait(l, &r->done, 1);
	assert_int_equal(r->done, 1);
	if (ok) {
		if (r->err.code != ERR_NONE)
			fail_msg("TLS call failed: %s", r->err.msg);
		assert_int_equal(r->status, 200);
	} else {
		assert_int_equal(r->err.code, ERR_NET);
		assert_int_equal(r->status, 0);
	}
	s_res_cleanup(r);
}

static void test_tls_server_verification(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct err e = {0};
	struct evloop *l = evloop_new(&e);
	SSL_CTX *ctx = s_server_ctx(false);
	struct srv *s = s_srv_start(ctx);
	struct res r = {0};
	/* The CA as PEM data (kubeconfig certificate-authority-data). */
	struct http_request *q = s_tls_req(s, "localhost", "/bytes/5000", &r);
	q->tls.ca_pem = xstrdup(s_pki.ca_pem);
	s_tls_expect(l, q, &r, true);
	/* The CA as a file. */
	q = s_tls_req(s, "localhost", "/bytes/10", &r);
	q->tls.ca_file = xstrdup(s_pki.ca_file);
	s_tls_expect(l, q, &r, true);
	/* Unknown CA (system store): refused. */
	q = s_tls_req(s, "localhost", "/bytes/10", &r);
	s_tls_expect(l, q, &r, false);
	/* The name does not match (the certificate has no IP address). */
	q = s_tls_req(s, "127.0.0.1", "/bytes/10", &r);
	q->tls.ca_pem = xstrdup(s_pki.ca_pem);
	s_tls_expect(l, q, &r, false);
	/* tls-server-name: connect to 127.0.0.1, verify as aft.test. */
	q = s_tls_req(s, "127.0.0.1", "/bytes/10", &r);
	q->tls.ca_pem = xstrdup(s_pki.ca_pem);
	q->tls.server_name = xstrdup("aft.test");
	s_tls_expect(l, q, &r, true);
	q = s_tls_req(s, "127.0.0.1", "/bytes/10", &r);
	q->tls.ca_pem = xstrdup(s_pki.ca_pem);
	q->tls.server_name = xstrdup("other.test");
	s_tls_expect(l, q, &r, false);
	/* insecure-skip-tls-verify: anything goes. */
	q = s_tls_req(s, "127.0.0.1", "/bytes/10", &r);
	q->tls.insecure = true;
	s_tls_expect(l, q, &r, true);
	s_srv_stop(s);
	SSL_CTX_free(ctx);
	evloop_free(l);
	alarm(0);
}

static void test_tls_client_certificate(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct err e = {0};
	struct evloop *l = evloop_new(&e);
	SSL_CTX *ctx = s_server_ctx(true);
	struct srv *s = s_srv_start(ctx);
	struct res r = {0};
	struct http_request *q = s_tls_req(s, "localhost", "/whoami", &r);
	q->tls.ca_pem = xstrdup(s_pki.ca_pem);
	q->tls.cert_pem = xstrdup(s_pki.cli_pem);
	q->tls.key_pem = xstrdup(s_pki.cli_key_pem);
	assert_int_equal(http_submit(l, q, &e) != NULL, 1);
	s_wait(l, &r.done, 1);
	if (r.err.code != ERR_NONE)
		fail_msg("mTLS call failed: %s", r.err.msg);
	assert_string_equal(r.body, "aft-client");
	s_res_cleanup(&r);
	/* Without a client certificate the server refuses the handshake. */
	q = s_tls_req(s, "localhost", "/whoami", &r);
	q->tls.ca_pem = xstrdup(s_pki.ca_pem);
	s_tls_expect(l, q, &r, false);
	s_srv_stop(s);
	SSL_CTX_free(ctx);
	evloop_free(l);
	alarm(0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* Hermetic: libcurl would send loopback calls to a proxy from the
	 * environment. */
	const char *proxies[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
				 "ALL_PROXY"};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	curl_global_init(CURL_GLOBAL_ALL);
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_get_buffered),
	    T(test_status_codes),
	    T(test_stream_success_buffer_errors),
	    T(test_max_body_bytes),
	    T(test_on_data_abort),
	    T(test_connection_refused),
	    T(test_reset_and_short_bodies),
	    T(test_upload_file_range),
	    T(test_memory_bodies_and_headers),
	    T(test_response_headers),
	    T(test_progress),
	    T(test_cancel),
	    T(test_cancel_another_from_on_done),
	    T(test_timeout),
	    T(test_parallel_and_chained),
	    T(test_bad_urls),
	    cmocka_unit_test(test_escape),
	};
	const struct CMUnitTest tls_tests[] = {
	    cmocka_unit_test(test_tls_server_verification),
	    cmocka_unit_test(test_tls_client_certificate),
	};
#undef T
	int rc = cmocka_run_group_tests_name("http", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("https", tls_tests, s_tls_group_setup,
					  s_tls_group_teardown);
	curl_global_cleanup();
	return rc;
}
