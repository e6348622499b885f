/* Unit tests for backend/k8s/auth: credentials from static tokens, token files
 * that rotate, and exec credential plugins (real processes: ExecCredential v1
 * and v1beta1, KUBERNETES_EXEC_INFO, caching until expirationTimestamp, a new
 * run after a 401, failures reported in one line with the install hint). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "http.h"
#include "k8s/auth.h"
#include "k8s/kubeconfig.h"
#include "xmem.h"

static char s_dir[512];

static char *s_path(const char *name)
{
	return xasprintf("%s/%s", s_dir, name);
}

static void s_write(const char *name, const char *text, mode_t mode)
{
	char *p = s_path(name);
	struct err e = {0};
	if (fsutil_write_atomic(p, text, strlen(text), &e) < 0)
		fail_msg("%s", e.msg);
	chmod(p, mode);
	free(p);
}

/* The plugin counts its runs, saves its KUBERNETES_EXEC_INFO and answers a
 * token that expires EXP_S seconds from now (MODE selects failures). */
static const char *s_plugin =
    "#!/bin/sh\n"
    "n=$(cat \"$DIR/count\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$DIR/count\"\n"
    "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$DIR/info\"\n"
    "exp=$(date -u -d \"+${EXP_S:-3600} seconds\" +%Y-%m-%dT%H:%M:%SZ)\n"
    "case \"$MODE\" in\n"
    "fail) echo 'error: the SSO session has expired' >&2; echo 'more' >&2; exit 3 ;;\n"
    "garbage) echo 'not json' ;;\n"
    "wrongapi) echo "
    "'{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
    "v1beta1\",\"status\":{\"token\":\"x\"}}' ;;\n"
    "cert) echo "
    "'{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/"
    "v1beta1\",\"status\":{\"clientCertificateData\":\"CERT\",\"clientKeyData\":\"KEY\"}}' ;;\n"
    "*) echo "
    "\"{\\\"kind\\\":\\\"ExecCredential\\\",\\\"apiVersion\\\":\\\"client.authentication.k8s.io/"
    "v1\\\",\\\"status\\\":{\\\"token\\\":\\\"tok-$n\\\",\\\"expirationTimestamp\\\":\\\"$exp\\\"}}"
    "\" ;;\n"
    "esac\n";

static int s_setup(void **state)
{
	snprintf(s_dir, sizeof(s_dir), "%s/auth.XXXXXX", AFT_TEST_TMP);
	if (!mkdtemp(s_dir))
		return -1;
	s_write("plugin.sh", s_plugin, 0755);
	return 0;
}

static int s_teardown(void **state)
{
	struct err e = {0};
	fsutil_rm_rf(s_dir, &e);
	return 0;
}

static void s_config(struct kubeconfig *k, const char *api, const char *mode, int exp_s,
		     const char *command)
{
	char *text = xasprintf(
	    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1', "
	    "certificate-authority-data: aGk=}}]\n"
	    "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
	    "current-context: c\n"
	    "users:\n"
	    "- name: u\n"
	    "  user:\n"
	    "    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/%s\n"
	    "      command: %s\n"
	    "      args: [--flag]\n"
	    "      interactiveMode: Never\n"
	    "      provideClusterInfo: true\n"
	    "      installHint: 'run: apt install token-helper'\n"
	    "      env: [{name: DIR, value: '%s'}, {name: MODE, value: '%s'}, {name: EXP_S, value: "
	    "'%d'}]\n",
	    api, command, s_dir, mode, exp_s);
	struct err e = {0};
	if (kubeconfig_load_buffer("test", s_dir, text, strlen(text), NULL, k, &e) < 0)
		fail_msg("%s", e.msg);
	free(text);
}

static const char *s_auth_header(struct http_request *req)
{
	for (struct curl_slist *h = req->headers; h; h = h->next)
		if (strncmp(h->data, "Authorization: ", 15) == 0)
			return h->data + 15;
	return NULL;
}

/* Applies credentials to a fresh request; returns its Authorization value
 * (copied) and the generation. */
static char *s_apply(struct auth *a, uint64_t *gen)
{
	struct http_request *req = http_request_new("GET", "https://x/");
	struct err e = {0};
	if (auth_apply(a, req, gen, &e) < 0)
		fail_msg("auth_apply: %s", e.msg);
	const char *h = s_auth_header(req);
	char *copy = xstrdup(h);
	http_request_free(req);
	return copy;
}

