/* test_sigv4: the SigV4 signer against AWS's published vectors, stage by stage.
 *
 * Cases are discovered by listing the data directories (one cmocka test per case,
 * named suite/case); the "discovery" test fails when a suite has fewer or more
 * cases than its README states, and a case fails when a file is missing or any
 * stage differs, printing the stage, the expected and the computed text.
 *   v4/...    aws-signing-test-suite/v4 (aws-c-auth layout), header and query forms:
 *             canonical request, string to sign, signature, signed request.
 *   orig/...  aws-sig-v4-test-suite (2015 layout): .creq, .sts, .authz, .sreq.
 *   s3/N      the worked S3 examples of sigv4-s3/README.md, parsed from the README.
 * Inputs (credentials, time, region, service, signing keys) are read from the
 * READMEs' tables. Suite conventions handled here, as the READMEs describe: the
 * 2015 .req files carry X-Amz-Date (and, for post-sts-header-before, the token)
 * which the signer adds itself, so they are taken out of the input and must come
 * back in the signed request; the 2015 suite treats the continuation lines of a
 * folded header as separate values (value1,value2,value3), aws-c-auth's suite as
 * one folded value (value1 value2 value3). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws/sigv4.h"
#include "xmem.h"

#define SIGV4_DATA    AFT_TESTDATA_DIR "/sigv4"
#define V4_DIR	      SIGV4_DATA "/aws-signing-test-suite/v4"
#define ORIG_DIR      SIGV4_DATA "/aws-sig-v4-test-suite"
#define SIGV4_README  SIGV4_DATA "/README.md"
#define S3_README     AFT_TESTDATA_DIR "/sigv4-s3/README.md"
#define V4_CASES      38 /* sigv4/README.md: "There are 38 cases" */
#define ORIG_CASES    31 /* sigv4/README.md: "31 cases, 155 files" */
#define S3_EXAMPLES   5	 /* sigv4-s3/README.md: "All 5 cases match" */
#define MAX_CASES     128
#define TEST_SECRET_A "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

/* ------------------------------------------------------------ utilities */

static char *t_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0, got;
	char *buf = xmalloc(cap);
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static char *t_read_in(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	char *s = t_read(path, NULL);
	free(path);
	return s;
}

/* The text between the first pair of backticks after `after` in s. */
static char *t_backticked(const char *s, const char *after)
{
	const char *p = s ? strstr(s, after) : NULL;
	const char *a = p ? strchr(p + strlen(after), '`') : NULL;
	const char *b = a ? strchr(a + 1, '`') : NULL;
	return b ? xstrndup(a + 1, (size_t)(b - a - 1)) : NULL;
}

/* The n-th (0-based) backticked value of the README table row "| label |". */
static char *t_table(const char *readme, const char *label, int n)
{
	char *row = xasprintf("\n| %s |", label);
	const char *p = strstr(readme, row);
	free(row);
	if (!p)
		return NULL;
	const char *end = strchr(p + 1, '\n');
	char *line = xstrndup(p, end ? (size_t)(end - p) : strlen(p));
	char *v = NULL;
	const char *q = line;
	for (int i = 0; i <= n && q; i++) {
		free(v);
		v = t_backticked(q, "");
		q = v ? strchr(strchr(q, '`') + 1, '`') + 1 : NULL;
	}
	free(line);
	return v;
}

static time_t t_parse_time(const char *s, const char *fmt)
{
	struct tm tm = {0};
	const char *end = s ? strptime(s, fmt, &tm) : NULL;
	return end && !*end ? timegm(&tm) : 0;
}

struct t_report {
	const char *name;
	int failures;
};

static void t_fail(struct t_report *r, const char *stage, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error("FAIL %s: stage '%s': %s\n", r->name, stage, msg);
	r->failures++;
}

static void t_same(struct t_report *r, const char *stage, const char *expected, const char *got)
{
	if (!expected)
		t_fail(r, stage, "expected data missing");
	else if (!got)
		t_fail(r, stage, "not computed");
	else if (strcmp(expected, got) != 0)
		t_fail(r, stage, "differs\n--- expected\n%s\n--- got\n%s", expected, got);
}

static void t_done(struct t_report *r)
{
	if (r->failures)
		fail_msg("%s: %d stage(s) differ", r->name, r->failures);
}

/* ----------------------------------------------------- HTTP message files */

struct t_msg {
	char *method;
	char *target;
	struct sigv4_header *h; /* names and values owned */
	size_t nh;
	char *body;
	size_t body_len;
};

enum t_fold { T_FOLD_JOIN, T_FOLD_SPLIT };

static void t_msg_add(struct t_msg *m, const char *name, size_t name_len, const char *value,
		      size_t value_len)
{
	m->h = xrealloc(m->h, (m->nh + 1) * sizeof(*m->h));
	m->h[m->nh].name = xstrndup(name, name_len);
	m->h[m->nh].value = xstrndup(value, value_len);
	m->nh++;
}

/* Adds a continuation line to the last header: folded into its value (JOIN) or
 * as one more value of the same name (SPLIT). */
static void t_msg_continue(struct t_msg *m, const char *line, size_t len, enum t_fold fold)
{
	if (!m->nh)
		return;
	struct sigv4_header *last = &m->h[m->nh - 1];
	if (fold == T_FOLD_JOIN) {
		char *v = xasprintf("%s\n%.*s", last->value, (int)len, line);
		free((char *)last->value);
		last->value = v;
		return;
	}
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	char *name = xstrdup(last->name);
	t_msg_add(m, name, strlen(name), line, len);
	free(name);
}

/* Parses "METHOD target HTTP/1.1", header lines and an optional body. The
 * target is what lies between the first and the last space (it may hold spaces). */
static bool t_msg_parse(struct t_msg *m, const char *text, size_t len, enum t_fold fold)
{
	memset(m, 0, sizeof(*m));
	const char *nl = memchr(text, '\n', len);
	size_t pos = nl ? (size_t)(nl - text) + 1 : len;
	char *first = xstrndup(text, nl ? (size_t)(nl - text) : len);
	char *sp1 = strchr(first, ' '), *sp2 = strrchr(first, ' ');
	if (!sp1 || sp1 == sp2) {
		free(first);
		return false;
	}
	m->method = xstrndup(first, (size_t)(sp1 - first));
	m->target = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	free(first);
	while (pos < len) {
		const char *line = text + pos;
		const char *end = memchr(line, '\n', len - pos);
		size_t n = end ? (size_t)(end - line) : len - pos;
		pos += n + (end ? 1 : 0);
		if (n == 0) {
			m->body_len = len - pos;
			m->body = xstrndup(text + pos, m->body_len);
			break;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			t_msg_continue(m, line, n, fold);
			continue;
		}
		const char *colon = memchr(line, ':', n);
		if (!colon)
			return false;
		const char *v = colon + 1;
		while (v < line + n && (*v == ' ' || *v == '\t'))
			v++;
		t_msg_add(m, line, (size_t)(colon - line), v, (size_t)(line + n - v));
	}
	if (!m->body)
		m->body = xstrdup("");
	return true;
}

