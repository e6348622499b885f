/* The keymap: lookups with the global fallback, help generated from the
 * tables (complete and consistent with lookups), key names, `:` commands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ncurses.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"

static void test_lookup(void **state)
{
	(void)state;
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, 'j'), ACT_DOWN);
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, KEY_DOWN), ACT_DOWN);
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, KEYMAP_CTRL('d')), ACT_HALF_DOWN);
	/* global fallback */
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, 'r'), ACT_RETRIGGER);
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, 'c'), ACT_CANCEL);
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, '?'), ACT_HELP);
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, ':'), ACT_COMMAND);
	/* a view overrides the global table */
	assert_int_equal(keymap_lookup(KEYMAP_LOG, '?'), ACT_SEARCH_BACK);
	assert_int_equal(keymap_lookup(KEYMAP_LOG, '/'), ACT_SEARCH_FWD);
	assert_int_equal(keymap_lookup(KEYMAP_LOG, 'n'), ACT_SEARCH_NEXT);
	assert_int_equal(keymap_lookup(KEYMAP_LOG, '&'), ACT_FILTER);
	assert_int_equal(keymap_lookup(KEYMAP_RUNNING, 'q'), ACT_BUILDS);
	assert_int_equal(keymap_lookup(KEYMAP_PROJECTS, 'q'), ACT_BACK);
	/* Enter from a terminal in nl or nonl mode */
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, '\r'), ACT_LOGS);
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, '\n'), ACT_LOGS);
	assert_int_equal(keymap_lookup(KEYMAP_ARTIFACTS, 127), ACT_LEFT);
	/* nothing bound */
	assert_int_equal(keymap_lookup(KEYMAP_BUILDS, 'Z'), ACT_NONE);
	assert_int_equal(keymap_lookup(KEYMAP_GLOBAL, 'j'), ACT_NONE);
}

static void test_key_names(void **state)
{
	(void)state;
	char buf[16];
	assert_string_equal(keymap_key_name('j', buf, sizeof(buf)), "j");
	assert_string_equal(keymap_key_name(KEY_UP, buf, sizeof(buf)), "Up");
	assert_string_equal(keymap_key_name(KEY_NPAGE, buf, sizeof(buf)), "PgDn");
	assert_string_equal(keymap_key_name(KEYMAP_CTRL('d'), buf, sizeof(buf)), "^D");
	assert_string_equal(keymap_key_name('\t', buf, sizeof(buf)), "Tab");
	assert_string_equal(keymap_key_name('\n', buf, sizeof(buf)), "Enter");
	assert_string_equal(keymap_key_name(KEYMAP_ESC, buf, sizeof(buf)), "Esc");
	assert_string_equal(keymap_key_name(KEY_F(5), buf, sizeof(buf)), "F5");
	assert_string_equal(keymap_key_name(' ', buf, sizeof(buf)), "Space");
}

