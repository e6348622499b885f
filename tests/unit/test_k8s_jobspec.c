/* Unit tests for backend/k8s/jobspec: the Job and ConfigMap of a build
 * (DESIGN.md §2): names, label-safe values whatever the project or branch,
 * labels and annotations, environment, deadline, resources, sidecars, the
 * credentials Secret referenced and never inlined, and the pod's config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "k8s/jobspec.h"
#include "profile.h"
#include "project.h"
#include "xmem.h"
#include "ytree.h"

static const char *s_id = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";

/* A DNS-1123 label: [a-z0-9-], 1..63, alphanumeric at both ends. */
static bool s_dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void test_job_name(void **state)
{
	char name[JOBSPEC_NAME_MAX + 1];
	jobspec_job_name(s_id, name);
	assert_string_equal(name, "aftomato-0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
	assert_true(s_dns_label(name));
	/* The pod the Job controller makes: name + "-" + 5 characters. */
	assert_true(strlen(name) + 6 <= 63);
}

static void s_label(const char *in, const char *want)
{
	char out[JOBSPEC_NAME_MAX + 1];
	jobspec_label_value(in, out);
	if (strcmp(out, want) != 0)
		fail_msg("label value of '%s': got '%s', want '%s'", in, out, want);
	assert_true(jobspec_label_value_ok(out));
}

static void test_label_values(void **state)
{
	s_label("team/app", "team.app");
	s_label("main", "main");
	s_label("feature/JIRA-12_x.y", "feature.JIRA-12_x.y");
	s_label("refs/heads/ünïcode branch!", "refs.heads.--n--code-branch");
	s_label("-_.leading", "leading");
	s_label("trailing/-_.", "trailing");
	s_label("", "");
	s_label("///", "");
	s_label("@@@", "");
	s_label("a", "a");
}

static void test_label_values_long(void **state)
{
	char a[200], b[200], la[JOBSPEC_NAME_MAX + 1], lb[JOBSPEC_NAME_MAX + 1];
	memset(a, 'x', 150);
	a[150] = '\0';
	memcpy(b, a, sizeof(a));
	b[149] = 'y';
	jobspec_label_value(a, la);
	jobspec_label_value(b, lb);
	assert_true(strlen(la) <= 63);
	assert_true(jobspec_label_value_ok(la));
	assert_true(jobspec_label_value_ok(lb));
	assert_string_not_equal(la, lb); /* the hash keeps long values apart */
	/* Stable: the same text gives the same value. */
	char again[JOBSPEC_NAME_MAX + 1];
	jobspec_label_value(a, again);
	assert_string_equal(la, again);
	/* A cut that lands on a separator still ends alphanumeric. */
	char c[200];
	memset(c, 'a', 51);
	memset(c + 51, '/', 100);
	c[151] = 'z';
	c[152] = '\0';
	jobspec_label_value(c, la);
	assert_true(jobspec_label_value_ok(la));
}

/* Any bytes at all give a valid label value. */
static void test_label_values_random(void **state)
{
	unsigned seed = 42;
	for (int round = 0; round < 5000; round++) {
		char in[120];
		size_t n = (size_t)(rand_r(&seed) % 119);
		for (size_t i = 0; i < n; i++)
			in[i] = (char)(1 + rand_r(&seed) % 255);
		in[n] = '\0';
		char out[JOBSPEC_NAME_MAX + 1];
		jobspec_label_value(in, out);
		if (!jobspec_label_value_ok(out))
			fail_msg("invalid label value '%s'", out);
	}
	assert_false(jobspec_label_value_ok("-a"));
	assert_false(jobspec_label_value_ok("a/b"));
	assert_false(jobspec_label_value_ok("a-"));
	char big[70];
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_false(jobspec_label_value_ok(big));
}

struct fixture {
	char dir[256];
	struct project p;
	struct build b;
	struct profile prof;
	struct project_env env[2];
};

static int s_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/jobspec.XXXXXX", AFT_TEST_TMP);
	if (!mkdtemp(f->dir))
		return -1;
	char *script = xasprintf("%s/build.sh", f->dir);
	FILE *fp = fopen(script, "w");
	fputs("#!/bin/sh\necho \"building $PROJECT_KEY\"\n", fp);
	fclose(fp);
	f->p.key = xstrdup("team/app");
	f->p.script_path = script;
	f->p.build_image = xstrdup("registry.example/build:1");
	f->p.timeout_seconds = 600;
	f->p.resources =
	    json_pack("{s:{s:s}, s:{s:s}}", "requests", "cpu", "500m", "limits", "memory", "1Gi");
	f->env[0] = (struct project_env){"GREETING", "bonjour"};
	f->env[1] = (struct project_env){"PRICE", "$(HOME) costs $5"};
	f->p.env = f->env;
	f->p.env_count = 2;
	memcpy(f->b.id, s_id, sizeof(f->b.id));
	f->b.project_key = "team/app";
	f->b.branch = "feature/Ünicode x";
	f->b.triggered_by = "ops@host";
	f->prof.store = PROFILE_STORE_AWS;
	f->prof.data_dir = "/var/lib/aftomato";
	f->prof.aws.region = "us-west-1";
	f->prof.aws.endpoint_url = "http://127.0.0.1:4566";
	f->prof.s3.artifacts_bucket = "aftomato-build-artifacts";
	f->prof.s3.logs_bucket = "aftomato-console-logs";
	f->prof.dynamodb.table = "aftomato-build-metadata";
	f->prof.dynamodb.index = "projectKey-buildTime-index";
	*state = f;
	return 0;
}

