/* Unit tests for src/config.c: defaults, file and profile precedence (command
 * line, environment, file), every key, path expansion, every error with its exact
 * file:line:column, and where the shipped data is found. Fixtures:
 * tests/unit/testdata/config. Each test starts from a clean environment with
 * HOME pointing into the build's scratch directory. */
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

#include "config.h"

#define FIX  AFTOMATO_SOURCE_DIR "/tests/unit/testdata/config"
#define HOME AFT_TEST_TMP "/config-home"
#define XDG  AFT_TEST_TMP "/config-xdg"

static void s_mkdirs(const char *path)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void s_write(const char *path, const char *text)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	s_mkdirs(dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int s_setup(void **state)
{
	const char *vars[] = {"XDG_CONFIG_HOME",  "XDG_DATA_HOME",	"AFTOMATO_CONFIG",
			      "AFTOMATO_PROFILE", "AFTOMATO_SHARE_DIR", NULL};
	for (const char **v = vars; *v; v++)
		unsetenv(*v);
	s_mkdirs(HOME);
	setenv("HOME", HOME, 1);
	unlink(HOME "/.config/aftomato/config.yaml");
	unlink(XDG "/aftomato/config.yaml");
	return 0;
}

static void s_load_ok(const char *config_arg, const char *profile_arg, struct profile *p)
{
	struct err e = {0};
	if (config_load(config_arg, profile_arg, p, &e) != 0)
		fail_msg("config_load failed: %s", e.msg);
}

static void s_load_fails(const char *config_arg, const char *profile_arg, enum err_code code,
			 const char *msg)
{
	struct profile p;
	struct err e = {0};
	assert_int_equal(config_load(config_arg, profile_arg, &p, &e), -1);
	if (e.code != code || strcmp(e.msg, msg) != 0)
		fail_msg("got [%s] %s\nexpected [%s] %s", err_code_name(e.code), e.msg,
			 err_code_name(code), msg);
	assert_null(p.name);
}

static void test_defaults_without_file(void **state)
{
	struct profile p;
	s_load_ok(NULL, NULL, &p);
	char *demo = config_demo_dir();
	assert_string_equal(p.name, "local");
	assert_null(p.config_path);
	assert_string_equal(p.theme, "default");
	assert_false(p.mouse);
	assert_int_equal(p.executor, PROFILE_EXEC_LOCAL);
	assert_int_equal(p.store, PROFILE_STORE_LOCAL);
	assert_string_equal(p.build_scripts, demo);
	assert_string_equal(p.data_dir, HOME "/.local/share/aftomato");
	assert_null(p.kubernetes.kubeconfig);
	assert_null(p.kubernetes.context);
	assert_string_equal(p.kubernetes.namespace_, "aftomato");
	assert_string_equal(p.kubernetes.credentials_secret, "aftomato-aws-credentials");
	assert_null(p.aws.profile);
	assert_null(p.aws.region);
	assert_null(p.aws.endpoint_url);
	assert_string_equal(p.s3.artifacts_bucket, "aftomato-build-artifacts");
	assert_string_equal(p.s3.logs_bucket, "aftomato-console-logs");
	assert_string_equal(p.dynamodb.table, "aftomato-build-metadata");
	assert_string_equal(p.dynamodb.index, "projectKey-buildTime-index");
	profile_cleanup(&p);
	free(demo);

	/* XDG_DATA_HOME decides the data directory, but only when absolute */
	setenv("XDG_DATA_HOME", "relative/data", 1);
	s_load_ok(NULL, NULL, &p);
	assert_string_equal(p.data_dir, HOME "/.local/share/aftomato");
	profile_cleanup(&p);
	setenv("XDG_DATA_HOME", "/srv/data/", 1);
	s_load_ok(NULL, NULL, &p);
	assert_string_equal(p.data_dir, "/srv/data/aftomato");
	profile_cleanup(&p);

	/* an empty file is the embedded default too, but it is the file used */
	s_load_ok(FIX "/empty.yaml", NULL, &p);
	assert_string_equal(p.config_path, FIX "/empty.yaml");
	assert_string_equal(p.name, "local");
	profile_cleanup(&p);
}

static void test_every_key(void **state)
{
	struct profile p;
	s_load_ok(FIX "/full.yaml", NULL, &p); /* the file says profile: prod */
	assert_string_equal(p.name, "prod");
	assert_string_equal(p.config_path, FIX "/full.yaml");
	assert_string_equal(p.theme, "dark");
	assert_true(p.mouse);
	assert_int_equal(p.executor, PROFILE_EXEC_KUBERNETES);
	assert_int_equal(p.store, PROFILE_STORE_AWS);
	assert_string_equal(p.build_scripts, "/srv/aftomato-build-scripts");
	assert_string_equal(p.data_dir, FIX "/state");
	assert_string_equal(p.kubernetes.kubeconfig, HOME "/.kube/config");
	assert_string_equal(p.kubernetes.context, "prod");
	assert_string_equal(p.kubernetes.namespace_, "ci");
	assert_string_equal(p.kubernetes.credentials_secret, "aws-creds.v1");
	assert_string_equal(p.aws.profile, "aftomato");
	assert_string_equal(p.aws.region, "us-west-1");
	assert_string_equal(p.aws.endpoint_url, "http://127.0.0.1:4566");
	assert_string_equal(p.aws.s3_endpoint_url, "https://s3.example.com");
	assert_string_equal(p.aws.dynamodb_endpoint_url, "http://localhost:8000");
	assert_string_equal(p.s3.artifacts_bucket, "my-artifacts");
	assert_string_equal(p.s3.logs_bucket, "my.logs");
	assert_string_equal(p.dynamodb.table, "Builds_2");
	assert_string_equal(p.dynamodb.index, "byProject");
	profile_cleanup(&p);

	/* local from the same file: relative to the file's directory, ~ expanded */
	s_load_ok(FIX "/full.yaml", "local", &p);
	assert_string_equal(p.name, "local");
	assert_string_equal(p.build_scripts,
			    AFTOMATO_SOURCE_DIR "/tests/unit/testdata/projects/repo1");
	assert_string_equal(p.data_dir, HOME "/aft-data");
	assert_int_equal(p.executor, PROFILE_EXEC_LOCAL);
	assert_string_equal(p.theme, "dark");
	profile_cleanup(&p);

	/* an empty profile is all defaults */
	s_load_ok(FIX "/full.yaml", "minimal", &p);
	assert_string_equal(p.name, "minimal");
	assert_string_equal(p.kubernetes.namespace_, "aftomato");
	assert_int_equal(p.store, PROFILE_STORE_LOCAL);
	profile_cleanup(&p);
}

static void test_local_always_exists(void **state)
{
	struct profile p;
	s_load_ok(FIX "/only-prod.yaml", NULL, &p);
	assert_string_equal(p.name, "local");
	assert_int_equal(p.executor, PROFILE_EXEC_LOCAL);
	/* a theme path is relative to the file, `off` is false */
	assert_string_equal(p.theme, FIX "/themes/mine.yaml");
	assert_false(p.mouse);
	profile_cleanup(&p);
	s_load_ok(FIX "/only-prod.yaml", "prod", &p);
	assert_int_equal(p.executor, PROFILE_EXEC_KUBERNETES);
	assert_null(p.kubernetes.context); /* ~ keeps the default */
	profile_cleanup(&p);
}

static void test_file_precedence(void **state)
{
	struct profile p;
	struct err e = {0};
	s_write(HOME "/.config/aftomato/config.yaml", "profile: home\nprofiles: {home: {}}\n");
	s_load_ok(NULL, NULL, &p);
	assert_string_equal(p.name, "home");
	assert_string_equal(p.config_path, HOME "/.config/aftomato/config.yaml");
	profile_cleanup(&p);

	setenv("XDG_CONFIG_HOME", XDG, 1);
	char *path = config_file_path(NULL, &e);
	assert_string_equal(path, XDG "/aftomato/config.yaml");
	free(path);
	s_load_ok(NULL, NULL, &p); /* XDG wins over ~/.config, and its file is missing */
	assert_null(p.config_path);
	assert_string_equal(p.name, "local");
	profile_cleanup(&p);
	s_write(XDG "/aftomato/config.yaml", "profile: xdg\nprofiles: {xdg: {}}\n");
	s_load_ok(NULL, NULL, &p);
	assert_string_equal(p.name, "xdg");
	profile_cleanup(&p);

	setenv("AFTOMATO_CONFIG", FIX "/full.yaml", 1);
	s_load_ok(NULL, NULL, &p);
	assert_string_equal(p.config_path, FIX "/full.yaml");
	profile_cleanup(&p);

	s_load_ok(FIX "/only-prod.yaml", NULL, &p); /* --config wins over the environment */
	assert_string_equal(p.config_path, FIX "/only-prod.yaml");
	profile_cleanup(&p);

	/* a named file must exist; so must one named by AFTOMATO_CONFIG */
	s_load_fails(FIX "/missing.yaml", NULL, ERR_NOTFOUND,
		     "configuration file: " FIX "/missing.yaml: No such file or directory");
	setenv("AFTOMATO_CONFIG", FIX "/gone.yaml", 1);
	s_load_fails(NULL, NULL, ERR_NOTFOUND,
		     "configuration file: " FIX "/gone.yaml: No such file or directory");
	s_load_fails(FIX, NULL, ERR_IO, "configuration file: " FIX ": Is a directory");

	/* a relative --config is taken from the current directory */
	char cwd[1024];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(FIX), 0);
	s_load_ok("./full.yaml", NULL, &p);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(p.config_path, FIX "/full.yaml");
	profile_cleanup(&p);
}

