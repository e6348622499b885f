/* app: the console's state and behaviour without the terminal. It owns the
 * list models, the log panes and the status; it turns keys, `:` commands and
 * answers to questions into requests for the worker, and the worker's replies
 * and events into model changes; it renders the whole screen into a canvas.
 * The console (console.c) feeds it keys, messages and the clock and draws the
 * canvas; unit tests feed it the same and read the canvas.
 *
 * Requests go out through deps.send (the worker in the console, a recorder in
 * tests). Each request's id carries its purpose in the low 8 bits (enum
 * app_purpose), so replies are routed without a table. */
#ifndef AFTOMATO_APP_H
#define AFTOMATO_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "keymap.h"
#include "layout.h"
#include "model.h"
#include "profile.h"
#include "status.h"
#include "view.h"

struct msg;
struct logstore;
struct app_log_pane;

/* What a request was for (the low 8 bits of its id). */
enum app_purpose {
	APP_P_PROJECTS = 1,
	APP_P_STRIP,  /* a project's recent builds for the projects list */
	APP_P_PAGE,   /* a page of the builds list */
	APP_P_ACTIVE, /* the running list */
	APP_P_START,  /* a build started with `b` or :build */
	APP_P_RETRIGGER,
	APP_P_CANCEL,
	APP_P_LOG_OPEN,
	APP_P_ART_LIST,
	APP_P_ART_VIEW, /* an artifact downloaded to show in a pager pane */
	APP_P_ART_SAVE, /* an artifact downloaded to a path the user gave */
	APP_P_RESOLVE,	/* a build ID prefix for :logs / :artifacts / ... */
};
#define APP_PURPOSE(id) ((enum app_purpose)((id)&0xff))

/* The questions the console asks on its prompt row. */
enum app_ask_kind {
	APP_ASK_NONE,
	APP_ASK_COMMAND, /* `:` */
	APP_ASK_SEARCH_FWD,
	APP_ASK_SEARCH_BACK,
	APP_ASK_FILTER,	 /* `&` in a log pane */
	APP_ASK_PROJECT, /* `b`: which project */
	APP_ASK_BRANCH,	 /* `b`: which branch */
	APP_ASK_DOWNLOAD,
	APP_ASK_SAVE,
};

/* The main (top right) list view. */
enum app_main_view { APP_MAIN_BUILDS, APP_MAIN_RUNNING, APP_MAIN_ARTIFACTS, APP_MAIN_HELP };

struct app_deps {
	/* Hands a request to the worker (takes m). */
	void (*send)(void *ctx, struct msg *m);
	void *send_ctx;
	/* Switches the theme (NULL name: none); returns 0 or -1 with a one-line
	 * reason in why. NULL when themes cannot change (tests). */
	int (*set_theme)(void *ctx, const char *name, char *why, size_t why_size);
	/* Turns the mouse on or off. May be NULL. */
	void (*set_mouse)(void *ctx, bool on);
	/* Copies text to the terminal's clipboard (OSC 52). May be NULL. */
	void (*clipboard)(void *ctx, const char *text);
	void *ui_ctx;
	const struct profile *profile;
	const char *who;	   /* triggeredBy */
	const char *tmp_dir;	   /* where artifacts are downloaded for viewing */
	const char *const *themes; /* theme names for completion (NULL-terminated) */
	const char *last_project;  /* the project shown when the console last quit, or NULL */
	bool unicode;		   /* the terminal shows UTF-8 glyphs */
};

/* Where an artifact is, for people: s3://bucket/key for store aws, else the
 * file under the data directory. Caller frees. */
char *app_artifact_location(const struct profile *p, const char *artifacts_prefix,
			    const char *rel_path);

struct app_ask {
	enum app_ask_kind kind;
	char label[64];
	char *initial; /* text to start with, or NULL */
};

struct app_confirm {
	bool active;
	enum keymap_action action; /* ACT_CANCEL, ACT_RETRIGGER */
	char build_id[BUILD_ID_LEN + 1];
	char text[200];
};

struct app_download {
	bool active;
	uint64_t id;
	char *what; /* the artifact path */
	char *dest;
	uint64_t done, total;
};

struct app {
	struct app_deps d;
	uint64_t seq;
	int64_t now_ms; /* wall clock of the current frame/event */

