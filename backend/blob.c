#include "blob.h"

#include <stdlib.h>

#include "evloop.h"
#include "xmem.h"

void blob_list_push(struct blob_list *l, const char *key, uint64_t size, int64_t mtime_ms,
		    bool is_prefix)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	struct blob_entry *e = &l->items[l->n++];
	e->key = xstrdup(key);
	e->size = size;
	e->mtime_ms = mtime_ms;
	e->is_prefix = is_prefix;
}

void blob_list_cleanup(struct blob_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].key);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

struct s_later {
	struct blob_reply *r;
	blob_done_fn done;
	void *ctx;
};

static void s_fire(void *arg)
{
	struct s_later *l = arg;
	l->done(l->ctx, l->r);
	blob_reply_free(l->r);
	free(l);
}

void blob_reply_later(struct evloop *loop, struct blob_reply *r, blob_done_fn done, void *ctx)
{
	struct s_later *l = xmalloc(sizeof(*l));
	l->r = r;
	l->done = done;
	l->ctx = ctx;
	evloop_timer(loop, 0, s_fire, l);
}

void blob_reply_free(struct blob_reply *r)
{
	if (!r)
		return;
	blob_list_cleanup(&r->entries);
	free(r->next_token);
	free(r);
}
