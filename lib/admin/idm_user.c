#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_mods.h"

#include "idm_account.h"
#include "idm_action.h"
#include "idm_approval.h"
#include "idm_effect.h"
#include "idm_exception.h"
#include "idm_secret.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_request.h"
#include "idm_time.h"
#include "idm_uid.h"
#include "idm_user.h"
#include "idm_i18n.h"

/* The checks every direct action shares: a valid uid, a role among roles,
 * an existing account, and R-PRIV-3.  Refusals are audited as action. */
static int prepare(struct idm_operator *op, const struct idm_config *cfg, const struct idm_log *log,
		   const char *action, const char *uid, unsigned roles, struct idm_account **a)
{
	const char *rule;
	char what[64];
	int r;

	*a = NULL;
	if (idm_uid_check(cfg, uid) < 0) {
		idm_logf(log, LOG_ERR, N_("\"%s\" is not a valid uid"), uid);
		return IDM_EINVAL;
	}
	snprintf(what, sizeof(what), "user %s", action);
	r = idm_operator_require(op, log, roles, what);
	if (r < 0)
		return idm_operator_refuse(op, cfg, log, action, uid, NULL, r, "role", NULL);
	r = idm_account_lookup(op->d, cfg, uid, a);
	if (r == IDM_ENOENT)
		idm_logf(log, LOG_ERR, N_("no account %s"), uid);
	if (r == IDM_OK && (rule = idm_sod_privileged(op->roles, (*a)->privileged))) {
		idm_account_free(*a);
		*a = NULL;
		r = idm_operator_refuse(op, cfg, log, action, uid, NULL, IDM_EDENIED, rule, NULL);
	}
	return r;
}

/* One direct action on account a: the change (m, with the action's mark
 * in the same modify) unless an earlier run of it made it already, then
 * its record (idm_action.h).  m is consumed. */
static int act(struct idm_operator *op, const struct idm_config *cfg, const struct idm_log *log,
	       const struct idm_account *a, const struct idm_audit_event *ev, struct idm_mods *m,
	       struct idm_action *done)
{
	struct idm_action own = { 0 }, *x = done ? done : &own;
	int r = idm_action_start(op, a->dn, ev, x);

	if (r == IDM_OK && !x->resumed) {
		idm_action_mark(x, m);
		r = idm_dir_apply(op->d, a->dn, m);
		m = NULL;
	}
	idm_mods_free(m);
	if (r == IDM_OK && !done)
		r = idm_action_finish(op, cfg, log, a->dn, x);
	idm_action_clear(&own);
	return r;
}

int idm_user_reset_password(struct idm_operator *op, const struct idm_config *cfg,
			    const struct idm_log *log, const char *uid, char **pw)
{
	static const struct idm_audit_event base = {
		.action = "reset-password",
		.outcome = "done",
		.detail = "temporary password issued",
	};
	struct idm_audit_event ev = base;
	struct idm_action x = { 0 };
	struct idm_account *a = NULL;
	struct idm_mods *m = NULL;
	int r = prepare(op, cfg, log, "reset-password", uid, 1u << IDM_ROLE_SYSTEM_ADMIN, &a);

	*pw = NULL;
	ev.subject = uid;
	/* A reset an earlier run made is recorded; its password was never
	 * shown, so this run issues another. */
	if (r == IDM_OK)
		r = idm_action_start(op, a->dn, &ev, &x);
	if (r == IDM_OK && x.resumed) {
		r = idm_action_finish(op, cfg, log, a->dn, &x);
		idm_action_clear(&x);
		if (r == IDM_OK)
			r = idm_action_start(op, NULL, &ev, &x);
	}
	if (r == IDM_OK)
		r = idm_effect_temp_password_changes(cfg, &m, pw);
	if (r == IDM_OK) {
		idm_action_mark(&x, m);
		r = idm_dir_apply(op->d, a->dn, m);
	} else {
		idm_mods_free(m);
	}
	if (r == IDM_OK)
		r = idm_effect_must_change(op->d, a->dn);
	if (r == IDM_OK)
		r = idm_action_finish(op, cfg, log, a->dn, &x);
	if (r < 0) {
		idm_secret_free(*pw);
		*pw = NULL;
	}
	idm_action_clear(&x);
	idm_account_free(a);
	return r;
}

