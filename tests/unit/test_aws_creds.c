/* Unit tests for the AWS credential chain (creds.c and its providers) against
 * the test servers' STS, IMDSv2 and container endpoints, each provider in
 * turn, the order of the chain, the errors (one line, no secret), the notice
 * for a credentials file readable by others, and, on a private instance with
 * 6-second credentials and a clock 30 minutes ahead: refresh before expiry
 * without disturbing a request in flight, ExpiredToken answered by resolving
 * again, and clock-skew correction from the server's Date. Each case signs a
 * real request (DynamoDB ListTables) and checks which key the proxy saw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/awscfg.h"
#include "aws/awsclient.h"
#include "aws/creds.h"
#include "aws/dynamodb.h"
#include "evloop.h"
#include "test_aws_fixture.h"
#include "timeutil.h"
#include "xmem.h"

struct fx {
	struct evloop *loop;
	char *secret; /* the static secret of the servers */
	char dir[512];
	int notices;
	char notice[ERR_MSG_MAX];
};

static int s_setup(void **state)
{
	if (awsfx_env(AWSFX_SHARED_STATE) < 0)
		return -1;
	setenv("AWS_EXECUTION_ENV", awsfx_run_id(), 1);
	struct fx *f = xcalloc(1, sizeof(*f));
	struct err e = {0};
	f->loop = evloop_new(&e);
	f->secret = xstrdup(getenv("AWS_SECRET_ACCESS_KEY"));
	snprintf(f->dir, sizeof(f->dir), "%s/creds-%s", AFT_TEST_TMP, awsfx_run_id());
	mkdir(f->dir, 0700);
	/* No shared files unless a test writes them. */
	char *cfg = xasprintf("%s/none", f->dir);
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cfg, 1);
	free(cfg);
	*state = f;
	alarm(170);
	return 0;
}

static int s_teardown(void **state)
{
	struct fx *f = *state;
	evloop_free(f->loop);
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(cmd);
	free(f->secret);
	free(f);
	alarm(0);
	return 0;
}

static void s_notice(void *ctx, const struct err *e)
{
	struct fx *f = ctx;
	f->notices++;
	snprintf(f->notice, sizeof(f->notice), "%s", e->msg);
}

static struct awsclient *s_client(struct fx *f)
{
	struct awsclient *c = awsfx_client(f->loop);
	assert_non_null(c);
	awsclient_set_notice(c, s_notice, f);
	return c;
}

static char *s_file(struct fx *f, const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	return path;
}

struct call {
	int done;
	int rc;
	struct err err;
};

static void s_done(void *ctx, struct dynamodb_result *r)
{
	struct call *c = ctx;
	c->done = 1;
	c->rc = r->rc;
	c->err = r->err;
}

/* A signed request through client; returns rc (err in *e). */
static int s_call(struct fx *f, struct awsclient *c, struct err *e)
{
	struct call k = {0};
	dynamodb_call(c, "ListTables", "(tables)", json_object(), s_done, &k);
	assert_int_equal(awsfx_run(f->loop, &k.done, 60000), 1);
	if (e)
		*e = k.err;
	return k.rc;
}

/* The access key of the last ListTables the proxy saw from this process. */
static char *s_last_key(void)
{
	json_t *log = awsfx_admin("GET", "/log?backend=dynamodb", NULL);
	char *key = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(log, i, e)
	{
		const char *t = json_string_value(json_object_get(e, "target"));
		const char *k = json_string_value(json_object_get(e, "access_key_id"));
		if (t && strstr(t, "ListTables") && k) {
			free(key);
			key = xstrdup(k);
		}
	}
	json_decref(log);
	return key ? key : xstrdup("");
}

static long s_counter(const char *group, const char *name)
{
	json_t *c = awsfx_admin("GET", "/counters", NULL);
	long n = (long)json_integer_value(json_object_get(json_object_get(c, group), name));
	json_decref(c);
	return n;
}

static void s_no_static_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void s_expect_key(const char *prefix)
{
	char *key = s_last_key();
	assert_int_equal(strncmp(key, prefix, strlen(prefix)), 0);
	free(key);
}

