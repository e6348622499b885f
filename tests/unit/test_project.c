/* Unit tests for backend/project.c: scanning a build-scripts repository, JSON and
 * YAML descriptors, sidecars, broken projects and every descriptor error with its
 * exact position. Fixtures: tests/unit/testdata/projects/{repo1,errors}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "project.h"

#define FIXTURES AFTOMATO_SOURCE_DIR "/tests/unit/testdata/projects"
#define REPO1	 FIXTURES "/repo1"
#define ERRORS	 FIXTURES "/errors"

static char *s_real(const char *path)
{
	char *r = realpath(path, NULL);
	assert_non_null(r);
	return r;
}

static char *s_fmt(const char *fmt, const char *a, const char *b)
{
	char *out = NULL;
	assert_true(asprintf(&out, fmt, a, b) > 0);
	return out;
}

static const struct project *s_find(const struct project_list *l, const char *key)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return &l->items[i];
	fail_msg("project %s not in the scan", key);
	return NULL;
}

static void s_env_is(const struct project *p, size_t i, const char *name, const char *value)
{
	assert_true(i < p->env_count);
	assert_string_equal(p->env[i].name, name);
	assert_string_equal(p->env[i].value, value);
}

static void test_scan_order_and_skips(void **state)
{
	struct project_list l;
	struct err e = {0};
	assert_int_equal(project_scan(REPO1, &l, &e), 0);
	const char *keys[] = {"alpha-b/tool", "alpha/api",   "alpha/web",
			      "beta/badjson", "beta/noexec", "gamma/bare"};
	assert_int_equal(l.count, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(l.items[i].key, keys[i]);

	assert_int_equal(l.skipped_count, 3);
	assert_string_equal(l.skipped[0].path, "alpha/bad name");
	assert_string_equal(
	    l.skipped[0].reason,
	    "name contains ' ' (allowed: A-Z a-z 0-9 . _ -, not starting with '.')");
	assert_string_equal(l.skipped[1].path, "alpha/docs");
	assert_string_equal(l.skipped[1].reason, "no build.sh");
	assert_string_equal(l.skipped[2].path, "bad@team");
	assert_string_equal(
	    l.skipped[2].reason,
	    "name contains '@' (allowed: A-Z a-z 0-9 . _ -, not starting with '.')");

	/* broken projects are listed with their error */
	assert_string_equal(s_find(&l, "beta/noexec")->error,
			    "beta/noexec/build.sh is not executable (chmod +x)");
	assert_string_equal(s_find(&l, "beta/badjson")->error,
			    "beta/badjson/project.json:4:1: string or '}' expected near '}'");
	assert_null(s_find(&l, "beta/badjson")->build_image);

	const struct project *bare = s_find(&l, "gamma/bare");
	assert_null(bare->error);
	assert_null(bare->descriptor_path);
	assert_null(bare->build_image);
	assert_int_equal(bare->timeout_seconds, 0);
	assert_int_equal(bare->env_count, 0);
	assert_int_equal(bare->sidecar_count, 0);
	assert_null(bare->sidecars);
	project_list_cleanup(&l);
	assert_null(l.items);
}

