#include "k8s/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "evloop.h"
#include "http.h"
#include "k8s/rest.h"
#include "xmem.h"

/* Each watch asks the server to end it after a while (as client-go does,
 * 5 to 10 minutes), so a connection that went silently dead is noticed. */
#define WATCH_TIMEOUT_MIN_S  300
#define WATCH_TIMEOUT_SPAN_S 300

struct watch {
	struct rest *r;
	struct evloop *loop;
	char *path;
	char *selector; /* escaped, or NULL */
	const struct watch_ops *ops;
	void *ctx;
	struct rest_call *call;
	struct evloop_timer *timer;
	json_t *items; /* pages collected while listing */
	char *rv;      /* resourceVersion reached */
	bool listed;
	bool relist; /* the next start lists instead of watching */
	long backoff_ms;
	long cut_ms; /* delay after a broken stream; 0 after one that delivered */
	struct watch_framer fr;
	struct err stop_err; /* why the stream was stopped from inside */
	bool stopped;
	unsigned n_lists, n_watches;
	unsigned seed;
};

/* --- framing ------------------------------------------------------------------ */

int watch_framer_feed(struct watch_framer *f, const char *buf, size_t len, watch_line_fn fn,
		      void *ctx, struct err *e)
{
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;
		if (f->len + take > WATCH_LINE_MAX)
			return err_set(e, ERR_PROTO, "a watch event is longer than %u bytes",
				       WATCH_LINE_MAX);
		const char *line = buf;
		size_t line_len = take;
		if (f->len > 0 || !nl) {
			if (f->len + take + 1 > f->cap) {
				size_t cap = f->cap ? f->cap : 4096;
				while (cap < f->len + take + 1)
					cap *= 2;
				f->buf = xrealloc(f->buf, cap);
				f->cap = cap;
			}
			memcpy(f->buf + f->len, buf, take);
			f->len += take;
			line = f->buf;
			line_len = f->len;
		}
		if (!nl)
			return 0;
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		buf += take + 1;
		len -= take + 1;
		f->len = 0;
		if (fn(ctx, line, line_len) < 0)
			return -1;
	}
	return 0;
}

size_t watch_framer_pending(const struct watch_framer *f)
{
	return f->len;
}

void watch_framer_reset(struct watch_framer *f)
{
	f->len = 0;
}