static void test_profile_precedence(void **state)
{
	struct profile p;
	s_load_ok(FIX "/full.yaml", NULL, &p);
	assert_string_equal(p.name, "prod"); /* from the file */
	profile_cleanup(&p);
	setenv("AFTOMATO_PROFILE", "minimal", 1);
	s_load_ok(FIX "/full.yaml", NULL, &p);
	assert_string_equal(p.name, "minimal"); /* environment over file */
	profile_cleanup(&p);
	s_load_ok(FIX "/full.yaml", "local", &p);
	assert_string_equal(p.name, "local"); /* command line over environment */
	profile_cleanup(&p);
	setenv("AFTOMATO_PROFILE", "", 1);
	s_load_ok(FIX "/full.yaml", NULL, &p);
	assert_string_equal(p.name, "prod"); /* empty means unset */
	profile_cleanup(&p);

	s_load_fails(FIX "/full.yaml", "nope", ERR_CONFIG,
		     "unknown profile 'nope' from --profile (defined: local, prod, minimal)");
	setenv("AFTOMATO_PROFILE", "qa", 1);
	s_load_fails(FIX "/full.yaml", NULL, ERR_CONFIG,
		     "unknown profile 'qa' from AFTOMATO_PROFILE (defined: local, prod, minimal)");
	s_load_fails(NULL, NULL, ERR_CONFIG,
		     "unknown profile 'qa' from AFTOMATO_PROFILE (defined: local)");
	unsetenv("AFTOMATO_PROFILE");
	s_load_fails(FIX "/err-profile-from-file.yaml", NULL, ERR_CONFIG,
		     FIX "/err-profile-from-file.yaml:1:10: unknown profile 'staging' (defined: "
			 "local, prod)");
}

