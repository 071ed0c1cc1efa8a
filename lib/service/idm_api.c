#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_api_ops.h"
#include "idm_authcache.h"
#include "idm_dirpool.h"
#include "idm_error.h"
#include "idm_operator.h"
#include "idm_i18n.h"

/* ------------------------------------------------------------ answers */

/* json_string() wants UTF-8: a message that is not (a client's bytes
 * quoted by the core) is passed on with its other bytes as '?'. */
json_t *idm_api_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j || !s)
		return j;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *answer(int code, json_t *messages, json_t *result)
{
	return json_pack("{s:i, s:i, s:s?, s:o, s:o}", "version", IDM_API_VERSION, "code", code,
			 "error", code == IDM_OK ? NULL : idm_strerror(code), "messages",
			 messages ? messages : json_array(), "result",
			 result ? result : json_object());
}

json_t *idm_api_refusal(int code, const char *message)
{
	json_t *m = json_array();

	if (message)
		json_array_append_new(m, json_pack("{s:i, s:o}", "priority", LOG_ERR, "text",
						   idm_api_text(message)));
	return answer(code, m, NULL);
}

json_t *idm_api_version(const char *state)
{
	return json_pack("{s:s, s:s, s:i, s:s}", "service", "idmgrd", "version", PACKAGE_VERSION,
			 "api", IDM_API_VERSION, "state", state);
}

/* The logger of one request: each message goes to the service's log and
 * into the answer. */
struct capture {
	const struct idm_log *parent;
	json_t *messages;
	bool verbose;
	const char *last; /* the English text of the message being logged */
};

/* Messages go back in the answer, never as lines of a stream: a line
 * waits until the client has read it, and a message is logged in the
 * middle of a unit of work (between a disable and its audit record),
 * where an op must never wait.  The client sees what the command showed
 * of its own: warnings and errors, the rest only when verbose. */
static void capture_fn(void *data, int priority, const char *msg)
{
	struct capture *c = data;

	idm_logf(c->parent, priority, "%s", msg);
	c->last = msg;
}

/* The same message as its English format (a msgid) and arguments, for the
 * client to say in its reader's language (issue 14): the service does not
 * run in the officer's locale.  "text" stays, the English the client shows
 * when the msgid is unknown to it or its arguments do not fit. */
static void capture_show(void *data, int priority, const char *where, const char *fmt,
			 const char *const *args, int nargs)
{
	struct capture *c = data;
	json_t *a, *m;

	if (!(priority <= LOG_WARNING || c->verbose) || !c->last)
		return;
	a = json_array();
	for (int i = 0; i < nargs; i++)
		json_array_append_new(a, idm_api_text(args[i]));
	m = json_pack("{s:i, s:o, s:o, s:o}", "priority", priority, "text", idm_api_text(c->last),
		      "msgid", idm_api_text(fmt), "args", a);
	if (where) /* a form's "FILE:LINE", before the message as in text */
		json_object_set_new(m, "where", idm_api_text(where));
	json_array_append_new(c->messages, m);
	c->last = NULL;
}

/* A request that a bind as the operator, or the cache of a recent one,
 * confirmed (idm_authcache.h): the operator's checks made on the entry as
 * it is now, op->d the service's own connection. */
static int authenticate(const struct idm_config *cfg, const struct idm_log *log,
			struct idm_api_request *req, struct idm_operator **op)
{
	struct idm_authcache *cache = req->auth_cache;
	const char *uid = req->operator_uid;
	uint8_t state[IDM_AUTHCACHE_STATE_LEN], now_state[IDM_AUTHCACHE_STATE_LEN];
	struct idm_authcache_hit hit;
	struct idm_account *a = NULL;
	struct idm_dir *writer = NULL;
	bool keep = false;
	/* the service's own connection: the identity that alone writes */
	int r = idm_dirpool_get(req->writers, cfg, log, &writer);

	*op = NULL;
	if (r < 0)
		return r;
	if (idm_authcache_match(cache, uid, req->password, &hit)) {
		/* checked again in full, silently: a refusal is the bind's to say */
		r = idm_operator_accept(cfg, NULL, uid, hit.dn, &writer, op);
		if (r == IDM_OK && idm_authcache_state((*op)->d, hit.dn, now_state) == IDM_OK &&
		    memcmp(now_state, hit.state, sizeof(now_state)) == 0 &&
		    (*op)->roles == hit.roles) {
			idm_logf(log, LOG_DEBUG,
				 N_("operator %s: password as verified by a bind %ld s ago "
				    "(service.cached_auth_timeout)"),
				 uid, hit.age);
			free(hit.dn);
			return IDM_OK;
		}
		if (r == IDM_OK) { /* the entry changed since: the directory decides */
			writer = (*op)->d;
			(*op)->d = NULL;
			idm_operator_free(*op);
			*op = NULL;
		}
		idm_logf(log, LOG_DEBUG,
			 N_("operator %s: the entry changed since its cached bind; binding"), uid);
		idm_authcache_drop(cache, uid);
		free(hit.dn);
	}
	/* The state a bind is cached with is read before the bind: a change
	 * made after it (a new password) is a change the next request sees. */
	if (idm_authcache_on(cache) && idm_account_lookup(writer, cfg, uid, &a) == IDM_OK &&
	    idm_authcache_state(writer, a->dn, state) == IDM_OK)
		keep = true;
	r = idm_operator_login(cfg, log, uid, req->password, IDM_OPERATOR_ACT, op);
	if (r == IDM_OK) {
		if (keep && strcasecmp(a->dn, (*op)->dn) == 0)
			idm_authcache_put(cache, uid, (*op)->dn, req->password, state, (*op)->roles);
		idm_dir_close((*op)->d);
		(*op)->d = writer;
		writer = NULL;
	}
	explicit_bzero(state, sizeof(state));
	idm_account_free(a);
	idm_dirpool_put(req->writers, writer, r != IDM_EUNAVAIL);
	return r;
}

static json_t *handle(const struct idm_config *cfg, const struct idm_log *log,
		      struct idm_api_request *req, idm_api_emit_fn emit, void *emit_ctx, int *code)
{
	struct capture cap = { .parent = log, .messages = json_array(), .verbose = req->verbose };
	struct idm_log clog = {
		.fn = capture_fn, .data = &cap, .debug = req->verbose, .show = capture_show
	};
	struct call c = { .cfg = cfg,
			  .log = &clog,
			  .args = req->args,
			  .result = json_object(),
			  .emit = emit,
			  .emit_ctx = emit_ctx };
	int r = authenticate(cfg, &clog, req, &c.op);

	/* The directory has said who this is: the password is not needed again. */
	explicit_bzero(req->password, strlen(req->password));
	req->authenticated = r == IDM_OK;
	if (r == IDM_OK)
		r = req->op->run(&c);
	if (c.op) { /* the connection goes back for the next request */
		idm_dirpool_put(req->writers, c.op->d, r != IDM_EUNAVAIL && r != IDM_EIO);
		c.op->d = NULL;
	}
	idm_operator_free(c.op);
	*code = r;
	return answer(r, cap.messages, c.result);
}

json_t *idm_api_handle(const struct idm_config *cfg, const struct idm_log *log,
		       struct idm_api_request *req, int *code)
{
	return handle(cfg, log, req, NULL, NULL, code);
}

json_t *idm_api_handle_stream(const struct idm_config *cfg, const struct idm_log *log,
			      struct idm_api_request *req, idm_api_emit_fn emit, void *emit_ctx,
			      int *code)
{
	return handle(cfg, log, req, req->op->streams ? emit : NULL, emit_ctx, code);
}
