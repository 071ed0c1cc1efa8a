#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_api.h"
#include "idm_apply.h"
#include "idm_error.h"
#include "idm_exception.h"
#include "idm_form.h"
#include "idm_notice.h"
#include "idm_operator.h"
#include "idm_reconcile.h"
#include "idm_request.h"
#include "idm_secret.h"
#include "idm_sweep.h"
#include "idm_time.h"
#include "idm_user.h"

/* ------------------------------------------------------------ the table */

enum arg_type {
	ARG_WORD, /* one line of printable text: IDs, uids, rule names, dates */
	ARG_TEXT, /* a request form: lines, tabs allowed */
	ARG_BOOL,
	ARG_DAYS, /* an integer 1..3650 */
};

struct arg {
	const char *name;
	enum arg_type type;
	bool required;
	size_t max; /* bytes, for strings */
};

struct call {
	const struct idm_config *cfg;
	const struct idm_log *log;
	struct idm_operator *op;
	json_t *args;
	json_t *result;
	idm_api_emit_fn emit; /* streaming ops: NULL to collect instead */
	void *emit_ctx;
};

#define ARGS_MAX 6
struct idm_api_op {
	const char *name;
	struct arg args[ARGS_MAX];
	int (*run)(struct call *c);
	bool streams;
};

static int run_submit(struct call *c);
static int run_approve(struct call *c);
/* After an action that wrote a notice: deliver it now, where it was
 * marked (idm_notice.h).  Best effort: a failed delivery is logged and
 * kept for "idmgr notify", never undoes the action. */
static void deliver_notices(struct call *c)
{
	if (c->cfg->notify.command && *c->cfg->notify.command)
		(void)idm_notice_deliver(c->op->d, c->cfg, c->log, NULL);
}

static int run_notify(struct call *c)
{
	struct idm_notice_summary sum = { 0 };
	int r = idm_operator_require(c->op, c->log, (1u << IDM_ROLE_COUNT) - 1, "notify");

	if (r == IDM_OK) {
		r = idm_notice_deliver(c->op->d, c->cfg, c->log, &sum);
		if (r == IDM_ECONFIG)
			idm_logf(c->log, LOG_ERR,
				 "%s: notify.command is not set: %ld notices stay pending",
				 c->cfg->path, sum.pending);
	}
	json_object_set_new(c->result, "delivered", json_integer(sum.delivered));
	json_object_set_new(c->result, "pending", json_integer(sum.pending));
	return r;
}

static int run_reject(struct call *c);
static int run_apply(struct call *c);
static int run_unlock(struct call *c);
static int run_reset(struct call *c);
static int run_expire(struct call *c);
static int run_suspend(struct call *c);
static int run_exception_add(struct call *c);
static int run_exception_revoke(struct call *c);
static int run_exception_ack(struct call *c);
static int run_sweep(struct call *c);
static int run_reconcile(struct call *c);
static int run_notify(struct call *c);

#define ID_MAX 64
#define WORD_MAX 1024

/* Every operation an officer can ask of the service: each is one core
 * function, run as the service identity for the operator authenticated. */
static const struct idm_api_op ops[] = {
	{ "request.submit",
	  { { "form", ARG_TEXT, true, IDM_FORM_MAX }, { "name", ARG_WORD, false, 4096 } },
	  run_submit,
	  false },
	{ "request.approve", { { "id", ARG_WORD, true, ID_MAX } }, run_approve, false },
	{ "request.reject",
	  { { "id", ARG_WORD, true, ID_MAX }, { "reason", ARG_WORD, true, WORD_MAX } },
	  run_reject,
	  false },
	{ "request.apply", { { "id", ARG_WORD, true, ID_MAX } }, run_apply, false },
	{ "user.unlock", { { "uid", ARG_WORD, true, ID_MAX } }, run_unlock, false },
	{ "user.reset-password", { { "uid", ARG_WORD, true, ID_MAX } }, run_reset, false },
	{ "user.expire-password", { { "uid", ARG_WORD, true, ID_MAX } }, run_expire, false },
	{ "user.suspend",
	  { { "uid", ARG_WORD, true, ID_MAX },
	    { "reason", ARG_WORD, false, WORD_MAX },
	    { "manager", ARG_WORD, false, ID_MAX },
	    { "emergency", ARG_BOOL, false, 0 } },
	  run_suspend,
	  false },
	{ "exception.add",
	  { { "subject", ARG_WORD, true, ID_MAX },
	    { "rule", ARG_WORD, true, ID_MAX },
	    { "reason", ARG_WORD, true, WORD_MAX },
	    { "until", ARG_WORD, true, 10 },
	    { "emergency", ARG_BOOL, false, 0 } },
	  run_exception_add,
	  false },
	{ "exception.revoke", { { "id", ARG_WORD, true, ID_MAX } }, run_exception_revoke, false },
	{ "exception.acknowledge", { { "id", ARG_WORD, true, ID_MAX } }, run_exception_ack, false },
	{ "sweep.apply", { { "inactive_days", ARG_DAYS, false, 0 } }, run_sweep, true },
	/* read-only, but slapd's log of writes (password hashes among the
	 * values) is readable by idmgrd only */
	{ "audit.reconcile", { { "since", ARG_WORD, false, 32 } }, run_reconcile, false },
	/* R-PRIV-2, R-VIO-1, R-EXC-2: the retry of notices not delivered yet */
	{ "notices.deliver", { { NULL } }, run_notify, false },
};

