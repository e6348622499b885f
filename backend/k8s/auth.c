#include "k8s/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "k8s/kubeconfig.h"
#include "k8s/ktime.h"
#include "timeutil.h"
#include "xmem.h"

extern char **environ;

#define OUT_MAX_BYTES	 (1u << 20)
#define ERR_KEEP_BYTES	 2048
#define EXPIRY_MARGIN_MS 5000
#define TOKEN_MAX_BYTES	 (64u * 1024u)

struct auth {
	/* static */
	char *token;
	char *token_file;
	struct kubeconfig_exec *exec; /* deep copy, or NULL */
	char *exec_info;	      /* KUBERNETES_EXEC_INFO */

	/* cached: tokenFile or exec credentials */
	char *cur_token;
	char *cur_cert, *cur_key;
	int64_t expires_ms; /* wall clock; 0: no expiry */
	bool have;
	struct timespec file_mtime;
	uint64_t gen;
	unsigned exec_runs;
};

static void s_secret_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static char **s_strv_dup(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	char **d = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static void s_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

struct auth *auth_new(const struct kubeconfig *k)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	a->token = xstrdup(k->token);
	a->token_file = xstrdup(k->token_file);
	a->gen = 1;
	if (k->exec) {
		struct kubeconfig_exec *x = xcalloc(1, sizeof(*x));
		x->api_version = xstrdup(k->exec->api_version);
		x->command = xstrdup(k->exec->command);
		x->args = s_strv_dup(k->exec->args);
		x->env = s_strv_dup(k->exec->env);
		x->install_hint = xstrdup(k->exec->install_hint);
		x->interactive_mode = xstrdup(k->exec->interactive_mode);
		x->provide_cluster_info = k->exec->provide_cluster_info;
		a->exec = x;
		json_t *spec = json_pack("{s:b}", "interactive", 0);
		if (x->provide_cluster_info && k->exec->cluster_info)
			json_object_set(spec, "cluster", k->exec->cluster_info);
		json_t *info = json_pack("{s:s, s:s, s:o}", "kind", "ExecCredential", "apiVersion",
					 x->api_version, "spec", spec);
		a->exec_info = json_dumps(info, JSON_COMPACT);
		json_decref(info);
	}
	return a;
}

static void s_forget(struct auth *a)
{
	s_secret_free(a->cur_token);
	s_secret_free(a->cur_cert);
	s_secret_free(a->cur_key);
	a->cur_token = a->cur_cert = a->cur_key = NULL;
	a->have = false;
	a->expires_ms = 0;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	s_forget(a);
	s_secret_free(a->token);
	free(a->token_file);
	if (a->exec) {
		free(a->exec->api_version);
		free(a->exec->command);
		s_strv_free(a->exec->args);
		s_strv_free(a->exec->env);
		free(a->exec->install_hint);
		free(a->exec->interactive_mode);
		free(a->exec);
	}
	free(a->exec_info);
	free(a);
}

unsigned auth_exec_runs(const struct auth *a)
{
	return a->exec_runs;
}

void auth_invalidate(struct auth *a, uint64_t gen)
{
	if (gen != a->gen)
		return; /* already refreshed since */
	s_forget(a);
	memset(&a->file_mtime, 0, sizeof(a->file_mtime));
	a->gen++;
}

/* --- tokenFile ------------------------------------------------------------ */

static int s_token_file(struct auth *a, struct err *e)
{
	struct stat st;
	if (stat(a->token_file, &st) < 0)
		return err_errno(e, errno, "cannot read the token file %.300s", a->token_file);
	if (a->have && st.st_mtim.tv_sec == a->file_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == a->file_mtime.tv_nsec)
		return 0;
	char *tok = NULL;
	if (fsutil_read_all(a->token_file, TOKEN_MAX_BYTES, &tok, NULL, e) < 0)
		return err_prefix(e, "token file");
	size_t n = strlen(tok);
	while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
		tok[--n] = '\0';
	if (a->have)
		a->gen++;
	s_forget(a);
	a->cur_token = tok;
	a->have = true;
	a->file_mtime = st.st_mtim;
	return 0;
}

