#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_action.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_escape.h"
#include "idm_mods.h"
#include "idm_request.h"
#include "idm_text.h"
#include "idm_time.h"

static const char *const request_attrs[] = {
	"idmRequestId", "idmRequestType", "idmRequestState", "idmSubject", "idmTime",
	"idmActor",     "idmFormRef",     "idmApplicant",    "idmReason",  "idmForm",
	"idmApproval",  "idmDone",        "idmDetail",       NULL,
};

static int requests_dn(const struct idm_config *cfg, char **out)
{
	return idm_dn_child(out, "ou", "requests", cfg->ldap.idmgr_dn);
}

/* ------------------------------------------------------------- reading */

static int request_from_entry(LDAP *ld, LDAPMessage *e, struct idm_request **out)
{
	struct idm_request *r = calloc(1, sizeof(*r));
	char *v, *dn, **ap;
	size_t n_ap = 0;
	int type;

	*out = NULL;
	if (!r)
		return IDM_ENOMEM;
	dn = ldap_get_dn(ld, e);
	r->dn = dn ? strdup(dn) : NULL;
	ldap_memfree(dn);
	r->id = idm_entry_value(ld, e, "idmRequestId");
	r->state = idm_entry_value(ld, e, "idmRequestState");
	r->submitter = idm_entry_value(ld, e, "idmActor");
	r->applicant = idm_entry_value(ld, e, "idmApplicant");
	r->subject = idm_entry_value(ld, e, "idmSubject");
	r->form_ref = idm_entry_value(ld, e, "idmFormRef");
	r->reason = idm_entry_value(ld, e, "idmReason");
	r->form_text = idm_entry_value(ld, e, "idmForm");
	r->detail = idm_entry_value(ld, e, "idmDetail");
	v = idm_entry_value(ld, e, "idmTime");
	if (!v || idm_time_parse(v, &r->time) < 0)
		r->time = 0;
	free(v);
	v = idm_entry_value(ld, e, "idmRequestType");
	type = v ? idm_request_type_from_name(v) : -1;
	free(v);
	idm_entry_values(ld, e, "idmDone", &r->done, &r->n_done); /* checked below */
	idm_entry_values(ld, e, "idmApproval", &ap, &n_ap);
	r->approvals = calloc(n_ap + 1, sizeof(*r->approvals));
	for (size_t i = 0; r->approvals && i < n_ap; i++)
		if (idm_approval_parse(ap[i], &r->approvals[r->n_approvals]) == IDM_OK)
			r->n_approvals++;
	idm_strv_free(ap, n_ap);
	if (!r->dn || !r->id || !r->state || !r->subject || !r->done || !r->approvals || type < 0) {
		idm_request_free(r);
		return IDM_EINVAL; /* not a request idmgr wrote */
	}
	r->type = (enum idm_request_type)type;
	*out = r;
	return IDM_OK;
}

int idm_request_get(struct idm_dir *d, const struct idm_config *cfg, const char *id,
		    struct idm_request **out)
{
	LDAPMessage *res = NULL, *e;
	char *base = NULL, *filter = NULL;
	int r;

	*out = NULL;
	r = requests_dn(cfg, &base);
	if (r == IDM_OK)
		r = idm_filter_fmt(&filter, "(&(objectClass=idmRequest)(idmRequestId=%s))", id);
	if (r == IDM_OK)
		r = idm_dir_search(d, base, LDAP_SCOPE_ONELEVEL, filter, request_attrs, 2, &res);
	if (r == IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(d), res);
		if (!e || ldap_count_entries(idm_dir_ldap(d), res) != 1)
			r = IDM_ENOENT;
		else
			r = request_from_entry(idm_dir_ldap(d), e, out);
	}
	if (r == IDM_ENOENT)
		idm_logf(idm_dir_log(d), LOG_ERR, N_("no request %s"), id);
	ldap_msgfree(res);
	free(base);
	free(filter);
	return r;
}

