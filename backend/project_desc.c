/* project_desc: the project descriptor (project.json / project.yaml) and sidecar
 * files, see project.h. Both formats are turned into one JSON value and checked
 * by one validator; for YAML the validator finds the node a key path names, to
 * give line:column. */
#include "project_desc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ytree.h"

#define S_SIDECAR_SUFFIX "-sidecar"

static char *s_join(const char *a, const char *b)
{
	char *out = NULL;
	if (asprintf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return out;
}

static bool s_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* ---- descriptor validation ------------------------------------------------- */

struct s_seg {
	const char *key; /* NULL: index */
	size_t index;
};

struct s_desc {
	const char *shown;		/* file name for messages */
	const struct ytree_node *yroot; /* YAML source, NULL for JSON */
	struct s_seg path[4];
	size_t depth;
	bool at_key; /* messages point at the key of the last path step */
	struct err *e;
};

static void s_path_text(const struct s_desc *d, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < d->depth && used < len; i++) {
		int w =
		    d->path[i].key
			? snprintf(buf + used, len - used, "%s%.60s", i ? "." : "", d->path[i].key)
			: snprintf(buf + used, len - used, "[%zu]", d->path[i].index);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* The YAML node at the current path (NULL for JSON or when not found); with
 * d->at_key, the key node of the last step instead of its value. */
static const struct ytree_node *s_node(const struct s_desc *d)
{
	const struct ytree_node *n = d->yroot;
	for (size_t i = 0; n && i < d->depth; i++) {
		const struct s_seg *sg = &d->path[i];
		if (!sg->key) {
			n = n->kind == YTREE_SEQ && sg->index < n->nitems ? n->items[sg->index]
									  : NULL;
			continue;
		}
		const struct ytree_node *parent = n;
		n = ytree_map_get(parent, sg->key);
		if (n && d->at_key && i + 1 == d->depth)
			for (size_t k = 0; k < parent->npairs; k++)
				if (parent->pairs[k].value == n &&
				    strcmp(parent->pairs[k].key->value, sg->key) == 0)
					return parent->pairs[k].key;
	}
	return n;
}

static const char *s_json_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

static const char *s_got(const struct s_desc *d, const json_t *v)
{
	const struct ytree_node *n = s_node(d);
	return n ? ytree_describe(n) : s_json_type(v);
}

static int s_fail(struct s_desc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int s_fail(struct s_desc *d, const char *fmt, ...)
{
	char msg[300], path[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s_path_text(d, path, sizeof(path));
	const struct ytree_node *n = s_node(d);
	if (n)
		return err_set(d->e, ERR_CONFIG, "%.200s:%d:%d: %s: %s", d->shown, n->line,
			       n->column, path, msg);
	return err_set(d->e, ERR_CONFIG, "%.200s: %s: %s", d->shown, path, msg);
}

static void s_push(struct s_desc *d, const char *key, size_t index)
{
	d->path[d->depth].key = key;
	d->path[d->depth].index = index;
	d->depth++;
}

static int s_check_regex(struct s_desc *d, const char *re)
{
	int code;
	PCRE2_SIZE offset;
	pcre2_code *c =
	    pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &code, &offset, NULL);
	if (c) {
		pcre2_code_free(c);
		return 0;
	}
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(code, msg, sizeof(msg));
	return s_fail(d, "invalid regular expression at offset %zu: %s", (size_t)offset,
		      (const char *)msg);
}

static int s_strings(struct s_desc *d, const json_t *root, struct project *p)
{
	static const char *const keys[] = {"buildImage", "repoManager", "repoUrl",
					   "repoDescription", "managedRefRegex"};
	char **dst[] = {&p->build_image, &p->repo_manager, &p->repo_url, &p->repo_description,
			&p->managed_ref_regex};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const json_t *v = json_object_get(root, keys[i]);
		if (!v || json_is_null(v))
			continue;
		s_push(d, keys[i], 0);
		if (!json_is_string(v))
			return s_fail(d, "expected a string, got %s", s_got(d, v));
		if (i == 4 && s_check_regex(d, json_string_value(v)) < 0)
			return -1;
		d->depth--;
		if (!(*dst[i] = strdup(json_string_value(v))))
			return err_set(d->e, ERR_INTERNAL, "out of memory");
	}
	return 0;
}

static int s_timeout(struct s_desc *d, const json_t *root, struct project *p)
{
	const json_t *v = json_object_get(root, "timeoutSeconds");
	if (!v || json_is_null(v))
		return 0;
	s_push(d, "timeoutSeconds", 0);
	if (!json_is_integer(v))
		return s_fail(d, "expected an integer, got %s", s_got(d, v));
	if (json_integer_value(v) < 0 || json_integer_value(v) > INT_MAX)
		return s_fail(d, "must be between 0 (no limit) and %d", INT_MAX);
	p->timeout_seconds = json_integer_value(v);
	d->depth--;
	return 0;
}

static int s_resources(struct s_desc *d, const json_t *root, struct project *p)
{
	const json_t *v = json_object_get(root, "resources");
	if (!v || json_is_null(v))
		return 0;
	s_push(d, "resources", 0);
	if (!json_is_object(v))
		return s_fail(d, "expected a mapping, got %s", s_got(d, v));
	const char *k;
	const json_t *sub;
	json_object_foreach((json_t *)v, k, sub)
	{
		if (strcmp(k, "requests") != 0 && strcmp(k, "limits") != 0)
			return s_fail(d, "unknown key '%.60s' (expected requests, limits)", k);
		s_push(d, k, 0);
		if (!json_is_object(sub))
			return s_fail(d, "expected a mapping, got %s", s_got(d, sub));
		const char *rk;
		const json_t *q;
		json_object_foreach((json_t *)sub, rk, q)
		{
			s_push(d, rk, 0);
			if (!json_is_string(q) && !json_is_number(q))
				return s_fail(d, "expected a string or a number, got %s",
					      s_got(d, q));
			d->depth--;
		}
		d->depth--;
	}
	d->depth--;
	if (!(p->resources = json_deep_copy(v)))
		return err_set(d->e, ERR_INTERNAL, "out of memory");
	return 0;
}

static bool s_env_name_ok(const char *s)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789";
	return *s && strchr(alpha, *s) && strspn(s, alnum) == strlen(s);
}

/* The text of an env value: YAML scalars as written (so 1.10 stays "1.10"), JSON
 * strings, numbers and booleans as JSON writes them. */
static char *s_env_text(struct s_desc *d, const json_t *v)
{
	if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v)) {
		s_fail(d, "expected a string, number or boolean, got %s", s_got(d, v));
		return NULL;
	}
	const struct ytree_node *n = s_node(d);
	char *out = NULL;
	if (n && n->kind == YTREE_SCALAR)
		out = strdup(n->value);
	else if (json_is_string(v))
		out = strdup(json_string_value(v));
	else
		out = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (!out)
		err_set(d->e, ERR_INTERNAL, "out of memory");
	return out;
}

