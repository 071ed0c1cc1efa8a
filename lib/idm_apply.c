#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_apply.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_numbers.h"
#include "idm_passhash.h"
#include "idm_random.h"
#include "idm_secret.h"
#include "idm_time.h"

struct apply {
	struct idm_operator *op;
	const struct idm_config *cfg;
	const struct idm_log *log;
	struct idm_request *req;
	struct idm_form *form;
	struct idm_apply_result *res;
};

/* ------------------------------------------------------- shared effects */

static int account_dn(const struct apply *a, char **out)
{
	return idm_dn_child(out, "uid", a->form->uid, a->cfg->ldap.people_dn);
}

/* Adds (or, with LDAP_MOD_DELETE, removes) uid as memberUid of group cn;
 * a membership already as wanted is no error. */
static int group_member(const struct apply *a, const char *cn, int op)
{
	struct idm_mods *m = idm_mods_new();
	char *dn = NULL;
	int r = idm_dn_child(&dn, "cn", cn, a->cfg->ldap.groups_dn);

	idm_mods_add(m, op, "memberUid", a->form->uid);
	if (r == IDM_OK)
		r = idm_mods_array(m) ? idm_dir_modify(a->op->d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r < 0 && (idm_dir_last_result(a->op->d) == LDAP_TYPE_OR_VALUE_EXISTS ||
		      idm_dir_last_result(a->op->d) == LDAP_NO_SUCH_ATTRIBUTE))
		r = IDM_OK;
	idm_mods_free(m);
	free(dn);
	return r;
}

/* A fresh temporary password, flagged must-change (R-PW-4); printed once
 * by the caller, never stored in clear or logged. */
static int issue_temp_password(const struct apply *a)
{
	struct idm_mods *m = NULL;
	char *pw = NULL, *hash = NULL, *dn = NULL, now[IDM_GENTIME_LEN];
	int r = idm_random_password((size_t)a->cfg->registration.temp_password_length, &pw);

	if (r == IDM_OK)
		r = idm_hash_password(&a->cfg->argon2, pw, strlen(pw), &hash);
	if (r == IDM_OK)
		r = account_dn(a, &dn);
	if (r < 0)
		goto out;
	idm_time_format(time(NULL), now);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_REPLACE, "userPassword", hash);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmMustChange", "TRUE");
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmPwdChangedTime", now);
	idm_mods_add(m, LDAP_MOD_REPLACE, "idmLoginCount", "0");
	r = idm_mods_array(m) ? idm_dir_modify(a->op->d, dn, idm_mods_array(m)) : IDM_ENOMEM;
	if (r == IDM_OK) {
		a->res->temp_password = pw;
		pw = NULL;
	}
out:
	idm_mods_free(m);
	idm_secret_free(pw);
	idm_secret_free(hash);
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
			if (sscanf(a->req->done[i], "uidNumber=%ld", &n) == 1 && (best < 0 || n < best))
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

