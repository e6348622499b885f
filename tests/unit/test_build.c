/* Unit tests for backend/build: the build record of DESIGN.md §2, its JSON
 * with the original system's attribute names, status derivation for records
 * without `status`, IDs and store keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "xmem.h"

static json_t *s_parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
	if (!j)
		fail_msg("bad JSON in the test: %s", je.text);
	return j;
}

/* Parses text as a record; fails the test when that fails. */
static struct build *s_from(const char *text)
{
	json_t *j = s_parse(text);
	struct build *b = NULL;
	struct err e = {0};
	if (build_from_json(j, &b, &e) < 0)
		fail_msg("build_from_json: %s", e.msg);
	json_decref(j);
	return b;
}

/* Expects parsing to fail with ERR_PROTO and a message containing needle. */
static void s_from_fails(const char *text, const char *needle)
{
	json_t *j = s_parse(text);
	struct build *b = (struct build *)1;
	struct err e = {0};
	assert_int_equal(build_from_json(j, &b, &e), -1);
	assert_null(b);
	assert_int_equal(e.code, ERR_PROTO);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' does not mention '%s'", e.msg, needle);
	json_decref(j);
}

static struct build *s_full(void)
{
	struct build *b = build_new();
	snprintf(b->id, sizeof(b->id), "%s", "0f8fad5b-d9cb-469f-a165-70867728950e");
	b->project_key = xstrdup("team/proj");
	b->build_time = 1700000000;
	b->branch = xstrdup("feature/x");
	b->status = BUILD_FAILED;
	b->has_result = true;
	b->build_result = 2;
	b->has_elapsed = true;
	b->elapsed_s = 93;
	b->log_key = build_log_key(b->project_key, b->id);
	b->artifacts_prefix = build_artifacts_prefix(b->project_key, b->id);
	b->triggered_by = xstrdup("alice");
	b->retrigger_of = xstrdup("1b4e28ba-2fa1-41d2-883f-0016d3cca427");
	b->executor = xstrdup("kubernetes");
	b->job_name = xstrdup("aftomato-0f8fad5b");
	b->status_message = xstrdup("build.sh exited with 2");
	return b;
}

static void s_assert_same(const struct build *a, const struct build *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->project_key, b->project_key);
	assert_int_equal(a->build_time, b->build_time);
	assert_string_equal(a->branch, b->branch);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->has_result, b->has_result);
	if (a->has_result)
		assert_int_equal(a->build_result, b->build_result);
	assert_int_equal(a->has_elapsed, b->has_elapsed);
	if (a->has_elapsed)
		assert_int_equal(a->elapsed_s, b->elapsed_s);
#define SAME_STR(f)                                                                                \
	do {                                                                                       \
		if (a->f || b->f) {                                                                \
			assert_non_null(a->f);                                                     \
			assert_non_null(b->f);                                                     \
			assert_string_equal(a->f, b->f);                                           \
		}                                                                                  \
	} while (0)
	SAME_STR(log_key);
	SAME_STR(artifacts_prefix);
	SAME_STR(triggered_by);
	SAME_STR(retrigger_of);
	SAME_STR(executor);
	SAME_STR(job_name);
	SAME_STR(status_message);
#undef SAME_STR
}

/* --- JSON ------------------------------------------------------------------ */

