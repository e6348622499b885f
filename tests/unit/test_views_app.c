/* The console without a terminal: the app driven by keys, commands, answers
 * and worker messages (requests recorded, replies made by the test), rendered
 * into a canvas and read back as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "layout.h"
#include "logstore.h"
#include "model.h"
#include "msg.h"
#include "project.h"
#include "view.h"
#include "xmem.h"

#define NOW_S 1795000000LL

/* --- helpers --------------------------------------------------------------------- */

struct rec {
	struct msg *sent[512];
	size_t n;
};

static void s_send(void *ctx, struct msg *m)
{
	struct rec *r = ctx;
	assert_true(r->n < 512);
	r->sent[r->n++] = m;
}

static void s_rec_clear(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		msg_free(r->sent[i]);
	r->n = 0;
}

/* The last request of a type (still owned by the recorder), or NULL. */
static struct msg *s_last(struct rec *r, enum msg_type t)
{
	for (size_t i = r->n; i > 0; i--)
		if (r->sent[i - 1]->type == t)
			return r->sent[i - 1];
	return NULL;
}

static size_t s_count(struct rec *r, enum msg_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->sent[i]->type == t;
	return n;
}

/* Takes request m out of the recorder to answer it. */
static struct msg *s_take(struct rec *r, struct msg *m)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->sent[i] == m) {
			memmove(&r->sent[i], &r->sent[i + 1], (r->n - i - 1) * sizeof(r->sent[0]));
			r->n--;
			m->reply = true;
			return m;
		}
	}
	fail_msg("request not recorded");
	return NULL;
}

static struct build *s_build(const char *project, int n, enum build_status st, int64_t t)
{
	struct build *b = build_new();
	snprintf(b->id, sizeof(b->id), "%08x-0000-4000-8000-%012d", 0x10000000u + (unsigned)n, n);
	b->project_key = xstrdup(project);
	b->branch = xstrdup(n % 2 ? "main" : "feature/x");
	b->build_time = t;
	b->status = st;
	b->triggered_by = xstrdup("ops@host");
	b->has_elapsed = !build_status_active(st);
	b->elapsed_s = 65;
	b->has_result = st == BUILD_FAILED || st == BUILD_SUCCEEDED;
	b->build_result = st == BUILD_FAILED ? 3 : 0;
	return b;
}

struct fixture {
	struct rec rec;
	struct profile prof;
	struct app *app;
	struct view_canvas canvas;
	char clip[512];
	char theme[64];
};

static int s_set_theme(void *ctx, const char *name, char *why, size_t n)
{
	struct fixture *f = ctx;
	if (strcmp(name, "nope") == 0) {
		snprintf(why, n, "theme 'nope' not found");
		return -1;
	}
	snprintf(f->theme, sizeof(f->theme), "%s", name);
	return 0;
}

static void s_clip(void *ctx, const char *text)
{
	struct fixture *f = ctx;
	snprintf(f->clip, sizeof(f->clip), "%s", text);
}

static int setup(void **state)
{
	setlocale(LC_ALL, "C.UTF-8");
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->prof.name = xstrdup("local");
	f->prof.data_dir = xstrdup("/data");
	f->prof.s3.artifacts_bucket = xstrdup("aftomato-build-artifacts");
	f->prof.s3.logs_bucket = xstrdup("aftomato-console-logs");
	struct app_deps d = {
	    .send = s_send,
	    .send_ctx = &f->rec,
	    .set_theme = s_set_theme,
	    .clipboard = s_clip,
	    .ui_ctx = f,
	    .profile = &f->prof,
	    .who = "ops@host",
	    .tmp_dir = AFT_TEST_TMP,
	    .unicode = true,
	};
	f->app = app_new(&d);
	view_canvas_init(&f->canvas);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	app_free(f->app);
	s_rec_clear(&f->rec);
	view_canvas_cleanup(&f->canvas);
	profile_cleanup(&f->prof);
	free(f);
	return 0;
}

