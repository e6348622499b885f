#include "awsclient.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsreq.h"
#include "creds.h"
#include "profile.h"
#include "xmem.h"

struct s_bucket_region {
	char *bucket;
	char *region;
};

struct awsclient {
	struct evloop *loop;
	struct awscfg cfg;
	struct creds_chain *creds;
	int refs;
	int64_t clock_offset_s;
	awsclient_notice_fn notice;
	void *notice_ctx;
	char **notices; /* given already */
	size_t n_notices;
	struct s_bucket_region *regions;
	size_t n_regions;
	uint64_t rng;
	struct awsreq *live; /* requests in flight (awsreq.c's list links) */
	/* registry of shared clients */
	const struct profile *profile;
	struct awsclient *reg_next;
};

static pthread_mutex_t s_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct awsclient *s_registry;

struct awsclient *awsclient_new(struct evloop *loop, struct awscfg *cfg)
{
	struct awsclient *c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	c->refs = 1;
	if (RAND_bytes((unsigned char *)&c->rng, sizeof(c->rng)) != 1 || c->rng == 0)
		c->rng = (uint64_t)time(NULL) * 2654435761u + 1;
	c->creds = creds_chain_new(c);
	return c;
}

struct awsclient *awsclient_shared(struct evloop *loop, const struct profile *p, struct err *e)
{
	pthread_mutex_lock(&s_reg_lock);
	for (struct awsclient *c = s_registry; c; c = c->reg_next)
		if (c->loop == loop && c->profile == p) {
			c->refs++;
			pthread_mutex_unlock(&s_reg_lock);
			return c;
		}
	pthread_mutex_unlock(&s_reg_lock);
	struct awscfg cfg;
	if (awscfg_resolve(&cfg, p, e) < 0)
		return NULL;
	struct awsclient *c = awsclient_new(loop, &cfg);
	c->profile = p;
	pthread_mutex_lock(&s_reg_lock);
	c->reg_next = s_registry;
	s_registry = c;
	pthread_mutex_unlock(&s_reg_lock);
	return c;
}

struct awsclient *awsclient_ref(struct awsclient *c)
{
	c->refs++;
	return c;
}

static void s_unregister(struct awsclient *c)
{
	pthread_mutex_lock(&s_reg_lock);
	for (struct awsclient **pp = &s_registry; *pp; pp = &(*pp)->reg_next)
		if (*pp == c) {
			*pp = c->reg_next;
			break;
		}
	pthread_mutex_unlock(&s_reg_lock);
}

void awsclient_unref(struct awsclient *c)
{
	if (!c || --c->refs > 0)
		return;
	if (c->profile)
		s_unregister(c);
	while (c->live)
		awsreq_cancel(c->live);
	creds_chain_free(c->creds);
	for (size_t i = 0; i < c->n_notices; i++)
		free(c->notices[i]);
	free(c->notices);
	for (size_t i = 0; i < c->n_regions; i++) {
		free(c->regions[i].bucket);
		free(c->regions[i].region);
	}
	free(c->regions);
	awscfg_cleanup(&c->cfg);
	free(c);
}

struct evloop *awsclient_loop(struct awsclient *c)
{
	return c->loop;
}

const struct awscfg *awsclient_cfg(struct awsclient *c)
{
	return &c->cfg;
}

struct creds_chain *awsclient_creds(struct awsclient *c)
{
	return c->creds;
}

void awsclient_set_notice(struct awsclient *c, awsclient_notice_fn fn, void *ctx)
{
	c->notice = fn;
	c->notice_ctx = ctx;
}

void awsclient_notice(struct awsclient *c, enum err_code code, const char *fmt, ...)
{
	struct err e = {0};
	char msg[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	awsclient_scrub(c, msg, sizeof(msg));
	for (size_t i = 0; i < c->n_notices; i++)
		if (strcmp(c->notices[i], msg) == 0)
			return;
	c->notices = xrealloc(c->notices, (c->n_notices + 1) * sizeof(*c->notices));
	c->notices[c->n_notices++] = xstrdup(msg);
	err_set(&e, code, "%s", msg);
	if (c->notice)
		c->notice(c->notice_ctx, &e);
	else
		fprintf(stderr, "aftomato: %s\n", e.msg);
}

static void s_scrub_one(char *msg, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n < 8) /* too short to be a secret worth matching */
		return;
	char *p;
	while ((p = strstr(msg, secret))) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

void awsclient_scrub(struct awsclient *c, char *msg, size_t size)
{
	(void)size;
	const struct creds *cur = c->creds ? creds_peek(c->creds) : NULL;
	if (cur) {
		s_scrub_one(msg, cur->secret_access_key);
		s_scrub_one(msg, cur->session_token);
	}
	s_scrub_one(msg, c->cfg.env_secret_access_key);
	s_scrub_one(msg, c->cfg.env_session_token);
	s_scrub_one(msg, c->cfg.container_token);
}

int64_t awsclient_now_s(struct awsclient *c)
{
	return (int64_t)time(NULL) + c->clock_offset_s;
}

void awsclient_set_clock_offset(struct awsclient *c, int64_t offset_s)
{
	c->clock_offset_s = offset_s;
}

int64_t awsclient_clock_offset(struct awsclient *c)
{
	return c->clock_offset_s;
}

const char *awsclient_bucket_region(struct awsclient *c, const char *bucket)
{
	for (size_t i = 0; bucket && i < c->n_regions; i++)
		if (strcmp(c->regions[i].bucket, bucket) == 0)
			return c->regions[i].region;
	return c->cfg.region;
}

void awsclient_set_bucket_region(struct awsclient *c, const char *bucket, const char *region)
{
	for (size_t i = 0; i < c->n_regions; i++)
		if (strcmp(c->regions[i].bucket, bucket) == 0) {
			free(c->regions[i].region);
			c->regions[i].region = xstrdup(region);
			return;
		}
	c->regions = xrealloc(c->regions, (c->n_regions + 1) * sizeof(*c->regions));
	c->regions[c->n_regions].bucket = xstrdup(bucket);
	c->regions[c->n_regions].region = xstrdup(region);
	c->n_regions++;
}

uint64_t awsclient_random(struct awsclient *c, uint64_t n)
{
	/* xorshift64*: plenty for jitter. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return n ? (c->rng * 2685821657736338717ull) % n : 0;
}

void awsclient_track(struct awsclient *c, struct awsreq *r)
{
	r->live_prev = NULL;
	r->live_next = c->live;
	if (c->live)
		c->live->live_prev = r;
	c->live = r;
}

void awsclient_untrack(struct awsclient *c, struct awsreq *r)
{
	if (r->live_prev)
		r->live_prev->live_next = r->live_next;
	else if (c->live == r)
		c->live = r->live_next;
	if (r->live_next)
		r->live_next->live_prev = r->live_prev;
	r->live_prev = r->live_next = NULL;
}
