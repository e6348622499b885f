#include "awscfg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsutil.h"
#include "ini.h"
#include "profile.h"
#include "xmem.h"

#define IMDS_DEFAULT_ENDPOINT	"http://169.254.169.254"
#define CONTAINER_DEFAULT_HOST	"http://169.254.170.2"
#define IMDS_DEFAULT_TIMEOUT_MS 1000

static const char *s_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *s_env_dup(const char *name)
{
	return xstrdup(s_env(name));
}

static void s_wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

const char *awscfg_config_section(const char *profile, char *buf, size_t size)
{
	if (strcmp(profile, "default") == 0)
		snprintf(buf, size, "default");
	else
		snprintf(buf, size, "profile %.200s", profile);
	return buf;
}

/* A key of the config file only, for the profile. "[profile default]" is
 * accepted as well as "[default]". */
static const char *s_config_value(const struct awscfg *c, const char *profile, const char *key)
{
	char sect[256];
	const char *v = ini_get(c->config, awscfg_config_section(profile, sect, sizeof(sect)), key);
	if (!v && strcmp(profile, "default") == 0)
		v = ini_get(c->config, "profile default", key);
	return v;
}

const char *awscfg_profile_value(const struct awscfg *c, const char *profile, const char *key,
				 const struct ini **from)
{
	const char *v = ini_get(c->credentials, profile, key);
	if (v) {
		if (from)
			*from = c->credentials;
		return v;
	}
	v = s_config_value(c, profile, key);
	if (from)
		*from = v ? c->config : NULL;
	return v;
}

bool awscfg_profile_exists(const struct awscfg *c, const char *profile)
{
	char sect[256];
	return ini_has_section(c->credentials, profile) ||
	       ini_has_section(c->config, awscfg_config_section(profile, sect, sizeof(sect))) ||
	       (strcmp(profile, "default") == 0 && ini_has_section(c->config, "profile default"));
}

/* The endpoint for one service from the shared config: "<svc> =\n
 * endpoint_url = ..." in the profile, the profile's `services` section, then
 * the profile's global endpoint_url. */
static const char *s_file_endpoint(const struct awscfg *c, const char *svc)
{
	char key[64];
	snprintf(key, sizeof(key), "%s.endpoint_url", svc);
	const char *v = s_config_value(c, c->profile, key);
	const char *services = s_config_value(c, c->profile, "services");
	if (!v && services) {
		char sect[256];
		snprintf(sect, sizeof(sect), "services %.200s", services);
		v = ini_get(c->config, sect, key);
	}
	return v ? v : s_config_value(c, c->profile, "endpoint_url");
}

/* Strips trailing slashes from a URL copy. */
static char *s_url(const char *v)
{
	if (!v || !*v)
		return NULL;
	char *u = xstrdup(v);
	size_t n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		u[--n] = '\0';
	return u;
}

static char *s_endpoint_for(const struct awscfg *c, const struct profile *p, const char *svc,
			    const char *profile_key, const char *env_name)
{
	const char *v = profile_key;
	if (!v && p)
		v = p->aws.endpoint_url;
	if (!v)
		v = s_env(env_name);
	if (!v)
		v = s_env("AWS_ENDPOINT_URL");
	if (!v)
		v = s_file_endpoint(c, svc);
	return s_url(v);
}

static int s_load_files(struct awscfg *c, struct err *e)
{
	const char *cfg = s_env("AWS_CONFIG_FILE");
	const char *creds = s_env("AWS_SHARED_CREDENTIALS_FILE");
	c->config_path = fsutil_expand_home(cfg ? cfg : "~/.aws/config");
	c->credentials_path = fsutil_expand_home(creds ? creds : "~/.aws/credentials");
	if (ini_load(c->config_path, &c->config, &c->config_mode, e) < 0 ||
	    ini_load(c->credentials_path, &c->credentials, &c->credentials_mode, e) < 0)
		return err_prefix(e, "AWS shared files");
	return 0;
}

