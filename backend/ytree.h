/* ytree: a YAML document loaded (with libyaml) into a small tree of nodes that
 * remember where they came from, so that configuration errors can name
 * `file:line:column`.
 *
 * Nodes are scalars (text plus whether they were written plain or quoted, so
 * `123` and "123" can be told apart), mappings (ordered key/value pairs, keys are
 * scalars, duplicate keys are an error) and sequences. Anchors and aliases are
 * resolved: an alias is the very node its anchor names (shared, not copied), so
 * a node may appear several times in a tree. YAML 1.1 merge keys (`<<: *base`)
 * are applied: keys written in the mapping win over merged ones.
 *
 * Every node belongs to its struct ytree_doc; pointers into the tree stay valid
 * until ytree_doc_free. All errors are ERR_CONFIG with a message of the form
 * `file:line:column: message` (1-based line and column). */
#ifndef AFTOMATO_YTREE_H
#define AFTOMATO_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

enum ytree_kind { YTREE_SCALAR, YTREE_MAP, YTREE_SEQ };

struct ytree_node;

struct ytree_pair {
	struct ytree_node *key; /* always a scalar */
	struct ytree_node *value;
};

struct ytree_node {
	enum ytree_kind kind;
	const char *file; /* the document's name (owned by the doc) */
	int line;	  /* 1-based */
	int column;	  /* 1-based */

	/* YTREE_SCALAR: value is NUL-terminated; len excludes the NUL (a double-quoted
	 * "\0" can put a NUL inside, ytree_get_string refuses those). quoted is true
	 * for single/double-quoted and block (| >) scalars and for an explicit `!!str`
	 * or `!` tag; plain scalars are typed by the accessors. */
	char *value;
	size_t len;
	bool quoted;

	/* YTREE_MAP */
	struct ytree_pair *pairs;
	size_t npairs;

	/* YTREE_SEQ */
	struct ytree_node **items;
	size_t nitems;
};

struct ytree_doc {
	char *name;		 /* used in messages: a path or e.g. "<kubeconfig data>" */
	struct ytree_node *root; /* NULL when the document is empty */
	/* private: every node, for freeing */
	struct ytree_node **all_;
	size_t nall_, capall_;
};

/* Loads the single YAML document in the file at path. name is used in messages
 * instead of path when not NULL (e.g. a path relative to a repository).
 * On success *out is a new doc the caller frees with ytree_doc_free. An empty
 * file gives a doc whose root is NULL. More than one document is an error.
 * A missing file fails with ERR_NOTFOUND, other read errors with ERR_IO. */
int ytree_load_file(const char *path, const char *name, struct ytree_doc **out, struct err *e);

/* Same from a memory buffer of len bytes (need not be NUL-terminated); name
 * appears in messages. The buffer is not kept. */
int ytree_load_buffer(const char *name, const char *data, size_t len, struct ytree_doc **out,
		      struct err *e);

/* Frees the doc and all of its nodes. NULL is fine. */
void ytree_doc_free(struct ytree_doc *doc);

/* Fills e (ERR_CONFIG) with "file:line:column: " + the formatted message, for
 * node n (n may be NULL: the message then has no position). Returns -1. */
int ytree_error(struct err *e, const struct ytree_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "a string", "a mapping", "a sequence", "an integer", "a boolean", "null", ...:
 * what a node looks like, for messages. */
const char *ytree_describe(const struct ytree_node *n);

/* True for a plain scalar that is null in the core schema: empty, ~, null,
 * Null, NULL. */
bool ytree_is_null(const struct ytree_node *n);

/* The value of key in map, or NULL when map is not a mapping or has no such key.
 * The node belongs to the doc. */
struct ytree_node *ytree_map_get(const struct ytree_node *map, const char *key);

/* Type checks. `what` names the value in messages (e.g. "profiles.local.executor").
 * Each returns 0, or -1 with "file:line:col: WHAT: expected a mapping, got a
 * sequence" in e. */
int ytree_expect_map(const struct ytree_node *n, const char *what, struct err *e);
int ytree_expect_seq(const struct ytree_node *n, const char *what, struct err *e);

/* Any scalar (plain or quoted) as text; *out points into the node (owned by the
 * doc). Refuses mappings, sequences and text containing NUL bytes. */
int ytree_get_string(const struct ytree_node *n, const char *what, const char **out, struct err *e);

/* A plain scalar integer (decimal, 0x hex, 0o octal, optional sign) between min
 * and max inclusive. Quoted "123" is refused (it is a string). */
int ytree_get_int(const struct ytree_node *n, const char *what, long long min, long long max,
		  long long *out, struct err *e);

/* A plain scalar boolean: true/false, yes/no, on/off, in lower case, Capitalised
 * or UPPER case. */
int ytree_get_bool(const struct ytree_node *n, const char *what, bool *out, struct err *e);

/* Checks that every key of map is in allowed (a NULL-terminated list). The first
 * other key fails with "file:line:col: unknown key 'foo' in WHAT (expected one
 * of: a, b, c)". map must be a mapping (else the ytree_expect_map error). */
int ytree_check_keys(const struct ytree_node *map, const char *what, const char *const *allowed,
		     struct err *e);

/* Converts a node into a new JSON value (caller owns one reference). Mappings
 * become objects (in order), sequences arrays, quoted scalars strings, plain
 * scalars are typed by the YAML 1.2 core schema: null, true/false, integers,
 * floats, else strings. Fails (NULL, e filled) on integers that do not fit in
 * 64 bits, infinities and NaN (JSON has none) and on alias expansion beyond a
 * million values. n == NULL converts to JSON null. */
json_t *ytree_to_json(const struct ytree_node *n, struct err *e);

/* Follows a path of mapping keys from n; NULL-terminated. Returns the node or
 * NULL when any step is missing or not a mapping. */
struct ytree_node *ytree_path(const struct ytree_node *n, const char *const *keys);

#endif
