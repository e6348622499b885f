/* Unit tests for backend/k8s/kubeconfig: reading kubeconfig files as kubectl
 * does (explicit file, KUBECONFIG merged first-wins, contexts, namespaces,
 * relative paths, -data fields, insecure, tls-server-name, exec plugins,
 * in-cluster service accounts) and the errors that point at file:line:col. */
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

#include "fsutil.h"
#include "k8s/kubeconfig.h"
#include "xmem.h"

static char s_dir[512];

static char *s_path(const char *name)
{
	return xasprintf("%s/%s", s_dir, name);
}

static char *s_write(const char *name, const char *text)
{
	char *p = s_path(name);
	struct err e = {0};
	if (fsutil_mkdir_parent(p, 0700, &e) < 0 ||
	    fsutil_write_atomic(p, text, strlen(text), &e) < 0)
		fail_msg("cannot write %s: %s", p, e.msg);
	return p;
}

static int s_setup(void **state)
{
	snprintf(s_dir, sizeof(s_dir), "%s/kubeconfig.XXXXXX", AFT_TEST_TMP);
	if (!mkdtemp(s_dir))
		return -1;
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	char *home = s_path("home");
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	free(home);
	return 0;
}

static int s_teardown(void **state)
{
	struct err e = {0};
	fsutil_rm_rf(s_dir, &e);
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	return 0;
}

static const char *s_basic = "apiVersion: v1\n"
			     "kind: Config\n"
			     "clusters:\n"
			     "- name: prod\n"
			     "  cluster:\n"
			     "    server: https://prod.example:6443/\n"
			     "    certificate-authority: certs/ca.crt\n"
			     "- name: lab\n"
			     "  cluster:\n"
			     "    server: https://10.0.0.1\n"
			     "    insecure-skip-tls-verify: true\n"
			     "    tls-server-name: kubernetes.default\n"
			     "contexts:\n"
			     "- name: prod\n"
			     "  context: {cluster: prod, user: admin, namespace: builds}\n"
			     "- name: lab\n"
			     "  context: {cluster: lab, user: filetok}\n"
			     "current-context: prod\n"
			     "users:\n"
			     "- name: admin\n"
			     "  user:\n"
			     "    token: s3cr3t\n"
			     "- name: filetok\n"
			     "  user:\n"
			     "    tokenFile: tok/token\n";

static void s_load_ok(const struct kubeconfig_opts *o, struct kubeconfig *k)
{
	struct err e = {0};
	if (kubeconfig_load(o, k, &e) < 0)
		fail_msg("kubeconfig_load: %s", e.msg);
}

