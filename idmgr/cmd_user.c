/* idmgr user ...: direct operator actions on accounts (contract §7). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "idm_account.h"
#include "idm_lockout.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_escape.h"
#include "idm_operator.h"
#include "idm_shared.h"
#include "idm_time.h"
#include "idm_user.h"

static json_t *account_json(const struct idm_config *cfg, const struct idm_account *a)
{
	const struct idm_policy *p = idm_account_policy(cfg, a);
	char login[IDM_GENTIME_LEN], logout[IDM_GENTIME_LEN], locked[IDM_GENTIME_LEN],
		changed[IDM_GENTIME_LEN], until[IDM_GENTIME_LEN];

	output_time(a->last_login, login);
	output_time(a->last_logout, logout);
	output_time(idm_lockout_locked_since(idm_account_policy(cfg, a), a, time(NULL)), locked);
	output_time(a->pwd_changed, changed);
	output_time(a->valid_until, until);
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:b, s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:I}",
			 "uid", a->uid, "dn", a->dn, "status", a->status ? a->status : "",
			 "privileged", a->privileged, "policy", p ? p->name : "", "must_change",
			 a->must_change, "failures", (json_int_t)a->failure_count, "locked_since",
			 locked, "password_changed", changed, "valid_until", until, "last_login",
			 login, "last_login_host", a->last_host, "last_logout", logout,
			 "logins_since_change", (json_int_t)a->login_count);
}

#define LABEL_WIDTH 14

/* One "label  value" line of user show, the label in the reader's
 * language. */
static void line(const char *label, const char *value)
{
	output_label(stdout, label, LABEL_WIDTH);
	printf("%s\n", value);
}

/* The end of the lock in force, for people: a time, "until an officer
 * unlocks", or "-". */
static const char *lock_end_text(const struct idm_user_view *v, char buf[IDM_GENTIME_LEN])
{
	if (v->until_unlocked)
		return _("until an officer unlocks");
	output_time(v->locked_until, buf);
	return buf;
}

/* user show's keys beyond user list's: unit, employee type, the end of the
 * lock, the password's age and expiry (R-ID-1, R-PW-3). */
static void view_json(json_t *o, const struct idm_user_view *v)
{
	char until[IDM_GENTIME_LEN], expires[IDM_GENTIME_LEN];

	output_time(v->locked_until, until);
	output_time(v->pwd_expires, expires);
	json_object_set_new(o, "unit", v->unit ? json_string(v->unit) : json_null());
	json_object_set_new(o, "employee_type",
			    v->employee_type ? json_string(v->employee_type) : json_null());
	json_object_set_new(o, "locked_until", json_string(until));
	json_object_set_new(o, "locked_until_unlock", json_boolean(v->until_unlocked));
	json_object_set_new(o, "password_age_days",
			    v->pwd_age_days < 0 ? json_null() : json_integer(v->pwd_age_days));
	json_object_set_new(o, "password_expires", json_string(expires));
}

/* The same for a value as the directory has it (it may hold escape
 * sequences, written around idmgr): shown by output_text(). */
static void line_text(const char *label, const char *value)
{
	output_label(stdout, label, LABEL_WIDTH);
	output_text(stdout, value);
	putchar('\n');
}

static void show_text(const struct idm_config *cfg, const struct idm_user_view *v)
{
	const struct idm_account *a = v->a;
	const struct idm_policy *p = idm_account_policy(cfg, a);
	char login[IDM_GENTIME_LEN], logout[IDM_GENTIME_LEN], locked[IDM_GENTIME_LEN],
		changed[IDM_GENTIME_LEN], until[IDM_GENTIME_LEN], host[4 * IDM_HOST_MAX + 1],
		end[IDM_GENTIME_LEN], expires[IDM_GENTIME_LEN];

	output_time(a->last_login, login);
	output_time(a->last_logout, logout);
	output_time(idm_lockout_locked_since(idm_account_policy(cfg, a), a, time(NULL)), locked);
	output_time(a->pwd_changed, changed);
	output_time(a->valid_until, until);
	/* a stored host may hold escape sequences (written around idmgr) */
	idm_printable(a->last_host ? a->last_host : "-", "", host, sizeof(host));
	line(_("uid"), a->uid);
	line(_("dn"), a->dn);
	line(_("status"), a->status ? idm_trc("account status", a->status) : "-");
	line_text(_("unit"), v->unit ? v->unit : "-");
	line_text(_("employee type"), v->employee_type ? v->employee_type : "-");
	line(_("privileged"), a->privileged ? _("yes") : _("no"));
	line(_("policy"), p ? p->name : _("(missing)"));
	line(_("must change"), a->must_change ? _("yes") : _("no"));
	output_label(stdout, _("failures"), LABEL_WIDTH);
	printf("%ld\n", a->failure_count);
	line(_("locked since"), locked);
	line(_("locked until"), lock_end_text(v, end));
	line(_("pw changed"), changed);
	output_label(stdout, _("pw age"), LABEL_WIDTH);
	if (v->pwd_age_days < 0)
		printf("-\n");
	else
		printf(P_("%ld day\n", "%ld days\n", v->pwd_age_days), v->pwd_age_days);
	if (v->pwd_expires)
		output_time(v->pwd_expires, expires);
	line(_("pw expires"), v->pwd_expires ? expires : _("never"));
	line(_("valid until"), until);
	output_label(stdout, _("last login"), LABEL_WIDTH);
	printf(_("%s from %s\n"), login, host);
	line(_("last logout"), logout);
}

