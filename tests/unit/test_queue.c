/* Unit tests for backend/queue and backend/msg: the ownership-passing queue
 * between the UI and worker threads. Real threads, a real eventfd as the wake
 * signal (as worker.c uses it), a million messages through two producers and
 * one consumer. Labelled "tsan": CI runs it under ThreadSanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "logstore.h"
#include "msg.h"
#include "project.h"
#include "queue.h"
#include "xmem.h"

/* A lost wake-up makes the consumer wait forever: the watchdog turns that into
 * a failure (SIGALRM terminates the test) instead of a ctest timeout. */
#define WATCHDOG_S 100

/* --- helpers --------------------------------------------------------------- */

struct wake_count {
	atomic_int calls;
	struct queue *q;	   /* when set, the callback reads the queue */
	atomic_size_t seen_length; /* queue_length seen from inside the callback */
};

static void s_count_wake(void *ctx)
{
	struct wake_count *w = ctx;
	atomic_fetch_add(&w->calls, 1);
	/* The queue promises to call wake outside its lock: taking the lock again
	 * here would deadlock (and the watchdog would end the test). */
	if (w->q)
		atomic_store(&w->seen_length, queue_length(w->q));
}

static struct msg *s_msg_with_id(uint64_t id)
{
	struct msg *m = msg_new(MSG_BUILD_GET);
	m->id = id;
	return m;
}

/* --- single thread: order, ownership, wake rule --------------------------- */

static void test_fifo_order_and_length(void **state)
{
	(void)state;
	struct queue *q = queue_new(NULL, NULL);
	assert_null(queue_pop(q));
	assert_int_equal(queue_length(q), 0);
	for (uint64_t i = 1; i <= 1000; i++) {
		queue_push(q, s_msg_with_id(i));
		assert_int_equal(queue_length(q), i);
	}
	for (uint64_t i = 1; i <= 1000; i++) {
		struct msg *m = queue_pop(q);
		assert_non_null(m);
		assert_int_equal(m->id, i);
		assert_null(m->next); /* the queue link does not leak out */
		assert_int_equal(queue_length(q), 1000 - i);
		msg_free(m);
	}
	assert_null(queue_pop(q));
	/* The queue is usable again after running empty. */
	queue_push(q, s_msg_with_id(77));
	struct msg *m = queue_pop(q);
	assert_int_equal(m->id, 77);
	msg_free(m);
	assert_null(queue_pop(q));
	queue_free(q);
}

static void test_wake_only_on_push_into_empty(void **state)
{
	(void)state;
	struct wake_count w = {0};
	struct queue *q = queue_new(s_count_wake, &w);
	w.q = q;
	queue_push(q, s_msg_with_id(1));
	assert_int_equal(atomic_load(&w.calls), 1);
	/* The message is already visible when the consumer is woken. */
	assert_int_equal(atomic_load(&w.seen_length), 1);
	queue_push(q, s_msg_with_id(2));
	queue_push(q, s_msg_with_id(3));
	assert_int_equal(atomic_load(&w.calls), 1);
	msg_free(queue_pop(q));
	queue_push(q, s_msg_with_id(4)); /* not empty yet: no wake */
	assert_int_equal(atomic_load(&w.calls), 1);
	struct msg *m;
	while ((m = queue_pop(q)))
		msg_free(m);
	queue_push(q, s_msg_with_id(5)); /* empty again: wake */
	assert_int_equal(atomic_load(&w.calls), 2);
	queue_free(q);
}

/* queue_free frees what is still queued, and msg_free frees everything a
 * message owns (LeakSanitizer checks this in the ASan build). */
static void test_free_with_owned_messages(void **state)
{
	(void)state;
	struct queue *q = queue_new(NULL, NULL);
	for (int i = 0; i < 50; i++) {
		struct msg *m = msg_new(MSG_BUILDS_QUERY);
		m->project = xstrdup("team/proj");
		m->branch = xstrdup("main");
		m->build_ref = xstrdup("0123abcd");
		m->path = xstrdup("dir/file.txt");
		m->dest = xstrdup("/tmp/x");
		m->cursor = xstrdup("17:42");
		m->triggered_by = xstrdup("tester");
		m->next_cursor = xstrdup("16:41");
		m->build = build_new();
		m->build->project_key = xstrdup("team/proj");
		m->build->branch = xstrdup("main");
		m->build->status_message = xstrdup("ok");
		for (int k = 0; k < 20; k++) {
			struct build *b = build_new();
			b->project_key = xstrdup("team/proj");
			build_list_push(&m->builds, b);
		}
		m->projects = xcalloc(1, sizeof(*m->projects));
		blob_list_push(&m->entries, "a/b.txt", 3, 1000, false);
		blob_list_push(&m->entries, "a/c/", 0, 0, true);
		queue_push(q, m);
	}
	/* A message that holds a log reference releases it. */
	char path[512];
	snprintf(path, sizeof(path), "%s/queue-%d.log", AFT_TEST_TMP, (int)getpid());
	struct err e = {0};
	struct logstore *ls = logstore_open(path, LOGSTORE_WRITE | LOGSTORE_TRUNCATE, &e);
	assert_non_null(ls);
	struct msg *m = msg_new(MSG_LOG_GREW);
	m->log = ls;
	queue_push(q, m);
	assert_int_equal(queue_length(q), 51);
	queue_free(q);
	unlink(path);
	char ts[600];
	snprintf(ts, sizeof(ts), "%s.ts", path);
	unlink(ts);
	msg_free(NULL);
	queue_free(NULL);
}

