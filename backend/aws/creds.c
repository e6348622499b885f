#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awsclient.h"
#include "credproc.h"
#include "evloop.h"
#include "imds.h"
#include "ini.h"
#include "sts.h"
#include "timeutil.h"
#include "xmem.h"

#define MAX_ROLE_DEPTH	 8
#define ADVISORY_MAX_MS	 (5 * 60 * 1000)
#define MANDATORY_MAX_MS (10 * 1000)

struct creds_wait {
	struct creds_wait *next;
	creds_get_fn done;
	void *ctx;
};

enum s_step { STEP_ENV, STEP_PROFILE, STEP_WEB, STEP_CONTAINER, STEP_IMDS, STEP_END };
enum s_base { BASE_NONE, BASE_STATIC, BASE_PROCESS, BASE_WEB, BASE_ENV, BASE_IMDS, BASE_CONTAINER };

/* One resolution of the chain. */
struct s_job {
	struct creds_chain *ch; /* NULL once the chain is gone */
	enum s_step step;
	char *roles[MAX_ROLE_DEPTH]; /* profiles whose role_arn is assumed, outermost first */
	size_t n_roles;
	size_t next_role; /* roles still to assume: [0, next_role) */
	bool assuming;
	char tried[300];
};

struct creds_chain {
	struct awsclient *client;
	struct creds cached;
	bool have;
	struct s_job *job;
	struct creds_wait *waits;
	struct evloop_timer *deliver;
	unsigned resolutions;
};

/* --- creds ---------------------------------------------------------------- */

