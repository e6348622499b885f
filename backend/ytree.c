/* ytree: libyaml events turned into a tree of positioned nodes (see ytree.h).
 * The event API is used rather than libyaml's document API so that an alias can
 * only name a node that is already complete (no cycles) and so that positions,
 * styles and duplicate keys are under our control. */
#include "ytree.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define S_MAX_DEPTH	  256
#define S_MAX_FILE_BYTES  (16 * 1024 * 1024)
#define S_MAX_JSON_VALUES 1000000
#define S_MAX_JSON_DEPTH  1024
#define S_TAG_STR	  "tag:yaml.org,2002:str"

struct s_frame {
	struct ytree_node *node;
	struct ytree_node *pending_key; /* mappings: key waiting for its value */
	char *anchor;			/* anchor to register when complete (owned) */
};

struct s_anchor {
	char *name; /* owned */
	struct ytree_node *node;
};

struct s_loader {
	struct ytree_doc *doc;
	const char *data;
	size_t len;
	struct s_frame stack[S_MAX_DEPTH];
	size_t depth;
	struct s_anchor *anchors;
	size_t nanchors, capanchors;
	int ndocs;
	struct err *e;
};

/* ---- errors ---------------------------------------------------------------- */

static int s_verror(struct err *e, const char *file, int line, int column, const char *fmt,
		    va_list ap)
{
	char msg[ERR_MSG_MAX];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!file)
		return err_set(e, ERR_CONFIG, "%s", msg);
	if (line <= 0)
		return err_set(e, ERR_CONFIG, "%.200s: %s", file, msg);
	return err_set(e, ERR_CONFIG, "%.200s:%d:%d: %s", file, line, column, msg);
}

