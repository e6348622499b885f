/* sigv4: AWS Signature Version 4 signing on OpenSSL 3 EVP. See sigv4.h for the
 * contract (wire-form path, S3 versus default rules, header handling).
 *
 * Hand-written here: the canonicalisation rules (URI encoding per SigV4, path
 * normalisation, header trimming and merging, query sorting). No library in the
 * dependency set implements them: libcurl's escaping is close but differs for '/',
 * and the rules are small enough to keep beside the stages that use them. The
 * cryptography is all OpenSSL (EVP_Digest, EVP_Q_mac). */
#include "sigv4.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "xmem.h"

#define S_SCOPE_TERMINATOR "aws4_request"
#define S_FILE_BLOCK_BYTES (64 * 1024)

/* ---------------------------------------------------------------- buffers */

struct s_buf {
	char *data;
	size_t len;
	size_t cap;
};

static void s_buf_add(struct s_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void s_buf_str(struct s_buf *b, const char *s)
{
	s_buf_add(b, s, strlen(s));
}

static void s_buf_chr(struct s_buf *b, char c)
{
	s_buf_add(b, &c, 1);
}

/* Hands the (always NUL-terminated) contents to the caller and empties b. */
static char *s_buf_take(struct s_buf *b)
{
	if (!b->data)
		s_buf_add(b, "", 0);
	char *d = b->data;
	memset(b, 0, sizeof(*b));
	return d;
}

/* ------------------------------------------------------- character classes */

static bool s_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static bool s_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* An RFC 9110 token (header names, methods). */
static bool s_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!s_unreserved((unsigned char)*s) && !strchr("!#$%&'*+^`|", *s))
			return false;
	return true;
}

/* Printable ASCII without spaces (or with, when spaces_ok) and non-empty. */
static bool s_printable(const char *s, bool spaces_ok)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < (spaces_ok ? 0x20 : 0x21) || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int s_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void s_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---------------------------------------------------------- URI encoding */

static void s_encode_into(struct s_buf *b, const char *s, size_t len, bool encode_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t run = 0; /* bytes copied as they are, flushed in one go */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (s_unreserved(c) || (c == '/' && !encode_slash)) {
			run++;
			continue;
		}
		s_buf_add(b, s + i - run, run);
		run = 0;
		char esc[3] = {'%', digits[c >> 4], digits[c & 15]};
		s_buf_add(b, esc, sizeof(esc));
	}
	s_buf_add(b, s + len - run, run);
}

char *sigv4_uri_encode(const char *s, size_t len, bool encode_slash)
{
	struct s_buf b = {0};
	s_encode_into(&b, s ? s : "", s ? len : 0, encode_slash);
	return s_buf_take(&b);
}

char *sigv4_uri_decode(const char *s, size_t len, size_t *out_len)
{
	struct s_buf b = {0};
	for (size_t i = 0; s && i < len; i++) {
		int hi = -1, lo = -1;
		if (s[i] == '%' && len - i >= 3) {
			hi = s_hex_value((unsigned char)s[i + 1]);
			lo = s_hex_value((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			s_buf_chr(&b, (char)(hi << 4 | lo));
			i += 2;
		} else {
			s_buf_chr(&b, s[i]);
		}
	}
	if (out_len)
		*out_len = b.len;
	return s_buf_take(&b);
}

/* True when path is in the encoder's output form: unreserved bytes, '/' and %XX
 * with uppercase hex. On false, *bad is the offset of the first offending byte. */
static bool s_is_encoded_path(const char *path, size_t *bad)
{
	for (size_t i = 0; path[i]; i++) {
		unsigned char c = (unsigned char)path[i];
		if (s_unreserved(c) || c == '/')
			continue;
		if (c == '%' && path[i + 1] && strchr("0123456789ABCDEF", path[i + 1]) &&
		    path[i + 2] && strchr("0123456789ABCDEF", path[i + 2])) {
			i += 2;
			continue;
		}
		*bad = i;
		return false;
	}
	return true;
}

/* Removes empty and '.' segments and resolves '..' (never above the root); keeps
 * a trailing slash when the path had one and something is left. New string. */
static char *s_normalize_path(const char *path)
{
	size_t n = strlen(path);
	struct {
		size_t off, len;
	} *seg = xmalloc((n + 1) * sizeof(*seg));
	size_t count = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && path[i] == '/')
			i++;
		size_t start = i;
		while (i < n && path[i] != '/')
			i++;
		size_t len = i - start;
		if (len == 0 || (len == 1 && path[start] == '.'))
			continue;
		if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (count)
				count--;
			continue;
		}
		seg[count].off = start;
		seg[count].len = len;
		count++;
	}
	struct s_buf b = {0};
	s_buf_chr(&b, '/');
	for (size_t i = 0; i < count; i++) {
		if (i)
			s_buf_chr(&b, '/');
		s_buf_add(&b, path + seg[i].off, seg[i].len);
	}
	if (count && path[n - 1] == '/')
		s_buf_chr(&b, '/');
	free(seg);
	return s_buf_take(&b);
}

