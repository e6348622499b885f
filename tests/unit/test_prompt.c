/* Unit tests for prompt: the readline callback prompt driven by keys as the
 * console reads them, without a terminal: editing, UTF-8, submit and cancel,
 * history (navigation, bounds, the file written 0600 and read back), tab
 * completion through a provider with candidates, chained questions, and that
 * readline writes nothing to the terminal. Drawing is checked on a newterm
 * screen written to /dev/null. */
#include <fcntl.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include <cmocka.h>

#include "draw.h"
#include "prompt.h"

static char s_tmp[256];

/* What the done callback saw. */
struct s_done {
	int calls;
	bool cancelled;
	char line[256];
};

static void s_on_done(void *ud, const char *line)
{
	struct s_done *d = ud;
	d->calls++;
	d->cancelled = line == NULL;
	snprintf(d->line, sizeof(d->line), "%s", line ? line : "");
}

static struct prompt *s_new(const char *history, size_t max)
{
	struct prompt_opts o = {.history_path = history, .history_max = max};
	struct err e = {0};
	struct prompt *p = prompt_new(&o, &e);
	if (!p)
		fail_msg("%s", e.msg);
	return p;
}

static void s_begin(struct prompt *p, struct s_done *d)
{
	memset(d, 0, sizeof(*d));
	struct err e = {0};
	if (prompt_begin(p, ":", NULL, s_on_done, d, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(prompt_active(p));
}

static void s_type(struct prompt *p, const char *text)
{
	assert_int_equal(prompt_feed_text(p, text), PROMPT_EDITING);
}

static void s_key(struct prompt *p, int key)
{
	assert_int_equal(prompt_feed(p, key, true), PROMPT_EDITING);
}

static void s_is(struct prompt *p, const char *line, size_t cursor)
{
	assert_string_equal(prompt_line(p), line);
	assert_int_equal(prompt_cursor(p), cursor);
}

/* ---- Editing -------------------------------------------------------------- */

static void test_edit_and_submit(void **state)
{
	struct prompt *p = s_new(NULL, 0);
	struct s_done d;
	assert_int_equal(prompt_feed(p, 'x', false), PROMPT_IDLE);
	assert_false(prompt_active(p));
	s_begin(p, &d);
	assert_string_equal(prompt_label(p), ":");
	s_is(p, "", 0);
	s_type(p, "abc");
	s_is(p, "abc", 3);
	s_key(p, KEY_LEFT);
	s_key(p, KEY_LEFT);
	s_type(p, "X");
	s_is(p, "aXbc", 2);
	s_key(p, KEY_HOME);
	s_key(p, KEY_DC);
	s_is(p, "Xbc", 0);
	s_key(p, KEY_END);
	s_key(p, KEY_BACKSPACE);
	s_is(p, "Xb", 2);
	s_key(p, KEY_RIGHT); /* at the end: stays */
	s_is(p, "Xb", 2);
	assert_int_equal(prompt_feed(p, 1, false), PROMPT_EDITING); /* Ctrl-A */
	s_type(p, "Z");
	s_is(p, "ZXb", 1);
	assert_int_equal(prompt_feed(p, 11, false), PROMPT_EDITING); /* Ctrl-K */
	s_is(p, "Z", 1);
	s_type(p, " two words");
	assert_int_equal(prompt_feed(p, 23, false), PROMPT_EDITING); /* Ctrl-W */
	s_is(p, "Z two ", 6);
	assert_int_equal(prompt_feed(p, 127, false), PROMPT_EDITING); /* DEL as backspace */
	s_is(p, "Z two", 5);
	assert_int_equal(prompt_feed(p, 21, false), PROMPT_EDITING); /* Ctrl-U */
	s_is(p, "", 0);
	/* UTF-8 as get_wch gives it (a wide character) and as text */
	assert_int_equal(prompt_feed(p, 0xe9, false), PROMPT_EDITING);
	s_type(p, "\xe2\x82\xac!");
	s_is(p, "\xc3\xa9\xe2\x82\xac!", 6);
	s_key(p, KEY_LEFT);
	s_key(p, KEY_LEFT);
	s_is(p, "\xc3\xa9\xe2\x82\xac!", 2);
	assert_int_equal(d.calls, 0);
	assert_int_equal(prompt_feed(p, KEY_ENTER, true), PROMPT_SUBMITTED);
	assert_int_equal(d.calls, 1);
	assert_false(d.cancelled);
	assert_string_equal(d.line, "\xc3\xa9\xe2\x82\xac!");
	assert_false(prompt_active(p));
	s_is(p, "", 0);
	assert_int_equal(prompt_feed(p, 'x', false), PROMPT_IDLE);

	/* "\n" and "\r" submit too; initial text is editable */
	memset(&d, 0, sizeof(d));
	struct err e = {0};
	assert_int_equal(prompt_begin(p, "branch: ", "main", s_on_done, &d, &e), 0);
	s_is(p, "main", 4);
	assert_int_equal(prompt_feed_text(p, "-2\nignored"), PROMPT_SUBMITTED);
	assert_string_equal(d.line, "main-2");
	s_begin(p, &d);
	assert_int_equal(prompt_feed(p, '\r', false), PROMPT_SUBMITTED);
	assert_string_equal(d.line, "");
	assert_false(d.cancelled);
	prompt_free(p);
}

static void test_cancel(void **state)
{
	struct prompt *p = s_new(NULL, 10);
	struct s_done d;
	s_begin(p, &d);
	s_type(p, "half typed");
	assert_int_equal(prompt_feed(p, 27, false), PROMPT_CANCELLED); /* Esc */
	assert_int_equal(d.calls, 1);
	assert_true(d.cancelled);
	assert_false(prompt_active(p));
	size_t n;
	prompt_history(p, &n);
	assert_int_equal(n, 0);

	s_begin(p, &d);
	s_is(p, "", 0); /* nothing left over from the cancelled line */
	s_type(p, "x");
	assert_int_equal(prompt_feed(p, 3, false), PROMPT_CANCELLED); /* Ctrl-C */
	assert_true(d.cancelled);

	s_begin(p, &d);
	assert_int_equal(prompt_feed(p, 4, false), PROMPT_CANCELLED); /* Ctrl-D, empty line */
	assert_true(d.cancelled);

	s_begin(p, &d);
	s_type(p, "ab");
	s_key(p, KEY_LEFT);
	assert_int_equal(prompt_feed(p, 4, false), PROMPT_EDITING); /* Ctrl-D deletes here */
	s_is(p, "a", 1);
	prompt_cancel(p);
	assert_int_equal(d.calls, 1);
	assert_true(d.cancelled);
	prompt_cancel(p); /* not active: nothing */
	assert_int_equal(d.calls, 1);

	/* a key sequence half typed (Ctrl-X prefix) does not leak into the next */
	s_begin(p, &d);
	assert_int_equal(prompt_feed(p, 24, false), PROMPT_EDITING);
	prompt_cancel(p);
	s_begin(p, &d);
	s_type(p, "u");
	s_is(p, "u", 1);
	prompt_cancel(p);
	prompt_free(p);
}

/* ---- History -------------------------------------------------------------- */

static void s_submit(struct prompt *p, const char *line)
{
	struct s_done d;
	s_begin(p, &d);
	s_type(p, line);
	assert_int_equal(prompt_feed(p, '\r', false), PROMPT_SUBMITTED);
	assert_string_equal(d.line, line);
}

static void test_history_navigation(void **state)
{
	struct prompt *p = s_new(NULL, 100);
	s_submit(p, "one");
	s_submit(p, "two");
	s_submit(p, "two"); /* a repeat of the last entry is not kept twice */
	s_submit(p, "");    /* nor an empty line */
	size_t n;
	const char *const *h = prompt_history(p, &n);
	assert_int_equal(n, 2);
	assert_string_equal(h[0], "one");
	assert_string_equal(h[1], "two");

	struct s_done d;
	s_begin(p, &d);
	s_type(p, "dra");
	s_key(p, KEY_UP);
	s_is(p, "two", 3);
	s_key(p, KEY_UP);
	s_is(p, "one", 3);
	s_key(p, KEY_UP); /* the oldest: stays */
	s_is(p, "one", 3);
	s_key(p, KEY_DOWN);
	s_is(p, "two", 3);
	s_key(p, KEY_DOWN); /* back to what was being typed */
	s_is(p, "dra", 3);
	s_key(p, KEY_UP);
	s_type(p, "!");
	assert_int_equal(prompt_feed(p, '\r', false), PROMPT_SUBMITTED);
	assert_string_equal(d.line, "two!");
	h = prompt_history(p, &n);
	assert_int_equal(n, 3);
	assert_string_equal(h[2], "two!");
	assert_string_equal(h[1], "two"); /* the recalled entry itself is unchanged */

	/* a prompt without history: Up does nothing, nothing is kept */
	struct prompt *q = s_new(NULL, 0);
	s_submit(q, "yes");
	s_begin(q, &d);
	s_key(q, KEY_UP);
	s_is(q, "", 0);
	prompt_cancel(q);
	prompt_history(q, &n);
	assert_int_equal(n, 0);

	/* each prompt has its own history */
	s_begin(p, &d);
	s_key(p, KEY_UP);
	s_is(p, "two!", 4);
	prompt_cancel(p);
	prompt_free(q);
	prompt_free(p);
}

static size_t s_file_lines(const char *path, char lines[][64], size_t max)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = 0;
	char buf[256];
	while (fgets(buf, sizeof(buf), f) && n < max) {
		buf[strcspn(buf, "\n")] = 0;
		snprintf(lines[n++], 64, "%.63s", buf);
	}
	fclose(f);
	return n;
}

static void test_history_file(void **state)
{
	char dir[300], path[400];
	snprintf(dir, sizeof(dir), "%s/state/aftomato", s_tmp);
	char *hp = prompt_history_path(dir);
	snprintf(path, sizeof(path), "%s", hp);
	free(hp);
	assert_string_equal(path + strlen(dir), "/history");
	assert_null(prompt_history_path(NULL));

	mode_t old = umask(022);
	struct prompt *p = s_new(path, 5);
	size_t n;
	prompt_history(p, &n);
	assert_int_equal(n, 0); /* no file yet: fine */
	struct stat st;
	for (int i = 0; i < 8; i++) {
		char line[32];
		snprintf(line, sizeof(line), ":build demo/hello %d", i);
		s_submit(p, line);
		if (i == 0) { /* created 0600 whatever the umask */
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0600);
		}
	}
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	char lines[16][64];
	assert_int_equal(s_file_lines(path, lines, 16), 5);
	assert_string_equal(lines[0], ":build demo/hello 3");
	assert_string_equal(lines[4], ":build demo/hello 7");
	const char *const *h = prompt_history(p, &n);
	assert_int_equal(n, 5);
	assert_string_equal(h[0], ":build demo/hello 3");
	prompt_free(p);

	/* read back by a new prompt (another console run) */
	p = s_new(path, 5);
	h = prompt_history(p, &n);
	assert_int_equal(n, 5);
	assert_string_equal(h[4], ":build demo/hello 7");
	struct s_done d;
	s_begin(p, &d);
	s_key(p, KEY_UP);
	s_is(p, ":build demo/hello 7", 19);
	prompt_cancel(p);
	/* a smaller bound keeps the newest entries; readline's timestamp lines
	 * are skipped */
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs("#1700000000\n:theme light\n", f);
	fclose(f);
	struct prompt *q = s_new(path, 2);
	h = prompt_history(q, &n);
	assert_int_equal(n, 2);
	assert_string_equal(h[0], ":build demo/hello 7");
	assert_string_equal(h[1], ":theme light");
	prompt_free(q);
	prompt_free(p);

	/* a history path that cannot be read fails prompt_new */
	struct prompt_opts o = {.history_path = s_tmp, .history_max = 5}; /* a directory */
	struct err e = {0};
	assert_null(prompt_new(&o, &e));
	assert_int_equal(e.code, ERR_IO);
}