void watch_framer_cleanup(struct watch_framer *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* --- the reflector ---------------------------------------------------------------- */

static void s_start(struct watch *w);

static void s_tick(void *arg)
{
	struct watch *w = arg;
	w->timer = NULL;
	s_start(w);
}

static void s_later(struct watch *w, long ms)
{
	if (w->timer)
		evloop_timer_cancel(w->loop, w->timer);
	w->timer = evloop_timer(w->loop, ms, s_tick, w);
}

static void s_failed(struct watch *w, const struct err *e)
{
	if (w->ops->failed)
		w->ops->failed(w->ctx, e);
	long ms = w->backoff_ms ? w->backoff_ms : WATCH_BACKOFF_MIN_MS;
	w->backoff_ms = ms * 2 > WATCH_BACKOFF_MAX_MS ? WATCH_BACKOFF_MAX_MS : ms * 2;
	s_later(w, ms);
}

static void s_set_rv(struct watch *w, const char *rv)
{
	if (rv && *rv) {
		free(w->rv);
		w->rv = xstrdup(rv);
	}
}

static char *s_list_path(struct watch *w, const char *cont)
{
	char *esc = cont ? http_escape(cont, false) : NULL;
	char *p = xasprintf("%s?limit=%d%s%s%s%s", w->path, WATCH_PAGE_LIMIT,
			    w->selector ? "&labelSelector=" : "", w->selector ? w->selector : "",
			    esc ? "&continue=" : "", esc ? esc : "");
	free(esc);
	return p;
}

static void s_list_page(struct watch *w, const char *cont);

static void s_on_list(void *ctx, struct rest_reply *rep)
{
	struct watch *w = ctx;
	w->call = NULL;
	if (rep->rc < 0) {
		json_decref(w->items);
		w->items = NULL;
		s_failed(w, &rep->err);
		return;
	}
	json_t *meta = json_object_get(rep->body, "metadata");
	json_array_extend(w->items, json_object_get(rep->body, "items"));
	const char *cont = json_string_value(json_object_get(meta, "continue"));
	if (cont && *cont) {
		s_list_page(w, cont);
		return;
	}
	s_set_rv(w, json_string_value(json_object_get(meta, "resourceVersion")));
	json_t *items = w->items;
	w->items = NULL;
	w->listed = true;
	w->relist = false;
	w->backoff_ms = 0;
	w->ops->listed(w->ctx, items);
	json_decref(items);
	s_later(w, 0);
}

static void s_list_page(struct watch *w, const char *cont)
{
	char *p = s_list_path(w, cont);
	w->call = rest_request(w->r, "GET", p, NULL, s_on_list, w);
	free(p);
}

static int s_on_line(void *ctx, const char *line, size_t len)
{
	struct watch *w = ctx;
	if (len == 0)
		return 0;
	json_error_t je;
	json_t *ev = json_loadb(line, len, 0, &je);
	if (!ev) {
		err_set(&w->stop_err, ERR_PROTO, "bad watch event from %.200s: %.100s", w->path,
			je.text);
		return -1;
	}
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *obj = json_object_get(ev, "object");
	int rc = 0;
	if (!type || !json_is_object(obj)) {
		err_set(&w->stop_err, ERR_PROTO, "bad watch event from %.200s", w->path);
		rc = -1;
	} else if (strcmp(type, "ERROR") == 0) {
		long code = (long)json_integer_value(json_object_get(obj, "code"));
		if (code == 410) {
			w->relist = true;
			err_set(&w->stop_err, ERR_CONFLICT, "%.300s",
				json_string_value(json_object_get(obj, "message")) ?: "expired");
		} else {
			rest_error(code, obj, NULL, 0, &w->stop_err);
		}
		rc = -1;
	} else {
		json_t *meta = json_object_get(obj, "metadata");
		s_set_rv(w, json_string_value(json_object_get(meta, "resourceVersion")));
		w->backoff_ms = 0;
		w->cut_ms = 0;
		if (strcmp(type, "ADDED") == 0)
			w->ops->event(w->ctx, WATCH_ADDED, obj);
		else if (strcmp(type, "MODIFIED") == 0)
			w->ops->event(w->ctx, WATCH_MODIFIED, obj);
		else if (strcmp(type, "DELETED") == 0)
			w->ops->event(w->ctx, WATCH_DELETED, obj);
		/* BOOKMARK: only the resourceVersion moves */
	}
	json_decref(ev);
	return rc;
}

static int s_on_data(void *ctx, const char *buf, size_t len)
{
	struct watch *w = ctx;
	if (w->stopped)
		return -1;
	if (watch_framer_feed(&w->fr, buf, len, s_on_line, w, &w->stop_err) < 0) {
		w->stopped = true;
		return -1;
	}
	return 0;
}

static void s_on_watch_end(void *ctx, struct rest_reply *rep)
{
	struct watch *w = ctx;
	w->call = NULL;
	watch_framer_reset(&w->fr);
	if (w->stopped) {
		w->stopped = false;
		if (w->relist) {
			s_later(w, 0); /* 410: list again at once */
			return;
		}
		s_failed(w, &w->stop_err);
		return;
	}
	if (rep->rc < 0 && rep->status >= 200 && rep->status < 300) {
		/* Broken after it began (a proxy, a restart): watch again from the
		 * last version at once; a second break in a row backs off. */
		long ms = w->cut_ms;
		w->cut_ms = ms ? (ms * 2 > WATCH_BACKOFF_MAX_MS ? WATCH_BACKOFF_MAX_MS : ms * 2)
			       : WATCH_BACKOFF_MIN_MS;
		s_later(w, ms);
		return;
	}
	if (rep->rc < 0) {
		if (rep->status == 410)
			w->relist = true;
		s_failed(w, &rep->err);
		return;
	}
	s_later(w, 0); /* a normal end: watch again from where it was */
}

static void s_watch(struct watch *w)
{
	long timeout = WATCH_TIMEOUT_MIN_S + (long)(rand_r(&w->seed) % WATCH_TIMEOUT_SPAN_S);
	char *esc = http_escape(w->rv ? w->rv : "", false);
	char *p = xasprintf("%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&"
			    "timeoutSeconds=%ld%s%s",
			    w->path, esc, timeout, w->selector ? "&labelSelector=" : "",
			    w->selector ? w->selector : "");
	free(esc);
	w->n_watches++;
	w->call = rest_stream(w->r, p, s_on_data, s_on_watch_end, w);
	free(p);
}

static void s_start(struct watch *w)
{
	if (!w->listed || w->relist || !w->rv) {
		json_decref(w->items);
		w->items = json_array();
		w->n_lists++;
		s_list_page(w, NULL);
	} else {
		s_watch(w);
	}
}

struct watch *watch_new(struct rest *r, const char *path, const char *label_selector,
			const struct watch_ops *ops, void *ctx)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	w->r = r;
	w->path = xstrdup(path);
	w->selector = label_selector ? http_escape(label_selector, false) : NULL;
	w->ops = ops;
	w->ctx = ctx;
	w->seed = (unsigned)(uintptr_t)w ^ (unsigned)time(NULL);
	w->loop = rest_loop(r);
	s_start(w);
	return w;
}

void watch_free(struct watch *w)
{
	if (!w)
		return;
	rest_cancel(w->r, w->call);
	if (w->timer)
		evloop_timer_cancel(w->loop, w->timer);
	json_decref(w->items);
	free(w->rv);
	free(w->path);
	free(w->selector);
	watch_framer_cleanup(&w->fr);
	free(w);
}

bool watch_listed(const struct watch *w)
{
	return w->listed;
}

const char *watch_resource_version(const struct watch *w)
{
	return w->rv ? w->rv : "";
}

unsigned watch_lists(const struct watch *w)
{
	return w->n_lists;
}

unsigned watch_watches(const struct watch *w)
{
	return w->n_watches;
}
