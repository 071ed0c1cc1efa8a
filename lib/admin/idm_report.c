#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_error.h"
#include "idm_escape.h"
#include "idm_report.h"
#include "idm_request.h"
#include "idm_text.h"
#include "idm_i18n.h"

int idm_report_attrs(const char *out[IDM_ACCOUNT_ATTRS_MAX])
{
	static const char *const extra[] = { "idmPrivilegeRequest", "idmStatusTime",
					     "idmStatusReason", "idmUntil", NULL };

	return idm_account_attrs_with(extra, out, IDM_ACCOUNT_ATTRS_MAX);
}

int idm_report_kind_from_name(const char *name)
{
	static const char *const names[] = {
		[IDM_REPORT_PRIVILEGED] = "privileged",
		[IDM_REPORT_LOCKED] = "locked",
		[IDM_REPORT_SUSPENDED] = "suspended",
	};

	return idm_name_index(names, sizeof(names) / sizeof(names[0]), name);
}

struct walk {
	struct idm_operator *op;
	const struct idm_config *cfg;
	enum idm_report_kind kind;
	time_t server_now;
	int (*each)(void *ctx, const struct idm_report_row *row);
	void *ctx;
};

/* The CISO's approval of the request that made the ID privileged. */
static void grant_of(struct walk *w, struct idm_report_row *row, char *by, size_t size)
{
	struct idm_request *req = NULL;

	if (!row->privilege_request ||
	    idm_request_get(w->op->d, w->cfg, row->privilege_request, &req) < 0)
		return;
	for (size_t i = 0; i < req->n_approvals; i++)
		if (req->approvals[i].role == IDM_ROLE_CISO) {
			snprintf(by, size, "%s", req->approvals[i].dn);
			row->granted_by = by;
			row->granted = req->approvals[i].time;
		}
	idm_request_free(req);
}

static int one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct walk *w = ctx;
	struct idm_account *a = NULL;
	struct idm_report_row row = { 0 };
	char *pr = NULL, *since = NULL, *reason = NULL, *until = NULL, by[512];
	const struct idm_policy *p;
	int r = IDM_OK;

	if (idm_account_from_entry(ld, e, &a) < 0)
		return IDM_OK; /* not an entry idmgr wrote */
	row.account = a;
	switch (w->kind) {
	case IDM_REPORT_PRIVILEGED:
		row.privilege_request = pr = idm_entry_value(ld, e, "idmPrivilegeRequest");
		grant_of(w, &row, by, sizeof(by));
		r = w->each(w->ctx, &row);
		break;
	case IDM_REPORT_LOCKED:
		p = idm_account_policy(w->cfg, a);
		{
			struct idm_lock_values v;
			idm_lockout_values_of(a, &v);
			row.lock = p                ? idm_lockout_verdict(p, &v, w->server_now)
				   : a->hard_locked ? IDM_LOCK_HARD
						    : IDM_LOCK_CHECK;
		}
		if (row.lock == IDM_LOCK_CHECK)
			break;
		row.until_unlocked = row.lock == IDM_LOCK_HARD || !p || p->lockout_duration == 0;
		r = w->each(w->ctx, &row);
		break;
	case IDM_REPORT_SUSPENDED:
		row.status_time = since = idm_entry_value(ld, e, "idmStatusTime");
		row.status_reason = reason = idm_entry_value(ld, e, "idmStatusReason");
		row.until = until = idm_entry_value(ld, e, "idmUntil");
		r = w->each(w->ctx, &row);
		break;
	}
	free(pr);
	free(since);
	free(reason);
	free(until);
	idm_account_free(a);
	return r;
}

int idm_report_accounts(struct idm_operator *op, const struct idm_config *cfg,
			enum idm_report_kind kind,
			int (*each)(void *ctx, const struct idm_report_row *row), void *ctx)
{
	struct walk w = { op, cfg, kind, 0, each, ctx };
	const char *attrs[IDM_ACCOUNT_ATTRS_MAX];
	char hard[24], *filter = NULL;
	int r = idm_operator_officer(op, idm_dir_log(op->d), "reports");

	if (r < 0)
		return r;
	snprintf(hard, sizeof(hard), "%d", IDM_LOCKOUT_HARD_LIMIT);
	switch (kind) {
	case IDM_REPORT_PRIVILEGED:
		r = idm_filter_fmt(&filter, "(&(objectClass=idmAccount)(idmPrivileged=TRUE))");
		break;
	case IDM_REPORT_LOCKED:
		r = idm_filter_fmt(&filter,
				   "(&(objectClass=idmAccount)(|(idmLockedTime=*)(idmHardLockTime=*)"
				   "(idmFailureCount>=%s)))",
				   hard);
		/* The server's clock decides which locks ran out (idm_lockout.h);
		 * when it cannot be read every lock present is listed. */
		if (r == IDM_OK &&
		    idm_dir_server_time(op->d, op->dn, "idmAuditPending", &w.server_now) < 0) {
			idm_logf(idm_dir_log(op->d), LOG_WARNING,
				 N_("the directory server's clock could not be read: every lock present "
				    "is listed, run out or not"));
			w.server_now = 0;
		}
		break;
	case IDM_REPORT_SUSPENDED:
		r = idm_filter_fmt(&filter, "(&(objectClass=idmAccount)(|(idmStatus=suspended)"
					    "(idmStatus=seconded)))");
		break;
	default: r = IDM_EINVAL;
	}
	if (r == IDM_OK)
		r = idm_report_attrs(attrs);
	if (r == IDM_OK)
		r = idm_dir_search_paged(op->d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter,
					 attrs, 500, one, &w);
	free(filter);
	return r;
}
