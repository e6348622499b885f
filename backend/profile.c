#include "profile.h"

#include <stdlib.h>
#include <string.h>

void profile_cleanup(struct profile *p)
{
	if (!p)
		return;
	char **strs[] = {
		&p->name,
		&p->config_path,
		&p->theme,
		&p->build_scripts,
		&p->data_dir,
		&p->kubernetes.kubeconfig,
		&p->kubernetes.context,
		&p->kubernetes.namespace_,
		&p->kubernetes.credentials_secret,
		&p->aws.profile,
		&p->aws.region,
		&p->aws.endpoint_url,
		&p->aws.s3_endpoint_url,
		&p->aws.dynamodb_endpoint_url,
		&p->s3.artifacts_bucket,
		&p->s3.logs_bucket,
		&p->dynamodb.table,
		&p->dynamodb.index,
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	memset(p, 0, sizeof(*p));
}

const char *profile_executor_name(enum profile_executor x)
{
	return x == PROFILE_EXEC_KUBERNETES ? "kubernetes" : "local";
}

const char *profile_store_name(enum profile_store s)
{
	return s == PROFILE_STORE_AWS ? "aws" : "local";
}
