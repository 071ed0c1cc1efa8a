#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idm_mods.h"

#include "idm_account.h"
#include "idm_effect.h"
#include "idm_exception.h"
#include "idm_secret.h"
#include "idm_error.h"
#include "idm_lockout.h"
#include "idm_request.h"
#include "idm_uid.h"
#include "idm_user.h"

/* The checks every direct action shares: a valid uid, a role among roles,
 * an existing account, and R-PRIV-3.  Refusals are audited as action. */
static int prepare(struct idm_operator *op, const struct idm_config *cfg,
		   const struct idm_log *log, const char *action, const char *uid, unsigned roles,
		   struct idm_account **a)
{
	char what[64];
	int r;

	*a = NULL;
	if (idm_uid_check(cfg, uid) < 0) {
		idm_logf(log, LOG_ERR, "\"%s\" is not a valid uid", uid);
		return IDM_EINVAL;
	}
	snprintf(what, sizeof(what), "user %s", action);
	r = idm_operator_require(op, log, roles, what);
	if (r < 0) {
		idm_operator_audit(op, cfg, log, action, uid, NULL, "refused: role", NULL);
		return r;
	}
	r = idm_account_lookup(op->d, cfg, uid, a);
	if (r == IDM_ENOENT)
		idm_logf(log, LOG_ERR, "no account %s", uid);
	if (r == IDM_OK && (*a)->privileged && idm_operator_has(op, IDM_ROLE_CONTRACTOR)) {
		idm_logf(log, LOG_ERR, "R-PRIV-3: a contractor never touches a privileged ID");
		idm_operator_audit(op, cfg, log, action, uid, NULL,
				   "refused: R-PRIV-3: a contractor never touches a privileged ID", NULL);
		idm_account_free(*a);
		*a = NULL;
		r = IDM_EDENIED;
	}
	return r;
}

int idm_user_reset_password(struct idm_operator *op, const struct idm_config *cfg,
			    const struct idm_log *log, const char *uid, char **pw)
{
	struct idm_account *a = NULL;
	int r = prepare(op, cfg, log, "reset-password", uid, 1u << IDM_ROLE_SYSTEM_ADMIN, &a);

	*pw = NULL;
	if (r == IDM_OK)
		r = idm_effect_temp_password(op->d, cfg, a->dn, pw);
	if (r == IDM_OK)
		idm_operator_audit(op, cfg, log, "reset-password", uid, NULL, "done",
				   "temporary password issued");
	idm_account_free(a);
	return r;
}

int idm_user_expire_password(struct idm_operator *op, const struct idm_config *cfg,
			     const struct idm_log *log, const char *uid)
{
	struct idm_account *a = NULL;
	int r = prepare(op, cfg, log, "expire-password", uid,
			(1u << IDM_ROLE_SYSTEM_ADMIN) | (1u << IDM_ROLE_SECURITY_MANAGER), &a);

	if (r == IDM_OK) {
		/* slapd then restricts the user to a change (R-PW-2) */
		r = idm_effect_must_change(op->d, a->dn);
	}
	if (r == IDM_OK)
		idm_operator_audit(op, cfg, log, "expire-password", uid, NULL, "done", NULL);
	idm_account_free(a);
	return r;
}

int idm_user_suspend(struct idm_operator *op, const struct idm_config *cfg,
		     const struct idm_log *log, const char *uid, const char *reason,
		     const char *manager, bool emergency)
{
	struct idm_account *a = NULL;
	unsigned roles = 1u << IDM_ROLE_SECURITY_CHIEF;
	char text[1400], *xid = NULL;
	int r;

	if (!reason || !*reason || strlen(reason) > 1024) {
		idm_logf(log, LOG_ERR, "user suspend needs --reason TEXT (at most 1024 bytes)");
		return IDM_EINVAL;
	}
	if (emergency)
		roles |= 1u << IDM_ROLE_SYSTEM_ADMIN;
	r = prepare(op, cfg, log, "suspend", uid, roles, &a);
	if (r == IDM_OK)
		r = idm_effect_status(op->d, a->dn, "suspended", reason, 0);
	if (r < 0)
		goto out;
	/* R-EXC-2: an emergency action taken without the security_chief is
	 * an exception the CISO must acknowledge. */
	if (emergency && !idm_operator_has(op, IDM_ROLE_SECURITY_CHIEF)) {
		r = idm_exception_add(op, cfg, log, uid, "suspend-without-security-chief", reason,
				      time(NULL) + 30 * 86400L, true, &xid);
		if (r < 0)
			goto out;
	}
	snprintf(text, sizeof(text),
		 "%s suspended by %s%s: %s. To be notified: the CISO%s%s (R-VIO-1)%s%s", uid, op->uid,
		 emergency ? " (emergency)" : "", reason, manager ? " and the manager " : "",
		 manager ? manager : "", xid ? "; emergency exception " : "", xid ? xid : "");
	r = idm_effect_notice(op->d, cfg, op->dn, "suspend", uid, text);
	if (r == IDM_OK) {
		idm_logf(log, LOG_NOTICE, "notice: %s", text);
		idm_operator_audit(op, cfg, log, "suspend", uid, xid, "done", reason);
	}
out:
	free(xid);
	idm_account_free(a);
	return r;
}

int idm_user_unlock(struct idm_operator *op, const struct idm_config *cfg,
		    const struct idm_log *log, const char *uid)
{
	struct idm_account *a = NULL;
	int r = prepare(op, cfg, log, "unlock", uid, 1u << IDM_ROLE_SYSTEM_ADMIN, &a);

	if (r == IDM_OK)
		r = idm_lockout_unlock(op->d, a->dn);
	if (r == IDM_OK)
		idm_operator_audit(op, cfg, log, "unlock", uid, NULL, "done", NULL);
	idm_account_free(a);
	return r;
}