/* Renders at rows x cols; returns the whole screen as text (caller frees). */
static char *s_screen(struct fixture *f, int rows, int cols)
{
	app_render(f->app, &f->canvas, rows, cols);
	size_t cap = 1, len = 0;
	char *out = xstrdup("");
	for (int y = 0; y < rows; y++) {
		char *line = view_canvas_row_text(&f->canvas, y);
		size_t l = strlen(line);
		cap = len + l + 2;
		out = xrealloc(out, cap);
		memcpy(out + len, line, l);
		len += l;
		out[len++] = '\n';
		out[len] = '\0';
		free(line);
	}
	return out;
}

static void s_assert_screen_has(struct fixture *f, int rows, int cols, const char *what)
{
	char *s = s_screen(f, rows, cols);
	if (!strstr(s, what))
		fail_msg("screen lacks \"%s\":\n%s", what, s);
	free(s);
}

static void s_assert_screen_lacks(struct fixture *f, int rows, int cols, const char *what)
{
	char *s = s_screen(f, rows, cols);
	if (strstr(s, what))
		fail_msg("screen has \"%s\":\n%s", what, s);
	free(s);
}

/* Starts the app and answers the projects request with keys. */
static void s_start(struct fixture *f, const char *const *keys, size_t n)
{
	app_start(f->app, NOW_S * 1000);
	struct msg *m = s_take(&f->rec, s_last(&f->rec, MSG_PROJECTS));
	m->projects = xcalloc(1, sizeof(*m->projects));
	m->projects->items = xcalloc(n, sizeof(struct project));
	m->projects->count = n;
	for (size_t i = 0; i < n; i++)
		m->projects->items[i].key = xstrdup(keys[i]);
	app_on_msg(f->app, m);
}

/* Answers the last builds page request with `count` builds numbered from
 * `first`, newest first, and a next cursor when more remains. */
static void s_answer_page(struct fixture *f, int first, int count, bool more)
{
	struct msg *m = NULL;
	for (size_t i = f->rec.n; i > 0 && !m; i--)
		if (f->rec.sent[i - 1]->type == MSG_BUILDS_QUERY &&
		    APP_PURPOSE(f->rec.sent[i - 1]->id) == APP_P_PAGE)
			m = f->rec.sent[i - 1];
	assert_non_null(m);
	m = s_take(&f->rec, m);
	for (int i = 0; i < count; i++)
		build_list_push(&m->builds,
				s_build(m->project, first + i,
					(first + i) % 3 ? BUILD_SUCCEEDED : BUILD_FAILED,
					NOW_S - 600 - (first + i) * 60));
	m->next_cursor = more ? xasprintf("cursor-%d", first + count) : NULL;
	app_on_msg(f->app, m);
}

/* --- the app -------------------------------------------------------------------- */

static const char *const s_keys[] = {"demo/api", "demo/fails", "demo/hello"};

static void test_app_start_and_lists(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	/* one strip query per project, one page of the first project */
	size_t strips = 0, pages = 0;
	for (size_t i = 0; i < f->rec.n; i++) {
		if (f->rec.sent[i]->type != MSG_BUILDS_QUERY)
			continue;
		if (APP_PURPOSE(f->rec.sent[i]->id) == APP_P_STRIP)
			strips++;
		else
			pages++;
	}
	assert_int_equal(strips, 3);
	assert_int_equal(pages, 1);
	assert_int_equal(s_count(&f->rec, MSG_BUILDS_ACTIVE), 1);
	s_answer_page(f, 0, 60, true);
	s_assert_screen_has(f, 30, 120, "Projects");
	s_assert_screen_has(f, 30, 120, "demo/api");
	s_assert_screen_has(f, 30, 120, "Builds");
	s_assert_screen_has(f, 30, 120, "10000000"); /* the newest, short ID */
	s_assert_screen_has(f, 30, 120, "exit 3");
	s_assert_screen_has(f, 30, 120, "ops@host");
	s_assert_screen_has(f, 30, 120, "10m ago");
	/* paging: moving to the end asks for the next page with the cursor */
	f->app->focus = LAYOUT_FOCUS_MAIN;
	s_rec_clear(&f->rec);
	app_on_key(f->app, 'G');
	struct msg *q = s_last(&f->rec, MSG_BUILDS_QUERY);
	assert_non_null(q);
	assert_string_equal(q->cursor, "cursor-60");
	assert_string_equal(q->project, "demo/api");
	s_answer_page(f, 60, 10, false);
	assert_int_equal(f->app->builds.n, 70);
	assert_true(f->app->builds.exhausted);
	s_assert_screen_has(f, 30, 120, "1000003b"); /* the selection stays */
	app_on_key(f->app, 'G');
	s_assert_screen_has(f, 30, 120, "10000045"); /* the last build */
	/* a new project selected: its builds are loaded from scratch */
	f->app->focus = LAYOUT_FOCUS_PROJECTS;
	app_on_key(f->app, 'j');
	q = s_last(&f->rec, MSG_BUILDS_QUERY);
	assert_string_equal(q->project, "demo/fails");
	assert_null(q->cursor);
	assert_int_equal(f->app->builds.n, 0);
}