static void t_msg_free(struct t_msg *m)
{
	for (size_t i = 0; i < m->nh; i++) {
		free((char *)m->h[i].name);
		free((char *)m->h[i].value);
	}
	free(m->h);
	free(m->method);
	free(m->target);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* Removes every header called name; returns the last value (caller frees) or NULL. */
static char *t_msg_take(struct t_msg *m, const char *name)
{
	char *value = NULL;
	size_t k = 0;
	for (size_t i = 0; i < m->nh; i++) {
		if (strcasecmp(m->h[i].name, name) == 0) {
			free((char *)m->h[i].name);
			free(value);
			value = (char *)m->h[i].value;
		} else {
			m->h[k++] = m->h[i];
		}
	}
	m->nh = k;
	return value;
}

static int t_hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_header *x = a, *y = b;
	int r = strcasecmp(x->name, y->name);
	return r ? r : (x < y ? -1 : x > y);
}

/* Compares header lists without regard to order across names (names without
 * case), keeping the order of repeated names. */
static void t_same_headers(struct t_report *r, const char *stage, const struct sigv4_header *exp,
			   size_t n_exp, const struct sigv4_header *got, size_t n_got)
{
	if (n_exp != n_got) {
		t_fail(r, stage, "%zu headers expected, %zu produced", n_exp, n_got);
		return;
	}
	struct sigv4_header *a = xmalloc((n_exp + 1) * sizeof(*a)),
			    *b = xmalloc((n_exp + 1) * sizeof(*b));
	memcpy(a, exp, n_exp * sizeof(*a));
	memcpy(b, got, n_got * sizeof(*b));
	qsort(a, n_exp, sizeof(*a), t_hdr_cmp); /* stable: ties ordered by address */
	qsort(b, n_got, sizeof(*b), t_hdr_cmp);
	for (size_t i = 0; i < n_exp; i++)
		if (strcasecmp(a[i].name, b[i].name) || strcmp(a[i].value, b[i].value))
			t_fail(r, stage, "header differs: expected '%s: %s', got '%s: %s'",
			       a[i].name, a[i].value, b[i].name, b[i].value);
	free(a);
	free(b);
}

static int t_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compares two query strings as multisets of name=value pieces. */
static void t_same_query(struct t_report *r, const char *stage, const char *exp, const char *got)
{
	char *s[2] = {xstrdup(exp), xstrdup(got)};
	char *pieces[2][64];
	size_t n[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		char *save = NULL;
		for (char *t = strtok_r(s[k], "&", &save); t && n[k] < 64;
		     t = strtok_r(NULL, "&", &save))
			pieces[k][n[k]++] = t;
		qsort(pieces[k], n[k], sizeof(char *), t_str_cmp);
	}
	bool same = n[0] == n[1];
	for (size_t i = 0; same && i < n[0]; i++)
		same = strcmp(pieces[0][i], pieces[1][i]) == 0;
	if (!same)
		t_fail(r, stage, "query differs\n--- expected\n%s\n--- got\n%s", exp, got);
	free(s[0]);
	free(s[1]);
}

/* ---------------------------------------------------------- the pipeline */

/* Runs every stage for one mode and compares with the expected texts (any may be
 * NULL when the suite has no file for it). exp_sreq is the expected signed
 * request; the request's own headers are in m. */
struct t_expect {
	const char *creq, *sts, *signature, *authz;
	const struct t_msg *sreq;
};

static void t_pipeline(struct t_report *r, const char *mode_name, const struct t_msg *m,
		       const struct sigv4_request *req, const struct sigv4_params *p,
		       enum sigv4_mode mode, const struct t_expect *x)
{
	struct err e = {0};
	char *creq = NULL, *sts = NULL, *signed_names = NULL, *authz = NULL, *query = NULL;
	char sig[SIGV4_HEX_LEN + 1] = "", stage[64];
	unsigned char key[SIGV4_KEY_LEN];
#define STAGE(s) (snprintf(stage, sizeof(stage), "%s %s", mode_name, s), stage)
	if (sigv4_canonical_request(req, p, mode, &creq, &e) < 0)
		t_fail(r, STAGE("canonical request"), "error: %s", e.msg);
	if (x->creq)
		t_same(r, STAGE("canonical request"), x->creq, creq);
	if (creq && sigv4_string_to_sign(creq, p, &sts, &e) < 0)
		t_fail(r, STAGE("string to sign"), "error: %s", e.msg);
	if (x->sts)
		t_same(r, STAGE("string to sign"), x->sts, sts);
	if (sts && (sigv4_signing_key(p, key, &e) < 0 || sigv4_signature(key, sts, sig, &e) < 0))
		t_fail(r, STAGE("signature"), "error: %s", e.msg);
	if (x->signature)
		t_same(r, STAGE("signature"), x->signature, sig);
	if (sigv4_signed_headers(req, p, mode, &signed_names, &e) < 0)
		t_fail(r, STAGE("signed headers"), "error: %s", e.msg);
	if (mode == SIGV4_MODE_HEADER && signed_names && *sig &&
	    sigv4_authorization(p, signed_names, sig, &authz, &e) < 0)
		t_fail(r, STAGE("authorization"), "error: %s", e.msg);
	if (mode == SIGV4_MODE_HEADER && x->authz)
		t_same(r, STAGE("authorization"), x->authz, authz);
	if (!x->sreq)
		goto out;
	t_same(r, STAGE("signed request method"), x->sreq->method, m->method);
	t_same(r, STAGE("signed request body"), x->sreq->body, m->body);
	if (mode == SIGV4_MODE_HEADER) {
		struct sigv4_auth_headers added;
		if (sigv4_sign_headers(req, p, &added, &e) < 0) {
			t_fail(r, STAGE("signed request"), "error: %s", e.msg);
			goto out;
		}
		struct sigv4_header *all = xmalloc((m->nh + added.count) * sizeof(*all));
		memcpy(all, m->h, m->nh * sizeof(*all));
		for (size_t i = 0; i < added.count; i++)
			all[m->nh + i] =
			    (struct sigv4_header){added.items[i].name, added.items[i].value};
		t_same_headers(r, STAGE("signed request headers"), x->sreq->h, x->sreq->nh, all,
			       m->nh + added.count);
		t_same(r, STAGE("signed request target"), x->sreq->target, m->target);
		free(all);
		sigv4_auth_headers_cleanup(&added);
	} else {
		if (sigv4_presign_query(req, p, &query, &e) < 0) {
			t_fail(r, STAGE("presigned query"), "error: %s", e.msg);
			goto out;
		}
		const char *q = strchr(x->sreq->target, '?');
		char *path = xstrndup(x->sreq->target, q ? (size_t)(q - x->sreq->target) : 0);
		t_same(r, STAGE("presigned path"), path, req->path);
		t_same_query(r, STAGE("presigned query"), q ? q + 1 : "", query);
		t_same_headers(r, STAGE("presigned headers"), x->sreq->h, x->sreq->nh, m->h, m->nh);
		free(path);
	}
out:
#undef STAGE
	free(creq);
	free(sts);
	free(signed_names);
	free(authz);
	free(query);
}