int ytree_error(struct err *e, const struct ytree_node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (n)
		s_verror(e, n->file, n->line, n->column, fmt, ap);
	else
		s_verror(e, NULL, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

static int s_error_at(struct s_loader *l, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_error_at(struct s_loader *l, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	s_verror(l->e, l->doc->name, (int)mark.line + 1, (int)mark.column + 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* Line and column (1-based, counted in characters) of a byte offset. */
static void s_offset_position(const char *data, size_t len, size_t offset, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset && i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\n') {
			(*line)++;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int s_parser_error(struct s_loader *l, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	if (p->error == YAML_MEMORY_ERROR)
		return err_set(l->e, ERR_INTERNAL, "%.200s: out of memory", l->doc->name);
	if (p->error == YAML_READER_ERROR) {
		int line, col;
		s_offset_position(l->data, l->len, p->problem_offset, &line, &col);
		return err_set(l->e, ERR_CONFIG, "%.200s:%d:%d: %.200s", l->doc->name, line, col,
			       problem);
	}
	if (p->context)
		return s_error_at(l, p->problem_mark, "%.150s (%.100s at line %d column %d)",
				  problem, p->context, (int)p->context_mark.line + 1,
				  (int)p->context_mark.column + 1);
	return s_error_at(l, p->problem_mark, "%.200s", problem);
}

/* ---- nodes ----------------------------------------------------------------- */

static struct ytree_node *s_node_new(struct s_loader *l, enum ytree_kind kind, yaml_mark_t mark)
{
	struct ytree_doc *d = l->doc;
	if (d->nall_ == d->capall_) {
		size_t cap = d->capall_ ? d->capall_ * 2 : 32;
		struct ytree_node **all = realloc(d->all_, cap * sizeof(*all));
		if (!all)
			return NULL;
		d->all_ = all;
		d->capall_ = cap;
	}
	struct ytree_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->file = d->name;
	n->line = (int)mark.line + 1;
	n->column = (int)mark.column + 1;
	d->all_[d->nall_++] = n;
	return n;
}

static void s_node_free(struct ytree_node *n)
{
	free(n->value);
	free(n->pairs);
	free(n->items);
	free(n);
}

void ytree_doc_free(struct ytree_doc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->nall_; i++)
		s_node_free(doc->all_[i]);
	free(doc->all_);
	free(doc->name);
	free(doc);
}

static bool s_key_eq(const struct ytree_node *k, const char *s, size_t len)
{
	return k->len == len && memcmp(k->value, s, len) == 0;
}

static struct ytree_pair *s_find_pair(const struct ytree_node *map, const struct ytree_node *key)
{
	for (size_t i = 0; i < map->npairs; i++)
		if (s_key_eq(map->pairs[i].key, key->value, key->len))
			return &map->pairs[i];
	return NULL;
}

static bool s_is_merge_key(const struct ytree_node *k)
{
	return !k->quoted && k->len == 2 && memcmp(k->value, "<<", 2) == 0;
}

/* Arrays grow to 4, then double: with n elements, capacity is exhausted when n
 * is 0 or a power of two of at least 4. */
static bool s_needs_growth(size_t n)
{
	return n == 0 || (n >= 4 && (n & (n - 1)) == 0);
}

static int s_push_pair(struct ytree_node *map, struct ytree_node *k, struct ytree_node *v)
{
	/* capacity grows in powers of two; npairs tells where we are */
	size_t n = map->npairs;
	if (s_needs_growth(n)) {
		size_t cap = n ? n * 2 : 4;
		struct ytree_pair *p = realloc(map->pairs, cap * sizeof(*p));
		if (!p)
			return -1;
		map->pairs = p;
	}
	map->pairs[n].key = k;
	map->pairs[n].value = v;
	map->npairs = n + 1;
	return 0;
}

static int s_push_item(struct ytree_node *seq, struct ytree_node *v)
{
	size_t n = seq->nitems;
	if (s_needs_growth(n)) {
		size_t cap = n ? n * 2 : 4;
		struct ytree_node **items = realloc(seq->items, cap * sizeof(*items));
		if (!items)
			return -1;
		seq->items = items;
	}
	seq->items[n] = v;
	seq->nitems = n + 1;
	return 0;
}

/* Appends the pairs of src whose keys are not yet in dst. */
static int s_merge_from(struct s_loader *l, struct ytree_node *dst, const struct ytree_node *src,
			const struct ytree_node *at)
{
	if (src->kind != YTREE_MAP)
		return ytree_error(l->e, at,
				   "the value of a merge key '<<' must be a mapping or a "
				   "sequence of mappings");
	for (size_t i = 0; i < src->npairs; i++)
		if (!s_find_pair(dst, src->pairs[i].key) &&
		    s_push_pair(dst, src->pairs[i].key, src->pairs[i].value) < 0)
			return err_set(l->e, ERR_INTERNAL, "out of memory");
	return 0;
}

/* Applies `<<` merge keys of a completed mapping: explicit keys first (in order),
 * then merged keys that are not already there. */
static int s_apply_merges(struct s_loader *l, struct ytree_node *map)
{
	size_t nmerge = 0;
	for (size_t i = 0; i < map->npairs; i++)
		nmerge += s_is_merge_key(map->pairs[i].key);
	if (!nmerge)
		return 0;
	struct ytree_pair *old = map->pairs;
	size_t nold = map->npairs;
	map->pairs = NULL;
	map->npairs = 0;
	int rc = -1;
	for (size_t i = 0; i < nold; i++)
		if (!s_is_merge_key(old[i].key) && s_push_pair(map, old[i].key, old[i].value) < 0)
			goto nomem;
	for (size_t i = 0; i < nold; i++) {
		if (!s_is_merge_key(old[i].key))
			continue;
		struct ytree_node *v = old[i].value;
		if (v->kind == YTREE_SEQ) {
			for (size_t j = 0; j < v->nitems; j++)
				if (s_merge_from(l, map, v->items[j], v->items[j]) < 0)
					goto out;
		} else if (s_merge_from(l, map, v, old[i].key) < 0) {
			goto out;
		}
	}
	rc = 0;
	goto out;
nomem:
	err_set(l->e, ERR_INTERNAL, "out of memory");
out:
	free(old);
	return rc;
}

/* ---- loader ---------------------------------------------------------------- */

static int s_register_anchor(struct s_loader *l, char *name, struct ytree_node *n)
{
	if (!name)
		return 0;
	if (l->nanchors == l->capanchors) {
		size_t cap = l->capanchors ? l->capanchors * 2 : 8;
		struct s_anchor *a = realloc(l->anchors, cap * sizeof(*a));
		if (!a) {
			free(name);
			return err_set(l->e, ERR_INTERNAL, "out of memory");
		}
		l->anchors = a;
		l->capanchors = cap;
	}
	l->anchors[l->nanchors].name = name;
	l->anchors[l->nanchors].node = n;
	l->nanchors++;
	return 0;
}

static struct ytree_node *s_find_anchor(struct s_loader *l, const char *name)
{
	for (size_t i = l->nanchors; i > 0; i--) /* a redefined anchor wins */
		if (strcmp(l->anchors[i - 1].name, name) == 0)
			return l->anchors[i - 1].node;
	return NULL;
}

static char *s_strdup_or_null(const yaml_char_t *s)
{
	return s ? strdup((const char *)s) : NULL;
}

/* Attaches a completed node to the open collection on top of the stack (or
 * makes it the root). */
static int s_attach(struct s_loader *l, struct ytree_node *n)
{
	if (l->depth == 0) {
		l->doc->root = n;
		return 0;
	}
	struct s_frame *top = &l->stack[l->depth - 1];
	if (top->node->kind == YTREE_SEQ)
		return s_push_item(top->node, n) < 0 ? err_set(l->e, ERR_INTERNAL, "out of memory")
						     : 0;
	if (!top->pending_key) {
		if (n->kind != YTREE_SCALAR)
			return ytree_error(l->e, n, "mapping keys must be scalars");
		struct ytree_pair *dup = s_find_pair(top->node, n);
		if (dup)
			return ytree_error(l->e, n, "duplicate key '%.100s' (first at line %d)",
					   n->value, dup->key->line);
		top->pending_key = n;
		return 0;
	}
	if (s_push_pair(top->node, top->pending_key, n) < 0)
		return err_set(l->e, ERR_INTERNAL, "out of memory");
	top->pending_key = NULL;
	return 0;
}

static int s_on_scalar(struct s_loader *l, yaml_event_t *ev)
{
	struct ytree_node *n = s_node_new(l, YTREE_SCALAR, ev->start_mark);
	if (!n || !(n->value = malloc(ev->data.scalar.length + 1)))
		return err_set(l->e, ERR_INTERNAL, "out of memory");
	memcpy(n->value, ev->data.scalar.value, ev->data.scalar.length);
	n->value[ev->data.scalar.length] = '\0';
	n->len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		    (tag && (strcmp(tag, S_TAG_STR) == 0 || strcmp(tag, "!") == 0));
	if (ev->data.scalar.anchor) {
		char *a = s_strdup_or_null(ev->data.scalar.anchor);
		if (!a || s_register_anchor(l, a, n) < 0)
			return err_set(l->e, ERR_INTERNAL, "out of memory");
	}
	return s_attach(l, n);
}

static int s_on_start(struct s_loader *l, yaml_event_t *ev, enum ytree_kind kind)
{
	if (l->depth == S_MAX_DEPTH)
		return s_error_at(l, ev->start_mark, "nesting deeper than %d levels", S_MAX_DEPTH);
	struct ytree_node *n = s_node_new(l, kind, ev->start_mark);
	if (!n)
		return err_set(l->e, ERR_INTERNAL, "out of memory");
	const yaml_char_t *anchor =
	    kind == YTREE_MAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct s_frame *f = &l->stack[l->depth++];
	f->node = n;
	f->pending_key = NULL;
	f->anchor = s_strdup_or_null(anchor);
	if (anchor && !f->anchor)
		return err_set(l->e, ERR_INTERNAL, "out of memory");
	return 0;
}

static int s_on_end(struct s_loader *l)
{
	struct s_frame f = l->stack[--l->depth];
	if (f.node->kind == YTREE_MAP && s_apply_merges(l, f.node) < 0) {
		free(f.anchor);
		return -1;
	}
	if (s_register_anchor(l, f.anchor, f.node) < 0)
		return -1;
	return s_attach(l, f.node);
}

static int s_on_alias(struct s_loader *l, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ytree_node *n = s_find_anchor(l, name);
	for (size_t i = 0; !n && i < l->depth; i++)
		if (l->stack[i].anchor && strcmp(l->stack[i].anchor, name) == 0)
			return s_error_at(l, ev->start_mark,
					  "alias '%.100s' refers to a node that contains it", name);
	if (!n)
		return s_error_at(l, ev->start_mark, "undefined alias '%.100s'", name);
	return s_attach(l, n);
}

static int s_on_event(struct s_loader *l, yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++l->ndocs > 1)
			return s_error_at(l, ev->start_mark,
					  "more than one YAML document (only one is allowed)");
		return 0;
	case YAML_SCALAR_EVENT:
		return s_on_scalar(l, ev);
	case YAML_SEQUENCE_START_EVENT:
		return s_on_start(l, ev, YTREE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return s_on_start(l, ev, YTREE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return s_on_end(l);
	case YAML_ALIAS_EVENT:
		return s_on_alias(l, ev);
	default:
		return 0;
	}
}

static int s_run(struct s_loader *l)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return err_set(l->e, ERR_INTERNAL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)l->data, l->len);
	int rc = -1;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			s_parser_error(l, &parser);
			goto out;
		}
		int done = ev.type == YAML_STREAM_END_EVENT;
		int r = s_on_event(l, &ev);
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
		if (done)
			break;
	}
	rc = 0;
out:
	for (size_t i = 0; i < l->depth; i++)
		free(l->stack[i].anchor);
	l->depth = 0;
	yaml_parser_delete(&parser);
	return rc;
}

int ytree_load_buffer(const char *name, const char *data, size_t len, struct ytree_doc **out,
		      struct err *e)
{
	*out = NULL;
	struct s_loader l = {.data = data, .len = len, .e = e};
	l.doc = calloc(1, sizeof(*l.doc));
	if (!l.doc || !(l.doc->name = strdup(name ? name : "<yaml>"))) {
		free(l.doc);
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	int rc = s_run(&l);
	for (size_t i = 0; i < l.nanchors; i++)
		free(l.anchors[i].name);
	free(l.anchors);
	if (rc < 0) {
		ytree_doc_free(l.doc);
		return -1;
	}
	*out = l.doc;
	return 0;
}

/* Reads the whole file (at most S_MAX_FILE_BYTES) into a new buffer. */
static int s_read_file(FILE *f, const char *shown, char **out, size_t *out_len, struct err *e)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return err_set(e, ERR_INTERNAL, "out of memory");
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0 || len > S_MAX_FILE_BYTES)
			break;
	}
	if (ferror(f)) {
		int saved = errno ? errno : EIO;
		free(buf);
		return err_errno(e, saved, "%.300s", shown);
	}
	if (len > S_MAX_FILE_BYTES) {
		free(buf);
		return err_set(e, ERR_CONFIG, "%.300s: larger than %d MiB", shown,
			       S_MAX_FILE_BYTES / (1024 * 1024));
	}
	*out = buf;
	*out_len = len;
	return 0;
}

