/* project: the build-scripts repository (DESIGN.md §1).
 *
 * A repository is a directory laid out <team>/<project>/ with
 *   build.sh                        the build (must be executable),
 *   project.json | project.yaml     the descriptor (optional; both is an error),
 *   *-sidecar.json | *-sidecar.yaml extra containers run beside the build.
 * The project key is "team/project". Team and project names are restricted to
 * [A-Za-z0-9._-] and may not start with '.'; other directories are skipped (with
 * a reason callers can show). Directories whose name starts with '.' are skipped
 * silently (.git and the like).
 *
 * Descriptor keys (unknown keys are ignored, the original system's descriptors
 * carry more): buildImage, repoManager, repoUrl, repoDescription,
 * managedRefRegex (strings), timeoutSeconds (integer >= 0, 0 = no limit),
 * resources ({requests: {...}, limits: {...}}, each a map of strings/numbers),
 * env (a map NAME: value, or a list of {name, value}; values are strings,
 * numbers or booleans, kept as text).
 *
 * Messages name files relative to the repository ("team/x/project.yaml:3:17:
 * ..."); for YAML they carry line:column, for JSON jansson's line:column on a
 * syntax error and the key path ("env[2].name") on a type error. */
#ifndef AFTOMATO_PROJECT_H
#define AFTOMATO_PROJECT_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct project_env {
	char *name;
	char *value;
};

struct project {
	char *key;	       /* "team/project" */
	char *dir;	       /* absolute directory of the project */
	char *script_path;     /* absolute path of build.sh */
	char *descriptor_path; /* absolute path of project.json/.yaml, NULL if none */

	/* from the descriptor; NULL when absent */
	char *build_image;
	char *repo_manager;
	char *repo_url;
	char *repo_description;
	char *managed_ref_regex;
	long long timeout_seconds; /* 0 = no limit */
	json_t *resources;	   /* NULL or an object {"requests":{..},"limits":{..}} (owned) */

	struct project_env *env; /* in descriptor order */
	size_t env_count;

	char **sidecar_paths; /* absolute, sorted by file name */
	size_t sidecar_count;
	json_t *sidecars; /* array of container objects, same order as sidecar_paths
			     (owned); NULL when there are none or the project is broken */

	/* NULL when the project is usable; else one line saying what is wrong
	 * (e.g. "team/x/build.sh is not executable (chmod +x)"). Only project_scan
	 * returns broken projects; project_load fails on them instead. */
	char *error;
};

/* A directory that is not a project, with the reason (for `projects` to show). */
struct project_skip {
	char *path;   /* relative to the repository, e.g. "team/bad name" */
	char *reason; /* e.g. "name contains ' ' (allowed: A-Z a-z 0-9 . _ -)" */
};

struct project_list {
	struct project *items; /* sorted by key */
	size_t count;
	struct project_skip *skipped; /* sorted by path */
	size_t skipped_count;
};

/* Scans the repository at repo (a directory). Every directory <team>/<project>
 * with a build.sh is a project; broken ones are included with their error set.
 * Fails only when the repository itself cannot be read (ERR_NOTFOUND / ERR_IO).
 * On success *out is filled; the caller frees it with project_list_cleanup. */
int project_scan(const char *repo, struct project_list *out, struct err *e);

/* Frees everything in the list and zeroes it. */
void project_list_cleanup(struct project_list *list);

/* Loads one project by key. Fails with ERR_NOTFOUND for an unknown project
 * (the message suggests close matches: "unknown project 'team/fo' (did you mean
 * team/foo?)") or a missing build.sh, with ERR_CONFIG for an invalid key, a
 * non-executable build.sh, a bad descriptor or a bad sidecar. On success *out is
 * filled (error == NULL); the caller frees it with project_cleanup. On failure
 * *out is zeroed. */
int project_load(const char *repo, const char *key, struct project *out, struct err *e);

/* Frees every member and zeroes the struct. */
void project_cleanup(struct project *p);

/* Loads a sidecar file (JSON or YAML by extension) as a Kubernetes container
 * object; it must be a mapping with string `name` and `image`. name_for_msgs is
 * used in messages instead of path when not NULL. Returns a new reference, or
 * NULL with e filled. */
json_t *project_load_sidecar(const char *path, const char *name_for_msgs, struct err *e);

/* Whether name is a valid team or project name; when not and reason is not NULL,
 * writes why (one line) into reason (reason_len bytes). */
int project_name_check(const char *name, char *reason, size_t reason_len);

/* Checks that key is "team/project" with two valid names. 0 or -1 (ERR_CONFIG). */
int project_key_check(const char *key, struct err *e);

#endif
