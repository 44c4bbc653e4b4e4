/*
 * loom-test-sock.h: helpers api-tests that talk to their own server over real
 * sockets share (Linux): a blocking TCP connect to 127.0.0.1 with a receive
 * timeout, and the number of fds the process has open (to see leaks).
 */
#ifndef LOOM_TEST_SOCK_H
#define LOOM_TEST_SOCK_H

#include <dirent.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* a connected TCP socket to 127.0.0.1:port, recv timing out after secs; -1 */
static inline int
lt_connect_tcp(int port, int secs)
{
	struct sockaddr_in sa;
	struct timeval tv;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}

	return fd;
}

/* how many fds the process has open, or -1 */
static inline int
lt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);

	return n - 1;	/* not the one opendir() holds */
}

#endif