static void test_to_json_attribute_names_and_types(void **state)
{
	(void)state;
	struct build *b = s_full();
	json_t *j = build_to_json(b);
	assert_true(json_is_object(j));
	struct {
		const char *name;
		int type;
	} want[] = {
	    {"buildID", JSON_STRING},	    {"projectKey", JSON_STRING},
	    {"buildTime", JSON_INTEGER},    {"branch", JSON_STRING},
	    {"isBuilding", JSON_INTEGER},   {"status", JSON_STRING},
	    {"buildResult", JSON_INTEGER},  {"buildElapsedTime", JSON_INTEGER},
	    {"logKey", JSON_STRING},	    {"artifactsPrefix", JSON_STRING},
	    {"triggeredBy", JSON_STRING},   {"retriggerOf", JSON_STRING},
	    {"executor", JSON_STRING},	    {"jobName", JSON_STRING},
	    {"statusMessage", JSON_STRING},
	};
	size_t n = sizeof(want) / sizeof(want[0]);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(j, want[i].name);
		if (!v)
			fail_msg("attribute %s is missing", want[i].name);
		assert_int_equal(json_typeof(v), want[i].type);
	}
	/* Nothing else: the attribute set is a contract. */
	assert_int_equal(json_object_size(j), n);
	assert_string_equal(json_string_value(json_object_get(j, "buildID")), b->id);
	assert_string_equal(json_string_value(json_object_get(j, "projectKey")), "team/proj");
	assert_int_equal(json_integer_value(json_object_get(j, "buildTime")), 1700000000);
	assert_string_equal(json_string_value(json_object_get(j, "branch")), "feature/x");
	assert_int_equal(json_integer_value(json_object_get(j, "isBuilding")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
	assert_int_equal(json_integer_value(json_object_get(j, "buildResult")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "buildElapsedTime")), 93);
	assert_string_equal(json_string_value(json_object_get(j, "logKey")),
			    "team/proj/0f8fad5b-d9cb-469f-a165-70867728950e.log.gz");
	assert_string_equal(json_string_value(json_object_get(j, "artifactsPrefix")),
			    "team/proj/0f8fad5b-d9cb-469f-a165-70867728950e/");
	json_decref(j);
	build_free(b);
}

static void test_to_json_optional_attributes_absent(void **state)
{
	(void)state;
	struct build *b = build_new();
	snprintf(b->id, sizeof(b->id), "%s", "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
	b->project_key = xstrdup("t/p");
	b->status = BUILD_QUEUED;
	json_t *j = build_to_json(b);
	const char *absent[] = {"buildResult",	   "buildElapsedTime", "logKey",
				"artifactsPrefix", "triggeredBy",      "retriggerOf",
				"executor",	   "jobName",	       "statusMessage"};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (json_object_get(j, absent[i]))
			fail_msg("%s present although unset", absent[i]);
	/* The original system's four are always there. */
	assert_string_equal(json_string_value(json_object_get(j, "branch")), "");
	assert_int_equal(json_integer_value(json_object_get(j, "buildTime")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "isBuilding")), 1);
	/* buildResult 0 is a result, not "unset". */
	b->has_result = true;
	b->build_result = 0;
	json_decref(j);
	j = build_to_json(b);
	assert_non_null(json_object_get(j, "buildResult"));
	assert_int_equal(json_integer_value(json_object_get(j, "buildResult")), 0);
	json_decref(j);
	build_free(b);
}

/* isBuilding is 1 exactly for queued and running, whatever else is set. */
static void test_is_building_follows_status(void **state)
{
	(void)state;
	struct build *b = s_full();
	for (int s = 0; s < BUILD_STATUS_COUNT; s++) {
		b->status = (enum build_status)s;
		json_t *j = build_to_json(b);
		int want = s == BUILD_QUEUED || s == BUILD_RUNNING;
		assert_int_equal(json_integer_value(json_object_get(j, "isBuilding")), want);
		assert_int_equal(build_status_active(b->status), want);
		assert_string_equal(json_string_value(json_object_get(j, "status")),
				    build_status_name(b->status));
		json_decref(j);
	}
	build_free(b);
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct build *b = s_full();
	for (int s = 0; s < BUILD_STATUS_COUNT; s++) {
		b->status = (enum build_status)s;
		json_t *j = build_to_json(b);
		/* Through text, as the CLI and DynamoDB see it. */
		char *text = json_dumps(j, JSON_COMPACT);
		struct build *c = s_from(text);
		s_assert_same(b, c);
		build_free(c);
		free(text);
		json_decref(j);
	}
	/* A minimal record survives too (optional members stay unset). */
	struct build *m = build_new();
	snprintf(m->id, sizeof(m->id), "%s", "abc");
	m->project_key = xstrdup("t/p");
	m->branch = xstrdup("main");
	m->status = BUILD_SUCCEEDED;
	json_t *j = build_to_json(m);
	struct build *c = NULL;
	struct err e = {0};
	assert_int_equal(build_from_json(j, &c, &e), 0);
	s_assert_same(m, c);
	assert_null(c->log_key);
	assert_false(c->has_result);
	build_free(c);
	json_decref(j);
	build_free(m);
	build_free(b);
}

