/* project: scanning a build-scripts repository and reading project descriptors
 * and sidecars (see project.h). Both descriptor formats are turned into one JSON
 * value and checked by one validator; for YAML the validator finds the node a
 * key path names to give line:column. */
#include "project.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "project_desc.h"

#define S_NAME_MAX	  100
#define S_NAME_CHARS	  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define S_MAX_SUGGESTIONS 3

/* ---- names ----------------------------------------------------------------- */

int project_name_check(const char *name, char *reason, size_t reason_len)
{
	const char *why = NULL;
	char buf[64];
	size_t bad = strspn(name, S_NAME_CHARS);
	if (!*name)
		why = "empty name";
	else if (name[0] == '.')
		why = "name starts with '.'";
	else if (strlen(name) > S_NAME_MAX)
		why = "name longer than 100 characters";
	else if (name[bad]) {
		unsigned char c = (unsigned char)name[bad];
		if (c >= 0x20 && c < 0x7f)
			snprintf(buf, sizeof(buf), "name contains '%c'", c);
		else
			snprintf(buf, sizeof(buf), "name contains byte 0x%02x", c);
		why = buf;
	}
	if (!why)
		return 0;
	if (reason && reason_len)
		snprintf(reason, reason_len,
			 "%s (allowed: A-Z a-z 0-9 . _ -, not starting with '.')", why);
	return -1;
}

int project_key_check(const char *key, struct err *e)
{
	const char *slash = strchr(key, '/');
	char team[S_NAME_MAX + 2], reason[160];
	if (!slash || strchr(slash + 1, '/'))
		return err_set(e, ERR_CONFIG,
			       "invalid project key '%.200s' (expected team/project)", key);
	size_t tlen = (size_t)(slash - key);
	if (tlen > S_NAME_MAX)
		tlen = S_NAME_MAX + 1; /* long enough to fail the check */
	memcpy(team, key, tlen);
	team[tlen] = '\0';
	if (project_name_check(team, reason, sizeof(reason)) < 0 ||
	    project_name_check(slash + 1, reason, sizeof(reason)) < 0)
		return err_set(e, ERR_CONFIG, "invalid project key '%.200s': %s", key, reason);
	return 0;
}

/* ---- small helpers --------------------------------------------------------- */

static char *s_join(const char *a, const char *b)
{
	char *out = NULL;
	if (asprintf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return out;
}

static bool s_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool s_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the entries of dir that do not start with '.'. Returns the
 * count or -1 (errno set). *out is a new array of new strings. */
static ssize_t s_list_dir(const char *dir, char ***out)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int saved = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn)
				goto nomem;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), s_cmp_str);
	*out = names;
	return (ssize_t)n;
nomem:
	saved = ENOMEM;
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	errno = saved;
	return -1;
}

