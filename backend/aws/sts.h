/* sts: the AWS Security Token Service calls the credential chain needs, over
 * the Query API (POST form, XML answers): AssumeRole, signed with the source
 * credentials, and AssumeRoleWithWebIdentity, unsigned, with the token read
 * from a file on each call (EKS rotates it). Endpoint: AWS_ENDPOINT_URL_STS or
 * aws.endpoint_url, else STS's regional endpoint. */
#ifndef AFTOMATO_STS_H
#define AFTOMATO_STS_H

#include <stddef.h>

#include "creds.h"
#include "err.h"

struct awsclient;

struct sts_role {
	const char *role_arn;
	const char *session_name; /* NULL: "aftomato-<unix time>" */
	const char *external_id;  /* NULL: none */
	int duration_s;		  /* 0: STS's default (1 h) */
};

/* AssumeRole with source's keys. done gets the role's temporary credentials.
 * Everything is copied. */
void sts_assume_role(struct awsclient *c, const struct creds *source, const struct sts_role *role,
		     creds_fn done, void *ctx);

/* AssumeRoleWithWebIdentity for role_arn with the token in token_file. */
void sts_assume_role_web_identity(struct awsclient *c, const char *role_arn,
				  const char *session_name, const char *token_file, creds_fn done,
				  void *ctx);

/* Parses an <Action>Response answer: the Credentials element of <Action>Result.
 * out is overwritten; on success the caller owns its members. */
int sts_parse_credentials(const char *xml, size_t len, const char *action, struct creds *out,
			  struct err *e);

#endif
