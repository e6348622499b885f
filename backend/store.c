#include "store.h"

#include <stdlib.h>

#include "evloop.h"
#include "xmem.h"

struct s_later {
	struct store_reply *r;
	store_done_fn done;
	void *ctx;
};

static void s_fire(void *arg)
{
	struct s_later *l = arg;
	l->done(l->ctx, l->r);
	store_reply_free(l->r);
	free(l);
}

void store_reply_later(struct evloop *loop, struct store_reply *r, store_done_fn done,
		       void *ctx)
{
	struct s_later *l = xmalloc(sizeof(*l));
	l->r = r;
	l->done = done;
	l->ctx = ctx;
	evloop_timer(loop, 0, s_fire, l);
}

void store_reply_free(struct store_reply *r)
{
	if (!r)
		return;
	build_free(r->build);
	build_list_cleanup(&r->builds);
	free(r->next_cursor);
	free(r);
}