static void *decode(LDAP *ld, LDAPMessage *e)
{
	struct idm_request *r = NULL;

	return request_from_entry(ld, e, &r) == IDM_OK ? r : NULL; /* skip others' entries */
}

/* The caller's each(), called with the right type. */
struct visit {
	int (*each)(void *ctx, const struct idm_request *r);
	void *ctx;
};

static int visit(void *ctx, const void *object)
{
	struct visit *v = ctx;

	return v->each(v->ctx, object);
}

static void release(void *r)
{
	idm_request_free(r);
}

static int by_time(const void *a, const void *b)
{
	const struct idm_request *x = *(const struct idm_request *const *)a;
	const struct idm_request *y = *(const struct idm_request *const *)b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return strcmp(x->id, y->id);
}

int idm_request_list(struct idm_dir *d, const struct idm_config *cfg, const char *state,
		     int (*each)(void *ctx, const struct idm_request *r), void *ctx)
{
	struct visit v = { each, ctx };
	struct idm_sorted_listing l = { decode, by_time, release, visit, &v };
	char *base = NULL, *filter = NULL;
	int r;

	r = requests_dn(cfg, &base);
	if (r == IDM_OK)
		r = state ? idm_filter_fmt(&filter,
					   "(&(objectClass=idmRequest)(idmRequestState=%s))", state)
			  : idm_filter_fmt(&filter, "(objectClass=idmRequest)");
	if (r == IDM_OK)
		r = idm_dir_search_sorted(d, base, LDAP_SCOPE_ONELEVEL, filter, request_attrs, &l);
	free(base);
	free(filter);
	return r;
}

void idm_request_free(struct idm_request *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->dn);
	free(r->state);
	free(r->submitter);
	free(r->applicant);
	free(r->subject);
	free(r->form_ref);
	free(r->reason);
	free(r->form_text);
	free(r->detail);
	free(r->approvals);
	idm_strv_free(r->done, r->n_done);
	free(r);
}

/* ------------------------------------------------------------- helpers */

/* Does uid name an account under people_dn?  IDM_OK yes, IDM_ENOENT no. */
static int account_exists(struct idm_dir *d, const struct idm_config *cfg, const char *uid,
			  bool *privileged)
{
	static const char *const attrs[] = { "idmPrivileged", NULL };
	LDAPMessage *res = NULL, *e;
	char *filter = NULL;
	int r = idm_filter_fmt(&filter, "(&(objectClass=posixAccount)(uid=%s))", uid);

	if (privileged)
		*privileged = false;
	if (r == IDM_OK)
		r = idm_dir_search(d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 2,
				   &res);
	if (r == IDM_OK) {
		e = ldap_first_entry(idm_dir_ldap(d), res);
		if (!e)
			r = IDM_ENOENT;
		else if (privileged) {
			*privileged = idm_entry_true(idm_dir_ldap(d), e, "idmPrivileged");
		}
	}
	ldap_msgfree(res);
	free(filter);
	return r;
}

static int group_exists(struct idm_dir *d, const struct idm_config *cfg, const char *cn)
{
	char *dn = NULL;
	int r = idm_dn_child(&dn, "cn", cn, cfg->ldap.groups_dn);

	if (r == IDM_OK)
		r = idm_dir_exists(d, dn);
	free(dn);
	return r;
}

int idm_request_facts(struct idm_dir *d, const struct idm_config *cfg, const struct idm_request *r,
		      struct idm_request_facts *f)
{
	bool privileged = false;
	int rc = account_exists(d, cfg, r->subject, &privileged);

	if (rc < 0 && rc != IDM_ENOENT)
		return rc;
	*f = (struct idm_request_facts){
		.type = r->type,
		.submitter_dn = r->submitter,
		.applicant_uid = r->applicant,
		.subject_uid = r->subject,
		.touches_privileged = privileged || r->type == IDM_REQ_GRANT_PRIVILEGE ||
				      r->type == IDM_REQ_REVOKE_PRIVILEGE,
		.approvals = r->approvals,
		.n_approvals = r->n_approvals,
	};
	return IDM_OK;
}

