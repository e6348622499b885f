/* credproc: credentials from a profile's credential_process, as the AWS CLI
 * runs it: the command line is run by /bin/sh -c with stdin from /dev/null;
 * stdout must be JSON {"Version": 1, "AccessKeyId", "SecretAccessKey",
 * "SessionToken"?, "Expiration"?}. The loop is never blocked: the child's
 * pipes and its pidfd are watched on the event loop; a process still running
 * after CREDPROC_TIMEOUT_MS is killed. stderr is kept (first line) for the
 * error message when the process fails. */
#ifndef AFTOMATO_CREDPROC_H
#define AFTOMATO_CREDPROC_H

#include <stddef.h>

#include "creds.h"
#include "err.h"

#define CREDPROC_TIMEOUT_MS 60000

struct awsclient;

/* Runs command (copied) for AWS profile `profile` (for messages). */
void credproc_run(struct awsclient *c, const char *command, const char *profile, creds_fn done,
		  void *ctx);

/* Parses the process's output into out (overwritten). */
int credproc_parse(const char *text, size_t len, struct creds *out, struct err *e);

#endif
