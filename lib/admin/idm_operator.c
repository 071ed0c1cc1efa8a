#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idm_audit.h"
#include "idm_error.h"
#include "idm_i18n.h"
#include "idm_escape.h"
#include "idm_lockout.h"
#include "idm_operator.h"
#include "idm_time.h"
#include "idm_uid.h"

/* Reads which role groups name dn as a member, one base search per role. */
static int read_roles(struct idm_operator *op, const struct idm_config *cfg)
{
	static const char *const attrs[] = { "1.1", NULL };
	char *filter = NULL;
	int r = idm_filter_fmt(&filter, "(member=%s)", op->dn);

	for (int i = 0; r == IDM_OK && i < IDM_ROLE_COUNT; i++) {
		LDAPMessage *res = NULL;
		r = idm_dir_search(op->d, cfg->roles.dn[i], LDAP_SCOPE_BASE, filter, attrs, 1, &res);
		if (r == IDM_OK && ldap_count_entries(idm_dir_ldap(op->d), res) == 1)
			op->roles |= 1u << i;
		if (r == IDM_ENOENT) /* a role group that does not exist has no members */
			r = IDM_OK;
		ldap_msgfree(res);
	}
	free(filter);
	return r;
}

/* What a login checks once the operator's password is verified: the entry
 * read on op->d is op->dn, usable, not locked, its password neither
 * temporary, expired nor used up (IDM_OPERATOR_ACT); then the roles. */
static int check_account(struct idm_operator *op, const struct idm_config *cfg,
			 const struct idm_log *log, enum idm_operator_mode mode)
{
	const struct idm_policy *p;
	enum idm_lock_verdict lock = IDM_LOCK_CHECK;
	enum idm_change_due due;
	const char *uid = op->uid;
	time_t now = time(NULL);
	int r = idm_account_lookup(op->d, cfg, uid, &op->account);

	if (r == IDM_OK && strcasecmp(op->account->dn, op->dn) != 0)
		r = IDM_ENOENT; /* bound as some other entry than the account */
	if (r == IDM_ENOENT)
		idm_logf(log, LOG_ERR, N_("operator %s: not an account idmgr manages"), uid);
	if (r < 0)
		return r;
	p = idm_account_policy(cfg, op->account);
	if (idm_account_usable(op->account, now) != IDM_OK) {
		idm_logf(log, LOG_ERR, N_("operator %s: the account is %s"), uid,
			 op->account->status ? op->account->status : "not active");
		return IDM_EDENIED;
	}
	/* On the server's clock (idm_lockout.h), read on the operator's own
	 * entry; when it cannot be read a lock present stays in force. */
	if (p && idm_lockout_state_as(op->d, p, op->account, op->dn, "idmAuditPending", &lock) < 0)
		lock = IDM_LOCK_LOCKED;
	if (!p && op->account->hard_locked)
		lock = IDM_LOCK_HARD;
	if (lock != IDM_LOCK_CHECK) {
		idm_logf(log, LOG_ERR,
			 N_("operator %s: the account is locked; a system_admin unlocks it"), uid);
		return IDM_EDENIED;
	}
	due = mode == IDM_OPERATOR_ACT ? idm_account_change_due(p, op->account, false, false, now)
				       : IDM_CHANGE_NONE;
	if (due != IDM_CHANGE_NONE) {
		idm_logf(log, LOG_ERR,
			 N_("operator %s: the password is %s; change it first with \"idmgr -u %s "
			    "passwd\" (%s)"),
			 uid,
			 due == IDM_CHANGE_MAX_LOGINS ? "used up (max_logins)"
						      : "temporary or expired",
			 uid, due == IDM_CHANGE_MAX_LOGINS ? "R-PW-3" : "R-PW-4");
		return IDM_ESTATE;
	}
	return read_roles(op, cfg);
}

static struct idm_operator *operator_new(const char *uid)
{
	struct idm_operator *op = calloc(1, sizeof(*op));

	if (op && !(op->uid = strdup(uid))) {
		free(op);
		op = NULL;
	}
	return op;
}

int idm_operator_login(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
		       const char *password, enum idm_operator_mode mode, struct idm_operator **out)
{
	struct idm_operator *op = NULL;
	int r, pp = -1;

	*out = NULL;
	if (idm_uid_check(cfg, uid) < 0) {
		idm_logf(log, LOG_ERR, N_("operator \"%s\": not a valid uid"), uid);
		return IDM_EINVAL;
	}
	if (!password || !*password) {
		idm_logf(log, LOG_ERR, N_("operator %s: an empty password is never tried"), uid);
		return IDM_EAUTH;
	}
	op = operator_new(uid);
	if (!op) {
		r = IDM_ENOMEM;
		goto out;
	}
	/* The entry the subtree search finds, wherever below people_dn. */
	r = idm_account_bind_dn(cfg, log, uid, &op->dn);
	if (r == IDM_ENOENT)
		idm_logf(log, LOG_ERR, N_("operator %s: not an account idmgr manages"), uid);
	if (r < 0)
		goto out;
	r = idm_dir_open_pp(cfg, log, op->dn, password, &pp, &op->d);
	if (r == IDM_EAUTH)
		idm_logf(log, LOG_ERR, N_("operator %s: wrong password, or no such operator"), uid);
	if (r < 0)
		goto out;
	if (pp == PP_changeAfterReset && mode == IDM_OPERATOR_ACT) {
		/* slapd lets this session do nothing but change the password */
		idm_logf(log, LOG_ERR,
			 N_("operator %s: the password is temporary or was reset; change it first "
			    "with \"idmgr -u %s passwd\" (R-PW-4)"),
			 uid, uid);
		r = IDM_ESTATE;
		goto out;
	}
	r = check_account(op, cfg, log, mode);
out:
	if (r < 0)
		idm_operator_free(op);
	else
		*out = op;
	return r;
}

