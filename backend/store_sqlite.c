#include "store_sqlite.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "xmem.h"

struct store_sqlite {
	struct store base;
	struct evloop *loop;
	sqlite3 *db;
	char *path;
};

#define COLS                                                                                   \
	"buildID, projectKey, buildTime, branch, status, buildResult, buildElapsedTime, logKey, " \
	"artifactsPrefix, triggeredBy, retriggerOf, executor, jobName, statusMessage, rowid"

static const char s_schema[] =
	"CREATE TABLE IF NOT EXISTS builds ("
	" buildID TEXT PRIMARY KEY NOT NULL,"
	" projectKey TEXT NOT NULL,"
	" buildTime INTEGER NOT NULL,"
	" branch TEXT NOT NULL,"
	" isBuilding INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" buildResult INTEGER,"
	" buildElapsedTime INTEGER,"
	" logKey TEXT, artifactsPrefix TEXT, triggeredBy TEXT, retriggerOf TEXT,"
	" executor TEXT, jobName TEXT, statusMessage TEXT);"
	"CREATE INDEX IF NOT EXISTS builds_project_time ON builds(projectKey, buildTime);"
	"CREATE INDEX IF NOT EXISTS builds_active ON builds(buildTime) WHERE isBuilding = 1;"
	"PRAGMA user_version = 1;";

static struct store_reply *s_reply(void)
{
	return xcalloc(1, sizeof(struct store_reply));
}

static int s_db_err(struct store_sqlite *s, struct err *e, const char *what)
{
	int code = sqlite3_errcode(s->db);
	enum err_code ec = code == SQLITE_FULL ? ERR_NOSPACE : ERR_IO;
	return err_set(e, ec, "build store %.200s: %.60s: %.200s", s->path, what,
		       sqlite3_errmsg(s->db));
}

static char *s_col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static struct build *s_row(sqlite3_stmt *st, int64_t *rowid)
{
	struct build *b = build_new();
	const unsigned char *id = sqlite3_column_text(st, 0);
	snprintf(b->id, sizeof(b->id), "%s", id ? (const char *)id : "");
	b->project_key = s_col_str(st, 1);
	b->build_time = sqlite3_column_int64(st, 2);
	b->branch = s_col_str(st, 3);
	const unsigned char *status = sqlite3_column_text(st, 4);
	if (!status || build_status_parse((const char *)status, &b->status) < 0)
		b->status = BUILD_ERROR;
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		b->has_result = true;
		b->build_result = sqlite3_column_int(st, 5);
	}
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		b->has_elapsed = true;
		b->elapsed_s = sqlite3_column_int64(st, 6);
	}
	b->log_key = s_col_str(st, 7);
	b->artifacts_prefix = s_col_str(st, 8);
	b->triggered_by = s_col_str(st, 9);
	b->retrigger_of = s_col_str(st, 10);
	b->executor = s_col_str(st, 11);
	b->job_name = s_col_str(st, 12);
	b->status_message = s_col_str(st, 13);
	if (rowid)
		*rowid = sqlite3_column_int64(st, 14);
	return b;
}

static void s_bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Runs a SELECT of COLS and appends each row to list (limit rows at most);
 * *last_rowid gets the rowid of the last row read. Returns rows read or -1. */
static int s_select(struct store_sqlite *s, sqlite3_stmt *st, struct build_list *list, int limit,
		    int64_t *last_rowid, struct err *e)
{
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (limit >= 0 && n >= limit) {
			n++;
			break;
		}
		build_list_push(list, s_row(st, last_rowid));
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return s_db_err(s, e, "query");
	return n;
}

static int s_get_exact(struct store_sqlite *s, const char *id, struct build **out, struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct build_list l = {0};
	*out = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT " COLS " FROM builds WHERE buildID = ?1", -1, &st,
			       NULL) != SQLITE_OK) {
		s_db_err(s, e, "get");
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (s_select(s, st, &l, 1, NULL, e) < 0)
		goto out;
	if (l.n == 0) {
		err_set(e, ERR_NOTFOUND, "no build %.40s", id);
		goto out;
	}
	*out = l.items[0];
	l.n = 0;
	rc = 0;
out:
	build_list_cleanup(&l);
	sqlite3_finalize(st);
	return rc;
}

