/* exec_k8s: the Kubernetes executor (DESIGN.md §2). Each build runs as a
 * batch/v1 Job (backend/k8s/jobspec.h) in the profile's namespace; the
 * executor lists and watches the Jobs and Pods aftomato manages there, follows
 * every build's log into its spool (<data_dir>/spool/<id>.log, arrival times
 * from the Kubernetes timestamps) and reports the end once the log stream has
 * ended and the spool is complete.
 *
 * Several aftomato processes may watch one cluster. Each follows every build
 * and reports finished with finalize = true; the lifecycle's conditional
 * store update lets exactly one record win, and both archived logs are
 * complete. Processes sharing a data_dir take turns: the one holding
 * <data_dir>/k8s/<id>.lock writes the spool and finalises; the others read
 * that spool, learn the result from <data_dir>/k8s/<id>.json and take over
 * the lock when its holder goes away.
 *
 * Requests that need an answer at once (creating a Job and its ConfigMap,
 * cancelling, deleting after archiving) block the worker for one API round
 * trip, so their errors reach the lifecycle and the command line directly;
 * watches and logs stream on the worker's loop. */
#ifndef AFTOMATO_EXEC_K8S_H
#define AFTOMATO_EXEC_K8S_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "exec.h"

struct evloop;
struct profile;

#define EXEC_K8S_PULL_LIMIT_MS	 120000 /* image pull failing for this long → error */
#define EXEC_K8S_CONFIG_LIMIT_MS 60000	/* CreateContainerConfigError for this long */
#define EXEC_K8S_SETTLE_MS	 3000	/* wait for the Job's verdict on a killed pod */
#define EXEC_K8S_GRACE_S	 10	/* terminationGracePeriodSeconds of build pods */

struct exec_k8s_config {
	/* kubernetes.{kubeconfig, context, namespace_, credentials_secret}, the
	 * data_dir and the store settings the build pods get. Must outlive the
	 * executor (the worker's profile does). */
	const struct profile *profile;
	const char *sa_dir;	 /* in-cluster service account dir; NULL: default */
	int64_t pull_limit_ms;	 /* 0: EXEC_K8S_PULL_LIMIT_MS */
	int64_t config_limit_ms; /* 0: EXEC_K8S_CONFIG_LIMIT_MS */
	int64_t settle_ms;	 /* 0: EXEC_K8S_SETTLE_MS */
	long long grace_s;	 /* 0: EXEC_K8S_GRACE_S */
};

/* Reads the kubeconfig (errors name file:line:col). events must be set by
 * the caller before attach/start. Caller frees with x->ops->free; builds go
 * on running in the cluster. */
struct executor *exec_k8s_new(struct evloop *loop, const struct exec_k8s_config *cfg,
			      struct err *e);

/* True when the cluster's TLS certificate is not verified
 * (insecure-skip-tls-verify): the console's status bar shows it. Set at
 * creation, so any thread may ask. */
bool exec_k8s_insecure(const struct executor *x);

/* "context (server, namespace)", for the status bar; owned by x. */
const char *exec_k8s_describe(const struct executor *x);

/* Background problems (an API error while watching, a delete refused, a build
 * waiting for its image) as one-line errors. Until the executor interface
 * carries notices, the caller may register a function here; every notice is
 * also appended to <data_dir>/k8s/events.log. */
typedef void (*exec_k8s_notice_fn)(void *ctx, const struct err *e);
void exec_k8s_set_notice(struct executor *x, exec_k8s_notice_fn fn, void *ctx);

#endif
