/* err: an error value (code + one-line message) that functions fill in and that
 * can travel between threads inside a message. Functions return 0 on success and
 * -1 on failure, filling the struct err passed by the caller. */
#ifndef AFTOMATO_ERR_H
#define AFTOMATO_ERR_H

#include <stddef.h>

enum err_code {
	ERR_NONE = 0,
	ERR_USAGE,     /* bad command line */
	ERR_CONFIG,    /* bad configuration file, descriptor or profile */
	ERR_NOTFOUND,  /* a project, build, key or object does not exist */
	ERR_AMBIGUOUS, /* a build ID prefix matches several builds */
	ERR_CONFLICT,  /* a conditional write lost (already exists, wrong state) */
	ERR_IO,        /* local file system or process error */
	ERR_NOSPACE,   /* disk full */
	ERR_NET,       /* connection failed, reset or timed out */
	ERR_PROTO,     /* malformed answer from a server */
	ERR_AUTH,      /* 401/403, missing or expired credentials */
	ERR_REMOTE,    /* the server answered with an error */
	ERR_THROTTLED, /* throttling or 5xx after retries */
	ERR_CANCELLED, /* the operation was cancelled */
	ERR_INTERNAL,
};

#define ERR_MSG_MAX 512

struct err {
	enum err_code code;
	char msg[ERR_MSG_MAX];
};

/* Sets code and a printf-formatted message; always returns -1 so callers can
 * `return err_set(e, ...)`. e may be NULL. Control characters in the result are
 * replaced by spaces so the message stays on one line. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like err_set, appending ": strerror(errnum)". */
int err_errno(struct err *e, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with a formatted context ("context: old"). */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void err_clear(struct err *e);

/* A short name for an error code ("not found", "conflict", ...). */
const char *err_code_name(enum err_code code);

#endif