/* ------------------------------------------------------------- v4 suite */

struct t_case {
	char *name; /* shown name: suite/case */
	char *dir;
	char *base; /* file base name (2015 suite) */
};

static struct t_case s_cases[MAX_CASES];
static size_t s_ncases, s_nv4, s_norig, s_ns3;

static bool t_v4_params(json_t *ctx, struct sigv4_params *p, bool *sign_body)
{
	json_t *cred = json_object_get(ctx, "credentials");
	p->access_key_id = json_string_value(json_object_get(cred, "access_key_id"));
	p->secret_access_key = json_string_value(json_object_get(cred, "secret_access_key"));
	p->session_token = json_string_value(json_object_get(cred, "token"));
	p->region = json_string_value(json_object_get(ctx, "region"));
	p->service = json_string_value(json_object_get(ctx, "service"));
	p->time_s = t_parse_time(json_string_value(json_object_get(ctx, "timestamp")),
				 "%Y-%m-%dT%H:%M:%SZ");
	p->expires_s = (long)json_integer_value(json_object_get(ctx, "expiration_in_seconds"));
	p->no_path_normalize = json_is_false(json_object_get(ctx, "normalize"));
	p->token_after_signing = json_is_true(json_object_get(ctx, "omit_session_token"));
	*sign_body = json_is_true(json_object_get(ctx, "sign_body"));
	return p->access_key_id && p->secret_access_key && p->region && p->service && p->time_s;
}

static void t_v4_mode(struct t_report *r, const struct t_case *tc, const char *prefix,
		      const struct t_msg *m, const struct sigv4_request *req,
		      const struct sigv4_params *p, enum sigv4_mode mode)
{
	const char *stems[] = {"canonical-request", "string-to-sign", "signature",
			       "signed-request"};
	char *files[4];
	for (int i = 0; i < 4; i++) {
		char *f = xasprintf("%s-%s.txt", prefix, stems[i]);
		files[i] = t_read_in(tc->dir, f);
		if (!files[i])
			t_fail(r, "files", "%s is missing", f);
		free(f);
	}
	struct t_msg sreq = {0};
	bool have_sreq = files[3] && t_msg_parse(&sreq, files[3], strlen(files[3]), T_FOLD_JOIN);
	if (files[3] && !have_sreq)
		t_fail(r, prefix, "cannot parse the expected signed request");
	struct t_expect x = {files[0], files[1], files[2], NULL, have_sreq ? &sreq : NULL};
	t_pipeline(r, prefix, m, req, p, mode, &x);
	t_msg_free(&sreq);
	for (int i = 0; i < 4; i++)
		free(files[i]);
}

static void t_run_v4(void **state)
{
	const struct t_case *tc = *state;
	struct t_report r = {tc->name, 0};
	struct t_msg m = {0};
	size_t len = 0;
	char *ctx_path = xasprintf("%s/context.json", tc->dir);
	char *req_path = xasprintf("%s/request.txt", tc->dir);
	json_t *ctx = json_load_file(ctx_path, 0, NULL);
	char *text = t_read(req_path, &len);
	struct sigv4_params p = {0};
	bool sign_body = false;
	if (!ctx || !t_v4_params(ctx, &p, &sign_body))
		t_fail(&r, "files", "context.json missing or incomplete");
	else if (!text || !t_msg_parse(&m, text, len, T_FOLD_JOIN))
		t_fail(&r, "files", "request.txt missing or malformed");
	else {
		const char *q = strchr(m.target, '?');
		char *path = xstrndup(m.target, q ? (size_t)(q - m.target) : strlen(m.target));
		struct sigv4_request req = {.method = m.method,
					    .path = path,
					    .query = q ? q + 1 : NULL,
					    .headers = m.h,
					    .header_count = m.nh};
		/* README: the payload hash is sha256(body) with sign_body, else sha256(""). */
		req.body = sign_body ? m.body : NULL;
		req.body_len = sign_body ? m.body_len : 0;
		p.add_content_sha256 = sign_body;
		t_v4_mode(&r, tc, "header", &m, &req, &p, SIGV4_MODE_HEADER);
		t_v4_mode(&r, tc, "query", &m, &req, &p, SIGV4_MODE_QUERY);
		free(path);
	}
	t_msg_free(&m);
	free(text);
	json_decref(ctx);
	free(ctx_path);
	free(req_path);
	t_done(&r);
}

/* ----------------------------------------------------------- 2015 suite */

/* Inputs from sigv4/README.md's table. Strings owned by the struct. */
struct t_suite_inputs {
	char *akid, *secret, *amz_date, *region, *service, *signing_key;
	time_t time_s;
};

static void t_suite_inputs(struct t_suite_inputs *in, const char *readme, const char *akid_row,
			   const char *secret_row, const char *key_row)
{
	in->akid = t_table(readme, akid_row, 0);
	in->secret = t_table(readme, secret_row, 0);
	in->amz_date = t_table(readme, "time", 0);
	in->region = t_table(readme, "region / service", 0);
	in->service = t_table(readme, "region / service", 1);
	in->signing_key = t_table(readme, key_row, 0);
	in->time_s = t_parse_time(in->amz_date, "%Y%m%dT%H%M%SZ");
}

static void t_suite_inputs_free(struct t_suite_inputs *in)
{
	free(in->akid);
	free(in->secret);
	free(in->amz_date);
	free(in->region);
	free(in->service);
	free(in->signing_key);
}

static char *t_orig_file(const struct t_case *tc, const char *ext)
{
	char *f = xasprintf("%s%s", tc->base, ext);
	char *s = t_read_in(tc->dir, f);
	free(f);
	return s;
}