	struct model_projects projects;
	struct model_builds builds;  /* the selected project's */
	struct model_builds running; /* every queued/running build */
	struct model_artifacts artifacts;
	enum app_main_view main_view;
	enum app_main_view help_return; /* the view help returns to */
	enum keymap_ctx help_ctx;	/* the keys help shows */
	struct model_sel help_sel;
	bool projects_loaded;
	bool filtering; /* typing into the projects filter */

	struct app_log_pane *logs[LAYOUT_MAX_LOGS];
	int n_logs;
	int last_log; /* the log pane used by Enter / start / retrigger */
	enum layout_focus_kind focus;
	int focus_log;

	struct status status;
	struct app_confirm confirm;
	struct app_ask ask; /* a question the console should put on the prompt */
	bool ask_pending;
	char *build_project; /* `b`: the project chosen before the branch */
	struct app_download download;
	enum keymap_action resolve_action; /* what a :command BUILD resolves for */
	uint64_t resolve_id;

	struct layout layout;
	bool dirty;
	bool urgent; /* a key or a reply changed the screen: draw without waiting */
	bool quit;
	bool mouse;
};

/* A new app (deps copied; the strings they point to must outlive it). */
struct app *app_new(const struct app_deps *d);
void app_free(struct app *a);

/* Sends the first requests (projects, running builds). */
void app_start(struct app *a, int64_t now_ms);

/* A reply or event from the worker (takes m). */
void app_on_msg(struct app *a, struct msg *m);

/* A key (ncurses code or character) while no prompt is active. */
void app_on_key(struct app *a, int key);

/* An action from a key or a command; arg is the command's argument or NULL. */
void app_do(struct app *a, enum keymap_action act, const char *arg);

/* Runs a `:` command line. */
void app_command(struct app *a, const char *line);

/* The answer to the question a->ask (NULL: cancelled). */
void app_answer(struct app *a, enum app_ask_kind kind, const char *line);

/* The question to ask next, if any: copies it to *out (initial is then the
 * caller's to free) and clears it. */
bool app_take_ask(struct app *a, struct app_ask *out);

/* Completion candidates for a prompt: add(ctx, candidate) for every candidate
 * of word word_index of a question of this kind (words: the earlier words). */
void app_complete(struct app *a, enum app_ask_kind kind, int word_index, const char *const *words,
		  void (*add)(void *ctx, const char *cand), void *ctx);

/* A mouse click at screen row y, column x: focuses the pane there and
 * selects the row clicked in a list. */
void app_click(struct app *a, int y, int x);

/* The clock moved (live durations, status timeouts); returns whether the
 * screen should be redrawn for it. */
bool app_tick(struct app *a, int64_t now_ms);

/* Background work between input events (log searches, filters, saves), for
 * about budget_us microseconds. Returns true while more remains. */
bool app_work(struct app *a, int budget_us);

/* Renders the whole screen (rows x cols) into c. */
void app_render(struct app *a, struct view_canvas *c, int rows, int cols);

/* The focused view's operations, and its keymap. */
const struct view_ops *app_focused_ops(struct app *a);

/* Helpers for the views. */
struct app_log_pane *app_focused_log(struct app *a);
const struct build *app_selected_build(struct app *a);
void app_error(struct app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void app_notice(struct app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t app_next_id(struct app *a, enum app_purpose p);
void app_send(struct app *a, struct msg *m);
void app_ask(struct app *a, enum app_ask_kind kind, const char *label, const char *initial);
/* Opens build id's log in the log pane used last (a new one when there is
 * none, or when split), focusing it. b may be NULL (then it is fetched). */
void app_open_log(struct app *a, const char *id, const struct build *b, bool split);
void app_close_log(struct app *a, int i);
void app_show_main(struct app *a, enum app_main_view v);
/* Selects a project (filter permitting) and loads its builds. */
void app_select_project(struct app *a, const char *key);
/* Artifacts view: Enter on the selection, go up a directory, `y`, `d`. */
void app_artifact_open(struct app *a);
void app_artifact_up(struct app *a);
/* Lists the artifacts directory shown again (F5, or when its build ends). */
void app_artifacts_relist(struct app *a);
void app_copy_location(struct app *a);
void app_download_ask(struct app *a);
/* The builds list needs its next page (called by the view after moving). */
void app_builds_more(struct app *a);

#endif