int ytree_load_file(const char *path, const char *name, struct ytree_doc **out, struct err *e)
{
	*out = NULL;
	const char *shown = name ? name : path;
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_errno(e, errno, "%.300s", shown);
	char *buf = NULL;
	size_t len = 0;
	int rc = s_read_file(f, shown, &buf, &len, e);
	fclose(f);
	if (rc == 0)
		rc = ytree_load_buffer(shown, buf, len, out, e);
	free(buf);
	return rc;
}

/* ---- scalar typing (YAML 1.2 core schema, plus 1.1 booleans) --------------- */

static bool s_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static const char *const s_null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const s_true_core[] = {"true", "True", "TRUE", NULL};
static const char *const s_false_core[] = {"false", "False", "FALSE", NULL};
static const char *const s_true_11[] = {"true", "True", "TRUE", "yes", "Yes",
					"YES",	"on",	"On",	"ON",  NULL};
static const char *const s_false_11[] = {"false", "False", "FALSE", "no",  "No",
					 "NO",	  "off",   "Off",   "OFF", NULL};

static bool s_plain(const struct ytree_node *n)
{
	return n && n->kind == YTREE_SCALAR && !n->quoted;
}

bool ytree_is_null(const struct ytree_node *n)
{
	return s_plain(n) && s_in(n->value, s_null_words);
}

