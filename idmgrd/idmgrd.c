/* idmgrd -- the one service that writes officers' changes (idmgrd(8)).
 *
 * Thin glue: HTTP (libmicrohttpd) on a Unix socket this program creates
 * (mode 0660), bodies handed to the protocol core (lib/service/idm_api.h),
 * one syslog line per request, refusals rate-limited per operator and per
 * peer.  Each connection is served by a thread of its own, and at most
 * service.threads connections are served at once (libmicrohttpd refuses
 * more): each request waits on the directory (an officer's bind costs slapd
 * an Argon2 verification), so one thread would make every officer wait for
 * every other's bind, while threads without a bound would let one client
 * exhaust the server.  A thread of its own per connection also lets a
 * streaming answer (the sweep) wait for a slow reader without stalling
 * other connections.  Each request has its own directory connections; the
 * configuration is read once, before any thread starts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "idm_api.h"
#include "idm_authcache.h"
#include "idm_dirpool.h"
#include "idm_config.h"
#include "idm_dir.h"
#include "idm_error.h"
#include "idm_log.h"
#include "idm_ratelimit.h"
#include "idm_scheduled.h"
#include "idm_secret.h"
#include "idm_writer.h"

struct server {
	struct idm_config *cfg;
	struct idm_log log;
	struct idm_ratelimit *by_operator, *by_peer;
	struct idm_authcache *auth_cache; /* officers' recent binds */
	struct idm_dirpool *writers;      /* its own connections, kept open */
	bool foreground;                  /* messages to stderr too */
	/* the writer's lease (idm_writer.h), kept by the lease thread: held,
	 * requests are served; not, they are refused (503) */
	struct idm_writer *lease;
	struct idm_dir *lease_d; /* the lease thread's connection, kept */
	_Atomic bool stopping;   /* the lease thread ends */
	pthread_t lease_thread;
};

/* One HTTP request in progress: its body, wiped when done (the password
 * is in it), also when the client goes away mid-request. */
struct pending {
	char *body;
	size_t len, cap;
	bool too_big;
};

static void log_sink(void *data, int priority, const char *msg)
{
	const struct server *s = data;

	if (priority == LOG_DEBUG && !s->log.debug)
		return;
	syslog(LOG_AUTHPRIV | priority, "%s", msg);
	if (s->foreground && priority <= LOG_WARNING)
		fprintf(stderr, "idmgrd: %s\n", msg);
}

/* jansson's copies hold passwords (request) and temporary passwords
 * (answers): wipe every block it frees. */
static void wiping_free(void *p)
{
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	const struct server *s = cls;
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	idm_logf(&s->log, LOG_WARNING, "http: %s", msg);
}

static void pending_free(struct pending *p)
{
	if (!p)
		return;
	if (p->body)
		explicit_bzero(p->body, p->cap);
	free(p->body);
	free(p);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	pending_free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct MHD_Response *resp;
	enum MHD_Result r;

	json_decref(j);
	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, wiping_free);
	if (!resp) {
		wiping_free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* The peer: over TLS its address; on the Unix socket the Unix user the
 * kernel names (SO_PEERCRED).  For the log and the per-peer limit. */
static void peer_of(struct MHD_Connection *conn, char *buf, size_t size, char *key, size_t key_size)
{
	const union MHD_ConnectionInfo *ai =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred uc;
	socklen_t len = sizeof(uc);
	char ip[INET6_ADDRSTRLEN] = "";

	if (ai && ai->client_addr && ai->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ai->client_addr)->sin_addr, ip,
			  sizeof(ip));
	else if (ai && ai->client_addr && ai->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ai->client_addr)->sin6_addr, ip,
			  sizeof(ip));
	if (*ip) {
		snprintf(buf, size, "tls %s", ip);
		snprintf(key, key_size, "peer:ip=%s", ip);
	} else if (ci && getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
		snprintf(buf, size, "uid=%u pid=%d", (unsigned)uc.uid, (int)uc.pid);
		snprintf(key, key_size, "peer:uid=%u", (unsigned)uc.uid);
	} else {
		snprintf(buf, size, "unknown");
		snprintf(key, key_size, "peer:unknown");
	}
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ------------------------------------------------------------ streaming */

/* A streaming op runs in a thread of its own and writes its lines into a
 * pipe that the answer is read from: when the client reads slowly, the
 * pipe fills and the op waits (the sweep stops in the middle of a page, as
 * the command's own would). */