struct list_ctx {
	const struct idm_config *cfg;
	enum output_format format;
	json_t *array;
};

static int list_one(void *ctx, const struct idm_account *a)
{
	struct list_ctx *l = ctx;
	char login[IDM_GENTIME_LEN], locked[IDM_GENTIME_LEN];

	output_time(a->last_login, login);
	output_time(idm_lockout_locked_since(idm_account_policy(l->cfg, a), a, time(NULL)), locked);
	if (l->format == OUTPUT_JSON) {
		json_array_append_new(l->array, account_json(l->cfg, a));
	} else if (l->format == OUTPUT_CSV) {
		output_csv(stdout, a->uid, 0);
		output_csv(stdout, a->status, 0);
		output_csv(stdout, a->privileged ? "yes" : "no", 0);
		output_csv(stdout, login, 0);
		output_csv(stdout, locked, 1);
	} else {
		/* the status in the reader's language, padded by display columns */
		printf("%-16s ", a->uid);
		output_label(stdout, a->status ? idm_trc("account status", a->status) : "-", 11);
		printf(_("%-4s last login %-16s locked %s\n"), a->privileged ? _("priv") : "",
		       login, locked);
	}
	return IDM_OK;
}

int cmd_user_list(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct list_ctx l = {
		c->cfg,
		ctx->format,
		output_list_begin(ctx->format, "uid,status,privileged,last_login,locked_since"),
	};
	int r = idm_user_list(c->op, c->cfg, cmd_opt(c, "status"), cmd_opt(c, "unit"),
			      cmd_flag(c, "privileged"), list_one, &l);

	return output_list_end(l.format, l.array, r);
}

int cmd_user_show(struct cmd_ctx *ctx, struct cmd_call *c)
{
	struct idm_user_view v;
	struct idm_shared *sh = NULL;
	int r = idm_user_view(c->op->d, c->cfg, c->arg, time(NULL), &v);

	if (r == IDM_OK)
		r = idm_shared_of(c->op->d, c->cfg, c->arg, &sh);
	if (r == IDM_OK && ctx->format == OUTPUT_JSON) {
		json_t *o = account_json(c->cfg, v.a);
		view_json(o, &v);
		json_object_set_new(o, "shared_with", output_holders_json(sh));
		output_json(stdout, o);
	} else if (r == IDM_OK) {
		show_text(c->cfg, &v);
		output_label(stdout, _("shared with"), LABEL_WIDTH);
		output_holders(stdout, sh);
		putchar('\n');
	}
	idm_shared_free(sh);
	idm_user_view_clear(&v); /* (empty when the lookup failed) */
	if (r == IDM_ENOENT)
		idm_logf(&ctx->log, LOG_ERR, "no account %s", c->arg);
	return r;
}

int cmd_user_reset_password(struct cmd_ctx *ctx, struct cmd_call *c)
{
	const char *uid = c->arg, *pw;
	json_t *res = NULL;
	int r = client_call(ctx, c->cfg, "user.reset-password", json_pack("{s:s}", "uid", uid),
			    &res);

	pw = json_string_value(json_object_get(res, "temporary_password"));
	if (r == IDM_OK && !pw)
		r = IDM_EDIR;
	if (r == IDM_OK && ctx->format == OUTPUT_JSON)
		output_json(stdout, json_pack("{s:s, s:s}", "uid", uid, "temporary_password", pw));
	else if (r == IDM_OK)
		printf(_("temporary password for %s: %s (shown once; it must be changed at the "
			 "next login)\n"),
		       uid, pw);
	json_decref(res);
	return r;
}

/* user unlock, expire-password, suspend: the service's answer is the
 * outcome. */
int cmd_user_action(struct cmd_ctx *ctx, struct cmd_call *c)
{
	const char *verb = c->verb->verb, *uid = c->arg, *xid;
	bool emergency = cmd_flag(c, "emergency");
	json_t *res = NULL, *args;
	char op[32];
	int r;

	if (strcmp(verb, "suspend") == 0)
		args = json_pack("{s:s, s:s?, s:s?, s:b}", "uid", uid, "reason",
				 cmd_opt(c, "reason"), "manager", cmd_opt(c, "manager"),
				 "emergency", emergency);
	else
		args = json_pack("{s:s}", "uid", uid);
	snprintf(op, sizeof(op), "user.%s", verb);
	r = client_call(ctx, c->cfg, op, args, &res);
	if (r == IDM_OK && strcmp(verb, "unlock") == 0)
		printf(_("%s: unlocked\n"), uid);
	else if (r == IDM_OK && strcmp(verb, "expire-password") == 0)
		printf(_("%s: must change the password at the next login\n"), uid);
	else if (r == IDM_OK && (xid = json_string_value(json_object_get(res, "exception"))))
		printf(_("%s: suspended; emergency exception %s recorded, for the CISO to "
			 "acknowledge\n"),
		       uid, xid);
	else if (r == IDM_OK) /* no exception: none is needed (a security_chief) */
		printf(_("%s: suspended\n"), uid);
	json_decref(res);
	return r;
}
