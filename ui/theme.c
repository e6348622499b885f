/* theme: YAML theme files with palettes and `extends` (see theme.h). Colour
 * mapping and resolution for the terminal are in theme_color.c. */
#include "theme.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmem.h"
#include "ytree.h"

static const char *const s_elem_names[CELL_ELEM_COUNT] = {
    [CELL_NORMAL] = "normal",
    [CELL_DIM] = "dim",
    [CELL_TITLE] = "title",
    [CELL_TITLE_FOCUSED] = "title.focused",
    [CELL_BORDER] = "border",
    [CELL_BORDER_FOCUSED] = "border.focused",
    [CELL_SELECTED] = "selected",
    [CELL_SELECTED_UNFOCUSED] = "selected.unfocused",
    [CELL_HEADER] = "header",
    [CELL_STATUS_BAR] = "status.bar",
    [CELL_STATUS_ERROR] = "status.error",
    [CELL_STATUS_WARN] = "status.warn",
    [CELL_PROMPT] = "prompt",
    [CELL_KEY] = "key",
    [CELL_BUILD_QUEUED] = "build.queued",
    [CELL_BUILD_RUNNING] = "build.running",
    [CELL_BUILD_SUCCEEDED] = "build.succeeded",
    [CELL_BUILD_FAILED] = "build.failed",
    [CELL_BUILD_CANCELLED] = "build.cancelled",
    [CELL_BUILD_TIMEDOUT] = "build.timedout",
    [CELL_BUILD_ERROR] = "build.error",
    [CELL_LOG_TEXT] = "log.text",
    [CELL_LOG_TIMESTAMP] = "log.timestamp",
    [CELL_LOG_LINENO] = "log.lineno",
    [CELL_LOG_ERROR] = "log.error",
    [CELL_LOG_WARN] = "log.warn",
    [CELL_LOG_INERT] = "log.inert",
    [CELL_SEARCH_MATCH] = "search.match",
    [CELL_SEARCH_CURRENT] = "search.current",
    [CELL_PROGRESS] = "progress",
};

const char *theme_elem_name(enum cell_elem elem)
{
	if ((int)elem < 0 || elem >= CELL_ELEM_COUNT)
		return NULL;
	return s_elem_names[elem];
}

