/* stream.c -- answers that stream (the sweep, idmgrd-api(7)): the op runs
 * in a thread of its own and its lines reach the client at the pace the
 * client reads them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "idm_error.h"
#include "idmgrd.h"

/* A streaming op runs in a thread of its own and writes its lines into a
 * pipe that the answer is read from: when the client reads slowly, the
 * pipe fills and the op waits (the sweep stops in the middle of a page, as
 * the command's own would). */
struct stream {
	struct server *s;
	struct idm_api_request *req;
	struct request_ctx rc;
	int fd;      /* write end */
	int conn_fd; /* a dup of the client's socket (Unix socket only; else -1) */
};

static int write_line(int fd, json_t *line)
{
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	size_t len, off = 0;
	int r = 0;

	json_decref(line);
	if (!text)
		return -1;
	len = strlen(text);
	text[len++] = '\n'; /* json_dumps leaves room: strlen+1 bytes, the NUL */
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = -1; /* the client is gone (EPIPE) */
			break;
		}
		off += (size_t)n;
	}
	wiping_free(text);
	return r;
}

/* Each line is handed over, then the op waits until the client has read
 * it (nothing left in the pipe nor in the socket's queue): a client that
 * stops reading stops the op right after the line it last took, between
 * two units of work, as the command's own sweep stopped at its output.
 * A client that is gone empties the queue; the next write fails. */
static int emit_line(void *ctx, json_t *line)
{
	struct stream *st = ctx;
	int r = write_line(st->fd, line);

	while (r == 0) {
		int in_pipe = 0, in_socket = 0;
		if (ioctl(st->fd, FIONREAD, &in_pipe) < 0)
			in_pipe = 0;
		if (st->conn_fd >= 0 && ioctl(st->conn_fd, SIOCOUTQ, &in_socket) < 0)
			in_socket = 0;
		if (in_pipe == 0 && in_socket == 0)
			break;
		usleep(1000);
	}
	return r;
}

static void *stream_main(void *arg)
{
	struct stream *st = arg;
	int code;
	json_t *last = idm_api_handle_stream(st->s->cfg, &st->s->log, st->req, emit_line, st, &code);

	write_line(st->fd, last);
	close(st->fd);
	if (st->conn_fd >= 0)
		close(st->conn_fd);
	request_done(st->s, &st->rc, st->req, code);
	free(st);
	return NULL;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	int fd = *(int *)cls;
	ssize_t n;

	(void)pos;
	do
		n = read(fd, buf, max);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void stream_free(void *cls)
{
	int *fd = cls;

	close(*fd); /* a writer still running gets EPIPE and stops */
	free(fd);
}

enum MHD_Result start_stream(struct server *s, struct MHD_Connection *conn,
			     struct idm_api_request *req, const struct request_ctx *rc)
{
	struct MHD_Response *resp = NULL;
	struct stream *st = calloc(1, sizeof(*st));
	pthread_attr_t attr;
	pthread_t t;
	int fds[2], *rfd;

	if (!st) {
		idm_api_request_free(req);
		return MHD_NO;
	}
	st->s = s;
	st->req = req;
	st->rc = *rc;
	rfd = malloc(sizeof(int));
	if (!rfd || pipe2(fds, O_CLOEXEC) < 0)
		goto cannot;
	*rfd = fds[0];
	st->fd = fds[1];
	/* Little buffering between the op and the client, so that an op
	 * whose client stops reading stops soon after (as a local one does). */
	(void)fcntl(fds[1], F_SETPIPE_SZ, 4096);
	{
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		int size = 4096, domain = 0;
		socklen_t len = sizeof(domain);
		if (ci)
			(void)setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		/* how much the client has not read yet: known on the Unix socket */
		st->conn_fd =
			ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
					domain == AF_UNIX
				? fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0)
				: -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, stream_main, st) != 0) {
		pthread_attr_destroy(&attr);
		close(fds[0]);
		close(fds[1]);
		if (st->conn_fd >= 0)
			close(st->conn_fd);
		goto cannot;
	}
	pthread_attr_destroy(&attr);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, rfd,
						 stream_free);
	if (!resp) {
		stream_free(rfd);
		return MHD_NO;
	}
	return send_response(conn, MHD_HTTP_OK, resp, "application/x-ndjson");
cannot:
	free(rfd);
	idm_api_request_free(st->req);
	free(st);
	return send_json(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			 idm_api_refusal(IDM_ENOMEM, "cannot start the operation"));
}
