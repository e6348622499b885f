#include "sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsclient.h"
#include "awsreq.h"
#include "awsutil.h"
#include "evloop.h"
#include "fsutil.h"
#include "xmem.h"
#include "xmltree.h"

#define TOKEN_FILE_MAX_BYTES (64u << 10)

struct s_call {
	struct awsclient *client;
	char action[40];
	creds_fn done;
	void *ctx;
	char *role_arn;
};

int sts_parse_credentials(const char *xml, size_t len, const char *action, struct creds *out,
			  struct err *e)
{
	struct xmltree_node *root = NULL;
	memset(out, 0, sizeof(*out));
	if (xmltree_parse(xml, len, &root, e) < 0)
		return err_prefix(e, "STS %s", action);
	char result[64];
	snprintf(result, sizeof(result), "%sResult/Credentials", action);
	const struct xmltree_node *cr = xmltree_path(root, result);
	const char *akid = xmltree_text(cr, "AccessKeyId");
	const char *secret = xmltree_text(cr, "SecretAccessKey");
	const char *token = xmltree_text(cr, "SessionToken");
	const char *exp = xmltree_text(cr, "Expiration");
	int64_t exp_ms = 0;
	int rc = -1;
	if (!akid || !*akid || !secret || !*secret || !token || !*token) {
		err_set(e, ERR_PROTO, "STS %s: the answer has no credentials", action);
	} else if (!exp || awsutil_parse_iso8601(exp, &exp_ms) < 0) {
		err_set(e, ERR_PROTO, "STS %s: the answer has no valid Expiration", action);
	} else {
		creds_set(out, akid, secret, token, exp_ms);
		rc = 0;
	}
	/* The tree held the secret: wipe its texts before freeing. */
	for (const struct xmltree_node *n = cr ? cr->first_child : NULL; n; n = n->next)
		memset(n->text, 0, n->text_len);
	xmltree_free(root);
	return rc;
}

static void s_done(void *ctx, struct awsreq_result *res)
{
	struct s_call *call = ctx;
	struct creds c = {0};
	struct err e = {0};
	if (res->rc < 0) {
		call->done(call->ctx, -1, NULL, &res->err);
	} else if (sts_parse_credentials(res->body, res->body_len, call->action, &c, &e) < 0) {
		call->done(call->ctx, -1, NULL, &e);
	} else {
		c.source = xasprintf("%s %s",
				     strcmp(call->action, "AssumeRole") == 0 ? "assumed role"
									     : "web identity role",
				     call->role_arn);
		call->done(call->ctx, 0, &c, NULL);
		creds_cleanup(&c);
	}
	free(call->role_arn);
	free(call);
}

static struct s_call *s_call_new(struct awsclient *c, const char *action, const char *role_arn,
				 creds_fn done, void *ctx)
{
	struct s_call *call = xcalloc(1, sizeof(*call));
	call->client = c;
	snprintf(call->action, sizeof(call->action), "%s", action);
	call->done = done;
	call->ctx = ctx;
	call->role_arn = xstrdup(role_arn);
	return call;
}

static struct awsreq *s_request(struct awsclient *c, const char *action, char *form)
{
	struct awsreq *r = awsreq_new(c, "STS", "sts", action, "POST", "/");
	r->idempotent = true; /* assuming a role again is harmless */
	awsreq_header(r, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
	awsreq_body(r, form, strlen(form));
	memset(form, 0, strlen(form)); /* may hold a token */
	free(form);
	return r;
}

static char *s_session_name(const char *given)
{
	return given ? xstrdup(given) : xasprintf("aftomato-%lld", (long long)time(NULL));
}

void sts_assume_role(struct awsclient *c, const struct creds *source, const struct sts_role *role,
		     creds_fn done, void *ctx)
{
	char *form = NULL, *name = s_session_name(role->session_name);
	awsreq_query_add(&form, "Action", "AssumeRole");
	awsreq_query_add(&form, "Version", "2011-06-15");
	awsreq_query_add(&form, "RoleArn", role->role_arn);
	awsreq_query_add(&form, "RoleSessionName", name);
	if (role->external_id)
		awsreq_query_add(&form, "ExternalId", role->external_id);
	if (role->duration_s > 0) {
		char d[16];
		snprintf(d, sizeof(d), "%d", role->duration_s);
		awsreq_query_add(&form, "DurationSeconds", d);
	}
	free(name);
	struct awsreq *r = s_request(c, "AssumeRole", form);
	r->what = xstrdup(role->role_arn);
	r->sign = AWSREQ_SIGN_FIXED;
	creds_copy(&r->fixed, source);
	r->done = s_done;
	r->ctx = s_call_new(c, "AssumeRole", role->role_arn, done, ctx);
	awsreq_submit(r);
}

struct s_later {
	creds_fn done;
	void *ctx;
	struct err err;
};

static void s_later_cb(void *arg)
{
	struct s_later *l = arg;
	l->done(l->ctx, -1, NULL, &l->err);
	free(l);
}

void sts_assume_role_web_identity(struct awsclient *c, const char *role_arn,
				  const char *session_name, const char *token_file, creds_fn done,
				  void *ctx)
{
	char *token = NULL;
	struct err e = {0};
	if (fsutil_read_all(token_file, TOKEN_FILE_MAX_BYTES, &token, NULL, &e) < 0) {
		struct s_later *l = xcalloc(1, sizeof(*l));
		l->done = done;
		l->ctx = ctx;
		l->err = e;
		err_prefix(&l->err, "web identity token");
		evloop_timer(awsclient_loop(c), 0, s_later_cb, l);
		return;
	}
	size_t n = strlen(token);
	while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' '))
		token[--n] = '\0';
	char *form = NULL, *name = s_session_name(session_name);
	awsreq_query_add(&form, "Action", "AssumeRoleWithWebIdentity");
	awsreq_query_add(&form, "Version", "2011-06-15");
	awsreq_query_add(&form, "RoleArn", role_arn);
	awsreq_query_add(&form, "RoleSessionName", name);
	awsreq_query_add(&form, "WebIdentityToken", token);
	memset(token, 0, n);
	free(token);
	free(name);
	struct awsreq *r = s_request(c, "AssumeRoleWithWebIdentity", form);
	r->what = xstrdup(role_arn);
	r->sign = AWSREQ_SIGN_NONE;
	r->done = s_done;
	r->ctx = s_call_new(c, "AssumeRoleWithWebIdentity", role_arn, done, ctx);
	awsreq_submit(r);
}
