#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void s_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = code;
	s_one_line(e->msg);
	return -1;
}

int err_errno(struct err *e, int errnum, const char *fmt, ...)
{
	if (!e)
		return -1;
	char head[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	enum err_code code = ERR_IO;
	if (errnum == ENOSPC || errnum == EDQUOT || errnum == EFBIG)
		code = ERR_NOSPACE;
	else if (errnum == ENOENT)
		code = ERR_NOTFOUND;
	return err_set(e, code, "%.400s: %.100s", head, strerror(errnum));
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char head[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	char old[ERR_MSG_MAX];
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%.240s: %.260s", head, old);
	s_one_line(e->msg);
	return -1;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = ERR_NONE;
	e->msg[0] = '\0';
}

const char *err_code_name(enum err_code code)
{
	switch (code) {
	case ERR_NONE: return "ok";
	case ERR_USAGE: return "usage";
	case ERR_CONFIG: return "configuration";
	case ERR_NOTFOUND: return "not found";
	case ERR_AMBIGUOUS: return "ambiguous";
	case ERR_CONFLICT: return "conflict";
	case ERR_IO: return "i/o";
	case ERR_NOSPACE: return "no space";
	case ERR_NET: return "network";
	case ERR_PROTO: return "protocol";
	case ERR_AUTH: return "authorization";
	case ERR_REMOTE: return "remote";
	case ERR_THROTTLED: return "throttled";
	case ERR_CANCELLED: return "cancelled";
	case ERR_INTERNAL: return "internal";
	}
	return "unknown";
}
