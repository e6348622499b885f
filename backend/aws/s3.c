#include "s3.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsclient.h"
#include "awsutil.h"
#include "creds.h"
#include "evloop.h"
#include "http.h"
#include "sigv4.h"
#include "xmem.h"
#include "xmltree.h"

#define LIST_MAX_BODY	(32u << 20)
#define DELETE_MAX_KEYS 1000

struct s_call {
	s3_done_fn done;
	void *ctx;
	int kind;
};

enum { K_PLAIN, K_LIST, K_HEAD, K_GET, K_PUT, K_CREATE, K_COMPLETE, K_DELETE };

char *s3_key_path(const char *key)
{
	char *enc = sigv4_uri_encode(key, strlen(key), false);
	char *p = xasprintf("/%s", enc);
	free(enc);
	return p;
}

void s3_result_cleanup(struct s3_result *r)
{
	for (size_t i = 0; i < r->n_entries; i++)
		free(r->entries[i].key);
	free(r->entries);
	free(r->next_token);
	free(r->etag);
	free(r->upload_id);
	r->entries = NULL;
	r->n_entries = 0;
	r->next_token = r->etag = r->upload_id = NULL;
}

static struct awsreq *s_req(struct awsclient *c, const char *op, const char *method,
			    const char *bucket, const char *key)
{
	char *path = key ? s3_key_path(key) : xstrdup("/");
	struct awsreq *r = awsreq_new(c, "S3", "s3", op, method, path);
	free(path);
	r->bucket = xstrdup(bucket);
	r->what = key ? xasprintf("s3://%s/%s", bucket, key) : xasprintf("s3://%s", bucket);
	r->idempotent = true;
	return r;
}

static void s_submit(struct awsreq *r, int kind, s3_done_fn done, void *ctx);

/* --- answers --------------------------------------------------------------- */

static void s_push(struct s3_result *r, size_t *cap, const char *key, uint64_t size,
		   int64_t mtime_ms, bool is_prefix)
{
	if (r->n_entries == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		r->entries = xrealloc(r->entries, *cap * sizeof(*r->entries));
	}
	r->entries[r->n_entries++] = (struct s3_entry){xstrdup(key), size, mtime_ms, is_prefix};
}

/* S3's url encoding of listed keys ('+' for a space, %XX for the rest). */
static char *s_url_decode(const char *s)
{
	char *plus = xstrdup(s);
	for (char *p = plus; *p; p++)
		if (*p == '+')
			*p = ' ';
	char *out = sigv4_uri_decode(plus, strlen(plus), NULL);
	free(plus);
	return out;
}

static int s_cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct s3_entry *)a)->key, ((const struct s3_entry *)b)->key);
}

int s3_parse_list(const char *xml, size_t len, struct s3_result *r, struct err *e)
{
	struct xmltree_node *root = NULL;
	if (xmltree_parse(xml, len, &root, e) < 0)
		return -1;
	int rc = -1;
	size_t cap = 0;
	if (strcmp(root->name, "ListBucketResult") != 0) {
		err_set(e, ERR_PROTO, "unexpected answer <%.40s> to a listing", root->name);
		goto out;
	}
	const char *enc_type = xmltree_text(root, "EncodingType");
	bool url = enc_type && strcmp(enc_type, "url") == 0;
	for (const struct xmltree_node *c = xmltree_child(root, "Contents"); c;
	     c = xmltree_next(c)) {
		const char *key = xmltree_text(c, "Key");
		const char *size = xmltree_text(c, "Size");
		const char *mod = xmltree_text(c, "LastModified");
		int64_t ms = 0;
		if (!key) {
			err_set(e, ERR_PROTO, "listing entry without a Key");
			goto out;
		}
		if (mod && awsutil_parse_iso8601(mod, &ms) < 0)
			ms = 0;
		char *k = url ? s_url_decode(key) : xstrdup(key);
		s_push(r, &cap, k, size ? strtoull(size, NULL, 10) : 0, ms, false);
		free(k);
	}
	for (const struct xmltree_node *c = xmltree_child(root, "CommonPrefixes"); c;
	     c = xmltree_next(c)) {
		const char *p = xmltree_text(c, "Prefix");
		if (!p)
			continue;
		char *k = url ? s_url_decode(p) : xstrdup(p);
		s_push(r, &cap, k, 0, 0, true);
		free(k);
	}
	if (r->n_entries > 1)
		qsort(r->entries, r->n_entries, sizeof(*r->entries), s_cmp_entry);
	const char *trunc = xmltree_text(root, "IsTruncated");
	const char *next = xmltree_text(root, "NextContinuationToken");
	if (trunc && strcmp(trunc, "true") == 0) {
		if (!next || !*next) {
			err_set(e, ERR_PROTO, "truncated listing without a continuation token");
			goto out;
		}
		r->next_token = xstrdup(next);
	}
	rc = 0;
out:
	xmltree_free(root);
	return rc;
}