struct s_case {
	const char *file;
	const char *msg; /* after FIX "/" file ":" */
};

static const struct s_case s_cases[] = {
    {"err-unknown-top.yaml", "2:1: unknown key 'themes' in the configuration (expected one of: "
			     "profile, theme, mouse, profiles)"},
    {"err-unknown-profile-key.yaml",
     "4:5: unknown key 'exec' in profiles.local (expected one of: executor, store, "
     "build_scripts, data_dir, kubernetes, aws, s3, dynamodb)"},
    {"err-unknown-section-key.yaml",
     "5:7: unknown key 'name_space' in profiles.prod.kubernetes (expected one of: kubeconfig, "
     "context, namespace, credentials_secret)"},
    {"err-other-profile.yaml",
     "4:33: unknown key 'contxt' in profiles.prod.kubernetes (expected one of: kubeconfig, "
     "context, namespace, credentials_secret)"},
    {"err-executor.yaml", "3:15: profiles.local.executor: 'docker' is not one of: local, "
			  "kubernetes"},
    {"err-store.yaml", "3:12: profiles.local.store: 's3' is not one of: local, aws"},
    {"err-mouse.yaml", "1:8: mouse: expected a boolean (true/false, yes/no, on/off), got a string"},
    {"err-profiles-list.yaml", "1:11: profiles: expected a mapping, got a sequence"},
    {"err-profile-list.yaml", "2:10: profiles.local: expected a mapping, got a sequence"},
    {"err-section-type.yaml", "3:10: profiles.local.aws: expected a mapping, got a string"},
    {"err-profile-type.yaml", "1:10: profile: expected a string, got a sequence"},
    {"err-theme-type.yaml", "1:8: theme: expected a string, got a mapping"},
    {"err-path-type.yaml", "4:20: profiles.local.build_scripts: expected a string, got a "
			   "mapping"},
    {"err-bucket.yaml", "3:23: profiles.local.s3.logs_bucket: 'My_Logs' must be an S3 bucket "
			"name (3 to 63 lower-case letters, digits, '-' and '.')"},
    {"err-namespace.yaml", "4:18: profiles.local.kubernetes.namespace: '-ci' must be a DNS "
			   "label (lower-case letters, digits and '-', at most 63)"},
    {"err-url.yaml", "4:21: profiles.local.aws.endpoint_url: 'localhost:4566' must be an "
		     "http:// or https:// URL"},
    {"err-region.yaml", "3:19: profiles.local.aws.region: 'US West' must be an AWS region "
			"name such as us-west-1"},
    {"err-table.yaml", "3:23: profiles.local.dynamodb.table: 'ab' must be a DynamoDB name (3 "
		       "to 255 letters, digits, '_', '-' and '.')"},
    {"err-empty.yaml", "3:20: profiles.local.build_scripts: must not be empty"},
    {"err-tilde-user.yaml",
     "3:15: profiles.local.data_dir: ~bob/data: ~user paths are not supported"},
    {"err-syntax.yaml",
     "4:4: did not find expected key (while parsing a block mapping at line 2 column 3)"},
    {"err-dup.yaml", "3:3: duplicate key 'local' (first at line 2)"},
    {"err-root-list.yaml", "1:1: the configuration: expected a mapping, got a sequence"},
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(s_cases) / sizeof(s_cases[0]); i++) {
		char path[512], msg[1024];
		snprintf(path, sizeof(path), "%s/%s", FIX, s_cases[i].file);
		snprintf(msg, sizeof(msg), "%s:%s", path, s_cases[i].msg);
		s_load_fails(path, NULL, ERR_CONFIG, msg);
	}
}

