#include "ddbjson.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

#define CURSOR_PREFIX "v1:"

json_t *ddbjson_s(const char *s)
{
	return json_pack("{s:s}", "S", s ? s : "");
}

json_t *ddbjson_n(int64_t n)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return json_pack("{s:s}", "N", buf);
}

json_t *ddbjson_from_build(const struct build *b)
{
	json_t *plain = build_to_json(b);
	json_t *item = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(plain, key, v)
	{
		if (json_is_string(v) && json_string_length(v) > 0)
			json_object_set_new(item, key, ddbjson_s(json_string_value(v)));
		else if (json_is_integer(v))
			json_object_set_new(item, key, ddbjson_n(json_integer_value(v)));
	}
	json_decref(plain);
	return item;
}

/* A DynamoDB number: an integer when it is one and fits, else a real. */
static json_t *s_number(const char *n)
{
	char *end;
	errno = 0;
	long long v = strtoll(n, &end, 10);
	if (*n && !*end && errno == 0)
		return json_integer((json_int_t)v);
	double d = strtod(n, &end);
	if (*n && !*end)
		return json_real(d);
	return NULL;
}

json_t *ddbjson_to_plain(const json_t *item)
{
	if (!json_is_object(item))
		return NULL;
	json_t *plain = json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)item, key, v)
	{
		json_t *s = json_object_get(v, "S");
		json_t *n = json_object_get(v, "N");
		json_t *b = json_object_get(v, "BOOL");
		json_t *out = NULL;
		if (json_is_string(s))
			out = json_string(json_string_value(s));
		else if (json_is_string(n))
			out = s_number(json_string_value(n));
		else if (json_is_boolean(b))
			out = json_integer(json_is_true(b));
		else if (json_object_get(v, "NULL"))
			out = json_null();
		if (out)
			json_object_set_new(plain, key, out);
	}
	return plain;
}

int ddbjson_to_build(const json_t *item, struct build **out, struct err *e)
{
	json_t *plain = ddbjson_to_plain(item);
	*out = NULL;
	if (!plain)
		return err_set(e, ERR_PROTO, "DynamoDB item is not an object");
	int rc = build_from_json(plain, out, e);
	json_decref(plain);
	return rc;
}

const char *ddbjson_n_raw(const json_t *item, const char *name)
{
	return json_string_value(json_object_get(json_object_get(item, name), "N"));
}

const char *ddbjson_s_raw(const json_t *item, const char *name)
{
	return json_string_value(json_object_get(json_object_get(item, name), "S"));
}

char *ddbjson_cursor_encode(const char *build_time_n, const char *build_id)
{
	return xasprintf(CURSOR_PREFIX "%s:%s", build_time_n, build_id);
}

int ddbjson_cursor_decode(const char *cursor, char **build_time_n, char **build_id, struct err *e)
{
	*build_time_n = *build_id = NULL;
	size_t pl = strlen(CURSOR_PREFIX);
	const char *t = cursor && strncmp(cursor, CURSOR_PREFIX, pl) == 0 ? cursor + pl : NULL;
	const char *colon = t ? strchr(t, ':') : NULL;
	bool ok = colon && colon > t && colon[1] && strlen(colon + 1) <= BUILD_ID_LEN;
	for (const char *p = t; ok && p < colon; p++)
		ok = isdigit((unsigned char)*p) || *p == '.' || *p == '-' || *p == 'e' ||
		     *p == 'E' || *p == '+';
	for (const char *p = ok ? colon + 1 : ""; ok && *p; p++)
		ok = isxdigit((unsigned char)*p) || *p == '-';
	if (!ok)
		return err_set(e, ERR_USAGE, "bad page cursor '%.60s'", cursor ? cursor : "");
	*build_time_n = xstrndup(t, (size_t)(colon - t));
	*build_id = xstrdup(colon + 1);
	return 0;
}
