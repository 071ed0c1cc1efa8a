/* idm_apply_effects.c -- the effects of applying each request type: the
 * account made, moved, suspended, retired or deleted, the privilege granted
 * or revoked (idm_apply_effects.h).  Split from idm_apply.c. */
#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_account.h"
#include "idm_apply_effects.h"
#include "idm_effect.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_numbers.h"
#include "idm_ppolicy.h"
#include "idm_text.h"
#include "idm_i18n.h"

/* ------------------------------------------------------- shared effects */

static int account_dn(const struct apply *a, char **out)
{
	return idm_dn_child(out, "uid", a->form->uid, a->cfg->ldap.people_dn);
}

static int group_member(const struct apply *a, const char *cn, int op)
{
	return idm_effect_group(a->op->d, a->cfg, cn, a->form->uid, op == LDAP_MOD_ADD);
}

/* The registered account's first temporary password: of two runs of one
 * apply racing, only one writes it (and prints it); the other finds it
 * issued and prints none.  The claim is a compare-and-swap on
 * idmFirstPasswordIssued, FALSE until a password is issued (or absent,
 * for an account an older version made: then an add, which fails once a
 * value is there).  A run that died between claim and password leaves
 * none: "idmgr user reset-password" issues one.  (A claim retried on
 * another server after a failure cannot tell its own success from a
 * racing run's: both would issue; idm_dir.h.) */
#define CLAIM "idmFirstPasswordIssued"
#define NO_PASSWORD_YET "FALSE"
static int issue_first_password(const struct apply *a)
{
	struct idm_mods *m = idm_mods_new();
	char *dn = NULL;
	int r = account_dn(a, &dn);

	idm_mods_add(m, LDAP_MOD_DELETE, CLAIM, NO_PASSWORD_YET);
	idm_mods_add(m, LDAP_MOD_ADD, CLAIM, "TRUE");
	if (r == IDM_OK) {
		r = idm_dir_apply(a->op->d, dn, m);
		m = NULL;
	}
	if (r == IDM_ENOVALUE) {
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_ADD, CLAIM, "TRUE");
		r = idm_dir_apply(a->op->d, dn, m);
		m = NULL;
		if (r == IDM_ESCHEMA)
			r = IDM_EEXIST; /* single-valued and set: claimed */
	}
	if (r == IDM_OK)
		r = idm_effect_temp_password(a->op->d, a->cfg, dn, &a->res->temp_password);
	else if (r == IDM_EEXIST) {
		idm_logf(a->log, LOG_INFO,
			 N_("%s: the temporary password was issued by another run of %s"),
			 a->form->uid, a->req->id);
		r = IDM_OK;
	}
	idm_mods_free(m);
	free(dn);
	return r;
}

/* The uidNumber this request gives: allocated once and written on the
 * request, so a rerun (or a concurrent run) uses the same number. */
static int request_uid_number(struct apply *a, long *out)
{
	char mark[40];
	long n, best = -1;
	int r;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < a->req->n_done; i++)
			if (sscanf(a->req->done[i], "uidNumber=%ld", &n) == 1 &&
			    (best < 0 || n < best))
				best = n;
		if (best >= 0 || pass == 1)
			break;
		r = idm_number_alloc(a->op->d, a->cfg, IDM_UID_NUMBER, &n);
		if (r < 0)
			return r;
		snprintf(mark, sizeof(mark), "uidNumber=%ld", n);
		r = idm_request_mark_done(a->op->d, a->req, mark);
		if (r < 0)
			return r;
		/* re-read: a concurrent run may have marked a smaller number */
		{
			struct idm_request *fresh = NULL;
			r = idm_request_get(a->op->d, a->cfg, a->req->id, &fresh);
			if (r < 0)
				return r;
			idm_request_free(a->req);
			a->req = fresh;
		}
	}
	if (best < 0)
		return IDM_EDIR;
	*out = best;
	return IDM_OK;
}

/* The request that created an existing account, or NULL. */
static char *creating_request(const struct apply *a, const char *dn)
{
	static const char *const attrs[] = { "idmRequestId", NULL };
	LDAPMessage *res = NULL, *e;
	char *v = NULL;

	if (idm_dir_search(a->op->d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res) ==
	    IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(a->op->d), res);
		v = e ? idm_entry_value(idm_dir_ldap(a->op->d), e, "idmRequestId") : NULL;
	}
	ldap_msgfree(res);
	return v;
}