static bool s_has_key(const char *keys, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = keys; (p = strstr(p, name)); p += n)
		if ((p == keys || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* Every key that does something in a view is in that view's help, next to
 * the action the key really does there; no help line lists a key that does
 * something else. */
static void test_help_matches_lookup(void **state)
{
	(void)state;
	for (int ctx = KEYMAP_PROJECTS; ctx < KEYMAP_CTX_COUNT; ctx++) {
		size_t n;
		struct keymap_help_line *lines = keymap_help((enum keymap_ctx)ctx, &n);
		assert_true(n > 5);
		for (int tc = 0; tc < 2; tc++) {
			size_t nb;
			const struct keymap_binding *b =
			    keymap_table(tc ? KEYMAP_GLOBAL : (enum keymap_ctx)ctx, &nb);
			for (size_t i = 0; i < nb; i++) {
				enum keymap_action real =
				    keymap_lookup((enum keymap_ctx)ctx, b[i].key);
				char name[16];
				keymap_key_name(b[i].key, name, sizeof(name));
				bool found = false;
				for (size_t k = 0; k < n; k++) {
					if (!s_has_key(lines[k].keys, name))
						continue;
					/* the key is listed: only next to what it does */
					if (lines[k].action != real)
						fail_msg("ctx %s: key %s listed as %s, does %s",
							 keymap_ctx_name(ctx), name,
							 keymap_action_name(lines[k].action),
							 keymap_action_name(real));
					found = true;
				}
				if (!found)
					fail_msg("ctx %s: key %s (%s) missing from help",
						 keymap_ctx_name(ctx), name,
						 keymap_action_name(real));
			}
		}
		for (size_t k = 0; k < n; k++) {
			assert_true(lines[k].keys[0] != '\0');
			assert_true(strlen(lines[k].help) > 3);
		}
		free(lines);
	}
}

static void test_help_log_keys(void **state)
{
	(void)state;
	size_t n;
	struct keymap_help_line *lines = keymap_help(KEYMAP_LOG, &n);
	bool search = false, filter = false, retrigger = false, help = false;
	for (size_t k = 0; k < n; k++) {
		if (lines[k].action == ACT_SEARCH_FWD && s_has_key(lines[k].keys, "/"))
			search = true;
		if (lines[k].action == ACT_FILTER && s_has_key(lines[k].keys, "&"))
			filter = true;
		if (lines[k].action == ACT_RETRIGGER && lines[k].ctx == KEYMAP_GLOBAL)
			retrigger = true;
		if (lines[k].action == ACT_HELP) {
			/* '?' searches backward in a log pane: help is F1 there */
			assert_false(s_has_key(lines[k].keys, "?"));
			assert_true(s_has_key(lines[k].keys, "F1"));
			help = true;
		}
	}
	assert_true(search && filter && retrigger && help);
	free(lines);
}

static void test_commands(void **state)
{
	(void)state;
	char why[128];
	char *arg = NULL;
	const struct keymap_command *c = keymap_command_parse("retrigger 1a2b", &arg, why, 128);
	assert_non_null(c);
	assert_int_equal(c->action, ACT_RETRIGGER);
	assert_string_equal(arg, "1a2b");
	free(arg);
	c = keymap_command_parse("  theme   light  ", &arg, why, sizeof(why));
	assert_int_equal(c->action, ACT_THEME);
	assert_string_equal(arg, "light");
	free(arg);
	c = keymap_command_parse("q", &arg, why, sizeof(why));
	assert_int_equal(c->action, ACT_QUIT);
	assert_null(arg);
	c = keymap_command_parse("runn", &arg, why, sizeof(why));
	assert_int_equal(c->action, ACT_RUNNING);
	c = keymap_command_parse("build demo/hello feature/x", &arg, why, sizeof(why));
	assert_int_equal(c->action, ACT_BUILD);
	assert_string_equal(arg, "demo/hello feature/x");
	free(arg);
	/* every command the issue names */
	const char *names[] = {"build",	  "retrigger", "cancel", "logs", "artifacts",
			       "running", "theme",     "split",	 "quit", "help"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		c = keymap_command_parse(names[i], &arg, why, sizeof(why));
		assert_non_null(c);
		assert_string_equal(c->name, names[i]);
		free(arg);
	}
	assert_null(keymap_command_parse("", &arg, why, sizeof(why)));
	assert_null(keymap_command_parse("bogus", &arg, why, sizeof(why)));
	assert_non_null(strstr(why, "unknown command 'bogus'"));
	assert_null(keymap_command_parse("s", &arg, why, sizeof(why)));
	assert_non_null(strstr(why, "ambiguous"));
}

static void test_complete(void **state)
{
	(void)state;
	const char *got[8] = {0};
	size_t n = 0;
	for (const char *s; n < 8 && (s = keymap_command_complete("r", n)); n++)
		got[n] = s;
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i][0], 'r');
	assert_null(keymap_command_complete("zzz", 0));
	assert_string_equal(keymap_command_complete("them", 0), "theme");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_key_names),
	    cmocka_unit_test(test_help_matches_lookup),
	    cmocka_unit_test(test_help_log_keys),
	    cmocka_unit_test(test_commands),
	    cmocka_unit_test(test_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
