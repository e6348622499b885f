/* queue: a thread-safe FIFO of messages that hands ownership from one thread to
 * another. The producer pushes; the consumer pops and then owns the message.
 * A wake callback tells the consumer there is something to read: an eventfd
 * write for the UI thread, curl_multi_wakeup for the worker. */
#ifndef AFTOMATO_QUEUE_H
#define AFTOMATO_QUEUE_H

#include <stddef.h>

#include "err.h"

struct msg;

/* wake(ctx) is called, outside the queue's lock, after a push into an empty
 * queue (the consumer drains everything each time it wakes). */
typedef void (*queue_wake_fn)(void *ctx);

/* New empty queue; caller frees with queue_free. */
struct queue *queue_new(queue_wake_fn wake, void *ctx);
/* Frees the queue and every message still in it. */
void queue_free(struct queue *q);

/* Appends m (takes ownership). Thread-safe. */
void queue_push(struct queue *q, struct msg *m);
/* Removes and returns the oldest message (caller owns it), or NULL. */
struct msg *queue_pop(struct queue *q);
/* Number of messages waiting (a snapshot). */
size_t queue_length(struct queue *q);

#endif
