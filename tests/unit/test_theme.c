/* Unit tests for theme: loading (extends, palettes, lookup order), every error
 * with its exact file:line:column, the shipped themes, the capability mapping
 * (truecolour → 256 → 16 → 8 → none, NO_COLOR, TERM=dumb) and that elements
 * stay distinguishable at every depth. Fixtures: tests/unit/testdata/themes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "theme.h"

#define FIX	AFTOMATO_SOURCE_DIR "/tests/unit/testdata/themes"
#define SHIPPED AFTOMATO_SOURCE_DIR "/themes"

static const char *const s_fix_dirs[] = {FIX, NULL};
static const char *const s_shipped_dirs[] = {SHIPPED, NULL};

static struct theme *s_load_ok(const char *name, const char *const *dirs)
{
	struct theme *t = NULL;
	struct err e = {0};
	int rc = theme_load(name, dirs, &t, &e);
	if (rc != 0)
		fail_msg("loading %s: %s", name, e.msg);
	assert_non_null(t);
	return t;
}

/* Loads YAML text as "t.yaml" and expects an error with exactly msg. */
static void s_buffer_fails(const char *yaml, const char *msg)
{
	struct theme *t = (struct theme *)1;
	struct err e = {0};
	assert_int_equal(theme_load_buffer("t.yaml", yaml, strlen(yaml), s_fix_dirs, &t, &e), -1);
	assert_null(t);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.msg, msg);
}

static struct theme *s_buffer_ok(const char *yaml)
{
	struct theme *t = NULL;
	struct err e = {0};
	if (theme_load_buffer("t.yaml", yaml, strlen(yaml), s_fix_dirs, &t, &e) != 0)
		fail_msg("%s", e.msg);
	return t;
}

static void s_rgb(const struct cell_color *c, int r, int g, int b)
{
	assert_int_equal(c->kind, CELL_COLOR_RGB);
	assert_int_equal(c->r, r);
	assert_int_equal(c->g, g);
	assert_int_equal(c->b, b);
}

static void s_idx(const struct cell_color *c, int index)
{
	assert_int_equal(c->kind, CELL_COLOR_256);
	assert_int_equal(c->index, index);
}

/* ---- Loading -------------------------------------------------------------- */

static void test_element_names(void **state)
{
	assert_string_equal(theme_elem_name(CELL_NORMAL), "normal");
	assert_string_equal(theme_elem_name(CELL_TITLE_FOCUSED), "title.focused");
	assert_string_equal(theme_elem_name(CELL_STATUS_BAR), "status.bar");
	assert_string_equal(theme_elem_name(CELL_SELECTED_UNFOCUSED), "selected.unfocused");
	assert_string_equal(theme_elem_name(CELL_BUILD_TIMEDOUT), "build.timedout");
	assert_string_equal(theme_elem_name(CELL_SEARCH_CURRENT), "search.current");
	assert_null(theme_elem_name(CELL_ELEM_COUNT));
	for (int i = 0; i < CELL_ELEM_COUNT; i++) {
		assert_non_null(theme_elem_name(i));
		assert_int_equal(theme_elem_from_name(theme_elem_name(i)), i);
	}
	assert_int_equal(theme_elem_from_name("nope"), -1);
}

