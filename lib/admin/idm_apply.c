#include "config.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_action.h"
#include "idm_apply.h"
#include "idm_apply_effects.h"
#include "idm_audit.h"
#include "idm_error.h"
#include "idm_mods.h"
#include "idm_secret.h"
#include "idm_i18n.h"

/* ------------------------------------------------- approvals witnessed */

/* Every approval stored on a request must have its audit record: "approve",
 * done, for this request, under that role, by that very identity -- the
 * trail records who the server says was bound, and officers can only add
 * to it.  An approval value written straight into the request (ldapmodify
 * by an insider) has none, and the request is not applied. */
struct witness {
	const struct idm_request *req;
	char hash[IDM_AUDIT_HASH_LEN + 1]; /* the request as it is now */
	bool seen[16], stale[16];
};

static int witness_one(void *ctx, const struct idm_audit_record *rec)
{
	struct witness *w = ctx;

	if (!rec->action || strcmp(rec->action, "approve") != 0 || !rec->request_id ||
	    strcmp(rec->request_id, w->req->id) != 0 || !rec->outcome ||
	    strcmp(rec->outcome, "done") != 0 || !rec->actor || !rec->detail)
		return IDM_OK;
	for (size_t i = 0; i < w->req->n_approvals && i < 16; i++) {
		const char *role = idm_role_name(w->req->approvals[i].role);
		size_t len = strlen(role);
		if (strcasecmp(rec->actor, w->req->approvals[i].dn) != 0 ||
		    strncmp(rec->detail, role, len) != 0 || rec->detail[len] != ' ')
			continue;
		if (strcmp(rec->detail + len + 1, w->hash) == 0)
			w->seen[i] = true;
		else
			w->stale[i] = true;
	}
	return IDM_OK;
}

/* Each approval must have its audit record (written by idmgrd only), and
 * the record must name the request as it is now: an approval of a request
 * that changed since is void. */
static int approvals_witnessed(struct apply *a, const char **rule)
{
	struct witness w = { .req = a->req };
	int r = idm_request_hash(a->req, w.hash);

	if (r == IDM_OK)
		r = idm_audit_list(a->op->d, a->cfg, a->req->time, witness_one, &w);
	if (r < 0)
		return r;
	for (size_t i = 0; i < a->req->n_approvals; i++) {
		if (i < 16 && w.seen[i])
			continue;
		if (i < 16 && w.stale[i]) {
			idm_logf(a->log, LOG_ERR,
				 N_("approval by %s as %s was given to the request as it was before "
				    "it changed"),
				 a->req->approvals[i].dn, idm_role_name(a->req->approvals[i].role));
			*rule = "R-REG-1: the request changed after it was approved; the approval "
				"is void";
			return IDM_EDENIED;
		}
		idm_logf(a->log, LOG_ERR, N_("approval by %s as %s has no audit record"),
			 a->req->approvals[i].dn, idm_role_name(a->req->approvals[i].role));
		*rule = "R-AUD-1: an approval without its audit record (written around idmgr?)";
		return IDM_EDENIED;
	}
	return IDM_OK;
}

/* Did a run racing this one, with the same effects, mark it applied? */
static bool applied_meanwhile(const struct apply *a)
{
	struct idm_request *now = NULL;
	bool applied = idm_request_get(a->op->d, a->cfg, a->req->id, &now) == IDM_OK &&
		       strcmp(now->state, "applied") == 0;

	idm_request_free(now);
	return applied;
}

int idm_request_apply(struct idm_operator *op, const struct idm_config *cfg,
		      const struct idm_log *log, const char *id, struct idm_apply_result *res)
{
	struct apply a = { .op = op, .cfg = cfg, .log = log, .res = res };
	struct idm_request_facts f;
	struct idm_actor actor = { op->dn, op->uid, op->roles };
	struct idm_audit_event ev = { .action = "apply", .outcome = "done" };
	int (*effect)(struct apply *) = NULL;
	const char *rule = NULL;
	struct idm_mods *m;
	int r;

	memset(res, 0, sizeof(*res));
	r = idm_request_get(op->d, cfg, id, &a.req);
	if (r < 0)
		return r;
	ev.subject = a.req->subject;
	ev.request_id = a.req->id;
	/* Applied by an earlier run whose record is owed: complete that. */
	r = idm_action_start(op, a.req->dn, &ev, &a.x);
	if (r == IDM_OK && a.x.resumed) {
		if (!(res->uid = strdup(a.req->subject)) ||
		    (a.x.detail && !(res->summary = strdup(a.x.detail))))
			r = IDM_ENOMEM;
		if (r == IDM_OK)
			r = idm_action_finish(op, cfg, log, a.req->dn, &a.x);
		goto out;
	}
	if (r < 0)
		goto out;
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
	if (r == IDM_OK)
		r = approvals_witnessed(&a, &rule);
	if (r < 0 && rule)
		goto refused;
	if (r < 0)
		goto out;
	effect = idm_apply_effect_of(a.req->type);
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
	r = res->uid ? effect(&a) : IDM_ENOMEM;
	if (r < 0) {
		/* Nothing marked: the request stays approved and a rerun goes on
		 * from the steps done (idmDone). */
		idm_operator_audit(op, cfg, log, "apply", a.req->subject, a.req->id,
				   idm_strerror(r), res->summary);
		goto out;
	}
	/* The state moves with the mark in one modify: applied exactly when
	 * its record is owed or written. */
	r = idm_action_set(&a.x, NULL, res->summary);
	if (r == IDM_OK) {
		m = idm_mods_new();
		idm_mods_add(m, LDAP_MOD_DELETE, "idmRequestState", "approved");
		idm_mods_add(m, LDAP_MOD_ADD, "idmRequestState", "applied");
		idm_action_mark(&a.x, m);
		r = idm_dir_apply(op->d, a.req->dn, m);
		if (r == IDM_ENOVALUE)
			r = IDM_ESTATE; /* someone else moved it first */
	}
	if (r == IDM_OK) {
		r = idm_action_finish(op, cfg, log, a.req->dn, &a.x);
	} else if (r == IDM_ESTATE && applied_meanwhile(&a)) {
		/* A racing run of this very apply moved it first; the effects
		 * were the same, and this run's share (the temporary password, when
		 * it won that claim) is this run's to show. */
		idm_operator_audit(op, cfg, log, "apply", a.req->subject, a.req->id, "done",
				   res->summary);
		r = IDM_OK;
	} else {
		idm_operator_audit(op, cfg, log, "apply", a.req->subject, a.req->id,
				   idm_strerror(r), res->summary);
	}
	goto out;
refused:
	r = idm_operator_refuse(op, cfg, log, "apply", a.req->subject, a.req->id, r, rule, NULL);
out:
	idm_action_clear(&a.x);
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