static void test_json_descriptor_and_sidecars(void **state)
{
	struct project_list l;
	struct err e = {0};
	assert_int_equal(project_scan(REPO1, &l, &e), 0);
	const struct project *p = s_find(&l, "alpha/web");
	char *repo = s_real(REPO1);
	char *dir = s_fmt("%s/%s", repo, "alpha/web");
	char *script = s_fmt("%s/%s", dir, "build.sh");
	char *desc = s_fmt("%s/%s", dir, "project.json");
	assert_null(p->error);
	assert_string_equal(p->dir, dir);
	assert_string_equal(p->script_path, script);
	assert_string_equal(p->descriptor_path, desc);
	assert_string_equal(p->build_image, "registry.example.com/web-build:3");
	assert_string_equal(p->repo_manager, "github");
	assert_string_equal(p->repo_url, "https://github.com/example/web.git");
	assert_string_equal(p->repo_description, "The public web site");
	assert_string_equal(p->managed_ref_regex, "^(main|release/.*)$");
	assert_int_equal(p->timeout_seconds, 1800);

	char *res = json_dumps(p->resources, JSON_COMPACT);
	assert_string_equal(res, "{\"requests\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"},"
				 "\"limits\":{\"cpu\":2,\"memory\":\"4Gi\"}}");
	free(res);

	assert_int_equal(p->env_count, 4);
	s_env_is(p, 0, "NODE_ENV", "production");
	s_env_is(p, 1, "WORKERS", "4");
	s_env_is(p, 2, "RATIO", "0.25");
	s_env_is(p, 3, "DEBUG", "false");

	assert_int_equal(p->sidecar_count, 2);
	char *sc0 = s_fmt("%s/%s", dir, "cache-sidecar.json");
	char *sc1 = s_fmt("%s/%s", dir, "db-sidecar.yaml");
	assert_string_equal(p->sidecar_paths[0], sc0);
	assert_string_equal(p->sidecar_paths[1], sc1);
	assert_int_equal(json_array_size(p->sidecars), 2);
	char *c0 = json_dumps(json_array_get(p->sidecars, 0), JSON_COMPACT);
	char *c1 = json_dumps(json_array_get(p->sidecars, 1), JSON_COMPACT);
	assert_string_equal(
	    c0, "{\"name\":\"cache\",\"image\":\"redis:7\",\"args\":[\"--save\",\"\"]}");
	assert_string_equal(c1, "{\"name\":\"db\",\"image\":\"postgres:16\",\"env\":[{\"name\":"
				"\"POSTGRES_PASSWORD\",\"value\":\"secret\"}],\"ports\":[{"
				"\"containerPort\":5432}]}");
	free(c0);
	free(c1);
	free(sc0);
	free(sc1);
	free(repo);
	free(dir);
	free(script);
	free(desc);
	project_list_cleanup(&l);
}

static void test_yaml_descriptor(void **state)
{
	struct project p;
	struct err e = {0};
	assert_int_equal(project_load(REPO1, "alpha/api", &p, &e), 0);
	assert_null(p.error);
	assert_string_equal(p.key, "alpha/api");
	assert_string_equal(p.build_image, "golang:1.22");
	assert_string_equal(p.repo_manager, "gitlab");
	assert_string_equal(p.repo_url, "git@gitlab.example.com:alpha/api.git");
	assert_null(p.repo_description);
	assert_string_equal(p.managed_ref_regex, "main");
	assert_int_equal(p.timeout_seconds, 600);
	char *res = json_dumps(p.resources, JSON_COMPACT);
	assert_string_equal(res, "{\"requests\":{\"cpu\":\"1\",\"memory\":\"2Gi\"},"
				 "\"limits\":{\"cpu\":\"1\",\"memory\":\"2Gi\"}}");
	free(res);
	assert_int_equal(p.env_count, 3);
	s_env_is(&p, 0, "GOFLAGS", "-mod=vendor");
	s_env_is(&p, 1, "GO_VERSION", "1.10"); /* as written, not the float 1.1 */
	s_env_is(&p, 2, "CGO_ENABLED", "0");
	assert_int_equal(p.sidecar_count, 0);
	project_cleanup(&p);
	assert_null(p.key);
}

struct s_case {
	const char *key;
	enum err_code code;
	const char *msg;
};