struct stream {
	struct server *s;
	struct idm_api_request *req;
	char peer[64], peer_key[64], op_key[IDM_RATELIMIT_KEY_MAX];
	struct timespec t0;
	time_t now;
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

static void log_request(struct server *s, const char *peer, const struct idm_api_request *req,
			int code, const struct timespec *t0);

static void *stream_main(void *arg)
{
	struct stream *st = arg;
	int code;
	json_t *last = idm_api_handle_stream(st->s->cfg, &st->s->log, st->req, emit_line, st, &code);

	write_line(st->fd, last);
	close(st->fd);
	if (st->conn_fd >= 0)
		close(st->conn_fd);
	if (!st->req->authenticated) {
		idm_ratelimit_refused(st->s->by_operator, st->op_key, st->now);
		idm_ratelimit_refused(st->s->by_peer, st->peer_key, st->now);
	}
	log_request(st->s, st->peer, st->req, code, &st->t0);
	idm_api_request_free(st->req);
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

static enum MHD_Result start_stream(struct server *s, struct MHD_Connection *conn, struct stream *st)
{
	struct MHD_Response *resp = NULL;
	pthread_attr_t attr;
	pthread_t t;
	int fds[2], *rfd = malloc(sizeof(int));
	enum MHD_Result r;

	if (!rfd || pipe2(fds, O_CLOEXEC) < 0) {
		free(rfd);
		idm_api_request_free(st->req);
		free(st);
		return send_json(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 idm_api_refusal(IDM_ENOMEM, "cannot start the operation"));
	}
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
		free(rfd);
		idm_api_request_free(st->req);
		free(st);
		return send_json(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 idm_api_refusal(IDM_ENOMEM, "cannot start the operation"));
	}
	pthread_attr_destroy(&attr);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, rfd,
						 stream_free);
	if (!resp) {
		stream_free(rfd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
	r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	(void)s;
	return r;
}

static void log_request(struct server *s, const char *peer, const struct idm_api_request *req,
			int code, const struct timespec *t0)
{
	idm_logf(&s->log, LOG_NOTICE, "request from %s: operator %s%s %s -> %s (%ld ms)", peer,
		 req->operator_uid, req->authenticated ? "" : " (not authenticated)",
		 idm_api_op_name(req->op), code == IDM_OK ? "done" : idm_strerror(code),
		 elapsed_ms(t0));
}

/* Requests are served by the holder of the writer's lease while its
 * server answers (the lease thread's last step); others refuse them. */
static bool writer_now(struct server *s)
{
	char holder[8];

	return strcmp(idm_writer_state(s->lease, holder, sizeof(holder)), "writer") == 0;
}

/* The refusal of a standby or of an instance whose writer's server is
 * down: 503, "standby" true when another idmgrd is the writer (the
 * command then tries the next in service.failover). */
static json_t *not_the_writer(struct server *s)
{
	char holder[320], msg[1024];
	const char *state = idm_writer_state(s->lease, holder, sizeof(holder));
	const char *server =
		*s->cfg->service.writer_uri ? s->cfg->service.writer_uri : s->cfg->ldap.uris[0];
	json_t *j;

	if (strcmp(state, "unreachable") == 0 && !*s->cfg->service.writer_uri)
		snprintf(msg, sizeof(msg),
			 "no directory server of ldap.uri answers idmgrd: changes are refused "
			 "until one does");
	else if (strcmp(state, "unreachable") == 0)
		snprintf(msg, sizeof(msg),
			 "the writer's directory server %s (service.writer_uri) does not answer: "
			 "changes are refused until it does, or until the administrator names "
			 "another server as service.writer_uri in every idmgrd's configuration "
			 "(idmgrd(8)); reads work",
			 server);
	else
		snprintf(msg, sizeof(msg),
			 "this idmgrd is not the writer (standby; the writer's lease on %s is "
			 "\"%s\"): ask the one that holds it (service.failover)",
			 server, holder);
	j = idm_api_refusal(IDM_EUNAVAIL, msg);
	json_object_set_new(j, "standby", json_boolean(strcmp(state, "standby") == 0));
	return j;
}

static enum MHD_Result call(struct server *s, struct MHD_Connection *conn, struct pending *p)
{
	struct idm_api_request *req = NULL;
	char why[256], peer[64], peer_key[64], op_key[IDM_RATELIMIT_KEY_MAX];
	struct timespec t0;
	time_t now = time(NULL);
	json_t *ans;
	int code, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	peer_of(conn, peer, sizeof(peer), peer_key, sizeof(peer_key));
	if (p->too_big) {
		idm_logf(&s->log, LOG_WARNING, "request from %s: body over %d bytes, refused", peer,
			 IDM_API_BODY_MAX);
		return send_json(conn, MHD_HTTP_CONTENT_TOO_LARGE,
				 idm_api_refusal(IDM_ERANGE, "request body too large"));
	}
	r = idm_api_parse(p->body ? p->body : "", p->len, &req, why, sizeof(why));
	if (p->body) /* the password is in it */
		explicit_bzero(p->body, p->cap);
	if (r < 0) {
		idm_logf(&s->log, LOG_WARNING, "request from %s: %s", peer, why);
		return send_json(conn, MHD_HTTP_BAD_REQUEST, idm_api_refusal(r, why));
	}
	req->auth_cache = s->auth_cache;
	req->writers = s->writers;
	if (!writer_now(s)) {
		idm_logf(&s->log, LOG_WARNING, "request from %s: %s refused: not the writer", peer,
			 idm_api_op_name(req->op));
		idm_api_request_free(req);
		return send_json(conn, MHD_HTTP_SERVICE_UNAVAILABLE, not_the_writer(s));
	}
	snprintf(op_key, sizeof(op_key), "operator:%s", req->operator_uid);
	if (idm_ratelimit_blocked(s->by_operator, op_key, now) ||
	    idm_ratelimit_blocked(s->by_peer, peer_key, now)) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "too many refused logins for operator %s or from this client; try again "
			 "in %ld seconds",
			 req->operator_uid, s->cfg->service.refusal_window);
		idm_logf(&s->log, LOG_WARNING, "request from %s: operator %s %s: rate-limited",
			 peer, req->operator_uid, idm_api_op_name(req->op));
		idm_api_request_free(req);
		return send_json(conn, MHD_HTTP_TOO_MANY_REQUESTS,
				 idm_api_refusal(IDM_EDENIED, msg));
	}
	if (idm_api_op_streams(req->op)) {
		struct stream *st = calloc(1, sizeof(*st));
		if (!st) {
			idm_api_request_free(req);
			return MHD_NO;
		}
		st->s = s;
		st->req = req;
		st->t0 = t0;
		st->now = now;
		memcpy(st->peer, peer, sizeof(peer));
		memcpy(st->peer_key, peer_key, sizeof(peer_key));
		memcpy(st->op_key, op_key, sizeof(op_key));
		return start_stream(s, conn, st);
	}
	ans = idm_api_handle(s->cfg, &s->log, req, &code);
	if (!req->authenticated) {
		idm_ratelimit_refused(s->by_operator, op_key, now);
		idm_ratelimit_refused(s->by_peer, peer_key, now);
	}
	log_request(s, peer, req, code, &t0);
	idm_api_request_free(req);
	return send_json(conn, MHD_HTTP_OK, ans);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *data_size, void **con_cls)
{
	struct server *s = cls;
	struct pending *p = *con_cls;

	(void)version;
	if (strcmp(url, IDM_API_VERSION_PATH) == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
			return send_json(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					 idm_api_refusal(IDM_EINVAL, "GET only"));
		char holder[8];
		const char *state = idm_writer_state(s->lease, holder, sizeof(holder));
		return send_json(conn, MHD_HTTP_OK,
				 idm_api_version(strcmp(state, "writer") == 0 ? "ready" : state));
	}
	if (strcmp(url, IDM_API_PATH) != 0)
		return send_json(conn, MHD_HTTP_NOT_FOUND,
				 idm_api_refusal(IDM_EINVAL, "no such path; see idmgrd-api(7)"));
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return send_json(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				 idm_api_refusal(IDM_EINVAL, "POST only"));
	if (!p) { /* the headers: set up for the body */
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		*con_cls = p;
		return MHD_YES;
	}
	if (*data_size) { /* a piece of the body */
		if (!p->too_big && p->len + *data_size > IDM_API_BODY_MAX) {
			p->too_big = true;
		} else if (!p->too_big) {
			if (p->len + *data_size + 1 > p->cap) {
				size_t cap = (p->len + *data_size + 1) * 2;
				char *nb = malloc(cap);
				if (!nb)
					return MHD_NO;
				if (p->body) {
					memcpy(nb, p->body, p->len);
					explicit_bzero(p->body, p->cap);
					free(p->body);
				}
				p->body = nb;
				p->cap = cap;
			}
			memcpy(p->body + p->len, data, *data_size);
			p->len += *data_size;
			p->body[p->len] = '\0';
		}
		*data_size = 0;
		return MHD_YES;
	}
	return call(s, conn, p);
}