static void s_env_sources(struct awscfg *c)
{
	c->env_access_key_id = s_env_dup("AWS_ACCESS_KEY_ID");
	c->env_secret_access_key = s_env_dup("AWS_SECRET_ACCESS_KEY");
	c->env_session_token = s_env_dup("AWS_SESSION_TOKEN");
	if (!c->env_session_token)
		c->env_session_token = s_env_dup("AWS_SECURITY_TOKEN");
	c->web_role_arn = s_env_dup("AWS_ROLE_ARN");
	c->web_token_file = s_env_dup("AWS_WEB_IDENTITY_TOKEN_FILE");
	c->web_session_name = s_env_dup("AWS_ROLE_SESSION_NAME");
	c->container_full_uri = s_env_dup("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	c->container_relative_uri = s_env_dup("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	c->container_token = s_env_dup("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	c->container_token_file = s_env_dup("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	c->container_host = xstrdup(CONTAINER_DEFAULT_HOST);
	const char *imds = s_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (!imds)
		imds = s_config_value(c, c->profile, "ec2_metadata_service_endpoint");
	c->imds_endpoint = s_url(imds ? imds : IMDS_DEFAULT_ENDPOINT);
	const char *off = s_env("AWS_EC2_METADATA_DISABLED");
	c->imds_disabled = off && strcasecmp(off, "true") == 0;
	const char *t = s_env("AWS_METADATA_SERVICE_TIMEOUT");
	long secs = t ? strtol(t, NULL, 10) : 0;
	c->imds_timeout_ms = secs > 0 ? secs * 1000 : IMDS_DEFAULT_TIMEOUT_MS;
}

static void s_addressing(struct awscfg *c)
{
	const char *style = s_config_value(c, c->profile, "s3.addressing_style");
	c->s3_addressing = AWSCFG_ADDR_AUTO;
	if (style && strcasecmp(style, "path") == 0)
		c->s3_addressing = AWSCFG_ADDR_PATH;
	else if (style && strcasecmp(style, "virtual") == 0)
		c->s3_addressing = AWSCFG_ADDR_VIRTUAL;
}

static void s_retries(struct awscfg *c)
{
	const char *v = s_env("AWS_MAX_ATTEMPTS");
	if (!v)
		v = s_config_value(c, c->profile, "max_attempts");
	long n = v ? strtol(v, NULL, 10) : 0;
	c->max_attempts = n >= 1 && n <= 20 ? (int)n : AWSCFG_DEFAULT_MAX_ATTEMPTS;
}

int awscfg_resolve(struct awscfg *c, const struct profile *p, struct err *e)
{
	memset(c, 0, sizeof(*c));
	const char *name = p ? p->aws.profile : NULL;
	if (!name)
		name = s_env("AWS_PROFILE");
	if (!name)
		name = s_env("AWS_DEFAULT_PROFILE");
	c->profile_explicit = name != NULL;
	c->profile = xstrdup(name ? name : "default");
	if (s_load_files(c, e) < 0)
		goto fail;
	const char *region = p ? p->aws.region : NULL;
	if (!region)
		region = s_env("AWS_REGION");
	if (!region)
		region = s_env("AWS_DEFAULT_REGION");
	if (!region)
		region = s_config_value(c, c->profile, "region");
	if (!region) {
		err_set(e, ERR_CONFIG,
			"no AWS region: set aws.region in the profile, AWS_REGION, or "
			"region in %.300s",
			c->config_path);
		goto fail;
	}
	c->region = xstrdup(region);
	c->s3_endpoint =
	    s_endpoint_for(c, p, "s3", p ? p->aws.s3_endpoint_url : NULL, "AWS_ENDPOINT_URL_S3");
	c->dynamodb_endpoint = s_endpoint_for(
	    c, p, "dynamodb", p ? p->aws.dynamodb_endpoint_url : NULL, "AWS_ENDPOINT_URL_DYNAMODB");
	c->sts_endpoint = s_endpoint_for(c, p, "sts", NULL, "AWS_ENDPOINT_URL_STS");
	s_addressing(c);
	s_retries(c);
	const char *ca = s_env("AWS_CA_BUNDLE");
	if (!ca)
		ca = s_config_value(c, c->profile, "ca_bundle");
	c->ca_bundle = ca ? fsutil_expand_home(ca) : NULL;
	const char *exec_env = s_env("AWS_EXECUTION_ENV");
	if (exec_env)
		c->user_agent = xasprintf("aftomato/%s exec-env/%s", AFTOMATO_VERSION, exec_env);
	else
		c->user_agent = xstrdup("aftomato/" AFTOMATO_VERSION);
	s_env_sources(c);
	return 0;
fail:
	awscfg_cleanup(c);
	return -1;
}

void awscfg_cleanup(struct awscfg *c)
{
	free(c->profile);
	free(c->region);
	free(c->s3_endpoint);
	free(c->dynamodb_endpoint);
	free(c->sts_endpoint);
	free(c->ca_bundle);
	free(c->user_agent);
	free(c->config_path);
	free(c->credentials_path);
	ini_free(c->config);
	ini_free(c->credentials);
	free(c->env_access_key_id);
	s_wipe_free(c->env_secret_access_key);
	s_wipe_free(c->env_session_token);
	free(c->web_role_arn);
	free(c->web_token_file);
	free(c->web_session_name);
	free(c->container_full_uri);
	free(c->container_relative_uri);
	s_wipe_free(c->container_token);
	free(c->container_token_file);
	free(c->container_host);
	free(c->imds_endpoint);
	memset(c, 0, sizeof(*c));
}

static const char *s_dns_suffix(const char *region)
{
	return strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
}

/* A bucket name usable as a host label over TLS: 3-63 of [a-z0-9-], starting
 * and ending with a letter or digit (dots would break the certificate). */
static bool s_dns_bucket(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return false;
	for (const char *p = b; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

bool awscfg_s3_is_aws(const struct awscfg *c)
{
	return c->s3_endpoint == NULL;
}

void awscfg_s3_base(const struct awscfg *c, const char *bucket, const char *region, char **base_out,
		    bool *bucket_in_path)
{
	bool virt;
	if (c->s3_addressing == AWSCFG_ADDR_PATH)
		virt = false;
	else if (c->s3_addressing == AWSCFG_ADDR_VIRTUAL)
		virt = true;
	else
		virt = c->s3_endpoint == NULL;
	if (virt && !s_dns_bucket(bucket))
		virt = false;
	*bucket_in_path = !virt;
	if (c->s3_endpoint) {
		if (!virt) {
			*base_out = xstrdup(c->s3_endpoint);
			return;
		}
		/* Virtual-hosted on a custom endpoint: the bucket before the host. */
		const char *sep = strstr(c->s3_endpoint, "://");
		const char *host = sep ? sep + 3 : c->s3_endpoint;
		*base_out = xasprintf("%.*s%s.%s", (int)(host - c->s3_endpoint), c->s3_endpoint,
				      bucket, host);
		return;
	}
	if (virt)
		*base_out = xasprintf("https://%s.s3.%s.%s", bucket, region, s_dns_suffix(region));
	else
		*base_out = xasprintf("https://s3.%s.%s", region, s_dns_suffix(region));
}

char *awscfg_endpoint(const struct awscfg *c, const char *service, const char *region)
{
	const char *v = strcmp(service, "dynamodb") == 0 ? c->dynamodb_endpoint
			: strcmp(service, "sts") == 0	 ? c->sts_endpoint
			: strcmp(service, "s3") == 0	 ? c->s3_endpoint
							 : NULL;
	if (v)
		return xstrdup(v);
	return xasprintf("https://%s.%s.%s", service, region, s_dns_suffix(region));
}