int idm_operator_accept(const struct idm_config *cfg, const struct idm_log *log, const char *uid,
			const char *dn, struct idm_dir **d, struct idm_operator **out)
{
	struct idm_operator *op = NULL;
	int r;

	*out = NULL;
	if (idm_uid_check(cfg, uid) < 0)
		return IDM_EINVAL;
	op = operator_new(uid);
	if (!op || !(op->dn = strdup(dn))) {
		idm_operator_free(op);
		return IDM_ENOMEM;
	}
	op->d = *d;
	r = check_account(op, cfg, log, IDM_OPERATOR_ACT);
	if (r < 0) {
		op->d = NULL; /* still the caller's */
		idm_operator_free(op);
		return r;
	}
	*d = NULL; /* the operator's now */
	*out = op;
	return r;
}

bool idm_operator_has(const struct idm_operator *op, enum idm_role role)
{
	return op && (op->roles & (1u << role));
}

int idm_operator_require(const struct idm_operator *op, const struct idm_log *log, unsigned roles,
			 const char *action)
{
	char names[128] = "";

	if (op->roles & roles)
		return IDM_OK;
	for (int i = 0; i < IDM_ROLE_COUNT; i++)
		if (roles & (1u << i)) {
			if (*names)
				strncat(names, " or ", sizeof(names) - strlen(names) - 1);
			strncat(names, idm_role_name(i), sizeof(names) - strlen(names) - 1);
		}
	idm_logf(log, LOG_ERR, N_("%s needs the role %s, which operator %s does not hold"), action,
		 names, op->uid);
	return IDM_EDENIED;
}

int idm_operator_officer(const struct idm_operator *op, const struct idm_log *log, const char *what)
{
	if (op->roles)
		return IDM_OK;
	idm_logf(log, LOG_ERR, N_("%s: for officers only; operator %s holds no role"), what,
		 op->uid);
	return IDM_EDENIED;
}

int idm_operator_refuse(struct idm_operator *op, const struct idm_config *cfg,
			const struct idm_log *log, const char *action, const char *subject,
			const char *request_id, int err, const char *rule, const char *detail)
{
	char outcome[1024];

	idm_logf(log, LOG_ERR, N_("%s %s refused: %s"), action,
		 request_id ? request_id
		 : subject  ? subject
			    : "",
		 rule);
	snprintf(outcome, sizeof(outcome), "refused: %s", rule);
	idm_operator_audit(op, cfg, log, action, subject, request_id, outcome, detail);
	return err;
}

void idm_operator_free(struct idm_operator *op)
{
	if (!op)
		return;
	idm_dir_close(op->d);
	idm_account_free(op->account);
	free(op->uid);
	free(op->dn);
	free(op);
}

int idm_operator_audit(struct idm_operator *op, const struct idm_config *cfg,
		       const struct idm_log *log, const char *action, const char *subject,
		       const char *request_id, const char *outcome, const char *detail)
{
	struct idm_audit_event ev = {
		.actor = op->dn, /* the officer authenticated, whoever holds op->d */
		.action = action,
		.subject = subject,
		.request_id = request_id,
		.outcome = outcome,
		.detail = detail,
	};

	return idm_operator_record(op, cfg, log, &ev);
}

int idm_operator_record(struct idm_operator *op, const struct idm_config *cfg,
			const struct idm_log *log, const struct idm_audit_event *ev)
{
	const char *subject = ev->subject, *request_id = ev->request_id;
	char hash[IDM_AUDIT_HASH_LEN + 1] = "";
	struct idm_audit_event named = *ev;
	long seq = 0;
	int r;

	/* the officer authenticated, whoever holds op->d (idmgrd: its own) */
	if (!named.actor)
		named.actor = op->dn;
	r = idm_audit_append(op->d, cfg, &named, &seq, hash);

	if (r == IDM_OK)
		idm_logf(log, LOG_NOTICE, "audit %ld %s: %s %s%s%s%s%s -> %s", seq, hash, op->uid,
			 ev->action, subject ? " " : "", subject ? subject : "",
			 request_id ? " " : "", request_id ? request_id : "", ev->outcome);
	else
		idm_logf(log, LOG_ERR, N_("audit record for %s %s could not be written: %s"),
			 ev->action, request_id ? request_id : (subject ? subject : ""),
			 idm_strerror(r));
	return r;
}