static int cas_state(struct idm_dir *d, const char *dn, const char *from, const char *to)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, LDAP_MOD_DELETE, "idmRequestState", from);
	idm_mods_add(m, LDAP_MOD_ADD, "idmRequestState", to);
	r = idm_dir_apply(d, dn, m);
	if (r == IDM_ENOVALUE)
		r = IDM_ESTATE; /* someone else moved it first */
	return r;
}

bool idm_request_is_done(const struct idm_request *r, const char *step)
{
	for (size_t i = 0; i < r->n_done; i++)
		if (strcmp(r->done[i], step) == 0)
			return true;
	return false;
}

int idm_request_mark_done(struct idm_dir *d, const struct idm_request *r, const char *step)
{
	struct idm_mods *m = idm_mods_new();
	int rc;

	idm_mods_add(m, LDAP_MOD_ADD, "idmDone", step);
	rc = idm_dir_apply(d, r->dn, m);
	if (rc == IDM_EEXIST)
		rc = IDM_OK;
	return rc;
}

int idm_request_hash(const struct idm_request *r, char out[IDM_AUDIT_HASH_LEN + 1])
{
	const char *fields[] = { idm_request_type_name(r->type), r->subject, r->submitter,
				 r->form_text };

	return idm_hash_fields("idmgr-request-1:", fields, 4, out);
}

/* -------------------------------------------------------------- submit */

static int check_against_directory(struct idm_operator *op, const struct idm_config *cfg,
				   const struct idm_log *log, const struct idm_form *f)
{
	int r, bad = 0;

	r = account_exists(op->d, cfg, f->uid, NULL);
	if (r != IDM_OK && r != IDM_ENOENT)
		return r;
	if (f->type == IDM_REQ_REGISTER && r == IDM_OK) {
		idm_logf(log, LOG_ERR, N_("uid: \"%s\" is taken already"), f->uid);
		bad++;
	} else if (f->type != IDM_REQ_REGISTER && r == IDM_ENOENT) {
		idm_logf(log, LOG_ERR, N_("uid: no account \"%s\""), f->uid);
		bad++;
	}
	r = account_exists(op->d, cfg, f->applicant, NULL);
	if (r != IDM_OK && r != IDM_ENOENT)
		return r;
	if (r == IDM_ENOENT) {
		idm_logf(log, LOG_ERR, N_("applicant: no account \"%s\""), f->applicant);
		bad++;
	}
	for (size_t i = 0; i < f->n_groups; i++) {
		r = group_exists(op->d, cfg, f->groups[i]);
		if (r != IDM_OK && r != IDM_ENOENT)
			return r;
		if (r == IDM_ENOENT) {
			idm_logf(log, LOG_ERR, N_("groups: no group \"%s\" under %s"), f->groups[i],
				 cfg->ldap.groups_dn);
			bad++;
		}
	}
	for (size_t i = 0; i < f->n_shared_with; i++) {
		r = account_exists(op->d, cfg, f->shared_with[i], NULL);
		if (r != IDM_OK && r != IDM_ENOENT)
			return r;
		if (r == IDM_ENOENT) {
			idm_logf(log, LOG_ERR, N_("shared_with: no account \"%s\""),
				 f->shared_with[i]);
			bad++;
		}
	}
	return bad ? IDM_EINVAL : IDM_OK;
}

/* An earlier run of this very submission (same actor, subject and form)
 * whose record is owed: *x resumed and rid its request, or IDM_ENOENT. */
