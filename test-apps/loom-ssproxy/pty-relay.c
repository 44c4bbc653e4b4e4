/*
 * pty-relay: a UART cable between two programs, for the transport mux tests. It
 * makes two pty pairs and prints their device paths ("a PATH", "b PATH"); bytes
 * one program writes to its pty come out of the other's, at most RATE bytes a
 * second each way (a serial line's speed). SIGUSR1 cuts the cable (bytes are
 * read and dropped, as on a broken line), SIGUSR2 joins it again, SIGHUP turns
 * line noise on and off (one bit flipped in about every NOISE bytes), SIGWINCH
 * a bad line on and off (one bit flipped and one byte dropped in about every
 * BAD bytes each), SIGTTIN every other transport mux CLOSE frame lost on and
 * off, SIGTERM ends.
 *
 *   pty-relay [RATE [NOISE [BAD]]]   (RATE bytes/s, default 200000; NOISE
 *                                    200000; BAD 3000)
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE	/* cfmakeraw() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t cut, stop, noise, bad, lose_close;

static void
on_sig(int sig)
{
	if (sig == SIGUSR1)
		cut = 1;
	else if (sig == SIGUSR2)
		cut = 0;
	else if (sig == SIGHUP)
		noise = !noise;
	else if (sig == SIGWINCH)
		bad = !bad;
	else if (sig == SIGTTIN)
		lose_close = !lose_close;
	else
		stop = 1;
}

static int
open_pair(char *path, size_t max, int *slave)
{
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) || unlockpt(m) || !ptsname(m))
		return -1;
	snprintf(path, max, "%s", ptsname(m));
	/* raw both ways: no echo, no line editing, no CR/LF changes */
	if (!tcgetattr(m, &t)) {
		cfmakeraw(&t);
		tcsetattr(m, TCSANOW, &t);
	}
	/* hold the slave open, so the master never reads EIO between clients */
	*slave = open(path, O_RDWR | O_NOCTTY);
	if (*slave < 0 || tcgetattr(*slave, &t))
		return -1;
	cfmakeraw(&t);
	tcsetattr(*slave, TCSANOW, &t);

	return m;
}

/* CRC-8 (poly 0x07) of a mux frame header (private-ss-mux.h) */
static unsigned char
crc8(const unsigned char *p, size_t len)
{
	unsigned char c = 0;
	int b;

	while (len--) {
		c ^= *p++;
		for (b = 0; b < 8; b++)
			c = (unsigned char)(c & 0x80 ? (c << 1) ^ 0x07 : c << 1);
	}

	return c;
}

/* drop every other whole CLOSE frame (marker, ch, 0x06, 0 1, hcrc, reason, crc16)
 * found in buf; returns the new length */
static ssize_t
drop_closes(unsigned char *buf, ssize_t n, long long *seen, long long *lost)
{
	ssize_t k = 0, j = 0;

	while (k < n) {
		if (k + 9 <= n && buf[k] == 0x7e && buf[k + 1] && buf[k + 2] == 0x06 &&
		    !buf[k + 3] && buf[k + 4] == 1 && crc8(buf + k, 5) == buf[k + 5] &&
		    ((*seen)++ & 1) == 0) {
			(*lost)++;
			k += 9;
			continue;
		}
		buf[j++] = buf[k++];
	}

	return j;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	char pa[128], pb[128];
	unsigned char buf[4096];
	long rate = argc > 1 ? atol(argv[1]) : 200000;
	long noise_every = argc > 2 ? atol(argv[2]) : 200000;
	long bad_every = argc > 3 ? atol(argv[3]) : 3000;
	long long moved[2] = { 0, 0 }, dropped = 0, flipped = 0, lost = 0;
	long long closes = 0, closes_lost = 0;
	long long tick = now_ms();
	unsigned int rnd = 12345, next_flip = 0, next_drop = 0;
	long budget[2];
	int m[2], sl[2], i, mode = 0;
	struct sigaction sa;

	m[0] = open_pair(pa, sizeof(pa), &sl[0]);
	m[1] = open_pair(pb, sizeof(pb), &sl[1]);
	if (m[0] < 0 || m[1] < 0) {
		perror("pty-relay: pty");
		return 1;
	}
	fcntl(m[0], F_SETFL, fcntl(m[0], F_GETFL) | O_NONBLOCK);
	fcntl(m[1], F_SETFL, fcntl(m[1], F_GETFL) | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGTTIN, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("a %s\nb %s\n", pa, pb);
	fflush(stdout);
	budget[0] = budget[1] = rate / 100 > 0 ? rate / 100 : 1;

	while (!stop) {
		struct pollfd pfd[2];

		if (now_ms() - tick >= 10) {	/* a 10 ms slice of the line's speed */
			tick = now_ms();
			budget[0] = budget[1] = rate / 100 > 0 ? rate / 100 : 1;
		}
		for (i = 0; i < 2; i++) {
			pfd[i].fd = m[i];
			pfd[i].events = budget[i] ? POLLIN : 0;
			pfd[i].revents = 0;
		}
		if (poll(pfd, 2, 5) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			ssize_t n, w, o = 0;
			size_t want = sizeof(buf);

			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((long)want > budget[i])
				want = (size_t)budget[i];
			n = read(m[i], buf, want);
			if (n <= 0)
				continue;
			if (cut) {
				dropped += n;
				continue;
			}
			budget[i] -= (long)n;
			if (lose_close)
				n = drop_closes(buf, n, &closes, &closes_lost);
			if ((noise && noise_every > 0) || (bad && bad_every > 0)) {
				long every = bad ? bad_every : noise_every;
				ssize_t k, j = 0;

				if (mode != (int)bad) {	/* a new rate: from now */
					mode = (int)bad;
					next_flip = next_drop = 0;
				}

				for (k = 0; k < n; k++) {
					if (bad && !next_drop--) {
						/* a byte the line loses */
						rnd = rnd * 1103515245u + 12345u;
						next_drop = (unsigned int)(rnd >> 8) %
							    (unsigned int)(2 * every);
						lost++;
						continue;
					}
					buf[j] = buf[k];
					if (!next_flip--) {
						rnd = rnd * 1103515245u + 12345u;
						buf[j] ^= (unsigned char)(1u << ((rnd >> 16) & 7));
						flipped++;
						next_flip = (unsigned int)(rnd >> 8) %
							    (unsigned int)(2 * every);
					}
					j++;
				}
				n = j;
			}
			/* the line is lossless while joined: wait for room, but
			 * never so long that a signal goes unanswered */
			while (o < n && !stop) {
				struct pollfd po = { m[!i], POLLOUT, 0 };

				w = write(m[!i], buf + o, (size_t)(n - o));
				if (w < 0) {
					if (errno == EINTR || errno == EAGAIN) {
						poll(&po, 1, 10);
						continue;
					}
					break;
				}
				o += w;
			}
			moved[i] += n;
		}
	}
	fprintf(stderr, "pty-relay: a->b %lld, b->a %lld, dropped %lld bytes (cut), "
		"%lld bits flipped, %lld bytes lost, %lld of %lld CLOSE frames lost\n",
		moved[0], moved[1], dropped, flipped, lost, closes_lost, closes);

	return 0;
}
