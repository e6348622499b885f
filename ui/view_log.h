/* view_log: the log panes of the console. Each pane shows one build's log (or
 * an artifact file, as a pager) through the log pane model (logview.h): the
 * pane keeps the logstore reference the worker hands over, the build record
 * for its title, and turns log keys into logview calls. */
#ifndef AFTOMATO_VIEW_LOG_H
#define AFTOMATO_VIEW_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "build.h"

struct app;
struct app_log_pane;
struct logstore;
struct msg;
struct view_canvas;
struct layout_rect;

/* A new pane for build id (pager: an artifact, id is then the artifact path).
 * Caller frees with view_log_free. */
struct app_log_pane *view_log_new(const char *id, bool pager);
void view_log_free(struct app_log_pane *p);

/* The build (or artifact path) shown. */
const char *view_log_id(const struct app_log_pane *p);
bool view_log_is_pager(const struct app_log_pane *p);
/* The pane's last known build record (NULL while unknown). */
const struct build *view_log_build(const struct app_log_pane *p);
void view_log_set_build(struct app_log_pane *p, const struct build *b);
/* Shows log ls (takes a new reference; NULL keeps the current one). */
void view_log_set_store(struct app_log_pane *p, struct logstore *ls);
/* The log grew or completed (a MSG_LOG_GREW for this pane's build). */
void view_log_grew(struct app_log_pane *p, const struct msg *m);
/* A one-line problem shown in the pane (NULL clears it). */
void view_log_set_error(struct app_log_pane *p, const char *msg);
/* The pending MSG_LOG_OPEN id (0: none). */
uint64_t view_log_open_id(const struct app_log_pane *p);
void view_log_set_open_id(struct app_log_pane *p, uint64_t id);
/* For pagers: where the artifact lives (for `y`) and its artifacts path. */
void view_log_set_location(struct app_log_pane *p, const char *location);
const char *view_log_location(const struct app_log_pane *p);

/* Search, filter and save answers from the prompt. */
void view_log_search(struct app *a, struct app_log_pane *p, const char *pattern, bool backward);
void view_log_filter(struct app *a, struct app_log_pane *p, const char *arg);
void view_log_save(struct app *a, struct app_log_pane *p, const char *path);

/* Background work (search, filter, save) for at most budget_ms; true while
 * more remains. */
bool view_log_work(struct app *a, struct app_log_pane *p, int budget_us);
/* Whether the pane has background work pending. */
bool view_log_busy(const struct app_log_pane *p);
/* Whether the pane changed since the last render (new lines while following,
 * search progress). */
bool view_log_dirty(struct app_log_pane *p);

/* Renders pane p into r; focused decides the title's element. */
void view_log_render(struct app *a, struct app_log_pane *p, struct view_canvas *c,
		     const struct layout_rect *r, bool focused);

#endif
