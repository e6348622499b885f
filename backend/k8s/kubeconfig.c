#include "k8s/kubeconfig.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "xmem.h"
#include "ytree.h"

#define PEM_MAX_BYTES (1u << 20)

struct s_file {
	char *path;
	char *dir;
	struct ytree_doc *doc;
};

struct s_set {
	struct s_file *files;
	size_t n;
};

/* --- small helpers --------------------------------------------------------- */

char *kubeconfig_base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	char *clean = xmalloc(n + 1);
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)text[i]))
			clean[c++] = text[i];
	clean[c] = '\0';
	if (c % 4 != 0) {
		free(clean);
		return NULL;
	}
	unsigned char *out = xmalloc(c / 4 * 3 + 1);
	int got = c ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)c) : 0;
	if (got < 0) {
		free(clean);
		free(out);
		return NULL;
	}
	size_t pad = 0;
	if (c >= 1 && clean[c - 1] == '=')
		pad++;
	if (c >= 2 && clean[c - 2] == '=')
		pad++;
	free(clean);
	size_t real = (size_t)got - pad;
	out[real] = '\0';
	if (len)
		*len = real;
	return (char *)out;
}

static char *s_base64_encode(const char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
	return out;
}

void kubeconfig_tls_copy(const struct http_tls *src, struct http_tls *dst)
{
	dst->ca_file = xstrdup(src->ca_file);
	dst->ca_pem = xstrdup(src->ca_pem);
	dst->cert_pem = xstrdup(src->cert_pem);
	dst->key_pem = xstrdup(src->key_pem);
	dst->server_name = xstrdup(src->server_name);
	dst->insecure = src->insecure;
}

static char *s_resolve(const struct s_file *f, const char *path)
{
	if (path[0] == '/' || !f->dir)
		return xstrdup(path);
	if (path[0] == '~')
		return fsutil_expand_home(path);
	return xasprintf("%s/%s", f->dir, path);
}

static void s_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void s_exec_free(struct kubeconfig_exec *x)
{
	if (!x)
		return;
	free(x->api_version);
	free(x->command);
	s_strv_free(x->args);
	s_strv_free(x->env);
	free(x->install_hint);
	free(x->interactive_mode);
	json_decref(x->cluster_info);
	free(x);
}

void kubeconfig_cleanup(struct kubeconfig *k)
{
	if (!k)
		return;
	free(k->source);
	free(k->context);
	free(k->cluster);
	free(k->user);
	free(k->server);
	free(k->namespace_);
	free(k->tls.ca_file);
	free(k->tls.ca_pem);
	free(k->tls.cert_pem);
	if (k->tls.key_pem) {
		memset(k->tls.key_pem, 0, strlen(k->tls.key_pem));
		free(k->tls.key_pem);
	}
	free(k->tls.server_name);
	if (k->token) {
		memset(k->token, 0, strlen(k->token));
		free(k->token);
	}
	free(k->token_file);
	s_exec_free(k->exec);
	memset(k, 0, sizeof(*k));
}

/* An optional string value of map: NULL when absent or null. */
static int s_str(const struct ytree_node *map, const char *key, const char *what, const char **out,
		 struct err *e)
{
	*out = NULL;
	const struct ytree_node *v = ytree_map_get(map, key);
	if (!v || ytree_is_null(v))
		return 0;
	char w[160];
	snprintf(w, sizeof(w), "%.100s.%s", what, key);
	if (ytree_get_string(v, w, out, e) < 0)
		return -1;
	if (!**out)
		*out = NULL;
	return 0;
}

static int s_bool(const struct ytree_node *map, const char *key, const char *what, bool *out,
		  struct err *e)
{
	*out = false;
	const struct ytree_node *v = ytree_map_get(map, key);
	if (!v || ytree_is_null(v))
		return 0;
	char w[160];
	snprintf(w, sizeof(w), "%.100s.%s", what, key);
	return ytree_get_bool(v, w, out, e);
}

/* --- the set of files --------------------------------------------------------- */

static void s_set_cleanup(struct s_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].dir);
		ytree_doc_free(s->files[i].doc);
	}
	free(s->files);
	memset(s, 0, sizeof(*s));
}

static void s_set_add(struct s_set *s, const char *path, const char *dir, struct ytree_doc *doc)
{
	s->files = xrealloc(s->files, (s->n + 1) * sizeof(*s->files));
	s->files[s->n++] = (struct s_file){xstrdup(path), xstrdup(dir), doc};
}

