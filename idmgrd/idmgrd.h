/* idmgrd.h -- what the parts of idmgrd share (idmgrd(8)).
 *
 * idmgrd.c       start, options, checks, signals, stop
 * http.c         libmicrohttpd's handler: a request's body, its answer, its
 *                log line and the refusals counted against it
 * stream.c       answers that stream (the sweep), from a thread of their own
 * lease_thread.c the writer's lease, kept by a thread of its own
 * listen.c       the Unix socket and the TLS listener
 * reconcile_once.c  -R DAYS: one reconciliation, then exit
 *
 * The rules (who may do what, the lease's protocol, the reconciliation)
 * are in the core libraries (lib/service, lib/admin); these files are
 * glue. */
#ifndef IDMGRD_H
#define IDMGRD_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "idm_api.h"
#include "idm_config.h"
#include "idm_log.h"
#include "idm_ratelimit.h"

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

/* ---------------------------------------------------------------- http.c */

/* Who asked and when: for the log line and the refusals' counts. */
struct request_ctx {
	char peer[64], peer_key[64], op_key[IDM_RATELIMIT_KEY_MAX];
	struct timespec t0;
	time_t now;
};

/* jansson's copies hold passwords (request) and temporary passwords
 * (answers): wipe every block it frees. */
void wiping_free(void *p);
/* Queues resp (taken) as the answer with status and content type. */
enum MHD_Result send_response(struct MHD_Connection *conn, unsigned status,
			      struct MHD_Response *resp, const char *type);
/* Queues j (taken) as the answer with status. */
enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *j);
/* A request answered with code: a refusal of its login counted against
 * the operator and the peer, its log line, req freed. */
void request_done(struct server *s, const struct request_ctx *rc, struct idm_api_request *req,
		  int code);
/* A daemon serving s with the handler, flags, port and the listener's
 * own options (extra, ended by MHD_OPTION_END); NULL when it did not
 * start. */
struct MHD_Daemon *http_start(struct server *s, unsigned flags, uint16_t port,
			      const struct MHD_OptionItem *extra);

/* -------------------------------------------------------------- stream.c */

/* Answers req (taken) as a stream of lines from a thread of its own. */
enum MHD_Result start_stream(struct server *s, struct MHD_Connection *conn,
			     struct idm_api_request *req, const struct request_ctx *rc);

/* -------------------------------------------------------- lease_thread.c */

/* Claims the lease now when free (standing by when another holds it),
 * then starts the thread that keeps it.  -1 when it could not start. */
int lease_start(struct server *s);
/* Stops the lease thread (when started) and gives the lease up. */
void release_lease(struct server *s, bool started);
/* The holder of the lease while its server answers serves requests. */
bool writer_now(struct server *s);

/* -------------------------------------------------------------- listen.c */

/* The daemon on service.socket (*fd, mode 0660; a socket left by a dead
 * instance is replaced); NULL when it did not start (logged). */
struct MHD_Daemon *start_unix(struct server *s, unsigned flags, int *fd);
/* The TLS listener for officers on other hosts (service.tls_port): the
 * certificate and key read once (*cert, *key: the caller frees them). */
struct MHD_Daemon *start_tls(struct server *s, unsigned flags, char **cert, char **key);

/* ------------------------------------------------------ reconcile_once.c */

/* -R's argument: 0 to 36500 days; false (said on stderr) otherwise. */
bool reconcile_days_parse(const char *arg, long *days);
/* One reconciliation as idmgrd's identity; the exit status (idmgrd(8)). */
int reconcile_once(struct server *s, long days);

#endif
