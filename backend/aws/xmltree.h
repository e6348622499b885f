/* xmltree: a small read-only element tree built with expat, for the XML answers
 * of S3 and STS (ListObjectsV2, errors, multipart, AssumeRole). Only elements and
 * their character data are kept (attributes, comments and processing
 * instructions are dropped); entities and character references are decoded by
 * expat. Element names are kept as written (no namespace processing), so
 * "ListBucketResult" matches whatever xmlns the server declared. */
#ifndef AFTOMATO_XMLTREE_H
#define AFTOMATO_XMLTREE_H

#include <stddef.h>

#include "err.h"

#define XMLTREE_MAX_DEPTH 64

struct xmltree_node {
	char *name;
	char *text; /* character data directly inside the element, NUL-terminated */
	size_t text_len;
	struct xmltree_node *parent;
	struct xmltree_node *first_child, *last_child, *next;
};

/* Parses len bytes of XML. On success *root is the document element, which the
 * caller frees with xmltree_free. Malformed or truncated input, or nesting
 * deeper than XMLTREE_MAX_DEPTH, fails with ERR_PROTO naming the line. */
int xmltree_parse(const char *buf, size_t len, struct xmltree_node **root, struct err *e);

/* Frees a tree (NULL is fine). */
void xmltree_free(struct xmltree_node *root);

/* The first child element called name, or NULL. */
const struct xmltree_node *xmltree_child(const struct xmltree_node *n, const char *name);

/* The next sibling of n called the same as n, or NULL (iterate with
 * for (c = xmltree_child(p, "X"); c; c = xmltree_next(c))). */
const struct xmltree_node *xmltree_next(const struct xmltree_node *n);

/* The text of the first child called name; NULL when there is no such child.
 * Points into the tree. */
const char *xmltree_text(const struct xmltree_node *n, const char *name);

/* Follows a path of child names separated by '/' ("A/B/C"), or NULL. */
const struct xmltree_node *xmltree_path(const struct xmltree_node *n, const char *path);

#endif
