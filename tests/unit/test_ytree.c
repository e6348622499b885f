/* Unit tests for backend/ytree.c: the YAML tree, its positions, aliases, merge
 * keys, typed accessors, error messages and the JSON conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ytree.h"

#define FIXTURES AFTOMATO_SOURCE_DIR "/tests/unit/testdata/config"

static struct ytree_doc *s_load(const char *text)
{
	struct ytree_doc *d = NULL;
	struct err e = {0};
	int rc = ytree_load_buffer("t.yaml", text, strlen(text), &d, &e);
	if (rc != 0)
		fail_msg("load failed: %s", e.msg);
	return d;
}

/* Loading must fail with exactly this message. */
static void s_load_fails(const char *text, const char *msg)
{
	struct ytree_doc *d = (struct ytree_doc *)1;
	struct err e = {0};
	assert_int_equal(ytree_load_buffer("t.yaml", text, strlen(text), &d, &e), -1);
	assert_null(d);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.msg, msg);
}

static char *s_json(const char *text)
{
	struct ytree_doc *d = s_load(text);
	struct err e = {0};
	json_t *j = ytree_to_json(d->root, &e);
	if (!j)
		fail_msg("to_json failed: %s", e.msg);
	char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
	ytree_doc_free(d);
	return s;
}

static void test_positions_and_styles(void **state)
{
	struct ytree_doc *d = s_load("# comment\n"
				     "name: web\n"
				     "count: 123\n"
				     "quoted: \"123\"\n"
				     "nested:\n"
				     "  list:\n"
				     "    - a\n"
				     "    - 'b'\n");
	assert_non_null(d->root);
	assert_int_equal(d->root->kind, YTREE_MAP);
	assert_int_equal(d->root->npairs, 4);
	assert_string_equal(d->root->pairs[0].key->value, "name");
	assert_string_equal(d->root->pairs[3].key->value, "nested");

	struct ytree_node *count = ytree_map_get(d->root, "count");
	assert_int_equal(count->line, 3);
	assert_int_equal(count->column, 8);
	assert_false(count->quoted);
	struct ytree_node *quoted = ytree_map_get(d->root, "quoted");
	assert_true(quoted->quoted);
	assert_string_equal(quoted->value, "123");

	const char *path[] = {"nested", "list", NULL};
	struct ytree_node *list = ytree_path(d->root, path);
	assert_non_null(list);
	assert_int_equal(list->kind, YTREE_SEQ);
	assert_int_equal(list->nitems, 2);
	assert_int_equal(list->items[1]->line, 8);
	assert_int_equal(list->items[1]->column, 7);
	assert_true(list->items[1]->quoted);
	assert_string_equal(list->items[1]->file, "t.yaml");
	assert_null(ytree_map_get(d->root, "missing"));
	assert_null(ytree_map_get(list, "list"));
	ytree_doc_free(d);
}

static void test_aliases_and_merge(void **state)
{
	struct ytree_doc *d = s_load("palette: &pal\n"
				     "  fg: white\n"
				     "  bg: black\n"
				     "title: *pal\n"
				     "status:\n"
				     "  <<: *pal\n"
				     "  bg: blue\n"
				     "multi:\n"
				     "  <<: [{a: 1}, {a: 2, b: 2}]\n");
	struct ytree_node *pal = ytree_map_get(d->root, "palette");
	assert_ptr_equal(ytree_map_get(d->root, "title"), pal);
	struct ytree_node *status = ytree_map_get(d->root, "status");
	assert_int_equal(status->npairs, 2);
	assert_string_equal(ytree_map_get(status, "bg")->value, "blue");
	assert_string_equal(ytree_map_get(status, "fg")->value, "white");
	assert_null(ytree_map_get(status, "<<"));
	struct ytree_node *multi = ytree_map_get(d->root, "multi");
	assert_string_equal(ytree_map_get(multi, "a")->value, "1");
	assert_string_equal(ytree_map_get(multi, "b")->value, "2");
	ytree_doc_free(d);

	/* a quoted "<<" is an ordinary key */
	char *s = s_json("a: {'<<': 1}");
	assert_string_equal(s, "{\"a\":{\"<<\":1}}");
	free(s);
}

static void test_load_errors(void **state)
{
	s_load_fails("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1)");
	s_load_fails("a: *nope\n", "t.yaml:1:4: undefined alias 'nope'");
	s_load_fails("&a [*a]", "t.yaml:1:5: alias 'a' refers to a node that contains it");
	s_load_fails("? [1]\n: 2\n", "t.yaml:1:3: mapping keys must be scalars");
	s_load_fails("a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']' (while parsing a "
				   "flow sequence at line 1 column 4)");
	s_load_fails("a: \"open\n",
		     "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar "
		     "at line 1 column 4)");
	s_load_fails("a: {b: 1} c\n", "t.yaml:1:11: did not find expected key (while parsing a "
				      "block mapping at line 1 column 1)");
	s_load_fails("---\na: 1\n---\nb: 2\n",
		     "t.yaml:3:1: more than one YAML document (only one is allowed)");
	s_load_fails("x: &m 1\ny: {<<: *m}\n", "t.yaml:2:5: the value of a merge key '<<' must be "
					       "a mapping or a sequence of mappings");
	s_load_fails("ok: 1\nbad: \"\xff\"\n", "t.yaml:2:7: invalid leading UTF-8 octet");

	char deep[700];
	memset(deep, '[', 600);
	deep[600] = '\0';
	s_load_fails(deep, "t.yaml:1:257: nesting deeper than 256 levels");
}