const char *idm_api_op_name(const struct idm_api_op *op)
{
	return op ? op->name : "?";
}

bool idm_api_op_streams(const struct idm_api_op *op)
{
	return op && op->streams;
}

/* ------------------------------------------------------------ parsing */

static bool text_ok(const char *s, size_t len, bool lines)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\0' || ch == 0x7f ||
		    (ch < 0x20 && !(lines && (ch == '\n' || ch == '\t'))))
			return false;
	}
	return true;
}

static int check_arg(const struct arg *a, json_t *v, const char *op, char *why, size_t n)
{
	switch (a->type) {
	case ARG_WORD:
	case ARG_TEXT:
		if (!json_is_string(v)) {
			snprintf(why, n, "%s: args.%s: must be a string", op, a->name);
			return IDM_EINVAL;
		}
		if (json_string_length(v) == 0 && a->required) {
			snprintf(why, n, "%s: args.%s: must not be empty", op, a->name);
			return IDM_EINVAL;
		}
		if (json_string_length(v) > a->max) {
			snprintf(why, n, "%s: args.%s: longer than %zu bytes", op, a->name, a->max);
			return IDM_EINVAL;
		}
		if (!text_ok(json_string_value(v), json_string_length(v), a->type == ARG_TEXT)) {
			snprintf(why, n, "%s: args.%s: holds a control character", op, a->name);
			return IDM_EINVAL;
		}
		return IDM_OK;
	case ARG_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(why, n, "%s: args.%s: must be true or false", op, a->name);
			return IDM_EINVAL;
		}
		return IDM_OK;
	case ARG_DAYS:
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 3650) {
			snprintf(why, n, "%s: args.%s: must be a number of days from 1 to 3650", op,
				 a->name);
			return IDM_EINVAL;
		}
		return IDM_OK;
	}
	return IDM_EINVAL;
}

static int check_args(const struct idm_api_op *op, json_t *args, char *why, size_t n)
{
	const char *key;
	json_t *v;

	if (!json_is_object(args)) {
		snprintf(why, n, "%s: args: must be an object", op->name);
		return IDM_EINVAL;
	}
	json_object_foreach (args, key, v) {
		const struct arg *a = NULL;
		for (size_t i = 0; i < ARGS_MAX && op->args[i].name; i++)
			if (strcmp(op->args[i].name, key) == 0)
				a = &op->args[i];
		if (a && json_is_null(v) && !a->required)
			continue; /* null: absent */
		if (!a) {
			/* the key is the client's text: show only what is printable */
			snprintf(why, n, "%s: args: unknown member \"%.64s\"", op->name,
				 text_ok(key, strlen(key), false) ? key : "?");
			return IDM_EINVAL;
		}
		if (check_arg(a, v, op->name, why, n) < 0)
			return IDM_EINVAL;
	}
	for (size_t i = 0; i < ARGS_MAX && op->args[i].name; i++)
		if (op->args[i].required && !json_object_get(args, op->args[i].name)) {
			snprintf(why, n, "%s: args.%s: required member is missing", op->name,
				 op->args[i].name);
			return IDM_EINVAL;
		}
	return IDM_OK;
}

static const char *const top_members[] = { "version", "operator", "password",
					   "op",      "args",     "verbose" };