static void test_msg_type_names(void **state)
{
	(void)state;
	for (int t = MSG_PROJECTS; t <= MSG_NOTICE; t++) {
		const char *n = msg_type_name((enum msg_type)t);
		assert_non_null(n);
		assert_string_not_equal(n, "?");
		for (int u = MSG_PROJECTS; u < t; u++)
			assert_string_not_equal(n, msg_type_name((enum msg_type)u));
	}
	assert_string_equal(msg_type_name((enum msg_type)(MSG_NOTICE + 1)), "?");
	assert_string_equal(msg_type_name((enum msg_type) - 1), "?");
	struct msg *m = msg_new(MSG_NOTICE);
	assert_int_equal(m->type, MSG_NOTICE);
	assert_false(m->reply);
	assert_int_equal(m->rc, 0);
	assert_int_equal(m->err.code, ERR_NONE);
	assert_null(m->build);
	msg_free(m);
}

/* --- threads: two producers, one consumer, eventfd wake-ups --------------- */

#define PRODUCERS	  2
#define MSGS_PER_PRODUCER 500000
#define BACKLOG_MAX	  50000 /* producers pause above this, to bound memory */
#define CONSUMER_WAIT_MS  10000 /* a wake-up lost shows as a wait this long */

struct mt {
	struct queue *q;
	int efd;
	atomic_int wakes;
	atomic_int producers_done;
};

struct producer {
	struct mt *mt;
	int index;
};

