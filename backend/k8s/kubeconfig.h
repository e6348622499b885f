/* kubeconfig: which cluster to talk to and as whom, read as kubectl reads it.
 *
 * Files: an explicit path (the profile's kubernetes.kubeconfig) is the only file
 * read and must exist; else every file of $KUBECONFIG (':'-separated; missing
 * ones are skipped) merged first-wins (the first file that defines a context,
 * cluster or user by a name, or sets current-context, wins); else
 * ~/.kube/config. With none of these and KUBERNETES_SERVICE_HOST set, the
 * in-cluster service account is used (token, ca.crt and namespace of
 * /var/run/secrets/kubernetes.io/serviceaccount).
 *
 * From the chosen context (the given one, else current-context): the cluster's
 * server, certificate-authority(-data), insecure-skip-tls-verify,
 * tls-server-name; the user's token, tokenFile, client-certificate(-data) and
 * client-key(-data), or exec plugin; the context's namespace. Relative paths
 * are relative to the file that names them. Errors are ERR_CONFIG and name
 * file:line:column where a value is wrong. */
#ifndef AFTOMATO_K8S_KUBECONFIG_H
#define AFTOMATO_K8S_KUBECONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "http.h"

#define KUBECONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* A credential plugin (users[].user.exec). */
struct kubeconfig_exec {
	char *api_version;	/* client.authentication.k8s.io/v1 or /v1beta1 */
	char *command;		/* resolved like kubectl: relative with '/' → file dir */
	char **args;		/* NULL-terminated */
	char **env;		/* "NAME=value", NULL-terminated */
	char *install_hint;	/* NULL when none */
	char *interactive_mode; /* Never, IfAvailable, Always (v1 requires it) */
	bool provide_cluster_info;
	json_t *cluster_info; /* spec.cluster of KUBERNETES_EXEC_INFO (owned) */
};

struct kubeconfig {
	char *source;  /* for messages: the file(s), or "in-cluster service account" */
	char *context; /* the context used ("" in-cluster) */
	char *cluster; /* its cluster and user names */
	char *user;
	char *server;		      /* without a trailing '/' */
	char *namespace_;	      /* the context's namespace, NULL when it sets none */
	struct http_tls tls;	      /* CA (file or PEM), static client cert/key PEM, insecure,
					 server name; owned */
	char *token;		      /* static bearer token, or NULL */
	char *token_file;	      /* re-read as it changes, or NULL */
	struct kubeconfig_exec *exec; /* or NULL */
	bool in_cluster;
};

struct kubeconfig_opts {
	const char *path;    /* explicit file; NULL: $KUBECONFIG, then ~/.kube/config */
	const char *context; /* NULL: current-context */
	const char *sa_dir;  /* NULL: KUBECONFIG_SA_DIR (tests point elsewhere) */
};

/* Loads the configuration into *out (zeroed first; the caller frees it with
 * kubeconfig_cleanup, also after a failure). */
int kubeconfig_load(const struct kubeconfig_opts *o, struct kubeconfig *out, struct err *e);

/* Same from one YAML document in memory (name is used in messages; relative
 * paths are relative to dir). For tests and tools. */
int kubeconfig_load_buffer(const char *name, const char *dir, const char *data, size_t len,
			   const char *context, struct kubeconfig *out, struct err *e);

void kubeconfig_cleanup(struct kubeconfig *k);

/* Copies the TLS settings (every string duplicated) into dst, which the
 * caller cleans up with http_request_free (as part of a request). */
void kubeconfig_tls_copy(const struct http_tls *src, struct http_tls *dst);

/* Decodes base64 (whitespace ignored) into a new NUL-terminated buffer; NULL
 * when the text is not base64. *len may be NULL. Caller frees. */
char *kubeconfig_base64_decode(const char *text, size_t *len);

#endif
