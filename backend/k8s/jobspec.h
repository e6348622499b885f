/* jobspec: the Kubernetes objects of one build (DESIGN.md §2): a batch/v1 Job
 * named from the build ID and a ConfigMap of the same name, owned by the Job,
 * that carries build.sh and the small configuration `aftomato artifacts push`
 * needs inside the build container.
 *
 * The build container runs the build image's `aftomato-entrypoint` (see
 * packaging/container/), which runs /aftomato/build.sh in /workspace and then
 * uploads /artifacts. Its environment is DESIGN.md §1 (BUILD_ID, PROJECT_KEY,
 * BRANCH_TO_BUILD, ARTIFACTS_DIR, plus WORKSPACE and the project's env); AWS
 * credentials come from a Secret through envFrom, never inline. Sidecars are
 * the project's container objects, unchanged.
 *
 * Labels carry label-safe values (jobspec_label_value); the exact project key
 * and branch are annotations. */
#ifndef AFTOMATO_K8S_JOBSPEC_H
#define AFTOMATO_K8S_JOBSPEC_H

#include <jansson.h>
#include <stdbool.h>

#include "build.h"
#include "err.h"

struct profile;
struct project;

#define JOBSPEC_NAME_MAX 63 /* DNS label / label value length limit */

#define JOBSPEC_LABEL_MANAGED  "app.kubernetes.io/managed-by"
#define JOBSPEC_LABEL_BUILD_ID "aftomato.io/build-id"
#define JOBSPEC_LABEL_PROJECT  "aftomato.io/project"
#define JOBSPEC_LABEL_BRANCH   "aftomato.io/branch"
#define JOBSPEC_ANN_PROJECT    "aftomato.io/project-key"
#define JOBSPEC_ANN_BRANCH     "aftomato.io/branch"
#define JOBSPEC_MANAGED_BY     "aftomato"
/* The label selector that finds every object aftomato manages. */
#define JOBSPEC_SELECTOR JOBSPEC_LABEL_MANAGED "=" JOBSPEC_MANAGED_BY

#define JOBSPEC_CONTAINER  "build"		 /* the build container */
#define JOBSPEC_ENTRYPOINT "aftomato-entrypoint" /* its command, from the image */
#define JOBSPEC_MOUNT	   "/aftomato"		 /* build.sh and config.yaml */
#define JOBSPEC_WORKSPACE  "/workspace"
#define JOBSPEC_ARTIFACTS  "/artifacts"

/* "aftomato-<build id>": the Job's (and ConfigMap's) name. out holds
 * JOBSPEC_NAME_MAX + 1 bytes. */
void jobspec_job_name(const char *build_id, char *out);

/* The build ID a Job or Pod belongs to (its aftomato.io/build-id label), or
 * false when obj carries none that looks like a build ID. */
bool jobspec_build_id(const json_t *obj, char out[BUILD_ID_LEN + 1]);

/* A valid label value for any text: characters outside [A-Za-z0-9._-]
 * become '-' ('/' becomes '.'), leading and trailing non-alphanumerics go, and
 * a value longer than 63 bytes is cut and ends with a hash of the whole text so
 * different long texts stay different. out holds JOBSPEC_NAME_MAX + 1 bytes. */
void jobspec_label_value(const char *text, char *out);

/* True when s is a valid label value (empty included). */
bool jobspec_label_value_ok(const char *s);

struct jobspec_input {
	const struct build *b;
	const struct project *p;
	const struct profile *profile; /* store settings for the pod's config */
	const char *namespace_;
	const char *credentials_secret; /* NULL: no Secret */
	bool secret_optional;		/* the pod may start without it */
	long long termination_grace_s;	/* 0: the cluster's default */
};

/* The Job object (a new reference), or NULL with e filled (a project that
 * cannot run on Kubernetes: no buildImage, a sidecar named "build", ...). */
json_t *jobspec_job(const struct jobspec_input *in, struct err *e);

/* The ConfigMap (a new reference) with build.sh and config.yaml, owned by the
 * Job whose uid is given (NULL: no owner), or NULL with e filled (build.sh
 * unreadable). */
json_t *jobspec_configmap(const struct jobspec_input *in, const char *job_uid, struct err *e);

/* The configuration file the build container's `aftomato artifacts push`
 * reads (JSON, which YAML readers accept): profile "build" with the store
 * settings of profile. Caller frees. */
char *jobspec_pod_config(const struct profile *profile);

#endif
