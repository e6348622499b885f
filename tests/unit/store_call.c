#include "store_call.h"

#include <stdlib.h>
#include <string.h>

void store_call_got(void *ctx, struct store_reply *r)
{
	struct store_call *c = ctx;
	c->done++;
	if (c->order)
		c->seq = ++*c->order;
	c->rc = r->rc;
	c->err = r->err;
	build_free(c->build);
	c->build = r->build;
	r->build = NULL;
	build_list_cleanup(&c->builds);
	c->builds = r->builds;
	memset(&r->builds, 0, sizeof(r->builds));
	free(c->next_cursor);
	c->next_cursor = r->next_cursor;
	r->next_cursor = NULL;
}

void store_call_cleanup(struct store_call *c)
{
	build_free(c->build);
	build_list_cleanup(&c->builds);
	free(c->next_cursor);
	memset(c, 0, sizeof(*c));
}
