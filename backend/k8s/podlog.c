#include "k8s/podlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "http.h"
#include "k8s/ktime.h"
#include "k8s/rest.h"
#include "k8s/watch.h"
#include "logstore.h"
#include "timeutil.h"
#include "xmem.h"

#define WAITING_MARK "is waiting to start: "

struct podlog {
	struct rest *r;
	struct evloop *loop;
	char *ns, *pod, *container;
	struct logstore *store;
	const struct podlog_ops *ops;
	void *ctx;
	struct rest_call *call;
	struct evloop_timer *timer;
	struct watch_framer fr;
	struct podlog_resume committed; /* lines in the store */
	struct podlog_resume pending;	/* + lines in the batch */
	char *batch;
	size_t batch_len, batch_cap;
	int64_t batch_ms;
	struct err stop_err;
	bool stopped; /* the stream was stopped from inside (store failure) */
	bool ended;
	uint64_t kept_at_start; /* lines kept when the current stream began */
	bool appended;		/* the store grew since the last grew() */
	long backoff_ms;
	long stall_ms;	  /* resumes that brought nothing new in a row */
	int64_t ended_ms; /* when the last stream ended normally */
	char ts[64];	  /* the last timestamp parsed, and its value */
	size_t ts_len;
	int64_t ts_sec;
	int32_t ts_nsec;
	unsigned streams;
};

/* --- bookkeeping ----------------------------------------------------------------- */

void podlog_resume_init(struct podlog_resume *r)
{
	memset(r, 0, sizeof(*r));
	r->last_sec = -1;
}

bool podlog_resume_start(struct podlog_resume *r, char *since, size_t size)
{
	if (r->last_sec < 0) {
		r->skip = 0;
		return false;
	}
	r->skip = r->in_sec;
	ktime_format(r->last_sec, since, size);
	return true;
}

bool podlog_resume_line(struct podlog_resume *r, int64_t sec)
{
	if (r->skip > 0) {
		if (sec == r->last_sec) {
			r->skip--;
			r->skipped++;
			return false;
		}
		r->skip = 0; /* the server had fewer lines of that second: none repeat */
	}
	if (sec == r->last_sec) {
		r->in_sec++;
	} else {
		r->last_sec = sec;
		r->in_sec = 1;
	}
	r->kept++;
	return true;
}

int podlog_split(const char *line, size_t len, int64_t *sec, int32_t *nsec, size_t *text_at)
{
	const char *sp = memchr(line, ' ', len < 64 ? len : 64);
	if (!sp)
		return -1;
	if (ktime_parse(line, (size_t)(sp - line), sec, nsec) < 0)
		return -1;
	*text_at = (size_t)(sp - line) + 1;
	return 0;
}

/* --- storing ------------------------------------------------------------------------ */

static int s_flush(struct podlog *pl)
{
	if (pl->batch_len == 0)
		return 0;
	int rc = logstore_append(pl->store, pl->batch, pl->batch_len, pl->batch_ms, &pl->stop_err);
	pl->batch_len = 0;
	if (rc == 0)
		pl->appended = true;
	return rc;
}

static void s_batch_add(struct podlog *pl, const char *text, size_t len, int64_t ms)
{
	if (pl->batch_len + len + 1 > pl->batch_cap) {
		size_t cap = pl->batch_cap ? pl->batch_cap : 64 * 1024;
		while (cap < pl->batch_len + len + 1)
			cap *= 2;
		pl->batch = xrealloc(pl->batch, cap);
		pl->batch_cap = cap;
	}
	memcpy(pl->batch + pl->batch_len, text, len);
	pl->batch[pl->batch_len + len] = '\n';
	pl->batch_len += len + 1;
	pl->batch_ms = ms;
}

