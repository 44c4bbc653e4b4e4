/*
 * minimal-raw-adopt-fd: serve file descriptors Loom did not open. Written to CC0 /
 * public domain. It runs a shell command with its stdout on a pipe, adopts the pipe's
 * read end as a raw-file connection and prints each line it gets prefixed with
 * "[child] "; stdin is adopted too and forwarded to the command's stdin pipe.
 *
 *   minimal-raw-adopt-fd ['shell command']   (default: a short self-check script)
 *
 * Exits with 0 when the command's output ended and the command exited 0.
 */
#include <loom.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static struct loom_context *context;
static struct loom_conn *child_in;	/* the command's stdin pipe, write end */
static struct loom_buflist *pending;	/* our stdin, waiting for child_in */
static int open_fds = 2, lines;
static unsigned char buf[LOOM_PRE + 4096];

static int
callback_fd(struct loom_conn *conn, enum loom_callback_reason reason, void *user,
	    void *in, size_t len)
{
	const char *name = conn ? loom_get_opaque_user_data(conn) : "";
	const char *p = in, *end = in ? p + len : p;
	size_t n;

	switch (reason) {
	case LOOM_CB_RAW_RX_FILE:
		if (!strcmp(name, "stdin")) {
			/* forward to the command */
			if (loom_buflist_append_segment(&pending, in, len) < 0)
				return -1;
			if (child_in)
				loom_callback_on_writable(child_in);
			break;
		}
		/* the command's output: prefix each line */
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);

			printf("[child] %.*s", (int)l, p);
			if (nl)
				lines++;
			p += l;
		}
		fflush(stdout);
		break;
	case LOOM_CB_RAW_WRITEABLE_FILE:
		n = loom_buflist_linear_use(&pending, buf + LOOM_PRE,
					    sizeof(buf) - LOOM_PRE);
		if (n && loom_write(conn, buf + LOOM_PRE, n, LOOM_WRITE_RAW) < 0)
			return -1;
		if (pending)
			loom_callback_on_writable(conn);
		break;
	case LOOM_CB_RAW_CLOSE_FILE:
		if (conn == child_in)
			child_in = NULL;
		else if (!strcmp(name, "stdin")) {
			/* our input ended: end the command's too, once it is written */
			if (child_in && !pending)
				loom_close(child_in, LOOM_CLOSE_NORMAL);
		} else if (!--open_fds || !strcmp(name, "child stdout"))
			loom_stop(context);
		break;
	default:
		break;
	}

	return 0;
}

static const struct loom_protocol protocols[] = {
	{ "fd", callback_fd, 0, 0, 0, NULL, 0 },
	LOOM_PROTOCOL_LIST_TERM
};

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] :
		"echo hello; echo from a child process; read line; echo \"got: $line\"";
	struct loom_context_info info;
	struct loom_vhost_info vinfo;
	struct loom_vhost *vh;
	int out[2], inp[2], status = 1;
	pid_t pid;

	if (pipe(out) || pipe(inp))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		dup2(out[1], 1);
		dup2(inp[0], 0);
		close(out[0]); close(out[1]); close(inp[0]); close(inp[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(inp[0]);

	memset(&info, 0, sizeof(info));
	memset(&vinfo, 0, sizeof(vinfo));
	context = loom_create_context(&info);
	if (!context)
		return 1;
	vinfo.options = LOOM_VHOST_OPT_NO_LISTEN;
	vinfo.protocols = protocols;
	vh = loom_create_vhost(context, &vinfo);
	if (!vh || !loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, out[0], NULL,
					  "child stdout"))
		goto done;
	child_in = loom_adopt_descriptor(vh, LOOM_ADOPT_FILE, inp[1], NULL,
					 "child stdin");
	if (!child_in)
		goto done;
	/* with no stdin of ours (a terminal-less test), just send one line */
	if (!loom_adopt_descriptor(vh, LOOM_ADOPT_FILE | LOOM_ADOPT_NO_CLOSE, 0, NULL,
				   "stdin")) {
		loom_buflist_append_segment(&pending, "no stdin\n", 9);
		loom_callback_on_writable(child_in);
	}

	loom_run(context, 0);
	waitpid(pid, &status, 0);
	pid = 0;
done:
	loom_context_destroy(context);
	loom_buflist_destroy_all_segments(&pending);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	printf("%d lines from the command, exit status %d\n", lines,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	return !(WIFEXITED(status) && !WEXITSTATUS(status) && lines);
}