static void s_create(struct store *base, const struct build *b, store_done_fn done, void *ctx)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_reply *r = s_reply();
	sqlite3_stmt *st = NULL;
	r->rc = -1;
	const char *sql = "INSERT INTO builds (buildID, projectKey, buildTime, branch, isBuilding, "
			  "status, buildResult, buildElapsedTime, logKey, artifactsPrefix, "
			  "triggeredBy, retriggerOf, executor, jobName, statusMessage) VALUES "
			  "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		s_db_err(s, &r->err, "create");
		goto out;
	}
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_TRANSIENT);
	s_bind_opt(st, 2, b->project_key);
	sqlite3_bind_int64(st, 3, b->build_time);
	s_bind_opt(st, 4, b->branch ? b->branch : "");
	sqlite3_bind_int(st, 5, build_status_active(b->status));
	s_bind_opt(st, 6, build_status_name(b->status));
	if (b->has_result)
		sqlite3_bind_int(st, 7, b->build_result);
	if (b->has_elapsed)
		sqlite3_bind_int64(st, 8, b->elapsed_s);
	s_bind_opt(st, 9, b->log_key);
	s_bind_opt(st, 10, b->artifacts_prefix);
	s_bind_opt(st, 11, b->triggered_by);
	s_bind_opt(st, 12, b->retrigger_of);
	s_bind_opt(st, 13, b->executor);
	s_bind_opt(st, 14, b->job_name);
	s_bind_opt(st, 15, b->status_message);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT &&
	    sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY) {
		err_set(&r->err, ERR_CONFLICT, "build %.40s already exists", b->id);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		s_db_err(s, &r->err, "create");
		goto out;
	}
	r->build = build_dup(b);
	r->rc = 0;
out:
	sqlite3_finalize(st);
	store_reply_later(s->loop, r, done, ctx);
}

static void s_update(struct store *base, const struct store_update *u, store_done_fn done,
		     void *ctx)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_reply *r = s_reply();
	sqlite3_stmt *st = NULL;
	r->rc = -1;
	char in[200] = "";
	size_t used = 0;
	for (int i = 0; i < BUILD_STATUS_COUNT; i++)
		if (u->from_mask & BUILD_MASK(i))
			used += (size_t)snprintf(in + used, sizeof(in) - used, "%s'%s'",
						 used ? "," : "", build_status_name(i));
	char *sql = xasprintf(
		"UPDATE builds SET status = ?1, isBuilding = ?2,"
		" buildTime = CASE WHEN ?3 > 0 THEN ?3 ELSE buildTime END,"
		" buildResult = CASE WHEN ?4 THEN ?5 ELSE buildResult END,"
		" buildElapsedTime = CASE WHEN ?6 THEN ?7 ELSE buildElapsedTime END,"
		" jobName = COALESCE(?8, jobName), statusMessage = COALESCE(?9, statusMessage)"
		" WHERE buildID = ?10 AND status IN (%s)",
		used ? in : "''");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		s_db_err(s, &r->err, "update");
		goto out;
	}
	sqlite3_bind_text(st, 1, build_status_name(u->to), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, build_status_active(u->to));
	sqlite3_bind_int64(st, 3, u->build_time);
	sqlite3_bind_int(st, 4, u->set_result);
	sqlite3_bind_int(st, 5, u->build_result);
	sqlite3_bind_int(st, 6, u->set_elapsed);
	sqlite3_bind_int64(st, 7, u->elapsed_s);
	s_bind_opt(st, 8, u->job_name);
	s_bind_opt(st, 9, u->status_message);
	sqlite3_bind_text(st, 10, u->id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		s_db_err(s, &r->err, "update");
		goto out;
	}
	int changed = sqlite3_changes(s->db);
	struct build *now = NULL;
	if (s_get_exact(s, u->id, &now, &r->err) < 0)
		goto out;
	if (!changed) {
		err_set(&r->err, ERR_CONFLICT, "build %.8s is %s", u->id,
			build_status_name(now->status));
		r->build = now;
		goto out;
	}
	r->build = now;
	r->rc = 0;
out:
	free(sql);
	sqlite3_finalize(st);
	store_reply_later(s->loop, r, done, ctx);
}

