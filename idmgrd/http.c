/* http.c -- idmgrd's libmicrohttpd glue (idmgrd(8)): a request's body,
 * kept and wiped when done (the password is in it), also when the client
 * goes away mid-request; the answer; one log line per request; refusals
 * rate-limited per operator and per peer.  The request itself is the
 * protocol core's (lib/service/idm_api.h). */
#include "config.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <syslog.h>

#include "idm_error.h"
#include "idm_writer.h"
#include "idmgrd.h"

/* One HTTP request in progress: its body, wiped when done (the password
 * is in it), also when the client goes away mid-request. */
struct pending {
	char *body;
	size_t len, cap;
	bool too_big;
};

void wiping_free(void *p)
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

enum MHD_Result send_response(struct MHD_Connection *conn, unsigned status,
			      struct MHD_Response *resp, const char *type)
{
	enum MHD_Result r;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct MHD_Response *resp;

	json_decref(j);
	if (!text)
		return MHD_NO;
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, wiping_free);
	if (!resp) {
		wiping_free(text);
		return MHD_NO;
	}
	return send_response(conn, status, resp, "application/json");
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

void request_done(struct server *s, const struct request_ctx *rc, struct idm_api_request *req,
		  int code)
{
	if (!req->authenticated) {
		idm_ratelimit_refused(s->by_operator, rc->op_key, rc->now);
		idm_ratelimit_refused(s->by_peer, rc->peer_key, rc->now);
	}
	idm_logf(&s->log, LOG_NOTICE, "request from %s: operator %s%s %s -> %s (%ld ms)", rc->peer,
		 req->operator_uid, req->authenticated ? "" : " (not authenticated)",
		 idm_api_op_name(req->op), code == IDM_OK ? "done" : idm_strerror(code),
		 elapsed_ms(&rc->t0));
	idm_api_request_free(req);
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
	struct request_ctx rc = { .now = time(NULL) };
	char why[256];
	json_t *ans;
	int code, r;

	clock_gettime(CLOCK_MONOTONIC, &rc.t0);
	peer_of(conn, rc.peer, sizeof(rc.peer), rc.peer_key, sizeof(rc.peer_key));
	if (p->too_big) {
		idm_logf(&s->log, LOG_WARNING, "request from %s: body over %d bytes, refused",
			 rc.peer, IDM_API_BODY_MAX);
		return send_json(conn, MHD_HTTP_CONTENT_TOO_LARGE,
				 idm_api_refusal(IDM_ERANGE, "request body too large"));
	}
	r = idm_api_parse(p->body ? p->body : "", p->len, &req, why, sizeof(why));
	if (p->body) /* the password is in it */
		explicit_bzero(p->body, p->cap);
	if (r < 0) {
		idm_logf(&s->log, LOG_WARNING, "request from %s: %s", rc.peer, why);
		return send_json(conn, MHD_HTTP_BAD_REQUEST, idm_api_refusal(r, why));
	}
	req->auth_cache = s->auth_cache;
	req->writers = s->writers;
	if (!writer_now(s)) {
		idm_logf(&s->log, LOG_WARNING, "request from %s: %s refused: not the writer",
			 rc.peer, idm_api_op_name(req->op));
		idm_api_request_free(req);
		return send_json(conn, MHD_HTTP_SERVICE_UNAVAILABLE, not_the_writer(s));
	}
	snprintf(rc.op_key, sizeof(rc.op_key), "operator:%s", req->operator_uid);
	if (idm_ratelimit_blocked(s->by_operator, rc.op_key, rc.now) ||
	    idm_ratelimit_blocked(s->by_peer, rc.peer_key, rc.now)) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "too many refused logins for operator %s or from this client; try again "
			 "in %ld seconds",
			 req->operator_uid, s->cfg->service.refusal_window);
		idm_logf(&s->log, LOG_WARNING, "request from %s: operator %s %s: rate-limited",
			 rc.peer, req->operator_uid, idm_api_op_name(req->op));
		idm_api_request_free(req);
		return send_json(conn, MHD_HTTP_TOO_MANY_REQUESTS,
				 idm_api_refusal(IDM_EDENIED, msg));
	}
	if (idm_api_op_streams(req->op))
		return start_stream(s, conn, req, &rc);
	ans = idm_api_handle(s->cfg, &s->log, req, &code);
	request_done(s, &rc, req, code);
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

struct MHD_Daemon *http_start(struct server *s, unsigned flags, uint16_t port,
			      const struct MHD_OptionItem *extra)
{
	const struct idm_config *c = s->cfg;

	return MHD_start_daemon(flags, port, NULL, NULL, handler, s, MHD_OPTION_ARRAY, extra,
				MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(c->ldap.timeout * 4 + 10),
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->service.threads,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, MHD_OPTION_END);
}