/* ---- Completion ------------------------------------------------------------ */

struct s_provider {
	int calls;
	int word_index;
	char words0[64];
	char prefix[64];
};

static void s_complete(void *ud, struct prompt_completion *c)
{
	struct s_provider *pv = ud;
	pv->calls++;
	pv->word_index = c->word_index;
	snprintf(pv->words0, sizeof(pv->words0), "%s", c->word_index ? c->words[0] : "");
	snprintf(pv->prefix, sizeof(pv->prefix), "%s", c->prefix);
	static const char *const cmds[] = {"build",  "builds", "retrigger", "running",
					   "cancel", "theme",  "quit",	    NULL};
	static const char *const projects[] = {"demo/hello", "demo/world", "team/x", NULL};
	static const char *const themes[] = {"default", "light", "high-contrast", NULL};
	const char *const *list = NULL;
	if (c->word_index == 0)
		list = cmds;
	else if (c->word_index == 1 && strcmp(c->words[0], "theme") == 0)
		list = themes;
	else if (c->word_index == 1)
		list = projects;
	for (size_t i = 0; list && list[i]; i++)
		prompt_complete_add(c, list[i]);
	prompt_complete_add(c, list ? list[0] : NULL); /* duplicates are dropped */
}

static void test_completion(void **state)
{
	struct s_provider pv = {0};
	struct prompt_opts o = {.history_max = 10, .complete = s_complete, .complete_ud = &pv};
	struct err e = {0};
	struct prompt *p = prompt_new(&o, &e);
	assert_non_null(p);
	struct s_done d;
	size_t n;

	s_begin(p, &d);
	s_type(p, "ret\t");
	s_is(p, "retrigger ", 10);
	assert_int_equal(pv.word_index, 0);
	assert_string_equal(pv.prefix, "ret");
	prompt_candidates(p, &n);
	assert_int_equal(n, 0);
	prompt_cancel(p);

	s_begin(p, &d);
	s_type(p, "bu\t"); /* ambiguous: the common part, and the candidates */
	s_is(p, "build", 5);
	const char *const *c = prompt_candidates(p, &n);
	assert_int_equal(n, 2);
	assert_string_equal(c[0], "build");
	assert_string_equal(c[1], "builds");
	s_type(p, " d"); /* the next key clears them */
	prompt_candidates(p, &n);
	assert_int_equal(n, 0);
	s_type(p, "\t");
	s_is(p, "build demo/", 11);
	assert_int_equal(pv.word_index, 1);
	assert_string_equal(pv.words0, "build");
	assert_string_equal(pv.prefix, "d");
	c = prompt_candidates(p, &n);
	assert_int_equal(n, 2);
	assert_string_equal(c[0], "demo/hello");
	assert_string_equal(c[1], "demo/world");
	s_type(p, "w\t");
	s_is(p, "build demo/world ", 17);
	int calls = pv.calls;
	s_type(p, "zz\t"); /* third word: no candidates, nothing changes */
	assert_int_equal(pv.calls, calls + 1);
	assert_int_equal(pv.word_index, 2);
	s_is(p, "build demo/world zz", 19);
	assert_int_equal(prompt_feed(p, '\r', false), PROMPT_SUBMITTED);
	assert_string_equal(d.line, "build demo/world zz");

	/* completing in the middle of the line: the word before the cursor */
	s_begin(p, &d);
	s_type(p, "theme l");
	s_key(p, KEY_HOME);
	s_type(p, "  ");
	s_key(p, KEY_END);
	s_type(p, "\t");
	s_is(p, "  theme light ", 14);
	assert_string_equal(pv.words0, "theme");
	prompt_cancel(p);

	/* nothing matches: the line stays */
	s_begin(p, &d);
	s_type(p, "xyz\t");
	s_is(p, "xyz", 3);
	prompt_cancel(p);
	prompt_free(p);

	/* without a provider Tab inserts nothing */
	p = s_new(NULL, 0);
	s_begin(p, &d);
	s_type(p, "ab\t");
	s_is(p, "ab", 2);
	prompt_free(p); /* while active: no done call */
	assert_int_equal(d.calls, 0);
}