/* Checks an environment variable name; the current path names it. */
static int s_env_name(struct s_desc *d, const struct project *p, const char *name)
{
	static const char *const reserved[] = {"BUILD_ID", "PROJECT_KEY", "BRANCH_TO_BUILD",
					       "ARTIFACTS_DIR"};
	if (!s_env_name_ok(name))
		return s_fail(d, "'%.60s' is not a valid environment variable name", name);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0)
			return s_fail(d, "%s is set by aftomato and cannot be overridden", name);
	for (size_t i = 0; i < p->env_count; i++)
		if (strcmp(p->env[i].name, name) == 0)
			return s_fail(d, "%.60s is set twice", name);
	return 0;
}

/* Appends name=v; the current path names the value. */
static int s_env_add(struct s_desc *d, struct project *p, const char *name, const json_t *v)
{
	struct project_env *env = realloc(p->env, (p->env_count + 1) * sizeof(*env));
	if (!env)
		return err_set(d->e, ERR_INTERNAL, "out of memory");
	p->env = env;
	char *value = s_env_text(d, v);
	if (!value)
		return -1;
	if (!(env[p->env_count].name = strdup(name))) {
		free(value);
		return err_set(d->e, ERR_INTERNAL, "out of memory");
	}
	env[p->env_count++].value = value;
	return 0;
}