static int primary_gid(const struct apply *a, char **out)
{
	static const char *const attrs[] = { "gidNumber", NULL };
	LDAPMessage *res = NULL, *e;
	char *dn = NULL;
	int r = idm_dn_child(&dn, "cn", a->cfg->registration.primary_group, a->cfg->ldap.groups_dn);

	*out = NULL;
	if (r == IDM_OK)
		r = idm_dir_search(a->op->d, dn, LDAP_SCOPE_BASE, "(objectClass=posixGroup)", attrs, 1,
				   &res);
	if (r == IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(a->op->d), res);
		*out = e ? idm_entry_value(idm_dir_ldap(a->op->d), e, "gidNumber") : NULL;
		if (!*out)
			r = IDM_ENOENT;
	}
	ldap_msgfree(res);
	free(dn);
	return r;
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
	char *dn = NULL, *gid = NULL, *owner = NULL, *home = NULL, *cn = NULL, uidn[24],
	     until[IDM_GENTIME_LEN];
	long uidnum = -1;
	int r;

	r = account_dn(a, &dn);
	if (r == IDM_OK)
		r = request_uid_number(a, &uidnum);
	if (r == IDM_OK)
		r = primary_gid(a, &gid);
	if (r < 0)
		goto out;
	r = idm_dir_exists(a->op->d, dn);
	if (r == IDM_OK) {
		owner = creating_request(a, dn);
		if (!owner || strcmp(owner, a->req->id) != 0) {
			idm_logf(a->log, LOG_ERR, "uid %s was taken by another request meanwhile", f->uid);
			r = IDM_ESTATE;
			goto out;
		}
		/* created by an earlier, interrupted run of this request */
	} else if (r == IDM_ENOENT) {
		snprintf(uidn, sizeof(uidn), "%ld", uidnum);
		if (asprintf(&home, "/home/%s", f->uid) < 0 ||
		    asprintf(&cn, "%s %s", f->given_name, f->surname) < 0) {
			home = cn = NULL;
			r = IDM_ENOMEM;
			goto out;
		}
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "inetOrgPerson");
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "posixAccount");
		idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmAccount");
		idm_mods_add(m, LDAP_MOD_ADD, "uid", f->uid);
		idm_mods_add(m, LDAP_MOD_ADD, "cn", cn);
		idm_mods_add(m, LDAP_MOD_ADD, "sn", f->surname);
		idm_mods_add(m, LDAP_MOD_ADD, "givenName", f->given_name);
		if (f->mail)
			idm_mods_add(m, LDAP_MOD_ADD, "mail", f->mail);
		idm_mods_add(m, LDAP_MOD_ADD, "departmentNumber", f->unit);
		idm_mods_add(m, LDAP_MOD_ADD, "employeeType", f->employee_type);
		idm_mods_add(m, LDAP_MOD_ADD, "uidNumber", uidn);
		idm_mods_add(m, LDAP_MOD_ADD, "gidNumber", gid);
		idm_mods_add(m, LDAP_MOD_ADD, "homeDirectory", home);
		idm_mods_add(m, LDAP_MOD_ADD, "loginShell", "/bin/bash");
		idm_mods_add(m, LDAP_MOD_ADD, "idmStatus", "active");
		idm_mods_add(m, LDAP_MOD_ADD, "idmMustChange", "TRUE");
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", a->req->id);
		if (f->valid_until) {
			idm_time_format(f->valid_until, until);
			idm_mods_add(m, LDAP_MOD_ADD, "idmValidUntil", until);
		}
		for (size_t i = 0; i < f->n_shared_with; i++)
			idm_mods_add(m, LDAP_MOD_ADD, "idmSharedWith", f->shared_with[i]);
		r = idm_mods_array(m) ? idm_dir_add(a->op->d, dn, idm_mods_array(m)) : IDM_ENOMEM;
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
		r = issue_temp_password(a);
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
	free(home);
	free(cn);
	return r;
}

/* ------------------------------------------------------------ dispatch */

static const struct {
	enum idm_request_type type;
	int (*effect)(struct apply *a);
} effects[] = {
	{ IDM_REQ_REGISTER, apply_register },
};

int idm_request_apply(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *id, struct idm_apply_result *res)
{
	struct apply a = { .op = op, .cfg = cfg, .log = log, .res = res };
	struct idm_request_facts f;
	struct idm_actor actor = { op->dn, op->uid, op->roles };
	int (*effect)(struct apply *) = NULL;
	const char *rule = NULL;
	char outcome[300];
	int r;

	memset(res, 0, sizeof(*res));
	r = idm_request_get(op->d, cfg, id, &a.req);
	if (r < 0)
		return r;
	if (strcmp(a.req->state, "approved") != 0) {
		rule = strcmp(a.req->state, "applied") == 0 ? "the request is applied already"
		       : strcmp(a.req->state, "pending") == 0
			       ? "R-REG-1: the request lacks an approval"
			       : "the request was rejected";
		r = IDM_ESTATE;
		goto refused;
	}
	r = idm_request_facts(op->d, cfg, a.req, &f);
	if (r == IDM_OK)
		r = idm_sod_apply(&f, &actor, &rule);
	if (r < 0)
		goto refused;
	for (size_t i = 0; i < sizeof(effects) / sizeof(effects[0]); i++)
		if (effects[i].type == a.req->type)
			effect = effects[i].effect;
	if (!effect) {
		rule = "this request type cannot be applied by this version";
		r = IDM_EINVAL;
		goto refused;
	}
	r = idm_form_parse(cfg, a.req->id, a.req->form_text, 0, log, &a.form);
	if (r < 0) {
		rule = "the stored form does not parse";
		goto refused;
	}
	res->uid = strdup(a.form->uid);
	r = effect(&a);
	if (r == IDM_OK)
		r = idm_request_cas_state(op->d, a.req->dn, "approved", "applied");
	snprintf(outcome, sizeof(outcome), "%s", r == IDM_OK ? "done" : idm_strerror(r));
	idm_request_audit(op, cfg, log, "apply", a.req->subject, a.req->id, outcome, res->summary);
	goto out;
refused:
	idm_logf(log, LOG_ERR, "apply %s refused: %s", id, rule);
	snprintf(outcome, sizeof(outcome), "refused: %s", rule);
	idm_request_audit(op, cfg, log, "apply", a.req->subject, a.req->id, outcome, NULL);
out:
	idm_form_free(a.form);
	idm_request_free(a.req);
	return r;
}

void idm_apply_result_clear(struct idm_apply_result *res)
{
	free(res->uid);
	idm_secret_free(res->temp_password);
	free(res->summary);
	memset(res, 0, sizeof(*res));
}