/* ------------------------------------------------------------ crypto */

static int s_hmac(const void *key, size_t key_len, const void *data, size_t len,
		  unsigned char out[SIGV4_KEY_LEN], struct err *e)
{
	size_t out_len = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data, len, out,
		       SIGV4_KEY_LEN, &out_len) ||
	    out_len != SIGV4_KEY_LEN) {
		ERR_clear_error();
		OPENSSL_cleanse(out, SIGV4_KEY_LEN);
		return err_set(e, ERR_INTERNAL, "sigv4: HMAC-SHA256 failed in OpenSSL");
	}
	return 0;
}

int sigv4_sha256_hex(const void *data, size_t len, char hex[SIGV4_HEX_LEN + 1], struct err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (!EVP_Digest(data ? data : "", data ? len : 0, md, &md_len, EVP_sha256(), NULL) ||
	    md_len != SIGV4_KEY_LEN) {
		ERR_clear_error();
		return err_set(e, ERR_INTERNAL, "sigv4: SHA-256 failed in OpenSSL");
	}
	s_hex(md, md_len, hex);
	return 0;
}

int sigv4_sha256_init(struct sigv4_sha256 *h, struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	h->md_ctx = ctx;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		ERR_clear_error();
		return err_set(e, ERR_INTERNAL, "sigv4: cannot start SHA-256 in OpenSSL");
	}
	return 0;
}

int sigv4_sha256_update(struct sigv4_sha256 *h, const void *data, size_t len, struct err *e)
{
	if (len && (!h->md_ctx || !EVP_DigestUpdate(h->md_ctx, data, len))) {
		ERR_clear_error();
		return err_set(e, ERR_INTERNAL, "sigv4: SHA-256 update failed in OpenSSL");
	}
	return 0;
}

int sigv4_sha256_final(struct sigv4_sha256 *h, char hex[SIGV4_HEX_LEN + 1], struct err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	if (!h->md_ctx || !EVP_DigestFinal_ex(h->md_ctx, md, &md_len) || md_len != SIGV4_KEY_LEN) {
		ERR_clear_error();
		return err_set(e, ERR_INTERNAL, "sigv4: SHA-256 final failed in OpenSSL");
	}
	s_hex(md, md_len, hex);
	return 0;
}

void sigv4_sha256_cleanup(struct sigv4_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md_ctx);
	h->md_ctx = NULL;
}

int sigv4_sha256_file(const char *path, char hex[SIGV4_HEX_LEN + 1], struct err *e)
{
	struct sigv4_sha256 h = {0};
	char *block = NULL;
	int rc = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_errno(e, errno, "cannot open %.300s", path);
		goto out;
	}
	if (sigv4_sha256_init(&h, e) < 0)
		goto out;
	block = xmalloc(S_FILE_BLOCK_BYTES);
	for (;;) {
		ssize_t n = read(fd, block, S_FILE_BLOCK_BYTES);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(e, errno, "cannot read %.300s", path);
			goto out;
		}
		if (n == 0)
			break;
		if (sigv4_sha256_update(&h, block, (size_t)n, e) < 0)
			goto out;
	}
	rc = sigv4_sha256_final(&h, hex, e);
out:
	if (fd >= 0)
		close(fd);
	free(block);
	sigv4_sha256_cleanup(&h);
	return rc;
}