static void s_load_fails(const struct kubeconfig_opts *o, const char *needle)
{
	struct kubeconfig k;
	struct err e = {0};
	assert_int_equal(kubeconfig_load(o, &k, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' does not mention '%s'", e.msg, needle);
	kubeconfig_cleanup(&k);
}

static void test_explicit_file(void **state)
{
	char *p = s_write("a/config", s_basic);
	struct kubeconfig k;
	struct kubeconfig_opts o = {.path = p};
	s_load_ok(&o, &k);
	assert_string_equal(k.context, "prod");
	assert_string_equal(k.server, "https://prod.example:6443");
	assert_string_equal(k.namespace_, "builds");
	assert_string_equal(k.token, "s3cr3t");
	char *ca = s_path("a/certs/ca.crt");
	assert_string_equal(k.tls.ca_file, ca); /* relative to the file */
	free(ca);
	assert_false(k.tls.insecure);
	assert_null(k.exec);
	kubeconfig_cleanup(&k);

	o.context = "lab";
	s_load_ok(&o, &k);
	assert_true(k.tls.insecure);
	assert_string_equal(k.tls.server_name, "kubernetes.default");
	assert_null(k.namespace_);
	assert_null(k.token);
	char *tf = s_path("a/tok/token");
	assert_string_equal(k.token_file, tf);
	free(tf);
	kubeconfig_cleanup(&k);

	o.context = "nope";
	s_load_fails(&o, "contexts: prod, lab");
	free(p);
	char *missing = s_path("missing");
	o.path = missing;
	o.context = NULL;
	s_load_fails(&o, "does not exist");
	free(missing);
}

static void test_kubeconfig_env_merge(void **state)
{
	char *a = s_write("a", "contexts:\n"
			       "- name: shared\n"
			       "  context: {cluster: c1, user: u1}\n"
			       "clusters:\n"
			       "- name: c1\n"
			       "  cluster: {server: 'https://first'}\n"
			       "users:\n"
			       "- name: u1\n"
			       "  user: {token: from-a}\n");
	char *b = s_write("b", "current-context: shared\n"
			       "contexts:\n"
			       "- name: shared\n"
			       "  context: {cluster: c2, user: u2}\n"
			       "- name: only-b\n"
			       "  context: {cluster: c1, user: u2, namespace: nb}\n"
			       "clusters:\n"
			       "- name: c1\n"
			       "  cluster: {server: 'https://second'}\n"
			       "- name: c2\n"
			       "  cluster: {server: 'https://c2'}\n"
			       "users:\n"
			       "- name: u2\n"
			       "  user: {token: from-b}\n");
	char *env = xasprintf("%s:%s/does-not-exist:%s", a, s_dir, b);
	setenv("KUBECONFIG", env, 1);
	struct kubeconfig k;
	struct kubeconfig_opts o = {0};
	s_load_ok(&o, &k);
	/* current-context from b (a sets none); the context from a (first wins). */
	assert_string_equal(k.context, "shared");
	assert_string_equal(k.server, "https://first");
	assert_string_equal(k.token, "from-a");
	kubeconfig_cleanup(&k);
	/* A context only b has, using a cluster both define: a's wins. */
	o.context = "only-b";
	s_load_ok(&o, &k);
	assert_string_equal(k.server, "https://first");
	assert_string_equal(k.token, "from-b");
	assert_string_equal(k.namespace_, "nb");
	kubeconfig_cleanup(&k);
	free(a);
	free(b);
	free(env);
}

static void test_default_file(void **state)
{
	char *p = s_write("home/.kube/config", s_basic);
	struct kubeconfig k;
	struct kubeconfig_opts o = {0};
	s_load_ok(&o, &k);
	assert_string_equal(k.context, "prod");
	kubeconfig_cleanup(&k);
	unlink(p);
	free(p);
	s_load_fails(&o, "no kubeconfig found");
}

static const char *s_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

static void test_data_fields(void **state)
{
	/* base64 of s_pem, split over lines as some tools write it */
	const char *b64 = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VS\n"
			  "VElGSUNBVEUtLS0tLQo=";
	char *text = xasprintf(
	    "clusters:\n"
	    "- name: c\n"
	    "  cluster:\n"
	    "    server: https://x\n"
	    "    certificate-authority-data: |\n      %.60s\n      %s\n"
	    "    certificate-authority: ignored-when-data-is-set\n"
	    "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
	    "current-context: c\n"
	    "users:\n"
	    "- name: u\n"
	    "  user:\n"
	    "    client-certificate-data: %s\n"
	    "    client-key-data: %s\n",
	    b64, b64 + 61,
	    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=",
	    "a2V5");
	char *p = s_write("data", text);
	struct kubeconfig k;
	struct kubeconfig_opts o = {.path = p};
	s_load_ok(&o, &k);
	assert_string_equal(k.tls.ca_pem, s_pem);
	assert_null(k.tls.ca_file);
	assert_string_equal(k.tls.cert_pem, s_pem);
	assert_string_equal(k.tls.key_pem, "key");
	kubeconfig_cleanup(&k);
	free(p);
	free(text);

	size_t n;
	char *d = kubeconfig_base64_decode("aGk=", &n);
	assert_string_equal(d, "hi");
	assert_int_equal(n, 2);
	free(d);
	d = kubeconfig_base64_decode("", &n);
	assert_int_equal(n, 0);
	free(d);
	assert_null(kubeconfig_base64_decode("abc", NULL));
	assert_null(kubeconfig_base64_decode("a*c=", NULL));
}

static void test_client_cert_files(void **state)
{
	char *crt = s_write("pki/client.crt", s_pem);
	char *key = s_write("pki/client.key", "KEY\n");
	char *p = s_write(
	    "certs", "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
		     "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
		     "current-context: c\n"
		     "users:\n"
		     "- name: u\n"
		     "  user: {client-certificate: pki/client.crt, client-key: pki/client.key}\n");
	struct kubeconfig k;
	struct kubeconfig_opts o = {.path = p};
	s_load_ok(&o, &k);
	assert_string_equal(k.tls.cert_pem, s_pem);
	assert_string_equal(k.tls.key_pem, "KEY\n");
	kubeconfig_cleanup(&k);
	free(p);
	p = s_write("certs2", "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
			      "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
			      "current-context: c\n"
			      "users:\n"
			      "- name: u\n"
			      "  user: {client-certificate: pki/client.crt}\n");
	o.path = p;
	s_load_fails(&o, "needs both");
	free(p);
	free(crt);
	free(key);
}

static void test_errors_have_positions(void **state)
{
	char *p = s_write("bad1", "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
				  "contexts:\n"
				  "- name: c\n"
				  "  context: {cluster: c, user: ghost}\n"
				  "current-context: c\n");
	struct kubeconfig_opts o = {.path = p};
	char *want = xasprintf("%s:4:", p);
	s_load_fails(&o, want);
	s_load_fails(&o, "user 'ghost', which is not defined");
	free(want);
	free(p);
	p = s_write("bad2", "clusters: [{name: c, cluster: {server: [1]}}]\n"
			    "contexts: [{name: c, context: {cluster: c}}]\n"
			    "current-context: c\n");
	o.path = p;
	want = xasprintf("%s:1:", p);
	s_load_fails(&o, want);
	free(want);
	free(p);
	p = s_write("bad3", "clusters: [{name: c, cluster: {server: 'ftp://x'}}]\n"
			    "contexts: [{name: c, context: {cluster: c}}]\n"
			    "current-context: c\n");
	o.path = p;
	s_load_fails(&o, "not an http(s) URL");
	free(p);
	p = s_write("bad4", "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
			    "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
			    "current-context: c\n"
			    "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n");
	o.path = p;
	s_load_fails(&o, "auth-provider is not supported");
	free(p);
	p = s_write("bad5", "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
			    "contexts: [{name: c, context: {cluster: c}}]\n");
	o.path = p;
	s_load_fails(&o, "no current-context");
	free(p);
	p = s_write("bad6", "contexts: {name: c}\n");
	o.path = p;
	o.context = "c";
	s_load_fails(&o, "expected a sequence");
	free(p);
	p = s_write("bad7", "clusters: [\n");
	o.path = p;
	want = xasprintf("%s:2:", p);
	s_load_fails(&o, want);
	free(want);
	free(p);
}

static void test_exec_plugin(void **state)
{
	char *p = s_write("exec", "clusters:\n"
				  "- name: eks\n"
				  "  cluster:\n"
				  "    server: https://eks.example\n"
				  "    certificate-authority-data: aGk=\n"
				  "    extensions:\n"
				  "    - name: client.authentication.k8s.io/exec\n"
				  "      extension: {audience: builds}\n"
				  "contexts: [{name: eks, context: {cluster: eks, user: aws}}]\n"
				  "current-context: eks\n"
				  "users:\n"
				  "- name: aws\n"
				  "  user:\n"
				  "    exec:\n"
				  "      apiVersion: client.authentication.k8s.io/v1\n"
				  "      command: ./bin/get-token\n"
				  "      args: [eks, get-token, --cluster-name, prod]\n"
				  "      env: [{name: AWS_PROFILE, value: ci}]\n"
				  "      interactiveMode: Never\n"
				  "      provideClusterInfo: true\n"
				  "      installHint: install the token helper\n");
	struct kubeconfig k;
	struct kubeconfig_opts o = {.path = p};
	s_load_ok(&o, &k);
	assert_non_null(k.exec);
	char *cmd = s_path("./bin/get-token");
	assert_string_equal(k.exec->command, cmd);
	free(cmd);
	assert_string_equal(k.exec->args[0], "eks");
	assert_string_equal(k.exec->args[3], "prod");
	assert_null(k.exec->args[4]);
	assert_string_equal(k.exec->env[0], "AWS_PROFILE=ci");
	assert_null(k.exec->env[1]);
	assert_string_equal(k.exec->interactive_mode, "Never");
	assert_true(k.exec->provide_cluster_info);
	assert_string_equal(k.exec->install_hint, "install the token helper");
	json_t *ci = k.exec->cluster_info;
	assert_string_equal(json_string_value(json_object_get(ci, "server")),
			    "https://eks.example");
	assert_string_equal(json_string_value(json_object_get(ci, "certificate-authority-data")),
			    "aGk=");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ci, "config"), "audience")),
	    "builds");
	kubeconfig_cleanup(&k);
	free(p);

	/* A bare command name stays a name (looked up in PATH). */
	p = s_write("exec2",
		    "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
		    "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
		    "current-context: c\n"
		    "users:\n"
		    "- name: u\n"
		    "  user:\n"
		    "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: "
		    "aws-iam-authenticator}\n");
	o.path = p;
	s_load_ok(&o, &k);
	assert_string_equal(k.exec->command, "aws-iam-authenticator");
	assert_string_equal(k.exec->api_version, "client.authentication.k8s.io/v1beta1");
	kubeconfig_cleanup(&k);
	free(p);

	/* v1 requires interactiveMode; unknown API versions are refused. */
	p = s_write("exec3",
		    "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
		    "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
		    "current-context: c\n"
		    "users:\n"
		    "- name: u\n"
		    "  user:\n"
		    "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x}\n");
	o.path = p;
	s_load_fails(&o, "interactiveMode must be set");
	free(p);
	p = s_write("exec4",
		    "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
		    "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
		    "current-context: c\n"
		    "users:\n"
		    "- name: u\n"
		    "  user:\n"
		    "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}\n");
	o.path = p;
	s_load_fails(&o, "is not supported");
	free(p);
}