/* Content-Range "bytes a-b/total" or "bytes * /total": the total. */
static bool s_range_total(const struct http_response *resp, uint64_t *total)
{
	const char *cr = resp ? http_response_header(resp, "Content-Range") : NULL;
	const char *slash = cr ? strchr(cr, '/') : NULL;
	if (!slash || slash[1] == '*')
		return false;
	*total = strtoull(slash + 1, NULL, 10);
	return true;
}

static void s_meta(struct s3_result *out, const struct awsreq_result *res)
{
	if (!res->resp)
		return;
	const char *etag = http_response_header(res->resp, "ETag");
	const char *len = http_response_header(res->resp, "Content-Length");
	const char *mod = http_response_header(res->resp, "Last-Modified");
	if (etag)
		out->etag = xstrdup(etag);
	if (len)
		out->size = strtoull(len, NULL, 10);
	if (mod) {
		time_t t = curl_getdate(mod, NULL);
		out->mtime_ms = t > 0 ? (int64_t)t * 1000 : 0;
	}
}

static int s_parse_ok(struct s_call *call, struct awsreq_result *res, struct s3_result *out,
		      struct err *e)
{
	struct xmltree_node *root = NULL;
	switch (call->kind) {
	case K_LIST:
		return s3_parse_list(res->body, res->body_len, out, e);
	case K_HEAD:
	case K_PUT:
		s_meta(out, res);
		return 0;
	case K_GET: {
		s_meta(out, res);
		uint64_t total; /* a 206's Content-Range names the whole size */
		if (s_range_total(res->resp, &total))
			out->size = total;
		return 0;
	}
	case K_CREATE: {
		if (xmltree_parse(res->body, res->body_len, &root, e) < 0)
			return -1;
		const char *id = xmltree_text(root, "UploadId");
		if (id && *id)
			out->upload_id = xstrdup(id);
		xmltree_free(root);
		return out->upload_id ? 0 : err_set(e, ERR_PROTO, "no UploadId in the answer");
	}
	case K_COMPLETE:
	case K_DELETE: {
		/* Both may answer 200 with errors inside. */
		if (xmltree_parse(res->body, res->body_len, &root, e) < 0)
			return -1;
		const struct xmltree_node *er =
		    strcmp(root->name, "Error") == 0 ? root : xmltree_child(root, "Error");
		int rc = 0;
		if (er) {
			const char *code = xmltree_text(er, "Code");
			const char *msg = xmltree_text(er, "Message");
			const char *key = xmltree_text(er, "Key");
			rc = err_set(e, ERR_REMOTE, "%.60s%s%.200s: %.200s", code ? code : "Error",
				     key ? " on " : "", key ? key : "", msg ? msg : "");
		} else {
			s_meta(out, res);
		}
		xmltree_free(root);
		return rc;
	}
	default:
		return 0;
	}
}

static void s_done(void *ctx, struct awsreq_result *res)
{
	struct s_call *call = ctx;
	struct s3_result out = {.rc = res->rc,
				.status = res->status,
				.attempts = res->attempts,
				.ambiguous = res->ambiguous};
	if (res->rc < 0) {
		out.err = res->err;
		if (call->kind == K_GET && strcmp(res->aerr.code, "InvalidRange") == 0) {
			/* Reading at or past the end: nothing, as with a file. */
			out.rc = 0;
			err_clear(&out.err);
			uint64_t total;
			if (s_range_total(res->resp, &total))
				out.size = total;
		}
	} else if (s_parse_ok(call, res, &out, &out.err) < 0) {
		out.rc = -1;
		struct awsreq *r = res->req;
		err_prefix(&out.err, "S3 %s %.300s", r->op, r->what ? r->what : "");
	}
	call->done(call->ctx, &out);
	s3_result_cleanup(&out);
	free(call);
}

static void s_submit(struct awsreq *r, int kind, s3_done_fn done, void *ctx)
{
	struct s_call *call = xcalloc(1, sizeof(*call));
	call->done = done;
	call->ctx = ctx;
	call->kind = kind;
	r->done = s_done;
	r->ctx = call;
	awsreq_submit(r);
}

/* --- operations ------------------------------------------------------------ */

