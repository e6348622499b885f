/* The console's view models without a terminal: list selection, the models
 * of projects, builds (paged), running builds and artifacts, formatting,
 * layout and the canvas. */
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
#include "utf8.h"
#include "layout.h"
#include "logstore.h"
#include "model.h"
#include "msg.h"
#include "project.h"
#include "view.h"
#include "xmem.h"

#define NOW_S 1795000000LL

/* --- helpers ---------------------------------------------------------------------- */

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

/* --- models ------------------------------------------------------------------- */

static void test_sel(void **state)
{
	(void)state;
	struct model_sel s = {0};
	model_sel_move(&s, 100, 1, 10);
	assert_int_equal(s.sel, 1);
	model_sel_move(&s, 100, 20, 10);
	assert_int_equal(s.sel, 21);
	assert_int_equal(s.top, 12);
	model_sel_move(&s, 100, -1000, 10);
	assert_int_equal(s.sel, 0);
	assert_int_equal(s.top, 0);
	model_sel_move(&s, 100, 1000, 10);
	assert_int_equal(s.sel, 99);
	assert_int_equal(s.top, 90);
	model_sel_fix(&s, 5, 10);
	assert_int_equal(s.sel, 4);
	assert_int_equal(s.top, 0);
	model_sel_move(&s, 0, 1, 10);
	assert_int_equal(s.sel, 0);
}

static void test_builds_model(void **state)
{
	(void)state;
	struct model_builds m;
	model_builds_init(&m, "demo/hello", false);
	assert_true(model_builds_want_more(&m, 10));
	struct build_list page = {0};
	for (int i = 0; i < 50; i++)
		build_list_push(&page, s_build("demo/hello", i, BUILD_SUCCEEDED, NOW_S - i * 10));
	model_builds_add_page(&m, &page, "c50");
	build_list_cleanup(&page);
	assert_int_equal(m.n, 50);
	assert_false(m.exhausted);
	/* at the top of 50 with 10 rows: no page needed yet */
	assert_false(model_builds_want_more(&m, 10));
	model_sel_move(&m.sel, m.n, 35, 10);
	assert_true(model_builds_want_more(&m, 10));
	/* a new build of the project goes on top; the selection keeps its build */
	const struct build *sel = model_builds_selected(&m);
	char sel_id[BUILD_ID_LEN + 1];
	snprintf(sel_id, sizeof(sel_id), "%s", sel->id);
	struct build *nb = s_build("demo/hello", 1000, BUILD_QUEUED, NOW_S + 5);
	assert_true(model_builds_update(&m, nb));
	assert_string_equal(m.items[0]->id, nb->id);
	assert_string_equal(model_builds_selected(&m)->id, sel_id);
	/* its change of state updates it in place */
	nb->status = BUILD_RUNNING;
	assert_true(model_builds_update(&m, nb));
	assert_int_equal(m.items[0]->status, BUILD_RUNNING);
	assert_int_equal(m.n, 51);
	/* another project's build does not belong */
	struct build *other = s_build("demo/fails", 2000, BUILD_QUEUED, NOW_S + 6);
	assert_false(model_builds_update(&m, other));
	/* older than everything loaded (more pages exist): left to paging */
	struct build *old = s_build("demo/hello", 3000, BUILD_FAILED, NOW_S - 100000);
	assert_false(model_builds_update(&m, old));
	assert_int_equal(model_builds_find(&m, "10000064"), -1);
	assert_int_equal(model_builds_find(&m, nb->id), 0);
	assert_int_equal(model_builds_find(&m, "1"), -1); /* ambiguous prefix */
	/* the last page */
	build_list_push(&page, s_build("demo/hello", 60, BUILD_FAILED, NOW_S - 5000));
	model_builds_add_page(&m, &page, NULL);
	build_list_cleanup(&page);
	assert_true(m.exhausted);
	assert_false(model_builds_want_more(&m, 10));
	build_free(nb);
	build_free(other);
	build_free(old);
	model_builds_cleanup(&m);
}

static void test_running_model(void **state)
{
	(void)state;
	struct model_builds m;
	model_builds_init(&m, NULL, true);
	struct build_list page = {0};
	build_list_push(&page, s_build("a/x", 1, BUILD_RUNNING, NOW_S - 10));
	build_list_push(&page, s_build("b/y", 2, BUILD_QUEUED, NOW_S - 20));
	build_list_push(&page, s_build("b/y", 3, BUILD_SUCCEEDED, NOW_S - 30));
	model_builds_add_page(&m, &page, NULL);
	build_list_cleanup(&page);
	assert_int_equal(m.n, 2); /* the finished one is not running */
	struct build *b = s_build("c/z", 4, BUILD_QUEUED, NOW_S);
	assert_true(model_builds_update(&m, b));
	assert_int_equal(m.n, 3);
	assert_string_equal(m.items[0]->id, b->id);
	b->status = BUILD_CANCELLED;
	assert_true(model_builds_update(&m, b));
	assert_int_equal(m.n, 2);
	assert_int_equal(model_builds_find(&m, b->id), -1);
	build_free(b);
	model_builds_cleanup(&m);
}