int theme_elem_from_name(const char *name)
{
	for (int i = 0; name && i < CELL_ELEM_COUNT; i++)
		if (strcmp(s_elem_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- Colour and attribute values ----------------------------------------- */

static const struct {
	const char *name;
	uint8_t index;
} s_basic[] = {
    {"black", 0},	  {"red", 1},
    {"green", 2},	  {"yellow", 3},
    {"blue", 4},	  {"magenta", 5},
    {"cyan", 6},	  {"white", 7},
    {"bright-black", 8},  {"bright-red", 9},
    {"bright-green", 10}, {"bright-yellow", 11},
    {"bright-blue", 12},  {"bright-magenta", 13},
    {"bright-cyan", 14},  {"bright-white", 15},
    {"grey", 8},	  {"gray", 8},
};

/* "bright_red" and "brightred" are accepted as "bright-red". */
static int s_basic_index(const char *s)
{
	char norm[32];
	if (strncmp(s, "bright", 6) == 0 && s[6] != '\0')
		snprintf(norm, sizeof(norm), "bright-%.20s", s + 6 + (s[6] == '_' || s[6] == '-'));
	else
		snprintf(norm, sizeof(norm), "%.30s", s);
	for (size_t i = 0; i < sizeof(s_basic) / sizeof(s_basic[0]); i++)
		if (strcmp(s_basic[i].name, norm) == 0)
			return s_basic[i].index;
	return -1;
}

static int s_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int s_parse_rgb(const char *s, struct cell_color *out)
{
	size_t n = strlen(s);
	if (n != 3 && n != 6)
		return -1;
	int v[6];
	for (size_t i = 0; i < n; i++)
		if ((v[i] = s_hex(s[i])) < 0)
			return -1;
	out->kind = CELL_COLOR_RGB;
	if (n == 3) {
		out->r = (uint8_t)(v[0] * 17);
		out->g = (uint8_t)(v[1] * 17);
		out->b = (uint8_t)(v[2] * 17);
	} else {
		out->r = (uint8_t)(v[0] * 16 + v[1]);
		out->g = (uint8_t)(v[2] * 16 + v[3]);
		out->b = (uint8_t)(v[4] * 16 + v[5]);
	}
	return 0;
}

/* A colour written literally. Returns 0 (parsed), 1 (a name that is not a
 * basic colour: maybe a palette entry) or -1 (malformed). */
static int s_parse_literal(const char *s, struct cell_color *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(s, "default") == 0)
		return 0; /* CELL_COLOR_NONE */
	if (s[0] == '#')
		return s_parse_rgb(s + 1, out);
	if (s[0] >= '0' && s[0] <= '9') {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (*end || errno || v < 0 || v > 255)
			return -1;
		out->kind = CELL_COLOR_256;
		out->index = (uint8_t)v;
		return 0;
	}
	int b = s_basic_index(s);
	if (b >= 0) {
		out->kind = CELL_COLOR_256;
		out->index = (uint8_t)b;
		return 0;
	}
	return 1;
}

/* Palette names: a letter or '_' first, then letters, digits, '_', '-', '.'. */
static bool s_valid_name(const char *name)
{
	const char *s = name;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return strcmp(name, "default") != 0;
}

/* The text of a colour node, refusing null (an unquoted '#' starts a YAML
 * comment, so `fg: #ff0000` is null) and non-scalars. */
static int s_color_text(const struct ytree_node *n, const char *what, const char **out,
			struct err *e)
{
	if (n->kind == YTREE_SCALAR && !n->quoted && ytree_is_null(n))
		return ytree_error(e, n,
				   "%s: expected a colour, got null (write \"#rrggbb\" in quotes: "
				   "an unquoted # starts a YAML comment)",
				   what);
	return ytree_get_string(n, what, out, e);
}

static int s_attr_word(const struct ytree_node *n, const char *what, const char *w, size_t len,
		       uint8_t *attrs, struct err *e)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} names[] = {
	    {"bold", CELL_BOLD},    {"underline", CELL_UNDERLINE}, {"reverse", CELL_REVERSE},
	    {"dim", CELL_DIM_ATTR}, {"italic", CELL_ITALIC},	   {"none", 0},
	    {"normal", 0}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len && memcmp(names[i].name, w, len) == 0) {
			*attrs |= names[i].bit;
			return 0;
		}
	return ytree_error(e, n,
			   "%s: unknown attribute '%.*s' (expected bold, underline, reverse, dim, "
			   "italic)",
			   what, (int)(len > 40 ? 40 : len), w);
}

/* A scalar "bold underline" / "bold, underline" or a sequence of names. */
static int s_parse_attrs(const struct ytree_node *n, const char *what, uint8_t *attrs,
			 struct err *e)
{
	*attrs = 0;
	if (n->kind == YTREE_SEQ) {
		for (size_t i = 0; i < n->nitems; i++) {
			const char *s;
			if (ytree_get_string(n->items[i], what, &s, e) < 0)
				return -1;
			if (s_attr_word(n->items[i], what, s, strlen(s), attrs, e) < 0)
				return -1;
		}
		return 0;
	}
	if (n->kind == YTREE_SCALAR && !n->quoted && ytree_is_null(n))
		return 0;
	const char *s;
	if (ytree_get_string(n, what, &s, e) < 0)
		return -1;
	while (*s) {
		size_t skip = strspn(s, " ,\t");
		s += skip;
		size_t len = strcspn(s, " ,\t");
		if (len && s_attr_word(n, what, s, len, attrs, e) < 0)
			return -1;
		s += len;
	}
	return 0;
}

/* ---- The chain of files --------------------------------------------------- */