void s3_list(struct awsclient *c, const char *bucket, const struct s3_list_params *p,
	     s3_done_fn done, void *ctx)
{
	struct awsreq *r = s_req(c, "ListObjectsV2", "GET", bucket, NULL);
	char *q = NULL, max[16];
	snprintf(max, sizeof(max), "%d",
		 p->max_keys > 0 && p->max_keys <= 1000 ? p->max_keys : 1000);
	awsreq_query_add(&q, "list-type", "2");
	awsreq_query_add(&q, "encoding-type", "url");
	awsreq_query_add(&q, "max-keys", max);
	if (p->prefix && *p->prefix)
		awsreq_query_add(&q, "prefix", p->prefix);
	if (p->delimiter && *p->delimiter)
		awsreq_query_add(&q, "delimiter", p->delimiter);
	if (p->continuation_token && *p->continuation_token)
		awsreq_query_add(&q, "continuation-token", p->continuation_token);
	else if (p->start_after && *p->start_after)
		awsreq_query_add(&q, "start-after", p->start_after);
	r->query = q;
	free(r->what);
	r->what = xasprintf("s3://%s/%s", bucket, p->prefix ? p->prefix : "");
	r->max_body_bytes = LIST_MAX_BODY;
	s_submit(r, K_LIST, done, ctx);
}

void s3_head(struct awsclient *c, const char *bucket, const char *key, s3_done_fn done, void *ctx)
{
	s_submit(s_req(c, "HeadObject", "HEAD", bucket, key), K_HEAD, done, ctx);
}

void s3_get(struct awsclient *c, const char *bucket, const char *key, uint64_t offset,
	    uint64_t length, awsreq_data_fn data, s3_done_fn done, void *ctx)
{
	struct awsreq *r = s_req(c, "GetObject", "GET", bucket, key);
	r->on_data = data;
	r->data_ctx = ctx;
	r->resumable = true;
	if (offset || length) {
		r->has_range = true;
		r->range_start = offset;
		r->range_end = length ? offset + length - 1 : UINT64_MAX;
	}
	s_submit(r, K_GET, done, ctx);
}

void s3_put_fd(struct awsclient *c, const char *bucket, const char *key, int fd, uint64_t offset,
	       uint64_t length, const char *payload_hash, const char *content_type, s3_done_fn done,
	       void *ctx)
{
	struct awsreq *r = s_req(c, "PutObject", "PUT", bucket, key);
	r->body_fd = fd;
	r->body_offset = offset;
	r->body_length = length;
	snprintf(r->payload_hash, sizeof(r->payload_hash), "%s", payload_hash ? payload_hash : "");
	if (content_type)
		awsreq_header(r, "Content-Type", content_type);
	s_submit(r, K_PUT, done, ctx);
}

