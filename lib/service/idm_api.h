/* idm_api.h -- the idmgrd protocol (idmgrd-api(7)): what an officer's
 * request to the service is, how it is checked, and what it answers.
 * No HTTP here: idmgrd/ carries bodies over HTTP, tests and the fuzz
 * harness call these functions directly.
 *
 * A request is one JSON object (at most IDM_API_BODY_MAX bytes):
 *
 *     { "version": 1, "operator": UID, "password": TEXT, "op": NAME,
 *       "args": { ... }, "verbose": BOOL }
 *
 * Unknown members, a wrong type, a missing member, a string with a NUL or
 * over its bound, or an op not in the table are refused by idm_api_parse()
 * with one sentence naming the member, before anything else is done.
 * idm_api_handle() then authenticates the operator exactly as a login of
 * the command does (idm_operator_login: a bind as them, so the directory's
 * lockout counts; a temporary or expired password can do nothing here) --
 * or, within service.cached_auth_timeout of such a bind with the same
 * password, against idmgrd's memory of it, every check but the bind made
 * again on the entry as it is now (idm_authcache.h) -- forgets the password, and runs the core function of the op with the
 * operator's connection replaced by the service's own, bound as
 * service.bind_dn -- the only identity the ACLs let write.  The rules
 * (roles, separation of duties, states) are the core's; nothing the client
 * says about itself counts beyond the uid whose password the directory
 * accepted.
 *
 * The answer is always one JSON object:
 *
 *     { "version": 1, "code": IDM_ERR, "error": TEXT|null,
 *       "messages": [ { "priority": N, "text": TEXT }, ... ],
 *       "result": { ... } }
 *
 * code is the core's idm_err (0 done), messages what the core logged while
 * doing it (syslog priorities), result the op's output (IDs, temporary
 * passwords, sweep findings). */
#ifndef IDM_API_H
#define IDM_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "idm_config.h"
#include "idm_log.h"

#define IDM_API_VERSION 1
#define IDM_API_BODY_MAX (256 * 1024)
#define IDM_API_PATH "/v1/call"
#define IDM_API_VERSION_PATH "/v1/version"

struct idm_api_op;
struct idm_authcache;
struct idm_dirpool;

struct idm_api_request {
	char *operator_uid;
	char *password; /* wiped by idm_api_request_free() */
	const struct idm_api_op *op;
	json_t *args; /* checked against the op's table */
	bool verbose; /* pass LOG_DEBUG messages back too */
	/* set by the caller after parsing: idmgrd's memory of recent binds
	 * (idm_authcache.h); NULL binds as the operator every time */
	struct idm_authcache *auth_cache;
	/* likewise: its connections as service.bind_dn, kept open between
	 * requests (idm_dirpool.h); NULL opens one for each request */
	struct idm_dirpool *writers;
	bool authenticated; /* set by idm_api_handle() once the operator's bind and
			       account checks passed: a refusal before that is a
			       refused login (rate-limited by idmgrd) */
};

/* Parses and checks body (len bytes, need not be NUL-terminated).  On
 * IDM_EINVAL why holds one sentence naming what is wrong and where; no
 * password is ever copied into why.  IDM_ENOMEM, IDM_ERANGE (too big). */
int idm_api_parse(const char *body, size_t len, struct idm_api_request **out, char *why,
		  size_t why_size);
void idm_api_request_free(struct idm_api_request *req);

/* The op's name ("request.approve", ...). */
const char *idm_api_op_name(const struct idm_api_op *op);

/* Authenticates and carries out req, wiping req->password once the
 * directory has answered the bind.  log receives every message (the
 * service's syslog); the answer (to be freed with json_decref) carries
 * them too.  *code is the op's idm_err.  Never NULL unless out of memory. */
json_t *idm_api_handle(const struct idm_config *cfg, const struct idm_log *log,
		       struct idm_api_request *req, int *code);

/* Ops whose answer streams (sweep.apply): lines of JSON, each one object,
 * sent as soon as they are made -- { "finding": { ... } } -- then the
 * answer above as the last line, with the messages.  A client that reads
 * slowly slows the op down (emit waits between units of work) instead of
 * making the service hold every finding. */
bool idm_api_op_streams(const struct idm_api_op *op);
/* Called with each line (stolen); a negative return stops the op (the
 * client went away). */
typedef int (*idm_api_emit_fn)(void *ctx, json_t *line);
/* idm_api_handle() for a streaming op: returns the last line. */
json_t *idm_api_handle_stream(const struct idm_config *cfg, const struct idm_log *log,
			      struct idm_api_request *req, idm_api_emit_fn emit, void *emit_ctx,
			      int *code);

/* An answer without running anything (malformed request, rate limit). */
json_t *idm_api_refusal(int code, const char *message);

/* The version answer: { "service": "idmgrd", "version": V, "api": 1,
 * "state": STATE }. */
json_t *idm_api_version(const char *state);

#endif