static const struct s_case s_cases[] = {
    {"t/both", ERR_CONFIG, "t/both has both project.json and project.yaml (keep one)"},
    {"t/dirscript", ERR_CONFIG, "t/dirscript/build.sh is not a regular file"},
    {"t/noexec", ERR_CONFIG, "t/noexec/build.sh is not executable (chmod +x)"},
    {"t/noscript", ERR_NOTFOUND, "t/noscript/build.sh is missing"},
    {"t/dup_key", ERR_CONFIG,
     "t/dup_key/project.yaml:3:1: duplicate key 'buildImage' (first at line 1)"},
    {"t/yaml_syntax", ERR_CONFIG,
     "t/yaml_syntax/project.yaml:3:1: did not find expected ',' or ']' (while parsing a flow "
     "sequence at line 2 column 6)"},
    {"t/json_syntax", ERR_CONFIG,
     "t/json_syntax/project.json:1:28: '}' expected near '\"repoUrl\"'"},
    {"t/json_type", ERR_CONFIG,
     "t/json_type/project.json: timeoutSeconds: expected an integer, got a string"},
    {"t/yaml_type", ERR_CONFIG,
     "t/yaml_type/project.yaml:2:17: timeoutSeconds: expected an integer, got a string"},
    {"t/negative", ERR_CONFIG,
     "t/negative/project.yaml:1:17: timeoutSeconds: must be between 0 (no limit) and "
     "2147483647"},
    {"t/string_field", ERR_CONFIG,
     "t/string_field/project.yaml:1:13: buildImage: expected a string, got a sequence"},
    {"t/res_value", ERR_CONFIG,
     "t/res_value/project.yaml:3:10: resources.limits.cpu: expected a string or a number, got "
     "a sequence"},
    {"t/res_key", ERR_CONFIG,
     "t/res_key/project.json: resources: unknown key 'claims' (expected requests, limits)"},
    {"t/res_json", ERR_CONFIG,
     "t/res_json/project.json: resources.limits.memory: expected a string or a number, got a "
     "boolean"},
    {"t/env_name", ERR_CONFIG,
     "t/env_name/project.yaml:3:3: env.1BAD: '1BAD' is not a valid environment variable name"},
    {"t/env_reserved", ERR_CONFIG,
     "t/env_reserved/project.json: env[1].name: BUILD_ID is set by aftomato and cannot be "
     "overridden"},
    {"t/env_dup", ERR_CONFIG, "t/env_dup/project.yaml:3:12: env[1].name: A is set twice"},
    {"t/env_novalue", ERR_CONFIG, "t/env_novalue/project.yaml:2:5: env[0]: missing 'value'"},
    {"t/env_map_value", ERR_CONFIG,
     "t/env_map_value/project.yaml:2:6: env.A: expected a string, number or boolean, got a "
     "mapping"},
    {"t/env_type", ERR_CONFIG,
     "t/env_type/project.yaml:1:6: env: expected a mapping or a list of {name, value}, got an "
     "integer"},
    {"t/regex", ERR_CONFIG,
     "t/regex/project.yaml:1:18: managedRefRegex: invalid regular expression at offset 5: "
     "missing closing parenthesis"},
    {"t/root_list", ERR_CONFIG, "t/root_list/project.yaml:1:1: expected a mapping, got a sequence"},
    {"t/json_root", ERR_CONFIG, "t/json_root/project.json: expected an object, got an array"},
    {"t/sc_noimage", ERR_CONFIG, "t/sc_noimage/db-sidecar.yaml:1:1: missing 'image' (a string)"},
    {"t/sc_badname", ERR_CONFIG,
     "t/sc_badname/db-sidecar.json: name: 'Db_1' is not a valid container name (lower-case "
     "letters, digits and '-', at most 63)"},
    {"t/sc_build", ERR_CONFIG,
     "t/sc_build/x-sidecar.yaml:1:7: name: 'build' is the build container's name"},
    {"t/sc_dup", ERR_CONFIG,
     "t/sc_dup/b-sidecar.json: container name 'db' is also used by a-sidecar.yaml"},
    {"t/sc_list", ERR_CONFIG,
     "t/sc_list/db-sidecar.yaml:1:1: expected a container (a mapping with name and image)"},
    {"t/sc_syntax", ERR_CONFIG, "t/sc_syntax/db-sidecar.json:2:11: unexpected token near '}'"},
    {"t/fo", ERR_NOTFOUND, "unknown project 't/fo' (did you mean t/foo?)"},
    {"foo", ERR_NOTFOUND, "unknown project 'foo' (did you mean other/foo, t/foo?)"},
    {"t/zzzzzz", ERR_NOTFOUND, "unknown project 't/zzzzzz'"},
    {"a/b/c", ERR_CONFIG, "invalid project key 'a/b/c' (expected team/project)"},
    {"t/.x", ERR_CONFIG,
     "invalid project key 't/.x': name starts with '.' (allowed: A-Z a-z 0-9 . _ -, not "
     "starting with '.')"},
};

static void test_load_errors(void **state)
{
	for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++) {
		struct project p;
		struct err e = {0};
		int rc = project_load(ERRORS, s_cases[i].key, &p, &e);
		if (rc != -1 || e.code != s_cases[i].code || strcmp(e.msg, s_cases[i].msg) != 0)
			fail_msg("%s: rc %d, code %s, message:\n  %s\nexpected:\n  %s",
				 s_cases[i].key, rc, err_code_name(e.code), e.msg, s_cases[i].msg);
		assert_null(p.key);
	}
}

static void test_load_tolerant_descriptors(void **state)
{
	const char *keys[] = {"t/nulls", "t/empty_yaml", "t/foo"};
	for (size_t i = 0; i < 3; i++) {
		struct project p;
		struct err e = {0};
		if (project_load(ERRORS, keys[i], &p, &e) != 0)
			fail_msg("%s: %s", keys[i], e.msg);
		assert_null(p.build_image);
		assert_int_equal(p.timeout_seconds, 0);
		assert_null(p.resources);
		assert_int_equal(p.env_count, 0);
		project_cleanup(&p);
	}
}