/* The listening socket: AF_UNIX at path, mode 0660.  A socket left by a
 * dead instance is replaced; anything else at path is refused. */
static int listen_unix(const struct server *s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		idm_logf(&s->log, LOG_ERR, "%s: too long for a Unix socket", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			idm_logf(&s->log, LOG_ERR,
				 "%s exists and is not a socket; not replacing it", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		idm_logf(&s->log, LOG_ERR, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		idm_logf(&s->log, LOG_ERR, "%s: bind: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
		idm_logf(&s->log, LOG_ERR, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* The lease, on a connection of its own to the writer's server only
 * (idm_config_pin_writer), kept from step to step; one that went away
 * (slapd restarted, an idle timeout) is opened again at once. */
static int lease_step(struct server *s)
{
	int r = IDM_EUNAVAIL;

	for (int fresh = 0; fresh < 2; fresh++) {
		bool kept = s->lease_d != NULL;
		if (!kept) {
			if (idm_dir_open_identity(s->cfg, &s->log, s->cfg->service.bind_dn,
						  s->cfg->service.bind_password_file,
						  &s->lease_d) != IDM_OK) {
				idm_dir_close(s->lease_d);
				s->lease_d = NULL;
			} else {
				idm_dir_unfence(s->lease_d);
			}
		}
		r = idm_writer_step(s->lease, s->lease_d);
		if (r == IDM_OK || r == IDM_EEXIST || r == IDM_ESTATE)
			break;
		idm_dir_close(s->lease_d);
		s->lease_d = NULL;
		if (!kept)
			break;
	}
	return r;
}

/* Before each write of the service's identity: the lease still ours, read
 * on the writer's server (idm_dir_set_fence). */
static int fence(struct idm_dir *d, void *ctx)
{
	return idm_writer_fence(((struct server *)ctx)->lease, d);
}

/* Stops the lease thread (when started) and gives the lease up. */
static void release_lease(struct server *s, bool started)
{
	struct idm_dir *d = NULL;

	if (started) {
		atomic_store(&s->stopping, true);
		pthread_join(s->lease_thread, NULL);
	}
	idm_dir_close(s->lease_d);
	s->lease_d = NULL;
	if (s->lease && idm_writer_held(s->lease) &&
	    idm_dir_open_identity(s->cfg, &s->log, s->cfg->service.bind_dn,
				  s->cfg->service.bind_password_file, &d) < 0)
		d = NULL;
	if (d)
		idm_dir_unfence(d);
	idm_writer_release(s->lease, d);
	idm_dir_close(d);
}

static void *lease_main(void *arg)
{
	struct server *s = arg;

	while (!atomic_load(&s->stopping)) {
		for (long i = 0; i < idm_writer_period(s->lease) * 10 && !atomic_load(&s->stopping);
		     i++)
			usleep(100000);
		if (!atomic_load(&s->stopping))
			lease_step(s);
	}
	return NULL;
}

/* The TLS listener for officers on other hosts (service.tls_port): the
 * same handler, certificate and key read once at start (the key's file
 * checked as a secret). */
static struct MHD_Daemon *start_tls(struct server *s, unsigned flags, char **cert, char **key)
{
	const struct idm_config *c = s->cfg;
	struct sockaddr_storage ss = { 0 };
	size_t len;

	if (idm_file_read(c->service.tls_cert, 1024 * 1024, 1, &s->log, cert, &len) < 0 ||
	    idm_file_read(c->service.tls_key, 64 * 1024, 1, &s->log, key, &len) < 0)
		return NULL;
	if (inet_pton(AF_INET6, c->service.tls_address, &((struct sockaddr_in6 *)&ss)->sin6_addr) ==
	    1) {
		ss.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)c->service.tls_port);
		flags |= MHD_USE_IPv6;
	} else {
		ss.ss_family = AF_INET;
		inet_pton(AF_INET, c->service.tls_address, &((struct sockaddr_in *)&ss)->sin_addr);
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)c->service.tls_port);
	}
	return MHD_start_daemon(flags | MHD_USE_TLS, (uint16_t)c->service.tls_port, NULL, NULL,
				handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_HTTPS_MEM_CERT, *cert, MHD_OPTION_HTTPS_MEM_KEY, *key,
				MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(c->ldap.timeout * 4 + 10),
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->service.threads,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, MHD_OPTION_END);
}

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: idmgrd [-c FILE] [-f] [-p PIDFILE] [-t] [-v]\n"
		"       idmgrd [-c FILE] -R DAYS\n"
		"  -c FILE     configuration (default %s)\n"
		"  -f          also write warnings to stderr (systemd, the sandbox)\n"
		"  -p PIDFILE  write the process id there once serving\n"
		"  -t          check the configuration and secret files, then exit\n"
		"  -R DAYS     reconcile slapd's log of writes of the last DAYS days (0: all)\n"
		"              with the audit trail, as idmgrd's identity; print, exit 1 on\n"
		"              any write no audited action explains (the monthly timer)\n"
		"  -v          log debug messages too\n"
		"See idmgrd(8).\n",
		IDM_DEFAULT_CONFIG);
}