/* ---- Several prompts --------------------------------------------------------- */

struct s_chain {
	struct prompt *branch;
	struct s_done branch_done;
	char project[64];
};

static void s_project_done(void *ud, const char *line)
{
	struct s_chain *ch = ud;
	snprintf(ch->project, sizeof(ch->project), "%s", line ? line : "");
	if (!line)
		return;
	struct err e = {0};
	assert_int_equal(
	    prompt_begin(ch->branch, "branch: ", "main", s_on_done, &ch->branch_done, &e), 0);
}

static void test_chained_and_exclusive(void **state)
{
	struct prompt *project = s_new(NULL, 10), *branch = s_new(NULL, 10);
	struct s_chain ch = {.branch = branch};
	struct err e = {0};
	assert_int_equal(prompt_begin(project, "project: ", NULL, s_project_done, &ch, &e), 0);
	assert_int_equal(prompt_feed_text(project, "demo/hello\r"), PROMPT_SUBMITTED);
	assert_string_equal(ch.project, "demo/hello");
	assert_false(prompt_active(project));
	assert_true(prompt_active(branch));
	s_is(branch, "main", 4);
	assert_int_equal(prompt_feed_text(branch, "\x17release\r"), PROMPT_SUBMITTED);
	assert_string_equal(ch.branch_done.line, "release");

	/* beginning one prompt ends the other without calling its callback */
	struct s_done d1, d2;
	s_begin(project, &d1);
	s_type(project, "abc");
	s_begin(branch, &d2);
	assert_false(prompt_active(project));
	assert_int_equal(d1.calls, 0);
	s_is(branch, "", 0);
	s_is(project, "", 0);
	assert_int_equal(prompt_feed(project, 'x', false), PROMPT_IDLE);
	prompt_cancel(branch);
	prompt_free(project);
	prompt_free(branch);
}