static int s_env_item(struct s_desc *d, const json_t *item, struct project *p)
{
	if (!json_is_object(item))
		return s_fail(d, "expected a mapping with name and value, got %s", s_got(d, item));
	const json_t *name = json_object_get(item, "name");
	const json_t *value = json_object_get(item, "value");
	if (!name)
		return s_fail(d, "missing 'name'");
	if (!value)
		return s_fail(d, "missing 'value'");
	s_push(d, "name", 0);
	if (!json_is_string(name))
		return s_fail(d, "expected a string, got %s", s_got(d, name));
	if (s_env_name(d, p, json_string_value(name)) < 0)
		return -1;
	d->path[d->depth - 1].key = "value";
	if (s_env_add(d, p, json_string_value(name), value) < 0)
		return -1;
	d->depth--;
	return 0;
}

static int s_env_list(struct s_desc *d, const json_t *v, struct project *p)
{
	for (size_t i = 0; i < json_array_size(v); i++) {
		s_push(d, NULL, i);
		if (s_env_item(d, json_array_get(v, i), p) < 0)
			return -1;
		d->depth--;
	}
	return 0;
}

static int s_env(struct s_desc *d, const json_t *root, struct project *p)
{
	const json_t *v = json_object_get(root, "env");
	if (!v || json_is_null(v))
		return 0;
	s_push(d, "env", 0);
	if (json_is_array(v)) {
		if (s_env_list(d, v, p) < 0)
			return -1;
	} else if (json_is_object(v)) {
		const char *k;
		const json_t *val;
		json_object_foreach((json_t *)v, k, val)
		{
			s_push(d, k, 0);
			d->at_key = true;
			if (s_env_name(d, p, k) < 0)
				return -1;
			d->at_key = false;
			if (s_env_add(d, p, k, val) < 0)
				return -1;
			d->depth--;
		}
	} else {
		return s_fail(d, "expected a mapping or a list of {name, value}, got %s",
			      s_got(d, v));
	}
	d->depth--;
	return 0;
}

/* Reads a JSON or YAML file into a new JSON value; *ydoc receives the YAML
 * document (for positions) when the file is YAML, caller frees both. */
static json_t *s_read_any(const char *path, const char *shown, struct ytree_doc **ydoc,
			  struct err *e)
{
	*ydoc = NULL;
	if (s_ends_with(path, ".json")) {
		FILE *f = fopen(path, "rb");
		if (!f) {
			err_errno(e, errno, "%.300s", shown);
			return NULL;
		}
		json_error_t jerr;
		json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
		fclose(f);
		if (!j)
			err_set(e, ERR_CONFIG, "%.200s:%d:%d: %.200s", shown, jerr.line,
				jerr.column, jerr.text);
		return j;
	}
	if (ytree_load_file(path, shown, ydoc, e) < 0)
		return NULL;
	if (!(*ydoc)->root || ytree_is_null((*ydoc)->root))
		return json_object();
	return ytree_to_json((*ydoc)->root, e);
}