int idm_api_parse(const char *body, size_t len, struct idm_api_request **out, char *why,
		  size_t why_size)
{
	struct idm_api_request *req = NULL;
	json_t *root = NULL, *v;
	json_error_t jerr;
	const char *key;
	int r = IDM_EINVAL;

	*out = NULL;
	snprintf(why, why_size, "invalid request");
	if (len > IDM_API_BODY_MAX) {
		snprintf(why, why_size, "request body: more than %d bytes", IDM_API_BODY_MAX);
		return IDM_ERANGE;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		/* jerr.text may quote the body, password included: position only */
		snprintf(why, why_size, "request body: not JSON (line %d, column %d)", jerr.line,
			 jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		snprintf(why, why_size, "request body: must be a JSON object");
		goto out;
	}
	json_object_foreach (root, key, v) {
		bool known = false;
		for (size_t i = 0; i < sizeof(top_members) / sizeof(top_members[0]); i++)
			known |= strcmp(key, top_members[i]) == 0;
		if (!known) {
			snprintf(why, why_size, "request: unknown member \"%.64s\"",
				 text_ok(key, strlen(key), false) ? key : "?");
			goto out;
		}
	}
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) != IDM_API_VERSION) {
		snprintf(why, why_size, "request: version: must be %d", IDM_API_VERSION);
		goto out;
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		r = IDM_ENOMEM;
		goto out;
	}
	v = json_object_get(root, "op");
	if (!json_is_string(v)) {
		snprintf(why, why_size, "request: op: required string is missing");
		goto out;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, json_string_value(v)) == 0)
			req->op = &ops[i];
	if (!req->op) {
		snprintf(why, why_size, "request: op: \"%.64s\" is not an operation",
			 text_ok(json_string_value(v), json_string_length(v), false)
				 ? json_string_value(v)
				 : "?");
		goto out;
	}
	v = json_object_get(root, "operator");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > ID_MAX ||
	    !text_ok(json_string_value(v), json_string_length(v), false)) {
		snprintf(why, why_size,
			 "request: operator: must be a uid of 1 to %d printable bytes", ID_MAX);
		goto out;
	}
	req->operator_uid = strdup(json_string_value(v));
	v = json_object_get(root, "password");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4096 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, why_size, "request: password: must be a string of 1 to 4096 bytes");
		goto out;
	}
	req->password = strdup(json_string_value(v));
	v = json_object_get(root, "verbose");
	if (v && !json_is_boolean(v)) {
		snprintf(why, why_size, "request: verbose: must be true or false");
		goto out;
	}
	req->verbose = json_is_true(v);
	v = json_object_get(root, "args");
	if (!v) {
		snprintf(why, why_size, "request: args: required object is missing");
		goto out;
	}
	if (check_args(req->op, v, why, why_size) < 0)
		goto out;
	req->args = json_incref(v);
	if (!req->operator_uid || !req->password) {
		r = IDM_ENOMEM;
		goto out;
	}
	r = IDM_OK;
out:
	json_decref(root);
	if (r == IDM_OK)
		*out = req;
	else
		idm_api_request_free(req);
	return r;
}

void idm_api_request_free(struct idm_api_request *req)
{
	if (!req)
		return;
	free(req->operator_uid);
	idm_secret_free(req->password);
	json_decref(req->args);
	free(req);
}

/* ------------------------------------------------------------ answers */

/* json_string() wants UTF-8: a message that is not (a client's bytes
 * quoted by the core) is passed on with its other bytes as '?'. */
static json_t *safe_string(const char *s)
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
						   safe_string(message)));
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
	if (priority <= LOG_WARNING || c->verbose)
		json_array_append_new(c->messages, json_pack("{s:i, s:o}", "priority", priority,
							     "text", safe_string(msg)));
}

static const char *arg_str(const struct call *c, const char *name)
{
	json_t *v = json_object_get(c->args, name);
	return v && json_string_length(v) ? json_string_value(v) : NULL;
}

static bool arg_bool(const struct call *c, const char *name)
{
	return json_is_true(json_object_get(c->args, name));
}

/* The service's own connection: the identity that alone writes. */
static int open_writer(const struct idm_config *cfg, const struct idm_log *log, struct idm_dir **out)
{
	*out = NULL;
	if (!*cfg->service.bind_dn) {
		idm_logf(log, LOG_ERR, "%s: service: bind_dn is not set", cfg->path);
		return IDM_ECONFIG;
	}
	return idm_dir_open_identity(cfg, log, cfg->service.bind_dn,
				     cfg->service.bind_password_file, out);
}

static json_t *handle(const struct idm_config *cfg, const struct idm_log *log,
		      struct idm_api_request *req, idm_api_emit_fn emit, void *emit_ctx, int *code)
{
	struct capture cap = { .parent = log, .messages = json_array(), .verbose = req->verbose };
	struct idm_log clog = { .fn = capture_fn, .data = &cap, .debug = req->verbose };
	struct call c = { .cfg = cfg,
			  .log = &clog,
			  .args = req->args,
			  .result = json_object(),
			  .emit = emit,
			  .emit_ctx = emit_ctx };
	struct idm_dir *writer = NULL;
	int r;