struct s_layer {
	struct ytree_doc *doc;
	char *real; /* realpath of the file, NULL for a buffer */
	char *dir;  /* its directory (relative extends paths), NULL for a buffer */
	const struct ytree_node *palette;
	const struct ytree_node *elements;
	const struct ytree_node *extends;
};

struct s_chain {
	struct s_layer l[THEME_EXTENDS_MAX + 1];
	size_t n;
};

static void s_chain_cleanup(struct s_chain *c)
{
	for (size_t i = 0; i < c->n; i++) {
		ytree_doc_free(c->l[i].doc);
		free(c->l[i].real);
		free(c->l[i].dir);
	}
	c->n = 0;
}

/* True when path is the file whose real path is real. */
static bool s_same_file(const char *path, const char *real)
{
	if (!real)
		return false;
	char *r = realpath(path, NULL);
	bool same = r && strcmp(r, real) == 0;
	free(r);
	return same;
}

/* Finds the file of a theme name (NAME.yaml in dirs, then in rel_dir when
 * given: the extending file's own directory) or path (relative to rel_dir).
 * A name that finds the extending file itself (real path self, may be NULL)
 * looks further, so that a user's default.yaml can extend the shipped
 * default. New string, or NULL with e filled (ERR_NOTFOUND). */
static char *s_find(const char *name, const char *rel_dir, const char *self,
		    const char *const *dirs, struct err *e)
{
	if (!name || !*name) {
		err_set(e, ERR_CONFIG, "empty theme name");
		return NULL;
	}
	if (strchr(name, '/')) {
		char *p = name[0] == '/' || name[0] == '~' || !rel_dir
			      ? fsutil_expand_home(name)
			      : xasprintf("%s/%s", rel_dir, name);
		if (access(p, R_OK) == 0)
			return p;
		err_errno(e, errno, "theme file %.300s", p);
		free(p);
		return NULL;
	}
	const char *search[16];
	size_t ns = 0;
	for (size_t i = 0; dirs && dirs[i] && ns < 15; i++)
		search[ns++] = dirs[i];
	bool listed = false;
	for (size_t i = 0; rel_dir && i < ns; i++)
		listed |= strcmp(search[i], rel_dir) == 0;
	if (rel_dir && !listed)
		search[ns++] = rel_dir;
	char looked[300] = "";
	size_t used = 0;
	char *itself = NULL;
	for (size_t i = 0; i < ns; i++) {
		char *cand = xasprintf("%s/%s.yaml", search[i], name);
		if (access(cand, F_OK) == 0) {
			if (itself || !s_same_file(cand, self)) {
				free(itself);
				return cand;
			}
			itself = cand; /* used only when nothing else is found */
		} else {
			free(cand);
		}
		int w = snprintf(looked + used, sizeof(looked) - used, "%s%.140s", i ? ", " : "",
				 search[i]);
		if (w > 0 && (size_t)w < sizeof(looked) - used)
			used += (size_t)w;
	}
	if (itself)
		return itself;
	err_set(e, ERR_NOTFOUND, "theme '%.60s' not found (looked for %.60s.yaml in %s)", name,
		name, used ? looked : "no directory");
	return NULL;
}

static int s_check_palette(const struct ytree_node *p, struct err *e)
{
	if (ytree_expect_map(p, "palette", e) < 0)
		return -1;
	for (size_t i = 0; i < p->npairs; i++) {
		const struct ytree_node *k = p->pairs[i].key, *v = p->pairs[i].value;
		if (!s_valid_name(k->value))
			return ytree_error(e, k,
					   "palette: '%.60s' is not a valid colour name (letters, "
					   "digits, '_', '-', '.'; not starting with a digit)",
					   k->value);
		char what[100];
		snprintf(what, sizeof(what), "palette.%.60s", k->value);
		const char *s;
		struct cell_color c;
		if (s_color_text(v, what, &s, e) < 0)
			return -1;
		if (s_parse_literal(s, &c) != 0)
			return ytree_error(
			    e, v,
			    "%s: bad colour '%.60s' (expected \"#rrggbb\", \"#rgb\", "
			    "0-255, default or a basic colour name)",
			    what, s);
	}
	return 0;
}

