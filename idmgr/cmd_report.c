/* idmgr report privileged|locked|suspended|exceptions: evidence for
 * auditors (R-PRIV-1, R-REV-1). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "idm_account.h"
#include "idm_error.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_operator.h"
#include "idm_request.h"
#include "idm_time.h"

static const char report_usage[] =
	"usage: idmgr report privileged|locked|suspended|exceptions [--format text|json|csv]\n";

struct report {
	const char *kind;
	struct idm_operator *op;
	const struct idm_config *cfg;
	enum output_format format;
	json_t *array;
	time_t now;
};

/* Prints one row of four columns after uid, in the chosen format. */
static void row(struct report *r, const char *uid, const char *const names[4],
		const char *const values[4])
{
	if (r->format == OUTPUT_JSON) {
		json_t *o = json_object();
		json_object_set_new(o, "uid", json_string(uid));
		for (int i = 0; i < 4; i++)
			json_object_set_new(o, names[i], values[i] ? json_string(values[i]) : json_null());
		json_array_append_new(r->array, o);
	} else if (r->format == OUTPUT_CSV) {
		output_csv(stdout, uid, 0);
		for (int i = 0; i < 4; i++)
			output_csv(stdout, values[i], i == 3);
	} else {
		printf("%-16s", uid);
		for (int i = 0; i < 4; i++)
			printf(" %s=%s", names[i], values[i] ? values[i] : "-");
		putchar('\n');
	}
}

/* Who granted the privilege and when: the ciso's approval of the request
 * (R-PRIV-2). */
static void grant_of(struct report *r, const char *request_id, char *by, size_t size,
		     char when_buf[IDM_GENTIME_LEN])
{
	struct idm_request *req = NULL;

	snprintf(by, size, "-");
	strcpy(when_buf, "-");
	if (!request_id || idm_request_get(r->op->d, r->cfg, request_id, &req) < 0)
		return;
	for (size_t i = 0; i < req->n_approvals; i++)
		if (req->approvals[i].role == IDM_ROLE_CISO) {
			snprintf(by, size, "%s", req->approvals[i].dn);
			idm_time_format(req->approvals[i].time, when_buf);
		}
	idm_request_free(req);
}

static int one(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct report *r = ctx;
	struct idm_account *a = NULL;
	char c1[IDM_GENTIME_LEN], c2[IDM_GENTIME_LEN], by[512], *extra = NULL;

	if (idm_account_from_entry(ld, e, &a) < 0)
		return IDM_OK;
	if (strcmp(r->kind, "privileged") == 0) {
		static const char *const names[4] = { "request", "granted_by", "granted", "last_login" };
		extra = idm_entry_value(ld, e, "idmPrivilegeRequest");
		grant_of(r, extra, by, sizeof(by), c1);
		output_time(a->last_login, c2);
		row(r, a->uid, names, (const char *const[4]){ extra ? extra : "(none: drift)", by, c1, c2 });
	} else if (strcmp(r->kind, "locked") == 0) {
		static const char *const names[4] = { "locked_since", "failures", "kind", "status" };
		const struct idm_policy *p = idm_account_policy(r->cfg, a);
		struct idm_lock_values v;
		enum idm_lock_verdict verdict;
		bool hard, timed;
		char n[24];

		idm_lockout_values_of(a, &v);
		verdict = p ? idm_lockout_verdict(p, &v, r->now) : IDM_LOCK_CHECK;
		hard = verdict == IDM_LOCK_HARD || (!p && a->hard_locked);
		timed = verdict == IDM_LOCK_LOCKED;
		if (hard || timed) {
			output_time(a->locked_time, c1);
			snprintf(n, sizeof(n), "%ld", a->failure_count);
			row(r, a->uid, names,
			    (const char *const[4]){ c1, n, hard ? "hard limit (operator unlock)"
							: p->lockout_duration == 0 ? "until unlocked"
										   : "timed",
						    a->status });
		}
	} else { /* suspended */
		static const char *const names[4] = { "status", "since", "reason", "until" };
		char *since = idm_entry_value(ld, e, "idmStatusTime");
		char *reason = idm_entry_value(ld, e, "idmStatusReason");
		char *until = idm_entry_value(ld, e, "idmUntil");
		row(r, a->uid, names, (const char *const[4]){ a->status, since, reason, until });
		free(since);
		free(reason);
		free(until);
	}
	free(extra);
	idm_account_free(a);
	return IDM_OK;
}

int cmd_report(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const char *const attrs[] = {
		"uid", "idmStatus", "idmPolicy", "idmPrivileged", "pwdReset", "pwdChangedTime", "createTimestamp",
		"idmValidUntil", "idmLoginCount", "idmFailureCount", "idmLockedTime", "idmLastLoginTime",
		"idmLastLoginHost", "idmLastLogoutTime", "idmPrivilegeRequest", "idmStatusTime",
		"idmStatusReason", "idmUntil", "idmFailureTime", "idmHardLockTime", "authTimestamp", NULL,
	};
	struct idm_config *cfg = NULL;
	struct report rep = { 0 };
	const char *filter;
	int r, f;

	if (argc == 4 && strcmp(argv[2], "--format") == 0) {
		f = output_format_parse(argv[3], 1);
		if (f < 0) {
			fputs(report_usage, stderr);
			return EXIT_INVALID;
		}
		ctx->format = (enum output_format)f;
		argc = 2;
	}
	if (argc != 2) {
		fputs(report_usage, stderr);
		return EXIT_INVALID;
	}
	rep.kind = argv[1];
	if (strcmp(rep.kind, "privileged") == 0)
		filter = "(&(objectClass=idmAccount)(idmPrivileged=TRUE))";
	else if (strcmp(rep.kind, "locked") == 0)
		filter = "(&(objectClass=idmAccount)(|(idmLockedTime=*)(idmHardLockTime=*)(idmFailureCount>=100)))";
	else if (strcmp(rep.kind, "suspended") == 0)
		filter = "(&(objectClass=idmAccount)(|(idmStatus=suspended)(idmStatus=seconded)))";
	else if (strcmp(rep.kind, "exceptions") == 0)
		filter = NULL;
	else {
		fputs(report_usage, stderr);
		return EXIT_INVALID;
	}
	cfg = ctx_load_config(ctx);
	if (!cfg)
		return EXIT_INVALID;
	r = ctx_operator_login(ctx, cfg, &rep.op);
	if (r == IDM_OK && !rep.op->roles) {
		idm_logf(&ctx->log, LOG_ERR, "reports are for officers; %s holds no role", rep.op->uid);
		r = IDM_EDENIED;
	}
	if (r == IDM_OK && !filter) {
		r = exception_report(ctx, rep.op, cfg, NULL);
	} else if (r == IDM_OK) {
		rep.cfg = cfg;
		rep.format = ctx->format;
		rep.array = json_array();
		rep.now = time(NULL);
		if (rep.format == OUTPUT_CSV)
			printf("uid,%s\n", strcmp(rep.kind, "privileged") == 0 ? "request,granted_by,granted,last_login"
					   : strcmp(rep.kind, "locked") == 0 ? "locked_since,failures,kind,status"
									      : "status,since,reason,until");
		r = idm_dir_search_paged(rep.op->d, cfg->ldap.people_dn, LDAP_SCOPE_SUBTREE, filter,
					 attrs, 500, one, &rep);
		if (r == IDM_OK && rep.format == OUTPUT_JSON)
			output_json(stdout, rep.array);
		else
			json_decref(rep.array);
	}
	idm_operator_free(rep.op);
	idm_config_free(cfg);
	return exit_status(r);
}