	r = idm_operator_login(cfg, &clog, req->operator_uid, req->password, IDM_OPERATOR_ACT,
			       &c.op);
	/* The directory has said who this is: the password is not needed again. */
	explicit_bzero(req->password, strlen(req->password));
	req->authenticated = r == IDM_OK;
	if (r == IDM_OK)
		r = open_writer(cfg, &clog, &writer);
	if (r == IDM_OK) {
		idm_dir_close(c.op->d);
		c.op->d = writer;
		r = req->op->run(&c);
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

/* ------------------------------------------------------------ the ops */

static int run_submit(struct call *c)
{
	struct idm_form *form = NULL;
	const char *name = arg_str(c, "name");
	char *id = NULL;
	int r = idm_form_parse(c->cfg, name ? name : "form", arg_str(c, "form"), time(NULL), c->log,
			       &form);

	if (r == IDM_OK)
		r = idm_request_submit(c->op, c->cfg, c->log, form, &id);
	if (r == IDM_OK)
		json_object_set_new(c->result, "id", json_string(id));
	free(id);
	idm_form_free(form);
	return r;
}

static int run_approve(struct call *c)
{
	enum idm_role role;
	char *state = NULL;
	int r = idm_request_approve(c->op, c->cfg, c->log, arg_str(c, "id"), &role, &state);

	if (r == IDM_OK) {
		json_object_set_new(c->result, "role", json_string(idm_role_name(role)));
		json_object_set_new(c->result, "state", json_string(state));
	}
	free(state);
	return r;
}

static int run_reject(struct call *c)
{
	return idm_request_reject(c->op, c->cfg, c->log, arg_str(c, "id"), arg_str(c, "reason"));
}

static int run_apply(struct call *c)
{
	struct idm_apply_result res = { 0 };
	int r = idm_request_apply(c->op, c->cfg, c->log, arg_str(c, "id"), &res);

	if (r == IDM_OK) {
		json_object_set_new(c->result, "uid", json_string(res.uid ? res.uid : ""));
		if (res.summary)
			json_object_set_new(c->result, "summary", safe_string(res.summary));
		if (res.temp_password)
			json_object_set_new(c->result, "temporary_password",
					    json_string(res.temp_password));
		deliver_notices(c); /* R-PRIV-2 */
	}
	idm_apply_result_clear(&res);
	return r;
}

static int run_unlock(struct call *c)
{
	return idm_user_unlock(c->op, c->cfg, c->log, arg_str(c, "uid"));
}

static int run_reset(struct call *c)
{
	char *pw = NULL;
	int r = idm_user_reset_password(c->op, c->cfg, c->log, arg_str(c, "uid"), &pw);

	if (r == IDM_OK)
		json_object_set_new(c->result, "temporary_password", json_string(pw));
	idm_secret_free(pw);
	return r;
}

static int run_expire(struct call *c)
{
	return idm_user_expire_password(c->op, c->cfg, c->log, arg_str(c, "uid"));
}

static int run_suspend(struct call *c)
{
	int r = idm_user_suspend(c->op, c->cfg, c->log, arg_str(c, "uid"), arg_str(c, "reason"),
				 arg_str(c, "manager"), arg_bool(c, "emergency"));

	if (r == IDM_OK)
		deliver_notices(c); /* R-VIO-1 */
	return r;
}

static int run_exception_add(struct call *c)
{
	time_t until = 0;
	char *id = NULL;
	int r;

	if (idm_date_parse(arg_str(c, "until"), &until) < 0) {
		idm_logf(c->log, LOG_ERR, "exception.add: until: \"%s\" is not a date (YYYY-MM-DD)",
			 arg_str(c, "until"));
		return IDM_EINVAL;
	}
	r = idm_exception_add(c->op, c->cfg, c->log, arg_str(c, "subject"), arg_str(c, "rule"),
			      arg_str(c, "reason"), until, arg_bool(c, "emergency"), &id);
	if (r == IDM_OK)
		json_object_set_new(c->result, "id", json_string(id));
	if (r == IDM_OK && arg_bool(c, "emergency"))
		deliver_notices(c); /* R-EXC-2: reported at once */
	free(id);
	return r;
}

static int run_exception_revoke(struct call *c)
{
	return idm_exception_revoke(c->op, c->cfg, c->log, arg_str(c, "id"));
}

static int run_exception_ack(struct call *c)
{
	return idm_exception_acknowledge(c->op, c->cfg, c->log, arg_str(c, "id"));
}

static json_t *opt_string(const char *s)
{
	return s ? safe_string(s) : json_null();
}

static int sweep_finding(void *ctx, const struct idm_sweep_finding *f)
{
	struct call *c = ctx;
	json_t *j = json_pack("{s:i, s:i, s:i, s:o, s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:o}",
			      "class", (int)f->cls, "rule_class", (int)f->rule_class, "action",
			      (int)f->action, "uid", opt_string(f->uid), "dn", opt_string(f->dn),
			      "status", opt_string(f->status), "privileged", f->privileged,
			      "last_login", (json_int_t)f->last_login, "created",
			      (json_int_t)f->created, "valid_until", (json_int_t)f->valid_until,
			      "until", (json_int_t)f->until, "detail", opt_string(f->detail));

	if (!j)
		return IDM_ENOMEM;
	if (c->emit) /* a negative answer: the client is gone, stop */
		return c->emit(c->emit_ctx, json_pack("{s:o}", "finding", j)) < 0 ? IDM_EIO : IDM_OK;
	return json_array_append_new(json_object_get(c->result, "findings"), j) == 0 ? IDM_OK
										     : IDM_ENOMEM;
}

/* Findings are streamed when the caller can (idm_api_handle_stream), else
 * collected in the answer. */
static int run_sweep(struct call *c)
{
	struct idm_sweep_options so = { 0 };
	struct idm_sweep_summary sum = { 0 };
	json_t *classes = json_array(), *actions = json_array();
	json_t *days = json_object_get(c->args, "inactive_days");
	int r;

	so.now = time(NULL);
	so.inactive_days = days ? (long)json_integer_value(days) : c->cfg->sweep.inactive_days;
	so.never_used_days = c->cfg->sweep.never_used_days;
	so.apply = true;
	so.finding = sweep_finding;
	so.ctx = c;
	json_object_set_new(c->result, "findings", json_array());
	r = idm_sweep_run(c->op, c->cfg, c->log, &so, &sum);
	for (int i = 0; i < IDM_SWEEP_CLASS_COUNT; i++)
		json_array_append_new(classes, json_integer(sum.classes[i]));
	for (int i = 0; i < IDM_SWEEP_ACTION_COUNT; i++)
		json_array_append_new(actions, json_integer(sum.actions[i]));
	json_object_set_new(c->result, "now", json_integer((json_int_t)so.now));
	json_object_set_new(c->result, "inactive_days", json_integer(so.inactive_days));
	json_object_set_new(c->result, "never_used_days", json_integer(so.never_used_days));
	json_object_set_new(c->result, "accounts", json_integer(sum.accounts));
	json_object_set_new(c->result, "classes", classes);
	json_object_set_new(c->result, "actions", actions);
	return r;
}

static int reconcile_one(void *ctx, const struct idm_unexplained *w)
{
	json_t *list = ctx;

	return json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o, s:o}", "time",
						     safe_string(w->time), "who",
						     safe_string(w->who), "type",
						     safe_string(w->type), "dn", safe_string(w->dn),
						     "attributes", safe_string(w->attrs))) == 0
		       ? IDM_OK
		       : IDM_ENOMEM;
}

/* The auditors' question (threat model item 4): which writes did no
 * audited action make?  ciso or security_chief. */
static int run_reconcile(struct call *c)
{
	const char *since_text = arg_str(c, "since");
	json_t *list = json_array();
	time_t since = 0;
	long checked = 0;
	int r = idm_operator_require(c->op, c->log,
				     (1u << IDM_ROLE_CISO) | (1u << IDM_ROLE_SECURITY_CHIEF),
				     "audit reconcile");

	if (r == IDM_OK && since_text && idm_date_parse(since_text, &since) < 0 &&
	    idm_time_parse(since_text, &since) < 0) {
		idm_logf(c->log, LOG_ERR,
			 "audit reconcile: since: \"%s\" is not a date (YYYY-MM-DD) or a time "
			 "(YYYYMMDDHHMMSSZ)",
			 since_text);
		r = IDM_EINVAL;
	}
	if (r == IDM_OK)
		r = idm_reconcile(c->op->d, c->cfg, since, reconcile_one, list, &checked);
	json_object_set_new(c->result, "checked", json_integer(checked));
	json_object_set_new(c->result, "unexplained", list);
	return r;
}