static int s_check_element(const struct ytree_node *k, const struct ytree_node *v, struct err *e)
{
	static const char *const keys[] = {"fg", "bg", "attrs", "mono", NULL};
	if (theme_elem_from_name(k->value) < 0)
		return ytree_error(e, k,
				   "unknown element '%.60s' in elements (see themes/default.yaml "
				   "for the list)",
				   k->value);
	char what[100];
	snprintf(what, sizeof(what), "elements.%.60s", k->value);
	if (ytree_check_keys(v, what, keys, e) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const struct ytree_node *c = ytree_map_get(v, keys[i]);
		char cw[120];
		snprintf(cw, sizeof(cw), "%s.%s", what, keys[i]);
		const char *s;
		struct cell_color col;
		if (c && s_color_text(c, cw, &s, e) < 0)
			return -1;
		if (c && s_parse_literal(s, &col) < 0)
			return ytree_error(
			    e, c,
			    "%s: bad colour '%.60s' (expected \"#rrggbb\", \"#rgb\", "
			    "0-255, default, a basic colour or a palette name)",
			    cw, s);
	}
	for (int i = 2; i < 4; i++) {
		const struct ytree_node *a = ytree_map_get(v, keys[i]);
		char aw[120];
		snprintf(aw, sizeof(aw), "%s.%s", what, keys[i]);
		uint8_t bits;
		if (a && s_parse_attrs(a, aw, &bits, e) < 0)
			return -1;
	}
	return 0;
}

/* Checks one file's shape and every value in it, and notes its sections. */
static int s_check_layer(struct s_layer *l, struct err *e)
{
	static const char *const top[] = {"extends", "palette", "elements", "description", NULL};
	const struct ytree_node *r = l->doc->root;
	if (!r)
		return 0; /* an empty file: a theme that sets nothing */
	if (ytree_check_keys(r, "theme", top, e) < 0)
		return -1;
	const struct ytree_node *desc = ytree_map_get(r, "description");
	const char *text;
	if (desc && ytree_get_string(desc, "description", &text, e) < 0)
		return -1;
	l->extends = ytree_map_get(r, "extends");
	l->palette = ytree_map_get(r, "palette");
	l->elements = ytree_map_get(r, "elements");
	if (l->palette && !ytree_is_null(l->palette) && s_check_palette(l->palette, e) < 0)
		return -1;
	if (l->elements && ytree_is_null(l->elements))
		l->elements = NULL;
	if (l->palette && ytree_is_null(l->palette))
		l->palette = NULL;
	if (!l->elements)
		return 0;
	if (ytree_expect_map(l->elements, "elements", e) < 0)
		return -1;
	for (size_t i = 0; i < l->elements->npairs; i++)
		if (s_check_element(l->elements->pairs[i].key, l->elements->pairs[i].value, e) < 0)
			return -1;
	return 0;
}

static void s_layer_paths(struct s_layer *l, const char *path)
{
	l->real = realpath(path, NULL);
	if (!l->real)
		l->real = xstrdup(path);
	char *slash = strrchr(l->real, '/');
	l->dir = slash ? xstrndup(l->real, (size_t)(slash - l->real)) : xstrdup(".");
	if (slash == l->real) {
		free(l->dir);
		l->dir = xstrdup("/");
	}
}

/* "a.yaml -> b.yaml -> a.yaml" for a cycle message. */
static void s_cycle_text(const struct s_chain *c, const char *again, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i <= c->n; i++) {
		const char *p = i < c->n ? c->l[i].real : again;
		const char *base = p ? strrchr(p, '/') : NULL;
		base = base ? base + 1 : (p ? p : "(buffer)");
		int w = snprintf(buf + used, size - used, "%s%.40s", i ? " -> " : "", base);
		if (w < 0 || (size_t)w >= size - used)
			return;
		used += (size_t)w;
	}
}