/* Records written by the original system: no `status`, numbers sometimes as
 * DynamoDB decimals. */
static void test_status_derived_for_original_records(void **state)
{
	(void)state;
	struct {
		const char *json;
		enum build_status want;
	} cases[] = {
	    {"{\"buildID\":\"a1\",\"projectKey\":\"t/p\",\"buildTime\":1500000000,"
	     "\"branch\":\"master\",\"isBuilding\":1}",
	     BUILD_RUNNING},
	    {"{\"buildID\":\"a2\",\"projectKey\":\"t/p\",\"buildTime\":1500000000,"
	     "\"branch\":\"master\",\"isBuilding\":0,\"buildResult\":0}",
	     BUILD_SUCCEEDED},
	    {"{\"buildID\":\"a3\",\"projectKey\":\"t/p\",\"buildTime\":1500000000,"
	     "\"branch\":\"master\",\"isBuilding\":0,\"buildResult\":1}",
	     BUILD_FAILED},
	    {"{\"buildID\":\"a4\",\"projectKey\":\"t/p\",\"buildTime\":1500000000,"
	     "\"branch\":\"master\",\"isBuilding\":0,\"buildResult\":137}",
	     BUILD_FAILED},
	    /* Still building although a result is there: building wins. */
	    {"{\"buildID\":\"a5\",\"projectKey\":\"t/p\",\"isBuilding\":1,\"buildResult\":0}",
	     BUILD_RUNNING},
	    /* Ended without a result (killed before build.sh returned). */
	    {"{\"buildID\":\"a6\",\"projectKey\":\"t/p\",\"isBuilding\":0}", BUILD_FAILED},
	    /* No isBuilding at all, result 0. */
	    {"{\"buildID\":\"a7\",\"projectKey\":\"t/p\",\"buildResult\":0}", BUILD_SUCCEEDED},
	    /* Decimals, as DynamoDB numbers may come back. */
	    {"{\"buildID\":\"a8\",\"projectKey\":\"t/p\",\"buildTime\":1500000000.0,"
	     "\"isBuilding\":0.0,\"buildResult\":0.0,\"buildElapsedTime\":12.0}",
	     BUILD_SUCCEEDED},
	    {"{\"buildID\":\"a9\",\"projectKey\":\"t/p\",\"isBuilding\":1.0}", BUILD_RUNNING},
	    /* An explicit status wins over isBuilding. */
	    {"{\"buildID\":\"b1\",\"projectKey\":\"t/p\",\"isBuilding\":1,"
	     "\"status\":\"cancelled\"}",
	     BUILD_CANCELLED},
	    {"{\"buildID\":\"b2\",\"projectKey\":\"t/p\",\"isBuilding\":0,\"buildResult\":0,"
	     "\"status\":\"timedout\"}",
	     BUILD_TIMEDOUT},
	    {"{\"buildID\":\"b3\",\"projectKey\":\"t/p\",\"status\":\"queued\"}", BUILD_QUEUED},
	    {"{\"buildID\":\"b4\",\"projectKey\":\"t/p\",\"status\":\"error\"}", BUILD_ERROR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct build *b = s_from(cases[i].json);
		if (b->status != cases[i].want)
			fail_msg("case %zu: status %s, want %s", i, build_status_name(b->status),
				 build_status_name(cases[i].want));
		build_free(b);
	}
	struct build *b = s_from(cases[7].json);
	assert_int_equal(b->build_time, 1500000000);
	assert_true(b->has_elapsed);
	assert_int_equal(b->elapsed_s, 12);
	assert_true(b->has_result);
	assert_int_equal(b->build_result, 0);
	build_free(b);
	/* Unknown attributes of the original system are ignored; null is absent. */
	b = s_from("{\"buildID\":\"c1\",\"projectKey\":\"t/p\",\"someOther\":[1,2],"
		   "\"branch\":null,\"buildResult\":null,\"isBuilding\":0}");
	assert_null(b->branch);
	assert_false(b->has_result);
	build_free(b);
}

static void test_from_json_errors(void **state)
{
	(void)state;
	s_from_fails("[1,2]", "not an object");
	s_from_fails("\"x\"", "not an object");
	s_from_fails("{\"projectKey\":\"t/p\"}", "buildID");
	s_from_fails("{\"buildID\":\"a\"}", "projectKey");
	s_from_fails("{\"buildID\":null,\"projectKey\":\"t/p\"}", "buildID");
	s_from_fails("{\"buildID\":7,\"projectKey\":\"t/p\"}", "buildID");
	s_from_fails("{\"buildID\":\"0f8fad5b-d9cb-469f-a165-70867728950e0\",\"projectKey\":\"t\"}",
		     "too long");
	s_from_fails("{\"buildID\":\"a\",\"projectKey\":\"t/p\",\"status\":\"done\"}", "done");
	s_from_fails("{\"buildID\":\"a\",\"projectKey\":\"t/p\",\"status\":\"RUNNING\"}",
		     "RUNNING");
	s_from_fails("{\"buildID\":\"a\",\"projectKey\":\"t/p\",\"buildTime\":\"17\"}",
		     "buildTime");
	s_from_fails("{\"buildID\":\"a\",\"projectKey\":\"t/p\",\"isBuilding\":true}",
		     "isBuilding");
	s_from_fails("{\"buildID\":\"a\",\"projectKey\":\"t/p\",\"branch\":5}", "branch");
	s_from_fails("{\"buildID\":\"a\",\"projectKey\":\"t/p\",\"jobName\":{}}", "jobName");
	/* Messages stay on one line even for hostile values. */
	json_t *j = json_pack("{s:s, s:s, s:s}", "buildID", "a", "projectKey", "t/p", "status",
			      "bad\nstatus\r\x1b[31m");
	struct build *b = NULL;
	struct err e = {0};
	assert_int_equal(build_from_json(j, &b, &e), -1);
	assert_null(strpbrk(e.msg, "\n\r\x1b"));
	json_decref(j);
}

/* --- names, exit codes, IDs, keys ------------------------------------------ */

static void test_status_names(void **state)
{
	(void)state;
	const char *names[] = {"queued",    "running",	"succeeded", "failed",
			       "cancelled", "timedout", "error"};
	assert_int_equal(BUILD_STATUS_COUNT, 7);
	for (int i = 0; i < BUILD_STATUS_COUNT; i++) {
		assert_string_equal(build_status_name((enum build_status)i), names[i]);
		enum build_status s = BUILD_ERROR;
		assert_int_equal(build_status_parse(names[i], &s), 0);
		assert_int_equal(s, i);
	}
	enum build_status s = BUILD_QUEUED;
	assert_int_equal(build_status_parse("Running", &s), -1);
	assert_int_equal(build_status_parse("", &s), -1);
	assert_int_equal(build_status_parse(NULL, &s), -1);
	assert_int_equal(s, BUILD_QUEUED);
	assert_string_equal(build_status_name((enum build_status)99), "unknown");
	assert_true(BUILD_MASK_ACTIVE & BUILD_MASK(BUILD_QUEUED));
	assert_true(BUILD_MASK_ACTIVE & BUILD_MASK(BUILD_RUNNING));
	assert_false(BUILD_MASK_ACTIVE & BUILD_MASK(BUILD_SUCCEEDED));
}

/* DESIGN.md §2: 0 succeeded, 1 failed, 3 cancelled, timed out or errored. */
static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(build_exit_code(BUILD_SUCCEEDED), 0);
	assert_int_equal(build_exit_code(BUILD_FAILED), 1);
	assert_int_equal(build_exit_code(BUILD_CANCELLED), 3);
	assert_int_equal(build_exit_code(BUILD_TIMEDOUT), 3);
	assert_int_equal(build_exit_code(BUILD_ERROR), 3);
}

