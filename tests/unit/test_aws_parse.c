/* Unit tests for the AWS modules' parsers and settings, without servers:
 * xmltree (entities, truncation, depth), the shared config/credentials files
 * (ini), settings resolution (awscfg: precedence of aftomato's keys, the
 * environment and the files; endpoints and S3 addressing), error answers of
 * every service and their classification (awserr), ISO 8601 times, the
 * credential documents of STS, IMDS/container and credential_process, S3
 * listings (url-encoded keys, prefixes merged in order) and DynamoDB items
 * (round trips, the original system's records, cursors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/awscfg.h"
#include "aws/awserr.h"
#include "aws/awsutil.h"
#include "aws/credproc.h"
#include "aws/ddbjson.h"
#include "aws/imds.h"
#include "aws/ini.h"
#include "aws/s3.h"
#include "aws/sts.h"
#include "aws/xmltree.h"
#include "profile.h"
#include "xmem.h"

/* --- xmltree --------------------------------------------------------------- */

static void test_xml_entities_and_paths(void **state)
{
	(void)state;
	const char *x = "<?xml version=\"1.0\"?>\n<A xmlns=\"urn:x\"><B>one &amp; two</B>"
			"<B>it&#x27;s</B><C><D>d&lt;e</D></C><E/></A>";
	struct xmltree_node *root = NULL;
	struct err e = {0};
	assert_int_equal(xmltree_parse(x, strlen(x), &root, &e), 0);
	assert_string_equal(root->name, "A");
	const struct xmltree_node *b = xmltree_child(root, "B");
	assert_string_equal(b->text, "one & two");
	b = xmltree_next(b);
	assert_non_null(b);
	assert_string_equal(b->text, "it's");
	assert_null(xmltree_next(b));
	assert_string_equal(xmltree_path(root, "C/D")->text, "d<e");
	assert_string_equal(xmltree_text(root, "E"), "");
	assert_null(xmltree_text(root, "F"));
	assert_null(xmltree_path(root, "C/X"));
	xmltree_free(root);
}

static void test_xml_malformed(void **state)
{
	(void)state;
	struct xmltree_node *root = NULL;
	struct err e = {0};
	const char *trunc = "<ListBucketResult><Contents><Key>a</Key>";
	assert_int_equal(xmltree_parse(trunc, strlen(trunc), &root, &e), -1);
	assert_int_equal(e.code, ERR_PROTO);
	assert_null(root);
	assert_non_null(strstr(e.msg, "malformed XML"));
	assert_int_equal(xmltree_parse("", 0, &root, &e), -1);
	assert_int_equal(xmltree_parse("<a><b></a>", 10, &root, &e), -1);
	/* Nesting deeper than the limit. */
	char deep[2000] = "";
	for (int i = 0; i < XMLTREE_MAX_DEPTH + 5; i++)
		strcat(deep, "<x>");
	assert_int_equal(xmltree_parse(deep, strlen(deep), &root, &e), -1);
	assert_non_null(strstr(e.msg, "deeply"));
}

/* --- ini ------------------------------------------------------------------ */