static void test_empty_and_files(void **state)
{
	struct ytree_doc *d = s_load("");
	assert_null(d->root);
	ytree_doc_free(d);
	d = s_load("# only a comment\n");
	assert_null(d->root);
	ytree_doc_free(d);

	struct err e = {0};
	assert_int_equal(ytree_load_file(FIXTURES "/does-not-exist.yaml", "shown.yaml", &d, &e),
			 -1);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_string_equal(e.msg, "shown.yaml: No such file or directory");

	assert_int_equal(ytree_load_file(FIXTURES, NULL, &d, &e), -1);
	assert_int_equal(e.code, ERR_IO);

	assert_int_equal(ytree_load_file(FIXTURES "/theme-anchors.yaml", NULL, &d, &e), 0);
	const char *path[] = {"colors", "selected", "fg", NULL};
	struct ytree_node *fg = ytree_path(d->root, path);
	assert_non_null(fg);
	assert_string_equal(fg->value, "yellow");
	assert_string_equal(fg->file, FIXTURES "/theme-anchors.yaml");
	ytree_doc_free(d);

	/* a buffer need not be NUL-terminated */
	const char buf[] = {'a', ':', ' ', '1', 'X'};
	assert_int_equal(ytree_load_buffer("b", buf, 4, &d, &e), 0);
	assert_string_equal(ytree_map_get(d->root, "a")->value, "1");
	ytree_doc_free(d);
}