static int s_add_file(struct s_set *s, const char *path, bool must_exist, struct err *e)
{
	struct ytree_doc *doc = NULL;
	struct err le = {0};
	if (ytree_load_file(path, NULL, &doc, &le) < 0) {
		if (le.code == ERR_NOTFOUND && !must_exist)
			return 0;
		*e = le;
		if (e->code == ERR_NOTFOUND)
			err_set(e, ERR_CONFIG, "kubeconfig %.300s does not exist", path);
		return -1;
	}
	if (doc->root && !ytree_is_null(doc->root) &&
	    ytree_expect_map(doc->root, "the kubeconfig", e) < 0) {
		ytree_doc_free(doc);
		return -1;
	}
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (!dir[0])
		strcpy(dir, "/");
	s_set_add(s, path, dir, doc);
	free(dir);
	return 0;
}

static char *s_set_source(const struct s_set *s)
{
	size_t len = 1;
	for (size_t i = 0; i < s->n; i++)
		len += strlen(s->files[i].path) + 1;
	char *out = xcalloc(1, len);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			strcat(out, ":");
		strcat(out, s->files[i].path);
	}
	return out;
}

/* Looks up the entry `name` of a named list (clusters, users, contexts) across
 * the files, first file first; *value is its `field` mapping. 0 found, 1 not
 * found, -1 error. */
static int s_find_named(const struct s_set *s, const char *section, const char *field,
			const char *name, const struct ytree_node **value,
			const struct s_file **from, struct err *e)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ytree_node *root = s->files[i].doc->root;
		const struct ytree_node *list = ytree_map_get(root, section);
		if (!list || ytree_is_null(list))
			continue;
		if (ytree_expect_seq(list, section, e) < 0)
			return -1;
		for (size_t j = 0; j < list->nitems; j++) {
			const struct ytree_node *item = list->items[j];
			const char *n = NULL;
			if (ytree_expect_map(item, section, e) < 0 ||
			    s_str(item, "name", section, &n, e) < 0)
				return -1;
			if (!n || strcmp(n, name) != 0)
				continue;
			const struct ytree_node *v = ytree_map_get(item, field);
			if (!v || ytree_is_null(v))
				return ytree_error(e, item, "%s '%.100s' has no %s", section, name,
						   field);
			char w[160];
			snprintf(w, sizeof(w), "%s '%.100s'", section, name);
			if (ytree_expect_map(v, w, e) < 0)
				return -1;
			*value = v;
			*from = &s->files[i];
			return 0;
		}
	}
	return 1;
}

static void s_names(const struct s_set *s, const char *section, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n; i++) {
		const struct ytree_node *list = ytree_map_get(s->files[i].doc->root, section);
		for (size_t j = 0; list && list->kind == YTREE_SEQ && j < list->nitems; j++) {
			const struct ytree_node *n = ytree_map_get(list->items[j], "name");
			if (n && n->kind == YTREE_SCALAR && used + 4 < size)
				used += (size_t)snprintf(buf + used, size - used, "%s%.60s",
							 used ? ", " : "", n->value);
		}
	}
	if (!buf[0])
		snprintf(buf, size, "none");
}

/* --- cluster, user, exec ------------------------------------------------------ */

static int s_read_pem_file(const char *path, const char *what, char **out, struct err *e)
{
	if (fsutil_read_all(path, PEM_MAX_BYTES, out, NULL, e) < 0)
		return err_prefix(e, "%s", what);
	return 0;
}

static int s_decode_data(const struct ytree_node *map, const char *key, const char *what,
			 char **out, struct err *e)
{
	const char *v;
	if (s_str(map, key, what, &v, e) < 0)
		return -1;
	if (!v)
		return 0;
	*out = kubeconfig_base64_decode(v, NULL);
	if (!*out)
		return ytree_error(e, ytree_map_get(map, key), "%.100s.%s: not valid base64", what,
				   key);
	return 0;
}

static int s_cluster(struct kubeconfig *k, const struct ytree_node *c, const struct s_file *f,
		     struct err *e)
{
	const char *what = "cluster";
	const char *server, *ca, *sni;
	if (s_str(c, "server", what, &server, e) < 0 ||
	    s_str(c, "certificate-authority", what, &ca, e) < 0 ||
	    s_str(c, "tls-server-name", what, &sni, e) < 0 ||
	    s_bool(c, "insecure-skip-tls-verify", what, &k->tls.insecure, e) < 0 ||
	    s_decode_data(c, "certificate-authority-data", what, &k->tls.ca_pem, e) < 0)
		return -1;
	if (!server)
		return ytree_error(e, c, "cluster '%.100s' has no server", k->cluster);
	if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
		return ytree_error(e, ytree_map_get(c, "server"),
				   "cluster '%.100s': server '%.200s' is not an http(s) URL",
				   k->cluster, server);
	k->server = xstrdup(server);
	size_t n = strlen(k->server);
	while (n > 0 && k->server[n - 1] == '/')
		k->server[--n] = '\0';
	if (ca && !k->tls.ca_pem)
		k->tls.ca_file = s_resolve(f, ca);
	k->tls.server_name = xstrdup(sni);
	return 0;
}

