/* auth: the credentials requests to a cluster carry, from a kubeconfig user.
 *
 * A static token or client certificate is used as is. A tokenFile is re-read
 * when it changes (service account tokens rotate). An exec plugin
 * (ExecCredential client.authentication.k8s.io/v1 or v1beta1, this is how EKS
 * and GKE authenticate) is run with KUBERNETES_EXEC_INFO in its environment;
 * its token or client certificate is cached until its expirationTimestamp.
 *
 * When a request is answered 401, auth_invalidate forgets the credentials
 * that request used (exec: the plugin runs again for the next request;
 * tokenFile: it is read again). Requests already streaming keep their
 * connection, so a refresh never breaks a log stream.
 *
 * The plugin runs on the calling thread (the worker), with stdin closed and
 * a time limit; kubectl blocks in the same place. */
#ifndef AFTOMATO_K8S_AUTH_H
#define AFTOMATO_K8S_AUTH_H

#include <stdint.h>

#include "err.h"
#include "http.h"

struct kubeconfig;
struct auth;

#define AUTH_EXEC_TIMEOUT_MS 60000

/* Keeps copies of what it needs from k. Caller frees with auth_free. */
struct auth *auth_new(const struct kubeconfig *k);
void auth_free(struct auth *a);

/* Adds the credentials to req (Authorization header, client certificate) and
 * stores their generation in *gen for auth_invalidate. Runs the plugin or
 * reads the token file when needed; fails (ERR_AUTH, one line: the plugin's
 * message, its install hint) when no credentials can be had. */
int auth_apply(struct auth *a, struct http_request *req, uint64_t *gen, struct err *e);

/* A request that carried generation gen was refused (401): the next
 * auth_apply gets fresh credentials. Later generations are kept. */
void auth_invalidate(struct auth *a, uint64_t gen);

/* How many times the exec plugin ran (for tests and the status line). */
unsigned auth_exec_runs(const struct auth *a);

#endif
