#include "status.h"

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

void status_render(const struct status *s, const struct profile *p, bool unicode,
		   struct view_canvas *c, const struct layout_rect *r)
{
	view_fill(c, r, 0, CELL_STATUS_BAR);
	const char *sep = unicode ? " │ " : " | ";
	int x = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), " %s%s%s/%s", p && p->name ? p->name : "?", sep,
		 p ? profile_executor_name(p->executor) : "?",
		 p ? profile_store_name(p->store) : "?");
	x += view_puts(c, r, 0, x, CELL_STATUS_BAR, CELL_BOLD, buf);
	x += view_puts(c, r, 0, x, CELL_STATUS_BAR, 0, sep);
	const char *conn = s->conn == STATUS_CONN_OK	     ? "connected"
			   : s->conn == STATUS_CONN_DEGRADED ? "degraded"
							     : "disconnected";
	snprintf(buf, sizeof(buf), "%s%s%s%s", conn, s->conn_why[0] ? " (" : "", s->conn_why,
		 s->conn_why[0] ? ")" : "");
	x += view_puts(c, r, 0, x, s->conn == STATUS_CONN_OK ? CELL_STATUS_BAR : CELL_STATUS_WARN,
		       0, buf);
	x += view_puts(c, r, 0, x, CELL_STATUS_BAR, 0, sep);
	snprintf(buf, sizeof(buf), "%d running, %d queued", s->running, s->queued);
	x += view_puts(c, r, 0, x, CELL_STATUS_BAR, 0, buf);
	const char *right = "?:help  ::cmd ";
	int rw = view_text_width(right, strlen(right));
	int msg_room = r->w - x - rw - 3;
	const char *msg = s->hint[0] ? s->hint : s->message;
	if (msg[0] && msg_room > 4) {
		x += view_puts(c, r, 0, x, CELL_STATUS_BAR, 0, sep);
		uint16_t elem = s->hint[0]    ? CELL_STATUS_WARN
				: s->is_error ? CELL_STATUS_ERROR
					      : CELL_STATUS_BAR;
		struct layout_rect mr = {r->y, r->x, 1, x + msg_room};
		x += view_puts(c, &mr, 0, x, elem, 0, msg);
	}
	if (r->w - rw > x)
		view_puts(c, r, 0, r->w - rw, CELL_STATUS_BAR, 0, right);
}
