/* cli_show: the subcommands that list and show: projects, builds, show and
 * artifacts (with get and push). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"
#include "project.h"
#include "xmem.h"

#define DEFAULT_LIMIT 20
#define PAGE_LIMIT    100

static int s_reply_failed(struct msg *r)
{
	if (!r)
		return CLI_EXIT_INTERRUPT;
	int rc = cli_fail(&r->err);
	msg_free(r);
	return rc;
}

static int s_print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return cli_failf(CLI_EXIT_FAILED, "cannot format JSON");
	puts(text);
	free(text);
	return CLI_EXIT_OK;
}

static void s_when(int64_t unix_s, char *buf, size_t size)
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void s_duration(int64_t s, char *buf, size_t size)
{
	if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s / 60 % 60));
	else if (s >= 60)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

static void s_elapsed(const struct build *b, char *buf, size_t size)
{
	if (b->has_elapsed)
		s_duration(b->elapsed_s, buf, size);
	else if (b->status == BUILD_RUNNING)
		s_duration(time(NULL) - b->build_time, buf, size);
	else
		snprintf(buf, size, "-");
}

int cli_show_projects(struct cli *c, int argc, char **argv)
{
	struct cli_args a;
	if (cli_parse(argc, argv, "j", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n != 0)
		return cli_failf(CLI_EXIT_USAGE, "usage: aftomato projects [--json]");
	bool json = a.json;
	struct msg *r = cli_call(c, msg_new(MSG_PROJECTS));
	if (!r || r->rc < 0)
		return s_reply_failed(r);
	struct project_list *l = r->projects;
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l->count; i++) {
			struct project *p = &l->items[i];
			json_t *o = json_pack("{s:s}", "projectKey", p->key);
			if (p->build_image)
				json_object_set_new(o, "buildImage", json_string(p->build_image));
			if (p->repo_url)
				json_object_set_new(o, "repoUrl", json_string(p->repo_url));
			if (p->repo_description)
				json_object_set_new(o, "repoDescription",
						    json_string(p->repo_description));
			json_object_set_new(o, "timeoutSeconds", json_integer(p->timeout_seconds));
			json_object_set_new(o, "sidecars",
					    json_integer((json_int_t)p->sidecar_count));
			if (p->error)
				json_object_set_new(o, "error", json_string(p->error));
			json_array_append_new(arr, o);
		}
		msg_free(r);
		return s_print_json(arr);
	}
	printf("%-32s %-28s %s\n", "PROJECT", "IMAGE", "DESCRIPTION");
	for (size_t i = 0; i < l->count; i++) {
		struct project *p = &l->items[i];
		printf("%-32s %-28s %s\n", p->key, p->build_image ? p->build_image : "-",
		       p->error		     ? p->error
		       : p->repo_description ? p->repo_description
					     : "");
	}
	for (size_t i = 0; i < l->skipped_count; i++)
		fprintf(stderr, "aftomato: skipped %s: %s\n", l->skipped[i].path,
			l->skipped[i].reason);
	msg_free(r);
	return CLI_EXIT_OK;
}

static void s_build_row(const struct build *b)
{
	char when[32], dur[32], result[16] = "-";
	s_when(b->build_time, when, sizeof(when));
	s_elapsed(b, dur, sizeof(dur));
	if (b->has_result)
		snprintf(result, sizeof(result), "%d", b->build_result);
	printf("%-8.8s  %-9s  %-20.20s  %-19s  %8s  %6s  %s\n", b->id, build_status_name(b->status),
	       b->branch ? b->branch : "", when, dur, result,
	       b->triggered_by ? b->triggered_by : "");
}

int cli_show_builds(struct cli *c, int argc, char **argv)
{
	struct cli_args a;
	if (cli_parse(argc, argv, "jl", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n != 1)
		return cli_failf(CLI_EXIT_USAGE,
				 "usage: aftomato builds PROJECT [--limit N] [--json]");
	bool json = a.json;
	int limit = a.limit ? a.limit : DEFAULT_LIMIT;
	struct build_list all = {0};
	char *cursor = NULL;
	int rc = CLI_EXIT_OK;
	do {
		struct msg *m = msg_new(MSG_BUILDS_QUERY);
		m->project = xstrdup(a.pos[0]);
		m->cursor = cursor;
		int want = limit - (int)all.n;
		m->limit = want < PAGE_LIMIT ? want : PAGE_LIMIT;
		struct msg *r = cli_call(c, m);
		if (!r || r->rc < 0) {
			rc = s_reply_failed(r);
			goto out;
		}
		for (size_t i = 0; i < r->builds.n; i++)
			build_list_push(&all, r->builds.items[i]);
		r->builds.n = 0;
		cursor = r->next_cursor;
		r->next_cursor = NULL;
		msg_free(r);
	} while (cursor && (int)all.n < limit);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < all.n; i++)
			json_array_append_new(arr, build_to_json(all.items[i]));
		rc = s_print_json(arr);
	} else {
		printf("%-8s  %-9s  %-20s  %-19s  %8s  %6s  %s\n", "BUILD", "STATUS", "BRANCH",
		       "STARTED", "DURATION", "RESULT", "TRIGGERED BY");
		for (size_t i = 0; i < all.n; i++)
			s_build_row(all.items[i]);
	}
out:
	free(cursor);
	build_list_cleanup(&all);
	return rc;
}

static struct msg *s_get_build(struct cli *c, const char *ref)
{
	struct msg *m = msg_new(MSG_BUILD_GET);
	m->build_ref = xstrdup(ref);
	return cli_call(c, m);
}

int cli_show_show(struct cli *c, int argc, char **argv)
{
	struct cli_args a;
	if (cli_parse(argc, argv, "j", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n != 1)
		return cli_failf(CLI_EXIT_USAGE, "usage: aftomato show BUILD [--json]");
	bool json = a.json;
	struct msg *r = s_get_build(c, a.pos[0]);
	if (!r || r->rc < 0)
		return s_reply_failed(r);
	json_t *o = build_to_json(r->build);
	msg_free(r);
	if (json)
		return s_print_json(o);
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		if (json_is_string(v))
			printf("%-17s %s\n", key, json_string_value(v));
		else
			printf("%-17s %lld\n", key, (long long)json_integer_value(v));
	}
	json_decref(o);
	return CLI_EXIT_OK;
}

static int s_artifacts_list(struct cli *c, const char *ref, bool json)
{
	struct blob_list all = {0};
	char *cursor = NULL;
	int rc = CLI_EXIT_OK;
	do {
		struct msg *m = msg_new(MSG_ARTIFACTS_LIST);
		m->build_ref = xstrdup(ref);
		m->recursive = true;
		m->cursor = cursor;
		struct msg *r = cli_call(c, m);
		if (!r || r->rc < 0) {
			rc = s_reply_failed(r);
			goto out;
		}
		for (size_t i = 0; i < r->entries.n; i++) {
			struct blob_entry *e = &r->entries.items[i];
			blob_list_push(&all, e->key, e->size, e->mtime_ms, e->is_prefix);
		}
		cursor = r->next_cursor;
		r->next_cursor = NULL;
		msg_free(r);
	} while (cursor);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < all.n; i++)
			json_array_append_new(
			    arr, json_pack("{s:s, s:I, s:I}", "path", all.items[i].key, "size",
					   (json_int_t)all.items[i].size, "modified",
					   (json_int_t)(all.items[i].mtime_ms / 1000)));
		rc = s_print_json(arr);
		goto out;
	}
	for (size_t i = 0; i < all.n; i++) {
		char when[32];
		s_when(all.items[i].mtime_ms / 1000, when, sizeof(when));
		printf("%12llu  %s  %s\n", (unsigned long long)all.items[i].size, when,
		       all.items[i].key);
	}
out:
	free(cursor);
	blob_list_cleanup(&all);
	return rc;
}

static int s_artifacts_get(struct cli *c, const char *ref, const char *path, const char *out)
{
	struct msg *m = msg_new(MSG_ARTIFACT_GET);
	m->build_ref = xstrdup(ref);
	m->path = xstrdup(path);
	m->dest = xstrdup(out ? out : "-");
	fflush(stdout);
	struct msg *r = cli_call(c, m);
	if (!r || r->rc < 0)
		return s_reply_failed(r);
	if (out)
		fprintf(stderr, "%s (%llu bytes)\n", r->dest, (unsigned long long)r->count);
	msg_free(r);
	return CLI_EXIT_OK;
}

static int s_artifacts_push(struct cli *c, const char *ref, const char *dir)
{
	struct msg *m = msg_new(MSG_ARTIFACTS_PUSH);
	m->build_ref = xstrdup(ref);
	m->path = xstrdup(dir);
	struct msg *r = cli_call(c, m);
	if (!r || r->rc < 0)
		return s_reply_failed(r);
	printf("stored %llu files\n", (unsigned long long)r->count);
	msg_free(r);
	return CLI_EXIT_OK;
}

int cli_show_artifacts(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "usage: aftomato artifacts BUILD [--json] | get BUILD PATH "
				    "[-o FILE] | push BUILD DIR";
	struct cli_args a;
	if (cli_parse(argc, argv, "jo", &a) < 0)
		return CLI_EXIT_USAGE;
	if (a.n == 3 && strcmp(a.pos[0], "get") == 0 && !a.json)
		return s_artifacts_get(c, a.pos[1], a.pos[2], a.output);
	if (a.n == 3 && strcmp(a.pos[0], "push") == 0 && !a.json && !a.output)
		return s_artifacts_push(c, a.pos[1], a.pos[2]);
	if (a.n != 1 || a.output)
		return cli_failf(CLI_EXIT_USAGE, "%s", usage);
	return s_artifacts_list(c, a.pos[0], a.json);
}