static int s_on_line(void *ctx, const char *line, size_t len)
{
	struct podlog *pl = ctx;
	int64_t sec;
	int32_t ns;
	size_t at;
	int64_t ms = LOGSTORE_NOW;
	struct podlog_resume before = pl->pending;
	/* Lines written together share their timestamp: parse it once. */
	const char *sp = memchr(line, ' ', len < 64 ? len : 64);
	size_t tlen = sp ? (size_t)(sp - line) : 0;
	if (tlen && tlen == pl->ts_len && memcmp(line, pl->ts, tlen) == 0) {
		sec = pl->ts_sec;
		ns = pl->ts_nsec;
		at = tlen + 1;
		ms = sec * 1000 + ns / 1000000;
		if (!podlog_resume_line(&pl->pending, sec))
			return 0;
	} else if (podlog_split(line, len, &sec, &ns, &at) < 0) {
		at = 0; /* no timestamp (not expected): keep the line as it is */
	} else {
		memcpy(pl->ts, line, tlen);
		pl->ts_len = tlen;
		pl->ts_sec = sec;
		pl->ts_nsec = ns;
		ms = sec * 1000 + ns / 1000000;
		if (!podlog_resume_line(&pl->pending, sec))
			return 0;
	}
	if (pl->batch_len > 0 && ms != pl->batch_ms) {
		if (s_flush(pl) < 0) {
			pl->pending = pl->committed;
			return -1;
		}
		pl->committed = before;
	}
	s_batch_add(pl, line + at, len - at, ms);
	return 0;
}

/* Stores the batch of a chunk; false when the store refused it. */
static bool s_commit(struct podlog *pl)
{
	if (s_flush(pl) < 0) {
		pl->pending = pl->committed;
		return false;
	}
	pl->committed = pl->pending;
	return true;
}

static int s_on_data(void *ctx, const char *buf, size_t len)
{
	struct podlog *pl = ctx;
	int rc = watch_framer_feed(&pl->fr, buf, len, s_on_line, pl, &pl->stop_err);
	if (rc < 0 || !s_commit(pl)) {
		pl->batch_len = 0;
		pl->pending = pl->committed;
		pl->stopped = true;
		return -1;
	}
	if (pl->appended) {
		pl->appended = false;
		pl->ops->grew(pl->ctx);
	}
	return 0;
}

/* --- following --------------------------------------------------------------------- */

static void s_request(struct podlog *pl);
static void s_check_end(struct podlog *pl);

static void s_tick(void *arg)
{
	struct podlog *pl = arg;
	pl->timer = NULL;
	s_request(pl);
}

static void s_again(struct podlog *pl, long ms)
{
	pl->timer = evloop_timer(pl->loop, ms, s_tick, pl);
}

static void s_backoff(struct podlog *pl)
{
	long ms = pl->backoff_ms ? pl->backoff_ms : PODLOG_BACKOFF_MIN_MS;
	pl->backoff_ms = ms * 2 > PODLOG_BACKOFF_MAX_MS ? PODLOG_BACKOFF_MAX_MS : ms * 2;
	s_again(pl, ms);
}

static void s_end(struct podlog *pl, enum podlog_end how)
{
	pl->ended = true;
	pl->ops->ended(pl->ctx, how);
}

static void s_check_tick(void *arg)
{
	struct podlog *pl = arg;
	pl->timer = NULL;
	s_check_end(pl);
}

/* The stream ended normally: the container has ended, as the caller will
 * soon know from the pod's status. If it does not within
 * PODLOG_END_WAIT_MS, the stream ended for another reason: follow again. */
static void s_check_end(struct podlog *pl)
{
	if (pl->ops->terminated(pl->ctx))
		s_end(pl, PODLOG_DONE);
	else if (timeutil_mono_ms() - pl->ended_ms < PODLOG_END_WAIT_MS)
		pl->timer = evloop_timer(pl->loop, PODLOG_RECHECK_MS, s_check_tick, pl);
	else
		s_request(pl);
}

/* A 400 while the container waits: the reason after "is waiting to start: ",
 * or NULL when the answer is another 400. */
static const char *s_waiting_reason(const struct rest_reply *rep)
{
	const char *m = strstr(rep->err.msg, WAITING_MARK);
	if (m)
		return m + strlen(WAITING_MARK);
	if (strstr(rep->err.msg, "does not have a host assigned"))
		return "Pending";
	return NULL;
}