static void s_get(struct store *base, const char *ref, store_done_fn done, void *ctx)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_reply *r = s_reply();
	sqlite3_stmt *st = NULL;
	struct build_list l = {0};
	r->rc = -1;
	if (!build_id_prefix_ok(ref)) {
		err_set(&r->err, ERR_NOTFOUND, "no build matches '%.40s'", ref);
		goto out;
	}
	const char *sql = "SELECT " COLS " FROM builds WHERE buildID >= ?1 AND buildID < ?2"
			  " ORDER BY buildID LIMIT 3";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		s_db_err(s, &r->err, "get");
		goto out;
	}
	char *upper = xasprintf("%sg", ref);
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, upper, -1, SQLITE_TRANSIENT);
	free(upper);
	if (s_select(s, st, &l, 3, NULL, &r->err) < 0)
		goto out;
	if (l.n == 0) {
		err_set(&r->err, ERR_NOTFOUND, "no build matches '%.40s'", ref);
	} else if (l.n > 1 && strlen(ref) < BUILD_ID_LEN) {
		err_set(&r->err, ERR_AMBIGUOUS, "'%.40s' matches several builds (%.13s, %.13s%s)",
			ref, l.items[0]->id, l.items[1]->id, l.n > 2 ? ", ..." : "");
	} else {
		r->build = l.items[0];
		l.items[0] = NULL;
		r->rc = 0;
	}
out:
	build_list_cleanup(&l);
	sqlite3_finalize(st);
	store_reply_later(s->loop, r, done, ctx);
}

static void s_query(struct store *base, const char *project_key, const char *cursor, int limit,
		    store_done_fn done, void *ctx)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_reply *r = s_reply();
	sqlite3_stmt *st = NULL;
	r->rc = -1;
	int64_t c_time = 0, c_rowid = 0;
	bool has_cursor = false;
	if (cursor) {
		if (sscanf(cursor, "%" SCNd64 ":%" SCNd64, &c_time, &c_rowid) != 2) {
			err_set(&r->err, ERR_USAGE, "bad page cursor '%.40s'", cursor);
			goto out;
		}
		has_cursor = true;
	}
	const char *sql = "SELECT " COLS " FROM builds WHERE projectKey = ?1 AND"
			  " (?2 = 0 OR buildTime < ?3 OR (buildTime = ?3 AND rowid < ?4))"
			  " ORDER BY buildTime DESC, rowid DESC LIMIT ?5";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		s_db_err(s, &r->err, "query");
		goto out;
	}
	sqlite3_bind_text(st, 1, project_key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, has_cursor);
	sqlite3_bind_int64(st, 3, c_time);
	sqlite3_bind_int64(st, 4, c_rowid);
	sqlite3_bind_int(st, 5, limit + 1);
	int64_t last_rowid = 0;
	int n = s_select(s, st, &r->builds, limit, &last_rowid, &r->err);
	if (n < 0)
		goto out;
	if (n > limit && r->builds.n > 0)
		r->next_cursor = xasprintf("%" PRId64 ":%" PRId64,
					   r->builds.items[r->builds.n - 1]->build_time, last_rowid);
	r->rc = 0;
out:
	sqlite3_finalize(st);
	store_reply_later(s->loop, r, done, ctx);
}

static void s_active(struct store *base, const char *const *keys, size_t n, store_done_fn done,
		     void *ctx)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_reply *r = s_reply();
	sqlite3_stmt *st = NULL;
	(void)keys;
	(void)n;
	r->rc = -1;
	const char *sql = "SELECT " COLS " FROM builds WHERE isBuilding = 1"
			  " ORDER BY buildTime DESC, rowid DESC";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		s_db_err(s, &r->err, "active");
		goto out;
	}
	if (s_select(s, st, &r->builds, -1, NULL, &r->err) < 0)
		goto out;
	r->rc = 0;
out:
	sqlite3_finalize(st);
	store_reply_later(s->loop, r, done, ctx);
}

static void s_free(struct store *base)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	if (!s)
		return;
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static const struct store_ops s_ops = {
	.name = "sqlite",
	.create = s_create,
	.update = s_update,
	.get = s_get,
	.query = s_query,
	.active = s_active,
	.free = s_free,
};

struct store *store_sqlite_new(struct evloop *loop, const char *path, struct err *e)
{
	struct store_sqlite *s = xcalloc(1, sizeof(*s));
	s->base.ops = &s_ops;
	s->loop = loop;
	s->path = xstrdup(path);
	char *msg = NULL;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		s_db_err(s, e, "open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
			 &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, s_schema, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, ERR_IO, "build store %.200s: %.200s", path, msg ? msg : "cannot set up");
		sqlite3_free(msg);
		goto fail;
	}
	return &s->base;
fail:
	s_free(&s->base);
	return NULL;
}