static void test_base_palette(void **state)
{
	struct theme *t = s_load_ok("base", s_fix_dirs);
	assert_string_equal(t->name, "base");
	assert_non_null(strstr(t->path, "/testdata/themes/base.yaml"));
	s_rgb(&t->elems[CELL_NORMAL].fg, 0xd0, 0xd0, 0xd0);
	s_idx(&t->elems[CELL_NORMAL].bg, 236); /* palette entry written as a number */
	s_rgb(&t->elems[CELL_TITLE].fg, 0x5f, 0xaf, 0xd7);
	assert_int_equal(t->elems[CELL_TITLE].attrs, CELL_BOLD);
	s_idx(&t->elems[CELL_SELECTED].fg, 0);
	s_rgb(&t->elems[CELL_SELECTED].bg, 0x5f, 0xaf, 0xd7);
	assert_int_equal(t->elems[CELL_SELECTED].attrs, CELL_BOLD | CELL_UNDERLINE);
	assert_true(t->elems[CELL_SELECTED].has_mono);
	assert_int_equal(t->elems[CELL_SELECTED].mono_attrs, CELL_REVERSE);
	/* the palette's `red` wins over the basic colour name */
	s_rgb(&t->elems[CELL_BUILD_FAILED].fg, 255, 0, 0);
	s_idx(&t->elems[CELL_BUILD_SUCCEEDED].fg, 2);
	s_rgb(&t->elems[CELL_SEARCH_MATCH].bg, 0xff, 0xcc, 0x00); /* "#fc0" */
	s_idx(&t->elems[CELL_SEARCH_CURRENT].bg, 11);
	assert_int_equal(t->elems[CELL_SEARCH_CURRENT].attrs, CELL_BOLD | CELL_UNDERLINE);
	/* elements the file does not set take normal's colours, no attributes */
	assert_false(t->elems[CELL_LOG_TEXT].defined);
	s_rgb(&t->elems[CELL_LOG_TEXT].fg, 0xd0, 0xd0, 0xd0);
	s_idx(&t->elems[CELL_LOG_TEXT].bg, 236);
	assert_int_equal(t->elems[CELL_LOG_TEXT].attrs, 0);
	/* an element setting only fg takes normal's bg */
	s_idx(&t->elems[CELL_TITLE].bg, 236);
	theme_free(t);
}

static void test_extends_merges_fields(void **state)
{
	struct theme *t = s_load_ok("child", s_fix_dirs);
	/* title: attrs from child, fg from base's element through child's palette */
	s_rgb(&t->elems[CELL_TITLE].fg, 0xff, 0x87, 0x00);
	assert_int_equal(t->elems[CELL_TITLE].attrs, CELL_UNDERLINE);
	/* selected keeps base's fields; its bg `accent` is now child's accent */
	s_rgb(&t->elems[CELL_SELECTED].bg, 0xff, 0x87, 0x00);
	assert_int_equal(t->elems[CELL_SELECTED].attrs, CELL_BOLD | CELL_UNDERLINE);
	s_idx(&t->elems[CELL_BUILD_SUCCEEDED].fg, 46);
	s_rgb(&t->elems[CELL_LOG_ERROR].fg, 255, 0, 0); /* base palette's red */
	assert_true(t->elems[CELL_LOG_ERROR].defined);
	s_idx(&t->elems[CELL_NORMAL].bg, 236);
	theme_free(t);

	t = s_load_ok("child_path", s_fix_dirs); /* extends: ./base.yaml */
	s_idx(&t->elems[CELL_TITLE].fg, 5);
	assert_int_equal(t->elems[CELL_TITLE].attrs, CELL_BOLD);
	theme_free(t);

	/* a path as the theme name */
	t = s_load_ok(FIX "/child.yaml", NULL);
	s_rgb(&t->elems[CELL_TITLE].fg, 0xff, 0x87, 0x00);
	theme_free(t);
}