static void t_run_orig(void **state)
{
	const struct t_case *tc = *state;
	struct t_report r = {tc->name, 0};
	char *readme = t_read(SIGV4_README, NULL);
	struct t_suite_inputs in = {0};
	t_suite_inputs(&in, readme ? readme : "", "access key id", "secret key",
		       "derived signing key (computed here, for reference)");
	const char *exts[] = {".req", ".creq", ".sts", ".authz", ".sreq"};
	char *f[5];
	for (int i = 0; i < 5; i++)
		if (!(f[i] = t_orig_file(tc, exts[i])))
			t_fail(&r, "files", "%s%s is missing", tc->base, exts[i]);
	struct t_msg m = {0}, sreq = {0};
	char *token_file = NULL, *date = NULL, *token = NULL;
	if (!f[0] || !t_msg_parse(&m, f[0], strlen(f[0]), T_FOLD_SPLIT) || !f[4] ||
	    !t_msg_parse(&sreq, f[4], strlen(f[4]), T_FOLD_SPLIT) || !in.time_s) {
		t_fail(&r, "files", "request, signed request or README inputs unusable");
		goto out;
	}
	date = t_msg_take(&m, "X-Amz-Date");
	t_same(&r, "request X-Amz-Date", in.amz_date, date);
	token = t_msg_take(&m, "X-Amz-Security-Token");
	struct sigv4_params p = {.access_key_id = in.akid,
				 .secret_access_key = in.secret,
				 .session_token = token,
				 .region = in.region,
				 .service = in.service,
				 .time_s = in.time_s};
	if (strstr(tc->name, "post-sts-token/") && strstr(tc->base, "-after")) {
		/* readme.txt: the token is added after signing; its value is the last line. */
		char *dir = xasprintf("%s/post-sts-token", ORIG_DIR);
		token_file = t_read_in(dir, "readme.txt");
		free(dir);
		char *last = token_file ? strrchr(token_file, '\n') : NULL;
		p.session_token = last ? last + 1 : NULL;
		p.token_after_signing = true;
		if (!p.session_token || !*p.session_token)
			t_fail(&r, "files", "post-sts-token/readme.txt has no token");
	}
	const char *q = strchr(m.target, '?');
	char *path = xstrndup(m.target, q ? (size_t)(q - m.target) : strlen(m.target));
	struct sigv4_request req = {.method = m.method,
				    .path = path,
				    .query = q ? q + 1 : NULL,
				    .headers = m.h,
				    .header_count = m.nh,
				    .body = m.body,
				    .body_len = m.body_len};
	char *sig_in_authz =
	    f[3] && strstr(f[3], "Signature=") ? strstr(f[3], "Signature=") + 10 : NULL;
	struct t_expect x = {f[1], f[2], sig_in_authz, f[3], &sreq};
	t_pipeline(&r, "header", &m, &req, &p, SIGV4_MODE_HEADER, &x);
	free(path);
out:
	t_msg_free(&m);
	t_msg_free(&sreq);
	free(date);
	free(token);
	free(token_file);
	for (int i = 0; i < 5; i++)
		free(f[i]);
	t_suite_inputs_free(&in);
	free(readme);
	t_done(&r);
}

/* ------------------------------------------------------ S3 README examples */

struct t_s3_example {
	char *name;
	char *request, *creq, *sts, *url, *signature, *authz, *inputs;
};

static struct t_s3_example s_s3[8];

static void t_s3_assign(struct t_s3_example *x, const char *label, char *block)
{
	char **slot = NULL;
	if (strncmp(label, "Request", 7) == 0)
		slot = &x->request;
	else if (strncmp(label, "Canonical request", 17) == 0)
		slot = &x->creq;
	else if (strncmp(label, "String to sign", 14) == 0)
		slot = &x->sts;
	else if (strncmp(label, "Presigned URL", 13) == 0)
		slot = &x->url;
	if (slot && !*slot)
		*slot = block;
	else
		free(block);
}

/* Splits the README into its numbered examples ("## N. title"); a fenced block
 * belongs to the label line before it; "Signature: `..`", "Authorization: `..`"
 * and "Inputs: ..." are inline. */
static void t_s3_parse(const char *readme)
{
	struct t_s3_example *cur = NULL;
	char label[128] = "";
	for (const char *p = readme; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (strncmp(p, "```", 3) == 0 && end) {
			const char *close = strstr(end, "\n```");
			if (!close)
				break;
			if (cur)
				t_s3_assign(cur, label,
					    xstrndup(end + 1, (size_t)(close - end - 1)));
			p = strchr(close + 1, '\n');
			p = p ? p + 1 : NULL;
			continue;
		}
		if (strncmp(p, "## ", 3) == 0) {
			cur = NULL;
			if (p[3] >= '1' && p[3] <= '9' && s_ns3 < 8) {
				cur = &s_s3[s_ns3++];
				cur->name = xasprintf("s3/%.*s", (int)(n - 3), p + 3);
			}
		} else if (n && cur) {
			snprintf(label, sizeof(label), "%.*s", (int)n, p);
			if (strncmp(p, "Signature: `", 12) == 0)
				cur->signature = t_backticked(p, "");
			else if (strncmp(p, "Authorization: `", 16) == 0)
				cur->authz = t_backticked(p, "");
			else if (strncmp(p, "Inputs:", 7) == 0)
				cur->inputs = xstrndup(p, n);
		}
		p = end ? end + 1 : NULL;
	}
}

/* The README writes the Authorization parts with "," and AWS accepts ", ". */
static char *t_no_comma_space(const char *s)
{
	char *d = xstrdup(s), *o = d;
	for (const char *c = s; *c; c++)
		if (!(*c == ' ' && c > s && c[-1] == ','))
			*o++ = *c;
	*o = '\0';
	return d;
}

static void t_s3_header_example(struct t_report *r, const struct t_s3_example *x,
				struct sigv4_params *p, const char *amz_date)
{
	struct t_msg m;
	struct err e = {0};
	if (!t_msg_parse(&m, x->request, strlen(x->request), T_FOLD_JOIN)) {
		t_fail(r, "files", "request block malformed");
		t_msg_free(&m);
		return;
	}
	char *date = t_msg_take(&m, "x-amz-date");
	char *content_sha = t_msg_take(&m, "x-amz-content-sha256");
	t_same(r, "request x-amz-date", amz_date, date);
	const char *q = strchr(m.target, '?');
	size_t raw_len = q ? (size_t)(q - m.target) : strlen(m.target);
	/* The README prints the raw key; on the wire it is encoded once. */
	char *wire = sigv4_uri_encode(m.target, raw_len, false);
	struct sigv4_request req = {.method = m.method,
				    .path = wire,
				    .query = q ? q + 1 : NULL,
				    .headers = m.h,
				    .header_count = m.nh,
				    .body = m.body,
				    .body_len = m.body_len};
	struct t_expect ex = {x->creq, x->sts, x->signature, NULL, NULL};
	t_pipeline(r, "header", &m, &req, p, SIGV4_MODE_HEADER, &ex);
	struct sigv4_auth_headers added;
	if (sigv4_sign_headers(&req, p, &added, &e) < 0) {
		t_fail(r, "signed headers", "error: %s", e.msg);
	} else {
		for (size_t i = 0; i < added.count; i++) {
			const char *want = NULL;
			char *got = xstrdup(added.items[i].value);
			if (strcasecmp(added.items[i].name, "x-amz-date") == 0)
				want = date;
			else if (strcasecmp(added.items[i].name, "x-amz-content-sha256") == 0)
				want = content_sha;
			else if (strcasecmp(added.items[i].name, "authorization") == 0) {
				want = x->authz;
				free(got);
				got = t_no_comma_space(added.items[i].value);
			}
			t_same(r, added.items[i].name, want, got);
			free(got);
		}
		if (added.count != 3)
			t_fail(r, "signed headers", "%zu headers added, 3 expected", added.count);
		sigv4_auth_headers_cleanup(&added);
	}
	free(wire);
	free(date);
	free(content_sha);
	t_msg_free(&m);
}

