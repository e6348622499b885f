#include "imds.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awsclient.h"
#include "awsreq.h"
#include "awsutil.h"
#include "evloop.h"
#include "fsutil.h"
#include "xmem.h"

#define IMDS_TOKEN_TTL_S     "21600"
#define IMDS_ATTEMPTS	     2
#define CREDS_PATH	     "/latest/meta-data/iam/security-credentials/"
#define TOKEN_FILE_MAX_BYTES (16u << 10)
#define CONTAINER_TIMEOUT_MS 5000L

struct s_job {
	struct awsclient *client;
	creds_fn done;
	void *ctx;
	char *token; /* IMDS session token */
	char *role;
};

static void s_job_end(struct s_job *j, int rc, struct creds *c, const struct err *e)
{
	j->done(j->ctx, rc, c, e);
	if (j->token) {
		memset(j->token, 0, strlen(j->token));
		free(j->token);
	}
	free(j->role);
	free(j);
}

static void s_wipe_json_string(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		memset((char *)json_string_value(v), 0, json_string_length(v));
}

int imds_parse_credentials(const char *text, size_t len, const char *what, struct creds *out,
			   struct err *e)
{
	memset(out, 0, sizeof(*out));
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(e, ERR_PROTO, "%s: the answer is not JSON credentials", what);
	}
	const char *code = json_string_value(json_object_get(j, "Code"));
	const char *akid = json_string_value(json_object_get(j, "AccessKeyId"));
	const char *secret = json_string_value(json_object_get(j, "SecretAccessKey"));
	const char *token = json_string_value(json_object_get(j, "Token"));
	const char *exp = json_string_value(json_object_get(j, "Expiration"));
	int64_t exp_ms = 0;
	int rc = -1;
	if (code && strcmp(code, "Success") != 0)
		err_set(e, ERR_AUTH, "%s: %.60s", what, code);
	else if (!akid || !*akid || !secret || !*secret)
		err_set(e, ERR_PROTO, "%s: the answer has no credentials", what);
	else if (exp && awsutil_parse_iso8601(exp, &exp_ms) < 0)
		err_set(e, ERR_PROTO, "%s: bad Expiration '%.40s'", what, exp);
	else
		rc = 0;
	if (rc == 0)
		creds_set(out, akid, secret, token, exp_ms);
	s_wipe_json_string(j, "SecretAccessKey");
	s_wipe_json_string(j, "Token");
	json_decref(j);
	return rc;
}

/* --- IMDSv2 ---------------------------------------------------------------- */

static struct awsreq *s_imds_req(struct s_job *j, const char *op, const char *method,
				 const char *path)
{
	const struct awscfg *cfg = awsclient_cfg(j->client);
	struct awsreq *r = awsreq_new(j->client, "IMDS", "imds", op, method, path);
	r->endpoint = xstrdup(cfg->imds_endpoint);
	r->sign = AWSREQ_SIGN_NONE;
	r->idempotent = true;
	r->max_attempts = IMDS_ATTEMPTS;
	r->connect_timeout_ms = cfg->imds_timeout_ms;
	r->timeout_ms = cfg->imds_timeout_ms * 3;
	r->max_body_bytes = 64u << 10;
	r->ctx = j;
	if (j->token)
		awsreq_header(r, "X-aws-ec2-metadata-token", j->token);
	return r;
}

static void s_imds_creds(void *ctx, struct awsreq_result *res)
{
	struct s_job *j = ctx;
	struct creds c = {0};
	struct err e = {0};
	if (res->rc < 0) {
		s_job_end(j, -1, NULL, &res->err);
	} else if (imds_parse_credentials(res->body, res->body_len, "IMDS credentials", &c, &e) <
		   0) {
		s_job_end(j, -1, NULL, &e);
	} else {
		c.source = xasprintf("instance profile %s", j->role);
		s_job_end(j, 0, &c, NULL);
		creds_cleanup(&c);
	}
}

static void s_imds_role(void *ctx, struct awsreq_result *res)
{
	struct s_job *j = ctx;
	if (res->rc < 0) {
		s_job_end(j, -1, NULL, &res->err);
		return;
	}
	size_t n = strcspn(res->body, "\r\n");
	while (n > 0 && res->body[n - 1] == ' ')
		n--;
	if (n == 0 || memchr(res->body, '/', n)) {
		struct err e;
		err_set(&e, ERR_AUTH, "IMDS: this instance has no IAM role");
		s_job_end(j, -1, NULL, &e);
		return;
	}
	j->role = xstrndup(res->body, n);
	char *enc = sigv4_uri_encode(j->role, n, true);
	char *path = xasprintf("%s%s", CREDS_PATH, enc);
	struct awsreq *r = s_imds_req(j, "credentials", "GET", path);
	r->done = s_imds_creds;
	free(enc);
	free(path);
	awsreq_submit(r);
}

static void s_imds_token(void *ctx, struct awsreq_result *res)
{
	struct s_job *j = ctx;
	if (res->rc < 0) {
		s_job_end(j, -1, NULL, &res->err);
		return;
	}
	size_t n = strcspn(res->body, "\r\n");
	if (n == 0) {
		struct err e;
		err_set(&e, ERR_PROTO, "IMDS: empty session token");
		s_job_end(j, -1, NULL, &e);
		return;
	}
	j->token = xstrndup(res->body, n);
	struct awsreq *r = s_imds_req(j, "role", "GET", CREDS_PATH);
	r->done = s_imds_role;
	awsreq_submit(r);
}