/* Readline must never write to the terminal: run a session with stdout and
 * stderr on a file and check it stays empty. */
static void test_writes_nothing(void **state)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/prompt-out", s_tmp);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	fflush(stderr);
	int o1 = dup(1), o2 = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);

	struct s_provider pv = {0};
	struct prompt_opts o = {.history_max = 10, .complete = s_complete, .complete_ud = &pv};
	struct err e = {0};
	struct prompt *p = prompt_new(&o, &e);
	struct s_done d;
	memset(&d, 0, sizeof(d));
	prompt_begin(p, ":", NULL, s_on_done, &d, &e);
	prompt_feed_text(p, "q\tzz\t\t"); /* a bell when nothing matches */
	prompt_feed(p, 12, false);	  /* Ctrl-L: clear screen */
	prompt_feed(p, 7, false);	  /* Ctrl-G: abort */
	prompt_feed(p, 0x16, false);	  /* Ctrl-V: quoted insert... */
	prompt_feed(p, 0x1b, false);	  /* ...of Esc: cancels here */
	prompt_begin(p, ":", NULL, s_on_done, &d, &e);
	prompt_feed_text(p, "theme\r");
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(st.st_size, 0);
	assert_string_equal(d.line, "theme");
	prompt_free(p);
}

/* ---- Drawing ------------------------------------------------------------------ */

