/* jobstate: what a build's Job and Pod objects say about it, and the build's
 * result once it is over (DESIGN.md §2 statuses):
 *   exit code 0 → succeeded; non-zero → failed with buildResult = the code;
 *   OOMKilled → failed, saying so; the Job's DeadlineExceeded → timedout;
 *   a Job deleted (cancel) before the build ended → cancelled; an image that
 *   cannot be pulled or a container that cannot be created (for longer than
 *   the executor's limit) → error with the reason; a container that could not
 *   start (its command missing) → error. */
#ifndef AFTOMATO_K8S_JOBSTATE_H
#define AFTOMATO_K8S_JOBSTATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec.h"

enum jobstate_cstate { JOBSTATE_NONE, JOBSTATE_WAITING, JOBSTATE_RUNNING, JOBSTATE_TERMINATED };

/* Strings point into the JSON objects given to jobstate_read. */
struct jobstate {
	/* the Job */
	bool job_ended;	  /* condition Complete or Failed is True */
	bool job_failing; /* FailureTarget or Failed is True */
	bool deadline;	  /* ... with reason DeadlineExceeded */
	const char *fail_reason;
	const char *fail_message;
	long long deadline_s; /* spec.activeDeadlineSeconds, 0 when none */
	/* the Pod and its container */
	const char *phase;
	bool pod_deleting; /* metadata.deletionTimestamp is set */
	enum jobstate_cstate cstate;
	const char *reason;  /* waiting or terminated reason */
	const char *message; /* its message */
	int exit_code;	     /* terminated */
	int64_t started_ms;  /* running or terminated startedAt; 0 unknown */
	int64_t finished_ms; /* terminated finishedAt; 0 unknown */
};

/* Reads job and pod (either may be NULL) for container. */
void jobstate_read(const json_t *job, const json_t *pod, const char *container,
		   struct jobstate *out);

enum jobstate_wait {
	JOBSTATE_WAIT_NONE,   /* not waiting, or a normal wait (ContainerCreating) */
	JOBSTATE_WAIT_PULL,   /* ErrImagePull, ImagePullBackOff, ... */
	JOBSTATE_WAIT_CONFIG, /* CreateContainerConfigError, CreateContainerError */
	JOBSTATE_WAIT_FATAL,  /* InvalidImageName, ErrImageNeverPull: never gets better */
};

/* How the container's waiting reason counts against the executor's limits. */
enum jobstate_wait jobstate_wait_kind(const struct jobstate *s);

/* What happened besides the objects' state. */
struct jobstate_facts {
	bool killed;	 /* the Job was deleted (a cancel) before the container ended */
	bool pod_gone;	 /* the pod was deleted (not by a deadline or a cancel) before
			    the container ended */
	bool wait_limit; /* the waiting reason lasted longer than the limit */
	const char *image;
};

/* The build's result from s and f into r (zeroed first). */
void jobstate_result(const struct jobstate *s, const struct jobstate_facts *f,
		     struct exec_result *r);

#endif