int idm_user_expire_password(struct idm_operator *op, const struct idm_config *cfg,
			     const struct idm_log *log, const char *uid)
{
	struct idm_audit_event ev = { .action = "expire-password",
				      .subject = uid,
				      .outcome = "done" };
	struct idm_account *a = NULL;
	int r = prepare(op, cfg, log, "expire-password", uid,
			(1u << IDM_ROLE_SYSTEM_ADMIN) | (1u << IDM_ROLE_SECURITY_MANAGER), &a);

	if (r == IDM_OK) {
		/* slapd then restricts the user to a change (R-PW-2); an add,
		 * never a replace (officers may add pwdReset, not remove it) */
		struct idm_mods *m = idm_mods_new();

		if (!a->must_change)
			idm_mods_add(m, LDAP_MOD_ADD, "pwdReset", "TRUE");
		r = act(op, cfg, log, a, &ev, m, NULL);
	}
	idm_account_free(a);
	return r;
}

int idm_user_suspend(struct idm_operator *op, const struct idm_config *cfg,
		     const struct idm_log *log, const char *uid, const char *reason,
		     const char *manager, bool emergency, char exception_id[IDM_OBJECT_ID_LEN])
{
	struct idm_audit_event ev = { .action = "suspend", .subject = uid, .outcome = "done" };
	struct idm_action x = { 0 };
	struct idm_account *a = NULL;
	unsigned roles = 1u << IDM_ROLE_SECURITY_CHIEF;
	char text[1400], xid[IDM_OBJECT_ID_LEN] = "", nid[IDM_OBJECT_ID_LEN];
	int r;

	if (!reason || !*reason || strlen(reason) > 1024) {
		idm_logf(log, LOG_ERR, N_("suspend: needs a reason of 1 to 1024 bytes"));
		return IDM_EINVAL;
	}
	if (emergency)
		roles |= 1u << IDM_ROLE_SYSTEM_ADMIN;
	r = prepare(op, cfg, log, "suspend", uid, roles, &a);
	ev.detail = reason;
	if (r == IDM_OK)
		r = act(op, cfg, log, a, &ev, idm_effect_status_changes("suspended", reason, 0), &x);
	if (r < 0)
		goto out;
	/* R-EXC-2: an emergency action taken without the security_chief is
	 * an exception the CISO must acknowledge.  It and the notice take IDs
	 * of this action, so a rerun finds them instead of making twins. */
	if (emergency && !idm_operator_has(op, IDM_ROLE_SECURITY_CHIEF)) {
		idm_action_object_id(&x, 'X', 0, xid);
		r = idm_exception_add_as(op, cfg, log, uid, "suspend-without-security-chief",
					 reason, idm_time_add_days(x.time, 30), true, xid);
		if (r < 0)
			goto out;
	}
	snprintf(text, sizeof(text),
		 "%s suspended by %s%s: %s. To be notified: the CISO%s%s (R-VIO-1)%s%s", uid,
		 op->uid, emergency ? " (emergency)" : "", reason,
		 manager ? " and the manager " : "", manager ? manager : "",
		 *xid ? "; emergency exception " : "", xid);
	idm_action_object_id(&x, 'N', 1, nid);
	r = idm_effect_notice_to(op->d, cfg, op->dn, nid, "suspend", uid, text, manager);
	if (r == IDM_EEXIST)
		r = IDM_OK; /* made by the earlier run */
	if (r == IDM_OK) {
		idm_logf(log, LOG_NOTICE, "notice: %s", text);
		/* the record names the exception (the mark, written already,
		 * stays as it is: finishing removes exactly that value) */
		free(x.request_id);
		x.request_id = *xid ? strdup(xid) : NULL;
		r = *xid && !x.request_id ? IDM_ENOMEM : idm_action_finish(op, cfg, log, a->dn, &x);
	}
out:
	if (exception_id)
		snprintf(exception_id, IDM_OBJECT_ID_LEN, "%s", r == IDM_OK ? xid : "");
	idm_action_clear(&x);
	idm_account_free(a);
	return r;
}