/* XML text with the five special characters escaped. Caller frees. */
static char *s_xml_escape(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += *p == '&'			 ? 5
		     : (*p == '<' || *p == '>')	 ? 4
		     : (*p == '"' || *p == '\'') ? 6
						 : 1;
	char *out = xmalloc(n + 1), *o = out;
	for (const char *p = s; *p; p++) {
		const char *rep = *p == '&'    ? "&amp;"
				  : *p == '<'  ? "&lt;"
				  : *p == '>'  ? "&gt;"
				  : *p == '"'  ? "&quot;"
				  : *p == '\'' ? "&apos;"
					       : NULL;
		if (rep) {
			memcpy(o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* Appends to a growing string. */
static void s_cat(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	*buf = xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

void s3_delete(struct awsclient *c, const char *bucket, const char *const *keys, size_t n,
	       s3_done_fn done, void *ctx)
{
	struct awsreq *r = s_req(c, "DeleteObjects", "POST", bucket, NULL);
	char *body = NULL;
	size_t len = 0;
	s_cat(&body, &len,
	      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	      "<Quiet>true</Quiet>");
	for (size_t i = 0; i < n && i < DELETE_MAX_KEYS; i++) {
		char *k = s_xml_escape(keys[i]);
		s_cat(&body, &len, "<Object><Key>");
		s_cat(&body, &len, k);
		s_cat(&body, &len, "</Key></Object>");
		free(k);
	}
	s_cat(&body, &len, "</Delete>");
	char *md5 = awsutil_md5_base64(body, len);
	awsreq_header(r, "Content-MD5", md5);
	awsreq_header(r, "Content-Type", "application/xml");
	awsreq_body(r, body, len);
	awsreq_query(r, "delete");
	free(md5);
	free(body);
	s_submit(r, K_DELETE, done, ctx);
}

void s3_create_multipart(struct awsclient *c, const char *bucket, const char *key,
			 const char *content_type, s3_done_fn done, void *ctx)
{
	struct awsreq *r = s_req(c, "CreateMultipartUpload", "POST", bucket, key);
	r->idempotent = false; /* a lost answer would leave an upload behind */
	awsreq_query(r, "uploads");
	if (content_type)
		awsreq_header(r, "Content-Type", content_type);
	s_submit(r, K_CREATE, done, ctx);
}

void s3_upload_part(struct awsclient *c, const char *bucket, const char *key, const char *upload_id,
		    int part_number, int fd, uint64_t offset, uint64_t length,
		    const char *payload_hash, s3_done_fn done, void *ctx)
{
	struct awsreq *r = s_req(c, "UploadPart", "PUT", bucket, key);
	char *q = NULL, num[16];
	snprintf(num, sizeof(num), "%d", part_number);
	awsreq_query_add(&q, "partNumber", num);
	awsreq_query_add(&q, "uploadId", upload_id);
	r->query = q;
	r->body_fd = fd;
	r->body_offset = offset;
	r->body_length = length;
	snprintf(r->payload_hash, sizeof(r->payload_hash), "%s", payload_hash ? payload_hash : "");
	s_submit(r, K_PUT, done, ctx);
}

void s3_complete_multipart(struct awsclient *c, const char *bucket, const char *key,
			   const char *upload_id, char *const *etags, int n_parts, s3_done_fn done,
			   void *ctx)
{
	struct awsreq *r = s_req(c, "CompleteMultipartUpload", "POST", bucket, key);
	char *body = NULL, *q = NULL;
	size_t len = 0;
	s_cat(&body, &len,
	      "<CompleteMultipartUpload "
	      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (int i = 0; i < n_parts; i++) {
		char *tag = s_xml_escape(etags[i] ? etags[i] : "");
		char *part = xasprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
				       i + 1, tag);
		s_cat(&body, &len, part);
		free(part);
		free(tag);
	}
	s_cat(&body, &len, "</CompleteMultipartUpload>");
	awsreq_query_add(&q, "uploadId", upload_id);
	r->query = q;
	awsreq_header(r, "Content-Type", "application/xml");
	awsreq_body(r, body, len);
	free(body);
	s_submit(r, K_COMPLETE, done, ctx);
}

void s3_abort_multipart(struct awsclient *c, const char *bucket, const char *key,
			const char *upload_id, s3_done_fn done, void *ctx)
{
	struct awsreq *r = s_req(c, "AbortMultipartUpload", "DELETE", bucket, key);
	char *q = NULL;
	awsreq_query_add(&q, "uploadId", upload_id);
	r->query = q;
	s_submit(r, K_PLAIN, done, ctx);
}

/* --- presigned URLs -------------------------------------------------------- */

int s3_presign_get_with(struct awsclient *c, const struct creds *creds, const char *bucket,
			const char *key, long expires_s, char **url, struct err *e)
{
	const struct awscfg *cfg = awsclient_cfg(c);
	const char *region = awsclient_bucket_region(c, bucket);
	char *base = NULL, *keypath = s3_key_path(key), *path = NULL, *host = NULL;
	bool in_path = false;
	awscfg_s3_base(cfg, bucket, region, &base, &in_path);
	path = in_path ? xasprintf("/%s%s", bucket, keypath) : xstrdup(keypath);
	const char *h = strstr(base, "://");
	host = xstrdup(h ? h + 3 : base);
	struct sigv4_header hdr = {"Host", host};
	struct sigv4_request req = {.method = "GET",
				    .path = path,
				    .headers = &hdr,
				    .header_count = 1,
				    .payload = SIGV4_PAYLOAD_UNSIGNED};
	struct sigv4_params p = {
	    .access_key_id = creds->access_key_id,
	    .secret_access_key = creds->secret_access_key,
	    .session_token = creds->session_token,
	    .region = region,
	    .service = "s3",
	    .time_s = (time_t)awsclient_now_s(c),
	    .rules = SIGV4_RULES_S3,
	    .expires_s = expires_s,
	};
	int rc = sigv4_presign_url(base, &req, &p, url, e);
	free(base);
	free(keypath);
	free(path);
	free(host);
	return rc;
}

struct s_presign {
	struct awsclient *client;
	char *bucket, *key;
	long expires_s;
	s3_url_fn done;
	void *ctx;
};

static void s_presign_creds(void *ctx, const struct creds *c, const struct err *e)
{
	struct s_presign *p = ctx;
	char *url = NULL;
	struct err e2 = {0};
	if (!c)
		p->done(p->ctx, NULL, e);
	else if (s3_presign_get_with(p->client, c, p->bucket, p->key, p->expires_s, &url, &e2) < 0)
		p->done(p->ctx, NULL, &e2);
	else
		p->done(p->ctx, url, NULL);
	free(url);
	free(p->bucket);
	free(p->key);
	free(p);
}

void s3_presign_get(struct awsclient *c, const char *bucket, const char *key, long expires_s,
		    s3_url_fn done, void *ctx)
{
	struct s_presign *p = xcalloc(1, sizeof(*p));
	p->client = c;
	p->bucket = xstrdup(bucket);
	p->key = xstrdup(key);
	p->expires_s = expires_s;
	p->done = done;
	p->ctx = ctx;
	creds_get(awsclient_creds(c), s_presign_creds, p);
}