static int owed_submit(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_audit_event *ev, const char *text, struct idm_action *x,
		       char rid[IDM_OBJECT_ID_LEN])
{
	static const char *const attrs[] = { "idmRequestId", "idmForm", NULL };
	LDAPMessage *res = NULL, *e;
	LDAP *ld;
	char *base = NULL, *filter = NULL;
	int r = requests_dn(cfg, &base);

	if (r == IDM_OK)
		r = idm_filter_fmt(&filter,
				   "(&(objectClass=idmRequest)(idmActor=%s)(idmSubject=%s)"
				   "(idmAuditPending=*))",
				   op->dn, ev->subject);
	if (r == IDM_OK)
		r = idm_dir_search(op->d, base, LDAP_SCOPE_ONELEVEL, filter, attrs, 0, &res);
	ld = idm_dir_ldap(op->d);
	e = r == IDM_OK ? ldap_first_entry(ld, res) : NULL;
	if (r == IDM_OK)
		r = IDM_ENOENT;
	for (; e && r == IDM_ENOENT; e = ldap_next_entry(ld, e)) {
		char *id = idm_entry_value(ld, e, "idmRequestId"),
		     *form = idm_entry_value(ld, e, "idmForm");
		char *dn = ldap_get_dn(ld, e);

		if (id && form && dn && strcmp(form, text) == 0) {
			r = idm_action_start(op, dn, ev, x);
			if (r == IDM_OK && !x->resumed) {
				idm_action_clear(x);
				r = IDM_ENOENT;
			}
			if (r == IDM_OK)
				snprintf(rid, IDM_OBJECT_ID_LEN, "%s", id);
		}
		free(id);
		free(form);
		ldap_memfree(dn);
	}
	ldap_msgfree(res);
	free(base);
	free(filter);
	return r;
}

int idm_request_submit(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, const struct idm_form *form, char **id)
{
	struct idm_audit_event ev = {
		.action = "submit",
		.subject = form->uid,
		.outcome = "done",
		.detail = idm_request_type_name(form->type),
	};
	struct idm_action x = { 0 };
	struct idm_mods *m = NULL;
	char rid[IDM_OBJECT_ID_LEN], now[IDM_GENTIME_LEN], *base = NULL, *dn = NULL, *text = NULL;
	char detail[128];
	int r;

	*id = NULL;
	r = idm_operator_officer(op, log, "submitting a request");
	if (r < 0)
		return idm_operator_refuse(op, cfg, log, "submit", form->uid, NULL, r,
					   "not an officer", NULL);
	r = idm_form_serialize(form, &text);
	if (r == IDM_OK) {
		/* the record names what was submitted (idm_request_hash) */
		struct idm_request stored = { .type = form->type,
					      .subject = form->uid,
					      .submitter = op->dn,
					      .form_text = text };
		char hash[IDM_AUDIT_HASH_LEN + 1];
		idm_request_hash(&stored, hash);
		snprintf(detail, sizeof(detail), "%s %s", idm_request_type_name(form->type), hash);
		ev.detail = detail;
	}
	if (r == IDM_OK)
		r = requests_dn(cfg, &base);
	if (r == IDM_OK)
		r = owed_submit(op, cfg, &ev, text, &x, rid);
	if (r == IDM_OK) {
		r = idm_dn_child(&dn, "idmRequestId", rid, base);
		goto finish; /* submitted by an earlier run */
	}
	if (r == IDM_ENOENT)
		r = check_against_directory(op, cfg, log, form);
	if (r == IDM_OK)
		r = idm_object_id_new('R', rid);
	if (r == IDM_OK)
		r = idm_dn_child(&dn, "idmRequestId", rid, base);
	ev.request_id = rid;
	if (r == IDM_OK)
		r = idm_action_start(op, NULL, &ev, &x);
	if (r < 0)
		goto out;
	idm_time_format(time(NULL), now);
	m = idm_mods_new();
	idm_mods_add(m, LDAP_MOD_ADD, "objectClass", "idmRequest");
	idm_mods_add(m, LDAP_MOD_ADD, "idmRequestId", rid);
	idm_mods_add(m, LDAP_MOD_ADD, "idmRequestType", idm_request_type_name(form->type));
	idm_mods_add(m, LDAP_MOD_ADD, "idmRequestState", "pending");
	idm_mods_add(m, LDAP_MOD_ADD, "idmSubject", form->uid);
	idm_mods_add(m, LDAP_MOD_ADD, "idmTime", now);
	idm_mods_add(m, LDAP_MOD_ADD, "idmActor", op->dn);
	idm_mods_add(m, LDAP_MOD_ADD, "idmFormRef", form->form_ref);
	idm_mods_add(m, LDAP_MOD_ADD, "idmApplicant", form->applicant);
	idm_mods_add(m, LDAP_MOD_ADD, "idmReason", form->reason);
	idm_mods_add(m, LDAP_MOD_ADD, "idmForm", text);
	idm_action_mark(&x, m);
	r = idm_dir_apply_add(op->d, dn, m);
finish:
	if (r == IDM_OK)
		r = idm_action_finish(op, cfg, log, dn, &x);
	if (r == IDM_OK && !(*id = strdup(rid)))
		r = IDM_ENOMEM;
out:
	idm_action_clear(&x);
	free(base);
	free(dn);
	free(text);
	return r;
}

