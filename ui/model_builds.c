#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "xmem.h"

void model_builds_init(struct model_builds *m, const char *project, bool active_only)
{
	memset(m, 0, sizeof(*m));
	m->project = xstrdup(project);
	m->active_only = active_only;
}

static void s_clear(struct model_builds *m)
{
	for (size_t i = 0; i < m->n; i++)
		build_free(m->items[i]);
	m->n = 0;
	free(m->next_cursor);
	m->next_cursor = NULL;
	m->exhausted = false;
	m->loading = false;
	m->pending_id = 0;
	m->loaded_once = false;
	m->sel.sel = m->sel.top = 0;
}

void model_builds_cleanup(struct model_builds *m)
{
	s_clear(m);
	free(m->items);
	free(m->project);
	memset(m, 0, sizeof(*m));
}

void model_builds_reset(struct model_builds *m, const char *project)
{
	s_clear(m);
	free(m->project);
	m->project = xstrdup(project);
}

bool model_builds_want_more(const struct model_builds *m, size_t rows)
{
	if (m->active_only || !m->project || m->exhausted || m->loading)
		return false;
	if (!m->loaded_once)
		return true;
	size_t bottom = m->sel.top + rows;
	if (m->sel.sel + rows > bottom)
		bottom = m->sel.sel + rows;
	return bottom + rows >= m->n;
}

static bool s_before(const struct build *a, const struct build *b)
{
	if (a->build_time != b->build_time)
		return a->build_time > b->build_time;
	return strcmp(a->id, b->id) > 0;
}

long model_builds_find(const struct model_builds *m, const char *id)
{
	size_t len = strlen(id);
	long hit = -1;
	for (size_t i = 0; len && i < m->n; i++) {
		if (strncmp(m->items[i]->id, id, len) != 0)
			continue;
		if (len == BUILD_ID_LEN)
			return (long)i;
		if (hit >= 0)
			return -1;
		hit = (long)i;
	}
	return hit;
}

static void s_insert(struct model_builds *m, size_t pos, struct build *b)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->items = xrealloc(m->items, m->cap * sizeof(*m->items));
	}
	memmove(&m->items[pos + 1], &m->items[pos], (m->n - pos) * sizeof(*m->items));
	m->items[pos] = b;
	m->n++;
	/* keep the selected record selected when something lands above it */
	if (m->n > 1 && pos <= m->sel.sel && m->loaded_once) {
		m->sel.sel++;
		if (m->sel.top > 0)
			m->sel.top++;
	}
}

void model_builds_add_page(struct model_builds *m, struct build_list *page, const char *next_cursor)
{
	for (size_t i = 0; i < page->n; i++) {
		struct build *b = page->items[i];
		page->items[i] = NULL;
		long at = model_builds_find(m, b->id);
		if (at >= 0) {
			build_free(m->items[at]);
			m->items[at] = b;
			continue;
		}
		if (m->active_only && !build_status_active(b->status)) {
			build_free(b);
			continue;
		}
		/* pages come newest first: append, but keep order if events raced */
		size_t pos = m->n;
		while (pos > 0 && s_before(b, m->items[pos - 1]))
			pos--;
		bool was = m->loaded_once;
		m->loaded_once = false; /* no selection shift while paging */
		s_insert(m, pos, b);
		m->loaded_once = was;
	}
	page->n = 0;
	free(m->next_cursor);
	m->next_cursor = xstrdup(next_cursor);
	m->exhausted = next_cursor == NULL;
	m->loading = false;
	m->loaded_once = true;
}

bool model_builds_update(struct model_builds *m, const struct build *b)
{
	long at = model_builds_find(m, b->id);
	bool belongs = m->active_only ? build_status_active(b->status)
				      : (m->project && strcmp(m->project, b->project_key) == 0);
	if (at >= 0) {
		if (!belongs) {
			build_free(m->items[at]);
			memmove(&m->items[at], &m->items[at + 1],
				(m->n - (size_t)at - 1) * sizeof(*m->items));
			m->n--;
			if (m->sel.sel > (size_t)at)
				m->sel.sel--;
			model_sel_fix(&m->sel, m->n, 1);
			return true;
		}
		build_free(m->items[at]);
		m->items[at] = build_dup(b);
		return true;
	}
	if (!belongs)
		return false;
	size_t pos = 0;
	while (pos < m->n && s_before(m->items[pos], b))
		pos++;
	/* older than everything loaded: its page will bring it */
	if (pos == m->n && !m->exhausted && !m->active_only)
		return false;
	s_insert(m, pos, build_dup(b));
	return true;
}

const struct build *model_builds_selected(const struct model_builds *m)
{
	return m->sel.sel < m->n ? m->items[m->sel.sel] : NULL;
}

/* --- artifacts ---------------------------------------------------------- */

void model_artifacts_cleanup(struct model_artifacts *m)
{
	free(m->build_id);
	free(m->project);
	free(m->artifacts_prefix);
	free(m->dir);
	free(m->next_cursor);
	blob_list_cleanup(&m->entries);
	memset(m, 0, sizeof(*m));
}

void model_artifacts_open(struct model_artifacts *m, const struct build *b, const char *dir)
{
	char *id = xstrdup(b->id);
	char *project = xstrdup(b->project_key);
	char *prefix = b->artifacts_prefix ? xstrdup(b->artifacts_prefix)
					   : build_artifacts_prefix(b->project_key, b->id);
	char *d = xstrdup(dir ? dir : "");
	model_artifacts_cleanup(m);
	m->build_id = id;
	m->project = project;
	m->artifacts_prefix = prefix;
	m->dir = d;
	m->loading = true;
}

void model_artifacts_add(struct model_artifacts *m, struct blob_list *page, const char *next_cursor)
{
	for (size_t i = 0; i < page->n; i++) {
		struct blob_entry *e = &page->items[i];
		blob_list_push(&m->entries, e->key, e->size, e->mtime_ms, e->is_prefix);
	}
	blob_list_cleanup(page);
	free(m->next_cursor);
	m->next_cursor = xstrdup(next_cursor);
	m->loading = false;
}

const char *model_artifacts_name(const struct model_artifacts *m, size_t i)
{
	const char *k = m->entries.items[i].key;
	size_t dl = strlen(m->dir);
	return strncmp(k, m->dir, dl) == 0 ? k + dl : k;
}

const struct blob_entry *model_artifacts_selected(const struct model_artifacts *m)
{
	return m->sel.sel < m->entries.n ? &m->entries.items[m->sel.sel] : NULL;
}

char *model_artifacts_parent(const struct model_artifacts *m)
{
	size_t n = m->dir ? strlen(m->dir) : 0;
	if (n == 0)
		return NULL;
	n--; /* the trailing '/' */
	while (n > 0 && m->dir[n - 1] != '/')
		n--;
	return xstrndup(m->dir, n);
}