static char **s_strv(const struct ytree_node *seq, const char *what, bool env, struct err *e)
{
	size_t n = seq && !ytree_is_null(seq) ? seq->nitems : 0;
	if (seq && !ytree_is_null(seq) && ytree_expect_seq(seq, what, e) < 0)
		return NULL;
	char **v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *s = NULL, *val = NULL;
		int rc = env ? s_str(seq->items[i], "name", what, &s, e) |
				   s_str(seq->items[i], "value", what, &val, e)
			     : ytree_get_string(seq->items[i], what, &s, e);
		if (rc < 0 || (env && !s)) {
			if (rc == 0)
				ytree_error(e, seq->items[i], "%s: an entry has no name", what);
			s_strv_free(v);
			return NULL;
		}
		v[i] = env ? xasprintf("%s=%s", s, val ? val : "") : xstrdup(s);
	}
	return v;
}

static json_t *s_cluster_info(const struct kubeconfig *k, const struct ytree_node *c)
{
	json_t *ci = json_object();
	json_object_set_new(ci, "server", json_string(k->server));
	if (k->tls.server_name)
		json_object_set_new(ci, "tls-server-name", json_string(k->tls.server_name));
	if (k->tls.insecure)
		json_object_set_new(ci, "insecure-skip-tls-verify", json_true());
	char *ca = k->tls.ca_pem ? xstrdup(k->tls.ca_pem) : NULL;
	if (!ca && k->tls.ca_file)
		fsutil_read_all(k->tls.ca_file, PEM_MAX_BYTES, &ca, NULL, NULL);
	if (ca) {
		char *b64 = s_base64_encode(ca, strlen(ca));
		json_object_set_new(ci, "certificate-authority-data", json_string(b64));
		free(b64);
		free(ca);
	}
	/* extensions: [{name: client.authentication.k8s.io/exec, extension: {...}}] */
	const struct ytree_node *ext = ytree_map_get(c, "extensions");
	for (size_t i = 0; ext && ext->kind == YTREE_SEQ && i < ext->nitems; i++) {
		const struct ytree_node *n = ytree_map_get(ext->items[i], "name");
		if (n && n->kind == YTREE_SCALAR &&
		    strcmp(n->value, "client.authentication.k8s.io/exec") == 0) {
			json_t *cfg =
			    ytree_to_json(ytree_map_get(ext->items[i], "extension"), NULL);
			if (cfg)
				json_object_set_new(ci, "config", cfg);
		}
	}
	return ci;
}

static int s_exec(struct kubeconfig *k, const struct ytree_node *x, const struct ytree_node *c,
		  const struct s_file *f, struct err *e)
{
	const char *what = "user.exec";
	const char *api, *cmd, *hint, *mode;
	if (ytree_expect_map(x, what, e) < 0 || s_str(x, "apiVersion", what, &api, e) < 0 ||
	    s_str(x, "command", what, &cmd, e) < 0 || s_str(x, "installHint", what, &hint, e) < 0 ||
	    s_str(x, "interactiveMode", what, &mode, e) < 0)
		return -1;
	if (!cmd)
		return ytree_error(e, x, "user '%.100s': exec has no command", k->user);
	if (!api || (strcmp(api, "client.authentication.k8s.io/v1") != 0 &&
		     strcmp(api, "client.authentication.k8s.io/v1beta1") != 0))
		return ytree_error(e, api ? ytree_map_get(x, "apiVersion") : x,
				   "user '%.100s': exec apiVersion '%.100s' is not supported (use "
				   "client.authentication.k8s.io/v1 or v1beta1)",
				   k->user, api ? api : "");
	if (strcmp(api, "client.authentication.k8s.io/v1") == 0 && !mode)
		return ytree_error(e, x,
				   "user '%.100s': exec interactiveMode must be set for "
				   "client.authentication.k8s.io/v1",
				   k->user);
	if (mode && strcmp(mode, "Never") != 0 && strcmp(mode, "IfAvailable") != 0 &&
	    strcmp(mode, "Always") != 0)
		return ytree_error(e, ytree_map_get(x, "interactiveMode"),
				   "user '%.100s': exec interactiveMode '%.60s' is not one of "
				   "Never, IfAvailable, Always",
				   k->user, mode);
	struct kubeconfig_exec *ex = xcalloc(1, sizeof(*ex));
	k->exec = ex;
	ex->api_version = xstrdup(api);
	ex->command = strchr(cmd, '/') ? s_resolve(f, cmd) : xstrdup(cmd);
	ex->install_hint = xstrdup(hint);
	ex->interactive_mode = xstrdup(mode ? mode : "IfAvailable");
	if (s_bool(x, "provideClusterInfo", what, &ex->provide_cluster_info, e) < 0 ||
	    !(ex->args = s_strv(ytree_map_get(x, "args"), "user.exec.args", false, e)) ||
	    !(ex->env = s_strv(ytree_map_get(x, "env"), "user.exec.env", true, e)))
		return -1;
	ex->cluster_info = s_cluster_info(k, c);
	return 0;
}