static void test_expand_path(void **state)
{
	struct err e = {0};
	struct {
		const char *in, *base, *out;
	} cases[] = {
	    {"~", NULL, HOME},
	    {"~/", NULL, HOME},
	    {"~/a/b/", NULL, HOME "/a/b"},
	    {"/x//y/./z/../w", NULL, "/x/y/w"},
	    {"/..", NULL, "/"},
	    {"/", NULL, "/"},
	    {"rel/p", "/base/dir", "/base/dir/rel/p"},
	    {"../up", "/base/dir", "/base/up"},
	    {"./", "/base", "/base"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = config_expand_path(cases[i].in, cases[i].base, &e);
		if (!got || strcmp(got, cases[i].out) != 0)
			fail_msg("%s: got %s, expected %s", cases[i].in, got ? got : e.msg,
				 cases[i].out);
		free(got);
	}
	char cwd[1024];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	char *got = config_expand_path("x", NULL, &e);
	char want[1100];
	snprintf(want, sizeof(want), "%s/x", strcmp(cwd, "/") ? cwd : "");
	assert_string_equal(got, want);
	free(got);
	assert_null(config_expand_path("", NULL, &e));
	assert_string_equal(e.msg, "empty path");
	assert_null(config_expand_path("~root/x", NULL, &e));
	assert_string_equal(e.msg, "~root/x: ~user paths are not supported");
}

/* <dir of the test executable>/../share/aftomato */
static void s_exe_share(char *buf, size_t len)
{
	char exe[900];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(buf, len, "%s/share/aftomato", exe);
}

static void test_share_dir(void **state)
{
	setenv("AFTOMATO_SHARE_DIR", "/opt/aft/share", 1);
	assert_string_equal(config_share_dir(), "/opt/aft/share");
	char *demo = config_demo_dir(), *themes = config_themes_dir();
	assert_string_equal(demo, "/opt/aft/share/demo");
	assert_string_equal(themes, "/opt/aft/share/themes");
	free(demo);
	free(themes);
	setenv("AFTOMATO_SHARE_DIR", "~/share/", 1); /* made absolute */
	assert_string_equal(config_share_dir(), HOME "/share");
	unsetenv("AFTOMATO_SHARE_DIR");

	char share[1024];
	s_exe_share(share, sizeof(share));
	s_mkdirs(share);
	char *real = realpath(share, NULL);
	assert_string_equal(config_share_dir(), real);
	demo = config_demo_dir();
	char want[1100];
	snprintf(want, sizeof(want), "%s/demo", real);
	assert_string_equal(demo, want);
	free(demo);
	free(real);
	assert_int_equal(rmdir(share), 0);

	struct stat st;
	if (stat(AFTOMATO_INSTALL_DATADIR, &st) == 0) {
		assert_string_equal(config_share_dir(), AFTOMATO_INSTALL_DATADIR);
	} else {
		assert_string_equal(config_share_dir(), AFTOMATO_SOURCE_DIR);
		demo = config_demo_dir();
		themes = config_themes_dir();
		assert_string_equal(demo, AFTOMATO_SOURCE_DIR "/packaging/demo");
		assert_string_equal(themes, AFTOMATO_SOURCE_DIR "/themes");
		free(demo);
		free(themes);
	}
	char *user = config_user_themes_dir();
	assert_string_equal(user, HOME "/.config/aftomato/themes");
	free(user);
}

static void test_find_theme(void **state)
{
	struct err e = {0};
	setenv("AFTOMATO_SHARE_DIR", AFT_TEST_TMP "/config-share", 1);
	s_write(AFT_TEST_TMP "/config-share/themes/dark.yaml", "name: shipped\n");
	s_write(AFT_TEST_TMP "/config-share/themes/light.yaml", "name: shipped\n");
	s_write(HOME "/.config/aftomato/themes/dark.yaml", "name: mine\n");
	char *t = config_find_theme("dark", &e);
	assert_string_equal(t, HOME "/.config/aftomato/themes/dark.yaml");
	free(t);
	t = config_find_theme("light", &e);
	assert_string_equal(t, AFT_TEST_TMP "/config-share/themes/light.yaml");
	free(t);
	assert_null(config_find_theme("neon", &e));
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_string_equal(e.msg,
			    "theme 'neon' not found (looked for neon.yaml in " HOME
			    "/.config/aftomato/themes and " AFT_TEST_TMP "/config-share/themes)");
	t = config_find_theme(AFT_TEST_TMP "/config-share/themes/light.yaml", &e);
	assert_string_equal(t, AFT_TEST_TMP "/config-share/themes/light.yaml");
	free(t);
	assert_null(config_find_theme(AFT_TEST_TMP "/none.yaml", &e));
	assert_int_equal(e.code, ERR_NOTFOUND);
	unlink(HOME "/.config/aftomato/themes/dark.yaml");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_defaults_without_file, s_setup),
	    cmocka_unit_test_setup(test_every_key, s_setup),
	    cmocka_unit_test_setup(test_local_always_exists, s_setup),
	    cmocka_unit_test_setup(test_file_precedence, s_setup),
	    cmocka_unit_test_setup(test_profile_precedence, s_setup),
	    cmocka_unit_test_setup(test_errors, s_setup),
	    cmocka_unit_test_setup(test_expand_path, s_setup),
	    cmocka_unit_test_setup(test_share_dir, s_setup),
	    cmocka_unit_test_setup(test_find_theme, s_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
