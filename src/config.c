/* config: the YAML configuration file into a struct profile (see config.h). The
 * profile keys are described by one table (s_fields) that drives parsing, the
 * unknown-key check and the defaults. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ytree.h"

#ifndef AFTOMATO_SOURCE_DIR
#define AFTOMATO_SOURCE_DIR "."
#endif
#ifndef AFTOMATO_INSTALL_DATADIR
#define AFTOMATO_INSTALL_DATADIR "/usr/share/aftomato"
#endif

#define S_WHAT_MAX 200

/* ---- paths ----------------------------------------------------------------- */

static const char *s_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* $HOME, else the password database; NULL when neither knows. */
static const char *s_home(void)
{
	const char *h = s_env("HOME");
	if (h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
}

static bool s_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Normalises an absolute path in place: no "//", "." or ".." components and no
 * trailing '/' (except for "/" itself). */
static void s_normalize(char *path)
{
	char *out = path; /* write position; path[0] is '/' */
	const char *in = path;
	while (*in) {
		while (*in == '/')
			in++;
		const char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

char *config_expand_path(const char *path, const char *base_dir, struct err *e)
{
	char *out = NULL;
	char cwd[PATH_MAX];
	if (!path || !*path) {
		err_set(e, ERR_CONFIG, "empty path");
		return NULL;
	}
	if (path[0] == '~') {
		if (path[1] && path[1] != '/') {
			err_set(e, ERR_CONFIG, "%.200s: ~user paths are not supported", path);
			return NULL;
		}
		const char *home = s_home();
		if (!home) {
			err_set(e, ERR_CONFIG, "%.200s: HOME is not set", path);
			return NULL;
		}
		if (asprintf(&out, "%s/%s", home, path + 1) < 0)
			out = NULL;
	} else if (path[0] == '/') {
		out = strdup(path);
	} else {
		if (!base_dir) {
			if (!getcwd(cwd, sizeof(cwd))) {
				err_errno(e, errno, "current directory");
				return NULL;
			}
			base_dir = cwd;
		}
		if (asprintf(&out, "%s/%s", base_dir, path) < 0)
			out = NULL;
	}
	if (!out) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (out[0] != '/') { /* a relative base_dir */
		char *abs = config_expand_path(out, NULL, e);
		free(out);
		return abs;
	}
	s_normalize(out);
	return out;
}

/* $XDG_<kind>_HOME (absolute only, as the XDG spec says), else ~/<fallback>, with
 * "/aftomato" + tail appended. New string or NULL. */
static char *s_xdg(const char *var, const char *fallback, const char *tail)
{
	const char *base = s_env(var);
	char *out = NULL;
	int r;
	if (base && base[0] == '/') {
		r = asprintf(&out, "%s/aftomato%s", base, tail);
	} else {
		const char *home = s_home();
		if (!home)
			return NULL;
		r = asprintf(&out, "%s/%s/aftomato%s", home, fallback, tail);
	}
	if (r < 0)
		return NULL;
	s_normalize(out);
	return out;
}

char *config_file_path(const char *config_arg, struct err *e)
{
	const char *named = config_arg && *config_arg ? config_arg : s_env("AFTOMATO_CONFIG");
	if (named)
		return config_expand_path(named, NULL, e);
	char *p = s_xdg("XDG_CONFIG_HOME", ".config", "/config.yaml");
	if (!p)
		err_set(e, ERR_CONFIG, "cannot find the configuration file: HOME is not set");
	return p;
}

/* ---- shipped data ---------------------------------------------------------- */

static _Thread_local char s_share_buf[PATH_MAX];
static _Thread_local bool s_share_is_source;

const char *config_share_dir(void)
{
	s_share_is_source = false;
	const char *env = s_env("AFTOMATO_SHARE_DIR");
	if (env) {
		char *abs = config_expand_path(env, NULL, NULL);
		snprintf(s_share_buf, sizeof(s_share_buf), "%s", abs ? abs : env);
		free(abs);
		return s_share_buf;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			char cand[PATH_MAX + 32];
			snprintf(cand, sizeof(cand), "%s/../share/aftomato", exe);
			if (s_is_dir(cand) && realpath(cand, s_share_buf))
				return s_share_buf;
		}
	}
	if (s_is_dir(AFTOMATO_INSTALL_DATADIR)) {
		snprintf(s_share_buf, sizeof(s_share_buf), "%s", AFTOMATO_INSTALL_DATADIR);
		return s_share_buf;
	}
	s_share_is_source = true;
	snprintf(s_share_buf, sizeof(s_share_buf), "%s", AFTOMATO_SOURCE_DIR);
	return s_share_buf;
}

static char *s_share_sub(const char *installed, const char *source)
{
	const char *share = config_share_dir();
	char *out = NULL;
	if (asprintf(&out, "%s/%s", share, s_share_is_source ? source : installed) < 0)
		return NULL;
	return out;
}

char *config_demo_dir(void)
{
	return s_share_sub("demo", "packaging/demo");
}

char *config_themes_dir(void)
{
	return s_share_sub("themes", "themes");
}

char *config_user_themes_dir(void)
{
	return s_xdg("XDG_CONFIG_HOME", ".config", "/themes");
}

char *config_find_theme(const char *theme, struct err *e)
{
	if (!theme || !*theme) {
		err_set(e, ERR_CONFIG, "empty theme name");
		return NULL;
	}
	if (strchr(theme, '/')) {
		char *path = config_expand_path(theme, NULL, e);
		if (path && access(path, R_OK) < 0) {
			err_errno(e, errno, "theme file %.300s", path);
			free(path);
			return NULL;
		}
		return path;
	}
	char *dirs[2] = {config_user_themes_dir(), config_themes_dir()};
	char *found = NULL;
	for (int i = 0; i < 2 && !found; i++) {
		char *cand = NULL;
		if (dirs[i] && asprintf(&cand, "%s/%s.yaml", dirs[i], theme) >= 0) {
			if (access(cand, R_OK) == 0)
				found = cand;
			else
				free(cand);
		}
	}
	if (!found)
		err_set(e, ERR_NOTFOUND,
			"theme '%.60s' not found (looked for %.60s.yaml in %.150s and %.150s)",
			theme, theme, dirs[0] ? dirs[0] : "(no HOME)", dirs[1] ? dirs[1] : "?");
	free(dirs[0]);
	free(dirs[1]);
	return found;
}

/* ---- value checks ---------------------------------------------------------- */

/* Each returns NULL when v is fine, else what is wrong. */
typedef const char *(*s_check_fn)(const char *v);

static bool s_only(const char *v, const char *set)
{
	return strspn(v, set) == strlen(v);
}

#define S_LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

static const char *s_check_dns_label(const char *v)
{
	size_t n = strlen(v);
	if (n > 63 || !s_only(v, S_LOWER_DIGITS "-") || v[0] == '-' || v[n - 1] == '-')
		return "must be a DNS label (lower-case letters, digits and '-', at most 63)";
	return NULL;
}

static const char *s_check_dns_name(const char *v)
{
	size_t n = strlen(v);
	if (n > 253 || !s_only(v, S_LOWER_DIGITS "-.") || !strchr(S_LOWER_DIGITS, v[0]) ||
	    !strchr(S_LOWER_DIGITS, v[n - 1]))
		return "must be a DNS name (lower-case letters, digits, '-' and '.')";
	return NULL;
}

static const char *s_check_bucket(const char *v)
{
	size_t n = strlen(v);
	if (n < 3 || n > 63 || !s_only(v, S_LOWER_DIGITS "-.") || !strchr(S_LOWER_DIGITS, v[0]) ||
	    !strchr(S_LOWER_DIGITS, v[n - 1]))
		return "must be an S3 bucket name (3 to 63 lower-case letters, digits, '-' and "
		       "'.')";
	return NULL;
}

static const char *s_check_dynamodb(const char *v)
{
	size_t n = strlen(v);
	if (n < 3 || n > 255 || !s_only(v, S_LOWER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-"))
		return "must be a DynamoDB name (3 to 255 letters, digits, '_', '-' and '.')";
	return NULL;
}

static const char *s_check_url(const char *v)
{
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
		return "must be an http:// or https:// URL";
	if (strchr(v, ' '))
		return "must not contain spaces";
	return NULL;
}

static const char *s_check_region(const char *v)
{
	if (!s_only(v, S_LOWER_DIGITS "-"))
		return "must be an AWS region name such as us-west-1";
	return NULL;
}

/* ---- the profile table ----------------------------------------------------- */

enum s_kind { S_STR, S_PATH };

struct s_field {
	const char *section; /* NULL: directly in the profile */
	const char *key;
	size_t offset; /* of the char * in struct profile */
	enum s_kind kind;
	s_check_fn check;
	const char *def; /* default value, NULL: none */
};

#define S_F(sec, key, member, kind, check, def)                                                    \
	{                                                                                          \
		sec, key, offsetof(struct profile, member), kind, check, def                       \
	}

static const struct s_field s_fields[] = {
    S_F(NULL, "build_scripts", build_scripts, S_PATH, NULL, NULL),
    S_F(NULL, "data_dir", data_dir, S_PATH, NULL, NULL),
    S_F("kubernetes", "kubeconfig", kubernetes.kubeconfig, S_PATH, NULL, NULL),
    S_F("kubernetes", "context", kubernetes.context, S_STR, NULL, NULL),
    S_F("kubernetes", "namespace", kubernetes.namespace_, S_STR, s_check_dns_label, "aftomato"),
    S_F("kubernetes", "credentials_secret", kubernetes.credentials_secret, S_STR, s_check_dns_name,
	"aftomato-aws-credentials"),
    S_F("aws", "profile", aws.profile, S_STR, NULL, NULL),
    S_F("aws", "region", aws.region, S_STR, s_check_region, NULL),
    S_F("aws", "endpoint_url", aws.endpoint_url, S_STR, s_check_url, NULL),
    S_F("aws", "s3_endpoint_url", aws.s3_endpoint_url, S_STR, s_check_url, NULL),
    S_F("aws", "dynamodb_endpoint_url", aws.dynamodb_endpoint_url, S_STR, s_check_url, NULL),
    S_F("s3", "artifacts_bucket", s3.artifacts_bucket, S_STR, s_check_bucket,
	"aftomato-build-artifacts"),
    S_F("s3", "logs_bucket", s3.logs_bucket, S_STR, s_check_bucket, "aftomato-console-logs"),
    S_F("dynamodb", "table", dynamodb.table, S_STR, s_check_dynamodb, "aftomato-build-metadata"),
    S_F("dynamodb", "index", dynamodb.index, S_STR, s_check_dynamodb, "projectKey-buildTime-index"),
};
#define S_NFIELDS (sizeof(s_fields) / sizeof(s_fields[0]))

static const char *const s_sections[] = {"kubernetes", "aws", "s3", "dynamodb"};
#define S_NSECTIONS (sizeof(s_sections) / sizeof(s_sections[0]))

static char **s_slot(struct profile *p, const struct s_field *f)
{
	return (char **)((char *)p + f->offset);
}

static int s_set(char **slot, const char *v, struct err *e)
{
	char *copy = strdup(v);
	if (!copy)
		return err_set(e, ERR_INTERNAL, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

/* The embedded defaults (every profile starts from them). */
static int s_defaults(struct profile *p, struct err *e)
{
	for (size_t i = 0; i < S_NFIELDS; i++)
		if (s_fields[i].def && s_set(s_slot(p, &s_fields[i]), s_fields[i].def, e) < 0)
			return -1;
	p->executor = PROFILE_EXEC_LOCAL;
	p->store = PROFILE_STORE_LOCAL;
	if (s_set(&p->theme, "default", e) < 0)
		return -1;
	if (!(p->build_scripts = config_demo_dir()))
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (!(p->data_dir = s_xdg("XDG_DATA_HOME", ".local/share", "")))
		return err_set(e, ERR_CONFIG, "cannot choose a data directory: HOME is not set");
	return 0;
}

/* ---- reading the file ------------------------------------------------------ */

struct s_file {
	struct ytree_doc *doc;
	const struct ytree_node *root;	   /* NULL: no file or empty file */
	const struct ytree_node *profiles; /* NULL when absent */
	char *dir;			   /* directory of the file, for relative paths */
};

/* Reads a string value into *slot; null keeps the default. */
static int s_field_value(const struct s_file *f, const struct ytree_node *v,
			 const struct s_field *fd, const char *what, struct profile *p,
			 struct err *e)
{
	const char *s;
	if (ytree_is_null(v))
		return 0;
	if (ytree_get_string(v, what, &s, e) < 0)
		return -1;
	if (!*s)
		return ytree_error(e, v, "%.150s: must not be empty", what);
	const char *why = fd->check ? fd->check(s) : NULL;
	if (why)
		return ytree_error(e, v, "%.150s: '%.80s' %s", what, s, why);
	if (fd->kind == S_STR)
		return s_set(s_slot(p, fd), s, e);
	struct err pe = {0};
	char *path = config_expand_path(s, f->dir, &pe);
	if (!path)
		return ytree_error(e, v, "%.150s: %s", what, pe.msg);
	free(*s_slot(p, fd));
	*s_slot(p, fd) = path;
	return 0;
}

/* The keys of one section (NULL: the profile level) in a NULL-terminated list. */
static void s_section_keys(const char *section, const char **keys, size_t max)
{
	size_t n = 0;
	if (!section) {
		keys[n++] = "executor";
		keys[n++] = "store";
	}
	for (size_t i = 0; i < S_NFIELDS && n + 1 < max; i++)
		if ((!section && !s_fields[i].section) ||
		    (section && s_fields[i].section && strcmp(section, s_fields[i].section) == 0))
			keys[n++] = s_fields[i].key;
	if (!section)
		for (size_t i = 0; i < S_NSECTIONS && n + 1 < max; i++)
			keys[n++] = s_sections[i];
	keys[n] = NULL;
}

static int s_section(const struct s_file *f, const struct ytree_node *map, const char *section,
		     const char *where, struct profile *p, struct err *e)
{
	const char *keys[S_NFIELDS + S_NSECTIONS + 4];
	s_section_keys(section, keys, sizeof(keys) / sizeof(keys[0]));
	if (ytree_check_keys(map, where, keys, e) < 0)
		return -1;
	for (size_t i = 0; i < S_NFIELDS; i++) {
		const struct s_field *fd = &s_fields[i];
		if ((fd->section == NULL) != (section == NULL) ||
		    (section && strcmp(section, fd->section) != 0))
			continue;
		const struct ytree_node *v = ytree_map_get(map, fd->key);
		char what[S_WHAT_MAX];
		snprintf(what, sizeof(what), "%.120s.%s", where, fd->key);
		if (v && s_field_value(f, v, fd, what, p, e) < 0)
			return -1;
	}
	return 0;
}

/* executor / store: one of two words. */
static int s_choice(const struct ytree_node *map, const char *key, const char *where, const char *a,
		    const char *b, int *out, struct err *e)
{
	const struct ytree_node *v = ytree_map_get(map, key);
	const char *s;
	char what[S_WHAT_MAX];
	snprintf(what, sizeof(what), "%.120s.%s", where, key);
	if (!v || ytree_is_null(v))
		return 0;
	if (ytree_get_string(v, what, &s, e) < 0)
		return -1;
	if (strcmp(s, a) == 0 || strcmp(s, b) == 0) {
		*out = strcmp(s, b) == 0;
		return 0;
	}
	return ytree_error(e, v, "%.150s: '%.60s' is not one of: %s, %s", what, s, a, b);
}

static int s_profile(const struct s_file *f, const struct ytree_node *map, const char *name,
		     struct profile *p, struct err *e)
{
	char where[S_WHAT_MAX];
	snprintf(where, sizeof(where), "profiles.%.100s", name);
	if (!map || ytree_is_null(map))
		return 0;
	if (ytree_expect_map(map, where, e) < 0 || s_section(f, map, NULL, where, p, e) < 0)
		return -1;
	int x = 0, s = 0;
	if (s_choice(map, "executor", where, "local", "kubernetes", &x, e) < 0 ||
	    s_choice(map, "store", where, "local", "aws", &s, e) < 0)
		return -1;
	p->executor = x ? PROFILE_EXEC_KUBERNETES : PROFILE_EXEC_LOCAL;
	p->store = s ? PROFILE_STORE_AWS : PROFILE_STORE_LOCAL;
	for (size_t i = 0; i < S_NSECTIONS; i++) {
		const struct ytree_node *sec = ytree_map_get(map, s_sections[i]);
		char swhere[S_WHAT_MAX];
		snprintf(swhere, sizeof(swhere), "%.120s.%s", where, s_sections[i]);
		if (sec && !ytree_is_null(sec) &&
		    s_section(f, sec, s_sections[i], swhere, p, e) < 0)
			return -1;
	}
	return 0;
}

/* Top level: keys, theme, mouse, the shape of `profiles`, and every profile
 * (each is checked even when another one is used). */
static int s_top(struct s_file *f, struct profile *p, struct err *e)
{
	static const char *const keys[] = {"profile", "theme", "mouse", "profiles", NULL};
	const struct ytree_node *r = f->root;
	if (ytree_check_keys(r, "the configuration", keys, e) < 0)
		return -1;
	const struct ytree_node *v = ytree_map_get(r, "theme");
	const char *s;
	if (v && !ytree_is_null(v)) {
		if (ytree_get_string(v, "theme", &s, e) < 0)
			return -1;
		if (!*s)
			return ytree_error(e, v, "theme: must not be empty");
		struct err pe = {0};
		char *t = strchr(s, '/') ? config_expand_path(s, f->dir, &pe) : strdup(s);
		if (!t)
			return ytree_error(e, v, "theme: %s", pe.msg[0] ? pe.msg : "out of memory");
		free(p->theme);
		p->theme = t;
	}
	v = ytree_map_get(r, "mouse");
	if (v && !ytree_is_null(v) && ytree_get_bool(v, "mouse", &p->mouse, e) < 0)
		return -1;
	v = ytree_map_get(r, "profile");
	if (v && !ytree_is_null(v) && ytree_get_string(v, "profile", &s, e) < 0)
		return -1;
	v = ytree_map_get(r, "profiles");
	if (v && !ytree_is_null(v)) {
		if (ytree_expect_map(v, "profiles", e) < 0)
			return -1;
		f->profiles = v;
		for (size_t i = 0; i < v->npairs; i++) {
			struct profile scratch = {0};
			int rc =
			    s_profile(f, v->pairs[i].value, v->pairs[i].key->value, &scratch, e);
			profile_cleanup(&scratch);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

/* Picks the profile name: argument, environment, file, "local". */
static int s_choose(const struct s_file *f, const char *profile_arg, struct profile *p,
		    struct err *e)
{
	const char *name = profile_arg && *profile_arg ? profile_arg : s_env("AFTOMATO_PROFILE");
	const char *from = name == profile_arg ? "--profile" : "AFTOMATO_PROFILE";
	const struct ytree_node *fv = NULL;
	if (!name && f->root && (fv = ytree_map_get(f->root, "profile")) && !ytree_is_null(fv))
		name = fv->value;
	if (!name)
		name = "local";
	const struct ytree_node *map = f->profiles ? ytree_map_get(f->profiles, name) : NULL;
	if (!map && strcmp(name, "local") != 0) {
		char list[300] = "local";
		size_t used = strlen(list);
		for (size_t i = 0; f->profiles && i < f->profiles->npairs && used < sizeof(list);
		     i++) {
			const char *k = f->profiles->pairs[i].key->value;
			if (strcmp(k, "local") != 0)
				used += (size_t)snprintf(list + used, sizeof(list) - used,
							 ", %.60s", k);
		}
		if (fv)
			return ytree_error(e, fv, "unknown profile '%.60s' (defined: %.300s)", name,
					   list);
		return err_set(e, ERR_CONFIG, "unknown profile '%.60s' from %s (defined: %.300s)",
			       name, from, list);
	}
	if (s_set(&p->name, name, e) < 0)
		return -1;
	return s_profile(f, map, name, p, e);
}

static int s_open(const char *config_arg, struct s_file *f, struct profile *p, struct err *e)
{
	bool named = (config_arg && *config_arg) || s_env("AFTOMATO_CONFIG");
	char *path = config_file_path(config_arg, e);
	if (!path)
		return -1;
	struct stat st;
	if (stat(path, &st) < 0 && errno == ENOENT && !named) {
		free(path);
		return 0; /* the embedded default */
	}
	if (ytree_load_file(path, NULL, &f->doc, e) < 0) {
		if (e && e->code != ERR_CONFIG)
			err_prefix(e, "configuration file");
		free(path);
		return -1;
	}
	p->config_path = path;
	if (!(f->dir = strdup(path)))
		return err_set(e, ERR_INTERNAL, "out of memory");
	*strrchr(f->dir, '/') = '\0';
	if (!f->dir[0])
		strcpy(f->dir, "/");
	f->root = f->doc->root;
	if (f->root && ytree_is_null(f->root))
		f->root = NULL;
	if (f->root && ytree_expect_map(f->root, "the configuration", e) < 0)
		return -1;
	return 0;
}

int config_load(const char *config_arg, const char *profile_arg, struct profile *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	struct s_file f = {0};
	int rc = -1;
	if (s_defaults(out, e) < 0 || s_open(config_arg, &f, out, e) < 0)
		goto out;
	if (f.root && s_top(&f, out, e) < 0)
		goto out;
	if (s_choose(&f, profile_arg, out, e) < 0)
		goto out;
	rc = 0;
out:
	ytree_doc_free(f.doc);
	free(f.dir);
	if (rc < 0)
		profile_cleanup(out);
	return rc;
}