static int s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_uuid_v4_lowercase_unique(void **state)
{
	(void)state;
	enum { N = 20000 };
	char **ids = calloc(N, sizeof(char *));
	for (int i = 0; i < N; i++) {
		char id[BUILD_ID_LEN + 1];
		memset(id, 'X', sizeof(id));
		struct err e = {0};
		assert_int_equal(build_uuid(id, &e), 0);
		assert_int_equal(strlen(id), 36);
		for (int k = 0; k < 36; k++) {
			char c = id[k];
			if (k == 8 || k == 13 || k == 18 || k == 23)
				assert_int_equal(c, '-');
			else
				assert_true((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
		}
		assert_int_equal(id[14], '4');		 /* version 4 */
		assert_non_null(strchr("89ab", id[19])); /* RFC 4122 variant */
		assert_true(build_id_prefix_ok(id));
		ids[i] = xstrdup(id);
	}
	qsort(ids, N, sizeof(char *), s_cmp_str);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	for (int i = 0; i < N; i++)
		free(ids[i]);
	free(ids);
}

static void test_id_prefix_ok(void **state)
{
	(void)state;
	assert_true(build_id_prefix_ok("0"));
	assert_true(build_id_prefix_ok("0f8f"));
	assert_true(build_id_prefix_ok("0f8fad5b-d9"));
	assert_true(build_id_prefix_ok("0f8fad5b-d9cb-469f-a165-70867728950e"));
	assert_false(build_id_prefix_ok(""));
	assert_false(build_id_prefix_ok("0f8fad5b-d9cb-469f-a165-70867728950e0")); /* 37 */
	assert_false(build_id_prefix_ok("0F8F"));
	assert_false(build_id_prefix_ok("0f8g"));
	assert_false(build_id_prefix_ok("0f 8"));
	assert_false(build_id_prefix_ok("%"));
	assert_false(build_id_prefix_ok("0f8f'"));
}

static void test_store_keys(void **state)
{
	(void)state;
	char *k = build_log_key("team/proj", "0f8fad5b-d9cb-469f-a165-70867728950e");
	assert_string_equal(k, "team/proj/0f8fad5b-d9cb-469f-a165-70867728950e.log.gz");
	free(k);
	k = build_artifacts_prefix("team/proj", "0f8fad5b-d9cb-469f-a165-70867728950e");
	assert_string_equal(k, "team/proj/0f8fad5b-d9cb-469f-a165-70867728950e/");
	free(k);
}

/* --- memory ---------------------------------------------------------------- */

static void test_dup_is_deep(void **state)
{
	(void)state;
	struct build *b = s_full();
	struct build *d = build_dup(b);
	s_assert_same(b, d);
	/* No shared strings: changing or freeing the original leaves the copy. */
	assert_ptr_not_equal(b->project_key, d->project_key);
	assert_ptr_not_equal(b->status_message, d->status_message);
	build_set_str(&b->branch, "other");
	build_set_str(&b->job_name, NULL);
	assert_null(b->job_name);
	build_free(b);
	assert_string_equal(d->branch, "feature/x");
	assert_string_equal(d->job_name, "aftomato-0f8fad5b");
	/* Setting a field to its own value is safe. */
	build_set_str(&d->branch, d->branch);
	assert_string_equal(d->branch, "feature/x");
	build_free(d);
	build_free(NULL);
	/* A record with no strings duplicates too. */
	struct build *z = build_new();
	struct build *zd = build_dup(z);
	assert_null(zd->project_key);
	build_free(z);
	build_free(zd);
}

static void test_list_grows_and_owns(void **state)
{
	(void)state;
	struct build_list l = {0};
	for (int i = 0; i < 1000; i++) {
		struct build *b = build_new();
		b->build_time = i;
		b->project_key = xasprintf("t/p%d", i);
		build_list_push(&l, b);
	}
	assert_int_equal(l.n, 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(l.items[i]->build_time, i);
	build_list_cleanup(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	build_list_cleanup(&l); /* twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_to_json_attribute_names_and_types),
	    cmocka_unit_test(test_to_json_optional_attributes_absent),
	    cmocka_unit_test(test_is_building_follows_status),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_status_derived_for_original_records),
	    cmocka_unit_test(test_from_json_errors),
	    cmocka_unit_test(test_status_names),
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_uuid_v4_lowercase_unique),
	    cmocka_unit_test(test_id_prefix_ok),
	    cmocka_unit_test(test_store_keys),
	    cmocka_unit_test(test_dup_is_deep),
	    cmocka_unit_test(test_list_grows_and_owns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