static void test_app_events_and_running(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	s_answer_page(f, 0, 5, false);
	/* the running list arrives, then a build starts elsewhere */
	struct msg *m = s_take(&f->rec, s_last(&f->rec, MSG_BUILDS_ACTIVE));
	build_list_push(&m->builds, s_build("demo/hello", 100, BUILD_RUNNING, NOW_S - 30));
	app_on_msg(f->app, m);
	m = msg_new(MSG_BUILD_CHANGED);
	m->build = s_build("demo/api", 101, BUILD_QUEUED, NOW_S);
	app_on_msg(f->app, m);
	s_assert_screen_has(f, 30, 120, "1 running, 1 queued");
	assert_string_equal(f->app->builds.items[0]->id, "10000065-0000-4000-8000-000000000101");
	/* the Running view shows both, with their projects */
	app_do(f->app, ACT_RUNNING, NULL);
	assert_int_equal(f->app->main_view, APP_MAIN_RUNNING);
	m = s_take(&f->rec, s_last(&f->rec, MSG_BUILDS_ACTIVE));
	build_list_push(&m->builds, s_build("demo/api", 101, BUILD_QUEUED, NOW_S));
	build_list_push(&m->builds, s_build("demo/hello", 100, BUILD_RUNNING, NOW_S - 30));
	app_on_msg(f->app, m);
	s_assert_screen_has(f, 30, 140, "Running");
	s_assert_screen_has(f, 30, 140, "demo/hello");
	s_assert_screen_has(f, 30, 140, "30s"); /* live duration */
	/* it ends: it leaves the running list and the counts follow */
	m = msg_new(MSG_BUILD_CHANGED);
	m->build = s_build("demo/hello", 100, BUILD_SUCCEEDED, NOW_S - 30);
	app_on_msg(f->app, m);
	s_assert_screen_has(f, 30, 140, "0 running, 1 queued");
	/* q goes back to the builds list */
	app_on_key(f->app, 'q');
	assert_int_equal(f->app->main_view, APP_MAIN_BUILDS);
	assert_false(f->app->quit);
}

static void test_app_filter_projects(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	app_on_key(f->app, '/');
	assert_true(f->app->filtering);
	app_on_key(f->app, 'f');
	app_on_key(f->app, 'a');
	assert_int_equal(f->app->projects.n_visible, 1);
	s_assert_screen_lacks(f, 30, 120, "demo/api");
	s_assert_screen_has(f, 30, 120, "demo/fails");
	/* the builds list follows the selection */
	assert_string_equal(f->app->builds.project, "demo/fails");
	app_on_key(f->app, '\n');
	assert_false(f->app->filtering);
	assert_int_equal(f->app->projects.n_visible, 1);
	app_on_key(f->app, '/');
	app_on_key(f->app, KEYMAP_ESC);
	assert_int_equal(f->app->projects.n_visible, 3);
}