int project_desc_load(const char *path, const char *shown, struct project *p, struct err *e)
{
	struct ytree_doc *ydoc = NULL;
	json_t *root = s_read_any(path, shown, &ydoc, e);
	int rc = -1;
	if (!root)
		goto out;
	struct s_desc d = {.shown = shown, .yroot = ydoc ? ydoc->root : NULL, .e = e};
	if (!json_is_object(root)) {
		if (d.yroot)
			ytree_error(e, d.yroot, "expected a mapping, got %s",
				    ytree_describe(d.yroot));
		else
			err_set(e, ERR_CONFIG, "%.200s: expected an object, got %s", shown,
				s_json_type(root));
		goto out;
	}
	if (s_strings(&d, root, p) < 0 || s_timeout(&d, root, p) < 0 ||
	    s_resources(&d, root, p) < 0 || s_env(&d, root, p) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	ytree_doc_free(ydoc);
	return rc;
}

/* ---- sidecars -------------------------------------------------------------- */

static bool s_dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

json_t *project_desc_sidecar(const char *path, const char *shown, struct err *e)
{
	struct ytree_doc *ydoc = NULL;
	json_t *j = s_read_any(path, shown, &ydoc, e);
	if (!j)
		goto out;
	struct s_desc d = {.shown = shown, .yroot = ydoc ? ydoc->root : NULL, .e = e};
	const char *msg = NULL;
	if (!json_is_object(j) || json_object_size(j) == 0)
		msg = "expected a container (a mapping with name and image)";
	else if (!json_is_string(json_object_get(j, "name")))
		msg = "missing 'name' (a string)";
	else if (!json_is_string(json_object_get(j, "image")) ||
		 !*json_string_value(json_object_get(j, "image")))
		msg = "missing 'image' (a string)";
	if (msg) {
		if (d.yroot)
			ytree_error(e, d.yroot, "%s", msg);
		else
			err_set(e, ERR_CONFIG, "%.200s: %s", shown, msg);
		goto fail;
	}
	const char *name = json_string_value(json_object_get(j, "name"));
	s_push(&d, "name", 0);
	if (!s_dns_label(name)) {
		s_fail(&d,
		       "'%.63s' is not a valid container name (lower-case letters, digits "
		       "and '-', at most 63)",
		       name);
		goto fail;
	}
	if (strcmp(name, "build") == 0) {
		s_fail(&d, "'build' is the build container's name");
		goto fail;
	}
	goto out;
fail:
	json_decref(j);
	j = NULL;
out:
	ytree_doc_free(ydoc);
	return j;
}

static bool s_is_sidecar_name(const char *name)
{
	const char *exts[] = {S_SIDECAR_SUFFIX ".json", S_SIDECAR_SUFFIX ".yaml"};
	for (size_t i = 0; i < 2; i++)
		if (s_ends_with(name, exts[i]) && strlen(name) > strlen(exts[i]))
			return true;
	return false;
}

int project_desc_sidecars(const char *key, struct project *p, char *const *names, size_t n,
			  struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		if (!s_is_sidecar_name(names[i]))
			continue;
		char *path = s_join(p->dir, names[i]);
		char **paths = realloc(p->sidecar_paths, (p->sidecar_count + 1) * sizeof(*paths));
		if (!path || !paths || (!p->sidecars && !(p->sidecars = json_array()))) {
			free(path);
			if (paths)
				p->sidecar_paths = paths;
			return err_set(e, ERR_INTERNAL, "out of memory");
		}
		p->sidecar_paths = paths;
		paths[p->sidecar_count++] = path;
		char shown[600];
		snprintf(shown, sizeof(shown), "%.300s/%.250s", key, names[i]);
		json_t *c = project_desc_sidecar(path, shown, e);
		if (!c)
			return -1;
		const char *cname = json_string_value(json_object_get(c, "name"));
		for (size_t k = 0; k < json_array_size(p->sidecars); k++) {
			json_t *other = json_array_get(p->sidecars, k);
			if (strcmp(cname, json_string_value(json_object_get(other, "name"))) == 0) {
				err_set(e, ERR_CONFIG,
					"%.300s: container name '%.63s' is also used by %.250s",
					shown, cname, strrchr(p->sidecar_paths[k], '/') + 1);
				json_decref(c);
				return -1;
			}
		}
		if (json_array_append_new(p->sidecars, c) < 0)
			return err_set(e, ERR_INTERNAL, "out of memory");
	}
	return 0;
}