static int s_user(struct kubeconfig *k, const struct ytree_node *u, const struct s_file *uf,
		  const struct ytree_node *c, struct err *e)
{
	const char *what = "user";
	const char *token, *token_file, *cert, *key;
	if (ytree_map_get(u, "auth-provider"))
		return ytree_error(e, ytree_map_get(u, "auth-provider"),
				   "user '%.100s': auth-provider is not supported (kubectl removed "
				   "it too); use an exec credential plugin",
				   k->user);
	if (ytree_map_get(u, "username") || ytree_map_get(u, "password"))
		return ytree_error(e, u,
				   "user '%.100s': basic authentication (username/password) "
				   "is not supported",
				   k->user);
	if (s_str(u, "token", what, &token, e) < 0 ||
	    s_str(u, "tokenFile", what, &token_file, e) < 0 ||
	    s_str(u, "client-certificate", what, &cert, e) < 0 ||
	    s_str(u, "client-key", what, &key, e) < 0 ||
	    s_decode_data(u, "client-certificate-data", what, &k->tls.cert_pem, e) < 0 ||
	    s_decode_data(u, "client-key-data", what, &k->tls.key_pem, e) < 0)
		return -1;
	k->token = xstrdup(token);
	if (token_file && !token)
		k->token_file = s_resolve(uf, token_file);
	if (cert && !k->tls.cert_pem) {
		char *p = s_resolve(uf, cert);
		int rc = s_read_pem_file(p, "client-certificate", &k->tls.cert_pem, e);
		free(p);
		if (rc < 0)
			return -1;
	}
	if (key && !k->tls.key_pem) {
		char *p = s_resolve(uf, key);
		int rc = s_read_pem_file(p, "client-key", &k->tls.key_pem, e);
		free(p);
		if (rc < 0)
			return -1;
	}
	if (!k->tls.cert_pem != !k->tls.key_pem)
		return ytree_error(e, u,
				   "user '%.100s': a client certificate needs both "
				   "client-certificate and client-key",
				   k->user);
	const struct ytree_node *x = ytree_map_get(u, "exec");
	if (x && !ytree_is_null(x))
		return s_exec(k, x, c, uf, e);
	return 0;
}

/* --- the chosen context -------------------------------------------------------- */

static int s_current_context(const struct s_set *s, const char **out, struct err *e)
{
	*out = NULL;
	for (size_t i = 0; i < s->n && !*out; i++)
		if (s_str(s->files[i].doc->root, "current-context", "kubeconfig", out, e) < 0)
			return -1;
	return 0;
}

static int s_resolve_context(const struct s_set *s, const char *want, struct kubeconfig *k,
			     struct err *e)
{
	const char *name = want;
	if (!name && s_current_context(s, &name, e) < 0)
		return -1;
	if (!name)
		return err_set(e, ERR_CONFIG,
			       "kubeconfig %.300s sets no current-context; name one "
			       "with kubernetes.context",
			       k->source);
	const struct ytree_node *ctx, *cl, *us = NULL;
	const struct s_file *cf, *clf, *uf = NULL;
	char names[300];
	int rc = s_find_named(s, "contexts", "context", name, &ctx, &cf, e);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		s_names(s, "contexts", names, sizeof(names));
		return err_set(e, ERR_CONFIG,
			       "context '%.100s' is not defined in kubeconfig %.200s "
			       "(contexts: %s)",
			       name, k->source, names);
	}
	k->context = xstrdup(name);
	const char *cluster, *user, *ns;
	if (s_str(ctx, "cluster", "context", &cluster, e) < 0 ||
	    s_str(ctx, "user", "context", &user, e) < 0 ||
	    s_str(ctx, "namespace", "context", &ns, e) < 0)
		return -1;
	if (!cluster)
		return ytree_error(e, ctx, "context '%.100s' names no cluster", name);
	k->cluster = xstrdup(cluster);
	k->user = xstrdup(user ? user : "");
	k->namespace_ = xstrdup(ns);
	rc = s_find_named(s, "clusters", "cluster", cluster, &cl, &clf, e);
	if (rc != 0)
		return rc < 0 ? -1
			      : ytree_error(e, ytree_map_get(ctx, "cluster"),
					    "context '%.100s' names cluster '%.100s', which "
					    "is not defined",
					    name, cluster);
	if (s_cluster(k, cl, clf, e) < 0)
		return -1;
	if (!user)
		return 0;
	rc = s_find_named(s, "users", "user", user, &us, &uf, e);
	if (rc != 0)
		return rc < 0 ? -1
			      : ytree_error(e, ytree_map_get(ctx, "user"),
					    "context '%.100s' names user '%.100s', which is "
					    "not defined",
					    name, user);
	return s_user(k, us, uf, cl, e);
}

