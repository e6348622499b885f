/* store_sqlite: the build store in an SQLite database (the embedded default).
 * Several aftomato processes may share the file (WAL, busy timeout). */
#ifndef AFTOMATO_STORE_SQLITE_H
#define AFTOMATO_STORE_SQLITE_H

#include "err.h"
#include "store.h"

struct evloop;

/* Opens (creating if needed) the database at path. Replies are delivered on
 * loop. Caller frees with s->ops->free. */
struct store *store_sqlite_new(struct evloop *loop, const char *path, struct err *e);

#endif