static void test_scalar_accessors(void **state)
{
	struct ytree_doc *d = s_load("n: 42\nneg: -7\nhex: 0x1f\noct: 0o17\nq: \"42\"\nbig: 1000\n"
				     "t1: yes\nt2: On\nt3: TRUE\nf1: no\nf2: off\nf3: False\n"
				     "qb: 'true'\nnul: ~\ns: hello\nm: {a: 1}\nl: [1]\n"
				     "z: \"a\\0b\"\n");
	struct err e = {0};
	long long v;
	assert_int_equal(ytree_get_int(ytree_map_get(d->root, "n"), "n", 0, 100, &v, &e), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ytree_get_int(ytree_map_get(d->root, "neg"), "neg", -10, 0, &v, &e), 0);
	assert_int_equal(v, -7);
	assert_int_equal(ytree_get_int(ytree_map_get(d->root, "hex"), "hex", 0, 100, &v, &e), 0);
	assert_int_equal(v, 31);
	assert_int_equal(ytree_get_int(ytree_map_get(d->root, "oct"), "oct", 0, 100, &v, &e), 0);
	assert_int_equal(v, 15);
	assert_int_equal(ytree_get_int(ytree_map_get(d->root, "q"), "q", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:5:4: q: expected an integer, got a string");
	assert_int_equal(ytree_get_int(ytree_map_get(d->root, "big"), "big", 0, 100, &v, &e), -1);
	assert_string_equal(e.msg, "t.yaml:6:6: big: 1000 is out of range (0 to 100)");

	const char *names[] = {"t1", "t2", "t3", "f1", "f2", "f3"};
	for (int i = 0; i < 6; i++) {
		bool b = i >= 3;
		assert_int_equal(ytree_get_bool(ytree_map_get(d->root, names[i]), names[i], &b, &e),
				 0);
		assert_int_equal(b, i < 3);
	}
	bool b;
	assert_int_equal(ytree_get_bool(ytree_map_get(d->root, "qb"), "qb", &b, &e), -1);
	assert_string_equal(e.msg, "t.yaml:13:5: qb: expected a boolean (true/false, yes/no, "
				   "on/off), got a string");

	const char *s;
	assert_int_equal(ytree_get_string(ytree_map_get(d->root, "s"), "s", &s, &e), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(ytree_get_string(ytree_map_get(d->root, "n"), "n", &s, &e), 0);
	assert_string_equal(s, "42");
	assert_int_equal(ytree_get_string(ytree_map_get(d->root, "m"), "x.m", &s, &e), -1);
	assert_string_equal(e.msg, "t.yaml:16:4: x.m: expected a string, got a mapping");
	assert_int_equal(ytree_get_string(ytree_map_get(d->root, "nul"), "nul", &s, &e), -1);
	assert_string_equal(e.msg, "t.yaml:14:6: nul: expected a string, got null");
	assert_int_equal(ytree_get_string(ytree_map_get(d->root, "z"), "z", &s, &e), -1);
	assert_string_equal(e.msg, "t.yaml:18:4: z: contains a NUL character");
	assert_int_equal(ytree_get_string(NULL, "gone", &s, &e), -1);
	assert_string_equal(e.msg, "gone: expected a string, got nothing");

	assert_int_equal(ytree_expect_map(ytree_map_get(d->root, "l"), "l", &e), -1);
	assert_string_equal(e.msg, "t.yaml:17:4: l: expected a mapping, got a sequence");
	assert_int_equal(ytree_expect_seq(ytree_map_get(d->root, "l"), "l", &e), 0);
	assert_int_equal(ytree_expect_seq(ytree_map_get(d->root, "n"), "n", &e), -1);
	assert_string_equal(e.msg, "t.yaml:1:4: n: expected a sequence, got an integer");
	assert_true(ytree_is_null(ytree_map_get(d->root, "nul")));
	assert_false(ytree_is_null(ytree_map_get(d->root, "s")));
	ytree_doc_free(d);
}

static void test_check_keys(void **state)
{
	struct ytree_doc *d = s_load("local:\n  executor: local\n  foo: 1\n");
	static const char *const allowed[] = {"executor", "store", "data_dir", NULL};
	struct err e = {0};
	struct ytree_node *local = ytree_map_get(d->root, "local");
	assert_int_equal(ytree_check_keys(local, "profiles.local", allowed, &e), -1);
	assert_int_equal(e.code, ERR_CONFIG);
	assert_string_equal(e.msg, "t.yaml:3:3: unknown key 'foo' in profiles.local (expected one "
				   "of: executor, store, data_dir)");
	static const char *const all[] = {"executor", "foo", NULL};
	assert_int_equal(ytree_check_keys(local, "profiles.local", all, &e), 0);
	assert_int_equal(ytree_check_keys(ytree_map_get(local, "foo"), "p", all, &e), -1);
	assert_string_equal(e.msg, "t.yaml:3:8: p: expected a mapping, got an integer");
	ytree_doc_free(d);
}

static void test_to_json(void **state)
{
	char *s = s_json("a: [~, null, '', true, False, yes, 12, -3, 0x10, 0o7, 1.5, 2e3, -.5]\n"
			 "b: {q: \"12\", t: 'true', n: \"null\", s: text}\n"
			 "c: |\n  line\n"
			 "d: !!str 5\n"
			 "e:\n");
	assert_string_equal(s,
			    "{\"a\":[null,null,\"\",true,false,\"yes\",12,-3,16,7,1.5,2000.0,-0.5],"
			    "\"b\":{\"q\":\"12\",\"t\":\"true\",\"n\":\"null\",\"s\":\"text\"},"
			    "\"c\":\"line\\n\",\"d\":\"5\",\"e\":null}");
	free(s);

	struct err e = {0};
	json_t *j = ytree_to_json(NULL, &e);
	assert_true(json_is_null(j));
	json_decref(j);

	struct ytree_doc *d = s_load("x: 99999999999999999999\n");
	assert_null(ytree_to_json(d->root, &e));
	assert_string_equal(e.msg,
			    "t.yaml:1:4: integer 99999999999999999999 does not fit in 64 bits");
	ytree_doc_free(d);
	d = s_load("x: [1, .inf]\n");
	assert_null(ytree_to_json(d->root, &e));
	assert_string_equal(e.msg, "t.yaml:1:8: .inf cannot be represented in JSON");
	ytree_doc_free(d);
}

/* Aliases are shared, so loading an alias bomb is cheap; expanding it into JSON
 * must stop at the budget instead of exhausting memory. */
static void test_alias_bomb(void **state)
{
	struct ytree_doc *d = s_load("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
				     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
				     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
				     "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
				     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
				     "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
				     "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n");
	assert_true(d->nall_ < 200);
	struct err e = {0};
	assert_null(ytree_to_json(d->root, &e));
	assert_int_equal(e.code, ERR_CONFIG);
	assert_non_null(strstr(e.msg, "too many values after expanding aliases"));
	ytree_doc_free(d);
}

static void test_error_helper(void **state)
{
	struct ytree_doc *d = s_load("a:\n  b: 1\n");
	struct err e = {0};
	assert_int_equal(
	    ytree_error(&e, ytree_map_get(ytree_map_get(d->root, "a"), "b"), "bad %s", "thing"),
	    -1);
	assert_string_equal(e.msg, "t.yaml:2:6: bad thing");
	assert_int_equal(ytree_error(&e, NULL, "plain"), -1);
	assert_string_equal(e.msg, "plain");
	assert_string_equal(ytree_describe(d->root), "a mapping");
	ytree_doc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_positions_and_styles),
	    cmocka_unit_test(test_aliases_and_merge),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_empty_and_files),
	    cmocka_unit_test(test_scalar_accessors),
	    cmocka_unit_test(test_check_keys),
	    cmocka_unit_test(test_to_json),
	    cmocka_unit_test(test_alias_bomb),
	    cmocka_unit_test(test_error_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