int idm_user_unlock(struct idm_operator *op, const struct idm_config *cfg,
		    const struct idm_log *log, const char *uid)
{
	struct idm_audit_event ev = { .action = "unlock", .subject = uid, .outcome = "done" };
	struct idm_action x = { 0 };
	struct idm_account *a = NULL;
	struct idm_mods *m;
	int r = prepare(op, cfg, log, "unlock", uid, 1u << IDM_ROLE_SYSTEM_ADMIN, &a);

	if (r == IDM_OK) {
		m = idm_mods_new();
		idm_lockout_clear_changes(m);
		r = act(op, cfg, log, a, &ev, m, &x);
	}
	if (r == IDM_OK)
		r = idm_lockout_clear_server_lock(op->d, a->dn);
	if (r == IDM_OK)
		r = idm_action_finish(op, cfg, log, a->dn, &x);
	idm_action_clear(&x);
	idm_account_free(a);
	return r;
}

struct list {
	int (*each)(void *ctx, const struct idm_account *a);
	void *ctx;
};

static int list_one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct list *l = ctx;
	struct idm_account *a = NULL;
	int r;

	if (idm_account_from_entry(ld, e, &a) < 0)
		return IDM_OK; /* not an entry idmgr wrote */
	r = l->each(l->ctx, a);
	idm_account_free(a);
	return r;
}

int idm_user_list(struct idm_operator *op, const struct idm_config *cfg, const char *status,
		  const char *unit, bool privileged,
		  int (*each)(void *ctx, const struct idm_account *a), void *ctx)
{
	struct list l = { each, ctx };
	char *s = NULL, *u = NULL, *filter = NULL;
	int r = IDM_OK;

	/* Each term escaped on its own, then joined: no raw value anywhere. */
	if (status)
		r = idm_filter_fmt(&s, "(idmStatus=%s)", status);
	if (r == IDM_OK && unit)
		r = idm_filter_fmt(&u, "(departmentNumber=%s)", unit);
	if (r == IDM_OK && asprintf(&filter, "(&(objectClass=idmAccount)%s%s%s)", s ? s : "",
				    u ? u : "", privileged ? "(idmPrivileged=TRUE)" : "") < 0) {
		filter = NULL;
		r = IDM_ENOMEM;
	}
	if (r == IDM_OK)
		r = idm_dir_search_paged(op->d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter,
					 idm_account_attrs, 500, list_one, &l);
	free(s);
	free(u);
	free(filter);
	return r;
}

int idm_user_view(struct idm_dir *d, const struct idm_config *cfg, const char *uid, time_t now,
		  struct idm_user_view *out)
{
	static const char *const attrs[] = { "departmentNumber", "employeeType", NULL };
	const struct idm_policy *p;
	struct idm_lock_values v;
	LDAPMessage *res = NULL, *e;
	enum idm_lock_verdict lock;
	int r;

	*out = (struct idm_user_view){ .pwd_age_days = -1 };
	r = idm_account_lookup(d, cfg, uid, &out->a);
	if (r == IDM_OK)
		r = idm_dir_search(d, out->a->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1,
				   &res);
	if (r == IDM_OK && (e = ldap_first_entry(idm_dir_ldap(d), res))) {
		out->unit = idm_entry_value(idm_dir_ldap(d), e, "departmentNumber");
		out->employee_type = idm_entry_value(idm_dir_ldap(d), e, "employeeType");
	}
	ldap_msgfree(res);
	if (r < 0) {
		idm_user_view_clear(out);
		return r;
	}
	p = idm_account_policy(cfg, out->a);
	idm_lockout_values_of(out->a, &v);
	lock = p ? idm_lockout_verdict(p, &v, now) : IDM_LOCK_CHECK;
	if (lock == IDM_LOCK_HARD || (lock == IDM_LOCK_LOCKED && p->lockout_duration <= 0))
		out->until_unlocked = true;
	else if (lock == IDM_LOCK_LOCKED)
		out->locked_until = idm_lockout_latest_lock(&v) + (time_t)p->lockout_duration;
	if (out->a->pwd_changed && now >= out->a->pwd_changed)
		out->pwd_age_days = (long)((now - out->a->pwd_changed) / IDM_DAY);
	if (out->a->pwd_changed && p && p->max_age_days > 0)
		out->pwd_expires = idm_time_add_days(out->a->pwd_changed, p->max_age_days);
	return IDM_OK;
}

void idm_user_view_clear(struct idm_user_view *v)
{
	idm_account_free(v->a);
	free(v->unit);
	free(v->employee_type);
	*v = (struct idm_user_view){ .pwd_age_days = -1 };
}
