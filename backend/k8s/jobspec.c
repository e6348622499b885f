#include "k8s/jobspec.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "profile.h"
#include "project.h"
#include "xmem.h"

#define HASH_HEX	 10
#define SCRIPT_MAX_BYTES (1u << 20) /* a ConfigMap holds at most 1 MiB */

void jobspec_job_name(const char *build_id, char *out)
{
	snprintf(out, JOBSPEC_NAME_MAX + 1, "aftomato-%.36s", build_id);
}

static bool s_is_id(const char *s)
{
	if (!s || strlen(s) != BUILD_ID_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f') && *p != '-')
			return false;
	return true;
}

bool jobspec_build_id(const json_t *obj, char out[BUILD_ID_LEN + 1])
{
	const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
	const char *id = json_string_value(json_object_get(labels, JOBSPEC_LABEL_BUILD_ID));
	if (!s_is_id(id))
		return false;
	memcpy(out, id, BUILD_ID_LEN + 1);
	return true;
}

static bool s_label_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

bool jobspec_label_value_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return true;
	if (n > JOBSPEC_NAME_MAX || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!s_label_char(s[i]))
			return false;
	return true;
}

static void s_hash_hex(const char *text, char *out, size_t n_hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL);
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n_hex && i / 2 < len; i++)
		out[i] = hex[(md[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[n_hex] = '\0';
}

/* Drops trailing characters that may not end a label value. */
static void s_trim_end(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && !isalnum((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

void jobspec_label_value(const char *text, char *out)
{
	size_t n = strlen(text);
	char *tmp = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (o == 0 && !isalnum((unsigned char)c))
			continue; /* must start with an alphanumeric */
		tmp[o++] = c == '/' ? '.' : s_label_char(c) ? c : '-';
	}
	tmp[o] = '\0';
	s_trim_end(tmp);
	if (strlen(tmp) <= JOBSPEC_NAME_MAX) {
		memcpy(out, tmp, strlen(tmp) + 1);
		free(tmp);
		return;
	}
	char hash[HASH_HEX + 1];
	s_hash_hex(text, hash, HASH_HEX);
	tmp[JOBSPEC_NAME_MAX - HASH_HEX - 1] = '\0';
	s_trim_end(tmp);
	snprintf(out, JOBSPEC_NAME_MAX + 1, "%s-%s", tmp, hash);
	free(tmp);
}

/* Kubernetes expands $(VAR) in env values; "$$" keeps a literal '$'. */
static json_t *s_env_value(const char *v)
{
	size_t n = 0;
	for (const char *p = v; *p; p++)
		n += *p == '$' ? 2 : 1;
	char *s = xmalloc(n + 1), *o = s;
	for (const char *p = v; *p; p++) {
		if (*p == '$')
			*o++ = '$';
		*o++ = *p;
	}
	*o = '\0';
	json_t *j = json_string(s);
	free(s);
	return j ? j : json_string("");
}

static void s_env_add(json_t *env, const char *name, const char *value)
{
	json_t *item = json_object();
	json_object_set_new(item, "name", json_string(name));
	json_object_set_new(item, "value", s_env_value(value));
	json_array_append_new(env, item);
}

static json_t *s_labels(const struct build *b)
{
	char project[JOBSPEC_NAME_MAX + 1], branch[JOBSPEC_NAME_MAX + 1];
	jobspec_label_value(b->project_key ? b->project_key : "", project);
	jobspec_label_value(b->branch ? b->branch : "", branch);
	return json_pack("{s:s, s:s, s:s, s:s}", JOBSPEC_LABEL_MANAGED, JOBSPEC_MANAGED_BY,
			 JOBSPEC_LABEL_BUILD_ID, b->id, JOBSPEC_LABEL_PROJECT, project,
			 JOBSPEC_LABEL_BRANCH, branch);
}

static json_t *s_annotations(const struct build *b)
{
	json_t *a = json_object();
	json_object_set_new(a, JOBSPEC_ANN_PROJECT,
			    json_string(b->project_key ? b->project_key : ""));
	json_object_set_new(a, JOBSPEC_ANN_BRANCH, json_string(b->branch ? b->branch : ""));
	if (b->triggered_by)
		json_object_set_new(a, "aftomato.io/triggered-by", json_string(b->triggered_by));
	if (b->retrigger_of)
		json_object_set_new(a, "aftomato.io/retrigger-of", json_string(b->retrigger_of));
	return a;
}

static json_t *s_metadata(const struct jobspec_input *in)
{
	char name[JOBSPEC_NAME_MAX + 1];
	jobspec_job_name(in->b->id, name);
	return json_pack("{s:s, s:s, s:o, s:o}", "name", name, "namespace", in->namespace_,
			 "labels", s_labels(in->b), "annotations", s_annotations(in->b));
}

static json_t *s_build_env(const struct jobspec_input *in)
{
	const struct build *b = in->b;
	const struct project *p = in->p;
	json_t *env = json_array();
	for (size_t i = 0; i < p->env_count; i++)
		s_env_add(env, p->env[i].name, p->env[i].value);
	s_env_add(env, "BUILD_ID", b->id);
	s_env_add(env, "PROJECT_KEY", b->project_key ? b->project_key : "");
	s_env_add(env, "BRANCH_TO_BUILD", b->branch ? b->branch : "");
	s_env_add(env, "ARTIFACTS_DIR", JOBSPEC_ARTIFACTS);
	s_env_add(env, "WORKSPACE", JOBSPEC_WORKSPACE);
	s_env_add(env, "AFTOMATO_BUILD_SCRIPT", JOBSPEC_MOUNT "/build.sh");
	s_env_add(env, "AFTOMATO_CONFIG", JOBSPEC_MOUNT "/config.yaml");
	return env;
}

static json_t *s_mount(const char *name, const char *path, bool read_only)
{
	json_t *m = json_pack("{s:s, s:s}", "name", name, "mountPath", path);
	if (read_only)
		json_object_set_new(m, "readOnly", json_true());
	return m;
}

static json_t *s_build_container(const struct jobspec_input *in)
{
	json_t *c = json_object();
	json_object_set_new(c, "name", json_string(JOBSPEC_CONTAINER));
	json_object_set_new(c, "image", json_string(in->p->build_image));
	json_object_set_new(c, "command", json_pack("[s]", JOBSPEC_ENTRYPOINT));
	json_object_set_new(c, "workingDir", json_string(JOBSPEC_WORKSPACE));
	json_object_set_new(c, "env", s_build_env(in));
	if (in->credentials_secret) {
		json_t *ref = json_pack("{s:s, s:b}", "name", in->credentials_secret, "optional",
					in->secret_optional);
		json_object_set_new(c, "envFrom", json_pack("[{s:o}]", "secretRef", ref));
	}
	if (in->p->resources)
		json_object_set(c, "resources", in->p->resources);
	json_t *mounts = json_array();
	json_array_append_new(mounts, s_mount("aftomato", JOBSPEC_MOUNT, true));
	json_array_append_new(mounts, s_mount("workspace", JOBSPEC_WORKSPACE, false));
	json_array_append_new(mounts, s_mount("artifacts", JOBSPEC_ARTIFACTS, false));
	json_object_set_new(c, "volumeMounts", mounts);
	return c;
}

static json_t *s_volumes(const struct jobspec_input *in)
{
	char name[JOBSPEC_NAME_MAX + 1];
	jobspec_job_name(in->b->id, name);
	json_t *cm = json_pack("{s:s, s:i}", "name", name, "defaultMode", 0555);
	return json_pack("[{s:s, s:o}, {s:s, s:{}}, {s:s, s:{}}]", "name", "aftomato", "configMap",
			 cm, "name", "workspace", "emptyDir", "name", "artifacts", "emptyDir");
}

static int s_containers(const struct jobspec_input *in, json_t **out, struct err *e)
{
	json_t *cs = json_array();
	json_array_append_new(cs, s_build_container(in));
	size_t i;
	json_t *sc;
	json_array_foreach(in->p->sidecars, i, sc)
	{
		const char *name = json_string_value(json_object_get(sc, "name"));
		if (name && strcmp(name, JOBSPEC_CONTAINER) == 0) {
			json_decref(cs);
			return err_set(e, ERR_CONFIG,
				       "%.200s: a sidecar may not be named '" JOBSPEC_CONTAINER
				       "' (the build container has that name)",
				       i < in->p->sidecar_count ? in->p->sidecar_paths[i]
								: "sidecar");
		}
		json_array_append(cs, sc);
	}
	*out = cs;
	return 0;
}

json_t *jobspec_job(const struct jobspec_input *in, struct err *e)
{
	if (!in->p->build_image || !*in->p->build_image) {
		err_set(e, ERR_CONFIG,
			"project %.200s has no buildImage in its descriptor: a "
			"Kubernetes build needs one",
			in->p->key);
		return NULL;
	}
	json_t *containers = NULL;
	if (s_containers(in, &containers, e) < 0)
		return NULL;
	json_t *pod = json_object();
	json_object_set_new(pod, "restartPolicy", json_string("Never"));
	json_object_set_new(pod, "enableServiceLinks", json_false());
	json_object_set_new(pod, "automountServiceAccountToken", json_false());
	if (in->termination_grace_s > 0)
		json_object_set_new(pod, "terminationGracePeriodSeconds",
				    json_integer(in->termination_grace_s));
	json_object_set_new(pod, "containers", containers);
	json_object_set_new(pod, "volumes", s_volumes(in));
	json_t *tmeta =
	    json_pack("{s:o, s:o}", "labels", s_labels(in->b), "annotations", s_annotations(in->b));
	json_t *spec = json_pack("{s:i, s:{s:o, s:o}}", "backoffLimit", 0, "template", "metadata",
				 tmeta, "spec", pod);
	if (in->p->timeout_seconds > 0)
		json_object_set_new(spec, "activeDeadlineSeconds",
				    json_integer(in->p->timeout_seconds));
	return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "batch/v1", "kind", "Job",
			 "metadata", s_metadata(in), "spec", spec);
}

static void s_set_str(json_t *obj, const char *key, const char *v)
{
	if (v)
		json_object_set_new(obj, key, json_string(v));
}

char *jobspec_pod_config(const struct profile *profile)
{
	bool aws = profile->store == PROFILE_STORE_AWS;
	json_t *p = json_object();
	json_object_set_new(p, "executor", json_string("local"));
	json_object_set_new(p, "store", json_string(aws ? "aws" : "local"));
	/* store local: the same directory (a cluster on this machine, as in tests) */
	json_object_set_new(
	    p, "data_dir",
	    json_string(aws || !profile->data_dir ? "/tmp/aftomato" : profile->data_dir));
	json_t *a = json_object();
	s_set_str(a, "region", profile->aws.region);
	s_set_str(a, "endpoint_url", profile->aws.endpoint_url);
	s_set_str(a, "s3_endpoint_url", profile->aws.s3_endpoint_url);
	s_set_str(a, "dynamodb_endpoint_url", profile->aws.dynamodb_endpoint_url);
	json_object_set_new(p, "aws", a);
	json_t *s3 = json_object();
	s_set_str(s3, "artifacts_bucket", profile->s3.artifacts_bucket);
	s_set_str(s3, "logs_bucket", profile->s3.logs_bucket);
	json_object_set_new(p, "s3", s3);
	json_t *ddb = json_object();
	s_set_str(ddb, "table", profile->dynamodb.table);
	s_set_str(ddb, "index", profile->dynamodb.index);
	json_object_set_new(p, "dynamodb", ddb);
	json_t *root = json_pack("{s:s, s:{s:o}}", "profile", "build", "profiles", "build", p);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	char *out = xasprintf("# aftomato configuration for `aftomato artifacts push` in the "
			      "build container\n%s\n",
			      text);
	free(text);
	return out;
}

json_t *jobspec_configmap(const struct jobspec_input *in, const char *job_uid, struct err *e)
{
	char *script = NULL;
	size_t len = 0;
	if (fsutil_read_all(in->p->script_path, SCRIPT_MAX_BYTES, &script, &len, e) < 0) {
		err_prefix(e, "build.sh of %.200s", in->p->key);
		return NULL;
	}
	json_t *data_script = json_stringn(script, len);
	free(script);
	if (!data_script) {
		err_set(e, ERR_CONFIG,
			"%.200s/build.sh is not UTF-8 text: a ConfigMap cannot carry "
			"it",
			in->p->key);
		return NULL;
	}
	char *config = jobspec_pod_config(in->profile);
	json_t *meta = s_metadata(in);
	/* blockOwnerDeletion is left out: setting it needs update on jobs/finalizers,
	 * which the console's Role does not grant. */
	if (job_uid) {
		char name[JOBSPEC_NAME_MAX + 1];
		jobspec_job_name(in->b->id, name);
		json_object_set_new(meta, "ownerReferences",
				    json_pack("[{s:s, s:s, s:s, s:s, s:b}]", "apiVersion",
					      "batch/v1", "kind", "Job", "name", name, "uid",
					      job_uid, "controller", 1));
	}
	json_t *cm =
	    json_pack("{s:s, s:s, s:o, s:{s:o, s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
		      "metadata", meta, "data", "build.sh", data_script, "config.yaml", config);
	free(config);
	return cm;
}