/* ------------------------------------------------------------ register */

static int apply_register(struct apply *a)
{
	const struct idm_form *f = a->form;
	const struct idm_unit *unit = idm_config_unit(a->cfg, f->unit);
	struct idm_mods *m = NULL;
	char *dn = NULL, *gid = NULL, *owner = NULL, *cn = NULL;
	long uidnum = -1;
	int r;

	r = account_dn(a, &dn);
	if (r == IDM_OK)
		r = request_uid_number(a, &uidnum);
	if (r == IDM_OK)
		r = idm_primary_gid(a->op->d, a->cfg, &gid);
	if (r < 0)
		goto out;
	r = idm_dir_exists(a->op->d, dn);
	if (r == IDM_OK) {
		owner = creating_request(a, dn);
		if (!owner || strcmp(owner, a->req->id) != 0) {
			idm_logf(a->log, LOG_ERR,
				 N_("uid %s was taken by another request meanwhile"), f->uid);
			r = IDM_ESTATE;
			goto out;
		}
		/* created by an earlier, interrupted run of this request */
	} else if (r == IDM_ENOENT) {
		if (asprintf(&cn, "%s %s", f->given_name, f->surname) < 0) {
			cn = NULL;
			r = IDM_ENOMEM;
			goto out;
		}
		m = idm_effect_new_account(&(struct idm_new_account){
			.uid = f->uid,
			.cn = cn,
			.sn = f->surname,
			.given_name = f->given_name,
			.mail = f->mail,
			.unit = f->unit,
			.employee_type = f->employee_type,
			.uid_number = uidnum,
			.gid_number = gid,
		});
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", a->req->id);
		idm_mods_add(m, LDAP_MOD_ADD, CLAIM, NO_PASSWORD_YET);
		if (f->valid_until)
			idm_effect_valid_until(m, LDAP_MOD_ADD, f->valid_until);
		for (size_t i = 0; i < f->n_shared_with; i++)
			idm_mods_add(m, LDAP_MOD_ADD, "idmSharedWith", f->shared_with[i]);
		r = idm_dir_apply_add(a->op->d, dn, m);
		m = NULL;
		if (r == IDM_EEXIST) { /* a concurrent run of the same request won */
			owner = creating_request(a, dn);
			r = owner && strcmp(owner, a->req->id) == 0 ? IDM_OK : IDM_ESTATE;
		}
		if (r < 0)
			goto out;
	} else {
		goto out;
	}
	/* The unit's groups; regular staff also get regular_staff_groups
	 * (R-REG-6); other types only the groups the form names. */
	for (size_t i = 0; r == IDM_OK && unit && i < unit->n_groups; i++)
		r = group_member(a, unit->groups[i], LDAP_MOD_ADD);
	for (size_t i = 0; r == IDM_OK && strcmp(f->employee_type, "regular") == 0 &&
			   i < a->cfg->n_regular_staff_groups;
	     i++)
		r = group_member(a, a->cfg->regular_staff_groups[i], LDAP_MOD_ADD);
	for (size_t i = 0; r == IDM_OK && i < f->n_groups; i++)
		r = group_member(a, f->groups[i], LDAP_MOD_ADD);
	if (r == IDM_OK && !idm_request_is_done(a->req, "password")) {
		r = issue_first_password(a);
		if (r == IDM_OK)
			r = idm_request_mark_done(a->op->d, a->req, "password");
	}
	if (r == IDM_OK && asprintf(&a->res->summary, "registered %s (uidNumber %ld, unit %s)",
				    f->uid, uidnum, f->unit) < 0) {
		a->res->summary = NULL;
		r = IDM_ENOMEM;
	}
out:
	idm_mods_free(m);
	free(dn);
	free(gid);
	free(owner);
	free(cn);
	return r;
}

/* ------------------------------------------------ movers and leavers */

/* What was done, for people: res->summary. */
#define SUMMARY(a, ...)                                                                         \
	(asprintf(&(a)->res->summary, __VA_ARGS__) < 0 ? ((a)->res->summary = NULL, IDM_ENOMEM) \
						       : IDM_OK)

