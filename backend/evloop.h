/* evloop: the worker thread's event loop. It owns one libcurl multi handle and
 * waits in curl_multi_poll for transfers, extra file descriptors (pipes,
 * inotify, pidfds) and timers; other threads wake it with curl_multi_wakeup.
 * Not thread-safe except evloop_wakeup. */
#ifndef AFTOMATO_EVLOOP_H
#define AFTOMATO_EVLOOP_H

#include <curl/curl.h>
#include <stdint.h>

#include "err.h"

struct evloop;
struct evloop_fd;
struct evloop_timer;

typedef void (*evloop_fd_fn)(void *ctx, int fd, short revents);
typedef void (*evloop_timer_fn)(void *ctx);
typedef void (*evloop_easy_fn)(void *ctx, CURL *easy, CURLcode result);

/* New loop with its own CURLM; NULL with e filled on failure. */
struct evloop *evloop_new(struct err *e);
/* Frees the loop: removes and cleans up any transfer still running (without
 * calling its callback), frees watchers and timers. */
void evloop_free(struct evloop *l);

CURLM *evloop_multi(struct evloop *l);

/* Watches fd for events (POLLIN/POLLOUT); cb runs from evloop_run_once. The
 * handle stays valid until evloop_unwatch (allowed from inside callbacks). */
struct evloop_fd *evloop_watch(struct evloop *l, int fd, short events, evloop_fd_fn cb,
			       void *ctx);
void evloop_unwatch(struct evloop *l, struct evloop_fd *w);

/* One-shot timer after delay_ms (0: next iteration). The handle is valid until
 * the callback has run or evloop_timer_cancel is called, whichever is first. */
struct evloop_timer *evloop_timer(struct evloop *l, int64_t delay_ms, evloop_timer_fn cb,
				  void *ctx);
void evloop_timer_cancel(struct evloop *l, struct evloop_timer *t);

/* Adds a configured easy handle; done(ctx, easy, result) runs once when the
 * transfer ends, after the handle was removed from the multi handle (the
 * callback owns the easy handle then). */
int evloop_add_easy(struct evloop *l, CURL *easy, evloop_easy_fn done, void *ctx,
		    struct err *e);
/* Removes a running transfer without calling its callback; caller still owns
 * the easy handle. */
void evloop_remove_easy(struct evloop *l, CURL *easy);

/* Runs one iteration: waits at most max_wait_ms (or until woken), then runs
 * the transfers, fd callbacks and due timers. */
void evloop_run_once(struct evloop *l, int max_wait_ms);

/* Wakes a loop blocked in evloop_run_once. Thread-safe. */
void evloop_wakeup(struct evloop *l);

/* Number of transfers in progress. */
int evloop_transfers(struct evloop *l);

#endif
