/* awscfg: the AWS settings of a profile, resolved once from aftomato's profile
 * (aws.* keys), the standard environment variables and the shared config and
 * credentials files, the way the AWS SDKs resolve them:
 *
 *   AWS profile   aws.profile, else AWS_PROFILE, else "default"
 *   region        aws.region, else AWS_REGION, AWS_DEFAULT_REGION, else the
 *                 profile's `region` in the config file
 *   endpoints     per service: aws.<svc>_endpoint_url, aws.endpoint_url,
 *                 AWS_ENDPOINT_URL_<SVC>, AWS_ENDPOINT_URL, the profile's
 *                 `<svc> = endpoint_url = ...` / `endpoint_url` / `services`
 *                 section, else AWS's regional endpoint
 *   S3 addressing virtual-hosted on AWS, path style on custom endpoints; the
 *                 config file's `s3 = addressing_style = path|virtual` wins
 *   files         AWS_CONFIG_FILE (~/.aws/config),
 *                 AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials)
 *   retries       AWS_MAX_ATTEMPTS / max_attempts (total attempts, default 4)
 *   TLS           AWS_CA_BUNDLE / ca_bundle
 *   User-Agent    aftomato/<version>, plus exec-env/$AWS_EXECUTION_ENV as the SDKs
 * plus a snapshot of the credential-source variables the credential chain uses
 * (creds.h), so a resolved struct awscfg is all the chain reads.
 *
 * Every string is owned by the struct; secrets are wiped by awscfg_cleanup. */
#ifndef AFTOMATO_AWSCFG_H
#define AFTOMATO_AWSCFG_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

struct ini;
struct profile;

enum awscfg_addressing { AWSCFG_ADDR_AUTO, AWSCFG_ADDR_PATH, AWSCFG_ADDR_VIRTUAL };

#define AWSCFG_DEFAULT_MAX_ATTEMPTS 4

struct awscfg {
	char *profile;	       /* the AWS profile name */
	bool profile_explicit; /* named by aws.profile or AWS_PROFILE: must exist */
	char *region;
	char *s3_endpoint; /* NULL: AWS's */
	char *dynamodb_endpoint;
	char *sts_endpoint;
	enum awscfg_addressing s3_addressing;
	char *ca_bundle;
	int max_attempts;
	char *user_agent; /* "aftomato/<version>[ exec-env/$AWS_EXECUTION_ENV]" */

	char *config_path, *credentials_path;
	struct ini *config, *credentials; /* loaded (empty when the file is missing) */
	mode_t config_mode, credentials_mode;

	/* credential sources from the environment */
	char *env_access_key_id, *env_secret_access_key, *env_session_token;
	char *web_role_arn, *web_token_file, *web_session_name;
	char *container_full_uri, *container_relative_uri, *container_token, *container_token_file;
	char *container_host; /* for the relative URI; "http://169.254.170.2" */
	char *imds_endpoint;  /* "http://169.254.169.254" (no trailing '/') */
	bool imds_disabled;
	long imds_timeout_ms;
};

/* Fills c (overwritten) for aftomato profile p (NULL: environment and files
 * only). Fails with ERR_CONFIG for an unreadable or malformed shared file or
 * when no region is set anywhere. On failure c holds nothing. */
int awscfg_resolve(struct awscfg *c, const struct profile *p, struct err *e);

/* Frees and wipes everything; c is zeroed. */
void awscfg_cleanup(struct awscfg *c);

/* The config-file section of an AWS profile: "default" or "profile NAME". The
 * result is written into buf. */
const char *awscfg_config_section(const char *profile, char *buf, size_t size);

/* key of AWS profile `profile`: the credentials file first, then the config
 * file. NULL when unset. Points into c. *from (if not NULL) gets the ini it
 * came from. */
const char *awscfg_profile_value(const struct awscfg *c, const char *profile, const char *key,
				 const struct ini **from);

/* Whether AWS profile `profile` exists in either file. */
bool awscfg_profile_exists(const struct awscfg *c, const char *profile);

/* Where an S3 request for bucket goes, signed for region: *base_out is the
 * scheme://host[:port] (new string, caller frees) and *bucket_in_path says
 * whether the path starts with "/bucket" (path style). */
void awscfg_s3_base(const struct awscfg *c, const char *bucket, const char *region, char **base_out,
		    bool *bucket_in_path);

/* The endpoint of a service ("dynamodb", "sts"): the configured one, or AWS's
 * regional endpoint for region. New string, caller frees. */
char *awscfg_endpoint(const struct awscfg *c, const char *service, const char *region);

/* Whether the S3 endpoint is AWS's own (not a custom endpoint). */
bool awscfg_s3_is_aws(const struct awscfg *c);

#endif