static void t_s3_presign_example(struct t_report *r, const struct t_s3_example *x,
				 struct sigv4_params *p)
{
	struct err e = {0};
	char *path = t_backticked(x->inputs, "path");
	char *host = t_backticked(x->inputs, "host");
	const char *method = x->inputs ? strstr(x->inputs, "method ") : NULL;
	const char *expires = x->inputs ? strstr(x->inputs, "X-Amz-Expires=") : NULL;
	if (!path || !host || !method || !expires) {
		t_fail(r, "files", "presign inputs line incomplete");
		goto out;
	}
	char *verb = xstrndup(method + 7, strcspn(method + 7, ", "));
	struct sigv4_header h = {"Host", host};
	/* An S3 presigned URL always signs UNSIGNED-PAYLOAD (README). */
	struct sigv4_request req = {.method = verb,
				    .path = path,
				    .headers = &h,
				    .header_count = 1,
				    .payload = SIGV4_PAYLOAD_UNSIGNED};
	struct t_msg m = {.method = verb, .h = &h, .nh = 1};
	p->expires_s = atol(expires + 14);
	struct t_expect ex = {x->creq, x->sts, x->signature, NULL, NULL};
	t_pipeline(r, "query", &m, &req, p, SIGV4_MODE_QUERY, &ex);
	char *base = xasprintf("https://%s", host), *url = NULL;
	if (sigv4_presign_url(base, &req, p, &url, &e) < 0)
		t_fail(r, "presigned URL", "error: %s", e.msg);
	t_same(r, "presigned URL", x->url, url);
	free(url);
	free(base);
	free(verb);
out:
	free(path);
	free(host);
}

static void t_run_s3(void **state)
{
	const struct t_s3_example *x = *state;
	struct t_report r = {x->name, 0};
	char *readme = t_read(S3_README, NULL);
	struct t_suite_inputs in = {0};
	t_suite_inputs(&in, readme ? readme : "", "access key id", "secret key",
		       "signing key (computed)");
	struct sigv4_params p = {.access_key_id = in.akid,
				 .secret_access_key = in.secret,
				 .region = in.region,
				 .service = in.service,
				 .time_s = in.time_s,
				 .rules = SIGV4_RULES_S3};
	if (!in.akid || !in.secret || !in.region || !in.service || !in.time_s)
		t_fail(&r, "files", "README inputs table incomplete");
	else if (!x->creq || !x->sts || !x->signature || (!x->request && !x->url))
		t_fail(&r, "files",
		       "example lacks a canonical request, string to sign, "
		       "signature or request/URL");
	else if (x->request)
		t_s3_header_example(&r, x, &p, in.amz_date);
	else
		t_s3_presign_example(&r, x, &p);
	t_suite_inputs_free(&in);
	free(readme);
	t_done(&r);
}

/* ------------------------------------------------------ fixed unit tests */