/* --- exec plugin ------------------------------------------------------------ */

static char **s_plugin_env(const struct auth *a)
{
	size_t n = 0, m = 0;
	while (environ[n])
		n++;
	while (a->exec->env[m])
		m++;
	char **env = xcalloc(n + m + 2, sizeof(char *));
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) != 0)
			env[o++] = environ[i];
	for (size_t i = 0; i < m; i++)
		env[o++] = a->exec->env[i];
	env[o] = NULL;
	return env;
}

struct s_run {
	char *out;
	size_t out_len;
	char err[ERR_KEEP_BYTES];
	size_t err_len;
	int status;
};

static void s_read_into(int fd, struct s_run *r, bool is_out, bool *open)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*open = false;
		return;
	}
	if (is_out) {
		if (r->out_len + (size_t)n > OUT_MAX_BYTES)
			return;
		r->out = xrealloc(r->out, r->out_len + (size_t)n + 1);
		memcpy(r->out + r->out_len, buf, (size_t)n);
		r->out_len += (size_t)n;
		r->out[r->out_len] = '\0';
	} else {
		size_t room = sizeof(r->err) - 1 - r->err_len;
		size_t k = (size_t)n < room ? (size_t)n : room;
		memcpy(r->err + r->err_len, buf, k);
		r->err_len += k;
		r->err[r->err_len] = '\0';
	}
}

