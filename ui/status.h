/* status: the status bar: profile, executor and store, connection state,
 * counts of running and queued builds, and the last error (or a notice) in one
 * line. Pure: it renders into a canvas. */
#ifndef AFTOMATO_STATUS_H
#define AFTOMATO_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "layout.h"
#include "profile.h"

struct view_canvas;

#define STATUS_NOTICE_MS 8000 /* a notice shows this long; errors stay until replaced */

enum status_conn { STATUS_CONN_OK, STATUS_CONN_DEGRADED, STATUS_CONN_DOWN };

struct status {
	enum status_conn conn;
	char conn_why[128];
	int running, queued;
	char message[ERR_MSG_MAX];
	bool is_error;
	int64_t message_ms; /* when it was set (wall ms) */
	char hint[160];	    /* replaces the message while set: confirmations, prompts */
	char help_key[16];  /* the focused view's help key ("?", "F1"); "" for "?" */
	char where[160];    /* where builds run: "local:host", "context (server, ns)" */
	bool insecure;      /* TLS to the cluster is not verified: always shown */
};

/* A new error (one line; shown until another message replaces it). */
void status_error(struct status *s, const char *msg, int64_t now_ms);
/* A notice (shown for STATUS_NOTICE_MS). */
void status_notice(struct status *s, const char *msg, int64_t now_ms);
/* The connection to the store/cluster: an error of these codes degrades it,
 * a successful reply restores it. */
void status_conn_error(struct status *s, const struct err *e);
void status_conn_ok(struct status *s);
/* Whether the message expired (the bar should be redrawn). */
bool status_tick(struct status *s, int64_t now_ms);

/* Renders the bar on the row of r. */
void status_render(const struct status *s, const struct profile *p, bool unicode,
		   struct view_canvas *c, const struct layout_rect *r);

#endif
