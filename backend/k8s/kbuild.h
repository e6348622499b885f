/* kbuild: one build of the namespace as this process follows it, for the
 * Kubernetes executor (exec_k8s.h): its Job and Pod as the watches report
 * them, its log followed into the spool, and the moment its result is known.
 *
 * Role: the process that holds <k8s_dir>/<id>.lock (flock) is the build's
 * writer on this host: it fills the spool from the API (truncating it first,
 * so a re-attached build shows its whole log), decides the result once the
 * log stream has ended, records it in <k8s_dir>/<id>.json and reports
 * finished with finalize. Other processes sharing the data_dir are readers:
 * they follow the writer's spool, report finished without finalize when the
 * result file appears, and take the lock over when the writer goes away.
 *
 * All calls happen on the worker thread. */
#ifndef AFTOMATO_K8S_KBUILD_H
#define AFTOMATO_K8S_KBUILD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "err.h"
#include "exec.h"

struct logstore;
struct rest;
struct kbuild;

/* What every build of one executor shares (owned by the executor). */
struct kbuild_env {
	struct rest *rest;
	const char *ns;
	const char *data_dir;
	const char *k8s_dir;
	int64_t pull_limit_ms, config_limit_ms, settle_ms;
	struct exec_events *events;
	bool listed; /* Jobs and Pods have both been listed once */
	/* A one-line background problem for the operator. */
	void (*notice)(struct kbuild_env *env, const struct err *e);
	/* Asks for kbuild_progress of every build soon (outside any callback). */
	void (*kick)(struct kbuild_env *env);
};

/* A new build (tries to become its writer). Caller frees with kbuild_free. */
struct kbuild *kbuild_new(struct kbuild_env *env, const char *id);
void kbuild_free(struct kbuild *b);

const char *kbuild_id(const struct kbuild *b);

/* The watches' news: the latest object, or that it is gone (obj NULL). */
void kbuild_set_job(struct kbuild *b, json_t *job, bool gone);
void kbuild_set_pod(struct kbuild *b, json_t *pod, bool gone);
bool kbuild_has_job(const struct kbuild *b);
bool kbuild_has_pod(const struct kbuild *b);

/* Moves the build along (follow, limits, result); call after any news. */
void kbuild_progress(struct kbuild *b);
/* Whether the periodic tick must look at it (reader, waiting, settling). */
bool kbuild_wants_tick(const struct kbuild *b);

/* This process created its Job: no `found`; the spool starts empty. */
void kbuild_started_here(struct kbuild *b);
/* Its Job could not be created: the build ends at once as error with e's
 * message (reported from the next kbuild_progress). */
void kbuild_start_failed(struct kbuild *b, const struct err *e);
/* Its Job was deleted by this process (a cancel). */
void kbuild_cancelled(struct kbuild *b);

/* The live log of the build (container NULL) or of a sidecar container: a new
 * reference, or NULL. */
struct logstore *kbuild_log(struct kbuild *b, const char *container);

/* True while it runs or waits to be archived. */
bool kbuild_live(const struct kbuild *b);
/* Archived: drops the followers, the spool reference, the lock and the
 * result file; the build stays as a tombstone until its Job is gone. */
void kbuild_cleanup(struct kbuild *b);
bool kbuild_cleaned(const struct kbuild *b);

#endif