static int existing_account(struct apply *a, struct idm_account **acct)
{
	int r = idm_account_lookup(a->op->d, a->cfg, a->form->uid, acct);

	if (r == IDM_ENOENT)
		idm_logf(a->log, LOG_ERR, N_("no account %s"), a->form->uid);
	return r;
}

/* Groups the account keeps whatever its unit: the unit's, the regular
 * staff's (R-REG-6) and those the form names again. */
static bool keeps(const struct apply *a, const char *cn, const char *unit, const char *type)
{
	const struct idm_unit *u = unit ? idm_config_unit(a->cfg, unit) : NULL;

	return (u && idm_effect_in(cn, u->groups, u->n_groups)) ||
	       (type && strcmp(type, "regular") == 0 &&
		idm_effect_in(cn, a->cfg->regular_staff_groups, a->cfg->n_regular_staff_groups)) ||
	       idm_effect_in(cn, a->form->groups, a->form->n_groups);
}

/* Leaves exactly the groups keeps() allows, and joins those of them it
 * lacks (R-REG-5). */
static int regroup(struct apply *a, const char *unit, const char *type)
{
	const struct idm_unit *u = unit ? idm_config_unit(a->cfg, unit) : NULL;
	char **now = NULL;
	size_t n = 0;
	int r = idm_effect_groups_of(a->op->d, a->cfg, a->form->uid, &now, &n);

	for (size_t i = 0; r == IDM_OK && i < n; i++)
		if (!keeps(a, now[i], unit, type))
			r = group_member(a, now[i], LDAP_MOD_DELETE);
	for (size_t i = 0; r == IDM_OK && u && i < u->n_groups; i++)
		r = group_member(a, u->groups[i], LDAP_MOD_ADD);
	for (size_t i = 0; r == IDM_OK && type && strcmp(type, "regular") == 0 &&
			   i < a->cfg->n_regular_staff_groups;
	     i++)
		r = group_member(a, a->cfg->regular_staff_groups[i], LDAP_MOD_ADD);
	for (size_t i = 0; r == IDM_OK && i < a->form->n_groups; i++)
		r = group_member(a, a->form->groups[i], LDAP_MOD_ADD);
	idm_strv_free(now, n);
	return r;
}

static char *account_unit(const struct apply *a, const char *dn, const char *attr)
{
	const char *attrs[] = { attr, NULL };
	LDAPMessage *res = NULL, *e;
	char *v = NULL;

	if (idm_dir_search(a->op->d, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, &res) ==
	    IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(a->op->d), res);
		v = e ? idm_entry_value(idm_dir_ldap(a->op->d), e, attr) : NULL;
	}
	ldap_msgfree(res);
	return v;
}

static int apply_modify(struct apply *a)
{
	const struct idm_form *f = a->form;
	struct idm_account *acct = NULL;
	struct idm_mods *m = idm_mods_new();
	char *unit = NULL, *type = NULL, *cn = NULL;
	int r = existing_account(a, &acct);

	if (r < 0)
		goto out;
	if (f->given_name)
		idm_mods_add(m, LDAP_MOD_REPLACE, "givenName", f->given_name);
	if (f->surname)
		idm_mods_add(m, LDAP_MOD_REPLACE, "sn", f->surname);
	if (f->given_name && f->surname) {
		if (asprintf(&cn, "%s %s", f->given_name, f->surname) < 0) {
			cn = NULL;
			r = IDM_ENOMEM;
			goto out;
		}
		idm_mods_add(m, LDAP_MOD_REPLACE, "cn", cn);
	}
	if (f->mail)
		idm_mods_add(m, LDAP_MOD_REPLACE, "mail", f->mail);
	if (f->employee_type)
		idm_mods_add(m, LDAP_MOD_REPLACE, "employeeType", f->employee_type);
	if (f->valid_until)
		idm_effect_valid_until(m, LDAP_MOD_REPLACE, f->valid_until);
	for (size_t i = 0; i < f->n_shared_with; i++)
		idm_mods_add(m, LDAP_MOD_REPLACE, "idmSharedWith", f->shared_with[i]);
	/* A change that could not be built is an error, never "nothing to
	 * change": the request must not become applied without it. */
	r = idm_dir_apply(a->op->d, acct->dn, m);
	m = NULL;
	if (r == IDM_OK) {
		unit = account_unit(a, acct->dn, "departmentNumber");
		type = account_unit(a, acct->dn, "employeeType");
		/* A form naming groups replaces the individually granted ones
		 * (idmgr-request(5)); non-regular staff lose the regular-staff
		 * groups unless the form names them (R-REG-6). */
		if (f->n_groups > 0)
			r = regroup(a, unit, type);
		for (size_t i = 0; r == IDM_OK && (!type || strcmp(type, "regular") != 0) &&
				   i < a->cfg->n_regular_staff_groups;
		     i++)
			if (!idm_effect_in(a->cfg->regular_staff_groups[i], f->groups, f->n_groups))
				r = group_member(a, a->cfg->regular_staff_groups[i],
						 LDAP_MOD_DELETE);
	}
	if (r == IDM_OK)
		r = SUMMARY(a, "modified %s", a->form->uid);
out:
	idm_mods_free(m);
	idm_account_free(acct);
	free(unit);
	free(type);
	free(cn);
	return r;
}