static void t_check_key(struct t_report *r, const char *what, const char *secret, time_t t,
			const char *region, const char *service, const char *want_hex)
{
	struct sigv4_params p = {
	    .secret_access_key = secret, .region = region, .service = service, .time_s = t};
	unsigned char key[SIGV4_KEY_LEN];
	char hex[2 * SIGV4_KEY_LEN + 1] = "";
	struct err e = {0};
	if (sigv4_signing_key(&p, key, &e) < 0)
		t_fail(r, what, "error: %s", e.msg);
	else
		for (int i = 0; i < SIGV4_KEY_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", key[i]);
	t_same(r, what, want_hex, hex);
}

/* Signing keys: the suite's, the S3 examples', and the README's extra
 * "`date/region/service`: `key`" vectors. */
static void t_signing_keys(void **state)
{
	struct t_report r = {"signing keys", 0};
	char *readme = t_read(SIGV4_README, NULL), *s3 = t_read(S3_README, NULL);
	assert_non_null(readme);
	assert_non_null(s3);
	struct t_suite_inputs a = {0}, b = {0};
	t_suite_inputs(&a, readme, "access key id", "secret key",
		       "derived signing key (computed here, for reference)");
	t_suite_inputs(&b, s3, "access key id", "secret key", "signing key (computed)");
	t_check_key(&r, "suite key", a.secret, a.time_s, a.region, a.service, a.signing_key);
	t_check_key(&r, "s3 key", b.secret, b.time_s, b.region, b.service, b.signing_key);
	int extra = 0;
	for (const char *p = strchr(readme, '`'); p; p = strchr(p + 1, '`')) {
		char date[9], region[32], service[32];
		int used = 0;
		if (sscanf(p, "`%8[0-9]/%31[a-z0-9-]/%31[a-z0-9]`: `%n", date, region, service,
			   &used) != 3 ||
		    !used)
			continue;
		char *want = t_backticked(p + used - 1, "");
		t_check_key(&r, "extra key", a.secret, t_parse_time(date, "%Y%m%d"), region,
			    service, want);
		free(want);
		extra++;
	}
	if (extra < 2)
		t_fail(&r, "extra keys", "found %d extra key vectors, README lists 2", extra);
	t_suite_inputs_free(&a);
	t_suite_inputs_free(&b);
	free(readme);
	free(s3);
	t_done(&r);
}

/* The README's IAM ListUsers vector (inputs from its prose). */
static void t_iam_vector(void **state)
{
	struct t_report r = {"iam ListUsers", 0};
	char *readme = t_read(SIGV4_README, NULL);
	assert_non_null(readme);
	struct t_suite_inputs in = {0};
	t_suite_inputs(&in, readme, "access key id", "secret key", "time");
	char *want_hash = t_backticked(readme, "The canonical request hash is");
	char *want_sig = t_backticked(readme, "the signature is");
	struct sigv4_header h[] = {
	    {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
	    {"host", "iam.amazonaws.com"}};
	struct sigv4_request req = {.method = "GET",
				    .path = "/",
				    .query = "Action=ListUsers&Version=2010-05-08",
				    .headers = h,
				    .header_count = 2};
	struct sigv4_params p = {.access_key_id = in.akid,
				 .secret_access_key = in.secret,
				 .region = in.region,
				 .service = "iam",
				 .time_s = in.time_s};
	char *creq = NULL, hash[SIGV4_HEX_LEN + 1] = "";
	struct t_expect x = {NULL, NULL, want_sig, NULL, NULL};
	struct t_msg m = {.method = "GET", .h = h, .nh = 2};
	struct err e = {0};
	if (sigv4_canonical_request(&req, &p, SIGV4_MODE_HEADER, &creq, &e) < 0 ||
	    sigv4_sha256_hex(creq, strlen(creq), hash, &e) < 0)
		t_fail(&r, "canonical request", "error: %s", e.msg);
	t_same(&r, "canonical request hash", want_hash, hash);
	t_pipeline(&r, "header", &m, &req, &p, SIGV4_MODE_HEADER, &x);
	free(creq);
	free(want_hash);
	free(want_sig);
	t_suite_inputs_free(&in);
	free(readme);
	t_done(&r);
}

static bool t_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-_.~", c) != NULL);
}

/* The encoder against the SigV4 rule byte by byte, and against libcurl's
 * curl_easy_escape (same unreserved set, always encodes '/'). */
static void t_uri_encode(void **state)
{
	CURL *curl = curl_easy_init();
	assert_non_null(curl);
	for (int c = 0; c < 256; c++) {
		char in = (char)c, want[4];
		if (t_unreserved((unsigned char)c))
			snprintf(want, sizeof(want), "%c", c);
		else
			snprintf(want, sizeof(want), "%%%02X", c);
		char *with = sigv4_uri_encode(&in, 1, true),
		     *keep = sigv4_uri_encode(&in, 1, false);
		char *ref = curl_easy_escape(curl, &in, 1);
		assert_string_equal(with, want);
		assert_string_equal(with, ref);
		assert_string_equal(keep, c == '/' ? "/" : want);
		free(with);
		free(keep);
		curl_free(ref);
	}
	const char *s = "a b+c=d&e%f/g~h?i#j\xc3\xa9";
	char *keep = sigv4_uri_encode(s, strlen(s), false),
	     *all = sigv4_uri_encode(s, strlen(s), true);
	assert_string_equal(keep, "a%20b%2Bc%3Dd%26e%25f/g~h%3Fi%23j%C3%A9");
	assert_string_equal(all, "a%20b%2Bc%3Dd%26e%25f%2Fg~h%3Fi%23j%C3%A9");
	free(keep);
	free(all);
	unsigned char buf[4096];
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	char *enc = sigv4_uri_encode((char *)buf, sizeof(buf), true);
	char *ref = curl_easy_escape(curl, (char *)buf, (int)sizeof(buf));
	assert_string_equal(enc, ref);
	size_t dec_len = 0;
	char *dec = sigv4_uri_decode(enc, strlen(enc), &dec_len);
	assert_int_equal(dec_len, sizeof(buf));
	assert_memory_equal(dec, buf, sizeof(buf));
	free(enc);
	free(dec);
	curl_free(ref);
	curl_easy_cleanup(curl);
}

static void t_uri_decode(void **state)
{
	size_t n = 0;
	const char *s = "%2f%2F+%zz%4g%41%4";
	char *d = sigv4_uri_decode(s, strlen(s), &n);
	assert_string_equal(d, "//+%zz%4gA%4");
	assert_int_equal(n, strlen(d));
	free(d);
	d = sigv4_uri_decode("a%00b", 5, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "a\0b", 3);
	free(d);
	d = sigv4_uri_decode("%41%42", 3, &n); /* only the first 3 bytes count */
	assert_string_equal(d, "A");
	free(d);
}

static char *t_line(const char *text, int index)
{
	for (int i = 0; i < index && text; i++)
		text = strchr(text, '\n') ? strchr(text, '\n') + 1 : NULL;
	return text ? xstrndup(text, strcspn(text, "\n")) : NULL;
}

/* S3 keys with awkward bytes: encode -> sign -> the canonical URI is the wire
 * path, the key decodes back; the default rules encode it once more. */
static void t_s3_key_roundtrip(void **state)
{
	const char *keys[] = {"team/proj/b1/my file+name=1&x%y.txt",
			      "\xc3\xbcn\xc3\xaf"
			      "c\xc3\xb6"
			      "d\xc3\xa9/\xd0\xba\xd0\xbb/\xe6\x97\xa5.txt",
			      "a//b/./c/../d",
			      "trailing/",
			      "-_.~!*'()$@,;:?#[] end",
			      "100%25 sure"};
	struct sigv4_header h = {"Host", "127.0.0.1:4568"};
	struct sigv4_params p = {.access_key_id = "AKID",
				 .secret_access_key = TEST_SECRET_A,
				 .region = "us-west-1",
				 .service = "s3",
				 .time_s = 1700000000,
				 .rules = SIGV4_RULES_S3,
				 .expires_s = 60};
	struct err e = {0};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *wire_key = sigv4_uri_encode(keys[i], strlen(keys[i]), false);
		char *path = xasprintf("/aftomato-build-artifacts/%s", wire_key);
		for (const char *c = wire_key; *c; c++)
			assert_true(t_unreserved((unsigned char)*c) || *c == '/' || *c == '%');
		size_t n = 0;
		char *back = sigv4_uri_decode(wire_key, strlen(wire_key), &n);
		assert_int_equal(n, strlen(keys[i]));
		assert_string_equal(back, keys[i]);
		struct sigv4_request req = {.method = "PUT",
					    .path = path,
					    .headers = &h,
					    .header_count = 1,
					    .body = "x",
					    .body_len = 1};
		char *creq = NULL, *url = NULL;
		assert_int_equal(sigv4_canonical_request(&req, &p, SIGV4_MODE_HEADER, &creq, &e),
				 0);
		char *uri = t_line(creq, 1);
		assert_string_equal(uri, path);
		req.payload = SIGV4_PAYLOAD_UNSIGNED;
		assert_int_equal(sigv4_presign_url("http://127.0.0.1:4568/", &req, &p, &url, &e),
				 0);
		char *prefix = xasprintf("http://127.0.0.1:4568%s?X-Amz-Algorithm=", path);
		assert_true(strncmp(url, prefix, strlen(prefix)) == 0);
		free(creq);
		free(uri);
		/* Default rules: the same wire path is encoded again ('%' -> '%25'). */
		struct sigv4_params d = p;
		d.rules = SIGV4_RULES_DEFAULT;
		d.no_path_normalize = true;
		assert_int_equal(sigv4_canonical_request(&req, &d, SIGV4_MODE_HEADER, &creq, &e),
				 0);
		uri = t_line(creq, 1);
		char *twice = sigv4_uri_encode(path, strlen(path), false);
		assert_string_equal(uri, twice);
		free(twice);
		free(uri);
		free(creq);
		free(url);
		free(prefix);
		free(back);
		free(path);
		free(wire_key);
	}
	/* A raw key is not a wire path under S3 rules. */
	struct sigv4_request raw = {
	    .method = "GET", .path = "/b/my file", .headers = &h, .header_count = 1};
	char *creq = NULL;
	assert_int_equal(sigv4_canonical_request(&raw, &p, SIGV4_MODE_HEADER, &creq, &e), -1);
	assert_int_equal(e.code, ERR_INTERNAL);
	assert_non_null(strstr(e.msg, "sigv4_uri_encode"));
	assert_null(creq);
	raw.path = "/b/a%2fb"; /* lowercase escapes are not the encoder's output either */
	assert_int_equal(sigv4_canonical_request(&raw, &p, SIGV4_MODE_HEADER, &creq, &e), -1);
	raw.path = "/b/a%2Fb%C3%A9";
	assert_int_equal(sigv4_canonical_request(&raw, &p, SIGV4_MODE_HEADER, &creq, &e), 0);
	free(creq);
}

