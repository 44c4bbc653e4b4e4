/*
 * api-test-threads: what other threads may call: loom_defer() (bounded, ordered,
 * run once on the service thread, also at destroy) and loom_cancel_service(), plus
 * loom_stop() ending loom_run() and a worker asking for writes through loom_defer().
 */
#include <loom.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loom-test.h"

#define NTHREADS	4
#define K		1000		/* deferred functions per thread */
#define QLEN		8		/* a small queue, so it fills up */

static pthread_t service_tid;

static void
nap_us(long us)
{
	struct timespec ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

#define atomic_inc(p) __atomic_add_fetch(p, 1, __ATOMIC_RELAXED)
#define atomic_get(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define atomic_set(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)

/* ---- 1: defer + cancel from 4 threads at once ---- */

struct ditem {
	int thread;
	int seq;
	int runs;		/* written on the service thread only */
};

static struct ditem items[NTHREADS][K];
static int next_seq[NTHREADS], ran, out_of_order, wrong_thread;
static int cancelled_seen;
static int ebusy_count, defer_errors, threads_done;

static void
deferred(struct loom_context *ctx, void *arg)
{
	struct ditem *it = arg;

	if (!pthread_equal(pthread_self(), service_tid))
		wrong_thread++;
	if (it->seq != next_seq[it->thread])
		out_of_order++;
	next_seq[it->thread] = it->seq + 1;
	it->runs++;
	ran++;
}

static int
cb_cancel(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	  void *in, size_t len)
{
	if (reason == LOOM_CB_EVENT_WAIT_CANCELLED) {
		if (!pthread_equal(pthread_self(), service_tid))
			wrong_thread++;
		cancelled_seen++;
	}

	return 0;
}

static const struct loom_protocol cancel_protocols[] = {
	{ "cancel-watch", cb_cancel, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

struct producer {
	struct loom_context *ctx;
	int thread;
};

static void *
producer_thread(void *arg)
{
	struct producer *p = arg;
	int i, r;

	for (i = 0; i < K; i++) {
		struct ditem *it = &items[p->thread][i];

		it->thread = p->thread;
		it->seq = i;
		while ((r = loom_defer(p->ctx, deferred, it)) == LOOM_EBUSY) {
			atomic_inc(&ebusy_count);
			nap_us(20);
		}
		if (r)
			atomic_inc(&defer_errors);
		if (!(i % 16))
			loom_cancel_service(p->ctx);
	}
	loom_cancel_service(p->ctx);
	atomic_inc(&threads_done);

	return NULL;
}

static void
test_defer_cancel(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct producer prod[NTHREADS];
	pthread_t tids[NTHREADS];
	struct loom_context *ctx;
	loom_usec_t end;
	int t, i, started = 0, svc_errors = 0, bad_runs = 0;

	memset(&info, 0, sizeof(info));
	info.defer_queue_len = QLEN;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = cancel_protocols;
	LT_CHECK(loom_create_vhost(ctx, &vinfo) != NULL);

	for (t = 0; t < NTHREADS; t++) {
		prod[t].ctx = ctx;
		prod[t].thread = t;
		if (!pthread_create(&tids[t], NULL, producer_thread, &prod[t]))
			started++;
	}
	LT_CHECK_EQ(started, NTHREADS);

	end = loom_now_usecs() + 8000000;
	while ((ran < started * K || atomic_get(&threads_done) < started) &&
	       loom_now_usecs() < end)
		if (loom_service(ctx, 100))
			svc_errors++;
	/* the producers' last cancel may still be on its way */
	while (!cancelled_seen && loom_now_usecs() < end)
		loom_service(ctx, 10);
	for (t = 0; t < started; t++)
		pthread_join(tids[t], NULL);

	LT_CHECK_EQ(ran, NTHREADS * K);
	LT_CHECK_EQ(out_of_order, 0);
	LT_CHECK_EQ(wrong_thread, 0);
	LT_CHECK_EQ(svc_errors, 0);
	LT_CHECK_EQ(atomic_get(&defer_errors), 0);
	for (t = 0; t < NTHREADS; t++) {
		LT_CHECK_EQ(next_seq[t], K);
		for (i = 0; i < K; i++)
			if (items[t][i].runs != 1)
				bad_runs++;
	}
	LT_CHECK_EQ(bad_runs, 0);
	LT_CHECK(cancelled_seen >= 1);
	/* 4 producers against an 8-slot queue: it must have been full at times */
	LT_CHECK(atomic_get(&ebusy_count) >= 1);
	printf("defer: %d ran, %d EBUSY retries, %d WAIT_CANCELLED\n", ran,
	       atomic_get(&ebusy_count), cancelled_seen);

	/* the queue is bounded as documented: QLEN fit, the next is refused */
	for (i = 0; i < QLEN; i++)
		LT_CHECK_EQ(loom_defer(ctx, deferred, &items[0][0]), 0);
	LT_CHECK_EQ(loom_defer(ctx, deferred, &items[0][0]), LOOM_EBUSY);
	LT_CHECK_EQ(loom_defer(NULL, deferred, NULL), LOOM_EINVAL);
	LT_CHECK_EQ(loom_defer(ctx, NULL, NULL), LOOM_EINVAL);
	LT_CHECK_EQ(loom_defer_tsi(ctx, 1, deferred, NULL), LOOM_EINVAL);
	/* the QLEN just queued run at the next service (order check: reset seq) */
	next_seq[0] = 0;
	ran = 0;
	end = loom_now_usecs() + 2000000;
	while (ran < QLEN && loom_now_usecs() < end)
		loom_service(ctx, 50);
	LT_CHECK_EQ(ran, QLEN);
	LT_CHECK_EQ(items[0][0].runs, 1 + QLEN);

	loom_context_destroy(ctx);
}

/* ---- 2: loom_stop() from another thread ends loom_run() ---- */

static struct loom_context *stop_ctx;
static int watchdog_fired;
static struct loom_sul watchdog;

static void
watchdog_cb(struct loom_sul *sul)
{
	watchdog_fired = 1;
	loom_stop(stop_ctx);
}

static void *
stopper_thread(void *arg)
{
	nap_us(50000);
	loom_stop(stop_ctx);

	return NULL;
}

static void
test_stop_from_thread(void)
{
	struct loom_context_info info;
	pthread_t tid;
	loom_usec_t t0;
	int r;

	memset(&info, 0, sizeof(info));
	stop_ctx = loom_create_context(&info);
	LT_CHECK(stop_ctx != NULL);
	if (!stop_ctx)
		return;
	LT_CHECK(!loom_is_stopping(stop_ctx));
	/* if loom_stop() from the thread is lost, this ends it, as a failure */
	loom_sul_schedule(stop_ctx, 0, &watchdog, watchdog_cb, 3000000);
	if (pthread_create(&tid, NULL, stopper_thread, NULL)) {
		LT_CHECK(0);
		loom_context_destroy(stop_ctx);
		return;
	}
	t0 = loom_now_usecs();
	r = loom_run(stop_ctx, 0);
	pthread_join(tid, NULL);
	LT_CHECK_EQ(r, 0);
	LT_CHECK(!watchdog_fired);
	LT_CHECK(loom_is_stopping(stop_ctx));
	LT_CHECK(loom_now_usecs() - t0 >= 40000);
	loom_context_destroy(stop_ctx);
	stop_ctx = NULL;
}

/* ---- 3: a function queued but not run yet still runs at destroy ---- */

static int freed_runs, freed_wrong_thread;

static void
free_arg(struct loom_context *ctx, void *arg)
{
	if (!pthread_equal(pthread_self(), service_tid))
		freed_wrong_thread++;
	freed_runs++;
	free(arg);
}

struct queuer {
	struct loom_context *ctx;
	int result;
};

static void *
queuer_thread(void *arg)
{
	struct queuer *q = arg;
	void *mem = malloc(100);

	q->result = mem ? loom_defer(q->ctx, free_arg, mem) : -100;
	if (q->result)
		free(mem);

	return NULL;
}

static void
test_defer_at_destroy(void)
{
	struct loom_context_info info;
	struct loom_context *ctx;
	struct queuer q;
	pthread_t tid;

	memset(&info, 0, sizeof(info));
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	q.ctx = ctx;
	q.result = -100;
	if (pthread_create(&tid, NULL, queuer_thread, &q)) {
		LT_CHECK(0);
		loom_context_destroy(ctx);
		return;
	}
	pthread_join(tid, NULL);
	LT_CHECK_EQ(q.result, 0);
	LT_CHECK_EQ(freed_runs, 0);	/* nothing serviced yet */
	loom_context_destroy(ctx);	/* runs it: the leak checkers see the free */
	LT_CHECK_EQ(freed_runs, q.result ? 0 : 1);
	LT_CHECK_EQ(freed_wrong_thread, 0);
}

/* ---- 4: a worker asks for writes on a connection through loom_defer() ---- */

#define NMSG		300
#define MSG_MAX		600

static pthread_mutex_t outq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned char data[MSG_MAX];
	size_t len;
} outq[NMSG];
static int outq_head, outq_tail;		/* under outq_lock */

static struct loom_conn *srv_conn;		/* service thread only */
static int srv_closed, cli_connected, cli_closed, cli_errors, write_requests;
static size_t rx_total, expect_total;
static unsigned char tx[LOOM_PRE + MSG_MAX];

static size_t
msg_len(int m)
{
	return 1 + (size_t)(m * 37) % (MSG_MAX - 1);
}

static unsigned char
stream_byte(size_t ofs)
{
	return (unsigned char)(ofs * 31 + (ofs >> 8));
}

/* on the service thread, queued by the worker */
static void
want_write(struct loom_context *ctx, void *arg)
{
	if (!pthread_equal(pthread_self(), service_tid))
		wrong_thread++;
	write_requests++;
	if (srv_conn && !srv_closed)
		loom_callback_on_writable(srv_conn);
}

static int
cb_srv(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
       void *in, size_t len)
{
	size_t n = 0;
	int more;

	switch (reason) {
	case LOOM_CB_RAW_ADOPT:
		srv_conn = conn;
		break;
	case LOOM_CB_RAW_WRITEABLE:
		pthread_mutex_lock(&outq_lock);
		if (outq_head != outq_tail) {
			n = outq[outq_head].len;
			memcpy(tx + LOOM_PRE, outq[outq_head].data, n);
			outq_head++;
		}
		more = outq_head != outq_tail;
		pthread_mutex_unlock(&outq_lock);
		if (n && loom_write(conn, tx + LOOM_PRE, n, LOOM_WRITE_RAW) != (int)n)
			return -1;
		if (more)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		srv_closed = 1;
		srv_conn = NULL;
		break;
	default:
		break;
	}

	return 0;
}

static int
cb_cli(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
       void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i;

	switch (reason) {
	case LOOM_CB_RAW_CONNECTED:
		cli_connected = 1;
		break;
	case LOOM_CB_RAW_RX:
		for (i = 0; i < len; i++)
			if (p[i] != stream_byte(rx_total + i))
				cli_errors++;
		rx_total += len;
		break;
	case LOOM_CB_CLIENT_CONNECTION_ERROR:
		cli_errors++;
		cli_closed = 1;
		break;
	case LOOM_CB_RAW_CLOSE:
		cli_closed = 1;
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol rw_protocols[] = {
	{ "srv", cb_srv, 0, 0, 0, NULL, 0 },
	{ "cli", cb_cli, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void *
worker_thread(void *arg)
{
	struct loom_context *ctx = arg;
	size_t ofs = 0, i;
	int m, r;

	for (m = 0; m < NMSG; m++) {
		size_t n = msg_len(m);

		pthread_mutex_lock(&outq_lock);
		for (i = 0; i < n; i++)
			outq[outq_tail].data[i] = stream_byte(ofs + i);
		outq[outq_tail].len = n;
		outq_tail++;
		pthread_mutex_unlock(&outq_lock);
		ofs += n;
		/* "please write": only the service thread may touch the conn */
		while ((r = loom_defer(ctx, want_write, NULL)) == LOOM_EBUSY)
			nap_us(50);
		if (r)
			atomic_inc(&defer_errors);
		if (!(m % 32))
			nap_us(200);	/* let some requests find an idle conn */
	}

	return NULL;
}

static void
test_worker_write(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_client_connect_info ci;
	struct loom_context *ctx;
	struct loom_vhost *vh;
	struct loom_conn *cli;
	pthread_t tid;
	loom_usec_t end;
	int m, worker = 0;

	for (m = 0; m < NMSG; m++)
		expect_total += msg_len(m);
	memset(&info, 0, sizeof(info));
	info.defer_queue_len = QLEN;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_RAW;
	vinfo.iface = "127.0.0.1";
	vinfo.port = 0;
	vinfo.protocols = rw_protocols;
	vh = loom_create_vhost(ctx, &vinfo);
	LT_CHECK(vh != NULL);
	if (!vh)
		goto out;
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = loom_vhost_port(vh);
	ci.flags = LOOM_CONNECT_RAW;
	ci.protocol = "cli";
	cli = loom_client_connect(&ci);
	LT_CHECK(cli != NULL);
	end = loom_now_usecs() + 3000000;
	while ((!srv_conn || !cli_connected) && !cli_closed && loom_now_usecs() < end)
		loom_service(ctx, 50);
	LT_CHECK(srv_conn && cli_connected);
	if (!srv_conn || !cli_connected)
		goto out;

	worker = !pthread_create(&tid, NULL, worker_thread, ctx);
	LT_CHECK(worker);
	end = loom_now_usecs() + 8000000;
	while (worker && rx_total < expect_total && !cli_closed && loom_now_usecs() < end)
		loom_service(ctx, 50);
	if (worker)
		pthread_join(tid, NULL);
	LT_CHECK_EQ(rx_total, expect_total);
	LT_CHECK_EQ(cli_errors, 0);
	LT_CHECK_EQ(wrong_thread, 0);
	LT_CHECK(write_requests > 0);
	LT_CHECK(!srv_closed && !cli_closed);
	printf("worker: %zu bytes in %d messages, %d write requests\n", rx_total, NMSG,
	       write_requests);
out:
	/* tears both ends down; each gets its close */
	loom_context_destroy(ctx);
	if (srv_conn || cli_connected)
		LT_CHECK(srv_closed && cli_closed);
}

/* ---- 5: two service threads: loom_defer_tsi() runs on the right one, cancel and
 * stop reach both ---- */

static pthread_t pt1_tid;
static int pt1_ready, pt1_run_result = -100, on_pt1, on_pt1_wrong, on_pt0,
	   cancel_pt0, cancel_pt1, cancel_other;

static void
deferred_pt1(struct loom_context *ctx, void *arg)
{
	if (pthread_equal(pthread_self(), pt1_tid))
		atomic_inc(&on_pt1);
	else
		atomic_inc(&on_pt1_wrong);
}

static void
deferred_pt0(struct loom_context *ctx, void *arg)
{
	if (pthread_equal(pthread_self(), service_tid))
		on_pt0++;
}

static int
cb_cancel2(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	   void *in, size_t len)
{
	if (reason != LOOM_CB_EVENT_WAIT_CANCELLED)
		return 0;
	/* each service thread calls this for its own wakeup, at the same time */
	if (pthread_equal(pthread_self(), service_tid))
		atomic_inc(&cancel_pt0);
	else if (pthread_equal(pthread_self(), pt1_tid))
		atomic_inc(&cancel_pt1);
	else
		atomic_inc(&cancel_other);

	return 0;
}

static const struct loom_protocol cancel2_protocols[] = {
	{ "cancel-watch-2", cb_cancel2, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void *
pt1_thread(void *arg)
{
	struct loom_context *ctx = arg;

	atomic_set(&pt1_ready, 1);
	atomic_set(&pt1_run_result, loom_run(ctx, 1));

	return NULL;
}

static void
test_two_service_threads(void)
{
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_context *ctx;
	loom_usec_t end;
	int r;

	memset(&info, 0, sizeof(info));
	info.count_threads = 2;
	ctx = loom_create_context(&info);
	LT_CHECK(ctx != NULL);
	if (!ctx)
		return;
	LT_CHECK_EQ(loom_count_threads(ctx), 2);
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = cancel2_protocols;
	LT_CHECK(loom_create_vhost(ctx, &vinfo) != NULL);

	if (pthread_create(&pt1_tid, NULL, pt1_thread, ctx)) {
		LT_CHECK(0);
		loom_context_destroy(ctx);
		return;
	}
	while (!atomic_get(&pt1_ready))
		nap_us(1000);
	LT_CHECK_EQ(loom_defer_tsi(ctx, 1, deferred_pt1, NULL), 0);
	LT_CHECK_EQ(loom_defer_tsi(ctx, 0, deferred_pt0, NULL), 0);
	loom_cancel_service(ctx);
	end = loom_now_usecs() + 5000000;
	while ((!on_pt0 || !atomic_get(&on_pt1) || !atomic_get(&cancel_pt0) ||
		!atomic_get(&cancel_pt1)) && loom_now_usecs() < end)
		loom_service(ctx, 20);
	/* only service thread 1 is woken: thread 0 sees no cancel */
	r = atomic_get(&cancel_pt0);
	loom_cancel_service_tsi(ctx, 1);
	while (atomic_get(&cancel_pt1) < 2 && loom_now_usecs() < end)
		loom_service(ctx, 20);
	loom_service(ctx, 20);
	LT_CHECK_EQ(atomic_get(&cancel_pt0), r);

	loom_stop(ctx);
	pthread_join(pt1_tid, NULL);
	LT_CHECK_EQ(atomic_get(&pt1_run_result), 0);
	LT_CHECK_EQ(on_pt0, 1);
	LT_CHECK_EQ(atomic_get(&on_pt1), 1);
	LT_CHECK_EQ(atomic_get(&on_pt1_wrong), 0);
	LT_CHECK(atomic_get(&cancel_pt0) >= 1);
	LT_CHECK(atomic_get(&cancel_pt1) >= 2);
	LT_CHECK_EQ(atomic_get(&cancel_other), 0);
	loom_context_destroy(ctx);
}

int
main(void)
{
	service_tid = pthread_self();

	test_defer_cancel();
	test_stop_from_thread();
	test_defer_at_destroy();
	test_worker_write();
	test_two_service_threads();

	return lt_result("api-test-threads");
}