static void s_free_names(char **names, ssize_t n)
{
	for (ssize_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

json_t *project_load_sidecar(const char *path, const char *name_for_msgs, struct err *e)
{
	return project_desc_sidecar(path, name_for_msgs ? name_for_msgs : path, e);
}

/* ---- loading one project --------------------------------------------------- */

/* Fills p for the project directory repo/key, which has a build.sh (or should).
 * Returns -1 with e filled when the project is broken. */
static int s_load_dir(const char *repo, const char *key, struct project *p, struct err *e)
{
	char **names = NULL;
	ssize_t n = -1;
	int rc = -1;
	if (!(p->key = strdup(key)) || !(p->dir = s_join(repo, key)) ||
	    !(p->script_path = s_join(p->dir, "build.sh")))
		return err_set(e, ERR_INTERNAL, "out of memory");
	struct stat st;
	if (stat(p->script_path, &st) < 0) {
		if (errno == ENOENT)
			return err_set(e, ERR_NOTFOUND, "%.300s/build.sh is missing", key);
		return err_errno(e, errno, "%.300s/build.sh", key);
	}
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_CONFIG, "%.300s/build.sh is not a regular file", key);
	if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		return err_set(e, ERR_CONFIG, "%.300s/build.sh is not executable (chmod +x)", key);
	if ((n = s_list_dir(p->dir, &names)) < 0)
		return err_errno(e, errno, "%.300s", key);
	bool has_json = false, has_yaml = false;
	for (ssize_t i = 0; i < n; i++) {
		has_json |= strcmp(names[i], "project.json") == 0;
		has_yaml |= strcmp(names[i], "project.yaml") == 0;
	}
	if (has_json && has_yaml) {
		err_set(e, ERR_CONFIG, "%.300s has both project.json and project.yaml (keep one)",
			key);
		goto out;
	}
	if (has_json || has_yaml) {
		const char *file = has_json ? "project.json" : "project.yaml";
		char shown[400];
		snprintf(shown, sizeof(shown), "%.300s/%s", key, file);
		if (!(p->descriptor_path = s_join(p->dir, file))) {
			err_set(e, ERR_INTERNAL, "out of memory");
			goto out;
		}
		if (project_desc_load(p->descriptor_path, shown, p, e) < 0)
			goto out;
	}
	rc = project_desc_sidecars(key, p, names, (size_t)n, e);
out:
	s_free_names(names, n);
	return rc;
}

void project_cleanup(struct project *p)
{
	if (!p)
		return;
	char *strs[] = {
	    p->key,	     p->dir,	  p->script_path,      p->descriptor_path,   p->build_image,
	    p->repo_manager, p->repo_url, p->repo_description, p->managed_ref_regex, p->error};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	for (size_t i = 0; i < p->env_count; i++) {
		free(p->env[i].name);
		free(p->env[i].value);
	}
	free(p->env);
	for (size_t i = 0; i < p->sidecar_count; i++)
		free(p->sidecar_paths[i]);
	free(p->sidecar_paths);
	json_decref(p->resources);
	json_decref(p->sidecars);
	memset(p, 0, sizeof(*p));
}

/* The absolute, canonical repository path (new string), or NULL with e filled. */
static char *s_repo_path(const char *repo, struct err *e)
{
	char *abs = realpath(repo, NULL);
	if (!abs) {
		err_errno(e, errno, "build-scripts repository %.300s", repo);
		return NULL;
	}
	if (!s_is_dir(abs)) {
		err_set(e, ERR_CONFIG, "build-scripts repository %.300s is not a directory", repo);
		free(abs);
		return NULL;
	}
	return abs;
}

/* ---- scanning -------------------------------------------------------------- */

static int s_skip(struct project_list *l, const char *team, const char *proj, const char *why)
{
	struct project_skip *s = realloc(l->skipped, (l->skipped_count + 1) * sizeof(*s));
	if (!s)
		return -1;
	l->skipped = s;
	s += l->skipped_count;
	s->reason = strdup(why);
	if (proj)
		s->path = s_join(team, proj);
	else
		s->path = strdup(team);
	if (!s->path || !s->reason) {
		free(s->path);
		free(s->reason);
		return -1;
	}
	l->skipped_count++;
	return 0;
}

static int s_add_project(struct project_list *l, const char *repo, const char *key)
{
	struct project *items = realloc(l->items, (l->count + 1) * sizeof(*items));
	if (!items)
		return -1;
	l->items = items;
	struct project *p = &items[l->count++];
	memset(p, 0, sizeof(*p));
	struct err pe = {0};
	if (s_load_dir(repo, key, p, &pe) < 0) {
		if (pe.code == ERR_INTERNAL && !p->key)
			return -1;
		/* keep what identifies the project, drop the rest */
		struct project keep = {.key = p->key, .dir = p->dir, .script_path = p->script_path};
		p->key = p->dir = p->script_path = NULL;
		project_cleanup(p);
		*p = keep;
		if (!(p->error = strdup(pe.msg)))
			return -1;
	}
	return 0;
}

/* Scans one team directory; -1 only on out of memory. */
static int s_scan_team(struct project_list *l, const char *repo, const char *team)
{
	char *tdir = s_join(repo, team);
	char **names = NULL;
	ssize_t n = tdir ? s_list_dir(tdir, &names) : -1;
	int rc = -1;
	if (n < 0) {
		rc = errno == ENOMEM ? -1 : s_skip(l, team, NULL, strerror(errno));
		goto out;
	}
	for (ssize_t i = 0; i < n; i++) {
		char *pdir = s_join(tdir, names[i]);
		char *script = pdir ? s_join(pdir, "build.sh") : NULL;
		bool is_dir = script && s_is_dir(pdir), has_script = script && s_exists(script);
		free(pdir);
		free(script);
		if (!is_dir)
			continue;
		char reason[160];
		int r = 0;
		if (!has_script)
			r = s_skip(l, team, names[i], "no build.sh");
		else if (project_name_check(names[i], reason, sizeof(reason)) < 0)
			r = s_skip(l, team, names[i], reason);
		else {
			char key[2 * S_NAME_MAX + 2];
			snprintf(key, sizeof(key), "%.100s/%.100s", team, names[i]);
			r = s_add_project(l, repo, key);
		}
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	s_free_names(names, n);
	free(tdir);
	return rc;
}

static int s_cmp_project(const void *a, const void *b)
{
	return strcmp(((const struct project *)a)->key, ((const struct project *)b)->key);
}

static int s_cmp_skip(const void *a, const void *b)
{
	return strcmp(((const struct project_skip *)a)->path,
		      ((const struct project_skip *)b)->path);
}

int project_scan(const char *repo, struct project_list *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	char *abs = s_repo_path(repo, e);
	if (!abs)
		return -1;
	char **teams = NULL;
	ssize_t n = s_list_dir(abs, &teams);
	int rc = -1;
	if (n < 0) {
		err_errno(e, errno, "build-scripts repository %.300s", repo);
		goto out;
	}
	for (ssize_t i = 0; i < n; i++) {
		char *tdir = s_join(abs, teams[i]);
		bool is_dir = tdir && s_is_dir(tdir);
		free(tdir);
		if (!is_dir)
			continue;
		char reason[160];
		int r = project_name_check(teams[i], reason, sizeof(reason)) < 0
			    ? s_skip(out, teams[i], NULL, reason)
			    : s_scan_team(out, abs, teams[i]);
		if (r < 0) {
			err_set(e, ERR_INTERNAL, "out of memory");
			goto out;
		}
	}
	if (out->count)
		qsort(out->items, out->count, sizeof(*out->items), s_cmp_project);
	if (out->skipped_count)
		qsort(out->skipped, out->skipped_count, sizeof(*out->skipped), s_cmp_skip);
	rc = 0;
out:
	s_free_names(teams, n);
	free(abs);
	if (rc < 0)
		project_list_cleanup(out);
	return rc;
}

void project_list_cleanup(struct project_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		project_cleanup(&list->items[i]);
	free(list->items);
	for (size_t i = 0; i < list->skipped_count; i++) {
		free(list->skipped[i].path);
		free(list->skipped[i].reason);
	}
	free(list->skipped);
	memset(list, 0, sizeof(*list));
}

/* ---- suggestions ----------------------------------------------------------- */

static size_t s_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 2 * S_NAME_MAX + 1 || lb > 2 * S_NAME_MAX + 1)
		return (size_t)-1;
	size_t row[2 * S_NAME_MAX + 3];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Appends " (did you mean a/b, c/d?)" to buf for keys of the repository close to
 * key (or with the same project name). Cheap: looks only at directory names. */
static void s_suggest(const char *repo, const char *key, char *buf, size_t len)
{
	const char *want_name = strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
	size_t limit = strlen(key) / 4 > 2 ? strlen(key) / 4 : 2, found = 0, used = 0;
	char **teams = NULL;
	ssize_t nt = s_list_dir(repo, &teams);
	buf[0] = '\0';
	for (ssize_t i = 0; i < nt && found < S_MAX_SUGGESTIONS; i++) {
		char *tdir = s_join(repo, teams[i]);
		char **names = NULL;
		ssize_t np = tdir ? s_list_dir(tdir, &names) : -1;
		for (ssize_t j = 0; j < np && found < S_MAX_SUGGESTIONS; j++) {
			char cand[2 * S_NAME_MAX + 2];
			snprintf(cand, sizeof(cand), "%.100s/%.100s", teams[i], names[j]);
			if (strcmp(names[j], want_name) != 0 && s_distance(cand, key) > limit)
				continue;
			int w = snprintf(buf + used, len - used, "%s%s",
					 found ? ", " : " (did you mean ", cand);
			if (w < 0 || (size_t)w >= len - used)
				break;
			used += (size_t)w;
			found++;
		}
		s_free_names(names, np);
		free(tdir);
	}
	s_free_names(teams, nt);
	if (found && used + 3 < len)
		snprintf(buf + used, len - used, "?)");
	else
		buf[0] = '\0';
}

int project_load(const char *repo, const char *key, struct project *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	char *abs = s_repo_path(repo, e);
	if (!abs)
		return -1;
	char hint[300];
	int rc = -1;
	struct err ke = {0};
	if (project_key_check(key, &ke) < 0) {
		s_suggest(abs, key, hint, sizeof(hint));
		if (!strchr(key, '/') && hint[0])
			err_set(e, ERR_NOTFOUND, "unknown project '%.100s'%s", key, hint);
		else if (e)
			*e = ke;
		goto out;
	}
	char *dir = s_join(abs, key);
	bool exists = dir && s_is_dir(dir);
	free(dir);
	if (!exists) {
		s_suggest(abs, key, hint, sizeof(hint));
		err_set(e, ERR_NOTFOUND, "unknown project '%.200s'%s", key, hint);
		goto out;
	}
	if (s_load_dir(abs, key, out, e) < 0) {
		project_cleanup(out);
		goto out;
	}
	rc = 0;
out:
	free(abs);
	return rc;
}