static void test_draw(void **state)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	assert_non_null(scr);
	set_term(scr);
	struct theme *th = theme_new_fallback();
	struct draw *dr = draw_new(th, NULL);
	WINDOW *w = newpad(1, 30);
	struct prompt *p = s_new(NULL, 0);
	assert_int_equal(prompt_draw(p, dr, w, 0, 0, 20), -1);
	struct s_done d;
	s_begin(p, &d);
	s_type(p, "build d\xc3\xa9mo");
	s_key(p, KEY_LEFT);
	int cx = prompt_draw(p, dr, w, 0, 2, 20);
	assert_int_equal(cx, 2 + 1 + 9);
	wchar_t row[40];
	for (int x = 0; x < 22; x++) {
		cchar_t cc;
		wchar_t wch[CCHARW_MAX + 1] = {0};
		attr_t a;
		short pr;
		mvwin_wch(w, 0, x, &cc);
		getcchar(&cc, wch, &a, &pr, NULL);
		row[x] = wch[0];
	}
	row[22] = 0;
	assert_true(wcscmp(row, L"  :build d\u00e9mo         ") == 0);

	/* a line longer than the row scrolls so the cursor stays visible */
	s_key(p, KEY_END);
	s_type(p, " and a much longer tail");
	cx = prompt_draw(p, dr, w, 0, 0, 20);
	assert_int_equal(cx, 19);
	cchar_t cc;
	wchar_t wch[CCHARW_MAX + 1] = {0};
	attr_t a;
	short pr;
	mvwin_wch(w, 0, 18, &cc);
	getcchar(&cc, wch, &a, &pr, NULL);
	assert_true(wch[0] == L'l');
	mvwin_wch(w, 0, 0, &cc);
	getcchar(&cc, wch, &a, &pr, NULL);
	assert_true(wch[0] == L':');
	s_key(p, KEY_HOME);
	assert_int_equal(prompt_draw(p, dr, w, 0, 0, 20), 1);
	prompt_free(p);
	delwin(w);
	draw_free(dr);
	theme_free(th);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
}

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	/* the user's key bindings do not count here; vi mode is overridden anyway */
	char inputrc[300];
	snprintf(inputrc, sizeof(inputrc), "%s/prompt-inputrc", AFT_TEST_TMP);
	FILE *f = fopen(inputrc, "w");
	if (!f)
		return 1;
	fputs("set editing-mode vi\n", f);
	fclose(f);
	setenv("INPUTRC", inputrc, 1);
	snprintf(s_tmp, sizeof(s_tmp), "%s/prompt-XXXXXX", AFT_TEST_TMP);
	if (!mkdtemp(s_tmp))
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edit_and_submit),    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_history_navigation), cmocka_unit_test(test_history_file),
	    cmocka_unit_test(test_completion),	       cmocka_unit_test(test_chained_and_exclusive),
	    cmocka_unit_test(test_writes_nothing),     cmocka_unit_test(test_draw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