static void test_app_help(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	f->app->focus = LAYOUT_FOCUS_MAIN;
	app_on_key(f->app, '?');
	assert_int_equal(f->app->main_view, APP_MAIN_HELP);
	assert_int_equal(f->app->help_ctx, KEYMAP_BUILDS);
	/* every help line of the builds view is on a tall enough screen */
	size_t n;
	struct keymap_help_line *lines = keymap_help(KEYMAP_BUILDS, &n);
	char *s = s_screen(f, 120, 160);
	for (size_t i = 0; i < n; i++) {
		if (!strstr(s, lines[i].help))
			fail_msg("help lacks \"%s\"", lines[i].help);
		if (!strstr(s, lines[i].keys))
			fail_msg("help lacks keys \"%s\"", lines[i].keys);
	}
	assert_non_null(strstr(s, ":retrigger"));
	free(s);
	free(lines);
	app_on_key(f->app, KEYMAP_ESC);
	assert_int_equal(f->app->main_view, APP_MAIN_BUILDS);
}

static void test_app_cancel_confirm(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	s_answer_page(f, 0, 3, false);
	struct msg *m = msg_new(MSG_BUILD_CHANGED);
	m->build = s_build("demo/api", 7, BUILD_RUNNING, NOW_S);
	app_on_msg(f->app, m);
	f->app->focus = LAYOUT_FOCUS_MAIN;
	f->app->builds.sel.sel = 0;
	s_rec_clear(&f->rec);
	app_on_key(f->app, 'c');
	assert_true(f->app->confirm.active);
	s_assert_screen_has(f, 30, 120, "cancel running build 10000007");
	app_on_key(f->app, 'n');
	assert_null(s_last(&f->rec, MSG_CANCEL));
	app_on_key(f->app, 'c');
	app_on_key(f->app, 'y');
	m = s_last(&f->rec, MSG_CANCEL);
	assert_non_null(m);
	assert_string_equal(m->build_ref, "10000007-0000-4000-8000-000000000007");
	/* a finished build is not offered for cancelling */
	f->app->builds.sel.sel = 1;
	app_on_key(f->app, 'c');
	assert_false(f->app->confirm.active);
	s_assert_screen_has(f, 30, 120, "has already");
}

static void test_app_retrigger_opens_log(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	s_answer_page(f, 0, 3, false);
	f->app->focus = LAYOUT_FOCUS_MAIN;
	s_rec_clear(&f->rec);
	app_on_key(f->app, 'r');
	struct msg *m = s_last(&f->rec, MSG_RETRIGGER);
	assert_non_null(m);
	assert_string_equal(m->build_ref, f->app->builds.items[0]->id);
	assert_string_equal(m->triggered_by, "ops@host");
	m = s_take(&f->rec, m);
	m->build = s_build("demo/api", 50, BUILD_QUEUED, NOW_S);
	app_on_msg(f->app, m);
	/* its log opens in a pane, focused, and is asked for */
	assert_int_equal(f->app->n_logs, 1);
	assert_int_equal(f->app->focus, LAYOUT_FOCUS_LOG);
	m = s_last(&f->rec, MSG_LOG_OPEN);
	assert_non_null(m);
	assert_string_equal(m->build_ref, "10000032-0000-4000-8000-000000000050");
	s_assert_screen_has(f, 30, 120, "Log");
	s_assert_screen_has(f, 30, 120, "queued");
	/* the log arrives (a real logstore) and its lines show */
	char path[512];
	snprintf(path, sizeof(path), "%s/views-log-%d.log", AFT_TEST_TMP, (int)getpid());
	struct err e = {0};
	struct logstore *ls = logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE, &e);
	assert_non_null(ls);
	const char text[] = "line one\nline two\n\033[31mred line\033[0m\n";
	assert_int_equal(logstore_append(ls, text, sizeof(text) - 1, LOGSTORE_NOW, &e), 0);
	m = s_take(&f->rec, m);
	m->build = s_build("demo/api", 50, BUILD_RUNNING, NOW_S);
	m->log = logstore_ref(ls);
	app_on_msg(f->app, m);
	s_assert_screen_has(f, 30, 120, "line two");
	s_assert_screen_has(f, 30, 120, "red line");
	s_assert_screen_lacks(f, 30, 120, "[31m");
	/* it grows */
	const char more[] = "line four\n";
	assert_int_equal(logstore_append(ls, more, sizeof(more) - 1, LOGSTORE_NOW, &e), 0);
	m = msg_new(MSG_LOG_GREW);
	m->build_ref = xstrdup("10000032-0000-4000-8000-000000000050");
	m->log = logstore_ref(ls);
	app_on_msg(f->app, m);
	s_assert_screen_has(f, 30, 120, "line four");
	/* a split opens a second pane; x closes it and tells the worker */
	f->app->focus = LAYOUT_FOCUS_MAIN;
	app_on_key(f->app, 's');
	assert_int_equal(f->app->n_logs, 2);
	s_rec_clear(&f->rec);
	app_on_key(f->app, 'x');
	assert_int_equal(f->app->n_logs, 1);
	assert_non_null(s_last(&f->rec, MSG_LOG_CLOSE));
	logstore_unref(ls);
	unlink(path);
	char ts[520];
	snprintf(ts, sizeof(ts), "%s.ts", path);
	unlink(ts);
}

