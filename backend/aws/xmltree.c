#include "xmltree.h"

#include <expat.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

struct s_parse {
	struct xmltree_node *root, *cur;
	size_t cap; /* of cur->text */
	int depth;
	bool too_deep;
	XML_Parser parser;
};

static void XMLCALL s_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct s_parse *p = ud;
	(void)attrs;
	if (++p->depth > XMLTREE_MAX_DEPTH) {
		p->too_deep = true;
		XML_StopParser(p->parser, XML_FALSE);
		return;
	}
	struct xmltree_node *n = xcalloc(1, sizeof(*n));
	n->name = xstrdup(name);
	n->text = xstrdup("");
	n->parent = p->cur;
	if (p->cur) {
		if (p->cur->last_child)
			p->cur->last_child->next = n;
		else
			p->cur->first_child = n;
		p->cur->last_child = n;
	} else if (!p->root) {
		p->root = n;
	}
	p->cur = n;
	p->cap = 1;
}

static void XMLCALL s_end(void *ud, const XML_Char *name)
{
	struct s_parse *p = ud;
	(void)name;
	p->depth--;
	if (!p->cur)
		return;
	p->cur = p->cur->parent;
	/* Text appended to the parent again later must not overwrite: recompute
	 * the capacity from the length (the buffer is at least that large). */
	p->cap = p->cur ? p->cur->text_len + 1 : 0;
}

static void XMLCALL s_chars(void *ud, const XML_Char *s, int len)
{
	struct s_parse *p = ud;
	struct xmltree_node *n = p->cur;
	if (!n || len <= 0)
		return;
	size_t need = n->text_len + (size_t)len + 1;
	if (need > p->cap) {
		size_t cap = p->cap < 16 ? 16 : p->cap;
		while (cap < need)
			cap *= 2;
		n->text = xrealloc(n->text, cap);
		p->cap = cap;
	}
	memcpy(n->text + n->text_len, s, (size_t)len);
	n->text_len += (size_t)len;
	n->text[n->text_len] = '\0';
}

int xmltree_parse(const char *buf, size_t len, struct xmltree_node **root, struct err *e)
{
	*root = NULL;
	struct s_parse p = {0};
	p.parser = XML_ParserCreate("UTF-8");
	if (!p.parser)
		return err_set(e, ERR_INTERNAL, "cannot create an XML parser");
	XML_SetUserData(p.parser, &p);
	XML_SetElementHandler(p.parser, s_start, s_end);
	XML_SetCharacterDataHandler(p.parser, s_chars);
	int rc = 0;
	/* XML_Parse takes an int length: feed big answers in pieces. */
	size_t off = 0;
	do {
		size_t n = len - off > (1u << 30) ? (1u << 30) : len - off;
		bool final = off + n == len;
		if (XML_Parse(p.parser, buf + off, (int)n, final) != XML_STATUS_OK) {
			if (p.too_deep)
				rc = err_set(e, ERR_PROTO, "XML answer nested too deeply");
			else
				rc = err_set(e, ERR_PROTO, "malformed XML answer (line %lu: %s)",
					     (unsigned long)XML_GetCurrentLineNumber(p.parser),
					     XML_ErrorString(XML_GetErrorCode(p.parser)));
			break;
		}
		off += n;
	} while (off < len);
	if (rc == 0 && !p.root)
		rc = err_set(e, ERR_PROTO, "empty XML answer");
	XML_ParserFree(p.parser);
	if (rc < 0) {
		xmltree_free(p.root);
		return -1;
	}
	*root = p.root;
	return 0;
}

void xmltree_free(struct xmltree_node *n)
{
	/* Iterative over siblings, recursive over depth (bounded by MAX_DEPTH). */
	while (n) {
		struct xmltree_node *next = n->next;
		xmltree_free(n->first_child);
		free(n->name);
		free(n->text);
		free(n);
		n = next;
	}
}

const struct xmltree_node *xmltree_child(const struct xmltree_node *n, const char *name)
{
	for (const struct xmltree_node *c = n ? n->first_child : NULL; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct xmltree_node *xmltree_next(const struct xmltree_node *n)
{
	for (const struct xmltree_node *c = n ? n->next : NULL; c; c = c->next)
		if (strcmp(c->name, n->name) == 0)
			return c;
	return NULL;
}

const char *xmltree_text(const struct xmltree_node *n, const char *name)
{
	const struct xmltree_node *c = xmltree_child(n, name);
	return c ? c->text : NULL;
}

const struct xmltree_node *xmltree_path(const struct xmltree_node *n, const char *path)
{
	char name[128];
	while (n && *path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		if (len >= sizeof(name))
			return NULL;
		memcpy(name, path, len);
		name[len] = '\0';
		n = xmltree_child(n, name);
		path += len + (slash ? 1 : 0);
	}
	return n;
}
