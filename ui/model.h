/* model: the data behind the console's lists (projects, a project's builds,
 * running builds, a build's artifacts) and the selection in them. Pure data:
 * no terminal, no worker; the app feeds them replies and events, views read
 * them. Testable with cmocka. */
#ifndef AFTOMATO_MODEL_H
#define AFTOMATO_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blob.h"
#include "build.h"

/* --- selection in a list of n items shown `rows` at a time ----------------- */

struct model_sel {
	size_t sel; /* selected item */
	size_t top; /* first item on screen */
};

/* Moves the selection by delta (clamped to [0, n)) and scrolls so it stays
 * on screen. */
void model_sel_move(struct model_sel *s, size_t n, long delta, size_t rows);
/* Re-clamps after the list changed size or the screen did. */
void model_sel_fix(struct model_sel *s, size_t n, size_t rows);

/* --- projects ----------------------------------------------------------------- */

#define MODEL_STRIP_MAX 10 /* recent results kept per project */

struct model_recent {
	char id[BUILD_ID_LEN + 1];
	enum build_status status;
	int64_t build_time;
};

struct model_project {
	char *key;
	char *error;				     /* a broken project's reason, or NULL */
	struct model_recent recent[MODEL_STRIP_MAX]; /* newest first */
	size_t n_recent;
	bool loaded; /* its recent builds were asked for and came back */
};

struct model_projects {
	struct model_project *items; /* sorted by key */
	size_t n;
	char filter[64]; /* case-insensitive substring; "" = all */
	size_t *visible; /* indexes into items that pass the filter */
	size_t n_visible;
	struct model_sel sel; /* over visible */
};

/* Replaces the list with keys[0..n) (errors may be NULL or hold NULLs); keeps
 * the recent builds of projects that stay and the selected key. */
void model_projects_set(struct model_projects *m, const char *const *keys,
			const char *const *errors, size_t n);
void model_projects_cleanup(struct model_projects *m);
/* Sets the filter and recomputes the visible list (selection kept if visible). */
void model_projects_filter(struct model_projects *m, const char *filter);
/* The selected project (NULL when none is visible). */
const struct model_project *model_projects_selected(const struct model_projects *m);
struct model_project *model_projects_find(struct model_projects *m, const char *key);
/* Selects key if it is visible; returns whether it did. */
bool model_projects_select(struct model_projects *m, const char *key);
/* Records build b (a page entry or a change event) in its project's strip. */
void model_projects_note(struct model_projects *m, const struct build *b);

/* --- a list of builds: a project's (paged) or the running ones --------------- */

struct model_builds {
	char *project;	      /* the project shown; NULL for the running list */
	bool active_only;     /* the running list: only queued/running builds */
	struct build **items; /* newest first (build_time, then id) */
	size_t n, cap;
	char *next_cursor; /* the store's cursor for the next page */
	bool exhausted;	   /* no page after the last one */
	bool loading;	   /* a page request is in flight */
	uint64_t pending_id;
	bool loaded_once;
	struct model_sel sel;
};

void model_builds_init(struct model_builds *m, const char *project, bool active_only);
void model_builds_cleanup(struct model_builds *m);
/* Empties the list for another project (NULL for none). */
void model_builds_reset(struct model_builds *m, const char *project);
/* Whether another page should be asked for: the selection or the screen is
 * within `rows` of the end of what is loaded and more exist. */
bool model_builds_want_more(const struct model_builds *m, size_t rows);
/* Appends a page (takes the records out of page) and records the cursor
 * (NULL: this was the last page). Records already listed are updated. */
void model_builds_add_page(struct model_builds *m, struct build_list *page,
			   const char *next_cursor);
/* Applies a change event: updates a listed record, or inserts a new one that
 * belongs here (same project; active for the running list) in order; removes
 * a record that left the running list. Returns whether the list changed. */
bool model_builds_update(struct model_builds *m, const struct build *b);
const struct build *model_builds_selected(const struct model_builds *m);
/* Index of the build with this ID (or unique prefix), or -1. */
long model_builds_find(const struct model_builds *m, const char *id);

/* --- a build's artifacts, one directory level at a time --------------------- */

struct model_artifacts {
	char *build_id;
	char *project;
	char *artifacts_prefix;	  /* the build's prefix in the artifacts bucket */
	char *dir;		  /* "" or "reports/sub/" */
	struct blob_list entries; /* keys relative to the build: "reports/x.txt" */
	char *next_cursor;
	bool loading;
	uint64_t pending_id;
	struct model_sel sel;
};

void model_artifacts_cleanup(struct model_artifacts *m);
/* Shows directory dir ("" for the top) of build b; empties the entries. */
void model_artifacts_open(struct model_artifacts *m, const struct build *b, const char *dir);
/* Appends a listing page (takes its entries; the cursor is copied). */
void model_artifacts_add(struct model_artifacts *m, struct blob_list *page,
			 const char *next_cursor);
/* The name of entry i inside the current directory ("x.txt", "sub/"). */
const char *model_artifacts_name(const struct model_artifacts *m, size_t i);
const struct blob_entry *model_artifacts_selected(const struct model_artifacts *m);
/* The parent of the current directory ("a/b/" -> "a/", "a/" -> ""). Caller
 * frees. NULL at the top. */
char *model_artifacts_parent(const struct model_artifacts *m);

/* --- formatting shared by the views ------------------------------------------ */

/* "12s", "4m05s", "1h02m", "3d04h" */
void model_fmt_duration(int64_t seconds, char *buf, size_t size);
/* Relative to now: "just now", "45s ago", "3m ago", "2h ago", "5d ago". */
void model_fmt_ago(int64_t then_s, int64_t now_s, char *buf, size_t size);
/* Local time: "14:03" today, "Nov 21 14:03" this year, "2025-11-21" before. */
void model_fmt_when(int64_t then_s, int64_t now_s, char *buf, size_t size);
/* The duration to show for a build: elapsed for finished ones, live (now -
 * start) for running ones, -1 for queued ones. */
int64_t model_build_duration(const struct build *b, int64_t now_s);
/* "ok", "exit 3", "cancelled", "running", ... */
void model_fmt_result(const struct build *b, char *buf, size_t size);
/* A state glyph: unicode ("●", "✔", ...) or ASCII ("*", "+", ...). */
const char *model_status_glyph(enum build_status s, bool unicode);
/* Byte sizes: "512 B", "4.0 KiB", "12.3 MiB". */
void model_fmt_size(uint64_t bytes, char *buf, size_t size);

#endif