static bool s_all(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

#define S_DIGITS "0123456789"

/* Whether s is a core-schema integer; the value goes to *out, *overflow tells
 * whether it did not fit. */
static bool s_parse_int(const char *s, long long *out, bool *overflow)
{
	int base = 10;
	const char *digits = s;
	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		digits = s + 2;
		if (!s_all(digits, S_DIGITS "abcdefABCDEF"))
			return false;
	} else if (s[0] == '0' && s[1] == 'o') {
		base = 8;
		digits = s + 2;
		if (!s_all(digits, "01234567"))
			return false;
	} else {
		if (*digits == '-' || *digits == '+')
			digits++;
		if (!s_all(digits, S_DIGITS))
			return false;
		digits = s;
	}
	errno = 0;
	char *end;
	*out = strtoll(digits, &end, base);
	*overflow = errno == ERANGE;
	return true;
}

static size_t s_span(const char *s, const char *set)
{
	return strspn(s, set);
}

/* Core-schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? or
 * .inf / .nan spellings (*special set then). */
static bool s_is_float(const char *s, bool *special)
{
	*special = false;
	const char *p = s + (*s == '-' || *s == '+');
	const char *const inf[] = {".inf", ".Inf", ".INF", NULL};
	const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};
	if (s_in(p, inf) || s_in(s, nan)) {
		*special = true;
		return true;
	}
	size_t intd = s_span(p, S_DIGITS);
	p += intd;
	size_t fracd = 0;
	if (*p == '.') {
		p++;
		fracd = s_span(p, S_DIGITS);
		p += fracd;
	}
	if (intd == 0 && fracd == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		p += (*p == '-' || *p == '+');
		size_t expd = s_span(p, S_DIGITS);
		if (!expd)
			return false;
		p += expd;
	}
	return *p == '\0';
}

