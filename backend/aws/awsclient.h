/* awsclient: what every AWS request of one profile shares on the worker's event
 * loop: the resolved settings (awscfg.h), the credential chain and its cache
 * (creds.h), the clock correction learnt from servers, the regions learnt for
 * S3 buckets, the requests in flight, and the notice hook.
 *
 * The S3 blob store and the DynamoDB build store of a profile share one client
 * (awsclient_shared), so credentials are resolved once. Not thread-safe: use it
 * on the loop's thread only (awsclient_shared's registry itself is locked). */
#ifndef AFTOMATO_AWSCLIENT_H
#define AFTOMATO_AWSCLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "awscfg.h"
#include "err.h"

struct evloop;
struct profile;
struct creds_chain;
struct awsreq;

/* A one-line problem found in the background (a credentials file readable by
 * others, a failed background refresh). */
typedef void (*awsclient_notice_fn)(void *ctx, const struct err *e);

/* A client for cfg, whose contents it takes (cfg is zeroed). Caller owns one
 * reference. */
struct awsclient *awsclient_new(struct evloop *loop, struct awscfg *cfg);

/* The client of profile p on loop, made on first use (awscfg_resolve) and
 * shared afterwards; each call returns a new reference. NULL with e filled
 * when the settings cannot be resolved. */
struct awsclient *awsclient_shared(struct evloop *loop, const struct profile *p, struct err *e);

struct awsclient *awsclient_ref(struct awsclient *c);
/* Drops a reference; the last one cancels the requests still in flight
 * (without calling them back) and frees everything. */
void awsclient_unref(struct awsclient *c);

struct evloop *awsclient_loop(struct awsclient *c);
const struct awscfg *awsclient_cfg(struct awsclient *c);
struct creds_chain *awsclient_creds(struct awsclient *c);

/* Where notices go. Without a hook they are written to stderr as
 * "aftomato: <message>". Each distinct message is given once per client. */
void awsclient_set_notice(struct awsclient *c, awsclient_notice_fn fn, void *ctx);
void awsclient_notice(struct awsclient *c, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replaces any secret the client knows (cached secret key, session token,
 * container token) found in msg by "***". */
void awsclient_scrub(struct awsclient *c, char *msg, size_t size);

/* The time to sign with: the wall clock corrected by what servers said. */
int64_t awsclient_now_s(struct awsclient *c);
void awsclient_set_clock_offset(struct awsclient *c, int64_t offset_s);
int64_t awsclient_clock_offset(struct awsclient *c);

/* The region of an S3 bucket: learnt from a redirect, else the client's. */
const char *awsclient_bucket_region(struct awsclient *c, const char *bucket);
void awsclient_set_bucket_region(struct awsclient *c, const char *bucket, const char *region);

/* A uniform random number in [0, n) (n > 0), for backoff jitter. */
uint64_t awsclient_random(struct awsclient *c, uint64_t n);

/* Requests in flight (awsreq.c registers them). */
void awsclient_track(struct awsclient *c, struct awsreq *r);
void awsclient_untrack(struct awsclient *c, struct awsreq *r);

#endif
