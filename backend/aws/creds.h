/* creds: AWS credentials and the provider chain, in the order the AWS SDKs use:
 *
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
 *   2. the AWS profile (aws.profile / AWS_PROFILE / "default") in the shared
 *      credentials and config files: role_arn with source_profile (chains of
 *      roles), credential_source (Environment, Ec2InstanceMetadata, EcsContainer)
 *      or web_identity_token_file -> STS AssumeRole / AssumeRoleWithWebIdentity;
 *      static keys; credential_process (credproc.h)
 *   3. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (EKS pods)
 *   4. container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI or
 *      _RELATIVE_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
 *   5. EC2 instance profile through IMDSv2 (token first), unless
 *      AWS_EC2_METADATA_DISABLED=true
 * A source that is configured but fails stops the chain with its error (as in
 * the SDKs); a profile naming no credentials lets the chain go on.
 *
 * Temporary credentials are cached and refreshed on the worker thread: once
 * less than min(5 min, half their lifetime) is left, requests still get the
 * cached ones while one refresh runs in the background; once less than
 * min(10 s, a tenth of their lifetime) is left, requests wait for the refresh.
 * Requests already sent (a long upload or download) keep the credentials they
 * were signed with: nothing in flight is interrupted.
 *
 * Secrets never appear in error messages; buffers that held them are wiped.
 * When a credentials file is readable by group or others, a one-line notice is
 * given (once per file) through awsclient_notice, as ssh warns about keys. */
#ifndef AFTOMATO_CREDS_H
#define AFTOMATO_CREDS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct awsclient;

struct creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL: none */
	int64_t expires_ms;  /* wall clock, Unix ms; 0: does not expire */
	int64_t obtained_ms; /* when they were received */
	char *source;	     /* "environment", "profile ci", "web identity", ... */
};

/* Wipes and frees the members; c is zeroed. */
void creds_cleanup(struct creds *c);
/* Deep copy into dst (overwritten). */
void creds_copy(struct creds *dst, const struct creds *src);
/* Fills c with copies of a provider's answer, obtained now (token NULL or
 * empty: none). */
void creds_set(struct creds *c, const char *access_key_id, const char *secret_access_key,
	       const char *session_token, int64_t expires_ms);
/* Whether c has keys and, if temporary, has not expired at now_ms. */
bool creds_valid(const struct creds *c, int64_t now_ms);

/* The answer of a provider: rc 0 with c filled (the callee takes c's members),
 * or -1 with e. Called from the event loop, never from inside the call. */
typedef void (*creds_fn)(void *ctx, int rc, struct creds *c, const struct err *e);

struct creds_chain;
struct creds_wait;

/* A chain for the client's settings (awsclient_cfg). Nothing is resolved until
 * the first request. Freed with creds_chain_free (pending waits are dropped
 * without calls). */
struct creds_chain *creds_chain_new(struct awsclient *client);
void creds_chain_free(struct creds_chain *ch);

/* The cached credentials when they are good for a new request, else NULL. May
 * start a background refresh. Valid until control returns to the loop. */
const struct creds *creds_current(struct creds_chain *ch);

/* The cached credentials, whatever their state (NULL when none), with no side
 * effect. For scrubbing messages. */
const struct creds *creds_peek(const struct creds_chain *ch);

/* Resolves (or waits for the running resolution) and calls done(ctx, rc, c, e)
 * from the loop; c is borrowed for the call. Returns a handle for
 * creds_get_cancel, valid until done is called. */
typedef void (*creds_get_fn)(void *ctx, const struct creds *c, const struct err *e);
struct creds_wait *creds_get(struct creds_chain *ch, creds_get_fn done, void *ctx);
void creds_get_cancel(struct creds_chain *ch, struct creds_wait *w);

/* A service said the credentials with this access key expired: forget them
 * so the next request resolves again. */
void creds_invalidate(struct creds_chain *ch, const char *access_key_id);

/* Number of completed resolutions (for tests: refreshes happened). */
unsigned creds_resolutions(const struct creds_chain *ch);

#endif