static void test_lookup_order(void **state)
{
	/* The user's directory comes first; its base.yaml extends `base`, which
	 * then resolves to the next directory's base.yaml, not to itself. */
	const char *const dirs[] = {FIX "/user", FIX, NULL};
	struct theme *t = s_load_ok("base", dirs);
	assert_non_null(strstr(t->path, "/themes/user/base.yaml"));
	s_rgb(&t->elems[CELL_TITLE].fg, 0x12, 0x34, 0x56);
	assert_int_equal(t->elems[CELL_TITLE].attrs, CELL_BOLD);
	s_rgb(&t->elems[CELL_BUILD_FAILED].fg, 255, 0, 0);
	theme_free(t);

	/* child found in the second directory extends base found in the first */
	t = s_load_ok("child", dirs);
	s_rgb(&t->elems[CELL_SELECTED].bg, 0xff, 0x87, 0x00);
	theme_free(t);

	struct err e = {0};
	assert_int_equal(theme_load("nope", dirs, &t, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_string_equal(e.msg, "theme 'nope' not found (looked for nope.yaml in " FIX
				   "/user, " FIX ")");
	assert_int_equal(theme_load(FIX "/nope.yaml", dirs, &t, &e), -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_int_equal(theme_load("", dirs, &t, &e), -1);
	assert_string_equal(e.msg, "empty theme name");
}

static void test_extends_errors(void **state)
{
	struct theme *t = NULL;
	struct err e = {0};
	assert_int_equal(theme_load("cycle_a", s_fix_dirs, &t, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.msg, FIX "/cycle_b.yaml:3:10: extends: 'cycle_a' makes a cycle "
				       "(cycle_a.yaml -> cycle_b.yaml -> cycle_a.yaml)");
	assert_int_equal(theme_load("self", s_fix_dirs, &t, &e), -1);
	assert_string_equal(e.msg, FIX "/self.yaml:1:10: extends: 'self' makes a cycle "
				       "(self.yaml -> self.yaml)");
	assert_int_equal(theme_load("orphan", s_fix_dirs, &t, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.msg, FIX "/orphan.yaml:1:10: extends: theme 'nonexistent' not "
				       "found (looked for nonexistent.yaml in " FIX ")");
	/* an error in a base names the base's file */
	assert_int_equal(theme_load("bad_child", s_fix_dirs, &t, &e), -1);
	assert_string_equal(e.msg, FIX "/bad_base.yaml:2:15: elements.title.fg: unknown colour "
				       "'accnt' (not in the palette and not a colour name)");
	assert_null(t);
}

static void test_extends_too_deep(void **state)
{
	char dir[] = AFT_TEST_TMP "/theme-deep-XXXXXX";
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i <= THEME_EXTENDS_MAX + 1; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/t%d.yaml", dir, i);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "extends: t%d\n", i + 1);
		fclose(f);
	}
	const char *const dirs[] = {dir, NULL};
	struct theme *t = NULL;
	struct err e = {0};
	assert_int_equal(theme_load("t0", dirs, &t, &e), -1);
	char want[512];
	snprintf(want, sizeof(want), "%s/t%d.yaml:1:10: extends: more than %d levels of themes",
		 dir, THEME_EXTENDS_MAX, THEME_EXTENDS_MAX);
	assert_string_equal(e.msg, want);
	/* a chain of exactly THEME_EXTENDS_MAX bases loads */
	char path[256];
	snprintf(path, sizeof(path), "%s/t%d.yaml", dir, THEME_EXTENDS_MAX);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "elements: {normal: {fg: red}}\n");
	fclose(f);
	t = s_load_ok("t0", dirs);
	s_idx(&t->elems[CELL_NORMAL].fg, 1);
	theme_free(t);
}

static void test_value_errors(void **state)
{
	s_buffer_fails("colours: {}\n", "t.yaml:1:1: unknown key 'colours' in theme (expected one "
					"of: extends, palette, elements, description)");
	s_buffer_fails("elements:\n  titel: {fg: red}\n",
		       "t.yaml:2:3: unknown element 'titel' in elements (see themes/default.yaml "
		       "for the list)");
	s_buffer_fails("elements:\n  title: {fg: red, fgcolor: blue}\n",
		       "t.yaml:2:20: unknown key 'fgcolor' in elements.title (expected one of: fg, "
		       "bg, attrs, mono)");
	s_buffer_fails("elements:\n  title: red\n",
		       "t.yaml:2:10: elements.title: expected a mapping, got a string");
	s_buffer_fails("elements:\n  title: {fg: \"#12345\"}\n",
		       "t.yaml:2:15: elements.title.fg: bad colour '#12345' (expected \"#rrggbb\", "
		       "\"#rgb\", 0-255, default, a basic colour or a palette name)");
	s_buffer_fails("elements:\n  title: {bg: 256}\n",
		       "t.yaml:2:15: elements.title.bg: bad colour '256' (expected \"#rrggbb\", "
		       "\"#rgb\", 0-255, default, a basic colour or a palette name)");
	s_buffer_fails("elements:\n  title:\n    fg: #ff0000\n",
		       "t.yaml:3:8: elements.title.fg: expected a colour, got null (write "
		       "\"#rrggbb\" in quotes: an unquoted # starts a YAML comment)");
	s_buffer_fails("elements:\n  title: {fg: [red]}\n",
		       "t.yaml:2:15: elements.title.fg: expected a string, got a sequence");
	s_buffer_fails("elements:\n  normal: {fg: purpel}\n",
		       "t.yaml:2:16: elements.normal.fg: unknown colour 'purpel' (not in the "
		       "palette and not a colour name)");
	s_buffer_fails("elements:\n  title: {attrs: [bold, blink]}\n",
		       "t.yaml:2:25: elements.title.attrs: unknown attribute 'blink' (expected "
		       "bold, underline, reverse, dim, italic)");
	s_buffer_fails("elements:\n  title: {mono: \"bold,flash\"}\n",
		       "t.yaml:2:17: elements.title.mono: unknown attribute 'flash' (expected "
		       "bold, underline, reverse, dim, italic)");
	s_buffer_fails("palette:\n  accent: \"#zzz\"\n",
		       "t.yaml:2:11: palette.accent: bad colour '#zzz' (expected \"#rrggbb\", "
		       "\"#rgb\", 0-255, default or a basic colour name)");
	s_buffer_fails("palette:\n  accent: other\n",
		       "t.yaml:2:11: palette.accent: bad colour 'other' (expected \"#rrggbb\", "
		       "\"#rgb\", 0-255, default or a basic colour name)");
	s_buffer_fails("palette:\n  1st: red\n",
		       "t.yaml:2:3: palette: '1st' is not a valid colour name (letters, digits, "
		       "'_', '-', '.'; not starting with a digit)");
	s_buffer_fails("palette:\n  default: red\n",
		       "t.yaml:2:3: palette: 'default' is not a valid colour name (letters, "
		       "digits, '_', '-', '.'; not starting with a digit)");
	s_buffer_fails("palette: [red]\n", "t.yaml:1:10: palette: expected a mapping, got a "
					   "sequence");
	s_buffer_fails("elements: 3\n", "t.yaml:1:11: elements: expected a mapping, got an "
					"integer");
	s_buffer_fails("extends: [a]\n", "t.yaml:1:10: extends: expected a string, got a "
					 "sequence");
	s_buffer_fails("- a\n", "t.yaml:1:1: theme: expected a mapping, got a sequence");
	s_buffer_fails("description: {a: b}\n", "t.yaml:1:14: description: expected a string, "
						"got a mapping");
	/* a bad value is an error even when a later theme would override it */
	s_buffer_fails("extends: base\nelements:\n  normal: {fg: nocolour}\n  dim: {fg: red}\n",
		       "t.yaml:3:16: elements.normal.fg: unknown colour 'nocolour' (not in the "
		       "palette and not a colour name)");
	/* YAML syntax errors name the position too */
	struct theme *t = NULL;
	struct err e = {0};
	const char *bad = "elements:\n  title: {fg: red\n";
	assert_int_equal(theme_load_buffer("t.yaml", bad, strlen(bad), NULL, &t, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_memory_equal(e.msg, "t.yaml:", 7);
}

static void test_value_forms(void **state)
{
	struct theme *t =
	    s_buffer_ok("palette:\n"
			"  a: \"#ABC\"\n"
			"  b.c: bright_red\n"
			"  d_e: brightcyan\n"
			"  f-g: \"0\"\n"
			"elements:\n"
			"  normal: {fg: default, bg: gray}\n"
			"  dim: {fg: a, bg: b.c}\n"
			"  title: {fg: d_e, bg: f-g, attrs: bold underline reverse dim italic}\n"
			"  header: {fg: 255, bg: bright-white, attrs: none}\n"
			"  key: {fg: \"#FFfFfF\", attrs: [], mono: \"\"}\n"
			"  prompt: {attrs: \"bold,  underline\"}\n"
			"  border: {attrs: ~}\n");
	assert_int_equal(t->elems[CELL_NORMAL].fg.kind, CELL_COLOR_NONE);
	s_idx(&t->elems[CELL_NORMAL].bg, 8);
	s_rgb(&t->elems[CELL_DIM].fg, 0xaa, 0xbb, 0xcc);
	s_idx(&t->elems[CELL_DIM].bg, 9);
	s_idx(&t->elems[CELL_TITLE].fg, 14);
	s_idx(&t->elems[CELL_TITLE].bg, 0);
	assert_int_equal(t->elems[CELL_TITLE].attrs,
			 CELL_BOLD | CELL_UNDERLINE | CELL_REVERSE | CELL_DIM_ATTR | CELL_ITALIC);
	s_idx(&t->elems[CELL_HEADER].fg, 255);
	s_idx(&t->elems[CELL_HEADER].bg, 15);
	assert_int_equal(t->elems[CELL_HEADER].attrs, 0);
	s_rgb(&t->elems[CELL_KEY].fg, 255, 255, 255);
	assert_true(t->elems[CELL_KEY].has_mono);
	assert_int_equal(t->elems[CELL_KEY].mono_attrs, 0);
	assert_int_equal(t->elems[CELL_PROMPT].attrs, CELL_BOLD | CELL_UNDERLINE);
	assert_int_equal(t->elems[CELL_BORDER].attrs, 0);
	assert_string_equal(t->name, "t.yaml");
	theme_free(t);

	/* an empty document is a theme that sets nothing */
	t = s_buffer_ok("");
	for (int i = 0; i < CELL_ELEM_COUNT; i++) {
		assert_false(t->elems[i].defined);
		assert_int_equal(t->elems[i].fg.kind, CELL_COLOR_NONE);
	}
	theme_free(t);
}

static void test_shipped_themes(void **state)
{
	char **names = theme_list(s_shipped_dirs);
	assert_non_null(names);
	const char *want[] = {"default", "high-contrast", "light", "monochrome"};
	size_t n = 0;
	while (names[n])
		n++;
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(names[i], want[i]);
	for (size_t i = 0; names[i]; i++) {
		struct theme *t = s_load_ok(names[i], s_shipped_dirs);
		for (int k = 0; k < CELL_ELEM_COUNT; k++)
			if (!t->elems[k].defined)
				fail_msg("theme %s does not set %s", names[i], theme_elem_name(k));
		theme_free(t);
	}
	theme_list_free(names);

	/* high-contrast inherits from default and overrides its palette */
	struct theme *hc = s_load_ok("high-contrast", s_shipped_dirs);
	struct theme *def = s_load_ok("default", s_shipped_dirs);
	s_rgb(&hc->elems[CELL_BUILD_FAILED].fg, 255, 0, 0);
	assert_int_equal(hc->elems[CELL_BUILD_FAILED].attrs, def->elems[CELL_BUILD_FAILED].attrs);
	assert_false(memcmp(&hc->elems[CELL_BUILD_FAILED].fg, &def->elems[CELL_BUILD_FAILED].fg,
			    sizeof(struct cell_color)) == 0);
	theme_free(hc);
	theme_free(def);

	/* listing several directories merges and sorts names, without duplicates */
	const char *const dirs[] = {FIX "/user", SHIPPED, FIX, "/nonexistent", NULL};
	names = theme_list(dirs);
	n = 0;
	int bases = 0;
	for (; names[n]; n++) {
		if (n)
			assert_true(strcmp(names[n - 1], names[n]) < 0);
		bases += strcmp(names[n], "base") == 0;
	}
	assert_int_equal(bases, 1);
	assert_int_equal(n, 4 + 9); /* shipped + the fixtures (base only once) */
	theme_list_free(names);
}

/* ---- Capabilities and colour mapping --------------------------------------- */

static void test_caps(void **state)
{
	struct theme_caps c;
	theme_caps_compute(&c, 256, "xterm-256color", NULL, true);
	assert_int_equal(c.depth, THEME_DEPTH_256);
	assert_true(c.default_colors);
	theme_caps_compute(&c, 0x1000000, "xterm-direct", NULL, true);
	assert_int_equal(c.depth, THEME_DEPTH_RGB);
	theme_caps_compute(&c, 88, "xterm-88color", NULL, false);
	assert_int_equal(c.depth, THEME_DEPTH_16);
	assert_false(c.default_colors);
	theme_caps_compute(&c, 16, "xterm-16color", NULL, true);
	assert_int_equal(c.depth, THEME_DEPTH_16);
	theme_caps_compute(&c, 8, "linux", NULL, true);
	assert_int_equal(c.depth, THEME_DEPTH_8);
	theme_caps_compute(&c, 0, "vt100", NULL, true);
	assert_int_equal(c.depth, THEME_DEPTH_MONO);
	theme_caps_compute(&c, 256, "dumb", NULL, true);
	assert_int_equal(c.depth, THEME_DEPTH_MONO);
	theme_caps_compute(&c, 256, NULL, NULL, true);
	assert_int_equal(c.depth, THEME_DEPTH_MONO);
	theme_caps_compute(&c, 256, "xterm-256color", "1", true);
	assert_int_equal(c.depth, THEME_DEPTH_MONO);
	theme_caps_compute(&c, 256, "xterm-256color", "", true); /* set, even empty */
	assert_int_equal(c.depth, THEME_DEPTH_MONO);
}

static void test_palette_maths(void **state)
{
	uint8_t r, g, b;
	theme_index_to_rgb(16, &r, &g, &b);
	assert_true(r == 0 && g == 0 && b == 0);
	theme_index_to_rgb(208, &r, &g, &b);
	assert_true(r == 255 && g == 135 && b == 0);
	theme_index_to_rgb(232, &r, &g, &b);
	assert_true(r == 8 && g == 8 && b == 8);
	theme_index_to_rgb(255, &r, &g, &b);
	assert_true(r == 238 && g == 238 && b == 238);
	theme_index_to_rgb(9, &r, &g, &b);
	assert_true(r == 255 && g == 0 && b == 0);
	/* every colour of the 256 palette (16-255) maps back to itself */
	for (int i = 16; i < 256; i++) {
		theme_index_to_rgb(i, &r, &g, &b);
		int j = theme_rgb_to_256(r, g, b);
		if (j != i)
			fail_msg("%d (%d,%d,%d) mapped to %d", i, r, g, b, j);
	}
	assert_int_equal(theme_rgb_to_256(250, 130, 5), 208);
	assert_int_equal(theme_rgb_to_256(0x30, 0x30, 0x31), 236);
	/* the 16 basic colours map to themselves */
	for (int i = 0; i < 16; i++) {
		theme_index_to_rgb(i, &r, &g, &b);
		assert_int_equal(theme_rgb_to_16(r, g, b), i);
	}
	/* hues are kept: a soft green is green, not white */
	assert_int_equal(theme_rgb_to_16(0x87, 0xd7, 0x5f), 2);
	assert_int_equal(theme_rgb_to_16(0xff, 0x5f, 0x5f), 9);
	assert_int_equal(theme_rgb_to_16(0x00, 0x5f, 0x87), 6);
	assert_int_equal(theme_rgb_to_16(0x30, 0x30, 0x30), 0);
	assert_int_equal(theme_rgb_to_16(0x80, 0x80, 0x88), 8);
	assert_int_equal(theme_rgb_to_16(0xaf, 0x00, 0xaf), 5);
}

static void test_map_down(void **state)
{
	struct theme_caps c;
	struct cell_color orange = {.kind = CELL_COLOR_RGB, .r = 255, .g = 135, .b = 0};
	struct cell_color i196 = {.kind = CELL_COLOR_256, .index = 196};
	struct cell_color i3 = {.kind = CELL_COLOR_256, .index = 3};
	struct cell_color grey = {.kind = CELL_COLOR_256, .index = 8};
	struct cell_color none = {.kind = CELL_COLOR_NONE};
	uint8_t extra = 0;

	theme_caps_compute(&c, 0x1000000, "xterm-direct", NULL, true);
	assert_int_equal(theme_map_color(&orange, &c, true, &extra), 0xff8700);
	assert_int_equal(theme_map_color(&i196, &c, true, &extra), 0xff0000);
	assert_int_equal(theme_map_color(&i3, &c, true, &extra), 3);
	assert_int_equal(extra, 0);

	theme_caps_compute(&c, 256, "xterm-256color", NULL, true);
	assert_int_equal(theme_map_color(&orange, &c, true, &extra), 208);
	assert_int_equal(theme_map_color(&i196, &c, true, &extra), 196);
	assert_int_equal(theme_map_color(&none, &c, true, &extra), -1);

	theme_caps_compute(&c, 16, "xterm-16color", NULL, true);
	assert_int_equal(theme_map_color(&orange, &c, true, &extra), 11);
	assert_int_equal(theme_map_color(&i196, &c, true, &extra), 9);
	assert_int_equal(theme_map_color(&i3, &c, true, &extra), 3);
	assert_int_equal(extra, 0);

	theme_caps_compute(&c, 8, "xterm", NULL, true);
	assert_int_equal(theme_map_color(&orange, &c, true, &extra), 3);
	assert_int_equal(extra, CELL_BOLD); /* bright: bold for a foreground */
	extra = 0;
	assert_int_equal(theme_map_color(&orange, &c, false, &extra), 3);
	assert_int_equal(extra, 0);
	assert_int_equal(theme_map_color(&i196, &c, true, NULL), 1);
	assert_int_equal(theme_map_color(&grey, &c, true, &extra), 7);
	assert_int_equal(theme_map_color(&grey, &c, false, &extra), 0);

	theme_caps_compute(&c, 256, "xterm-256color", "", true);
	assert_int_equal(theme_map_color(&orange, &c, true, &extra), -1);
	assert_int_equal(theme_map_color(&i3, &c, false, &extra), -1);
}

static bool s_same(const struct theme_term_style *a, const struct theme_term_style *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs;
}

/* The pairs that must look different on any terminal. */
static const int s_must_differ[][2] = {
    {CELL_SELECTED, CELL_NORMAL},
    {CELL_SELECTED_UNFOCUSED, CELL_NORMAL},
    {CELL_SEARCH_CURRENT, CELL_SEARCH_MATCH},
    {CELL_SEARCH_MATCH, CELL_LOG_TEXT},
    {CELL_BUILD_FAILED, CELL_BUILD_SUCCEEDED},
    {CELL_BUILD_ERROR, CELL_BUILD_SUCCEEDED},
    {CELL_BUILD_RUNNING, CELL_BUILD_SUCCEEDED},
    {CELL_TITLE_FOCUSED, CELL_TITLE},
    {CELL_STATUS_ERROR, CELL_STATUS_BAR},
    {CELL_STATUS_BAR, CELL_NORMAL},
    {CELL_LOG_ERROR, CELL_LOG_TEXT},
    {CELL_LOG_INERT, CELL_LOG_TEXT},
    {CELL_PROGRESS, CELL_NORMAL},
};

static void s_check_distinct(const struct theme *t, const struct theme_caps *c, const char *what)
{
	struct theme_term_style out[CELL_ELEM_COUNT];
	theme_resolve(t, c, out);
	for (size_t k = 0; k < sizeof(s_must_differ) / sizeof(s_must_differ[0]); k++) {
		int a = s_must_differ[k][0], b = s_must_differ[k][1];
		if (s_same(&out[a], &out[b]))
			fail_msg("%s depth %d: %s looks like %s", what, c->depth,
				 theme_elem_name(a), theme_elem_name(b));
	}
	for (int i = 0; i < CELL_ELEM_COUNT; i++) {
		if (out[i].fg >= 0 && out[i].fg == out[i].bg)
			fail_msg("%s depth %d: %s has fg = bg", what, c->depth, theme_elem_name(i));
		if (c->depth == THEME_DEPTH_MONO)
			assert_true(out[i].fg == -1 && out[i].bg == -1);
		if (c->depth <= THEME_DEPTH_8)
			assert_true(out[i].fg < 8 && out[i].bg < 8);
		else if (c->depth == THEME_DEPTH_16)
			assert_true(out[i].fg < 16 && out[i].bg < 16);
		else if (c->depth == THEME_DEPTH_256)
			assert_true(out[i].fg < 256 && out[i].bg < 256);
		if (!c->default_colors && c->depth != THEME_DEPTH_MONO)
			assert_true(out[i].fg >= 0 && out[i].bg >= 0);
	}
}

static void test_distinguishable_everywhere(void **state)
{
	const char *names[] = {"default", "light", "high-contrast", "monochrome"};
	const int colors[] = {0, 8, 16, 256, 0x1000000};
	for (size_t n = 0; n < 5; n++) {
		struct theme *t =
		    n < 4 ? s_load_ok(names[n], s_shipped_dirs) : theme_new_fallback();
		for (size_t k = 0; k < 5; k++) {
			for (int dflt = 0; dflt < 2; dflt++) {
				struct theme_caps c;
				theme_caps_compute(&c, colors[k], "xterm", NULL, dflt);
				s_check_distinct(t, &c, n < 4 ? names[n] : "fallback");
			}
		}
		struct theme_caps c;
		theme_caps_compute(&c, 256, "xterm-256color", "1", true); /* NO_COLOR */
		s_check_distinct(t, &c, "NO_COLOR");
		theme_free(t);
	}
}

static void test_resolve_rules(void **state)
{
	/* Colours that collapse on 8-colour terminals: current and match both
	 * become yellow, failed and succeeded both red-ish... attributes are
	 * added so they still differ; with colours to spare they are left alone. */
	struct theme *t = s_buffer_ok("elements:\n"
				      "  log.text: {fg: default}\n"
				      "  search.match: {fg: black, bg: \"#ffaf00\"}\n"
				      "  search.current: {fg: black, bg: \"#ffd700\"}\n"
				      "  build.succeeded: {fg: \"#d70000\"}\n"
				      "  build.failed: {fg: \"#af0000\", mono: underline}\n"
				      "  selected: {fg: \"#101010\", bg: \"#000000\"}\n");
	struct theme_caps c;
	struct theme_term_style out[CELL_ELEM_COUNT];
	theme_caps_compute(&c, 256, "xterm-256color", NULL, true);
	theme_resolve(t, &c, out);
	assert_int_equal(out[CELL_SEARCH_MATCH].bg, 214);
	assert_int_equal(out[CELL_SEARCH_CURRENT].bg, 220);
	assert_int_equal(out[CELL_SEARCH_CURRENT].attrs, 0);
	assert_int_equal(out[CELL_BUILD_FAILED].attrs, 0);
	assert_int_equal(out[CELL_SELECTED].fg, 233);
	assert_int_equal(out[CELL_SELECTED].bg, 16);

	theme_caps_compute(&c, 8, "xterm", NULL, true);
	theme_resolve(t, &c, out);
	assert_int_equal(out[CELL_SEARCH_MATCH].bg, 3);
	assert_int_equal(out[CELL_SEARCH_CURRENT].bg, 3);
	assert_int_equal(out[CELL_SEARCH_CURRENT].attrs, CELL_REVERSE | CELL_BOLD | CELL_UNDERLINE);
	assert_int_equal(out[CELL_BUILD_SUCCEEDED].fg, 1);
	assert_int_equal(out[CELL_BUILD_FAILED].fg, 1);
	assert_int_equal(out[CELL_BUILD_FAILED].attrs, CELL_UNDERLINE); /* its own mono */
	/* both black: the foreground is replaced by one that reads */
	assert_int_equal(out[CELL_SELECTED].bg, 0);
	assert_int_equal(out[CELL_SELECTED].fg, 7);

	/* no colours: mono attributes where given, else attrs + the built-in ones */
	theme_caps_compute(&c, 0, "dumb", NULL, true);
	theme_resolve(t, &c, out);
	assert_int_equal(out[CELL_BUILD_FAILED].attrs, CELL_UNDERLINE);
	assert_int_equal(out[CELL_SELECTED].attrs, CELL_REVERSE);
	assert_int_equal(out[CELL_SEARCH_MATCH].attrs, CELL_REVERSE);
	assert_int_equal(out[CELL_NORMAL].attrs, 0);
	theme_free(t);

	/* without default colours, "default" becomes white on black */
	t = theme_new_fallback();
	theme_caps_compute(&c, 256, "xterm-256color", NULL, false);
	theme_resolve(t, &c, out);
	assert_int_equal(out[CELL_NORMAL].fg, 7);
	assert_int_equal(out[CELL_NORMAL].bg, 0);
	theme_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_element_names),
	    cmocka_unit_test(test_base_palette),
	    cmocka_unit_test(test_extends_merges_fields),
	    cmocka_unit_test(test_lookup_order),
	    cmocka_unit_test(test_extends_errors),
	    cmocka_unit_test(test_extends_too_deep),
	    cmocka_unit_test(test_value_errors),
	    cmocka_unit_test(test_value_forms),
	    cmocka_unit_test(test_shipped_themes),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_palette_maths),
	    cmocka_unit_test(test_map_down),
	    cmocka_unit_test(test_distinguishable_everywhere),
	    cmocka_unit_test(test_resolve_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
