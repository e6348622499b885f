#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "xmem.h"

void model_sel_fix(struct model_sel *s, size_t n, size_t rows)
{
	if (rows == 0)
		rows = 1;
	if (n == 0) {
		s->sel = s->top = 0;
		return;
	}
	if (s->sel >= n)
		s->sel = n - 1;
	if (s->top > s->sel)
		s->top = s->sel;
	if (s->sel >= s->top + rows)
		s->top = s->sel - rows + 1;
	/* no empty space below the list when it could be filled */
	if (n >= rows && s->top > n - rows)
		s->top = n - rows;
	if (n < rows)
		s->top = 0;
}

void model_sel_move(struct model_sel *s, size_t n, long delta, size_t rows)
{
	if (n == 0) {
		s->sel = s->top = 0;
		return;
	}
	long v = (long)s->sel + delta;
	if (v < 0)
		v = 0;
	if (v >= (long)n)
		v = (long)n - 1;
	s->sel = (size_t)v;
	model_sel_fix(s, n, rows);
}

static void s_project_free(struct model_project *p)
{
	free(p->key);
	free(p->error);
}

void model_projects_cleanup(struct model_projects *m)
{
	for (size_t i = 0; i < m->n; i++)
		s_project_free(&m->items[i]);
	free(m->items);
	free(m->visible);
	memset(m, 0, sizeof(*m));
}

struct model_project *model_projects_find(struct model_projects *m, const char *key)
{
	for (size_t i = 0; key && i < m->n; i++)
		if (m->items[i].key && strcmp(m->items[i].key, key) == 0)
			return &m->items[i];
	return NULL;
}

const struct model_project *model_projects_selected(const struct model_projects *m)
{
	if (m->n_visible == 0 || m->sel.sel >= m->n_visible)
		return NULL;
	return &m->items[m->visible[m->sel.sel]];
}

static int s_cmp_key(const void *a, const void *b)
{
	const struct model_project *x = a, *y = b;
	return strcmp(x->key, y->key);
}

void model_projects_set(struct model_projects *m, const char *const *keys,
			const char *const *errors, size_t n)
{
	const struct model_project *sel = model_projects_selected(m);
	char *sel_key = sel ? xstrdup(sel->key) : NULL;
	struct model_project *items = xcalloc(n ? n : 1, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		struct model_project *old = model_projects_find(m, keys[i]);
		if (old) {
			items[i] = *old;
			old->key = NULL;
			old->error = NULL;
			free(items[i].error);
		} else {
			items[i].key = xstrdup(keys[i]);
		}
		items[i].key = items[i].key ? items[i].key : xstrdup(keys[i]);
		items[i].error = errors && errors[i] ? xstrdup(errors[i]) : NULL;
	}
	for (size_t i = 0; i < m->n; i++)
		s_project_free(&m->items[i]);
	free(m->items);
	m->items = items;
	m->n = n;
	if (n > 1)
		qsort(m->items, n, sizeof(*m->items), s_cmp_key);
	model_projects_filter(m, m->filter);
	if (sel_key)
		model_projects_select(m, sel_key);
	free(sel_key);
}

static bool s_matches(const char *key, const char *filter)
{
	if (!filter[0])
		return true;
	size_t fl = strlen(filter);
	for (const char *p = key; *p; p++)
		if (strncasecmp(p, filter, fl) == 0)
			return true;
	return false;
}

void model_projects_filter(struct model_projects *m, const char *filter)
{
	const struct model_project *sel = model_projects_selected(m);
	char *sel_key = sel ? xstrdup(sel->key) : NULL;
	if (filter != m->filter)
		snprintf(m->filter, sizeof(m->filter), "%s", filter ? filter : "");
	free(m->visible);
	m->visible = xcalloc(m->n ? m->n : 1, sizeof(*m->visible));
	m->n_visible = 0;
	for (size_t i = 0; i < m->n; i++)
		if (s_matches(m->items[i].key, m->filter))
			m->visible[m->n_visible++] = i;
	m->sel.sel = 0;
	m->sel.top = 0;
	if (!sel_key || !model_projects_select(m, sel_key))
		model_sel_fix(&m->sel, m->n_visible, 1);
	free(sel_key);
}

bool model_projects_select(struct model_projects *m, const char *key)
{
	for (size_t i = 0; i < m->n_visible; i++) {
		if (strcmp(m->items[m->visible[i]].key, key) == 0) {
			m->sel.sel = i;
			if (m->sel.top > i)
				m->sel.top = i;
			return true;
		}
	}
	return false;
}

static bool s_newer(int64_t t1, const char *id1, int64_t t2, const char *id2)
{
	return t1 != t2 ? t1 > t2 : strcmp(id1, id2) > 0;
}

void model_projects_note(struct model_projects *m, const struct build *b)
{
	struct model_project *p = model_projects_find(m, b->project_key);
	if (!p)
		return;
	for (size_t i = 0; i < p->n_recent; i++) {
		if (strcmp(p->recent[i].id, b->id) == 0) {
			p->recent[i].status = b->status;
			return;
		}
	}
	size_t pos = 0;
	while (pos < p->n_recent &&
	       s_newer(p->recent[pos].build_time, p->recent[pos].id, b->build_time, b->id))
		pos++;
	if (pos >= MODEL_STRIP_MAX)
		return;
	size_t keep = p->n_recent < MODEL_STRIP_MAX ? p->n_recent : MODEL_STRIP_MAX - 1;
	memmove(&p->recent[pos + 1], &p->recent[pos], (keep - pos) * sizeof(p->recent[0]));
	struct model_recent *r = &p->recent[pos];
	snprintf(r->id, sizeof(r->id), "%s", b->id);
	r->status = b->status;
	r->build_time = b->build_time;
	p->n_recent = keep + 1;
}
