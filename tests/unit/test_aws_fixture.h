/* Helpers for the unit tests that talk to the AWS test servers
 * (tests/servers/aws): the shared ctest fixture "aws" (state in
 * AFT_TEST_TMP/aws) or a private instance for tests that change global
 * settings (clock offset, credential lifetime). */
#ifndef AFTOMATO_TEST_AWS_FIXTURE_H
#define AFTOMATO_TEST_AWS_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct evloop;
struct awsclient;

#define AWSFX_SHARED_STATE AFT_TEST_TMP "/aws"

/* Exports the variables of STATE/env into the environment (replacing them),
 * after unsetting every other AWS credential-source variable. 0 or -1. */
int awsfx_env(const char *state_dir);

/* Starts a private instance in a new directory under AFT_TEST_TMP with extra
 * environment ("NAME=value" strings, NULL-terminated; may be NULL). The state
 * directory is written to state (size bytes). 0 or -1. */
int awsfx_start(const char *name, const char *const *extra_env, char *state, size_t size);
void awsfx_stop(const char *state_dir);

/* An admin API call on the instance whose env is loaded. Returns the parsed
 * JSON answer (caller decrefs) or NULL when the call failed. body may be NULL. */
json_t *awsfx_admin(const char *method, const char *path, const char *body);
/* Adds a fault rule (JSON text); returns its id, or -1. */
int awsfx_fault(const char *json);
void awsfx_fault_delete(int id);
/* Request-log entries whose path contains needle (a new array). */
json_t *awsfx_log_matching(const char *needle);

/* A client for the loaded environment and an optional aftomato profile. */
struct awsclient *awsfx_client(struct evloop *loop);

/* Runs loop until *flag becomes non-zero or timeout_ms passes; returns *flag. */
int awsfx_run(struct evloop *loop, const int *flag, int timeout_ms);

/* A unique string for this process ("t<pid>x<n>") to keep keys apart. */
const char *awsfx_run_id(void);

/* Writes size pseudo-random bytes to a new file under AFT_TEST_TMP; returns
 * its path (caller frees). */
char *awsfx_random_file(const char *name, size_t size);
/* Reads a whole file (caller frees); *len gets its length. */
char *awsfx_read(const char *path, size_t *len);

#endif
