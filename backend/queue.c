#include "queue.h"

#include <pthread.h>
#include <stdlib.h>

#include "msg.h"
#include "xmem.h"

struct queue {
	pthread_mutex_t lock;
	struct msg *head, *tail;
	size_t length;
	queue_wake_fn wake;
	void *wake_ctx;
};

struct queue *queue_new(queue_wake_fn wake, void *ctx)
{
	struct queue *q = xcalloc(1, sizeof(*q));
	pthread_mutex_init(&q->lock, NULL);
	q->wake = wake;
	q->wake_ctx = ctx;
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	struct msg *m;
	while ((m = queue_pop(q)))
		msg_free(m);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void queue_push(struct queue *q, struct msg *m)
{
	m->next = NULL;
	pthread_mutex_lock(&q->lock);
	int was_empty = q->head == NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->length++;
	pthread_mutex_unlock(&q->lock);
	if (was_empty && q->wake)
		q->wake(q->wake_ctx);
}

struct msg *queue_pop(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	struct msg *m = q->head;
	if (m) {
		q->head = m->next;
		if (!q->head)
			q->tail = NULL;
		q->length--;
		m->next = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	return m;
}

size_t queue_length(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	size_t n = q->length;
	pthread_mutex_unlock(&q->lock);
	return n;
}
