#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_api_ops.h"
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
#include "idm_i18n.h"

/* ------------------------------------------------------------ the table */

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
				 N_("%s: notify.command is not set: %ld notices stay pending"),
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

/* Every operation an officer can ask of the service: each is one core
 * function, run as the service identity for the operator authenticated. */
const struct idm_api_op idm_api_ops[] = {
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

const size_t idm_api_op_count = sizeof(idm_api_ops) / sizeof(idm_api_ops[0]);

const char *idm_api_op_name(const struct idm_api_op *op)
{
	return op ? op->name : "?";
}

bool idm_api_op_streams(const struct idm_api_op *op)
{
	return op && op->streams;
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
			json_object_set_new(c->result, "summary", idm_api_text(res.summary));
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
	char xid[IDM_OBJECT_ID_LEN];
	int r = idm_user_suspend(c->op, c->cfg, c->log, arg_str(c, "uid"), arg_str(c, "reason"),
				 arg_str(c, "manager"), arg_bool(c, "emergency"), xid);

	if (r == IDM_OK && *xid) /* R-EXC-2: the emergency exception recorded */
		json_object_set_new(c->result, "exception", json_string(xid));
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
		idm_logf(c->log, LOG_ERR,
			 N_("exception.add: until: \"%s\" is not a date (YYYY-MM-DD)"),
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
	return s ? idm_api_text(s) : json_null();
}

/* The detail's clauses for the command's text output (issue 14): each
 * {"msgid", "args", "ctx"}, ctx null for a value, "" for a msgid. */
static json_t *said_json(const struct idm_sweep_said *d)
{
	json_t *a = json_array();

	for (int i = 0; d && i < d->n; i++) {
		const struct idm_sweep_clause *c = &d->c[i];
		json_t *args = json_array(), *ctx = json_array();
		for (int k = 0; k < c->nargs; k++) {
			json_array_append_new(args, idm_api_text(c->args[k]));
			json_array_append_new(ctx, opt_string(c->ctx[k]));
		}
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "msgid", idm_api_text(c->fmt),
						   "args", args, "ctx", ctx));
	}
	return a;
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

	if (!j || json_object_set_new(j, "said", said_json(f->said)) != 0) {
		json_decref(j);
		return IDM_ENOMEM;
	}
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

	return json_array_append_new(list,
				     json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "time",
					       idm_api_text(w->time), "who", idm_api_text(w->who),
					       "type", idm_api_text(w->type), "dn",
					       idm_api_text(w->dn), "attributes",
					       idm_api_text(w->attrs), "server",
					       idm_api_text(w->server))) == 0
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
			 N_("audit reconcile: since: \"%s\" is not a date (YYYY-MM-DD) or a time "
			    "(YYYYMMDDHHMMSSZ)"),
			 since_text);
		r = IDM_EINVAL;
	}
	if (r == IDM_OK)
		r = idm_reconcile(c->op->d, c->cfg, since, reconcile_one, list, &checked);
	json_object_set_new(c->result, "checked", json_integer(checked));
	json_object_set_new(c->result, "unexplained", list);
	return r;
}
