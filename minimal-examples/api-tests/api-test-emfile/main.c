/*
 * api-test-emfile: a raw echo server in a child with a low RLIMIT_NOFILE gets more
 * connections than it has fds: it must not spin on the listener (low CPU), keep
 * serving the conns it holds, and accept the waiting ones once fds are free again.
 */
#include <loom.h>
#include "loom-test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define CHILD_NOFILE	32	/* the child's fd limit: room for ~25 conns */
#define CLIENTS		48	/* more than the child can hold */
#define MSG_LEN		8

struct pss {
	struct loom_buflist *pending;
};

static struct loom_context *child_ctx;
static unsigned char txbuf[LOOM_PRE + 4096];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the child: a Loom raw echo server ---- */

static int
cb_echo(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	void *in, size_t len)
{
	struct pss *pss = user;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_RX:
		if (loom_buflist_append_segment(&pss->pending, in, len) < 0)
			return -1;
		loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_WRITEABLE:
		n = loom_buflist_linear_use(&pss->pending, txbuf + LOOM_PRE,
					    sizeof(txbuf) - LOOM_PRE);
		if (n && loom_write(conn, txbuf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (pss->pending)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE:
		loom_buflist_destroy_all_segments(&pss->pending);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "echo", cb_echo, sizeof(struct pss), 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

static void
on_sigterm(int sig)
{
	(void)sig;
	loom_stop(child_ctx);
}

static void
child_main(int report_fd)
{
	struct loom_context_info ci;
	struct loom_vhost_info vi;
	struct loom_vhost *vh;
	struct rlimit rl;
	int port = -1, r;

	signal(SIGTERM, on_sigterm);
	rl.rlim_cur = rl.rlim_max = CHILD_NOFILE;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		_exit(3);
	loom_set_log_level(getenv("LT_DEBUG") ? 0x1f : LOOM_LL_ERR, NULL);
	memset(&ci, 0, sizeof(ci));
	ci.options = LOOM_CTX_OPT_NO_HOSTS_FILE;
	ci.max_conns = 1000;		/* let the fd limit bite, not max_conns */
	ci.accept_retry_ms = 20;
	child_ctx = loom_create_context(&ci);
	if (child_ctx) {
		memset(&vi, 0, sizeof(vi));
		vi.options = LOOM_VHOST_OPT_RAW;
		vi.iface = "127.0.0.1";
		vi.protocols = protocols;
		vh = loom_create_vhost(child_ctx, &vi);
		if (vh)
			port = loom_vhost_port(vh);
	}
	if (write(report_fd, &port, sizeof(port)) != sizeof(port) || port <= 0)
		_exit(4);
	close(report_fd);
	r = loom_run(child_ctx, 0);
	loom_context_destroy(child_ctx);
	_exit(r ? 5 : 0);
}

/* ---- the parent: plain sockets ---- */

static int
tcp_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	return fd;
}

/* utime + stime of \p pid in clock ticks, or -1 */
static long long
proc_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the command name may hold spaces: count fields after its ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (i = 0; i < 12 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu %llu", &ut, &st) != 2)
		return -1;

	return (long long)(ut + st);
}

struct client {
	int fd;
	size_t got;
	char msg[MSG_LEN];
	int echoed;
};

/* read what comes back on the open clients for \p ms; returns how many ever echoed */
static int
collect(struct client *c, int count, int ms)
{
	long long end = now_ms() + ms;
	int i, echoed;
	ssize_t n;
	char buf[64];

	do {
		usleep(10000);
		for (i = 0, echoed = 0; i < count; i++) {
			/* a client closed after its echo still counts as echoed */
			echoed += c[i].echoed;
			if (c[i].fd < 0 || c[i].echoed)
				continue;
			n = recv(c[i].fd, buf, sizeof(buf), 0);
			if (n > 0) {
				if (c[i].got + (size_t)n <= MSG_LEN &&
				    !memcmp(c[i].msg + c[i].got, buf, (size_t)n))
					c[i].got += (size_t)n;
				else
					c[i].got = MSG_LEN + 1;	/* garbage */
			}
			if (c[i].got == MSG_LEN) {
				c[i].echoed = 1;
				echoed++;
			}
		}
	} while (now_ms() < end);

	return echoed;
}

static int
count_open_unechoed(const struct client *c, int count)
{
	int i, n = 0;

	for (i = 0; i < count; i++)
		n += c[i].fd >= 0 && !c[i].echoed;

	return n;
}

int
main(void)
{
	struct client c[CLIENTS];
	int pfd[2], port = -1, i, held, freed, now_held, bad, status = -1;
	long long t0, t1, cpu0, cpu1, end;
	struct pollfd pf;
	pid_t pid, w;

	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		close(pfd[0]);
		child_main(pfd[1]);
	}
	close(pfd[1]);
	for (i = 0; i < CLIENTS; i++)
		c[i].fd = -1;

	pf.fd = pfd[0];
	pf.events = POLLIN;
	if (poll(&pf, 1, 5000) != 1 || read(pfd[0], &port, sizeof(port)) != sizeof(port))
		port = -1;
	close(pfd[0]);
	LT_CHECK(port > 0);
	if (port <= 0)
		goto done;

	/* more clients than the child has fds; each sends its message at once */
	for (i = 0, bad = 0; i < CLIENTS; i++) {
		c[i].fd = tcp_connect(port);
		c[i].got = 0;
		c[i].echoed = 0;
		snprintf(c[i].msg, sizeof(c[i].msg), "m%05d", i % 100000);
		c[i].msg[MSG_LEN - 1] = '\n';
		if (c[i].fd < 0 || send(c[i].fd, c[i].msg, MSG_LEN, 0) != MSG_LEN)
			bad++;
	}
	LT_CHECK_EQ(bad, 0);

	held = collect(c, CLIENTS, 500);
	/* it serves what it could accept, and could not accept them all */
	LT_CHECK(held > 0);
	LT_CHECK(held < CLIENTS);
	fprintf(stderr, "child holds %d of %d clients\n", held, CLIENTS);

	/* out of fds with connections waiting: the child must sleep, not spin */
	cpu0 = proc_cpu_ticks(pid);
	t0 = now_ms();
	now_held = collect(c, CLIENTS, 1000);
	cpu1 = proc_cpu_ticks(pid);
	t1 = now_ms();
	LT_CHECK(cpu0 >= 0 && cpu1 >= 0);
	if (cpu0 >= 0 && cpu1 >= 0) {
		double cpu_s = (double)(cpu1 - cpu0) / (double)sysconf(_SC_CLK_TCK);
		double wall_s = (double)(t1 - t0) / 1000.0;

		fprintf(stderr, "child cpu %.3f s over %.3f s wall\n", cpu_s, wall_s);
		LT_CHECK(cpu_s < 0.3 * wall_s);
	}
	LT_CHECK_EQ(now_held, held);	/* nothing new came in while out of fds */

	/* free five of its fds: five waiting clients get accepted and echo */
	for (i = 0, freed = 0; i < CLIENTS && freed < 5; i++)
		if (c[i].fd >= 0 && c[i].echoed) {
			close(c[i].fd);
			c[i].fd = -1;
			freed++;
		}
	LT_CHECK_EQ(freed, 5);
	end = now_ms() + 3000;
	now_held = held;
	while (now_ms() < end && now_held < held + 5)
		now_held = collect(c, CLIENTS, 50);
	LT_CHECK(now_held >= held + 5);

	/* free them all: every client still waiting is served */
	for (i = 0; i < CLIENTS; i++)
		if (c[i].fd >= 0 && c[i].echoed) {
			close(c[i].fd);
			c[i].fd = -1;
		}
	end = now_ms() + 3000;
	while (now_ms() < end && count_open_unechoed(c, CLIENTS))
		collect(c, CLIENTS, 50);
	LT_CHECK_EQ(count_open_unechoed(c, CLIENTS), 0);

done:
	for (i = 0; i < CLIENTS; i++)
		if (c[i].fd >= 0)
			close(c[i].fd);
	/* SIGTERM: the child stops its loop, destroys the context and exits 0 */
	kill(pid, SIGTERM);
	end = now_ms() + 5000;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
		usleep(10000);
	if (w != pid) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		LT_CHECK(!"child did not exit on SIGTERM");
	} else
		LT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	return lt_result("api-test-emfile");
}