/* --------------------------------------------------------- parameters */

int sigv4_format_time(time_t t, char amz_date[SIGV4_AMZ_DATE_LEN + 1], char date8[9], struct err *e)
{
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&t, &tm) ||
	    strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm) != SIGV4_AMZ_DATE_LEN)
		return err_set(e, ERR_INTERNAL, "sigv4: signing time out of range");
	if (amz_date)
		memcpy(amz_date, buf, SIGV4_AMZ_DATE_LEN + 1);
	if (date8) {
		memcpy(date8, buf, 8);
		date8[8] = '\0';
	}
	return 0;
}

static bool s_scope_part_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!s_unreserved((unsigned char)*s) || *s == '~')
			return false;
	return true;
}

/* The credential scope and the times it is made of. */
struct s_scope {
	char amz_date[SIGV4_AMZ_DATE_LEN + 1];
	char date8[9];
	char text[160]; /* date/region/service/aws4_request; parts are at most 64 bytes */
};

/* Checks time, region and service and formats the scope. */
static int s_scope_init(struct s_scope *sc, const struct sigv4_params *p, struct err *e)
{
	if (!p)
		return err_set(e, ERR_INTERNAL, "sigv4: no signing parameters");
	if (p->time_s <= 0)
		return err_set(e, ERR_INTERNAL, "sigv4: signing time not set");
	if (!s_scope_part_ok(p->region))
		return err_set(e, ERR_CONFIG, "sigv4: missing or invalid AWS region");
	if (!s_scope_part_ok(p->service))
		return err_set(e, ERR_INTERNAL, "sigv4: missing or invalid service name");
	if (sigv4_format_time(p->time_s, sc->amz_date, sc->date8, e) < 0)
		return -1;
	snprintf(sc->text, sizeof(sc->text), "%s/%.64s/%.64s/" S_SCOPE_TERMINATOR, sc->date8,
		 p->region, p->service);
	return 0;
}

static bool s_has_token(const struct sigv4_params *p)
{
	return p->session_token && *p->session_token;
}

static bool s_signs_token(const struct sigv4_params *p)
{
	return s_has_token(p) && !p->token_after_signing;
}

static bool s_adds_content_sha256(const struct sigv4_params *p, enum sigv4_mode mode)
{
	return mode == SIGV4_MODE_HEADER && (p->rules == SIGV4_RULES_S3 || p->add_content_sha256);
}

/* Checks the whole parameter set. Messages never quote a credential. */
static int s_check_params(const struct sigv4_params *p, enum sigv4_mode mode, struct s_scope *sc,
			  struct err *e)
{
	if (s_scope_init(sc, p, e) < 0)
		return -1;
	if (!p->access_key_id || !*p->access_key_id || !p->secret_access_key ||
	    !*p->secret_access_key)
		return err_set(e, ERR_AUTH, "sigv4: no AWS credentials (empty key id or secret)");
	if (!s_printable(p->access_key_id, false) || strchr(p->access_key_id, '/'))
		return err_set(e, ERR_AUTH, "sigv4: malformed access key id");
	if (s_has_token(p) && !s_printable(p->session_token, true))
		return err_set(e, ERR_AUTH, "sigv4: malformed session token");
	if (mode == SIGV4_MODE_QUERY && (p->expires_s < 1 || p->expires_s > SIGV4_MAX_EXPIRES_S))
		return err_set(e, ERR_INTERNAL, "sigv4: presign expiry %ld s is outside 1..%ld",
			       p->expires_s, SIGV4_MAX_EXPIRES_S);
	return 0;
}

/* ------------------------------------------------------- canonical parts */

/* A name/value list: canonical query parameters (both parts in canonical
 * encoding) or headers (lowercase name, normalised value, order of arrival). */
struct s_pair {
	char *name;
	char *value;
	size_t order;
};

struct s_pairs {
	struct s_pair *v;
	size_t n;
	size_t cap;
};

/* Takes ownership of name and value. */
static void s_pairs_push(struct s_pairs *ps, char *name, char *value)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->v = xrealloc(ps->v, ps->cap * sizeof(*ps->v));
	}
	ps->v[ps->n] = (struct s_pair){name, value, ps->n};
	ps->n++;
}