static void test_ini(void **state)
{
	(void)state;
	const char *text = "# comment\n[default]\nregion = us-west-1\nS3 =\n    addressing_style = "
			   "path\n  signature_version = s3v4\nmax_attempts=7\n\n; another\n"
			   "[profile ci]\nrole_arn = arn:aws:iam::1:role/x\nsecret = a#b;c\n"
			   "[empty]\n[default]\nregion = eu-west-3\n";
	struct ini *ini = NULL;
	struct err e = {0};
	assert_int_equal(ini_parse(text, strlen(text), "cfg", &ini, &e), 0);
	assert_string_equal(ini_get(ini, "default", "region"), "eu-west-3"); /* later wins */
	assert_string_equal(ini_get(ini, "default", "s3.addressing_style"), "path");
	assert_string_equal(ini_get(ini, "default", "s3.signature_version"), "s3v4");
	assert_string_equal(ini_get(ini, "default", "MAX_ATTEMPTS"), "7");
	assert_string_equal(ini_get(ini, "profile ci", "secret"), "a#b;c");
	assert_null(ini_get(ini, "profile ci", "region"));
	assert_true(ini_has_section(ini, "empty"));
	assert_false(ini_has_section(ini, "nope"));
	ini_free(ini);

	const char *bad = "[default]\nno equals sign\n";
	assert_int_equal(ini_parse(bad, strlen(bad), "f.ini", &ini, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.msg, "f.ini:2: expected 'key = value'");
	const char *outside = "key = v\n";
	assert_int_equal(ini_parse(outside, strlen(outside), "f", &ini, &e), -1);
	assert_non_null(strstr(e.msg, "outside a [section]"));
}

/* --- awscfg ---------------------------------------------------------------- */

static const char *const s_env_names[] = {"AWS_PROFILE",
					  "AWS_DEFAULT_PROFILE",
					  "AWS_REGION",
					  "AWS_DEFAULT_REGION",
					  "AWS_CONFIG_FILE",
					  "AWS_SHARED_CREDENTIALS_FILE",
					  "AWS_ENDPOINT_URL",
					  "AWS_ENDPOINT_URL_S3",
					  "AWS_ENDPOINT_URL_DYNAMODB",
					  "AWS_ENDPOINT_URL_STS",
					  "AWS_MAX_ATTEMPTS",
					  "AWS_CA_BUNDLE",
					  "AWS_ACCESS_KEY_ID",
					  "AWS_SECRET_ACCESS_KEY",
					  "AWS_SESSION_TOKEN",
					  "AWS_ROLE_ARN",
					  "AWS_WEB_IDENTITY_TOKEN_FILE",
					  "AWS_EC2_METADATA_DISABLED",
					  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
					  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
					  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
					  NULL};

static void s_clear_env(void)
{
	for (int i = 0; s_env_names[i]; i++)
		unsetenv(s_env_names[i]);
}

static char *s_write(const char *name, const char *text)
{
	char *path = xasprintf("%s/aws-parse-%d-%s", AFT_TEST_TMP, (int)getpid(), name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_cfg_precedence(void **state)
{
	(void)state;
	s_clear_env();
	char *cfg =
	    s_write("config", "[default]\nregion = eu-north-1\n"
			      "[profile other]\nregion = ap-south-1\ns3 =\n"
			      "  addressing_style = virtual\n  endpoint_url = http://file-s3\n"
			      "endpoint_url = http://file-all\n");
	char *creds = s_write("creds", "[other]\naws_access_key_id = AKIDFILE\n");
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	struct awscfg c;
	struct err e = {0};

	/* Files only: the default profile's region, AWS endpoints. */
	assert_int_equal(awscfg_resolve(&c, NULL, &e), 0);
	assert_string_equal(c.profile, "default");
	assert_false(c.profile_explicit);
	assert_string_equal(c.region, "eu-north-1");
	assert_null(c.s3_endpoint);
	assert_int_equal(c.max_attempts, AWSCFG_DEFAULT_MAX_ATTEMPTS);
	char *base = NULL;
	bool in_path = true;
	awscfg_s3_base(&c, "my-bucket", "eu-north-1", &base, &in_path);
	assert_string_equal(base, "https://my-bucket.s3.eu-north-1.amazonaws.com");
	assert_false(in_path);
	free(base);
	awscfg_s3_base(&c, "dotted.bucket", "eu-north-1", &base, &in_path);
	assert_string_equal(base, "https://s3.eu-north-1.amazonaws.com"); /* TLS-safe */
	assert_true(in_path);
	free(base);
	char *ep = awscfg_endpoint(&c, "dynamodb", "cn-north-1");
	assert_string_equal(ep, "https://dynamodb.cn-north-1.amazonaws.com.cn");
	free(ep);
	awscfg_cleanup(&c);

	/* AWS_PROFILE picks another profile with its own endpoints. */
	setenv("AWS_PROFILE", "other", 1);
	setenv("AWS_MAX_ATTEMPTS", "9", 1);
	assert_int_equal(awscfg_resolve(&c, NULL, &e), 0);
	assert_true(c.profile_explicit);
	assert_string_equal(c.region, "ap-south-1");
	assert_string_equal(c.s3_endpoint, "http://file-s3");
	assert_string_equal(c.dynamodb_endpoint, "http://file-all");
	assert_int_equal(c.s3_addressing, AWSCFG_ADDR_VIRTUAL);
	assert_int_equal(c.max_attempts, 9);
	assert_true(awscfg_profile_exists(&c, "other"));
	assert_string_equal(awscfg_profile_value(&c, "other", "aws_access_key_id", NULL),
			    "AKIDFILE");
	awscfg_s3_base(&c, "bk1", c.region, &base, &in_path);
	assert_string_equal(base, "http://bk1.file-s3"); /* virtual on a custom endpoint */
	free(base);
	awscfg_cleanup(&c);

	/* The environment beats the files; aftomato's keys beat the environment. */
	setenv("AWS_REGION", "us-east-2", 1);
	setenv("AWS_ENDPOINT_URL", "http://env-all/", 1);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://env-ddb", 1);
	assert_int_equal(awscfg_resolve(&c, NULL, &e), 0);
	assert_string_equal(c.region, "us-east-2");
	assert_string_equal(c.s3_endpoint, "http://env-all");
	assert_string_equal(c.dynamodb_endpoint, "http://env-ddb");
	assert_string_equal(c.sts_endpoint, "http://env-all");
	awscfg_cleanup(&c);
	struct profile p = {0};
	p.aws.profile = "default";
	p.aws.region = "us-west-1";
	p.aws.s3_endpoint_url = "http://cfg-s3:9000";
	assert_int_equal(awscfg_resolve(&c, &p, &e), 0);
	assert_string_equal(c.profile, "default");
	assert_string_equal(c.region, "us-west-1");
	assert_string_equal(c.s3_endpoint, "http://cfg-s3:9000");
	assert_string_equal(c.dynamodb_endpoint, "http://env-ddb");
	awscfg_s3_base(&c, "b1", c.region, &base, &in_path);
	assert_string_equal(base, "http://cfg-s3:9000"); /* path style on custom endpoints */
	assert_true(in_path);
	free(base);
	awscfg_cleanup(&c);

	/* No region anywhere is a configuration error naming the file. */
	s_clear_env();
	setenv("AWS_CONFIG_FILE", creds, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	assert_int_equal(awscfg_resolve(&c, NULL, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "no AWS region"));
	s_clear_env();
	unlink(cfg);
	unlink(creds);
	free(cfg);
	free(creds);
}

/* --- awserr ---------------------------------------------------------------- */

static void test_err_s3_xml(void **state)
{
	(void)state;
	struct awserr a;
	const char *x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
			"<Message>The specified key does not exist.</Message><Key>a b</Key>"
			"<RequestId>1</RequestId></Error>";
	awserr_parse(404, x, strlen(x), NULL, &a);
	assert_string_equal(a.code, "NoSuchKey");
	assert_string_equal(a.message, "The specified key does not exist.");
	assert_int_equal(awserr_category(&a), ERR_NOTFOUND);
	assert_false(awserr_is_transient(&a));
	char buf[300];
	awserr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "NoSuchKey: The specified key does not exist. (HTTP 404)");

	x = "<Error><Code>PermanentRedirect</Code><Message>Use the right endpoint.</Message>"
	    "<Region>eu-central-1</Region></Error>";
	awserr_parse(301, x, strlen(x), NULL, &a);
	assert_string_equal(a.region, "eu-central-1");
	assert_int_equal(awserr_category(&a), ERR_REMOTE);

	x = "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
	awserr_parse(503, x, strlen(x), NULL, &a);
	assert_true(awserr_is_transient(&a));
	assert_true(awserr_is_throttling(a.code));
	assert_int_equal(awserr_category(&a), ERR_THROTTLED);

	x = "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request "
	    "time and the current time is too large.</Message></Error>";
	awserr_parse(403, x, strlen(x), NULL, &a);
	assert_true(awserr_is_clock_skew(&a));
	assert_int_equal(awserr_category(&a), ERR_AUTH);

	/* STS's ErrorResponse wrapper. */
	x = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender"
	    "</Type><Code>ExpiredToken</Code><Message>The security token included in the request "
	    "is expired</Message></Error><RequestId>r</RequestId></ErrorResponse>";
	awserr_parse(400, x, strlen(x), NULL, &a);
	assert_string_equal(a.code, "ExpiredToken");
	assert_true(awserr_is_expired_token(&a));

	/* Truncated XML from a dying server. */
	x = "<Error><Code>InternalError</Co";
	awserr_parse(500, x, strlen(x), NULL, &a);
	assert_true(a.malformed);
	assert_string_equal(a.code, "HTTP 500");
	assert_true(awserr_is_transient(&a));
	awserr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "malformed error answer (HTTP 500)");
}

static void test_err_dynamodb_json(void **state)
{
	(void)state;
	struct awserr a;
	const char *j = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
			"ConditionalCheckFailedException\",\"message\":\"The conditional request "
			"failed\"}";
	awserr_parse(400, j, strlen(j), NULL, &a);
	assert_string_equal(a.code, "ConditionalCheckFailedException");
	assert_string_equal(a.message, "The conditional request failed");
	assert_int_equal(awserr_category(&a), ERR_CONFLICT);
	assert_false(awserr_is_transient(&a));

	j = "{\"__type\":\"com.amazon.coral.validate#ValidationException\",\"Message\":\"One or "
	    "more parameter values were invalid\"}";
	awserr_parse(400, j, strlen(j), NULL, &a);
	assert_string_equal(a.code, "ValidationException");
	assert_string_equal(a.message, "One or more parameter values were invalid");
	assert_false(awserr_is_transient(&a));
	assert_int_equal(awserr_category(&a), ERR_REMOTE);

	j = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
	    "ProvisionedThroughputExceededException\",\"message\":\"Rate exceeded\"}";
	awserr_parse(400, j, strlen(j), NULL, &a);
	assert_true(awserr_is_transient(&a));
	assert_true(awserr_is_throttling(a.code));

	/* The canonical request DynamoDB appends never reaches a message. */
	j = "{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\",\"message\":\"The "
	    "request signature we calculated does not match the signature you provided.\\n\\nThe "
	    "Canonical String for this request should have been\\n'POST\\n/\\n\\nhost:x\\n"
	    "x-amz-security-token:SECRETTOKEN'\"}";
	awserr_parse(400, j, strlen(j), NULL, &a);
	assert_string_equal(a.code, "InvalidSignatureException");
	assert_null(strstr(a.message, "SECRETTOKEN"));
	assert_null(strchr(a.message, '\n'));
	assert_int_equal(awserr_category(&a), ERR_AUTH);

	j = "{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\",\"message\":"
	    "\"Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z\"}";
	awserr_parse(400, j, strlen(j), NULL, &a);
	assert_true(awserr_is_clock_skew(&a));

	/* Not JSON at all (a truncated answer). */
	j = "{\"__type\": \"com.amazonaws";
	awserr_parse(500, j, strlen(j), NULL, &a);
	assert_true(a.malformed);
	assert_true(awserr_is_transient(&a));
}

static void test_err_html_and_empty(void **state)
{
	(void)state;
	struct awserr a;
	const char *h =
	    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>"
	    "<h1>Bad Gateway</h1><p>The proxy got an invalid response.</p></body></html>";
	awserr_parse(502, h, strlen(h), NULL, &a);
	assert_true(a.html);
	assert_string_equal(a.code, "HTTP 502");
	assert_string_equal(a.message, "HTML page from a proxy: 502 Bad Gateway");
	assert_true(awserr_is_transient(&a));
	char buf[300];
	awserr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "HTML page from a proxy: 502 Bad Gateway (HTTP 502)");

	h = "<html><body><h1>Access <b>denied</b> by policy</h1></body></html>";
	awserr_parse(403, h, strlen(h), NULL, &a);
	assert_string_equal(a.message, "HTML page from a proxy: Access denied by policy");
	assert_int_equal(awserr_category(&a), ERR_AUTH);

	awserr_parse(404, "", 0, NULL, &a); /* HEAD */
	assert_string_equal(a.code, "NotFound");
	assert_int_equal(awserr_category(&a), ERR_NOTFOUND);
	awserr_parse(503, NULL, 0, NULL, &a);
	assert_string_equal(a.code, "HTTP 503");
	assert_true(awserr_is_transient(&a));
	awserr_parse(400, "plain words\nsecond line", 23, NULL, &a);
	assert_string_equal(a.message, "plain words");
}

/* --- documents ---------------------------------------------------------------- */

static void test_iso8601(void **state)
{
	(void)state;
	int64_t ms = 0;
	assert_int_equal(awsutil_parse_iso8601("2024-05-01T12:34:56Z", &ms), 0);
	assert_true(ms == 1714566896000LL);
	assert_int_equal(awsutil_parse_iso8601("2024-05-01T12:34:56.789Z", &ms), 0);
	assert_true(ms == 1714566896789LL);
	assert_int_equal(awsutil_parse_iso8601("2024-05-01T14:34:56+02:00", &ms), 0);
	assert_true(ms == 1714566896000LL);
	assert_int_equal(awsutil_parse_iso8601("2024-05-01 12:34:56Z", &ms), 0);
	assert_int_equal(awsutil_parse_iso8601("2024-13-01T00:00:00Z", &ms), -1);
	assert_int_equal(awsutil_parse_iso8601("yesterday", &ms), -1);
	assert_int_equal(awsutil_parse_iso8601("2024-05-01T12:34:56Zjunk", &ms), -1);
	char *b = awsutil_md5_base64("", 0);
	assert_string_equal(b, "1B2M2Y8AsgTpgAmY7PhCfg==");
	free(b);
}

static void test_credential_documents(void **state)
{
	(void)state;
	struct creds c;
	struct err e = {0};
	const char *sts = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
			  "<AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>"
			  "<SecretAccessKey>sec/ret+</SecretAccessKey><SessionToken>to+k/en=="
			  "</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>"
			  "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
	assert_int_equal(sts_parse_credentials(sts, strlen(sts), "AssumeRole", &c, &e), 0);
	assert_string_equal(c.access_key_id, "ASIAX");
	assert_string_equal(c.secret_access_key, "sec/ret+");
	assert_string_equal(c.session_token, "to+k/en==");
	assert_true(c.expires_ms == 1893456000000LL);
	creds_cleanup(&c);
	assert_int_equal(
	    sts_parse_credentials(sts, strlen(sts), "AssumeRoleWithWebIdentity", &c, &e), -1);
	assert_non_null(strstr(e.msg, "no credentials"));
	assert_int_equal(sts_parse_credentials(sts, 40, "AssumeRole", &c, &e), -1);

	const char *imds =
	    "{\"Code\":\"Success\",\"LastUpdated\":\"2024-01-01T00:00:00Z\",\"Type\":"
	    "\"AWS-HMAC\",\"AccessKeyId\":\"ASIAI\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"t\",\"Expiration\":\"2030-01-01T00:00:00Z\"}";
	assert_int_equal(imds_parse_credentials(imds, strlen(imds), "IMDS", &c, &e), 0);
	assert_string_equal(c.session_token, "t");
	creds_cleanup(&c);
	const char *failed = "{\"Code\":\"AssumeRoleUnauthorizedAccess\"}";
	assert_int_equal(imds_parse_credentials(failed, strlen(failed), "IMDS", &c, &e), -1);
	assert_int_equal(e.code, ERR_AUTH);
	assert_int_equal(imds_parse_credentials("<html>", 6, "IMDS", &c, &e), -1);
	assert_true(imds_container_uri_allowed("http://127.0.0.1:8080/creds"));
	assert_true(imds_container_uri_allowed("http://localhost/creds"));
	assert_true(imds_container_uri_allowed("https://example.com/creds"));
	assert_true(imds_container_uri_allowed("http://169.254.170.23/v1/credentials"));
	assert_false(imds_container_uri_allowed("http://example.com/creds"));
	assert_false(imds_container_uri_allowed("http://127.example.com/"));

	const char *proc = "{\"Version\": 1, \"AccessKeyId\": \"AKIAP\", \"SecretAccessKey\": "
			   "\"x\", \"SessionToken\": \"y\", \"Expiration\": "
			   "\"2030-01-01T00:00:00Z\"}";
	assert_int_equal(credproc_parse(proc, strlen(proc), &c, &e), 0);
	assert_string_equal(c.access_key_id, "AKIAP");
	creds_cleanup(&c);
	const char *v2 = "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"x\"}";
	assert_int_equal(credproc_parse(v2, strlen(v2), &c, &e), -1);
	assert_non_null(strstr(e.msg, "Version"));
}

/* --- S3 listing ---------------------------------------------------------------- */

static void test_s3_list_parse(void **state)
{
	(void)state;
	const char *x =
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
	    "<Prefix>p%2F</Prefix><KeyCount>3</KeyCount><IsTruncated>true</IsTruncated>"
	    "<EncodingType>url</EncodingType>"
	    "<Contents><Key>p/z+z%2Bz</Key><LastModified>2024-05-01T12:34:56.000Z"
	    "</LastModified><Size>12</Size></Contents>"
	    "<Contents><Key>p/%C3%A9t%C3%A9</Key><Size>3</Size></Contents>"
	    "<CommonPrefixes><Prefix>p/dir%26/</Prefix></CommonPrefixes>"
	    "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>";
	struct s3_result r = {0};
	struct err e = {0};
	assert_int_equal(s3_parse_list(x, strlen(x), &r, &e), 0);
	assert_int_equal(r.n_entries, 3);
	/* Byte order, prefixes merged with objects. */
	assert_string_equal(r.entries[0].key, "p/dir&/");
	assert_true(r.entries[0].is_prefix);
	assert_string_equal(r.entries[1].key, "p/z z+z");
	assert_true(r.entries[1].size == 12);
	assert_true(r.entries[1].mtime_ms == 1714566896000LL);
	assert_string_equal(r.entries[2].key, "p/\xc3\xa9t\xc3\xa9");
	assert_string_equal(r.next_token, "tok/+=");
	s3_result_cleanup(&r);

	/* Without EncodingType the keys are taken as they are ('+' stays). */
	x = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b%20c</Key>"
	    "<Size>1</Size></Contents></ListBucketResult>";
	assert_int_equal(s3_parse_list(x, strlen(x), &r, &e), 0);
	assert_string_equal(r.entries[0].key, "a+b%20c");
	assert_null(r.next_token);
	s3_result_cleanup(&r);

	x = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
	assert_int_equal(s3_parse_list(x, strlen(x), &r, &e), -1);
	s3_result_cleanup(&r);
	x = "<Error><Code>x</Code></Error>";
	assert_int_equal(s3_parse_list(x, strlen(x), &r, &e), -1);
	s3_result_cleanup(&r);
	char *p = s3_key_path("a b/+=&%/\xc3\xa9");
	assert_string_equal(p, "/a%20b/%2B%3D%26%25/%C3%A9");
	free(p);
}

/* --- DynamoDB items ------------------------------------------------------------ */

static void test_ddb_items(void **state)
{
	(void)state;
	struct build *b = build_new();
	strcpy(b->id, "0b6f2a59-8c7e-4a51-9d2e-2f1a8b3c4d5e");
	b->project_key = xstrdup("team/app");
	b->build_time = 1714566896;
	b->branch = xstrdup("feature/x");
	b->status = BUILD_FAILED;
	b->has_result = true;
	b->build_result = 2;
	b->has_elapsed = true;
	b->elapsed_s = 61;
	b->triggered_by = xstrdup("");
	json_t *item = ddbjson_from_build(b);
	assert_string_equal(ddbjson_n_raw(item, "buildTime"), "1714566896");
	assert_string_equal(ddbjson_n_raw(item, "isBuilding"), "0");
	assert_string_equal(ddbjson_s_raw(item, "status"), "failed");
	assert_string_equal(ddbjson_n_raw(item, "buildResult"), "2");
	assert_null(json_object_get(item, "triggeredBy")); /* empty strings left out */
	struct build *back = NULL;
	struct err e = {0};
	assert_int_equal(ddbjson_to_build(item, &back, &e), 0);
	assert_string_equal(back->id, b->id);
	assert_string_equal(back->branch, "feature/x");
	assert_int_equal(back->status, BUILD_FAILED);
	assert_true(back->elapsed_s == 61);
	build_free(back);
	json_decref(item);
	build_free(b);

	/* The original system's records: no status. */
	const char *orig[] = {
	    "{\"buildID\":{\"S\":\"a\"},\"projectKey\":{\"S\":\"t/p\"},\"buildTime\":{\"N\":"
	    "\"1500000000\"},\"branch\":{\"S\":\"master\"},\"isBuilding\":{\"N\":\"1\"}}",
	    "{\"buildID\":{\"S\":\"b\"},\"projectKey\":{\"S\":\"t/p\"},\"buildTime\":{\"N\":"
	    "\"1500000000.5\"},\"isBuilding\":{\"N\":\"0\"},\"buildResult\":{\"N\":\"0\"},"
	    "\"buildElapsedTime\":{\"N\":\"12\"},\"extra\":{\"L\":[]}}",
	    "{\"buildID\":{\"S\":\"c\"},\"projectKey\":{\"S\":\"t/p\"},\"buildTime\":{\"N\":"
	    "\"1500000000\"},\"isBuilding\":{\"BOOL\":false},\"buildResult\":{\"N\":\"1\"}}",
	};
	enum build_status want[] = {BUILD_RUNNING, BUILD_SUCCEEDED, BUILD_FAILED};
	for (int i = 0; i < 3; i++) {
		json_error_t je;
		json_t *it = json_loads(orig[i], 0, &je);
		assert_non_null(it);
		assert_int_equal(ddbjson_to_build(it, &back, &e), 0);
		assert_int_equal(back->status, want[i]);
		assert_true(back->build_time == 1500000000);
		build_free(back);
		json_decref(it);
	}
	json_t *bad = json_pack("{s:{s:s}}", "projectKey", "S", "t/p");
	assert_int_equal(ddbjson_to_build(bad, &back, &e), -1);
	assert_int_equal(e.code, ERR_PROTO);
	json_decref(bad);

	char *cur = ddbjson_cursor_encode("1500000000.5", "0b6f2a59-8c7e-4a51-9d2e-2f1a8b3c4d5e");
	char *t = NULL, *id = NULL;
	assert_int_equal(ddbjson_cursor_decode(cur, &t, &id, &e), 0);
	assert_string_equal(t, "1500000000.5");
	assert_string_equal(id, "0b6f2a59-8c7e-4a51-9d2e-2f1a8b3c4d5e");
	free(t);
	free(id);
	free(cur);
	const char *bads[] = {"", "v1:", "v1:12", "v1::abc", "v2:1:abc", "v1:1:xyz", "v1:a:abc"};
	for (size_t i = 0; i < sizeof(bads) / sizeof(*bads); i++) {
		assert_int_equal(ddbjson_cursor_decode(bads[i], &t, &id, &e), -1);
		assert_int_equal(e.code, ERR_USAGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xml_entities_and_paths),
	    cmocka_unit_test(test_xml_malformed),
	    cmocka_unit_test(test_ini),
	    cmocka_unit_test(test_cfg_precedence),
	    cmocka_unit_test(test_err_s3_xml),
	    cmocka_unit_test(test_err_dynamodb_json),
	    cmocka_unit_test(test_err_html_and_empty),
	    cmocka_unit_test(test_iso8601),
	    cmocka_unit_test(test_credential_documents),
	    cmocka_unit_test(test_s3_list_parse),
	    cmocka_unit_test(test_ddb_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