/* Session tokens under S3 rules: signed as a header (or added after signing),
 * and every stage agrees with the one-call signer. */
static void t_s3_token(void **state)
{
	struct sigv4_header h = {"Host", "bucket.s3.us-west-1.amazonaws.com"};
	struct sigv4_request req = {.method = "GET",
				    .path = "/k",
				    .headers = &h,
				    .header_count = 1,
				    .payload = SIGV4_PAYLOAD_UNSIGNED};
	struct sigv4_params p = {.access_key_id = "AKID",
				 .secret_access_key = TEST_SECRET_A,
				 .session_token = "TOKEN/with+chars=",
				 .region = "us-west-1",
				 .service = "s3",
				 .time_s = 1700000000,
				 .rules = SIGV4_RULES_S3};
	const char *names[] = {"X-Amz-Date", "x-amz-content-sha256", "X-Amz-Security-Token",
			       "Authorization"};
	struct err e = {0};
	for (int after = 0; after < 2; after++) {
		p.token_after_signing = after;
		struct sigv4_auth_headers out;
		char *creq = NULL, *sts = NULL, *sh = NULL, *authz = NULL, sig[SIGV4_HEX_LEN + 1];
		unsigned char key[SIGV4_KEY_LEN];
		assert_int_equal(sigv4_sign_headers(&req, &p, &out, &e), 0);
		assert_int_equal(out.count, 4);
		for (int i = 0; i < 4; i++)
			assert_string_equal(out.items[i].name, names[i]);
		assert_string_equal(out.items[1].value, SIGV4_UNSIGNED_PAYLOAD);
		assert_string_equal(out.items[2].value, p.session_token);
		assert_int_equal(sigv4_canonical_request(&req, &p, SIGV4_MODE_HEADER, &creq, &e),
				 0);
		assert_int_equal(sigv4_string_to_sign(creq, &p, &sts, &e), 0);
		assert_int_equal(sigv4_signing_key(&p, key, &e), 0);
		assert_int_equal(sigv4_signature(key, sts, sig, &e), 0);
		assert_int_equal(sigv4_signed_headers(&req, &p, SIGV4_MODE_HEADER, &sh, &e), 0);
		assert_string_equal(sh, after ? "host;x-amz-content-sha256;x-amz-date"
					      : "host;x-amz-content-sha256;x-amz-date;"
						"x-amz-security-token");
		assert_int_equal(sigv4_authorization(&p, sh, sig, &authz, &e), 0);
		assert_string_equal(authz, out.items[3].value);
		assert_null(strstr(creq, TEST_SECRET_A));
		assert_true((strstr(creq, p.session_token) != NULL) == !after);
		free(creq);
		free(sts);
		free(sh);
		free(authz);
		sigv4_auth_headers_cleanup(&out);
	}
}

/* Bad input fails with a one-line message that never quotes a credential. */
static void t_errors(void **state)
{
	const char *token = "SeSsIoNtOkEnSeCrEt";
	struct sigv4_header ok[] = {{"Host", "example.amazonaws.com"}};
	struct sigv4_header nohost[] = {{"X-Other", "v"}};
	struct sigv4_header owned[] = {{"Host", "h"}, {"X-Amz-Date", "20150830T123600Z"}};
	struct sigv4_header badname[] = {{"Host", "h"}, {"Bad Name", "v"}};
	struct {
		const char *what;
		struct sigv4_request req;
		enum sigv4_mode mode;
		enum err_code code;
	} cases[] = {
#define REQ(m, pa, q, h, ...)                                                                      \
	{.method = m,                                                                              \
	 .path = pa,                                                                               \
	 .query = q,                                                                               \
	 .headers = h,                                                                             \
	 .header_count = sizeof(h) / sizeof(h[0]),                                                 \
	 __VA_ARGS__}
	    {"no host", REQ("GET", "/", NULL, nohost, .body = NULL), SIGV4_MODE_HEADER,
	     ERR_INTERNAL},
	    {"owned header", REQ("GET", "/", NULL, owned, .body = NULL), SIGV4_MODE_HEADER,
	     ERR_INTERNAL},
	    {"bad name", REQ("GET", "/", NULL, badname, .body = NULL), SIGV4_MODE_HEADER,
	     ERR_INTERNAL},
	    {"relative path", REQ("GET", "x", NULL, ok, .body = NULL), SIGV4_MODE_HEADER,
	     ERR_INTERNAL},
	    {"no method", REQ("", "/", NULL, ok, .body = NULL), SIGV4_MODE_HEADER, ERR_INTERNAL},
	    {"presigned twice", REQ("GET", "/", "X-Amz-Signature=1", ok, .body = NULL),
	     SIGV4_MODE_QUERY, ERR_INTERNAL},
	    {"bad hash",
	     REQ("GET", "/", NULL, ok, .payload = SIGV4_PAYLOAD_HASH, .payload_hash = "a b"),
	     SIGV4_MODE_HEADER, ERR_INTERNAL},
#undef REQ
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sigv4_params p = {.access_key_id = "AKID",
					 .secret_access_key = TEST_SECRET_A,
					 .session_token = token,
					 .region = "us-east-1",
					 .service = "sts",
					 .time_s = 1440938160,
					 .expires_s = 60};
		char *out = NULL;
		struct err e = {0};
		int rc = sigv4_canonical_request(&cases[i].req, &p, cases[i].mode, &out, &e);
		print_message("%s -> %s\n", cases[i].what, e.msg);
		assert_int_equal(rc, -1);
		assert_null(out);
		assert_int_equal(e.code, cases[i].code);
		assert_null(strstr(e.msg, TEST_SECRET_A));
		assert_null(strstr(e.msg, token));
	}
	struct sigv4_request req = {.method = "GET", .path = "/", .headers = ok, .header_count = 1};
	struct {
		const char *what, *secret, *tok, *region;
		time_t t;
		long expires;
		enum err_code code;
	} params[] = {
	    {"no secret", "", NULL, "us-east-1", 1, 60, ERR_AUTH},
	    {"token with newline", TEST_SECRET_A, "abc\nX-Evil: 1", "us-east-1", 1, 60, ERR_AUTH},
	    {"no time", TEST_SECRET_A, NULL, "us-east-1", 0, 60, ERR_INTERNAL},
	    {"bad region", TEST_SECRET_A, NULL, "us east 1", 1, 60, ERR_CONFIG},
	    {"expiry 0", TEST_SECRET_A, NULL, "us-east-1", 1, 0, ERR_INTERNAL},
	    {"expiry 8 days", TEST_SECRET_A, NULL, "us-east-1", 1, 8 * 86400, ERR_INTERNAL},
	};
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		struct sigv4_params p = {.access_key_id = "AKID",
					 .secret_access_key = params[i].secret,
					 .session_token = params[i].tok,
					 .region = params[i].region,
					 .service = "s3",
					 .time_s = params[i].t,
					 .expires_s = params[i].expires};
		char *out = NULL;
		struct err e = {0};
		int rc = sigv4_presign_query(&req, &p, &out, &e);
		print_message("%s -> %s\n", params[i].what, e.msg);
		assert_int_equal(rc, -1);
		assert_null(out);
		assert_int_equal(e.code, params[i].code);
		assert_null(strstr(e.msg, TEST_SECRET_A));
		assert_null(strstr(e.msg, "abc"));
	}
}

