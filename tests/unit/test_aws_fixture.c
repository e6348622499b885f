#include "test_aws_fixture.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/awscfg.h"
#include "aws/awsclient.h"
#include "err.h"
#include "evloop.h"
#include "timeutil.h"
#include "xmem.h"

#define SERVERS_DIR AFTOMATO_SOURCE_DIR "/tests/servers/aws"

static const char *const s_unset[] = {"AWS_PROFILE",
				      "AWS_DEFAULT_PROFILE",
				      "AWS_SESSION_TOKEN",
				      "AWS_SECURITY_TOKEN",
				      "AWS_ROLE_ARN",
				      "AWS_WEB_IDENTITY_TOKEN_FILE",
				      "AWS_ROLE_SESSION_NAME",
				      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
				      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
				      "AWS_CONTAINER_AUTHORIZATION_TOKEN",
				      "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
				      "AWS_ENDPOINT_URL",
				      "AWS_CA_BUNDLE",
				      "AWS_MAX_ATTEMPTS",
				      "AWS_EC2_METADATA_DISABLED",
				      "AWS_EXECUTION_ENV",
				      NULL};

int awsfx_env(const char *state_dir)
{
	for (int i = 0; s_unset[i]; i++)
		unsetenv(s_unset[i]);
	char path[600];
	snprintf(path, sizeof(path), "%s/env", state_dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "awsfx: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "export ", 7) != 0)
			continue;
		char *name = line + 7, *eq = strchr(name, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *v = eq + 1;
		size_t n = strcspn(v, "\n");
		v[n] = '\0';
		if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'') {
			v[n - 1] = '\0';
			v++;
		}
		setenv(name, v, 1);
	}
	fclose(f);
	return 0;
}

static int s_run(char *const argv[], const char *const *extra_env)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (int i = 0; extra_env && extra_env[i]; i++)
			putenv((char *)extra_env[i]);
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int awsfx_start(const char *name, const char *const *extra_env, char *state, size_t size)
{
	snprintf(state, size, "%s/aws-%s-%d", AFT_TEST_TMP, name, (int)getpid());
	char *argv[] = {SERVERS_DIR "/start.sh", state, NULL};
	if (s_run(argv, extra_env) < 0) {
		fprintf(stderr, "awsfx: start.sh %s failed\n", state);
		return -1;
	}
	return 0;
}

void awsfx_stop(const char *state_dir)
{
	char *argv[] = {SERVERS_DIR "/stop.sh", (char *)state_dir, NULL};
	s_run(argv, NULL);
	char *cmd = xasprintf("rm -rf '%s'", state_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "awsfx: cannot remove %s\n", state_dir);
	free(cmd);
}

struct s_buf {
	char *data;
	size_t len;
};

static size_t s_write(char *p, size_t size, size_t n, void *ud)
{
	struct s_buf *b = ud;
	b->data = xrealloc(b->data, b->len + size * n + 1);
	memcpy(b->data + b->len, p, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

json_t *awsfx_admin(const char *method, const char *path, const char *body)
{
	const char *admin = getenv("AFT_AWS_ADMIN_URL");
	if (!admin)
		return NULL;
	char *url = xasprintf("%s%s", admin, path);
	CURL *h = curl_easy_init();
	struct s_buf b = {0};
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	free(url);
	json_t *j = NULL;
	if (cc == CURLE_OK && status == 200 && b.data) {
		json_error_t je;
		j = json_loads(b.data, 0, &je);
	} else {
		fprintf(stderr, "awsfx: admin %s %s: %s (HTTP %ld) %s\n", method, path,
			curl_easy_strerror(cc), status, b.data ? b.data : "");
	}
	free(b.data);
	return j;
}

int awsfx_fault(const char *json)
{
	json_t *r = awsfx_admin("POST", "/faults", json);
	int id = r ? (int)json_integer_value(json_array_get(json_object_get(r, "ids"), 0)) : -1;
	json_decref(r);
	return id;
}

void awsfx_fault_delete(int id)
{
	char path[64];
	snprintf(path, sizeof(path), "/faults/%d", id);
	json_decref(awsfx_admin("DELETE", path, NULL));
}

json_t *awsfx_log_matching(const char *needle)
{
	json_t *all = awsfx_admin("GET", "/log", NULL), *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(all, i, e)
	{
		const char *p = json_string_value(json_object_get(e, "path"));
		if (p && strstr(p, needle))
			json_array_append(out, e);
	}
	json_decref(all);
	return out;
}

struct awsclient *awsfx_client(struct evloop *loop)
{
	struct awscfg cfg;
	struct err e = {0};
	if (awscfg_resolve(&cfg, NULL, &e) < 0) {
		fprintf(stderr, "awsfx: %s\n", e.msg);
		return NULL;
	}
	return awsclient_new(loop, &cfg);
}

int awsfx_run(struct evloop *loop, const int *flag, int timeout_ms)
{
	int64_t until = timeutil_mono_ms() + timeout_ms;
	while (!*flag && timeutil_mono_ms() < until)
		evloop_run_once(loop, 50);
	return *flag;
}

const char *awsfx_run_id(void)
{
	static char id[64];
	if (!id[0]) {
		unsigned r = 0;
		FILE *f = fopen("/dev/urandom", "r");
		if (f) {
			if (fread(&r, sizeof(r), 1, f) != 1)
				r = (unsigned)time(NULL);
			fclose(f);
		}
		snprintf(id, sizeof(id), "t%dx%u", (int)getpid(), r % 100000);
	}
	return id;
}

char *awsfx_random_file(const char *name, size_t size)
{
	char *path = xasprintf("%s/%s-%s", AFT_TEST_TMP, awsfx_run_id(), name);
	FILE *f = fopen(path, "w");
	uint64_t x = 88172645463325252ull ^ (uint64_t)size;
	for (size_t i = 0; f && i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fputc((int)(x & 0xff), f);
	}
	if (f)
		fclose(f);
	return path;
}

char *awsfx_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct s_buf b = {0};
	char buf[65536];
	size_t n;
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		s_write(buf, 1, n, &b);
	if (f)
		fclose(f);
	*len = b.len;
	return b.data ? b.data : xstrdup("");
}