const char *ytree_describe(const struct ytree_node *n)
{
	if (!n)
		return "nothing";
	if (n->kind == YTREE_MAP)
		return "a mapping";
	if (n->kind == YTREE_SEQ)
		return "a sequence";
	if (n->quoted)
		return "a string";
	if (ytree_is_null(n))
		return "null";
	if (s_in(n->value, s_true_11) || s_in(n->value, s_false_11))
		return "a boolean";
	long long v;
	bool overflow, special;
	if (s_parse_int(n->value, &v, &overflow))
		return "an integer";
	if (s_is_float(n->value, &special))
		return "a number";
	return "a string";
}

/* ---- accessors ------------------------------------------------------------- */

struct ytree_node *ytree_map_get(const struct ytree_node *map, const char *key)
{
	if (!map || map->kind != YTREE_MAP)
		return NULL;
	size_t len = strlen(key);
	for (size_t i = 0; i < map->npairs; i++)
		if (s_key_eq(map->pairs[i].key, key, len))
			return map->pairs[i].value;
	return NULL;
}

struct ytree_node *ytree_path(const struct ytree_node *n, const char *const *keys)
{
	struct ytree_node *cur = (struct ytree_node *)n;
	for (; cur && *keys; keys++)
		cur = ytree_map_get(cur, *keys);
	return cur;
}

static int s_expected(const struct ytree_node *n, const char *what, const char *expected,
		      struct err *e)
{
	return ytree_error(e, n, "%.150s: expected %s, got %s", what, expected, ytree_describe(n));
}

int ytree_expect_map(const struct ytree_node *n, const char *what, struct err *e)
{
	return n && n->kind == YTREE_MAP ? 0 : s_expected(n, what, "a mapping", e);
}

int ytree_expect_seq(const struct ytree_node *n, const char *what, struct err *e)
{
	return n && n->kind == YTREE_SEQ ? 0 : s_expected(n, what, "a sequence", e);
}

int ytree_get_string(const struct ytree_node *n, const char *what, const char **out, struct err *e)
{
	if (!n || n->kind != YTREE_SCALAR || ytree_is_null(n))
		return s_expected(n, what, "a string", e);
	if (strlen(n->value) != n->len)
		return ytree_error(e, n, "%.150s: contains a NUL character", what);
	*out = n->value;
	return 0;
}

int ytree_get_int(const struct ytree_node *n, const char *what, long long min, long long max,
		  long long *out, struct err *e)
{
	long long v;
	bool overflow;
	if (!s_plain(n) || !s_parse_int(n->value, &v, &overflow))
		return s_expected(n, what, "an integer", e);
	if (overflow || v < min || v > max)
		return ytree_error(e, n, "%.150s: %.40s is out of range (%lld to %lld)", what,
				   n->value, min, max);
	*out = v;
	return 0;
}