/* Runs the plugin, collecting stdout and the start of stderr. */
static int s_spawn(struct auth *a, struct s_run *r, struct err *e)
{
	int out[2] = {-1, -1}, errp[2] = {-1, -1};
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		err_errno(e, errno, "cannot run the credential plugin");
		goto fail;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	size_t nargs = 0;
	while (a->exec->args[nargs])
		nargs++;
	char **argv = xcalloc(nargs + 2, sizeof(char *));
	argv[0] = a->exec->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = a->exec->args[i];
	char **env = s_plugin_env(a);
	char *info = xasprintf("KUBERNETES_EXEC_INFO=%s", a->exec_info);
	size_t ne = 0;
	while (env[ne])
		ne++;
	env[ne] = info;
	pid_t pid;
	int rc = posix_spawnp(&pid, a->exec->command, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	free(env);
	free(info);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	if (rc != 0) {
		const char *hint = a->exec->install_hint;
		err_set(e, ERR_AUTH, "cannot run the credential plugin %.200s: %s%s%.200s%s",
			a->exec->command, strerror(rc), hint ? " (" : "", hint ? hint : "",
			hint ? ")" : "");
		goto fail;
	}
	a->exec_runs++;
	bool o_open = true, e_open = true;
	int64_t until = timeutil_mono_ms() + AUTH_EXEC_TIMEOUT_MS;
	while ((o_open || e_open) && timeutil_mono_ms() < until) {
		struct pollfd p[2] = {{.fd = o_open ? out[0] : -1, .events = POLLIN},
				      {.fd = e_open ? errp[0] : -1, .events = POLLIN}};
		if (poll(p, 2, (int)(until - timeutil_mono_ms())) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			s_read_into(out[0], r, true, &o_open);
		if (p[1].revents)
			s_read_into(errp[0], r, false, &e_open);
	}
	if (o_open || e_open) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		err_set(e, ERR_AUTH, "the credential plugin %.200s did not answer within %d s",
			a->exec->command, AUTH_EXEC_TIMEOUT_MS / 1000);
		goto fail;
	}
	while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
		;
	close(out[0]);
	close(errp[0]);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return -1;
}

/* The first non-empty line of the plugin's stderr, for messages. */
static const char *s_first_line(char *text)
{
	char *p = text;
	while (*p == '\n' || *p == '\r' || *p == ' ')
		p++;
	char *nl = strpbrk(p, "\r\n");
	if (nl)
		*nl = '\0';
	return p;
}

static int s_parse_credential(struct auth *a, const char *text, struct err *e)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	const char *cmd = a->exec->command;
	int rc = -1;
	if (!j) {
		err_set(e, ERR_AUTH,
			"the credential plugin %.200s printed no ExecCredential JSON "
			"(%.100s)",
			cmd, je.text);
		goto out;
	}
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const char *api = json_string_value(json_object_get(j, "apiVersion"));
	if (!kind || strcmp(kind, "ExecCredential") != 0 || !api ||
	    strcmp(api, a->exec->api_version) != 0) {
		err_set(e, ERR_AUTH,
			"the credential plugin %.200s answered %.60s %.100s, expected "
			"ExecCredential %.100s",
			cmd, kind ? kind : "(no kind)", api ? api : "", a->exec->api_version);
		goto out;
	}
	json_t *st = json_object_get(j, "status");
	const char *tok = json_string_value(json_object_get(st, "token"));
	const char *cert = json_string_value(json_object_get(st, "clientCertificateData"));
	const char *key = json_string_value(json_object_get(st, "clientKeyData"));
	const char *exp = json_string_value(json_object_get(st, "expirationTimestamp"));
	if (!tok && !(cert && key)) {
		err_set(e, ERR_AUTH,
			"the credential plugin %.200s returned neither a token nor a "
			"client certificate and key",
			cmd);
		goto out;
	}
	int64_t exp_ms = 0;
	if (exp && !(exp_ms = ktime_ms(exp))) {
		err_set(e, ERR_AUTH,
			"the credential plugin %.200s returned a bad "
			"expirationTimestamp '%.60s'",
			cmd, exp);
		goto out;
	}
	s_forget(a);
	a->cur_token = xstrdup(tok);
	a->cur_cert = xstrdup(cert);
	a->cur_key = xstrdup(key);
	a->expires_ms = exp_ms;
	a->have = true;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int s_exec(struct auth *a, struct err *e)
{
	if (strcmp(a->exec->interactive_mode, "Always") == 0)
		return err_set(e, ERR_AUTH,
			       "the credential plugin %.200s needs a terminal "
			       "(interactiveMode: Always); aftomato runs it without one",
			       a->exec->command);
	struct s_run r = {0};
	if (s_spawn(a, &r, e) < 0) {
		free(r.out);
		return -1;
	}
	int rc;
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		const char *why = s_first_line(r.err);
		if (WIFEXITED(r.status))
			err_set(e, ERR_AUTH,
				"the credential plugin %.200s failed (exit %d)%s%.300s",
				a->exec->command, WEXITSTATUS(r.status), *why ? ": " : "", why);
		else
			err_set(e, ERR_AUTH, "the credential plugin %.200s was killed by signal %d",
				a->exec->command, WTERMSIG(r.status));
		rc = -1;
	} else {
		rc = s_parse_credential(a, r.out ? r.out : "", e);
	}
	if (r.out) {
		memset(r.out, 0, r.out_len);
		free(r.out);
	}
	return rc;
}

static bool s_expired(const struct auth *a)
{
	return a->expires_ms > 0 && timeutil_wall_ms() + EXPIRY_MARGIN_MS >= a->expires_ms;
}

int auth_apply(struct auth *a, struct http_request *req, uint64_t *gen, struct err *e)
{
	const char *token = a->token, *cert = NULL, *key = NULL;
	if (a->exec) {
		if (!a->have || s_expired(a)) {
			if (a->have)
				a->gen++;
			if (s_exec(a, e) < 0)
				return -1;
		}
		token = a->cur_token;
		cert = a->cur_cert;
		key = a->cur_key;
	} else if (!token && a->token_file) {
		if (s_token_file(a, e) < 0)
			return -1;
		token = a->cur_token;
	}
	if (token) {
		char *h = xasprintf("Bearer %s", token);
		http_request_header(req, "Authorization", h);
		memset(h, 0, strlen(h));
		free(h);
	}
	if (cert && key) {
		s_secret_free(req->tls.cert_pem);
		s_secret_free(req->tls.key_pem);
		req->tls.cert_pem = xstrdup(cert);
		req->tls.key_pem = xstrdup(key);
	}
	if (gen)
		*gen = a->gen;
	return 0;
}