static int apply_transfer(struct apply *a)
{
	struct idm_account *acct = NULL;
	struct idm_mods *m;
	char *type = NULL;
	int r = existing_account(a, &acct);

	if (r < 0)
		return r;
	type = account_unit(a, acct->dn, "employeeType");
	r = regroup(a, a->form->to_unit, type);
	if (r == IDM_OK) {
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_REPLACE, "departmentNumber", a->form->to_unit);
		r = idm_dir_apply(a->op->d, acct->dn, m);
	}
	if (r == IDM_OK)
		r = SUMMARY(a, "transferred %s to %s", a->form->uid, a->form->to_unit);
	free(type);
	idm_account_free(acct);
	return r;
}

static int apply_status(struct apply *a, const char *status, time_t until)
{
	struct idm_account *acct = NULL;
	char reason[128];
	int r = existing_account(a, &acct);

	snprintf(reason, sizeof(reason), "%s: request %s",
		 a->req->type == IDM_REQ_RETURN ? "returned" : status, a->req->id);
	if (r == IDM_OK)
		r = idm_effect_status(a->op->d, acct->dn, status, reason, until);
	if (r == IDM_OK)
		r = SUMMARY(a, "%s is %s%s", a->form->uid, status,
			    until ? " until the return date; groups kept, logins refused" : "");
	idm_account_free(acct);
	return r;
}

static int apply_secondment(struct apply *a)
{
	return apply_status(a, "seconded", a->form->until);
}

static int apply_return(struct apply *a)
{
	return apply_status(a, "active", 0);
}

/* R-REG-5: at once unusable, every group and role removed, the entry kept
 * for the record. */
static int apply_retire(struct apply *a)
{
	struct idm_account *acct = NULL;
	char reason[128], **groups = NULL;
	size_t n = 0;
	int r = existing_account(a, &acct);

	snprintf(reason, sizeof(reason), "retired: request %s", a->req->id);
	if (r == IDM_OK)
		r = idm_effect_status(a->op->d, acct->dn, "retired", reason, 0);
	if (r == IDM_OK)
		r = idm_effect_no_password(a->op->d, acct->dn);
	if (r == IDM_OK)
		r = idm_effect_groups_of(a->op->d, a->cfg, a->form->uid, &groups, &n);
	for (size_t i = 0; r == IDM_OK && i < n; i++)
		r = group_member(a, groups[i], LDAP_MOD_DELETE);
	for (int role = 0; r == IDM_OK && role < IDM_ROLE_COUNT; role++)
		r = idm_effect_role(a->op->d, a->cfg, (enum idm_role)role, acct->dn, false);
	if (r == IDM_OK)
		r = SUMMARY(a, "retired %s: password removed, every group and role removed",
			    a->form->uid);
	idm_strv_free(groups, n);
	idm_account_free(acct);
	return r;
}

