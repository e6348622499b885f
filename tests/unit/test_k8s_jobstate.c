/* Unit tests for backend/k8s/jobstate: a build's result from its Job and Pod
 * objects (exit codes, OOMKilled, a container that could not start, the Job's
 * DeadlineExceeded, a deleted Job, image pull and configuration waits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "k8s/jobstate.h"

static json_t *s_pod(const char *state_json)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Running\","
		 "\"containerStatuses\":[{\"name\":\"db\",\"state\":{\"running\":{}}},"
		 "{\"name\":\"build\",\"state\":%s}]}}",
		 state_json);
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static json_t *s_job(const char *conditions)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "{\"spec\":{\"activeDeadlineSeconds\":600},\"status\":{\"conditions\":%s}}",
		 conditions);
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static struct exec_result s_result(const char *conditions, const char *state,
				   struct jobstate_facts f)
{
	json_t *job = s_job(conditions), *pod = s_pod(state);
	struct jobstate st;
	jobstate_read(job, pod, "build", &st);
	struct exec_result r;
	jobstate_result(&st, &f, &r);
	json_decref(job);
	json_decref(pod);
	return r;
}

static const char *s_done = "[{\"type\":\"Complete\",\"status\":\"True\"}]";
static const char *s_failed =
    "[{\"type\":\"FailureTarget\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\"},"
    "{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\"}]";

static void test_exit_codes(void **state)
{
	struct jobstate_facts none = {0};
	struct exec_result r =
	    s_result(s_done,
		     "{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\",\"startedAt\":"
		     "\"2026-01-02T03:04:05Z\",\"finishedAt\":\"2026-01-02T03:04:15Z\"}}",
		     none);
	assert_int_equal(r.status, BUILD_SUCCEEDED);
	assert_true(r.has_exit);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.finished_ms - r.started_ms, 10000);
	r = s_result(s_failed, "{\"terminated\":{\"exitCode\":3,\"reason\":\"Error\"}}", none);
	assert_int_equal(r.status, BUILD_FAILED);
	assert_int_equal(r.exit_code, 3);
	r = s_result(s_failed, "{\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\"}}",
		     none);
	assert_int_equal(r.status, BUILD_FAILED);
	assert_int_equal(r.exit_code, 137);
	assert_non_null(strstr(r.message, "OOMKilled"));
	r = s_result(s_failed,
		     "{\"terminated\":{\"exitCode\":128,\"reason\":\"StartError\",\"message\":"
		     "\"exec: \\\"aftomato-entrypoint\\\": executable file not found in $PATH\"}}",
		     none);
	assert_int_equal(r.status, BUILD_ERROR);
	assert_false(r.has_exit);
	assert_non_null(strstr(r.message, "could not start: exec: \"aftomato-entrypoint\""));
}

static void test_deadline_and_cancel(void **state)
{
	struct jobstate_facts none = {0};
	const char *deadline = "[{\"type\":\"FailureTarget\",\"status\":\"True\",\"reason\":"
			       "\"DeadlineExceeded\",\"message\":\"Job was active longer than "
			       "specified deadline\"}]";
	struct exec_result r =
	    s_result(deadline, "{\"terminated\":{\"exitCode\":143,\"reason\":\"Error\"}}", none);
	assert_int_equal(r.status, BUILD_TIMEDOUT);
	assert_non_null(strstr(r.message, "timeout of 600 s"));
	struct jobstate_facts killed = {.killed = true};
	r = s_result("[]", "{\"terminated\":{\"exitCode\":143,\"reason\":\"Error\"}}", killed);
	assert_int_equal(r.status, BUILD_CANCELLED);
	struct jobstate_facts gone = {.pod_gone = true};
	r = s_result("[]", "{\"terminated\":{\"exitCode\":137,\"reason\":\"Error\"}}", gone);
	assert_int_equal(r.status, BUILD_ERROR);
	assert_non_null(strstr(r.message, "pod was deleted"));
	/* A condition that is not True does not count. */
	r = s_result("[{\"type\":\"Failed\",\"status\":\"False\",\"reason\":\"DeadlineExceeded\"}]",
		     "{\"terminated\":{\"exitCode\":0}}", none);
	assert_int_equal(r.status, BUILD_SUCCEEDED);
}

static void test_waiting(void **state)
{
	json_t *pod = s_pod("{\"waiting\":{\"reason\":\"ImagePullBackOff\",\"message\":\"Back-off "
			    "pulling image \\\"x\\\"\"}}");
	struct jobstate st;
	jobstate_read(NULL, pod, "build", &st);
	assert_int_equal(st.cstate, JOBSTATE_WAITING);
	assert_int_equal(jobstate_wait_kind(&st), JOBSTATE_WAIT_PULL);
	struct jobstate_facts f = {.wait_limit = true, .image = "registry/x:1"};
	struct exec_result r;
	jobstate_result(&st, &f, &r);
	assert_int_equal(r.status, BUILD_ERROR);
	assert_non_null(
	    strstr(r.message, "registry/x:1 cannot be pulled: ImagePullBackOff: Back-off"));
	json_decref(pod);

	pod = s_pod("{\"waiting\":{\"reason\":\"CreateContainerConfigError\",\"message\":\"secret "
		    "\\\"aws\\\" not found\"}}");
	jobstate_read(NULL, pod, "build", &st);
	assert_int_equal(jobstate_wait_kind(&st), JOBSTATE_WAIT_CONFIG);
	jobstate_result(&st, &f, &r);
	assert_non_null(strstr(r.message, "cannot be created: CreateContainerConfigError: secret"));
	json_decref(pod);

	pod = s_pod("{\"waiting\":{\"reason\":\"ContainerCreating\"}}");
	jobstate_read(NULL, pod, "build", &st);
	assert_int_equal(jobstate_wait_kind(&st), JOBSTATE_WAIT_NONE);
	json_decref(pod);
	pod = s_pod("{\"waiting\":{\"reason\":\"InvalidImageName\"}}");
	jobstate_read(NULL, pod, "build", &st);
	assert_int_equal(jobstate_wait_kind(&st), JOBSTATE_WAIT_FATAL);
	struct jobstate_facts none = {0};
	jobstate_result(&st, &none, &r);
	assert_int_equal(r.status, BUILD_ERROR); /* no limit needed */
	json_decref(pod);

	/* The sidecar's state is not the build's. */
	pod = s_pod("{\"running\":{\"startedAt\":\"2026-01-02T03:04:05Z\"}}");
	jobstate_read(NULL, pod, "db", &st);
	assert_int_equal(st.cstate, JOBSTATE_RUNNING);
	assert_int_equal(st.started_ms, 0);
	jobstate_read(NULL, pod, "build", &st);
	assert_int_equal(st.started_ms, 1767323045000LL);
	json_decref(pod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_deadline_and_cancel),
	    cmocka_unit_test(test_waiting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
