/* imds: credentials from the machine the program runs on.
 *   - EC2 instance profile through IMDSv2: PUT /latest/api/token (6 h TTL),
 *     then GET /latest/meta-data/iam/security-credentials/ (the role) and
 *     .../<role> (JSON), every GET carrying the token. IMDSv1 is never used.
 *     Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT (default 169.254.169.254),
 *     short timeouts (AWS_METADATA_SERVICE_TIMEOUT, 1 s) and 2 attempts, as
 *     the SDKs do, so a machine without IMDS fails fast.
 *   - Container credentials (ECS tasks, EKS Pod Identity):
 *     AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback or the
 *     container agent's link-local address) or _RELATIVE_URI on
 *     169.254.170.2, with the Authorization token from
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on each call) or
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN. */
#ifndef AFTOMATO_IMDS_H
#define AFTOMATO_IMDS_H

#include <stdbool.h>
#include <stddef.h>

#include "creds.h"
#include "err.h"

struct awsclient;

/* Instance profile credentials through IMDSv2. */
void imds_fetch(struct awsclient *c, creds_fn done, void *ctx);

/* Container credentials (needs a container URI in the client's settings). */
void imds_container_fetch(struct awsclient *c, creds_fn done, void *ctx);

/* Whether an http:// full URI may be used (loopback or the agent's address). */
bool imds_container_uri_allowed(const char *uri);

/* Parses the JSON of IMDS or the container endpoint into out (overwritten).
 * what names the source in errors. */
int imds_parse_credentials(const char *json, size_t len, const char *what, struct creds *out,
			   struct err *e);

#endif
