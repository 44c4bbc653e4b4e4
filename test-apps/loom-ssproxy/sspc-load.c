/*
 * sspc-load: many SSPC client processes with many streams each, all through one
 * loom-ssproxy (the run-time SSPC of a full build: info.ss_proxy).
 *
 *   sspc-load --proxy ADDR [--clients N] [--streams M] [--type STREAMTYPE]
 *             --expect-len BYTES [--secs S]
 *
 * Forks N client processes; each makes a context of its own served by the proxy
 * at ADDR and opens M streams of STREAMTYPE ("hello": one GET each) at once.
 * A stream counts as complete when it reached QOS_ACK_REMOTE with exactly BYTES
 * of payload. A client exits 0 when all its M streams completed within S seconds
 * (30). Prints one summary line and exits 0 only if every stream of every client
 * completed.
 */
#include <loom.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ld_stream {
	struct loom_ss_handle *ss;	/* offset 0: the handle */
	size_t got;
	int done;			/* 1 complete, -1 failed */
};

static struct loom_context *context;
static unsigned int count_done, count_failed, count_streams;
static size_t expect_len;

static int
ld_rx(void *userobj, const uint8_t *buf, size_t len, int flags)
{
	struct ld_stream *s = userobj;

	(void)buf;
	(void)flags;
	s->got += len;

	return LOOM_SSR_OK;
}

static int
ld_state(void *userobj, void *h_src, int state, unsigned int ack)
{
	struct ld_stream *s = userobj;

	(void)h_src;
	switch (state) {
	case LOOM_SSS_QOS_ACK_REMOTE:
	case LOOM_SSS_QOS_NACK_REMOTE:
	case LOOM_SSS_ALL_RETRIES_FAILED:
		if (s->done)
			break;
		if (state == LOOM_SSS_QOS_ACK_REMOTE && ack == 200 && s->got == expect_len) {
			s->done = 1;
			count_done++;
		} else {
			fprintf(stderr, "sspc-load: stream %s (%u), %zu bytes\n",
				loom_ss_state_name(state), ack, s->got);
			s->done = -1;
			count_failed++;
		}
		if (count_done + count_failed == count_streams)
			loom_stop(context);
		break;
	}

	return LOOM_SSR_OK;
}

static int
run_client(const char *proxy, const char *type, unsigned int streams, int secs)
{
	struct loom_context_info info;
	struct loom_ss_info ssi;
	struct loom_ss_handle **h;
	time_t end = time(NULL) + secs;
	unsigned int n;

	memset(&info, 0, sizeof(info));
	info.ss_proxy = proxy;
	context = loom_create_context(&info);
	if (!context)
		return 2;
	h = calloc(streams, sizeof(*h));
	if (!h) {
		loom_context_destroy(context);
		return 2;
	}
	count_streams = streams;
	memset(&ssi, 0, sizeof(ssi));
	ssi.streamtype = type;
	ssi.user_alloc = sizeof(struct ld_stream);
	ssi.rx = ld_rx;
	ssi.state = ld_state;
	for (n = 0; n < streams; n++)
		if (loom_ss_create(context, 0, &ssi, NULL, &h[n]))
			count_failed++;
	while (!loom_is_stopping(context) && time(NULL) < end &&
	       count_done + count_failed < streams && loom_service(context, 200) >= 0)
		;
	for (n = 0; n < streams; n++)
		loom_ss_destroy(&h[n]);
	loom_context_destroy(context);
	free(h);
	if (count_done != streams)
		fprintf(stderr, "sspc-load: client %d: %u of %u streams complete\n",
			(int)getpid(), count_done, streams);

	return count_done == streams ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *proxy = NULL, *type = "hello";
	unsigned int clients = 100, streams = 10, n, ok = 0;
	int secs = 30, i, st;
	struct timespec t0, t1;
	pid_t *pids;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--proxy") && i + 1 < argc)
			proxy = argv[++i];
		else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
			clients = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--streams") && i + 1 < argc)
			streams = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = argv[++i];
		else if (!strcmp(argv[i], "--expect-len") && i + 1 < argc)
			expect_len = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--secs") && i + 1 < argc)
			secs = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s --proxy ADDR [--clients N] [--streams M] "
				"[--type STREAMTYPE] --expect-len BYTES [--secs S]\n",
				argv[0]);
			return 2;
		}
	}
	if (!proxy || !expect_len || !clients || !streams)
		return 2;
	pids = calloc(clients, sizeof(*pids));
	if (!pids)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (n = 0; n < clients; n++) {
		pids[n] = fork();
		if (pids[n] < 0) {
			perror("fork");
			break;
		}
		if (!pids[n])
			_exit(run_client(proxy, type, streams, secs));
	}
	for (i = 0; i < (int)n; i++)
		if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) &&
		    !WEXITSTATUS(st))
			ok++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%u of %u clients had all %u streams complete (%u streams) in %.2f s\n",
	       ok, clients, streams, ok * streams,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(pids);

	return ok == clients ? 0 : 1;
}
