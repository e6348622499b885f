#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "xmem.h"

#define INI_MAX_BYTES (4u << 20)

struct ini_entry {
	char *section;
	char *key; /* lowercase; "parent.child" for nested keys */
	char *value;
};

struct ini {
	char *name;
	struct ini_entry *items;
	size_t n, cap;
};

static void s_add(struct ini *ini, const char *section, const char *key, const char *value)
{
	if (ini->n == ini->cap) {
		ini->cap = ini->cap ? ini->cap * 2 : 16;
		ini->items = xrealloc(ini->items, ini->cap * sizeof(*ini->items));
	}
	struct ini_entry *en = &ini->items[ini->n++];
	en->section = xstrdup(section);
	en->key = xstrdup(key);
	for (char *p = en->key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	en->value = xstrdup(value);
}

/* Trims white space at both ends in place; returns the start. */
static char *s_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

struct s_state {
	struct ini *ini;
	char *section; /* current section, NULL before the first */
	char *parent;  /* the key of an open nested block ("s3"), or NULL */
	const char *name;
};

static int s_line(struct s_state *st, char *line, int lineno, struct err *e)
{
	bool indented = line[0] == ' ' || line[0] == '\t';
	char *s = s_trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *end = strrchr(s, ']');
		if (!end)
			return err_set(e, ERR_CONFIG, "%.300s:%d: section header without ']'",
				       st->name, lineno);
		*end = '\0';
		free(st->section);
		st->section = xstrdup(s_trim(s + 1));
		s_add(st->ini, st->section, "", ""); /* the section exists, even empty */
		free(st->parent);
		st->parent = NULL;
		return 0;
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return err_set(e, ERR_CONFIG, "%.300s:%d: expected 'key = value'", st->name,
			       lineno);
	if (!st->section)
		return err_set(e, ERR_CONFIG, "%.300s:%d: setting outside a [section]", st->name,
			       lineno);
	*eq = '\0';
	char *key = s_trim(s), *value = s_trim(eq + 1);
	if (!*key)
		return err_set(e, ERR_CONFIG, "%.300s:%d: empty key", st->name, lineno);
	if (indented && st->parent) {
		char *full = xasprintf("%s.%s", st->parent, key);
		s_add(st->ini, st->section, full, value);
		free(full);
		return 0;
	}
	free(st->parent);
	st->parent = NULL;
	if (!*value)
		st->parent = xstrdup(key); /* "s3 =" opens a nested block */
	s_add(st->ini, st->section, key, value);
	return 0;
}

int ini_parse(const char *text, size_t len, const char *name, struct ini **out, struct err *e)
{
	struct ini *ini = xcalloc(1, sizeof(*ini));
	ini->name = xstrdup(name);
	struct s_state st = {.ini = ini, .name = name};
	char *copy = xstrndup(text, len);
	int rc = 0, lineno = 0;
	char *save = NULL;
	/* strtok_r would skip empty lines and lose line numbers: split by hand. */
	for (char *line = copy; line && rc == 0; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		rc = s_line(&st, line, lineno, e);
	}
	free(copy);
	free(st.section);
	free(st.parent);
	if (rc < 0) {
		ini_free(ini);
		*out = NULL;
		return -1;
	}
	*out = ini;
	return 0;
}

int ini_load(const char *path, struct ini **out, mode_t *mode_out, struct err *e)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	if (mode_out)
		*mode_out = 0;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return err_errno(e, errno, "cannot read %.300s", path);
		return ini_parse("", 0, path, out, e);
	}
	if (mode_out)
		*mode_out = st.st_mode & 07777;
	if (fsutil_read_all(path, INI_MAX_BYTES, &text, &len, e) < 0)
		return -1;
	int rc = ini_parse(text, len, path, out, e);
	free(text);
	return rc;
}

void ini_free(struct ini *ini)
{
	if (!ini)
		return;
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->items[i].section);
		free(ini->items[i].key);
		/* Values may be secrets: wipe them. */
		memset(ini->items[i].value, 0, strlen(ini->items[i].value));
		free(ini->items[i].value);
	}
	free(ini->items);
	free(ini->name);
	free(ini);
}

const char *ini_get(const struct ini *ini, const char *section, const char *key)
{
	if (!ini)
		return NULL;
	for (size_t i = ini->n; i-- > 0;) {
		const struct ini_entry *en = &ini->items[i];
		if (strcmp(en->section, section) == 0 && strcasecmp(en->key, key) == 0)
			return en->value;
	}
	return NULL;
}

bool ini_has_section(const struct ini *ini, const char *section)
{
	for (size_t i = 0; ini && i < ini->n; i++)
		if (strcmp(ini->items[i].section, section) == 0)
			return true;
	return false;
}

const char *ini_name(const struct ini *ini)
{
	return ini ? ini->name : "";
}