static void test_in_cluster(void **state)
{
	char *sa = s_path("sa");
	char *tok = s_write("sa/token", "tok\n");
	char *ns = s_write("sa/namespace", "builds\n");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	struct kubeconfig k;
	struct kubeconfig_opts o = {.sa_dir = sa};
	s_load_ok(&o, &k);
	assert_true(k.in_cluster);
	assert_string_equal(k.server, "https://10.96.0.1:443");
	assert_string_equal(k.namespace_, "builds");
	assert_string_equal(k.token_file, tok);
	char *ca = xasprintf("%s/ca.crt", sa);
	assert_string_equal(k.tls.ca_file, ca);
	free(ca);
	kubeconfig_cleanup(&k);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	s_load_ok(&o, &k);
	assert_string_equal(k.server, "https://[fd00::1]:443");
	kubeconfig_cleanup(&k);
	/* A kubeconfig file wins over the service account, as with kubectl. */
	char *kc = s_write("home/.kube/config", s_basic);
	s_load_ok(&o, &k);
	assert_false(k.in_cluster);
	kubeconfig_cleanup(&k);
	unlink(kc);
	free(kc);
	/* No token mounted. */
	unlink(tok);
	s_load_fails(&o, "does not exist");
	free(sa);
	free(tok);
	free(ns);
}

static void test_buffer(void **state)
{
	struct kubeconfig k;
	struct err e = {0};
	assert_int_equal(
	    kubeconfig_load_buffer("<inline>", "/etc", s_basic, strlen(s_basic), "prod", &k, &e),
	    0);
	assert_string_equal(k.tls.ca_file, "/etc/certs/ca.crt");
	kubeconfig_cleanup(&k);
	assert_int_equal(kubeconfig_load_buffer("<inline>", "/etc", "a: [", 4, NULL, &k, &e), -1);
	if (!strstr(e.msg, "<inline>:"))
		fail_msg("no position in %s", e.msg);
	kubeconfig_cleanup(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_explicit_file, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_kubeconfig_env_merge, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_default_file, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_data_fields, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_client_cert_files, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_errors_have_positions, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_exec_plugin, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_in_cluster, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_buffer, s_setup, s_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