/* SHA-256: README values, incremental == one-shot, file hash == sha256sum(1). */
static void t_sha256(void **state)
{
	char *s3 = t_read(S3_README, NULL);
	assert_non_null(s3);
	char *empty = t_table(s3, "sha256(\"\")", 0), *welcome = t_backticked(s3, "sha256(body) =");
	char hex[SIGV4_HEX_LEN + 1], hex2[SIGV4_HEX_LEN + 1];
	struct err e = {0};
	assert_int_equal(sigv4_sha256_hex("", 0, hex, &e), 0);
	assert_string_equal(hex, empty);
	assert_int_equal(sigv4_sha256_hex("Welcome to Amazon S3.", 21, hex, &e), 0);
	assert_string_equal(hex, welcome);
	size_t n = 3 * 1024 * 1024 + 17;
	unsigned char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	assert_int_equal(sigv4_sha256_hex(data, n, hex, &e), 0);
	struct sigv4_sha256 h = {0};
	assert_int_equal(sigv4_sha256_init(&h, &e), 0);
	for (size_t off = 0, step = 1; off < n; off += step, step = step * 3 + 1) {
		size_t len = step < n - off ? step : n - off;
		assert_int_equal(sigv4_sha256_update(&h, data + off, len, &e), 0);
	}
	assert_int_equal(sigv4_sha256_final(&h, hex2, &e), 0);
	sigv4_sha256_cleanup(&h);
	sigv4_sha256_cleanup(&h);
	assert_string_equal(hex, hex2);
	char *path = xasprintf("%s/sigv4-sha256.bin", AFT_TEST_TMP);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(sigv4_sha256_file(path, hex2, &e), 0);
	assert_string_equal(hex, hex2);
	char *cmd = xasprintf("sha256sum '%s'", path), line[256] = "";
	FILE *pipe = popen(cmd, "r");
	assert_non_null(pipe);
	assert_non_null(fgets(line, sizeof(line), pipe));
	pclose(pipe);
	assert_true(strncmp(line, hex, SIGV4_HEX_LEN) == 0);
	remove(path);
	assert_int_equal(sigv4_sha256_file(path, hex2, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "sigv4-sha256.bin"));
	free(cmd);
	free(path);
	free(data);
	free(empty);
	free(welcome);
	free(s3);
}

/* ------------------------------------------------------------ discovery */

static bool t_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int t_case_cmp(const void *a, const void *b)
{
	return strcmp(((const struct t_case *)a)->name, ((const struct t_case *)b)->name);
}

static void t_add_case(const char *name, const char *dir, const char *base)
{
	if (s_ncases >= MAX_CASES)
		return;
	s_cases[s_ncases].name = xstrdup(name);
	s_cases[s_ncases].dir = xstrdup(dir);
	s_cases[s_ncases].base = xstrdup(base);
	s_ncases++;
}

/* Every directory under dir is a case (v4), or, for the 2015 layout, a directory
 * D holding D.req is a case and any other directory is searched. */
static void t_discover(const char *suite, const char *dir, const char *rel, bool nested)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = xasprintf("%s/%s", dir, de->d_name);
		char *name = xasprintf("%s%s%s", rel, *rel ? "/" : "", de->d_name);
		char *req = xasprintf("%s/%s.req", sub, de->d_name);
		if (t_is_dir(sub)) {
			if (!nested || access(req, F_OK) == 0) {
				char *shown = xasprintf("%s/%s", suite, name);
				t_add_case(shown, sub, de->d_name);
				free(shown);
			} else {
				t_discover(suite, sub, name, nested);
			}
		}
		free(req);
		free(name);
		free(sub);
	}
	if (d)
		closedir(d);
}

static void t_discovery(void **state)
{
	print_message("discovered %zu v4 cases, %zu 2015 cases, %zu S3 examples\n", s_nv4, s_norig,
		      s_ns3);
	assert_int_equal(s_nv4, V4_CASES);
	assert_int_equal(s_norig, ORIG_CASES);
	assert_int_equal(s_ns3, S3_EXAMPLES);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t_discover("v4", V4_DIR, "", false);
	s_nv4 = s_ncases;
	qsort(s_cases, s_nv4, sizeof(s_cases[0]), t_case_cmp);
	t_discover("orig", ORIG_DIR, "", true);
	s_norig = s_ncases - s_nv4;
	qsort(s_cases + s_nv4, s_norig, sizeof(s_cases[0]), t_case_cmp);
	char *s3 = t_read(S3_README, NULL);
	t_s3_parse(s3);
	free(s3);

	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(t_discovery),  cmocka_unit_test(t_uri_encode),
	    cmocka_unit_test(t_uri_decode), cmocka_unit_test(t_s3_key_roundtrip),
	    cmocka_unit_test(t_s3_token),   cmocka_unit_test(t_errors),
	    cmocka_unit_test(t_sha256),	    cmocka_unit_test(t_signing_keys),
	    cmocka_unit_test(t_iam_vector),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), n = 0;
	struct CMUnitTest *tests = xcalloc(nfixed + s_ncases + s_ns3, sizeof(*tests));
	memcpy(tests, fixed, sizeof(fixed));
	n = nfixed;
	for (size_t i = 0; i < s_ncases; i++)
		tests[n++] = (struct CMUnitTest){s_cases[i].name, i < s_nv4 ? t_run_v4 : t_run_orig,
						 NULL, NULL, &s_cases[i]};
	for (size_t i = 0; i < s_ns3; i++)
		tests[n++] = (struct CMUnitTest){s_s3[i].name, t_run_s3, NULL, NULL, &s_s3[i]};
	int rc = _cmocka_run_group_tests("sigv4", tests, n, NULL, NULL);

	free(tests);
	for (size_t i = 0; i < s_ncases; i++) {
		free(s_cases[i].name);
		free(s_cases[i].dir);
		free(s_cases[i].base);
	}
	for (size_t i = 0; i < s_ns3; i++) {
		struct t_s3_example *x = &s_s3[i];
		free(x->name), free(x->request), free(x->creq), free(x->sts);
		free(x->url), free(x->signature), free(x->authz), free(x->inputs);
	}
	curl_global_cleanup();
	return rc;
}