void imds_fetch(struct awsclient *c, creds_fn done, void *ctx)
{
	struct s_job *j = xcalloc(1, sizeof(*j));
	j->client = c;
	j->done = done;
	j->ctx = ctx;
	struct awsreq *r = s_imds_req(j, "token", "PUT", "/latest/api/token");
	awsreq_header(r, "X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL_S);
	r->done = s_imds_token;
	awsreq_submit(r);
}

/* --- container credentials ------------------------------------------------ */

/* Whether the host (up to ':' or '/') is 127.n.n.n. */
static bool s_loopback_v4(const char *host)
{
	int parts = 0, digits = 0;
	if (strncmp(host, "127.", 4) != 0)
		return false;
	for (const char *p = host; *p && *p != ':' && *p != '/'; p++) {
		if (*p == '.') {
			if (digits == 0)
				return false;
			parts++;
			digits = 0;
		} else if (*p >= '0' && *p <= '9' && digits < 3) {
			digits++;
		} else {
			return false;
		}
	}
	return parts == 3 && digits > 0;
}

bool imds_container_uri_allowed(const char *uri)
{
	if (strncasecmp(uri, "https://", 8) == 0)
		return true;
	if (strncasecmp(uri, "http://", 7) != 0)
		return false;
	const char *host = uri + 7;
	if (s_loopback_v4(host))
		return true;
	static const char *const ok[] = {"localhost",	   "[::1]",	     "169.254.170.2",
					 "169.254.170.23", "[fd00:ec2::23]", NULL};
	for (int i = 0; ok[i]; i++) {
		size_t n = strlen(ok[i]);
		if (strncasecmp(host, ok[i], n) == 0 &&
		    (host[n] == ':' || host[n] == '/' || host[n] == '\0'))
			return true;
	}
	return false;
}

static void s_container_done(void *ctx, struct awsreq_result *res)
{
	struct s_job *j = ctx;
	struct creds c = {0};
	struct err e = {0};
	if (res->rc < 0) {
		s_job_end(j, -1, NULL, &res->err);
	} else if (imds_parse_credentials(res->body, res->body_len, "container credentials", &c,
					  &e) < 0) {
		s_job_end(j, -1, NULL, &e);
	} else {
		c.source = xstrdup("container credentials");
		s_job_end(j, 0, &c, NULL);
		creds_cleanup(&c);
	}
}

static void s_later_fail(void *arg)
{
	struct s_job *j = arg;
	struct err e;
	err_set(&e, ERR_CONFIG, "%s", j->role); /* the message was kept in role */
	s_job_end(j, -1, NULL, &e);
}

/* Splits a full URI into endpoint (scheme://host[:port]) and path?query. */
static void s_split_uri(const char *uri, char **endpoint, char **path, char **query)
{
	const char *p = strstr(uri, "://");
	p = p ? p + 3 : uri;
	const char *slash = strchr(p, '/');
	*endpoint = slash ? xstrndup(uri, (size_t)(slash - uri)) : xstrdup(uri);
	const char *rest = slash ? slash : "/";
	const char *q = strchr(rest, '?');
	*path = q ? xstrndup(rest, (size_t)(q - rest)) : xstrdup(rest);
	*query = q ? xstrdup(q + 1) : NULL;
}

void imds_container_fetch(struct awsclient *c, creds_fn done, void *ctx)
{
	const struct awscfg *cfg = awsclient_cfg(c);
	struct s_job *j = xcalloc(1, sizeof(*j));
	j->client = c;
	j->done = done;
	j->ctx = ctx;
	char *uri = cfg->container_relative_uri
			? xasprintf("%s%s", cfg->container_host, cfg->container_relative_uri)
			: xstrdup(cfg->container_full_uri);
	char *token = NULL;
	struct err e = {0};
	if (!cfg->container_relative_uri && !imds_container_uri_allowed(uri)) {
		j->role =
		    xasprintf("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback "
			      "http address: %.200s",
			      uri);
		goto later;
	}
	if (cfg->container_token_file) {
		if (fsutil_read_all(cfg->container_token_file, TOKEN_FILE_MAX_BYTES, &token, NULL,
				    &e) < 0) {
			j->role = xasprintf("container authorization token: %s", e.msg);
			goto later;
		}
		token[strcspn(token, "\r\n")] = '\0';
	} else if (cfg->container_token) {
		token = xstrdup(cfg->container_token);
	}
	char *endpoint, *path, *query;
	s_split_uri(uri, &endpoint, &path, &query);
	struct awsreq *r = awsreq_new(c, "container credentials", "container", "GET", "GET", path);
	r->endpoint = endpoint;
	r->query = query;
	r->sign = AWSREQ_SIGN_NONE;
	r->idempotent = true;
	r->timeout_ms = CONTAINER_TIMEOUT_MS;
	r->connect_timeout_ms = CONTAINER_TIMEOUT_MS;
	r->max_body_bytes = 64u << 10;
	if (token && *token)
		awsreq_header(r, "Authorization", token);
	r->done = s_container_done;
	r->ctx = j;
	free(path);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	free(uri);
	awsreq_submit(r);
	return;
later:
	free(uri);
	evloop_timer(awsclient_loop(c), 0, s_later_fail, j);
}