struct cands {
	char items[32][64];
	size_t n;
};

static void s_cand(void *ctx, const char *c)
{
	struct cands *k = ctx;
	if (k->n < 32)
		snprintf(k->items[k->n++], 64, "%s", c);
}

static bool s_has_cand(const struct cands *k, const char *c)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->items[i], c) == 0)
			return true;
	return false;
}

static void test_app_build_questions(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	s_answer_page(f, 0, 3, false);
	app_on_key(f->app, 'b');
	struct app_ask ask;
	assert_true(app_take_ask(f->app, &ask));
	assert_int_equal(ask.kind, APP_ASK_PROJECT);
	assert_string_equal(ask.initial, "demo/api");
	free(ask.initial);
	struct cands k = {0};
	app_complete(f->app, APP_ASK_PROJECT, 0, NULL, s_cand, &k);
	assert_true(s_has_cand(&k, "demo/hello"));
	app_answer(f->app, APP_ASK_PROJECT, "demo/hello");
	assert_true(app_take_ask(f->app, &ask));
	assert_int_equal(ask.kind, APP_ASK_BRANCH);
	free(ask.initial);
	s_rec_clear(&f->rec);
	app_answer(f->app, APP_ASK_BRANCH, "feature/y");
	struct msg *m = s_last(&f->rec, MSG_BUILD_START);
	assert_non_null(m);
	assert_string_equal(m->project, "demo/hello");
	assert_string_equal(m->branch, "feature/y");
	assert_string_equal(m->triggered_by, "ops@host");
	/* :build with arguments starts at once */
	s_rec_clear(&f->rec);
	app_command(f->app, "build demo/fails main");
	m = s_last(&f->rec, MSG_BUILD_START);
	assert_string_equal(m->project, "demo/fails");
	assert_string_equal(m->branch, "main");
	/* completion of commands and their arguments */
	memset(&k, 0, sizeof(k));
	app_complete(f->app, APP_ASK_COMMAND, 0, NULL, s_cand, &k);
	assert_true(s_has_cand(&k, "retrigger") && s_has_cand(&k, "theme"));
	memset(&k, 0, sizeof(k));
	const char *words[] = {"build", "demo/api"};
	app_complete(f->app, APP_ASK_COMMAND, 1, words, s_cand, &k);
	assert_true(s_has_cand(&k, "demo/fails"));
	memset(&k, 0, sizeof(k));
	app_complete(f->app, APP_ASK_COMMAND, 2, words, s_cand, &k);
	assert_true(s_has_cand(&k, "main") && s_has_cand(&k, "feature/x"));
	memset(&k, 0, sizeof(k));
	const char *w2[] = {"retrigger"};
	app_complete(f->app, APP_ASK_COMMAND, 1, w2, s_cand, &k);
	assert_true(s_has_cand(&k, "10000000"));
	/* :theme goes to the console; errors reach the status bar */
	app_command(f->app, "theme light");
	assert_string_equal(f->theme, "light");
	app_command(f->app, "theme nope");
	s_assert_screen_has(f, 30, 120, "theme 'nope' not found");
	app_command(f->app, "frobnicate");
	s_assert_screen_has(f, 30, 120, "unknown command 'frobnicate'");
	app_command(f->app, "quit");
	assert_true(f->app->quit);
}