/* ---------------------------------------------------- approve / reject */

static int refuse(struct idm_operator *op, const struct idm_config *cfg, const struct idm_log *log,
		  const char *action, const struct idm_request *req, int r, const char *rule)
{
	return idm_operator_refuse(op, cfg, log, action, req->subject, req->id, r, rule, NULL);
}

/* Moves req from its state to state, with one more change (mod_op, attr,
 * value) and the action's mark, in one modify; it fails, and the action is
 * refused, when the state changed meanwhile. */
static int transition(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *action, const struct idm_request *req,
		      struct idm_action *x, const char *state, int mod_op, const char *attr,
		      const char *value)
{
	struct idm_mods *m = idm_mods_new();
	int r;

	idm_mods_add(m, LDAP_MOD_DELETE, "idmRequestState", req->state);
	idm_mods_add(m, LDAP_MOD_ADD, "idmRequestState", state);
	idm_mods_add(m, mod_op, attr, value);
	idm_action_mark(x, m);
	r = idm_dir_apply(op->d, req->dn, m);
	if (r == IDM_ENOVALUE)
		r = refuse(op, cfg, log, action, req, IDM_ESTATE,
			   "the request changed state meanwhile");
	return r;
}

/* Reads request id into *req (NULL when it cannot be read: the result
 * says why) and starts the action ev on it, naming it in the record. */
static int action_start(struct idm_operator *op, const struct idm_config *cfg, const char *id,
			struct idm_request **req, struct idm_audit_event *ev, struct idm_action *x)
{
	int r = idm_request_get(op->d, cfg, id, req);

	if (r < 0)
		return r;
	ev->subject = (*req)->subject;
	ev->request_id = (*req)->id;
	return idm_action_start(op, (*req)->dn, ev, x);
}