static void s_on_end(void *ctx, struct rest_reply *rep)
{
	struct podlog *pl = ctx;
	pl->call = NULL;
	watch_framer_reset(&pl->fr);
	if (pl->stopped) { /* the store failed (disk full): try again later */
		pl->stopped = false;
		pl->ops->waiting(pl->ctx, NULL, &pl->stop_err);
		s_backoff(pl);
		return;
	}
	if (pl->committed.kept > pl->kept_at_start)
		pl->stall_ms = 0;
	if (rep->rc == 0) {
		pl->backoff_ms = 0;
		pl->ended_ms = timeutil_mono_ms();
		s_check_end(pl);
		return;
	}
	if (rep->status == 404) {
		s_end(pl, PODLOG_GONE);
		return;
	}
	const char *reason = rep->status == 400 ? s_waiting_reason(rep) : NULL;
	if (reason) {
		pl->ops->waiting(pl->ctx, reason, &rep->err);
		s_again(pl, PODLOG_WAIT_RETRY_MS);
		return;
	}
	bool cut = rep->status >= 200 && rep->status < 300; /* broken after it began */
	if (cut && pl->committed.kept > pl->kept_at_start) {
		pl->backoff_ms = 0; /* a stream cut after new lines: resume at once */
		s_again(pl, 0);
		return;
	}
	if (cut) {
		/* Cut before any new line: more than a cut's worth of lines share
		 * the second it resumes from (sinceTime cannot start inside a
		 * second). Try again soon; nothing is wrong with the request. */
		long ms = pl->stall_ms ? pl->stall_ms * 2 : PODLOG_BACKOFF_MIN_MS;
		pl->stall_ms = ms > PODLOG_STALL_MAX_MS ? PODLOG_STALL_MAX_MS : ms;
		s_again(pl, pl->stall_ms);
		return;
	}
	pl->ops->waiting(pl->ctx, NULL, &rep->err);
	s_backoff(pl);
}

static void s_request(struct podlog *pl)
{
	char since[32];
	bool resume = podlog_resume_start(&pl->pending, since, sizeof(since));
	pl->committed = pl->pending;
	char *pod = http_escape(pl->pod, false);
	char *ns = http_escape(pl->ns, false);
	char *c = http_escape(pl->container, false);
	char *s = resume ? http_escape(since, false) : NULL;
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s/log?container=%s&follow=true&"
			       "timestamps=true%s%s",
			       ns, pod, c, s ? "&sinceTime=" : "", s ? s : "");
	pl->kept_at_start = pl->committed.kept;
	pl->streams++;
	pl->call = rest_stream(pl->r, path, s_on_data, s_on_end, pl);
	free(path);
	free(pod);
	free(ns);
	free(c);
	free(s);
}

struct podlog *podlog_new(struct rest *r, const char *ns, const char *pod, const char *container,
			  struct logstore *store, const struct podlog_ops *ops, void *ctx)
{
	struct podlog *pl = xcalloc(1, sizeof(*pl));
	pl->r = r;
	pl->loop = rest_loop(r);
	pl->ns = xstrdup(ns);
	pl->pod = xstrdup(pod);
	pl->container = xstrdup(container);
	pl->store = logstore_ref(store);
	pl->ops = ops;
	pl->ctx = ctx;
	podlog_resume_init(&pl->committed);
	podlog_resume_init(&pl->pending);
	s_request(pl);
	return pl;
}

void podlog_free(struct podlog *pl)
{
	if (!pl)
		return;
	rest_cancel(pl->r, pl->call);
	if (pl->timer)
		evloop_timer_cancel(pl->loop, pl->timer);
	watch_framer_cleanup(&pl->fr);
	logstore_unref(pl->store);
	free(pl->batch);
	free(pl->ns);
	free(pl->pod);
	free(pl->container);
	free(pl);
}

struct logstore *podlog_store(struct podlog *pl)
{
	return pl->store;
}

bool podlog_ended(const struct podlog *pl)
{
	return pl->ended;
}

unsigned podlog_streams(const struct podlog *pl)
{
	return pl->streams;
}

const struct podlog_resume *podlog_resume_state(const struct podlog *pl)
{
	return &pl->committed;
}