static void s_pairs_free(struct s_pairs *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		free(ps->v[i].value);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

/* Query parameters sort by name, then value; headers by name, then arrival. */
static int s_param_cmp(const void *a, const void *b)
{
	const struct s_pair *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	return r ? r : strcmp(x->value, y->value);
}

static int s_header_cmp(const void *a, const void *b)
{
	const struct s_pair *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	return r ? r : (x->order > y->order) - (x->order < y->order);
}

/* NULL-terminated list lookup, without case. */
static bool s_in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return true;
	return false;
}

/* Adds a query parameter given in raw (unencoded) form. */
static void s_params_add_raw(struct s_pairs *ps, const char *name, const char *value)
{
	s_pairs_push(ps, sigv4_uri_encode(name, strlen(name), true),
		     sigv4_uri_encode(value, strlen(value), true));
}

/* Re-encodes one wire-form component canonically (decode, then encode). */
static char *s_recode(const char *s, size_t len)
{
	size_t raw_len = 0;
	char *raw = sigv4_uri_decode(s, len, &raw_len);
	char *out = sigv4_uri_encode(raw, raw_len, true);
	free(raw);
	return out;
}

static void s_params_parse(struct s_pairs *ps, const char *query)
{
	for (const char *s = query ? query : ""; *s;) {
		size_t len = strcspn(s, "&");
		const char *eq = memchr(s, '=', len);
		size_t name_len = eq ? (size_t)(eq - s) : len;
		if (len)
			s_pairs_push(ps, s_recode(s, name_len),
				     s_recode(s + name_len + !!eq, len - name_len - !!eq));
		s += len + (s[len] == '&');
	}
}

// clang-format off
static const char *const s_query_signing_names[] = {
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature", NULL,
};
// clang-format on

static char *s_params_join(struct s_pairs *ps)
{
	struct s_buf b = {0};
	if (ps->n)
		qsort(ps->v, ps->n, sizeof(*ps->v), s_param_cmp);
	for (size_t i = 0; i < ps->n; i++) {
		if (i)
			s_buf_chr(&b, '&');
		s_buf_str(&b, ps->v[i].name);
		s_buf_chr(&b, '=');
		s_buf_str(&b, ps->v[i].value);
	}
	return s_buf_take(&b);
}

/* Headers proxies and HTTP stacks add or rewrite: sent, never signed. */
// clang-format off
static const char *const s_unsigned_names[] = {
	"cache-control", "connection", "expect", "from", "keep-alive", "max-forwards", "pragma",
	"referer", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
	"x-amzn-trace-id", "proxy-authorization", NULL,
};
// clang-format on

static char *s_header_value(const char *v)
{
	struct s_buf b = {0};
	bool gap = false;
	for (; v && *v; v++) {
		if (s_space((unsigned char)*v)) {
			gap = b.len > 0;
			continue;
		}
		if (gap)
			s_buf_chr(&b, ' ');
		gap = false;
		s_buf_chr(&b, *v);
	}
	return s_buf_take(&b);
}

/* Collects the caller's signable headers into hs, rejecting malformed and
 * signer-owned ones. */
