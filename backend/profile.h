/* profile: the settings of one configuration profile (DESIGN.md §2), as the
 * backend consumes them. src/config.c fills it from the YAML file or from the
 * embedded default; every string is owned by the struct (profile_cleanup frees). */
#ifndef AFTOMATO_PROFILE_H
#define AFTOMATO_PROFILE_H

#include <stdbool.h>

enum profile_executor { PROFILE_EXEC_LOCAL, PROFILE_EXEC_KUBERNETES };
enum profile_store { PROFILE_STORE_LOCAL, PROFILE_STORE_AWS };

struct profile {
	char *name;        /* "local" when nothing chose another */
	char *config_path; /* the file it came from; NULL for the embedded default */
	char *theme;       /* top-level `theme`, default "default" */
	bool mouse;        /* top-level `mouse`, default false */

	enum profile_executor executor;
	enum profile_store store;
	char *build_scripts; /* absolute path of the build-scripts repository */
	char *data_dir;      /* absolute; default $XDG_DATA_HOME/aftomato */

	struct {
		char *kubeconfig; /* NULL: KUBECONFIG, then ~/.kube/config */
		char *context;    /* NULL: the kubeconfig's current-context */
		char *namespace_; /* default "aftomato" */
		char *credentials_secret; /* default "aftomato-aws-credentials" */
	} kubernetes;
	struct {
		char *profile; /* NULL: AWS_PROFILE, then "default" */
		char *region;  /* NULL: AWS_REGION, AWS_DEFAULT_REGION, profile region */
		char *endpoint_url;
		char *s3_endpoint_url;
		char *dynamodb_endpoint_url;
	} aws;
	struct {
		char *artifacts_bucket; /* default "aftomato-build-artifacts" */
		char *logs_bucket;      /* default "aftomato-console-logs" */
	} s3;
	struct {
		char *table; /* default "aftomato-build-metadata" */
		char *index; /* default "projectKey-buildTime-index" */
	} dynamodb;
};

/* Frees every string and zeroes the struct. */
void profile_cleanup(struct profile *p);

const char *profile_executor_name(enum profile_executor x);
const char *profile_store_name(enum profile_store s);

#endif