static int write_pidfile(const struct server *s, const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		idm_logf(&s->log, LOG_ERR, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 't' },
		{ "reconcile", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server s = { 0 };
	const char *config_path = IDM_DEFAULT_CONFIG, *pidfile = NULL;
	struct MHD_Daemon *mhd = NULL, *tls = NULL;
	char *tls_cert = NULL, *tls_key = NULL;
	struct idm_dir *probe = NULL;
	bool check_only = false, lease_started = false;
	long reconcile_days = -1;
	char *end;
	sigset_t sigs;
	int c, fd = -1, sig = 0, status = 2, r;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;

	s.log.fn = log_sink;
	s.log.data = &s;
	while ((c = getopt_long(argc, argv, "c:fp:tR:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'f': s.foreground = true; break;
		case 'p': pidfile = optarg; break;
		case 't': check_only = s.foreground = true; break;
		case 'R':
			errno = 0;
			reconcile_days = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || reconcile_days < 0 ||
			    reconcile_days > 36500) {
				fprintf(stderr,
					"idmgrd: -R: \"%s\" is not a number of days (0 to "
					"36500)\n",
					optarg);
				return 2;
			}
			s.foreground = true;
			break;
		case 'v': s.log.debug = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	openlog("idmgrd", LOG_PID, LOG_AUTHPRIV);
	json_set_alloc_funcs(malloc, wiping_free);
	/* The same checks, with the same messages, as "idmgr config check". */
	if (idm_config_load(config_path, &s.log, &s.cfg) < 0)
		goto out;
	r = idm_config_check_files(s.cfg, &s.log);
	if (idm_config_check_service_files(s.cfg, &s.log) < 0 || r < 0) {
		idm_logf(&s.log, LOG_ERR, "%s: not starting", config_path);
		goto out;
	}
	/* Several instances: every connection to the writer's server only. */
	if (idm_config_pin_writer(s.cfg) < 0)
		goto out;
	if (reconcile_days >= 0) {
		long found = 0;
		r = idm_scheduled_reconcile(s.cfg, &s.log, reconcile_days, stdout, &found);
		status = r == IDM_OK ? (found ? 1 : 0) : r == IDM_EUNAVAIL ? 3 : 2;
		goto out;
	}
	if (check_only) {
		printf("%s: configuration OK for idmgrd %s (socket %s, identity %s)\n", config_path,
		       PACKAGE_VERSION, s.cfg->service.socket, s.cfg->service.bind_dn);
		status = 0;
		goto out;
	}
	s.by_operator =
		idm_ratelimit_new(s.cfg->service.max_refusals, s.cfg->service.refusal_window);
	/* many officers may share a host: a peer gets more room than one uid */
	s.by_peer =
		idm_ratelimit_new(s.cfg->service.max_refusals * 5, s.cfg->service.refusal_window);
	s.auth_cache = idm_authcache_new(s.cfg->service.cached_auth_timeout);
	s.writers = idm_dirpool_new();
	if (!s.by_operator || !s.by_peer || !s.auth_cache || !s.writers)
		goto out;

	/* SIGPIPE: a client killed mid-answer must not kill the service. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* inherited by MHD's threads */

	/* A wrong secret is a bad configuration: refuse to start.  A directory
	 * that does not answer yet is not: requests will say so. */
	r = idm_dir_open(s.cfg, &s.log, NULL, NULL, &probe);
	idm_dir_close(probe);
	probe = NULL;
	if (r == IDM_OK) {
		r = idm_dir_open_identity(s.cfg, &s.log, s.cfg->service.bind_dn,
					  s.cfg->service.bind_password_file, &probe);
		idm_dir_close(probe);
		if (r == IDM_ECONFIG) {
			idm_logf(&s.log, LOG_ERR, "the directory refused %s; not starting",
				 s.cfg->service.bind_dn);
			goto out;
		}
	} else {
		idm_logf(&s.log, LOG_WARNING, "no directory server answers yet; serving anyway");
	}

	/* One writer: the lease, claimed now when free; an instance that does
	 * not get it stands by (refusing requests) and takes it over later. */
	if (!*s.cfg->service.writer_uri && s.cfg->ldap.n_uris > 1)
		idm_logf(&s.log, LOG_WARNING,
			 "ldap.uri names %zu servers and service.writer_uri is not set: with "
			 "two providers set it, the same in every instance (idmgrd(8))",
			 s.cfg->ldap.n_uris);
	if (idm_writer_new(s.cfg, &s.log, &s.lease) < 0)
		goto out;
	idm_dir_set_fence(s.cfg->service.bind_dn, fence, &s);
	if (lease_step(&s) == IDM_EEXIST)
		idm_logf(&s.log, LOG_NOTICE, "standing by: another idmgrd is the writer");
	if (pthread_create(&s.lease_thread, NULL, lease_main, &s) != 0)
		goto out;
	lease_started = true;
	fd = listen_unix(&s, s.cfg->service.socket);
	if (fd < 0)
		goto out;
	mhd = MHD_start_daemon(flags, 0, NULL, NULL, handler, &s, MHD_OPTION_LISTEN_SOCKET, fd,
			       MHD_OPTION_NOTIFY_COMPLETED, completed, &s,
			       MHD_OPTION_CONNECTION_TIMEOUT,
			       (unsigned)(s.cfg->ldap.timeout * 4 + 10),
			       MHD_OPTION_CONNECTION_LIMIT, (unsigned)s.cfg->service.threads,
			       MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, &s, MHD_OPTION_END);
	if (!mhd) {
		idm_logf(&s.log, LOG_ERR, "%s: the HTTP server did not start",
			 s.cfg->service.socket);
		close(fd);
		unlink(s.cfg->service.socket);
		goto out;
	}
	if (s.cfg->service.tls_port) {
		tls = start_tls(&s, flags, &tls_cert, &tls_key);
		if (!tls) {
			idm_logf(&s.log, LOG_ERR, "TLS on %s port %ld did not start; not starting",
				 s.cfg->service.tls_address, s.cfg->service.tls_port);
			goto stop;
		}
		idm_logf(&s.log, LOG_NOTICE, "serving TLS on %s port %ld",
			 s.cfg->service.tls_address, s.cfg->service.tls_port);
	}
	if (pidfile && write_pidfile(&s, pidfile) < 0)
		goto stop;
	idm_logf(&s.log, LOG_NOTICE, "idmgrd %s serving %s as %s (%ld threads; writes to %s)",
		 PACKAGE_VERSION, s.cfg->service.socket, s.cfg->service.bind_dn,
		 s.cfg->service.threads,
		 *s.cfg->service.writer_uri ? s.cfg->service.writer_uri
					    : "the first server of ldap.uri that answers");
	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		idm_logf(&s.log, LOG_NOTICE,
			 "SIGHUP: the configuration is read at start only; restart to change it");
	idm_logf(&s.log, LOG_NOTICE, "signal %d: stopping", sig);
	status = 0;
stop:
	if (tls)
		MHD_stop_daemon(tls);
	MHD_stop_daemon(mhd);
	close(fd);
	unlink(s.cfg->service.socket);
	/* the lease goes before the pid file: who waits for the pid file to go
	 * may start another instance at once */
	release_lease(&s, lease_started);
	lease_started = false;
	if (pidfile)
		unlink(pidfile);
out:
	release_lease(&s, lease_started);
	idm_writer_free(s.lease);
	free(tls_cert);
	idm_secret_free(tls_key);
	idm_ratelimit_free(s.by_operator);
	idm_ratelimit_free(s.by_peer);
	idm_authcache_free(s.auth_cache); /* wiped */
	idm_dirpool_free(s.writers);
	idm_config_free(s.cfg);
	closelog();
	return status;
}