static int s_hdrs_from_request(struct s_pairs *hs, const struct sigv4_request *req,
			       const struct sigv4_params *p, enum sigv4_mode mode, struct err *e)
{
	static const char *const owned[] = {"authorization", "x-amz-date", "x-amz-security-token",
					    NULL};
	bool have_host = false;
	if (req->header_count && !req->headers)
		return err_set(e, ERR_INTERNAL, "sigv4: header list missing");
	for (size_t i = 0; i < req->header_count; i++) {
		const struct sigv4_header *h = &req->headers[i];
		if (!s_token(h->name))
			return err_set(e, ERR_INTERNAL, "sigv4: invalid header name");
		char *name = xstrdup(h->name);
		for (char *c = name; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		if (s_in_list(name, owned) ||
		    (s_adds_content_sha256(p, mode) && strcmp(name, "x-amz-content-sha256") == 0)) {
			err_set(e, ERR_INTERNAL,
				"sigv4: request has a %.40s header (the signer adds it)", name);
			free(name);
			return -1;
		}
		if (s_in_list(name, s_unsigned_names)) {
			free(name);
			continue;
		}
		have_host = have_host || strcmp(name, "host") == 0;
		s_pairs_push(hs, name, s_header_value(h->value));
	}
	if (!have_host)
		return err_set(e, ERR_INTERNAL, "sigv4: request has no Host header");
	return 0;
}

/* Everything the canonical request is made of, computed once. */
struct s_canon {
	struct s_scope sc;
	char payload[SIGV4_HEX_LEN + 1];
	char *uri;	      /* canonical URI */
	char *query;	      /* canonical query string */
	char *headers;	      /* canonical header lines, each ending in '\n' */
	char *signed_headers; /* "host;x-amz-date" */
};

static void s_canon_cleanup(struct s_canon *c)
{
	free(c->uri);
	free(c->query);
	free(c->headers);
	free(c->signed_headers);
	memset(c, 0, sizeof(*c));
}

static int s_canon_payload(struct s_canon *c, const struct sigv4_request *req, struct err *e)
{
	switch (req->payload) {
	case SIGV4_PAYLOAD_BODY:
		if (!req->body && req->body_len)
			return err_set(e, ERR_INTERNAL, "sigv4: request body missing");
		return sigv4_sha256_hex(req->body, req->body_len, c->payload, e);
	case SIGV4_PAYLOAD_HASH:
		if (!s_printable(req->payload_hash, false) ||
		    strlen(req->payload_hash) > SIGV4_HEX_LEN)
			return err_set(e, ERR_INTERNAL, "sigv4: missing or malformed payload hash");
		strcpy(c->payload, req->payload_hash);
		return 0;
	case SIGV4_PAYLOAD_UNSIGNED:
		strcpy(c->payload, SIGV4_UNSIGNED_PAYLOAD);
		return 0;
	}
	return err_set(e, ERR_INTERNAL, "sigv4: unknown payload kind");
}

static int s_canon_uri(struct s_canon *c, const struct sigv4_request *req,
		       const struct sigv4_params *p, struct err *e)
{
	const char *path = req->path && *req->path ? req->path : "/";
	size_t bad = 0;
	if (path[0] != '/')
		return err_set(e, ERR_INTERNAL, "sigv4: request path does not start with '/'");
	if (p->rules == SIGV4_RULES_S3) {
		if (!s_is_encoded_path(path, &bad))
			return err_set(
			    e, ERR_INTERNAL,
			    "sigv4: S3 path is not URI-encoded (byte 0x%02x at offset %zu); "
			    "build it with sigv4_uri_encode",
			    (unsigned char)path[bad], bad);
		c->uri = xstrdup(path);
		return 0;
	}
	char *norm = p->no_path_normalize ? xstrdup(path) : s_normalize_path(path);
	c->uri = sigv4_uri_encode(norm, strlen(norm), false);
	free(norm);
	return 0;
}

/* Builds the sorted, merged canonical header block and the SignedHeaders list,
 * adding the signer's own headers in header mode. */
static int s_canon_headers(struct s_canon *c, const struct sigv4_request *req,
			   const struct sigv4_params *p, enum sigv4_mode mode, struct err *e)
{
	struct s_pairs hs = {0};
	struct s_buf lines = {0}, names = {0};
	int rc = -1;
	if (s_hdrs_from_request(&hs, req, p, mode, e) < 0)
		goto out;
	if (mode == SIGV4_MODE_HEADER) {
		s_pairs_push(&hs, xstrdup("x-amz-date"), xstrdup(c->sc.amz_date));
		if (s_signs_token(p))
			s_pairs_push(&hs, xstrdup("x-amz-security-token"),
				     s_header_value(p->session_token));
		if (s_adds_content_sha256(p, mode))
			s_pairs_push(&hs, xstrdup("x-amz-content-sha256"), xstrdup(c->payload));
	}
	if (hs.n > 1)
		qsort(hs.v, hs.n, sizeof(*hs.v), s_header_cmp);
	for (size_t i = 0, j; i < hs.n; i = j) {
		s_buf_str(&lines, hs.v[i].name);
		s_buf_chr(&lines, ':');
		for (j = i; j < hs.n && strcmp(hs.v[j].name, hs.v[i].name) == 0; j++) {
			if (j > i)
				s_buf_chr(&lines, ',');
			s_buf_str(&lines, hs.v[j].value);
		}
		s_buf_chr(&lines, '\n');
		if (names.len)
			s_buf_chr(&names, ';');
		s_buf_str(&names, hs.v[i].name);
	}
	c->headers = s_buf_take(&lines);
	c->signed_headers = s_buf_take(&names);
	rc = 0;
out:
	s_pairs_free(&hs);
	free(lines.data);
	free(names.data);
	return rc;
}

static char *s_credential(const struct sigv4_params *p, const char *scope)
{
	return xasprintf("%s/%s", p->access_key_id, scope);
}

static int s_canon_query(struct s_canon *c, const struct sigv4_request *req,
			 const struct sigv4_params *p, enum sigv4_mode mode, struct err *e)
{
	struct s_pairs ps = {0};
	s_params_parse(&ps, req->query);
	if (mode == SIGV4_MODE_QUERY) {
		bool signed_already = false;
		for (size_t i = 0; i < ps.n; i++)
			signed_already =
			    signed_already || s_in_list(ps.v[i].name, s_query_signing_names);
		if (signed_already) {
			s_pairs_free(&ps);
			return err_set(
			    e, ERR_INTERNAL,
			    "sigv4: query to presign already has X-Amz-* signing parameters");
		}
		char *cred = s_credential(p, c->sc.text);
		char expires[24];
		snprintf(expires, sizeof(expires), "%ld", p->expires_s);
		s_params_add_raw(&ps, "X-Amz-Algorithm", SIGV4_ALGORITHM);
		s_params_add_raw(&ps, "X-Amz-Credential", cred);
		s_params_add_raw(&ps, "X-Amz-Date", c->sc.amz_date);
		s_params_add_raw(&ps, "X-Amz-Expires", expires);
		s_params_add_raw(&ps, "X-Amz-SignedHeaders", c->signed_headers);
		if (s_signs_token(p))
			s_params_add_raw(&ps, "X-Amz-Security-Token", p->session_token);
		free(cred);
	}
	c->query = s_params_join(&ps);
	s_pairs_free(&ps);
	return 0;
}

static int s_canon_init(struct s_canon *c, const struct sigv4_request *req,
			const struct sigv4_params *p, enum sigv4_mode mode, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (!req)
		return err_set(e, ERR_INTERNAL, "sigv4: no request");
	if (s_check_params(p, mode, &c->sc, e) < 0)
		return -1;
	if (!s_token(req->method))
		return err_set(e, ERR_INTERNAL, "sigv4: missing or invalid request method");
	if (s_canon_payload(c, req, e) < 0 || s_canon_uri(c, req, p, e) < 0 ||
	    s_canon_headers(c, req, p, mode, e) < 0 || s_canon_query(c, req, p, mode, e) < 0)
		goto fail;
	return 0;
fail:
	s_canon_cleanup(c);
	return -1;
}

static char *s_canon_request(const struct s_canon *c, const char *method)
{
	return xasprintf("%s\n%s\n%s\n%s\n%s\n%s", method, c->uri, c->query, c->headers,
			 c->signed_headers, c->payload);
}

/* ------------------------------------------------------------- stages */

int sigv4_canonical_request(const struct sigv4_request *req, const struct sigv4_params *p,
			    enum sigv4_mode mode, char **out, struct err *e)
{
	struct s_canon c;
	*out = NULL;
	if (s_canon_init(&c, req, p, mode, e) < 0)
		return -1;
	*out = s_canon_request(&c, req->method);
	s_canon_cleanup(&c);
	return 0;
}

int sigv4_signed_headers(const struct sigv4_request *req, const struct sigv4_params *p,
			 enum sigv4_mode mode, char **out, struct err *e)
{
	struct s_canon c;
	*out = NULL;
	if (s_canon_init(&c, req, p, mode, e) < 0)
		return -1;
	*out = c.signed_headers;
	c.signed_headers = NULL;
	s_canon_cleanup(&c);
	return 0;
}

static int s_string_to_sign(const char *canonical_request, const char *amz_date, const char *scope,
			    char **out, struct err *e)
{
	char hash[SIGV4_HEX_LEN + 1];
	*out = NULL;
	if (sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash, e) < 0)
		return -1;
	*out = xasprintf(SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date, scope, hash);
	return 0;
}