static int s_teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->p.script_path);
	rmdir(f->dir);
	free(f->p.key);
	free(f->p.script_path);
	free(f->p.build_image);
	json_decref(f->p.resources);
	json_decref(f->p.sidecars);
	free(f);
	return 0;
}

static struct jobspec_input s_input(struct fixture *f)
{
	return (struct jobspec_input){.b = &f->b,
				      .p = &f->p,
				      .profile = &f->prof,
				      .namespace_ = "ci",
				      .credentials_secret = "aftomato-aws-credentials"};
}

static const char *s_get(json_t *j, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	json_t *cur = j;
	for (char *k = strtok_r(copy, ".", &save); k && cur; k = strtok_r(NULL, ".", &save)) {
		if (json_is_array(cur))
			cur = json_array_get(cur, (size_t)atoi(k));
		else
			cur = json_object_get(cur, k);
	}
	free(copy);
	return json_string_value(cur);
}

static json_t *s_env_of(json_t *container, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(container, "env"), i,
			   e) if (strcmp(json_string_value(json_object_get(e, "name")), name) ==
				  0) return e;
	return NULL;
}

static void test_job_object(void **state)
{
	struct fixture *f = *state;
	struct jobspec_input in = s_input(f);
	struct err e = {0};
	json_t *job = jobspec_job(&in, &e);
	if (!job)
		fail_msg("jobspec_job: %s", e.msg);
	assert_string_equal(s_get(job, "apiVersion"), "batch/v1");
	assert_string_equal(s_get(job, "kind"), "Job");
	assert_string_equal(s_get(job, "metadata.name"), "aftomato-"
							 "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
	assert_string_equal(s_get(job, "metadata.namespace"), "ci");
	json_t *labels = json_object_get(json_object_get(job, "metadata"), "labels");
	assert_string_equal(json_string_value(json_object_get(labels, JOBSPEC_LABEL_MANAGED)),
			    "aftomato");
	assert_string_equal(json_string_value(json_object_get(labels, JOBSPEC_LABEL_BUILD_ID)),
			    s_id);
	assert_string_equal(json_string_value(json_object_get(labels, JOBSPEC_LABEL_PROJECT)),
			    "team.app");
	const char *lb = json_string_value(json_object_get(labels, JOBSPEC_LABEL_BRANCH));
	assert_true(jobspec_label_value_ok(lb));
	json_t *ann = json_object_get(json_object_get(job, "metadata"), "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, JOBSPEC_ANN_PROJECT)),
			    "team/app");
	assert_string_equal(json_string_value(json_object_get(ann, JOBSPEC_ANN_BRANCH)),
			    "feature/Ünicode x");
	json_t *spec = json_object_get(job, "spec");
	assert_int_equal(json_integer_value(json_object_get(spec, "backoffLimit")), 0);
	assert_int_equal(json_integer_value(json_object_get(spec, "activeDeadlineSeconds")), 600);
	/* The pod carries the labels too (the watch of pods selects on them). */
	json_t *tmpl = json_object_get(spec, "template");
	assert_true(
	    json_equal(json_object_get(json_object_get(tmpl, "metadata"), "labels"), labels));
	json_t *pod = json_object_get(tmpl, "spec");
	assert_string_equal(s_get(pod, "restartPolicy"), "Never");
	json_t *c = json_array_get(json_object_get(pod, "containers"), 0);
	assert_string_equal(s_get(c, "name"), "build");
	assert_string_equal(s_get(c, "image"), "registry.example/build:1");
	assert_string_equal(s_get(c, "command.0"), JOBSPEC_ENTRYPOINT);
	assert_string_equal(s_get(s_env_of(c, "BUILD_ID"), "value"), s_id);
	assert_string_equal(s_get(s_env_of(c, "PROJECT_KEY"), "value"), "team/app");
	assert_string_equal(s_get(s_env_of(c, "BRANCH_TO_BUILD"), "value"), "feature/Ünicode x");
	assert_string_equal(s_get(s_env_of(c, "ARTIFACTS_DIR"), "value"), "/artifacts");
	assert_string_equal(s_get(s_env_of(c, "GREETING"), "value"), "bonjour");
	/* $ is doubled so Kubernetes does not expand $(HOME). */
	assert_string_equal(s_get(s_env_of(c, "PRICE"), "value"), "$$(HOME) costs $$5");
	assert_string_equal(s_get(c, "envFrom.0.secretRef.name"), "aftomato-aws-credentials");
	assert_true(json_is_false(json_object_get(
	    json_object_get(json_array_get(json_object_get(c, "envFrom"), 0), "secretRef"),
	    "optional")));
	assert_string_equal(s_get(c, "resources.requests.cpu"), "500m");
	assert_string_equal(s_get(c, "resources.limits.memory"), "1Gi");
	/* No credentials anywhere in the object. */
	char *text = json_dumps(job, 0);
	assert_null(strstr(text, "AWS_SECRET_ACCESS_KEY"));
	assert_null(strstr(text, "AWS_ACCESS_KEY_ID"));
	free(text);
	/* The ConfigMap volume is the one named like the Job. */
	assert_string_equal(s_get(pod, "volumes.0.configMap.name"), s_get(job, "metadata.name"));
	json_decref(job);
}

static void test_job_without_timeout_or_secret(void **state)
{
	struct fixture *f = *state;
	f->p.timeout_seconds = 0;
	struct jobspec_input in = s_input(f);
	in.credentials_secret = NULL;
	json_t *job = jobspec_job(&in, NULL);
	assert_non_null(job);
	assert_null(json_object_get(json_object_get(job, "spec"), "activeDeadlineSeconds"));
	assert_null(s_get(job, "spec.template.spec.containers.0.envFrom.0.secretRef.name"));
	json_decref(job);
}

static void test_sidecars(void **state)
{
	struct fixture *f = *state;
	f->p.sidecars = json_pack("[{s:s, s:s, s:[s]}, {s:s, s:s}]", "name", "db", "image",
				  "postgres:16", "args", "-c", "name", "cache", "image", "redis");
	struct jobspec_input in = s_input(f);
	json_t *job = jobspec_job(&in, NULL);
	json_t *cs = json_object_get(
	    json_object_get(json_object_get(json_object_get(job, "spec"), "template"), "spec"),
	    "containers");
	assert_int_equal(json_array_size(cs), 3);
	assert_true(json_equal(json_array_get(cs, 1), json_array_get(f->p.sidecars, 0)));
	assert_true(json_equal(json_array_get(cs, 2), json_array_get(f->p.sidecars, 1)));
	json_decref(job);

	/* A sidecar may not take the build container's name. */
	json_decref(f->p.sidecars);
	f->p.sidecars = json_pack("[{s:s, s:s}]", "name", "build", "image", "x");
	char *paths[] = {"team/app/build-sidecar.yaml"};
	f->p.sidecar_paths = paths;
	f->p.sidecar_count = 1;
	struct err e = {0};
	assert_null(jobspec_job(&in, &e));
	assert_int_equal(e.code, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "build-sidecar.yaml"));
	f->p.sidecar_paths = NULL;
	f->p.sidecar_count = 0;
}