int idm_request_approve(struct idm_operator *op, const struct idm_config *cfg,
			const struct idm_log *log, const char *id, enum idm_role *role,
			char **new_state)
{
	struct idm_request *req = NULL;
	struct idm_request_facts f;
	struct idm_actor actor = { op->dn, op->uid, op->roles };
	struct idm_audit_event ev = { .action = "approve", .outcome = "done" };
	struct idm_action x = { 0 };
	struct idm_approval a;
	char value[600];
	const char *rule = NULL;
	int r;

	*new_state = NULL;
	/* An approval an earlier run gave, whose record is owed, is completed
	 * whatever the state has become since. */
	r = action_start(op, cfg, id, &req, &ev, &x);
	if (!req)
		return r;
	if (r == IDM_OK && x.resumed) {
		/* the detail is "ROLE HASH" (idm_request_hash) */
		char given[32] = "";
		int was;
		if (x.detail)
			snprintf(given, sizeof(given), "%.*s", (int)strcspn(x.detail, " "),
				 x.detail);
		was = idm_role_from_name(given);
		if (was < 0) {
			r = IDM_EINVAL;
			goto out;
		}
		*role = (enum idm_role)was;
		r = idm_action_finish(op, cfg, log, req->dn, &x);
		if (r < 0)
			goto out;
		goto complete;
	}
	if (r < 0)
		goto out;
	if (strcmp(req->state, "pending") != 0) {
		r = refuse(op, cfg, log, "approve", req, IDM_ESTATE,
			   strcmp(req->state, "approved") == 0
				   ? "the request is fully approved already"
				   : "the request is not pending");
		goto out;
	}
	r = idm_request_facts(op->d, cfg, req, &f);
	if (r == IDM_OK && idm_approvals_complete(&f)) {
		/* Both approvals given, the move to approved lost (a failure
		 * right after the second one's record): made now. */
		r = cas_state(op->d, req->dn, "pending", "approved");
		if (r == IDM_OK || r == IDM_ESTATE)
			r = refuse(op, cfg, log, "approve", req, IDM_ESTATE,
				   "the request is fully approved already");
		goto out;
	}
	if (r == IDM_OK)
		r = idm_sod_approve(cfg, &f, &actor, role, &rule);
	if (r < 0) {
		if (rule)
			r = refuse(op, cfg, log, N_("approve"), req, r, rule);
		goto out;
	}
	{
		char hash[IDM_AUDIT_HASH_LEN + 1], detail[128];
		idm_request_hash(req, hash);
		snprintf(detail, sizeof(detail), "%s %s", idm_role_name(*role), hash);
		r = idm_action_set(&x, NULL, detail);
	}
	if (r < 0)
		goto out;
	a.role = *role;
	a.time = time(NULL);
	snprintf(a.dn, sizeof(a.dn), "%s", op->dn);
	idm_approval_format(&a, value, sizeof(value));
	/* Only while pending: the state value is deleted and added back in the
	 * same modify, which fails if someone rejected it meanwhile. */
	r = transition(op, cfg, log, "approve", req, &x, "pending", LDAP_MOD_ADD, "idmApproval",
		       value);
	if (r == IDM_OK)
		r = idm_action_finish(op, cfg, log, req->dn, &x);
	if (r < 0)
		goto out;
complete:
	/* Read it again: a concurrent approval may have completed it. */
	idm_request_free(req);
	req = NULL;
	r = idm_request_get(op->d, cfg, id, &req);
	if (r == IDM_OK)
		r = idm_request_facts(op->d, cfg, req, &f);
	if (r == IDM_OK && strcmp(req->state, "pending") == 0 && idm_approvals_complete(&f)) {
		r = cas_state(op->d, req->dn, "pending", "approved");
		if (r == IDM_ESTATE) /* the other approver moved it */
			r = IDM_OK;
	}
	if (r == IDM_OK) {
		*new_state = strdup(idm_approvals_complete(&f) ? "approved" : req->state);
		if (!*new_state)
			r = IDM_ENOMEM;
	}
out:
	idm_action_clear(&x);
	idm_request_free(req);
	return r;
}

int idm_request_reject(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, const char *id, const char *reason)
{
	struct idm_request *req = NULL;
	struct idm_request_facts f;
	struct idm_actor actor = { op->dn, op->uid, op->roles };
	struct idm_audit_event ev = { .action = "reject", .outcome = "done", .detail = reason };
	struct idm_action x = { 0 };
	const char *rule = NULL;
	int r;

	r = action_start(op, cfg, id, &req, &ev, &x);
	if (!req)
		return r;
	if (r < 0 || x.resumed)
		goto finish; /* an earlier run rejected it; its record is owed */
	if (strcmp(req->state, "pending") != 0 && strcmp(req->state, "approved") != 0) {
		r = refuse(op, cfg, log, "reject", req, IDM_ESTATE,
			   "only a pending or approved request "
			   "can be rejected");
		goto out;
	}
	r = idm_request_facts(op->d, cfg, req, &f);
	if (r == IDM_OK)
		r = idm_sod_reject(&f, &actor, &rule);
	if (r < 0) {
		if (rule)
			r = refuse(op, cfg, log, N_("reject"), req, r, rule);
		goto out;
	}
	r = transition(op, cfg, log, "reject", req, &x, "rejected", LDAP_MOD_REPLACE, "idmDetail",
		       reason);
finish:
	if (r == IDM_OK)
		r = idm_action_finish(op, cfg, log, req->dn, &x);
out:
	idm_action_clear(&x);
	idm_request_free(req);
	return r;
}