static void test_names(void **state)
{
	char why[200];
	assert_int_equal(project_name_check("web-1.2_x", why, sizeof(why)), 0);
	assert_int_equal(project_name_check("", why, sizeof(why)), -1);
	assert_string_equal(why, "empty name (allowed: A-Z a-z 0-9 . _ -, not starting with '.')");
	assert_int_equal(project_name_check(".git", NULL, 0), -1);
	assert_int_equal(project_name_check("a\tb", why, sizeof(why)), -1);
	assert_string_equal(
	    why, "name contains byte 0x09 (allowed: A-Z a-z 0-9 . _ -, not starting with "
		 "'.')");
	char long_name[150];
	memset(long_name, 'a', 149);
	long_name[149] = '\0';
	assert_int_equal(project_name_check(long_name, NULL, 0), -1);

	struct err e = {0};
	assert_int_equal(project_key_check("team/proj", &e), 0);
	assert_int_equal(project_key_check("team", &e), -1);
	assert_string_equal(e.msg, "invalid project key 'team' (expected team/project)");
	assert_int_equal(project_key_check("/proj", &e), -1);
	assert_int_equal(project_key_check("team/", &e), -1);
	assert_int_equal(project_key_check("../etc", &e), -1);
	assert_string_equal(e.msg, "invalid project key '../etc': name starts with '.' (allowed: "
				   "A-Z a-z 0-9 . _ -, not starting with '.')");
}

static void test_sidecar_direct(void **state)
{
	struct err e = {0};
	json_t *c = project_load_sidecar(REPO1 "/alpha/web/db-sidecar.yaml", NULL, &e);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "image")), "postgres:16");
	json_decref(c);
	assert_null(project_load_sidecar(ERRORS "/t/sc_noimage/db-sidecar.yaml", NULL, &e));
	assert_string_equal(e.msg, ERRORS "/t/sc_noimage/db-sidecar.yaml:1:1: missing 'image' (a "
					  "string)");
	assert_null(project_load_sidecar(ERRORS "/t/none-sidecar.json", "x.json", &e));
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_string_equal(e.msg, "x.json: No such file or directory");
}

static void test_repository_errors(void **state)
{
	struct project_list l;
	struct err e = {0};
	assert_int_equal(project_scan(FIXTURES "/nope", &l, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_string_equal(e.msg, "build-scripts repository " FIXTURES
				   "/nope: No such file or directory");
	assert_int_equal(project_scan(REPO1 "/README.md", &l, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.msg,
			    "build-scripts repository " REPO1 "/README.md is not a directory");
	struct project p;
	assert_int_equal(project_load(FIXTURES "/nope", "a/b", &p, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
}

/* The executable bit is what decides: the same project flips between broken and
 * usable with chmod. */
static void test_chmod(void **state)
{
	char root[] = AFT_TEST_TMP "/project-XXXXXX";
	assert_non_null(mkdtemp(root));
	char *team = s_fmt("%s/%s", root, "ops");
	char *dir = s_fmt("%s/%s", team, "deploy");
	char *script = s_fmt("%s/%s", dir, "build.sh");
	assert_int_equal(mkdir(team, 0755), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\ntrue\n", f);
	fclose(f);
	assert_int_equal(chmod(script, 0644), 0);

	struct project p;
	struct err e = {0};
	assert_int_equal(project_load(root, "ops/deploy", &p, &e), -1);
	assert_string_equal(e.msg, "ops/deploy/build.sh is not executable (chmod +x)");
	assert_int_equal(chmod(script, 0700), 0);
	assert_int_equal(project_load(root, "ops/deploy", &p, &e), 0);
	assert_null(p.error);
	project_cleanup(&p);

	unlink(script);
	rmdir(dir);
	rmdir(team);
	rmdir(root);
	free(script);
	free(dir);
	free(team);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_order_and_skips),
	    cmocka_unit_test(test_json_descriptor_and_sidecars),
	    cmocka_unit_test(test_yaml_descriptor),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_load_tolerant_descriptors),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_sidecar_direct),
	    cmocka_unit_test(test_repository_errors),
	    cmocka_unit_test(test_chmod),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