static void test_projects_model(void **state)
{
	(void)state;
	struct model_projects m = {0};
	const char *keys[] = {"team/zeta", "demo/hello", "demo/fails", "ops/deploy"};
	const char *errs[] = {NULL, NULL, NULL, "ops/deploy/build.sh is not executable"};
	model_projects_set(&m, keys, errs, 4);
	assert_int_equal(m.n, 4);
	assert_string_equal(m.items[0].key, "demo/fails"); /* sorted */
	assert_string_equal(model_projects_selected(&m)->key, "demo/fails");
	model_projects_filter(&m, "HEL");
	assert_int_equal(m.n_visible, 1);
	assert_string_equal(model_projects_selected(&m)->key, "demo/hello");
	model_projects_filter(&m, "");
	assert_int_equal(m.n_visible, 4);
	assert_string_equal(model_projects_selected(&m)->key, "demo/hello"); /* kept */
	/* the strip keeps the newest MODEL_STRIP_MAX, newest first */
	for (int i = 0; i < MODEL_STRIP_MAX + 5; i++) {
		struct build *b =
		    s_build("demo/hello", i, i % 2 ? BUILD_FAILED : BUILD_SUCCEEDED, NOW_S + i);
		model_projects_note(&m, b);
		build_free(b);
	}
	struct model_project *p = model_projects_find(&m, "demo/hello");
	assert_int_equal(p->n_recent, MODEL_STRIP_MAX);
	assert_int_equal(p->recent[0].build_time, NOW_S + MODEL_STRIP_MAX + 4);
	assert_int_equal(p->recent[MODEL_STRIP_MAX - 1].build_time, NOW_S + 5);
	/* an update of a listed build changes its state, not the order */
	struct build *b = s_build("demo/hello", MODEL_STRIP_MAX + 4, BUILD_CANCELLED, 0);
	model_projects_note(&m, b);
	build_free(b);
	assert_int_equal(p->recent[0].status, BUILD_CANCELLED);
	/* a re-scan keeps what is known about projects that stay */
	const char *keys2[] = {"demo/hello", "new/one"};
	model_projects_set(&m, keys2, NULL, 2);
	assert_int_equal(model_projects_find(&m, "demo/hello")->n_recent, MODEL_STRIP_MAX);
	assert_string_equal(model_projects_selected(&m)->key, "demo/hello");
	model_projects_cleanup(&m);
}

static void test_artifacts_model(void **state)
{
	(void)state;
	struct model_artifacts m = {0};
	struct build *b = s_build("demo/hello", 1, BUILD_SUCCEEDED, NOW_S);
	model_artifacts_open(&m, b, "reports/sub/");
	assert_true(m.loading);
	struct blob_list page = {0};
	blob_list_push(&page, "reports/sub/a.txt", 10, 1000, false);
	blob_list_push(&page, "reports/sub/deeper/", 0, 0, true);
	model_artifacts_add(&m, &page, NULL);
	assert_false(m.loading);
	assert_string_equal(model_artifacts_name(&m, 0), "a.txt");
	assert_string_equal(model_artifacts_name(&m, 1), "deeper/");
	char *parent = model_artifacts_parent(&m);
	assert_string_equal(parent, "reports/");
	free(parent);
	model_artifacts_open(&m, b, "reports/");
	parent = model_artifacts_parent(&m);
	assert_string_equal(parent, "");
	free(parent);
	model_artifacts_open(&m, b, "");
	assert_null(model_artifacts_parent(&m));
	build_free(b);
	model_artifacts_cleanup(&m);
}

static void test_format(void **state)
{
	(void)state;
	char buf[64];
	model_fmt_duration(12, buf, sizeof(buf));
	assert_string_equal(buf, "12s");
	model_fmt_duration(245, buf, sizeof(buf));
	assert_string_equal(buf, "4m05s");
	model_fmt_duration(3720, buf, sizeof(buf));
	assert_string_equal(buf, "1h02m");
	model_fmt_duration(3 * 86400 + 4 * 3600, buf, sizeof(buf));
	assert_string_equal(buf, "3d04h");
	model_fmt_ago(NOW_S - 2, NOW_S, buf, sizeof(buf));
	assert_string_equal(buf, "just now");
	model_fmt_ago(NOW_S - 45, NOW_S, buf, sizeof(buf));
	assert_string_equal(buf, "45s ago");
	model_fmt_ago(NOW_S - 7200, NOW_S, buf, sizeof(buf));
	assert_string_equal(buf, "2h ago");
	model_fmt_size(512, buf, sizeof(buf));
	assert_string_equal(buf, "512 B");
	model_fmt_size(4096, buf, sizeof(buf));
	assert_string_equal(buf, "4.0 KiB");
	model_fmt_size(12900000, buf, sizeof(buf));
	assert_string_equal(buf, "12.3 MiB");
	struct build *b = s_build("a/b", 1, BUILD_RUNNING, NOW_S - 90);
	assert_int_equal(model_build_duration(b, NOW_S), 90); /* live */
	model_fmt_result(b, buf, sizeof(buf));
	assert_string_equal(buf, "running");
	b->status = BUILD_FAILED;
	b->has_result = true;
	b->build_result = 3;
	b->has_elapsed = true;
	model_fmt_result(b, buf, sizeof(buf));
	assert_string_equal(buf, "exit 3");
	assert_int_equal(model_build_duration(b, NOW_S), 65);
	b->status = BUILD_QUEUED;
	assert_int_equal(model_build_duration(b, NOW_S), -1);
	build_free(b);
	for (int s = 0; s < BUILD_STATUS_COUNT; s++) {
		assert_true(strlen(model_status_glyph(s, true)) > 0);
		assert_int_equal(strlen(model_status_glyph(s, false)), 1);
	}
}