static void test_needs_image(void **state)
{
	struct fixture *f = *state;
	free(f->p.build_image);
	f->p.build_image = NULL;
	struct jobspec_input in = s_input(f);
	struct err e = {0};
	assert_null(jobspec_job(&in, &e));
	assert_int_equal(e.code, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "buildImage"));
}

static void test_configmap(void **state)
{
	struct fixture *f = *state;
	struct jobspec_input in = s_input(f);
	struct err e = {0};
	json_t *cm = jobspec_configmap(&in, "uid-123", &e);
	if (!cm)
		fail_msg("%s", e.msg);
	assert_string_equal(s_get(cm, "kind"), "ConfigMap");
	assert_string_equal(s_get(cm, "metadata.name"), "aftomato-"
							"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
	assert_string_equal(s_get(cm, "metadata.ownerReferences.0.kind"), "Job");
	assert_string_equal(s_get(cm, "metadata.ownerReferences.0.uid"), "uid-123");
	json_t *data = json_object_get(cm, "data");
	assert_string_equal(json_string_value(json_object_get(data, "build.sh")),
			    "#!/bin/sh\necho \"building $PROJECT_KEY\"\n");
	/* config.yaml is a valid aftomato configuration with the store settings. */
	const char *cfg = json_string_value(json_object_get(data, "config.yaml"));
	assert_non_null(cfg);
	struct ytree_doc *doc = NULL;
	assert_int_equal(ytree_load_buffer("config.yaml", cfg, strlen(cfg), &doc, &e), 0);
	json_t *j = ytree_to_json(doc->root, &e);
	assert_string_equal(s_get(j, "profile"), "build");
	assert_string_equal(s_get(j, "profiles.build.store"), "aws");
	assert_string_equal(s_get(j, "profiles.build.executor"), "local");
	assert_string_equal(s_get(j, "profiles.build.aws.region"), "us-west-1");
	assert_string_equal(s_get(j, "profiles.build.s3.logs_bucket"), "aftomato-console-logs");
	assert_string_equal(s_get(j, "profiles.build.dynamodb.index"),
			    "projectKey-buildTime-index");
	json_decref(j);
	ytree_doc_free(doc);
	json_decref(cm);

	/* Store local: the console's data directory. */
	f->prof.store = PROFILE_STORE_LOCAL;
	char *text = jobspec_pod_config(&f->prof);
	assert_non_null(strstr(text, "\"/var/lib/aftomato\""));
	free(text);
}

static void test_build_id_of(void **state)
{
	char id[BUILD_ID_LEN + 1];
	json_t *o = json_pack("{s:{s:{s:s}}}", "metadata", "labels", JOBSPEC_LABEL_BUILD_ID, s_id);
	assert_true(jobspec_build_id(o, id));
	assert_string_equal(id, s_id);
	json_decref(o);
	o = json_pack("{s:{s:{s:s}}}", "metadata", "labels", JOBSPEC_LABEL_BUILD_ID, "nope");
	assert_false(jobspec_build_id(o, id));
	json_decref(o);
	o = json_pack("{s:{}}", "metadata");
	assert_false(jobspec_build_id(o, id));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_job_name),
	    cmocka_unit_test(test_label_values),
	    cmocka_unit_test(test_label_values_long),
	    cmocka_unit_test(test_label_values_random),
	    cmocka_unit_test_setup_teardown(test_job_object, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_job_without_timeout_or_secret, s_setup,
					    s_teardown),
	    cmocka_unit_test_setup_teardown(test_sidecars, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_needs_image, s_setup, s_teardown),
	    cmocka_unit_test_setup_teardown(test_configmap, s_setup, s_teardown),
	    cmocka_unit_test(test_build_id_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