/* Loads the bases named by `extends`, from the last layer loaded on. */
static int s_load_bases(struct s_chain *c, const char *const *dirs, struct err *e)
{
	for (;;) {
		struct s_layer *last = &c->l[c->n - 1];
		const struct ytree_node *x = last->extends;
		if (!x || ytree_is_null(x))
			return 0;
		const char *name;
		if (ytree_get_string(x, "extends", &name, e) < 0)
			return -1;
		if (c->n > THEME_EXTENDS_MAX)
			return ytree_error(e, x, "extends: more than %d levels of themes",
					   THEME_EXTENDS_MAX);
		struct err fe = {0};
		char *path = s_find(name, last->dir, last->real, dirs, &fe);
		if (!path)
			return ytree_error(e, x, "extends: %s", fe.msg);
		struct s_layer nl = {0};
		s_layer_paths(&nl, path);
		for (size_t i = 0; i < c->n; i++) {
			if (c->l[i].real && strcmp(c->l[i].real, nl.real) == 0) {
				char cyc[300];
				s_cycle_text(c, nl.real, cyc, sizeof(cyc));
				free(path);
				free(nl.real);
				free(nl.dir);
				return ytree_error(e, x, "extends: '%.60s' makes a cycle (%s)",
						   name, cyc);
			}
		}
		int rc = ytree_load_file(path, NULL, &nl.doc, e);
		free(path);
		c->l[c->n++] = nl;
		if (rc < 0) {
			if (e && e->code == ERR_NOTFOUND) {
				char msg[ERR_MSG_MAX];
				snprintf(msg, sizeof(msg), "%.400s", e->msg);
				return ytree_error(e, x, "extends: %s", msg);
			}
			return -1;
		}
		if (s_check_layer(&c->l[c->n - 1], e) < 0)
			return -1;
	}
}

/* ---- Merging the chain into a theme --------------------------------------- */

/* The node of field `field` of element `name` in the first layer setting it. */
static const struct ytree_node *s_field(const struct s_chain *c, const char *name,
					const char *field)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct ytree_node *el = ytree_map_get(c->l[i].elements, name);
		const struct ytree_node *f = el ? ytree_map_get(el, field) : NULL;
		if (f)
			return f;
	}
	return NULL;
}

static const struct ytree_node *s_palette_get(const struct s_chain *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct ytree_node *v = ytree_map_get(c->l[i].palette, name);
		if (v)
			return v;
	}
	return NULL;
}

/* A colour field: a palette name (palette entries win over basic names), else a
 * literal. The syntax was checked already. */
static int s_resolve_color(const struct s_chain *c, const struct ytree_node *n, const char *what,
			   struct cell_color *out, struct err *e)
{
	const char *s;
	if (s_color_text(n, what, &s, e) < 0)
		return -1;
	const struct ytree_node *pv = s_valid_name(s) ? s_palette_get(c, s) : NULL;
	if (pv) {
		const char *ps;
		if (s_color_text(pv, what, &ps, e) < 0)
			return -1;
		if (s_parse_literal(ps, out) != 0)
			return ytree_error(e, pv, "%s: bad colour '%.60s'", what, ps);
		return 0;
	}
	int rc = s_parse_literal(s, out);
	if (rc == 0)
		return 0;
	return ytree_error(
	    e, n, "%s: unknown colour '%.60s' (not in the palette and not a colour name)", what, s);
}