static void s_wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void creds_cleanup(struct creds *c)
{
	if (!c)
		return;
	free(c->access_key_id);
	s_wipe_free(c->secret_access_key);
	s_wipe_free(c->session_token);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

void creds_copy(struct creds *dst, const struct creds *src)
{
	dst->access_key_id = xstrdup(src->access_key_id);
	dst->secret_access_key = xstrdup(src->secret_access_key);
	dst->session_token = xstrdup(src->session_token);
	dst->expires_ms = src->expires_ms;
	dst->obtained_ms = src->obtained_ms;
	dst->source = xstrdup(src->source);
}

void creds_set(struct creds *c, const char *access_key_id, const char *secret_access_key,
	       const char *session_token, int64_t expires_ms)
{
	c->access_key_id = xstrdup(access_key_id);
	c->secret_access_key = xstrdup(secret_access_key);
	c->session_token = session_token && *session_token ? xstrdup(session_token) : NULL;
	c->expires_ms = expires_ms;
	c->obtained_ms = timeutil_wall_ms();
}

bool creds_valid(const struct creds *c, int64_t now_ms)
{
	return c && c->access_key_id && c->secret_access_key &&
	       (c->expires_ms == 0 || c->expires_ms > now_ms);
}

/* --- chain ---------------------------------------------------------------- */

struct creds_chain *creds_chain_new(struct awsclient *client)
{
	struct creds_chain *ch = xcalloc(1, sizeof(*ch));
	ch->client = client;
	return ch;
}

void creds_chain_free(struct creds_chain *ch)
{
	if (!ch)
		return;
	if (ch->job)
		ch->job->ch = NULL; /* its providers end into nothing */
	while (ch->waits) {
		struct creds_wait *w = ch->waits;
		ch->waits = w->next;
		free(w);
	}
	if (ch->deliver)
		evloop_timer_cancel(awsclient_loop(ch->client), ch->deliver);
	creds_cleanup(&ch->cached);
	free(ch);
}

const struct creds *creds_peek(const struct creds_chain *ch)
{
	return ch && ch->have ? &ch->cached : NULL;
}

unsigned creds_resolutions(const struct creds_chain *ch)
{
	return ch->resolutions;
}

static void s_start(struct creds_chain *ch);

/* Windows before expiry: refresh in the background (advisory), or make
 * requests wait (mandatory). */
static void s_windows(const struct creds *c, int64_t *advisory, int64_t *mandatory)
{
	int64_t life = c->expires_ms - c->obtained_ms;
	if (life <= 0)
		life = 1;
	*advisory = life / 2 < ADVISORY_MAX_MS ? life / 2 : ADVISORY_MAX_MS;
	*mandatory = life / 10 < MANDATORY_MAX_MS ? life / 10 : MANDATORY_MAX_MS;
}

const struct creds *creds_current(struct creds_chain *ch)
{
	if (!ch->have)
		return NULL;
	if (ch->cached.expires_ms == 0)
		return &ch->cached;
	int64_t left = ch->cached.expires_ms - timeutil_wall_ms(), advisory, mandatory;
	s_windows(&ch->cached, &advisory, &mandatory);
	if (left <= mandatory)
		return NULL;
	if (left <= advisory && !ch->job)
		s_start(ch); /* in the background: this request goes on */
	return &ch->cached;
}

static void s_deliver_cb(void *arg);

struct creds_wait *creds_get(struct creds_chain *ch, creds_get_fn done, void *ctx)
{
	struct creds_wait *w = xcalloc(1, sizeof(*w));
	w->done = done;
	w->ctx = ctx;
	w->next = ch->waits;
	ch->waits = w;
	if (creds_current(ch)) {
		if (!ch->deliver)
			ch->deliver = evloop_timer(awsclient_loop(ch->client), 0, s_deliver_cb, ch);
	} else if (!ch->job) {
		s_start(ch);
	}
	return w;
}

void creds_get_cancel(struct creds_chain *ch, struct creds_wait *w)
{
	for (struct creds_wait **pp = &ch->waits; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			free(w);
			return;
		}
}

void creds_invalidate(struct creds_chain *ch, const char *akid)
{
	if (ch->have && akid && ch->cached.access_key_id &&
	    strcmp(ch->cached.access_key_id, akid) == 0) {
		creds_cleanup(&ch->cached);
		ch->have = false;
	}
}

/* Calls every waiter with c (or e); waiters added meanwhile wait on. */
static void s_deliver(struct creds_chain *ch, const struct creds *c, const struct err *e)
{
	struct creds_wait *list = ch->waits;
	ch->waits = NULL;
	/* Oldest first. */
	struct creds_wait *rev = NULL;
	while (list) {
		struct creds_wait *n = list->next;
		list->next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		struct creds_wait *w = rev;
		rev = w->next;
		w->done(w->ctx, c, e);
		free(w);
	}
}

static void s_deliver_cb(void *arg)
{
	struct creds_chain *ch = arg;
	ch->deliver = NULL;
	const struct creds *c = creds_current(ch);
	if (c)
		s_deliver(ch, c, NULL);
	else if (!ch->job)
		s_start(ch);
}

/* --- resolution ------------------------------------------------------------ */

static void s_job_free(struct s_job *j)
{
	for (size_t i = 0; i < j->n_roles; i++)
		free(j->roles[i]);
	free(j);
}

static void s_resolved(struct s_job *j, int rc, struct creds *c, const struct err *e)
{
	struct creds_chain *ch = j->ch;
	s_job_free(j);
	if (!ch)
		return;
	ch->job = NULL;
	ch->resolutions++;
	if (rc == 0) {
		creds_cleanup(&ch->cached);
		ch->cached = *c;
		memset(c, 0, sizeof(*c));
		ch->have = true;
		s_deliver(ch, &ch->cached, NULL);
		return;
	}
	if (ch->have && creds_valid(&ch->cached, timeutil_wall_ms())) {
		/* A refresh failed, but what we hold still works for a while. */
		awsclient_notice(ch->client, e->code, "refreshing AWS credentials failed: %s",
				 e->msg);
		s_deliver(ch, &ch->cached, NULL);
		return;
	}
	s_deliver(ch, NULL, e);
}

static void s_next_step(struct s_job *j);
static void s_provider_done(void *ctx, int rc, struct creds *c, const struct err *e);

static void s_note(struct s_job *j, const char *what)
{
	size_t used = strlen(j->tried);
	snprintf(j->tried + used, sizeof(j->tried) - used, "%s%s", used ? ", " : "", what);
}

/* Warns once when a file holding keys is readable by group or others. */
static void s_check_mode(struct s_job *j, const struct ini *from)
{
	const struct awscfg *cfg = awsclient_cfg(j->ch->client);
	mode_t mode = from == cfg->credentials ? cfg->credentials_mode : cfg->config_mode;
	if (from && (mode & 077))
		awsclient_notice(j->ch->client, ERR_CONFIG,
				 "AWS credentials file %.200s is readable by others (mode %04o); "
				 "restrict it with chmod 600",
				 ini_name(from), (unsigned)mode);
}

struct s_later {
	struct s_job *j;
	int rc;
	struct creds c;
	struct err e;
};

static void s_later_cb(void *arg)
{
	struct s_later *l = arg;
	s_provider_done(l->j, l->rc, l->rc == 0 ? &l->c : NULL, &l->e);
	creds_cleanup(&l->c);
	free(l);
}

/* Answers a provider step from the loop (for synchronous sources). */
static void s_answer_later(struct s_job *j, int rc, const struct creds *c, const struct err *e)
{
	struct s_later *l = xcalloc(1, sizeof(*l));
	l->j = j;
	l->rc = rc;
	if (c)
		creds_copy(&l->c, c);
	if (e)
		l->e = *e;
	evloop_timer(awsclient_loop(j->ch->client), 0, s_later_cb, l);
}

static void s_fail(struct s_job *j, enum err_code code, const char *msg)
{
	struct err e;
	err_set(&e, code, "%s", msg);
	s_answer_later(j, -1, NULL, &e);
}

static void s_static_profile(struct s_job *j, const char *name)
{
	const struct awscfg *cfg = awsclient_cfg(j->ch->client);
	const struct ini *from = NULL;
	struct creds c = {0};
	c.access_key_id = (char *)awscfg_profile_value(cfg, name, "aws_access_key_id", &from);
	c.secret_access_key =
	    (char *)awscfg_profile_value(cfg, name, "aws_secret_access_key", NULL);
	c.session_token = (char *)awscfg_profile_value(cfg, name, "aws_session_token", NULL);
	c.source = xasprintf("profile %s", name);
	s_check_mode(j, from);
	s_answer_later(j, 0, &c, NULL);
	free(c.source);
}

static void s_env_creds(struct s_job *j, bool required)
{
	const struct awscfg *cfg = awsclient_cfg(j->ch->client);
	if (!cfg->env_access_key_id || !cfg->env_secret_access_key) {
		if (required || cfg->env_access_key_id || cfg->env_secret_access_key)
			s_fail(j, ERR_AUTH,
			       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set");
		else
			s_next_step(j);
		return;
	}
	struct creds c = {
	    .access_key_id = cfg->env_access_key_id,
	    .secret_access_key = cfg->env_secret_access_key,
	    .session_token = cfg->env_session_token,
	    .source = "environment",
	};
	s_answer_later(j, 0, &c, NULL);
}

/* Starts the source at the bottom of a profile's role chain. */
static void s_base(struct s_job *j, enum s_base base, const char *name)
{
	struct awsclient *cl = j->ch->client;
	const struct awscfg *cfg = awsclient_cfg(cl);
	switch (base) {
	case BASE_STATIC:
		s_static_profile(j, name);
		break;
	case BASE_PROCESS:
		credproc_run(cl, awscfg_profile_value(cfg, name, "credential_process", NULL), name,
			     s_provider_done, j);
		break;
	case BASE_WEB:
		sts_assume_role_web_identity(
		    cl, awscfg_profile_value(cfg, name, "role_arn", NULL),
		    awscfg_profile_value(cfg, name, "role_session_name", NULL),
		    awscfg_profile_value(cfg, name, "web_identity_token_file", NULL),
		    s_provider_done, j);
		break;
	case BASE_ENV:
		s_env_creds(j, true);
		break;
	case BASE_IMDS:
		imds_fetch(cl, s_provider_done, j);
		break;
	case BASE_CONTAINER:
		imds_container_fetch(cl, s_provider_done, j);
		break;
	case BASE_NONE:
		s_next_step(j);
		break;
	}
}

static enum s_base s_credential_source(const char *v)
{
	if (strcasecmp(v, "Environment") == 0)
		return BASE_ENV;
	if (strcasecmp(v, "Ec2InstanceMetadata") == 0)
		return BASE_IMDS;
	if (strcasecmp(v, "EcsContainer") == 0)
		return BASE_CONTAINER;
	return BASE_NONE;
}

/* Walks the profile's source_profile links down to a source of credentials,
 * collecting the roles to assume on the way up. */
static void s_profile(struct s_job *j)
{
	const struct awscfg *cfg = awsclient_cfg(j->ch->client);
	const char *name = cfg->profile;
	char msg[ERR_MSG_MAX];
	if (!awscfg_profile_exists(cfg, name)) {
		if (cfg->profile_explicit) {
			snprintf(msg, sizeof(msg), "AWS profile %.100s is not in %.150s or %.150s",
				 name, cfg->credentials_path, cfg->config_path);
			s_fail(j, ERR_CONFIG, msg);
		} else {
			s_next_step(j);
		}
		return;
	}
	s_note(j, "shared files");
	for (;;) {
		const char *role = awscfg_profile_value(cfg, name, "role_arn", NULL);
		const char *src = awscfg_profile_value(cfg, name, "source_profile", NULL);
		const char *csrc = awscfg_profile_value(cfg, name, "credential_source", NULL);
		bool keys = awscfg_profile_value(cfg, name, "aws_access_key_id", NULL) &&
			    awscfg_profile_value(cfg, name, "aws_secret_access_key", NULL);
		if (!role) {
			if (keys)
				s_base(j, BASE_STATIC, name);
			else if (awscfg_profile_value(cfg, name, "credential_process", NULL))
				s_base(j, BASE_PROCESS, name);
			else if (j->n_roles > 0 ||
				 awscfg_profile_value(cfg, name, "sso_session", NULL) ||
				 awscfg_profile_value(cfg, name, "sso_start_url", NULL)) {
				snprintf(
				    msg, sizeof(msg),
				    "AWS profile %.100s has no credentials aftomato can use "
				    "(keys, credential_process, role_arn; SSO is not supported)",
				    name);
				s_fail(j, ERR_CONFIG, msg);
			} else
				s_next_step(j); /* a profile with settings only */
			return;
		}
		if (awscfg_profile_value(cfg, name, "web_identity_token_file", NULL)) {
			s_base(j, BASE_WEB, name);
			return;
		}
		if (j->n_roles == MAX_ROLE_DEPTH) {
			s_fail(j, ERR_CONFIG,
			       "AWS profiles: source_profile chain too long or cyclic");
			return;
		}
		j->roles[j->n_roles++] = xstrdup(name);
		j->next_role = j->n_roles;
		if (src && strcmp(src, name) == 0 && keys) {
			s_base(j, BASE_STATIC, name);
			return;
		}
		if (src) {
			if (!awscfg_profile_exists(cfg, src)) {
				snprintf(msg, sizeof(msg),
					 "AWS profile %.100s: source_profile %.100s does "
					 "not exist",
					 name, src);
				s_fail(j, ERR_CONFIG, msg);
				return;
			}
			name = src;
			continue;
		}
		enum s_base b = csrc ? s_credential_source(csrc) : BASE_NONE;
		if (b == BASE_NONE) {
			snprintf(msg, sizeof(msg),
				 "AWS profile %.100s: role_arn needs source_profile, a "
				 "known credential_source or web_identity_token_file",
				 name);
			s_fail(j, ERR_CONFIG, msg);
			return;
		}
		s_base(j, b, name);
		return;
	}
}

/* Assumes the next role up the chain with the credentials in hand. */
static void s_assume_next(struct s_job *j, struct creds *c)
{
	const struct awscfg *cfg = awsclient_cfg(j->ch->client);
	const char *name = j->roles[--j->next_role];
	const char *dur = awscfg_profile_value(cfg, name, "duration_seconds", NULL);
	struct sts_role role = {
	    .role_arn = awscfg_profile_value(cfg, name, "role_arn", NULL),
	    .session_name = awscfg_profile_value(cfg, name, "role_session_name", NULL),
	    .external_id = awscfg_profile_value(cfg, name, "external_id", NULL),
	    .duration_s = dur ? atoi(dur) : 0,
	};
	if (awscfg_profile_value(cfg, name, "mfa_serial", NULL)) {
		s_fail(j, ERR_CONFIG,
		       "AWS profiles with mfa_serial need a prompt; aftomato cannot "
		       "ask for MFA codes");
		return;
	}
	sts_assume_role(j->ch->client, c, &role, s_provider_done, j);
}

static void s_provider_done(void *ctx, int rc, struct creds *c, const struct err *e)
{
	struct s_job *j = ctx;
	if (!j->ch) { /* the chain was freed meanwhile */
		s_job_free(j);
		return;
	}
	if (rc < 0) {
		struct err full = *e;
		if (j->step == STEP_IMDS && j->tried[0])
			err_prefix(&full, "no AWS credentials found (tried %s)", j->tried);
		s_resolved(j, -1, NULL, &full);
		return;
	}
	if (j->next_role > 0) {
		s_assume_next(j, c);
		return;
	}
	s_resolved(j, 0, c, NULL);
}

static void s_next_step(struct s_job *j)
{
	const struct awscfg *cfg = awsclient_cfg(j->ch->client);
	struct awsclient *cl = j->ch->client;
	j->step++;
	switch (j->step) {
	case STEP_PROFILE:
		s_profile(j);
		break;
	case STEP_WEB:
		if (cfg->web_role_arn && cfg->web_token_file) {
			sts_assume_role_web_identity(cl, cfg->web_role_arn, cfg->web_session_name,
						     cfg->web_token_file, s_provider_done, j);
		} else {
			s_next_step(j);
		}
		break;
	case STEP_CONTAINER:
		if (cfg->container_full_uri || cfg->container_relative_uri)
			imds_container_fetch(cl, s_provider_done, j);
		else
			s_next_step(j);
		break;
	case STEP_IMDS:
		if (!cfg->imds_disabled) {
			imds_fetch(cl, s_provider_done, j);
			break;
		}
		j->step++;
		/* fall through */
	default: {
		char msg[ERR_MSG_MAX];
		snprintf(msg, sizeof(msg),
			 "no AWS credentials found (environment, profile %.60s, web identity, "
			 "container, instance metadata%s)",
			 cfg->profile, cfg->imds_disabled ? " disabled" : "");
		s_fail(j, ERR_AUTH, msg);
	}
	}
}

static void s_start(struct creds_chain *ch)
{
	struct s_job *j = xcalloc(1, sizeof(*j));
	j->ch = ch;
	j->step = STEP_ENV;
	ch->job = j;
	s_note(j, "environment");
	s_env_creds(j, false);
}
