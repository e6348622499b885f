/* A build store's reply captured for a test: the members are taken from the
 * reply (owned by the call), freed by store_call_cleanup. Shared by the tests
 * of every store (SQLite, DynamoDB). */
#ifndef AFTOMATO_TEST_STORE_CALL_H
#define AFTOMATO_TEST_STORE_CALL_H

#include "store.h"

struct store_call {
	int done;   /* replies received */
	int seq;    /* order in which this reply arrived, when order is set */
	int *order; /* shared counter for seq, or NULL */
	int rc;
	struct err err;
	struct build *build;
	struct build_list builds;
	char *next_cursor;
};

/* A store_done_fn: ctx is a struct store_call. */
void store_call_got(void *ctx, struct store_reply *r);
void store_call_cleanup(struct store_call *c);

#endif