int ytree_get_bool(const struct ytree_node *n, const char *what, bool *out, struct err *e)
{
	if (s_plain(n) && s_in(n->value, s_true_11)) {
		*out = true;
		return 0;
	}
	if (s_plain(n) && s_in(n->value, s_false_11)) {
		*out = false;
		return 0;
	}
	return ytree_error(e, n, "%.150s: expected a boolean (true/false, yes/no, on/off), got %s",
			   what, ytree_describe(n));
}

int ytree_check_keys(const struct ytree_node *map, const char *what, const char *const *allowed,
		     struct err *e)
{
	if (ytree_expect_map(map, what, e) < 0)
		return -1;
	for (size_t i = 0; i < map->npairs; i++) {
		const struct ytree_node *k = map->pairs[i].key;
		if (s_in(k->value, allowed))
			continue;
		char list[300] = "";
		size_t used = 0;
		for (const char *const *a = allowed; *a && used < sizeof(list) - 1; a++) {
			int w = snprintf(list + used, sizeof(list) - used, "%s%.60s",
					 a == allowed ? "" : ", ", *a);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		return ytree_error(e, k, "unknown key '%.80s' in %.100s (expected one of: %.300s)",
				   k->value, what, list);
	}
	return 0;
}

/* ---- JSON ------------------------------------------------------------------ */

struct s_json_ctx {
	size_t values;
	struct err *e;
};

static json_t *s_scalar_json(const struct ytree_node *n, struct err *e)
{
	if (n->quoted)
		return json_stringn(n->value, n->len);
	if (ytree_is_null(n))
		return json_null();
	if (s_in(n->value, s_true_core))
		return json_true();
	if (s_in(n->value, s_false_core))
		return json_false();
	long long v;
	bool overflow, special;
	if (s_parse_int(n->value, &v, &overflow)) {
		if (overflow) {
			ytree_error(e, n, "integer %.40s does not fit in 64 bits", n->value);
			return NULL;
		}
		return json_integer(v);
	}
	if (s_is_float(n->value, &special)) {
		if (special) {
			ytree_error(e, n, "%.10s cannot be represented in JSON", n->value);
			return NULL;
		}
		return json_real(strtod(n->value, NULL));
	}
	return json_stringn(n->value, n->len);
}

static json_t *s_to_json(const struct ytree_node *n, struct s_json_ctx *c, int depth)
{
	if (++c->values > S_MAX_JSON_VALUES) {
		ytree_error(c->e, n, "too many values after expanding aliases");
		return NULL;
	}
	if (depth > S_MAX_JSON_DEPTH) {
		ytree_error(c->e, n, "nesting too deep after expanding aliases");
		return NULL;
	}
	if (n->kind == YTREE_SCALAR) {
		json_t *j = s_scalar_json(n, c->e);
		if (!j && c->e && c->e->code == ERR_NONE)
			err_set(c->e, ERR_INTERNAL, "out of memory");
		return j;
	}
	json_t *out = n->kind == YTREE_MAP ? json_object() : json_array();
	if (!out)
		goto nomem;
	size_t count = n->kind == YTREE_MAP ? n->npairs : n->nitems;
	for (size_t i = 0; i < count; i++) {
		const struct ytree_node *child =
		    n->kind == YTREE_MAP ? n->pairs[i].value : n->items[i];
		json_t *j = s_to_json(child, c, depth + 1);
		if (!j) {
			json_decref(out);
			return NULL;
		}
		int r = n->kind == YTREE_MAP ? json_object_setn_new(out, n->pairs[i].key->value,
								    n->pairs[i].key->len, j)
					     : json_array_append_new(out, j);
		if (r < 0) {
			json_decref(out);
			if (n->kind == YTREE_MAP)
				ytree_error(c->e, n->pairs[i].key, "key is not valid for JSON");
			else
				err_set(c->e, ERR_INTERNAL, "out of memory");
			return NULL;
		}
	}
	return out;
nomem:
	err_set(c->e, ERR_INTERNAL, "out of memory");
	return NULL;
}

json_t *ytree_to_json(const struct ytree_node *n, struct err *e)
{
	if (!n)
		return json_null();
	struct err local;
	struct s_json_ctx c = {.e = e ? e : &local};
	err_clear(c.e);
	return s_to_json(n, &c, 0);
}