/* --- in-cluster ---------------------------------------------------------------- */

static int s_in_cluster(const char *sa_dir, struct kubeconfig *k, struct err *e)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	if (!port || !*port)
		port = "443";
	k->in_cluster = true;
	k->source = xstrdup("in-cluster service account");
	k->context = xstrdup("");
	k->cluster = xstrdup("in-cluster");
	k->user = xstrdup("serviceaccount");
	k->server = strchr(host, ':') ? xasprintf("https://[%s]:%s", host, port)
				      : xasprintf("https://%s:%s", host, port);
	k->token_file = xasprintf("%s/token", sa_dir);
	k->tls.ca_file = xasprintf("%s/ca.crt", sa_dir);
	if (!fsutil_exists(k->token_file))
		return err_set(e, ERR_CONFIG,
			       "in-cluster configuration: %.300s does not exist (no "
			       "service account token mounted)",
			       k->token_file);
	char *ns_path = xasprintf("%s/namespace", sa_dir);
	char *ns = NULL;
	if (fsutil_read_all(ns_path, 4096, &ns, NULL, NULL) == 0) {
		size_t n = strlen(ns);
		while (n > 0 && isspace((unsigned char)ns[n - 1]))
			ns[--n] = '\0';
		k->namespace_ = n ? ns : NULL;
		if (!n)
			free(ns);
	}
	free(ns_path);
	return 0;
}

/* --- entry points -------------------------------------------------------------- */

static int s_collect(const struct kubeconfig_opts *o, struct s_set *s, struct err *e)
{
	if (o->path)
		return s_add_file(s, o->path, true, e);
	const char *env = getenv("KUBECONFIG");
	if (env && *env) {
		char *list = xstrdup(env);
		char *save = NULL;
		int rc = 0;
		for (char *p = strtok_r(list, ":", &save); p && rc == 0;
		     p = strtok_r(NULL, ":", &save))
			rc = s_add_file(s, p, false, e);
		free(list);
		return rc;
	}
	char *def = fsutil_expand_home("~/.kube/config");
	int rc = s_add_file(s, def, false, e);
	free(def);
	return rc;
}

int kubeconfig_load(const struct kubeconfig_opts *o, struct kubeconfig *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	struct s_set s = {0};
	int rc = -1;
	if (s_collect(o, &s, e) < 0)
		goto out;
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	if (s.n == 0) {
		if (host && *host && !o->path) {
			rc = s_in_cluster(o->sa_dir ? o->sa_dir : KUBECONFIG_SA_DIR, out, e);
			goto out;
		}
		const char *env = getenv("KUBECONFIG");
		err_set(e, ERR_CONFIG,
			"no kubeconfig found (%.300s); set kubernetes.kubeconfig "
			"in the profile or KUBECONFIG",
			env && *env ? env : "~/.kube/config");
		goto out;
	}
	out->source = s_set_source(&s);
	rc = s_resolve_context(&s, o->context, out, e);
out:
	s_set_cleanup(&s);
	return rc;
}

int kubeconfig_load_buffer(const char *name, const char *dir, const char *data, size_t len,
			   const char *context, struct kubeconfig *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	struct ytree_doc *doc = NULL;
	if (ytree_load_buffer(name, data, len, &doc, e) < 0)
		return -1;
	if (doc->root && ytree_expect_map(doc->root, "the kubeconfig", e) < 0) {
		ytree_doc_free(doc);
		return -1;
	}
	struct s_set s = {0};
	s_set_add(&s, name, dir, doc);
	out->source = xstrdup(name);
	int rc = s_resolve_context(&s, context, out, e);
	s_set_cleanup(&s);
	return rc;
}