static int s_merge_elem(const struct s_chain *c, int i, struct theme_style *st, struct err *e)
{
	const char *name = s_elem_names[i];
	static const char *const fields[] = {"fg", "bg", "attrs", "mono"};
	const struct ytree_node *f[4];
	char what[4][100];
	for (int k = 0; k < 4; k++) {
		f[k] = s_field(c, name, fields[k]);
		snprintf(what[k], sizeof(what[k]), "elements.%.60s.%s", name, fields[k]);
		if (f[k])
			st->defined = true;
	}
	if (f[0] && s_resolve_color(c, f[0], what[0], &st->fg, e) < 0)
		return -1;
	if (f[1] && s_resolve_color(c, f[1], what[1], &st->bg, e) < 0)
		return -1;
	if (f[2] && s_parse_attrs(f[2], what[2], &st->attrs, e) < 0)
		return -1;
	if (f[3] && s_parse_attrs(f[3], what[3], &st->mono_attrs, e) < 0)
		return -1;
	st->has_mono = f[3] != NULL;
	/* Fields no theme sets come from `normal` (resolved first). */
	return 0;
}

static int s_build(struct s_chain *c, struct theme *t, struct err *e)
{
	bool set[CELL_ELEM_COUNT][2] = {{false}};
	for (int i = 0; i < CELL_ELEM_COUNT; i++) {
		memset(&t->elems[i], 0, sizeof(t->elems[i]));
		if (s_merge_elem(c, i, &t->elems[i], e) < 0)
			return -1;
		set[i][0] = s_field(c, s_elem_names[i], "fg") != NULL;
		set[i][1] = s_field(c, s_elem_names[i], "bg") != NULL;
	}
	for (int i = 1; i < CELL_ELEM_COUNT; i++) {
		if (!set[i][0])
			t->elems[i].fg = t->elems[CELL_NORMAL].fg;
		if (!set[i][1])
			t->elems[i].bg = t->elems[CELL_NORMAL].bg;
	}
	return 0;
}

static int s_load(const char *name, struct s_chain *c, const char *const *dirs, struct theme **out,
		  struct err *e)
{
	*out = NULL;
	if (s_check_layer(&c->l[0], e) < 0 || s_load_bases(c, dirs, e) < 0)
		return -1;
	struct theme *t = xcalloc(1, sizeof(*t));
	if (s_build(c, t, e) < 0) {
		free(t);
		return -1;
	}
	t->name = xstrdup(name);
	t->path = xstrdup(c->l[0].real ? c->l[0].real : name);
	*out = t;
	return 0;
}

int theme_load(const char *name, const char *const *dirs, struct theme **out, struct err *e)
{
	*out = NULL;
	char *path = s_find(name, NULL, NULL, dirs, e);
	if (!path)
		return -1;
	struct s_chain c = {0};
	s_layer_paths(&c.l[0], path);
	int rc = ytree_load_file(path, NULL, &c.l[0].doc, e);
	free(path);
	c.n = 1;
	if (rc == 0)
		rc = s_load(name, &c, dirs, out, e);
	s_chain_cleanup(&c);
	return rc;
}

int theme_load_buffer(const char *name, const char *yaml, size_t len, const char *const *dirs,
		      struct theme **out, struct err *e)
{
	*out = NULL;
	struct s_chain c = {0};
	int rc = ytree_load_buffer(name, yaml, len, &c.l[0].doc, e);
	c.n = 1;
	if (rc == 0)
		rc = s_load(name, &c, dirs, out, e);
	s_chain_cleanup(&c);
	return rc;
}

void theme_free(struct theme *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->path);
	free(t);
}

/* ---- Listing -------------------------------------------------------------- */

static int s_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **theme_list(const char *const *dirs)
{
	size_t n = 0, cap = 16;
	char **names = xcalloc(cap, sizeof(*names));
	for (size_t i = 0; dirs && dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (len <= 5 || de->d_name[0] == '.' ||
			    strcmp(de->d_name + len - 5, ".yaml") != 0)
				continue;
			if (n + 1 >= cap) {
				cap *= 2;
				names = xrealloc(names, cap * sizeof(*names));
			}
			names[n++] = xstrndup(de->d_name, len - 5);
		}
		closedir(d);
	}
	qsort(names, n, sizeof(*names), s_cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && strcmp(names[k - 1], names[i]) == 0)
			free(names[i]);
		else
			names[k++] = names[i];
	}
	names[k] = NULL;
	return names;
}

void theme_list_free(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}