static void test_app_artifacts(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	s_answer_page(f, 0, 3, false);
	f->app->focus = LAYOUT_FOCUS_MAIN;
	s_rec_clear(&f->rec);
	app_on_key(f->app, 'a');
	assert_int_equal(f->app->main_view, APP_MAIN_ARTIFACTS);
	struct msg *m = s_take(&f->rec, s_last(&f->rec, MSG_ARTIFACTS_LIST));
	assert_string_equal(m->path, "");
	blob_list_push(&m->entries, "bin/", 0, 0, true);
	blob_list_push(&m->entries, "summary.txt", 2048, 1700000000000LL, false);
	app_on_msg(f->app, m);
	s_assert_screen_has(f, 30, 120, "bin/");
	s_assert_screen_has(f, 30, 120, "summary.txt");
	s_assert_screen_has(f, 30, 120, "2.0 KiB");
	/* y copies the file's location */
	app_on_key(f->app, 'j');
	app_on_key(f->app, 'y');
	assert_string_equal(f->clip, "/data/blobs/aftomato-build-artifacts/demo/api/"
				     "10000000-0000-4000-8000-000000000000/summary.txt");
	s_assert_screen_has(f, 30, 160, "copied /data/blobs");
	/* d asks where to, then downloads with progress */
	app_on_key(f->app, 'd');
	struct app_ask ask;
	assert_true(app_take_ask(f->app, &ask));
	assert_int_equal(ask.kind, APP_ASK_DOWNLOAD);
	assert_string_equal(ask.initial, "summary.txt");
	free(ask.initial);
	app_answer(f->app, APP_ASK_DOWNLOAD, "/tmp/out.txt");
	m = s_last(&f->rec, MSG_ARTIFACT_GET);
	assert_string_equal(m->path, "summary.txt");
	assert_string_equal(m->dest, "/tmp/out.txt");
	struct msg *p = msg_new(MSG_PROGRESS);
	p->id = m->id;
	p->done_bytes = 1024;
	p->total_bytes = 2048;
	app_on_msg(f->app, p);
	app_render(f->app, &f->canvas, 30, 120);
	bool bar = false;
	for (int y = 0; y < 30; y++)
		for (size_t i = 0; i < f->canvas.row[y].n; i++)
			if (f->canvas.row[y].runs[i].kind == VIEW_RUN_PROGRESS &&
			    f->canvas.row[y].runs[i].done == 1024 &&
			    f->canvas.row[y].runs[i].total == 2048)
				bar = true;
	assert_true(bar);
	m = s_take(&f->rec, m);
	m->count = 2048;
	app_on_msg(f->app, m);
	s_assert_screen_has(f, 30, 160, "saved summary.txt to /tmp/out.txt");
	/* Enter on a directory lists it; Left goes back up */
	app_on_key(f->app, 'g');
	app_on_key(f->app, '\n');
	m = s_last(&f->rec, MSG_ARTIFACTS_LIST);
	assert_string_equal(m->path, "bin/");
	app_on_key(f->app, 'h');
	m = s_last(&f->rec, MSG_ARTIFACTS_LIST);
	assert_string_equal(m->path, "");
	/* the build's final record (after its artifacts were stored) lists them again */
	s_rec_clear(&f->rec);
	m = msg_new(MSG_BUILD_CHANGED);
	m->build = build_dup(f->app->builds.items[0]);
	app_on_msg(f->app, m);
	m = s_last(&f->rec, MSG_ARTIFACTS_LIST);
	assert_non_null(m);
	assert_string_equal(m->path, "");
	/* the S3 location for the aws store */
	f->prof.store = PROFILE_STORE_AWS;
	char *loc = app_artifact_location(&f->prof, "demo/api/x/", "bin/a.bin");
	assert_string_equal(loc, "s3://aftomato-build-artifacts/demo/api/x/bin/a.bin");
	free(loc);
}