static void test_exec_cached_until_invalidated(void **state)
{
	struct kubeconfig k;
	s_config(&k, "v1", "ok", 3600, "./plugin.sh");
	struct auth *a = auth_new(&k);
	uint64_t g1, g2, g3;
	char *h = s_apply(a, &g1);
	assert_string_equal(h, "Bearer tok-1");
	free(h);
	h = s_apply(a, &g2);
	assert_string_equal(h, "Bearer tok-1"); /* cached */
	free(h);
	assert_int_equal(auth_exec_runs(a), 1);
	assert_true(g1 == g2);

	/* A 401 for that generation: the plugin runs again. */
	auth_invalidate(a, g2);
	h = s_apply(a, &g3);
	assert_string_equal(h, "Bearer tok-2");
	free(h);
	assert_true(g3 != g2);
	/* A late 401 of the old generation does not throw the new token away. */
	auth_invalidate(a, g1);
	h = s_apply(a, NULL);
	assert_string_equal(h, "Bearer tok-2");
	free(h);
	assert_int_equal(auth_exec_runs(a), 2);

	/* KUBERNETES_EXEC_INFO as the plugin saw it. */
	char *p = s_path("info"), *info = NULL;
	assert_int_equal(fsutil_read_all(p, 1 << 16, &info, NULL, NULL), 0);
	json_t *j = json_loads(info, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "ExecCredential");
	assert_string_equal(json_string_value(json_object_get(j, "apiVersion")),
			    "client.authentication.k8s.io/v1");
	json_t *spec = json_object_get(j, "spec");
	assert_true(json_is_false(json_object_get(spec, "interactive")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(spec, "cluster"), "server")),
	    "https://127.0.0.1:1");
	json_decref(j);
	free(info);
	free(p);
	auth_free(a);
	kubeconfig_cleanup(&k);
}

static void test_exec_expiry(void **state)
{
	struct kubeconfig k;
	s_config(&k, "v1", "ok", 1, "./plugin.sh"); /* expires within the margin */
	struct auth *a = auth_new(&k);
	char *h = s_apply(a, NULL);
	free(h);
	h = s_apply(a, NULL);
	assert_string_equal(h, "Bearer tok-2");
	free(h);
	assert_int_equal(auth_exec_runs(a), 2);
	auth_free(a);
	kubeconfig_cleanup(&k);
}

static void s_apply_fails(const char *api, const char *mode, const char *cmd, const char *needle)
{
	struct kubeconfig k;
	s_config(&k, api, mode, 3600, cmd);
	struct auth *a = auth_new(&k);
	struct http_request *req = http_request_new("GET", "https://x/");
	struct err e = {0};
	assert_int_equal(auth_apply(a, req, NULL, &e), -1);
	assert_int_equal(e.code, ERR_AUTH);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' does not mention '%s'", e.msg, needle);
	assert_null(strchr(e.msg, '\n'));
	http_request_free(req);
	auth_free(a);
	kubeconfig_cleanup(&k);
}

static void test_exec_failures(void **state)
{
	s_apply_fails("v1", "fail", "./plugin.sh",
		      "failed (exit 3): error: the SSO session has expired");
	s_apply_fails("v1", "garbage", "./plugin.sh", "no ExecCredential JSON");
	s_apply_fails("v1", "wrongapi", "./plugin.sh", "expected ExecCredential");
	s_apply_fails("v1", "ok", "./no-such-plugin", "run: apt install token-helper");
	s_apply_fails("v1", "ok", "no-such-plugin-in-path", "No such file");
}

static void test_exec_client_cert(void **state)
{
	struct kubeconfig k;
	s_config(&k, "v1beta1", "cert", 3600, "./plugin.sh");
	struct auth *a = auth_new(&k);
	struct http_request *req = http_request_new("GET", "https://x/");
	struct err e = {0};
	assert_int_equal(auth_apply(a, req, NULL, &e), 0);
	assert_null(s_auth_header(req));
	assert_string_equal(req->tls.cert_pem, "CERT");
	assert_string_equal(req->tls.key_pem, "KEY");
	http_request_free(req);
	auth_free(a);
	kubeconfig_cleanup(&k);
}

static void test_token_file_rotates(void **state)
{
	s_write("token", "first\n", 0600);
	char *text = xasprintf("clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
			       "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
			       "current-context: c\n"
			       "users: [{name: u, user: {tokenFile: token}}]\n");
	struct kubeconfig k;
	struct err e = {0};
	assert_int_equal(kubeconfig_load_buffer("t", s_dir, text, strlen(text), NULL, &k, &e), 0);
	free(text);
	struct auth *a = auth_new(&k);
	char *h = s_apply(a, NULL);
	assert_string_equal(h, "Bearer first");
	free(h);
	/* Rotated (a new file, as the kubelet writes it). */
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	s_write("token", "second", 0600);
	h = s_apply(a, NULL);
	assert_string_equal(h, "Bearer second");
	free(h);
	auth_free(a);
	kubeconfig_cleanup(&k);
}

static void test_static_token(void **state)
{
	const char *text = "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
			   "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
			   "current-context: c\n"
			   "users: [{name: u, user: {token: abc}}]\n";
	struct kubeconfig k;
	struct err e = {0};
	assert_int_equal(kubeconfig_load_buffer("t", s_dir, text, strlen(text), NULL, &k, &e), 0);
	struct auth *a = auth_new(&k);
	char *h = s_apply(a, NULL);
	assert_string_equal(h, "Bearer abc");
	free(h);
	assert_int_equal(auth_exec_runs(a), 0);
	auth_free(a);
	kubeconfig_cleanup(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exec_cached_until_invalidated, s_setup,
					    s_teardown),
	    cmocka_unit_test_setup_teardown(test_exec_expiry, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_exec_failures, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_exec_client_cert, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_token_file_rotates, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_static_token, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