/* --- layout and canvas ---------------------------------------------------------- */

static bool s_overlap(const struct layout_rect *a, const struct layout_rect *b)
{
	if (!layout_visible(a) || !layout_visible(b))
		return false;
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

static void test_layout(void **state)
{
	(void)state;
	struct layout l;
	for (int rows = 5; rows <= 60; rows += 5) {
		for (int cols = 20; cols <= 220; cols += 25) {
			for (int n = 0; n <= LAYOUT_MAX_LOGS; n++) {
				for (int focus = 0; focus < 3; focus++) {
					layout_compute(&l, rows, cols, n, focus, n ? n - 1 : 0);
					assert_false(l.too_small);
					struct layout_rect all[3 + LAYOUT_MAX_LOGS];
					int k = 0;
					all[k++] = l.projects;
					all[k++] = l.main;
					all[k++] = l.status;
					for (int i = 0; i < n; i++)
						all[k++] = l.logs[i];
					int area = 0;
					for (int i = 0; i < k; i++) {
						const struct layout_rect *r = &all[i];
						if (!layout_visible(r))
							continue;
						assert_true(r->x >= 0 && r->y >= 0);
						assert_true(r->x + r->w <= cols);
						assert_true(r->y + r->h <= rows);
						area += r->h * r->w;
						for (int j = i + 1; j < k; j++)
							assert_false(s_overlap(r, &all[j]));
					}
					/* everything but the separator column is used */
					area += l.separator.h * l.separator.w;
					assert_int_equal(area, rows * cols);
					/* the focused pane is always visible */
					if (focus == LAYOUT_FOCUS_LOG && n)
						assert_true(layout_visible(&l.logs[n - 1]));
					if (focus == LAYOUT_FOCUS_MAIN || (focus == 2 && !n))
						assert_true(layout_visible(&l.main));
					if (focus == LAYOUT_FOCUS_PROJECTS)
						assert_true(layout_visible(&l.projects) ||
							    layout_visible(&l.main));
				}
			}
		}
	}
	layout_compute(&l, 4, 80, 0, 0, 0);
	assert_true(l.too_small);
	layout_compute(&l, 24, 19, 0, 0, 0);
	assert_true(l.too_small);
	layout_compute(&l, 50, 200, 2, LAYOUT_FOCUS_MAIN, 0);
	assert_true(layout_visible(&l.projects));
	assert_true(layout_visible(&l.logs[0]) && layout_visible(&l.logs[1]));
}

static void test_canvas(void **state)
{
	(void)state;
	setlocale(LC_ALL, "C.UTF-8");
	struct view_canvas c;
	view_canvas_init(&c);
	view_canvas_reset(&c, 3, 10);
	struct layout_rect r = {0, 2, 3, 6};
	/* clipped to the rectangle, never past its right edge */
	int w = view_puts(&c, &r, 0, 0, CELL_NORMAL, 0, "abcdefghij");
	assert_int_equal(w, 6);
	char *t = view_canvas_row_text(&c, 0);
	assert_string_equal(t, "  abcdef");
	free(t);
	/* controls never reach the canvas */
	w = view_puts(&c, &r, 1, 0, CELL_NORMAL, 0, "a\033]0;x\007b");
	t = view_canvas_row_text(&c, 1);
	assert_null(strchr(t, '\033'));
	assert_null(strchr(t, '\007'));
	assert_string_equal(t, "  a?]0;x");
	free(t);
	/* a wide character that does not fit is not cut in half */
	w = view_puts(&c, &r, 2, 4, CELL_NORMAL, 0, "x漢字");
	assert_int_equal(w, 1);
	assert_int_equal(utf8_width("漢字a", strlen("漢字a")), 5);
	assert_int_equal(utf8_fit("漢字a", strlen("漢字a"), 3), 3);
	/* rows and runs outside the canvas are ignored */
	assert_int_equal(view_puts(&c, &r, 5, 0, CELL_NORMAL, 0, "zz"), 0);
	view_canvas_reset(&c, 2, 4);
	t = view_canvas_row_text(&c, 0);
	assert_string_equal(t, "");
	free(t);
	view_canvas_cleanup(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sel),
	    cmocka_unit_test(test_builds_model),
	    cmocka_unit_test(test_running_model),
	    cmocka_unit_test(test_projects_model),
	    cmocka_unit_test(test_artifacts_model),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_canvas),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