static void test_app_small_screens(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	s_answer_page(f, 0, 3, false);
	/* the smallest screen still shows the focused pane and the status bar */
	for (int rows = 5; rows < 12; rows++) {
		for (int cols = 20; cols < 70; cols += 7) {
			char *s = s_screen(f, rows, cols);
			assert_null(strstr(s, "too small"));
			free(s);
		}
	}
	s_assert_screen_has(f, 5, 20, "Projects");
	s_assert_screen_has(f, 3, 40, "too small");
	s_assert_screen_has(f, 10, 19, "need 20x5");
	/* nothing is drawn outside the screen */
	app_render(f->app, &f->canvas, 5, 20);
	for (int y = 0; y < 5; y++)
		for (size_t i = 0; i < f->canvas.row[y].n; i++) {
			const struct view_run *r = &f->canvas.row[y].runs[i];
			assert_true(r->x >= 0 && r->x + r->width <= 20);
		}
}

static void test_app_mouse(void **state)
{
	struct fixture *f = *state;
	s_start(f, s_keys, 3);
	s_answer_page(f, 0, 5, false);
	app_render(f->app, &f->canvas, 30, 120);
	/* the third project (row 3: the title, then one row per project) */
	s_rec_clear(&f->rec);
	app_click(f->app, 3, 4);
	assert_int_equal(f->app->focus, LAYOUT_FOCUS_PROJECTS);
	assert_string_equal(model_projects_selected(&f->app->projects)->key, "demo/hello");
	assert_string_equal(s_last(&f->rec, MSG_BUILDS_QUERY)->project, "demo/hello");
	s_answer_page(f, 0, 5, false);
	app_render(f->app, &f->canvas, 30, 120);
	/* the builds list: title, header, then builds; the fourth build */
	int x = f->app->layout.main.x + 5;
	app_click(f->app, f->app->layout.main.y + 5, x);
	assert_int_equal(f->app->focus, LAYOUT_FOCUS_MAIN);
	assert_int_equal(f->app->builds.sel.sel, 3);
	/* outside every pane (the status bar): nothing changes */
	app_click(f->app, 29, 3);
	assert_int_equal(f->app->focus, LAYOUT_FOCUS_MAIN);
}

static void test_app_last_project(void **state)
{
	struct fixture *f = *state;
	f->app->d.last_project = "demo/hello";
	app_start(f->app, NOW_S * 1000);
	/* its builds are asked for with the projects, not after them */
	struct msg *q = s_last(&f->rec, MSG_BUILDS_QUERY);
	assert_non_null(q);
	assert_string_equal(q->project, "demo/hello");
	assert_non_null(s_last(&f->rec, MSG_PROJECTS));
	struct msg *m = s_take(&f->rec, s_last(&f->rec, MSG_PROJECTS));
	m->projects = xcalloc(1, sizeof(*m->projects));
	m->projects->items = xcalloc(3, sizeof(struct project));
	m->projects->count = 3;
	for (size_t i = 0; i < 3; i++)
		m->projects->items[i].key = xstrdup(s_keys[i]);
	app_on_msg(f->app, m);
	assert_string_equal(model_projects_selected(&f->app->projects)->key, "demo/hello");
	size_t pages = 0;
	for (size_t i = 0; i < f->rec.n; i++)
		pages += f->rec.sent[i]->type == MSG_BUILDS_QUERY &&
			 APP_PURPOSE(f->rec.sent[i]->id) == APP_P_PAGE;
	assert_int_equal(pages, 1);
	s_answer_page(f, 0, 4, false);
	s_assert_screen_has(f, 30, 120, "Builds  demo/hello  4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_app_start_and_lists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_events_and_running, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_filter_projects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_help, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_cancel_confirm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_retrigger_opens_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_build_questions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_artifacts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_small_screens, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_mouse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_app_last_project, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