/* --- providers ------------------------------------------------------------------ */

static void test_environment_first(void **state)
{
	struct fx *f = *state;
	/* A profile with other keys exists: the environment still wins. */
	char *creds = s_file(f, "credentials",
			     "[default]\naws_access_key_id = AKIAOTHER\n"
			     "aws_secret_access_key = nope\n",
			     0600);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	struct awsclient *c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	s_expect_key(getenv("AWS_ACCESS_KEY_ID"));
	const struct creds *cur = creds_peek(awsclient_creds(c));
	assert_string_equal(cur->source, "environment");
	assert_true(cur->expires_ms == 0);
	assert_int_equal(f->notices, 0);
	awsclient_unref(c);
	/* Half of the pair is an error, not a fall-through. */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	c = s_client(f);
	struct err e;
	assert_int_equal(s_call(f, c, &e), -1);
	assert_int_equal(e.code, ERR_AUTH);
	assert_non_null(strstr(e.msg, "must both be set"));
	awsclient_unref(c);
	free(creds);
}

static void test_profile_static_and_file_mode(void **state)
{
	struct fx *f = *state;
	char *text = xasprintf("[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
			       getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"));
	char *creds = s_file(f, "credentials", text, 0644);
	s_no_static_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_PROFILE", "ci", 1);
	struct awsclient *c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	assert_string_equal(creds_peek(awsclient_creds(c))->source, "profile ci");
	/* Readable by others: one notice, as ssh warns, and it names the file. */
	assert_int_equal(f->notices, 1);
	assert_non_null(strstr(f->notice, "is readable by others (mode 0644)"));
	assert_non_null(strstr(f->notice, creds));
	assert_null(strstr(f->notice, f->secret));
	awsclient_unref(c);
	chmod(creds, 0600);
	f->notices = 0;
	c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	assert_int_equal(f->notices, 0);
	awsclient_unref(c);
	/* A profile named but absent is a configuration error. */
	setenv("AWS_PROFILE", "nope", 1);
	c = s_client(f);
	struct err e;
	assert_int_equal(s_call(f, c, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "AWS profile nope is not in"));
	awsclient_unref(c);
	free(creds);
	free(text);
}

static void test_assume_role_chain(void **state)
{
	struct fx *f = *state;
	char *text = xasprintf("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
			       getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"));
	char *creds = s_file(f, "credentials", text, 0600);
	char *cfgtext = xasprintf("[profile deploy]\nrole_arn = %s\nsource_profile = base\n"
				  "role_session_name = aft-test\nduration_seconds = 900\n"
				  "[profile again]\nrole_arn = %s\nsource_profile = deploy\n"
				  "[profile loop1]\nrole_arn = %s\nsource_profile = loop2\n"
				  "[profile loop2]\nrole_arn = %s\nsource_profile = loop1\n",
				  getenv("AFT_AWS_ROLE_ARN"), getenv("AFT_AWS_ROLE_ARN"),
				  getenv("AFT_AWS_ROLE_ARN"), getenv("AFT_AWS_ROLE_ARN"));
	char *cfg = s_file(f, "config", cfgtext, 0600);
	s_no_static_env();
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_PROFILE", "deploy", 1);
	long before = s_counter("sts", "AssumeRole");
	struct awsclient *c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	s_expect_key("ASIA");
	const struct creds *cur = creds_peek(awsclient_creds(c));
	assert_non_null(cur->session_token);
	assert_true(cur->expires_ms > timeutil_wall_ms());
	assert_non_null(strstr(cur->source, "assumed role"));
	assert_int_equal(s_counter("sts", "AssumeRole") - before, 1);
	/* A second request uses the cache. */
	assert_int_equal(s_call(f, c, NULL), 0);
	assert_int_equal(s_counter("sts", "AssumeRole") - before, 1);
	awsclient_unref(c);
	/* Two roles in a row: two AssumeRole calls. */
	setenv("AWS_PROFILE", "again", 1);
	before = s_counter("sts", "AssumeRole");
	c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	assert_int_equal(s_counter("sts", "AssumeRole") - before, 2);
	awsclient_unref(c);
	/* A cycle is reported, not followed forever. */
	setenv("AWS_PROFILE", "loop1", 1);
	c = s_client(f);
	struct err e;
	assert_int_equal(s_call(f, c, &e), -1);
	assert_non_null(strstr(e.msg, "too long or cyclic"));
	awsclient_unref(c);
	free(text);
	free(cfgtext);
	free(creds);
	free(cfg);
}

static void test_credential_process(void **state)
{
	struct fx *f = *state;
	char *script = xasprintf("#!/bin/sh\ncat <<EOF\n{\"Version\": 1, \"AccessKeyId\": \"%s\", "
				 "\"SecretAccessKey\": \"%s\", \"Expiration\": "
				 "\"2099-01-01T00:00:00Z\"}\nEOF\n",
				 getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"));
	char *ok = s_file(f, "proc-ok.sh", script, 0700);
	char *fail =
	    s_file(f, "proc-fail.sh",
		   "#!/bin/sh\necho 'token service unreachable' >&2\necho partial\nexit 3\n", 0700);
	char *junk = s_file(f, "proc-junk.sh", "#!/bin/sh\necho not json\n", 0700);
	char *cfgtext = xasprintf("[profile p]\ncredential_process = %s --flag 'a b'\n"
				  "[profile f]\ncredential_process = %s\n"
				  "[profile j]\ncredential_process = %s\n",
				  ok, fail, junk);
	char *cfg = s_file(f, "config", cfgtext, 0600);
	s_no_static_env();
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_PROFILE", "p", 1);
	struct awsclient *c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	s_expect_key("AKIAAFTOMATOTEST0001"); /* the key the process printed */
	assert_non_null(strstr(creds_peek(awsclient_creds(c))->source, "credential_process"));
	awsclient_unref(c);
	struct err e;
	setenv("AWS_PROFILE", "f", 1);
	c = s_client(f);
	assert_int_equal(s_call(f, c, &e), -1);
	assert_int_equal(e.code, ERR_AUTH);
	assert_non_null(strstr(e.msg, "credential_process of AWS profile f exited with status 3: "
				      "token service unreachable"));
	assert_null(strchr(e.msg, '\n'));
	awsclient_unref(c);
	setenv("AWS_PROFILE", "j", 1);
	c = s_client(f);
	assert_int_equal(s_call(f, c, &e), -1);
	assert_non_null(strstr(e.msg, "not a JSON object"));
	awsclient_unref(c);
	free(script);
	free(ok);
	free(fail);
	free(junk);
	free(cfgtext);
	free(cfg);
}

static void test_web_identity(void **state)
{
	struct fx *f = *state;
	s_no_static_env();
	setenv("AWS_ROLE_ARN", getenv("AFT_AWS_WEB_IDENTITY_ROLE_ARN"), 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", getenv("AFT_AWS_WEB_IDENTITY_TOKEN_FILE"), 1);
	long before = s_counter("sts", "AssumeRoleWithWebIdentity");
	struct awsclient *c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	s_expect_key("ASIA");
	assert_non_null(strstr(creds_peek(awsclient_creds(c))->source, "web identity"));
	assert_int_equal(s_counter("sts", "AssumeRoleWithWebIdentity") - before, 1);
	awsclient_unref(c);
	/* A token the STS does not accept. */
	char *bad = s_file(f, "token", "eyJ.wrong.token\n", 0600);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", bad, 1);
	c = s_client(f);
	struct err e;
	assert_int_equal(s_call(f, c, &e), -1);
	assert_int_equal(e.code, ERR_AUTH);
	assert_non_null(strstr(e.msg, "STS AssumeRoleWithWebIdentity"));
	assert_non_null(strstr(e.msg, "InvalidIdentityToken"));
	assert_null(strstr(e.msg, "eyJ.wrong"));
	awsclient_unref(c);
	free(bad);
}

static void test_container_and_imds(void **state)
{
	struct fx *f = *state;
	s_no_static_env();
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	       getenv("AFT_AWS_CONTAINER_CREDENTIALS_FULL_URI"), 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	       getenv("AFT_AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), 1);
	long before = s_counter("container", "credentials");
	struct awsclient *c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	s_expect_key("ASIA");
	assert_string_equal(creds_peek(awsclient_creds(c))->source, "container credentials");
	assert_int_equal(s_counter("container", "credentials") - before, 1);
	awsclient_unref(c);
	/* The relative URI (on the agent's address, here the test server). */
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	       getenv("AFT_AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", getenv("AFT_AWS_CONTAINER_AUTHORIZATION_TOKEN"),
	       1);
	struct awscfg cfg;
	struct err e = {0};
	assert_int_equal(awscfg_resolve(&cfg, NULL, &e), 0);
	free(cfg.container_host);
	cfg.container_host = xstrdup(getenv("AFT_AWS_CONTAINER_CREDENTIALS_HOST"));
	c = awsclient_new(f->loop, &cfg);
	assert_int_equal(s_call(f, c, NULL), 0);
	s_expect_key("ASIA");
	awsclient_unref(c);
	/* Without the token: refused, reported. */
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	assert_int_equal(awscfg_resolve(&cfg, NULL, &e), 0);
	free(cfg.container_host);
	cfg.container_host = xstrdup(getenv("AFT_AWS_CONTAINER_CREDENTIALS_HOST"));
	c = awsclient_new(f->loop, &cfg);
	assert_int_equal(s_call(f, c, &e), -1);
	assert_non_null(strstr(e.msg, "container credentials"));
	assert_non_null(strstr(e.msg, "401"));
	awsclient_unref(c);
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

	/* IMDSv2: a token first, then the role, then its credentials. */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	long tokens = s_counter("imds", "token");
	c = s_client(f);
	assert_int_equal(s_call(f, c, NULL), 0);
	s_expect_key("ASIA");
	assert_non_null(strstr(creds_peek(awsclient_creds(c))->source, "instance profile"));
	assert_int_equal(s_counter("imds", "token") - tokens, 1);
	awsclient_unref(c);

	/* Nothing anywhere: one clear line. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	c = s_client(f);
	assert_int_equal(s_call(f, c, &e), -1);
	assert_int_equal(e.code, ERR_AUTH);
	assert_non_null(strstr(e.msg, "no AWS credentials found"));
	awsclient_unref(c);
}

/* --- private instance: lifetimes, expiry, clock ------------------------------- */

struct slow {
	int done;
	int rc;
};

static void s_slow_done(void *ctx, struct dynamodb_result *r)
{
	struct slow *s = ctx;
	s->done = 1;
	s->rc = r->rc;
}

static void s_sleep_loop(struct fx *f, int ms)
{
	int never = 0;
	awsfx_run(f->loop, &never, ms);
}

static void test_refresh_expiry_and_clock(void **state)
{
	struct fx *f = *state;
	char dir[600];
	const char *env[] = {"AFT_AWS_TTL_SECONDS=6", "AFT_AWS_SKIP_RESOURCES=1", NULL};
	assert_int_equal(awsfx_start("creds", env, dir, sizeof(dir)), 0);
	assert_int_equal(awsfx_env(dir), 0);
	setenv("AWS_EXECUTION_ENV", awsfx_run_id(), 1);
	s_no_static_env();
	setenv("AWS_ROLE_ARN", getenv("AFT_AWS_WEB_IDENTITY_ROLE_ARN"), 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", getenv("AFT_AWS_WEB_IDENTITY_TOKEN_FILE"), 1);
	struct awsclient *c = s_client(f);
	struct creds_chain *ch = awsclient_creds(c);
	struct err e = {0};
	if (s_call(f, c, &e) < 0)
		fprintf(stderr, "first call: %s\n", e.msg);
	assert_int_equal(e.code, ERR_NONE);
	assert_int_equal(creds_resolutions(ch), 1);
	char *first = s_last_key();

	/* A request in flight (answered after 5 s) across the refresh. */
	int fid = awsfx_fault("{\"backend\":\"dynamodb\",\"target\":\"ListTables$\","
			      "\"delay_ms\":5000}");
	assert_true(fid > 0);
	struct slow slow = {0};
	dynamodb_call(c, "ListTables", "(slow)", json_object(), s_slow_done, &slow);
	s_sleep_loop(f, 3500); /* past half the lifetime */
	assert_int_equal(slow.done, 0);
	assert_int_equal(s_call(f, c, NULL), 0); /* the cached ones, refresh started */
	awsfx_run(f->loop, &slow.done, 10000);
	assert_int_equal(slow.rc, 0); /* signed with the old credentials, unaffected */
	assert_int_equal(creds_resolutions(ch), 2);
	s_sleep_loop(f, 3000); /* the first credentials have expired now */
	assert_int_equal(s_call(f, c, NULL), 0);
	char *later = s_last_key();
	assert_string_not_equal(first, later);
	free(first);
	free(later);
	assert_int_equal(f->notices, 0);
	awsclient_unref(c);

	/* A clock 30 minutes off: corrected from the server's Date, once. */
	json_decref(awsfx_admin("POST", "/config", "{\"clock_offset_seconds\": 1800}"));
	unsetenv("AWS_ROLE_ARN");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	awsfx_env(dir);
	setenv("AWS_EXECUTION_ENV", awsfx_run_id(), 1);
	c = s_client(f);
	assert_int_equal(s_call(f, c, &e), 0);
	int64_t off = awsclient_clock_offset(c);
	assert_true(off > 1790 && off < 1810);
	awsclient_unref(c);
	json_decref(awsfx_admin("POST", "/config", "{\"clock_offset_seconds\": 0}"));

	/* Credentials that expire before their stated time: ExpiredToken makes the
	 * chain resolve again (the process hands out a new key the second time). */
	json_decref(awsfx_admin("POST", "/credentials",
				"{\"access_key_id\":\"ASIAAFTSHORT00000001\",\"secret_access_key\":"
				"\"shortsecret1\",\"session_token\":\"tok1tok1tok1\","
				"\"expires_in_seconds\":2}"));
	json_decref(awsfx_admin("POST", "/credentials",
				"{\"access_key_id\":\"ASIAAFTSHORT00000002\",\"secret_access_key\":"
				"\"shortsecret2\",\"session_token\":\"tok2tok2tok2\"}"));
	char *count = xasprintf("%s/runs", f->dir);
	char *script = xasprintf(
	    "#!/bin/sh\necho x >> '%s'\nn=$(wc -l < '%s' | tr -d ' ')\n"
	    "printf '{\"Version\": 1, \"AccessKeyId\": \"ASIAAFTSHORT0000000%%s\", "
	    "\"SecretAccessKey\": \"shortsecret%%s\", \"SessionToken\": \"tok%%stok%%stok%%s\", "
	    "\"Expiration\": \"2099-01-01T00:00:00Z\"}\\n' $n $n $n $n $n\n",
	    count, count);
	char *proc = s_file(f, "proc-rotate.sh", script, 0700);
	char *cfgtext = xasprintf("[profile r]\ncredential_process = %s\n", proc);
	char *cfg = s_file(f, "config-r", cfgtext, 0600);
	s_no_static_env();
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_PROFILE", "r", 1);
	c = s_client(f);
	assert_int_equal(s_call(f, c, &e), 0);
	s_expect_key("ASIAAFTSHORT00000001");
	s_sleep_loop(f, 2500);
	assert_int_equal(s_call(f, c, &e), 0);
	s_expect_key("ASIAAFTSHORT00000002");
	assert_int_equal(creds_resolutions(awsclient_creds(c)), 2);
	awsclient_unref(c);
	free(count);
	free(script);
	free(proc);
	free(cfgtext);
	free(cfg);
	awsfx_stop(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_environment_first, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_profile_static_and_file_mode, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_assume_role_chain, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_credential_process, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_web_identity, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_container_and_imds, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_refresh_expiry_and_clock, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
