#include "status.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

#include "view.h"

void status_error(struct status *s, const char *msg, int64_t now_ms)
{
	snprintf(s->message, sizeof(s->message), "%s", msg ? msg : "");
	s->is_error = true;
	s->message_ms = now_ms;
}

void status_notice(struct status *s, const char *msg, int64_t now_ms)
{
	snprintf(s->message, sizeof(s->message), "%s", msg ? msg : "");
	s->is_error = false;
	s->message_ms = now_ms;
}

void status_conn_error(struct status *s, const struct err *e)
{
	switch (e->code) {
	case ERR_NET:
	case ERR_THROTTLED:
	case ERR_REMOTE:
		s->conn = STATUS_CONN_DEGRADED;
		break;
	case ERR_AUTH:
		s->conn = STATUS_CONN_DOWN;
		break;
	default:
		return;
	}
	snprintf(s->conn_why, sizeof(s->conn_why), "%s", err_code_name(e->code));
}

void status_conn_ok(struct status *s)
{
	s->conn = STATUS_CONN_OK;
	s->conn_why[0] = '\0';
}

bool status_tick(struct status *s, int64_t now_ms)
{
	if (s->message[0] && !s->is_error && now_ms - s->message_ms >= STATUS_NOTICE_MS) {
		s->message[0] = '\0';
		return true;
	}
	return false;
}

/* Puts msg at column x; when it does not fit, its middle gives way to an
 * ellipsis so both the start and the end (a file name) stay visible. */
static void s_put_elided(struct view_canvas *c, const struct layout_rect *r, int x, uint16_t elem,
			 const char *msg, bool unicode)
{
	int room = r->w - x - 1;
	size_t len = strlen(msg);
	if (room < 8 || utf8_width(msg, len) <= room) {
		view_puts(c, r, 0, x, elem, 0, msg);
		return;
	}
	const char *dots = unicode ? "…" : "...";
	int dw = unicode ? 1 : 3;
	int head_w = (room - dw) / 3;
	int tail_w = room - dw - head_w;
	size_t head = utf8_fit(msg, len, head_w);
	/* the tail: the shortest suffix that fits */
	size_t start = len;
	while (start > head && utf8_width(msg + start - 1, len - start + 1) <= tail_w)
		start--;
	while (start < len && ((unsigned char)msg[start] & 0xc0) == 0x80)
		start++;
	struct cell_style st = {.elem = elem};
	x += view_put(c, r, 0, x, msg, head, st);
	x += view_puts(c, r, 0, x, elem, 0, dots);
	view_put(c, r, 0, x, msg + start, len - start, st);
}

void status_render(const struct status *s, const struct profile *p, bool unicode,
		   struct view_canvas *c, const struct layout_rect *r)
{
	view_fill(c, r, 0, CELL_STATUS_BAR);
	const char *sep = unicode ? " │ " : " | ";
	const char *conn = s->conn == STATUS_CONN_OK	     ? "connected"
			   : s->conn == STATUS_CONN_DEGRADED ? "degraded"
							     : "disconnected";
	char info[640];
	snprintf(info, sizeof(info), " %.60s%s%s/%s%s%.120s%s%s%s%s%.100s%s%s%d running, %d queued",
		 p && p->name ? p->name : "?", sep, p ? profile_executor_name(p->executor) : "?",
		 p ? profile_store_name(p->store) : "?", s->where[0] ? " " : "", s->where,
		 s->insecure ? " TLS NOT VERIFIED" : "", sep, conn, s->conn_why[0] ? " (" : "",
		 s->conn_why, s->conn_why[0] ? ")" : "", sep, s->running, s->queued);
	char right[48];
	snprintf(right, sizeof(right), "%s:help  ::cmd ", s->help_key[0] ? s->help_key : "?");
	int rw = utf8_width(right, strlen(right));
	int iw = utf8_width(info, strlen(info));
	const char *msg = s->hint[0] ? s->hint : s->message;
	int mw = utf8_width(msg, strlen(msg));
	uint16_t melem = s->hint[0]    ? CELL_STATUS_WARN
			 : s->is_error ? CELL_STATUS_ERROR
				       : CELL_STATUS_BAR;
	int x = 0;
	/* the message matters most: the rest goes when it does not fit */
	bool show_info = !msg[0] || iw + 3 + mw + rw <= r->w;
	bool show_right = !msg[0] ? iw + rw <= r->w : (show_info || mw + 1 + rw <= r->w);
	if (show_info) {
		uint16_t celem = s->conn == STATUS_CONN_OK && !s->insecure ? CELL_STATUS_BAR
									    : CELL_STATUS_WARN;
		x += view_puts(c, r, 0, x, celem, 0, info);
	}
	if (msg[0]) {
		x += view_puts(c, r, 0, x, CELL_STATUS_BAR, 0, show_info ? sep : " ");
		struct layout_rect mr = *r;
		if (show_right)
			mr.w = r->w - rw;
		s_put_elided(c, &mr, x, melem, msg, unicode);
	}
	if (show_right)
		view_puts(c, r, 0, r->w - rw, CELL_STATUS_BAR, 0, right);
}