int sigv4_string_to_sign(const char *canonical_request, const struct sigv4_params *p, char **out,
			 struct err *e)
{
	struct s_scope sc;
	*out = NULL;
	if (!canonical_request)
		return err_set(e, ERR_INTERNAL, "sigv4: no canonical request");
	if (s_scope_init(&sc, p, e) < 0)
		return -1;
	return s_string_to_sign(canonical_request, sc.amz_date, sc.text, out, e);
}

static int s_derive_key(const char *secret, const char *date8, const char *region,
			const char *service, unsigned char key[SIGV4_KEY_LEN], struct err *e)
{
	size_t secret_len = strlen(secret);
	unsigned char *k_secret = xmalloc(secret_len + 4);
	unsigned char a[SIGV4_KEY_LEN], b[SIGV4_KEY_LEN];
	int rc = -1;
	memcpy(k_secret, "AWS4", 4);
	memcpy(k_secret + 4, secret, secret_len);
	if (s_hmac(k_secret, secret_len + 4, date8, strlen(date8), a, e) < 0 ||
	    s_hmac(a, sizeof(a), region, strlen(region), b, e) < 0 ||
	    s_hmac(b, sizeof(b), service, strlen(service), a, e) < 0 ||
	    s_hmac(a, sizeof(a), S_SCOPE_TERMINATOR, strlen(S_SCOPE_TERMINATOR), key, e) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(k_secret, secret_len + 4);
	free(k_secret);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	if (rc < 0)
		OPENSSL_cleanse(key, SIGV4_KEY_LEN);
	return rc;
}

int sigv4_signing_key(const struct sigv4_params *p, unsigned char key[SIGV4_KEY_LEN], struct err *e)
{
	struct s_scope sc;
	if (s_scope_init(&sc, p, e) < 0)
		return -1;
	if (!p->secret_access_key || !*p->secret_access_key)
		return err_set(e, ERR_AUTH, "sigv4: no AWS secret access key");
	return s_derive_key(p->secret_access_key, sc.date8, p->region, p->service, key, e);
}

int sigv4_signature(const unsigned char key[SIGV4_KEY_LEN], const char *string_to_sign,
		    char hex[SIGV4_HEX_LEN + 1], struct err *e)
{
	unsigned char mac[SIGV4_KEY_LEN];
	if (!key || !string_to_sign)
		return err_set(e, ERR_INTERNAL, "sigv4: no signing key or string to sign");
	if (s_hmac(key, SIGV4_KEY_LEN, string_to_sign, strlen(string_to_sign), mac, e) < 0)
		return -1;
	s_hex(mac, sizeof(mac), hex);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

static char *s_authorization(const struct sigv4_params *p, const char *scope,
			     const char *signed_headers, const char *signature_hex)
{
	return xasprintf(SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
			 p->access_key_id, scope, signed_headers, signature_hex);
}

int sigv4_authorization(const struct sigv4_params *p, const char *signed_headers,
			const char *signature_hex, char **out, struct err *e)
{
	struct s_scope sc;
	*out = NULL;
	if (s_check_params(p, SIGV4_MODE_HEADER, &sc, e) < 0)
		return -1;
	if (!signed_headers || !*signed_headers || !signature_hex || !*signature_hex)
		return err_set(e, ERR_INTERNAL, "sigv4: no signed headers or signature");
	*out = s_authorization(p, sc.text, signed_headers, signature_hex);
	return 0;
}

/* ------------------------------------------------------- whole signing */

/* Runs every stage for mode: fills c (the caller cleans it up on success) and
 * the signature. */
static int s_sign(const struct sigv4_request *req, const struct sigv4_params *p,
		  enum sigv4_mode mode, struct s_canon *c, char sig[SIGV4_HEX_LEN + 1],
		  struct err *e)
{
	unsigned char key[SIGV4_KEY_LEN];
	char *creq = NULL, *sts = NULL;
	int rc = -1;
	if (s_canon_init(c, req, p, mode, e) < 0)
		return -1;
	creq = s_canon_request(c, req->method);
	if (s_string_to_sign(creq, c->sc.amz_date, c->sc.text, &sts, e) < 0 ||
	    s_derive_key(p->secret_access_key, c->sc.date8, p->region, p->service, key, e) < 0)
		goto out;
	rc = sigv4_signature(key, sts, sig, e);
	OPENSSL_cleanse(key, sizeof(key));
out:
	free(creq);
	free(sts);
	if (rc < 0)
		s_canon_cleanup(c);
	return rc;
}

static void s_added(struct sigv4_auth_headers *h, const char *name, char *value)
{
	h->items[h->count].name = name;
	h->items[h->count].value = value;
	h->count++;
}

int sigv4_sign_headers(const struct sigv4_request *req, const struct sigv4_params *p,
		       struct sigv4_auth_headers *out, struct err *e)
{
	struct s_canon c;
	char sig[SIGV4_HEX_LEN + 1];
	memset(out, 0, sizeof(*out));
	if (s_sign(req, p, SIGV4_MODE_HEADER, &c, sig, e) < 0)
		return -1;
	s_added(out, "X-Amz-Date", xstrdup(c.sc.amz_date));
	if (s_adds_content_sha256(p, SIGV4_MODE_HEADER))
		s_added(out, "x-amz-content-sha256", xstrdup(c.payload));
	if (s_has_token(p))
		s_added(out, "X-Amz-Security-Token", xstrdup(p->session_token));
	s_added(out, "Authorization", s_authorization(p, c.sc.text, c.signed_headers, sig));
	s_canon_cleanup(&c);
	return 0;
}

void sigv4_auth_headers_cleanup(struct sigv4_auth_headers *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->count && i < SIGV4_ADDED_MAX; i++)
		free(h->items[i].value);
	memset(h, 0, sizeof(*h));
}

static void s_query_add(struct s_buf *b, const char *name, const char *raw_value)
{
	if (b->len)
		s_buf_chr(b, '&');
	s_buf_str(b, name);
	s_buf_chr(b, '=');
	s_encode_into(b, raw_value, strlen(raw_value), true);
}

int sigv4_presign_query(const struct sigv4_request *req, const struct sigv4_params *p,
			char **query_out, struct err *e)
{
	struct s_canon c;
	struct s_buf b = {0};
	char sig[SIGV4_HEX_LEN + 1], expires[24];
	*query_out = NULL;
	if (s_sign(req, p, SIGV4_MODE_QUERY, &c, sig, e) < 0)
		return -1;
	char *cred = s_credential(p, c.sc.text);
	snprintf(expires, sizeof(expires), "%ld", p->expires_s);
	if (req->query && *req->query)
		s_buf_str(&b, req->query);
	s_query_add(&b, "X-Amz-Algorithm", SIGV4_ALGORITHM);
	s_query_add(&b, "X-Amz-Credential", cred);
	s_query_add(&b, "X-Amz-Date", c.sc.amz_date);
	s_query_add(&b, "X-Amz-Expires", expires);
	s_query_add(&b, "X-Amz-SignedHeaders", c.signed_headers);
	if (s_has_token(p))
		s_query_add(&b, "X-Amz-Security-Token", p->session_token);
	s_query_add(&b, "X-Amz-Signature", sig);
	free(cred);
	s_canon_cleanup(&c);
	*query_out = s_buf_take(&b);
	return 0;
}

int sigv4_presign_url(const char *base_url, const struct sigv4_request *req,
		      const struct sigv4_params *p, char **url_out, struct err *e)
{
	char *query = NULL;
	*url_out = NULL;
	if (!base_url || !*base_url)
		return err_set(e, ERR_INTERNAL, "sigv4: no base URL to presign");
	if (sigv4_presign_query(req, p, &query, e) < 0)
		return -1;
	size_t base_len = strlen(base_url);
	if (base_url[base_len - 1] == '/')
		base_len--;
	const char *path = req->path && *req->path ? req->path : "/";
	*url_out = xasprintf("%.*s%s?%s", (int)base_len, base_url, path, query);
	free(query);
	return 0;
}