static void s_eventfd_wake(void *ctx)
{
	struct mt *mt = ctx;
	uint64_t one = 1;
	atomic_fetch_add(&mt->wakes, 1);
	while (write(mt->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *s_producer(void *arg)
{
	struct producer *p = arg;
	for (uint64_t seq = 0; seq < MSGS_PER_PRODUCER; seq++) {
		struct msg *m = msg_new(MSG_PROGRESS);
		/* id carries the producer and its sequence number; done_bytes is
		 * written before the push and must be seen by the consumer. */
		m->id = ((uint64_t)p->index << 32) | seq;
		m->done_bytes = seq * 3 + (uint64_t)p->index;
		queue_push(p->mt->q, m);
		if ((seq & 1023) == 0)
			while (queue_length(p->mt->q) > BACKLOG_MAX)
				sched_yield();
	}
	atomic_fetch_add(&p->mt->producers_done, 1);
	return NULL;
}

static void test_two_producers_one_consumer(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct mt mt = {0};
	mt.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(mt.efd >= 0);
	mt.q = queue_new(s_eventfd_wake, &mt);
	pthread_t th[PRODUCERS];
	struct producer pr[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++) {
		pr[i] = (struct producer){&mt, i};
		assert_int_equal(pthread_create(&th[i], NULL, s_producer, &pr[i]), 0);
	}
	uint64_t next_seq[PRODUCERS] = {0};
	uint64_t received = 0, bad_order = 0, bad_payload = 0, bad_producer = 0;
	uint64_t timeouts = 0, drains = 0;
	const uint64_t total = (uint64_t)PRODUCERS * MSGS_PER_PRODUCER;
	while (received < total) {
		struct pollfd pfd = {.fd = mt.efd, .events = POLLIN};
		int pr_rc = poll(&pfd, 1, CONSUMER_WAIT_MS);
		if (pr_rc == 0) {
			/* Nothing signalled for 10 s while messages are missing. */
			timeouts++;
			break;
		}
		uint64_t v;
		/* Acknowledge first, then drain everything (the documented order). */
		while (read(mt.efd, &v, sizeof(v)) < 0 && errno == EINTR)
			;
		drains++;
		struct msg *m;
		while ((m = queue_pop(mt.q))) {
			unsigned p = (unsigned)(m->id >> 32);
			uint64_t seq = m->id & 0xffffffffu;
			if (p >= PRODUCERS) {
				bad_producer++;
			} else {
				if (seq != next_seq[p])
					bad_order++; /* lost, duplicated or reordered */
				next_seq[p] = seq + 1;
				if (m->done_bytes != seq * 3 + p)
					bad_payload++;
			}
			received++;
			msg_free(m);
		}
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	/* Nothing may be left over or arrive late. */
	assert_null(queue_pop(mt.q));
	assert_int_equal(timeouts, 0);
	assert_int_equal(bad_producer, 0);
	assert_int_equal(bad_order, 0);
	assert_int_equal(bad_payload, 0);
	assert_int_equal(received, total);
	for (int i = 0; i < PRODUCERS; i++)
		assert_int_equal(next_seq[i], MSGS_PER_PRODUCER);
	assert_int_equal(atomic_load(&mt.producers_done), PRODUCERS);
	/* Wakes happen only on pushes into an empty queue: far fewer than
	 * messages, at least one per drain that found work. */
	assert_true(atomic_load(&mt.wakes) >= 1);
	assert_true((uint64_t)atomic_load(&mt.wakes) < total);
	queue_free(mt.q);
	close(mt.efd);
	alarm(0);
}

/* The consumer sleeps in poll with an empty queue between every message: each
 * push then goes into an empty queue and must wake it, every single time. */
struct pingpong {
	struct queue *to_consumer, *to_producer;
	int efd_consumer, efd_producer;
};

static void s_wake_fd(void *ctx)
{
	int fd = *(int *)ctx;
	uint64_t one = 1;
	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static int s_wait_pop(struct queue *q, int efd, struct msg **out)
{
	for (;;) {
		if ((*out = queue_pop(q)))
			return 0;
		struct pollfd pfd = {.fd = efd, .events = POLLIN};
		if (poll(&pfd, 1, CONSUMER_WAIT_MS) == 0)
			return -1;
		uint64_t v;
		while (read(efd, &v, sizeof(v)) < 0 && errno == EINTR)
			;
	}
}

#define PINGPONG_ROUNDS 20000

static void *s_ponger(void *arg)
{
	struct pingpong *pp = arg;
	for (int i = 0; i < PINGPONG_ROUNDS; i++) {
		struct msg *m;
		if (s_wait_pop(pp->to_consumer, pp->efd_consumer, &m) < 0)
			return (void *)1;
		m->reply = true;
		m->rc = (int)m->id + 1;
		queue_push(pp->to_producer, m); /* ownership goes back */
	}
	return NULL;
}

static void test_pingpong_never_loses_a_wakeup(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct pingpong pp = {0};
	pp.efd_consumer = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pp.efd_producer = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pp.to_consumer = queue_new(s_wake_fd, &pp.efd_consumer);
	pp.to_producer = queue_new(s_wake_fd, &pp.efd_producer);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, s_ponger, &pp), 0);
	int lost = 0, wrong = 0;
	for (int i = 0; i < PINGPONG_ROUNDS && !lost; i++) {
		queue_push(pp.to_consumer, s_msg_with_id((uint64_t)i));
		struct msg *m;
		if (s_wait_pop(pp.to_producer, pp.efd_producer, &m) < 0) {
			lost = 1;
			break;
		}
		if (!m->reply || m->rc != i + 1 || m->id != (uint64_t)i)
			wrong++;
		msg_free(m);
	}
	void *ret = NULL;
	if (lost) /* unblock the other side so the test can end */
		queue_push(pp.to_consumer, s_msg_with_id(0));
	pthread_join(th, &ret);
	assert_int_equal(lost, 0);
	assert_null(ret);
	assert_int_equal(wrong, 0);
	queue_free(pp.to_consumer);
	queue_free(pp.to_producer);
	close(pp.efd_consumer);
	close(pp.efd_producer);
	alarm(0);
}

/* Many threads pushing while the consumer pops concurrently without any wake
 * callback: queue_length stays consistent with what was pushed and popped. */
#define LEN_THREADS 4
#define LEN_PER	    20000

static void *s_len_pusher(void *arg)
{
	struct queue *q = arg;
	for (int i = 0; i < LEN_PER; i++)
		queue_push(q, s_msg_with_id((uint64_t)i));
	return NULL;
}

static void test_length_under_concurrency(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	struct queue *q = queue_new(NULL, NULL);
	pthread_t th[LEN_THREADS];
	for (int i = 0; i < LEN_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, s_len_pusher, q), 0);
	size_t popped = 0;
	for (int spins = 0; popped < (size_t)LEN_THREADS * LEN_PER / 2; spins++) {
		struct msg *m = queue_pop(q);
		if (m) {
			popped++;
			msg_free(m);
		} else {
			sched_yield();
		}
	}
	for (int i = 0; i < LEN_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(queue_length(q) + popped, (size_t)LEN_THREADS * LEN_PER);
	queue_free(q); /* frees the other half */
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_order_and_length),
	    cmocka_unit_test(test_wake_only_on_push_into_empty),
	    cmocka_unit_test(test_free_with_owned_messages),
	    cmocka_unit_test(test_msg_type_names),
	    cmocka_unit_test(test_two_producers_one_consumer),
	    cmocka_unit_test(test_pingpong_never_loses_a_wakeup),
	    cmocka_unit_test(test_length_under_concurrency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