/* R-REG-3: only a retired entry is deleted. */
static int apply_delete(struct apply *a)
{
	struct idm_account *acct = NULL;
	int r = idm_account_lookup(a->op->d, a->cfg, a->form->uid, &acct);

	if (r == IDM_ENOENT) /* deleted by an earlier run */
		return SUMMARY(a, "deleted %s", a->form->uid);
	if (r == IDM_OK && (!acct->status || strcmp(acct->status, "retired") != 0)) {
		idm_logf(a->log, LOG_ERR, N_("%s is not retired: retire it first (R-REG-3)"),
			 a->form->uid);
		r = IDM_ESTATE;
	}
	if (r == IDM_OK)
		r = idm_dir_delete(a->op->d, acct->dn);
	if (r == IDM_OK || r == IDM_ENOENT)
		r = SUMMARY(a, "deleted %s", a->form->uid);
	idm_account_free(acct);
	return r;
}

/* R-PRIV-2: the ID becomes privileged (and joins an officer role when the
 * form names one); the officers are notified. */
static int apply_privilege(struct apply *a, bool grant)
{
	struct idm_account *acct = NULL;
	struct idm_mods *m = idm_mods_new();
	int role = a->form->role ? idm_role_from_name(a->form->role) : -1;
	char text[512], *subentry = NULL;
	int r = existing_account(a, &acct);

	if (r < 0)
		goto out;
	/* slapd applies the privileged policy through pwdPolicySubentry
	 * (R-PRIV-4), kept in step with idmPrivileged here, in one modify;
	 * a policy the entry names itself (idmPolicy) still wins. */
	r = idm_ppolicy_subentry(a->cfg,
				 acct->policy ? acct->policy
				 : grant      ? "privileged"
					      : IDM_PPOLICY_DEFAULT,
				 &subentry);
	if (r < 0)
		goto out;
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmPrivileged", grant ? "TRUE" : NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmPrivilegeRequest", grant ? a->req->id : NULL);
	idm_mods_add(m, LDAP_MOD_REPLACE, "pwdPolicySubentry", subentry);
	r = idm_dir_apply(a->op->d, acct->dn, m);
	m = NULL;
	if (r == IDM_OK && role >= 0)
		r = idm_effect_role(a->op->d, a->cfg, (enum idm_role)role, acct->dn, grant);
	snprintf(text, sizeof(text), "%s %s privileged%s%s by request %s",
		 grant ? "granted:" : "revoked:", a->form->uid, role >= 0 ? ", role " : "",
		 role >= 0 ? a->form->role : "", a->req->id);
	/* One notice however often an interrupted apply is run again. */
	if (r == IDM_OK && !idm_request_is_done(a->req, "notice")) {
		r = idm_effect_notice(a->op->d, a->cfg, a->op->dn,
				      grant ? "grant-privilege" : "revoke-privilege", a->form->uid,
				      text);
		if (r == IDM_OK)
			r = idm_request_mark_done(a->op->d, a->req, "notice");
		if (r == IDM_OK)
			idm_logf(a->log, LOG_NOTICE, N_("notice to the CISO and the officers: %s"),
				 text);
	}
	if (r == IDM_OK)
		r = SUMMARY(a, "%s is %sprivileged", a->form->uid, grant ? "" : "no longer ");
out:
	free(subentry);
	idm_mods_free(m);
	idm_account_free(acct);
	return r;
}

static int apply_grant(struct apply *a)
{
	return apply_privilege(a, true);
}

static int apply_revoke(struct apply *a)
{
	return apply_privilege(a, false);
}

/* ------------------------------------------------------------ dispatch */

static const struct {
	enum idm_request_type type;
	int (*effect)(struct apply *a);
} effects[] = {
	{ IDM_REQ_REGISTER, apply_register },       { IDM_REQ_MODIFY, apply_modify },
	{ IDM_REQ_TRANSFER, apply_transfer },       { IDM_REQ_SECONDMENT, apply_secondment },
	{ IDM_REQ_RETURN, apply_return },           { IDM_REQ_RETIRE, apply_retire },
	{ IDM_REQ_DELETE, apply_delete },           { IDM_REQ_GRANT_PRIVILEGE, apply_grant },
	{ IDM_REQ_REVOKE_PRIVILEGE, apply_revoke },
};

int (*idm_apply_effect_of(enum idm_request_type type))(struct apply *a)
{
	for (size_t i = 0; i < sizeof(effects) / sizeof(effects[0]); i++)
		if (effects[i].type == type)
			return effects[i].effect;
	return NULL;
}
